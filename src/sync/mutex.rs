//! A futex mutex whose word names its holder: one word, no syscall when uncontended, a short
//! bounded spin, then sleep; and a lock the caller already holds is reported, not a deadlock.
//!
//! # The word
//!
//! ```text
//!  bit 31      bit 30      bits 29..0
//!  WAITERS     NOTIFIED    holder's tid (0: unlocked)       tids stay below 2^30 (FUTEX_TID_MASK)
//! ```
//!
//! - `0`: unlocked.
//! - `tid`: held by the thread `tid`, nobody asleep on the word.
//! - `tid | WAITERS`: held by `tid`, and threads may sleep on the word: its unlock must wake one.
//! - `tid | WAITERS | NOTIFIED`: held by `tid`, nobody asleep, and `tid` owes a condition
//!   variable's waiter a wake at its unlock (`owe_wake`; condvar.rs explains why).
//!
//! This is the layout of glibc's error-checking and priority-inheritance mutexes (and of the
//! kernel's PI futexes, include/uapi/linux/futex.h: FUTEX_WAITERS, FUTEX_TID_MASK), used here
//! with plain FUTEX_WAIT/FUTEX_WAKE: the kernel reads the word only to compare it.
//!
//! The uncontended lock is `CAS(0 -> my tid)`, the tid being a load from the caller's control
//! block at a fixed offset from the thread pointer (`Tcb::current().tid()`); the unlock is
//! `swap(0)`, and the value it swapped out tells it all it needs in one signed comparison: > 0
//! held without waiters (done), 0 not held (reported), < 0 (WAITERS) wake one, or pay the
//! condition variable's wake it stands for (NOTIFIED). The lock's slow path, taken only when
//! the CAS finds the word held, first compares the holder with the caller: the
//! same tid means the caller already holds this mutex and would wait for itself forever, which
//! `lock` reports with a panic and `lock_checked` with `Err(WouldDeadlock)`. It checks before it
//! spins or sleeps, so a recursive attempt costs no syscall and is reported every time; and a
//! mutex held by another thread is never reported, because no other thread has the caller's tid.
//!
//! Otherwise the algorithm is that of Drepper's "Futexes Are Tricky" (mutex3) with the
//! "contended" state split into "held by tid, with waiters": a waiter sets WAITERS (keeping the
//! holder's tid) before it sleeps, and sleeps only while the word still holds exactly that value.
//!
//! # Holding is per thread
//!
//! The word names the thread that locked, so a guard stays on that thread (`MutexGuard` is not
//! `Send`, and `lock_api`'s guard marker is `GuardNoSend`): another thread must not unlock it.
//! Two consequences of naming a thread by its tid, both only for programs that are already
//! broken: a mutex left locked by a thread that exited deadlocks its next locker as before,
//! except that a thread the kernel later gives the same tid is told it holds the mutex itself.
//!
//! # Start-up
//!
//! The tid comes from the control block, which exists from `thread::init_main_thread` on (before
//! it, the thread pointer is not set and reading it would fault). No strand lock is taken before
//! that point: start-up before it only parses the kernel's vectors, reports a failure with a
//! direct write (`rt::fail_fmt`, no `io` lock) and probes syscalls. A tid is never 0 after it
//! (the kernel's tids start at 1), so `CAS(0 -> tid)` always marks the word held.

use super::atomic_wait::{current_tid, futex, spin_limit, spin_loop, with_owed_wake, yield_now, AtomicU32};
use core::cell::UnsafeCell;
use core::fmt;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

const UNLOCKED: u32 = 0;
/// Set while the unlock must take its slow path: threads may sleep on the word, or (with
/// NOTIFIED) the holder owes a condition variable's waiter a wake (the sign bit: see `unlock`).
const WAITERS: u32 = 1 << 31;
/// Set, with WAITERS, only by a holder that deferred a condition variable's wake to its unlock
/// (`owe_wake`), and only on a word without WAITERS: nobody sleeps on the word, so the unlock
/// pays the debt and makes no wake on the word itself. A thread that marks the word to sleep
/// on it clears the bit. Tids are below 2^30 (FUTEX_TID_MASK), so bit 30 is free.
const NOTIFIED: u32 = 1 << 30;
/// The holder's tid.
const TID_MASK: u32 = 0x3fff_ffff;

/// How many times a waiter re-reads a held lock before it sleeps in the kernel: the first three
/// after 2, 4 and 8 pause instructions, the rest after a `sched_yield` each. A pause costs from
/// about 1 ns to 40 ns depending on the CPU (26 ns on the AMD EPYC of bench/results/full.md,
/// measured), so a spin counted in pauses is tuned to one machine: an earlier version, 10 reads
/// with up to 256 pauses between them (about 770, chosen on a Xeon), spun 20 µs on the EPYC
/// before sleeping. Counted in yields, the spin costs a few system calls wherever it runs, the
/// same unit as the futex sleep and wake-up it tries to avoid, and a yield gives the CPU to the
/// holder when it was descheduled on this one (more threads than CPUs), where pausing is waste.
/// It is parking_lot's `SpinWait` (3 spins, then yields up to 10 in all), which the
/// independent measurement on the EPYC matched; the pauses stay short so that a waiter re-reads
/// a short critical section's word only a few times before it yields.
///
/// Measured against longer pausing on the EPYC (2 CPUs; `cargo xtask bench`'s `contended`
/// workload, 21 interleaved repetitions, median ratio to parking_lot; 4 and 8 threads
/// oversubscribe the CPUs):
///
/// | critical section, threads | this spin | pauses to 128, no yields | pauses to 128, 3 yields |
/// |---|---|---|---|
/// | ~50 ns, 2 | 1.04 | 1.05 | 0.98 |
/// | empty, 2 | 0.86 | 0.79 | 0.77 |
/// | ~1 µs, 2 | 1.01 | 0.94 | 0.88 |
/// | ~50 ns, 4 | 0.94 | 0.93 | 0.90 |
/// | ~1 µs, 4 | 0.93 | 0.89 | 0.92 |
/// | ~50 ns, 8 | 0.93 | 0.98 | 0.95 |
/// | empty, 8 | 0.87 | 0.99 | 0.91 |
///
/// Longer pausing wins while the threads fit the CPUs (the holder runs and lets go soon) and
/// loses when they do not (the holder waits for the waiter's CPU), and nothing cheap tells the
/// two apart. The last column, bounded in time by a pause rate measured at the first spin
/// (254 pauses, 6.6 µs here), came out within about 1% of this spin summed over the rows, so
/// the simpler policy stayed; the ~50 ns, 2-thread row sits at parity either way (one thread
/// alone takes 14 ms for its 400,000 sections, two take 19–30 ms with either lock).
///
/// More yields before sleeping (20 reads, or 40 as WebKit's WTF::Lock spins) move the rows
/// against each other rather than all down. Two interleaved runs on the EPYC, 21 repetitions,
/// each row's median ratio to parking_lot over the 2, 4 and 8 thread rows:
///
/// | critical section | 10 reads (this spin) | 20 reads | 40 reads |
/// |---|---|---|---|
/// | empty | 0.82–1.09 | 1.01–1.09 | 0.97–1.09 |
/// | ~50 ns | 0.88–0.93 | 0.88–0.92 | 0.87–0.90 |
/// | ~1 µs | 0.88–1.01 | 0.79–0.90 | 0.72–0.83 |
///
/// A waiter that stays awake longer catches more of a long section's releases and spares the
/// holder the futex wake of an unlock that finds WAITERS, but it also re-reads the word more
/// often, which costs a short section a cache miss each time.
const SPIN_READS: u32 = 10;
/// Reads before the first yield (after 2, 4, 8 pauses).
const SPIN_PAUSED: u32 = 3;

/// The calling thread's tid as the word stores it.
#[inline(always)]
fn me() -> u32 {
    current_tid() as u32
}

/// Why `lock_checked` did not lock: the calling thread already holds the mutex, so waiting for
/// it would wait forever.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::Mutex;
/// let m = Mutex::new(0);
/// let _g = m.lock();
/// let e = m.lock_checked().unwrap_err();
/// assert_eq!(e.tid(), strand::thread::current_tid());
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WouldDeadlock {
    tid: i32,
}

impl WouldDeadlock {
    /// The report for thread `tid` (also made by the other locks that name their holder).
    pub(crate) const fn of(tid: i32) -> WouldDeadlock {
        WouldDeadlock { tid }
    }

    /// The tid of the thread that tried to lock the mutex it holds (the caller).
    /// The tid of the thread that asked for the lock it already held.
    pub fn tid(&self) -> i32 {
        self.tid
    }
}

impl fmt::Display for WouldDeadlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "recursive lock attempt: thread (tid {}) already holds this mutex", self.tid)
    }
}

/// What the slow path does when it finds the caller holding the lock.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnRecursion {
    Panic,
    Fail,
}

/// The lock without data: for building other primitives, and for `lock_api`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::RawMutex;
/// static LOCK: RawMutex = RawMutex::new();
/// LOCK.lock();
/// assert!(LOCK.is_held_by_current_thread());
/// assert!(!LOCK.try_lock());
/// // SAFETY: this thread locked it just above.
/// unsafe { LOCK.unlock() };
/// assert!(!LOCK.is_locked());
/// # }
/// ```
pub struct RawMutex {
    state: AtomicU32,
}

impl RawMutex {
    /// An unlocked mutex (usable in a `static`).
    pub const fn new() -> RawMutex {
        RawMutex { state: AtomicU32::new(UNLOCKED) }
    }

    /// Locks if the mutex is free. A mutex the caller holds is not free: `false`, as for one
    /// another thread holds (never a report; see `lock_checked` for one).
    #[inline]
    pub fn try_lock(&self) -> bool {
        self.state.compare_exchange(UNLOCKED, me(), Acquire, Relaxed).is_ok()
    }

    /// Locks, waiting while another thread holds the mutex.
    ///
    /// # Panics
    /// If the calling thread already holds this mutex ("recursive lock attempt", naming the
    /// thread's tid): it would otherwise wait for itself forever. `lock_checked` reports the
    /// same as an error instead.
    #[inline]
    #[track_caller]
    pub fn lock(&self) {
        let tid = me();
        if let Err(state) = self.state.compare_exchange(UNLOCKED, tid, Acquire, Relaxed) {
            // Panics instead of failing: always `Ok` here.
            let _ = self.lock_contended(tid, state, OnRecursion::Panic);
        }
    }

    /// Locks like `lock`, but a mutex the calling thread already holds is reported as
    /// `Err(WouldDeadlock)` (and left as it was) instead of a panic.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// let raw = strand::sync::RawMutex::new();
    /// raw.lock_checked().unwrap();
    /// assert!(raw.lock_checked().is_err()); // already held by this thread: reported, not a hang
    /// // SAFETY: this thread holds it.
    /// unsafe { raw.unlock() };
    /// # }
    /// ```
    #[inline]
    pub fn lock_checked(&self) -> Result<(), WouldDeadlock> {
        let tid = me();
        match self.state.compare_exchange(UNLOCKED, tid, Acquire, Relaxed) {
            Ok(_) => Ok(()),
            Err(state) => self.lock_contended(tid, state, OnRecursion::Fail),
        }
    }

    /// Who holds the lock, in one read: `None` nobody, `Some(true)` the calling thread,
    /// `Some(false)` another thread (a snapshot, but the first two stay true while the caller
    /// does nothing).
    pub(crate) fn holder_is_me(&self) -> Option<bool> {
        match self.state.load(Relaxed) {
            UNLOCKED => None,
            state => Some(state & TID_MASK == me()),
        }
    }

    /// Whether the calling thread holds this mutex.
    pub fn is_held_by_current_thread(&self) -> bool {
        self.state.load(Relaxed) & TID_MASK == me()
    }

    /// `track_caller` (here, in `lock` and in `recursion`): the panic names the line that
    /// locked again, not this file; the location is passed only on this cold call.
    #[cold]
    #[track_caller]
    fn lock_contended(&self, tid: u32, state: u32, on: OnRecursion) -> Result<(), WouldDeadlock> {
        // Before any spin or sleep: nobody else can release a lock the caller holds.
        if state & TID_MASK == tid {
            return recursion(tid, on);
        }
        let mut state = self.spin();
        if state == UNLOCKED {
            match self.state.compare_exchange(UNLOCKED, tid, Acquire, Relaxed) {
                Ok(_) => return Ok(()),
                Err(s) => state = s,
            }
        }
        self.lock_marked_from(tid, state);
        Ok(())
    }

    /// Locks again after a condition variable's wait: `marked` if the waiter may have slept on
    /// this word (a notify moved it here), which leaves WAITERS set, because others moved with it
    /// may still sleep here and only an unlock that finds WAITERS wakes one of them; unmarked
    /// otherwise, as `lock` would. The caller has just unlocked this mutex itself, so it cannot
    /// be holding it.
    pub(crate) fn relock(&self, marked: bool) {
        let tid = me();
        let mut state = self.spin();
        if !marked && state == UNLOCKED {
            match self.state.compare_exchange(UNLOCKED, tid, Acquire, Relaxed) {
                Ok(_) => return,
                Err(s) => state = s,
            }
        }
        self.lock_marked_from(tid, state);
    }

    /// The sleeping loop. `state` is the word as last read; it never names `tid` (the caller
    /// checked), and cannot come to while the caller is in here: only the caller stores its tid.
    fn lock_marked_from(&self, tid: u32, mut state: u32) {
        loop {
            if state == UNLOCKED {
                // Taken marked: at worst one needless wake at our unlock.
                match self.state.compare_exchange(UNLOCKED, tid | WAITERS, Acquire, Relaxed) {
                    Ok(_) => return,
                    Err(s) => state = s,
                }
                continue;
            }
            if state & (WAITERS | NOTIFIED) != WAITERS {
                // Mark the lock before sleeping, so the holder's unlock knows to wake us (and
                // clear NOTIFIED, which would tell it nobody sleeps here). The holder may have
                // changed or gone since the read: then look again.
                let marked = (state | WAITERS) & !NOTIFIED;
                match self.state.compare_exchange(state, marked, Relaxed, Relaxed) {
                    Ok(_) => state = marked,
                    Err(s) => {
                        state = s;
                        continue;
                    }
                }
            }
            // Sleeps only while the word still names this holder with WAITERS set.
            futex::wait_private(&self.state, state, None);
            state = self.spin();
        }
    }

    /// The futex word, for a condition variable to move its waiters onto (`futex::requeue`).
    pub(crate) fn word(&self) -> &AtomicU32 {
        &self.state
    }

    /// After a condition variable moved sleepers onto this word: makes sure one is woken, now
    /// if the lock is free, else by the holder's unlock (which wakes only when it finds
    /// WAITERS). Whichever wakes then relocks marked (`relock`), so the chain goes on.
    pub(crate) fn wake_requeued(&self) {
        let mut state = self.state.load(Relaxed);
        loop {
            if state == UNLOCKED {
                return self.wake();
            }
            if state & (WAITERS | NOTIFIED) == WAITERS {
                return;
            }
            match self.state.compare_exchange(state, (state | WAITERS) & !NOTIFIED, Relaxed, Relaxed) {
                Ok(_) => return,
                Err(s) => state = s,
            }
        }
    }

    /// Re-reads a held lock (see `SPIN_READS` for how often and how long between reads), and
    /// returns the first state that is unlocked or has sleepers (nothing left to do but take it,
    /// or sleep), or the last one read.
    fn spin(&self) -> u32 {
        for i in 0..spin_limit(SPIN_READS) {
            let state = self.state.load(Relaxed);
            // Others asleep already: join them rather than compete with the one woken next.
            // (WAITERS with NOTIFIED is no sleeper: the holder owes a condvar wake.)
            if state == UNLOCKED || state & (WAITERS | NOTIFIED) == WAITERS {
                return state;
            }
            backoff(i);
        }
        self.state.load(Relaxed)
    }

    /// After a condition variable's notify, made by this mutex's holder (the calling thread),
    /// found a waiter asleep on `word`: moves the wake to this mutex's unlock, so that the waiter
    /// wakes to a free lock and the notify costs no system call of its own (a requeue onto this
    /// word would cost one, and the waiter then one more wake-up at its own unlock). The debt is
    /// kept in the calling thread's one slot, and the word marked so that the unlock takes its
    /// slow path (`unlock_slow`, which pays it). Any slow-path unlock on this thread pays it; one
    /// of another lock first (the condition variable's own registry lock, with a thread waiting
    /// for it) only wakes the waiter sooner, into this held lock, where it sleeps marked and the
    /// unlock wakes it. `false` (nothing done) if the slot holds another debt already: the
    /// caller wakes the usual way.
    pub(crate) fn owe_wake(&self, word: &AtomicU32) -> bool {
        let owed = with_owed_wake(|slot| slot.compare_exchange(0, word as *const AtomicU32 as usize, Relaxed, Relaxed).is_ok());
        if !owed {
            return false;
        }
        // The caller holds the lock, so only WAITERS can change under us (a thread marking the
        // word to sleep): then the unlock wakes the word anyway, and pays the debt too.
        let mut state = self.state.load(Relaxed);
        while state & WAITERS == 0 {
            match self.state.compare_exchange(state, state | WAITERS | NOTIFIED, Relaxed, Relaxed) {
                Ok(_) => break,
                Err(s) => state = s,
            }
        }
        true
    }

    /// Unlocks, waking one waiter if any sleeps.
    ///
    /// # Safety
    /// The calling thread must hold the lock (taken by `lock`, `lock_checked` or `try_lock` on
    /// this thread: the word names the thread that locked).
    ///
    /// Unlocking a mutex that is not locked is detected and panics instead of corrupting the
    /// lock for its next user.
    #[inline]
    pub unsafe fn unlock(&self) {
        // One signed test sorts the three cases: a tid (> 0, below 2^30) is a plain unlock, 0
        // was not locked, and WAITERS is the sign bit.
        let was = self.state.swap(UNLOCKED, Release) as i32;
        if was <= 0 {
            self.unlock_slow(was);
        }
    }

    /// A WAITERS word: wake one sleeper, unless NOTIFIED says nobody sleeps here; and pay a
    /// condition variable's deferred wake if this thread owes one (`owe_wake`). The debt is paid
    /// after the lock is free, so the waiter wakes to a lock it can take. Like the wake of the
    /// mutex's own word after `swap`, that wake may find the condition variable gone (its last
    /// waiter returned and dropped it): FUTEX_WAKE on a private word only hashes the address and
    /// reads nothing there, and a stray wake of whatever sleeps there now is a spurious wake-up.
    #[cold]
    fn unlock_slow(&self, was: i32) {
        if was == 0 {
            unlock_of_unlocked();
        }
        if was as u32 & NOTIFIED == 0 {
            self.wake();
        }
        let owed = with_owed_wake(|slot| slot.swap(0, Relaxed));
        if owed != 0 {
            // SAFETY: the address of a condition variable's `seq` word, stored by `owe_wake`
            // (only a wake is made there; see above for why it may be gone).
            futex::wake_private(unsafe { &*(owed as *const AtomicU32) }, 1);
        }
    }

    #[cold]
    fn wake(&self) {
        futex::wake_private(&self.state, 1);
    }

    /// Whether some thread holds the lock (a snapshot: it may change at once).
    pub fn is_locked(&self) -> bool {
        self.state.load(Relaxed) != UNLOCKED
    }
}

/// Waits before a locker's read number `i` (from 0) of a held lock word: `SPIN_PAUSED` times
/// 2, 4, 8 pauses, then a `sched_yield` each (see `SPIN_READS`). `RwLock` spins the same way.
#[inline]
pub(crate) fn backoff(i: u32) {
    if i < SPIN_PAUSED {
        // (The model checker lowers this count to one too: each pause is a yield to it.)
        for _ in 0..spin_limit(2u32 << i) {
            spin_loop();
        }
    } else {
        yield_now();
    }
}

#[cold]
#[inline(never)]
fn unlock_of_unlocked() -> ! {
    panic!("strand: unlock of a mutex that was not locked");
}

/// The report of a recursive `lock` (a panic) or `lock_checked` (the error).
#[cold]
#[inline(never)]
#[track_caller]
fn recursion(tid: u32, on: OnRecursion) -> Result<(), WouldDeadlock> {
    let e = WouldDeadlock { tid: tid as i32 };
    match on {
        OnRecursion::Fail => Err(e),
        OnRecursion::Panic => panic!("strand: {e}; locking it again would deadlock"),
    }
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
// ordering. Ownership stays with the locking thread (the word names it), hence GuardNoSend.
unsafe impl lock_api::RawMutex for RawMutex {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: RawMutex = RawMutex::new();
    type GuardMarker = lock_api::GuardNoSend;

    /// Panics on a recursive attempt, as `RawMutex::lock`.
    fn lock(&self) {
        RawMutex::lock(self)
    }
    fn try_lock(&self) -> bool {
        RawMutex::try_lock(self)
    }
    unsafe fn unlock(&self) {
        // SAFETY: lock_api's contract: the lock is held, by this thread (GuardNoSend).
        unsafe { RawMutex::unlock(self) }
    }
    fn is_locked(&self) -> bool {
        RawMutex::is_locked(self)
    }
}

/// A mutual-exclusion lock around a `T`. A panic aborts the process in strand, so there is no
/// poisoning: `lock` returns the guard directly.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::Mutex;
/// static COUNT: Mutex<u32> = Mutex::new(0);
/// let hs = [(); 4].map(|()| strand::thread::spawn(|| *COUNT.lock() += 1).unwrap());
/// for h in hs {
///     h.join().unwrap();
/// }
/// assert_eq!(*COUNT.lock(), 4);
/// # }
/// ```
pub struct Mutex<T: ?Sized> {
    pub(crate) raw: RawMutex,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out `&mut T` to one thread at a time.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above; sharing the Mutex lets other threads obtain `&mut T`, so `T: Send`.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value` (usable in a `static`).
    pub const fn new(value: T) -> Mutex<T> {
        Mutex { raw: RawMutex::new(), data: UnsafeCell::new(value) }
    }

    /// Consumes the mutex and returns its value (no locking: it is owned).
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// let m = strand::sync::Mutex::new([1, 2]);
    /// assert_eq!(m.into_inner(), [1, 2]);
    /// # }
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks, waiting while another thread holds the mutex.
    ///
    /// # Panics
    /// If the calling thread already holds this mutex: "recursive lock attempt", with the
    /// thread's tid, instead of waiting for itself forever (std documents that a recursive
    /// `lock` "might panic"; strand always does). `lock_checked` returns the same as an error.
    #[inline]
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.raw.lock();
        MutexGuard::new(self)
    }

    /// Locks like `lock`, but if the calling thread already holds this mutex returns
    /// `Err(WouldDeadlock)` (naming its tid) and leaves the mutex as it was, held by the caller.
    /// A mutex held by another thread is waited for, as by `lock`.
    #[inline]
    pub fn lock_checked(&self) -> Result<MutexGuard<'_, T>, WouldDeadlock> {
        self.raw.lock_checked().map(|()| MutexGuard::new(self))
    }

    /// Locks if the mutex is free, else `None`: also when the calling thread holds it (no
    /// report, no wait).
    #[inline]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        if self.raw.try_lock() { Some(MutexGuard::new(self)) } else { None }
    }

    /// Whether the calling thread holds this mutex.
    pub fn is_held_by_current_thread(&self) -> bool {
        self.raw.is_held_by_current_thread()
    }

    /// The value, through `&mut self`: no locking, since nobody else can hold the mutex.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// let mut m = strand::sync::Mutex::new(1);
    /// *m.get_mut() += 1;
    /// assert_eq!(*m.lock(), 2);
    /// # }
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// Whether some thread holds the lock (a snapshot: it may change at once).
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// let m = strand::sync::Mutex::new(());
    /// let g = m.try_lock().unwrap();
    /// assert!(m.is_locked() && m.is_held_by_current_thread());
    /// assert!(m.try_lock().is_none());
    /// drop(g);
    /// assert!(!m.is_locked());
    /// # }
    /// ```
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

/// Holds the lock; unlocks on drop. Not `Send`: the mutex's word names the thread that locked
/// it, so that thread must be the one to unlock it (as with std's guard).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::Mutex;
/// let m = Mutex::new([0u8; 2]);
/// {
///     let mut g = m.lock();
///     g[1] = 9; // DerefMut
/// }
/// assert!(!m.is_locked()); // unlocked on drop
/// assert_eq!(m.lock()[1], 9);
/// # }
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    pub(crate) lock: &'a Mutex<T>,
    _not_send: PhantomData<*const ()>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The guard of a mutex the calling thread has just locked.
    fn new(lock: &'a Mutex<T>) -> MutexGuard<'a, T> {
        MutexGuard { lock, _not_send: PhantomData }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The holder is named in the word, and a second attempt by it is reported without a wait
    /// (none of these paths reaches a futex call, so this also runs under Miri).
    #[test]
    fn a_lock_the_caller_holds_is_reported_not_waited_for() {
        let m = Mutex::new(1);
        let g = m.lock();
        assert!(m.is_held_by_current_thread());
        assert!(m.try_lock().is_none());
        let e = m.lock_checked().err().expect("a recursive lock_checked must fail");
        assert_eq!(e.tid(), current_tid());
        assert!(e.to_string().contains("recursive lock attempt"));
        // The failed attempts left the lock as it was: held by us, no waiters.
        assert_eq!(m.raw.state.load(Relaxed), current_tid() as u32);
        drop(g);
        assert!(!m.is_locked() && !m.is_held_by_current_thread());
        *m.lock_checked().expect("a free mutex") += 1;
        assert_eq!(m.into_inner(), 2);
    }

    #[test]
    fn another_threads_hold_is_not_ours() {
        let m = Mutex::new(());
        let g = m.lock();
        std::thread::scope(|s| {
            s.spawn(|| {
                assert!(m.is_locked() && !m.is_held_by_current_thread());
                assert!(m.try_lock().is_none());
            });
        });
        drop(g);
    }

    #[test]
    #[should_panic(expected = "recursive lock attempt")]
    fn a_recursive_lock_panics() {
        let m = RawMutex::new();
        m.lock();
        m.lock();
    }

    #[test]
    #[should_panic(expected = "unlock of a mutex that was not locked")]
    fn an_unlock_of_an_unlocked_mutex_panics() {
        let m = RawMutex::new();
        // SAFETY: deliberately wrong: the mutex is not locked, which `unlock` must report.
        unsafe { m.unlock() };
    }
}
