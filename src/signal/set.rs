//! `SigSet`: a set of signals in the kernel's `sigset_t` layout.

use super::Signal;
use crate::arch::sys::general as g;
use core::fmt;

/// A kernel signal set: `_NSIG` bits (64 on most ABIs, 128 on mips) in `unsigned long` words, as
/// the kernel's `sigset_t` (include/uapi/asm-generic/signal.h); word-sized so bit n lands in the
/// right place on big-endian ABIs too.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::signal::{SigSet, Signal};
/// let mut s = SigSet::of(&[Signal::INT, Signal::TERM]);
/// s.insert(Signal::HUP);
/// s.remove(Signal::INT);
/// assert!(s.contains(Signal::HUP) && !s.contains(Signal::INT));
/// let t = SigSet::of(&[Signal::TERM, Signal::USR1]);
/// assert_eq!(s.intersection(&t), SigSet::of(&[Signal::TERM]));
/// assert_eq!(s.union(&t).difference(&s), SigSet::of(&[Signal::USR1]));
/// assert!(SigSet::EMPTY.is_empty() && SigSet::FULL.contains(Signal::USR2));
/// let mut it = s.iter();
/// assert_eq!((it.next(), it.next(), it.next()), (Some(Signal::HUP), Some(Signal::TERM), None));
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct SigSet([usize; WORDS]);

const WORDS: usize = g::_NSIG as usize / usize::BITS as usize;

// rt_sigprocmask, rt_sigaction, rt_sigtimedwait and signalfd4 take the set's size and insist on
// exactly _NSIG / 8 bytes (kernel/signal.c).
static_assertions::const_assert_eq!(core::mem::size_of::<SigSet>(), g::_NSIG as usize / 8);

impl SigSet {
    /// No signal.
    pub const EMPTY: SigSet = SigSet([0; WORDS]);
    /// Every signal (the kernel ignores SIGKILL and SIGSTOP in a mask).
    pub const FULL: SigSet = SigSet([!0; WORDS]);

    /// The set holding `signals`.
    pub fn of(signals: &[Signal]) -> SigSet {
        let mut s = SigSet::EMPTY;
        for &sig in signals {
            s.insert(sig);
        }
        s
    }

    /// Whether `sig` is in the set.
    pub fn contains(&self, sig: Signal) -> bool {
        let (word, bit) = Self::bit(sig);
        self.0[word] & bit != 0
    }

    /// Adds `sig`.
    pub fn insert(&mut self, sig: Signal) {
        let (word, bit) = Self::bit(sig);
        self.0[word] |= bit;
    }

    /// Takes `sig` out.
    pub fn remove(&mut self, sig: Signal) {
        let (word, bit) = Self::bit(sig);
        self.0[word] &= !bit;
    }

    /// Whether the set holds no signal.
    pub fn is_empty(&self) -> bool {
        *self == SigSet::EMPTY
    }

    /// The signals in either set.
    pub fn union(&self, other: &SigSet) -> SigSet {
        let mut s = *self;
        s.0.iter_mut().zip(other.0).for_each(|(a, b)| *a |= b);
        s
    }

    /// The signals in `self` but not in `other`.
    pub fn difference(&self, other: &SigSet) -> SigSet {
        let mut s = *self;
        s.0.iter_mut().zip(other.0).for_each(|(a, b)| *a &= !b);
        s
    }

    /// The signals in both sets.
    pub fn intersection(&self, other: &SigSet) -> SigSet {
        let mut s = *self;
        s.0.iter_mut().zip(other.0).for_each(|(a, b)| *a &= b);
        s
    }

    /// The signals in the set, lowest first.
    pub fn iter(&self) -> impl Iterator<Item = Signal> + '_ {
        (1..=g::_NSIG).filter_map(|n| Signal::new(n).ok()).filter(|&s| self.contains(s))
    }

    /// The word and bit of `sig`: signals count from 1, and signal n is bit n - 1
    /// (include/linux/signal.h, sigaddset). A `Signal` is always in range.
    fn bit(sig: Signal) -> (usize, usize) {
        let bit = sig.number() as usize - 1;
        (bit / usize::BITS as usize, 1 << (bit % usize::BITS as usize))
    }
}

impl fmt::Debug for SigSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(|s| s.number())).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_signals_from_one() {
        let mut s = SigSet::EMPTY;
        s.insert(Signal::new(1).unwrap());
        assert_eq!(s.0[0], 1);
        let last = Signal::new(g::_NSIG).unwrap();
        s.insert(last);
        assert!(s.contains(Signal::new(1).unwrap()) && s.contains(last) && !s.contains(Signal::new(2).unwrap()));
        assert_eq!(s.0[WORDS - 1] >> (usize::BITS - 1), 1);
        s.remove(Signal::new(1).unwrap());
        assert!(!s.contains(Signal::new(1).unwrap()));
        assert_eq!(s.iter().map(Signal::number).collect::<std::vec::Vec<_>>(), [g::_NSIG]);
    }

    #[test]
    fn set_operations() {
        let a = SigSet::of(&[Signal::USR1, Signal::USR2]);
        let b = SigSet::of(&[Signal::USR2, Signal::TERM]);
        assert_eq!(a.union(&b), SigSet::of(&[Signal::USR1, Signal::USR2, Signal::TERM]));
        assert_eq!(a.intersection(&b), SigSet::of(&[Signal::USR2]));
        assert_eq!(a.difference(&b), SigSet::of(&[Signal::USR1]));
        assert!(SigSet::EMPTY.is_empty() && !a.is_empty());
    }
}
