//! `Signal`: a signal number that is valid on this ABI, with the ABI's own numbering.

use crate::arch::sys::general as g;
use crate::errno::Errno;
use core::fmt;

/// A signal number, 1 ..= `_NSIG` on this ABI (64, or 128 on mips).
///
/// The named constants carry the ABI's own numbers: mips and sparc number `SIGUSR1`, `SIGCHLD`
/// and others differently from x86 (each kernel's arch/*/include/uapi/asm/signal.h, through
/// `linux-raw-sys`), so code that names signals through these runs the same everywhere.
/// Real-time signals are `Signal::new(n)` with `n` in [`rt_min`]`()..=`[`rt_max`]`()`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{rt_max, rt_min, Signal};
/// assert_eq!(Signal::new(Signal::TERM.number()), Ok(Signal::TERM));
/// assert_eq!(Signal::TERM.name(), Some("SIGTERM"));
/// assert_eq!(Signal::new(0), Err(strand::Errno::EINVAL));
/// let rt = Signal::new(rt_min().number() + 1).unwrap();
/// assert!(rt.is_realtime() && rt <= rt_max() && rt.name().is_none());
/// assert!(Signal::SEGV.is_synchronous() && Signal::KILL.is_uncatchable());
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signal(u32);

macro_rules! named {
    ($($name:ident = $k:ident,)*) => {
        impl Signal {
            $(#[doc = concat!("`", stringify!($k), "` on this ABI.")]
            pub const $name: Signal = Signal(g::$k);)*
        }

        /// Every named signal with its name, for `Display`.
        const NAMES: &[(u32, &str)] = &[$((g::$k, stringify!($k)),)*];
    };
}

named! {
    HUP = SIGHUP, INT = SIGINT, QUIT = SIGQUIT, ILL = SIGILL, TRAP = SIGTRAP, ABRT = SIGABRT,
    BUS = SIGBUS, FPE = SIGFPE, KILL = SIGKILL, USR1 = SIGUSR1, SEGV = SIGSEGV, USR2 = SIGUSR2,
    PIPE = SIGPIPE, ALRM = SIGALRM, TERM = SIGTERM, CHLD = SIGCHLD, CONT = SIGCONT,
    STOP = SIGSTOP, TSTP = SIGTSTP, TTIN = SIGTTIN, TTOU = SIGTTOU, URG = SIGURG, XCPU = SIGXCPU,
    XFSZ = SIGXFSZ, VTALRM = SIGVTALRM, PROF = SIGPROF, WINCH = SIGWINCH, IO = SIGIO,
    PWR = SIGPWR, SYS = SIGSYS,
}

/// The kernel's first real-time signal (32 on every ABI: include/uapi/asm-generic/signal.h and
/// the mips and sparc headers).
const KERNEL_RTMIN: u32 = 32;

/// The lowest real-time signal strand hands out: 35. The kernel's real-time signals start at
/// 32, but glibc and musl keep 32–34 for their own threads (musl src/internal/pthread_impl.h
/// SIGTIMER/SIGCANCEL/SIGSYNCCALL; man 7 nptl), so a program mixing strand with C code that
/// uses them would collide.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let first = strand::signal::rt_min();
/// assert!(first.is_realtime());
/// assert!(first < strand::signal::rt_max());
/// # }
/// ```
pub const fn rt_min() -> Signal {
    Signal(KERNEL_RTMIN + 3)
}

/// The highest real-time signal that works on every ABI strand supports, natively and under
/// QEMU user mode: 60. Natively the kernel has 61–64 too (and mips up to 128), but QEMU cannot
/// deliver a guest's signals above 60 (QEMU 10) or 62 (QEMU 7.2): it maps guest real-time
/// signals onto the host's, and keeps the top ones for itself; `tgkill` of them fails with
/// `EINVAL` while `rt_sigaction` accepts them silently.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{rt_max, rt_min};
/// let n = rt_max().number() - rt_min().number() + 1;
/// assert!(n >= 8, "POSIX asks for at least 8 real-time signals");
/// # }
/// ```
pub const fn rt_max() -> Signal {
    Signal(60)
}

impl Signal {
    /// `n` as a signal: `Err(EINVAL)` for 0 and for numbers above `_NSIG`, what the kernel
    /// answers for them.
    pub const fn new(n: u32) -> Result<Signal, Errno> {
        if n == 0 || n > g::_NSIG {
            return Err(Errno::EINVAL);
        }
        Ok(Signal(n))
    }

    /// The signal number.
    pub const fn number(self) -> u32 {
        self.0
    }

    /// Whether the kernel raises this signal for a fault of the instruction a thread just ran
    /// (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS): it is delivered to that thread, and
    /// blocking it does not stop it (a blocked synchronous signal kills the process). Such a
    /// signal is never routed to another thread.
    pub const fn is_synchronous(self) -> bool {
        matches!(self.0, g::SIGSEGV | g::SIGBUS | g::SIGFPE | g::SIGILL | g::SIGTRAP | g::SIGSYS)
    }

    /// Whether this is a real-time signal (queued, one delivery per send).
    pub const fn is_realtime(self) -> bool {
        self.0 >= KERNEL_RTMIN
    }

    /// SIGKILL or SIGSTOP: no handler, no mask.
    pub const fn is_uncatchable(self) -> bool {
        matches!(self.0, g::SIGKILL | g::SIGSTOP)
    }

    /// Its name (`"SIGUSR1"`), or `None` for a real-time signal or a number only some ABIs name.
    pub fn name(self) -> Option<&'static str> {
        NAMES.iter().find(|&&(n, _)| n == self.0).map(|&(_, name)| name)
    }
}

/// `SIGUSR1`, `SIGRTMIN+5` (counting from the kernel's 32), or `signal 16`.
impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None if self.is_realtime() => write!(f, "SIGRTMIN+{}", self.0 - KERNEL_RTMIN),
            None => write!(f, "signal {}", self.0),
        }
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self} ({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_outside_the_abi_are_errors() {
        assert_eq!(Signal::new(0), Err(Errno::EINVAL));
        assert_eq!(Signal::new(g::_NSIG + 1), Err(Errno::EINVAL));
        assert_eq!(Signal::new(g::SIGUSR1), Ok(Signal::USR1));
        assert_eq!(Signal::new(g::_NSIG).map(Signal::number), Ok(g::_NSIG));
    }

    #[test]
    fn names() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(Signal::USR1.to_string(), "SIGUSR1");
        assert_eq!(rt_min().to_string(), "SIGRTMIN+3");
        assert!(Signal::SEGV.is_synchronous() && !Signal::USR1.is_synchronous());
        assert!(rt_min().is_realtime() && rt_max().is_realtime() && !Signal::TERM.is_realtime());
    }
}
