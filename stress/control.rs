//! Thread control under stress: stop-the-world, `run_in`/`interrupt`, cancellation and the
//! control signal aimed at threads that are exiting, each while other threads churn, torture a
//! lock or come and go. Every test checks that nothing is lost (each increment, each closure,
//! each byte), nothing leaked (the mapping count is back where it started once the stack cache
//! is given back) and nothing hangs (every wait is bounded or watched by the watchdog).
#![no_std]
#![no_main]

#[path = "../tests/common/mod.rs"]
#[macro_use]
mod common;
#[macro_use]
mod support;

use common::{Failure, TestResult};
use core::fmt;
use core::sync::atomic::Ordering::{Relaxed, SeqCst};
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32};
use core::time::Duration;
use strand::arch::sys::general::__NR_pipe2;
use strand::futex;
use strand::sync::Mutex;
use strand::syscall;
use strand::thread::{self, Builder, Cancelled, ControlError, JoinHandle, TerminateError, Thread, QUEUE_LEN};
use strand::Errno;
use support::{size, spawn_failed, spin, waiting_for, Rng, Stress};

strand::main!(main);

const TESTS: &[Stress] = &[
    ("stop_the_world_under_churn_and_lock_torture", stop_the_world_under_churn_and_lock_torture, 120),
    ("interrupt_storm_during_lock_torture", interrupt_storm_during_lock_torture, 120),
    // Mostly short sleeps and thread start-ups, so it stretches most on a busy machine: i686 full
    // size took 90 s natively beside a build (14 s on an idle machine).
    ("cancel_storm_against_every_cancellation_point", cancel_storm_against_every_cancellation_point, 180),
    ("control_signal_storm_across_detached_exits", control_signal_storm_across_detached_exits, 120),
];

fn main() -> i32 {
    support::run("control", TESTS)
}

fn err(e: impl fmt::Display) -> Failure {
    Failure::new(format_args!("{e}"))
}

fn micros(n: u64) -> Duration {
    Duration::from_micros(n)
}

/// A random pause of the calling thread: nothing, a spin, a yield or a short sleep. Moves one
/// thread's next step before or after another's.
fn pause(rng: &mut Rng) {
    match rng.below(8) {
        0..=1 => {}
        2..=4 => spin(rng.below(3000)),
        5..=6 => thread::yield_now(),
        _ => thread::sleep(micros(rng.below(300))),
    }
}

/// Whether a stopped thread's stack pointer lies within its stack. `end` itself counts: a
/// thread stopped at its first instruction, before it has pushed anything, has its stack
/// pointer at the top of its stack (an empty live stack, `sp..end`, for a collector to scan).
fn within(sp: usize, stack: &core::ops::Range<usize>) -> bool {
    stack.start <= sp && sp <= stack.end
}

// ---------------------------------------------------------------------------------------------
// Leaks: the mapping count, with strand's stack cache given back, must come back to where it
// was. Detached threads unmap themselves after they have run, so it is polled (bounded).

/// Warms up what the test will use (a stack of each size it spawns, the control signal's
/// handler), so that first-use costs do not count as a leak, and returns the baseline.
fn baseline() -> Result<usize, Failure> {
    waiting_for(format_args!("the warm-up (a spawn and join of each stack size, one stop of the world)"));
    for stack in [16 << 10, 64 << 10] {
        let h = Builder::new().stack_size(stack).spawn(|| 1u32).map_err(|e| spawn_failed(format_args!("warm-up thread"), e))?;
        check_eq!(h.join()?, 1);
    }
    drop(thread::stop_the_world().map_err(err)?);
    Ok(common::settled_maps_count())
}

fn check_no_leak(before: usize, what: fmt::Arguments<'_>) -> TestResult {
    waiting_for(format_args!("the mapping count to return to {before} after {what}"));
    let mut now = 0;
    let back = common::eventually(20, || {
        now = common::settled_maps_count();
        now == before
    });
    note!("{what}: mappings {before} -> {now}");
    check!(back, "after {what}: {now} mappings, {before} before (a leaked stack or control block?)");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Lock torture, shared by the first two tests: threads take a strand `Mutex` over and over and
// check inside it that nobody else is inside.

const TORTURERS: usize = 4;

struct Torture {
    /// `a` is incremented on entry and `b` just before leaving: they differ on entry only if
    /// another thread was inside at the same time (or a section was cut short).
    a: u64,
    b: u64,
    owner: usize,
    broken: u64,
}

static TORTURE: Mutex<Torture> = Mutex::new(Torture { a: 0, b: 0, owner: usize::MAX, broken: 0 });
static TORTURING: AtomicBool = AtomicBool::new(false);
/// Critical sections completed, by all torturers: frozen while the world is stopped.
static PROGRESS: AtomicU32 = AtomicU32::new(0);
/// The torturers' tids, so that an interrupt can check where it runs (0: none).
static TORTURER_TIDS: [AtomicI32; TORTURERS] = [const { AtomicI32::new(0) }; TORTURERS];

fn section(id: usize, rng: &mut Rng) {
    let mut g = TORTURE.lock();
    if g.a != g.b {
        g.broken += 1;
    }
    g.owner = id;
    g.a += 1;
    // Hold it for a while now and then, so that the others pile up in the futex and a stop or
    // interrupt often finds the holder inside.
    match rng.below(256) {
        0..=3 => thread::yield_now(),
        4..=63 => spin(rng.below(100)),
        _ => {}
    }
    if g.owner != id || g.a != g.b + 1 {
        g.broken += 1;
    }
    g.b += 1;
}

/// One torturer: critical sections until told to stop; returns how many it did. With
/// `defer_some`, a quarter of them run inside `without_interrupts`, so that requests also take
/// the deferred path (recorded by the handler, served at the section's end).
fn torture(id: usize, mut rng: Rng, defer_some: bool) -> u64 {
    TORTURER_TIDS[id].store(thread::current_tid(), SeqCst);
    let mut mine = 0u64;
    while TORTURING.load(SeqCst) {
        if defer_some && rng.one_in(4) {
            thread::without_interrupts(|| section(id, &mut rng));
        } else {
            section(id, &mut rng);
        }
        mine += 1;
        PROGRESS.fetch_add(1, SeqCst);
        match rng.below(64) {
            0 => thread::yield_now(),
            1..=7 => spin(rng.below(200)),
            _ => {}
        }
    }
    mine
}

type Torturers = [Option<JoinHandle<u64>>; TORTURERS];

fn start_torture(rng: &mut Rng, defer_some: bool) -> Result<Torturers, Failure> {
    *TORTURE.lock() = Torture { a: 0, b: 0, owner: usize::MAX, broken: 0 };
    for t in &TORTURER_TIDS {
        t.store(0, SeqCst);
    }
    TORTURING.store(true, SeqCst);
    let mut hs: Torturers = [const { None }; TORTURERS];
    for (i, h) in hs.iter_mut().enumerate() {
        let r = rng.fork();
        match Builder::new().name("torture").stack_size(64 << 10).spawn(move || torture(i, r, defer_some)) {
            Ok(j) => *h = Some(j),
            Err(e) => {
                TORTURING.store(false, SeqCst);
                return Err(spawn_failed(format_args!("torture thread {i}"), e));
            }
        }
    }
    check!(common::eventually(20, || TORTURER_TIDS.iter().all(|t| t.load(SeqCst) != 0)), "the torture threads did not start");
    Ok(hs)
}

/// Stops the torturers and checks the lock: the counter equals the sections they report, and
/// no section ever saw another inside.
fn finish_torture(hs: &mut Torturers) -> TestResult {
    TORTURING.store(false, SeqCst);
    let mut total = 0;
    for (i, h) in hs.iter_mut().enumerate() {
        if let Some(h) = h.take() {
            waiting_for(format_args!("torture thread {i} to finish"));
            total += h.join()?;
        }
    }
    let g = TORTURE.lock();
    note!("lock torture: {total} critical sections");
    check_eq!(g.broken, 0);
    check!(g.a == total && g.b == total, "lock counter a={} b={} after {total} critical sections", g.a, g.b);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 1. Stop the world, over and over, while threads churn and torture a lock.

const CHURNERS: usize = 2;
static CHURNING: AtomicBool = AtomicBool::new(false);
/// Runs of the closures of joined and of detached churn threads.
static JOINED_RAN: AtomicU32 = AtomicU32::new(0);
static DETACHED_RAN: AtomicU32 = AtomicU32::new(0);

fn stops() -> u64 {
    size(10_000, 1_000, 1_000, 400)
}

/// Spawns threads and joins or detaches them until told to stop; returns how many of each.
fn churn(mut rng: Rng) -> Result<(u32, u32), Failure> {
    let (mut joined, mut detached) = (0u32, 0u32);
    let mut i = 0u32;
    while CHURNING.load(SeqCst) {
        i = i.wrapping_add(1);
        let b = Builder::new().stack_size(16 << 10);
        if rng.one_in(4) {
            let h = b
                .spawn(|| {
                    DETACHED_RAN.fetch_add(1, SeqCst);
                })
                .map_err(|e| spawn_failed(format_args!("detached churn thread {i}"), e))?;
            h.detach();
            detached += 1;
        } else {
            let v = i.wrapping_mul(0x9E37_79B9);
            let h = b
                .spawn(move || {
                    JOINED_RAN.fetch_add(1, SeqCst);
                    v ^ 1
                })
                .map_err(|e| spawn_failed(format_args!("churn thread {i}"), e))?;
            let got = h.join()?;
            check!(got == v ^ 1, "churn thread {i}: join returned {got:#x}, expected {:#x}", v ^ 1);
            joined += 1;
        }
    }
    Ok((joined, detached))
}

fn stop_the_world_under_churn_and_lock_torture() -> TestResult {
    let before = baseline()?;
    let mut rng = Rng::for_stream(1);
    JOINED_RAN.store(0, SeqCst);
    DETACHED_RAN.store(0, SeqCst);
    let mut torturers = start_torture(&mut rng, false)?;
    CHURNING.store(true, SeqCst);
    let mut churners: [Option<JoinHandle<Result<(u32, u32), Failure>>>; CHURNERS] = [const { None }; CHURNERS];
    for (i, h) in churners.iter_mut().enumerate() {
        let r = rng.fork();
        match Builder::new().name("churn").stack_size(64 << 10).spawn(move || churn(r)) {
            Ok(j) => *h = Some(j),
            Err(e) => {
                CHURNING.store(false, SeqCst);
                return Err(spawn_failed(format_args!("churner {i}"), e));
            }
        }
    }
    let result = stop_rounds(&mut rng);
    // Whatever happened, let the helpers finish before reporting it.
    CHURNING.store(false, SeqCst);
    let (mut joined, mut detached) = (0, 0);
    let mut churn_result = Ok(());
    for (i, h) in churners.iter_mut().enumerate() {
        if let Some(h) = h.take() {
            waiting_for(format_args!("churner {i} to finish"));
            match h.join()? {
                Ok((j, d)) => {
                    joined += j;
                    detached += d;
                }
                Err(e) => churn_result = churn_result.and(Err(e)),
            }
        }
    }
    let torture_result = finish_torture(&mut torturers);
    result?;
    churn_result?;
    torture_result?;
    note!("churn: {joined} threads joined, {detached} detached");
    check!(JOINED_RAN.load(SeqCst) == joined, "{} joined threads ran, {joined} were spawned and joined", JOINED_RAN.load(SeqCst));
    waiting_for(format_args!("all {detached} detached churn threads to run"));
    check!(
        common::eventually(20, || DETACHED_RAN.load(SeqCst) == detached),
        "{} detached threads ran, {detached} were spawned",
        DETACHED_RAN.load(SeqCst)
    );
    check_no_leak(before, format_args!("{} stops with {joined} + {detached} threads churned", stops()))
}

/// The stops themselves. After each: every stopped thread's stack pointer lies within its
/// stack, its context is there, and no torturer made progress while it was stopped.
fn stop_rounds(rng: &mut Rng) -> TestResult {
    let n = stops();
    let (mut fewest, mut most) = (usize::MAX, 0);
    for i in 0..n {
        if i % 256 == 0 {
            waiting_for(format_args!("stop {i} of {n}"));
        }
        let world = thread::stop_the_world().map_err(err)?;
        let frozen = PROGRESS.load(SeqCst);
        let mut stopped = 0;
        let mut bad = None;
        world.for_each(|s| {
            stopped += 1;
            let sp = s.stack_pointer();
            if bad.is_none() && (!within(sp, &s.stack) || s.context().is_null()) {
                bad = Some((s.thread.tid(), sp, s.stack.start, s.stack.end, s.context()));
            }
        });
        // Give a thread that was not really stopped every chance to show it.
        thread::yield_now();
        let later = PROGRESS.load(SeqCst);
        drop(world);
        if let Some((tid, sp, lo, hi, ctx)) = bad {
            return Err(Failure::new(format_args!(
                "stop {i}: thread {tid} stopped with stack pointer {sp:#x} outside its stack {lo:#x}..{hi:#x} or context {ctx:?}"
            )));
        }
        // At least the torturers, the churners and the watchdog are always there to stop.
        check!(stopped > TORTURERS + CHURNERS, "stop {i}: only {stopped} threads stopped");
        check!(frozen == later, "stop {i}: the torturers completed {} critical sections while stopped", later.wrapping_sub(frozen));
        fewest = fewest.min(stopped);
        most = most.max(stopped);
        pause(rng);
    }
    note!("{n} stops, {fewest} to {most} threads stopped each time");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 2. Interrupt storms during lock torture.

const STORMERS: usize = 2;
/// Queued interrupts that ran, and those that ran on a thread they were not aimed at (on none of
/// the torturers). AtomicU32: they are counted in a signal handler.
static INTERRUPTS_RAN: AtomicU32 = AtomicU32::new(0);
static MISPLACED: AtomicU32 = AtomicU32::new(0);

fn counted_interrupt() {
    let me = thread::current_tid();
    if !TORTURER_TIDS.iter().any(|t| t.load(Relaxed) == me) {
        MISPLACED.fetch_add(1, SeqCst);
    }
    INTERRUPTS_RAN.fetch_add(1, SeqCst);
}

#[derive(Default, Clone, Copy)]
struct StormStats {
    run_in: u64,
    timed_out: u64,
    queued: u32,
    full: u64,
}

fn storm_ops() -> u64 {
    size(50_000, 10_000, 5_000, 3_000)
}

/// One stormer: synchronous calls (each must have run exactly once, on the target, when it
/// returns), timed ones (run once, or withdrawn and never run) and queued ones (counted).
fn storm(targets: [Thread; TORTURERS], mut rng: Rng) -> Result<StormStats, Failure> {
    let mut st = StormStats::default();
    for _ in 0..storm_ops() {
        let t = targets[rng.below(TORTURERS as u64) as usize];
        match rng.below(8) {
            0..=2 => {
                let (mut ran, mut on) = (0u32, 0i32);
                let r = t.run_in(|| {
                    ran += 1;
                    on = thread::current_tid();
                });
                check!(r == Ok(()), "run_in on torture thread {}: {r:?}", t.tid());
                check!(ran == 1 && on == t.tid(), "run_in returned with the closure run {ran} times, on thread {on} (target {})", t.tid());
                st.run_in += 1;
            }
            3 => {
                let mut ran = 0u32;
                let r = t.run_in_timeout(|| ran += 1, micros(rng.below(1000)));
                match r {
                    Ok(()) => check!(ran == 1, "run_in_timeout returned Ok with the closure run {ran} times"),
                    Err(ControlError::TimedOut) => {
                        check!(ran == 0, "run_in_timeout timed out but the closure ran {ran} times");
                        st.timed_out += 1;
                    }
                    Err(e) => return Err(Failure::new(format_args!("run_in_timeout on torture thread {}: {e}", t.tid()))),
                }
                st.run_in += 1;
            }
            _ => {
                // Now and then a burst at one target, more than its queue holds.
                let burst = if rng.one_in(8) { 1 + rng.below(2 * QUEUE_LEN as u64) } else { 1 };
                for _ in 0..burst {
                    match t.interrupt(counted_interrupt) {
                        Ok(()) => st.queued += 1,
                        Err(ControlError::QueueFull) => st.full += 1,
                        Err(e) => return Err(Failure::new(format_args!("interrupt of torture thread {}: {e}", t.tid()))),
                    }
                }
            }
        }
        if rng.one_in(16) {
            pause(&mut rng);
        }
    }
    Ok(st)
}

fn interrupt_storm_during_lock_torture() -> TestResult {
    let before = baseline()?;
    let mut rng = Rng::for_stream(2);
    INTERRUPTS_RAN.store(0, SeqCst);
    MISPLACED.store(0, SeqCst);
    let mut torturers = start_torture(&mut rng, true)?;
    let targets: [Thread; TORTURERS] = core::array::from_fn(|i| torturers[i].as_ref().unwrap().thread());
    let mut stormers: [Option<JoinHandle<Result<StormStats, Failure>>>; STORMERS] = [const { None }; STORMERS];
    let mut spawn_result = Ok(());
    for (i, h) in stormers.iter_mut().enumerate() {
        let r = rng.fork();
        match Builder::new().name("storm").stack_size(64 << 10).spawn(move || storm(targets, r)) {
            Ok(j) => *h = Some(j),
            Err(e) => {
                spawn_result = Err(spawn_failed(format_args!("stormer {i}"), e));
                break;
            }
        }
    }
    let mut total = StormStats::default();
    let mut storm_result = spawn_result;
    for (i, h) in stormers.iter_mut().enumerate() {
        if let Some(h) = h.take() {
            waiting_for(format_args!("stormer {i} to finish its {} requests", storm_ops()));
            match h.join()? {
                Ok(s) => {
                    total.run_in += s.run_in;
                    total.timed_out += s.timed_out;
                    total.queued += s.queued;
                    total.full += s.full;
                }
                Err(e) => storm_result = storm_result.and(Err(e)),
            }
        }
    }
    // Every queued call must run while its thread lives (a thread drops its queue only when it
    // exits, which the torturers do not do before this).
    waiting_for(format_args!("{} queued interrupts to run", total.queued));
    let all_ran = storm_result.is_err() || common::eventually(20, || INTERRUPTS_RAN.load(SeqCst) >= total.queued);
    let torture_result = finish_torture(&mut torturers);
    storm_result?;
    torture_result?;
    let ran = INTERRUPTS_RAN.load(SeqCst);
    note!(
        "{} synchronous calls ({} timed out and withdrawn), {} interrupts queued and {} ran, {} refused with QueueFull",
        total.run_in,
        total.timed_out,
        total.queued,
        ran,
        total.full
    );
    check!(all_ran && ran == total.queued, "{ran} queued interrupts ran, {} were accepted (lost or run twice)", total.queued);
    check_eq!(MISPLACED.load(SeqCst), 0);
    check_no_leak(before, format_args!("the interrupt storm"))
}

// ---------------------------------------------------------------------------------------------
// 3. Cancel storms against every cancellation point.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// `futex::wait_cancellable` with no timeout on a word nobody changes: only a cancel ends it.
    FutexForever,
    /// A few short timed `futex::wait_cancellable`s: may finish before the cancel comes.
    FutexTimed,
    /// A few short `sleep_cancellable`s.
    Sleep,
    /// `JoinHandle::wait_cancellable` for a thread that sleeps a little (not cancellably).
    JoinWait,
    /// `read_cancellable` on a pipe nobody writes to: only a cancel ends it.
    ReadEmpty,
    /// `read_cancellable` on a pipe another thread writes a numbered byte stream into.
    ReadData,
}

const KINDS: [Kind; 6] = [Kind::FutexForever, Kind::FutexTimed, Kind::Sleep, Kind::JoinWait, Kind::ReadEmpty, Kind::ReadData];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ended {
    Cancelled,
    Finished,
}

/// How a victim ended, and its count (waits, sleeps or bytes done).
type Outcome = Result<(Ended, u64), Failure>;

const INNER_VALUE: u32 = 0xC0FFEE;

fn seq_byte(i: u64) -> u8 {
    (i % 251) as u8
}

fn victim(kind: Kind, bound: u64, fd: i32, mut rng: Rng) -> Outcome {
    match kind {
        Kind::FutexForever => {
            let word = AtomicU32::new(0);
            loop {
                // Woken or interrupted (by the control signal itself): wait again.
                if futex::wait_cancellable(&word, 0, None, futex::Scope::Private).is_err() {
                    return Ok((Ended::Cancelled, 0));
                }
            }
        }
        Kind::FutexTimed => {
            let word = AtomicU32::new(0);
            for i in 0..bound {
                if futex::wait_cancellable(&word, 0, Some(micros(rng.below(300))), futex::Scope::Private) == Err(Cancelled) {
                    return Ok((Ended::Cancelled, i));
                }
            }
            Ok((Ended::Finished, bound))
        }
        Kind::Sleep => {
            for i in 0..bound {
                if thread::sleep_cancellable(micros(rng.below(300))) == Err(Cancelled) {
                    return Ok((Ended::Cancelled, i));
                }
            }
            Ok((Ended::Finished, bound))
        }
        Kind::JoinWait => {
            let d = micros(rng.below(2000));
            let inner = Builder::new()
                .stack_size(16 << 10)
                .spawn(move || {
                    thread::sleep(d);
                    INNER_VALUE
                })
                .map_err(|e| spawn_failed(format_args!("the thread a JoinWait victim waits for"), e))?;
            let waited = inner.wait_cancellable();
            let finished = inner.is_finished();
            // Join is no cancellation point: the inner thread is always reaped (no leak).
            let v = inner.join()?;
            check!(v == INNER_VALUE, "the awaited thread returned {v:#x}");
            match waited {
                Ok(()) => {
                    check!(finished, "wait_cancellable returned Ok before the thread had finished");
                    Ok((Ended::Finished, 1))
                }
                Err(Cancelled) => Ok((Ended::Cancelled, 0)),
            }
        }
        Kind::ReadEmpty => {
            let mut buf = [0u8; 16];
            loop {
                match syscall::read_cancellable(fd, &mut buf) {
                    Err(Errno::ECANCELED) => return Ok((Ended::Cancelled, 0)),
                    Err(Errno::EINTR) => {}
                    Ok(n) => return Err(Failure::new(format_args!("read {n} bytes from a pipe nobody writes to"))),
                    Err(e) => return Err(Failure::new(format_args!("read_cancellable on an empty pipe: {e}"))),
                }
            }
        }
        Kind::ReadData => {
            let mut got = 0u64;
            let mut buf = [0u8; 64];
            loop {
                if got == bound {
                    return Ok((Ended::Finished, got));
                }
                match syscall::read_cancellable(fd, &mut buf) {
                    Ok(0) => return Err(Failure::new(format_args!("end of file after {got} of {bound} bytes"))),
                    Ok(n) => {
                        for (k, &b) in buf[..n].iter().enumerate() {
                            let at = got + k as u64;
                            check!(b == seq_byte(at), "byte {at} of the stream is {b}, expected {} (a lost or repeated read)", seq_byte(at));
                        }
                        got += n as u64;
                    }
                    // The cancel: whatever was read so far is counted; the rest is in the pipe.
                    Err(Errno::ECANCELED) => return Ok((Ended::Cancelled, got)),
                    Err(Errno::EINTR) => {}
                    Err(e) => return Err(Failure::new(format_args!("read_cancellable after {got} bytes: {e}"))),
                }
            }
        }
    }
}

/// Writes the numbered stream `0..total` into `fd` in small random chunks with random pauses.
/// `total` stays below a pipe's capacity, so a write never blocks on a reader that was cancelled.
fn write_stream(fd: i32, total: u64, mut rng: Rng) -> Result<u64, Failure> {
    let mut done = 0u64;
    let mut buf = [0u8; 64];
    while done < total {
        let n = (1 + rng.below(64)).min(total - done) as usize;
        for (k, b) in buf[..n].iter_mut().enumerate() {
            *b = seq_byte(done + k as u64);
        }
        match syscall::write(fd, &buf[..n]) {
            Ok(w) => done += w as u64,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(Failure::new(format_args!("writing the stream after {done} bytes: {e}"))),
        }
        if rng.one_in(2) {
            pause(&mut rng);
        }
    }
    Ok(done)
}

fn pipe() -> Result<(i32, i32), Failure> {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 writes two descriptors into the live two-element array.
    let r = unsafe { strand::arch::syscall2(__NR_pipe2 as usize, fds.as_mut_ptr() as usize, 0) };
    Errno::result(r).map_err(|e| Failure::new(format_args!("pipe2: {e}")))?;
    Ok((fds[0], fds[1]))
}

fn cancel_rounds() -> u64 {
    size(5_000, 300, 300, 80)
}

/// Per kind: victims that ended cancelled, and that finished first.
#[derive(Default)]
struct Tally([(u64, u64); KINDS.len()]);

fn cancel_storm_against_every_cancellation_point() -> TestResult {
    let before = baseline()?;
    let mut rng = Rng::for_stream(3);
    let mut tally = Tally::default();
    let mut bytes = (0u64, 0u64);
    let rounds = cancel_rounds();
    for round in 0..rounds {
        if round % 64 == 0 {
            waiting_for(format_args!("cancel round {round} of {rounds}"));
        }
        cancel_round(round, &mut rng, &mut tally, &mut bytes)?;
    }
    for (k, &(c, f)) in KINDS.iter().zip(&tally.0) {
        note!("{k:?}: {c} cancelled, {f} finished first");
    }
    note!("streams: {} bytes read by cancelled or finished readers, {} left in the pipe and drained", bytes.0, bytes.1);
    check_no_leak(before, format_args!("{rounds} cancel rounds"))
}

fn cancel_round(round: u64, rng: &mut Rng, tally: &mut Tally, bytes: &mut (u64, u64)) -> TestResult {
    let (empty_r, empty_w) = pipe()?;
    let (data_r, data_w) = pipe()?;
    let total = 256 + rng.below(3840);
    let wr = rng.fork();
    let writer = Builder::new()
        .stack_size(16 << 10)
        .spawn(move || write_stream(data_w, total, wr))
        .map_err(|e| spawn_failed(format_args!("stream writer"), e))?;
    let mut victims: [Option<(Kind, u64, JoinHandle<Outcome>)>; KINDS.len()] = [const { None }; KINDS.len()];
    for (i, &kind) in KINDS.iter().enumerate() {
        let (bound, fd) = match kind {
            Kind::ReadEmpty => (0, empty_r),
            Kind::ReadData => (total, data_r),
            // Long enough that the cancel often comes first, under QEMU too.
            _ => (1 + rng.below(24), -1),
        };
        let r = rng.fork();
        let h = Builder::new()
            .stack_size(64 << 10)
            .spawn(move || victim(kind, bound, fd, r))
            .map_err(|e| spawn_failed(format_args!("{kind:?} victim"), e))?;
        victims[i] = Some((kind, bound, h));
    }
    // Cancel them in a random order, each after a random pause: some before they have reached
    // their cancellation point, some asleep in it, some between two calls.
    let mut order: [usize; KINDS.len()] = core::array::from_fn(|i| i);
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut read_data = None;
    for &i in &order {
        let (kind, bound, h) = victims[i].take().unwrap();
        pause(rng);
        let tid = h.thread().tid();
        let outcome = match h.terminate(support::limit(Duration::from_secs(10))) {
            Ok(o) => o?,
            Err(TerminateError::StillRunning(_)) => {
                return Err(Failure::new(format_args!("round {round}: the {kind:?} victim (tid {tid}) was cancelled but did not end")));
            }
            Err(TerminateError::Join(e)) => return Err(err(e)),
        };
        let (ended, count) = outcome;
        match kind {
            Kind::FutexForever | Kind::ReadEmpty => check!(ended == Ended::Cancelled, "round {round}: the {kind:?} victim ended {ended:?}"),
            Kind::FutexTimed | Kind::Sleep => check!(
                (ended == Ended::Finished && count == bound) || (ended == Ended::Cancelled && count < bound),
                "round {round}: the {kind:?} victim ended {ended:?} after {count} of {bound} calls"
            ),
            Kind::JoinWait => {}
            Kind::ReadData => read_data = Some((ended, count)),
        }
        let t = &mut tally.0[i];
        if ended == Ended::Cancelled { t.0 += 1 } else { t.1 += 1 }
    }
    // The stream: what the reader got plus what is still in the pipe is everything written, in
    // order.
    let written = writer.join()??;
    check_eq!(written, total);
    let _ = syscall::close(data_w);
    let (_, got) = read_data.unwrap();
    let mut rest = 0u64;
    let mut buf = [0u8; 256];
    loop {
        match syscall::read(data_r, &mut buf) {
            Ok(0) => break,
            Ok(n) => {
                for (k, &b) in buf[..n].iter().enumerate() {
                    let at = got + rest + k as u64;
                    check!(b == seq_byte(at), "round {round}: drained byte {at} is {b}, expected {}", seq_byte(at));
                }
                rest += n as u64;
            }
            Err(Errno::EINTR) => {}
            Err(e) => return Err(Failure::new(format_args!("draining the pipe: {e}"))),
        }
    }
    check!(got + rest == total, "round {round}: the reader got {got} bytes and {rest} were left of {total} written");
    bytes.0 += got;
    bytes.1 += rest;
    for fd in [data_r, empty_r, empty_w] {
        let _ = syscall::close(fd);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 4. The control signal aimed at detached threads while they unmap themselves and exit.

const RING: usize = 32;
/// The latest detached threads, for the stormer to aim at (most have exited by then).
static RECENT: Mutex<[Option<Thread>; RING]> = Mutex::new([None; RING]);
/// The index of the latest detached thread, so that most requests aim at threads that are still
/// running or in the middle of exiting, not long gone.
static LATEST: AtomicU32 = AtomicU32::new(0);
static SPAWNING: AtomicBool = AtomicBool::new(false);
static EXITERS_RAN: AtomicU32 = AtomicU32::new(0);
static EXIT_INTERRUPTS_RAN: AtomicU32 = AtomicU32::new(0);
/// The threads that are not detached exiters (main, spawner, stopper): an interrupt must never
/// run on one of them.
static NOT_TARGETS: [AtomicI32; 3] = [const { AtomicI32::new(0) }; 3];
static EXIT_MISPLACED: AtomicU32 = AtomicU32::new(0);

fn exit_interrupt() {
    let me = thread::current_tid();
    if NOT_TARGETS.iter().any(|t| t.load(Relaxed) == me) {
        EXIT_MISPLACED.fetch_add(1, SeqCst);
    }
    EXIT_INTERRUPTS_RAN.fetch_add(1, SeqCst);
}

fn exiters() -> u64 {
    size(50_000, 3_000, 3_000, 800)
}

/// Spawns the short detached threads, at most 64 alive at a time, and records each in `RECENT`.
fn spawn_exiters(n: u64, mut rng: Rng) -> TestResult {
    NOT_TARGETS[1].store(thread::current_tid(), SeqCst);
    for i in 0..n {
        while i - EXITERS_RAN.load(SeqCst) as u64 > 64 {
            thread::yield_now();
        }
        // Some live a while, so that requests find them running as well as exiting.
        let (how, work) = (rng.below(4), rng.below(20_000));
        let h = Builder::new()
            .stack_size(16 << 10)
            .spawn(move || {
                match how {
                    0 => {}
                    1 => spin(work),
                    2 => thread::yield_now(),
                    _ => thread::sleep(micros(work / 200)),
                }
                EXITERS_RAN.fetch_add(1, SeqCst);
            })
            .map_err(|e| spawn_failed(format_args!("detached thread {i}"), e))?;
        RECENT.lock()[i as usize % RING] = Some(h.thread());
        LATEST.store(i as u32, SeqCst);
        h.detach();
        if rng.one_in(8) {
            pause(&mut rng);
        }
    }
    Ok(())
}

/// Stops the world, over and over, until the spawner is done; returns how many stops.
fn stop_exiters(mut rng: Rng) -> Result<u64, Failure> {
    NOT_TARGETS[2].store(thread::current_tid(), SeqCst);
    let mut stops = 0;
    while SPAWNING.load(SeqCst) {
        let world = thread::stop_the_world().map_err(err)?;
        let mut bad = None;
        world.for_each(|s| {
            if bad.is_none() && (!within(s.stack_pointer(), &s.stack) || s.context().is_null()) {
                bad = Some((s.thread.tid(), s.stack_pointer(), s.stack.start, s.stack.end));
            }
        });
        drop(world);
        check!(bad.is_none(), "stop {stops}: a thread stopped outside its stack or without a context: {bad:?}");
        stops += 1;
        pause(&mut rng);
    }
    Ok(stops)
}

#[derive(Default)]
struct ExitStats {
    ran: u64,
    exited: u64,
    timed_out: u64,
    queued: u32,
    full: u64,
    suspended: u64,
}

/// Aims run_in, run_in_timeout, interrupt, cancel and suspend at recent detached threads. Any
/// of them may find the thread gone (`Exited`); what was done must be consistent.
fn storm_exiters(rng: &mut Rng, st: &mut ExitStats) -> TestResult {
    let back = if rng.one_in(4) { rng.below(RING as u64) } else { rng.below(4) };
    let slot = (LATEST.load(SeqCst) as u64 + RING as u64 - back) as usize % RING;
    let target = RECENT.lock()[slot];
    let Some(t) = target else {
        thread::yield_now();
        return Ok(());
    };
    match rng.below(10) {
        0..=3 => {
            let (mut ran, mut on) = (0u32, 0i32);
            match t.run_in(|| {
                ran += 1;
                on = thread::current_tid();
            }) {
                Ok(()) => {
                    check!(ran == 1 && on == t.tid(), "run_in returned with the closure run {ran} times on thread {on} (target {})", t.tid());
                    st.ran += 1;
                }
                Err(ControlError::Exited) => {
                    check!(ran == 0, "run_in said Exited but the closure ran {ran} times");
                    st.exited += 1;
                }
                Err(e) => return Err(Failure::new(format_args!("run_in on a detached thread: {e}"))),
            }
        }
        4 => {
            let mut ran = 0u32;
            match t.run_in_timeout(|| ran += 1, micros(rng.below(500))) {
                Ok(()) => {
                    check!(ran == 1, "run_in_timeout returned Ok with the closure run {ran} times");
                    st.ran += 1;
                }
                Err(ControlError::Exited) | Err(ControlError::TimedOut) => {
                    check!(ran == 0, "run_in_timeout failed but the closure ran {ran} times");
                    st.timed_out += 1;
                }
                Err(e) => return Err(Failure::new(format_args!("run_in_timeout on a detached thread: {e}"))),
            }
        }
        5..=7 => match t.interrupt(exit_interrupt) {
            Ok(()) => st.queued += 1,
            Err(ControlError::QueueFull) => st.full += 1,
            Err(ControlError::Exited) => st.exited += 1,
            Err(e) => return Err(Failure::new(format_args!("interrupt of a detached thread: {e}"))),
        },
        8 => match t.cancel() {
            Ok(()) | Err(ControlError::Exited) => {}
            Err(e) => return Err(Failure::new(format_args!("cancel of a detached thread: {e}"))),
        },
        _ => match t.suspend() {
            Ok(s) => {
                let (sp, stack, ctx, who) = (s.stack_pointer(), s.stack(), s.context(), s.thread());
                drop(s);
                check!(
                    within(sp, &stack) && !ctx.is_null() && who == t,
                    "suspended thread {} (asked for {}): stack pointer {sp:#x}, stack {:#x}..{:#x}, context {ctx:?}",
                    who.tid(),
                    t.tid(),
                    stack.start,
                    stack.end
                );
                st.suspended += 1;
            }
            Err(ControlError::Exited) => st.exited += 1,
            Err(e) => return Err(Failure::new(format_args!("suspend of a detached thread: {e}"))),
        },
    }
    Ok(())
}

fn control_signal_storm_across_detached_exits() -> TestResult {
    let before = baseline()?;
    let mut rng = Rng::for_stream(4);
    let n = exiters();
    *RECENT.lock() = [None; RING];
    LATEST.store(0, SeqCst);
    EXITERS_RAN.store(0, SeqCst);
    EXIT_INTERRUPTS_RAN.store(0, SeqCst);
    EXIT_MISPLACED.store(0, SeqCst);
    NOT_TARGETS[0].store(thread::current_tid(), SeqCst);
    SPAWNING.store(true, SeqCst);
    let sr = rng.fork();
    let spawner = Builder::new()
        .name("spawner")
        .stack_size(64 << 10)
        .spawn(move || {
            let r = spawn_exiters(n, sr);
            SPAWNING.store(false, SeqCst);
            r
        })
        .map_err(|e| spawn_failed(format_args!("the spawner"), e))?;
    let pr = rng.fork();
    let stopper = match Builder::new().name("stopper").stack_size(64 << 10).spawn(move || stop_exiters(pr)) {
        Ok(h) => h,
        Err(e) => {
            SPAWNING.store(false, SeqCst);
            let _ = spawner.join();
            return Err(spawn_failed(format_args!("the stopper"), e));
        }
    };
    let mut st = ExitStats::default();
    let mut storm_result = Ok(());
    waiting_for(format_args!("the storm across {n} detached threads"));
    while SPAWNING.load(SeqCst) {
        if let Err(e) = storm_exiters(&mut rng, &mut st) {
            storm_result = Err(e);
            break;
        }
    }
    waiting_for(format_args!("the spawner of {n} detached threads to finish"));
    let spawned = spawner.join()?;
    // The spawner stops the stopper by clearing SPAWNING, also when it failed.
    waiting_for(format_args!("the stopper to finish"));
    let stops = stopper.join()?;
    storm_result?;
    spawned?;
    let stops = stops?;
    waiting_for(format_args!("all {n} detached threads to run"));
    check!(common::eventually(20, || EXITERS_RAN.load(SeqCst) as u64 == n), "{} of {n} detached threads ran", EXITERS_RAN.load(SeqCst));
    let ran = EXIT_INTERRUPTS_RAN.load(SeqCst);
    note!(
        "{n} detached threads, {stops} stops; {} calls ran, {} found the thread gone, {} timed out, {} suspended, \
         {} interrupts queued ({ran} ran, the rest dropped by exiting threads), {} refused with QueueFull",
        st.ran,
        st.exited,
        st.timed_out,
        st.suspended,
        st.queued,
        st.full
    );
    // A thread that exits drops its queue, so fewer may have run; never more.
    check!(ran <= st.queued, "{ran} queued interrupts ran, only {} were accepted", st.queued);
    check_eq!(EXIT_MISPLACED.load(SeqCst), 0);
    check_no_leak(before, format_args!("{n} detached threads under the control-signal storm"))
}
