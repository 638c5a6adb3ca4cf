//! `cargo xtask demo`: builds examples/demo.rs as a static, libc-free release binary for one
//! ABI and runs it (natively or under QEMU).

use crate::arches::Arch;
use crate::setup;
use crate::util::{cargo, root, run_status, BUILD_STD};
use std::process::Command;

pub fn run(arch: &Arch) -> Result<bool, String> {
    setup::ensure(&[arch])?;
    println!("== building examples/demo.rs for {} (release)", arch.triple);
    run_status(cargo().args(["build", "--release", "--example", "demo", "--features", "count-syscalls", "--target", arch.triple]).args(BUILD_STD))?;
    let exe = root().join("target").join(arch.triple).join("release/examples/demo");
    if let Some(why) = crate::arches::build_only(arch) {
        println!("== built {}; not run: {why}", exe.display());
        return Ok(true);
    }
    let mut c = match crate::arches::qemu_command(arch, &exe) {
        Some(c) => {
            println!("== running it under {}", arch.qemu.unwrap_or_default());
            c
        }
        None => {
            println!("== running it natively");
            Command::new(&exe)
        }
    };
    let status = c.status().map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    Ok(status.success())
}
