//! Signal handlers (the per-ABI sigaction layout and sigreturn path), thread-directed signals,
//! and a futex wait interrupted by a handler.
#![no_std]
#![no_main]

#[macro_use]
mod common;

use common::{Gate, Test, TestResult};
use core::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize, Ordering::SeqCst};
use core::time::Duration;
use strand::futex::{self, WaitResult};
use strand::signal::{self, Action, Context, Flags, Handler, SigInfo, SigSet, Signal};

const SIGUSR1: Signal = Signal::USR1;
const SIGUSR2: Signal = Signal::USR2;
use strand::thread;
use strand::Errno;

strand::main!(main);

const TESTS: &[Test] = &[
    ("handler_runs_on_the_signalled_thread_and_returns", handler_runs_on_the_signalled_thread_and_returns),
    ("handler_on_main_thread", handler_on_main_thread),
    ("futex_wait_interrupted", futex_wait_interrupted),
    ("set_handler_returns_previous", set_handler_returns_previous),
    ("signal_to_finished_thread_is_esrch", signal_to_finished_thread_is_esrch),
    ("current_in_a_handler_inside_the_control_block_lock", current_in_a_handler_inside_the_control_block_lock),
    ("current_in_a_handler_while_renaming", current_in_a_handler_while_renaming),
    ("foreign_handler_comes_back_opaque", foreign_handler_comes_back_opaque),
    ("set_handler_leaves_the_signal_mask_alone", set_handler_leaves_the_signal_mask_alone),
    ("siginfo_of_tgkill_names_the_sender", siginfo_of_tgkill_names_the_sender),
    ("siginfo_of_kill_and_sigqueue_through_wait", siginfo_of_kill_and_sigqueue_through_wait),
    ("queue_to_thread_delivers_the_value_to_the_handler", queue_to_thread_delivers_the_value_to_the_handler),
    ("every_realtime_signal_in_range_queues_and_arrives", every_realtime_signal_in_range_queues_and_arrives),
    ("wait_timeout_polls_and_times_out", wait_timeout_polls_and_times_out),
    ("suspend_unblocks_until_a_handler_ran", suspend_unblocks_until_a_handler_ran),
    ("catch_signal_modes", catch_signal_modes),
    ("get_action_reports_flags_and_mask", get_action_reports_flags_and_mask),
    ("thread_is_born_with_its_builder_mask", thread_is_born_with_its_builder_mask),
    ("builder_mask_has_no_window_at_start", builder_mask_has_no_window_at_start),
    ("builder_unblock_and_exact_masks", builder_unblock_and_exact_masks),
    ("handler_writes_with_signal_write", handler_writes_with_signal_write),
];

fn main() -> i32 {
    common::run("signals", TESTS)
}

fn err(e: impl core::fmt::Display) -> common::Failure {
    common::Failure::new(format_args!("{e}"))
}

static HANDLED_ON: AtomicI32 = AtomicI32::new(0);
static HANDLED_COUNT: AtomicU32 = AtomicU32::new(0);

fn record(info: &SigInfo, _: &mut Context) {
    if info.signal() == SIGUSR1 {
        HANDLED_ON.store(thread::current_tid(), SeqCst);
        HANDLED_COUNT.fetch_add(1, SeqCst);
        futex::wake_private(&HANDLED_COUNT, u32::MAX);
    }
}

fn handler_runs_on_the_signalled_thread_and_returns() -> TestResult {
    static GATE: Gate = Gate::new();
    HANDLED_ON.store(0, SeqCst);
    HANDLED_COUNT.store(0, SeqCst);
    signal::set_handler(SIGUSR1, Handler::Function(record)).map_err(err)?;
    let h = thread::spawn(|| {
        GATE.wait();
        // Returning here at all proves the handler returned through sigreturn.
        (thread::current_tid(), HANDLED_ON.load(SeqCst))
    })
    .map_err(err)?;
    h.signal(SIGUSR1).map_err(err)?;
    check!(common::eventually(10, || HANDLED_COUNT.load(SeqCst) == 1), "handler never ran");
    GATE.open();
    let (tid, handled_on) = h.join()?;
    check_eq!(handled_on, tid);
    signal::set_handler(SIGUSR1, Handler::Default).map_err(err)?;
    Ok(())
}

fn handler_on_main_thread() -> TestResult {
    HANDLED_ON.store(0, SeqCst);
    signal::set_handler(SIGUSR1, Handler::Function(record)).map_err(err)?;
    // A signal sent to the calling thread is delivered before tgkill returns.
    signal::send_to_thread(thread::current_tid(), SIGUSR1).map_err(err)?;
    check_eq!(HANDLED_ON.load(SeqCst), thread::current_tid());
    signal::set_handler(SIGUSR1, Handler::Default).map_err(err)?;
    Ok(())
}

fn futex_wait_interrupted() -> TestResult {
    static WORD: AtomicU32 = AtomicU32::new(0);
    signal::set_action(SIGUSR1, &Action { handler: Handler::Function(record), flags: Flags::NONE, mask: SigSet::EMPTY }).map_err(err)?;
    let h = thread::spawn(|| loop {
        // Without SA_RESTART, a handler ending the wait makes it fail with EINTR. A signal that
        // lands before the thread sleeps is simply sent again by the main thread.
        match futex::wait_private(&WORD, 0, Some(Duration::from_secs(20))) {
            WaitResult::Interrupted => return Ok(()),
            WaitResult::TimedOut => return Err("never interrupted"),
            WaitResult::Woken | WaitResult::ValueChanged => {}
        }
    })
    .map_err(err)?;
    let mut sent = 0;
    while !h.is_finished() && sent < 2000 {
        h.signal(SIGUSR1).or_else(|e| if e == Errno::ESRCH { Ok(()) } else { Err(err(e)) })?;
        sent += 1;
        thread::sleep(Duration::from_millis(5));
    }
    let r = h.join()?;
    signal::set_handler(SIGUSR1, Handler::Default).map_err(err)?;
    check_eq!(r, Ok(()));
    Ok(())
}

fn set_handler_returns_previous() -> TestResult {
    let first = signal::set_handler(SIGUSR2, Handler::Ignore).map_err(err)?;
    check!(matches!(first, Handler::Default), "initial handler {first:?}");
    let second = signal::set_handler(SIGUSR2, Handler::Function(record)).map_err(err)?;
    check!(matches!(second, Handler::Ignore), "previous handler {second:?}");
    let third = signal::set_handler(SIGUSR2, Handler::Default).map_err(err)?;
    check!(matches!(third, Handler::Function(f) if f as usize == record as signal::HandlerFn as usize), "previous handler {third:?}");
    // An ignored signal does nothing.
    signal::set_handler(SIGUSR2, Handler::Ignore).map_err(err)?;
    signal::send_to_thread(thread::current_tid(), SIGUSR2).map_err(err)?;
    signal::set_handler(SIGUSR2, Handler::Default).map_err(err)?;
    // No handler for SIGKILL.
    check_eq!(signal::set_handler(Signal::KILL, Handler::Ignore).map(drop), Err(Errno::EINVAL));
    Ok(())
}

fn signal_to_finished_thread_is_esrch() -> TestResult {
    let h = thread::spawn(|| ()).map_err(err)?;
    check!(common::eventually(10, || h.is_finished()));
    check_eq!(h.signal(SIGUSR1), Err(Errno::ESRCH));
    h.join()?;
    Ok(())
}

/// `thread::current()` is async-signal-safe: a handler may call it even when it interrupts its
/// thread inside the control block's lock. Forced: a thread signals itself through its own
/// `JoinHandle::signal`, which holds that lock across `tgkill`, and a signal a thread sends
/// itself is handled before `tgkill` returns. (Before the fix `current()` took that lock: the
/// thread deadlocked in its handler.)
fn current_in_a_handler_inside_the_control_block_lock() -> TestResult {
    use core::sync::atomic::AtomicPtr;
    static HANDLE: AtomicPtr<thread::JoinHandle<(Result<(), Errno>, i32)>> = AtomicPtr::new(core::ptr::null_mut());
    static SEEN_TID: AtomicI32 = AtomicI32::new(0);
    static SEEN_NAME_OK: AtomicU32 = AtomicU32::new(0);
    static GATE: Gate = Gate::new();

    fn who_am_i(_: &SigInfo, _: &mut Context) {
        let me = thread::current();
        SEEN_TID.store(me.tid(), SeqCst);
        SEEN_NAME_OK.store((me.name() == Some("self-signaller")) as u32, SeqCst);
    }

    signal::set_handler(SIGUSR1, Handler::Function(who_am_i)).map_err(err)?;
    let h = thread::Builder::new()
        .name("self-signaller")
        .spawn(|| {
            GATE.wait();
            // SAFETY: the main thread keeps the handle alive and in place until we have finished.
            let me = unsafe { &*HANDLE.load(SeqCst) };
            (me.signal(SIGUSR1), strand::syscall::gettid())
        })
        .map_err(err)?;
    HANDLE.store(&h as *const _ as *mut _, SeqCst);
    GATE.open();
    if !common::eventually(10, || h.is_finished()) {
        // It is stuck for good and still refers to the handle: leave both be.
        core::mem::forget(h);
        return Err(common::Failure::new(format_args!("the thread deadlocked in its handler (current() inside the lock)")));
    }
    let (sent, tid) = h.join()?;
    HANDLE.store(core::ptr::null_mut(), SeqCst);
    signal::set_handler(SIGUSR1, Handler::Default).map_err(err)?;
    check_eq!(sent, Ok(()));
    check_eq!(SEEN_TID.load(SeqCst), tid);
    check_eq!(SEEN_NAME_OK.load(SeqCst), 1);
    Ok(())
}

/// A thread renames itself over and over while another thread signals it and a third reads its
/// name through its handle: every handler's `current()` returns (no deadlock when it interrupts
/// `set_name` inside the lock) and every name read, in the handler or through the handle, is one
/// of the names given, whole. (Before the fix the renaming thread deadlocked within a few
/// signals.)
fn current_in_a_handler_while_renaming() -> TestResult {
    use core::sync::atomic::AtomicPtr;
    type Renamer = thread::JoinHandle<Result<u64, u64>>;
    const SIGNALS: u32 = 3000;
    const NAMES: [&str; 3] = ["renamer", "a-fifteen-byte!", "b"];
    static RENAMER: AtomicPtr<Renamer> = AtomicPtr::new(core::ptr::null_mut());
    static STOP: AtomicU32 = AtomicU32::new(0);
    static HANDLED: AtomicU32 = AtomicU32::new(0);
    static BAD: AtomicU32 = AtomicU32::new(0);

    fn is_given(name: Option<&str>) -> bool {
        name.is_some_and(|n| NAMES.contains(&n))
    }

    fn check_identity(_: &SigInfo, _: &mut Context) {
        let me = thread::current();
        if !is_given(me.name()) || me.tid() != strand::syscall::gettid() {
            BAD.fetch_add(1, SeqCst);
        }
        HANDLED.fetch_add(1, SeqCst);
    }

    STOP.store(0, SeqCst);
    HANDLED.store(0, SeqCst);
    BAD.store(0, SeqCst);
    signal::set_handler(SIGUSR1, Handler::Function(check_identity)).map_err(err)?;
    let renamer: Renamer = thread::Builder::new()
        .name("renamer")
        .spawn(|| {
            let mut renames = 0u64;
            while STOP.load(SeqCst) == 0 {
                if thread::set_name(NAMES[1 + (renames % 2) as usize]).is_err() {
                    return Err(renames);
                }
                renames += 1;
            }
            Ok(renames)
        })
        .map_err(err)?;
    RENAMER.store(&renamer as *const Renamer as *mut Renamer, SeqCst);
    let target = renamer.thread().tid();
    let signaller = thread::spawn(move || {
        let mut sent = 0;
        while sent < SIGNALS && signal::send_to_thread(target, SIGUSR1).is_ok() {
            sent += 1;
            thread::yield_now();
        }
        STOP.store(1, SeqCst);
        sent
    })
    .map_err(err)?;
    let reader = thread::spawn(|| {
        // SAFETY: the main thread keeps the handle alive and in place until we have finished.
        let renamer = unsafe { &*RENAMER.load(SeqCst) };
        let (mut reads, mut torn) = (0u32, 0u32);
        while STOP.load(SeqCst) == 0 {
            if !is_given(renamer.thread().name()) {
                torn += 1;
            }
            reads += 1;
        }
        (reads, torn)
    })
    .map_err(err)?;
    let done = common::eventually(30, || renamer.is_finished() && signaller.is_finished() && reader.is_finished());
    if !done {
        STOP.store(1, SeqCst);
        // Stuck for good, and the reader refers to the handle: leave them be.
        core::mem::forget((renamer, signaller, reader));
        return Err(common::Failure::new(format_args!(
            "the renaming thread is stuck after {} handlers: current() deadlocked in a handler",
            HANDLED.load(SeqCst)
        )));
    }
    let sent = signaller.join()?;
    let (reads, torn) = reader.join()?;
    let renames = renamer.join()?;
    RENAMER.store(core::ptr::null_mut(), SeqCst);
    signal::set_handler(SIGUSR1, Handler::Default).map_err(err)?;
    check_eq!(sent, SIGNALS);
    check!(renames.is_ok(), "set_name failed after {renames:?} renames");
    check_eq!(BAD.load(SeqCst), 0);
    check!(torn == 0, "{torn} of {reads} names read through the handle were not a name given");
    check!(HANDLED.load(SeqCst) > 0, "no handler ran");
    Ok(())
}

/// A handler strand did not install (here a three-argument SA_SIGINFO handler with SA_NODEFER
/// and a mask, installed through the arch layer's `rt_sigaction` as other code would) comes
/// back from `set_handler` as `Handler::Foreign`, not as a `fn(i32)` strand could call wrongly;
/// put back, it runs with the arguments it expects and keeps its flags and mask; and it is
/// still foreign afterwards.
fn foreign_handler_comes_back_opaque() -> TestResult {
    use strand::arch::sys::general::{SA_NODEFER, SA_SIGINFO};
    use strand::arch::{self, Sigaction};
    static SIG: AtomicI32 = AtomicI32::new(0);
    static SI_SIGNO: AtomicI32 = AtomicI32::new(0);

    extern "C" fn three_args(sig: i32, info: *const i32, _context: *const u8) {
        SIG.store(sig, SeqCst);
        // si_signo is the first int of siginfo_t (include/uapi/asm-generic/siginfo.h).
        // SAFETY: with SA_SIGINFO the kernel passes a live siginfo_t.
        SI_SIGNO.store(unsafe { *info }, SeqCst);
    }
    let foreign = three_args as extern "C" fn(i32, *const i32, *const u8) as usize;
    // Installed the way other code would, with flags strand never sets itself (SA_NODEFER) and
    // a mask, so that putting it back must keep them.
    let mut mask = SigSet::EMPTY;
    mask.insert(SIGUSR1);
    let flags = (SA_SIGINFO | SA_NODEFER) as usize;
    let act = Sigaction { handler: foreign, flags, mask };
    // SAFETY: a handler that lives forever; the arch layer passes this ABI's layout.
    let r = unsafe { arch::rt_sigaction(SIGUSR2.number(), Some(&act), None) };
    Errno::result(r).map_err(err)?;
    let previous = signal::set_handler(SIGUSR2, Handler::Default).map_err(err)?;
    let Handler::Foreign(handler) = previous else {
        return Err(common::Failure::new(format_args!("a foreign handler came back as {previous:?}")));
    };
    check_eq!(handler.addr(), foreign);
    // Put back, it runs as the handler it is.
    let was = signal::set_handler(SIGUSR2, Handler::Foreign(handler)).map_err(err)?;
    check!(matches!(was, Handler::Default), "previous handler {was:?}");
    signal::send_to_thread(thread::current_tid(), SIGUSR2).map_err(err)?;
    check_eq!(SIG.load(SeqCst), SIGUSR2.number() as i32);
    check_eq!(SI_SIGNO.load(SeqCst), SIGUSR2.number() as i32);
    // Put back whole: the kernel reports the same flags and mask it was first installed with.
    let mut now = Sigaction::DEFAULT;
    // SAFETY: only reads the current disposition.
    Errno::result(unsafe { arch::rt_sigaction(SIGUSR2.number(), None, Some(&mut now)) }).map_err(err)?;
    check_eq!(now.handler, foreign);
    check!(now.flags & flags == flags, "flags {:#x} lost some of {flags:#x}", now.flags);
    check!(now.mask.contains(SIGUSR1), "the mask was not kept");
    // Still foreign: strand reinstalled it but never took it for one of its own.
    let again = signal::set_handler(SIGUSR2, Handler::Default).map_err(err)?;
    check!(matches!(again, Handler::Foreign(h) if h == handler), "reinstalled foreign handler came back as {again:?}");
    Ok(())
}

/// `set_handler` blocks every signal while it works and puts the caller's mask back exactly.
/// (Under qemu-riscv64 the old action, written one word longer than the kernel's, landed on
/// the saved mask, and the caller came back with a mask of stray bits.)
fn set_handler_leaves_the_signal_mask_alone() -> TestResult {
    use strand::arch::sys::general::{SIG_BLOCK, SIG_SETMASK};
    use strand::syscall;
    const SIGCHLD: Signal = Signal::CHLD;
    let mask = || {
        let mut cur = SigSet::EMPTY;
        syscall::sigprocmask(SIG_BLOCK, None, Some(&mut cur)).map(|()| cur).map_err(err)
    };
    let before = mask()?;
    // One signal blocked on purpose, so that "put back" is not just "cleared".
    let mut one = SigSet::EMPTY;
    one.insert(SIGCHLD);
    syscall::sigprocmask(SIG_BLOCK, Some(&one), None).map_err(err)?;
    let mut expected = before;
    expected.insert(SIGCHLD);
    for handler in [Handler::Function(record), Handler::Ignore, Handler::Default] {
        signal::set_handler(SIGUSR2, handler).map_err(err)?;
        check_eq!(mask()?, expected);
    }
    syscall::sigprocmask(SIG_SETMASK, Some(&before), None).map_err(err)?;
    Ok(())
}

/// What `note` saw in its last run.
static INFO_SIGNO: AtomicU32 = AtomicU32::new(0);
static INFO_CODE: AtomicI32 = AtomicI32::new(1000);
static INFO_PID: AtomicI32 = AtomicI32::new(0);
static INFO_UID: AtomicU32 = AtomicU32::new(u32::MAX);
static INFO_VALUE: AtomicUsize = AtomicUsize::new(0);
static INFO_ON: AtomicI32 = AtomicI32::new(0);
static NOTED: AtomicU32 = AtomicU32::new(0);

fn note(info: &SigInfo, _: &mut Context) {
    INFO_SIGNO.store(info.signal().number(), SeqCst);
    INFO_CODE.store(info.code().0, SeqCst);
    let (pid, uid) = info.sender().unwrap_or((-1, u32::MAX));
    INFO_PID.store(pid, SeqCst);
    INFO_UID.store(uid, SeqCst);
    INFO_VALUE.store(info.value().unwrap_or(usize::MAX), SeqCst);
    INFO_ON.store(thread::current_tid(), SeqCst);
    NOTED.fetch_add(1, SeqCst);
}

fn reset_note() {
    INFO_SIGNO.store(0, SeqCst);
    INFO_CODE.store(1000, SeqCst);
    INFO_PID.store(0, SeqCst);
    INFO_UID.store(u32::MAX, SeqCst);
    INFO_VALUE.store(0, SeqCst);
    INFO_ON.store(0, SeqCst);
    NOTED.store(0, SeqCst);
}

/// The real uid, read independently of strand from /proc/self/status ("Uid:\treal\t...").
fn real_uid() -> Result<u32, common::Failure> {
    let mut buf = [0u8; 4096];
    let text = strand::syscall::read_file(c"/proc/self/status", &mut buf).map_err(err)?;
    let text = core::str::from_utf8(text).map_err(|_| common::Failure::new(format_args!("status is not UTF-8")))?;
    let line = text.lines().find(|l| l.starts_with("Uid:")).ok_or(common::Failure::new(format_args!("no Uid: line")))?;
    line.split_whitespace().nth(1).and_then(|u| u.parse().ok()).ok_or(common::Failure::new(format_args!("bad Uid: line {line}")))
}

fn siginfo_of_tgkill_names_the_sender() -> TestResult {
    reset_note();
    signal::set_handler(SIGUSR1, Handler::Function(note)).map_err(err)?;
    // A signal a thread sends itself is handled before the syscall returns.
    signal::raise(SIGUSR1).map_err(err)?;
    signal::set_handler(SIGUSR1, Handler::Default).map_err(err)?;
    check_eq!(NOTED.load(SeqCst), 1);
    check_eq!(INFO_SIGNO.load(SeqCst), SIGUSR1.number());
    check_eq!(INFO_CODE.load(SeqCst), signal::Code::TKILL.0);
    check_eq!(INFO_PID.load(SeqCst), strand::syscall::getpid());
    check_eq!(INFO_UID.load(SeqCst), real_uid()?);
    check_eq!(INFO_VALUE.load(SeqCst), usize::MAX);
    check_eq!(INFO_ON.load(SeqCst), thread::current_tid());
    Ok(())
}

/// Blocked, sent, and taken with `wait`: no handler runs, and the siginfo says who sent it how.
fn siginfo_of_kill_and_sigqueue_through_wait() -> TestResult {
    let set = SigSet::of(&[SIGUSR2, signal::rt_min()]);
    let old = signal::block(&set).map_err(err)?;
    let pid = strand::syscall::getpid();
    let r = (|| -> TestResult {
        signal::kill(pid, SIGUSR2).map_err(err)?;
        check!(signal::pending().map_err(err)?.contains(SIGUSR2), "kill did not leave SIGUSR2 pending");
        let info = signal::wait(&set).map_err(err)?;
        check_eq!(info.signal(), SIGUSR2);
        check_eq!(info.code(), signal::Code::USER);
        check_eq!(info.sender(), Some((pid, real_uid()?)));
        check_eq!(info.value(), None);
        signal::queue(pid, signal::rt_min(), 0x5eed_f00d).map_err(err)?;
        let info = signal::wait(&set).map_err(err)?;
        check_eq!(info.signal(), signal::rt_min());
        check_eq!(info.code(), signal::Code::QUEUE);
        check_eq!(info.sender(), Some((pid, real_uid()?)));
        check_eq!(info.value(), Some(0x5eed_f00d));
        check!(!signal::pending().map_err(err)?.contains(SIGUSR2), "still pending after wait");
        Ok(())
    })();
    signal::set_mask(&old).map_err(err)?;
    r
}

fn queue_to_thread_delivers_the_value_to_the_handler() -> TestResult {
    static GATE: Gate = Gate::new();
    reset_note();
    let sig = signal::rt_max();
    signal::set_handler(sig, Handler::Function(note)).map_err(err)?;
    let h = thread::spawn(|| {
        GATE.wait();
        thread::current_tid()
    })
    .map_err(err)?;
    signal::queue_to_thread(h.thread().tid(), sig, 4242).map_err(err)?;
    check!(common::eventually(10, || NOTED.load(SeqCst) == 1), "the handler never ran");
    GATE.open();
    let tid = h.join()?;
    signal::set_handler(sig, Handler::Default).map_err(err)?;
    check_eq!(INFO_ON.load(SeqCst), tid);
    check_eq!(INFO_SIGNO.load(SeqCst), sig.number());
    check_eq!(INFO_CODE.load(SeqCst), signal::Code::QUEUE.0);
    check_eq!(INFO_PID.load(SeqCst), strand::syscall::getpid());
    check_eq!(INFO_VALUE.load(SeqCst), 4242);
    Ok(())
}

/// Every real-time signal strand promises works here (natively and under QEMU): each queued
/// three times, all pending at once, taken lowest number first, one delivery per send.
fn every_realtime_signal_in_range_queues_and_arrives() -> TestResult {
    let (lo, hi) = (signal::rt_min().number(), signal::rt_max().number());
    check_eq!((lo, hi), (35, 60));
    let mut set = SigSet::EMPTY;
    for n in lo..=hi {
        set.insert(Signal::new(n).map_err(err)?);
    }
    let old = signal::block(&set).map_err(err)?;
    let pid = strand::syscall::getpid();
    let r = (|| -> TestResult {
        for round in 0..3usize {
            for n in lo..=hi {
                signal::queue(pid, Signal::new(n).map_err(err)?, round * 100 + n as usize).map_err(err)?;
            }
        }
        check_eq!(signal::pending().map_err(err)?.intersection(&set), set);
        for n in lo..=hi {
            for round in 0..3usize {
                let info = signal::wait_timeout(&set, Duration::ZERO).map_err(err)?;
                let Some(info) = info else {
                    return Err(common::Failure::new(format_args!("signal {n}, send {round}: not pending")));
                };
                check_eq!(info.signal().number(), n);
                // Same-signal instances arrive in the order they were sent.
                check_eq!(info.value(), Some(round * 100 + n as usize));
            }
        }
        check!(signal::wait_timeout(&set, Duration::ZERO).map_err(err)?.is_none(), "more deliveries than sends");
        Ok(())
    })();
    signal::set_mask(&old).map_err(err)?;
    r
}

fn wait_timeout_polls_and_times_out() -> TestResult {
    let set = SigSet::of(&[SIGUSR2]);
    let old = signal::block(&set).map_err(err)?;
    let r = (|| -> TestResult {
        check!(signal::wait_timeout(&set, Duration::ZERO).map_err(err)?.is_none(), "a poll found a signal");
        let start = strand::time::Instant::now();
        check!(signal::wait_timeout(&set, Duration::from_millis(50)).map_err(err)?.is_none(), "a wait found a signal");
        check!(start.elapsed() >= Duration::from_millis(50), "returned after {:?}", start.elapsed());
        signal::raise(SIGUSR2).map_err(err)?;
        let info = signal::wait_timeout(&set, Duration::from_secs(5)).map_err(err)?;
        check_eq!(info.map(|i| (i.signal(), i.code())), Some((SIGUSR2, signal::Code::TKILL)));
        Ok(())
    })();
    signal::set_mask(&old).map_err(err)?;
    r
}

/// A signal made pending while blocked runs its handler inside `suspend`, which then returns
/// with the old mask back (the signal blocked again).
fn suspend_unblocks_until_a_handler_ran() -> TestResult {
    reset_note();
    signal::set_handler(SIGUSR1, Handler::Function(note)).map_err(err)?;
    let set = SigSet::of(&[SIGUSR1]);
    let old = signal::block(&set).map_err(err)?;
    signal::raise(SIGUSR1).map_err(err)?;
    let ran_early = NOTED.load(SeqCst);
    signal::suspend(&old.difference(&set));
    let ran = NOTED.load(SeqCst);
    let still_blocked = signal::mask().map_err(err)?.contains(SIGUSR1);
    signal::set_mask(&old).map_err(err)?;
    signal::set_handler(SIGUSR1, Handler::Default).map_err(err)?;
    check_eq!(ran_early, 0);
    check_eq!(ran, 1);
    check!(still_blocked, "suspend did not restore the mask");
    Ok(())
}

fn catch_signal_modes() -> TestResult {
    use signal::Mode;
    // SIGWINCH: ignored by default, so Default and Ignore both leave the process alive.
    let sig = Signal::WINCH;
    reset_note();
    check_eq!(signal::catch_signal(Signal::PWR, Mode::Catch), Err(Errno::EINVAL));
    signal::set_handler(sig, Handler::Function(note)).map_err(err)?;
    signal::catch_signal(sig, Mode::Ignore).map_err(err)?;
    check!(matches!(signal::get_handler(sig).map_err(err)?, Handler::Ignore));
    signal::raise(sig).map_err(err)?;
    check_eq!(NOTED.load(SeqCst), 0);
    // Catch: the handler set before Ignore comes back.
    signal::catch_signal(sig, Mode::Catch).map_err(err)?;
    check!(matches!(signal::get_handler(sig).map_err(err)?, Handler::Function(f) if f as usize == note as signal::HandlerFn as usize));
    signal::raise(sig).map_err(err)?;
    check_eq!(NOTED.load(SeqCst), 1);
    // Mask: pending, not run; Unmask: run on the way out of the call.
    signal::catch_signal(sig, Mode::Mask).map_err(err)?;
    signal::raise(sig).map_err(err)?;
    check_eq!(NOTED.load(SeqCst), 1);
    check!(signal::pending().map_err(err)?.contains(sig), "masked signal not pending");
    signal::catch_signal(sig, Mode::Unmask).map_err(err)?;
    check_eq!(NOTED.load(SeqCst), 2);
    check!(!signal::mask().map_err(err)?.contains(sig), "still masked");
    signal::catch_signal(sig, Mode::Default).map_err(err)?;
    check!(matches!(signal::get_handler(sig).map_err(err)?, Handler::Default));
    signal::raise(sig).map_err(err)?;
    check_eq!(NOTED.load(SeqCst), 2);
    // Refused: no handler for SIGKILL; masking a synchronous signal would turn the next fault
    // into a silent kill.
    check_eq!(signal::catch_signal(Signal::KILL, Mode::Ignore), Err(Errno::EINVAL));
    check_eq!(signal::catch_signal(Signal::SEGV, Mode::Mask), Err(Errno::EINVAL));
    check!(!signal::mask().map_err(err)?.contains(Signal::SEGV), "SEGV masked anyway");
    Ok(())
}

fn get_action_reports_flags_and_mask() -> TestResult {
    let flags = Flags::ONSTACK | Flags::NODEFER;
    let mask = SigSet::of(&[SIGUSR1, Signal::TERM]);
    let old = signal::set_action(SIGUSR2, &Action { handler: Handler::Function(note), flags, mask }).map_err(err)?;
    let now = signal::get_action(SIGUSR2).map_err(err)?;
    signal::set_action(SIGUSR2, &old).map_err(err)?;
    check!(matches!(now.handler, Handler::Function(f) if f as usize == note as signal::HandlerFn as usize), "{:?}", now.handler);
    check_eq!(now.flags, flags);
    check_eq!(now.mask, mask);
    check!(matches!(signal::get_handler(SIGUSR2).map_err(err)?, Handler::Default));
    Ok(())
}

/// A thread spawned with `block_signals` never runs a handler for them, even for a signal sent
/// the moment `spawn` returns (before the thread can have run a line of its own): the signal
/// stays pending in it. The spawner's own mask is untouched.
fn thread_is_born_with_its_builder_mask() -> TestResult {
    static GATE: Gate = Gate::new();
    reset_note();
    signal::set_handler(SIGUSR1, Handler::Function(note)).map_err(err)?;
    let before = signal::mask().map_err(err)?;
    let h = thread::Builder::new()
        .block_signals(&SigSet::of(&[SIGUSR1]))
        .spawn(|| {
            GATE.wait();
            let pending = signal::pending().map(|p| p.contains(SIGUSR1));
            let mask = signal::mask();
            (pending, mask)
        })
        .map_err(err)?;
    h.signal(SIGUSR1).map_err(err)?;
    check_eq!(signal::mask().map_err(err)?, before);
    GATE.open();
    let (pending, mask) = h.join()?;
    signal::set_handler(SIGUSR1, Handler::Default).map_err(err)?;
    check_eq!(NOTED.load(SeqCst), 0);
    check_eq!(pending, Ok(true));
    // Exactly the spawner's mask plus SIGUSR1 (not everything it was cloned with).
    check_eq!(mask, Ok(before.union(&SigSet::of(&[SIGUSR1]))));
    // A mask that blocks a synchronous signal is refused, and leaves nothing behind.
    let r = thread::Builder::new().block_signals(&SigSet::of(&[Signal::SEGV])).spawn(|| ());
    check!(
        matches!(r, Err(thread::SpawnError::InvalidConfig(thread::ConfigError::MasksReservedSignal))),
        "spawn with SIGSEGV blocked: {:?}",
        r.as_ref().err()
    );
    check_eq!(signal::mask().map_err(err)?, before);
    Ok(())
}

/// The window a mask set only by the thread itself would leave (from its return out of `clone`
/// to its first `rt_sigprocmask`) is hunted for: a signaller sends SIGUSR1 to every masked
/// child the registry shows, as soon as it shows it, over hundreds of spawns. No handler may
/// ever run in one of them. (With the spawner's FULL block before `clone` removed, this caught
/// handlers running in children.)
fn builder_mask_has_no_window_at_start() -> TestResult {
    use core::sync::atomic::AtomicBool;
    const SPAWNS: u32 = 300;
    static IN_CHILD: AtomicU32 = AtomicU32::new(0);
    static SENT: AtomicU32 = AtomicU32::new(0);
    static STOP: AtomicBool = AtomicBool::new(false);
    fn count_in_child(_: &SigInfo, _: &mut Context) {
        if thread::current().name() == Some("born-masked") {
            IN_CHILD.fetch_add(1, SeqCst);
        }
    }
    IN_CHILD.store(0, SeqCst);
    SENT.store(0, SeqCst);
    STOP.store(false, SeqCst);
    signal::set_handler(SIGUSR1, Handler::Function(count_in_child)).map_err(err)?;
    let signaller = thread::spawn(|| {
        while !STOP.load(SeqCst) {
            thread::for_each_thread(|t| {
                if !t.exited && t.thread.name() == Some("born-masked") && t.thread.tid() != 0 {
                    if signal::send_to_thread(t.thread.tid(), SIGUSR1).is_ok() {
                        SENT.fetch_add(1, SeqCst);
                    }
                }
            });
        }
    })
    .map_err(err)?;
    let masked = SigSet::of(&[SIGUSR1]);
    let mut result = Ok(());
    for _ in 0..SPAWNS {
        match thread::Builder::new().name("born-masked").block_signals(&masked).spawn(|| signal::pending().map(|p| p.contains(SIGUSR1))) {
            Ok(h) => {
                let _ = h.join();
            }
            Err(e) => {
                result = Err(err(e));
                break;
            }
        }
    }
    STOP.store(true, SeqCst);
    signaller.join()?;
    signal::set_handler(SIGUSR1, Handler::Default).map_err(err)?;
    result?;
    check_eq!(IN_CHILD.load(SeqCst), 0);
    check!(SENT.load(SeqCst) > 0, "the signaller never reached a child: the test tested nothing");
    Ok(())
}

fn builder_unblock_and_exact_masks() -> TestResult {
    let usr2 = SigSet::of(&[SIGUSR2]);
    let old = signal::block(&usr2).map_err(err)?;
    let r = (|| -> TestResult {
        let h = thread::Builder::new().unblock_signals(&usr2).spawn(|| signal::mask().map(|m| m.contains(SIGUSR2))).map_err(err)?;
        check_eq!(h.join()?, Ok(false));
        let inherited = thread::spawn(|| signal::mask().map(|m| m.contains(SIGUSR2))).map_err(err)?;
        check_eq!(inherited.join()?, Ok(true));
        let exact = SigSet::of(&[Signal::TERM, Signal::HUP]);
        let h = thread::Builder::new().signal_mask(&exact).spawn(signal::mask).map_err(err)?;
        check_eq!(h.join()?, Ok(exact));
        Ok(())
    })();
    signal::set_mask(&old).map_err(err)?;
    r
}

static PIPE_WR: AtomicI32 = AtomicI32::new(-1);

fn write_from_handler(_: &SigInfo, _: &mut Context) {
    let ok = signal::write(PIPE_WR.load(SeqCst), b"from a handler").is_ok();
    NOTED.fetch_add(ok as u32, SeqCst);
}

fn handler_writes_with_signal_write() -> TestResult {
    use strand::arch::sys::general::__NR_pipe2;
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 writes two ints into a live array.
    let r = unsafe { strand::arch::syscall2(__NR_pipe2 as usize, fds.as_mut_ptr() as usize, 0) };
    Errno::result(r).map_err(err)?;
    PIPE_WR.store(fds[1], SeqCst);
    reset_note();
    signal::set_handler(SIGUSR1, Handler::Function(write_from_handler)).map_err(err)?;
    signal::raise(SIGUSR1).map_err(err)?;
    signal::set_handler(SIGUSR1, Handler::Default).map_err(err)?;
    let mut buf = [0u8; 32];
    let n = strand::syscall::read(fds[0], &mut buf).map_err(err)?;
    let _ = strand::syscall::close(fds[0]);
    let _ = strand::syscall::close(fds[1]);
    check_eq!(NOTED.load(SeqCst), 1);
    check_eq!(&buf[..n], b"from a handler");
    Ok(())
}
