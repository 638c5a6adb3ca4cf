//! The pure protocol of thread control (`control.rs`): stop epochs, acknowledgements, the
//! stopper's wait, the leaving thread's acknowledgement, and the sections that defer requests.
//! `control.rs` keeps the signal plumbing (who sends what to whom, the handler's context) and
//! calls into this file for every decision on these words.
//!
//! Everything here is model-checked on the host (`check/`, loom, tests/loom_control.rs), with
//! the signal handler played by the target's own loom thread at marked points, so this file
//! takes its atomics and futex from `sync::atomic_wait` only, and takes the words it works on as
//! parameters (`World`, `Request`, `Sections`): a model builds fresh ones per execution, the
//! library keeps the stop-wide `World` in a static and the others in each control block.
//!
//! # Stop epochs
//!
//! `World::epoch` is odd while a stop is in progress and even otherwise. A stop asks each target
//! to stop in epoch `e` (`Request::ask`); the target acknowledges `e` once, and sleeps until the
//! epoch is no longer `e` (not merely until it is even: a thread slow to wake from one stop
//! must not sleep on through the next, whose stopper waits for it to acknowledge again). A
//! thread that finishes while asked acknowledges on its way out (`leave`), so a stop
//! never waits for a thread that has gone.

use crate::sync::atomic_wait::futex::{self, WaitResult};
use crate::sync::atomic_wait::AtomicU32;
use core::sync::atomic::compiler_fence;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use core::time::Duration;

/// Added to `defer` by an internal lock; `without_interrupts` adds 1.
pub const INTERNAL: u32 = 1 << 16;
pub const USER_MASK: u32 = INTERNAL - 1;

/// The stop-wide words: one per process in the library (one stop or suspension at a time).
pub struct World {
    /// Odd while a stop is in progress (see the module doc).
    epoch: AtomicU32,
    /// Acknowledgements received in the current stop.
    acks: AtomicU32,
}

impl World {
    pub const fn new() -> World {
        World { epoch: AtomicU32::new(0), acks: AtomicU32::new(0) }
    }

    /// Starts a stop: a new odd epoch, no acknowledgement yet. The caller holds the one-stop-at-
    /// a-time lock, so nobody else writes either word meanwhile.
    pub fn begin_epoch(&self) -> u32 {
        let e = self.epoch.load(Relaxed).wrapping_add(1) | 1;
        self.acks.store(0, Relaxed);
        self.epoch.store(e, Release);
        e
    }

    /// Ends stop `e`: every thread stopped in it wakes and returns from its handler.
    pub fn end_epoch(&self, e: u32) {
        self.epoch.store(e.wrapping_add(1), Release);
        futex::wake_private(&self.epoch, u32::MAX);
    }

    /// Waits until `n` threads have acknowledged the current stop, calling `resend` (which sends
    /// the signal again to the threads asked in it that have not acknowledged: see
    /// `Request::unacknowledged`) each time `resend_after` passes without a new one.
    pub fn wait_for_acks(&self, n: u32, resend_after: Duration, mut resend: impl FnMut()) {
        loop {
            let a = self.acks.load(Acquire);
            if a >= n {
                return;
            }
            if futex::wait_private(&self.acks, a, Some(resend_after)) == WaitResult::TimedOut {
                resend();
            }
        }
    }

    /// Counts `r`'s acknowledgement of `e`, once per epoch whoever calls it (the handler, or
    /// the thread on its way out).
    fn acknowledge(&self, r: &Request, e: u32) {
        if r.ack.swap(e, AcqRel) != e {
            self.acks.fetch_add(1, Release);
            futex::wake_private(&self.acks, 1);
        }
    }
}

/// One thread's stop words, in its control block.
pub struct Request {
    /// The stop epoch this thread is asked to stop in (0: never asked).
    req: AtomicU32,
    /// The last stop epoch this thread acknowledged.
    ack: AtomicU32,
}

impl Request {
    pub const fn new() -> Request {
        Request { req: AtomicU32::new(0), ack: AtomicU32::new(0) }
    }

    /// Asks the thread to stop in `e`. The stopper sends the signal after this (Release: the
    /// handler that reads `e` sees the stop's new epoch too).
    pub fn ask(&self, e: u32) {
        self.req.store(e, Release);
    }

    /// Whether the thread has been asked to stop in `e` already (a stopper's later round skips it).
    pub fn asked_in(&self, e: u32) -> bool {
        self.req.load(Relaxed) == e
    }

    /// Asked in `e` and not acknowledged: the stopper re-sends the signal to such a thread.
    pub fn unacknowledged(&self, e: u32) -> bool {
        self.req.load(Relaxed) == e && self.ack.load(Relaxed) != e
    }

    /// Asked in `e` and acknowledged it (Acquire: what the thread stored before acknowledging,
    /// its context, is visible): stopped, or gone (then its context is null).
    pub fn acknowledged(&self, e: u32) -> bool {
        self.ack.load(Acquire) == e && self.req.load(Relaxed) == e
    }
}

/// The handler's stop step, for the thread that owns `r`, outside any section. If it is asked to
/// stop in the stop now in progress and has not acknowledged it: `expose` (store the context the
/// stopper will read), acknowledge, sleep until the epoch moves on, `hide` (clear the context),
/// and return true. Otherwise (no stop, a stop that has ended, or one this thread already
/// acknowledged, also on its way out): return false at once, so that duplicate and re-sent
/// signals are harmless.
pub fn stop_here(w: &World, r: &Request, expose: impl FnOnce(), hide: impl FnOnce()) -> bool {
    let e = r.req.load(Acquire);
    if e != 0 && w.epoch.load(Acquire) == e && r.ack.load(Relaxed) != e {
        // The context first: the acknowledgement (Release) is what lets the stopper read it.
        expose();
        w.acknowledge(r, e);
        // While the epoch is `e`, not while it is odd: see the module doc.
        while w.epoch.load(Acquire) == e {
            futex::wait_private(&w.epoch, e, None);
        }
        hide();
        return true;
    }
    false
}

/// Called by a finishing thread in the step that marks it `exited` (under its own lock; a
/// stopper that races it acknowledges for it, see `stop_the_world`): acknowledges a stop it was asked for, since it will not run code that matters to
/// a stopper any more. It has stored no context, so a stopper sees it as gone, not stopped.
pub fn leave(w: &World, r: &Request) {
    let e = r.req.load(Acquire);
    if e != 0 && w.epoch.load(Acquire) == e {
        w.acknowledge(r, e);
    }
}

/// A thread's section depth and the request it deferred (see `control.rs`, "Sections").
/// Written by the thread itself and read by its own signal handler only.
pub struct Sections {
    /// Section depth: the low 16 bits count `without_interrupts` scopes, the high 16 bits
    /// strand's internal locks. Written only by the thread itself.
    defer: AtomicU32,
    /// Set by the handler when it found the thread in a section.
    pending: AtomicU32,
}

impl Sections {
    pub const fn new() -> Sections {
        Sections { defer: AtomicU32::new(0), pending: AtomicU32::new(0) }
    }

    /// The current depth.
    #[inline]
    pub fn depth(&self) -> u32 {
        self.defer.load(Relaxed)
    }

    #[inline]
    pub fn enter(&self, n: u32) {
        // Only this thread writes `defer`; its own handler reads it, so a plain load and store
        // with compiler fences (no RMW, no CPU fence) is enough.
        self.defer.store(self.defer.load(Relaxed) + n, Relaxed);
        compiler_fence(SeqCst);
    }

    /// Leaves `n` levels. True if that ended the last section and a request came in during it:
    /// the caller then re-sends the signal to its own thread, so that the handler serves it
    /// with a real signal context (the one a stop exposes). The record is cleared first.
    #[inline]
    #[must_use]
    pub fn leave(&self, n: u32) -> bool {
        compiler_fence(SeqCst);
        let d = self.defer.load(Relaxed) - n;
        self.defer.store(d, Relaxed);
        compiler_fence(SeqCst);
        if d == 0 && self.pending.load(Relaxed) != 0 {
            self.pending.store(0, Relaxed);
            return true;
        }
        false
    }

    /// The handler's deferral decision: inside a section it only records that it was asked
    /// (true: return without serving); outside, false: serve now.
    pub fn defer_request(&self) -> bool {
        if self.defer.load(Relaxed) != 0 {
            self.pending.store(1, Relaxed);
            return true;
        }
        false
    }
}
