//! Picks this target's file from the ABI table (`arch/abis.rs`) and hands it to `arch/mod.rs`.

use std::env;
use std::fmt::Write as _;
use std::path::PathBuf;

include!("arch/abis.rs");

fn main() {
    println!("cargo::rerun-if-changed=arch/abis.rs");
    println!("cargo::rustc-check-cfg=cfg(strand_asm_experimental)");
    println!("cargo::rustc-check-cfg=cfg(strand_unwinding)");
    // Cargo sets this for a build with the `unwind` feature (and reruns us when features change).
    let want_unwind = env::var_os("CARGO_FEATURE_UNWIND").is_some();
    let target = env::var("TARGET").expect("cargo sets TARGET");
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("arch");
    let mut out = String::new();
    match ABIS.iter().find(|a| a.triple == target || a.also.contains(&target.as_str())) {
        Some(abi) => {
            let file = dir.join(abi.file);
            println!("cargo::rerun-if-changed={}", file.display());
            writeln!(out, "#[path = {:?}]\nmod imp;", file.display().to_string()).unwrap();
            if abi.experimental_asm {
                println!("cargo::rustc-cfg=strand_asm_experimental");
            }
            match abi.unwind {
                // The one cfg strand's unwinding code is compiled under: asked for, and possible.
                Unwind::Yes if want_unwind => println!("cargo::rustc-cfg=strand_unwinding"),
                Unwind::Yes => {}
                Unwind::No(why) if want_unwind => {
                    let msg = format!("strand: the `unwind` feature is not available on {} ({target}): {why}", abi.name);
                    writeln!(out, "compile_error!({msg:?});").unwrap();
                }
                Unwind::No(_) => {}
            }
        }
        None => {
            let known: Vec<&str> = ABIS.iter().map(|a| a.triple).collect();
            writeln!(
                out,
                "compile_error!({:?});\nmod imp {{}}",
                format!("strand has no ABI row for target `{target}` in arch/abis.rs (it has: {})", known.join(", "))
            )
            .unwrap();
        }
    }
    let path = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("arch_file.rs");
    std::fs::write(&path, out).expect("write arch_file.rs");
}
