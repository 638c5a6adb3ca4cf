//! Loom models of strand's `Mutex`, `Condvar`, `Once` and `OnceLock`: the library's own files
//! (see src/lib.rs), run under every interleaving loom can reach and every value its weak
//! memory model lets a load return.
//!
//! Shared data lives in `loom::cell::UnsafeCell`, so loom also reports any access that is not
//! ordered after the previous one by happens-before: that is what "the lock hands the data over
//! correctly" means, beyond the final counts. A thread that sleeps and is never woken makes
//! loom report a deadlock, so every model that ends at all is free of lost wake-ups.
//!
//! Two-thread models are exhaustive. Three-thread ones bound the number of forced thread
//! switches per execution (loom's preemption bound, 2 to 4 here) so that the whole file runs in
//! a few minutes in release mode on 2 cores (the exhaustive two-thread condvar models, with the
//! condvar's registry lock, are most of it); the known bugs these models are meant to catch (a
//! missing Acquire/Release, a lost WAITERS mark, a wake of one sleeper where all must go, a
//! timeout reported by a waiter that took a notify) need at most two.
//!
//! Models built with `model_with_early_returns` also let one untimed futex wait per execution
//! return without a wake, as after a signal; only the cheaper models afford it (it multiplies
//! the two-thread condvar model's executions by about twenty).

use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicUsize;
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use strand_check::sync::{Condvar, Mutex, Once, OnceLock};

mod common;
use common::model as check;
use common::model_with_early_returns;

/// A counter that is not atomic: every access is checked for a happens-before order with the
/// previous one.
struct Counter(UnsafeCell<u32>);

// SAFETY: only touched through the lock (or a `Once`) under test; loom reports any access that
// the primitive failed to order, which is the property being checked.
unsafe impl Sync for Counter {}

impl Counter {
    fn new(v: u32) -> Counter {
        Counter(UnsafeCell::new(v))
    }

    fn get(&self) -> u32 {
        // SAFETY: loom checks this read against every write (see the type).
        self.0.with(|p| unsafe { *p })
    }

    fn set(&self, v: u32) {
        // SAFETY: as in `get`.
        self.0.with_mut(|p| unsafe { *p = v })
    }

    /// A read, a point where any other thread may run, then the write: two threads in here at
    /// once would lose an increment.
    fn increment_slowly(&self) {
        let v = self.get();
        thread::yield_now();
        self.set(v + 1);
    }
}

/// Notifies while still holding `guard` (strand then leaves the wake to the unlock, or moves
/// sleepers onto the mutex's word for `notify_all` and a second notify, and the unlock must wake
/// them) or after dropping it (a plain wake).
fn unlock_and_notify<G>(guard: G, under_lock: bool, notify: impl FnOnce()) {
    if under_lock {
        notify();
        drop(guard);
    } else {
        drop(guard);
        notify();
    }
}

/// Three threads (two waiting at once is what exercises the contended state and its one-wake
/// hand-over) each add one under the lock: the total is exact and no thread sleeps forever.
#[test]
fn mutex_three_threads_exclude_each_other() {
    check(Some(4), || {
        let m = Arc::new(Mutex::new(Counter::new(0)));
        let others: Vec<_> = (0..2)
            .map(|_| {
                let m = m.clone();
                thread::spawn(move || m.lock().increment_slowly())
            })
            .collect();
        m.lock().increment_slowly();
        for t in others {
            t.join().unwrap();
        }
        assert_eq!(m.lock().get(), 3);
        assert!(!m.is_locked());
    });
}

/// Two threads, no preemption bound: every interleaving of lock, spin, sleep and unlock, and a
/// sleep on the lock's word that returns without a wake.
#[test]
fn mutex_two_threads_exhaustive() {
    model_with_early_returns(None, 1, || {
        let m = Arc::new(Mutex::new(Counter::new(0)));
        let m2 = m.clone();
        let t = thread::spawn(move || {
            m2.lock().increment_slowly();
            m2.lock().increment_slowly();
        });
        m.lock().increment_slowly();
        t.join().unwrap();
        assert_eq!(m.lock().get(), 3);
    });
}

/// `try_lock` only succeeds on a free lock, and then sees everything the last holder wrote (also
/// when the other thread's sleep on the lock returns without a wake).
#[test]
fn mutex_try_lock_excludes() {
    model_with_early_returns(None, 1, || {
        let m = Arc::new(Mutex::new(Counter::new(0)));
        let m2 = m.clone();
        let t = thread::spawn(move || m2.lock().increment_slowly());
        let took = match m.try_lock() {
            Some(g) => {
                g.increment_slowly();
                1
            }
            None => 0,
        };
        t.join().unwrap();
        assert_eq!(m.lock().get(), 1 + took);
    });
}

/// The word names its holder: while one thread holds the lock, its own second attempt is
/// reported (`lock_checked` fails, `try_lock` gives nothing) and leaves the lock held by it,
/// while the other thread's attempt, at any point of that (before, during, after a sleep on the
/// word, or a sleep that returns without a wake), is never reported and gets the lock once it
/// is free, with WAITERS marked and cleared as the holder changes under it.
#[test]
fn mutex_recursion_is_reported_to_the_holder_only() {
    model_with_early_returns(None, 1, || {
        let m = Arc::new(Mutex::new(Counter::new(0)));
        let m2 = m.clone();
        let t = thread::spawn(move || {
            let g = m2.lock_checked().expect("a lock held by another thread was reported as recursive");
            g.increment_slowly();
        });
        let g = m.lock_checked().expect("reported before holding anything");
        assert!(m.lock_checked().is_err(), "a recursive lock_checked was not reported");
        assert!(m.try_lock().is_none());
        assert!(m.is_held_by_current_thread());
        g.increment_slowly();
        drop(g);
        assert!(!m.is_held_by_current_thread());
        t.join().unwrap();
        assert_eq!(m.lock().get(), 2);
        assert!(!m.is_locked());
    });
}

/// A waiter always sees a notify that follows a change of its condition, whether the notifier
/// signals while holding the lock or after releasing it.
#[test]
fn condvar_no_lost_wakeup() {
    for notify_under_lock in [false, true] {
        check(None, move || {
            let pair = Arc::new((Mutex::new(false), Condvar::new()));
            let p2 = pair.clone();
            let t = thread::spawn(move || {
                let (m, cv) = &*p2;
                let mut ready = m.lock();
                *ready = true;
                unlock_and_notify(ready, notify_under_lock, || cv.notify_one());
            });
            let (m, cv) = &*pair;
            let ready = cv.wait_while(m.lock(), |ready| !*ready);
            assert!(*ready);
            drop(ready);
            t.join().unwrap();
        });
    }
}

/// Two consumers, one producer that hands out two items with one `notify_one` each: both
/// consumers get an item, so no notify was spent on nobody while someone slept. Made under the
/// lock, each notify leaves its wake to the unlock, which must pay it, also when the other
/// consumer blocked on the mutex meanwhile (the unlock then wakes both).
#[test]
fn condvar_notify_one_wakes_each_consumer() {
    for under_lock in [false, true] {
        check(Some(3), move || {
            let pair = Arc::new((Mutex::new(0u32), Condvar::new()));
            let consumers: Vec<_> = (0..2)
                .map(|_| {
                    let p = pair.clone();
                    thread::spawn(move || {
                        let (m, cv) = &*p;
                        let mut items = cv.wait_while(m.lock(), |n| *n == 0);
                        *items -= 1;
                    })
                })
                .collect();
            let (m, cv) = &*pair;
            for _ in 0..2 {
                let mut items = m.lock();
                *items += 1;
                unlock_and_notify(items, under_lock, || cv.notify_one());
            }
            for c in consumers {
                c.join().unwrap();
            }
            assert_eq!(*m.lock(), 0);
        });
    }
}

/// One `notify_all` releases every waiter, made under the lock or after it.
#[test]
fn condvar_notify_all_wakes_every_waiter() {
    for under_lock in [false, true] {
        check(Some(3), move || {
            let pair = Arc::new((Mutex::new(false), Condvar::new()));
            let waiters: Vec<_> = (0..2)
                .map(|_| {
                    let p = pair.clone();
                    thread::spawn(move || {
                        let (m, cv) = &*p;
                        drop(cv.wait_while(m.lock(), |go| !*go));
                    })
                })
                .collect();
            let (m, cv) = &*pair;
            let mut go = m.lock();
            *go = true;
            // Under the lock, the waiters are moved onto the mutex's word; each unlock wakes the next.
            unlock_and_notify(go, under_lock, || cv.notify_all());
            for w in waiters {
                w.join().unwrap();
            }
        });
    }
}

/// A timed wait ends, with the lock held again, whether the notify comes before, during or not
/// at all before its time runs out; a wait that was not notified reports the timeout, and one
/// that a notify under the lock reached does not, even if its time ran out after the notify
/// left its wake owed to the unlock. (Two tests, one per way of
/// notifying, so that the test harness runs the two longest models on two threads at once.)
#[test]
fn condvar_wait_timeout_returns_relocked_notified_after_unlock() {
    wait_timeout_returns_relocked(false);
}

#[test]
fn condvar_wait_timeout_returns_relocked_notified_under_lock() {
    wait_timeout_returns_relocked(true);
}

fn wait_timeout_returns_relocked(under_lock: bool) {
    {
        check(None, move || {
            let pair = Arc::new((Mutex::new(Counter::new(0)), Condvar::new()));
            let notified = Arc::new(AtomicUsize::new(0));
            let (p2, n2) = (pair.clone(), notified.clone());
            let t = thread::spawn(move || {
                let (m, cv) = &*p2;
                let g = m.lock();
                g.increment_slowly();
                n2.store(1, Relaxed);
                // Under the lock, this leaves the waiter's wake to the unlock; its time may run out
                // before, while it then sleeps on the held mutex.
                unlock_and_notify(g, under_lock, || cv.notify_one());
            });
            let (m, cv) = &*pair;
            let g = m.lock();
            let before = notified.load(Relaxed);
            let (g, r) = cv.wait_timeout(g, Duration::from_millis(1));
            assert!(m.is_locked());
            // Holding the lock again: the data is ours to touch.
            g.increment_slowly();
            if !r.timed_out() {
                // Only a notify ends the wait early (a timed wait never returns early in the
                // model), or a time-out after a notify, which chose us.
                assert_eq!(notified.load(Relaxed), 1);
            } else if under_lock {
                // A notify made under the lock while we waited reached us (our time may have run
                // out before the unlock paid its wake), so it was no time-out.
                assert_eq!(notified.load(Relaxed), before, "a timeout reported after a notify reached the waiter");
            }
            drop(g);
            t.join().unwrap();
            assert_eq!(m.lock().get(), 2);
        });
    }
}

/// One timed and one untimed waiter, one item and one `notify_one` under the lock. The timed
/// waiter is an idle worker: when its wait reports a timeout it leaves without looking. If it
/// slept first, the notify leaves its wake to the unlock, and its time may run out before that
/// (it then sleeps on the held mutex); it took the notify all the same, and were it to report a
/// timeout, the item would stay with the untimed waiter asleep and nobody left to wake it: the
/// model deadlocks. Early returns let the untimed waiter also leave its wait (on the condvar, or
/// on the mutex) without a wake.
#[test]
fn condvar_timed_out_waiter_loses_no_notify() {
    model_with_early_returns(Some(2), 1, || {
        let pair = Arc::new((Mutex::new(0u32), Condvar::new()));
        let p = pair.clone();
        let timed = thread::spawn(move || {
            let (m, cv) = &*p;
            let mut items = m.lock();
            if *items == 0 {
                let (g, r) = cv.wait_timeout(items, Duration::from_millis(1));
                items = g;
                if r.timed_out() {
                    return false;
                }
            }
            let took = *items > 0;
            if took {
                *items -= 1;
            }
            took
        });
        let p = pair.clone();
        let untimed = thread::spawn(move || {
            let (m, cv) = &*p;
            let mut items = cv.wait_while(m.lock(), |n| *n == 0);
            *items -= 1;
        });
        let (m, cv) = &*pair;
        let mut items = m.lock();
        *items += 1;
        cv.notify_one();
        drop(items);
        if timed.join().unwrap() {
            // The timed waiter took the item: the untimed one still waits for its own.
            let mut items = m.lock();
            *items += 1;
            cv.notify_one();
            drop(items);
        }
        untimed.join().unwrap();
        assert_eq!(*m.lock(), 0);
    });
}

/// Three threads race to `call_once`: the initialiser runs exactly once, and every caller,
/// including those that slept while it ran, returns only after its write is visible.
#[test]
fn once_runs_exactly_once_and_publishes() {
    check(Some(3), || {
        let once = Arc::new(Once::new());
        let data = Arc::new(Counter::new(0));
        let runs = Arc::new(AtomicUsize::new(0));
        let call = {
            let (once, data, runs) = (once.clone(), data.clone(), runs.clone());
            move || {
                once.call_once(|| {
                    runs.fetch_add(1, Relaxed);
                    data.set(42);
                });
                assert!(once.is_completed());
                assert_eq!(data.get(), 42);
            }
        };
        let others: Vec<_> = (0..2).map(|_| thread::spawn(call.clone())).collect();
        call();
        for t in others {
            t.join().unwrap();
        }
        assert_eq!(runs.load(Relaxed), 1);
    });
}

/// Two threads, unbounded: every interleaving of the INCOMPLETE/RUNNING/QUEUED/COMPLETE states,
/// with a sleeper in QUEUED that may return before the initialiser is done.
#[test]
fn once_two_threads_exhaustive() {
    model_with_early_returns(None, 1, || {
        let once = Arc::new(Once::new());
        let data = Arc::new(Counter::new(0));
        let call = {
            let (once, data) = (once.clone(), data.clone());
            move || {
                once.call_once(|| data.increment_slowly());
                assert_eq!(data.get(), 1);
            }
        };
        let t = thread::spawn(call.clone());
        call();
        t.join().unwrap();
    });
}

/// `get_or_init` and `set` racing on one `OnceLock`: one value wins, every caller sees that
/// same value fully written, and `set` says truthfully whether it was the one (also when the
/// loser's sleep returns before the winner is done).
#[test]
fn oncelock_one_value_wins() {
    model_with_early_returns(None, 1, || {
        let cell = Arc::new(OnceLock::<Counter>::new());
        let c2 = cell.clone();
        let t = thread::spawn(move || match c2.set(Counter::new(1)) {
            Ok(()) => 1,
            Err(rejected) => {
                assert_eq!(rejected.get(), 1);
                0
            }
        });
        let seen = cell.get_or_init(|| Counter::new(2)).get();
        let set_won = t.join().unwrap();
        assert_eq!(seen, if set_won == 1 { 1 } else { 2 });
        assert_eq!(cell.get().map(Counter::get), Some(seen));
    });
}
