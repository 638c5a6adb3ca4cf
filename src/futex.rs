//! Futex wait and wake: the one blocking primitive every lock in strand is built on
//! (man 2 futex). 64-bit time on every ABI: the arch table maps `FUTEX` to `futex_time64` on
//! 32-bit ABIs. Where that is missing (kernel < 5.1, or an older seccomp profile) start-up
//! (`rt`) switches a 32-bit ABI to the 32-bit-time `futex` (`nr::FUTEX_TIME32`); a 64-bit ABI
//! without `futex` does not start.

use crate::arch::nr;
use crate::errno::Errno;
use crate::syscall::{sys, Timespec, Timespec32};
pub use crate::thread::Cancelled;
use core::sync::atomic::AtomicU32;
use core::time::Duration;
use crate::arch::sys::general::{FUTEX_CMP_REQUEUE, FUTEX_PRIVATE_FLAG, FUTEX_WAIT, FUTEX_WAKE};

/// How a wait ended.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::futex::{self, WaitResult};
/// use core::sync::atomic::AtomicU32;
/// use core::time::Duration;
/// let word = AtomicU32::new(1);
/// assert_eq!(futex::wait_private(&word, 0, None), WaitResult::ValueChanged);
/// // A wait may also end spuriously (`Woken`): wait again until the time runs out.
/// let r = loop {
///     match futex::wait_private(&word, 1, Some(Duration::from_millis(1))) {
///         WaitResult::Woken => continue,
///         r => break r,
///     }
/// };
/// assert_eq!(r, WaitResult::TimedOut);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitResult {
    /// Woken by `wake` (or spuriously: callers re-check their condition).
    Woken,
    /// The word did not hold `expected` when the kernel looked.
    ValueChanged,
    /// The timeout passed.
    TimedOut,
    /// A signal handler ran.
    Interrupted,
}

/// Whether other processes may wait on the same word (a shared mapping). Private is faster;
/// the kernel's CLONE_CHILD_CLEARTID wake is shared, so joins wait shared.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::futex::{self, Scope, WaitResult};
/// use core::sync::atomic::AtomicU32;
/// let word = AtomicU32::new(0);
/// // Nobody waits: a shared wake finds nobody to wake.
/// assert_eq!(futex::wake(&word, 1, Scope::Shared), 0);
/// let r = loop {
///     match futex::wait(&word, 0, Some(core::time::Duration::from_millis(1)), Scope::Shared) {
///         WaitResult::Woken => continue, // spurious: nobody wakes it
///         r => break r,
///     }
/// };
/// assert_eq!(r, WaitResult::TimedOut);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Only threads of this process wait on the word (FUTEX_PRIVATE_FLAG).
    Private,
    /// Any process that maps the word may wait on it.
    Shared,
}

impl Scope {
    fn flag(self) -> u32 {
        match self {
            Scope::Private => FUTEX_PRIVATE_FLAG,
            Scope::Shared => 0,
        }
    }
}

/// Converts a relative timeout to a timespec; `None` if it is too long to express (wait forever).
pub(crate) fn timespec(d: Duration) -> Option<Timespec> {
    Some(Timespec { tv_sec: i64::try_from(d.as_secs()).ok()?, tv_nsec: d.subsec_nanos() as _ })
}

/// The futex syscall start-up chose, and whether it takes 32-bit time.
#[inline]
fn futex_nr() -> (usize, bool) {
    match nr::FUTEX_TIME32 {
        Some(old) if crate::rt::uses_time32(crate::rt::TIME32_FUTEX) => (old, true),
        _ => (nr::FUTEX, false),
    }
}

/// Sleeps while `*futex == expected`, for at most `timeout`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::futex::{self, Scope};
/// use core::sync::atomic::{AtomicU32, Ordering::{Acquire, Release}};
/// static READY: AtomicU32 = AtomicU32::new(0);
/// let h = strand::thread::spawn(|| {
///     READY.store(1, Release);
///     futex::wake(&READY, 1, Scope::Private);
/// }).unwrap();
/// // Re-check after every return: a wait may also end spuriously.
/// while READY.load(Acquire) == 0 {
///     futex::wait(&READY, 0, None, Scope::Private);
/// }
/// h.join().unwrap();
/// # }
/// ```
pub fn wait(futex: &AtomicU32, expected: u32, timeout: Option<Duration>, scope: Scope) -> WaitResult {
    match wait_entry(futex, expected, timeout, scope, None) {
        Ok(r) => r,
        Err(_) => unreachable!("only a cancellable wait is cancelled"),
    }
}

/// `wait`, as a cancellation point: `Err(Cancelled)` if the calling thread is cancelled
/// before or while it sleeps (see `Thread::cancel`). A wake that came first is returned.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::futex::{self, Cancelled, Scope};
/// use core::sync::atomic::AtomicU32;
/// static NEVER: AtomicU32 = AtomicU32::new(0);
/// let h = strand::thread::spawn(|| loop {
///     futex::wait_cancellable(&NEVER, 0, None, Scope::Private)?;
/// }).unwrap();
/// h.thread().cancel().unwrap();
/// let r: Result<(), Cancelled> = h.join().unwrap();
/// assert_eq!(r, Err(Cancelled));
/// # }
/// ```
pub fn wait_cancellable(futex: &AtomicU32, expected: u32, timeout: Option<Duration>, scope: Scope) -> Result<WaitResult, Cancelled> {
    wait_entry(futex, expected, timeout, scope, Some(crate::thread::cancel_word()))
}

fn wait_entry(futex: &AtomicU32, expected: u32, timeout: Option<Duration>, scope: Scope, cancel: Option<*const u32>) -> Result<WaitResult, Cancelled> {
    let ts = timeout.and_then(timespec);
    let (nr, time32) = futex_nr();
    // FUTEX_WAIT's timeout is relative (man 2 futex), so 32-bit seconds only cut waits of more
    // than 68 years.
    let ts32 = ts.as_ref().filter(|_| time32).map(Timespec32::relative);
    let ts_ptr = match (&ts32, &ts) {
        (Some(t), _) => t as *const Timespec32 as usize,
        (None, Some(t)) => t as *const Timespec as usize,
        (None, None) => 0,
    };
    let (word, op) = (futex.as_ptr() as usize, (FUTEX_WAIT | scope.flag()) as usize);
    // SAFETY: the futex word is a live AtomicU32; the timeout is null or a live timespec of the
    // layout this syscall number reads; `cancel` is the calling thread's live cancel word.
    let r = unsafe {
        match cancel {
            None => sys!(nr, word, op, expected, ts_ptr),
            Some(w) => crate::arch::syscall_cp(w, nr, word, op, expected as usize, ts_ptr, 0, 0),
        }
    };
    Ok(match Errno::result(r) {
        Ok(_) => WaitResult::Woken,
        Err(Errno::EAGAIN) => WaitResult::ValueChanged,
        Err(Errno::ETIMEDOUT) => WaitResult::TimedOut,
        Err(Errno::EINTR) => WaitResult::Interrupted,
        // Only the stub's cancel exit says ECANCELED: FUTEX_WAIT never does.
        Err(Errno::ECANCELED) if cancel.is_some() => return Err(Cancelled),
        // EFAULT/EINVAL cannot happen for a live, aligned word, and start-up made sure the
        // syscall exists. Report anything else as a wake-up: every caller re-checks its
        // condition.
        Err(_) => WaitResult::Woken,
    })
}

/// Wakes up to `n` waiters; returns how many were woken.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::futex;
/// use core::sync::atomic::AtomicU32;
/// let word = AtomicU32::new(0);
/// assert_eq!(futex::wake_private(&word, u32::MAX), 0); // nobody was waiting
/// # }
/// ```
pub fn wake(futex: &AtomicU32, n: u32, scope: Scope) -> usize {
    wake_addr(futex.as_ptr(), n, scope)
}

/// `wake` by address, for a word that may already be gone: FUTEX_WAKE never dereferences it.
pub(crate) fn wake_addr(addr: *const u32, n: u32, scope: Scope) -> usize {
    let n = n.min(i32::MAX as u32);
    // SAFETY: FUTEX_WAKE only uses the address as a key.
    let r = unsafe { sys!(futex_nr().0, addr, FUTEX_WAKE | scope.flag(), n) };
    Errno::result(r).unwrap_or(0)
}

/// Wakes up to `wake` waiters on `from` and moves up to `requeue` more, still asleep, onto `to`
/// (FUTEX_CMP_REQUEUE, man 2 futex), provided `from` still holds `expected`. Returns how many
/// were woken or moved, or `None` if `from` had changed (or the kernel refused the call: a
/// caller then falls back to a plain `wake`, which is always correct).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::futex::{self, Scope};
/// use core::sync::atomic::AtomicU32;
/// let (from, to) = (AtomicU32::new(5), AtomicU32::new(0));
/// // `from` holds 5: nobody waits, so nobody is woken or moved.
/// assert_eq!(futex::requeue(&from, &to, 1, u32::MAX, 5, Scope::Private), Some(0));
/// // `from` changed meanwhile: refused.
/// assert_eq!(futex::requeue_private(&from, &to, 1, u32::MAX, 4), None);
/// # }
/// ```
pub fn requeue(from: &AtomicU32, to: &AtomicU32, wake: u32, requeue: u32, expected: u32, scope: Scope) -> Option<usize> {
    let (wake, requeue) = (wake.min(i32::MAX as u32), requeue.min(i32::MAX as u32));
    // SAFETY: both words are live AtomicU32s; FUTEX_CMP_REQUEUE takes the requeue count in the
    // timeout argument's place, by value (kernel/futex/syscalls.c).
    let r = unsafe {
        sys!(futex_nr().0, from.as_ptr(), FUTEX_CMP_REQUEUE | scope.flag(), wake, requeue, to.as_ptr(), expected)
    };
    Errno::result(r).ok()
}

/// Private requeue.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::futex;
/// use core::sync::atomic::AtomicU32;
/// let (cond, mutex) = (AtomicU32::new(1), AtomicU32::new(0));
/// // Wake one waiter of `cond` and move the rest to `mutex`, if `cond` still holds 1.
/// assert_eq!(futex::requeue_private(&cond, &mutex, 1, u32::MAX, 1), Some(0));
/// # }
/// ```
#[inline]
pub fn requeue_private(from: &AtomicU32, to: &AtomicU32, wake: u32, requeue: u32, expected: u32) -> Option<usize> {
    self::requeue(from, to, wake, requeue, expected, Scope::Private)
}

/// Private wait: the common case for locks inside one process.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::futex::{self, WaitResult};
/// use core::sync::atomic::AtomicU32;
/// use core::time::Duration;
/// let word = AtomicU32::new(0);
/// let r = loop {
///     match futex::wait_private(&word, 0, Some(Duration::from_millis(1))) {
///         WaitResult::Woken => continue, // spurious: nobody wakes it
///         r => break r,
///     }
/// };
/// assert_eq!(r, WaitResult::TimedOut);
/// # }
/// ```
#[inline]
pub fn wait_private(futex: &AtomicU32, expected: u32, timeout: Option<Duration>) -> WaitResult {
    wait(futex, expected, timeout, Scope::Private)
}

/// Private `wait_cancellable`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::futex::{self, WaitResult};
/// use core::sync::atomic::AtomicU32;
/// let word = AtomicU32::new(1);
/// assert_eq!(futex::wait_private_cancellable(&word, 0, None), Ok(WaitResult::ValueChanged));
/// # }
/// ```
#[inline]
pub fn wait_private_cancellable(futex: &AtomicU32, expected: u32, timeout: Option<Duration>) -> Result<WaitResult, Cancelled> {
    wait_cancellable(futex, expected, timeout, Scope::Private)
}

/// Private wake.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::futex;
/// use core::sync::atomic::{AtomicU32, Ordering::{Acquire, Release}};
/// static FLAG: AtomicU32 = AtomicU32::new(0);
/// let h = strand::thread::spawn(|| while FLAG.load(Acquire) == 0 {
///     futex::wait_private(&FLAG, 0, None);
/// }).unwrap();
/// FLAG.store(1, Release);
/// futex::wake_private(&FLAG, 1);
/// h.join().unwrap();
/// # }
/// ```
#[inline]
pub fn wake_private(futex: &AtomicU32, n: u32) -> usize {
    wake(futex, n, Scope::Private)
}

// Priority-inheritance operations (for `sync::pi`) and the futex2 calls (`wait_any`, ...).
pub(crate) mod pi;
pub(crate) mod robust;
mod multi;
pub(crate) use multi::deadline;
pub use multi::{futex2_wait, futex2_wake, wait_any, Unsupported, UnsupportedReason, WaitAnyError, WaitOn, WAIT_ANY_MAX};
