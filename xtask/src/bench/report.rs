//! Summaries (median, min, max), targets, and the table: on the terminal, in bench/results/ and
//! in README.md.

use crate::setup::output;
use crate::util::root;
use std::process::Command;

/// What strand aims for on one metric (goals, not tests).
#[derive(Clone, Copy)]
pub enum Target {
    /// median ratio to the reference at most this
    RatioAtMost(f64),
    /// median value at most this
    AtMost(f64),
    /// median value at least this
    AtLeast(f64),
    /// the run reported a typed error and ended normally
    TypedError,
}

impl Target {
    pub fn describe(&self, reference: &str, unit: &str) -> String {
        match self {
            Target::RatioAtMost(r) => format!("≤ {r}× {reference}"),
            Target::AtMost(v) => format!("≤ {} {unit}", num(*v)),
            Target::AtLeast(v) => format!("≥ {} {unit}", num(*v)),
            Target::TypedError => "typed error, no abort".into(),
        }
    }
}

/// One table row: a metric for one competitor.
pub struct Row {
    pub metric: String,
    pub competitor: String,
    pub unit: String,
    pub values: Vec<f64>,
    /// Per-repetition ratios to the reference's value of the same repetition.
    pub ratios: Vec<f64>,
    pub reference: String,
    pub is_reference: bool,
    /// Failed repetitions (or why the competitor is missing).
    pub errors: Vec<String>,
    /// A short outcome or breakdown shown as a note.
    pub note: Option<String>,
    pub target: Option<Target>,
    /// For `Target::TypedError`: whether the run ended with a typed error.
    pub typed_error: Option<bool>,
}

impl Row {
    pub fn verdict(&self) -> Option<(bool, String)> {
        let target = self.target?;
        let desc = target.describe(&self.reference, &self.unit);
        let med = median(&self.values);
        let ratio = median(&self.ratios);
        let met = match target {
            Target::RatioAtMost(r) => ratio.map(|x| x <= r),
            Target::AtMost(v) => med.map(|x| x <= v),
            Target::AtLeast(v) => med.map(|x| x >= v),
            Target::TypedError => self.typed_error,
        };
        Some(match met {
            Some(true) => (true, format!("{desc}: met")),
            Some(false) => (false, format!("{desc}: MISSED")),
            None => (false, format!("{desc}: not measured")),
        })
    }
}

pub fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    Some(if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 })
}

fn min(v: &[f64]) -> Option<f64> {
    v.iter().copied().reduce(f64::min)
}

fn max(v: &[f64]) -> Option<f64> {
    v.iter().copied().reduce(f64::max)
}

/// Three significant digits or so, without exponent.
pub fn num(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || a >= 100.0 || (v.fract() == 0.0 && a < 1e15) {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or("—".into(), num)
}

/// The machine the run came from.
pub struct Machine {
    pub date: String,
    pub nproc: String,
    pub cpu: String,
    pub kernel: String,
}

impl Machine {
    pub fn read() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name")?.split_once(':').map(|(_, v)| v.trim().to_string()))
            .unwrap_or_else(|| "unknown CPU".into());
        let trimmed = |c: &mut Command| output(c).map(|s| s.trim().to_string()).unwrap_or_else(|_| "?".into());
        Machine {
            date: trimmed(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])),
            nproc: trimmed(&mut Command::new("nproc")),
            cpu,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|s| s.trim().to_string()).unwrap_or_default(),
        }
    }

    pub fn describe(&self) -> String {
        format!("{}, on {} CPUs (`nproc`), {} (/proc/cpuinfo), Linux {}", self.date, self.nproc, self.cpu, self.kernel)
    }
}

/// The full table, Markdown, columns padded for the terminal.
pub fn table(rows: &[Row]) -> String {
    let header = ["workload", "competitor", "median", "min", "max", "unit", "ratio: median (min–max)", "strand target"];
    let mut cells: Vec<[String; 8]> = Vec::new();
    for r in rows {
        let (med, lo, hi) = if r.values.is_empty() {
            ("—".to_string(), "—".to_string(), "—".to_string())
        } else {
            (opt(median(&r.values)), opt(min(&r.values)), opt(max(&r.values)))
        };
        let ratio = if r.is_reference {
            "1 (reference)".to_string()
        } else if r.ratios.is_empty() {
            "—".to_string()
        } else {
            format!("{}× {} ({}–{})", opt(median(&r.ratios)), r.reference, opt(min(&r.ratios)), opt(max(&r.ratios)))
        };
        let mut target = r.verdict().map(|(_, s)| s).unwrap_or_default();
        if r.values.is_empty() && !r.errors.is_empty() {
            target = if target.is_empty() { "see notes".into() } else { format!("{target} (see notes)") };
        }
        cells.push([r.metric.clone(), r.competitor.clone(), med, lo, hi, r.unit.clone(), ratio, target]);
    }
    let mut widths = header.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cols: &[String]| {
        let padded: Vec<String> =
            cols.iter().zip(widths).map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count()))).collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut s = line(&header.map(String::from));
    s += &line(&widths.map(|w| "-".repeat(w)));
    for row in &cells {
        s += &line(row);
    }
    s
}

/// Every strand target with its verdict: the short table for README.
pub fn targets_table(rows: &[Row]) -> String {
    let mut s = String::from("| workload | strand | reference | target | verdict |\n|---|---|---|---|---|\n");
    for r in rows.iter().filter(|r| r.target.is_some()) {
        let Some((met, verdict)) = r.verdict() else { continue };
        let strand = match median(&r.values) {
            Some(v) => format!("{} {}", num(v), r.unit),
            None => r.errors.first().cloned().unwrap_or_else(|| "—".into()),
        };
        let reference = rows
            .iter()
            .find(|x| x.metric == r.metric && x.is_reference)
            .and_then(|x| median(&x.values).map(|v| format!("{}: {} {}", x.competitor, num(v), x.unit)))
            .unwrap_or_else(|| "—".into());
        let verdict_text = verdict.rsplit(": ").next().unwrap_or("").to_string();
        let ratio = match (r.target, median(&r.ratios)) {
            (Some(Target::RatioAtMost(_)), Some(x)) => format!(" ({}×)", num(x)),
            _ => String::new(),
        };
        let desc = r.target.map(|t| t.describe(&r.reference, &r.unit)).unwrap_or_default();
        // A missed target carries its explanation (the kernel floor under it, where measured).
        let shown = match (met, &r.note) {
            (true, _) => verdict_text,
            (false, Some(why)) => format!("**{verdict_text}**: {why}"),
            (false, None) => format!("**{verdict_text}**"),
        };
        s += &format!("| {} | {strand}{ratio} | {reference} | {desc} | {shown} |\n", r.metric);
    }
    s
}

/// The notes under the table: failures, outcomes, breakdowns, build details.
pub fn notes(rows: &[Row], extra: &[String]) -> String {
    let mut s = String::new();
    for r in rows {
        if let Some(n) = &r.note {
            s += &format!("- {} / {}: {n}\n", r.metric, r.competitor);
        }
        let mut seen: Vec<&String> = Vec::new();
        for e in &r.errors {
            if !seen.contains(&e) {
                seen.push(e);
                s += &format!("- {} / {}: {e}\n", r.metric, r.competitor);
            }
        }
    }
    for e in extra {
        s += &format!("- {e}\n");
    }
    s
}

/// Replaces what lies between the README's bench markers; false if it has none.
pub fn update_readme(section: &str) -> Result<bool, String> {
    const BEGIN: &str = "<!-- bench:begin -->";
    const END: &str = "<!-- bench:end -->";
    let path = root().join("README.md");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else { return Ok(false) };
    if e < b {
        return Ok(false);
    }
    let new = format!("{}{BEGIN}\n{section}{}", &text[..b], &text[e..]);
    std::fs::write(&path, new).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(true)
}
