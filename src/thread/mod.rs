//! Threads: spawn, join, detach, scoped threads, the current thread, names, sleeping.
//!
//! # A thread's life, and who owns its memory
//!
//! A thread is one anonymous mapping (`layout`): a guard page, the stack, the packet (the
//! closure, then its result) and the TLS area with the control block (`Tcb`). Spawning needs
//! no allocator. The mapping changes hands as the thread goes through its life; whoever owns it
//! is the only one who may free it (unmap it or give it to the cache), and nobody frees it
//! while a thread may still run on it.
//!
//! ```text
//!      mmap + guard mprotect ---+        +--- cache::take (its CLEARTID word is 0)
//!                               v        v
//!                   +-----------------------------------+
//!                   | SPAWNING        owner: spawner    |  mapping.rs: TLS, Tcb, packet;
//!                   |                                   |  CLEARTID word = RUNNING; into
//!                   |                                   |  the registry; clone under its lock
//!                   +-----------------------------------+
//!     clone fails:                  |  clone succeeds (the kernel has already
//!     fresh -> munmap               |  stored the tid in Tcb::tid)
//!     cached -> back to the cache   v
//!                   +-----------------------------------+
//!                   | RUNNING         owner: nobody     |  start.rs: name to the kernel,
//!                   | the thread and its handle share   |  closure, result, `exited` and
//!                   | it until one atomic swap decides  |  out of the registry, then the
//!                   |                                   |  exit decision
//!                   +-----------------------------------+  (lifecycle.rs)
//!           handle gave up first  |         |  thread finished first
//!     (drop, detach, self-join)   v         v
//!   +-------------------------------+   +-----------------------------------+
//!   | owner: the THREAD             |   | owner: the HANDLE                 |
//!   | drops its result; last act:   |   | join or drop waits until the      |
//!   | cache::put, CLEARTID word     |   | kernel has zeroed the CLEARTID    |
//!   | still set (start.rs), or, if  |   | word, takes or drops the result,  |
//!   | the cache is full, unmaps     |   | then cache::put or munmap         |
//!   | itself and exits in one asm   |   | (handle.rs, free_mapping)         |
//!   | sequence (exit_and_free)      |   |                                   |
//!   +-------------------------------+   +-----------------------------------+
//!                   |                                   |
//!                   v                                   v
//!                   +-----------------------------------+
//!                   | CACHED          owner: cache.rs   |  a spawn of the same shape takes
//!                   |                                   |  it once its CLEARTID word is 0;
//!                   +-----------------------------------+  release_cached_stacks() waits
//!                                                          for that, then unmaps it
//! ```
//!
//! | step | who may free the mapping | code |
//! |---|---|---|
//! | spawning | the spawner | `mapping.rs` (`Mapping`) |
//! | running | nobody: the thread runs on it, the handle may still read the result | `start.rs`, `handle.rs` |
//! | finished | whoever came second to the exit/detach swap | `lifecycle.rs` decides; `start.rs` or `handle.rs` frees |
//! | cached | the cache, until a spawn takes it (back to spawning) | `cache.rs` |
//!
//! What the kernel does, and when (man 2 clone, kernel/fork.c): with CLONE_PARENT_SETTID it
//! stores the new tid in `Tcb::tid` before the thread can run (and before `clone` returns), so
//! `current().tid()` is right from the thread's first instruction, in a signal handler too,
//! and stays right after it exits; with CLONE_CHILD_CLEARTID it zeroes `Tcb::ctid` and does a
//! shared futex wake when the thread has left its stack for good (mm_release), which is what
//! `join` and the cache wait for. Scoped threads also count themselves out of their scope
//! (`scope::thread_done`) after their last use of borrowed data.
//!
//! The registry (`registry.rs`) follows the same steps: the spawner links the new control
//! block before `clone` and holds the registry lock across it (so a stop-the-world never misses
//! a starting thread); the thread, once its closure has returned, only marks itself `exited`
//! under its own lock (`start.rs`, `leave_registry`: no global lock, so many threads can end at
//! once), and walkers skip it from then on. It stays linked until its mapping is freed: whoever
//! frees it (the handle's `free_mapping`, or the detached thread itself) first unlinks it and
//! waits until nobody who found it in the registry still holds a pin on it
//! (`registry::forget`), so nothing that reaches a thread through the registry ever reads a
//! freed or reused mapping. Thread control (`control.rs`) reaches threads only through the registry.
//!
//! The main thread's control block lives in a mapping of its own that is never freed
//! (`init_main_thread`); it is the registry's first member.
//!
//! # How a thread ends, step by step
//!
//! 1. Its closure returns (a cancelled thread's closure returns too), and `thread_start` writes
//!    the result into the packet; or the thread calls `thread::exit()`, which abandons its
//!    frames and leaves no result (`Tcb::exit.no_result`, so `join` gives `JoinError::Exited`).
//! 2. It marks itself exiting, so nobody may start borrowing its thread-locals any more
//!    (`Thread::local_ref`), and waits for those who are (`remote_tls::begin_exit`).
//!    Its exit hooks run, newest first: `thread_local!` destructors and `ExitHook`s, in rounds
//!    while running hooks register new ones, at most `EXIT_HOOK_ROUNDS` rounds
//!    (`exit_hooks.rs`). The thread is still wholly itself here: its tid, name, lock and
//!    thread-locals all work (values already destroyed answer `Err(AccessError::Destroyed)`).
//! 3. `exited` is set under the Tcb's lock and in the registry entry (`leave_registry`); then
//!    the exit/detach decision (`lifecycle.rs`). The entry is removed by whoever frees the
//!    mapping (step 6), after the last pin on it is dropped.
//! 4. If the thread owns its mapping (it was detached), it drops its result (if any), then runs
//!    the hooks that drop registered (usually none).
//! 5. A scoped thread counts itself out of its scope (`scope::thread_done`).
//! 6. The mapping goes to the cache or is unmapped, by the thread (detached) or by its handle
//!    once the kernel has cleared the CLEARTID word (the table above).
//!
//! The thread that calls `rt::exit` (the main thread when `main` returns, or `thread::exit()`
//! on the main thread) runs step 2 for itself, then the process's at-exit handlers and
//! `.fini_array`, then `exit_group` (glibc's order). The other threads run no hooks: the kernel
//! ends them where they are.
//!
//! # Identity and names
//!
//! `current()` and `JoinHandle::thread()` read the tid and the name without a lock (the name
//! through `name::NameCell`), so a signal handler may call `current()` whatever its thread was
//! doing. Renames (`set_name`, `JoinHandle::set_name`, the new thread's start-up `prctl`) take
//! the `Tcb`'s lock, so the kernel's name and strand's always agree once they are done.

mod cache;
mod cancel;
mod cancel_point;
pub(crate) mod control;
mod exit_hooks;
mod handle;
mod layout;
mod lifecycle;
mod local;
mod mapping;
mod name;
mod parallelism;
mod park;
mod registry;
mod remote_tls;
mod scope;
mod session;
mod start;
mod stop;
mod tcb;

pub use cache::release_cached_stacks;
pub use cancel::{check_cancel, disable_cancel, Cancelled, NoCancel};
pub(crate) use cancel::cancel_word;
pub use exit_hooks::{exit, AlreadyRegistered, ExitHook, EXIT_HOOK_ROUNDS};
pub(crate) use exit_hooks::run_current as run_exit_hooks;
#[doc(hidden)]
pub use local::Local as __Local;
pub use local::{AccessError, LocalKey};
pub use handle::{JoinError, JoinHandle, TerminateError};
/// The panic a thread ended with (`JoinError::Panicked`, feature `unwind`).
#[cfg(feature = "unwind")]
pub use crate::panic::Panic;
pub use name::{NameError, ThreadName};
pub use control::{
    set_control_signal, stop_the_world, with_interrupts, without_interrupts, interrupts_deferred, ControlError,
    StoppedThread, Suspended, WorldStopped, QUEUE_LEN,
};
pub use parallelism::available_parallelism;
pub use registry::{find, for_each_thread, thread_count, ThreadInfo};
pub use remote_tls::{LocalError, LocalRef};
pub(crate) use remote_tls::begin_exit;
pub use scope::{scope, Scope, ScopedJoinHandle};
pub use session::{Foreground, Session, SessionError, TerminateReport};
pub(crate) use tcb::Tcb;

use crate::arch;
use crate::errno::Errno;
use crate::futex;
use crate::rt;
use crate::signal::{self, SigSet};
use crate::syscall;
use crate::tls;
use core::alloc::Layout;
use core::fmt;
use core::mem::{ManuallyDrop, MaybeUninit};
use core::ptr;
use core::sync::atomic::AtomicU32;
use core::sync::atomic::Ordering::Release;
use core::time::Duration;
use handle::free_mapping;
use crate::arch::sys::general as g;
use crate::arch::sys::prctl::{PR_GET_NAME, PR_SET_NAME};
use mapping::{origin_of, Mapping};

/// Stack size when neither the builder nor PT_GNU_STACK asks for one (Rust std's default).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let h = strand::thread::spawn(|| ()).unwrap();
/// h.join().unwrap();
/// assert_eq!(strand::thread::DEFAULT_STACK_SIZE, 2 << 20);
/// # }
/// ```
pub const DEFAULT_STACK_SIZE: usize = 2 << 20;
/// The smallest stack strand gives a thread; smaller requests are rounded up to it (glibc's
/// PTHREAD_STACK_MIN is 16 KiB on x86_64). The kernel's AT_MINSIGSTKSZ is added on top.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// // A tiny request is rounded up, so the thread still runs.
/// let h = strand::thread::Builder::new().stack_size(1).spawn(|| 1).unwrap();
/// assert_eq!(h.join().ok(), Some(1));
/// assert!(strand::thread::MIN_STACK_SIZE >= 16 << 10);
/// # }
/// ```
pub const MIN_STACK_SIZE: usize = 16 << 10;

/// Why a spawn failed. A failed spawn has unmapped the memory it mapped; a mapping it took from
/// the stack cache has gone back to the cache, ready for the next spawn.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::thread::{Builder, ConfigError, SpawnError};
/// let e = Builder::new().stack_size(usize::MAX).spawn(|| ()).unwrap_err();
/// assert_eq!(e, SpawnError::InvalidConfig(ConfigError::SizeOverflow));
/// assert_eq!(e.errno(), None);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// `clone` said EAGAIN: RLIMIT_NPROC, the pid or thread limit (`threads-max`, cgroup
    /// `pids.max`).
    ThreadLimit(Errno),
    /// ENOMEM from `mmap`, `mprotect` or `clone`: address space (RLIMIT_AS), the map count
    /// limit (`vm.max_map_count`) or memory.
    OutOfMemory {
        /// The syscall that failed.
        syscall: &'static str,
        /// Its error (ENOMEM).
        errno: Errno,
    },
    /// The builder's settings cannot describe a thread.
    InvalidConfig(ConfigError),
    /// Any other error from the named syscall.
    Os {
        /// The syscall that failed.
        syscall: &'static str,
        /// Its error.
        errno: Errno,
    },
}

/// Why a [`Builder`]'s settings cannot describe a thread (inside [`SpawnError::InvalidConfig`]).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::thread::{Builder, ConfigError, NameError, SpawnError};
/// let e = Builder::new().name("a-name-longer-than-15").spawn(|| ()).unwrap_err();
/// assert_eq!(e, SpawnError::InvalidConfig(ConfigError::Name(NameError::TooLong { len: 21 })));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// Stack plus guard plus TLS does not fit in the address space.
    SizeOverflow,
    /// `Builder::name` was given a name Linux cannot hold (too long, or with a NUL byte).
    Name(NameError),
    /// The mask would block a synchronous signal (a fault would then kill the process) or
    /// strand's control signal (`stop_the_world` would wait for the thread forever).
    MasksReservedSignal,
}

impl SpawnError {
    fn from_errno(syscall: &'static str, errno: Errno) -> SpawnError {
        match errno {
            Errno::EAGAIN if syscall == "clone" => SpawnError::ThreadLimit(errno),
            Errno::ENOMEM => SpawnError::OutOfMemory { syscall, errno },
            _ => SpawnError::Os { syscall, errno },
        }
    }

    /// The errno behind the error, if a syscall failed.
    pub fn errno(&self) -> Option<Errno> {
        match *self {
            SpawnError::ThreadLimit(e) | SpawnError::OutOfMemory { errno: e, .. } | SpawnError::Os { errno: e, .. } => {
                Some(e)
            }
            SpawnError::InvalidConfig(_) => None,
        }
    }
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::ThreadLimit(e) => write!(f, "thread limit reached: clone failed with {e}"),
            SpawnError::OutOfMemory { syscall, errno } => write!(f, "out of memory: {syscall} failed with {errno}"),
            SpawnError::InvalidConfig(ConfigError::SizeOverflow) => {
                f.write_str("invalid thread configuration: stack, guard and TLS sizes overflow the address space")
            }
            SpawnError::InvalidConfig(ConfigError::Name(e)) => write!(f, "invalid thread configuration: {e}"),
            SpawnError::InvalidConfig(ConfigError::MasksReservedSignal) => f.write_str(
                "invalid thread configuration: the signal mask blocks a synchronous signal or the control signal",
            ),
            SpawnError::Os { syscall, errno } => write!(f, "{syscall} failed with {errno}"),
        }
    }
}

/// Thread settings.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::thread::Builder;
/// let h = Builder::new()
///     .name("worker")
///     .stack_size(64 << 10)
///     .guard_size(4096)
///     .spawn(|| strand::thread::current().name().map(|n| n.len()))
///     .unwrap();
/// assert_eq!(h.join().ok(), Some(Some(6)));
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Builder {
    stack_size: Option<usize>,
    guard_size: Option<usize>,
    name: Option<Result<ThreadName, ConfigError>>,
    session: Option<&'static Session>,
    mask: Option<StartMask>,
}

/// The signal mask a thread is born with, relative to its spawner's or exact.
#[derive(Clone, Copy, Debug)]
enum StartMask {
    Edit { block: SigSet, unblock: SigSet },
    Exact(SigSet),
}

impl Builder {
    /// Settings with every default: the spawner's session and signal mask, a default-sized stack
    /// (PT_GNU_STACK or [`DEFAULT_STACK_SIZE`]), one guard page, no name.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Usable stack bytes (rounded up to 16 bytes and to at least `MIN_STACK_SIZE`).
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = Some(bytes);
        self
    }

    /// Guard bytes below the stack, rounded up to pages; 0 for none. Default: one page.
    pub fn guard_size(mut self, bytes: usize) -> Builder {
        self.guard_size = Some(bytes);
        self
    }

    /// The session the thread joins (default: the spawner's).
    pub fn session(mut self, s: &'static Session) -> Builder {
        self.session = Some(s);
        self
    }

    /// The thread starts with `set` blocked in addition to what its spawner blocks (the
    /// `Mask` of `signal::catch_signal`, for a thread that has not started yet). It is born
    /// with that mask: no handler of those signals runs in it, even before its first
    /// instruction (it is cloned with every signal blocked and sets its mask first). A synchronous
    /// signal or the control signal in `set` is refused by `spawn` (`MasksReservedSignal`).
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::signal::{self, SigSet, Signal};
    /// use strand::thread::Builder;
    /// let set = SigSet::of(&[Signal::USR1]);
    /// let h = Builder::new().block_signals(&set).spawn(|| signal::mask().unwrap().contains(Signal::USR1)).unwrap();
    /// assert_eq!(h.join().ok(), Some(true));
    /// // The spawner's own mask is unchanged.
    /// assert!(!signal::mask().unwrap().contains(Signal::USR1));
    /// # }
    /// ```
    pub fn block_signals(mut self, set: &SigSet) -> Builder {
        let (block, unblock) = self.edits();
        self.mask = Some(StartMask::Edit { block: block.union(set), unblock: unblock.difference(set) });
        self
    }

    /// The thread starts with `set` unblocked, whatever its spawner blocks (`Unmask`).
    pub fn unblock_signals(mut self, set: &SigSet) -> Builder {
        let (block, unblock) = self.edits();
        self.mask = Some(StartMask::Edit { block: block.difference(set), unblock: unblock.union(set) });
        self
    }

    /// The thread starts with exactly `set` blocked.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::signal::{self, SigSet, Signal};
    /// use strand::thread::Builder;
    /// let h = Builder::new()
    ///     .signal_mask(&SigSet::of(&[Signal::USR2]))
    ///     .unblock_signals(&SigSet::of(&[Signal::USR2]))
    ///     .spawn(|| signal::mask().unwrap().contains(Signal::USR2))
    ///     .unwrap();
    /// assert_eq!(h.join().ok(), Some(false));
    /// # }
    /// ```
    pub fn signal_mask(mut self, set: &SigSet) -> Builder {
        self.mask = Some(StartMask::Exact(*set));
        self
    }

    fn edits(&self) -> (SigSet, SigSet) {
        match self.mask {
            Some(StartMask::Edit { block, unblock }) => (block, unblock),
            // After an exact mask, edits start over from the spawner's.
            Some(StartMask::Exact(_)) | None => (SigSet::EMPTY, SigSet::EMPTY),
        }
    }

    /// The mask the thread starts with, given its spawner's; `Err` if it blocks a signal that
    /// must stay deliverable.
    fn start_mask(&self, spawner: &SigSet) -> Result<Option<SigSet>, ConfigError> {
        let mask = match self.mask {
            None => return Ok(None),
            Some(StartMask::Edit { block, unblock }) => spawner.union(&block).difference(&unblock),
            Some(StartMask::Exact(set)) => set,
        };
        let newly = mask.difference(spawner);
        if newly.iter().any(|s| s.is_synchronous() || s == control::control_signal()) {
            return Err(ConfigError::MasksReservedSignal);
        }
        Ok(Some(mask))
    }

    /// The thread's name: at most 15 bytes, no NUL; `spawn` refuses a bad one with
    /// `InvalidConfig(ConfigError::Name(_))`, the same [`NameError`] `set_name` returns.
    pub fn name(mut self, name: &str) -> Builder {
        self.name = Some(ThreadName::try_new(name).map_err(ConfigError::Name));
        self
    }

    /// Spawns a thread with these settings that runs `f`; its handle gives `f`'s result.
    pub fn spawn<F, T>(self, f: F) -> Result<JoinHandle<T>, SpawnError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // SAFETY: 'static closure and result: nothing they hold can dangle.
        unsafe { self.spawn_unchecked(f, ptr::null()) }
    }

    /// Spawns a thread with these settings in `scope` (see [`Scope::spawn`]): it may borrow
    /// from the caller's stack.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// let data = [1, 2, 3];
    /// strand::thread::scope(|s| {
    ///     let h = strand::thread::Builder::new().name("summer").spawn_scoped(s, || data.iter().sum::<i32>()).unwrap();
    ///     assert_eq!(h.join().ok(), Some(6));
    /// });
    /// # }
    /// ```
    pub fn spawn_scoped<'scope, 'env, F, T>(
        self,
        scope: &'scope Scope<'scope, 'env>,
        f: F,
    ) -> Result<ScopedJoinHandle<'scope, T>, SpawnError>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        scope.spawn_with(self, f)
    }

    /// # Safety
    /// Whatever `f` and its result borrow must outlive the thread's use of them: either they are
    /// 'static, or `scope` counts the thread and its owner waits for the count to reach zero.
    unsafe fn spawn_unchecked<F, T>(self, f: F, scope: *const AtomicU32) -> Result<JoinHandle<T>, SpawnError>
    where
        F: FnOnce() -> T + Send,
        T: Send,
    {
        let name = match self.name {
            Some(Ok(n)) => n,
            Some(Err(e)) => return Err(SpawnError::InvalidConfig(e)),
            None => ThreadName::empty(),
        };
        // A thread given a mask is cloned with every signal blocked, so that no handler runs
        // in it before it has set that mask (its first act); the spawner's own mask comes back
        // once `clone` has returned.
        let spawner_mask = match self.mask {
            Some(_) => Some(signal::block(&SigSet::FULL).map_err(|e| SpawnError::from_errno("rt_sigprocmask", e))?),
            None => None,
        };
        let _restore = spawner_mask.map(RestoreMask);
        let start_mask = match spawner_mask {
            Some(m) => self.start_mask(&m).map_err(SpawnError::InvalidConfig)?,
            None => None,
        };
        let mapping = Mapping::create(&self, Layout::new::<Packet<F, T>>(), name, scope)?;
        mapping.tcb().start_mask.set(start_mask);
        let packet = mapping.tcb().packet as *mut Packet<F, T>;
        // SAFETY: the packet slot is sized and aligned for Packet<F, T> and not yet in use.
        unsafe { packet.write(Packet { f: ManuallyDrop::new(f) }) };
        session::join_at_spawn(mapping.tcb(), self.session);
        let started = {
            // In the registry before `clone`, and the lock held across it, so that whoever
            // walks the registry (a stop-the-world) never misses a thread that is starting.
            let mut registry = registry::lock();
            registry.link(mapping.tcb());
            // A router's signals stay blocked in a thread that inherits its spawner's mask (and
            // are unblocked again when the router stops); an exact mask is the caller's own.
            // Read inside this section, where no stop can change the record (or the mask
            // `clone` copies) between the read and the `clone`.
            let routed = Tcb::current().routed.get();
            mapping.tcb().routed.set(match self.mask {
                None => routed,
                Some(StartMask::Edit { block, unblock }) => routed.difference(&block).difference(&unblock),
                Some(StartMask::Exact(_)) => SigSet::EMPTY,
            });
            // Asked once per process, before the first thread can ask (see `start::thread_start`).
            let _ = crate::futex::robust::lacks_robust_list();
            let r = mapping.clone_thread(start::thread_start::<F, T>);
            if r.is_err() {
                registry.unlink(mapping.tcb());
                session::count_out(mapping.tcb());
            }
            r
        };
        match started {
            // SAFETY: the thread runs, with a Packet<F, T>; the handle shares its mapping.
            Ok(()) => Ok(unsafe { JoinHandle::new(mapping.tcb) }),
            Err(e) => {
                // SAFETY: the thread never ran, so the closure is still in the packet.
                unsafe { ManuallyDrop::drop(&mut (*packet).f) };
                mapping.abandon();
                Err(e)
            }
        }
    }
}

/// Puts the spawner's signal mask back when dropped.
struct RestoreMask(SigSet);

impl Drop for RestoreMask {
    fn drop(&mut self) {
        let _ = signal::set_mask(&self.0);
    }
}

/// The closure, replaced by its result once it has run.
#[repr(C)]
union Packet<F, T> {
    f: ManuallyDrop<F>,
    result: ManuallyDrop<MaybeUninit<T>>,
}

/// Spawns a thread with the default settings.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let h = strand::thread::spawn(|| "done").unwrap();
/// assert_eq!(h.join().ok(), Some("done"));
/// # }
/// ```
pub fn spawn<F, T>(f: F) -> Result<JoinHandle<T>, SpawnError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new().spawn(f)
}

/// A thread: its identity (kernel tid, serial number) and its name when this was taken.
/// Taking one takes no lock (see "Identity and names" above). It also names the thread for
/// thread control (`run_in`, `interrupt`, `suspend`), which first finds it in the registry by
/// control block and serial number, so a `Thread` of a thread that has exited is refused
/// (`ControlError::Exited`), never confused with whoever reused its tid or its memory.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let me = strand::thread::current();
/// assert_eq!(me.tid(), strand::thread::current_tid());
/// assert_eq!(me.generation(), 1); // the main thread
/// assert!(!me.has_exited());
/// let h = strand::thread::spawn(|| strand::thread::current()).unwrap();
/// let child = h.join().unwrap();
/// assert!(child.generation() > 1 && child.has_exited());
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Thread {
    tid: i32,
    name: ThreadName,
    tcb: *const Tcb,
    serial: u64,
}

// SAFETY: `tcb` is only dereferenced after the registry has found it linked, under its lock or
// a pin (`registry`), from any thread.
unsafe impl Send for Thread {}
// SAFETY: as above.
unsafe impl Sync for Thread {}

impl Thread {
    fn of(tcb: &Tcb) -> Thread {
        Thread { tid: tcb.tid(), name: tcb.name.load(), tcb, serial: tcb.links.serial.get() }
    }

    /// The thread's serial number: unique for the life of the process (1 is the main thread),
    /// unlike its tid (which the kernel reuses) and its stack (which strand reuses).
    pub fn generation(&self) -> u64 {
        self.serial
    }

    /// Whether the thread has finished: it has finished (or called `thread::exit`).
    pub fn has_exited(&self) -> bool {
        registry::has_exited(self)
    }

    /// The kernel thread id (kept after the thread has finished; the kernel may then reuse it).
    pub fn tid(&self) -> i32 {
        self.tid
    }

    /// The thread's name when this `Thread` was taken, if it had one.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// strand::thread::set_name("main-loop").unwrap();
    /// assert_eq!(strand::thread::current().name(), Some("main-loop"));
    /// # }
    /// ```
    pub fn name(&self) -> Option<&str> {
        (!self.name.is_empty()).then(|| self.name.as_str())
    }

    /// Gives the thread its park token (Rust std's semantics): its `park` in progress returns,
    /// or else its next one returns at once. Tokens do not add up. A thread that has exited is
    /// left alone: the token goes to its control block only while the registry pins it
    /// (`registry`), never to a freed or reused mapping. Unparking another thread takes the
    /// registry lock to find it; unparking oneself does not.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use core::sync::atomic::{AtomicBool, Ordering::{Acquire, Release}};
    /// static DONE: AtomicBool = AtomicBool::new(false);
    /// let main = strand::thread::current();
    /// let h = strand::thread::spawn(move || {
    ///     DONE.store(true, Release);
    ///     main.unpark();
    /// }).unwrap();
    /// while !DONE.load(Acquire) {
    ///     strand::thread::park();
    /// }
    /// h.join().unwrap();
    /// # }
    /// ```
    pub fn unpark(&self) {
        let me = Tcb::current();
        if ptr::eq(self.tcb, me) && self.serial == me.links.serial.get() {
            return me.park.unpark();
        }
        if let Some(pin) = registry::pin(self) {
            pin.tcb().park.unpark();
        }
    }
}

/// Blocks the calling thread until its park token is there (see `Thread::unpark`), and takes
/// it. Unlike std's, it never returns without the token: a signal or a spurious futex wake-up
/// puts it back to sleep.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::sync::atomic::{AtomicBool, Ordering::{Acquire, Release}};
/// static READY: AtomicBool = AtomicBool::new(false);
/// let h = strand::thread::spawn(|| {
///     while !READY.load(Acquire) {
///         strand::thread::park(); // returns only with a token
///     }
/// }).unwrap();
/// READY.store(true, Release);
/// h.thread().unpark();
/// h.join().unwrap();
/// # }
/// ```
pub fn park() {
    Tcb::current().park.park();
}

/// `park`, for at most `timeout`. Returns when it took the token or the time ran out (a signal
/// does not cut the wait short).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::time::Duration;
/// // A token given beforehand makes the next park return at once.
/// strand::thread::current().unpark();
/// strand::thread::park();
/// // No token: it returns when the time runs out.
/// let start = strand::time::Instant::now();
/// strand::thread::park_timeout(Duration::from_millis(2));
/// assert!(start.elapsed() >= Duration::from_millis(2));
/// # }
/// ```
pub fn park_timeout(timeout: Duration) {
    Tcb::current().park.park_timeout(timeout);
}

impl fmt::Debug for Thread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Thread").field("tid", &self.tid).field("generation", &self.serial).field("name", &self.name()).finish()
    }
}

/// The calling thread. Async-signal-safe: it takes no lock, so a signal handler may call it
/// whatever the thread it interrupted was doing (README, "Async-signal-safe calls").
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let h = strand::thread::spawn(|| strand::thread::current().tid()).unwrap();
/// let tid = h.thread().tid();
/// assert_eq!(h.join().ok(), Some(tid));
/// # }
/// ```
pub fn current() -> Thread {
    Thread::of(Tcb::current())
}

/// The calling thread's kernel tid, from its control block (no syscall). Async-signal-safe.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// assert_eq!(strand::thread::current_tid(), strand::syscall::gettid());
/// # }
/// ```
#[inline]
pub fn current_tid() -> i32 {
    Tcb::current_tid()
}

/// `sleep`, as a cancellation point: `Err(Cancelled)` as soon as the thread is cancelled
/// (see `Thread::cancel`), whether before or during the sleep.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::time::Duration;
/// let h = strand::thread::spawn(|| strand::thread::sleep_cancellable(Duration::from_secs(60))).unwrap();
/// h.thread().cancel().unwrap();
/// assert_eq!(h.join().ok(), Some(Err(strand::thread::Cancelled)));
/// # }
/// ```
pub fn sleep_cancellable(d: Duration) -> Result<(), Cancelled> {
    let Some(mut req) = futex::timespec(d) else {
        loop {
            sleep_cancellable(Duration::from_secs(i64::MAX as u64))?;
        }
    };
    loop {
        let mut rem = syscall::Timespec { tv_sec: 0, tv_nsec: 0 };
        match syscall::clock_nanosleep_cancellable(g::CLOCK_MONOTONIC, &req, &mut rem) {
            Err(Errno::EINTR) => req = rem,
            Err(Errno::ECANCELED) => return Err(Cancelled),
            _ => return Ok(()),
        }
    }
}

/// Names the calling thread (`prctl(PR_SET_NAME)`). `NameError::TooLong` past 15 bytes,
/// `ContainsNul` for a NUL byte (the errors `Builder::name` gives at spawn). Not
/// async-signal-safe: it takes the control block's lock, which the interrupted code may hold.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// strand::thread::set_name("io-thread").unwrap();
/// assert_eq!(strand::thread::kernel_name().unwrap().as_str(), "io-thread");
/// use strand::thread::NameError;
/// assert_eq!(strand::thread::set_name("a-name-longer-than-15"), Err(NameError::TooLong { len: 21 }));
/// # }
/// ```
pub fn set_name(name: &str) -> Result<(), NameError> {
    let name = ThreadName::try_new(name)?;
    let tcb = Tcb::current();
    let renames = tcb.shared.lock();
    syscall::prctl(PR_SET_NAME, name.as_c_bytes().as_ptr() as usize)?;
    // SAFETY: renames happen under the lock we hold.
    unsafe { tcb.name.store(name) };
    drop(renames);
    Ok(())
}

/// The calling thread's name as the kernel has it (`prctl(PR_GET_NAME)`).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let h = strand::thread::Builder::new().name("named").spawn(|| strand::thread::kernel_name()).unwrap();
/// assert_eq!(h.join().unwrap().unwrap().as_str(), "named");
/// # }
/// ```
pub fn kernel_name() -> Result<ThreadName, Errno> {
    let mut buf = [0u8; 16];
    syscall::prctl(PR_GET_NAME, buf.as_mut_ptr() as usize)?;
    let len = buf.iter().position(|&b| b == 0).unwrap_or(15);
    let s = core::str::from_utf8(&buf[..len]).map_err(|_| Errno::EINVAL)?;
    ThreadName::new(s).ok_or(Errno::EINVAL)
}

/// Gives up the CPU to another runnable thread, if any (`sched_yield`).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// strand::thread::yield_now();
/// # }
/// ```
pub fn yield_now() {
    syscall::sched_yield()
}

/// Sleeps for at least `d` (CLOCK_MONOTONIC), resuming after signal handlers.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::time::Duration;
/// let start = strand::time::Instant::now();
/// strand::thread::sleep(Duration::from_millis(3));
/// assert!(start.elapsed() >= Duration::from_millis(3));
/// # }
/// ```
pub fn sleep(d: Duration) {
    let Some(mut req) = futex::timespec(d) else {
        // Longer than the clock can express: sleep "forever", in the longest steps it can.
        loop {
            sleep(Duration::from_secs(i64::MAX as u64));
        }
    };
    loop {
        let mut rem = syscall::Timespec { tv_sec: 0, tv_nsec: 0 };
        match syscall::clock_nanosleep(g::CLOCK_MONOTONIC, 0, &req, Some(&mut rem)) {
            Err(Errno::EINTR) => req = rem,
            _ => return,
        }
    }
}

/// Sets up the main thread's TLS area and control block. Called once by start-up.
#[cfg_attr(test, allow(dead_code))]
pub(crate) fn init_main_thread() -> Result<(), Errno> {
    let p = rt::process();
    let page = p.auxv.pagesz;
    // One mapping, never freed: [guard page][alternate signal stack][TLS area + alignment slack].
    let alt = tls::align_up(signal::alt_stack_size(), page).ok_or(Errno::ENOMEM)?;
    let area_len = p.area.size + p.area.align;
    let base = syscall::mmap_anon(page + alt + area_len, g::PROT_READ | g::PROT_WRITE, 0)?;
    // SAFETY: the first page of the fresh mapping.
    unsafe { syscall::mprotect(base, page, g::PROT_NONE)? };
    let area = origin_of(base.wrapping_add(page + alt), p.area.align);
    // SAFETY: the area fits in the fresh mapping (size + alignment slack).
    unsafe {
        tls::init_block(area, &p.area, &p.program.tls);
        let tcb = area.add(p.area.tcb) as *mut Tcb;
        Tcb::init(tcb, ThreadName::new("main").expect("valid name"));
        Errno::result(arch::set_thread_pointer(area.add(p.area.tp)))?;
        // The main thread's CLEARTID word: the kernel zeroes it and wakes a futex there if the
        // main thread exits while others go on (man 2 set_tid_address). set_tid_address
        // returns the caller's tid.
        let tid = syscall::set_tid_address((*tcb).ctid.as_ptr());
        (*tcb).ctid.store(tid as u32, Release);
        (*tcb).tid.store(tid, Release);
        let (lo, top) = main_stack(p.argv as usize);
        (*tcb).links.stack.set((lo, top));
        // The kernel grows the main stack until RLIMIT_STACK, counted from the top of its
        // mapping (mm/mmap.c, acct_stack_growth), which lies a little above `top` (argument and
        // environment strings); QEMU user mode maps a fixed stack of that size from a little
        // above `top`, with a guard page below. Either way an overflow faults between the page
        // below `lo` and `lo` plus the size of those strings: 1 MiB here. Nothing else is
        // mapped there (the kernel keeps the stack's RLIMIT_STACK free of mmaps), but right
        // below it may be (under QEMU a 32-bit guest's mmaps come close): that stays out.
        let strings = 256 * page;
        (*tcb).fault = signal::fault::Stacks { guard: (lo.saturating_sub(page), lo.saturating_add(strings).min(top)), alt_stack: (base as usize + page, alt) };
        signal::fault::enable_alt_stack(&(*tcb).fault)?;
        registry::lock().link(&*tcb);
    }
    Ok(())
}

/// The range the main thread's stack may use: it ends at the start-up stack pointer (`top`,
/// just above `argc`; only argument and environment strings lie above) and reaches down as far
/// as RLIMIT_STACK lets it grow, at most 8 MiB (an unlimited or unreadable limit counts as
/// 8 MiB, the usual default).
fn main_stack(top: usize) -> (usize, usize) {
    const CAP: u64 = 8 << 20;
    let mut lim = [0u64; 2];
    // SAFETY: prlimit64(0, RLIMIT_STACK, NULL, &old) writes two u64 into `lim` (man 2 prlimit).
    let r = unsafe { syscall::sys!(g::__NR_prlimit64, 0, g::RLIMIT_STACK, 0, lim.as_mut_ptr()) };
    let size = if Errno::result(r).is_ok() { lim[0].min(CAP) } else { CAP };
    (top.saturating_sub(size as usize), top)
}

/// A fixed-size path builder for procfs and cgroupfs paths (no allocator).
pub(crate) struct PathBuf {
    buf: [u8; 512],
    len: usize,
}

impl PathBuf {
    pub(crate) fn new() -> PathBuf {
        PathBuf { buf: [0; 512], len: 0 }
    }

    /// Appends bytes; `false` (and nothing appended) if they do not fit.
    pub(crate) fn try_push(&mut self, s: &[u8]) -> bool {
        if self.len + s.len() >= self.buf.len() {
            return false;
        }
        self.buf[self.len..self.len + s.len()].copy_from_slice(s);
        self.len += s.len();
        true
    }

    /// Appends bytes of a short fixed path.
    pub(crate) fn push(&mut self, s: &[u8]) {
        assert!(self.try_push(s), "path too long");
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        self.buf[len..self.len].fill(0);
        self.len = len;
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn push_int(&mut self, mut n: u32) {
        let mut digits = [0u8; 10];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(&digits[i..]);
    }

    pub(crate) fn as_cstr(&self) -> &core::ffi::CStr {
        core::ffi::CStr::from_bytes_until_nul(&self.buf[..=self.len]).expect("NUL-terminated")
    }
}
