//! Timeouts under load: while other threads keep every CPU busy, timed futex waits, timed
//! condition-variable waits and sleeps must never end before the time asked for, nor more than a
//! few seconds after it, however many spurious wake-ups (futex wakes with no change, notifies
//! with the condition still false, signals that interrupt the wait) they meet on the way; and a
//! real wake-up must still arrive.
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
use strand::futex::{self, WaitResult};
use strand::signal::{self, Action, Context, Flags, Handler, SigInfo, SigSet, Signal};
use strand::sync::{Condvar, Mutex};
use strand::thread::{self, Builder, JoinHandle};
use strand::time::Instant;
use support::{size, spin, waiting_for, AtomicU64, Rng, Stress};

strand::main!(main);

const TESTS: &[Stress] = &[
    ("futex_timeouts_on_time_despite_spurious_wakes", futex_timeouts_on_time_despite_spurious_wakes, 120),
    ("condvar_timeouts_on_time_despite_notifies", condvar_timeouts_on_time_despite_notifies, 120),
    ("sleep_on_time_despite_signals", sleep_on_time_despite_signals, 120),
    ("wake_ups_arrive_under_load", wake_ups_arrive_under_load, 120),
];

fn main() -> i32 {
    support::run("futex_timeouts", TESTS)
}

/// The most a wait may overrun, with every CPU busy.
fn late() -> Duration {
    support::limit(Duration::from_secs(3))
}

const WAITERS: usize = 4;

fn waits_per_thread() -> u64 {
    size(200, 60, 40, 15)
}

/// A wait time: mostly 0.5 to 30 ms; one in 25 crosses a whole second (so the timespec's
/// seconds field is used too), the first one of each thread included.
fn pick_duration(rng: &mut Rng, first: bool) -> Duration {
    if first || rng.one_in(25) {
        Duration::from_millis(1000) + Duration::from_micros(rng.below(100_000))
    } else {
        Duration::from_micros(500 + rng.below(29_500))
    }
}

// ---------------------------------------------------------------------------------------------
// The load: as many spinning threads as twice the CPUs we may use.

static STOP_LOAD: AtomicBool = AtomicBool::new(false);

struct Load {
    handles: [Option<JoinHandle<u64>>; 16],
}

impl Load {
    fn start() -> Result<Load, Failure> {
        STOP_LOAD.store(false, SeqCst);
        let cpus = thread::available_parallelism().map_or(1, |n| n.get());
        let n = (2 * cpus).clamp(2, 16);
        let mut load = Load { handles: [const { None }; 16] };
        for (i, slot) in load.handles.iter_mut().enumerate().take(n) {
            let h = Builder::new()
                .stack_size(32 << 10)
                .spawn(|| {
                    let mut rounds = 0u64;
                    while !STOP_LOAD.load(SeqCst) {
                        spin(1000);
                        rounds += 1;
                    }
                    rounds
                })
                .map_err(|e| support::spawn_failed(format_args!("load thread {i}"), e))?;
            *slot = Some(h);
        }
        note!("{n} threads spinning on {cpus} CPUs");
        Ok(load)
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        STOP_LOAD.store(true, SeqCst);
        for h in self.handles.iter_mut() {
            if let Some(h) = h.take() {
                // The load threads are other threads: their joins cannot be self-joins.
                let _ = h.join();
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Spurious wake-ups: the main thread pokes the waiters while they wait.

/// Bumped inside the handler, so a lock-free `AtomicU32` on every target (see `AtomicU64` in
/// support).
static SIGNALS: AtomicU32 = AtomicU32::new(0);

fn on_signal(_: &SigInfo, _: &mut Context) {
    SIGNALS.fetch_add(1, SeqCst);
}

/// Installs the counting SIGUSR1 handler (without SA_RESTART, so waits see EINTR) until dropped.
struct SignalHandler(Action);

impl SignalHandler {
    fn install() -> Result<SignalHandler, Failure> {
        let counting = Action { handler: Handler::Function(on_signal), flags: Flags::NONE, mask: SigSet::EMPTY };
        let old = signal::set_action(Signal::USR1, &counting)
            .map_err(|e| Failure::new(format_args!("rt_sigaction(SIGUSR1): {e}")))?;
        Ok(SignalHandler(old))
    }
}

impl Drop for SignalHandler {
    fn drop(&mut self) {
        let _ = signal::set_action(Signal::USR1, &self.0);
    }
}

/// What the waiters saw, summed over all of them.
struct Stats {
    waits: AtomicU64,
    spurious: AtomicU64,
    interrupted: AtomicU64,
    /// Largest overrun, in microseconds.
    worst_late_us: AtomicU64,
}

static STATS: Stats = Stats { waits: AtomicU64::new(0), spurious: AtomicU64::new(0), interrupted: AtomicU64::new(0), worst_late_us: AtomicU64::new(0) };

impl Stats {
    fn reset(&self) {
        for s in [&self.waits, &self.spurious, &self.interrupted, &self.worst_late_us] {
            s.store(0, SeqCst);
        }
        SIGNALS.store(0, SeqCst);
    }

    fn report(&self) {
        note!(
            "{} timed waits: {} spurious wake-ups, {} interrupted by a signal ({} signals handled); worst overrun {} us",
            self.waits.load(SeqCst),
            self.spurious.load(SeqCst),
            self.interrupted.load(SeqCst),
            SIGNALS.load(SeqCst),
            self.worst_late_us.load(SeqCst)
        );
    }
}

/// Checks one complete timed wait: not early, not too late.
fn check_on_time(what: &str, asked: Duration, took: Duration) -> TestResult {
    STATS.waits.fetch_add(1, SeqCst);
    check!(took >= asked, "{what} of {asked:?} ended early, after {took:?}");
    let over = took - asked;
    STATS.worst_late_us.fetch_max(over.as_micros() as u64, SeqCst);
    check!(over <= late(), "{what} of {asked:?} took {took:?}: more than {:?} late", late());
    Ok(())
}

static WORDS: [AtomicU32; WAITERS] = [const { AtomicU32::new(0) }; WAITERS];

/// Runs `waiter(i, rng)` on `WAITERS` threads while the main thread, until they are done, pokes
/// them at random every 50 to 500 us with `poke(rng, handles)`.
fn with_waiters(
    stream: u64,
    waiter: fn(usize, Rng) -> TestResult,
    mut poke: impl FnMut(&mut Rng, &[Option<JoinHandle<TestResult>>; WAITERS]),
) -> TestResult {
    let mut rng = Rng::for_stream(stream);
    let mut handles: [Option<JoinHandle<TestResult>>; WAITERS] = [const { None }; WAITERS];
    let mut result = Ok(());
    for (i, slot) in handles.iter_mut().enumerate() {
        let r = rng.fork();
        match Builder::new().stack_size(64 << 10).spawn(move || waiter(i, r)) {
            Ok(h) => *slot = Some(h),
            Err(e) => {
                result = Err(support::spawn_failed(format_args!("waiter {i}"), e));
                break;
            }
        }
    }
    waiting_for(format_args!("the {WAITERS} waiters to finish their timed waits"));
    while handles.iter().any(|h| h.as_ref().is_some_and(|h| !h.is_finished())) {
        thread::sleep(Duration::from_micros(50 + rng.below(450)));
        poke(&mut rng, &handles);
    }
    for h in handles.iter_mut() {
        if let Some(h) = h.take() {
            let r = h.join().map_err(Failure::from).and_then(|r| r);
            if result.is_ok() {
                result = r;
            }
        }
    }
    result
}

fn futex_timeouts_on_time_despite_spurious_wakes() -> TestResult {
    STATS.reset();
    let _handler = SignalHandler::install()?;
    let _load = Load::start()?;
    with_waiters(
        1,
        |i, mut rng| {
            let word = &WORDS[i];
            for k in 0..waits_per_thread() {
                let asked = pick_duration(&mut rng, k == 0);
                let start = Instant::now();
                // A timed wait as a careful caller writes it: after an early return, wait
                // again for what is left.
                loop {
                    let left = asked.saturating_sub(start.elapsed());
                    if left.is_zero() {
                        break;
                    }
                    let t0 = Instant::now();
                    match futex::wait_private(word, 0, Some(left)) {
                        WaitResult::TimedOut => {
                            let took = t0.elapsed();
                            check!(took >= left, "futex wait of {left:?} said TimedOut after only {took:?}");
                            break;
                        }
                        WaitResult::Woken => {
                            STATS.spurious.fetch_add(1, SeqCst);
                        }
                        WaitResult::Interrupted => {
                            STATS.interrupted.fetch_add(1, SeqCst);
                        }
                        WaitResult::ValueChanged => check!(false, "the futex word changed, yet nobody writes it"),
                    }
                }
                check_on_time("a futex wait loop", asked, start.elapsed())?;
            }
            Ok(())
        },
        |rng, handles| {
            let i = rng.below(WAITERS as u64) as usize;
            if rng.one_in(4) {
                if let Some(h) = &handles[i] {
                    let _ = h.signal(Signal::USR1);
                }
            } else {
                // A wake with the value unchanged: the waiter sees a spurious wake-up.
                futex::wake_private(&WORDS[i], 1);
            }
        },
    )?;
    STATS.report();
    check!(STATS.spurious.load(SeqCst) > 0, "no spurious wake-up happened: the test did not test that");
    Ok(())
}

struct Never {
    flag: bool,
}

static STATE: Mutex<Never> = Mutex::new(Never { flag: false });
static CV: Condvar = Condvar::new();

fn condvar_timeouts_on_time_despite_notifies() -> TestResult {
    STATS.reset();
    let _load = Load::start()?;
    with_waiters(
        2,
        |_, mut rng| {
            for k in 0..waits_per_thread() {
                let asked = pick_duration(&mut rng, k == 0);
                let g = STATE.lock();
                let start = Instant::now();
                if rng.one_in(2) {
                    // wait_timeout_while must sleep through every notify while the condition
                    // holds, and say it timed out.
                    let (g, r) = CV.wait_timeout_while(g, asked, |s| !s.flag);
                    let took = start.elapsed();
                    check!(r.timed_out(), "wait_timeout_while returned early without its condition after {took:?}");
                    drop(g);
                    check_on_time("Condvar::wait_timeout_while", asked, took)?;
                } else {
                    // A single wait_timeout may wake early for a notify, but when it says it
                    // timed out, the time must have passed.
                    let (g, r) = CV.wait_timeout(g, asked);
                    let took = start.elapsed();
                    drop(g);
                    if r.timed_out() {
                        check_on_time("Condvar::wait_timeout", asked, took)?;
                    } else {
                        STATS.spurious.fetch_add(1, SeqCst);
                    }
                }
            }
            Ok(())
        },
        |rng, _| {
            if rng.one_in(2) {
                CV.notify_all()
            } else {
                CV.notify_one()
            }
        },
    )?;
    STATS.report();
    Ok(())
}

fn sleep_on_time_despite_signals() -> TestResult {
    STATS.reset();
    let _handler = SignalHandler::install()?;
    let _load = Load::start()?;
    with_waiters(
        3,
        |_, mut rng| {
            for k in 0..waits_per_thread() {
                let asked = pick_duration(&mut rng, k == 0);
                let start = Instant::now();
                thread::sleep(asked);
                check_on_time("thread::sleep", asked, start.elapsed())?;
            }
            Ok(())
        },
        |rng, handles| {
            if let Some(h) = &handles[rng.below(WAITERS as u64) as usize] {
                let _ = h.signal(Signal::USR1);
            }
        },
    )?;
    STATS.report();
    check!(SIGNALS.load(SeqCst) > 0, "no signal reached a sleeping thread: the test did not test that");
    Ok(())
}

/// Ping-pong through two futex words with every CPU busy: each wake must arrive (the waits have
/// a long timeout that must never run out).
fn wake_ups_arrive_under_load() -> TestResult {
    static PING: AtomicU32 = AtomicU32::new(0);
    static PONG: AtomicU32 = AtomicU32::new(0);
    let rounds = size(2_000, 300, 300, 60) as u32;
    PING.store(0, SeqCst);
    PONG.store(0, SeqCst);
    let _load = Load::start()?;
    let wait_for = |word: &AtomicU32, value: u32, who: &str| -> TestResult {
        let limit = late();
        let start = Instant::now();
        loop {
            let now = word.load(SeqCst);
            if now >= value {
                return Ok(());
            }
            let left = limit.saturating_sub(start.elapsed());
            check!(!left.is_zero(), "{who}: no wake-up for round {value} within {limit:?}");
            futex::wait_private(word, now, Some(left));
        }
    };
    let h = Builder::new()
        .stack_size(64 << 10)
        .spawn(move || -> TestResult {
            for r in 1..=rounds {
                wait_for(&PING, r, "ponger")?;
                PONG.store(r, SeqCst);
                futex::wake_private(&PONG, 1);
            }
            Ok(())
        })
        .map_err(|e| support::spawn_failed(format_args!("ponger"), e))?;
    let start = Instant::now();
    let mut result = Ok(());
    for r in 1..=rounds {
        if r % 256 == 0 {
            waiting_for(format_args!("ping-pong round {r} of {rounds}"));
        }
        PING.store(r, SeqCst);
        futex::wake_private(&PING, 1);
        if let Err(e) = wait_for(&PONG, r, "pinger") {
            result = Err(e);
            // Let the ponger run out of rounds instead of waiting for us.
            PING.store(u32::MAX, SeqCst);
            futex::wake_private(&PING, 1);
            break;
        }
    }
    let pong = h.join();
    result?;
    pong??;
    let took = start.elapsed();
    note!("{rounds} round trips in {took:?} ({:?} each)", took / rounds);
    Ok(())
}
