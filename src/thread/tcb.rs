//! The thread control block: strand's per-thread record, at a fixed offset from the thread
//! pointer so a thread finds its own with one register read.

use super::lifecycle::Lifecycle;
use crate::arch;
use crate::sync::Mutex;
use crate::tls;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32};
use static_assertions::const_assert_eq;

/// A thread name as Linux keeps it: at most 15 bytes (TASK_COMM_LEN - 1, include/linux/sched.h).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ThreadName {
    bytes: [u8; 16],
    len: u8,
}

impl ThreadName {
    pub const MAX_LEN: usize = 15;

    pub const fn empty() -> ThreadName {
        ThreadName { bytes: [0; 16], len: 0 }
    }

    /// `None` if longer than 15 bytes or containing a NUL byte.
    pub fn new(name: &str) -> Option<ThreadName> {
        if name.len() > Self::MAX_LEN || name.as_bytes().contains(&0) {
            return None;
        }
        let mut bytes = [0; 16];
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        Some(ThreadName { bytes, len: name.len() as u8 })
    }

    pub fn as_str(&self) -> &str {
        // SAFETY: built from a &str, whole.
        unsafe { core::str::from_utf8_unchecked(&self.bytes[..self.len as usize]) }
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// NUL-terminated, for prctl.
    pub(crate) fn as_c_bytes(&self) -> &[u8; 16] {
        &self.bytes
    }
}

impl core::fmt::Debug for ThreadName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// What other threads may read or change, under the Tcb's lock.
pub(crate) struct Shared {
    pub name: ThreadName,
    /// Set (under the lock) just before the thread exits: its tid may be reused from then on,
    /// so nobody may address it by tid any more (notes: rule 7).
    pub exited: bool,
}

#[repr(C)]
pub struct Tcb {
    /// The words at the thread pointer that variant II psABIs define and compilers address
    /// directly (glibc's `tcbhead_t`): word 0 points at itself (`mov %fs:0` reads the thread
    /// pointer back on x86), word 5 is the stack-protector canary (`%fs:0x28`, `%gs:0x14`,
    /// s390x and sparc64 TP+0x28). strand keeps its own fields clear of all of them.
    pub(crate) abi_head: [usize; arch::TCB_HEAD_WORDS],
    /// The kernel's word: CLONE_PARENT_SETTID stores the tid here before the thread runs, and
    /// CLONE_CHILD_CLEARTID zeroes it and does a shared futex wake once the thread is gone.
    /// While the thread runs it is its tid, read with no syscall.
    pub(crate) ctid: AtomicU32,
    /// The tid for identity: unlike `ctid` it keeps its value after the thread has exited.
    pub(crate) tid: AtomicI32,
    pub(crate) lifecycle: Lifecycle,
    pub(crate) panicking: AtomicBool,
    pub(crate) shared: Mutex<Shared>,
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
                lifecycle: Lifecycle::new(),
                panicking: AtomicBool::new(false),
                shared: Mutex::new(Shared { name, exited: false }),
                map_base: core::ptr::null_mut(),
                map_len: 0,
                map_guard: 0,
                map_origin_align: 0,
                packet: core::ptr::null_mut(),
                scope: core::ptr::null(),
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

    #[inline]
    pub(crate) fn tid(&self) -> i32 {
        self.ctid.load(core::sync::atomic::Ordering::Relaxed) as i32
    }
}
