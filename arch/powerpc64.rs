//! powerpc64, ELFv2 (64-Bit ELF V2 ABI Specification, Power Architecture; Linux syscall
//! convention), in both byte orders: the `powerpc64` (big-endian) and `powerpc64le`
//! (little-endian) rows of `arch/abis.rs` share this file. The ELFv2 ABI specification gives
//! both byte orders one calling convention, stack frame, TOC and TLS model, and the kernel's
//! syscall, clone, sigaction and ucontext layouts come from one arch/powerpc tree for both
//! (arch/powerpc/include/uapi/asm/signal.h, ucontext.h and sigcontext.h have no byte-order
//! case). Nothing here reads part of a word: registers are moved whole, the ucontext is read as
//! 64-bit words, and `syscall_cp` loads the 32-bit `cancel` word with `lwz` from its own address.
//!
//! Syscalls: `sc` with the number in `r0`, arguments in `r3..r8`, the result in `r3`
//! (Documentation/arch/powerpc/syscall64-abi.rst). On failure the kernel sets CR0.SO and leaves a
//! *positive* errno in `r3`; every syscall here turns that into strand's `-4095..=-1`. On the way
//! out of an `sc` the kernel zeroes `r0` and `r4..r12`, and `ctr` and `xer`, and writes back the
//! whole CR with only CR0.SO changed (arch/powerpc/kernel/interrupt_64.S, `system_call_common`:
//! `ZEROIZE_GPR(0)`, `ZEROIZE_GPRS(4, 12)`, `mtctr r0`, `mtspr SPRN_XER,r0`, `mtcr r2`); `lr`,
//! `r1`, `r2`, `r13` and `r14..r31` come back unchanged. So every asm below clobbers `r0`,
//! `r4..r12`, `cr0`, `ctr` and `xer` (musl's arch/powerpc64/syscall_arch.h names the same GPRs
//! and `cr0`; the syscall ABI document makes `ctr` and `xer` volatile as in the ELF ABI).
//!
//! The thread pointer is `r13`: the main thread's is set by writing the register (no syscall),
//! and read with one `mr`. Rust reserves `r13` (and `r2`, `r29..r31`), so the asm names it only in
//! the template, never as an operand.

use super::{Sigaction, StackGuard, TlsAbi, TlsVariant};
use core::arch::{asm, naked_asm};
use sys::general::{__NR_clone, __NR_exit, __NR_munmap};

/// `sys`: the kernel's constants, syscall numbers and struct layouts for powerpc64, from
/// `linux_raw_sys` (its powerpc64 modules, generated from the kernel's uapi headers; the same for
/// `powerpc64le`).
pub use linux_raw_sys as sys;

/// `mmap_raw`: an anonymous or offset-0 mapping with the plain `mmap` (powerpc64: six register
/// arguments, byte offset; arch/powerpc/kernel/syscalls/syscall.tbl).
///
/// 64-bit time and a register-argument `mmap`: the plain syscall names
/// (arch/powerpc/kernel/syscalls/syscall.tbl: `mmap` 90 is `sys_mmap` with six register
/// arguments, byte offset).
pub use super::mmap_six_args as mmap_raw;
nr_native! {
    /// `alarm` is syscall 27 (arch/powerpc/kernel/syscalls/syscall.tbl).
    pub const ALARM: Option<usize> = Some(super::sys::general::__NR_alarm as usize);
}

/// `R_RELATIVE`: the relocation type strand's start-up applies to a static-pie on powerpc64.
///
/// `R_PPC64_RELATIVE` (B + A) (ELFv2 ABI, "Relocation Types"): the only relocation a static-pie
/// applies.
pub const R_RELATIVE: u32 = 22;
/// `r_info` is in the gABI's form on this ABI.
pub use super::r_info_unchanged as r_info_gabi;

/// `TLS`: the static-TLS layout strand builds for each thread on powerpc64.
///
/// Variant I with the 0x7000 bias: `r13` points 0x7000 bytes past the start of the TLS block,
/// which follows the TCB with no gap (ELFv2 ABI, "Thread Local Storage"; lld's `getTlsTpOffset`
/// computes every EM_PPC64 TP offset as `offset + (p_vaddr & (p_align - 1)) - 0x7000`, so the
/// bias lets a signed 16-bit displacement reach 0xf000 bytes of TLS). strand's Tcb sits right
/// below the block.
pub const TLS: TlsAbi = TlsAbi { variant: TlsVariant::I, gap: 0, bias: 0x7000 };

// The syscalls are those of `powerpc_sc.rs`, shared with the 32-bit powerpc file.
#[path = "powerpc_sc.rs"]
mod sc;
pub use sc::{syscall0, syscall1, syscall2, syscall3, syscall4, syscall5, syscall6};

// The kernel enters `_start` with `r1` pointing at argc (ELFv2 ABI, "Process Initialization";
// fs/binfmt_elf.c, create_elf_tables). Before any Rust code runs:
// - `r2` must hold the TOC pointer: every ELFv2 function reached through its local entry point
//   (a plain `bl`) assumes it. `bcl 20,31` puts the address of the next instruction in `lr`
//   without disturbing the return-address predictor (Power ISA, "Branch Instructions" note), and
//   `.TOC.` relative to that address gives `r2`, as a global entry point's `addis`/`addi` pair
//   does with `r12` (ELFv2 ABI, "Function Prologue"). This does not rely on the kernel's `r12`.
// - `r13` must point at the provisional control block (`arch::BOOT_TCB` + `BOOT_TP_DELTA`), so
//   stack-protector prologues can read the canary at `r13 - 0x7010` before start-up has set the
//   real thread pointer.
// - a minimal frame: `r1` 16-byte aligned (ELFv2 ABI, "Stack Frame": quadword alignment) and 32
//   bytes (back chain, CR save, LR save, TOC save: the ELFv2 minimum frame) the callee may write
//   into, with a NULL back chain so frame walks stop here. `stdu` stores it and moves `r1` in one
//   instruction, so `r1` always points at a valid back chain.
// `bl` reaches `__strand_start` at its local entry with `r2` set; it never returns, and `trap`
// (`tw 31,0,0`) would stop the process if it did.
#[cfg(not(test))]
#[no_mangle]
#[unsafe(naked)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        "mr 3, 1",
        "bcl 20, 31, 1f",
        "1:",
        "mflr 12",
        "addis 2, 12, (.TOC. - 1b)@ha",
        "addi 2, 2, (.TOC. - 1b)@l",
        "addis 13, 12, ({boot} - 1b)@ha",
        "addi 13, 13, ({boot} - 1b)@l",
        "addi 13, 13, {delta}",
        "clrrdi 1, 1, 4",
        "li 0, 0",
        "stdu 0, -32(1)",
        "bl {start}",
        "trap",
        boot = sym super::BOOT_TCB,
        delta = const super::BOOT_TP_DELTA,
        start = sym crate::rt::__strand_start,
    )
}

/// `set_thread_pointer`: makes `tp` the calling thread's thread pointer (powerpc64: writes `r13`,
/// no syscall; ELFv2 ABI, "Thread Local Storage"). Returns 0.
///
/// # Safety
/// `tp` must point at a control block laid out as [`TLS`] says, live for as long as the
/// thread runs.
pub unsafe fn set_thread_pointer(tp: *mut u8) -> usize {
    // The thread pointer is `r13` itself (ELFv2 ABI, "Thread Local Storage"; the kernel saves and
    // restores it with the other GPRs, and CLONE_SETTLS sets the child's, arch/powerpc/kernel/
    // process.c, copy_thread). No syscall: start-up only needs the register written.
    // SAFETY: `r13` is reserved from LLVM's register allocation, so nothing else lives in it;
    // nothing reads TLS through the old value afterwards (start-up sets it before any TLS access).
    unsafe { asm!("mr 13, {}", in(reg) tp, options(nostack, preserves_flags)) };
    0
}

/// `load_tp_u32`: a word of the calling thread's control block, read through [`thread_pointer`].
///
/// One load at an offset from `thread_pointer()` (no segment-relative addressing here).
pub use super::load_tp_u32_from_pointer as load_tp_u32;

/// `thread_pointer`: the calling thread's thread pointer, which is how it finds its control block.
///
/// A register read (`r13`), no syscall; set by writing the register.
#[inline(always)]
pub fn thread_pointer() -> *mut u8 {
    let tp;
    // SAFETY: copying `r13` touches no memory and no flags; start-up and clone set it before any
    // thread reads it.
    unsafe { asm!("mr {}, 13", out(reg) tp, options(nomem, nostack, preserves_flags)) };
    tp
}

/// `clone_thread`: starts a thread with the raw `clone` (see the contract in `arch/mod.rs`); on
/// powerpc64 the child gets `tp` in `r13` and calls `entry(arg)` at its global entry point, with
/// its address in `r12`, below a 32-byte ELFv2 minimum frame.
///
/// powerpc clone argument order is (flags, stack, ptid, tls, ctid): arch/powerpc/Kconfig selects
/// CLONE_BACKWARDS (kernel/fork.c; man 2 clone, "C library/kernel differences"). With
/// CLONE_SETTLS a 64-bit task's `tls` becomes the child's `r13` (arch/powerpc/kernel/process.c,
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
    // and the parent's registers otherwise, except that the syscall exit zeroes `r0`, `r4..r12`,
    // `ctr` and `xer` in it too (arch/powerpc/kernel/interrupt_64.S, `ret_from_fork` then
    // `.Lsyscall_exit`): so `entry` and `arg` travel in the non-volatile `r14`/`r15`, which the
    // kernel restores (`REST_NVGPRS`). An error (CR0.SO) leaves a positive errno, never 0, in
    // `r3`, so `r3 == 0` with CR0.SO clear is the child. The child stores a NULL back chain with
    // `stdu`, making the 32-byte ELFv2 minimum frame below `stack_top` that the callee may write
    // its LR and TOC into (ELFv2 ABI, "Stack Frame"), enters `entry` at its global entry point
    // with its address in `r12` (from which it computes its `r2`; ELFv2 ABI, "Function Linkage")
    // through `ctr`, and never comes back into this function. The parent only sees `r3`.
    unsafe {
        asm!(
            "sc",
            "bso- 2f",
            "cmpdi 3, 0",
            "bne+ 3f",
            "li 0, 0",
            "stdu 0, -32(1)",
            "mtctr 14",
            "mr 12, 14",
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
/// included, then exits, using only registers in between (powerpc64: `sc` needs no stack).
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

/// `STACK_GUARD`: where powerpc64 stack-protector code reads its canary.
///
/// The canary of `-Zstack-protector` code is at `r13`-0x7010 on ppc64 (GCC's rs6000
/// `TARGET_THREAD_SSP_OFFSET`, LLVM's PPC `LOAD_STACK_GUARD` expansion; glibc's powerpc
/// `tcbhead_t.stack_guard`, read as `ld ...,-28688(13)` in sysdeps/generic/stackguard-macros.h).
pub const STACK_GUARD: StackGuard = StackGuard::TpRelative(-0x7010);

/// `rt_sigaction`: installs and/or reads the disposition of signal `sig`, in powerpc64's `struct
/// sigaction`, with no restorer: the powerpc kernel supplies the return path.
///
/// `{handler, flags, restorer, mask}` (arch/powerpc/include/uapi/asm/signal.h, `struct
/// sigaction`; linux-raw-sys's powerpc64 `kernel_sigaction`). The powerpc kernel never reads
/// `sa_restorer`: a handler returns into the vDSO's rt_sigreturn trampoline or, without a vDSO,
/// into one the kernel writes into the signal frame (arch/powerpc/kernel/signal_64.c, handle_rt_signal64), so strand can
/// supply no return path of its own here. The kernel puts the handler's address in `ctr` and
/// `r12` for an ELFv2 task (e_flags 2, which lld writes), as its global entry point needs.
/// qemu-user does the same for an ELFv2 image, returning through an rt_sigreturn trampoline on
/// a page of its own (linux-user/ppc/signal.c, setup_rt_frame and setup_sigtramp).
///
/// # Safety
/// `new.handler` is `SIG_DFL`, `SIG_IGN` or a handler that may run at any time on any thread.
pub unsafe fn rt_sigaction(sig: u32, new: Option<&Sigaction>, old: Option<&mut Sigaction>) -> usize {
    // SAFETY: per the contract; the kernel supplies the rt_sigreturn path.
    unsafe { super::sigaction::with_restorer(sig, new, old, None) }
}

/// `struct ucontext` for `__powerpc64__` (arch/powerpc/include/uapi/asm/ucontext.h): `uc_flags`,
/// `uc_link`, `uc_stack` (24 bytes), `uc_sigmask` (8), `__unused[15]` (120), then
/// `uc_mcontext` at 168, a `struct sigcontext` (uapi/asm/sigcontext.h: `_unused[4], signal,
/// _pad0, handler, oldmask, regs`, then `gp_regs` at 64). In `gp_regs` the stack pointer is
/// `r1` and the PC is `PT_NIP` = 32 (uapi/asm/ptrace.h; musl's arch/powerpc64 reads
/// `gp_regs[32]` as the PC too).
const UC_GPR: usize = 168 + 64;
const UC_SP: usize = UC_GPR + 8;
const UC_PC: usize = UC_GPR + 32 * 8;
/// `uc_sigmask`, after `uc_flags`, `uc_link` and `uc_stack` (same header); `rt_sigreturn`
/// restores the mask from here (arch/powerpc/kernel/signal_64.c, `rt_sigreturn`).
const UC_SIGMASK: usize = 16 + 24;

// rt_sigreturn loads the NIP from UC_PC (arch/powerpc/kernel/signal_64.c, `restore_sigcontext`).
context_words!(UC_PC, UC_SP, UC_SIGMASK);

/// The cancellable syscall (see the contract in `arch/mod.rs`). ELFv2: `cancel` in `r3`, `nr`
/// in `r4`, `a1..a6` in `r5..r10`. A leaf with no frame and no TOC use, so the range needs no
/// prologue; after the `sc` the epilogue turns CR0.SO's positive errno into the negated one, as
/// the `syscallN` do, and the cancel path joins after that.
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
