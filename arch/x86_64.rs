//! x86_64 (System V AMD64 ABI, Linux syscall convention), and x32 (the same instructions and
//! syscall entry with 32-bit pointers: `target_pointer_width = "32"`).
//!
//! Syscalls: `syscall` with the number in `rax`, arguments in `rdi, rsi, rdx, r10, r8, r9`; the
//! instruction clobbers `rcx` and `r11` (arch/x86/entry/entry_64.S). Errors come back as
//! `-4095..=-1` in `rax`, which is already strand's convention.
//!
//! x32 differs only where a pointer's size shows (arch/x86/entry/syscalls/syscall_64.tbl, the
//! `x32` rows; arch/x86/include/asm/sigframe.h):
//! - every syscall number carries `__X32_SYSCALL_BIT` (0x40000000), and some calls have numbers
//!   of their own (512..=547: `rt_sigaction`, `rt_sigreturn`, ... take 32-bit-pointer structs).
//!   `linux_raw_sys`'s x32 module has those numbers; [`X32_NUMBERS`] checks at compile time that
//!   every number strand names carries the bit, and xtask checks that list is complete;
//! - the kernel reads whole 64-bit registers, so every argument is zero-extended to 64 bits here
//!   (`as u64`; a no-op on x86_64): a 32-bit value in a 64-bit register has undefined upper bits;
//! - `struct sigaction` is the compat one, `{handler, flags, restorer, mask}` in 32-bit words,
//!   which the generic layout with `usize` fields already is;
//! - the signal frame's `struct ucontext_x32` has 32-bit header words and the 64-bit
//!   `struct sigcontext` at byte 24.

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

/// `(name, number)` pairs from `sys::general`.
#[cfg(target_pointer_width = "32")]
macro_rules! x32_numbers {
    ($($name:ident)*) => { &[$((stringify!($name), sys::general::$name)),*] };
}

/// x32: every syscall number strand names (in `src/`, `arch/mod.rs`, this file, and the test,
/// stress and example programs), each checked at compile time below to carry
/// `__X32_SYSCALL_BIT` (arch/x86/include/uapi/asm/unistd.h). A number without it would reach
/// the kernel as an x86_64 syscall with 32-bit arguments. xtask's x32 row checks that this list
/// names every `__NR_` in those sources (a new syscall must be added here).
#[cfg(target_pointer_width = "32")]
const X32_NUMBERS: &[(&str, u32)] = x32_numbers! {
    __NR_alarm __NR_arch_prctl __NR_clock_gettime __NR_clock_nanosleep __NR_clone __NR_close
    __NR_execve __NR_exit __NR_exit_group __NR_fcntl __NR_futex __NR_futex_wait __NR_futex_waitv
    __NR_futex_wake __NR_getegid __NR_geteuid __NR_getgid __NR_getgroups __NR_getitimer
    __NR_getpid __NR_getppid __NR_getresgid __NR_getresuid __NR_gettid __NR_getuid __NR_kill
    __NR_mmap __NR_mprotect __NR_mremap __NR_munmap __NR_openat __NR_pipe2 __NR_prctl
    __NR_prlimit64 __NR_read __NR_rt_sigaction __NR_rt_sigpending __NR_rt_sigprocmask
    __NR_rt_sigqueueinfo __NR_rt_sigreturn __NR_rt_sigsuspend __NR_rt_sigtimedwait
    __NR_rt_tgsigqueueinfo __NR_sched_getaffinity __NR_sched_setaffinity __NR_sched_setscheduler
    __NR_sched_yield __NR_seccomp __NR_set_robust_list __NR_set_tid_address __NR_setgid
    __NR_setgroups __NR_setitimer __NR_setresgid __NR_setresuid __NR_setuid __NR_sigaltstack
    __NR_tgkill __NR_write
};

/// `__X32_SYSCALL_BIT` (arch/x86/include/uapi/asm/unistd.h).
#[cfg(target_pointer_width = "32")]
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

#[cfg(target_pointer_width = "32")]
const _: () = {
    let mut i = 0;
    while i < X32_NUMBERS.len() {
        assert!(X32_NUMBERS[i].1 & X32_SYSCALL_BIT != 0, "an x32 syscall number lacks __X32_SYSCALL_BIT");
        i += 1;
    }
};

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
/// `r_info` is in the gABI's form on this ABI.
pub use super::r_info_unchanged as r_info_gabi;

/// `syscall0`: a syscall with no arguments, with `syscall` (x86_64: number in rax, result in rax;
/// rcx and r11 clobbered; arch/x86/entry/entry_64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall0(nr: usize) -> usize {
    let r: u64;
    // SAFETY: the caller upholds the syscall's own contract; registers per the kernel ABI above.
    unsafe { asm!("syscall", inlateout("rax") nr as u64 => r, lateout("rcx") _, lateout("r11") _, options(nostack)) };
    r as usize
}

/// `syscall1`: a one-argument syscall with `syscall` (x86_64: number in rax, argument in rdi;
/// arch/x86/entry/entry_64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall1(nr: usize, a: usize) -> usize {
    let r: u64;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall", inlateout("rax") nr as u64 => r, in("rdi") a as u64,
             lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    r as usize
}

/// `syscall2`: a two-argument syscall with `syscall` (x86_64: number in rax, arguments in rdi, rsi;
/// arch/x86/entry/entry_64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall2(nr: usize, a: usize, b: usize) -> usize {
    let r: u64;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall", inlateout("rax") nr as u64 => r, in("rdi") a as u64, in("rsi") b as u64,
             lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    r as usize
}

/// `syscall3`: a three-argument syscall with `syscall` (x86_64: number in rax, arguments in rdi,
/// rsi, rdx; arch/x86/entry/entry_64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> usize {
    let r: u64;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall", inlateout("rax") nr as u64 => r, in("rdi") a as u64, in("rsi") b as u64, in("rdx") c as u64,
             lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    r as usize
}

/// `syscall4`: a four-argument syscall with `syscall` (x86_64: number in rax, arguments in rdi,
/// rsi, rdx, r10, not rcx, which `syscall` overwrites; arch/x86/entry/entry_64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> usize {
    let r: u64;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall", inlateout("rax") nr as u64 => r, in("rdi") a as u64, in("rsi") b as u64, in("rdx") c as u64,
             in("r10") d as u64, lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    r as usize
}

/// `syscall5`: a five-argument syscall with `syscall` (x86_64: number in rax, arguments in rdi,
/// rsi, rdx, r10, r8; arch/x86/entry/entry_64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall5(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> usize {
    let r: u64;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall", inlateout("rax") nr as u64 => r, in("rdi") a as u64, in("rsi") b as u64, in("rdx") c as u64,
             in("r10") d as u64, in("r8") e as u64, lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    r as usize
}

/// `syscall6`: a six-argument syscall with `syscall` (x86_64: number in rax, arguments in rdi, rsi,
/// rdx, r10, r8, r9; arch/x86/entry/entry_64.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall6(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> usize {
    let r: u64;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("syscall", inlateout("rax") nr as u64 => r, in("rdi") a as u64, in("rsi") b as u64, in("rdx") c as u64,
             in("r10") d as u64, in("r8") e as u64, in("r9") f as u64, lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    r as usize
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
    let tp: usize;
    // SAFETY: in variant II the word at %fs:0 is the TCB's self-pointer, written before %fs is set.
    #[cfg(target_pointer_width = "64")]
    unsafe { asm!("mov {}, qword ptr fs:0", out(reg) tp, options(nostack, readonly, preserves_flags)) };
    // SAFETY: as above; on x32 the self pointer is a 32-bit word.
    #[cfg(target_pointer_width = "32")]
    unsafe { asm!("mov {:e}, dword ptr fs:0", out(reg) tp, options(nostack, readonly, preserves_flags)) };
    tp as *mut u8
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
    let r: u64;
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
            // Every value zero-extended to 64 bits (x32: the kernel and `call` read whole
            // registers).
            inlateout("rax") __NR_clone as u64 => r,
            in("rdi") flags as u64, in("rsi") stack_top as usize as u64, in("rdx") ptid as usize as u64,
            in("r10") ctid as usize as u64, in("r8") tp as usize as u64,
            in("r9") entry as usize as u64, in("r12") arg as usize as u64,
            lateout("rcx") _, lateout("r11") _,
            options(nostack)
        )
    };
    r as usize
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
            in("rax") __NR_munmap as u64,
            in("rdi") base as usize as u64, in("rsi") len as u64,
            options(noreturn, nostack)
        )
    }
}

/// `STACK_GUARD`: where x86_64 stack-protector code reads its canary.
///
/// The canary of `-Zstack-protector` code is `%fs:0x28` (x86-64 psABI, "Thread-Local Storage";
/// glibc's `tcbhead_t.stack_guard`, which compilers hard-code). x32 too: LLVM reads `%fs:0x28`
/// for every 64-bit x86 target (X86ISelLowering, `getIRStackGuard`; the x32 stack-protector
/// build's code reads `%fs:0x28` and no other canary slot), not GCC's x32 slot 0x18.
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

/// Where `uc_mcontext` starts. x86_64's `struct ucontext` (arch/x86/include/uapi/asm/ucontext.h):
/// `uc_flags`, `uc_link`, `uc_stack` (24 bytes), then `uc_mcontext` at byte 40. x32's
/// `struct ucontext_x32` (arch/x86/include/asm/sigframe.h): 32-bit `uc_flags` and `uc_link`,
/// the 12-byte `compat_stack_t`, `uc__pad0`, then the same 64-bit `struct sigcontext` at 24.
#[cfg(target_pointer_width = "64")]
const UC_MCONTEXT: usize = 40;
#[cfg(target_pointer_width = "32")]
const UC_MCONTEXT: usize = 24;
/// In `uc_mcontext`, the 64-bit `struct sigcontext` (uapi/asm/sigcontext.h: `r8..r15, rdi, rsi,
/// rbp, rbx, rdx, rax, rcx, rsp, rip, ...`, 8 bytes each on x32 too). On x32 strand reads and
/// writes the low half of `rsp`/`rip` (little-endian), whose high half is zero for x32 code.
const UC_SP: usize = UC_MCONTEXT + 15 * 8;
const UC_PC: usize = UC_MCONTEXT + 16 * 8;
/// `uc_sigmask` follows `uc_mcontext` (include/uapi/asm-generic/ucontext.h, which x86's
/// ucontext.h includes; `ucontext_x32` likewise). The 64-bit `struct sigcontext` is 256 bytes:
/// 18 registers, four 16-bit segment words, `err, trapno, oldmask, cr2, fpstate`,
/// `reserved1[8]`. `rt_sigreturn` restores the mask from here (arch/x86/kernel/signal_64.c).
const UC_SIGMASK: usize = UC_MCONTEXT + 256;

context_words!(UC_PC, UC_SP, UC_SIGMASK);

/// `syscall_cp`'s argument moves into the syscall registers: whole registers on x86_64; on x32,
/// 32-bit moves, which zero-extend (the upper halves of 32-bit arguments are undefined, in
/// registers and in their 8-byte stack slots; x86-64 psABI, ILP32 programming model).
#[cfg(target_pointer_width = "64")]
macro_rules! cp_marshal {
    () => {
        "mov rax, rsi\nmov rdi, rdx\nmov rsi, rcx\nmov rdx, r8\nmov r10, r9\n\
         mov r8, qword ptr [rsp + 8]\nmov r9, qword ptr [rsp + 16]"
    };
}
#[cfg(target_pointer_width = "32")]
macro_rules! cp_marshal {
    () => {
        "mov eax, esi\nmov edi, edx\nmov esi, ecx\nmov edx, r8d\nmov r10d, r9d\n\
         mov r8d, dword ptr [rsp + 8]\nmov r9d, dword ptr [rsp + 16]"
    };
}
/// Before the cancellation range: on x32, zero-extend the `cancel` pointer the range loads
/// through; nothing on x86_64.
#[cfg(target_pointer_width = "64")]
macro_rules! cp_zero_extend {
    () => {
        ""
    };
}
#[cfg(target_pointer_width = "32")]
macro_rules! cp_zero_extend {
    () => {
        "mov edi, edi"
    };
}

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
        cp_zero_extend!(),
        "__strand_cp_begin:",
        "mov eax, dword ptr [rdi]",
        "test eax, eax",
        "jnz __strand_cp_cancel",
        cp_marshal!(),
        "syscall",
        "__strand_cp_end:",
        "ret",
        "__strand_cp_cancel:",
        "mov rax, {ecanceled}",
        "jmp __strand_cp_end",
        ecanceled = const -(sys::errno::ECANCELED as isize),
    )
}
