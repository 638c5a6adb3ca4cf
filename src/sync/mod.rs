//! Locks built on futexes: `Mutex`, `Condvar`, `Once`, `OnceLock`, `RwLock`, `ReentrantMutex`,
//! `Barrier`, `LazyLock`; `Semaphore`, `ResetEvent`, `WaitGroup`; bounded channels without
//! allocation (`channel`); `PiMutex` and `PiCondvar` (priority inheritance), `RobustMutex`.

pub(crate) mod atomic_wait;
pub(crate) mod internal;
pub mod channel;
mod condvar;
mod mutex;
mod once;
mod pi;
pub(crate) mod robust;
mod reset_event;
mod semaphore;
mod wait_group;
mod barrier;
mod lazy;
mod reentrant;
mod rwlock;

/// `channel(|tx, rx| ..)`: a channel on the caller's stack (see `channel::scoped`).
pub use self::channel::scoped as channel;
pub use condvar::{Condvar, WaitTimeoutResult};
pub use mutex::{Mutex, MutexGuard, RawMutex, WouldDeadlock};
pub use once::{Once, OnceLock};
pub use pi::{pi_support, PiCondvar, PiError, PiMutex, PiMutexGuard, RawPiMutex};
pub use robust::{RawRobustMutex, RobustError, RobustLockError, RobustLockResult, RobustMutex, RobustMutexGuard, Taken};
#[doc(hidden)]
pub use robust::{__hide_robust_list_from_kernel, __leave_robust_list_to_kernel};
pub use reset_event::ResetEvent;
pub use semaphore::{Semaphore, TooManyPermits};
pub use wait_group::{WaitGroup, WaitGroupError};
pub use barrier::{Barrier, BarrierWaitResult};
pub use lazy::LazyLock;
pub use reentrant::{ReentrantMutex, ReentrantMutexGuard};
#[cfg(feature = "lock_api")]
pub use reentrant::RawThreadId;
pub use rwlock::{RawRwLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
