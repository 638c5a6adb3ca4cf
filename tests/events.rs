//! Semaphore, ResetEvent, WaitGroup and thread parking on real threads: sleepers forced to be
//! asleep (seen in /proc) before the wake that must reach them, every wait bounded so that a
//! lost wake-up fails instead of hanging, timeouts measured.
#![no_std]
#![no_main]

#[macro_use]
mod common;

use common::{Failure, Gate, Test, TestResult};
use core::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize, Ordering::SeqCst};
use core::time::Duration;
use strand::sync::{ResetEvent, Semaphore, TooManyPermits, WaitGroup, WaitGroupError};
use strand::thread::{self, Thread};
use strand::time::Instant;

strand::main!(main);

const TESTS: &[Test] = &[
    ("semaphore_counts_permits", semaphore_counts_permits),
    ("semaphore_overflow_is_reported", semaphore_overflow_is_reported),
    ("semaphore_release_wakes_sleepers", semaphore_release_wakes_sleepers),
    ("semaphore_acquire_timeout_times_out", semaphore_acquire_timeout_times_out),
    ("semaphore_bounds_concurrency_exactly", semaphore_bounds_concurrency_exactly),
    ("reset_event_set_wakes_every_waiter", reset_event_set_wakes_every_waiter),
    ("reset_event_reset_and_timed_wait", reset_event_reset_and_timed_wait),
    ("wait_group_waits_for_every_done", wait_group_waits_for_every_done),
    ("wait_group_misuse_is_reported", wait_group_misuse_is_reported),
    ("park_unpark_before_park_returns_at_once", park_unpark_before_park_returns_at_once),
    ("unpark_wakes_a_parked_thread", unpark_wakes_a_parked_thread),
    ("park_timeout_waits_and_tokens_do_not_add_up", park_timeout_waits_and_tokens_do_not_add_up),
    ("unpark_of_an_exited_thread_is_harmless", unpark_of_an_exited_thread_is_harmless),
];

fn main() -> i32 {
    common::run("events", TESTS)
}

/// How long a wait that must end may last before it counts as a lost wake-up.
const BOUND: Duration = Duration::from_secs(10);

fn spawn_err(e: thread::SpawnError) -> Failure {
    Failure::new(format_args!("spawn failed: {e}"))
}

/// Waits until the thread `tid` sleeps (state `S` in /proc), so that the wake that follows
/// must reach a sleeper rather than a thread still on its way to the futex.
fn wait_asleep(tid: &AtomicI32) -> bool {
    common::eventually(10, || {
        let t = tid.load(SeqCst);
        t != 0 && common::thread_state(t) == Some(b'S')
    })
}

fn semaphore_counts_permits() -> TestResult {
    let s = Semaphore::new(2);
    check!(s.try_acquire() && s.try_acquire());
    check!(!s.try_acquire(), "a third permit out of two");
    check_eq!(s.available_permits(), 0);
    s.release_n(2).map_err(|e| Failure::new(format_args!("{e}")))?;
    check_eq!(s.available_permits(), 2);
    s.acquire();
    check_eq!(s.available_permits(), 1);
    Ok(())
}

fn semaphore_overflow_is_reported() -> TestResult {
    let s = Semaphore::new(Semaphore::MAX_PERMITS - 1);
    check_eq!(s.release(), Ok(()));
    check_eq!(s.release(), Err(TooManyPermits));
    check_eq!(s.release_n(u32::MAX), Err(TooManyPermits));
    check_eq!(s.available_permits(), Semaphore::MAX_PERMITS);
    // More than the maximum at construction is cut to it.
    check_eq!(Semaphore::new(u32::MAX).available_permits(), Semaphore::MAX_PERMITS);
    Ok(())
}

/// Three threads asleep on an empty semaphore; permits come one, then two at once: each
/// sleeper gets exactly one, none is left asleep.
fn semaphore_release_wakes_sleepers() -> TestResult {
    static S: Semaphore = Semaphore::new(0);
    static TIDS: [AtomicI32; 3] = [const { AtomicI32::new(0) }; 3];
    static GOT: AtomicU32 = AtomicU32::new(0);
    thread::scope(|sc| {
        let mut hs = [const { None }; 3];
        for (i, h) in hs.iter_mut().enumerate() {
            *h = Some(
                sc.spawn(move || {
                    TIDS[i].store(thread::current_tid(), SeqCst);
                    let took = S.acquire_timeout(BOUND);
                    if took {
                        GOT.fetch_add(1, SeqCst);
                    }
                    took
                })
                .map_err(spawn_err)?,
            );
        }
        for t in &TIDS {
            check!(wait_asleep(t), "a thread never went to sleep on the semaphore");
        }
        S.release().map_err(|e| Failure::new(format_args!("{e}")))?;
        check!(common::eventually(10, || GOT.load(SeqCst) == 1), "one release woke nobody");
        S.release_n(2).map_err(|e| Failure::new(format_args!("{e}")))?;
        for h in hs.iter_mut() {
            check!(h.take().unwrap().join()?, "a sleeper was left asleep (lost wake-up)");
        }
        check_eq!(GOT.load(SeqCst), 3);
        check_eq!(S.available_permits(), 0);
        Ok(())
    })
}

fn semaphore_acquire_timeout_times_out() -> TestResult {
    let s = Semaphore::new(0);
    let t0 = Instant::now();
    check!(!s.acquire_timeout(Duration::from_millis(50)), "acquired a permit nobody released");
    let waited = t0.elapsed();
    check!(waited >= Duration::from_millis(50), "timed out early: {waited:?}");
    // And the timed-out attempt left nothing behind: a later release is there to take.
    s.release().map_err(|e| Failure::new(format_args!("{e}")))?;
    check!(s.acquire_timeout(Duration::from_millis(50)));
    Ok(())
}

/// Eight threads through a semaphore of two permits: never more than two inside, exact total.
fn semaphore_bounds_concurrency_exactly() -> TestResult {
    static S: Semaphore = Semaphore::new(2);
    static INSIDE: AtomicU32 = AtomicU32::new(0);
    static MAX_INSIDE: AtomicU32 = AtomicU32::new(0);
    static TOTAL: AtomicU32 = AtomicU32::new(0);
    const ITERS: u32 = 5000;
    thread::scope(|sc| {
        let mut hs = [const { None }; 8];
        for h in hs.iter_mut() {
            *h = Some(
                sc.spawn(|| {
                    for i in 0..ITERS {
                        if !S.acquire_timeout(BOUND) {
                            return false;
                        }
                        let n = INSIDE.fetch_add(1, SeqCst) + 1;
                        MAX_INSIDE.fetch_max(n, SeqCst);
                        TOTAL.fetch_add(1, SeqCst);
                        if i % 128 == 0 {
                            thread::yield_now();
                        }
                        INSIDE.fetch_sub(1, SeqCst);
                        S.release().expect("within the maximum");
                    }
                    true
                })
                .map_err(spawn_err)?,
            );
        }
        for h in hs.iter_mut() {
            check!(h.take().unwrap().join()?, "an acquire waited {BOUND:?} (lost wake-up)");
        }
        check_eq!(TOTAL.load(SeqCst), 8 * ITERS);
        check!(MAX_INSIDE.load(SeqCst) <= 2, "{} threads inside a 2-permit semaphore", MAX_INSIDE.load(SeqCst));
        check_eq!(S.available_permits(), 2);
        Ok(())
    })
}

fn reset_event_set_wakes_every_waiter() -> TestResult {
    static E: ResetEvent = ResetEvent::new();
    static TIDS: [AtomicI32; 3] = [const { AtomicI32::new(0) }; 3];
    static DATA: AtomicU32 = AtomicU32::new(0);
    thread::scope(|sc| {
        let mut hs = [const { None }; 3];
        for (i, h) in hs.iter_mut().enumerate() {
            *h = Some(
                sc.spawn(move || {
                    TIDS[i].store(thread::current_tid(), SeqCst);
                    E.wait_timeout(BOUND) && DATA.load(SeqCst) == 42
                })
                .map_err(spawn_err)?,
            );
        }
        for t in &TIDS {
            check!(wait_asleep(t), "a waiter never went to sleep");
        }
        // A reset of an unset event with sleepers must not hide them from the set.
        E.reset();
        DATA.store(42, SeqCst);
        E.set();
        for h in hs.iter_mut() {
            check!(h.take().unwrap().join()?, "a waiter was not woken by set (or saw stale data)");
        }
        check!(E.is_set());
        // Set: waits return at once.
        E.wait();
        Ok(())
    })
}

fn reset_event_reset_and_timed_wait() -> TestResult {
    let e = ResetEvent::new();
    e.set();
    e.set();
    check!(e.is_set());
    e.reset();
    check!(!e.is_set());
    let t0 = Instant::now();
    check!(!e.wait_timeout(Duration::from_millis(30)), "an unset event reported set");
    check!(t0.elapsed() >= Duration::from_millis(30), "timed out early");
    e.set();
    check!(e.wait_timeout(Duration::from_millis(30)));
    Ok(())
}

fn wait_group_waits_for_every_done() -> TestResult {
    static G: WaitGroup = WaitGroup::new();
    static DONE: AtomicU32 = AtomicU32::new(0);
    static WAITER: AtomicI32 = AtomicI32::new(0);
    static RELEASE: Gate = Gate::new();
    G.add(4).map_err(|e| Failure::new(format_args!("{e}")))?;
    thread::scope(|sc| {
        let waiter = sc
            .spawn(|| {
                WAITER.store(thread::current_tid(), SeqCst);
                G.wait_timeout(BOUND) && DONE.load(SeqCst) == 4
            })
            .map_err(spawn_err)?;
        let mut hs = [const { None }; 4];
        for h in hs.iter_mut() {
            *h = Some(
                sc.spawn(|| {
                    RELEASE.wait();
                    DONE.fetch_add(1, SeqCst);
                    G.done().expect("counted in");
                })
                .map_err(spawn_err)?,
            );
        }
        check!(wait_asleep(&WAITER), "the waiter never went to sleep");
        check!(!G.is_done());
        RELEASE.open();
        // The main thread waits too: two waiters at once.
        check!(G.wait_timeout(BOUND), "wait ran out with the work done (lost wake-up)");
        check!(waiter.join()?, "the other waiter was not woken, or returned before the last done");
        for h in hs.iter_mut() {
            h.take().unwrap().join()?;
        }
        check_eq!(G.count(), 0);
        Ok(())
    })
}

fn wait_group_misuse_is_reported() -> TestResult {
    let g = WaitGroup::new();
    check_eq!(g.done(), Err(WaitGroupError::NothingToDo));
    check_eq!(g.add(WaitGroup::MAX_COUNT), Ok(()));
    check_eq!(g.add(1), Err(WaitGroupError::Overflow));
    check_eq!(g.count(), WaitGroup::MAX_COUNT);
    // Reusable: back to 0, then again.
    let g = WaitGroup::new();
    g.add(1).map_err(|e| Failure::new(format_args!("{e}")))?;
    check_eq!(g.done(), Ok(()));
    check!(g.wait_timeout(Duration::ZERO));
    g.add(1).map_err(|e| Failure::new(format_args!("{e}")))?;
    let t0 = Instant::now();
    check!(!g.wait_timeout(Duration::from_millis(30)));
    check!(t0.elapsed() >= Duration::from_millis(30));
    Ok(())
}

/// A token given before the park (by this thread, or by another one that has since finished)
/// makes the park return at once.
fn park_unpark_before_park_returns_at_once() -> TestResult {
    thread::current().unpark();
    let t0 = Instant::now();
    thread::park();
    check!(t0.elapsed() < Duration::from_secs(1), "park waited for a token it had");
    let me = thread::current();
    thread::spawn(move || me.unpark()).map_err(spawn_err)?.join()?;
    let t0 = Instant::now();
    thread::park_timeout(BOUND);
    check!(t0.elapsed() < Duration::from_secs(5), "the other thread's unpark was lost");
    Ok(())
}

/// A thread asleep in `park` is woken by `unpark`, and sees what the unparker wrote first.
fn unpark_wakes_a_parked_thread() -> TestResult {
    static TID: AtomicI32 = AtomicI32::new(0);
    static DATA: AtomicU32 = AtomicU32::new(0);
    static UNPARKED: AtomicU32 = AtomicU32::new(0);
    let h = thread::spawn(|| {
        TID.store(thread::current_tid(), SeqCst);
        let t0 = Instant::now();
        // park() never returns without the token (signals, spurious wake-ups loop), so a
        // bounded park_timeout tells a lost unpark from a slow one.
        while UNPARKED.load(SeqCst) == 0 && t0.elapsed() < BOUND {
            thread::park_timeout(BOUND);
        }
        (UNPARKED.load(SeqCst) == 1, DATA.load(SeqCst), t0.elapsed())
    })
    .map_err(spawn_err)?;
    check!(wait_asleep(&TID), "the thread never parked");
    DATA.store(7, SeqCst);
    UNPARKED.store(1, SeqCst);
    h.thread().unpark();
    let (woken, data, waited) = h.join()?;
    check!(woken && waited < BOUND, "unpark did not wake the parked thread ({waited:?})");
    check_eq!(data, 7);
    Ok(())
}

fn park_timeout_waits_and_tokens_do_not_add_up() -> TestResult {
    let t0 = Instant::now();
    thread::park_timeout(Duration::from_millis(50));
    let waited = t0.elapsed();
    check!(waited >= Duration::from_millis(50), "park_timeout returned early: {waited:?}");
    let me = thread::current();
    me.unpark();
    me.unpark();
    let t0 = Instant::now();
    thread::park_timeout(BOUND);
    check!(t0.elapsed() < Duration::from_secs(5), "the token was lost");
    let t0 = Instant::now();
    thread::park_timeout(Duration::from_millis(30));
    check!(t0.elapsed() >= Duration::from_millis(30), "two unparks left two tokens");
    Ok(())
}

/// A `Thread` whose thread has exited names nobody: unparking it touches no freed mapping
/// (the thread was detached and unmapped itself) and gives no token to the thread that
/// reuses its mapping (a joined thread's stack goes to the cache, and the next spawn takes it).
fn unpark_of_an_exited_thread_is_harmless() -> TestResult {
    // Detached, exited, mapping gone: find it gone from the registry first.
    let h = thread::spawn(|| {}).map_err(spawn_err)?;
    let gone: Thread = h.thread();
    h.detach();
    check!(common::eventually(10, || gone.has_exited()), "the detached thread never exited");
    check!(common::eventually(10, || { let mut seen = false; thread::for_each_thread(|i| seen |= i.thread == gone); !seen }), "the detached thread stayed registered");
    gone.unpark();

    // Joined: its mapping is cached and reused by the next spawn.
    static STACK: AtomicUsize = AtomicUsize::new(0);
    let stack_of = |t: Thread| {
        let mut lo = 0;
        thread::for_each_thread(|i| {
            if i.thread == t {
                lo = i.stack.start;
            }
        });
        lo
    };
    static GO: Gate = Gate::new();
    let first = thread::spawn(|| GO.wait()).map_err(spawn_err)?;
    let old = first.thread();
    STACK.store(stack_of(old), SeqCst);
    GO.open();
    first.join()?;
    static GO2: Gate = Gate::new();
    let second = thread::spawn(|| {
        GO2.wait();
        let t0 = Instant::now();
        thread::park_timeout(Duration::from_millis(100));
        t0.elapsed()
    })
    .map_err(spawn_err)?;
    let reused = stack_of(second.thread()) == STACK.load(SeqCst);
    old.unpark();
    GO2.open();
    let waited = second.join()?;
    check!(waited >= Duration::from_millis(100), "a stale Thread's unpark woke the thread that reused its mapping (reused: {reused})");
    if !reused {
        strand::println!("  (note: the second thread did not reuse the first one's mapping this time)");
    }
    Ok(())
}
