//! Signal handlers and thread-directed signals.
//!
//! Which strand calls a handler may make is listed in one place: the README's section
//! "Async-signal-safe calls".

use crate::arch::{self, Sigaction};
use crate::errno::Errno;
use crate::sync::internal::InternalMutex;
use crate::syscall::{self, sys, SigSet};
use core::ffi::c_void;
use core::fmt;
use core::sync::atomic::AtomicUsize;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Release};
use crate::arch::sys::general as g;

/// What a signal does.
#[derive(Clone, Copy, Debug)]
pub enum Handler {
    Default,
    Ignore,
    /// Runs on the thread the signal is delivered to, with the signal number.
    Function(extern "C" fn(i32)),
    /// A handler strand did not install: other code put it there, with a signature strand
    /// cannot know (SA_SIGINFO's three arguments, say). It can only be put back.
    Foreign(ForeignHandler),
}

/// A disposition some other code installed: its handler's address, flags and mask, exactly as
/// the kernel reported them. Opaque: strand never calls it, and it can only come from
/// `set_handler`, so whatever `set_handler` reinstalls from it was once a real disposition —
/// and it is reinstalled whole, with its own flags (SA_ONSTACK, SA_NODEFER, ...) and mask.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ForeignHandler(Sigaction);

impl ForeignHandler {
    /// The handler's address (for diagnostics).
    pub fn addr(&self) -> usize {
        self.0.handler
    }
}

impl fmt::Debug for ForeignHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ForeignHandler({:#x}, flags {:#x})", self.0.handler, self.0.flags)
    }
}

// SIG_DFL and SIG_IGN (include/uapi/asm-generic/signal-defs.h).
const SIG_DFL: usize = 0;
const SIG_IGN: usize = 1;

impl Handler {
    fn raw(self) -> usize {
        match self {
            Handler::Default => SIG_DFL,
            Handler::Ignore => SIG_IGN,
            Handler::Function(f) => f as usize,
            Handler::Foreign(h) => h.0.handler,
        }
    }

    /// What the kernel reported, given the `Function` strand last installed for the signal
    /// (`ours`, 0 if none): anything else is foreign.
    fn from_kernel(old: Sigaction, ours: usize) -> Handler {
        match old.handler {
            SIG_DFL => Handler::Default,
            SIG_IGN => Handler::Ignore,
            // SAFETY: `ours` is the address of the `extern "C" fn(i32)` strand installed.
            f if f == ours => Handler::Function(unsafe { core::mem::transmute::<usize, extern "C" fn(i32)>(f) }),
            _ => Handler::Foreign(ForeignHandler(old)),
        }
    }
}

/// Whether a syscall interrupted by the handler is restarted (SA_RESTART) or fails with EINTR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restart {
    Yes,
    No,
}

/// Signal numbers run from 1 to _NSIG (include/uapi/asm-generic/signal.h).
const NSIG: usize = g::_NSIG as usize;

/// For each signal, the `Function` strand installed for it (0 when strand's last install was
/// not a function): how `set_handler` tells its own handlers from foreign ones. Changed only
/// together with the kernel's disposition, under this lock.
static INSTALLED: InternalMutex<[usize; NSIG + 1]> = InternalMutex::new([0; NSIG + 1]);

/// Installs `handler` for `sig`; returns the previous one (`Handler::Foreign` for a handler
/// strand did not install). The handler runs with `sig` blocked. `EINVAL` for a number that is
/// no signal, or for SIGKILL and SIGSTOP.
///
/// strand installs its own handlers with SA_SIGINFO (and SA_RESTART for `Restart::Yes`) and an
/// empty mask. A foreign handler is put back exactly as it was reported, with its own flags and
/// mask (`restart` does not apply to it).
///
/// Async-signal-safe: every signal is blocked while the lock above is held, so a handler never
/// waits for code it interrupted.
pub fn set_handler(sig: u32, handler: Handler, restart: Restart) -> Result<Handler, Errno> {
    if sig == 0 || sig as usize > NSIG {
        return Err(Errno::EINVAL);
    }
    if CONTROL.load(Acquire) == sig as usize {
        return set_chained(handler);
    }
    // Always SA_SIGINFO: every ABI then builds the same (rt) signal frame, so one rt_sigreturn
    // trampoline serves (i386 would otherwise use its old frame and `sigreturn`). A handler that
    // takes only the signal number ignores the extra arguments in every C calling convention.
    let flags = g::SA_SIGINFO as usize
        | match restart {
            Restart::Yes => g::SA_RESTART as usize,
            Restart::No => 0,
        };
    let new = match handler {
        Handler::Foreign(f) => f.0,
        _ => Sigaction { handler: handler.raw(), flags, mask: SigSet::EMPTY },
    };
    let mut old = Sigaction::DEFAULT;
    let mut mask = SigSet::EMPTY;
    syscall::sigprocmask(g::SIG_BLOCK, Some(&SigSet::FULL), Some(&mut mask))?;
    let result = {
        let mut installed = INSTALLED.lock();
        // SAFETY: the handler is SIG_DFL, SIG_IGN, an `extern "C" fn(i32)` (which lives
        // forever), or a foreign disposition the kernel reported installed earlier
        // (set_handler's only source of one); the arch file passes both in this ABI's layout.
        let r = unsafe { arch::rt_sigaction(sig, Some(&new), Some(&mut old)) };
        Errno::result(r).map(|_| {
            let previous = Handler::from_kernel(old, installed[sig as usize]);
            installed[sig as usize] = match handler {
                Handler::Function(f) => f as usize,
                _ => 0,
            };
            previous
        })
    };
    syscall::sigprocmask(g::SIG_SETMASK, Some(&mask), None)?;
    result
}

/// The signal strand's thread control took over (`thread::control`), 0 before it did. From then
/// on `set_handler` for that number sets the handler run for the instances of it that strand
/// did not send itself (`CHAINED`) instead of replacing strand's.
static CONTROL: AtomicUsize = AtomicUsize::new(0);
/// The `Function` run for such an instance; 0 for the default or ignore, which both ignore it
/// (the control signal's default action never runs once strand has it: a stray one is
/// ignored).
static CHAINED: AtomicUsize = AtomicUsize::new(0);

fn set_chained(handler: Handler) -> Result<Handler, Errno> {
    let new = match handler {
        Handler::Function(f) => f as usize,
        Handler::Default | Handler::Ignore => 0,
        // Its signature is unknown, so strand could not call it.
        Handler::Foreign(_) => return Err(Errno::EINVAL),
    };
    Ok(match CHAINED.swap(new, AcqRel) {
        0 => Handler::Default,
        // SAFETY: only `extern "C" fn(i32)` addresses are stored.
        f => Handler::Function(unsafe { core::mem::transmute::<usize, extern "C" fn(i32)>(f) }),
    })
}

/// Installs thread control's handler (`handler`, an SA_SIGINFO handler) for `sig`, keeping the
/// `Function` strand had installed there, if any, as the one run for stray instances.
pub(crate) fn install_control_handler(sig: u32, handler: usize, mask: SigSet) -> Result<(), Errno> {
    let flags = (g::SA_SIGINFO | g::SA_RESTART | g::SA_ONSTACK) as usize;
    let new = Sigaction { handler, flags, mask };
    let mut old = Sigaction::DEFAULT;
    let mut saved = SigSet::EMPTY;
    syscall::sigprocmask(g::SIG_BLOCK, Some(&SigSet::FULL), Some(&mut saved))?;
    let result = {
        let mut installed = INSTALLED.lock();
        // SAFETY: `handler` is an SA_SIGINFO handler that lives forever; the arch file passes it
        // in this ABI's layout.
        let r = unsafe { arch::rt_sigaction(sig, Some(&new), Some(&mut old)) };
        Errno::result(r).map(|_| {
            if let Handler::Function(f) = Handler::from_kernel(old, installed[sig as usize]) {
                CHAINED.store(f as usize, Release);
            }
            installed[sig as usize] = 0;
            CONTROL.store(sig as usize, Release);
        })
    };
    syscall::sigprocmask(g::SIG_SETMASK, Some(&saved), None)?;
    result
}

/// Runs the handler the program set for the control signal, for an instance strand did not
/// send. Async-signal-safe.
pub(crate) fn run_chained_control_handler(sig: i32) {
    let f = CHAINED.load(Acquire);
    if f != 0 {
        // SAFETY: only `extern "C" fn(i32)` addresses are stored.
        unsafe { core::mem::transmute::<usize, extern "C" fn(i32)>(f)(sig) };
    }
}

/// Whether a signal's `siginfo` says this process sent it to one thread with `tgkill`
/// (`si_code == SI_TKILL`, `si_pid` ours), as strand's thread control does; a `kill`,
/// `sigqueue` or another process's `tgkill` says otherwise. Async-signal-safe.
///
/// # Safety
/// `info` is the siginfo the kernel passed to an SA_SIGINFO handler.
pub(crate) unsafe fn sent_by_this_process_tgkill(info: *const c_void) -> bool {
    // The field layout is the ABI's (mips swaps si_code and si_errno), from linux_raw_sys.
    // SAFETY: per the contract.
    let (code, pid) = unsafe {
        let i = &(*(info as *const g::siginfo)).__bindgen_anon_1.__bindgen_anon_1;
        (i.si_code, i._sifields._kill._pid)
    };
    code == g::SI_TKILL && pid == syscall::getpid()
}

/// Sends `sig` to thread `tid` of this process (`tgkill`). Async-signal-safe.
pub fn send_to_thread(tid: i32, sig: u32) -> Result<(), Errno> {
    // SAFETY: tgkill touches no memory of ours.
    Errno::result(unsafe { sys!(g::__NR_tgkill, syscall::getpid(), tid, sig) }).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C" fn ours(_: i32) {}

    #[test]
    fn only_the_function_strand_installed_comes_back_callable() {
        let f = ours as extern "C" fn(i32) as usize;
        let k = |handler| Sigaction { handler, flags: 0x8, mask: SigSet::EMPTY };
        assert!(matches!(Handler::from_kernel(k(0), f), Handler::Default));
        assert!(matches!(Handler::from_kernel(k(1), f), Handler::Ignore));
        assert!(matches!(Handler::from_kernel(k(f), f), Handler::Function(g) if g as usize == f));
        // Installed by someone else, or strand installed nothing there: kept whole.
        assert!(matches!(Handler::from_kernel(k(0x1234), f), Handler::Foreign(h) if h == ForeignHandler(k(0x1234))));
        assert!(matches!(Handler::from_kernel(k(f), 0), Handler::Foreign(h) if h.addr() == f));
        // And it goes back as it came.
        assert_eq!(Handler::Foreign(ForeignHandler(k(0x1234))).raw(), 0x1234);
    }
}
