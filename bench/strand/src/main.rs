//! The workloads on strand: `strand::thread`, `strand::sync::{Mutex, Condvar}`, `strand::futex`,
//! `#[thread_local]`. Built for x86_64-unknown-linux-musl like strand's examples and tests
//! (`-Zbuild-std=core,compiler_builtins`, the flags in .cargo/config.toml).
#![no_std]
#![no_main]
#![feature(thread_local)]

use bench_common::{CondLock, CounterLock, Rt};
use core::ffi::CStr;
use core::mem::{size_of, MaybeUninit};
use core::sync::atomic::AtomicU32;
use linux_raw_sys::general::{CLOCK_MONOTONIC, O_RDONLY, PROT_READ, PROT_WRITE};
use strand::sync::{Condvar, Mutex, MutexGuard};
use strand::thread::{Builder, JoinHandle, SpawnError};
use strand::{futex, syscall, Errno};

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
    fn incr(&self) {
        *self.0.lock() += 1;
    }
    fn get(&self) -> u64 {
        *self.0.lock()
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
        _ => {}
    }
    bench_common::run::<Strand>(&args[..n], |a| match (a.get("lock").unwrap_or("strand"), a.workload) {
        ("strand", "pingpong") => Some(bench_common::run_cond::<Strand, StrandCond>(a)),
        ("strand", _) => Some(bench_common::run_lock::<Strand, StrandLock>(a)),
        _ => None,
    })
}
