//! Futex wait and wake, private and shared, with 64-bit timeouts.
#![no_std]
#![no_main]

#[macro_use]
mod common;

use common::{Test, TestResult};
use core::sync::atomic::{AtomicU32, Ordering::SeqCst};
use core::time::Duration;
use strand::futex::{self, Scope, WaitResult};
use strand::thread;
use strand::time::Instant;

strand::main!(main);

const TESTS: &[Test] = &[
    ("timeout_returns_timed_out", timeout_returns_timed_out),
    ("mismatch_returns_value_changed", mismatch_returns_value_changed),
    ("wake_without_waiters_wakes_none", wake_without_waiters_wakes_none),
    ("wake_private_wakes_waiter", || wake_wakes_waiter(Scope::Private)),
    ("wake_shared_wakes_waiter", || wake_wakes_waiter(Scope::Shared)),
    ("wake_n_wakes_at_most_n", wake_n_wakes_at_most_n),
    ("huge_timeout_is_a_plain_wait", huge_timeout_is_a_plain_wait),
];

fn main() -> i32 {
    common::run("futex", TESTS)
}

fn timeout_returns_timed_out() -> TestResult {
    let word = AtomicU32::new(5);
    for scope in [Scope::Private, Scope::Shared] {
        let start = Instant::now();
        let r = futex::wait(&word, 5, Some(Duration::from_millis(30)), scope);
        let took = start.elapsed();
        check_eq!(r, WaitResult::TimedOut);
        check!(took >= Duration::from_millis(30), "timed out after only {took:?}");
    }
    // A zero timeout times out at once.
    check_eq!(futex::wait(&word, 5, Some(Duration::ZERO), Scope::Private), WaitResult::TimedOut);
    Ok(())
}

fn mismatch_returns_value_changed() -> TestResult {
    let word = AtomicU32::new(1);
    check_eq!(futex::wait(&word, 2, None, Scope::Private), WaitResult::ValueChanged);
    check_eq!(futex::wait(&word, 2, Some(Duration::from_secs(5)), Scope::Shared), WaitResult::ValueChanged);
    Ok(())
}

fn wake_without_waiters_wakes_none() -> TestResult {
    let word = AtomicU32::new(0);
    check_eq!(futex::wake(&word, 10, Scope::Private), 0);
    check_eq!(futex::wake(&word, 10, Scope::Shared), 0);
    Ok(())
}

fn wake_wakes_waiter(scope: Scope) -> TestResult {
    static WORD: AtomicU32 = AtomicU32::new(0);
    static WAITING: AtomicU32 = AtomicU32::new(0);
    WORD.store(0, SeqCst);
    WAITING.store(0, SeqCst);
    let h = thread::spawn(move || {
        WAITING.store(1, SeqCst);
        let mut results = 0u32;
        while WORD.load(SeqCst) == 0 {
            // Generous bound so a lost wake-up is a failure rather than a hang.
            if futex::wait(&WORD, 0, Some(Duration::from_secs(20)), scope) == WaitResult::TimedOut {
                return Err(results);
            }
            results += 1;
        }
        Ok(results)
    })
    .map_err(|e| common::Failure::new(format_args!("{e}")))?;
    check!(common::eventually(10, || WAITING.load(SeqCst) == 1));
    // Let the thread reach the kernel (not required for correctness: the value check covers it).
    thread::sleep(Duration::from_millis(20));
    WORD.store(1, SeqCst);
    futex::wake(&WORD, 1, scope);
    let r = h.join()?;
    check!(r.is_ok(), "waiter timed out: the wake was lost ({r:?})");
    Ok(())
}

fn wake_n_wakes_at_most_n() -> TestResult {
    const N: usize = 6;
    static WORD: AtomicU32 = AtomicU32::new(0);
    static ASLEEP: AtomicU32 = AtomicU32::new(0);
    let mut handles: [Option<thread::JoinHandle<()>>; N] = [const { None }; N];
    for h in handles.iter_mut() {
        *h = Some(
            thread::spawn(|| {
                ASLEEP.fetch_add(1, SeqCst);
                while WORD.load(SeqCst) == 0 {
                    futex::wait_private(&WORD, 0, Some(Duration::from_secs(20)));
                }
            })
            .map_err(|e| common::Failure::new(format_args!("{e}")))?,
        );
    }
    check!(common::eventually(10, || ASLEEP.load(SeqCst) == N as u32));
    // Some may not be in the kernel yet; whoever is, at most 2 of them are woken.
    let mut woken = 0;
    check!(
        common::eventually(10, || {
            woken = futex::wake_private(&WORD, 2);
            woken != 0
        }),
        "no waiter ever woken"
    );
    check!(woken <= 2, "wake(2) woke {woken}");
    WORD.store(1, SeqCst);
    futex::wake_private(&WORD, u32::MAX);
    for h in handles.iter_mut() {
        h.take().unwrap().join()?;
    }
    Ok(())
}

fn huge_timeout_is_a_plain_wait() -> TestResult {
    // A duration past what a timespec holds must wait like no timeout, not time out at once.
    static WORD: AtomicU32 = AtomicU32::new(0);
    let h = thread::spawn(|| {
        thread::sleep(Duration::from_millis(20));
        WORD.store(1, SeqCst);
        futex::wake_private(&WORD, 1);
    })
    .map_err(|e| common::Failure::new(format_args!("{e}")))?;
    let mut r = WaitResult::Woken;
    while WORD.load(SeqCst) == 0 {
        r = futex::wait(&WORD, 0, Some(Duration::MAX), Scope::Private);
        check!(r != WaitResult::TimedOut, "Duration::MAX timed out");
    }
    check!(r != WaitResult::TimedOut);
    h.join()?;
    Ok(())
}
