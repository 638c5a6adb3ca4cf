//! strand: threads, thread-local storage, futexes and locks for static Linux executables with
//! no libc. It talks to the kernel only through raw syscalls; everything that differs between
//! CPU architectures lives in `arch/`, one file per ABI.
//!
//! A program declares its entry with [`main!`]; strand's `_start` sets up the process (argv,
//! environment, auxiliary vector, the main thread's TLS) and calls it. [`prelude`] gathers the
//! names most programs use (`use strand::prelude::*;`).
//!
//! ```
//! # #![no_std]
//! # #![no_main]
//! # strand::main!(main);
//! fn main() {
//!     let h = strand::thread::spawn(|| 40 + 2).unwrap();
//!     assert_eq!(h.join().ok(), Some(42));
//! }
//! ```
#![cfg_attr(not(test), no_std)]
#![warn(unsafe_op_in_unsafe_fn)]
// Every public item has rustdoc; its examples run as strand programs (`cargo test --doc`).
#![warn(missing_docs)]
// `thread_local!` expands to a `#[thread_local]` static in the user's crate; this lets the
// expansion use the feature without the user's crate enabling it.
#![feature(allow_internal_unstable)]
#![allow(internal_features)]
// Set by build.rs from the ABI table for the ABIs whose `asm!` is still unstable.
#![cfg_attr(strand_asm_experimental, feature(asm_experimental_arch))]
// With `unwind`, the panic handler must not start an unwind that Rust says cannot happen (a
// panic from a `nounwind` context); `PanicInfo::can_unwind` is the only way to know.
#![cfg_attr(all(strand_unwinding, not(test)), feature(panic_can_unwind))]

#[path = "../arch/mod.rs"]
pub mod arch;

#[cfg(feature = "alloc")]
pub mod alloc;
pub mod env;
pub mod errno;
pub mod futex;
pub mod io;
pub mod prelude;
pub mod panic;
pub mod process;
pub mod resource;
pub mod rt;
pub mod signal;
pub mod stack_guard;
pub mod startup;
pub mod sync;
pub mod syscall;
pub mod thread;
pub mod time;
pub mod tls;
#[cfg(all(strand_unwinding, not(test)))]
mod unwind;

// The `unwind` feature does nothing useful without landing pads, and mixing strategies fails
// at link time with less clear errors: say what is missing. (The host unit tests use std's
// unwinder and leave strand's out.)
#[cfg(all(feature = "unwind", panic = "abort", not(test)))]
compile_error!(
    "strand's `unwind` feature needs `panic = \"unwind\"` for every crate, core included: set it in the profile \
     (strand's own `[profile.unwind]`) and build core with -Zbuild-std (README, \"Unwinding panics\")"
);

pub use errno::Errno;
pub use rt::{at_exit, exit};

/// What `main` may return: `()`, an exit code, or a `Result` whose error is printed.
///
/// [`main!`] turns the value into the process's exit status with [`MainResult::exit_code`].
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::MainResult;
/// assert_eq!(().exit_code(), 0);
/// assert_eq!(3.exit_code(), 3);
/// assert_eq!(Ok::<(), &str>(()).exit_code(), 0);
/// // An error is printed to stderr as `Error: {e:?}` and becomes status 1.
/// assert_eq!(Err::<(), &str>("no input").exit_code(), 1);
/// # }
/// ```
pub trait MainResult {
    /// The exit status this value stands for (a `Result`'s error is printed first).
    fn exit_code(self) -> i32;
}

impl MainResult for () {
    fn exit_code(self) -> i32 {
        0
    }
}

impl MainResult for i32 {
    fn exit_code(self) -> i32 {
        self
    }
}

impl<E: core::fmt::Debug> MainResult for Result<(), E> {
    fn exit_code(self) -> i32 {
        match self {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("Error: {e:?}");
                1
            }
        }
    }
}

/// Declares the program's entry point: `strand::main!(main);` with `fn main() -> R` where `R` is
/// `()`, `i32` or `Result<(), E: Debug>`.
///
/// SIGPIPE, the one signal whose policy differs between C and Rust std, is one setting here:
/// `strand::main!(main);` keeps the kernel's default, as C does (a write to a pipe or socket
/// whose reader is gone ends the process, which is what a filter in a shell pipeline wants);
/// `strand::main!(main, sigpipe = ignore);` ignores it before `main` runs, as Rust std does
/// (such a write fails with `EPIPE`, which a server wants).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// strand::main!(main, sigpipe = ignore);
///
/// fn main() -> Result<(), strand::Errno> {
///     // Ignored before `main` ran: a write to a closed pipe would now fail with EPIPE.
///     let action = strand::signal::get_action(strand::signal::Signal::PIPE)?;
///     assert!(matches!(action.handler, strand::signal::Handler::Ignore));
///     Ok(())
/// }
/// ```
#[macro_export]
macro_rules! main {
    ($main:path) => {
        #[no_mangle]
        fn __strand_main() -> i32 {
            $crate::MainResult::exit_code($main())
        }
    };
    ($main:path, sigpipe = ignore) => {
        #[no_mangle]
        fn __strand_main() -> i32 {
            $crate::rt::ignore_sigpipe();
            $crate::MainResult::exit_code($main())
        }
    };
    ($main:path, sigpipe = default) => {
        $crate::main!($main);
    };
}
