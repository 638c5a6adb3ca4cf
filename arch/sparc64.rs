//! sparc64 (SPARC V9 ELF ABI, 64-bit; Linux syscall convention), big-endian.
//!
//! Syscalls: `ta 0x6d` (software trap 109, the 64-bit Linux syscall trap: trap type 0x16d is
//! `LINUX_64BIT_SYSCALL_TRAP` in arch/sparc/kernel/ttable_64.S) with the number in `%g1` and the
//! arguments in `%o0..%o5`; the result comes back in `%o0` (arch/sparc/kernel/syscalls.S,
//! `linux_sparc_syscall`, which reads the user's `%o` registers as its `%i0..%i5` and stores the
//! result into `PT_V9_I0`). Errors are out of band: `ret_sys_call` sets the carry flag of both
//! `%icc` and `%xcc` and returns the *positive* errno; success clears carry. The asm below
//! negates `%o0` when `%xcc.c` is set, so every function returns strand's "-4095..=-1 is a
//! negated errno".
//!
//! What the kernel may change besides `%o0` and the condition codes: `%o1` (the second result
//! of `fork`/`clone`/`pipe`, arch/sparc/kernel/process_64.c `copy_thread`, sys_sparc_64.c
//! `sparc_pipe_real`), `%g1` (set to `__NR_restart_syscall` on a restart,
//! arch/sparc/kernel/signal_64.c `do_signal`) and `%g6` (where `do_signal` keeps `orig_i0`). All
//! other globals, `%o2..%o7`, the window registers and `%y` come back as they were (`etrap`
//! saves and `rtrap` restores them all; the comment in `do_signal` says glibc relies on
//! `%g2..%g5` surviving). `%g1`, `%g6` and `%g7` are registers Rust reserves (LLVM never
//! allocates them: `%g1` is its scratch, `%g6`/`%g7` belong to the system), so they cannot be
//! named as operands: the number is moved into `%g1` inside each template, and the kernel's
//! writes to `%g1`/`%g6` cannot destroy a value the compiler keeps there.
//!
//! The stack: `%sp` and `%fp` are *biased* by 2047 (the real address is `%sp + 2047`), the real
//! stack pointer is 16-byte aligned, and every frame owns at least 176 bytes above it: a
//! 128-byte save area where a trap or a window overflow may spill the frame's register window at
//! any moment, and six outgoing-argument words (SPARC V9 psABI, "Stack Frame";
//! arch/sparc/include/asm/ptrace.h `STACK_BIAS`, `STACKFRAME_SZ`).

use super::{Sigaction, StackGuard, TlsAbi, TlsVariant};
use crate::signal::SigSet;
use core::arch::{asm, naked_asm};
use core::ffi::c_void;
use core::cell::UnsafeCell;
use sys::general::{__NR_clone, __NR_exit, __NR_munmap, __NR_rt_sigaction, __NR_rt_sigreturn};

/// `sys`: the kernel's constants, syscall numbers and struct layouts for sparc64, from
/// `linux_raw_sys` (its sparc64 modules, generated from the kernel's uapi headers; `rt_sigaction`'s
/// struct is spelled out below).
pub use linux_raw_sys as sys;

/// `mmap_raw`: an anonymous or offset-0 mapping with the plain `mmap` (sparc64: six register
/// arguments, byte offset).
///
/// 64-bit time, and number 71 is a plain six-register `mmap` (arch/sparc/kernel/sys_sparc_64.c
/// `SYSCALL_DEFINE6(mmap, ...)`; arch/sparc/kernel/syscalls/syscall.tbl).
pub use super::mmap_six_args as mmap_raw;
nr_native! {
    /// `alarm` is syscall 27 (arch/sparc/kernel/syscalls/syscall.tbl).
    pub const ALARM: Option<usize> = Some(super::sys::general::__NR_alarm as usize);
}

/// The stack bias of the 64-bit ABI: `%sp`/`%fp` hold the real address minus this
/// (arch/sparc/include/asm/ptrace.h `STACK_BIAS`; SPARC V9 psABI, "Stack Bias").
const BIAS: usize = 2047;
/// The least frame the ABI lets a caller own: the 16-word register window save area and six
/// outgoing-argument words (SPARC V9 psABI, "Stack Frame"; a multiple of 16).
const FRAME: usize = 176;

/// `R_RELATIVE`: the relocation type strand's start-up applies to a static-pie on sparc64.
///
/// `R_SPARC_RELATIVE` (B + A) (SPARC Compliance Definition 2.4.1, "Relocation Types"; the same
/// number for 64-bit): the only relocation a static-pie applies.
pub const R_RELATIVE: u32 = 22;
/// `r_info` is in the gABI's form on this ABI.
pub use super::r_info_unchanged as r_info_gabi;

/// `TLS`: the static-TLS layout strand builds for each thread on sparc64.
///
/// Variant II: `%g7` points at the TCB, whose first word is a pointer to itself; the TLS block
/// lies below (Drepper's TLS paper, 3.4.2, lists SPARC with variant II; the local-exec code the
/// compilers emit adds a negative `%tle_hix22/%tle_lox10` offset to `%g7`).
pub const TLS: TlsAbi = TlsAbi { variant: TlsVariant::II, gap: 0, bias: 0 };

// The syscalls are those of `sparc_sc.rs`, shared with sparc.rs, with this ABI's trap and carry
// test: `ta 0x6d`, and `bcs,a,pn` on `%xcc` (arch/sparc/kernel/syscalls.S, `ret_sys_call`).
macro_rules! syscall_trap {
    () => {
        "ta 0x6d"
    };
}
macro_rules! carry_branch {
    () => {
        "bcs,a,pn %xcc, 2f"
    };
}
#[path = "sparc_sc.rs"]
mod sc;
pub use sc::{syscall0, syscall1, syscall2, syscall3, syscall4, syscall5, syscall6};

// The kernel enters `_start` with `%sp = argc_address - 128 - 2047`: one register window save
// area below argc, biased (arch/sparc/include/asm/processor_64.h `start_thread`, which stores
// `sp - sizeof(struct reg_window) - STACK_BIAS` as the user `%sp`). argc is therefore at
// `%sp + 2047 + 128`. Zero `%fp` and `%i7` so a frame walk that reaches this window's save area
// stops, realign the real stack pointer to 16 (fs/binfmt_elf.c already does; this keeps it
// true whatever the loader did) and give the callee the 176-byte frame it may spill into.
// `call` leaves its return address in `%o7`; the `unimp` after it traps if
// `__strand_start` ever returned. Before all that, `%g7` goes to the provisional control block
// (`arch::BOOT_TCB` + `BOOT_TP_DELTA`), so stack-protector prologues can read `[%g7+0x28]` from
// the first call. Its address is computed relative to the program counter, so that the same
// code runs in a static-pie loaded anywhere without a text relocation (GNU ld refuses one
// with `-z text`): `%pc22`/`%pc10` (R_SPARC_PC22/PC10, SPARC Compliance Definition 2.4.1) give
// the hi/lo parts of `BOOT_TCB` minus the instruction's own address, each addend chosen so both
// count from the `rd %pc` two and one instructions on; `sra ..., 0` sign-extends the 32-bit
// offset (BOOT_TCB may lie below `_start`: lld puts .rodata first); adding `%pc` makes it the
// run-time address.
#[cfg(not(test))]
#[no_mangle]
#[unsafe(naked)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        "sethi %pc22({boot} - 8), %g7",
        "or %g7, %pc10({boot} - 4), %g7",
        "rd %pc, %g1",
        "sra %g7, 0, %g7",
        "add %g7, %g1, %g7",
        "add %g7, {delta}, %g7",
        "mov %g0, %fp",
        "mov %g0, %i7",
        "add %sp, {argc}, %o0",
        "add %sp, {bias}, %g1",
        "and %g1, -16, %g1",
        "sub %g1, {frame}, %sp",
        "call {start}",
        "nop",
        "unimp 0",
        argc = const BIAS + 128,
        bias = const BIAS,
        frame = const FRAME + BIAS,
        boot = sym super::BOOT_TCB,
        delta = const super::BOOT_TP_DELTA,
        start = sym crate::rt::__strand_start,
    )
}

/// `set_thread_pointer`: makes `tp` the calling thread's thread pointer (sparc64: writes `%g7`, no
/// syscall; SPARC V9 psABI, "Thread-Local Storage"). Returns 0.
///
/// # Safety
/// `tp` must point at a control block laid out as [`TLS`] says, live for as long as the
/// thread runs.
pub unsafe fn set_thread_pointer(tp: *mut u8) -> usize {
    // The thread pointer is `%g7`, an ordinary register user code may write: no syscall
    // (SPARC V9 psABI, "Thread-Local Storage"; the kernel saves and restores it with the other
    // globals, and CLONE_SETTLS writes the child's, arch/sparc/kernel/process_64.c
    // `copy_thread`). Rust cannot name `%g7` as an operand, so the template moves it.
    // SAFETY: `%g7` holds only this thread's thread pointer; start-up sets it before any TLS
    // access, and LLVM never allocates `%g7` to anything else.
    unsafe { asm!("mov {}, %g7", in(reg) tp, options(nostack, preserves_flags)) };
    0
}

/// `load_tp_u32`: a word of the calling thread's control block, read through [`thread_pointer`].
///
/// One load at an offset from `thread_pointer()` (no segment-relative addressing here).
pub use super::load_tp_u32_from_pointer as load_tp_u32;

/// `thread_pointer`: the calling thread's thread pointer, which is how it finds its control block.
///
/// A register read (`%g7`), no syscall; set by writing the register.
#[inline(always)]
pub fn thread_pointer() -> *mut u8 {
    let tp;
    // SAFETY: reading `%g7` touches no memory and changes no flags; start-up and clone set it
    // before any thread reads it.
    unsafe { asm!("mov %g7, {}", out(reg) tp, options(nomem, nostack, preserves_flags)) };
    tp
}

/// `clone_thread`: starts a thread with the raw `clone` (see the contract in `arch/mod.rs`); on
/// sparc64 the child gets `tp` in `%g7`, sets its own `%sp` 176 bytes (plus the 2047 bias) below
/// `stack_top`, and calls `entry(arg)`.
///
/// sparc clone argument order is (flags, stack, ptid, tls, ctid), the CLONE_BACKWARDS order,
/// though sparc has its own entry rather than the generic one: arch/sparc/kernel/process.c
/// `sparc_clone` reads flags, stack, ptid, tls and ctid from `%o0..%o4` (the trap frame's
/// `UREG_I0..I4`). With CLONE_SETTLS the child's `%g7` is `tls` (process_64.c `copy_thread`).
///
/// The stack argument is the child's biased `%sp`. The kernel copies the parent's current frame
/// below it and starts the child there (process_64.c `clone_stackframe`); QEMU user mode starts
/// the child at exactly that `%sp`. The child therefore sets `%sp` itself, which works for both:
/// `stack_top - 176` is its 16-byte aligned real stack pointer, and the 176 bytes up to
/// `stack_top` are the frame it owns (its window may be spilled there from its first
/// instruction). After the trap both sides run on: the parent has `%o1 == 0`, the child
/// `%o1 == 1` (copy_thread; QEMU agrees: linux-user/sparc/target_cpu.h `cpu_clone_regs_*`,
/// which also sets the child's `%sp` to the argument). On failure the kernel restores
/// the parent's `%o1` (the non-zero stack argument) and sets carry, so carry is tested first.
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
    let child_sp = (stack_top as usize).wrapping_sub(FRAME + BIAS);
    let r;
    // SAFETY: the child's globals are copies of the parent's (copy_thread copies the trap frame;
    // QEMU copies the CPU state), so `%g2..%g4` still hold entry, arg and the stack pointer.
    // The child sets `%sp` to its own frame below `stack_top` (which the caller keeps free),
    // zeroes `%fp` and `%i7` so frame walks stop at its window, and calls `entry(arg)`, which
    // never returns (the `unimp` would trap). The parent only sees `%o0` (tid or negated errno)
    // and `%o1`, both declared; the child's writes to `%sp`, `%fp`, `%i7` and `%o7` happen on
    // the path that never comes back into this function.
    unsafe {
        asm!(
            "mov {nr}, %g1",
            "ta 0x6d",
            "bcs,a,pn %xcc, 3f",
            "sub %g0, %o0, %o0",
            "brz,pt %o1, 3f",
            "nop",
            "mov %g4, %sp",
            "mov %g0, %fp",
            "mov %g0, %i7",
            "call %g2",
            "mov %g3, %o0",
            "unimp 0",
            "3:",
            nr = const __NR_clone,
            inlateout("o0") flags => r, inlateout("o1") child_sp => _, in("o2") ptid, in("o3") tp,
            in("o4") ctid,
            in("g2") entry, in("g3") arg, in("g4") child_sp,
            options(nostack)
        )
    };
    r
}

/// A scratch frame for the last two syscalls of a thread that unmaps its own stack: see
/// `unmap_and_exit`. Only the kernel writes and reads it (as a register window save area);
/// what it holds never matters, so exiting threads may share it.
#[repr(C, align(16))]
struct ExitFrame(UnsafeCell<[u8; FRAME]>);
// SAFETY: no Rust code reads or writes the bytes; see `unmap_and_exit`.
unsafe impl Sync for ExitFrame {}
static EXIT_FRAME: ExitFrame = ExitFrame(UnsafeCell::new([0; FRAME]));

/// `unmap_and_exit`: the end of a detached thread: unmaps `base..base + len`, its own stack
/// included, then exits: it flushes its register windows and moves `%sp` to a static scratch frame
/// first, so that no window spill targets the unmapped stack (arch/sparc/kernel/process_64.c).
///
/// # Safety
/// The calling thread runs on the mapping and must have nothing left to do; no other thread may
/// use the mapping.
pub unsafe fn unmap_and_exit(base: *mut u8, len: usize) -> ! {
    // A register window lives in registers and is written to its frame's save area
    // (`%sp + 2047`) whenever the kernel needs the window: on a window overflow inside the
    // kernel's own calls, a context switch, or a signal. None of that may target the stack
    // being unmapped: a spill that cannot be written is kept by the kernel and turned into a
    // SIGSEGV at the return to user mode (arch/sparc/kernel/process_64.c
    // `fault_in_user_windows`), and a window spilled while the stack was still mapped is
    // refilled from it on that return (rtrap_64.S through `user_rtt_fill_64bit`,
    // arch/sparc/include/asm/ttable.h), which faults once the stack is gone. Two steps:
    // - `flushw` writes every older window of this thread to its own frame now, while the stack
    //   is still mapped, and leaves only the current window in the register file;
    // - `%sp` moves to a static scratch frame, so the current window, if the kernel spills it
    //   during munmap or exit, goes there (and a refill brings back only `%l`/`%i` values that
    //   nothing after the munmap reads: the rest uses `%o0` and `%g1`).
    // SAFETY: after the munmap nothing touches the unmapped memory: the numbers are immediates,
    // the arguments registers, and the only memory the kernel may use is the scratch frame.
    unsafe {
        asm!(
            "flushw",
            "mov {sp}, %sp",
            "mov {munmap}, %g1",
            "ta 0x6d",
            "mov %g0, %o0",
            "mov {exit}, %g1",
            "ta 0x6d",
            "unimp 0",
            sp = in(reg) (EXIT_FRAME.0.get() as usize).wrapping_sub(BIAS),
            munmap = const __NR_munmap,
            exit = const __NR_exit,
            in("o0") base, in("o1") len,
            options(noreturn, nostack)
        )
    }
}

/// `STACK_GUARD`: where sparc64 stack-protector code reads its canary.
///
/// The canary of `-Zstack-protector` code is at `%g7 + 0x28` (glibc's sparc64
/// `tcbhead_t.stack_guard`, sysdeps/sparc/sparc64/stackguard-macros.h `ldx [%g7+0x28]`, which
/// GCC, `TARGET_THREAD_SSP_OFFSET`, and LLVM hard-code).
pub const STACK_GUARD: StackGuard = StackGuard::TpRelative(0x28);

/// sparc's `struct sigaction`: `{handler, flags, restorer, mask}`, the generic layout with
/// `__ARCH_HAS_SA_RESTORER` (arch/sparc/include/asm/signal.h; include/linux/signal_types.h),
/// though the kernel never reads `sa_restorer`: it takes the restorer from a syscall argument
/// (below). linux-raw-sys 0.12's sparc64 `kernel_sigaction` lacks the restorer word, so the
/// layout is spelled out here.
#[repr(C)]
struct KernelSigaction {
    handler: usize,
    flags: usize,
    restorer: usize,
    mask: SigSet,
}

/// `rt_sigaction`: installs and/or reads the disposition of signal `sig`, in sparc64's `struct
/// sigaction`, passing strand's own `rt_sigreturn` trampoline as the fifth syscall argument
/// (arch/sparc/kernel/sys_sparc_64.c).
///
/// `rt_sigaction(sig, act, oact, restorer, sigsetsize)`: five arguments on sparc64
/// (arch/sparc/Kconfig selects ODD_RT_SIGACTION, so kernel/signal.c leaves the four-argument
/// one out, and arch/sparc/kernel/sys_sparc_64.c `SYSCALL_DEFINE5(rt_sigaction, ...)` stores
/// `restorer` as `ka_restorer`). The kernel starts a handler with `%o7 = ka_restorer`
/// (signal_64.c `setup_rt_frame` sets `u_regs[UREG_I7]`, the user's `%o7`), and a handler
/// returns with `ret`/`retl`, to `%o7 + 8`; so the argument is the trampoline's address minus 8.
/// There is no kernel-provided return path on sparc64 (no vDSO trampoline; QEMU too calls
/// `ka_restorer` mandatory), so every handler is installed with strand's own. No `SA_*` bit is
/// involved, and the flags come back exactly as set.
///
/// # Safety
/// `new.handler` is `SIG_DFL`, `SIG_IGN` or a handler that may run at any time on any thread.
pub unsafe fn rt_sigaction(sig: u32, new: Option<&Sigaction>, old: Option<&mut Sigaction>) -> usize {
    let k_new = new.map(|a| KernelSigaction { handler: a.handler, flags: a.flags, restorer: 0, mask: a.mask });
    let mut k_old = KernelSigaction { handler: 0, flags: 0, restorer: 0, mask: SigSet::EMPTY };
    let new_ptr = k_new.as_ref().map_or(core::ptr::null(), |a| a as *const KernelSigaction);
    let restorer = (restore_rt as unsafe extern "C" fn() -> ! as usize).wrapping_sub(8);
    // SAFETY: both pointers are null or point at live structs of the kernel's layout; the
    // handler's validity is the caller's contract, and the trampoline performs rt_sigreturn.
    let r = unsafe {
        syscall5(
            __NR_rt_sigaction as usize,
            sig as usize,
            new_ptr as usize,
            &mut k_old as *mut KernelSigaction as usize,
            restorer,
            core::mem::size_of::<SigSet>(),
        )
    };
    if let Some(old) = old {
        *old = Sigaction { handler: k_old.handler, flags: k_old.flags, mask: k_old.mask };
    }
    r
}

/// A handler's `ret` lands here with `%sp` at the kernel's signal frame (signal_64.c
/// `setup_rt_frame` points `%sp` at it, and the handler's `restore` brings it back);
/// rt_sigreturn (101, syscall.tbl) finds the frame at `%sp + 2047` (`do_rt_sigreturn`), so
/// nothing here touches the stack.
#[unsafe(naked)]
unsafe extern "C" fn restore_rt() -> ! {
    naked_asm!("mov {nr}, %g1", "ta 0x6d", "unimp 0", nr = const __NR_rt_sigreturn)
}

// The third argument of an SA_SIGINFO handler is *not* a ucontext on sparc64: the kernel passes
// `&sf->info` in both `%o1` and `%o2`, "because of how it is defined in GLIBC's
// bits/sigcontext.h for sparc64. It includes the 128 bytes of siginfo_t"
// (arch/sparc/kernel/signal_64.c, `setup_rt_frame`). In `struct rt_signal_frame` the 128-byte
// `siginfo_t` is followed by the saved `struct pt_regs` (arch/sparc/include/uapi/asm/ptrace.h:
// `u_regs[16], tstate, tpc, tnpc, y, magic`), which `do_rt_sigreturn` restores. So the
// accessors read that `pt_regs` at 128 bytes past the pointer. The interrupted `%sp` is
// `u_regs[UREG_FP]` (`UREG_I6` = 14: the trap window's `%i6` is the user's `%o6`), biased.
const CTX_REGS: usize = 128;
const CTX_SP: usize = CTX_REGS + 14 * 8;
const CTX_TPC: usize = CTX_REGS + 17 * 8;
const CTX_TNPC: usize = CTX_TPC + 8;
// The mask `do_rt_sigreturn` restores is the frame's own `mask`, after `pt_regs` (160 bytes:
// `TRACEREG_SZ`, uapi/asm/ptrace.h), `fpu_save` (a pointer) and `stack` (`stack_t`: `ss_sp`,
// `ss_flags`, `ss_size`, 24 bytes; uapi/asm/signal.h) in `struct rt_signal_frame`
// (signal_64.c). QEMU's sparc64 frame has the same order (linux-user/sparc/signal.c).
const CTX_SIGMASK: usize = CTX_REGS + 160 + 8 + 24;

/// `context_pc`: the interrupted program counter (`tpc` of the `pt_regs` saved after the siginfo,
/// which is what a sparc64 handler's third argument points at; arch/sparc/kernel/signal_64.c).
///
/// # Safety
/// `uc` is the third argument of an SA_SIGINFO handler that is still running.
pub unsafe fn context_pc(uc: *const c_void) -> usize {
    // SAFETY: per the contract, `tpc` is an aligned word of the signal frame.
    unsafe { uc.byte_add(CTX_TPC).cast::<usize>().read() }
}

/// `context_sp`: the interrupted stack pointer, unbiased (the saved `%o6` plus 2047).
///
/// # Safety
/// As for [`context_pc`].
pub unsafe fn context_sp(uc: *const c_void) -> usize {
    // SAFETY: as for context_pc (`u_regs[UREG_FP]`).
    unsafe { uc.byte_add(CTX_SP).cast::<usize>().read() }.wrapping_add(BIAS)
}

/// `set_context_pc`: makes the thread resume at `pc` when the handler returns.
///
/// Sets `tpc` and `tnpc` (`pc + 4`): the thread resumes at `pc` and goes on in sequence.
///
/// # Safety
/// As for [`context_pc`]; the thread resumes at `pc` with the interrupted registers and stack.
pub unsafe fn set_context_pc(uc: *mut c_void, pc: usize) {
    // SAFETY: as for context_pc; rt_sigreturn loads both from here (and requires them 4-byte
    // aligned, as every instruction address is).
    unsafe {
        uc.byte_add(CTX_TPC).cast::<usize>().write(pc);
        uc.byte_add(CTX_TNPC).cast::<usize>().write(pc.wrapping_add(4));
    }
}

/// `context_sigmask`: the mask the thread gets back when the handler returns: the `mask` of the
/// kernel's `struct rt_signal_frame` (arch/sparc/kernel/signal_64.c).
///
/// # Safety
/// As for [`context_pc`]; what is written there becomes the thread's mask when the handler
/// returns.
pub unsafe fn context_sigmask(uc: *mut c_void) -> *mut SigSet {
    // SAFETY: per the contract, `mask` is an aligned `sigset_t` of the signal frame.
    unsafe { uc.byte_add(CTX_SIGMASK).cast() }
}

/// The cancellable syscall (see the contract in `arch/mod.rs`). SPARC V9 psABI: `cancel` in
/// `%o0`, `nr` in `%o1`, `a1..a4` in `%o2..%o5`, `a5`/`a6` in the caller's outgoing-argument
/// words at `%sp + 2047 + 176` and `+ 184`. A leaf that stays in the caller's register window
/// (no `save`), so the range needs no prologue. After the trap the epilogue turns a set carry's
/// positive errno into the negated one, as the `syscallN` do; the cancel path joins after that.
/// `%g1` (the number) is scratch in the psABI. Delay slots are written out. The branch to the
/// cancel path targets a local label at the same address: a `brnz` to the global symbol would
/// need an R_SPARC_WDISP16 relocation, which lld does not support.
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
        "lduw [%o0], %g1",
        "brnz,pn %g1, 2f",
        "nop",
        "mov %o1, %g1",
        "mov %o2, %o0",
        "mov %o3, %o1",
        "mov %o4, %o2",
        "mov %o5, %o3",
        "ldx [%sp + {a5}], %o4",
        "ldx [%sp + {a6}], %o5",
        "ta 0x6d",
        "__strand_cp_end:",
        "bcs,a,pn %xcc, 1f",
        "sub %g0, %o0, %o0",
        "1:",
        "retl",
        "nop",
        "__strand_cp_cancel:",
        "2:",
        "ba 1b",
        "mov {ecanceled}, %o0",
        a5 = const BIAS + FRAME,
        a6 = const BIAS + FRAME + 8,
        ecanceled = const -(sys::errno::ECANCELED as isize),
    )
}
