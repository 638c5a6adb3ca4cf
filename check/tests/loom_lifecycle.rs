//! Loom model of a thread's end: strand's `Lifecycle` (src/thread/lifecycle.rs: the exit/detach
//! swap and the join's wait for the CLEARTID word), against a modelled thread whose last step
//! is what the kernel does at exit with CLONE_CHILD_CLEARTID: store 0 to the word, then a futex
//! wake.
//!
//! The thread's mapping (stack, control block, result) is a `loom::cell::UnsafeCell`: the
//! thread writes its result there and keeps reading its control block after its exit decision,
//! as thread_start does, and whoever frees the mapping writes it. Loom reports any free that is
//! not ordered after the thread's last access ("freed while it still runs") and the models
//! count the frees ("freed exactly once"), over every interleaving of exit, detach and join.

use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicUsize;
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::{Relaxed, Release};
use strand_check::sync::atomic_wait::futex::{self, Scope};
use strand_check::sync::atomic_wait::AtomicU32;
use strand_check::thread::lifecycle::{wait_for_exit, Lifecycle, Owner};

mod common;
use common::{model, model_with_early_returns};

const TID: u32 = 1234;
const RESULT: u32 = 42;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Memory {
    /// The thread is running its closure.
    Running,
    /// The closure's result sits in the packet.
    Result(u32),
    Freed,
}

/// What a thread's control block and mapping hold for this protocol.
struct Thread {
    lifecycle: Lifecycle,
    /// The CLEARTID word: nonzero (strand's spawner stores RUNNING before `clone`) until the
    /// kernel clears it.
    ctid: AtomicU32,
    mapping: UnsafeCell<Memory>,
    frees: AtomicUsize,
}

// SAFETY: `mapping` is only touched in the order the protocol under test promises; loom reports
// any access that the protocol failed to order, which is the property being checked.
unsafe impl Sync for Thread {}

impl Thread {
    fn new() -> Thread {
        Thread {
            lifecycle: Lifecycle::new(),
            ctid: AtomicU32::new(TID),
            mapping: UnsafeCell::new(Memory::Running),
            frees: AtomicUsize::new(0),
        }
    }

    fn read(&self) -> Memory {
        // SAFETY: see the Sync impl.
        self.mapping.with(|m| unsafe { *m })
    }

    fn write(&self, v: Memory) {
        // SAFETY: see the Sync impl.
        self.mapping.with_mut(|m| unsafe { *m = v })
    }

    /// munmap (or the cache) takes the mapping back: a write that must come after every access
    /// of the thread, and must happen once.
    fn free(&self) {
        assert_ne!(self.read(), Memory::Freed, "mapping freed twice");
        self.write(Memory::Freed);
        self.frees.fetch_add(1, Relaxed);
    }
}

/// The modelled thread from its closure's end to its exit, as thread_start runs it.
fn run_thread(t: &Thread) {
    t.write(Memory::Result(RESULT));
    match t.lifecycle.exit() {
        Owner::Thread => {
            // Detached first: nobody reads the result. The thread frees its own mapping as its
            // last act, with the kernel's clear turned off (set_tid_address(NULL)), and touches
            // nothing afterwards.
            assert_eq!(t.read(), Memory::Result(RESULT));
            t.free();
        }
        Owner::Handle => {
            // Still on its stack: thread_start goes on reading its control block (the scope
            // pointer, the owner) before the exit syscall.
            assert_ne!(t.read(), Memory::Freed, "mapping freed under a running thread");
            // The kernel, once the thread is gone: clear the tid word, wake its waiters.
            t.ctid.store(0, Release);
            futex::wake(&t.ctid, i32::MAX as u32, Scope::Shared);
        }
    }
}

/// JoinHandle::join: wait for the clear, take the result, free the mapping.
fn join(t: &Thread) -> u32 {
    wait_for_exit(&t.ctid);
    let Memory::Result(v) = t.read() else { panic!("join found no result") };
    t.free();
    v
}

/// JoinHandle::drop (detach): if the thread finished first, the handle cleans up after it.
fn detach(t: &Thread) {
    if t.lifecycle.detach() == Owner::Handle {
        wait_for_exit(&t.ctid);
        assert_eq!(t.read(), Memory::Result(RESULT));
        t.free();
    }
}

/// A join's wait for the clear may also return without the kernel's wake (a signal): it must
/// read the word again rather than take any return for the clear.
#[test]
fn join_waits_for_the_kernel_clear_then_frees_once() {
    model_with_early_returns(None, 1, || {
        let t = Arc::new(Thread::new());
        let t2 = t.clone();
        let th = thread::spawn(move || run_thread(&t2));
        assert_eq!(join(&t), RESULT);
        th.join().unwrap();
        assert_eq!(t.frees.load(Relaxed), 1);
    });
}

#[test]
fn detach_racing_exit_frees_once_never_under_the_thread() {
    model(None, || {
        let t = Arc::new(Thread::new());
        let t2 = t.clone();
        let th = thread::spawn(move || run_thread(&t2));
        detach(&t);
        th.join().unwrap();
        assert_eq!(t.frees.load(Relaxed), 1);
    });
}

/// The handle moved to a third thread and dropped there, while the spawner goes on: the
/// decision does not depend on which thread holds the handle.
#[test]
fn detach_from_another_thread_frees_once() {
    model(None, || {
        let t = Arc::new(Thread::new());
        let (t2, t3) = (t.clone(), t.clone());
        let th = thread::spawn(move || run_thread(&t2));
        let holder = thread::spawn(move || detach(&t3));
        holder.join().unwrap();
        th.join().unwrap();
        assert_eq!(t.frees.load(Relaxed), 1);
    });
}
