//! Synchronous faults: every thread's alternate signal stack, the stack-overflow report, and
//! the hook through which a program handles SIGSEGV, SIGBUS, SIGFPE and SIGILL itself.
//!
//! Every thread strand runs has an alternate signal stack with a guard page of its own: a
//! spawned thread's lies in its mapping below the stack's guard (`thread::layout`) and is
//! registered by the thread's first act; the main thread's is mapped at start-up and never
//! freed. A fault's handler runs there, so it still has a stack when the thread's own is used
//! up. At start-up strand installs `on_fault` for the four fault signals (with SA_ONSTACK and
//! SA_NODEFER). It tells a stack overflow (the fault address in the thread's guard, compared by
//! page: s390x reports only the page) from other faults; an overflow prints
//! `thread '<name>' (tid N) has overflowed its stack` and the process dies by SIGSEGV, as with
//! Rust std. Any other fault goes to the program's fault handler, if it set one
//! ([`set_fault_handler`]), which may fix the cause and resume; else strand names the signal,
//! the address and the thread, and the process dies by that signal.
//!
//! The alternate stack is never freed while registered: a joined thread's mapping is freed once
//! the kernel has ended the thread (and its alternate stack with it), and a detached thread
//! that unmaps its own mapping disables it first (the rust-lang/rust#161018 class of bug).

use super::{Context, SigInfo, SigSet, Signal};
use crate::arch::sys::general as g;
use crate::errno::Errno;
use crate::syscall::sys;
use core::fmt::Write;
use core::sync::atomic::AtomicUsize;
use core::sync::atomic::Ordering::{AcqRel, Acquire};

/// Where a thread's stack guard and alternate signal stack are; written before the thread runs.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Stacks {
    /// The stack guard's lowest byte and size.
    ///
    /// Addresses whose fault means the stack overflowed: the guard below the stack (and, for a
    /// spawned thread, the alternate stack and its guard below that, which a frame larger than
    /// the guard may jump into).
    pub guard: (usize, usize),
    /// The alternate signal stack's lowest byte and size (size 0: none).
    ///
    /// The alternate signal stack's lowest byte and size (size 0: none).
    pub alt_stack: (usize, usize),
}

/// The floor of the alternate stack's size, and what it adds to the kernel's minimum for the
/// handler's own frames. The kernel tells its minimum (the signal frame, which grows with the
/// CPU's vector registers: 3376 bytes with AVX-512 here) in AT_MINSIGSTKSZ; QEMU user mode
/// passes 0, hence the floor. 16 KiB is what wasmtime and Go give handlers that do real work.
const ALT_FLOOR: usize = 16 << 10;
const ALT_HANDLER_ROOM: usize = 8 << 10;

/// The size of every thread's alternate signal stack (rounded up to pages by the layout).
pub(crate) fn alt_stack_size() -> usize {
    ALT_FLOOR.max(crate::rt::process().auxv.minsigstksz.saturating_add(ALT_HANDLER_ROOM))
}

/// Registers the alternate stack in `s` for the calling thread (`sigaltstack`).
pub(crate) fn enable_alt_stack(s: &Stacks) -> Result<(), Errno> {
    let (sp, size) = s.alt_stack;
    if size == 0 {
        return Ok(());
    }
    // SAFETY: stack_t is plain data; all-zero is valid.
    let mut ss: g::stack_t = unsafe { core::mem::zeroed() };
    ss.ss_sp = sp as *mut core::ffi::c_void;
    ss.ss_size = size as _;
    ss.ss_flags = 0;
    // SAFETY: the kernel reads one stack_t; the memory it names is the thread's, mapped for as
    // long as the thread runs.
    Errno::result(unsafe { sys!(g::__NR_sigaltstack, &ss as *const g::stack_t, 0) }).map(drop)
}

/// Unregisters the calling thread's alternate stack, before it frees the memory.
pub(crate) fn disable_alt_stack() {
    // SAFETY: stack_t is plain data; all-zero is valid.
    let mut ss: g::stack_t = unsafe { core::mem::zeroed() };
    ss.ss_flags = g::SS_DISABLE as _;
    // SAFETY: the kernel reads one stack_t.
    unsafe { sys!(g::__NR_sigaltstack, &ss as *const g::stack_t, 0) };
}

/// What the program's fault handler decided.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Context, FaultAction, SigInfo};
/// use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};
/// static PAGE: AtomicUsize = AtomicUsize::new(0);
/// // PROT_NONE is 0 and PROT_READ | PROT_WRITE is 3 on every Linux ABI (asm-generic/mman-common.h).
/// fn unprotect(info: &SigInfo, _: &mut Context) -> FaultAction {
///     let page = PAGE.load(Relaxed);
///     match info.fault_addr() {
///         // SAFETY: our own mapping; mprotect is a plain syscall, async-signal-safe.
///         Some(a) if a & !(strand::rt::page_size() - 1) == page => match unsafe { strand::syscall::mprotect(page as *mut u8, strand::rt::page_size(), 3) } {
///             Ok(()) => FaultAction::Resume,
///             Err(_) => FaultAction::Die,
///         },
///         _ => FaultAction::Die,
///     }
/// }
/// let p = strand::syscall::mmap_anon(strand::rt::page_size(), 0, 0).unwrap();
/// PAGE.store(p as usize, Relaxed);
/// signal::set_fault_handler(Some(unprotect));
/// // SAFETY: a page of our own; the first write faults, the handler opens it, the write resumes.
/// unsafe { p.write_volatile(42) };
/// assert_eq!(unsafe { p.read_volatile() }, 42);
/// assert!(signal::set_fault_handler(None).is_some());
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// It fixed the cause (say, made the page writable): the faulting instruction runs again.
    Resume,
    /// strand reports the fault and the process dies by the signal.
    Die,
}

/// A program's handler for SIGSEGV, SIGBUS, SIGFPE and SIGILL. It runs in the faulting thread
/// (`thread::current()` names it), on its alternate stack, with what a handler may use.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Context, FaultAction, FaultHandler, SigInfo};
/// fn report(_: &SigInfo, _: &mut Context) -> FaultAction {
///     let _ = signal::write(2, b"fault\n");
///     FaultAction::Die
/// }
/// let h: FaultHandler = report;
/// assert!(signal::set_fault_handler(Some(h)).is_none());
/// assert!(signal::set_fault_handler(None).is_some());
/// # }
/// ```
pub type FaultHandler = fn(&SigInfo, &mut Context) -> FaultAction;

static FAULT_HANDLER: AtomicUsize = AtomicUsize::new(0);

/// Sets the handler strand consults for a fault that is not a stack overflow (`None`: report
/// and die); returns the previous one. Stack overflows are always reported and fatal: the
/// thread has no stack left to resume on.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Context, FaultAction, SigInfo};
/// fn die(_: &SigInfo, _: &mut Context) -> FaultAction {
///     FaultAction::Die
/// }
/// let previous = signal::set_fault_handler(Some(die));
/// assert!(previous.is_none()); // strand reports and dies by default
/// signal::set_fault_handler(previous);
/// # }
/// ```
pub fn set_fault_handler(handler: Option<FaultHandler>) -> Option<FaultHandler> {
    let new = handler.map_or(0, |f| f as usize);
    match FAULT_HANDLER.swap(new, AcqRel) {
        0 => None,
        // SAFETY: only `FaultHandler` addresses are stored.
        f => Some(unsafe { core::mem::transmute::<usize, FaultHandler>(f) }),
    }
}

/// Every asynchronous signal is blocked while `on_fault` runs: a storm of them would otherwise
/// nest their handlers' frames on the alternate stack under the report until it overflows too
/// (then the kernel cannot deliver the fault at all and kills the process without a word: seen
/// in the signal-storm stress test). The fault signals stay open (SA_NODEFER), so a fault in
/// the handler itself still ends the process.
pub(crate) fn handler_mask() -> SigSet {
    SigSet::FULL.difference(&SigSet::of(&FAULTS)).difference(&SigSet::of(&[Signal::TRAP, Signal::SYS]))
}

/// The signals `on_fault` handles.
pub(crate) const FAULTS: [Signal; 4] = [Signal::SEGV, Signal::BUS, Signal::FPE, Signal::ILL];

/// strand's handler for the fault signals (see the module doc). Async-signal-safe: it reads the
/// thread's control block without a lock, formats into a stack buffer, and uses `write`,
/// `rt_sigaction` and `tgkill`.
pub(crate) fn on_fault(info: &SigInfo, cx: &mut Context) {
    let sig = info.signal();
    if info.fault_addr().is_some_and(is_overflow) {
        report(format_args!("has overflowed its stack"));
        die(Signal::SEGV, info);
        return;
    }
    let f = FAULT_HANDLER.load(Acquire);
    if f != 0 {
        // SAFETY: only `FaultHandler` addresses are stored.
        let f = unsafe { core::mem::transmute::<usize, FaultHandler>(f) };
        if f(info, cx) == FaultAction::Resume {
            return;
        }
    }
    match info.fault_addr() {
        Some(addr) => report(format_args!("got {sig} ({}) at address {addr:#x}", describe(sig, info.code().0))),
        None => report(format_args!("got {sig} (code {}) from pid {}", info.code().0, info.sender().map_or(0, |s| s.0))),
    }
    die(sig, info);
}

/// Whether a fault at `addr` is the calling thread's stack overflowing: `addr`'s page lies in
/// its guard range.
fn is_overflow(addr: usize) -> bool {
    if !crate::rt::is_ready() {
        return false;
    }
    let page = crate::rt::process().auxv.pagesz;
    let (lo, hi) = crate::thread::Tcb::current().fault.guard;
    let addr = addr & !(page - 1);
    lo <= addr && addr < hi
}

/// One line on stderr naming the calling thread, then `what`.
fn report(what: core::fmt::Arguments<'_>) {
    let mut w = crate::io::FdWriter::new(2);
    if crate::rt::is_ready() {
        let tcb = crate::thread::Tcb::current();
        // Read without a lock: a fault inside `set_name` holds it.
        let name = tcb.name.load();
        let name = if name.is_empty() { "<unnamed>" } else { name.as_str() };
        let _ = writeln!(w, "thread '{}' (tid {}) {}", name, tcb.tid(), what);
    } else {
        let _ = writeln!(w, "thread '<start-up>' {what}");
    }
    w.flush();
}

/// The `si_code` meanings a reader needs most (include/uapi/asm-generic/siginfo.h).
fn describe(sig: Signal, code: i32) -> &'static str {
    match (sig, code) {
        (Signal::SEGV, 1) => "address not mapped",
        (Signal::SEGV, 2) => "invalid permissions for mapped object",
        (Signal::BUS, 1) => "invalid address alignment",
        (Signal::BUS, 2) => "nonexistent physical address",
        (Signal::BUS, 3) => "object-specific hardware error",
        (Signal::FPE, 1) => "integer divide by zero",
        (Signal::FPE, 2) => "integer overflow",
        (Signal::FPE, 3..=8) => "floating-point exception",
        (Signal::ILL, 1) => "illegal opcode",
        (Signal::ILL, 2..=8) => "illegal instruction",
        _ => "fault",
    }
}

/// Ends the process by `sig` with its default action (a core dump where enabled): the
/// disposition goes back to the default, and the signal comes again — by itself when the
/// handler returns to the faulting instruction, or sent again if a process sent it.
fn die(sig: Signal, info: &SigInfo) {
    let dfl = crate::arch::Sigaction::DEFAULT;
    // SAFETY: SIG_DFL is always a valid disposition.
    unsafe { crate::arch::rt_sigaction(sig.number(), Some(&dfl), None) };
    if info.code().from_process() || sig != info.signal() {
        let _ = super::unblock(&super::SigSet::of(&[sig]));
        let _ = super::raise(sig);
    }
}
