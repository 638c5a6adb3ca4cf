//! m68k (Motorola 68020 and later, SysV m68k psABI; Linux syscall convention), big-endian,
//! 32-bit.
//!
//! Syscalls: `trap #0` with the number in `%d0`, arguments in `%d1..%d5` and the sixth in `%a0`;
//! the result comes back in `%d0` (arch/m68k/kernel/entry.S, `system_call`: `SAVE_ALL_SYS` saves
//! `%d1..%d5`/`%a0..%a2` into `pt_regs`, `RESTORE_ALL` reloads them; musl
//! arch/m68k/syscall_arch.h). Every register but `%d0` comes back as it was: the others are
//! restored from the frame the entry saved (the condition codes too, from the saved `%sr`, but
//! nothing here relies on that). Errors come back as `-4095..=-1` in `%d0`, which is already
//! strand's convention.
//!
//! Registers Rust's m68k asm cannot name: `%a6` (LLVM's frame pointer), `%a5` (its base
//! pointer), `%a4` and `%a7` (the stack pointer). Nothing here needs them as operands: the
//! templates that end a frame chain clear `%a6` inside the template text, in code that never
//! returns to Rust.
//!
//! The thread pointer has no register on m68k: the kernel keeps it per thread
//! (`thread_info.tp_value`), `set_thread_area` and CLONE_SETTLS set it, and only the
//! `get_thread_area` syscall reads it (arch/m68k/kernel/sys_m68k.c; arch/m68k/kernel/process.c,
//! `copy_thread`). So [`thread_pointer`] is one syscall per call (no register can be reserved for
//! it: LLVM allocates every data and address register but `%a4..%a7`, and compiled TLS code calls
//! [`__m68k_read_tp`], which has to ask the kernel anyway). Under QEMU user mode the syscall is
//! answered inside QEMU (linux-user/syscall.c, `TARGET_NR_get_thread_area` returns
//! `ts->tp_value`), so it costs a leave-and-re-enter of translated code, not a host syscall.
//!
//! Byte order: everything the kernel shares with this file (the cancel flag, the ucontext's
//! `gregs`, `sigset_t` as an array of `unsigned long`, `struct sigaction`) is read and written as
//! whole native 32-bit words; no byte or half is picked out of a wider word.

use super::{Sigaction, StackGuard, TlsAbi, TlsVariant};
use core::arch::{asm, naked_asm};
use sys::general::{__NR_clone, __NR_exit, __NR_get_thread_area, __NR_munmap, __NR_set_thread_area};

/// `sys`: the kernel's constants, syscall numbers and struct layouts for m68k, from
/// `linux_raw_sys` (its m68k modules, generated from the kernel's uapi headers).
pub use linux_raw_sys as sys;

// `nr`: m68k has the 64-bit-time syscalls, `mmap2` (offset in 4096-byte units whatever the page
// size: arch/m68k/kernel/sys_m68k.c, `sys_mmap2`), the `*32` uid/gid calls (24 `getuid` is
// `sys_getuid16`, 199 `getuid32` is `sys_getuid`) and the 32-bit-time originals
// (arch/m68k/kernel/syscalls/syscall.tbl).
nr_time64! {
    ids: wide32,
    time32: fallback,
    /// `alarm` is syscall 27 (syscall.tbl, `sys_alarm`).
    pub const ALARM: Option<usize> = Some(g::__NR_alarm as usize);
}

/// `R_RELATIVE`: the relocation type strand's start-up applies to a static-pie on m68k.
///
/// `R_68K_RELATIVE` (B + A; m68k uses RELA) (binutils include/elf/m68k.h; musl
/// arch/m68k/reloc.h, `REL_RELATIVE`): the only relocation a static-pie applies.
pub const R_RELATIVE: u32 = 22;
/// `r_info` is in the gABI's form on this ABI.
pub use super::r_info_unchanged as r_info_gabi;

/// `TLS`: the static-TLS layout strand builds for each thread on m68k.
///
/// Variant I with a 0x7000 bias: the thread pointer points 0x7000 bytes past the start of the
/// first TLS block, and the TLS block starts right at `TP - 0x7000` (no gap); DTV offsets are
/// biased by 0x8000 (musl arch/m68k/pthread_arch.h: `TLS_ABOVE_TP`, `GAP_ABOVE_TP 0`,
/// `TP_OFFSET 0x7000`, `DTP_OFFSET 0x8000`; musl arch/m68k/reloc.h `TPOFF_K (-0x7000)`; GNU
/// ld's m68k `tpoff` adds 0x7000).
pub const TLS: TlsAbi = TlsAbi { variant: TlsVariant::I, gap: 0, bias: 0x7000 };

/// `syscall0`: a syscall with no arguments, with `trap #0` (m68k: number in `%d0`, result in
/// `%d0`; arch/m68k/kernel/entry.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall0(nr: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the syscall's own contract; registers per the kernel ABI in the
    // module header (only `%d0` changes).
    unsafe { asm!("trap #0", inlateout("d0") nr => r, options(nostack)) };
    r
}

/// `syscall1`: a one-argument syscall with `trap #0` (m68k: number in `%d0`, argument in `%d1`;
/// arch/m68k/kernel/entry.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall1(nr: usize, a: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { asm!("trap #0", inlateout("d0") nr => r, in("d1") a, options(nostack)) };
    r
}

/// `syscall2`: a two-argument syscall with `trap #0` (m68k: number in `%d0`, arguments in `%d1`,
/// `%d2`; arch/m68k/kernel/entry.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall2(nr: usize, a: usize, b: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { asm!("trap #0", inlateout("d0") nr => r, in("d1") a, in("d2") b, options(nostack)) };
    r
}

/// `syscall3`: a three-argument syscall with `trap #0` (m68k: number in `%d0`, arguments in
/// `%d1..%d3`; arch/m68k/kernel/entry.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { asm!("trap #0", inlateout("d0") nr => r, in("d1") a, in("d2") b, in("d3") c, options(nostack)) };
    r
}

/// `syscall4`: a four-argument syscall with `trap #0` (m68k: number in `%d0`, arguments in
/// `%d1..%d4`; arch/m68k/kernel/entry.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("trap #0", inlateout("d0") nr => r, in("d1") a, in("d2") b, in("d3") c, in("d4") d, options(nostack))
    };
    r
}

/// `syscall5`: a five-argument syscall with `trap #0` (m68k: number in `%d0`, arguments in
/// `%d1..%d5`; arch/m68k/kernel/entry.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall5(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!(
            "trap #0",
            inlateout("d0") nr => r, in("d1") a, in("d2") b, in("d3") c, in("d4") d, in("d5") e,
            options(nostack)
        )
    };
    r
}

/// `syscall6`: a six-argument syscall with `trap #0` (m68k: number in `%d0`, arguments in
/// `%d1..%d5` and `%a0`; arch/m68k/kernel/entry.S, musl arch/m68k/syscall_arch.h).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall6(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!(
            "trap #0",
            inlateout("d0") nr => r, in("d1") a, in("d2") b, in("d3") c, in("d4") d, in("d5") e, in("a0") f,
            options(nostack)
        )
    };
    r
}

/// `mmap_raw`: an anonymous or offset-0 mapping with `mmap2` (m68k: offset in 4096-byte units;
/// arch/m68k/kernel/sys_m68k.c).
///
/// # Safety
/// The caller upholds mmap's contract.
#[inline]
pub unsafe fn mmap_raw(addr: usize, len: usize, prot: usize, flags: usize, fd: usize) -> usize {
    // SAFETY: the caller upholds mmap's contract; mmap2's offset is in 4096-byte units, and 0 is
    // 0 either way.
    unsafe { syscall6(nr::MMAP, addr, len, prot, flags, fd, 0) }
}

// The kernel enters `_start` with `%sp` at argc (fs/binfmt_elf.c, create_elf_tables;
// STACK_ROUND keeps it 16-byte aligned). The SysV m68k psABI needs only 2-byte stack alignment
// (LLVM's m68k data layout says `S16`); `_start` aligns `%sp` down to 16 anyway, then passes the
// initial `%sp` as the one stack argument of `__strand_start` (the m68k C convention passes every
// argument on the stack). `%a6` (the frame pointer) is zeroed so frame walks end here;
// `illegal` traps if `__strand_start` ever returned.
//
// The call is PC-relative, so it runs unchanged in a static-pie: the literal after the code
// holds `__strand_start - literal` (an R_68K_PC32 the linker resolves), and `%a0` = the
// literal's address (`lea` PC-relative) + that. Not `bsr.l {start}`: LLVM 22's m68k assembler
// rejects a `bsr.l` to a Rust function of another codegen unit ("unexpected token parsing
// operands", measured with the dev profile's codegen units; with one unit it assembles), and
// `jsr (sym,%pc)` has only a 16-bit displacement.
#[cfg(not(test))]
#[no_mangle]
#[unsafe(naked)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        "suba.l %a6, %a6",
        "move.l %sp, %d0",
        "move.l %sp, %d1",
        "and.l #-16, %d1",
        "move.l %d1, %sp",
        "move.l %d0, -(%sp)",
        "lea (1f,%pc), %a0",
        "move.l (%a0), %d0",
        "adda.l %d0, %a0",
        "jsr (%a0)",
        "illegal",
        "1:",
        ".long {start} - .",
        start = sym crate::rt::__strand_start,
    )
}

/// `set_thread_pointer`: makes `tp` the calling thread's thread pointer (m68k: the
/// `set_thread_area` syscall stores it in `thread_info.tp_value`; arch/m68k/kernel/sys_m68k.c).
/// Returns the raw syscall result.
///
/// # Safety
/// `tp` must point at a control block laid out as [`TLS`] says, live for as long as the
/// thread runs.
pub unsafe fn set_thread_pointer(tp: *mut u8) -> usize {
    // SAFETY: the syscall only changes this thread's thread pointer; nothing reads TLS through
    // the old value afterwards (start-up sets it before any TLS access).
    unsafe { syscall1(__NR_set_thread_area as usize, tp as usize) }
}

/// `load_tp_u32`: a word of the calling thread's control block, read through [`thread_pointer`].
///
/// One load at an offset from `thread_pointer()` (no thread-pointer register here).
pub use super::load_tp_u32_from_pointer as load_tp_u32;

/// `thread_pointer`: the calling thread's thread pointer, which is how it finds its control block.
///
/// A syscall, `get_thread_area` (333), which returns `thread_info.tp_value` in `%d0`
/// (arch/m68k/kernel/sys_m68k.c, `sys_get_thread_area`): m68k has no thread-pointer register
/// (module header). Set by `set_thread_area` and CLONE_SETTLS.
#[inline(always)]
pub fn thread_pointer() -> *mut u8 {
    let tp: usize;
    // SAFETY: get_thread_area reads nothing from user memory and changes only `%d0`; start-up
    // and clone set the thread pointer before any thread reads it.
    unsafe {
        asm!(
            "trap #0",
            inlateout("d0") __NR_get_thread_area as usize => tp,
            options(nomem, nostack)
        )
    };
    tp as *mut u8
}

/// The thread pointer for compiled TLS code: LLVM and GCC read it by calling this helper
/// (LLVM 22 takes the result from `%a0`, measured in a test program: `jsr __m68k_read_tp;
/// lea (-28668,%a0),%a0` for a TLS word 4 bytes into the block, i.e. TP - 0x7000 + 4; GCC's
/// m68k.cc `m68k_call_m68k_read_tp` likewise takes `%a0`; glibc
/// sysdeps/unix/sysv/linux/m68k/m68k-helpers.S and musl src/thread/m68k/__m68k_read_tp.s put it
/// in `%a0`). It returns the thread pointer in both `%a0` and `%d0`, so a caller that treats it
/// as a pointer-returning call (`%a0`) and one that treats it as an integer-returning libcall
/// (`%d0`) both get it; nothing else changes.
///
/// # Safety
/// Callable at any time on any thread whose thread pointer is set.
#[no_mangle]
#[unsafe(naked)]
pub unsafe extern "C" fn __m68k_read_tp() -> *mut u8 {
    naked_asm!(
        "move.l #{nr}, %d0",
        "trap #0",
        "move.l %d0, %a0",
        "rts",
        nr = const __NR_get_thread_area,
    )
}

/// `clone_thread`: starts a thread with the raw `clone` (see the contract in `arch/mod.rs`); on
/// m68k the child gets `tp` as its `tp_value` and calls `entry(arg)` with the argument on its
/// stack.
///
/// m68k clone argument order is the default (flags, stack, ptid, ctid, tls): arch/m68k/Kconfig
/// selects none of the CLONE_BACKWARDS options (kernel/fork.c; man 2 clone; musl
/// src/thread/m68k/clone.s passes `tls` in `%d5`). With CLONE_SETTLS `tls` becomes the child's
/// `thread_info.tp_value` (arch/m68k/kernel/process.c, `copy_thread`).
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
    let r: usize;
    // SAFETY: the child starts on `stack_top` (16-byte aligned by the caller) with `%d0 = 0` and
    // every other register a copy of the parent's (copy_thread copies the whole `pt_regs` and
    // switch stack), so `%a0`/`%a1` still hold entry/arg. The m68k psABI gives the caller no
    // area of its own above the callee's arguments, so nothing is reserved: the child zeroes the
    // frame pointer `%a6` so frame walks end at `entry`, pushes `arg` (the first stack argument)
    // and calls `entry` with `jsr`, which pushes the return address: `%sp` stays 4-aligned
    // (top - 8 at entry). `entry` never returns, so the child never comes back into this
    // function and never touches the parent's stack. The parent only sees `%d0`.
    unsafe {
        asm!(
            "trap #0",
            "cmpi.l #0, %d0",
            "bne 2f",
            "suba.l %a6, %a6",
            "move.l %a1, -(%sp)",
            "jsr (%a0)",
            "illegal",
            "2:",
            inlateout("d0") __NR_clone as usize => r,
            in("d1") flags, in("d2") stack_top, in("d3") ptid, in("d4") ctid, in("d5") tp,
            in("a0") entry, in("a1") arg,
            options(nostack)
        )
    };
    r
}

/// `unmap_and_exit`: the end of a detached thread: unmaps `base..base + len`, its own stack
/// included, then exits, using only registers in between (m68k: `trap #0` needs no stack).
///
/// # Safety
/// The calling thread runs on the mapping and must have nothing left to do; no other thread may
/// use the mapping.
pub unsafe fn unmap_and_exit(base: *mut u8, len: usize) -> ! {
    // SAFETY: after munmap nothing touches memory: the exit number and status are immediates.
    unsafe {
        asm!(
            "trap #0",
            "move.l #{exit}, %d0",
            "moveq #0, %d1",
            "trap #0",
            "illegal",
            exit = const __NR_exit,
            in("d0") __NR_munmap as usize, in("d1") base, in("d2") len,
            options(noreturn, nostack)
        )
    }
}

/// `STACK_GUARD`: where m68k stack-protector code reads its canary.
///
/// Compilers read the stack-protector canary from the global `__stack_chk_guard` on m68k Linux
/// (GCC's default; LLVM's m68k target has no TCB slot for it).
pub const STACK_GUARD: StackGuard = StackGuard::Global;

/// `rt_sigaction`: installs and/or reads the disposition of signal `sig`, in m68k's `struct
/// sigaction` (`{handler, flags, restorer, mask}`: arch/m68k/include/asm/signal.h defines
/// `__ARCH_HAS_SA_RESTORER`; include/linux/signal_types.h).
///
/// The handler returns through code the kernel writes itself: m68k has no SA_RESTORER flag
/// (not in arch/m68k/include/uapi/asm/signal.h), and `setup_rt_frame` always points the return
/// address at the frame's own `retcode` (`moveq #~173, %d0; not.b %d0; trap #0`,
/// arch/m68k/kernel/signal.c); QEMU 7.2's linux-user/m68k/signal.c does the same through its
/// trampoline page. So no restorer is passed.
///
/// # Safety
/// `new.handler` is `SIG_DFL`, `SIG_IGN` or a handler that may run at any time on any thread.
pub unsafe fn rt_sigaction(sig: u32, new: Option<&Sigaction>, old: Option<&mut Sigaction>) -> usize {
    // SAFETY: per the contract; the kernel supplies the return path.
    unsafe { super::sigaction::with_restorer(sig, new, old, None) }
}

/// `struct ucontext` (arch/m68k/include/asm/ucontext.h): `uc_flags`, `uc_link`, `uc_stack`
/// (12 bytes), then `uc_mcontext` at 20: `version`, then `gregs[18]` (`%d0..%d7`, `%a0..%a6`,
/// the user `%sp` at index 15, the PC at 16, `%sr` at 17: arch/m68k/kernel/signal.c,
/// `rt_setup_ucontext`; musl arch/m68k/bits/signal.h `R_SP 15`, `R_PC 16`). `rt_sigreturn`
/// reloads the PC from `gregs[16]` (`rt_restore_ucontext`).
const UC_GREGS: usize = 20 + 4;
const UC_SP: usize = UC_GREGS + 15 * 4;
const UC_PC: usize = UC_GREGS + 16 * 4;
/// `uc_sigmask` follows `uc_mcontext` (4 + 18 * 4 + `fpregset_t` of 27 words = 184 bytes) and
/// `uc_filler[80]` (same header); `rt_sigreturn` restores the mask from here
/// (arch/m68k/kernel/signal.c, `do_rt_sigreturn`).
const UC_SIGMASK: usize = 20 + (4 + 18 * 4 + 27 * 4) + 80 * 4;

context_words!(UC_PC, UC_SP, UC_SIGMASK);

/// The cancellable syscall (see the contract in `arch/mod.rs`). The m68k C convention passes
/// every argument on the stack: at entry `4(%sp)` is `cancel`, `8(%sp)` `nr`, `12(%sp)..32(%sp)`
/// `a1..a6`. The prologue saves the callee-saved `%d2..%d5` that carry arguments (16 bytes, so
/// the arguments move up by 16); the epilogue restores them and returns the result in `%d0`. One
/// `movem.l` loads the number and all six arguments into `%d0..%d5`/`%a0` (it fills data
/// registers first, then address registers, from increasing addresses). A syscall restarted after
/// a handler (SA_RESTART) re-executes the `trap #0` itself with `%d0` reset to the number
/// (arch/m68k/kernel/signal.c, `handle_restart`: `regs->pc -= 2`), inside the range. The
/// branches to the cancel path and back use local labels.
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
        "movem.l %d2-%d5, -(%sp)",
        "move.l (20,%sp), %a0",
        "__strand_cp_begin:",
        "move.l (%a0), %d0",
        "bne 2f",
        "movem.l (24,%sp), %d0-%d5/%a0",
        "trap #0",
        "__strand_cp_end:",
        "1:",
        "movem.l (%sp)+, %d2-%d5",
        "rts",
        "__strand_cp_cancel:",
        "2:",
        "move.l #{neg_ecanceled}, %d0",
        "bra 1b",
        neg_ecanceled = const -(sys::errno::ECANCELED as i32),
    )
}

/// What a trap of compiled code calls: LLVM 22's m68k backend has no trap instruction for
/// `llvm.trap` (a `panic = "abort"` build's abort, `unreachable_unchecked` in debug builds,
/// `core::intrinsics::abort`) and emits a call to `abort` instead (measured: the linker's
/// "undefined reference to `abort'" from `compiler_builtins::mem::memcpy` and from
/// `unmap_and_exit` above). strand has no libc to provide it, so it is here: the `illegal`
/// instruction, which raises SIGILL as a trap instruction does on the other ABIs. It touches
/// no memory and no register, so it is safe wherever a trap is.
///
/// # Safety
/// Ends the process (by SIGILL, unless a handler takes it); callable anywhere.
#[cfg(not(test))]
#[no_mangle]
#[unsafe(naked)]
pub unsafe extern "C" fn abort() -> ! {
    naked_asm!("illegal")
}
