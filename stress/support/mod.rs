//! What every stress program shares on top of the test harness in tests/common: the mode xtask
//! passes on the command line, a seeded PRNG, skips with reasons, a watchdog thread and the
//! closing `N passed, N failed[, N skipped]` line.
//!
//! A stress program never decides for itself whether it runs under an emulator: xtask knows and
//! says so with `--scale qemu`.
#![allow(dead_code)]

use crate::common::{self, Failure, TestResult};
use core::fmt;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use core::cell::UnsafeCell;
use core::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicU8, AtomicUsize, Ordering};
use core::time::Duration;
use strand::thread::{self, SpawnError};
use strand::{syscall, time::Instant};

/// The stress programs' 64-bit counters and values. Where the target has 64-bit atomics this is
/// core's `AtomicU64`; a target without them (mips o32: `max-atomic-width` 32, so core has no
/// `AtomicU64` at all) gets [`LockedU64`]. Chosen by the target's atomic width, not by its
/// architecture.
#[cfg(target_has_atomic = "64")]
pub use core::sync::atomic::AtomicU64;
#[cfg(not(target_has_atomic = "64"))]
pub use LockedU64 as AtomicU64;

/// The part of `AtomicU64`'s interface the stress programs use, on a `u64` behind a one-word
/// spin lock. Every operation is one short critical section, so the orderings hold (each
/// operation is SeqCst). Not for a signal handler: one that interrupted a holder on its own
/// thread would spin forever (the handlers here count in an `AtomicU32`).
pub struct LockedU64 {
    locked: AtomicBool,
    value: UnsafeCell<u64>,
}

// SAFETY: `value` is only touched by the thread that holds `locked`.
unsafe impl Sync for LockedU64 {}

impl LockedU64 {
    pub const fn new(value: u64) -> LockedU64 {
        LockedU64 { locked: AtomicBool::new(false), value: UnsafeCell::new(value) }
    }

    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        let mut spins = 0u32;
        while self.locked.swap(true, Ordering::SeqCst) {
            while self.locked.load(Relaxed) {
                spins += 1;
                if spins % 64 == 0 {
                    // The holder may have been preempted (two cores, many threads).
                    syscall::sched_yield();
                } else {
                    core::hint::spin_loop();
                }
            }
        }
        // SAFETY: the lock is ours until the store below.
        let r = f(unsafe { &mut *self.value.get() });
        self.locked.store(false, Ordering::SeqCst);
        r
    }

    pub fn load(&self, _order: Ordering) -> u64 {
        self.with(|v| *v)
    }

    pub fn store(&self, value: u64, _order: Ordering) {
        self.with(|v| *v = value)
    }

    pub fn fetch_add(&self, delta: u64, _order: Ordering) -> u64 {
        self.with(|v| core::mem::replace(v, v.wrapping_add(delta)))
    }

    pub fn fetch_max(&self, value: u64, _order: Ordering) -> u64 {
        self.with(|v| core::mem::replace(v, (*v).max(value)))
    }
}

/// One stress test: its name, the function, and how many seconds it may take natively in full
/// mode before the watchdog calls it hung (a quarter of that in quick mode, five times as much
/// under QEMU).
pub type Stress = (&'static str, fn() -> TestResult, u64);

static QUICK: AtomicBool = AtomicBool::new(false);
static QEMU: AtomicBool = AtomicBool::new(false);
static SEED: AtomicU64 = AtomicU64::new(0);

/// `--quick`: the CI size of every test.
pub fn quick() -> bool {
    QUICK.load(Relaxed)
}

/// `--scale qemu`: xtask runs us under QEMU user mode: slower, and with a few things (procfs
/// files, resource limits) that describe QEMU's process rather than ours.
pub fn qemu() -> bool {
    QEMU.load(Relaxed)
}

/// Picks a size: full mode natively, full mode under QEMU, quick natively, quick under QEMU.
pub fn size(native: u64, under_qemu: u64, quick_native: u64, quick_qemu: u64) -> u64 {
    match (quick(), qemu()) {
        (false, false) => native,
        (false, true) => under_qemu,
        (true, false) => quick_native,
        (true, true) => quick_qemu,
    }
}

/// A time limit that is generous natively and more so under QEMU (slow, and sharing the CPUs
/// with the other emulated programs xtask may run).
pub fn limit(native: Duration) -> Duration {
    if qemu() { native * 5 } else { native }
}

static WATCHDOG_SELFTEST: AtomicBool = AtomicBool::new(false);

fn parse_args() -> Result<(), Failure> {
    let mut args = strand::env::args().skip(1);
    let mut seed = None;
    while let Some(a) = args.next() {
        match a.to_bytes() {
            b"--quick" => QUICK.store(true, Relaxed),
            b"--watchdog-selftest" => WATCHDOG_SELFTEST.store(true, Relaxed),
            b"--scale" => match args.next().map(|s| s.to_bytes()) {
                Some(b"qemu") => QEMU.store(true, Relaxed),
                Some(b"native") => QEMU.store(false, Relaxed),
                _ => return Err(Failure::new(format_args!("--scale takes 'native' or 'qemu'"))),
            },
            b"--seed" => {
                let v = args.next().and_then(|s| parse_u64(s.to_bytes()));
                seed = Some(v.ok_or_else(|| Failure::new(format_args!("--seed takes a number (decimal or 0x hex)")))?);
            }
            other => {
                return Err(Failure::new(format_args!(
                    "unknown argument {:?} (expected --quick, --scale native|qemu, --seed N, --watchdog-selftest)",
                    core::str::from_utf8(other).unwrap_or("<non-UTF-8>")
                )))
            }
        }
    }
    SEED.store(seed.unwrap_or_else(seed_from_kernel), Relaxed);
    Ok(())
}

/// Parses a decimal or `0x` hexadecimal number.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    let (digits, radix) = match s.strip_prefix(b"0x") {
        Some(hex) => (hex, 16),
        None => (s, 10),
    };
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &c| {
        let d = (c as char).to_digit(radix)? as u64;
        acc.checked_mul(radix as u64)?.checked_add(d)
    })
}

/// AT_RANDOM: 16 bytes the kernel put on our initial stack.
fn seed_from_kernel() -> u64 {
    match strand::rt::random_bytes() {
        Some(b) => {
            let lo = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
            let hi = u64::from_le_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]]);
            lo ^ hi.rotate_left(32)
        }
        // No AT_RANDOM (it has been there since Linux 2.6.29): the clock is better than nothing.
        None => now_ms() ^ 0x5EED_5EED,
    }
}

/// The run's seed (printed at the start, so a failing interleaving's random choices can be
/// replayed with `--seed`; the scheduler's part cannot).
pub fn seed() -> u64 {
    SEED.load(Relaxed)
}

/// SplitMix64: tiny, fast, and good enough to pick delays and choices. Each thread gets its own
/// generator (`fork`), so no state is shared.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator for `stream` (a test's number, a thread's index) derived from the run's seed.
    pub fn for_stream(stream: u64) -> Rng {
        let mut r = Rng(seed() ^ stream.wrapping_mul(0xA24B_AED4_963E_E407));
        r.next();
        r
    }

    /// An independent generator for another thread.
    pub fn fork(&mut self) -> Rng {
        Rng(self.next())
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }

    /// True once in `n` on average.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// Burns about `n` iterations of CPU without a syscall: the small random delays that move one
/// thread's step before or after another's.
#[inline(never)]
pub fn spin(n: u64) {
    for i in 0..n {
        core::hint::black_box(i);
        core::hint::spin_loop();
    }
}

/// A `Failure` for a spawn that should have worked.
pub fn spawn_failed(what: fmt::Arguments<'_>, e: SpawnError) -> Failure {
    Failure::new(format_args!("spawning {what} failed: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Text the watchdog can read while the test thread writes it, without a lock the watchdog could
// block on (the hang it reports might be a lock's).

const TEXT_LEN: usize = 400;

struct Text {
    /// Odd while a writer is copying; the reader retries until it reads the same even value
    /// before and after.
    seq: AtomicU32,
    writer: AtomicBool,
    len: AtomicUsize,
    buf: [AtomicU8; TEXT_LEN],
}

impl Text {
    const fn new() -> Text {
        Text { seq: AtomicU32::new(0), writer: AtomicBool::new(false), len: AtomicUsize::new(0), buf: [const { AtomicU8::new(0) }; TEXT_LEN] }
    }

    fn set(&self, args: fmt::Arguments<'_>) {
        let local = Failure::new(args);
        let s = local.as_str().as_bytes();
        let n = s.len().min(TEXT_LEN);
        while self.writer.swap(true, Acquire) {
            core::hint::spin_loop();
        }
        self.seq.fetch_add(1, AcqRel);
        for (slot, &b) in self.buf.iter().zip(&s[..n]) {
            slot.store(b, Relaxed);
        }
        self.len.store(n, Relaxed);
        self.seq.fetch_add(1, Release);
        self.writer.store(false, Release);
    }

    /// Copies the text into `out`; after a bounded number of torn reads it takes what it got.
    fn get(&self, out: &mut [u8; TEXT_LEN]) -> usize {
        let mut len = 0;
        for _ in 0..1000 {
            let before = self.seq.load(Acquire);
            len = self.len.load(Relaxed).min(TEXT_LEN);
            for (o, slot) in out.iter_mut().zip(&self.buf[..len]) {
                *o = slot.load(Relaxed);
            }
            fence(Acquire);
            if before % 2 == 0 && self.seq.load(Relaxed) == before {
                break;
            }
        }
        len
    }
}

static TEST_NAME: Text = Text::new();
static WAITING_FOR: Text = Text::new();
static SKIP_REASON: Text = Text::new();
static SKIPPING: AtomicBool = AtomicBool::new(false);
/// CLOCK_MONOTONIC milliseconds after which the current test counts as hung; 0 while none runs.
static DEADLINE_MS: AtomicU64 = AtomicU64::new(0);
static BUDGET_S: AtomicU64 = AtomicU64::new(0);
static PASSED: AtomicU32 = AtomicU32::new(0);
static FAILED: AtomicU32 = AtomicU32::new(0);
static SKIPPED: AtomicU32 = AtomicU32::new(0);

fn now_ms() -> u64 {
    let ts = syscall::clock_gettime(strand::arch::sys::general::CLOCK_MONOTONIC).expect("clock_gettime");
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
}

/// Tells the watchdog what the current test waits for, so that a hang is reported with it.
pub fn waiting_for(args: fmt::Arguments<'_>) {
    WAITING_FOR.set(args);
}

/// Ends the current test as skipped, with the reason printed on its line.
pub fn skip(reason: fmt::Arguments<'_>) -> TestResult {
    SKIP_REASON.set(reason);
    SKIPPING.store(true, Release);
    Ok(())
}

/// An informational line under the current test (counts, measured timings).
#[macro_export]
macro_rules! note {
    ($($arg:tt)+) => { strand::println!("    note: {}", format_args!($($arg)+)) };
}

fn watchdog() {
    loop {
        thread::sleep(Duration::from_millis(100));
        let deadline = DEADLINE_MS.load(Acquire);
        if deadline != 0 && now_ms() > deadline {
            fire("");
        }
    }
}

/// The current test hung: say which and what it was waiting for, close the report the way xtask
/// parses it, and end the process. Writes straight to fd 1: a hung thread may hold the lock that
/// `println!` takes. Async-signal-safe (atomics, a stack buffer, write, exit_group): the
/// backstop calls it from a signal handler.
fn fire(by: &str) -> ! {
    let (mut name, mut what) = ([0u8; TEXT_LEN], [0u8; TEXT_LEN]);
    let n = TEST_NAME.get(&mut name);
    let w = WAITING_FOR.get(&mut what);
    fn text(b: &[u8]) -> &str {
        core::str::from_utf8(b).unwrap_or("<non-UTF-8>")
    }
    let line = Failure::new(format_args!(
        "\ntest {} ... FAILED: watchdog: no result after {} s; it was waiting for: {}{by}\n",
        text(&name[..n]),
        BUDGET_S.load(Relaxed),
        text(&what[..w])
    ));
    let _ = syscall::write_all(1, line.as_str().as_bytes());
    FAILED.fetch_add(1, Relaxed);
    let _ = syscall::write_all(1, closing_line().as_str().as_bytes());
    syscall::exit_group(3)
}

fn closing_line() -> Failure {
    let (p, f, s) = (PASSED.load(Relaxed), FAILED.load(Relaxed), SKIPPED.load(Relaxed));
    if s == 0 {
        Failure::new(format_args!("{p} passed, {f} failed\n"))
    } else {
        Failure::new(format_args!("{p} passed, {f} failed, {s} skipped\n"))
    }
}

/// How much later than the watchdog thread the backstop fires.
const BACKSTOP_GRACE_S: u64 = 10;

/// The backstop for a watchdog thread that cannot run: a stop-the-world that never completes
/// has the watchdog thread stopped too (parked in the control signal's handler with every signal
/// blocked). A SIGALRM from a per-test interval timer reaches whichever thread does not block it
/// (the stopper, at least) and reports the hang the same way.
fn on_backstop_alarm(_: &strand::signal::SigInfo, _: &mut strand::signal::Context) {
    fire(" (reported by the SIGALRM backstop: the watchdog thread itself could not run, e.g. stopped by a stop that never completed)")
}

/// Installs the backstop's handler; without it a hang is still ended by xtask's hard limit.
fn install_backstop() {
    let _ = strand::signal::set_handler(strand::signal::Signal::ALRM, strand::signal::Handler::Function(on_backstop_alarm));
}

/// Arms the process's real-time interval timer to fire once after `secs` seconds (0 disarms).
fn arm_backstop(secs: u64) {
    // struct itimerval: { it_interval, it_value }, each a struct timeval whose tv_sec is a long
    // on every ABI; tv_usec is a long or (sparc64) an int padded to a long, so with whole seconds
    // (tv_usec 0) four longs have the layout everywhere.
    let value: [isize; 4] = [0, 0, secs.min(isize::MAX as u64) as isize, 0];
    // SAFETY: setitimer(ITIMER_REAL = 0, new, old = null) reads one live itimerval.
    let _ = unsafe {
        strand::arch::syscall3(strand::arch::sys::general::__NR_setitimer as usize, 0, value.as_ptr() as usize, 0)
    };
}

/// What xtask's check of the watchdog runs (`--watchdog-selftest`): a wait that never ends.
/// The watchdog must end the program with exit status 3, naming the test and this wait.
fn hang() -> TestResult {
    let word = AtomicU32::new(0);
    waiting_for(format_args!("a futex wake that never comes (watchdog self-test)"));
    loop {
        strand::futex::wait_private(&word, 0, None);
    }
}

/// Runs the tests under the watchdog and returns the exit code for `main`.
pub fn run(area: &'static str, tests: &[Stress]) -> i32 {
    if let Err(e) = parse_args() {
        strand::eprintln!("{area}: {}", e.as_str());
        return 2;
    }
    strand::println!(
        "{area}: {} mode, {} scale, seed {:#x} (replay the random choices with --seed)",
        if quick() { "quick" } else { "full" },
        if qemu() { "qemu" } else { "native" },
        seed()
    );
    match thread::Builder::new().name("watchdog").stack_size(64 << 10).spawn(watchdog) {
        Ok(h) => h.detach(),
        Err(e) => {
            strand::println!("{area}: cannot start the watchdog thread: {e}");
            return 1;
        }
    }
    install_backstop();
    let selftest: &[Stress] = &[("watchdog_selftest", hang, 1)];
    let tests = if WATCHDOG_SELFTEST.load(Relaxed) { selftest } else { tests };
    for &(name, f, secs) in tests {
        // Quick runs are about a tenth of the work: a quarter of the time is still generous.
        let budget = limit(Duration::from_secs(if quick() { secs.div_ceil(4) } else { secs }));
        SKIPPING.store(false, Release);
        TEST_NAME.set(format_args!("{area}::{name}"));
        WAITING_FOR.set(format_args!("the test's own work (no wait announced)"));
        BUDGET_S.store(budget.as_secs(), Relaxed);
        DEADLINE_MS.store(now_ms() + budget.as_millis() as u64, Release);
        arm_backstop(budget.as_secs() + BACKSTOP_GRACE_S);
        let start = Instant::now();
        let r = f();
        arm_backstop(0);
        DEADLINE_MS.store(0, Release);
        let took = start.elapsed();
        if r.is_ok() && SKIPPING.load(Acquire) {
            SKIPPED.fetch_add(1, Relaxed);
            let mut reason = [0u8; TEXT_LEN];
            let n = SKIP_REASON.get(&mut reason);
            strand::println!("test {area}::{name} ... skipped: {}", core::str::from_utf8(&reason[..n]).unwrap_or("?"));
        } else {
            if r.is_ok() { &PASSED } else { &FAILED }.fetch_add(1, Relaxed);
            common::record(area, name, r);
        }
        strand::println!("    took {}.{:03} s", took.as_secs(), took.subsec_millis());
    }
    strand::print!("{}", closing_line().as_str());
    if FAILED.load(Relaxed) == 0 { 0 } else { 1 }
}

// ---------------------------------------------------------------------------------------------
// What a thread costs: mappings and resident memory.

/// Resident pages (`/proc/self/statm`, second field).
pub fn rss_pages() -> usize {
    let mut buf = [0u8; 256];
    let Ok(text) = syscall::read_file(c"/proc/self/statm", &mut buf) else { return 0 };
    text.split(|&b| b == b' ').nth(1).and_then(parse_u64).unwrap_or(0) as usize
}

/// The mapping count and resident pages with strand's stack cache given back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    pub maps: usize,
    pub rss_pages: usize,
}

pub fn usage() -> Usage {
    thread::release_cached_stacks();
    Usage { maps: common::maps_count(), rss_pages: rss_pages() }
}

/// A value from a `Key:   123 kB` line of `/proc/self/status`, in kB.
pub fn status_kb(key: &str) -> Option<u64> {
    let mut buf = [0u8; 4096];
    let text = syscall::read_file(c"/proc/self/status", &mut buf).ok()?;
    text.split(|&b| b == b'\n').find_map(|line| {
        let rest = line.strip_prefix(key.as_bytes())?.strip_prefix(b":")?;
        let digits: &[u8] = rest.trim_ascii().split(|&b| b == b' ').next()?;
        parse_u64(digits)
    })
}

// ---------------------------------------------------------------------------------------------
// CPU placement, for tests that need two threads truly running at the same time.

const MASK_WORDS: usize = 16;

/// The CPUs this thread may run on (its affinity mask), lowest first, at most `N`.
pub fn allowed_cpus<const N: usize>() -> ([usize; N], usize) {
    let mut mask = [0usize; MASK_WORDS];
    let mut out = [0usize; N];
    let mut n = 0;
    if syscall::sched_getaffinity(&mut mask).is_ok() {
        for cpu in 0..MASK_WORDS * usize::BITS as usize {
            if n < N && mask[cpu / usize::BITS as usize] & (1 << (cpu % usize::BITS as usize)) != 0 {
                out[n] = cpu;
                n += 1;
            }
        }
    }
    (out, n)
}

/// Moves the calling thread to `cpu` (it stays there; threads it spawns inherit the mask).
pub fn pin_to_cpu(cpu: usize) -> Result<(), strand::Errno> {
    let mut mask = [0usize; MASK_WORDS];
    mask[cpu / usize::BITS as usize] |= 1 << (cpu % usize::BITS as usize);
    // SAFETY: sched_setaffinity(0 = this thread, size, mask) only reads the live mask array.
    let r = unsafe {
        strand::arch::syscall3(
            strand::arch::sys::general::__NR_sched_setaffinity as usize,
            0,
            core::mem::size_of_val(&mask),
            mask.as_ptr() as usize,
        )
    };
    strand::Errno::result(r).map(drop)
}
