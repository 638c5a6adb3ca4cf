//! Running one benchmark program once: plainly, pinned, under callgrind, under strace, under a
//! resource limit; and reading what it printed.

use super::build::target_root;
use crate::util::{run_limited, Finished};
use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// Generous: valgrind on a loaded 2-core machine. A run that hangs is killed and reported.
const RUN_LIMIT: Duration = Duration::from_secs(300);
/// Spawning up to a limit takes seconds; a program still running after this has hung.
pub const LIMIT_RUN_LIMIT: Duration = Duration::from_secs(60);

/// A competitor's program and the arguments that select its flavour (`lock=parking_lot`).
#[derive(Clone)]
pub struct Exe {
    pub path: PathBuf,
    pub extra: Vec<String>,
}

/// How a program is started: plainly, on one CPU, or under `prlimit`.
#[derive(Clone, Copy)]
pub enum Wrap<'a> {
    None,
    Pinned(&'a str),
    AddressSpaceLimit(u64),
}

/// `prog <workload> <extra...> <args...>`, wrapped.
pub fn command(wrap: Wrap, exe: &Exe, workload: &str, args: &[String]) -> Command {
    let mut c = match wrap {
        Wrap::None => Command::new(&exe.path),
        Wrap::Pinned(cpu) => {
            let mut c = Command::new("taskset");
            c.args(["-c", cpu]).arg(&exe.path);
            c
        }
        Wrap::AddressSpaceLimit(bytes) => {
            let mut c = Command::new("prlimit");
            c.arg(format!("--as={bytes}")).arg(&exe.path);
            c
        }
    };
    c.arg(workload).args(&exe.extra).args(args);
    c
}

pub fn run(c: &mut Command) -> Result<Finished, String> {
    run_for(c, RUN_LIMIT)
}

/// Runs with the environment a user's program would have by default: no backtrace capture
/// (with RUST_BACKTRACE=1, std's panic in a thread that failed to set up its signal stack hangs
/// instead of aborting).
pub fn run_for(c: &mut Command, limit: Duration) -> Result<Finished, String> {
    c.env_remove("RUST_BACKTRACE").env_remove("RUST_LIB_BACKTRACE");
    run_limited(c, limit)
}

/// The `RESULT <name> <value>` lines.
pub fn results(stdout: &str) -> Vec<(String, f64)> {
    stdout
        .lines()
        .filter_map(|l| {
            let mut it = l.strip_prefix("RESULT ")?.split_whitespace();
            Some((it.next()?.to_string(), it.next()?.parse().ok()?))
        })
        .collect()
}

/// Why a run did not give its results, in one line.
pub fn failure(out: &Finished) -> String {
    let status = match out.status {
        None => "killed: it ran past its time limit (hung?)".to_string(),
        Some(s) => describe_status(s),
    };
    let said: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("ERROR"))
        .chain(out.stderr.lines().filter(|l| !l.trim().is_empty()).take(2))
        .collect();
    if said.is_empty() {
        status
    } else {
        format!("{status}: {}", said.join(" / "))
    }
}

pub fn describe_status(s: std::process::ExitStatus) -> String {
    match (s.code(), s.signal()) {
        (Some(c), _) => format!("exit status {c}"),
        (None, Some(6)) => "killed by SIGABRT (abort)".into(),
        (None, Some(9)) => "killed by SIGKILL".into(),
        (None, Some(11)) => "killed by SIGSEGV".into(),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => format!("{s}"),
    }
}

/// Runs the program and returns the named result.
pub fn value(c: &mut Command, key: &str) -> Result<f64, String> {
    let out = run(c)?;
    let found = results(&out.stdout).into_iter().find(|(k, _)| k == key).map(|(_, v)| v);
    match (out.status, found) {
        (Some(s), Some(v)) if s.success() => Ok(v),
        _ => Err(failure(&out)),
    }
}

fn scratch(name: &str) -> Result<PathBuf, String> {
    let dir = target_root().join("tmp");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir.join(name))
}

/// User-space instructions of one whole run, counted by callgrind.
pub fn callgrind_instructions(exe: &Exe, workload: &str, args: &[String]) -> Result<u64, String> {
    let file = scratch("callgrind.out")?;
    let _ = std::fs::remove_file(&file);
    let mut c = Command::new("valgrind");
    c.args(["--tool=callgrind", "--quiet"]).arg(format!("--callgrind-out-file={}", file.display()));
    c.arg(&exe.path).arg(workload).args(&exe.extra).args(args);
    let out = run(&mut c)?;
    if out.status.is_none_or(|s| !s.success()) {
        return Err(format!("under valgrind: {}", failure(&out)));
    }
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    text.lines()
        .find_map(|l| l.strip_prefix("totals:").or_else(|| l.strip_prefix("summary:")))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| "callgrind wrote no totals".to_string())
}

/// Syscalls of one whole run, every thread included, by name (`strace -f`; a thread's final
/// `exit`, which never returns, is counted too).
pub fn strace_syscalls(wrap: Wrap, exe: &Exe, workload: &str, args: &[String]) -> Result<BTreeMap<String, u64>, String> {
    let file = scratch("strace.out")?;
    let _ = std::fs::remove_file(&file);
    let mut c = match wrap {
        Wrap::Pinned(cpu) => {
            let mut c = Command::new("taskset");
            c.args(["-c", cpu, "strace"]);
            c
        }
        _ => Command::new("strace"),
    };
    c.args(["-f", "-qq", "-o"]).arg(&file);
    c.arg(&exe.path).arg(workload).args(&exe.extra).args(args);
    let out = run(&mut c)?;
    if out.status.is_none_or(|s| !s.success()) {
        return Err(format!("under strace: {}", failure(&out)));
    }
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        // "1234 clone3({...}, 88 <unfinished ...>" or "1234 futex(...) = 0"; skip the
        // "<... clone3 resumed>" halves, signals ("---") and exits ("+++").
        let rest = line.split_once(' ').map_or(line, |(_, r)| r).trim_start();
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if !name.is_empty() && rest[name.len()..].starts_with('(') {
            *counts.entry(name).or_insert(0) += 1;
        }
    }
    Ok(counts)
}

/// perf's counts for one whole run, every thread included (`perf stat`, which inherits into
/// threads), by event name.
pub fn perf_counts(wrap: Wrap, exe: &Exe, workload: &str, args: &[String], events: &[&str]) -> Result<BTreeMap<String, f64>, String> {
    let file = scratch("perf.out")?;
    let _ = std::fs::remove_file(&file);
    let mut c = match wrap {
        Wrap::Pinned(cpu) => {
            let mut c = Command::new("taskset");
            c.args(["-c", cpu, "perf"]);
            c
        }
        _ => Command::new("perf"),
    };
    c.args(["stat", "-x,", "-e", &events.join(","), "-o"]).arg(&file).arg("--");
    c.arg(&exe.path).arg(workload).args(&exe.extra).args(args);
    let out = run(&mut c)?;
    if out.status.is_none_or(|s| !s.success()) {
        return Err(format!("under perf: {}", failure(&out)));
    }
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        // "value,unit,event,..."
        let f: Vec<&str> = line.split(',').collect();
        if let (Some(v), Some(ev)) = (f.first().and_then(|v| v.parse::<f64>().ok()), f.get(2)) {
            counts.insert(ev.to_string(), v);
        }
    }
    match events.iter().find(|e| !counts.contains_key(**e)) {
        Some(e) => Err(format!("not measured: perf did not count {e} on this machine")),
        None => Ok(counts),
    }
}
