//! The calling thread's signal mask, its pending signals, and waiting for a signal.

use super::{SigInfo, SigSet};
use crate::arch::{nr, sys::general as g};
use crate::errno::Errno;
use crate::syscall::{self, sys, Timespec32};
use crate::time::Instant;
use core::time::Duration;

/// Blocks `set` in the calling thread (adds it to the mask); returns the mask before.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, SigSet, Signal};
/// let before = signal::block(&SigSet::of(&[Signal::USR1])).unwrap();
/// assert!(signal::mask().unwrap().contains(Signal::USR1));
/// signal::set_mask(&before).unwrap();
/// assert_eq!(signal::mask().unwrap(), before);
/// # }
/// ```
pub fn block(set: &SigSet) -> Result<SigSet, Errno> {
    let mut old = SigSet::EMPTY;
    syscall::sigprocmask(g::SIG_BLOCK, Some(set), Some(&mut old)).map(|()| old)
}

/// Unblocks `set` in the calling thread; returns the mask before. Pending signals of `set` are
/// delivered before this returns.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Handler, Mode, SigSet, Signal};
/// let set = SigSet::of(&[Signal::USR2]);
/// signal::set_handler(Signal::USR2, Handler::Ignore).unwrap();
/// signal::block(&set).unwrap();
/// signal::raise(Signal::USR2).unwrap();
/// assert!(signal::pending().unwrap().contains(Signal::USR2));
/// signal::unblock(&set).unwrap(); // delivered (and ignored) now
/// assert!(!signal::pending().unwrap().contains(Signal::USR2));
/// # let _ = Mode::Ignore;
/// # }
/// ```
pub fn unblock(set: &SigSet) -> Result<SigSet, Errno> {
    let mut old = SigSet::EMPTY;
    syscall::sigprocmask(g::SIG_UNBLOCK, Some(set), Some(&mut old)).map(|()| old)
}

/// Replaces the calling thread's mask with `set`; returns the mask before.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, SigSet, Signal};
/// let before = signal::set_mask(&SigSet::of(&[Signal::USR1, Signal::USR2])).unwrap();
/// assert_eq!(signal::mask().unwrap(), SigSet::of(&[Signal::USR1, Signal::USR2]));
/// assert_eq!(signal::set_mask(&before).unwrap(), SigSet::of(&[Signal::USR1, Signal::USR2]));
/// # }
/// ```
pub fn set_mask(set: &SigSet) -> Result<SigSet, Errno> {
    let mut old = SigSet::EMPTY;
    syscall::sigprocmask(g::SIG_SETMASK, Some(set), Some(&mut old)).map(|()| old)
}

/// The calling thread's mask.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, SigSet, Signal};
/// assert!(!strand::signal::mask().unwrap().contains(Signal::USR1));
/// signal::block(&SigSet::of(&[Signal::USR1])).unwrap();
/// assert!(strand::signal::mask().unwrap().contains(Signal::USR1));
/// # }
/// ```
pub fn mask() -> Result<SigSet, Errno> {
    let mut old = SigSet::EMPTY;
    syscall::sigprocmask(g::SIG_BLOCK, None, Some(&mut old)).map(|()| old)
}

/// The signals pending for the calling thread or its process (blocked ones that arrived).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, SigSet, Signal};
/// let set = SigSet::of(&[Signal::USR2]);
/// signal::block(&set).unwrap();
/// assert!(signal::pending().unwrap().is_empty());
/// signal::raise(Signal::USR2).unwrap();
/// assert_eq!(signal::pending().unwrap(), set);
/// signal::wait(&set).unwrap(); // taken: no longer pending
/// assert!(signal::pending().unwrap().is_empty());
/// # }
/// ```
pub fn pending() -> Result<SigSet, Errno> {
    let mut set = SigSet::EMPTY;
    // SAFETY: the kernel writes one sigset of the size passed.
    Errno::result(unsafe { sys!(g::__NR_rt_sigpending, &mut set as *mut SigSet, core::mem::size_of::<SigSet>()) })
        .map(|_| set)
}

/// Replaces the mask with `mask` until a handler has run, then restores it (`sigsuspend`): the
/// way to unblock a signal and wait for it with no window in between.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Context, Handler, SigInfo, SigSet, Signal};
/// use core::sync::atomic::{AtomicBool, Ordering::{Acquire, Release}};
/// static RAN: AtomicBool = AtomicBool::new(false);
/// fn on_usr1(_: &SigInfo, _: &mut Context) {
///     RAN.store(true, Release);
/// }
/// signal::set_handler(Signal::USR1, Handler::Function(on_usr1)).unwrap();
/// let old = signal::block(&SigSet::of(&[Signal::USR1])).unwrap();
/// let main = strand::thread::current_tid();
/// let h = strand::thread::spawn(move || signal::send_to_thread(main, Signal::USR1)).unwrap();
/// // No window between the check and the wait: USR1 is blocked until `suspend` opens it.
/// while !RAN.load(Acquire) {
///     signal::suspend(&old);
/// }
/// h.join().unwrap().unwrap();
/// # }
/// ```
pub fn suspend(mask: &SigSet) {
    // SAFETY: the kernel reads one sigset; rt_sigsuspend returns only with EINTR.
    unsafe { sys!(g::__NR_rt_sigsuspend, mask as *const SigSet, core::mem::size_of::<SigSet>()) };
}

/// Waits for one of `set` to be pending for the calling thread or the process and takes it
/// (`sigwaitinfo`): its handler does not run. `set` should be blocked in every thread (else a
/// thread that does not block it may get it first, by its handler). A handler of another
/// signal interrupting the wait does not end it.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, SigSet, Signal};
/// let set = SigSet::of(&[Signal::USR1, Signal::USR2]);
/// signal::block(&set).unwrap();
/// let main = strand::thread::current_tid();
/// let h = strand::thread::spawn(move || signal::send_to_thread(main, Signal::USR2)).unwrap();
/// let info = signal::wait(&set).unwrap(); // sleeps until one arrives
/// assert_eq!(info.signal(), Signal::USR2);
/// h.join().unwrap().unwrap();
/// # }
/// ```
pub fn wait(set: &SigSet) -> Result<SigInfo, Errno> {
    loop {
        match timed_wait(set, None) {
            Err(Errno::EINTR) => continue,
            r => return r,
        }
    }
}

/// As [`wait`], for at most `timeout`: `Ok(None)` when it passes (`Duration::ZERO` polls).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, SigSet, Signal};
/// use core::time::Duration;
/// let set = SigSet::of(&[Signal::USR1]);
/// signal::block(&set).unwrap();
/// assert!(signal::wait_timeout(&set, Duration::ZERO).unwrap().is_none());
/// signal::raise(Signal::USR1).unwrap();
/// let info = signal::wait_timeout(&set, Duration::from_secs(5)).unwrap().unwrap();
/// assert_eq!(info.signal(), Signal::USR1);
/// # }
/// ```
pub fn wait_timeout(set: &SigSet, timeout: Duration) -> Result<Option<SigInfo>, Errno> {
    let start = Instant::now();
    loop {
        let left = timeout.saturating_sub(start.elapsed());
        match timed_wait(set, Some(left)) {
            Ok(info) => return Ok(Some(info)),
            Err(Errno::EAGAIN) => return Ok(None),
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// One `rt_sigtimedwait`: 64-bit time on every ABI (`rt_sigtimedwait_time64` on 32-bit ones),
/// the 32-bit-time original where start-up found the time64 syscalls missing.
fn timed_wait(set: &SigSet, timeout: Option<Duration>) -> Result<SigInfo, Errno> {
    let mut info = SigInfo::zeroed();
    // A timeout too long to express waits forever.
    let ts = timeout.and_then(crate::futex::timespec);
    let size = core::mem::size_of::<SigSet>();
    let r = match nr::RT_SIGTIMEDWAIT_TIME32 {
        Some(old) if crate::rt::uses_time32(crate::rt::TIME32_FUTEX) => {
            let ts32 = ts.as_ref().map(Timespec32::relative);
            let p = ts32.as_ref().map_or(core::ptr::null(), |t| t as *const Timespec32);
            // SAFETY: the kernel reads the set and timeout and writes one siginfo.
            unsafe { sys!(old, set as *const SigSet, &mut info as *mut SigInfo, p, size) }
        }
        _ => {
            let p = ts.as_ref().map_or(core::ptr::null(), |t| t as *const syscall::Timespec);
            // SAFETY: as above.
            unsafe { sys!(nr::RT_SIGTIMEDWAIT, set as *const SigSet, &mut info as *mut SigInfo, p, size) }
        }
    };
    Errno::result(r).map(|_| info)
}
