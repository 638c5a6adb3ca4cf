//! The thread control block: strand's per-thread record, at a fixed offset from the thread
//! pointer so a thread finds its own with one register read.

use super::exit_hooks::ThreadExit;
use super::lifecycle::Lifecycle;
use super::name::{NameCell, ThreadName};
use crate::arch;
use super::control::Control;
use super::registry::Links;
use crate::signal::SigSet;
use crate::sync::internal::InternalMutex;
use crate::tls;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU32};
use static_assertions::const_assert_eq;

/// What other threads may read or change under the Tcb's lock. The lock also serialises every
/// rename: whoever holds it may write `Tcb::name` and tell the kernel the name.
pub(crate) struct Shared {
    /// Set (under the lock) just before the thread exits: its tid may be reused from then on,
    /// so nobody may address it by tid any more (`JoinHandle::signal` and `set_name` check it
    /// under the lock, so the thread cannot exit between their check and their syscall).
    pub exited: bool,
    /// Set (under the lock) when the thread begins to exit, before its exit hooks and
    /// thread-local destructors run: from then on nobody may borrow its thread-locals
    /// (`remote_tls`).
    pub exiting: bool,
}

#[repr(C)]
pub struct Tcb {
    /// The words at the thread pointer that variant II psABIs define and compilers address
    /// directly (glibc's `tcbhead_t`): word 0 points at itself (`mov %fs:0` reads the thread
    /// pointer back on x86), word 5 is the stack-protector canary (`%fs:0x28`, `%gs:0x14`,
    /// s390x and sparc64 TP+0x28). strand keeps its own fields clear of all of them.
    pub(crate) abi_head: [usize; arch::TCB_HEAD_WORDS],
    /// The kernel's CLONE_CHILD_CLEARTID word: nonzero while the thread may still run on its
    /// mapping; the kernel zeroes it and does a shared futex wake once the thread is gone
    /// (kernel/fork.c, mm_release). The spawner sets it to `RUNNING` before `clone`; for the
    /// main thread it holds the tid (`set_tid_address`).
    pub(crate) ctid: AtomicU32,
    /// The thread's tid: the kernel stores it here (CLONE_PARENT_SETTID) before the thread
    /// runs its first instruction, and nobody changes it afterwards, so it is right from that
    /// instruction on and stays right after the thread has exited. 0 before `clone`.
    pub(crate) tid: AtomicI32,
    /// The thread's name, readable without a lock (see `name`).
    pub(crate) name: NameCell,
    pub(crate) lifecycle: Lifecycle,
    pub(crate) panicking: AtomicBool,
    pub(crate) shared: InternalMutex<Shared>,
    /// The thread's place in the registry, its serial number and its stack bounds.
    pub(crate) links: Links,
    /// Requests from other threads (stop, calls) and the no-interrupt section depth.
    pub(crate) control: Control,
    /// The thread's session (null: the main session); set before `clone`.
    pub(crate) session: AtomicPtr<super::session::Session>,
    /// Its place in its session's queue for the foreground (0: not waiting).
    pub(crate) fg_ticket: AtomicU32,
    /// The whole mapping (guard, stack, packet, TLS area); null for the main thread's area,
    /// which is never freed.
    pub(crate) map_base: *mut u8,
    pub(crate) map_len: usize,
    /// How the mapping was laid out, for reusing it (see `cache`).
    pub(crate) map_guard: usize,
    pub(crate) map_origin_align: usize,
    /// The closure, then its result (a `Packet<F, T>`).
    pub(crate) packet: *mut u8,
    /// A scoped thread's count of running threads in its scope, else null.
    pub(crate) scope: *const AtomicU32,
    /// The signal mask the thread is to run its closure with, when its `Builder` set one: the
    /// spawner writes it before `clone` (and clones with every signal blocked), the thread sets
    /// it as its first act (`start::thread_start`).
    pub(crate) start_mask: core::cell::Cell<Option<SigSet>>,
    /// The signals `signal::Router` blocked in this thread (those it had not blocked itself),
    /// which stopping the router unblocks again. Written by the thread's spawner before
    /// `clone`, and by a router starting or stopping: for itself, or for this thread while the
    /// world is stopped (`control::edit_every_mask`).
    pub(crate) routed: core::cell::Cell<SigSet>,
    /// Its stack guard and alternate signal stack (`signal::fault`); written before it runs.
    pub(crate) fault: crate::signal::fault::Stacks,
    /// Exit hooks (thread-local destructors) and whether the thread ended with no result
    /// (`exit_hooks.rs`).
    pub(crate) exit: ThreadExit,
    /// The robust mutexes the thread holds (`sync::robust`), set up on its first robust lock.
    pub(crate) robust: crate::sync::robust::RobustList,
    /// The thread's park token (`thread::park`, `Thread::unpark`).
    pub(crate) park: super::park::Parker,
    /// The address of a condition variable's word this thread owes one wake, paid at its next
    /// slow-path mutex unlock (`sync::mutex`, `RawMutex::owe_wake`); 0: none.
    pub(crate) owed_wake: core::sync::atomic::AtomicUsize,
    /// The exception this thread has in flight, and the panic its closure ended with (feature
    /// `unwind`, `unwind.rs`).
    #[cfg(all(strand_unwinding, not(test)))]
    pub(crate) unwind: crate::unwind::Slot,
    /// The words right below a variant I thread pointer (minus its bias) that psABIs define:
    /// the stack-protector canary at TP-0x7010 on powerpc64 and TP-0x7008 on powerpc.
    pub(crate) abi_tail: [usize; arch::TCB_TAIL_WORDS],
}

// Variant II requires the self-pointer at offset 0 of the block the thread pointer points at.
const_assert_eq!(core::mem::offset_of!(Tcb, abi_head), 0);

impl Tcb {
    /// Writes a fresh control block at `at`.
    ///
    /// # Safety
    /// `at` must be valid for writes of a `Tcb` and suitably aligned.
    pub(crate) unsafe fn init(at: *mut Tcb, name: ThreadName) {
        // SAFETY: per the contract.
        unsafe {
            at.write(Tcb {
                abi_head: {
                    let mut h = [0; arch::TCB_HEAD_WORDS];
                    h[0] = at as usize;
                    h
                },
                ctid: AtomicU32::new(0),
                tid: AtomicI32::new(0),
                name: NameCell::new(name),
                lifecycle: Lifecycle::new(),
                panicking: AtomicBool::new(false),
                shared: InternalMutex::new(Shared { exited: false, exiting: false }),
                links: Links::new(),
                control: Control::new(),
                session: AtomicPtr::new(core::ptr::null_mut()),
                fg_ticket: AtomicU32::new(0),
                map_base: core::ptr::null_mut(),
                map_len: 0,
                map_guard: 0,
                map_origin_align: 0,
                packet: core::ptr::null_mut(),
                scope: core::ptr::null(),
                start_mask: core::cell::Cell::new(None),
                routed: core::cell::Cell::new(SigSet::EMPTY),
                fault: crate::signal::fault::Stacks { guard: (0, 0), alt_stack: (0, 0) },
                exit: ThreadExit::new(),
                robust: crate::sync::robust::RobustList::new(),
                park: super::park::Parker::new(),
                owed_wake: core::sync::atomic::AtomicUsize::new(0),
                #[cfg(all(strand_unwinding, not(test)))]
                unwind: crate::unwind::Slot::new(),
                abi_tail: [0; arch::TCB_TAIL_WORDS],
            });
            // Every thread carries the process's canary, copied from its creator.
            crate::stack_guard::init_tcb(at);
        }
    }

    /// The calling thread's control block.
    #[inline(always)]
    pub(crate) fn current() -> &'static Tcb {
        let tp = arch::thread_pointer();
        let off = tls::tcb_offset_from_tp(arch::TLS, core::mem::size_of::<Tcb>());
        // SAFETY: every strand thread (and the main thread, from start-up on) has its Tcb at
        // this offset from its thread pointer, alive while the thread runs.
        unsafe { &*(tp.wrapping_offset(off) as *const Tcb) }
    }

    /// The calling thread's tid, in as few instructions as its ABI allows (one `%fs`-relative
    /// load on x86_64): what the uncontended `Mutex` names its holder with.
    #[inline(always)]
    pub(crate) fn current_tid() -> i32 {
        const TID_FROM_TP: isize = tls::tcb_offset_from_tp(arch::TLS, core::mem::size_of::<Tcb>())
            + core::mem::offset_of!(Tcb, tid) as isize;
        arch::load_tp_u32::<TID_FROM_TP>() as i32
    }

    /// The thread's tid (0 only before `clone`). Relaxed: the kernel wrote it before the
    /// thread ran, and anyone else reaches the Tcb through a handle made after `clone` returned.
    #[inline]
    pub(crate) fn tid(&self) -> i32 {
        self.tid.load(core::sync::atomic::Ordering::Relaxed)
    }

    /// The words `clone` is given for this thread: `ptid` for CLONE_PARENT_SETTID (the identity
    /// word) and `ctid` for CLONE_CHILD_CLEARTID (the exit word), which is set to `RUNNING`
    /// first, so that a joiner or the stack cache never mistakes a thread that has not started
    /// yet for one that is gone.
    pub(crate) fn clone_words(&self) -> CloneWords {
        self.ctid.store(RUNNING, core::sync::atomic::Ordering::Relaxed);
        CloneWords { ptid: self.tid.as_ptr(), ctid: self.ctid.as_ptr() }
    }

    /// `clone` failed: no thread will ever clear the exit word, so clear it here.
    pub(crate) fn clone_failed(&self) {
        self.ctid.store(0, core::sync::atomic::Ordering::Release);
    }
}

/// What a spawned thread's CLEARTID word holds until the kernel zeroes it. Not a tid (those
/// stay below 2^30, FUTEX_TID_MASK, include/uapi/linux/futex.h): identity lives in `Tcb::tid`.
const RUNNING: u32 = u32::MAX;

/// The two words the kernel writes for a new thread (man 2 clone).
pub(crate) struct CloneWords {
    pub ptid: *mut i32,
    pub ctid: *mut u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::MaybeUninit;
    use core::sync::atomic::Ordering::Relaxed;

    /// A control block as the spawner leaves it just before `clone`, and the words it gives
    /// the kernel.
    fn before_clone(slot: &mut MaybeUninit<Tcb>) -> (&Tcb, CloneWords) {
        // SAFETY: the slot is a valid, aligned place for a Tcb.
        unsafe { Tcb::init(slot.as_mut_ptr(), ThreadName::new("t").unwrap()) };
        // SAFETY: initialised just above.
        let tcb = unsafe { slot.assume_init_ref() };
        let words = tcb.clone_words();
        (tcb, words)
    }

    /// The kernel's side of `clone`, as man 2 clone and kernel/fork.c describe it, played on a
    /// control block: CLONE_PARENT_SETTID stores the tid at `ptid` before the new thread runs
    /// (so before anyone, the thread itself or a handler at its first instruction, can read
    /// its identity, and before the spawner is back from `clone`); CLONE_CHILD_CLEARTID stores
    /// 0 at `ctid` once the thread is gone. Identity must be right in between and afterwards,
    /// and the thread must count as running until the clear.
    #[test]
    fn identity_is_the_word_the_kernel_writes_before_the_thread_runs() {
        let mut slot = MaybeUninit::uninit();
        let (tcb, words) = before_clone(&mut slot);
        assert_ne!(tcb.ctid.load(Relaxed), 0, "a thread that has not started yet looks finished");
        // SAFETY: the words point into the live Tcb; the kernel writes them as plain ints.
        unsafe { *words.ptid = 4242 };
        // The new thread's first instruction: nothing else has happened yet.
        assert_eq!(tcb.tid(), 4242);
        assert_eq!(super::super::Thread::of(tcb).tid(), 4242);
        assert_ne!(tcb.ctid.load(Relaxed), 0);
        // SAFETY: as above.
        unsafe { *words.ctid = 0 };
        assert_eq!(tcb.tid(), 4242, "identity lost when the thread exited");
        assert_eq!(super::super::Thread::of(tcb).tid(), 4242);
    }

    /// A failed `clone` leaves the exit word clear, so that the cache can hand the mapping out
    /// again (and `release_cached_stacks` does not wait for a thread that never existed).
    #[test]
    fn a_failed_clone_leaves_the_exit_word_clear() {
        let mut slot = MaybeUninit::uninit();
        let (tcb, _) = before_clone(&mut slot);
        tcb.clone_failed();
        assert_eq!(tcb.ctid.load(Relaxed), 0);
        assert_eq!(tcb.tid(), 0);
    }
}
