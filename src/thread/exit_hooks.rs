//! Per-thread exit hooks (the base of `thread_local!` destructors) and `thread::exit`.
//!
//! A hook is a caller-owned, intrusive node ([`ExitHook`]), so registering one allocates
//! nothing and there is no limit on how many a thread has: registering is two pointer stores
//! onto a list whose head lives in the thread's control block ([`ThreadExit`], the `Tcb`'s
//! `exit` field). The hooks run newest first when the thread's closure returns, when it calls
//! [`exit`], and, for the thread that calls `rt::exit` (the main thread when `main` returns),
//! before the process at-exit handlers. Where this sits in a thread's life: the lifecycle doc in
//! `thread/mod.rs`.
//!
//! Hooks registered while hooks run (a destructor that touches a thread-local not used before,
//! say) run too, in *rounds*: a round takes every hook registered so far and runs them newest
//! first; the hooks they register make up the next round. After [`EXIT_HOOK_ROUNDS`] rounds
//! (POSIX's PTHREAD_DESTRUCTOR_ITERATIONS, 4, as musl and c-scape use for key destructors) the
//! hooks still registered are reported on stderr and not run, so a hook that keeps
//! re-registering itself cannot keep a thread from ending.
//!
//! Nothing here is async-signal-safe: a handler that registers a hook between the two stores of
//! a registration it interrupted loses one of the two nodes.

use super::Tcb;
use core::cell::Cell;
use core::fmt;
use core::ptr;
use core::sync::atomic::AtomicBool;
use core::sync::atomic::Ordering::Relaxed;

/// How many rounds of exit hooks a thread runs at most (see the module doc).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// assert!(strand::thread::EXIT_HOOK_ROUNDS >= 1);
/// # }
/// ```
pub const EXIT_HOOK_ROUNDS: u32 = 4;

/// One exit hook: a node the caller owns and registers with [`ExitHook::register`].
///
/// Typically a `#[thread_local]` static (one per thread, alive as long as the thread) or a field
/// of one, as in `thread_local!`'s values. It is `!Sync` and `!Send`: it belongs to the thread
/// that registers it. Once it has run it may be registered again.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # #![feature(thread_local)]
/// # strand::main!(main);
/// # fn main() {
/// use strand::thread::{AlreadyRegistered, ExitHook};
/// use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
/// #[thread_local]
/// static HOOK: ExitHook = ExitHook::new();
/// static RAN: AtomicU32 = AtomicU32::new(0);
/// unsafe fn on_exit(arg: *mut u8) {
///     RAN.fetch_add(arg as u32, Relaxed);
/// }
/// let h = strand::thread::spawn(|| {
///     // SAFETY: a #[thread_local] of this thread; `on_exit` is sound to call at its exit.
///     unsafe { HOOK.register(on_exit, 5 as *mut u8) }.unwrap();
///     assert!(HOOK.is_registered());
///     // SAFETY: as above.
///     assert_eq!(unsafe { HOOK.register(on_exit, 5 as *mut u8) }, Err(AlreadyRegistered));
/// }).unwrap();
/// h.join().unwrap();
/// assert_eq!(RAN.load(Relaxed), 5);
/// # }
/// ```
pub struct ExitHook {
    next: Cell<*const ExitHook>,
    f: Cell<Option<unsafe fn(*mut u8)>>,
    arg: Cell<*mut u8>,
    /// On a list (waiting to run); cleared just before it runs.
    queued: Cell<bool>,
}

/// `ExitHook::register` on a hook that is registered and has not run yet. Linking it twice
/// would make the list a cycle, so the second registration is refused.
///
/// See [`ExitHook`] for an example that gets it.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let e = strand::thread::AlreadyRegistered;
/// strand::println!("{e}");
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlreadyRegistered;

impl fmt::Display for AlreadyRegistered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("exit hook is already registered and has not run yet")
    }
}

impl Default for ExitHook {
    fn default() -> ExitHook {
        ExitHook::new()
    }
}

impl ExitHook {
    /// A hook that is not registered.
    pub const fn new() -> ExitHook {
        ExitHook { next: Cell::new(ptr::null()), f: Cell::new(None), arg: Cell::new(ptr::null_mut()), queued: Cell::new(false) }
    }

    /// Whether the hook waits to run on its thread's exit.
    pub fn is_registered(&self) -> bool {
        self.queued.get()
    }

    /// Registers the hook to run `f(arg)` when the calling thread ends (its closure returns, it
    /// calls `thread::exit`, or, for the thread calling `rt::exit`, before the process's
    /// at-exit handlers). Hooks run newest first. Cost: a few loads and stores, no syscall, no
    /// lock, no allocation. `Err(AlreadyRegistered)` if it is registered and has not run yet.
    ///
    /// # Safety
    /// - `self` stays alive and at this address until it has run or the calling thread has
    ///   ended: a `#[thread_local]` static of the calling thread (or a part of one) always does;
    ///   a stack value does only if the frame outlives the thread's exit hooks (it never does
    ///   for a spawned thread's closure), so it must not be one.
    /// - Calling `f(arg)` on this thread, at its exit, is sound (`arg` still valid then).
    /// - Not from a signal handler (see the module doc), and not on a hook another thread may
    ///   touch.
    pub unsafe fn register(&self, f: unsafe fn(*mut u8), arg: *mut u8) -> Result<(), AlreadyRegistered> {
        if self.queued.get() {
            return Err(AlreadyRegistered);
        }
        self.f.set(Some(f));
        self.arg.set(arg);
        self.queued.set(true);
        // SAFETY: the caller keeps the node alive and in place until it runs.
        unsafe { Tcb::current().exit.push(self) };
        Ok(())
    }
}

/// A thread's exit state, the `Tcb`'s `exit` field: its list of hooks, the rest of the round
/// being run, and whether it ended without a result (`thread::exit`). Only the thread itself
/// touches the hook fields; `no_result` is read by its joiner once the thread is gone.
pub(crate) struct ThreadExit {
    /// Newest registered hook, not yet taken by a round.
    head: Cell<*const ExitHook>,
    /// The hooks of the current round still to run, kept here rather than on the runner's stack
    /// so that a hook which itself ends the thread (`thread::exit`, `rt::exit`) goes on with
    /// them instead of dropping them.
    pending: Cell<*const ExitHook>,
    /// Rounds started so far.
    rounds: Cell<u32>,
    /// Set by `thread::exit`: the packet holds no result.
    pub(crate) no_result: AtomicBool,
}

/// What `run` did, for the caller to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ran {
    /// Every registered hook ran.
    All,
    /// The round bound was reached with `left` hooks still registered; they were not run.
    Bounded { left: usize },
}

impl ThreadExit {
    pub(crate) const fn new() -> ThreadExit {
        ThreadExit {
            head: Cell::new(ptr::null()),
            pending: Cell::new(ptr::null()),
            rounds: Cell::new(0),
            no_result: AtomicBool::new(false),
        }
    }

    /// # Safety
    /// `hook` stays alive and in place until it has run or its thread has ended.
    unsafe fn push(&self, hook: &ExitHook) {
        hook.next.set(self.head.get());
        self.head.set(hook);
    }

    /// Runs the hooks, round after round, until none are left or `EXIT_HOOK_ROUNDS` rounds have
    /// run. Re-entrant: a hook that calls this again (through `thread::exit` or `rt::exit`)
    /// finishes the work and never returns to the outer call.
    ///
    /// # Safety
    /// Every hook on the list is alive (per `ExitHook::register`'s contract), and this is the
    /// list of the calling thread (the hooks must run on the thread that registered them).
    pub(crate) unsafe fn run(&self) -> Ran {
        loop {
            let hook = self.pending.get();
            if !hook.is_null() {
                // SAFETY: a registered node stays alive until it has run.
                let hook = unsafe { &*hook };
                self.pending.set(hook.next.get());
                // Off the list before it runs, so that it may register itself again.
                hook.queued.set(false);
                let (f, arg) = (hook.f.get(), hook.arg.get());
                if let Some(f) = f {
                    // SAFETY: the registrant promised `f(arg)` is sound here, at exit.
                    unsafe { f(arg) };
                }
                continue;
            }
            let next_round = self.head.get();
            if next_round.is_null() {
                return Ran::All;
            }
            if self.rounds.get() == EXIT_HOOK_ROUNDS {
                let mut left = 0;
                let mut h = next_round;
                while !h.is_null() {
                    left += 1;
                    // SAFETY: registered nodes are alive.
                    h = unsafe { (*h).next.get() };
                }
                return Ran::Bounded { left };
            }
            self.rounds.set(self.rounds.get() + 1);
            self.head.set(ptr::null());
            self.pending.set(next_round);
        }
    }
}

/// Runs the calling thread's exit hooks (and so its thread-locals' destructors); reports on
/// stderr if the round bound left some unrun.
pub(crate) fn run_current() {
    let tcb = Tcb::current();
    // SAFETY: our own list, whose nodes the registrants keep alive.
    if let Ran::Bounded { left } = unsafe { tcb.exit.run() } {
        let name = tcb.name.load();
        crate::eprintln!(
            "strand: thread '{}' (tid {}): exit hooks were still being registered after {} rounds; {} left unrun",
            if name.is_empty() { "<unnamed>" } else { name.as_str() },
            tcb.tid(),
            EXIT_HOOK_ROUNDS,
            left
        );
    }
}

/// Ends the calling thread now, as if its closure had returned, but with no result: its exit
/// hooks and thread-local destructors run, then it leaves through the same exit path as a
/// return (the exit/detach decision, its scope counts it out, its mapping goes to the cache or
/// is unmapped by whoever owns it), and `join` gives `Err(JoinError::Exited)`.
///
/// On the main thread it runs the main thread's hooks and then `rt::exit(0)`: the at-exit
/// handlers and `.fini_array` run and the whole process ends with status 0, as if `main` had
/// returned 0 (unlike `pthread_exit`, which would leave the other threads running).
///
/// This is not a kill: the thread stops where it chose to, between two of its own statements,
/// so no lock it uses is held half-way, its hooks run, and the thread is accounted for like any
/// thread that finished.
///
/// # Safety
/// Nothing above this call on the thread's stack is dropped or returned to: `exit` does not
/// unwind (not even with the `unwind` feature), and the frames are simply abandoned (their memory is
/// then freed or reused with the stack). The caller must make sure that is sound:
/// - no value on the stack may be one whose memory must not go away before its `Drop` ran:
///   pinned values (`Pin`'s drop guarantee, e.g. a pinned future or intrusive node), an
///   `ExitHook` on the stack, and above all a `thread::scope` opened in this thread, whose
///   threads may still borrow this stack (the scope's wait never happens, so they would use
///   freed memory);
/// - what the skipped `Drop`s would have done is not needed: held `MutexGuard`s stay locked
///   forever, the closure's captures and other owned values are leaked (as `mem::forget`);
/// - it is not called inside `LocalKey::with` (or `try_with`): that value's destructor would
///   run while it is borrowed. (From an exit hook or a destructor it is allowed: the remaining
///   hooks run, and the rest of the calling hook is skipped like any other abandoned frame.)
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
/// assert_eq!(h.join().err(), Some(JoinError::Exited));
/// # }
/// ```
pub unsafe fn exit() -> ! {
    let tcb = Tcb::current();
    if tcb.map_base.is_null() {
        // The main thread: its area is never freed (`init_main_thread`); rt::exit runs its
        // hooks before the process's at-exit handlers.
        crate::rt::exit(0)
    }
    // Nobody may borrow our thread-locals from here on (and we wait for those who do) before
    // the hooks destroy them.
    super::remote_tls::begin_exit(tcb);
    run_current();
    tcb.exit.no_result.store(true, Relaxed);
    // SAFETY: a spawned thread, whose closure will never return: the packet holds neither the
    // closure (taken by `thread_start`) nor a result, which `no_result` tells the handle.
    unsafe { super::start::finish(tcb, None) }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    std::thread_local! {
        static LOG: core::cell::RefCell<Vec<usize>> = const { core::cell::RefCell::new(Vec::new()) };
    }

    unsafe fn log(arg: *mut u8) {
        LOG.with(|l| l.borrow_mut().push(arg as usize));
    }

    fn take_log() -> Vec<usize> {
        LOG.with(|l| core::mem::take(&mut *l.borrow_mut()))
    }

    #[test]
    fn hooks_run_newest_first_and_only_once() {
        let list = ThreadExit::new();
        let hooks: [ExitHook; 3] = Default::default();
        for (i, h) in hooks.iter().enumerate() {
            h.f.set(Some(log));
            h.arg.set(i as *mut u8);
            h.queued.set(true);
            // SAFETY: the hooks outlive the list's use of them.
            unsafe { list.push(h) };
        }
        // SAFETY: all hooks alive, run on this thread.
        assert_eq!(unsafe { list.run() }, Ran::All);
        assert_eq!(take_log(), [2, 1, 0]);
        assert!(hooks.iter().all(|h| !h.is_registered()));
        // SAFETY: as above.
        assert_eq!(unsafe { list.run() }, Ran::All);
        assert!(take_log().is_empty());
    }

    /// A hook that registers itself again each time: after the bound, one is left unrun.
    #[test]
    fn self_registering_hook_stops_at_the_bound() {
        std::thread_local! {
            static LIST: ThreadExit = const { ThreadExit::new() };
            static HOOK: ExitHook = const { ExitHook::new() };
        }
        unsafe fn again(_: *mut u8) {
            LOG.with(|l| l.borrow_mut().push(7));
            HOOK.with(|h| {
                h.queued.set(true);
                // SAFETY: a thread-local, alive while the test runs.
                LIST.with(|list| unsafe { list.push(h) });
            });
        }
        HOOK.with(|h| {
            h.f.set(Some(again));
            h.queued.set(true);
            // SAFETY: as above.
            LIST.with(|list| unsafe { list.push(h) });
        });
        // SAFETY: as above.
        let ran = LIST.with(|list| unsafe { list.run() });
        assert_eq!(ran, Ran::Bounded { left: 1 });
        assert_eq!(take_log().len(), EXIT_HOOK_ROUNDS as usize);
    }
}
