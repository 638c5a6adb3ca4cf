//! A small cache of finished threads' mappings, so that a spawn after a join or a detached exit
//! reuses a stack instead of paying for mmap, mprotect and munmap (glibc keeps such a cache for
//! the same reason).
//!
//! A mapping is reusable once the kernel has cleared its thread's CLONE_CHILD_CLEARTID word:
//! from then on the thread no longer runs on it. A joined thread's word is already clear; a
//! detached thread puts its own mapping here just before it exits, and the word tells a later
//! spawn when the kernel is done with it; a spawn whose `clone` failed puts back the mapping it
//! took, its word cleared by hand (no thread ever ran on it). The cache owns what it holds
//! (step "cached" of the lifecycle in `thread/mod.rs`).

use crate::sync::internal::InternalMutex;
use crate::syscall;
use core::sync::atomic::AtomicU32;
use core::sync::atomic::Ordering::Acquire;

/// At most this many mappings wait for reuse...
const SLOTS: usize = 16;
/// ...holding at most this much address space (glibc's default stack cache is 40 MiB).
const MAX_BYTES: usize = 32 << 20;

#[derive(Clone, Copy)]
struct Entry {
    base: *mut u8,
    len: usize,
    /// The layout parameters a reuse must match besides the length.
    guard: usize,
    origin_align: usize,
    /// The old thread's CLEARTID word (inside the mapping): nonzero while it may still run.
    ctid: *const AtomicU32,
}

struct Cache {
    entries: [Option<Entry>; SLOTS],
    bytes: usize,
}

// SAFETY: the raw pointers name mappings owned by the cache itself; they are only used under the
// cache's lock or after being taken out of it.
unsafe impl Send for Cache {}

static CACHE: InternalMutex<Cache> = InternalMutex::new(Cache { entries: [None; SLOTS], bytes: 0 });

/// A mapping that fits `(len, guard, origin_align)` and that no thread runs on any more.
pub(super) fn take(len: usize, guard: usize, origin_align: usize) -> Option<*mut u8> {
    let mut c = CACHE.lock();
    let slot = c.entries.iter_mut().find(|e| {
        e.is_some_and(|e| {
            // SAFETY: the word lies inside a mapping the cache owns.
            let done = unsafe { (*e.ctid).load(Acquire) } == 0;
            e.len == len && e.guard == guard && e.origin_align == origin_align && done
        })
    })?;
    let e = slot.take()?;
    c.bytes -= e.len;
    Some(e.base)
}

/// Offers a mapping for reuse; `false` if the cache is full (the caller unmaps it).
///
/// # Safety
/// The caller gives up the mapping; `ctid` lies inside it and is (or will be, once its thread has
/// exited) cleared by the kernel.
pub(super) unsafe fn put(base: *mut u8, len: usize, guard: usize, origin_align: usize, ctid: *const AtomicU32) -> bool {
    let mut c = CACHE.lock();
    if c.bytes + len > MAX_BYTES {
        return false;
    }
    let Some(slot) = c.entries.iter_mut().find(|e| e.is_none()) else { return false };
    *slot = Some(Entry { base, len, guard, origin_align, ctid });
    c.bytes += len;
    true
}

/// Unmaps every cached mapping (waiting for threads still on their way out); returns how many.
/// For programs that want their address space back, and for leak checks that count mappings.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// strand::thread::spawn(|| ()).unwrap().join().unwrap();
/// // The joined thread's stack went to the cache; release it (and anything else cached).
/// strand::thread::release_cached_stacks();
/// assert_eq!(strand::thread::release_cached_stacks(), 0);
/// # }
/// ```
pub fn release_cached_stacks() -> usize {
    let taken = {
        let mut c = CACHE.lock();
        c.bytes = 0;
        core::mem::replace(&mut c.entries, [None; SLOTS])
    };
    let mut n = 0;
    for e in taken.into_iter().flatten() {
        // SAFETY: the cache owned the mapping, so the word is alive until we unmap it.
        super::lifecycle::wait_for_exit(unsafe { &*e.ctid });
        // SAFETY: its thread is gone and nothing else refers to the mapping.
        let _ = unsafe { syscall::munmap(e.base, e.len) };
        n += 1;
    }
    n
}
