//! The detach/exit race, forced: a handle is detached before its thread exits, after it has
//! exited, and while it is exiting (random delays on both sides, calibrated to the length of the
//! exit path), many thousands of times. Whoever comes second must free the thread's memory, and
//! exactly one side may: every result (a Drop counter) is dropped exactly once, by the side the
//! ordering implies, no two threads ever share a stack, and the mapping count returns to where
//! it started.
#![no_std]
#![no_main]

#[path = "../tests/common/mod.rs"]
#[macro_use]
mod common;
#[macro_use]
mod support;

use common::{Failure, TestResult};
use core::sync::atomic::Ordering::SeqCst;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicUsize};
use strand::futex;
use strand::thread::{self, Builder, JoinHandle};
use support::{size, spawn_failed, spin, usage, waiting_for, AtomicU64, Rng, Stress};

strand::main!(main);

const TESTS: &[Stress] = &[
    ("calibrate_exit_window", calibrate_exit_window, 60),
    ("detach_before_exit", detach_before_exit, 120),
    ("detach_after_exit", detach_after_exit, 120),
    ("detach_during_exit", detach_during_exit, 120),
    ("detach_at_random_points", detach_at_random_points, 120),
];

fn main() -> i32 {
    support::run("detach_race", TESTS)
}

/// Threads per ordering: many thousands natively, fewer under QEMU.
fn iterations() -> u64 {
    size(20_000, 5_000, 4_000, 1_000)
}

/// Threads alive at once in a batch, so that exits also race with each other (and with the
/// stack cache's puts and takes).
const BATCH: usize = 8;

/// Who dropped a result.
static DROPS: [AtomicU32; BATCH] = [const { AtomicU32::new(0) }; BATCH];
static DROPPER: [AtomicI32; BATCH] = [const { AtomicI32::new(0) }; BATCH];
static TOTAL_DROPS: AtomicU64 = AtomicU64::new(0);
/// Set by a thread just before it returns its result.
static RETURNING: [AtomicU32; BATCH] = [const { AtomicU32::new(0) }; BATCH];
static STAMP_BROKEN: AtomicBool = AtomicBool::new(false);

/// A thread's result: counts its drops and remembers who dropped it.
struct Tracked {
    slot: usize,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        DROPPER[self.slot].store(thread::current_tid(), SeqCst);
        DROPS[self.slot].fetch_add(1, SeqCst);
        TOTAL_DROPS.fetch_add(1, SeqCst);
    }
}

/// A reusable gate: threads wait until its generation moves past the one they were given.
static GATE: AtomicU32 = AtomicU32::new(0);

fn gate_wait(generation: u32) {
    while GATE.load(SeqCst) == generation {
        futex::wait_private(&GATE, generation, Some(core::time::Duration::from_millis(100)));
    }
}

fn gate_open() {
    GATE.fetch_add(1, SeqCst);
    futex::wake_private(&GATE, u32::MAX);
}

/// Writes a pattern on the thread's own stack, waits, and checks it: two threads running on one
/// stack (a mapping freed twice and handed out twice) would overwrite each other's pattern.
#[inline(never)]
fn stamp_and_check(id: u64, delay: u64) {
    let mut buf = [0u64; 32];
    for (k, w) in buf.iter_mut().enumerate() {
        *w = id.rotate_left(k as u32) ^ 0xA5A5;
    }
    let buf = core::hint::black_box(buf);
    spin(delay);
    if !buf.iter().enumerate().all(|(k, &w)| w == id.rotate_left(k as u32) ^ 0xA5A5) {
        STAMP_BROKEN.store(true, SeqCst);
    }
}

/// Busy-waits for `f` (a sleep would let the moment pass), yielding now and then in case the
/// awaited thread shares our CPU, for at most `secs` seconds.
fn spin_until(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let start = strand::time::Instant::now();
    let mut n = 0u32;
    loop {
        if f() {
            return true;
        }
        n = n.wrapping_add(1);
        if n % 256 == 0 {
            thread::yield_now();
            if start.elapsed() > core::time::Duration::from_secs(secs) {
                return f();
            }
        }
        core::hint::spin_loop();
    }
}

/// Spins of `support::spin` between a thread saying it returns and the kernel clearing its tid
/// (the whole exit path), measured by `calibrate_exit_window`.
static EXIT_WINDOW: AtomicU64 = AtomicU64::new(0);

/// The CPU the threads run on, away from the main thread's, so that an exit and a detach really
/// overlap instead of taking turns on one CPU; `usize::MAX` if only one CPU is allowed.
static WORKER_CPU: AtomicUsize = AtomicUsize::new(usize::MAX);

fn to_worker_cpu() {
    let cpu = WORKER_CPU.load(SeqCst);
    if cpu != usize::MAX {
        let _ = support::pin_to_cpu(cpu);
    }
}

fn two_cpus() -> bool {
    WORKER_CPU.load(SeqCst) != usize::MAX
}

fn calibrate_exit_window() -> TestResult {
    const SAMPLES: usize = 63;
    let (cpus, n) = support::allowed_cpus::<2>();
    if n == 2 {
        support::pin_to_cpu(cpus[0]).map_err(|e| Failure::new(format_args!("sched_setaffinity: {e}")))?;
        WORKER_CPU.store(cpus[1], SeqCst);
        note!("main thread on CPU {}, the threads it detaches on CPU {}", cpus[0], cpus[1]);
    } else {
        note!("one CPU allowed: exits and detaches can only interleave through preemption");
    }
    let mut spins = [0u64; SAMPLES];
    for (i, s) in spins.iter_mut().enumerate() {
        waiting_for(format_args!("calibration thread {i} to finish"));
        RETURNING[0].store(0, SeqCst);
        let h = Builder::new()
            .stack_size(16 << 10)
            .spawn(|| {
                to_worker_cpu();
                RETURNING[0].store(1, SeqCst)
            })
            .map_err(|e| spawn_failed(format_args!("calibration thread {i}"), e))?;
        check!(spin_until(30, || RETURNING[0].load(SeqCst) == 1), "calibration thread {i} never ran");
        let mut n = 0u64;
        while !h.is_finished() {
            spin(1);
            n += 1;
        }
        *s = n;
        h.join()?;
    }
    spins.sort_unstable();
    let median = spins[SAMPLES / 2].max(8);
    EXIT_WINDOW.store(median, SeqCst);
    note!("exit path: median {} spins (min {}, max {}); 'during' delays are drawn from 0..{}", median, spins[0], spins[SAMPLES - 1], 2 * median);
    Ok(())
}

/// How one batch orders the detaches against the exits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    /// Every thread waits at a gate until all handles are detached.
    Before,
    /// Every thread has exited (the kernel cleared its tid) before its handle is detached.
    After,
    /// The main thread sees the thread's last store, waits a random part of twice the exit
    /// path, then detaches, while the thread lingers a random, adaptive while before returning:
    /// the detach lands before the thread's exit, or anywhere along it.
    During,
    /// Random delays on both sides, no coordination.
    Random,
}

/// Who dropped the results of one ordering's threads.
#[derive(Default)]
struct Tally {
    by_thread: u64,
    by_handle: u64,
    /// Of `by_handle`: the thread was still on its way out when its handle was detached (the
    /// handle had to wait for the kernel before freeing).
    handle_while_exiting: u64,
}

fn run_order(order: Order, stream: u64) -> Result<Tally, Failure> {
    let n = iterations();
    let batches = n.div_ceil(BATCH as u64);
    let window = EXIT_WINDOW.load(SeqCst).max(16);
    let mut rng = Rng::for_stream(stream);
    let main_tid = thread::current_tid();
    let mut tally = Tally::default();
    // How long a lingering thread may wait between its last store and its return. Load on the
    // machine shifts who tends to come first, so it adapts: a batch in which every lingering
    // thread's detach came second makes them linger longer, one in which all came first, less.
    let mut linger = window;
    TOTAL_DROPS.store(0, SeqCst);
    STAMP_BROKEN.store(false, SeqCst);
    let before = usage();
    let mut spawned = 0u64;
    for b in 0..batches {
        if b % 64 == 0 {
            waiting_for(format_args!("batch {b} of {batches}"));
        }
        for k in 0..BATCH {
            DROPS[k].store(0, SeqCst);
            DROPPER[k].store(0, SeqCst);
            RETURNING[k].store(0, SeqCst);
        }
        let generation = GATE.load(SeqCst);
        let mut handles: [Option<JoinHandle<Tracked>>; BATCH] = [const { None }; BATCH];
        let mut tids = [0i32; BATCH];
        let mut exiting = [false; BATCH];
        // Half the threads (in the 'during' order) return at once, so the detach lands along
        // their exit path; the others linger, so it can land before their exit.
        let lingers: [bool; BATCH] = core::array::from_fn(|_| order == Order::During && rng.one_in(2));
        for (k, slot) in handles.iter_mut().enumerate() {
            let mut r = rng.fork();
            let id = spawned;
            let h = Builder::new()
                .stack_size(16 << 10)
                .spawn(move || {
                    to_worker_cpu();
                    if order == Order::Before {
                        gate_wait(generation);
                    }
                    stamp_and_check(id, r.below(window / 4 + 1));
                    RETURNING[k].store(1, SeqCst);
                    if lingers[k] {
                        spin(r.below(linger + 1));
                    }
                    Tracked { slot: k }
                })
                .map_err(|e| spawn_failed(format_args!("thread {id}"), e))?;
            tids[k] = h.thread().tid();
            *slot = Some(h);
            spawned += 1;
        }
        // Detach in a random order, so that neighbours in the batch finish in every order too.
        let mut order_of = [0usize, 1, 2, 3, 4, 5, 6, 7];
        for i in (1..BATCH).rev() {
            order_of.swap(i, rng.below(i as u64 + 1) as usize);
        }
        for &k in &order_of {
            let h = handles[k].take().expect("spawned");
            match order {
                Order::Before => {}
                Order::After => {
                    waiting_for(format_args!("thread {} (batch {b}) to exit before its detach", tids[k]));
                    check!(common::eventually(30, || h.is_finished()), "thread {} never finished", tids[k]);
                }
                Order::During => {
                    waiting_for(format_args!("thread {} (batch {b}) to reach its return", tids[k]));
                    check!(
                        spin_until(30, || RETURNING[k].load(SeqCst) == 1),
                        "thread {} never reached its return",
                        tids[k]
                    );
                    spin(rng.below(2 * window + 1));
                }
                Order::Random => spin(rng.below(2 * window + 1)),
            }
            exiting[k] = RETURNING[k].load(SeqCst) == 1 && !h.is_finished();
            h.detach();
            if order == Order::After {
                // The thread was gone, so detach itself dropped the result.
                check_eq!(DROPS[k].load(SeqCst), 1);
                check!(DROPPER[k].load(SeqCst) == main_tid, "batch {b}: an exited thread's result was not dropped by detach");
            }
        }
        if order == Order::Before {
            gate_open();
        }
        waiting_for(format_args!("the {BATCH} results of batch {b} to be dropped"));
        let all = common::eventually(30, || DROPS.iter().all(|d| d.load(SeqCst) >= 1));
        check!(all, "batch {b}: results dropped {:?} times (30 s after the detaches)", DROPS.each_ref().map(|d| d.load(SeqCst)));
        for k in 0..BATCH {
            let drops = DROPS[k].load(SeqCst);
            check!(drops == 1, "batch {b}, thread {}: result dropped {drops} times", tids[k]);
            let by = DROPPER[k].load(SeqCst);
            if by == tids[k] {
                tally.by_thread += 1;
            } else if by == main_tid {
                tally.by_handle += 1;
                tally.handle_while_exiting += exiting[k] as u64;
            } else {
                check!(false, "batch {b}: thread {}'s result dropped by tid {by}", tids[k]);
            }
            if order == Order::Before {
                check!(by == tids[k], "batch {b}: thread {} was detached before it could exit, yet its result was dropped by the handle", tids[k]);
            }
        }
        check!(!STAMP_BROKEN.load(SeqCst), "batch {b}: a thread found its stack pattern overwritten (a stack given to two threads?)");
        let lingered = lingers.iter().filter(|&&l| l).count();
        let first = (0..BATCH).filter(|&k| lingers[k] && DROPPER[k].load(SeqCst) == tids[k]).count();
        if lingered > 0 && first == 0 {
            linger = (linger * 2).min(window << 12);
        } else if lingered > 0 && first == lingered {
            linger = (linger / 2).max(1);
        }
    }
    waiting_for(format_args!("the mapping count to return to {} after {spawned} detached threads", before.maps));
    let mut now = usage();
    let back = common::eventually(20, || {
        now = usage();
        now.maps == before.maps
    });
    check!(back, "{} mappings after {spawned} detached threads, {} before", now.maps, before.maps);
    check_eq!(TOTAL_DROPS.load(SeqCst), spawned);
    note!(
        "{spawned} threads: {} results dropped by their thread, {} by detach ({} of those while the thread was still exiting)",
        tally.by_thread,
        tally.by_handle,
        tally.handle_while_exiting
    );
    if order == Order::During {
        note!("threads lingered up to {linger} spins at the end (the exit path measured {window})");
    }
    Ok(tally)
}

fn detach_before_exit() -> TestResult {
    run_order(Order::Before, 1).map(drop)
}

fn detach_after_exit() -> TestResult {
    run_order(Order::After, 2).map(drop)
}

fn detach_during_exit() -> TestResult {
    let t = run_order(Order::During, 3)?;
    // The delays span twice the measured exit path, so both sides must have come second some of
    // the time; if one never did, the ordering was not exercised.
    if !two_cpus() {
        return Ok(());
    }
    check!(
        t.by_thread > 0 && t.by_handle > 0,
        "the detaches never landed on both sides of the exit ({} by thread, {} by handle): the calibrated window missed",
        t.by_thread,
        t.by_handle
    );
    Ok(())
}

fn detach_at_random_points() -> TestResult {
    run_order(Order::Random, 4).map(drop)
}
