//! The stack-protector canary: set from the kernel's random bytes at start-up, copied into
//! every thread's control block, and checked by code built with `-Zstack-protector`, whose
//! failure path `__stack_chk_fail` is here.
//!
//! Where the compilers read the canary is the ABI's (`arch::STACK_GUARD`): a slot at a fixed
//! offset from the thread pointer, inside the words of `Tcb` that the psABIs define, or the
//! global `__stack_chk_guard`. strand fills both on every ABI, so a mixed build is covered too.
//!
//! A function that changes the canary and then returns would fail its own check, so the value
//! is set exactly once, from `rt::__strand_start`, which never returns; until then every
//! function sees 0 (the provisional `arch::BOOT_TCB`, or the zeroed global).

use crate::arch::{self, StackGuard};
use crate::thread::Tcb;
use crate::tls;
use core::sync::atomic::AtomicUsize;
use core::sync::atomic::Ordering::Relaxed;

/// The global canary of ABIs whose compilers use one (aarch64, riscv, mips, ...); same layout as
/// the `uintptr_t` they read.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::sync::atomic::Ordering::Relaxed;
/// if strand::arch::STACK_GUARD == strand::arch::StackGuard::Global {
///     assert_eq!(strand::stack_guard::__stack_chk_guard.load(Relaxed), strand::stack_guard::current());
/// }
/// # }
/// ```
#[no_mangle]
pub static __stack_chk_guard: AtomicUsize = AtomicUsize::new(0);

/// The canary slot's offset inside `Tcb`, where the ABI has one.
const SLOT_IN_TCB: Option<usize> = match arch::STACK_GUARD {
    StackGuard::TpRelative(off) => {
        let tcb_size = core::mem::size_of::<Tcb>();
        let at = off - tls::tcb_offset_from_tp(arch::TLS, tcb_size);
        let word = core::mem::size_of::<usize>() as isize;
        // The slot must fall on one of the words reserved for the ABI, never on strand's own
        // fields: the variant II head or the variant I tail.
        let in_head = at >= 0 && at + word <= (arch::TCB_HEAD_WORDS as isize) * word;
        let tail_start = tcb_size as isize - (arch::TCB_TAIL_WORDS as isize) * word;
        let in_tail = at >= tail_start && at + word <= tcb_size as isize;
        assert!(in_head || in_tail, "the ABI's canary slot is not in a reserved Tcb word");
        assert!(at % word == 0, "the ABI's canary slot is not word-aligned");
        Some(at as usize)
    }
    StackGuard::Global => None,
};

fn slot(tcb: *mut Tcb) -> Option<*mut usize> {
    SLOT_IN_TCB.map(|at| tcb.cast::<u8>().wrapping_add(at).cast::<usize>())
}

/// The canary every function checks against.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let canary = strand::stack_guard::current();
/// // Its lowest-addressed byte is zero, so a runaway string copy stops there.
/// assert_eq!(canary.to_ne_bytes()[0], 0);
/// // Every thread checks against the same value.
/// assert_eq!(strand::thread::spawn(strand::stack_guard::current).unwrap().join().ok(), Some(canary));
/// # }
/// ```
pub fn current() -> usize {
    __stack_chk_guard.load(Relaxed)
}

/// Copies the process's canary into a new control block.
///
/// # Safety
/// `tcb` points at a control block being initialised, not yet in use by any thread.
pub(crate) unsafe fn init_tcb(tcb: *mut Tcb) {
    if let Some(p) = slot(tcb) {
        // SAFETY: the slot is a word inside the control block (checked above).
        unsafe { p.write(current()) };
    }
}

/// The canary for this process: the first word of the kernel's 16 random bytes (AT_RANDOM), with
/// its lowest-addressed byte zeroed so a runaway string copy cannot write it back (glibc does the
/// same); a fixed terminator-style value if the kernel gave none.
pub(crate) fn value(random: Option<&[u8; 16]>) -> usize {
    const W: usize = core::mem::size_of::<usize>();
    let mut bytes = [0u8; W];
    match random {
        Some(r) => bytes.copy_from_slice(&r[..W]),
        None => bytes.iter_mut().zip([0x00, 0x0a, 0xff, 0x0d, 0x5a, 0xa5, 0x3c, 0xc3]).for_each(|(b, v)| *b = v),
    }
    bytes[0] = 0;
    usize::from_ne_bytes(bytes)
}

/// Sets the canary of the calling (main) thread and of every thread it will create.
///
/// # Safety
/// Only `rt::__strand_start` calls this, inlined, once, while the process has one thread:
/// every function on the stack at that moment must never return.
#[inline(always)]
pub(crate) unsafe fn set(value: usize) {
    __stack_chk_guard.store(value, Relaxed);
    let tcb = Tcb::current() as *const Tcb as *mut Tcb;
    if let Some(p) = slot(tcb) {
        // SAFETY: the main thread's control block is live; nothing else runs.
        unsafe { p.write(value) };
    }
}

/// Called by stack-protector code when a function's canary was overwritten: the stack is
/// corrupt, so say so with plain writes and end the process at once with SIGABRT.
///
/// ```no_run
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// // What compiled code calls when a canary check fails: it reports and ends the process
/// // with SIGABRT, so this example is only compiled.
/// strand::stack_guard::__stack_chk_fail();
/// # }
/// ```
#[no_mangle]
pub extern "C" fn __stack_chk_fail() -> ! {
    use crate::arch::sys::general as g;
    use crate::syscall;
    let _ = syscall::write_all(2, b"strand: stack smashing detected (a stack-protector canary was overwritten); aborting\n");
    // Default action for SIGABRT, unblocked, then send it to ourselves: the process dies by the
    // signal, as with C's abort(); exit_group is the fallback should that ever return.
    let dfl = arch::Sigaction::DEFAULT;
    // SAFETY: SIG_DFL is always a valid disposition.
    unsafe { arch::rt_sigaction(g::SIGABRT, Some(&dfl), None) };
    let set = crate::signal::SigSet::of(&[crate::signal::Signal::ABRT]);
    let _ = syscall::sigprocmask(g::SIG_UNBLOCK, Some(&set), None);
    let _ = crate::signal::raise(crate::signal::Signal::ABRT);
    syscall::exit_group(127)
}
