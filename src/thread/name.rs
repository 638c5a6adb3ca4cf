//! Thread names: `ThreadName`, a name as Linux keeps it, and `NameCell`, the control block's
//! copy of a thread's name, which any thread, and any signal handler, reads without a lock.
//!
//! Why no lock for readers: `thread::current()` must be async-signal-safe. A handler that
//! interrupts its own thread while that thread renames itself would wait forever for a lock
//! (or for a sequence count to turn even) that only the interrupted code can release. So the
//! cell keeps two slots: a rename writes the slot readers are *not* using, then publishes it by
//! bumping a count of completed renames. A reader copies the published slot and keeps the copy
//! if the count did not move meanwhile; it never waits for a rename in progress, so a handler
//! reading mid-rename gets the name from before that rename. It retries only when another
//! thread completed a rename during its copy (the slot it copied may then have been rewritten by
//! the rename after that one), so it waits only for other threads' progress.
//!
//! Renames themselves must not overlap: every writer holds the control block's lock.

use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::sync::atomic::{fence, AtomicU32};
use crate::errno::Errno;

/// A thread name as Linux keeps it: at most 15 bytes (TASK_COMM_LEN - 1, include/linux/sched.h).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::thread::ThreadName;
/// let name = ThreadName::new("worker-1").unwrap();
/// assert_eq!(name.as_str(), "worker-1");
/// assert!(!name.is_empty());
/// assert!(ThreadName::new("sixteen-bytes-xx").is_none()); // one byte too many
/// assert!(ThreadName::empty().is_empty());
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ThreadName {
    /// The name, NUL-padded: `bytes[len..]` are all 0, so it is also the C string prctl takes.
    bytes: [u8; 16],
    len: u8,
}

impl ThreadName {
    /// The longest name in bytes: 15 (TASK_COMM_LEN - 1, include/linux/sched.h).
    pub const MAX_LEN: usize = 15;

    /// The empty name (what `thread::current().name()` reports as `None`).
    pub const fn empty() -> ThreadName {
        ThreadName { bytes: [0; 16], len: 0 }
    }

    /// `None` if longer than 15 bytes or containing a NUL byte ([`ThreadName::try_new`] says
    /// which).
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::thread::ThreadName;
    /// assert_eq!(ThreadName::new("fifteen-bytes-x").map(|n| n.as_str().len()), Some(15));
    /// assert!(ThreadName::new("nul\0inside").is_none());
    /// # }
    /// ```
    pub fn new(name: &str) -> Option<ThreadName> {
        ThreadName::try_new(name).ok()
    }

    /// The name, or why Linux cannot hold it: a NUL byte inside (checked first: the kernel
    /// would cut the name there), or more than [`ThreadName::MAX_LEN`] bytes.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::thread::{NameError, ThreadName};
    /// assert_eq!(ThreadName::try_new("a-much-too-long-name"), Err(NameError::TooLong { len: 20 }));
    /// assert_eq!(ThreadName::try_new("a\0b"), Err(NameError::ContainsNul { at: 1 }));
    /// assert!(ThreadName::try_new("ok").is_ok());
    /// # }
    /// ```
    pub fn try_new(name: &str) -> Result<ThreadName, NameError> {
        if let Some(at) = name.bytes().position(|b| b == 0) {
            return Err(NameError::ContainsNul { at });
        }
        if name.len() > Self::MAX_LEN {
            return Err(NameError::TooLong { len: name.len() });
        }
        let mut bytes = [0; 16];
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        Ok(ThreadName { bytes, len: name.len() as u8 })
    }

    /// From NUL-padded bytes: the name is what precedes the first NUL. `None` if there is no
    /// NUL (more than 15 bytes) or the name is not UTF-8.
    fn from_padded(bytes: [u8; 16]) -> Option<ThreadName> {
        let len = bytes.iter().position(|&b| b == 0)?;
        ThreadName::new(core::str::from_utf8(&bytes[..len]).ok()?)
    }

    /// The name as text (never more than [`ThreadName::MAX_LEN`] bytes).
    pub fn as_str(&self) -> &str {
        // SAFETY: `new` built it from a whole &str.
        unsafe { core::str::from_utf8_unchecked(&self.bytes[..self.len as usize]) }
    }

    /// Whether the name has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// NUL-terminated, for prctl.
    pub(crate) fn as_c_bytes(&self) -> &[u8; 16] {
        &self.bytes
    }
}

impl core::fmt::Debug for ThreadName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Why a thread could not be given a name: the one error of `Builder::name` (reported by
/// `spawn` as `ConfigError::Name`), `thread::set_name` and `JoinHandle::set_name`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::thread::NameError;
/// let b = strand::thread::Builder::new().name("sixteen-bytes-xx");
/// assert!(b.spawn(|| ()).is_err()); // ConfigError::Name
/// assert_eq!(strand::thread::set_name("x\0"), Err(NameError::ContainsNul { at: 1 }));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameError {
    /// Longer than [`ThreadName::MAX_LEN`] (15) bytes, the most the kernel keeps
    /// (TASK_COMM_LEN - 1, include/linux/sched.h); `len` is the name's length in bytes.
    TooLong {
        /// The name's length in bytes.
        len: usize,
    },
    /// A NUL byte at byte offset `at`: the kernel would silently cut the name there.
    ContainsNul {
        /// The NUL's byte offset in the name.
        at: usize,
    },
    /// The rename itself failed: `ESRCH` for a thread that has finished, or the error of the
    /// `prctl` or `/proc` write.
    Os(Errno),
}

impl core::fmt::Display for NameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            NameError::TooLong { len } => {
                write!(f, "thread name is {len} bytes; Linux keeps at most {} bytes", ThreadName::MAX_LEN)
            }
            NameError::ContainsNul { at } => write!(f, "thread name contains a NUL byte at offset {at}"),
            NameError::Os(e) => write!(f, "renaming the thread failed: {e}"),
        }
    }
}

impl From<Errno> for NameError {
    fn from(e: Errno) -> NameError {
        NameError::Os(e)
    }
}

/// A name's 16 bytes as atomic words, so that a reader racing a writer reads a stale or mixed
/// copy (which it then discards), never a data race.
const WORDS: usize = 4;
type Words = [u32; WORDS];

fn to_words(name: &ThreadName) -> Words {
    core::array::from_fn(|i| {
        let b = &name.bytes[i * 4..i * 4 + 4];
        u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
    })
}

fn from_words(words: Words) -> Option<ThreadName> {
    let mut bytes = [0u8; 16];
    for (chunk, w) in bytes.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&w.to_ne_bytes());
    }
    ThreadName::from_padded(bytes)
}

/// A thread's name, written under a lock and read without one (see the module comment).
pub(crate) struct NameCell {
    /// Completed renames. The published name is in `slots[renames % 2]`.
    renames: AtomicU32,
    slots: [[AtomicU32; WORDS]; 2],
}

impl NameCell {
    pub(crate) fn new(name: ThreadName) -> NameCell {
        let w = to_words(&name);
        NameCell { renames: AtomicU32::new(0), slots: [w.map(AtomicU32::new), [0; WORDS].map(AtomicU32::new)] }
    }

    /// The current name. Lock-free and async-signal-safe; never waits for the calling thread.
    pub(crate) fn load(&self) -> ThreadName {
        loop {
            if let Some(name) = self.try_load(self.begin_load()) {
                return name;
            }
            core::hint::spin_loop();
        }
    }

    /// The first step of a read: which rename count the copy starts from.
    fn begin_load(&self) -> u32 {
        // Acquire: pairs with the Release that published this count, so the slot's words are
        // the ones written before it.
        self.renames.load(Acquire)
    }

    /// Copies the slot published at count `n`; `None` if a rename completed meanwhile.
    fn try_load(&self, n: u32) -> Option<ThreadName> {
        let words = self.slots[(n & 1) as usize].each_ref().map(|w| w.load(Relaxed));
        // If any word came from a rename that rewrote this slot (the second one after `n`), this
        // fence synchronises with that rename's Release fence, so the count read below is at
        // least the first rename's: the copy is thrown away.
        fence(Acquire);
        if self.renames.load(Relaxed) != n {
            return None;
        }
        // A consistent copy of what a writer stored: always a whole ThreadName. (A copy that
        // failed to parse could only come from overlapping writers, which `store` rules out.)
        Some(from_words(words).unwrap_or(ThreadName::empty()))
    }

    /// Renames.
    ///
    /// # Safety
    /// Writers must not overlap: the caller holds the control block's lock, as every writer
    /// does. (A reader needs nothing.)
    pub(crate) unsafe fn store(&self, name: ThreadName) {
        // SAFETY: per the contract.
        unsafe { self.write_unpublished(name) };
        self.publish();
    }

    /// The first half of `store`: write the slot readers are not using.
    ///
    /// # Safety
    /// As `store`; `publish` must follow before the next write.
    unsafe fn write_unpublished(&self, name: ThreadName) {
        // Only writers change the count, and they do not overlap.
        let n = self.renames.load(Relaxed);
        let slot = &self.slots[(n.wrapping_add(1) & 1) as usize];
        // Orders everything before this rename (the previous rename's count above all) before
        // the words below, for a reader whose copy sees one of them (see `try_load`).
        fence(Release);
        for (w, v) in slot.iter().zip(to_words(&name)) {
            w.store(v, Relaxed);
        }
    }

    /// The second half of `store`: make the written slot the published one.
    fn publish(&self) {
        // Release: a reader that sees the new count sees the slot's new words. (The count wraps
        // after 2^32 renames; a reader would have to sleep through exactly that many in one copy
        // to be fooled.)
        let n = self.renames.load(Relaxed);
        self.renames.store(n.wrapping_add(1), Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> ThreadName {
        ThreadName::new(s).unwrap()
    }

    #[test]
    fn names_round_trip_through_words() {
        for s in ["", "a", "main", "fifteen-bytes-x", "ünïcödé"] {
            assert_eq!(from_words(to_words(&name(s))), Some(name(s)));
        }
        assert!(ThreadName::new("sixteen-bytes-xx").is_none());
        assert!(ThreadName::new("nul\0inside").is_none());
        assert_eq!(ThreadName::try_new("sixteen-bytes-xx"), Err(NameError::TooLong { len: 16 }));
        // A NUL is its own error even in a name that is also too long.
        assert_eq!(ThreadName::try_new("nul\0inside-and-too-long"), Err(NameError::ContainsNul { at: 3 }));
        // No NUL at all: not a name.
        assert!(ThreadName::from_padded([b'x'; 16]).is_none());
    }

    #[test]
    fn store_then_load() {
        let c = NameCell::new(name("first"));
        assert_eq!(c.load(), name("first"));
        for s in ["second", "", "fifteen-bytes-x", "x"] {
            // SAFETY: one writer.
            unsafe { c.store(name(s)) };
            assert_eq!(c.load(), name(s));
        }
    }

    /// A signal handler that interrupts its own thread's rename between the two halves reads
    /// the old name at once: it does not wait for the interrupted writer.
    #[test]
    fn a_reader_inside_an_unfinished_rename_gets_the_old_name() {
        let c = NameCell::new(name("old"));
        // SAFETY: one writer.
        unsafe { c.write_unpublished(name("new-and-longer")) };
        assert_eq!(c.load(), name("old"));
        c.publish();
        assert_eq!(c.load(), name("new-and-longer"));
    }

    /// A reader whose copy spans a rename (or two, the second rewriting the slot it copies)
    /// throws the copy away.
    #[test]
    fn a_copy_that_spans_a_rename_is_discarded() {
        let c = NameCell::new(name("zero"));
        let n = c.begin_load();
        // SAFETY: one writer.
        unsafe { c.store(name("one")) };
        assert_eq!(c.try_load(n), None);
        let n = c.begin_load();
        // SAFETY: one writer.
        unsafe {
            c.store(name("two"));
            c.write_unpublished(name("three-rewrites"));
        }
        // The slot `n` names now holds "three-rewrites", unpublished: the count says so.
        assert_eq!(c.try_load(n), None);
        c.publish();
        assert_eq!(c.load(), name("three-rewrites"));
    }
}
