//! Resource limits and credentials for tests that make a spawn fail on purpose: raw
//! `prlimit64` and `setresuid`, each undone by a guard whichever way the test leaves.

use strand::arch::sys::general as g;
use strand::Errno;

/// `prlimit64(0 = this process, resource, new, old)` (man 2 prlimit).
pub fn prlimit(resource: u32, new: Option<&g::rlimit64>) -> Result<g::rlimit64, Errno> {
    let mut old = g::rlimit64 { rlim_cur: 0, rlim_max: 0 };
    let new = new.map_or(core::ptr::null(), |n| n as *const g::rlimit64);
    // SAFETY: the kernel reads a live rlimit64 (or nothing) and writes the live `old`.
    let r = unsafe {
        strand::arch::syscall4(g::__NR_prlimit64 as usize, 0, resource as usize, new as usize, &mut old as *mut _ as usize)
    };
    Errno::result(r).map(|_| old)
}

/// Lowers (or raises, up to the hard limit) a soft limit until the guard is dropped.
pub struct SoftLimit {
    resource: u32,
    old: g::rlimit64,
}

impl SoftLimit {
    pub fn set(resource: u32, soft: u64) -> Result<SoftLimit, Errno> {
        let old = prlimit(resource, None)?;
        prlimit(resource, Some(&g::rlimit64 { rlim_cur: soft.min(old.rlim_max), rlim_max: old.rlim_max }))?;
        Ok(SoftLimit { resource, old })
    }
}

impl Drop for SoftLimit {
    fn drop(&mut self) {
        let _ = prlimit(self.resource, Some(&self.old));
    }
}

fn setresuid(r: u32, e: u32, s: u32) -> Result<(), Errno> {
    // `nr::SETRESUID`: 32-bit sparc has only `setresuid32` for 32-bit tasks (syscall.tbl).
    // SAFETY: setresuid touches no memory. The raw syscall (unlike libc's) changes the calling
    // thread only; threads it spawns afterwards inherit the credentials.
    Errno::result(unsafe { strand::arch::syscall3(strand::arch::nr::SETRESUID, r as usize, e as usize, s as usize) })
        .map(drop)
}

fn uids() -> (u32, u32) {
    // SAFETY: getuid and geteuid touch no memory (the ABI's full-width ones, `nr`: `getuid32`
    // where the plain call is 16-bit).
    unsafe { (strand::arch::syscall0(strand::arch::nr::GETUID) as u32, strand::arch::syscall0(strand::arch::nr::GETEUID) as u32) }
}

/// While alive, the calling thread runs as a uid no other task uses, if it was root.
///
/// The kernel does not apply RLIMIT_NPROC to root, nor to a task with CAP_SYS_RESOURCE or
/// CAP_SYS_ADMIN (kernel/fork.c, copy_process). Leaving uid 0 for real and effective uid clears
/// the effective capabilities (man 7 capabilities, "Effect of user ID changes on capabilities");
/// the saved uid stays 0, which is what lets the guard come back. An ordinary user needs no
/// change: RLIMIT_NPROC 1 is already exceeded by the calling thread.
pub struct LimitableUid {
    was_root: bool,
}

impl LimitableUid {
    pub fn enter() -> Result<LimitableUid, Errno> {
        let (ruid, euid) = uids();
        if ruid != 0 && euid != 0 {
            return Ok(LimitableUid { was_root: false });
        }
        let uid = 40_000 + (strand::syscall::getpid() as u32 % 20_000);
        setresuid(uid, uid, 0)?;
        Ok(LimitableUid { was_root: true })
    }
}

impl Drop for LimitableUid {
    fn drop(&mut self) {
        if self.was_root {
            let _ = setresuid(0, 0, 0);
        }
    }
}
