//! A counting semaphore on one futex word: `acquire` takes a permit (sleeping while there is
//! none), `release` gives permits back; neither makes a syscall unless a thread sleeps.
//!
//! # The word
//!
//! ```text
//!  bit 31      bits 30..0
//!  WAITERS     permits (at most MAX_PERMITS)
//! ```
//!
//! `acquire` is a compare-and-swap taking one permit; `release_n` a compare-and-swap adding n
//! (refused, not wrapped, past `MAX_PERMITS`), which wakes n sleepers if it finds WAITERS set. A
//! thread sleeps only on the word "0 permits, WAITERS", which it set itself or found set.
//!
//! # Who clears WAITERS
//!
//! A release cannot: it wakes n sleepers, and more may sleep, whom only WAITERS lets the next
//! release know of. So the bit stays while any thread is in the slow path (`waiters` counts
//! them), and the one that leaves last clears it. "Last" is a guess (another may be arriving),
//! so this is glibc's protocol for its 32-bit `sem_t` (nptl/sem_waitcommon.c,
//! `__sem_wait_32_finish`): a leaver that reads `waiters == 1` clears the bit first and then
//! counts itself out; if the count says someone else was in after all, it sets the bit again
//! and wakes as many sleepers as there are permits, in case a release came while the bit was
//! clear and woke nobody. A thread counts itself in before it marks the word (a Release `or`
//! of the bit before every sleep, also when the bit is set already), and the clear reads the
//! word (Acquire): a clear that comes after a sleeper's mark therefore sees that sleeper in the
//! count, and repairs; one that comes before is undone by the mark.

use super::atomic_wait::futex::{self, WaitResult};
use super::atomic_wait::AtomicU32;
use crate::time::Instant;
use core::fmt;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::time::Duration;

/// Set while threads may sleep on the word.
const WAITERS: u32 = 1 << 31;

const MAX_PERMITS: u32 = WAITERS - 1;

/// A release would have raised the count past `MAX_PERMITS`; the count is as it was.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let s = strand::sync::Semaphore::new(strand::sync::Semaphore::MAX_PERMITS);
/// assert_eq!(s.release(), Err(strand::sync::TooManyPermits));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyPermits;

impl fmt::Display for TooManyPermits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "semaphore release past {MAX_PERMITS} permits")
    }
}

/// A counting semaphore (see the module doc for the algorithm).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::Semaphore;
/// use core::time::Duration;
/// static SLOTS: Semaphore = Semaphore::new(2);
/// SLOTS.acquire();
/// assert!(SLOTS.try_acquire());
/// // Both permits are taken: a third waits, here until its timeout.
/// assert!(!SLOTS.acquire_timeout(Duration::from_millis(5)));
/// let h = strand::thread::spawn(|| SLOTS.release()).unwrap();
/// SLOTS.acquire(); // woken by the release
/// assert_eq!(h.join().ok(), Some(Ok(())));
/// SLOTS.release_n(2).unwrap();
/// assert_eq!(SLOTS.available_permits(), 2);
/// # }
/// ```
pub struct Semaphore {
    /// The futex word: permits, and WAITERS.
    word: AtomicU32,
    /// Threads in the slow path of an acquire (sleeping or about to).
    waiters: AtomicU32,
}

impl Semaphore {
    /// The most permits a semaphore holds (2^31 - 1); a release past it is refused
    /// (`TooManyPermits`).
    pub const MAX_PERMITS: u32 = MAX_PERMITS;

    /// A semaphore holding `permits` (at most `MAX_PERMITS`; more is cut to it).
    pub const fn new(permits: u32) -> Semaphore {
        let permits = if permits > MAX_PERMITS { MAX_PERMITS } else { permits };
        Semaphore { word: AtomicU32::new(permits), waiters: AtomicU32::new(0) }
    }

    /// The permits it holds now (a snapshot).
    pub fn available_permits(&self) -> u32 {
        self.word.load(Relaxed) & MAX_PERMITS
    }

    /// Takes a permit if there is one, without waiting.
    #[inline]
    pub fn try_acquire(&self) -> bool {
        let mut w = self.word.load(Relaxed);
        while w & MAX_PERMITS != 0 {
            match self.word.compare_exchange_weak(w, w - 1, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(now) => w = now,
            }
        }
        false
    }

    /// Takes a permit, sleeping until there is one.
    #[inline]
    pub fn acquire(&self) {
        if !self.try_acquire() {
            self.acquire_slow(None);
        }
    }

    /// Takes a permit, sleeping at most `timeout` for one; `false` if none came in time.
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.try_acquire() || self.acquire_slow(Some(timeout))
    }

    /// Gives one permit back, waking a sleeper if there is one.
    #[inline]
    pub fn release(&self) -> Result<(), TooManyPermits> {
        self.release_n(1)
    }

    /// Gives `n` permits back, waking up to `n` sleepers. Refused, changing nothing, if the
    /// count would pass `MAX_PERMITS`.
    #[inline]
    pub fn release_n(&self, n: u32) -> Result<(), TooManyPermits> {
        let mut w = self.word.load(Relaxed);
        loop {
            if n > MAX_PERMITS - (w & MAX_PERMITS) {
                return Err(TooManyPermits);
            }
            match self.word.compare_exchange_weak(w, w + n, Release, Relaxed) {
                Ok(_) => break,
                Err(now) => w = now,
            }
        }
        if w & WAITERS != 0 && n != 0 {
            self.wake(n);
        }
        Ok(())
    }

    #[cold]
    fn wake(&self, n: u32) {
        futex::wake_private(&self.word, n);
    }

    /// Counts itself in, takes a permit or sleeps until one comes (or the time runs out),
    /// counts itself out. Whether it took one.
    #[cold]
    fn acquire_slow(&self, timeout: Option<Duration>) -> bool {
        self.waiters.fetch_add(1, Relaxed);
        let start = timeout.map(|_| Instant::now());
        let took = loop {
            let w = self.word.load(Relaxed);
            if w & MAX_PERMITS != 0 {
                if self.word.compare_exchange_weak(w, w - 1, Acquire, Relaxed).is_ok() {
                    break true;
                }
                continue;
            }
            // Marks the word even when the bit is set already: a read-modify-write (Release)
            // that a leaver's clear (Acquire) either comes after, and then sees this thread
            // counted in, or comes before, and is then undone by it. A plain read that found
            // the bit set would order nothing, and a clear could erase the bit under this
            // thread's sleep unseen.
            if self.word.fetch_or(WAITERS, Release) & MAX_PERMITS != 0 {
                continue;
            }
            let left = match (timeout, start) {
                (Some(t), Some(s)) => match t.checked_sub(s.elapsed()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => break self.try_acquire(),
                },
                _ => None,
            };
            if futex::wait_private(&self.word, WAITERS, left) == WaitResult::TimedOut {
                break self.try_acquire();
            }
        };
        self.leave();
        took
    }

    /// Counts the caller out of the slow path, clearing WAITERS if it was the last one in
    /// (see "Who clears WAITERS").
    fn leave(&self) {
        let guess_last = self.waiters.load(Relaxed) == 1;
        if guess_last {
            self.word.fetch_and(!WAITERS, Acquire);
        }
        let before = self.waiters.fetch_sub(1, Release);
        if guess_last && before > 1 {
            // Someone came in meanwhile: mark the word again, and wake one sleeper per permit
            // a release may have added while the mark was gone.
            let w = self.word.fetch_or(WAITERS, Relaxed);
            let permits = w & MAX_PERMITS;
            if permits != 0 {
                self.wake(permits);
            }
        }
    }
}

impl Default for Semaphore {
    fn default() -> Self {
        Self::new(0)
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore").field("permits", &self.available_permits()).finish()
    }
}
