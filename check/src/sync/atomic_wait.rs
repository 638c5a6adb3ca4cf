//! The loom side of strand's seam: the names `src/sync/atomic_wait.rs` exports, backed by loom's
//! atomics and a futex that loom schedules, so that strand's unchanged lock and lifecycle files
//! run inside `loom::model`.
//!
//! The futex keeps the one property the algorithms rely on: a wait checks the word and goes to
//! sleep as one step with respect to wakes, so a wake that comes after the word changed cannot
//! be lost. A sleeper leaves its wait in the ways the kernel lets it
//! (kernel/futex/waitwake.c, `futex_wait`), each at a point loom chooses:
//!
//! - woken: a wake took it off the queue (also after a requeue moved it to another word);
//! - timed out, for a timed wait: it was still queued, on whichever word, when its time ran out.
//!   The sleeper lets the other threads take steps first, so loom explores its time running
//!   out before, between and after what they do, and its being woken before that;
//! - interrupted (EINTR, or a spurious return): for an untimed wait, only while the model's
//!   budget of early returns (`allow_early_returns`, 0 unless a model asks) is not spent. Loom
//!   explores both the early return and the sleep going on until a wake, through the spurious
//!   wake-up of a fresh `loom::sync::Notify` per sleep. The budget keeps the state space finite
//!   (a wait loop that may always return early never ends) and small. Early returns report
//!   `Interrupted` only: strand treats a spurious `Woken` the same way (it re-checks), and a
//!   timed wait's early return would only be another "not timed out", which a time-out after a
//!   notify to someone else already gives.
//!
//! Without budget, a sleeper without a timeout stays asleep until a wake picks it, so a lost
//! wake-up shows up as a loom deadlock.
//!
//! Like the kernel, which checks the word and queues the sleeper under a hash-bucket lock that
//! the waker takes too, every word has a loom mutex for its futex: waiting and waking take it.
//! That lock is what makes a waker's earlier store visible to a later check in loom's weak
//! memory model (a bare load may return an older store, and would invent a sleep the kernel
//! refuses), and its ordering edges are the ones the kernel's lock gives. The check is a plain
//! load: a read-modify-write would add a store of the emulation's own that loom does not always
//! order before the waker's, and the model could then read a value the real word never held.

use loom::thread::Thread;
use std::cell::Cell;
use std::collections::VecDeque;
use std::intrinsics::const_eval_select;
use std::ops::Deref;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::sync::Mutex as HostMutex;

pub use loom::hint::spin_loop;
/// loom models `fence(SeqCst)` fully (unlike SeqCst loads and stores, which it treats as AcqRel).
pub use loom::sync::atomic::fence;
/// A yield lets loom run the other threads, as `sched_yield` lets the kernel.
pub use loom::thread::yield_now;

/// Loom ids its threads from 0 (the model's main thread); strand's tids are never 0, and `Once`
/// uses 0 for "nobody".
pub fn current_tid() -> i32 {
    let id = format!("{:?}", loom::thread::current().id());
    let digits: String = id.chars().filter(char::is_ascii_digit).collect();
    digits.parse::<i32>().expect("loom ThreadId(n)") + 1
}

/// One extra read before sleeping is enough to reach both "the spin saw the lock go" and "the
/// spin gave up"; the real count only repeats those states.
pub const fn spin_limit(_tuned: u32) -> u32 {
    1
}

/// A word strand's code can build in a `const fn`, as it does with core's atomics.
///
/// Loom's atomics must be created inside a running model, and their creation counts as a
/// write that every later access must happen after, so they cannot be made lazily on first use
/// by whichever thread comes first. `const_eval_select` makes the run-time `new` (the only one
/// a model calls) create the loom atomic on the spot, in the thread that builds the lock; a
/// compile-time `new` (a `static`) gets an empty word that panics when used.
pub struct AtomicU32 {
    word: Option<Word>,
}

struct Word {
    value: loom::sync::atomic::AtomicU32,
    /// The futex's lock: held while checking the word and queueing, and while waking.
    bucket: loom::sync::Mutex<()>,
    sleepers: HostMutex<Sleepers>,
}

/// The sleepers on one word. Changed only under `bucket`; the host mutex around it is held only
/// between loom operations (loom runs one model thread at a time and switches only inside its
/// own operations), so it is never contended.
#[derive(Default)]
struct Sleepers {
    queue: VecDeque<Sleeper>,
}

/// One sleeping thread. `on` is the address of the `Word` it sleeps on, or `None` once woken:
/// a requeue changes it, a wake clears it; both only under that word's `bucket`.
struct Sleeper {
    waker: Waker,
    on: Arc<HostMutex<Option<usize>>>,
}

/// How a wake reaches a sleeper: an unpark, or, for a sleep that may return early, the `Notify`
/// it sleeps on.
enum Waker {
    Park(Thread),
    Notify(Arc<loom::sync::Notify>),
}

impl Waker {
    fn wake(&self) {
        match self {
            Waker::Park(t) => t.unpark(),
            Waker::Notify(n) => n.notify(),
        }
    }
}

thread_local! {
    /// Early returns this execution may still take. Host state, not loom's: loom runs every
    /// model thread of one test as a coroutine on that test's own host thread, one at a time
    /// (loom 0.7, rt/scheduler.rs), and `allow_early_returns` resets it at the start of each
    /// execution, so every execution (and loom's replay of it) starts from the same budget.
    static EARLY_LEFT: Cell<u32> = const { Cell::new(0) };
    /// Early returns taken this execution.
    static EARLY_TAKEN: Cell<u32> = const { Cell::new(0) };
}

/// Lets up to `n` untimed futex waits of this execution return early (as with a signal or a
/// spurious wake-up). Call it first thing in a model's closure (`common::model` does).
pub fn allow_early_returns(n: u32) {
    EARLY_LEFT.with(|c| c.set(n));
    EARLY_TAKEN.with(|c| c.set(0));
}

/// How many waits of this execution have returned early so far.
pub fn early_returns_taken() -> u32 {
    EARLY_TAKEN.with(Cell::get)
}

impl AtomicU32 {
    pub const fn new(v: u32) -> AtomicU32 {
        const fn in_const(_v: u32) -> AtomicU32 {
            AtomicU32 { word: None }
        }
        fn at_run_time(v: u32) -> AtomicU32 {
            AtomicU32 {
                word: Some(Word {
                    value: loom::sync::atomic::AtomicU32::new(v),
                    bucket: loom::sync::Mutex::new(()),
                    sleepers: HostMutex::default(),
                }),
            }
        }
        const_eval_select((v,), in_const, at_run_time)
    }

    fn word(&self) -> &Word {
        self.word.as_ref().expect("a strand lock in a `static` cannot be used inside a loom model")
    }
}

impl Deref for AtomicU32 {
    type Target = loom::sync::atomic::AtomicU32;
    fn deref(&self) -> &Self::Target {
        &self.word().value
    }
}

/// A loom atomic without a futex, buildable in a `const fn` like `AtomicU32` above.
macro_rules! plain_atomic {
    ($(#[$doc:meta])* $name:ident, $int:ty) => {
        $(#[$doc])*
        pub struct $name {
            value: Option<loom::sync::atomic::$name>,
        }

        impl $name {
            pub const fn new(v: $int) -> $name {
                const fn in_const(_v: $int) -> $name {
                    $name { value: None }
                }
                fn at_run_time(v: $int) -> $name {
                    $name { value: Some(loom::sync::atomic::$name::new(v)) }
                }
                const_eval_select((v,), in_const, at_run_time)
            }
        }

        impl Deref for $name {
            type Target = loom::sync::atomic::$name;
            fn deref(&self) -> &Self::Target {
                self.value.as_ref().expect("a strand lock in a `static` cannot be used inside a loom model")
            }
        }
    };
}

plain_atomic!(
    /// The condition variable keeps its mutex's address in one.
    AtomicUsize,
    usize
);
plain_atomic!(
    /// `Once` keeps the running thread's tid in one.
    AtomicI32,
    i32
);

/// The futex calls strand's `crate::futex` offers, over the words above.
pub mod futex {
    use super::{AtomicU32, Sleeper, Waker, Word, EARLY_LEFT, EARLY_TAKEN};
    use std::sync::{Arc, Mutex as HostMutex};
    use super::Relaxed;
    use core::time::Duration;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum WaitResult {
        Woken,
        ValueChanged,
        TimedOut,
        Interrupted,
    }

    /// Private and shared waits behave the same inside one model.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Scope {
        Private,
        Shared,
    }

    /// Sleeps while the word holds `expected`, until woken, until the time runs out (with a
    /// timeout), or until an early return (see the module doc).
    pub fn wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>, _scope: Scope) -> WaitResult {
        let w = word.word();
        let bucket = w.bucket.lock().unwrap();
        if w.value.load(Relaxed) != expected {
            return WaitResult::ValueChanged;
        }
        let on = Arc::new(HostMutex::new(Some(w as *const Word as usize)));
        // A sleep that may return early holds one unit of the budget until it ends, so that no
        // more sleeps at once can return early than the budget allows; one that ends without
        // returning early gives its unit back.
        let early = timeout.is_none() && EARLY_LEFT.with(|c| c.get()) > 0;
        let waker = if early {
            EARLY_LEFT.with(|c| c.set(c.get() - 1));
            Waker::Notify(Arc::new(loom::sync::Notify::new()))
        } else {
            Waker::Park(loom::thread::current())
        };
        let notify = match &waker {
            Waker::Notify(n) => Some(n.clone()),
            Waker::Park(_) => None,
        };
        w.sleepers.lock().unwrap().queue.push_back(Sleeper { waker, on: on.clone() });
        // A wake between this unlock and `park` (or `Notify::wait`) finds us queued and leaves
        // an unpark token (a notification), so the sleep then ends at once.
        drop(bucket);
        match (timeout, notify) {
            (None, None) => {
                while on.lock().unwrap().is_some() {
                    loom::thread::park();
                }
                WaitResult::Woken
            }
            (None, Some(n)) => {
                // Loom explores both a spurious return here (after letting the others run) and
                // sleeping on until a wake's notification. Already woken: nothing to explore.
                if on.lock().unwrap().is_some() {
                    n.wait();
                }
                if leave(&on) {
                    EARLY_TAKEN.with(|c| c.set(c.get() + 1));
                    WaitResult::Interrupted
                } else {
                    EARLY_LEFT.with(|c| c.set(c.get() + 1));
                    WaitResult::Woken
                }
            }
            (Some(_), _) => {
                // Every other thread may take steps (and wake or move us) before the time runs out.
                loom::thread::yield_now();
                if leave(&on) { WaitResult::TimedOut } else { WaitResult::Woken }
            }
        }
    }

    /// Takes a sleeper that is leaving on its own (its time ran out, or it returns early) off
    /// the queue of the word it sleeps on now, under that word's bucket; false if a wake took
    /// it off first.
    fn leave(on: &Arc<HostMutex<Option<usize>>>) -> bool {
        loop {
            let Some(addr) = *on.lock().unwrap() else { return false };
            // SAFETY: a word we sleep on is alive: its owner is inside a wait on it or on the
            // word we were moved from, holding the lock that contains both.
            let now = unsafe { &*(addr as *const Word) };
            let _bucket = now.bucket.lock().unwrap();
            if *on.lock().unwrap() != Some(addr) {
                continue; // moved or woken while we took the bucket
            }
            let mut s = now.sleepers.lock().unwrap();
            let i = s.queue.iter().position(|q| Arc::ptr_eq(&q.on, on)).expect("queued where `on` says");
            s.queue.remove(i);
            *on.lock().unwrap() = None;
            return true;
        }
    }

    /// Wakes up to `n` sleepers, oldest first; returns how many.
    pub fn wake(word: &AtomicU32, n: u32, _scope: Scope) -> usize {
        let w = word.word();
        let _bucket = w.bucket.lock().unwrap();
        let woken = take(w, n);
        for q in &woken {
            *q.on.lock().unwrap() = None;
            q.waker.wake();
        }
        woken.len()
    }

    /// FUTEX_CMP_REQUEUE: if `from` holds `expected`, wakes up to `wake` of its sleepers and
    /// moves up to `requeue` more onto `to`, still asleep. Both buckets are held, as the kernel
    /// holds both hash buckets; strand requeues only from a condvar's word to a mutex's, so
    /// the two are always taken in the same order.
    pub fn requeue(from: &AtomicU32, to: &AtomicU32, wake: u32, requeue: u32, expected: u32, _scope: Scope) -> Option<usize> {
        let (f, t) = (from.word(), to.word());
        let _from_bucket = f.bucket.lock().unwrap();
        let _to_bucket = t.bucket.lock().unwrap();
        if f.value.load(Relaxed) != expected {
            return None;
        }
        let woken = take(f, wake);
        for q in &woken {
            *q.on.lock().unwrap() = None;
            q.waker.wake();
        }
        let moved = take(f, requeue);
        for q in &moved {
            *q.on.lock().unwrap() = Some(t as *const Word as usize);
        }
        let n = woken.len() + moved.len();
        t.sleepers.lock().unwrap().queue.extend(moved);
        Some(n)
    }

    /// The oldest `n` sleepers of a word, out of its queue (its bucket held).
    fn take(w: &Word, n: u32) -> Vec<Sleeper> {
        let mut s = w.sleepers.lock().unwrap();
        let k = s.queue.len().min(n as usize);
        s.queue.drain(..k).collect()
    }

    pub fn wait_private(word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> WaitResult {
        wait(word, expected, timeout, Scope::Private)
    }

    /// What strand's cancellable wait reports when its thread is cancelled. The model has no
    /// cancellation (no signals), so its cancellable wait is the plain one.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Cancelled;

    pub fn wait_private_cancellable(word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> Result<WaitResult, Cancelled> {
        Ok(wait(word, expected, timeout, Scope::Private))
    }

    pub fn wake_private(word: &AtomicU32, n: u32) -> usize {
        wake(word, n, Scope::Private)
    }

    pub fn requeue_private(from: &AtomicU32, to: &AtomicU32, wake: u32, requeue: u32, expected: u32) -> Option<usize> {
        self::requeue(from, to, wake, requeue, expected, Scope::Private)
    }
}

/// Runs `f` on the calling model thread's owed-wake slot (strand keeps it in the control
/// block). Only its own thread touches it, so a plain std atomic in a loom thread-local: there
/// is no interleaving of it to explore.
pub fn with_owed_wake<R>(f: impl FnOnce(&std::sync::atomic::AtomicUsize) -> R) -> R {
    loom::thread_local! {
        static SLOT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    }
    SLOT.with(f)
}

/// Runs `f` on the calling model thread's robust list (strand keeps it in the control block):
/// one per loom thread, so that `RobustMutex`'s list protocol and its exit walk run unchanged.
pub fn with_robust_list<R>(f: impl FnOnce(&super::robust::RobustList) -> R) -> R {
    loom::thread_local! {
        static LIST: super::robust::RobustList = super::robust::RobustList::new();
    }
    LIST.with(f)
}

/// The model has no kernel to walk the list when a thread dies: strand's exit walk
/// (`robust::exit_current`), which the models call where a thread ends, does it, as under QEMU.
pub fn register_robust_list(_head: *const u8, _len: usize) -> bool {
    false
}
