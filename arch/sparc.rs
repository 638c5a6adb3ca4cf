//! 32-bit sparc, V8+ (SPARC V9 instructions under the 32-bit SPARC ABI; Linux syscall
//! convention), big-endian.
//!
//! Syscalls: `ta 0x10` (software trap 16, the 32-bit Linux syscall trap: trap type 0x90, whose
//! trap-table entry is the `LINUX_SYSCALL_TRAP` macro of arch/sparc/include/asm/head_32.h, and
//! 0x110, `LINUX_32BIT_SYSCALL_TRAP`, in ttable_64.S for a 32-bit task on a 64-bit kernel) with
//! the number in `%g1` and the arguments in `%o0..%o5`; the result comes back in `%o0`
//! (arch/sparc/kernel/entry.S `linux_sparc_syscall`; syscalls.S `linux_sparc_syscall32`). Errors are out of band: the return path sets the carry flag of
//! `%icc` (`PSR_C`) and returns the *positive* errno; success clears carry (entry.S
//! `ret_sys_call`). The asm below negates `%o0` when carry is set, so every function returns
//! strand's "-4095..=-1 is a negated errno".
//!
//! What the kernel may change besides `%o0` and the condition codes: `%o1` (the second result
//! of `fork`/`clone`/`pipe`: arch/sparc/kernel/process_32.c `copy_thread`, sys_sparc_32.c
//! `sparc_pipe`), `%g1` (set to `__NR_restart_syscall` on a restart, arch/sparc/kernel/
//! signal_32.c `do_signal`) and `%g6` (where `do_signal` keeps `orig_i0`). The other globals,
//! `%o2..%o7`, the window registers and `%y` come back as they were (the comment in
//! `do_signal` says glibc relies on `%g2..%g5` surviving). `%g1`, `%g6` and `%g7` are registers
//! Rust reserves (LLVM never allocates them), so they cannot be operands: the number is moved
//! into `%g1` inside each template, as in `arch/sparc64.rs`.
//!
//! The stack: no bias (`%sp` is the real address), 8-byte aligned, and every frame owns at
//! least 96 bytes above `%sp`: a 64-byte area where the frame's register window (16 words) may
//! be spilled at any moment, the hidden struct-return word, and six outgoing-argument words
//! (SPARC Compliance Definition 2.4.1 / SPARC V8 psABI, "Stack Frame";
//! arch/sparc/include/asm/ptrace.h `STACKFRAME_SZ` for 32-bit).
//!
//! V8+: the code runs on V9 hardware (or `qemu-sparc32plus`), so V9 instructions (`flushw`,
//! `rd %pc`) are there; registers are used as 32-bit values, and the condition codes tested
//! are `%icc`'s, which the 32-bit kernel path sets (a 64-bit kernel sets both `%icc` and `%xcc`).

use super::{Sigaction, StackGuard, TlsAbi, TlsVariant};
use crate::signal::SigSet;
use core::arch::{asm, naked_asm};
use core::cell::UnsafeCell;
use sys::general::{__NR_clone, __NR_exit, __NR_munmap, __NR_rt_sigaction, __NR_rt_sigreturn};

/// `sys`: the kernel's constants, syscall numbers and struct layouts for 32-bit sparc, from
/// `linux_raw_sys` (its sparc modules, generated from the kernel's uapi headers; `rt_sigaction`'s
/// struct is spelled out below).
pub use linux_raw_sys as sys;

// `nr`: 32-bit sparc has the 64-bit-time syscalls (futex_time64 422, clock_gettime64 403,
// clock_nanosleep_time64 407, rt_sigtimedwait_time64 421), `mmap2` (56; arch/sparc/kernel/
// sys_sparc_32.c, unit `PAGE_SHIFT - 12`: 4096 bytes), the `*32` uid/gid calls (the plain ones
// are `sys_*16` for 32-bit tasks: `24 32 getuid sys_getuid16`, `44 32 getuid32 sys_getuid`) and
// the 32-bit-time originals (arch/sparc/kernel/syscalls/syscall.tbl).
nr_time64! {
    ids: wide32,
    time32: fallback,
    /// `alarm` is syscall 27 for every sparc task (syscall.tbl `27 common alarm`).
    pub const ALARM: Option<usize> = Some(g::__NR_alarm as usize);
}

/// The least frame the ABI lets a caller own: the 16-word register window save area, the
/// hidden struct-return word and six outgoing-argument words, 96 bytes (SPARC V8 psABI,
/// "Stack Frame"; arch/sparc/include/asm/ptrace.h `STACKFRAME_SZ`, `sizeof(struct
/// sparc_stackf)` for 32-bit). A multiple of 16, so a 16-byte aligned top stays 16-aligned.
const FRAME: usize = 96;
/// Where the first stack-passed argument (the seventh) lies from a function's `%sp` at entry:
/// past the 64-byte window save area, the struct-return word and the six argument words' homes
/// (SPARC V8 psABI, "Function Calling Sequence": `%sp + 92`).
const STACK_ARGS: usize = 92;

/// `R_RELATIVE`: the relocation type strand's start-up applies to a static-pie on 32-bit sparc.
///
/// `R_SPARC_RELATIVE` (B + A) (SPARC Compliance Definition 2.4.1, "Relocation Types"): the only
/// relocation a static-pie applies.
pub const R_RELATIVE: u32 = 22;
/// `r_info` is in the gABI's form on this ABI.
pub use super::r_info_unchanged as r_info_gabi;

/// `TLS`: the static-TLS layout strand builds for each thread on 32-bit sparc.
///
/// Variant II: `%g7` points at the TCB, whose first word is a pointer to itself; the TLS block
/// lies below (Drepper's TLS paper, 3.4.2, lists SPARC with variant II; the local-exec code the
/// compilers emit adds a negative `%tle_hix22/%tle_lox10` offset to `%g7`).
pub const TLS: TlsAbi = TlsAbi { variant: TlsVariant::II, gap: 0, bias: 0 };

// The syscalls are those of `sparc_sc.rs`, shared with sparc64.rs, with this ABI's trap and
// carry test: `ta 0x10`, and `bcs,a` on `%icc` (arch/sparc/kernel/entry.S, `ret_sys_call`).
macro_rules! syscall_trap {
    () => {
        "ta 0x10"
    };
}
macro_rules! carry_branch {
    () => {
        "bcs,a 2f"
    };
}
#[path = "sparc_sc.rs"]
mod sc;
pub use sc::{syscall0, syscall1, syscall2, syscall3, syscall4, syscall5, syscall6};

/// `mmap_raw`: an anonymous or offset-0 mapping with `mmap2` (32-bit sparc: offset in 4096-byte
/// units; arch/sparc/kernel/syscalls/syscall.tbl).
///
/// # Safety
/// The caller upholds mmap's contract.
#[inline]
pub unsafe fn mmap_raw(addr: usize, len: usize, prot: usize, flags: usize, fd: usize) -> usize {
    // SAFETY: the caller upholds mmap's contract; mmap2's offset is in 4096-byte units, and 0 is
    // 0 either way.
    unsafe { syscall6(nr::MMAP, addr, len, prot, flags, fd, 0) }
}

// The kernel enters `_start` with `%sp = argc_address - 64`: one 32-bit register window save
// area below argc (arch/sparc/include/asm/processor_32.h `start_thread` stores
// `sp - sizeof(struct reg_window32)` as the user `%sp`; processor_64.h `start_thread32` the same
// for a 32-bit task on a 64-bit kernel; QEMU 7.2's linux-user/elfload.c `init_thread` for
// TARGET_ABI32, `start_stack - 16 * 4`). argc is therefore at `%sp + 64`. Zero `%fp` and `%i7`
// so a frame walk that reaches this window's save area stops, align the stack pointer to 16
// (more than the ABI's 8; fs/binfmt_elf.c already does) and give the callee the 96-byte frame
// it may spill into. `call` leaves its return address in `%o7`; the `unimp` after it traps if
// `__strand_start` ever returned. Before all that, `%g7` goes to the provisional control block
// (`arch::BOOT_TCB` + `BOOT_TP_DELTA`), so stack-protector prologues can read `[%g7+0x14]` from
// the first call. Its address is computed relative to the program counter, so that the same
// code runs in a static-pie loaded anywhere without a text relocation: `%pc22`/`%pc10`
// (R_SPARC_PC22/PC10, SPARC Compliance Definition 2.4.1) give the hi/lo parts of `BOOT_TCB`
// minus the instruction's own address, each addend chosen so both count from the `rd %pc`
// (a V9 instruction, there on V8+) two and one instructions on; adding `%pc` makes it the
// run-time address (32-bit wrap-around arithmetic: a `BOOT_TCB` below `_start` works too).
#[cfg(not(test))]
#[no_mangle]
#[unsafe(naked)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        "sethi %pc22({boot} - 8), %g7",
        "or %g7, %pc10({boot} - 4), %g7",
        "rd %pc, %g1",
        "add %g7, %g1, %g7",
        "add %g7, {delta}, %g7",
        "mov %g0, %fp",
        "mov %g0, %i7",
        "add %sp, 64, %o0",
        "and %sp, -16, %g1",
        "sub %g1, {frame}, %sp",
        "call {start}",
        "nop",
        "unimp 0",
        frame = const FRAME,
        boot = sym super::BOOT_TCB,
        delta = const super::BOOT_TP_DELTA,
        start = sym crate::rt::__strand_start,
    )
}

/// `set_thread_pointer`: makes `tp` the calling thread's thread pointer (32-bit sparc: writes
/// `%g7`, no syscall; SPARC psABI, "Thread-Local Storage"). Returns 0.
///
/// # Safety
/// `tp` must point at a control block laid out as [`TLS`] says, live for as long as the
/// thread runs.
pub unsafe fn set_thread_pointer(tp: *mut u8) -> usize {
    // The thread pointer is `%g7`, an ordinary register user code may write: no syscall (the
    // kernel saves and restores it with the other globals, and CLONE_SETTLS writes the child's,
    // arch/sparc/kernel/process_32.c `copy_thread`). Rust cannot name `%g7` as an operand, so
    // the template moves it.
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
/// 32-bit sparc the child gets `tp` in `%g7`, sets its own `%sp` 96 bytes below `stack_top`, and
/// calls `entry(arg)`.
///
/// sparc clone argument order is (flags, stack, ptid, tls, ctid): arch/sparc/kernel/process.c
/// `sparc_clone` reads them from `%o0..%o4` (the trap frame's `UREG_I0..I4`). With
/// CLONE_SETTLS the child's `%g7` is `tls` (process_32.c `copy_thread`).
///
/// The stack argument is the child's `%sp`. The kernel copies the parent's current frame below
/// it and starts the child there (process_32.c `clone_stackframe`); QEMU user mode starts the
/// child at exactly that `%sp`. The child therefore sets `%sp` itself, which works for both:
/// `stack_top - 96` is its 16-byte aligned stack pointer, and the 96 bytes up to `stack_top`
/// are the frame it owns (its window may be spilled there from its first instruction). After
/// the trap both sides run on: the parent has `%o1 == 0`, the child `%o1 == 1` (copy_thread;
/// QEMU 7.2 agrees: linux-user/sparc/target_cpu.h `cpu_clone_regs_child`/`_parent`). On
/// failure the kernel leaves the parent's `%o1` (the non-zero stack argument) and sets carry,
/// so carry is tested first.
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
    let child_sp = (stack_top as usize).wrapping_sub(FRAME);
    let r;
    // SAFETY: the child's globals are copies of the parent's (copy_thread copies the trap frame;
    // QEMU copies the CPU state), so `%g2..%g4` still hold entry, arg and the stack pointer.
    // The child sets `%sp` to its own frame below `stack_top` (which the caller keeps free),
    // zeroes `%fp` and `%i7` so frame walks stop at its window, and calls `entry(arg)`, which
    // never returns (the `unimp` would trap). The parent only sees `%o0` (tid or negated errno)
    // and `%o1`, both declared; the child's writes to `%sp`, `%fp`, `%i7` and `%o7` happen on
    // the path that never comes back into this function. `cmp`/`be` test the low 32 bits of
    // `%o1` (`%icc`), which is all a 32-bit task's register holds.
    unsafe {
        asm!(
            "mov {nr}, %g1",
            "ta 0x10",
            "bcs,a 3f",
            "sub %g0, %o0, %o0",
            "cmp %o1, 0",
            "be 3f",
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
/// included, then exits: it flushes its register windows and moves `%sp` to a static scratch
/// frame first, so that no window spill targets the unmapped stack.
///
/// # Safety
/// The calling thread runs on the mapping and must have nothing left to do; no other thread may
/// use the mapping.
pub unsafe fn unmap_and_exit(base: *mut u8, len: usize) -> ! {
    // A register window lives in registers and is written to its frame's save area (`%sp`)
    // whenever the kernel needs the window: on a window overflow inside the kernel's own calls,
    // a context switch, or a signal. None of that may target the stack being unmapped: a spill
    // that cannot be written is kept by the kernel and turned into a SIGSEGV on the return to
    // user mode (arch/sparc/kernel/windows.c `try_to_clear_window_buffer`; process_64.c
    // `fault_in_user_windows` for a 32-bit task on a 64-bit kernel), and a window spilled while
    // the stack was still mapped is refilled from it on that return, which faults once the
    // stack is gone. Two steps:
    // - `flushw` (V9, there on V8+; a sparc32 kernel's equivalent is the `ta 3` flush trap)
    //   writes every older window of this thread to its own frame now, while the stack is still
    //   mapped, and leaves only the current window in the register file;
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
            "ta 0x10",
            "mov %g0, %o0",
            "mov {exit}, %g1",
            "ta 0x10",
            "unimp 0",
            sp = in(reg) EXIT_FRAME.0.get() as usize,
            munmap = const __NR_munmap,
            exit = const __NR_exit,
            in("o0") base, in("o1") len,
            options(noreturn, nostack)
        )
    }
}

/// `STACK_GUARD`: where 32-bit sparc stack-protector code reads its canary.
///
/// The canary of `-Zstack-protector` code is at `%g7 + 0x14` (glibc's 32-bit sparc
/// `tcbhead_t.stack_guard`: `tcb`, `dtv`, `self`, `multiple_threads`, `sysinfo`, then
/// `stack_guard`, five 4-byte words in; sysdeps/sparc/sparc32/stackguard-macros.h
/// `ld [%g7+0x14]`, which GCC, `TARGET_THREAD_SSP_OFFSET`, and LLVM hard-code).
pub const STACK_GUARD: StackGuard = StackGuard::TpRelative(0x14);

/// sparc's `struct sigaction`: `{handler, flags, restorer, mask}`, the generic layout with
/// `__ARCH_HAS_SA_RESTORER` (arch/sparc/include/asm/signal.h; include/linux/signal_types.h;
/// for a 32-bit task on a 64-bit kernel `struct compat_sigaction`, include/linux/compat.h, has
/// the same four fields in 32-bit words), though the kernel never
/// reads `sa_restorer`: it takes the restorer from a syscall argument (below). linux-raw-sys
/// 0.12's sparc `kernel_sigaction` lacks the restorer word, so the layout is spelled out here.
#[repr(C)]
struct KernelSigaction {
    handler: usize,
    flags: usize,
    restorer: usize,
    mask: SigSet,
}

/// `rt_sigaction`: installs and/or reads the disposition of signal `sig`, in 32-bit sparc's
/// `struct sigaction`, passing strand's own `rt_sigreturn` trampoline as the fourth syscall
/// argument (arch/sparc/kernel/sys_sparc_32.c).
///
/// `rt_sigaction(sig, act, oact, restorer, sigsetsize)`: five arguments on sparc (arch/sparc/
/// Kconfig selects ODD_RT_SIGACTION; sys_sparc_32.c `SYSCALL_DEFINE5(rt_sigaction, ...)`, and
/// sys_sparc32.c `COMPAT_SYSCALL_DEFINE5(rt_sigaction, ...)` for a 32-bit task on a 64-bit
/// kernel, store `restorer` as `ka_restorer`). The kernel starts a handler with
/// `%o7 = ka_restorer` (signal_32.c `setup_rt_frame` sets `u_regs[UREG_I7]`, the user's `%o7`),
/// and a handler returns with `ret`/`retl`, to `%o7 + 8`; so the argument is the trampoline's
/// address minus 8. Without it the kernel would write a trampoline onto the signal stack (or
/// QEMU use its own sigtramp page); strand installs its own, as on sparc64. No `SA_*` bit is
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

/// A handler's `ret` lands here with `%sp` at the kernel's signal frame (signal_32.c
/// `setup_rt_frame` points `%sp` at it, and the handler's `restore` brings it back);
/// rt_sigreturn (101, syscall.tbl) finds the frame at `%sp` (`do_rt_sigreturn`), so nothing
/// here touches the stack.
#[unsafe(naked)]
unsafe extern "C" fn restore_rt() -> ! {
    naked_asm!("mov {nr}, %g1", "ta 0x10", "unimp 0", nr = const __NR_rt_sigreturn)
}

// The third argument of an SA_SIGINFO handler is not a ucontext on 32-bit sparc: it is
// `&sf->regs`, the `struct pt_regs` saved in the rt signal frame (arch/sparc/kernel/
// signal_32.c `setup_rt_frame`, `u_regs[UREG_I2] = &sf->regs`; signal32.c the same for a
// 32-bit task on a 64-bit kernel, with `struct pt_regs32`; QEMU 7.2's linux-user/sparc/
// signal.c for TARGET_ABI32, `offsetof(struct target_rt_signal_frame, regs)`). The 32-bit
// `pt_regs` is `psr, pc, npc, y, u_regs[16]` (arch/sparc/include/uapi/asm/ptrace.h), 80 bytes,
// and `do_rt_sigreturn` restores pc, npc and the registers from it. The interrupted `%sp` is
// `u_regs[UREG_FP]` (`UREG_I6` = 14: the trap window's `%i6` is the user's `%o6`), unbiased.
const CTX_PC: usize = 4;
const CTX_NPC: usize = 8;
const CTX_SP: usize = 16 + 14 * 4;
// In `struct rt_signal_frame` the `sigset_t mask` that `do_rt_sigreturn` restores follows the
// 80-byte `regs` directly (signal_32.c; `struct rt_signal_frame32` in signal32.c and QEMU's
// frame have the same order).
const CTX_SIGMASK: usize = 80;

/// `context_pc`: the interrupted program counter (`pc` of the `pt_regs` a 32-bit sparc handler's
/// third argument points at; arch/sparc/kernel/signal_32.c).
///
/// # Safety
/// `uc` is the third argument of an SA_SIGINFO handler that is still running.
pub unsafe fn context_pc(uc: *const core::ffi::c_void) -> usize {
    // SAFETY: per the contract, `pc` is an aligned word of the signal frame.
    unsafe { uc.byte_add(CTX_PC).cast::<usize>().read() }
}

/// `context_sp`: the interrupted stack pointer (the saved `%o6`; no bias on 32-bit sparc).
///
/// # Safety
/// As for [`context_pc`].
pub unsafe fn context_sp(uc: *const core::ffi::c_void) -> usize {
    // SAFETY: as for context_pc (`u_regs[UREG_FP]`).
    unsafe { uc.byte_add(CTX_SP).cast::<usize>().read() }
}

/// `set_context_pc`: makes the thread resume at `pc` when the handler returns.
///
/// Sets `pc` and `npc` (`pc + 4`): the thread resumes at `pc` and goes on in sequence.
///
/// # Safety
/// As for [`context_pc`]; the thread resumes at `pc` with the interrupted registers and stack.
pub unsafe fn set_context_pc(uc: *mut core::ffi::c_void, pc: usize) {
    // SAFETY: as for context_pc; rt_sigreturn loads both from here (and requires them 4-byte
    // aligned, as every instruction address is).
    unsafe {
        uc.byte_add(CTX_PC).cast::<usize>().write(pc);
        uc.byte_add(CTX_NPC).cast::<usize>().write(pc.wrapping_add(4));
    }
}

/// `context_sigmask`: the mask the thread gets back when the handler returns: the `mask` of the
/// kernel's `struct rt_signal_frame`, right after the `pt_regs` (arch/sparc/kernel/signal_32.c).
///
/// # Safety
/// As for [`context_pc`]; what is written there becomes the thread's mask when the handler
/// returns.
pub unsafe fn context_sigmask(uc: *mut core::ffi::c_void) -> *mut SigSet {
    // SAFETY: per the contract, `mask` is an aligned `sigset_t` of the signal frame.
    unsafe { uc.byte_add(CTX_SIGMASK).cast() }
}

/// The cancellable syscall (see the contract in `arch/mod.rs`). SPARC V8 psABI: `cancel` in
/// `%o0`, `nr` in `%o1`, `a1..a4` in `%o2..%o5`, `a5`/`a6` in the caller's outgoing-argument
/// words at `%sp + 92` and `%sp + 96`. A leaf that stays in the caller's register window (no
/// `save`), so the range needs no prologue. After the trap the epilogue turns a set carry's
/// positive errno into the negated one, as the `syscallN` do; the cancel path joins after that.
/// `%g1` (the number) is scratch in the psABI. Delay slots are written out. A syscall restarted
/// after a handler (SA_RESTART) re-executes the `ta` with the registers as they were (the kernel
/// backs `pc`/`npc` up by 4, signal_32.c `syscall_restart`), inside the range.
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
        "ld [%o0], %g1",
        "cmp %g1, 0",
        "bne 2f",
        "nop",
        "mov %o1, %g1",
        "mov %o2, %o0",
        "mov %o3, %o1",
        "mov %o4, %o2",
        "mov %o5, %o3",
        "ld [%sp + {a5}], %o4",
        "ld [%sp + {a6}], %o5",
        "ta 0x10",
        "__strand_cp_end:",
        "bcs,a 1f",
        "sub %g0, %o0, %o0",
        "1:",
        "retl",
        "nop",
        "__strand_cp_cancel:",
        "2:",
        "ba 1b",
        "mov {ecanceled}, %o0",
        a5 = const STACK_ARGS,
        a6 = const STACK_ARGS + 4,
        ecanceled = const -(sys::errno::ECANCELED as isize),
    )
}
