//! Loom models of strand's `RobustMutex` (src/sync/robust.rs): the word protocol when a holder
//! ends holding the lock, with strand's own exit walk (`exit_current`, what every strand thread
//! runs on its way out, and all there is where the kernel keeps no robust lists) marking it
//! OWNER_DIED and waking a sleeper. The kernel's walk of a registered list is the same step
//! done by the kernel (kernel/futex/core.c, handle_futex_death) and cannot be modelled.
//!
//! What a model failing would mean: a sleeper never woken when the holder ends (loom reports a
//! deadlock), `OwnerDied` reported to nobody or to two lockers, data not handed over with
//! happens-before (loom's cell checks), or a locker let in after a holder left the mutex not
//! recoverable.

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;
use strand_check::sync::robust::exit_current;
use strand_check::sync::{RawRobustMutex, RobustError, Taken};

mod common;
use common::{model, model_with_early_returns};

/// Data behind the mutex, checked by loom for ordered access.
struct Guarded {
    m: RawRobustMutex,
    data: UnsafeCell<u32>,
}

// SAFETY: `data` is touched only under `m`; loom reports any access the lock failed to order.
unsafe impl Sync for Guarded {}
// SAFETY: as above.
unsafe impl Send for Guarded {}

impl Guarded {
    fn new() -> Arc<Guarded> {
        Arc::new(Guarded { m: RawRobustMutex::new(), data: UnsafeCell::new(0) })
    }
    fn get(&self) -> u32 {
        // SAFETY: under the lock (see the type).
        self.data.with(|p| unsafe { *p })
    }
    fn set(&self, v: u32) {
        // SAFETY: as in `get`.
        self.data.with_mut(|p| unsafe { *p = v })
    }
    fn unlock(&self) {
        // SAFETY: called only by the thread that holds `m`.
        unsafe { self.m.unlock() }
    }
}

/// A holder ends holding the lock while another thread locks: whichever order, exactly one
/// locker is told `OwnerDied`, sees the dead holder's write, repairs, and the mutex is usable.
#[test]
fn owner_death_is_reported_once_and_wakes_the_sleeper() {
    model_with_early_returns(None, 1, || {
        let g = Guarded::new();
        let g1 = g.clone();
        let dies = thread::spawn(move || {
            assert_eq!(g1.m.lock(), Ok(Taken::Consistent));
            g1.set(7);
            // The thread ends holding it: its exit walk.
            exit_current();
        });
        let g2 = g.clone();
        let locker = thread::spawn(move || {
            let r = g2.m.lock().expect("a robust lock");
            if r == Taken::OwnerDied {
                assert_eq!(g2.get(), 7, "OwnerDied without the dead holder's data");
                // SAFETY: held.
                unsafe { g2.m.mark_consistent() };
            }
            g2.set(1);
            g2.unlock();
            r
        });
        dies.join().unwrap();
        let second = locker.join().unwrap();
        let last = g.m.lock().expect("usable after repair");
        // The locker came first (then the main thread finds the holder dead) or second.
        assert_eq!((second == Taken::OwnerDied) as u32 + (last == Taken::OwnerDied) as u32, 1);
        if last == Taken::OwnerDied {
            assert_eq!(g.get(), 7);
        }
        g.unlock();
    });
}

/// A thread that got `OwnerDied` lets go without marking the data consistent while another
/// waits: that one (asleep or not) and every later locker get `NotRecoverable`.
#[test]
fn unrepaired_owner_died_makes_every_locker_fail() {
    model(None, || {
        let g = Guarded::new();
        let g1 = g.clone();
        thread::spawn(move || {
            g1.m.lock().unwrap();
            exit_current();
        })
        .join()
        .unwrap();
        let lockers: Vec<_> = (0..2)
            .map(|_| {
                let g = g.clone();
                thread::spawn(move || match g.m.lock() {
                    Ok(Taken::OwnerDied) => {
                        g.unlock();
                        Ok(Taken::OwnerDied)
                    }
                    Ok(t) => {
                        g.unlock();
                        Ok(t)
                    }
                    Err(e) => Err(e),
                })
            })
            .collect();
        let r: Vec<_> = lockers.into_iter().map(|h| h.join().unwrap()).collect();
        // Exactly one was told; it did not repair, so the other, locking after, failed.
        assert_eq!(r.iter().filter(|x| **x == Ok(Taken::OwnerDied)).count(), 1, "{r:?}");
        assert_eq!(r.iter().filter(|x| **x == Err(RobustError::NotRecoverable)).count(), 1, "{r:?}");
        assert_eq!(g.m.lock(), Err(RobustError::NotRecoverable));
    });
}

/// Two live threads and a dying one: plain exclusion holds around a death, and the sleepers'
/// WAITERS mark survives the OWNER_DIED step (a lost mark would leave a sleeper asleep).
#[test]
fn three_threads_exclude_around_a_death() {
    model(Some(3), || {
        let g = Guarded::new();
        let g0 = g.clone();
        let dies = thread::spawn(move || {
            let _ = g0.m.lock().unwrap();
            exit_current();
        });
        let incr: Vec<_> = (0..2)
            .map(|_| {
                let g = g.clone();
                thread::spawn(move || {
                    let told = g.m.lock().unwrap() == Taken::OwnerDied;
                    if told {
                        // SAFETY: held.
                        unsafe { g.m.mark_consistent() };
                    }
                    let v = g.get();
                    thread::yield_now();
                    g.set(v + 1);
                    g.unlock();
                    told
                })
            })
            .collect();
        dies.join().unwrap();
        let told = incr.into_iter().map(|h| h.join().unwrap() as u32).sum::<u32>();
        let last = g.m.lock().unwrap();
        // The death is reported exactly once: to an incrementer, or to us if it came last.
        assert_eq!(told + (last == Taken::OwnerDied) as u32, 1);
        assert_eq!(g.get(), 2);
        g.unlock();
    });
}
