//! A wait group on one futex word (Zig's `std.Thread.WaitGroup`): `add` counts work in, `done`
//! counts it out, `wait` sleeps until the count is 0. Neither `add` nor `done` makes a syscall
//! unless a thread waits; a `done` with nothing counted in is reported, not wrapped.
//!
//! The word holds the count in bits 31..1 and WAITERS in bit 0. A waiter sets WAITERS and
//! sleeps while the word is unchanged; `add` and `done` keep the bit (a sleeper still sleeps on
//! the word it saw, whatever the count does meanwhile), and the `done` that brings the count to
//! 0 clears it and wakes every waiter. Any number of threads may wait (Zig's allows one), and
//! the group may be used again once the count is back at 0.
//!
//! Every `done` Releases and a waiter that sees 0 Acquires: the `done`s are read-modify-writes
//! of one word, so the last one continues the release sequence of every earlier one, and the
//! waiter sees what every worker wrote before its `done`.

use super::atomic_wait::futex::{self, WaitResult};
use super::atomic_wait::AtomicU32;
use crate::time::Instant;
use core::fmt;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::time::Duration;

const WAITERS: u32 = 1;
const ONE: u32 = 2;

const MAX_COUNT: u32 = u32::MAX / ONE;

/// Why `add` or `done` changed nothing.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::{WaitGroup, WaitGroupError};
/// let wg = WaitGroup::new();
/// assert_eq!(wg.done(), Err(WaitGroupError::NothingToDo));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitGroupError {
    /// `add` would have counted past `MAX_COUNT`.
    Overflow,
    /// `done` with nothing counted in (more `done`s than `add`s).
    NothingToDo,
}

impl fmt::Display for WaitGroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitGroupError::Overflow => write!(f, "wait group count past {MAX_COUNT}"),
            WaitGroupError::NothingToDo => write!(f, "wait group `done` below zero"),
        }
    }
}

/// Counts work in and out; `wait` returns once it is all done.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::WaitGroup;
/// static WG: WaitGroup = WaitGroup::new();
/// WG.add(3).unwrap();
/// let hs = [(); 3].map(|()| strand::thread::spawn(|| WG.done().unwrap()).unwrap());
/// WG.wait();
/// assert!(WG.is_done() && WG.count() == 0);
/// for h in hs {
///     h.join().unwrap();
/// }
/// # }
/// ```
pub struct WaitGroup {
    state: AtomicU32,
}

impl WaitGroup {
    /// The most work a group counts at once (2^31 - 1).
    pub const MAX_COUNT: u32 = MAX_COUNT;

    /// A group with nothing counted in (usable in a `static`).
    pub const fn new() -> WaitGroup {
        WaitGroup { state: AtomicU32::new(0) }
    }

    /// How much work is counted in now (a snapshot).
    pub fn count(&self) -> u32 {
        self.state.load(Relaxed) / ONE
    }

    /// Counts `n` more pieces of work in.
    #[inline]
    pub fn add(&self, n: u32) -> Result<(), WaitGroupError> {
        let mut s = self.state.load(Relaxed);
        loop {
            if n > MAX_COUNT - s / ONE {
                return Err(WaitGroupError::Overflow);
            }
            match self.state.compare_exchange_weak(s, s + n * ONE, Relaxed, Relaxed) {
                Ok(_) => return Ok(()),
                Err(now) => s = now,
            }
        }
    }

    /// Counts one piece of work out; the last one wakes every waiter.
    #[inline]
    pub fn done(&self) -> Result<(), WaitGroupError> {
        let mut s = self.state.load(Relaxed);
        loop {
            if s < ONE {
                return Err(WaitGroupError::NothingToDo);
            }
            // The last one clears WAITERS too: nobody sleeps on a word with count 0.
            let new = if s / ONE == 1 { 0 } else { s - ONE };
            match self.state.compare_exchange_weak(s, new, Release, Relaxed) {
                Ok(_) => break,
                Err(now) => s = now,
            }
        }
        if s == ONE | WAITERS {
            self.wake_all();
        }
        Ok(())
    }

    #[cold]
    fn wake_all(&self) {
        futex::wake_private(&self.state, u32::MAX);
    }

    /// Whether the count is 0 (Acquire, like a `wait` that returns).
    pub fn is_done(&self) -> bool {
        self.state.load(Acquire) < ONE
    }

    /// Waits until the count is 0.
    #[inline]
    pub fn wait(&self) {
        if !self.is_done() {
            self.wait_slow(None);
        }
    }

    /// Waits at most `timeout` for the count to reach 0; whether it did.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::sync::WaitGroup;
    /// use core::time::Duration;
    /// let wg = WaitGroup::new();
    /// wg.add(1).unwrap();
    /// assert!(!wg.wait_timeout(Duration::from_millis(1))); // still counted in
    /// wg.done().unwrap();
    /// assert!(wg.wait_timeout(Duration::ZERO));
    /// # }
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.is_done() || self.wait_slow(Some(timeout))
    }

    #[cold]
    fn wait_slow(&self, timeout: Option<Duration>) -> bool {
        let start = timeout.map(|_| Instant::now());
        let mut s = self.state.load(Acquire);
        loop {
            if s < ONE {
                return true;
            }
            if s & WAITERS == 0 {
                if let Err(now) = self.state.compare_exchange(s, s | WAITERS, Acquire, Acquire) {
                    s = now;
                    continue;
                }
                s |= WAITERS;
            }
            let left = match (timeout, start) {
                (Some(t), Some(st)) => match t.checked_sub(st.elapsed()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return self.is_done(),
                },
                _ => None,
            };
            if futex::wait_private(&self.state, s, left) == WaitResult::TimedOut {
                return self.is_done();
            }
            s = self.state.load(Acquire);
        }
    }
}

impl Default for WaitGroup {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup").field("count", &self.count()).finish()
    }
}
