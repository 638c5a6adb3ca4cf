//! mips o32 (SYSV MIPS psABI, o32 calling convention; Linux o32 syscall convention), in both byte
//! orders: `mips` (big-endian) and `mipsel` (little-endian) rows of `arch/abis.rs` share this
//! file. The kernel ABI is the same for both (one arch/mips tree, one syscall_o32.tbl, one set
//! of uapi headers); what could differ by byte order, and why nothing here does:
//! - a 64-bit syscall argument split over two 32-bit registers (o32 passes it in an aligned
//!   even/odd pair in memory order, so high word first on big-endian and low word first on
//!   little-endian: musl's arch/mips/syscall_arch.h, `__SYSCALL_LL_E` and `__SYSCALL_LL_O`):
//!   strand makes no such call (`mmap2` takes a 32-bit page offset, the time64 calls take
//!   pointers to structs);
//! - 64-bit fields read as 32-bit words: the o32 `struct sigcontext` keeps each register in an
//!   `unsigned long long` whose low half is at +4 on big-endian and +0 on little-endian; the
//!   context accessors below read and write the whole `u64`, so the order never matters;
//! - data the code emits and reads back (`_start`'s `.gpword`/`.4byte` words, the GOT, ELF
//!   headers) is written by the assembler and linker in the target's byte order and read with
//!   `lw`/native loads in the same order; `sigset_t` is an array of `unsigned long` words, the
//!   same on both (`SigSet`).
//!
//! Syscalls: `syscall` with the number in `$2` (v0) and arguments in `$4..$7` (a0..a3); the 5th
//! and 6th arguments go on the user stack at 16($sp) and 20($sp), in the slots after the 16-byte
//! argument area an o32 caller reserves. The kernel reads 16..31($sp) on every syscall,
//! whatever the number of arguments (arch/mips/kernel/scall32-o32.S, `load_a4`..`load_a7`; a
//! `$sp` in the kernel half gets EFAULT, older kernels also failed on an unreadable one), so
//! `$sp` must point at mapped user memory even for `exit`; QEMU reads only the slots of
//! syscalls with more than 4 arguments (linux-user/mips/cpu_loop.c).
//!
//! The result comes back in `$2` and an error flag in `$7`: nonzero means `$2` holds a
//! *positive* errno (scall32-o32.S: the kernel sets PT_R7 and negates v0 for results in
//! `-EMAXERRNO..=-1`, EMAXERRNO being 1133 on mips). The wrappers turn that into strand's
//! "negative errno" convention; on o32 no successful result lies in `-4095..=-1` (user
//! addresses are below 2 GiB).
//!
//! Registers: the syscall fast path saves only `$0, $2..$7, $25, $28, $29, $31` on entry and
//! restores `$2..$7, $25, $28, $31` on return (arch/mips/include/asm/stackframe.h, SAVE_SOME and
//! RESTORE_SOME; arch/mips/kernel/entry.S, `restore_partial`), so `$1` (at), `$8..$15` (t0..t7),
//! `$24` (t8), `hi` and `lo` come back with whatever the kernel left there; `$3` (v1) is written
//! by a few syscalls (`pipe`) and, like musl (arch/mips/syscall_arch.h), strand treats `$3` and
//! `$25` as clobbered too. `$16..$23`, `$28` (gp), `$29` (sp), `$30` (fp) and `$31` (ra) survive
//! (callee-saved in the kernel's C code).
//!
//! What Rust will not let an asm operand name, and how each is handled:
//! - `$1` (at): LLVM's MIPS code generator allocates it like an ordinary register (strand's own
//!   disassembly has values living in `$1` across instructions) and may even pick it for a `reg`
//!   operand, but Rust cannot list it as a clobber. So
//!   every syscall template saves it in a kernel-preserved register and restores it after the
//!   `syscall` (`o32_syscall!`), under `.set noat` so the assembler accepts the explicit use.
//! - `hi`/`lo` have no register class in Rust's MIPS asm either: saved and restored the same
//!   way, so a multiply or divide result LLVM keeps in them across the asm survives.
//! - `$29` (sp), `$30` (fp), `$31` (ra) are moved by hand inside `_start`, `clone_thread` and
//!   `unmap_and_exit` only.
//!
//! The inline templates run in the assembler's `reorder` mode (LLVM's MIPS printer opens every
//! inline asm block with `.set reorder`; the disassembly shows the `nop`s it puts in the delay
//! slots), so they are written without delay slots; `_start` uses `noreorder` and fills its own.

use super::{Sigaction, StackGuard, TlsAbi, TlsVariant};
use crate::signal::SigSet;
use core::arch::{asm, naked_asm};
use core::ffi::c_void;
use sys::general::{__NR_clone, __NR_exit, __NR_munmap, __NR_rt_sigaction, __NR_set_thread_area};

/// `sys`: the kernel's constants, syscall numbers and struct layouts for mips o32, from
/// `linux_raw_sys` (its mips modules, generated from the kernel's uapi headers; the same for
/// `mipsel`).
pub use linux_raw_sys as sys;

// `nr`: mips o32 has the 64-bit-time syscalls, `mmap2` (offset in 4096-byte units whatever the
// page size: arch/mips/kernel/syscall.c, `mips_mmap2`), uid/gid calls that take 32-bit ids, and
// the 32-bit-time originals (arch/mips/kernel/syscalls/syscall_o32.tbl).
nr_time64! {
    ids: plain,
    time32: fallback,
    /// `alarm` is syscall 4027 (arch/mips/kernel/syscalls/syscall_o32.tbl).
    pub const ALARM: Option<usize> = Some(g::__NR_alarm as usize);
}

/// `R_RELATIVE`: the relocation type strand's start-up applies to a static-pie on mips o32.
///
/// `R_MIPS_REL32` (S + A, with S the load bias for a local symbol) (MIPS psABI, "Relocation
/// Types"): the relocation a mips static-pie applies to itself besides its local GOT entries.
pub const R_RELATIVE: u32 = 3;
/// `r_info` is in the gABI's form on this ABI.
pub use super::r_info_unchanged as r_info_gabi;

/// `TLS`: the static-TLS layout strand builds for each thread on mips o32.
///
/// Variant I with a 0x7000 bias: the thread pointer (the UserLocal register) points 0x7000 bytes
/// past the start of the first TLS block, so signed 16-bit offsets from it reach the first
/// 60 KiB of TLS and 4 KiB below the block (MIPS psABI TLS supplement; lld, `getTlsTpOffset`
/// for EM_MIPS; musl arch/mips/pthread_arch.h, TP_OFFSET 0x7000 with no TCB gap). strand's Tcb
/// sits below the block start.
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

/// One o32 `syscall` instruction with everything around it that every syscall here shares. The
/// template is `before`, `syscall`, `after`, wrapped in the save and restore of the three
/// registers the kernel changes but Rust cannot list as clobbers (module header): `$1` (at) in
/// `$16`, `hi` in `$17`, `lo` in `$18`, all three kernel-preserved. `.set noat` lets the template
/// name `$1`, and an operand LLVM put in `$1`, without the assembler's warning; the template uses
/// no macro instruction that would need `$1` itself. The declared clobbers are the rest of what
/// the kernel may change, and `$16..$18`, which Rust saves itself (callee-saved).
macro_rules! o32_syscall {
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
            lateout("$3") _, lateout("$8") _, lateout("$9") _, lateout("$10") _, lateout("$11") _,
            lateout("$12") _, lateout("$13") _, lateout("$14") _, lateout("$15") _,
            out("$16") _, out("$17") _, out("$18") _, lateout("$24") _, lateout("$25") _,
        )
    };
}

/// `syscall0`: a syscall with no arguments, with `syscall` (mips o32: number in $2; the result
/// in $2, with `$7` nonzero when it is a positive errno, negated here;
/// arch/mips/kernel/scall32-o32.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall0(nr: usize) -> usize {
    let (r, err);
    // SAFETY: the caller upholds the syscall's own contract; registers per the kernel ABI above.
    // With no stack arguments the kernel only reads 16..31($sp), which lie in the caller-owned
    // part of the current frame (every o32 frame that calls has them; the asm does not push).
    unsafe { o32_syscall!(before: [], after: [], inlateout("$2") nr => r, lateout("$7") err,) };
    result(r, err)
}

/// `syscall1`: a one-argument syscall with `syscall` (mips o32: number in $2, argument in $4; the
/// result in $2, with `$7` nonzero when it is a positive errno, negated here;
/// arch/mips/kernel/scall32-o32.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall1(nr: usize, a: usize) -> usize {
    let (r, err);
    // SAFETY: as for syscall0.
    unsafe { o32_syscall!(before: [], after: [], inlateout("$2") nr => r, lateout("$7") err, in("$4") a,) };
    result(r, err)
}

/// `syscall2`: a two-argument syscall with `syscall` (mips o32: number in $2, arguments in $4, $5;
/// the result in $2, with `$7` nonzero when it is a positive errno, negated here;
/// arch/mips/kernel/scall32-o32.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall2(nr: usize, a: usize, b: usize) -> usize {
    let (r, err);
    // SAFETY: as for syscall0.
    unsafe {
        o32_syscall!(before: [], after: [], inlateout("$2") nr => r, lateout("$7") err, in("$4") a, in("$5") b,)
    };
    result(r, err)
}

/// `syscall3`: a three-argument syscall with `syscall` (mips o32: number in $2, arguments in $4,
/// $5, $6; the result in $2, with `$7` nonzero when it is a positive errno, negated here;
/// arch/mips/kernel/scall32-o32.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> usize {
    let (r, err);
    // SAFETY: as for syscall0.
    unsafe {
        o32_syscall!(before: [], after: [],
            inlateout("$2") nr => r, lateout("$7") err, in("$4") a, in("$5") b, in("$6") c,)
    };
    result(r, err)
}

/// `syscall4`: a four-argument syscall with `syscall` (mips o32: number in $2, arguments in $4, $5,
/// $6, $7; the result in $2, with `$7` nonzero when it is a positive errno, negated here;
/// arch/mips/kernel/scall32-o32.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> usize {
    let (r, err);
    // SAFETY: as for syscall0; the 4th argument goes in `$7`, which comes back as the error flag.
    unsafe {
        o32_syscall!(before: [], after: [],
            inlateout("$2") nr => r, inlateout("$7") d => err, in("$4") a, in("$5") b, in("$6") c,)
    };
    result(r, err)
}

/// `syscall5`: a five-argument syscall with `syscall` (mips o32: number in $2, arguments in $4, $5,
/// $6, $7, 16($sp); the result in $2, with `$7` nonzero when it is a positive errno, negated here;
/// arch/mips/kernel/scall32-o32.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall5(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> usize {
    let (r, err);
    // SAFETY: as for syscall4. The template moves `$sp` down by 32 (keeping the 8-byte
    // alignment o32 wants), so 0..15($sp) is the argument area and 16($sp) the 5th argument,
    // and moves it back after the `syscall`; it is not `nostack`. A signal delivered meanwhile
    // builds its frame below. A restarted syscall re-executes the `syscall` instruction itself,
    // with `$sp` still moved (arch/mips/kernel/signal.c backs the pc up by 4).
    unsafe {
        o32_syscall!(
            before: ["addiu $sp, $sp, -32", "sw {e}, 16($sp)"],
            after: ["addiu $sp, $sp, 32"],
            e = in(reg) e,
            inlateout("$2") nr => r, inlateout("$7") d => err, in("$4") a, in("$5") b, in("$6") c,
        )
    };
    result(r, err)
}

/// `syscall6`: a six-argument syscall with `syscall` (mips o32: number in $2, arguments in $4, $5,
/// $6, $7, 16($sp), 20($sp); the result in $2, with `$7` nonzero when it is a positive errno,
/// negated here; arch/mips/kernel/scall32-o32.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall6(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> usize {
    let (r, err);
    // SAFETY: as for syscall5, with the 6th argument at 20($sp).
    unsafe {
        o32_syscall!(
            before: ["addiu $sp, $sp, -32", "sw {e}, 16($sp)", "sw {f}, 20($sp)"],
            after: ["addiu $sp, $sp, 32"],
            e = in(reg) e, f = in(reg) f,
            inlateout("$2") nr => r, inlateout("$7") d => err, in("$4") a, in("$5") b, in("$6") c,
        )
    };
    result(r, err)
}

/// `mmap_raw`: an anonymous or offset-0 mapping with `mmap2` (mips o32: offset in 4096-byte units;
/// arch/mips/kernel/syscall.c, `mips_mmap2`).
///
/// # Safety
/// The caller upholds mmap's contract.
#[inline]
pub unsafe fn mmap_raw(addr: usize, len: usize, prot: usize, flags: usize, fd: usize) -> usize {
    // SAFETY: the caller upholds mmap's contract; mmap2's offset is in 4096-byte units, and 0 is
    // 0 either way.
    unsafe { syscall6(nr::MMAP, addr, len, prot, flags, fd, 0) }
}

// The kernel enters `_start` with `$sp` at argc, 16-byte aligned (fs/binfmt_elf.c,
// create_elf_tables; STACK_ROUND), and `$ra` meaningless. The o32 psABI ("Process
// Initialization"; "The Stack Frame": 8-byte alignment, and every caller reserves 16 bytes at
// 0($sp) where the callee may store `$4..$7`) wants: `$fp` zero so frame walks end here, `$gp`
// at `_gp` as the psABI's process entry sets it (lld defines `_gp` for every MIPS link;
// strand's static code allocates `$gp` like any register, but CPIC code from other compilers
// reads globals through it), the callee's address in `$25` (`jalr $25` is the o32 PIC call:
// a PIC function computes its own `$gp` from `$25` and `_gp_disp`), and the initial `$sp` passed
// in `$4`.
//
// Nothing here may use an absolute address, so that the same code runs in a static-pie loaded
// anywhere (lld refuses an R_MIPS_HI16 against a symbol in a PIE, and a text relocation could
// not be applied anyway). `bal` puts the run-time address of the words after its delay slot in
// `$ra`; those words are link-time constants relative to themselves: the first is `1b`'s
// offset from `_gp` (`.gpword`, R_MIPS_GPREL32), so `$ra` minus it is the run-time `_gp`; the
// other two are the offsets of the two functions from `1b` (R_MIPS_PC32, resolved by the
// linker), so `$ra` plus each is the function's run-time address. (`.gpword` of a symbol in
// another section is not usable: LLVM 22 emits it against no symbol at all, measured.)
//
// Then, before any Rust code: `relocate_local_got`, because in mips PIC code every call and
// every address of a static goes through the GOT, and a static-pie's local GOT entries are
// relocated by no table, only implicitly (see there); then `rt::__strand_start`. `$16` and
// `$17` (callee-saved) keep `1b` and the initial `$sp` across the first call. `break` traps if
// `__strand_start` ever returned. The delay slots are filled by hand (`noreorder`).
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
        ".gpword 1b",
        ".4byte {got} - 1b",
        ".4byte {start} - 1b",
        "2:",
        "lw $8, 0($ra)",
        "subu $gp, $ra, $8",
        "move $16, $ra",
        "move $17, $sp",
        "move $fp, $zero",
        "addiu $8, $zero, -16",
        "and $sp, $sp, $8",
        "addiu $sp, $sp, -16",
        "lw $25, 4($16)",
        "addu $25, $25, $16",
        "jalr $25",
        "move $4, $17",
        "lw $8, 0($16)",
        "subu $gp, $16, $8",
        "lw $25, 8($16)",
        "addu $25, $25, $16",
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
    // address it leaves in `$ra`: bytes of the mapped text; exit_group does not return. `$sp` is the caller's valid stack, whose
    // argument slots the kernel reads. No register needs to survive.
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
            "addiu $4, $zero, 2",
            "syscall",
            "addiu $4, $zero, 127",
            "addiu $2, $zero, {exit_group}",
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

/// `set_thread_pointer`: makes `tp` the calling thread's thread pointer (mips o32:
/// `set_thread_area`, after which `rdhwr $29` reads it back; arch/mips/kernel/syscall.c). Returns
/// the raw syscall result.
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
/// A register read (`rdhwr $3, $29`, UserLocal; the kernel emulates it on cores before R2, a
/// trap but no syscall); set by `set_thread_area`.
#[inline(always)]
pub fn thread_pointer() -> *mut u8 {
    let tp;
    // `rdhwr $3, $29` reads UserLocal (MIPS32 R2 RDHWR, hardware register 29); before R2, or
    // where the kernel has not enabled it, it traps and the kernel emulates it, with a fast path
    // for exactly this encoding with `$3` as the target (arch/mips/kernel/genex.S,
    // handle_ri_rdhwr; arch/mips/kernel/traps.c, simulate_rdhwr). `.set mips32r2` lets the
    // assembler take the instruction whatever the CPU the file is built for.
    // SAFETY: reading the thread pointer touches no memory; start-up and clone set it before any
    // thread reads it.
    unsafe {
        asm!(
            ".set push",
            ".set mips32r2",
            "rdhwr $3, $29",
            ".set pop",
            out("$3") tp,
            options(nomem, nostack, preserves_flags)
        )
    };
    tp
}

/// `clone_thread`: starts a thread with the raw `clone` (see the contract in `arch/mod.rs`); on
/// mips o32 `ctid` goes on the stack at 16($sp), the child gets `tp` as its UserLocal value and
/// jumps to `entry(arg)` with the callee address in `$25`.
///
/// mips clone argument order is (flags, stack, ptid, tls, ctid): arch/mips/Kconfig selects
/// CLONE_BACKWARDS (kernel/fork.c; man 2 clone). `ctid` is the 5th argument, so it goes on the
/// stack at 16($sp). With CLONE_SETTLS `tls` becomes the child's UserLocal, the value `rdhwr $29`
/// returns (arch/mips/kernel/process.c, copy_thread).
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
    // The child's first frame: the o32 16-byte argument area its callee owns, right below the
    // caller's (16-byte aligned) `stack_top`, which keeps the 8-byte alignment.
    let child_sp = stack_top.wrapping_sub(16);
    let (r, err);
    // SAFETY: the parent moves `$sp` down by 32 to pass `ctid` at 16($sp), and back; only it
    // comes back out of the asm, with `$2`/`$7` set and `$1`, hi, lo restored (o32_syscall!).
    // The child starts on `child_sp` with `$2 = $7 = 0` and the parent's other registers,
    // `$16..$23` included: the kernel saves those into the child's frame before copying it
    // (arch/mips/kernel/syscall.c, save_static_function(sys_clone)), and QEMU copies every
    // register. So `$19`/`$20` still hold entry/arg; the child puts the callee address in `$25`,
    // as o32 PIC code expects, zeroes `$fp` and `$ra` so that frame walks end at `entry` (a zero
    // return address), and jumps; `entry` never returns, so the child never comes back into
    // this function and never touches the parent's stack. A signal that arrives at any point
    // finds a valid stack and thread pointer (the caller prepared both).
    unsafe {
        o32_syscall!(
            before: ["addiu $sp, $sp, -32", "sw {ctid}, 16($sp)"],
            after: [
                "bnez $2, 2f",
                "move $fp, $zero",
                "move $ra, $zero",
                "move $4, $20",
                "move $25, $19",
                "jr $25",
                "break",
                "2:",
                "addiu $sp, $sp, 32"
            ],
            ctid = in(reg) ctid,
            inlateout("$2") __NR_clone as usize => r, in("$4") flags, in("$5") child_sp, in("$6") ptid,
            inlateout("$7") tp => err, in("$19") entry, in("$20") arg,
        )
    };
    result(r, err)
}

/// `unmap_and_exit`: the end of a detached thread: unmaps `base..base + len`, its own stack
/// included, then exits: on mips o32 it moves to the static [`exit_stack`](super::exit_stack)
/// first, because the kernel reads 16..31($sp) on every syscall (arch/mips/kernel/scall32-o32.S).
///
/// # Safety
/// The calling thread runs on the mapping and must have nothing left to do; no other thread may
/// use the mapping.
pub unsafe fn unmap_and_exit(base: *mut u8, len: usize) -> ! {
    // After the munmap the thread's stack is gone, but the kernel still reads 16..31($sp) on the
    // `exit` (module header): switch to the static exit stack first. `take` makes its lock word
    // our CLONE_CHILD_CLEARTID address, so the kernel frees it once we are gone.
    // SAFETY: the caller blocked all signals and turned off its old CLONE_CHILD_CLEARTID store.
    let top = unsafe { super::exit_stack::take() };
    // SAFETY: from the `move` on, the only memory the thread uses is the exit stack, which is
    // ours until the kernel clears the lock word after `exit`: `$sp` sits 32 bytes below its
    // 16-byte aligned top, so the slots the kernel reads lie inside it. The exit number is an
    // immediate and its argument a register. `.set noat`: LLVM may hand `top` over in `$1`.
    unsafe {
        asm!(
            ".set push",
            ".set noat",
            "move $sp, {top}",
            "addiu $sp, $sp, -32",
            "syscall",
            "move $4, $zero",
            "addiu $2, $zero, {exit}",
            "syscall",
            "break",
            ".set pop",
            top = in(reg) top,
            exit = const __NR_exit,
            in("$2") __NR_munmap as usize,
            in("$4") base, in("$5") len,
            options(noreturn)
        )
    }
}

/// `STACK_GUARD`: where mips o32 stack-protector code reads its canary.
///
/// Compilers read the stack-protector canary from the global `__stack_chk_guard` on mips Linux
/// (GCC's and LLVM's default for MIPS: no TCB slot is defined for it).
pub const STACK_GUARD: StackGuard = StackGuard::Global;

/// mips's own `struct sigaction`: `{ unsigned int sa_flags; __sighandler_t sa_handler;
/// sigset_t sa_mask; }`, flags first (include/linux/signal_types.h under
/// `__ARCH_HAS_IRIX_SIGACTION`, which arch/mips/include/asm/signal.h defines; the uapi
/// arch/mips/include/uapi/asm/signal.h has the same layout). The mask is `_NSIG / 8` = 16 bytes
/// (_NSIG is 128 on mips). The kernel has had no `sa_restorer` on o32 since 2.5.48 and copies
/// exactly these 24 bytes.
///
/// `spare` is one more word that nothing reads: qemu-user up to 10.0 still declares an o32
/// `sa_restorer` after the mask (linux-user/syscall_defs.h, `struct target_sigaction` under
/// TARGET_ARCH_HAS_SA_RESTORER; dropped by "linux-user/mips/o32: Drop sa_restorer
/// functionality", 2025) and so reads and writes 28 bytes at both pointers. Without the word its
/// write of the old action overran the struct into the caller's saved registers (measured with
/// qemu-mips 7.2: `$16` came back 0). musl's mips `struct k_sigaction` ends with the same
/// spare word (arch/mips/ksigaction.h).
#[repr(C)]
struct KernelSigaction {
    flags: u32,
    handler: usize,
    mask: SigSet,
    spare: usize,
}

static_assertions::const_assert_eq!(core::mem::offset_of!(KernelSigaction, handler), 4);
static_assertions::const_assert_eq!(core::mem::offset_of!(KernelSigaction, mask), 8);
static_assertions::const_assert_eq!(core::mem::size_of::<KernelSigaction>(), 8 + 16 + 4);

/// `rt_sigaction`: installs and/or reads the disposition of signal `sig`, in mips o32's `struct
/// sigaction` (flags first, no restorer: the kernel supplies the return path).
///
/// `rt_sigaction(sig, act, oact, sigsetsize)` with mips's layout. mips has no SA_RESTORER: the
/// kernel sets a handler's `$ra` to the vDSO's rt_sigreturn trampoline (arch/mips/kernel/signal.c,
/// setup_rt_frame: `regs[31] = sig_return`; kernels before the vDSO used a trampoline in the
/// signal frame), and QEMU to its own signal trampoline page; the handler returns with `jr $ra`.
///
/// # Safety
/// `new.handler` is `SIG_DFL`, `SIG_IGN` or a handler that may run at any time on any thread.
pub unsafe fn rt_sigaction(sig: u32, new: Option<&Sigaction>, old: Option<&mut Sigaction>) -> usize {
    let k_new = new.map(|a| KernelSigaction { flags: a.flags as u32, handler: a.handler, mask: a.mask, spare: 0 });
    let mut k_old = KernelSigaction { flags: 0, handler: 0, mask: SigSet::EMPTY, spare: 0 };
    let new_ptr = k_new.as_ref().map_or(core::ptr::null(), |a| a as *const KernelSigaction);
    // SAFETY: both pointers are null or point at live structs of the layout the mips kernel
    // reads and writes; the handler's validity is the caller's contract.
    let r = unsafe {
        syscall4(
            __NR_rt_sigaction as usize,
            sig as usize,
            new_ptr as usize,
            &mut k_old as *mut KernelSigaction as usize,
            core::mem::size_of::<SigSet>(),
        )
    };
    if let Some(old) = old {
        *old = Sigaction { handler: k_old.handler, flags: k_old.flags as usize, mask: k_old.mask };
    }
    r
}

/// `struct ucontext` (arch/mips/include/uapi/asm/ucontext.h): `uc_flags`, `uc_link`,
/// `uc_stack` (o32: 12 bytes), then `uc_mcontext`, 8-byte aligned at 24, the o32
/// `struct sigcontext` (uapi/asm/sigcontext.h, `_MIPS_SIM_ABI32`: `sc_regmask, sc_status`, then
/// `unsigned long long sc_pc` at 8 and `sc_regs[32]` at 16). The registers are 64-bit fields
/// even on o32 (the 32-bit value is the low word: at +4 on big-endian, at +0 on little-endian;
/// the accessors below move whole `u64`s, so they hold for both); the stack pointer is `$29`.
const UC_PC: usize = 24 + 8;
const UC_SP: usize = 24 + 16 + 29 * 8;
/// `uc_sigmask` follows `uc_mcontext` (same header): the o32 `struct sigcontext` is 592 bytes
/// (`sc_regmask, sc_status, sc_pc, sc_regs[32], sc_fpregs[32]` to 528, five `unsigned int` to
/// 548, padded to 552 for `sc_mdhi, sc_mdlo`, then six 32-bit `sc_hi1..sc_lo3`). o32's
/// `sigset_t` is 128 bits, four 32-bit words, as `SigSet`. `rt_sigreturn` restores the mask
/// from here (arch/mips/kernel/signal.c, `sys_rt_sigreturn`: `frame->rs_uc.uc_sigmask`).
const UC_SIGMASK: usize = 24 + 592;

/// `context_pc`: the interrupted program counter, `sc_pc` of the o32 `struct sigcontext` in the
/// handler's ucontext (a 64-bit field even on o32; arch/mips/include/uapi/asm/sigcontext.h).
///
/// # Safety
/// `uc` is the third argument of an SA_SIGINFO handler that is still running.
pub unsafe fn context_pc(uc: *const c_void) -> usize {
    // SAFETY: per the contract, `sc_pc` is an aligned u64 inside the ucontext.
    unsafe { uc.byte_add(UC_PC).cast::<u64>().read() as usize }
}

/// `context_sp`: the interrupted stack pointer, `sc_regs[29]` of the same context.
///
/// # Safety
/// As for [`context_pc`].
pub unsafe fn context_sp(uc: *const c_void) -> usize {
    // SAFETY: as for context_pc (`sc_regs[29]`).
    unsafe { uc.byte_add(UC_SP).cast::<u64>().read() as usize }
}

/// `set_context_pc`: makes the thread resume at `pc` when the handler returns.
///
/// # Safety
/// As for [`context_pc`]; the thread resumes at `pc` with the interrupted registers and stack.
pub unsafe fn set_context_pc(uc: *mut c_void, pc: usize) {
    // Sign-extended, as a 64-bit kernel keeps an o32 task's registers (a user address has the
    // top bit clear, so this is the zero extension a 32-bit kernel truncates back).
    // SAFETY: as for context_pc; rt_sigreturn loads `cp0_epc` from here
    // (arch/mips/kernel/signal.c, `restore_sigcontext`).
    unsafe { uc.byte_add(UC_PC).cast::<u64>().write(pc as i32 as i64 as u64) }
}

/// `context_sigmask`: the mask the thread gets back when the handler returns, `uc_sigmask` of the
/// handler's ucontext.
///
/// # Safety
/// As for [`context_pc`]; what is written there becomes the thread's mask when the handler
/// returns.
pub unsafe fn context_sigmask(uc: *mut c_void) -> *mut SigSet {
    // SAFETY: per the contract, `uc_sigmask` is an aligned `sigset_t` inside the ucontext.
    unsafe { uc.byte_add(UC_SIGMASK).cast() }
}

/// The cancellable syscall (see the contract in `arch/mod.rs`). o32: `cancel` in `$4`, `nr` in
/// `$5`, `a1`/`a2` in `$6`/`$7`, `a3..a6` in the caller's argument words at 16..31($sp). The
/// prologue makes a 32-byte frame (8-byte aligned) and copies `a5`/`a6` to its 16($sp) and
/// 20($sp), where the kernel reads a syscall's 5th and 6th arguments (as `syscall6` does); the
/// epilogue, in `jr`'s delay slot, drops it. After the `syscall` the epilogue turns `$7`'s
/// error flag into strand's negated errno, as the `syscallN` do; the cancel path joins after
/// that. `$8`/`$9` are temporaries in o32 and the kernel's clobbers are caller-saved, so
/// nothing else needs saving; nothing here uses `$1`. Delay slots are written out
/// (`noreorder`); the branch to the cancel path targets a local label at its address.
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
        "addiu $sp, $sp, -32",
        "lw $8, 56($sp)",
        "lw $9, 60($sp)",
        "sw $8, 16($sp)",
        "sw $9, 20($sp)",
        "__strand_cp_begin:",
        "lw $8, 0($4)",
        "bnez $8, 2f",
        "nop",
        "move $2, $5",
        "move $4, $6",
        "move $5, $7",
        "lw $6, 48($sp)",
        "lw $7, 52($sp)",
        "syscall",
        "__strand_cp_end:",
        "beqz $7, 1f",
        "nop",
        "subu $2, $zero, $2",
        "1:",
        "jr $ra",
        "addiu $sp, $sp, 32",
        "__strand_cp_cancel:",
        "2:",
        "b 1b",
        "addiu $2, $zero, {ecanceled}",
        ".set pop",
        ecanceled = const -(sys::errno::ECANCELED as isize),
    )
}
