//! Start-up: arguments, environment, auxiliary vector, .init_array, at-exit handlers, exit code,
//! and (driven by `cargo xtask test`) the panic handler's message and exit status.
#![no_std]
#![no_main]

#[macro_use]
mod common;

use common::{Test, TestResult};
use core::sync::atomic::{AtomicU32, Ordering::SeqCst};
use strand::{env, rt, syscall, thread};

strand::main!(main);

/// Set by an .init_array entry, which must run before main.
static INIT_RAN: AtomicU32 = AtomicU32::new(0);

extern "C" fn init_entry(argc: i32, _argv: *const *const u8, _envp: *const *const u8) {
    INIT_RAN.store(argc as u32 + 1000, SeqCst);
}

#[used]
#[link_section = ".init_array"]
static INIT_ARRAY_ENTRY: extern "C" fn(i32, *const *const u8, *const *const u8) = init_entry;

const TESTS: &[Test] = &[
    ("args_match_proc_cmdline", args_match_proc_cmdline),
    ("args_from_xtask", args_from_xtask),
    ("environment", environment),
    ("auxv", auxv),
    ("init_array_ran_with_argc", init_array_ran_with_argc),
    ("main_thread_identity", main_thread_identity),
    ("at_exit_table_full_is_an_error", at_exit_table_full_is_an_error),
];

fn main() -> i32 {
    match env::args().nth(1).map(|a| a.to_bytes()) {
        Some(b"--panic-in-thread") => panic_in_thread(),
        Some(b"--unlock-unlocked") => unlock_unlocked(),
        Some(b"--reentrant-once") => reentrant_once(),
        _ => {}
    }
    // The at-exit tests finish after main: B runs first, then A, then the .fini_array entry,
    // which records the results and prints the summary. If they never ran, the process exits
    // with 42 and no summary line.
    rt::at_exit(handler_a).expect("register a");
    rt::at_exit(handler_b).expect("register b");
    common::run_tests("startup", TESTS);
    42
}

static AT_EXIT_ORDER: AtomicU32 = AtomicU32::new(0);

fn handler_b() {
    AT_EXIT_ORDER.store(AT_EXIT_ORDER.load(SeqCst) * 10 + 2, SeqCst);
}

fn handler_a() {
    AT_EXIT_ORDER.store(AT_EXIT_ORDER.load(SeqCst) * 10 + 1, SeqCst);
}

extern "C" fn fini_entry() {
    let order = AT_EXIT_ORDER.load(SeqCst);
    let r: TestResult = (|| {
        check_eq!(order, 21);
        Ok(())
    })();
    common::record("startup", "at_exit_handlers_run_newest_first", r);
    // Reaching this line at all means .fini_array ran, after the handlers (order is complete).
    let r: TestResult = (|| {
        check!(order != 0, ".fini_array ran before the at-exit handlers");
        Ok(())
    })();
    common::record("startup", "fini_array_runs_after_at_exit_handlers", r);
    syscall::exit_group(common::summary());
}

#[used]
#[link_section = ".fini_array"]
static FINI_ARRAY_ENTRY: extern "C" fn() = fini_entry;

fn args_match_proc_cmdline() -> TestResult {
    let mut buf = [0u8; 4096];
    let cmdline = syscall::read_file(c"/proc/self/cmdline", &mut buf).map_err(|e| {
        common::Failure::new(format_args!("read /proc/self/cmdline: {e}"))
    })?;
    let mut from_proc = cmdline.split(|&b| b == 0).filter(|s| !s.is_empty());
    let mut n = 0;
    for a in env::args() {
        let expected = from_proc.next();
        check!(expected == Some(a.to_bytes()), "argv[{n}] = {a:?}, /proc says {expected:?}");
        n += 1;
    }
    check_eq!(from_proc.next(), None);
    check!(n >= 1, "no argv[0]");
    Ok(())
}

/// `cargo xtask test` runs every program with `--strand-args alpha "beta gamma"`.
fn args_from_xtask() -> TestResult {
    let args: [Option<&[u8]>; 4] = core::array::from_fn(|i| env::args().nth(i + 1).map(|a| a.to_bytes()));
    check_eq!(args, [Some(&b"--strand-args"[..]), Some(b"alpha"), Some(b"beta gamma"), None]);
    check_eq!(env::args().len(), 4);
    Ok(())
}

/// `cargo xtask test` sets STRAND_TEST_ENV=from-xtask.
fn environment() -> TestResult {
    check_eq!(env::var("STRAND_TEST_ENV").map(|v| v.to_bytes()), Some(&b"from-xtask"[..]));
    check_eq!(env::var("STRAND_TEST_ENV_NOT_SET"), None);
    // A prefix of a name is not the name.
    check_eq!(env::var("STRAND_TEST_EN"), None);
    check!(env::vars().any(|kv| kv.to_bytes() == b"STRAND_TEST_ENV=from-xtask"));
    Ok(())
}

fn auxv() -> TestResult {
    let a = rt::auxv();
    check!(rt::page_size().is_power_of_two() && rt::page_size() >= 4096, "page size {}", rt::page_size());
    check!(a.phdr != 0 && a.phnum > 0, "no program headers: {a:?}");
    let random = rt::random_bytes();
    check!(random.is_some_and(|r| r.iter().any(|&b| b != 0)), "AT_RANDOM missing or zero");
    Ok(())
}

fn init_array_ran_with_argc() -> TestResult {
    check_eq!(INIT_RAN.load(SeqCst) as usize, env::args().len() + 1000);
    Ok(())
}

fn main_thread_identity() -> TestResult {
    let me = thread::current();
    check_eq!(me.name(), Some("main"));
    check_eq!(me.tid(), syscall::gettid());
    // The main thread's tid is the process id.
    check_eq!(me.tid(), syscall::getpid());
    Ok(())
}

fn at_exit_table_full_is_an_error() -> TestResult {
    fn nothing() {}
    // main registered two handlers; the rest of the table takes AT_EXIT_MAX - 2 more.
    for i in 0..rt::AT_EXIT_MAX - 2 {
        check!(rt::at_exit(nothing).is_ok(), "registration {i} failed");
    }
    check_eq!(rt::at_exit(nothing), Err(rt::AtExitFull));
    Ok(())
}

fn panic_in_thread() -> ! {
    let h = thread::Builder::new()
        .name("worker-7")
        .spawn(|| {
            let n = 42;
            panic!("boom {n}");
        })
        .expect("spawn");
    // The panic ends the process (exit status 101) before this join can return.
    let _ = h.join();
    syscall::exit_group(0)
}

fn unlock_unlocked() -> ! {
    let m = strand::sync::RawMutex::new();
    // SAFETY: deliberately wrong: the mutex is not locked. strand must detect it.
    unsafe { m.unlock() };
    syscall::exit_group(0)
}

fn reentrant_once() -> ! {
    static ONCE: strand::sync::Once = strand::sync::Once::new();
    // Deliberately wrong: a deadlock strand must report instead.
    ONCE.call_once(|| ONCE.call_once(|| {}));
    syscall::exit_group(0)
}
