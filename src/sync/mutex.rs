//! A futex mutex: one word, no syscall when uncontended, a short bounded spin, then sleep.
//!
//! States: 0 unlocked, 1 locked, 2 locked with (possibly) sleeping waiters. Unlock wakes one
//! waiter only if the word said 2 (the algorithm of Drepper's "Futexes Are Tricky", mutex3).

use super::atomic_wait::{futex, spin_limit, spin_loop, AtomicU32};
use core::cell::UnsafeCell;
use core::fmt;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

const UNLOCKED: u32 = 0;
const LOCKED: u32 = 1;
const CONTENDED: u32 = 2;

/// How many times a waiter re-reads a held lock before it sleeps in the kernel, and the most
/// pause instructions between two reads (the pauses double from 1): about 770 pauses in all,
/// roughly what a futex sleep and wake-up cost (the usual bound for spinning: longer only adds
/// to what sleeping would have cost). Measured on x86_64 with `cargo xtask bench` (workload 5):
/// capping the pause at 16 made two contending threads 1.6x slower than parking_lot, at 64
/// about 1.1x, at 256 about 0.9x, because a waiter that re-reads less often lets the holder
/// release and retake the lock without losing the cache line.
const SPIN_READS: u32 = 10;
const MAX_PAUSES: u32 = 256;

/// The lock without data: for building other primitives, and for `lock_api`.
pub struct RawMutex {
    state: AtomicU32,
}

impl RawMutex {
    pub const fn new() -> RawMutex {
        RawMutex { state: AtomicU32::new(UNLOCKED) }
    }

    #[inline]
    pub fn try_lock(&self) -> bool {
        self.state.compare_exchange(UNLOCKED, LOCKED, Acquire, Relaxed).is_ok()
    }

    #[inline]
    pub fn lock(&self) {
        if !self.try_lock() {
            self.lock_contended();
        }
    }

    #[cold]
    fn lock_contended(&self) {
        let mut state = self.spin();
        if state == UNLOCKED {
            match self.state.compare_exchange(UNLOCKED, LOCKED, Acquire, Relaxed) {
                Ok(_) => return,
                Err(s) => state = s,
            }
        }
        self.lock_marked_from(state);
    }

    /// Locks the way a thread that slept on this word must: leaving it CONTENDED, because
    /// others may still sleep here (a condition variable moves its waiters onto this word), and
    /// only a CONTENDED unlock wakes one of them.
    pub(crate) fn lock_marked(&self) {
        self.lock_marked_from(self.spin());
    }

    fn lock_marked_from(&self, mut state: u32) {
        loop {
            // Mark the lock contended before sleeping, so the unlocker knows to wake us. If the
            // swap finds it unlocked we own it (as "contended": at worst one needless wake).
            if state != CONTENDED && self.state.swap(CONTENDED, Acquire) == UNLOCKED {
                return;
            }
            futex::wait_private(&self.state, CONTENDED, None);
            state = self.spin();
        }
    }

    /// The futex word, for a condition variable to move its waiters onto (`futex::requeue`).
    pub(crate) fn word(&self) -> &AtomicU32 {
        &self.state
    }

    /// After a condition variable moved sleepers onto this word: makes sure one is woken, now
    /// if the lock is free, else by the holder's unlock (which wakes only when it finds the
    /// word CONTENDED). Whichever wakes then locks with `lock_marked`, so the chain goes on.
    pub(crate) fn wake_requeued(&self) {
        let mut state = self.state.load(Relaxed);
        loop {
            match state {
                CONTENDED => return,
                UNLOCKED => return self.wake(),
                _ => match self.state.compare_exchange(LOCKED, CONTENDED, Relaxed, Relaxed) {
                    Ok(_) => return,
                    Err(s) => state = s,
                },
            }
        }
    }

    /// Re-reads a held lock with exponentially growing pauses between reads, and returns the
    /// first state that is not LOCKED, or LOCKED after the last read. A waiter that re-reads
    /// at once takes the cache line from the holder at every step and grabs the lock at every
    /// release, so the two bounce the line on each increment of a short critical section; one
    /// that backs off lets the holder release and retake it several times in a row.
    fn spin(&self) -> u32 {
        let mut pauses = 1u32;
        for _ in 0..spin_limit(SPIN_READS) {
            let state = self.state.load(Relaxed);
            if state != LOCKED {
                return state;
            }
            for _ in 0..pauses {
                spin_loop();
            }
            pauses = (pauses * 2).min(MAX_PAUSES);
        }
        self.state.load(Relaxed)
    }

    /// # Safety
    /// The calling context must hold the lock (taken by `lock` or `try_lock`).
    ///
    /// Unlocking a mutex that is not locked is detected and panics instead of corrupting the
    /// lock for its next user.
    #[inline]
    pub unsafe fn unlock(&self) {
        match self.state.swap(UNLOCKED, Release) {
            LOCKED => {}
            CONTENDED => self.wake(),
            _ => unlock_of_unlocked(),
        }
    }

    #[cold]
    fn wake(&self) {
        futex::wake_private(&self.state, 1);
    }

    pub fn is_locked(&self) -> bool {
        self.state.load(Relaxed) != UNLOCKED
    }
}

#[cold]
#[inline(never)]
fn unlock_of_unlocked() -> ! {
    panic!("strand: unlock of a mutex that was not locked");
}

impl Default for RawMutex {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RawMutex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawMutex").field("locked", &self.is_locked()).finish()
    }
}

#[cfg(feature = "lock_api")]
// SAFETY: `lock`/`try_lock` give exclusive ownership until `unlock`, with Acquire/Release
// ordering; ownership may move between threads (the guard marker is Send).
unsafe impl lock_api::RawMutex for RawMutex {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: RawMutex = RawMutex::new();
    type GuardMarker = lock_api::GuardSend;

    fn lock(&self) {
        RawMutex::lock(self)
    }
    fn try_lock(&self) -> bool {
        RawMutex::try_lock(self)
    }
    unsafe fn unlock(&self) {
        // SAFETY: lock_api's contract: the lock is held.
        unsafe { RawMutex::unlock(self) }
    }
    fn is_locked(&self) -> bool {
        RawMutex::is_locked(self)
    }
}

/// A mutual-exclusion lock around a `T`. A panic aborts the process in strand, so there is no
/// poisoning: `lock` returns the guard directly.
pub struct Mutex<T: ?Sized> {
    pub(crate) raw: RawMutex,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out `&mut T` to one thread at a time.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above; sharing the Mutex lets other threads obtain `&mut T`, so `T: Send`.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    pub const fn new(value: T) -> Mutex<T> {
        Mutex { raw: RawMutex::new(), data: UnsafeCell::new(value) }
    }

    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    #[inline]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.raw.lock();
        MutexGuard { lock: self }
    }

    #[inline]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        if self.raw.try_lock() { Some(MutexGuard { lock: self }) } else { None }
    }

    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_lock() {
            Some(g) => f.debug_struct("Mutex").field("data", &&*g).finish(),
            None => f.debug_struct("Mutex").field("data", &format_args!("<locked>")).finish(),
        }
    }
}

/// Holds the lock; unlocks on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    pub(crate) lock: &'a Mutex<T>,
}

// SAFETY: a guard only gives `&T` to other threads when shared.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard proves the lock is held.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard proves the lock is held, and `&mut self` makes the borrow unique.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the guard proves the lock is held.
        unsafe { self.lock.raw.unlock() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
