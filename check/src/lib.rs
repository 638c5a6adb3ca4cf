//! strand's own source files, built for the host with std so that they can be checked there:
//! the locks, the thread lifecycle and the stop-the-world protocol and cancel decision of thread
//! control under the `loom` model checker (tests/loom_*.rs), the start-up parsers and layouts
//! under `proptest` (tests/parsers.rs).
//!
//! Nothing here re-implements an algorithm: each module below is the library's file, included
//! by path. What differs is what those files reach through `sync::atomic_wait`, which here is
//! this crate's loom-backed version (src/sync/atomic_wait.rs), and two small host stand-ins:
//! `arch::sys` (the kernel constants, from the host's `linux_raw_sys`) and `time` (std's clock).
// `const_eval_select` lets the loom words keep strand's `const fn new` (see sync/atomic_wait.rs).
#![feature(core_intrinsics, const_eval_select)]
#![allow(internal_features)]
#![warn(unsafe_op_in_unsafe_fn)]

/// What strand's parsers and layouts take from the arch layer: the kernel's constants, and the
/// `r_info` conversion (the identity on every host this crate runs on; only little-endian
/// MIPS64 lays `r_info` out differently, arch/mod.rs).
pub mod arch {
    pub use linux_raw_sys as sys;

    /// `arch::r_info_gabi` on the host: `r_info` is already in the gABI's form.
    #[inline]
    pub fn r_info_gabi(info: usize) -> usize {
        info
    }
}
pub mod sync;
pub mod thread;

#[path = "../../src/startup.rs"]
pub mod startup;
#[path = "../../src/tls.rs"]
pub mod tls;

/// strand's `time::Instant` has the same `now` and `elapsed` as std's; the condition variable's
/// timed waits use nothing else.
pub mod time {
    pub use std::time::Instant;
}
