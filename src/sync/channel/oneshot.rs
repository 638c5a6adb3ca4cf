//! A channel for one value: `Oneshot<T>` is one slot and one futex word; its sender sends once,
//! its receiver receives once, and either side going away is seen by the other.
//!
//! The word is one of: `UNSPLIT`; `EMPTY`; `WAITING` (empty, and the receiver sleeps or is
//! about to); `SENT` (the value is in the slot); `SENDER_GONE` (dropped without sending);
//! `RECEIVER_GONE`; `TAKEN` (the value has left the slot). The sender writes the slot, then
//! swaps in `SENT` (Release), and wakes only if it took `WAITING` out; the receiver reads the
//! slot only after it saw `SENT` (Acquire). A sender that finds `RECEIVER_GONE` takes its value
//! back out of the slot, which nobody else reads any more; a receiver dropped after a send
//! drops the value. So the value is dropped exactly once, by whoever last had it.

use crate::sync::atomic_wait::futex::{self, WaitResult};
use crate::sync::atomic_wait::AtomicU32;
use super::{AlreadySplit, RecvError, RecvTimeoutError, TryRecvError};
use crate::time::Instant;
use core::cell::UnsafeCell;
use core::fmt;
use core::mem::{ManuallyDrop, MaybeUninit};
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use core::time::Duration;

const UNSPLIT: u32 = 0;
const EMPTY: u32 = 1;
const WAITING: u32 = 2;
const SENT: u32 = 3;
const SENDER_GONE: u32 = 4;
const RECEIVER_GONE: u32 = 5;
const TAKEN: u32 = 6;

/// One value's channel (see the module doc). Split it once into its two ends.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::channel::Oneshot;
/// static REPLY: Oneshot<u64> = Oneshot::new();
/// let (tx, rx) = REPLY.split().unwrap();
/// let h = strand::thread::spawn(move || tx.send(6 * 7)).unwrap();
/// assert_eq!(rx.recv(), Ok(42));
/// assert!(h.join().unwrap().is_ok());
/// # }
/// ```
pub struct Oneshot<T> {
    state: AtomicU32,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: the value goes from the sender's thread to the receiver's, read once after the
// Release/Acquire hand-over of the word (module doc): `T: Send` suffices.
unsafe impl<T: Send> Sync for Oneshot<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Oneshot<T> {}

impl<T> Oneshot<T> {
    /// An empty, unsplit oneshot (usable in a `static`).
    pub const fn new() -> Oneshot<T> {
        Oneshot { state: AtomicU32::new(UNSPLIT), value: UnsafeCell::new(MaybeUninit::uninit()) }
    }

    /// The sender and the receiver. Once per `Oneshot`.
    pub fn split(&self) -> Result<(OneshotSender<'_, T>, OneshotReceiver<'_, T>), AlreadySplit> {
        match self.state.compare_exchange(UNSPLIT, EMPTY, Relaxed, Relaxed) {
            Ok(_) => Ok((OneshotSender { one: self }, OneshotReceiver { one: self })),
            Err(_) => Err(AlreadySplit),
        }
    }

    /// Takes the value out of the slot.
    ///
    /// # Safety
    /// The slot holds a value that no other thread reads or writes any more (the word said so).
    unsafe fn take(&self) -> T {
        self.state.store(TAKEN, Relaxed);
        // SAFETY: per the contract.
        unsafe { (*self.value.get()).assume_init_read() }
    }
}

impl<T> Default for Oneshot<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Drop for Oneshot<T> {
    fn drop(&mut self) {
        // Only if the receiver was forgotten after a send is the value still here.
        if self.state.load(Acquire) == SENT {
            // SAFETY: `&mut self`: both ends are gone; SENT: the slot holds the value.
            drop(unsafe { self.take() });
        }
    }
}

impl<T> fmt::Debug for Oneshot<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Oneshot").finish_non_exhaustive()
    }
}

/// Sends the one value; dropped unsent, it disconnects the receiver.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::channel::{Oneshot, RecvError};
/// let one = Oneshot::<u8>::new();
/// let (tx, rx) = one.split().unwrap();
/// drop(tx); // never sent
/// assert_eq!(rx.recv(), Err(RecvError));
/// let two = Oneshot::<u8>::new();
/// let (tx, rx) = two.split().unwrap();
/// drop(rx);
/// assert_eq!(tx.send(1), Err(1)); // the receiver is gone: the value comes back
/// # }
/// ```
pub struct OneshotSender<'a, T> {
    one: &'a Oneshot<T>,
}

impl<T> OneshotSender<'_, T> {
    /// Sends the value; gives it back if the receiver is gone.
    pub fn send(self, value: T) -> Result<(), T> {
        let this = ManuallyDrop::new(self);
        let one = this.one;
        // SAFETY: only the sender writes the slot, and before it publishes SENT nobody reads it.
        unsafe { (*one.value.get()).write(value) };
        match one.state.swap(SENT, AcqRel) {
            WAITING => {
                futex::wake_private(&one.state, 1);
                Ok(())
            }
            // SAFETY: the receiver is gone and never reads the slot now; we wrote it above.
            RECEIVER_GONE => Err(unsafe { one.take() }),
            _ => Ok(()),
        }
    }
}

impl<T> Drop for OneshotSender<'_, T> {
    fn drop(&mut self) {
        if self.one.state.swap(SENDER_GONE, Release) == WAITING {
            futex::wake_private(&self.one.state, 1);
        }
    }
}

impl<T> fmt::Debug for OneshotSender<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneshotSender").finish_non_exhaustive()
    }
}

/// Receives the one value; `Disconnected` if the sender went away without sending.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::channel::{Oneshot, TryRecvError, RecvTimeoutError};
/// use core::time::Duration;
/// let one = Oneshot::<u8>::new();
/// let (tx, mut rx) = one.split().unwrap();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
/// drop(tx); // dropped unsent
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
/// # }
/// ```
pub struct OneshotReceiver<'a, T> {
    one: &'a Oneshot<T>,
}

impl<T> OneshotReceiver<'_, T> {
    /// The value if it is there (`Disconnected` also once it was received).
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.one.state.load(Acquire) {
            // SAFETY: SENT (Acquire): the sender wrote the slot and is done with it.
            SENT => Ok(unsafe { self.one.take() }),
            SENDER_GONE | TAKEN => Err(TryRecvError::Disconnected),
            _ => Err(TryRecvError::Empty),
        }
    }

    /// Waits for the value.
    pub fn recv(mut self) -> Result<T, RecvError> {
        self.wait(None).map_err(|_| RecvError)
    }

    /// Waits at most `timeout` for the value.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.wait(Some(timeout))
    }

    fn wait(&mut self, timeout: Option<Duration>) -> Result<T, RecvTimeoutError> {
        let start = timeout.map(|_| Instant::now());
        loop {
            match self.try_recv() {
                Ok(v) => return Ok(v),
                Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
                Err(TryRecvError::Empty) => {}
            }
            if self.one.state.compare_exchange(EMPTY, WAITING, Relaxed, Relaxed).is_err()
                && self.one.state.load(Relaxed) != WAITING
            {
                continue;
            }
            let left = match (timeout, start) {
                (Some(t), Some(s)) => match t.checked_sub(s.elapsed()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return self.try_recv().map_err(|_| RecvTimeoutError::Timeout),
                },
                _ => None,
            };
            if futex::wait_private(&self.one.state, WAITING, left) == WaitResult::TimedOut {
                return match self.try_recv() {
                    Ok(v) => Ok(v),
                    Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
                    Err(TryRecvError::Empty) => Err(RecvTimeoutError::Timeout),
                };
            }
        }
    }
}

impl<T> Drop for OneshotReceiver<'_, T> {
    fn drop(&mut self) {
        if self.one.state.swap(RECEIVER_GONE, Acquire) == SENT {
            // SAFETY: SENT (Acquire): the sender is done with the slot, and the word now says
            // RECEIVER_GONE to nobody (the sender has sent).
            drop(unsafe { self.one.take() });
        }
    }
}

impl<T> fmt::Debug for OneshotReceiver<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneshotReceiver").finish_non_exhaustive()
    }
}
