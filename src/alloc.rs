//! strand's global allocator (cargo feature `alloc`): makes `Box`, `Vec`, `String` and `Arc`
//! work in every strand thread.
//!
//! The allocator itself is the `dlmalloc` crate (a port of Doug Lea's malloc, the one Rust's
//! own std uses on wasm). strand gives it memory through its `dlmalloc::Allocator` trait,
//! implemented here on strand's own `mmap`/`munmap`/`mremap` wrappers. This port of dlmalloc
//! carves every block, large ones too, from segments it maps (in 64 KiB steps; a large block
//! gets a segment of about its own size), and gives memory back to the kernel itself: free
//! space above 2 MiB at the top of a segment is cut off (`munmap` of the tail; `free_part`
//! says why not `mremap`), and a segment that falls empty is unmapped whole. `realloc` is
//! dlmalloc's: in place when the space after the block is free, else allocate, copy, free. (The
//! trait's `remap`, implemented with `mremap`, serves dlmalloc's path for chunks mapped on
//! their own, which this port's `malloc` does not create.)
//!
//! # Arenas
//!
//! One dlmalloc behind one lock makes every allocating thread wait for every other. So there
//! are [`ARENAS`] independent dlmalloc heaps, each behind its own strand [`RawMutex`] on its own
//! cache line. A thread starts at the arena its tid picks (`tid % ARENAS`: threads created one
//! after another get different ones) and, if that lock is held, takes the first free one of the
//! others with `try_lock`, waiting only if all are held. Freeing must go back to the heap the
//! block came from, which may be another thread's: every block carries its arena's index in the
//! word just below the pointer handed out. That costs a prefix of `2 × usize` bytes (dlmalloc's
//! own alignment, so small blocks stay as aligned as before) or, for an alignment above that,
//! of `align` bytes. Measured with `cargo xtask bench` workload 17 (see the README).
//!
//! With the feature on, [`Allocator`] is installed as the program's `#[global_allocator]`; a
//! program that wants another allocator leaves the feature off (a program has exactly one).
//!
//! Not async-signal-safe: a signal handler must not allocate or free. A handler that interrupts
//! its own thread inside the allocator would find that arena's lock held by that very thread;
//! instead of waiting forever, an allocation there takes another free arena or returns null
//! (Rust reports `handle_alloc_error`), and a free of a block of that arena leaks the block.

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
        // `munmap` of the tail, not `mremap` shrinking in place (the same for an anonymous
        // mapping, mremap(2)): QEMU user mode (7.2) for a 32-bit guest, whose address space
        // it reserves on the host, re-reserves the `oldsize - newsize` bytes *after* the old
        // end when `mremap` shrinks (linux-user/mmap.c, `target_mremap`:
        // `mmap_reserve(old_addr + old_size, old_size - new_size)`), mapping over the
        // neighbouring mappings: seen on riscv32 as a SIGSEGV (SEGV_ACCERR) in another arena's
        // live segment right after an 8 MiB block was trimmed, in about one run in four of
        // tests/alloc.rs. Its `munmap` re-reserves the right range.
        // SAFETY: dlmalloc gives up the tail `[ptr + newsize, ptr + oldsize)` of its mapping.
        unsafe { syscall::munmap(ptr.add(newsize), oldsize - newsize).is_ok() }
    }

    fn free(&self, ptr: *mut u8, size: usize) -> bool {
        // SAFETY: dlmalloc gives up the whole mapping.
        unsafe { syscall::munmap(ptr, size) }.is_ok()
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        true
    }

    fn allocates_zeros(&self) -> bool {
        // Anonymous mappings are zero-filled (mmap(2)). dlmalloc skips `calloc`'s clear only for a
        // chunk mapped on its own, which this port never makes, so every zeroed block is cleared.
        true
    }

    fn page_size(&self) -> usize {
        crate::rt::page_size()
    }
}

/// How many independent heaps (see "Arenas" above): at least the threads that allocate at once
/// on a small machine, few enough that the memory each keeps cached stays small.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # extern crate alloc;
/// # fn main() {
/// use alloc::vec::Vec;
/// // ARENAS threads allocating at once each get a heap of their own.
/// let hs: Vec<_> = (0..strand::alloc::ARENAS)
///     .map(|i| strand::thread::spawn(move || (0..100).map(|j| i * j).collect::<Vec<usize>>()).unwrap())
///     .collect();
/// for (i, h) in hs.into_iter().enumerate() {
///     assert_eq!(h.join().unwrap()[99], i * 99);
/// }
/// # }
/// ```
pub const ARENAS: usize = 8;

/// The bytes in front of a block of alignment at most this: dlmalloc's alignment
/// (`2 × usize`), so the pointer handed out keeps it. The arena index is the last word.
const HEADER: usize = 2 * core::mem::size_of::<usize>();

/// The prefix in front of a block of alignment `align`, and the alignment asked of dlmalloc.
#[inline]
fn prefix(align: usize) -> usize {
    if align <= HEADER { HEADER } else { align }
}

/// One dlmalloc heap and its lock, on a cache line of its own (128 bytes: the largest line or
/// adjacent-line prefetch pair of the ABIs strand runs on), so that threads working in
/// different arenas do not share the lock words' line.
#[repr(align(128))]
struct Arena {
    lock: RawMutex,
    heap: UnsafeCell<dlmalloc::Dlmalloc<Pages>>,
}

impl Arena {
    const fn new() -> Arena {
        Arena { lock: RawMutex::new(), heap: UnsafeCell::new(dlmalloc::Dlmalloc::new_with_allocator(Pages)) }
    }

    /// Runs `f` on the heap, whose lock the caller holds, then releases the lock.
    ///
    /// # Safety
    /// The calling thread holds `self.lock`.
    #[inline]
    unsafe fn locked<R>(&self, f: impl FnOnce(&mut dlmalloc::Dlmalloc<Pages>) -> R) -> R {
        // SAFETY: the lock is held, so no other reference to the heap exists until it is released.
        let r = f(unsafe { &mut *self.heap.get() });
        // SAFETY: held by this thread, per the contract.
        unsafe { self.lock.unlock() };
        r
    }
}

/// strand's `GlobalAlloc`: [`ARENAS`] dlmalloc heaps over strand's `mmap`, each behind a futex
/// mutex (see the module documentation).
///
/// Installed as the `#[global_allocator]` by the `alloc` feature; there is one, [`ALLOCATOR`].
/// Out of memory (or a call from a signal handler that interrupted this thread inside the
/// allocator) gives null, never a panic. Alignments up to the page size and beyond are served.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # extern crate alloc;
/// # fn main() {
/// use alloc::{boxed::Box, string::String, sync::Arc, vec};
/// let b = Box::new(41);
/// let mut v = vec![*b; 3];
/// v.push(42);
/// let s = String::from("strand");
/// let shared = Arc::new(v);
/// let other = Arc::clone(&shared);
/// let h = strand::thread::spawn(move || other.iter().sum::<i32>()).unwrap();
/// assert_eq!(h.join().unwrap(), 41 * 3 + 42);
/// assert_eq!(s.len(), 6);
/// # }
/// ```
pub struct Allocator {
    arenas: [Arena; ARENAS],
}

// SAFETY: each heap is only touched while its arena's lock is held (`Arena::locked`).
unsafe impl Sync for Allocator {}

impl Allocator {
    const fn new() -> Allocator {
        Allocator { arenas: [const { Arena::new() }; ARENAS] }
    }

    /// Locks an arena for a new block: the calling thread's own if free, else the first free
    /// one after it, else waits for its own. `None` if the thread already holds its own (a
    /// signal handler that interrupted it inside the allocator, with every other arena busy).
    #[inline]
    fn lock_any(&self) -> Option<usize> {
        let home = crate::thread::current_tid() as usize % ARENAS;
        if self.arenas[home].lock.try_lock() {
            return Some(home);
        }
        self.lock_any_slow(home)
    }

    #[cold]
    fn lock_any_slow(&self, home: usize) -> Option<usize> {
        for k in 1..ARENAS {
            let i = (home + k) % ARENAS;
            if self.arenas[i].lock.try_lock() {
                return Some(i);
            }
        }
        self.arenas[home].lock.lock_checked().ok()?;
        Some(home)
    }

    /// The arena a block handed out by this allocator came from, locked; `None` if the calling
    /// thread already holds that lock (see `lock_any`) or the index is not one this allocator
    /// writes (a pointer it never handed out).
    #[inline]
    fn lock_owner(&self, user: *mut u8) -> Option<&Arena> {
        // SAFETY: every block carries its arena's index in the word below the user pointer
        // (written by `finish`), inside the block's prefix.
        let i = unsafe { (user as *const usize).sub(1).read() };
        let arena = self.arenas.get(i)?;
        arena.lock.lock_checked().ok()?;
        Some(arena)
    }

    /// A fresh dlmalloc block `base` (or null) of arena `i`, made the user's: the index stored,
    /// the pointer past the prefix returned.
    #[inline]
    fn finish(base: *mut u8, pre: usize, i: usize) -> *mut u8 {
        if base.is_null() {
            return base;
        }
        // SAFETY: the block holds `pre` bytes of prefix before the user's; `pre` is a multiple of
        // the word size.
        unsafe {
            let user = base.add(pre);
            (user as *mut usize).sub(1).write(i);
            user
        }
    }

    #[inline]
    fn allocate(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        let pre = prefix(layout.align());
        let Some(size) = layout.size().checked_add(pre) else { return ptr::null_mut() };
        let Some(i) = self.lock_any() else { return ptr::null_mut() };
        let align = layout.align().max(HEADER);
        // SAFETY: arena i was locked by lock_any; size is non-zero.
        let base = unsafe {
            self.arenas[i].locked(|h| if zeroed { h.calloc(size, align) } else { h.malloc(size, align) })
        };
        Self::finish(base, pre, i)
    }
}

// SAFETY: dlmalloc returns blocks of at least the requested size and alignment, or null; the
// block handed out starts `prefix(align)` bytes in, a multiple of `align`, and leaves
// `layout.size()` bytes. Each heap call runs under its arena's lock, and frees and reallocs go
// to the arena the block came from.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.allocate(layout, false)
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // dlmalloc's calloc clears the block (prefix included, which `finish` then writes).
        self.allocate(layout, true)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let pre = prefix(layout.align());
        // If the lock is the caller's own (see `lock_any`), the block is leaked rather than
        // waited for forever.
        if let Some(arena) = self.lock_owner(ptr) {
            // SAFETY: locked just above; the caller passes a block from this allocator with its
            // layout, so `ptr - pre` is the dlmalloc block of `size + pre` bytes.
            unsafe { arena.locked(|h| h.free(ptr.sub(pre), layout.size() + pre, layout.align().max(HEADER))) };
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let pre = prefix(layout.align());
        let Some(new) = new_size.checked_add(pre) else { return ptr::null_mut() };
        let Some(arena) = self.lock_owner(ptr) else { return ptr::null_mut() };
        // SAFETY: per GlobalAlloc::realloc's contract; locked just above. dlmalloc keeps the
        // alignment and the contents (the prefix with its index included, so the block stays in
        // this arena).
        let base = unsafe {
            arena.locked(|h| h.realloc(ptr.sub(pre), layout.size() + pre, layout.align().max(HEADER), new))
        };
        if base.is_null() {
            return base;
        }
        // SAFETY: the new block holds the prefix and `new_size` bytes.
        unsafe { base.add(pre) }
    }
}

/// The program's global allocator while the `alloc` feature is on: what `Box`, `Vec` and the
/// rest allocate from. Callable directly through `GlobalAlloc`, for a layout of one's own.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # extern crate alloc;
/// # fn main() {
/// use core::alloc::{GlobalAlloc, Layout};
/// use strand::alloc::ALLOCATOR;
/// // A page-aligned block, then given back.
/// let layout = Layout::from_size_align(100, 4096).unwrap();
/// // SAFETY: the layout has a nonzero size; the block is freed once, with the same layout.
/// unsafe {
///     let p = ALLOCATOR.alloc_zeroed(layout);
///     assert!(!p.is_null() && p as usize % 4096 == 0);
///     assert_eq!(*p.add(99), 0);
///     ALLOCATOR.dealloc(p, layout);
/// }
/// # }
/// ```
#[global_allocator]
pub static ALLOCATOR: Allocator = Allocator::new();
