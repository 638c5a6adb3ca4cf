//! The workloads on Rust std: `std::thread`, `std::sync::{Mutex, Condvar}` and a `thread_local!`
//! with const init; `lock=parking_lot` and `lock=spin` swap in those crates' locks on the same
//! std threads; `lock=crossbeam` runs the channel ping-pong on crossbeam-channel. Built for x86_64-unknown-linux-gnu (dynamic, glibc) and
//! x86_64-unknown-linux-musl (static).

use bench_common::{CondLock, CounterLock, HandOff, Rt, RwCounter};
use std::cell::Cell;
use std::ffi::CStr;
use std::io::{Read, Write};
use std::mem::MaybeUninit;
use std::sync::atomic::AtomicU32;
use std::thread::{self, JoinHandle};

struct Std;

thread_local! {
    static TLS_COUNTER: Cell<u64> = const { Cell::new(0) };
}

impl Rt for Std {
    type Handle = JoinHandle<()>;
    type Error = std::io::Error;

    fn spawn(stack: Option<usize>, f: fn(usize), arg: usize) -> std::io::Result<JoinHandle<()>> {
        match stack {
            // std's plain API: panics if the thread cannot be spawned.
            None => Ok(thread::spawn(move || f(arg))),
            Some(s) => thread::Builder::new().stack_size(s).spawn(move || f(arg)),
        }
    }

    fn join(h: JoinHandle<()>) {
        h.join().expect("thread panicked");
    }

    fn detach(h: JoinHandle<()>) {
        drop(h);
    }

    fn now_ns() -> u64 {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid timespec to write to.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }

    fn futex_wait(word: &AtomicU32, expected: u32) {
        // SAFETY: a private futex wait on a live AtomicU32 with no timeout.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                word.as_ptr(),
                libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
                expected,
                std::ptr::null::<libc::timespec>(),
            )
        };
    }

    fn futex_wake(word: &AtomicU32, n: u32) {
        // SAFETY: a private futex wake on a live AtomicU32.
        unsafe { libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG, n) };
    }

    fn write_stdout(bytes: &[u8]) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(bytes);
        let _ = out.flush();
    }

    fn read_file(path: &CStr, sink: &mut dyn FnMut(&[u8])) -> bool {
        let Ok(mut f) = std::fs::File::open(path.to_str().unwrap_or("")) else { return false };
        let mut buf = [0u8; 4096];
        loop {
            match f.read(&mut buf) {
                Ok(0) | Err(_) => return true,
                Ok(n) => sink(&buf[..n]),
            }
        }
    }

    fn handle_slots(n: usize) -> &'static mut [MaybeUninit<JoinHandle<()>>] {
        Box::leak((0..n).map(|_| MaybeUninit::zeroed()).collect::<Vec<_>>().into_boxed_slice())
    }

    #[inline]
    fn tls_bump() {
        TLS_COUNTER.with(|c| c.set(c.get() + 1));
    }

    fn tls_get() -> u64 {
        TLS_COUNTER.with(|c| c.get())
    }
}

struct StdLock(std::sync::Mutex<u64>);

impl CounterLock for StdLock {
    fn new() -> Self {
        StdLock(std::sync::Mutex::new(0))
    }
    #[inline]
    fn incr(&self, units: u32) {
        let mut g = self.0.lock().unwrap();
        *g += 1;
        bench_common::work(units);
    }
    fn get(&self) -> u64 {
        *self.0.lock().unwrap()
    }
}

struct StdRw(std::sync::RwLock<u64>);

impl RwCounter for StdRw {
    fn new() -> Self {
        StdRw(std::sync::RwLock::new(0))
    }
    #[inline]
    fn read(&self) -> u64 {
        *self.0.read().unwrap()
    }
    #[inline]
    fn incr(&self) {
        *self.0.write().unwrap() += 1;
    }
}

struct PlRw(parking_lot::RwLock<u64>);

impl RwCounter for PlRw {
    fn new() -> Self {
        PlRw(parking_lot::RwLock::new(0))
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

struct StdCond(std::sync::Mutex<u32>, std::sync::Condvar);

impl CondLock for StdCond {
    type Guard<'a> = std::sync::MutexGuard<'a, u32>;
    fn new() -> Self {
        StdCond(std::sync::Mutex::new(0), std::sync::Condvar::new())
    }
    fn lock(&self) -> Self::Guard<'_> {
        self.0.lock().unwrap()
    }
    fn wait<'a>(&'a self, g: Self::Guard<'a>) -> Self::Guard<'a> {
        self.1.wait(g).unwrap()
    }
    fn notify_one(&self) {
        self.1.notify_one();
    }
}

struct PlLock(parking_lot::Mutex<u64>);

impl CounterLock for PlLock {
    fn new() -> Self {
        PlLock(parking_lot::Mutex::new(0))
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

struct PlCond(parking_lot::Mutex<u32>, parking_lot::Condvar);

impl CondLock for PlCond {
    type Guard<'a> = parking_lot::MutexGuard<'a, u32>;
    fn new() -> Self {
        PlCond(parking_lot::Mutex::new(0), parking_lot::Condvar::new())
    }
    fn lock(&self) -> Self::Guard<'_> {
        self.0.lock()
    }
    fn wait<'a>(&'a self, mut g: Self::Guard<'a>) -> Self::Guard<'a> {
        self.1.wait(&mut g);
        g
    }
    fn notify_one(&self) {
        self.1.notify_one();
    }
}

struct SpinLock(spin::Mutex<u64>);

impl CounterLock for SpinLock {
    fn new() -> Self {
        SpinLock(spin::Mutex::new(0))
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

/// Two `sync_channel(1)`s: ping sends on the first and receives on the second.
struct StdChans;

type StdEnds = (std::sync::mpsc::SyncSender<u64>, std::sync::mpsc::Receiver<u64>);

impl HandOff for StdChans {
    type Ping = StdEnds;
    type Pong = StdEnds;
    fn make() -> (StdEnds, StdEnds) {
        let (ping_tx, ping_rx) = std::sync::mpsc::sync_channel(1);
        let (pong_tx, pong_rx) = std::sync::mpsc::sync_channel(1);
        ((ping_tx, pong_rx), (pong_tx, ping_rx))
    }
    fn ping(p: &mut StdEnds, round: u64) {
        p.0.send(round).unwrap();
        p.1.recv().unwrap();
    }
    fn pong(p: &mut StdEnds) {
        let v = p.1.recv().unwrap();
        p.0.send(v).unwrap();
    }
}

/// Two `crossbeam_channel::bounded(1)`s, the same way.
struct CrossbeamChans;

type CbEnds = (crossbeam_channel::Sender<u64>, crossbeam_channel::Receiver<u64>);

impl HandOff for CrossbeamChans {
    type Ping = CbEnds;
    type Pong = CbEnds;
    fn make() -> (CbEnds, CbEnds) {
        let (ping_tx, ping_rx) = crossbeam_channel::bounded(1);
        let (pong_tx, pong_rx) = crossbeam_channel::bounded(1);
        ((ping_tx, pong_rx), (pong_tx, ping_rx))
    }
    fn ping(p: &mut CbEnds, round: u64) {
        p.0.send(round).unwrap();
        p.1.recv().unwrap();
    }
    fn pong(p: &mut CbEnds) {
        let v = p.1.recv().unwrap();
        p.0.send(v).unwrap();
    }
}

/// Workload 18: `iters` panics, each caught by `catch_unwind` one frame up, with std's default
/// panic hook printing the message to stderr each time (as strand's handler does).
fn panic_catch(iters: u64) -> i32 {
    let t0 = Std::now_ns();
    for i in 0..iters {
        let r = std::panic::catch_unwind(|| {
            if std::hint::black_box(i) != u64::MAX {
                panic!("bench");
            }
        });
        if r.is_ok() {
            eprintln!("ERROR the panic was not caught");
            return 1;
        }
    }
    let t1 = Std::now_ns();
    println!("RESULT ns_per_op {:.1}", (t1 - t0) as f64 / iters as f64);
    0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    if argv.first() == Some(&"panic_catch") {
        let a = bench_common::Args::parse(&argv);
        std::process::exit(panic_catch(a.num("iters", 1000)));
    }
    let code = bench_common::run::<Std>(&argv, |a| {
        Some(match (a.get("lock").unwrap_or("std"), a.workload) {
            ("std", "pingpong") => bench_common::run_cond::<Std, StdCond>(a),
            ("std", "chan_pingpong") => bench_common::run_pingpong::<Std, StdChans>(a),
            ("crossbeam", "chan_pingpong") => bench_common::run_pingpong::<Std, CrossbeamChans>(a),
            (_, "sem_pingpong" | "chan_pingpong") => return None,
            ("std", "rw_read" | "rw_contended") => bench_common::run_rwlock::<Std, StdRw>(a),
            ("parking_lot", "rw_read" | "rw_contended") => bench_common::run_rwlock::<Std, PlRw>(a),
            ("spin", "rw_read" | "rw_contended") => return None,
            ("std", _) => bench_common::run_lock::<Std, StdLock>(a),
            ("parking_lot", "pingpong") => bench_common::run_cond::<Std, PlCond>(a),
            ("parking_lot", _) => bench_common::run_lock::<Std, PlLock>(a),
            ("spin", "pingpong") => return None,
            ("spin", _) => bench_common::run_lock::<Std, SpinLock>(a),
            _ => return None,
        })
    });
    std::process::exit(code);
}
