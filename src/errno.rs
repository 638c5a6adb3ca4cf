//! `Errno`: the error every syscall wrapper returns.

use core::fmt;
use crate::arch::sys::errno as e;

/// A Linux error number, as returned by a failed syscall: the error type of every strand
/// wrapper that can fail.
///
/// `Debug` prints the name (`ENOENT`), `Display` the name and the kernel's description.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::fmt::Write;
/// use strand::Errno;
/// # struct Buf([u8; 64], usize);
/// # impl Write for Buf {
/// #     fn write_str(&mut self, s: &str) -> core::fmt::Result {
/// #         let end = self.1 + s.len();
/// #         self.0.get_mut(self.1..end).ok_or(core::fmt::Error)?.copy_from_slice(s.as_bytes());
/// #         self.1 = end;
/// #         Ok(())
/// #     }
/// # }
/// // Closing a descriptor that is not open fails with EBADF.
/// let e = strand::syscall::close(-1).unwrap_err();
/// assert_eq!(e.name(), Some("EBADF"));
/// assert_eq!(e.message(), Some("Bad file number"));
/// let mut buf = Buf([0; 64], 0);
/// write!(buf, "{e}").unwrap();
/// assert_eq!(&buf.0[..buf.1], b"EBADF (Bad file number)");
/// // Numbers outside the kernel's set have no name.
/// assert_eq!(Errno::from_raw(4000).name(), None);
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(u16);

impl Errno {
    /// `EPERM`: Operation not permitted.
    pub const EPERM: Errno = Errno(e::EPERM as u16);
    /// `ENOENT`: No such file or directory.
    pub const ENOENT: Errno = Errno(e::ENOENT as u16);
    /// `ESRCH`: No such process.
    pub const ESRCH: Errno = Errno(e::ESRCH as u16);
    /// `EINTR`: Interrupted system call.
    pub const EINTR: Errno = Errno(e::EINTR as u16);
    /// `EIO`: I/O error.
    pub const EIO: Errno = Errno(e::EIO as u16);
    /// `EAGAIN`: Try again.
    pub const EAGAIN: Errno = Errno(e::EAGAIN as u16);
    /// `ENOMEM`: Out of memory.
    pub const ENOMEM: Errno = Errno(e::ENOMEM as u16);
    /// `EFAULT`: Bad address.
    pub const EFAULT: Errno = Errno(e::EFAULT as u16);
    /// `EINVAL`: Invalid argument.
    pub const EINVAL: Errno = Errno(e::EINVAL as u16);
    /// `ENOSPC`: No space left on device.
    pub const ENOSPC: Errno = Errno(e::ENOSPC as u16);
    /// `ERANGE`: Math result not representable.
    pub const ERANGE: Errno = Errno(e::ERANGE as u16);
    /// `ENOSYS`: Invalid system call number.
    pub const ENOSYS: Errno = Errno(e::ENOSYS as u16);
    /// `ETIMEDOUT`: Connection timed out.
    pub const ETIMEDOUT: Errno = Errno(e::ETIMEDOUT as u16);
    /// `EDEADLK`: Resource deadlock would occur.
    pub const EDEADLK: Errno = Errno(e::EDEADLK as u16);
    /// `EBUSY`: Device or resource busy.
    pub const EBUSY: Errno = Errno(e::EBUSY as u16);
    /// `ECANCELED`: Operation Canceled.
    pub const ECANCELED: Errno = Errno(e::ECANCELED as u16);
    /// `ENODATA`: No data available.
    pub const ENODATA: Errno = Errno(e::ENODATA as u16);
    /// `EPIPE`: Broken pipe.
    pub const EPIPE: Errno = Errno(e::EPIPE as u16);

    /// Turns a raw syscall result (strand's convention: `-4095..=-1` is a negated errno) into a
    /// `Result`.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::Errno;
    /// assert_eq!(Errno::result(3), Ok(3));
    /// assert_eq!(Errno::result(-2isize as usize), Err(Errno::ENOENT));
    /// # }
    /// ```
    #[inline]
    pub fn result(raw: usize) -> Result<usize, Errno> {
        if raw > (-4096isize) as usize {
            Err(Errno((raw as isize).unsigned_abs() as u16))
        } else {
            Ok(raw)
        }
    }

    /// The errno numbered `n` on this ABI (any number: one the kernel does not define prints as
    /// `errno N`).
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::Errno;
    /// let e = Errno::from_raw(Errno::EINTR.raw());
    /// assert_eq!(e, Errno::EINTR);
    /// assert_eq!(e.name(), Some("EINTR"));
    /// # }
    /// ```
    pub const fn from_raw(n: u16) -> Errno {
        Errno(n)
    }

    /// This ABI's number for the errno (`ENOENT` is 2 everywhere; many others differ on mips,
    /// powerpc and sparc).
    pub const fn raw(self) -> u16 {
        self.0
    }

    /// `EMFILE`: Too many open files.
    pub const EMFILE: Errno = Errno(e::EMFILE as u16);
    /// `EOVERFLOW`: Value too large for defined data type.
    pub const EOVERFLOW: Errno = Errno(e::EOVERFLOW as u16);

    /// The symbolic name (`"ENOENT"`), for every errno the kernel defines on all of strand's
    /// ABIs; `None` for a number outside that set. Where two names share a number on an ABI
    /// (`EWOULDBLOCK` is `EAGAIN`; `EDEADLOCK` is `EDEADLK` except on mips, powerpc and sparc)
    /// the first one is given.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// assert_eq!(strand::Errno::EAGAIN.name(), Some("EAGAIN"));
    /// assert_eq!(strand::Errno::from_raw(0).name(), None);
    /// # }
    /// ```
    pub fn name(self) -> Option<&'static str> {
        self.entry().map(|&(_, name, _)| name)
    }

    /// The description (`"No such file or directory"`), as the kernel's uapi headers give it;
    /// `None` where [`Errno::name`] is.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// assert_eq!(strand::Errno::ENOENT.message(), Some("No such file or directory"));
    /// # }
    /// ```
    pub fn message(self) -> Option<&'static str> {
        self.entry().map(|&(_, _, msg)| msg)
    }

    fn entry(self) -> Option<&'static (u32, &'static str, &'static str)> {
        TABLE.iter().find(|(n, _, _)| *n == u32::from(self.0))
    }
}

/// Every errno as (this ABI's number, name, description). The names and numbers come from the
/// ABI's `sys::errno` (mips, powerpc and sparc number many differently); the descriptions are
/// the comments of include/uapi/asm-generic/errno-base.h and errno.h, which the arch headers
/// repeat. mips's `EINIT`/`EREMDEV` and sparc's `EPROCLIM`/`ERREMOTE`, defined on one ABI only,
/// print as numbers.
#[allow(clippy::unnecessary_cast)]
static TABLE: &[(u32, &str, &str)] = &[
    (e::EPERM, "EPERM", "Operation not permitted"),
    (e::ENOENT, "ENOENT", "No such file or directory"),
    (e::ESRCH, "ESRCH", "No such process"),
    (e::EINTR, "EINTR", "Interrupted system call"),
    (e::EIO, "EIO", "I/O error"),
    (e::ENXIO, "ENXIO", "No such device or address"),
    (e::E2BIG, "E2BIG", "Argument list too long"),
    (e::ENOEXEC, "ENOEXEC", "Exec format error"),
    (e::EBADF, "EBADF", "Bad file number"),
    (e::ECHILD, "ECHILD", "No child processes"),
    (e::EAGAIN, "EAGAIN", "Try again"),
    (e::ENOMEM, "ENOMEM", "Out of memory"),
    (e::EACCES, "EACCES", "Permission denied"),
    (e::EFAULT, "EFAULT", "Bad address"),
    (e::ENOTBLK, "ENOTBLK", "Block device required"),
    (e::EBUSY, "EBUSY", "Device or resource busy"),
    (e::EEXIST, "EEXIST", "File exists"),
    (e::EXDEV, "EXDEV", "Cross-device link"),
    (e::ENODEV, "ENODEV", "No such device"),
    (e::ENOTDIR, "ENOTDIR", "Not a directory"),
    (e::EISDIR, "EISDIR", "Is a directory"),
    (e::EINVAL, "EINVAL", "Invalid argument"),
    (e::ENFILE, "ENFILE", "File table overflow"),
    (e::EMFILE, "EMFILE", "Too many open files"),
    (e::ENOTTY, "ENOTTY", "Not a typewriter"),
    (e::ETXTBSY, "ETXTBSY", "Text file busy"),
    (e::EFBIG, "EFBIG", "File too large"),
    (e::ENOSPC, "ENOSPC", "No space left on device"),
    (e::ESPIPE, "ESPIPE", "Illegal seek"),
    (e::EROFS, "EROFS", "Read-only file system"),
    (e::EMLINK, "EMLINK", "Too many links"),
    (e::EPIPE, "EPIPE", "Broken pipe"),
    (e::EDOM, "EDOM", "Math argument out of domain of func"),
    (e::ERANGE, "ERANGE", "Math result not representable"),
    (e::EDEADLK, "EDEADLK", "Resource deadlock would occur"),
    (e::ENAMETOOLONG, "ENAMETOOLONG", "File name too long"),
    (e::ENOLCK, "ENOLCK", "No record locks available"),
    (e::ENOSYS, "ENOSYS", "Invalid system call number"),
    (e::ENOTEMPTY, "ENOTEMPTY", "Directory not empty"),
    (e::ELOOP, "ELOOP", "Too many symbolic links encountered"),
    (e::ENOMSG, "ENOMSG", "No message of desired type"),
    (e::EIDRM, "EIDRM", "Identifier removed"),
    (e::ECHRNG, "ECHRNG", "Channel number out of range"),
    (e::EL2NSYNC, "EL2NSYNC", "Level 2 not synchronized"),
    (e::EL3HLT, "EL3HLT", "Level 3 halted"),
    (e::EL3RST, "EL3RST", "Level 3 reset"),
    (e::ELNRNG, "ELNRNG", "Link number out of range"),
    (e::EUNATCH, "EUNATCH", "Protocol driver not attached"),
    (e::ENOCSI, "ENOCSI", "No CSI structure available"),
    (e::EL2HLT, "EL2HLT", "Level 2 halted"),
    (e::EBADE, "EBADE", "Invalid exchange"),
    (e::EBADR, "EBADR", "Invalid request descriptor"),
    (e::EXFULL, "EXFULL", "Exchange full"),
    (e::ENOANO, "ENOANO", "No anode"),
    (e::EBADRQC, "EBADRQC", "Invalid request code"),
    (e::EBADSLT, "EBADSLT", "Invalid slot"),
    (e::EDEADLOCK, "EDEADLOCK", "File locking deadlock error"),
    (e::EBFONT, "EBFONT", "Bad font file format"),
    (e::ENOSTR, "ENOSTR", "Device not a stream"),
    (e::ENODATA, "ENODATA", "No data available"),
    (e::ETIME, "ETIME", "Timer expired"),
    (e::ENOSR, "ENOSR", "Out of streams resources"),
    (e::ENONET, "ENONET", "Machine is not on the network"),
    (e::ENOPKG, "ENOPKG", "Package not installed"),
    (e::EREMOTE, "EREMOTE", "Object is remote"),
    (e::ENOLINK, "ENOLINK", "Link has been severed"),
    (e::EADV, "EADV", "Advertise error"),
    (e::ESRMNT, "ESRMNT", "Srmount error"),
    (e::ECOMM, "ECOMM", "Communication error on send"),
    (e::EPROTO, "EPROTO", "Protocol error"),
    (e::EMULTIHOP, "EMULTIHOP", "Multihop attempted"),
    (e::EDOTDOT, "EDOTDOT", "RFS specific error"),
    (e::EBADMSG, "EBADMSG", "Not a data message"),
    (e::EOVERFLOW, "EOVERFLOW", "Value too large for defined data type"),
    (e::ENOTUNIQ, "ENOTUNIQ", "Name not unique on network"),
    (e::EBADFD, "EBADFD", "File descriptor in bad state"),
    (e::EREMCHG, "EREMCHG", "Remote address changed"),
    (e::ELIBACC, "ELIBACC", "Can not access a needed shared library"),
    (e::ELIBBAD, "ELIBBAD", "Accessing a corrupted shared library"),
    (e::ELIBSCN, "ELIBSCN", ".lib section in a.out corrupted"),
    (e::ELIBMAX, "ELIBMAX", "Attempting to link in too many shared libraries"),
    (e::ELIBEXEC, "ELIBEXEC", "Cannot exec a shared library directly"),
    (e::EILSEQ, "EILSEQ", "Illegal byte sequence"),
    (e::ERESTART, "ERESTART", "Interrupted system call should be restarted"),
    (e::ESTRPIPE, "ESTRPIPE", "Streams pipe error"),
    (e::EUSERS, "EUSERS", "Too many users"),
    (e::ENOTSOCK, "ENOTSOCK", "Socket operation on non-socket"),
    (e::EDESTADDRREQ, "EDESTADDRREQ", "Destination address required"),
    (e::EMSGSIZE, "EMSGSIZE", "Message too long"),
    (e::EPROTOTYPE, "EPROTOTYPE", "Protocol wrong type for socket"),
    (e::ENOPROTOOPT, "ENOPROTOOPT", "Protocol not available"),
    (e::EPROTONOSUPPORT, "EPROTONOSUPPORT", "Protocol not supported"),
    (e::ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT", "Socket type not supported"),
    (e::EOPNOTSUPP, "EOPNOTSUPP", "Operation not supported on transport endpoint"),
    (e::EPFNOSUPPORT, "EPFNOSUPPORT", "Protocol family not supported"),
    (e::EAFNOSUPPORT, "EAFNOSUPPORT", "Address family not supported by protocol"),
    (e::EADDRINUSE, "EADDRINUSE", "Address already in use"),
    (e::EADDRNOTAVAIL, "EADDRNOTAVAIL", "Cannot assign requested address"),
    (e::ENETDOWN, "ENETDOWN", "Network is down"),
    (e::ENETUNREACH, "ENETUNREACH", "Network is unreachable"),
    (e::ENETRESET, "ENETRESET", "Network dropped connection because of reset"),
    (e::ECONNABORTED, "ECONNABORTED", "Software caused connection abort"),
    (e::ECONNRESET, "ECONNRESET", "Connection reset by peer"),
    (e::ENOBUFS, "ENOBUFS", "No buffer space available"),
    (e::EISCONN, "EISCONN", "Transport endpoint is already connected"),
    (e::ENOTCONN, "ENOTCONN", "Transport endpoint is not connected"),
    (e::ESHUTDOWN, "ESHUTDOWN", "Cannot send after transport endpoint shutdown"),
    (e::ETOOMANYREFS, "ETOOMANYREFS", "Too many references: cannot splice"),
    (e::ETIMEDOUT, "ETIMEDOUT", "Connection timed out"),
    (e::ECONNREFUSED, "ECONNREFUSED", "Connection refused"),
    (e::EHOSTDOWN, "EHOSTDOWN", "Host is down"),
    (e::EHOSTUNREACH, "EHOSTUNREACH", "No route to host"),
    (e::EALREADY, "EALREADY", "Operation already in progress"),
    (e::EINPROGRESS, "EINPROGRESS", "Operation now in progress"),
    (e::ESTALE, "ESTALE", "Stale file handle"),
    (e::EUCLEAN, "EUCLEAN", "Structure needs cleaning"),
    (e::ENOTNAM, "ENOTNAM", "Not a XENIX named type file"),
    (e::ENAVAIL, "ENAVAIL", "No XENIX semaphores available"),
    (e::EISNAM, "EISNAM", "Is a named type file"),
    (e::EREMOTEIO, "EREMOTEIO", "Remote I/O error"),
    (e::EDQUOT, "EDQUOT", "Quota exceeded"),
    (e::ENOMEDIUM, "ENOMEDIUM", "No medium found"),
    (e::EMEDIUMTYPE, "EMEDIUMTYPE", "Wrong medium type"),
    (e::ECANCELED, "ECANCELED", "Operation Canceled"),
    (e::ENOKEY, "ENOKEY", "Required key not available"),
    (e::EKEYEXPIRED, "EKEYEXPIRED", "Key has expired"),
    (e::EKEYREVOKED, "EKEYREVOKED", "Key has been revoked"),
    (e::EKEYREJECTED, "EKEYREJECTED", "Key was rejected by service"),
    (e::EOWNERDEAD, "EOWNERDEAD", "Owner died"),
    (e::ENOTRECOVERABLE, "ENOTRECOVERABLE", "State not recoverable"),
    (e::ERFKILL, "ERFKILL", "Operation not possible due to RF-kill"),
    (e::EHWPOISON, "EHWPOISON", "Memory page has hardware error"),
];

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "errno {}", self.0),
        }
    }
}

/// `ENOENT (No such file or directory)`; a number outside the table as `errno 4000 (unknown)`.
impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.entry() {
            Some((_, name, msg)) => write!(f, "{name} ({msg})"),
            None => write!(f, "errno {} (unknown)", self.0),
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

    #[test]
    fn display_and_debug() {
        extern crate std;
        use std::format;
        assert_eq!(format!("{}", Errno::ENOENT), "ENOENT (No such file or directory)");
        assert_eq!(format!("{:?}", Errno::ENOENT), "ENOENT");
        assert_eq!(format!("{}", Errno::from_raw(4000)), "errno 4000 (unknown)");
        assert_eq!(format!("{:?}", Errno::from_raw(4000)), "errno 4000");
        // Every number in the table is this ABI's, and the first name for it wins.
        assert_eq!(Errno::from_raw(e::EWOULDBLOCK as u16).name(), Some("EAGAIN"));
        for (n, name, msg) in TABLE {
            assert!(!msg.is_empty() && name.starts_with('E'));
            assert!(*n > 0 && *n < 4096, "{name}");
        }
    }
}
