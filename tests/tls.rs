//! Static TLS from PT_TLS: initial values (.tdata copied, .tbss zeroed), independence between
//! threads, and alignment (64 and 4096), for the main thread and spawned threads.
#![no_std]
#![no_main]
#![feature(thread_local)]

#[macro_use]
mod common;

use common::{Gate, Test, TestResult};
use core::ptr::addr_of_mut;
use strand::thread::{self, JoinHandle};

strand::main!(main);

#[thread_local]
static mut DATA: u64 = 0x1122_3344_5566_7788;
#[thread_local]
static mut BYTES: [u8; 5] = *b"tdata";
#[thread_local]
static mut ZEROED: [u32; 300] = [0; 300];

#[repr(C, align(64))]
struct Align64 {
    value: u32,
}
#[repr(C, align(4096))]
struct Align4096 {
    value: u64,
}

#[thread_local]
static mut A64: Align64 = Align64 { value: 64 };
#[thread_local]
static mut A4096: Align4096 = Align4096 { value: 4096 };

const TESTS: &[Test] = &[
    ("main_thread_initial_values", main_thread_initial_values),
    ("spawned_thread_initial_values", spawned_thread_initial_values),
    ("threads_are_independent", threads_are_independent),
    ("alignment_64_and_4096", alignment_64_and_4096),
    ("addresses_differ_between_threads", addresses_differ_between_threads),
];

fn main() -> i32 {
    // Dirty the main thread's copy first: spawned threads must start from the image, not from
    // the main thread's current values.
    // SAFETY: only this thread touches its own copies.
    unsafe {
        *addr_of_mut!(DATA) = 1;
        (*addr_of_mut!(ZEROED))[7] = 9;
        let ok = check_initial_main_first();
        *addr_of_mut!(DATA) = 0x1122_3344_5566_7788;
        (*addr_of_mut!(ZEROED))[7] = 0;
        MAIN_STARTED_CLEAN.store(ok, core::sync::atomic::Ordering::SeqCst);
        *addr_of_mut!(DATA) = 0xdead;
        (*addr_of_mut!(ZEROED))[7] = 9;
        (*addr_of_mut!(A64)).value = 0;
    }
    common::run("tls", TESTS)
}

static MAIN_STARTED_CLEAN: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Values as the image has them, read before anything (but the two writes undone) ran.
fn check_initial_main_first() -> bool {
    // SAFETY: this thread's own copies.
    unsafe {
        *addr_of_mut!(BYTES) == *b"tdata"
            && (*addr_of_mut!(ZEROED)).iter().enumerate().all(|(i, &v)| v == if i == 7 { 9 } else { 0 })
            && (*addr_of_mut!(A64)).value == 64
            && (*addr_of_mut!(A4096)).value == 4096
    }
}

fn main_thread_initial_values() -> TestResult {
    check!(MAIN_STARTED_CLEAN.load(core::sync::atomic::Ordering::SeqCst), "main thread TLS did not start from the image");
    Ok(())
}

/// What a fresh thread sees: (DATA, BYTES, all ZEROED zero, A64, A4096).
fn fresh_view() -> (u64, [u8; 5], bool, u32, u64) {
    // SAFETY: this thread's own copies.
    unsafe {
        (
            *addr_of_mut!(DATA),
            *addr_of_mut!(BYTES),
            (*addr_of_mut!(ZEROED)).iter().all(|&v| v == 0),
            (*addr_of_mut!(A64)).value,
            (*addr_of_mut!(A4096)).value,
        )
    }
}

fn spawned_thread_initial_values() -> TestResult {
    for _ in 0..4 {
        let v = thread::spawn(fresh_view).map_err(|e| common::Failure::new(format_args!("{e}")))?.join()?;
        check_eq!(v, (0x1122_3344_5566_7788, *b"tdata", true, 64, 4096));
    }
    Ok(())
}

fn threads_are_independent() -> TestResult {
    const N: usize = 8;
    static GATE: Gate = Gate::new();
    let mut handles: [Option<JoinHandle<(u64, u32, bool)>>; N] = [const { None }; N];
    for (i, h) in handles.iter_mut().enumerate() {
        let handle = thread::spawn(move || {
            // SAFETY: this thread's own copies.
            unsafe {
                *addr_of_mut!(DATA) = i as u64 * 1000;
                (*addr_of_mut!(ZEROED))[i] = i as u32 + 1;
                // Everyone writes before anyone reads back.
                GATE.wait();
                let others_zero = (*addr_of_mut!(ZEROED)).iter().enumerate().all(|(j, &v)| j == i || v == 0);
                (*addr_of_mut!(DATA), (*addr_of_mut!(ZEROED))[i], others_zero)
            }
        })
        .map_err(|e| common::Failure::new(format_args!("{e}")))?;
        *h = Some(handle);
    }
    thread::sleep(core::time::Duration::from_millis(10));
    GATE.open();
    for (i, h) in handles.iter_mut().enumerate() {
        let (data, mine, others_zero) = h.take().unwrap().join()?;
        check_eq!(data, i as u64 * 1000);
        check_eq!(mine, i as u32 + 1);
        check!(others_zero, "thread {i} saw another thread's write");
    }
    // The main thread's own values are untouched.
    // SAFETY: this thread's own copy.
    check_eq!(unsafe { *addr_of_mut!(DATA) }, 0xdead);
    Ok(())
}

fn alignment_64_and_4096() -> TestResult {
    let addrs = || (addr_of_mut!(A64) as usize, addr_of_mut!(A4096) as usize);
    let (a, b) = addrs();
    check!(a % 64 == 0 && b % 4096 == 0, "main thread: {a:#x} {b:#x}");
    for _ in 0..4 {
        let (a, b) = thread::spawn(addrs).map_err(|e| common::Failure::new(format_args!("{e}")))?.join()?;
        check!(a % 64 == 0 && b % 4096 == 0, "spawned thread: {a:#x} {b:#x}");
    }
    Ok(())
}

fn addresses_differ_between_threads() -> TestResult {
    let mine = addr_of_mut!(DATA) as usize;
    let theirs = thread::spawn(|| addr_of_mut!(DATA) as usize).map_err(|e| common::Failure::new(format_args!("{e}")))?.join()?;
    check!(mine != theirs, "main and spawned thread share DATA at {mine:#x}");
    Ok(())
}
