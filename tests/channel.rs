//! The bounded channel and `Oneshot` on real threads: every item delivered exactly once and in
//! order per producer with several producers and consumers, the try and timed variants,
//! disconnection both ways (with the other side asleep), and undelivered items dropped once.
#![no_std]
#![no_main]

#[macro_use]
mod common;

use common::{Failure, Test, TestResult};
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering::SeqCst};
use core::time::Duration;
use strand::sync::channel::{
    self, AlreadySplit, Channel, Oneshot, RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError,
    TrySendError,
};
use strand::thread;
use strand::time::Instant;

strand::main!(main);

const TESTS: &[Test] = &[
    ("every_item_once_fifo_per_producer", every_item_once_fifo_per_producer),
    ("try_send_and_try_recv", try_send_and_try_recv),
    ("timed_send_and_recv_time_out", timed_send_and_recv_time_out),
    ("senders_gone_drains_then_disconnects", senders_gone_drains_then_disconnects),
    ("last_sender_drop_wakes_a_sleeping_receiver", last_sender_drop_wakes_a_sleeping_receiver),
    ("receivers_gone_fails_sends_and_wakes_a_sleeping_sender", receivers_gone_fails_sends_and_wakes_a_sleeping_sender),
    ("undelivered_items_are_dropped_exactly_once", undelivered_items_are_dropped_exactly_once),
    ("scoped_channel_shape", scoped_channel_shape),
    ("split_once", split_once),
    ("oneshot_send_recv_and_disconnects", oneshot_send_recv_and_disconnects),
];

fn main() -> i32 {
    common::run("channel", TESTS)
}

/// How long a wait that must end may last before it counts as a lost wake-up.
const BOUND: Duration = Duration::from_secs(10);

fn spawn_err(e: thread::SpawnError) -> Failure {
    Failure::new(format_args!("spawn failed: {e}"))
}

fn wait_asleep(tid: &AtomicI32) -> bool {
    common::eventually(10, || {
        let t = tid.load(SeqCst);
        t != 0 && common::thread_state(t) == Some(b'S')
    })
}

const PRODUCERS: usize = 3;
const CONSUMERS: usize = 3;
const PER_PRODUCER: u32 = 20_000;

/// Three producers, three consumers, a ring of four: each item (producer, sequence number)
/// arrives exactly once, and each consumer sees every producer's items in sending order.
fn every_item_once_fifo_per_producer() -> TestResult {
    // Which items arrived, one bit each.
    static SEEN: [AtomicU32; PRODUCERS * PER_PRODUCER as usize / 32 + 1] = [const { AtomicU32::new(0) }; PRODUCERS * PER_PRODUCER as usize / 32 + 1];
    let ch = Channel::<(u32, u32), 4>::new();
    let (tx, rx) = ch.split().map_err(|_| Failure::new(format_args!("a fresh channel was split")))?;
    thread::scope(|sc| {
        let mut consumers = [const { None }; CONSUMERS];
        for c in consumers.iter_mut() {
            let rx = rx.clone();
            *c = Some(
                sc.spawn(move || -> Result<u32, Failure> {
                    let mut last = [None::<u32>; PRODUCERS];
                    let mut got = 0;
                    loop {
                        match rx.recv_timeout(BOUND) {
                            Ok((p, n)) => {
                                let p = p as usize;
                                if last[p].is_some_and(|l| l >= n) {
                                    return Err(Failure::new(format_args!("producer {p}: item {n} after {:?}", last[p])));
                                }
                                last[p] = Some(n);
                                let bit = p * PER_PRODUCER as usize + n as usize;
                                if SEEN[bit / 32].fetch_or(1 << (bit % 32), SeqCst) & (1 << (bit % 32)) != 0 {
                                    return Err(Failure::new(format_args!("producer {p}: item {n} delivered twice")));
                                }
                                got += 1;
                            }
                            Err(RecvTimeoutError::Disconnected) => return Ok(got),
                            Err(RecvTimeoutError::Timeout) => {
                                return Err(Failure::new(format_args!("a receive waited {BOUND:?} (lost wake-up)")))
                            }
                        }
                    }
                })
                .map_err(spawn_err)?,
            );
        }
        drop(rx);
        let mut producers = [const { None }; PRODUCERS];
        for (p, h) in producers.iter_mut().enumerate() {
            let tx = tx.clone();
            *h = Some(
                sc.spawn(move || {
                    for n in 0..PER_PRODUCER {
                        if tx.send_timeout((p as u32, n), BOUND).is_err() {
                            return false;
                        }
                    }
                    true
                })
                .map_err(spawn_err)?,
            );
        }
        drop(tx);
        for h in producers.iter_mut() {
            check!(h.take().unwrap().join()?, "a send waited {BOUND:?} (lost wake-up) or found no receiver");
        }
        let mut total = 0;
        for h in consumers.iter_mut() {
            total += h.take().unwrap().join()??;
        }
        check_eq!(total, PRODUCERS as u32 * PER_PRODUCER);
        let missing = (0..PRODUCERS * PER_PRODUCER as usize).find(|&b| SEEN[b / 32].load(SeqCst) & (1 << (b % 32)) == 0);
        check!(missing.is_none(), "item {missing:?} never arrived");
        Ok(())
    })
}

fn try_send_and_try_recv() -> TestResult {
    let ch = Channel::<u32, 2>::new();
    let (tx, rx) = ch.split().map_err(|_| Failure::new(format_args!("split")))?;
    check_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    check!(tx.try_send(1).is_ok() && tx.try_send(2).is_ok());
    match tx.try_send(3) {
        Err(TrySendError::Full(3)) => {}
        other => return Err(Failure::new(format_args!("try_send on a full ring: {other:?}"))),
    }
    check_eq!(rx.try_recv(), Ok(1));
    check!(tx.try_send(3).is_ok());
    check_eq!(rx.try_recv(), Ok(2));
    check_eq!(rx.try_recv(), Ok(3));
    check_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    // Many laps around a ring of 2 (positions wrap through the lap arithmetic).
    for i in 0..1000 {
        check!(tx.try_send(i).is_ok());
        check_eq!(rx.try_recv(), Ok(i));
    }
    check_eq!(tx.capacity(), 2);
    Ok(())
}

fn timed_send_and_recv_time_out() -> TestResult {
    let ch = Channel::<u32, 1>::new();
    let (tx, rx) = ch.split().map_err(|_| Failure::new(format_args!("split")))?;
    let t0 = Instant::now();
    check_eq!(rx.recv_timeout(Duration::from_millis(50)), Err(RecvTimeoutError::Timeout));
    check!(t0.elapsed() >= Duration::from_millis(50), "recv_timeout returned early");
    check!(tx.send_timeout(1, Duration::from_millis(50)).is_ok());
    let t0 = Instant::now();
    match tx.send_timeout(2, Duration::from_millis(50)) {
        Err(SendTimeoutError::Timeout(2)) => {}
        other => return Err(Failure::new(format_args!("send_timeout on a full ring: {other:?}"))),
    }
    check!(t0.elapsed() >= Duration::from_millis(50), "send_timeout returned early");
    check_eq!(rx.recv_timeout(Duration::from_millis(50)), Ok(1));
    Ok(())
}

fn senders_gone_drains_then_disconnects() -> TestResult {
    let ch = Channel::<u32, 4>::new();
    let (tx, rx) = ch.split().map_err(|_| Failure::new(format_args!("split")))?;
    let tx2 = tx.clone();
    tx.send(1).map_err(|_| Failure::new(format_args!("send")))?;
    tx2.send(2).map_err(|_| Failure::new(format_args!("send")))?;
    drop(tx);
    check_eq!(rx.try_recv(), Ok(1));
    drop(tx2);
    check_eq!(rx.recv(), Ok(2));
    check_eq!(rx.recv(), Err(RecvError));
    check_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    check_eq!(rx.recv_timeout(Duration::from_secs(1)), Err(RecvTimeoutError::Disconnected));
    Ok(())
}

fn last_sender_drop_wakes_a_sleeping_receiver() -> TestResult {
    static TID: AtomicI32 = AtomicI32::new(0);
    static CH: Channel<u32, 2> = Channel::new();
    let (tx, rx) = CH.split().map_err(|_| Failure::new(format_args!("split")))?;
    let h = thread::spawn(move || {
        TID.store(thread::current_tid(), SeqCst);
        let t0 = Instant::now();
        (rx.recv_timeout(BOUND), t0.elapsed())
    })
    .map_err(spawn_err)?;
    check!(wait_asleep(&TID), "the receiver never went to sleep");
    drop(tx);
    let (r, waited) = h.join()?;
    check_eq!(r, Err(RecvTimeoutError::Disconnected));
    check!(waited < BOUND, "the receiver slept through the disconnection");
    Ok(())
}

fn receivers_gone_fails_sends_and_wakes_a_sleeping_sender() -> TestResult {
    static TID: AtomicI32 = AtomicI32::new(0);
    static CH: Channel<u32, 1> = Channel::new();
    let (tx, rx) = CH.split().map_err(|_| Failure::new(format_args!("split")))?;
    tx.send(1).map_err(|_| Failure::new(format_args!("send")))?;
    let h = thread::spawn(move || {
        TID.store(thread::current_tid(), SeqCst);
        let t0 = Instant::now();
        let r = tx.send_timeout(2, BOUND);
        let waited = t0.elapsed();
        let again = tx.send(3);
        (r, waited, again)
    })
    .map_err(spawn_err)?;
    check!(wait_asleep(&TID), "the sender never went to sleep on the full ring");
    drop(rx);
    let (r, waited, again) = h.join()?;
    check!(matches!(r, Err(SendTimeoutError::Disconnected(2))), "the sleeping sender got {r:?}");
    check!(waited < BOUND, "the sender slept through the disconnection");
    check!(matches!(again, Err(SendError(3))), "a send with no receiver: {again:?}");
    Ok(())
}

static DROPS: AtomicU32 = AtomicU32::new(0);

/// Counts its drops.
struct Counted(u32);

impl Drop for Counted {
    fn drop(&mut self) {
        DROPS.fetch_add(1, SeqCst);
    }
}

fn undelivered_items_are_dropped_exactly_once() -> TestResult {
    // The last receiver's drop drops what is left, at once.
    DROPS.store(0, SeqCst);
    {
        let ch = Channel::<Counted, 4>::new();
        let (tx, rx) = ch.split().map_err(|_| Failure::new(format_args!("split")))?;
        for i in 0..3 {
            check!(tx.try_send(Counted(i)).is_ok());
        }
        let got = rx.try_recv().map_err(|e| Failure::new(format_args!("{e:?}")))?;
        check_eq!(got.0, 0);
        drop(got);
        check_eq!(DROPS.load(SeqCst), 1);
        drop(rx);
        check_eq!(DROPS.load(SeqCst), 3);
        // A send now hands its value back; dropping that is the caller's one drop.
        match tx.send(Counted(9)) {
            Err(SendError(v)) => check_eq!(v.0, 9),
            Ok(()) => return Err(Failure::new(format_args!("a send with no receiver succeeded"))),
        }
        check_eq!(DROPS.load(SeqCst), 4);
    }
    check_eq!(DROPS.load(SeqCst), 4);
    // A scoped channel with items left when its closure returns (receiver forgotten, so no
    // drain): the channel's own drop takes them.
    DROPS.store(0, SeqCst);
    channel::scoped::<Counted, 4, _>(|tx, rx| {
        let _ = tx.try_send(Counted(1));
        let _ = tx.try_send(Counted(2));
        core::mem::forget(rx);
    });
    check_eq!(DROPS.load(SeqCst), 2);
    // Many senders and a receiver that leaves mid-stream: every item is dropped exactly once,
    // delivered or not.
    DROPS.store(0, SeqCst);
    static RECEIVED: AtomicU32 = AtomicU32::new(0);
    static RETURNED: AtomicU32 = AtomicU32::new(0);
    const EACH: u32 = 5000;
    {
        let ch = Channel::<Counted, 8>::new();
        let (tx, rx) = ch.split().map_err(|_| Failure::new(format_args!("split")))?;
        thread::scope(|sc| -> TestResult {
            let mut hs = [const { None }; 3];
            for h in hs.iter_mut() {
                let tx = tx.clone();
                *h = Some(
                    sc.spawn(move || {
                        for i in 0..EACH {
                            if let Err(SendTimeoutError::Disconnected(v) | SendTimeoutError::Timeout(v)) = tx.send_timeout(Counted(i), BOUND) {
                                RETURNED.fetch_add(1, SeqCst);
                                drop(v);
                            }
                        }
                    })
                    .map_err(spawn_err)?,
                );
            }
            drop(tx);
            for _ in 0..EACH {
                if rx.recv_timeout(BOUND).is_ok() {
                    RECEIVED.fetch_add(1, SeqCst);
                }
            }
            drop(rx);
            for h in hs.iter_mut() {
                h.take().unwrap().join()?;
            }
            Ok(())
        })?;
    }
    check_eq!(DROPS.load(SeqCst), 3 * EACH);
    check_eq!(RECEIVED.load(SeqCst), EACH);
    check!(RETURNED.load(SeqCst) > 0, "the receiver's leaving failed no send (nothing was tested)");
    Ok(())
}

/// `channel(|tx, rx| ..)`: the shape, with scoped threads.
fn scoped_channel_shape() -> TestResult {
    let sum = strand::sync::channel::<u32, 2, _>(|tx, rx| {
        thread::scope(|sc| {
            let h = sc.spawn(move || {
                for i in 1..=100 {
                    tx.send(i).expect("the receiver is there");
                }
            });
            let mut sum = 0;
            while let Ok(v) = rx.recv() {
                sum += v;
            }
            h.map(|h| h.join().map(|()| sum).unwrap_or(0)).unwrap_or(0)
        })
    });
    check_eq!(sum, 5050);
    Ok(())
}

fn split_once() -> TestResult {
    let ch = Channel::<u8, 1>::new();
    let ends = ch.split();
    check!(ends.is_ok());
    check!(matches!(ch.split(), Err(AlreadySplit)));
    let one = Oneshot::<u8>::new();
    let ends = one.split();
    check!(ends.is_ok());
    check!(matches!(one.split(), Err(AlreadySplit)));
    Ok(())
}

fn oneshot_send_recv_and_disconnects() -> TestResult {
    // Across threads, the receiver asleep first.
    static TID: AtomicI32 = AtomicI32::new(0);
    static ONE: Oneshot<u32> = Oneshot::new();
    let (tx, mut rx) = ONE.split().map_err(|_| Failure::new(format_args!("split")))?;
    let h = thread::spawn(move || {
        TID.store(thread::current_tid(), SeqCst);
        rx.recv_timeout(BOUND)
    })
    .map_err(spawn_err)?;
    check!(wait_asleep(&TID), "the receiver never went to sleep");
    check!(tx.send(7).is_ok());
    check_eq!(h.join()?, Ok(7));
    // The sender dropped: the receiver is told.
    let one = Oneshot::<u32>::new();
    let (tx, mut rx) = one.split().map_err(|_| Failure::new(format_args!("split")))?;
    check_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    let t0 = Instant::now();
    check_eq!(rx.recv_timeout(Duration::from_millis(30)), Err(RecvTimeoutError::Timeout));
    check!(t0.elapsed() >= Duration::from_millis(30));
    drop(tx);
    check_eq!(rx.recv(), Err(RecvError));
    // The receiver dropped: the send hands the value back; a value sent and never received is
    // dropped once, with the receiver.
    DROPS.store(0, SeqCst);
    let one = Oneshot::<Counted>::new();
    let (tx, rx) = one.split().map_err(|_| Failure::new(format_args!("split")))?;
    drop(rx);
    match tx.send(Counted(1)) {
        Err(v) => check_eq!(v.0, 1),
        Ok(()) => return Err(Failure::new(format_args!("a send with no receiver succeeded"))),
    }
    check_eq!(DROPS.load(SeqCst), 1);
    let one = Oneshot::<Counted>::new();
    let (tx, rx) = one.split().map_err(|_| Failure::new(format_args!("split")))?;
    check!(tx.send(Counted(2)).is_ok());
    check_eq!(DROPS.load(SeqCst), 1);
    drop(rx);
    check_eq!(DROPS.load(SeqCst), 2);
    drop(one);
    check_eq!(DROPS.load(SeqCst), 2);
    Ok(())
}
