//! Dispositions: what a signal does when it arrives (`set_handler`, `set_action`,
//! `catch_signal`), and the one entry point through which the kernel runs strand's handlers.

use super::{Context, SigInfo, SigSet, Signal};
use crate::arch::{self, sys::general as g, Sigaction};
use crate::errno::Errno;
use crate::sync::internal::InternalMutex;
use crate::syscall;
use core::ffi::c_void;
use core::fmt;
use core::sync::atomic::AtomicUsize;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Release};

/// A handler strand runs: the signal's `siginfo` and the interrupted thread's saved state. It
/// runs on whichever thread the signal was delivered to, between two instructions of that
/// thread, so it may only use what the README lists as async-signal-safe.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Context, Handler, SigInfo, Signal};
/// use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
/// static GOT: AtomicU32 = AtomicU32::new(0);
/// fn on_usr1(info: &SigInfo, _ctx: &mut Context) {
///     GOT.store(info.signal().number(), Relaxed); // an atomic: async-signal-safe
/// }
/// signal::set_handler(Signal::USR1, Handler::Function(on_usr1)).unwrap();
/// signal::raise(Signal::USR1).unwrap(); // the handler has run when this returns
/// assert_eq!(GOT.load(Relaxed), Signal::USR1.number());
/// # }
/// ```
pub type HandlerFn = fn(&SigInfo, &mut Context);

/// What a signal does.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Handler, Signal};
/// let before = signal::set_handler(Signal::USR2, Handler::Ignore).unwrap();
/// assert!(matches!(before, Handler::Default));
/// signal::raise(Signal::USR2).unwrap(); // ignored: nothing happens
/// assert!(matches!(signal::get_handler(Signal::USR2).unwrap(), Handler::Ignore));
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub enum Handler {
    /// The kernel's default action (SIG_DFL).
    Default,
    /// Discard the signal (SIG_IGN).
    Ignore,
    /// Run this function, through strand's dispatcher (SA_SIGINFO).
    Function(HandlerFn),
    /// A handler strand did not install: other code put it there, with a signature strand
    /// cannot know. It can only be put back.
    Foreign(ForeignHandler),
}

/// A disposition some other code installed: its handler's address, flags and mask, exactly as
/// the kernel reported them. Opaque: strand never calls it, and it can only come from the
/// kernel, so whatever `set_handler` reinstalls from it was once a real disposition — and it is
/// reinstalled whole, with its own flags (SA_ONSTACK, SA_NODEFER, ...) and mask.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Handler, Signal};
/// // What a program does with a disposition it did not make: report it, or put it back.
/// match signal::get_handler(Signal::WINCH).unwrap() {
///     Handler::Foreign(f) => strand::println!("SIGWINCH handled by code at {:#x}", f.addr()),
///     other => assert!(matches!(other, Handler::Default)),
/// }
/// # }
/// ```
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

/// `sigaction`'s options that a handler may ask for, as a set (`Flags::RESTART |
/// Flags::ONSTACK`). Each is this ABI's own bit (sparc and mips number them differently).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::Flags;
/// let f = Flags::RESTART | Flags::ONSTACK;
/// assert!(f.contains(Flags::ONSTACK) && !f.contains(Flags::NODEFER));
/// assert_eq!(f.bits(), Flags::RESTART.bits() | Flags::ONSTACK.bits());
/// assert_eq!(Flags::NONE.bits(), 0);
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags(usize);

impl Flags {
    /// No option.
    pub const NONE: Flags = Flags(0);
    /// A syscall the handler interrupted is restarted instead of failing with EINTR.
    pub const RESTART: Flags = Flags(g::SA_RESTART as usize);
    /// Run the handler on the thread's alternate signal stack.
    pub const ONSTACK: Flags = Flags(g::SA_ONSTACK as usize);
    /// Do not block the signal while its handler runs.
    pub const NODEFER: Flags = Flags(g::SA_NODEFER as usize);
    /// Reset the disposition to the default once the handler has been entered.
    pub const RESETHAND: Flags = Flags(g::SA_RESETHAND as usize);
    /// SIGCHLD only: not for children that stop or continue.
    pub const NOCLDSTOP: Flags = Flags(g::SA_NOCLDSTOP as usize);
    /// SIGCHLD only: children do not become zombies.
    pub const NOCLDWAIT: Flags = Flags(g::SA_NOCLDWAIT as usize);

    const ALL: usize = (g::SA_RESTART | g::SA_ONSTACK | g::SA_NODEFER | g::SA_RESETHAND | g::SA_NOCLDSTOP | g::SA_NOCLDWAIT) as usize;

    /// Whether every flag of `other` is set in `self`.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The bits as this ABI's `sa_flags` has them.
    pub fn bits(self) -> usize {
        self.0
    }
}

impl core::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (Flags::RESTART, "RESTART"),
            (Flags::ONSTACK, "ONSTACK"),
            (Flags::NODEFER, "NODEFER"),
            (Flags::RESETHAND, "RESETHAND"),
            (Flags::NOCLDSTOP, "NOCLDSTOP"),
            (Flags::NOCLDWAIT, "NOCLDWAIT"),
        ];
        let mut first = true;
        for (flag, name) in names {
            if self.contains(flag) {
                f.write_str(if first { "" } else { " | " })?;
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("NONE")?;
        }
        Ok(())
    }
}

/// A whole disposition: the handler, its options, and the signals blocked while it runs (the
/// signal itself is blocked too unless `Flags::NODEFER`).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Action, Context, Flags, Handler, SigInfo, SigSet, Signal};
/// fn on_alarm(_: &SigInfo, _: &mut Context) {}
/// let mut action = Action::new(Handler::Function(on_alarm));
/// action.flags = Flags::RESTART | Flags::NODEFER;
/// action.mask = SigSet::of(&[Signal::USR1]); // blocked while the handler runs
/// signal::set_action(Signal::ALRM, &action).unwrap();
/// let now = signal::get_action(Signal::ALRM).unwrap();
/// assert!(now.flags.contains(Flags::NODEFER) && now.mask.contains(Signal::USR1));
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Action {
    /// What runs (or happens) when the signal arrives.
    pub handler: Handler,
    /// `sigaction` options.
    pub flags: Flags,
    /// Signals blocked, in addition to those already blocked, while the handler runs.
    pub mask: SigSet,
}

impl Action {
    /// `handler` with `Flags::RESTART` and no extra mask: what `set_handler` installs.
    pub fn new(handler: Handler) -> Action {
        Action { handler, flags: Flags::RESTART, mask: SigSet::EMPTY }
    }
}

// SIG_DFL and SIG_IGN (include/uapi/asm-generic/signal-defs.h).
const SIG_DFL: usize = 0;
const SIG_IGN: usize = 1;

/// Signal numbers run from 1 to _NSIG (include/uapi/asm-generic/signal.h).
const NSIG: usize = g::_NSIG as usize;

/// For each signal, the `HandlerFn` set for it (0: none): what `dispatch` calls, and what
/// `Mode::Catch` installs again after `Ignore` or `Default`. Read lock-free by `dispatch`;
/// written only under `DISPOSITIONS`.
static FUNCTIONS: [AtomicUsize; NSIG + 1] = [const { AtomicUsize::new(0) }; NSIG + 1];

/// Serialises every change of a disposition with the table above, so that the kernel's
/// disposition and `FUNCTIONS` agree for every other caller.
static DISPOSITIONS: InternalMutex<()> = InternalMutex::new(());

/// The handler the kernel runs for every signal strand handles: it calls the `HandlerFn` set for
/// the signal. Installed with SA_SIGINFO on every ABI, so every ABI builds the same (rt) signal
/// frame and one `rt_sigreturn` trampoline serves (i386 would otherwise use its old frame).
extern "C" fn dispatch(sig: i32, info: *mut c_void, uc: *mut c_void) {
    if let Some(f) = function(sig as usize) {
        // SAFETY: the kernel passes a valid siginfo and context to an SA_SIGINFO handler, live
        // until it returns.
        unsafe { f(SigInfo::from_ptr(info), Context::from_ptr(uc)) }
    }
}

fn dispatch_addr() -> usize {
    // Read from one static, so every use sees the same address (Miri, rightly, gives each cast
    // of a function item an address of its own).
    static DISPATCH: extern "C" fn(i32, *mut c_void, *mut c_void) = dispatch;
    DISPATCH as usize
}

fn function(sig: usize) -> Option<HandlerFn> {
    match FUNCTIONS.get(sig)?.load(Acquire) {
        0 => None,
        // SAFETY: only `HandlerFn` addresses are stored.
        f => Some(unsafe { core::mem::transmute::<usize, HandlerFn>(f) }),
    }
}

impl Handler {
    /// What the kernel reported for `sig`.
    fn from_kernel(sig: usize, old: Sigaction) -> Handler {
        match old.handler {
            SIG_DFL => Handler::Default,
            SIG_IGN => Handler::Ignore,
            h if h == dispatch_addr() => match function(sig) {
                Some(f) => Handler::Function(f),
                None => Handler::Default,
            },
            _ => Handler::Foreign(ForeignHandler(old)),
        }
    }
}

fn check(sig: Signal) -> Result<(), Errno> {
    if sig.is_uncatchable() {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// Installs `action` for `sig`; returns the previous one (`Handler::Foreign` for a handler
/// strand did not install). `EINVAL` for SIGKILL and SIGSTOP.
///
/// A foreign handler is put back exactly as it was reported, with its own flags and mask
/// (`action.flags` and `action.mask` do not apply to it).
///
/// Async-signal-safe: every signal is blocked while the lock inside is held, so a handler never
/// waits for code it interrupted.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Action, Handler, Signal};
/// let old = signal::set_action(Signal::HUP, &Action::new(Handler::Ignore)).unwrap();
/// assert!(matches!(old.handler, Handler::Default));
/// assert_eq!(signal::set_action(Signal::KILL, &Action::new(Handler::Ignore)).err(), Some(strand::Errno::EINVAL));
/// # }
/// ```
pub fn set_action(sig: Signal, action: &Action) -> Result<Action, Errno> {
    check(sig)?;
    if super::control_signal_number() == sig.number() as usize {
        return set_chained(action.handler).map(Action::new);
    }
    let n = sig.number() as usize;
    let new = match action.handler {
        Handler::Foreign(f) => f.0,
        Handler::Default => Sigaction { handler: SIG_DFL, flags: action.flags.0, mask: action.mask },
        Handler::Ignore => Sigaction { handler: SIG_IGN, flags: action.flags.0, mask: action.mask },
        Handler::Function(_) => Sigaction {
            handler: dispatch_addr(),
            flags: (action.flags.0 & Flags::ALL) | g::SA_SIGINFO as usize,
            mask: action.mask,
        },
    };
    with_all_blocked(|| {
        let _lock = DISPOSITIONS.lock();
        // A new function is in the table before the kernel can call `dispatch` for it; an old
        // one stays there (and may still run) until the kernel has the new disposition.
        let old_function = FUNCTIONS[n].load(Acquire);
        if let Handler::Function(f) = action.handler {
            FUNCTIONS[n].store(f as usize, Release);
        }
        let mut old = Sigaction::DEFAULT;
        // SAFETY: the handler is SIG_DFL, SIG_IGN, `dispatch` (which lives forever), or a
        // foreign disposition the kernel reported earlier; the arch file passes both in this
        // ABI's layout.
        let r = unsafe { arch::rt_sigaction(sig.number(), Some(&new), Some(&mut old)) };
        if let Err(e) = Errno::result(r) {
            FUNCTIONS[n].store(old_function, Release);
            return Err(e);
        }
        let previous = match old.handler {
            h if h == dispatch_addr() && old_function != 0 => {
                // SAFETY: only `HandlerFn` addresses are stored.
                Handler::Function(unsafe { core::mem::transmute::<usize, HandlerFn>(old_function) })
            }
            _ => Handler::from_kernel(n, old),
        };
        Ok(Action { handler: previous, flags: Flags(old.flags & Flags::ALL), mask: old.mask })
    })
}

/// Installs `handler` for `sig` with `Flags::RESTART` and no extra mask; returns the previous
/// handler. See [`set_action`].
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Handler, Signal};
/// assert!(matches!(signal::set_handler(Signal::USR2, Handler::Ignore).unwrap(), Handler::Default));
/// // The previous handler comes back, so it can be restored.
/// let previous = signal::set_handler(Signal::USR2, Handler::Default).unwrap();
/// assert!(matches!(previous, Handler::Ignore));
/// # }
/// ```
pub fn set_handler(sig: Signal, handler: Handler) -> Result<Handler, Errno> {
    set_action(sig, &Action::new(handler)).map(|a| a.handler)
}

/// The disposition of `sig` now.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Handler, Signal};
/// // Nothing installed a handler for SIGTERM in this program.
/// assert!(matches!(signal::get_action(Signal::TERM).unwrap().handler, Handler::Default));
/// # }
/// ```
pub fn get_action(sig: Signal) -> Result<Action, Errno> {
    if super::control_signal_number() == sig.number() as usize {
        return Ok(Action::new(chained()));
    }
    let mut old = Sigaction::DEFAULT;
    with_all_blocked(|| {
        let _lock = DISPOSITIONS.lock();
        // SAFETY: a query: no new disposition.
        Errno::result(unsafe { arch::rt_sigaction(sig.number(), None, Some(&mut old)) })
    })?;
    Ok(Action {
        handler: Handler::from_kernel(sig.number() as usize, old),
        flags: Flags(old.flags & Flags::ALL),
        mask: old.mask,
    })
}

/// The handler of `sig` now.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Handler, Signal};
/// signal::set_handler(Signal::URG, Handler::Ignore).unwrap();
/// assert!(matches!(signal::get_handler(Signal::URG).unwrap(), Handler::Ignore));
/// # }
/// ```
pub fn get_handler(sig: Signal) -> Result<Handler, Errno> {
    get_action(sig).map(|a| a.handler)
}

/// ECL's `catch-signal` modes.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Context, Handler, Mode, SigInfo, Signal};
/// use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
/// static RUNS: AtomicU32 = AtomicU32::new(0);
/// fn count(_: &SigInfo, _: &mut Context) {
///     RUNS.fetch_add(1, Relaxed);
/// }
/// signal::set_handler(Signal::USR1, Handler::Function(count)).unwrap();
/// signal::catch_signal(Signal::USR1, Mode::Ignore).unwrap();
/// signal::raise(Signal::USR1).unwrap();
/// assert_eq!(RUNS.load(Relaxed), 0);
/// signal::catch_signal(Signal::USR1, Mode::Catch).unwrap(); // `count` again
/// signal::catch_signal(Signal::USR1, Mode::Mask).unwrap();
/// signal::raise(Signal::USR1).unwrap(); // pending
/// assert!(signal::pending().unwrap().contains(Signal::USR1));
/// signal::catch_signal(Signal::USR1, Mode::Unmask).unwrap(); // delivered now
/// assert_eq!(RUNS.load(Relaxed), 1);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Discard the signal (SIG_IGN).
    Ignore,
    /// The kernel's default action (SIG_DFL).
    Default,
    /// Run the handler last set for the signal with `set_handler`/`set_action`, even if
    /// `Ignore` or `Default` replaced it since (`EINVAL` if none was ever set).
    Catch,
    /// Block the signal in the calling thread (it stays pending until unblocked).
    Mask,
    /// Unblock it in the calling thread.
    Unmask,
}

/// Sets what `sig` does: `Ignore`, `Default` and `Catch` for the whole process, `Mask` and
/// `Unmask` for the calling thread (for a thread not started yet, see
/// `thread::Builder::block_signals`). `EINVAL` for SIGKILL and SIGSTOP, for `Catch` with no
/// handler set, and for masking a synchronous signal or strand's control signal (blocking one
/// would kill the process at the next fault, or stop `stop_the_world` from ever returning).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Mode, Signal};
/// // Masking a synchronous signal is refused: a fault would then kill the process.
/// assert_eq!(signal::catch_signal(Signal::SEGV, Mode::Mask), Err(strand::Errno::EINVAL));
/// // `Catch` needs a handler set before.
/// assert_eq!(signal::catch_signal(Signal::PROF, Mode::Catch), Err(strand::Errno::EINVAL));
/// # }
/// ```
pub fn catch_signal(sig: Signal, mode: Mode) -> Result<(), Errno> {
    check(sig)?;
    match mode {
        Mode::Ignore => set_handler(sig, Handler::Ignore).map(drop),
        Mode::Default => set_handler(sig, Handler::Default).map(drop),
        Mode::Catch => {
            let f = function(sig.number() as usize).ok_or(Errno::EINVAL)?;
            set_handler(sig, Handler::Function(f)).map(drop)
        }
        Mode::Mask => {
            if sig.is_synchronous() || super::control_signal_number() == sig.number() as usize {
                return Err(Errno::EINVAL);
            }
            super::block(&SigSet::of(&[sig])).map(drop)
        }
        Mode::Unmask => super::unblock(&SigSet::of(&[sig])).map(drop),
    }
}

/// Installs `f` for `sig` at start-up, when only the main thread runs and no handler strand
/// installs can be running: no lock and no mask change needed (they would cost syscalls every
/// process pays).
pub(crate) fn install_at_start(sig: Signal, f: HandlerFn, flags: Flags, mask: SigSet) -> Result<(), Errno> {
    FUNCTIONS[sig.number() as usize].store(f as usize, Release);
    let new = Sigaction { handler: dispatch_addr(), flags: (flags.0 & Flags::ALL) | g::SA_SIGINFO as usize, mask };
    // SAFETY: `dispatch` lives forever; the arch file passes this ABI's layout.
    Errno::result(unsafe { arch::rt_sigaction(sig.number(), Some(&new), None) }).map(drop)
}

/// Runs `f` with every signal blocked in the calling thread, then restores its mask: how code
/// that holds a lock a handler might take stays async-signal-safe.
pub(crate) fn with_all_blocked<R>(f: impl FnOnce() -> R) -> R {
    let mut saved = SigSet::EMPTY;
    let blocked = syscall::sigprocmask(g::SIG_BLOCK, Some(&SigSet::FULL), Some(&mut saved)).is_ok();
    let r = f();
    if blocked {
        let _ = syscall::sigprocmask(g::SIG_SETMASK, Some(&saved), None);
    }
    r
}

/// The signal strand's thread control took over (`thread::control`), 0 before it did. From then
/// on `set_action` for that number sets the handler run for the instances of it that strand did
/// not send itself (`CHAINED`) instead of replacing strand's.
pub(super) static CONTROL: AtomicUsize = AtomicUsize::new(0);
/// The `HandlerFn` run for such an instance; 0 for the default or ignore, which both ignore it
/// (the control signal's default action never runs once strand has it: a stray one is
/// ignored).
static CHAINED: AtomicUsize = AtomicUsize::new(0);

fn chained() -> Handler {
    match CHAINED.load(Acquire) {
        0 => Handler::Default,
        // SAFETY: only `HandlerFn` addresses are stored.
        f => Handler::Function(unsafe { core::mem::transmute::<usize, HandlerFn>(f) }),
    }
}

fn set_chained(handler: Handler) -> Result<Handler, Errno> {
    let new = match handler {
        Handler::Function(f) => f as usize,
        Handler::Default | Handler::Ignore => 0,
        // Its signature is unknown, so strand could not call it.
        Handler::Foreign(_) => return Err(Errno::EINVAL),
    };
    Ok(match CHAINED.swap(new, AcqRel) {
        0 => Handler::Default,
        // SAFETY: only `HandlerFn` addresses are stored.
        f => Handler::Function(unsafe { core::mem::transmute::<usize, HandlerFn>(f) }),
    })
}

/// Installs thread control's handler (`handler`, an SA_SIGINFO handler) for `sig`, keeping the
/// `Function` strand had installed there, if any, as the one run for stray instances.
pub(crate) fn install_control_handler(sig: Signal, handler: usize, mask: SigSet) -> Result<(), Errno> {
    let flags = (g::SA_SIGINFO | g::SA_RESTART | g::SA_ONSTACK) as usize;
    let new = Sigaction { handler, flags, mask };
    with_all_blocked(|| {
        let _lock = DISPOSITIONS.lock();
        let mut old = Sigaction::DEFAULT;
        // SAFETY: `handler` is an SA_SIGINFO handler that lives forever; the arch file passes it
        // in this ABI's layout.
        let r = unsafe { arch::rt_sigaction(sig.number(), Some(&new), Some(&mut old)) };
        Errno::result(r).map(|_| {
            if let Handler::Function(f) = Handler::from_kernel(sig.number() as usize, old) {
                CHAINED.store(f as usize, Release);
            }
            CONTROL.store(sig.number() as usize, Release);
        })
    })
}

/// Runs the handler the program set for the control signal, for an instance strand did not
/// send. Async-signal-safe.
///
/// # Safety
/// `info` and `uc` are what the kernel passed to the SA_SIGINFO handler running now.
pub(crate) unsafe fn run_chained_control_handler(info: *mut c_void, uc: *mut c_void) {
    if let Handler::Function(f) = chained() {
        // SAFETY: per the contract.
        unsafe { f(SigInfo::from_ptr(info), Context::from_ptr(uc)) }
    }
}

/// Whether a signal's `siginfo` says this process sent it to one thread with `tgkill`
/// (`si_code == SI_TKILL`, `si_pid` ours), as strand's thread control does; a `kill`,
/// `sigqueue` or another process's `tgkill` says otherwise. Async-signal-safe.
///
/// # Safety
/// `info` is the siginfo the kernel passed to an SA_SIGINFO handler.
pub(crate) unsafe fn sent_by_this_process_tgkill(info: *const c_void) -> bool {
    // SAFETY: per the contract.
    let info = unsafe { SigInfo::from_ptr(info) };
    info.code() == super::Code::TKILL && info.sender().is_some_and(|(pid, _)| pid == syscall::getpid())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(_: &SigInfo, _: &mut Context) {}

    #[test]
    fn only_dispatch_with_a_function_comes_back_callable() {
        let k = |handler| Sigaction { handler, flags: 0x8, mask: SigSet::EMPTY };
        let n = g::SIGUSR2 as usize;
        assert!(matches!(Handler::from_kernel(n, k(0)), Handler::Default));
        assert!(matches!(Handler::from_kernel(n, k(1)), Handler::Ignore));
        // Installed by someone else: kept whole.
        assert!(matches!(Handler::from_kernel(n, k(0x1234)), Handler::Foreign(h) if h == ForeignHandler(k(0x1234))));
        // One cast, compared with itself (see `dispatch_addr`).
        let f = ours as HandlerFn;
        FUNCTIONS[n].store(f as usize, Release);
        assert!(matches!(Handler::from_kernel(n, k(dispatch_addr())), Handler::Function(g) if g as usize == f as usize));
        FUNCTIONS[n].store(0, Release);
    }

    #[test]
    fn flags_print_by_name() {
        extern crate std;
        assert_eq!(std::format!("{:?}", Flags::RESTART | Flags::ONSTACK), "RESTART | ONSTACK");
        assert_eq!(std::format!("{:?}", Flags::NONE), "NONE");
    }
}
