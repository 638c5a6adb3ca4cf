//! The test matrix: every ABI strand supports, how to build for it and how to run it here.

pub struct Arch {
    /// The name used on the command line and in reports.
    pub name: &'static str,
    pub triple: &'static str,
    /// The QEMU user-mode binary, or `None` where the host kernel runs it natively.
    pub qemu: Option<&'static str>,
    /// The Debian package that provides `qemu`.
    pub qemu_package: &'static str,
}

pub const ARCHES: &[Arch] = &[
    Arch { name: "x86_64", triple: "x86_64-unknown-linux-musl", qemu: None, qemu_package: "" },
    Arch { name: "i686", triple: "i686-unknown-linux-musl", qemu: None, qemu_package: "" },
    Arch { name: "aarch64", triple: "aarch64-unknown-linux-musl", qemu: Some("qemu-aarch64"), qemu_package: "qemu-user" },
    Arch { name: "riscv64", triple: "riscv64gc-unknown-linux-musl", qemu: Some("qemu-riscv64"), qemu_package: "qemu-user" },
    Arch { name: "s390x", triple: "s390x-unknown-linux-musl", qemu: Some("qemu-s390x"), qemu_package: "qemu-user" },
];

/// Parses `--arch` values: a comma-separated list of names, or `all`.
pub fn select(list: Option<&str>) -> Result<Vec<&'static Arch>, String> {
    match list {
        None | Some("all") => Ok(ARCHES.iter().collect()),
        Some(list) => list
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|name| {
                ARCHES.iter().find(|a| a.name == name || a.triple == name).ok_or_else(|| {
                    let known: Vec<_> = ARCHES.iter().map(|a| a.name).collect();
                    format!("unknown architecture '{name}' (known: {})", known.join(", "))
                })
            })
            .collect(),
    }
}
