//! A priority-inheritance mutex and its condition variable: while a thread waits for a
//! `PiMutex`, the kernel runs the holder at the waiter's priority, so a low-priority holder
//! cannot be starved by medium-priority threads while a high-priority one waits (priority
//! inversion).
//!
//! # The word
//!
//! The kernel's PI futex word (include/uapi/linux/futex.h), the layout `Mutex` uses too:
//!
//! ```text
//!  bit 31      bit 30       bits 29..0
//!  WAITERS     OWNER_DIED   owner's tid (0: unlocked)
//! ```
//!
//! User space only ever moves the word between 0 and the caller's tid: the uncontended lock is
//! `CAS(0 -> my tid)` and the uncontended unlock `CAS(my tid -> 0)`, with the tid loaded as by
//! `Mutex` (one load from the control block), so neither costs more than `Mutex`'s. Anything
//! else belongs to the kernel: a locker that finds the word held asks for it with
//! FUTEX_LOCK_PI2 (FUTEX_LOCK_PI before Linux 5.14), which sets WAITERS, queues the caller on
//! the owner's priority-inheritance chain and returns once the caller owns the word; an unlock
//! whose CAS fails because WAITERS is set is FUTEX_UNLOCK_PI, which hands the word to the
//! highest-priority waiter. Unlike `Mutex` there is no spin: a waiter that spins instead of
//! queueing does not lend its priority to the holder.
//!
//! # What is reported
//!
//! - A lock the caller already holds: the word names the caller, seen before any syscall
//!   (`lock` panics, `lock_checked` says `WouldDeadlock`, as `Mutex` does); the kernel's EDEADLK
//!   is reported the same way.
//! - No PI futexes: the first contended lock probes the kernel once (`futex::pi::support`) and
//!   `lock_checked` answers `PiError::Unsupported` with the reason: ENOSYS (a kernel built
//!   without them), or an emulator that hands the word to a host kernel of the other byte order
//!   (QEMU user mode on a big-endian guest: the host writes its tids byte-swapped). The
//!   uncontended path never asks, so it stays one CAS; `pi_support()` and `PiMutex::try_new`
//!   ask up front.
//! - A word naming a thread that is gone (it exited holding the lock; ESRCH from the kernel):
//!   `PiError::OwnerGone`. A thread that exits holding a `PiMutex` others already wait for
//!   hands it to one of them (the kernel's exit_pi_state_list); one that nobody waited for
//!   leaves it held for good. For locks that must survive their holder, see `RobustMutex`.
//!
//! # The condition variable
//!
//! `PiCondvar` keeps a sequence word and hands waiters to the mutex inside the kernel: a waiter
//! reads the word while it holds the mutex, unlocks, and sleeps with FUTEX_WAIT_REQUEUE_PI
//! naming the mutex; a notify bumps the word and calls FUTEX_CMP_REQUEUE_PI, which gives the
//! mutex to the first waiter at once if it is free, or queues it on the mutex (with priority
//! inheritance) if not, so the waiter returns owning the mutex without ever contending for it in
//! user space. A waiter whose wait ends any other way (the word moved before it slept, a signal,
//! a timeout) locks the mutex itself. The kernel requires every waiter on one word to name the
//! same PI word, so a `PiCondvar` serves one `PiMutex` for its whole life (a second is reported).

use super::atomic_wait::futex::{self, pi as kpi, Unsupported};
use super::atomic_wait::{current_tid, AtomicU32, AtomicUsize};
use super::mutex::WouldDeadlock;
use crate::errno::Errno;
use core::cell::UnsafeCell;
use core::fmt;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::time::Duration;

/// The owner's tid (FUTEX_TID_MASK).
const TID_MASK: u32 = 0x3fff_ffff;

#[inline(always)]
fn me() -> u32 {
    current_tid() as u32
}

/// Whether this kernel (or emulator) runs PI futexes, probed once per process. The uncontended
/// lock never needs them; every contended one does.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// match strand::sync::pi_support() {
///     Ok(()) => strand::println!("PI futexes available"),
///     Err(why) => strand::println!("no PI futexes: {why}"),
/// }
/// # }
/// ```
pub fn pi_support() -> Result<(), Unsupported> {
    kpi::support().map(drop)
}

/// Why a `PiMutex` could not be locked.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::{PiError, PiMutex};
/// let m = PiMutex::new(());
/// let _g = m.lock();
/// assert!(matches!(m.lock_checked(), Err(PiError::WouldDeadlock(_))));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PiError {
    /// The calling thread already holds it.
    WouldDeadlock(WouldDeadlock),
    /// The mutex is held by another thread and this kernel cannot queue for it.
    Unsupported(Unsupported),
    /// The word names a thread that no longer exists: it exited holding the lock (ESRCH).
    OwnerGone,
    /// Any other error FUTEX_LOCK_PI returned.
    Os(Errno),
}

impl fmt::Display for PiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PiError::WouldDeadlock(e) => e.fmt(f),
            PiError::Unsupported(u) => write!(f, "priority-inheritance futexes unavailable: {u}"),
            PiError::OwnerGone => f.write_str("the PI mutex's owner exited while holding it"),
            PiError::Os(e) => write!(f, "FUTEX_LOCK_PI: {e:?}"),
        }
    }
}

/// The lock without data, for `lock_api`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::RawPiMutex;
/// static RAW: RawPiMutex = RawPiMutex::new();
/// assert!(RAW.try_lock());
/// assert!(RAW.is_locked() && RAW.is_held_by_current_thread());
/// // SAFETY: this thread locked it just above.
/// unsafe { RAW.unlock() };
/// RAW.lock_checked().unwrap();
/// // SAFETY: as above.
/// unsafe { RAW.unlock() };
/// assert!(!RAW.is_locked());
/// # }
/// ```
pub struct RawPiMutex {
    state: AtomicU32,
}

impl RawPiMutex {
    /// An unlocked mutex (usable in a `static`).
    pub const fn new() -> RawPiMutex {
        RawPiMutex { state: AtomicU32::new(0) }
    }

    /// Locks if the mutex is free (never a syscall; `false` also if the caller holds it).
    #[inline]
    pub fn try_lock(&self) -> bool {
        self.state.compare_exchange(0, me(), Acquire, Relaxed).is_ok()
    }

    /// Locks, waiting (and lending the caller's priority to the holder) while another thread
    /// holds the mutex.
    ///
    /// # Panics
    /// With the `PiError` that `lock_checked` would return: a recursive attempt, no PI futexes
    /// here, or an owner that exited holding it.
    #[inline]
    #[track_caller]
    pub fn lock(&self) {
        let tid = me();
        if let Err(state) = self.state.compare_exchange(0, tid, Acquire, Relaxed) {
            if let Err(e) = self.lock_contended(tid, state) {
                lock_failed(e);
            }
        }
    }

    /// Locks like `lock`, but reports what `lock` panics with.
    #[inline]
    pub fn lock_checked(&self) -> Result<(), PiError> {
        let tid = me();
        match self.state.compare_exchange(0, tid, Acquire, Relaxed) {
            Ok(_) => Ok(()),
            Err(state) => self.lock_contended(tid, state),
        }
    }

    #[cold]
    fn lock_contended(&self, tid: u32, state: u32) -> Result<(), PiError> {
        // Before any syscall: nobody else can release a lock the caller holds.
        if state & TID_MASK == tid {
            return Err(PiError::WouldDeadlock(WouldDeadlock::of(tid as i32)));
        }
        let op = kpi::support().map_err(PiError::Unsupported)?;
        self.lock_in_kernel(op)
    }

    /// Asks the kernel for the word until it is ours (it takes a free word too).
    fn lock_in_kernel(&self, op: kpi::LockOp) -> Result<(), PiError> {
        loop {
            match kpi::lock(&self.state, op) {
                Ok(()) => return Ok(()),
                // The owner is exiting (the kernel asks to retry), or a signal on an old kernel.
                Err(Errno::EAGAIN) | Err(Errno::EINTR) => continue,
                Err(Errno::EDEADLK) => return Err(PiError::WouldDeadlock(WouldDeadlock::of(current_tid()))),
                Err(Errno::ESRCH) => return Err(PiError::OwnerGone),
                // Ours, with OWNER_DIED set by someone's robust-list walk: the lock is held all
                // the same (a PiMutex keeps no consistency state; see RobustMutex for that).
                Err(e) if e == eownerdead() => return Ok(()),
                Err(e) => return Err(PiError::Os(e)),
            }
        }
    }

    /// Unlocks; if waiters are queued, the kernel hands the lock to the highest-priority one.
    ///
    /// # Safety
    /// The calling thread must hold the lock. Unlocking a mutex the caller does not hold is
    /// detected (the kernel says EPERM) and panics.
    #[inline]
    pub unsafe fn unlock(&self) {
        if self.state.compare_exchange(me(), 0, Release, Relaxed).is_err() {
            self.unlock_slow();
        }
    }

    /// WAITERS (or OWNER_DIED) is set, or the caller does not own the word: the kernel decides.
    #[cold]
    fn unlock_slow(&self) {
        if let Err(e) = kpi::unlock(&self.state) {
            unlock_failed(e);
        }
    }

    /// Whether some thread holds the mutex (a snapshot).
    pub fn is_locked(&self) -> bool {
        self.state.load(Relaxed) != 0
    }

    /// Whether the calling thread holds this mutex.
    pub fn is_held_by_current_thread(&self) -> bool {
        self.state.load(Relaxed) & TID_MASK == me()
    }
}

fn eownerdead() -> Errno {
    Errno::from_raw(crate::arch::sys::errno::EOWNERDEAD as u16)
}

#[cold]
#[inline(never)]
#[track_caller]
fn lock_failed(e: PiError) -> ! {
    panic!("strand: PiMutex::lock: {e}")
}

#[cold]
#[inline(never)]
fn unlock_failed(e: Errno) -> ! {
    if e == Errno::EPERM {
        panic!("strand: unlock of a PI mutex the calling thread does not hold");
    }
    panic!("strand: FUTEX_UNLOCK_PI failed: {e:?}")
}

impl Default for RawPiMutex {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RawPiMutex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawPiMutex").field("locked", &self.is_locked()).finish()
    }
}

#[cfg(feature = "lock_api")]
// SAFETY: `lock`/`try_lock` give exclusive ownership until `unlock`, with Acquire/Release
// ordering. The word names the locking thread, and only it may unlock (GuardNoSend).
unsafe impl lock_api::RawMutex for RawPiMutex {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: RawPiMutex = RawPiMutex::new();
    type GuardMarker = lock_api::GuardNoSend;

    /// Panics as `RawPiMutex::lock` does.
    fn lock(&self) {
        RawPiMutex::lock(self)
    }
    fn try_lock(&self) -> bool {
        RawPiMutex::try_lock(self)
    }
    unsafe fn unlock(&self) {
        // SAFETY: lock_api's contract: the lock is held, by this thread (GuardNoSend).
        unsafe { RawPiMutex::unlock(self) }
    }
    fn is_locked(&self) -> bool {
        RawPiMutex::is_locked(self)
    }
}

/// A mutual-exclusion lock around a `T` with priority inheritance (see the module doc).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::PiMutex;
/// static SHARED: PiMutex<u32> = PiMutex::new(0);
/// // Uncontended locking needs no kernel support.
/// *SHARED.lock() += 1;
/// if strand::sync::pi_support().is_ok() {
///     let h = strand::thread::spawn(|| *SHARED.lock() += 1).unwrap();
///     *SHARED.lock() += 1;
///     h.join().unwrap();
///     assert_eq!(*SHARED.lock(), 3);
/// }
/// # }
/// ```
pub struct PiMutex<T: ?Sized> {
    raw: RawPiMutex,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out `&mut T` to one thread at a time.
unsafe impl<T: ?Sized + Send> Send for PiMutex<T> {}
// SAFETY: as above; sharing it lets other threads obtain `&mut T`, so `T: Send`.
unsafe impl<T: ?Sized + Send> Sync for PiMutex<T> {}

impl<T> PiMutex<T> {
    /// A mutex; it works uncontended everywhere, and its contended lock needs PI futexes
    /// (`lock_checked` reports `Unsupported` where there are none).
    pub const fn new(value: T) -> PiMutex<T> {
        PiMutex { raw: RawPiMutex::new(), data: UnsafeCell::new(value) }
    }

    /// A mutex, if this kernel runs PI futexes (`pi_support`); else why not.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::sync::PiMutex;
    /// match PiMutex::try_new(0u32) {
    ///     Ok(m) => assert_eq!(*m.lock(), 0),
    ///     Err(why) => strand::println!("no priority inheritance here: {why}"),
    /// }
    /// # }
    /// ```
    pub fn try_new(value: T) -> Result<PiMutex<T>, Unsupported> {
        pi_support().map(|()| PiMutex::new(value))
    }

    /// Consumes the mutex and returns its value.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> PiMutex<T> {
    /// Locks, waiting while another thread holds the mutex (which runs at the caller's priority
    /// meanwhile if that is higher than its own).
    ///
    /// # Panics
    /// Where `lock_checked` would return an error (a recursive attempt, no PI futexes, an
    /// owner gone), with that error.
    #[inline]
    #[track_caller]
    pub fn lock(&self) -> PiMutexGuard<'_, T> {
        self.raw.lock();
        PiMutexGuard::new(self)
    }

    /// Locks like `lock`, but returns its errors (the mutex left as it was).
    #[inline]
    pub fn lock_checked(&self) -> Result<PiMutexGuard<'_, T>, PiError> {
        self.raw.lock_checked().map(|()| PiMutexGuard::new(self))
    }

    /// Locks if the mutex is free, else `None` (no syscall).
    #[inline]
    pub fn try_lock(&self) -> Option<PiMutexGuard<'_, T>> {
        if self.raw.try_lock() { Some(PiMutexGuard::new(self)) } else { None }
    }

    /// Whether the calling thread holds this mutex.
    pub fn is_held_by_current_thread(&self) -> bool {
        self.raw.is_held_by_current_thread()
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
    /// let mut m = strand::sync::PiMutex::new(1);
    /// *m.get_mut() = 2;
    /// let g = m.try_lock().unwrap();
    /// assert!(m.is_locked() && m.is_held_by_current_thread() && m.try_lock().is_none());
    /// drop(g);
    /// assert_eq!(m.into_inner(), 2);
    /// # }
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for PiMutex<T> {
    fn default() -> Self {
        PiMutex::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for PiMutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_lock() {
            Some(g) => f.debug_struct("PiMutex").field("data", &&*g).finish(),
            None => f.debug_struct("PiMutex").field("data", &format_args!("<locked>")).finish(),
        }
    }
}

/// Holds a `PiMutex`; unlocks on drop. Not `Send`: the word names the thread that locked.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::PiMutex;
/// let m = PiMutex::new(1);
/// *m.lock() += 1; // the guard is dropped at the end of the statement
/// assert_eq!(*m.lock(), 2);
/// # }
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct PiMutexGuard<'a, T: ?Sized> {
    lock: &'a PiMutex<T>,
    _not_send: PhantomData<*const ()>,
}

impl<'a, T: ?Sized> PiMutexGuard<'a, T> {
    fn new(lock: &'a PiMutex<T>) -> PiMutexGuard<'a, T> {
        PiMutexGuard { lock, _not_send: PhantomData }
    }
}

// SAFETY: a guard only gives `&T` to other threads when shared.
unsafe impl<T: ?Sized + Sync> Sync for PiMutexGuard<'_, T> {}

impl<T: ?Sized> Deref for PiMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard proves the lock is held.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for PiMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard proves the lock is held, and `&mut self` makes the borrow unique.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for PiMutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the guard proves the lock is held, by this thread.
        unsafe { self.lock.raw.unlock() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for PiMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A condition variable for a `PiMutex` whose notify hands a waiter the mutex inside the
/// kernel (FUTEX_CMP_REQUEUE_PI; see the module doc). One `PiCondvar` serves one `PiMutex`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::{PiCondvar, PiMutex};
/// static READY: PiMutex<bool> = PiMutex::new(false);
/// static CV: PiCondvar = PiCondvar::new();
/// if strand::sync::pi_support().is_ok() {
///     let h = strand::thread::spawn(|| {
///         *READY.lock() = true;
///         CV.notify_one();
///     }).unwrap();
///     let g = CV.wait_while(READY.lock(), |ready| !*ready);
///     assert!(*g);
///     drop(g);
///     h.join().unwrap();
/// }
/// # }
/// ```
pub struct PiCondvar {
    /// The futex word: bumped by every notify.
    seq: AtomicU32,
    /// Threads inside `wait`, changed only under the mutex; a notify that reads 0 makes no
    /// syscall.
    waiters: AtomicU32,
    /// The address of the mutex's `RawPiMutex` (0 until the first wait).
    mutex: AtomicUsize,
}

impl PiCondvar {
    /// A condition variable with no waiters and no mutex yet (usable in a `static`).
    pub const fn new() -> PiCondvar {
        PiCondvar { seq: AtomicU32::new(0), waiters: AtomicU32::new(0), mutex: AtomicUsize::new(0) }
    }

    /// Wakes one waiter (if any), giving it the mutex as soon as it is free.
    pub fn notify_one(&self) {
        self.notify(false);
    }

    /// Wakes every waiter; they get the mutex one after another, highest priority first.
    pub fn notify_all(&self) {
        self.notify(true);
    }

    #[inline]
    fn notify(&self, all: bool) {
        self.seq.fetch_add(1, Release);
        // A waiter counts itself while holding the mutex, before it unlocks: a notifier that
        // changed the condition under the mutex sees it here.
        if self.waiters.load(Relaxed) != 0 {
            self.requeue(all);
        }
    }

    #[cold]
    fn requeue(&self, all: bool) {
        let pi = self.mutex.load(Relaxed) as *const RawPiMutex;
        // The word itself, as an address: the mutex may be gone if every waiter left since
        // (kpi::cmp_requeue explains why the kernel does not mind).
        let pi_word = pi.cast::<u32>();
        loop {
            let seq = self.seq.load(Relaxed);
            match kpi::cmp_requeue(&self.seq, pi_word, if all { u32::MAX } else { 0 }, seq) {
                // Another notify moved the word since: do it again with its value, so that
                // this notify still reaches a waiter.
                Err(Errno::EAGAIN) => continue,
                _ => return,
            }
        }
    }

    /// Unlocks, sleeps until notified (or spuriously woken), and returns holding the lock again.
    ///
    /// # Panics
    /// If another `PiMutex` was used with this condition variable, or PI futexes are
    /// unavailable (`pi_support`).
    pub fn wait<'a, T: ?Sized>(&self, guard: PiMutexGuard<'a, T>) -> PiMutexGuard<'a, T> {
        self.wait_raw(&guard, None);
        guard
    }

    /// `wait` for at most `timeout`. Says "timed out" only if the wait took no notify (as
    /// `Condvar::wait_timeout`; "not timed out" may be spurious: re-check the condition).
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::sync::{PiCondvar, PiMutex};
    /// use core::time::Duration;
    /// let (m, cv) = (PiMutex::new(()), PiCondvar::new());
    /// if strand::sync::pi_support().is_ok() {
    ///     // Nobody notifies: a wait ends as timed out (or, rarely, spuriously: wait again),
    ///     // with the mutex held again.
    ///     let mut g = m.lock();
    ///     loop {
    ///         let (again, timed_out) = cv.wait_timeout(g, Duration::from_millis(2));
    ///         g = again;
    ///         assert!(m.is_held_by_current_thread());
    ///         if timed_out {
    ///             break;
    ///         }
    ///     }
    ///     drop(g);
    /// }
    /// # }
    /// ```
    pub fn wait_timeout<'a, T: ?Sized>(&self, guard: PiMutexGuard<'a, T>, timeout: Duration) -> (PiMutexGuard<'a, T>, bool) {
        let timed_out = self.wait_raw(&guard, Some(timeout));
        (guard, timed_out)
    }

    /// Waits until `condition` returns false.
    pub fn wait_while<'a, T: ?Sized, F>(&self, mut guard: PiMutexGuard<'a, T>, mut condition: F) -> PiMutexGuard<'a, T>
    where
        F: FnMut(&mut T) -> bool,
    {
        while condition(&mut *guard) {
            guard = self.wait(guard);
        }
        guard
    }

    /// Returns whether the wait timed out without taking a notify.
    fn wait_raw<T: ?Sized>(&self, guard: &PiMutexGuard<'_, T>, timeout: Option<Duration>) -> bool {
        if let Err(u) = kpi::support() {
            lock_failed(PiError::Unsupported(u));
        }
        let raw = &guard.lock.raw;
        let addr = raw as *const RawPiMutex as usize;
        match self.mutex.compare_exchange(0, addr, Relaxed, Relaxed) {
            Ok(_) => {}
            Err(a) if a == addr => {}
            Err(_) => panic!("strand: PiCondvar used with a second PiMutex (the kernel's requeue serves one)"),
        }
        // Under the mutex, as is the decrement below.
        self.waiters.fetch_add(1, Relaxed);
        let seq = self.seq.load(Relaxed);
        let deadline = timeout.and_then(futex::deadline);
        // SAFETY: the guard proves the lock is held; it is held again before the guard goes back.
        unsafe { raw.unlock() };
        let r = kpi::wait_requeue(&self.seq, seq, deadline.as_ref(), &raw.state);
        if r.is_err() {
            // Not moved and given the mutex by a notify: take it as any locker would.
            raw.lock();
        }
        self.waiters.fetch_sub(1, Relaxed);
        // A notify that moved us bumped `seq` before its requeue, which the kernel ordered
        // before our return: a time-out after that is no time-out (the notify is ours).
        r == Err(Errno::ETIMEDOUT) && self.seq.load(Acquire) == seq
    }
}

impl Default for PiCondvar {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for PiCondvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PiCondvar").finish_non_exhaustive()
    }
}
