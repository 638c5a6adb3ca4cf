//! `cargo xtask new PATH [--arch LIST]`: writes a ready crate that uses strand, outside this
//! workspace, so that `cargo run` in it builds and runs a static, libc-free program.
//!
//! Everything a crate on strand needs besides its code is in four small generated files, each
//! taken from the same ABI table (`arch/abis.rs`) as strand's own builds, so they cannot drift
//! from what `cargo xtask test` checks:
//!
//! - `Cargo.toml`: strand as a path dependency, `panic = "abort"` (without std, Rust has no
//!   unwinder unless strand's `unwind` feature provides one), and an empty `[workspace]` so the
//!   crate never joins an enclosing one;
//! - `rust-toolchain.toml`: the nightly strand is tested with, with `rust-src` (`core` is built
//!   from source for every target);
//! - `.cargo/config.toml`: `-Zbuild-std` as cargo settings, the default target, and each chosen
//!   ABI's link flags and QEMU runner;
//! - `src/main.rs`: the README's example (`xtask/template/main.rs`; `cargo xtask test` checks
//!   that the README shows exactly that file).
//!
//! `check` (run by `cargo xtask test`) makes such a crate in a temporary directory and runs it
//! on each ABI it was made for, with none of xtask's environment, as a user would.

use crate::arches::{self, Arch, Linker};
use crate::setup::TOOLCHAIN;
use crate::util::{root, run_limited};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The program every new crate starts with; the README's "Writing a program" example.
pub const MAIN_RS: &str = include_str!("../template/main.rs");

/// What `new` writes: (path inside the crate, contents).
pub fn files(name: &str, arches: &[&Arch]) -> Vec<(&'static str, String)> {
    let strand = root();
    let cargo_toml = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nstrand = {{ path = {:?} }}\n\n[profile.dev]\npanic = \"abort\"\n\n[profile.release]\npanic = \"abort\"\n\n[workspace]\n",
        strand.display().to_string()
    );
    let toolchain = format!("[toolchain]\nchannel = \"{TOOLCHAIN}\"\ncomponents = [\"rust-src\"]\n");
    let mut config = format!(
        "[build]\ntarget = \"{}\"\n\n[unstable]\nbuild-std = [\"core\", \"alloc\", \"compiler_builtins\"]\nbuild-std-features = [\"compiler-builtins-mem\"]\n",
        arches[0].triple
    );
    for a in arches {
        let flags = arches::rustflags(a);
        let runner = a.qemu.map(|q| format!("runner = \"{q}\"\n")).unwrap_or_default();
        if flags.is_empty() && runner.is_empty() {
            continue;
        }
        config.push_str(&format!("\n[target.{}]\n{runner}", a.triple));
        if !flags.is_empty() {
            let quoted: Vec<String> = flags.iter().map(|f| format!("{f:?}")).collect();
            config.push_str(&format!("rustflags = [{}]\n", quoted.join(", ")));
        }
    }
    vec![
        ("Cargo.toml", cargo_toml),
        ("rust-toolchain.toml", toolchain),
        (".cargo/config.toml", config),
        ("src/main.rs", MAIN_RS.to_string()),
        (".gitignore", "/target\n".to_string()),
    ]
}

/// The ABIs a new crate is made for when `--arch` is not given: the `-linux-none` row of this
/// machine's architecture, which needs no link flags at all.
pub fn default_arches() -> Result<Vec<&'static Arch>, String> {
    let host = std::env::consts::ARCH;
    arches::ARCHES
        .iter()
        .find(|a| a.linker == Linker::TargetDefault && a.triple.starts_with(host))
        .map(|a| vec![a])
        .ok_or_else(|| format!("no -linux-none ABI for this {host} machine in arch/abis.rs: name one with --arch"))
}

/// Writes a new crate at `path` (which must not exist, or be an empty directory).
pub fn create(path: &Path, arches: &[&Arch]) -> Result<(), String> {
    if path.exists() && path.read_dir().map_err(|e| format!("{}: {e}", path.display()))?.next().is_some() {
        return Err(format!("{} exists and is not empty", path.display()));
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .ok_or_else(|| format!("{}: the last path component names the crate: use letters, digits, '-' or '_'", path.display()))?;
    for (file, text) in files(name, arches) {
        let full = path.join(file);
        std::fs::create_dir_all(full.parent().expect("a file in the crate")).map_err(|e| format!("{}: {e}", full.display()))?;
        std::fs::write(&full, text).map_err(|e| format!("{}: {e}", full.display()))?;
    }
    Ok(())
}

/// Generous, as for the test programs: the first build compiles `core` for each target.
const LIMIT: Duration = Duration::from_secs(900);

/// `cargo xtask test`'s check of the above: makes a crate outside the workspace for `arches`
/// and runs it with a user's plain `cargo run` (for the default target, then `--target` each
/// other), with xtask's own cargo and rustup environment removed. Returns (passed, failed).
pub fn check(arches: &[&Arch]) -> Result<(u32, u32), String> {
    let mut passed = 0;
    let mut failed = 0;
    let mut outcome = |name: &str, r: Result<(), String>| match r {
        Ok(()) => {
            println!("   test new_crate::{name} ... ok");
            passed += 1;
        }
        Err(e) => {
            println!("   test new_crate::{name} ... FAILED: {e}");
            failed += 1;
        }
    };
    let readme = std::fs::read_to_string(root().join("README.md")).map_err(|e| format!("README.md: {e}"))?;
    outcome(
        "readme_example_is_the_template",
        if readme.contains(MAIN_RS) { Ok(()) } else { Err("README.md does not show xtask/template/main.rs verbatim".into()) },
    );
    let dir = std::env::temp_dir().join(format!("strand-new-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let krate: PathBuf = dir.join("hello");
    create(&krate, arches)?;
    for (i, a) in arches.iter().enumerate() {
        let mut c = Command::new("cargo");
        c.current_dir(&krate).arg("run").arg("--quiet");
        if i > 0 {
            c.args(["--target", a.triple]);
        }
        // As a user's shell has it: no toolchain override (the crate's rust-toolchain.toml
        // decides), no cargo settings inherited from this `cargo xtask` run.
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy();
            if (k.starts_with("CARGO") && k != "CARGO_HOME") || k == "RUSTUP_TOOLCHAIN" || k.starts_with("RUSTC") || k.starts_with("RUSTDOC") || k == "RUSTFLAGS" {
                c.env_remove(&*k);
            }
        }
        // rustup puts the running toolchain's own `bin` first in PATH; a `cargo` found there
        // would ignore the crate's rust-toolchain.toml.
        if let Some(path) = std::env::var_os("PATH") {
            let kept: Vec<PathBuf> = std::env::split_paths(&path).filter(|p| !p.to_string_lossy().contains("/toolchains/")).collect();
            c.env("PATH", std::env::join_paths(kept).map_err(|e| e.to_string())?);
        }
        println!("== new crate: cargo run{} ({})", if i > 0 { format!(" --target {}", a.triple) } else { String::new() }, a.name);
        let out = run_limited(&mut c, LIMIT)?;
        let r = match out.status {
            None => Err(format!("killed after the {} s limit", LIMIT.as_secs())),
            Some(s) if !s.success() => Err(format!("{s}: {}", out.stderr.trim_end())),
            Some(_) if out.stdout.trim_end() != "total 42" => Err(format!("printed {:?}, not \"total 42\"", out.stdout)),
            Some(_) => Ok(()),
        };
        outcome(&format!("runs_on_{}", a.name), r);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok((passed, failed))
}
