//! Start-up: arguments, environment, auxiliary vector, .init_array, at-exit handlers, exit code,
//! pointers in statics and TLS after a static-pie's self-relocation, and (driven by
//! `cargo xtask test`, one process per check) the panic handler's message and exit status, a
//! second thread's `exit` during the first one's, and the futex probe under a seccomp filter.
#![no_std]
#![no_main]
#![feature(thread_local)]

#[macro_use]
mod common;

use common::{Gate, Test, TestResult};
use core::hint::black_box;
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering::SeqCst};
use core::time::Duration;
use strand::{env, rt, syscall, thread};

strand::main!(main);

/// Set by an .init_array entry, which must run before main.
static INIT_RAN: AtomicU32 = AtomicU32::new(0);

extern "C" fn init_entry(argc: i32, _argv: *const *const u8, _envp: *const *const u8) {
    INIT_RAN.store(argc as u32 + 1000, SeqCst);
}

#[used]
#[link_section = ".init_array"]
static INIT_ARRAY_ENTRY: extern "C" fn(i32, *const *const u8, *const *const u8) = init_entry;

const TESTS: &[Test] = &[
    ("args_match_proc_cmdline", args_match_proc_cmdline),
    ("args_from_xtask", args_from_xtask),
    ("environment", environment),
    ("auxv", auxv),
    ("init_array_ran_with_argc", init_array_ran_with_argc),
    ("main_thread_identity", main_thread_identity),
    ("at_exit_table_full_is_an_error", at_exit_table_full_is_an_error),
    ("stack_guard_is_random_and_in_every_thread", stack_guard_is_random_and_in_every_thread),
    ("image_is_what_xtask_built", image_is_what_xtask_built),
    ("pointers_in_statics", pointers_in_statics),
    ("pointers_in_tls", pointers_in_tls),
];

fn main() -> i32 {
    let arg = |i| env::args().nth(i).map(|a| a.to_bytes());
    match arg(1) {
        Some(b"--panic-in-thread") => panic_in_thread(),
        Some(b"--unlock-unlocked") => unlock_unlocked(),
        Some(b"--recursive-lock") => recursive_lock(),
        Some(b"--reentrant-once") => reentrant_once(),
        Some(b"--smash-canary") => smash_canary(),
        Some(b"--concurrent-exit") => concurrent_exit(),
        Some(b"--reentrant-exit") => reentrant_exit(),
        Some(b"--write-closed-pipe") => write_closed_pipe(),
        Some(b"--seccomp-deny") => seccomp::deny(arg(2).unwrap_or(b"")),
        Some(b"--seccomp-child") => seccomp::child(arg(2).unwrap_or(b"")),
        _ => {}
    }
    // The at-exit tests finish after main: B runs first, then A, then the .fini_array entry,
    // which records the results and prints the summary. If they never ran, the process exits
    // with 42 and no summary line.
    rt::at_exit(handler_a).expect("register a");
    rt::at_exit(handler_b).expect("register b");
    common::run_tests("startup", TESTS);
    42
}

static AT_EXIT_ORDER: AtomicU32 = AtomicU32::new(0);

fn handler_b() {
    AT_EXIT_ORDER.store(AT_EXIT_ORDER.load(SeqCst) * 10 + 2, SeqCst);
}

fn handler_a() {
    AT_EXIT_ORDER.store(AT_EXIT_ORDER.load(SeqCst) * 10 + 1, SeqCst);
}

/// Set by the exit checks (`--concurrent-exit`, `--reentrant-exit`): the .fini_array entry then
/// only says that it ran and lets `exit` finish.
static EXIT_CHECK: AtomicU32 = AtomicU32::new(0);

extern "C" fn fini_entry() {
    if EXIT_CHECK.load(SeqCst) != 0 {
        strand::println!("exit check: .fini_array ran");
        return;
    }
    let order = AT_EXIT_ORDER.load(SeqCst);
    let r: TestResult = (|| {
        check_eq!(order, 21);
        Ok(())
    })();
    common::record("startup", "at_exit_handlers_run_newest_first", r);
    // Reaching this line at all means .fini_array ran, after the handlers (order is complete).
    let r: TestResult = (|| {
        check!(order != 0, ".fini_array ran before the at-exit handlers");
        Ok(())
    })();
    common::record("startup", "fini_array_runs_after_at_exit_handlers", r);
    syscall::exit_group(common::summary());
}

#[used]
#[link_section = ".fini_array"]
static FINI_ARRAY_ENTRY: extern "C" fn() = fini_entry;

fn args_match_proc_cmdline() -> TestResult {
    let mut buf = [0u8; 4096];
    let cmdline = syscall::read_file(c"/proc/self/cmdline", &mut buf).map_err(|e| {
        common::Failure::new(format_args!("read /proc/self/cmdline: {e}"))
    })?;
    let mut from_proc = cmdline.split(|&b| b == 0).filter(|s| !s.is_empty());
    let mut n = 0;
    for a in env::args() {
        let expected = from_proc.next();
        check!(expected == Some(a.to_bytes()), "argv[{n}] = {a:?}, /proc says {expected:?}");
        n += 1;
    }
    check_eq!(from_proc.next(), None);
    check!(n >= 1, "no argv[0]");
    Ok(())
}

/// `cargo xtask test` runs every program with `--strand-args alpha "beta gamma"`.
fn args_from_xtask() -> TestResult {
    let args: [Option<&[u8]>; 4] = core::array::from_fn(|i| env::args().nth(i + 1).map(|a| a.to_bytes()));
    check_eq!(args, [Some(&b"--strand-args"[..]), Some(b"alpha"), Some(b"beta gamma"), None]);
    check_eq!(env::args().len(), 4);
    Ok(())
}

/// `cargo xtask test` sets STRAND_TEST_ENV=from-xtask.
fn environment() -> TestResult {
    check_eq!(env::var("STRAND_TEST_ENV").map(|v| v.to_bytes()), Some(&b"from-xtask"[..]));
    check_eq!(env::var("STRAND_TEST_ENV_NOT_SET"), None);
    // A prefix of a name is not the name.
    check_eq!(env::var("STRAND_TEST_EN"), None);
    check!(env::vars().any(|kv| kv.to_bytes() == b"STRAND_TEST_ENV=from-xtask"));
    Ok(())
}

fn auxv() -> TestResult {
    let a = rt::auxv();
    check!(rt::page_size().is_power_of_two() && rt::page_size() >= 4096, "page size {}", rt::page_size());
    check!(a.phdr != 0 && a.phnum > 0, "no program headers: {a:?}");
    let random = rt::random_bytes();
    check!(random.is_some_and(|r| r.iter().any(|&b| b != 0)), "AT_RANDOM missing or zero");
    Ok(())
}

fn init_array_ran_with_argc() -> TestResult {
    check_eq!(INIT_RAN.load(SeqCst) as usize, env::args().len() + 1000);
    Ok(())
}

fn main_thread_identity() -> TestResult {
    let me = thread::current();
    check_eq!(me.name(), Some("main"));
    check_eq!(me.tid(), syscall::gettid());
    // The main thread's tid is the process id.
    check_eq!(me.tid(), syscall::getpid());
    Ok(())
}

fn at_exit_table_full_is_an_error() -> TestResult {
    fn nothing() {}
    // main registered two handlers; the rest of the table takes AT_EXIT_MAX - 2 more.
    for i in 0..rt::AT_EXIT_MAX - 2 {
        check!(rt::at_exit(nothing).is_ok(), "registration {i} failed");
    }
    check_eq!(rt::at_exit(nothing), Err(rt::AtExitFull));
    Ok(())
}

fn panic_in_thread() -> ! {
    let h = thread::Builder::new()
        .name("worker-7")
        .spawn(|| {
            let n = 42;
            panic!("boom {n}");
        })
        .expect("spawn");
    // The panic ends the process (exit status 101) before this join can return.
    let _ = h.join();
    syscall::exit_group(0)
}

fn unlock_unlocked() -> ! {
    let m = strand::sync::RawMutex::new();
    // SAFETY: deliberately wrong: the mutex is not locked. strand must detect it.
    unsafe { m.unlock() };
    syscall::exit_group(0)
}

fn recursive_lock() -> ! {
    let m = strand::sync::Mutex::new(());
    let _held = m.lock();
    // Deliberately wrong: a deadlock strand must report instead.
    let _again = m.lock();
    syscall::exit_group(0)
}

fn reentrant_once() -> ! {
    static ONCE: strand::sync::Once = strand::sync::Once::new();
    // Deliberately wrong: a deadlock strand must report instead.
    ONCE.call_once(|| ONCE.call_once(|| {}));
    syscall::exit_group(0)
}

/// Where this ABI's stack-protector code reads the canary (`arch::STACK_GUARD`).
fn canary_slot() -> *mut usize {
    use strand::arch::{self, StackGuard};
    match arch::STACK_GUARD {
        StackGuard::TpRelative(off) => arch::thread_pointer().wrapping_offset(off).cast(),
        StackGuard::Global => strand::stack_guard::__stack_chk_guard.as_ptr(),
    }
}

fn stack_guard_is_random_and_in_every_thread() -> TestResult {
    let canary = strand::stack_guard::current();
    // SAFETY: the slot is a word of this thread's control block, or the global.
    let here = unsafe { canary_slot().read() };
    check_eq!(here, canary);
    let random = rt::random_bytes().expect("the kernel passes AT_RANDOM");
    // The first word of AT_RANDOM with its lowest-addressed byte zeroed.
    const W: usize = core::mem::size_of::<usize>();
    let mut want = [0u8; W];
    want.copy_from_slice(&random[..W]);
    want[0] = 0;
    check_eq!(canary.to_ne_bytes(), want);
    check!(canary != 0, "a zero canary");
    // SAFETY: as above, in the new thread.
    let there = thread::spawn(|| unsafe { canary_slot().read() }).map_err(|e| common::Failure::new(format_args!("{e:?}")))?;
    check_eq!(there.join()?, canary);
    Ok(())
}

/// Changes the canary under a function that has a stack protector: its return must end the
/// process through `__stack_chk_fail` (`cargo xtask test` runs this in the `-Zstack-protector=all`
/// build of this program, and expects SIGABRT and strand's message). In an ordinary build the
/// function has no check and the process exits 0.
fn smash_canary() -> ! {
    #[inline(never)]
    fn protected(buf: &mut [u8; 64]) {
        let local = [0u8; 64];
        core::hint::black_box(&local);
        // SAFETY: the slot is this thread's canary word (see canary_slot).
        unsafe { canary_slot().write(canary_slot().read() ^ 0x0100) };
        buf.copy_from_slice(&local);
    }
    let mut buf = [1u8; 64];
    protected(core::hint::black_box(&mut buf));
    strand::println!("canary change went unnoticed: no stack protector in this build");
    syscall::exit_group(0)
}

// ---- Static-pie: `cargo xtask test` also builds this program position-independent ----

static ANSWER: u32 = 42;
/// Each of these holds an address, so a static-pie's image has a RELATIVE relocation for it.
static ANSWER_REF: &u32 = &ANSWER;
static OPS: [fn(u32) -> u32; 2] = [double, add_one];
static WORDS: &[&str] = &["alpha", "beta gamma"];
#[thread_local]
static TLS_REF: &u32 = &ANSWER;
#[thread_local]
static TLS_OP: fn(u32) -> u32 = double;

fn double(x: u32) -> u32 {
    x * 2
}

fn add_one(x: u32) -> u32 {
    x + 1
}

/// `cargo xtask test` runs the static-pie build with STRAND_TEST_PIE=1: that one must be an
/// ET_DYN image loaded away from its link address (the kernel places it at a random base), the
/// ordinary build an ET_EXEC image at its link address.
fn image_is_what_xtask_built() -> TestResult {
    use strand::arch::sys::elf::{PT_DYNAMIC, PT_LOAD};
    const ET_EXEC: u16 = 2;
    const ET_DYN: u16 = 3;
    let pie = env::var("STRAND_TEST_PIE").is_some();
    let phdrs = rt::program_headers();
    let bias = strand::startup::load_bias(phdrs, rt::auxv().phdr);
    check!(bias.is_some(), "no PT_PHDR");
    let bias = bias.unwrap_or(0);
    // The ELF header is the start of the PT_LOAD segment that maps file offset 0; e_type is the
    // u16 after the 16-byte e_ident (gABI, "ELF Header").
    let first = phdrs.iter().find(|p| p.p_type == PT_LOAD && p.p_offset == 0);
    check!(first.is_some(), "no PT_LOAD maps the ELF header");
    let header = bias.wrapping_add(first.map_or(0, |p| p.p_vaddr));
    // SAFETY: that segment is mapped and at least as long as the ELF header.
    let e_type = unsafe { core::ptr::read((header + 16) as *const u16) };
    let has_dynamic = phdrs.iter().any(|p| p.p_type == PT_DYNAMIC);
    if pie {
        check_eq!(e_type, ET_DYN);
        check!(bias != 0, "a static-pie image loaded at its link address 0");
        check!(has_dynamic, "a static-pie image without PT_DYNAMIC");
    } else {
        check_eq!(e_type, ET_EXEC);
        check_eq!(bias, 0);
    }
    // The bias is real: this static lies inside a loaded segment once it is added.
    let answer = &ANSWER as *const u32 as usize;
    check!(
        phdrs.iter().any(|p| p.p_type == PT_LOAD && answer.wrapping_sub(bias.wrapping_add(p.p_vaddr)) < p.p_memsz),
        "ANSWER at {answer:#x} is in no segment with bias {bias:#x}"
    );
    Ok(())
}

/// Pointers the linker wrote into the image: right only if start-up applied the relocations.
/// `black_box` makes each one a load from the image rather than a constant.
fn pointers_in_statics() -> TestResult {
    let r: &u32 = *black_box(&ANSWER_REF);
    check!(core::ptr::eq(r, &ANSWER), "ANSWER_REF = {:p}, &ANSWER = {:p}", r, &ANSWER);
    check_eq!(*r, 42);
    let ops = black_box(&OPS);
    check_eq!(ops[0] as usize, double as fn(u32) -> u32 as usize);
    check_eq!((ops[0](5), ops[1](5)), (10, 6));
    check_eq!(*black_box(&WORDS), ["alpha", "beta gamma"]);
    Ok(())
}

/// The TLS image (.tdata) holds pointers too: each thread's copy must hold relocated ones.
fn pointers_in_tls() -> TestResult {
    fn check_here() -> Result<(), (usize, usize)> {
        let r: &u32 = *black_box(&TLS_REF);
        let op = *black_box(&TLS_OP);
        if core::ptr::eq(r, &ANSWER) && op as usize == double as fn(u32) -> u32 as usize && op(4) == 8 {
            Ok(())
        } else {
            Err((r as *const u32 as usize, op as usize))
        }
    }
    check!(check_here().is_ok(), "main thread: TLS pointers {:x?}", check_here());
    let in_thread = thread::spawn(check_here).map_err(|e| common::Failure::new(format_args!("spawn: {e:?}")))?.join()?;
    check!(in_thread.is_ok(), "spawned thread: TLS pointers {in_thread:x?}");
    Ok(())
}

// ---- Exit from two threads, and from an at-exit handler (xtask checks the status) ----

/// The exiting thread's at-exit handler lets a second thread call `exit(9)` and waits until
/// that thread sleeps in it; the process must then run .fini_array and end with 7.
fn concurrent_exit() -> ! {
    static GATE: Gate = Gate::new();
    static SECOND: AtomicI32 = AtomicI32::new(0);
    static CALLING: AtomicU32 = AtomicU32::new(0);
    EXIT_CHECK.store(1, SeqCst);
    let second = thread::Builder::new().name("second-exit").spawn(|| {
        SECOND.store(syscall::gettid(), SeqCst);
        GATE.wait();
        CALLING.store(1, SeqCst);
        rt::exit(9)
    });
    second.expect("spawn").detach();
    rt::at_exit(|| {
        GATE.open();
        // From CALLING to its sleep the second thread makes no blocking call but the futex wait
        // in `exit`, so 'S' after CALLING means it sleeps there. (Before the fix it ran the
        // finalisers itself and ended the process with 9 while this loop was still looking.)
        let asleep = common::eventually(30, || {
            CALLING.load(SeqCst) == 1 && common::thread_state(SECOND.load(SeqCst)) == Some(b'S')
        });
        strand::println!("concurrent exit: second thread {} in exit", if asleep { "asleep" } else { "NOT asleep" });
    })
    .expect("at_exit");
    rt::exit(7)
}

/// A handler that calls `exit(5)` from the exiting thread: the remaining handler and the
/// finalisers still run, and 5 is the status.
fn reentrant_exit() -> ! {
    EXIT_CHECK.store(1, SeqCst);
    rt::at_exit(|| strand::println!("reentrant exit: the older handler ran")).expect("at_exit");
    rt::at_exit(|| rt::exit(5)).expect("at_exit");
    rt::exit(3)
}


/// The futex probe under a seccomp filter: `--seccomp-deny WHAT` installs a filter that fails
/// the syscalls WHAT names with ENOSYS, then execs this program again with
/// `--seccomp-child WHAT`, so that start-up runs under it. xtask checks the outcome: a 64-bit
/// ABI without futex must refuse to start with a message naming it; a 32-bit ABI without the
/// time64 syscalls must fall back to the 32-bit-time ones and still block.
mod seccomp {
    use super::*;
    use strand::arch::{self, nr};
    use strand::Errno;

    // include/uapi/linux/prctl.h, seccomp.h, filter.h and bpf_common.h.
    const PR_SET_NO_NEW_PRIVS: usize = 38;
    const SECCOMP_SET_MODE_FILTER: usize = 1;
    const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
    const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
    const BPF_LD_W_ABS: u16 = 0x00 | 0x00 | 0x20;
    const BPF_JMP_JEQ_K: u16 = 0x05 | 0x10 | 0x00;
    const BPF_RET_K: u16 = 0x06 | 0x00;
    /// Exit status for "this check cannot run here" (xtask prints the reason).
    const SKIP: i32 = 77;

    #[repr(C)]
    #[derive(Clone, Copy)]
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

    /// The syscall numbers a mode denies.
    fn denied(what: &[u8]) -> Option<[Option<usize>; 3]> {
        match what {
            // 64-bit ABIs: the only futex; 32-bit ABIs: futex_time64, with futex left to fall back on.
            b"futex" => Some([Some(nr::FUTEX), None, None]),
            // What a 32-bit ABI's kernel before 5.1 lacks (on 64-bit ABIs: futex and the clocks).
            b"time64" => Some([Some(nr::FUTEX), Some(nr::CLOCK_GETTIME), Some(nr::CLOCK_NANOSLEEP)]),
            // Every futex syscall there is.
            b"all-futex" => Some([Some(nr::FUTEX), nr::FUTEX_TIME32, None]),
            _ => None,
        }
    }

    fn skip(why: core::fmt::Arguments<'_>) -> ! {
        strand::println!("skipped: {why}");
        syscall::exit_group(SKIP)
    }

    pub fn deny(what: &[u8]) -> ! {
        let Some(nrs) = denied(what) else {
            strand::eprintln!("--seccomp-deny: unknown mode {:?}", core::str::from_utf8(what));
            syscall::exit_group(2)
        };
        // The filter: load seccomp_data.nr (offset 0), compare it with each denied number, and
        // fail a match with ENOSYS; allow the rest. The process makes syscalls of its own ABI
        // only, so it does not check seccomp_data.arch.
        let mut prog = [SockFilter { code: 0, jt: 0, jf: 0, k: 0 }; 6];
        prog[0] = SockFilter { code: BPF_LD_W_ABS, jt: 0, jf: 0, k: 0 };
        let mut len = 1;
        let count = nrs.iter().flatten().count();
        for (i, &n) in nrs.iter().flatten().enumerate() {
            // Jump over the remaining compares and the ALLOW to the ERRNO return.
            let jt = (count - i) as u8;
            prog[len] = SockFilter { code: BPF_JMP_JEQ_K, jt, jf: 0, k: n as u32 };
            len += 1;
        }
        prog[len] = SockFilter { code: BPF_RET_K, jt: 0, jf: 0, k: SECCOMP_RET_ALLOW };
        prog[len + 1] = SockFilter { code: BPF_RET_K, jt: 0, jf: 0, k: SECCOMP_RET_ERRNO | Errno::ENOSYS.raw() as u32 };
        let fprog = SockFprog { len: (len + 2) as u16, filter: prog.as_ptr() };
        use strand::arch::sys::general::{__NR_execve, __NR_prctl, __NR_seccomp};
        // SAFETY: prctl(PR_SET_NO_NEW_PRIVS, 1) takes no pointers (man 2 prctl).
        let r = unsafe { arch::syscall5(__NR_prctl as usize, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
        if let Err(e) = Errno::result(r) {
            skip(format_args!("prctl(PR_SET_NO_NEW_PRIVS) failed with {e}"));
        }
        // SAFETY: the kernel copies the live filter program (man 2 seccomp).
        let r = unsafe { arch::syscall3(__NR_seccomp as usize, SECCOMP_SET_MODE_FILTER, 0, &fprog as *const SockFprog as usize) };
        if let Err(e) = Errno::result(r) {
            // QEMU user mode does not implement seccomp for its guest (a guest filter would see
            // QEMU's own host syscalls).
            skip(format_args!("seccomp(SECCOMP_SET_MODE_FILTER) failed with {e}: no seccomp filters here"));
        }
        // Run this program again under the filter, with the same environment.
        let mut argv: [*const u8; 4] = [core::ptr::null(); 4];
        argv[0] = env::args().next().map_or(c"startup".as_ptr(), |a| a.as_ptr()) as *const u8;
        argv[1] = c"--seccomp-child".as_ptr() as *const u8;
        argv[2] = env::args().nth(2).map_or(core::ptr::null(), |a| a.as_ptr()) as *const u8;
        let mut envp: [*const u8; 256] = [core::ptr::null(); 256];
        for (slot, var) in envp.iter_mut().take(255).zip(env::vars()) {
            *slot = var.as_ptr() as *const u8;
        }
        // SAFETY: NUL-terminated path and NULL-terminated arrays of NUL-terminated strings that
        // outlive the call (man 2 execve); it returns only on failure.
        let r = unsafe {
            arch::syscall3(__NR_execve as usize, c"/proc/self/exe".as_ptr() as usize, argv.as_ptr() as usize, envp.as_ptr() as usize)
        };
        strand::eprintln!("execve(/proc/self/exe) failed: {:?}", Errno::result(r));
        syscall::exit_group(1)
    }

    fn cpu_time() -> Duration {
        let ts = syscall::clock_gettime(strand::arch::sys::general::CLOCK_THREAD_CPUTIME_ID).expect("thread CPU clock");
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }

    /// Runs under the filter (start-up already has). Prints one line saying what it saw and
    /// exits 0 if the futex-based waits block and time out as they should.
    pub fn child(what: &[u8]) -> ! {
        let what = core::str::from_utf8(what).unwrap_or("?");
        let r: TestResult = (|| {
            // The filter is in effect: the 64-bit-time futex fails.
            let word = AtomicU32::new(0);
            let wake = strand::arch::sys::general::FUTEX_WAKE | strand::arch::sys::general::FUTEX_PRIVATE_FLAG;
            // SAFETY: FUTEX_WAKE only uses the address of the live word as a key.
            let r = unsafe { arch::syscall3(nr::FUTEX, word.as_ptr() as usize, wake as usize, 0) };
            check_eq!(Errno::result(r), Err(Errno::ENOSYS));
            // A join of a sleeping thread blocks: the joining thread uses (almost) no CPU. A
            // futex that returns at once would make it spin for the whole sleep.
            const SLEEP: Duration = Duration::from_millis(300);
            let (cpu0, t0) = (cpu_time(), strand::time::Instant::now());
            thread::spawn(|| thread::sleep(SLEEP)).expect("spawn").join().expect("join");
            let (cpu, wall) = (cpu_time() - cpu0, t0.elapsed());
            check!(wall >= SLEEP, "the sleep took {wall:?}, less than {SLEEP:?}");
            check!(cpu < Duration::from_millis(30), "the join used {cpu:?} of CPU in {wall:?}: it spun");
            // A timed wait times out after its timeout.
            let t0 = strand::time::Instant::now();
            let res = strand::futex::wait_private(&word, 0, Some(Duration::from_millis(100)));
            check_eq!(res, strand::futex::WaitResult::TimedOut);
            check!(t0.elapsed() >= Duration::from_millis(100), "a 100 ms wait ended after {:?}", t0.elapsed());
            strand::println!("seccomp child ({what}): join blocked (cpu {cpu:?} over {wall:?}), a timed wait timed out");
            Ok(())
        })();
        match r {
            Ok(()) => syscall::exit_group(0),
            Err(e) => {
                strand::println!("seccomp child ({what}) FAILED: {}", e.as_str());
                syscall::exit_group(1)
            }
        }
    }
}

/// With `strand::main!(main)` SIGPIPE keeps the kernel's default: this write ends the process
/// (checked by xtask: killed by SIGPIPE, nothing printed after).
fn write_closed_pipe() -> ! {
    use strand::arch::sys::general::__NR_pipe2;
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 writes two ints into a live array.
    let r = unsafe { strand::arch::syscall2(__NR_pipe2 as usize, fds.as_mut_ptr() as usize, 0) };
    assert!(strand::Errno::result(r).is_ok(), "pipe2");
    let _ = strand::syscall::close(fds[0]);
    let r = strand::syscall::write(fds[1], b"nobody reads this");
    strand::println!("the write to a closed pipe returned {r:?}");
    strand::exit(1)
}
