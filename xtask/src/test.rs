//! `cargo xtask test`: host unit tests, then every freestanding test program on every listed
//! ABI (natively or under QEMU), a per-ABI table, and one closing `N passed, N failed` line.

use crate::arches::Arch;
use crate::setup;
use crate::util::{cargo, json_str, root, run_limited, BUILD_STD};
use std::process::Command;
use std::time::{Duration, Instant};

/// Generous: QEMU on a loaded 2-core machine. A program that hangs is killed and counted failed.
const PROGRAM_LIMIT: Duration = Duration::from_secs(600);

/// For one cargo build of a row's programs (core rebuilt with them): a build does not hang, and
/// with two rows at once on a 2-core machine loaded by other work one took over 10 minutes.
const BUILD_LIMIT: Duration = Duration::from_secs(1800);

/// For the whole `strand-check` run (building it, then every loom model and property test, one
/// binary after another): about 6 minutes on an idle 2-core machine, 14.5 on one loaded by
/// other builds, which the 10-minute program limit cut off and counted as a failure.
const CHECK_LIMIT: Duration = Duration::from_secs(2400);

/// The arguments and environment every test program gets; tests/startup.rs checks them.
const ARGS: [&str; 3] = ["--strand-args", "alpha", "beta gamma"];
const ENV: (&str, &str) = ("STRAND_TEST_ENV", "from-xtask");

struct Row {
    name: String,
    passed: u32,
    failed: u32,
    skipped: u32,
    secs: f64,
}

impl Row {
    fn add(&mut self, (passed, failed, skipped): (u32, u32, u32)) {
        self.passed += passed;
        self.failed += failed;
        self.skipped += skipped;
    }
}

pub fn run(arches: &[&Arch], host: bool, full: bool) -> Result<bool, String> {
    setup::ensure(arches)?;
    let mut rows = Vec::new();
    if host {
        rows.push(host_tests()?);
        rows.push(new_crate(arches)?);
    }
    rows.extend(run_rows(arches, full)?);
    say!();
    say!("{:<11} {:>7} {:>7} {:>8} {:>9}", "ABI", "passed", "failed", "skipped", "seconds");
    for r in &rows {
        say!("{:<11} {:>7} {:>7} {:>8} {:>9.1}", r.name, r.passed, r.failed, r.skipped, r.secs);
    }
    let passed: u32 = rows.iter().map(|r| r.passed).sum();
    let failed: u32 = rows.iter().map(|r| r.failed).sum();
    let skipped: u32 = rows.iter().map(|r| r.skipped).sum();
    if skipped == 0 {
        say!("{passed} passed, {failed} failed");
    } else {
        say!("{passed} passed, {failed} failed, {skipped} skipped");
    }
    Ok(failed == 0)
}

/// Runs `arch_tests` for every ABI, two rows at a time (`rows::run_rows`).
fn run_rows(arches: &[&Arch], full: bool) -> Result<Vec<Row>, String> {
    crate::rows::run_rows(arches, |arch| arch_tests(arch, full))
}

/// A crate made by `cargo xtask new`, outside the workspace, run as a user runs it: on this
/// machine's `-linux-none` target (its default), then on the first listed ABI that runs natively
/// and the first that runs under QEMU.
fn new_crate(arches: &[&Arch]) -> Result<Row, String> {
    let start = Instant::now();
    let mut chosen = crate::new::default_arches()?;
    let others = arches.iter().filter(|a| a.linker != crate::arches::Linker::TargetDefault);
    chosen.extend(others.clone().find(|a| a.qemu.is_none() && crate::arches::build_only(a).is_none()));
    chosen.extend(others.clone().find(|a| a.qemu.is_some()));
    setup::ensure(&chosen)?;
    let (passed, failed) = crate::new::check(&chosen)?;
    Ok(Row { name: "new crate".into(), passed, failed, skipped: 0, secs: start.elapsed().as_secs_f64() })
}

/// The release profile for `check/`, given through cargo's environment so that it touches no
/// other build: unwinding (proptest shrinks a failing case by catching its panic), overflow
/// checks and debug assertions on (an overflow in a parser must fail, as in strand's dev
/// builds), and no LTO (slow to link, nothing gained). Its own target directory keeps these
/// artifacts from replacing anyone else's release ones.
const CHECK_PROFILE: [(&str, &str); 5] = [
    ("CARGO_PROFILE_RELEASE_PANIC", "unwind"),
    ("CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS", "true"),
    ("CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS", "true"),
    ("CARGO_PROFILE_RELEASE_LTO", "false"),
    ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16"),
];

/// On the host: the library's pure logic (layouts, parsers, the lifecycle state machine) as unit
/// tests, then `check/`, which compiles strand's own lock, lifecycle, stop, parser and layout files
/// for loom models and property tests (release: loom explores far faster optimised).
fn host_tests() -> Result<Row, String> {
    let start = Instant::now();
    let (mut passed, mut failed) = (0, 0);

    say!("== host: cargo test --lib");
    let mut lib = cargo();
    lib.args(["test", "--lib", "--features", "lock_api"]);
    let (p, f) = libtest(&mut lib, PROGRAM_LIMIT)?;
    (passed, failed) = (passed + p, failed + f);

    say!("== host: cargo test --doc (every doc example, run as a strand program on x86_64 musl)");
    let part = Instant::now();
    let (p, f) = libtest(&mut doctests(false), PROGRAM_LIMIT)?;
    let (p2, f2) = libtest(&mut doctests(true), PROGRAM_LIMIT)?;
    let (p, f) = (p + p2, f + f2);
    (passed, failed) = (passed + p, failed + f);
    say!("   doc examples: {p} passed, {f} failed in {:.1}s", part.elapsed().as_secs_f64());

    say!("== host: cargo doc, every warning an error (missing docs and broken links included)");
    let mut doc = cargo();
    doc.args(["doc", "--no-deps", "--features", "lock_api,alloc,count-syscalls", "--target", "x86_64-unknown-linux-musl"])
        .args(BUILD_STD)
        .env("RUSTDOCFLAGS", "-D warnings -D missing_docs");
    let out = run_limited(&mut doc, PROGRAM_LIMIT)?;
    if out.status.is_some_and(|s| s.success()) {
        say!("   test cargo_doc_without_warnings ... ok");
        passed += 1;
    } else {
        say_raw!("{}", indent(&out.stderr));
        say!("   test cargo_doc_without_warnings ... FAILED");
        failed += 1;
    }

    say!("== host: cargo miri test --lib (the same unit tests under Miri's UB checks)");
    let part = Instant::now();
    setup::ensure_component("miri")?;
    let mut miri = cargo();
    // libtest runs each test of a panic=abort build in a subprocess, which Miri cannot spawn,
    // so this run unwinds. strand reads addresses the kernel hands it as integers (auxv), hence
    // permissive provenance.
    miri.args(["miri", "test", "--config", "unstable.panic-abort-tests=false", "--lib", "--features", "lock_api"])
        .env("CARGO_PROFILE_DEV_PANIC", "unwind")
        .env("CARGO_PROFILE_TEST_PANIC", "unwind")
        .env("MIRIFLAGS", "-Zmiri-permissive-provenance");
    let (p, f) = libtest(&mut miri, PROGRAM_LIMIT)?;
    (passed, failed) = (passed + p, failed + f);
    say!("   miri: {p} passed, {f} failed in {:.1}s", part.elapsed().as_secs_f64());

    say!("== host: cargo test --release -p strand-check (loom models, property tests)");
    let part = Instant::now();
    let mut check = cargo();
    check
        .args(["test", "--release", "--no-fail-fast", "-p", "strand-check"])
        .env("CARGO_TARGET_DIR", root().join("target").join("check"))
        .envs(CHECK_PROFILE);
    let (p, f) = libtest(&mut check, CHECK_LIMIT)?;
    (passed, failed) = (passed + p, failed + f);
    say!("   strand-check: {p} passed, {f} failed in {:.1}s", part.elapsed().as_secs_f64());

    Ok(Row { name: "host".into(), passed, failed, skipped: 0, secs: start.elapsed().as_secs_f64() })
}

/// `cargo test --doc` for the table's x86_64 musl row: each doc example is a whole `#![no_std]`
/// strand program (its `strand::main!` and attributes hidden with `# `), built with that row's
/// link flags and run natively, so an example is a test that can fail. Twice: with
/// `panic = "abort"` and the features whose items have examples (`alloc`, `count-syscalls`),
/// then with `panic = "unwind"` and the `unwind` feature (the `unwind` profile, core rebuilt so)
/// for the examples of `panic::catch_unwind` and `Panic`.
fn doctests(unwind: bool) -> Command {
    let arch = crate::arches::ARCHES.iter().find(|a| a.name == "x86_64").expect("x86_64 is in the table");
    let mut flags = crate::arches::rustflags(arch);
    flags.extend(["-C".to_string(), format!("panic={}", if unwind { "unwind" } else { "abort" })]);
    let quoted: Vec<String> = flags.iter().map(|f| format!("{f:?}")).collect();
    let mut c = cargo();
    c.args(["test", "--doc", "--target", arch.triple]);
    if unwind {
        c.args(["--profile", "unwind", "--features", "lock_api,unwind"]);
    } else {
        c.args(["--features", "lock_api,alloc,count-syscalls"]);
    }
    c.args(BUILD_STD).args(["--config", &format!("target.{}.rustdocflags=[{}]", arch.triple, quoted.join(", "))]);
    c
}

/// Runs a `cargo test` and adds up libtest's "test result:" lines; a run that fails without
/// reporting a failed test (a build error, an abort, the time limit) counts as one failure.
fn libtest(c: &mut Command, limit: Duration) -> Result<(u32, u32), String> {
    let out = run_limited(c, limit)?;
    say_raw!("{}", indent(&out.stdout));
    let (mut passed, mut failed) = (0, 0);
    for line in out.stdout.lines() {
        // "test result: ok. 21 passed; 0 failed; ..."
        if let Some(rest) = line.strip_prefix("test result: ") {
            let num = |word: &str| {
                rest.split("; ")
                    .find_map(|part| part.trim_start_matches(|c: char| !c.is_ascii_digit()).strip_suffix(word))
                    .and_then(|n| n.trim().parse::<u32>().ok())
            };
            passed += num(" passed").unwrap_or(0);
            failed += num(" failed").unwrap_or(0);
        }
    }
    if out.status.is_none_or(|s| !s.success()) {
        say_raw!("{}", indent(&out.stderr));
        if out.status.is_none() {
            say!("   FAILED: killed after the {} s limit", limit.as_secs());
        }
        failed = failed.max(1);
    }
    Ok((passed, failed))
}

/// The freestanding test programs built the ordinary way (panic=abort): tests/*.rs except
/// [`UNWIND_PROGRAM`], which `unwind_checks` builds on its own.
fn programs() -> Result<Vec<String>, String> {
    let dir = root().join("tests");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".rs")).map(String::from))
        .filter(|n| n != UNWIND_PROGRAM)
        .collect();
    names.sort();
    Ok(names)
}

/// The test program of the `unwind` feature: built with `panic = "unwind"` everywhere.
const UNWIND_PROGRAM: &str = "unwind";

/// Its runs that end the process, after the program itself.
const UNWIND_EXTRA_RUNS: &[ExtraRun] = &[
    ExtraRun {
        name: "panic_in_main_unwinds_main_and_exits_101",
        args: &["--panic-in-main"],
        expect: |_| {
            Some(Expect {
                code: 101,
                stdout: &[&["main's guard dropped during the unwind"]],
                stderr: &[&["thread 'main' (tid ", ") panicked at tests/unwind.rs:", ": main boom 101"]],
            })
        },
        limit: PROGRAM_LIMIT,
        skip_on: &[],
    },
    ExtraRun {
        name: "panic_while_unwinding_exits_101",
        args: &["--panic-while-unwinding"],
        expect: |_| {
            Some(Expect {
                code: 101,
                stdout: &[],
                stderr: &[
                    &["thread 'main' (tid ", ") panicked at tests/unwind.rs:", ": first panic"],
                    &["thread panicked while processing a panic; exiting"],
                ],
            })
        },
        limit: PROGRAM_LIMIT,
        skip_on: &[],
    },
    ExtraRun {
        name: "panic_that_nothing_catches_exits_101",
        args: &["--panic-in-tls-destructor"],
        expect: |_| {
            Some(Expect {
                code: 101,
                stdout: &[],
                stderr: &[&["thread '<unnamed>' (tid ", ") panicked at tests/unwind.rs:", ": in a thread-local destructor"]],
            })
        },
        limit: PROGRAM_LIMIT,
        skip_on: &[],
    },
];

/// tests/unwind.rs with the `unwind` feature and strand's `unwind` profile (panic=unwind, core
/// rebuilt the same way; the profile has its own output directory), and its extra runs. On an
/// ABI whose table row has no unwinding, one skip line with the table's reason.
fn unwind_checks(arch: &Arch, full: bool) -> Result<(u32, u32, u32), String> {
    let mut row = Row { name: String::new(), passed: 0, failed: 0, skipped: 0, secs: 0.0 };
    if let crate::arches::Unwind::No(why) = arch.unwind {
        record(&mut row, UNWIND_PROGRAM, "all", Ok(Some(format!("the `unwind` feature is not available on {}: {why}", arch.name))));
        return Ok((row.passed, row.failed, row.skipped));
    }
    // Like the rebuilt-core checks (its build rebuilds `core` with landing pads): on the first
    // row of each arch file that has the feature, unless `--full`; CI's time on 2 cores.
    let first = crate::arches::ARCHES
        .iter()
        .find(|a| a.file == arch.file && a.unwind == crate::arches::Unwind::Yes)
        .map_or(arch.name, |a| a.name);
    if !full && first != arch.name {
        let why = format!("sampled: run on {first}, the first row of arch/{} with unwinding (`cargo xtask test --full` runs it here)", arch.file);
        record(&mut row, UNWIND_PROGRAM, "all", Ok(Some(why)));
        return Ok((row.passed, row.failed, row.skipped));
    }
    say!("== {}: building {UNWIND_PROGRAM} with --profile unwind --features unwind", arch.name);
    let mut c = cargo();
    c.args(["test", "--no-run", "--message-format=json-render-diagnostics", "--profile", "unwind"])
        .args(["--features", "lock_api,unwind", "--target", arch.triple, "--test", UNWIND_PROGRAM])
        .args(BUILD_STD);
    let out = run_limited(&mut c, BUILD_LIMIT)?;
    let exe = out
        .stdout
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\""))
        .find_map(|l| json_str(l, "executable"))
        .map(String::from);
    let (Some(exe), Some(true)) = (exe, out.status.map(|s| s.success())) else {
        say_raw!("{}", out.stderr);
        say!("   FAILED: {UNWIND_PROGRAM} did not build with the unwind profile for {}", arch.triple);
        return Ok((0, 1, 0));
    };
    row.add(run_program(arch, UNWIND_PROGRAM, &exe, &[])?);
    for check in UNWIND_EXTRA_RUNS {
        let Some(expect) = (check.expect)(arch) else { continue };
        record(&mut row, UNWIND_PROGRAM, check.name, extra_run(arch, &exe, check, &expect)?);
    }
    Ok((row.passed, row.failed, row.skipped))
}

/// The test programs that need the `alloc` feature (strand's global allocator); `alloc` is in
/// every build's -Zbuild-std. Left out, with a skip, on the rows of `ALLOC_SKIP`.
const ALLOC_PROGRAMS: &[&str] = &["alloc"];

/// The arch files whose first row runs the two rebuilt-core checks by default (`--full`: every
/// row). Each check rebuilds `core` (about a minute of a 2-core machine), so with 27 rows CI
/// runs them on one file per mechanism they test rather than on every file: x86_64.rs (canary
/// at `%fs:0x28`, variant II; RELA and RELR relocations by lld), x86.rs (`%gs:0x14` through a
/// `user_desc`; REL), aarch64.rs (the global `__stack_chk_guard`; RELA), powerpc64.rs (a
/// variant I slot below the thread pointer), mips.rs (the local GOT `_start` relocates before
/// any call), sparc64.rs (GNU ld's static-pie, addresses loaded from the GOT) and powerpc.rs
/// (`.got2`, relocated by `_start` before any Rust code that reads it).
const CORE_CHECK_FILES: &[&str] = &["x86_64.rs", "x86.rs", "aarch64.rs", "powerpc64.rs", "mips.rs", "sparc64.rs", "powerpc.rs"];

/// Rows whose static-pie cannot be linked, with the reason, printed as a skip.
const STATIC_PIE_SKIP: &[(&str, &str)] = &[(
    "m68k",
    "GNU ld (binutils 2.40, m68k-linux-gnu-ld) cannot link LLVM 22's m68k code as a static-pie: \
     \"relocation truncated to fit: R_68K_GOT16 against `_GLOBAL_OFFSET_TABLE_'\" (LLVM's m68k PIC uses \
     16-bit GOT offsets); the row's ordinary static build links",
)];

/// Rows where the `alloc` feature cannot be built, with the reason, printed as a skip.
const ALLOC_SKIP: &[(&str, &str)] = &[(
    "x86_64-none",
    "the alloc feature's dlmalloc depends on the libc crate on every unix target, and libc 0.2.191 does not \
     compile for x86_64-unknown-linux-none (target_env is empty: E0432, unresolved imports in its linux \
     module); the same program runs on the x86_64 row, the same kernel ABI",
)];

/// Builds `programs` for `arch` with `features` and the -Zbuild-std flags `build_std`; returns
/// (program, executable) pairs, or `None` after printing why the build failed.
fn build_programs(
    arch: &Arch,
    programs: &[String],
    features: &str,
    build_std: &[&str],
) -> Result<Option<Vec<(String, String)>>, String> {
    let mut c = cargo();
    c.args(["test", "--no-run", "--message-format=json-render-diagnostics", "--features", features])
        .args(["--target", arch.triple])
        .args(build_std);
    for p in programs {
        c.args(["--test", p]);
    }
    // examples/demo.rs too, in the same build (one strand for both).
    c.args(["--example", "demo"]);
    let out = run_limited(&mut c, BUILD_LIMIT)?;
    if out.status.is_none_or(|s| !s.success()) {
        say_raw!("{}", out.stderr);
        if out.status.is_none() {
            say!("   the build was killed after the {} s limit", BUILD_LIMIT.as_secs());
        }
        return Ok(None);
    }
    let mut exes = Vec::new();
    for line in out.stdout.lines().filter(|l| l.contains("\"reason\":\"compiler-artifact\"")) {
        if let (Some(exe), Some(target)) = (json_str(line, "executable"), line.split("\"target\":").nth(1)) {
            if let Some(name) = json_str(target, "name") {
                exes.push((name.to_string(), exe.to_string()));
            }
        }
    }
    Ok(Some(exes))
}

fn arch_tests(arch: &Arch, full: bool) -> Result<Row, String> {
    let start = Instant::now();
    let mut row = Row { name: arch.name.into(), passed: 0, failed: 0, skipped: 0, secs: 0.0 };
    say!("== {}: building test programs for {}", arch.name, arch.triple);
    let mut programs = programs()?;
    // One build for every program and the demo: with the `alloc` feature (its programs need it;
    // the others do not allocate, so the allocator is never reached, and the stress programs
    // and the new-crate check keep building strand without it), except on a row that cannot
    // build the feature, where its programs print a skip. And with `count-syscalls`, for the
    // tests that count the syscalls of a path (tests/sync.rs: a notify made under the lock).
    let features = match ALLOC_SKIP.iter().find(|(name, _)| *name == arch.name) {
        Some((_, why)) => {
            for p in ALLOC_PROGRAMS {
                record(&mut row, p, "*", Ok(Some(why.to_string())));
            }
            programs.retain(|p| !ALLOC_PROGRAMS.contains(&p.as_str()));
            "lock_api,count-syscalls"
        }
        None => "lock_api,alloc,count-syscalls",
    };
    let Some(exes) = build_programs(arch, &programs, features, &BUILD_STD)? else {
        say!("   FAILED: the test programs did not build for {}", arch.triple);
        row.failed = 1;
        row.secs = start.elapsed().as_secs_f64();
        return Ok(row);
    };
    if arch.triple.ends_with("-gnux32") {
        record(&mut row, "build", "every_syscall_number_carries_the_x32_bit", x32_numbers(arch));
    }
    for p in &programs {
        let Some((_, exe)) = exes.iter().find(|(n, _)| n == p) else {
            say!("   FAILED: cargo built no executable for test program {p}");
            row.failed += 1;
            continue;
        };
        row.add(run_program(arch, p, exe, &[])?);
        let extra: &[ExtraRun] = match p.as_str() {
            "startup" => EXTRA_RUNS,
            "exit" => EXIT_EXTRA_RUNS,
            "fault" => FAULT_EXTRA_RUNS,
            _ => &[],
        };
        for check in extra {
            if let Some((_, why)) = check.skip_on.iter().find(|(name, _)| *name == arch.name) {
                record(&mut row, p, check.name, Ok(Some(why.to_string())));
                continue;
            }
            let Some(expect) = (check.expect)(arch) else { continue };
            record(&mut row, p, check.name, extra_run(arch, exe, check, &expect)?);
        }
    }
    row.add(unwind_checks(arch, full)?);
    // The two checks that rebuild `core` (about half a minute each under QEMU) exercise what the
    // arch file decides: the canary slot and the self-relocation of `_start` and `rt`. Rows
    // that share a file differ in byte order, float ABI, instruction set or link flags, none
    // of which those two depend on, so by default they run on the first row of each file and
    // the others print a skip saying where; `--full` runs them on every row. This keeps the
    // whole matrix within CI's 60 minutes on 2 cores.
    // A row that is only built leaves them out unless `--full`: the programs' build above is
    // the check that can be made there.
    let first = crate::arches::ARCHES.iter().find(|a| a.file == arch.file).map_or(arch.name, |a| a.name);
    if let (Some(why), false) = (crate::arches::build_only(arch), full) {
        let why = format!("not built on a build-only row without `--full` ({why})");
        record(&mut row, "startup", "stack_protector_build", Ok(Some(why.clone())));
        record(&mut row, "startup", "static_pie_build", Ok(Some(why)));
    } else if full || (first == arch.name && CORE_CHECK_FILES.contains(&arch.file)) {
        row.add(stack_protector_checks(arch)?);
        match STATIC_PIE_SKIP.iter().find(|(name, _)| *name == arch.name) {
            Some((_, why)) => record(&mut row, "startup", "static_pie_build", Ok(Some(why.to_string()))),
            None => row.add(static_pie(arch)?),
        }
    } else if !CORE_CHECK_FILES.contains(&arch.file) {
        let why = format!(
            "sampled: by default on the arch files of CORE_CHECK_FILES (xtask/src/test.rs), one per canary and \
             relocation mechanism, not arch/{} (`cargo xtask test --full` runs it here)",
            arch.file
        );
        record(&mut row, "startup", "stack_protector_build", Ok(Some(why.clone())));
        record(&mut row, "startup", "static_pie_build", Ok(Some(why)));
    } else {
        let why = format!("sampled: run on {first}, the first row of arch/{} (`cargo xtask test --full` runs it here)", arch.file);
        record(&mut row, "startup", "stack_protector_build", Ok(Some(why.clone())));
        record(&mut row, "startup", "static_pie_build", Ok(Some(why)));
    }
    let demo_exe = exes.iter().find(|(n, _)| n == "demo").map(|(_, e)| e.clone());
    record(&mut row, "demo", "demo_runs", demo(arch, demo_exe)?);
    row.secs = start.elapsed().as_secs_f64();
    Ok(row)
}

/// x32: the build above compiled the arch file's compile-time check that every number in its
/// `X32_NUMBERS` list carries `__X32_SYSCALL_BIT`; this checks the list names every `__NR_`
/// constant the library, the test, stress and example programs use, so no syscall escapes it.
fn x32_numbers(arch: &Arch) -> Result<Option<String>, String> {
    let file = root().join("arch").join(arch.file);
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let list = text
        .split_once("x32_numbers! {")
        .and_then(|(_, rest)| rest.split_once("};"))
        .map(|(list, _)| list.split_whitespace().collect::<Vec<_>>())
        .ok_or_else(|| format!("{} has no `x32_numbers! {{ ... }}` list", file.display()))?;
    let mut used = std::collections::BTreeSet::new();
    let mut files = vec![root().join("arch").join("mod.rs"), file.clone()];
    for dir in ["src", "tests", "examples", "stress"] {
        rust_files(&root().join(dir), &mut files);
    }
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        for (i, _) in text.match_indices("__NR_") {
            let name: String = text[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if name.len() > "__NR_".len() {
                used.insert(name);
            }
        }
    }
    // Only the names x32 has: a name it lacks (the `*32` uid calls and the time64 calls of the
    // 32-bit ABIs, named in `nr_time64!`) could not compile into an x32 build at all.
    let x32 = x32_general()?;
    let missing: Vec<_> = used
        .iter()
        .filter(|n| x32.contains(&format!("pub const {n}:")) && !list.contains(&n.as_str()))
        .cloned()
        .collect();
    if missing.is_empty() {
        say!("   {} syscall numbers checked for the x32 bit", list.len());
        Ok(None)
    } else {
        Err(format!("used but not in the x32_numbers! list of {}: {}", file.display(), missing.join(" ")))
    }
}

/// The text of linux-raw-sys's x32 `general` module (its syscall numbers), from the copy cargo
/// builds strand with.
fn x32_general() -> Result<String, String> {
    let out = Command::new("cargo")
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(root().join("Cargo.toml"))
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let manifest = text
        .split("\"manifest_path\":\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|p| p.contains("/linux-raw-sys-"))
        .ok_or("cargo metadata names no linux-raw-sys package")?;
    let file = std::path::Path::new(manifest).with_file_name("src/x32/general.rs");
    std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// examples/demo.rs, built with the test programs (the test profile, `count-syscalls` on, as
/// the tests that count a path's syscalls need) and run: it must end with status 0 and its closing
/// "done in" line.
fn demo(arch: &Arch, exe: Option<String>) -> Result<Result<Option<String>, String>, String> {
    say!("== {}: examples/demo.rs", arch.name);
    let Some(exe) = exe else {
        return Ok(Err(format!("cargo built no examples/demo.rs for {}", arch.triple)));
    };
    if let Some(why) = crate::arches::build_only(arch) {
        return Ok(Ok(Some(format!("built, not run: {why}"))));
    }
    let run = run_limited(&mut command(arch, &exe), PROGRAM_LIMIT)?;
    say_raw!("{}", indent(&run.stdout));
    Ok(match run.status {
        None => Err(format!("killed after the {} s limit", PROGRAM_LIMIT.as_secs())),
        Some(s) if !s.success() => Err(format!("exited with {s}: {}", run.stderr.trim_end())),
        Some(_) if !run.stdout.lines().any(|l| l.starts_with("done in ")) => Err("no closing \"done in\" line".into()),
        Some(_) => Ok(None),
    })
}

/// The startup program built with `-Zstack-protector=all` (core included): every function then
/// reads the ABI's canary slot, from `_start`'s first call on. The whole program must pass, and
/// a function whose canary was changed must end the process through `__stack_chk_fail` (strand's
/// message, then SIGABRT). Its own target directory keeps the instrumented `core` apart.
fn stack_protector_checks(arch: &Arch) -> Result<(u32, u32, u32), String> {
    say!("== {}: startup built with -Zstack-protector=all", arch.name);
    let dir = root().join("target").join("stack-protector");
    let mut c = cargo();
    c.args(["test", "--no-run", "--message-format=json-render-diagnostics", "--features", "lock_api"])
        .args(["--target", arch.triple, "--test", "startup"])
        .args(["--config", &format!("target.{}.rustflags=[\"-Zstack-protector=all\"]", arch.triple)])
        .args(BUILD_STD)
        .env("CARGO_TARGET_DIR", &dir);
    let out = run_limited(&mut c, BUILD_LIMIT)?;
    let exe = out
        .stdout
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\""))
        .find_map(|l| json_str(l, "executable").map(String::from));
    let Some(exe) = exe.filter(|_| out.status.is_some_and(|s| s.success())) else {
        say_raw!("{}", out.stderr);
        say!("   FAILED: startup did not build with -Zstack-protector=all for {}", arch.triple);
        return Ok((0, 1, 0));
    };
    let (mut passed, mut failed, skipped) = run_program(arch, "startup (stack protector)", &exe, &[])?;
    if let Some(why) = crate::arches::build_only(arch) {
        say!("   test startup::changed_canary_aborts_through_stack_chk_fail ... skipped: {why}");
        return Ok((passed, failed, skipped + 1));
    }
    let mut c = command(arch, &exe);
    c.arg("--smash-canary");
    let out = run_limited(&mut c, PROGRAM_LIMIT)?;
    use std::os::unix::process::ExitStatusExt;
    let aborted = out.status.and_then(|s| s.signal()) == Some(6);
    let said = out.stderr.contains("strand: stack smashing detected");
    if aborted && said {
        passed += 1;
        say!("   test startup::changed_canary_aborts_through_stack_chk_fail ... ok");
    } else {
        failed += 1;
        say!(
            "   test startup::changed_canary_aborts_through_stack_chk_fail ... FAILED: status {:?}, stderr: {}",
            out.status,
            out.stderr.trim()
        );
    }
    Ok((passed, failed, skipped))
}

pub(crate) fn command(arch: &Arch, exe: &str) -> Command {
    let mut c = crate::arches::qemu_command(arch, exe).unwrap_or_else(|| Command::new(exe));
    c.env(ENV.0, ENV.1);
    if arch.linker == crate::arches::Linker::TargetDefault {
        // Every build of a `-linux-none` row is a static-pie (tests/startup.rs checks which).
        c.env("STRAND_TEST_PIE", "1");
    }
    c
}

/// Counts and prints the outcome of a check xtask makes itself; `Ok(Some(reason))` is a skip.
fn record(row: &mut Row, program: &str, name: &str, outcome: Result<Option<String>, String>) {
    match outcome {
        Ok(None) => {
            row.passed += 1;
            say!("   test {program}::{name} ... ok");
        }
        Ok(Some(why)) => {
            row.skipped += 1;
            say!("   test {program}::{name} ... skipped: {why}");
        }
        Err(why) => {
            row.failed += 1;
            say!("   test {program}::{name} ... FAILED: {why}");
        }
    }
}

/// Runs one test program; its own closing line gives the counts.
fn run_program(arch: &Arch, name: &str, exe: &str, env: &[(&str, &str)]) -> Result<(u32, u32, u32), String> {
    say!("== {}: {name}", arch.name);
    if let Some(why) = crate::arches::build_only(arch) {
        // Built (the caller has the executable), not run: one pass for the build, one skip for
        // the run, with the table's reason.
        say!("   test {name}::builds ... ok");
        say!("   test {name}::runs ... skipped: {why}");
        return Ok((1, 0, 1));
    }
    let mut c = command(arch, exe);
    c.args(ARGS).envs(env.iter().copied());
    let out = run_limited(&mut c, PROGRAM_LIMIT)?;
    say_raw!("{}", indent(&out.stdout));
    say_raw!("{}", indent(&out.stderr));
    let summary = out.stdout.lines().rev().find_map(parse_closing_line);
    Ok(match (out.status, summary) {
        (None, s) => {
            say!("   FAILED: {name} was killed after {}s (hung?)", PROGRAM_LIMIT.as_secs());
            let (p, f, sk) = s.unwrap_or((0, 0, 0));
            (p, f + 1, sk)
        }
        (Some(st), Some((p, f, sk))) if st.success() || f > 0 => (p, f, sk),
        (Some(st), Some((p, f, sk))) => {
            say!("   FAILED: {name} reported {f} failures but exited with {st}");
            (p, f + 1, sk)
        }
        (Some(st), None) => {
            say!("   FAILED: {name} ended ({st}) without its closing line");
            (0, 1, 0)
        }
    })
}

/// A program's closing line: `N passed, N failed` or `N passed, N failed, N skipped`.
pub(crate) fn parse_closing_line(line: &str) -> Option<(u32, u32, u32)> {
    let line = line.trim();
    let (head, skipped) = match line.rsplit_once(", ") {
        Some((head, tail)) if tail.ends_with(" skipped") => (head, tail.strip_suffix(" skipped")?.parse().ok()?),
        _ => (line, 0),
    };
    let (p, f) = parse_summary(head)?;
    Some((p, f, skipped))
}

pub(crate) fn parse_summary(line: &str) -> Option<(u32, u32)> {
    let (p, rest) = line.trim().split_once(" passed, ")?;
    let f = rest.strip_suffix(" failed")?;
    Some((p.parse().ok()?, f.parse().ok()?))
}

/// What one run of a test program (startup, exit) in a mode of its own must do.
struct Expect {
    /// The exit status; negative: killed by that signal (this host's number; QEMU ends itself
    /// with the host's signal for the guest's).
    code: i32,
    /// For each entry, one stdout line must contain all of its fragments.
    stdout: &'static [&'static [&'static str]],
    /// The same for stderr.
    stderr: &'static [&'static [&'static str]],
}

/// A run of a test program with `args`, in a process of its own: for checks that end the
/// process (a panic, `exit`) or need one set up differently (a seccomp filter).
struct ExtraRun {
    name: &'static str,
    args: &'static [&'static str],
    /// What the run must do on an ABI, or `None` where the check does not apply.
    expect: fn(&Arch) -> Option<Expect>,
    /// A run that takes longer is killed and fails (a hang, e.g. an exit that waits for itself).
    limit: Duration,
    /// ABIs where the run is skipped, by name, with the exact reason printed.
    skip_on: &'static [(&'static str, &'static str)],
}

/// The ABIs with 32-bit-time syscalls to fall back to: the arch files whose
/// `nr::FUTEX_TIME32` and friends are `Some` (`nr_time64!` with `time32: fallback`, and
/// hexagon's own `sys`: the generic 32-bit table with the `time32` ABI,
/// arch/hexagon/kernel/Makefile.syscalls). Not riscv32 (in `arch/riscv.rs`): a 32-bit ABI, but
/// one with only the 64-bit-time syscalls (its asm-generic table has no
/// `__ARCH_WANT_TIME32_SYSCALLS`, so no `futex` to fall back to), which behaves here as the
/// 64-bit ABIs do: denied `futex_time64`, start-up stops with ENOSYS.
const TIME32_FILES: &[&str] = &["x86.rs", "mips.rs", "arm.rs", "powerpc.rs", "sparc.rs", "m68k.rs", "hexagon.rs"];

fn is_32bit(arch: &Arch) -> bool {
    TIME32_FILES.contains(&arch.file)
}

const EXIT_LIMIT: Duration = Duration::from_secs(120);

const EXTRA_RUNS: &[ExtraRun] = &[
    ExtraRun {
        name: "panic_in_thread_prints_name_tid_location_and_exits_101",
        args: &["--panic-in-thread"],
        expect: |_| {
            Some(Expect {
                code: 101,
                stdout: &[],
                stderr: &[&["thread 'worker-7' (tid ", ") panicked at tests/startup.rs:", ": boom 42"]],
            })
        },
        limit: PROGRAM_LIMIT,
        skip_on: &[],
    },
    ExtraRun {
        name: "unlock_of_unlocked_mutex_is_reported",
        args: &["--unlock-unlocked"],
        expect: |_| {
            Some(Expect { code: 101, stdout: &[], stderr: &[&["thread 'main' (tid ", "unlock of a mutex that was not locked"]] })
        },
        limit: PROGRAM_LIMIT,
        skip_on: &[],
    },
    ExtraRun {
        name: "recursive_mutex_lock_is_reported",
        args: &["--recursive-lock"],
        expect: |_| {
            Some(Expect {
                code: 101,
                stdout: &[],
                stderr: &[&["thread 'main' (tid ", ") panicked at tests/startup.rs:", "recursive lock attempt: thread (tid ", ") already holds this mutex"]],
            })
        },
        // Were it not reported, the lock would wait for itself: fail in minutes, not ten.
        limit: EXIT_LIMIT,
        skip_on: &[],
    },
    ExtraRun {
        name: "reentrant_once_is_reported",
        args: &["--reentrant-once"],
        expect: |_| {
            // `#[track_caller]`: the message names the misuse's line, not strand's.
            Some(Expect {
                code: 101,
                stdout: &[],
                stderr: &[&["thread 'main' (tid ", ") panicked at tests/startup.rs:", "Once::call_once called re-entrantly"]],
            })
        },
        limit: PROGRAM_LIMIT,
        skip_on: &[],
    },
    ExtraRun {
        name: "sigpipe_keeps_the_default_and_ends_the_process",
        args: &["--write-closed-pipe"],
        expect: |_| Some(Expect { code: KILLED_BY_PIPE, stdout: &[], stderr: &[] }),
        limit: PROGRAM_LIMIT,
        skip_on: &[],
    },
    ExtraRun {
        name: "exit_from_a_second_thread_waits_for_the_first",
        args: &["--concurrent-exit"],
        expect: |_| {
            Some(Expect {
                code: 7,
                stdout: &[&["concurrent exit: second thread asleep in exit"], &["exit check: .fini_array ran"]],
                stderr: &[],
            })
        },
        limit: EXIT_LIMIT,
        skip_on: &[],
    },
    ExtraRun {
        name: "exit_from_an_at_exit_handler_finishes_the_others",
        args: &["--reentrant-exit"],
        expect: |_| {
            Some(Expect {
                code: 5,
                stdout: &[&["reentrant exit: the older handler ran"], &["exit check: .fini_array ran"]],
                stderr: &[],
            })
        },
        limit: EXIT_LIMIT,
        skip_on: &[],
    },
    ExtraRun {
        name: "without_the_futex_syscall",
        args: &["--seccomp-deny", "futex"],
        expect: |arch| {
            Some(if is_32bit(arch) {
                // futex_time64 denied: falls back to futex, and still blocks.
                Expect { code: 0, stdout: &[&["seccomp child (futex): join blocked"]], stderr: &[] }
            } else {
                Expect {
                    code: 127,
                    stdout: &[],
                    stderr: &[&["strand: start-up failed: the futex syscall (number ", ") fails with ENOSYS"]],
                }
            })
        },
        limit: EXIT_LIMIT,
        skip_on: &[],
    },
    ExtraRun {
        name: "without_the_time64_syscalls",
        args: &["--seccomp-deny", "time64"],
        // A 32-bit kernel before 5.1: futex, clock_gettime and clock_nanosleep fall back.
        expect: |arch| {
            is_32bit(arch).then_some(Expect { code: 0, stdout: &[&["seccomp child (time64): join blocked"]], stderr: &[] })
        },
        limit: EXIT_LIMIT,
        skip_on: &[],
    },
    ExtraRun {
        name: "without_any_futex_syscall",
        args: &["--seccomp-deny", "all-futex"],
        expect: |arch| {
            is_32bit(arch).then_some(Expect {
                code: 127,
                stdout: &[],
                stderr: &[&["strand: start-up failed: neither futex_time64 (syscall ", "nor futex (syscall "]],
            })
        },
        limit: EXIT_LIMIT,
        skip_on: &[],
    },
];

/// The exit program's runs in a mode of their own (`tests/exit.rs`).
const EXIT_EXTRA_RUNS: &[ExtraRun] = &[
    ExtraRun {
        name: "main_thread_exit_runs_its_destructors_then_the_at_exit_handlers",
        args: &["--main-thread-exit"],
        expect: |_| {
            Some(Expect {
                code: 0,
                stdout: &[
                    &["main exit: calling thread::exit"],
                    &["main exit: tls destructor ran"],
                    &["main exit: at-exit handler ran, tls destructor ran 1 times before it"],
                ],
                stderr: &[],
            })
        },
        limit: EXIT_LIMIT,
        skip_on: &[],
    },
    ExtraRun {
        name: "with_on_a_destroyed_value_panics_clearly",
        args: &["--with-after-destroy"],
        expect: |_| {
            Some(Expect {
                code: 101,
                stdout: &[],
                stderr: &[&[
                    "panicked at tests/exit.rs:",
                    "cannot access a thread_local! value: thread-local value accessed after its destructor ran",
                ]],
            })
        },
        limit: EXIT_LIMIT,
        skip_on: &[],
    },
];

/// Killed by SIGSEGV / SIGFPE / SIGTRAP / SIGPIPE (x86 host numbers, man 7 signal).
const KILLED_BY_SEGV: i32 = -11;
const KILLED_BY_FPE: i32 = -8;
const KILLED_BY_TRAP: i32 = -5;
const KILLED_BY_PIPE: i32 = -13;

/// The fault program's runs that must end the process (`tests/fault.rs`): the report on stderr,
/// then death by the signal, natively and under QEMU.
const FAULT_EXTRA_RUNS: &[ExtraRun] = &[
    ExtraRun {
        name: "spawned_thread_stack_overflow_is_reported_and_kills_by_sigsegv",
        args: &["--overflow-spawned"],
        expect: |_| {
            Some(Expect { code: KILLED_BY_SEGV, stdout: &[], stderr: &[&["thread 'overflower' (tid ", ") has overflowed its stack"]] })
        },
        limit: PROGRAM_LIMIT,
        skip_on: &[],
    },
    ExtraRun {
        name: "main_thread_stack_overflow_is_reported_and_kills_by_sigsegv",
        args: &["--overflow-main"],
        expect: |_| Some(Expect { code: KILLED_BY_SEGV, stdout: &[], stderr: &[&["thread 'main' (tid ", ") has overflowed its stack"]] }),
        limit: PROGRAM_LIMIT,
        skip_on: &[],
    },
    ExtraRun {
        name: "unhandled_segv_names_signal_address_and_thread",
        args: &["--null-write"],
        expect: |arch| {
            Some(Expect {
                code: KILLED_BY_SEGV,
                stdout: &[],
                // The program writes to address 0x10. s390x reports only the page of a fault
                // (the low 12 bits are zero: arch/s390/mm/fault.c, `__FAIL_ADDR_MASK`; QEMU's
                // s390x user mode does the same).
                stderr: if arch.file == "s390x.rs" {
                    &[&["thread 'main' (tid ", ") got SIGSEGV (address not mapped) at address 0x0"]]
                } else {
                    &[&["thread 'main' (tid ", ") got SIGSEGV (address not mapped) at address 0x10"]]
                },
            })
        },
        limit: PROGRAM_LIMIT,
        skip_on: &[],
    },
    ExtraRun {
        name: "integer_division_by_zero_is_sigfpe_where_it_traps",
        args: &["--divide-by-zero"],
        // Where the hardware (or QEMU's model of it) does not trap, the run says so on a
        // `skipped:` line with exit status SKIP: aarch64, aarch64_be, riscv64, riscv32 and
        // loongarch64 (the ISA returns a value), and under QEMU 7.2 powerpc64, powerpc64le,
        // powerpc (`divw`: 7 / 0 gave 7; the Power ISA leaves the quotient undefined, with no
        // trap) and s390x too; the arm.rs ABIs (armv7, thumbv7neon, armv6, armeb, armv5te): LLVM
        // calls compiler_builtins'
        // `__aeabi_idiv`, which returns a value (the RTABI lets `__aeabi_idiv0` return;
        // measured: 7 / 0 gave 15, on armv5te too), and `sdiv` would give 0 (Arm ARM, SDIV: no trap on
        // A-profile). Those ABIs all run under QEMU.
        expect: |arch| {
            Some(if arch.file == "mips.rs" || arch.file == "mips64.rs" {
                // Every ABI of the mips o32 file, either byte order (mips, mipsel): LLVM guards a
                // mips division with `teq $divisor, $zero, 7`; the kernel turns that trap code
                // into SIGFPE (arch/mips/kernel/traps.c, do_trap_or_bp), but QEMU 7.2's user
                // mode raises SIGTRAP for it (qemu-mips and qemu-mipsel alike: "qemu: uncaught
                // target signal 5 (Trace/breakpoint trap)"), which strand does not handle.
                // The same for the mips64 n64 file (mips64, mips64el): LLVM guards `ddiv`/`div`
                // with the same `teq`, and qemu-mips64 7.2 printed the same line (exit by
                // signal 5, measured with tests/fault.rs --divide-by-zero).
                Expect { code: KILLED_BY_TRAP, stdout: &[], stderr: &[] }
            } else {
                Expect {
                    code: KILLED_BY_FPE,
                    stdout: &[],
                    stderr: &[&["thread 'main' (tid ", ") got SIGFPE (integer divide by zero) at address 0x"]],
                }
            })
        },
        limit: PROGRAM_LIMIT,
        skip_on: &[
            (
                "sparc64",
                "QEMU 7.2's sparc64 user mode does not handle the division-by-zero trap: it prints \"Unhandled trap: 0x28\" and exits with status 1",
            ),
            (
                "sparc",
                "QEMU 7.2's sparc32plus user mode does not handle the division-by-zero trap: it prints \"Unhandled trap: 0x28\" and exits with status 1",
            ),
        ],
    },
];

/// Exit status with which the startup program says a check cannot run here (and why, on a
/// `skipped:` line): seccomp under QEMU user mode.
const SKIP: i32 = 77;

fn extra_run(arch: &Arch, exe: &str, check: &ExtraRun, expect: &Expect) -> Result<Result<Option<String>, String>, String> {
    if let Some(why) = crate::arches::build_only(arch) {
        return Ok(Ok(Some(why.to_string())));
    }
    let mut c = command(arch, exe);
    c.args(check.args);
    let out = run_limited(&mut c, check.limit)?;
    let code = out.status.and_then(|s| s.code());
    if code == Some(SKIP) && arch.qemu.is_some() {
        if let Some(why) = out.stdout.lines().find_map(|l| l.strip_prefix("skipped: ")) {
            return Ok(Ok(Some(why.to_string())));
        }
    }
    Ok(check_output(&out, expect, check.limit))
}

/// Whether a finished run matches `expect`.
fn check_output(out: &crate::util::Finished, expect: &Expect, limit: Duration) -> Result<Option<String>, String> {
    let both = || format!("stdout: {} | stderr: {}", out.stdout.trim(), out.stderr.trim());
    let Some(status) = out.status else {
        return Err(format!("killed after {}s; {}", limit.as_secs(), both()));
    };
    use std::os::unix::process::ExitStatusExt;
    if status.code().or(status.signal().map(|s| -s)) != Some(expect.code) {
        return Err(format!("exit status {status}, expected {}; {}", expect.code, both()));
    }
    for (stream, text) in [(expect.stdout, &out.stdout), (expect.stderr, &out.stderr)] {
        for fragments in stream {
            if !text.lines().any(|l| fragments.iter().all(|f| l.contains(f))) {
                return Err(format!("no line with {fragments:?}; {}", both()));
            }
        }
    }
    Ok(None)
}

/// Builds tests/startup.rs once more as a static-pie (its own target directory, so the
/// ordinary build is left alone), runs it with STRAND_TEST_PIE=1 (its tests then check that it
/// is an ET_DYN image loaded away from its link address, with relocated pointers in statics,
/// TLS and .init_array), and runs a copy with one relocation broken, which must be refused
/// with a message. Returns (passed, failed).
fn static_pie(arch: &Arch) -> Result<(u32, u32, u32), String> {
    say!("== {}: building startup as a static-pie", arch.name);
    let flags = pie_rustflags(arch)?;
    let mut c = cargo();
    c.args(["test", "--no-run", "--message-format=json-render-diagnostics", "--features", "lock_api"])
        .args(["--target", arch.triple, "--test", "startup"])
        .args(BUILD_STD)
        .env("CARGO_TARGET_DIR", root().join("target").join("pie"))
        .env("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"));
    let out = run_limited(&mut c, BUILD_LIMIT)?;
    let exe = out
        .stdout
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\""))
        .find_map(|l| json_str(l, "executable"))
        .map(String::from);
    let (Some(exe), Some(true)) = (exe, out.status.map(|s| s.success())) else {
        say_raw!("{}", out.stderr);
        say!("   FAILED: startup did not build as a static-pie for {}", arch.triple);
        return Ok((0, 1, 0));
    };
    let mut row = Row { name: String::new(), passed: 0, failed: 0, skipped: 0, secs: 0.0 };
    row.add(run_program(arch, "startup (static-pie)", &exe, &[("STRAND_TEST_PIE", "1")])?);
    record(&mut row, "startup", "static_pie_with_a_bad_relocation_is_refused", bad_relocation(arch, &exe)?);
    Ok((row.passed, row.failed, row.skipped))
}

/// The flags the ABI table gives every build of this ABI, with its static-pie linker if the
/// table names one, a position-independent relocation model and the linker flags for a
/// static-pie (lld and GNU ld alike: `-pie` with rustc's `-static`, no PT_INTERP, and no text
/// relocations). rustc chooses static-pie by itself only on targets that declare it (x86_64
/// and s390x musl); the flags say it for all. Each relocation format is covered on some ABI:
/// lld writes REL for i386 and mips and RELA elsewhere, GNU ld RELA for sparc64, and
/// `-z pack-relative-relocs` (x86_64, riscv64) makes it RELR.
fn pie_rustflags(arch: &Arch) -> Result<Vec<String>, String> {
    if arch.linker == crate::arches::Linker::TargetDefault {
        // A `-linux-none` target links a static-pie with no flags at all.
        return Ok(crate::arches::rustflags(arch));
    }
    let mut flags = crate::arches::rustflags_with(arch, arch.pie_linker.unwrap_or(arch.linker));
    let model = flags
        .iter_mut()
        .find(|f| f.starts_with("relocation-model="))
        .ok_or_else(|| format!("the rustflags of {} set no relocation-model", arch.name))?;
    *model = "relocation-model=pie".into();
    for arg in ["-pie", "--no-dynamic-linker", "-ztext"] {
        flags.extend(["-C".into(), format!("link-arg={arg}")]);
    }
    if matches!(arch.name, "x86_64" | "riscv64") {
        flags.extend(["-C".into(), "link-arg=-zpack-relative-relocs".into()]);
    }
    Ok(flags)
}

/// Copies the static-pie and breaks its first relocation: a REL/RELA entry gets type 250 (no
/// psABI here defines it), or, in a RELR-only image, the first address becomes 0 (inside the
/// read-only first segment). Start-up must refuse it with status 127 and say why.
fn bad_relocation(arch: &Arch, exe: &str) -> Result<Result<Option<String>, String>, String> {
    if let Some(why) = crate::arches::build_only(arch) {
        return Ok(Ok(Some(why.to_string())));
    }
    let mut image = std::fs::read(exe).map_err(|e| format!("{exe}: {e}"))?;
    let broken = match break_first_relocation(&mut image) {
        Ok(f) => f,
        Err(e) => return Ok(Err(format!("{exe}: {e}"))),
    };
    let copy = format!("{exe}.bad-relocation");
    std::fs::write(&copy, &image).map_err(|e| format!("{copy}: {e}"))?;
    let mode = std::fs::metadata(exe).map_err(|e| e.to_string())?.permissions();
    std::fs::set_permissions(&copy, mode).map_err(|e| format!("{copy}: {e}"))?;
    let mut c = command(arch, &copy);
    let out = run_limited(&mut c, EXIT_LIMIT)?;
    let stderr: &'static [&'static [&'static str]] = match broken {
        Broken::Type => &[&["cannot relocate this static-pie executable", "cannot apply to itself", "type 250"]],
        Broken::Address => &[&["cannot relocate this static-pie executable", "outside its writable segments", "offset 0"]],
    };
    Ok(check_output(&out, &Expect { code: 127, stdout: &[], stderr }, EXIT_LIMIT))
}

enum Broken {
    Type,
    Address,
}

/// Edits the first entry of the image's first non-empty SHT_REL/SHT_RELA section, or else of
/// its SHT_RELR section (gABI: ELF header and section header layouts, both classes and byte
/// orders).
fn break_first_relocation(image: &mut [u8]) -> Result<Broken, String> {
    const SHT_RELA: u64 = 4;
    const SHT_REL: u64 = 9;
    const SHT_RELR: u64 = 19;
    let is64 = match image.get(4) {
        Some(1) => false,
        Some(2) => true,
        _ => return Err("not an ELF file".into()),
    };
    let big = image.get(5) == Some(&2);
    let read = |image: &[u8], off: usize, len: usize| -> Result<u64, String> {
        let b = image.get(off..off + len).ok_or("truncated ELF file")?;
        Ok(if big { b.iter().fold(0, |v, &x| v << 8 | x as u64) } else { b.iter().rev().fold(0, |v, &x| v << 8 | x as u64) })
    };
    let write = |image: &mut [u8], off: usize, len: usize, value: u64| {
        for i in 0..len {
            let shift = if big { 8 * (len - 1 - i) } else { 8 * i };
            image[off + i] = (value >> shift) as u8;
        }
    };
    let word = if is64 { 8 } else { 4 };
    let (shoff, shentsize, shnum) = if is64 {
        (read(image, 0x28, 8)?, read(image, 0x3a, 2)?, read(image, 0x3c, 2)?)
    } else {
        (read(image, 0x20, 4)?, read(image, 0x2e, 2)?, read(image, 0x30, 2)?)
    };
    let mut relr = None;
    for i in 0..shnum as usize {
        let sh = shoff as usize + i * shentsize as usize;
        let sh_type = read(image, sh + 4, 4)?;
        let (offset, size) = if is64 {
            (read(image, sh + 0x18, 8)?, read(image, sh + 0x20, 8)?)
        } else {
            (read(image, sh + 0x10, 4)?, read(image, sh + 0x14, 4)?)
        };
        if size == 0 {
            continue;
        }
        match sh_type {
            SHT_REL | SHT_RELA => {
                // r_info follows r_offset; its type is the low 32 bits (ELF64) or low 8 bits
                // (ELF32): writing the low 4 or 1 bytes of the word changes only the type.
                let info = offset as usize + word;
                // Little-endian MIPS64 (EM_MIPS, 8, at e_machine 0x12) is the exception: its
                // n64 r_info is a little-endian 32-bit r_sym, then the bytes r_ssym, r_type3,
                // r_type2, r_type (MIPS64 ELF psABI; `arch::r_info_gabi`), so the type is the
                // word's last byte and the three before it are the composed types.
                if is64 && !big && read(image, 0x12, 2)? == 8 {
                    image[info + 4..info + 8].copy_from_slice(&[0, 0, 0, 250]);
                    return Ok(Broken::Type);
                }
                let (at, len) = match (is64, big) {
                    (true, false) => (info, 4),
                    (true, true) => (info + 4, 4),
                    (false, false) => (info, 1),
                    (false, true) => (info + 3, 1),
                };
                write(image, at, len, 250);
                return Ok(Broken::Type);
            }
            SHT_RELR => relr = relr.or(Some(offset as usize)),
            _ => {}
        }
    }
    let at = relr.ok_or("no relocation section")?;
    write(image, at, word, 0);
    Ok(Broken::Address)
}

pub(crate) fn indent(s: &str) -> String {
    s.lines().map(|l| format!("   {l}\n")).collect()
}
