//! aarch64 (AAPCS64, Linux syscall convention).
//!
//! Syscalls: `svc 0` with the number in `x8`, arguments in `x0..x5` and the result in `x0`
//! (arch/arm64/kernel/syscall.c: `el0_svc` passes `regs->regs[8]`, `invoke_syscall` reads
//! `regs[0..5]` and stores the result in `regs[0]`). The kernel restores every other general
//! register on return (arch/arm64/kernel/entry.S, `kernel_exit`), so only `x0` is clobbered.
//! Errors come back as `-4095..=-1` in `x0`, which is already strand's convention.
//!
//! Two ABIs use this file: `aarch64` (little-endian) and `aarch64_be` (big-endian, the kernel's
//! CONFIG_CPU_BIG_ENDIAN, arch/arm64/Kconfig). Byte order changes how memory holds a value, not
//! the registers, the syscall convention, the ELF relocation types (AAELF64 defines them for both
//! byte orders) or any struct layout the kernel shares (arch/arm64/include/uapi/asm/*.h have no
//! endian conditionals). Everything here that touches memory reads or writes whole native words
//! of the same width the kernel uses: the 32-bit cancel flag (`ldr w9`), the 64-bit `pc`/`sp`
//! and the `unsigned long` sigset of the ucontext (`SigSet` is made of `usize` words for this
//! reason), and the `struct sigaction` words; nothing picks a byte or a half out of a wider word.

use super::{Sigaction, StackGuard, TlsAbi, TlsVariant};
use core::arch::{asm, naked_asm};
use sys::general::{__NR_clone, __NR_exit, __NR_munmap, __NR_rt_sigreturn, SA_RESTORER};

/// `sys`: the kernel's constants, syscall numbers and struct layouts for aarch64, from
/// `linux_raw_sys` (its aarch64 modules, generated from the kernel's uapi headers; the same for
/// `aarch64_be`).
pub use linux_raw_sys as sys;

/// `mmap_raw`: an anonymous or offset-0 mapping with the plain `mmap` (aarch64: six register
/// arguments, byte offset; include/uapi/asm-generic/unistd.h).
///
/// 64-bit time and a register-argument `mmap`: the plain syscall names.
pub use super::mmap_six_args as mmap_raw;
nr_native! {
    /// No `alarm`: aarch64 uses the asm-generic table, which dropped it (include/uapi/asm-generic/unistd.h).
    pub const ALARM: Option<usize> = None;
}

/// `TLS`: the static-TLS layout strand builds for each thread on aarch64.
///
/// Variant I: `tpidr_el0` points at a 16-byte TCB (two words: DTV pointer and a reserved word),
/// and the TLS block starts at TP + align_up(16, p_align) (Drepper's TLS paper, 3.4.1; AAELF64,
/// "Thread Local Storage"; lld computes the same TP offsets for EM_AARCH64). strand keeps those
/// 16 bytes unused and puts its own `Tcb` just below TP.
pub const TLS: TlsAbi = TlsAbi { variant: TlsVariant::I, gap: 16, bias: 0 };

/// `R_RELATIVE`: the relocation type strand's start-up applies to a static-pie on aarch64.
///
/// `R_AARCH64_RELATIVE` (Delta(S) + A) (AAELF64, "Dynamic relocations"): the only relocation a
/// static-pie applies.
pub const R_RELATIVE: u32 = 1027;
/// `r_info` is in the gABI's form on this ABI.
pub use super::r_info_unchanged as r_info_gabi;

/// `syscall0`: a syscall with no arguments, with `svc 0` (aarch64: number in x8, result in x0;
/// arch/arm64/kernel/syscall.c).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall0(nr: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the syscall's own contract; registers per the kernel ABI above.
    unsafe { asm!("svc 0", in("x8") nr, lateout("x0") r, options(nostack)) };
    r
}

/// `syscall1`: a one-argument syscall with `svc 0` (aarch64: number in x8, argument in x0;
/// arch/arm64/kernel/syscall.c).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall1(nr: usize, a: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { asm!("svc 0", in("x8") nr, inlateout("x0") a => r, options(nostack)) };
    r
}

/// `syscall2`: a two-argument syscall with `svc 0` (aarch64: number in x8, arguments in x0, x1;
/// arch/arm64/kernel/syscall.c).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall2(nr: usize, a: usize, b: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { asm!("svc 0", in("x8") nr, inlateout("x0") a => r, in("x1") b, options(nostack)) };
    r
}

/// `syscall3`: a three-argument syscall with `svc 0` (aarch64: number in x8, arguments in x0, x1,
/// x2; arch/arm64/kernel/syscall.c).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a => r, in("x1") b, in("x2") c,
             options(nostack))
    };
    r
}

/// `syscall4`: a four-argument syscall with `svc 0` (aarch64: number in x8, arguments in x0, x1,
/// x2, x3; arch/arm64/kernel/syscall.c).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a => r, in("x1") b, in("x2") c,
             in("x3") d, options(nostack))
    };
    r
}

/// `syscall5`: a five-argument syscall with `svc 0` (aarch64: number in x8, arguments in x0, x1,
/// x2, x3, x4; arch/arm64/kernel/syscall.c).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall5(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a => r, in("x1") b, in("x2") c,
             in("x3") d, in("x4") e, options(nostack))
    };
    r
}

/// `syscall6`: a six-argument syscall with `svc 0` (aarch64: number in x8, arguments in x0, x1, x2,
/// x3, x4, x5; arch/arm64/kernel/syscall.c).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall6(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a => r, in("x1") b, in("x2") c,
             in("x3") d, in("x4") e, in("x5") f, options(nostack))
    };
    r
}

// The kernel enters `_start` with `sp` 16-byte aligned, pointing at argc (fs/binfmt_elf.c,
// `create_elf_tables`: STACK_ROUND). AAPCS64 ("Universal stack constraints") wants
// `sp mod 16 = 0` at all times, so align it again to be safe. Zero `x29` (fp) and `x30` (lr) so
// frame walks end here (AAPCS64, "The Frame Pointer": a zero link ends the chain of frame
// records); `bl` then sets `x30` to the `udf` below, which is never reached.
#[cfg(not(test))]
#[no_mangle]
#[unsafe(naked)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        "mov x29, xzr",
        "mov x30, xzr",
        "mov x0, sp",
        "and sp, x0, #-16",
        "bl {start}",
        "udf #0",
        start = sym crate::rt::__strand_start,
    )
}

/// `set_thread_pointer`: makes `tp` the calling thread's thread pointer (aarch64: writes
/// `tpidr_el0`, no syscall; the kernel switches it per task, arch/arm64/kernel/process.c). Returns
/// 0.
///
/// # Safety
/// `tp` must point at a control block laid out as [`TLS`] says, live for as long as the
/// thread runs.
pub unsafe fn set_thread_pointer(tp: *mut u8) -> usize {
    // SAFETY: tpidr_el0 is writable at EL0 and only holds this thread's thread pointer; the
    // kernel saves and restores it per task (arch/arm64/kernel/process.c, tls_thread_switch).
    unsafe { asm!("msr tpidr_el0, {}", in(reg) tp, options(nostack, preserves_flags)) };
    0
}

/// `load_tp_u32`: a word of the calling thread's control block, read through [`thread_pointer`].
///
/// One load at an offset from `thread_pointer()` (no segment-relative addressing here).
pub use super::load_tp_u32_from_pointer as load_tp_u32;

/// `thread_pointer`: the calling thread's thread pointer, which is how it finds its control block.
///
/// A register read (`mrs tpidr_el0`), no syscall; set by writing the register.
#[inline(always)]
pub fn thread_pointer() -> *mut u8 {
    let tp;
    // SAFETY: reading tpidr_el0 (Arm ARM, "TPIDR_EL0, EL0 Read/Write Software Thread ID
    // Register") touches no memory; start-up and clone set it before any thread reads it.
    unsafe { asm!("mrs {}, tpidr_el0", out(reg) tp, options(nomem, nostack, preserves_flags)) };
    tp
}

/// `clone_thread`: starts a thread with the raw `clone` (see the contract in `arch/mod.rs`); on
/// aarch64 the child gets `tp` in `tpidr_el0` and calls `entry(arg)` with `blr`.
///
/// aarch64 clone argument order is (flags, stack, ptid, tls, ctid): arch/arm64/Kconfig selects
/// CLONE_BACKWARDS (kernel/fork.c; man 2 clone, "C library/kernel differences"). With
/// CLONE_SETTLS `tls` becomes the child's `tpidr_el0` (arch/arm64/kernel/process.c,
/// `copy_thread`).
///
/// # Safety
/// `stack_top` is the 16-byte aligned top of a stack the child may own, `tp` a control block
/// set up for the child, `ptid`/`ctid` valid for `flags`; `entry` never returns.
pub unsafe fn clone_thread(
    flags: usize,
    stack_top: *mut u8,
    ptid: *mut i32,
    ctid: *mut u32,
    tp: *mut u8,
    entry: unsafe extern "C" fn(*mut u8) -> !,
    arg: *mut u8,
) -> usize {
    let r;
    // SAFETY: the child starts on `stack_top` (16-byte aligned by the caller, as AAPCS64
    // requires) with `x0 = 0` and every other register a copy of the parent's (copy_thread), so
    // `x9`/`x10` still hold entry/arg. `x29 = 0` ends frame walks, `blr` gives `entry` a return
    // address pointing at the `udf`, never reached. The child never comes back into this
    // function; the parent only sees `x0`.
    unsafe {
        asm!(
            "svc 0",
            "cbnz x0, 2f",
            "mov x29, xzr",
            "mov x30, xzr",
            "mov x0, x10",
            "blr x9",
            "udf #0",
            "2:",
            in("x8") __NR_clone as usize,
            inlateout("x0") flags => r, in("x1") stack_top, in("x2") ptid, in("x3") tp, in("x4") ctid,
            in("x9") entry, in("x10") arg,
            options(nostack)
        )
    };
    r
}

/// `unmap_and_exit`: the end of a detached thread: unmaps `base..base + len`, its own stack
/// included, then exits, using only registers in between (aarch64: `svc 0` needs no stack).
///
/// # Safety
/// The calling thread runs on the mapping and must have nothing left to do; no other thread may
/// use the mapping.
pub unsafe fn unmap_and_exit(base: *mut u8, len: usize) -> ! {
    // SAFETY: after munmap nothing touches memory: the exit number is an immediate and its
    // argument a register.
    unsafe {
        asm!(
            "svc 0",
            "mov x0, xzr",
            "mov x8, #{exit}",
            "svc 0",
            "udf #0",
            exit = const __NR_exit,
            in("x8") __NR_munmap as usize,
            in("x0") base, in("x1") len,
            options(noreturn, nostack)
        )
    }
}

/// `STACK_GUARD`: where aarch64 stack-protector code reads its canary.
///
/// Compilers read the stack-protector canary from the global `__stack_chk_guard` on aarch64
/// Linux (GCC's default `-mstack-protector-guard=global`; LLVM's AArch64 target likewise).
pub const STACK_GUARD: StackGuard = StackGuard::Global;

/// `rt_sigaction`: installs and/or reads the disposition of signal `sig`, in aarch64's `struct
/// sigaction` and with strand's own `rt_sigreturn` trampoline as SA_RESTORER.
///
/// `{handler, flags, restorer, mask}`. Without SA_RESTORER the kernel returns a handler through
/// the vDSO's `__kernel_rt_sigreturn` (arch/arm64/kernel/signal.c, setup_return); strand
/// passes its own trampoline, which the kernel then puts in `x30`, so nothing depends on the
/// vDSO being mapped.
///
/// # Safety
/// `new.handler` is `SIG_DFL`, `SIG_IGN` or a handler that may run at any time on any thread.
pub unsafe fn rt_sigaction(sig: u32, new: Option<&Sigaction>, old: Option<&mut Sigaction>) -> usize {
    // SAFETY: per the contract; the trampoline below performs rt_sigreturn.
    unsafe { super::sigaction::with_restorer(sig, new, old, Some((SA_RESTORER as usize, restore_rt as unsafe extern "C" fn() -> ! as usize))) }
}

/// The handler returns here (`ret` to `x30`) with `sp` at the kernel's signal frame, which
/// rt_sigreturn reads; nothing here touches the stack.
#[unsafe(naked)]
unsafe extern "C" fn restore_rt() -> ! {
    naked_asm!("mov x8, #{nr}", "svc 0", "udf #0", nr = const __NR_rt_sigreturn)
}

/// `struct ucontext` (arch/arm64/include/uapi/asm/ucontext.h): `uc_flags`, `uc_link`,
/// `uc_stack` (24 bytes), `uc_sigmask` (8), 120 reserved bytes (room for a 1024-bit mask), then
/// `uc_mcontext`, 16-byte aligned, at 176: `struct sigcontext` (uapi/asm/sigcontext.h:
/// `fault_address, regs[31], sp, pc, pstate, ...`).
const UC_SP: usize = 176 + 8 + 31 * 8;
const UC_PC: usize = UC_SP + 8;
/// `uc_sigmask`, after `uc_flags`, `uc_link` and `uc_stack` (same header); `rt_sigreturn`
/// restores the mask from here (arch/arm64/kernel/signal.c, `restore_sigframe`).
const UC_SIGMASK: usize = 16 + 24;

context_words!(UC_PC, UC_SP, UC_SIGMASK);

/// The cancellable syscall (see the contract in `arch/mod.rs`). AAPCS64: `cancel` in `x0`,
/// `nr` in `x1`, `a1..a6` in `x2..x7`; a leaf with no frame, so the range needs no prologue or
/// epilogue.
///
/// # Safety
/// `cancel` is a valid `u32`; the caller upholds the syscall's own contract.
#[unsafe(naked)]
pub unsafe extern "C" fn syscall_cp(
    cancel: *const u32,
    nr: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
    a5: usize,
    a6: usize,
) -> usize {
    naked_asm!(
        cp_labels!(),
        "__strand_cp_begin:",
        "ldr w9, [x0]",
        "cbnz w9, __strand_cp_cancel",
        "mov x8, x1",
        "mov x0, x2",
        "mov x1, x3",
        "mov x2, x4",
        "mov x3, x5",
        "mov x4, x6",
        "mov x5, x7",
        "svc 0",
        "__strand_cp_end:",
        "ret",
        "__strand_cp_cancel:",
        "mov x0, #{ecanceled}",
        "b __strand_cp_end",
        ecanceled = const -(sys::errno::ECANCELED as isize),
    )
}
