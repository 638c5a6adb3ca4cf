//! The registry: every thread strand knows, the main thread and every spawned one, in one
//! intrusive list through their control blocks, so that the process can be walked
//! (`for_each_thread`, stop-the-world) and a thread found by tid.
//!
//! The rules that make reading it safe:
//! - A spawned thread is linked before `clone` and the spawner keeps the registry lock across
//!   `clone` (as musl does with its thread-list lock): whoever walks the list under the lock
//!   sees every thread with its tid already set, and no thread starts unseen.
//! - A thread marks itself `exited` on its way out (under its own lock, with no global lock, so
//!   that many threads ending at once do not queue up here); walkers skip marked threads, whose
//!   tids may be reused from then on. It stays linked until its mapping is freed: whoever frees
//!   it (the joiner, or the detached thread itself) first unlinks it under the lock and waits
//!   until every *pin* taken on it is dropped (`pin`, which only a walker under the lock can
//!   take), so nothing that found it in the list reads a freed mapping. So a `Thread` value
//!   never dereferences a control block it has not first found, by address and serial number,
//!   in the list: a cached mapping reused by a new thread has a new serial.
//! - The lock is an internal lock (`sync::internal`): its holder is not stopped or interrupted.

use super::{Tcb, Thread};
use crate::futex;
use crate::sync::internal::InternalMutex;
use core::cell::Cell;
use core::ops::Range;
use core::ptr;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::sync::atomic::{AtomicBool, AtomicU32};

/// A control block's place in the registry. Only changed under the registry lock; `serial` is
/// set once, before the thread runs.
pub(crate) struct Links {
    next: Cell<*const Tcb>,
    prev: Cell<*const Tcb>,
    linked: Cell<bool>,
    /// Unique for the life of the process (never reused, unlike tids and mappings).
    pub(crate) serial: Cell<u64>,
    /// Walkers that have found this thread and may still read its control block; the mapping
    /// is not freed before this is 0 again (`wait_for_pins`).
    pins: AtomicU32,
    /// The thread's stack, lowest and one-past-highest address.
    pub(crate) stack: Cell<(usize, usize)>,
    /// Set by the thread as it exits (with `Shared::exited`): it stays linked, marked, until its
    /// mapping is freed, so that exiting takes no global lock.
    pub(crate) exited: AtomicBool,
    /// Other threads borrowing this one's thread-locals (`remote_tls`); it waits for them
    /// before it destroys its thread-locals.
    pub(crate) tls_readers: AtomicU32,
}

impl Links {
    pub(crate) const fn new() -> Links {
        Links {
            next: Cell::new(ptr::null()),
            prev: Cell::new(ptr::null()),
            linked: Cell::new(false),
            serial: Cell::new(0),
            pins: AtomicU32::new(0),
            stack: Cell::new((0, 0)),
            exited: AtomicBool::new(false),
            tls_readers: AtomicU32::new(0),
        }
    }
}

struct List {
    head: *const Tcb,
    len: usize,
    next_serial: u64,
}

// SAFETY: the list only holds control blocks of threads that are linked, which stay mapped
// until they unlink under this lock.
unsafe impl Send for List {}

static REGISTRY: InternalMutex<List> = InternalMutex::new(List { head: ptr::null(), len: 0, next_serial: 1 });

/// The registry lock, held: while it is, no thread joins or leaves the list.
pub(crate) struct Locked<'a> {
    list: crate::sync::internal::InternalGuard<'a, List>,
}

pub(crate) fn lock() -> Locked<'static> {
    Locked { list: REGISTRY.lock() }
}

impl Locked<'_> {
    /// Adds a control block (a new thread, before `clone`; or the main thread) and gives it its
    /// serial number.
    pub(crate) fn link(&mut self, tcb: &Tcb) {
        let l = &tcb.links;
        debug_assert!(!l.linked.get());
        l.serial.set(self.list.next_serial);
        self.list.next_serial += 1;
        l.prev.set(ptr::null());
        l.next.set(self.list.head);
        if !self.list.head.is_null() {
            // SAFETY: linked blocks stay mapped while linked; we hold the lock.
            unsafe { (*self.list.head).links.prev.set(tcb) };
        }
        self.list.head = tcb;
        self.list.len += 1;
        l.linked.set(true);
        super::session::count_in(tcb);
    }

    /// Takes a control block out (its thread is leaving, or its `clone` failed).
    pub(crate) fn unlink(&mut self, tcb: &Tcb) {
        let l = &tcb.links;
        if !l.linked.replace(false) {
            return;
        }
        let (prev, next) = (l.prev.get(), l.next.get());
        // SAFETY: neighbours are linked, so mapped; we hold the lock.
        unsafe {
            if prev.is_null() {
                self.list.head = next;
            } else {
                (*prev).links.next.set(next);
            }
            if !next.is_null() {
                (*next).links.prev.set(prev);
            }
        }
        self.list.len -= 1;
    }

    /// Every linked thread, newest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Tcb> + '_ {
        let mut at = self.list.head;
        core::iter::from_fn(move || {
            // SAFETY: linked blocks stay mapped while we hold the lock, which `self` borrows.
            let t = unsafe { at.as_ref()? };
            at = t.links.next.get();
            Some(t)
        })
    }

    /// Linked threads that have not exited: the ones a request may reach.
    pub(crate) fn live(&self) -> impl Iterator<Item = &Tcb> + '_ {
        self.iter().filter(|t| !t.links.exited.load(Acquire))
    }

    /// The linked thread `thread` names (same control block, same serial), if it is still there.
    pub(crate) fn find(&self, thread: &Thread) -> Option<&Tcb> {
        self.iter().find(|t| ptr::eq(*t, thread.tcb) && t.links.serial.get() == thread.serial)
    }

    /// Keeps `tcb` mapped after the lock is released, until the pin is dropped.
    pub(crate) fn pin(&self, tcb: &Tcb) -> Pin {
        tcb.links.pins.fetch_add(1, Relaxed);
        Pin { tcb }
    }
}

/// A control block kept mapped (see `Links::pins`).
pub(crate) struct Pin {
    tcb: *const Tcb,
}

impl Pin {
    pub(crate) fn tcb(&self) -> &Tcb {
        // SAFETY: pinned: the mapping is not freed before the pin is dropped.
        unsafe { &*self.tcb }
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        let pins = &self.tcb().links.pins;
        if pins.fetch_sub(1, Release) == 1 {
            futex::wake_private(pins, u32::MAX);
        }
    }
}

/// Finds `thread` in the registry and pins it; `None` once it has left.
pub(crate) fn pin(thread: &Thread) -> Option<Pin> {
    let r = lock();
    let t = r.find(thread)?;
    Some(r.pin(t))
}

/// Takes a finished thread out of the registry before its mapping is freed (by its joiner, or
/// by the thread itself when detached), and waits until nobody who found it there still holds a
/// pin on it. No new pin can be taken afterwards (pins are taken only on linked threads, under
/// the lock).
pub(crate) fn forget(tcb: &Tcb) {
    lock().unlink(tcb);
    wait_for_pins(tcb);
}

fn wait_for_pins(tcb: &Tcb) {
    let pins = &tcb.links.pins;
    loop {
        let n = pins.load(Acquire);
        if n == 0 {
            return;
        }
        futex::wait_private(pins, n, None);
    }
}

/// One registered thread, as the registry saw it.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let mut main_seen = false;
/// strand::thread::for_each_thread(|info| {
///     if info.thread.generation() == 1 {
///         main_seen = !info.exited && info.stack.start < info.stack.end;
///     }
/// });
/// assert!(main_seen);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ThreadInfo {
    /// Identity: tid, name, serial number.
    pub thread: Thread,
    /// The thread has finished (its handle has not been joined or dropped yet); its tid may
    /// already belong to another thread.
    pub exited: bool,
    /// The thread's stack: `start` is the lowest usable address (above the guard), `end` one
    /// past the highest. For the main thread, the range its stack may grow over
    /// (RLIMIT_STACK, at most 8 MiB, below the start-up stack pointer's page).
    pub stack: Range<usize>,
}

/// Calls `f` for every thread in the registry (the calling one included, and finished threads
/// whose handles have not been joined or dropped, marked `exited`), newest first, under
/// the registry lock: `f` must not spawn or join threads, or wait for one (they would wait for
/// the lock). Not async-signal-safe.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let mut n = 0;
/// strand::thread::for_each_thread(|_| n += 1);
/// assert!(n >= 1);
/// # }
/// ```
pub fn for_each_thread(mut f: impl FnMut(&ThreadInfo)) {
    let r = lock();
    for t in r.iter() {
        let (lo, hi) = t.links.stack.get();
        f(&ThreadInfo { thread: Thread::of(t), exited: t.links.exited.load(Acquire), stack: lo..hi });
    }
}

/// The number of threads in the registry that have not finished.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::Barrier;
/// static GATE: Barrier = Barrier::new(2);
/// let before = strand::thread::thread_count();
/// let h = strand::thread::spawn(|| { GATE.wait(); }).unwrap();
/// assert_eq!(strand::thread::thread_count(), before + 1);
/// GATE.wait();
/// h.join().unwrap();
/// assert_eq!(strand::thread::thread_count(), before);
/// # }
/// ```
pub fn thread_count() -> usize {
    lock().live().count()
}

/// The registered thread with kernel tid `tid`, if any.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let me = strand::thread::find(strand::thread::current_tid()).unwrap();
/// assert_eq!(me, strand::thread::current());
/// assert_eq!(strand::thread::find(-1), None);
/// # }
/// ```
pub fn find(tid: i32) -> Option<Thread> {
    let r = lock();
    let found = r.live().find(|t| t.tid() == tid).map(Thread::of);
    found
}

/// Whether `thread` has finished (its closure returned, or it called `thread::exit`). Once true it stays true: serial numbers are never reused.
pub(crate) fn has_exited(thread: &Thread) -> bool {
    lock().find(thread).is_none_or(|t| t.links.exited.load(Acquire))
}
