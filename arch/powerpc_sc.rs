//! The raw syscalls both powerpc files share (`powerpc.rs`, 32-bit, and `powerpc64.rs`, ELFv2),
//! instruction for instruction: `sc` with the number in `r0`, arguments in `r3..r8`, the result
//! in `r3`, and on failure CR0.SO set with a *positive* errno in `r3`, for both word sizes (man 2
//! syscall, "Architecture calling conventions"). Each file's header says which registers its
//! kernel leaves changed on the way out (entry_32.S, interrupt_64.S); both come to the same
//! clobbers, `r0`, `r4..r12`, `cr0`, `ctr` and `xer`, which every asm below names. Both files
//! re-export these with `pub use`, as the contract in `arch/mod.rs` asks of every file.

use core::arch::asm;

// Each asm: `sc`, then if CR0.SO is clear (`bns`) skip the `neg` that turns the positive errno
// into the negated one.

/// `syscall0`: a syscall with no arguments, with `sc` (number in r0, result in r3; an
/// error is a positive errno with CR0.SO set, negated here;
/// man 2 syscall, "Architecture calling conventions").
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall0(nr: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the syscall's own contract; registers and clobbers per the
    // kernel ABI above.
    unsafe {
        asm!("sc", "bns+ 1f", "neg 3, 3", "1:",
             inlateout("r0") nr => _, lateout("r3") r,
             lateout("r4") _, lateout("r5") _, lateout("r6") _, lateout("r7") _, lateout("r8") _,
             lateout("r9") _, lateout("r10") _, lateout("r11") _, lateout("r12") _,
             out("cr0") _, out("ctr") _, out("xer") _,
             options(nostack))
    };
    r
}

/// `syscall1`: a one-argument syscall with `sc` (number in r0, argument in r3; an error
/// is a positive errno with CR0.SO set, negated here;
/// man 2 syscall, "Architecture calling conventions").
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall1(nr: usize, a: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("sc", "bns+ 1f", "neg 3, 3", "1:",
             inlateout("r0") nr => _, inlateout("r3") a => r,
             lateout("r4") _, lateout("r5") _, lateout("r6") _, lateout("r7") _, lateout("r8") _,
             lateout("r9") _, lateout("r10") _, lateout("r11") _, lateout("r12") _,
             out("cr0") _, out("ctr") _, out("xer") _,
             options(nostack))
    };
    r
}

/// `syscall2`: a two-argument syscall with `sc` (number in r0, arguments in r3, r4; an
/// error is a positive errno with CR0.SO set, negated here;
/// man 2 syscall, "Architecture calling conventions").
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall2(nr: usize, a: usize, b: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("sc", "bns+ 1f", "neg 3, 3", "1:",
             inlateout("r0") nr => _, inlateout("r3") a => r, inlateout("r4") b => _,
             lateout("r5") _, lateout("r6") _, lateout("r7") _, lateout("r8") _,
             lateout("r9") _, lateout("r10") _, lateout("r11") _, lateout("r12") _,
             out("cr0") _, out("ctr") _, out("xer") _,
             options(nostack))
    };
    r
}

/// `syscall3`: a three-argument syscall with `sc` (number in r0, arguments in r3, r4,
/// r5; an error is a positive errno with CR0.SO set, negated here;
/// man 2 syscall, "Architecture calling conventions").
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("sc", "bns+ 1f", "neg 3, 3", "1:",
             inlateout("r0") nr => _, inlateout("r3") a => r, inlateout("r4") b => _,
             inlateout("r5") c => _,
             lateout("r6") _, lateout("r7") _, lateout("r8") _,
             lateout("r9") _, lateout("r10") _, lateout("r11") _, lateout("r12") _,
             out("cr0") _, out("ctr") _, out("xer") _,
             options(nostack))
    };
    r
}

/// `syscall4`: a four-argument syscall with `sc` (number in r0, arguments in r3, r4, r5,
/// r6; an error is a positive errno with CR0.SO set, negated here;
/// man 2 syscall, "Architecture calling conventions").
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("sc", "bns+ 1f", "neg 3, 3", "1:",
             inlateout("r0") nr => _, inlateout("r3") a => r, inlateout("r4") b => _,
             inlateout("r5") c => _, inlateout("r6") d => _,
             lateout("r7") _, lateout("r8") _,
             lateout("r9") _, lateout("r10") _, lateout("r11") _, lateout("r12") _,
             out("cr0") _, out("ctr") _, out("xer") _,
             options(nostack))
    };
    r
}

/// `syscall5`: a five-argument syscall with `sc` (number in r0, arguments in r3, r4, r5,
/// r6, r7; an error is a positive errno with CR0.SO set, negated here;
/// man 2 syscall, "Architecture calling conventions").
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall5(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("sc", "bns+ 1f", "neg 3, 3", "1:",
             inlateout("r0") nr => _, inlateout("r3") a => r, inlateout("r4") b => _,
             inlateout("r5") c => _, inlateout("r6") d => _, inlateout("r7") e => _,
             lateout("r8") _,
             lateout("r9") _, lateout("r10") _, lateout("r11") _, lateout("r12") _,
             out("cr0") _, out("ctr") _, out("xer") _,
             options(nostack))
    };
    r
}

/// `syscall6`: a six-argument syscall with `sc` (number in r0, arguments in r3, r4, r5,
/// r6, r7, r8; an error is a positive errno with CR0.SO set, negated here;
/// man 2 syscall, "Architecture calling conventions").
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall6(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("sc", "bns+ 1f", "neg 3, 3", "1:",
             inlateout("r0") nr => _, inlateout("r3") a => r, inlateout("r4") b => _,
             inlateout("r5") c => _, inlateout("r6") d => _, inlateout("r7") e => _,
             inlateout("r8") f => _,
             lateout("r9") _, lateout("r10") _, lateout("r11") _, lateout("r12") _,
             out("cr0") _, out("ctr") _, out("xer") _,
             options(nostack))
    };
    r
}
