//! The `alloc` feature's global allocator: `Box`, `Vec`, `String` and `Arc` in many threads at
//! once, blocks freed by another thread, large (own-mapping) blocks given back to the kernel,
//! realloc keeping contents, alignments up to 4096 and beyond, zeroed blocks, and out of memory
//! reported as null.
#![no_std]
#![no_main]

extern crate alloc;

#[macro_use]
mod common;

use alloc::alloc::{alloc, alloc_zeroed, dealloc, realloc, GlobalAlloc, Layout};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use common::{Failure, Test, TestResult};
use core::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use strand::thread;

strand::main!(main);

const TESTS: &[Test] = &[
    ("box_vec_string_arc_in_one_thread", box_vec_string_arc_in_one_thread),
    ("many_threads_allocate_at_once", many_threads_allocate_at_once),
    ("blocks_freed_by_another_thread", blocks_freed_by_another_thread),
    ("large_block_is_given_back_to_the_kernel", large_block_is_given_back_to_the_kernel),
    ("realloc_growth_keeps_contents", realloc_growth_keeps_contents),
    ("alignments_up_to_4096_and_the_page", alignments_up_to_4096_and_the_page),
    ("alloc_zeroed_is_zero_after_dirty_reuse", alloc_zeroed_is_zero_after_dirty_reuse),
    ("out_of_memory_is_null", out_of_memory_is_null),
];

fn main() -> i32 {
    common::run("alloc", TESTS)
}

fn spawn_err(e: thread::SpawnError) -> Failure {
    Failure::new(format_args!("spawn failed: {e}"))
}

fn box_vec_string_arc_in_one_thread() -> TestResult {
    let b = Box::new([7u64; 33]);
    check!(b.iter().all(|&x| x == 7));
    let mut v: Vec<u32> = (0..1000).collect();
    v.retain(|x| x % 3 == 0);
    check_eq!(v.len(), 334);
    check_eq!(v.iter().map(|&x| x as u64).sum::<u64>(), 166_833);
    let s = format!("{}-{}", String::from("strand"), 42);
    check_eq!(s.as_str(), "strand-42");
    let a = Arc::new(String::from("shared"));
    let a2 = Arc::clone(&a);
    check_eq!(Arc::strong_count(&a), 2);
    drop(a2);
    check_eq!(Arc::strong_count(&a), 1);
    Ok(())
}

/// A byte pattern that names the thread and the block, so a block that two threads were handed
/// at once (a broken lock) shows up as a wrong byte.
fn pattern(thread: usize, i: usize) -> u8 {
    (thread * 31 + i * 7) as u8 | 1
}

/// Eight threads (more than the cores, so they interleave) allocate, fill, check and free
/// blocks of mixed sizes at once, holding up to 64 at a time, and share an `Arc`.
fn many_threads_allocate_at_once() -> TestResult {
    const THREADS: usize = 8;
    const ROUNDS: usize = 3000;
    let shared = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for t in 0..THREADS {
        let shared = Arc::clone(&shared);
        let h = thread::spawn(move || -> Result<(), String> {
            let mut live: Vec<Vec<u8>> = Vec::new();
            let mut strings: Vec<String> = Vec::new();
            for i in 0..ROUNDS {
                let size = 1 + (i * 37 + t * 11) % 700;
                live.push(alloc::vec![pattern(t, i); size]);
                if i % 16 == 0 {
                    strings.push(format!("thread {t} round {i}"));
                }
                if live.len() > 64 {
                    let j = (i * 13) % live.len();
                    let v = live.swap_remove(j);
                    let want = v[0];
                    if v.iter().any(|&b| b != want) {
                        return Err(format!("thread {t}: a block of {} bytes was changed", v.len()));
                    }
                }
            }
            for (k, s) in strings.iter().enumerate() {
                if *s != format!("thread {t} round {}", k * 16) {
                    return Err(format!("thread {t}: string {k} is {s:?}"));
                }
            }
            shared.fetch_add(1, SeqCst);
            Ok(())
        });
        handles.push(h.map_err(spawn_err)?);
    }
    for h in handles {
        if let Err(e) = h.join()? {
            return Err(Failure::new(format_args!("{e}")));
        }
    }
    check_eq!(shared.load(SeqCst), THREADS);
    check_eq!(Arc::strong_count(&shared), 1);
    Ok(())
}

/// Blocks allocated by one thread are freed by others, while the allocating thread goes on
/// allocating (a producer and two consumers), then the freed memory is used again.
fn blocks_freed_by_another_thread() -> TestResult {
    const N: usize = 4000;
    let made: Vec<Box<[u8]>> = thread::spawn(|| {
        (0..N).map(|i| alloc::vec![pattern(1, i); 16 + i % 500].into_boxed_slice()).collect()
    })
    .map_err(spawn_err)?
    .join()?;
    check_eq!(made.len(), N);
    let mut halves = made.into_iter().enumerate().partition::<Vec<_>, _>(|(i, _)| i % 2 == 0);
    let mut handles = Vec::new();
    for half in [core::mem::take(&mut halves.0), core::mem::take(&mut halves.1)] {
        handles.push(
            thread::spawn(move || {
                let mut bad = 0;
                for (i, b) in half {
                    if b.len() != 16 + i % 500 || b.iter().any(|&x| x != pattern(1, i)) {
                        bad += 1;
                    }
                    drop(b);
                    // Allocate while the other consumer frees.
                    let again = Box::new([i as u8; 24]);
                    core::hint::black_box(&again);
                }
                bad
            })
            .map_err(spawn_err)?,
        );
    }
    for h in handles {
        check_eq!(h.join()?, 0);
    }
    Ok(())
}

/// Whether `addr` lies in a mapping listed in /proc/self/maps ("start-end perms ..." in hex).
fn is_mapped(addr: usize) -> Result<bool, Failure> {
    let fd = strand::syscall::open(c"/proc/self/maps", 0).map_err(|e| Failure::new(format_args!("open maps: {e}")))?;
    let mut buf = [0u8; 4096];
    let mut line = [0u8; 64];
    let mut len = 0;
    let mut found = false;
    let mut at_start = true;
    'read: loop {
        let n = match strand::syscall::read(fd, &mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(strand::Errno::EINTR) => continue,
            Err(e) => {
                let _ = strand::syscall::close(fd);
                return Err(Failure::new(format_args!("read maps: {e}")));
            }
        };
        for &c in &buf[..n] {
            if c == b'\n' {
                at_start = true;
                len = 0;
                continue;
            }
            if !at_start {
                continue;
            }
            if c == b' ' {
                at_start = false;
                let text = core::str::from_utf8(&line[..len]).unwrap_or("");
                if let Some((a, b)) = text.split_once('-') {
                    if let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16)) {
                        if a <= addr && addr < b {
                            found = true;
                            break 'read;
                        }
                    }
                }
            } else if len < line.len() {
                line[len] = c;
                len += 1;
            }
        }
    }
    let _ = strand::syscall::close(fd);
    Ok(found)
}

/// A block far above dlmalloc's 2 MiB trim threshold goes back to the kernel when freed (the
/// top of its segment is cut off, or the segment unmapped): the block's middle is in
/// /proc/self/maps while it lives and gone after.
fn large_block_is_given_back_to_the_kernel() -> TestResult {
    const SIZE: usize = 8 << 20;
    let mut v: Vec<u8> = Vec::with_capacity(SIZE);
    v.resize(SIZE, 0x5a);
    check!(v.iter().step_by(4093).all(|&b| b == 0x5a));
    let middle = v.as_ptr() as usize + SIZE / 2;
    check!(is_mapped(middle)?, "the live 8 MiB block at {middle:#x} is not mapped");
    drop(v);
    check!(!is_mapped(middle)?, "the freed 8 MiB block at {middle:#x} is still mapped");
    Ok(())
}

/// `realloc` keeps the contents while a block grows from 16 bytes to 16 MiB (in place and by
/// moving, across new segments) and shrinks again.
fn realloc_growth_keeps_contents() -> TestResult {
    let mut size = 16;
    let layout = Layout::from_size_align(size, 8).unwrap();
    // SAFETY: a non-zero size.
    let mut p = unsafe { alloc(layout) };
    check!(!p.is_null());
    let fill = |p: *mut u8, from: usize, to: usize| {
        for i in from..to {
            // SAFETY: p holds at least `to` bytes.
            unsafe { *p.add(i) = (i % 251) as u8 };
        }
    };
    fill(p, 0, size);
    while size < 16 << 20 {
        let new = size * 2;
        // SAFETY: p is live with this layout; new is non-zero.
        let q = unsafe { realloc(p, Layout::from_size_align(size, 8).unwrap(), new) };
        check!(!q.is_null(), "realloc to {new} failed");
        check_eq!(q as usize % 8, 0);
        for i in (0..size).step_by(97).chain(size - 1..size) {
            // SAFETY: q holds `new` > i bytes.
            let b = unsafe { *q.add(i) };
            check!(b == (i % 251) as u8, "byte {i} after growing {size} -> {new}: {b}");
        }
        fill(q, size, new);
        p = q;
        size = new;
    }
    // Shrink back into a small block.
    // SAFETY: p is live with this layout.
    let q = unsafe { realloc(p, Layout::from_size_align(size, 8).unwrap(), 100) };
    check!(!q.is_null());
    for i in 0..100 {
        // SAFETY: q holds 100 bytes.
        check_eq!(unsafe { *q.add(i) }, (i % 251) as u8);
    }
    // SAFETY: q is live with this layout.
    unsafe { dealloc(q, Layout::from_size_align(100, 8).unwrap()) };
    Ok(())
}

/// Every power-of-two alignment up to 4096, then the page size and 64 KiB, with small, medium
/// and large sizes: the block is aligned, writable, keeps its alignment through realloc.
fn alignments_up_to_4096_and_the_page() -> TestResult {
    let page = strand::rt::page_size();
    let aligns = (0..=12).map(|s| 1usize << s).chain([page, 65536]);
    for align in aligns {
        for size in [1usize, 24, align, 3000, 300_000] {
            let l = Layout::from_size_align(size, align).unwrap();
            // SAFETY: a non-zero size.
            let p = unsafe { alloc(l) };
            check!(!p.is_null(), "alloc size {size} align {align}");
            check!(p as usize % align == 0, "size {size} align {align}: got {p:p}");
            // SAFETY: p holds `size` bytes.
            unsafe { core::ptr::write_bytes(p, 0xc3, size) };
            // SAFETY: p is live with layout l.
            let q = unsafe { realloc(p, l, size * 2 + 8) };
            check!(!q.is_null() && q as usize % align == 0, "realloc size {size} align {align}: {q:p}");
            // SAFETY: q holds at least `size` bytes.
            check!(unsafe { core::slice::from_raw_parts(q, size) }.iter().all(|&b| b == 0xc3));
            // SAFETY: q is live with the grown layout.
            unsafe { dealloc(q, Layout::from_size_align(size * 2 + 8, align).unwrap()) };
        }
    }
    Ok(())
}

/// A zeroed block is all zeros even when it reuses memory just freed dirty, for small sizes
/// and large ones.
fn alloc_zeroed_is_zero_after_dirty_reuse() -> TestResult {
    for size in [8usize, 200, 5000, 70_000, 1 << 20] {
        let l = Layout::from_size_align(size, 16).unwrap();
        for _ in 0..4 {
            // SAFETY: a non-zero size.
            let p = unsafe { alloc(l) };
            check!(!p.is_null());
            // SAFETY: p holds `size` bytes.
            unsafe { core::ptr::write_bytes(p, 0xff, size) };
            // SAFETY: p is live with layout l.
            unsafe { dealloc(p, l) };
            // SAFETY: a non-zero size.
            let z = unsafe { alloc_zeroed(l) };
            check!(!z.is_null());
            // SAFETY: z holds `size` bytes.
            let bytes = unsafe { core::slice::from_raw_parts(z, size) };
            check!(bytes.iter().all(|&b| b == 0), "size {size}: a zeroed block has a non-zero byte");
            // SAFETY: z is live with layout l.
            unsafe { dealloc(z, l) };
        }
    }
    let v = alloc::vec![0u64; 100_000];
    check!(v.iter().all(|&x| x == 0));
    Ok(())
}

/// A request no address space can hold gives null (Rust would then call
/// `handle_alloc_error`), and a block that cannot grow stays as it was. The largest `Layout`
/// (`isize::MAX` bytes, less a page) cannot fit a 64-bit user address space (at most 2^57
/// bytes); a 32-bit one (at most 4 GiB) may hold one, but never a second beside it, so the
/// test takes them until one is refused and grows a small block while holding them.
fn out_of_memory_is_null() -> TestResult {
    let huge = Layout::from_size_align(isize::MAX as usize - 4096, 16).unwrap();
    let mut got = Vec::with_capacity(4);
    let mut refused = 0;
    for zeroed in [false, true, false, true] {
        // SAFETY: a non-zero size; a null result is checked.
        let p = unsafe {
            if zeroed { strand::alloc::ALLOCATOR.alloc_zeroed(huge) } else { strand::alloc::ALLOCATOR.alloc(huge) }
        };
        if p.is_null() {
            refused += 1;
        } else {
            got.push(p);
        }
    }
    let mut w: Vec<u8> = alloc::vec![9; 100];
    let grew = w.try_reserve_exact(isize::MAX as usize - 8192).is_ok();
    let n = got.len();
    for p in got {
        // SAFETY: allocated just above with this layout.
        unsafe { strand::alloc::ALLOCATOR.dealloc(p, huge) };
    }
    check!(refused >= 2 && n <= 2, "{n} blocks of {} bytes were allocated", huge.size());
    check!(!grew, "a 100-byte block grew to isize::MAX bytes");
    check!(w.len() == 100 && w.iter().all(|&b| b == 9));
    w.push(1);
    check_eq!(w.len(), 101);
    Ok(())
}
