//! `cargo xtask test`: host unit tests, then every freestanding test program on every listed
//! ABI (natively or under QEMU), a per-ABI table, and one closing `N passed, N failed` line.

use crate::arches::Arch;
use crate::setup;
use crate::util::{cargo, json_str, root, run_limited, BUILD_STD};
use std::process::Command;
use std::time::{Duration, Instant};

/// Generous: QEMU on a loaded 2-core machine. A program that hangs is killed and counted failed.
const PROGRAM_LIMIT: Duration = Duration::from_secs(600);

/// The arguments and environment every test program gets; tests/startup.rs checks them.
const ARGS: [&str; 3] = ["--strand-args", "alpha", "beta gamma"];
const ENV: (&str, &str) = ("STRAND_TEST_ENV", "from-xtask");

struct Row {
    name: String,
    passed: u32,
    failed: u32,
    secs: f64,
}

pub fn run(arches: &[&Arch], host: bool) -> Result<bool, String> {
    setup::ensure(arches)?;
    let mut rows = Vec::new();
    if host {
        rows.push(host_tests()?);
    }
    for arch in arches {
        rows.push(arch_tests(arch)?);
    }
    println!();
    println!("{:<10} {:>7} {:>7} {:>9}", "ABI", "passed", "failed", "seconds");
    for r in &rows {
        println!("{:<10} {:>7} {:>7} {:>9.1}", r.name, r.passed, r.failed, r.secs);
    }
    let passed: u32 = rows.iter().map(|r| r.passed).sum();
    let failed: u32 = rows.iter().map(|r| r.failed).sum();
    println!("{passed} passed, {failed} failed");
    Ok(failed == 0)
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
/// tests, then `check/`, which compiles strand's own lock, lifecycle, parser and layout files
/// for loom models and property tests (release: loom explores far faster optimised).
fn host_tests() -> Result<Row, String> {
    let start = Instant::now();
    let (mut passed, mut failed) = (0, 0);

    println!("== host: cargo test --lib");
    let mut lib = cargo();
    lib.args(["test", "--lib", "--features", "lock_api"]);
    let (p, f) = libtest(&mut lib)?;
    (passed, failed) = (passed + p, failed + f);

    println!("== host: cargo test --release -p strand-check (loom models, property tests)");
    let part = Instant::now();
    let mut check = cargo();
    check
        .args(["test", "--release", "--no-fail-fast", "-p", "strand-check"])
        .env("CARGO_TARGET_DIR", root().join("target").join("check"))
        .envs(CHECK_PROFILE);
    let (p, f) = libtest(&mut check)?;
    (passed, failed) = (passed + p, failed + f);
    println!("   strand-check: {p} passed, {f} failed in {:.1}s", part.elapsed().as_secs_f64());

    Ok(Row { name: "host".into(), passed, failed, secs: start.elapsed().as_secs_f64() })
}

/// Runs a `cargo test` and adds up libtest's "test result:" lines; a run that fails without
/// reporting a failed test (a build error, an abort, the time limit) counts as one failure.
fn libtest(c: &mut Command) -> Result<(u32, u32), String> {
    let out = run_limited(c, PROGRAM_LIMIT)?;
    print!("{}", indent(&out.stdout));
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
        eprint!("{}", indent(&out.stderr));
        failed = failed.max(1);
    }
    Ok((passed, failed))
}

/// The freestanding test programs: tests/*.rs.
fn programs() -> Result<Vec<String>, String> {
    let dir = root().join("tests");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".rs")).map(String::from))
        .collect();
    names.sort();
    Ok(names)
}

fn arch_tests(arch: &Arch) -> Result<Row, String> {
    let start = Instant::now();
    let mut row = Row { name: arch.name.into(), passed: 0, failed: 0, secs: 0.0 };
    println!("== {}: building test programs for {}", arch.name, arch.triple);
    let programs = programs()?;
    let mut c = cargo();
    c.args(["test", "--no-run", "--message-format=json-render-diagnostics", "--features", "lock_api"])
        .args(["--target", arch.triple])
        .args(BUILD_STD);
    for p in &programs {
        c.args(["--test", p]);
    }
    let out = run_limited(&mut c, PROGRAM_LIMIT)?;
    if out.status.is_none_or(|s| !s.success()) {
        eprint!("{}", out.stderr);
        println!("   FAILED: the test programs did not build for {}", arch.triple);
        row.failed = 1;
        row.secs = start.elapsed().as_secs_f64();
        return Ok(row);
    }
    let mut exes = Vec::new();
    for line in out.stdout.lines().filter(|l| l.contains("\"reason\":\"compiler-artifact\"")) {
        if let (Some(exe), Some(target)) = (json_str(line, "executable"), line.split("\"target\":").nth(1)) {
            if let Some(name) = json_str(target, "name") {
                exes.push((name.to_string(), exe.to_string()));
            }
        }
    }
    for p in &programs {
        let Some((_, exe)) = exes.iter().find(|(n, _)| n == p) else {
            println!("   FAILED: cargo built no executable for test program {p}");
            row.failed += 1;
            continue;
        };
        let (passed, failed) = run_program(arch, p, exe)?;
        row.passed += passed;
        row.failed += failed;
        if p == "startup" {
            for check in EXPECTED_ABORTS {
                match expected_abort(arch, exe, check)? {
                    Ok(()) => {
                        row.passed += 1;
                        println!("   test startup::{} ... ok", check.name);
                    }
                    Err(why) => {
                        row.failed += 1;
                        println!("   test startup::{} ... FAILED: {why}", check.name);
                    }
                }
            }
        }
    }
    let (p, f) = stack_protector_checks(arch)?;
    row.passed += p;
    row.failed += f;
    row.secs = start.elapsed().as_secs_f64();
    Ok(row)
}

/// The startup program built with `-Zstack-protector=all` (core included): every function then
/// reads the ABI's canary slot, from `_start`'s first call on. The whole program must pass, and
/// a function whose canary was changed must end the process through `__stack_chk_fail` (strand's
/// message, then SIGABRT). Its own target directory keeps the instrumented `core` apart.
fn stack_protector_checks(arch: &Arch) -> Result<(u32, u32), String> {
    println!("== {}: startup built with -Zstack-protector=all", arch.name);
    let dir = root().join("target").join("stack-protector");
    let mut c = cargo();
    c.args(["test", "--no-run", "--message-format=json-render-diagnostics", "--features", "lock_api"])
        .args(["--target", arch.triple, "--test", "startup"])
        .args(["--config", &format!("target.{}.rustflags=[\"-Zstack-protector=all\"]", arch.triple)])
        .args(BUILD_STD)
        .env("CARGO_TARGET_DIR", &dir);
    let out = run_limited(&mut c, PROGRAM_LIMIT)?;
    let exe = out
        .stdout
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\""))
        .find_map(|l| json_str(l, "executable").map(String::from));
    let Some(exe) = exe.filter(|_| out.status.is_some_and(|s| s.success())) else {
        eprint!("{}", out.stderr);
        println!("   FAILED: startup did not build with -Zstack-protector=all for {}", arch.triple);
        return Ok((0, 1));
    };
    let (mut passed, mut failed) = run_program(arch, "startup (stack protector)", &exe)?;
    let mut c = command(arch, &exe);
    c.arg("--smash-canary");
    let out = run_limited(&mut c, PROGRAM_LIMIT)?;
    use std::os::unix::process::ExitStatusExt;
    let aborted = out.status.and_then(|s| s.signal()) == Some(6);
    let said = out.stderr.contains("strand: stack smashing detected");
    if aborted && said {
        passed += 1;
        println!("   test startup::changed_canary_aborts_through_stack_chk_fail ... ok");
    } else {
        failed += 1;
        println!(
            "   test startup::changed_canary_aborts_through_stack_chk_fail ... FAILED: status {:?}, stderr: {}",
            out.status,
            out.stderr.trim()
        );
    }
    Ok((passed, failed))
}

pub(crate) fn command(arch: &Arch, exe: &str) -> Command {
    let mut c = match arch.qemu {
        Some(q) => {
            let mut c = Command::new(q);
            c.arg(exe);
            c
        }
        None => Command::new(exe),
    };
    c.env(ENV.0, ENV.1);
    c
}

/// Runs one test program; its own closing line gives the counts.
fn run_program(arch: &Arch, name: &str, exe: &str) -> Result<(u32, u32), String> {
    println!("== {}: {name}", arch.name);
    let mut c = command(arch, exe);
    c.args(ARGS);
    let out = run_limited(&mut c, PROGRAM_LIMIT)?;
    print!("{}", indent(&out.stdout));
    print!("{}", indent(&out.stderr));
    let summary = out.stdout.lines().rev().find_map(parse_summary);
    Ok(match (out.status, summary) {
        (None, s) => {
            println!("   FAILED: {name} was killed after {}s (hung?)", PROGRAM_LIMIT.as_secs());
            let (p, f) = s.unwrap_or((0, 0));
            (p, f + 1)
        }
        (Some(st), Some((p, f))) if st.success() || f > 0 => (p, f),
        (Some(st), Some((p, f))) => {
            println!("   FAILED: {name} reported {f} failures but exited with {st}");
            (p, f + 1)
        }
        (Some(st), None) => {
            println!("   FAILED: {name} ended ({st}) without its closing line");
            (0, 1)
        }
    })
}

pub(crate) fn parse_summary(line: &str) -> Option<(u32, u32)> {
    let (p, rest) = line.trim().split_once(" passed, ")?;
    let f = rest.strip_suffix(" failed")?;
    Some((p.parse().ok()?, f.parse().ok()?))
}

/// A run of the startup program that must end the process the way strand's panic handler does.
struct ExpectedAbort {
    name: &'static str,
    arg: &'static str,
    /// Every fragment must appear in one stderr line.
    fragments: &'static [&'static str],
}

const EXPECTED_ABORTS: &[ExpectedAbort] = &[
    ExpectedAbort {
        name: "panic_in_thread_prints_name_tid_location_and_exits_101",
        arg: "--panic-in-thread",
        fragments: &["thread 'worker-7' (tid ", ") panicked at tests/startup.rs:", ": boom 42"],
    },
    ExpectedAbort {
        name: "unlock_of_unlocked_mutex_is_reported",
        arg: "--unlock-unlocked",
        fragments: &["thread 'main' (tid ", "unlock of a mutex that was not locked"],
    },
    ExpectedAbort {
        name: "reentrant_once_is_reported",
        arg: "--reentrant-once",
        fragments: &["thread 'main' (tid ", "Once::call_once called re-entrantly"],
    },
];

fn expected_abort(arch: &Arch, exe: &str, check: &ExpectedAbort) -> Result<Result<(), String>, String> {
    let mut c = command(arch, exe);
    c.arg(check.arg);
    let out = run_limited(&mut c, PROGRAM_LIMIT)?;
    let code = out.status.and_then(|s| s.code());
    if code != Some(101) {
        return Ok(Err(format!("exit status {:?}, expected 101; stderr: {}", out.status, out.stderr.trim())));
    }
    if !out.stderr.lines().any(|l| check.fragments.iter().all(|f| l.contains(f))) {
        return Ok(Err(format!("stderr lacks {:?}: {}", check.fragments, out.stderr.trim())));
    }
    Ok(Ok(()))
}

pub(crate) fn indent(s: &str) -> String {
    s.lines().map(|l| format!("   {l}\n")).collect()
}
