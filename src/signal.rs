//! Signal handlers and thread-directed signals.

use crate::arch::{self, Sigaction};
use crate::errno::Errno;
use crate::syscall::{self, sys, SigSet};
use linux_raw_sys::general as g;

/// What a signal does.
#[derive(Clone, Copy, Debug)]
pub enum Handler {
    Default,
    Ignore,
    /// Runs on the thread the signal is delivered to, with the signal number.
    Function(extern "C" fn(i32)),
}

impl Handler {
    fn raw(self) -> usize {
        match self {
            // SIG_DFL and SIG_IGN (include/uapi/asm-generic/signal-defs.h).
            Handler::Default => 0,
            Handler::Ignore => 1,
            Handler::Function(f) => f as usize,
        }
    }

    fn from_raw(raw: usize) -> Handler {
        match raw {
            0 => Handler::Default,
            1 => Handler::Ignore,
            // SAFETY: the kernel hands back what some rt_sigaction stored: a handler of this
            // signature (strand only installs those).
            f => Handler::Function(unsafe { core::mem::transmute::<usize, extern "C" fn(i32)>(f) }),
        }
    }
}

/// Whether a syscall interrupted by the handler is restarted (SA_RESTART) or fails with EINTR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restart {
    Yes,
    No,
}

/// Installs `handler` for `sig`; returns the previous one. The handler runs with `sig` blocked.
pub fn set_handler(sig: u32, handler: Handler, restart: Restart) -> Result<Handler, Errno> {
    // Always SA_SIGINFO: every ABI then builds the same (rt) signal frame, so one rt_sigreturn
    // trampoline serves (i386 would otherwise use its old frame and `sigreturn`). A handler that
    // takes only the signal number ignores the extra arguments in every C calling convention.
    let flags = g::SA_SIGINFO as usize
        | match restart {
            Restart::Yes => g::SA_RESTART as usize,
            Restart::No => 0,
        };
    let new = Sigaction { handler: handler.raw(), flags, mask: SigSet::EMPTY };
    let mut old = Sigaction::DEFAULT;
    // SAFETY: the handler is SIG_DFL, SIG_IGN or an `extern "C" fn(i32)` that lives forever;
    // the arch file passes both structs in this ABI's own layout.
    let r = unsafe { arch::rt_sigaction(sig, Some(&new), Some(&mut old)) };
    Errno::result(r).map(|_| Handler::from_raw(old.handler))
}

/// Sends `sig` to thread `tid` of this process (`tgkill`).
pub fn send_to_thread(tid: i32, sig: u32) -> Result<(), Errno> {
    // SAFETY: tgkill touches no memory of ours.
    Errno::result(unsafe { sys!(g::__NR_tgkill, syscall::getpid(), tid, sig) }).map(drop)
}
