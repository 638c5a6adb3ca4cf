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
#[cfg(feature = "count-syscalls")]
pub fn count() -> usize {
    crate::arch::SYSCALL_COUNT.load(core::sync::atomic::Ordering::Relaxed)
}

/// A 64-bit `struct __kernel_timespec`, the one layout the `*_time64` syscalls of 32-bit ABIs
/// and the plain syscalls of 64-bit ABIs share (include/uapi/linux/time_types.h).
pub type Timespec = g::__kernel_timespec;

pub fn write(fd: i32, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel reads at most buf.len() bytes from a live slice.
    Errno::result(unsafe { sys!(g::__NR_write, fd, buf.as_ptr(), buf.len()) })
}

/// Writes the whole buffer, retrying on short writes and `EINTR`.
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

pub fn read(fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel writes at most buf.len() bytes into a live, exclusive slice.
    Errno::result(unsafe { sys!(g::__NR_read, fd, buf.as_mut_ptr(), buf.len()) })
}

/// `read`, as a cancellation point (see `thread::Thread::cancel`): `Err(ECANCELED)` if the
/// calling thread is cancelled before the read or while it blocks. A read that completed
/// returns its data even if the cancel came right after: the next cancellation point reports it.
pub fn read_cancellable(fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: buf is valid for writes of its length; the cancel word is the caller's, alive.
    let r = unsafe {
        crate::arch::syscall_cp(crate::thread::cancel_word(), g::__NR_read as usize, fd as usize, buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0)
    };
    Errno::result(r)
}

pub fn open(path: &CStr, flags: u32) -> Result<i32, Errno> {
    // SAFETY: path is NUL-terminated and lives across the call.
    let r = unsafe { sys!(g::__NR_openat, g::AT_FDCWD, path.as_ptr(), flags | g::O_CLOEXEC, 0) };
    Errno::result(r).map(|fd| fd as i32)
}

pub fn close(fd: i32) -> Result<(), Errno> {
    // SAFETY: closing a descriptor touches no memory of ours.
    Errno::result(unsafe { sys!(g::__NR_close, fd) }).map(drop)
}

/// Reads a small file (procfs, cgroupfs) into `buf`; returns the filled prefix.
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

/// Writes `data` to an existing file (procfs).
pub fn write_file(path: &CStr, data: &[u8]) -> Result<(), Errno> {
    let fd = open(path, g::O_WRONLY)?;
    let res = write_all(fd, data);
    let _ = close(fd);
    res
}

/// An anonymous private mapping.
pub fn mmap_anon(len: usize, prot: u32, extra_flags: u32) -> Result<*mut u8, Errno> {
    let flags = g::MAP_PRIVATE | g::MAP_ANONYMOUS | extra_flags;
    // SAFETY: a fresh anonymous mapping at a kernel-chosen address aliases nothing.
    let r = unsafe { arch::mmap_raw(0, len, prot as usize, flags as usize, usize::MAX) };
    Errno::result(r).map(|p| p as *mut u8)
}

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

/// # Safety
/// Nothing may use the range in a way the new protection forbids.
pub unsafe fn mprotect(addr: *mut u8, len: usize, prot: u32) -> Result<(), Errno> {
    // SAFETY: the caller vouches for the range.
    Errno::result(unsafe { sys!(g::__NR_mprotect, addr, len, prot) }).map(drop)
}

/// Ends the calling thread only.
pub fn exit_thread(code: i32) -> ! {
    // SAFETY: exit never returns; the thread's memory stays mapped.
    unsafe { sys!(g::__NR_exit, code) };
    unreachable!("exit returned")
}

/// Ends the process, without running at-exit handlers (see `rt::exit` for that).
pub fn exit_group(code: i32) -> ! {
    // SAFETY: exit_group never returns.
    unsafe { sys!(g::__NR_exit_group, code) };
    unreachable!("exit_group returned")
}

pub fn gettid() -> i32 {
    // SAFETY: no memory is involved.
    unsafe { sys!(g::__NR_gettid) as i32 }
}

pub fn getpid() -> i32 {
    // SAFETY: no memory is involved.
    unsafe { sys!(g::__NR_getpid) as i32 }
}

pub fn sched_yield() {
    // SAFETY: no memory is involved; sched_yield cannot fail on Linux.
    unsafe { sys!(g::__NR_sched_yield) };
}

/// # Safety
/// `addr` must stay valid (or be null) for as long as the calling thread runs: the kernel writes
/// 0 there when the thread exits.
pub unsafe fn set_tid_address(addr: *mut u32) -> i32 {
    // SAFETY: per the function's contract; set_tid_address always succeeds.
    unsafe { sys!(g::__NR_set_tid_address, addr) as i32 }
}

/// Fills `mask` with the calling thread's CPU affinity; returns the number of bytes the kernel
/// wrote.
pub fn sched_getaffinity(mask: &mut [usize]) -> Result<usize, Errno> {
    let bytes = core::mem::size_of_val(mask);
    // SAFETY: the kernel writes at most `bytes` bytes into the exclusive slice.
    Errno::result(unsafe { sys!(g::__NR_sched_getaffinity, 0, bytes, mask.as_mut_ptr()) })
}

pub fn prctl(option: u32, arg: usize) -> Result<usize, Errno> {
    // SAFETY: the options strand uses (PR_SET_NAME / PR_GET_NAME) take a 16-byte buffer that the
    // caller passes in `arg`.
    Errno::result(unsafe { sys!(g::__NR_prctl, option, arg, 0, 0, 0) })
}

// The time64 syscalls read 64-bit seconds and nanoseconds on every ABI.
static_assertions::const_assert_eq!(core::mem::size_of::<Timespec>(), 16);

/// `rt_sigprocmask(how, set, old)`: `how` is `SIG_BLOCK`, `SIG_UNBLOCK` or `SIG_SETMASK`.
pub fn sigprocmask(how: u32, set: Option<&SigSet>, old: Option<&mut SigSet>) -> Result<(), Errno> {
    let set = set.map_or(core::ptr::null(), |s| s as *const SigSet);
    let old = old.map_or(core::ptr::null_mut(), |s| s as *mut SigSet);
    // SAFETY: both pointers are null or point at live SigSets of the kernel's size.
    Errno::result(unsafe {
        sys!(g::__NR_rt_sigprocmask, how, set, old, core::mem::size_of::<SigSet>())
    })
    .map(drop)
}

pub fn clock_gettime(clock: u32) -> Result<Timespec, Errno> {
    match nr::CLOCK_GETTIME_TIME32 {
        Some(old) if crate::rt::uses_time32(crate::rt::TIME32_CLOCK_GETTIME) => clock_gettime_time32(old, clock),
        _ => clock_gettime_time64(clock),
    }
}

/// `clock_nanosleep(clock, flags, req, rem)`; `EINTR` is returned to the caller.
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
pub fn clock_gettime_time64(clock: u32) -> Result<Timespec, Errno> {
    let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: the kernel writes one __kernel_timespec.
    Errno::result(unsafe { sys!(nr::CLOCK_GETTIME, clock, &mut ts as *mut Timespec) }).map(|_| ts)
}

/// `clock_nanosleep` with 64-bit time: `clock_nanosleep_time64` on 32-bit ABIs.
pub fn clock_nanosleep_time64(clock: u32, flags: u32, req: &Timespec, rem: Option<&mut Timespec>) -> Result<(), Errno> {
    let rem = rem.map_or(core::ptr::null_mut(), |r| r as *mut Timespec);
    // SAFETY: req is live; rem is null or live.
    let r = unsafe { sys!(nr::CLOCK_NANOSLEEP, clock, flags, req as *const Timespec, rem) };
    Errno::result(r).map(drop)
}

/// `struct old_timespec32` (include/vdso/time32.h): what the 32-bit-time originals of the time
/// syscalls (`futex`, `clock_gettime`, `clock_nanosleep` on 32-bit ABIs) read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Timespec32 {
    pub tv_sec: i32,
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

    pub fn widen(self) -> Timespec {
        Timespec { tv_sec: self.tv_sec.into(), tv_nsec: self.tv_nsec.into() }
    }
}

static_assertions::const_assert_eq!(core::mem::size_of::<Timespec32>(), 8);

/// `clock_gettime` through the 32-bit-time syscall number `nr` (`nr::CLOCK_GETTIME_TIME32`).
pub fn clock_gettime_time32(nr: usize, clock: u32) -> Result<Timespec, Errno> {
    let mut ts = Timespec32 { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: the kernel writes one old_timespec32.
    Errno::result(unsafe { sys!(nr, clock, &mut ts as *mut Timespec32) }).map(|_| ts.widen())
}

/// `clock_nanosleep` through the 32-bit-time syscall number `nr` (`nr::CLOCK_NANOSLEEP_TIME32`):
/// a relative sleep past 68 years is cut to 68 years, an absolute time past 2038 is `EOVERFLOW`.
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

