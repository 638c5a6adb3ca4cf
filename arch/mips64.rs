//! mips64 n64 (MIPS64 ELF psABI with the n64 calling convention; Linux n64 syscall convention),
//! in both byte orders: `mips64` (big-endian) and `mips64el` (little-endian) rows of
//! `arch/abis.rs` share this file. The kernel ABI is the same for both (one arch/mips tree, one
//! syscall_n64.tbl, one set of uapi headers); what could differ by byte order, and why nothing
//! here does:
//! - n64 passes every syscall argument whole in a 64-bit register, so no argument is ever split
//!   over a register pair;
//! - the n64 `struct sigcontext` keeps each register in a `__u64` (uapi/asm/sigcontext.h), read
//!   and written here as whole words; `sigset_t` is two `unsigned long` words (`SigSet`);
//! - data the code emits and reads back (`_start`'s `.4byte` words, the GOT, ELF headers) is
//!   written by the assembler and linker in the target's byte order and read with native loads
//!   in the same order; the `cancel` word of `syscall_cp` is read with `lw` from its own address;
//! - the one exception: the `r_info` of an n64 relocation is not a plain 64-bit word (see
//!   [`R_RELATIVE`] and [`r_info_gabi`]).
//!
//! Syscalls: `syscall` with the number in `$2` (v0, numbers from 5000: syscall_n64.tbl) and
//! arguments in `$4..$9` (a0..a5); n64 has eight argument registers (`$4..$11`) and the kernel
//! reads no argument from the user stack (arch/mips/kernel/scall64-n64.S, `n64_syscall`: the
//! table call takes `$4..$9` as they are; QEMU reads `gpr[4..11]`). Unlike o32 the stack is
//! never read, so `$sp` needs no care around a syscall.
//!
//! The result comes back in `$2` and an error flag in `$7`: nonzero means `$2` holds a
//! *positive* errno (scall64-n64.S: `sltu t0, t0, v0` against `-EMAXERRNO - 1`, `sd t0,
//! PT_R7(sp)`, then `dnegu v0`; EMAXERRNO is 1133 on mips). The wrappers turn that into strand's
//! "negative errno" convention; no successful n64 result lies in `-4095..=-1` (user addresses
//! are far below 2^63).
//!
//! Registers: the syscall fast path saves `$0, $2..$7, $8, $9, $25, $28, $29, $31` on entry
//! and restores `$2..$9, $25, $28, $31` on return (arch/mips/include/asm/stackframe.h,
//! SAVE_SOME and RESTORE_SOME, `CONFIG_64BIT` parts; arch/mips/kernel/entry.S,
//! `restore_partial`), so `$1` (at), `$10..$15`, `$24` (t8), `hi` and `lo` come back with
//! whatever the kernel left there; `$3` (v1) is written by a few syscalls and, like musl
//! (arch/mips64/syscall_arch.h, which clobbers `$1, $3, $10..$15, $24, $25, hi, lo`), strand
//! treats `$3`, `$8`, `$9` and `$25` as clobbered too. `$16..$23`, `$28` (gp), `$29` (sp),
//! `$30` (fp) and `$31` (ra) survive (callee-saved in the kernel's C code).
//!
//! What Rust will not let an asm operand name, and how each is handled (as in `arch/mips.rs`,
//! the same LLVM MIPS back end): `$1` (at), which LLVM allocates like an ordinary register, and
//! `hi`/`lo`, which have no register class, are saved in kernel-preserved `$16..$18` around every
//! `syscall` (`n64_syscall!`) under `.set noat`; `$29` (sp), `$30` (fp) and `$31` (ra) are moved
//! by hand inside `_start` and `clone_thread` only.
//!
//! The inline templates run in the assembler's `reorder` mode (LLVM's MIPS printer opens every
//! inline asm block with `.set reorder`), so they are written without delay slots; `_start`
//! and `syscall_cp` use `noreorder` and fill their own.

use super::{Sigaction, StackGuard, TlsAbi, TlsVariant};
use crate::signal::SigSet;
use core::arch::{asm, naked_asm};
use sys::general::{__NR_clone, __NR_exit, __NR_munmap, __NR_rt_sigaction, __NR_set_thread_area};

/// `sys`: the kernel's constants, syscall numbers and struct layouts for mips64 n64, from
/// `linux_raw_sys` (its mips64 modules, generated from the kernel's uapi headers; the same for
/// `mips64el`). Signal numbers and `SA_*` bits are mips's own (SIGUSR1 16, SIGCHLD 18,
/// SA_SIGINFO 8; arch/mips/include/uapi/asm/signal.h).
pub use linux_raw_sys as sys;

/// `mmap_raw`: an anonymous or offset-0 mapping with the plain `mmap` (mips64 n64: six register
/// arguments, byte offset; syscall_n64.tbl: 5009 `mmap` is `sys_mips_mmap`, offset in bytes).
///
/// 64-bit time and a register-argument `mmap`: the plain syscall names (n64 has no time64
/// variants: its `futex` 5194, `clock_gettime` 5222 take 64-bit `struct timespec` already).
pub use super::mmap_six_args as mmap_raw;
nr_native! {
    /// `alarm` is syscall 5037 (arch/mips/kernel/syscalls/syscall_n64.tbl).
    pub const ALARM: Option<usize> = Some(super::sys::general::__NR_alarm as usize);
}

/// `R_RELATIVE`: the relocation type strand's start-up applies to a static-pie on mips64 n64.
///
/// n64 packs up to three relocation types in one `r_info` (MIPS64 ELF psABI: `r_sym` in the
/// first 32 bits, then `r_ssym`, `r_type3`, `r_type2`, `r_type`, one byte each, in that memory
/// order). A static-pie's relative relocation is `R_MIPS_REL32` (3) composed with `R_MIPS_64`
/// (18) as `r_type2` and no symbol (lld's Mips target: `relativeRel = (R_MIPS_64 << 8) |
/// R_MIPS_REL32` for 64-bit ELF). Read as a big-endian 64-bit word that is `0x1203` in the low
/// 32 bits, where start-up's `r_type` looks; on little-endian mips64el the same bytes read as
/// `0x0312 << 48`, which [`r_info_gabi`] turns into the big-endian reading first.
pub const R_RELATIVE: u32 = (18 << 8) | 3;

/// A REL/RELA entry's `r_info` word in the gABI's ELF64_R_INFO form (`sym << 32 | type`), which
/// the start-up's `r_type` reads. n64's `r_info` is `{ u32 r_sym; u8 r_ssym, r_type3, r_type2,
/// r_type; }` in memory order (MIPS64 ELF psABI, "Relocation Entry"), which a big-endian load
/// reads as `sym << 32 | ssym << 24 | type3 << 16 | type2 << 8 | type`, but a little-endian one
/// as the symbol in the low 32 bits and the type bytes reversed above it (LLVM's
/// `Elf_Rel_Impl::getRInfo(isMips64EL)` and lld's `setSymbolAndType` convert the same way).
/// Little-endian mips64el gets the big-endian reading; big-endian mips64 has it already.
#[inline]
pub fn r_info_gabi(info: usize) -> usize {
    if cfg!(target_endian = "little") {
        (info << 32) | ((info >> 8) & 0xff00_0000) | ((info >> 24) & 0x00ff_0000) | ((info >> 40) & 0x0000_ff00) | (info >> 56)
    } else {
        info
    }
}

/// `TLS`: the static-TLS layout strand builds for each thread on mips64 n64.
///
/// Variant I with a 0x7000 bias, as on o32: the thread pointer (the UserLocal register) points
/// 0x7000 bytes past the start of the first TLS block (MIPS psABI TLS supplement; lld,
/// `getTlsTpOffset` for EM_MIPS; musl arch/mips64/pthread_arch.h, TP_OFFSET 0x7000 with no TCB
/// gap). strand's Tcb sits below the block start.
pub const TLS: TlsAbi = TlsAbi { variant: TlsVariant::I, gap: 0, bias: 0x7000 };

/// strand's result convention from the kernel's pair: `$7` nonzero flags `$2` as a positive errno.
#[inline(always)]
fn result(v0: usize, a3: usize) -> usize {
    if a3 != 0 {
        v0.wrapping_neg()
    } else {
        v0
    }
}

/// One n64 `syscall` instruction with everything around it that every syscall here shares. The
/// template is `before`, `syscall`, `after`, wrapped in the save and restore of the three
/// registers the kernel changes but Rust cannot list as clobbers (module header): `$1` (at) in
/// `$16`, `hi` in `$17`, `lo` in `$18`, all three kernel-preserved. `.set noat` lets the template
/// name `$1`, and an operand LLVM put in `$1`, without the assembler's warning. The declared
/// clobbers are the rest of what the kernel may change except `$8` and `$9`, which each caller
/// names (as an argument or as a clobber), and `$16..$18`, which Rust saves itself.
macro_rules! n64_syscall {
    (before: [$($before:literal),*], after: [$($after:literal),*], $($operands:tt)*) => {
        asm!(
            ".set push",
            ".set noat",
            "move $16, $1",
            "mfhi $17",
            "mflo $18",
            $($before,)*
            "syscall",
            $($after,)*
            "mthi $17",
            "mtlo $18",
            "move $1, $16",
            ".set pop",
            $($operands)*
            lateout("$3") _, lateout("$10") _, lateout("$11") _,
            lateout("$12") _, lateout("$13") _, lateout("$14") _, lateout("$15") _,
            out("$16") _, out("$17") _, out("$18") _, lateout("$24") _, lateout("$25") _,
            options(nostack)
        )
    };
}

/// `syscall0`: a syscall with no arguments, with `syscall` (mips64 n64: number in $2; the result
/// in $2, with `$7` nonzero when it is a positive errno, negated here;
/// arch/mips/kernel/scall64-n64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall0(nr: usize) -> usize {
    let (r, err);
    // SAFETY: the caller upholds the syscall's own contract; registers per the kernel ABI above.
    unsafe {
        n64_syscall!(before: [], after: [],
            inlateout("$2") nr => r, lateout("$7") err, lateout("$8") _, lateout("$9") _,)
    };
    result(r, err)
}

/// `syscall1`: a one-argument syscall with `syscall` (mips64 n64: number in $2, argument in $4;
/// the result in $2, with `$7` nonzero when it is a positive errno, negated here;
/// arch/mips/kernel/scall64-n64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall1(nr: usize, a: usize) -> usize {
    let (r, err);
    // SAFETY: as for syscall0.
    unsafe {
        n64_syscall!(before: [], after: [],
            inlateout("$2") nr => r, lateout("$7") err, in("$4") a, lateout("$8") _, lateout("$9") _,)
    };
    result(r, err)
}

/// `syscall2`: a two-argument syscall with `syscall` (mips64 n64: number in $2, arguments in $4,
/// $5; the result in $2, with `$7` nonzero when it is a positive errno, negated here;
/// arch/mips/kernel/scall64-n64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall2(nr: usize, a: usize, b: usize) -> usize {
    let (r, err);
    // SAFETY: as for syscall0.
    unsafe {
        n64_syscall!(before: [], after: [],
            inlateout("$2") nr => r, lateout("$7") err, in("$4") a, in("$5") b,
            lateout("$8") _, lateout("$9") _,)
    };
    result(r, err)
}

/// `syscall3`: a three-argument syscall with `syscall` (mips64 n64: number in $2, arguments in
/// $4, $5, $6; the result in $2, with `$7` nonzero when it is a positive errno, negated here;
/// arch/mips/kernel/scall64-n64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> usize {
    let (r, err);
    // SAFETY: as for syscall0.
    unsafe {
        n64_syscall!(before: [], after: [],
            inlateout("$2") nr => r, lateout("$7") err, in("$4") a, in("$5") b, in("$6") c,
            lateout("$8") _, lateout("$9") _,)
    };
    result(r, err)
}

/// `syscall4`: a four-argument syscall with `syscall` (mips64 n64: number in $2, arguments in $4,
/// $5, $6, $7; the result in $2, with `$7` nonzero when it is a positive errno, negated here;
/// arch/mips/kernel/scall64-n64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> usize {
    let (r, err);
    // SAFETY: as for syscall0; the 4th argument goes in `$7`, which comes back as the error flag.
    unsafe {
        n64_syscall!(before: [], after: [],
            inlateout("$2") nr => r, inlateout("$7") d => err, in("$4") a, in("$5") b, in("$6") c,
            lateout("$8") _, lateout("$9") _,)
    };
    result(r, err)
}

/// `syscall5`: a five-argument syscall with `syscall` (mips64 n64: number in $2, arguments in $4,
/// $5, $6, $7, $8; the result in $2, with `$7` nonzero when it is a positive errno, negated here;
/// arch/mips/kernel/scall64-n64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall5(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> usize {
    let (r, err);
    // SAFETY: as for syscall4; the 5th argument is a register too (`$8`, a4).
    unsafe {
        n64_syscall!(before: [], after: [],
            inlateout("$2") nr => r, inlateout("$7") d => err, in("$4") a, in("$5") b, in("$6") c,
            inlateout("$8") e => _, lateout("$9") _,)
    };
    result(r, err)
}

/// `syscall6`: a six-argument syscall with `syscall` (mips64 n64: number in $2, arguments in $4,
/// $5, $6, $7, $8, $9; the result in $2, with `$7` nonzero when it is a positive errno, negated
/// here; arch/mips/kernel/scall64-n64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall6(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> usize {
    let (r, err);
    // SAFETY: as for syscall5, with the 6th argument in `$9` (a5).
    unsafe {
        n64_syscall!(before: [], after: [],
            inlateout("$2") nr => r, inlateout("$7") d => err, in("$4") a, in("$5") b, in("$6") c,
            inlateout("$8") e => _, inlateout("$9") f => _,)
    };
    result(r, err)
}

// The kernel enters `_start` with `$sp` at argc, 16-byte aligned (fs/binfmt_elf.c,
// create_elf_tables; STACK_ROUND), and `$ra` meaningless. The n64 psABI wants a 16-byte aligned
// `$sp` at every call and no argument save area in the caller's frame (a callee that spills its
// register arguments makes its own room), `$fp` zero so frame walks end here, and the callee's
// address in `$25` (`jalr $25` is the n64 PIC call: a PIC function computes its own `$gp` from
// `$25` in its prologue, `%hi(%neg(%gp_rel(f)))`, so unlike o32 there is no `$gp` to set up
// here); the initial `$sp` goes to the callee in `$4`.
//
// Nothing here may use an absolute address, so that the same code runs in a static-pie loaded
// anywhere. `bal` puts the run-time address of the words after its delay slot in `$ra`; those
// words are the offsets of the two functions from `1b` (R_MIPS_PC32, resolved by the linker),
// so `$ra` plus each (`lw` sign-extends the 32-bit offset) is the function's run-time address.
//
// Then, before any Rust code: `relocate_local_got` (as on o32, a static-pie's PIC code reaches
// every function and static through the GOT, whose local entries no table lists), then
// `rt::__strand_start`. `$16` and `$17` (callee-saved) keep `1b` and the initial `$sp` across
// the first call. `break` traps if `__strand_start` ever returned. The delay slots are filled by
// hand (`noreorder`).
#[cfg(not(test))]
#[no_mangle]
#[unsafe(naked)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        ".set push",
        ".set noreorder",
        "bal 2f",
        "nop",
        "1:",
        ".4byte {got} - 1b",
        ".4byte {start} - 1b",
        "2:",
        "move $16, $ra",
        "move $17, $sp",
        "move $fp, $zero",
        "daddiu $12, $zero, -16",
        "and $sp, $sp, $12",
        "lw $25, 0($16)",
        "daddu $25, $25, $16",
        "jalr $25",
        "move $4, $17",
        "lw $25, 4($16)",
        "daddu $25, $25, $16",
        "jalr $25",
        "move $4, $17",
        "break",
        ".set pop",
        got = sym got::relocate_local_got,
        start = sym crate::rt::__strand_start,
    )
}

#[cfg(not(test))]
#[macro_use]
#[path = "mips_got.rs"]
mod got;

/// Writes `got_failure_message!` to stderr and exits with 127, from text that is part of the
/// instruction stream (its address comes from `bal`, not from the GOT). Always inlined: a call
/// would go through the GOT.
#[cfg(not(test))]
#[inline(always)]
fn got_failure() -> ! {
    // SAFETY: write(2, message, len) reads the message, which `bal` jumps over and whose
    // address it leaves in `$ra`: bytes of the mapped text; exit_group does not return. The n64 kernel reads no stack
    // argument. No register needs to survive.
    unsafe {
        asm!(
            ".set push",
            ".set noreorder",
            "bal 2f",
            "nop",
            concat!(".ascii \"", got_failure_message!(), "\\n\""),
            ".balign 4",
            "2:",
            "move $5, $ra",
            "daddiu $4, $zero, 2",
            "syscall",
            "daddiu $4, $zero, 127",
            "daddiu $2, $zero, {exit_group}",
            "syscall",
            "break",
            ".set pop",
            exit_group = const sys::general::__NR_exit_group,
            in("$2") sys::general::__NR_write as usize,
            in("$6") got_failure_message!().len() + 1,
            options(noreturn)
        )
    }
}

/// `set_thread_pointer`: makes `tp` the calling thread's thread pointer (mips64 n64:
/// `set_thread_area`, syscall 5242, after which `rdhwr $29` reads it back;
/// arch/mips/kernel/syscall.c). Returns the raw syscall result.
///
/// # Safety
/// `tp` must point at a control block laid out as [`TLS`] says, live for as long as the
/// thread runs.
pub unsafe fn set_thread_pointer(tp: *mut u8) -> usize {
    // set_thread_area(tp) stores the value the kernel hands out through `rdhwr $29` (the
    // UserLocal register, or its emulation) (arch/mips/kernel/syscall.c, sys_set_thread_area;
    // man 2 set_thread_area).
    // SAFETY: the syscall only changes this thread's thread pointer; nothing reads TLS through
    // the old value afterwards (start-up sets it before any TLS access).
    unsafe { syscall1(__NR_set_thread_area as usize, tp as usize) }
}

/// `load_tp_u32`: a word of the calling thread's control block, read through [`thread_pointer`].
///
/// One load at an offset from `thread_pointer()` (no segment-relative addressing here).
pub use super::load_tp_u32_from_pointer as load_tp_u32;

/// `thread_pointer`: the calling thread's thread pointer, which is how it finds its control block.
///
/// A register read (`rdhwr $3, $29`, UserLocal; the kernel emulates it on cores without it, a
/// trap but no syscall); set by `set_thread_area`.
#[inline(always)]
pub fn thread_pointer() -> *mut u8 {
    let tp;
    // `rdhwr $3, $29` reads UserLocal (MIPS64 R2 RDHWR, hardware register 29); where the core or
    // kernel has not enabled it, it traps and the kernel emulates it, with a fast path for
    // exactly this encoding with `$3` as the target (arch/mips/kernel/genex.S,
    // handle_ri_rdhwr; arch/mips/kernel/traps.c, simulate_rdhwr). `.set mips64r2` lets the
    // assembler take the instruction whatever the CPU the file is built for (musl
    // arch/mips64/pthread_arch.h does the same).
    // SAFETY: reading the thread pointer touches no memory; start-up and clone set it before any
    // thread reads it.
    unsafe {
        asm!(
            ".set push",
            ".set mips64r2",
            "rdhwr $3, $29",
            ".set pop",
            out("$3") tp,
            options(nomem, nostack, preserves_flags)
        )
    };
    tp
}

/// `clone_thread`: starts a thread with the raw `clone` (see the contract in `arch/mod.rs`); on
/// mips64 n64 all five arguments are registers, the child gets `tp` as its UserLocal value and
/// jumps to `entry(arg)` with the callee address in `$25`.
///
/// mips clone argument order is (flags, stack, ptid, tls, ctid): arch/mips/Kconfig selects
/// CLONE_BACKWARDS (kernel/fork.c; man 2 clone); n64 passes them in `$4..$8`
/// (syscall_n64.tbl: 5055 `clone` is `__sys_clone`). With CLONE_SETTLS `tls` becomes the child's
/// UserLocal, the value `rdhwr $29` returns (arch/mips/kernel/process.c, copy_thread).
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
    // The child's first frame: n64 makes a caller reserve nothing for its callee (no argument
    // save area, unlike o32), so the child starts right at the caller's 16-byte aligned
    // `stack_top`, which the n64 psABI's 16-byte alignment wants.
    let child_sp = stack_top;
    let (r, err);
    // SAFETY: only the parent comes back out of the asm, with `$2`/`$7` set and `$1`, hi, lo
    // restored (n64_syscall!). The child starts on `child_sp` with `$2 = $7 = 0` and the
    // parent's other registers, `$16..$23` included: the kernel saves those into the child's
    // frame before copying it (scall64-n64.S's table calls `__sys_clone`, which saves the static
    // registers: arch/mips/kernel/syscall.c, save_static_function), and QEMU copies every
    // register. So `$19`/`$20` still hold entry/arg; the child puts the callee address in `$25`,
    // as n64 PIC code expects, zeroes `$fp` and `$ra` so that frame walks end at `entry` (a zero
    // return address), and jumps; `entry` never returns, so the child never comes back into
    // this function and never touches the parent's stack. A signal that arrives at any point
    // finds a valid stack and thread pointer (the caller prepared both).
    unsafe {
        n64_syscall!(
            before: [],
            after: [
                "bnez $2, 2f",
                "move $fp, $zero",
                "move $ra, $zero",
                "move $4, $20",
                "move $25, $19",
                "jr $25",
                "break",
                "2:"
            ],
            inlateout("$2") __NR_clone as usize => r, in("$4") flags, in("$5") child_sp, in("$6") ptid,
            inlateout("$7") tp => err, inlateout("$8") ctid => _, lateout("$9") _,
            in("$19") entry, in("$20") arg,
        )
    };
    result(r, err)
}

/// `unmap_and_exit`: the end of a detached thread: unmaps `base..base + len`, its own stack
/// included, then exits, all in registers (the n64 kernel reads no syscall argument from the
/// stack, so unlike o32 nothing needs a mapped `$sp`: arch/mips/kernel/scall64-n64.S).
///
/// # Safety
/// The calling thread runs on the mapping and must have nothing left to do; no other thread may
/// use the mapping.
pub unsafe fn unmap_and_exit(base: *mut u8, len: usize) -> ! {
    // SAFETY: from the first `syscall` on the thread touches no memory: the exit number is an
    // immediate and its argument a register; the caller blocked all signals and turned off its
    // CLONE_CHILD_CLEARTID store, so the kernel writes nothing into the freed mapping either.
    unsafe {
        asm!(
            "syscall",
            "move $4, $zero",
            "daddiu $2, $zero, {exit}",
            "syscall",
            "break",
            exit = const __NR_exit,
            in("$2") __NR_munmap as usize,
            in("$4") base, in("$5") len,
            options(noreturn, nostack)
        )
    }
}

/// `STACK_GUARD`: where mips64 stack-protector code reads its canary.
///
/// Compilers read the stack-protector canary from the global `__stack_chk_guard` on mips Linux
/// (GCC's and LLVM's default for MIPS: no TCB slot is defined for it).
pub const STACK_GUARD: StackGuard = StackGuard::Global;

/// mips's own `struct sigaction`: `{ unsigned int sa_flags; __sighandler_t sa_handler;
/// sigset_t sa_mask; }`, flags first (include/linux/signal_types.h under
/// `__ARCH_HAS_IRIX_SIGACTION`, which arch/mips/include/asm/signal.h defines; the uapi
/// arch/mips/include/uapi/asm/signal.h has the same layout). On n64 the 4-byte flags are padded
/// to 8 so that the handler is at 8 and the mask, `_NSIG / 8` = 16 bytes, at 16: 32 bytes in
/// all. There is no `sa_restorer` on mips (the kernel supplies the return path).
#[repr(C)]
struct KernelSigaction {
    flags: u32,
    handler: usize,
    mask: SigSet,
}

static_assertions::const_assert_eq!(core::mem::offset_of!(KernelSigaction, handler), 8);
static_assertions::const_assert_eq!(core::mem::offset_of!(KernelSigaction, mask), 16);
static_assertions::const_assert_eq!(core::mem::size_of::<KernelSigaction>(), 32);

/// `rt_sigaction`: installs and/or reads the disposition of signal `sig`, in mips's `struct
/// sigaction` (flags first, no restorer: the kernel supplies the return path).
///
/// `rt_sigaction(sig, act, oact, sigsetsize)` with mips's layout. mips has no SA_RESTORER: the
/// kernel sets a handler's `$ra` to the vDSO's rt_sigreturn trampoline (arch/mips/kernel/signal.c,
/// setup_rt_frame: `regs[31] = sig_return`), and QEMU to its own signal trampoline; the handler
/// returns with `jr $ra`. The old disposition is read into a struct with slack words after it
/// ([`super::sigaction::Slack`]), as on the other ABIs, in case an emulator writes a restorer
/// word past the kernel's struct (qemu-user declares one for o32: see `arch/mips.rs`).
///
/// # Safety
/// `new.handler` is `SIG_DFL`, `SIG_IGN` or a handler that may run at any time on any thread.
pub unsafe fn rt_sigaction(sig: u32, new: Option<&Sigaction>, old: Option<&mut Sigaction>) -> usize {
    use super::sigaction::Slack;
    let k_new = new.map(|a| KernelSigaction { flags: a.flags as u32, handler: a.handler, mask: a.mask });
    let mut k_old = Slack { k: KernelSigaction { flags: 0, handler: 0, mask: SigSet::EMPTY }, _slack: [0; 4] };
    let new_ptr = k_new.as_ref().map_or(core::ptr::null(), |a| a as *const KernelSigaction);
    // SAFETY: both pointers are null or point at live structs of the layout the mips kernel
    // reads and writes; the handler's validity is the caller's contract.
    let r = unsafe {
        syscall4(
            __NR_rt_sigaction as usize,
            sig as usize,
            new_ptr as usize,
            &mut k_old as *mut Slack<KernelSigaction> as usize,
            core::mem::size_of::<SigSet>(),
        )
    };
    if let Some(old) = old {
        *old = Sigaction { handler: k_old.k.handler, flags: k_old.k.flags as usize, mask: k_old.k.mask };
    }
    r
}

/// `struct ucontext` (arch/mips/include/uapi/asm/ucontext.h): `uc_flags`, `uc_link` (8 bytes
/// each on n64), `uc_stack` (mips's `stack_t`: `ss_sp`, `ss_size`, `int ss_flags`, 24 bytes with
/// padding; uapi/asm/signal.h), then `uc_mcontext` at 40, the n64 `struct sigcontext`
/// (uapi/asm/sigcontext.h, `_MIPS_SIM_ABI64`: `__u64 sc_regs[32]` at 0, `sc_fpregs[32]` at 256,
/// `sc_mdhi, sc_hi1..3, sc_mdlo, sc_lo1..3` at 512, `sc_pc` at 576, four `__u32` to 600). Unlike
/// o32 the registers come first and `sc_pc` after them; every field here is a plain 64-bit
/// word. The stack pointer is `$29`.
const UC_MCONTEXT: usize = 8 + 8 + 24;
const UC_PC: usize = UC_MCONTEXT + 576;
const UC_SP: usize = UC_MCONTEXT + 29 * 8;
/// `uc_sigmask` follows `uc_mcontext` (same header), after the 600-byte n64 `struct sigcontext`:
/// two 64-bit words, as `SigSet`. `rt_sigreturn` restores the mask from here
/// (arch/mips/kernel/signal.c, `sys_rt_sigreturn`: `frame->rs_uc.uc_sigmask`).
const UC_SIGMASK: usize = UC_MCONTEXT + 600;
context_words!(UC_PC, UC_SP, UC_SIGMASK);

/// The cancellable syscall (see the contract in `arch/mod.rs`). n64: `cancel` in `$4`, `nr` in
/// `$5`, `a1..a6` in `$6..$11`, every one a register, so there is no frame to make: the stub
/// moves `nr` to `$2` and the arguments down to `$4..$9`. After the `syscall` the epilogue turns
/// `$7`'s error flag into strand's negated errno, as the `syscallN` do; the cancel path joins
/// after that. `$12` is a temporary in n64 and the kernel's clobbers are caller-saved, so
/// nothing needs saving; nothing here uses `$1`. Delay slots are written out (`noreorder`); the
/// branch to the cancel path targets a local label at its address.
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
        ".set push",
        ".set noreorder",
        "__strand_cp_begin:",
        "lw $12, 0($4)",
        "bnez $12, 2f",
        "nop",
        "move $2, $5",
        "move $4, $6",
        "move $5, $7",
        "move $6, $8",
        "move $7, $9",
        "move $8, $10",
        "move $9, $11",
        "syscall",
        "__strand_cp_end:",
        "beqz $7, 1f",
        "nop",
        "dsubu $2, $zero, $2",
        "1:",
        "jr $ra",
        "nop",
        "__strand_cp_cancel:",
        "2:",
        "b 1b",
        "daddiu $2, $zero, {ecanceled}",
        ".set pop",
        ecanceled = const -(sys::errno::ECANCELED as isize),
    )
}
