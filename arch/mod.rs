//! The architecture table: the whole kernel boundary of one ABI lives in one file here, and this
//! is the only place in strand that names a `target_arch`.
//!
//! Every file provides the same contract; generic code in `src/` uses nothing else:
//!
//! - `syscall0` ..= `syscall6(nr, args..) -> usize`: the raw syscall instruction. The result is
//!   normalised to one convention: a value in `-4095..=-1` (as `isize`) is a negated errno,
//!   anything else is success. ABIs that report errors out of band (mips `$a3`, powerpc CR0.SO,
//!   sparc carry) convert here.
//! - `nr`: the syscall numbers whose *name* differs by ABI: `FUTEX`, `CLOCK_GETTIME`,
//!   `CLOCK_NANOSLEEP` (the 64-bit-time variants on 32-bit ABIs) and `MMAP` (with `mmap_raw`).
//!   Numbers with one name everywhere come straight from `linux_raw_sys::general`; 64-bit ABIs
//!   re-export `nr_native` and, for a register-argument `mmap`, `mmap_six_args`. Also
//!   `FUTEX_TIME32`, `CLOCK_GETTIME_TIME32`, `CLOCK_NANOSLEEP_TIME32`: `Some(number)` of the
//!   32-bit-time originals on ABIs that have them, `None` elsewhere.
//! - `R_RELATIVE`: the psABI's RELATIVE relocation type, the one a static-pie applies to itself.
//! - `mmap_raw(addr, len, prot, flags, fd) -> usize`: an anonymous/offset-0 mapping (s390x passes
//!   its arguments through memory, i386 uses `mmap2`).
//! - `_start`: the program entry (a `global_asm!`, left out of host unit tests), which calls
//!   `__strand_start(initial_sp)` with a valid, ABI-aligned stack and no return address.
//! - `TLS: TlsAbi`: the static-TLS variant, the gap between the thread pointer and the first TLS
//!   block (variant I) and the thread-pointer bias (mips, powerpc, m68k).
//! - `set_thread_pointer(tp) -> usize` (raw syscall-style result) for the main thread, and
//!   `thread_pointer() -> *mut u8`, which must be cheap: it is how a thread finds itself.
//! - `clone_thread(flags, stack_top, ptid, ctid, tp, entry, arg) -> usize`: the raw `clone`. In the
//!   parent it returns the tid or a negated errno. In the child it runs on `stack_top` (16-byte
//!   aligned, provided by the caller) with a correct first frame and calls `entry(arg)`, which
//!   never returns. The arch file puts `tp` into the form its `CLONE_SETTLS` wants.
//! - `unmap_and_exit(base, len) -> !`: `munmap` the calling thread's own mapping, then `exit(0)`,
//!   with no memory access in between (the stack is gone).
//! - `KernelSigaction`: the `struct sigaction` layout `rt_sigaction` reads on this ABI (one of the
//!   layouts below), and `SIGRETURN_TRAMPOLINE`: the `rt_sigreturn` code a handler returns into
//!   where the ABI needs the caller to provide one (SA_RESTORER), or `None` where the kernel
//!   supplies its own (vDSO or signal frame). strand always passes SA_SIGINFO, so it is always
//!   the rt frame a trampoline returns from.

/// Static TLS layout parameters of an ABI (see the ELF TLS ABI, "ELF Handling For Thread-Local
/// Storage", Drepper, section 3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsAbi {
    pub variant: TlsVariant,
    /// Variant I: bytes between (thread pointer - bias) and the first TLS block, before that
    /// block's own alignment is applied (aarch64 16, arm 8, riscv 0).
    pub gap: usize,
    /// Variant I: the thread pointer points this many bytes past the TLS block start
    /// (0x7000 on mips, powerpc, m68k).
    pub bias: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsVariant {
    /// The thread control block sits at or below the thread pointer, the TLS block above it.
    I,
    /// The TLS block sits below the thread pointer, whose first word points at itself.
    II,
}

use crate::syscall::SigSet;

/// `nr` for ABIs whose plain `futex`, `clock_*` and `mmap` syscalls already take 64-bit time and
/// register arguments (every 64-bit ABI; each ABI's own numbers come from linux_raw_sys). An
/// arch file uses it with `pub use super::nr_native as nr;`.
pub mod nr_native {
    use linux_raw_sys::general as g;
    pub const FUTEX: usize = g::__NR_futex as usize;
    pub const CLOCK_GETTIME: usize = g::__NR_clock_gettime as usize;
    pub const CLOCK_NANOSLEEP: usize = g::__NR_clock_nanosleep as usize;
    pub const MMAP: usize = g::__NR_mmap as usize;
    /// No 32-bit-time variants to fall back to: the plain syscalls above are the only ones.
    pub const FUTEX_TIME32: Option<usize> = None;
    pub const CLOCK_GETTIME_TIME32: Option<usize> = None;
    pub const CLOCK_NANOSLEEP_TIME32: Option<usize> = None;
}

/// `mmap` as a plain six-argument syscall (offset 0), for the ABIs whose `nr::MMAP` takes its
/// arguments in registers.
///
/// # Safety
/// The caller upholds mmap's contract.
#[inline]
pub unsafe fn mmap_six_args(addr: usize, len: usize, prot: usize, flags: usize, fd: usize) -> usize {
    // SAFETY: per the function's contract.
    unsafe { imp::syscall6(imp::nr::MMAP, addr, len, prot, flags, fd, 0) }
}

/// How strand builds the kernel's `struct sigaction` for any layout.
pub trait SigactionLayout: Sized {
    fn new(handler: usize, flags: usize, mask: SigSet) -> Self;
    fn handler(&self) -> usize;
}

/// The flag saying `sa_restorer` is set: 0x04000000 on every ABI that has the field
/// (arch/{x86,arm64,s390,powerpc}/include/uapi/asm/signal.h).
const SA_RESTORER: usize = 0x0400_0000;

/// `{handler, flags, restorer, mask}`: x86, arm, aarch64, powerpc, s390 (each kernel's
/// arch/*/include/uapi/asm/signal.h or include/linux/signal_types.h with `__ARCH_HAS_SA_RESTORER`).
#[repr(C)]
pub struct SigactionWithRestorer {
    handler: usize,
    flags: usize,
    restorer: usize,
    mask: SigSet,
}

impl SigactionLayout for SigactionWithRestorer {
    fn new(handler: usize, flags: usize, mask: SigSet) -> Self {
        match imp::SIGRETURN_TRAMPOLINE {
            Some(t) => SigactionWithRestorer {
                handler,
                flags: flags | SA_RESTORER,
                restorer: t as usize,
                mask,
            },
            None => SigactionWithRestorer { handler, flags, restorer: 0, mask },
        }
    }
    fn handler(&self) -> usize {
        self.handler
    }
}

/// `{handler, flags, mask}`: ABIs without `sa_restorer` (riscv, loongarch; include/linux/signal_types.h).
#[repr(C)]
pub struct SigactionNoRestorer {
    handler: usize,
    flags: usize,
    mask: SigSet,
}

impl SigactionLayout for SigactionNoRestorer {
    fn new(handler: usize, flags: usize, mask: SigSet) -> Self {
        SigactionNoRestorer { handler, flags, mask }
    }
    fn handler(&self) -> usize {
        self.handler
    }
}

#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "aarch64",
    target_arch = "riscv64",
    target_arch = "s390x",
)))]
compile_error!("strand has no arch/ file for this target architecture yet");

#[cfg_attr(target_arch = "x86_64", path = "x86_64.rs")]
#[cfg_attr(target_arch = "x86", path = "x86.rs")]
#[cfg_attr(target_arch = "aarch64", path = "aarch64.rs")]
#[cfg_attr(target_arch = "riscv64", path = "riscv64.rs")]
#[cfg_attr(target_arch = "s390x", path = "s390x.rs")]
mod imp;

pub use imp::*;
