//! loongarch64 (LoongArch ELF psABI, LP64D; Linux syscall convention).
//!
//! Syscalls: `syscall 0` with the number in `$a7`, arguments in `$a0..$a5`, the result in `$a0`
//! (man 2 syscall; arch/loongarch/include/asm/syscall.h). The kernel's entry uses `$t0..$t2`
//! before it saves anything and saves `$ra`, `$a0..$a7` and the callee-saved registers but not
//! the temporaries, while its return path (`RESTORE_ALL_AND_RET`, asm/stackframe.h) reloads
//! `$t0..$t8` from `pt_regs` (arch/loongarch/kernel/entry.S, `handle_syscall`), so every
//! syscall here names `$t0..$t8` as clobbered, as musl (arch/loongarch64/syscall_arch.h) and
//! glibc (sysdeps/unix/sysv/linux/loongarch/sysdep.h) do.
//! Errors come back as `-4095..=-1` in `$a0`, which is already strand's convention.
//!
//! The kernel and QEMU 7.2 alike: the whole ABI here (syscall table, `struct sigaction`,
//! `struct ucontext`) is the asm-generic one riscv64 also uses, with loongarch's own
//! `struct sigcontext`. QEMU 7.2 has no LSX (128-bit SIMD), which the Rust target enables by
//! default: the ABI row builds every crate with `-C target-feature=-lsx` (arch/abis.rs); nothing
//! in this file uses vector registers.

use super::{Sigaction, StackGuard, TlsAbi, TlsVariant};
use core::arch::{asm, naked_asm};
use sys::general::{__NR_clone, __NR_exit, __NR_munmap};

/// `sys`: the kernel's constants, syscall numbers and struct layouts for loongarch64, from
/// `linux_raw_sys` (its loongarch64 modules, generated from the kernel's uapi headers).
pub use linux_raw_sys as sys;

/// `mmap_raw`: an anonymous or offset-0 mapping with the plain `mmap` (loongarch64: six register
/// arguments, byte offset; include/uapi/asm-generic/unistd.h).
///
/// 64-bit time and a register-argument `mmap`: the plain syscall names.
pub use super::mmap_six_args as mmap_raw;
nr_native! {
    /// No `alarm`: loongarch uses the asm-generic table, which dropped it
    /// (include/uapi/asm-generic/unistd.h; arch/loongarch/include/uapi/asm/unistd.h includes it).
    pub const ALARM: Option<usize> = None;
}

/// `TLS`: the static-TLS layout strand builds for each thread on loongarch64.
///
/// Variant I with neither gap nor bias: `$tp` holds the address where the first TLS block
/// starts, and the linker's TP-relative offsets start at 0 there (LoongArch ELF psABI, "Thread
/// Local Storage"; musl arch/loongarch64/pthread_arch.h: `TLS_ABOVE_TP`, `GAP_ABOVE_TP 0`, and
/// reloc.h `TPOFF_K 0`). strand's Tcb sits right below `$tp`.
pub const TLS: TlsAbi = TlsAbi { variant: TlsVariant::I, gap: 0, bias: 0 };

/// `R_RELATIVE`: the relocation type strand's start-up applies to a static-pie on loongarch64.
///
/// `R_LARCH_RELATIVE` (B + A) (LoongArch ELF psABI, "Relocations": type 3): the only
/// relocation a static-pie applies.
pub const R_RELATIVE: u32 = 3;
/// `r_info` is in the gABI's form on this ABI.
pub use super::r_info_unchanged as r_info_gabi;

/// `syscall0`: a syscall with no arguments, with `syscall 0` (loongarch64: number in $a7, result
/// in $a0; arch/loongarch/include/asm/syscall.h).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall0(nr: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the syscall's own contract; registers per the kernel ABI above
    // ($t0..$t8 are clobbered by the kernel's entry and exit).
    unsafe {
        asm!("syscall 0", in("$a7") nr, lateout("$a0") r,
             out("$t0") _, out("$t1") _, out("$t2") _, out("$t3") _, out("$t4") _,
             out("$t5") _, out("$t6") _, out("$t7") _, out("$t8") _,
             options(nostack))
    };
    r
}

/// `syscall1`: a one-argument syscall with `syscall 0` (loongarch64: number in $a7, argument in
/// $a0; arch/loongarch/include/asm/syscall.h).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall1(nr: usize, a: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall 0", in("$a7") nr, inlateout("$a0") a => r,
             out("$t0") _, out("$t1") _, out("$t2") _, out("$t3") _, out("$t4") _,
             out("$t5") _, out("$t6") _, out("$t7") _, out("$t8") _,
             options(nostack))
    };
    r
}

/// `syscall2`: a two-argument syscall with `syscall 0` (loongarch64: number in $a7, arguments in
/// $a0, $a1; arch/loongarch/include/asm/syscall.h).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall2(nr: usize, a: usize, b: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall 0", in("$a7") nr, inlateout("$a0") a => r, in("$a1") b,
             out("$t0") _, out("$t1") _, out("$t2") _, out("$t3") _, out("$t4") _,
             out("$t5") _, out("$t6") _, out("$t7") _, out("$t8") _,
             options(nostack))
    };
    r
}

/// `syscall3`: a three-argument syscall with `syscall 0` (loongarch64: number in $a7, arguments
/// in $a0, $a1, $a2; arch/loongarch/include/asm/syscall.h).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall 0", in("$a7") nr, inlateout("$a0") a => r, in("$a1") b, in("$a2") c,
             out("$t0") _, out("$t1") _, out("$t2") _, out("$t3") _, out("$t4") _,
             out("$t5") _, out("$t6") _, out("$t7") _, out("$t8") _,
             options(nostack))
    };
    r
}

/// `syscall4`: a four-argument syscall with `syscall 0` (loongarch64: number in $a7, arguments
/// in $a0, $a1, $a2, $a3; arch/loongarch/include/asm/syscall.h).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall 0", in("$a7") nr, inlateout("$a0") a => r, in("$a1") b, in("$a2") c,
             in("$a3") d,
             out("$t0") _, out("$t1") _, out("$t2") _, out("$t3") _, out("$t4") _,
             out("$t5") _, out("$t6") _, out("$t7") _, out("$t8") _,
             options(nostack))
    };
    r
}

/// `syscall5`: a five-argument syscall with `syscall 0` (loongarch64: number in $a7, arguments
/// in $a0, $a1, $a2, $a3, $a4; arch/loongarch/include/asm/syscall.h).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall5(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall 0", in("$a7") nr, inlateout("$a0") a => r, in("$a1") b, in("$a2") c,
             in("$a3") d, in("$a4") e,
             out("$t0") _, out("$t1") _, out("$t2") _, out("$t3") _, out("$t4") _,
             out("$t5") _, out("$t6") _, out("$t7") _, out("$t8") _,
             options(nostack))
    };
    r
}

/// `syscall6`: a six-argument syscall with `syscall 0` (loongarch64: number in $a7, arguments in
/// $a0, $a1, $a2, $a3, $a4, $a5; arch/loongarch/include/asm/syscall.h).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall6(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall 0", in("$a7") nr, inlateout("$a0") a => r, in("$a1") b, in("$a2") c,
             in("$a3") d, in("$a4") e, in("$a5") f,
             out("$t0") _, out("$t1") _, out("$t2") _, out("$t3") _, out("$t4") _,
             out("$t5") _, out("$t6") _, out("$t7") _, out("$t8") _,
             options(nostack))
    };
    r
}

// The kernel enters `_start` with `$sp` pointing at argc (arch/loongarch/kernel/process.c,
// start_thread; fs/binfmt_elf.c). The psABI wants `$sp` 16-byte aligned at calls (LoongArch ELF
// psABI, "Procedure Calling Convention"): `bstrins.d` clears its low four bits. `$fp` and `$ra`
// are zeroed and the branch (`b`, PC-relative, no link) leaves `$ra` at 0, so frame walks and
// unwinders stop at `__strand_start`. No global pointer to set up: LoongArch has none.
#[cfg(not(test))]
#[no_mangle]
#[unsafe(naked)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        "move $fp, $zero",
        "move $ra, $zero",
        "move $a0, $sp",
        "bstrins.d $sp, $zero, 3, 0",
        "b {start}",
        "break 0",
        start = sym crate::rt::__strand_start,
    )
}

/// `set_thread_pointer`: makes `tp` the calling thread's thread pointer (loongarch64: writes the
/// `$tp` register, `$r2`, no syscall; LoongArch ELF psABI, "Register Convention"). Returns 0.
///
/// # Safety
/// `tp` must point at a control block laid out as [`TLS`] says, live for as long as the
/// thread runs.
pub unsafe fn set_thread_pointer(tp: *mut u8) -> usize {
    // SAFETY: `$tp` is reserved for the thread pointer (LoongArch ELF psABI, "Register
    // Convention"; LLVM never allocates it, and Rust refuses it as an operand) and only this
    // thread reads it; no syscall is needed (musl src/thread/loongarch64/__set_thread_area.s does
    // the same `move`). Not `nomem`: TLS accesses must not move across the change.
    unsafe { asm!("move $tp, {}", in(reg) tp, options(nostack, preserves_flags)) };
    0
}

/// `load_tp_u32`: a word of the calling thread's control block, read through [`thread_pointer`].
///
/// One load at an offset from `thread_pointer()` (no segment-relative addressing here).
pub use super::load_tp_u32_from_pointer as load_tp_u32;

/// `thread_pointer`: the calling thread's thread pointer, which is how it finds its control block.
///
/// A register read (`$tp`), no syscall; set by writing the register.
#[inline(always)]
pub fn thread_pointer() -> *mut u8 {
    let tp;
    // SAFETY: reading `$tp` touches no memory; it was set before any caller can run.
    unsafe { asm!("move {}, $tp", out(reg) tp, options(nomem, nostack, preserves_flags)) };
    tp
}

/// `clone_thread`: starts a thread with the raw `clone` (see the contract in `arch/mod.rs`); on
/// loongarch64 the child gets `tp` in its `$tp` register and jumps to `entry(arg)` with `$ra` 0.
///
/// loongarch selects none of the CLONE_BACKWARDS options (arch/loongarch/Kconfig), so the raw
/// clone argument order is the default (flags, stack, ptid, ctid, tls) (kernel/fork.c; musl
/// src/thread/loongarch64/clone.s passes them so); with CLONE_SETTLS `tls` becomes the child's
/// `$tp` (arch/loongarch/kernel/process.c, copy_thread).
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
    // SAFETY: the child starts on `stack_top` (16-byte aligned by the caller, as the psABI
    // wants; the psABI reserves nothing above a callee's frame) with the registers the parent
    // entered the kernel with, except `$a0 = 0` and `$tp` (copy_thread copies the parent's
    // saved pt_regs, which hold `$a0..$a7`), so `$a5`/`$a6` still hold entry/arg. `$fp = 0`
    // ends frame walks and the jump leaves `$ra = 0`, so nothing unwinds past `entry`. The child
    // never comes back into this function; the parent only sees `$a0`.
    unsafe {
        asm!(
            "syscall 0",
            "bnez $a0, 2f",
            "move $fp, $zero",
            "move $ra, $zero",
            "move $a0, $a6",
            "jirl $zero, $a5, 0",
            "break 0",
            "2:",
            in("$a7") __NR_clone as usize,
            inlateout("$a0") flags => r, in("$a1") stack_top, in("$a2") ptid, in("$a3") ctid,
            in("$a4") tp, in("$a5") entry, in("$a6") arg,
            out("$t0") _, out("$t1") _, out("$t2") _, out("$t3") _, out("$t4") _,
            out("$t5") _, out("$t6") _, out("$t7") _, out("$t8") _,
            options(nostack)
        )
    };
    r
}

/// `unmap_and_exit`: the end of a detached thread: unmaps `base..base + len`, its own stack
/// included, then exits, using only registers in between (loongarch64: `syscall 0` needs no
/// stack; musl src/thread/loongarch64/__unmapself.s is the same two traps).
///
/// # Safety
/// The calling thread runs on the mapping and must have nothing left to do; no other thread may
/// use the mapping.
pub unsafe fn unmap_and_exit(base: *mut u8, len: usize) -> ! {
    // SAFETY: after munmap nothing touches memory: the exit number is an immediate and its
    // argument a register.
    unsafe {
        asm!(
            "syscall 0",
            "move $a0, $zero",
            "ori $a7, $zero, {exit}",
            "syscall 0",
            "break 0",
            exit = const __NR_exit,
            in("$a7") __NR_munmap as usize,
            in("$a0") base, in("$a1") len,
            options(noreturn, nostack)
        )
    }
}

/// `STACK_GUARD`: where loongarch64 stack-protector code reads its canary.
///
/// Compilers read the stack-protector canary from the global `__stack_chk_guard` on LoongArch
/// Linux (GCC has no TLS guard option for LoongArch; LLVM's LoongArch backend uses the global
/// as well, which the `-Zstack-protector=all` build of the startup test checks).
pub const STACK_GUARD: StackGuard = StackGuard::Global;

/// `rt_sigaction`: installs and/or reads the disposition of signal `sig`, in loongarch64's
/// `struct sigaction`, which has no `sa_restorer`: the kernel supplies the return path.
///
/// loongarch does not define `__ARCH_HAS_SA_RESTORER`, so its `struct sigaction` is
/// `{handler, flags, mask}` (include/linux/signal_types.h; linux_raw_sys's loongarch64
/// `sigaction` has the same three fields), and the kernel returns a handler through the vDSO's
/// sigreturn: `setup_rt_frame` sets `$ra` to `vdso + vdso_offset_sigreturn`
/// (arch/loongarch/kernel/signal.c). QEMU 7.2 sets `$ra` to its own trampoline page
/// (linux-user/loongarch64/signal.c, setup_sigtramp). The only way this ABI has.
///
/// # Safety
/// `new.handler` is `SIG_DFL`, `SIG_IGN` or a handler that may run at any time on any thread.
pub unsafe fn rt_sigaction(sig: u32, new: Option<&Sigaction>, old: Option<&mut Sigaction>) -> usize {
    // SAFETY: per the contract.
    unsafe { super::sigaction::no_restorer(sig, new, old) }
}

/// `struct ucontext` (arch/loongarch/include/uapi/asm/ucontext.h): `uc_flags`, `uc_link`,
/// `uc_stack` (24 bytes), `uc_sigmask` (8), 120 unused bytes (room for a 1024-bit mask), then
/// `uc_mcontext` at 176, 16-byte aligned because `struct sigcontext` ends in a 16-byte aligned
/// `sc_extcontext[]` (uapi/asm/sigcontext.h): `sc_pc`, then `sc_regs[32]`, of which `$sp` is
/// `$r3`. QEMU 7.2 lays its frame out the same (linux-user/loongarch64/signal.c,
/// `target_ucontext`).
const UC_PC: usize = 176;
const UC_SP: usize = 176 + 8 + 3 * 8;
/// `uc_sigmask`, after `uc_flags`, `uc_link` and `uc_stack` (same header); `rt_sigreturn`
/// restores the mask from here (arch/loongarch/kernel/signal.c, `sys_rt_sigreturn`).
const UC_SIGMASK: usize = 16 + 24;

context_words!(UC_PC, UC_SP, UC_SIGMASK);

/// The cancellable syscall (see the contract in `arch/mod.rs`). `cancel` in `$a0`, `nr` in
/// `$a1`, `a1..a6` in `$a2..$a7`; the syscall wants the number in `$a7`, so `nr` waits in
/// `$t8` (a temporary the call may clobber anyway). A leaf with no frame, so the range needs no
/// prologue or epilogue. Every LoongArch instruction is 4 bytes: `__strand_cp_end` is 4 bytes
/// after `syscall 0`.
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
        "ld.w $t0, $a0, 0",
        "bnez $t0, __strand_cp_cancel",
        "move $t8, $a1",
        "move $a0, $a2",
        "move $a1, $a3",
        "move $a2, $a4",
        "move $a3, $a5",
        "move $a4, $a6",
        "move $a5, $a7",
        "move $a7, $t8",
        "syscall 0",
        "__strand_cp_end:",
        "jr $ra",
        "__strand_cp_cancel:",
        "addi.d $a0, $zero, {ecanceled}",
        "b __strand_cp_end",
        ecanceled = const -(sys::errno::ECANCELED as isize),
    )
}
