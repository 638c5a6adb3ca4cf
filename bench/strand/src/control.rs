//! Workloads 10–12, 15 and 16, thread control and signal round trips, which only strand among
//! the Rust competitors has: its counterparts are bdwgc's stop-the-world (bench/c/bdwgc.c) and glibc's
//! `pthread_kill`, `sigprocmask` and `sigwaitinfo` (bench/c/bench.c), which mirror these loops. Same protocol as bench/common.

use crate::Strand;
use bench_common::{print, Rt};
use core::hint::spin_loop;
use core::sync::atomic::Ordering::{Relaxed, SeqCst};
use core::sync::atomic::{AtomicU32, AtomicU64};
use core::time::Duration;
use strand::Errno;
use strand::signal::{self, Action, Context, Flags, Handler, Router, SigInfo, SigSet, Signal};
use strand::thread::{self, Builder, JoinHandle};

fn result(name: &str, value: f64) {
    print::<Strand>(format_args!("RESULT {name} {value:.3}"));
}

fn error(args: core::fmt::Arguments<'_>) -> i32 {
    print::<Strand>(format_args!("ERROR {args}"));
    1
}

static STARTED: AtomicU32 = AtomicU32::new(0);
static STOP: AtomicU32 = AtomicU32::new(0);

/// A thread the world stops: parked in a futex wait (a collector's usual case: most threads of
/// a program are blocked) or spinning on a load (a thread busy in user code).
fn parked(_: usize) {
    STARTED.fetch_add(1, SeqCst);
    Strand::futex_wake(&STARTED, 1);
    while STOP.load(SeqCst) == 0 {
        Strand::futex_wait(&STOP, 0);
    }
}

/// Laps of each spinning thread, so that the stopper can tell they all run again.
static LAPS: [AtomicU64; MAX_SPINNERS] = [const { AtomicU64::new(0) }; MAX_SPINNERS];
const MAX_SPINNERS: usize = 64;

fn spinning(i: usize) {
    STARTED.fetch_add(1, SeqCst);
    Strand::futex_wake(&STARTED, 1);
    while STOP.load(Relaxed) == 0 {
        LAPS[i].fetch_add(1, Relaxed);
        spin_loop();
    }
}

/// Untimed, between two stops: lets the threads of the last one get back to what they were
/// doing, as they would between a collector's stops. Without it the next stop finds them still
/// in the handler of the last (strand's resume only wakes them; it does not wait for them to
/// run), which measures neither a real resume nor a real stop. Spinning threads are waited for
/// until each has lapped; for parked ones, whose return into their futex wait shows nowhere,
/// the stopper sleeps 1 ms plus 10 µs per thread. bench/c/bdwgc.c does the same.
fn settle(threads: usize, spin: bool) {
    if spin {
        let mut seen = [0u64; MAX_SPINNERS];
        for (s, l) in seen.iter_mut().zip(&LAPS[..threads]) {
            *s = l.load(Relaxed);
        }
        while seen.iter().zip(&LAPS[..threads]).any(|(s, l)| l.load(Relaxed) == *s) {
            thread::sleep(Duration::from_micros(100));
        }
    } else {
        thread::sleep(Duration::from_micros(1000 + 10 * threads as u64));
    }
}

/// Starts `n` threads running `body` with 64 KiB stacks (bdwgc's program uses the same size) and
/// waits until each has started; the handles, or an error code.
fn start(n: usize, body: fn(usize)) -> Result<&'static mut [core::mem::MaybeUninit<JoinHandle<()>>], i32> {
    let slots = Strand::handle_slots(n);
    for (i, s) in slots.iter_mut().enumerate() {
        match Builder::new().stack_size(64 << 10).spawn(move || body(i)) {
            Ok(h) => {
                s.write(h);
            }
            Err(e) => return Err(error(format_args!("spawning thread {i} failed: {e:?}"))),
        }
    }
    loop {
        let s = STARTED.load(SeqCst);
        if s as usize >= n {
            return Ok(slots);
        }
        Strand::futex_wait(&STARTED, s);
    }
}

fn stop_all(slots: &mut [core::mem::MaybeUninit<JoinHandle<()>>]) {
    STOP.store(1, SeqCst);
    Strand::futex_wake(&STOP, i32::MAX as u32);
    for s in slots {
        // SAFETY: `start` filled every slot it returned, and each is read once, here.
        Strand::join(unsafe { s.assume_init_read() });
    }
}

/// 10: `stop_the_world()` and dropping what it returns (the resume), with `threads` others.
pub fn stop_world(threads: usize, iters: u64, spin: bool) -> i32 {
    if spin && threads > MAX_SPINNERS {
        return error(format_args!("at most {MAX_SPINNERS} spinning threads"));
    }
    let slots = match start(threads, if spin { spinning } else { parked }) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // Once, untimed: the stop really reaches every thread (a collector would scan each).
    match thread::stop_the_world() {
        Ok(world) => {
            let mut seen = 0;
            world.for_each(|_| seen += 1);
            if seen != threads {
                return error(format_args!("stop_the_world stopped {seen} threads, not {threads}"));
            }
        }
        Err(e) => return error(format_args!("stop_the_world failed: {e}")),
    }
    // Only the stop and the resume are timed, from before `stop_the_world` to after the drop.
    let mut timed = 0;
    for i in 0..iters / 10 + 1 + iters {
        settle(threads, spin);
        let t0 = Strand::now_ns();
        if let Err(e) = thread::stop_the_world().map(drop) {
            return error(format_args!("stop_the_world failed: {e}"));
        }
        let t1 = Strand::now_ns();
        if i > iters / 10 {
            timed += t1 - t0;
        }
    }
    result("us_per_stop", timed as f64 / iters as f64 / 1e3);
    stop_all(slots);
    0
}

static RAN: AtomicU64 = AtomicU64::new(0);

/// 11: `Thread::run_in` of a closure that only counts itself, on a parked thread: the signal,
/// the handler, the call and the acknowledgement, until `run_in` returns.
pub fn interrupt(iters: u64) -> i32 {
    let slots = match start(1, parked) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // SAFETY: `start` filled the one slot; the handle stays there until `stop_all` reads it.
    let target = unsafe { slots[0].assume_init_ref() }.thread();
    let once = || {
        target.run_in(|| {
            RAN.fetch_add(1, Relaxed);
        })
    };
    let warm = iters / 10 + 1;
    for _ in 0..warm {
        if let Err(e) = once() {
            return error(format_args!("run_in failed: {e}"));
        }
    }
    let t0 = Strand::now_ns();
    for _ in 0..iters {
        if let Err(e) = once() {
            return error(format_args!("run_in failed: {e}"));
        }
    }
    let t1 = Strand::now_ns();
    if RAN.load(SeqCst) != warm + iters {
        return error(format_args!("the closure ran {} times, not {}", RAN.load(SeqCst), warm + iters));
    }
    result("ns_per_round_trip", (t1 - t0) as f64 / iters as f64);
    stop_all(slots);
    0
}

static ACK: AtomicU32 = AtomicU32::new(0);

/// Counts the call and acknowledges on `ACK`, which the sender sleeps on (what the C handlers
/// of workloads 15 and 16 do).
fn acknowledge() {
    RAN.fetch_add(1, Relaxed);
    ACK.store(1, SeqCst);
    Strand::futex_wake(&ACK, 1);
}

fn on_signal(_: &SigInfo, _: &mut Context) {
    acknowledge();
}

/// Sends with `send`, then sleeps until acknowledged; `warm` untimed rounds, then `iters`
/// timed ones; the ns per timed round trip.
fn round_trips(warm: u64, iters: u64, send: impl Fn() -> Result<(), Errno>) -> Result<f64, i32> {
    let mut t0 = 0;
    for i in 0..warm + iters {
        if i == warm {
            t0 = Strand::now_ns();
        }
        ACK.store(0, SeqCst);
        if let Err(e) = send() {
            return Err(error(format_args!("sending the signal failed: {e}")));
        }
        while ACK.load(SeqCst) == 0 {
            Strand::futex_wait(&ACK, 0);
        }
    }
    let t1 = Strand::now_ns();
    if RAN.load(SeqCst) != warm + iters {
        return Err(error(format_args!("{} signals taken, not {}", RAN.load(SeqCst), warm + iters)));
    }
    Ok((t1 - t0) as f64 / iters as f64)
}

/// 15: a signal to a parked thread's handler, round trip: `send_to_thread` (tgkill), strand's
/// handler, its futex acknowledgement.
pub fn signal_handler(iters: u64) -> i32 {
    let action = Action { handler: Handler::Function(on_signal), flags: Flags::RESTART, mask: SigSet::EMPTY };
    if let Err(e) = signal::set_action(Signal::USR2, &action) {
        return error(format_args!("set_action failed: {e}"));
    }
    let slots = match start(1, parked) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // SAFETY: `start` filled the one slot; the handle stays there until `stop_all` reads it.
    let tid = unsafe { slots[0].assume_init_ref() }.thread().tid();
    match round_trips(iters / 10 + 1, iters, || signal::send_to_thread(tid, Signal::USR2)) {
        Ok(ns) => result("ns_per_round_trip", ns),
        Err(code) => return code,
    }
    stop_all(slots);
    0
}

/// 16: a signal to the process taken by `signal::Router`'s thread, round trip: `kill` of the
/// process, the router's `rt_sigtimedwait`, its callback's futex acknowledgement.
pub fn signal_thread(iters: u64) -> i32 {
    let router = match Router::start(&SigSet::of(&[Signal::USR2]), |_: &SigInfo| acknowledge()) {
        Ok(r) => r,
        Err(e) => return error(format_args!("Router::start failed: {e}")),
    };
    let pid = strand::syscall::getpid();
    match round_trips(iters / 10 + 1, iters, || signal::kill(pid, Signal::USR2)) {
        Ok(ns) => result("ns_per_round_trip", ns),
        Err(code) => return code,
    }
    if let Err(e) = router.stop() {
        return error(format_args!("Router::stop failed: {e}"));
    }
    0
}

/// 12: entering and leaving `without_interrupts` around nothing (the barrier keeps the loop a
/// loop: one scope per iteration).
pub fn defer_interrupts(iters: u64) -> i32 {
    let warm = iters / 10 + 1;
    for _ in 0..warm {
        thread::without_interrupts(bench_common::memory_barrier);
    }
    let t0 = Strand::now_ns();
    for _ in 0..iters {
        thread::without_interrupts(bench_common::memory_barrier);
    }
    let t1 = Strand::now_ns();
    if thread::interrupts_deferred() {
        return error(format_args!("interrupts are still deferred after the loop"));
    }
    result("ns_per_pair", (t1 - t0) as f64 / iters as f64);
    0
}
