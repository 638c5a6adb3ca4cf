//! Thread control: the registry, stop-the-world, suspending one thread, running code in
//! another thread, and the sections that defer all of that.
//!
//! Windows are forced, not waited for: a thread that must be asleep is seen asleep in
//! /proc/self/task/<tid>/stat; a request that must arrive inside a section is sent before the
//! thread makes a syscall inside it (a pending signal is delivered on the way back from any
//! syscall); a request that must stay undelivered is held back by blocking the control signal.
#![no_std]
#![no_main]
#![feature(thread_local)]

#[macro_use]
mod common;

use common::{Gate, Test, TestResult};
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicUsize, Ordering::SeqCst};
use core::time::Duration;
use strand::arch::sys::general::SIG_UNBLOCK;
use strand::futex;
use strand::signal::{self, Context, Handler, SigInfo, SigSet, Signal};
use strand::syscall;
use strand::thread::{self, ControlError, LocalError, Session, SessionError, Thread};
use strand::Errno;

strand::main!(main);

const TESTS: &[Test] = &[
    // Must run first: the control signal can only be chosen before its handler is installed.
    ("control_signal_is_chosen_before_first_use", control_signal_is_chosen_before_first_use),
    ("registry_lists_every_thread_with_its_stack", registry_lists_every_thread_with_its_stack),
    ("registry_forgets_threads_that_exit", registry_forgets_threads_that_exit),
    ("stopped_threads_do_not_run", stopped_threads_do_not_run),
    ("stop_while_threads_wait_sleep_and_join", stop_while_threads_wait_sleep_and_join),
    ("a_section_delays_the_stop_until_it_ends", a_section_delays_the_stop_until_it_ends),
    ("stopper_may_print_and_spawn", stopper_may_print_and_spawn),
    ("a_forged_control_signal_stops_nobody", a_forged_control_signal_stops_nobody),
    ("suspend_one_thread", suspend_one_thread),
    ("run_in_runs_in_the_target_with_borrowed_data", run_in_runs_in_the_target_with_borrowed_data),
    ("run_in_a_thread_that_exits_first_is_an_error", run_in_a_thread_that_exits_first_is_an_error),
    ("run_in_timeout_withdraws_the_call", run_in_timeout_withdraws_the_call),
    ("interrupt_queue_is_fifo_and_bounded", interrupt_queue_is_fifo_and_bounded),
    ("interrupts_inside_a_section_run_at_its_end", interrupts_inside_a_section_run_at_its_end),
    ("with_interrupts_lets_them_in", with_interrupts_lets_them_in),
    ("another_threads_thread_locals", another_threads_thread_locals),
    ("a_borrowed_thread_local_holds_its_thread_at_exit", a_borrowed_thread_local_holds_its_thread_at_exit),
    ("cancel_before_the_syscall", cancel_before_the_syscall),
    ("cancel_while_asleep_in_each_cancellation_point", cancel_while_asleep_in_each_cancellation_point),
    ("a_completed_syscall_keeps_its_result", a_completed_syscall_keeps_its_result),
    ("a_read_with_data_is_not_lost", a_read_with_data_is_not_lost),
    ("cancel_inside_without_interrupts", cancel_inside_without_interrupts),
    ("disable_cancel_holds_it_back", disable_cancel_holds_it_back),
    ("terminate_runs_drops_or_gives_the_handle_back", terminate_runs_drops_or_gives_the_handle_back),
    ("condvar_wait_is_a_cancellation_point", condvar_wait_is_a_cancellation_point),
    ("a_cancel_does_not_swallow_a_notify", a_cancel_does_not_swallow_a_notify),
    ("session_membership_is_inherited", session_membership_is_inherited),
    ("foreground_is_handed_on_in_fifo_order", foreground_is_handed_on_in_fifo_order),
    ("terminate_others_reports_who_did_not_finish", terminate_others_reports_who_did_not_finish),
    // Last: SIGINT stays routed for the rest of the process.
    ("sigint_goes_to_the_foreground_member", sigint_goes_to_the_foreground_member),
];

fn main() -> i32 {
    common::run("control", TESTS)
}

fn err(e: impl core::fmt::Display) -> common::Failure {
    common::Failure::new(format_args!("{e}"))
}

/// Waits (bounded) until thread `tid` sleeps in the kernel.
fn wait_asleep(tid: i32) -> TestResult {
    check!(common::eventually(20, || common::thread_state(tid) == Some(b'S')), "thread {tid} never fell asleep");
    Ok(())
}

/// Blocks or unblocks the control signal (SIGURG here) in the calling thread.
fn control_signal_blocked(block: bool) {
    let s = SigSet::of(&[Signal::URG]);
    if block { signal::block(&s) } else { signal::unblock(&s) }.unwrap();
}

/// Whether the control signal is pending for the calling thread.
fn control_signal_pending() -> bool {
    signal::pending().unwrap().contains(Signal::URG)
}

fn control_signal_is_chosen_before_first_use() -> TestResult {
    let sig = |n| Signal::new(n).unwrap();
    for bad in [Signal::KILL, Signal::STOP, sig(33), sig(62), Signal::SEGV] {
        check_eq!(thread::set_control_signal(bad), Err(Errno::EINVAL));
    }
    check_eq!(thread::set_control_signal(sig(40)), Ok(()));
    check_eq!(thread::set_control_signal(Signal::URG), Ok(()));
    // First use installs the handler; from then on the choice is fixed.
    let t = thread::current();
    thread::stop_the_world().map_err(err)?;
    check_eq!(thread::set_control_signal(sig(40)), Err(Errno::EBUSY));
    check_eq!(thread::set_control_signal(Signal::URG), Ok(()));
    check!(!t.has_exited());
    Ok(())
}

fn registry_lists_every_thread_with_its_stack() -> TestResult {
    const N: usize = 5;
    static GO: Gate = Gate::new();
    static LOCALS: [AtomicUsize; N] = [const { AtomicUsize::new(0) }; N];
    let mut hs = [const { None }; N];
    for (i, h) in hs.iter_mut().enumerate() {
        *h = Some(
            thread::Builder::new()
                .name("listed")
                .spawn(move || {
                    let local = 0u8;
                    LOCALS[i].store(&local as *const u8 as usize, SeqCst);
                    GO.wait();
                    core::hint::black_box(&local);
                })
                .map_err(err)?,
        );
    }
    check!(common::eventually(20, || LOCALS.iter().all(|l| l.load(SeqCst) != 0)));
    let me = thread::current();
    let my_local = 0u8;
    let mut seen = [false; N];
    let mut saw_me = false;
    let mut serials = [0u64; N + 1];
    let mut count = 0;
    let mut bad: Option<(i32, usize, usize)> = None;
    thread::for_each_thread(|info| {
        if info.thread == me {
            saw_me = true;
            let a = &my_local as *const u8 as usize;
            if !info.stack.contains(&a) {
                bad = Some((info.thread.tid(), info.stack.start, info.stack.end));
            }
        }
        for (i, h) in hs.iter().enumerate() {
            if info.thread == h.as_ref().unwrap().thread() {
                seen[i] = true;
                if !info.stack.contains(&LOCALS[i].load(SeqCst)) {
                    bad = Some((info.thread.tid(), info.stack.start, info.stack.end));
                }
                check_name(&info.thread);
            }
        }
        if count <= N {
            serials[count] = info.thread.generation();
        }
        count += 1;
    });
    GO.open();
    for h in hs.iter_mut() {
        h.take().unwrap().join()?;
    }
    check!(saw_me, "the calling thread is not in the registry");
    check!(seen.iter().all(|&s| s), "a spawned thread is missing: {seen:?}");
    check!(bad.is_none(), "a thread's local lies outside its stack bounds: {bad:?}");
    check!(count >= N + 1);
    // Serial numbers are unique.
    for i in 0..serials.len() {
        for j in i + 1..serials.len() {
            check!(serials[i] != serials[j], "two threads share generation {}", serials[i]);
        }
    }
    check!(thread::find(me.tid()) == Some(me));
    Ok(())
}

fn check_name(t: &Thread) {
    assert_eq!(t.name(), Some("listed"));
}

fn registry_forgets_threads_that_exit() -> TestResult {
    static GO: Gate = Gate::new();
    let before = thread::thread_count();
    // Held until it has been found: a thread that has finished is no longer found by tid (its
    // tid may be another thread's by then).
    let h = thread::spawn(|| {
        GO.wait();
        thread::current()
    })
    .map_err(err)?;
    let t = h.thread();
    check_eq!(thread::find(t.tid()), Some(t));
    check!(!t.has_exited());
    check_eq!(thread::thread_count(), before + 1);
    GO.open();
    let inside = h.join()?;
    check_eq!(inside, t);
    check!(t.has_exited());
    check_eq!(thread::find(t.tid()), None);
    check_eq!(thread::thread_count(), before);
    // A new thread that reuses the cached stack (and maybe the tid) is a different thread.
    let h2 = thread::spawn(|| ()).map_err(err)?;
    let t2 = h2.thread();
    check!(t2 != t && t2.generation() > t.generation());
    check_eq!(t.run_in(|| ()), Err(ControlError::Exited));
    check_eq!(t.interrupt(|| ()).err(), Some(ControlError::Exited));
    check!(t.suspend().is_err());
    h2.join()?;
    Ok(())
}

const SPINNERS: usize = 4;
static COUNTERS: [AtomicU32; SPINNERS] = [const { AtomicU32::new(0) }; SPINNERS];
static SPIN: AtomicBool = AtomicBool::new(false);

fn start_spinners() -> Result<[Option<thread::JoinHandle<()>>; SPINNERS], common::Failure> {
    SPIN.store(true, SeqCst);
    let mut hs = [const { None }; SPINNERS];
    for (i, h) in hs.iter_mut().enumerate() {
        COUNTERS[i].store(0, SeqCst);
        *h = Some(
            thread::spawn(move || {
                while SPIN.load(SeqCst) {
                    COUNTERS[i].fetch_add(1, SeqCst);
                }
            })
            .map_err(err)?,
        );
    }
    check!(common::eventually(20, || COUNTERS.iter().all(|c| c.load(SeqCst) > 0)));
    Ok(hs)
}

fn stop_spinners(hs: &mut [Option<thread::JoinHandle<()>>; SPINNERS]) -> TestResult {
    SPIN.store(false, SeqCst);
    for h in hs.iter_mut() {
        h.take().unwrap().join()?;
    }
    Ok(())
}

fn stopped_threads_do_not_run() -> TestResult {
    let mut hs = start_spinners()?;
    for round in 0..10 {
        let world = thread::stop_the_world().map_err(err)?;
        let frozen: [u32; SPINNERS] = core::array::from_fn(|i| COUNTERS[i].load(SeqCst));
        // Give them every chance to move: yield the CPU a few hundred times.
        for _ in 0..200 {
            thread::yield_now();
        }
        let later: [u32; SPINNERS] = core::array::from_fn(|i| COUNTERS[i].load(SeqCst));
        let mut stopped = 0;
        let mut wrong_sp = None;
        world.for_each(|s| {
            stopped += 1;
            // A thread stopped at its first instruction has pushed nothing: sp == end is fine.
            if !(s.stack.start..=s.stack.end).contains(&s.stack_pointer()) || s.context().is_null() {
                wrong_sp = Some((s.thread.tid(), s.stack_pointer(), s.stack.start, s.stack.end));
            }
        });
        drop(world);
        check_eq!(frozen, later);
        check!(wrong_sp.is_none(), "round {round}: stack pointer outside the stack: {wrong_sp:?}");
        check!(stopped >= SPINNERS, "round {round}: only {stopped} threads stopped");
        // And they run again.
        check!(
            common::eventually(20, || (0..SPINNERS).all(|i| COUNTERS[i].load(SeqCst) != later[i])),
            "round {round}: the threads did not resume"
        );
    }
    stop_spinners(&mut hs)
}

fn stop_while_threads_wait_sleep_and_join() -> TestResult {
    static WORD: AtomicU32 = AtomicU32::new(0);
    static WOKEN: AtomicU32 = AtomicU32::new(0);
    WORD.store(0, SeqCst);
    let waiter = thread::spawn(|| {
        while WORD.load(SeqCst) == 0 {
            futex::wait_private(&WORD, 0, None);
        }
        WOKEN.store(1, SeqCst);
    })
    .map_err(err)?;
    let sleeper = thread::spawn(|| {
        let start = strand::time::Instant::now();
        thread::sleep(Duration::from_millis(300));
        start.elapsed()
    })
    .map_err(err)?;
    let (wt, st) = (waiter.thread().tid(), sleeper.thread().tid());
    let joiner = thread::spawn(move || waiter.join().is_ok()).map_err(err)?;
    wait_asleep(wt)?;
    wait_asleep(st)?;
    wait_asleep(joiner.thread().tid())?;
    {
        let world = thread::stop_the_world().map_err(err)?;
        let mut n = 0;
        world.for_each(|_| n += 1);
        check!(n >= 3);
        // A wake while the waiter is stopped is not lost: it finds the word changed or is
        // woken once it is back in its wait.
        WORD.store(1, SeqCst);
        futex::wake_private(&WORD, 1);
        check_eq!(WOKEN.load(SeqCst), 0);
    }
    check!(joiner.join()?, "the joiner's join failed");
    check_eq!(WOKEN.load(SeqCst), 1);
    let slept = sleeper.join()?;
    check!(slept >= Duration::from_millis(300), "slept only {slept:?}");
    Ok(())
}

fn a_section_delays_the_stop_until_it_ends() -> TestResult {
    static INSIDE: Gate = Gate::new();
    static FINISHED_SECTION: AtomicU32 = AtomicU32::new(0);
    static AFTER: AtomicU32 = AtomicU32::new(0);
    static DELIVERED_INSIDE: AtomicBool = AtomicBool::new(false);
    let t = thread::spawn(|| {
        thread::without_interrupts(|| {
            // Hold the stop request back until it has surely come, then let it in: its
            // handler runs on the way back from the unblocking syscall, inside the section.
            control_signal_blocked(true);
            INSIDE.open();
            while !control_signal_pending() {
                thread::yield_now();
            }
            control_signal_blocked(false);
            DELIVERED_INSIDE.store(!control_signal_pending(), SeqCst);
            FINISHED_SECTION.store(1, SeqCst);
        });
        AFTER.store(1, SeqCst);
    })
    .map_err(err)?;
    INSIDE.wait();
    // Every thread but the stopper stops (this one too), so the stopper checks for itself
    // where the target stopped: at the end of its section, before the next statement.
    let stopper = thread::spawn(|| {
        let world = thread::stop_the_world().expect("stop");
        let seen = (FINISHED_SECTION.load(SeqCst), AFTER.load(SeqCst));
        drop(world);
        seen
    })
    .map_err(err)?;
    check_eq!(stopper.join()?, (1, 0));
    t.join()?;
    check!(DELIVERED_INSIDE.load(SeqCst), "the request was still pending after the unblock");
    check_eq!(AFTER.load(SeqCst), 1);
    Ok(())
}

fn stopper_may_print_and_spawn() -> TestResult {
    let mut hs = start_spinners()?;
    // Printing threads may hold the print lock when the stop comes: they stop after it.
    static PRINTING: AtomicBool = AtomicBool::new(true);
    PRINTING.store(true, SeqCst);
    let printer = thread::spawn(|| {
        // Empty writes: the print lock is taken and released all the time.
        while PRINTING.load(SeqCst) {
            strand::print!("{}", "");
        }
    })
    .map_err(err)?;
    for round in 0..10 {
        let world = thread::stop_the_world().map_err(err)?;
        strand::print!("{}", if round == 0 { "  (printed while the world is stopped)\n" } else { "" });
        let h = thread::spawn(|| 7).map_err(err)?;
        check_eq!(h.join()?, 7);
        drop(world);
    }
    PRINTING.store(false, SeqCst);
    printer.join()?;
    stop_spinners(&mut hs)
}

static CHAINED: AtomicU32 = AtomicU32::new(0);
fn chained(_: &SigInfo, _: &mut Context) {
    CHAINED.fetch_add(1, SeqCst);
}

fn a_forged_control_signal_stops_nobody() -> TestResult {
    let mut hs = start_spinners()?;
    // The program's own SIGURG handler gets the signals strand did not send.
    signal::set_handler(Signal::URG, Handler::Function(chained)).map_err(err)?;
    CHAINED.store(0, SeqCst);
    // kill: process-directed, SI_USER. Delivered to one thread that does not block it.
    signal::kill(syscall::getpid(), Signal::URG).map_err(err)?;
    check!(common::eventually(20, || CHAINED.load(SeqCst) == 1), "the program's handler did not run");
    let seen: [u32; SPINNERS] = core::array::from_fn(|i| COUNTERS[i].load(SeqCst));
    check!(common::eventually(20, || (0..SPINNERS).all(|i| COUNTERS[i].load(SeqCst) != seen[i])), "a thread stopped");
    // And thread control still works.
    drop(thread::stop_the_world().map_err(err)?);
    check_eq!(CHAINED.load(SeqCst), 1);
    let old = signal::set_handler(Signal::URG, Handler::Default).map_err(err)?;
    check!(matches!(old, Handler::Function(f) if f as usize == chained as signal::HandlerFn as usize));
    stop_spinners(&mut hs)
}

fn suspend_one_thread() -> TestResult {
    let mut hs = start_spinners()?;
    let target = hs[0].as_ref().unwrap().thread();
    check!(matches!(thread::current().suspend(), Err(ControlError::SelfTarget)));
    for _ in 0..10 {
        let s = target.suspend().map_err(err)?;
        check_eq!(s.thread(), target);
        check!((s.stack().start..=s.stack().end).contains(&s.stack_pointer()));
        let frozen = COUNTERS[0].load(SeqCst);
        let other = COUNTERS[1].load(SeqCst);
        // The others go on.
        check!(common::eventually(20, || COUNTERS[1].load(SeqCst) != other));
        check_eq!(COUNTERS[0].load(SeqCst), frozen);
        drop(s);
        check!(common::eventually(20, || COUNTERS[0].load(SeqCst) != frozen));
    }
    stop_spinners(&mut hs)
}

fn run_in_runs_in_the_target_with_borrowed_data() -> TestResult {
    static WORD: AtomicU32 = AtomicU32::new(0);
    WORD.store(0, SeqCst);
    let h = thread::spawn(|| {
        while WORD.load(SeqCst) == 0 {
            futex::wait_private(&WORD, 0, None);
        }
        thread::current_tid()
    })
    .map_err(err)?;
    let target = h.thread();
    wait_asleep(target.tid())?;
    let mut ran_on = 0;
    let mut runs = 0u32;
    for _ in 0..50 {
        target
            .run_in(|| {
                ran_on = thread::current_tid();
                runs += 1;
            })
            .map_err(err)?;
    }
    check_eq!(ran_on, target.tid());
    check_eq!(runs, 50);
    // Its wait goes on undisturbed, and ends when woken.
    check!(!h.is_finished());
    WORD.store(1, SeqCst);
    futex::wake_private(&WORD, 1);
    check_eq!(h.join()?, target.tid());
    // On the calling thread itself it just runs.
    let mut here = 0;
    thread::current().run_in(|| here = thread::current_tid()).map_err(err)?;
    check_eq!(here, thread::current_tid());
    Ok(())
}

fn run_in_a_thread_that_exits_first_is_an_error() -> TestResult {
    static READY: Gate = Gate::new();
    static RAN: AtomicU32 = AtomicU32::new(0);
    let h = thread::spawn(|| {
        control_signal_blocked(true);
        READY.open();
        // Exit as soon as the request has come (its signal is pending, blocked), without ever
        // taking it.
        while !control_signal_pending() {
            thread::yield_now();
        }
    })
    .map_err(err)?;
    READY.wait();
    let r = h.thread().run_in(|| {
        RAN.store(1, SeqCst);
    });
    check_eq!(r, Err(ControlError::Exited));
    check_eq!(RAN.load(SeqCst), 0);
    h.join()?;
    Ok(())
}

fn run_in_timeout_withdraws_the_call() -> TestResult {
    static READY: Gate = Gate::new();
    static TIMED_OUT: Gate = Gate::new();
    static RAN: AtomicU32 = AtomicU32::new(0);
    static SERVED: AtomicU32 = AtomicU32::new(0);
    let h = thread::spawn(|| {
        control_signal_blocked(true);
        READY.open();
        TIMED_OUT.wait();
        // Now take the signal: the withdrawn call must not run; a new one does.
        control_signal_blocked(false);
        while SERVED.load(SeqCst) == 0 {
            thread::yield_now();
        }
    })
    .map_err(err)?;
    READY.wait();
    let t = h.thread();
    let r = t.run_in_timeout(|| RAN.store(1, SeqCst), Duration::from_millis(50));
    check_eq!(r, Err(ControlError::TimedOut));
    TIMED_OUT.open();
    t.run_in(|| SERVED.store(1, SeqCst)).map_err(err)?;
    h.join()?;
    check_eq!(RAN.load(SeqCst), 0);
    Ok(())
}

static ORDER: [AtomicU32; 12] = [const { AtomicU32::new(0) }; 12];
static NEXT: AtomicU32 = AtomicU32::new(0);
fn record(id: u32) {
    let i = NEXT.fetch_add(1, SeqCst) as usize;
    if i < ORDER.len() {
        ORDER[i].store(id, SeqCst);
    }
}
fn f1() {
    record(1)
}
fn f2() {
    record(2)
}
fn f3() {
    record(3)
}
fn reset_order() {
    NEXT.store(0, SeqCst);
    for o in &ORDER {
        o.store(0, SeqCst);
    }
}
fn order() -> [u32; 4] {
    core::array::from_fn(|i| ORDER[i].load(SeqCst))
}

fn interrupt_queue_is_fifo_and_bounded() -> TestResult {
    static READY: Gate = Gate::new();
    static FILLED: Gate = Gate::new();
    reset_order();
    let h = thread::spawn(|| {
        control_signal_blocked(true);
        READY.open();
        FILLED.wait();
        control_signal_blocked(false);
        // Delivered on the way back from that syscall: the whole queue has run by now.
        NEXT.load(SeqCst)
    })
    .map_err(err)?;
    READY.wait();
    let t = h.thread();
    let fs = [f1 as fn(), f2, f3];
    for i in 0..thread::QUEUE_LEN {
        t.interrupt(fs[i % 3]).map_err(err)?;
    }
    check_eq!(t.interrupt(f1).err(), Some(ControlError::QueueFull));
    FILLED.open();
    let ran = h.join()?;
    check_eq!(ran as usize, thread::QUEUE_LEN);
    check_eq!(order(), [1, 2, 3, 1]);
    Ok(())
}

fn interrupts_inside_a_section_run_at_its_end() -> TestResult {
    static INSIDE: Gate = Gate::new();
    static QUEUED: Gate = Gate::new();
    reset_order();
    let h = thread::spawn(|| {
        let inside = thread::without_interrupts(|| {
            thread::without_interrupts(|| {
                INSIDE.open();
                QUEUED.wait();
                // Any syscall delivers the pending signal; its handler only records it.
                thread::yield_now();
                thread::yield_now();
                check_deferred()
            })
        });
        // The outermost section has ended: everything ran, in order, right at its end.
        (inside, NEXT.load(SeqCst))
    })
    .map_err(err)?;
    INSIDE.wait();
    let t = h.thread();
    t.interrupt(f3).map_err(err)?;
    t.interrupt(f1).map_err(err)?;
    t.interrupt(f2).map_err(err)?;
    QUEUED.open();
    let ((deferred, ran_inside), ran_after) = h.join()?;
    check!(deferred, "interrupts_deferred() was false inside the section");
    check_eq!(ran_inside, 0);
    check_eq!(ran_after, 3);
    check_eq!(order(), [3, 1, 2, 0]);
    Ok(())
}

fn check_deferred() -> (bool, u32) {
    (thread::interrupts_deferred(), NEXT.load(SeqCst))
}

fn with_interrupts_lets_them_in() -> TestResult {
    static INSIDE: Gate = Gate::new();
    static QUEUED: Gate = Gate::new();
    static SEEN: AtomicI32 = AtomicI32::new(-1);
    reset_order();
    let h = thread::spawn(|| {
        thread::without_interrupts(|| {
            INSIDE.open();
            QUEUED.wait();
            thread::yield_now();
            let before = NEXT.load(SeqCst);
            let during = thread::with_interrupts(|| NEXT.load(SeqCst));
            SEEN.store(before as i32, SeqCst);
            (during, thread::interrupts_deferred())
        })
    })
    .map_err(err)?;
    INSIDE.wait();
    h.thread().interrupt(f1).map_err(err)?;
    QUEUED.open();
    let (during, deferred_again) = h.join()?;
    check_eq!(SEEN.load(SeqCst), 0);
    check_eq!(during, 1);
    check!(deferred_again);
    Ok(())
}

#[thread_local]
static MINE: AtomicU32 = AtomicU32::new(7);
#[thread_local]
static OTHER: [AtomicU32; 3] = [const { AtomicU32::new(0) }; 3];
static NOT_TLS: AtomicU32 = AtomicU32::new(0);

fn another_threads_thread_locals() -> TestResult {
    const N: usize = 4;
    static GO: Gate = Gate::new();
    static SET: AtomicU32 = AtomicU32::new(0);
    let mut hs = [const { None }; N];
    for (i, h) in hs.iter_mut().enumerate() {
        *h = Some(
            thread::spawn(move || {
                MINE.store(100 + i as u32, SeqCst);
                OTHER[2].store(200 + i as u32, SeqCst);
                SET.fetch_add(1, SeqCst);
                GO.wait();
                MINE.load(SeqCst)
            })
            .map_err(err)?,
        );
    }
    check!(common::eventually(20, || SET.load(SeqCst) == N as u32));
    MINE.store(1, SeqCst);
    for (i, h) in hs.iter().enumerate() {
        let t = h.as_ref().unwrap().thread();
        check_eq!(t.with_local(&raw const MINE, |v| v.load(SeqCst)), Ok(100 + i as u32));
        check_eq!(t.with_local(&raw const OTHER[2], |v| v.load(SeqCst)), Ok(200 + i as u32));
        // Writes through it reach the owner.
        t.with_local(&raw const MINE, |v| v.fetch_add(1000, SeqCst)).map_err(err)?;
        check_eq!(t.local_ref(&raw const NOT_TLS).err(), Some(LocalError::NotThreadLocal));
        let on_stack = AtomicU32::new(0);
        check_eq!(t.local_ref(&raw const on_stack).err(), Some(LocalError::NotThreadLocal));
    }
    check_eq!(MINE.load(SeqCst), 1);
    check_eq!(thread::current().with_local(&raw const MINE, |v| v.load(SeqCst)), Ok(1));
    GO.open();
    let mut exited = [None; N];
    for (i, h) in hs.iter_mut().enumerate() {
        let h = h.take().unwrap();
        exited[i] = Some(h.thread());
        check_eq!(h.join()?, 1100 + i as u32);
    }
    check_eq!(exited[0].unwrap().local_ref(&raw const MINE).err(), Some(LocalError::Exited));
    Ok(())
}

fn a_borrowed_thread_local_holds_its_thread_at_exit() -> TestResult {
    static READY: Gate = Gate::new();
    static GO: Gate = Gate::new();
    let h = thread::spawn(|| {
        MINE.store(55, SeqCst);
        READY.open();
        GO.wait();
    })
    .map_err(err)?;
    READY.wait();
    let t = h.thread();
    let r = t.local_ref(&raw const MINE).map_err(err)?;
    GO.open();
    // The thread returns from its closure and begins to exit (new borrows are refused), then
    // waits, asleep, for the borrow to end before its thread-locals could be destroyed.
    check!(common::eventually(20, || t.local_ref(&raw const MINE).err() == Some(LocalError::Exited)));
    wait_asleep(t.tid())?;
    check!(!h.is_finished());
    check_eq!(r.load(SeqCst), 55);
    drop(r);
    h.join()?;
    Ok(())
}

/// Blocks forever in a cancellable futex wait, unless cancelled.
fn wait_forever_cancellable() -> Result<(), thread::Cancelled> {
    let word = AtomicU32::new(0);
    loop {
        futex::wait_cancellable(&word, 0, None, futex::Scope::Private)?;
    }
}

fn cancel_before_the_syscall() -> TestResult {
    static READY: Gate = Gate::new();
    let h = thread::spawn(|| {
        control_signal_blocked(true);
        READY.open();
        // The cancel has come (its signal waits, blocked): the stub's test must catch it
        // before the wait, which would otherwise never end.
        while !control_signal_pending() {
            thread::yield_now();
        }
        let r = wait_forever_cancellable();
        control_signal_blocked(false);
        (r, thread::check_cancel())
    })
    .map_err(err)?;
    READY.wait();
    h.cancel().map_err(err)?;
    check_eq!(h.join()?, (Err(thread::Cancelled), Err(thread::Cancelled)));
    Ok(())
}

fn cancel_while_asleep_in_each_cancellation_point() -> TestResult {
    let waiter = thread::spawn(wait_forever_cancellable).map_err(err)?;
    let sleeper = thread::spawn(|| thread::sleep_cancellable(Duration::from_secs(3600))).map_err(err)?;
    let blocked = thread::spawn(|| {
        let w = AtomicU32::new(0);
        let _ = futex::wait(&w, 0, Some(Duration::from_secs(3600)), futex::Scope::Private);
    })
    .map_err(err)?;
    let blocked_thread = blocked.thread();
    let joiner = thread::spawn(move || blocked.wait_cancellable().map(|_| blocked)).map_err(err)?;
    let reader = thread::spawn(|| {
        let mut fds = [0i32; 2];
        // SAFETY: pipe2 writes two descriptors.
        let r = unsafe { strand::arch::syscall2(strand::arch::sys::general::__NR_pipe2 as usize, fds.as_mut_ptr() as usize, 0) };
        assert!(Errno::result(r).is_ok());
        let mut buf = [0u8; 4];
        let got = syscall::read_cancellable(fds[0], &mut buf);
        let _ = syscall::close(fds[0]);
        let _ = syscall::close(fds[1]);
        got
    })
    .map_err(err)?;
    for t in [waiter.thread(), sleeper.thread(), joiner.thread(), reader.thread()] {
        wait_asleep(t.tid())?;
        t.cancel().map_err(err)?;
    }
    check_eq!(waiter.join()?, Err(thread::Cancelled));
    check_eq!(sleeper.join()?, Err(thread::Cancelled));
    check_eq!(reader.join()?, Err(Errno::ECANCELED));
    let blocked = match joiner.join()? {
        Ok(_) => return Err(common::Failure::new(format_args!("the cancelled join returned the handle as finished"))),
        Err(thread::Cancelled) => None::<()>,
    };
    let _ = blocked;
    // The thread it waited for was not affected; it is detached and ends on its own.
    check!(!blocked_thread.has_exited());
    Ok(())
}

fn a_completed_syscall_keeps_its_result() -> TestResult {
    static READY: Gate = Gate::new();
    static ZERO: AtomicU32 = AtomicU32::new(0);
    let h = thread::spawn(|| {
        control_signal_blocked(true);
        READY.open();
        while !control_signal_pending() {
            thread::yield_now();
        }
        // A cancellation point whose syscall unblocks the pending cancel signal itself: the
        // handler runs on the way back, with the PC right after the syscall instruction, and
        // must leave the completed call's result alone. (The stub is given a word that is not
        // set, so that it gets to the syscall at all.)
        let set = SigSet::of(&[Signal::URG]);
        // SAFETY: rt_sigprocmask reads one sigset; the cancel word is a live static.
        let r = unsafe {
            strand::arch::syscall_cp(
                ZERO.as_ptr(),
                strand::arch::sys::general::__NR_rt_sigprocmask as usize,
                SIG_UNBLOCK as usize,
                &set as *const SigSet as usize,
                0,
                core::mem::size_of::<SigSet>(),
                0,
                0,
            )
        };
        (r, control_signal_pending(), thread::check_cancel())
    })
    .map_err(err)?;
    READY.wait();
    h.cancel().map_err(err)?;
    let (r, still_pending, after) = h.join()?;
    check_eq!(r, 0);
    check!(!still_pending);
    check_eq!(after, Err(thread::Cancelled));
    Ok(())
}

fn a_read_with_data_is_not_lost() -> TestResult {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 writes two descriptors.
    let r = unsafe { strand::arch::syscall2(strand::arch::sys::general::__NR_pipe2 as usize, fds.as_mut_ptr() as usize, 0) };
    check!(Errno::result(r).is_ok());
    syscall::write_all(fds[1], b"data").map_err(err)?;
    static READY: Gate = Gate::new();
    let rfd = fds[0];
    let h = thread::spawn(move || {
        control_signal_blocked(true);
        READY.open();
        while !control_signal_pending() {
            thread::yield_now();
        }
        // Cancelled before the read: it does not happen, and the data stays in the pipe.
        let mut buf = [0u8; 8];
        let first = syscall::read_cancellable(rfd, &mut buf);
        // With cancellation disabled the same read goes through and gets all of it.
        let second = {
            let _no = thread::disable_cancel();
            syscall::read_cancellable(rfd, &mut buf).map(|n| (n, buf))
        };
        control_signal_blocked(false);
        (first, second)
    })
    .map_err(err)?;
    READY.wait();
    h.cancel().map_err(err)?;
    let (first, second) = h.join()?;
    let _ = syscall::close(fds[0]);
    let _ = syscall::close(fds[1]);
    check_eq!(first, Err(Errno::ECANCELED));
    let (n, buf) = second.map_err(err)?;
    check_eq!(&buf[..n], b"data");
    Ok(())
}

fn cancel_inside_without_interrupts() -> TestResult {
    let h = thread::spawn(|| thread::without_interrupts(wait_forever_cancellable)).map_err(err)?;
    wait_asleep(h.thread().tid())?;
    h.cancel().map_err(err)?;
    check_eq!(h.join()?, Err(thread::Cancelled));
    Ok(())
}

fn disable_cancel_holds_it_back() -> TestResult {
    static READY: Gate = Gate::new();
    static CANCELLED: Gate = Gate::new();
    let h = thread::spawn(|| {
        let guarded = {
            let _no = thread::disable_cancel();
            READY.open();
            CANCELLED.wait();
            let word = AtomicU32::new(0);
            let w = futex::wait_cancellable(&word, 0, Some(Duration::from_millis(20)), futex::Scope::Private);
            (w, thread::check_cancel())
        };
        (guarded, thread::check_cancel())
    })
    .map_err(err)?;
    READY.wait();
    h.cancel().map_err(err)?;
    CANCELLED.open();
    let ((w, inside), after) = h.join()?;
    check_eq!(w, Ok(futex::WaitResult::TimedOut));
    check_eq!(inside, Ok(()));
    check_eq!(after, Err(thread::Cancelled));
    Ok(())
}

fn terminate_runs_drops_or_gives_the_handle_back() -> TestResult {
    static DROPPED: AtomicU32 = AtomicU32::new(0);
    struct Noisy;
    impl Drop for Noisy {
        fn drop(&mut self) {
            DROPPED.fetch_add(1, SeqCst);
        }
    }
    DROPPED.store(0, SeqCst);
    let h = thread::spawn(|| {
        let _n = Noisy;
        wait_forever_cancellable()
    })
    .map_err(err)?;
    wait_asleep(h.thread().tid())?;
    match h.terminate(Duration::from_secs(20)) {
        Ok(r) => check_eq!(r, Err(thread::Cancelled)),
        Err(e) => return Err(err(e)),
    }
    check_eq!(DROPPED.load(SeqCst), 1);
    // A thread that never reaches a cancellation point is not killed: the handle comes back.
    static STOP: AtomicBool = AtomicBool::new(false);
    let h = thread::spawn(|| {
        while !STOP.load(SeqCst) {
            core::hint::spin_loop();
        }
        thread::check_cancel()
    })
    .map_err(err)?;
    let h = match h.terminate(Duration::from_millis(50)) {
        Err(thread::TerminateError::StillRunning(h)) => h,
        Ok(_) => return Err(common::Failure::new(format_args!("the spinning thread finished"))),
        Err(e) => return Err(err(e)),
    };
    STOP.store(true, SeqCst);
    check_eq!(h.join()?, Err(thread::Cancelled));
    Ok(())
}

fn session_membership_is_inherited() -> TestResult {
    static S: Session = Session::new();
    static GO: Gate = Gate::new();
    check!(core::ptr::eq(Session::current(), Session::main()));
    let main_members = Session::main().members();
    let h = thread::Builder::new()
        .session(&S)
        .spawn(|| {
            let child = thread::spawn(|| {
                GO.wait();
                core::ptr::eq(Session::current(), &S)
            })
            .unwrap();
            (core::ptr::eq(Session::current(), &S), child)
        })
        .map_err(err)?;
    let (parent_in, child) = h.join()?;
    check!(parent_in);
    check_eq!(S.members(), 1);
    check_eq!(Session::main().members(), main_members);
    let mut listed = 0;
    S.for_each_member(|t| {
        if *t == child.thread() {
            listed += 1;
        }
    });
    check_eq!(listed, 1);
    GO.open();
    check!(child.join()?);
    check_eq!(S.members(), 0);
    Ok(())
}

fn foreground_is_handed_on_in_fifo_order() -> TestResult {
    static S: Session = Session::new();
    static SEQ: [AtomicI32; 4] = [const { AtomicI32::new(0) }; 4];
    static N: AtomicUsize = AtomicUsize::new(0);
    static RELEASE: Gate = Gate::new();
    fn waiter(id: i32) -> Result<(), SessionError> {
        let fg = S.acquire_foreground()?;
        SEQ[N.fetch_add(1, SeqCst)].store(id, SeqCst);
        drop(fg);
        Ok(())
    }
    // The first member holds the foreground until told; two more ask, in a known order.
    let holder = thread::Builder::new()
        .session(&S)
        .spawn(|| {
            let fg = S.acquire_foreground()?;
            SEQ[N.fetch_add(1, SeqCst)].store(1, SeqCst);
            RELEASE.wait();
            drop(fg);
            Ok::<(), SessionError>(())
        })
        .map_err(err)?;
    check!(common::eventually(20, || N.load(SeqCst) == 1));
    check_eq!(S.foreground(), Some(holder.thread()));
    let second = thread::Builder::new().session(&S).spawn(|| waiter(2)).map_err(err)?;
    wait_asleep(second.thread().tid())?;
    let third = thread::Builder::new().session(&S).spawn(|| waiter(3)).map_err(err)?;
    wait_asleep(third.thread().tid())?;
    // Not a member: refused.
    check_eq!(S.acquire_foreground().err(), Some(SessionError::NotMember));
    RELEASE.open();
    holder.join()?.map_err(err)?;
    second.join()?.map_err(err)?;
    third.join()?.map_err(err)?;
    check_eq!([SEQ[0].load(SeqCst), SEQ[1].load(SeqCst), SEQ[2].load(SeqCst)], [1, 2, 3]);
    check_eq!(S.foreground(), None);
    Ok(())
}

fn terminate_others_reports_who_did_not_finish() -> TestResult {
    static S: Session = Session::new();
    static STOP: AtomicBool = AtomicBool::new(false);
    let boss = thread::Builder::new()
        .session(&S)
        .spawn(|| {
            let waiters: [_; 3] = core::array::from_fn(|_| thread::spawn(wait_forever_cancellable).unwrap());
            let stubborn = thread::spawn(|| {
                while !STOP.load(SeqCst) {
                    core::hint::spin_loop();
                }
            })
            .unwrap();
            for w in &waiters {
                assert!(wait_asleep(w.thread().tid()).is_ok());
            }
            // A member that is not the foreground may not; the foreground may.
            let fg = S.acquire_foreground().unwrap();
            let refused = thread::spawn(|| S.terminate_others(Duration::from_millis(10)).err()).unwrap().join().unwrap();
            let report = S.terminate_others(Duration::from_millis(200)).unwrap();
            drop(fg);
            let results: [_; 3] = waiters.map(|w| w.join().unwrap());
            let stubborn_thread = stubborn.thread();
            STOP.store(true, SeqCst);
            stubborn.join().unwrap();
            (refused, report.remaining, report.still_running[0], stubborn_thread, results)
        })
        .map_err(err)?;
    let (refused, remaining, named, stubborn, results) = boss.join()?;
    check_eq!(refused, Some(SessionError::NotForeground));
    check_eq!(remaining, 1);
    check_eq!(named, Some(stubborn));
    check!(results.iter().all(|r| *r == Err(thread::Cancelled)));
    check_eq!(S.terminate_others(Duration::ZERO).err(), Some(SessionError::NotMember));
    Ok(())
}

fn sigint_goes_to_the_foreground_member() -> TestResult {
    static S: Session = Session::new();
    static GOT_ON: AtomicI32 = AtomicI32::new(0);
    static HITS: AtomicU32 = AtomicU32::new(0);
    static STEP: AtomicU32 = AtomicU32::new(0);
    fn on_int() {
        GOT_ON.store(thread::current_tid(), SeqCst);
        HITS.fetch_add(1, SeqCst);
    }
    fn kill_int() {
        signal::kill(syscall::getpid(), Signal::INT).unwrap();
    }
    // Bystanders outside the session, running while the routing starts.
    let bystander = thread::spawn(|| {
        while STEP.load(SeqCst) < 3 {
            thread::sleep(Duration::from_millis(1));
        }
    })
    .map_err(err)?;
    let member = |id: u32| {
        move || {
            while STEP.load(SeqCst) != id {
                thread::sleep(Duration::from_millis(1));
            }
            let fg = S.acquire_foreground().unwrap();
            STEP.store(id + 10, SeqCst);
            // Wait here (syscalls deliver signals) until the test has seen where SIGINT went.
            while STEP.load(SeqCst) == id + 10 {
                thread::sleep(Duration::from_millis(1));
            }
            drop(fg);
        }
    };
    let a = thread::Builder::new().session(&S).spawn(member(1)).map_err(err)?;
    let b = thread::Builder::new().session(&S).spawn(member(2)).map_err(err)?;
    S.route_sigint(on_int).map_err(err)?;
    static OTHER: Session = Session::new();
    check_eq!(OTHER.route_sigint(on_int), Err(SessionError::SigintRoutedElsewhere));
    // Nobody is foreground: the SIGINT stays pending, delivered to nobody.
    kill_int();
    for _ in 0..20 {
        thread::sleep(Duration::from_millis(1));
    }
    check_eq!(HITS.load(SeqCst), 0);
    // `a` takes the terminal: the pending SIGINT reaches it, and only it.
    STEP.store(1, SeqCst);
    check!(common::eventually(20, || HITS.load(SeqCst) == 1), "SIGINT never reached the foreground member");
    check_eq!(GOT_ON.load(SeqCst), a.thread().tid());
    kill_int();
    check!(common::eventually(20, || HITS.load(SeqCst) == 2));
    check_eq!(GOT_ON.load(SeqCst), a.thread().tid());
    STEP.store(2, SeqCst);
    check!(common::eventually(20, || STEP.load(SeqCst) == 12));
    kill_int();
    check!(common::eventually(20, || HITS.load(SeqCst) == 3));
    check_eq!(GOT_ON.load(SeqCst), b.thread().tid());
    STEP.store(3, SeqCst);
    a.join()?;
    b.join()?;
    bystander.join()?;
    Ok(())
}

fn condvar_wait_is_a_cancellation_point() -> TestResult {
    use strand::sync::{Condvar, Mutex};
    static M: Mutex<u32> = Mutex::new(0);
    static CV: Condvar = Condvar::new();
    let h = thread::spawn(|| {
        let mut g = M.lock();
        loop {
            g = CV.wait_cancellable(g)?;
            *g += 1;
        }
        #[allow(unreachable_code)]
        Ok::<(), thread::Cancelled>(())
    })
    .map_err(err)?;
    wait_asleep(h.thread().tid())?;
    h.cancel().map_err(err)?;
    check_eq!(h.join()?, Err(thread::Cancelled));
    // It left without the lock.
    check!(M.try_lock().is_some());
    Ok(())
}

fn a_cancel_does_not_swallow_a_notify() -> TestResult {
    use strand::sync::{Condvar, Mutex};
    static M: Mutex<u32> = Mutex::new(0);
    static CV: Condvar = Condvar::new();
    static DONE: AtomicU32 = AtomicU32::new(0);
    static OK: AtomicU32 = AtomicU32::new(0);
    for round in 0..20 {
        DONE.store(0, SeqCst);
        OK.store(0, SeqCst);
        let cancellable = thread::spawn(|| {
            let g = M.lock();
            let r = CV.wait_cancellable(g).map(drop);
            if r.is_ok() {
                OK.fetch_add(1, SeqCst);
            }
            DONE.fetch_add(1, SeqCst);
            r
        })
        .map_err(err)?;
        let plain = thread::spawn(|| {
            let g = M.lock();
            drop(CV.wait(g));
            OK.fetch_add(1, SeqCst);
            DONE.fetch_add(1, SeqCst);
        })
        .map_err(err)?;
        wait_asleep(cancellable.thread().tid())?;
        wait_asleep(plain.thread().tid())?;
        {
            // Under the lock, so the notify moves a waiter onto the mutex; the cancel then
            // finds the cancellable one asleep, on the condvar or on the mutex.
            let _g = M.lock();
            CV.notify_one();
            cancellable.cancel().map_err(err)?;
        }
        // One notify: someone must come out of it with the lock, whichever waiter took it.
        check!(common::eventually(20, || OK.load(SeqCst) >= 1), "round {round}: the notify was lost to the cancel");
        // Let the other one out.
        while DONE.load(SeqCst) < 2 {
            CV.notify_all();
            thread::yield_now();
        }
        let _ = cancellable.join()?;
        plain.join()?;
    }
    Ok(())
}
