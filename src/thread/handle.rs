//! `JoinHandle`: the spawner's side of a running thread, and the code that frees a thread's
//! mapping once the kernel is done with it. See the lifecycle in `thread/mod.rs`.

use super::lifecycle::{self, Owner};
use super::{cache, NameError, Packet, PathBuf, Tcb, Thread, ThreadName};
use crate::errno::Errno;
use crate::syscall;
use core::fmt;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ptr::NonNull;
use core::sync::atomic::Ordering::{Acquire, Relaxed};

/// Why `join` returned no result.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::thread::JoinError;
/// let h = strand::thread::spawn(|| {
///     // SAFETY: nothing on this thread's stack needs its Drop to run.
///     unsafe { strand::thread::exit() }
/// }).unwrap();
/// let e = h.join().err().unwrap();
/// assert_eq!(e, JoinError::Exited);
/// assert_eq!(e.errno(), strand::Errno::ENODATA);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// `Panicked` holds the panic's message buffer; a `JoinError` is returned once per join.
#[cfg_attr(feature = "unwind", allow(clippy::large_enum_variant))]
pub enum JoinError {
    /// The calling thread is the one the handle owns: it would wait for itself forever
    /// (pthread_join's EDEADLK). The handle is used up and the thread detached, as if the
    /// handle had been dropped: the thread goes on running, and when it finishes it drops its
    /// result and frees its own memory.
    SelfJoin,
    /// The thread ended through `thread::exit`, so there is no result. Its exit hooks ran and
    /// its mapping has been freed, as after a return.
    Exited,
    /// The thread's closure panicked (feature `unwind`): the panic unwound its stack to the
    /// thread's edge, then the thread left as after a return (its exit hooks and thread-local
    /// destructors ran). Here is the panic, with its message.
    #[cfg(feature = "unwind")]
    Panicked(crate::panic::Panic),
}

impl JoinError {
    /// The errno pthread_join would report (for `Exited`, which pthread_join does not have:
    /// `ENODATA`).
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::{thread::JoinError, Errno};
    /// assert_eq!(JoinError::SelfJoin.errno(), Errno::EDEADLK);
    /// # }
    /// ```
    pub fn errno(&self) -> Errno {
        match self {
            JoinError::SelfJoin => Errno::EDEADLK,
            // pthread_join would succeed with pthread_exit's value, which strand's `exit` does
            // not have; ENODATA ("no data available") says that there is no result.
            JoinError::Exited => Errno::ENODATA,
            // What a pthread_join of a thread that a C++ exception ended would see: nothing
            // (the process ended); ECANCELED is the nearest errno to "ended abnormally".
            #[cfg(feature = "unwind")]
            JoinError::Panicked(_) => Errno::ECANCELED,
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::SelfJoin => f.write_str("a thread tried to join itself (EDEADLK); it was detached instead"),
            JoinError::Exited => f.write_str("the thread ended through thread::exit and has no result"),
            #[cfg(feature = "unwind")]
            JoinError::Panicked(p) => write!(f, "the thread panicked: {}", p.message()),
        }
    }
}

/// Why `JoinHandle::terminate` returned no result.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::sync::atomic::{AtomicBool, Ordering::Relaxed};
/// use core::time::Duration;
/// use strand::thread::TerminateError;
/// static STOP: AtomicBool = AtomicBool::new(false);
/// // A thread with no cancellation point: the cancel cannot stop it.
/// let h = strand::thread::spawn(|| while !STOP.load(Relaxed) { strand::thread::yield_now() }).unwrap();
/// let Err(TerminateError::StillRunning(h)) = h.terminate(Duration::from_millis(1)) else { panic!() };
/// STOP.store(true, Relaxed);
/// h.join().unwrap();
/// # }
/// ```
pub enum TerminateError<T> {
    /// The thread had not finished when the timeout passed; here is its handle back.
    StillRunning(JoinHandle<T>),
    /// `join` failed (`JoinError::SelfJoin`: a thread cannot terminate itself).
    Join(JoinError),
}

impl<T> fmt::Debug for TerminateError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TerminateError::StillRunning(h) => f.debug_tuple("StillRunning").field(h).finish(),
            TerminateError::Join(e) => f.debug_tuple("Join").field(e).finish(),
        }
    }
}

impl<T> fmt::Display for TerminateError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TerminateError::StillRunning(h) => write!(f, "thread {} was cancelled but has not finished", h.thread().tid()),
            TerminateError::Join(e) => e.fmt(f),
        }
    }
}

/// Owns a joinable thread. Dropping it detaches the thread.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let h = strand::thread::Builder::new().name("adder").spawn(|| 2 + 2).unwrap();
/// assert_eq!(h.thread().name(), Some("adder"));
/// let tid = h.thread().tid();
/// assert!(tid > 0 && tid != strand::thread::current_tid());
/// assert_eq!(h.join().unwrap(), 4);
/// assert!(strand::thread::find(tid).is_none()); // joined: gone
/// # }
/// ```
pub struct JoinHandle<T> {
    tcb: NonNull<Tcb>,
    _result: PhantomData<T>,
}

// SAFETY: the handle only gives access to the result (T: Send) and to the control block, whose
// shared parts are behind atomics and a lock.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only reads the control block through atomics and its lock.
unsafe impl<T> Sync for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// # Safety
    /// `tcb` is a thread just started by `clone`, whose mapping this handle now shares with
    /// the thread (the lifecycle decides who frees it), with a `Packet<_, T>`.
    pub(super) unsafe fn new(tcb: NonNull<Tcb>) -> JoinHandle<T> {
        JoinHandle { tcb, _result: PhantomData }
    }

    fn tcb(&self) -> &Tcb {
        // SAFETY: the mapping lives until the handle joins or detaches.
        unsafe { self.tcb.as_ref() }
    }

    /// Waits for the thread to finish and returns what its closure returned.
    ///
    /// `Err(JoinError::SelfJoin)` if the calling thread is that thread: the handle is then
    /// dropped, which detaches the thread (see `JoinError::SelfJoin`). `Err(JoinError::Exited)`
    /// if the thread ended through `thread::exit` (its mapping is freed all the same), and with
    /// the `unwind` feature `Err(JoinError::Panicked(_))` if its closure panicked.
    pub fn join(self) -> Result<T, JoinError> {
        // The handle's thread is alive (its mapping cannot have been reused), so the same
        // control block means the same thread.
        if core::ptr::eq(self.tcb.as_ptr(), Tcb::current()) {
            drop(self);
            return Err(JoinError::SelfJoin);
        }
        let this = ManuallyDrop::new(self);
        let tcb = this.tcb();
        lifecycle::wait_for_exit(&tcb.ctid);
        // Relaxed: the wait's Acquire already ordered everything the thread wrote before this.
        if tcb.exit.no_result.load(Relaxed) {
            #[cfg(all(strand_unwinding, not(test)))]
            let panicked = tcb.unwind.ended_by_panic();
            free_mapping(tcb);
            #[cfg(all(strand_unwinding, not(test)))]
            if let Some(p) = panicked {
                return Err(JoinError::Panicked(p));
            }
            return Err(JoinError::Exited);
        }
        let packet = tcb.packet as *mut Packet<(), T>;
        // SAFETY: the thread wrote its result before exiting, and the handle owns it now. The
        // packet offset does not depend on F (the union starts at the slot).
        let result = unsafe { (*packet).result.assume_init_read() };
        free_mapping(tcb);
        Ok(result)
    }

    /// Lets the thread run on unobserved; it frees its own memory when it finishes.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::sync::Barrier;
    /// static DONE: Barrier = Barrier::new(2);
    /// strand::thread::spawn(|| { DONE.wait(); }).unwrap().detach();
    /// DONE.wait(); // the detached thread got here; it frees its own memory when it ends
    /// # }
    /// ```
    pub fn detach(self) {
        drop(self)
    }

    /// Whether the thread has finished (so `join` will not block).
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::sync::Barrier;
    /// static GO: Barrier = Barrier::new(2);
    /// let h = strand::thread::spawn(|| { GO.wait(); }).unwrap();
    /// assert!(!h.is_finished()); // it waits for us
    /// GO.wait();
    /// h.wait_cancellable().unwrap(); // sleeps until it has finished
    /// assert!(h.is_finished());
    /// h.join().unwrap();
    /// # }
    /// ```
    pub fn is_finished(&self) -> bool {
        self.tcb().ctid.load(Acquire) == 0
    }

    /// The thread's identity and name.
    pub fn thread(&self) -> Thread {
        Thread::of(self.tcb())
    }

    /// Asks the thread to stop (see `Thread::cancel`). `Exited` once it has finished.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::thread::Cancelled;
    /// let h = strand::thread::spawn(|| strand::thread::sleep_cancellable(core::time::Duration::from_secs(3600))).unwrap();
    /// h.cancel().unwrap();
    /// assert_eq!(h.join().unwrap(), Err(Cancelled)); // woken from its hour-long sleep
    /// # }
    /// ```
    pub fn cancel(&self) -> Result<(), super::ControlError> {
        self.thread().cancel()
    }

    /// Waits until the thread has finished (so `join` will not block), as a cancellation point
    /// of the *calling* thread: `Err(Cancelled)` if it is cancelled meanwhile. The handle is
    /// untouched either way.
    pub fn wait_cancellable(&self) -> Result<(), super::Cancelled> {
        let ctid = &self.tcb().ctid;
        loop {
            let v = ctid.load(Acquire);
            if v == 0 {
                return Ok(());
            }
            // Shared: the kernel's CLEARTID wake is shared (see lifecycle::wait_for_exit).
            crate::futex::wait_cancellable(ctid, v, None, crate::futex::Scope::Shared)?;
        }
    }

    /// Cancels the thread and waits at most `timeout` for it to finish: `Ok` with what its
    /// closure returned (typically its own `Err(Cancelled)`), or
    /// `TerminateError::StillRunning(self)` with the handle back if it has not finished by then
    /// (it goes on running: a thread is never killed, see `thread::cancel`).
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use core::time::Duration;
    /// let h = strand::thread::spawn(|| strand::thread::sleep_cancellable(Duration::from_secs(3600))).unwrap();
    /// let r = h.terminate(Duration::from_secs(10)).unwrap();
    /// assert_eq!(r, Err(strand::thread::Cancelled));
    /// # }
    /// ```
    pub fn terminate(self, timeout: core::time::Duration) -> Result<T, TerminateError<T>> {
        if core::ptr::eq(self.tcb.as_ptr(), Tcb::current()) {
            return self.join().map_err(TerminateError::Join);
        }
        let _ = self.cancel();
        let start = crate::time::Instant::now();
        let ctid = &self.tcb().ctid;
        loop {
            let v = ctid.load(Acquire);
            if v == 0 {
                return self.join().map_err(TerminateError::Join);
            }
            let spent = start.elapsed();
            if spent >= timeout {
                return Err(TerminateError::StillRunning(self));
            }
            crate::futex::wait(ctid, v, Some(timeout - spent), crate::futex::Scope::Shared);
        }
    }

    /// Sends the thread a signal (`tgkill`). `ESRCH` once it has finished: its tid may belong to
    /// another thread by then.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::signal::{self, SigSet, Signal};
    /// let set = SigSet::of(&[Signal::USR2]);
    /// // Blocked before the spawn, so the thread starts with it blocked too: it waits for it.
    /// let old = signal::block(&set).unwrap();
    /// let h = strand::thread::spawn(move || signal::wait(&set).map(|i| i.signal())).unwrap();
    /// h.signal(Signal::USR2).unwrap();
    /// assert_eq!(h.join().unwrap(), Ok(Signal::USR2));
    /// signal::set_mask(&old).unwrap();
    /// # }
    /// ```
    pub fn signal(&self, sig: crate::signal::Signal) -> Result<(), Errno> {
        let tcb = self.tcb();
        let shared = tcb.shared.lock();
        if shared.exited {
            return Err(Errno::ESRCH);
        }
        // Holding the lock keeps the thread from exiting, so the tid still names it.
        crate::signal::send_to_thread(tcb.tid(), sig)
    }

    /// Renames the thread (through `/proc/self/task/<tid>/comm`). `NameError::Os(ESRCH)` once
    /// it has finished; a bad name is refused as by `thread::set_name`.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::sync::Barrier;
    /// use strand::thread::NameError;
    /// static GO: Barrier = Barrier::new(2);
    /// let h = strand::thread::spawn(|| {
    ///     GO.wait();
    ///     strand::thread::current().name().map(|n| n == "renamed")
    /// }).unwrap();
    /// h.set_name("renamed").unwrap();
    /// assert!(matches!(h.set_name("far-too-long-a-name"), Err(NameError::TooLong { len: 19 })));
    /// GO.wait();
    /// assert_eq!(h.join().unwrap(), Some(true));
    /// # }
    /// ```
    pub fn set_name(&self, name: &str) -> Result<(), NameError> {
        let name = ThreadName::try_new(name)?;
        let tcb = self.tcb();
        let shared = tcb.shared.lock();
        if shared.exited {
            return Err(NameError::Os(Errno::ESRCH));
        }
        // Holding the lock keeps the thread from exiting, so the tid still names it, and keeps
        // the kernel's name and strand's in step with any other rename (the thread's own
        // start-up prctl included).
        let mut path = PathBuf::new();
        path.push(b"/proc/self/task/");
        path.push_int(tcb.tid() as u32);
        path.push(b"/comm");
        syscall::write_file(path.as_cstr(), name.as_str().as_bytes())?;
        // SAFETY: renames happen under the lock we hold.
        unsafe { tcb.name.store(name) };
        drop(shared);
        Ok(())
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let tcb = self.tcb();
        if tcb.lifecycle.detach() == Owner::Handle {
            // The thread finished first and left its mapping (and result) to us.
            lifecycle::wait_for_exit(&tcb.ctid);
            if !tcb.exit.no_result.load(Relaxed) {
                let packet = tcb.packet as *mut Packet<(), T>;
                // SAFETY: the thread wrote its result; nobody else will read it.
                unsafe { (*(*packet).result).assume_init_drop() };
            }
            free_mapping(tcb);
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("thread", &self.thread()).finish()
    }
}

/// Gives back the mapping of a thread that has exited (or never ran): to the cache, or unmapped.
/// The caller owns the mapping and its CLEARTID word is 0.
pub(super) fn free_mapping(tcb: &Tcb) {
    super::registry::forget(tcb);
    let (base, len) = (tcb.map_base, tcb.map_len);
    // SAFETY: the thread's tid word is clear and we own the mapping.
    if !unsafe { cache::put(base, len, tcb.map_guard, tcb.map_origin_align, &tcb.ctid) } {
        // SAFETY: as above.
        let _ = unsafe { syscall::munmap(base, len) };
    }
}
