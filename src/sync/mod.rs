//! Locks built on futexes: `Mutex`, `Condvar`, `Once`, `OnceLock`.

pub(crate) mod atomic_wait;
pub(crate) mod internal;
mod condvar;
mod mutex;
mod once;

pub use condvar::{Condvar, WaitTimeoutResult};
pub use mutex::{Mutex, MutexGuard, RawMutex, WouldDeadlock};
pub use once::{Once, OnceLock};
