//! Unwinding panics (feature `unwind`, built with `panic = "unwind"`): a panic in a spawned
//! thread reaches `join` as `JoinError::Panicked`, after the `Drop`s of the unwound frames, the
//! thread's exit hooks and thread-local destructors ran; `catch_unwind` catches, nests, and the
//! thread goes on; a lock held across the panic is released. The runs that end the process (a
//! panic in `main`, a panic while unwinding, a panic in a thread-local destructor, which no
//! catch covers) are xtask's extra runs with `--panic-in-main`, `--panic-while-unwinding` and
//! `--panic-in-tls-destructor`.
#![no_std]
#![no_main]

#[macro_use]
mod common;

use common::{Failure, Test, TestResult};
use strand::panic::{catch_unwind, AssertUnwindSafe, Panic, MESSAGE_CAPACITY, TRUNCATED_MARK};
use strand::sync::Mutex;
use strand::thread::{self, ExitHook, JoinError};

strand::main!(main);

const TESTS: &[Test] = &[
    ("panic_in_thread_is_joined_as_panicked_with_its_message", panic_in_thread_is_joined_as_panicked_with_its_message),
    ("unwound_frames_drop_their_values_innermost_first", unwound_frames_drop_their_values_innermost_first),
    ("exit_hooks_and_thread_local_destructors_run_after_a_panic", exit_hooks_and_thread_local_destructors_run_after_a_panic),
    ("catch_unwind_catches_and_the_thread_goes_on", catch_unwind_catches_and_the_thread_goes_on),
    ("nested_catch_unwind_catches_at_the_innermost", nested_catch_unwind_catches_at_the_innermost),
    ("catch_unwind_in_a_spawned_thread", catch_unwind_in_a_spawned_thread),
    ("mutex_guard_dropped_by_the_unwind_unlocks", mutex_guard_dropped_by_the_unwind_unlocks),
    ("long_message_is_truncated_and_marked", long_message_is_truncated_and_marked),
    ("detached_thread_that_panics_cleans_up", detached_thread_that_panics_cleans_up),
    ("scoped_thread_panic_is_joined_as_panicked", scoped_thread_panic_is_joined_as_panicked),
];

fn main() -> i32 {
    let arg = strand::env::args().nth(1).map(|a| a.to_bytes());
    match arg {
        Some(b"--panic-in-main") => panic_in_main(),
        Some(b"--panic-while-unwinding") => panic_while_unwinding(),
        Some(b"--panic-in-tls-destructor") => panic_in_tls_destructor(),
        _ => common::run("unwind", TESTS),
    }
}

fn fail(e: impl core::fmt::Display) -> Failure {
    Failure::new(format_args!("{e}"))
}

/// What destructors and hooks did, in order, across threads.
struct Log {
    entries: [u32; 64],
    len: usize,
}

static LOG: Mutex<Log> = Mutex::new(Log { entries: [0; 64], len: 0 });

fn log(v: u32) {
    let mut l = LOG.lock();
    let n = l.len;
    if n < l.entries.len() {
        l.entries[n] = v;
        l.len += 1;
    }
}

fn take_log() -> ([u32; 64], usize) {
    let mut l = LOG.lock();
    let r = (l.entries, l.len);
    l.len = 0;
    r
}

macro_rules! check_log {
    ($($v:expr),* $(,)?) => {{
        let (entries, len) = take_log();
        let want: &[u32] = &[$($v),*];
        check_eq!(&entries[..len], want);
    }};
}

/// Logs its value when dropped.
struct Noisy(u32);

impl Drop for Noisy {
    fn drop(&mut self) {
        log(self.0);
    }
}

/// The panic a join reported, or a failure saying what it got instead.
fn panicked<T>(r: Result<T, JoinError>) -> Result<Panic, Failure> {
    match r {
        Err(JoinError::Panicked(p)) => Ok(p),
        Err(e) => Err(Failure::new(format_args!("join gave {e:?}, not Panicked"))),
        Ok(_) => Err(Failure::new(format_args!("join gave Ok, not Panicked"))),
    }
}

fn panic_in_thread_is_joined_as_panicked_with_its_message() -> TestResult {
    let h = thread::spawn(|| -> u32 { panic!("boom {}", 7) }).map_err(fail)?;
    let p = panicked(h.join())?;
    check_eq!(p.message(), "boom 7");
    check!(!p.is_truncated());
    Ok(())
}

#[inline(never)]
fn deeper(depth: u32) -> u32 {
    let _guard = Noisy(depth);
    if depth == 3 {
        panic!("at depth {depth}");
    }
    // Not a tail call: `_guard` lives across it.
    deeper(depth + 1) + 1
}

fn unwound_frames_drop_their_values_innermost_first() -> TestResult {
    take_log();
    let h = thread::spawn(|| {
        let _outer = Noisy(100);
        deeper(1)
    })
    .map_err(fail)?;
    let p = panicked(h.join())?;
    check_eq!(p.message(), "at depth 3");
    check_log!(3, 2, 1, 100);
    Ok(())
}

strand::thread_local! {
    static TLS_VALUE: Noisy = Noisy(50);
    /// A thread-local without drop glue lives until its thread ends, as `register` requires.
    static HOOK: ExitHook = ExitHook::new();
}

unsafe fn log_arg(arg: *mut u8) {
    log(arg as usize as u32);
}

fn exit_hooks_and_thread_local_destructors_run_after_a_panic() -> TestResult {
    take_log();
    let h = thread::spawn(|| {
        TLS_VALUE.with(|v| log(v.0 + 1));
        // SAFETY: a thread-local of this thread; `log_arg` is sound with any value.
        HOOK.with(|h| unsafe { h.register(log_arg, 60 as *mut u8) }).expect("register");
        let _frame = Noisy(40);
        panic!("after registering");
    })
    .map_err(fail)?;
    let p = panicked(h.join())?;
    check_eq!(p.message(), "after registering");
    // The frame's value while unwinding; then, at the thread's exit, the hook registered last
    // and the thread-local's destructor (registered first), newest first.
    check_log!(51, 40, 60, 50);
    Ok(())
}

fn catch_unwind_catches_and_the_thread_goes_on() -> TestResult {
    take_log();
    let r = catch_unwind(|| {
        let _g = Noisy(1);
        if log_and_true(2) {
            panic!("caught {}", "here");
        }
        5
    });
    check_eq!(r.map_err(|p| p.message() == "caught here"), Err(true));
    check_log!(2, 1);
    // The thread goes on, is no longer "panicking", and can panic and catch again.
    check_eq!(catch_unwind(|| 5), Ok(5));
    let again = catch_unwind(|| -> u32 { panic!("again") });
    check_eq!(again.map_err(|p| p.message() == "again"), Err(true));
    Ok(())
}

/// Keeps the compiler from seeing that a panic always follows.
#[inline(never)]
fn log_and_true(v: u32) -> bool {
    log(v);
    core::hint::black_box(true)
}

fn nested_catch_unwind_catches_at_the_innermost() -> TestResult {
    take_log();
    let outer = catch_unwind(|| {
        let _g = Noisy(10);
        let inner = catch_unwind(|| -> u32 {
            let _g = Noisy(20);
            panic!("inner");
        });
        log(30);
        let msg_ok = inner.is_err_and(|p| p.message() == "inner");
        // A panic from the outer closure, after the inner one was caught.
        if log_and_true(40) {
            panic!("outer, inner caught: {msg_ok}");
        }
        0
    });
    check_eq!(outer.map_err(|p| p.message() == "outer, inner caught: true"), Err(true));
    check_log!(20, 30, 40, 10);
    Ok(())
}

fn catch_unwind_in_a_spawned_thread() -> TestResult {
    let h = thread::spawn(|| {
        let caught = catch_unwind(|| -> u32 { panic!("in thread") });
        match caught {
            Err(p) if p.message() == "in thread" => 77,
            _ => 0,
        }
    })
    .map_err(fail)?;
    check_eq!(h.join().map_err(fail)?, 77);
    Ok(())
}

static SHARED: Mutex<u32> = Mutex::new(0);

fn mutex_guard_dropped_by_the_unwind_unlocks() -> TestResult {
    let h = thread::spawn(|| {
        let mut g = SHARED.lock();
        *g += 1;
        if log_and_true(0) {
            panic!("holding the lock");
        }
        drop(g);
    })
    .map_err(fail)?;
    take_log();
    panicked(h.join())?;
    // strand's Mutex has no poisoning: the next locker sees the value as the panicking thread
    // left it.
    let g = SHARED.try_lock();
    check!(g.is_some(), "the mutex is still locked after the thread that held it panicked");
    check_eq!(*g.unwrap(), 1);
    Ok(())
}

fn long_message_is_truncated_and_marked() -> TestResult {
    let h = thread::spawn(|| {
        let word = "0123456789";
        panic!("{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}{word}")
    })
    .map_err(|e| fail(e))?;
    let p = panicked(h.join().map(|()| ()))?;
    check!(p.is_truncated());
    check_eq!(p.message().len(), MESSAGE_CAPACITY);
    check!(p.message().ends_with(TRUNCATED_MARK), "message {:?}", p.message());
    check!(p.message().starts_with("0123456789"));
    Ok(())
}

fn detached_thread_that_panics_cleans_up() -> TestResult {
    take_log();
    let h = thread::spawn(|| {
        TLS_VALUE.with(|v| log(v.0 + 2));
        let _frame = Noisy(41);
        panic!("detached");
    })
    .map_err(fail)?;
    let t = h.thread();
    h.detach();
    // Bounded: a thread that never finishes fails the test instead of hanging it.
    check!(common::eventually(10, || LOG.lock().len == 3), "the detached thread did not finish its exit path");
    check_log!(52, 41, 50);
    // It left through the ordinary exit path: it is no longer found.
    check!(common::eventually(10, || thread::find(t.tid()).is_none()));
    Ok(())
}

fn scoped_thread_panic_is_joined_as_panicked() -> TestResult {
    let local = Noisy(0);
    let r = thread::scope(|s| {
        let h = s.spawn(|| -> u32 { panic!("scoped {}", local.0) }).map_err(fail)?;
        panicked(h.join())
    });
    core::mem::forget(local);
    check_eq!(r?.message(), "scoped 0");
    Ok(())
}

/// `--panic-in-main`: main's frames unwind (this guard's `Drop` prints), then the process
/// exits with 101; the handler has printed the message.
fn panic_in_main() -> i32 {
    struct Says;
    impl Drop for Says {
        fn drop(&mut self) {
            strand::println!("main's guard dropped during the unwind");
        }
    }
    let _says = Says;
    if log_and_true(0) {
        panic!("main boom {}", 101);
    }
    0
}

/// `--panic-while-unwinding`: a `Drop` that panics while a panic unwinds its frame ends the
/// process (101), as in std.
fn panic_while_unwinding() -> i32 {
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("second panic, in a drop");
        }
    }
    let r = catch_unwind(AssertUnwindSafe(|| {
        let _p = PanicsOnDrop;
        if log_and_true(0) {
            panic!("first panic");
        }
    }));
    // Never reached: the second panic ends the process.
    strand::println!("caught: {:?}", r.is_err());
    0
}

struct PanicsWhenDestroyed;

impl Drop for PanicsWhenDestroyed {
    fn drop(&mut self) {
        panic!("in a thread-local destructor");
    }
}

strand::thread_local! {
    static DESTROYED_WITH_A_PANIC: PanicsWhenDestroyed = PanicsWhenDestroyed;
}

/// `--panic-in-tls-destructor`: a destructor runs at the thread's exit, past the thread's
/// catch, so its panic is caught by nothing and ends the process (101) instead of unwinding
/// into the exit path.
fn panic_in_tls_destructor() -> i32 {
    let h = thread::spawn(|| DESTROYED_WITH_A_PANIC.with(|_| ())).expect("spawn");
    let _ = h.join();
    strand::println!("the process went on after a panic nothing caught");
    0
}
