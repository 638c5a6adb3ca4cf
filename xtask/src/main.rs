//! `cargo xtask`: strand's project commands.
//!
//!   cargo xtask setup [--arch LIST|all]   install the pinned nightly (rust-src) and QEMU
//!   cargo xtask test  [--arch LIST|all] [--no-host] [--full]   host tests + every test program
//!                                         on every listed ABI (`--no-host`: the test programs
//!                                         only; `--full`: the rebuilt-core checks on every row)
//!   cargo xtask demo  [--arch A]          build and run examples/demo.rs
//!   cargo xtask bench [--quick]           strand beside glibc, std, parking_lot, spin and origin
//!   cargo xtask stress [--arch LIST|all] [--quick]   the stress programs (stress/*.rs)
//!   cargo xtask new PATH [--arch LIST]    a ready crate on strand at PATH (outside this repo)

#[macro_use]
mod rows;
mod arches;
mod bench;
mod demo;
mod new;
mod setup;
mod stress;
mod test;
mod util;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<bool, String> {
    let (cmd, rest) = args.split_first().ok_or_else(usage)?;
    arches::sync_cargo_config()?;
    let mut arch: Option<&str> = None;
    let mut quick = false;
    let mut host = true;
    let mut full = false;
    let mut path: Option<&str> = None;
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--arch" => arch = Some(it.next().ok_or("--arch needs a value")?.as_str()),
            s if s.starts_with("--arch=") => arch = Some(&s["--arch=".len()..]),
            "--quick" if cmd == "bench" || cmd == "stress" => quick = true,
            "--no-host" if cmd == "test" => host = false,
            "--full" if cmd == "test" => full = true,
            p if cmd == "new" && path.is_none() && !p.starts_with('-') => path = Some(p),
            other => return Err(format!("unknown option '{other}'\n{}", usage())),
        }
    }
    match cmd.as_str() {
        "setup" => {
            let arches = arches::select(arch)?;
            setup::ensure(&arches)?;
            println!("setup: everything is installed for {}", names(&arches));
            Ok(true)
        }
        "test" => test::run(&arches::select(arch)?, host, full),
        "stress" => stress::run(&arches::select(arch)?, quick),
        "demo" => {
            let arch = arches::select(Some(arch.unwrap_or("x86_64")))?;
            let [arch] = arch.as_slice() else { return Err("demo takes one --arch".into()) };
            demo::run(arch)
        }
        "new" => {
            let path = std::path::Path::new(path.ok_or("new needs a PATH")?);
            let arches = match arch {
                Some(list) => arches::select(Some(list))?,
                None => new::default_arches()?,
            };
            setup::ensure(&arches)?;
            new::create(path, &arches)?;
            println!("new: wrote a crate on strand at {} for {}; `cargo run` there builds and runs it", path.display(), names(&arches));
            Ok(true)
        }
        "bench" if arch.is_none() => bench::run(quick),
        "bench" => Err("bench runs on x86_64 only and takes no --arch".into()),
        _ => Err(usage()),
    }
}

fn names(arches: &[&arches::Arch]) -> String {
    arches.iter().map(|a| a.name).collect::<Vec<_>>().join(", ")
}

fn usage() -> String {
    let known: Vec<_> = arches::ARCHES.iter().map(|a| a.name).collect();
    format!(
        "usage: cargo xtask <setup|test|demo> [--arch LIST|all]\n       cargo xtask test [--arch LIST|all] [--no-host] [--full]\n       cargo xtask bench [--quick]\n       cargo xtask stress [--arch LIST|all] [--quick]\n       cargo xtask new PATH [--arch LIST]\n  architectures: {}",
        known.join(", ")
    )
}
