//! Monotonic time (CLOCK_MONOTONIC, 64-bit on every ABI).

use crate::syscall;
use core::time::Duration;
use crate::arch::sys::general::CLOCK_MONOTONIC;

/// A point on the monotonic clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(Duration);

impl Instant {
    pub fn now() -> Instant {
        // CLOCK_MONOTONIC is always supported; a failure here means a broken seccomp filter.
        let ts = syscall::clock_gettime(CLOCK_MONOTONIC).expect("clock_gettime(CLOCK_MONOTONIC) failed");
        Instant(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    }

    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }

    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_sub(earlier.0)
    }

    pub fn checked_add(&self, d: Duration) -> Option<Instant> {
        self.0.checked_add(d).map(Instant)
    }
}
