//! Bounded multi-producer multi-consumer channels without an allocator: a ring of `N` slots
//! that lives wherever the user puts it, and endpoints that borrow it; plus a one-value
//! `Oneshot`. No syscall unless the other side sleeps.
//!
//! # Where the ring lives
//!
//! With no allocator there is nothing for `channel()` to return the ring in, so the user owns
//! it, and the endpoints borrow it:
//!
//! - `static CH: Channel<Job, 64> = Channel::new();` then `let (tx, rx) = CH.split()?;` gives
//!   `Sender<'static, ..>` and `Receiver<'static, ..>`, which may go to any thread;
//! - a `Channel` on a stack, split the same way, with endpoints that threads of a
//!   `thread::scope` may use (the borrow keeps the channel alive while they run);
//! - `channel(|tx, rx| ..)` (also `channel::scoped`) makes a channel on its own stack, runs the
//!   closure with both endpoints and returns its result: the issue's `channel::<T, N>()` shape,
//!   with the endpoints unable to outlive the call.
//!
//! A channel is split once (`AlreadySplit` afterwards). Endpoints are `Clone`; each side counts
//! its endpoints, and when a side's count drops to 0 the other side sees the disconnection:
//! a send hands its value back in the error; a receive first drains what is left, then reports
//! it. When every receiver is gone, the items left in the ring are dropped at once (by the last
//! receiver, or by a sender whose item arrived after it left), each exactly once; a channel
//! dropped with items in it (its endpoints forgotten) drops them then.
//!
//! # The ring
//!
//! Dmitry Vyukov's bounded MPMC queue, with crossbeam's encoding of positions: a position is
//! `lap + index`, `lap` a multiple of `LAP` (the power of two above N), so positions wrap
//! around the word cleanly whatever N is. Each slot has a stamp saying which position may use
//! it next: a sender at position `lap + i` claims it (compare-and-swap of `tail`) only when
//! slot i's stamp says "free in this lap", writes the value, then sets the stamp to "full in
//! this lap" (Release); a receiver at `lap + i` claims it from `head` only when the stamp says
//! "full in this lap", reads, then sets it to "free in the next lap". Slot stamps are stored
//! minus the slot's index, so every slot starts at 0 and `new` stays a `const fn` without a
//! per-slot initialiser.
//!
//! # Sleeping
//!
//! Receivers wait on `items`, senders on `room`: each a futex word bumped by every notify and
//! a count of sleepers. A sleeper counts itself in, then tries again, then sleeps on the word
//! as it read it before counting itself in; an operation that may let a sleeper through (a
//! send for receivers, a receive for senders, a side's last endpoint going away for the other
//! side) makes its change, then looks at the count and wakes only if it is not 0. The change
//! and the sleeper's count are two different words, so each side puts a SeqCst fence between
//! its write and its read: either the waker sees the count, or the sleeper's retry sees the
//! change (the store-buffering pattern; crossbeam's `SyncWaker` relies on the same). That
//! fence is the price of the fast path: no syscall and no lock, one fence per operation.

mod oneshot;

pub use oneshot::{Oneshot, OneshotReceiver, OneshotSender};

use crate::sync::atomic_wait::futex::{self, WaitResult};
use crate::sync::atomic_wait::{fence, spin_loop, yield_now, AtomicU32, AtomicUsize};
use crate::time::Instant;
use core::cell::UnsafeCell;
use core::fmt;
use core::mem::MaybeUninit;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use core::time::Duration;

/// The channel was split already: its endpoints are out there (or were).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::channel::{AlreadySplit, Channel};
/// static CH: Channel<u8, 1> = Channel::new();
/// let _ends = CH.split().unwrap();
/// assert_eq!(CH.split().err(), Some(AlreadySplit));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlreadySplit;

/// Every receiver is gone; the value comes back.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::channel::{Channel, SendError};
/// let ch = Channel::<u8, 1>::new();
/// let (tx, rx) = ch.split().unwrap();
/// drop(rx);
/// assert_eq!(tx.send(7), Err(SendError(7)));
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

/// Why `try_send` did not send; the value comes back in either case.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::channel::{Channel, TrySendError};
/// let ch = Channel::<u8, 1>::new();
/// let (tx, rx) = ch.split().unwrap();
/// tx.try_send(1).unwrap();
/// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
/// drop(rx);
/// assert_eq!(tx.try_send(3).map_err(TrySendError::into_inner), Err(3));
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// The ring is full; the value comes back.
    Full(T),
    /// Every receiver is gone; the value comes back.
    Disconnected(T),
}

/// Why `send_timeout` did not send; the value comes back in either case.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::channel::{Channel, SendTimeoutError};
/// use core::time::Duration;
/// let ch = Channel::<u8, 1>::new();
/// let (tx, _rx) = ch.split().unwrap();
/// tx.send(1).unwrap();
/// let e = tx.send_timeout(2, Duration::from_millis(2)).unwrap_err();
/// assert!(matches!(e, SendTimeoutError::Timeout(2)));
/// assert_eq!(e.into_inner(), 2);
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SendTimeoutError<T> {
    /// The ring stayed full for the whole timeout; the value comes back.
    Timeout(T),
    /// Every receiver is gone; the value comes back.
    Disconnected(T),
}

/// Every sender is gone and the ring is empty.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::channel::{Channel, RecvError};
/// let ch = Channel::<u8, 2>::new();
/// let (tx, rx) = ch.split().unwrap();
/// tx.send(1).unwrap();
/// drop(tx);
/// // What was sent is still received; then the disconnection is reported.
/// assert_eq!(rx.recv(), Ok(1));
/// assert_eq!(rx.recv(), Err(RecvError));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvError;

/// Why `try_recv` returned no item.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::channel::{Channel, TryRecvError};
/// let ch = Channel::<u8, 1>::new();
/// let (tx, rx) = ch.split().unwrap();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// The ring is empty, and a sender may still send.
    Empty,
    /// Every sender is gone and the ring is empty.
    Disconnected,
}

/// Why `recv_timeout` returned no item.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::channel::{Channel, RecvTimeoutError};
/// use core::time::Duration;
/// let ch = Channel::<u8, 1>::new();
/// let (_tx, rx) = ch.split().unwrap();
/// assert_eq!(rx.recv_timeout(Duration::from_millis(2)), Err(RecvTimeoutError::Timeout));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvTimeoutError {
    /// The ring stayed empty for the whole timeout.
    Timeout,
    /// Every sender is gone and the ring is empty.
    Disconnected,
}

// Debug without `T: Debug`, as std's: the value is the caller's, the variant is the news.
impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "Full(..)",
            TrySendError::Disconnected(_) => "Disconnected(..)",
        })
    }
}

impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendTimeoutError::Timeout(_) => "Timeout(..)",
            SendTimeoutError::Disconnected(_) => "Disconnected(..)",
        })
    }
}

impl<T> SendTimeoutError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(v) | SendTimeoutError::Disconnected(v) => v,
        }
    }
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Disconnected(v) => v,
        }
    }
}

/// Threads waiting for one thing (an item, or room): a futex word bumped by every notify that
/// may wake someone, and how many sleep (or are about to). See "Sleeping" in the module doc.
pub(crate) struct Sleepers {
    epoch: AtomicU32,
    count: AtomicU32,
}

impl Sleepers {
    pub(crate) const fn new() -> Sleepers {
        Sleepers { epoch: AtomicU32::new(0), count: AtomicU32::new(0) }
    }

    /// After a change that may let a sleeper through: wakes one sleeper (`all`: every one) if
    /// there is any. The fence orders the caller's change before the read of the count.
    #[inline]
    pub(crate) fn notify(&self, all: bool) {
        fence(SeqCst);
        if self.count.load(Relaxed) != 0 {
            self.wake(all);
        }
    }

    #[cold]
    fn wake(&self, all: bool) {
        self.epoch.fetch_add(1, Relaxed);
        futex::wake_private(&self.epoch, if all { u32::MAX } else { 1 });
    }

    /// Runs `attempt` until it gives a result, sleeping between tries; `None` if `timeout` ran
    /// out first (after one last try).
    pub(crate) fn block<R>(&self, timeout: Option<Duration>, mut attempt: impl FnMut() -> Option<R>) -> Option<R> {
        let start = timeout.map(|_| Instant::now());
        loop {
            if let Some(r) = attempt() {
                return Some(r);
            }
            let left = match (timeout, start) {
                (Some(t), Some(s)) => match t.checked_sub(s.elapsed()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return None,
                },
                _ => None,
            };
            // The word as it was before we count ourselves in: a notify after that bumps it,
            // so the wait below cannot sleep through it.
            let epoch = self.epoch.load(Relaxed);
            self.count.fetch_add(1, Relaxed);
            fence(SeqCst);
            if let Some(r) = attempt() {
                self.count.fetch_sub(1, Relaxed);
                return Some(r);
            }
            let r = futex::wait_private(&self.epoch, epoch, left);
            self.count.fetch_sub(1, Relaxed);
            if r == WaitResult::TimedOut {
                return attempt();
            }
        }
    }
}

/// Spins briefly, then yields: for the short window in which another thread has claimed a slot
/// and not yet released it.
struct Backoff(u32);

impl Backoff {
    fn snooze(&mut self) {
        if self.0 < 6 {
            for _ in 0..1u32 << self.0 {
                spin_loop();
            }
            self.0 += 1;
        } else {
            yield_now();
        }
    }
}

/// Keeps `head` and `tail` (written by every receive and every send) on lines of their own.
#[repr(align(128))]
struct Padded<T>(T);

struct Slot<T> {
    /// Which position may use the slot next, minus the slot's index (see "The ring").
    stamp: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// A bounded ring of `N` slots for values of `T` (see the module doc). `N` must be at least 1.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::channel::Channel;
/// static JOBS: Channel<u32, 4> = Channel::new();
/// let (tx, rx) = JOBS.split().unwrap();
/// assert_eq!(JOBS.capacity(), 4);
/// let worker = strand::thread::spawn(move || {
///     let mut sum = 0;
///     while let Ok(job) = rx.recv() {
///         sum += job;
///     }
///     sum
/// }).unwrap();
/// for job in 1..=10 {
///     tx.send(job).unwrap(); // waits while the ring is full
/// }
/// drop(tx); // the worker's `recv` then reports the disconnection
/// assert_eq!(worker.join().ok(), Some(55));
/// # }
/// ```
pub struct Channel<T, const N: usize> {
    /// The next position to send to.
    tail: Padded<AtomicUsize>,
    /// The next position to receive from.
    head: Padded<AtomicUsize>,
    slots: [Slot<T>; N],
    senders: AtomicUsize,
    receivers: AtomicUsize,
    /// 0 until `split`.
    split: AtomicU32,
    /// Receivers waiting for an item (or for the last sender to go).
    items: Sleepers,
    /// Senders waiting for room (or for the last receiver to go).
    room: Sleepers,
}

// SAFETY: values move between threads through the ring, each read once by the receiver that
// claimed its slot after the sender released it (stamps, Release/Acquire): `T: Send` suffices.
unsafe impl<T: Send, const N: usize> Sync for Channel<T, N> {}
// SAFETY: as above; the ring owns its values.
unsafe impl<T: Send, const N: usize> Send for Channel<T, N> {}

impl<T, const N: usize> Channel<T, N> {
    /// One lap of positions: the power of two above `N`, so the index fits below it.
    const LAP: usize = {
        assert!(N > 0, "a channel needs at least one slot");
        assert!(N < usize::MAX / 4, "too many slots");
        (N + 1).next_power_of_two()
    };

    /// An empty channel, not yet split.
    pub const fn new() -> Channel<T, N> {
        Channel {
            tail: Padded(AtomicUsize::new(0)),
            head: Padded(AtomicUsize::new(0)),
            slots: Self::slots(),
            senders: AtomicUsize::new(0),
            receivers: AtomicUsize::new(0),
            split: AtomicU32::new(0),
            items: Sleepers::new(),
            room: Sleepers::new(),
        }
    }

    /// Every slot free in lap 0. A loop rather than `[const { .. }; N]`, so that a `new` made at
    /// run time makes its words at run time (the model checker's words must be).
    const fn slots() -> [Slot<T>; N] {
        let mut slots = [const { MaybeUninit::<Slot<T>>::uninit() }; N];
        let mut i = 0;
        while i < N {
            slots[i] = MaybeUninit::new(Slot { stamp: AtomicUsize::new(0), value: UnsafeCell::new(MaybeUninit::uninit()) });
            i += 1;
        }
        // SAFETY: every element was written just above; MaybeUninit<S> has the layout of S.
        unsafe { (&raw const slots as *const [Slot<T>; N]).read() }
    }

    /// The number of slots.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The channel's first sender and receiver (clone them for more). Once per channel.
    pub fn split(&self) -> Result<(Sender<'_, T, N>, Receiver<'_, T, N>), AlreadySplit> {
        if self.split.swap(1, Relaxed) != 0 {
            return Err(AlreadySplit);
        }
        self.senders.store(1, Relaxed);
        self.receivers.store(1, Relaxed);
        Ok((Sender { ch: self }, Receiver { ch: self }))
    }

    /// The next position after `pos`.
    #[inline]
    fn next(pos: usize) -> usize {
        let index = pos & (Self::LAP - 1);
        if index + 1 < N { pos + 1 } else { (pos & !(Self::LAP - 1)).wrapping_add(Self::LAP) }
    }

    /// Puts `value` in the ring, or gives it back if the ring is full.
    fn push(&self, value: T) -> Result<(), T> {
        let mut backoff = Backoff(0);
        let mut tail = self.tail.0.load(Relaxed);
        loop {
            let (index, lap) = (tail & (Self::LAP - 1), tail & !(Self::LAP - 1));
            let slot = &self.slots[index];
            let stamp = slot.stamp.load(Acquire);
            if stamp == lap {
                // Free in this lap: claim the position.
                match self.tail.0.compare_exchange_weak(tail, Self::next(tail), Relaxed, Relaxed) {
                    Ok(_) => {
                        // SAFETY: the claim makes this thread the slot's only user until the
                        // stamp below; the Acquire load above saw the last receiver's release,
                        // so its read of the old value is done.
                        unsafe { (*slot.value.get()).write(value) };
                        slot.stamp.store(lap.wrapping_add(1), Release);
                        return Ok(());
                    }
                    Err(now) => tail = now,
                }
            } else if stamp.wrapping_add(Self::LAP) == lap.wrapping_add(1) {
                // Still full from the lap before: the ring is full, unless a receiver has
                // claimed that item and not yet released the slot.
                if self.head.0.load(Relaxed).wrapping_add(Self::LAP) == tail {
                    return Err(value);
                }
                backoff.snooze();
                tail = self.tail.0.load(Relaxed);
            } else {
                // Another sender took this position: look again.
                spin_loop();
                tail = self.tail.0.load(Relaxed);
            }
        }
    }

    /// Takes the oldest value, if any.
    fn pop(&self) -> Option<T> {
        let mut backoff = Backoff(0);
        let mut head = self.head.0.load(Relaxed);
        loop {
            let (index, lap) = (head & (Self::LAP - 1), head & !(Self::LAP - 1));
            let slot = &self.slots[index];
            let stamp = slot.stamp.load(Acquire);
            if stamp == lap.wrapping_add(1) {
                // Full in this lap: claim the position.
                match self.head.0.compare_exchange_weak(head, Self::next(head), Relaxed, Relaxed) {
                    Ok(_) => {
                        // SAFETY: the claim makes this thread the slot's only user until the
                        // stamp below, and the Acquire load saw the sender's release of the
                        // value it wrote.
                        let value = unsafe { (*slot.value.get()).assume_init_read() };
                        slot.stamp.store(lap.wrapping_add(Self::LAP), Release);
                        return Some(value);
                    }
                    Err(now) => head = now,
                }
            } else if stamp == lap {
                // Not sent to in this lap: empty, unless a sender has claimed the position and
                // not yet released the slot.
                if self.tail.0.load(Relaxed) == head {
                    return None;
                }
                backoff.snooze();
                head = self.head.0.load(Relaxed);
            } else {
                spin_loop();
                head = self.head.0.load(Relaxed);
            }
        }
    }

    fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        if self.receivers.load(Relaxed) == 0 {
            return Err(TrySendError::Disconnected(value));
        }
        match self.push(value) {
            Ok(()) => {
                self.items.notify(false);
                // After the fence in `notify`: either the last receiver's drain (after its own
                // fence) sees this item, or this load sees it gone and drains.
                if self.receivers.load(Relaxed) == 0 {
                    self.drain();
                }
                Ok(())
            }
            Err(v) if self.receivers.load(Relaxed) == 0 => Err(TrySendError::Disconnected(v)),
            Err(v) => Err(TrySendError::Full(v)),
        }
    }

    fn send_timeout(&self, value: T, timeout: Option<Duration>) -> Result<(), SendTimeoutError<T>> {
        let mut value = Some(value);
        let r = self.room.block(timeout, || {
            let v = value.take()?;
            match self.try_send(v) {
                Ok(()) => Some(Ok(())),
                Err(TrySendError::Disconnected(v)) => Some(Err(SendTimeoutError::Disconnected(v))),
                Err(TrySendError::Full(v)) => {
                    value = Some(v);
                    None
                }
            }
        });
        match r {
            Some(r) => r,
            None => Err(SendTimeoutError::Timeout(value.take().expect("a timed-out send keeps its value"))),
        }
    }

    fn try_recv(&self) -> Result<T, TryRecvError> {
        if let Some(v) = self.pop() {
            self.room.notify(false);
            return Ok(v);
        }
        // Acquire: 0 is written by the last sender's drop, after every send of every sender
        // (their drops are a chain of read-modify-writes), so one more look sees all of them.
        if self.senders.load(Acquire) == 0 {
            return match self.pop() {
                Some(v) => Ok(v),
                None => Err(TryRecvError::Disconnected),
            };
        }
        Err(TryRecvError::Empty)
    }

    fn recv_timeout(&self, timeout: Option<Duration>) -> Result<T, RecvTimeoutError> {
        let r = self.items.block(timeout, || match self.try_recv() {
            Ok(v) => Some(Ok(v)),
            Err(TryRecvError::Disconnected) => Some(Err(RecvTimeoutError::Disconnected)),
            Err(TryRecvError::Empty) => None,
        });
        r.unwrap_or(Err(RecvTimeoutError::Timeout))
    }

    /// Drops every item left, once no receiver can take it. Several threads may drain at once:
    /// each item is popped, so dropped, by one of them.
    fn drain(&self) {
        while let Some(v) = self.pop() {
            drop(v);
        }
    }
}

impl<T, const N: usize> Default for Channel<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> Drop for Channel<T, N> {
    fn drop(&mut self) {
        // Only items whose endpoints were forgotten, or sent after the last receiver's drain
        // by a sender that then was forgotten, are still here; `&mut self`: nobody else is.
        self.drain();
    }
}

impl<T, const N: usize> fmt::Debug for Channel<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel").field("capacity", &N).finish_non_exhaustive()
    }
}

/// Makes a channel of `N` slots on this call's stack and runs `f` with its two endpoints (the
/// issue's `channel::<T, N>()`, without an allocator: the endpoints cannot outlive the call, so
/// threads that use them must be scoped ones). Items still in the ring at the end are dropped.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::channel;
/// let total = channel::<u32, 2, _>(|tx, rx| {
///     strand::thread::scope(|s| {
///         for t in 0..3 {
///             let tx = tx.clone();
///             s.spawn(move || tx.send(t).unwrap()).unwrap();
///         }
///         drop(tx);
///         let mut total = 0;
///         while let Ok(v) = rx.recv() {
///             total += v;
///         }
///         total
///     })
/// });
/// assert_eq!(total, 3);
/// # }
/// ```
pub fn scoped<T, const N: usize, R>(f: impl for<'a> FnOnce(Sender<'a, T, N>, Receiver<'a, T, N>) -> R) -> R {
    let ch = Channel::<T, N>::new();
    let Ok((tx, rx)) = ch.split() else { unreachable!("a fresh channel is not split") };
    f(tx, rx)
}

/// The sending side. Clone it for more senders; the last one dropped disconnects the receivers.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let ch = strand::sync::channel::Channel::<&str, 2>::new();
/// let (tx, rx) = ch.split().unwrap();
/// let tx2 = tx.clone();
/// tx.send("a").unwrap();
/// tx2.try_send("b").unwrap();
/// assert!(tx.try_send("c").is_err()); // full
/// assert_eq!((rx.recv(), rx.recv()), (Ok("a"), Ok("b")));
/// # }
/// ```
pub struct Sender<'a, T, const N: usize> {
    ch: &'a Channel<T, N>,
}

impl<'a, T, const N: usize> Sender<'a, T, N> {
    /// Sends, waiting while the ring is full. Fails, giving the value back, once every
    /// receiver is gone.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        match self.ch.try_send(value) {
            Ok(()) => Ok(()),
            Err(TrySendError::Disconnected(v)) => Err(SendError(v)),
            Err(TrySendError::Full(v)) => self.ch.send_timeout(v, None).map_err(|e| SendError(e.into_inner())),
        }
    }

    /// Sends if there is room now.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.ch.try_send(value)
    }

    /// Sends, waiting at most `timeout` for room.
    pub fn send_timeout(&self, value: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        match self.ch.try_send(value) {
            Ok(()) => Ok(()),
            Err(TrySendError::Disconnected(v)) => Err(SendTimeoutError::Disconnected(v)),
            Err(TrySendError::Full(v)) => self.ch.send_timeout(v, Some(timeout)),
        }
    }

    /// The channel's number of slots.
    pub fn capacity(&self) -> usize {
        N
    }
}

impl<T, const N: usize> Clone for Sender<'_, T, N> {
    fn clone(&self) -> Self {
        if self.ch.senders.fetch_add(1, Relaxed) > isize::MAX as usize {
            too_many_endpoints();
        }
        Sender { ch: self.ch }
    }
}

impl<T, const N: usize> Drop for Sender<'_, T, N> {
    fn drop(&mut self) {
        // Release: a receiver that sees 0 sees this sender's sends.
        if self.ch.senders.fetch_sub(1, AcqRel) == 1 {
            self.ch.items.notify(true);
        }
    }
}

impl<T, const N: usize> fmt::Debug for Sender<'_, T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

/// The receiving side. Clone it for more receivers; the last one dropped disconnects the
/// senders and drops what is left in the ring.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let ch = strand::sync::channel::Channel::<u8, 2>::new();
/// let (tx, rx) = ch.split().unwrap();
/// let rx2 = rx.clone();
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// assert_eq!(rx2.recv_timeout(core::time::Duration::from_millis(1)), Ok(2));
/// assert_eq!(rx2.capacity(), 2);
/// # }
/// ```
pub struct Receiver<'a, T, const N: usize> {
    ch: &'a Channel<T, N>,
}

impl<'a, T, const N: usize> Receiver<'a, T, N> {
    /// Receives, waiting while the ring is empty. Once every sender is gone it still returns
    /// what is left, then `RecvError`.
    pub fn recv(&self) -> Result<T, RecvError> {
        match self.ch.try_recv() {
            Ok(v) => Ok(v),
            Err(TryRecvError::Disconnected) => Err(RecvError),
            Err(TryRecvError::Empty) => self.ch.recv_timeout(None).map_err(|_| RecvError),
        }
    }

    /// Receives if there is an item now.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.ch.try_recv()
    }

    /// Receives, waiting at most `timeout` for an item.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        match self.ch.try_recv() {
            Ok(v) => Ok(v),
            Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
            Err(TryRecvError::Empty) => self.ch.recv_timeout(Some(timeout)),
        }
    }

    /// The channel's number of slots.
    pub fn capacity(&self) -> usize {
        N
    }
}

impl<T, const N: usize> Clone for Receiver<'_, T, N> {
    fn clone(&self) -> Self {
        if self.ch.receivers.fetch_add(1, Relaxed) > isize::MAX as usize {
            too_many_endpoints();
        }
        Receiver { ch: self.ch }
    }
}

impl<T, const N: usize> Drop for Receiver<'_, T, N> {
    fn drop(&mut self) {
        if self.ch.receivers.fetch_sub(1, AcqRel) == 1 {
            // The fence in `notify` orders the count's 0 before the drain's reads: a sender
            // that pushes after our drain looked sees the 0 and drains itself.
            self.ch.room.notify(true);
            self.ch.drain();
        }
    }
}

impl<T, const N: usize> fmt::Debug for Receiver<'_, T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

/// More endpoints than the address space could hold, which only leaking clones reaches.
#[cold]
#[inline(never)]
fn too_many_endpoints() -> ! {
    panic!("strand: more than isize::MAX endpoints of one channel");
}

impl fmt::Display for AlreadySplit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the channel was split already")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a channel with no receiver")
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("receiving on an empty channel with no sender")
    }
}
