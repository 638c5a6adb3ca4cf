//! A futex condition variable whose notify, made under the lock, wakes its waiter when the
//! mutex is let go, never into a held lock. This comment is the one place that explains the
//! protocol; the README only names it.
//!
//! # The pieces
//!
//! - **`seq`**, the futex word. Every notify adds one. A waiter reads it while it still holds
//!   the mutex and sleeps only while the word still holds that value. A notifier changes the
//!   condition under the mutex and notifies afterwards, so its bump comes after the waiter's
//!   read: the waiter is either asleep in the kernel when the notify looks for it, or its futex
//!   wait finds the word moved and returns at once. No notify falls between the two.
//! - **The registry**: `waiters`, `sleepers` and `mutex`, changed only under the small internal
//!   lock `registry`. A waiter registers (adds itself to `waiters`, records its mutex's address)
//!   before it unlocks the mutex, and deregisters after it has locked it again. So while a
//!   notifier holds `registry` and sees a waiter registered, that waiter is inside `wait` with a
//!   guard, and the mutex whose address it recorded is alive: that is what lets a notifier use
//!   a mutex nobody handed it. All current waiters must use one mutex; a second is reported.
//! - **Sleepers**: the registered waiters past their unlock, which may be asleep in the kernel.
//!   A notify that finds none makes no syscall: a waiter that counts itself later does so under
//!   `registry`, after the notifier's bump, so its futex wait sees the new value and returns.
//!
//! # Where the wake goes
//!
//! A notify made while the mutex is held would, if it woke a waiter at once, wake it into a lock
//! it cannot take: it would run, find the lock held and sleep again, on the mutex, and the
//! unlock would wake it a second time. So a notify that finds sleepers does one of three things:
//!
//! - **Made by the mutex's holder** (the usual `lock; change; notify; unlock`), `notify_one`
//!   leaves the wake to that holder's unlock (`RawMutex::owe_wake`): it records the debt in the
//!   thread's control block and marks the mutex's word so that the unlock takes its slow path,
//!   which wakes one sleeper on `seq` after the lock is free. The notify itself makes no
//!   syscall, and the waiter wakes to a free lock: one wake per hand-over, as parking_lot's
//!   notify costs (its requeue is a userspace queue move, and its unlock wakes). A second debt
//!   while one is owed (two notifies under one lock) takes the next way.
//! - **Otherwise, with the mutex held** (by another thread, or `notify_all`), the notifier moves
//!   waiters, still asleep, from `seq` onto the mutex's word (FUTEX_CMP_REQUEUE, waking none and
//!   moving one, or all for `notify_all`), and the mutex's unlock wakes one: each then takes the
//!   mutex marked WAITERS, so each unlock wakes the next, with no thundering herd.
//! - **With the mutex free**, it wakes one waiter (and `notify_all` moves the rest behind it).
//!
//! ```text
//!  waiter W                               notifier N                           W in the kernel
//!  lock(m); register; s = seq
//!  unlock(m); sleepers += 1
//!  futex_wait(seq, s) ------------------------------------------------------>  asleep on seq
//!                                         lock(m); change the condition
//!                                         seq += 1
//!                                         [registry] sleepers > 0, N holds m:
//!                                           owe one wake on seq; m: N -> N|WAITERS|NOTIFIED
//!                                         unlock(m): swap(0) finds WAITERS,
//!                                           NOTIFIED (nobody on m): pay -> wake seq  -> woken
//!  relock(m, unmarked)
//!  [registry] sleepers -= 1; waiters -= 1
//!  return, holding m
//! ```
//!
//! Every way out of the futex wait ends the same way, with a relock and deregistering:
//!
//! ```text
//!  unlocked ──> futex wait ──┬─ seq already moved ───────────────────────┐
//!                            ├─ woken on seq (at an unlock, or m free) ──┤
//!                            ├─ moved onto m ──┬─ woken by an unlock ────┤
//!                            │                 └─ time ran out ──────────┤
//!                            ├─ time ran out on seq ─────────────────────┤
//!                            └─ signal or spurious return ───────────────┴─> relock(m),
//!                                                                          deregister, return
//! ```
//!
//! # Relocking
//!
//! The mutex's word holds its holder's tid and a WAITERS bit (mutex.rs), and its unlock wakes
//! the word only when it finds WAITERS set (and NOTIFIED clear). A waiter moved onto that word
//! sleeps there without having set WAITERS itself, so the notifier marks the word after moving
//! someone (`RawMutex::wake_requeued`, which wakes at once instead if the lock was freed
//! meanwhile); and a waiter that may have been moved relocks marked, setting WAITERS even when
//! it finds the lock free: others moved with it (by `notify_all`, or by several notifies) may
//! still sleep on the word, and only an unlock that finds WAITERS wakes the next of them.
//!
//! Which waiters may have been moved: those counted as sleepers when a requeuing notify came.
//! That notify counts itself in `requeues` under `registry`, before it moves anyone, and a
//! waiter reads `requeues` under `registry` as it counts itself a sleeper; if the count has
//! changed when its wait returns, it relocks marked (at worst one wake that finds nobody), and
//! otherwise as `lock` would, so the usual hand-over (woken at the unlock) costs the waiter no
//! wake at its own unlock. (Not `seq`: a waiter that read `seq` after a notify's bump, and fell
//! asleep before that notify took `registry`, is moved by it too.) A relock is never a
//! recursive attempt: the waiter unlocked the mutex itself before waiting.
//!
//! # Timeouts
//!
//! A timed waiter's timer keeps running after a requeue, and the kernel returns ETIMEDOUT to a
//! waiter whose timer fired while it was still queued, on whichever word it was queued then
//! (kernel/futex/waitwake.c, `futex_wait`: 0 only if a waker already took it off the queue).
//! A waiter moved onto the mutex and then timed out took the notify all the same:
//! FUTEX_CMP_REQUEUE counted it and moved nobody else. Were it to report a timeout, a caller
//! that reads "timed out" as "nobody notified me" (say, an idle worker that exits) would drop
//! the notify, and another waiter still asleep on `seq` would never hear of it.
//!
//! So `wait_timeout` reports a timeout only if the futex wait ended with ETIMEDOUT *and* `seq`
//! still holds the value the waiter read before unlocking. Every notify that moves, wakes or
//! owes a wake to a waiter decides so holding `registry`, after its bump; the waiter reads `seq`
//! again under `registry`, after its wait returned, so it sees that bump. (A waiter whose time
//! ran out while its wake was still owed, before the notifier's unlock, so reports "not timed
//! out", and takes the notify; the wake paid later finds another sleeper, a spurious wake-up
//! for it, or nobody.) The rule errs one way only: a
//! waiter whose time ran out while a notify went to somebody else also reports "not timed out",
//! which is a spurious wake-up, allowed of every condition-variable wait (the caller re-checks
//! its condition). What it guarantees is what `notify_one` rests on: a wait that reports a
//! timeout took no notify, so the notify reached another waiter. (Only a wrap of the 32-bit word,
//! 2^32 notifies during one wait, could hide the move, as it would hide it from the futex, and
//! 2^32 requeues during one wait the move onto the mutex.)
//!
//! The waiter does not also notify again to pass the notify on: reporting "not timed out"
//! already makes it the one waiter `notify_one` promised to wake, and it re-checks the condition
//! like any woken waiter; a second notify would wake another thread only to find the work gone.
//! `wait_timeout_while` answers from the condition, not from this result.

use super::atomic_wait::futex::{self, WaitResult};
use super::atomic_wait::{AtomicU32, AtomicUsize};
use super::mutex::{MutexGuard, RawMutex};
use crate::time::Instant;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::time::Duration;

/// A condition variable: lets a thread sleep, with a [`Mutex`](super::Mutex) released, until
/// another thread notifies it. Waits may wake spuriously; wait in a loop or use `wait_while`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::{Condvar, Mutex};
/// static READY: Mutex<bool> = Mutex::new(false);
/// static CV: Condvar = Condvar::new();
/// let h = strand::thread::spawn(|| {
///     *READY.lock() = true;
///     CV.notify_one();
/// }).unwrap();
/// let guard = CV.wait_while(READY.lock(), |ready| !*ready);
/// assert!(*guard);
/// drop(guard);
/// h.join().unwrap();
/// # }
/// ```
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
    /// How many notifies have moved sleepers onto the mutex's word (wrapping). A waiter reads it
    /// when it counts itself a sleeper; if it has changed when the waiter wakes, a requeue came
    /// while it slept, may have moved it, and it relocks marked. Changed only under `registry`.
    requeues: AtomicU32,
    /// Guards `waiters`, `sleepers` and `mutex`, and keeps registered waiters (hence their
    /// mutex) in place while a notifier uses the mutex.
    registry: RawMutex,
}

/// Whether a timed wait returned because its time ran out.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::{Condvar, Mutex};
/// use core::time::Duration;
/// let (m, cv) = (Mutex::new(0), Condvar::new());
/// let (g, r) = cv.wait_timeout_while(m.lock(), Duration::from_millis(2), |v| *v == 0);
/// assert!(r.timed_out() && *g == 0);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// Whether the wait ended because its time ran out.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::sync::{Condvar, Mutex};
    /// use core::time::Duration;
    /// let (m, cv) = (Mutex::new(()), Condvar::new());
    /// // Nobody notifies: a wait ends as timed out (or, rarely, spuriously: wait again).
    /// let mut g = m.lock();
    /// loop {
    ///     let (again, r) = cv.wait_timeout(g, Duration::from_millis(5));
    ///     g = again;
    ///     if r.timed_out() {
    ///         break;
    ///     }
    /// }
    /// assert!(m.is_held_by_current_thread());
    /// # }
    /// ```
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

impl Condvar {
    /// A condition variable with no waiters (usable in a `static`).
    pub const fn new() -> Condvar {
        Condvar {
            seq: AtomicU32::new(0),
            waiters: AtomicU32::new(0),
            sleepers: AtomicU32::new(0),
            mutex: AtomicUsize::new(0),
            requeues: AtomicU32::new(0),
            registry: RawMutex::new(),
        }
    }

    /// Wakes one waiter (if any).
    pub fn notify_one(&self) {
        self.notify(false);
    }

    /// Wakes every waiter.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::sync::{Condvar, Mutex};
    /// static GO: Mutex<bool> = Mutex::new(false);
    /// static CV: Condvar = Condvar::new();
    /// let hs = [(); 3].map(|()| strand::thread::spawn(|| {
    ///     let mut g = GO.lock();
    ///     while !*g {
    ///         g = CV.wait(g); // releases the lock while asleep, retakes it on return
    ///     }
    /// }).unwrap());
    /// *GO.lock() = true;
    /// CV.notify_all();
    /// for h in hs {
    ///     h.join().unwrap();
    /// }
    /// # }
    /// ```
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
            // One read of the mutex decides: notified under the lock (the usual way), the
            // mutex's unlock wakes the waiter.
            let holder = mutex.holder_is_me();
            let deferred = !all && holder == Some(true) && mutex.owe_wake(&self.seq);
            if !deferred {
                self.wake(mutex, all, holder.is_some());
            }
        }
        // SAFETY: taken above.
        unsafe { self.registry.unlock() };
    }

    /// Wakes or moves sleepers for a notify, given whether the mutex was `locked` just now.
    fn wake(&self, mutex: &RawMutex, all: bool, locked: bool) {
        let seq = self.seq.load(Relaxed);
        let (wake, requeue) = match (all, locked) {
            // Move them onto the mutex, whose unlock wakes one; each then takes the mutex
            // marked WAITERS, so each unlock wakes the next: no thundering herd.
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
        // Before the requeue: a waiter it moves reads this after its wait returns.
        self.requeues.fetch_add(1, Release);
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
    #[track_caller]
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.wait_raw(&guard, None, false);
        guard
    }

    /// `wait`, as a cancellation point (see `thread::Thread::cancel`): `Err(Cancelled)` if the
    /// calling thread is cancelled before or while it sleeps, with the mutex unlocked (the
    /// guard is dropped: `?` propagates the cancel without holding the lock). A wait that may
    /// have taken a notify returns `Ok` (with the lock) instead, so a cancel never swallows a
    /// `notify_one` meant for some waiter; the next cancellation point reports the cancel.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::sync::{Condvar, Mutex};
    /// use strand::thread::Cancelled;
    /// static M: Mutex<()> = Mutex::new(());
    /// static CV: Condvar = Condvar::new();
    /// let h = strand::thread::spawn(|| -> Result<(), Cancelled> {
    ///     let mut g = M.lock();
    ///     loop {
    ///         g = CV.wait_cancellable(g)?; // nobody notifies: only a cancel ends this
    ///     }
    /// }).unwrap();
    /// h.thread().cancel().unwrap();
    /// assert_eq!(h.join().ok(), Some(Err(Cancelled)));
    /// assert!(!M.is_locked()); // the cancelled waiter let go of the lock
    /// # }
    /// ```
    #[track_caller]
    pub fn wait_cancellable<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> Result<MutexGuard<'a, T>, futex::Cancelled> {
        let (_, cancelled) = self.wait_raw(&guard, None, true);
        if cancelled { Err(futex::Cancelled) } else { Ok(guard) }
    }

    /// Waits until `condition` returns false.
    #[track_caller]
    pub fn wait_while<'a, T: ?Sized, F>(&self, mut guard: MutexGuard<'a, T>, mut condition: F) -> MutexGuard<'a, T>
    where
        F: FnMut(&mut T) -> bool,
    {
        while condition(&mut *guard) {
            guard = self.wait(guard);
        }
        guard
    }

    /// Waits for a notification for at most `timeout`. The result says "timed out" only if the
    /// wait took no notify (see "Timeouts" in the module doc); "not timed out" may also be a
    /// spurious wake-up, so re-check the condition either way.
    #[track_caller]
    pub fn wait_timeout<'a, T: ?Sized>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> (MutexGuard<'a, T>, WaitTimeoutResult) {
        let (timed_out, _) = self.wait_raw(&guard, Some(timeout), false);
        (guard, WaitTimeoutResult(timed_out))
    }

    /// Waits until `condition` returns false or `timeout` has passed; the result says whether
    /// the condition still held when time ran out.
    #[track_caller]
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

    /// Unlocks, sleeps on `seq` (as a cancellation point if `cancellable`), locks again.
    /// Returns whether the wait is known to have timed out, or been cancelled, without taking
    /// a notify.
    #[track_caller]
    fn wait_raw<T: ?Sized>(&self, guard: &MutexGuard<'_, T>, timeout: Option<Duration>, cancellable: bool) -> (bool, bool) {
        let raw = &guard.lock.raw;
        self.register(raw);
        let seq = self.seq.load(Relaxed);
        // SAFETY: the guard proves the lock is held; it is retaken below before the guard is
        // handed back.
        unsafe { raw.unlock() };
        self.registry.lock();
        self.sleepers.fetch_add(1, Relaxed);
        // Requeues from here on may move us: every one counts itself under `registry`.
        let requeues = self.requeues.load(Relaxed);
        // SAFETY: taken above.
        unsafe { self.registry.unlock() };
        // The unlock may have woken a thread that ran at once (on this CPU, before us) and
        // notified already: then the word has moved and the wait would only fail in the kernel.
        let mut cancelled = false;
        let r = if self.seq.load(Relaxed) == seq {
            if cancellable {
                futex::wait_private_cancellable(&self.seq, seq, timeout).unwrap_or_else(|_| {
                    cancelled = true;
                    WaitResult::Interrupted
                })
            } else {
                futex::wait_private(&self.seq, seq, timeout)
            }
        } else {
            WaitResult::ValueChanged
        };
        // A notify may have moved us onto the mutex's word, behind or ahead of others it moved:
        // then relock marked (module doc, "Relocking").
        let moved = self.requeues.load(Acquire) != requeues;
        raw.relock(moved);
        self.registry.lock();
        // A notify that moved or woke us bumped `seq`, then took `registry` and held it across
        // that futex call, which came before our wait returned: we get `registry` only after
        // that notify let go of it, so this read sees its bump. ETIMEDOUT with a moved word
        // may mean we took a notify (module doc, "Timeouts"), so it is no timeout.
        let untouched = self.seq.load(Relaxed) == seq;
        let timed_out = r == WaitResult::TimedOut && untouched;
        // The same for a cancel: one that came while a notify moved us may have taken it.
        let cancelled = cancelled && untouched;
        self.sleepers.fetch_sub(1, Relaxed);
        self.waiters.fetch_sub(1, Relaxed);
        // SAFETY: taken above.
        unsafe { self.registry.unlock() };
        (timed_out, cancelled)
    }

    #[track_caller]
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
#[track_caller]
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
