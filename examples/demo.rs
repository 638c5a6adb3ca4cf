//! strand in one small static program: a worker pool fed through a Mutex + Condvar queue,
//! per-thread counters in TLS, a detached thread, scoped threads borrowing the caller's data,
//! and a report on the binary itself.
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
        let n = q.next;
        q.next += 1;
        drop(q);
        let steps = collatz_steps(n);
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
    println!("worker pool: {done} Collatz jobs, {steps} steps in all, per worker {per_worker:?}");

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
    let dynamic = phdrs.iter().any(|p| p.p_type == PT_INTERP || p.p_type == PT_DYNAMIC);
    match size {
        Some(bytes) => println!("binary: {bytes} bytes ({} KiB)", bytes.div_ceil(1024)),
        None => println!("binary: size unknown (/proc/self/exe unreadable)"),
    }
    if dynamic {
        println!("binary: dynamically linked");
    } else {
        println!("binary: statically linked, no PT_INTERP or PT_DYNAMIC: no dynamic loader and no libc");
    }
    println!("done in {:?}", start.elapsed());
    Ok(())
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
