//! RISC-V Linux, both widths: riscv64 (LP64D) and riscv32 (ILP32D) (RISC-V ELF psABI; Linux
//! syscall convention).
//!
//! One file for both rows, because the kernel ABI is the same code at either width: the syscall,
//! clone, `_start`, TLS, signal and cancellation code below has no load or store of a full
//! register (no `ld`/`sd` against `lw`/`sw`, no frame to size), so a separate riscv32 file would
//! repeat all of it. What does differ is chosen by `target_pointer_width` here and nowhere else:
//! the `nr` table and `mmap_raw` (riscv32 has only the 64-bit-time syscalls and `mmap2`) and the
//! ucontext offsets (word-sized fields).
//!
//! Syscalls: `ecall` with the number in `a7`, arguments in `a0..a5`, the result in `a0` (man 2
//! syscall; arch/riscv/include/asm/syscall.h). The kernel saves every register on entry and
//! restores all but `a0` on return (arch/riscv/kernel/entry.S), so nothing else is clobbered.
//! Errors come back as `-4095..=-1` in `a0`, which is already strand's convention. On riscv32 a
//! 64-bit argument would take a register pair (musl arch/riscv32/syscall_arch.h,
//! `__SYSCALL_LL_E`); strand makes no such call (`mmap2` takes a page offset, the time64 calls
//! take pointers).

use super::{Sigaction, StackGuard, TlsAbi, TlsVariant};
use core::arch::{asm, naked_asm};
use sys::general::{__NR_clone, __NR_exit, __NR_munmap};

/// `sys`: the kernel's constants, syscall numbers and struct layouts for riscv64, from
/// `linux_raw_sys` (its riscv64 modules, generated from the kernel's uapi headers).
#[cfg(target_pointer_width = "64")]
pub use linux_raw_sys as sys;

/// `sys`: the kernel's constants, syscall numbers and struct layouts for riscv32, from
/// `linux_raw_sys` (its riscv32 modules, generated from the kernel's uapi headers), with one
/// name added (see `general`).
#[cfg(target_pointer_width = "32")]
pub mod sys {
    pub use linux_raw_sys::*;
    /// `linux_raw_sys::general`, plus `__NR_fcntl`.
    pub mod general {
        pub use linux_raw_sys::general::*;
        /// `fcntl`: on a 32-bit asm-generic ABI the kernel names its one `fcntl` (number 25,
        /// `__NR3264_fcntl`, `sys_fcntl64`) `__NR_fcntl64` and has no `__NR_fcntl`
        /// (include/uapi/asm-generic/unistd.h, `#if __BITS_PER_LONG == 32`); the commands
        /// strand's tests use (F_SETFL, F_SETOWN_EX, F_SETSIG, ...) are the same in both.
        #[allow(non_upper_case_globals)] // the kernel's name, as linux_raw_sys spells the others
        pub const __NR_fcntl: u32 = __NR_fcntl64;
    }
}

/// `mmap_raw`: an anonymous or offset-0 mapping with the plain `mmap` (riscv64: six register
/// arguments, byte offset; include/uapi/asm-generic/unistd.h).
///
/// 64-bit time and a register-argument `mmap`: the plain syscall names.
#[cfg(target_pointer_width = "64")]
pub use super::mmap_six_args as mmap_raw;
#[cfg(target_pointer_width = "64")]
nr_native! {
    /// No `alarm`: riscv uses the asm-generic table, which dropped it (include/uapi/asm-generic/unistd.h).
    pub const ALARM: Option<usize> = None;
}

// `nr` of riscv32: a 32-bit ABI born after the time64 work, whose asm-generic table is built
// without `__ARCH_WANT_TIME32_SYSCALLS` (arch/riscv/include/uapi/asm/unistd.h defines it for
// 64-bit only; include/uapi/asm-generic/unistd.h): `futex`, `clock_gettime`, `clock_nanosleep`
// and `rt_sigtimedwait` exist only as their 64-bit-time variants, with nothing 32-bit-time to fall
// back to (`linux_raw_sys`'s riscv32 module has no `__NR_futex`); ids are 32-bit in the plain
// calls, `mmap` is `mmap2`, and there is no `alarm`.
#[cfg(target_pointer_width = "32")]
nr_time64! {
    ids: plain,
    time32: none,
    /// `None`: the asm-generic table has no `alarm` (include/uapi/asm-generic/unistd.h), so
    /// `process::alarm` emulates it with `setitimer`.
    pub const ALARM: Option<usize> = None;
}

/// `mmap_raw`: an anonymous or offset-0 mapping with `mmap2` (riscv32: offset in 4096-byte
/// units; arch/riscv/kernel/sys_riscv.c, `sys_mmap2`).
///
/// # Safety
/// The caller upholds mmap's contract.
#[cfg(target_pointer_width = "32")]
#[inline]
pub unsafe fn mmap_raw(addr: usize, len: usize, prot: usize, flags: usize, fd: usize) -> usize {
    // SAFETY: the caller upholds mmap's contract; mmap2's offset is in 4096-byte units, and 0 is
    // 0 either way.
    unsafe { syscall6(nr::MMAP, addr, len, prot, flags, fd, 0) }
}

/// `TLS`: the static-TLS layout strand builds for each thread on riscv.
///
/// Variant I with neither gap nor bias: `tp` holds the address one past the end of the TCB, which
/// is where the first TLS block starts (RISC-V ELF psABI, "Thread Local Storage"). strand's Tcb
/// sits right below `tp`.
pub const TLS: TlsAbi = TlsAbi { variant: TlsVariant::I, gap: 0, bias: 0 };

/// `R_RELATIVE`: the relocation type strand's start-up applies to a static-pie on riscv.
///
/// `R_RISCV_RELATIVE` (B + A) (RISC-V ELF psABI, "Relocations"): the only relocation a
/// static-pie applies.
pub const R_RELATIVE: u32 = 3;
/// `r_info` is in the gABI's form on this ABI.
pub use super::r_info_unchanged as r_info_gabi;

/// `syscall0`: a syscall with no arguments, with `ecall` (riscv: number in a7, result in a0;
/// arch/riscv/include/asm/syscall.h).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall0(nr: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the syscall's own contract; registers per the kernel ABI above.
    unsafe { asm!("ecall", in("a7") nr, lateout("a0") r, options(nostack)) };
    r
}

/// `syscall1`: a one-argument syscall with `ecall` (riscv: number in a7, argument in a0;
/// arch/riscv/include/asm/syscall.h).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall1(nr: usize, a: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { asm!("ecall", in("a7") nr, inlateout("a0") a => r, options(nostack)) };
    r
}

/// `syscall2`: a two-argument syscall with `ecall` (riscv: number in a7, arguments in a0, a1;
/// arch/riscv/include/asm/syscall.h).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall2(nr: usize, a: usize, b: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { asm!("ecall", in("a7") nr, inlateout("a0") a => r, in("a1") b, options(nostack)) };
    r
}

/// `syscall3`: a three-argument syscall with `ecall` (riscv: number in a7, arguments in a0, a1,
/// a2; arch/riscv/include/asm/syscall.h).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("ecall", in("a7") nr, inlateout("a0") a => r, in("a1") b, in("a2") c, options(nostack))
    };
    r
}

/// `syscall4`: a four-argument syscall with `ecall` (riscv: number in a7, arguments in a0, a1,
/// a2, a3; arch/riscv/include/asm/syscall.h).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("ecall", in("a7") nr, inlateout("a0") a => r, in("a1") b, in("a2") c, in("a3") d,
             options(nostack))
    };
    r
}

/// `syscall5`: a five-argument syscall with `ecall` (riscv: number in a7, arguments in a0, a1,
/// a2, a3, a4; arch/riscv/include/asm/syscall.h).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall5(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("ecall", in("a7") nr, inlateout("a0") a => r, in("a1") b, in("a2") c, in("a3") d,
             in("a4") e, options(nostack))
    };
    r
}

/// `syscall6`: a six-argument syscall with `ecall` (riscv: number in a7, arguments in a0, a1, a2,
/// a3, a4, a5; arch/riscv/include/asm/syscall.h).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall6(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("ecall", in("a7") nr, inlateout("a0") a => r, in("a1") b, in("a2") c, in("a3") d,
             in("a4") e, in("a5") f, options(nostack))
    };
    r
}

// The kernel enters `_start` with `sp` pointing at argc. `gp` must hold `__global_pointer$`
// before any code the linker may have relaxed to gp-relative addressing runs; the `lla` itself
// must not be relaxed, or it would become `addi gp, gp, ...` on the still-unset `gp` (RISC-V ELF
// psABI, "Global-pointer relaxation"). The psABI wants `sp` 16-byte aligned at calls ("Integer Calling Convention"). `fp` and `ra` are zeroed and the jump
// leaves `ra` at 0, so frame walks and unwinders stop at `__strand_start`.
#[cfg(not(test))]
#[no_mangle]
#[unsafe(naked)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        ".option push",
        ".option norelax",
        "lla gp, __global_pointer$",
        ".option pop",
        "mv fp, zero",
        "mv ra, zero",
        "mv a0, sp",
        "andi sp, sp, -16",
        "tail {start}",
        "unimp",
        start = sym crate::rt::__strand_start,
    )
}

/// `set_thread_pointer`: makes `tp` the calling thread's thread pointer (riscv: writes the `tp`
/// register, no syscall; RISC-V ELF psABI, "Register Convention"). Returns 0.
///
/// # Safety
/// `tp` must point at a control block laid out as [`TLS`] says, live for as long as the
/// thread runs.
pub unsafe fn set_thread_pointer(tp: *mut u8) -> usize {
    // SAFETY: `tp` is reserved for the thread pointer (RISC-V ELF psABI, "Register Convention";
    // LLVM never allocates it) and only this thread reads it; no syscall is needed. Not `nomem`:
    // TLS accesses must not move across the change.
    unsafe { asm!("mv tp, {}", in(reg) tp, options(nostack, preserves_flags)) };
    0
}

/// `load_tp_u32`: a word of the calling thread's control block, read through [`thread_pointer`].
///
/// One load at an offset from `thread_pointer()` (no segment-relative addressing here).
pub use super::load_tp_u32_from_pointer as load_tp_u32;

/// `thread_pointer`: the calling thread's thread pointer, which is how it finds its control block.
///
/// A register read (`tp`), no syscall; set by writing the register.
#[inline(always)]
pub fn thread_pointer() -> *mut u8 {
    let tp;
    // SAFETY: reading `tp` touches no memory; it was set before any caller can run.
    unsafe { asm!("mv {}, tp", out(reg) tp, options(nomem, nostack, preserves_flags)) };
    tp
}

/// `clone_thread`: starts a thread with the raw `clone` (see the contract in `arch/mod.rs`); on
/// riscv the child gets `tp` in its `tp` register and jumps to `entry(arg)` with `ra` 0.
///
/// riscv selects CONFIG_CLONE_BACKWARDS (arch/riscv/Kconfig), so the raw clone argument order is
/// (flags, stack, ptid, tls, ctid) (kernel/fork.c); with CLONE_SETTLS `tls` becomes the child's
/// `tp` (arch/riscv/kernel/process.c, copy_thread).
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
    // wants) with the parent's registers except `a0 = 0` and `tp` (copy_thread), so `a5`/`a6`
    // still hold entry/arg. `fp = 0` ends frame walks and the jump leaves `ra = 0`, so nothing
    // unwinds past `entry`. The child never comes back into this function; the parent only sees
    // `a0`.
    unsafe {
        asm!(
            "ecall",
            "bnez a0, 2f",
            "mv fp, zero",
            "mv ra, zero",
            "mv a0, a6",
            "jr a5",
            "unimp",
            "2:",
            in("a7") __NR_clone as usize,
            inlateout("a0") flags => r, in("a1") stack_top, in("a2") ptid, in("a3") tp, in("a4") ctid,
            in("a5") entry, in("a6") arg,
            options(nostack)
        )
    };
    r
}

/// `unmap_and_exit`: the end of a detached thread: unmaps `base..base + len`, its own stack
/// included, then exits, using only registers in between (riscv: `ecall` needs no stack).
///
/// # Safety
/// The calling thread runs on the mapping and must have nothing left to do; no other thread may
/// use the mapping.
pub unsafe fn unmap_and_exit(base: *mut u8, len: usize) -> ! {
    // SAFETY: after munmap nothing touches memory: the exit number is an immediate and its
    // argument a register.
    unsafe {
        asm!(
            "ecall",
            "mv a0, zero",
            "li a7, {exit}",
            "ecall",
            "unimp",
            exit = const __NR_exit,
            in("a7") __NR_munmap as usize,
            in("a0") base, in("a1") len,
            options(noreturn, nostack)
        )
    }
}

/// `STACK_GUARD`: where riscv stack-protector code reads its canary.
///
/// Compilers read the stack-protector canary from the global `__stack_chk_guard` on riscv
/// Linux (GCC's default `-mstack-protector-guard=global`; LLVM likewise).
pub const STACK_GUARD: StackGuard = StackGuard::Global;

/// `rt_sigaction`: installs and/or reads the disposition of signal `sig`, in riscv's `struct
/// sigaction`, which has no `sa_restorer`: the kernel supplies the return path.
///
/// riscv's `struct sigaction` has no `sa_restorer`; the kernel returns a handler through the
/// vDSO's `__vdso_rt_sigreturn` (arch/riscv/kernel/signal.c, setup_rt_frame), the only way
/// this ABI has.
///
/// # Safety
/// `new.handler` is `SIG_DFL`, `SIG_IGN` or a handler that may run at any time on any thread.
pub unsafe fn rt_sigaction(sig: u32, new: Option<&Sigaction>, old: Option<&mut Sigaction>) -> usize {
    // SAFETY: per the contract.
    unsafe { super::sigaction::no_restorer(sig, new, old) }
}

/// `struct ucontext` (arch/riscv/include/uapi/asm/ucontext.h): `uc_flags`, `uc_link`,
/// `uc_stack` (three words), `uc_sigmask` (8 bytes), 120 reserved bytes (room for a 1024-bit
/// mask), then `uc_mcontext`, 16-byte aligned (its FP union holds the 16-byte aligned
/// `__riscv_q_ext_state`, uapi/asm/ptrace.h): at 176 on riscv64, at 160 on riscv32 (where musl's
/// `ucontext_t`, arch/riscv32/bits/signal.h, with a 128-byte `sigset_t` and a 16-byte aligned
/// `mcontext_t`, puts it too). `struct sigcontext` begins with
/// `struct user_regs_struct` (uapi/asm/ptrace.h: `pc, ra, sp, ...`, one word each).
const W: usize = core::mem::size_of::<usize>();
/// `uc_sigmask`, after `uc_flags`, `uc_link` and `uc_stack` (same header); `rt_sigreturn`
/// restores the mask from here (arch/riscv/kernel/signal.c, `rt_sigreturn`).
const UC_SIGMASK: usize = 5 * W;
const UC_MCONTEXT: usize = (UC_SIGMASK + 1024 / 8 + 15) & !15;
const UC_PC: usize = UC_MCONTEXT;
const UC_SP: usize = UC_MCONTEXT + 2 * W;
const _: () = assert!(UC_MCONTEXT == if W == 8 { 176 } else { 160 });

context_words!(UC_PC, UC_SP, UC_SIGMASK);

/// The cancellable syscall (see the contract in `arch/mod.rs`). `cancel` in `a0`, `nr` in `a1`,
/// `a1..a6` in `a2..a7`; the syscall wants the number in `a7`, so `nr` waits in `t1`. A leaf
/// with no frame, so the range needs no prologue or epilogue. `ecall` has no compressed form:
/// `__strand_cp_end` is 4 bytes after it.
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
        "lw t0, 0(a0)",
        "bnez t0, __strand_cp_cancel",
        "mv t1, a1",
        "mv a0, a2",
        "mv a1, a3",
        "mv a2, a4",
        "mv a3, a5",
        "mv a4, a6",
        "mv a5, a7",
        "mv a7, t1",
        "ecall",
        "__strand_cp_end:",
        "ret",
        "__strand_cp_cancel:",
        "li a0, {ecanceled}",
        "j __strand_cp_end",
        ecanceled = const -(sys::errno::ECANCELED as isize),
    )
}
