//! Signal storm: every real-time signal strand supports (35..=60) and SIGURG, sent at every
//! thread and at the process, while threads are spawned, detached and joined and hammer a
//! mutex: nothing crashes (a handler frame never lands on a stack being unmapped: a detached
//! thread blocks everything before it frees its own mapping, the bug class of origin#125), the
//! lock totals are exact, and every process-directed real-time signal the kernel accepted is
//! handled exactly once: by a handler, or by the signal router (`signal::Router`), which routes
//! the top six real-time signals for a while, is stopped and started again several times during
//! the storm, and must lose nothing across its stops.
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
use strand::signal::{self, Action, Context, Flags, Handler, Router, SigInfo, SigSet, Signal};
use strand::sync::Mutex;
use strand::thread::{self, Builder, JoinHandle};
use support::{size, waiting_for, AtomicU64, Rng, Stress};

strand::main!(main);

const TESTS: &[Stress] = &[("storm_during_spawn_detach_and_lock_torture", storm_during_spawn_detach_and_lock_torture, 180)];

fn main() -> i32 {
    support::run("signals", TESTS)
}

/// Handled instances: thread-directed ones (a thread that exits with one pending discards it,
/// so these are only counted) and process-directed ones (each accepted `sigqueue` is handled
/// exactly once, by some thread).
static HANDLED_THREAD: AtomicU64 = AtomicU64::new(0);
static HANDLED_PROCESS: AtomicU64 = AtomicU64::new(0);
static HANDLED_URG: AtomicU64 = AtomicU64::new(0);
/// Process-directed instances the router's callback took, and callbacks run on a thread other
/// than the router's (must stay 0).
static ROUTED_PROCESS: AtomicU64 = AtomicU64::new(0);
static ROUTED_ELSEWHERE: AtomicU64 = AtomicU64::new(0);
/// The value a process-directed send carries, so its handler can tell it from a directed one.
const PROCESS_VALUE: usize = 0x5107_0000;

fn on_rt(info: &SigInfo, _: &mut Context) {
    if info.value() == Some(PROCESS_VALUE) {
        HANDLED_PROCESS.fetch_add(1, SeqCst);
    } else {
        HANDLED_THREAD.fetch_add(1, SeqCst);
    }
}

fn on_urg(_: &SigInfo, _: &mut Context) {
    HANDLED_URG.fetch_add(1, SeqCst);
}

static STOP: AtomicBool = AtomicBool::new(false);
static COUNTER: Mutex<(u64, u64)> = Mutex::new((0, 0));

/// One churn worker: short-lived threads, half joined (their increments counted exactly), half
/// detached (they still lock and count, and free their own mappings while signals fly).
fn churn(rounds: u64, mut rng: Rng) -> Result<u64, Failure> {
    let mut expected = 0;
    for _ in 0..rounds {
        let n = 1 + rng.below(200);
        let work = move || {
            for i in 0..n {
                let mut g = COUNTER.lock();
                g.0 += 1;
                if i % 16 == 0 {
                    core::hint::spin_loop();
                }
                g.1 += 2;
            }
        };
        let h = Builder::new().stack_size(32 << 10).spawn(work).map_err(|e| support::spawn_failed(format_args!("churn thread"), e))?;
        if rng.one_in(2) {
            h.join().map_err(Failure::from)?;
        } else {
            h.detach();
        }
        expected += n;
    }
    Ok(expected)
}

fn storm_during_spawn_detach_and_lock_torture() -> TestResult {
    const WORKERS: usize = 4;
    let rounds = size(400, 60, 60, 15);
    let (lo, hi) = (signal::rt_min().number(), signal::rt_max().number());
    // Each handler blocks the whole storm while it runs, as a program under such a storm must:
    // otherwise 26 different signals nest 26 handler frames (each 3.4 KiB with AVX-512 state
    // here) and overflow a small thread stack, which the kernel can only answer by killing the
    // process.
    // (Not SIGURG: it is also strand's control signal, which a handler should not hold off,
    // or every stop waits for the storm to pause.)
    let mut storm = SigSet::EMPTY;
    for n in lo..=hi {
        storm.insert(Signal::new(n).map_err(err)?);
    }
    for n in lo..=hi {
        let action = Action { handler: Handler::Function(on_rt), flags: Flags::RESTART, mask: storm };
        signal::set_action(Signal::new(n).map_err(err)?, &action).map_err(err)?;
    }
    // SIGURG is strand's control signal: the program's handler is the one run for instances
    // strand did not send itself (as here), and thread control keeps working.
    signal::set_handler(Signal::URG, Handler::Function(on_urg)).map_err(err)?;
    STOP.store(false, SeqCst);
    *COUNTER.lock() = (0, 0);
    // This thread and the harness's watchdog.
    let baseline = thread::thread_count();
    static SENT_PROCESS: AtomicU64 = AtomicU64::new(0);
    static SENT_THREAD: AtomicU64 = AtomicU64::new(0);
    static STORMERS_DONE: AtomicU32 = AtomicU32::new(0);
    SENT_PROCESS.store(0, SeqCst);
    SENT_THREAD.store(0, SeqCst);
    STORMERS_DONE.store(0, SeqCst);
    for h in [&HANDLED_THREAD, &HANDLED_PROCESS, &HANDLED_URG] {
        h.store(0, SeqCst);
    }
    let stormer = |stream: u64| {
        move || {
            let mut rng = Rng::for_stream(stream);
            let pid = strand::syscall::getpid();
            while !STOP.load(SeqCst) {
                let sig = Signal::new(lo + rng.below((hi - lo + 1) as u64) as u32).unwrap_or(Signal::URG);
                match rng.below(4) {
                    0 => {
                        // Process-directed: some thread that does not block it runs the handler.
                        if signal::queue(pid, sig, PROCESS_VALUE).is_ok() {
                            SENT_PROCESS.fetch_add(1, SeqCst);
                        }
                    }
                    1 => {
                        let _ = signal::kill(pid, Signal::URG);
                    }
                    _ => {
                        // At every thread the registry shows, including ones about to exit.
                        thread::for_each_thread(|t| {
                            if !t.exited && t.thread.tid() != 0 {
                                let s = if rng.one_in(8) { Signal::URG } else { sig };
                                if signal::send_to_thread(t.thread.tid(), s).is_ok() {
                                    SENT_THREAD.fetch_add(1, SeqCst);
                                }
                            }
                        });
                    }
                }
                // A stormer that never pauses can keep a target in handlers for good: each
                // handler's return finds the next instance pending, and the thread runs none of
                // its own code (seen natively once the churn workers were done and the main
                // thread was the stormers' main target). Under QEMU every delivery is emulated,
                // slowly, so the pause is longer.
                if support::qemu() {
                    thread::sleep(core::time::Duration::from_micros(200));
                } else if rng.one_in(4) {
                    thread::sleep(core::time::Duration::from_micros(10));
                }
            }
            STORMERS_DONE.fetch_add(1, SeqCst);
        }
    };
    let stormers: [JoinHandle<()>; 2] = [
        Builder::new().name("stormer-0").spawn(stormer(11)).map_err(|e| support::spawn_failed(format_args!("stormer"), e))?,
        Builder::new().name("stormer-1").spawn(stormer(12)).map_err(|e| support::spawn_failed(format_args!("stormer"), e))?,
    ];
    let mut rng = Rng::for_stream(3);
    let mut workers: [Option<JoinHandle<Result<u64, Failure>>>; WORKERS] = [const { None }; WORKERS];
    let mut result = Ok(());
    for w in workers.iter_mut() {
        let r = rng.fork();
        match Builder::new().spawn(move || churn(rounds, r)) {
            Ok(h) => *w = Some(h),
            Err(e) => {
                result = Err(support::spawn_failed(format_args!("churn worker"), e));
                break;
            }
        }
    }
    // Thread control keeps working through the storm.
    for _ in 0..size(20, 5, 5, 2) {
        drop(thread::stop_the_world().map_err(err)?);
    }
    // The router takes the top six real-time signals for a while, several times over: starting
    // and stopping it changes every thread's mask in the middle of the storm and the churn.
    let mut routed = SigSet::EMPTY;
    for n in hi - 5..=hi {
        routed.insert(Signal::new(n).map_err(err)?);
    }
    let mut callback = |info: &SigInfo| {
        if thread::current().name() != Some("strand-signals") {
            ROUTED_ELSEWHERE.fetch_add(1, SeqCst);
        }
        if info.value() == Some(PROCESS_VALUE) {
            ROUTED_PROCESS.fetch_add(1, SeqCst);
        } else {
            // Sent with `tgkill` to the router thread itself.
            HANDLED_THREAD.fetch_add(1, SeqCst);
        }
    };
    ROUTED_PROCESS.store(0, SeqCst);
    ROUTED_ELSEWHERE.store(0, SeqCst);
    for _ in 0..size(10, 3, 3, 2) {
        let before = ROUTED_PROCESS.load(SeqCst);
        let router = Router::start(&routed, callback).map_err(err)?;
        // Let the storm reach it (not a check: a slow machine just routes fewer).
        let _ = common::eventually(5, || ROUTED_PROCESS.load(SeqCst) >= before + 5);
        callback = router.stop().map_err(err)?;
    }
    let mut expected = 0;
    for (i, w) in workers.iter_mut().enumerate() {
        if let Some(w) = w.take() {
            waiting_for(format_args!("churn worker {i}"));
            match w.join().map_err(Failure::from).and_then(|r| r) {
                Ok(n) => expected += n,
                Err(e) => result = result.and(Err(e)),
            }
        }
    }
    STOP.store(true, SeqCst);
    for s in stormers {
        s.join()?;
    }
    result?;
    // Detached threads may still be finishing: wait until they are gone.
    waiting_for(format_args!("detached churn threads to finish"));
    if !common::eventually(60, || thread::thread_count() == baseline) {
        let me = thread::current_tid();
        thread::for_each_thread(|t| {
            if !t.exited && t.thread.tid() != me {
                note!("still running: tid {} '{}' state {:?}", t.thread.tid(), t.thread.name().unwrap_or("?"), common::thread_state(t.thread.tid()).map(char::from));
            }
        });
        return Err(Failure::new(format_args!("{} threads still running, {baseline} expected", thread::thread_count())));
    }
    let g = *COUNTER.lock();
    check_eq!(g, (expected, 2 * expected));
    // Every accepted process-directed signal is handled once: those still pending reach a
    // thread that is left.
    let sent = SENT_PROCESS.load(SeqCst);
    let handled = || HANDLED_PROCESS.load(SeqCst) + ROUTED_PROCESS.load(SeqCst);
    check!(
        common::eventually(20, || handled() == sent),
        "{} of {sent} process-directed signals handled ({} by handlers, {} by the router)",
        handled(),
        HANDLED_PROCESS.load(SeqCst),
        ROUTED_PROCESS.load(SeqCst)
    );
    check_eq!(ROUTED_ELSEWHERE.load(SeqCst), 0);
    check!(ROUTED_PROCESS.load(SeqCst) > 0, "the router took no signal: the test tested nothing");
    check!(HANDLED_THREAD.load(SeqCst) <= SENT_THREAD.load(SeqCst), "more thread-directed deliveries than sends");
    note!(
        "{expected} locked increments; {sent} process-directed real-time signals, all handled ({} of them by the router); {} of {} thread-directed ones handled (the rest died with their threads); {} stray SIGURGs handled",
        ROUTED_PROCESS.load(SeqCst),
        HANDLED_THREAD.load(SeqCst),
        SENT_THREAD.load(SeqCst),
        HANDLED_URG.load(SeqCst)
    );
    check!(sent > 0 && HANDLED_THREAD.load(SeqCst) > 0, "the storm reached nobody: the test tested nothing");
    for n in lo..=hi {
        signal::set_handler(Signal::new(n).map_err(err)?, Handler::Default).map_err(err)?;
    }
    signal::set_handler(Signal::URG, Handler::Default).map_err(err)?;
    Ok(())
}

fn err(e: impl core::fmt::Display) -> Failure {
    Failure::new(format_args!("{e}"))
}
