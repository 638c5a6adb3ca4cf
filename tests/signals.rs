//! Signal handlers (the per-ABI sigaction layout and sigreturn path), thread-directed signals,
//! and a futex wait interrupted by a handler.
#![no_std]
#![no_main]

#[macro_use]
mod common;

use common::{Gate, Test, TestResult};
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering::SeqCst};
use core::time::Duration;
use linux_raw_sys::general::{SIGUSR1, SIGUSR2};
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
    let (tid, handled_on) = h.join();
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
    let r = h.join();
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
    check!(matches!(third, Handler::Function(f) if f as usize == record as usize), "previous handler {third:?}");
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
    h.join();
    Ok(())
}
