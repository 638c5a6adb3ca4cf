//! Sending signals: to the process, to one thread, with a value; and writing from a handler.

use super::{SigInfo, Signal};
use crate::arch::{nr, sys::general as g};
use crate::errno::Errno;
use crate::syscall::{self, sys};

/// Sends `sig` to the calling thread (`raise`); a handler runs before this returns, unless the
/// signal is blocked.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, SigSet, Signal};
/// let set = SigSet::of(&[Signal::USR1]);
/// signal::block(&set).unwrap();
/// signal::raise(Signal::USR1).unwrap();
/// assert_eq!(signal::wait(&set).unwrap().signal(), Signal::USR1);
/// # }
/// ```
pub fn raise(sig: Signal) -> Result<(), Errno> {
    send_to_thread(syscall::gettid(), sig)
}

/// Sends `sig` to process `pid` (`kill`: 0 is the caller's process group, -1 every process it
/// may signal, below -1 the group -pid). To this process, it goes to any thread that does not
/// block it.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, SigSet, Signal};
/// let set = SigSet::of(&[Signal::USR1]);
/// signal::block(&set).unwrap();
/// signal::kill(strand::syscall::getpid(), Signal::USR1).unwrap();
/// // Blocked in the only thread: it stays pending for the process until taken.
/// assert!(signal::pending().unwrap().contains(Signal::USR1));
/// assert_eq!(signal::wait(&set).unwrap().code(), signal::Code::USER);
/// # }
/// ```
pub fn kill(pid: i32, sig: Signal) -> Result<(), Errno> {
    // SAFETY: kill touches no memory of ours.
    Errno::result(unsafe { sys!(g::__NR_kill, pid, sig.number()) }).map(drop)
}

/// Sends `sig` to thread `tid` of this process (`tgkill`). Async-signal-safe.
///
/// A bare tid may name another thread once the one meant has exited (the kernel reuses tids):
/// `JoinHandle::signal` and `Thread::signal` check that their thread is still running while
/// they send.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, SigSet, Signal};
/// let set = SigSet::of(&[Signal::USR1]);
/// signal::block(&set).unwrap();
/// // A thread spawned now inherits the mask, so the signal waits for it in its own queue.
/// let h = strand::thread::spawn(move || signal::wait(&set).map(|i| i.signal())).unwrap();
/// signal::send_to_thread(h.thread().tid(), Signal::USR1).unwrap();
/// assert_eq!(h.join().unwrap(), Ok(Signal::USR1));
/// # }
/// ```
pub fn send_to_thread(tid: i32, sig: Signal) -> Result<(), Errno> {
    // SAFETY: tgkill touches no memory of ours.
    Errno::result(unsafe { sys!(g::__NR_tgkill, syscall::getpid(), tid, sig.number()) }).map(drop)
}

/// Sends `sig` with `value` to process `pid` (`sigqueue`): the receiver's `SigInfo` has code
/// `Code::QUEUE`, this process as sender and `value()` == `Some(value)`. Real-time signals
/// queue, one delivery per send; others merge while pending. `EAGAIN` when the receiver's queue
/// is full (RLIMIT_SIGPENDING).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, SigSet, Signal};
/// let set = SigSet::of(&[Signal::USR1]);
/// signal::block(&set).unwrap();
/// let pid = strand::syscall::getpid();
/// signal::queue(pid, Signal::USR1, 5).unwrap();
/// assert_eq!(signal::wait(&set).unwrap().value(), Some(5));
/// # }
/// ```
pub fn queue(pid: i32, sig: Signal, value: usize) -> Result<(), Errno> {
    let info = queued_info(sig, value);
    // SAFETY: the kernel reads one siginfo.
    Errno::result(unsafe { sys!(g::__NR_rt_sigqueueinfo, pid, sig.number(), &info as *const g::siginfo) }).map(drop)
}

/// As [`queue`], to thread `tid` of this process (`rt_tgsigqueueinfo`).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, rt_min, SigSet, Signal};
/// let rt = Signal::new(rt_min().number() + 2).unwrap();
/// let set = SigSet::of(&[rt]);
/// signal::block(&set).unwrap();
/// let me = strand::thread::current_tid();
/// // Real-time signals queue: both values arrive, in order.
/// signal::queue_to_thread(me, rt, 1).unwrap();
/// signal::queue_to_thread(me, rt, 2).unwrap();
/// assert_eq!(signal::wait(&set).unwrap().value(), Some(1));
/// assert_eq!(signal::wait(&set).unwrap().value(), Some(2));
/// # }
/// ```
pub fn queue_to_thread(tid: i32, sig: Signal, value: usize) -> Result<(), Errno> {
    let info = queued_info(sig, value);
    // SAFETY: the kernel reads one siginfo.
    Errno::result(unsafe {
        sys!(g::__NR_rt_tgsigqueueinfo, syscall::getpid(), tid, sig.number(), &info as *const g::siginfo)
    })
    .map(drop)
}

/// Passes a received instance on to thread `tid` of this process (the signal router's
/// forwarder): with its siginfo unchanged where the kernel allows that, which is for the
/// negative codes other than `SI_TKILL` (`SI_QUEUE`, `SI_TIMER`, ...). A code that says the
/// kernel, `kill` or `tgkill` sent the signal may be claimed only by a thread sending to itself
/// (kernel/signal.c, do_rt_tgsigqueueinfo: EPERM), so such an instance goes on as `SI_QUEUE`
/// with its sender's pid and uid (zero for a kernel-sent one) and value 0.
/// Async-signal-safe: one or two syscalls.
pub(crate) fn forward_to_thread(tid: i32, info: &SigInfo) -> Result<(), Errno> {
    let sig = info.signal();
    let code = info.code().0;
    let claimable = code < 0 && code != g::SI_TKILL;
    let rebuilt;
    let sent: *const SigInfo = if claimable {
        info
    } else {
        let (pid, uid) = info.sender().unwrap_or((0, 0));
        rebuilt = with_sender(queued_info(sig, 0), pid, uid);
        &rebuilt as *const g::siginfo as *const SigInfo
    };
    // SAFETY: the kernel reads one siginfo (`SigInfo` is `repr(transparent)` over it).
    Errno::result(unsafe { sys!(g::__NR_rt_tgsigqueueinfo, syscall::getpid(), tid, sig.number(), sent) }).map(drop)
}

/// Queues a received instance back to the calling thread, siginfo unchanged (a thread may
/// claim any code for itself: kernel/signal.c, do_rt_tgsigqueueinfo). Async-signal-safe.
pub(crate) fn requeue_to_self(info: &SigInfo) -> Result<(), Errno> {
    let tid = crate::thread::current_tid();
    // SAFETY: the kernel reads one siginfo (`SigInfo` is `repr(transparent)` over it).
    Errno::result(unsafe {
        sys!(g::__NR_rt_tgsigqueueinfo, syscall::getpid(), tid, info.signal().number(), info as *const SigInfo)
    })
    .map(drop)
}

fn with_sender(mut info: g::siginfo, pid: i32, uid: u32) -> g::siginfo {
    // SAFETY: writing plain fields of the union's named view.
    unsafe {
        let i = &mut info.__bindgen_anon_1.__bindgen_anon_1;
        i._sifields._rt._pid = pid;
        i._sifields._rt._uid = uid;
    }
    info
}

/// The siginfo `sigqueue` builds (glibc and musl fill in the same fields): the kernel accepts
/// only a negative code from a process (kernel/signal.c, do_rt_sigqueueinfo), and delivers the
/// pid, uid and value as given.
fn queued_info(sig: Signal, value: usize) -> g::siginfo {
    // SAFETY: siginfo is plain integers and pointers, for which all-zero is valid.
    let mut info: g::siginfo = unsafe { core::mem::zeroed() };
    // SAFETY: writing plain fields of the union's named view.
    unsafe {
        let i = &mut info.__bindgen_anon_1.__bindgen_anon_1;
        i.si_signo = sig.number() as i32;
        i.si_code = g::SI_QUEUE;
        i._sifields._rt._pid = syscall::getpid();
        i._sifields._rt._uid = getuid();
        i._sifields._rt._sigval.sival_ptr = value as *mut core::ffi::c_void;
    }
    info
}

/// The real uid (`getuid`, or `getuid32` where the plain one is 16-bit: `arch::nr::GETUID`).
pub(crate) fn getuid() -> u32 {
    // SAFETY: getuid touches no memory.
    unsafe { sys!(nr::GETUID) as u32 }
}

/// Writes all of `bytes` to `fd` with `write(2)`, retrying after a partial write or EINTR: no
/// lock, no allocation, no formatting, so a handler may call it (unlike `println!`, whose lock
/// the interrupted code may hold).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// strand::signal::write(1, b"safe from a handler\n").unwrap();
/// assert!(strand::signal::write(-1, b"x").is_err()); // EBADF
/// # }
/// ```
pub fn write(fd: i32, bytes: &[u8]) -> Result<(), Errno> {
    syscall::write_all(fd, bytes)
}
