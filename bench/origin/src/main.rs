//! The workloads on origin 0.26: origin's `_start`, `origin::thread::{create, join, detach}`,
//! rustix for futexes, the clock and files, `#[thread_local]` for TLS. No libc: built for
//! x86_64-unknown-linux-gnu with `-nostartfiles`, `+crt-static` and the static relocation model.
#![no_std]
#![no_main]
#![feature(thread_local)]

extern crate alloc;

use alloc::vec::Vec;
use bench_common::Rt;
use core::ffi::{c_void, CStr};
use core::mem::MaybeUninit;
use core::ptr::NonNull;
use core::sync::atomic::AtomicU32;
use origin::thread::{self, Thread};
use rustix::thread::futex;

#[global_allocator]
static GLOBAL_ALLOCATOR: rustix_dlmalloc::GlobalDlmalloc = rustix_dlmalloc::GlobalDlmalloc;

#[thread_local]
static mut TLS_COUNTER: u64 = 0;

struct Origin;

/// The thread's first function: `args` are `f` and its argument.
///
/// # Safety
/// `args[0]` is a `fn(usize)`, as `Origin::spawn` stores it.
unsafe fn entry(args: &mut [Option<NonNull<c_void>>]) -> Option<NonNull<c_void>> {
    let f = args[0].expect("function pointer");
    // SAFETY: `spawn` stored a `fn(usize)` here.
    let f: fn(usize) = unsafe { core::mem::transmute::<*mut c_void, fn(usize)>(f.as_ptr()) };
    f(args[1].map_or(0, |p| p.as_ptr() as usize));
    None
}

impl Rt for Origin {
    type Handle = Thread;
    type Error = rustix::io::Errno;

    fn spawn(stack: Option<usize>, f: fn(usize), arg: usize) -> Result<Thread, rustix::io::Errno> {
        let args = [NonNull::new(f as *mut c_void), NonNull::new(arg as *mut c_void)];
        let stack = stack.unwrap_or_else(thread::default_stack_size);
        // SAFETY: `entry` reads exactly these two values; `f(arg)` is safe to run on any thread.
        unsafe { thread::create(entry, &args, stack, thread::default_guard_size()) }
    }

    fn join(h: Thread) {
        // SAFETY: each handle is joined or detached exactly once.
        unsafe { thread::join(h) };
    }

    fn detach(h: Thread) {
        // SAFETY: as in `join`.
        unsafe { thread::detach(h) };
    }

    fn now_ns() -> u64 {
        let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }

    fn futex_wait(word: &AtomicU32, expected: u32) {
        let _ = futex::wait(word, futex::Flags::PRIVATE, expected, None);
    }

    fn futex_wake(word: &AtomicU32, n: u32) {
        let _ = futex::wake(word, futex::Flags::PRIVATE, n);
    }

    fn write_stdout(mut bytes: &[u8]) {
        // SAFETY: fd 1 stays open for the whole run.
        let fd = unsafe { rustix::stdio::stdout() };
        while !bytes.is_empty() {
            match rustix::io::write(fd, bytes) {
                Ok(n) => bytes = &bytes[n..],
                Err(rustix::io::Errno::INTR) => {}
                Err(_) => return,
            }
        }
    }

    fn read_file(path: &CStr, sink: &mut dyn FnMut(&[u8])) -> bool {
        use rustix::fs::{open, Mode, OFlags};
        let Ok(fd) = open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()) else { return false };
        let mut buf = [0u8; 4096];
        loop {
            match rustix::io::read(&fd, &mut buf) {
                Ok(0) => return true,
                Ok(n) => sink(&buf[..n]),
                Err(rustix::io::Errno::INTR) => {}
                Err(_) => return true,
            }
        }
    }

    fn handle_slots(n: usize) -> &'static mut [MaybeUninit<Thread>] {
        let mut v = Vec::with_capacity(n);
        v.resize_with(n, MaybeUninit::zeroed);
        v.leak()
    }

    #[inline]
    fn tls_bump() {
        // SAFETY: this thread's own copy; nothing else refers to it.
        unsafe { TLS_COUNTER += 1 };
    }

    fn tls_get() -> u64 {
        // SAFETY: as above.
        unsafe { TLS_COUNTER }
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    bench_common::print::<Origin>(format_args!("ERROR panic: {info}"));
    origin::program::immediate_exit(101)
}

/// origin's entry after its start-up.
///
/// # Safety
/// origin passes the process's argc and argv.
#[no_mangle]
unsafe fn origin_main(argc: usize, argv: *mut *mut u8, _envp: *mut *mut u8) -> i32 {
    let mut args = [""; 16];
    let n = argc.min(args.len());
    for (i, a) in args.iter_mut().enumerate().take(n) {
        // SAFETY: the kernel's argv holds argc NUL-terminated strings.
        let s = unsafe { CStr::from_ptr(*argv.add(i) as *const core::ffi::c_char) };
        *a = s.to_str().unwrap_or("");
    }
    bench_common::run::<Origin>(&args[1..n], |_| None)
}
