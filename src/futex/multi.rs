//! The futex2 system calls (kernel/futex/syscalls.c): `futex_waitv` (one wait on up to 128
//! words, Linux 5.16) and `futex_wake`/`futex_wait` (Linux 6.7), each detected at run time:
//! the first ENOSYS is remembered and every later call answers `Unsupported` without a
//! syscall. QEMU user mode knows the numbers but answers ENOSYS to all three (7.2 and 10.0).

use super::{Scope, WaitResult};
use crate::arch::sys::general::{
    __NR_futex_wait, __NR_futex_waitv, __NR_futex_wake, futex_waitv, CLOCK_MONOTONIC, FUTEX2_PRIVATE, FUTEX2_SIZE_U32,
    FUTEX_BITSET_MATCH_ANY, FUTEX_WAITV_MAX,
};
use crate::errno::Errno;
use crate::syscall::{sys, Timespec};
use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};
use core::time::Duration;

/// A futex operation this kernel (or emulator) does not provide.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::futex::{self, Scope, UnsupportedReason};
/// use core::sync::atomic::AtomicU32;
/// let word = AtomicU32::new(0);
/// match futex::futex2_wake(&word, 1, Scope::Private) {
///     Ok(woken) => assert_eq!(woken, 0),
///     Err(u) => {
///         assert_eq!((u.op, u.reason), ("futex_wake", UnsupportedReason::NotImplemented));
///         strand::println!("{u}");
///     }
/// }
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unsupported {
    /// The operation, as the kernel names it (`futex_waitv`, `FUTEX_LOCK_PI`, ...).
    pub op: &'static str,
    /// Why it is unusable here.
    pub reason: UnsupportedReason,
}

/// Why a futex operation is unusable on this kernel or emulator.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::futex::{self, UnsupportedReason};
/// use core::sync::atomic::AtomicU32;
/// let w = AtomicU32::new(0);
/// if let Err(u) = futex::futex2_wait(&w, 0, Some(core::time::Duration::ZERO), futex::Scope::Private) {
///     assert_eq!(u.reason, UnsupportedReason::NotImplemented);
/// }
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnsupportedReason {
    /// The kernel said ENOSYS: too old, configured without it, or an emulator that does not
    /// implement it.
    NotImplemented,
    /// The kernel runs it but writes the futex word in the wrong byte order: QEMU user mode
    /// passes PI futexes to a host of the other endianness unchanged, so the owner's tid the
    /// host kernel stores is byte-swapped for the guest (big-endian guests on x86_64).
    WrongByteOrder,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason {
            UnsupportedReason::NotImplemented => write!(f, "{}: not implemented by this kernel or emulator (ENOSYS)", self.op),
            UnsupportedReason::WrongByteOrder => write!(
                f,
                "{}: the kernel writes the owner's tid in the other byte order (an emulator passing PI futexes to a host of the other endianness)",
                self.op
            ),
        }
    }
}

/// One word for `wait_any`: sleep while it holds `expected`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::futex::{Scope, WaitOn};
/// use core::sync::atomic::AtomicU32;
/// let w = AtomicU32::new(3);
/// let on = WaitOn::new(&w, 3);
/// assert_eq!((on.expected, on.scope), (3, Scope::Private));
/// let shared = WaitOn { scope: Scope::Shared, ..on };
/// assert_eq!(shared.scope, Scope::Shared);
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct WaitOn<'a> {
    /// The futex word.
    pub word: &'a AtomicU32,
    /// The value to sleep on; any other ends the wait at once (`ValueChanged`).
    pub expected: u32,
    /// Private (this process only) or shared.
    pub scope: Scope,
}

impl<'a> WaitOn<'a> {
    /// A private word (one process), the common case.
    pub fn new(word: &'a AtomicU32, expected: u32) -> WaitOn<'a> {
        WaitOn { word, expected, scope: Scope::Private }
    }
}

/// Why `wait_any` returned without a word being woken.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::futex::{self, WaitAnyError};
/// assert_eq!(futex::wait_any(&[], None), Err(WaitAnyError::BadLength(0)));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitAnyError {
    /// A word did not hold its expected value when the kernel looked (which one, the kernel
    /// does not say): re-read them all.
    ValueChanged,
    /// The timeout passed.
    TimedOut,
    /// A signal handler ran.
    Interrupted,
    /// No words, or more than `WAIT_ANY_MAX`.
    BadLength(usize),
    /// This kernel or emulator has no `futex_waitv`.
    Unsupported(Unsupported),
    /// Any other error of the system call (EFAULT, EINVAL...).
    Os(Errno),
}

impl fmt::Display for WaitAnyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitAnyError::ValueChanged => f.write_str("a word no longer held its expected value"),
            WaitAnyError::TimedOut => f.write_str("timed out"),
            WaitAnyError::Interrupted => f.write_str("interrupted by a signal"),
            WaitAnyError::BadLength(n) => write!(f, "futex_waitv takes 1 to {WAIT_ANY_MAX} words, not {n}"),
            WaitAnyError::Unsupported(u) => u.fmt(f),
            WaitAnyError::Os(e) => write!(f, "futex_waitv: {e:?}"),
        }
    }
}

/// The most words one `wait_any` takes (FUTEX_WAITV_MAX).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// assert_eq!(strand::futex::WAIT_ANY_MAX, 128);
/// # }
/// ```
pub const WAIT_ANY_MAX: usize = FUTEX_WAITV_MAX as usize;

/// Set once a futex2 call said ENOSYS.
static NO_WAITV: AtomicBool = AtomicBool::new(false);
static NO_WAIT2: AtomicBool = AtomicBool::new(false);
static NO_WAKE2: AtomicBool = AtomicBool::new(false);

fn flags(scope: Scope) -> u32 {
    FUTEX2_SIZE_U32 | if scope == Scope::Private { FUTEX2_PRIVATE } else { 0 }
}

/// The absolute CLOCK_MONOTONIC time `timeout` from now, as futex2 takes it; `None` (wait
/// forever) if it does not fit.
pub(crate) fn deadline(timeout: Duration) -> Option<Timespec> {
    let now = crate::syscall::clock_gettime(CLOCK_MONOTONIC).ok()?;
    super::timespec(Duration::new(now.tv_sec as u64, now.tv_nsec as u32).checked_add(timeout)?)
}

/// Remembers an ENOSYS from the syscall whose flag is `no`, and turns it into `Unsupported`.
fn enosys(no: &AtomicBool, op: &'static str, e: Errno) -> Option<Unsupported> {
    if e == Errno::ENOSYS {
        no.store(true, Relaxed);
        return Some(Unsupported { op, reason: UnsupportedReason::NotImplemented });
    }
    None
}

/// Sleeps until one of `words` is woken (or its time runs out), and returns the index of the
/// word that was: `futex_waitv` (syscall 449). Each word is compared with its expected value
/// before the caller sleeps, as by `wait`; a word that differs ends the wait at once with
/// `ValueChanged`. The words are woken by the ordinary `wake` (or `futex2_wake`) of their scope.
/// Costs one 16-byte record per word on the stack (up to 128: 2 KiB).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::futex::{self, WaitAnyError, WaitOn};
/// use core::sync::atomic::{AtomicU32, Ordering::{Acquire, Release}};
/// static A: AtomicU32 = AtomicU32::new(0);
/// static B: AtomicU32 = AtomicU32::new(0);
/// let h = strand::thread::spawn(|| {
///     B.store(1, Release);
///     futex::wake_private(&B, 1);
/// }).unwrap();
/// loop {
///     if B.load(Acquire) == 1 {
///         break;
///     }
///     match futex::wait_any(&[WaitOn::new(&A, 0), WaitOn::new(&B, 0)], None) {
///         Ok(i) => assert_eq!(i, 1), // woken through B (re-checked above)
///         Err(WaitAnyError::ValueChanged) => {}
///         Err(WaitAnyError::Unsupported(_)) => while B.load(Acquire) == 0 {
///             futex::wait_private(&B, 0, None);
///         },
///         Err(e) => panic!("{e}"),
///     }
/// }
/// h.join().unwrap();
/// # }
/// ```
pub fn wait_any(words: &[WaitOn<'_>], timeout: Option<Duration>) -> Result<usize, WaitAnyError> {
    let n = words.len();
    if n == 0 || n > WAIT_ANY_MAX {
        return Err(WaitAnyError::BadLength(n));
    }
    if NO_WAITV.load(Relaxed) {
        return Err(WaitAnyError::Unsupported(Unsupported { op: "futex_waitv", reason: UnsupportedReason::NotImplemented }));
    }
    const EMPTY: futex_waitv = futex_waitv { val: 0, uaddr: 0, flags: 0, __reserved: 0 };
    let mut v = [EMPTY; WAIT_ANY_MAX];
    for (slot, w) in v.iter_mut().zip(words) {
        *slot = futex_waitv { val: w.expected as u64, uaddr: w.word.as_ptr() as usize as u64, flags: flags(w.scope), __reserved: 0 };
    }
    let ts = timeout.and_then(deadline);
    let ts_ptr = ts.as_ref().map_or(0, |t| t as *const Timespec as usize);
    // SAFETY: `v` holds `n` initialised records naming live words; the timeout is null or a
    // live 64-bit timespec (futex_waitv always takes __kernel_timespec); flags must be 0.
    let r = unsafe { sys!(__NR_futex_waitv, v.as_ptr(), n, 0, ts_ptr, CLOCK_MONOTONIC) };
    match Errno::result(r) {
        Ok(i) => Ok(i),
        Err(Errno::EAGAIN) => Err(WaitAnyError::ValueChanged),
        Err(Errno::ETIMEDOUT) => Err(WaitAnyError::TimedOut),
        Err(Errno::EINTR) => Err(WaitAnyError::Interrupted),
        Err(e) => Err(enosys(&NO_WAITV, "futex_waitv", e).map_or(WaitAnyError::Os(e), WaitAnyError::Unsupported)),
    }
}

/// `wait` through the futex2 call `futex_wait` (syscall 455): the timeout is taken as an
/// absolute CLOCK_MONOTONIC time, so a wait restarted after a signal does not start its time
/// over. `Err(Unsupported)` where the kernel lacks it.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::futex::{self, Scope, WaitResult};
/// use core::sync::atomic::AtomicU32;
/// use core::time::Duration;
/// let w = AtomicU32::new(0);
/// match futex::futex2_wait(&w, 0, Some(Duration::from_millis(1)), Scope::Private) {
///     // Nobody wakes it: it times out (or, rarely, returns spuriously).
///     Ok(r) => assert!(matches!(r, WaitResult::TimedOut | WaitResult::Woken)),
///     Err(u) => strand::println!("{u}"), // older kernel or QEMU
/// }
/// # }
/// ```
pub fn futex2_wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>, scope: Scope) -> Result<WaitResult, Unsupported> {
    if NO_WAIT2.load(Relaxed) {
        return Err(Unsupported { op: "futex_wait", reason: UnsupportedReason::NotImplemented });
    }
    let ts = timeout.and_then(deadline);
    let ts_ptr = ts.as_ref().map_or(0, |t| t as *const Timespec as usize);
    // SAFETY: the word is a live AtomicU32; the timeout is null or a live 64-bit timespec. The
    // mask is a 32-bit one (the kernel refuses wider masks for 32-bit futexes).
    let r = unsafe {
        sys!(__NR_futex_wait, word.as_ptr(), expected, FUTEX_BITSET_MATCH_ANY, flags(scope), ts_ptr, CLOCK_MONOTONIC)
    };
    Ok(match Errno::result(r) {
        Ok(_) => WaitResult::Woken,
        Err(Errno::EAGAIN) => WaitResult::ValueChanged,
        Err(Errno::ETIMEDOUT) => WaitResult::TimedOut,
        Err(Errno::EINTR) => WaitResult::Interrupted,
        Err(e) => match enosys(&NO_WAIT2, "futex_wait", e) {
            Some(u) => return Err(u),
            // As for `wait`: nothing else can happen for a live, aligned word, and a wake-up
            // is what every caller handles.
            None => WaitResult::Woken,
        },
    })
}

/// `wake` through the futex2 call `futex_wake` (syscall 454): wakes up to `n` waiters and says
/// how many it woke. `Err(Unsupported)` where the kernel lacks it.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::futex::{self, Scope};
/// use core::sync::atomic::AtomicU32;
/// let w = AtomicU32::new(0);
/// match futex::futex2_wake(&w, u32::MAX, Scope::Private) {
///     Ok(n) => assert_eq!(n, 0), // nobody waits
///     Err(u) => strand::println!("{u}"),
/// }
/// # }
/// ```
pub fn futex2_wake(word: &AtomicU32, n: u32, scope: Scope) -> Result<usize, Unsupported> {
    if NO_WAKE2.load(Relaxed) {
        return Err(Unsupported { op: "futex_wake", reason: UnsupportedReason::NotImplemented });
    }
    let n = n.min(i32::MAX as u32);
    // SAFETY: futex_wake only uses the address as a key.
    let r = unsafe { sys!(__NR_futex_wake, word.as_ptr(), FUTEX_BITSET_MATCH_ANY, n, flags(scope)) };
    match Errno::result(r) {
        Ok(k) => Ok(k),
        Err(e) => match enosys(&NO_WAKE2, "futex_wake", e) {
            Some(u) => Err(u),
            None => Ok(0),
        },
    }
}
