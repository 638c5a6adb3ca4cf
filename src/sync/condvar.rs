//! A futex condition variable: a sequence word that every notify bumps, so a waiter that read
//! the word before unlocking cannot miss a notify that comes after.

use super::atomic_wait::futex::{self, WaitResult};
use super::atomic_wait::AtomicU32;
use super::mutex::MutexGuard;
use crate::time::Instant;
use core::sync::atomic::Ordering::Relaxed;
use core::time::Duration;

pub struct Condvar {
    seq: AtomicU32,
}

/// Whether a timed wait returned because its time ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

impl Condvar {
    pub const fn new() -> Condvar {
        Condvar { seq: AtomicU32::new(0) }
    }

    pub fn notify_one(&self) {
        self.seq.fetch_add(1, Relaxed);
        futex::wake_private(&self.seq, 1);
    }

    pub fn notify_all(&self) {
        self.seq.fetch_add(1, Relaxed);
        futex::wake_private(&self.seq, i32::MAX as u32);
    }

    /// Unlocks, sleeps until notified (or spuriously woken), relocks.
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.wait_raw(&guard, None);
        guard
    }

    /// Waits until `condition` returns false.
    pub fn wait_while<'a, T: ?Sized, F>(&self, mut guard: MutexGuard<'a, T>, mut condition: F) -> MutexGuard<'a, T>
    where
        F: FnMut(&mut T) -> bool,
    {
        while condition(&mut *guard) {
            guard = self.wait(guard);
        }
        guard
    }

    /// Waits for a notification for at most `timeout`.
    pub fn wait_timeout<'a, T: ?Sized>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> (MutexGuard<'a, T>, WaitTimeoutResult) {
        let timed_out = self.wait_raw(&guard, Some(timeout)) == WaitResult::TimedOut;
        (guard, WaitTimeoutResult(timed_out))
    }

    /// Waits until `condition` returns false or `timeout` has passed; the result says whether
    /// the condition still held when time ran out.
    pub fn wait_timeout_while<'a, T: ?Sized, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        timeout: Duration,
        mut condition: F,
    ) -> (MutexGuard<'a, T>, WaitTimeoutResult)
    where
        F: FnMut(&mut T) -> bool,
    {
        let start = Instant::now();
        loop {
            if !condition(&mut *guard) {
                return (guard, WaitTimeoutResult(false));
            }
            let Some(left) = timeout.checked_sub(start.elapsed()) else {
                return (guard, WaitTimeoutResult(true));
            };
            guard = self.wait_timeout(guard, left).0;
        }
    }

    fn wait_raw<T: ?Sized>(&self, guard: &MutexGuard<'_, T>, timeout: Option<Duration>) -> WaitResult {
        let raw = &guard.lock.raw;
        let seq = self.seq.load(Relaxed);
        // SAFETY: the guard proves the lock is held; it is retaken below before the guard is
        // handed back.
        unsafe { raw.unlock() };
        let r = futex::wait_private(&self.seq, seq, timeout);
        raw.lock();
        r
    }
}

impl Default for Condvar {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for Condvar {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Condvar").finish_non_exhaustive()
    }
}
