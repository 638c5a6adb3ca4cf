//! Priority-inheritance and robust mutexes, the PI condition variable, and the futex2 calls
//! (`wait_any` on futex_waitv, futex2_wait/futex2_wake). What the kernel or emulator cannot run
//! here is skipped with the reason the probe gave.
#![no_std]
#![no_main]

#[macro_use]
mod common;

use common::{Failure, Test, TestResult};
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering::SeqCst};
use core::time::Duration;
use strand::futex::{self, Scope, WaitAnyError, WaitOn, WaitResult};
use strand::sync::{PiCondvar, PiError, PiMutex, RobustLockError, RobustMutex};
use strand::thread;
use strand::time::Instant;

strand::main!(main);

const TESTS: &[Test] = &[
    ("pi_uncontended_and_recursion_reported", pi_uncontended_and_recursion_reported),
    ("pi_unsupported_is_reported_typed", pi_unsupported_is_reported_typed),
    ("pi_exclusion_exact_totals", pi_exclusion_exact_totals),
    ("pi_recursion_with_waiters_reported", pi_recursion_with_waiters_reported),
    ("pi_owner_gone_reported", pi_owner_gone_reported),
    ("pi_priority_boost", pi_priority_boost),
    ("pi_lock_api_mutex", pi_lock_api_mutex),
    ("pi_condvar_hands_over", pi_condvar_hands_over),
    ("pi_condvar_notify_all_counts_everyone", pi_condvar_notify_all_counts_everyone),
    ("pi_condvar_timeout", pi_condvar_timeout),
    ("robust_owner_died_strand_walk", || robust_owner_died(Walk::Strand)),
    ("robust_owner_died_kernel_walk", || robust_owner_died(Walk::Kernel)),
    ("robust_owner_died_thread_exit", || robust_owner_died(Walk::ThreadExit)),
    ("robust_not_recoverable", robust_not_recoverable),
    ("robust_recursion_and_try_lock", robust_recursion_and_try_lock),
    ("robust_exclusion_exact_totals", robust_exclusion_exact_totals),
    ("wait_any_returns_the_woken_index", wait_any_returns_the_woken_index),
    ("wait_any_value_changed_timeout_and_length", wait_any_value_changed_timeout_and_length),
    ("futex2_wait_wake", futex2_wait_wake),
];

fn main() -> i32 {
    common::run("futex_pi", TESTS)
}

fn spawn_err(e: thread::SpawnError) -> Failure {
    Failure::new(format_args!("spawn failed: {e}"))
}

/// Skips unless PI futexes work here, naming the probe's reason.
fn need_pi() -> TestResult {
    strand::sync::pi_support().map_err(|u| Failure::skip(format_args!("{u}")))
}

/// `/proc/self/task/<tid>/stat`: the state letter (field 3) and the priority (field 18: 0..39
/// for normal threads, nice + 20; -2..-100 for real-time ones, -1 - rt priority).
fn task_stat(tid: i32) -> Option<(u8, i64)> {
    let mut path = [0u8; 48];
    let mut len = 0;
    let mut push = |b: &[u8]| {
        path[len..len + b.len()].copy_from_slice(b);
        len += b.len();
    };
    push(b"/proc/self/task/");
    let mut digits = [0u8; 10];
    let (mut n, mut i) = (tid as u32, 10);
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    push(&digits[i..]);
    push(b"/stat\0");
    let path = core::ffi::CStr::from_bytes_with_nul(&path[..len]).ok()?;
    let mut buf = [0u8; 512];
    let text = strand::syscall::read_file(path, &mut buf).ok()?;
    let close = text.iter().rposition(|&b| b == b')')?;
    let mut fields = text[close + 2..].split(|&b| b == b' ');
    let state = *fields.next()?.first()?;
    // Fields 4..=17 lie between; field 18 is the 16th after the state.
    let prio = fields.nth(14)?;
    let (neg, digits) = match prio.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, prio),
    };
    let v = digits.iter().try_fold(0i64, |v, &d| d.is_ascii_digit().then(|| v * 10 + i64::from(d - b'0')))?;
    Some((state, if neg { -v } else { v }))
}

/// Joins `h` if it finishes within 10 s; else the test has lost a wake-up, and since the
/// untimed lock it sleeps in would hang the scope's join, the program reports that and ends.
fn join_within<T>(what: impl core::fmt::Display, h: thread::ScopedJoinHandle<'_, T>) -> Result<T, Failure> {
    if !common::eventually(10, || h.is_finished()) {
        strand::println!("test futex_pi::{what} ... FAILED: still asleep after 10 s (a lost wake-up); exiting");
        strand::exit(1);
    }
    Ok(h.join()?)
}

/// Waits (bounded) until thread `tid` sleeps.
fn asleep(tid: &AtomicI32) -> bool {
    common::eventually(10, || {
        let t = tid.load(SeqCst);
        t != 0 && task_stat(t).is_some_and(|(s, _)| s == b'S')
    })
}

fn pi_uncontended_and_recursion_reported() -> TestResult {
    // No syscall on any of these paths: they run even where PI futexes do not.
    let m = PiMutex::new(1);
    let mut g = m.lock();
    *g += 1;
    check!(m.is_locked() && m.is_held_by_current_thread());
    check!(m.try_lock().is_none());
    match m.lock_checked() {
        Err(PiError::WouldDeadlock(e)) => check_eq!(e.tid(), thread::current_tid()),
        Err(e) => return Err(Failure::new(format_args!("recursive lock_checked: {e}"))),
        Ok(_) => return Err(Failure::new(format_args!("recursive lock_checked succeeded"))),
    }
    drop(g);
    check!(!m.is_locked());
    check_eq!(*m.lock_checked().map_err(|e| Failure::new(format_args!("{e}")))?, 2);
    Ok(())
}

/// Where the probe says no, a contended lock says `Unsupported` with the same reason (and the
/// uncontended one still works); where it says yes, `try_new` agrees.
fn pi_unsupported_is_reported_typed() -> TestResult {
    let probe = strand::sync::pi_support();
    check_eq!(PiMutex::try_new(()).map(drop), probe);
    let Err(u) = probe else { return Ok(()) };
    let m = PiMutex::new(0);
    let held = m.lock();
    let r = thread::scope(|s| s.spawn(|| m.lock_checked().map(drop)).map(|h| h.join()));
    drop(held);
    match r {
        Ok(Ok(Err(PiError::Unsupported(got)))) => check_eq!(got, u),
        Ok(Ok(other)) => return Err(Failure::new(format_args!("contended lock without PI futexes gave {other:?}"))),
        _ => return Err(Failure::new(format_args!("spawn or join failed"))),
    }
    strand::println!("    note: no PI futexes here ({u}); a contended lock reports exactly that");
    Ok(())
}

fn pi_exclusion_exact_totals() -> TestResult {
    need_pi()?;
    const THREADS: u64 = 4;
    const ITERS: u64 = 20_000;
    let m = PiMutex::new((0u64, 0u64));
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for i in 0..ITERS {
                    let mut g = m.lock();
                    g.0 += 1;
                    if i % 64 == 0 {
                        thread::yield_now();
                    }
                    g.1 += 2;
                }
            })
            .map_err(spawn_err)?;
        }
        Ok::<(), Failure>(())
    })?;
    check_eq!(*m.lock(), (THREADS * ITERS, 2 * THREADS * ITERS));
    check!(!m.is_locked());
    Ok(())
}

/// With a waiter queued in the kernel (WAITERS set in the word), the holder's second attempt is
/// still reported, not slept on; and the waiter gets the lock at the unlock.
fn pi_recursion_with_waiters_reported() -> TestResult {
    need_pi()?;
    let m = PiMutex::new(0u32);
    let waiter = AtomicI32::new(0);
    let g = m.lock();
    thread::scope(|s| {
        let h = s
            .spawn(|| {
                waiter.store(thread::current_tid(), SeqCst);
                *m.lock() += 1;
            })
            .map_err(spawn_err)?;
        check!(asleep(&waiter), "the waiter never went to sleep");
        check!(matches!(m.lock_checked(), Err(PiError::WouldDeadlock(_))));
        drop(g);
        join_within("pi_recursion_with_waiters_reported", h)?;
        Ok::<(), Failure>(())
    })?;
    check_eq!(*m.lock(), 1);
    Ok(())
}

/// A holder that exits holding the lock with nobody waiting leaves a word naming a thread that
/// no longer exists: the kernel says ESRCH, reported as `OwnerGone` (not a hang).
fn pi_owner_gone_reported() -> TestResult {
    need_pi()?;
    let m = PiMutex::new(0u32);
    let tid = thread::scope(|s| {
        s.spawn(|| {
            core::mem::forget(m.lock());
            thread::current_tid()
        })
        .map(|h| h.join())
    })
    .map_err(spawn_err)?
    .map_err(Failure::from)?;
    // Gone from the kernel too: under QEMU user mode a join returns once the emulator has
    // cleared the thread's exit word, which it does before its host thread ends, and a lock
    // asked for before that end would be handed over by it (exit_pi_state_list) instead.
    check!(common::eventually(10, || task_stat(tid).is_none()), "thread {tid} still in /proc after its join");
    check!(m.is_locked());
    check_eq!(m.lock_checked().map(drop), Err(PiError::OwnerGone));
    check!(m.try_lock().is_none());
    Ok(())
}

#[cfg(feature = "lock_api")]
fn pi_lock_api_mutex() -> TestResult {
    need_pi()?;
    static M: lock_api::Mutex<strand::sync::RawPiMutex, u64> = lock_api::Mutex::const_new(strand::sync::RawPiMutex::new(), 0);
    thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..5000 {
                    *M.lock() += 1;
                }
            })
            .map_err(spawn_err)?;
        }
        Ok::<(), Failure>(())
    })?;
    check_eq!(*M.lock(), 20_000);
    check!(!M.is_locked());
    Ok(())
}

#[cfg(not(feature = "lock_api"))]
fn pi_lock_api_mutex() -> TestResult {
    Err(Failure::new(format_args!("built without the lock_api feature: build the tests with --features lock_api")))
}

/// sched_setscheduler(0, SCHED_FIFO, prio) for the calling thread.
fn set_fifo(prio: i32) -> Result<(), strand::Errno> {
    use strand::arch::sys::general::{SCHED_FIFO, __NR_sched_setscheduler};
    let param = prio;
    // SAFETY: struct sched_param is one int; the kernel reads it.
    let r = unsafe { strand::arch::syscall3(__NR_sched_setscheduler as usize, 0, SCHED_FIFO as usize, &param as *const i32 as usize) };
    strand::Errno::result(r).map(drop)
}

/// A SCHED_OTHER holder runs at its SCHED_FIFO waiter's priority while the waiter waits, and
/// at its own again once it has handed the lock over.
fn pi_priority_boost() -> TestResult {
    need_pi()?;
    const RT: i32 = 10;
    let m = PiMutex::new(0u32);
    let holder = AtomicI32::new(0);
    let (locked, release, done) = (common::Gate::new(), common::Gate::new(), AtomicU32::new(0));
    let seen = thread::scope(|s| {
        let h = s
            .spawn(|| {
                let g = m.lock();
                holder.store(thread::current_tid(), SeqCst);
                locked.open();
                release.wait();
                drop(g);
            })
            .map_err(spawn_err)?;
        locked.wait();
        let hi = s
            .spawn(|| {
                if let Err(e) = set_fifo(RT) {
                    done.store(1, SeqCst);
                    release.open();
                    return Err(e);
                }
                *m.lock() += 1;
                Ok(())
            })
            .map_err(spawn_err)?;
        let t = holder.load(SeqCst);
        let base = task_stat(t).map(|(_, p)| p);
        // Boosted: the holder's priority becomes the waiter's (-1 - RT) while it waits.
        let boosted = common::eventually(10, || done.load(SeqCst) != 0 || task_stat(t).is_some_and(|(_, p)| p == -1 - RT as i64));
        let during = task_stat(t).map(|(_, p)| p);
        release.open();
        h.join()?;
        let r = hi.join()?;
        Ok::<_, Failure>((base, boosted, during, r))
    })?;
    let (base, boosted, during, r) = seen;
    if let Err(e) = r {
        return Err(Failure::skip(format_args!(
            "sched_setscheduler(SCHED_FIFO, {RT}) failed with {e:?}: needs CAP_SYS_NICE or an RLIMIT_RTPRIO of at least {RT}"
        )));
    }
    check!(base.is_some(), "cannot read /proc/self/task/<tid>/stat");
    check!(boosted, "holder's priority {during:?} never became {} (base {base:?})", -1 - RT);
    check_eq!(*m.lock(), 1);
    Ok(())
}

fn pi_condvar_hands_over() -> TestResult {
    need_pi()?;
    let m = PiMutex::new(0u32);
    let cv = PiCondvar::new();
    let waiter = AtomicI32::new(0);
    thread::scope(|s| {
        let h = s
            .spawn(|| {
                let mut g = m.lock();
                waiter.store(thread::current_tid(), SeqCst);
                let start = Instant::now();
                while *g == 0 {
                    // Bounded: a lost notify fails instead of hanging.
                    if start.elapsed() > Duration::from_secs(10) {
                        return false;
                    }
                    g = cv.wait_timeout(g, Duration::from_secs(10)).0;
                }
                // Returned holding the lock, with the notifier's change visible.
                *g += 10;
                m.is_held_by_current_thread()
            })
            .map_err(spawn_err)?;
        check!(asleep(&waiter), "the waiter never went to sleep");
        {
            // Notify under the lock: the waiter is moved onto the mutex and gets it at unlock.
            let mut g = m.lock();
            *g = 1;
            cv.notify_one();
        }
        check!(h.join()?, "waiter lost its notify or returned without the lock");
        Ok::<(), Failure>(())
    })?;
    check_eq!(*m.lock(), 11);
    Ok(())
}

fn pi_condvar_notify_all_counts_everyone() -> TestResult {
    need_pi()?;
    const WAITERS: u32 = 4;
    let m = PiMutex::new((false, 0u32));
    let cv = PiCondvar::new();
    let ready = AtomicU32::new(0);
    let notified = thread::scope(|s| {
        for _ in 0..WAITERS {
            s.spawn(|| {
                let mut g = m.lock();
                ready.fetch_add(1, SeqCst);
                let start = Instant::now();
                while !g.0 && start.elapsed() < Duration::from_secs(10) {
                    g = cv.wait_timeout(g, Duration::from_secs(10)).0;
                }
                if g.0 {
                    g.1 += 1;
                }
            })
            .map_err(spawn_err)?;
        }
        check!(common::eventually(10, || ready.load(SeqCst) == WAITERS));
        let mut g = m.lock();
        g.0 = true;
        cv.notify_all();
        drop(g);
        Ok::<_, Failure>(Instant::now())
    })?;
    // Woken by the notify, not by their 10 s timeouts.
    let took = notified.elapsed();
    check!(took < Duration::from_secs(5), "notify_all took {took:?} to reach every waiter");
    check_eq!(m.lock().1, WAITERS);
    Ok(())
}

fn pi_condvar_timeout() -> TestResult {
    need_pi()?;
    let m = PiMutex::new(());
    let cv = PiCondvar::new();
    let start = Instant::now();
    let (g, timed_out) = cv.wait_timeout(m.lock(), Duration::from_millis(50));
    check!(timed_out, "no notify, yet not timed out");
    check!(start.elapsed() >= Duration::from_millis(50), "returned after {:?}", start.elapsed());
    check!(m.is_held_by_current_thread(), "returned without the lock");
    drop(g);
    check!(!m.is_locked());
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Walk {
    /// The holder's closure returns, its list hidden from the kernel: only strand's exit walk
    /// can hand the mutex over (natively too; under QEMU it always is the only one).
    Strand,
    /// The same, with strand's walk skipped: the kernel's walk of the registered list does it.
    Kernel,
    /// The holder calls `thread::exit` holding it (both walkers, as any thread has them).
    ThreadExit,
}

/// A holder that ends holding the mutex, with a second thread asleep in `lock` meanwhile: the
/// sleeper is woken and gets `OwnerDied` with the dead holder's data, repairs it, marks it
/// consistent, and the mutex is usable again.
fn robust_owner_died(walk: Walk) -> TestResult {
    let m = RobustMutex::new(0u32);
    let waiter = AtomicI32::new(0);
    let (locked, end) = (common::Gate::new(), common::Gate::new());
    let r = thread::scope(|s| {
        let holder = s
            .spawn(|| {
                if walk == Walk::Strand {
                    strand::sync::__hide_robust_list_from_kernel();
                }
                let kernel_walks = walk != Walk::Kernel || strand::sync::__leave_robust_list_to_kernel();
                let Ok(mut g) = m.lock() else { return false };
                *g = 7;
                locked.open();
                end.wait();
                core::mem::forget(g);
                if walk == Walk::ThreadExit {
                    // SAFETY: nothing on this stack needs dropping; the guard is forgotten.
                    unsafe { thread::exit() }
                }
                kernel_walks
            })
            .map_err(spawn_err)?;
        locked.wait();
        let w = s
            .spawn(|| {
                waiter.store(thread::current_tid(), SeqCst);
                match m.lock() {
                    Err(RobustLockError::OwnerDied(mut g)) => {
                        let ok = *g == 7 && !g.is_consistent();
                        *g = 100;
                        g.mark_consistent();
                        ok
                    }
                    _ => false,
                }
            })
            .map_err(spawn_err)?;
        check!(asleep(&waiter), "the second locker never went to sleep");
        end.open();
        let kernel_walks = match holder.join() {
            Ok(k) => k,
            Err(thread::JoinError::Exited) if walk == Walk::ThreadExit => true,
            Err(e) => return Err(Failure::new(format_args!("holder: {e}"))),
        };
        check!(join_within(format_args!("robust_owner_died ({walk:?} walk)"), w)?, "the sleeper did not get OwnerDied with the dead holder's data");
        Ok::<bool, Failure>(kernel_walks)
    })?;
    check_eq!(*m.lock().map_err(|e| Failure::new(format_args!("after repair: {e}")))?, 100);
    if !r {
        return Err(Failure::skip(format_args!(
            "the kernel keeps no robust lists here (set_robust_list: ENOSYS, as QEMU user mode answers); strand's walk handed the mutex over"
        )));
    }
    Ok(())
}

/// A new owner that does not mark the data consistent leaves the mutex unusable: a thread
/// asleep in `lock` at that moment and every later locker get `NotRecoverable`.
fn robust_not_recoverable() -> TestResult {
    let m = RobustMutex::new(0u32);
    let waiter = AtomicI32::new(0);
    thread::scope(|s| {
        s.spawn(|| core::mem::forget(m.lock())).map_err(spawn_err)?.join()?;
        let g = match m.lock() {
            Err(RobustLockError::OwnerDied(g)) => g,
            other => return Err(Failure::new(format_args!("expected OwnerDied, got {other:?}"))),
        };
        let w = s
            .spawn(|| {
                waiter.store(thread::current_tid(), SeqCst);
                matches!(m.lock(), Err(RobustLockError::NotRecoverable))
            })
            .map_err(spawn_err)?;
        check!(asleep(&waiter), "the second locker never went to sleep");
        drop(g);
        check!(join_within("robust_not_recoverable", w)?, "the sleeper did not get NotRecoverable");
        Ok::<(), Failure>(())
    })?;
    check!(matches!(m.lock(), Err(RobustLockError::NotRecoverable)));
    check!(matches!(m.try_lock(), Err(RobustLockError::NotRecoverable)));
    Ok(())
}

fn robust_recursion_and_try_lock() -> TestResult {
    let m = RobustMutex::new(());
    let a = m.lock().map_err(|e| Failure::new(format_args!("{e}")))?;
    let b = RobustMutex::new(());
    let c = RobustMutex::new(());
    // Several held at once, released out of order: the list unlinks from the middle.
    let gb = b.lock().map_err(|e| Failure::new(format_args!("{e}")))?;
    let gc = c.lock().map_err(|e| Failure::new(format_args!("{e}")))?;
    match m.lock() {
        Err(RobustLockError::WouldDeadlock(e)) => check_eq!(e.tid(), thread::current_tid()),
        other => return Err(Failure::new(format_args!("recursive lock gave {other:?}"))),
    }
    let r = thread::scope(|s| s.spawn(|| matches!(m.try_lock(), Err(RobustLockError::WouldBlock))).map(|h| h.join()));
    check!(matches!(r, Ok(Ok(true))), "try_lock on a mutex another thread holds");
    drop(gb);
    drop(a);
    drop(gc);
    // A thread ending with none held leaves all three free and consistent.
    thread::scope(|s| s.spawn(|| drop(b.lock())).map(|h| h.join()))
        .map_err(spawn_err)?
        .map_err(Failure::from)?;
    for x in [&m, &b, &c] {
        check!(x.lock().is_ok());
    }
    Ok(())
}

fn robust_exclusion_exact_totals() -> TestResult {
    const THREADS: u64 = 4;
    const ITERS: u64 = 10_000;
    let m = RobustMutex::new((0u64, 0u64));
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for i in 0..ITERS {
                    let Ok(mut g) = m.lock() else { return };
                    g.0 += 1;
                    if i % 64 == 0 {
                        thread::yield_now();
                    }
                    g.1 += 2;
                }
            })
            .map_err(spawn_err)?;
        }
        Ok::<(), Failure>(())
    })?;
    let g = m.lock().map_err(|e| Failure::new(format_args!("{e}")))?;
    check_eq!(*g, (THREADS * ITERS, 2 * THREADS * ITERS));
    Ok(())
}

fn waitv_unsupported(e: WaitAnyError) -> Failure {
    match e {
        WaitAnyError::Unsupported(u) => Failure::skip(format_args!("{u}")),
        e => Failure::new(format_args!("wait_any: {e}")),
    }
}

fn wait_any_returns_the_woken_index() -> TestResult {
    let words = [AtomicU32::new(0), AtomicU32::new(0), AtomicU32::new(0)];
    let waiter = AtomicI32::new(0);
    for target in [2usize, 0] {
        waiter.store(0, SeqCst);
        let r = thread::scope(|s| {
            let h = s
                .spawn(|| {
                    waiter.store(thread::current_tid(), SeqCst);
                    let on = [WaitOn::new(&words[0], 0), WaitOn::new(&words[1], 0), WaitOn::new(&words[2], 0)];
                    futex::wait_any(&on, Some(Duration::from_secs(10)))
                })
                .map_err(spawn_err)?;
            // Woken only once it sleeps (or has failed), so the index is the wake's.
            common::eventually(10, || h.is_finished() || task_stat(waiter.load(SeqCst)).is_some_and(|(s, _)| s == b'S'));
            if !h.is_finished() {
                futex::wake_private(&words[target], 1);
            }
            Ok::<_, Failure>(h.join()?)
        })?;
        check_eq!(r.map_err(waitv_unsupported)?, target);
    }
    Ok(())
}

fn wait_any_value_changed_timeout_and_length() -> TestResult {
    let (a, b) = (AtomicU32::new(1), AtomicU32::new(2));
    check_eq!(futex::wait_any(&[], None), Err(WaitAnyError::BadLength(0)));
    let start = Instant::now();
    let r = futex::wait_any(&[WaitOn::new(&a, 1), WaitOn { word: &b, expected: 2, scope: Scope::Shared }], Some(Duration::from_millis(30)));
    if let Err(WaitAnyError::Unsupported(_)) = r {
        return Err(waitv_unsupported(r.unwrap_err()));
    }
    check_eq!(r, Err(WaitAnyError::TimedOut));
    check!(start.elapsed() >= Duration::from_millis(30), "timed out after {:?}", start.elapsed());
    check_eq!(futex::wait_any(&[WaitOn::new(&a, 1), WaitOn::new(&b, 3)], None), Err(WaitAnyError::ValueChanged));
    Ok(())
}

fn futex2_wait_wake() -> TestResult {
    let w = AtomicU32::new(0);
    let start = Instant::now();
    let r = futex::futex2_wait(&w, 0, Some(Duration::from_millis(30)), Scope::Private);
    let r = r.map_err(|u| Failure::skip(format_args!("{u}")))?;
    check_eq!(r, WaitResult::TimedOut);
    check!(start.elapsed() >= Duration::from_millis(30));
    check_eq!(futex::futex2_wait(&w, 1, None, Scope::Private), Ok(WaitResult::ValueChanged));
    let waiter = AtomicI32::new(0);
    let r = thread::scope(|s| {
        let h = s
            .spawn(|| {
                waiter.store(thread::current_tid(), SeqCst);
                futex::futex2_wait(&w, 0, Some(Duration::from_secs(10)), Scope::Private)
            })
            .map_err(spawn_err)?;
        check!(asleep(&waiter), "the waiter never went to sleep");
        let woke = futex::futex2_wake(&w, 1, Scope::Private);
        Ok::<_, Failure>((woke, h.join()?))
    })?;
    check_eq!(r, (Ok(1), Ok(WaitResult::Woken)));
    Ok(())
}
