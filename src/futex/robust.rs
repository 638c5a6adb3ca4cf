//! `set_robust_list` (man 2 set_robust_list), for `sync::robust`: whether the kernel walks a
//! thread's robust list when it dies.

use crate::arch::sys::general::__NR_set_robust_list;
use crate::errno::Errno;
use crate::syscall::sys;
use core::sync::atomic::{AtomicBool, AtomicU8, Ordering::Relaxed};

/// Set once the kernel said ENOSYS (QEMU user mode, on purpose: a guest's list is no list for
/// the host kernel), so that later threads do not ask again.
static NONE: AtomicBool = AtomicBool::new(false);

/// Registers `head` (a `struct robust_list_head` of `len` bytes) as the calling thread's robust
/// list, or withdraws it (null). Returns whether the kernel now walks a list of ours.
pub(crate) fn set_robust_list(head: *const u8, len: usize) -> bool {
    if NONE.load(Relaxed) {
        return false;
    }
    // SAFETY: the kernel only stores the pointer; it reads the list when the thread dies, and
    // the caller keeps it valid until then or withdraws it.
    let r = unsafe { sys!(__NR_set_robust_list, head, len) };
    match Errno::result(r) {
        Ok(_) => !head.is_null(),
        Err(e) => {
            if e == Errno::ENOSYS {
                NONE.store(true, Relaxed);
            }
            false
        }
    }
}

/// Whether this "kernel" lacks `set_robust_list`, asked once with a length the call rejects
/// (no side effect): every Linux since 2.6.17 answers EINVAL (kernel/futex/syscalls.c checks
/// the length first), QEMU user mode ENOSYS (every version through 10.0). strand uses the
/// answer as "running under QEMU user mode" where it must work around that emulator
/// (`thread::start`); a seccomp filter that answers ENOSYS only costs a harmless syscall per
/// spawn there.
pub(crate) fn lacks_robust_list() -> bool {
    // 0: not asked yet, 1: has it, 2: lacks it.
    static ANSWER: AtomicU8 = AtomicU8::new(0);
    match ANSWER.load(Relaxed) {
        1 => false,
        2 => true,
        _ => {
            // SAFETY: with length 0 the kernel rejects the call before it stores anything.
            let r = unsafe { sys!(__NR_set_robust_list, 0usize, 0usize) };
            let lacks = Errno::result(r) == Err(Errno::ENOSYS);
            if lacks {
                NONE.store(true, Relaxed);
            }
            ANSWER.store(if lacks { 2 } else { 1 }, Relaxed);
            lacks
        }
    }
}
