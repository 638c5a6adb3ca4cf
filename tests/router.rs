//! `signal::Router`: routed signals reach the router thread and nobody else, are blocked in
//! threads already running and inherited by new ones, come back unblocked (and with their old
//! actions) when it stops, and what cannot be routed is refused.
#![no_std]
#![no_main]

#[macro_use]
mod common;

use common::{Failure, TestResult};
use core::sync::atomic::Ordering::SeqCst;
use core::sync::atomic::{AtomicBool, AtomicU32};
use strand::signal::{self, Code, Context, Handler, Router, RouterError, SigInfo, SigSet, Signal};
use strand::sync::{Mutex, Semaphore};
use strand::thread;

strand::main!(main);

const TESTS: &[common::Test] = &[
    ("router_takes_100_of_100_process_signals_while_8_threads_run", router_takes_100_of_100_process_signals_while_8_threads_run),
    ("routed_signals_are_blocked_in_running_threads_and_restored", routed_signals_are_blocked_in_running_threads_and_restored),
    ("threads_born_while_routing_inherit_and_get_it_back", threads_born_while_routing_inherit_and_get_it_back),
    ("a_thread_that_unblocks_a_routed_signal_forwards_it", a_thread_that_unblocks_a_routed_signal_forwards_it),
    ("callback_runs_in_normal_context_and_restart_keeps_its_state", callback_runs_in_normal_context_and_restart_keeps_its_state),
    ("stopping_takes_what_is_still_pending", stopping_takes_what_is_still_pending),
    ("what_cannot_be_routed_is_refused", what_cannot_be_routed_is_refused),
];

fn main() -> i32 {
    common::run("router", TESTS)
}

fn err(e: impl core::fmt::Display) -> Failure {
    Failure::new(format_args!("{e}"))
}

/// The real-time signal the counting tests route (queues: one delivery per send).
fn rt() -> Signal {
    Signal::new(signal::rt_min().number() + 3).expect("in range")
}

/// Counts runs of the program's own handler, which must never run while the signal is routed.
static OWN_HANDLER_RAN: AtomicU32 = AtomicU32::new(0);
fn own_handler(_: &SigInfo, _: &mut Context) {
    OWN_HANDLER_RAN.fetch_add(1, SeqCst);
}

fn router_takes_100_of_100_process_signals_while_8_threads_run() -> TestResult {
    const N: usize = 100;
    static SEEN: [AtomicBool; N] = [const { AtomicBool::new(false) }; N];
    static DUPLICATES: AtomicU32 = AtomicU32::new(0);
    static ELSEWHERE: AtomicU32 = AtomicU32::new(0);
    static DONE: Semaphore = Semaphore::new(0);
    static STOP: AtomicBool = AtomicBool::new(false);
    for s in &SEEN {
        s.store(false, SeqCst);
    }
    STOP.store(false, SeqCst);
    OWN_HANDLER_RAN.store(0, SeqCst);
    let sig = rt();
    signal::set_handler(sig, Handler::Function(own_handler)).map_err(err)?;
    // Eight threads that would take a process-directed signal if they did not block it: four
    // spinning, four asleep in a futex wait.
    static SLEEP_WORD: AtomicU32 = AtomicU32::new(0);
    SLEEP_WORD.store(0, SeqCst);
    let mut workers: [Option<thread::JoinHandle<()>>; 8] = [const { None }; 8];
    for (i, w) in workers.iter_mut().enumerate() {
        *w = Some(
            thread::spawn(move || {
                while !STOP.load(SeqCst) {
                    if i % 2 == 0 {
                        core::hint::spin_loop();
                    } else {
                        strand::futex::wait_private(&SLEEP_WORD, 0, None);
                    }
                }
            })
            .map_err(err)?,
        );
    }
    let router = Router::start(&SigSet::of(&[sig]), |info: &SigInfo| {
        match info.value() {
            Some(v) if v < N => {
                if SEEN[v].swap(true, SeqCst) {
                    DUPLICATES.fetch_add(1, SeqCst);
                }
            }
            _ => {
                ELSEWHERE.fetch_add(1, SeqCst);
            }
        }
        if thread::current().name() != Some("strand-signals") {
            ELSEWHERE.fetch_add(1, SeqCst);
        }
        let _ = DONE.release();
    })
    .map_err(err)?;
    let pid = strand::syscall::getpid();
    for v in 0..N {
        signal::queue(pid, sig, v).map_err(err)?;
    }
    let mut got = 0;
    for _ in 0..N {
        if !DONE.acquire_timeout(core::time::Duration::from_secs(20)) {
            break;
        }
        got += 1;
    }
    let _callback = router.stop().map_err(err)?;
    STOP.store(true, SeqCst);
    SLEEP_WORD.store(1, SeqCst);
    strand::futex::wake_private(&SLEEP_WORD, u32::MAX);
    for w in workers.iter_mut() {
        if let Some(w) = w.take() {
            w.join()?;
        }
    }
    check_eq!(got, N);
    check!(SEEN.iter().all(|s| s.load(SeqCst)), "a value never arrived");
    check_eq!(DUPLICATES.load(SeqCst), 0);
    check_eq!(ELSEWHERE.load(SeqCst), 0);
    check_eq!(OWN_HANDLER_RAN.load(SeqCst), 0);
    // The program's handler is back, and runs again.
    check!(matches!(signal::get_handler(sig).map_err(err)?, Handler::Function(f) if core::ptr::fn_addr_eq(f, own_handler as fn(&SigInfo, &mut Context))));
    signal::raise(sig).map_err(err)?;
    check_eq!(OWN_HANDLER_RAN.load(SeqCst), 1);
    signal::set_handler(sig, Handler::Default).map_err(err)?;
    Ok(())
}

/// A worker that reports its own mask each time it is asked.
struct MaskReporter {
    ask: Semaphore,
    answered: Semaphore,
    mask: Mutex<SigSet>,
    quit: AtomicBool,
}

impl MaskReporter {
    const fn new() -> MaskReporter {
        MaskReporter { ask: Semaphore::new(0), answered: Semaphore::new(0), mask: Mutex::new(SigSet::EMPTY), quit: AtomicBool::new(false) }
    }

    /// Runs in the worker: answers until told to quit.
    fn serve(&self) {
        loop {
            self.ask.acquire();
            if self.quit.load(SeqCst) {
                return;
            }
            *self.mask.lock() = signal::mask().unwrap_or(SigSet::FULL);
            let _ = self.answered.release();
        }
    }

    /// Which of `of` the worker blocks now.
    fn blocked(&self, of: &[Signal]) -> [bool; 4] {
        let _ = self.ask.release();
        self.answered.acquire();
        let m = *self.mask.lock();
        let mut r = [false; 4];
        for (i, s) in of.iter().enumerate() {
            r[i] = m.contains(*s);
        }
        r
    }

    fn quit(&self) {
        self.quit.store(true, SeqCst);
        let _ = self.ask.release();
    }
}

fn routed_signals_are_blocked_in_running_threads_and_restored() -> TestResult {
    static R: MaskReporter = MaskReporter::new();
    let set = [Signal::USR1, Signal::USR2, Signal::WINCH, rt()];
    // The worker blocks SIGUSR2 itself before the router starts: it stays blocked after.
    let h = thread::Builder::new()
        .block_signals(&SigSet::of(&[Signal::USR2]))
        .spawn(|| R.serve())
        .map_err(err)?;
    check_eq!(R.blocked(&set), [false, true, false, false]);
    let router = Router::start(&SigSet::of(&set), |_: &SigInfo| {}).map_err(err)?;
    check_eq!(R.blocked(&set), [true, true, true, true]);
    // The caller, too.
    let me = signal::mask().map_err(err)?;
    check!(set.iter().all(|&s| me.contains(s)), "the starting thread does not block every routed signal");
    let _callback = router.stop().map_err(err)?;
    check_eq!(R.blocked(&set), [false, true, false, false]);
    let me = signal::mask().map_err(err)?;
    check!(set.iter().all(|&s| !me.contains(s)), "the starting thread still blocks a routed signal");
    R.quit();
    h.join()?;
    Ok(())
}

fn threads_born_while_routing_inherit_and_get_it_back() -> TestResult {
    static R: MaskReporter = MaskReporter::new();
    static EXACT: MaskReporter = MaskReporter::new();
    let set = [Signal::USR1, rt()];
    let router = Router::start(&SigSet::of(&set), |_: &SigInfo| {}).map_err(err)?;
    // Spawned by a thread that itself was spawned while routing.
    let h = thread::spawn(|| thread::spawn(|| R.serve())).map_err(err)?.join()?.map_err(err)?;
    // An exact mask is the caller's: it blocks only SIGUSR1, and keeps it after the stop.
    let exact = thread::Builder::new().signal_mask(&SigSet::of(&[Signal::USR1])).spawn(|| EXACT.serve()).map_err(err)?;
    check_eq!(R.blocked(&set), [true, true, false, false]);
    check_eq!(EXACT.blocked(&set), [true, false, false, false]);
    let _callback = router.stop().map_err(err)?;
    check_eq!(R.blocked(&set), [false, false, false, false]);
    check_eq!(EXACT.blocked(&set), [true, false, false, false]);
    R.quit();
    EXACT.quit();
    h.join()?;
    exact.join()?;
    Ok(())
}

fn a_thread_that_unblocks_a_routed_signal_forwards_it() -> TestResult {
    /// What the callback saw: (tid it ran on, code, sender pid, value or -1), per arrival.
    static SEEN: Mutex<[(i32, i32, i32, isize); 2]> = Mutex::new([(0, 0, 0, 0); 2]);
    static ARRIVED: AtomicU32 = AtomicU32::new(0);
    static GOT: Semaphore = Semaphore::new(0);
    OWN_HANDLER_RAN.store(0, SeqCst);
    signal::set_handler(Signal::USR1, Handler::Function(own_handler)).map_err(err)?;
    let router = Router::start(&SigSet::of(&[Signal::USR1]), |info: &SigInfo| {
        let n = ARRIVED.fetch_add(1, SeqCst) as usize;
        if n < 2 {
            let value = info.value().map_or(-1, |v| v as isize);
            SEEN.lock()[n] = (thread::current_tid(), info.code().0, info.sender().map_or(0, |(pid, _)| pid), value);
        }
        let _ = GOT.release();
    })
    .map_err(err)?;
    let router_tid = router.thread().tid();
    let pid = strand::syscall::getpid();
    // This thread takes SIGUSR1 back, so the kernel gives it the instances sent to the process
    // (every other thread blocks it) and those it raises: the handler that runs here is the
    // router's forwarder, which passes each on.
    let raiser = thread::spawn(move || -> Result<(), strand::errno::Errno> {
        signal::unblock(&SigSet::of(&[Signal::USR1]))?;
        // A queued instance goes on unchanged, value and all.
        signal::queue(pid, Signal::USR1, 77)?;
        check_arrivals(1);
        // A raised one carries SI_TKILL, which only the raising thread itself may claim: it
        // goes on as SI_QUEUE, with the sender's pid.
        signal::raise(Signal::USR1)?;
        check_arrivals(2);
        Ok(())
    })
    .map_err(err)?;
    fn check_arrivals(n: u32) {
        // Each was forwarded before `queue`/`raise` returned (the handler ran on the way out of
        // the syscall); wait for the router to have called back.
        while ARRIVED.load(SeqCst) < n {
            if !GOT.acquire_timeout(core::time::Duration::from_secs(20)) {
                return;
            }
        }
    }
    raiser.join()?.map_err(err)?;
    let _callback = router.stop().map_err(err)?;
    check!(ARRIVED.load(SeqCst) == 2, "the forwarded signals never reached the router");
    let seen = *SEEN.lock();
    check_eq!(seen[0], (router_tid, Code::QUEUE.0, pid, 77));
    check_eq!(seen[1], (router_tid, Code::QUEUE.0, pid, 0));
    check_eq!(OWN_HANDLER_RAN.load(SeqCst), 0);
    signal::set_handler(Signal::USR1, Handler::Default).map_err(err)?;
    Ok(())
}

fn callback_runs_in_normal_context_and_restart_keeps_its_state() -> TestResult {
    static GOT: Semaphore = Semaphore::new(0);
    // What the callback's own state was at its last call, and how many of its spawns joined.
    static LAST_COUNT: AtomicU32 = AtomicU32::new(0);
    static JOINED: AtomicU32 = AtomicU32::new(0);
    static LOCK: strand::sync::Mutex<u32> = strand::sync::Mutex::new(0);
    let sig = rt();
    let pid = strand::syscall::getpid();
    let mut count = 0u32;
    let callback = move |_: &SigInfo| {
        count += 1;
        LAST_COUNT.store(count, SeqCst);
        // Normal context: spawn and join, take a lock.
        if let Ok(h) = thread::spawn(|| 7u32) {
            if h.join() == Ok(7) {
                JOINED.fetch_add(1, SeqCst);
            }
        }
        *LOCK.lock() += 1;
        let _ = GOT.release();
    };
    let router = Router::start(&SigSet::of(&[sig]), callback).map_err(err)?;
    check!(matches!(Router::start(&SigSet::of(&[Signal::USR2]), |_: &SigInfo| {}), Err(RouterError::AlreadyRunning)));
    signal::queue(pid, sig, 1).map_err(err)?;
    check!(GOT.acquire_timeout(core::time::Duration::from_secs(20)), "first signal never handled");
    let callback = router.stop().map_err(err)?;
    // Sent while no router runs and the signal is blocked here: it waits, pending for the
    // process, for the next router to take it.
    signal::block(&SigSet::of(&[sig])).map_err(err)?;
    signal::kill(pid, sig).map_err(err)?;
    let router = Router::start(&SigSet::of(&[sig]), callback).map_err(err)?;
    check!(GOT.acquire_timeout(core::time::Duration::from_secs(20)), "the pending signal never reached the restarted router");
    let _callback = router.stop().map_err(err)?;
    // This thread blocked it before the router did: it stays blocked after the stop.
    check!(signal::mask().map_err(err)?.contains(sig), "the router unblocked a signal this thread had blocked itself");
    signal::unblock(&SigSet::of(&[sig])).map_err(err)?;
    check_eq!(LAST_COUNT.load(SeqCst), 2);
    check_eq!(JOINED.load(SeqCst), 2);
    check_eq!(*LOCK.lock(), 2);
    Ok(())
}

fn stopping_takes_what_is_still_pending() -> TestResult {
    static ENTERED: Semaphore = Semaphore::new(0);
    static VALUES: Mutex<([usize; 4], usize)> = Mutex::new(([0; 4], 0));
    static START_REFUSED: AtomicBool = AtomicBool::new(false);
    // The router wakes itself with the first signal of its set: `wake` sorts before `late`, so
    // the kernel hands the router thread the wake-up before the instance still pending.
    let wake = Signal::new(signal::rt_min().number() + 5).expect("in range");
    let late = Signal::new(signal::rt_min().number() + 6).expect("in range");
    let pid = strand::syscall::getpid();
    let router = Router::start(&SigSet::of(&[wake, late]), move |info: &SigInfo| {
        {
            let mut v = VALUES.lock();
            let n = v.1;
            if n < 4 {
                v.0[n] = info.value().unwrap_or(usize::MAX);
            }
            v.1 += 1;
        }
        if info.value() == Some(1) {
            let _ = ENTERED.release();
            // Busy until the wake-up is pending for this thread: the second instance is then
            // pending too (stop forwarded it here), and only the last drain can take it.
            let _ = common::eventually(20, || signal::pending().is_ok_and(|p| p.contains(wake)));
            // The stop is now waiting for this callback: starting a router from here is refused,
            // not a deadlock.
            let refused = matches!(Router::start(&SigSet::of(&[Signal::USR2]), |_: &SigInfo| {}), Err(RouterError::AlreadyRunning));
            START_REFUSED.store(refused, SeqCst);
        }
    })
    .map_err(err)?;
    signal::queue(pid, late, 1).map_err(err)?;
    check!(ENTERED.acquire_timeout(core::time::Duration::from_secs(20)), "the router never took the first instance");
    // Every thread blocks `late` and the router thread is in its callback: this one waits.
    signal::queue(pid, late, 2).map_err(err)?;
    let _callback = router.stop().map_err(err)?;
    let (values, n) = *VALUES.lock();
    check_eq!(n, 2);
    check_eq!([values[0], values[1]], [1, 2]);
    check!(START_REFUSED.load(SeqCst), "a start from the callback during a stop was not refused");
    Ok(())
}

fn what_cannot_be_routed_is_refused() -> TestResult {
    for s in [Signal::SEGV, Signal::BUS, Signal::FPE, Signal::ILL, Signal::URG, Signal::KILL, Signal::STOP] {
        match Router::start(&SigSet::of(&[Signal::USR1, s]), |_: &SigInfo| {}) {
            Err(RouterError::NotRoutable(r)) => check_eq!(r, s),
            Err(e) => return Err(Failure::new(format_args!("{s:?}: {e}"))),
            Ok(_) => return Err(Failure::new(format_args!("{s:?} was routed"))),
        }
    }
    check!(matches!(Router::start(&SigSet::EMPTY, |_: &SigInfo| {}), Err(RouterError::Empty)));
    // Nothing was left blocked or replaced by the refusals.
    let me = signal::mask().map_err(err)?;
    check!(!me.contains(Signal::USR1), "a refused router left SIGUSR1 blocked");
    Ok(())
}
