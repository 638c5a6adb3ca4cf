//! PI and robust mutex torture: threads hammer a `PiMutex` (with try_locks, holds across yields
//! and sleeps) and a `PiCondvar` queue, and a `RobustMutex` whose holders keep dying while they
//! hold it (returning from their closure or calling `thread::exit`, with their robust list
//! hidden from the kernel in half the rounds, so strand's own exit walk hands it over). Totals
//! must be exact, every death reported to exactly one later locker, and every wait bounded.
#![no_std]
#![no_main]

#[path = "../tests/common/mod.rs"]
#[macro_use]
mod common;
#[macro_use]
mod support;

use common::{Failure, TestResult};
use core::sync::atomic::Ordering::SeqCst;
use core::sync::atomic::{AtomicBool, AtomicU32};
use core::time::Duration;
use strand::sync::{PiCondvar, PiMutex, RobustLockError, RobustMutex};
use strand::thread::{self, Builder, JoinError, JoinHandle};
use strand::time::Instant;
use support::{size, spin, waiting_for, Rng, Stress};

strand::main!(main);

const TESTS: &[Stress] = &[
    ("pi_mutex_counter_exact_total", pi_mutex_counter_exact_total, 120),
    ("pi_condvar_queue_hands_over_every_item_once", pi_condvar_queue_hands_over_every_item_once, 120),
    ("robust_mutex_survives_dying_holders", robust_mutex_survives_dying_holders, 180),
];

fn main() -> i32 {
    support::run("futex_pi", TESTS)
}

static ABORT: AtomicBool = AtomicBool::new(false);

fn pi_unsupported() -> Option<TestResult> {
    strand::sync::pi_support().err().map(|u| support::skip(format_args!("{u}")))
}

/// Spawns `n` (at most N) threads running `f(index, rng)`, joins them, returns the first
/// failure or the sum of what they returned.
fn run_threads<const N: usize>(n: usize, stream: u64, f: fn(usize, Rng) -> Result<u64, Failure>) -> Result<u64, Failure> {
    ABORT.store(false, SeqCst);
    let mut rng = Rng::for_stream(stream);
    let mut handles: [Option<JoinHandle<Result<u64, Failure>>>; N] = [const { None }; N];
    let mut result = Ok(0);
    for (i, slot) in handles.iter_mut().enumerate().take(n) {
        let r = rng.fork();
        match Builder::new().stack_size(64 << 10).spawn(move || {
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
    for (i, h) in handles.iter_mut().enumerate() {
        if let Some(h) = h.take() {
            waiting_for(format_args!("torture thread {i} of {n} to finish"));
            let r = match h.join() {
                Ok(r) => r,
                // A thread that ended with `thread::exit` has no result; its part is counted
                // where it ended (DEAD_INCREMENTS).
                Err(JoinError::Exited) => Ok(0),
                Err(e) => Err(Failure::from(e)),
            };
            result = match (result, r) {
                (Ok(a), Ok(b)) => Ok(a + b),
                (Err(e), _) | (_, Err(e)) => Err(e),
            };
        }
    }
    result
}

// ---------------------------------------------------------------------------------------------

const PI_THREADS: usize = 6;

struct Counter {
    total: u64,
    owner: usize,
    overlaps: u64,
}

static PI_COUNTER: PiMutex<Counter> = PiMutex::new(Counter { total: 0, owner: usize::MAX, overlaps: 0 });

fn pi_ops() -> u64 {
    size(50_000, 5_000, 5_000, 500)
}

fn pi_mutex_counter_exact_total() -> TestResult {
    if let Some(r) = pi_unsupported() {
        return r;
    }
    {
        let mut c = PI_COUNTER.lock();
        c.total = 0;
        c.overlaps = 0;
    }
    let done = run_threads::<PI_THREADS>(PI_THREADS, 11, |id, mut rng| {
        let mut n = 0;
        for _ in 0..pi_ops() {
            let mut c = if rng.one_in(32) {
                match PI_COUNTER.try_lock() {
                    Some(c) => c,
                    None => PI_COUNTER.lock(),
                }
            } else {
                PI_COUNTER.lock_checked().map_err(|e| Failure::new(format_args!("lock_checked: {e}")))?
            };
            c.owner = id;
            match rng.below(4096) {
                // Hold across a yield or a sleep: the others queue in the kernel, on the
                // holder's PI chain.
                0..=15 => thread::yield_now(),
                16 => thread::sleep(Duration::from_micros(rng.below(50))),
                17..=1023 => spin(rng.below(64)),
                _ => {}
            }
            if c.owner != id {
                c.overlaps += 1;
            }
            c.total += 1;
            n += 1;
            drop(c);
            if rng.one_in(64) {
                thread::yield_now();
            }
            if ABORT.load(SeqCst) {
                break;
            }
        }
        Ok(n)
    })?;
    let c = PI_COUNTER.lock();
    check_eq!(c.overlaps, 0);
    check_eq!(done, PI_THREADS as u64 * pi_ops());
    check_eq!(c.total, done);
    Ok(())
}

// ---------------------------------------------------------------------------------------------

const PRODUCERS: usize = 3;
const CONSUMERS: usize = 3;
const CAPACITY: usize = 4;

struct Queue {
    items: [u64; CAPACITY],
    len: usize,
    /// Items still to be produced in all; consumers stop when it and `len` are 0.
    to_produce: u64,
    consumed_sum: u64,
}

static QUEUE: PiMutex<Queue> = PiMutex::new(Queue { items: [0; CAPACITY], len: 0, to_produce: 0, consumed_sum: 0 });
static NOT_EMPTY: PiCondvar = PiCondvar::new();
static NOT_FULL: PiCondvar = PiCondvar::new();

fn items_per_producer() -> u64 {
    size(20_000, 2_000, 2_000, 200)
}

/// A bounded wait: a wait that runs out while its condition has been true for the whole of
/// it would be a lost notify.
fn long_wait() -> Duration {
    support::limit(Duration::from_secs(5))
}

fn pi_condvar_queue_hands_over_every_item_once() -> TestResult {
    if let Some(r) = pi_unsupported() {
        return r;
    }
    let per = items_per_producer();
    {
        let mut q = QUEUE.lock();
        q.len = 0;
        q.to_produce = PRODUCERS as u64 * per;
        q.consumed_sum = 0;
    }
    let produced = run_threads::<{ PRODUCERS + CONSUMERS }>(PRODUCERS + CONSUMERS, 12, |id, mut rng| {
        let start = Instant::now();
        let mut sum = 0;
        if id < PRODUCERS {
            for i in 0..items_per_producer() {
                let item = (id as u64) << 32 | i;
                let mut q = QUEUE.lock();
                while q.len == CAPACITY {
                    let (g, timed_out) = NOT_FULL.wait_timeout(q, long_wait());
                    q = g;
                    if timed_out && q.len < CAPACITY {
                        return Err(Failure::new(format_args!("producer {id}: lost a not-full notify")));
                    }
                    if ABORT.load(SeqCst) || start.elapsed() > long_wait() * 20 {
                        return Err(Failure::new(format_args!("producer {id}: gave up")));
                    }
                }
                let n = q.len;
                q.items[n] = item;
                q.len += 1;
                q.to_produce -= 1;
                sum += item;
                if rng.one_in(4) { NOT_EMPTY.notify_all() } else { NOT_EMPTY.notify_one() }
                drop(q);
                if rng.one_in(16) {
                    thread::yield_now();
                }
            }
        } else {
            loop {
                let mut q = QUEUE.lock();
                while q.len == 0 {
                    if q.to_produce == 0 {
                        // Everyone else may be waiting for the end too.
                        NOT_EMPTY.notify_all();
                        return Ok(0);
                    }
                    let (g, timed_out) = NOT_EMPTY.wait_timeout(q, long_wait());
                    q = g;
                    if timed_out && q.len > 0 {
                        return Err(Failure::new(format_args!("consumer {id}: lost a not-empty notify")));
                    }
                    if ABORT.load(SeqCst) || start.elapsed() > long_wait() * 20 {
                        return Err(Failure::new(format_args!("consumer {id}: gave up")));
                    }
                }
                q.len -= 1;
                let item = q.items[q.len];
                q.consumed_sum += item;
                NOT_FULL.notify_one();
            }
        }
        Ok(sum)
    })?;
    let q = QUEUE.lock();
    check_eq!(q.len, 0);
    check_eq!(q.consumed_sum, produced);
    let expected: u64 = (0..PRODUCERS as u64).map(|p| (p << 32) * per + per * (per - 1) / 2).sum();
    check_eq!(produced, expected);
    Ok(())
}

// ---------------------------------------------------------------------------------------------

const ROBUST_THREADS: usize = 6;

struct Shared {
    total: u64,
    /// Set by a holder about to die holding the lock; the locker told `OwnerDied` clears it.
    dying: bool,
    deaths_seen: u64,
    owner: usize,
    overlaps: u64,
}

static ROBUST: RobustMutex<Shared> = RobustMutex::new(Shared { total: 0, dying: false, deaths_seen: 0, owner: usize::MAX, overlaps: 0 });
/// This round's way out for a dying holder: 0 return, 1 `thread::exit`; and whether the list is
/// hidden from the kernel (only strand's walk then).
static EXIT_KIND: AtomicU32 = AtomicU32::new(0);
static HIDE: AtomicBool = AtomicBool::new(false);
/// How many holders died holding the lock.
static DIED: AtomicU32 = AtomicU32::new(0);
/// Increments done by threads that then died (their join gives no result).
static DEAD_INCREMENTS: AtomicU32 = AtomicU32::new(0);

fn robust_rounds() -> u64 {
    size(40, 8, 8, 2)
}

/// Locks, handling a death: the locker told checks that a holder did die, repairs, marks it
/// consistent.
fn robust_lock(id: usize) -> Result<strand::sync::RobustMutexGuard<'static, Shared>, Failure> {
    match ROBUST.lock() {
        Ok(g) => {
            check_dying(&g, false, id)?;
            Ok(g)
        }
        Err(RobustLockError::OwnerDied(mut g)) => {
            check_dying(&g, true, id)?;
            g.dying = false;
            g.deaths_seen += 1;
            g.mark_consistent();
            Ok(g)
        }
        Err(e) => Err(Failure::new(format_args!("thread {id}: robust lock: {e}"))),
    }
}

fn check_dying(g: &Shared, expect: bool, id: usize) -> Result<(), Failure> {
    if g.dying != expect {
        return Err(Failure::new(format_args!(
            "thread {id}: {} but the last holder {}",
            if expect { "told OwnerDied" } else { "locked normally" },
            if g.dying { "died holding it" } else { "unlocked it" }
        )));
    }
    Ok(())
}

fn robust_mutex_survives_dying_holders() -> TestResult {
    {
        let mut g = robust_lock(usize::MAX)?;
        g.total = 0;
        g.deaths_seen = 0;
        g.overlaps = 0;
    }
    DIED.store(0, SeqCst);
    DEAD_INCREMENTS.store(0, SeqCst);
    let mut returned = 0;
    for round in 0..robust_rounds() {
        EXIT_KIND.store((round % 2) as u32, SeqCst);
        HIDE.store(round % 4 < 2, SeqCst);
        let done = run_threads::<ROBUST_THREADS>(ROBUST_THREADS, 100 + round, |id, mut rng| {
            if HIDE.load(SeqCst) {
                strand::sync::__hide_robust_list_from_kernel();
            }
            let mut n = 0;
            for _ in 0..2_000 {
                let mut g = robust_lock(id)?;
                g.owner = id;
                if rng.one_in(256) {
                    thread::yield_now();
                }
                if g.owner != id {
                    g.overlaps += 1;
                }
                g.total += 1;
                n += 1;
                if rng.one_in(500) {
                    // Die holding it.
                    g.dying = true;
                    DIED.fetch_add(1, SeqCst);
                    DEAD_INCREMENTS.fetch_add(n as u32, SeqCst);
                    core::mem::forget(g);
                    if EXIT_KIND.load(SeqCst) == 1 {
                        // SAFETY: nothing on this stack needs dropping (the guard is forgotten).
                        unsafe { thread::exit() }
                    }
                    return Ok(0);
                }
                drop(g);
                if ABORT.load(SeqCst) {
                    break;
                }
            }
            Ok(n)
        });
        returned += done?;
    }
    let g = robust_lock(usize::MAX)?;
    note!("{} holders died holding the lock; {} deaths reported", DIED.load(SeqCst), g.deaths_seen);
    check_eq!(g.overlaps, 0);
    check_eq!(g.deaths_seen, DIED.load(SeqCst) as u64);
    check_eq!(g.total, returned + DEAD_INCREMENTS.load(SeqCst) as u64);
    Ok(())
}
