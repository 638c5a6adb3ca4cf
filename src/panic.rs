//! Panics: strand's panic handler (feature `panic-handler`), and with the `unwind` feature the
//! typed panic payload `Panic` and `catch_unwind`.
//!
//! The handler prints one line naming the thread. Without `unwind` the process then exits
//! with 101 (a panic never unwinds). With `unwind` the panic unwinds the thread's stack to the
//! nearest `catch_unwind` (strand has one at the edge of every spawned thread, whose `join`
//! then gives `JoinError::Panicked`, and one around `main`, after which the process exits with
//! 101); if nothing catches it or the stack cannot be walked, the process exits with 101 at
//! once. See the README's "Unwinding panics".

#[cfg(feature = "unwind")]
use core::fmt;

#[cfg(all(feature = "panic-handler", not(test)))]
mod handler {
    use crate::io::FdWriter;
    use crate::rt;
    use crate::syscall;
    use crate::thread::Tcb;
    use core::fmt::Write;
    use core::panic::PanicInfo;
    use core::sync::atomic::Ordering::Relaxed;

    #[panic_handler]
    fn panic(info: &PanicInfo<'_>) -> ! {
        let mut w = FdWriter::new(2);
        if rt::is_ready() {
            let tcb = Tcb::current();
            if tcb.panicking.swap(true, Relaxed) {
                let _ = syscall::write_all(2, b"thread panicked while processing a panic; exiting\n");
                syscall::exit_group(101);
            }
            // Read without a lock (a panic inside set_name holds it).
            let name = tcb.name.load();
            let name = if name.is_empty() { "<unnamed>" } else { name.as_str() };
            let _ = write!(w, "thread '{}' (tid {}) panicked", name, tcb.tid());
        } else {
            let _ = write!(w, "thread '<start-up>' panicked");
        }
        match info.location() {
            Some(l) => {
                let _ = write!(w, " at {}:{}: ", l.file(), l.line());
            }
            None => {
                let _ = write!(w, ": ");
            }
        }
        let _ = writeln!(w, "{}", info.message());
        w.flush();
        // Unwind where that is possible: the thread pointer is set up (the exception lives in
        // the control block), and the panic may unwind (not a panic in a destructor during an
        // unwind, or from a `nounwind` function, which Rust reports through `can_unwind`).
        #[cfg(strand_unwinding)]
        if rt::is_ready() && info.can_unwind() {
            // Returns only if nothing caught it (END_OF_STACK) or the walk failed.
            let _ = crate::unwind::raise(super::Panic::new(format_args!("{}", info.message())));
        }
        syscall::exit_group(101)
    }
}

/// How many bytes of a panic's message a [`Panic`] keeps (the last ones replaced by
/// [`TRUNCATED_MARK`] when the message is longer).
#[cfg(feature = "unwind")]
pub const MESSAGE_CAPACITY: usize = 240;

/// What ends a panic message that did not fit in [`MESSAGE_CAPACITY`] bytes.
#[cfg(feature = "unwind")]
pub const TRUNCATED_MARK: &str = "[...]";

/// A caught panic: its message, formatted into a fixed buffer when the panic was raised (no
/// allocator: in `no_std` the message is all the payload a panic has).
///
/// A message longer than [`MESSAGE_CAPACITY`] bytes is cut at a character boundary and ends
/// with [`TRUNCATED_MARK`]; [`is_truncated`](Panic::is_truncated) says whether it was.
///
/// (Like [`Panic`] itself, this example exists only in a build with `panic = "unwind"`: the doc
/// tests run it when built that way, see the README's "Documentation and `strand::prelude`".)
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::panic::{Panic, MESSAGE_CAPACITY, TRUNCATED_MARK};
/// let p = Panic::new(format_args!("boom {}", 42));
/// assert_eq!(p.message(), "boom 42");
/// assert!(!p.is_truncated());
/// let long = Panic::new(format_args!("{:300}", "x"));
/// assert!(long.is_truncated() && long.message().ends_with(TRUNCATED_MARK));
/// assert!(long.message().len() <= MESSAGE_CAPACITY);
/// # }
/// ```
#[cfg(feature = "unwind")]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Panic {
    buf: [u8; MESSAGE_CAPACITY],
    len: usize,
    truncated: bool,
}

#[cfg(feature = "unwind")]
impl Panic {
    /// Formats `args` into a new payload, truncating as described on [`Panic`].
    pub fn new(args: fmt::Arguments<'_>) -> Panic {
        struct Fill<'a>(&'a mut Panic);
        impl fmt::Write for Fill<'_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                let p = &mut *self.0;
                let room = MESSAGE_CAPACITY - p.len;
                if s.len() <= room {
                    p.buf[p.len..p.len + s.len()].copy_from_slice(s.as_bytes());
                    p.len += s.len();
                    Ok(())
                } else {
                    let mut cut = room;
                    while !s.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    p.buf[p.len..p.len + cut].copy_from_slice(&s.as_bytes()[..cut]);
                    p.len += cut;
                    p.truncated = true;
                    // Stop formatting: the rest would not fit either.
                    Err(fmt::Error)
                }
            }
        }
        let mut p = Panic { buf: [0; MESSAGE_CAPACITY], len: 0, truncated: false };
        let _ = fmt::write(&mut Fill(&mut p), args);
        if p.truncated {
            // Make room for the mark, at a character boundary.
            let mut end = MESSAGE_CAPACITY - TRUNCATED_MARK.len();
            while end > 0 && (p.buf[end] & 0xC0) == 0x80 {
                end -= 1;
            }
            p.buf[end..end + TRUNCATED_MARK.len()].copy_from_slice(TRUNCATED_MARK.as_bytes());
            p.len = end + TRUNCATED_MARK.len();
        }
        p
    }

    /// The panic's message (ending with [`TRUNCATED_MARK`] if it was truncated).
    pub fn message(&self) -> &str {
        // Only whole characters of a `&str` were copied (cut at char boundaries), plus ASCII.
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("<panic message not UTF-8>")
    }

    /// Whether the message was longer than [`MESSAGE_CAPACITY`] and was cut.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }
}

#[cfg(feature = "unwind")]
impl fmt::Debug for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Panic").field("message", &self.message()).field("truncated", &self.truncated).finish()
    }
}

#[cfg(feature = "unwind")]
impl fmt::Display for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

#[cfg(feature = "unwind")]
pub use core::panic::{AssertUnwindSafe, RefUnwindSafe, UnwindSafe};

/// Runs `f` and catches a panic that unwinds out of it, as std's `catch_unwind`: `Ok` with
/// what `f` returned, or `Err` with the panic (whose message the panic handler has already
/// printed). The calling thread goes on normally afterwards, and may panic again.
///
/// Needs a program built with `panic = "unwind"`; a panic while another one is unwinding the
/// same thread (in a `Drop`) still ends the process, as in std.
///
/// (Runs in a doc-test run built with `panic = "unwind"`; see [`Panic`].)
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let r = strand::panic::catch_unwind(|| {
///     panic!("caught {}", 1);
/// });
/// assert_eq!(r.unwrap_err().message(), "caught 1");
/// // The thread goes on, and may panic again.
/// assert_eq!(strand::panic::catch_unwind(|| 5).ok(), Some(5));
/// # }
/// ```
#[cfg(all(strand_unwinding, not(test)))]
pub fn catch_unwind<F: FnOnce() -> R + UnwindSafe, R>(f: F) -> Result<R, Panic> {
    crate::unwind::catch(f)
}

#[cfg(all(test, feature = "unwind"))]
mod tests {
    use super::*;

    #[test]
    fn a_short_message_is_kept_whole() {
        let p = Panic::new(format_args!("boom {}", 42));
        assert_eq!(p.message(), "boom 42");
        assert!(!p.is_truncated());
    }

    #[test]
    fn a_long_message_is_cut_at_a_character_boundary_and_marked() {
        extern crate std;
        let long: std::string::String = "é".repeat(MESSAGE_CAPACITY);
        let p = Panic::new(format_args!("{long}"));
        assert!(p.is_truncated());
        assert!(p.message().ends_with(TRUNCATED_MARK));
        assert!(p.message().len() <= MESSAGE_CAPACITY);
        assert!(long.starts_with(p.message().strip_suffix(TRUNCATED_MARK).unwrap()));
    }
}
