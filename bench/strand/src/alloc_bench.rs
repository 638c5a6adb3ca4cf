//! Workload 17, threads allocating and freeing small objects, on strand's global allocator (the
//! `alloc` feature: dlmalloc behind one strand mutex). Mirrors bench/c/malloc.c statement for
//! statement, which runs the same loop on glibc's and musl's malloc; same protocol as
//! bench/common (`RESULT ms <wall time>`).

use crate::Strand;
use alloc::alloc::{alloc, dealloc, Layout};
use bench_common::{print, Rt};
use core::ptr::null_mut;
use core::sync::atomic::Ordering::SeqCst;
use core::sync::atomic::{AtomicPtr, AtomicU32};
use strand::sync::Barrier;
use strand::thread::{self, JoinHandle};

const SLOTS: usize = 256;
const MAX_THREADS: usize = 64;
/// The block handed to the next thread every 16th iteration.
const GIVE: usize = 64;

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: AtomicPtr<u8> = AtomicPtr::new(null_mut());
static INBOX: [AtomicPtr<u8>; MAX_THREADS] = [EMPTY; MAX_THREADS];
static BAD: AtomicU32 = AtomicU32::new(0);

fn layout(size: usize) -> Layout {
    Layout::from_size_align(size, 1).expect("sizes are small")
}

/// xorshift64, as in the C program.
fn next(s: &mut u64) -> u64 {
    let mut x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    x
}

/// Frees a block `alloc_block` returned (null is ignored, as `free(NULL)`).
fn free_block(p: *mut u8, size: usize) {
    if !p.is_null() {
        // SAFETY: p came from `alloc` with this size and alignment 1.
        unsafe { dealloc(p, layout(size)) };
    }
}

fn worker(me: usize, threads: usize, iters: u64, start: &Barrier) {
    let mut slots = [null_mut::<u8>(); SLOTS];
    let mut sizes = [0usize; SLOTS];
    let mut rng = 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(me as u64 + 1);
    start.wait();
    for i in 0..iters {
        let r = next(&mut rng);
        let k = (r % SLOTS as u64) as usize;
        if !slots[k].is_null() {
            // SAFETY: a live block of at least 16 bytes.
            if unsafe { *slots[k] } != k as u8 {
                BAD.fetch_add(1, SeqCst);
            }
            free_block(slots[k], sizes[k]);
        }
        let size = 16 + ((r >> 16) % 497) as usize;
        // SAFETY: a non-zero size.
        let p = unsafe { alloc(layout(size)) };
        if p.is_null() {
            BAD.fetch_add(1, SeqCst);
            return;
        }
        // SAFETY: p holds `size` bytes.
        unsafe {
            *p = k as u8;
            *p.add(size - 1) = 1;
        }
        slots[k] = p;
        sizes[k] = size;
        if i % 16 == 15 {
            // SAFETY: a non-zero size.
            let give = unsafe { alloc(layout(GIVE)) };
            if give.is_null() {
                BAD.fetch_add(1, SeqCst);
                return;
            }
            // SAFETY: give holds GIVE bytes.
            unsafe { *give = 0xab };
            free_block(INBOX[(me + 1) % threads].swap(give, SeqCst), GIVE);
            let got = INBOX[me].swap(null_mut(), SeqCst);
            // SAFETY: a block another thread filled before handing it over (SeqCst swap).
            if !got.is_null() && unsafe { *got } != 0xab {
                BAD.fetch_add(1, SeqCst);
            }
            free_block(got, GIVE);
        }
    }
    for (&p, &size) in slots.iter().zip(&sizes) {
        free_block(p, size);
    }
}

pub fn run(threads: usize, iters: u64) -> i32 {
    if !(1..=MAX_THREADS).contains(&threads) {
        print::<Strand>(format_args!("ERROR threads must be 1..={MAX_THREADS}"));
        return 1;
    }
    static START: AtomicPtr<Barrier> = AtomicPtr::new(null_mut());
    let barrier = Barrier::new(threads + 1);
    START.store(&barrier as *const Barrier as *mut Barrier, SeqCst);
    let mut handles: [Option<JoinHandle<()>>; MAX_THREADS] = [const { None }; MAX_THREADS];
    for (me, h) in handles.iter_mut().take(threads).enumerate() {
        let spawned = thread::spawn(move || {
            // SAFETY: `run` joins every worker before `barrier` goes out of scope.
            let start = unsafe { &*START.load(SeqCst) };
            worker(me, threads, iters, start)
        });
        match spawned {
            Ok(j) => *h = Some(j),
            Err(e) => {
                print::<Strand>(format_args!("ERROR spawn failed: {e}"));
                return 1;
            }
        }
    }
    barrier.wait();
    let t0 = Strand::now_ns();
    for h in handles.iter_mut().filter_map(Option::take) {
        Strand::join(h);
    }
    let t1 = Strand::now_ns();
    for slot in INBOX.iter().take(threads) {
        free_block(slot.swap(null_mut(), SeqCst), GIVE);
    }
    let bad = BAD.load(SeqCst);
    if bad != 0 {
        print::<Strand>(format_args!("ERROR {bad} blocks were corrupted or refused"));
        return 1;
    }
    print::<Strand>(format_args!("RESULT ms {:.3}", (t1 - t0) as f64 / 1e6));
    0
}
