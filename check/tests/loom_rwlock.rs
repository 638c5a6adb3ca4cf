//! Loom models of strand's `RwLock`, `Barrier`, `ReentrantMutex` and `LazyLock`: the library's
//! own files (see src/lib.rs), under every interleaving loom reaches.
//!
//! Shared data lives in `loom::cell::UnsafeCell`, so a read that overlaps a write, or a hand-over
//! without a happens-before edge, is reported; a sleeper nobody wakes is reported as a deadlock.
//! Two-thread models are exhaustive (and let one futex wait return early, as after a signal);
//! three-thread ones bound the preemptions, as loom_sync.rs does. The RwLock has no timed
//! waits, so there is no timed model.

use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicUsize;
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use strand_check::sync::{Barrier, LazyLock, RawRwLock, ReentrantMutex, RwLock, RwLockWriteGuard};

mod common;
use common::model as check;
use common::model_with_early_returns;

/// A counter that is not atomic: loom checks every access for a happens-before order with the
/// previous conflicting one.
struct Counter(UnsafeCell<u32>);

// SAFETY: only touched through the primitive under test; loom reports any access it failed to
// order, which is the property being checked.
unsafe impl Sync for Counter {}
// SAFETY: as above.
unsafe impl Send for Counter {}

impl Counter {
    fn new(v: u32) -> Counter {
        Counter(UnsafeCell::new(v))
    }

    fn get(&self) -> u32 {
        // SAFETY: loom checks this read against every write (see the type).
        self.0.with(|p| unsafe { *p })
    }

    /// A read, a point where any other thread may run, then the write.
    fn increment_slowly(&self) {
        let v = self.get();
        thread::yield_now();
        // SAFETY: as in `get`.
        self.0.with_mut(|p| unsafe { *p = v + 1 });
    }
}

/// A reader and a writer, every interleaving (and a futex wait that returns early): the reader
/// sees 0 or 1, never a write in progress, and nobody sleeps forever.
#[test]
fn rwlock_reader_and_writer_exclude() {
    model_with_early_returns(None, 1, || {
        let l = Arc::new(RwLock::new(Counter::new(0)));
        let l2 = l.clone();
        let w = thread::spawn(move || l2.write().increment_slowly());
        let seen = {
            let r = l.read();
            let v = r.get();
            thread::yield_now();
            assert_eq!(r.get(), v, "the value changed under a read lock");
            v
        };
        assert!(seen <= 1);
        w.join().unwrap();
        assert_eq!(l.read().get(), 1);
        assert!(!l.is_locked());
    });
}

/// Two writers and a reader: the writers' increments are both kept, the reader never overlaps
/// either, and every sleeper (a writer on the notify word, the reader on the state) is woken.
#[test]
fn rwlock_two_writers_and_a_reader() {
    check(Some(3), || {
        let l = Arc::new(RwLock::new(Counter::new(0)));
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let l = l.clone();
                thread::spawn(move || l.write().increment_slowly())
            })
            .collect();
        let v = l.read().get();
        assert!(v <= 2);
        for w in writers {
            w.join().unwrap();
        }
        assert_eq!(l.read().get(), 2);
        assert!(!l.is_locked());
    });
}

/// Two readers and a writer, where the readers hold the lock together across a yield: the
/// writer waits for both (the last one out wakes it), and each reader's fast-path try that meets
/// the waiting writer is taken back without losing the writer's wake-up.
#[test]
fn rwlock_two_readers_and_a_writer() {
    check(Some(3), || {
        let l = Arc::new(RwLock::new(Counter::new(0)));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let l = l.clone();
                thread::spawn(move || {
                    let r = l.read();
                    let v = r.get();
                    thread::yield_now();
                    assert_eq!(r.get(), v);
                })
            })
            .collect();
        l.write().increment_slowly();
        for r in readers {
            r.join().unwrap();
        }
        assert_eq!(l.read().get(), 1);
        assert!(!l.is_locked());
    });
}

/// Writer preference: while a reader holds the lock and a writer waits for it, a new reader
/// is kept out (`try_read` fails); once the first reader leaves, the writer gets in before the
/// new reader, which then sees its write.
#[test]
fn rwlock_a_waiting_writer_keeps_new_readers_out() {
    check(Some(3), || {
        let raw = Arc::new(RawRwLock::new());
        let data = Arc::new(Counter::new(0));
        raw.read();
        let (raw2, data2) = (raw.clone(), data.clone());
        let w = thread::spawn(move || {
            raw2.write();
            data2.increment_slowly();
            // SAFETY: taken above.
            unsafe { raw2.write_unlock() };
        });
        // Until the writer has marked itself waiting.
        while !format!("{raw:?}").contains("writers_waiting: true") {
            thread::yield_now();
        }
        assert!(!raw.try_read(), "a new reader got in ahead of a waiting writer");
        let (raw3, data3) = (raw.clone(), data.clone());
        let r = thread::spawn(move || {
            raw3.read();
            let v = data3.get();
            // SAFETY: taken above.
            unsafe { raw3.read_unlock() };
            v
        });
        // SAFETY: taken at the start.
        unsafe { raw.read_unlock() };
        w.join().unwrap();
        // The late reader reads after the writer, unless the writer had marked itself but not
        // yet gone to sleep when the lock came free: a wake that finds no writer asleep clears
        // the mark (the writer then retries), and the reader may be first.
        assert!(r.join().unwrap() <= 1);
        assert!(!raw.is_locked());
    });
}

/// Downgrade: the writer's value is what its read guard reads, a second writer never gets in
/// between (it would overwrite the cell under the read guard, which loom reports), and the
/// second writer gets in after the read guard goes.
#[test]
fn rwlock_downgrade_keeps_writers_out() {
    model_with_early_returns(None, 1, || {
        let l = Arc::new(RwLock::new(Counter::new(0)));
        let l2 = l.clone();
        let other = thread::spawn(move || l2.write().increment_slowly());
        let w = l.write();
        w.increment_slowly();
        let mine = w.get();
        let r = RwLockWriteGuard::downgrade(w);
        thread::yield_now();
        assert_eq!(r.get(), mine, "a writer got in between the downgrade and the read");
        drop(r);
        other.join().unwrap();
        assert_eq!(l.read().get(), 2);
        assert!(!l.is_locked());
    });
}

/// Downgrade with a reader asleep behind the writer: the downgrade wakes it, and it reads the
/// written value alongside the downgraded guard.
#[test]
fn rwlock_downgrade_wakes_waiting_readers() {
    model_with_early_returns(None, 1, || {
        let l = Arc::new(RwLock::new(Counter::new(0)));
        let w = l.write();
        let l2 = l.clone();
        let reader = thread::spawn(move || l2.read().get());
        w.increment_slowly();
        let r = RwLockWriteGuard::downgrade(w);
        assert_eq!(r.get(), 1);
        assert_eq!(reader.join().unwrap(), 1);
        drop(r);
        assert!(!l.is_locked());
    });
}

/// `try_read` and `try_write` succeed only when they should, and what they get is ordered after
/// the other thread's hold.
#[test]
fn rwlock_try_locks_exclude() {
    model_with_early_returns(Some(3), 1, || {
        let l = Arc::new(RwLock::new(Counter::new(0)));
        let l2 = l.clone();
        let t = thread::spawn(move || l2.write().increment_slowly());
        let wrote = match l.try_write() {
            Some(g) => {
                g.increment_slowly();
                1
            }
            None => 0,
        };
        if let Some(r) = l.try_read() {
            assert!(r.get() >= wrote);
        }
        t.join().unwrap();
        assert_eq!(l.read().get(), 1 + wrote);
    });
}

/// Two threads through a barrier of two for two generations: one leader per generation, and
/// each thread reads after the barrier what the other wrote before it (the cells, one per
/// thread and round, are not atomic: loom reports a read not ordered after the write).
#[test]
fn barrier_two_generations_one_leader_each() {
    model_with_early_returns(Some(3), 1, || {
        let b = Arc::new(Barrier::new(2));
        let cells = Arc::new([[Counter::new(0), Counter::new(0)], [Counter::new(0), Counter::new(0)]]);
        let leaders = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        type Cells = Arc<[[Counter; 2]; 2]>;
        let run = |me: usize, b: Arc<Barrier>, cells: Cells, leaders: Arc<[AtomicUsize; 2]>| {
            for round in 0..2 {
                cells[round][me].increment_slowly();
                if b.wait().is_leader() {
                    leaders[round].fetch_add(1, SeqCst);
                }
                assert_eq!(cells[round][1 - me].get(), 1, "a write before the barrier was not seen after it");
            }
        };
        let (b2, c2, l2) = (b.clone(), cells.clone(), leaders.clone());
        let t = thread::spawn(move || run(1, b2, c2, l2));
        run(0, b, cells, leaders.clone());
        t.join().unwrap();
        assert_eq!(leaders[0].load(SeqCst), 1, "one leader per generation");
        assert_eq!(leaders[1].load(SeqCst), 1, "one leader per generation");
    });
}

/// Three threads, barrier of three: exactly one leader, and nobody leaves before all came.
#[test]
fn barrier_three_threads_one_leader() {
    check(Some(3), || {
        let b = Arc::new(Barrier::new(3));
        let arrived = Arc::new(AtomicUsize::new(0));
        let leaders = Arc::new(AtomicUsize::new(0));
        let go = |b: Arc<Barrier>, arrived: Arc<AtomicUsize>, leaders: Arc<AtomicUsize>| {
            arrived.fetch_add(1, Relaxed);
            if b.wait().is_leader() {
                leaders.fetch_add(1, Relaxed);
            }
            assert_eq!(arrived.load(Relaxed), 3, "left the barrier before everyone arrived");
        };
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let (b, a, l) = (b.clone(), arrived.clone(), leaders.clone());
                thread::spawn(move || go(b, a, l))
            })
            .collect();
        go(b, arrived, leaders.clone());
        for t in ts {
            t.join().unwrap();
        }
        assert_eq!(leaders.load(Relaxed), 1);
    });
}

/// The holder relocks without waiting; the other thread waits for the last guard and sees both
/// increments made under it.
#[test]
fn reentrant_mutex_hands_over_after_the_last_guard() {
    model_with_early_returns(None, 1, || {
        let m = Arc::new(ReentrantMutex::new(Counter::new(0)));
        let m2 = m.clone();
        let t = thread::spawn(move || {
            let g = m2.lock();
            let v = g.get();
            assert!(v == 0 || v == 2, "entered between the other thread's two guards");
            g.increment_slowly();
        });
        {
            let a = m.lock();
            a.increment_slowly();
            let b = m.lock();
            assert_eq!(m.lock_count(), 2);
            b.increment_slowly();
        }
        t.join().unwrap();
        assert_eq!(m.lock().get(), 3);
        assert!(!m.is_locked());
    });
}

/// Two threads force one `LazyLock`: the initialiser runs once and both read its value.
#[test]
fn lazy_lock_initialises_once() {
    model_with_early_returns(None, 1, || {
        let runs = Arc::new(AtomicUsize::new(0));
        let r2 = runs.clone();
        let lazy = Arc::new(LazyLock::new(move || {
            r2.fetch_add(1, Relaxed);
            Counter::new(7)
        }));
        let l2 = lazy.clone();
        let t = thread::spawn(move || l2.get());
        assert_eq!(lazy.get(), 7);
        assert_eq!(t.join().unwrap(), 7);
        assert_eq!(runs.load(Relaxed), 1);
    });
}
