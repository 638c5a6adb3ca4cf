//! The signal-handling thread (ECL's design): a program routes asynchronous signals (SIGINT,
//! SIGTERM, SIGCHLD, ...) to one dedicated thread, which runs an ordinary Rust callback for
//! each, in normal context, where locks, printing, allocation and spawning are all allowed.
//!
//! # How
//!
//! Starting a [`Router`] for a set `R`:
//! 1. spawns the router thread, born with `R` blocked, which loops on `rt_sigtimedwait(R)`
//!    (`signal::wait`) and calls the callback with each `SigInfo`;
//! 2. installs a forwarding handler for every signal of `R`, which re-queues the instance, with
//!    to the router thread (`rt_tgsigqueueinfo`), its siginfo unchanged where the kernel lets
//!    another thread claim its code (a `sigqueue` or timer one); an instance sent by `kill`,
//!    `tgkill` or the kernel arrives as `SI_QUEUE` with its sender's pid and uid. It runs only in a thread that does not
//!    block the signal: one that unblocked it itself, or one inside a handler of its own when
//!    the router started (see `thread::control::edit_every_mask`). It also keeps signals whose
//!    default is to be ignored (SIGCHLD, SIGWINCH, SIGURG) from being discarded on arrival;
//! 3. blocks `R` in every thread: the caller's own mask, then every other thread's with the
//!    world stopped (the mask its stop handler restores). New threads inherit it from their
//!    spawner. Each thread records which of `R` it had not blocked itself (`Tcb::routed`).
//!
//! So every process-directed instance of `R` is pending for the process until the router
//! thread takes it: none runs a handler anywhere else. Stopping unblocks in every thread what
//! the router blocked there (the same stop), puts the previous actions back, and wakes the
//! router thread with a queued signal it recognises, which ends its loop after it has taken
//! what is still pending for it, forwarders still in flight included (`serve`; a forwarder
//! that comes too late hands its instance to the restored action instead: `forward`). So an
//! instance is handled exactly once across a stop. The callback is given back, so its state
//! survives a restart.
//!
//! A signal sent to one thread with `tgkill` (`send_to_thread`) stays pending in that thread
//! while it is routed (it blocks it), as with a `sigwait` thread in C; the router takes what is
//! sent to the process (`kill`, `queue`, the terminal) or to the router thread itself.
//!
//! Never routed: the synchronous signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS:
//! they belong to the thread that caused them), strand's control signal, SIGKILL and SIGSTOP.

use super::{mask, Action, Context, Flags, Handler, SigInfo, SigSet, Signal};
use crate::arch::sys::general as g;
use crate::errno::Errno;
use crate::sync::Mutex;
use crate::thread::control::{self, ControlError};
use crate::thread::{Builder, JoinHandle, SpawnError, Thread};
use core::fmt;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize};
use core::time::Duration;

/// The router thread's tid while it takes signals (0 otherwise): where the forwarding handler
/// sends. The router thread clears it itself when told to stop, before its last drain.
static ROUTER_TID: AtomicI32 = AtomicI32::new(0);
/// How many forwarding handlers are between reading `ROUTER_TID` and having sent: the router
/// thread does not end while one is, so no forwarded instance is queued to a thread that is
/// gone.
static FORWARDING: AtomicUsize = AtomicUsize::new(0);
/// Set while a router stops, so that its thread takes the wake-up for what it is.
static STOPPING: AtomicBool = AtomicBool::new(false);
/// One router at a time, and the actions it replaced (indexed by signal number).
static STATE: Mutex<Option<[Option<Action>; g::_NSIG as usize + 1]>> = Mutex::new(None);
/// The value of the queued signal that wakes a stopping router's thread.
const WAKE: usize = 0x5157_4a4b;

/// Why a router could not start or stop.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{Router, RouterError, SigSet, Signal};
/// assert!(matches!(Router::start(&SigSet::EMPTY, |_| {}), Err(RouterError::Empty)));
/// assert!(matches!(Router::start(&SigSet::of(&[Signal::SEGV]), |_| {}), Err(RouterError::NotRoutable(_))));
/// # }
/// ```
#[derive(Debug)]
pub enum RouterError {
    /// Another router is running, starting or stopping (one per process).
    AlreadyRunning,
    /// The set is empty.
    Empty,
    /// This signal cannot be routed: a synchronous one, strand's control signal, SIGKILL or
    /// SIGSTOP.
    NotRoutable(Signal),
    /// The router thread could not be spawned.
    Spawn(SpawnError),
    /// Changing the other threads' masks needs thread control, which failed.
    Control(ControlError),
    /// A system call failed: `rt_sigaction`, `rt_sigprocmask` or `rt_tgsigqueueinfo`.
    Os(&'static str, Errno),
    /// The router thread ended with a panic (its callback panicked).
    Panicked,
}

impl fmt::Display for RouterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouterError::AlreadyRunning => f.write_str("a signal router is already running"),
            RouterError::Empty => f.write_str("no signal to route"),
            RouterError::NotRoutable(s) => write!(f, "{s:?} cannot be routed (synchronous, strand's control signal, or uncatchable)"),
            RouterError::Spawn(e) => write!(f, "spawning the router thread failed: {e}"),
            RouterError::Control(e) => write!(f, "blocking the routed signals in every thread failed: {e}"),
            RouterError::Os(call, e) => write!(f, "{call} failed: {e}"),
            RouterError::Panicked => f.write_str("the router's callback panicked"),
        }
    }
}

/// A running signal router (see the module doc): stop it with [`Router::stop`], which gives
/// the callback back; dropping it stops it too.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{self, Router, SigSet, Signal};
/// use strand::sync::Semaphore;
/// static SEEN: Semaphore = Semaphore::new(0);
/// let mut count = 0u32;
/// let router = Router::start(&SigSet::of(&[Signal::USR1, Signal::HUP]), move |info| {
///     // Normal context: locks, printing and spawning are all fine here.
///     strand::println!("routed {:?}", info.signal());
///     count += 1;
///     SEEN.release().unwrap();
/// }).unwrap();
/// assert!(router.signals().contains(Signal::HUP) && router.thread().tid() > 0);
/// signal::kill(strand::syscall::getpid(), Signal::HUP).unwrap();
/// signal::kill(strand::syscall::getpid(), Signal::USR1).unwrap();
/// SEEN.acquire();
/// SEEN.acquire();
/// let _callback = router.stop().unwrap();
/// # }
/// ```
pub struct Router<F: FnMut(&SigInfo) + Send + 'static> {
    handle: Option<JoinHandle<F>>,
    set: SigSet,
}

impl<F: FnMut(&SigInfo) + Send + 'static> Router<F> {
    /// Routes `set` to a new thread named `strand-signals`, which calls `callback` for each
    /// instance, in arrival order (real-time signals in the kernel's order: lowest number
    /// first). Returns once `set` is blocked in every thread.
    pub fn start(set: &SigSet, callback: F) -> Result<Router<F>, RouterError> {
        if set.is_empty() {
            return Err(RouterError::Empty);
        }
        if let Some(s) = set.iter().find(|&s| !routable(s)) {
            return Err(RouterError::NotRoutable(s));
        }
        // A held lock means a router is starting or stopping (a stop holds it while it waits
        // for the router's callback to return): either way one is running. Not waiting for it
        // keeps a callback that calls `start` from deadlocking against that stop.
        let Some(mut state) = STATE.try_lock() else {
            return Err(RouterError::AlreadyRunning);
        };
        if state.is_some() {
            return Err(RouterError::AlreadyRunning);
        }
        let routed = *set;
        STOPPING.store(false, Relaxed);
        let handle = Builder::new()
            .name("strand-signals")
            .block_signals(&routed)
            .spawn(move || serve(&routed, callback))
            .map_err(RouterError::Spawn)?;
        ROUTER_TID.store(handle.thread().tid(), SeqCst);
        let mut router = Router { handle: Some(handle), set: routed };
        // From here on a failure stops what was started (`stop_now` puts back what was set).
        *state = Some([None; g::_NSIG as usize + 1]);
        let saved = state.as_mut().expect("just set");
        let forward = Action { handler: Handler::Function(forward), flags: Flags::RESTART | Flags::ONSTACK, mask: routed };
        for s in routed.iter() {
            match super::set_action(s, &forward) {
                Ok(old) => saved[s.number() as usize] = Some(old),
                Err(e) => {
                    drop(state);
                    let _ = router.stop_now();
                    return Err(RouterError::Os("rt_sigaction", e));
                }
            }
        }
        drop(state);
        let blocked = control::edit_every_mask(|t, m| {
            t.routed.set(t.routed.get().union(&routed.difference(m)));
            *m = m.union(&routed);
        });
        if let Err(e) = blocked {
            let _ = router.stop_now();
            return Err(RouterError::Control(e));
        }
        Ok(router)
    }

    /// The router thread (for its tid, say).
    pub fn thread(&self) -> Thread {
        self.handle.as_ref().expect("running").thread()
    }

    /// The routed signals.
    pub fn signals(&self) -> SigSet {
        self.set
    }

    /// Stops routing: unblocks the routed signals in every thread that the router blocked them
    /// in, puts the previous actions back, and ends the router thread once it has taken what
    /// was pending for it. Returns the callback.
    pub fn stop(mut self) -> Result<F, RouterError> {
        self.stop_now()
    }

    fn stop_now(&mut self) -> Result<F, RouterError> {
        let handle = self.handle.take().expect("a router stops once");
        let set = self.set;
        let mut result = control::edit_every_mask(|t, m| {
            *m = m.difference(&t.routed.get().intersection(&set));
            t.routed.set(t.routed.get().difference(&set));
        })
        .map_err(RouterError::Control);
        let mut state = STATE.lock();
        if let Some(saved) = state.take() {
            for s in set.iter() {
                if let Some(old) = saved[s.number() as usize] {
                    if let Err(e) = super::set_action(s, &old) {
                        result = result.and(Err(RouterError::Os("rt_sigaction", e)));
                    }
                }
            }
        }
        // Instances forwarded from here on would find no thread: the old actions are back.
        STOPPING.store(true, Release);
        let first = set.iter().next().expect("not empty");
        if let Err(e) = super::queue_to_thread(handle.thread().tid(), first, WAKE) {
            result = result.and(Err(RouterError::Os("rt_tgsigqueueinfo", e)));
        }
        let callback = handle.join().map_err(|_| RouterError::Panicked);
        // The router thread cleared it, unless its callback panicked.
        ROUTER_TID.store(0, SeqCst);
        drop(state);
        result.and(callback)
    }
}

impl<F: FnMut(&SigInfo) + Send + 'static> Drop for Router<F> {
    fn drop(&mut self) {
        if self.handle.is_some() {
            let _ = self.stop_now();
        }
    }
}

/// Whether `sig` may be routed.
fn routable(sig: Signal) -> bool {
    !(sig.is_synchronous() || sig.is_uncatchable() || sig == control::control_signal())
}

/// The router thread: takes each routed signal and calls the callback, until woken to stop;
/// then takes what is still pending for it (or for the process) without waiting.
fn serve<F: FnMut(&SigInfo)>(set: &SigSet, mut callback: F) -> F {
    loop {
        match mask::wait(set) {
            Ok(info) if is_wake(&info) => break,
            Ok(info) => callback(&info),
            // `wait` retries EINTR; anything else means the set itself is wrong, which
            // `start` rules out.
            Err(_) => break,
        }
    }
    // The previous actions are back, so no new forwarder starts. A forwarder that read our tid
    // has counted itself first (both SeqCst): once the count is 0 after this store, everything
    // forwarded to us is pending here; a forwarder that reads 0 hands its instance to the
    // previous action instead (`forward`).
    ROUTER_TID.store(0, SeqCst);
    loop {
        let quiet = FORWARDING.load(SeqCst) == 0;
        while let Ok(Some(info)) = mask::wait_timeout(set, Duration::ZERO) {
            if !is_wake(&info) {
                callback(&info);
            }
        }
        if quiet {
            break;
        }
        crate::thread::yield_now();
    }
    callback
}

fn is_wake(info: &SigInfo) -> bool {
    STOPPING.load(Acquire)
        && info.code() == super::Code::QUEUE
        && info.value() == Some(WAKE)
        && info.sender().is_some_and(|(pid, _)| pid == crate::syscall::getpid())
}

/// The handler of a routed signal, run by a thread that does not block it: passes the instance
/// on to the router thread (`send::forward_to_thread`: siginfo unchanged where the kernel lets
/// another thread claim its code). When the router is stopping (its tid is gone) or the send
/// fails, the instance is queued back to this thread, unchanged (a thread may claim any code
/// for itself): this handler's mask keeps it pending until the handler returns, and then the
/// action in place by then, the program's own again, takes it. Async-signal-safe.
fn forward(info: &SigInfo, _: &mut Context) {
    FORWARDING.fetch_add(1, SeqCst);
    let tid = ROUTER_TID.load(SeqCst);
    let sent = tid != 0 && super::send::forward_to_thread(tid, info).is_ok();
    FORWARDING.fetch_sub(1, SeqCst);
    if !sent {
        let _ = super::send::requeue_to_self(info);
    }
}
