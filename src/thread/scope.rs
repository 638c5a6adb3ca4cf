//! Scoped threads: threads that may borrow from the caller's stack, because `scope` does not
//! return before every thread spawned in it has finished with what it borrowed.

use super::{Builder, JoinError, JoinHandle, SpawnError, Thread};
use crate::futex;
use core::marker::PhantomData;
use core::sync::atomic::AtomicU32;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

/// Runs `f` with a scope to spawn threads in; waits for all of them before returning.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let mut counts = [0u32; 3];
/// let total = 10;
/// strand::thread::scope(|s| {
///     for (i, c) in counts.iter_mut().enumerate() {
///         // Borrows `total` and one element of `counts`: the scope outlives the threads.
///         s.spawn(move || *c = total + i as u32).unwrap();
///     }
/// });
/// assert_eq!(counts, [10, 11, 12]);
/// # }
/// ```
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    let s = Scope { running: AtomicU32::new(0), scope: PhantomData, env: PhantomData };
    let result = f(&s);
    loop {
        let n = s.running.load(Acquire);
        if n == 0 {
            break;
        }
        futex::wait_private(&s.running, n, None);
    }
    result
}

/// A scope to spawn borrowing threads in, given by [`scope`]; every thread spawned in it has
/// finished before `scope` returns.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let mut log = [0u8; 2];
/// let (first, second) = log.split_at_mut(1);
/// strand::thread::scope(|s| {
///     s.spawn(|| first[0] = 1).unwrap();
///     s.spawn(|| second[0] = 2).unwrap();
/// });
/// assert_eq!(log, [1, 2]);
/// # }
/// ```
pub struct Scope<'scope, 'env: 'scope> {
    /// Threads that may still use borrowed data.
    running: AtomicU32,
    scope: PhantomData<&'scope mut &'scope ()>,
    env: PhantomData<&'env mut &'env ()>,
}

impl<'scope, 'env> Scope<'scope, 'env> {
    /// Spawns a thread that may borrow anything that outlives the scope; `Err` if the kernel
    /// refused a resource (see [`SpawnError`]).
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// let data = [1, 2, 3];
    /// let sum = strand::thread::scope(|s| {
    ///     let h = s.spawn(|| data.iter().sum::<i32>()).unwrap();
    ///     h.join().unwrap()
    /// });
    /// assert_eq!(sum, 6);
    /// # }
    /// ```
    pub fn spawn<F, T>(&'scope self, f: F) -> Result<ScopedJoinHandle<'scope, T>, SpawnError>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        self.spawn_with(Builder::new(), f)
    }

    pub(super) fn spawn_with<F, T>(&'scope self, b: Builder, f: F) -> Result<ScopedJoinHandle<'scope, T>, SpawnError>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        self.running.fetch_add(1, Relaxed);
        // SAFETY: the thread is counted in `running`, and `scope` waits for the count to reach
        // zero, which the thread lowers only after its last use of borrowed data.
        match unsafe { b.spawn_unchecked(f, &self.running) } {
            Ok(inner) => Ok(ScopedJoinHandle { inner, _scope: PhantomData }),
            Err(e) => {
                // SAFETY: our own counter, alive.
                unsafe { thread_done(&self.running) };
                Err(e)
            }
        }
    }
}

/// Called by a scoped thread after its last use of borrowed data (its result included).
///
/// # Safety
/// `running` must be the live counter of the scope the thread was spawned in.
pub(super) unsafe fn thread_done(running: *const AtomicU32) {
    // SAFETY: alive until the count reaches zero; after the fetch_sub the scope may end at once,
    // so only the address is used for the wake (a wake on a dead address is harmless).
    if unsafe { (*running).fetch_sub(1, Release) } == 1 {
        futex::wake_addr(running as *const u32, 1, futex::Scope::Private);
    }
}

/// Owns a scoped thread; dropping it detaches the thread (the scope still waits for it).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let v = [1, 2, 3];
/// strand::thread::scope(|s| {
///     let h = s.spawn(|| v.len()).unwrap();
///     assert_eq!(h.join().ok(), Some(3));
///     let detached = s.spawn(|| v[0]).unwrap();
///     drop(detached); // the scope still waits for it
/// });
/// # }
/// ```
pub struct ScopedJoinHandle<'scope, T> {
    inner: JoinHandle<T>,
    _scope: PhantomData<&'scope ()>,
}

impl<T> ScopedJoinHandle<'_, T> {
    /// As `JoinHandle::join`: `Err(JoinError::SelfJoin)` (and the thread detached, the scope
    /// still waiting for it) if the calling thread is the handle's thread.
    pub fn join(self) -> Result<T, JoinError> {
        self.inner.join()
    }

    /// Whether the thread has finished running its closure (`join` would not wait).
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::sync::ResetEvent;
    /// let go = ResetEvent::new();
    /// strand::thread::scope(|s| {
    ///     let h = s.spawn(|| go.wait()).unwrap();
    ///     assert!(!h.is_finished()); // it waits for `go`
    ///     go.set();
    ///     h.join().unwrap();
    /// });
    /// # }
    /// ```
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    /// The thread, as a [`Thread`] handle (for its tid, name, or `unpark`).
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// strand::thread::scope(|s| {
    ///     let h = s.spawn(|| strand::thread::current_tid()).unwrap();
    ///     let tid = h.thread().tid();
    ///     assert_eq!(h.join().ok(), Some(tid));
    /// });
    /// # }
    /// ```
    pub fn thread(&self) -> Thread {
        self.inner.thread()
    }
}
