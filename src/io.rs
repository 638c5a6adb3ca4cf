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

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::io::_print(1, format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! println {
    () => { $crate::io::_print(1, format_args!("\n")) };
    ($($arg:tt)*) => { $crate::io::_print(1, format_args!("{}\n", format_args!($($arg)*))) };
}

#[macro_export]
macro_rules! eprint {
    ($($arg:tt)*) => { $crate::io::_print(2, format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! eprintln {
    () => { $crate::io::_print(2, format_args!("\n")) };
    ($($arg:tt)*) => { $crate::io::_print(2, format_args!("{}\n", format_args!($($arg)*))) };
}
