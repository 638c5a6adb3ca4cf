//! `Once` and `OnceLock`: run an initialiser exactly once; later callers wait for it.

use super::atomic_wait::{current_tid, futex, AtomicI32, AtomicU32};
use core::cell::UnsafeCell;
use core::fmt;
use core::mem::MaybeUninit;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

const INCOMPLETE: u32 = 0;
const RUNNING: u32 = 1;
/// Running, and at least one thread sleeps waiting for it.
const QUEUED: u32 = 2;
const COMPLETE: u32 = 3;

/// Runs a piece of code exactly once, however many threads ask at the same time; the others
/// wait until it has finished.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::Once;
/// use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
/// static INIT: Once = Once::new();
/// static RUNS: AtomicU32 = AtomicU32::new(0);
/// let hs = [(); 3].map(|()| strand::thread::spawn(|| INIT.call_once(|| { RUNS.fetch_add(1, Relaxed); })).unwrap());
/// for h in hs {
///     h.join().unwrap();
/// }
/// assert!(INIT.is_completed());
/// assert_eq!(RUNS.load(Relaxed), 1);
/// # }
/// ```
pub struct Once {
    state: AtomicU32,
    /// The tid running the initialiser, to report a re-entrant call instead of deadlocking.
    runner: AtomicI32,
}

impl Once {
    /// A `Once` that has not run (usable in a `static`).
    pub const fn new() -> Once {
        Once { state: AtomicU32::new(INCOMPLETE), runner: AtomicI32::new(0) }
    }

    /// Whether some `call_once` has finished running its closure.
    #[inline]
    pub fn is_completed(&self) -> bool {
        self.state.load(Acquire) == COMPLETE
    }

    /// Runs `f` if no call has run it yet; returns once some call's `f` has finished.
    ///
    /// Calling `call_once` on the same `Once` from inside `f` is a deadlock; strand detects it
    /// and panics.
    #[inline]
    #[track_caller]
    pub fn call_once<F: FnOnce()>(&self, f: F) {
        if !self.is_completed() {
            self.call_once_slow(f);
        }
    }

    #[cold]
    #[track_caller]
    fn call_once_slow<F: FnOnce()>(&self, f: F) {
        let mut f = Some(f);
        let mut state = self.state.load(Acquire);
        loop {
            match state {
                COMPLETE => return,
                INCOMPLETE => match self.state.compare_exchange(INCOMPLETE, RUNNING, Acquire, Acquire) {
                    Ok(_) => {
                        self.runner.store(current_tid(), Relaxed);
                        (f.take().expect("Once initialiser taken twice"))();
                        self.runner.store(0, Relaxed);
                        if self.state.swap(COMPLETE, Release) == QUEUED {
                            futex::wake_private(&self.state, i32::MAX as u32);
                        }
                        return;
                    }
                    Err(s) => state = s,
                },
                _ => {
                    if self.runner.load(Relaxed) == current_tid() {
                        panic!("strand: Once::call_once called re-entrantly from its own initialiser");
                    }
                    if state == RUNNING {
                        if let Err(s) = self.state.compare_exchange(RUNNING, QUEUED, Relaxed, Acquire) {
                            state = s;
                            continue;
                        }
                    }
                    futex::wait_private(&self.state, QUEUED, None);
                    state = self.state.load(Acquire);
                }
            }
        }
    }
}

impl Default for Once {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Once").field("completed", &self.is_completed()).finish()
    }
}

/// A cell written once, then shared read-only.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::OnceLock;
/// static CONFIG: OnceLock<u32> = OnceLock::new();
/// assert_eq!(CONFIG.get(), None);
/// let h = strand::thread::spawn(|| *CONFIG.get_or_init(|| 7)).unwrap();
/// let mine = *CONFIG.get_or_init(|| 7);
/// assert_eq!(h.join().ok(), Some(mine));
/// assert_eq!(CONFIG.set(8), Err(8));
/// # }
/// ```
pub struct OnceLock<T> {
    once: Once,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: the value is written by one thread (inside `Once`), then only read; readers on other
// threads need `T: Sync`, and the value may be dropped or taken on another thread, so `T: Send`.
unsafe impl<T: Sync + Send> Sync for OnceLock<T> {}
// SAFETY: moving the lock moves the value.
unsafe impl<T: Send> Send for OnceLock<T> {}

impl<T> OnceLock<T> {
    /// An empty cell (usable in a `static`).
    pub const fn new() -> OnceLock<T> {
        OnceLock { once: Once::new(), value: UnsafeCell::new(MaybeUninit::uninit()) }
    }

    /// The value, if it has been set; never waits.
    #[inline]
    pub fn get(&self) -> Option<&T> {
        // SAFETY: a completed Once means the value was written (with Release, read with Acquire).
        self.once.is_completed().then(|| unsafe { (*self.value.get()).assume_init_ref() })
    }

    /// The value, mutably, if it has been set.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        // SAFETY: as in `get`; `&mut self` makes the borrow unique.
        self.once.is_completed().then(|| unsafe { (*self.value.get()).assume_init_mut() })
    }

    /// Returns the value, running `f` to make it if nobody has yet.
    #[track_caller]
    pub fn get_or_init<F: FnOnce() -> T>(&self, f: F) -> &T {
        if let Some(v) = self.get() {
            return v;
        }
        self.once.call_once(|| {
            // SAFETY: only the one thread running the Once writes, before it completes.
            unsafe { (*self.value.get()).write(f()) };
        });
        self.get().expect("OnceLock initialised")
    }

    /// Stores `value` if the cell is empty; otherwise hands it back.
    pub fn set(&self, value: T) -> Result<(), T> {
        let mut value = Some(value);
        self.get_or_init(|| value.take().expect("value present"));
        match value {
            None => Ok(()),
            Some(v) => Err(v),
        }
    }

    /// Consumes the cell and returns its value, if it was set.
    pub fn into_inner(mut self) -> Option<T> {
        let v = self.take();
        core::mem::forget(self);
        v
    }

    /// Takes the value out, leaving the cell empty (and settable again).
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::sync::OnceLock;
    /// let mut cell = OnceLock::new();
    /// assert_eq!(cell.set(1), Ok(()));
    /// *cell.get_mut().unwrap() += 1;
    /// assert_eq!(cell.take(), Some(2));
    /// assert_eq!(cell.get(), None);
    /// cell.set(5).unwrap();
    /// assert_eq!(cell.into_inner(), Some(5));
    /// # }
    /// ```
    pub fn take(&mut self) -> Option<T> {
        if !self.once.is_completed() {
            return None;
        }
        self.once = Once::new();
        // SAFETY: it was complete, so the value was written; resetting `once` means it will not
        // be read or dropped again.
        Some(unsafe { (*self.value.get()).assume_init_read() })
    }
}

impl<T> Default for OnceLock<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Drop for OnceLock<T> {
    fn drop(&mut self) {
        if self.once.is_completed() {
            // SAFETY: complete means written, and we are the last user.
            unsafe { (*self.value.get()).assume_init_drop() };
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.get() {
            Some(v) => f.debug_tuple("OnceLock").field(v).finish(),
            None => f.write_str("OnceLock(<uninit>)"),
        }
    }
}
