//! The names almost every strand program uses, for `use strand::prelude::*;`.
//!
//! The set follows what Rust's std puts within easy reach, and stays small so that a glob
//! import does not shadow a program's own names:
//!
//! - output: [`print!`], [`println!`], [`eprint!`], [`eprintln!`];
//! - threads: the [`thread`] module itself (for `thread::sleep`, `thread::current`, ...),
//!   [`spawn`], [`scope`], [`Builder`], [`JoinHandle`], and [`thread_local!`];
//! - the everyday locks: [`Mutex`], [`Condvar`], [`RwLock`], [`Once`], [`OnceLock`],
//!   [`LazyLock`], [`Barrier`];
//! - [`Duration`], which timeouts and `sleep` take.
//!
//! Left out on purpose: the specialised locks (priority inheritance, robust, reentrant), the
//! channels, signals and futexes, whose names (`wait`, `wake`, `block`, ...) are too generic to
//! import by glob; a program names those by path (`strand::signal::block`).
//!
//! ```
//! # #![no_std]
//! # #![no_main]
//! # strand::main!(main);
//! use strand::prelude::*;
//!
//! static TOTAL: Mutex<u64> = Mutex::new(0);
//!
//! # fn main() {
//! let handles = [1u64, 2, 3].map(|n| spawn(move || *TOTAL.lock() += n).unwrap());
//! for h in handles {
//!     assert!(h.join().is_ok());
//! }
//! assert_eq!(*TOTAL.lock(), 6);
//!
//! let mut squares = [0u64; 4];
//! scope(|s| {
//!     for (i, sq) in squares.iter_mut().enumerate() {
//!         s.spawn(move || *sq = (i * i) as u64).unwrap();
//!     }
//! });
//! assert_eq!(squares, [0, 1, 4, 9]);
//!
//! thread::sleep(Duration::from_millis(1));
//! println!("total {}", *TOTAL.lock());
//! # }
//! ```

pub use crate::{eprint, eprintln, print, println, thread_local};

pub use crate::thread::{self, scope, spawn, Builder, JoinHandle};

pub use crate::sync::{Barrier, Condvar, LazyLock, Mutex, Once, OnceLock, RwLock};

pub use core::time::Duration;
