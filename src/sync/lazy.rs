//! `LazyLock`: a value made by its initialiser on first use, then shared read-only; a
//! `OnceLock` that carries its own initialiser.
//!
//! After the first use, `force` (and `Deref`) is one Acquire load and a compare, as
//! `OnceLock::get`; no syscall unless a thread arrives while another runs the initialiser.
//!
//! # Panics in the initialiser
//!
//! A panic aborts the process in strand, so an initialiser either finishes or takes every
//! thread with it: there is no poisoned state to report (std's `LazyLock` poisons, and later
//! uses panic). An initialiser that uses its own `LazyLock` again would wait for itself; the
//! `Once` underneath detects that and panics ("called re-entrantly").

use super::once::OnceLock;
use core::cell::UnsafeCell;
use core::fmt;
use core::ops::Deref;

/// A value computed by `F` on first access, by exactly one thread; the others wait for it.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::sync::LazyLock;
/// static PRIMES: LazyLock<[u32; 4]> = LazyLock::new(|| [2, 3, 5, 7]);
/// assert_eq!(LazyLock::get(&PRIMES), None);
/// let h = strand::thread::spawn(|| PRIMES[3]).unwrap();
/// assert_eq!(PRIMES.iter().sum::<u32>(), 17);
/// assert_eq!(h.join().ok(), Some(7));
/// # }
/// ```
pub struct LazyLock<T, F = fn() -> T> {
    cell: OnceLock<T>,
    /// Taken by the one thread that runs the initialiser, inside the `Once`.
    init: UnsafeCell<Option<F>>,
}

// SAFETY: the value is shared (`T: Sync`) after one thread made it, possibly not the one that
// created the lock (`T: Send`); the initialiser is moved to and run by whichever thread first
// forces it (`F: Send`), and never shared.
unsafe impl<T: Sync + Send, F: Send> Sync for LazyLock<T, F> {}

impl<T, F: FnOnce() -> T> LazyLock<T, F> {
    /// A lazy value that `f` will make on first use (usable in a `static`).
    pub const fn new(f: F) -> LazyLock<T, F> {
        LazyLock { cell: OnceLock::new(), init: UnsafeCell::new(Some(f)) }
    }

    /// The value, made by the initialiser if this is the first use.
    #[inline]
    pub fn force(this: &LazyLock<T, F>) -> &T {
        this.cell.get_or_init(|| {
            // SAFETY: only the one thread running the `Once` gets here, once.
            let f = unsafe { (*this.init.get()).take() };
            f.expect("LazyLock initialiser run twice")()
        })
    }

    /// The value if it has been made, else `None` (without making it).
    pub fn get(this: &LazyLock<T, F>) -> Option<&T> {
        this.cell.get()
    }

    /// The value if it was made, else the initialiser that was never run.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::sync::LazyLock;
    /// let lazy = LazyLock::new(|| 1 + 1);
    /// assert_eq!(*LazyLock::force(&lazy), 2);
    /// assert_eq!(LazyLock::into_inner(lazy).ok(), Some(2));
    /// let never = LazyLock::new(|| 3);
    /// assert!(LazyLock::into_inner(never).is_err());
    /// # }
    /// ```
    pub fn into_inner(this: LazyLock<T, F>) -> Result<T, F> {
        let LazyLock { cell, init } = this;
        match cell.into_inner() {
            Some(v) => Ok(v),
            None => Err(init.into_inner().expect("an unforced LazyLock keeps its initialiser")),
        }
    }
}

impl<T, F: FnOnce() -> T> Deref for LazyLock<T, F> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        LazyLock::force(self)
    }
}

impl<T: Default> Default for LazyLock<T> {
    fn default() -> Self {
        LazyLock::new(T::default)
    }
}

impl<T: fmt::Debug, F> fmt::Debug for LazyLock<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cell.get() {
            Some(v) => f.debug_tuple("LazyLock").field(v).finish(),
            None => f.write_str("LazyLock(<uninit>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_on_first_use() {
        let runs = core::cell::Cell::new(0);
        let l = LazyLock::new(|| {
            runs.set(runs.get() + 1);
            7
        });
        assert!(LazyLock::get(&l).is_none());
        assert_eq!(*l + *l, 14);
        assert_eq!(runs.get(), 1);
        assert_eq!(LazyLock::into_inner(l).ok(), Some(7));
        let never = LazyLock::new(|| 1);
        assert!(LazyLock::into_inner(never).is_err());
    }
}
