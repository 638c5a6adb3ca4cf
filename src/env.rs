//! The process's arguments and environment, as the kernel placed them on the initial stack.

use crate::rt;
use core::ffi::CStr;

/// The command-line arguments, `argv[0]` first.
pub fn args() -> impl ExactSizeIterator<Item = &'static CStr> {
    rt::argv().iter().map(|&p| rt::cstr(p))
}

/// The environment as `NAME=value` strings.
pub fn vars() -> impl Iterator<Item = &'static CStr> {
    rt::envp().iter().map(|&p| rt::cstr(p))
}

/// The value of environment variable `name`, if set.
pub fn var(name: &str) -> Option<&'static CStr> {
    vars().find_map(|kv| {
        let bytes = kv.to_bytes_with_nul();
        let rest = bytes.strip_prefix(name.as_bytes())?.strip_prefix(b"=")?;
        CStr::from_bytes_with_nul(rest).ok()
    })
}
