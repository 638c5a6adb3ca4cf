//! Everything the lock algorithms (`mutex`, `condvar`, `once`), the thread lifecycle
//! (`thread::lifecycle`) and the stop-the-world protocol (`thread::stop`) take from the machine:
//! atomic words, the spin hint, futex wait and wake on those words, and the caller's thread id.
//!
//! They name these only through this module, so the host model checker (`check/`, with the
//! `loom` crate) compiles the very same algorithm files against its own `atomic_wait` module,
//! whose words and futex are loom's and whose scheduler tries every interleaving. Keep this the
//! only place those files reach the machine: a direct `core::sync::atomic` or `crate::futex`
//! in them would escape the model.

pub use core::hint::spin_loop;
pub use core::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize};
/// The channel's sleep check (`channel`) orders a store and a later load of another word with
/// a SeqCst fence on each side.
pub use core::sync::atomic::fence;

/// Gives the CPU away (`sched_yield`): the channel's wait for a sender or receiver that has
/// claimed a slot and not yet released it, after a short spin.
#[inline]
pub fn yield_now() {
    crate::syscall::sched_yield()
}

/// `wait`, `wake`, `requeue`, their private shorthands, `Scope` and `WaitResult`, as in
/// `crate::futex`.
pub use crate::futex;

/// The calling thread's kernel tid (never 0, below 2^30): `Once` records its runner with it,
/// and a `Mutex`'s word names its holder with it, uncontended lock included, so it must stay one
/// load from the thread pointer (`Tcb::current().tid()`).
#[cfg(not(test))]
#[inline(always)]
pub fn current_tid() -> i32 {
    crate::thread::current_tid()
}

/// The host unit tests (and Miri) run on std's threads, which have no strand control block:
/// there each thread gets a distinct small number, from 1, standing for its tid.
#[cfg(test)]
pub fn current_tid() -> i32 {
    use core::sync::atomic::{AtomicI32 as Counter, Ordering::Relaxed};
    static NEXT: Counter = Counter::new(1);
    std::thread_local! {
        static TID: i32 = NEXT.fetch_add(1, Relaxed);
    }
    TID.with(|t| *t)
}

/// How many times a lock re-reads a held word before it sleeps, or pauses between two reads,
/// given the tuned count. The real build spins the full count; the model lowers it, since every
/// extra read (or pause, which the model treats as a yield) multiplies the interleavings it
/// explores without adding a new kind of one.
#[inline]
pub const fn spin_limit(tuned: u32) -> u32 {
    tuned
}

/// Runs `f` on the calling thread's owed-wake slot (in its control block): the address of the
/// condition-variable word it owes a wake at its next mutex unlock, or 0 (`RawMutex::owe_wake`).
/// Only its own thread (and that thread's signal handlers) touches it, hence atomic swaps.
#[cfg(not(test))]
#[inline]
pub fn with_owed_wake<R>(f: impl FnOnce(&core::sync::atomic::AtomicUsize) -> R) -> R {
    f(&crate::thread::Tcb::current().owed_wake)
}

/// The host unit tests' threads have no control block: a slot per std thread.
#[cfg(test)]
pub fn with_owed_wake<R>(f: impl FnOnce(&core::sync::atomic::AtomicUsize) -> R) -> R {
    std::thread_local! {
        static SLOT: core::sync::atomic::AtomicUsize = const { core::sync::atomic::AtomicUsize::new(0) };
    }
    SLOT.with(f)
}

/// Runs `f` on the calling thread's robust list (in its control block), which `sync::robust`
/// links its mutexes into and walks at the thread's exit.
#[cfg(not(test))]
#[inline]
pub fn with_robust_list<R>(f: impl FnOnce(&super::robust::RobustList) -> R) -> R {
    f(&crate::thread::Tcb::current().robust)
}

/// The host unit tests' threads have no control block: a list per std thread.
#[cfg(test)]
pub fn with_robust_list<R>(f: impl FnOnce(&super::robust::RobustList) -> R) -> R {
    std::thread_local! {
        static LIST: super::robust::RobustList = const { super::robust::RobustList::new() };
    }
    LIST.with(f)
}

/// Offers the robust list at `head` (`len` bytes) to the kernel (null: withdraws it); whether
/// the kernel walks it at the thread's death.
#[cfg(not(test))]
pub fn register_robust_list(head: *const u8, len: usize) -> bool {
    crate::futex::robust::set_robust_list(head, len)
}

#[cfg(test)]
pub fn register_robust_list(_head: *const u8, _len: usize) -> bool {
    false
}
