//! x86 (i386 System V psABI, Linux `int $0x80` syscall convention).
//!
//! Syscalls: `int $0x80` with the number in `eax`, arguments in `ebx, ecx, edx, esi, edi, ebp`;
//! the result comes back in `eax` and every other register is preserved
//! (arch/x86/entry/entry_32.S, and entry_64_compat.S when a 64-bit kernel runs the task). Errors
//! come back as `-4095..=-1` in `eax`, which is already strand's convention. strand never uses
//! the vDSO's `__kernel_vsyscall`: `clone` and the final munmap+exit must not return through, or
//! touch, a stack (the vDSO entry returns through the caller's stack), and one instruction keeps one convention.
//!
//! Two ABIs use this file: `i686` and `i586` (no SSE/SSE2: the Rust i586 targets, whose baseline
//! CPU is the Pentium). Nothing here needs more than the Pentium: the asm uses only integer
//! instructions, `int $0x80` and segment loads, and no SSE register, `mfence`, `lfence` or
//! `cmov`; the signal-frame code reads only the integer `struct sigcontext` words, never the
//! `fpstate` the kernel saves after it (whose format, fsave or fxsave, depends on the CPU:
//! arch/x86/kernel/fpu/signal.c). Generic code's `fence(SeqCst)` compiles to `lock or` where
//! SSE2 is absent (LLVM's X86 lowering of a fence without `mfence`); 64-bit atomic
//! read-modify-writes compile to `lock cmpxchg8b`, which the Pentium introduced (Intel SDM vol.
//! 2A, CMPXCHG8B), and 64-bit atomic loads and stores to x87 `fild`/`fistp` of the aligned word
//! (an aligned quadword access is atomic since the Pentium: Intel SDM vol. 3A, "Guaranteed
//! Atomic Operations").
//!
//! Rust reserves `esi` (LLVM's base pointer) and `ebp` (frame pointer) as asm operands on
//! x86-32, so the 4th to 6th arguments are moved into them by hand inside each asm block and the
//! old values restored before it ends.

use super::{Sigaction, StackGuard, TlsAbi, TlsVariant};
use core::arch::{asm, naked_asm};
use core::sync::atomic::{AtomicU32, Ordering};
use sys::general::{__NR_clone, __NR_exit, __NR_munmap, __NR_rt_sigreturn, __NR_set_thread_area, SA_RESTORER};

/// `sys`: the kernel's constants, syscall numbers and struct layouts for i386, from `linux_raw_sys`
/// (its x86 modules, generated from the kernel's uapi headers).
pub use linux_raw_sys as sys;

// `nr`: i386 has the 64-bit-time syscalls, `mmap2`, the `*32` uid/gid calls (the plain ones
// are the 16-bit `sys_*16` originals) and the 32-bit-time originals
// (arch/x86/entry/syscalls/syscall_32.tbl).
nr_time64! {
    ids: wide32,
    time32: fallback,
    /// `alarm` is syscall 27 (arch/x86/entry/syscalls/syscall_32.tbl).
    pub const ALARM: Option<usize> = Some(g::__NR_alarm as usize);
}

/// `R_RELATIVE`: the relocation type strand's start-up applies to a static-pie on i386.
///
/// `R_386_RELATIVE` (B + A, the addend stored at the target: i386 uses REL, not RELA) (System V
/// ABI Intel386 supplement, "Relocation Types"): the only relocation a static-pie applies.
pub const R_RELATIVE: u32 = 8;
/// `r_info` is in the gABI's form on this ABI.
pub use super::r_info_unchanged as r_info_gabi;

/// `TLS`: the static-TLS layout strand builds for each thread on i386.
///
/// Variant II: `%gs` selects a segment based at the TCB, whose first word is a pointer to itself;
/// the TLS block lies below (i386 psABI, "Thread-Local Storage"; Drepper's TLS paper, 3.4.2).
pub const TLS: TlsAbi = TlsAbi { variant: TlsVariant::II, gap: 0, bias: 0 };

/// `syscall0`: a syscall with no arguments, with `int $0x80` (i386: number in eax, result in eax;
/// arch/x86/entry/entry_32.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall0(nr: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the syscall's own contract; registers per the kernel ABI above.
    unsafe { asm!("int 0x80", inlateout("eax") nr => r, options(nostack)) };
    r
}

/// `syscall1`: a one-argument syscall with `int $0x80` (i386: number in eax, argument in ebx;
/// arch/x86/entry/entry_32.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall1(nr: usize, a: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { asm!("int 0x80", inlateout("eax") nr => r, in("ebx") a, options(nostack)) };
    r
}

/// `syscall2`: a two-argument syscall with `int $0x80` (i386: number in eax, arguments in ebx, ecx;
/// arch/x86/entry/entry_32.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall2(nr: usize, a: usize, b: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { asm!("int 0x80", inlateout("eax") nr => r, in("ebx") a, in("ecx") b, options(nostack)) };
    r
}

/// `syscall3`: a three-argument syscall with `int $0x80` (i386: number in eax, arguments in ebx,
/// ecx, edx; arch/x86/entry/entry_32.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("int 0x80", inlateout("eax") nr => r, in("ebx") a, in("ecx") b, in("edx") c,
             options(nostack))
    };
    r
}

/// `syscall4`: a four-argument syscall with `int $0x80` (i386: number in eax, arguments in ebx,
/// ecx, edx, esi, the last moved into `esi` by hand; arch/x86/entry/entry_32.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> usize {
    let r;
    // SAFETY: as for syscall0. `esi` is swapped with the operand holding `d` around the
    // instruction, which the kernel leaves alone, so it is back to its old value at the end.
    // Four named registers leave `edi` at least for `{d}`; when LLVM has `esi` free it may pick
    // `esi` itself, and both exchanges are no-ops.
    unsafe {
        asm!("xchg esi, {d}", "int 0x80", "xchg esi, {d}",
             d = inout(reg) d => _,
             inlateout("eax") nr => r, in("ebx") a, in("ecx") b, in("edx") c,
             options(nostack))
    };
    r
}

/// `syscall5`: a five-argument syscall with `int $0x80` (i386: number in eax, arguments in ebx,
/// ecx, edx, esi, edi, `esi` loaded by hand; arch/x86/entry/entry_32.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall5(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> usize {
    // eax, ebx, ecx, edx and edi are the only registers an operand is sure to get (esi is not
    // allocatable when LLVM needs it as the base pointer), so `eax` carries a pointer to [nr, d]
    // and the number is loaded last, over the pointer.
    let block = [nr, d];
    let r;
    // SAFETY: as for syscall0. `block` lives across the asm; `esi` is pushed before it is loaded
    // and popped after the instruction, so the stack is balanced at the end.
    unsafe {
        asm!(
            "push esi",
            "mov esi, dword ptr [eax + 4]",
            "mov eax, dword ptr [eax]",
            "int 0x80",
            "pop esi",
            inlateout("eax") block.as_ptr() => r,
            in("ebx") a, in("ecx") b, in("edx") c, in("edi") e,
        )
    };
    r
}

/// `syscall6`: a six-argument syscall with `int $0x80` (i386: number in eax, arguments in ebx, ecx,
/// edx, esi, edi, ebp, `esi` and `ebp` loaded by hand; arch/x86/entry/entry_32.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall6(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> usize {
    // As for syscall5, with seven values for five registers: `eax` carries a pointer to
    // [nr, d, f].
    let block = [nr, d, f];
    let r;
    // SAFETY: as for syscall0. `block` lives across the asm; `ebp` and `esi` are pushed before
    // they are loaded and popped after the instruction, so the stack is balanced at the end.
    unsafe {
        asm!(
            "push ebp",
            "push esi",
            "mov esi, dword ptr [eax + 4]",
            "mov ebp, dword ptr [eax + 8]",
            "mov eax, dword ptr [eax]",
            "int 0x80",
            "pop esi",
            "pop ebp",
            inlateout("eax") block.as_ptr() => r,
            in("ebx") a, in("ecx") b, in("edx") c, in("edi") e,
        )
    };
    r
}

/// `mmap_raw`: an anonymous or offset-0 mapping with `mmap2` (i386: six register arguments, offset
/// in pages; arch/x86/entry/syscalls/syscall_32.tbl).
///
/// # Safety
/// The caller upholds mmap's contract.
#[inline]
pub unsafe fn mmap_raw(addr: usize, len: usize, prot: usize, flags: usize, fd: usize) -> usize {
    // SAFETY: the caller upholds mmap's contract; mmap2's offset is in pages, and 0 is 0 either
    // way (mm/mmap.c, ksys_mmap_pgoff).
    unsafe { syscall6(nr::MMAP, addr, len, prot, flags, fd, 0) }
}

// The kernel enters `_start` with `esp` pointing at argc (i386 psABI, "Process Initialization").
// First `%gs` goes to the provisional control block (`arch::BOOT_TCB`), so stack-protector
// prologues can read `%gs:0x14`: a `user_desc` {entry -1, base, limit 0xfffff, flags 0x51 =
// seg_32bit | limit_in_pages | useable} built on the stack for `set_thread_area`, whose chosen
// entry comes back in its first word (see `UserDesc` below). `BOOT_TCB`'s address is taken
// PC-relative (call/pop, then GOT-relative: the i386 psABI's PIC idiom), so this also works in a
// position-independent executable. Then zero
// `ebp` to end frame-pointer walks, pass the initial `esp` as the one cdecl stack argument, and
// align so that `esp` is a multiple of 16 at the `call` (i386 psABI 1.1, 2.2.2 "The Stack
// Frame": the end of the argument area is 16-byte aligned); the callee sees `esp ≡ 12 (mod 16)`.
#[cfg(not(test))]
#[no_mangle]
#[unsafe(naked)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        "movl %esp, %edi",
        "calll 2f",
        "2:",
        "popl %ecx",
        "addl $_GLOBAL_OFFSET_TABLE_+(.-2b), %ecx",
        "leal {boot}@GOTOFF+{delta}(%ecx), %ecx",
        "pushl $0x51",
        "pushl $0xfffff",
        "pushl %ecx",
        "pushl $-1",
        "movl %esp, %ebx",
        "movl ${set_thread_area}, %eax",
        "int $0x80",
        "movl (%esp), %eax",
        "shll $3, %eax",
        "orl $3, %eax",
        "movw %ax, %gs",
        "xorl %ebp, %ebp",
        "movl %edi, %esp",
        "movl %esp, %eax",
        "andl $-16, %esp",
        "subl $12, %esp",
        "pushl %eax",
        "calll {start}",
        "ud2",
        boot = sym super::BOOT_TCB,
        delta = const super::BOOT_TP_DELTA,
        set_thread_area = const __NR_set_thread_area,
        start = sym crate::rt::__strand_start,
        options(att_syntax),
    )
}

/// `struct user_desc` from arch/x86/include/uapi/asm/ldt.h, with its bitfields as one word
/// (allocated from bit 0 up: seg_32bit:1, contents:2, read_exec_only:1, limit_in_pages:1,
/// seg_not_present:1, useable:1).
#[repr(C)]
struct UserDesc {
    entry_number: u32,
    base_addr: u32,
    limit: u32,
    flags: u32,
}

static_assertions::const_assert_eq!(core::mem::size_of::<UserDesc>(), 16);

impl UserDesc {
    /// A flat 4 GiB data segment based at `tp`: limit 0xfffff in pages, 32-bit, contents 0
    /// (data), writable, present, usable (man 2 set_thread_area).
    fn tls(entry_number: u32, tp: *mut u8) -> UserDesc {
        const SEG_32BIT: u32 = 1 << 0;
        const LIMIT_IN_PAGES: u32 = 1 << 4;
        const USEABLE: u32 = 1 << 6;
        UserDesc { entry_number, base_addr: tp as u32, limit: 0xfffff, flags: SEG_32BIT | LIMIT_IN_PAGES | USEABLE }
    }
}

/// The GDT TLS slot `set_thread_area` gave the main thread; every thread uses the same slot, with
/// its own base (arch/x86/kernel/tls.c keeps the descriptors per thread). Written once at
/// start-up, before any other thread exists, so Relaxed is enough.
static TLS_ENTRY: AtomicU32 = AtomicU32::new(u32::MAX);

/// `set_thread_pointer`: makes `tp` the calling thread's thread pointer (i386: the base of the GDT
/// TLS descriptor that `%gs` selects, set with `set_thread_area`; man 2 set_thread_area). Returns
/// the raw syscall result.
///
/// # Safety
/// `tp` must point at a control block whose first word is its own address (variant II), live
/// for as long as the thread runs.
pub unsafe fn set_thread_pointer(tp: *mut u8) -> usize {
    // Reuse the slot `_start` took for the provisional control block (the selector in `%gs`);
    // failing that, entry_number -1: the kernel picks a free TLS slot and writes its index back
    // (arch/x86/kernel/tls.c, do_set_thread_area / get_free_idx).
    let selector: u32;
    // SAFETY: reading a segment register touches no memory.
    unsafe { asm!("mov {0:e}, gs", out(reg) selector, options(nomem, nostack, preserves_flags)) };
    let entry = if selector & 0xffff != 0 { (selector & 0xffff) >> 3 } else { u32::MAX };
    let mut desc = UserDesc::tls(entry, tp);
    // SAFETY: set_thread_area reads and writes the one live user_desc, and only changes this
    // thread's TLS descriptors.
    let r = unsafe { syscall1(__NR_set_thread_area as usize, &mut desc as *mut UserDesc as usize) };
    if r == 0 {
        TLS_ENTRY.store(desc.entry_number, Ordering::Relaxed);
        // A selector is index << 3 | table indicator (0: GDT) | requested privilege level 3
        // (Intel SDM vol. 3A, 3.4.2 "Segment Selectors"; arch/x86/include/asm/segment.h).
        let selector = desc.entry_number << 3 | 3;
        // SAFETY: the descriptor was just installed for this thread, so loading it cannot fault;
        // nothing strand generates uses %gs before this point.
        unsafe { asm!("mov gs, {0:x}", in(reg) selector, options(nostack, preserves_flags)) };
    }
    r
}

/// `thread_pointer`: the calling thread's thread pointer, which is how it finds its control block.
///
/// One load, no syscall: `%gs:0` is the control block's self pointer. Set by `set_thread_area`.
#[inline(always)]
pub fn thread_pointer() -> *mut u8 {
    let tp;
    // SAFETY: in variant II the word at %gs:0 is the TCB's self-pointer, written before %gs is set.
    unsafe { asm!("mov {}, dword ptr gs:0", out(reg) tp, options(nostack, readonly, preserves_flags)) };
    tp
}

/// `load_tp_u32`: a word of the calling thread's control block, read without first reading the
/// thread pointer.
///
/// The 32-bit word `OFF` bytes from the thread pointer, in one `%gs`-relative load (see
/// x86_64.rs).
#[inline(always)]
pub fn load_tp_u32<const OFF: isize>() -> u32 {
    let v: u32;
    // SAFETY: callers name a word of the calling thread's TLS area or control block, which
    // lives as long as the thread. `nomem`: callers only read words that are set before the
    // thread's first instruction and never change (its tid), so the load may be treated as a
    // constant of the running thread and hoisted out of a loop, as the compiler treats TLS
    // addresses.
    unsafe { asm!("mov {0}, dword ptr gs:[{off}]", out(reg) v, off = const OFF, options(nostack, nomem, pure, preserves_flags)) };
    v
}

/// What the parent leaves at the bottom of the child's first frame, 16-byte aligned: the cdecl
/// argument for `entry`, `entry` itself, and the user_desc for CLONE_SETTLS, which the kernel
/// copies during `clone` (arch/x86/kernel/process.c, set_new_tls -> do_set_thread_area).
#[repr(C, align(16))]
struct ChildFrame {
    arg: *mut u8,
    entry: unsafe extern "C" fn(*mut u8) -> !,
    _pad: [u32; 2],
    desc: UserDesc,
}

static_assertions::const_assert_eq!(core::mem::size_of::<ChildFrame>(), 32);
static_assertions::const_assert_eq!(core::mem::offset_of!(ChildFrame, entry), 4);
static_assertions::const_assert_eq!(core::mem::offset_of!(ChildFrame, desc), 16);

/// `clone_thread`: starts a thread with the raw `clone` (see the contract in `arch/mod.rs`); on
/// i386 the child's `tp` goes to the kernel as a `user_desc` for its `%gs` slot.
///
/// i386 clone argument order is (flags, stack, ptid, tls, ctid) (kernel/fork.c with
/// CONFIG_CLONE_BACKWARDS, selected for X86_32 in arch/x86/Kconfig; a 64-bit kernel keeps the
/// order in arch/x86/kernel/sys_ia32.c, ia32_clone); with CLONE_SETTLS `tls` points at a
/// user_desc for the thread's TLS slot (man 2 clone).
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
    let frame = stack_top.wrapping_sub(core::mem::size_of::<ChildFrame>()) as *mut ChildFrame;
    // SAFETY: the caller gives a 16-byte aligned top of a fresh stack that nothing uses yet, so
    // its top 32 bytes are ours to write.
    unsafe {
        frame.write(ChildFrame {
            arg,
            entry,
            _pad: [0; 2],
            desc: UserDesc::tls(TLS_ENTRY.load(Ordering::Relaxed), tp),
        })
    };
    let r;
    // SAFETY: `esi` (4th argument: &frame.desc = new stack + 16) is pushed first and popped on
    // the parent path, the only one that comes back. The child starts with `esp` at the frame,
    // a multiple of 16, and every register but `eax` as the parent had it; with `ebp = 0` to end
    // frame walks it calls `entry`, whose cdecl argument is the word at `esp` and whose address
    // is the next word (i386 psABI, 2.2.2), with `esp` 16-byte aligned at the `call`. The
    // frame's words lie above `esp`, so signal frames cannot overwrite them. `entry` never
    // returns.
    unsafe {
        asm!(
            "push esi",
            "lea esi, [ecx + 16]",
            "int 0x80",
            "test eax, eax",
            "jnz 2f",
            "xor ebp, ebp",
            "call dword ptr [esp + 4]",
            "ud2",
            "2:",
            "pop esi",
            inlateout("eax") __NR_clone as usize => r,
            in("ebx") flags, in("ecx") frame, in("edx") ptid, in("edi") ctid,
        )
    };
    r
}

/// `unmap_and_exit`: the end of a detached thread: unmaps `base..base + len`, its own stack
/// included, then exits, using only registers in between (i386: `int $0x80` needs no stack of the
/// caller's).
///
/// # Safety
/// The calling thread runs on the mapping and must have nothing left to do; no other thread may
/// use the mapping.
pub unsafe fn unmap_and_exit(base: *mut u8, len: usize) -> ! {
    // SAFETY: after munmap nothing touches memory: the exit number is an immediate and its
    // argument a register, and `int 0x80` needs no stack of ours.
    unsafe {
        asm!(
            "int 0x80",
            "xor ebx, ebx",
            "mov eax, {exit}",
            "int 0x80",
            "ud2",
            exit = const __NR_exit,
            in("eax") __NR_munmap as usize,
            in("ebx") base, in("ecx") len,
            options(noreturn, nostack)
        )
    }
}

/// `STACK_GUARD`: where i386 stack-protector code reads its canary.
///
/// The canary of `-Zstack-protector` code is `%gs:0x14` (i386 psABI, "Thread-Local Storage";
/// glibc's `tcbhead_t.stack_guard`, which compilers hard-code).
pub const STACK_GUARD: StackGuard = StackGuard::TpRelative(0x14);

/// `rt_sigaction`: installs and/or reads the disposition of signal `sig`, in i386's `struct
/// sigaction` and with strand's own `rt_sigreturn` trampoline.
///
/// `{handler, flags, restorer, mask}`. Without SA_RESTORER the kernel returns a handler through
/// the vDSO's `__kernel_rt_sigreturn` (arch/x86/kernel/signal_32.c, ia32_setup_rt_frame);
/// strand passes its own trampoline so a handler's return never depends on the vDSO.
///
/// # Safety
/// `new.handler` is `SIG_DFL`, `SIG_IGN` or a handler that may run at any time on any thread.
pub unsafe fn rt_sigaction(sig: u32, new: Option<&Sigaction>, old: Option<&mut Sigaction>) -> usize {
    // SAFETY: per the contract; the trampoline below performs rt_sigreturn.
    unsafe { super::sigaction::with_restorer(sig, new, old, Some((SA_RESTORER as usize, restore_rt as unsafe extern "C" fn() -> ! as usize))) }
}

/// The handler's `ret` pops this address with `esp` at the kernel's rt signal frame (strand
/// always sets SA_SIGINFO, so the frame is always the rt one).
#[unsafe(naked)]
unsafe extern "C" fn restore_rt() -> ! {
    naked_asm!("mov eax, {nr}", "int 0x80", "ud2", nr = const __NR_rt_sigreturn)
}

/// `struct ucontext` (arch/x86/include/uapi/asm/ucontext.h): `uc_flags`, `uc_link`, `uc_stack`
/// (12 bytes), then `uc_mcontext`, the 32-bit `struct sigcontext` (uapi/asm/sigcontext.h: `gs,
/// fs, es, ds` (16 bits each, padded to 32), `di, si, bp, sp, bx, dx, cx, ax, trapno, err, ip,
/// ...`) at byte 20. `sp` is the one rt_sigreturn restores (`sp_at_signal` is a copy).
const UC_SP: usize = 20 + 7 * 4;
const UC_PC: usize = 20 + 14 * 4;
/// `uc_sigmask` follows `uc_mcontext` (include/uapi/asm-generic/ucontext.h, which x86's
/// ucontext.h includes). The 32-bit `struct sigcontext` is 88 bytes: four padded segment words,
/// eight registers, `trapno, err, ip, cs, flags, sp_at_signal, ss, fpstate, oldmask, cr2`.
/// `rt_sigreturn` restores the mask from here (arch/x86/kernel/signal_32.c).
const UC_SIGMASK: usize = 20 + 88;

context_words!(UC_PC, UC_SP, UC_SIGMASK);

/// The cancellable syscall (see the contract in `arch/mod.rs`). cdecl: every argument on the
/// stack, `cancel` at 4(%esp). The prologue saves the callee-saved `ebx, esi, edi, ebp` that
/// carry syscall arguments (arguments then start at 20(%esp)), the epilogue restores them.
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
        "push ebp",
        "push edi",
        "push esi",
        "push ebx",
        "mov ecx, dword ptr [esp + 20]",
        "__strand_cp_begin:",
        "cmp dword ptr [ecx], 0",
        "jne __strand_cp_cancel",
        "mov eax, dword ptr [esp + 24]",
        "mov ebx, dword ptr [esp + 28]",
        "mov ecx, dword ptr [esp + 32]",
        "mov edx, dword ptr [esp + 36]",
        "mov esi, dword ptr [esp + 40]",
        "mov edi, dword ptr [esp + 44]",
        "mov ebp, dword ptr [esp + 48]",
        "int 0x80",
        "__strand_cp_end:",
        "pop ebx",
        "pop esi",
        "pop edi",
        "pop ebp",
        "ret",
        "__strand_cp_cancel:",
        "mov eax, {ecanceled}",
        "jmp __strand_cp_end",
        ecanceled = const -(sys::errno::ECANCELED as isize),
    )
}
