//! Typed syscall wrappers: each one turns the raw result into `Result<_, Errno>`.
//!
//! The instructions and the few numbers whose names differ by ABI come from `arch`; the rest of
//! the numbers and every constant from `arch::sys` (the ABI's `linux_raw_sys`).

use crate::arch::{self, nr};
use crate::errno::Errno;
use crate::signal::SigSet;
use core::ffi::CStr;
use crate::arch::sys::general as g;

macro_rules! sys {
    ($nr:expr) => { $crate::arch::syscall0($nr as usize) };
    ($nr:expr, $a:expr) => { $crate::arch::syscall1($nr as usize, $a as usize) };
    ($nr:expr, $a:expr, $b:expr) => { $crate::arch::syscall2($nr as usize, $a as usize, $b as usize) };
    ($nr:expr, $a:expr, $b:expr, $c:expr) => {
        $crate::arch::syscall3($nr as usize, $a as usize, $b as usize, $c as usize)
    };
    ($nr:expr, $a:expr, $b:expr, $c:expr, $d:expr) => {
        $crate::arch::syscall4($nr as usize, $a as usize, $b as usize, $c as usize, $d as usize)
    };
    ($nr:expr, $a:expr, $b:expr, $c:expr, $d:expr, $e:expr) => {
        $crate::arch::syscall5($nr as usize, $a as usize, $b as usize, $c as usize, $d as usize, $e as usize)
    };
    ($nr:expr, $a:expr, $b:expr, $c:expr, $d:expr, $e:expr, $f:expr) => {
        $crate::arch::syscall6(
            $nr as usize, $a as usize, $b as usize, $c as usize, $d as usize, $e as usize, $f as usize,
        )
    };
}
pub(crate) use sys;

/// How many syscalls strand has made in this process so far, in every thread (the
/// `count-syscalls` feature; see `arch/mod.rs`). Take the difference of two readings around
/// the code to measure; other threads' syscalls in between are counted too.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let before = strand::syscall::count();
/// strand::syscall::sched_yield();
/// assert!(strand::syscall::count() > before);
/// # }
/// ```
#[cfg(feature = "count-syscalls")]
pub fn count() -> usize {
    crate::arch::SYSCALL_COUNT.load(core::sync::atomic::Ordering::Relaxed)
}

/// A 64-bit `struct __kernel_timespec`, the one layout the `*_time64` syscalls of 32-bit ABIs
/// and the plain syscalls of 64-bit ABIs share (include/uapi/linux/time_types.h).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let ts = strand::syscall::Timespec { tv_sec: 1, tv_nsec: 500_000_000 };
/// assert_eq!(ts.tv_sec * 1_000_000_000 + ts.tv_nsec, 1_500_000_000);
/// # }
/// ```
pub type Timespec = g::__kernel_timespec;

/// `write(fd, buf)`: writes some of `buf` (maybe not all) and returns how many bytes; see
/// [`write_all`] for the whole buffer.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// assert_eq!(strand::syscall::write(1, b"hello\n"), Ok(6));
/// assert_eq!(strand::syscall::write(-1, b"x").unwrap_err().name(), Some("EBADF"));
/// # }
/// ```
pub fn write(fd: i32, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel reads at most buf.len() bytes from a live slice.
    Errno::result(unsafe { sys!(g::__NR_write, fd, buf.as_ptr(), buf.len()) })
}

/// Writes the whole buffer, retrying on short writes and `EINTR`; `EIO` if the kernel
/// accepts no bytes at all.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// strand::syscall::write_all(2, b"to stderr\n").unwrap();
/// # }
/// ```
pub fn write_all(fd: i32, mut buf: &[u8]) -> Result<(), Errno> {
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(0) => return Err(Errno::EIO),
            Ok(n) => buf = &buf[n..],
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `read(fd, buf)`: reads at most `buf.len()` bytes and returns how many (0 at end of file).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::syscall::{close, open, read};
/// let fd = open(c"/proc/self/comm", 0).unwrap(); // O_RDONLY
/// let mut buf = [0u8; 64];
/// let n = read(fd, &mut buf).unwrap();
/// assert!(n > 0 && buf[n - 1] == b'\n');
/// assert_eq!(read(fd, &mut buf), Ok(0)); // end of file
/// close(fd).unwrap();
/// # }
/// ```
pub fn read(fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel writes at most buf.len() bytes into a live, exclusive slice.
    Errno::result(unsafe { sys!(g::__NR_read, fd, buf.as_mut_ptr(), buf.len()) })
}

/// `read`, as a cancellation point (see `thread::Thread::cancel`): `Err(ECANCELED)` if the
/// calling thread is cancelled before the read or while it blocks. A read that completed
/// returns its data even if the cancel came right after: the next cancellation point reports it.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::syscall::{close, open, read_cancellable};
/// let fd = open(c"/proc/self/stat", 0).unwrap();
/// let mut buf = [0u8; 16];
/// assert!(read_cancellable(fd, &mut buf).unwrap() > 0);
/// close(fd).unwrap();
/// # }
/// ```
pub fn read_cancellable(fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: buf is valid for writes of its length; the cancel word is the caller's, alive.
    let r = unsafe {
        crate::arch::syscall_cp(crate::thread::cancel_word(), g::__NR_read as usize, fd as usize, buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0)
    };
    Errno::result(r)
}

/// `openat(AT_FDCWD, path, flags | O_CLOEXEC, 0)`: opens an existing file and returns the
/// descriptor, close-on-exec. The mode is 0, so `O_CREAT` would make a file nobody may open.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::sys::general::O_RDONLY;
/// use strand::syscall::{close, open};
/// let fd = open(c"/proc/self/status", O_RDONLY).unwrap();
/// assert!(fd >= 0);
/// close(fd).unwrap();
/// assert_eq!(open(c"/no/such/file", O_RDONLY), Err(strand::Errno::ENOENT));
/// # }
/// ```
pub fn open(path: &CStr, flags: u32) -> Result<i32, Errno> {
    // SAFETY: path is NUL-terminated and lives across the call.
    let r = unsafe { sys!(g::__NR_openat, g::AT_FDCWD, path.as_ptr(), flags | g::O_CLOEXEC, 0) };
    Errno::result(r).map(|fd| fd as i32)
}

/// `close(fd)`. The descriptor is gone afterwards even on `EINTR` (Linux), so never retry.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let fd = strand::syscall::open(c"/proc/self/stat", 0).unwrap();
/// assert_eq!(strand::syscall::close(fd), Ok(()));
/// assert!(strand::syscall::close(fd).is_err()); // EBADF: already closed
/// # }
/// ```
pub fn close(fd: i32) -> Result<(), Errno> {
    // SAFETY: closing a descriptor touches no memory of ours.
    Errno::result(unsafe { sys!(g::__NR_close, fd) }).map(drop)
}

/// Reads a small file (procfs, cgroupfs) into `buf`; returns the filled prefix (all of `buf` if
/// the file is longer: the rest is not read).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let mut buf = [0u8; 256];
/// let status = strand::syscall::read_file(c"/proc/self/status", &mut buf).unwrap();
/// assert!(status.starts_with(b"Name:"));
/// # }
/// ```
pub fn read_file<'a>(path: &CStr, buf: &'a mut [u8]) -> Result<&'a [u8], Errno> {
    let fd = open(path, g::O_RDONLY)?;
    let mut len = 0;
    let res = loop {
        if len == buf.len() {
            break Ok(());
        }
        match read(fd, &mut buf[len..]) {
            Ok(0) => break Ok(()),
            Ok(n) => len += n,
            Err(Errno::EINTR) => {}
            Err(e) => break Err(e),
        }
    };
    let _ = close(fd);
    res.map(|()| &buf[..len])
}

/// Writes `data` to an existing file (procfs), all of it.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::syscall::{read_file, write_file};
/// // A thread's name, as the kernel keeps it.
/// write_file(c"/proc/thread-self/comm", b"renamed").unwrap();
/// let mut buf = [0u8; 16];
/// assert_eq!(read_file(c"/proc/thread-self/comm", &mut buf).unwrap(), b"renamed\n");
/// # }
/// ```
pub fn write_file(path: &CStr, data: &[u8]) -> Result<(), Errno> {
    let fd = open(path, g::O_WRONLY)?;
    let res = write_all(fd, data);
    let _ = close(fd);
    res
}

/// An anonymous private mapping of `len` bytes (zero-filled, at an address the kernel picks)
/// with protection `prot`; `extra_flags` are or-ed into `MAP_PRIVATE | MAP_ANONYMOUS`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::sys::general::{PROT_READ, PROT_WRITE};
/// use strand::syscall::{mmap_anon, munmap};
/// let len = strand::rt::page_size();
/// let p = mmap_anon(len, PROT_READ | PROT_WRITE, 0).unwrap();
/// // SAFETY: the mapping is ours, `len` bytes, readable and writable.
/// unsafe {
///     assert_eq!(*p, 0);
///     *p = 7;
///     assert_eq!(*p, 7);
///     munmap(p, len).unwrap();
/// }
/// # }
/// ```
pub fn mmap_anon(len: usize, prot: u32, extra_flags: u32) -> Result<*mut u8, Errno> {
    let flags = g::MAP_PRIVATE | g::MAP_ANONYMOUS | extra_flags;
    // SAFETY: a fresh anonymous mapping at a kernel-chosen address aliases nothing.
    let r = unsafe { arch::mmap_raw(0, len, prot as usize, flags as usize, usize::MAX) };
    Errno::result(r).map(|p| p as *mut u8)
}

/// `munmap(addr, len)`: gives a range of mappings back to the kernel; `len` is rounded up to
/// whole pages, and a range with nothing mapped is no error.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::sys::general::{PROT_READ, PROT_WRITE};
/// use strand::syscall::{mmap_anon, munmap};
/// let page = strand::rt::page_size();
/// let p = mmap_anon(2 * page, PROT_READ | PROT_WRITE, 0).unwrap();
/// // SAFETY: the mapping is ours; the second page is not used after it is given back, the first
/// // not after the second call.
/// unsafe {
///     munmap(p.add(page), page).unwrap(); // the tail only
///     *p = 1; // the head is still mapped
///     munmap(p, page).unwrap();
///     assert_eq!(munmap(p.add(1), page), Err(strand::Errno::EINVAL)); // not page-aligned
/// }
/// # }
/// ```
///
/// # Safety
/// Nothing may use `[addr, addr + len)` afterwards.
pub unsafe fn munmap(addr: *mut u8, len: usize) -> Result<(), Errno> {
    // SAFETY: the caller gives up the range.
    Errno::result(unsafe { sys!(g::__NR_munmap, addr, len) }).map(drop)
}

/// `mremap(addr, old_len, new_len, flags)` without a fixed new address (mm/mremap.c): grows or
/// shrinks the mapping at `addr`; with `MREMAP_MAYMOVE` in `flags` the kernel may move it (the
/// new address is returned), without it the mapping changes in place or fails with `ENOMEM`.
///
/// # Safety
/// `[addr, addr + old_len)` must be a mapping the caller owns; on success nothing may use the
/// old range except through the returned address, and a shrink gives up the tail.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::sys::general::{MREMAP_MAYMOVE, PROT_READ, PROT_WRITE};
/// use strand::syscall::{mmap_anon, mremap, munmap};
/// let page = strand::rt::page_size();
/// let p = mmap_anon(page, PROT_READ | PROT_WRITE, 0).unwrap();
/// // SAFETY: the mapping is ours; after the remap it is used only through `q`.
/// unsafe {
///     *p = 42;
///     let q = mremap(p, page, 4 * page, MREMAP_MAYMOVE).unwrap();
///     assert_eq!(*q, 42); // the contents move with it
///     *q.add(3 * page) = 1; // and the new pages are there
///     munmap(q, 4 * page).unwrap();
/// }
/// # }
/// ```
pub unsafe fn mremap(addr: *mut u8, old_len: usize, new_len: usize, flags: u32) -> Result<*mut u8, Errno> {
    // A fixed target address would need the fifth argument, which this wrapper does not take.
    if flags & (g::MREMAP_FIXED | g::MREMAP_DONTUNMAP) != 0 {
        return Err(Errno::EINVAL);
    }
    // SAFETY: the caller owns the range; the fifth argument (new_address) is read only with
    // MREMAP_FIXED or MREMAP_DONTUNMAP, refused above.
    let r = unsafe { sys!(g::__NR_mremap, addr, old_len, new_len, flags, 0) };
    Errno::result(r).map(|p| p as *mut u8)
}

/// `mprotect(addr, len, prot)`: changes the protection of whole pages.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::sys::general::{PROT_NONE, PROT_READ, PROT_WRITE};
/// use strand::syscall::{mmap_anon, mprotect, munmap};
/// let page = strand::rt::page_size();
/// let p = mmap_anon(page, PROT_NONE, 0).unwrap();
/// // SAFETY: the page is ours and not touched until it is readable and writable.
/// unsafe {
///     mprotect(p, page, PROT_READ | PROT_WRITE).unwrap();
///     *p = 1;
///     munmap(p, page).unwrap();
/// }
/// # }
/// ```
///
/// # Safety
/// Nothing may use the range in a way the new protection forbids.
pub unsafe fn mprotect(addr: *mut u8, len: usize, prot: u32) -> Result<(), Errno> {
    // SAFETY: the caller vouches for the range.
    Errno::result(unsafe { sys!(g::__NR_mprotect, addr, len, prot) }).map(drop)
}

/// Ends the calling thread only, with the raw `exit` syscall: nothing of strand's runs (no exit
/// hooks, no thread-local destructors, no wake-up of a joiner's handle). Use
/// `strand::thread::exit` in a strand thread.
///
/// ```no_run
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// // In the main thread, this leaves the process running until the other threads end.
/// strand::syscall::exit_thread(0);
/// # }
/// ```
pub fn exit_thread(code: i32) -> ! {
    // SAFETY: exit never returns; the thread's memory stays mapped.
    unsafe { sys!(g::__NR_exit, code) };
    unreachable!("exit returned")
}

/// Ends the process, without running at-exit handlers (see `rt::exit` for that).
///
/// ```no_run
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// strand::syscall::exit_group(3); // every thread ends; the status is 3
/// # }
/// ```
pub fn exit_group(code: i32) -> ! {
    // SAFETY: exit_group never returns.
    unsafe { sys!(g::__NR_exit_group, code) };
    unreachable!("exit_group returned")
}

/// The calling thread's kernel id, by syscall (`thread::current_tid` reads it without one).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// assert_eq!(strand::syscall::gettid(), strand::thread::current_tid());
/// // In the main thread, the tid is the pid.
/// assert_eq!(strand::syscall::gettid(), strand::syscall::getpid());
/// # }
/// ```
pub fn gettid() -> i32 {
    // SAFETY: no memory is involved.
    unsafe { sys!(g::__NR_gettid) as i32 }
}

/// The process id (the same in every thread).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let pid = strand::syscall::getpid();
/// let other = strand::thread::spawn(strand::syscall::getpid).unwrap().join().unwrap();
/// assert_eq!(other, pid);
/// # }
/// ```
pub fn getpid() -> i32 {
    // SAFETY: no memory is involved.
    unsafe { sys!(g::__NR_getpid) as i32 }
}

/// Lets another runnable thread run on this CPU (`sched_yield`, which cannot fail).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// strand::syscall::sched_yield();
/// # }
/// ```
pub fn sched_yield() {
    // SAFETY: no memory is involved; sched_yield cannot fail on Linux.
    unsafe { sys!(g::__NR_sched_yield) };
}

/// `set_tid_address(addr)`: where the kernel writes 0 (and wakes a futex waiter) when the
/// calling thread exits; returns the caller's tid. strand sets it for every thread it starts:
/// changing it breaks `join` of that thread.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// // SAFETY: a null address: the kernel writes nothing at exit. strand's own word for the
/// // main thread is then no longer cleared when it exits: fine in a program that ends here.
/// let tid = unsafe { strand::syscall::set_tid_address(core::ptr::null_mut()) };
/// assert_eq!(tid, strand::thread::current_tid());
/// # }
/// ```
///
/// # Safety
/// `addr` must stay valid (or be null) for as long as the calling thread runs: the kernel writes
/// 0 there when the thread exits.
pub unsafe fn set_tid_address(addr: *mut u32) -> i32 {
    // SAFETY: per the function's contract; set_tid_address always succeeds.
    unsafe { sys!(g::__NR_set_tid_address, addr) as i32 }
}

/// Fills `mask` with the calling thread's CPU affinity; returns the number of bytes the kernel
/// wrote. `EINVAL` if `mask` is smaller than the kernel's CPU mask.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let mut mask = [0usize; 16];
/// let bytes = strand::syscall::sched_getaffinity(&mut mask).unwrap();
/// let cpus: u32 = mask[..bytes / core::mem::size_of::<usize>()].iter().map(|w| w.count_ones()).sum();
/// assert!(cpus >= 1); // the calling thread runs somewhere
/// # }
/// ```
pub fn sched_getaffinity(mask: &mut [usize]) -> Result<usize, Errno> {
    let bytes = core::mem::size_of_val(mask);
    // SAFETY: the kernel writes at most `bytes` bytes into the exclusive slice.
    Errno::result(unsafe { sys!(g::__NR_sched_getaffinity, 0, bytes, mask.as_mut_ptr()) })
}

/// `prctl(option, arg, 0, 0, 0)`, for the options that take one argument, for example
/// `PR_GET_NAME`/`PR_SET_NAME` with a 16-byte buffer (what strand uses it for).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::sys::prctl::{PR_GET_NAME, PR_SET_NAME};
/// use strand::syscall::prctl;
/// prctl(PR_SET_NAME, c"worker".as_ptr() as usize).unwrap();
/// let mut name = [0u8; 16];
/// prctl(PR_GET_NAME, name.as_mut_ptr() as usize).unwrap();
/// assert_eq!(&name[..7], b"worker\0");
/// # }
/// ```
pub fn prctl(option: u32, arg: usize) -> Result<usize, Errno> {
    // SAFETY: the options strand uses (PR_SET_NAME / PR_GET_NAME) take a 16-byte buffer that the
    // caller passes in `arg`.
    Errno::result(unsafe { sys!(g::__NR_prctl, option, arg, 0, 0, 0) })
}

// The time64 syscalls read 64-bit seconds and nanoseconds on every ABI.
static_assertions::const_assert_eq!(core::mem::size_of::<Timespec>(), 16);

/// `rt_sigprocmask(how, set, old)`: `how` is `SIG_BLOCK`, `SIG_UNBLOCK` or `SIG_SETMASK`.
/// Changes the calling thread's signal mask only; `old` receives the mask before the call.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::sys::general::SIG_SETMASK;
/// use strand::syscall::sigprocmask;
/// let mut old = strand::signal::SigSet::EMPTY;
/// sigprocmask(SIG_SETMASK, None, Some(&mut old)).unwrap(); // only reads the mask
/// sigprocmask(SIG_SETMASK, Some(&old), None).unwrap(); // and sets it back
/// # }
/// ```
pub fn sigprocmask(how: u32, set: Option<&SigSet>, old: Option<&mut SigSet>) -> Result<(), Errno> {
    let set = set.map_or(core::ptr::null(), |s| s as *const SigSet);
    let old = old.map_or(core::ptr::null_mut(), |s| s as *mut SigSet);
    // SAFETY: both pointers are null or point at live SigSets of the kernel's size.
    Errno::result(unsafe {
        sys!(g::__NR_rt_sigprocmask, how, set, old, core::mem::size_of::<SigSet>())
    })
    .map(drop)
}

/// `clock_gettime(clock)`, with 64-bit seconds on every ABI: the time64 syscall, or on a 32-bit
/// ABI whose kernel lacks it the old one. [`crate::time`] wraps the two clocks most programs
/// use.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::sys::general::CLOCK_MONOTONIC;
/// let a = strand::syscall::clock_gettime(CLOCK_MONOTONIC).unwrap();
/// let b = strand::syscall::clock_gettime(CLOCK_MONOTONIC).unwrap();
/// assert!((b.tv_sec, b.tv_nsec) >= (a.tv_sec, a.tv_nsec));
/// assert!(strand::syscall::clock_gettime(1000).is_err()); // EINVAL: no such clock
/// # }
/// ```
pub fn clock_gettime(clock: u32) -> Result<Timespec, Errno> {
    match nr::CLOCK_GETTIME_TIME32 {
        Some(old) if crate::rt::uses_time32(crate::rt::TIME32_CLOCK_GETTIME) => clock_gettime_time32(old, clock),
        _ => clock_gettime_time64(clock),
    }
}

/// `clock_nanosleep(clock, flags, req, rem)`; `EINTR` is returned to the caller (with `rem`
/// set for a relative sleep). `flags` is 0 or `TIMER_ABSTIME`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::sys::general::CLOCK_MONOTONIC;
/// use strand::syscall::{clock_gettime, clock_nanosleep, Timespec};
/// let start = clock_gettime(CLOCK_MONOTONIC).unwrap();
/// clock_nanosleep(CLOCK_MONOTONIC, 0, &Timespec { tv_sec: 0, tv_nsec: 1_000_000 }, None).unwrap();
/// let end = clock_gettime(CLOCK_MONOTONIC).unwrap();
/// let ns = (end.tv_sec - start.tv_sec) * 1_000_000_000 + end.tv_nsec - start.tv_nsec;
/// assert!(ns >= 1_000_000);
/// # }
/// ```
pub fn clock_nanosleep(clock: u32, flags: u32, req: &Timespec, rem: Option<&mut Timespec>) -> Result<(), Errno> {
    match nr::CLOCK_NANOSLEEP_TIME32 {
        Some(old) if crate::rt::uses_time32(crate::rt::TIME32_CLOCK_NANOSLEEP) => {
            clock_nanosleep_time32(old, clock, flags, req, rem)
        }
        _ => clock_nanosleep_time64(clock, flags, req, rem),
    }
}

/// A relative `clock_nanosleep` as a cancellation point (`thread::sleep_cancellable`):
/// `Err(ECANCELED)` if the calling thread is cancelled before or during the sleep; `EINTR`
/// (with `rem` set) if another handler interrupted it.
pub(crate) fn clock_nanosleep_cancellable(clock: u32, req: &Timespec, rem: &mut Timespec) -> Result<(), Errno> {
    let cancel = crate::thread::cancel_word();
    match nr::CLOCK_NANOSLEEP_TIME32 {
        Some(old) if crate::rt::uses_time32(crate::rt::TIME32_CLOCK_NANOSLEEP) => {
            let req32 = Timespec32::relative(req);
            let mut rem32 = Timespec32 { tv_sec: 0, tv_nsec: 0 };
            // SAFETY: req32 and rem32 are live; the cancel word is the caller's.
            let r = unsafe {
                crate::arch::syscall_cp(cancel, old, clock as usize, 0, &req32 as *const Timespec32 as usize, &mut rem32 as *mut Timespec32 as usize, 0, 0)
            };
            *rem = rem32.widen();
            Errno::result(r).map(drop)
        }
        _ => {
            // SAFETY: req and rem are live; the cancel word is the caller's.
            let r = unsafe {
                crate::arch::syscall_cp(cancel, nr::CLOCK_NANOSLEEP, clock as usize, 0, req as *const Timespec as usize, rem as *mut Timespec as usize, 0, 0)
            };
            Errno::result(r).map(drop)
        }
    }
}

/// `clock_gettime` with 64-bit time: `clock_gettime64` on 32-bit ABIs (`nr::CLOCK_GETTIME`).
/// `ENOSYS` on a 32-bit ABI whose kernel is older than 5.1; [`clock_gettime`] falls back then.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::sys::general::CLOCK_REALTIME;
/// let now = strand::syscall::clock_gettime_time64(CLOCK_REALTIME).unwrap();
/// assert!(now.tv_sec > 1_600_000_000); // after September 2020
/// # }
/// ```
pub fn clock_gettime_time64(clock: u32) -> Result<Timespec, Errno> {
    let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: the kernel writes one __kernel_timespec.
    Errno::result(unsafe { sys!(nr::CLOCK_GETTIME, clock, &mut ts as *mut Timespec) }).map(|_| ts)
}

/// `clock_nanosleep` with 64-bit time: `clock_nanosleep_time64` on 32-bit ABIs (`ENOSYS`
/// before Linux 5.1 there; [`clock_nanosleep`] falls back then).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::sys::general::{CLOCK_MONOTONIC, TIMER_ABSTIME};
/// use strand::syscall::{clock_gettime_time64, clock_nanosleep_time64};
/// // Until a deadline that has passed: returns at once.
/// let now = clock_gettime_time64(CLOCK_MONOTONIC).unwrap();
/// clock_nanosleep_time64(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, None).unwrap();
/// # }
/// ```
pub fn clock_nanosleep_time64(clock: u32, flags: u32, req: &Timespec, rem: Option<&mut Timespec>) -> Result<(), Errno> {
    let rem = rem.map_or(core::ptr::null_mut(), |r| r as *mut Timespec);
    // SAFETY: req is live; rem is null or live.
    let r = unsafe { sys!(nr::CLOCK_NANOSLEEP, clock, flags, req as *const Timespec, rem) };
    Errno::result(r).map(drop)
}

/// `struct old_timespec32` (include/vdso/time32.h): what the 32-bit-time originals of the time
/// syscalls (`futex`, `clock_gettime`, `clock_nanosleep` on 32-bit ABIs) read and write.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::syscall::{Timespec, Timespec32};
/// let long = Timespec { tv_sec: 1 << 40, tv_nsec: 5 };
/// // A relative time is cut to 68 years; an absolute one that far out is refused.
/// assert_eq!(Timespec32::relative(&long), Timespec32 { tv_sec: i32::MAX, tv_nsec: 5 });
/// assert_eq!(Timespec32::absolute(&long), Err(strand::Errno::EOVERFLOW));
/// let short = Timespec32 { tv_sec: 2, tv_nsec: 3 }.widen();
/// assert_eq!((short.tv_sec, short.tv_nsec), (2, 3));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Timespec32 {
    /// Seconds (since the epoch for an absolute time).
    pub tv_sec: i32,
    /// Nanoseconds, below 1_000_000_000.
    pub tv_nsec: i32,
}

impl Timespec32 {
    /// A relative time (a timeout, a sleep) in 32-bit seconds; one longer than `i32::MAX`
    /// seconds (68 years) is cut to that, which no caller can tell from the full length.
    pub fn relative(ts: &Timespec) -> Timespec32 {
        Timespec32 { tv_sec: ts.tv_sec.clamp(i32::MIN as i64, i32::MAX as i64) as i32, tv_nsec: ts.tv_nsec as i32 }
    }

    /// An absolute time (`TIMER_ABSTIME`), or `EOVERFLOW` if it lies outside 32-bit seconds
    /// (after January 2038 on CLOCK_REALTIME), as glibc reports it.
    pub fn absolute(ts: &Timespec) -> Result<Timespec32, Errno> {
        let tv_sec = i32::try_from(ts.tv_sec).map_err(|_| Errno::from_raw(crate::arch::sys::errno::EOVERFLOW as u16))?;
        Ok(Timespec32 { tv_sec, tv_nsec: ts.tv_nsec as i32 })
    }

    /// The same time in the 64-bit layout.
    pub fn widen(self) -> Timespec {
        Timespec { tv_sec: self.tv_sec.into(), tv_nsec: self.tv_nsec.into() }
    }
}

static_assertions::const_assert_eq!(core::mem::size_of::<Timespec32>(), 8);

/// `clock_gettime` through the 32-bit-time syscall number `nr` (`nr::CLOCK_GETTIME_TIME32`,
/// `None` on 64-bit ABIs, which have only the one syscall).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::{nr, sys::general::CLOCK_MONOTONIC};
/// if let Some(old) = nr::CLOCK_GETTIME_TIME32 {
///     let t = strand::syscall::clock_gettime_time32(old, CLOCK_MONOTONIC).unwrap();
///     assert!(t.tv_sec >= 0);
/// }
/// # }
/// ```
pub fn clock_gettime_time32(nr: usize, clock: u32) -> Result<Timespec, Errno> {
    let mut ts = Timespec32 { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: the kernel writes one old_timespec32.
    Errno::result(unsafe { sys!(nr, clock, &mut ts as *mut Timespec32) }).map(|_| ts.widen())
}

/// `clock_nanosleep` through the 32-bit-time syscall number `nr` (`nr::CLOCK_NANOSLEEP_TIME32`):
/// a relative sleep past 68 years is cut to 68 years, an absolute time past 2038 is `EOVERFLOW`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::{nr, sys::general::{CLOCK_REALTIME, TIMER_ABSTIME}};
/// use strand::syscall::{clock_nanosleep_time32, Timespec};
/// if let Some(old) = nr::CLOCK_NANOSLEEP_TIME32 {
///     let after_2038 = Timespec { tv_sec: 1 << 32, tv_nsec: 0 };
///     let r = clock_nanosleep_time32(old, CLOCK_REALTIME, TIMER_ABSTIME, &after_2038, None);
///     assert_eq!(r, Err(strand::Errno::EOVERFLOW));
/// }
/// # }
/// ```
pub fn clock_nanosleep_time32(
    nr: usize,
    clock: u32,
    flags: u32,
    req: &Timespec,
    rem: Option<&mut Timespec>,
) -> Result<(), Errno> {
    let req32 = if flags & g::TIMER_ABSTIME != 0 { Timespec32::absolute(req)? } else { Timespec32::relative(req) };
    let mut rem32 = Timespec32 { tv_sec: 0, tv_nsec: 0 };
    let rem32_ptr = if rem.is_some() { &mut rem32 as *mut Timespec32 } else { core::ptr::null_mut() };
    // SAFETY: req32 is live; rem32_ptr is null or points at the live rem32.
    let r = Errno::result(unsafe { sys!(nr, clock, flags, &req32 as *const Timespec32, rem32_ptr) }).map(drop);
    if let (Err(Errno::EINTR), Some(rem)) = (r, rem) {
        *rem = rem32.widen();
    }
    r
}

