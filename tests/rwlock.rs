//! RwLock, Barrier, ReentrantMutex and LazyLock under real contention, with exact totals, and
//! the race windows that matter (a writer asleep behind a reader, a downgrade with a writer or
//! a reader asleep) forced by waiting until the thread is seen asleep in /proc.
#![no_std]
#![no_main]

#[macro_use]
mod common;

use common::{Test, TestResult};
use core::cell::Cell;
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering::SeqCst};
use core::time::Duration;
use strand::sync::{Barrier, LazyLock, ReentrantMutex, RwLock, RwLockWriteGuard};
use strand::thread::{self, JoinHandle};
use strand::time::Instant;

strand::main!(main);

const TESTS: &[Test] = &[
    ("rwlock_readers_and_writers_exact_totals", rwlock_readers_and_writers_exact_totals),
    ("rwlock_readers_share", rwlock_readers_share),
    ("rwlock_try_results", rwlock_try_results),
    ("rwlock_a_sleeping_writer_blocks_new_readers", rwlock_a_sleeping_writer_blocks_new_readers),
    ("rwlock_downgrade_keeps_writers_out", rwlock_downgrade_keeps_writers_out),
    ("rwlock_downgrade_wakes_sleeping_readers", rwlock_downgrade_wakes_sleeping_readers),
    ("rwlock_lock_api", rwlock_lock_api),
    ("barrier_many_generations_one_leader_each", barrier_many_generations_one_leader_each),
    ("barrier_of_one_always_leads", barrier_of_one_always_leads),
    ("reentrant_mutex_counts_and_excludes", reentrant_mutex_counts_and_excludes),
    ("reentrant_mutex_lock_api", reentrant_mutex_lock_api),
    ("lazy_lock_initialises_once", lazy_lock_initialises_once),
];

fn main() -> i32 {
    common::run("rwlock", TESTS)
}

fn spawn_err(e: thread::SpawnError) -> common::Failure {
    common::Failure::new(format_args!("spawn failed: {e}"))
}

/// Ends the process with a failure line if a test still runs after `secs`: a lost wake-up
/// fails in seconds instead of hanging.
struct Watchdog {
    done: &'static AtomicU32,
    thread: Option<JoinHandle<()>>,
}

static WATCHDOG_DONE: AtomicU32 = AtomicU32::new(0);

impl Watchdog {
    fn start(what: &'static str, secs: u64) -> Result<Watchdog, common::Failure> {
        let done = &WATCHDOG_DONE;
        done.store(0, SeqCst);
        let h = thread::spawn(move || {
            let start = Instant::now();
            while done.load(SeqCst) == 0 {
                let Some(left) = Duration::from_secs(secs).checked_sub(start.elapsed()) else {
                    strand::println!("test rwlock::{what} ... FAILED: still running after {secs} s (a lost wake-up?)");
                    strand::syscall::exit_group(1);
                };
                strand::futex::wait_private(done, 0, Some(left));
            }
        })
        .map_err(spawn_err)?;
        Ok(Watchdog { done, thread: Some(h) })
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(1, SeqCst);
        strand::futex::wake_private(self.done, 1);
        if let Some(h) = self.thread.take() {
            let _ = h.join();
        }
    }
}

/// Spawns `N` threads running `f(i)` and joins them.
fn run_threads<const N: usize>(f: fn(usize)) -> TestResult {
    let mut handles: [Option<JoinHandle<()>>; N] = [const { None }; N];
    for (i, h) in handles.iter_mut().enumerate() {
        *h = Some(thread::spawn(move || f(i)).map_err(spawn_err)?);
    }
    for h in handles.iter_mut() {
        h.take().unwrap().join()?;
    }
    Ok(())
}

/// Waits (bounded) until thread `tid` sleeps, as a futex waiter does.
fn wait_asleep(tid: &AtomicI32) -> bool {
    common::eventually(20, || {
        let t = tid.load(SeqCst);
        t != 0 && common::thread_state(t) == Some(b'S')
    })
}

// ---- RwLock ----------------------------------------------------------------------------------

/// Writers add to two fields that must stay in step; readers check the step under the read
/// lock, which fails if a read overlaps a write. The totals are exact.
fn rwlock_readers_and_writers_exact_totals() -> TestResult {
    const WRITERS: usize = 3;
    const READERS: usize = 3;
    const ITERS: u64 = 20_000;
    static L: RwLock<(u64, u64)> = RwLock::new((0, 0));
    static TORN: AtomicU32 = AtomicU32::new(0);
    static READS: AtomicU32 = AtomicU32::new(0);
    let _w = Watchdog::start("rwlock_readers_and_writers_exact_totals", 120)?;
    run_threads::<{ WRITERS + READERS }>(|i| {
        if i < WRITERS {
            for n in 0..ITERS {
                let mut g = L.write();
                g.0 += 1;
                if n % 64 == 0 {
                    core::hint::spin_loop();
                }
                g.1 += 2;
            }
        } else {
            for n in 0..ITERS {
                let g = if n % 16 == 0 { L.try_read().unwrap_or_else(|| L.read()) } else { L.read() };
                if g.1 != 2 * g.0 {
                    TORN.fetch_add(1, SeqCst);
                }
                READS.fetch_add(1, SeqCst);
            }
        }
    })?;
    check_eq!(TORN.load(SeqCst), 0);
    check_eq!(READS.load(SeqCst) as u64, READERS as u64 * ITERS);
    let g = L.read();
    check_eq!(*g, (WRITERS as u64 * ITERS, 2 * WRITERS as u64 * ITERS));
    drop(g);
    check!(!L.is_locked());
    Ok(())
}

/// Two threads hold read locks at the same time: the second reader gets in (without waiting)
/// while the first holds, and a writer's `try_write` fails meanwhile.
fn rwlock_readers_share() -> TestResult {
    let l = RwLock::new(5u32);
    let r = l.read();
    let (shared, write_failed) = thread::scope(|s| {
        s.spawn(|| (l.try_read().map(|g| *g), l.try_write().is_none())).map_err(spawn_err)?.join().map_err(common::Failure::from)
    })?;
    drop(r);
    check_eq!(shared, Some(5));
    check!(write_failed, "try_write succeeded while another thread read");
    Ok(())
}

/// `try_read`/`try_write` against every kind of holder, `is_locked`, `get_mut`, `into_inner`.
fn rwlock_try_results() -> TestResult {
    let mut l = RwLock::new(1u32);
    check!(!l.is_locked());
    {
        let r = l.try_read().ok_or_else(|| common::Failure::new(format_args!("try_read failed on a free lock")))?;
        check!(l.is_locked() && !l.is_locked_exclusive());
        check!(l.try_write().is_none(), "try_write succeeded under a reader");
        check!(l.try_read().is_some(), "a second try_read failed under a reader");
        drop(r);
    }
    {
        let mut w = l.try_write().ok_or_else(|| common::Failure::new(format_args!("try_write failed on a free lock")))?;
        check!(l.is_locked_exclusive());
        check!(l.try_read().is_none(), "try_read succeeded under a writer");
        check!(l.try_write().is_none(), "try_write succeeded under a writer");
        *w += 1;
    }
    *l.get_mut() += 1;
    check!(!l.is_locked());
    check_eq!(l.into_inner(), 3);
    Ok(())
}

/// Writer preference, forced: a reader holds the lock, a writer is seen asleep waiting for it;
/// then a third thread's `try_read` fails and its `read` sleeps too, and when the first reader
/// leaves, the writer gets in before that reader, which reads the writer's value.
fn rwlock_a_sleeping_writer_blocks_new_readers() -> TestResult {
    let _w = Watchdog::start("rwlock_a_sleeping_writer_blocks_new_readers", 60)?;
    let l = RwLock::new(0u32);
    let (writer_tid, reader_tid) = (AtomicI32::new(0), AtomicI32::new(0));
    let r = l.read();
    thread::scope(|s| -> TestResult {
        let w = s
            .spawn(|| {
                writer_tid.store(thread::current_tid(), SeqCst);
                *l.write() += 1;
            })
            .map_err(spawn_err)?;
        check!(wait_asleep(&writer_tid), "the writer never went to sleep behind the reader");
        let tried = s.spawn(|| l.try_read().is_some()).map_err(spawn_err)?.join()?;
        check!(!tried, "try_read got in ahead of a sleeping writer");
        let late_reader = s
            .spawn(|| {
                reader_tid.store(thread::current_tid(), SeqCst);
                *l.read()
            })
            .map_err(spawn_err)?;
        check!(wait_asleep(&reader_tid), "a new reader was not kept waiting behind the writer");
        drop(r);
        w.join()?;
        check_eq!(late_reader.join()?, 1);
        Ok(())
    })?;
    check!(!l.is_locked());
    Ok(())
}

/// A writer asleep behind a write lock stays out across the holder's downgrade (the data the
/// downgraded guard reads is the holder's), a new `try_read` fails meanwhile (the writer waits),
/// and the writer gets in when the read guard goes.
fn rwlock_downgrade_keeps_writers_out() -> TestResult {
    let _w = Watchdog::start("rwlock_downgrade_keeps_writers_out", 60)?;
    let l = RwLock::new(0u32);
    let writer_tid = AtomicI32::new(0);
    let wrote = AtomicU32::new(0);
    let mut g = l.write();
    thread::scope(|s| -> TestResult {
        let w = s
            .spawn(|| {
                writer_tid.store(thread::current_tid(), SeqCst);
                *l.write() += 10;
                wrote.store(1, SeqCst);
            })
            .map_err(spawn_err)?;
        check!(wait_asleep(&writer_tid), "the second writer never went to sleep");
        *g = 1;
        let r = RwLockWriteGuard::downgrade(g);
        // Give a wrongly woken writer the time to get in.
        thread::sleep(Duration::from_millis(20));
        check_eq!(*r, 1);
        check_eq!(wrote.load(SeqCst), 0);
        check!(!l.is_locked_exclusive());
        let tried = s.spawn(|| l.try_read().is_some()).map_err(spawn_err)?.join()?;
        check!(!tried, "try_read got in while a writer waited behind the downgraded guard");
        drop(r);
        w.join()?;
        Ok(())
    })?;
    check_eq!(l.into_inner(), 11);
    Ok(())
}

/// A reader asleep behind a writer is woken by the downgrade and reads the written value while
/// the downgraded guard is still held (two readers at once).
fn rwlock_downgrade_wakes_sleeping_readers() -> TestResult {
    let _w = Watchdog::start("rwlock_downgrade_wakes_sleeping_readers", 60)?;
    let l = RwLock::new(0u32);
    let reader_tid = AtomicI32::new(0);
    let read = AtomicU32::new(u32::MAX);
    let mut g = l.write();
    thread::scope(|s| -> TestResult {
        let h = s
            .spawn(|| {
                reader_tid.store(thread::current_tid(), SeqCst);
                read.store(*l.read(), SeqCst);
                strand::futex::wake_private(&read, 1);
            })
            .map_err(spawn_err)?;
        check!(wait_asleep(&reader_tid), "the reader never went to sleep behind the writer");
        *g = 7;
        let r = RwLockWriteGuard::downgrade(g);
        let woke = common::eventually(20, || read.load(SeqCst) != u32::MAX);
        drop(r);
        h.join()?;
        check!(woke, "the downgrade did not let the sleeping reader in beside it");
        check_eq!(read.load(SeqCst), 7);
        Ok(())
    })?;
    Ok(())
}

#[cfg(feature = "lock_api")]
fn rwlock_lock_api() -> TestResult {
    type L<T> = lock_api::RwLock<strand::sync::RawRwLock, T>;
    static LOCK: L<(u64, u64)> = L::const_new(strand::sync::RawRwLock::new(), (0, 0));
    static TORN: AtomicU32 = AtomicU32::new(0);
    let _w = Watchdog::start("rwlock_lock_api", 120)?;
    run_threads::<4>(|i| {
        for _ in 0..5000 {
            if i % 2 == 0 {
                let mut g = LOCK.write();
                g.0 += 1;
                g.1 += 1;
                let r = lock_api::RwLockWriteGuard::downgrade(g);
                if r.0 != r.1 {
                    TORN.fetch_add(1, SeqCst);
                }
            } else {
                let r = LOCK.read();
                if r.0 != r.1 {
                    TORN.fetch_add(1, SeqCst);
                }
            }
        }
    })?;
    check_eq!(TORN.load(SeqCst), 0);
    check_eq!(*LOCK.read(), (10_000, 10_000));
    check!(LOCK.try_write().is_some() && !LOCK.is_locked());
    let r = LOCK.read();
    check!(LOCK.is_locked() && !LOCK.is_locked_exclusive() && LOCK.try_write().is_none());
    drop(r);
    Ok(())
}

#[cfg(not(feature = "lock_api"))]
fn rwlock_lock_api() -> TestResult {
    Err(common::Failure::new(format_args!("built without the lock_api feature: build the tests with --features lock_api")))
}

// ---- Barrier ---------------------------------------------------------------------------------

/// Four threads through one barrier for many rounds: each round has exactly one leader, and
/// nobody leaves a round before everyone has arrived in it.
fn barrier_many_generations_one_leader_each() -> TestResult {
    const THREADS: usize = 4;
    const ROUNDS: usize = 2000;
    static B: Barrier = Barrier::new(THREADS);
    static LEADERS: [AtomicU32; ROUNDS] = [const { AtomicU32::new(0) }; ROUNDS];
    static ARRIVED: AtomicU32 = AtomicU32::new(0);
    static EARLY: AtomicU32 = AtomicU32::new(0);
    let _w = Watchdog::start("barrier_many_generations_one_leader_each", 120)?;
    run_threads::<THREADS>(|i| {
        for round in 0..ROUNDS {
            ARRIVED.fetch_add(1, SeqCst);
            // Vary who comes last, and now and then make the others sleep.
            if round % 7 == i {
                thread::yield_now();
            }
            if round % 97 == i {
                thread::sleep(Duration::from_micros(200));
            }
            if B.wait().is_leader() {
                LEADERS[round].fetch_add(1, SeqCst);
            }
            if ARRIVED.load(SeqCst) < ((round + 1) * THREADS) as u32 {
                EARLY.fetch_add(1, SeqCst);
            }
        }
    })?;
    check_eq!(EARLY.load(SeqCst), 0);
    if let Some(r) = LEADERS.iter().position(|l| l.load(SeqCst) != 1) {
        return Err(common::Failure::new(format_args!("round {r} had {} leaders", LEADERS[r].load(SeqCst))));
    }
    Ok(())
}

fn barrier_of_one_always_leads() -> TestResult {
    for n in [0, 1] {
        let b = Barrier::new(n);
        for _ in 0..3 {
            check!(b.wait().is_leader(), "a barrier of {n} did not make its only thread leader");
        }
    }
    Ok(())
}

// ---- ReentrantMutex --------------------------------------------------------------------------

/// Each thread locks three deep and adds under each level; another thread's `try_lock` fails
/// and its `lock` waits until the holder's last guard is gone. Totals exact.
fn reentrant_mutex_counts_and_excludes() -> TestResult {
    const THREADS: usize = 4;
    const ITERS: u32 = 5000;
    static M: ReentrantMutex<Cell<u32>> = ReentrantMutex::new(Cell::new(0));
    static BAD_COUNT: AtomicU32 = AtomicU32::new(0);
    let _w = Watchdog::start("reentrant_mutex_counts_and_excludes", 120)?;
    run_threads::<THREADS>(|_| {
        for _ in 0..ITERS {
            let a = M.lock();
            let before = a.get();
            let b = M.lock();
            let c = M.try_lock().expect("the holder's try_lock");
            if M.lock_count() != 3 {
                BAD_COUNT.fetch_add(1, SeqCst);
            }
            c.set(c.get() + 1);
            drop(c);
            b.set(b.get() + 1);
            drop(b);
            a.set(a.get() + 1);
            if a.get() != before + 3 {
                BAD_COUNT.fetch_add(1, SeqCst);
            }
        }
    })?;
    check_eq!(BAD_COUNT.load(SeqCst), 0);
    check_eq!(M.lock().get(), 3 * THREADS as u32 * ITERS);
    check!(!M.is_locked() && M.lock_count() == 0);

    // Forced: the holder has two guards; the other thread sleeps until both are gone.
    let m = ReentrantMutex::new(Cell::new(0u32));
    let tid = AtomicI32::new(0);
    let got = AtomicU32::new(0);
    let a = m.lock();
    let b = m.lock();
    thread::scope(|s| -> TestResult {
        let h = s
            .spawn(|| {
                let none = m.try_lock().is_none();
                tid.store(thread::current_tid(), SeqCst);
                let g = m.lock();
                got.store(1, SeqCst);
                (none, g.get())
            })
            .map_err(spawn_err)?;
        check!(wait_asleep(&tid), "the other thread never slept waiting for the mutex");
        a.set(1);
        drop(a);
        // Give a wrongly released mutex the time to change hands.
        thread::sleep(Duration::from_millis(20));
        check!(got.load(SeqCst) == 0, "the mutex changed hands before its holder's last guard went");
        b.set(2);
        drop(b);
        let (none, seen) = h.join()?;
        check!(none, "another thread's try_lock succeeded while the mutex was held");
        check_eq!(seen, 2);
        Ok(())
    })?;
    Ok(())
}

#[cfg(feature = "lock_api")]
fn reentrant_mutex_lock_api() -> TestResult {
    use strand::sync::{RawMutex, RawThreadId};
    type M<T> = lock_api::ReentrantMutex<RawMutex, RawThreadId, T>;
    static LOCK: M<Cell<u64>> = M::const_new(RawMutex::new(), RawThreadId, Cell::new(0));
    let _w = Watchdog::start("reentrant_mutex_lock_api", 120)?;
    run_threads::<4>(|_| {
        for _ in 0..5000 {
            let a = LOCK.lock();
            let b = LOCK.lock();
            b.set(b.get() + 1);
            drop(b);
            a.set(a.get() + 1);
        }
    })?;
    check_eq!(LOCK.lock().get(), 40_000);
    check!(!LOCK.is_locked());
    let g = LOCK.lock();
    check!(LOCK.is_owned_by_current_thread() && LOCK.try_lock().is_some());
    drop(g);
    Ok(())
}

#[cfg(not(feature = "lock_api"))]
fn reentrant_mutex_lock_api() -> TestResult {
    Err(common::Failure::new(format_args!("built without the lock_api feature: build the tests with --features lock_api")))
}

// ---- LazyLock --------------------------------------------------------------------------------

/// Four threads force one `LazyLock` whose initialiser is slow: it runs once, and every thread
/// reads its value.
fn lazy_lock_initialises_once() -> TestResult {
    static RUNS: AtomicU32 = AtomicU32::new(0);
    static SEEN: AtomicU32 = AtomicU32::new(0);
    static LAZY: LazyLock<u64> = LazyLock::new(|| {
        RUNS.fetch_add(1, SeqCst);
        thread::sleep(Duration::from_millis(20));
        41
    });
    let _w = Watchdog::start("lazy_lock_initialises_once", 60)?;
    check!(LazyLock::get(&LAZY).is_none());
    run_threads::<4>(|_| {
        if *LAZY + 1 == 42 {
            SEEN.fetch_add(1, SeqCst);
        }
    })?;
    check_eq!(RUNS.load(SeqCst), 1);
    check_eq!(SEEN.load(SeqCst), 4);
    check_eq!(LazyLock::get(&LAZY).copied(), Some(41));
    Ok(())
}
