//! The one atomic decision between a thread's exit and its handle's detach: whoever comes
//! second owns the thread's mapping and frees it (steps 2 to 3 of the lifecycle in
//! `thread/mod.rs`): the first to arrive may not free it, since the other still uses it (the
//! thread runs on it; the handle still reads its result or detaches); and the handle's wait
//! for the kernel's CLONE_CHILD_CLEARTID clear, after which the thread no longer runs on its
//! mapping. Both are model-checked on the host (`check/`, loom), so they
//! take their atomics and futex from `sync::atomic_wait` only.

use crate::sync::atomic_wait::futex::{self, Scope};
use crate::sync::atomic_wait::AtomicU32;
use core::sync::atomic::Ordering::{AcqRel, Acquire};

const JOINABLE: u32 = 0;
const DETACHED: u32 = 1;
const EXITED: u32 = 2;

/// Who frees a thread's mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// The thread itself, as its last act (it was detached before it finished).
    Thread,
    /// The handle: by `join`, or by `detach` after the thread finished.
    Handle,
}

pub struct Lifecycle(AtomicU32);

impl Lifecycle {
    pub const fn new() -> Lifecycle {
        Lifecycle(AtomicU32::new(JOINABLE))
    }

    /// The thread has finished its work. Returns who frees the mapping.
    pub fn exit(&self) -> Owner {
        match self.0.swap(EXITED, AcqRel) {
            DETACHED => Owner::Thread,
            _ => Owner::Handle,
        }
    }

    /// The handle gives the thread up. Returns who frees the mapping.
    pub fn detach(&self) -> Owner {
        match self.0.swap(DETACHED, AcqRel) {
            EXITED => Owner::Handle,
            _ => Owner::Thread,
        }
    }
}

/// Sleeps until the kernel has cleared a thread's CLEARTID word `ctid`: from then on the thread
/// is gone and no longer touches its stack or control block. Shared futex, because the kernel's
/// wake is shared: mm_release (kernel/fork.c) calls FUTEX_WAKE without FUTEX_PRIVATE_FLAG, and a
/// private wait would never see it. Acquire pairs with the clear, so everything the thread wrote
/// (its result) is visible once this returns.
pub fn wait_for_exit(ctid: &AtomicU32) {
    loop {
        let tid = ctid.load(Acquire);
        if tid == 0 {
            return;
        }
        // Woken, EINTR, EAGAIN: all go round and re-read.
        futex::wait(ctid, tid, None, Scope::Shared);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn sequential_orders() {
        let l = Lifecycle::new();
        assert_eq!(l.exit(), Owner::Handle);
        assert_eq!(l.detach(), Owner::Handle);
        let l = Lifecycle::new();
        assert_eq!(l.detach(), Owner::Thread);
        assert_eq!(l.exit(), Owner::Thread);
    }

    #[test]
    fn racing_exit_and_detach_free_exactly_once() {
        for _ in 0..2000 {
            let l = Arc::new(Lifecycle::new());
            let frees = Arc::new(AtomicUsize::new(0));
            let (l2, f2) = (l.clone(), frees.clone());
            let t = std::thread::spawn(move || {
                if l2.exit() == Owner::Thread {
                    f2.fetch_add(1, Ordering::SeqCst);
                }
            });
            if l.detach() == Owner::Handle {
                frees.fetch_add(1, Ordering::SeqCst);
            }
            t.join().unwrap();
            assert_eq!(frees.load(Ordering::SeqCst), 1);
        }
    }
}
