//! The park token of one thread: `park` sleeps until the token is there and takes it, `unpark`
//! puts it there (Rust std's semantics: an unpark before the park makes that park return at
//! once; tokens do not add up). One futex word in the thread's control block; only the algorithm
//! is here, over `sync::atomic_wait`, so that the host model checker runs this very file
//! (`check/`, loom). Finding the thread's control block safely is `thread/mod.rs`'s business.
//!
//! The word is `EMPTY`, `NOTIFIED` (the token is there) or `PARKED` (its thread sleeps, or is
//! about to). Only the owning thread moves it away from `NOTIFIED` or into `PARKED`; `unpark`
//! stores `NOTIFIED` and wakes only if it took `PARKED` out, so an unpark of a thread that is
//! not parked makes no syscall. It is std's futex parker (library/std/src/sys/sync/thread_parking
//! /futex.rs), with one difference: a timed park that a signal or a spurious wake-up cuts short
//! sleeps again for what is left, instead of returning early (strand's thread control
//! interrupts threads with a signal, so early returns would be common here). Park Acquires and
//! unpark Releases: what the unparker wrote before `unpark` is visible after the `park` it ends.

use crate::sync::atomic_wait::futex::{self, WaitResult};
use crate::sync::atomic_wait::AtomicU32;
use crate::time::Instant;
use core::sync::atomic::Ordering::{Acquire, Release};
use core::time::Duration;

const EMPTY: u32 = 0;
const NOTIFIED: u32 = 1;
/// `EMPTY - 1`: a park's decrement turns `NOTIFIED` into `EMPTY` and `EMPTY` into `PARKED`.
const PARKED: u32 = u32::MAX;

pub struct Parker {
    state: AtomicU32,
}

impl Parker {
    pub const fn new() -> Parker {
        Parker { state: AtomicU32::new(EMPTY) }
    }

    /// Sleeps until the token is there, and takes it. Only the owning thread may call it.
    pub fn park(&self) {
        // NOTIFIED -> EMPTY (the token was there: done), or EMPTY -> PARKED.
        if self.state.fetch_sub(1, Acquire) == NOTIFIED {
            return;
        }
        loop {
            futex::wait_private(&self.state, PARKED, None);
            // Woken, or spuriously, or by a signal: only the token ends the park.
            if self.state.compare_exchange(NOTIFIED, EMPTY, Acquire, Acquire).is_ok() {
                return;
            }
        }
    }

    /// `park`, for at most `timeout`; whether it took the token (false: the time ran out).
    /// Only the owning thread may call it.
    pub fn park_timeout(&self, timeout: Duration) -> bool {
        if self.state.fetch_sub(1, Acquire) == NOTIFIED {
            return true;
        }
        let start = Instant::now();
        loop {
            let left = timeout.checked_sub(start.elapsed()).filter(|l| !l.is_zero());
            let timed_out = match left {
                Some(left) => futex::wait_private(&self.state, PARKED, Some(left)) == WaitResult::TimedOut,
                None => true,
            };
            if timed_out {
                // PARKED -> EMPTY; or an unpark came after all (NOTIFIED): take it.
                return self.state.swap(EMPTY, Acquire) == NOTIFIED;
            }
            if self.state.compare_exchange(NOTIFIED, EMPTY, Acquire, Acquire).is_ok() {
                return true;
            }
        }
    }

    /// Puts the token there, waking the owner if it is parked. Any thread.
    pub fn unpark(&self) {
        if self.state.swap(NOTIFIED, Release) == PARKED {
            futex::wake_private(&self.state, 1);
        }
    }
}
