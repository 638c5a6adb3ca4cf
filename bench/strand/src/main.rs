//! The workloads on strand: `strand::thread`, `strand::sync::{Mutex, Condvar}`, `strand::futex`,
//! `#[thread_local]`, and strand's global allocator (workload 17). Built for
//! x86_64-unknown-linux-musl like strand's examples and tests (the flags in .cargo/config.toml),
//! with `-Zbuild-std=core,alloc,compiler_builtins` for the allocator workload.
#![no_std]
#![no_main]
#![feature(thread_local)]

extern crate alloc;

use bench_common::{CondLock, CounterLock, HandOff, Rt, RwCounter};
use core::ffi::CStr;
use core::mem::{size_of, MaybeUninit};
use core::sync::atomic::AtomicU32;
use linux_raw_sys::general::{CLOCK_MONOTONIC, O_RDONLY, PROT_READ, PROT_WRITE};
use strand::sync::channel::{Channel, Receiver, Sender};
use strand::sync::{Condvar, Mutex, MutexGuard, PiMutex, RwLock, Semaphore};
use strand::thread::{Builder, JoinHandle, SpawnError};
use strand::{futex, syscall, Errno};

mod alloc_bench;
mod control;

strand::main!(main);

#[thread_local]
static mut TLS_COUNTER: u64 = 0;

struct Strand;

impl Rt for Strand {
    type Handle = JoinHandle<()>;
    type Error = SpawnError;

    fn spawn(stack: Option<usize>, f: fn(usize), arg: usize) -> Result<JoinHandle<()>, SpawnError> {
        match stack {
            None => strand::thread::spawn(move || f(arg)),
            Some(s) => Builder::new().stack_size(s).spawn(move || f(arg)),
        }
    }

    fn join(h: JoinHandle<()>) {
        h.join().expect("the bench never joins a thread from itself");
    }

    fn detach(h: JoinHandle<()>) {
        h.detach();
    }

    fn now_ns() -> u64 {
        let ts = syscall::clock_gettime(CLOCK_MONOTONIC).expect("clock_gettime");
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }

    fn futex_wait(word: &AtomicU32, expected: u32) {
        futex::wait_private(word, expected, None);
    }

    fn futex_wake(word: &AtomicU32, n: u32) {
        futex::wake_private(word, n);
    }

    fn write_stdout(bytes: &[u8]) {
        let _ = syscall::write_all(1, bytes);
    }

    fn read_file(path: &CStr, sink: &mut dyn FnMut(&[u8])) -> bool {
        let Ok(fd) = syscall::open(path, O_RDONLY) else { return false };
        let mut buf = [0u8; 4096];
        loop {
            match syscall::read(fd, &mut buf) {
                Ok(0) => break,
                Ok(n) => sink(&buf[..n]),
                Err(Errno::EINTR) => {}
                Err(_) => break,
            }
        }
        let _ = syscall::close(fd);
        true
    }

    fn handle_slots(n: usize) -> &'static mut [MaybeUninit<JoinHandle<()>>] {
        let len = (n * size_of::<JoinHandle<()>>()).max(1);
        let p = syscall::mmap_anon(len, PROT_READ | PROT_WRITE, 0).expect("mmap for handle slots");
        // SAFETY: a fresh read-write mapping of `len` bytes, never unmapped; zeroing touches it.
        unsafe {
            core::ptr::write_bytes(p, 0, len);
            core::slice::from_raw_parts_mut(p as *mut MaybeUninit<JoinHandle<()>>, n)
        }
    }

    #[inline]
    fn tls_bump() {
        // SAFETY: this thread's own copy; nothing else refers to it.
        unsafe { TLS_COUNTER += 1 };
    }

    fn tls_get() -> u64 {
        // SAFETY: as above.
        unsafe { TLS_COUNTER }
    }
}

struct StrandLock(Mutex<u64>);

impl CounterLock for StrandLock {
    fn new() -> Self {
        StrandLock(Mutex::new(0))
    }
    #[inline]
    fn incr(&self, units: u32) {
        let mut g = self.0.lock();
        *g += 1;
        bench_common::work(units);
    }
    fn get(&self) -> u64 {
        *self.0.lock()
    }
}

/// `lock=strand-pi`: the priority-inheritance mutex, whose uncontended path must cost what the
/// plain one's does.
struct StrandPiLock(PiMutex<u64>);

impl CounterLock for StrandPiLock {
    fn new() -> Self {
        StrandPiLock(PiMutex::new(0))
    }
    #[inline]
    fn incr(&self, units: u32) {
        let mut g = self.0.lock();
        *g += 1;
        bench_common::work(units);
    }
    fn get(&self) -> u64 {
        *self.0.lock()
    }
}

struct StrandRw(RwLock<u64>);

impl RwCounter for StrandRw {
    fn new() -> Self {
        StrandRw(RwLock::new(0))
    }
    #[inline]
    fn read(&self) -> u64 {
        *self.0.read()
    }
    #[inline]
    fn incr(&self) {
        *self.0.write() += 1;
    }
}

struct StrandCond(Mutex<u32>, Condvar);

impl CondLock for StrandCond {
    type Guard<'a> = MutexGuard<'a, u32>;
    fn new() -> Self {
        StrandCond(Mutex::new(0), Condvar::new())
    }
    fn lock(&self) -> Self::Guard<'_> {
        self.0.lock()
    }
    fn wait<'a>(&'a self, g: Self::Guard<'a>) -> Self::Guard<'a> {
        self.1.wait(g)
    }
    fn notify_one(&self) {
        self.1.notify_one();
    }
}

/// A pair of semaphores: ping releases the first and takes the second, pong the other way.
struct StrandSems;

static SEM_PING: Semaphore = Semaphore::new(0);
static SEM_PONG: Semaphore = Semaphore::new(0);

impl HandOff for StrandSems {
    type Ping = ();
    type Pong = ();
    fn make() -> ((), ()) {
        ((), ())
    }
    fn ping(_: &mut (), _: u64) {
        SEM_PING.release().expect("one permit at a time");
        SEM_PONG.acquire();
    }
    fn pong(_: &mut ()) {
        SEM_PING.acquire();
        SEM_PONG.release().expect("one permit at a time");
    }
}

/// Two channels of one slot each: ping sends on the first and receives on the second.
struct StrandChans;

static CH_PING: Channel<u64, 1> = Channel::new();
static CH_PONG: Channel<u64, 1> = Channel::new();

type Ends = (Sender<'static, u64, 1>, Receiver<'static, u64, 1>);

impl HandOff for StrandChans {
    type Ping = Ends;
    type Pong = Ends;
    fn make() -> (Ends, Ends) {
        let (ping_tx, ping_rx) = CH_PING.split().expect("one ping-pong per process");
        let (pong_tx, pong_rx) = CH_PONG.split().expect("one ping-pong per process");
        ((ping_tx, pong_rx), (pong_tx, ping_rx))
    }
    fn ping(p: &mut Ends, round: u64) {
        p.0.send(round).expect("the other side is there");
        p.1.recv().expect("the other side is there");
    }
    fn pong(p: &mut Ends) {
        let v = p.1.recv().expect("the other side is there");
        p.0.send(v).expect("the other side is there");
    }
}

/// Workload 18: `iters` panics, each caught by `catch_unwind` one frame up (the default panic
/// message goes to stderr each time, as std's default hook does). Only the build with the
/// `unwind` feature (and `panic = "unwind"`) can run it.
fn panic_catch(iters: u64) -> i32 {
    #[cfg(feature = "unwind")]
    {
        let t0 = Strand::now_ns();
        for i in 0..iters {
            let r = strand::panic::catch_unwind(|| {
                if core::hint::black_box(i) != u64::MAX {
                    panic!("bench");
                }
            });
            if r.is_ok() {
                bench_common::print::<Strand>(format_args!("ERROR the panic was not caught"));
                return 1;
            }
        }
        let t1 = Strand::now_ns();
        bench_common::print::<Strand>(format_args!("RESULT ns_per_op {:.1}", (t1 - t0) as f64 / iters as f64));
        0
    }
    #[cfg(not(feature = "unwind"))]
    {
        let _ = iters;
        bench_common::print::<Strand>(format_args!("ERROR this build has no unwinding (bench-strand's `unwind` feature)"));
        1
    }
}

fn main() -> i32 {
    let mut args = [""; 16];
    let mut n = 0;
    for a in strand::env::args().skip(1).take(args.len()) {
        args[n] = a.to_str().unwrap_or("");
        n += 1;
    }
    let a = bench_common::Args::parse(&args[..n]);
    // Thread control (workloads 10-12) has no counterpart in the other Rust competitors, so it
    // lives here rather than in bench/common.
    match a.workload {
        "stop_world" => return control::stop_world(a.num("threads", 10) as usize, a.num("iters", 100), a.num("spin", 0) != 0),
        "interrupt" => return control::interrupt(a.num("iters", 1000)),
        "defer_interrupts" => return control::defer_interrupts(a.num("iters", 1000)),
        "signal_handler" => return control::signal_handler(a.num("iters", 1000)),
        "signal_thread" => return control::signal_thread(a.num("iters", 1000)),
        "alloc" => return alloc_bench::run(a.num("threads", 2) as usize, a.num("iters", 1000)),
        "panic_catch" => return panic_catch(a.num("iters", 1000)),
        _ => {}
    }
    bench_common::run::<Strand>(&args[..n], |a| match (a.get("lock").unwrap_or("strand"), a.workload) {
        ("strand", "pingpong") => Some(bench_common::run_cond::<Strand, StrandCond>(a)),
        ("strand", "sem_pingpong") => Some(bench_common::run_pingpong::<Strand, StrandSems>(a)),
        ("strand", "chan_pingpong") => Some(bench_common::run_pingpong::<Strand, StrandChans>(a)),
        ("strand", "rw_read" | "rw_contended") => Some(bench_common::run_rwlock::<Strand, StrandRw>(a)),
        ("strand", _) => Some(bench_common::run_lock::<Strand, StrandLock>(a)),
        ("strand-pi", _) => Some(bench_common::run_lock::<Strand, StrandPiLock>(a)),
        _ => None,
    })
}
