//! Mutex, Condvar, Once and OnceLock under real contention, with exact totals.
#![no_std]
#![no_main]

#[macro_use]
mod common;

use common::{Test, TestResult};
use core::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize, Ordering::SeqCst};
use core::time::Duration;
use strand::sync::{Condvar, Mutex, Once, OnceLock, RawMutex};
use strand::thread::{self, JoinHandle};
use strand::time::Instant;

strand::main!(main);

const TESTS: &[Test] = &[
    ("mutex_counter_exact", mutex_counter_exact),
    ("mutex_try_lock_and_is_locked", mutex_try_lock_and_is_locked),
    ("mutex_recursive_lock_checked_is_reported", mutex_recursive_lock_checked_is_reported),
    ("mutex_held_by_another_thread_is_waited_for_not_reported", mutex_held_by_another_thread_is_waited_for_not_reported),
    ("producer_consumer_accounts_every_item", producer_consumer_accounts_every_item),
    ("condvar_wait_timeout_times_out", condvar_wait_timeout_times_out),
    ("condvar_wait_timeout_while", condvar_wait_timeout_while),
    ("condvar_notify_all_wakes_everyone", condvar_notify_all_wakes_everyone),
    ("condvar_notify_all_under_lock_wakes_everyone", condvar_notify_all_under_lock_wakes_everyone),
    ("condvar_ping_pong_under_lock_counts_every_turn", condvar_ping_pong_under_lock_counts_every_turn),
    ("condvar_timeout_while_the_wake_is_owed_keeps_the_notify", condvar_timeout_while_the_wake_is_owed_keeps_the_notify),
    ("condvar_notify_under_lock_is_paid_at_the_unlock", condvar_notify_under_lock_is_paid_at_the_unlock),
    ("condvar_deferred_notify_and_a_blocked_locker_both_wake", condvar_deferred_notify_and_a_blocked_locker_both_wake),
    ("once_runs_exactly_once", once_runs_exactly_once),
    ("once_lock_one_value", once_lock_one_value),
    ("lock_api_mutex", lock_api_mutex),
];

fn main() -> i32 {
    common::run("sync", TESTS)
}

fn spawn_err(e: thread::SpawnError) -> common::Failure {
    common::Failure::new(format_args!("spawn failed: {e}"))
}

fn mutex_counter_exact() -> TestResult {
    const THREADS: usize = 8;
    const ITERS: u64 = 20_000;
    static COUNTER: Mutex<(u64, u64)> = Mutex::new((0, 0));
    let mut handles: [Option<JoinHandle<()>>; THREADS] = [const { None }; THREADS];
    for h in handles.iter_mut() {
        *h = Some(
            thread::spawn(|| {
                for i in 0..ITERS {
                    let mut g = COUNTER.lock();
                    // Two fields updated non-atomically: a broken lock shows up as a mismatch.
                    g.0 += 1;
                    if i % 64 == 0 {
                        core::hint::spin_loop();
                    }
                    g.1 += 2;
                }
            })
            .map_err(spawn_err)?,
        );
    }
    for h in handles.iter_mut() {
        h.take().unwrap().join()?;
    }
    let total = *COUNTER.lock();
    check_eq!(total, (THREADS as u64 * ITERS, 2 * THREADS as u64 * ITERS));
    check!(!COUNTER.is_locked());
    Ok(())
}

fn mutex_try_lock_and_is_locked() -> TestResult {
    let m = Mutex::new(5);
    let g = m.lock();
    check!(m.is_locked());
    check!(m.try_lock().is_none(), "try_lock succeeded on a held lock");
    drop(g);
    check!(!m.is_locked());
    let mut g = m.try_lock().ok_or_else(|| common::Failure::new(format_args!("try_lock failed on a free lock")))?;
    *g += 1;
    drop(g);
    check_eq!(m.into_inner(), 6);
    Ok(())
}

/// Ends the process with a failure line if the test is still running after `secs`: a check
/// that would otherwise hang (a recursive lock that waits for itself) fails in seconds instead.
struct Watchdog<'a> {
    done: &'a AtomicU32,
}

impl Watchdog<'_> {
    fn start(done: &'static AtomicU32, secs: u64, what: &'static str) -> Result<(Watchdog<'static>, JoinHandle<()>), common::Failure> {
        done.store(0, SeqCst);
        let h = thread::spawn(move || {
            let start = Instant::now();
            while done.load(SeqCst) == 0 {
                let Some(left) = Duration::from_secs(secs).checked_sub(start.elapsed()) else {
                    strand::println!("test sync::{what} ... FAILED: still waiting after {secs} s (a lock waited for itself?)");
                    strand::syscall::exit_group(1);
                };
                strand::futex::wait_private(done, 0, Some(left));
            }
        })
        .map_err(spawn_err)?;
        Ok((Watchdog { done }, h))
    }
}

impl Drop for Watchdog<'_> {
    fn drop(&mut self) {
        self.done.store(1, SeqCst);
        strand::futex::wake_private(self.done, 1);
    }
}

/// A thread that holds a mutex and locks it again through `lock_checked` gets
/// `Err(WouldDeadlock)` naming its tid, at once, and still holds the lock; `try_lock` says
/// `None` (no report). The same for a `RawMutex` and through `lock_api`.
fn mutex_recursive_lock_checked_is_reported() -> TestResult {
    static DONE: AtomicU32 = AtomicU32::new(0);
    let (watchdog, h) = Watchdog::start(&DONE, 20, "mutex_recursive_lock_checked_is_reported")?;
    let me = thread::current_tid();
    let m = Mutex::new(0u32);
    let mut g = m.lock();
    let e = match m.lock_checked() {
        Err(e) => e,
        Ok(_) => return Err(common::Failure::new(format_args!("lock_checked locked a mutex its caller holds"))),
    };
    check_eq!(e.tid(), me);
    check!(m.try_lock().is_none(), "try_lock succeeded on a mutex its caller holds");
    check!(m.is_locked() && m.is_held_by_current_thread());
    // The guard still works, and its unlock frees the mutex.
    *g += 1;
    drop(g);
    check!(!m.is_locked() && !m.is_held_by_current_thread());
    match m.lock_checked() {
        Ok(mut g) => *g += 1,
        Err(e) => return Err(common::Failure::new(format_args!("a free mutex reported: {e}"))),
    }
    check_eq!(m.into_inner(), 2);

    let raw = RawMutex::new();
    raw.lock();
    check_eq!(raw.lock_checked().map_err(|e| e.tid()), Err(me));
    check!(!raw.try_lock());
    // SAFETY: locked above by this thread.
    unsafe { raw.unlock() };
    check!(!raw.is_locked());
    #[cfg(feature = "lock_api")]
    {
        let m = lock_api::Mutex::<RawMutex, u32>::new(0);
        let g = m.lock();
        check!(m.try_lock().is_none(), "lock_api try_lock succeeded on a mutex its caller holds");
        drop(g);
        check!(m.try_lock().is_some());
    }
    drop(watchdog);
    h.join()?;
    Ok(())
}

/// A mutex another thread holds is never reported: a second thread's `lock_checked` and `lock`
/// sleep until the holder unlocks, then get it. The holder waits until the other is seen asleep
/// (so the attempt went through the slow path and marked the word), and checks it did not
/// return meanwhile.
fn mutex_held_by_another_thread_is_waited_for_not_reported() -> TestResult {
    let m = Mutex::new(0u32);
    let tid = AtomicI32::new(0);
    let returned = AtomicU32::new(0);
    for checked in [true, false] {
        tid.store(0, SeqCst);
        returned.store(0, SeqCst);
        let g = m.lock();
        let r: Result<Result<(), common::Failure>, common::Failure> = thread::scope(|s| {
            let h = s
                .spawn(|| {
                    tid.store(thread::current_tid(), SeqCst);
                    let r = if checked {
                        m.lock_checked().map(|mut g| *g += 1).map_err(|e| {
                            common::Failure::new(format_args!("a mutex held by another thread was reported: {e}"))
                        })
                    } else {
                        *m.lock() += 1;
                        Ok(())
                    };
                    returned.store(1, SeqCst);
                    r
                })
                .map_err(spawn_err)?;
            let asleep = common::eventually(10, || {
                let t = tid.load(SeqCst);
                returned.load(SeqCst) != 0 || (t != 0 && task_status(t).is_some_and(|(state, _)| state == b'S'))
            });
            let early = returned.load(SeqCst) != 0;
            drop(g);
            let r = h.join()?;
            check!(asleep, "the contending thread never went to sleep");
            check!(!early, "the contending thread returned while another thread held the mutex");
            Ok(r)
        });
        r??;
    }
    check_eq!(m.into_inner(), 2);
    Ok(())
}

/// A bounded ring buffer guarded by one mutex and two condition variables.
struct Queue {
    state: Mutex<Ring>,
    not_empty: Condvar,
    not_full: Condvar,
}

struct Ring {
    items: [u32; 8],
    head: usize,
    len: usize,
    closed_producers: usize,
}

impl Queue {
    const fn new() -> Queue {
        Queue {
            state: Mutex::new(Ring { items: [0; 8], head: 0, len: 0, closed_producers: 0 }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
        }
    }

    fn push(&self, v: u32) {
        let mut r = self.not_full.wait_while(self.state.lock(), |r| r.len == r.items.len());
        let at = (r.head + r.len) % r.items.len();
        r.items[at] = v;
        r.len += 1;
        drop(r);
        self.not_empty.notify_one();
    }

    /// `None` once every producer is done and the queue is empty.
    fn pop(&self, producers: usize) -> Option<u32> {
        let mut r = self.not_empty.wait_while(self.state.lock(), |r| r.len == 0 && r.closed_producers < producers);
        if r.len == 0 {
            return None;
        }
        let v = r.items[r.head];
        r.head = (r.head + 1) % r.items.len();
        r.len -= 1;
        drop(r);
        self.not_full.notify_one();
        Some(v)
    }

    fn close(&self) {
        self.state.lock().closed_producers += 1;
        self.not_empty.notify_all();
    }
}

fn producer_consumer_accounts_every_item() -> TestResult {
    const PRODUCERS: usize = 3;
    const CONSUMERS: usize = 3;
    const PER_PRODUCER: u32 = 3000;
    const TOTAL: usize = PRODUCERS * PER_PRODUCER as usize;
    static QUEUE: Queue = Queue::new();
    static SEEN: [AtomicU32; TOTAL] = [const { AtomicU32::new(0) }; TOTAL];
    let mut producers: [Option<JoinHandle<()>>; PRODUCERS] = [const { None }; PRODUCERS];
    let mut consumers: [Option<JoinHandle<(usize, u64)>>; CONSUMERS] = [const { None }; CONSUMERS];
    for c in consumers.iter_mut() {
        *c = Some(
            thread::spawn(|| {
                let (mut n, mut sum) = (0usize, 0u64);
                while let Some(v) = QUEUE.pop(PRODUCERS) {
                    SEEN[v as usize].fetch_add(1, SeqCst);
                    n += 1;
                    sum += v as u64;
                }
                (n, sum)
            })
            .map_err(spawn_err)?,
        );
    }
    for (p, slot) in producers.iter_mut().enumerate() {
        *slot = Some(
            thread::spawn(move || {
                for i in 0..PER_PRODUCER {
                    QUEUE.push(p as u32 * PER_PRODUCER + i);
                }
                QUEUE.close();
            })
            .map_err(spawn_err)?,
        );
    }
    for p in producers.iter_mut() {
        p.take().unwrap().join()?;
    }
    let (mut n, mut sum) = (0, 0);
    for c in consumers.iter_mut() {
        let (cn, cs) = c.take().unwrap().join()?;
        n += cn;
        sum += cs;
    }
    check_eq!(n, TOTAL);
    check_eq!(sum, (TOTAL as u64 - 1) * TOTAL as u64 / 2);
    let bad = SEEN.iter().position(|s| s.load(SeqCst) != 1);
    check!(bad.is_none(), "item {:?} seen {} times", bad, bad.map_or(0, |i| SEEN[i].load(SeqCst)));
    Ok(())
}

fn condvar_wait_timeout_times_out() -> TestResult {
    let m = Mutex::new(());
    let cv = Condvar::new();
    let start = Instant::now();
    let (g, r) = cv.wait_timeout(m.lock(), Duration::from_millis(30));
    let took = start.elapsed();
    check!(r.timed_out(), "no notify, yet not timed out");
    check!(took >= Duration::from_millis(30), "timed out after {took:?}");
    // The guard came back locked.
    check!(m.is_locked());
    drop(g);
    check!(!m.is_locked());
    Ok(())
}

fn condvar_wait_timeout_while() -> TestResult {
    static STATE: Mutex<bool> = Mutex::new(false);
    static CV: Condvar = Condvar::new();
    // Condition never becomes false: times out, after the whole timeout.
    let start = Instant::now();
    let (_g, r) = CV.wait_timeout_while(STATE.lock(), Duration::from_millis(30), |ready| !*ready);
    check!(r.timed_out());
    check!(start.elapsed() >= Duration::from_millis(30));
    drop(_g);
    // Condition made false by another thread: returns not timed out.
    let h = thread::spawn(|| {
        thread::sleep(Duration::from_millis(10));
        *STATE.lock() = true;
        CV.notify_one();
    })
    .map_err(spawn_err)?;
    let (g, r) = CV.wait_timeout_while(STATE.lock(), Duration::from_secs(20), |ready| !*ready);
    check!(!r.timed_out(), "notified, yet timed out");
    check!(*g);
    drop(g);
    h.join()?;
    Ok(())
}

fn condvar_notify_all_wakes_everyone() -> TestResult {
    const N: usize = 8;
    static GO: Mutex<bool> = Mutex::new(false);
    static CV: Condvar = Condvar::new();
    static WAITING: AtomicUsize = AtomicUsize::new(0);
    let mut handles: [Option<JoinHandle<bool>>; N] = [const { None }; N];
    for h in handles.iter_mut() {
        *h = Some(
            thread::spawn(|| {
                let g = GO.lock();
                WAITING.fetch_add(1, SeqCst);
                // Bounded so a lost notify is a failure, not a hang.
                let (g, r) = CV.wait_timeout_while(g, Duration::from_secs(20), |go| !*go);
                *g && !r.timed_out()
            })
            .map_err(spawn_err)?,
        );
    }
    check!(common::eventually(10, || WAITING.load(SeqCst) == N));
    *GO.lock() = true;
    CV.notify_all();
    for h in handles.iter_mut() {
        check!(h.take().unwrap().join()?, "a waiter missed notify_all");
    }
    Ok(())
}

/// `notify_all` while holding the mutex moves the waiters onto the mutex's word; each unlock
/// must then wake the next, so every waiter gets out (bounded: a stranded one fails the test).
fn condvar_notify_all_under_lock_wakes_everyone() -> TestResult {
    const N: usize = 8;
    let go = Mutex::new(false);
    let cv = Condvar::new();
    let waiting = AtomicUsize::new(0);
    let woke = AtomicUsize::new(0);
    let r: Result<(), thread::SpawnError> = thread::scope(|s| {
        for _ in 0..N {
            s.spawn(|| {
                let g = go.lock();
                waiting.fetch_add(1, SeqCst);
                let (g, r) = cv.wait_timeout_while(g, Duration::from_secs(20), |go| !*go);
                if *g && !r.timed_out() {
                    woke.fetch_add(1, SeqCst);
                }
            })?;
        }
        common::eventually(10, || waiting.load(SeqCst) == N);
        // Let the last one get from its increment into the futex wait.
        thread::sleep(Duration::from_millis(20));
        let mut g = go.lock();
        *g = true;
        cv.notify_all();
        drop(g);
        Ok(())
    });
    r.map_err(spawn_err)?;
    check_eq!(woke.load(SeqCst), N);
    Ok(())
}

/// Two threads hand a turn back and forth, each notifying while it holds the mutex (the
/// requeue path), many times: every turn is taken exactly once and nobody is left asleep.
fn condvar_ping_pong_under_lock_counts_every_turn() -> TestResult {
    const ROUNDS: u32 = 2_000;
    let turn = Mutex::new((0u32, 0u32)); // (whose turn, turns taken)
    let cv = Condvar::new();
    let side = |me: u32| -> bool {
        let mut g = turn.lock();
        for _ in 0..ROUNDS {
            let (g2, r) = cv.wait_timeout_while(g, Duration::from_secs(20), |t| t.0 != me);
            g = g2;
            if r.timed_out() {
                return false;
            }
            g.0 = 1 - me;
            g.1 += 1;
            cv.notify_one();
        }
        true
    };
    let r: Result<(bool, bool), common::Failure> = thread::scope(|s| {
        let other = s.spawn(|| side(1)).map_err(spawn_err)?;
        let mine = side(0);
        Ok((mine, other.join()?))
    });
    let (a, b) = r?;
    check!(a && b, "a side waited 20 s for its turn: a notify was lost");
    check_eq!(turn.lock().1, 2 * ROUNDS);
    Ok(())
}

/// A thread's state letter (`S` asleep, `R` running, ...) and how many times it has gone to
/// sleep (its voluntary context switches), from /proc/self/task/<tid>/status (proc(5)).
fn task_status(tid: i32) -> Option<(u8, u64)> {
    let mut path = [0u8; 48];
    let mut len = 0;
    let mut push = |bytes: &[u8]| {
        path[len..len + bytes.len()].copy_from_slice(bytes);
        len += bytes.len();
    };
    push(b"/proc/self/task/");
    let mut digits = [0u8; 10];
    let mut n = u32::try_from(tid).ok()?;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    push(&digits[i..]);
    push(b"/status\0");
    let path = core::ffi::CStr::from_bytes_until_nul(&path).ok()?;
    let mut buf = [0u8; 2048];
    let text = strand::syscall::read_file(path, &mut buf).ok()?;
    let (mut state, mut switches) = (None, None);
    for line in text.split(|&b| b == b'\n') {
        if let Some(rest) = line.strip_prefix(b"State:") {
            state = rest.iter().copied().find(|b| !b.is_ascii_whitespace());
        } else if let Some(rest) = line.strip_prefix(b"voluntary_ctxt_switches:") {
            let digits = rest.iter().filter(|b| b.is_ascii_digit());
            switches = Some(digits.fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')));
        }
    }
    Some((state?, switches?))
}

/// A timed waiter that a `notify_one` under the lock chose, and whose time ran out before the
/// unlock woke it (it then sleeps on the mutex the notifier holds), took that notify: it must
/// not report a timeout.
/// Otherwise a caller that gives up on "timed out" without looking (an idle worker that exits)
/// leaves the item to a second waiter that nobody wakes.
///
/// The window is forced, not hoped for: the timed waiter A is seen asleep before the untimed
/// waiter B starts (the kernel queues a word's sleepers in order, so a wake or requeue of one
/// takes A: kernel/futex/core.c, `__futex_queue`, plist order by priority, FIFO within one),
/// the notify
/// is checked to land before A's earliest deadline, and the notifier keeps the mutex until A's
/// status shows it woke from that wait and went back to sleep (on the mutex) after its deadline.
/// A try whose notify came too late (a loaded machine) is repeated with a longer timeout.
fn condvar_timeout_while_the_wake_is_owed_keeps_the_notify() -> TestResult {
    let mut timeout = Duration::from_millis(200);
    for _ in 0..4 {
        if timeout_while_owed(timeout)? {
            return Ok(());
        }
        timeout *= 2;
    }
    Err(common::Failure::new(format_args!("could not land the notify before the timed waiter's deadline in 4 tries")))
}

/// One try: `Ok(true)` if the window was forced and nothing was lost, `Ok(false)` if the
/// notify came after A's earliest deadline or A's return from its wait was not seen.
fn timeout_while_owed(timeout: Duration) -> Result<bool, common::Failure> {
    let items = Mutex::new(0u32);
    let cv = Condvar::new();
    let (a_tid, b_tid) = (AtomicI32::new(0), AtomicI32::new(0));
    let a_switches = AtomicU32::new(0);
    let asleep = |tid: &AtomicI32| {
        let t = tid.load(SeqCst);
        t != 0 && task_status(t).is_some_and(|(state, _)| state == b'S')
    };
    thread::scope(|s| {
        let start = Instant::now();
        let a = s
            .spawn(|| {
                let g = items.lock();
                let me = thread::current_tid();
                // Counted before its only sleep until the notify: the wait on the condvar.
                a_switches.store(task_status(me).map_or(u32::MAX, |(_, n)| n as u32), SeqCst);
                a_tid.store(me, SeqCst);
                let (mut g, r) = cv.wait_timeout(g, timeout);
                // An idle worker: "timed out" means nothing came for it, so it does not look.
                let took = !r.timed_out() && *g > 0;
                if took {
                    *g -= 1;
                }
                (r.timed_out(), took)
            })
            .map_err(spawn_err)?;
        check!(common::eventually(10, || asleep(&a_tid)), "the timed waiter never went to sleep");
        check!(a_switches.load(SeqCst) != u32::MAX, "cannot read /proc/self/task/<tid>/status");
        let a_asleep = Instant::now();
        let b = s
            .spawn(|| {
                b_tid.store(thread::current_tid(), SeqCst);
                let mut g = items.lock();
                while *g == 0 {
                    // Bounded so that a lost notify fails the test instead of hanging it; not
                    // `wait_timeout_while`, which would take the item at its deadline anyway.
                    let (g2, r) = cv.wait_timeout(g, Duration::from_secs(5));
                    g = g2;
                    if r.timed_out() {
                        return false;
                    }
                }
                *g -= 1;
                true
            })
            .map_err(spawn_err)?;
        check!(common::eventually(10, || asleep(&b_tid)), "the untimed waiter never went to sleep");
        let mut g = items.lock();
        *g += 1;
        cv.notify_one();
        // A's timer started after `start`, so it cannot fire before `start + timeout`.
        let before_deadline = start.elapsed() < timeout;
        // A's timer started before A was seen asleep: past `a_asleep + timeout` it has fired,
        // and once A is asleep again with one more sleep than its wait on the condvar, A has
        // left that wait (with ETIMEDOUT, since the mutex is still held) and sleeps on the mutex.
        let latest = a_asleep.checked_add(timeout).unwrap_or(a_asleep);
        let (tid, before) = (a_tid.load(SeqCst), a_switches.load(SeqCst));
        let timed_out_on_mutex = common::eventually(5, || {
            Instant::now() >= latest
                && task_status(tid).is_some_and(|(state, n)| state == b'S' && n >= u64::from(before) + 2)
        });
        drop(g);
        let (a_timed_out, a_took) = a.join()?;
        if a_took {
            // B still waits for an item of its own.
            *items.lock() += 1;
            cv.notify_one();
        }
        check!(b.join()?, "the untimed waiter was left asleep with an item waiting: a notify was lost");
        if !(before_deadline && timed_out_on_mutex) {
            return Ok(false);
        }
        check!(!a_timed_out, "a waiter whose wake the notifier owed (it took the notify) reported a timeout");
        Ok(true)
    })
}

/// Whether thread `tid` is asleep (state `S`), from /proc/self/task/<tid>/status.
fn is_asleep(tid: &AtomicI32) -> bool {
    let t = tid.load(SeqCst);
    t != 0 && task_status(t).is_some_and(|(state, _)| state == b'S')
}

/// A `notify_one` made under the lock, with a waiter asleep, makes no system call: the wake is
/// left to the unlock (`RawMutex::owe_wake`), which makes it once the lock is free, so the
/// waiter does not wake into a held lock (it is still asleep, with no new sleep counted, while
/// the notifier holds on). The waiter then relocks unmarked, so its own unlock makes no wake
/// either: nobody was ever moved onto the mutex's word. Counted with `count-syscalls` while
/// every other thread is seen asleep, so no other thread's syscall is in the count.
fn condvar_notify_under_lock_is_paid_at_the_unlock() -> TestResult {
    let ready = Mutex::new(false);
    let cv = Condvar::new();
    let (main_tid, waiter_tid) = (AtomicI32::new(thread::current_tid()), AtomicI32::new(0));
    let waiter_unlock = AtomicUsize::new(usize::MAX);
    let r: Result<(usize, bool, bool), common::Failure> = thread::scope(|s| {
        let w = s
            .spawn(|| -> Result<bool, common::Failure> {
                waiter_tid.store(thread::current_tid(), SeqCst);
                let g = ready.lock();
                // Bounded so that a lost notify fails the test instead of hanging it.
                let (g, r) = cv.wait_timeout_while(g, Duration::from_secs(20), |ready| !*ready);
                if r.timed_out() {
                    return Ok(false);
                }
                // The main thread is in the scope's join by now, or soon: once it sleeps there,
                // nothing but this thread makes syscalls.
                check!(common::eventually(10, || is_asleep(&main_tid)), "the main thread never went to sleep in join");
                let before = strand::syscall::count();
                drop(g);
                waiter_unlock.store(strand::syscall::count() - before, SeqCst);
                Ok(true)
            })
            .map_err(spawn_err)?;
        check!(common::eventually(10, || is_asleep(&waiter_tid)), "the waiter never went to sleep");
        let (_, sleeps) = task_status(waiter_tid.load(SeqCst)).ok_or_else(|| common::Failure::new(format_args!("cannot read the waiter's status")))?;
        let mut g = ready.lock();
        *g = true;
        let before = strand::syscall::count();
        cv.notify_one();
        let notify = strand::syscall::count() - before;
        // Still in the same sleep: the notify did not wake it into the lock this thread holds.
        let undisturbed = task_status(waiter_tid.load(SeqCst)).is_some_and(|(state, n)| state == b'S' && n == sleeps);
        drop(g);
        let woke = w.join()??;
        Ok((notify, undisturbed, woke))
    });
    let (notify, undisturbed, woke) = r?;
    check!(woke, "the waiter was never woken: the notify was lost");
    check_eq!(notify, 0);
    check!(undisturbed, "the notify woke the waiter while the notifier still held the lock");
    check_eq!(waiter_unlock.load(SeqCst), 0);
    Ok(())
}

/// A notify deferred to the unlock, and then a thread that blocks on the mutex (marking the
/// word, and clearing the mark that says nobody sleeps there): the one unlock must both wake
/// the locker and pay the notify. A locker left asleep ends the process through the watchdog;
/// a notify left unpaid times the waiter out.
fn condvar_deferred_notify_and_a_blocked_locker_both_wake() -> TestResult {
    static DONE: AtomicU32 = AtomicU32::new(0);
    let (_dog, dog) = Watchdog::start(&DONE, 30, "condvar_deferred_notify_and_a_blocked_locker_both_wake")?;
    let ready = Mutex::new(false);
    let cv = Condvar::new();
    let (waiter_tid, locker_tid) = (AtomicI32::new(0), AtomicI32::new(0));
    let r: Result<(bool, bool), common::Failure> = thread::scope(|s| {
        let w = s
            .spawn(|| {
                waiter_tid.store(thread::current_tid(), SeqCst);
                let g = ready.lock();
                let (g, r) = cv.wait_timeout_while(g, Duration::from_secs(20), |ready| !*ready);
                *g && !r.timed_out()
            })
            .map_err(spawn_err)?;
        check!(common::eventually(10, || is_asleep(&waiter_tid)), "the waiter never went to sleep");
        let mut g = ready.lock();
        *g = true;
        cv.notify_one();
        let l = s
            .spawn(|| {
                locker_tid.store(thread::current_tid(), SeqCst);
                *ready.lock()
            })
            .map_err(spawn_err)?;
        check!(common::eventually(10, || is_asleep(&locker_tid)), "the locker never went to sleep on the mutex");
        drop(g);
        Ok((w.join()?, l.join()?))
    });
    let (waiter, locker) = r?;
    drop(_dog);
    dog.join()?;
    check!(waiter, "the deferred notify was never paid: the waiter timed out");
    check!(locker, "the locker did not see the change made before the unlock");
    Ok(())
}

fn once_runs_exactly_once() -> TestResult {
    const N: usize = 8;
    static ONCE: Once = Once::new();
    static RUNS: AtomicU32 = AtomicU32::new(0);
    let mut handles: [Option<JoinHandle<bool>>; N] = [const { None }; N];
    for h in handles.iter_mut() {
        *h = Some(
            thread::spawn(|| {
                ONCE.call_once(|| {
                    // Slow initialiser, so the others queue behind it.
                    thread::sleep(Duration::from_millis(20));
                    RUNS.fetch_add(1, SeqCst);
                });
                // Nobody returns before the initialiser finished.
                RUNS.load(SeqCst) == 1 && ONCE.is_completed()
            })
            .map_err(spawn_err)?,
        );
    }
    for h in handles.iter_mut() {
        check!(h.take().unwrap().join()?, "call_once returned before the initialiser finished");
    }
    ONCE.call_once(|| {
        RUNS.fetch_add(1, SeqCst);
    });
    check_eq!(RUNS.load(SeqCst), 1);
    Ok(())
}

fn once_lock_one_value() -> TestResult {
    const N: usize = 8;
    static CELL: OnceLock<u64> = OnceLock::new();
    static INITS: AtomicU32 = AtomicU32::new(0);
    check_eq!(CELL.get(), None);
    let mut handles: [Option<JoinHandle<u64>>; N] = [const { None }; N];
    for (i, h) in handles.iter_mut().enumerate() {
        *h = Some(
            thread::spawn(move || {
                *CELL.get_or_init(|| {
                    INITS.fetch_add(1, SeqCst);
                    thread::sleep(Duration::from_millis(10));
                    100 + i as u64
                })
            })
            .map_err(spawn_err)?,
        );
    }
    let mut first = None;
    for h in handles.iter_mut() {
        let v = h.take().unwrap().join()?;
        check!(first.is_none() || first == Some(v), "threads saw different values");
        first = Some(v);
    }
    check_eq!(INITS.load(SeqCst), 1);
    check_eq!(CELL.get().copied(), first);
    check_eq!(CELL.set(7), Err(7));
    let local = OnceLock::new();
    check_eq!(local.set(3u8), Ok(()));
    check_eq!(local.into_inner(), Some(3));
    Ok(())
}

#[cfg(feature = "lock_api")]
fn lock_api_mutex() -> TestResult {
    static M: lock_api::Mutex<strand::sync::RawMutex, u64> = lock_api::Mutex::const_new(strand::sync::RawMutex::new(), 0);
    let mut handles: [Option<JoinHandle<()>>; 4] = [const { None }; 4];
    for h in handles.iter_mut() {
        *h = Some(
            thread::spawn(|| {
                for _ in 0..5000 {
                    *M.lock() += 1;
                }
            })
            .map_err(spawn_err)?,
        );
    }
    for h in handles.iter_mut() {
        h.take().unwrap().join()?;
    }
    check_eq!(*M.lock(), 20_000);
    check!(!M.is_locked());
    Ok(())
}

#[cfg(not(feature = "lock_api"))]
fn lock_api_mutex() -> TestResult {
    Err(common::Failure::new(format_args!("built without the lock_api feature: build the tests with --features lock_api")))
}
