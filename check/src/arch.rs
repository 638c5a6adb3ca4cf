//! The part of strand's `arch/mod.rs` that `tls.rs` names: the description of a TLS ABI. The
//! real file also pulls in the ABI's syscall instructions and `_start`, which a host test
//! binary cannot link, so the two types are restated here; `tls.rs` builds them by field name,
//! so a change to the real ones that this copy misses stops this crate from compiling.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsAbi {
    pub variant: TlsVariant,
    pub gap: usize,
    pub bias: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsVariant {
    I,
    II,
}
