//! A reusable barrier: `n` threads wait until all `n` have arrived, then all go on, and the
//! last to arrive is told it is the leader. One futex word, no syscall when nobody had to sleep.
//!
//! # The word
//!
//! ```text
//!  bit 31       bit 30     bits 29..0
//!  GENERATION   SLEEPING   arrived in this generation (always below n)
//! ```
//!
//! An arrival is one compare-and-swap that either adds one to the count or, for the n-th, starts
//! the next generation: count 0, generation bit flipped, SLEEPING cleared. Doing both in one
//! step is what places every arrival in exactly one generation: a thread that comes early for
//! the next round (more than `n` threads share the barrier) counts towards it, never towards
//! the one that is ending, and exactly one arrival per generation sees the count reach `n`.
//!
//! A waiter sleeps until the generation bit differs from the one it arrived in. One bit is
//! enough: the generation after next cannot end without this waiter's next arrival. Before it
//! sleeps it sets SLEEPING, and the leader wakes everyone only if it finds the bit set: a
//! round in which every waiter saw the flip while spinning costs no syscall.

use super::atomic_wait::{futex, spin_limit, spin_loop, AtomicU32};
use core::fmt;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

const GENERATION: u32 = 1 << 31;
const SLEEPING: u32 = 1 << 30;
const ARRIVED: u32 = SLEEPING - 1;

/// How many times a waiter re-reads the word before it sleeps: a barrier's threads usually
/// arrive close together, and a short spin saves both the sleep and the leader's wake.
const SPIN_READS: u32 = 100;

/// A barrier for `n` threads, reusable round after round.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::Barrier;
/// use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
/// static START: Barrier = Barrier::new(3);
/// static LEADERS: AtomicU32 = AtomicU32::new(0);
/// let hs = [(); 2].map(|()| strand::thread::spawn(|| {
///     if START.wait().is_leader() { LEADERS.fetch_add(1, Relaxed); }
/// }).unwrap());
/// if START.wait().is_leader() { LEADERS.fetch_add(1, Relaxed); }
/// for h in hs {
///     h.join().unwrap();
/// }
/// assert_eq!(LEADERS.load(Relaxed), 1);
/// # }
/// ```
pub struct Barrier {
    state: AtomicU32,
    n: u32,
}

/// What `Barrier::wait` tells each thread.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let b = strand::sync::Barrier::new(1);
/// // One thread per round: it is the last to arrive, so the leader.
/// assert!(b.wait().is_leader());
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// True for exactly one thread per round: the last to arrive.
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// A barrier that opens when `n` threads have called `wait`. `n` of 0 counts as 1 (every
    /// call returns at once, as leader), as std's; above 2^30 - 1 it is capped there, a number
    /// of threads no Linux system allows.
    pub const fn new(n: usize) -> Barrier {
        let n = if n == 0 {
            1
        } else if n > ARRIVED as usize {
            ARRIVED
        } else {
            n as u32
        };
        Barrier { state: AtomicU32::new(0), n }
    }

    /// Waits until `n` threads (this one included) have called `wait` since the barrier last
    /// opened, then returns on all of them; one of them gets `is_leader()`.
    pub fn wait(&self) -> BarrierWaitResult {
        let mut state = self.state.load(Relaxed);
        loop {
            let next = if (state & ARRIVED) + 1 == self.n { (state ^ GENERATION) & GENERATION } else { state + 1 };
            // AcqRel: each arrival releases what its thread did before the barrier, and the
            // leader's acquires all of it (the arrivals form one chain of read-modify-writes);
            // the waiters acquire the leader's flip below.
            match self.state.compare_exchange_weak(state, next, AcqRel, Relaxed) {
                Ok(_) => break,
                Err(s) => state = s,
            }
        }
        if (state & ARRIVED) + 1 == self.n {
            if state & SLEEPING != 0 {
                futex::wake_private(&self.state, u32::MAX);
            }
            return BarrierWaitResult(true);
        }
        self.wait_for_flip(state & GENERATION);
        BarrierWaitResult(false)
    }

    #[cold]
    fn wait_for_flip(&self, generation: u32) {
        let mut state = self.state.load(Acquire);
        for _ in 0..spin_limit(SPIN_READS) {
            if state & GENERATION != generation {
                return;
            }
            spin_loop();
            state = self.state.load(Acquire);
        }
        loop {
            if state & GENERATION != generation {
                return;
            }
            if state & SLEEPING == 0 {
                // Relaxed: the flip that ends the wait is read with Acquire below.
                if let Err(s) = self.state.compare_exchange(state, state | SLEEPING, Relaxed, Acquire) {
                    state = s;
                    continue;
                }
                state |= SLEEPING;
            }
            futex::wait_private(&self.state, state, None);
            state = self.state.load(Acquire);
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier").field("n", &self.n).finish_non_exhaustive()
    }
}
