//! Synchronous faults: every thread's alternate signal stack, a fault handler that fixes the
//! cause and resumes, and (run by xtask in processes of their own, checked from outside) stack
//! overflows and unhandled faults that are reported and end the process by their signal.
#![no_std]
#![no_main]
#![feature(core_intrinsics)]
#![allow(internal_features)]

#[macro_use]
mod common;

use common::{Test, TestResult};
use core::hint::black_box;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering::SeqCst};
use strand::arch::sys::general as g;
use strand::signal::{self, Context, FaultAction, SigInfo, Signal};
use strand::{env, println, rt, syscall, thread, Errno};

// This program runs with SIGPIPE ignored (tests/startup.rs, with the default, dies by it).
strand::main!(main, sigpipe = ignore);

const TESTS: &[Test] = &[
    ("every_thread_has_an_alternate_stack_below_its_stack", every_thread_has_an_alternate_stack_below_its_stack),
    ("main_thread_has_an_alternate_stack", main_thread_has_an_alternate_stack),
    ("caught_segv_resumes_after_mprotect", caught_segv_resumes_after_mprotect),
    ("caught_segv_in_a_spawned_thread_runs_on_its_alternate_stack", caught_segv_in_a_spawned_thread_runs_on_its_alternate_stack),
    ("fault_handler_declining_is_not_resumed_twice", fault_handler_declining_is_not_resumed_twice),
    ("sigpipe_ignored_makes_the_write_fail_with_epipe", sigpipe_ignored_makes_the_write_fail_with_epipe),
];

fn main() -> i32 {
    let mode = env::args().nth(1).map(|a| a.to_bytes());
    match mode {
        Some(b"--overflow-spawned") => overflow_spawned(),
        Some(b"--overflow-main") => {
            recurse(0);
            1
        }
        Some(b"--null-write") => null_write(),
        Some(b"--divide-by-zero") => divide_by_zero(),
        _ => common::run("fault", TESTS),
    }
}

fn err(e: impl core::fmt::Display) -> common::Failure {
    common::Failure::new(format_args!("{e}"))
}

/// The calling thread's registered alternate stack (`sigaltstack(NULL, &old)`): (sp, size, flags).
fn alt_stack() -> Result<(usize, usize, i32), common::Failure> {
    // SAFETY: stack_t is plain data.
    let mut ss: g::stack_t = unsafe { core::mem::zeroed() };
    // SAFETY: the kernel writes one stack_t.
    let r = unsafe { strand::arch::syscall2(g::__NR_sigaltstack as usize, 0, &mut ss as *mut g::stack_t as usize) };
    Errno::result(r).map_err(err)?;
    Ok((ss.ss_sp as usize, ss.ss_size as usize, ss.ss_flags as i32))
}

fn every_thread_has_an_alternate_stack_below_its_stack() -> TestResult {
    let h = thread::Builder::new()
        .stack_size(64 << 10)
        .spawn(|| {
            let local = 0u8;
            (alt_stack(), black_box(&local) as *const u8 as usize)
        })
        .map_err(err)?;
    let stack = {
        let mut s = 0..0;
        let tid = h.thread().tid();
        thread::for_each_thread(|t| {
            if t.thread.tid() == tid {
                s = t.stack.clone();
            }
        });
        s
    };
    let (alt, local) = h.join()?;
    let (sp, size, flags) = alt?;
    check_eq!(flags, 0);
    check!(size >= 16 << 10, "alternate stack of {size} bytes");
    check!(stack.contains(&local), "local {local:#x} not in the stack {stack:x?}");
    // Below the stack, with the stack's guard page in between.
    check!(sp + size + rt::page_size() <= stack.start, "alternate stack {sp:#x}+{size:#x} not below the guard under {:#x}", stack.start);
    Ok(())
}

fn main_thread_has_an_alternate_stack() -> TestResult {
    let (_, size, flags) = alt_stack()?;
    check_eq!(flags, 0);
    check!(size >= 16 << 10, "alternate stack of {size} bytes");
    Ok(())
}

/// A page the tests fault on: PROT_NONE until the handler opens it.
static PAGE: AtomicUsize = AtomicUsize::new(0);
static FAULTS: AtomicU32 = AtomicU32::new(0);
static FAULT_ADDR: AtomicUsize = AtomicUsize::new(0);
/// Whether the handler's own frame was inside the alternate stack registered for its thread.
static ON_ALT_STACK: AtomicU32 = AtomicU32::new(0);

fn open_page(info: &SigInfo, _: &mut Context) -> FaultAction {
    let page = PAGE.load(SeqCst);
    let Some(addr) = info.fault_addr() else { return FaultAction::Die };
    // s390x reports only the page of the address (arch/s390/mm/fault.c).
    if info.signal() != Signal::SEGV || addr & !(rt::page_size() - 1) != page {
        return FaultAction::Die;
    }
    FAULTS.fetch_add(1, SeqCst);
    FAULT_ADDR.store(addr, SeqCst);
    let local = 0u8;
    let here = black_box(&local) as *const u8 as usize;
    if let Ok((sp, size, _)) = alt_stack() {
        ON_ALT_STACK.store((sp <= here && here < sp + size) as u32, SeqCst);
    }
    // SAFETY: the test's own page.
    match unsafe { syscall::mprotect(page as *mut u8, rt::page_size(), g::PROT_READ | g::PROT_WRITE) } {
        Ok(()) => FaultAction::Resume,
        Err(_) => FaultAction::Die,
    }
}

/// Maps a PROT_NONE page, sets the opening handler, writes `value` to the page's word 5 and
/// reads it back; cleans up.
fn fault_on_a_fresh_page(value: usize) -> Result<(usize, usize), common::Failure> {
    let page = syscall::mmap_anon(rt::page_size(), g::PROT_NONE, 0).map_err(err)? as usize;
    PAGE.store(page, SeqCst);
    FAULTS.store(0, SeqCst);
    ON_ALT_STACK.store(0, SeqCst);
    let old = signal::set_fault_handler(Some(open_page));
    let word = (page as *mut usize).wrapping_add(5);
    // SAFETY: the page is ours; the first access faults and the handler makes it writable.
    let read = unsafe {
        word.write_volatile(value);
        word.read_volatile()
    };
    signal::set_fault_handler(old);
    // SAFETY: ours.
    let _ = unsafe { syscall::munmap(page as *mut u8, rt::page_size()) };
    Ok((read, word as usize))
}

fn caught_segv_resumes_after_mprotect() -> TestResult {
    let (read, word) = fault_on_a_fresh_page(0xfeed)?;
    check_eq!(read, 0xfeed);
    check_eq!(FAULTS.load(SeqCst), 1);
    let addr = FAULT_ADDR.load(SeqCst);
    check!(addr == word || addr == word & !(rt::page_size() - 1), "fault address {addr:#x}, the write went to {word:#x}");
    check_eq!(ON_ALT_STACK.load(SeqCst), 1);
    Ok(())
}

fn caught_segv_in_a_spawned_thread_runs_on_its_alternate_stack() -> TestResult {
    let h = thread::spawn(|| fault_on_a_fresh_page(77).map(|(read, _)| (read, FAULTS.load(SeqCst), ON_ALT_STACK.load(SeqCst))).map_err(|_| ())).map_err(err)?;
    check_eq!(h.join()?, Ok((77, 1, 1)));
    Ok(())
}

/// A fault handler that declines a fault it does not own leaves strand's report-and-die path:
/// here only checked not to run for an address it was not meant for. (The dying path itself is
/// the `--null-write` run, checked by xtask.)
fn fault_handler_declining_is_not_resumed_twice() -> TestResult {
    static CALLS: AtomicU32 = AtomicU32::new(0);
    fn decline(_: &SigInfo, _: &mut Context) -> FaultAction {
        CALLS.fetch_add(1, SeqCst);
        FaultAction::Die
    }
    let old = signal::set_fault_handler(Some(decline));
    let back = signal::set_fault_handler(old);
    check!(back.is_some_and(|f| f as usize == decline as signal::FaultHandler as usize), "set_fault_handler did not return the handler set");
    check_eq!(CALLS.load(SeqCst), 0);
    Ok(())
}

/// Never returns: each frame keeps a buffer alive across the call, so the recursion is real.
#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    let buf = [depth; 32];
    black_box(&buf);
    recurse(depth + 1).wrapping_add(black_box(buf)[7])
}

fn overflow_spawned() -> i32 {
    let h = thread::Builder::new().name("overflower").stack_size(64 << 10).spawn(|| recurse(0));
    match h {
        Ok(h) => {
            let _ = h.join();
            println!("the thread returned from infinite recursion");
            1
        }
        Err(e) => {
            println!("spawn failed: {e}");
            1
        }
    }
}

fn null_write() -> i32 {
    let p = black_box(16usize) as *mut u32;
    // SAFETY: none: this is the fault under test, which ends the process.
    unsafe { p.write_volatile(1) };
    println!("the write to address 16 did not fault");
    1
}

/// Exit status with which a run says it cannot check anything here (`skipped:` on stdout).
const SKIP: i32 = 77;

fn divide_by_zero() -> i32 {
    let zero = black_box(0i32);
    // SAFETY: none on purpose: the hardware division is what is tested. Where the ABI traps it
    // ends the process; where it does not, the result is whatever the hardware gives.
    let q = unsafe { core::intrinsics::unchecked_div(black_box(7i32), zero) };
    println!("skipped: integer division by zero does not trap on this ABI (7 / 0 gave {q})");
    SKIP
}

/// Writes to a pipe whose read end is closed: the error `EPIPE`, and the process goes on.
pub fn write_to_a_closed_pipe() -> Result<(), Errno> {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 writes two ints into a live array.
    Errno::result(unsafe { strand::arch::syscall2(g::__NR_pipe2 as usize, fds.as_mut_ptr() as usize, 0) })?;
    let _ = syscall::close(fds[0]);
    let r = syscall::write(fds[1], b"nobody reads this").map(drop);
    let _ = syscall::close(fds[1]);
    r
}

fn sigpipe_ignored_makes_the_write_fail_with_epipe() -> TestResult {
    check!(matches!(signal::get_handler(Signal::PIPE), Ok(signal::Handler::Ignore)), "SIGPIPE is not ignored");
    check_eq!(write_to_a_closed_pipe(), Err(Errno::EPIPE));
    Ok(())
}
