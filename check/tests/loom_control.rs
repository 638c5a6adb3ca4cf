//! Loom models of thread control: the stop-the-world protocol of src/thread/stop.rs (epochs,
//! acknowledgements, the stopper's wait with re-sends, the acknowledgement on exit, the sections
//! that defer a request) and the cancel decision of src/thread/cancel_point.rs, each the
//! library's own file.
//!
//! # The signal, modelled
//!
//! The control signal is a standard signal sent with `tgkill`: sending sets the target's pending
//! bit (sends coalesce), and the kernel runs the handler *on the target thread*, between two of
//! its instructions. The models give each target a `signal` bit that the sender sets (a swap,
//! Release, after the request it announces, as the kernel orders a send before its delivery) and that the
//! target takes (AcqRel swap: always the latest value) at each *marked point* of its code, where
//! it then runs the handler's step itself, in program order, exactly as a handler runs on the
//! interrupted thread. Loom's scheduling decides at which marked point a send is taken (or that
//! the target ends first). While the handler runs, the signal stays blocked (the handler's mask
//! holds every signal but the synchronous ones): a send meanwhile stays pending until the next
//! marked point. Only the target's own code runs the handler, so a request is served only where
//! the real thread can be interrupted: anywhere but inside the handler.
//!
//! # What a stop promises, and how it shows
//!
//! A stopped thread's stack and saved context are `loom::cell::UnsafeCell`s: the target writes
//! its stack at every step, the handler writes the context before acknowledging and clears it
//! after waking, and the stopper reads both while the world is stopped, as a collector scans
//! them. Loom reports any of those accesses not ordered by happens-before, so a target that runs
//! on (or has not yet stored its context) while the stopper reads shows up as a data race; the
//! models also assert what the stopper reads (the context matches the stack it was stopped at,
//! a section is never seen half done). A thread left asleep, or a stopper that waits forever,
//! ends the execution as a loom deadlock or as a livelock past loom's branch limit.

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicU32 as LoomU32};
use loom::sync::{Arc, Mutex};
use loom::thread;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::time::Duration;
use strand_check::sync::atomic_wait::futex;
use strand_check::sync::atomic_wait::AtomicU32;
use strand_check::thread::cancel_point::must_redirect;
use strand_check::thread::stop::{self, Request, Sections, World, INTERNAL};

mod common;
use common::model;

/// The library's value; in the model only its being finite matters (loom lets the timed wait
/// time out before, between and after the other threads' steps).
const RESEND_AFTER: Duration = Duration::from_millis(10);

// ---------------------------------------------------------------------------------------------
// Stop-the-world

/// A modelled thread's control block and stack.
struct Target {
    /// The control signal's pending bit (see the module doc).
    signal: AtomicBool,
    sections: Sections,
    stop: Request,
    /// What the handler exposes while stopped: the step the thread was interrupted at (its
    /// registers); `None` when not stopped.
    context: UnsafeCell<Option<u32>>,
    /// The thread's stack: the last step it completed.
    stack: UnsafeCell<u32>,
    /// State a section changes in two steps (as an internal lock's holder would): the stopper
    /// must never see one half done.
    halves: UnsafeCell<(u32, u32)>,
    /// The thread keeps the control signal blocked (sigprocmask): sends stay pending.
    blocked: bool,
    /// Requests its handler deferred (bookkeeping of the model, touched by this thread only).
    deferrals: std::sync::atomic::AtomicU32,
}

// SAFETY: the cells are touched only in the orders the protocol under test promises; loom
// reports any access that the protocol failed to order, which is the property being checked.
unsafe impl Sync for Target {}
unsafe impl Send for Target {}

impl Target {
    fn new(blocked: bool) -> Target {
        Target {
            blocked,
            deferrals: std::sync::atomic::AtomicU32::new(0),
            signal: AtomicBool::new(false),
            sections: Sections::new(),
            stop: Request::new(),
            context: UnsafeCell::new(None),
            stack: UnsafeCell::new(0),
            halves: UnsafeCell::new((0, 0)),
        }
    }

    /// tgkill: the send that announces a request written before it.
    fn send(&self) {
        // A read-modify-write, as the kernel sets the pending bit under the target's sighand
        // lock. (A plain store would also let loom have a later swap read a value it had
        // replaced: loom orders a store only against what it has seen, so it can treat the
        // target's own earlier swap, concurrent with it, as just as new.)
        self.signal.swap(true, AcqRel);
    }

    fn step(&self, p: u32) {
        // SAFETY: see the Sync impl.
        self.stack.with_mut(|s| unsafe { *s = p });
    }

    fn context(&self) -> Option<u32> {
        // SAFETY: see the Sync impl.
        self.context.with(|c| unsafe { *c })
    }

    fn stack(&self) -> u32 {
        // SAFETY: see the Sync impl.
        self.stack.with(|s| unsafe { *s })
    }
}

/// What the threads share: the stop-wide words and the registry (one linked flag per target,
/// under the registry lock).
struct Process {
    world: World,
    registry: Mutex<Vec<bool>>,
    targets: Vec<Target>,
}

impl Process {
    fn new(n: usize) -> Arc<Process> {
        Process::with_blocked(&vec![false; n])
    }

    /// Targets with the control signal blocked (true) or not.
    fn with_blocked(blocked: &[bool]) -> Arc<Process> {
        Arc::new(Process {
            world: World::new(),
            registry: Mutex::new(vec![true; blocked.len()]),
            targets: blocked.iter().map(|&b| Target::new(b)).collect(),
        })
    }
}

/// A marked point of target `i`, interrupted after completing step `at`: if a signal is pending,
/// the handler runs here. Returns whether it stopped.
fn marked_point(p: &Process, i: usize, at: u32) -> bool {
    let t = &p.targets[i];
    if t.blocked || !t.signal.swap(false, AcqRel) {
        return false;
    }
    // on_control_signal: inside a section, only record the request.
    if t.sections.defer_request() {
        t.deferrals.fetch_add(1, Relaxed);
        return false;
    }
    stop::stop_here(
        &p.world,
        &t.stop,
        // SAFETY (both): see the Sync impl.
        || t.context.with_mut(|c| unsafe { *c = Some(at) }),
        || t.context.with_mut(|c| unsafe { *c = None }),
    )
}

/// Leaves `n` section levels; a request deferred meanwhile is re-sent to the thread itself
/// (control.rs `serve_pending`). Returns whether it was.
fn leave_section(p: &Process, i: usize, n: u32) -> bool {
    let t = &p.targets[i];
    let deferred = t.sections.leave(n);
    if deferred {
        t.send();
    }
    deferred
}

/// A target's way out, as start.rs's `leave_registry`: under the registry lock (an internal
/// lock, so a section), unlink and acknowledge a stop it was asked for; the request the section
/// deferred is then re-sent and taken, and must neither stop the thread nor count again.
fn exit(p: &Process, i: usize, at: u32) {
    let t = &p.targets[i];
    t.sections.enter(INTERNAL);
    {
        let mut r = p.registry.lock().unwrap();
        // Deferred: the thread holds the lock every stopper needs.
        assert!(!marked_point(p, i, at), "stopped holding the registry lock (an internal section)");
        r[i] = false;
        stop::leave(&p.world, &t.stop);
    }
    leave_section(p, i, INTERNAL);
    assert!(!marked_point(p, i, at), "a thread that left the registry stopped");
}

/// A target that completes `steps` steps, with a marked point before each, then exits.
fn run_target(p: &Process, i: usize, steps: u32) {
    for s in 1..=steps {
        marked_point(p, i, s - 1);
        p.targets[i].step(s);
    }
    exit(p, i, steps);
}

/// `stop_the_world` (control.rs), for a process that spawns nobody meanwhile (so one round of
/// asking): ask every linked target, under the registry lock, then wait for their
/// acknowledgements, re-sending to the ones that have not. Returns the epoch and who was asked.
fn stop_the_world(p: &Process) -> (u32, Vec<usize>) {
    let e = p.world.begin_epoch();
    let mut asked = Vec::new();
    {
        let r = p.registry.lock().unwrap();
        for (i, t) in p.targets.iter().enumerate() {
            if !r[i] || t.stop.asked_in(e) {
                continue;
            }
            t.stop.ask(e);
            t.send();
            asked.push(i);
        }
    }
    p.world.wait_for_acks(asked.len() as u32, RESEND_AFTER, || {
        let r = p.registry.lock().unwrap();
        for (i, t) in p.targets.iter().enumerate() {
            if r[i] && t.stop.unacknowledged(e) {
                t.send();
            }
        }
    });
    (e, asked)
}

/// What a collector does with the stopped world (`WorldStopped::for_each`): every asked thread
/// has acknowledged; one with a context is stopped at it, so its stack holds what it had
/// completed when interrupted and does not change while it is read; one without has left.
/// Returns how many were stopped (rather than gone).
fn inspect(p: &Process, e: u32, asked: &[usize]) -> usize {
    let mut stopped = 0;
    for &i in asked {
        let t = &p.targets[i];
        assert!(t.stop.acknowledged(e), "stop returned before target {i} acknowledged");
        if let Some(at) = t.context() {
            assert_eq!(t.stack(), at, "target {i} ran on past the point it stopped at");
            // Read twice, apart: a target running on would also be a loom data race here.
            thread::yield_now();
            assert_eq!(t.stack(), at, "target {i} ran on while stopped");
            stopped += 1;
        }
    }
    stopped
}

/// One stopper, two targets, two rounds of stop, inspect, resume. Proves: when a stop returns,
/// every target it asked has acknowledged and is either stopped at the point its context names
/// (and stays there while the stopper reads its stack) or has left the registry; after the
/// resume the targets run to their end (none stays asleep); and a target still on its way out of
/// round 1's handler when round 2 begins is stopped again by round 2 rather than missing it or
/// sleeping on through it (the handler waits while the epoch is *its* epoch, not while any stop
/// is in progress). The re-sends of the stopper's bounded wait reach targets that have already
/// acknowledged, or are still in the handler, and change nothing.
///
/// Breaks it catches: acknowledging before storing the context (a data race on the context),
/// no epoch check (a livelock), no count reset per epoch, a handler that stops a thread holding
/// the registry lock.
#[test]
fn stop_two_targets_two_rounds() {
    model(Some(2), || {
        let p = Process::new(2);
        let threads: Vec<_> = (0..2)
            .map(|i| {
                let p = p.clone();
                thread::spawn(move || run_target(&p, i, 2))
            })
            .collect();
        for _round in 0..2 {
            let (e, asked) = stop_the_world(&p);
            inspect(&p, e, &asked);
            p.world.end_epoch(e);
        }
        for th in threads {
            th.join().unwrap();
        }
        for t in &p.targets {
            assert_eq!(t.stack(), 2, "a target did not finish after being resumed");
            assert_eq!(t.context(), None);
        }
    });
}

/// The same, with the slow case forced: the target keeps running marked points until it has been
/// stopped twice, so it cannot leave instead of acknowledging, and round 2 begins while it may
/// still be inside round 1's handler (woken, not yet past its epoch check). Fails, as a stopper
/// waiting forever, if the handler sleeps while any stop is in progress instead of while the
/// epoch is its own; fails if `begin_epoch` does not reset the count (round 2 returns at once).
#[test]
fn slow_target_is_stopped_again_by_the_next_round() {
    model(Some(3), || {
        let p = Process::new(1);
        let p2 = p.clone();
        // Keeps going until it has been stopped twice, then exits.
        let th = thread::spawn(move || {
            let mut stops = 0;
            let mut s = 0;
            while stops < 2 {
                if marked_point(&p2, 0, s) {
                    stops += 1;
                }
                s += 1;
                p2.targets[0].step(s);
                thread::yield_now();
            }
            exit(&p2, 0, s);
        });
        for _round in 0..2 {
            let (e, asked) = stop_the_world(&p);
            assert_eq!(asked, [0]);
            assert_eq!(inspect(&p, e, &asked), 1, "the target left instead of stopping");
            p.world.end_epoch(e);
        }
        th.join().unwrap();
    });
}

/// A target asked while inside a section (`without_interrupts`) acknowledges only after the
/// section ends: the handler records the request and returns, the section's end re-sends the
/// signal to the thread itself, and the next marked point stops it. Proves: the stopper never
/// sees the section's state half changed, and a request deferred by a section is served at its
/// end (the first marked point after it stops the thread, without waiting for a re-send).
///
/// Breaks it catches: a handler that does not defer inside `without_interrupts` (half-done
/// state), a section end that does not re-send a deferred request.
#[test]
fn a_section_defers_the_stop_to_its_end() {
    model(None, || {
        let p = Process::new(1);
        let p2 = p.clone();
        let th = thread::spawn(move || {
            let t = &p2.targets[0];
            // Stopped here, the thread has served this model's only stop: a request it finds
            // later is a stale re-send.
            let stopped_before = marked_point(&p2, 0, 0);
            t.step(1);
            t.sections.enter(1);
            // SAFETY (both): see the Sync impl.
            t.halves.with_mut(|h| unsafe { (*h).0 = 1 });
            marked_point(&p2, 0, 1);
            t.halves.with_mut(|h| unsafe { (*h).1 = 1 });
            leave_section(&p2, 0, 1);
            let deferred = t.deferrals.load(Relaxed) != 0;
            let stopped = marked_point(&p2, 0, 1);
            // Nobody else can end the stop: it waits for this thread's acknowledgement.
            assert!(!deferred || stopped || stopped_before, "a request deferred by a section was not served at its end");
            t.step(2);
            marked_point(&p2, 0, 2);
            exit(&p2, 0, 2);
        });
        let (e, asked) = stop_the_world(&p);
        if inspect(&p, e, &asked) == 1 {
            // SAFETY: see the Sync impl.
            let (a, b) = p.targets[0].halves.with(|h| unsafe { *h });
            assert_eq!(a, b, "stopped inside a section");
        }
        p.world.end_epoch(e);
        th.join().unwrap();
    });
}

/// Targets that exit instead of acknowledging. Target 0 keeps the control signal blocked and
/// leaves at once: only its acknowledgement on exit can release the stopper (without it the
/// stopper waits forever). Target 1 takes a step first, and may take the request inside its way
/// out (deferred by the registry lock, re-sent at the lock's end) or before it (then it stops).
/// Proves: a thread that leaves while asked releases the stopper, which sees it as gone (no
/// context), and the request it takes after leaving neither stops it nor counts a second time
/// (which would let the stop return before the other target acknowledged).
///
/// Breaks it catches: no acknowledgement on exit (the stopper waits forever), a handler that
/// does not check for an acknowledgement already given (the thread stops after it left, and
/// writes a context the stopper reads as gone).
#[test]
fn exiting_targets_acknowledge_once() {
    model(Some(3), || {
        let p = Process::with_blocked(&[true, false]);
        let (p0, p1) = (p.clone(), p.clone());
        let t0 = thread::spawn(move || exit(&p0, 0, 0));
        let t1 = thread::spawn(move || run_target(&p1, 1, 1));
        let (e, asked) = stop_the_world(&p);
        inspect(&p, e, &asked);
        p.world.end_epoch(e);
        t0.join().unwrap();
        t1.join().unwrap();
    });
}

// ---------------------------------------------------------------------------------------------
// Cancellation

/// Where a thread can be when the control signal interrupts a cancellation point, and the PC
/// its handler then sees, in a modelled `syscall_cp` stub laid out like x86_64's:
/// `__strand_cp_begin` at `BEGIN` (the test of the cancel word), the syscall instruction at
/// `SYSCALL`, `__strand_cp_end` right after it.
#[derive(Clone, Copy, Debug)]
enum Stage {
    /// Before the stub (the caller's own code).
    BeforeCheck,
    /// The word tested (clear), the arguments being marshalled.
    BetweenCheckAndSyscall,
    /// Blocked in the kernel: with SA_RESTART the kernel rewinds the PC to the syscall
    /// instruction before running the handler, and restarts the syscall after it.
    InSyscall,
    /// The syscall completed: its result is in the return register.
    AfterSyscall,
}

const BEGIN: usize = 0x1000;
const SYSCALL: usize = 0x1020;
const END: usize = 0x1022;

impl Stage {
    fn pc(self) -> usize {
        match self {
            Stage::BeforeCheck => BEGIN - 5,
            Stage::BetweenCheckAndSyscall => BEGIN + 8,
            Stage::InSyscall => SYSCALL,
            Stage::AfterSyscall => END,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cancelled;

/// A thread's cancel word, its control signal's pending bit, and a `read` it is blocked in.
struct Point {
    cancel: LoomU32,
    signal: AtomicBool,
    /// The data the read returns (0: none yet). Taking it is what completes the syscall.
    data: LoomU32,
    /// The kernel's wake-ups of the sleeping syscall: data arriving or a signal interrupting it.
    kick: AtomicU32,
}

impl Point {
    fn new() -> Arc<Point> {
        Arc::new(Point { cancel: LoomU32::new(0), signal: AtomicBool::new(false), data: LoomU32::new(0), kick: AtomicU32::new(0) })
    }

    /// Wakes the syscall if it sleeps (signal_wake_up, or the data's arrival).
    fn kick(&self) {
        self.kick.fetch_add(1, Release);
        futex::wake_private(&self.kick, 1);
    }

    /// `Thread::cancel`: set the word, then send the signal.
    fn cancel(&self) {
        self.cancel.store(1, Release);
        // tgkill: a read-modify-write, as in `Target::send`.
        self.signal.swap(true, AcqRel);
        self.kick();
    }

    fn produce(&self, v: u32) {
        self.data.store(v, Release);
        self.kick();
    }

    /// The handler's cancel step (`cancel::redirect`) if a signal is pending at `stage`: true
    /// if it sends the thread to the stub's cancel exit.
    fn deliver(&self, stage: Stage) -> bool {
        if !self.signal.swap(false, AcqRel) {
            return false;
        }
        let cancelled = self.cancel.load(Acquire) != 0;
        cancelled && must_redirect(stage.pc(), (BEGIN, END), cancelled, false)
    }

    /// A cancellable `read` through `syscall_cp`: `Err(Cancelled)` is the stub's `-ECANCELED`.
    fn read(&self) -> Result<u32, Cancelled> {
        if self.deliver(Stage::BeforeCheck) {
            return Err(Cancelled);
        }
        // The stub's test: a plain load (the signal's delivery orders the canceller's store
        // before any handler, and so before what the thread does after one).
        if self.cancel.load(Relaxed) != 0 {
            return Err(Cancelled);
        }
        if self.deliver(Stage::BetweenCheckAndSyscall) {
            return Err(Cancelled);
        }
        let v = loop {
            let k = self.kick.load(Acquire);
            // Data there: the read completes, taking it (a pending signal then arrives after
            // it). Only the reader writes the word after the producer, so a load and a store do;
            // a swap when it is empty would be a store that loom need not order against the
            // producer's (see `Target::send`).
            let v = self.data.load(Acquire);
            if v != 0 {
                self.data.store(0, Relaxed);
                break v;
            }
            // A pending signal interrupts the sleep: handler at the rewound PC, then restart.
            if self.deliver(Stage::InSyscall) {
                return Err(Cancelled);
            }
            futex::wait_private(&self.kick, k, None);
        };
        if self.deliver(Stage::AfterSyscall) {
            return Err(Cancelled);
        }
        Ok(v)
    }
}

/// "Check the cancel word, then sleep" against "set the cancel word, then signal", with nothing
/// else to wake the read. Proves a cancel is never lost: wherever the signal lands (before the
/// stub, between its test and its syscall, in the syscall), the read returns `Cancelled`; it
/// never sleeps on (that would be a loom deadlock). Catches a `must_redirect` that redirects
/// only a thread blocked in the syscall: a signal between the test and the syscall is lost.
#[test]
fn cancel_is_never_lost() {
    model(None, || {
        let p = Point::new();
        let p2 = p.clone();
        let th = thread::spawn(move || p2.read());
        p.cancel();
        assert_eq!(th.join().unwrap(), Err(Cancelled));
    });
}

/// The same with data arriving concurrently. Proves a completed syscall keeps its result: the
/// read returns the data exactly when it took it from the kernel, and `Cancelled` only when it
/// left the data unread (a redirect after the syscall completed would lose it); and it always
/// returns one or the other. Catches `pc <= range.1` in `must_redirect`.
#[test]
fn a_completed_syscall_keeps_its_result() {
    model(Some(4), || {
        let p = Point::new();
        let (p2, p3) = (p.clone(), p.clone());
        let th = thread::spawn(move || p2.read());
        let producer = thread::spawn(move || p3.produce(42));
        p.cancel();
        producer.join().unwrap();
        let r = th.join().unwrap();
        let left = p.data.load(Acquire);
        match r {
            Ok(v) => assert_eq!((v, left), (42, 0)),
            Err(Cancelled) => assert_eq!(left, 42, "a read that completed reported Cancelled: its data is lost"),
        }
    });
}
