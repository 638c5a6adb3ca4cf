//! What a handler is told: `SigInfo` (the kernel's `siginfo_t`) and `Context` (the interrupted
//! thread's saved registers and the mask it gets back).

use super::{SigSet, Signal};
use crate::arch::{self, sys::general as g};
use core::ffi::c_void;
use core::fmt;

/// The kernel's `siginfo_t` for one delivery, in this ABI's layout (mips swaps `si_code` and
/// `si_errno`; the union members' offsets differ between 32- and 64-bit ABIs), read through
/// `linux-raw-sys`'s definition of it.
///
/// Which fields mean anything depends on who sent the signal (`code`) and which signal it is,
/// as in `sigaction(2)`: the accessors return `None` where the field is not defined.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Code, SigSet, Signal};
/// let usr2 = SigSet::of(&[Signal::USR2]);
/// signal::block(&usr2).unwrap();
/// signal::queue(strand::syscall::getpid(), Signal::USR2, 77).unwrap();
/// let info = signal::wait(&usr2).unwrap();
/// assert_eq!(info.signal(), Signal::USR2);
/// assert_eq!(info.code(), Code::QUEUE);
/// assert_eq!(info.value(), Some(77));
/// assert_eq!(info.sender().map(|(pid, _uid)| pid), Some(strand::syscall::getpid()));
/// assert_eq!((info.errno(), info.status(), info.fault_addr()), (0, None, None));
/// # }
/// ```
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct SigInfo(g::siginfo);

/// `si_code`: why the signal was sent. Values at or below 0 mean a process sent it
/// (`SI_USER`, `SI_QUEUE`, `SI_TKILL`, ...); positive ones mean the kernel did, with a meaning
/// that depends on the signal (`SEGV_MAPERR`, `CLD_EXITED`, ...).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Code, SigSet, Signal};
/// let set = SigSet::of(&[Signal::USR1]);
/// signal::block(&set).unwrap();
/// signal::raise(Signal::USR1).unwrap();
/// let code = signal::wait(&set).unwrap().code();
/// assert_eq!(code, Code::TKILL); // raise is a tgkill
/// assert!(code.from_process());
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Code(pub i32);

impl Code {
    /// `kill`, `raise` of a whole process (include/uapi/asm-generic/siginfo.h).
    pub const USER: Code = Code(g::SI_USER as i32);
    /// `rt_sigqueueinfo` / `sigqueue`.
    pub const QUEUE: Code = Code(g::SI_QUEUE);
    /// `tgkill` / `tkill`.
    pub const TKILL: Code = Code(g::SI_TKILL);
    /// Sent by the kernel itself (e.g. on `exit` of a ptraced child, or a signal's delivery
    /// after `SIGKILL`).
    pub const KERNEL: Code = Code(g::SI_KERNEL as i32);
    /// A POSIX timer expired.
    pub const TIMER: Code = Code(g::SI_TIMER);

    /// Whether a process sent the signal (`kill`, `tgkill`, `sigqueue`, ...), so `sender`
    /// is defined: `si_code <= 0` (SI_FROMUSER in include/linux/signal.h).
    pub fn from_process(self) -> bool {
        self.0 <= 0
    }
}

impl SigInfo {
    /// # Safety
    /// `info` is the siginfo the kernel passed to an SA_SIGINFO handler (or wrote for
    /// `rt_sigtimedwait`), live for `'a`.
    pub(crate) unsafe fn from_ptr<'a>(info: *const c_void) -> &'a SigInfo {
        // SAFETY: per the contract; `SigInfo` is `repr(transparent)` over the kernel's struct.
        unsafe { &*(info as *const SigInfo) }
    }

    /// An all-zero siginfo for the kernel to fill in.
    pub(crate) fn zeroed() -> SigInfo {
        // SAFETY: siginfo is plain integers and pointers, for which all-zero is valid.
        unsafe { core::mem::zeroed() }
    }

    fn fields(&self) -> &g::siginfo__bindgen_ty_1__bindgen_ty_1 {
        // SAFETY: every member of the union is plain old data; reading the named view of
        // bytes the kernel wrote (or zeroes) is defined.
        unsafe { &self.0.__bindgen_anon_1.__bindgen_anon_1 }
    }

    /// The signal.
    pub fn signal(&self) -> Signal {
        // The kernel always writes a valid number; a zeroed info (never returned) reads as 0.
        Signal::new(self.fields().si_signo as u32).unwrap_or(Signal::KILL)
    }

    /// Why the signal was sent (`si_code`): which fields are defined depends on it.
    pub fn code(&self) -> Code {
        Code(self.fields().si_code)
    }

    /// `si_errno` (0 for nearly every signal).
    pub fn errno(&self) -> i32 {
        self.fields().si_errno
    }

    /// The sending process's pid and real uid, for a signal a process sent (`kill`, `tgkill`,
    /// `sigqueue`), and for SIGCHLD (the child's).
    pub fn sender(&self) -> Option<(i32, u32)> {
        if self.code().from_process() || self.signal() == Signal::CHLD {
            // SAFETY: `_kill`, `_rt` and `_sigchld` all begin with pid then uid.
            let k = unsafe { self.fields()._sifields._kill };
            Some((k._pid, k._uid))
        } else {
            None
        }
    }

    /// The value `sigqueue` sent (`si_value`), or a timer's, as an integer the width of a
    /// pointer: for `SI_QUEUE`, `SI_TIMER` and `SI_MESGQ`.
    pub fn value(&self) -> Option<usize> {
        let c = self.code();
        if c == Code::QUEUE || c == Code::TIMER || c.0 == g::SI_MESGQ {
            // SAFETY: for these codes the kernel wrote `_rt` (`_timer` puts its sigval at the
            // same offset: include/uapi/asm-generic/siginfo.h).
            Some(unsafe { self.fields()._sifields._rt._sigval.sival_ptr } as usize)
        } else {
            None
        }
    }

    /// The child's exit status or signal, for SIGCHLD.
    pub fn status(&self) -> Option<i32> {
        if self.signal() == Signal::CHLD && !self.code().from_process() {
            // SAFETY: the kernel wrote `_sigchld` for a SIGCHLD it sent.
            Some(unsafe { self.fields()._sifields._sigchld._status })
        } else {
            None
        }
    }

    /// The faulting address, for a SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGTRAP the kernel raised.
    /// On s390x the kernel reports only the page (the low 12 bits are zero: arch/s390/mm/fault.c,
    /// `__FAIL_ADDR_MASK`).
    pub fn fault_addr(&self) -> Option<usize> {
        let s = self.signal();
        if !self.code().from_process() && s.is_synchronous() && s != Signal::SYS {
            // SAFETY: the kernel wrote `_sigfault` for a fault it raised.
            Some(unsafe { self.fields()._sifields._sigfault._addr } as usize)
        } else {
            None
        }
    }
}

impl fmt::Debug for SigInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("SigInfo");
        d.field("signal", &self.signal()).field("code", &self.code().0);
        if let Some(s) = self.sender() {
            d.field("sender", &s);
        }
        if let Some(v) = self.value() {
            d.field("value", &v);
        }
        if let Some(a) = self.fault_addr() {
            d.field("fault_addr", &format_args!("{a:#x}"));
        }
        d.finish()
    }
}

/// The interrupted thread's saved state, as the kernel passes it to a handler (its third
/// argument: a `ucontext_t` on every ABI but sparc64, where it is the siginfo followed by the
/// saved registers): the program counter and stack pointer to read, where the thread resumes
/// when the handler returns, and the signal mask it gets back then. Only valid inside that
/// handler.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Context, Handler, SigInfo, Signal};
/// use core::sync::atomic::{AtomicBool, Ordering::Relaxed};
/// static OK: AtomicBool = AtomicBool::new(false);
/// fn look(_: &SigInfo, ctx: &mut Context) {
///     // The handler runs with the signal blocked; the saved mask is the one before.
///     let fine = ctx.pc() != 0 && ctx.sp() != 0 && !ctx.mask().contains(Signal::USR1);
///     OK.store(fine && !ctx.as_ptr().is_null(), Relaxed);
/// }
/// signal::set_handler(Signal::USR1, Handler::Function(look)).unwrap();
/// signal::raise(Signal::USR1).unwrap();
/// assert!(OK.load(Relaxed));
/// # }
/// ```
#[repr(transparent)]
pub struct Context(c_void);

impl Context {
    /// # Safety
    /// `uc` is the third argument the kernel passed to an SA_SIGINFO handler, live for `'a`.
    pub(crate) unsafe fn from_ptr<'a>(uc: *mut c_void) -> &'a mut Context {
        // SAFETY: per the contract; `Context` is an opaque view of it.
        unsafe { &mut *(uc as *mut Context) }
    }

    /// The raw pointer the kernel passed, for code that knows the ABI's `ucontext_t`.
    pub fn as_ptr(&mut self) -> *mut c_void {
        self as *mut Context as *mut c_void
    }

    /// The interrupted program counter.
    pub fn pc(&self) -> usize {
        // SAFETY: a `Context` is only made from the kernel's pointer (`from_ptr`).
        unsafe { arch::context_pc(self as *const Context as *const c_void) }
    }

    /// The interrupted stack pointer (without any ABI stack bias).
    pub fn sp(&self) -> usize {
        // SAFETY: as in `pc`.
        unsafe { arch::context_sp(self as *const Context as *const c_void) }
    }

    /// Makes the thread resume at `pc` when the handler returns.
    ///
    /// # Safety
    /// Code at `pc` must be correct to run with the interrupted thread's registers and stack.
    pub unsafe fn set_pc(&mut self, pc: usize) {
        // SAFETY: as in `pc`; what runs there is the caller's contract.
        unsafe { arch::set_context_pc(self.as_ptr(), pc) }
    }

    /// The mask the thread gets back when the handler returns: the one it had when the signal
    /// arrived (the handler itself runs with the action's mask and the signal added).
    pub fn mask(&self) -> SigSet {
        // SAFETY: as in `pc`; only read through the pointer.
        unsafe { arch::context_sigmask(self as *const Context as *mut c_void).read() }
    }

    /// Changes the mask the thread gets back when the handler returns, so that changing it
    /// changes what the thread blocks afterwards. This is how a handler changes the mask of the
    /// thread it interrupted: `block`, `unblock` or `set_mask` inside a handler last only until
    /// it returns, when `rt_sigreturn` restores this saved mask. SIGKILL and SIGSTOP in `set`
    /// are ignored, as everywhere.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::signal::{self, Context, Handler, SigInfo, SigSet, Signal};
    /// fn block_usr2_after(_: &SigInfo, ctx: &mut Context) {
    ///     let mut m = ctx.mask();
    ///     m.insert(Signal::USR2);
    ///     ctx.set_mask(&m); // the thread's mask once this handler returns
    /// }
    /// signal::set_handler(Signal::USR1, Handler::Function(block_usr2_after)).unwrap();
    /// assert!(!signal::mask().unwrap().contains(Signal::USR2));
    /// signal::raise(Signal::USR1).unwrap();
    /// assert!(signal::mask().unwrap().contains(Signal::USR2));
    /// # let _ = SigSet::EMPTY;
    /// # }
    /// ```
    pub fn set_mask(&mut self, set: &SigSet) {
        // SAFETY: as in `pc`; the saved mask is plain data the kernel reads back on return.
        unsafe { arch::context_sigmask(self.as_ptr()).write(*set) }
    }
}
