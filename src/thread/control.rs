//! Thread control: stopping every other thread (for a garbage collector), suspending one, and
//! running code in another thread, all through one thread-directed *control signal*, plus the
//! no-interrupt sections that keep those requests out of critical code.
//!
//! # How a request reaches a thread
//!
//! The requester writes the request into the target's control block (`Control`), then sends
//! the control signal with `tgkill` while it holds the registry lock or the target's own lock,
//! so the target cannot have exited and had its tid reused in between. The target's handler
//! (`on_control_signal`) serves everything its control block asks for: a stop (acknowledge,
//! then sleep on a futex until the epoch moves on), a synchronous call, queued calls. A handler
//! that finds nothing to do returns: duplicate and re-sent signals are harmless, which is what
//! lets the requester re-send to a thread that has not acknowledged.
//!
//! The handler ignores a control signal that this process did not send with `tgkill`
//! (`si_code != SI_TKILL` or another `si_pid`): a `kill` from outside suspends nobody. Such a
//! signal goes to the handler the program installed for that signal number, if any.
//!
//! # Sections
//!
//! A thread is in a section while its `defer` count is nonzero: the low 16 bits count
//! `without_interrupts` scopes, the high 16 bits strand's own internal locks
//! (`sync::internal`). The handler then only records that it was asked (`pending`) and returns;
//! the section's end re-sends the signal to the thread itself, so the request is served with
//! a real signal context as soon as the last section ends. Entering and leaving cost a load
//! and a store each on the thread's own control block: no syscall.
//!
//! # Stop epochs
//!
//! `WORLD`'s epoch is odd while a stop is in progress and even otherwise. A stop asks each
//! target to stop in epoch `e` (`stop.ask(e)`); the target acknowledges `e` once, and sleeps
//! until the epoch is no longer `e`. A thread that finishes while asked acknowledges
//! on its way out (`registry_leave`), so a stop never waits for a thread that has gone. Those
//! steps and the sections' bookkeeping are `stop.rs`, written against `sync::atomic_wait` so
//! that the host checker (`check/`) model-checks them; this file sends the signals.

use super::registry;
use super::stop::{self, Request, Sections, World, INTERNAL, USER_MASK};
use super::{Tcb, Thread};
use crate::arch;
use crate::arch::sys::general as g;
use crate::errno::Errno;
use crate::futex::{self, WaitResult};
use crate::signal;
use crate::sync::internal::InternalMutex;
use crate::sync::{Mutex, MutexGuard};
use crate::signal::{SigSet, Signal};
use core::cell::UnsafeCell;
use core::ffi::c_void;
use core::fmt;
use core::marker::PhantomData;
use core::ops::Range;
use core::ptr;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use core::sync::atomic::fence;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicUsize};
use core::time::Duration;

/// Fire-and-forget calls a thread can have queued.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// fn nothing() {}
/// let me = strand::thread::current();
/// // A thread's own queue runs at once, so it never fills up.
/// for _ in 0..strand::thread::QUEUE_LEN + 1 {
///     me.interrupt(nothing).unwrap();
/// }
/// # }
/// ```
pub const QUEUE_LEN: usize = 8;
/// How long a requester waits for an acknowledgement before it sends the signal again (the
/// first wait of bdwgc's resend logic, which exists because signals do get lost in practice:
/// bdwgc issue 323).
const RESEND_AFTER: Duration = Duration::from_millis(10);

/// The control fields of a thread's control block.
pub(crate) struct Control {
    /// Section depth and the request deferred meanwhile (see the module doc).
    sections: Sections,
    /// The stop epoch this thread is asked to stop in, and the last one it acknowledged.
    stop: Request,
    /// While stopped: the signal context and the stack pointer it was stopped at.
    context: AtomicPtr<c_void>,
    sp: AtomicUsize,
    /// A synchronous call waiting to run here (`Thread::run_in`).
    call: AtomicPtr<CallHeader>,
    /// Serialises synchronous callers of this thread.
    call_lock: Mutex<()>,
    /// Fire-and-forget calls (`Thread::interrupt`): a ring of `fn()` addresses, 0 = empty.
    /// Producers fill `queue[tail]` under the thread's lock; the thread empties from `head`.
    queue: [AtomicUsize; QUEUE_LEN],
    head: AtomicU32,
    tail: AtomicU32,
    /// Set by `Thread::cancel` (sticky); see `cancel`.
    pub(crate) cancel: AtomicU32,
    /// `disable_cancel` depth. Written only by the thread itself.
    pub(crate) no_cancel: AtomicU32,
}

impl Control {
    pub(crate) const fn new() -> Control {
        Control {
            sections: Sections::new(),
            stop: Request::new(),
            context: AtomicPtr::new(ptr::null_mut()),
            sp: AtomicUsize::new(0),
            call: AtomicPtr::new(ptr::null_mut()),
            call_lock: Mutex::new(()),
            queue: [const { AtomicUsize::new(0) }; QUEUE_LEN],
            head: AtomicU32::new(0),
            tail: AtomicU32::new(0),
            cancel: AtomicU32::new(0),
            no_cancel: AtomicU32::new(0),
        }
    }

    #[inline]
    fn enter(&self, n: u32) {
        self.sections.enter(n);
    }

    #[inline]
    fn leave(&self, n: u32) {
        if self.sections.leave(n) {
            serve_pending();
        }
    }
}

/// A request came in during a section that has now ended: re-send the signal to this thread,
/// so the handler serves it with a real signal context (the one a stop exposes).
#[cold]
fn serve_pending() {
    let _ = signal::send_to_thread(Tcb::current().tid(), control_signal());
}

/// An internal no-suspend section (see `sync::internal`), left on drop.
pub(crate) struct NoSuspend {
    active: bool,
}

/// Enters an internal section. Before start-up has set up the main thread's control block
/// there is only one thread and nothing to defer.
#[inline]
pub(crate) fn no_suspend() -> NoSuspend {
    let active = crate::rt::is_ready();
    if active {
        Tcb::current().control.enter(INTERNAL);
    }
    NoSuspend { active }
}

impl Drop for NoSuspend {
    #[inline]
    fn drop(&mut self) {
        if self.active {
            Tcb::current().control.leave(INTERNAL);
        }
    }
}

/// Runs `f` with interrupts and stop requests deferred: a `Thread::run_in`, `interrupt`,
/// `suspend` or `stop_the_world` aimed at this thread while `f` runs is recorded and served
/// when the outermost such scope ends, in the order the requests arrived. Nestable. Costs a
/// load and a store on entry and on exit (no syscall). Does nothing for synchronous signals
/// (a fault in `f` is still delivered) or for other signals' handlers.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::thread::{interrupts_deferred, with_interrupts, without_interrupts};
/// assert!(!interrupts_deferred());
/// let sum = without_interrupts(|| {
///     assert!(interrupts_deferred());
///     // A `run_in` or `interrupt` aimed at this thread waits until here.
///     with_interrupts(|| assert!(!interrupts_deferred()));
///     1 + 2
/// });
/// assert_eq!(sum, 3);
/// # }
/// ```
pub fn without_interrupts<R>(f: impl FnOnce() -> R) -> R {
    struct Leave<'a>(&'a Control);
    impl Drop for Leave<'_> {
        fn drop(&mut self) {
            self.0.leave(1);
        }
    }
    let c = &Tcb::current().control;
    c.enter(1);
    let _leave = Leave(c);
    f()
}

/// Inside `without_interrupts`: runs `f` with interrupts allowed again (requests recorded so
/// far are served first), and defers them again afterwards. Strand's internal sections are not
/// affected: inside one, requests stay deferred. Outside any scope it just runs `f`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::thread::{interrupts_deferred, with_interrupts, without_interrupts};
/// // Outside any `without_interrupts` it just runs the closure.
/// assert_eq!(with_interrupts(|| 7), 7);
/// without_interrupts(|| with_interrupts(|| assert!(!interrupts_deferred())));
/// # }
/// ```
pub fn with_interrupts<R>(f: impl FnOnce() -> R) -> R {
    struct Restore<'a>(&'a Control, u32);
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            self.0.enter(self.1);
        }
    }
    let c = &Tcb::current().control;
    let depth = c.sections.depth() & USER_MASK;
    c.leave(depth);
    let _restore = Restore(c, depth);
    f()
}

/// Whether the calling thread is inside `without_interrupts` (or one of strand's internal
/// sections), so that requests to it are deferred.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::thread::{interrupts_deferred, without_interrupts};
/// assert!(!interrupts_deferred());
/// assert!(without_interrupts(interrupts_deferred));
/// # }
/// ```
pub fn interrupts_deferred() -> bool {
    Tcb::current().control.sections.depth() != 0
}

// ---------------------------------------------------------------------------------------------
// The control signal

static CONTROL_SIGNAL: AtomicU32 = AtomicU32::new(g::SIGURG);
/// Set once the handler is installed; from then on the signal cannot change.
static INSTALLED: AtomicBool = AtomicBool::new(false);
static INSTALLING: InternalMutex<()> = InternalMutex::new(());

pub(crate) fn control_signal() -> Signal {
    // Only valid signal numbers are stored (`set_control_signal`).
    Signal::new(CONTROL_SIGNAL.load(Relaxed)).unwrap_or(Signal::URG)
}

/// Chooses the control signal (default SIGURG: ignored by default, so a stray one is harmless;
/// passed through by debuggers; used by no libc; delivered under QEMU on every ABI — Go uses it
/// for preemption for the same reasons). Only before the first stop, suspend or interrupt
/// installs its handler: `EBUSY` afterwards (unless `sig` is the one in use). `EINVAL` for a
/// number that is no signal, SIGKILL, SIGSTOP, SIGCONT, a synchronous signal (SIGSEGV, SIGBUS,
/// SIGFPE, SIGILL, SIGTRAP, SIGSYS), or a real-time signal outside `35..=60` (32–34 belong to
/// libcs' threads, 61–64 cannot be delivered under QEMU).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::Signal;
/// use strand::thread::set_control_signal;
/// assert_eq!(set_control_signal(Signal::SEGV), Err(strand::Errno::EINVAL));
/// // The default, chosen again: allowed before and after the handler is installed.
/// set_control_signal(Signal::URG).unwrap();
/// # }
/// ```
pub fn set_control_signal(sig: Signal) -> Result<(), Errno> {
    if sig.is_uncatchable() || sig == Signal::CONT || sig.is_synchronous() || (sig.is_realtime() && !(signal::rt_min()..=signal::rt_max()).contains(&sig)) {
        return Err(Errno::EINVAL);
    }
    let _installing = INSTALLING.lock();
    if INSTALLED.load(Acquire) {
        return if control_signal() == sig { Ok(()) } else { Err(Errno::EBUSY) };
    }
    CONTROL_SIGNAL.store(sig.number(), Relaxed);
    Ok(())
}

/// Installs the control signal's handler, once (a failure is returned and retried next time).
pub(crate) fn ensure_installed() -> Result<(), ControlError> {
    if INSTALLED.load(Acquire) {
        return Ok(());
    }
    let _installing = INSTALLING.lock();
    if !INSTALLED.load(Acquire) {
        signal::install_control_handler(control_signal(), on_control_signal as extern "C" fn(i32, *mut c_void, *mut c_void) as usize, handler_mask()).map_err(ControlError::Os)?;
        INSTALLED.store(true, Release);
    }
    Ok(())
}

/// Everything but the synchronous signals is blocked while the handler runs, so a stopped
/// thread runs no other handler until it is resumed (a fault still reaches it).
fn handler_mask() -> SigSet {
    let mut m = SigSet::FULL;
    for s in [Signal::SEGV, Signal::BUS, Signal::FPE, Signal::ILL, Signal::TRAP, Signal::SYS] {
        m.remove(s);
    }
    m
}

/// The control signal's handler. Async-signal-safe: atomics on its own control block, futex
/// and tgkill, and the calls it was asked to run (see `Thread::run_in` for what those may do).
extern "C" fn on_control_signal(_sig: i32, info: *mut c_void, uc: *mut c_void) {
    // SAFETY: the kernel passes a valid siginfo for an SA_SIGINFO handler.
    if !unsafe { signal::sent_by_this_process_tgkill(info) } {
        // SAFETY: the kernel's arguments to this SA_SIGINFO handler.
        unsafe { signal::run_chained_control_handler(info, uc) };
        return;
    }
    let c = &Tcb::current().control;
    // A cancel acts even inside a section: it only makes a cancellation point return, and a
    // thread blocked in one inside `without_interrupts` would otherwise never see it.
    // SAFETY: `uc` is this handler's context.
    unsafe { super::cancel::redirect(c, uc) };
    if c.sections.defer_request() {
        return;
    }
    serve(c, uc);
}

fn serve(c: &Control, uc: *mut c_void) {
    // A stop first: the stopper is waiting for every thread.
    stop::stop_here(
        &WORLD,
        &c.stop,
        || {
            c.context.store(uc, Relaxed);
            // SAFETY: `uc` is the context the kernel passed to this handler.
            c.sp.store(unsafe { arch::context_sp(uc) }, Relaxed);
        },
        || c.context.store(ptr::null_mut(), Relaxed),
    );
    // A synchronous call: run it, then tell the caller, whose stack it lives on.
    let call = c.call.swap(ptr::null_mut(), Acquire);
    if !call.is_null() {
        // SAFETY: the caller keeps the call alive until its state is DONE.
        unsafe { ((*call).run)(call) };
        // SAFETY: as above; after this store the caller may return and free the call.
        unsafe { finish(&(*call).state, DONE) };
    }
    // Queued calls, in the order they were queued.
    loop {
        let h = c.head.load(Relaxed);
        let f = c.queue[h as usize % QUEUE_LEN].swap(0, Acquire);
        if f == 0 {
            break;
        }
        c.head.store(h.wrapping_add(1), Relaxed);
        // SAFETY: only `fn()` addresses are queued (`Thread::interrupt`).
        let f: fn() = unsafe { core::mem::transmute::<usize, fn()>(f) };
        f();
    }
}

/// Called by a finishing thread in the step that marks it `exited` (under its own lock; a
/// stopper that races it acknowledges for it, see `stop_the_world`): acknowledges a stop it was asked for, since it will not run Rust code that
/// matters to a stopper any more, and fails a synchronous call nobody will run.
pub(crate) fn registry_leave(tcb: &Tcb) {
    let c = &tcb.control;
    stop::leave(&WORLD, &c.stop);
    let call = c.call.swap(ptr::null_mut(), Acquire);
    if !call.is_null() {
        // SAFETY: the caller keeps the call alive until its state leaves PENDING.
        unsafe { finish(&(*call).state, GONE) };
    }
}

// ---------------------------------------------------------------------------------------------
// Stopping threads

/// The stop epoch (odd while a stop is in progress: see the module doc) and the
/// acknowledgements received in the current stop.
static WORLD: World = World::new();
/// One stop (or suspension) at a time. A plain lock, not an internal one: a thread waiting to
/// stop the world can itself be stopped by the stop in progress.
static STOPPER: Mutex<()> = Mutex::new(());

/// Why a thread-control request failed.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::thread::ControlError;
/// let h = strand::thread::spawn(|| ()).unwrap();
/// let t = h.thread();
/// h.join().unwrap();
/// assert_eq!(t.run_in(|| ()), Err(ControlError::Exited));
/// assert_eq!(strand::thread::current().suspend().err(), Some(ControlError::SelfTarget));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlError {
    /// The thread has finished (its tid may belong to another thread by now).
    Exited,
    /// The calling thread cannot do this to itself (suspend itself, say).
    SelfTarget,
    /// Its fire-and-forget queue already holds `QUEUE_LEN` calls.
    QueueFull,
    /// `run_in_timeout`'s deadline passed before the thread took the call; it will not run.
    TimedOut,
    /// Installing the control signal's handler failed.
    Os(Errno),
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlError::Exited => f.write_str("the thread has exited"),
            ControlError::SelfTarget => f.write_str("a thread cannot do this to itself"),
            ControlError::QueueFull => write!(f, "the thread's interrupt queue is full ({QUEUE_LEN} calls)"),
            ControlError::TimedOut => f.write_str("the thread did not take the call before the deadline"),
            ControlError::Os(e) => write!(f, "installing the control signal handler failed: {e}"),
        }
    }
}

/// Every other registered thread, stopped; dropping this resumes them. See `stop_the_world`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::sync::atomic::{AtomicBool, Ordering::{Acquire, Release}};
/// static STOP: AtomicBool = AtomicBool::new(false);
/// let h = strand::thread::spawn(|| while !STOP.load(Acquire) { strand::thread::yield_now() }).unwrap();
/// let mut seen = 0;
/// {
///     let world = strand::thread::stop_the_world().unwrap();
///     world.for_each(|t| {
///         // The live stack is `stack_pointer()..stack.end` (empty for a thread not yet started).
///         assert!((t.stack.start..=t.stack.end).contains(&t.stack_pointer()));
///         assert!(!t.context().is_null());
///         seen += 1;
///     });
/// } // dropped: the threads resume
/// assert!(seen >= 1);
/// STOP.store(true, Release);
/// h.join().unwrap();
/// # }
/// ```
pub struct WorldStopped {
    epoch: u32,
    _one_at_a_time: MutexGuard<'static, ()>,
}

/// One stopped thread, as a stop exposes it to the stopper (for a conservative collector: scan
/// `stack_pointer()..stack.end` and the registers in `context()`).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let mut tids = [0i32; 4];
/// let mut n = 0;
/// let h = strand::thread::spawn(|| strand::thread::park()).unwrap();
/// {
///     let world = strand::thread::stop_the_world().unwrap();
///     world.for_each(|t| {
///         if n < tids.len() {
///             tids[n] = t.thread.tid();
///             n += 1;
///         }
///     });
/// }
/// assert!(tids[..n].contains(&h.thread().tid()));
/// h.thread().unpark();
/// h.join().unwrap();
/// # }
/// ```
pub struct StoppedThread<'a> {
    /// The thread.
    pub thread: Thread,
    /// The thread's stack (see `ThreadInfo::stack`).
    pub stack: Range<usize>,
    sp: usize,
    context: *const c_void,
    _world: PhantomData<&'a ()>,
}

impl StoppedThread<'_> {
    /// The stack pointer the thread was stopped at (where its live stack begins).
    pub fn stack_pointer(&self) -> usize {
        self.sp
    }

    /// The saved register context (the `ucontext_t` the kernel gave the control signal's
    /// handler), valid while the thread stays stopped.
    pub fn context(&self) -> *const c_void {
        self.context
    }
}

/// Stops every other thread in the registry and returns once each has acknowledged (each sits
/// in the control signal's handler, sleeping on a futex, with every other signal but the
/// synchronous ones blocked). Threads inside `without_interrupts` or one of strand's internal
/// locks stop when they leave it, so the caller may print, spawn and join while the world is
/// stopped; threads it spawns meanwhile are not stopped. A thread that has the control signal
/// blocked delays the stop until it unblocks it (the request is re-sent every 10 ms).
///
/// Deadlocks to avoid, as with any stop-the-world: do not wait, while stopped, for a lock a
/// stopped thread may hold (a user `Mutex`), or for a stopped thread to do something.
/// One stop or suspension at a time: a second waits for the first to end (and may be
/// stopped by it meanwhile).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
/// static COUNTER: AtomicU64 = AtomicU64::new(0);
/// static STOP: AtomicU64 = AtomicU64::new(0);
/// let h = strand::thread::spawn(|| while STOP.load(Relaxed) == 0 { COUNTER.fetch_add(1, Relaxed); }).unwrap();
/// {
///     let _world = strand::thread::stop_the_world().unwrap();
///     // Every other thread is stopped: the counter does not move.
///     let a = COUNTER.load(Relaxed);
///     strand::thread::sleep(core::time::Duration::from_millis(2));
///     assert_eq!(COUNTER.load(Relaxed), a);
/// }
/// STOP.store(1, Relaxed);
/// h.join().unwrap();
/// # }
/// ```
pub fn stop_the_world() -> Result<WorldStopped, ControlError> {
    ensure_installed()?;
    let guard = STOPPER.lock();
    let e = WORLD.begin_epoch();
    let me = Tcb::current() as *const Tcb;
    let mut asked = 0u32;
    // New threads can appear while we wait: ones that stopped threads were in the middle of
    // spawning (a spawn is an internal section, so the spawner finishes its clone before it
    // stops). Ask again until a round finds none.
    loop {
        let mut added = 0;
        {
            let r = registry::lock();
            for t in r.iter() {
                // A thread that finished before this stop has nothing to stop (and its tid may
                // be another thread's by now).
                if ptr::eq(t, me) || t.control.stop.asked_in(e) || t.links.exited.load(Acquire) {
                    continue;
                }
                t.control.stop.ask(e);
                added += 1;
                // The thread may be marking itself exited right now, without the registry lock
                // (`start::leave_registry`): it stores the mark, then checks for a request;
                // we store the request, then check for the mark. With a full fence on both
                // sides at least one of us sees the other, and acknowledges for it (the
                // acknowledgement counts once whoever makes it).
                fence(SeqCst);
                if t.links.exited.load(Relaxed) {
                    stop::leave(&WORLD, &t.control.stop);
                } else {
                    let _ = signal::send_to_thread(t.tid(), control_signal());
                }
            }
        }
        if added == 0 {
            break;
        }
        asked += added;
        wait_for_acks(asked, e);
    }
    Ok(WorldStopped { epoch: e, _one_at_a_time: guard })
}

/// Waits until `n` threads have acknowledged epoch `e`, re-sending the signal to the ones that
/// have not every `RESEND_AFTER`.
fn wait_for_acks(n: u32, e: u32) {
    WORLD.wait_for_acks(n, RESEND_AFTER, || {
        let r = registry::lock();
        for t in r.live() {
            if t.control.stop.unacknowledged(e) {
                let _ = signal::send_to_thread(t.tid(), control_signal());
            }
        }
    });
}

impl WorldStopped {
    /// Calls `f` for each stopped thread. Stopped threads cannot leave the registry, so each is
    /// visited once; the registry lock is not held while `f` runs (it may print or spawn).
    pub fn for_each(&self, mut f: impl FnMut(&StoppedThread<'_>)) {
        self.visit(|_, s| f(s))
    }

    /// `for_each` with each thread's control block.
    fn visit(&self, mut f: impl FnMut(&Tcb, &StoppedThread<'_>)) {
        let mut cursor: *const Tcb = ptr::null();
        loop {
            let next = {
                let r = registry::lock();
                // Resume after the cursor, a stopped (so still linked) thread; threads linked
                // since are newer, so they sit before it in the list and are not revisited.
                let mut it = r.iter();
                if !cursor.is_null() {
                    for t in it.by_ref() {
                        if ptr::eq(t, cursor) {
                            break;
                        }
                    }
                }
                // Only a thread that is stopped (acknowledged, with its context exposed) can be
                // the cursor: it stays linked until the world resumes. One that finished while
                // asked acknowledged with no context and is not stopped; its joiner, or the
                // thread itself if detached, may unlink it between two of these steps, and a
                // cursor that has left the list would end the walk early (seen: a stop under
                // churn visiting 1 of 14 stopped threads).
                it.find(|t| t.control.stop.acknowledged(self.epoch) && !t.control.context.load(Relaxed).is_null())
                    .map(|t| {
                        let (lo, hi) = t.links.stack.get();
                        (
                            t as *const Tcb,
                            StoppedThread {
                                thread: Thread::of(t),
                                stack: lo..hi,
                                sp: t.control.sp.load(Relaxed),
                                context: t.control.context.load(Relaxed),
                                _world: PhantomData,
                            },
                        )
                    })
            };
            match next {
                Some((t, s)) => {
                    cursor = t;
                    // SAFETY: a stopped thread stays linked, so its block stays mapped.
                    f(unsafe { &*t }, &s);
                }
                None => return,
            }
        }
    }
}

/// Changes the signal mask of every registered thread (for `signal::Router`): `edit` gets
/// each thread's control block and its mask, and may change the mask. The calling thread's
/// own changes with `rt_sigprocmask`; every other thread's with the world stopped, in the
/// context its control handler restores when the stop ends (`Context::set_mask`), so a thread
/// that was running, asleep in a syscall or inside a section has the new mask from the moment
/// it resumes. Threads spawned afterwards inherit their spawner's. (A thread stopped while it
/// ran a handler of its own keeps the new mask only until that handler returns and its own
/// saved mask comes back; `signal::Router` covers that window with its forwarding handler.)
pub(crate) fn edit_every_mask(mut edit: impl FnMut(&Tcb, &mut SigSet)) -> Result<(), ControlError> {
    let mut m = signal::mask().map_err(ControlError::Os)?;
    edit(Tcb::current(), &mut m);
    signal::set_mask(&m).map_err(ControlError::Os)?;
    let world = stop_the_world()?;
    world.visit(|t, s| {
        // SAFETY: `s.context` is the stopped thread's control-handler context, live while it
        // stays stopped; the thread reads its saved mask back only after the stop ends.
        let cx = unsafe { signal::Context::from_ptr(s.context as *mut c_void) };
        let mut m = cx.mask();
        edit(t, &mut m);
        cx.set_mask(&m);
    });
    drop(world);
    Ok(())
}

impl Drop for WorldStopped {
    fn drop(&mut self) {
        WORLD.end_epoch(self.epoch);
    }
}

/// One thread, suspended; dropping this resumes it. See `Thread::suspend`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let h = strand::thread::spawn(|| strand::thread::park()).unwrap();
/// let s = h.thread().suspend().unwrap();
/// assert_eq!(s.thread().tid(), h.thread().tid());
/// drop(s); // resumed
/// h.thread().unpark();
/// h.join().unwrap();
/// # }
/// ```
pub struct Suspended {
    epoch: u32,
    pin: registry::Pin,
    stopped: StoppedInfo,
    _one_at_a_time: MutexGuard<'static, ()>,
}

struct StoppedInfo {
    sp: usize,
    context: *const c_void,
    stack: Range<usize>,
}

impl Suspended {
    /// The stack pointer the thread was suspended at (where its live stack begins).
    ///
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use core::sync::atomic::{AtomicBool, Ordering::{Acquire, Release}};
    /// static STOP: AtomicBool = AtomicBool::new(false);
    /// let h = strand::thread::spawn(|| while !STOP.load(Acquire) { strand::thread::yield_now() }).unwrap();
    /// let s = h.thread().suspend().unwrap();
    /// assert_eq!(s.thread(), h.thread());
    /// // A thread caught before its first push has an empty live stack: sp == stack.end.
    /// assert!((s.stack().start..=s.stack().end).contains(&s.stack_pointer()));
    /// assert!(!s.context().is_null());
    /// drop(s); // resumes it
    /// STOP.store(true, Release);
    /// h.join().unwrap();
    /// # }
    /// ```
    pub fn stack_pointer(&self) -> usize {
        self.stopped.sp
    }
    /// The saved register context (the `ucontext_t` its control handler got), valid while
    /// the thread stays suspended.
    pub fn context(&self) -> *const c_void {
        self.stopped.context
    }
    /// The thread's stack (see `ThreadInfo::stack`).
    pub fn stack(&self) -> Range<usize> {
        self.stopped.stack.clone()
    }
    /// The suspended thread.
    pub fn thread(&self) -> Thread {
        Thread::of(self.pin.tcb())
    }
}

impl Drop for Suspended {
    fn drop(&mut self) {
        WORLD.end_epoch(self.epoch);
    }
}

impl Thread {
    /// Suspends this thread (see `stop_the_world`, of which this is the one-thread case) and
    /// returns once it has acknowledged. `Exited` if it has finished (or finishes
    /// before stopping); `SelfTarget` for the calling thread.
    pub fn suspend(&self) -> Result<Suspended, ControlError> {
        if ptr::eq(self.tcb, Tcb::current()) {
            return Err(ControlError::SelfTarget);
        }
        ensure_installed()?;
        let guard = STOPPER.lock();
        let e = WORLD.begin_epoch();
        let pin = {
            let r = registry::lock();
            let Some(t) = r.find(self) else {
                drop(r);
                WORLD.end_epoch(e);
                return Err(ControlError::Exited);
            };
            t.control.stop.ask(e);
            // As in `stop_the_world`: a thread marking itself exited meanwhile acknowledges,
            // or we do for it (and then report it `Exited`: it stored no context).
            fence(SeqCst);
            if t.links.exited.load(Relaxed) {
                stop::leave(&WORLD, &t.control.stop);
            } else {
                let _ = signal::send_to_thread(t.tid(), control_signal());
            }
            r.pin(t)
        };
        wait_for_acks(1, e);
        let t = pin.tcb();
        let context = t.control.context.load(Relaxed);
        if context.is_null() {
            WORLD.end_epoch(e);
            return Err(ControlError::Exited);
        }
        let (lo, hi) = t.links.stack.get();
        let stopped = StoppedInfo { sp: t.control.sp.load(Relaxed), context, stack: lo..hi };
        Ok(Suspended { epoch: e, pin, stopped, _one_at_a_time: guard })
    }
}

// ---------------------------------------------------------------------------------------------
// Running code in another thread

const PENDING: u32 = 0;
const DONE: u32 = 1;
const GONE: u32 = 2;

/// The type-erased head of a synchronous call; the closure follows it in `Call<F>`.
#[repr(C)]
struct CallHeader {
    run: unsafe fn(*mut CallHeader),
    state: AtomicU32,
}

#[repr(C)]
struct Call<F> {
    header: CallHeader,
    f: UnsafeCell<Option<F>>,
}

/// Runs the closure of the call whose header is `h` (the type-erased entry of a `Call<F>`).
///
/// # Safety
/// `h` is the header of a live `Call<F>` whose closure has not been taken.
unsafe fn run_call<F: FnOnce()>(h: *mut CallHeader) {
    // SAFETY: per the contract; `header` is the first field of the repr(C) `Call<F>`.
    let f = unsafe { (*(*(h as *mut Call<F>)).f.get()).take() };
    if let Some(f) = f {
        f();
    }
}

/// Publishes a call's final state and wakes its owner.
///
/// # Safety
/// `state` belongs to a call whose owner waits for it to leave PENDING.
unsafe fn finish(state: &AtomicU32, to: u32) {
    state.store(to, Release);
    // The owner may already have returned (it polls after a timed wait): waking a futex in a
    // stack frame that has gone only costs a syscall; the kernel reads nothing there.
    futex::wake_private(state, 1);
}

impl Thread {
    /// Runs `f` in this thread, now, in its control signal's handler, and returns once it has
    /// run there (later, if the thread is inside `without_interrupts` or one of strand's
    /// internal locks: then at the end of that section). `f` may borrow from the caller's
    /// stack: nothing is allocated. The calling thread itself just runs `f`.
    ///
    /// `f` runs in signal context, interrupting whatever the thread was doing: it may use
    /// atomics, strand's printing, spawning and joining (no thread is interrupted inside those),
    /// but it must not take a lock the interrupted code may hold (a user `Mutex`: that
    /// deadlocks), and it must not run for long (every signal but the synchronous ones is
    /// blocked while it runs). A suspended or stopped thread runs it only when resumed.
    ///
    /// `Exited` if the thread has finished, or finishes before it takes the call.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use core::sync::atomic::{AtomicBool, Ordering::{Acquire, Release}};
    /// static STOP: AtomicBool = AtomicBool::new(false);
    /// let h = strand::thread::spawn(|| while !STOP.load(Acquire) { strand::thread::yield_now() }).unwrap();
    /// let mut tid_there = 0;
    /// h.thread().run_in(|| tid_there = strand::thread::current_tid()).unwrap();
    /// assert_eq!(tid_there, h.thread().tid());
    /// h.thread().run_in_timeout(|| STOP.store(true, Release), core::time::Duration::from_secs(5)).unwrap();
    /// h.join().unwrap();
    /// # }
    /// ```
    pub fn run_in<F: FnOnce() + Send>(&self, f: F) -> Result<(), ControlError> {
        self.run_in_inner(f, None)
    }

    /// `run_in` with a deadline: `TimedOut` if the thread has not taken the call within `d`
    /// (the call is then withdrawn and never runs). Once taken, it waits for the call to end.
    pub fn run_in_timeout<F: FnOnce() + Send>(&self, f: F, d: Duration) -> Result<(), ControlError> {
        self.run_in_inner(f, Some(d))
    }

    fn run_in_inner<F: FnOnce() + Send>(&self, f: F, timeout: Option<Duration>) -> Result<(), ControlError> {
        if ptr::eq(self.tcb, Tcb::current()) {
            f();
            return Ok(());
        }
        ensure_installed()?;
        let pin = registry::pin(self).ok_or(ControlError::Exited)?;
        let t = pin.tcb();
        let _one_caller = t.control.call_lock.lock();
        let call = Call { header: CallHeader { run: run_call::<F>, state: AtomicU32::new(PENDING) }, f: UnsafeCell::new(Some(f)) };
        let header = &call.header as *const CallHeader as *mut CallHeader;
        {
            let shared = t.shared.lock();
            if shared.exited {
                return Err(ControlError::Exited);
            }
            t.control.call.store(header, Release);
            // The lock keeps the thread from exiting, so its tid is still its own.
            let _ = signal::send_to_thread(t.tid(), control_signal());
        }
        let start = crate::time::Instant::now();
        loop {
            match call.header.state.load(Acquire) {
                DONE => return Ok(()),
                GONE => return Err(ControlError::Exited),
                _ => {}
            }
            let mut wait = Duration::from_millis(100);
            if let Some(d) = timeout {
                let spent = start.elapsed();
                if spent >= d {
                    // Withdraw it, unless the thread has taken it (then it runs: wait for it).
                    if t.control.call.compare_exchange(header, ptr::null_mut(), AcqRel, Acquire).is_ok() {
                        return Err(ControlError::TimedOut);
                    }
                    wait = Duration::from_millis(100);
                } else {
                    wait = wait.min(d - spent);
                }
            }
            if futex::wait_private(&call.header.state, PENDING, Some(wait)) == WaitResult::TimedOut
                && t.control.call.load(Relaxed) == header
            {
                // Not taken yet: the signal may have been lost; asking again is harmless.
                let shared = t.shared.lock();
                if !shared.exited {
                    let _ = signal::send_to_thread(t.tid(), control_signal());
                }
            }
        }
    }

    /// Queues `f` to run in this thread's control signal handler and returns at once (the
    /// thread runs its queue in order; see `run_in` for what `f` may do). `QueueFull` when
    /// `QUEUE_LEN` calls are already waiting; `Exited` if the thread has finished. A
    /// thread that exits before it gets to its queue drops what is left in it.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use core::sync::atomic::{AtomicBool, Ordering::{Acquire, Release}};
    /// static STOP: AtomicBool = AtomicBool::new(false);
    /// fn stop() {
    ///     STOP.store(true, Release);
    /// }
    /// let h = strand::thread::spawn(|| while !STOP.load(Acquire) { strand::thread::yield_now() }).unwrap();
    /// h.thread().interrupt(stop).unwrap(); // returns at once; the thread runs `stop` soon
    /// h.join().unwrap();
    /// # }
    /// ```
    pub fn interrupt(&self, f: fn()) -> Result<(), ControlError> {
        ensure_installed()?;
        let pin = registry::pin(self).ok_or(ControlError::Exited)?;
        let t = pin.tcb();
        let shared = t.shared.lock();
        if shared.exited {
            return Err(ControlError::Exited);
        }
        let c = &t.control;
        let tail = c.tail.load(Relaxed);
        let slot = &c.queue[tail as usize % QUEUE_LEN];
        if slot.load(Acquire) != 0 {
            return Err(ControlError::QueueFull);
        }
        slot.store(f as usize, Release);
        c.tail.store(tail.wrapping_add(1), Relaxed);
        // The lock keeps the thread from exiting, so its tid is still its own. (To the calling
        // thread itself from inside a section, the handler defers it like any other request.)
        let _ = signal::send_to_thread(t.tid(), control_signal());
        Ok(())
    }
}
