//! Signals: numbers and sets, handlers that get the kernel's `siginfo` and the interrupted
//! context, per-thread masks, waiting for a signal, and sending one.
//!
//! - [`Signal`], [`SigSet`]: typed numbers in this ABI's numbering (mips and sparc differ).
//! - [`set_handler`], [`set_action`], [`get_handler`], [`catch_signal`] with ECL's modes:
//!   dispositions are per process; masks are per thread ([`block`], [`unblock`], [`set_mask`],
//!   [`mask()`], [`pending`], [`suspend`]); a thread can be born with a mask
//!   (`thread::Builder::block_signals`).
//! - [`wait`], [`wait_timeout`]: take a blocked signal without running its handler.
//! - [`raise`], [`kill`], [`send_to_thread`], [`queue`], [`queue_to_thread`]; real-time
//!   signals from [`rt_min`] to [`rt_max`].
//! - [`write()`]: output a handler may use.
//! - [`Router`]: a dedicated thread that takes the asynchronous signals a program routes to it
//!   and runs a Rust callback for each in normal context (see `router`).
//! - Faults: every thread has an alternate signal stack; a stack overflow is reported and
//!   fatal; [`set_fault_handler`] lets a program handle SIGSEGV, SIGBUS, SIGFPE and SIGILL
//!   (see `fault`).
//!
//! Which strand calls a handler may make is listed in one place: the README's section
//! "Async-signal-safe calls".

mod action;
pub(crate) mod fault;
mod info;
mod mask;
mod number;
mod router;
mod send;
mod set;

pub use action::{catch_signal, get_action, get_handler, set_action, set_handler, Action, Flags, ForeignHandler, Handler, HandlerFn, Mode};
pub use fault::{set_fault_handler, FaultAction, FaultHandler};
pub use info::{Code, Context, SigInfo};
pub use mask::{block, mask, pending, set_mask, suspend, unblock, wait, wait_timeout};
pub use number::{rt_max, rt_min, Signal};
pub use router::{Router, RouterError};
pub use send::{kill, queue, queue_to_thread, raise, send_to_thread, write};
pub use set::SigSet;

pub(crate) use action::{install_at_start, install_control_handler, run_chained_control_handler, sent_by_this_process_tgkill};
pub(crate) use fault::alt_stack_size;

/// The number of the signal thread control took over, 0 before it did.
fn control_signal_number() -> usize {
    action::CONTROL.load(core::sync::atomic::Ordering::Acquire)
}
