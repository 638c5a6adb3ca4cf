//! Installs what a fresh machine lacks: the pinned nightly with `rust-src` (strand builds `core`
//! from source for every target), QEMU user mode for the ABIs this machine cannot run, and the
//! GNU linkers of the ABIs lld cannot link (all named by the ABI table, arch/abis.rs).

use crate::arches::{Arch, Linker};
use crate::util::{command_exists, run_status};
use std::process::Command;

/// The nightly every target build uses. `rust-toolchain.toml` names plain `nightly` so that
/// `cargo xtask` starts even where this one is not installed yet (RUSTUP_AUTO_INSTALL=0).
pub const TOOLCHAIN: &str = "nightly-2026-05-20";

/// Makes sure everything the given ABIs need is installed; says what it does.
pub fn ensure(arches: &[&Arch]) -> Result<(), String> {
    ensure_toolchain()?;
    let mut packages: Vec<&str> = Vec::new();
    for a in arches {
        for p in crate::arches::packages(a) {
            if !packages.contains(&p) {
                packages.push(p);
            }
        }
    }
    // Install only what is missing: each package is checked by the program it provides.
    let missing = |a: &Arch| -> Vec<&'static str> {
        let mut m = Vec::new();
        if let Some(q) = crate::arches::qemu_program(a) {
            if !command_exists(q) {
                m.push(q);
            }
        }
        for linker in crate::arches::linkers(a) {
            if let Linker::Gnu { program, .. } = linker {
                if !command_exists(program) {
                    m.push(program);
                }
            }
        }
        m
    };
    if arches.iter().any(|a| !missing(a).is_empty()) {
        install_debian_packages(&packages)?;
    }
    for a in arches {
        let m = missing(a);
        if !m.is_empty() {
            return Err(format!("{} still missing after installing {}", m.join(", "), packages.join(" ")));
        }
    }
    Ok(())
}

fn ensure_toolchain() -> Result<(), String> {
    if !command_exists("rustup") {
        return Err("rustup is not installed: strand needs rustup to install its pinned nightly".into());
    }
    let installed = output(Command::new("rustup").args(["toolchain", "list"]))?;
    if !installed.lines().any(|l| l.starts_with(TOOLCHAIN)) {
        eprintln!("setup: installing toolchain {TOOLCHAIN} with rust-src");
        run_status(Command::new("rustup").args([
            "toolchain", "install", TOOLCHAIN, "--profile", "minimal", "--component", "rust-src",
        ]))?;
    }
    let components = output(Command::new("rustup").args(["component", "list", "--installed", "--toolchain", TOOLCHAIN]))?;
    if !components.lines().any(|l| l.trim() == "rust-src") {
        eprintln!("setup: adding rust-src to {TOOLCHAIN}");
        run_status(Command::new("rustup").args(["component", "add", "rust-src", "--toolchain", TOOLCHAIN]))?;
    }
    Ok(())
}

/// Adds a rustup component (e.g. `miri`) to the pinned toolchain if it is missing.
pub fn ensure_component(name: &str) -> Result<(), String> {
    ensure_toolchain()?;
    let components = output(Command::new("rustup").args(["component", "list", "--installed", "--toolchain", TOOLCHAIN]))?;
    if !components.lines().any(|l| l.trim() == name || l.trim().starts_with(&format!("{name}-"))) {
        eprintln!("setup: adding {name} to {TOOLCHAIN}");
        run_status(Command::new("rustup").args(["component", "add", name, "--toolchain", TOOLCHAIN]))?;
    }
    Ok(())
}

pub fn install_debian_packages(packages: &[&str]) -> Result<(), String> {
    if !command_exists("apt-get") {
        return Err(format!("cannot install {}: no apt-get on this machine; install them by hand", packages.join(" ")));
    }
    // Root runs apt-get directly; anyone else goes through sudo.
    let is_root = output(Command::new("id").arg("-u")).map(|s| s.trim() == "0").unwrap_or(false);
    let apt = |args: &[&str]| -> Command {
        let mut c = if is_root { Command::new("apt-get") } else { Command::new("sudo") };
        if !is_root {
            c.arg("apt-get");
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    eprintln!("setup: installing Debian packages: {}", packages.join(" "));
    run_status(&mut apt(&["update", "-qq"]))?;
    let mut install = apt(&["install", "-y", "-qq", "--no-install-recommends"]);
    install.args(packages);
    run_status(&mut install)
}

pub fn output(c: &mut Command) -> Result<String, String> {
    let out = c.output().map_err(|e| format!("{c:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{c:?} failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
