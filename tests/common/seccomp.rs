//! A seccomp filter that turns one syscall of the calling thread (and of the threads it spawns
//! afterwards) into a SIGSYS at the point of the call: a way to run a signal handler at an
//! exact place inside strand, such as the `prctl(PR_SET_NAME)` a new thread makes as it starts.
//!
//! man 2 seccomp: SECCOMP_RET_TRAP skips the syscall and sends SIGSYS; a filter needs
//! PR_SET_NO_NEW_PRIVS (or CAP_SYS_ADMIN); filters are per thread and inherited by clone.
//! QEMU user mode refuses PR_SET_SECCOMP (it would filter QEMU's own syscalls).

use strand::arch::sys::general::__NR_prctl;
use strand::arch::sys::prctl::{PR_SET_NAME, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP};
use strand::Errno;

/// include/uapi/linux/filter.h: one classic BPF instruction, and a program.
#[repr(C)]
struct SockFilter {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

// include/uapi/linux/bpf_common.h: BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K.
const LD_W_ABS: u16 = 0x20;
const JEQ_K: u16 = 0x15;
const RET_K: u16 = 0x06;
// include/uapi/linux/seccomp.h.
const SECCOMP_MODE_FILTER: usize = 2;
const SECCOMP_RET_TRAP: u32 = 0x0003_0000;
const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;

/// Offset of the low 32 bits of `struct seccomp_data`'s `args[i]` (`int nr; __u32 arch;
/// __u64 instruction_pointer; __u64 args[6]`): the filter loads 32-bit words.
const fn arg_low(i: u32) -> u32 {
    16 + 8 * i + if cfg!(target_endian = "big") { 4 } else { 0 }
}

/// What strand passes as prctl's third argument (it passes 0); a handler that wants to set the
/// name itself passes this instead, and the filter lets that call through.
pub const UNTRAPPED_ARG: usize = 1;

fn prctl(option: u32, a: usize, b: usize) -> Result<usize, Errno> {
    // SAFETY: the options used here read at most the buffer or program the caller passes.
    Errno::result(unsafe { strand::arch::syscall5(__NR_prctl as usize, option as usize, a, b, 0, 0) })
}

/// From now on `prctl(PR_SET_NAME, name, 0, ..)` in this thread and the threads it spawns
/// raises SIGSYS instead of running (and returns ENOSYS). Irrevocable: call it on a thread made
/// for the purpose. `Err` where seccomp is unavailable (QEMU user mode).
pub fn trap_set_name() -> Result<(), Errno> {
    let filter = [
        SockFilter { code: LD_W_ABS, jt: 0, jf: 0, k: 0 }, // nr
        SockFilter { code: JEQ_K, jt: 0, jf: 5, k: __NR_prctl },
        SockFilter { code: LD_W_ABS, jt: 0, jf: 0, k: arg_low(0) },
        SockFilter { code: JEQ_K, jt: 0, jf: 3, k: PR_SET_NAME },
        SockFilter { code: LD_W_ABS, jt: 0, jf: 0, k: arg_low(2) },
        SockFilter { code: JEQ_K, jt: 0, jf: 1, k: 0 },
        SockFilter { code: RET_K, jt: 0, jf: 0, k: SECCOMP_RET_TRAP },
        SockFilter { code: RET_K, jt: 0, jf: 0, k: SECCOMP_RET_ALLOW },
    ];
    let prog = SockFprog { len: filter.len() as u16, filter: filter.as_ptr() };
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0)?;
    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog as *const SockFprog as usize).map(drop)
}

/// `prctl(PR_SET_NAME)` that the filter lets through, for a SIGSYS handler doing the trapped
/// call's work. Async-signal-safe.
pub fn set_name_untrapped(name: &[u8; 16]) -> Result<(), Errno> {
    prctl(PR_SET_NAME, name.as_ptr() as usize, UNTRAPPED_ARG).map(drop)
}
