//! The test matrix, read from the ABI table (`arch/abis.rs`), and the per-target cargo settings
//! that `.cargo/config.toml` holds, written from the same table.

use crate::util::root;

#[path = "../../arch/abis.rs"]
mod table;

pub use table::{Abi as Arch, Linker, Unwind, ABIS as ARCHES, QEMU_PACKAGE};

/// Parses `--arch` values: a comma-separated list of names or triples, `all`, or `per-file`
/// (the first row of each arch file that runs here: one ABI per distinct kernel boundary, which `.ci/run` uses
/// to sample the stress programs; rows sharing a file differ only in byte order, float ABI,
/// instruction set or link flags, which the test programs cover on every row).
pub fn select(list: Option<&str>) -> Result<Vec<&'static Arch>, String> {
    match list {
        None | Some("all") => Ok(ARCHES.iter().collect()),
        Some("per-file") => {
            let mut seen: Vec<&str> = Vec::new();
            Ok(ARCHES
                .iter()
                // Rows that only build are left out: nothing of theirs would run.
                .filter(|a| crate::arches::build_only(a).is_none())
                .filter(|a| {
                    let first = !seen.contains(&a.file);
                    seen.push(a.file);
                    first
                })
                .collect())
        }
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

/// Why a row is only built, not run (its table entry), unless `STRAND_RUN_BUILD_ONLY=1` asks to
/// run the rows that have a QEMU anyway (hexagon and m68k: QEMU runs them, with the faults their
/// entries name).
pub fn build_only(a: &Arch) -> Option<&'static str> {
    let run_anyway = std::env::var_os("STRAND_RUN_BUILD_ONLY").is_some_and(|v| v == "1") && a.qemu.is_some();
    a.build_only.filter(|_| !run_anyway)
}

/// The Debian packages an ABI needs on this machine: its QEMU and its GNU linkers, if any.
pub fn packages(a: &Arch) -> Vec<&'static str> {
    let mut p = Vec::new();
    if a.qemu.is_some() {
        p.push(QEMU_PACKAGE);
    }
    for linker in linkers(a) {
        if let Linker::Gnu { package, .. } = linker {
            p.push(package);
        }
    }
    p
}

/// Every linker an ABI's builds use: its own, and its static-pie build's if that differs.
pub fn linkers(a: &Arch) -> Vec<Linker> {
    let mut l = vec![a.linker];
    l.extend(a.pie_linker.filter(|p| *p != a.linker));
    l
}

/// An ABI's QEMU command as a `Command` that runs `exe`: the row's program with its options
/// (`qemu` is one space-separated string, as cargo's `runner` takes it), or `None` natively.
pub fn qemu_command(a: &Arch, exe: impl AsRef<std::ffi::OsStr>) -> Option<std::process::Command> {
    let mut words = a.qemu?.split_whitespace();
    let mut c = std::process::Command::new(words.next()?);
    c.args(words).arg(exe);
    Some(c)
}

/// The program of an ABI's QEMU command (its first word), to check that it is installed.
pub fn qemu_program(a: &Arch) -> Option<&'static str> {
    a.qemu?.split_whitespace().next()
}

/// The flags that make a static, libc-free executable whose entry is strand's `_start`, for
/// every ABI: no crt objects (they would collide with `_start`), static, non-PIE.
const COMMON_RUSTFLAGS: &[&str] = &[
    "-C", "relocation-model=static",
    "-C", "target-feature=+crt-static",
    "-C", "link-self-contained=no",
    "-C", "link-arg=--entry=_start",
];

const CONFIG_HEAD: &str = r#"# Build settings for strand's freestanding executables (tests, examples, users' binaries built in
# this workspace). `cargo xtask` adds `-Zbuild-std` and pins the toolchain; the flags that make a
# static, libc-free executable live here so that a plain `cargo build --target T -Zbuild-std=...`
# does the same.
#
# GENERATED from arch/abis.rs by `cargo xtask` (xtask/src/arches.rs): edit the table, not this
# file. Every xtask command rewrites it if it is out of date.

[alias]
xtask = "run --quiet --manifest-path xtask/Cargo.toml --"

[unstable]
# harness = false test programs are built with the test profile; without this cargo mixes
# panic strategies (duplicate lang item).
panic-abort-tests = true
"#;

/// Every rustflag an ABI's builds get: the common static, no-crt flags, its linker, its own.
pub fn rustflags(a: &Arch) -> Vec<String> {
    rustflags_with(a, a.linker)
}

/// `rustflags` with another linker (the static-pie build's).
pub fn rustflags_with(a: &Arch, linker: Linker) -> Vec<String> {
    if linker == Linker::TargetDefault {
        return a.rustflags.iter().map(|f| f.to_string()).collect();
    }
    let mut flags: Vec<String> = COMMON_RUSTFLAGS.iter().map(|f| f.to_string()).collect();
    // A row whose own linker is a GNU ld is a target rust-lld cannot link, which Rust ships with
    // no self-contained linker or crt objects: rustc refuses the flag there ("option `-C
    // link-self-contained` is not supported on this target", m68k-unknown-linux-gnu, whose
    // target spec has no `link-self-contained`), and there is nothing for it to turn off.
    if matches!(a.linker, Linker::Gnu { .. }) {
        let at = flags.iter().position(|f| f == "link-self-contained=no").expect("in COMMON_RUSTFLAGS");
        flags.drain(at - 1..=at);
    }
    let mut codegen = |f: String| flags.extend(["-C".to_string(), f]);
    match linker {
        Linker::Lld => {
            codegen("linker=rust-lld".into());
            codegen("linker-flavor=ld.lld".into());
        }
        Linker::Gnu { program, args, .. } => {
            codegen(format!("linker={program}"));
            codegen("linker-flavor=ld".into());
            for x in args {
                codegen(format!("link-arg={x}"));
            }
        }
        Linker::TargetDefault => unreachable!("returned above"),
    }
    flags.extend(a.rustflags.iter().map(|f| f.to_string()));
    flags
}

/// The text `.cargo/config.toml` must have.
pub fn cargo_config() -> String {
    let mut s = String::from(CONFIG_HEAD);
    let quote = |v: &[String]| v.iter().map(|f| format!("{f:?}")).collect::<Vec<_>>().join(", ");
    for a in ARCHES {
        let flags = rustflags(a);
        // Only the tested triple: an `also` triple may be the host's, whose builds (build
        // scripts, host tests) must not get these flags.
        s.push_str(&format!("\n[target.{}]\n", a.triple));
        match a.qemu {
            Some(q) => s.push_str(&format!("runner = \"{q}\"\n")),
            None if crate::arches::build_only(a).is_some() => s.push_str("# build only: nothing here runs it\n"),
            None => s.push_str("# runs natively\n"),
        }
        if a.linker == Linker::TargetDefault {
            s.push_str("# the target's own defaults: no flags needed (a static-pie, no crt objects)\n");
        }
        s.push_str(&format!("rustflags = [{}]\n", quote(&flags)));
    }
    s
}

/// Brings `.cargo/config.toml` up to date with the table; says so if it changed it.
pub fn sync_cargo_config() -> Result<(), String> {
    let path = root().join(".cargo").join("config.toml");
    let want = cargo_config();
    if std::fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
        std::fs::write(&path, want).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("xtask: rewrote .cargo/config.toml from arch/abis.rs");
    }
    Ok(())
}
