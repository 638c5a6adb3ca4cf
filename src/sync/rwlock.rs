//! A futex reader-writer lock: two words, one `lock xadd` each way for an uncontended reader,
//! one compare-and-swap and one subtraction for an uncontended writer, and a waiting writer
//! blocks new readers, so a stream of readers cannot starve writers.
//!
//! # The words
//!
//! ```text
//!  state:  bit 31            bit 30            bit 29        bits 28..0
//!          WRITERS_WAITING   READERS_WAITING   WRITE_LOCKED  readers (held, plus in-flight tries)
//!  writer_notify: bumped by every wake of a writer; writers sleep on it
//! ```
//!
//! Readers sleep on `state`, writers on `writer_notify`, so an unlock can wake one writer
//! without waking every reader, and all readers at once with one FUTEX_WAKE. This is the shape
//! of Rust std's futex rwlock (library/std/src/sys/sync/rwlock/futex.rs) with one change, the
//! reader fast path, which is what makes an uncontended read lock+unlock two atomic additions:
//!
//! # Readers add first and look afterwards
//!
//! `read` adds one to the word without looking (`fetch_add`, one `lock xadd` on x86) and keeps
//! it if the value it replaced was below `MAX_READERS`: no flag set (no writer holding, none
//! and no reader waiting) and fewer than `MAX_READERS` readers. Otherwise the addition is an
//! *in-flight try*: the reader takes it back at once, exactly as a read unlock would, and
//! queues in `read_contended`. While it is in the word, a try only delays a writer: a writer
//! takes the lock only when the reader count is 0, and the try's own removal wakes whoever its
//! presence kept waiting. So the one rule for waking is:
//!
//! > whoever takes the count to 0, with WRITE_LOCKED clear and a waiting bit set, wakes.
//!
//! A plain read unlock tests only the sign bit (WRITERS_WAITING) on its fast path; it need not
//! look for READERS_WAITING alone, because readers wait only while a writer holds or waits
//! (below), and while READERS_WAITING is set no reader gets in, so a held read lock with
//! READERS_WAITING set always has WRITERS_WAITING set too. The removal of a try checks the
//! whole rule (it is on the slow path anyway): a writer's unlock that found a try in the count
//! leaves the waking to it.
//!
//! The count has room for the tries: held readers stop at `MAX_READERS` (2^28), and each
//! thread has at most one try in the word at a time, so with fewer than 2^28 threads (Linux
//! allows 2^22) the count never reaches WRITE_LOCKED.
//!
//! # Writer preference
//!
//! A reader gets in only while no flag is set: a writer that waits (WRITERS_WAITING) keeps new
//! readers out, the readers inside finish, and the last one wakes the writer. Readers that
//! came meanwhile set READERS_WAITING and sleep; an unlock that finds WRITERS_WAITING wakes one
//! writer and leaves the bit set, so no reader slips in before the woken writer arrives (see
//! `wake_waiters`); one that finds only READERS_WAITING wakes every reader. A writer's wake
//! that finds no writer asleep clears the bit and wakes the readers instead (a writer on its
//! way to sleep sees the bumped `writer_notify` and tries again).
//!
//! # Limits and misuse
//!
//! - `MAX_READERS` (2^28) read locks at once: `read` panics with "too many active read locks"
//!   (as std's), `try_read` fails. A reader that finds the count at the limit because of other
//!   threads' in-flight tries counts them too; that needs within a thread count of 2^28 read
//!   locks held.
//! - The lock does not know who holds it: `write` (or `read`) by a thread that holds the write
//!   lock, or `read` by a thread holding a read lock while a writer waits, waits for itself
//!   forever, as std documents for its `RwLock` ("might panic or deadlock"). Recording the
//!   writer's tid would cost every write lock two more stores.
//! - Unlocking a lock nobody holds is reported where the word shows it (a read unlock that
//!   finds no reader and a set sign bit, a write unlock without WRITE_LOCKED).

use super::atomic_wait::{futex, spin_limit, AtomicU32};
use super::mutex::backoff;
use core::cell::UnsafeCell;
use core::fmt;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

/// The reader count (held read locks plus in-flight tries).
const READERS: u32 = (1 << 29) - 1;
const WRITE_LOCKED: u32 = 1 << 29;
const READERS_WAITING: u32 = 1 << 30;
/// The sign bit, so that a read unlock tests it with the flags of its own subtraction.
const WRITERS_WAITING: u32 = 1 << 31;
/// A reader may enter while the word is below this: no flag, and fewer readers than this.
const MAX_READERS: u32 = 1 << 28;

/// How often a waiter re-reads a word held without waiters before it sleeps, with `Mutex`'s
/// wait between reads (`mutex::backoff`: a few pauses, then yields; mutex.rs says why).
const SPIN_READS: u32 = 10;

/// No writer holds it and no reader does (in-flight tries count as readers).
#[inline]
fn is_free(state: u32) -> bool {
    state & (READERS | WRITE_LOCKED) == 0
}

/// The lock without data: for building other primitives, and for `lock_api`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::RawRwLock;
/// let l = RawRwLock::new();
/// l.read();
/// assert!(l.try_read());
/// assert!(!l.try_write());
/// // SAFETY: this thread holds the two read locks taken above.
/// unsafe { l.read_unlock(); l.read_unlock() };
/// l.write();
/// assert!(l.is_locked_exclusive());
/// // SAFETY: this thread holds the write lock; afterwards it holds a read lock instead.
/// unsafe { l.downgrade() };
/// assert!(l.is_locked() && !l.is_locked_exclusive());
/// // SAFETY: the read lock `downgrade` left.
/// unsafe { l.read_unlock() };
/// assert!(!l.is_locked());
/// # }
/// ```
pub struct RawRwLock {
    state: AtomicU32,
    writer_notify: AtomicU32,
}

impl RawRwLock {
    /// An unlocked lock (usable in a `static`).
    pub const fn new() -> RawRwLock {
        RawRwLock { state: AtomicU32::new(0), writer_notify: AtomicU32::new(0) }
    }

    /// Takes a read lock, waiting while a writer holds the lock or waits for it.
    ///
    /// # Panics
    /// If `MAX_READERS` (2^28) read locks are held at once ("too many active read locks").
    #[inline]
    #[track_caller]
    pub fn read(&self) {
        if self.state.fetch_add(1, Acquire) >= MAX_READERS {
            self.read_contended();
        }
    }

    /// Takes a read lock if no writer holds the lock or waits for it (and the count has room).
    #[inline]
    pub fn try_read(&self) -> bool {
        let mut state = self.state.load(Relaxed);
        while state < MAX_READERS {
            match self.state.compare_exchange_weak(state, state + 1, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(s) => state = s,
            }
        }
        false
    }

    /// Gives up one read lock; the last reader out wakes a waiting writer.
    ///
    /// # Safety
    /// The caller must hold a read lock of this lock (taken by `read` or `try_read`, or left by
    /// `downgrade`), and gives it up.
    #[inline]
    #[track_caller]
    pub unsafe fn read_unlock(&self) {
        let state = self.state.fetch_sub(1, Release).wrapping_sub(1);
        // The sign bit: a writer waits (or the count was 0 and wrapped: no read lock was held).
        if (state as i32) < 0 {
            self.read_unlocked(state);
        }
    }

    /// After a reader left (a read unlock, or a try taken back): wakes the waiters if it took
    /// the count to 0 with no writer inside. `state` is the word its subtraction left.
    #[cold]
    #[track_caller]
    fn read_unlocked(&self, state: u32) {
        if state.wrapping_add(1) & READERS == 0 {
            read_unlock_of_unlocked();
        }
        if is_free(state) && state & (READERS_WAITING | WRITERS_WAITING) != 0 {
            self.wake_waiters(state);
        }
    }

    #[cold]
    #[track_caller]
    fn read_contended(&self) {
        // The fast path's addition is an in-flight try: take it back like a read unlock, which
        // wakes a writer that saw it and went to sleep.
        self.read_unlocked(self.state.fetch_sub(1, Relaxed).wrapping_sub(1));
        let mut state = self.spin(|s| s & WRITE_LOCKED != 0 && s & (READERS_WAITING | WRITERS_WAITING) == 0);
        loop {
            if state < MAX_READERS {
                match self.state.compare_exchange_weak(state, state + 1, Acquire, Relaxed) {
                    Ok(_) => return,
                    Err(s) => state = s,
                }
                continue;
            }
            if state & READERS >= MAX_READERS {
                too_many_readers();
            }
            // A writer holds the lock or waits for it (or READERS_WAITING is already set): mark
            // the word so that the unlock that lets readers in wakes us.
            if state & READERS_WAITING == 0 {
                if let Err(s) = self.state.compare_exchange(state, state | READERS_WAITING, Relaxed, Relaxed) {
                    state = s;
                    continue;
                }
                state |= READERS_WAITING;
            }
            futex::wait_private(&self.state, state, None);
            state = self.spin(|s| s & WRITE_LOCKED != 0 && s & (READERS_WAITING | WRITERS_WAITING) == 0);
        }
    }

    /// Takes the write lock, waiting while anyone holds the lock.
    #[inline]
    pub fn write(&self) {
        if self.state.compare_exchange(0, WRITE_LOCKED, Acquire, Relaxed).is_err() {
            self.write_contended();
        }
    }

    /// Takes the write lock if nobody holds the lock.
    #[inline]
    pub fn try_write(&self) -> bool {
        let mut state = self.state.load(Relaxed);
        while is_free(state) {
            match self.state.compare_exchange_weak(state, state | WRITE_LOCKED, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(s) => state = s,
            }
        }
        false
    }

    #[cold]
    fn write_contended(&self) {
        let mut state = self.spin(|s| !is_free(s) && s & (READERS_WAITING | WRITERS_WAITING) == 0);
        loop {
            // Taken with the waiting bits as they are: a wake leaves WRITERS_WAITING set for
            // the writers still asleep (`wake_waiters`), so this one's unlock wakes the next.
            if is_free(state) {
                match self.state.compare_exchange_weak(state, state | WRITE_LOCKED, Acquire, Relaxed) {
                    Ok(_) => return,
                    Err(s) => state = s,
                }
                continue;
            }
            if state & WRITERS_WAITING == 0 {
                if let Err(s) = self.state.compare_exchange(state, state | WRITERS_WAITING, Relaxed, Relaxed) {
                    state = s;
                    continue;
                }
            }
            // Read the notify word before checking the lock once more: a wake that clears
            // WRITERS_WAITING after this check bumps the word after this read, and the wait
            // below then returns at once.
            let seq = self.writer_notify.load(Acquire);
            state = self.state.load(Relaxed);
            if is_free(state) || state & WRITERS_WAITING == 0 {
                continue;
            }
            futex::wait_private(&self.writer_notify, seq, None);
            state = self.spin(|s| !is_free(s) && s & (READERS_WAITING | WRITERS_WAITING) == 0);
        }
    }

    /// Gives up the write lock, waking the waiters.
    ///
    /// # Safety
    /// The caller must hold the write lock of this lock, and gives it up.
    #[inline]
    #[track_caller]
    pub unsafe fn write_unlock(&self) {
        let was = self.state.fetch_sub(WRITE_LOCKED, Release);
        if was != WRITE_LOCKED {
            self.write_unlocked(was);
        }
    }

    #[cold]
    #[track_caller]
    fn write_unlocked(&self, was: u32) {
        if was & WRITE_LOCKED == 0 {
            write_unlock_of_unlocked();
        }
        let state = was - WRITE_LOCKED;
        // With an in-flight try in the count, its removal wakes instead.
        if is_free(state) && state & (READERS_WAITING | WRITERS_WAITING) != 0 {
            self.wake_waiters(state);
        }
    }

    /// Turns the write lock the caller holds into a read lock, atomically: no writer gets in
    /// between. Readers asleep are woken unless a writer waits (it keeps them out).
    ///
    /// # Safety
    /// The caller must hold the write lock of this lock; it then holds a read lock instead.
    #[track_caller]
    pub unsafe fn downgrade(&self) {
        // Release: what the writer wrote is seen by the readers that enter from now on.
        let was = self.state.fetch_sub(WRITE_LOCKED - 1, Release);
        if was & WRITE_LOCKED == 0 {
            write_unlock_of_unlocked();
        }
        if was & READERS_WAITING != 0 && was & WRITERS_WAITING == 0 {
            // Only a count of 0 lets anyone else clear the bit, and ours is at least 1. A
            // writer that comes meanwhile keeps the woken readers out again; they sleep anew.
            self.state.fetch_and(!READERS_WAITING, Relaxed);
            futex::wake_private(&self.state, u32::MAX);
        }
    }

    /// Wakes who should go next, once the lock is free (`state`, as last seen, has no reader and
    /// no writer): one writer if any waits, else every reader.
    ///
    /// A writer is woken with WRITERS_WAITING left set, so that no reader slips in between this
    /// wake and the writer's getting there (a reader that arrives in those microseconds would
    /// otherwise take the lock, and the writer would find it held and sleep again: a stream of
    /// readers could keep a writer waiting round after round). The cost is at the end of a run of
    /// writers: the last one's unlock finds the bit, wakes nobody, and only then clears it.
    ///
    /// Each change of the word is a compare-and-swap from the exact value, retried while the
    /// lock stays free (a reader may add READERS_WAITING meanwhile); once anyone took the lock,
    /// or an in-flight try came in, the waking is theirs (the unlock, or the try's removal).
    #[cold]
    fn wake_waiters(&self, mut state: u32) {
        while is_free(state) {
            if state & WRITERS_WAITING != 0 {
                if self.wake_writer() {
                    return;
                }
                // No writer asleep: one may be on its way to sleep, and then sees the notify
                // word bumped and tries again (setting the bit again if it must wait).
                if let Err(s) = self.state.compare_exchange(state, state & READERS_WAITING, Relaxed, Relaxed) {
                    state = s;
                    continue;
                }
                state &= READERS_WAITING;
            }
            if state != READERS_WAITING {
                return;
            }
            match self.state.compare_exchange(state, 0, Relaxed, Relaxed) {
                Ok(_) => {
                    futex::wake_private(&self.state, u32::MAX);
                    return;
                }
                Err(s) => state = s,
            }
        }
    }

    /// Whether a writer was woken.
    fn wake_writer(&self) -> bool {
        self.writer_notify.fetch_add(1, Release);
        futex::wake_private(&self.writer_notify, 1) != 0
    }

    /// Re-reads the word while `busy` says it is held with nobody waiting (the holder may let go
    /// soon), backing off as `Mutex` does; returns the last value read.
    fn spin(&self, busy: impl Fn(u32) -> bool) -> u32 {
        for i in 0..spin_limit(SPIN_READS) {
            let state = self.state.load(Relaxed);
            if !busy(state) {
                return state;
            }
            backoff(i);
        }
        self.state.load(Relaxed)
    }

    /// Whether anyone holds the lock (an in-flight try of a reader counts while it lasts).
    pub fn is_locked(&self) -> bool {
        !is_free(self.state.load(Relaxed))
    }

    /// Whether a writer holds the lock.
    pub fn is_locked_exclusive(&self) -> bool {
        self.state.load(Relaxed) & WRITE_LOCKED != 0
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn too_many_readers() -> ! {
    panic!("strand: too many active read locks on an RwLock (2^28)");
}

#[cold]
#[inline(never)]
#[track_caller]
fn read_unlock_of_unlocked() -> ! {
    panic!("strand: read unlock of an RwLock that was not read-locked");
}

#[cold]
#[inline(never)]
#[track_caller]
fn write_unlock_of_unlocked() -> ! {
    panic!("strand: write unlock of an RwLock that was not write-locked");
}

impl Default for RawRwLock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RawRwLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state.load(Relaxed);
        f.debug_struct("RawRwLock")
            .field("readers", &(s & READERS))
            .field("write_locked", &(s & WRITE_LOCKED != 0))
            .field("writers_waiting", &(s & WRITERS_WAITING != 0))
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "lock_api")]
// SAFETY: `lock_exclusive` excludes every other holder, `lock_shared` only writers, with
// Acquire on taking and Release on giving up. Guards stay on their thread, as std's.
unsafe impl lock_api::RawRwLock for RawRwLock {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: RawRwLock = RawRwLock::new();
    type GuardMarker = lock_api::GuardNoSend;

    fn lock_shared(&self) {
        self.read()
    }
    fn try_lock_shared(&self) -> bool {
        self.try_read()
    }
    unsafe fn unlock_shared(&self) {
        // SAFETY: lock_api's contract: a read lock is held.
        unsafe { self.read_unlock() }
    }
    fn lock_exclusive(&self) {
        self.write()
    }
    fn try_lock_exclusive(&self) -> bool {
        self.try_write()
    }
    unsafe fn unlock_exclusive(&self) {
        // SAFETY: lock_api's contract: the write lock is held.
        unsafe { self.write_unlock() }
    }
    fn is_locked(&self) -> bool {
        RawRwLock::is_locked(self)
    }
    fn is_locked_exclusive(&self) -> bool {
        RawRwLock::is_locked_exclusive(self)
    }
}

#[cfg(feature = "lock_api")]
// SAFETY: `downgrade` turns the held write lock into a read lock without letting a writer in.
unsafe impl lock_api::RawRwLockDowngrade for RawRwLock {
    unsafe fn downgrade(&self) {
        // SAFETY: lock_api's contract: the write lock is held.
        unsafe { RawRwLock::downgrade(self) }
    }
}

/// A reader-writer lock around a `T`: many readers or one writer, and a waiting writer keeps
/// new readers out. A panic aborts the process in strand, so there is no poisoning.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::RwLock;
/// static TABLE: RwLock<[u32; 4]> = RwLock::new([0; 4]);
/// TABLE.write()[1] = 5;
/// let readers = [(); 3].map(|()| strand::thread::spawn(|| TABLE.read()[1]).unwrap());
/// for r in readers {
///     assert_eq!(r.join().ok(), Some(5));
/// }
/// # }
/// ```
pub struct RwLock<T: ?Sized> {
    raw: RawRwLock,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out `&mut T` to one thread at a time, so moving it needs `T: Send`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: readers on several threads share `&T` (`T: Sync`); a writer gets `&mut T` (`T: Send`).
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    /// An unlocked lock holding `value` (usable in a `static`).
    pub const fn new(value: T) -> RwLock<T> {
        RwLock { raw: RawRwLock::new(), data: UnsafeCell::new(value) }
    }

    /// Consumes the lock and returns its value.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Shared access, waiting while a writer holds the lock or waits for it.
    ///
    /// # Panics
    /// With 2^28 read locks held at once. A thread that holds a read lock and reads again while
    /// a writer waits waits for itself forever (the writer waits for it): read once per thread.
    #[inline]
    #[track_caller]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        self.raw.read();
        // SAFETY: just read-locked.
        unsafe { RwLockReadGuard::new(self) }
    }

    /// Shared access if no writer holds the lock or waits for it, else `None`.
    #[inline]
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        // SAFETY: just read-locked.
        self.raw.try_read().then(|| unsafe { RwLockReadGuard::new(self) })
    }

    /// Exclusive access, waiting while anyone holds the lock. A thread that holds the lock
    /// already (to read or write) waits for itself forever.
    #[inline]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.raw.write();
        RwLockWriteGuard { lock: self, _not_send: PhantomData }
    }

    /// Exclusive access if nobody holds the lock, else `None`.
    #[inline]
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        self.raw.try_write().then(|| RwLockWriteGuard { lock: self, _not_send: PhantomData })
    }

    /// The value, through `&mut self`: no locking, since nobody else can hold the lock.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// let mut l = strand::sync::RwLock::new(1);
    /// *l.get_mut() = 2;
    /// let r = l.read();
    /// assert!(l.try_write().is_none() && l.is_locked() && !l.is_locked_exclusive());
    /// drop(r);
    /// assert_eq!(l.into_inner(), 2);
    /// # }
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// Whether anyone holds the lock.
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// Whether a writer holds the lock.
    pub fn is_locked_exclusive(&self) -> bool {
        self.raw.is_locked_exclusive()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_read() {
            Some(g) => f.debug_struct("RwLock").field("data", &&*g).finish(),
            None => f.debug_struct("RwLock").field("data", &format_args!("<locked>")).finish(),
        }
    }
}

/// Shared access; gives up the read lock on drop. Not `Send`, as std's.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::RwLock;
/// let l = RwLock::new(5);
/// let (a, b) = (l.read(), l.read()); // many readers at once
/// assert_eq!(*a + *b, 10);
/// assert!(l.try_write().is_none());
/// # }
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    // A pointer, not `&T`: a `&T` argument would be assumed dereferenceable for the whole call
    // that drops the guard, after the unlock let a writer change it (std's guard does the same).
    data: NonNull<T>,
    raw: &'a RawRwLock,
    _not_send: PhantomData<*const ()>,
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// # Safety
    /// The caller has just taken a read lock of `lock`.
    unsafe fn new(lock: &'a RwLock<T>) -> RwLockReadGuard<'a, T> {
        // SAFETY: an UnsafeCell's pointer is never null.
        let data = unsafe { NonNull::new_unchecked(lock.data.get()) };
        RwLockReadGuard { data, raw: &lock.raw, _not_send: PhantomData }
    }
}

// SAFETY: a read guard only gives `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard proves a read lock is held: no writer until it is dropped.
        unsafe { self.data.as_ref() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the guard proves a read lock is held.
        unsafe { self.raw.read_unlock() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive access; gives up the write lock on drop. Not `Send`, as std's.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::RwLock;
/// let l = RwLock::new(1);
/// let mut w = l.write();
/// *w = 2;
/// assert!(l.try_read().is_none()); // a writer keeps readers out
/// drop(w);
/// assert_eq!(*l.read(), 2);
/// # }
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    _not_send: PhantomData<*const ()>,
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Turns this write access into read access without letting another writer in between:
    /// what it wrote is what the returned guard (and every other reader) reads.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::sync::{RwLock, RwLockWriteGuard};
    /// let l = RwLock::new(0);
    /// let mut w = l.write();
    /// *w = 9;
    /// let r = RwLockWriteGuard::downgrade(w);
    /// assert_eq!(*r, 9);
    /// assert!(l.try_read().is_some() && l.try_write().is_none());
    /// # }
    /// ```
    pub fn downgrade(this: RwLockWriteGuard<'a, T>) -> RwLockReadGuard<'a, T> {
        let this = ManuallyDrop::new(this);
        let lock = this.lock;
        // SAFETY: the guard proves the write lock is held; it is not dropped (ManuallyDrop), so
        // the read lock left in its place is owned by the read guard.
        unsafe {
            lock.raw.downgrade();
            RwLockReadGuard::new(lock)
        }
    }
}

// SAFETY: shared, a write guard only gives `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard proves the write lock is held.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard proves the write lock is held, and `&mut self` makes the borrow unique.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the guard proves the write lock is held.
        unsafe { self.lock.raw.write_unlock() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// None of these paths reaches a futex call, so this also runs under Miri.
    #[test]
    fn readers_share_writers_exclude() {
        let l = RwLock::new(1);
        let a = l.read();
        let b = l.read();
        assert!(l.try_write().is_none());
        assert_eq!(*a + *b, 2);
        drop((a, b));
        let mut w = l.write();
        assert!(l.try_read().is_none() && l.try_write().is_none());
        assert!(l.is_locked_exclusive());
        *w += 1;
        let r = RwLockWriteGuard::downgrade(w);
        assert!(!l.is_locked_exclusive() && l.is_locked());
        assert!(l.try_write().is_none());
        let r2 = l.try_read().expect("a downgraded lock admits readers");
        assert_eq!((*r, *r2), (2, 2));
        drop((r, r2));
        assert!(!l.is_locked());
        assert_eq!(l.raw.state.load(Relaxed), 0);
        assert_eq!(l.into_inner(), 2);
    }

    /// A waiting writer (its bit set, as `write_contended` leaves it) keeps readers out, both
    /// `try_read` and the fast path's try, which it takes back and leaves the word as it was.
    #[test]
    fn a_waiting_writer_blocks_new_readers() {
        let l = RawRwLock::new();
        l.read();
        l.state.fetch_or(WRITERS_WAITING, Relaxed);
        assert!(!l.try_read());
        assert!(!l.try_write());
        assert_eq!(l.state.load(Relaxed), 1 | WRITERS_WAITING);
    }

    #[test]
    fn try_read_fails_at_the_reader_limit() {
        let l = RawRwLock::new();
        l.state.store(MAX_READERS - 1, Relaxed);
        assert!(l.try_read());
        assert!(!l.try_read());
        assert_eq!(l.state.load(Relaxed), MAX_READERS);
    }

    #[test]
    #[should_panic(expected = "too many active read locks")]
    fn read_panics_at_the_reader_limit() {
        let l = RawRwLock::new();
        l.state.store(MAX_READERS, Relaxed);
        l.read();
    }

    #[test]
    #[should_panic(expected = "write unlock of an RwLock that was not write-locked")]
    fn a_write_unlock_of_a_free_lock_panics() {
        let l = RawRwLock::new();
        // SAFETY: deliberately wrong, which `write_unlock` must report.
        unsafe { l.write_unlock() };
    }

    #[test]
    #[should_panic(expected = "read unlock of an RwLock that was not read-locked")]
    fn a_read_unlock_of_a_free_lock_panics() {
        let l = RawRwLock::new();
        // SAFETY: deliberately wrong, which `read_unlock` must report.
        unsafe { l.read_unlock() };
    }
}
