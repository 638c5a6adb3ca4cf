//! strand's `sync` files over the loom seam.

pub mod atomic_wait;
#[path = "../../../src/sync/condvar.rs"]
pub mod condvar;
#[path = "../../../src/sync/mutex.rs"]
pub mod mutex;
#[path = "../../../src/sync/once.rs"]
pub mod once;
#[path = "../../../src/sync/robust.rs"]
pub mod robust;
#[path = "../../../src/sync/channel/mod.rs"]
pub mod channel;
#[path = "../../../src/sync/reset_event.rs"]
pub mod reset_event;
#[path = "../../../src/sync/semaphore.rs"]
pub mod semaphore;
#[path = "../../../src/sync/wait_group.rs"]
pub mod wait_group;
#[path = "../../../src/sync/barrier.rs"]
pub mod barrier;
#[path = "../../../src/sync/lazy.rs"]
pub mod lazy;
#[path = "../../../src/sync/reentrant.rs"]
pub mod reentrant;
#[path = "../../../src/sync/rwlock.rs"]
pub mod rwlock;

pub use condvar::{Condvar, WaitTimeoutResult};
pub use mutex::{Mutex, MutexGuard, RawMutex, WouldDeadlock};
pub use once::{Once, OnceLock};
pub use robust::{RawRobustMutex, RobustError, Taken};
pub use reset_event::ResetEvent;
pub use semaphore::{Semaphore, TooManyPermits};
pub use wait_group::{WaitGroup, WaitGroupError};
pub use barrier::{Barrier, BarrierWaitResult};
pub use lazy::LazyLock;
pub use reentrant::{ReentrantMutex, ReentrantMutexGuard};
pub use rwlock::{RawRwLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
