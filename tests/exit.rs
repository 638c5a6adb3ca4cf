//! Exit hooks, `thread_local!` values and their destructors, and `thread::exit`.
//!
//! This crate enables no nightly feature of its own: `strand::thread_local!` must work without
//! `#![feature(thread_local)]` in the user's crate.
#![no_std]
#![no_main]

#[macro_use]
mod common;

use common::{settled_maps_count, Gate, Test, TestResult};
use core::cell::Cell;
use core::sync::atomic::{AtomicU32, Ordering::SeqCst};
use strand::sync::Mutex;
use strand::thread::{self, AccessError, ExitHook, JoinError, EXIT_HOOK_ROUNDS};
use strand::{rt, Errno};

strand::main!(main);

const TESTS: &[Test] = &[
    ("hooks_run_newest_first", hooks_run_newest_first),
    ("hook_registered_while_hooks_run_also_runs", hook_registered_while_hooks_run_also_runs),
    ("hook_rounds_are_bounded", hook_rounds_are_bounded),
    ("registering_a_queued_hook_twice_is_an_error", registering_a_queued_hook_twice_is_an_error),
    ("tls_destructor_runs_when_thread_returns", tls_destructor_runs_when_thread_returns),
    ("tls_destructor_runs_on_thread_exit", tls_destructor_runs_on_thread_exit),
    ("untouched_tls_value_is_never_created_or_destroyed", untouched_tls_value_is_never_created_or_destroyed),
    ("destructor_sees_already_destroyed_value_as_err", destructor_sees_already_destroyed_value_as_err),
    ("own_initialiser_access_is_err", own_initialiser_access_is_err),
    ("values_are_per_thread", values_are_per_thread),
    ("join_after_exit_is_exited_and_frees_mapping", join_after_exit_is_exited_and_frees_mapping),
    ("detached_thread_that_exits_runs_hooks_and_frees_itself", detached_thread_that_exits_runs_hooks_and_frees_itself),
    ("scoped_thread_that_exits_is_counted_out", scoped_thread_that_exits_is_counted_out),
];

fn fail(e: impl core::fmt::Display) -> common::Failure {
    common::Failure::new(format_args!("{e}"))
}

/// What hooks and destructors did, in order, across threads.
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

/// Empties the log and returns what it held.
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

unsafe fn log_arg(arg: *mut u8) {
    log(arg as usize as u32);
}

strand::thread_local! {
    /// Hooks for the tests: a thread-local without drop glue is never destroyed, so each
    /// thread's copy lives until the thread ends, as `ExitHook::register` requires.
    static HOOKS: [ExitHook; 4] = Default::default();
}

fn hooks_run_newest_first() -> TestResult {
    take_log();
    thread::spawn(|| {
        HOOKS.with(|h| {
            for (i, hook) in h.iter().take(3).enumerate() {
                // SAFETY: a thread-local of this thread; `log_arg` is sound with any value.
                unsafe { hook.register(log_arg, (i + 1) as *mut u8) }.expect("register");
            }
        });
        log(100);
    })
    .map_err(fail)?
    .join()?;
    check_log!(100, 3, 2, 1);
    Ok(())
}

unsafe fn register_second(_: *mut u8) {
    log(1);
    HOOKS.with(|h| {
        // SAFETY: as in `hooks_run_newest_first`.
        unsafe { h[1].register(log_arg, 2 as *mut u8) }.expect("register from a hook");
    });
}

fn hook_registered_while_hooks_run_also_runs() -> TestResult {
    take_log();
    thread::spawn(|| {
        HOOKS.with(|h| {
            // SAFETY: as in `hooks_run_newest_first`; `register_second` only logs and registers.
            unsafe { h[0].register(register_second, core::ptr::null_mut()) }.expect("register");
        });
    })
    .map_err(fail)?
    .join()?;
    check_log!(1, 2);
    Ok(())
}

unsafe fn register_again(_: *mut u8) {
    log(7);
    HOOKS.with(|h| {
        // SAFETY: as in `hooks_run_newest_first`; it is off the list while it runs.
        unsafe { h[0].register(register_again, core::ptr::null_mut()) }.expect("re-register");
    });
}

/// A hook that registers itself again every time it runs: the thread still ends, after
/// `EXIT_HOOK_ROUNDS` runs of it (and a message on stderr).
fn hook_rounds_are_bounded() -> TestResult {
    take_log();
    thread::spawn(|| {
        HOOKS.with(|h| {
            // SAFETY: as above.
            unsafe { h[0].register(register_again, core::ptr::null_mut()) }.expect("register");
        });
    })
    .map_err(fail)?
    .join()?;
    let (_, runs) = take_log();
    check_eq!(runs, EXIT_HOOK_ROUNDS as usize);
    Ok(())
}

fn registering_a_queued_hook_twice_is_an_error() -> TestResult {
    take_log();
    let (first, second, queued) = thread::spawn(|| {
        HOOKS.with(|h| {
            // SAFETY: as above.
            let first = unsafe { h[0].register(log_arg, 5 as *mut u8) };
            // SAFETY: as above.
            let second = unsafe { h[0].register(log_arg, 6 as *mut u8) };
            (first, second, h[0].is_registered())
        })
    })
    .map_err(fail)?
    .join()?;
    check_eq!(first, Ok(()));
    check_eq!(second, Err(thread::AlreadyRegistered));
    check!(queued);
    // It ran once, with the first registration's argument.
    check_log!(5);
    Ok(())
}

/// Logs its value when dropped.
struct Noisy(u32);

impl Drop for Noisy {
    fn drop(&mut self) {
        log(self.0);
    }
}

static CREATED: AtomicU32 = AtomicU32::new(0);

fn new_noisy(v: u32) -> Noisy {
    CREATED.fetch_add(1, SeqCst);
    Noisy(v)
}

strand::thread_local! {
    static A: Noisy = new_noisy(10);
    static B: Noisy = new_noisy(20);
    static COUNTER: Cell<u32> = Cell::new(0);
}

fn tls_destructor_runs_when_thread_returns() -> TestResult {
    take_log();
    let v = thread::spawn(|| {
        let v = A.with(|a| a.0);
        log(1);
        v
    })
    .map_err(fail)?
    .join()?;
    check_eq!(v, 10);
    check_log!(1, 10);
    Ok(())
}

fn tls_destructor_runs_on_thread_exit() -> TestResult {
    take_log();
    let h = thread::spawn(|| {
        A.with(|a| log(a.0 + 1));
        // SAFETY: nothing on this thread's stack needs dropping or outlives it.
        unsafe { thread::exit() }
    })
    .map_err(fail)?;
    check_eq!(h.join().map(|_: ()| ()), Err(JoinError::Exited));
    check_log!(11, 10);
    Ok(())
}

fn untouched_tls_value_is_never_created_or_destroyed() -> TestResult {
    take_log();
    CREATED.store(0, SeqCst);
    thread::spawn(|| COUNTER.with(|c| c.set(c.get() + 1))).map_err(fail)?.join()?;
    check_eq!(CREATED.load(SeqCst), 0);
    check_log!();
    Ok(())
}

strand::thread_local! {
    /// Its destructor tries the other two: C (registered after D, so destroyed before it) and
    /// E (registered before D, so still alive).
    static D: Probe = Probe;
    static C: Noisy = Noisy(30);
    static E: Noisy = Noisy(40);
}

struct Probe;

impl Drop for Probe {
    fn drop(&mut self) {
        let c = C.try_with(|c| c.0);
        let e = E.try_with(|e| e.0);
        log(match c {
            Err(AccessError::Destroyed) => 1,
            Err(AccessError::Initializing) => 2,
            Ok(_) => 3,
        });
        log(e.unwrap_or(0));
        // Its own value is gone too.
        log(matches!(D.try_with(|_| ()), Err(AccessError::Destroyed)) as u32 + 50);
    }
}

fn destructor_sees_already_destroyed_value_as_err() -> TestResult {
    take_log();
    thread::spawn(|| {
        E.with(|_| ());
        D.with(|_| ());
        C.with(|_| ());
    })
    .map_err(fail)?
    .join()?;
    // C first (newest), then D's destructor: C destroyed, E alive, D itself destroyed; then E.
    check_log!(30, 1, 40, 51, 40);
    Ok(())
}

strand::thread_local! {
    static SELF_REF: u32 = match SELF_REF.try_with(|v| *v) {
        Err(AccessError::Initializing) => 1,
        _ => 2,
    };
}

fn own_initialiser_access_is_err() -> TestResult {
    let v = thread::spawn(|| SELF_REF.with(|v| *v)).map_err(fail)?.join()?;
    check_eq!(v, 1);
    Ok(())
}

fn values_are_per_thread() -> TestResult {
    COUNTER.with(|c| c.set(1000));
    let theirs = thread::spawn(|| {
        COUNTER.with(|c| c.set(c.get() + 5));
        COUNTER.with(|c| c.get())
    })
    .map_err(fail)?
    .join()?;
    check_eq!(theirs, 5);
    check_eq!(COUNTER.with(|c| c.get()), 1000);
    Ok(())
}

fn join_after_exit_is_exited_and_frees_mapping() -> TestResult {
    // One spawn first, so that anything mapped once per process is already there.
    thread::spawn(|| ()).map_err(fail)?.join()?;
    let before = settled_maps_count();
    for _ in 0..5 {
        let h = thread::spawn(|| {
            // SAFETY: nothing on this thread's stack needs dropping.
            unsafe { thread::exit() }
        })
        .map_err(fail)?;
        let r: Result<(), JoinError> = h.join();
        check_eq!(r, Err(JoinError::Exited));
    }
    check_eq!(JoinError::Exited.errno(), Errno::ENODATA);
    let after = settled_maps_count();
    check!(after == before, "mappings: {before} before, {after} after 5 joined thread::exit threads");
    Ok(())
}

fn detached_thread_that_exits_runs_hooks_and_frees_itself() -> TestResult {
    static GO: Gate = Gate::new();
    static DONE: AtomicU32 = AtomicU32::new(0);
    take_log();
    thread::spawn(|| ()).map_err(fail)?.join()?;
    let before = settled_maps_count();
    let h = thread::spawn(|| {
        GO.wait();
        B.with(|b| log(b.0 + 1));
        DONE.store(1, SeqCst);
        // SAFETY: nothing on this thread's stack needs dropping.
        unsafe { thread::exit() }
    })
    .map_err(fail)?;
    // Detached before the thread exits: it owns its mapping and frees it itself.
    h.detach();
    GO.open();
    check!(common::eventually(20, || LOG.lock().len == 2), "the detached thread's destructor did not run");
    check_log!(21, 20);
    check_eq!(DONE.load(SeqCst), 1);
    let back = common::eventually(20, || settled_maps_count() == before);
    check!(back, "mappings: {} before, {} after a detached thread::exit", before, settled_maps_count());
    Ok(())
}

fn scoped_thread_that_exits_is_counted_out() -> TestResult {
    take_log();
    let borrowed = 3u32;
    let r = thread::scope(|s| {
        let h = s
            .spawn(|| {
                A.with(|_| log(borrowed));
                // SAFETY: nothing on this thread's stack needs dropping; it opened no scope.
                unsafe { thread::exit() }
            })
            .map_err(fail)?;
        let r: Result<(), JoinError> = h.join();
        // A second one, never joined: the scope itself must see it counted out.
        s.spawn(|| {
            // SAFETY: as above.
            unsafe { thread::exit() }
        })
        .map_err(fail)?;
        Ok::<_, common::Failure>(r)
    })?;
    check_eq!(r, Err(JoinError::Exited));
    check_log!(3, 10);
    Ok(())
}

// ---- the main thread ----

strand::thread_local! {
    static MAIN_VALUE: MainDrop = MainDrop;
}

static MAIN_DROPPED: AtomicU32 = AtomicU32::new(0);

struct MainDrop;

impl Drop for MainDrop {
    fn drop(&mut self) {
        MAIN_DROPPED.fetch_add(1, SeqCst);
        if MODE.load(SeqCst) == MODE_MAIN_EXIT {
            strand::println!("main exit: tls destructor ran");
        }
    }
}

const MODE_TESTS: u32 = 0;
const MODE_MAIN_EXIT: u32 = 1;
static MODE: AtomicU32 = AtomicU32::new(MODE_TESTS);

/// The normal run's last test, after `main` returned: the main thread's thread-local was
/// destroyed (once) before the process's at-exit handlers ran. Prints the summary.
fn at_exit_check() {
    let dropped = MAIN_DROPPED.load(SeqCst);
    let r: TestResult = (|| {
        check!(dropped == 1, "main thread's thread-local destroyed {dropped} times before the at-exit handlers");
        Ok(())
    })();
    common::record("exit", "main_thread_tls_destroyed_before_at_exit_handlers", r);
    strand::syscall::exit_group(common::summary());
}

fn main_exit_at_exit() {
    let dropped = MAIN_DROPPED.load(SeqCst);
    strand::println!("main exit: at-exit handler ran, tls destructor ran {dropped} times before it");
}

/// `--main-thread-exit` (run by xtask): `thread::exit` on the main thread runs its hooks, then the
/// at-exit handlers, and ends the process with status 0.
fn main_thread_exit() -> ! {
    MODE.store(MODE_MAIN_EXIT, SeqCst);
    rt::at_exit(main_exit_at_exit).expect("at_exit");
    MAIN_VALUE.with(|_| ());
    strand::println!("main exit: calling thread::exit");
    // SAFETY: main's frames hold nothing that needs dropping.
    unsafe { thread::exit() }
}

strand::thread_local! {
    static FIRST: Noisy = Noisy(1);
    static AFTER: WithAfterDestroy = WithAfterDestroy;
}

struct WithAfterDestroy;

impl Drop for WithAfterDestroy {
    fn drop(&mut self) {
        // FIRST was registered after this one, so it is gone: `with` panics.
        FIRST.with(|_| ());
    }
}

/// `--with-after-destroy` (run by xtask): `with` on a destroyed value panics with a clear message.
fn with_after_destroy() -> ! {
    let h = thread::spawn(|| {
        AFTER.with(|_| ());
        FIRST.with(|_| ());
    })
    .expect("spawn");
    let _ = h.join();
    strand::println!("with after destroy: no panic");
    strand::syscall::exit_group(3)
}

fn main() -> i32 {
    let arg = strand::env::args().nth(1).map(|a| a.to_bytes());
    match arg {
        Some(b"--main-thread-exit") => main_thread_exit(),
        Some(b"--with-after-destroy") => with_after_destroy(),
        _ => {}
    }
    rt::at_exit(at_exit_check).expect("at_exit");
    MAIN_VALUE.with(|_| ());
    common::run_tests("exit", TESTS);
    // The summary comes from `at_exit_check`; if it never runs there is no closing line.
    0
}
