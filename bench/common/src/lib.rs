//! The workloads of `cargo xtask bench`, written once for every Rust competitor (std on glibc and
//! on musl, parking_lot and spin on std threads, origin, strand). Each competitor's program
//! implements [`Rt`] (and [`CounterLock`] / [`CondLock`] for its locks) and hands its arguments
//! to [`run`]; so the loop bodies are the same source for all of them. `bench/c/bench.c` mirrors
//! these loops statement for statement with pthreads.
//!
//! Protocol: `prog <workload> [key=value ...]`. The program prints `RESULT <name> <value>` lines,
//! `NOTE <text>` lines and, while spawning up to a limit, `PROGRESS <n>` every 10 threads (so a
//! run that aborts still tells how far it got); it exits 0. A failed check prints `ERROR <text>`
//! and exits 1.
#![no_std]

use core::fmt::{self, Write};
use core::mem::MaybeUninit;
use core::ops::DerefMut;
use core::sync::atomic::Ordering::SeqCst;
use core::sync::atomic::{AtomicU32, AtomicU64};

/// A short formatted message without an allocator.
pub struct Msg {
    buf: [u8; 480],
    len: usize,
}

impl Msg {
    pub fn new() -> Msg {
        Msg { buf: [0; 480], len: 0 }
    }

    pub fn from_fmt(args: fmt::Arguments<'_>) -> Msg {
        let mut m = Msg::new();
        let _ = m.write_fmt(args);
        m
    }

    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("<non-UTF-8 message>")
    }
}

impl Default for Msg {
    fn default() -> Self {
        Msg::new()
    }
}

impl Write for Msg {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        let n = (0..=n).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// What a competitor provides: threads, a clock, futexes, output, files, TLS.
pub trait Rt {
    type Handle: 'static;
    /// The library's own spawn error, reported with its type name and `Debug` form.
    type Error: fmt::Debug;
    /// Starts a thread running `f(arg)`. `stack: None` is the library's default and its plainest
    /// API (for std: `thread::spawn`, which panics when it cannot spawn).
    fn spawn(stack: Option<usize>, f: fn(usize), arg: usize) -> Result<Self::Handle, Self::Error>;
    fn join(h: Self::Handle);
    fn detach(h: Self::Handle);
    /// CLOCK_MONOTONIC in nanoseconds.
    fn now_ns() -> u64;
    /// Private futex wait: sleeps while `*word == expected` (any early return is fine).
    fn futex_wait(word: &AtomicU32, expected: u32);
    fn futex_wake(word: &AtomicU32, n: u32);
    fn write_stdout(bytes: &[u8]);
    /// Feeds the file to `sink` chunk by chunk; false if it cannot be opened.
    fn read_file(path: &core::ffi::CStr, sink: &mut dyn FnMut(&[u8])) -> bool;
    /// `n` slots for handles, touched, kept until the process exits.
    fn handle_slots(n: usize) -> &'static mut [MaybeUninit<Self::Handle>];
    /// Adds one to this thread's thread-local counter (the competitor's usual TLS).
    fn tls_bump();
    fn tls_get() -> u64;
}

/// A counter behind the competitor's mutex.
pub trait CounterLock: Sync {
    fn new() -> Self;
    /// lock, `+= 1`, `work(units)` (the critical section's length), unlock.
    fn incr(&self, units: u32);
    fn get(&self) -> u64;
}

/// `units` dependent multiply-adds the compiler cannot drop or merge (an empty `asm!` takes the
/// value through a register each step), about 1 ns each on a 3 GHz core (a 64-bit multiply's
/// 3-cycle latency): the work inside a critical section. bench.c's `work` is the same loop.
#[inline(always)]
pub fn work(units: u32) {
    let mut x = 1u64;
    for _ in 0..units {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        // SAFETY: an empty instruction sequence: only keeps `x` opaque to the optimiser.
        unsafe { core::arch::asm!("/* {0} */", inout(reg) x, options(nomem, nostack, preserves_flags)) };
    }
}

/// A `u32` behind the competitor's mutex, with its condition variable.
pub trait CondLock: Sync {
    type Guard<'a>: DerefMut<Target = u32>
    where
        Self: 'a;
    fn new() -> Self;
    fn lock(&self) -> Self::Guard<'_>;
    fn wait<'a>(&'a self, g: Self::Guard<'a>) -> Self::Guard<'a>;
    fn notify_one(&self);
}

/// A two-way hand-over between two threads (a semaphore pair, a channel pair): `ping` passes
/// the turn to the other thread and waits for it back; `pong` waits for the turn and passes it
/// back. The pong end is moved to the other thread.
pub trait HandOff {
    type Ping;
    type Pong: Send;
    fn make() -> (Self::Ping, Self::Pong);
    fn ping(p: &mut Self::Ping, round: u64);
    fn pong(p: &mut Self::Pong);
}

/// A counter behind the competitor's reader-writer lock.
pub trait RwCounter: Sync {
    fn new() -> Self;
    /// read lock, read the value, unlock.
    fn read(&self) -> u64;
    /// write lock, `+= 1`, unlock.
    fn incr(&self);
}

/// The parsed command line: the workload and its `key=value` settings.
pub struct Args<'a> {
    pub workload: &'a str,
    kv: [(&'a str, &'a str); 16],
    n: usize,
}

impl<'a> Args<'a> {
    /// `argv` without the program name.
    pub fn parse(argv: &[&'a str]) -> Args<'a> {
        let mut a = Args { workload: argv.first().copied().unwrap_or(""), kv: [("", ""); 16], n: 0 };
        for s in argv.iter().skip(1) {
            if let Some((k, v)) = s.split_once('=') {
                if a.n < a.kv.len() {
                    a.kv[a.n] = (k, v);
                    a.n += 1;
                }
            }
        }
        a
    }

    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.kv[..self.n].iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    pub fn num(&self, key: &str, default: u64) -> u64 {
        self.get(key).and_then(|v| v.parse().ok()).unwrap_or(default)
    }

    /// `stack=<bytes>`; absent or 0 means the library's default.
    pub fn stack(&self) -> Option<usize> {
        Some(self.num("stack", 0) as usize).filter(|&s| s != 0)
    }
}

pub fn print<R: Rt>(args: fmt::Arguments<'_>) {
    let mut m = Msg::from_fmt(args);
    let _ = m.write_str("\n");
    R::write_stdout(m.as_str().as_bytes());
}

/// A spawn error as `<type>: <Debug>`.
struct Failed<'a, R: Rt>(&'a R::Error);

impl<R: Rt> fmt::Display for Failed<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}", core::any::type_name::<R::Error>(), self.0)
    }
}

fn result<R: Rt>(name: &str, value: f64) {
    print::<R>(format_args!("RESULT {name} {value:.3}"));
}

fn error<R: Rt>(args: fmt::Arguments<'_>) -> i32 {
    print::<R>(format_args!("ERROR {args}"));
    1
}

/// Runs a thread workload; `locks` runs the lock workloads for the `lock=` the program was given.
pub fn run<R: Rt>(argv: &[&str], locks: impl FnOnce(&Args) -> Option<i32>) -> i32 {
    let a = Args::parse(argv);
    let iters = a.num("iters", 1000);
    match a.workload {
        "spawn_join" => spawn_join::<R>(iters, a.stack(), a.num("others", 0) as usize),
        "detached" => detached::<R>(iters),
        "one_thread" => one_thread::<R>(),
        "nothing" => 0,
        "idle" => idle_memory::<R>(a.num("threads", 1000) as usize, a.stack()),
        "max_threads" => max_threads::<R>(a.num("limit", 30_000) as usize, a.stack()),
        "tls" => tls::<R>(iters),
        "futex_pingpong" => run_pingpong::<R, FutexTurn<R>>(&a),
        "lock" | "contended" | "pingpong" | "sem_pingpong" | "chan_pingpong" | "rw_read" | "rw_contended" => match locks(&a) {
            Some(code) => code,
            None => error::<R>(format_args!("lock '{}' is not available here", a.get("lock").unwrap_or("?"))),
        },
        w => error::<R>(format_args!("unknown workload '{w}'")),
    }
}

/// The lock workloads for one mutex type.
pub fn run_lock<R: Rt, L: CounterLock>(a: &Args) -> i32 {
    let iters = a.num("iters", 1000);
    match a.workload {
        "lock" => uncontended::<R, L>(iters),
        "contended" => contended::<R, L>(a.num("threads", 2) as usize, iters, a.num("work", 0) as u32),
        w => error::<R>(format_args!("workload '{w}' needs a condition variable")),
    }
}

/// The reader-writer lock workloads for one lock type.
pub fn run_rwlock<R: Rt, L: RwCounter>(a: &Args) -> i32 {
    let iters = a.num("iters", 1000);
    match a.workload {
        "rw_read" => rw_uncontended::<R, L>(iters),
        "rw_contended" => rw_contended::<R, L>(a.num("threads", 2) as usize, iters, a.num("write_pct", 1)),
        w => error::<R>(format_args!("workload '{w}' is not a reader-writer lock workload")),
    }
}

/// The condition-variable workload for one mutex + condvar pair.
pub fn run_cond<R: Rt, C: CondLock>(a: &Args) -> i32 {
    match a.workload {
        "pingpong" => pingpong::<R, C>(a.num("iters", 1000), a.num("relock", 0) != 0),
        w => error::<R>(format_args!("workload '{w}' is not a condition-variable workload")),
    }
}

// ---- threads -------------------------------------------------------------------------------

fn noop(_: usize) {}

/// Idle threads: count themselves in, then sleep until `IDLE_STOP`.
static IDLE_STARTED: AtomicU32 = AtomicU32::new(0);
static IDLE_STOP: AtomicU32 = AtomicU32::new(0);

fn idle_body<R: Rt>(_: usize) {
    IDLE_STARTED.fetch_add(1, SeqCst);
    R::futex_wake(&IDLE_STARTED, 1);
    while IDLE_STOP.load(SeqCst) == 0 {
        R::futex_wait(&IDLE_STOP, 0);
    }
}

/// Waits until `n` idle threads have started.
fn wait_idle_started<R: Rt>(n: u32) {
    loop {
        let s = IDLE_STARTED.load(SeqCst);
        if s >= n {
            return;
        }
        R::futex_wait(&IDLE_STARTED, s);
    }
}

fn stop_idle<R: Rt>(slots: &mut [MaybeUninit<R::Handle>]) {
    IDLE_STOP.store(1, SeqCst);
    R::futex_wake(&IDLE_STOP, i32::MAX as u32);
    for s in slots {
        // SAFETY: the caller passes only the slots it filled, each once.
        R::join(unsafe { s.assume_init_read() });
    }
}

/// Spawns `n` idle threads with `stack`; the filled slots, or an error code.
fn start_idle<R: Rt>(n: usize, stack: Option<usize>) -> Result<&'static mut [MaybeUninit<R::Handle>], i32> {
    let slots = R::handle_slots(n);
    for (i, s) in slots.iter_mut().enumerate() {
        match R::spawn(stack, idle_body::<R>, 0) {
            Ok(h) => {
                s.write(h);
            }
            Err(e) => return Err(error::<R>(format_args!("spawning idle thread {i} failed: {}", Failed::<R>(&e)))),
        }
    }
    wait_idle_started::<R>(n as u32);
    Ok(slots)
}

#[inline(always)]
fn spawn_join_once<R: Rt>(stack: Option<usize>) -> Result<(), i32> {
    match R::spawn(stack, noop, 0) {
        Ok(h) => {
            R::join(h);
            Ok(())
        }
        Err(e) => Err(error::<R>(format_args!("spawn failed: {}", Failed::<R>(&e)))),
    }
}

/// 1 and 9: spawn+join of a no-op thread, with `others` idle threads alive.
fn spawn_join<R: Rt>(iters: u64, stack: Option<usize>, others: usize) -> i32 {
    let idle = match start_idle::<R>(others, Some(64 << 10)) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let warm = iters / 10 + 1;
    for _ in 0..warm {
        if let Err(code) = spawn_join_once::<R>(stack) {
            return code;
        }
    }
    let t0 = R::now_ns();
    for _ in 0..iters {
        if let Err(code) = spawn_join_once::<R>(stack) {
            return code;
        }
    }
    let t1 = R::now_ns();
    result::<R>("ns_per_op", (t1 - t0) as f64 / iters as f64);
    stop_idle::<R>(idle);
    0
}

static DETACHED_DONE: AtomicU64 = AtomicU64::new(0);
static DETACHED_TARGET: AtomicU64 = AtomicU64::new(0);
static DETACHED_ALL: AtomicU32 = AtomicU32::new(0);

fn bump<R: Rt>(_: usize) {
    if DETACHED_DONE.fetch_add(1, SeqCst) + 1 == DETACHED_TARGET.load(SeqCst) {
        DETACHED_ALL.store(1, SeqCst);
        R::futex_wake(&DETACHED_ALL, 1);
    }
}

/// 2: detached threads that each bump an atomic and exit; until the last one has bumped.
fn detached<R: Rt>(iters: u64) -> i32 {
    DETACHED_TARGET.store(iters, SeqCst);
    let t0 = R::now_ns();
    for _ in 0..iters {
        match R::spawn(None, bump::<R>, 0) {
            Ok(h) => R::detach(h),
            Err(e) => return error::<R>(format_args!("spawn failed: {}", Failed::<R>(&e))),
        }
    }
    while DETACHED_ALL.load(SeqCst) == 0 {
        R::futex_wait(&DETACHED_ALL, 0);
    }
    let t1 = R::now_ns();
    result::<R>("ns_per_thread", (t1 - t0) as f64 / iters as f64);
    0
}

/// 3: the whole process is what the launcher times: start, one spawn+join, exit (`nothing`:
/// start and exit only, the floor under it).
fn one_thread<R: Rt>() -> i32 {
    match R::spawn(None, noop, 0) {
        Ok(h) => {
            R::join(h);
            0
        }
        Err(e) => error::<R>(format_args!("spawn failed: {}", Failed::<R>(&e))),
    }
}

/// Resident set size (VmRSS, bytes) and number of mappings of this process.
fn rss_and_maps<R: Rt>() -> (u64, u64) {
    let mut rss_kib = 0u64;
    let mut line = [0u8; 128];
    let mut len = 0;
    R::read_file(c"/proc/self/status", &mut |chunk| {
        for &b in chunk {
            if b == b'\n' {
                if let Some(rest) = line[..len].strip_prefix(b"VmRSS:") {
                    let digits = rest.iter().filter(|c| c.is_ascii_digit());
                    rss_kib = digits.fold(0, |n, &c| n * 10 + (c - b'0') as u64);
                }
                len = 0;
            } else if len < line.len() {
                line[len] = b;
                len += 1;
            }
        }
    });
    let mut maps = 0u64;
    R::read_file(c"/proc/self/maps", &mut |chunk| maps += chunk.iter().filter(|&&b| b == b'\n').count() as u64);
    (rss_kib * 1024, maps)
}

/// 7: RSS and mappings per idle thread.
fn idle_memory<R: Rt>(n: usize, stack: Option<usize>) -> i32 {
    let slots = R::handle_slots(n);
    let (rss0, maps0) = rss_and_maps::<R>();
    for (i, s) in slots.iter_mut().enumerate() {
        match R::spawn(stack, idle_body::<R>, 0) {
            Ok(h) => {
                s.write(h);
            }
            Err(e) => return error::<R>(format_args!("spawning idle thread {i} failed: {}", Failed::<R>(&e))),
        }
    }
    wait_idle_started::<R>(n as u32);
    let (rss1, maps1) = rss_and_maps::<R>();
    result::<R>("rss_bytes_per_thread", rss1.saturating_sub(rss0) as f64 / n as f64);
    result::<R>("maps_per_thread", maps1.saturating_sub(maps0) as f64 / n as f64);
    stop_idle::<R>(slots);
    0
}

/// 7: as many idle threads as will start, up to `limit`; says why it stopped.
fn max_threads<R: Rt>(limit: usize, stack: Option<usize>) -> i32 {
    let slots = R::handle_slots(limit);
    let mut n = 0;
    while n < limit {
        match R::spawn(stack, idle_body::<R>, 0) {
            Ok(h) => {
                slots[n].write(h);
                n += 1;
                if n % 10 == 0 {
                    print::<R>(format_args!("PROGRESS {n}"));
                }
            }
            Err(e) => {
                print::<R>(format_args!("NOTE spawn {} returned an error: {}", n + 1, Failed::<R>(&e)));
                break;
            }
        }
    }
    wait_idle_started::<R>(n as u32);
    result::<R>("threads", n as f64);
    stop_idle::<R>(&mut slots[..n]);
    0
}

/// An optimisation barrier with the meaning of C's `asm volatile("" ::: "memory")`: the counter
/// is loaded and stored on every iteration.
#[inline(always)]
pub fn memory_barrier() {
    // SAFETY: an empty asm statement; without `nomem` the compiler assumes it may read and
    // write any memory, which is the point.
    unsafe { core::arch::asm!("", options(nostack, preserves_flags)) };
}

/// 8: read+write of a thread-local counter.
fn tls<R: Rt>(iters: u64) -> i32 {
    let t0 = R::now_ns();
    for _ in 0..iters {
        R::tls_bump();
        memory_barrier();
    }
    let t1 = R::now_ns();
    if R::tls_get() != iters {
        return error::<R>(format_args!("thread-local counter is {} after {iters} increments", R::tls_get()));
    }
    result::<R>("ns_per_iter", (t1 - t0) as f64 / iters as f64);
    0
}

// ---- locks ---------------------------------------------------------------------------------

/// 4: lock, increment, unlock on one thread.
fn uncontended<R: Rt, L: CounterLock>(iters: u64) -> i32 {
    let l = L::new();
    let warm = iters / 10 + 1;
    for _ in 0..warm {
        l.incr(0);
    }
    let t0 = R::now_ns();
    for _ in 0..iters {
        l.incr(0);
    }
    let t1 = R::now_ns();
    if l.get() != warm + iters {
        return error::<R>(format_args!("counter is {}, expected {}", l.get(), warm + iters));
    }
    result::<R>("ns_per_op", (t1 - t0) as f64 / iters as f64);
    0
}

struct Contended<L> {
    lock: L,
    go: AtomicU32,
    iters: u64,
    work: u32,
}

fn contender<R: Rt, L: CounterLock>(arg: usize) {
    // SAFETY: `contended` passes its own `Contended` and joins this thread before it returns.
    let c = unsafe { &*(arg as *const Contended<L>) };
    while c.go.load(SeqCst) == 0 {
        R::futex_wait(&c.go, 0);
    }
    for _ in 0..c.iters {
        c.lock.incr(c.work);
    }
}

/// 5: `threads` threads each do `iters` lock/increment/unlock on one counter, with `work`
/// units (see `work`) inside each critical section.
fn contended<R: Rt, L: CounterLock>(threads: usize, iters: u64, work: u32) -> i32 {
    let c = Contended { lock: L::new(), go: AtomicU32::new(0), iters, work };
    let slots = R::handle_slots(threads);
    for s in slots.iter_mut() {
        match R::spawn(None, contender::<R, L>, &c as *const Contended<L> as usize) {
            Ok(h) => {
                s.write(h);
            }
            Err(e) => return error::<R>(format_args!("spawn failed: {}", Failed::<R>(&e))),
        }
    }
    let t0 = R::now_ns();
    c.go.store(1, SeqCst);
    R::futex_wake(&c.go, i32::MAX as u32);
    for s in slots.iter_mut() {
        // SAFETY: every slot was filled above, and is read once.
        R::join(unsafe { s.assume_init_read() });
    }
    let t1 = R::now_ns();
    let expected = threads as u64 * iters;
    if c.lock.get() != expected {
        return error::<R>(format_args!("counter is {}, expected {expected}", c.lock.get()));
    }
    result::<R>("ms", (t1 - t0) as f64 / 1e6);
    0
}

struct PingPong<C> {
    cond: C,
    rounds: u64,
    relock: bool,
}

/// One side of the ping-pong: wait for my turn, hand the turn over, notify. Either holding the
/// lock across all rounds (it is let go only inside `wait`), or (`relock`) taking it afresh for
/// each pass and letting it go after the notify, as most code written against a condvar does.
fn side<C: CondLock>(c: &C, me: u32, rounds: u64, relock: bool) {
    if relock {
        for _ in 0..rounds {
            let mut g = c.lock();
            while *g != me {
                g = c.wait(g);
            }
            *g = 1 - me;
            c.notify_one();
            drop(g);
        }
        return;
    }
    let mut g = c.lock();
    for _ in 0..rounds {
        while *g != me {
            g = c.wait(g);
        }
        *g = 1 - me;
        c.notify_one();
    }
    drop(g);
}

fn pong<C: CondLock>(arg: usize) {
    // SAFETY: `pingpong` passes its own `PingPong` and joins this thread before it returns.
    let p = unsafe { &*(arg as *const PingPong<C>) };
    side(&p.cond, 1, p.rounds, p.relock);
}

/// 6: condition-variable ping-pong between two threads; ns per round trip.
fn pingpong<R: Rt, C: CondLock>(rounds: u64, relock: bool) -> i32 {
    let p = PingPong { cond: C::new(), rounds, relock };
    let h = match R::spawn(None, pong::<C>, &p as *const PingPong<C> as usize) {
        Ok(h) => h,
        Err(e) => return error::<R>(format_args!("spawn failed: {}", Failed::<R>(&e))),
    };
    let t0 = R::now_ns();
    side(&p.cond, 0, rounds, relock);
    R::join(h);
    let t1 = R::now_ns();
    result::<R>("ns_per_round_trip", (t1 - t0) as f64 / rounds as f64);
    0
}

struct HandOver<P: HandOff> {
    pong: P::Pong,
    rounds: u64,
}

fn hand_over_pong<P: HandOff>(arg: usize) {
    // SAFETY: `run_pingpong` passes its own `HandOver`, touches it no more until it has joined
    // this thread, and this thread is its only user meanwhile.
    let h = unsafe { &mut *(arg as *mut HandOver<P>) };
    for _ in 0..h.rounds {
        P::pong(&mut h.pong);
    }
}

/// `sem_pingpong` and `chan_pingpong`: the turn goes to the other thread and back through the
/// competitor's semaphores or channels; ns per round trip (as workload 6).
pub fn run_pingpong<R: Rt, P: HandOff>(a: &Args) -> i32 {
    let rounds = a.num("iters", 1000);
    let (mut ping, pong) = P::make();
    let mut h = HandOver::<P> { pong, rounds };
    let t = match R::spawn(None, hand_over_pong::<P>, &mut h as *mut HandOver<P> as usize) {
        Ok(t) => t,
        Err(e) => return error::<R>(format_args!("spawn failed: {}", Failed::<R>(&e))),
    };
    let t0 = R::now_ns();
    for i in 0..rounds {
        P::ping(&mut ping, i);
    }
    R::join(t);
    let t1 = R::now_ns();
    result::<R>("ns_per_round_trip", (t1 - t0) as f64 / rounds as f64);
    0
}

/// `futex_pingpong`, the kernel's floor under the ping-pongs: the same hand-over with nothing
/// but one futex word, entering the kernel only to sleep and to wake a sleeper, as any primitive
/// must. Bit 0 says whose turn it is; a side that has to wait sets bit 1 before it sleeps, and
/// the side that passes the turn wakes only a word that had bit 1. Run on strand's threads in
/// strand's static process ("raw futex" in the table), it is the floor under strand's rows. (A
/// first floor, in C on glibc, woke on every pass, 3.16 syscalls per round trip, and paid glibc
/// process costs on every switch, rseq among them: strand's condvar ran below it.)
pub struct FutexTurn<R>(core::marker::PhantomData<R>);

static TURN: AtomicU32 = AtomicU32::new(0);

impl<R: Rt> FutexTurn<R> {
    /// Sleeps until the turn is `me`, marking the word first so that the pass wakes us.
    fn wait_for(me: u32) {
        let mut v = TURN.load(SeqCst);
        while v & 1 != me {
            if v & 2 == 0 {
                if let Err(now) = TURN.compare_exchange(v, v | 2, SeqCst, SeqCst) {
                    v = now;
                    continue;
                }
                v |= 2;
            }
            R::futex_wait(&TURN, v);
            v = TURN.load(SeqCst);
        }
    }

    /// Gives the turn to `to`, waking it only if it marked the word.
    fn pass(to: u32) {
        if TURN.swap(to, SeqCst) & 2 != 0 {
            R::futex_wake(&TURN, 1);
        }
    }
}

impl<R: Rt> HandOff for FutexTurn<R> {
    type Ping = ();
    type Pong = ();
    fn make() -> ((), ()) {
        TURN.store(0, SeqCst);
        ((), ())
    }
    fn ping(_: &mut (), _: u64) {
        Self::pass(1);
        Self::wait_for(0);
    }
    fn pong(_: &mut ()) {
        Self::wait_for(1);
        Self::pass(0);
    }
}

// ---- reader-writer locks -------------------------------------------------------------------

/// 13: read lock, read, unlock on one thread.
fn rw_uncontended<R: Rt, L: RwCounter>(iters: u64) -> i32 {
    let l = L::new();
    l.incr();
    let warm = iters / 10 + 1;
    let mut sum = 0u64;
    for _ in 0..warm {
        sum += l.read();
    }
    let t0 = R::now_ns();
    for _ in 0..iters {
        sum += l.read();
    }
    let t1 = R::now_ns();
    if sum != warm + iters {
        return error::<R>(format_args!("read sum is {sum}, expected {}", warm + iters));
    }
    result::<R>("ns_per_op", (t1 - t0) as f64 / iters as f64);
    0
}

struct RwContended<L> {
    lock: L,
    go: AtomicU32,
    iters: u64,
    write_pct: u64,
}

fn rw_contender<R: Rt, L: RwCounter>(arg: usize) {
    // SAFETY: `rw_contended` passes its own `RwContended` and joins this thread before it returns.
    let c = unsafe { &*(arg as *const RwContended<L>) };
    while c.go.load(SeqCst) == 0 {
        R::futex_wait(&c.go, 0);
    }
    let mut sum = 0u64;
    for i in 0..c.iters {
        if i % 100 < c.write_pct {
            c.lock.incr();
        } else {
            sum = sum.wrapping_add(c.lock.read());
        }
    }
    core::hint::black_box(sum);
}

/// 14: `threads` threads each do `iters` operations on one lock, `write_pct` of every 100 of
/// them a write (lock, increment, unlock), the rest reads (lock, read, unlock).
fn rw_contended<R: Rt, L: RwCounter>(threads: usize, iters: u64, write_pct: u64) -> i32 {
    let c = RwContended { lock: L::new(), go: AtomicU32::new(0), iters, write_pct: write_pct.min(100) };
    let slots = R::handle_slots(threads);
    for s in slots.iter_mut() {
        match R::spawn(None, rw_contender::<R, L>, &c as *const RwContended<L> as usize) {
            Ok(h) => {
                s.write(h);
            }
            Err(e) => return error::<R>(format_args!("spawn failed: {}", Failed::<R>(&e))),
        }
    }
    let t0 = R::now_ns();
    c.go.store(1, SeqCst);
    R::futex_wake(&c.go, i32::MAX as u32);
    for s in slots.iter_mut() {
        // SAFETY: every slot was filled above, and is read once.
        R::join(unsafe { s.assume_init_read() });
    }
    let t1 = R::now_ns();
    let per_thread = (0..iters).filter(|i| i % 100 < c.write_pct).count() as u64;
    let expected = threads as u64 * per_thread;
    if c.lock.read() != expected {
        return error::<R>(format_args!("counter is {}, expected {expected}", c.lock.read()));
    }
    result::<R>("ms", (t1 - t0) as f64 / 1e6);
    0
}
