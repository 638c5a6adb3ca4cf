//! s390x (z/Architecture ELF ABI supplement, Linux syscall convention), big-endian.
//!
//! Syscalls: `svc 0` with the number in `r1` (the kernel takes it from `r1` when the `svc`
//! immediate is 0, arch/s390/kernel/syscall.c `__do_syscall`), arguments in `r2..r7`
//! (arch/s390/include/asm/syscall_wrapper.h reads `orig_gpr2, gprs[3..7]`), the result in `r2`;
//! every other general register comes back unchanged. Errors come back as `-4095..=-1` in `r2`,
//! which is already strand's convention. `r6` and `r7` are callee-saved in the C ABI; Rust lets
//! them be named as operands and saves them itself.

use super::{Sigaction, StackGuard, TlsAbi, TlsVariant};
use core::arch::{asm, naked_asm};
use sys::general::{__NR_clone, __NR_exit, __NR_munmap, __NR_rt_sigreturn, SA_RESTORER};

/// `sys`: the kernel's constants, syscall numbers and struct layouts for s390x, from
/// `linux_raw_sys` (its s390x modules, generated from the kernel's uapi headers).
pub use linux_raw_sys as sys;

// Names that differ by ABI; everything else comes from `sys::general`.
// 64-bit time (the plain syscall names), but number 90 is `sys_old_mmap`, which takes one pointer
// to six words (arch/s390/kernel/syscalls/syscall.tbl); see `mmap_raw`.
nr_native! {
    /// `alarm` is syscall 27 (arch/s390/kernel/syscalls/syscall.tbl).
    pub const ALARM: Option<usize> = Some(super::sys::general::__NR_alarm as usize);
}

/// `TLS`: the static-TLS layout strand builds for each thread on s390x.
///
/// Variant II: the thread pointer (access registers `a0:a1`) points at the TCB, whose first
/// word is a pointer to itself; the TLS block lies below (Drepper's TLS paper, 3.4.2, which
/// lists S/390 with variant II; the s390x ELF ABI supplement, "Thread-Local Storage").
pub const TLS: TlsAbi = TlsAbi { variant: TlsVariant::II, gap: 0, bias: 0 };

/// `R_RELATIVE`: the relocation type strand's start-up applies to a static-pie on s390x.
///
/// `R_390_RELATIVE` (B + A) (s390x ELF ABI supplement, "Relocation Types"): the only relocation
/// a static-pie applies.
pub const R_RELATIVE: u32 = 12;
/// `r_info` is in the gABI's form on this ABI.
pub use super::r_info_unchanged as r_info_gabi;

/// `syscall0`: a syscall with no arguments, with `svc 0` (s390x: number in r1, result in r2;
/// arch/s390/kernel/syscall.c).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall0(nr: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the syscall's own contract; registers per the kernel ABI above.
    unsafe { asm!("svc 0", in("r1") nr, lateout("r2") r, options(nostack)) };
    r
}

/// `syscall1`: a one-argument syscall with `svc 0` (s390x: number in r1, argument in r2;
/// arch/s390/kernel/syscall.c).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall1(nr: usize, a: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { asm!("svc 0", in("r1") nr, inlateout("r2") a => r, options(nostack)) };
    r
}

/// `syscall2`: a two-argument syscall with `svc 0` (s390x: number in r1, arguments in r2, r3;
/// arch/s390/kernel/syscall.c).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall2(nr: usize, a: usize, b: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { asm!("svc 0", in("r1") nr, inlateout("r2") a => r, in("r3") b, options(nostack)) };
    r
}

/// `syscall3`: a three-argument syscall with `svc 0` (s390x: number in r1, arguments in r2, r3, r4;
/// arch/s390/kernel/syscall.c).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("svc 0", in("r1") nr, inlateout("r2") a => r, in("r3") b, in("r4") c, options(nostack))
    };
    r
}

/// `syscall4`: a four-argument syscall with `svc 0` (s390x: number in r1, arguments in r2, r3, r4,
/// r5; arch/s390/kernel/syscall.c).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("svc 0", in("r1") nr, inlateout("r2") a => r, in("r3") b, in("r4") c, in("r5") d,
             options(nostack))
    };
    r
}

/// `syscall5`: a five-argument syscall with `svc 0` (s390x: number in r1, arguments in r2, r3, r4,
/// r5, r6; arch/s390/kernel/syscall.c).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall5(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("svc 0", in("r1") nr, inlateout("r2") a => r, in("r3") b, in("r4") c, in("r5") d,
             in("r6") e, options(nostack))
    };
    r
}

/// `syscall6`: a six-argument syscall with `svc 0` (s390x: number in r1, arguments in r2, r3, r4,
/// r5, r6, r7; arch/s390/kernel/syscall.c).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall6(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("svc 0", in("r1") nr, inlateout("r2") a => r, in("r3") b, in("r4") c, in("r5") d,
             in("r6") e, in("r7") f, options(nostack))
    };
    r
}

/// `mmap_raw`: an anonymous or offset-0 mapping with `old_mmap`, whose one argument points at the
/// six values (s390x has no register-argument `mmap`; arch/s390/kernel/syscalls/syscall.tbl).
///
/// s390x has no six-register `mmap`: number 90 is `old_mmap`, whose one argument points at
/// `struct mmap_arg_struct { addr, len, prot, flags, fd, offset }`, six `unsigned long`s
/// (mm/mmap.c under `__ARCH_WANT_SYS_OLD_MMAP`; arch/s390/kernel/syscalls/syscall.tbl).
///
/// # Safety
/// The caller upholds mmap's contract.
#[inline]
pub unsafe fn mmap_raw(addr: usize, len: usize, prot: usize, flags: usize, fd: usize) -> usize {
    let args: [usize; 6] = [addr, len, prot, flags, fd, 0];
    // SAFETY: the caller upholds mmap's contract; the kernel only reads the six words, which
    // live until the syscall returns (the asm may read through the pointer it is given).
    unsafe { syscall1(nr::MMAP, args.as_ptr() as usize) }
}

// First the thread pointer goes to the provisional control block (`arch::BOOT_TCB`), so
// stack-protector prologues can read TP+0x28. The kernel enters `_start` with `r15` pointing at
// argc (s390x ELF ABI supplement, "Process Initialization"). Pass that in `r2`, keep `r15` 8-byte aligned, and give the callee the
// 160-byte register save area every frame owes its callees, with a zero back chain at 0(%r15)
// so backtraces stop here (ABI supplement, "Stack Frame"). `brasl` puts the return address in
// `r14`; it is never used. `.2byte 0` is an invalid opcode: a trap if `__strand_start` returned.
#[cfg(not(test))]
#[no_mangle]
#[unsafe(naked)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        "larl %r1, {boot}",
        "aghi %r1, {delta}",
        "srlg %r0, %r1, 32",
        "sar %a0, %r0",
        "sar %a1, %r1",
        "lgr %r2, %r15",
        "nill %r15, 0xfff8",
        "aghi %r15, -160",
        "xc 0(8,%r15), 0(%r15)",
        "brasl %r14, {start}",
        ".2byte 0",
        boot = sym super::BOOT_TCB,
        delta = const super::BOOT_TP_DELTA,
        start = sym crate::rt::__strand_start,
    )
}

/// `set_thread_pointer`: makes `tp` the calling thread's thread pointer (s390x: its high and low
/// halves go to access registers `a0` and `a1` with `sar`, no syscall; arch/s390/kernel/process.c
/// splits it the same way). Returns 0.
///
/// # Safety
/// `tp` must point at a control block laid out as [`TLS`] says, live for as long as the
/// thread runs.
pub unsafe fn set_thread_pointer(tp: *mut u8) -> usize {
    let tp = tp as usize;
    // The thread pointer is `a0` (high 32 bits) : `a1` (low 32 bits); `sar` copies the low 32
    // bits of a general register into an access register (z/Architecture Principles of
    // Operation; arch/s390/kernel/process.c splits CLONE_SETTLS's value the same way).
    // SAFETY: a0/a1 hold only this thread's thread pointer; nothing reads TLS through the old
    // value afterwards (start-up sets it before any TLS access).
    unsafe {
        asm!("sar %a0, {hi}", "sar %a1, {lo}", hi = in(reg) tp >> 32, lo = in(reg) tp,
             options(nostack, preserves_flags))
    };
    0
}

/// `load_tp_u32`: a word of the calling thread's control block, read through [`thread_pointer`].
///
/// One load at an offset from `thread_pointer()` (no segment-relative addressing here).
pub use super::load_tp_u32_from_pointer as load_tp_u32;

/// `thread_pointer`: the calling thread's thread pointer, which is how it finds its control block.
///
/// Two register reads (`ear` of `a0`, `a1`), no syscall; set by writing the registers.
#[inline(always)]
pub fn thread_pointer() -> *mut u8 {
    let tp: usize;
    // `ear` replaces only the low 32 bits of the target register: read a0, shift it up, then
    // read a1 below it (as GCC's `__builtin_thread_pointer` does on s390x).
    // SAFETY: reading access registers touches no memory and changes no flags.
    unsafe {
        asm!("ear {0}, %a0", "sllg {0}, {0}, 32", "ear {0}, %a1", out(reg) tp,
             options(nomem, nostack, preserves_flags))
    };
    tp as *mut u8
}

/// `clone_thread`: starts a thread with the raw `clone` (see the contract in `arch/mod.rs`); on
/// s390x the kernel loads `tp` into `a0:a1` and the child calls `entry(arg)` with `basr` below a
/// 160-byte register save area.
///
/// s390x clone argument order is (stack, flags, ptid, ctid, tls) (kernel/fork.c,
/// CONFIG_CLONE_BACKWARDS2, selected by arch/s390/Kconfig; man 2 clone, NOTES). With
/// CLONE_SETTLS the kernel loads `tls` into a0:a1 (arch/s390/kernel/process.c, copy_thread).
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
    // SAFETY: the child starts with `r15 = stack_top` (16-byte aligned by the caller) and every
    // register but `r2` (0) copied from the parent (copy_thread), so `r7`/`r8` still hold
    // entry/arg. It reserves the 160-byte register save area with a zero back chain (ABI
    // supplement, "Stack Frame"; 160 keeps the 8-byte alignment the ABI wants), and `basr` sets
    // the return address in `r14`. The child never comes back into this function; the parent
    // only sees `r2`.
    unsafe {
        asm!(
            "svc 0",
            "ltgr %r2, %r2",
            "jnz 2f",
            "aghi %r15, -160",
            "xc 0(8,%r15), 0(%r15)",
            "lgr %r2, %r8",
            "basr %r14, %r7",
            ".2byte 0",
            "2:",
            in("r1") __NR_clone as usize,
            inlateout("r2") stack_top => r, in("r3") flags, in("r4") ptid, in("r5") ctid,
            in("r6") tp, in("r7") entry, in("r8") arg,
            options(nostack)
        )
    };
    r
}

/// `unmap_and_exit`: the end of a detached thread: unmaps `base..base + len`, its own stack
/// included, then exits, using only registers in between (s390x: `svc 0` needs no stack).
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
            "lghi %r2, 0",
            "lghi %r1, {exit}",
            "svc 0",
            ".2byte 0",
            exit = const __NR_exit,
            in("r1") __NR_munmap as usize,
            in("r2") base, in("r3") len,
            options(noreturn, nostack)
        )
    }
}

/// `STACK_GUARD`: where s390x stack-protector code reads its canary.
///
/// The canary of `-Zstack-protector` code is at TP+0x28 (glibc's s390 `tcbhead_t.stack_guard`,
/// which GCC and LLVM hard-code: `ear`/`sllg`/`ear`, then `lg ...,40`).
pub const STACK_GUARD: StackGuard = StackGuard::TpRelative(0x28);

/// `rt_sigaction`: installs and/or reads the disposition of signal `sig`, in s390x's `struct
/// sigaction` and with strand's own `rt_sigreturn` trampoline as SA_RESTORER.
///
/// `{handler, flags, restorer, mask}`. Without SA_RESTORER the kernel returns a handler through
/// the vDSO's rt_sigreturn (older kernels: an `svc` it writes into the signal frame)
/// (arch/s390/kernel/signal.c, setup_rt_frame); with it, it puts the restorer in `r14`, so
/// strand passes its own and depends on neither.
///
/// # Safety
/// `new.handler` is `SIG_DFL`, `SIG_IGN` or a handler that may run at any time on any thread.
pub unsafe fn rt_sigaction(sig: u32, new: Option<&Sigaction>, old: Option<&mut Sigaction>) -> usize {
    // SAFETY: per the contract; the trampoline below performs rt_sigreturn.
    unsafe { super::sigaction::with_restorer(sig, new, old, Some((SA_RESTORER as usize, restore_rt as unsafe extern "C" fn() -> ! as usize))) }
}

/// The handler returns here (`br %r14`) with `r15` at the kernel's signal frame.
#[unsafe(naked)]
unsafe extern "C" fn restore_rt() -> ! {
    naked_asm!("svc {nr}", ".2byte 0", nr = const __NR_rt_sigreturn)
}

/// `struct ucontext` (arch/s390/include/uapi/asm/ucontext.h): `uc_flags`, `uc_link`, `uc_stack`
/// (24 bytes), then `uc_mcontext` at 40, a `_sigregs` (uapi/asm/ptrace.h: `psw {mask, addr}`,
/// `gprs[16]`, ...); the stack pointer is `r15`. In 64-bit mode `psw.addr` is the plain
/// address: the addressing-mode bits (EA, BA) live in `psw.mask`, which is left alone.
const UC_PC: usize = 40 + 8;
const UC_SP: usize = 40 + 16 + 15 * 8;
/// `uc_sigmask` follows `uc_mcontext` (same header). `_sigregs` is 344 bytes
/// (uapi/asm/sigcontext.h): `_s390_regs_common` (`psw` 16, `gprs[16]` 128, `acrs[16]` 64) and
/// `_s390_fp_regs` (`fpc`, `pad`, `fprs[16]`: 136). `rt_sigreturn` restores the mask from here
/// (arch/s390/kernel/signal.c).
const UC_SIGMASK: usize = 40 + 208 + 136;

// rt_sigreturn loads `psw.addr` from UC_PC and keeps the addressing mode from `psw.mask`
// (arch/s390/kernel/signal.c, `restore_sigregs`), so writing the address alone is enough.
context_words!(UC_PC, UC_SP, UC_SIGMASK);

/// The cancellable syscall (see the contract in `arch/mod.rs`). s390x ELF ABI: `cancel` in
/// `r2`, `nr` in `r3`, `a1..a3` in `r4..r6`, `a4..a6` in the caller's parameter area at
/// 160(%r15). The prologue saves the callee-saved `r6`/`r7` into their slots of the caller's
/// register save area (48(%r15)), the epilogue restores them; `r15` never moves. `svc 0` takes
/// the number from `r1` and is 2 bytes long.
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
        "stmg %r6, %r7, 48(%r15)",
        "__strand_cp_begin:",
        "lt %r0, 0(%r2)",
        "jne __strand_cp_cancel",
        "lgr %r1, %r3",
        "lgr %r2, %r4",
        "lgr %r3, %r5",
        "lgr %r4, %r6",
        "lg %r5, 160(%r15)",
        "lg %r6, 168(%r15)",
        "lg %r7, 176(%r15)",
        "svc 0",
        "__strand_cp_end:",
        "lmg %r6, %r7, 48(%r15)",
        "br %r14",
        "__strand_cp_cancel:",
        "lghi %r2, {ecanceled}",
        "j __strand_cp_end",
        ecanceled = const -(sys::errno::ECANCELED as isize),
    )
}
