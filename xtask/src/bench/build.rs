//! Builds every competitor's benchmark program from bench/, installing what a fresh machine
//! lacks first (Debian packages, the musl rust-std). A competitor that cannot be built is
//! reported with the reason, never dropped.

use crate::arches::ARCHES;
use crate::setup::{self, output, TOOLCHAIN};
use crate::util::{cargo, command_exists, root, run_limited, BUILD_STD};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BUILD_LIMIT: Duration = Duration::from_secs(1200);
const GNU: &str = "x86_64-unknown-linux-gnu";
const MUSL: &str = "x86_64-unknown-linux-musl";
/// Set to build std for musl from source even where the rust-std component installs (to check
/// the fallback).
const MUSL_FROM_SOURCE_VAR: &str = "STRAND_BENCH_MUSL_FROM_SOURCE";

/// Where every benchmark build goes: one target directory per program, since each has its own
/// target and RUSTFLAGS (sharing one would rebuild the shared crates every time).
pub fn target_root() -> PathBuf {
    root().join("bench/target")
}

/// One built program, or why there is none.
pub type Built = Result<PathBuf, String>;

pub struct Programs {
    /// bench/c/bench.c with `gcc -O2 -pthread` (dynamic glibc); also the launcher.
    pub glibc: Built,
    pub std_gnu: Built,
    pub std_musl: Built,
    pub origin: Built,
    pub strand: Built,
    /// bench/c/bare_exit.c: `_start` calls exit_group at once (the kernel floor of a process).
    pub bare_exit: Built,
    /// bench/c/bdwgc.c with `gcc -O2 -pthread ... -lgc` (Debian's libgc-dev): workload 10's
    /// reference.
    pub bdwgc: Built,
    /// bench/c/malloc.c with `gcc -O2 -pthread`: workload 17 on glibc's malloc.
    pub malloc_glibc: Built,
    /// bench/c/malloc.c with `musl-gcc -O2 -static` (Debian's musl-tools): workload 17 on musl's
    /// malloc.
    pub malloc_musl: Built,
    /// bench/strand again with its `unwind` feature and `panic = "unwind"` (core rebuilt so):
    /// workload 18.
    pub strand_unwind: Built,
    /// bench/std on glibc again with `panic = "unwind"` (the bench profile aborts): workload
    /// 18's reference.
    pub std_unwind: Built,
    /// How each was built and with which versions, for the report.
    pub notes: Vec<String>,
    /// Tools that are missing (valgrind, strace, perf, taskset, prlimit), with the reason.
    pub missing_tools: Vec<(String, String)>,
}

/// The command-line tools the measurements use, and the Debian package for each.
const TOOLS: &[(&str, &str)] = &[
    ("gcc", "gcc"),
    ("valgrind", "valgrind"),
    ("strace", "strace"),
    ("perf", "linux-perf"),
    ("taskset", "util-linux"),
    ("prlimit", "util-linux"),
    // Workload 17's musl competitor: musl's malloc, linked statically.
    ("musl-gcc", "musl-tools"),
];

/// Libraries a competitor links, each checked by its header, and the Debian package for each.
/// One missing afterwards only leaves that competitor unbuilt, with the reason.
const LIBRARIES: &[(&str, &str)] = &[("/usr/include/gc/gc.h", "libgc-dev")];

pub fn build_all() -> Result<Programs, String> {
    let x86_64 = ARCHES.iter().find(|a| a.name == "x86_64").ok_or("no x86_64 in the architecture table")?;
    setup::ensure(&[x86_64])?;
    let missing_tools = ensure_tools();
    let missing_libraries = ensure_libraries();
    let mut notes = Vec::new();

    let glibc = timed("glibc (C, gcc -O2 -pthread)", build_c);
    let std_gnu = timed("std on glibc", || {
        cargo_build("bench-std", GNU, "gnu", Some(""), false)
    });
    let std_musl = timed("std on musl (static)", || build_std_musl(&mut notes));
    let origin = timed("origin (static, no libc)", || {
        // origin's own recipe for a fully static executable: its `_start`, `-nostartfiles`
        // (bench/origin/build.rs), no PIE.
        let exe = cargo_build("bench-origin", GNU, "origin", Some("-C target-feature=+crt-static -C relocation-model=static"), false)?;
        require_static(&exe)?;
        Ok(exe)
    });
    let strand = timed("strand (static, no libc)", || {
        // Exactly as the examples and tests: the flags of .cargo/config.toml, core from source.
        // `alloc` too: workload 17 runs on strand's global allocator (bench/strand's `alloc`
        // feature of strand).
        let exe = cargo_build("bench-strand", MUSL, "strand", None, true)?;
        require_static(&exe)?;
        Ok(exe)
    });

    let bare_exit = timed("bare exit (C, static, no libc: the kernel floor)", || {
        let exe = gcc("bare-exit", "bare_exit.c", &["-O2", "-static", "-nostdlib", "-nostartfiles"])?;
        require_static(&exe)?;
        Ok(exe)
    });
    notes.push(
        "bare exit: a static executable whose `_start` only calls exit_group(0) (bench/c/bare_exit.c), so a \
         whole process of it is the kernel's cost alone; workload 3's \"above the kernel floor\" rows subtract \
         its time from each competitor's in the same repetition."
            .into(),
    );
    notes.push(
        "raw clone: bench-glibc's `clone_join` and `clone_detached` (bench/c/bench.c), a raw clone syscall whose \
         child, in inline asm on one reused stack, exits at once (or bumps the counter, wakes the waiter if last, \
         and exits); a join waits on the tid word the kernel clears. Only clone, exit and futex: the kernel's own \
         work. Workloads 1 and 2's \"above the kernel floor\" rows subtract its time in the same way."
            .into(),
    );

    let bdwgc = timed("bdwgc (C, gcc -O2 -pthread -lgc)", || {
        if let Some((_, why)) = missing_libraries.iter().find(|(h, _)| h.contains("/gc/")) {
            return Err(why.clone());
        }
        gcc_linking("bench-bdwgc", "bdwgc.c", &["-O2", "-pthread"], &["-lgc"])
    });
    notes.push(
        "bdwgc: bench/c/bdwgc.c against Debian's libgc-dev; its threads are created through GC_pthread_create \
         (GC_THREADS before gc.h), and workload 10 times GC_stop_world_external + GC_start_world_external, \
         the stop and restart a collection does around its marking, with nothing marked."
            .into(),
    );

    let malloc_glibc = timed("malloc on glibc (C, gcc -O2 -pthread)", || gcc("bench-malloc-glibc", "malloc.c", &["-O2", "-pthread"]));
    let malloc_musl = timed("malloc on musl (C, musl-gcc -O2 -static)", || {
        if let Some((_, why)) = missing_tools.iter().find(|(t, _)| t == "musl-gcc") {
            return Err(why.clone());
        }
        let exe = gcc_with("musl-gcc", "bench-malloc-musl", "malloc.c", &["-O2", "-static"], &[])?;
        require_static(&exe)?;
        Ok(exe)
    });
    notes.push(
        "17 (allocator): bench/c/malloc.c, the loop of bench/strand/src/alloc_bench.rs, built with gcc against \
         glibc's malloc and with Debian's musl-gcc (musl-tools) statically against musl's; strand runs it on its \
         `alloc` feature's global allocator (dlmalloc in 8 arenas, each behind a strand mutex)."
            .into(),
    );
    // The bench profile aborts on panic; workload 18 needs both sides built to unwind.
    const UNWIND: [&str; 2] = ["--config", "profile.release.panic=\"unwind\""];
    let strand_unwind = timed("strand with unwinding (feature unwind, panic = \"unwind\")", || {
        let exe = cargo_build_with("bench-strand", MUSL, "strand-unwind", None, true, &[&UNWIND[..], &["--features", "unwind"]].concat())?;
        require_static(&exe)?;
        Ok(exe)
    });
    let std_unwind = timed("std on glibc with panic = \"unwind\"", || cargo_build_with("bench-std", GNU, "gnu-unwind", Some(""), false, &UNWIND));
    notes.push(
        "18 (panic + catch): std's `catch_unwind` around a `panic!` (glibc build, libgcc's unwinder, the default \
         hook printing each message) against strand's `panic::catch_unwind` (the `unwind` feature: the `unwinding` \
         crate, strand's handler printing each message); both built with `panic = \"unwind\"`, core for strand too. (bench/'s lockfile holds \
         `unwinding` at strand's pinned 0.2.8, which origin's requirement accepts: one workspace has one \
         0.2.x.)"
            .into(),
    );

    notes.push(versions());
    Ok(Programs {
        glibc,
        std_gnu,
        std_musl,
        origin,
        strand,
        bare_exit,
        bdwgc,
        malloc_glibc,
        malloc_musl,
        strand_unwind,
        std_unwind,
        notes,
        missing_tools,
    })
}

fn timed(what: &str, f: impl FnOnce() -> Built) -> Built {
    println!("== bench: building {what}");
    let start = Instant::now();
    let r = f();
    match &r {
        Ok(exe) => println!("   {} ({:.1} s)", exe.display(), start.elapsed().as_secs_f64()),
        Err(e) => println!("   NOT BUILT: {e}"),
    }
    r
}

/// Installs the Debian packages of missing tools; returns those still missing afterwards.
fn ensure_tools() -> Vec<(String, String)> {
    let mut packages: Vec<&str> = TOOLS.iter().filter(|(cmd, _)| !command_exists(cmd)).map(|(_, p)| *p).collect();
    packages.dedup();
    let mut why = String::new();
    if !packages.is_empty() {
        if let Err(e) = setup::install_debian_packages(&packages) {
            why = e;
        }
    }
    TOOLS
        .iter()
        .filter(|(cmd, _)| !command_exists(cmd))
        .map(|(cmd, pkg)| (cmd.to_string(), format!("{cmd} is missing (Debian package {pkg}) {why}").trim().to_string()))
        .collect()
}

/// Installs the Debian packages of missing libraries; returns (header, why) for those still
/// missing afterwards.
fn ensure_libraries() -> Vec<(String, String)> {
    let missing = || LIBRARIES.iter().filter(|(header, _)| !Path::new(header).exists());
    let packages: Vec<&str> = missing().map(|(_, p)| *p).collect();
    let mut why = String::new();
    if !packages.is_empty() {
        if let Err(e) = setup::install_debian_packages(&packages) {
            why = e;
        }
    }
    missing()
        .map(|(header, pkg)| (header.to_string(), format!("{header} is missing (Debian package {pkg}) {why}").trim().to_string()))
        .collect()
}

fn build_c() -> Built {
    gcc("bench-glibc", "bench.c", &["-O2", "-pthread"])
}

/// `gcc <flags> -Wall` of one file of bench/c/ into bench/target/c/<name>.
fn gcc(name: &str, source: &str, flags: &[&str]) -> Built {
    gcc_linking(name, source, flags, &[])
}

/// `gcc` with libraries, which must follow the source on the command line.
fn gcc_linking(name: &str, source: &str, flags: &[&str], libs: &[&str]) -> Built {
    gcc_with("gcc", name, source, flags, libs)
}

/// `gcc_linking` with another C compiler driver (`musl-gcc`).
fn gcc_with(compiler: &str, name: &str, source: &str, flags: &[&str], libs: &[&str]) -> Built {
    let dir = target_root().join("c");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let exe = dir.join(name);
    let mut c = Command::new(compiler);
    c.args(flags).args(["-Wall", "-o"]).arg(&exe).arg(root().join("bench/c").join(source)).args(libs);
    let out = run_limited(&mut c, BUILD_LIMIT)?;
    if out.status.is_none_or(|s| !s.success()) {
        return Err(format!("{compiler} failed: {}", last_lines(&out.stderr, 10)));
    }
    Ok(exe)
}

/// `cargo build --release -p <package>` in bench/'s own workspace. `rustflags`: `Some` replaces
/// every configured flag (RUSTFLAGS wins over .cargo/config.toml); `None` keeps the repository's
/// configuration, as strand's own builds do.
fn cargo_build(package: &str, triple: &str, dir: &str, rustflags: Option<&str>, build_std: bool) -> Built {
    cargo_build_with(package, triple, dir, rustflags, build_std, &[])
}

/// `cargo_build` with more arguments for cargo (`--features`, `--config`).
fn cargo_build_with(package: &str, triple: &str, dir: &str, rustflags: Option<&str>, build_std: bool, extra: &[&str]) -> Built {
    let mut c = cargo();
    c.args(["build", "--release", "--manifest-path", "bench/Cargo.toml", "-p", package, "--target", triple])
        .args(extra)
        .arg("--target-dir")
        .arg(target_root().join(dir));
    if build_std {
        // bench-strand's allocator workload needs `alloc`; the other packages built this way
        // are none, so one set of flags serves.
        c.args(BUILD_STD);
    }
    match rustflags {
        Some(flags) => c.env("RUSTFLAGS", flags),
        None => c.env_remove("RUSTFLAGS"),
    };
    c.env_remove("CARGO_ENCODED_RUSTFLAGS");
    run_cargo(&mut c)?;
    Ok(target_root().join(dir).join(triple).join("release").join(package))
}

fn run_cargo(c: &mut Command) -> Result<(), String> {
    let out = run_limited(c, BUILD_LIMIT)?;
    match out.status {
        Some(s) if s.success() => Ok(()),
        None => Err(format!("cargo took longer than {} s", BUILD_LIMIT.as_secs())),
        Some(s) => Err(format!("cargo failed ({s}): {}", last_lines(&out.stderr, 12))),
    }
}

/// std for static musl: with the rust-std component if rustup can install it; otherwise std
/// built from source (`-Zbuild-std`) and linked by Debian's musl-gcc, with LLVM's libunwind from
/// rust-src compiled here.
fn build_std_musl(notes: &mut Vec<String>) -> Built {
    let forced = std::env::var_os(MUSL_FROM_SOURCE_VAR).is_some();
    let component = if forced { Err(format!("{MUSL_FROM_SOURCE_VAR} is set")) } else { ensure_musl_component() };
    match component {
        Ok(()) => {
            let exe = cargo_build("bench-std", MUSL, "musl", Some("-C target-feature=+crt-static"), false)?;
            require_static(&exe)?;
            notes.push(format!("std-musl: the rust-std component for {MUSL} (its bundled musl), static-pie."));
            Ok(exe)
        }
        Err(why) => {
            println!("   the rust-std component for {MUSL} is not available ({why}); building std from source");
            let exe = build_std_musl_from_source().map_err(|e| {
                format!("rust-std for {MUSL} cannot be installed ({why}) and std cannot be built from source: {e}")
            })?;
            require_static(&exe)?;
            notes.push(format!(
                "std-musl: the rust-std component for {MUSL} could not be installed ({why}); std was built \
                 from source (-Zbuild-std=std,panic_abort), linked statically (non-PIE) by Debian's musl-gcc \
                 with LLVM libunwind from rust-src."
            ));
            Ok(exe)
        }
    }
}

fn ensure_musl_component() -> Result<(), String> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed", "--toolchain", TOOLCHAIN]))?;
    if installed.lines().any(|l| l.trim() == MUSL) {
        return Ok(());
    }
    println!("   installing the rust-std component for {MUSL}");
    let mut c = Command::new("rustup");
    c.args(["target", "add", MUSL, "--toolchain", TOOLCHAIN]);
    let out = run_limited(&mut c, BUILD_LIMIT)?;
    match out.status {
        Some(s) if s.success() => Ok(()),
        _ => Err(format!("rustup target add failed: {}", last_lines(&out.stderr, 3))),
    }
}

fn build_std_musl_from_source() -> Built {
    let mut packages = Vec::new();
    if !command_exists("musl-gcc") {
        packages.push("musl-tools");
    }
    if !command_exists("g++") {
        packages.push("g++");
    }
    if !packages.is_empty() {
        setup::install_debian_packages(&packages)?;
    }
    let sysroot = output(Command::new("rustc").args(["--print", "sysroot"]).env("RUSTUP_TOOLCHAIN", TOOLCHAIN))?;
    let src = Path::new(sysroot.trim()).join("lib/rustlib/src/rust/src/llvm-project/libunwind");
    let dir = target_root().join("musl-src/libunwind");
    build_libunwind(&src, &dir)?;
    let flags = format!(
        "-C target-feature=+crt-static -C relocation-model=static -C link-self-contained=no -C linker=musl-gcc -L {}",
        dir.display()
    );
    let mut c = cargo();
    c.args(["build", "--release", "--manifest-path", "bench/Cargo.toml", "-p", "bench-std", "--target", MUSL])
        .arg("--target-dir")
        .arg(target_root().join("musl-src"))
        .arg("-Zbuild-std=std,panic_abort")
        .env("RUSTFLAGS", flags)
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    run_cargo(&mut c)?;
    Ok(target_root().join("musl-src").join(MUSL).join("release/bench-std"))
}

/// LLVM's libunwind (which the musl target's std links) as a static library, from rust-src,
/// against musl's headers; single-threaded is enough for programs built with panic=abort.
fn build_libunwind(src: &Path, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let gcc_include = output(Command::new("gcc").arg("-print-file-name=include"))?;
    let mut objects = Vec::new();
    for file in ["libunwind.cpp", "UnwindLevel1.c", "UnwindLevel1-gcc-ext.c", "UnwindRegistersRestore.S", "UnwindRegistersSave.S"] {
        let mut c = if file.ends_with(".cpp") {
            let mut c = Command::new("g++");
            c.args(["-std=c++17", "-fno-exceptions", "-fno-rtti", "-nostdinc++"]);
            c
        } else {
            let mut c = Command::new("gcc");
            c.arg("-std=c99");
            c
        };
        let obj = dir.join(format!("{file}.o"));
        c.args(["-c", "-O2", "-fPIC", "-funwind-tables", "-fvisibility=hidden", "-nostdinc"])
            .args(["-isystem", "/usr/include/x86_64-linux-musl", "-isystem", gcc_include.trim()])
            .arg("-I")
            .arg(src.join("include"))
            .args(["-D_LIBUNWIND_IS_NATIVE_ONLY", "-D_LIBUNWIND_HAS_NO_THREADS", "-DNDEBUG"])
            .args(["-D_LIBUNWIND_DISABLE_VISIBILITY_ANNOTATIONS"])
            .arg(src.join("src").join(file))
            .arg("-o")
            .arg(&obj);
        let out = run_limited(&mut c, BUILD_LIMIT)?;
        if out.status.is_none_or(|s| !s.success()) {
            return Err(format!("compiling libunwind's {file} failed: {}", last_lines(&out.stderr, 6)));
        }
        objects.push(obj);
    }
    let lib = dir.join("libunwind.a");
    let _ = std::fs::remove_file(&lib);
    let out = run_limited(Command::new("ar").arg("rcs").arg(&lib).args(&objects), BUILD_LIMIT)?;
    if out.status.is_none_or(|s| !s.success()) {
        return Err(format!("ar failed: {}", last_lines(&out.stderr, 4)));
    }
    Ok(())
}

/// Fails unless the ELF file has no PT_INTERP (no dynamic loader, so no shared libc).
fn require_static(exe: &Path) -> Result<(), String> {
    let bytes = std::fs::read(exe).map_err(|e| format!("{}: {e}", exe.display()))?;
    let u16_at = |o: usize| bytes.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |o: usize| bytes.get(o..o + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let u64_at = |o: usize| bytes.get(o..o + 8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
    if bytes.get(..4) != Some(b"\x7fELF") || bytes.get(4) != Some(&2) {
        return Err(format!("{} is not a 64-bit ELF file", exe.display()));
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38)) else {
        return Err(format!("{}: truncated ELF header", exe.display()));
    };
    const PT_INTERP: u32 = 3;
    for i in 0..phnum as usize {
        if u32_at(phoff as usize + i * phentsize as usize) == Some(PT_INTERP) {
            return Err(format!("{} has a dynamic loader (PT_INTERP): not static", exe.display()));
        }
    }
    Ok(())
}

/// Compiler, libc and crate versions, for the report.
fn versions() -> String {
    let first_line = |c: &mut Command| output(c).ok().and_then(|s| s.lines().next().map(str::to_string)).unwrap_or_default();
    let gcc = first_line(Command::new("gcc").arg("--version"));
    let glibc = first_line(Command::new("getconf").arg("GNU_LIBC_VERSION"));
    let rustc = first_line(Command::new("rustc").arg("-V").env("RUSTUP_TOOLCHAIN", TOOLCHAIN));
    let lock = std::fs::read_to_string(root().join("bench/Cargo.lock")).unwrap_or_default();
    let krate = |name: &str| {
        let pat = format!("name = \"{name}\"\nversion = \"");
        lock.find(&pat)
            .and_then(|i| lock[i + pat.len()..].split('"').next())
            .map_or(format!("{name} ?"), |v| format!("{name} {v}"))
    };
    format!(
        "Built with {gcc}, {glibc}, {rustc} ({TOOLCHAIN}) for every Rust program; crates: {}, {}, {}, {}.",
        krate("parking_lot"),
        krate("spin"),
        krate("origin"),
        krate("rustix")
    )
}

fn last_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}
