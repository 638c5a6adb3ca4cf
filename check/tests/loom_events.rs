//! Loom models of strand's `Semaphore`, `ResetEvent`, `WaitGroup`, the park token (`Parker`),
//! the bounded channel and `Oneshot`: the library's own files, run under every interleaving loom
//! reaches (bounded where three threads meet) and every value its memory model lets a load
//! return.
//!
//! Data handed over by the primitive sits in `loom::cell::UnsafeCell`, so an access not ordered
//! after the previous one is reported: that is "what the releaser / setter / sender wrote is
//! visible to the one it let through". A sleeper nobody wakes makes loom report a deadlock, so
//! each model that ends is free of lost wake-ups. Items that count their drops check that the
//! channel drops what it still holds at a disconnection exactly once.

use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicUsize;
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use strand_check::sync::channel::{Channel, Oneshot, RecvError, RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError};
use strand_check::sync::{ResetEvent, Semaphore, WaitGroup, WaitGroupError};
use strand_check::thread::park::Parker;

mod common;
use common::{model, model_with_early_returns};

/// A value that is not atomic: every access is checked for a happens-before order with the
/// previous one.
struct Cell(UnsafeCell<u32>);

// SAFETY: only touched in the order the primitive under test is meant to give; loom reports
// any access it failed to order, which is the property being checked.
unsafe impl Sync for Cell {}

impl Cell {
    fn new(v: u32) -> Cell {
        Cell(UnsafeCell::new(v))
    }
    fn get(&self) -> u32 {
        // SAFETY: loom checks this read against every write (see the type).
        self.0.with(|p| unsafe { *p })
    }
    fn set(&self, v: u32) {
        // SAFETY: as in `get`.
        self.0.with_mut(|p| unsafe { *p = v })
    }
    /// Read, a point where others may run, write: two threads in here at once lose one.
    fn increment_slowly(&self) {
        let v = self.get();
        thread::yield_now();
        self.set(v + 1);
    }
}

// ---- Semaphore ------------------------------------------------------------------------------

/// A semaphore of one permit as a lock for three threads: exclusion, and the hand-over of the
/// permit (with two threads asleep at once, the case where WAITERS must outlive one release
/// and be cleared by the last sleeper to leave).
#[test]
fn semaphore_one_permit_excludes_and_wakes() {
    model(Some(3), || {
        let s = Arc::new((Semaphore::new(1), Cell::new(0)));
        let others: Vec<_> = (0..2)
            .map(|_| {
                let s = s.clone();
                thread::spawn(move || {
                    s.0.acquire();
                    s.1.increment_slowly();
                    s.0.release().unwrap();
                })
            })
            .collect();
        s.0.acquire();
        s.1.increment_slowly();
        s.0.release().unwrap();
        for t in others {
            t.join().unwrap();
        }
        assert_eq!(s.1.get(), 3);
        assert_eq!(s.0.available_permits(), 1);
    });
}

/// Two sleepers, permits given one at a time and two at once: every sleeper gets one, and
/// the last one out leaves the word unmarked (so releases stop making syscalls).
#[test]
fn semaphore_two_sleepers_each_get_a_permit() {
    for at_once in [false, true] {
        model(Some(2), move || {
            let s = Arc::new(Semaphore::new(0));
            let others: Vec<_> = (0..2)
                .map(|_| {
                    let s = s.clone();
                    thread::spawn(move || s.acquire())
                })
                .collect();
            if at_once {
                s.release_n(2).unwrap();
            } else {
                s.release().unwrap();
                s.release().unwrap();
            }
            for t in others {
                t.join().unwrap();
            }
            assert_eq!(s.available_permits(), 0);
            assert!(!s.try_acquire());
        });
    }
}

/// One sleeper, one release; the sleeper's wait may return without a wake, and must then
/// sleep again (or find the permit), never leave without it.
#[test]
fn semaphore_sleeper_survives_an_early_return() {
    model_with_early_returns(None, 1, || {
        let s = Arc::new((Semaphore::new(0), Cell::new(0)));
        let s2 = s.clone();
        let t = thread::spawn(move || {
            s2.0.acquire();
            assert_eq!(s2.1.get(), 1);
        });
        s.1.set(1);
        s.0.release().unwrap();
        t.join().unwrap();
        assert_eq!(s.0.available_permits(), 0);
    });
}

/// A timed acquire either takes the released permit or leaves it there, never both or neither.
#[test]
fn semaphore_timed_acquire_takes_or_leaves_the_permit() {
    model(None, || {
        let s = Arc::new(Semaphore::new(0));
        let s2 = s.clone();
        let t = thread::spawn(move || s2.acquire_timeout(Duration::from_secs(3600)));
        s.release().unwrap();
        let took = t.join().unwrap();
        assert_eq!(s.available_permits(), if took { 0 } else { 1 });
    });
}

// ---- ResetEvent -----------------------------------------------------------------------------

/// Two waiters and a setter that wrote data first: both return, both see the data; a reset
/// racing with them never hides them from the set (it only turns SET back).
#[test]
fn reset_event_wakes_every_waiter() {
    for reset_first in [false, true] {
        model(Some(3), move || {
            let e = Arc::new((ResetEvent::new(), Cell::new(0)));
            let waiters: Vec<_> = (0..2)
                .map(|_| {
                    let e = e.clone();
                    thread::spawn(move || {
                        e.0.wait();
                        assert_eq!(e.1.get(), 7);
                    })
                })
                .collect();
            if reset_first {
                e.0.reset();
            }
            e.1.set(7);
            e.0.set();
            for t in waiters {
                t.join().unwrap();
            }
            assert!(e.0.is_set());
            e.0.reset();
            assert!(!e.0.is_set());
        });
    }
}

/// A timed wait says "set" exactly when it saw the setter's write.
#[test]
fn reset_event_timed_wait() {
    model(None, || {
        let e = Arc::new((ResetEvent::new(), Cell::new(0)));
        let e2 = e.clone();
        let t = thread::spawn(move || {
            if e2.0.wait_timeout(Duration::from_secs(3600)) {
                assert_eq!(e2.1.get(), 1);
            }
        });
        e.1.set(1);
        e.0.set();
        t.join().unwrap();
    });
}

// ---- WaitGroup ------------------------------------------------------------------------------

/// Two workers counted in, each writing its own cell before `done`: the waiter returns only
/// after both, and sees both writes.
#[test]
fn wait_group_waits_for_every_done() {
    model(Some(3), || {
        let g = Arc::new((WaitGroup::new(), Cell::new(0), Cell::new(0)));
        g.0.add(2).unwrap();
        let w1 = {
            let g = g.clone();
            thread::spawn(move || {
                g.1.set(1);
                g.0.done().unwrap();
            })
        };
        let w2 = {
            let g = g.clone();
            thread::spawn(move || {
                g.2.set(2);
                g.0.done().unwrap();
            })
        };
        g.0.wait();
        assert_eq!((g.1.get(), g.2.get()), (1, 2));
        assert_eq!(g.0.done(), Err(WaitGroupError::NothingToDo));
        w1.join().unwrap();
        w2.join().unwrap();
    });
}

/// Two waiters at once (Zig's allows one): the last `done` wakes both.
#[test]
fn wait_group_two_waiters() {
    model(Some(3), || {
        let g = Arc::new((WaitGroup::new(), Cell::new(0)));
        g.0.add(1).unwrap();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let g = g.clone();
                thread::spawn(move || {
                    g.0.wait();
                    assert_eq!(g.1.get(), 5);
                })
            })
            .collect();
        g.1.set(5);
        g.0.done().unwrap();
        for t in waiters {
            t.join().unwrap();
        }
        assert!(g.0.is_done());
    });
}

/// A timed waiter returns true exactly when it saw the work done.
#[test]
fn wait_group_timed_wait() {
    model(None, || {
        let g = Arc::new((WaitGroup::new(), Cell::new(0)));
        g.0.add(1).unwrap();
        let g2 = g.clone();
        let t = thread::spawn(move || {
            if g2.0.wait_timeout(Duration::from_secs(3600)) {
                assert_eq!(g2.1.get(), 5);
            }
        });
        g.1.set(5);
        g.0.done().unwrap();
        t.join().unwrap();
    });
}

// ---- Parker ---------------------------------------------------------------------------------

/// The token: an unpark before, during or after the park ends exactly that park, with the
/// unparker's write visible.
#[test]
fn parker_token() {
    model(None, || {
        let p = Arc::new((Parker::new(), Cell::new(0)));
        let p2 = p.clone();
        let t = thread::spawn(move || {
            p2.0.park();
            assert_eq!(p2.1.get(), 1);
        });
        p.1.set(1);
        p.0.unpark();
        t.join().unwrap();
    });
}

/// Tokens do not add up: two unparks, then a park takes the one token and a timed park finds
/// none (it times out). And a timed park racing an unpark takes the token or leaves it, so the
/// next park either returns at once or would have to wait.
#[test]
fn parker_timed_park_takes_or_leaves_the_token() {
    model(None, || {
        let p = Arc::new(Parker::new());
        let p2 = p.clone();
        let t = thread::spawn(move || {
            let took = p2.park_timeout(Duration::from_secs(3600));
            // If it did not take it, the token must be there for the next park.
            if !took {
                p2.park();
            }
        });
        p.unpark();
        t.join().unwrap();
        let q = Parker::new();
        q.unpark();
        q.unpark();
        q.park();
        assert!(!q.park_timeout(Duration::from_secs(3600)));
    });
}

// ---- Channel --------------------------------------------------------------------------------

/// Counts drops, to check that the channel drops what it holds exactly once.
struct Item {
    drops: Arc<AtomicUsize>,
    n: u32,
}

impl Drop for Item {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Relaxed);
    }
}

/// A channel for one execution, with `'static` endpoints for loom's threads; `free` drops it
/// (running its `Drop`) once every endpoint is gone.
fn leak<T, const N: usize>() -> &'static Channel<T, N> {
    Box::leak(Box::new(Channel::new()))
}

fn free<T, const N: usize>(ch: &'static Channel<T, N>) {
    // SAFETY: made by `leak`; the caller has joined every thread and dropped every endpoint.
    drop(unsafe { Box::from_raw(ch as *const Channel<T, N> as *mut Channel<T, N>) });
}

/// A ring of one slot and two items: the sender finds the ring full and sleeps until the
/// receiver takes the first item (the full-ring hand-over, both ways round), and what the
/// sender wrote before each send is visible to the receiver after it.
#[test]
fn channel_full_ring_hand_over() {
    model(Some(3), || {
        let ch = leak::<u32, 1>();
        let data = Arc::new(Cell::new(0));
        let (tx, rx) = ch.split().unwrap();
        let d = data.clone();
        let t = thread::spawn(move || {
            d.set(1);
            tx.send(1).unwrap();
            tx.send(2).unwrap();
        });
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(data.get(), 1);
        assert_eq!(rx.recv(), Ok(2));
        t.join().unwrap();
        // The sender is gone and the ring is empty.
        assert_eq!(rx.recv(), Err(RecvError));
        drop(rx);
        free(ch);
    });
}

/// The last sender's drop wakes a receiver asleep on the empty ring: it drains what is left,
/// then reports the disconnection. Two senders, so the drops' counts race too.
#[test]
fn channel_senders_gone_wakes_the_receiver() {
    model(Some(2), || {
        let ch = leak::<u32, 2>();
        let (tx, rx) = ch.split().unwrap();
        let tx2 = tx.clone();
        let a = thread::spawn(move || {
            tx.send(1).unwrap();
        });
        let b = thread::spawn(move || drop(tx2));
        let mut got = 0;
        while let Ok(v) = rx.recv() {
            got += v;
        }
        assert_eq!(got, 1);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        a.join().unwrap();
        b.join().unwrap();
        drop(rx);
        free(ch);
    });
}

/// The last receiver's drop wakes a sender asleep on the full ring, which gets its value back;
/// the item left in the ring is dropped exactly once, by the receiver's drain or at the end,
/// and the value handed back is the sender's to drop. Nothing is dropped twice or lost.
#[test]
fn channel_receivers_gone_wakes_the_sender_and_drops_once() {
    model(Some(3), || {
        let drops = Arc::new(AtomicUsize::new(0));
        let ch = leak::<Item, 1>();
        let (tx, rx) = ch.split().unwrap();
        let d = drops.clone();
        let t = thread::spawn(move || {
            for n in [1, 2] {
                if let Err(e) = tx.send(Item { drops: d.clone(), n }) {
                    assert_eq!(e.0.n, n);
                }
            }
        });
        drop(rx);
        t.join().unwrap();
        free(ch);
        assert_eq!(drops.load(Relaxed), 2);
    });
}

/// A timed send on a full ring and a timed receive on an empty one end with the value back
/// or delivered, never lost (checked by counting drops).
#[test]
fn channel_timed_operations_lose_nothing() {
    model(Some(2), || {
        let drops = Arc::new(AtomicUsize::new(0));
        let ch = leak::<Item, 1>();
        let (tx, rx) = ch.split().unwrap();
        tx.try_send(Item { drops: drops.clone(), n: 1 }).unwrap();
        assert!(matches!(tx.try_send(Item { drops: drops.clone(), n: 9 }), Err(TrySendError::Full(_))));
        let d = drops.clone();
        let t = thread::spawn(move || match tx.send_timeout(Item { drops: d, n: 2 }, Duration::from_secs(3600)) {
            Ok(()) => 1,
            Err(SendTimeoutError::Timeout(v)) => {
                assert_eq!(v.n, 2);
                0
            }
            Err(SendTimeoutError::Disconnected(_)) => panic!("the receiver is still there"),
        });
        let mut got = 0;
        loop {
            match rx.recv_timeout(Duration::from_secs(3600)) {
                Ok(v) => {
                    got += 1;
                    assert!(v.n == 1 || v.n == 2);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        let sent = t.join().unwrap();
        assert_eq!(got, 1 + sent);
        drop(rx);
        free(ch);
        assert_eq!(drops.load(Relaxed), 3);
    });
}

// ---- Oneshot --------------------------------------------------------------------------------

/// The value arrives with what the sender wrote first, or, if the sender drops instead, the
/// receiver asleep on it is woken with the disconnection.
#[test]
fn oneshot_send_or_drop_wakes_the_receiver() {
    for send in [true, false] {
        model_with_early_returns(None, 1, move || {
            let one: &'static Oneshot<u32> = Box::leak(Box::new(Oneshot::new()));
            let data = Arc::new(Cell::new(0));
            let (tx, rx) = one.split().unwrap();
            let d = data.clone();
            let t = thread::spawn(move || {
                d.set(3);
                if send {
                    tx.send(3).unwrap();
                } else {
                    drop(tx);
                }
            });
            match rx.recv() {
                Ok(v) => {
                    assert!(send);
                    assert_eq!((v, data.get()), (3, 3));
                }
                Err(RecvError) => assert!(!send),
            }
            t.join().unwrap();
        });
    }
}

/// A receiver dropped while the sender sends: the value is dropped exactly once, by the
/// receiver (it came first) or by the sender (it got it back).
#[test]
fn oneshot_receiver_gone_drops_once() {
    model(None, || {
        let drops = Arc::new(AtomicUsize::new(0));
        let one: &'static Oneshot<Item> = Box::leak(Box::new(Oneshot::new()));
        let (tx, rx) = one.split().unwrap();
        let d = drops.clone();
        let t = thread::spawn(move || {
            let _ = tx.send(Item { drops: d, n: 1 });
        });
        drop(rx);
        t.join().unwrap();
        assert_eq!(drops.load(Relaxed), 1);
        // SAFETY: made by Box::leak above; both ends are gone.
        drop(unsafe { Box::from_raw(one as *const Oneshot<Item> as *mut Oneshot<Item>) });
        assert_eq!(drops.load(Relaxed), 1);
    });
}
