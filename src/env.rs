//! The process's arguments and environment, as the kernel placed them on the initial stack.

use crate::rt;
use core::ffi::CStr;

/// The command-line arguments, `argv[0]` first, as the C strings the kernel copied in.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let mut args = strand::env::args();
/// assert!(args.len() >= 1);
/// let argv0 = args.next().unwrap();
/// assert!(!argv0.to_bytes().is_empty());
/// # }
/// ```
pub fn args() -> impl ExactSizeIterator<Item = &'static CStr> {
    rt::argv().iter().map(|&p| rt::cstr(p))
}

/// The environment as `NAME=value` strings, in the order the kernel placed them.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// for kv in strand::env::vars() {
///     // Each entry is one `NAME=value` string; the name never contains `=`.
///     assert!(kv.to_bytes().contains(&b'='));
/// }
/// # }
/// ```
pub fn vars() -> impl Iterator<Item = &'static CStr> {
    rt::envp().iter().map(|&p| rt::cstr(p))
}

/// The value of environment variable `name`, if set (the first entry wins if it is set twice).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// // The test runner sets no variable with this name.
/// assert_eq!(strand::env::var("STRAND_SURELY_UNSET_VARIABLE"), None);
/// if let Some(first) = strand::env::vars().next() {
///     let bytes = first.to_bytes();
///     let eq = bytes.iter().position(|&b| b == b'=').unwrap();
///     let name = core::str::from_utf8(&bytes[..eq]).unwrap();
///     assert_eq!(strand::env::var(name).unwrap().to_bytes(), &bytes[eq + 1..]);
/// }
/// # }
/// ```
pub fn var(name: &str) -> Option<&'static CStr> {
    vars().find_map(|kv| {
        let bytes = kv.to_bytes_with_nul();
        let rest = bytes.strip_prefix(name.as_bytes())?.strip_prefix(b"=")?;
        CStr::from_bytes_with_nul(rest).ok()
    })
}
