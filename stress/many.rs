//! Many at once: thousands of threads with small stacks alive at the same time (all of them
//! provably running: none passes a gate until every one has checked in), each with its own tid,
//! all joined with the right values, then all detached at once; no allocator (the handles live in
//! a static array) and no mapping left behind.
#![no_std]
#![no_main]

#[path = "../tests/common/mod.rs"]
#[macro_use]
mod common;
#[macro_use]
mod support;

use common::{Failure, TestResult};
use core::cell::UnsafeCell;
use core::sync::atomic::Ordering::SeqCst;
use core::sync::atomic::{AtomicI32, AtomicU32};
use core::time::Duration;
use strand::futex;
use strand::thread::{Builder, JoinHandle, MIN_STACK_SIZE};
use support::{size, spawn_failed, usage, waiting_for, Stress};

strand::main!(main);

const TESTS: &[Stress] = &[
    ("all_alive_at_once_then_joined", all_alive_at_once_then_joined, 120),
    ("all_alive_at_once_then_detached", all_alive_at_once_then_detached, 120),
];

fn main() -> i32 {
    support::run("many", TESTS)
}

/// The most threads any mode asks for.
const MAX: usize = 10_000;

/// 10,000 natively, 1,000 under QEMU; quick: 1,000 and 200.
fn count() -> usize {
    size(MAX as u64, 1_000, 1_000, 200) as usize
}

/// A static array only the main thread touches: the handles (outside any stack frame, with no
/// allocator) and a scratch copy of the tids for sorting.
struct MainOnly<T>(UnsafeCell<T>);
// SAFETY: only the main thread, which runs the tests one at a time, uses these arrays.
unsafe impl<T> Sync for MainOnly<T> {}

static HANDLES: MainOnly<[Option<JoinHandle<u64>>; MAX]> = MainOnly(UnsafeCell::new([const { None }; MAX]));

fn handles() -> &'static mut [Option<JoinHandle<u64>>; MAX] {
    // SAFETY: see `MainOnly`; and no caller keeps the reference across another call to this
    // function.
    unsafe { &mut *HANDLES.0.get() }
}

/// Each thread's tid as it saw it, to check that all of them differ.
static TIDS: [AtomicI32; MAX] = [const { AtomicI32::new(0) }; MAX];
static ALIVE: AtomicU32 = AtomicU32::new(0);
static FINISHED: AtomicU32 = AtomicU32::new(0);
/// Opened (set to 1) once every thread is alive.
static GATE: AtomicU32 = AtomicU32::new(0);

fn value(i: usize) -> u64 {
    (i as u64).wrapping_mul(2_654_435_761) ^ 0x5555
}

/// The body of every thread: check in, wait at the gate, return a value derived from the index.
fn body(i: usize) -> u64 {
    TIDS[i].store(strand::thread::current_tid(), SeqCst);
    ALIVE.fetch_add(1, SeqCst);
    futex::wake_private(&ALIVE, 1);
    while GATE.load(SeqCst) == 0 {
        futex::wait_private(&GATE, 0, Some(Duration::from_secs(1)));
    }
    FINISHED.fetch_add(1, SeqCst);
    value(i)
}

/// Spawns `n` threads that all wait at the gate, and waits (bounded) until all are alive. On a
/// failure, the gate opens and the threads spawned so far are joined, so nothing is left behind.
fn spawn_all(n: usize) -> TestResult {
    ALIVE.store(0, SeqCst);
    FINISHED.store(0, SeqCst);
    GATE.store(0, SeqCst);
    for t in &TIDS[..n] {
        t.store(0, SeqCst);
    }
    for i in 0..n {
        if i % 1000 == 0 {
            waiting_for(format_args!("spawning thread {i} of {n}"));
        }
        match Builder::new().stack_size(MIN_STACK_SIZE).spawn(move || body(i)) {
            Ok(h) => handles()[i] = Some(h),
            Err(e) => {
                let err = spawn_failed(format_args!("thread {i} of {n} (small stacks)"), e);
                release_and_join(n);
                return Err(err);
            }
        }
    }
    waiting_for(format_args!("all {n} threads to check in before the gate"));
    let deadline = strand::time::Instant::now();
    loop {
        let alive = ALIVE.load(SeqCst);
        if alive as usize == n {
            break;
        }
        if deadline.elapsed() > support::limit(Duration::from_secs(60)) {
            release_and_join(n);
            return Err(Failure::new(format_args!("only {alive} of {n} threads checked in")));
        }
        futex::wait_private(&ALIVE, alive, Some(Duration::from_millis(100)));
    }
    Ok(())
}

fn open_gate() {
    GATE.store(1, SeqCst);
    futex::wake_private(&GATE, u32::MAX);
}

fn release_and_join(n: usize) {
    open_gate();
    for h in handles()[..n].iter_mut() {
        if let Some(h) = h.take() {
            // Cleanup after a failure, from the main thread: never a self-join.
            let _ = h.join();
        }
    }
}

fn check_tids_distinct(n: usize) -> TestResult {
    static SORTED: MainOnly<[i32; MAX]> = MainOnly(UnsafeCell::new([0; MAX]));
    // SAFETY: see `MainOnly`; this is the array's only user.
    let sorted = unsafe { &mut *SORTED.0.get() };
    for (s, t) in sorted[..n].iter_mut().zip(&TIDS[..n]) {
        *s = t.load(SeqCst);
    }
    sorted[..n].sort_unstable();
    check!(sorted[0] > 0, "a thread recorded no tid");
    let dup = sorted[..n].windows(2).find(|w| w[0] == w[1]);
    check!(dup.is_none(), "two live threads had the same tid {:?}", dup.map(|w| w[0]));
    Ok(())
}

fn all_alive_at_once_then_joined() -> TestResult {
    let n = count();
    let before = usage();
    spawn_all(n)?;
    // Every thread checked in and none can pass the gate: all n are alive right now.
    let finished = FINISHED.load(SeqCst);
    let done_early = handles()[..n].iter().filter(|h| h.as_ref().is_some_and(|h| h.is_finished())).count();
    if finished != 0 || done_early != 0 {
        release_and_join(n);
        check!(false, "{finished} threads passed the closed gate, {done_early} had exited");
    }
    if let Err(e) = check_tids_distinct(n) {
        release_and_join(n);
        return Err(e);
    }
    let maps_alive = common::maps_count();
    open_gate();
    for (i, h) in handles()[..n].iter_mut().enumerate() {
        if i % 1000 == 0 {
            waiting_for(format_args!("joining thread {i} of {n}"));
        }
        let v = h.take().expect("spawned").join()?;
        check!(v == value(i), "thread {i} returned {v:#x}, expected {:#x}", value(i));
    }
    let after = usage();
    note!("{n} threads alive at once: {} mappings while alive, {} before, {} after", maps_alive, before.maps, after.maps);
    check_eq!(after.maps, before.maps);
    Ok(())
}

fn all_alive_at_once_then_detached() -> TestResult {
    let n = count();
    let before = usage();
    spawn_all(n)?;
    check_tids_distinct(n).inspect_err(|_| release_and_join(n))?;
    // Detach while every thread still waits, then let all of them exit at once: n threads free
    // their own mappings (or race to put them in the stack cache) at the same time.
    for h in handles()[..n].iter_mut() {
        h.take().expect("spawned").detach();
    }
    open_gate();
    waiting_for(format_args!("all {n} detached threads to finish"));
    check!(
        common::eventually(support::limit(Duration::from_secs(60)).as_secs(), || FINISHED.load(SeqCst) as usize == n),
        "only {} of {n} detached threads finished",
        FINISHED.load(SeqCst)
    );
    waiting_for(format_args!("the mapping count to return to {} after {n} detached exits", before.maps));
    let mut now = usage();
    let back = common::eventually(30, || {
        now = usage();
        now.maps == before.maps
    });
    check!(back, "{} mappings after {n} detached threads exited, {} before", now.maps, before.maps);
    Ok(())
}
