//! x86_64 (System V AMD64 ABI, Linux syscall convention).
//!
//! Syscalls: `syscall` with the number in `rax`, arguments in `rdi, rsi, rdx, r10, r8, r9`; the
//! instruction clobbers `rcx` and `r11` (arch/x86/entry/entry_64.S). Errors come back as
//! `-4095..=-1` in `rax`, which is already strand's convention.

use super::{Sigaction, StackGuard, TlsAbi, TlsVariant};
use core::arch::{asm, naked_asm};
use sys::general::{__NR_clone, __NR_exit, __NR_munmap, __NR_rt_sigreturn, SA_RESTORER};

/// `sys`: the kernel's constants, syscall numbers and struct layouts for x86_64, from
/// `linux_raw_sys` (its x86_64 modules, generated from the kernel's uapi headers).
pub use linux_raw_sys as sys;

/// `mmap_raw`: an anonymous or offset-0 mapping with the plain `mmap` (x86_64: six register
/// arguments, byte offset; arch/x86/entry/syscalls/syscall_64.tbl).
///
/// 64-bit time and a register-argument `mmap`: the plain syscall names.
pub use super::mmap_six_args as mmap_raw;
nr_native! {
    /// `alarm` is syscall 37 (arch/x86/entry/syscalls/syscall_64.tbl).
    pub const ALARM: Option<usize> = Some(super::sys::general::__NR_alarm as usize);
}

/// `TLS`: the static-TLS layout strand builds for each thread on x86_64.
///
/// Variant II: `%fs` points at the TCB, whose first word is a pointer to itself; the TLS block
/// lies below (x86-64 psABI, "Thread-Local Storage"; Drepper's TLS paper, 3.4.2).
pub const TLS: TlsAbi = TlsAbi { variant: TlsVariant::II, gap: 0, bias: 0 };

/// `R_RELATIVE`: the relocation type strand's start-up applies to a static-pie on x86_64.
///
/// `R_X86_64_RELATIVE` (B + A) (x86-64 psABI, "Relocation Types"): the only relocation a
/// static-pie applies.
pub const R_RELATIVE: u32 = 8;

/// `syscall0`: a syscall with no arguments, with `syscall` (x86_64: number in rax, result in rax;
/// rcx and r11 clobbered; arch/x86/entry/entry_64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall0(nr: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the syscall's own contract; registers per the kernel ABI above.
    unsafe { asm!("syscall", inlateout("rax") nr => r, lateout("rcx") _, lateout("r11") _, options(nostack)) };
    r
}

/// `syscall1`: a one-argument syscall with `syscall` (x86_64: number in rax, argument in rdi;
/// arch/x86/entry/entry_64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall1(nr: usize, a: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall", inlateout("rax") nr => r, in("rdi") a,
             lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    r
}

/// `syscall2`: a two-argument syscall with `syscall` (x86_64: number in rax, arguments in rdi, rsi;
/// arch/x86/entry/entry_64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall2(nr: usize, a: usize, b: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall", inlateout("rax") nr => r, in("rdi") a, in("rsi") b,
             lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    r
}

/// `syscall3`: a three-argument syscall with `syscall` (x86_64: number in rax, arguments in rdi,
/// rsi, rdx; arch/x86/entry/entry_64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall", inlateout("rax") nr => r, in("rdi") a, in("rsi") b, in("rdx") c,
             lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    r
}

/// `syscall4`: a four-argument syscall with `syscall` (x86_64: number in rax, arguments in rdi,
/// rsi, rdx, r10, not rcx, which `syscall` overwrites; arch/x86/entry/entry_64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall", inlateout("rax") nr => r, in("rdi") a, in("rsi") b, in("rdx") c,
             in("r10") d, lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    r
}

/// `syscall5`: a five-argument syscall with `syscall` (x86_64: number in rax, arguments in rdi,
/// rsi, rdx, r10, r8; arch/x86/entry/entry_64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall5(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall", inlateout("rax") nr => r, in("rdi") a, in("rsi") b, in("rdx") c,
             in("r10") d, in("r8") e, lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    r
}

/// `syscall6`: a six-argument syscall with `syscall` (x86_64: number in rax, arguments in rdi, rsi,
/// rdx, r10, r8, r9; arch/x86/entry/entry_64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall6(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall", inlateout("rax") nr => r, in("rdi") a, in("rsi") b, in("rdx") c,
             in("r10") d, in("r8") e, in("r9") f, lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    r
}

// The kernel enters `_start` with `rsp` 16-byte aligned, pointing at argc (psABI 3.4.1). Point
// `%fs` at the provisional control block (`arch::BOOT_TCB`) so stack-protector prologues can
// read `%fs:0x28`; `syscall` keeps `rsp`, `rbp` and `r12`. Zero `rbp` to end frame-pointer
// walks, and `call` so the callee sees `rsp ≡ 8 (mod 16)`.
#[cfg(not(test))]
#[no_mangle]
#[unsafe(naked)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        "xor ebp, ebp",
        "mov r12, rsp",
        "mov eax, {arch_prctl}",
        "mov edi, {set_fs}",
        "lea rsi, [rip + {boot}]",
        "add rsi, {delta}",
        "syscall",
        "mov rdi, r12",
        "and rsp, -16",
        "call {start}",
        "ud2",
        arch_prctl = const sys::general::__NR_arch_prctl,
        set_fs = const ARCH_SET_FS,
        boot = sym super::BOOT_TCB,
        delta = const super::BOOT_TP_DELTA,
        start = sym crate::rt::__strand_start,
    )
}

/// `ARCH_SET_FS` from arch/x86/include/uapi/asm/prctl.h.
const ARCH_SET_FS: usize = 0x1002;

/// `set_thread_pointer`: makes `tp` the calling thread's thread pointer (x86_64: the `%fs` base,
/// set with `arch_prctl(ARCH_SET_FS)`; arch/x86/kernel/process_64.c). Returns the raw syscall
/// result.
///
/// # Safety
/// `tp` must point at a control block whose first word is its own address (variant II), live
/// for as long as the thread runs.
pub unsafe fn set_thread_pointer(tp: *mut u8) -> usize {
    // SAFETY: arch_prctl(ARCH_SET_FS) only changes this thread's %fs base.
    unsafe { syscall2(sys::general::__NR_arch_prctl as usize, ARCH_SET_FS, tp as usize) }
}

/// `thread_pointer`: the calling thread's thread pointer, which is how it finds its control block.
///
/// One load, no syscall: `%fs:0` is the control block's self pointer. Set by `arch_prctl`.
#[inline(always)]
pub fn thread_pointer() -> *mut u8 {
    let tp;
    // SAFETY: in variant II the word at %fs:0 is the TCB's self-pointer, written before %fs is set.
    unsafe { asm!("mov {}, qword ptr fs:0", out(reg) tp, options(nostack, readonly, preserves_flags)) };
    tp
}

/// `load_tp_u32`: a word of the calling thread's control block, read without first reading the
/// thread pointer.
///
/// The 32-bit word `OFF` bytes from the thread pointer, in one `%fs`-relative load (how the
/// uncontended `Mutex` reads the caller's tid at the cost of the constant it replaced).
#[inline(always)]
pub fn load_tp_u32<const OFF: isize>() -> u32 {
    let v: u32;
    // SAFETY: callers name a word of the calling thread's TLS area or control block, which
    // lives as long as the thread. `nomem`: callers only read words that are set before the
    // thread's first instruction and never change (its tid), so the load may be treated as a
    // constant of the running thread and hoisted out of a loop, as the compiler treats TLS
    // addresses.
    unsafe { asm!("mov {0:e}, dword ptr fs:[{off}]", out(reg) v, off = const OFF, options(nostack, nomem, pure, preserves_flags)) };
    v
}

/// `clone_thread`: starts a thread with the raw `clone` (see the contract in `arch/mod.rs`); on
/// x86_64 the child calls `entry(arg)` with `rsp` 16-byte aligned before the `call`.
///
/// x86_64 clone argument order is (flags, stack, ptid, ctid, tls) (kernel/fork.c, no
/// CONFIG_CLONE_BACKWARDS); with CLONE_SETTLS `tls` is the new `%fs` base.
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
    // SAFETY: the child starts on `stack_top` (16-byte aligned by the caller), keeps every
    // register but rax/rcx/r11, so `r9`/`r12` still hold entry/arg. `call` leaves
    // `rsp ≡ 8 (mod 16)` at entry as the psABI wants, and `rbp = 0` ends frame walks. The child
    // never comes back into this function; the parent only sees `rax`.
    unsafe {
        asm!(
            "syscall",
            "test eax, eax",
            "jnz 2f",
            "xor ebp, ebp",
            "mov rdi, r12",
            "call r9",
            "ud2",
            "2:",
            inlateout("rax") __NR_clone as usize => r,
            in("rdi") flags, in("rsi") stack_top, in("rdx") ptid, in("r10") ctid, in("r8") tp,
            in("r9") entry, in("r12") arg,
            lateout("rcx") _, lateout("r11") _,
            options(nostack)
        )
    };
    r
}

/// `unmap_and_exit`: the end of a detached thread: unmaps `base..base + len`, its own stack
/// included, then exits, using only registers in between (x86_64: `syscall` needs no stack).
///
/// # Safety
/// The calling thread runs on the mapping and must have nothing left to do; no other thread may
/// use the mapping.
pub unsafe fn unmap_and_exit(base: *mut u8, len: usize) -> ! {
    // SAFETY: after munmap nothing touches memory: the exit number is an immediate and its
    // argument a register.
    unsafe {
        asm!(
            "syscall",
            "xor edi, edi",
            "mov eax, {exit}",
            "syscall",
            "ud2",
            exit = const __NR_exit,
            in("rax") __NR_munmap as usize,
            in("rdi") base, in("rsi") len,
            options(noreturn, nostack)
        )
    }
}

/// `STACK_GUARD`: where x86_64 stack-protector code reads its canary.
///
/// The canary of `-Zstack-protector` code is `%fs:0x28` (x86-64 psABI, "Thread-Local Storage";
/// glibc's `tcbhead_t.stack_guard`, which compilers hard-code).
pub const STACK_GUARD: StackGuard = StackGuard::TpRelative(0x28);

/// `rt_sigaction`: installs and/or reads the disposition of signal `sig`, in x86_64's `struct
/// sigaction` and with strand's own `rt_sigreturn` trampoline.
///
/// `{handler, flags, restorer, mask}`, and x86_64 has no kernel-provided return path from a
/// handler: every `rt_sigaction` must pass SA_RESTORER and a trampoline that calls
/// `rt_sigreturn` (arch/x86/kernel/signal_64.c, x64_setup_rt_frame: "x86-64 should always use
/// SA_RESTORER").
///
/// # Safety
/// `new.handler` is `SIG_DFL`, `SIG_IGN` or a handler that may run at any time on any thread.
pub unsafe fn rt_sigaction(sig: u32, new: Option<&Sigaction>, old: Option<&mut Sigaction>) -> usize {
    // SAFETY: per the contract; the trampoline below performs rt_sigreturn.
    unsafe { super::sigaction::with_restorer(sig, new, old, Some((SA_RESTORER as usize, restore_rt as unsafe extern "C" fn() -> ! as usize))) }
}

/// The handler's `ret` pops this address with `rsp` at the kernel's signal frame; rt_sigreturn
/// reads the frame from there, so the trampoline must not touch the stack.
#[unsafe(naked)]
unsafe extern "C" fn restore_rt() -> ! {
    naked_asm!("mov eax, {nr}", "syscall", "ud2", nr = const __NR_rt_sigreturn)
}

/// `struct ucontext` (arch/x86/include/uapi/asm/ucontext.h): `uc_flags`, `uc_link`, `uc_stack`
/// (24 bytes), then `uc_mcontext`, the 64-bit `struct sigcontext` (uapi/asm/sigcontext.h:
/// `r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, ...`) at byte 40.
const UC_SP: usize = 40 + 15 * 8;
const UC_PC: usize = 40 + 16 * 8;
/// `uc_sigmask` follows `uc_mcontext` (include/uapi/asm-generic/ucontext.h, which x86's
/// ucontext.h includes). The 64-bit `struct sigcontext` is 256 bytes: 18 registers, four 16-bit
/// segment words, `err, trapno, oldmask, cr2, fpstate`, `reserved1[8]`.
/// `rt_sigreturn` restores the mask from here (arch/x86/kernel/signal_64.c).
const UC_SIGMASK: usize = 40 + 256;

context_words!(UC_PC, UC_SP, UC_SIGMASK);

/// The cancellable syscall (see the contract in `arch/mod.rs`). System V arguments: `cancel` in
/// `rdi`, `nr` in `rsi`, `a1..a4` in `rdx, rcx, r8, r9`, `a5`/`a6` at 8/16(%rsp); no frame of
/// its own, so the range needs no prologue or epilogue.
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
        "mov eax, dword ptr [rdi]",
        "test eax, eax",
        "jnz __strand_cp_cancel",
        "mov rax, rsi",
        "mov rdi, rdx",
        "mov rsi, rcx",
        "mov rdx, r8",
        "mov r10, r9",
        "mov r8, qword ptr [rsp + 8]",
        "mov r9, qword ptr [rsp + 16]",
        "syscall",
        "__strand_cp_end:",
        "ret",
        "__strand_cp_cancel:",
        "mov rax, {ecanceled}",
        "jmp __strand_cp_end",
        ecanceled = const -(sys::errno::ECANCELED as isize),
    )
}
