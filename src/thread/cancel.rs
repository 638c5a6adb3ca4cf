//! Cooperative cancellation: `Thread::cancel` asks a thread to stop; the thread notices at its
//! next *cancellation point* (a cancellable wait, sleep, join or read, or `check_cancel`),
//! which returns `Cancelled`, and it ends by returning normally, so every `Drop` and exit hook
//! runs.
//!
//! A cancellation point enters the kernel through the arch file's `syscall_cp` stub (musl's
//! `__syscall_cp` design), which tests the thread's cancel word right before the syscall
//! instruction. `cancel` sets the word and then sends the control signal; its handler looks at
//! where the thread was interrupted (`redirect`): between the stub's test and the end of its
//! syscall instruction (a syscall that has not completed: with SA_RESTART the kernel rewinds
//! an interrupted one to the instruction), it sends the thread to the stub's cancel exit, so
//! the call returns `ECANCELED`. So a cancel can never be lost between "test the word" and
//! "sleep in the kernel", and a syscall that did complete (PC past the instruction) keeps its
//! result: a `read` that got data returns it, and the next cancellation point reports the
//! cancel.
//!
//! The request is sticky: every later cancellation point of the thread returns `Cancelled`,
//! except inside `disable_cancel()`, which cleanup code that must block can use.
//!
//! What strand does not offer, and why: killing a thread (or unwinding it asynchronously from
//! a signal) would skip the `Drop`s of its frames and free a stack that scoped threads and
//! `Pin`ned values may still point into (rust-lang/unsafe-code-guidelines#405), and leave any
//! lock it holds locked forever. A runtime that needs to stop code that never reaches a
//! cancellation point can `run_in` the thread and set a flag that code polls.

use super::cancel_point::must_redirect;
use super::control::Control;
use super::registry;
use super::{Tcb, Thread};
use crate::arch;
use crate::signal;
use core::ffi::c_void;
use core::fmt;
use core::sync::atomic::AtomicU32;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

/// A cancellation point found the calling thread cancelled.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let h = strand::thread::spawn(|| loop {
///     strand::thread::check_cancel()?;
///     strand::thread::yield_now();
/// }).unwrap();
/// h.thread().cancel().unwrap();
/// let r: Result<(), strand::thread::Cancelled> = h.join().unwrap();
/// assert_eq!(r, Err(strand::thread::Cancelled));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled;

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the thread was cancelled")
    }
}

/// The word a cancellation point's stub tests while cancellation is disabled: never set.
static NEVER: AtomicU32 = AtomicU32::new(0);

impl Control {
    /// The word the calling thread's cancellation points test.
    pub(crate) fn cancel_word(&self) -> *const u32 {
        if self.no_cancel.load(Relaxed) != 0 { NEVER.as_ptr() } else { self.cancel.as_ptr() }
    }
}

/// The calling thread's cancel word, for a cancellation point's `syscall_cp`.
pub(crate) fn cancel_word() -> *const u32 {
    Tcb::current().control.cancel_word()
}

/// The control signal handler's part: send a cancelled thread interrupted inside a
/// cancellation point's stub to the stub's cancel exit. Async-signal-safe.
///
/// # Safety
/// `uc` is the context the kernel passed to the running handler.
pub(crate) unsafe fn redirect(c: &Control, uc: *mut c_void) {
    let cancelled = c.cancel.load(Acquire) != 0;
    if !cancelled {
        return;
    }
    // SAFETY: per the contract.
    let pc = unsafe { arch::context_pc(uc) };
    if must_redirect(pc, arch::cancel_point_range(), cancelled, c.no_cancel.load(Relaxed) != 0) {
        // SAFETY: per the contract; the landing is the stub's own exit, whose frame state is the
        // same at every PC in the range (the arch contract).
        unsafe { arch::set_context_pc(uc, arch::cancel_point_landing()) };
    }
}

/// `Err(Cancelled)` if the calling thread has been cancelled (and cancellation is not
/// disabled): a cancellation point that does not block (pthread_testcancel).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// // Nobody cancelled the main thread.
/// assert_eq!(strand::thread::check_cancel(), Ok(()));
/// # }
/// ```
pub fn check_cancel() -> Result<(), Cancelled> {
    let c = &Tcb::current().control;
    if c.cancel.load(Acquire) != 0 && c.no_cancel.load(Relaxed) == 0 { Err(Cancelled) } else { Ok(()) }
}

/// Cancellation disabled for the calling thread while this lives (nestable): its cancellation
/// points behave as plain calls, and a cancel that arrives meanwhile waits for the last guard
/// to go (pthread_setcancelstate).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let guard = strand::thread::disable_cancel();
/// let inner = strand::thread::disable_cancel(); // nests
/// drop(inner);
/// drop(guard); // cancellation is enabled again
/// assert_eq!(strand::thread::check_cancel(), Ok(()));
/// # }
/// ```
pub struct NoCancel {
    _not_send: core::marker::PhantomData<*const ()>,
}

/// Disables cancellation of the calling thread until the guard is dropped.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::sync::atomic::{AtomicBool, Ordering::{Acquire, Release}};
/// static CANCELLED: AtomicBool = AtomicBool::new(false);
/// let h = strand::thread::spawn(|| {
///     let guard = strand::thread::disable_cancel();
///     while !CANCELLED.load(Acquire) {
///         strand::thread::yield_now();
///     }
///     // Disabled: the cancel waits for the guard.
///     assert_eq!(strand::thread::check_cancel(), Ok(()));
///     drop(guard);
///     strand::thread::check_cancel()
/// }).unwrap();
/// h.thread().cancel().unwrap();
/// CANCELLED.store(true, Release);
/// assert_eq!(h.join().ok(), Some(Err(strand::thread::Cancelled)));
/// # }
/// ```
pub fn disable_cancel() -> NoCancel {
    let c = &Tcb::current().control;
    c.no_cancel.store(c.no_cancel.load(Relaxed) + 1, Relaxed);
    NoCancel { _not_send: core::marker::PhantomData }
}

impl Drop for NoCancel {
    fn drop(&mut self) {
        let c = &Tcb::current().control;
        c.no_cancel.store(c.no_cancel.load(Relaxed) - 1, Relaxed);
    }
}

impl Thread {
    /// Asks the thread to stop: its next cancellation point (or the one it is blocked in)
    /// returns `Cancelled`. Returns at once. `Exited` if it has finished.
    pub fn cancel(&self) -> Result<(), super::ControlError> {
        super::control::ensure_installed()?;
        let pin = registry::pin(self).ok_or(super::ControlError::Exited)?;
        let t = pin.tcb();
        let shared = t.shared.lock();
        if shared.exited {
            return Err(super::ControlError::Exited);
        }
        t.control.cancel.store(1, Release);
        // The lock keeps the thread from exiting, so its tid is still its own.
        let _ = signal::send_to_thread(t.tid(), super::control::control_signal());
        Ok(())
    }
}
