//! `cargo xtask stress [--arch LIST|all] [--quick]`: the stress programs (stress/*.rs, built as
//! the `stress_*` test targets) on every listed ABI, a per-ABI table and one closing line.
//!
//! Each program gets its size from the command line: `--quick` for the CI size, and
//! `--scale native|qemu`, because only xtask knows whether it runs the program under QEMU (the
//! programs never guess from their architecture). A program's own watchdog turns a hang into a
//! named failure; a program that outlives the hard limit here is killed and counted failed.

use crate::arches::Arch;
use crate::setup;
use crate::test::{command, indent, parse_closing_line};
use crate::util::{cargo, json_str, root, run_limited, BUILD_STD};
use std::time::{Duration, Instant};

/// Per program. The programs' watchdogs give up on a single test well before this (at most
/// 150 s quick, 600 s full, under QEMU), so a hang is normally reported by name first.
fn hard_limit(quick: bool) -> Duration {
    Duration::from_secs(if quick { 300 } else { 1800 })
}

/// The program whose `--watchdog-selftest` run checks that the watchdog works.
const SELFTEST_PROGRAM: &str = "stress_locks";
const SELFTEST_WAIT: &str = "waiting for: a futex wake that never comes";

#[derive(Default)]
struct Row {
    passed: u32,
    failed: u32,
    skipped: u32,
    secs: f64,
}

pub fn run(arches: &[&Arch], quick: bool) -> Result<bool, String> {
    setup::ensure(arches)?;
    let programs = programs()?;
    // Two rows at a time (`rows::run_rows`): one row's programs run while the next builds.
    let rows: Vec<_> = crate::rows::run_rows(arches, |arch| Ok((arch.name, arch_stress(arch, &programs, quick)?)))?;
    say!();
    say!("{:<11} {:>7} {:>7} {:>8} {:>9}", "ABI", "passed", "failed", "skipped", "seconds");
    for (name, r) in &rows {
        say!("{:<11} {:>7} {:>7} {:>8} {:>9.1}", name, r.passed, r.failed, r.skipped, r.secs);
    }
    let passed: u32 = rows.iter().map(|(_, r)| r.passed).sum();
    let failed: u32 = rows.iter().map(|(_, r)| r.failed).sum();
    let skipped: u32 = rows.iter().map(|(_, r)| r.skipped).sum();
    say!("{}", closing_line(passed, failed, skipped));
    Ok(failed == 0)
}

/// `N passed, N failed`, with `, N skipped` when something was skipped (as the programs print).
fn closing_line(passed: u32, failed: u32, skipped: u32) -> String {
    if skipped == 0 {
        format!("{passed} passed, {failed} failed")
    } else {
        format!("{passed} passed, {failed} failed, {skipped} skipped")
    }
}


/// The stress programs' target names: `stress_<file stem>` for every stress/*.rs.
fn programs() -> Result<Vec<String>, String> {
    let dir = root().join("stress");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".rs")).map(|n| format!("stress_{n}")))
        .collect();
    names.sort();
    Ok(names)
}

/// Builds the programs for `arch`; `None` (after printing why) if that fails.
fn build(arch: &Arch, programs: &[String]) -> Result<Option<Vec<(String, String)>>, String> {
    say!("== {}: building stress programs for {}", arch.name, arch.triple);
    let mut c = cargo();
    c.args(["test", "--no-run", "--message-format=json-render-diagnostics", "--features", "lock_api"])
        .args(["--target", arch.triple])
        .args(BUILD_STD);
    for p in programs {
        c.args(["--test", p]);
    }
    let out = run_limited(&mut c, Duration::from_secs(1800))?;
    if out.status.is_none_or(|s| !s.success()) {
        say_raw!("{}", out.stderr);
        say!("   FAILED: the stress programs did not build for {}", arch.triple);
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

fn scale(arch: &Arch) -> &'static str {
    if arch.qemu.is_some() { "qemu" } else { "native" }
}

fn arch_stress(arch: &Arch, programs: &[String], quick: bool) -> Result<Row, String> {
    let start = Instant::now();
    let mut row = Row::default();
    let Some(exes) = build(arch, programs)? else {
        row.failed = 1;
        row.secs = start.elapsed().as_secs_f64();
        return Ok(row);
    };
    for p in programs {
        let Some((_, exe)) = exes.iter().find(|(n, _)| n == p) else {
            say!("   FAILED: cargo built no executable for stress program {p}");
            row.failed += 1;
            continue;
        };
        let (passed, failed, skipped) = run_program(arch, p, exe, quick)?;
        row.passed += passed;
        row.failed += failed;
        row.skipped += skipped;
        if p == SELFTEST_PROGRAM && crate::arches::build_only(arch).is_none() {
            match watchdog_selftest(arch, exe)? {
                Ok(()) => {
                    row.passed += 1;
                    say!("   test stress::watchdog_turns_a_hang_into_a_named_failure ... ok");
                }
                Err(why) => {
                    row.failed += 1;
                    say!("   test stress::watchdog_turns_a_hang_into_a_named_failure ... FAILED: {why}");
                }
            }
        }
    }
    row.secs = start.elapsed().as_secs_f64();
    Ok(row)
}

fn run_program(arch: &Arch, name: &str, exe: &str, quick: bool) -> Result<(u32, u32, u32), String> {
    say!("== {}: {name}{}", arch.name, if quick { " --quick" } else { "" });
    if let Some(why) = crate::arches::build_only(arch) {
        say!("   test {name}::builds ... ok");
        say!("   test {name}::runs ... skipped: {why}");
        return Ok((1, 0, 1));
    }
    let mut c = command(arch, exe);
    c.args(["--scale", scale(arch)]);
    if quick {
        c.arg("--quick");
    }
    let limit = hard_limit(quick);
    let start = Instant::now();
    let out = run_limited(&mut c, limit)?;
    say_raw!("{}", indent(&out.stdout));
    say_raw!("{}", indent(&out.stderr));
    say!("   ({name} on {}: {:.1} s)", arch.name, start.elapsed().as_secs_f64());
    let summary = out.stdout.lines().rev().find_map(parse_closing_line);
    Ok(match (out.status, summary) {
        (None, s) => {
            say!("   FAILED: {name} was killed after the hard limit of {} s", limit.as_secs());
            let (p, f, k) = s.unwrap_or((0, 0, 0));
            (p, f + 1, k)
        }
        (Some(st), Some((p, f, k))) if st.success() || f > 0 => (p, f, k),
        (Some(st), Some((p, f, k))) => {
            say!("   FAILED: {name} reported {f} failures but exited with {st}");
            (p, f + 1, k)
        }
        (Some(st), None) => {
            say!("   FAILED: {name} ended ({st}) without its closing line");
            (0, 1, 0)
        }
    })
}

/// Runs a program whose only test hangs: its watchdog must end it with status 3 after printing
/// a failure that names the test and what it waited for, and a closing line counting it.
fn watchdog_selftest(arch: &Arch, exe: &str) -> Result<Result<(), String>, String> {
    let mut c = command(arch, exe);
    c.args(["--scale", scale(arch), "--quick", "--watchdog-selftest"]);
    let out = run_limited(&mut c, Duration::from_secs(120))?;
    let code = out.status.and_then(|s| s.code());
    if code != Some(3) {
        return Ok(Err(format!("exit status {:?}, expected 3 from the watchdog; stdout: {}", out.status, out.stdout.trim())));
    }
    let named = out.stdout.lines().any(|l| {
        l.contains("::watchdog_selftest ... FAILED: watchdog: ") && l.contains(SELFTEST_WAIT)
    });
    if !named {
        return Ok(Err(format!("no failure line naming the test and '{SELFTEST_WAIT}': {}", out.stdout.trim())));
    }
    if out.stdout.lines().rev().find_map(parse_closing_line) != Some((0, 1, 0)) {
        return Ok(Err(format!("the closing line does not count the hang as a failure: {}", out.stdout.trim())));
    }
    Ok(Ok(()))
}
