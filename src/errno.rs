//! `Errno`: the error every syscall wrapper returns.

use core::fmt;
use crate::arch::sys::errno as e;

/// A Linux error number, as returned by a failed syscall.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(u16);

impl Errno {
    pub const EPERM: Errno = Errno(e::EPERM as u16);
    pub const ENOENT: Errno = Errno(e::ENOENT as u16);
    pub const ESRCH: Errno = Errno(e::ESRCH as u16);
    pub const EINTR: Errno = Errno(e::EINTR as u16);
    pub const EIO: Errno = Errno(e::EIO as u16);
    pub const EAGAIN: Errno = Errno(e::EAGAIN as u16);
    pub const ENOMEM: Errno = Errno(e::ENOMEM as u16);
    pub const EFAULT: Errno = Errno(e::EFAULT as u16);
    pub const EINVAL: Errno = Errno(e::EINVAL as u16);
    pub const ENOSPC: Errno = Errno(e::ENOSPC as u16);
    pub const ERANGE: Errno = Errno(e::ERANGE as u16);
    pub const ENOSYS: Errno = Errno(e::ENOSYS as u16);
    pub const ETIMEDOUT: Errno = Errno(e::ETIMEDOUT as u16);
    pub const EDEADLK: Errno = Errno(e::EDEADLK as u16);
    pub const EBUSY: Errno = Errno(e::EBUSY as u16);
    pub const ECANCELED: Errno = Errno(e::ECANCELED as u16);
    pub const ENODATA: Errno = Errno(e::ENODATA as u16);
    pub const EPIPE: Errno = Errno(e::EPIPE as u16);

    /// Turns a raw syscall result (strand's convention: `-4095..=-1` is a negated errno) into a
    /// `Result`.
    #[inline]
    pub fn result(raw: usize) -> Result<usize, Errno> {
        if raw > (-4096isize) as usize {
            Err(Errno((raw as isize).unsigned_abs() as u16))
        } else {
            Ok(raw)
        }
    }

    pub const fn from_raw(n: u16) -> Errno {
        Errno(n)
    }

    pub const fn raw(self) -> u16 {
        self.0
    }

    /// The symbolic name, for the errors a threading library meets.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Errno::EPERM => "EPERM",
            Errno::ENOENT => "ENOENT",
            Errno::ESRCH => "ESRCH",
            Errno::EINTR => "EINTR",
            Errno::EIO => "EIO",
            Errno::EAGAIN => "EAGAIN",
            Errno::ENOMEM => "ENOMEM",
            Errno::EFAULT => "EFAULT",
            Errno::EINVAL => "EINVAL",
            Errno::ENOSPC => "ENOSPC",
            Errno::ERANGE => "ERANGE",
            Errno::ENOSYS => "ENOSYS",
            Errno::ETIMEDOUT => "ETIMEDOUT",
            Errno::EDEADLK => "EDEADLK",
            Errno::ENODATA => "ENODATA",
            Errno::EPIPE => "EPIPE",
            _ => return None,
        })
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n}"),
            None => write!(f, "errno {}", self.0),
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} (errno {})", self.0),
            None => write!(f, "errno {}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_results() {
        assert_eq!(Errno::result(0), Ok(0));
        assert_eq!(Errno::result(12345), Ok(12345));
        assert_eq!(Errno::result(-4i32 as isize as usize), Err(Errno::EINTR));
        assert_eq!(Errno::result(-4095isize as usize), Err(Errno(4095)));
        // An address in the top page is not an error only when it is below -4095.
        assert_eq!(Errno::result(-4096isize as usize), Ok(-4096isize as usize));
    }
}
