//! Sessions (SBCL's): groups of threads with one *foreground* member, the one that owns the
//! terminal, a FIFO of members waiting to become it, optional SIGINT routing to it, and
//! `terminate_others` to end every other member.
//!
//! Every thread belongs to exactly one session: the main thread to `Session::main()`, a
//! spawned thread to its spawner's, or to the one its `Builder::session` names. Membership is
//! recorded in the thread's control block before `clone` (so a thread spawned while the
//! session is being terminated cannot escape it, SBCL's FIXME) and counted until the thread
//! finishes. Sessions are `'static` (no allocation): `static S: Session =
//! Session::new();`.
//!
//! With `route_sigint(handler)`, a SIGINT (Ctrl-C), whichever thread the kernel delivers it
//! to, runs `handler` in the routing session's foreground member: strand's SIGINT handler runs
//! it there if that thread is the foreground, and otherwise forwards the signal to the
//! foreground with `tgkill` (a forward that lands on a thread that has meanwhile lost the
//! foreground is forwarded again). With no foreground member the SIGINT is counted and
//! delivered to the next member that takes the foreground. No signal mask changes, so threads
//! already running and threads spawned later need nothing done to them.

use super::registry;
use super::{Tcb, Thread};
use crate::signal::{Context, SigInfo, Signal};
use crate::futex;
use crate::sync::{Condvar, Mutex};
use core::fmt;
use core::ptr;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use core::sync::atomic::{AtomicI32, AtomicPtr, AtomicU32, AtomicUsize};
use core::time::Duration;

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").field("members", &self.members()).finish_non_exhaustive()
    }
}

/// A group of threads with a foreground member.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::thread::{Builder, Session, SessionError};
/// static JOBS: Session = Session::new();
/// assert!(core::ptr::eq(Session::current(), Session::main()));
/// let h = Builder::new().session(&JOBS).spawn(|| {
///     let me = strand::thread::current();
///     let fg = Session::current().acquire_foreground().unwrap();
///     assert_eq!(Session::current().foreground(), Some(me));
///     drop(fg);
///     (Session::current().members(), Session::current().foreground())
/// }).unwrap();
/// assert_eq!(h.join().ok(), Some((1, None)));
/// assert_eq!(JOBS.acquire_foreground().err(), Some(SessionError::NotMember));
/// # }
/// ```
pub struct Session {
    state: Mutex<State>,
    changed: Condvar,
    /// Threads in the registry that belong here.
    members: AtomicU32,
    /// The foreground member's tid (0: none), for the SIGINT handler to read without a lock.
    fg_tid: AtomicI32,
    /// Threads in `terminate_others` waiting on `members`.
    watchers: AtomicU32,
}

struct State {
    /// The foreground member (control block and serial), if any.
    foreground: Option<(usize, u64)>,
    /// The next waiting ticket (FIFO order of `acquire_foreground`).
    next_ticket: u32,
    /// A member the foreground chose as its successor (`Foreground::hand_to`).
    handoff: Option<u64>,
}

/// Why a session operation was refused.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::thread::{Session, SessionError};
/// static OTHER: Session = Session::new();
/// assert_eq!(OTHER.terminate_others(core::time::Duration::ZERO).err(), Some(SessionError::NotMember));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionError {
    /// The calling thread (or the thread named) is not a member of this session.
    NotMember,
    /// The calling thread already is the foreground member.
    AlreadyForeground,
    /// `terminate_others` is for the foreground member (or, when there is none, any member).
    NotForeground,
    /// Another session routes SIGINT already.
    SigintRoutedElsewhere,
    /// Installing the SIGINT handler failed.
    Os(crate::errno::Errno),
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SessionError::NotMember => "the thread is not a member of this session",
            SessionError::AlreadyForeground => "the thread already is the foreground member",
            SessionError::NotForeground => "only the foreground member may terminate the others",
            SessionError::SigintRoutedElsewhere => "another session routes SIGINT",
            SessionError::Os(_) => "installing the SIGINT handler failed",
        })
    }
}

static MAIN: Session = Session::new();
/// The session SIGINT is routed to, if any.
static ROUTED: AtomicPtr<Session> = AtomicPtr::new(ptr::null_mut());

impl Tcb {
    /// The session this thread belongs to.
    pub(crate) fn session(&self) -> &'static Session {
        let s = self.session.load(Relaxed);
        // SAFETY: only `&'static Session`s are stored.
        if s.is_null() { &MAIN } else { unsafe { &*s } }
    }
}

/// Records a new thread's session (before `clone`): `chosen`, else its spawner's.
pub(crate) fn join_at_spawn(tcb: &Tcb, chosen: Option<&'static Session>) {
    let s = chosen.unwrap_or_else(|| Tcb::current().session());
    tcb.session.store(s as *const Session as *mut Session, Relaxed);
}

/// Counts a thread in (at link) and out (at unlink) of its session.
pub(crate) fn count_in(tcb: &Tcb) {
    tcb.session().members.fetch_add(1, Relaxed);
}

pub(crate) fn count_out(tcb: &Tcb) {
    let s = tcb.session();
    // SeqCst with the same in `terminate_others`: either it sees our decrement or we see it
    // watching, so a thread's exit costs a wake syscall only while someone waits.
    s.members.fetch_sub(1, SeqCst);
    if s.watchers.load(SeqCst) != 0 {
        futex::wake_private(&s.members, u32::MAX);
    }
}

/// The handler SIGINT runs in the routing session's foreground member (0: not routed).
static SIGINT_HANDLER: AtomicUsize = AtomicUsize::new(0);
/// SIGINTs that came while the routing session had no foreground member.
static SIGINT_PENDING: AtomicU32 = AtomicU32::new(0);

/// strand's SIGINT handler while routing is on. Async-signal-safe: atomics and `tgkill`.
fn on_sigint(_: &SigInfo, _: &mut Context) {
    let s = ROUTED.load(Acquire);
    if s.is_null() {
        return;
    }
    // SAFETY: only `&'static Session`s are stored.
    let s = unsafe { &*s };
    let fg = s.fg_tid.load(Acquire);
    let me = Tcb::current().tid();
    if fg == me {
        let f = SIGINT_HANDLER.load(Acquire);
        if f != 0 {
            // SAFETY: only `fn()` addresses are stored.
            unsafe { core::mem::transmute::<usize, fn()>(f)() };
        }
    } else if fg == 0 || crate::signal::send_to_thread(fg, Signal::INT).is_err() {
        // Nobody to give it to (or it just left): the next foreground member gets it.
        SIGINT_PENDING.fetch_add(1, Relaxed);
    }
}

/// The result of `Session::terminate_others`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::thread::{Builder, Session};
/// use core::time::Duration;
/// static WORKERS: Session = Session::new();
/// let h = Builder::new().session(&WORKERS).spawn(|| {
///     // Spawned threads join their spawner's session.
///     drop(strand::thread::spawn(|| strand::thread::sleep_cancellable(Duration::from_secs(60))).unwrap());
///     let report = Session::current().terminate_others(Duration::from_secs(30)).unwrap();
///     report.remaining
/// }).unwrap();
/// assert_eq!(h.join().ok(), Some(0));
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TerminateReport {
    /// Members still running when the timeout passed.
    pub remaining: usize,
    /// The first of them (up to 8), to name in a message.
    pub still_running: [Option<Thread>; 8],
}

impl Session {
    /// An empty session with no foreground member (usable in a `static`).
    pub const fn new() -> Session {
        Session {
            state: Mutex::new(State { foreground: None, next_ticket: 1, handoff: None }),
            changed: Condvar::new(),
            members: AtomicU32::new(0),
            fg_tid: AtomicI32::new(0),
            watchers: AtomicU32::new(0),
        }
    }

    /// The main thread's session, which every thread belongs to unless told otherwise.
    pub fn main() -> &'static Session {
        &MAIN
    }

    /// The calling thread's session.
    pub fn current() -> &'static Session {
        Tcb::current().session()
    }

    /// Threads in the registry that belong to this session.
    pub fn members(&self) -> usize {
        self.members.load(Acquire) as usize
    }

    fn is(&self, t: &Tcb) -> bool {
        ptr::eq(t.session(), self)
    }

    /// Calls `f` for each member (under the registry lock: `f` must not spawn or join).
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::thread::{Builder, Session};
    /// static S: Session = Session::new();
    /// let h = Builder::new().session(&S).spawn(|| {
    ///     let mut tids = [0; 2];
    ///     let mut n = 0;
    ///     S.for_each_member(|t| { tids[n] = t.tid(); n += 1; });
    ///     (n, tids[0] == strand::thread::current_tid())
    /// }).unwrap();
    /// assert_eq!(h.join().ok(), Some((1, true)));
    /// # }
    /// ```
    pub fn for_each_member(&self, mut f: impl FnMut(&Thread)) {
        let r = registry::lock();
        for t in r.live().filter(|t| self.is(t)) {
            f(&Thread::of(t));
        }
    }

    /// The foreground member, if any.
    pub fn foreground(&self) -> Option<Thread> {
        let (tcb, serial) = self.state.lock().foreground?;
        let r = registry::lock();
        let found = r.iter().find(|t| *t as *const Tcb as usize == tcb && t.links.serial.get() == serial).map(Thread::of);
        found
    }

    /// Makes the calling thread (a member) the foreground member, waiting in FIFO order behind
    /// the members that asked before it (or for the current foreground's explicit `hand_to`).
    /// The guard gives it back (to the next waiter) when dropped.
    pub fn acquire_foreground(&'static self) -> Result<Foreground, SessionError> {
        let me = Tcb::current();
        if !self.is(me) {
            return Err(SessionError::NotMember);
        }
        let my = (me as *const Tcb as usize, me.links.serial.get());
        let mut st = self.state.lock();
        if st.foreground == Some(my) {
            return Err(SessionError::AlreadyForeground);
        }
        let ticket = st.next_ticket;
        st.next_ticket = st.next_ticket.wrapping_add(1).max(1);
        me.fg_ticket.store(ticket, Relaxed);
        loop {
            if st.foreground.is_none() && self.my_turn(&st, my.1, ticket) {
                break;
            }
            st = self.changed.wait(st);
        }
        me.fg_ticket.store(0, Relaxed);
        st.foreground = Some(my);
        if st.handoff == Some(my.1) {
            st.handoff = None;
        }
        self.fg_tid.store(me.tid(), Release);
        drop(st);
        if ptr::eq(ROUTED.load(Acquire), self) && SIGINT_PENDING.swap(0, AcqRel) != 0 {
            // Interrupts that came while nobody had the terminal go to its new owner.
            let _ = crate::signal::send_to_thread(me.tid(), Signal::INT);
        }
        Ok(Foreground { session: self, _not_send: core::marker::PhantomData })
    }

    /// Whether the waiter `serial` with `ticket` goes next: the chosen successor, or with none
    /// chosen the oldest ticket among the members still waiting.
    fn my_turn(&self, st: &State, serial: u64, ticket: u32) -> bool {
        if let Some(h) = st.handoff {
            // The chosen successor, if it is still around and waiting; else FIFO.
            let r = registry::lock();
            let waiting = r.iter().any(|t| t.links.serial.get() == h && t.fg_ticket.load(Relaxed) != 0);
            if waiting {
                return h == serial;
            }
        }
        let r = registry::lock();
        let oldest = r
            .iter()
            .filter(|t| self.is(t))
            .map(|t| t.fg_ticket.load(Relaxed))
            .filter(|&k| k != 0)
            .min_by_key(|&k| k.wrapping_sub(ticket) as i32);
        oldest == Some(ticket)
    }

    /// Routes SIGINT to this session's foreground member: from now on a SIGINT runs `handler`
    /// there, in its signal context (see the module doc; `handler` must be async-signal-safe,
    /// or only set a flag). Replaces whatever SIGINT handler was installed. Once per process:
    /// `SigintRoutedElsewhere` if another session has it; calling it again on the same session
    /// replaces `handler`.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::signal::{self, Signal};
    /// use strand::thread::Session;
    /// use core::sync::atomic::{AtomicI32, Ordering::Relaxed};
    /// static RAN_ON: AtomicI32 = AtomicI32::new(0);
    /// fn on_interrupt() {
    ///     RAN_ON.store(strand::thread::current_tid(), Relaxed); // an atomic: async-signal-safe
    /// }
    /// let main = Session::main();
    /// let _fg = main.acquire_foreground().unwrap();
    /// main.route_sigint(on_interrupt).unwrap();
    /// signal::raise(Signal::INT).unwrap();
    /// assert_eq!(RAN_ON.load(Relaxed), strand::thread::current_tid());
    /// # }
    /// ```
    pub fn route_sigint(&'static self, handler: fn()) -> Result<(), SessionError> {
        let me = self as *const Session as *mut Session;
        if let Err(other) = ROUTED.compare_exchange(ptr::null_mut(), me, AcqRel, Acquire) {
            if other != me {
                return Err(SessionError::SigintRoutedElsewhere);
            }
        }
        SIGINT_HANDLER.store(handler as usize, Release);
        crate::signal::set_handler(Signal::INT, crate::signal::Handler::Function(on_sigint))
            .map_err(SessionError::Os)?;
        Ok(())
    }

    /// Cancels every other member (`Thread::cancel`) and waits, at most `timeout`, until they
    /// have all finished; reports who has not. Only the foreground member may do this (any
    /// member when there is none). Members spawned meanwhile are members too, and are
    /// cancelled as well.
    pub fn terminate_others(&self, timeout: Duration) -> Result<TerminateReport, SessionError> {
        let me = Tcb::current();
        if !self.is(me) {
            return Err(SessionError::NotMember);
        }
        let my = (me as *const Tcb as usize, me.links.serial.get());
        if let Some(fg) = self.state.lock().foreground {
            if fg != my {
                return Err(SessionError::NotForeground);
            }
        }
        let start = crate::time::Instant::now();
        self.watchers.fetch_add(1, SeqCst);
        loop {
            // Cancel whoever is a member now (cancelling twice is harmless: the flag is sticky).
            let mut batch = [None::<Thread>; 64];
            let mut n = 0;
            self.for_each_member(|t| {
                if t.tcb != me as *const Tcb && n < batch.len() {
                    batch[n] = Some(*t);
                    n += 1;
                }
            });
            for t in batch[..n].iter().flatten() {
                // One that has exited meanwhile is what we wanted anyway.
                let _ = t.cancel();
            }
            let m = self.members.load(SeqCst);
            if m <= 1 {
                break;
            }
            let spent = start.elapsed();
            if spent >= timeout {
                break;
            }
            // Woken whenever a member leaves; re-cancel at most every 10 ms for newcomers.
            futex::wait_private(&self.members, m, Some((timeout - spent).min(Duration::from_millis(10))));
        }
        self.watchers.fetch_sub(1, Relaxed);
        let mut report = TerminateReport { remaining: 0, still_running: [None; 8] };
        self.for_each_member(|t| {
            if t.tcb != me as *const Tcb {
                if report.remaining < report.still_running.len() {
                    report.still_running[report.remaining] = Some(*t);
                }
                report.remaining += 1;
            }
        });
        Ok(report)
    }
}

/// The calling thread's hold on the foreground; dropping it passes the foreground on.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::thread::{Builder, Session, SessionError};
/// static S: Session = Session::new();
/// let h = Builder::new().session(&S).spawn(|| {
///     let fg = S.acquire_foreground().unwrap();
///     let again = S.acquire_foreground().err();
///     drop(fg); // passes it on (to nobody here)
///     (again, S.foreground())
/// }).unwrap();
/// assert_eq!(h.join().ok(), Some((Some(SessionError::AlreadyForeground), None)));
/// # }
/// ```
pub struct Foreground {
    session: &'static Session,
    _not_send: core::marker::PhantomData<*const ()>,
}

impl Foreground {
    /// Gives the foreground to `next` (a member, which gets it once it asks, ahead of the FIFO).
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::thread::{Builder, Session};
    /// use strand::sync::Barrier;
    /// static S: Session = Session::new();
    /// static ASKED: Barrier = Barrier::new(2);
    /// let h = Builder::new().session(&S).spawn(|| {
    ///     let fg = S.acquire_foreground().unwrap();
    ///     let next = Builder::new().spawn(|| {
    ///         ASKED.wait();
    ///         let _fg = S.acquire_foreground().unwrap();
    ///         S.foreground() == Some(strand::thread::current())
    ///     }).unwrap();
    ///     ASKED.wait();
    ///     fg.hand_to(&next.thread()).unwrap();
    ///     next.join().unwrap()
    /// }).unwrap();
    /// assert_eq!(h.join().ok(), Some(true));
    /// # }
    /// ```
    pub fn hand_to(self, next: &Thread) -> Result<(), SessionError> {
        {
            let r = registry::lock();
            let Some(t) = r.find(next) else { return Err(SessionError::NotMember) };
            if !self.session.is(t) {
                return Err(SessionError::NotMember);
            }
        }
        self.session.state.lock().handoff = Some(next.serial);
        drop(self);
        Ok(())
    }
}

impl Drop for Foreground {
    fn drop(&mut self) {
        let s = self.session;
        let mut st = s.state.lock();
        st.foreground = None;
        s.fg_tid.store(0, Release);
        drop(st);
        s.changed.notify_all();
    }
}
