//! Resource limits: `getrlimit`, `setrlimit` and `prlimit` with a typed [`Resource`], all
//! through the one syscall every ABI has with the same 64-bit layout, `prlimit64`
//! (kernel/sys.c; since Linux 2.6.36). The older `getrlimit`/`setrlimit` syscalls differ by ABI
//! (`ugetrlimit` on 32-bit x86, 32-bit `long` limits on 32-bit ABIs, mips's own
//! `RLIM_INFINITY`), which this avoids.

use crate::errno::Errno;
use crate::syscall::sys;
use crate::arch::sys::general as g;

/// A limited resource (getrlimit(2)). Its number differs by ABI (mips and sparc number
/// `NOFILE`, `AS`, `RSS` and `NPROC` differently): it comes from the arch's `sys`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::resource::{getrlimit, Resource};
/// for r in Resource::ALL {
///     let l = getrlimit(r).unwrap();
///     assert!(l.soft <= l.hard);
/// }
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    /// CPU time in seconds (SIGXCPU at the soft limit, SIGKILL at the hard one).
    Cpu,
    /// The largest file the process may create, in bytes (SIGXFSZ, then `EFBIG`).
    Fsize,
    /// The data segment (initialised data, bss, heap) in bytes.
    Data,
    /// The main thread's stack in bytes.
    Stack,
    /// The largest core dump in bytes (0: none).
    Core,
    /// Resident set size in bytes (no effect on current kernels).
    Rss,
    /// Threads and processes of the real user id.
    Nproc,
    /// One more than the largest file descriptor number that may be opened (`EMFILE`).
    Nofile,
    /// Bytes that may be locked into memory.
    Memlock,
    /// The address space in bytes (`ENOMEM` from `mmap`).
    As,
    /// File locks (no effect on current kernels).
    Locks,
    /// Queued signals of the real user id.
    Sigpending,
    /// Bytes in POSIX message queues of the real user id.
    Msgqueue,
    /// The ceiling of the nice value, as `20 - limit`.
    Nice,
    /// The ceiling of the real-time priority.
    Rtprio,
    /// Microseconds of CPU a real-time thread may use without a blocking syscall.
    Rttime,
}

impl Resource {
    /// Every resource, in the kernel's generic order.
    pub const ALL: [Resource; 16] = [
        Resource::Cpu,
        Resource::Fsize,
        Resource::Data,
        Resource::Stack,
        Resource::Core,
        Resource::Rss,
        Resource::Nproc,
        Resource::Nofile,
        Resource::Memlock,
        Resource::As,
        Resource::Locks,
        Resource::Sigpending,
        Resource::Msgqueue,
        Resource::Nice,
        Resource::Rtprio,
        Resource::Rttime,
    ];

    /// This ABI's `RLIMIT_*` number.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::arch::sys::general::RLIMIT_NOFILE;
    /// assert_eq!(strand::resource::Resource::Nofile.raw(), RLIMIT_NOFILE);
    /// # }
    /// ```
    pub fn raw(self) -> u32 {
        match self {
            Resource::Cpu => g::RLIMIT_CPU,
            Resource::Fsize => g::RLIMIT_FSIZE,
            Resource::Data => g::RLIMIT_DATA,
            Resource::Stack => g::RLIMIT_STACK,
            Resource::Core => g::RLIMIT_CORE,
            Resource::Rss => g::RLIMIT_RSS,
            Resource::Nproc => g::RLIMIT_NPROC,
            Resource::Nofile => g::RLIMIT_NOFILE,
            Resource::Memlock => g::RLIMIT_MEMLOCK,
            Resource::As => g::RLIMIT_AS,
            Resource::Locks => g::RLIMIT_LOCKS,
            Resource::Sigpending => g::RLIMIT_SIGPENDING,
            Resource::Msgqueue => g::RLIMIT_MSGQUEUE,
            Resource::Nice => g::RLIMIT_NICE,
            Resource::Rtprio => g::RLIMIT_RTPRIO,
            Resource::Rttime => g::RLIMIT_RTTIME,
        }
    }
}

/// A soft and a hard limit. The soft one is enforced; an unprivileged process may move it
/// anywhere up to the hard one and may lower (never raise) the hard one.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::resource::Rlimit;
/// let l = Rlimit::both(1024);
/// assert_eq!((l.soft, l.hard), (1024, 1024));
/// assert_ne!(l, Rlimit { soft: 1024, hard: Rlimit::INFINITY });
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rlimit {
    /// The limit enforced (`Rlimit::INFINITY`: none).
    pub soft: u64,
    /// The ceiling of the soft limit (`Rlimit::INFINITY`: none).
    pub hard: u64,
}

impl Rlimit {
    /// No limit: `RLIM64_INFINITY`, all ones on every ABI (include/uapi/linux/resource.h).
    pub const INFINITY: u64 = u64::MAX;

    /// Both limits the same.
    pub const fn both(limit: u64) -> Rlimit {
        Rlimit { soft: limit, hard: limit }
    }
}

/// `struct rlimit64`: two `__u64` on every ABI (include/uapi/linux/resource.h).
type K = g::rlimit64;

/// Reads and optionally sets a limit of process `pid` (0: the calling process); returns the
/// limit before the call. `EINVAL` if `new.soft > new.hard` (checked before the syscall),
/// `EPERM` to raise a hard limit without CAP_SYS_RESOURCE or to touch another user's process,
/// `ESRCH` for no such process. Async-signal-safe.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::resource::{prlimit, Resource, Rlimit};
/// let now = prlimit(0, Resource::Core, None).unwrap(); // only reads
/// // Asking for a soft limit above the hard one is refused before the syscall.
/// assert_eq!(prlimit(0, Resource::Core, Some(Rlimit { soft: 2, hard: 1 })), Err(strand::Errno::EINVAL));
/// assert_eq!(prlimit(0, Resource::Core, None), Ok(now));
/// # }
/// ```
pub fn prlimit(pid: i32, resource: Resource, new: Option<Rlimit>) -> Result<Rlimit, Errno> {
    if matches!(new, Some(l) if l.soft > l.hard) {
        return Err(Errno::EINVAL);
    }
    let k_new = new.map(|l| K { rlim_cur: l.soft, rlim_max: l.hard });
    let new_ptr = k_new.as_ref().map_or(core::ptr::null(), |k| k as *const K);
    let mut old = K { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: new_ptr is null or points at a live rlimit64; the kernel writes one to `old`.
    Errno::result(unsafe { sys!(g::__NR_prlimit64, pid, resource.raw(), new_ptr, &mut old as *mut K) })?;
    Ok(Rlimit { soft: old.rlim_cur, hard: old.rlim_max })
}

/// The calling process's limit of `resource`. Async-signal-safe.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::resource::{getrlimit, Resource};
/// let files = getrlimit(Resource::Nofile).unwrap();
/// assert!(files.soft >= 3); // stdin, stdout, stderr
/// # }
/// ```
pub fn getrlimit(resource: Resource) -> Result<Rlimit, Errno> {
    prlimit(0, resource, None)
}

/// Sets the calling process's limit of `resource` (limits are per process: every thread sees
/// the change). Errors as for [`prlimit`]. Async-signal-safe.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::resource::{getrlimit, setrlimit, Resource, Rlimit};
/// let before = getrlimit(Resource::Core).unwrap();
/// // Lowering the soft limit needs no privilege; every thread sees it.
/// setrlimit(Resource::Core, Rlimit { soft: 0, hard: before.hard }).unwrap();
/// let seen = strand::thread::spawn(|| getrlimit(Resource::Core).unwrap().soft).unwrap().join().unwrap();
/// assert_eq!(seen, 0);
/// setrlimit(Resource::Core, before).unwrap();
/// # }
/// ```
pub fn setrlimit(resource: Resource, limit: Rlimit) -> Result<(), Errno> {
    prlimit(0, resource, Some(limit)).map(drop)
}
