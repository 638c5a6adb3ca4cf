//! A robust mutex: one whose holder may end without unlocking it, after which the next locker
//! gets it with `OwnerDied`, repairs the data and marks it consistent (or leaves it, and the
//! mutex refuses everyone from then on: `NotRecoverable`), as POSIX's robust mutexes do.
//!
//! # The word
//!
//! ```text
//!  bit 31      bit 30       bits 29..0
//!  WAITERS     OWNER_DIED   holder's tid (0: free)        0x3fffffff alone: not recoverable
//! ```
//!
//! The kernel's robust-futex word (include/uapi/linux/futex.h; Documentation/locking/
//! robust-futex-ABI.rst), used with plain FUTEX_WAIT/FUTEX_WAKE. Uncontended, lock is
//! `CAS(0 -> tid)` and unlock `swap(0)`; a waiter sets WAITERS and sleeps, and a thread that
//! took the lock after sleeping keeps WAITERS set (others may still sleep), as in `Mutex`.
//! When a holder ends, whoever cleans up after it (below) replaces its tid by OWNER_DIED,
//! keeping WAITERS, and wakes one waiter if WAITERS was set. A word with no tid is free, so
//! the next locker takes it as usual; it finds OWNER_DIED in what it replaced, and so returns
//! `OwnerDied` with the guard, the mutex marked inconsistent until the guard's
//! `mark_consistent`. A guard dropped while still inconsistent stores NOT_RECOVERABLE and wakes
//! every waiter: each then fails with `NotRecoverable`, as does every later lock.
//!
//! The waits and wakes are *shared* futex operations: the kernel's own exit-time wake
//! (kernel/futex/core.c, handle_futex_death) is a shared one, which a private waiter would
//! never see (glibc makes its robust mutexes' futex calls shared for the same reason).
//!
//! # Who cleans up: the robust list
//!
//! Every thread has a list of the robust mutexes it holds, in its control block: the kernel's
//! `struct robust_list_head` (a `next` pointer, the offset from a list node to its lock word,
//! and `list_op_pending`), whose nodes are the mutexes themselves (`next` first, then `prev`,
//! which only strand reads, for unlinking in any order). Lock and unlock follow the ABI's
//! protocol, so that a thread that ends between any two of its steps is still cleaned up after:
//!
//! ```text
//!  lock:   pending = m; take the word; link m at the head; pending = null
//!  unlock: pending = m; unlink m; release the word (wake one if WAITERS); pending = null
//! ```
//!
//! Two walkers read it:
//! - strand, in a thread's exit path (`exit_current`, before the thread counts as finished,
//!   so a joiner that then locks sees `OwnerDied`): for every mutex on the list, and the
//!   pending one, whose word still holds the thread's tid, the step above; for a pending one
//!   whose word is 0 (the thread ended between its release and its wake), a wake. This covers
//!   every exit strand sees (the closure returns, `thread::exit`), also where the kernel keeps
//!   no list (QEMU user mode answers ENOSYS to set_robust_list).
//! - the kernel, at the death of a thread that registered its list (set_robust_list), does the
//!   same (kernel/futex/core.c, exit_robust_list): for ends strand does not see, like a thread
//!   that leaves by a raw exit or a process killed while another process shares the mutex.
//!
//! The list is set up, and offered to the kernel, lazily on a thread's first robust lock
//! (musl's choice): a thread that never takes one pays no syscall for it at spawn. A kernel
//! that answered ENOSYS is remembered, so later threads do not ask. A thread whose exit frees
//! its own mapping (detached, the stack cache full) withdraws its list from the kernel first
//! (`before_unmap`), so the kernel never walks freed memory.
//!
//! FUTEX_ROBUST_UNLOCK (an unlock that also clears `list_op_pending` in the kernel, closing the
//! window in which a thread that released the word dies before clearing the slot while the
//! mutex's memory is reused) is not used: it arrives with Linux 7.2 (the project's notes on
//! the futex patches), which neither linux-raw-sys 0.12 nor the 6.18 kernel this was tested on
//! has. The window it closes needs a process to die between two stores of an unlock while
//! another frees and reuses the mutex's memory; the pending walk above then sets OWNER_DIED
//! only in a word holding the dead thread's tid.

use super::atomic_wait::futex::{self, Scope};
use super::atomic_wait::{current_tid, register_robust_list, with_robust_list, AtomicU32};
use super::mutex::WouldDeadlock;
use core::cell::{Cell, UnsafeCell};
use core::fmt;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::ptr;
use core::sync::atomic::{compiler_fence, Ordering::{Acquire, Relaxed, Release, SeqCst}};

const WAITERS: u32 = 1 << 31;
const OWNER_DIED: u32 = 1 << 30;
const TID_MASK: u32 = 0x3fff_ffff;
/// No tid (they stay below 2^22, PID_MAX_LIMIT), so neither walker ever touches it.
const NOT_RECOVERABLE: u32 = TID_MASK;
/// The most nodes a walk follows (ROBUST_LIST_LIMIT, as the kernel): a list made a cycle by
/// a memory error does not hang an exiting thread.
const WALK_LIMIT: usize = 2048;

/// The kernel's `struct robust_list`: the one pointer it follows.
type Next = Cell<*const Link>;

/// A list node, the start of every `RawRobustMutex`: `next` where the kernel reads it, then
/// the `next` slot pointing at this node (the head's or the previous node's), for unlinking.
#[repr(C)]
struct Link {
    next: Next,
    prev: Cell<*const Next>,
}

/// The kernel's `struct robust_list_head` (three words on every ABI).
#[repr(C)]
struct Head {
    next: Next,
    futex_offset: isize,
    pending: Cell<*const Link>,
}

/// A thread's robust list, in its control block. Only the thread itself touches it.
pub struct RobustList {
    head: Head,
    /// `head.next` points at the head (the empty list) and the kernel has been asked.
    ready: Cell<bool>,
    /// The kernel took the list (set_robust_list succeeded).
    registered: Cell<bool>,
    /// Test hook (`__leave_robust_list_to_kernel`): skip strand's exit walk once.
    leave_to_kernel: Cell<bool>,
}

impl RobustList {
    pub const fn new() -> RobustList {
        RobustList {
            head: Head {
                next: Cell::new(ptr::null()),
                futex_offset: core::mem::offset_of!(RawRobustMutex, state) as isize,
                pending: Cell::new(ptr::null()),
            },
            ready: Cell::new(false),
            registered: Cell::new(false),
            leave_to_kernel: Cell::new(false),
        }
    }

    /// The end marker: the head's own `next` slot (where the kernel stops).
    fn end(&self) -> *const Link {
        &self.head.next as *const Next as *const Link
    }

    #[inline]
    fn ready(&self) {
        if !self.ready.get() {
            self.set_up();
        }
    }

    #[cold]
    fn set_up(&self) {
        self.head.next.set(self.end());
        self.registered.set(register_robust_list(&self.head as *const Head as *const u8, core::mem::size_of::<Head>()));
        self.ready.set(true);
    }

    /// Links `m` at the front. The caller holds `m`, and `m` is on no list.
    fn push(&self, m: &RawRobustMutex) {
        let node = m.node();
        let first = self.head.next.get();
        m.link.next.set(first);
        m.link.prev.set(&self.head.next);
        if first != self.end() {
            // SAFETY: `first` is a node of this thread's list: a mutex it holds, alive.
            unsafe { (*first).prev.set(&m.link.next) };
        }
        self.head.next.set(node);
    }

    /// Unlinks `m`, which is on this list.
    fn unlink(&self, m: &RawRobustMutex) {
        let (next, prev) = (m.link.next.get(), m.link.prev.get());
        // SAFETY: `prev` is the head's or a held node's `next` slot; `next` is a held node or
        // the end marker, whose `prev` is never touched.
        unsafe {
            (*prev).set(next);
            if next != self.end() {
                (*next).prev.set(prev);
            }
        }
    }
}

/// The lock without data.
///
/// It must stay at one address while locked (it is linked into its holder's robust list): a
/// `static`, or a place that outlives every lock.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::{RawRobustMutex, Taken};
/// static RAW: RawRobustMutex = RawRobustMutex::new();
/// assert_eq!(RAW.lock(), Ok(Taken::Consistent));
/// assert!(RAW.is_locked());
/// // SAFETY: this thread holds it (locked just above).
/// unsafe { RAW.unlock() };
/// assert_eq!(RAW.try_lock(), Ok(Taken::Consistent));
/// // SAFETY: as above.
/// unsafe { RAW.unlock() };
/// # }
/// ```
#[repr(C)]
pub struct RawRobustMutex {
    /// First: the list node the kernel follows (`futex_offset` leads from it to `state`).
    link: Link,
    state: AtomicU32,
    /// Taken from a holder that ended, and not marked consistent since. Only the holder reads
    /// or writes it (the lock orders successive holders).
    inconsistent: Cell<bool>,
}

// SAFETY: `link` and `inconsistent` are touched only by the thread holding the lock (and its
// neighbours' links only by the thread holding those); the word is atomic.
unsafe impl Sync for RawRobustMutex {}
// SAFETY: as above; a mutex is moved only while nobody holds it (a guard borrows it).
unsafe impl Send for RawRobustMutex {}

/// How a lock ended: taken as usual, or taken from a holder that ended without unlocking.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::{RawRobustMutex, Taken};
/// static RAW: RawRobustMutex = RawRobustMutex::new();
/// strand::thread::spawn(|| { RAW.lock().unwrap(); }).unwrap().join().unwrap(); // ends holding it
/// assert_eq!(RAW.lock(), Ok(Taken::OwnerDied));
/// assert!(RAW.is_inconsistent());
/// // SAFETY: this thread holds it.
/// unsafe { RAW.mark_consistent(); RAW.unlock() };
/// assert_eq!(RAW.try_lock(), Ok(Taken::Consistent));
/// // SAFETY: as above.
/// unsafe { RAW.unlock() };
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Taken {
    /// Taken from a holder that unlocked it: the data is as it left it.
    Consistent,
    /// Taken from a holder that ended holding it: the data may be half-updated; repair it
    /// and mark it consistent before unlocking.
    OwnerDied,
}

/// Why a robust lock was not taken.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::{RawRobustMutex, RobustError};
/// static RAW: RawRobustMutex = RawRobustMutex::new();
/// RAW.lock().unwrap();
/// assert!(matches!(RAW.lock(), Err(RobustError::WouldDeadlock(_))));
/// // SAFETY: this thread holds it.
/// unsafe { RAW.unlock() };
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RobustError {
    /// A holder that took it with `OwnerDied` let go without `mark_consistent`.
    NotRecoverable,
    /// The calling thread holds it already.
    WouldDeadlock(WouldDeadlock),
    /// `try_lock` only: another thread holds it.
    WouldBlock,
}

impl fmt::Display for RobustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RobustError::NotRecoverable => f.write_str("robust mutex not recoverable: its data was left inconsistent"),
            RobustError::WouldDeadlock(e) => e.fmt(f),
            RobustError::WouldBlock => f.write_str("robust mutex held by another thread"),
        }
    }
}

impl RawRobustMutex {
    /// This mutex as a list node: a pointer to the whole mutex (the link is its first field),
    /// so that a walker may reach the word through it.
    fn node(&self) -> *const Link {
        self as *const RawRobustMutex as *const Link
    }

    /// An unlocked mutex (usable in a `static`).
    pub const fn new() -> RawRobustMutex {
        RawRobustMutex {
            link: Link { next: Cell::new(ptr::null()), prev: Cell::new(ptr::null()) },
            state: AtomicU32::new(0),
            inconsistent: Cell::new(false),
        }
    }

    /// Locks, waiting while another thread holds it.
    pub fn lock(&self) -> Result<Taken, RobustError> {
        self.lock_listed(false)
    }

    /// Locks if no other thread holds it (never sleeps).
    pub fn try_lock(&self) -> Result<Taken, RobustError> {
        self.lock_listed(true)
    }

    /// The list protocol around `acquire` (see the module doc). The fences keep the compiler
    /// from moving the list stores across the word's: a walker reads them as the thread left
    /// them, whatever instruction it ended at.
    fn lock_listed(&self, try_only: bool) -> Result<Taken, RobustError> {
        with_robust_list(|list| {
            list.ready();
            list.head.pending.set(self.node());
            compiler_fence(SeqCst);
            let r = self.acquire(current_tid() as u32, try_only);
            if r.is_ok() {
                list.push(self);
            }
            compiler_fence(SeqCst);
            list.head.pending.set(ptr::null());
            r
        })
    }

    fn acquire(&self, tid: u32, try_only: bool) -> Result<Taken, RobustError> {
        let mut s = match self.state.compare_exchange(0, tid, Acquire, Relaxed) {
            Ok(_) => return Ok(Taken::Consistent),
            Err(s) => s,
        };
        // WAITERS once we have slept: others may still sleep on the word.
        let mut mark = 0;
        loop {
            if s == NOT_RECOVERABLE {
                return Err(RobustError::NotRecoverable);
            }
            let holder = s & TID_MASK;
            if holder == 0 {
                // Free, maybe after a holder died (OWNER_DIED, kept out of the new value).
                match self.state.compare_exchange(s, tid | (s & WAITERS) | mark, Acquire, Relaxed) {
                    Ok(_) if s & OWNER_DIED != 0 => {
                        self.inconsistent.set(true);
                        return Ok(Taken::OwnerDied);
                    }
                    Ok(_) => return Ok(Taken::Consistent),
                    Err(x) => s = x,
                }
                continue;
            }
            if holder == tid {
                return Err(RobustError::WouldDeadlock(WouldDeadlock::of(tid as i32)));
            }
            if try_only {
                return Err(RobustError::WouldBlock);
            }
            if s & WAITERS == 0 {
                if let Err(x) = self.state.compare_exchange(s, s | WAITERS, Relaxed, Relaxed) {
                    s = x;
                    continue;
                }
                s |= WAITERS;
            }
            futex::wait(&self.state, s, None, Scope::Shared);
            mark = WAITERS;
            s = self.state.load(Relaxed);
        }
    }

    /// Marks the data repaired: the next unlock leaves the mutex usable.
    ///
    /// # Safety
    /// The calling thread holds the lock.
    pub unsafe fn mark_consistent(&self) {
        self.inconsistent.set(false);
    }

    /// Whether the holder took it from a holder that ended and has not marked it consistent.
    /// Meaningful to the holder only.
    pub fn is_inconsistent(&self) -> bool {
        self.inconsistent.get()
    }

    /// Unlocks; if the holder took it with `OwnerDied` and did not mark it consistent, the
    /// mutex becomes not recoverable.
    ///
    /// # Safety
    /// The calling thread holds the lock (it is on the calling thread's robust list).
    pub unsafe fn unlock(&self) {
        with_robust_list(|list| {
            list.head.pending.set(self.node());
            compiler_fence(SeqCst);
            list.unlink(self);
            let left = if self.inconsistent.get() { NOT_RECOVERABLE } else { 0 };
            let was = self.state.swap(left, Release);
            if was & WAITERS != 0 {
                // A word left not recoverable fails every waiter: wake them all.
                futex::wake(&self.state, if left == 0 { 1 } else { u32::MAX }, Scope::Shared);
            }
            compiler_fence(SeqCst);
            list.head.pending.set(ptr::null());
        })
    }

    /// A walker's step for a mutex the ending thread `tid` may hold (see the module doc).
    fn owner_died(&self, tid: u32, pending: bool) {
        let mut s = self.state.load(Relaxed);
        loop {
            if s & TID_MASK != tid {
                if pending && s == 0 {
                    // Released, but perhaps not yet woken for: wake in its place.
                    futex::wake(&self.state, 1, Scope::Shared);
                }
                return;
            }
            match self.state.compare_exchange(s, (s & WAITERS) | OWNER_DIED, Release, Relaxed) {
                Ok(_) => {
                    if s & WAITERS != 0 {
                        futex::wake(&self.state, 1, Scope::Shared);
                    }
                    return;
                }
                Err(x) => s = x,
            }
        }
    }

    /// Whether some thread holds the mutex (a snapshot).
    pub fn is_locked(&self) -> bool {
        let s = self.state.load(Relaxed);
        s & TID_MASK != 0 && s != NOT_RECOVERABLE
    }
}

impl Default for RawRobustMutex {
    fn default() -> Self {
        Self::new()
    }
}

/// strand's exit walk over the calling thread's robust list (see the module doc): every
/// robust mutex it still holds (or was locking or unlocking) goes to the next locker with
/// `OwnerDied`. Called on the thread's exit path before it counts as finished.
pub fn exit_current() {
    with_robust_list(|list| {
        if !list.ready.get() || (list.leave_to_kernel.get() && list.registered.get()) {
            return;
        }
        let tid = current_tid() as u32;
        let end = list.end();
        let pending = list.head.pending.get();
        let mut node = list.head.next.get();
        let mut n = 0;
        while node != end && n < WALK_LIMIT {
            // SAFETY: a node of our list is a mutex we hold, alive until we let go of it; its
            // `next` is read before that, since the next holder may free it.
            unsafe {
                let next = (*node).next.get();
                if node != pending {
                    (*(node as *const RawRobustMutex)).owner_died(tid, false);
                }
                node = next;
            }
            n += 1;
        }
        if !pending.is_null() {
            // SAFETY: the pending mutex is one we were locking or unlocking: alive (its
            // borrower is this thread, stopped inside that call).
            unsafe { (*(pending as *const RawRobustMutex)).owner_died(tid, true) };
        }
        list.head.next.set(end);
        list.head.pending.set(ptr::null());
    })
}

/// Withdraws the calling thread's list from the kernel before the thread frees the memory it
/// lives in (a detached thread unmapping itself).
pub fn before_unmap() {
    with_robust_list(|list| {
        if list.registered.get() {
            exit_current();
            register_robust_list(ptr::null(), core::mem::size_of::<Head>());
            list.registered.set(false);
        }
    })
}

/// Test hook: at the calling thread's exit, leave the robust mutexes it holds to the kernel's
/// walk instead of strand's (to test the kernel's), if the kernel took its list. Returns
/// whether it did (false where the kernel keeps no robust lists: strand's walk runs anyway).
#[doc(hidden)]
pub fn __leave_robust_list_to_kernel() -> bool {
    with_robust_list(|list| {
        list.ready();
        list.leave_to_kernel.set(true);
        list.registered.get()
    })
}

/// Test hook: withdraws the calling thread's list from the kernel, so that only strand's exit
/// walk can hand its robust mutexes over (the path QEMU user mode always takes), natively too.
#[doc(hidden)]
pub fn __hide_robust_list_from_kernel() {
    with_robust_list(|list| {
        list.ready();
        if list.registered.get() {
            register_robust_list(ptr::null(), core::mem::size_of::<Head>());
            list.registered.set(false);
        }
    })
}

/// A mutex around a `T` that survives its holder's end: see the module doc.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::{RobustLockError, RobustMutex};
/// static BALANCE: RobustMutex<i64> = RobustMutex::new(100);
/// // A thread ends while holding the lock, halfway through an update.
/// strand::thread::spawn(|| {
///     let mut g = BALANCE.lock().ok().unwrap();
///     *g -= 30;
///     core::mem::forget(g);
/// }).unwrap().join().unwrap();
/// // The next locker is told, repairs the data and marks it consistent.
/// match BALANCE.lock() {
///     Err(RobustLockError::OwnerDied(mut g)) => {
///         assert!(!g.is_consistent());
///         *g = 100;
///         g.mark_consistent();
///     }
///     _ => panic!("expected OwnerDied"),
/// }
/// assert_eq!(*BALANCE.lock().ok().unwrap(), 100);
/// # }
/// ```
pub struct RobustMutex<T: ?Sized> {
    raw: RawRobustMutex,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out `&mut T` to one thread at a time.
unsafe impl<T: ?Sized + Send> Send for RobustMutex<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send> Sync for RobustMutex<T> {}

/// Why `RobustMutex::lock` returned no plain guard.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::{RobustLockError, RobustMutex};
/// static M: RobustMutex<u8> = RobustMutex::new(0);
/// // The holder dies; the next locker does not mark it consistent; then nobody can lock it.
/// strand::thread::spawn(|| core::mem::forget(M.lock())).unwrap().join().unwrap();
/// let g = M.lock().err().and_then(RobustLockError::into_owner_died).unwrap();
/// drop(g);
/// assert!(matches!(M.lock(), Err(RobustLockError::NotRecoverable)));
/// # }
/// ```
pub enum RobustLockError<G> {
    /// Locked, but the previous holder ended without unlocking: repair the data, then call
    /// `mark_consistent` on the guard before dropping it, or the mutex becomes unusable.
    OwnerDied(G),
    /// The mutex is unusable: a holder that got `OwnerDied` did not mark it consistent.
    NotRecoverable,
    /// The calling thread holds it already.
    WouldDeadlock(WouldDeadlock),
    /// `try_lock` only: another thread holds it.
    WouldBlock,
}

impl<G> fmt::Debug for RobustLockError<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RobustLockError::OwnerDied(_) => f.write_str("OwnerDied(..)"),
            RobustLockError::NotRecoverable => f.write_str("NotRecoverable"),
            RobustLockError::WouldDeadlock(e) => write!(f, "WouldDeadlock({e:?})"),
            RobustLockError::WouldBlock => f.write_str("WouldBlock"),
        }
    }
}

impl<G> fmt::Display for RobustLockError<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RobustLockError::OwnerDied(_) => f.write_str("the robust mutex's previous holder ended without unlocking it"),
            RobustLockError::NotRecoverable => RobustError::NotRecoverable.fmt(f),
            RobustLockError::WouldDeadlock(e) => e.fmt(f),
            RobustLockError::WouldBlock => RobustError::WouldBlock.fmt(f),
        }
    }
}

impl<G> RobustLockError<G> {
    /// The guard of an `OwnerDied` lock.
    pub fn into_owner_died(self) -> Option<G> {
        match self {
            RobustLockError::OwnerDied(g) => Some(g),
            _ => None,
        }
    }
}

/// What `RobustMutex::lock` and `try_lock` return: the guard, or why there is no plain one.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::{RobustLockResult, RobustMutex};
/// let m = RobustMutex::new(1);
/// let r: RobustLockResult<'_, i32> = m.lock();
/// assert_eq!(r.ok().map(|g| *g), Some(1));
/// # }
/// ```
pub type RobustLockResult<'a, T> = Result<RobustMutexGuard<'a, T>, RobustLockError<RobustMutexGuard<'a, T>>>;

impl<T> RobustMutex<T> {
    /// An unlocked mutex holding `value` (usable in a `static`).
    pub const fn new(value: T) -> RobustMutex<T> {
        RobustMutex { raw: RawRobustMutex::new(), data: UnsafeCell::new(value) }
    }

    /// Consumes the mutex and returns its value.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RobustMutex<T> {
    /// Locks, waiting while another thread holds it. `Err(OwnerDied(guard))` if the previous
    /// holder ended holding it (the lock is held: repair, `mark_consistent`, drop).
    pub fn lock(&self) -> RobustLockResult<'_, T> {
        self.wrap(self.raw.lock())
    }

    /// Locks if no other thread holds it, else `Err(WouldBlock)`.
    pub fn try_lock(&self) -> RobustLockResult<'_, T> {
        self.wrap(self.raw.try_lock())
    }

    fn wrap(&self, r: Result<Taken, RobustError>) -> RobustLockResult<'_, T> {
        let guard = || RobustMutexGuard { lock: self, _not_send: PhantomData };
        match r {
            Ok(Taken::Consistent) => Ok(guard()),
            Ok(Taken::OwnerDied) => Err(RobustLockError::OwnerDied(guard())),
            Err(RobustError::NotRecoverable) => Err(RobustLockError::NotRecoverable),
            Err(RobustError::WouldDeadlock(e)) => Err(RobustLockError::WouldDeadlock(e)),
            Err(RobustError::WouldBlock) => Err(RobustLockError::WouldBlock),
        }
    }

    /// Whether some thread holds the mutex (a snapshot).
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// The value, through `&mut self`: no locking, since nobody else can hold the mutex.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::sync::{RobustLockError, RobustMutex};
    /// let mut m = RobustMutex::new(1);
    /// *m.get_mut() += 1;
    /// let g = m.try_lock().ok().unwrap();
    /// assert!(m.is_locked());
    /// drop(g);
    /// assert!(matches!(m.try_lock(), Ok(_)));
    /// assert_eq!(m.into_inner(), 2);
    /// # let _ = RobustLockError::<()>::WouldBlock;
    /// # }
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: ?Sized> fmt::Debug for RobustMutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RobustMutex").field("locked", &self.is_locked()).finish_non_exhaustive()
    }
}

/// Holds a `RobustMutex`; unlocks on drop (leaving the mutex not recoverable if it was taken
/// with `OwnerDied` and not marked consistent). Not `Send`: it is on its thread's robust list.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::RobustMutex;
/// let m = RobustMutex::new(5);
/// let mut g = m.lock().ok().unwrap();
/// *g += 1;
/// assert!(g.is_consistent());
/// drop(g);
/// assert_eq!(m.into_inner(), 6);
/// # }
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RobustMutexGuard<'a, T: ?Sized> {
    lock: &'a RobustMutex<T>,
    _not_send: PhantomData<*const ()>,
}

impl<T: ?Sized> RobustMutexGuard<'_, T> {
    /// The data is repaired: unlocking leaves the mutex usable.
    pub fn mark_consistent(&mut self) {
        // SAFETY: the guard proves the lock is held by this thread.
        unsafe { self.lock.raw.mark_consistent() }
    }

    /// Whether the mutex was taken from a holder that ended and is not yet marked consistent.
    pub fn is_consistent(&self) -> bool {
        !self.lock.raw.is_inconsistent()
    }
}

impl<T: ?Sized> Deref for RobustMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard proves the lock is held.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RobustMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard proves the lock is held, and `&mut self` makes the borrow unique.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RobustMutexGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: the guard proves the lock is held by this thread.
        unsafe { self.lock.raw.unlock() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RobustMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nodes on the calling thread's list, first to last.
    fn listed() -> std::vec::Vec<*const Link> {
        with_robust_list(|l| {
            let mut v = std::vec::Vec::new();
            let mut n = l.head.next.get();
            while n != l.end() {
                v.push(n);
                // SAFETY: a listed node is a held, live mutex.
                n = unsafe { (*n).next.get() };
            }
            v
        })
    }

    /// Linked newest first, unlinked from anywhere, and the exit walk marks exactly the held
    /// ones OWNER_DIED (none of these paths sleeps: this also runs under Miri).
    #[test]
    fn list_links_unlinks_and_walks() {
        let m: [RawRobustMutex; 3] = Default::default();
        for x in &m {
            assert_eq!(x.lock(), Ok(Taken::Consistent));
        }
        let node = |i: usize| m[i].node();
        assert_eq!(listed(), [node(2), node(1), node(0)]);
        // SAFETY: held by this thread.
        unsafe { m[1].unlock() };
        assert_eq!(listed(), [node(2), node(0)]);
        assert_eq!(m[1].lock(), Ok(Taken::Consistent));
        // SAFETY: as above.
        unsafe { m[2].unlock() };
        assert_eq!(listed(), [node(1), node(0)]);
        exit_current();
        assert!(listed().is_empty());
        assert_eq!(m[0].state.load(Relaxed), OWNER_DIED);
        assert_eq!(m[1].state.load(Relaxed), OWNER_DIED);
        assert_eq!(m[2].state.load(Relaxed), 0);
        // The next locker is told, and unless it marks the data consistent nobody gets it again.
        assert_eq!(m[0].lock(), Ok(Taken::OwnerDied));
        // SAFETY: held.
        unsafe { m[0].mark_consistent(); m[0].unlock() };
        assert_eq!(m[0].lock(), Ok(Taken::Consistent));
        assert_eq!(m[1].lock(), Ok(Taken::OwnerDied));
        // SAFETY: held.
        unsafe { m[1].unlock() };
        assert_eq!(m[1].lock(), Err(RobustError::NotRecoverable));
        assert!(matches!(m[0].lock(), Err(RobustError::WouldDeadlock(_))));
        // SAFETY: held.
        unsafe { m[0].unlock() };
        assert!(listed().is_empty());
    }
}
