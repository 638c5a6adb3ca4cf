//! RwLock and Barrier torture: threads mix reads, writes, try_read, try_write and downgrades
//! with random holds, yields and sleeps; a barrier is crossed round after round with random
//! late arrivals. Readers and writers must never overlap, every write must be counted exactly
//! once, every round must have exactly one leader and release nobody early. Neither primitive
//! has a timed wait, so the bound on every wait is the watchdog: a lost wake-up leaves a thread
//! asleep for good, and the test fails when its time budget runs out.
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
use strand::sync::{Barrier, RwLock, RwLockWriteGuard};
use strand::thread::{self, Builder, JoinHandle};
use support::{size, spin, waiting_for, AtomicU64, Rng, Stress};

strand::main!(main);

const TESTS: &[Stress] = &[
    ("rwlock_readers_and_writers_never_overlap", rwlock_readers_and_writers_never_overlap, 120),
    ("barrier_rounds_one_leader_nobody_early", barrier_rounds_one_leader_nobody_early, 120),
];

fn main() -> i32 {
    support::run("rwlock", TESTS)
}

/// Set by the first failing thread so the others stop instead of waiting for it.
static ABORT: AtomicBool = AtomicBool::new(false);
static START: AtomicU32 = AtomicU32::new(0);

/// Spawns `n` threads running `f(index, rng)`, starts them together, joins them all, and
/// returns the first failure.
fn run_threads<const N: usize>(n: usize, stream: u64, f: fn(usize, Rng) -> Result<(), Failure>) -> TestResult {
    ABORT.store(false, SeqCst);
    START.store(0, SeqCst);
    let mut rng = Rng::for_stream(stream);
    let mut handles: [Option<JoinHandle<Result<(), Failure>>>; N] = [const { None }; N];
    let mut result = Ok(());
    for (i, slot) in handles.iter_mut().enumerate().take(n) {
        let r = rng.fork();
        match Builder::new().stack_size(64 << 10).spawn(move || {
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

/// A random pause: mostly nothing, sometimes a spin or a yield, rarely a short sleep.
fn pause(rng: &mut Rng) {
    match rng.below(1024) {
        0..=15 => thread::yield_now(),
        16 => thread::sleep(Duration::from_micros(rng.below(100))),
        17..=200 => spin(rng.below(100)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------

const RW_THREADS: usize = 6;

struct Shared {
    /// Kept equal by every writer; a reader that sees them differ overlapped a write.
    a: u64,
    b: u64,
    per_thread: [u64; RW_THREADS],
}

static LOCK: RwLock<Shared> = RwLock::new(Shared { a: 0, b: 0, per_thread: [0; RW_THREADS] });
/// Threads inside as readers, and as writers: checked by everyone inside.
static READERS_IN: AtomicU32 = AtomicU32::new(0);
static WRITERS_IN: AtomicU32 = AtomicU32::new(0);
static OVERLAPS: AtomicU64 = AtomicU64::new(0);
static WRITES: [AtomicU64; RW_THREADS] = [const { AtomicU64::new(0) }; RW_THREADS];
static TRY_FAILED: AtomicU64 = AtomicU64::new(0);
static DOWNGRADES: AtomicU64 = AtomicU64::new(0);
static SHARED_READS: AtomicU64 = AtomicU64::new(0);

fn rw_ops() -> u64 {
    size(100_000, 10_000, 10_000, 1_000)
}

fn read_side(rng: &mut Rng, g: &Shared) {
    let others = READERS_IN.fetch_add(1, SeqCst);
    if others > 0 {
        SHARED_READS.fetch_add(1, SeqCst);
    }
    if WRITERS_IN.load(SeqCst) != 0 || g.a != g.b {
        OVERLAPS.fetch_add(1, SeqCst);
    }
    pause(rng);
    if WRITERS_IN.load(SeqCst) != 0 || g.a != g.b {
        OVERLAPS.fetch_add(1, SeqCst);
    }
    READERS_IN.fetch_sub(1, SeqCst);
}

fn rw_thread(id: usize, mut rng: Rng) -> Result<(), Failure> {
    for op in 0..rw_ops() {
        match rng.below(100) {
            // Writes (a fifth of the operations), some through try_write, some downgraded.
            0..=19 => {
                let mut g = if rng.one_in(8) {
                    match LOCK.try_write() {
                        Some(g) => g,
                        None => {
                            TRY_FAILED.fetch_add(1, SeqCst);
                            LOCK.write()
                        }
                    }
                } else {
                    LOCK.write()
                };
                if WRITERS_IN.fetch_add(1, SeqCst) != 0 || READERS_IN.load(SeqCst) != 0 {
                    OVERLAPS.fetch_add(1, SeqCst);
                }
                g.a += 1;
                pause(&mut rng);
                g.b += 1;
                g.per_thread[id] += 1;
                WRITES[id].fetch_add(1, SeqCst);
                WRITERS_IN.fetch_sub(1, SeqCst);
                if rng.one_in(4) {
                    // Our write stays what the readers (us included) see: no writer between.
                    let mine = g.a;
                    let r = RwLockWriteGuard::downgrade(g);
                    DOWNGRADES.fetch_add(1, SeqCst);
                    if r.a != mine {
                        OVERLAPS.fetch_add(1, SeqCst);
                    }
                    read_side(&mut rng, &r);
                }
            }
            // Reads, some through try_read.
            _ => {
                let g = if rng.one_in(8) {
                    match LOCK.try_read() {
                        Some(g) => g,
                        None => {
                            TRY_FAILED.fetch_add(1, SeqCst);
                            LOCK.read()
                        }
                    }
                } else {
                    LOCK.read()
                };
                read_side(&mut rng, &g);
            }
        }
        pause(&mut rng);
        if op % 1024 == 0 && ABORT.load(SeqCst) {
            break;
        }
    }
    Ok(())
}

fn rwlock_readers_and_writers_never_overlap() -> TestResult {
    {
        let mut g = LOCK.write();
        *g = Shared { a: 0, b: 0, per_thread: [0; RW_THREADS] };
    }
    for s in WRITES.iter().chain([&OVERLAPS, &TRY_FAILED, &DOWNGRADES, &SHARED_READS]) {
        s.store(0, SeqCst);
    }
    run_threads::<RW_THREADS>(RW_THREADS, 1, rw_thread)?;
    note!(
        "{} try_read/try_write found the lock taken; {} downgrades; {} reads shared the lock with another reader",
        TRY_FAILED.load(SeqCst),
        DOWNGRADES.load(SeqCst),
        SHARED_READS.load(SeqCst)
    );
    check_eq!(OVERLAPS.load(SeqCst), 0);
    let g = LOCK.read();
    let total: u64 = WRITES.iter().map(|w| w.load(SeqCst)).sum();
    check!(g.a == total && g.b == total, "fields {} and {} after {total} writes", g.a, g.b);
    for (i, w) in WRITES.iter().enumerate() {
        check_eq!(g.per_thread[i], w.load(SeqCst));
    }
    check!(total > 0);
    drop(g);
    check!(!LOCK.is_locked());
    Ok(())
}

// ---------------------------------------------------------------------------------------------

const BARRIER_THREADS: usize = 5;
static BARRIER: Barrier = Barrier::new(BARRIER_THREADS);
static ARRIVED: AtomicU64 = AtomicU64::new(0);
static LEADERS: AtomicU64 = AtomicU64::new(0);

fn rounds() -> u64 {
    size(20_000, 2_000, 2_000, 200)
}

/// A thread that fails leaves the others waiting at the barrier for it: the watchdog then ends
/// the test, and the failure is in the waiting line it prints.
fn barrier_thread(_id: usize, mut rng: Rng) -> Result<(), Failure> {
    for round in 0..rounds() {
        pause(&mut rng);
        if rng.one_in(64) {
            // Arrive late enough that the others give up spinning and sleep.
            thread::sleep(Duration::from_micros(rng.below(500)));
        }
        ARRIVED.fetch_add(1, SeqCst);
        let leader = BARRIER.wait().is_leader();
        let arrived = ARRIVED.load(SeqCst);
        check!(
            arrived >= (round + 1) * BARRIER_THREADS as u64,
            "round {round}: released after only {arrived} arrivals in all"
        );
        if leader {
            LEADERS.fetch_add(1, SeqCst);
        }
        // A second crossing per round: nobody arrives for the next round (which would count
        // towards this one's check above) before all have checked.
        BARRIER.wait();
        check!(
            LEADERS.load(SeqCst) == round + 1,
            "round {round}: {} leaders so far",
            LEADERS.load(SeqCst)
        );
        BARRIER.wait();
    }
    Ok(())
}

fn barrier_rounds_one_leader_nobody_early() -> TestResult {
    ARRIVED.store(0, SeqCst);
    LEADERS.store(0, SeqCst);
    run_threads::<BARRIER_THREADS>(BARRIER_THREADS, 2, barrier_thread)?;
    check_eq!(LEADERS.load(SeqCst), rounds());
    Ok(())
}
