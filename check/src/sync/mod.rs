//! strand's `sync` files over the loom seam.

pub mod atomic_wait;
#[path = "../../../src/sync/condvar.rs"]
pub mod condvar;
#[path = "../../../src/sync/mutex.rs"]
pub mod mutex;
#[path = "../../../src/sync/once.rs"]
pub mod once;

pub use condvar::{Condvar, WaitTimeoutResult};
pub use mutex::{Mutex, MutexGuard, RawMutex, WouldDeadlock};
pub use once::{Once, OnceLock};
