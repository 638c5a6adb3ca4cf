//! strand in one small static program: a worker pool fed through a Mutex + Condvar queue,
//! per-thread counters in TLS, a detached thread, scoped threads borrowing the caller's data,
//! what a thread costs (syscalls and time per spawn + join, memory per idle thread), and a
//! report on the binary itself. `cargo xtask demo` builds it with strand's `count-syscalls`
//! feature, which the syscall count needs; without it the demo reports the time alone.
#![no_std]
#![no_main]
#![feature(thread_local)]

use core::sync::atomic::{AtomicU32, Ordering::SeqCst};
use strand::arch::sys::elf::{PT_DYNAMIC, PT_INTERP};
use strand::sync::{Condvar, Mutex};
use strand::thread::{self, Builder, JoinHandle, SpawnError};
use strand::{futex, println, syscall, time::Instant};

strand::main!(main);

/// Jobs this thread has done: each worker counts in its own copy.
#[thread_local]
static mut JOBS_DONE_HERE: u32 = 0;

const WORKERS: usize = 4;
const JOBS: u64 = 2000;
const BATCH: u64 = 100;
/// Each job walks the Collatz sequences of this many numbers (about 10 µs natively): work
/// large enough next to a lock hand-off that every worker gets a share of the queue.
const NUMBERS_PER_JOB: u64 = 64;
/// Threads spawned and joined one after another to measure what one costs.
const SPAWNS: usize = 200;
/// Threads held parked at once to measure the memory each one takes.
const IDLE: usize = 64;

struct Queue {
    jobs: Mutex<Jobs>,
    ready: Condvar,
}

/// Jobs are the numbers next..=last; `closed` once no more will come.
struct Jobs {
    next: u64,
    last: u64,
    closed: bool,
    /// (jobs finished, total Collatz steps)
    results: (u64, u64),
}

static QUEUE: Queue = Queue { jobs: Mutex::new(Jobs { next: 1, last: 0, closed: false, results: (0, 0) }), ready: Condvar::new() };

fn collatz_steps(mut n: u64) -> u64 {
    let mut steps = 0;
    while n != 1 {
        n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
        steps += 1;
    }
    steps
}

fn worker() -> u32 {
    loop {
        let mut q = QUEUE.ready.wait_while(QUEUE.jobs.lock(), |q| q.next > q.last && !q.closed);
        if q.next > q.last {
            break; // closed and drained
        }
        let job = q.next;
        q.next += 1;
        drop(q);
        let first = (job - 1) * NUMBERS_PER_JOB + 1;
        let steps: u64 = (first..first + NUMBERS_PER_JOB).map(collatz_steps).sum();
        let mut q = QUEUE.jobs.lock();
        q.results.0 += 1;
        q.results.1 += steps;
        // SAFETY: this thread's own TLS copy.
        unsafe { JOBS_DONE_HERE += 1 };
    }
    // SAFETY: this thread's own TLS copy.
    unsafe { JOBS_DONE_HERE }
}

fn main() -> Result<(), SpawnError> {
    let start = Instant::now();
    println!("strand demo: {} CPUs available", thread::available_parallelism().map_or(1, |n| n.get()));

    // A worker pool over a Mutex + Condvar queue.
    let mut pool: [Option<JoinHandle<u32>>; WORKERS] = [const { None }; WORKERS];
    for (i, slot) in pool.iter_mut().enumerate() {
        let mut name = *b"worker-0";
        name[7] = b'0' + i as u8;
        let name = core::str::from_utf8(&name).unwrap_or("worker");
        *slot = Some(Builder::new().name(name).stack_size(64 << 10).spawn(worker)?);
    }
    // Feed the queue in batches, then close it: workers leave once it is closed and drained.
    for _ in 0..JOBS / BATCH {
        QUEUE.jobs.lock().last += BATCH;
        QUEUE.ready.notify_all();
        thread::yield_now();
    }
    QUEUE.jobs.lock().closed = true;
    QUEUE.ready.notify_all();
    let mut per_worker = [0u32; WORKERS];
    for (i, slot) in pool.iter_mut().enumerate() {
        if let Some(h) = slot.take() {
            let name = h.thread();
            per_worker[i] = match h.join() {
                Ok(jobs) => jobs,
                // Only a thread joining its own handle gets this; main joins its workers.
                Err(e) => {
                    println!("  {}: {e}", name.name().unwrap_or("?"));
                    continue;
                }
            };
            println!("  {} (tid {}) did {} jobs", name.name().unwrap_or("?"), name.tid(), per_worker[i]);
        }
    }
    let (done, steps) = QUEUE.jobs.lock().results;
    println!("worker pool: {done} jobs ({} Collatz sequences, {steps} steps in all), jobs per worker {per_worker:?}", done * NUMBERS_PER_JOB);

    thread_costs()?;

    // A detached thread: nobody joins it; it signals through a futex word and frees itself.
    static SIGNAL: AtomicU32 = AtomicU32::new(0);
    thread::spawn(|| {
        SIGNAL.store(thread::current_tid() as u32, SeqCst);
        futex::wake_private(&SIGNAL, 1);
    })?
    .detach();
    while SIGNAL.load(SeqCst) == 0 {
        futex::wait_private(&SIGNAL, 0, None);
    }
    println!("detached thread (tid {}) ran and freed its own stack", SIGNAL.load(SeqCst));

    // Scoped threads borrowing and mutating the caller's array.
    let mut squares = [0u64; 16];
    thread::scope(|s| -> Result<(), SpawnError> {
        for (i, chunk) in squares.chunks_mut(4).enumerate() {
            s.spawn(move || {
                for (j, v) in chunk.iter_mut().enumerate() {
                    let n = (i * 4 + j) as u64;
                    *v = n * n;
                }
            })?;
        }
        Ok(())
    })?;
    println!("scoped threads filled {:?}", squares);

    // The binary itself.
    let size = file_size(c"/proc/self/exe");
    let phdrs = strand::rt::program_headers();
    let interp = phdrs.iter().any(|p| p.p_type == PT_INTERP);
    let dynamic = phdrs.iter().any(|p| p.p_type == PT_DYNAMIC);
    match size {
        Some(bytes) => println!("binary: {bytes} bytes ({} KiB)", bytes.div_ceil(1024)),
        None => println!("binary: size unknown (/proc/self/exe unreadable)"),
    }
    if interp {
        println!("binary: dynamically linked (it names a program interpreter)");
    } else if dynamic {
        println!("binary: a static-pie (no PT_INTERP; strand's start-up applied its own relocations): no dynamic loader and no libc");
    } else {
        println!("binary: statically linked, no PT_INTERP or PT_DYNAMIC: no dynamic loader and no libc");
    }
    println!("done in {:?}", start.elapsed());
    Ok(())
}

/// What a thread costs: syscalls and time per spawn + join, and the memory an idle thread holds.
fn thread_costs() -> Result<(), SpawnError> {
    #[cfg(feature = "count-syscalls")]
    let before = syscall::count();
    let start = Instant::now();
    for _ in 0..SPAWNS {
        let h = Builder::new().stack_size(64 << 10).spawn(|| 1u32)?;
        let _ = h.join();
    }
    let ns = start.elapsed().as_nanos() / SPAWNS as u128;
    #[cfg(feature = "count-syscalls")]
    println!(
        "spawn + join: {SPAWNS} threads, {:.1} syscalls and {ns} ns each (every syscall strand made, in both threads)",
        (syscall::count() - before) as f64 / SPAWNS as f64,
    );
    #[cfg(not(feature = "count-syscalls"))]
    println!("spawn + join: {SPAWNS} threads, {ns} ns each (syscalls are counted with strand's `count-syscalls` feature)");

    // Threads parked on one futex word, with 64 KiB stacks: what they add to the process.
    static RELEASE: AtomicU32 = AtomicU32::new(0);
    let (size0, rss0, maps0) = (status_kib(b"VmSize:"), status_kib(b"VmRSS:"), map_count());
    let mut idle: [Option<JoinHandle<()>>; IDLE] = [const { None }; IDLE];
    for slot in idle.iter_mut() {
        *slot = Some(Builder::new().stack_size(64 << 10).spawn(|| {
            while RELEASE.load(SeqCst) == 0 {
                futex::wait_private(&RELEASE, 0, None);
            }
        })?);
    }
    let (size1, rss1, maps1) = (status_kib(b"VmSize:"), status_kib(b"VmRSS:"), map_count());
    RELEASE.store(1, SeqCst);
    futex::wake_private(&RELEASE, i32::MAX as u32);
    for h in idle.iter_mut().filter_map(Option::take) {
        let _ = h.join();
    }
    match (size0, size1, rss0, rss1, maps0, maps1) {
        (Some(s0), Some(s1), Some(r0), Some(r1), Some(m0), Some(m1)) => println!(
            "idle threads (64 KiB stacks): {IDLE} held {} KiB of address space and {} KiB resident each, in {} mappings each",
            s1.saturating_sub(s0) / IDLE as u64,
            r1.saturating_sub(r0) / IDLE as u64,
            m1.saturating_sub(m0) as f64 / IDLE as f64
        ),
        _ => println!("idle threads: /proc/self/status or /proc/self/maps unreadable"),
    }
    println!("  (VmSize and VmRSS of the whole process; under QEMU user mode they include QEMU's own host thread per guest thread)");
    Ok(())
}

/// A `kB` field of /proc/self/status.
fn status_kib(field: &[u8]) -> Option<u64> {
    let mut buf = [0u8; 4096];
    let text = syscall::read_file(c"/proc/self/status", &mut buf).ok()?;
    let line = text.split(|&b| b == b'\n').find(|l| l.starts_with(field))?;
    let digits = core::str::from_utf8(&line[field.len()..]).ok()?.trim().trim_end_matches("kB").trim();
    digits.parse().ok()
}

/// How many mappings the process has (lines of /proc/self/maps).
fn map_count() -> Option<usize> {
    let fd = syscall::open(c"/proc/self/maps", 0).ok()?;
    let mut buf = [0u8; 4096];
    let mut lines = 0;
    loop {
        match syscall::read(fd, &mut buf) {
            Ok(0) => break,
            Ok(n) => lines += buf[..n].iter().filter(|&&b| b == b'\n').count(),
            Err(strand::Errno::EINTR) => {}
            Err(_) => {
                let _ = syscall::close(fd);
                return None;
            }
        }
    }
    let _ = syscall::close(fd);
    Some(lines)
}

fn file_size(path: &core::ffi::CStr) -> Option<usize> {
    let fd = syscall::open(path, 0).ok()?;
    let mut buf = [0u8; 4096];
    let mut total = 0;
    loop {
        match syscall::read(fd, &mut buf) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(strand::Errno::EINTR) => {}
            Err(_) => {
                let _ = syscall::close(fd);
                return None;
            }
        }
    }
    let _ = syscall::close(fd);
    Some(total)
}
