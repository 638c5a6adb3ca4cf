//! Hexagon (Qualcomm DSP, 32-bit, little-endian), Linux with the asm-generic syscall table.
//!
//! Syscalls: `trap0(#1)` with the number in `r6`, arguments in `r0..r5` and the result in `r0`
//! (arch/hexagon/kernel/vm_entry.S and traps.c, `do_trap0` case TRAP_SYSCALL: the number is
//! `regs->r06`, the arguments `r00..r05`, the result goes back in `r00`; QEMU's
//! linux-user/hexagon/cpu_loop.c, HEX_EVENT_TRAP0, the same). Every other register comes back
//! as it was (the kernel restores the whole `pt_regs`; QEMU writes only `r0`). Errors come back
//! as `-4095..=-1` in `r0`, already strand's convention. A restarted syscall (SA_RESTART) has
//! its PC moved back 4 bytes, onto the `trap0` (arch/hexagon/kernel/signal.c, `handle_signal`;
//! QEMU: `-QEMU_ERESTARTSYS` takes 4 off the PC), so every `trap0` here is a packet of its own.
//!
//! Registers Rust reserves and this file never names as operands: `r19` (LLVM's base pointer),
//! `r29` (sp), `r30` (fp), `r31` (lr). No asm here touches a predicate register: the branches
//! use the compare-with-zero jumps (`if (rN==#0) jump`, J2_jumprz/J2_jumprnz), which need none;
//! only `pred_shim` (below) reads and writes them, to save and restore them.
//!
//! Under QEMU 7.2 user mode a signal handler's return does not give the thread its predicate
//! registers back (measured with a probe: `p0` set before a `tgkill` to itself, cleared by the
//! handler, stays clear after `rt_sigreturn`), while the kernel saves and restores them
//! (`regs->preds` as `sc_regs.p3_0`, arch/hexagon/kernel/signal.c). Without a work-around that
//! failed threads::identity_is_right_from_the_first_instruction,
//! signals::current_in_a_handler_while_renaming and the control and signals stress programs
//! (wrong tids, a garbage slice length, "unlock of a mutex that was not locked"). So
//! `rt_sigaction` gives the kernel every handler as `pred_shim`, which saves `p3:0` in its frame,
//! calls the real handler (kept in `HANDLERS`) and puts `p3:0` back before returning; under the
//! kernel, which restores the predicates itself, it changes nothing.
//!
//! `sys`: `linux_raw_sys` 0.12 does not compile for hexagon (its `ctypes` module has no
//! `c_char` for `target_arch = "hexagon"`), so this file provides the names generic code takes
//! from `sys` itself, each from the kernel header named beside it. Hexagon has no uapi headers
//! of its own for these beyond `asm/unistd.h` (which includes asm-generic/unistd.h with
//! `sys_mmap2` as `sys_mmap_pgoff`), `asm/signal.h` (asm-generic/signal.h unchanged, no
//! SA_RESTORER), `asm/sigcontext.h` and `asm/user.h`; the table is the generic 32-bit one with
//! the `time32 stat64 rlimit renameat` ABIs (arch/hexagon/kernel/Makefile.syscalls). The struct
//! layouts are pinned with `static_assertions` below.

use super::{Sigaction, StackGuard, TlsAbi, TlsVariant};
use core::arch::{asm, naked_asm};
use core::sync::atomic::{AtomicUsize, Ordering};
use sys::general::{__NR_clone, __NR_exit, __NR_munmap};

/// `sys`: the kernel's constants, syscall numbers and struct layouts for hexagon, written here
/// (module header: `linux_raw_sys` does not build for hexagon), with the names and types
/// generic code uses from `linux_raw_sys` on every other ABI.
#[allow(non_camel_case_types, non_upper_case_globals)]
pub mod sys {
    /// Syscall numbers, flags and struct layouts (what `linux_raw_sys::general` has elsewhere).
    pub mod general {
        use core::ffi::c_void;
        use static_assertions::const_assert_eq;

        // include/uapi/linux/sched.h
        /// `CLONE_CHILD_CLEARTID` (include/uapi/linux/sched.h).
        pub const CLONE_CHILD_CLEARTID: u32 = 2097152;
        /// `CLONE_FILES` (include/uapi/linux/sched.h).
        pub const CLONE_FILES: u32 = 1024;
        /// `CLONE_FS` (include/uapi/linux/sched.h).
        pub const CLONE_FS: u32 = 512;
        /// `CLONE_PARENT_SETTID` (include/uapi/linux/sched.h).
        pub const CLONE_PARENT_SETTID: u32 = 1048576;
        /// `CLONE_SETTLS` (include/uapi/linux/sched.h).
        pub const CLONE_SETTLS: u32 = 524288;
        /// `CLONE_SIGHAND` (include/uapi/linux/sched.h).
        pub const CLONE_SIGHAND: u32 = 2048;
        /// `CLONE_SYSVSEM` (include/uapi/linux/sched.h).
        pub const CLONE_SYSVSEM: u32 = 262144;
        /// `CLONE_THREAD` (include/uapi/linux/sched.h).
        pub const CLONE_THREAD: u32 = 65536;
        /// `CLONE_VM` (include/uapi/linux/sched.h).
        pub const CLONE_VM: u32 = 256;
        /// `SCHED_FIFO` (include/uapi/linux/sched.h).
        pub const SCHED_FIFO: u32 = 1;
        // include/uapi/linux/futex.h
        /// `FUTEX2_PRIVATE` (include/uapi/linux/futex.h).
        pub const FUTEX2_PRIVATE: u32 = 128;
        /// `FUTEX2_SIZE_U32` (include/uapi/linux/futex.h).
        pub const FUTEX2_SIZE_U32: u32 = 2;
        /// `FUTEX_BITSET_MATCH_ANY` (include/uapi/linux/futex.h).
        pub const FUTEX_BITSET_MATCH_ANY: u32 = 4294967295;
        /// `FUTEX_CMP_REQUEUE` (include/uapi/linux/futex.h).
        pub const FUTEX_CMP_REQUEUE: u32 = 4;
        /// `FUTEX_CMP_REQUEUE_PI` (include/uapi/linux/futex.h).
        pub const FUTEX_CMP_REQUEUE_PI: u32 = 12;
        /// `FUTEX_LOCK_PI` (include/uapi/linux/futex.h).
        pub const FUTEX_LOCK_PI: u32 = 6;
        /// `FUTEX_LOCK_PI2` (include/uapi/linux/futex.h).
        pub const FUTEX_LOCK_PI2: u32 = 13;
        /// `FUTEX_OWNER_DIED` (include/uapi/linux/futex.h).
        pub const FUTEX_OWNER_DIED: u32 = 1073741824;
        /// `FUTEX_PRIVATE_FLAG` (include/uapi/linux/futex.h).
        pub const FUTEX_PRIVATE_FLAG: u32 = 128;
        /// `FUTEX_TID_MASK` (include/uapi/linux/futex.h).
        pub const FUTEX_TID_MASK: u32 = 1073741823;
        /// `FUTEX_TRYLOCK_PI` (include/uapi/linux/futex.h).
        pub const FUTEX_TRYLOCK_PI: u32 = 8;
        /// `FUTEX_UNLOCK_PI` (include/uapi/linux/futex.h).
        pub const FUTEX_UNLOCK_PI: u32 = 7;
        /// `FUTEX_WAIT` (include/uapi/linux/futex.h).
        pub const FUTEX_WAIT: u32 = 0;
        /// `FUTEX_WAITERS` (include/uapi/linux/futex.h).
        pub const FUTEX_WAITERS: u32 = 2147483648;
        /// `FUTEX_WAITV_MAX` (include/uapi/linux/futex.h).
        pub const FUTEX_WAITV_MAX: u32 = 128;
        /// `FUTEX_WAIT_PRIVATE` (include/uapi/linux/futex.h).
        pub const FUTEX_WAIT_PRIVATE: u32 = 128;
        /// `FUTEX_WAIT_REQUEUE_PI` (include/uapi/linux/futex.h).
        pub const FUTEX_WAIT_REQUEUE_PI: u32 = 11;
        /// `FUTEX_WAKE` (include/uapi/linux/futex.h).
        pub const FUTEX_WAKE: u32 = 1;
        /// `ROBUST_LIST_LIMIT` (include/uapi/linux/futex.h).
        pub const ROBUST_LIST_LIMIT: u32 = 2048;
        // include/uapi/asm-generic/signal.h and signal-defs.h (hexagon's uapi asm/signal.h includes them unchanged)
        /// `SA_NOCLDSTOP` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SA_NOCLDSTOP: u32 = 1;
        /// `SA_NOCLDWAIT` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SA_NOCLDWAIT: u32 = 2;
        /// `SA_NODEFER` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SA_NODEFER: u32 = 1073741824;
        /// `SA_ONSTACK` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SA_ONSTACK: u32 = 134217728;
        /// `SA_RESETHAND` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SA_RESETHAND: u32 = 2147483648;
        /// `SA_RESTART` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SA_RESTART: u32 = 268435456;
        /// `SA_SIGINFO` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SA_SIGINFO: u32 = 4;
        /// `SIGABRT` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGABRT: u32 = 6;
        /// `SIGALRM` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGALRM: u32 = 14;
        /// `SIGBUS` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGBUS: u32 = 7;
        /// `SIGCHLD` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGCHLD: u32 = 17;
        /// `SIGCONT` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGCONT: u32 = 18;
        /// `SIGFPE` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGFPE: u32 = 8;
        /// `SIGHUP` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGHUP: u32 = 1;
        /// `SIGILL` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGILL: u32 = 4;
        /// `SIGINT` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGINT: u32 = 2;
        /// `SIGIO` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGIO: u32 = 29;
        /// `SIGKILL` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGKILL: u32 = 9;
        /// `SIGPIPE` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGPIPE: u32 = 13;
        /// `SIGPROF` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGPROF: u32 = 27;
        /// `SIGPWR` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGPWR: u32 = 30;
        /// `SIGQUIT` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGQUIT: u32 = 3;
        /// `SIGRTMIN` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGRTMIN: u32 = 32;
        /// `SIGSEGV` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGSEGV: u32 = 11;
        /// `SIGSTOP` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGSTOP: u32 = 19;
        /// `SIGSYS` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGSYS: u32 = 31;
        /// `SIGTERM` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGTERM: u32 = 15;
        /// `SIGTRAP` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGTRAP: u32 = 5;
        /// `SIGTSTP` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGTSTP: u32 = 20;
        /// `SIGTTIN` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGTTIN: u32 = 21;
        /// `SIGTTOU` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGTTOU: u32 = 22;
        /// `SIGURG` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGURG: u32 = 23;
        /// `SIGUSR1` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGUSR1: u32 = 10;
        /// `SIGUSR2` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGUSR2: u32 = 12;
        /// `SIGVTALRM` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGVTALRM: u32 = 26;
        /// `SIGWINCH` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGWINCH: u32 = 28;
        /// `SIGXCPU` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGXCPU: u32 = 24;
        /// `SIGXFSZ` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIGXFSZ: u32 = 25;
        /// `SIG_BLOCK` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIG_BLOCK: u32 = 0;
        /// `SIG_SETMASK` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIG_SETMASK: u32 = 2;
        /// `SIG_UNBLOCK` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SIG_UNBLOCK: u32 = 1;
        /// `SS_DISABLE` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const SS_DISABLE: u32 = 2;
        /// `_NSIG` (include/uapi/asm-generic/signal.h and signal-defs.h).
        pub const _NSIG: u32 = 64;
        // include/uapi/asm-generic/siginfo.h
        /// `CLD_EXITED` (include/uapi/asm-generic/siginfo.h).
        pub const CLD_EXITED: u32 = 1;
        /// `SEGV_MAPERR` (include/uapi/asm-generic/siginfo.h).
        pub const SEGV_MAPERR: u32 = 1;
        /// `SI_KERNEL` (include/uapi/asm-generic/siginfo.h).
        pub const SI_KERNEL: u32 = 128;
        /// `SI_MESGQ` (include/uapi/asm-generic/siginfo.h).
        pub const SI_MESGQ: i32 = -3;
        /// `SI_QUEUE` (include/uapi/asm-generic/siginfo.h).
        pub const SI_QUEUE: i32 = -1;
        /// `SI_TIMER` (include/uapi/asm-generic/siginfo.h).
        pub const SI_TIMER: i32 = -2;
        /// `SI_TKILL` (include/uapi/asm-generic/siginfo.h).
        pub const SI_TKILL: i32 = -6;
        /// `SI_USER` (include/uapi/asm-generic/siginfo.h).
        pub const SI_USER: u32 = 0;
        // include/uapi/asm-generic/fcntl.h, include/uapi/linux/fcntl.h (AT_FDCWD, F_SETPIPE_SZ)
        /// `AT_FDCWD` (include/uapi/asm-generic/fcntl.h).
        pub const AT_FDCWD: i32 = -100;
        /// `FASYNC` (include/uapi/asm-generic/fcntl.h).
        pub const FASYNC: u32 = 8192;
        /// `F_OWNER_TID` (include/uapi/asm-generic/fcntl.h).
        pub const F_OWNER_TID: u32 = 0;
        /// `F_SETFL` (include/uapi/asm-generic/fcntl.h).
        pub const F_SETFL: u32 = 4;
        /// `F_SETOWN_EX` (include/uapi/asm-generic/fcntl.h).
        pub const F_SETOWN_EX: u32 = 15;
        /// `F_SETPIPE_SZ` (include/uapi/asm-generic/fcntl.h).
        pub const F_SETPIPE_SZ: u32 = 1031;
        /// `F_SETSIG` (include/uapi/asm-generic/fcntl.h).
        pub const F_SETSIG: u32 = 10;
        /// `O_CLOEXEC` (include/uapi/asm-generic/fcntl.h).
        pub const O_CLOEXEC: u32 = 524288;
        /// `O_CREAT` (include/uapi/asm-generic/fcntl.h).
        pub const O_CREAT: u32 = 64;
        /// `O_NONBLOCK` (include/uapi/asm-generic/fcntl.h).
        pub const O_NONBLOCK: u32 = 2048;
        /// `O_RDONLY` (include/uapi/asm-generic/fcntl.h).
        pub const O_RDONLY: u32 = 0;
        /// `O_WRONLY` (include/uapi/asm-generic/fcntl.h).
        pub const O_WRONLY: u32 = 1;
        // include/uapi/asm-generic/mman-common.h, mman.h and include/uapi/linux/mman.h (MREMAP_*)
        /// `MAP_ANONYMOUS` (include/uapi/asm-generic/mman-common.h).
        pub const MAP_ANONYMOUS: u32 = 32;
        /// `MAP_FIXED_NOREPLACE` (include/uapi/asm-generic/mman-common.h).
        pub const MAP_FIXED_NOREPLACE: u32 = 1048576;
        /// `MAP_NORESERVE` (include/uapi/asm-generic/mman-common.h).
        pub const MAP_NORESERVE: u32 = 16384;
        /// `MAP_PRIVATE` (include/uapi/asm-generic/mman-common.h).
        pub const MAP_PRIVATE: u32 = 2;
        /// `MAP_STACK` (include/uapi/asm-generic/mman-common.h).
        pub const MAP_STACK: u32 = 131072;
        /// `MREMAP_DONTUNMAP` (include/uapi/asm-generic/mman-common.h).
        pub const MREMAP_DONTUNMAP: u32 = 4;
        /// `MREMAP_FIXED` (include/uapi/asm-generic/mman-common.h).
        pub const MREMAP_FIXED: u32 = 2;
        /// `MREMAP_MAYMOVE` (include/uapi/asm-generic/mman-common.h).
        pub const MREMAP_MAYMOVE: u32 = 1;
        /// `PROT_NONE` (include/uapi/asm-generic/mman-common.h).
        pub const PROT_NONE: u32 = 0;
        /// `PROT_READ` (include/uapi/asm-generic/mman-common.h).
        pub const PROT_READ: u32 = 1;
        /// `PROT_WRITE` (include/uapi/asm-generic/mman-common.h).
        pub const PROT_WRITE: u32 = 2;
        // include/uapi/asm-generic/resource.h, include/uapi/linux/resource.h (RLIM64_INFINITY)
        /// `RLIM64_INFINITY` (include/uapi/asm-generic/resource.h).
        pub const RLIM64_INFINITY: i32 = -1;
        /// `RLIMIT_AS` (include/uapi/asm-generic/resource.h).
        pub const RLIMIT_AS: u32 = 9;
        /// `RLIMIT_CORE` (include/uapi/asm-generic/resource.h).
        pub const RLIMIT_CORE: u32 = 4;
        /// `RLIMIT_CPU` (include/uapi/asm-generic/resource.h).
        pub const RLIMIT_CPU: u32 = 0;
        /// `RLIMIT_DATA` (include/uapi/asm-generic/resource.h).
        pub const RLIMIT_DATA: u32 = 2;
        /// `RLIMIT_FSIZE` (include/uapi/asm-generic/resource.h).
        pub const RLIMIT_FSIZE: u32 = 1;
        /// `RLIMIT_LOCKS` (include/uapi/asm-generic/resource.h).
        pub const RLIMIT_LOCKS: u32 = 10;
        /// `RLIMIT_MEMLOCK` (include/uapi/asm-generic/resource.h).
        pub const RLIMIT_MEMLOCK: u32 = 8;
        /// `RLIMIT_MSGQUEUE` (include/uapi/asm-generic/resource.h).
        pub const RLIMIT_MSGQUEUE: u32 = 12;
        /// `RLIMIT_NICE` (include/uapi/asm-generic/resource.h).
        pub const RLIMIT_NICE: u32 = 13;
        /// `RLIMIT_NOFILE` (include/uapi/asm-generic/resource.h).
        pub const RLIMIT_NOFILE: u32 = 7;
        /// `RLIMIT_NPROC` (include/uapi/asm-generic/resource.h).
        pub const RLIMIT_NPROC: u32 = 6;
        /// `RLIMIT_RSS` (include/uapi/asm-generic/resource.h).
        pub const RLIMIT_RSS: u32 = 5;
        /// `RLIMIT_RTPRIO` (include/uapi/asm-generic/resource.h).
        pub const RLIMIT_RTPRIO: u32 = 14;
        /// `RLIMIT_RTTIME` (include/uapi/asm-generic/resource.h).
        pub const RLIMIT_RTTIME: u32 = 15;
        /// `RLIMIT_SIGPENDING` (include/uapi/asm-generic/resource.h).
        pub const RLIMIT_SIGPENDING: u32 = 11;
        /// `RLIMIT_STACK` (include/uapi/asm-generic/resource.h).
        pub const RLIMIT_STACK: u32 = 3;
        /// `RLIM_INFINITY` (include/uapi/asm-generic/resource.h).
        pub const RLIM_INFINITY: i32 = -1;
        // include/uapi/linux/time.h
        /// `CLOCK_MONOTONIC` (include/uapi/linux/time.h).
        pub const CLOCK_MONOTONIC: u32 = 1;
        /// `CLOCK_REALTIME` (include/uapi/linux/time.h).
        pub const CLOCK_REALTIME: u32 = 0;
        /// `CLOCK_THREAD_CPUTIME_ID` (include/uapi/linux/time.h).
        pub const CLOCK_THREAD_CPUTIME_ID: u32 = 3;
        /// `ITIMER_PROF` (include/uapi/linux/time.h).
        pub const ITIMER_PROF: u32 = 2;
        /// `ITIMER_REAL` (include/uapi/linux/time.h).
        pub const ITIMER_REAL: u32 = 0;
        /// `ITIMER_VIRTUAL` (include/uapi/linux/time.h).
        pub const ITIMER_VIRTUAL: u32 = 1;
        /// `TIMER_ABSTIME` (include/uapi/linux/time.h).
        pub const TIMER_ABSTIME: u32 = 1;
        // include/uapi/linux/capability.h
        /// `CAP_SETGID` (include/uapi/linux/capability.h).
        pub const CAP_SETGID: u32 = 6;
        /// `CAP_SETUID` (include/uapi/linux/capability.h).
        pub const CAP_SETUID: u32 = 7;
        /// `CAP_SYS_ADMIN` (include/uapi/linux/capability.h).
        pub const CAP_SYS_ADMIN: u32 = 21;
        /// `CAP_SYS_NICE` (include/uapi/linux/capability.h).
        pub const CAP_SYS_NICE: u32 = 23;
        /// `CAP_SYS_RESOURCE` (include/uapi/linux/capability.h).
        pub const CAP_SYS_RESOURCE: u32 = 24;
        // include/uapi/asm-generic/unistd.h (hexagon's uapi asm/unistd.h includes it with no
        // __ARCH_WANT_* of its own beyond what the generic 32-bit table has)
        /// `__NR_clock_gettime` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_clock_gettime: u32 = 113;
        /// `__NR_clock_nanosleep` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_clock_nanosleep: u32 = 115;
        /// `__NR_clock_gettime64` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_clock_gettime64: u32 = 403;
        /// `__NR_clock_nanosleep_time64` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_clock_nanosleep_time64: u32 = 407;
        /// `__NR_clone` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_clone: u32 = 220;
        /// `__NR_close` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_close: u32 = 57;
        /// `__NR_execve` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_execve: u32 = 221;
        /// `__NR_exit` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_exit: u32 = 93;
        /// `__NR_exit_group` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_exit_group: u32 = 94;
        /// `__NR_futex` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_futex: u32 = 98;
        /// `__NR_futex_time64` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_futex_time64: u32 = 422;
        /// `__NR_futex_wait` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_futex_wait: u32 = 455;
        /// `__NR_futex_waitv` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_futex_waitv: u32 = 449;
        /// `__NR_futex_wake` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_futex_wake: u32 = 454;
        /// `__NR_getegid` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_getegid: u32 = 177;
        /// `__NR_geteuid` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_geteuid: u32 = 175;
        /// `__NR_getgid` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_getgid: u32 = 176;
        /// `__NR_getgroups` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_getgroups: u32 = 158;
        /// `__NR_getitimer` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_getitimer: u32 = 102;
        /// `__NR_getpid` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_getpid: u32 = 172;
        /// `__NR_getppid` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_getppid: u32 = 173;
        /// `__NR_getresgid` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_getresgid: u32 = 150;
        /// `__NR_getresuid` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_getresuid: u32 = 148;
        /// `__NR_gettid` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_gettid: u32 = 178;
        /// `__NR_getuid` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_getuid: u32 = 174;
        /// `__NR_kill` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_kill: u32 = 129;
        /// `__NR_mmap2` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_mmap2: u32 = 222;
        /// `__NR_mprotect` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_mprotect: u32 = 226;
        /// `__NR_mremap` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_mremap: u32 = 216;
        /// `__NR_munmap` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_munmap: u32 = 215;
        /// `__NR_openat` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_openat: u32 = 56;
        /// `__NR_pipe2` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_pipe2: u32 = 59;
        /// `__NR_prctl` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_prctl: u32 = 167;
        /// `__NR_prlimit64` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_prlimit64: u32 = 261;
        /// `__NR_read` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_read: u32 = 63;
        /// `__NR_rt_sigaction` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_rt_sigaction: u32 = 134;
        /// `__NR_rt_sigpending` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_rt_sigpending: u32 = 136;
        /// `__NR_rt_sigprocmask` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_rt_sigprocmask: u32 = 135;
        /// `__NR_rt_sigqueueinfo` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_rt_sigqueueinfo: u32 = 138;
        /// `__NR_rt_sigreturn` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_rt_sigreturn: u32 = 139;
        /// `__NR_rt_sigsuspend` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_rt_sigsuspend: u32 = 133;
        /// `__NR_rt_sigtimedwait` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_rt_sigtimedwait: u32 = 137;
        /// `__NR_rt_sigtimedwait_time64` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_rt_sigtimedwait_time64: u32 = 421;
        /// `__NR_rt_tgsigqueueinfo` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_rt_tgsigqueueinfo: u32 = 240;
        /// `__NR_sched_getaffinity` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_sched_getaffinity: u32 = 123;
        /// `__NR_sched_setaffinity` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_sched_setaffinity: u32 = 122;
        /// `__NR_sched_setscheduler` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_sched_setscheduler: u32 = 119;
        /// `__NR_sched_yield` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_sched_yield: u32 = 124;
        /// `__NR_seccomp` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_seccomp: u32 = 277;
        /// `__NR_set_robust_list` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_set_robust_list: u32 = 99;
        /// `__NR_set_tid_address` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_set_tid_address: u32 = 96;
        /// `__NR_setgid` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_setgid: u32 = 144;
        /// `__NR_setgroups` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_setgroups: u32 = 159;
        /// `__NR_setitimer` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_setitimer: u32 = 103;
        /// `__NR_setresgid` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_setresgid: u32 = 149;
        /// `__NR_setresuid` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_setresuid: u32 = 147;
        /// `__NR_setuid` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_setuid: u32 = 146;
        /// `__NR_sigaltstack` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_sigaltstack: u32 = 132;
        /// `__NR_tgkill` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_tgkill: u32 = 131;
        /// `__NR_write` (__ARCH_WANT_* of its own beyond what the generic 32-bit table has)).
        pub const __NR_write: u32 = 64;
        // include/uapi/asm-generic/unistd.h: `__NR3264_fcntl` (25) is `fcntl64` on a 32-bit ABI
        // (`__NR_fcntl64`), the only fcntl hexagon has; for the commands strand uses (F_SETFL,
        // F_SETSIG, F_SETOWN_EX, F_SETPIPE_SZ) it is `fcntl` (fs/fcntl.c, `do_fcntl`).
        /// `fcntl64`, under the name generic code uses (include/uapi/asm-generic/unistd.h, 25).
        pub const __NR_fcntl: u32 = 25;

        /// `__kernel_long_t` (include/uapi/asm-generic/posix_types.h): `long`, 32 bits here.
        pub type __kernel_long_t = i32;
        /// `__u32` (include/uapi/asm-generic/int-ll64.h).
        pub type __u32 = u32;
        /// `__u64` (include/uapi/asm-generic/int-ll64.h).
        pub type __u64 = u64;

        /// `struct __kernel_timespec` (include/uapi/linux/time_types.h): 64-bit seconds and
        /// nanoseconds on every ABI.
        #[repr(C)]
        #[derive(Debug, Copy, Clone)]
        pub struct __kernel_timespec {
            /// Seconds (`__kernel_time64_t`).
            pub tv_sec: i64,
            /// Nanoseconds (`long long`).
            pub tv_nsec: i64,
        }
        const_assert_eq!(core::mem::size_of::<__kernel_timespec>(), 16);

        /// `struct __kernel_old_timeval` (include/uapi/linux/time_types.h): two `long`s.
        #[repr(C)]
        #[derive(Debug, Copy, Clone)]
        pub struct __kernel_old_timeval {
            /// Seconds.
            pub tv_sec: __kernel_long_t,
            /// Microseconds.
            pub tv_usec: __kernel_long_t,
        }
        const_assert_eq!(core::mem::size_of::<__kernel_old_timeval>(), 8);

        /// `struct __kernel_old_itimerval` (include/uapi/linux/time_types.h).
        #[repr(C)]
        #[derive(Debug, Copy, Clone)]
        pub struct __kernel_old_itimerval {
            /// The reload value.
            pub it_interval: __kernel_old_timeval,
            /// The time to the next expiry.
            pub it_value: __kernel_old_timeval,
        }
        const_assert_eq!(core::mem::size_of::<__kernel_old_itimerval>(), 16);

        /// `struct rlimit64` (include/uapi/linux/resource.h), what `prlimit64` takes.
        #[repr(C)]
        #[derive(Debug, Copy, Clone)]
        pub struct rlimit64 {
            /// The soft limit.
            pub rlim_cur: __u64,
            /// The hard limit.
            pub rlim_max: __u64,
        }
        const_assert_eq!(core::mem::size_of::<rlimit64>(), 16);

        /// `stack_t` (include/uapi/asm-generic/signal.h): `{ss_sp, ss_flags, ss_size}`, 12 bytes
        /// on a 32-bit ABI.
        #[repr(C)]
        #[derive(Debug, Copy, Clone)]
        pub struct sigaltstack {
            /// The stack's lowest address.
            pub ss_sp: *mut c_void,
            /// `SS_DISABLE`, `SS_ONSTACK`.
            pub ss_flags: i32,
            /// The stack's size in bytes (`size_t`).
            pub ss_size: u32,
        }
        /// `stack_t` (include/uapi/asm-generic/signal.h).
        pub type stack_t = sigaltstack;
        const_assert_eq!(core::mem::size_of::<stack_t>(), 12);

        /// `struct futex_waitv` (include/uapi/linux/futex.h): one entry of `futex_waitv`'s
        /// array, 24 bytes on every ABI.
        #[repr(C)]
        #[derive(Debug, Copy, Clone)]
        pub struct futex_waitv {
            /// The value to expect.
            pub val: __u64,
            /// The word's address, zero-extended.
            pub uaddr: __u64,
            /// `FUTEX2_*`.
            pub flags: __u32,
            /// Must be 0.
            pub __reserved: __u32,
        }
        const_assert_eq!(core::mem::size_of::<futex_waitv>(), 24);

        /// `union sigval` (include/uapi/asm-generic/siginfo.h).
        #[repr(C)]
        #[derive(Copy, Clone)]
        pub union sigval {
            /// As an `int`.
            pub sival_int: i32,
            /// As a pointer.
            pub sival_ptr: *mut c_void,
        }

        /// `_kill` of `_sifields` (include/uapi/asm-generic/siginfo.h).
        #[repr(C)]
        #[derive(Debug, Copy, Clone)]
        pub struct __sifields__bindgen_ty_1 {
            /// The sender's pid.
            pub _pid: i32,
            /// The sender's real uid.
            pub _uid: u32,
        }
        /// `_timer` of `_sifields` (include/uapi/asm-generic/siginfo.h).
        #[repr(C)]
        #[derive(Copy, Clone)]
        pub struct __sifields__bindgen_ty_2 {
            /// The timer id.
            pub _tid: i32,
            /// The overrun count.
            pub _overrun: i32,
            /// The timer's value.
            pub _sigval: sigval,
            /// Not for user space.
            pub _sys_private: i32,
        }
        /// `_rt` of `_sifields` (include/uapi/asm-generic/siginfo.h).
        #[repr(C)]
        #[derive(Copy, Clone)]
        pub struct __sifields__bindgen_ty_3 {
            /// The sender's pid.
            pub _pid: i32,
            /// The sender's real uid.
            pub _uid: u32,
            /// The queued value.
            pub _sigval: sigval,
        }
        /// `_sigchld` of `_sifields` (include/uapi/asm-generic/siginfo.h).
        #[repr(C)]
        #[derive(Debug, Copy, Clone)]
        pub struct __sifields__bindgen_ty_4 {
            /// The child's pid.
            pub _pid: i32,
            /// The child's real uid.
            pub _uid: u32,
            /// Exit status or signal.
            pub _status: i32,
            /// User time (`__kernel_clock_t`, a `long`).
            pub _utime: i32,
            /// System time.
            pub _stime: i32,
        }
        /// `_sigfault` of `_sifields` (include/uapi/asm-generic/siginfo.h): the address, then
        /// a union of at most three words that strand does not read.
        #[repr(C)]
        #[derive(Copy, Clone)]
        pub struct __sifields__bindgen_ty_5 {
            /// The faulting address.
            pub _addr: *mut c_void,
            /// `_trapno`, `_addr_lsb`, `_addr_bnd`, `_addr_pkey`, `_perf`.
            pub _rest: [u32; 3],
        }
        /// `union __sifields` (include/uapi/asm-generic/siginfo.h), the members strand reads.
        #[repr(C)]
        #[derive(Copy, Clone)]
        pub union __sifields {
            /// `kill`, `tgkill`.
            pub _kill: __sifields__bindgen_ty_1,
            /// POSIX timers.
            pub _timer: __sifields__bindgen_ty_2,
            /// `sigqueue`.
            pub _rt: __sifields__bindgen_ty_3,
            /// SIGCHLD.
            pub _sigchld: __sifields__bindgen_ty_4,
            /// SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP.
            pub _sigfault: __sifields__bindgen_ty_5,
        }
        /// The named view of `struct siginfo` (include/uapi/asm-generic/siginfo.h,
        /// `__SIGINFO`): `si_signo`, `si_errno`, `si_code`, then the union at 12.
        #[repr(C)]
        #[derive(Copy, Clone)]
        pub struct siginfo__bindgen_ty_1__bindgen_ty_1 {
            /// The signal.
            pub si_signo: i32,
            /// An errno value.
            pub si_errno: i32,
            /// Why it was sent.
            pub si_code: i32,
            /// The fields `si_code` selects.
            pub _sifields: __sifields,
        }
        /// `struct siginfo`'s union of the named view and the 128-byte pad
        /// (include/uapi/asm-generic/siginfo.h, `SI_MAX_SIZE`).
        #[repr(C)]
        #[derive(Copy, Clone)]
        pub union siginfo__bindgen_ty_1 {
            /// The named view.
            pub __bindgen_anon_1: siginfo__bindgen_ty_1__bindgen_ty_1,
            /// `_si_pad`: `SI_MAX_SIZE / sizeof(int)` ints.
            pub _si_pad: [i32; 32],
        }
        /// `struct siginfo` (include/uapi/asm-generic/siginfo.h), 128 bytes.
        #[repr(C)]
        #[derive(Copy, Clone)]
        pub struct siginfo {
            /// The union of the named view and the pad.
            pub __bindgen_anon_1: siginfo__bindgen_ty_1,
        }
        /// `siginfo_t`.
        pub type siginfo_t = siginfo;
        const_assert_eq!(core::mem::size_of::<siginfo>(), 128);
        const_assert_eq!(core::mem::offset_of!(siginfo__bindgen_ty_1__bindgen_ty_1, _sifields), 12);
        const_assert_eq!(core::mem::offset_of!(__sifields__bindgen_ty_3, _sigval), 8);
        const_assert_eq!(core::mem::offset_of!(__sifields__bindgen_ty_4, _status), 8);
    }

    /// Error numbers (what `linux_raw_sys::errno` has elsewhere): the asm-generic ones, which
    /// hexagon uses unchanged (no arch/hexagon/include/uapi/asm/errno.h of its own).
    pub mod errno {
        /// `EPERM` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EPERM: u32 = 1;
        /// `ENOENT` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOENT: u32 = 2;
        /// `ESRCH` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ESRCH: u32 = 3;
        /// `EINTR` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EINTR: u32 = 4;
        /// `EIO` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EIO: u32 = 5;
        /// `ENXIO` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENXIO: u32 = 6;
        /// `E2BIG` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const E2BIG: u32 = 7;
        /// `ENOEXEC` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOEXEC: u32 = 8;
        /// `EBADF` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EBADF: u32 = 9;
        /// `ECHILD` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ECHILD: u32 = 10;
        /// `EAGAIN` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EAGAIN: u32 = 11;
        /// `ENOMEM` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOMEM: u32 = 12;
        /// `EACCES` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EACCES: u32 = 13;
        /// `EFAULT` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EFAULT: u32 = 14;
        /// `ENOTBLK` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOTBLK: u32 = 15;
        /// `EBUSY` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EBUSY: u32 = 16;
        /// `EEXIST` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EEXIST: u32 = 17;
        /// `EXDEV` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EXDEV: u32 = 18;
        /// `ENODEV` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENODEV: u32 = 19;
        /// `ENOTDIR` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOTDIR: u32 = 20;
        /// `EISDIR` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EISDIR: u32 = 21;
        /// `EINVAL` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EINVAL: u32 = 22;
        /// `ENFILE` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENFILE: u32 = 23;
        /// `EMFILE` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EMFILE: u32 = 24;
        /// `ENOTTY` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOTTY: u32 = 25;
        /// `ETXTBSY` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ETXTBSY: u32 = 26;
        /// `EFBIG` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EFBIG: u32 = 27;
        /// `ENOSPC` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOSPC: u32 = 28;
        /// `ESPIPE` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ESPIPE: u32 = 29;
        /// `EROFS` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EROFS: u32 = 30;
        /// `EMLINK` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EMLINK: u32 = 31;
        /// `EPIPE` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EPIPE: u32 = 32;
        /// `EDOM` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EDOM: u32 = 33;
        /// `ERANGE` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ERANGE: u32 = 34;
        /// `EDEADLK` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EDEADLK: u32 = 35;
        /// `ENAMETOOLONG` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENAMETOOLONG: u32 = 36;
        /// `ENOLCK` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOLCK: u32 = 37;
        /// `ENOSYS` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOSYS: u32 = 38;
        /// `ENOTEMPTY` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOTEMPTY: u32 = 39;
        /// `ELOOP` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ELOOP: u32 = 40;
        /// `EWOULDBLOCK` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EWOULDBLOCK: u32 = 11;
        /// `ENOMSG` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOMSG: u32 = 42;
        /// `EIDRM` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EIDRM: u32 = 43;
        /// `ECHRNG` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ECHRNG: u32 = 44;
        /// `EL2NSYNC` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EL2NSYNC: u32 = 45;
        /// `EL3HLT` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EL3HLT: u32 = 46;
        /// `EL3RST` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EL3RST: u32 = 47;
        /// `ELNRNG` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ELNRNG: u32 = 48;
        /// `EUNATCH` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EUNATCH: u32 = 49;
        /// `ENOCSI` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOCSI: u32 = 50;
        /// `EL2HLT` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EL2HLT: u32 = 51;
        /// `EBADE` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EBADE: u32 = 52;
        /// `EBADR` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EBADR: u32 = 53;
        /// `EXFULL` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EXFULL: u32 = 54;
        /// `ENOANO` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOANO: u32 = 55;
        /// `EBADRQC` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EBADRQC: u32 = 56;
        /// `EBADSLT` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EBADSLT: u32 = 57;
        /// `EDEADLOCK` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EDEADLOCK: u32 = 35;
        /// `EBFONT` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EBFONT: u32 = 59;
        /// `ENOSTR` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOSTR: u32 = 60;
        /// `ENODATA` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENODATA: u32 = 61;
        /// `ETIME` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ETIME: u32 = 62;
        /// `ENOSR` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOSR: u32 = 63;
        /// `ENONET` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENONET: u32 = 64;
        /// `ENOPKG` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOPKG: u32 = 65;
        /// `EREMOTE` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EREMOTE: u32 = 66;
        /// `ENOLINK` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOLINK: u32 = 67;
        /// `EADV` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EADV: u32 = 68;
        /// `ESRMNT` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ESRMNT: u32 = 69;
        /// `ECOMM` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ECOMM: u32 = 70;
        /// `EPROTO` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EPROTO: u32 = 71;
        /// `EMULTIHOP` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EMULTIHOP: u32 = 72;
        /// `EDOTDOT` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EDOTDOT: u32 = 73;
        /// `EBADMSG` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EBADMSG: u32 = 74;
        /// `EOVERFLOW` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EOVERFLOW: u32 = 75;
        /// `ENOTUNIQ` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOTUNIQ: u32 = 76;
        /// `EBADFD` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EBADFD: u32 = 77;
        /// `EREMCHG` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EREMCHG: u32 = 78;
        /// `ELIBACC` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ELIBACC: u32 = 79;
        /// `ELIBBAD` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ELIBBAD: u32 = 80;
        /// `ELIBSCN` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ELIBSCN: u32 = 81;
        /// `ELIBMAX` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ELIBMAX: u32 = 82;
        /// `ELIBEXEC` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ELIBEXEC: u32 = 83;
        /// `EILSEQ` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EILSEQ: u32 = 84;
        /// `ERESTART` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ERESTART: u32 = 85;
        /// `ESTRPIPE` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ESTRPIPE: u32 = 86;
        /// `EUSERS` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EUSERS: u32 = 87;
        /// `ENOTSOCK` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOTSOCK: u32 = 88;
        /// `EDESTADDRREQ` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EDESTADDRREQ: u32 = 89;
        /// `EMSGSIZE` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EMSGSIZE: u32 = 90;
        /// `EPROTOTYPE` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EPROTOTYPE: u32 = 91;
        /// `ENOPROTOOPT` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOPROTOOPT: u32 = 92;
        /// `EPROTONOSUPPORT` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EPROTONOSUPPORT: u32 = 93;
        /// `ESOCKTNOSUPPORT` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ESOCKTNOSUPPORT: u32 = 94;
        /// `EOPNOTSUPP` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EOPNOTSUPP: u32 = 95;
        /// `EPFNOSUPPORT` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EPFNOSUPPORT: u32 = 96;
        /// `EAFNOSUPPORT` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EAFNOSUPPORT: u32 = 97;
        /// `EADDRINUSE` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EADDRINUSE: u32 = 98;
        /// `EADDRNOTAVAIL` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EADDRNOTAVAIL: u32 = 99;
        /// `ENETDOWN` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENETDOWN: u32 = 100;
        /// `ENETUNREACH` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENETUNREACH: u32 = 101;
        /// `ENETRESET` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENETRESET: u32 = 102;
        /// `ECONNABORTED` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ECONNABORTED: u32 = 103;
        /// `ECONNRESET` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ECONNRESET: u32 = 104;
        /// `ENOBUFS` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOBUFS: u32 = 105;
        /// `EISCONN` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EISCONN: u32 = 106;
        /// `ENOTCONN` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOTCONN: u32 = 107;
        /// `ESHUTDOWN` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ESHUTDOWN: u32 = 108;
        /// `ETOOMANYREFS` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ETOOMANYREFS: u32 = 109;
        /// `ETIMEDOUT` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ETIMEDOUT: u32 = 110;
        /// `ECONNREFUSED` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ECONNREFUSED: u32 = 111;
        /// `EHOSTDOWN` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EHOSTDOWN: u32 = 112;
        /// `EHOSTUNREACH` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EHOSTUNREACH: u32 = 113;
        /// `EALREADY` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EALREADY: u32 = 114;
        /// `EINPROGRESS` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EINPROGRESS: u32 = 115;
        /// `ESTALE` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ESTALE: u32 = 116;
        /// `EUCLEAN` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EUCLEAN: u32 = 117;
        /// `ENOTNAM` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOTNAM: u32 = 118;
        /// `ENAVAIL` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENAVAIL: u32 = 119;
        /// `EISNAM` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EISNAM: u32 = 120;
        /// `EREMOTEIO` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EREMOTEIO: u32 = 121;
        /// `EDQUOT` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EDQUOT: u32 = 122;
        /// `ENOMEDIUM` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOMEDIUM: u32 = 123;
        /// `EMEDIUMTYPE` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EMEDIUMTYPE: u32 = 124;
        /// `ECANCELED` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ECANCELED: u32 = 125;
        /// `ENOKEY` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOKEY: u32 = 126;
        /// `EKEYEXPIRED` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EKEYEXPIRED: u32 = 127;
        /// `EKEYREVOKED` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EKEYREVOKED: u32 = 128;
        /// `EKEYREJECTED` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EKEYREJECTED: u32 = 129;
        /// `EOWNERDEAD` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EOWNERDEAD: u32 = 130;
        /// `ENOTRECOVERABLE` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ENOTRECOVERABLE: u32 = 131;
        /// `ERFKILL` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const ERFKILL: u32 = 132;
        /// `EHWPOISON` (include/uapi/asm-generic/errno-base.h and errno.h).
        pub const EHWPOISON: u32 = 133;
    }

    /// `prctl` options (include/uapi/linux/prctl.h).
    pub mod prctl {
        /// `PR_SET_NAME` (include/uapi/linux/prctl.h).
        pub const PR_SET_NAME: u32 = 15;
        /// `PR_GET_NAME` (include/uapi/linux/prctl.h).
        pub const PR_GET_NAME: u32 = 16;
        /// `PR_SET_SECCOMP` (include/uapi/linux/prctl.h).
        pub const PR_SET_SECCOMP: u32 = 22;
        /// `PR_SET_NO_NEW_PRIVS` (include/uapi/linux/prctl.h).
        pub const PR_SET_NO_NEW_PRIVS: u32 = 38;
    }

    /// Auxiliary-vector keys (include/uapi/linux/auxvec.h; hexagon has no asm/auxvec.h).
    pub mod auxvec {
        /// `AT_NULL` (include/uapi/linux/auxvec.h).
        pub const AT_NULL: u32 = 0;
        /// `AT_PHDR` (include/uapi/linux/auxvec.h).
        pub const AT_PHDR: u32 = 3;
        /// `AT_PHENT` (include/uapi/linux/auxvec.h).
        pub const AT_PHENT: u32 = 4;
        /// `AT_PHNUM` (include/uapi/linux/auxvec.h).
        pub const AT_PHNUM: u32 = 5;
        /// `AT_PAGESZ` (include/uapi/linux/auxvec.h).
        pub const AT_PAGESZ: u32 = 6;
        /// `AT_HWCAP` (include/uapi/linux/auxvec.h).
        pub const AT_HWCAP: u32 = 16;
        /// `AT_RANDOM` (include/uapi/linux/auxvec.h).
        pub const AT_RANDOM: u32 = 25;
        /// `AT_HWCAP2` (include/uapi/linux/auxvec.h).
        pub const AT_HWCAP2: u32 = 26;
        /// `AT_MINSIGSTKSZ` (include/uapi/linux/auxvec.h).
        pub const AT_MINSIGSTKSZ: u32 = 51;
    }

    /// The ELF definitions start-up uses, for a 32-bit image (the gABI's Elf32 types; the
    /// same names and shapes as `linux_raw_sys::elf`).
    pub mod elf {
        use static_assertions::const_assert_eq;

        /// `SELFMAG`.
        pub const SELFMAG: usize = 4;
        /// `ELFMAG`: the first four bytes of an ELF file (gABI, "ELF Identification").
        pub const ELFMAG: [u8; SELFMAG] = [0x7f, b'E', b'L', b'F'];
        /// `EI_NIDENT`.
        pub const EI_NIDENT: usize = 16;
        /// `ET_DYN` (gABI, `e_type`).
        pub const ET_DYN: u16 = 3;
        /// `PT_LOAD` (gABI, "Segment Types").
        pub const PT_LOAD: u32 = 1;
        /// `PT_DYNAMIC`.
        pub const PT_DYNAMIC: u32 = 2;
        /// `PT_INTERP`.
        pub const PT_INTERP: u32 = 3;
        /// `PT_PHDR`.
        pub const PT_PHDR: u32 = 6;
        /// `PT_TLS`.
        pub const PT_TLS: u32 = 7;
        /// `PT_GNU_STACK` (include/uapi/linux/elf.h).
        pub const PT_GNU_STACK: u32 = 0x6474_e551;
        /// `PF_X` (gABI, "Segment Flag Bits").
        pub const PF_X: u32 = 1;
        /// `PF_W`.
        pub const PF_W: u32 = 2;
        /// `PF_R`.
        pub const PF_R: u32 = 4;
        /// `DT_NULL` (gABI, "Dynamic Array Tags").
        pub const DT_NULL: usize = 0;
        /// `DT_RELA`.
        pub const DT_RELA: usize = 7;
        /// `DT_RELASZ`.
        pub const DT_RELASZ: usize = 8;
        /// `DT_RELAENT`.
        pub const DT_RELAENT: usize = 9;
        /// `DT_REL`.
        pub const DT_REL: usize = 17;
        /// `DT_RELSZ`.
        pub const DT_RELSZ: usize = 18;
        /// `DT_RELENT`.
        pub const DT_RELENT: usize = 19;

        /// `Elf32_Ehdr` (gABI, "ELF Header").
        #[repr(C)]
        pub struct Elf_Ehdr {
            /// Magic, class, data, version, OS ABI.
            pub e_ident: [u8; EI_NIDENT],
            /// `ET_*`.
            pub e_type: u16,
            /// `EM_HEXAGON` here.
            pub e_machine: u16,
            /// `EV_CURRENT`.
            pub e_version: u32,
            /// The entry point.
            pub e_entry: usize,
            /// Where the program headers are, from the file's start.
            pub e_phoff: usize,
            /// Where the section headers are.
            pub e_shoff: usize,
            /// Machine flags.
            pub e_flags: u32,
            /// This header's size.
            pub e_ehsize: u16,
            /// One program header's size.
            pub e_phentsize: u16,
            /// How many program headers.
            pub e_phnum: u16,
            /// One section header's size.
            pub e_shentsize: u16,
            /// How many section headers.
            pub e_shnum: u16,
            /// The section-name table's index.
            pub e_shstrndx: u16,
        }
        const_assert_eq!(core::mem::size_of::<Elf_Ehdr>(), 52);

        /// `Elf32_Phdr` (gABI, "Program Header"): `p_flags` after `p_memsz` in the 32-bit form.
        #[repr(C)]
        pub struct Elf_Phdr {
            /// `PT_*`.
            pub p_type: u32,
            /// Offset in the file.
            pub p_offset: usize,
            /// Link-time address.
            pub p_vaddr: usize,
            /// Physical address (unused).
            pub p_paddr: usize,
            /// Bytes in the file.
            pub p_filesz: usize,
            /// Bytes in memory.
            pub p_memsz: usize,
            /// `PF_*`.
            pub p_flags: u32,
            /// Alignment.
            pub p_align: usize,
        }
        const_assert_eq!(core::mem::size_of::<Elf_Phdr>(), 32);
    }
}

/// `nr`: the syscall numbers whose name differs by ABI, as hexagon has them.
///
/// The generic 32-bit table (include/uapi/asm-generic/unistd.h): 64-bit time through the
/// `*_time64` numbers, `mmap2` for `mmap`, and the 32-bit-time originals kept as fallbacks
/// (hexagon builds its table with the `time32` ABI: arch/hexagon/kernel/Makefile.syscalls).
/// The plain uid/gid calls take full 32-bit ids (no 16-bit originals in the generic table).
pub mod nr {
    use super::sys::general as g;
    /// `futex_time64` (422): `futex` with a 64-bit `struct __kernel_timespec`.
    pub const FUTEX: usize = g::__NR_futex_time64 as usize;
    /// `clock_gettime64` (403).
    pub const CLOCK_GETTIME: usize = g::__NR_clock_gettime64 as usize;
    /// `clock_nanosleep_time64` (407).
    pub const CLOCK_NANOSLEEP: usize = g::__NR_clock_nanosleep_time64 as usize;
    /// `mmap2` (222): `mmap` with the offset in pages (arch/hexagon/include/uapi/asm/unistd.h
    /// maps it to `sys_mmap_pgoff`).
    pub const MMAP: usize = g::__NR_mmap2 as usize;
    /// `rt_sigtimedwait_time64` (421).
    pub const RT_SIGTIMEDWAIT: usize = g::__NR_rt_sigtimedwait_time64 as usize;
    /// `getuid`: full 32-bit uid in the generic table (kernel/sys.c).
    pub const GETUID: usize = g::__NR_getuid as usize;
    /// `geteuid`.
    pub const GETEUID: usize = g::__NR_geteuid as usize;
    /// `getgid`.
    pub const GETGID: usize = g::__NR_getgid as usize;
    /// `getegid`.
    pub const GETEGID: usize = g::__NR_getegid as usize;
    /// `getresuid`.
    pub const GETRESUID: usize = g::__NR_getresuid as usize;
    /// `getresgid`.
    pub const GETRESGID: usize = g::__NR_getresgid as usize;
    /// `setuid`.
    pub const SETUID: usize = g::__NR_setuid as usize;
    /// `setgid`.
    pub const SETGID: usize = g::__NR_setgid as usize;
    /// `setresuid`.
    pub const SETRESUID: usize = g::__NR_setresuid as usize;
    /// `setresgid`.
    pub const SETRESGID: usize = g::__NR_setresgid as usize;
    /// `getgroups`.
    pub const GETGROUPS: usize = g::__NR_getgroups as usize;
    /// `setgroups`.
    pub const SETGROUPS: usize = g::__NR_setgroups as usize;
    /// `ALARM`: `None`, the generic table has no `alarm`; `process::alarm` emulates it with
    /// `setitimer`.
    pub const ALARM: Option<usize> = None;
    /// `FUTEX_TIME32`: the original `futex` (98), with 32-bit time (the `time32` ABI).
    pub const FUTEX_TIME32: Option<usize> = Some(g::__NR_futex as usize);
    /// `CLOCK_GETTIME_TIME32`: the original `clock_gettime` (113).
    pub const CLOCK_GETTIME_TIME32: Option<usize> = Some(g::__NR_clock_gettime as usize);
    /// `CLOCK_NANOSLEEP_TIME32`: the original `clock_nanosleep` (115).
    pub const CLOCK_NANOSLEEP_TIME32: Option<usize> = Some(g::__NR_clock_nanosleep as usize);
    /// `RT_SIGTIMEDWAIT_TIME32`: the original `rt_sigtimedwait` (137).
    pub const RT_SIGTIMEDWAIT_TIME32: Option<usize> = Some(g::__NR_rt_sigtimedwait as usize);
}

/// `R_RELATIVE`: the relocation type strand's start-up applies to a static-pie on hexagon.
///
/// `R_HEX_RELATIVE`, 35 (binutils include/elf/hexagon.h; LLVM's ELFRelocs/Hexagon.def).
pub const R_RELATIVE: u32 = 35;
/// `r_info` is in the gABI's form on this ABI.
pub use super::r_info_unchanged as r_info_gabi;

/// `TLS`: the static-TLS layout strand builds for each thread on hexagon.
///
/// Variant II: the TLS block ends at the thread pointer (`ugp`) and compiled code reaches it at
/// negative offsets (lld's `getTlsTpOffset` puts EM_HEXAGON with the variant 2 targets).
pub const TLS: TlsAbi = TlsAbi { variant: TlsVariant::II, gap: 0, bias: 0 };

/// `syscall0`: a syscall with no arguments, with `trap0(#1)` (number in r6, result in r0;
/// arch/hexagon/kernel/traps.c).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall0(nr: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the syscall's own contract; registers per the kernel ABI in
    // the module header (only r0 changes).
    unsafe { asm!("trap0(#1)", in("r6") nr, lateout("r0") r, options(nostack)) };
    r
}

/// `syscall1`: a one-argument syscall with `trap0(#1)` (argument in r0).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall1(nr: usize, a: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { asm!("trap0(#1)", in("r6") nr, inlateout("r0") a => r, options(nostack)) };
    r
}

/// `syscall2`: a two-argument syscall with `trap0(#1)` (arguments in r0, r1).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall2(nr: usize, a: usize, b: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { asm!("trap0(#1)", in("r6") nr, inlateout("r0") a => r, in("r1") b, options(nostack)) };
    r
}

/// `syscall3`: a three-argument syscall with `trap0(#1)` (arguments in r0..r2).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { asm!("trap0(#1)", in("r6") nr, inlateout("r0") a => r, in("r1") b, in("r2") c, options(nostack)) };
    r
}

/// `syscall4`: a four-argument syscall with `trap0(#1)` (arguments in r0..r3).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!("trap0(#1)", in("r6") nr, inlateout("r0") a => r, in("r1") b, in("r2") c, in("r3") d, options(nostack))
    };
    r
}

/// `syscall5`: a five-argument syscall with `trap0(#1)` (arguments in r0..r4).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall5(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!(
            "trap0(#1)",
            in("r6") nr, inlateout("r0") a => r, in("r1") b, in("r2") c, in("r3") d, in("r4") e,
            options(nostack)
        )
    };
    r
}

/// `syscall6`: a six-argument syscall with `trap0(#1)` (arguments in r0..r5).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall6(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        asm!(
            "trap0(#1)",
            in("r6") nr, inlateout("r0") a => r, in("r1") b, in("r2") c, in("r3") d, in("r4") e, in("r5") f,
            options(nostack)
        )
    };
    r
}

/// `mmap_raw`: an anonymous or offset-0 mapping with `mmap2` (offset in pages; 0 either way).
///
/// # Safety
/// The caller upholds mmap's contract.
#[inline]
pub unsafe fn mmap_raw(addr: usize, len: usize, prot: usize, flags: usize, fd: usize) -> usize {
    // SAFETY: the caller upholds mmap's contract; the offset is 0.
    unsafe { syscall6(nr::MMAP, addr, len, prot, flags, fd, 0) }
}

// The kernel enters `_start` with `r29` (sp) at argc (fs/binfmt_elf.c, create_elf_tables;
// QEMU's linux-user/hexagon/cpu_loop.c, `init_main_thread`). The Hexagon ABI wants sp 8-byte
// aligned ("Stack frame": `allocframe` pushes the fp:lr pair as one doubleword); it is aligned
// down to 16. `r30` (fp) and `r31` (lr) are zeroed so frame walks end here. `jump` is
// PC-relative: it runs unchanged in a static-pie. `trap1` would fault if `__strand_start`
// ever returned, which it cannot (it ends the process).
#[cfg(not(test))]
#[no_mangle]
#[unsafe(naked)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        "r0 = r29",
        "r29 = and(r29, #-16)",
        "r30 = #0",
        "r31 = #0",
        "jump {start}",
        start = sym crate::rt::__strand_start,
    )
}

/// `set_thread_pointer`: makes `tp` the calling thread's thread pointer (hexagon: writes the
/// user-writable control register `ugp`, no syscall). Returns 0.
///
/// # Safety
/// `tp` must point at a control block laid out as [`TLS`] says, live for as long as the
/// thread runs.
pub unsafe fn set_thread_pointer(tp: *mut u8) -> usize {
    // SAFETY: `ugp` is the thread pointer (LLVM's Hexagon TLS lowering reads it; the kernel
    // saves it per task in `pt_regs` and sets it from clone's `tls`, arch/hexagon/kernel/
    // process.c, copy_thread); only this thread reads it. Not `nomem`: TLS accesses must not
    // move across the change.
    unsafe { asm!("ugp = {}", in(reg) tp, options(nostack)) };
    0
}

/// `load_tp_u32`: a word of the calling thread's control block, read through [`thread_pointer`].
///
/// One load at an offset from `thread_pointer()` (no thread-pointer-relative addressing here).
pub use super::load_tp_u32_from_pointer as load_tp_u32;

/// `thread_pointer`: the calling thread's thread pointer, which is how it finds its control block.
///
/// A register read (`ugp`), no syscall; set by writing the register or by clone's CLONE_SETTLS.
#[inline(always)]
pub fn thread_pointer() -> *mut u8 {
    let tp;
    // SAFETY: reading `ugp` touches no memory; start-up and clone set it before any read.
    unsafe { asm!("{} = ugp", out(reg) tp, options(nomem, nostack)) };
    tp
}

/// `clone_thread`: starts a thread with the raw `clone` (see the contract in `arch/mod.rs`); on
/// hexagon the child gets `tp` in `ugp` and jumps to `entry(arg)` with `lr` and `fp` 0.
///
/// hexagon selects no CLONE_BACKWARDS* (arch/hexagon/Kconfig), so the raw argument order is the
/// default (flags, stack, ptid, ctid, tls) (kernel/fork.c; QEMU's linux-user/syscall.c passes
/// `arg4` as the child tid and `arg5` as the TLS there). With CLONE_SETTLS `tls` becomes the
/// child's `ugp` (arch/hexagon/kernel/process.c, copy_thread; QEMU's
/// linux-user/hexagon/target_cpu.h, `cpu_set_tls`).
///
/// # Safety
/// `stack_top` is the 16-byte aligned top of a stack the child may own, `tp` a control block
/// set up for the child, `ptid`/`ctid` valid for `flags`; `entry` never returns.
pub unsafe fn clone_thread(
    flags: usize,
    stack_top: *mut u8,
    ptid: *mut i32,
    ctid: *mut u32,
    tp: *mut u8,
    entry: unsafe extern "C" fn(*mut u8) -> !,
    arg: *mut u8,
) -> usize {
    let r;
    // SAFETY: the child starts on `stack_top` (16-byte aligned by the caller, more than the
    // ABI's 8; the Hexagon ABI gives a callee no area in its caller's frame, so nothing is
    // reserved) with the parent's registers except `r0 = 0` and `ugp` (copy_thread), so r7/r8
    // still hold entry/arg. fp and lr are zeroed so frame walks end at `entry`, which never
    // returns: the child never comes back into this function. The parent only sees `r0`.
    unsafe {
        asm!(
            "trap0(#1)",
            "if (r0!=#0) jump:nt 2f",
            "r0 = r8",
            "r30 = #0",
            "r31 = #0",
            "jumpr r7",
            "2:",
            in("r6") __NR_clone as usize,
            inlateout("r0") flags => r, in("r1") stack_top, in("r2") ptid, in("r3") ctid, in("r4") tp,
            in("r7") entry, in("r8") arg,
            options(nostack)
        )
    };
    r
}

/// `unmap_and_exit`: the end of a detached thread: unmaps `base..base + len`, its own stack
/// included, then exits, using only registers in between (`trap0` needs no stack).
///
/// # Safety
/// The calling thread runs on the mapping and must have nothing left to do; no other thread may
/// use the mapping.
pub unsafe fn unmap_and_exit(base: *mut u8, len: usize) -> ! {
    // SAFETY: after munmap nothing touches memory: the exit number is an immediate and its
    // argument a register.
    unsafe {
        asm!(
            "trap0(#1)",
            "r0 = #0",
            "r6 = #{exit}",
            "trap0(#1)",
            exit = const __NR_exit,
            in("r6") __NR_munmap as usize,
            in("r0") base, in("r1") len,
            options(noreturn, nostack)
        )
    }
}

/// `STACK_GUARD`: where hexagon stack-protector code reads its canary.
///
/// The global `__stack_chk_guard`: LLVM's Hexagon target does not override the default
/// `getIRStackGuard` (which names a TCB slot only on the targets that define one), and the
/// Hexagon ABI defines no canary slot at the thread pointer.
pub const STACK_GUARD: StackGuard = StackGuard::Global;

/// `rt_sigaction`: installs and/or reads the disposition of signal `sig`, in hexagon's `struct
/// sigaction`, which has no `sa_restorer`: the kernel supplies the return path.
///
/// `{handler, flags, mask}` (include/uapi/asm-generic/signal.h without SA_RESTORER, which
/// arch/hexagon/include/uapi/asm/signal.h does not define). The kernel always builds an rt
/// frame and returns the handler through the vDSO's `__rt_sigtramp_template` in `r31`
/// (arch/hexagon/kernel/signal.c, setup_rt_frame); QEMU 7.2 through a trampoline it writes in
/// the frame (linux-user/hexagon/signal.c, `install_sigtramp`).
///
/// # Safety
/// `new.handler` is `SIG_DFL`, `SIG_IGN` or a handler that may run at any time on any thread.
///
/// Every handler goes to the kernel as [`pred_shim`], with the real handler in [`HANDLERS`]
/// (module header: QEMU 7.2 does not restore the predicate registers after a handler, the shim
/// does). `SIG_DFL` and `SIG_IGN` go to the kernel as they are. The slot is written before the
/// kernel sees the shim, so a shim never runs for an empty or older slot once this call returns;
/// a signal delivered during the call may already run the new handler, as it may once the
/// call returns. A slot is never cleared: a shim the kernel already chose for a signal now
/// `SIG_DFL`/`SIG_IGN` still finds the handler it was delivered for. `old` reports the real
/// handler, never the shim.
///
/// # Safety
/// `new.handler` is `SIG_DFL`, `SIG_IGN` or a handler that may run at any time on any thread.
pub unsafe fn rt_sigaction(sig: u32, new: Option<&Sigaction>, old: Option<&mut Sigaction>) -> usize {
    let slot = HANDLERS.get(sig as usize);
    let mut k_new = new.copied();
    let mut prev = slot.map_or(0, |s| s.load(Ordering::Acquire));
    if let (Some(a), Some(s)) = (k_new.as_mut(), slot) {
        // SIG_DFL (0) and SIG_IGN (1) (include/uapi/asm-generic/signal-defs.h) stay as they are.
        if a.handler > 1 {
            prev = s.swap(a.handler, Ordering::AcqRel);
            a.handler = pred_shim as *const () as usize;
        }
    }
    let mut k_old = Sigaction::DEFAULT;
    // SAFETY: per the contract; the shim the kernel may get calls the handler the caller gave,
    // already in its slot.
    let r = unsafe { super::sigaction::no_restorer(sig, k_new.as_ref(), Some(&mut k_old)) };
    if let Some(old) = old {
        if k_old.handler == pred_shim as *const () as usize {
            k_old.handler = prev;
        }
        *old = k_old;
    }
    r
}

/// The real handler behind [`pred_shim`] for each signal `1..=_NSIG` (index 0 unused); 0 while
/// strand has installed none. Written only by [`rt_sigaction`], read by the shim.
static HANDLERS: [AtomicUsize; sys::general::_NSIG as usize + 1] =
    [const { AtomicUsize::new(0) }; sys::general::_NSIG as usize + 1];

/// Calls the handler in [`HANDLERS`] for `sig` with the kernel's three handler arguments (an
/// `sa_handler` ignores the two it does not take: they are in `r1`/`r2`). Async-signal-safe:
/// one atomic load and a call.
unsafe extern "C" fn pred_dispatch(sig: usize, info: *mut u8, uc: *mut u8) {
    let h = HANDLERS.get(sig).map_or(0, |s| s.load(Ordering::Acquire));
    if h > 1 {
        // SAFETY: `rt_sigaction` stores only handlers its caller gave, which take the kernel's
        // handler arguments (its contract).
        let f: unsafe extern "C" fn(usize, *mut u8, *mut u8) = unsafe { core::mem::transmute(h) };
        // SAFETY: as above; the kernel passes the arguments a handler expects.
        unsafe { f(sig, info, uc) };
    }
}

/// The handler the kernel gets for every strand handler: saves the predicate registers
/// `p3:0` (one 32-bit transfer: `P3:0` is control register `c4`, `Rd = Cs` / `Cd = Rs`, Hexagon
/// V67 Programmer's Reference Manual, "Control registers") in its frame, calls
/// [`pred_dispatch`], puts them back and returns to the kernel's (or QEMU's) trampoline in `r31`.
///
/// Why: QEMU 7.2 user mode does not restore `p0..p3` on `rt_sigreturn` (module header), so an
/// interrupted compare-and-branch could go the wrong way. The kernel restores them itself
/// (`sc_regs.p3_0`); this shim is then harmless. `allocframe(#8)` pushes `fp:lr` and takes 16
/// bytes, keeping sp 8-byte aligned (the handler's sp is, arch/hexagon/kernel/signal.c
/// get_sigframe; QEMU's `get_sigframe` aligns to 8); only `r3` and the predicates are used,
/// both caller-saved (Hexagon ABI), and `dealloc_return` restores `fp` and `lr`.
#[unsafe(naked)]
unsafe extern "C" fn pred_shim(sig: usize, info: *mut u8, uc: *mut u8) {
    naked_asm!(
        "allocframe(#8)",
        "r3 = p3:0",
        "memw(r29+#0) = r3",
        "call {dispatch}",
        "r3 = memw(r29+#0)",
        "p3:0 = r3",
        "dealloc_return",
        dispatch = sym pred_dispatch,
    )
}

/// `struct ucontext` (include/uapi/asm-generic/ucontext.h): `uc_flags`, `uc_link`, `uc_stack`
/// (12 bytes) end at 20, and `struct sigcontext` is `__aligned(8)` (arch/hexagon/include/uapi/
/// asm/sigcontext.h), so `uc_mcontext` starts at 24. QEMU 7.2's user mode puts it there too
/// (measured: reading the context at 20 instead failed 8 of the 10 tests of tests/context.rs).
const UC_MCONTEXT: usize = 24;
/// In `uc_mcontext`, `struct user_regs_struct` (arch/hexagon/include/uapi/asm/user.h): `r0..r31`
/// as words 0..31, so sp (`r29`) is word 29; then `sa0, lc0, sa1, lc1, m0, m1, usr, p3_0, gp,
/// ugp, pc`, so `pc` is word 42; 48 words (192 bytes) in all.
const UC_SP: usize = UC_MCONTEXT + 29 * 4;
const UC_PC: usize = UC_MCONTEXT + 42 * 4;
/// `uc_sigmask` follows the 192-byte `uc_mcontext`; `sys_rt_sigreturn` restores the mask from
/// it (arch/hexagon/kernel/signal.c).
const UC_SIGMASK: usize = UC_MCONTEXT + 48 * 4;

context_words!(UC_PC, UC_SP, UC_SIGMASK);

/// The cancellable syscall (see the contract in `arch/mod.rs`). Hexagon ABI: `cancel` in `r0`,
/// `nr` in `r1`, `a1..a4` in `r2..r5`, `a5`/`a6` on the stack at entry `[sp]`, `[sp+4]`. A
/// leaf with no frame: it uses only caller-saved registers (`r6`, `r7`), so the range needs no
/// prologue or epilogue. Each instruction is a packet of its own, so a syscall restarted after
/// a handler (PC moved back 4, module header) re-executes the `trap0` itself, inside the range;
/// `__strand_cp_end` is the packet after it.
///
/// # Safety
/// `cancel` is a valid `u32`; the caller upholds the syscall's own contract.
#[unsafe(naked)]
pub unsafe extern "C" fn syscall_cp(
    cancel: *const u32,
    nr: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
    a5: usize,
    a6: usize,
) -> usize {
    naked_asm!(
        cp_labels!(),
        "__strand_cp_begin:",
        "r7 = memw(r0+#0)",
        "if (r7!=#0) jump:nt __strand_cp_cancel",
        "r6 = r1",
        "r0 = r2",
        "r1 = r3",
        "r2 = r4",
        "r3 = r5",
        "r4 = memw(r29+#0)",
        "r5 = memw(r29+#4)",
        "trap0(#1)",
        "__strand_cp_end:",
        "jumpr r31",
        "__strand_cp_cancel:",
        "r0 = #{ecanceled}",
        "jump __strand_cp_end",
        ecanceled = const -(sys::errno::ECANCELED as isize),
    )
}
