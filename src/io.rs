//! `print!` and friends: formatted output to fds 1 and 2 with no allocator.
//!
//! Each call formats into a stack buffer and writes it out whole under one lock, so lines from
//! different threads do not interleave (a line longer than the buffer goes out in pieces, still
//! under the lock).

use crate::sync::internal::InternalMutex;
use crate::syscall;
use core::fmt::{self, Write};

static OUTPUT: InternalMutex<()> = InternalMutex::new(());

/// Formats into a fixed buffer, writing it to `fd` whenever it fills.
pub(crate) struct FdWriter {
    fd: i32,
    buf: [u8; 512],
    len: usize,
}

impl FdWriter {
    pub(crate) fn new(fd: i32) -> FdWriter {
        FdWriter { fd, buf: [0; 512], len: 0 }
    }

    pub(crate) fn flush(&mut self) {
        let _ = syscall::write_all(self.fd, &self.buf[..self.len]);
        self.len = 0;
    }
}

impl Write for FdWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for chunk in s.as_bytes().chunks(self.buf.len()) {
            if self.len + chunk.len() > self.buf.len() {
                self.flush();
            }
            self.buf[self.len..self.len + chunk.len()].copy_from_slice(chunk);
            self.len += chunk.len();
        }
        Ok(())
    }
}

#[doc(hidden)]
pub fn _print(fd: i32, args: fmt::Arguments<'_>) {
    let _guard = OUTPUT.lock();
    let mut w = FdWriter::new(fd);
    let _ = w.write_fmt(args);
    w.flush();
}

/// Prints to standard output (fd 1) with no newline. The text is written under strand's output
/// lock (in one `write` unless it is longer than the 512-byte buffer), so it does not
/// interleave with other threads' output.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let n = 3;
/// strand::print!("{n} threads");
/// strand::print!("\n");
/// # }
/// ```
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::io::_print(1, format_args!($($arg)*)) };
}

/// Prints to standard output (fd 1) followed by a newline, written under strand's output lock:
/// lines from different threads never interleave.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let h = strand::thread::spawn(|| strand::println!("from a thread")).unwrap();
/// strand::println!("from main");
/// assert!(h.join().is_ok());
/// # }
/// ```
#[macro_export]
macro_rules! println {
    () => { $crate::io::_print(1, format_args!("\n")) };
    ($($arg:tt)*) => { $crate::io::_print(1, format_args!("{}\n", format_args!($($arg)*))) };
}

/// Prints to standard error (fd 2) with no newline, under the same lock as [`print!`].
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// strand::eprint!("progress: {}%", 50);
/// strand::eprint!("\n");
/// # }
/// ```
#[macro_export]
macro_rules! eprint {
    ($($arg:tt)*) => { $crate::io::_print(2, format_args!($($arg)*)) };
}

/// Prints to standard error (fd 2) followed by a newline, under the same lock as [`println!`].
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let code = 2;
/// strand::eprintln!("warning: exit code would be {code}");
/// # }
/// ```
#[macro_export]
macro_rules! eprintln {
    () => { $crate::io::_print(2, format_args!("\n")) };
    ($($arg:tt)*) => { $crate::io::_print(2, format_args!("{}\n", format_args!($($arg)*))) };
}
