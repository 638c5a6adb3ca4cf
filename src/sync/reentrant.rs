//! A mutex its holder may lock again: the same `RawMutex` word, which already names its holder
//! by tid, plus a count of how many times the holder has locked it.
//!
//! Built on `RawMutex` rather than on a word of its own because that word is all a reentrant
//! mutex needs: "do I hold it?" is one load comparing the word's tid with the caller's (only
//! the caller ever stores its own tid there), and everyone else waits exactly as for a plain
//! mutex, with its spin, sleep and hand-over. The count is touched only by the holder, so it is
//! a plain integer that the mutex's Acquire and Release hand from one holder to the next.
//! A relock costs that load and an increment; no syscall unless another thread holds the lock.

use super::mutex::RawMutex;
use core::cell::UnsafeCell;
use core::fmt;
use core::marker::PhantomData;
use core::ops::Deref;

/// A mutex the holding thread may lock again; each guard gives `&T` (shared, since the holder
/// may hold several), so mutation needs a `Cell` or `RefCell` inside.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::ReentrantMutex;
/// use core::cell::Cell;
/// static LOG: ReentrantMutex<Cell<u32>> = ReentrantMutex::new(Cell::new(0));
/// fn inner() {
///     let g = LOG.lock(); // the caller holds it already: locks once more
///     g.set(g.get() + 1);
/// }
/// let g = LOG.lock();
/// inner();
/// assert_eq!(LOG.lock_count(), 1);
/// assert_eq!(g.get(), 1);
/// drop(g);
/// assert!(!LOG.is_locked());
/// # }
/// ```
pub struct ReentrantMutex<T: ?Sized> {
    raw: RawMutex,
    /// How many guards the holder has; 0 while unlocked. Only the holder touches it.
    count: UnsafeCell<u32>,
    data: T,
}

// SAFETY: the data is only reached through guards, which give `&T` to the holding thread only;
// so moving the mutex needs `T: Send`, and sharing it needs `T: Send` too (each holder in turn
// gets `&T`, possibly of a `!Sync` type like `Cell`, but never two threads at once).
unsafe impl<T: ?Sized + Send> Send for ReentrantMutex<T> {}
// SAFETY: as above; `count` is only touched by the thread the mutex's word names.
unsafe impl<T: ?Sized + Send> Sync for ReentrantMutex<T> {}

impl<T> ReentrantMutex<T> {
    /// An unlocked mutex holding `value` (usable in a `static`).
    pub const fn new(value: T) -> ReentrantMutex<T> {
        ReentrantMutex { raw: RawMutex::new(), count: UnsafeCell::new(0), data: value }
    }

    /// Consumes the mutex and returns its value.
    pub fn into_inner(self) -> T {
        self.data
    }
}

impl<T: ?Sized> ReentrantMutex<T> {
    /// Locks, or locks once more if the calling thread holds it already.
    ///
    /// # Panics
    /// If the holder already has 2^32 - 1 guards ("lock count overflow"): the count is never
    /// wrapped, which would unlock the mutex under its holder's feet.
    #[inline]
    #[track_caller]
    pub fn lock(&self) -> ReentrantMutexGuard<'_, T> {
        if self.raw.is_held_by_current_thread() {
            self.relock();
        } else {
            self.raw.lock();
            // SAFETY: the caller holds the mutex, so it alone touches the count.
            unsafe { *self.count.get() = 1 };
        }
        ReentrantMutexGuard { lock: self, _not_send: PhantomData }
    }

    /// Locks if the mutex is free or already held by the calling thread; `None` if another
    /// thread holds it (or the holder's count is full).
    #[inline]
    pub fn try_lock(&self) -> Option<ReentrantMutexGuard<'_, T>> {
        if self.raw.is_held_by_current_thread() {
            // SAFETY: the caller holds the mutex, so it alone touches the count.
            let count = unsafe { &mut *self.count.get() };
            *count = count.checked_add(1)?;
        } else if self.raw.try_lock() {
            // SAFETY: as above.
            unsafe { *self.count.get() = 1 };
        } else {
            return None;
        }
        Some(ReentrantMutexGuard { lock: self, _not_send: PhantomData })
    }

    #[track_caller]
    fn relock(&self) {
        // SAFETY: the caller holds the mutex, so it alone touches the count.
        let count = unsafe { &mut *self.count.get() };
        match count.checked_add(1) {
            Some(c) => *count = c,
            None => count_overflow(),
        }
    }

    /// Whether the calling thread holds this mutex.
    pub fn is_held_by_current_thread(&self) -> bool {
        self.raw.is_held_by_current_thread()
    }

    /// How many guards the calling thread holds (0 if it does not hold the mutex).
    pub fn lock_count(&self) -> u32 {
        if self.raw.is_held_by_current_thread() {
            // SAFETY: the caller holds the mutex, so it alone touches the count.
            unsafe { *self.count.get() }
        } else {
            0
        }
    }

    /// Whether some thread holds the mutex (a snapshot).
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// The value, through `&mut self`: no locking, since nobody else can hold the mutex.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// let mut m = strand::sync::ReentrantMutex::new(1);
    /// *m.get_mut() += 1;
    /// let a = m.try_lock().unwrap();
    /// let b = m.try_lock().unwrap();
    /// assert_eq!((*a, m.lock_count()), (2, 2));
    /// drop((a, b));
    /// assert_eq!(m.into_inner(), 2);
    /// # }
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.data
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn count_overflow() -> ! {
    panic!("strand: lock count overflow in a ReentrantMutex (2^32 - 1 guards on one thread)");
}

impl<T: Default> Default for ReentrantMutex<T> {
    fn default() -> Self {
        ReentrantMutex::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for ReentrantMutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_lock() {
            Some(g) => f.debug_struct("ReentrantMutex").field("data", &&*g).finish(),
            None => f.debug_struct("ReentrantMutex").field("data", &format_args!("<locked>")).finish(),
        }
    }
}

/// One of the holder's locks; the mutex is unlocked when the last one is dropped. Not `Send`:
/// the count and the word belong to the thread that locked.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::ReentrantMutex;
/// let m = ReentrantMutex::new(3);
/// let a = m.lock();
/// let b = m.lock();
/// assert_eq!(*a + *b, 6);
/// drop(a);
/// assert!(m.is_locked()); // `b` still holds it
/// drop(b);
/// assert!(!m.is_locked());
/// # }
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct ReentrantMutexGuard<'a, T: ?Sized> {
    lock: &'a ReentrantMutex<T>,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: shared, a guard gives `&T`, which other threads may use only if `T: Sync`.
unsafe impl<T: ?Sized + Sync> Sync for ReentrantMutexGuard<'_, T> {}

impl<T: ?Sized> Deref for ReentrantMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.lock.data
    }
}

impl<T: ?Sized> Drop for ReentrantMutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the guard proves this thread holds the mutex, so it alone touches the count,
        // which is at least 1 (this guard).
        unsafe {
            let count = &mut *self.lock.count.get();
            *count -= 1;
            if *count == 0 {
                self.lock.raw.unlock();
            }
        }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for ReentrantMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The calling thread's id for `lock_api::ReentrantMutex<RawMutex, RawThreadId, T>`: its
/// kernel tid, one load from the thread pointer.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::{RawMutex, RawThreadId};
/// use lock_api::GetThreadId;
/// let id = RawThreadId.nonzero_thread_id().get();
/// assert_eq!(id, strand::thread::current_tid() as usize);
/// let m: lock_api::ReentrantMutex<RawMutex, RawThreadId, u32> = lock_api::ReentrantMutex::new(3);
/// let a = m.lock();
/// let b = m.lock();
/// assert_eq!(*a + *b, 6);
/// # }
/// ```
#[cfg(feature = "lock_api")]
#[derive(Clone, Copy, Debug, Default)]
pub struct RawThreadId;

#[cfg(feature = "lock_api")]
// SAFETY: a tid is never 0 and no two live threads share one.
unsafe impl lock_api::GetThreadId for RawThreadId {
    const INIT: RawThreadId = RawThreadId;

    fn nonzero_thread_id(&self) -> core::num::NonZeroUsize {
        let tid = super::atomic_wait::current_tid() as usize;
        core::num::NonZeroUsize::new(tid).expect("a thread id is never 0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::Cell;

    #[test]
    fn the_holder_relocks_and_the_last_guard_unlocks() {
        let m = ReentrantMutex::new(Cell::new(0));
        let a = m.lock();
        let b = m.lock();
        let c = m.try_lock().expect("the holder may relock");
        assert_eq!(m.lock_count(), 3);
        a.set(a.get() + 1);
        c.set(c.get() + 1);
        drop((a, c));
        assert!(m.is_locked() && m.lock_count() == 1);
        drop(b);
        assert!(!m.is_locked() && m.lock_count() == 0);
        std::thread::scope(|s| {
            let g = m.lock();
            s.spawn(|| assert!(m.try_lock().is_none() && m.lock_count() == 0)).join().unwrap();
            drop(g);
        });
        assert_eq!(m.into_inner().get(), 2);
    }

    #[test]
    #[should_panic(expected = "lock count overflow")]
    fn a_count_overflow_panics() {
        let m = ReentrantMutex::new(());
        let g = m.lock();
        // SAFETY: the test thread holds the mutex.
        unsafe { *m.count.get() = u32::MAX };
        assert!(m.try_lock().is_none(), "try_lock reports a full count as None");
        let _again = m.lock();
        drop(g);
    }
}
