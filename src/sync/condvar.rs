//! A futex condition variable.
//!
//! A sequence word that every notify bumps, so a waiter that read the word before unlocking
//! cannot miss a notify that comes after. A notify while the mutex is held does not wake the
//! waiter into a mutex it cannot take: it moves it, still asleep, onto the mutex's word
//! (FUTEX_CMP_REQUEUE), and the mutex's unlock wakes it. That halves the context switches of a
//! notify-under-lock hand-over.
//!
//! To touch the mutex, the notifier must know it is still alive. The waiters register it under
//! a small internal lock and deregister under the same lock, so while a notifier holds that lock
//! and sees a waiter registered, that waiter is inside `wait` with a guard of the mutex. Under
//! the same lock a waiter counts itself a sleeper once it has unlocked the mutex; a notify that
//! finds no sleeper makes no syscall, since every waiter counted later sees the bumped word in
//! its futex wait and does not sleep.

use super::atomic_wait::futex::{self, WaitResult};
use super::atomic_wait::{AtomicU32, AtomicUsize};
use super::mutex::{MutexGuard, RawMutex};
use crate::time::Instant;
use core::sync::atomic::Ordering::Relaxed;
use core::time::Duration;

pub struct Condvar {
    /// The futex word: bumped by every notify.
    seq: AtomicU32,
    /// Threads inside `wait`. Changed only under `registry`; read without it to skip a notify
    /// that has nobody to wake.
    waiters: AtomicU32,
    /// Those of `waiters` past their unlock, who may be asleep in the kernel. A notify that
    /// finds none has nothing to wake: each will see the bumped word before it sleeps. Changed
    /// only under `registry`, and read under it.
    sleepers: AtomicU32,
    /// The address of the `RawMutex` every current waiter uses (meaningful while `waiters > 0`).
    mutex: AtomicUsize,
    /// Guards `waiters`, `sleepers` and `mutex`, and keeps registered waiters (hence their
    /// mutex) in place while a notifier uses the mutex.
    registry: RawMutex,
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
        Condvar {
            seq: AtomicU32::new(0),
            waiters: AtomicU32::new(0),
            sleepers: AtomicU32::new(0),
            mutex: AtomicUsize::new(0),
            registry: RawMutex::new(),
        }
    }

    /// Wakes one waiter (if any).
    pub fn notify_one(&self) {
        self.notify(false);
    }

    /// Wakes every waiter.
    pub fn notify_all(&self) {
        self.notify(true);
    }

    #[inline]
    fn notify(&self, all: bool) {
        self.seq.fetch_add(1, Relaxed);
        // A waiter registers while holding its mutex, before it unlocks; a notifier that changed
        // the condition under that mutex therefore sees the registration here.
        if self.waiters.load(Relaxed) != 0 {
            self.notify_waiters(all);
        }
    }

    #[cold]
    fn notify_waiters(&self, all: bool) {
        self.registry.lock();
        // A waiter that counts itself a sleeper after this point does so after the bump above
        // (the registry lock orders the two), so its wait sees the new word and does not sleep.
        if self.sleepers.load(Relaxed) != 0 {
            // SAFETY: a waiter is registered with this mutex and cannot deregister while we hold
            // `registry`; it is inside `wait` holding a guard, so the mutex is alive.
            let mutex = unsafe { &*(self.mutex.load(Relaxed) as *const RawMutex) };
            self.wake(mutex, all);
        }
        // SAFETY: taken above.
        unsafe { self.registry.unlock() };
    }

    fn wake(&self, mutex: &RawMutex, all: bool) {
        let seq = self.seq.load(Relaxed);
        let (wake, requeue) = match (all, mutex.is_locked()) {
            // Move them onto the mutex, whose unlock wakes one; each then takes the mutex
            // marked contended, so each unlock wakes the next: no thundering herd.
            (true, true) => (0, u32::MAX),
            (false, true) => (0, 1),
            // Nobody holds the mutex: wake one (and move the rest behind it).
            (true, false) => (1, u32::MAX),
            (false, false) => (1, 0),
        };
        if requeue == 0 {
            futex::wake_private(&self.seq, 1);
            return;
        }
        match futex::requeue_private(&self.seq, mutex.word(), wake, requeue, seq) {
            Some(0) => {}
            Some(_) if wake == 0 => mutex.wake_requeued(),
            Some(_) => {}
            // Another notify bumped the word meanwhile (or the kernel refused): a plain wake
            // is always correct.
            None => {
                futex::wake_private(&self.seq, if all { u32::MAX } else { 1 });
            }
        }
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
        self.register(raw);
        let seq = self.seq.load(Relaxed);
        // SAFETY: the guard proves the lock is held; it is retaken below before the guard is
        // handed back.
        unsafe { raw.unlock() };
        self.registry.lock();
        self.sleepers.fetch_add(1, Relaxed);
        // SAFETY: taken above.
        unsafe { self.registry.unlock() };
        // The unlock may have woken a thread that ran at once (on this CPU, before us) and
        // notified already: then the word has moved and the wait would only fail in the kernel.
        let r = if self.seq.load(Relaxed) == seq {
            futex::wait_private(&self.seq, seq, timeout)
        } else {
            WaitResult::ValueChanged
        };
        // A notify may have moved us onto the mutex's word, behind or ahead of others it moved.
        raw.lock_marked();
        self.registry.lock();
        self.sleepers.fetch_sub(1, Relaxed);
        self.waiters.fetch_sub(1, Relaxed);
        // SAFETY: taken above.
        unsafe { self.registry.unlock() };
        r
    }

    fn register(&self, mutex: &RawMutex) {
        let addr = mutex as *const RawMutex as usize;
        self.registry.lock();
        let others = self.waiters.load(Relaxed);
        let same = others == 0 || self.mutex.load(Relaxed) == addr;
        if same {
            self.mutex.store(addr, Relaxed);
            self.waiters.store(others + 1, Relaxed);
        }
        // SAFETY: taken above.
        unsafe { self.registry.unlock() };
        if !same {
            two_mutexes();
        }
    }
}

#[cold]
#[inline(never)]
fn two_mutexes() -> ! {
    panic!("strand: a Condvar was waited on with two different mutexes at the same time");
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
