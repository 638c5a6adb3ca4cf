//! Time: [`Instant`] (CLOCK_MONOTONIC) and [`SystemTime`] (CLOCK_REALTIME), both 64-bit on
//! every ABI, with std's arithmetic; and sleeps, relative and until a deadline on either clock.

use crate::errno::Errno;
use crate::syscall::{self, Timespec};
use core::fmt;
use core::ops::{Add, AddAssign, Sub, SubAssign};
use core::time::Duration;
use crate::arch::sys::general::{CLOCK_MONOTONIC, CLOCK_REALTIME, TIMER_ABSTIME};

pub use crate::thread::sleep;

/// A point on the monotonic clock (CLOCK_MONOTONIC: never jumps, does not count suspend).
/// Only differences between instants mean anything.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::time::Duration;
/// use strand::time::Instant;
/// let start = Instant::now();
/// strand::time::sleep(Duration::from_millis(2));
/// let spent = start.elapsed();
/// assert!(spent >= Duration::from_millis(2));
/// let later = start + Duration::from_secs(1);
/// assert_eq!(later - start, Duration::from_secs(1));
/// assert_eq!(start - later, Duration::ZERO); // saturating, as std
/// assert_eq!(start.checked_duration_since(later), None);
/// assert_eq!(later.checked_sub(Duration::from_secs(1)), Some(start));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(Duration);

impl Instant {
    /// The current time. Async-signal-safe.
    pub fn now() -> Instant {
        // CLOCK_MONOTONIC is always supported; a failure here means a broken seccomp filter.
        let ts = syscall::clock_gettime(CLOCK_MONOTONIC).expect("clock_gettime(CLOCK_MONOTONIC) failed");
        Instant(Duration::new(ts.tv_sec.max(0) as u64, ts.tv_nsec as u32))
    }

    /// The time since this instant (zero if it lies in the future).
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }

    /// The time from `earlier` to this instant; zero if `earlier` is later (saturating, as std
    /// does since Rust 1.60).
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }

    /// The time from `earlier` to this instant, or `None` if `earlier` is later.
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.0.checked_sub(earlier.0)
    }

    /// The time from `earlier` to this instant; zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_sub(earlier.0)
    }

    /// This instant plus `d`, or `None` if that cannot be represented.
    pub fn checked_add(&self, d: Duration) -> Option<Instant> {
        self.0.checked_add(d).map(Instant)
    }

    /// This instant minus `d`, or `None` if that would lie before the clock's zero (boot).
    pub fn checked_sub(&self, d: Duration) -> Option<Instant> {
        self.0.checked_sub(d).map(Instant)
    }

    fn timespec(&self) -> Timespec {
        // Past i64::MAX seconds the deadline is "never" to any caller: cut it there.
        Timespec { tv_sec: i64::try_from(self.0.as_secs()).unwrap_or(i64::MAX), tv_nsec: self.0.subsec_nanos().into() }
    }
}

/// `instant + d`. Panics (at the caller's line) if the result cannot be represented; use
/// [`Instant::checked_add`] to get `None` instead.
impl Add<Duration> for Instant {
    type Output = Instant;
    #[track_caller]
    fn add(self, d: Duration) -> Instant {
        self.checked_add(d).expect("overflow when adding a duration to an Instant")
    }
}

/// `instant += d`; panics as `+` does.
impl AddAssign<Duration> for Instant {
    #[track_caller]
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

/// `instant - d`. Panics (at the caller's line) if the result would lie before the clock's
/// zero; use [`Instant::checked_sub`] to get `None` instead.
impl Sub<Duration> for Instant {
    type Output = Instant;
    #[track_caller]
    fn sub(self, d: Duration) -> Instant {
        self.checked_sub(d).expect("overflow when subtracting a duration from an Instant")
    }
}

/// `instant -= d`; panics as `-` does.
impl SubAssign<Duration> for Instant {
    #[track_caller]
    fn sub_assign(&mut self, d: Duration) {
        *self = *self - d;
    }
}

/// `later - earlier`: [`Instant::duration_since`], zero if `earlier` is later.
impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.duration_since(earlier)
    }
}

/// A point on the wall clock (CLOCK_REALTIME), which may jump (settimeofday, NTP steps): a
/// later reading can be earlier, hence the `Result` of [`SystemTime::duration_since`].
/// Seconds are 64-bit on every ABI (the time64 syscalls), so it holds times past 2038 and
/// before 1970.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::time::Duration;
/// use strand::time::{SystemTime, UNIX_EPOCH};
/// let now = SystemTime::now();
/// let since = now.duration_since(UNIX_EPOCH).unwrap();
/// assert!(since.as_secs() > 1_600_000_000); // after September 2020
/// // Before 1970 is a time too.
/// let before = UNIX_EPOCH - Duration::from_secs(1);
/// assert_eq!(UNIX_EPOCH.duration_since(before), Ok(Duration::from_secs(1)));
/// assert_eq!(before.duration_since(UNIX_EPOCH).unwrap_err().duration(), Duration::from_secs(1));
/// assert_eq!(UNIX_EPOCH.checked_add(Duration::MAX), None); // past 64-bit seconds
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SystemTime {
    /// Seconds since the epoch, negative before it.
    secs: i64,
    /// Always below 1_000_000_000.
    nanos: u32,
}

/// 1970-01-01 00:00:00 UTC: [`SystemTime::UNIX_EPOCH`], as std has it at module level.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::time::{SystemTime, UNIX_EPOCH};
/// assert_eq!(UNIX_EPOCH, SystemTime::UNIX_EPOCH);
/// assert!(SystemTime::now() > UNIX_EPOCH);
/// # }
/// ```
pub const UNIX_EPOCH: SystemTime = SystemTime::UNIX_EPOCH;

const NANOS: i128 = 1_000_000_000;

impl SystemTime {
    /// 1970-01-01 00:00:00 UTC, the zero of the clock.
    pub const UNIX_EPOCH: SystemTime = SystemTime { secs: 0, nanos: 0 };

    /// The current wall-clock time. Async-signal-safe.
    pub fn now() -> SystemTime {
        // CLOCK_REALTIME is always supported; a failure here means a broken seccomp filter.
        let ts = syscall::clock_gettime(CLOCK_REALTIME).expect("clock_gettime(CLOCK_REALTIME) failed");
        SystemTime { secs: ts.tv_sec, nanos: ts.tv_nsec as u32 }
    }

    /// The time from `earlier` to this time; `Err` carrying the (positive) difference the other
    /// way if `earlier` is later.
    pub fn duration_since(&self, earlier: SystemTime) -> Result<Duration, SystemTimeError> {
        let diff = self.total_nanos() - earlier.total_nanos();
        // A difference of two i64-second times fits a Duration either way round.
        let d = Duration::new((diff.unsigned_abs() / NANOS as u128) as u64, (diff.unsigned_abs() % NANOS as u128) as u32);
        if diff >= 0 { Ok(d) } else { Err(SystemTimeError(d)) }
    }

    /// The time since this one, by the wall clock now; `Err` if the clock now reads earlier.
    pub fn elapsed(&self) -> Result<Duration, SystemTimeError> {
        SystemTime::now().duration_since(*self)
    }

    /// This time plus `d`, or `None` past the range of 64-bit seconds.
    pub fn checked_add(&self, d: Duration) -> Option<SystemTime> {
        SystemTime::from_total_nanos(self.total_nanos().checked_add(d.as_nanos() as i128)?)
    }

    /// This time minus `d`, or `None` past the range of 64-bit seconds.
    pub fn checked_sub(&self, d: Duration) -> Option<SystemTime> {
        SystemTime::from_total_nanos(self.total_nanos().checked_sub(d.as_nanos() as i128)?)
    }

    fn total_nanos(&self) -> i128 {
        i128::from(self.secs) * NANOS + i128::from(self.nanos)
    }

    fn from_total_nanos(n: i128) -> Option<SystemTime> {
        Some(SystemTime { secs: i64::try_from(n.div_euclid(NANOS)).ok()?, nanos: n.rem_euclid(NANOS) as u32 })
    }
}

impl fmt::Debug for SystemTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SystemTime({}.{:09}s since the epoch)", self.secs, self.nanos)
    }
}

/// `time + d`. Panics (at the caller's line) past the range of 64-bit seconds.
impl Add<Duration> for SystemTime {
    type Output = SystemTime;
    #[track_caller]
    fn add(self, d: Duration) -> SystemTime {
        self.checked_add(d).expect("overflow when adding a duration to a SystemTime")
    }
}

/// `time += d`; panics as `+` does.
impl AddAssign<Duration> for SystemTime {
    #[track_caller]
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

/// `time - d`. Panics (at the caller's line) past the range of 64-bit seconds.
impl Sub<Duration> for SystemTime {
    type Output = SystemTime;
    #[track_caller]
    fn sub(self, d: Duration) -> SystemTime {
        self.checked_sub(d).expect("overflow when subtracting a duration from a SystemTime")
    }
}

/// `time -= d`; panics as `-` does.
impl SubAssign<Duration> for SystemTime {
    #[track_caller]
    fn sub_assign(&mut self, d: Duration) {
        *self = *self - d;
    }
}

/// [`SystemTime::duration_since`] found the other time later; this is by how much.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::time::Duration;
/// use strand::time::UNIX_EPOCH;
/// let later = UNIX_EPOCH + Duration::from_millis(1500);
/// let e = UNIX_EPOCH.duration_since(later).unwrap_err();
/// assert_eq!(e.duration(), Duration::from_millis(1500));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SystemTimeError(Duration);

impl SystemTimeError {
    /// How much later the other time was.
    pub fn duration(&self) -> Duration {
        self.0
    }
}

impl fmt::Display for SystemTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "second time provided was later than self by {:?}", self.0)
    }
}

/// One relative sleep on CLOCK_MONOTONIC (`clock_nanosleep`, as `nanosleep` does):
/// `Err(remaining)` if a signal handler interrupted it, for the caller to decide whether to go
/// on. [`sleep`] goes on by itself.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::time::Duration;
/// use strand::time::{nanosleep, Instant};
/// let start = Instant::now();
/// assert_eq!(nanosleep(Duration::from_millis(1)), Ok(())); // no handler interrupted it
/// assert!(start.elapsed() >= Duration::from_millis(1));
/// # }
/// ```
pub fn nanosleep(d: Duration) -> Result<(), Duration> {
    // Longer than i64 seconds: the longest sleep the clock can express (292 billion years).
    let req = Timespec { tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX), tv_nsec: d.subsec_nanos().into() };
    let mut rem = Timespec { tv_sec: 0, tv_nsec: 0 };
    match syscall::clock_nanosleep(CLOCK_MONOTONIC, 0, &req, Some(&mut rem)) {
        Err(Errno::EINTR) => Err(Duration::new(rem.tv_sec.max(0) as u64, rem.tv_nsec as u32)),
        _ => Ok(()),
    }
}

/// An absolute `clock_nanosleep`, restarted after signal handlers (the deadline stays put).
fn sleep_until_abs(clock: u32, ts: &Timespec) -> Result<(), Errno> {
    loop {
        match syscall::clock_nanosleep(clock, TIMER_ABSTIME, ts, None) {
            Err(Errno::EINTR) => continue,
            r => return r,
        }
    }
}

/// Sleeps until the monotonic clock reaches `deadline` (at once if it has), resuming after
/// signal handlers. A deadline computed in advance does not drift as repeated relative sleeps
/// would. `Err(EOVERFLOW)` only on a 32-bit ABI whose kernel lacks the time64 syscalls, for a
/// deadline past 2^31 seconds of uptime.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::time::Duration;
/// use strand::time::{sleep_until, Instant};
/// let start = Instant::now();
/// let mut deadline = start;
/// for _ in 0..3 {
///     deadline += Duration::from_millis(1);
///     sleep_until(deadline).unwrap(); // ticks on a fixed grid: no drift
/// }
/// assert!(Instant::now() >= start + Duration::from_millis(3));
/// sleep_until(start).unwrap(); // in the past: returns at once
/// # }
/// ```
pub fn sleep_until(deadline: Instant) -> Result<(), Errno> {
    sleep_until_abs(CLOCK_MONOTONIC, &deadline.timespec())
}

/// Sleeps until the wall clock reads `deadline`, resuming after signal handlers; wakes early
/// or late with the clock if it is set meanwhile (TIMER_ABSTIME on CLOCK_REALTIME follows clock
/// changes). `Err(EINVAL)` for a time before the epoch, `Err(EOVERFLOW)` for one past 2038 on a
/// 32-bit ABI whose kernel lacks the time64 syscalls.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::time::Duration;
/// use strand::time::{sleep_until_system, SystemTime, UNIX_EPOCH};
/// let deadline = SystemTime::now() + Duration::from_millis(1);
/// sleep_until_system(deadline).unwrap();
/// assert!(SystemTime::now() >= deadline);
/// // Before the epoch: refused.
/// assert_eq!(sleep_until_system(UNIX_EPOCH - Duration::from_secs(1)), Err(strand::Errno::EINVAL));
/// # }
/// ```
pub fn sleep_until_system(deadline: SystemTime) -> Result<(), Errno> {
    if deadline.secs < 0 {
        return Err(Errno::EINVAL);
    }
    sleep_until_abs(CLOCK_REALTIME, &Timespec { tv_sec: deadline.secs, tv_nsec: deadline.nanos.into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instant_arithmetic() {
        let a = Instant(Duration::from_secs(10));
        let b = a + Duration::from_millis(1500);
        assert_eq!(b - a, Duration::from_millis(1500));
        assert_eq!(a - b, Duration::ZERO);
        assert_eq!(a.duration_since(b), Duration::ZERO);
        assert_eq!(a.checked_duration_since(b), None);
        assert_eq!(b.checked_duration_since(a), Some(Duration::from_millis(1500)));
        assert_eq!(b - Duration::from_millis(1500), a);
        assert_eq!(a.checked_sub(Duration::from_secs(11)), None);
        assert_eq!(a.checked_add(Duration::MAX), None);
        let mut c = a;
        c += Duration::from_secs(1);
        c -= Duration::from_secs(2);
        assert_eq!(c, Instant(Duration::from_secs(9)));
    }

    #[test]
    fn system_time_arithmetic() {
        let t = UNIX_EPOCH + Duration::new(1, 5);
        assert_eq!(t.duration_since(UNIX_EPOCH), Ok(Duration::new(1, 5)));
        assert_eq!(UNIX_EPOCH.duration_since(t), Err(SystemTimeError(Duration::new(1, 5))));
        let before = UNIX_EPOCH - Duration::new(0, 1);
        assert_eq!((before.secs, before.nanos), (-1, 999_999_999));
        assert_eq!(t.duration_since(before), Ok(Duration::new(1, 6)));
        assert_eq!(UNIX_EPOCH.checked_add(Duration::MAX), None);
        let min = SystemTime { secs: i64::MIN, nanos: 0 };
        assert_eq!(min.checked_sub(Duration::new(0, 1)), None);
        let max = SystemTime { secs: i64::MAX, nanos: 999_999_999 };
        assert_eq!(max.duration_since(min).map(|d| d.as_secs()), Ok(u64::MAX));
    }
}
