//! powerpc, 32-bit big-endian (System V Application Binary Interface, PowerPC Processor
//! Supplement, and its Linux/ELF additions; Linux 32-bit powerpc syscall convention): the
//! `powerpc` row of `arch/abis.rs`.
//!
//! Syscalls: `sc` with the number in `r0`, arguments in `r3..r8`, the result in `r3` (man 2
//! syscall, "Architecture calling conventions"). On failure the kernel sets CR0.SO and leaves a
//! *positive* errno in `r3`; every syscall here turns that into strand's `-4095..=-1` (no
//! successful result of a syscall strand makes lies there: user addresses end below 0xf000_0000
//! on a 32-bit powerpc kernel). On the way out of an `sc` the kernel's fast path reloads only
//! `r1`, `r2`, `r3`, `lr` and the whole CR (with CR0.SO as the result says) and leaves `r0` and
//! `r4..r12` holding kernel values; its slow path reloads `ctr` and `xer` from the saved frame
//! (arch/powerpc/kernel/entry_32.S, `ret_from_syscall` and `syscall_exit_finish`). `r13..r31`
//! come back unchanged. So every asm below clobbers `r0`, `r4..r12`, `cr0`, `ctr` and `xer`, as
//! the powerpc64 file does (musl's arch/powerpc makes every syscall an out-of-line call, which
//! clobbers the same volatile registers).
//!
//! The thread pointer is `r2` (the SysV ABI reserves it as the system register; musl
//! arch/powerpc/pthread_arch.h reads it as `register char *tp __asm__("r2")`): the main
//! thread's is set by writing the register (no syscall), and read with one `mr`. Rust reserves
//! `r2` (and `r13`, the small-data base, and `r29..r31`), so the asm names it only in the
//! template, never as an operand.
//!
//! Byte order: the kernel's powerpc ABI has no byte-order case for a 32-bit task (one
//! arch/powerpc tree; the uapi headers' `struct ucontext`, `struct sigaction` and `sigset_t`
//! are words), and nothing here reads part of a word: registers are moved whole, the ucontext
//! is read as 32-bit words, and `syscall_cp` loads the 32-bit `cancel` word with `lwz`.

use super::{Sigaction, StackGuard, TlsAbi, TlsVariant};
use crate::signal::SigSet;
use core::arch::{asm, naked_asm};
use core::ffi::c_void;
#[cfg(not(test))]
use sys::elf::Elf_Phdr;
use sys::general::{__NR_clone, __NR_exit, __NR_munmap};

/// `sys`: the kernel's constants, syscall numbers and struct layouts for 32-bit powerpc, from
/// `linux_raw_sys` (its powerpc modules, generated from the kernel's uapi headers).
pub use linux_raw_sys as sys;

// `nr`: 32-bit powerpc has the 64-bit-time syscalls, `mmap2` (offset in 4096-byte units whatever
// the page size: arch/powerpc/kernel/syscalls.c passes `PAGE_SHIFT - 12` to `do_mmap2`), uid/gid
// calls that take 32-bit ids (no `getuid32`), `alarm` and the 32-bit-time originals
// (arch/powerpc/kernel/syscalls/syscall.tbl).
nr_time64! {
    ids: plain,
    time32: fallback,
    /// `alarm` is syscall 27, `common` (arch/powerpc/kernel/syscalls/syscall.tbl).
    pub const ALARM: Option<usize> = Some(g::__NR_alarm as usize);
}

/// `R_RELATIVE`: the relocation type strand's start-up applies to a static-pie on 32-bit powerpc.
///
/// `R_PPC_RELATIVE` (B + A) (SysV PowerPC psABI, "Relocation Types"; lld's PPC.cpp
/// `getDynRel`/`relativeRel`): the only relocation a static-pie applies.
pub const R_RELATIVE: u32 = 22;
/// `r_info` is in the gABI's form on this ABI.
pub use super::r_info_unchanged as r_info_gabi;

/// `TLS`: the static-TLS layout strand builds for each thread on 32-bit powerpc.
///
/// Variant I with the 0x7000 bias: `r2` points 0x7000 bytes past the start of the TLS block,
/// which follows the TCB with no gap (Power Architecture 32-bit ABI, "Thread-Local Storage";
/// lld's `getTlsTpOffset` computes every EM_PPC TP offset as
/// `offset + (p_vaddr & (p_align - 1)) - 0x7000`; musl arch/powerpc/pthread_arch.h, `TP_ADJ`
/// adds 0x7000). strand's Tcb sits right below the block.
pub const TLS: TlsAbi = TlsAbi { variant: TlsVariant::I, gap: 0, bias: 0x7000 };

// The syscalls are those of `powerpc_sc.rs`, shared with the powerpc64 file.
#[path = "powerpc_sc.rs"]
mod sc;
pub use sc::{syscall0, syscall1, syscall2, syscall3, syscall4, syscall5, syscall6};

/// `mmap_raw`: an anonymous or offset-0 mapping with `mmap2` (32-bit powerpc: six register
/// arguments, offset in 4096-byte units; arch/powerpc/kernel/syscalls/syscall.tbl).
///
/// # Safety
/// The caller upholds mmap's contract.
#[inline]
pub unsafe fn mmap_raw(addr: usize, len: usize, prot: usize, flags: usize, fd: usize) -> usize {
    // SAFETY: the caller upholds mmap's contract; mmap2's offset is in 4096-byte units, and 0 is
    // 0 either way.
    unsafe { syscall6(nr::MMAP, addr, len, prot, flags, fd, 0) }
}

// The kernel enters `_start` with `r1` pointing at argc (fs/binfmt_elf.c, create_elf_tables;
// SysV PowerPC psABI, "Process Initialization"). Before any Rust code runs:
// - `r2` must point at the provisional control block (`arch::BOOT_TCB` + `BOOT_TP_DELTA`), so
//   stack-protector prologues can read the canary at `r2 - 0x7008` before start-up has set the
//   real thread pointer. Its address is taken PC-relative: `bcl 20,31` puts the address of the
//   next instruction in `lr` without disturbing the return-address predictor (Power ISA,
//   "Branch Instructions" note), and `@ha`/`@l` of the distance from there (R_PPC_REL16_HA/LO)
//   give the rest, so the code runs unchanged at any load address.
// - a minimal frame: `r1` 16-byte aligned (SysV PowerPC psABI, "Stack Frame": the stack pointer
//   is always 16-byte aligned) and 16 bytes below it, the back chain word and the word at 4(r1)
//   where a callee saves its LR, with a NULL back chain so frame walks stop here. `stwu` stores
//   it and moves `r1` in one instruction, so `r1` always points at a valid back chain.
// No TOC or GOT pointer is passed: 32-bit SysV code computes its own GOT pointer in the
// prologue of a function that needs one. But the addresses it then loads from that GOT (`.got2`:
// every static's address, every jump table's) are what a static-pie must relocate first, so
// `relocate_early` applies the image's RELATIVE relocations before `rt::__strand_start` runs
// (see there). Both are reached with `bl` (R_PPC_REL24, no GOT); `r14` and `r15`
// (callee-saved) keep the initial `r1` across the first call. `trap` (`tw 31,0,0`) would stop
// the process if `__strand_start` ever returned.
#[cfg(not(test))]
#[no_mangle]
#[unsafe(naked)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        "mr 15, 1",
        "bcl 20, 31, 1f",
        "1:",
        "mflr 14",
        "addis 2, 14, ({boot} - 1b)@ha",
        "addi 2, 2, ({boot} - 1b)@l",
        "addi 2, 2, {delta}",
        "clrrwi 1, 1, 4",
        "li 0, 0",
        "stwu 0, -16(1)",
        "mr 3, 15",
        "bl {early}",
        "mr 3, 15",
        "bl {start}",
        "trap",
        boot = sym super::BOOT_TCB,
        delta = const super::BOOT_TP_DELTA,
        early = sym relocate_early,
        start = sym crate::rt::__strand_start,
    )
}

// The reads of the image before it is relocated, shared with the mips files.
#[cfg(not(test))]
#[path = "pic_early.rs"]
mod early;

/// Applies a static-pie's well-formed RELATIVE relocations of its DT_RELA table before any other
/// Rust code runs, because 32-bit powerpc position-independent code takes every address from a
/// table the image itself holds: LLVM's PPC32 PIC code points `r30` at `.got2` (computed
/// PC-relative in the function's prologue) and loads each static's, string's and jump table's
/// address from there, and lld fills those words with link-time addresses plus an R_PPC_RELATIVE
/// relocation each (measured: `rt`'s relocation code itself loaded a jump table's address from
/// `.got2` and faulted at address 4 before this pass existed). The generic relocation in `rt`
/// then checks every table and applies it again, which changes nothing for these entries (RELA:
/// the target gets `bias + addend`, whatever it held) and reports anything it refuses.
///
/// So this function is the one piece of Rust that runs with `.got2` as the linker left it: it
/// calls nothing (the helpers of `pic_early.rs` are always inlined), uses no static and no
/// literal whose address would come from `.got2`, keeps to `wrapping_*` arithmetic and raw reads
/// (no panicking operation), and tests keys with separate `if`s rather than a `match`, which
/// LLVM may compile to a jump table. It skips, rather than refuses, whatever is not well-formed
/// (an entry of another type or size, a target outside the writable segments, a table outside
/// the loaded ones), leaving the report to `rt`, and does nothing for an image without
/// PT_DYNAMIC (the ordinary static build), with PT_INTERP (a loader has done it), without
/// PT_PHDR (`rt` finds the bias another way), or loaded at its link-time address. Called only
/// by `_start`, with the kernel's initial stack pointer.
#[cfg(not(test))]
#[inline(never)]
unsafe extern "C" fn relocate_early(sp: *const usize) {
    use sys::elf::{Elf_Rela, DT_NULL, DT_RELA, DT_RELAENT, DT_RELASZ};
    const W: usize = core::mem::size_of::<usize>();
    // SAFETY: `_start` passes the kernel's initial stack pointer.
    let (phdr, phent, phnum) = unsafe { early::auxv_phdrs(sp) };
    if phdr == 0
        || phnum == 0
        || phent != core::mem::size_of::<Elf_Phdr>()
        || phdr % core::mem::align_of::<Elf_Phdr>() != 0
    {
        return;
    }
    let headers = phdr as *const Elf_Phdr;
    // SAFETY: AT_PHDR and AT_PHNUM describe mapped, aligned program headers (checked).
    let image = unsafe { early::image(headers, phnum) };
    let Some(phdr_vaddr) = image.phdr_vaddr else { return };
    let Some((dyn_vaddr, dyn_size)) = image.dynamic else { return };
    let bias = phdr.wrapping_sub(phdr_vaddr);
    if dyn_size == 0 || image.interp || bias == 0 || dyn_vaddr % W != 0 {
        return;
    }
    // SAFETY: reads the program headers, as above.
    if !unsafe { early::in_load(headers, phnum, dyn_vaddr, dyn_size, false) } {
        return;
    }
    let (mut rela, mut size, mut ent) = (0usize, 0usize, 0usize);
    let mut at = bias.wrapping_add(dyn_vaddr) as *const usize;
    let mut left = dyn_size / (2 * W);
    while left > 0 {
        // SAFETY: the entry lies inside PT_DYNAMIC, inside a loaded segment (checked), aligned.
        let (tag, val) = unsafe { (*at, *at.wrapping_add(1)) };
        if tag == DT_NULL as usize {
            break;
        }
        if tag == DT_RELA as usize {
            rela = val;
        }
        if tag == DT_RELASZ as usize {
            size = val;
        }
        if tag == DT_RELAENT as usize {
            ent = val;
        }
        at = at.wrapping_add(2);
        left = left.wrapping_sub(1);
    }
    const ENT: usize = core::mem::size_of::<Elf_Rela>();
    // SAFETY: reads the program headers, as above.
    if rela == 0 || ent != ENT || rela % W != 0 || !unsafe { early::in_load(headers, phnum, rela, size, false) } {
        return;
    }
    let mut entry = bias.wrapping_add(rela) as *const Elf_Rela;
    let mut left = size / ENT;
    while left > 0 {
        // SAFETY: the entry lies inside the table, inside a loaded segment (checked), aligned.
        let r = unsafe { &*entry };
        let (offset, info) = (r.r_offset, r.r_info as usize);
        // ELF32_R_TYPE is the low byte of r_info, ELF32_R_SYM the rest (System V gABI,
        // "Relocation"); RELATIVE names no symbol.
        // SAFETY: reads the program headers, as above.
        if info == R_RELATIVE as usize && offset % W == 0 && unsafe { early::in_load(headers, phnum, offset, W, true) } {
            // SAFETY: the target is an aligned word of a writable loaded segment (checked),
            // which nothing has read yet.
            unsafe { *(bias.wrapping_add(offset) as *mut usize) = bias.wrapping_add(r.r_addend) };
        }
        entry = entry.wrapping_add(1);
        left = left.wrapping_sub(1);
    }
}

/// `set_thread_pointer`: makes `tp` the calling thread's thread pointer (32-bit powerpc: writes
/// `r2`, no syscall; SysV PowerPC psABI TLS, "the thread pointer is r2"). Returns 0.
///
/// # Safety
/// `tp` must point at a control block laid out as [`TLS`] says, live for as long as the
/// thread runs.
pub unsafe fn set_thread_pointer(tp: *mut u8) -> usize {
    // The thread pointer is `r2` itself (the kernel saves and restores it with the other GPRs,
    // and CLONE_SETTLS sets a 32-bit task's `r2`: arch/powerpc/kernel/process.c, copy_thread).
    // No syscall: start-up only needs the register written.
    // SAFETY: `r2` is reserved from LLVM's register allocation, so nothing else lives in it;
    // nothing reads TLS through the old value afterwards (start-up sets it before any TLS access).
    unsafe { asm!("mr 2, {}", in(reg) tp, options(nostack, preserves_flags)) };
    0
}

/// `load_tp_u32`: a word of the calling thread's control block, read through [`thread_pointer`].
///
/// One load at an offset from `thread_pointer()` (no segment-relative addressing here).
pub use super::load_tp_u32_from_pointer as load_tp_u32;

/// `thread_pointer`: the calling thread's thread pointer, which is how it finds its control block.
///
/// A register read (`r2`), no syscall; set by writing the register.
#[inline(always)]
pub fn thread_pointer() -> *mut u8 {
    let tp;
    // SAFETY: copying `r2` touches no memory and no flags; start-up and clone set it before any
    // thread reads it.
    unsafe { asm!("mr {}, 2", out(reg) tp, options(nomem, nostack, preserves_flags)) };
    tp
}

/// `clone_thread`: starts a thread with the raw `clone` (see the contract in `arch/mod.rs`); on
/// 32-bit powerpc the child gets `tp` in `r2` and calls `entry(arg)` below a 16-byte frame with
/// a NULL back chain.
///
/// powerpc clone argument order is (flags, stack, ptid, tls, ctid): arch/powerpc/Kconfig selects
/// CLONE_BACKWARDS (kernel/fork.c; man 2 clone, "C library/kernel differences"). With
/// CLONE_SETTLS a 32-bit task's `tls` becomes the child's `r2` (arch/powerpc/kernel/process.c,
/// copy_thread).
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
    // SAFETY: the child starts with `r1 = stack_top` (16-byte aligned by the caller), `r3 = 0`
    // and a copy of the parent's registers otherwise, the non-volatile `r14..r31` restored from
    // that copy (arch/powerpc/kernel/entry_32.S, `ret_from_fork`: `REST_NVGPRS`; musl's
    // src/thread/powerpc/clone.s carries its function and argument to the child in `r30`/`r31`
    // the same way), while `r0` and `r4..r12` come back as the syscall exit leaves them: so
    // `entry` and `arg` travel in `r14`/`r15`. An error (CR0.SO) leaves a positive errno, never
    // 0, in `r3`, so `r3 == 0` with CR0.SO clear is the child. The child stores a NULL back
    // chain with `stwu`, making the 16-byte frame below `stack_top` whose word at 4(r1) the
    // callee may save its LR into (SysV PowerPC psABI, "Stack Frame"), calls `entry` through
    // `ctr`, and never comes back into this function. The parent only sees `r3`.
    unsafe {
        asm!(
            "sc",
            "bso- 2f",
            "cmpwi 3, 0",
            "bne+ 3f",
            "li 0, 0",
            "stwu 0, -16(1)",
            "mtctr 14",
            "mr 3, 15",
            "bctrl",
            "trap",
            "2:",
            "neg 3, 3",
            "3:",
            inlateout("r0") __NR_clone as usize => _,
            inlateout("r3") flags => r, inlateout("r4") stack_top => _, inlateout("r5") ptid => _,
            inlateout("r6") tp => _, inlateout("r7") ctid => _,
            lateout("r8") _, lateout("r9") _, lateout("r10") _, lateout("r11") _, lateout("r12") _,
            in("r14") entry, in("r15") arg,
            out("cr0") _, out("ctr") _, out("xer") _,
            options(nostack)
        )
    };
    r
}

/// `unmap_and_exit`: the end of a detached thread: unmaps `base..base + len`, its own stack
/// included, then exits, using only registers in between (32-bit powerpc: `sc` needs no stack).
///
/// # Safety
/// The calling thread runs on the mapping and must have nothing left to do; no other thread may
/// use the mapping.
pub unsafe fn unmap_and_exit(base: *mut u8, len: usize) -> ! {
    // SAFETY: after munmap nothing touches memory: the exit number and its argument are
    // immediates loaded into registers. munmap cannot fail here (the mapping is ours), and exit
    // does not return, so neither result is looked at.
    unsafe {
        asm!(
            "sc",
            "li 0, {exit}",
            "li 3, 0",
            "sc",
            "trap",
            exit = const __NR_exit,
            in("r0") __NR_munmap as usize,
            in("r3") base, in("r4") len,
            options(noreturn, nostack)
        )
    }
}

/// `STACK_GUARD`: where 32-bit powerpc stack-protector code reads its canary.
///
/// The canary of `-Zstack-protector` code is at `r2`-0x7008 on 32-bit powerpc (GCC's rs6000
/// `TARGET_THREAD_SSP_OFFSET`, LLVM's PPC `LOAD_STACK_GUARD` expansion: `-0x7008` from `R2`
/// where it is `-0x7010` from `X13` on ppc64; glibc's powerpc `tcbhead_t.stack_guard`).
pub const STACK_GUARD: StackGuard = StackGuard::TpRelative(-0x7008);

/// `rt_sigaction`: installs and/or reads the disposition of signal `sig`, in 32-bit powerpc's
/// `struct sigaction`, with no restorer: the powerpc kernel supplies the return path.
///
/// `{handler, flags, restorer, mask}` (include/linux/signal_types.h with powerpc's
/// `__ARCH_HAS_SA_RESTORER`; linux-raw-sys's powerpc `kernel_sigaction`). The powerpc kernel
/// never reads `sa_restorer`: a handler returns into the vDSO's rt_sigreturn trampoline or,
/// without a vDSO, into one the kernel writes into the signal frame's `mc_pad`
/// (arch/powerpc/kernel/signal_32.c, handle_rt_signal32, which sets `lr` to either), so strand
/// can supply no return path of its own here. The handler is entered with `r3` = signal,
/// `r4` = siginfo, `r5` = ucontext and `r2` untouched. qemu-user likewise returns through an
/// rt_sigreturn trampoline on a page of its own (linux-user/ppc/signal.c, setup_rt_frame).
///
/// # Safety
/// `new.handler` is `SIG_DFL`, `SIG_IGN` or a handler that may run at any time on any thread.
pub unsafe fn rt_sigaction(sig: u32, new: Option<&Sigaction>, old: Option<&mut Sigaction>) -> usize {
    // SAFETY: per the contract; the kernel supplies the rt_sigreturn path.
    unsafe { super::sigaction::with_restorer(sig, new, old, None) }
}

/// `struct ucontext` for 32-bit powerpc (arch/powerpc/include/uapi/asm/ucontext.h): `uc_flags`,
/// `uc_link`, `uc_stack` (12 bytes), `uc_pad[7]` (28), then `uc_regs` at 48, a pointer to the
/// `struct mcontext` whose registers `rt_sigreturn` loads (arch/powerpc/kernel/signal_32.c,
/// `do_setcontext`: `__get_user(mcp, &ucp->uc_regs)`, then `restore_user_regs(regs, mcp)`;
/// QEMU 7.2's linux-user/ppc/signal.c `do_setcontext` reads `tuc_regs` the same way). The
/// kernel points it at the frame's own `uc_mcontext`; strand follows the pointer, as sigreturn
/// does, rather than assume where it points.
const UC_REGS: usize = 48;
/// `uc_sigmask` right after `uc_regs` (same header; a 64-bit `sigset_t` of two words, the rest of
/// glibc's 1024-bit mask in `uc_maskext`); `rt_sigreturn` restores the mask from here
/// (signal_32.c, `do_setcontext`: `get_sigset_t(&set, &ucp->uc_sigmask)`).
const UC_SIGMASK: usize = 52;
/// In `mc_gregs` (`elf_gregset_t`, 48 words, at the start of `struct mcontext`) the stack
/// pointer is `PT_R1` = 1 and the PC `PT_NIP` = 32 (arch/powerpc/include/uapi/asm/ptrace.h; musl's
/// arch/powerpc/pthread_arch.h names `CANCEL_REG_IP` 32 too).
const GREG_SP: usize = 1;
const GREG_PC: usize = 32;

/// The `mc_gregs` of the handler's ucontext, through `uc_regs`.
///
/// # Safety
/// `uc` is the third argument of an SA_SIGINFO handler that is still running.
unsafe fn gregs(uc: *const c_void) -> *mut u32 {
    // SAFETY: per the contract, `uc_regs` is an aligned pointer-sized word of the ucontext, and
    // the kernel (or QEMU) set it to the frame's `struct mcontext`, which begins with `mc_gregs`.
    unsafe { uc.byte_add(UC_REGS).cast::<*mut u32>().read() }
}

/// `context_pc`: the interrupted program counter, `mc_gregs[PT_NIP]` of the `struct mcontext`
/// that the handler's ucontext points at (`uc_regs`; arch/powerpc/include/uapi/asm/ucontext.h).
///
/// # Safety
/// `uc` is the third argument of an SA_SIGINFO handler that is still running.
pub unsafe fn context_pc(uc: *const c_void) -> usize {
    // SAFETY: per the contract; `mc_gregs` has 48 words, PT_NIP is the 33rd.
    unsafe { gregs(uc).add(GREG_PC).read() as usize }
}

/// `context_sp`: the interrupted stack pointer, `mc_gregs[PT_R1]`.
///
/// # Safety
/// As for [`context_pc`].
pub unsafe fn context_sp(uc: *const c_void) -> usize {
    // SAFETY: as for context_pc (`r1`).
    unsafe { gregs(uc).add(GREG_SP).read() as usize }
}

/// `set_context_pc`: makes the thread resume at `pc` when the handler returns.
///
/// # Safety
/// As for [`context_pc`]; the thread resumes at `pc` with the interrupted registers and stack.
pub unsafe fn set_context_pc(uc: *mut c_void, pc: usize) {
    // SAFETY: as for context_pc; rt_sigreturn loads the NIP from this word of the mcontext that
    // `uc_regs` names (signal_32.c, `restore_user_regs`).
    unsafe { gregs(uc).add(GREG_PC).write(pc as u32) }
}

/// `context_sigmask`: the mask the thread gets back when the handler returns, `uc_sigmask` of the
/// handler's ucontext.
///
/// # Safety
/// As for [`context_pc`]; what is written there becomes the thread's mask when the handler
/// returns (rt_sigreturn restores it; SIGKILL and SIGSTOP are dropped).
pub unsafe fn context_sigmask(uc: *mut c_void) -> *mut SigSet {
    // SAFETY: per the contract, `uc_sigmask` is a word-aligned `sigset_t` inside the ucontext.
    unsafe { uc.byte_add(UC_SIGMASK).cast() }
}

/// The cancellable syscall (see the contract in `arch/mod.rs`). SysV 32-bit: `cancel` in `r3`,
/// `nr` in `r4`, `a1..a6` in `r5..r10` (eight word arguments all travel in `r3..r10`; SysV
/// PowerPC psABI, "Parameter Passing"). A leaf with no frame, so the range needs no prologue;
/// after the `sc` the epilogue turns CR0.SO's positive errno into the negated one, as the
/// `syscallN` do, and the cancel path joins after that. A syscall restarted after a handler
/// (SA_RESTART) re-executes the `sc` itself (the kernel backs the NIP up by 4 with `r3`
/// reloaded from `orig_gpr3`), inside the range.
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
        "lwz 11, 0(3)",
        "cmpwi 11, 0",
        "bne __strand_cp_cancel",
        "mr 0, 4",
        "mr 3, 5",
        "mr 4, 6",
        "mr 5, 7",
        "mr 6, 8",
        "mr 7, 9",
        "mr 8, 10",
        "sc",
        "__strand_cp_end:",
        "bns+ 1f",
        "neg 3, 3",
        "1:",
        "blr",
        "__strand_cp_cancel:",
        "li 3, {ecanceled}",
        "b 1b",
        ecanceled = const -(sys::errno::ECANCELED as isize),
    )
}
