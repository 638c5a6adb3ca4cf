// The ABI table: every ABI strand supports, one row each. This file is the single source for
// three consumers, each of which `include!`s it:
//
// - `build.rs` picks the arch file for the triple being built (exact triple match: an ABI that
//   shares a `target_arch` with another, like x32 with x86_64, never gets the wrong file) and
//   turns on `asm_experimental_arch` where the row says so;
// - `xtask` takes the test/stress/demo matrix, the packages to install, and the per-target
//   cargo settings (runner, linker, rustflags) it writes into `.cargo/config.toml`;
// - `.ci/run`, through `cargo xtask test --arch all`.
//
// Adding an ABI: its file in `arch/`, one row here, and its runner's package if it is new. An ABI
// that differs from one here only in byte order names that ABI's file (mipsel, powerpc64le).
// Keep this file plain data with no `use` lines: it is included into three crates.

/// How executables for an ABI are linked.
#[allow(dead_code)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Linker {
    /// rust-lld with the ld.lld flavour (every ABI that lld can link).
    Lld,
    /// A GNU ld from a Debian binutils package, for the ABIs (or builds) lld cannot link.
    Gnu { program: &'static str, args: &'static [&'static str], package: &'static str },
    /// The target's own defaults, with no linker or crt flags at all: for the `-linux-none`
    /// targets, which Rust defines for programs with no libc (rust-lld, no crt objects,
    /// a static-pie by default). Their row tests that strand needs nothing more there.
    TargetDefault,
}

#[allow(dead_code)]
#[derive(Clone, Copy, Debug)]
pub struct Abi {
    /// The name on xtask's command line and in reports.
    pub name: &'static str,
    /// The Rust target the project builds and tests with.
    pub triple: &'static str,
    /// Other Rust targets of exactly the same kernel ABI that may use the same file (the host's
    /// `-gnu` triple for the host unit tests, `-linux-none`).
    pub also: &'static [&'static str],
    /// Its file under `arch/`.
    pub file: &'static str,
    /// The QEMU user-mode command that runs it, or `None` where this machine's kernel runs it:
    /// the program, then any options, separated by spaces (as cargo's `runner` takes it; armv5te
    /// pins its CPU with `-cpu`).
    pub qemu: Option<&'static str>,
    /// `Some(why)` for an ABI this machine can build for but not run (neither its kernel nor a
    /// QEMU user mode has it): xtask builds every test program and the demo for it, runs the
    /// checks that need no execution, and prints each run as a skip with this reason.
    pub build_only: Option<&'static str>,
    pub linker: Linker,
    /// The linker of its static-pie build where that is not `linker` (xtask's `static_pie`
    /// check; `.cargo/config.toml` keeps `linker`).
    pub pie_linker: Option<Linker>,
    /// Extra rustflags for this ABI only.
    pub rustflags: &'static [&'static str],
    /// Whether its `asm!` needs the nightly `asm_experimental_arch` feature.
    pub experimental_asm: bool,
    /// Whether the `unwind` feature (unwinding panics) is available here.
    pub unwind: Unwind,
}

/// Whether an ABI has the `unwind` feature: build.rs turns it into the `strand_unwind` cfg, or
/// into a `compile_error!` with the reason when the feature is asked for; xtask runs or skips
/// the unwind test program by it.
#[allow(dead_code)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unwind {
    Yes,
    /// Not available, and why.
    No(&'static str),
}

/// The reason shared by the ABIs the `unwinding` crate has no code for.
#[allow(dead_code)]
const NO_UNWINDER: &str = "the `unwinding` crate (0.2.8, as every release up to 0.2.11) has no unwinder for this \
     architecture: its register save and restore code (src/unwinder/arch/) exists only for x86_64, x86, aarch64, \
     riscv64 and riscv32 (0.2.11 adds loongarch64)";

/// The Debian package with every `qemu-*` user-mode program (QEMU 7.2 on bookworm).
#[allow(dead_code)]
pub const QEMU_PACKAGE: &str = "qemu-user";

#[allow(dead_code)]
pub const ABIS: &[Abi] = &[
    Abi {
        name: "x86_64",
        triple: "x86_64-unknown-linux-musl",
        also: &["x86_64-unknown-linux-gnu"],
        file: "x86_64.rs",
        qemu: None,
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: false,
        unwind: Unwind::Yes,
    },
    Abi {
        name: "x86_64-none",
        // Rust's target for Linux programs with no libc at all (tier 3, `core` only): the same
        // kernel ABI and file as x86_64, built with no flags of strand's, as a user would. Its
        // executables are static-pies, which strand's start-up relocates.
        triple: "x86_64-unknown-linux-none",
        also: &[],
        file: "x86_64.rs",
        qemu: None,
        build_only: None,
        linker: Linker::TargetDefault,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: false,
        unwind: Unwind::No(
            "the target's spec fixes `panic-strategy: abort` (rustc --print target-spec-json), and with the pinned \
             nightly a build with `-C panic=unwind` still has cfg(panic = \"abort\") there (strand's check for it \
             fired); the x86_64 row, the same kernel ABI, has the feature",
        ),
    },
    Abi {
        name: "x32",
        // The x32 ABI: x86_64 instructions and syscalls with 32-bit pointers (`arch/x86_64.rs`,
        // whose x32 parts are under `target_pointer_width = "32"`): every syscall number carries
        // `__X32_SYSCALL_BIT` (0x40000000; arch/x86/include/uapi/asm/unistd.h).
        triple: "x86_64-unknown-linux-gnux32",
        also: &[],
        file: "x86_64.rs",
        qemu: None,
        build_only: Some(
            "this machine cannot run x32 code: its kernel is built without CONFIG_X86_X32_ABI (an x32 syscall \
             returns ENOSYS) and QEMU 7.2 has no x32 user mode (no qemu-x32 program exists)",
        ),
        linker: Linker::Lld,
        pie_linker: None,
        // dlmalloc's `libc` dependency asks for -lc on -gnu targets; strand links no libc.
        rustflags: &["-Zlink-native-libraries=no"],
        experimental_asm: false,
        unwind: Unwind::No(
            "the `unwinding` crate's x86_64 unwinder assumes 64-bit pointers (its frame and register code is \
             cfg(target_arch = \"x86_64\") without an x32 variant), and nothing here could run an x32 test of it",
        ),
    },
    Abi {
        name: "i686",
        triple: "i686-unknown-linux-musl",
        also: &["i686-unknown-linux-gnu"],
        file: "x86.rs",
        qemu: None,
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: false,
        unwind: Unwind::Yes,
    },
    Abi {
        name: "i586",
        // The same kernel ABI as i686 (x86.rs), for CPUs without SSE2: floating point on x87 only,
        // and no `mfence`/`lfence` (a SeqCst fence is a locked read-modify-write).
        triple: "i586-unknown-linux-musl",
        also: &["i586-unknown-linux-gnu"],
        file: "x86.rs",
        qemu: None,
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: false,
        unwind: Unwind::Yes,
    },
    Abi {
        name: "aarch64",
        triple: "aarch64-unknown-linux-musl",
        also: &["aarch64-unknown-linux-gnu"],
        file: "aarch64.rs",
        qemu: Some("qemu-aarch64"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: false,
        unwind: Unwind::Yes,
    },
    Abi {
        name: "aarch64_be",
        // Big-endian aarch64: the same kernel ABI as aarch64 (aarch64.rs; the kernel's
        // CONFIG_CPU_BIG_ENDIAN changes data byte order only, not registers or struct layouts).
        triple: "aarch64_be-unknown-linux-musl",
        also: &["aarch64_be-unknown-linux-gnu"],
        file: "aarch64.rs",
        qemu: Some("qemu-aarch64_be"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: false,
        unwind: Unwind::Yes,
    },
    Abi {
        name: "riscv64",
        triple: "riscv64gc-unknown-linux-musl",
        also: &["riscv64gc-unknown-linux-gnu"],
        file: "riscv.rs",
        qemu: Some("qemu-riscv64"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: false,
        unwind: Unwind::Yes,
    },
    Abi {
        name: "riscv32",
        // RV32GC, ILP32D: riscv64's file (arch/riscv.rs), whose few width-dependent parts (the
        // `nr` table, `mmap2`, the ucontext offsets) follow `target_pointer_width`. A 32-bit ABI
        // with only the 64-bit-time syscalls.
        triple: "riscv32gc-unknown-linux-musl",
        also: &["riscv32gc-unknown-linux-gnu"],
        file: "riscv.rs",
        qemu: Some("qemu-riscv32"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: false,
        unwind: Unwind::Yes,
    },
    Abi {
        name: "s390x",
        triple: "s390x-unknown-linux-musl",
        also: &["s390x-unknown-linux-gnu"],
        file: "s390x.rs",
        qemu: Some("qemu-s390x"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: false,
        unwind: Unwind::No(NO_UNWINDER),
    },
    Abi {
        name: "powerpc64",
        // ELFv2 (the -gnu triple is ELFv1, with function descriptors, which lld cannot link).
        triple: "powerpc64-unknown-linux-musl",
        also: &[],
        file: "powerpc64.rs",
        qemu: Some("qemu-ppc64"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: false,
        unwind: Unwind::No(NO_UNWINDER),
    },
    Abi {
        name: "powerpc64le",
        // ELFv2, as powerpc64's row, in the other byte order (little-endian ppc64 has only ever
        // been ELFv2, the -gnu triple included).
        triple: "powerpc64le-unknown-linux-musl",
        also: &["powerpc64le-unknown-linux-gnu"],
        file: "powerpc64.rs",
        qemu: Some("qemu-ppc64le"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: false,
        unwind: Unwind::No(NO_UNWINDER),
    },
    Abi {
        name: "powerpc",
        // 32-bit big-endian powerpc, SysV ELF ABI (arch/powerpc.rs).
        triple: "powerpc-unknown-linux-musl",
        also: &["powerpc-unknown-linux-gnu"],
        file: "powerpc.rs",
        qemu: Some("qemu-ppc"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: false,
        unwind: Unwind::No(NO_UNWINDER),
    },
    Abi {
        name: "sparc64",
        triple: "sparc64-unknown-linux-gnu",
        also: &[],
        file: "sparc64.rs",
        qemu: Some("qemu-sparc64"),
        build_only: None,
        linker: Linker::Lld,
        // lld 22 (the pinned nightly's) cannot link a sparc64 PIE: its SPARCV9 target has no
        // dynamic relocation for R_SPARC_64, so an absolute address in data is "cannot be used
        // against local symbol; recompile with -fPIC" (LLVM added R_SPARC_RELATIVE output in
        // llvm-project PR 212155, after LLVM 22). GNU ld links a static-pie (`-static -pie
        // --no-dynamic-linker`) with R_SPARC_RELATIVE relocations.
        pie_linker: Some(Linker::Gnu { program: "sparc64-linux-gnu-ld", args: &[], package: "binutils-sparc64-linux-gnu" }),
        // Link no native library: strand needs none, but on a `-gnu` target the `libc` crate
        // (a dependency of dlmalloc, the `alloc` feature's heap, for a part strand does not
        // use) asks for -lc -lm -lrt -lpthread (libc's src/unix/mod.rs), which this libc-free
        // build has nowhere to find.
        rustflags: &["-Zlink-native-libraries=no"],
        experimental_asm: true,
        unwind: Unwind::No(NO_UNWINDER),
    },
    Abi {
        name: "sparc",
        // 32-bit SPARC V8+ (V9 instructions, 32-bit ABI), big-endian. qemu-sparc refuses V8+
        // executables (EM_SPARC32PLUS); qemu-sparc32plus runs them. lld has no 32-bit SPARC
        // target, so GNU ld links it (binutils' sparc64 ld with its `elf32_sparc` emulation),
        // its static-pie build too.
        triple: "sparc-unknown-linux-gnu",
        also: &[],
        file: "sparc.rs",
        qemu: Some("qemu-sparc32plus"),
        build_only: None,
        linker: Linker::Gnu { program: "sparc64-linux-gnu-ld", args: &["-m", "elf32_sparc"], package: "binutils-sparc64-linux-gnu" },
        pie_linker: None,
        // No native library, as sparc64's row: dlmalloc's `libc` dependency asks for
        // -lc -lm -lrt -lpthread on a -gnu target.
        rustflags: &["-Zlink-native-libraries=no"],
        experimental_asm: true,
        unwind: Unwind::No(NO_UNWINDER),
    },
    Abi {
        name: "mips",
        triple: "mips-unknown-linux-musl",
        also: &["mips-unknown-linux-gnu"],
        file: "mips.rs",
        qemu: Some("qemu-mips"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: true,
        unwind: Unwind::No(NO_UNWINDER),
    },
    Abi {
        name: "mipsel",
        // mips o32 as the row above, little-endian.
        triple: "mipsel-unknown-linux-musl",
        also: &["mipsel-unknown-linux-gnu"],
        file: "mips.rs",
        qemu: Some("qemu-mipsel"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: true,
        unwind: Unwind::No(NO_UNWINDER),
    },
    Abi {
        name: "mips64",
        // mips64 n64 (arch/mips64.rs), big-endian. lld's default MIPS entry is `__start`, so the
        // link names `_start` as every row does (`--entry=_start`, xtask's common flags).
        triple: "mips64-unknown-linux-muslabi64",
        also: &["mips64-unknown-linux-gnuabi64"],
        file: "mips64.rs",
        qemu: Some("qemu-mips64"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: true,
        unwind: Unwind::No(NO_UNWINDER),
    },
    Abi {
        name: "mips64el",
        // mips64 n64 as the row above, little-endian.
        triple: "mips64el-unknown-linux-muslabi64",
        also: &["mips64el-unknown-linux-gnuabi64"],
        file: "mips64.rs",
        qemu: Some("qemu-mips64el"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: true,
        unwind: Unwind::No(NO_UNWINDER),
    },
    Abi {
        name: "armv7",
        // 32-bit arm, EABI, hard-float, ARM code (arch/arm.rs).
        triple: "armv7-unknown-linux-musleabihf",
        also: &["armv7-unknown-linux-gnueabihf"],
        file: "arm.rs",
        qemu: Some("qemu-arm"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: false,
        unwind: Unwind::No(NO_UNWINDER),
    },
    Abi {
        name: "thumbv7neon",
        // armv7's kernel ABI (arch/arm.rs) with the code compiled to Thumb-2: `r7` is the frame
        // pointer here, which the file moves by hand around every `svc`.
        triple: "thumbv7neon-unknown-linux-musleabihf",
        also: &["thumbv7neon-unknown-linux-gnueabihf"],
        file: "arm.rs",
        qemu: Some("qemu-arm"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: false,
        unwind: Unwind::No(NO_UNWINDER),
    },
    Abi {
        name: "armv6",
        // 32-bit arm, EABI, soft-float, ARMv6 (ARM1176: LDREX/STREX and the `mrc` thread-pointer
        // read exist from ARMv6K); arch/arm.rs.
        triple: "arm-unknown-linux-musleabi",
        also: &["arm-unknown-linux-gnueabi"],
        file: "arm.rs",
        qemu: Some("qemu-arm"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: false,
        unwind: Unwind::No(NO_UNWINDER),
    },
    Abi {
        name: "armeb",
        // Big-endian 32-bit arm (arch/arm.rs), BE8: data big-endian, instructions little-endian,
        // the only big-endian form from ARMv7 on (the target is ARMv8 AArch32). lld writes BE8
        // (byte-swapped code, EF_ARM_BE8) only when asked: without `--be8` it writes BE32, which
        // QEMU runs but ARMv7+ hardware cannot. A -gnu triple (Rust has no musl one), linked as
        // every row without crt objects or libc.
        triple: "armeb-unknown-linux-gnueabi",
        also: &[],
        file: "arm.rs",
        qemu: Some("qemu-armeb"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        // No native library either, as sparc64's row: dlmalloc's `libc` dependency asks for
        // -lc -lm -lrt -lpthread on a -gnu target.
        rustflags: &["-C", "link-arg=--be8", "-Zlink-native-libraries=no"],
        experimental_asm: false,
        unwind: Unwind::No(NO_UNWINDER),
    },
    Abi {
        name: "loongarch64",
        // LP64D. The target spec enables LSX (128-bit SIMD: `"features": "+f,+d,+lsx,+relax"`
        // in `rustc --print target-spec-json`), which QEMU 7.2's loongarch64 user mode does not
        // emulate, so the row turns it off for every crate, `core` included: build-std takes
        // these rustflags from .cargo/config.toml too. Measured on the startup test program:
        // built without `-lsx` it holds 383 LSX-encoded instructions and dies at once under
        // QEMU 7.2 ("qemu: uncaught target signal 4 (Illegal instruction)"); with it, none.
        // LASX is not in the default features (and needs LSX), so `-lasx` is not needed.
        triple: "loongarch64-unknown-linux-musl",
        also: &["loongarch64-unknown-linux-gnu"],
        file: "loongarch64.rs",
        qemu: Some("qemu-loongarch64"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &["-C", "target-feature=-lsx"],
        experimental_asm: false,
        unwind: Unwind::No(NO_UNWINDER),
    },
    Abi {
        name: "armv5te",
        // 32-bit arm, EABI, soft-float, ARMv5TE (ARM926EJ-S and kin): no TPIDRURO read and no
        // LDREX/STREX, so arch/arm.rs reads the thread pointer through the kernel user helper
        // `__kuser_get_tls` and the compiler's atomics are compiler_builtins' `__sync_*` over
        // `__kuser_cmpxchg` (the file's header). QEMU runs it as an ARM926 (`-cpu arm926`), which
        // rejects every ARMv6 instruction, so one slipped into the build cannot pass unseen
        // (QEMU's default `any` CPU has them all).
        triple: "armv5te-unknown-linux-musleabi",
        also: &["armv5te-unknown-linux-gnueabi"],
        file: "arm.rs",
        qemu: Some("qemu-arm -cpu arm926"),
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        rustflags: &[],
        experimental_asm: false,
        unwind: Unwind::No(NO_UNWINDER),
    },
    Abi {
        name: "m68k",
        // Motorola 68020+ (the target's CPU is M68020), big-endian, 32-bit (arch/m68k.rs). Only a
        // -gnu triple exists. lld has no m68k support (no EM_68K target in lld/ELF), so GNU ld
        // links it, a static-pie included.
        triple: "m68k-unknown-linux-gnu",
        also: &[],
        file: "m68k.rs",
        qemu: Some("qemu-m68k"),
        build_only: Some(
            "built, not run: LLVM 22.1.4 (the pinned nightly's) miscompiles m68k at every opt-level that compiles \
             (1 and up: a register copy between a compare and its branch, e.g. start-up's envp scan compiles to \
             `cmpi.l #0,(4,%a0); move.l %d7,%d0; bne` and every program dies by SIGSEGV in start-up under \
             qemu-m68k; LLVM issues 152816 and 213564) and crashes at opt-level 0 (SIGSEGV in SelectionDAGISel \
             building compiler_builtins)",
        ),
        linker: Linker::Gnu { program: "m68k-linux-gnu-ld", args: &[], package: "binutils-m68k-linux-gnu" },
        pie_linker: None,
        // `-C code-model=large`: LLVM 22's m68k backend addresses a static it may reach
        // PC-relatively as `(d16,%pc)` (every static in the small and medium models, with
        // relocation-model static, pic or pie alike), and it has no pattern for a `cas` on
        // such an address, which is not alterable memory: compiling `AtomicU32::fetch_add` or
        // `compare_exchange` on a static is "LLVM ERROR: Cannot select: AtomicCmpSwap<...> on
        // ... M68kISD::WrapperPC ..." at every opt-level (AtomicU8/AtomicBool/AtomicU16 alike).
        // The large model takes every static's address as a 32-bit absolute (or GOT) value in
        // a register, and `cas.b`/`cas.w`/`cas.l` select. No native library, as sparc64's
        // row: dlmalloc's `libc` dependency asks for -lc -lm -lrt -lpthread on a -gnu target.
        // `-C debuginfo=line-tables-only`: LLVM 22 describes a `#[thread_local]` static's
        // address in DWARF with a plain R_68K_32 against the TLS symbol, which GNU ld refuses
        // ("R_68K_32 used with TLS symbol ..." in .debug_info); line tables name no variables.
        // No opt-level flag: the profiles' levels stand, and m68k code does not run correctly
        // at any of them with LLVM 22.1.4 (the README's m68k row): at level 1 and up LLVM puts
        // register copies (`move.l`, which sets the condition codes) between a compare and its
        // branch, so the branch tests the copy (rt::start's scan for the end of envp compiles
        // to `cmpi.l #0,(4,%a0); move.l %d7,%d0; bne`, which walks off the stack; LLVM issues
        // 152816 and 213564), and at level 0 LLVM itself crashes (SIGSEGV in
        // SelectionDAGISel building compiler_builtins, measured with `-C opt-level=0`).
        rustflags: &[
            "-C", "code-model=large",
            "-C", "debuginfo=line-tables-only",
            "-Zlink-native-libraries=no",
        ],
        experimental_asm: true,
        unwind: Unwind::No(NO_UNWINDER),
    },
    Abi {
        name: "hexagon",
        // Qualcomm Hexagon, 32-bit, little-endian (arch/hexagon.rs, which carries its own `sys`:
        // linux-raw-sys 0.12 does not build here).
        triple: "hexagon-unknown-linux-musl",
        also: &[],
        file: "hexagon.rs",
        qemu: Some("qemu-hexagon"),
        // QEMU 7.2 does not restore the predicate registers p0-p3 when a signal handler returns
        // (probe: p0 set, tgkill to itself, the handler clears p0, after sigreturn p0 is still
        // clear; the kernel saves and restores them), which failed
        // threads::identity_is_right_from_the_first_instruction,
        // signals::current_in_a_handler_while_renaming, stress control and stress signals.
        // arch/hexagon.rs installs every handler behind `pred_shim`, which saves and restores
        // p3:0 itself, so the row runs.
        build_only: None,
        linker: Linker::Lld,
        pie_linker: None,
        // No hardware loops: LLVM's Hexagon `hwloops` pass gives a loop whose bound is an
        // address-overflow check (Rust's debug `ptr::add` precondition) a trip count of 1 when
        // the bound is above 2^31, since it guards the count with a signed compare (measured:
        // strand's envp scan panicked "ptr::add requires that the address calculation does not
        // overflow" with a stack at 0x4080f954; llvm/llvm-project#216765, and #225411 for a
        // null-terminated pointer walk with no checks at all). `-disable-hexagon-hwloops` is
        // the backend's own switch (HexagonTargetMachine.cpp).
        rustflags: &["-C", "llvm-args=-disable-hexagon-hwloops"],
        experimental_asm: true,
        unwind: Unwind::No(NO_UNWINDER),
    },
];
