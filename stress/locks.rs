//! Lock torture: threads hammer a Mutex and Condvars with random yields, sleeps, try_locks and
//! timed waits mixed in. Totals must be exact, the lock exclusive, every item handed over
//! exactly once, and no notification lost: every wait is bounded, and a wait that runs out while
//! the condition it waits for has long been true is a missed wake-up, reported as a failure.
#![no_std]
#![no_main]

#[path = "../tests/common/mod.rs"]
#[macro_use]
mod common;
#[macro_use]
mod support;

use common::{Failure, TestResult};
use core::sync::atomic::Ordering::SeqCst;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU8};
use core::time::Duration;
use strand::sync::{Condvar, Mutex, MutexGuard};
use strand::thread::{self, Builder, JoinHandle};
use strand::time::Instant;
use support::{size, spin, waiting_for, AtomicU64, Rng, Stress};

strand::main!(main);

const TESTS: &[Stress] = &[
    ("mutex_counter_exact_total", mutex_counter_exact_total, 120),
    ("condvar_queue_hands_over_every_item_once", condvar_queue_hands_over_every_item_once, 120),
    ("condvar_barrier_loses_no_wake_up", condvar_barrier_loses_no_wake_up, 120),
];

fn main() -> i32 {
    support::run("locks", TESTS)
}

/// How long a "long" wait may last before it counts as a lost wake-up, if what it waits for
/// has been true for at least half of it.
fn long_wait() -> Duration {
    support::limit(Duration::from_secs(5))
}

/// Set by the first failing thread so the others stop instead of waiting for it.
static ABORT: AtomicBool = AtomicBool::new(false);

static START: AtomicU32 = AtomicU32::new(0);

/// What the threads ran into, reported so that a passing run shows it was contended: try_locks
/// that found the lock taken, short waits that timed out, long waits, long waits woken.
static TRY_TAKEN: AtomicU64 = AtomicU64::new(0);
static SHORT_TIMEOUTS: AtomicU64 = AtomicU64::new(0);
static LONG_WAITS: AtomicU64 = AtomicU64::new(0);

fn reset_stats() {
    for s in [&TRY_TAKEN, &SHORT_TIMEOUTS, &LONG_WAITS] {
        s.store(0, SeqCst);
    }
}

fn report_stats() {
    note!(
        "try_lock found it taken {} times; {} short timed waits ran out; {} long waits",
        TRY_TAKEN.load(SeqCst),
        SHORT_TIMEOUTS.load(SeqCst),
        LONG_WAITS.load(SeqCst)
    );
}

/// Spawns `n` threads running `f(index, rng)` and joins them all, returning the first failure.
fn run_threads<const N: usize>(n: usize, stream: u64, f: fn(usize, Rng) -> Result<(), Failure>) -> TestResult {
    ABORT.store(false, SeqCst);
    START.store(0, SeqCst);
    let mut rng = Rng::for_stream(stream);
    let mut handles: [Option<JoinHandle<Result<(), Failure>>>; N] = [const { None }; N];
    let mut result = Ok(());
    for (i, slot) in handles.iter_mut().enumerate().take(n) {
        let r = rng.fork();
        match Builder::new().stack_size(64 << 10).spawn(move || {
            // Everyone starts together, or the first threads would be done before the last
            // ones exist.
            while START.load(SeqCst) == 0 {
                strand::futex::wait_private(&START, 0, Some(Duration::from_millis(100)));
            }
            let r = f(i, r);
            if r.is_err() {
                ABORT.store(true, SeqCst);
            }
            r
        }) {
            Ok(h) => *slot = Some(h),
            Err(e) => {
                ABORT.store(true, SeqCst);
                result = Err(support::spawn_failed(format_args!("torture thread {i}"), e));
                break;
            }
        }
    }
    START.store(1, SeqCst);
    strand::futex::wake_private(&START, u32::MAX);
    for (i, h) in handles.iter_mut().enumerate() {
        if let Some(h) = h.take() {
            waiting_for(format_args!("torture thread {i} of {n} to finish"));
            let r = h.join().map_err(Failure::from).and_then(|r| r);
            if result.is_ok() {
                result = r;
            }
        }
    }
    result
}

/// A random pause outside any lock: mostly nothing, sometimes a yield, rarely a short sleep.
fn jitter(rng: &mut Rng) {
    match rng.below(1024) {
        0..=31 => thread::yield_now(),
        32..=33 => thread::sleep(Duration::from_micros(rng.below(100))),
        34..=63 => spin(rng.below(200)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------

const COUNTER_THREADS: usize = 8;

struct Counter {
    total: u64,
    per_thread: [u64; COUNTER_THREADS],
    /// Written on entry and checked before leaving: another thread inside at the same time
    /// would have overwritten it.
    owner: usize,
    overlaps: u64,
}

static COUNTER: Mutex<Counter> = Mutex::new(Counter { total: 0, per_thread: [0; COUNTER_THREADS], owner: usize::MAX, overlaps: 0 });

fn ops() -> u64 {
    size(100_000, 10_000, 10_000, 1_000)
}

fn mutex_counter_exact_total() -> TestResult {
    {
        let mut c = COUNTER.lock();
        c.total = 0;
        c.per_thread = [0; COUNTER_THREADS];
        c.overlaps = 0;
    }
    let m = ops();
    reset_stats();
    run_threads::<COUNTER_THREADS>(COUNTER_THREADS, 1, |id, mut rng| {
        for op in 0..ops() {
            let mut c = if rng.one_in(64) {
                // try_lock, falling back to lock when it is taken.
                match COUNTER.try_lock() {
                    Some(c) => c,
                    None => {
                        TRY_TAKEN.fetch_add(1, SeqCst);
                        COUNTER.lock()
                    }
                }
            } else {
                COUNTER.lock()
            };
            c.owner = id;
            match rng.below(4096) {
                // Hold the lock across a yield or a sleep: the others pile up in the futex.
                0..=15 => thread::yield_now(),
                16 => thread::sleep(Duration::from_micros(rng.below(50))),
                17..=1023 => spin(rng.below(64)),
                _ => {}
            }
            if c.owner != id {
                c.overlaps += 1;
            }
            c.total += 1;
            c.per_thread[id] += 1;
            drop(c);
            jitter(&mut rng);
            if op % 4096 == 0 && ABORT.load(SeqCst) {
                break;
            }
        }
        Ok(())
    })?;
    report_stats();
    let c = COUNTER.lock();
    check_eq!(c.overlaps, 0);
    check!(c.total == COUNTER_THREADS as u64 * m, "total {} after {COUNTER_THREADS} x {m} increments", c.total);
    check!(c.per_thread.iter().all(|&n| n == m), "per-thread counts {:?}, expected {m} each", c.per_thread);
    Ok(())
}

// ---------------------------------------------------------------------------------------------

const PRODUCERS: usize = 4;
const CONSUMERS: usize = 4;
const CAPACITY: usize = 8;
const MAX_ITEMS: usize = PRODUCERS * 50_000;

struct Queue {
    items: [u32; CAPACITY],
    head: usize,
    len: usize,
    producers_done: usize,
    /// Since when the queue has had an item (or the producers have all finished), and since
    /// when it has had room: how long a waiter's condition has been true.
    nonempty_since: Option<Instant>,
    notfull_since: Option<Instant>,
}

static QUEUE: Mutex<Queue> =
    Mutex::new(Queue { items: [0; CAPACITY], head: 0, len: 0, producers_done: 0, nonempty_since: None, notfull_since: None });
static NOT_EMPTY: Condvar = Condvar::new();
static NOT_FULL: Condvar = Condvar::new();
static SEEN: [AtomicU8; MAX_ITEMS] = [const { AtomicU8::new(0) }; MAX_ITEMS];

fn items_per_producer() -> usize {
    size(50_000, 5_000, 5_000, 500) as usize
}

/// One wait on `cv`: a short timed wait a quarter of the time (timeouts are normal there), else
/// a long one; a long wait that times out although `ready` has held for half of it lost a
/// notification.
fn wait<'a>(
    cv: &Condvar,
    g: MutexGuard<'a, Queue>,
    rng: &mut Rng,
    who: &str,
    ready: fn(&Queue) -> Option<Instant>,
) -> Result<MutexGuard<'a, Queue>, Failure> {
    if rng.one_in(4) {
        let (g, r) = cv.wait_timeout(g, Duration::from_micros(rng.below(2000)));
        SHORT_TIMEOUTS.fetch_add(r.timed_out() as u64, SeqCst);
        return Ok(g);
    }
    LONG_WAITS.fetch_add(1, SeqCst);
    let long = long_wait();
    let (g, r) = cv.wait_timeout(g, long);
    if r.timed_out() {
        if let Some(since) = ready(&g) {
            let held = since.elapsed();
            check!(
                held < long / 2,
                "missed notification: a {who} waited {long:?} while what it waits for had been true for {held:?} (queue length {})",
                g.len
            );
        }
    }
    Ok(g)
}

fn consumer_ready(q: &Queue) -> Option<Instant> {
    q.nonempty_since
}

fn producer_ready(q: &Queue) -> Option<Instant> {
    q.notfull_since
}

fn producer(id: usize, mut rng: Rng) -> Result<(), Failure> {
    let per = items_per_producer();
    for k in 0..per {
        let item = (id * per + k) as u32;
        let mut q = QUEUE.lock();
        while q.len == CAPACITY {
            if ABORT.load(SeqCst) {
                return Ok(());
            }
            q = wait(&NOT_FULL, q, &mut rng, "producer", producer_ready)?;
        }
        let tail = (q.head + q.len) % CAPACITY;
        q.items[tail] = item;
        q.len += 1;
        if q.len == 1 {
            q.nonempty_since = Some(Instant::now());
        }
        if q.len == CAPACITY {
            q.notfull_since = None;
        }
        // Notify under the lock or after it, at random; now and then everyone.
        let all = rng.one_in(16);
        let after = rng.one_in(2);
        if !after {
            notify(&NOT_EMPTY, all);
        }
        drop(q);
        if after {
            notify(&NOT_EMPTY, all);
        }
        jitter(&mut rng);
    }
    let mut q = QUEUE.lock();
    q.producers_done += 1;
    if q.producers_done == PRODUCERS && q.nonempty_since.is_none() {
        q.nonempty_since = Some(Instant::now());
    }
    drop(q);
    NOT_EMPTY.notify_all();
    Ok(())
}

fn notify(cv: &Condvar, all: bool) {
    if all {
        cv.notify_all()
    } else {
        cv.notify_one()
    }
}

fn consumer(_id: usize, mut rng: Rng) -> Result<(), Failure> {
    loop {
        let mut q = QUEUE.lock();
        let item = loop {
            if q.len > 0 {
                let item = q.items[q.head];
                q.head = (q.head + 1) % CAPACITY;
                q.len -= 1;
                if q.len == CAPACITY - 1 {
                    q.notfull_since = Some(Instant::now());
                }
                if q.len == 0 && q.producers_done < PRODUCERS {
                    q.nonempty_since = None;
                }
                break Some(item);
            }
            if q.producers_done == PRODUCERS || ABORT.load(SeqCst) {
                break None;
            }
            q = wait(&NOT_EMPTY, q, &mut rng, "consumer", consumer_ready)?;
        };
        let all = rng.one_in(16);
        drop(q);
        let Some(item) = item else { return Ok(()) };
        notify(&NOT_FULL, all);
        let before = SEEN[item as usize].fetch_add(1, SeqCst);
        check!(before == 0, "item {item} consumed {} times", before + 1);
        jitter(&mut rng);
    }
}

fn condvar_queue_hands_over_every_item_once() -> TestResult {
    let per = items_per_producer();
    let total = PRODUCERS * per;
    for s in &SEEN[..total] {
        s.store(0, SeqCst);
    }
    {
        let mut q = QUEUE.lock();
        q.head = 0;
        q.len = 0;
        q.producers_done = 0;
        q.nonempty_since = None;
        q.notfull_since = Some(Instant::now());
    }
    reset_stats();
    run_threads::<{ PRODUCERS + CONSUMERS }>(PRODUCERS + CONSUMERS, 2, |i, rng| {
        if i < PRODUCERS { producer(i, rng) } else { consumer(i - PRODUCERS, rng) }
    })?;
    report_stats();
    let missing = SEEN[..total].iter().position(|s| s.load(SeqCst) != 1);
    check!(missing.is_none(), "item {:?} was consumed {} times", missing, missing.map_or(0, |i| SEEN[i].load(SeqCst)));
    check_eq!(QUEUE.lock().len, 0);
    Ok(())
}

// ---------------------------------------------------------------------------------------------

const BARRIER_THREADS: usize = 6;

struct Barrier {
    arrived: usize,
    generation: u64,
    /// When the last generation ended, to tell a lost wake-up from a slow arrival.
    released_at: Option<Instant>,
}

static BARRIER: Mutex<Barrier> = Mutex::new(Barrier { arrived: 0, generation: 0, released_at: None });
static RELEASED: Condvar = Condvar::new();

fn rounds() -> u64 {
    size(20_000, 2_000, 2_000, 200)
}

fn barrier_thread(_id: usize, mut rng: Rng) -> Result<(), Failure> {
    for round in 0..rounds() {
        let mut b = BARRIER.lock();
        let generation = b.generation;
        check!(generation == round, "thread saw generation {generation} in round {round}");
        b.arrived += 1;
        if b.arrived == BARRIER_THREADS {
            b.arrived = 0;
            b.generation += 1;
            b.released_at = Some(Instant::now());
            drop(b);
            RELEASED.notify_all();
        } else {
            while b.generation == generation {
                if ABORT.load(SeqCst) {
                    return Ok(());
                }
                if rng.one_in(4) {
                    let (g, r) = RELEASED.wait_timeout(b, Duration::from_micros(rng.below(2000)));
                    SHORT_TIMEOUTS.fetch_add(r.timed_out() as u64, SeqCst);
                    b = g;
                    continue;
                }
                LONG_WAITS.fetch_add(1, SeqCst);
                let long = long_wait();
                let (g, r) = RELEASED.wait_timeout(b, long);
                b = g;
                if r.timed_out() {
                    let released = b.released_at.filter(|_| b.generation != generation).map(|t| t.elapsed());
                    check!(
                        released.is_none_or(|held| held < long / 2),
                        "missed notification: round {round} was released {released:?} before a waiter's {long:?} wait ran out"
                    );
                    check!(
                        b.generation != generation,
                        "round {round}: only {} of {BARRIER_THREADS} threads arrived within {long:?}",
                        b.arrived
                    );
                }
            }
            drop(b);
        }
        jitter(&mut rng);
    }
    Ok(())
}

fn condvar_barrier_loses_no_wake_up() -> TestResult {
    {
        let mut b = BARRIER.lock();
        b.arrived = 0;
        b.generation = 0;
        b.released_at = None;
    }
    reset_stats();
    run_threads::<BARRIER_THREADS>(BARRIER_THREADS, 3, barrier_thread)?;
    report_stats();
    check_eq!(BARRIER.lock().generation, rounds());
    Ok(())
}
