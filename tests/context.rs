//! The per-ABI signal-context accessors (`context_pc`, `context_sp`, `set_context_pc`) and the
//! cancellable syscall stub (`syscall_cp` with its range and landing), driven the way strand's
//! thread control will drive them: an SA_SIGINFO handler reads the interrupted PC and, when the
//! cancel flag is set and the PC lies in the range, sends the thread to the landing. And the
//! saved signal mask (`context_sigmask`, as `Context::mask`/`set_mask`): what the interrupted
//! thread blocked, and what it blocks once the handler returns.
//!
//! Every wait for a thread is on something it did (a flag, its /proc state, the handler's count);
//! a test that catches broken code ends its thread itself (a futex wake) instead of hanging.
#![no_std]
#![no_main]

#[macro_use]
mod common;

use common::{Gate, Test, TestResult};
use core::cell::UnsafeCell;
use core::ffi::c_void;
use core::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize, Ordering::SeqCst};
use strand::arch::{self, sys::errno, sys::general as g, Sigaction};
use strand::signal::{self, Context, Handler, SigInfo, SigSet, Signal};
use strand::{futex, thread};

strand::main!(main);

const TESTS: &[Test] = &[
    ("pc_and_sp_of_a_thread_blocked_in_a_futex_wait", pc_and_sp_of_a_thread_blocked_in_a_futex_wait),
    ("cancel_before_the_syscall", cancel_before_the_syscall),
    ("cancel_while_blocked", cancel_while_blocked),
    ("completed_sigprocmask_keeps_its_result", completed_sigprocmask_keeps_its_result),
    ("completed_read_keeps_its_result", completed_read_keeps_its_result),
    ("without_restart_the_wait_fails_with_eintr_at_the_end", without_restart_the_wait_fails_with_eintr_at_the_end),
    ("six_arguments_reach_the_kernel", six_arguments_reach_the_kernel),
    ("saved_mask_is_the_interrupted_threads_mask", saved_mask_is_the_interrupted_threads_mask),
    ("saved_mask_set_in_a_handler_lasts_a_block_does_not", saved_mask_set_in_a_handler_lasts_a_block_does_not),
    ("saved_mask_set_for_a_running_thread", saved_mask_set_for_a_running_thread),
];

fn main() -> i32 {
    common::run("context", TESTS)
}

fn err(e: impl core::fmt::Display) -> common::Failure {
    common::Failure::new(format_args!("{e}"))
}

/// The cancel flag `syscall_cp` tests, the futex word the threads wait on, and what the handler
/// saw. Reset by `reset` at the start of each test.
static FLAG: AtomicU32 = AtomicU32::new(0);
static WORD: AtomicU32 = AtomicU32::new(0);
static HANDLED: AtomicU32 = AtomicU32::new(0);
static PC: AtomicUsize = AtomicUsize::new(0);
static SP: AtomicUsize = AtomicUsize::new(0);
static REDIRECTED: AtomicU32 = AtomicU32::new(0);
/// When nonzero, the handler sets FLAG itself (the "request arrives as the syscall completes"
/// case).
static HANDLER_SETS_FLAG: AtomicU32 = AtomicU32::new(0);
/// Set by the thread just before its `syscall_cp`, with its tid and the address of a local.
static READY: AtomicU32 = AtomicU32::new(0);
static TID: AtomicI32 = AtomicI32::new(0);
static LOCAL: AtomicUsize = AtomicUsize::new(0);

const STACK: usize = 64 << 10;
const SIG: Signal = Signal::USR1;
const ECANCELED: isize = -(errno::ECANCELED as isize);
const EINTR: isize = -(errno::EINTR as isize);
const FUTEX_WAIT_PRIVATE: usize = (g::FUTEX_WAIT | g::FUTEX_PRIVATE_FLAG) as usize;

/// Exactly what strand's control-signal handler will do (arch/mod.rs, `syscall_cp`).
extern "C" fn handler(_sig: i32, _info: *mut c_void, uc: *mut c_void) {
    // SAFETY: `uc` is this running SA_SIGINFO handler's third argument.
    let (pc, sp) = unsafe { (arch::context_pc(uc), arch::context_sp(uc)) };
    PC.store(pc, SeqCst);
    SP.store(sp, SeqCst);
    if HANDLER_SETS_FLAG.load(SeqCst) != 0 {
        FLAG.store(1, SeqCst);
    }
    let (begin, end) = arch::cancel_point_range();
    if FLAG.load(SeqCst) != 0 && begin <= pc && pc < end {
        // SAFETY: as above; the landing is `syscall_cp`'s own epilogue, valid from any PC in
        // the range.
        unsafe { arch::set_context_pc(uc, arch::cancel_point_landing()) };
        REDIRECTED.store(1, SeqCst);
    }
    HANDLED.fetch_add(1, SeqCst);
}

fn install(restart: bool) -> TestResult {
    let flags = g::SA_SIGINFO as usize | if restart { g::SA_RESTART as usize } else { 0 };
    let act = Sigaction {
        handler: handler as extern "C" fn(i32, *mut c_void, *mut c_void) as usize,
        flags,
        mask: SigSet::EMPTY,
    };
    // SAFETY: the handler only touches atomics and the context it is given.
    let r = unsafe { arch::rt_sigaction(SIG.number(), Some(&act), None) } as isize;
    check_eq!(r, 0);
    Ok(())
}

fn reset() {
    for a in [&FLAG, &WORD, &HANDLED, &REDIRECTED, &HANDLER_SETS_FLAG, &READY] {
        a.store(0, SeqCst);
    }
    PC.store(0, SeqCst);
    SP.store(0, SeqCst);
    TID.store(0, SeqCst);
}

/// `syscall_cp` with FLAG as the cancel flag, its result as a signed value.
fn cp(nr: u32, a: [usize; 6]) -> isize {
    // SAFETY: FLAG is a live u32; each caller passes a syscall whose pointers are valid.
    unsafe { arch::syscall_cp(FLAG.as_ptr(), nr as usize, a[0], a[1], a[2], a[3], a[4], a[5]) as isize }
}

/// The thread side of the blocked-wait tests: announce itself, then `FUTEX_WAIT` on WORD (0)
/// through `syscall_cp`, with no timeout.
fn wait_on_word() -> isize {
    let local = 0u8;
    LOCAL.store(&local as *const u8 as usize, SeqCst);
    TID.store(thread::current_tid(), SeqCst);
    READY.store(1, SeqCst);
    let r = cp(arch::nr::FUTEX as u32, [WORD.as_ptr() as usize, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0]);
    core::hint::black_box(&local);
    r
}

/// Waits until the thread has announced itself and sleeps (it then can only be in its wait).
fn asleep() -> TestResult {
    check!(common::eventually(10, || READY.load(SeqCst) == 1), "the thread never got ready");
    let tid = TID.load(SeqCst);
    check!(common::eventually(10, || common::thread_state(tid) == Some(b'S')), "the thread never slept");
    Ok(())
}

/// Lets a thread still in its wait go (after a failure: never leave it blocked).
fn release() {
    WORD.store(1, SeqCst);
    futex::wake_private(&WORD, u32::MAX);
}

fn signal_and_wait_for_handler(tid: i32) -> TestResult {
    strand::signal::send_to_thread(tid, SIG).map_err(err)?;
    check!(common::eventually(10, || HANDLED.load(SeqCst) == 1), "the handler never ran");
    Ok(())
}

/// (a) With SA_RESTART, the context of a thread blocked in `syscall_cp`'s FUTEX_WAIT has its PC
/// rewound to the syscall instruction, inside the range, and its SP on the thread's stack.
fn pc_and_sp_of_a_thread_blocked_in_a_futex_wait() -> TestResult {
    reset();
    install(true)?;
    let h = thread::Builder::new().stack_size(STACK).spawn(wait_on_word).map_err(err)?;
    let waited = asleep().and_then(|()| signal_and_wait_for_handler(TID.load(SeqCst)));
    release();
    let r = h.join()?;
    waited?;
    let (begin, end) = arch::cancel_point_range();
    let (pc, sp, local) = (PC.load(SeqCst), SP.load(SeqCst), LOCAL.load(SeqCst));
    check!(begin <= pc && pc < end, "pc {pc:#x} outside the stub range {begin:#x}..{end:#x}");
    check!(sp < local && sp > local - STACK, "sp {sp:#x} not on the thread's stack below {local:#x}");
    check_eq!(REDIRECTED.load(SeqCst), 0);
    // Restarted, then woken (0) or WORD already changed (EAGAIN).
    check!(r == 0 || r == -(errno::EAGAIN as isize), "futex wait returned {r}");
    Ok(())
}

/// (b) The flag already set: `syscall_cp` returns -ECANCELED and never enters the kernel (the
/// wait would match and sleep; the timeout only turns a broken stub into a failure).
fn cancel_before_the_syscall() -> TestResult {
    reset();
    FLAG.store(1, SeqCst);
    // `struct __kernel_timespec`, the one nr::FUTEX takes on every ABI: one second.
    let timeout: [i64; 2] = [1, 0];
    let r = cp(arch::nr::FUTEX as u32, [WORD.as_ptr() as usize, FUTEX_WAIT_PRIVATE, 0, timeout.as_ptr() as usize, 0, 0]);
    check_eq!(r, ECANCELED);
    Ok(())
}

/// (c) A thread asleep in `syscall_cp`: the flag is set, then the signal sent; the handler finds
/// the PC in the range and redirects it, and the call returns -ECANCELED.
fn cancel_while_blocked() -> TestResult {
    reset();
    install(true)?;
    let h = thread::spawn(wait_on_word).map_err(err)?;
    let waited = asleep().and_then(|()| {
        FLAG.store(1, SeqCst);
        signal_and_wait_for_handler(TID.load(SeqCst))?;
        check!(common::eventually(10, || h.is_finished()), "the thread did not leave its wait");
        Ok(())
    });
    release();
    let r = h.join()?;
    waited?;
    let (begin, end) = arch::cancel_point_range();
    let pc = PC.load(SeqCst);
    check!(begin <= pc && pc < end, "pc {pc:#x} outside the stub range {begin:#x}..{end:#x}");
    check_eq!(REDIRECTED.load(SeqCst), 1);
    check_eq!(r, ECANCELED);
    Ok(())
}

/// The thread side of the "completed" tests: block SIG, announce, wait at `gate`, then run `f`
/// (whose syscall makes the pending signal deliverable on its return), reporting its result and
/// the handler count right after.
fn completed_thread(gate: &'static Gate, block: bool, f: fn() -> isize) -> Result<thread::JoinHandle<(isize, u32)>, common::Failure> {
    thread::spawn(move || {
        if block {
            strand::signal::block(&SigSet::of(&[SIG])).expect("block SIGUSR1");
        }
        TID.store(thread::current_tid(), SeqCst);
        READY.store(1, SeqCst);
        gate.wait();
        let r = f();
        (r, HANDLED.load(SeqCst))
    })
    .map_err(err)
}

/// The common checks: the syscall's own result came back, the handler ran on its return with
/// the PC at `__strand_cp_end` (outside the range), set the flag and redirected nothing.
fn check_completed(r: isize, handled_after: u32, expect: isize) -> TestResult {
    let (_, end) = arch::cancel_point_range();
    check_eq!(handled_after, 1);
    check_eq!(PC.load(SeqCst), end);
    check_eq!(FLAG.load(SeqCst), 1);
    check_eq!(REDIRECTED.load(SeqCst), 0);
    check_eq!(r, expect);
    Ok(())
}

/// (d) SIG pending while blocked; the thread unblocks it through `syscall_cp(rt_sigprocmask)`,
/// so the signal is delivered on return from that very syscall. The handler sets the flag, but
/// the PC is at `end`: the call returns its real result, 0.
fn completed_sigprocmask_keeps_its_result() -> TestResult {
    static GATE: Gate = Gate::new();
    reset();
    install(true)?;
    HANDLER_SETS_FLAG.store(1, SeqCst);
    let h = completed_thread(&GATE, true, || {
        let set = SigSet::of(&[SIG]);
        let size = core::mem::size_of::<SigSet>();
        cp(g::__NR_rt_sigprocmask, [g::SIG_UNBLOCK as usize, &set as *const SigSet as usize, 0, size, 0, 0])
    })?;
    let sent = (|| -> TestResult {
        check!(common::eventually(10, || READY.load(SeqCst) == 1), "the thread never got ready");
        strand::signal::send_to_thread(TID.load(SeqCst), SIG).map_err(err)?;
        check_eq!(HANDLED.load(SeqCst), 0);
        Ok(())
    })();
    GATE.open();
    let (r, handled_after) = h.join()?;
    sent?;
    check_completed(r, handled_after, 0)
}

/// (d, second variant) A `read` of a pipe that already has data: the signal is raised by that
/// read itself (the pipe was full, its write end is O_ASYNC with the reader thread as owner and
/// SIG as its F_SETSIG signal: fs/pipe.c `pipe_read` calls `kill_fasync` on the writers), so it
/// is delivered on return from the read. The handler sets the flag; the byte count comes back.
fn completed_read_keeps_its_result() -> TestResult {
    static GATE: Gate = Gate::new();
    static READ_FD: AtomicI32 = AtomicI32::new(-1);
    const N: usize = 100;
    reset();
    install(true)?;
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 writes two ints to `fds`.
    let r = unsafe { arch::syscall2(g::__NR_pipe2 as usize, fds.as_mut_ptr() as usize, 0) } as isize;
    check_eq!(r, 0);
    let [rd, wr] = fds;
    READ_FD.store(rd, SeqCst);
    let fcntl = |fd: i32, cmd: u32, arg: usize| -> isize {
        // SAFETY: fcntl on our own pipe; F_SETOWN_EX's pointer is live (below).
        unsafe { arch::syscall3(g::__NR_fcntl as usize, fd as usize, cmd as usize, arg) as isize }
    };
    let h = completed_thread(&GATE, false, || {
        let mut buf = [0u8; N];
        cp(g::__NR_read, [READ_FD.load(SeqCst) as usize, buf.as_mut_ptr() as usize, N, 0, 0, 0])
    })?;
    let set_up = (|| -> TestResult {
        // Fill the pipe (one page if F_SETPIPE_SZ works, its default size if not).
        let _ = fcntl(wr, g::F_SETPIPE_SZ, 4096);
        check_eq!(fcntl(wr, g::F_SETFL, g::O_NONBLOCK as usize), 0);
        let chunk = [7u8; 512];
        loop {
            match strand::syscall::write(wr, &chunk) {
                Ok(_) => {}
                Err(strand::Errno::EAGAIN) => break,
                Err(e) => return Err(err(e)),
            }
        }
        check!(common::eventually(10, || READY.load(SeqCst) == 1), "the thread never got ready");
        // `struct f_owner_ex { int type; pid_t pid; }` (include/uapi/linux/fcntl.h).
        let owner: [i32; 2] = [g::F_OWNER_TID as i32, TID.load(SeqCst)];
        check_eq!(fcntl(wr, g::F_SETOWN_EX, owner.as_ptr() as usize), 0);
        check_eq!(fcntl(wr, g::F_SETSIG, SIG.number() as usize), 0);
        check_eq!(fcntl(wr, g::F_SETFL, (g::O_NONBLOCK | g::FASYNC) as usize), 0);
        check_eq!(HANDLED.load(SeqCst), 0);
        HANDLER_SETS_FLAG.store(1, SeqCst);
        Ok(())
    })();
    GATE.open();
    let (r, handled_after) = h.join()?;
    let _ = strand::syscall::close(rd);
    let _ = strand::syscall::close(wr);
    set_up?;
    check_completed(r, handled_after, N as isize)
}

/// (e) Without SA_RESTART the handler ends the wait: -EINTR, with the PC right after the
/// syscall instruction (`__strand_cp_end`), and no flag, so no redirect.
fn without_restart_the_wait_fails_with_eintr_at_the_end() -> TestResult {
    reset();
    install(false)?;
    let h = thread::spawn(wait_on_word).map_err(err)?;
    let waited = asleep().and_then(|()| {
        signal_and_wait_for_handler(TID.load(SeqCst))?;
        check!(common::eventually(10, || h.is_finished()), "the thread did not leave its wait");
        Ok(())
    });
    if waited.is_err() {
        release();
    }
    let r = h.join()?;
    waited?;
    let (_, end) = arch::cancel_point_range();
    check_eq!(PC.load(SeqCst), end);
    check_eq!(REDIRECTED.load(SeqCst), 0);
    check_eq!(r, EINTR);
    install(true)
}

/// The 5th and 6th arguments (on the stack on x86-32 and mips o32, in the caller's frame on s390x
/// and sparc64) reach the kernel: FUTEX_CMP_REQUEUE compares `*uaddr` with `val3` (argument 6)
/// and fails with EAGAIN if they differ, and needs an aligned `uaddr2` (argument 5), EINVAL
/// otherwise (kernel/futex/requeue.c, futex_requeue; get_futex_key).
fn six_arguments_reach_the_kernel() -> TestResult {
    static OTHER: AtomicU32 = AtomicU32::new(0);
    reset();
    WORD.store(5, SeqCst);
    let op = (g::FUTEX_CMP_REQUEUE | g::FUTEX_PRIVATE_FLAG) as usize;
    let (uaddr, uaddr2) = (WORD.as_ptr() as usize, OTHER.as_ptr() as usize);
    // Wake none, requeue none: 0 when `val3` matches.
    check_eq!(cp(arch::nr::FUTEX as u32, [uaddr, op, 0, 0, uaddr2, 5]), 0);
    check_eq!(cp(arch::nr::FUTEX as u32, [uaddr, op, 0, 0, uaddr2, 6]), -(errno::EAGAIN as isize));
    check_eq!(cp(arch::nr::FUTEX as u32, [uaddr, op, 0, 0, uaddr2 + 1, 5]), -(errno::EINVAL as isize));
    Ok(())
}

/// What `mask_handler` does besides recording the saved mask.
static MASK_MODE: AtomicU32 = AtomicU32::new(0);
const RECORD: u32 = 0;
/// Add SIGUSR2 to the saved mask with `Context::set_mask`.
const SET_SAVED: u32 = 1;
/// Block SIGUSR2 with a plain `signal::block`, which the return from the handler undoes.
const BLOCK_HERE: u32 = 2;
static MASK_HANDLED: AtomicU32 = AtomicU32::new(0);
/// The tid the handler ran on.
static MASK_TID: AtomicI32 = AtomicI32::new(0);
/// Whether SIGUSR2 was blocked inside the handler after its `signal::block` (BLOCK_HERE).
static BLOCKED_INSIDE: AtomicU32 = AtomicU32::new(0);

/// The saved mask the handler saw; written by the handler before it bumps MASK_HANDLED, read
/// by a test only after it saw the count go up.
struct Seen(UnsafeCell<SigSet>);
// SAFETY: one writer (the handler) at a time, ordered before readers by MASK_HANDLED.
unsafe impl Sync for Seen {}
static SEEN: Seen = Seen(UnsafeCell::new(SigSet::EMPTY));

fn seen() -> SigSet {
    // SAFETY: called after MASK_HANDLED (SeqCst) showed the handler's write complete.
    unsafe { *SEEN.0.get() }
}

fn mask_handler(_: &SigInfo, cx: &mut Context) {
    let saved = cx.mask();
    // SAFETY: the only writer, before the count that publishes it.
    unsafe { *SEEN.0.get() = saved };
    match MASK_MODE.load(SeqCst) {
        SET_SAVED => cx.set_mask(&saved.union(&SigSet::of(&[Signal::USR2]))),
        BLOCK_HERE => {
            let _ = signal::block(&SigSet::of(&[Signal::USR2]));
            let now = signal::mask().unwrap_or(SigSet::EMPTY);
            BLOCKED_INSIDE.store(now.contains(Signal::USR2) as u32, SeqCst);
        }
        _ => {}
    }
    MASK_TID.store(thread::current_tid(), SeqCst);
    MASK_HANDLED.fetch_add(1, SeqCst);
}

fn rt(n: u32) -> Signal {
    Signal::new(n).expect("a signal number below _NSIG")
}

/// A set no default or leftover mask looks like: two classic signals, and two real-time ones
/// in the second 32-bit word (on 32-bit ABIs) and near the top of the range every ABI delivers.
fn distinctive() -> SigSet {
    SigSet::of(&[Signal::USR2, Signal::TERM, rt(40), rt(59)])
}

/// The same without SIGUSR2, for the tests that have a handler add it.
fn base() -> SigSet {
    SigSet::of(&[Signal::TERM, rt(40), rt(59)])
}

fn reset_mask_handler(mode: u32) -> TestResult {
    MASK_MODE.store(mode, SeqCst);
    MASK_HANDLED.store(0, SeqCst);
    MASK_TID.store(0, SeqCst);
    BLOCKED_INSIDE.store(0, SeqCst);
    // SAFETY: no handler runs now (SIGUSR1 is only sent by these tests, after this).
    unsafe { *SEEN.0.get() = SigSet::EMPTY };
    signal::set_handler(SIG, Handler::Function(mask_handler)).map_err(err)?;
    Ok(())
}

/// Raises SIG in the calling thread with `mask` as its mask; returns its mask after the handler
/// ran, and restores the mask it had.
fn raise_with_mask(mask: &SigSet) -> Result<SigSet, common::Failure> {
    let old = signal::set_mask(mask).map_err(err)?;
    let raised = signal::raise(SIG);
    let after = signal::mask();
    signal::set_mask(&old).map_err(err)?;
    raised.map_err(err)?;
    after.map_err(err)
}

/// `Context::mask` in a handler is exactly the mask the thread had when the signal arrived (not
/// the handler's own mask, which adds SIG), and the thread has it back afterwards.
fn saved_mask_is_the_interrupted_threads_mask() -> TestResult {
    reset_mask_handler(RECORD)?;
    let after = raise_with_mask(&distinctive());
    signal::set_handler(SIG, Handler::Default).map_err(err)?;
    let after = after?;
    check_eq!(MASK_HANDLED.load(SeqCst), 1);
    check_eq!(seen(), distinctive());
    check_eq!(after, distinctive());
    Ok(())
}

/// `Context::set_mask` is how a handler changes the mask of the thread it interrupted: a plain
/// `signal::block` inside the handler works only until it returns (rt_sigreturn restores the
/// saved mask), while SIGUSR2 added to the saved mask stays blocked.
fn saved_mask_set_in_a_handler_lasts_a_block_does_not() -> TestResult {
    reset_mask_handler(BLOCK_HERE)?;
    let blocked_here = raise_with_mask(&base());
    let (inside, handled) = (BLOCKED_INSIDE.load(SeqCst), MASK_HANDLED.load(SeqCst));
    let set_saved = reset_mask_handler(SET_SAVED).and_then(|()| raise_with_mask(&base()));
    signal::set_handler(SIG, Handler::Default).map_err(err)?;
    let (blocked_here, set_saved) = (blocked_here?, set_saved?);
    check_eq!(handled, 1);
    check_eq!(inside, 1);
    check_eq!(blocked_here, base());
    check_eq!(MASK_HANDLED.load(SeqCst), 1);
    check_eq!(seen(), base());
    check_eq!(set_saved, distinctive());
    Ok(())
}

/// The routing case: another thread's handler, run by a signal sent while it waits, adds
/// SIGUSR2 to the saved mask; the thread, already running, blocks SIGUSR2 from then on.
fn saved_mask_set_for_a_running_thread() -> TestResult {
    static GATE: Gate = Gate::new();
    reset_mask_handler(SET_SAVED)?;
    READY.store(0, SeqCst);
    let h = thread::spawn(|| {
        let set = signal::set_mask(&base()).map(drop);
        READY.store(1, SeqCst);
        GATE.wait();
        (thread::current_tid(), set.and_then(|()| signal::mask()))
    })
    .map_err(err)?;
    let sent = (|| -> TestResult {
        check!(common::eventually(10, || READY.load(SeqCst) == 1), "the thread never got ready");
        h.signal(SIG).map_err(err)?;
        check!(common::eventually(10, || MASK_HANDLED.load(SeqCst) == 1), "the handler never ran");
        Ok(())
    })();
    GATE.open();
    let (tid, after) = h.join()?;
    signal::set_handler(SIG, Handler::Default).map_err(err)?;
    sent?;
    check_eq!(MASK_TID.load(SeqCst), tid);
    check_eq!(seen(), base());
    check_eq!(after.map_err(err)?, distinctive());
    Ok(())
}
