//! A tiny harness for strand's freestanding test programs: runs named tests in order, prints
//! each result, then `N passed, N failed` (plus `, N skipped`). A test returns `Err(Failure)`
//! with a message, or `Err(Failure::skip(..))` with the exact reason it cannot run here.
#![allow(dead_code)]

pub mod limits;
pub mod mapfill;
pub mod seccomp;

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
use strand::syscall;

pub struct Failure {
    buf: [u8; 512],
    len: usize,
    /// Not a failure: the test cannot work in this environment, for the reason in `buf`.
    skip: bool,
}

impl Failure {
    pub fn new(args: fmt::Arguments<'_>) -> Failure {
        let mut f = Failure { buf: [0; 512], len: 0, skip: false };
        let _ = f.write_fmt(args);
        f
    }

    /// The test cannot force what it checks here; `args` says exactly why. Counted as skipped.
    pub fn skip(args: fmt::Arguments<'_>) -> Failure {
        Failure { skip: true, ..Failure::new(args) }
    }

    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("<non-UTF-8 message>")
    }
}

impl Write for Failure {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        // Cut at a char boundary so the message stays valid UTF-8.
        let n = (0..=n).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

pub type TestResult = Result<(), Failure>;

/// `h.join()?` in a test: a join that fails (a self-join) fails the test.
impl From<strand::thread::JoinError> for Failure {
    fn from(e: strand::thread::JoinError) -> Failure {
        Failure::new(format_args!("join failed: {e}"))
    }
}

/// `check!(cond)` or `check!(cond, "format", args..)`: fail the test unless `cond`.
#[macro_export]
macro_rules! check {
    ($cond:expr) => {
        if !$cond {
            return Err($crate::common::Failure::new(format_args!(
                "{}:{}: check failed: {}", file!(), line!(), stringify!($cond)
            )));
        }
    };
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err($crate::common::Failure::new(format_args!(
                "{}:{}: {}", file!(), line!(), format_args!($($arg)+)
            )));
        }
    };
}

/// `check_eq!(left, right)` or `check_eq!(left, right, "format", args..)`: fail with both
/// values (and the message) unless equal.
#[macro_export]
macro_rules! check_eq {
    ($a:expr, $b:expr) => {
        match (&$a, &$b) {
            (a, b) => {
                if a != b {
                    return Err($crate::common::Failure::new(format_args!(
                        "{}:{}: {} == {} failed: {:?} != {:?}", file!(), line!(), stringify!($a), stringify!($b), a, b
                    )));
                }
            }
        }
    };
    ($a:expr, $b:expr, $($arg:tt)+) => {
        match (&$a, &$b) {
            (a, b) => {
                if a != b {
                    return Err($crate::common::Failure::new(format_args!(
                        "{}:{}: {}: {:?} != {:?}", file!(), line!(), format_args!($($arg)+), a, b
                    )));
                }
            }
        }
    };
}

static PASSED: AtomicU32 = AtomicU32::new(0);
static FAILED: AtomicU32 = AtomicU32::new(0);
static SKIPPED: AtomicU32 = AtomicU32::new(0);

pub type Test = (&'static str, fn() -> TestResult);

/// Runs the tests, printing one line each. With `STRAND_TEST=<text>` in the environment only
/// the tests whose names contain `<text>` run (for chasing one test under QEMU).
pub fn run_tests(area: &str, tests: &[Test]) {
    let only = strand::env::var("STRAND_TEST").and_then(|v| v.to_str().ok());
    for (name, f) in tests {
        if only.is_some_and(|o| !name.contains(o)) {
            continue;
        }
        record(area, name, f());
    }
}

pub fn record(area: &str, name: &str, r: TestResult) {
    match r {
        Ok(()) => {
            PASSED.fetch_add(1, Relaxed);
            strand::println!("test {area}::{name} ... ok");
        }
        Err(e) if e.skip => {
            SKIPPED.fetch_add(1, Relaxed);
            strand::println!("test {area}::{name} ... skipped: {}", e.as_str());
        }
        Err(e) => {
            FAILED.fetch_add(1, Relaxed);
            strand::println!("test {area}::{name} ... FAILED: {}", e.as_str());
        }
    }
}

/// Prints the closing line and returns the exit code.
pub fn summary() -> i32 {
    let (p, f, s) = (PASSED.load(Relaxed), FAILED.load(Relaxed), SKIPPED.load(Relaxed));
    if s == 0 {
        strand::println!("{p} passed, {f} failed");
    } else {
        strand::println!("{p} passed, {f} failed, {s} skipped");
    }
    if f == 0 { 0 } else { 1 }
}

/// Runs the tests and returns the exit code for `main`.
pub fn run(area: &str, tests: &[Test]) -> i32 {
    run_tests(area, tests);
    summary()
}

/// Counts the lines of a small procfs file (e.g. /proc/self/maps: one line per mapping).
pub fn count_lines(path: &core::ffi::CStr) -> usize {
    let fd = syscall::open(path, 0).expect("open");
    let mut buf = [0u8; 4096];
    let mut lines = 0;
    loop {
        match syscall::read(fd, &mut buf) {
            Ok(0) => break,
            Ok(n) => lines += buf[..n].iter().filter(|&&b| b == b'\n').count(),
            Err(strand::Errno::EINTR) => {}
            Err(e) => panic!("read {path:?}: {e}"),
        }
    }
    let _ = syscall::close(fd);
    lines
}

pub fn maps_count() -> usize {
    count_lines(c"/proc/self/maps")
}

/// The mapping count once strand's cache of finished threads' stacks is given back, so that
/// counts taken before and after some spawning compare what was leaked, not what was cached.
pub fn settled_maps_count() -> usize {
    strand::thread::release_cached_stacks();
    maps_count()
}

/// Polls `f` until it returns true, for at most `secs` seconds. For waiting on things the
/// kernel finishes asynchronously (a detached thread's munmap), never for timing.
pub fn eventually(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let start = strand::time::Instant::now();
    loop {
        if f() {
            return true;
        }
        if start.elapsed() > core::time::Duration::from_secs(secs) {
            return f();
        }
        strand::thread::sleep(core::time::Duration::from_millis(1));
    }
}

/// A one-shot gate threads wait at until it is opened (futex based).
pub struct Gate(AtomicU32);

impl Gate {
    pub const fn new() -> Gate {
        Gate(AtomicU32::new(0))
    }
    pub fn wait(&self) {
        while self.0.load(core::sync::atomic::Ordering::Acquire) == 0 {
            strand::futex::wait_private(&self.0, 0, None);
        }
    }
    pub fn open(&self) {
        self.0.store(1, core::sync::atomic::Ordering::Release);
        strand::futex::wake_private(&self.0, u32::MAX);
    }
}

/// The scheduler state letter of thread `tid` of this process (`R`, `S`, `D`, ...), from
/// /proc/self/task/<tid>/stat (man 5 proc_pid_stat: the field after the parenthesised name).
/// How a test knows that a thread sleeps (in a futex wait, say). Async-signal-safe: open, read
/// and close only.
pub fn thread_state(tid: i32) -> Option<u8> {
    let mut path = [0u8; 48];
    let mut len = 0;
    let mut push = |b: &[u8]| {
        path[len..len + b.len()].copy_from_slice(b);
        len += b.len();
    };
    push(b"/proc/self/task/");
    let mut digits = [0u8; 10];
    let mut n = tid as u32;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    push(&digits[i..]);
    push(b"/stat\0");
    let path = core::ffi::CStr::from_bytes_with_nul(&path[..len]).ok()?;
    let mut buf = [0u8; 512];
    let text = syscall::read_file(path, &mut buf).ok()?;
    // The name may contain ')' itself: the state follows the last one.
    let close = text.iter().rposition(|&b| b == b')')?;
    text.get(close + 2).copied()
}
