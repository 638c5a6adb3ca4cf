//! Signal handlers (the per-ABI sigaction layout and sigreturn path), thread-directed signals,
//! and a futex wait interrupted by a handler.
#![no_std]
#![no_main]

#[macro_use]
mod common;

use common::{Gate, Test, TestResult};
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering::SeqCst};
use core::time::Duration;
use strand::arch::sys::general::{SIGUSR1, SIGUSR2};
use strand::futex::{self, WaitResult};
use strand::signal::{self, Handler, Restart};
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
];

fn main() -> i32 {
    common::run("signals", TESTS)
}

fn err(e: impl core::fmt::Display) -> common::Failure {
    common::Failure::new(format_args!("{e}"))
}

static HANDLED_ON: AtomicI32 = AtomicI32::new(0);
static HANDLED_COUNT: AtomicU32 = AtomicU32::new(0);

extern "C" fn record(sig: i32) {
    if sig == SIGUSR1 as i32 {
        HANDLED_ON.store(thread::current_tid(), SeqCst);
        HANDLED_COUNT.fetch_add(1, SeqCst);
        futex::wake_private(&HANDLED_COUNT, u32::MAX);
    }
}

fn handler_runs_on_the_signalled_thread_and_returns() -> TestResult {
    static GATE: Gate = Gate::new();
    HANDLED_ON.store(0, SeqCst);
    HANDLED_COUNT.store(0, SeqCst);
    signal::set_handler(SIGUSR1, Handler::Function(record), Restart::Yes).map_err(err)?;
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
    signal::set_handler(SIGUSR1, Handler::Default, Restart::Yes).map_err(err)?;
    Ok(())
}

fn handler_on_main_thread() -> TestResult {
    HANDLED_ON.store(0, SeqCst);
    signal::set_handler(SIGUSR1, Handler::Function(record), Restart::Yes).map_err(err)?;
    // A signal sent to the calling thread is delivered before tgkill returns.
    signal::send_to_thread(thread::current_tid(), SIGUSR1).map_err(err)?;
    check_eq!(HANDLED_ON.load(SeqCst), thread::current_tid());
    signal::set_handler(SIGUSR1, Handler::Default, Restart::Yes).map_err(err)?;
    Ok(())
}

fn futex_wait_interrupted() -> TestResult {
    static WORD: AtomicU32 = AtomicU32::new(0);
    signal::set_handler(SIGUSR1, Handler::Function(record), Restart::No).map_err(err)?;
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
    signal::set_handler(SIGUSR1, Handler::Default, Restart::Yes).map_err(err)?;
    check_eq!(r, Ok(()));
    Ok(())
}

fn set_handler_returns_previous() -> TestResult {
    let first = signal::set_handler(SIGUSR2, Handler::Ignore, Restart::Yes).map_err(err)?;
    check!(matches!(first, Handler::Default), "initial handler {first:?}");
    let second = signal::set_handler(SIGUSR2, Handler::Function(record), Restart::Yes).map_err(err)?;
    check!(matches!(second, Handler::Ignore), "previous handler {second:?}");
    let third = signal::set_handler(SIGUSR2, Handler::Default, Restart::Yes).map_err(err)?;
    check!(matches!(third, Handler::Function(f) if f as usize == record as extern "C" fn(i32) as usize), "previous handler {third:?}");
    // An ignored signal does nothing.
    signal::set_handler(SIGUSR2, Handler::Ignore, Restart::Yes).map_err(err)?;
    signal::send_to_thread(thread::current_tid(), SIGUSR2).map_err(err)?;
    signal::set_handler(SIGUSR2, Handler::Default, Restart::Yes).map_err(err)?;
    // Not a signal.
    check!(signal::set_handler(0, Handler::Ignore, Restart::Yes).is_err());
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

    extern "C" fn who_am_i(_: i32) {
        let me = thread::current();
        SEEN_TID.store(me.tid(), SeqCst);
        SEEN_NAME_OK.store((me.name() == Some("self-signaller")) as u32, SeqCst);
    }

    signal::set_handler(SIGUSR1, Handler::Function(who_am_i), Restart::Yes).map_err(err)?;
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
    signal::set_handler(SIGUSR1, Handler::Default, Restart::Yes).map_err(err)?;
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

    extern "C" fn check_identity(_: i32) {
        let me = thread::current();
        if !is_given(me.name()) || me.tid() != strand::syscall::gettid() {
            BAD.fetch_add(1, SeqCst);
        }
        HANDLED.fetch_add(1, SeqCst);
    }

    STOP.store(0, SeqCst);
    HANDLED.store(0, SeqCst);
    BAD.store(0, SeqCst);
    signal::set_handler(SIGUSR1, Handler::Function(check_identity), Restart::Yes).map_err(err)?;
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
    signal::set_handler(SIGUSR1, Handler::Default, Restart::Yes).map_err(err)?;
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
    use strand::syscall::SigSet;
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
    mask.insert(SIGUSR1).map_err(err)?;
    let flags = (SA_SIGINFO | SA_NODEFER) as usize;
    let act = Sigaction { handler: foreign, flags, mask };
    // SAFETY: a handler that lives forever; the arch layer passes this ABI's layout.
    let r = unsafe { arch::rt_sigaction(SIGUSR2, Some(&act), None) };
    Errno::result(r).map_err(err)?;
    let previous = signal::set_handler(SIGUSR2, Handler::Default, Restart::Yes).map_err(err)?;
    let Handler::Foreign(handler) = previous else {
        return Err(common::Failure::new(format_args!("a foreign handler came back as {previous:?}")));
    };
    check_eq!(handler.addr(), foreign);
    // Put back, it runs as the handler it is.
    let was = signal::set_handler(SIGUSR2, Handler::Foreign(handler), Restart::Yes).map_err(err)?;
    check!(matches!(was, Handler::Default), "previous handler {was:?}");
    signal::send_to_thread(thread::current_tid(), SIGUSR2).map_err(err)?;
    check_eq!(SIG.load(SeqCst), SIGUSR2 as i32);
    check_eq!(SI_SIGNO.load(SeqCst), SIGUSR2 as i32);
    // Put back whole: the kernel reports the same flags and mask it was first installed with.
    let mut now = Sigaction::DEFAULT;
    // SAFETY: only reads the current disposition.
    Errno::result(unsafe { arch::rt_sigaction(SIGUSR2, None, Some(&mut now)) }).map_err(err)?;
    check_eq!(now.handler, foreign);
    check!(now.flags & flags == flags, "flags {:#x} lost some of {flags:#x}", now.flags);
    check!(now.mask.contains(SIGUSR1), "the mask was not kept");
    // Still foreign: strand reinstalled it but never took it for one of its own.
    let again = signal::set_handler(SIGUSR2, Handler::Default, Restart::Yes).map_err(err)?;
    check!(matches!(again, Handler::Foreign(h) if h == handler), "reinstalled foreign handler came back as {again:?}");
    Ok(())
}

/// `set_handler` blocks every signal while it works and puts the caller's mask back exactly.
/// (Under qemu-riscv64 the old action, written one word longer than the kernel's, landed on
/// the saved mask, and the caller came back with a mask of stray bits.)
fn set_handler_leaves_the_signal_mask_alone() -> TestResult {
    use strand::arch::sys::general::{SIGCHLD, SIG_BLOCK, SIG_SETMASK};
    use strand::syscall::{self, SigSet};
    let mask = || {
        let mut cur = SigSet::EMPTY;
        syscall::sigprocmask(SIG_BLOCK, None, Some(&mut cur)).map(|()| cur).map_err(err)
    };
    let before = mask()?;
    // One signal blocked on purpose, so that "put back" is not just "cleared".
    let mut one = SigSet::EMPTY;
    one.insert(SIGCHLD).map_err(err)?;
    syscall::sigprocmask(SIG_BLOCK, Some(&one), None).map_err(err)?;
    let mut expected = before;
    expected.insert(SIGCHLD).map_err(err)?;
    for handler in [Handler::Function(record), Handler::Ignore, Handler::Default] {
        signal::set_handler(SIGUSR2, handler, Restart::Yes).map_err(err)?;
        check_eq!(mask()?, expected);
    }
    syscall::sigprocmask(SIG_SETMASK, Some(&before), None).map_err(err)?;
    Ok(())
}
