//! Channel and semaphore torture: producers and consumers with random yields, sleeps, try and
//! timed operations over a small ring; threads through a semaphore that releases in batches.
//! Totals must be exact (every item once, per-producer order kept, never more holders than
//! permits), and every wait is bounded: a wait that runs out while there is long been something
//! for it is a lost wake-up, reported as a failure.
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
use strand::sync::channel::{Channel, RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError};
use strand::sync::{Mutex, Semaphore};
use strand::thread::{self, Builder, JoinHandle};
use support::{size, spin, waiting_for, AtomicU64, Rng, Stress};

strand::main!(main);

const TESTS: &[Stress] = &[
    ("channel_every_item_once_in_order", channel_every_item_once_in_order, 120),
    ("semaphore_never_over_permits_exact_total", semaphore_never_over_permits_exact_total, 120),
];

fn main() -> i32 {
    support::run("events", TESTS)
}

/// A wait that lasts this long counts as lost.
fn long_wait() -> Duration {
    support::limit(Duration::from_secs(10))
}

static ABORT: AtomicBool = AtomicBool::new(false);
static START: AtomicU32 = AtomicU32::new(0);

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

/// A random pause: mostly nothing, sometimes a yield or a spin, rarely a short sleep.
fn jitter(rng: &mut Rng) {
    match rng.below(1024) {
        0..=31 => thread::yield_now(),
        32..=33 => thread::sleep(Duration::from_micros(rng.below(100))),
        34..=63 => spin(rng.below(200)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------

const PRODUCERS: usize = 4;
const CONSUMERS: usize = 4;
/// Small, so that senders find it full and sleep as often as receivers find it empty.
const SLOTS: usize = 4;
const MAX_PER_PRODUCER: usize = 50_000;

static CH: Channel<(u32, u32), SLOTS> = Channel::new();
/// One bit per item, set by the consumer that got it.
static SEEN: [AtomicU32; PRODUCERS * MAX_PER_PRODUCER / 32] = [const { AtomicU32::new(0) }; PRODUCERS * MAX_PER_PRODUCER / 32];
static RECEIVED: AtomicU64 = AtomicU64::new(0);
static FULL: AtomicU64 = AtomicU64::new(0);
static EMPTY: AtomicU64 = AtomicU64::new(0);
static TIMED_OUT: AtomicU64 = AtomicU64::new(0);

fn per_producer() -> u64 {
    size(MAX_PER_PRODUCER as u64, 5_000, 5_000, 500)
}

fn channel_every_item_once_in_order() -> TestResult {
    // The static channel is split once per process; this test runs once.
    let Ok((tx, rx)) = CH.split() else {
        return Err(Failure::new(format_args!("the static channel was split already")));
    };
    for c in [&RECEIVED, &FULL, &EMPTY, &TIMED_OUT] {
        c.store(0, SeqCst);
    }
    // Every torture thread gets its own endpoint, made before the threads start.
    static mut SENDERS: [Option<strand::sync::channel::Sender<'static, (u32, u32), SLOTS>>; PRODUCERS] = [const { None }; PRODUCERS];
    static mut RECEIVERS: [Option<strand::sync::channel::Receiver<'static, (u32, u32), SLOTS>>; CONSUMERS] = [const { None }; CONSUMERS];
    // SAFETY: filled here before any torture thread runs; each thread later takes only its own
    // entry (by index), once.
    unsafe {
        for s in (*(&raw mut SENDERS)).iter_mut() {
            *s = Some(tx.clone());
        }
        for r in (*(&raw mut RECEIVERS)).iter_mut() {
            *r = Some(rx.clone());
        }
    }
    drop((tx, rx));
    let n = per_producer();
    run_threads::<{ PRODUCERS + CONSUMERS }>(PRODUCERS + CONSUMERS, 11, |id, mut rng| {
        if id < PRODUCERS {
            // SAFETY: thread `id` alone takes entry `id` (see above).
            let tx = unsafe { (*(&raw mut SENDERS))[id].take() }.expect("one sender per producer");
            for i in 0..per_producer() as u32 {
                let mut item = (id as u32, i);
                loop {
                    let r = match rng.below(8) {
                        0 => match tx.try_send(item) {
                            Ok(()) => Ok(()),
                            Err(TrySendError::Full(v)) => {
                                FULL.fetch_add(1, SeqCst);
                                item = v;
                                thread::yield_now();
                                continue;
                            }
                            Err(TrySendError::Disconnected(_)) => Err(Failure::new(format_args!("receivers gone early"))),
                        },
                        1 => match tx.send_timeout(item, Duration::from_micros(rng.below(200))) {
                            Ok(()) => Ok(()),
                            Err(SendTimeoutError::Timeout(v)) => {
                                TIMED_OUT.fetch_add(1, SeqCst);
                                item = v;
                                continue;
                            }
                            Err(SendTimeoutError::Disconnected(_)) => Err(Failure::new(format_args!("receivers gone early"))),
                        },
                        _ => match tx.send_timeout(item, long_wait()) {
                            Ok(()) => Ok(()),
                            Err(_) => Err(Failure::new(format_args!("producer {id}: a send waited {:?} (lost wake-up)", long_wait()))),
                        },
                    };
                    r?;
                    break;
                }
                jitter(&mut rng);
                if i % 1024 == 0 && ABORT.load(SeqCst) {
                    break;
                }
            }
            Ok(())
        } else {
            // SAFETY: as above, consumer `id - PRODUCERS` takes its own entry.
            let rx = unsafe { (*(&raw mut RECEIVERS))[id - PRODUCERS].take() }.expect("one receiver per consumer");
            let mut last = [None::<u32>; PRODUCERS];
            loop {
                let got = match rng.below(8) {
                    0 => match rx.try_recv() {
                        Ok(v) => v,
                        Err(TryRecvError::Empty) => {
                            EMPTY.fetch_add(1, SeqCst);
                            thread::yield_now();
                            continue;
                        }
                        Err(TryRecvError::Disconnected) => return Ok(()),
                    },
                    1 => match rx.recv_timeout(Duration::from_micros(rng.below(200))) {
                        Ok(v) => v,
                        Err(RecvTimeoutError::Timeout) => {
                            TIMED_OUT.fetch_add(1, SeqCst);
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => return Ok(()),
                    },
                    _ => match rx.recv_timeout(long_wait()) {
                        Ok(v) => v,
                        Err(RecvTimeoutError::Disconnected) => return Ok(()),
                        Err(RecvTimeoutError::Timeout) => {
                            if ABORT.load(SeqCst) {
                                return Ok(());
                            }
                            return Err(Failure::new(format_args!("consumer: a receive waited {:?} (lost wake-up)", long_wait())));
                        }
                    },
                };
                let (p, i) = (got.0 as usize, got.1);
                if last[p].is_some_and(|l| l >= i) {
                    return Err(Failure::new(format_args!("producer {p}: item {i} after {:?} (order lost)", last[p])));
                }
                last[p] = Some(i);
                let bit = p * MAX_PER_PRODUCER + i as usize;
                if SEEN[bit / 32].fetch_or(1 << (bit % 32), SeqCst) & (1 << (bit % 32)) != 0 {
                    return Err(Failure::new(format_args!("producer {p}: item {i} delivered twice")));
                }
                RECEIVED.fetch_add(1, SeqCst);
                jitter(&mut rng);
            }
        }
    })?;
    note!(
        "{} items; try_send found it full {} times, try_recv empty {} times; {} short timed waits ran out",
        RECEIVED.load(SeqCst),
        FULL.load(SeqCst),
        EMPTY.load(SeqCst),
        TIMED_OUT.load(SeqCst)
    );
    check_eq!(RECEIVED.load(SeqCst), PRODUCERS as u64 * n);
    for p in 0..PRODUCERS {
        let missing = (0..n as usize).find(|&i| {
            let bit = p * MAX_PER_PRODUCER + i;
            SEEN[bit / 32].load(SeqCst) & (1 << (bit % 32)) == 0
        });
        check!(missing.is_none(), "producer {p}: item {missing:?} never arrived");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------

const SEM_THREADS: usize = 8;
const PERMITS: u32 = 3;

static SEM: Semaphore = Semaphore::new(PERMITS);
static BATCH: Mutex<()> = Mutex::new(());
static INSIDE: AtomicU32 = AtomicU32::new(0);
static MAX_INSIDE: AtomicU32 = AtomicU32::new(0);
static PASSES: AtomicU64 = AtomicU64::new(0);
static TRY_FAILED: AtomicU64 = AtomicU64::new(0);

fn semaphore_never_over_permits_exact_total() -> TestResult {
    for c in [&PASSES, &TRY_FAILED, &TIMED_OUT] {
        c.store(0, SeqCst);
    }
    MAX_INSIDE.store(0, SeqCst);
    let n = size(100_000, 10_000, 10_000, 1_000);
    run_threads::<SEM_THREADS>(SEM_THREADS, 12, |_, mut rng| {
        let n = size(100_000, 10_000, 10_000, 1_000);
        let mut i = 0;
        while i < n {
            // Sometimes take two permits and give them back in one batch (release_n wakes two).
            let batch = if rng.one_in(16) { 2 } else { 1 };
            // A thread holding one permit while it waits for a second is hold-and-wait: with
            // three such threads nobody could go on. So only one thread at a time collects a
            // batch.
            let _one_collector = (batch == 2).then(|| BATCH.lock());
            let mut held = 0;
            while held < batch {
                let ok = match rng.below(8) {
                    0 => {
                        let ok = SEM.try_acquire();
                        if !ok {
                            TRY_FAILED.fetch_add(1, SeqCst);
                            thread::yield_now();
                            continue;
                        }
                        ok
                    }
                    1 => {
                        if !SEM.acquire_timeout(Duration::from_micros(rng.below(200))) {
                            TIMED_OUT.fetch_add(1, SeqCst);
                            continue;
                        }
                        true
                    }
                    _ => SEM.acquire_timeout(long_wait()),
                };
                if !ok {
                    return Err(Failure::new(format_args!("an acquire waited {:?} (lost wake-up)", long_wait())));
                }
                held += 1;
            }
            let now = INSIDE.fetch_add(batch, SeqCst) + batch;
            MAX_INSIDE.fetch_max(now, SeqCst);
            match rng.below(1024) {
                0..=15 => thread::yield_now(),
                16 => thread::sleep(Duration::from_micros(rng.below(50))),
                17..=255 => spin(rng.below(64)),
                _ => {}
            }
            drop(_one_collector);
            INSIDE.fetch_sub(batch, SeqCst);
            PASSES.fetch_add(batch as u64, SeqCst);
            SEM.release_n(batch).map_err(|e| Failure::new(format_args!("{e}")))?;
            i += batch as u64;
            jitter(&mut rng);
            if i % 4096 == 0 && ABORT.load(SeqCst) {
                break;
            }
        }
        Ok(())
    })?;
    note!(
        "{} passes; try_acquire failed {} times; {} short timed acquires ran out; at most {} inside",
        PASSES.load(SeqCst),
        TRY_FAILED.load(SeqCst),
        TIMED_OUT.load(SeqCst),
        MAX_INSIDE.load(SeqCst)
    );
    check!(MAX_INSIDE.load(SeqCst) <= PERMITS, "{} holders of {PERMITS} permits", MAX_INSIDE.load(SeqCst));
    let passes = PASSES.load(SeqCst);
    check!(passes >= SEM_THREADS as u64 * n && passes <= SEM_THREADS as u64 * (n + 1), "{passes} passes for {SEM_THREADS} x {n}");
    check_eq!(SEM.available_permits(), PERMITS);
    Ok(())
}
