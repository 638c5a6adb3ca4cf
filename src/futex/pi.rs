//! The kernel's priority-inheritance futex operations, one raw call each (man 2 futex,
//! "Priority-inheritance futexes"; kernel/futex/pi.c, requeue.c), for `sync::pi` to build its
//! mutex and condition variable on. The errno is handed back as it came: what it means depends
//! on the lock's state, which only the caller knows.
//!
//! Every call here is private (FUTEX_PRIVATE_FLAG): a PI mutex lives in one process. The word
//! is the kernel's PI word: the owner's tid in bits 0-29, FUTEX_OWNER_DIED (bit 30) and
//! FUTEX_WAITERS (bit 31) (include/uapi/linux/futex.h).

use super::futex_nr;
use crate::arch::sys::general::{
    FUTEX_CMP_REQUEUE_PI, FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_PRIVATE_FLAG, FUTEX_TRYLOCK_PI, FUTEX_UNLOCK_PI,
    FUTEX_TID_MASK, FUTEX_WAIT_REQUEUE_PI,
};
use crate::errno::Errno;
use crate::syscall::{sys, Timespec, Timespec32};
use core::sync::atomic::{AtomicU32, AtomicU8, Ordering::Relaxed};

/// Which locking operation `lock` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LockOp {
    /// FUTEX_LOCK_PI2 (Linux 5.14): as LOCK_PI, but its timeout is on CLOCK_MONOTONIC.
    Pi2,
    /// FUTEX_LOCK_PI, the original.
    Pi,
    /// FUTEX_TRYLOCK_PI: takes the lock if the kernel can, never sleeps.
    Try,
}

/// Locks the PI word `word` in the kernel, sleeping (with the owner boosted) while another
/// thread holds it. No timeout. `Ok` means the caller owns it now: the kernel wrote the
/// caller's tid (with WAITERS if others still wait).
pub(crate) fn lock(word: &AtomicU32, op: LockOp) -> Result<(), Errno> {
    let op = match op {
        LockOp::Pi2 => FUTEX_LOCK_PI2,
        LockOp::Pi => FUTEX_LOCK_PI,
        LockOp::Try => FUTEX_TRYLOCK_PI,
    };
    // SAFETY: the word is a live AtomicU32; a null timeout means none (the val and val3
    // arguments are unused by these operations).
    let r = unsafe { sys!(futex_nr().0, word.as_ptr(), op | FUTEX_PRIVATE_FLAG, 0, 0) };
    Errno::result(r).map(drop)
}

/// Hands the PI word on: to the highest-priority waiter, or 0 if none. EPERM if the caller
/// does not own it.
pub(crate) fn unlock(word: &AtomicU32) -> Result<(), Errno> {
    // SAFETY: the word is a live AtomicU32.
    let r = unsafe { sys!(futex_nr().0, word.as_ptr(), FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG) };
    Errno::result(r).map(drop)
}

/// Sleeps on `word` while it holds `expected`, to be moved by `cmp_requeue` onto the PI word
/// `pi`. `Ok` means the kernel has made the caller the owner of `pi`; any error means it does
/// not own it (kernel/futex/requeue.c, futex_wait_requeue_pi). `deadline` is absolute, on
/// CLOCK_MONOTONIC.
pub(crate) fn wait_requeue(word: &AtomicU32, expected: u32, deadline: Option<&Timespec>, pi: &AtomicU32) -> Result<(), Errno> {
    let (nr, time32) = futex_nr();
    let ts32 = match deadline {
        Some(t) if time32 => Some(Timespec32::absolute(t)?),
        _ => None,
    };
    let ts_ptr = match (&ts32, deadline) {
        (Some(t), _) => t as *const Timespec32 as usize,
        (None, Some(t)) => t as *const Timespec as usize,
        (None, None) => 0,
    };
    // SAFETY: both words are live AtomicU32s; the timeout is null or a live timespec of the
    // layout this syscall number reads.
    let r = unsafe {
        sys!(nr, word.as_ptr(), FUTEX_WAIT_REQUEUE_PI | FUTEX_PRIVATE_FLAG, expected, ts_ptr, pi.as_ptr(), 0)
    };
    Errno::result(r).map(drop)
}

/// If `word` still holds `expected`: gives `pi` to the first waiter on `word` if the kernel can
/// take it for it (and wakes that one), and moves up to `requeue` more onto `pi`'s wait queue.
/// Returns how many were woken or moved; EAGAIN if `word` had changed.
///
/// `pi` is an address, not a reference: it may name a mutex that is gone. The kernel only
/// computes its key from it (a private futex's key is the address) until it finds a waiter on
/// `word` queued for that same key, and such a waiter still borrows its mutex.
pub(crate) fn cmp_requeue(word: &AtomicU32, pi: *const u32, requeue: u32, expected: u32) -> Result<usize, Errno> {
    let requeue = requeue.min(i32::MAX as u32);
    // SAFETY: both words are live AtomicU32s; nr_wake must be 1 for REQUEUE_PI, and the
    // requeue count goes in the timeout argument's place, by value (kernel/futex/syscalls.c).
    let r = unsafe {
        sys!(futex_nr().0, word.as_ptr(), FUTEX_CMP_REQUEUE_PI | FUTEX_PRIVATE_FLAG, 1, requeue, pi, expected)
    };
    Errno::result(r)
}

/// What the kernel offers, probed once (`support`): 0 not yet probed, else one of these.
static SUPPORT: AtomicU8 = AtomicU8::new(0);
const HAS_LOCK_PI2: u8 = 1;
const HAS_LOCK_PI: u8 = 2;
const NOT_IMPLEMENTED: u8 = 3;
const WRONG_BYTE_ORDER: u8 = 4;

/// Whether PI futexes work here, and which lock operation to use: FUTEX_LOCK_PI2 where the
/// kernel has it (5.14 on), else FUTEX_LOCK_PI. The first call probes with a word of its own,
/// free, so that nothing sleeps: FUTEX_TRYLOCK_PI must give it to the caller with the caller's
/// tid in it (ENOSYS: no PI futexes; another value: an emulator that hands the word to a host
/// of the other byte order), then FUTEX_LOCK_PI2 on the free word must succeed at once (ENOSYS:
/// an older kernel). Later calls read the remembered answer.
pub(crate) fn support() -> Result<LockOp, super::Unsupported> {
    let s = match SUPPORT.load(Relaxed) {
        0 => probe(),
        s => s,
    };
    match s {
        HAS_LOCK_PI2 => Ok(LockOp::Pi2),
        HAS_LOCK_PI => Ok(LockOp::Pi),
        NOT_IMPLEMENTED => Err(super::Unsupported { op: "FUTEX_TRYLOCK_PI", reason: super::UnsupportedReason::NotImplemented }),
        _ => Err(super::Unsupported { op: "FUTEX_TRYLOCK_PI", reason: super::UnsupportedReason::WrongByteOrder }),
    }
}

#[cold]
fn probe() -> u8 {
    let tid = crate::thread::current_tid() as u32;
    let word = AtomicU32::new(0);
    let s = match lock(&word, LockOp::Try) {
        Err(_) => NOT_IMPLEMENTED,
        Ok(()) if word.load(Relaxed) & FUTEX_TID_MASK != tid => WRONG_BYTE_ORDER,
        Ok(()) => {
            // Free again (no waiters, no kernel state: a free word is taken by a plain
            // compare-and-swap in the kernel too), then the same with LOCK_PI2.
            word.store(0, Relaxed);
            match lock(&word, LockOp::Pi2) {
                Ok(()) => HAS_LOCK_PI2,
                Err(_) => HAS_LOCK_PI,
            }
        }
    };
    // The emulator's case: let the host kernel release the word it thinks we own.
    if s == WRONG_BYTE_ORDER {
        let _ = unlock(&word);
    }
    SUPPORT.store(s, Relaxed);
    s
}
