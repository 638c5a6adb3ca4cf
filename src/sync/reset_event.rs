//! A one-word event threads wait on until it is set (Zig's `std.Thread.ResetEvent`): `set` wakes
//! every waiter, `reset` makes it unset again; setting an event nobody waits on, or waiting on
//! one that is set, makes no syscall.
//!
//! The word is `UNSET`, `WAITING` (unset, and threads may sleep on it) or `SET`. A waiter marks
//! `UNSET` as `WAITING` and sleeps while the word is `WAITING`; `set` swaps in `SET` and wakes
//! all only if it took `WAITING` out. `reset` turns only `SET` back into `UNSET`: an event that
//! is unset already keeps its `WAITING` mark, so a reset racing with waiters never hides them
//! from the next `set` (Zig's `reset` stores `unset` and so must not race with waiters).
//! `set` Releases and a waiter that sees `SET` Acquires: what the setter wrote before `set` is
//! visible to every thread whose wait returned true.

use super::atomic_wait::futex::{self, WaitResult};
use super::atomic_wait::AtomicU32;
use crate::time::Instant;
use core::fmt;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::time::Duration;

const UNSET: u32 = 0;
const WAITING: u32 = 1;
const SET: u32 = 2;

/// An event: unset until `set`, then set until `reset`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::ResetEvent;
/// use core::time::Duration;
/// static GO: ResetEvent = ResetEvent::new();
/// let h = strand::thread::spawn(|| { GO.wait(); GO.is_set() }).unwrap();
/// assert!(!GO.wait_timeout(Duration::from_millis(1)));
/// GO.set();
/// assert_eq!(h.join().ok(), Some(true));
/// GO.reset();
/// assert!(!GO.is_set());
/// # }
/// ```
pub struct ResetEvent {
    state: AtomicU32,
}

impl ResetEvent {
    /// An unset event.
    pub const fn new() -> ResetEvent {
        ResetEvent { state: AtomicU32::new(UNSET) }
    }

    /// Whether it is set (Acquire: true also makes the setter's writes visible).
    #[inline]
    pub fn is_set(&self) -> bool {
        self.state.load(Acquire) == SET
    }

    /// Sets the event, waking every thread that waits on it. Setting a set event does nothing.
    #[inline]
    pub fn set(&self) {
        // A set event needs no write (and keeps its cache line shared).
        if self.state.load(Relaxed) == SET {
            return;
        }
        if self.state.swap(SET, Release) == WAITING {
            self.wake_all();
        }
    }

    #[cold]
    fn wake_all(&self) {
        futex::wake_private(&self.state, u32::MAX);
    }

    /// Unsets a set event; an unset one stays as it is (with any waiters).
    #[inline]
    pub fn reset(&self) {
        let _ = self.state.compare_exchange(SET, UNSET, Relaxed, Relaxed);
    }

    /// Waits until the event is set.
    #[inline]
    pub fn wait(&self) {
        if !self.is_set() {
            self.wait_slow(None);
        }
    }

    /// Waits at most `timeout` for the event to be set; whether it was.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.is_set() || self.wait_slow(Some(timeout))
    }

    #[cold]
    fn wait_slow(&self, timeout: Option<Duration>) -> bool {
        let start = timeout.map(|_| Instant::now());
        let mut state = self.state.load(Acquire);
        loop {
            if state == SET {
                return true;
            }
            if state == UNSET {
                if let Err(now) = self.state.compare_exchange(UNSET, WAITING, Acquire, Acquire) {
                    state = now;
                    continue;
                }
            }
            let left = match (timeout, start) {
                (Some(t), Some(s)) => match t.checked_sub(s.elapsed()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return self.is_set(),
                },
                _ => None,
            };
            if futex::wait_private(&self.state, WAITING, left) == WaitResult::TimedOut {
                return self.is_set();
            }
            state = self.state.load(Acquire);
        }
    }
}

impl Default for ResetEvent {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ResetEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResetEvent").field("set", &self.is_set()).finish()
    }
}
