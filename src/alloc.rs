//! strand's global allocator (cargo feature `alloc`): makes `Box`, `Vec`, `String` and `Arc`
//! work in every strand thread.
//!
//! The allocator itself is the `dlmalloc` crate (a port of Doug Lea's malloc, the one Rust's
//! own std uses on wasm). strand gives it memory through its `dlmalloc::Allocator` trait,
//! implemented here on strand's own `mmap`/`munmap`/`mremap` wrappers, and serialises it with
//! one strand [`RawMutex`]. Large requests (dlmalloc's mmap threshold) get a mapping of their
//! own, which `free` unmaps and `realloc` grows with `mremap`; small ones are carved from
//! segments that dlmalloc trims and unmaps when they fall empty.
//!
//! With the feature on, [`Allocator`] is installed as the program's `#[global_allocator]`; a
//! program that wants another allocator leaves the feature off (a program has exactly one).
//!
//! Not async-signal-safe: a signal handler must not allocate or free. A handler that interrupts
//! its own thread inside the allocator would find the lock held by that very thread; instead of
//! waiting forever, an allocation there returns null (Rust reports `handle_alloc_error`) and a
//! free leaks the block.

use crate::arch::sys::general as g;
use crate::sync::RawMutex;
use crate::syscall;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr;

/// Where dlmalloc gets its memory: anonymous private mappings from the kernel.
struct Pages;

// SAFETY: every method hands dlmalloc fresh mappings or changes only the ones it passes in, as
// the trait requires; the kernel keeps the mappings themselves thread-safe.
unsafe impl dlmalloc::Allocator for Pages {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        match syscall::mmap_anon(size, g::PROT_READ | g::PROT_WRITE, 0) {
            // Flags 0: a segment strand mapped, which dlmalloc may release and merge.
            Ok(p) => (p, size, 0),
            Err(_) => (ptr::null_mut(), 0, 0),
        }
    }

    fn remap(&self, ptr: *mut u8, oldsize: usize, newsize: usize, can_move: bool) -> *mut u8 {
        let flags = if can_move { g::MREMAP_MAYMOVE } else { 0 };
        // SAFETY: dlmalloc passes one of its own mappings and uses it only through the result.
        unsafe { syscall::mremap(ptr, oldsize, newsize, flags) }.unwrap_or(ptr::null_mut())
    }

    fn free_part(&self, ptr: *mut u8, oldsize: usize, newsize: usize) -> bool {
        // SAFETY: dlmalloc gives up the tail `[ptr + newsize, ptr + oldsize)` of its mapping.
        unsafe {
            syscall::mremap(ptr, oldsize, newsize, 0).is_ok()
                || syscall::munmap(ptr.add(newsize), oldsize - newsize).is_ok()
        }
    }

    fn free(&self, ptr: *mut u8, size: usize) -> bool {
        // SAFETY: dlmalloc gives up the whole mapping.
        unsafe { syscall::munmap(ptr, size) }.is_ok()
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        true
    }

    fn allocates_zeros(&self) -> bool {
        // Anonymous mappings are zero-filled (mmap(2)), so `calloc` of a fresh one skips the clear.
        true
    }

    fn page_size(&self) -> usize {
        crate::rt::page_size()
    }
}

/// strand's `GlobalAlloc`: dlmalloc over strand's `mmap`, behind one futex mutex.
///
/// Installed as the `#[global_allocator]` by the `alloc` feature; there is one, [`ALLOCATOR`].
/// Out of memory (or a call from a signal handler that interrupted this thread inside the
/// allocator) gives null, never a panic. Alignments up to the page size and beyond are served.
pub struct Allocator {
    lock: RawMutex,
    heap: UnsafeCell<dlmalloc::Dlmalloc<Pages>>,
}

// SAFETY: `heap` is only touched while `lock` is held (see `with_heap`).
unsafe impl Sync for Allocator {}

impl Allocator {
    const fn new() -> Allocator {
        Allocator { lock: RawMutex::new(), heap: UnsafeCell::new(dlmalloc::Dlmalloc::new_with_allocator(Pages)) }
    }

    /// Runs `f` on the heap under the lock, or returns `None` if the calling thread already holds
    /// the lock (a signal handler that interrupted it inside the allocator).
    #[inline]
    fn with_heap<R>(&self, f: impl FnOnce(&mut dlmalloc::Dlmalloc<Pages>) -> R) -> Option<R> {
        self.lock.lock_checked().ok()?;
        // SAFETY: the lock is held, so no other reference to the heap exists until it is released.
        let r = f(unsafe { &mut *self.heap.get() });
        // SAFETY: locked just above by this thread.
        unsafe { self.lock.unlock() };
        Some(r)
    }
}

// SAFETY: dlmalloc returns blocks of at least the requested size and alignment, or null; each
// call runs under the lock, and the layouts passed back are the ones GlobalAlloc's callers
// guarantee.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: per GlobalAlloc::alloc's contract (non-zero size).
        self.with_heap(|h| unsafe { h.malloc(layout.size(), layout.align()) }).unwrap_or(ptr::null_mut())
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for alloc; dlmalloc clears the block unless it is a fresh mapping.
        self.with_heap(|h| unsafe { h.calloc(layout.size(), layout.align()) }).unwrap_or(ptr::null_mut())
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller passes a block from this allocator with its layout. If the lock is
        // the caller's own (see `with_heap`), the block is leaked rather than waited for forever.
        let _ = self.with_heap(|h| unsafe { h.free(ptr, layout.size(), layout.align()) });
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: per GlobalAlloc::realloc's contract; dlmalloc keeps `layout.align()` and grows a
        // block with a mapping of its own through `Pages::remap` (mremap).
        self.with_heap(|h| unsafe { h.realloc(ptr, layout.size(), layout.align(), new_size) })
            .unwrap_or(ptr::null_mut())
    }
}

/// The program's global allocator while the `alloc` feature is on.
#[global_allocator]
pub static ALLOCATOR: Allocator = Allocator::new();
