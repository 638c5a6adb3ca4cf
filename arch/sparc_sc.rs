//! The raw syscalls both sparc files share (`sparc.rs`, 32-bit V8+, and `sparc64.rs`), the same
//! template apart from two instructions each file names before it includes this one:
//! `syscall_trap!()`, the trap (`ta 0x10` for a 32-bit task, `ta 0x6d` for a 64-bit one), and
//! `carry_branch!()`, the annulled branch that tests the carry the kernel sets on an error
//! (`bcs,a` on `%icc` for 32-bit, `bcs,a,pn %xcc` for 64-bit). The number goes into `%g1`
//! inside each template (Rust reserves `%g1`), the arguments in `%o0..%o5`, the result comes
//! back in `%o0`, and an error is a positive errno with carry set, negated here. Each file's
//! header gives the kernel sources for its trap and for what the kernel changes besides `%o0`
//! (`%o1` for the ones that return two values; `%g1` and `%g6`, which are reserved).

use core::arch::asm;

/// `syscall0`: a syscall with no arguments, with the ABI's trap (number in %g1, result in %o0;
/// `%g1` loaded inside the template; an error sets carry with a positive errno, negated here;
/// the including file's header).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall0(nr: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the syscall's own contract; registers per the kernel ABI above.
    // The annulled `bcs,a` runs its delay slot (the negation) only when carry is set.
    unsafe {
        asm!(
            "mov {nr}, %g1",
            syscall_trap!(),
            carry_branch!(),
            "sub %g0, %o0, %o0",
            "2:",
            nr = in(reg) nr,
            lateout("o0") r, lateout("o1") _,
            options(nostack)
        )
    };
    r
}

/// `syscall1`: a one-argument syscall with the ABI's trap (number in %g1, argument in %o0;
/// `%g1` loaded inside the template; an error sets carry with a positive errno, negated here;
/// the including file's header).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall1(nr: usize, a: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!(
            "mov {nr}, %g1",
            syscall_trap!(),
            carry_branch!(),
            "sub %g0, %o0, %o0",
            "2:",
            nr = in(reg) nr,
            inlateout("o0") a => r, lateout("o1") _,
            options(nostack)
        )
    };
    r
}

/// `syscall2`: a two-argument syscall with the ABI's trap (number in %g1, arguments in %o0,
/// %o1; `%g1` loaded inside the template; an error sets carry with a positive errno, negated here;
/// the including file's header).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall2(nr: usize, a: usize, b: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!(
            "mov {nr}, %g1",
            syscall_trap!(),
            carry_branch!(),
            "sub %g0, %o0, %o0",
            "2:",
            nr = in(reg) nr,
            inlateout("o0") a => r, inlateout("o1") b => _,
            options(nostack)
        )
    };
    r
}

/// `syscall3`: a three-argument syscall with the ABI's trap (number in %g1, arguments in %o0,
/// %o1, %o2; `%g1` loaded inside the template; an error sets carry with a positive errno, negated
/// here; the including file's header).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!(
            "mov {nr}, %g1",
            syscall_trap!(),
            carry_branch!(),
            "sub %g0, %o0, %o0",
            "2:",
            nr = in(reg) nr,
            inlateout("o0") a => r, inlateout("o1") b => _, in("o2") c,
            options(nostack)
        )
    };
    r
}

/// `syscall4`: a four-argument syscall with the ABI's trap (number in %g1, arguments in %o0,
/// %o1, %o2, %o3; `%g1` loaded inside the template; an error sets carry with a positive errno,
/// negated here; the including file's header).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!(
            "mov {nr}, %g1",
            syscall_trap!(),
            carry_branch!(),
            "sub %g0, %o0, %o0",
            "2:",
            nr = in(reg) nr,
            inlateout("o0") a => r, inlateout("o1") b => _, in("o2") c, in("o3") d,
            options(nostack)
        )
    };
    r
}

/// `syscall5`: a five-argument syscall with the ABI's trap (number in %g1, arguments in %o0,
/// %o1, %o2, %o3, %o4; `%g1` loaded inside the template; an error sets carry with a positive errno,
/// negated here; the including file's header).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall5(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!(
            "mov {nr}, %g1",
            syscall_trap!(),
            carry_branch!(),
            "sub %g0, %o0, %o0",
            "2:",
            nr = in(reg) nr,
            inlateout("o0") a => r, inlateout("o1") b => _, in("o2") c, in("o3") d, in("o4") e,
            options(nostack)
        )
    };
    r
}

/// `syscall6`: a six-argument syscall with the ABI's trap (number in %g1, arguments in %o0,
/// %o1, %o2, %o3, %o4, %o5; `%g1` loaded inside the template; an error sets carry with a positive
/// errno, negated here; the including file's header).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall6(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!(
            "mov {nr}, %g1",
            syscall_trap!(),
            carry_branch!(),
            "sub %g0, %o0, %o0",
            "2:",
            nr = in(reg) nr,
            inlateout("o0") a => r, inlateout("o1") b => _, in("o2") c, in("o3") d, in("o4") e,
            in("o5") f,
            options(nostack)
        )
    };
    r
}
