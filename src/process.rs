//! Process identity and interval timers, typed and the same on every ABI: pids, user and group
//! ids, `kill`, `setitimer`/`getitimer` and `alarm`.
//!
//! Which syscall does the work differs by ABI and is the arch file's business (`arch::nr`):
//! 32-bit x86 has 16-bit-id originals and `*32` full-id variants, aarch64, riscv64 and riscv32
//! have no `alarm` (it is emulated here with `setitimer`, as the kernel itself implements it).
//!
//! # Credentials are per thread
//!
//! **Linux keeps user and group ids per thread.** The raw `setuid`, `setgid`, `setresuid`,
//! `setresgid` and `setgroups` syscalls these wrappers make change the *calling thread only*;
//! glibc and musl hide that by repeating the call in every thread (the `setxid` broadcast),
//! strand does not. In a program that has spawned threads, call them before spawning, or
//! in each thread, or the threads end up with different privileges (a privilege drop in one
//! thread leaves the others privileged). The getters report the calling thread's ids.

use crate::arch::{self, nr};
use crate::errno::Errno;
use crate::syscall::sys;
use core::time::Duration;
use crate::arch::sys::general as g;

pub use crate::signal::{kill, raise};

/// A user id.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let uid: strand::process::Uid = strand::process::getuid();
/// assert_eq!(uid, strand::process::getresuid().unwrap().real);
/// # }
/// ```
pub type Uid = u32;
/// A group id.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let gid: strand::process::Gid = strand::process::getgid();
/// assert_eq!(gid, strand::process::getresgid().unwrap().real);
/// # }
/// ```
pub type Gid = u32;

/// The process id (the thread group id: the same in every thread). Async-signal-safe.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::process::{getpid, gettid};
/// assert_eq!(getpid(), gettid()); // in the main thread
/// let tid = strand::thread::spawn(gettid).unwrap().join().unwrap();
/// assert_ne!(tid, getpid());
/// # }
/// ```
pub fn getpid() -> i32 {
    crate::syscall::getpid()
}

/// The parent's process id; that of the reaper (init or a subreaper) once the parent has
/// exited. Async-signal-safe.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let ppid = strand::process::getppid();
/// assert!(ppid >= 0); // 0 only under a parent outside our pid namespace
/// assert_ne!(ppid, strand::process::getpid());
/// # }
/// ```
pub fn getppid() -> i32 {
    // SAFETY: no memory is involved; getppid cannot fail.
    unsafe { sys!(g::__NR_getppid) as i32 }
}

/// The calling thread's kernel id (equal to [`getpid`] in the main thread). Async-signal-safe.
/// `thread::current_tid` gives the same without a syscall.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let tid = strand::process::gettid();
/// assert_eq!(tid, strand::thread::current_tid());
/// # }
/// ```
pub fn gettid() -> i32 {
    crate::syscall::gettid()
}

/// A syscall that cannot fail and returns an id.
fn id_call(number: usize) -> u32 {
    // SAFETY: the id getters take no arguments and touch no memory.
    unsafe { arch::syscall0(number) as u32 }
}

/// The calling thread's real user id. Async-signal-safe.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::process::{getresuid, getuid};
/// assert_eq!(getuid(), getresuid().unwrap().real);
/// # }
/// ```
pub fn getuid() -> Uid {
    id_call(nr::GETUID)
}

/// The calling thread's effective user id. Async-signal-safe.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::process::{geteuid, getresuid};
/// assert_eq!(geteuid(), getresuid().unwrap().effective);
/// # }
/// ```
pub fn geteuid() -> Uid {
    id_call(nr::GETEUID)
}

/// The calling thread's real group id. Async-signal-safe.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::process::{getgid, getresgid};
/// assert_eq!(getgid(), getresgid().unwrap().real);
/// # }
/// ```
pub fn getgid() -> Gid {
    id_call(nr::GETGID)
}

/// The calling thread's effective group id. Async-signal-safe.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::process::{getegid, getresgid};
/// assert_eq!(getegid(), getresgid().unwrap().effective);
/// # }
/// ```
pub fn getegid() -> Gid {
    id_call(nr::GETEGID)
}

/// The real, effective and saved ids of one kind, as `getresuid`/`getresgid` report them.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let ids: strand::process::ResIds = strand::process::getresuid().unwrap();
/// assert_eq!(ids.effective, strand::process::geteuid());
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResIds {
    /// Who the thread is: the owner of what it creates and sends signals from.
    pub real: u32,
    /// What permission checks use.
    pub effective: u32,
    /// What an unprivileged thread may set its effective id back to.
    pub saved: u32,
}

fn getres(number: usize) -> Result<ResIds, Errno> {
    let (mut r, mut e, mut s) = (0u32, 0u32, 0u32);
    // SAFETY: the kernel writes one u32 (uid_t/gid_t, 32 bits in every full-id variant) to each
    // live local.
    Errno::result(unsafe { sys!(number, &mut r as *mut u32, &mut e as *mut u32, &mut s as *mut u32) })?;
    Ok(ResIds { real: r, effective: e, saved: s })
}

/// The calling thread's real, effective and saved user ids. Async-signal-safe.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let ids = strand::process::getresuid().unwrap();
/// assert_eq!((ids.real, ids.effective), (strand::process::getuid(), strand::process::geteuid()));
/// # }
/// ```
pub fn getresuid() -> Result<ResIds, Errno> {
    getres(nr::GETRESUID)
}

/// The calling thread's real, effective and saved group ids. Async-signal-safe.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let ids = strand::process::getresgid().unwrap();
/// assert_eq!((ids.real, ids.effective), (strand::process::getgid(), strand::process::getegid()));
/// # }
/// ```
pub fn getresgid() -> Result<ResIds, Errno> {
    getres(nr::GETRESGID)
}

/// `u32::MAX` is `(uid_t)-1`, which the kernel reads as "leave unchanged" (or rejects): never a
/// real id to set.
fn check_id(id: u32) -> Result<usize, Errno> {
    if id == u32::MAX { Err(Errno::EINVAL) } else { Ok(id as usize) }
}

/// The id to pass for an optional one: `None` is `-1`, "unchanged" (kernel/sys.c).
fn opt_id(id: Option<u32>) -> Result<usize, Errno> {
    match id {
        None => Ok(u32::MAX as usize),
        Some(id) => check_id(id),
    }
}

/// Sets the calling thread's user id (all three if privileged, else the effective one).
/// **The calling thread only**: see the module docs. `EPERM` without the privilege, `EINVAL`
/// for `u32::MAX`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::process::{getuid, setuid};
/// // Setting the id the thread already has is allowed without privilege.
/// setuid(getuid()).unwrap();
/// assert_eq!(setuid(u32::MAX), Err(strand::Errno::EINVAL)); // (uid_t)-1 is not an id
/// # }
/// ```
pub fn setuid(uid: Uid) -> Result<(), Errno> {
    let uid = check_id(uid)?;
    // SAFETY: no memory is involved.
    Errno::result(unsafe { sys!(nr::SETUID, uid) }).map(drop)
}

/// Sets the calling thread's group id. **The calling thread only**: see the module docs.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::process::{getgid, setgid};
/// setgid(getgid()).unwrap();
/// assert_eq!(setgid(u32::MAX), Err(strand::Errno::EINVAL));
/// # }
/// ```
pub fn setgid(gid: Gid) -> Result<(), Errno> {
    let gid = check_id(gid)?;
    // SAFETY: no memory is involved.
    Errno::result(unsafe { sys!(nr::SETGID, gid) }).map(drop)
}

/// Sets the calling thread's real, effective and saved user ids; `None` leaves one unchanged.
/// **The calling thread only**: see the module docs.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::process::{getresuid, setresuid};
/// let before = getresuid().unwrap();
/// setresuid(None, Some(before.effective), None).unwrap(); // no change: allowed to anyone
/// assert_eq!(getresuid().unwrap(), before);
/// # }
/// ```
pub fn setresuid(real: Option<Uid>, effective: Option<Uid>, saved: Option<Uid>) -> Result<(), Errno> {
    let (r, e, s) = (opt_id(real)?, opt_id(effective)?, opt_id(saved)?);
    // SAFETY: no memory is involved.
    Errno::result(unsafe { sys!(nr::SETRESUID, r, e, s) }).map(drop)
}

/// Sets the calling thread's real, effective and saved group ids; `None` leaves one unchanged.
/// **The calling thread only**: see the module docs.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::process::{getresgid, setresgid};
/// let before = getresgid().unwrap();
/// setresgid(None, None, Some(before.saved)).unwrap();
/// assert_eq!(getresgid().unwrap(), before);
/// # }
/// ```
pub fn setresgid(real: Option<Gid>, effective: Option<Gid>, saved: Option<Gid>) -> Result<(), Errno> {
    let (r, e, s) = (opt_id(real)?, opt_id(effective)?, opt_id(saved)?);
    // SAFETY: no memory is involved.
    Errno::result(unsafe { sys!(nr::SETRESGID, r, e, s) }).map(drop)
}

/// Fills `groups` with the calling thread's supplementary groups and returns how many there
/// are; an empty slice only counts them. `EINVAL` if the slice is too small for them all.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::process::getgroups;
/// let n = getgroups(&mut []).unwrap(); // only counts
/// let mut groups = [0u32; 256];
/// assert!(n <= groups.len());
/// assert_eq!(getgroups(&mut groups).unwrap(), n);
/// # }
/// ```
pub fn getgroups(groups: &mut [Gid]) -> Result<usize, Errno> {
    // The kernel takes an int count (kernel/groups.c); a longer slice is offered only in part.
    let len = groups.len().min(i32::MAX as usize);
    // SAFETY: the kernel writes at most `len` gids into the exclusive slice.
    Errno::result(unsafe { sys!(nr::GETGROUPS, len, groups.as_mut_ptr()) })
}

/// Sets the calling thread's supplementary groups (privileged). **The calling thread only**:
/// see the module docs.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::process::{getgroups, geteuid, setgroups};
/// let mut groups = [0u32; 256];
/// let n = getgroups(&mut groups).unwrap();
/// // Without CAP_SETGID even the same list is refused.
/// let r = setgroups(&groups[..n]);
/// if geteuid() != 0 {
///     assert_eq!(r, Err(strand::Errno::EPERM));
/// }
/// # }
/// ```
pub fn setgroups(groups: &[Gid]) -> Result<(), Errno> {
    // SAFETY: the kernel reads `groups.len()` gids from the live slice.
    Errno::result(unsafe { sys!(nr::SETGROUPS, groups.len(), groups.as_ptr()) }).map(drop)
}

/// Which of the process's three interval timers (setitimer(2)).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::process::{getitimer, Itimer};
/// // No timer runs until one is armed.
/// for which in [Itimer::Real, Itimer::Virtual, Itimer::Prof] {
///     assert_eq!(getitimer(which).unwrap().value, core::time::Duration::ZERO);
/// }
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Itimer {
    /// Wall-clock time; expiry sends SIGALRM. The timer `alarm` uses.
    Real,
    /// The process's user-mode CPU time; expiry sends SIGVTALRM.
    Virtual,
    /// The process's user and system CPU time; expiry sends SIGPROF.
    Prof,
}

impl Itimer {
    fn raw(self) -> u32 {
        match self {
            Itimer::Real => g::ITIMER_REAL,
            Itimer::Virtual => g::ITIMER_VIRTUAL,
            Itimer::Prof => g::ITIMER_PROF,
        }
    }
}

/// An interval timer's setting: `value` until the next expiry (zero: disarmed), then every
/// `interval` (zero: once). The kernel keeps microseconds.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::time::Duration;
/// use strand::process::ItimerVal;
/// let every_second = ItimerVal { interval: Duration::from_secs(1), value: Duration::from_secs(1) };
/// assert_ne!(every_second, ItimerVal::default()); // the default is disarmed
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ItimerVal {
    /// The period after the first expiry; zero for a one-shot timer.
    pub interval: Duration,
    /// The time until the next expiry; zero for a disarmed timer.
    pub value: Duration,
}

/// `struct __kernel_old_itimerval`: native `long` seconds and microseconds on every ABI
/// (sparc64's microseconds are an `int`; the sys layout has that) (include/uapi/linux/time_types.h).
type KItimerval = g::__kernel_old_itimerval;
type KTimeval = g::__kernel_old_timeval;

/// A duration in `struct timeval` form, rounded *up* to whole microseconds (so that a short,
/// nonzero time does not become zero, which would disarm the timer); `EOVERFLOW` past the ABI's
/// `long` seconds (2^31 - 1 on 32-bit ABIs, about 68 years).
fn to_timeval(d: Duration) -> Result<KTimeval, Errno> {
    let mut secs = d.as_secs();
    let mut usec = d.subsec_nanos().div_ceil(1000);
    if usec == 1_000_000 {
        secs = secs.checked_add(1).ok_or(Errno::EOVERFLOW)?;
        usec = 0;
    }
    let tv_sec = secs.try_into().map_err(|_| Errno::EOVERFLOW)?;
    // `usec < 1_000_000` fits every ABI's suseconds type.
    Ok(KTimeval { tv_sec, tv_usec: usec as _ })
}

fn from_timeval(tv: &KTimeval) -> Duration {
    // The kernel reports normalised, non-negative values.
    Duration::new(tv.tv_sec.max(0) as u64, (tv.tv_usec as u32).min(999_999) * 1000)
}

fn zero_itimerval() -> KItimerval {
    KItimerval { it_interval: KTimeval { tv_sec: 0, tv_usec: 0 }, it_value: KTimeval { tv_sec: 0, tv_usec: 0 } }
}

/// Arms (or, with a zero `value`, disarms) one of the process's interval timers and returns its
/// previous setting. `EOVERFLOW` if a time does not fit the ABI's `struct timeval`.
/// Async-signal-safe.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::time::Duration;
/// use strand::process::{getitimer, setitimer, Itimer, ItimerVal};
/// // Arm the wall-clock timer an hour ahead, read it back, disarm it before it fires.
/// // (The CPU-time timers count in scheduler ticks: they read back rounded up to one.)
/// let hour = ItimerVal { interval: Duration::ZERO, value: Duration::from_secs(3600) };
/// assert_eq!(setitimer(Itimer::Real, &hour).unwrap(), ItimerVal::default());
/// let left = getitimer(Itimer::Real).unwrap().value;
/// assert!(left > Duration::from_secs(3599) && left <= Duration::from_secs(3600));
/// assert_eq!(setitimer(Itimer::Real, &ItimerVal::default()).unwrap().interval, Duration::ZERO);
/// assert_eq!(getitimer(Itimer::Real).unwrap(), ItimerVal::default());
/// # }
/// ```
pub fn setitimer(which: Itimer, new: &ItimerVal) -> Result<ItimerVal, Errno> {
    let k_new = KItimerval { it_interval: to_timeval(new.interval)?, it_value: to_timeval(new.value)? };
    let mut k_old = zero_itimerval();
    // SAFETY: the kernel reads one itimerval from k_new and writes one to k_old, both live.
    Errno::result(unsafe {
        sys!(g::__NR_setitimer, which.raw(), &k_new as *const KItimerval, &mut k_old as *mut KItimerval)
    })?;
    Ok(ItimerVal { interval: from_timeval(&k_old.it_interval), value: from_timeval(&k_old.it_value) })
}

/// One of the process's interval timers: the time left until its next expiry and its interval.
/// Async-signal-safe.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::time::Duration;
/// use strand::process::{getitimer, Itimer};
/// let t = getitimer(Itimer::Real).unwrap();
/// assert_eq!((t.interval, t.value), (Duration::ZERO, Duration::ZERO)); // none armed
/// # }
/// ```
pub fn getitimer(which: Itimer) -> Result<ItimerVal, Errno> {
    let mut k = zero_itimerval();
    // SAFETY: the kernel writes one itimerval to the live k.
    Errno::result(unsafe { sys!(g::__NR_getitimer, which.raw(), &mut k as *mut KItimerval) })?;
    Ok(ItimerVal { interval: from_timeval(&k.it_interval), value: from_timeval(&k.it_value) })
}

/// Sends the process SIGALRM after `secs` seconds (0 cancels a pending alarm) and returns the
/// seconds that were left of the previous alarm (0 if there was none), rounded to the nearest
/// second and at least 1 if any time was left. Shares [`Itimer::Real`] with `setitimer`.
/// Async-signal-safe.
///
/// Uses the `alarm` syscall where the ABI has one; elsewhere (aarch64, riscv64, riscv32) it does
/// what the kernel's own `alarm` does (kernel/time/itimer.c, `alarm_setitimer`): a one-shot
/// `ITIMER_REAL`, the previous value rounded the same way.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::process::alarm;
/// assert_eq!(alarm(100), 0); // no alarm was pending
/// assert_eq!(alarm(0), 100); // cancelled, with (rounded) 100 s left
/// # }
/// ```
pub fn alarm(secs: u32) -> u32 {
    match nr::ALARM {
        // SAFETY: no memory is involved; alarm cannot fail.
        Some(number) => unsafe { sys!(number, secs) as u32 },
        None => alarm_by_setitimer(secs),
    }
}

/// [`alarm`] as the ABIs without the syscall get it, on every ABI: for tests, which check the
/// emulation where the real syscall exists too.
#[doc(hidden)]
pub fn alarm_by_setitimer(secs: u32) -> u32 {
    // Only a 32-bit `long` can be too small for a u32 of seconds; there the kernel's alarm caps
    // the request at INT_MAX (kernel/time/itimer.c), and so does this.
    let mut value = Duration::from_secs(secs.into());
    if to_timeval(value).is_err() {
        value = Duration::from_secs(i32::MAX as u64);
    }
    match setitimer(Itimer::Real, &ItimerVal { interval: Duration::ZERO, value }) {
        Ok(old) => round_alarm(old.value),
        // Not reachable: the arguments are valid. Report "no previous alarm".
        Err(_) => 0,
    }
}

/// The seconds `alarm` reports for a previous timer with `left` to run: rounded to nearest
/// (half up), and never 0 for a running timer (kernel/time/itimer.c).
fn round_alarm(left: Duration) -> u32 {
    let micros = left.subsec_micros();
    let mut secs = left.as_secs();
    if micros >= 500_000 || (secs == 0 && micros > 0) {
        secs += 1;
    }
    secs.min(u32::MAX as u64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_rounding() {
        assert_eq!(round_alarm(Duration::ZERO), 0);
        assert_eq!(round_alarm(Duration::from_micros(1)), 1);
        assert_eq!(round_alarm(Duration::from_micros(1_499_999)), 1);
        assert_eq!(round_alarm(Duration::from_micros(1_500_000)), 2);
        assert_eq!(round_alarm(Duration::from_secs(7)), 7);
    }

    #[test]
    fn timevals_round_up() {
        let tv = to_timeval(Duration::from_nanos(1)).unwrap();
        assert_eq!((tv.tv_sec, tv.tv_usec), (0, 1));
        let tv = to_timeval(Duration::new(1, 999_999_001)).unwrap();
        assert_eq!((tv.tv_sec, tv.tv_usec), (2, 0));
        assert_eq!(from_timeval(&to_timeval(Duration::from_micros(2_000_003)).unwrap()), Duration::from_micros(2_000_003));
        assert_eq!(to_timeval(Duration::MAX).err(), Some(Errno::EOVERFLOW));
    }
}
