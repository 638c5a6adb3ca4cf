//! Churn: spawn+join and spawn+detach, over and over, then the process must be back where it
//! started: the same number of mappings and, natively, the same resident memory (within two
//! pages).
#![no_std]
#![no_main]

#[path = "../tests/common/mod.rs"]
#[macro_use]
mod common;
#[macro_use]
mod support;

use common::TestResult;
use core::fmt;
use core::sync::atomic::Ordering::SeqCst;
use core::time::Duration;
use strand::sync::Mutex;
use strand::thread::{self, Builder};
use support::{size, spawn_failed, usage, waiting_for, AtomicU64, Rng, Stress, Usage};

strand::main!(main);

const TESTS: &[Stress] = &[
    ("spawn_join_cycles", spawn_join_cycles, 120),
    ("spawn_detach_cycles", spawn_detach_cycles, 120),
    ("mixed_shapes_join_or_detach", mixed_shapes_join_or_detach, 120),
    ("resident_memory_returns", resident_memory_returns, 10),
];

fn main() -> i32 {
    support::run("churn", TESTS)
}

/// How many cycles of each kind: 100,000 natively, 10,000 under QEMU, a tenth of that quick.
fn cycles() -> u64 {
    size(100_000, 10_000, 10_000, 1_000)
}

/// Resident memory may move by this much: a page of the main stack or of a procfs read buffer.
const RSS_SLACK_PAGES: usize = 2;

/// The baseline, taken after a few cycles of the same kind so that first-use costs (code pages
/// faulted in, the main stack's depth) are not counted as growth.
fn baseline(mut warm_up: impl FnMut() -> TestResult) -> Result<Usage, common::Failure> {
    warm_up()?;
    Ok(usage())
}

/// Resident pages before and after each churn, checked together by `resident_memory_returns`.
static RSS: Mutex<[(usize, usize); 3]> = Mutex::new([(0, 0); 3]);

/// Checks that the mapping count is back to `before` and records the resident pages. Both are
/// polled for a while (bounded): detached threads unmap themselves after they have said they are
/// done.
fn check_back(slot: usize, before: Usage, what: fmt::Arguments<'_>) -> TestResult {
    waiting_for(format_args!("the mapping count to return to {} after {what}", before.maps));
    let mut now = usage();
    common::eventually(20, || {
        now = usage();
        now.maps == before.maps && (support::qemu() || now.rss_pages <= before.rss_pages + RSS_SLACK_PAGES)
    });
    RSS.lock()[slot] = (before.rss_pages, now.rss_pages);
    note!("{what}: mappings {} -> {}, resident pages {} -> {}", before.maps, now.maps, before.rss_pages, now.rss_pages);
    check!(now.maps == before.maps, "after {what}: {} mappings, {} before", now.maps, before.maps);
    Ok(())
}

/// The churns above must not have grown the resident memory by more than two pages each.
fn resident_memory_returns() -> TestResult {
    let rss = *RSS.lock();
    if support::qemu() {
        return support::skip(format_args!(
            "/proc/self/statm under QEMU user mode is QEMU's own process: its heap and translation cache \
             grew (resident pages before -> after each churn: {} -> {}, {} -> {}, {} -> {}), which says nothing \
             about the guest's stacks (the mapping counts, which QEMU does emulate, were checked)",
            rss[0].0, rss[0].1, rss[1].0, rss[1].1, rss[2].0, rss[2].1
        ));
    }
    for (i, &(before, after)) in rss.iter().enumerate() {
        check!(before != 0, "churn {i} recorded no resident-memory figure (did it fail early?)");
        check!(
            after <= before + RSS_SLACK_PAGES,
            "churn {i}: {after} resident pages after, {before} before (slack {RSS_SLACK_PAGES} pages)"
        );
    }
    Ok(())
}

fn value(i: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i >> 7)
}

fn join_cycles(n: u64) -> TestResult {
    for i in 0..n {
        if i % 1024 == 0 {
            waiting_for(format_args!("spawn+join cycle {i} of {n}"));
        }
        let h = thread::spawn(move || value(i)).map_err(|e| spawn_failed(format_args!("thread {i}"), e))?;
        let v = h.join()?;
        check!(v == value(i), "cycle {i}: join returned {v:#x}, expected {:#x}", value(i));
    }
    Ok(())
}

fn spawn_join_cycles() -> TestResult {
    let n = cycles();
    let before = baseline(|| join_cycles(64))?;
    join_cycles(n)?;
    check_back(0, before, format_args!("{n} spawn+join cycles"))
}

static DONE: AtomicU64 = AtomicU64::new(0);

fn detach_cycles(n: u64) -> TestResult {
    DONE.store(0, SeqCst);
    for i in 0..n {
        if i % 1024 == 0 {
            waiting_for(format_args!("spawn+detach cycle {i} of {n}"));
        }
        let h = Builder::new()
            .stack_size(16 << 10)
            .spawn(|| {
                DONE.fetch_add(1, SeqCst);
            })
            .map_err(|e| spawn_failed(format_args!("detached thread {i}"), e))?;
        h.detach();
    }
    waiting_for(format_args!("all {n} detached threads to run"));
    let ran = common::eventually(60, || DONE.load(SeqCst) == n);
    check!(ran, "only {} of {n} detached threads ran", DONE.load(SeqCst));
    Ok(())
}

fn spawn_detach_cycles() -> TestResult {
    let n = cycles();
    let before = baseline(|| detach_cycles(64).and_then(|()| wait_settled()))?;
    detach_cycles(n)?;
    check_back(1, before, format_args!("{n} spawn+detach cycles"))
}

/// Lets the warm-up's detached threads finish unmapping before the baseline is taken.
fn wait_settled() -> TestResult {
    let mut last = usage().maps;
    common::eventually(5, || {
        thread::sleep(Duration::from_millis(5));
        let now = usage().maps;
        let same = now == last;
        last = now;
        same
    });
    Ok(())
}

/// Threads of different shapes (stack and guard sizes), some joined and some detached, so that
/// the stack cache sees mappings it must not hand to a thread of another shape. Each thread
/// stamps a buffer on its stack and checks it after a random delay: two threads given the same
/// stack would see each other's stamp.
fn mixed_shapes_join_or_detach() -> TestResult {
    const STACKS: [usize; 4] = [16 << 10, 64 << 10, 256 << 10, 0];
    let page = strand::rt::page_size();
    let guards = [0, page, 4 * page];
    let n = cycles() / 2;
    let mut rng = Rng::for_stream(3);
    let run = |n: u64, rng: &mut Rng| -> TestResult {
        DONE.store(0, SeqCst);
        let mut detached = 0;
        for i in 0..n {
            if i % 1024 == 0 {
                waiting_for(format_args!("mixed-shape cycle {i} of {n}"));
            }
            let mut b = Builder::new().guard_size(guards[rng.below(3) as usize]);
            let stack = STACKS[rng.below(4) as usize];
            if stack != 0 {
                b = b.stack_size(stack);
            }
            let delay = rng.below(2000);
            let h = b
                .spawn(move || {
                    let ok = stamp_and_check(i, delay);
                    DONE.fetch_add(1, SeqCst);
                    ok
                })
                .map_err(|e| spawn_failed(format_args!("mixed-shape thread {i}"), e))?;
            if rng.one_in(2) {
                let ok = h.join()?;
                check!(ok, "thread {i}: its stack stamp was overwritten (a stack shared with another thread?)");
            } else {
                detached += 1;
                h.detach();
            }
        }
        waiting_for(format_args!("{n} mixed-shape threads ({detached} detached) to finish"));
        check!(common::eventually(60, || DONE.load(SeqCst) == n), "only {} of {n} threads finished", DONE.load(SeqCst));
        check!(!STAMP_BROKEN.load(SeqCst), "a detached thread found its stack stamp overwritten");
        Ok(())
    };
    let before = baseline(|| run(64, &mut rng.fork()).and_then(|()| wait_settled()))?;
    run(n, &mut rng)?;
    check_back(2, before, format_args!("{n} mixed-shape cycles"))
}

static STAMP_BROKEN: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

#[inline(never)]
fn stamp_and_check(id: u64, delay: u64) -> bool {
    let mut buf = [0u64; 64];
    for (k, w) in buf.iter_mut().enumerate() {
        *w = id ^ (k as u64) << 48;
    }
    let buf = core::hint::black_box(buf);
    support::spin(delay);
    let ok = buf.iter().enumerate().all(|(k, &w)| w == id ^ (k as u64) << 48);
    if !ok {
        STAMP_BROKEN.store(true, SeqCst);
    }
    ok
}
