//! `cargo xtask bench [--quick]`: strand side by side with what its users would otherwise pick
//! (glibc's pthreads from C, Rust std on glibc and on static musl, parking_lot and spin on std
//! threads, origin), in one run, as one table: workload × competitor, median and spread, the
//! ratio to a named reference per repetition, and strand's target with whether it is met.
//!
//! Every competitor runs the same loops (bench/common for the Rust ones, bench/c/bench.c
//! mirroring them), built by bench/'s own workspace into bench/target/, so nothing here touches
//! strand's own build. Each repetition runs one fresh process per (workload, competitor), the
//! competitors in a rotating order. Latency workloads run under `taskset -c 1`; instruction
//! counts come from callgrind and syscall counts from strace, as differences between two run
//! lengths so that start-up cancels out.
//!
//! The table goes to the terminal and to bench/results/{full,quick}.md; a full run also
//! refreshes README.md between its `<!-- bench:begin -->` and `<!-- bench:end -->` markers.
//! Targets are goals: a missed one is reported, never an error. The exit status is a failure
//! only when a benchmark program failed where it should not have (CI's smoke test).

mod build;
mod measure;
mod report;

use build::Programs;
use measure::{Exe, Wrap};
use report::{Machine, Row, Target};
use std::time::Instant;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    Glibc,
    StdGnu,
    StdMusl,
    ParkingLot,
    Spin,
    Origin,
    Strand,
    /// strand's `PiMutex` in the lock workloads (`lock=strand-pi`), next to the plain mutex.
    StrandPi,
    /// The raw futex hand-over on strand's threads (bench_common's `futex_pingpong`, one futex
    /// word, a wake only for a sleeper): the floor under every ping-pong.
    FutexFloor,
    /// A process whose `_start` only calls exit_group (C): the kernel's floor under workload 3.
    BareExit,
    /// A raw clone syscall whose child exits at once, from inline asm (C): the kernel's floor
    /// under workloads 1 and 2.
    CloneFloor,
    /// The Boehm-Demers-Weiser collector's stop-the-world (C, libgc): workload 10's reference.
    Bdwgc,
    /// crossbeam-channel on std threads (glibc): the channel ping-pong's reference.
    Crossbeam,
    /// glibc's malloc from C (bench/c/malloc.c): workload 17's reference.
    MallocGlibc,
    /// musl's malloc from C, static (the same source built with musl-gcc).
    MallocMusl,
    /// bench/strand built with its `unwind` feature and `panic = "unwind"`: workload 18.
    StrandUnwind,
    /// bench/std on glibc built with `panic = "unwind"`: workload 18's reference.
    StdUnwind,
}

use Who::*;

const THREADS: &[Who] = &[Glibc, StdGnu, StdMusl, Origin, Strand];
const LOCKS: &[Who] = &[Glibc, StdGnu, StdMusl, ParkingLot, Spin, Strand];
/// Workloads 13 and 14: reader-writer locks (`spin` is left out: its RwLock only spins).
const RWLOCKS: &[Who] = &[Glibc, StdGnu, StdMusl, ParkingLot, Strand];
const CONDVARS: &[Who] = &[Glibc, StdGnu, StdMusl, ParkingLot, Strand, FutexFloor];
const PROCESSES: &[Who] = &[Glibc, StdGnu, StdMusl, Origin, Strand, BareExit];
/// Workloads 1 and 2 where the raw clone has a counterpart (not the instruction counts, which
/// valgrind takes on its own threads, nor workload 9).
const SPAWNS: &[Who] = &[Glibc, StdGnu, StdMusl, Origin, Strand, CloneFloor];
/// The semaphore ping-pong: glibc's `sem_t` (C), strand, and the raw futex floor.
const SEMAPHORES: &[Who] = &[Glibc, Strand, FutexFloor];
/// The channel ping-pong: std's `sync_channel` (glibc and musl), crossbeam-channel, strand, and
/// the raw futex floor.
const CHANNELS: &[Who] = &[StdGnu, StdMusl, Crossbeam, Strand, FutexFloor];
/// Workload 10: stopping every other thread, for a garbage collector.
const STOPPERS: &[Who] = &[Bdwgc, Strand];
/// Workloads 11 and 12: thread control against what a glibc program does by hand with signals.
const SIGNALLERS: &[Who] = &[Glibc, Strand];
/// Workload 17: threads allocating and freeing small objects, strand's global allocator against
/// the C libraries' malloc.
const ALLOCATORS: &[Who] = &[MallocGlibc, MallocMusl, Strand];
/// Workload 18: a panic caught one frame up, std against strand's `unwind` feature.
const UNWINDERS: &[Who] = &[StdUnwind, StrandUnwind];

impl Who {
    fn label(self) -> &'static str {
        match self {
            Glibc => "glibc",
            StdGnu => "std-glibc",
            StdMusl => "std-musl",
            ParkingLot => "parking_lot",
            Spin => "spin",
            Origin => "origin",
            Strand => "strand",
            StrandPi => "strand PiMutex",
            FutexFloor => "raw futex",
            BareExit => "bare exit",
            CloneFloor => "raw clone",
            Bdwgc => "bdwgc",
            Crossbeam => "crossbeam",
            MallocGlibc => "glibc malloc",
            MallocMusl => "musl malloc",
            StrandUnwind => "strand",
            StdUnwind => "std-glibc",
        }
    }

    fn exe(self, p: &Programs) -> Result<Exe, String> {
        let (built, extra) = match self {
            Glibc | CloneFloor => (&p.glibc, None),
            FutexFloor => (&p.strand, None),
            StdGnu => (&p.std_gnu, Some("lock=std")),
            StdMusl => (&p.std_musl, Some("lock=std")),
            ParkingLot => (&p.std_gnu, Some("lock=parking_lot")),
            Spin => (&p.std_gnu, Some("lock=spin")),
            Crossbeam => (&p.std_gnu, Some("lock=crossbeam")),
            Origin => (&p.origin, None),
            Strand => (&p.strand, None),
            StrandPi => (&p.strand, Some("lock=strand-pi")),
            BareExit => (&p.bare_exit, None),
            Bdwgc => (&p.bdwgc, None),
            MallocGlibc => (&p.malloc_glibc, None),
            MallocMusl => (&p.malloc_musl, None),
            StrandUnwind => (&p.strand_unwind, None),
            StdUnwind => (&p.std_unwind, None),
        };
        match built {
            Ok(path) => Ok(Exe { path: path.clone(), extra: extra.into_iter().map(String::from).collect() }),
            Err(e) => Err(format!("not built: {e}")),
        }
    }

    fn workload(self, w: &'static str) -> &'static str {
        match (self, w) {
            (FutexFloor, "pingpong" | "sem_pingpong" | "chan_pingpong") => "futex_pingpong",
            (CloneFloor, "spawn_join") => "clone_join",
            (CloneFloor, "detached") => "clone_detached",
            _ => w,
        }
    }

    /// A kernel floor (the bare syscalls a workload cannot do without) whose time the "above
    /// the kernel floor" rows take out of the others'.
    fn is_kernel_floor(self) -> bool {
        matches!(self, BareExit | CloneFloor | FutexFloor)
    }
}

/// How a workload is measured.
#[derive(Clone, Copy)]
enum How {
    /// Run and read the program's RESULT lines; `reps` fresh processes per competitor.
    Timed { pinned: bool, reps: usize },
    /// Whole processes timed by the C launcher (pinned, children inherit the CPU).
    Launch { iters: u64, reps: usize },
    /// callgrind's instruction count: (I(n1) - I(n0)) / (ops(n1) - ops(n0)), `iters` = n.
    Instructions { n: [u64; 2], warmup: bool },
    /// strace's syscall count, as a difference in the same way.
    Syscalls { n: [u64; 2], warmup: bool, pinned: bool },
    /// perf's counters (page faults, syscalls, context switches) for one whole run (`n: None`)
    /// or per operation, as a difference like `Instructions`.
    Perf { n: Option<[u64; 2]>, warmup: bool, pinned: bool },
    /// Spawning until a limit: the count reached and how it ended.
    Limit { address_space: Option<u64> },
}

/// The perf events `How::Perf` counts, which are also its metrics' keys.
const PAGE_FAULTS: &str = "page-faults";
const SYSCALLS: &str = "raw_syscalls:sys_enter";
const SWITCHES: &str = "context-switches";

struct Metric {
    name: String,
    key: &'static str,
    unit: &'static str,
    scale: f64,
    target: Option<Target>,
}

struct Workload {
    program: &'static str,
    args: Vec<String>,
    how: How,
    who: &'static [Who],
    reference: Who,
    metrics: Vec<Metric>,
}

fn metric(name: &str, key: &'static str, unit: &'static str, target: Option<Target>) -> Metric {
    Metric { name: name.into(), key, unit, scale: 1.0, target }
}

fn args(list: &[(&str, u64)]) -> Vec<String> {
    list.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// Fresh processes per (workload, competitor) for the timed workloads.
fn repetitions(quick: bool) -> usize {
    if quick {
        3
    } else {
        15
    }
}

/// Everything one run measures; `quick` shortens it for CI's smoke test.
fn plan(quick: bool) -> Vec<Workload> {
    let q = |full: u64, short: u64| if quick { short } else { full };
    let reps = repetitions(quick);
    let timed = |pinned| How::Timed { pinned, reps };
    let max_threads = q(30_000, 3_000);
    let mut plan = vec![
        Workload {
            program: "spawn_join",
            args: args(&[("iters", q(20_000, 500))]),
            how: timed(true),
            who: SPAWNS,
            reference: Glibc,
            metrics: vec![metric("1 spawn+join, pinned", "ns_per_op", "ns/op", Some(Target::RatioAtMost(0.8)))],
        },
        Workload {
            program: "spawn_join",
            args: vec![],
            how: How::Syscalls { n: [q(200, 20), q(1200, 120)], warmup: true, pinned: true },
            who: SPAWNS,
            reference: Glibc,
            metrics: vec![metric("1 syscalls per spawn+join", "", "syscalls/op", Some(Target::AtMost(4.0)))],
        },
        // The same count without ptrace: strace stops the spawner after each clone, so the new
        // thread tends to run first, which changes what a spawn does (a thread that finishes
        // while its spawner still holds a lock waits for it). perf counts the syscalls in the
        // kernel and leaves the scheduling as it is.
        Workload {
            program: "spawn_join",
            args: vec![],
            how: How::Perf { n: Some([q(2000, 200), q(12_000, 1200)]), warmup: true, pinned: true },
            who: SPAWNS,
            reference: Glibc,
            metrics: vec![metric("1 syscalls per spawn+join, pinned, counted by perf (no ptrace)", SYSCALLS, "syscalls/op", None)],
        },
        Workload {
            program: "spawn_join",
            args: vec![],
            how: How::Instructions { n: [100, q(1100, 220)], warmup: true },
            who: THREADS,
            reference: Glibc,
            metrics: vec![metric("1 user instructions per spawn+join", "", "instr/op", None)],
        },
        Workload {
            program: "detached",
            args: args(&[("iters", q(20_000, 1000))]),
            how: timed(false),
            who: SPAWNS,
            reference: Glibc,
            metrics: vec![metric("2 detached spawn, bump, exit", "ns_per_thread", "ns/thread", Some(Target::RatioAtMost(0.8)))],
        },
        Workload {
            program: "detached",
            args: vec![],
            how: How::Syscalls { n: [q(500, 50), q(2500, 250)], warmup: false, pinned: false },
            who: SPAWNS,
            reference: Glibc,
            metrics: vec![metric("2 syscalls per detached thread", "", "syscalls/thread", None)],
        },
        Workload {
            program: "one_thread",
            args: vec![],
            how: How::Launch { iters: q(200, 20), reps },
            who: PROCESSES,
            reference: Origin,
            metrics: vec![metric("3 whole process with one thread, pinned", "us_per_process", "µs", Some(Target::RatioAtMost(0.9)))],
        },
        Workload {
            program: "nothing",
            args: vec![],
            how: How::Launch { iters: q(200, 20), reps },
            who: PROCESSES,
            reference: Origin,
            metrics: vec![metric("3 whole process without a thread (start-up and exit), pinned", "us_per_process", "µs", None)],
        },
        Workload {
            program: "one_thread",
            args: vec![],
            how: How::Perf { n: None, warmup: false, pinned: true },
            who: PROCESSES,
            reference: Origin,
            metrics: vec![
                metric("3 page faults per process", PAGE_FAULTS, "faults", None),
                metric("3 syscalls per process (exit_group included, execve not)", SYSCALLS, "syscalls", None),
            ],
        },
        Workload {
            program: "lock",
            args: args(&[("iters", q(20_000_000, 1_000_000))]),
            how: timed(true),
            who: LOCKS,
            reference: ParkingLot,
            metrics: vec![metric("4 uncontended lock+incr+unlock, pinned", "ns_per_op", "ns/op", None)],
        },
        Workload {
            program: "lock",
            args: vec![],
            how: How::Instructions { n: [1000, q(101_000, 11_000)], warmup: true },
            who: LOCKS,
            reference: ParkingLot,
            metrics: vec![metric("4 user instructions per lock+incr+unlock", "", "instr/op", Some(Target::AtMost(10.0)))],
        },
        Workload {
            program: "lock",
            args: vec![],
            how: How::Instructions { n: [1000, q(101_000, 11_000)], warmup: true },
            who: &[Strand, StrandPi],
            reference: Strand,
            metrics: vec![metric(
                "4 PiMutex user instructions per lock+incr+unlock (equal to the plain mutex)",
                "",
                "instr/op",
                Some(Target::RatioAtMost(1.0)),
            )],
        },
        Workload {
            program: "lock",
            args: vec![],
            how: How::Syscalls { n: [1000, q(101_000, 11_000)], warmup: true, pinned: false },
            who: LOCKS,
            reference: ParkingLot,
            metrics: vec![metric("4 syscalls per uncontended lock+unlock", "", "syscalls/op", Some(Target::AtMost(0.0)))],
        },
    ];
    // Critical sections of 0, ~50 ns and ~1 µs (bench_common::work), each at 2, 4 and 8 threads;
    // the work per run stays the same across thread counts. More threads than CPUs is where a
    // lock that spins while its holder is descheduled loses: the label says when a row is that.
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    for (work, total, what) in [(0, 2_000_000, "empty"), (50, 400_000, "~50 ns"), (1000, 20_000, "~1 µs")] {
        for threads in [2u64, 4, 8] {
            let iters = q(total, total / 10) / threads;
            let over = if threads as usize > cpus { format!(", oversubscribed ({cpus} CPUs)") } else { String::new() };
            plan.push(Workload {
                program: "contended",
                args: args(&[("threads", threads), ("iters", iters), ("work", work)]),
                how: timed(false),
                who: LOCKS,
                reference: ParkingLot,
                metrics: vec![metric(
                    &format!("5 contended mutex, {threads} threads × {} incr, {what} critical section{over}", report::num(iters as f64)),
                    "ms",
                    "ms",
                    Some(Target::RatioAtMost(1.0)),
                )],
            });
        }
    }
    // Two loop shapes: the lock held across rounds (let go only inside `wait`), and taken afresh
    // for each pass (lock, wait for my turn, flip, notify, unlock), which most code does.
    for (relock, shape) in [(0, "lock held across rounds"), (1, "re-locking each pass")] {
        for pinned in [true, false] {
            plan.push(Workload {
                program: "pingpong",
                args: args(&[("iters", q(50_000, 2000)), ("relock", relock)]),
                how: timed(pinned),
                who: CONDVARS,
                reference: ParkingLot,
                metrics: vec![metric(
                    &format!("6 condvar ping-pong, {shape}, {}", if pinned { "pinned" } else { "unpinned" }),
                    "ns_per_round_trip",
                    "ns/round trip",
                    pinned.then_some(Target::RatioAtMost(1.0)),
                )],
            });
        }
    }
    for (program, who, reference, label) in [
        ("sem_pingpong", SEMAPHORES, Glibc, "6s semaphore ping-pong, pinned"),
        ("chan_pingpong", CHANNELS, Crossbeam, "6c channel ping-pong (1 slot), pinned"),
    ] {
        plan.push(Workload {
            program,
            args: args(&[("iters", q(50_000, 2000))]),
            how: timed(true),
            who,
            reference,
            metrics: vec![metric(label, "ns_per_round_trip", "ns/round trip", None)],
        });
    }
    for (relock, shape) in [(0, "lock held across rounds"), (1, "re-locking each pass")] {
        plan.push(Workload {
            program: "pingpong",
            args: args(&[("relock", relock)]),
            how: How::Perf { n: Some([q(2000, 200), q(12_000, 1200)]), warmup: false, pinned: true },
            who: CONDVARS,
            reference: ParkingLot,
            metrics: vec![
                metric(&format!("6 syscalls per ping-pong round trip, {shape}, pinned"), SYSCALLS, "syscalls/round trip", None),
                metric(&format!("6 context switches per ping-pong round trip, {shape}, pinned"), SWITCHES, "switches/round trip", None),
            ],
        });
    }
    for (stack, label) in [(0, "default stack"), (64 << 10, "64 KiB stacks")] {
        let threads = q(1000, 200);
        plan.push(Workload {
            program: "idle",
            args: args(&[("threads", threads), ("stack", stack)]),
            how: timed(false),
            who: THREADS,
            reference: Glibc,
            metrics: vec![
                Metric {
                    name: format!("7 RSS per idle thread ({threads} threads, {label})"),
                    key: "rss_bytes_per_thread",
                    unit: "KiB/thread",
                    scale: 1.0 / 1024.0,
                    target: Some(Target::AtMost(4.5)),
                },
                metric(
                    &format!("7 mappings per idle thread ({threads} threads, {label})"),
                    "maps_per_thread",
                    "maps/thread",
                    Some(Target::AtMost(2.0)),
                ),
            ],
        });
    }
    plan.push(Workload {
        program: "max_threads",
        args: args(&[("limit", max_threads), ("stack", 64 << 10)]),
        how: How::Limit { address_space: None },
        who: THREADS,
        reference: Glibc,
        metrics: vec![metric(
            &format!("7 idle threads reached with 64 KiB stacks (limit {max_threads})"),
            "threads",
            "threads",
            Some(Target::AtLeast(max_threads as f64)),
        )],
    });
    plan.push(Workload {
        program: "max_threads",
        args: args(&[("limit", 100_000)]),
        how: How::Limit { address_space: Some(1 << 30) },
        who: THREADS,
        reference: Glibc,
        metrics: vec![metric(
            "7 past a limit: RLIMIT_AS 1 GiB, default stacks",
            "threads",
            "threads",
            Some(Target::TypedError),
        )],
    });
    plan.push(Workload {
        program: "tls",
        args: vec![],
        how: How::Instructions { n: [1000, q(1_001_000, 101_000)], warmup: false },
        who: THREADS,
        reference: StdGnu,
        metrics: vec![metric("8 TLS counter read+write", "", "instr/iter", Some(Target::RatioAtMost(1.0)))],
    });
    let growth: [(&str, u64, u64); 5] = [
        ("1,000 other threads alive", 1000, 0),
        ("10,000 other threads alive", 10_000, 0),
        ("64 KiB stack", 0, 64 << 10),
        ("1 MiB stack", 0, 1 << 20),
        ("64 MiB stack", 0, 64 << 20),
    ];
    for (label, others, stack) in growth {
        plan.push(Workload {
            program: "spawn_join",
            args: args(&[("iters", q(5000, 200)), ("others", others), ("stack", stack)]),
            how: timed(true),
            who: THREADS,
            reference: Glibc,
            metrics: vec![metric(&format!("9 spawn+join, pinned, {label}"), "ns_per_op", "ns/op", None)],
        });
    }
    plan.extend(control_plan(quick));
    plan.extend(rwlock_plan(quick));
    plan.extend(alloc_plan(quick));
    plan.push(Workload {
        program: "panic_catch",
        args: args(&[("iters", if quick { 2_000 } else { 20_000 })]),
        how: How::Timed { pinned: true, reps: repetitions(quick) },
        who: UNWINDERS,
        reference: StdUnwind,
        metrics: vec![metric("18 panic! caught by catch_unwind one frame up (message printed), pinned", "ns_per_op", "ns/op", None)],
    });
    plan
}

/// Workload 17, the allocator: 2 and 4 threads each freeing and allocating blocks of 16-512
/// bytes (256 live per thread), every 16th iteration also freeing a block another thread
/// allocated. Unpinned: the threads are meant to run at once.
fn alloc_plan(quick: bool) -> Vec<Workload> {
    let iters = if quick { 200_000 } else { 2_000_000 };
    [2, 4]
        .into_iter()
        .map(|threads| Workload {
            program: "alloc",
            args: args(&[("threads", threads), ("iters", iters)]),
            how: How::Timed { pinned: false, reps: repetitions(quick) },
            who: ALLOCATORS,
            reference: MallocGlibc,
            metrics: vec![metric(
                &format!(
                    "17 allocator, {threads} threads × {} free+malloc of 16-512 B (1 in 16 also a cross-thread free)",
                    report::num(iters as f64)
                ),
                "ms",
                "ms",
                None,
            )],
        })
        .collect()
}

/// Workloads 13 and 14, reader-writer locks: the uncontended read, and 2 and 4 threads with 1
/// write per 100 operations (read-mostly) and 90 per 100 (write-heavy).
fn rwlock_plan(quick: bool) -> Vec<Workload> {
    let q = |full: u64, short: u64| if quick { short } else { full };
    let reps = repetitions(quick);
    let mut plan = vec![
        Workload {
            program: "rw_read",
            args: args(&[("iters", q(20_000_000, 1_000_000))]),
            how: How::Timed { pinned: true, reps },
            who: RWLOCKS,
            reference: ParkingLot,
            metrics: vec![metric("13 uncontended read lock+read+unlock, pinned", "ns_per_op", "ns/op", None)],
        },
        Workload {
            program: "rw_read",
            args: vec![],
            how: How::Instructions { n: [1000, q(101_000, 11_000)], warmup: true },
            who: RWLOCKS,
            reference: ParkingLot,
            metrics: vec![metric("13 user instructions per read lock+read+unlock", "", "instr/op", Some(Target::AtMost(10.0)))],
        },
        Workload {
            program: "rw_read",
            args: vec![],
            how: How::Syscalls { n: [1000, q(101_000, 11_000)], warmup: true, pinned: false },
            who: RWLOCKS,
            reference: ParkingLot,
            metrics: vec![metric("13 syscalls per uncontended read lock+unlock", "", "syscalls/op", Some(Target::AtMost(0.0)))],
        },
    ];
    for (write_pct, label) in [(1, "read-mostly (1 write per 100 ops)"), (90, "write-heavy (90 writes per 100 ops)")] {
        for threads in [2, 4] {
            let iters = q(1_000_000, 100_000);
            plan.push(Workload {
                program: "rw_contended",
                args: args(&[("threads", threads), ("iters", iters), ("write_pct", write_pct)]),
                how: How::Timed { pinned: false, reps },
                who: RWLOCKS,
                reference: ParkingLot,
                metrics: vec![metric(
                    &format!("14 RwLock {label}, {threads} threads × {} ops", report::num(iters as f64)),
                    "ms",
                    "ms",
                    Some(Target::RatioAtMost(1.0)),
                )],
            });
        }
    }
    plan
}

/// Workloads 10-12, thread control. Unpinned where the other side must run to answer (a stop
/// or an interrupt is served by the target thread), as a collector's threads would be.
fn control_plan(quick: bool) -> Vec<Workload> {
    let q = |full: u64, short: u64| if quick { short } else { full };
    let reps = repetitions(quick);
    let mut plan = Vec::new();
    // Parked (in a futex wait) is a collector's common case. Spinning threads compete with the
    // stopping thread for the CPUs, and each must be scheduled to take its signal, so a stop
    // waits for the scheduler to get round to every spinner: with 10 spinners on 2 CPUs bdwgc
    // takes about 0.1 s per stop, and with 100 both bdwgc and strand take over a second, which
    // measures the scheduler, not the stop (and would cost minutes); so spinning is 10 threads.
    let stops: [(u64, bool, u64); 4] =
        [(10, false, q(2000, 300)), (100, false, q(500, 60)), (1000, false, q(100, 15)), (10, true, q(40, 10))];
    for (threads, spin, iters) in stops {
        let how = if spin { "spinning" } else { "parked in a futex wait" };
        plan.push(Workload {
            program: "stop_world",
            args: args(&[("threads", threads), ("iters", iters), ("spin", spin as u64)]),
            how: How::Timed { pinned: false, reps },
            who: STOPPERS,
            reference: Bdwgc,
            metrics: vec![metric(
                &format!("10 stop-the-world + resume, {} threads {how}", report::num(threads as f64)),
                "us_per_stop",
                "µs/stop",
                Some(Target::RatioAtMost(0.5)),
            )],
        });
    }
    // What a stop costs in syscalls and context switches, every thread's included: counts that
    // hold still on a loaded machine, where the times above move with the scheduler.
    for threads in [10, 100] {
        plan.push(Workload {
            program: "stop_world",
            args: args(&[("threads", threads)]),
            how: How::Perf { n: Some([q(100, 20), q(500, 60)]), warmup: true, pinned: false },
            who: STOPPERS,
            reference: Bdwgc,
            metrics: vec![
                metric(&format!("10 syscalls per stop-the-world + resume, {threads} parked threads"), SYSCALLS, "syscalls/stop", None),
                metric(&format!("10 context switches per stop-the-world + resume, {threads} parked threads"), SWITCHES, "switches/stop", None),
            ],
        });
    }
    for pinned in [true, false] {
        plan.push(Workload {
            program: "interrupt",
            args: args(&[("iters", q(20_000, 2000))]),
            how: How::Timed { pinned, reps },
            who: SIGNALLERS,
            reference: Glibc,
            metrics: vec![metric(
                &format!(
                    "11 synchronous interrupt of a parked thread, round trip, {} (strand: run_in; glibc: pthread_kill + futex ack)",
                    if pinned { "pinned" } else { "unpinned" }
                ),
                "ns_per_round_trip",
                "ns/round trip",
                pinned.then_some(Target::RatioAtMost(1.0)),
            )],
        });
    }
    let name = "12 interrupts held off around nothing (strand: without_interrupts; glibc: sigprocmask block + restore)";
    plan.push(Workload {
        program: "defer_interrupts",
        args: args(&[("iters", q(5_000_000, 500_000))]),
        how: How::Timed { pinned: true, reps },
        who: SIGNALLERS,
        reference: Glibc,
        metrics: vec![metric(&format!("{name}, pinned"), "ns_per_pair", "ns/pair", None)],
    });
    plan.push(Workload {
        program: "defer_interrupts",
        args: vec![],
        how: How::Instructions { n: [1000, q(101_000, 11_000)], warmup: true },
        who: SIGNALLERS,
        reference: Glibc,
        metrics: vec![metric(&format!("{name}, user instructions"), "", "instr/pair", None)],
    });
    for (program, name) in [
        ("signal_handler", "15 signal to a parked thread's handler, round trip (strand: send_to_thread + handler; glibc: pthread_kill + SA_SIGINFO handler)"),
        ("signal_thread", "16 signal to the process taken by a signal thread, round trip (strand: kill + Router; glibc: kill + a sigwaitinfo thread)"),
    ] {
        plan.push(Workload {
            program,
            args: args(&[("iters", q(20_000, 2000))]),
            how: How::Timed { pinned: true, reps },
            who: SIGNALLERS,
            reference: Glibc,
            metrics: vec![metric(&format!("{name}, pinned"), "ns_per_round_trip", "ns/round trip", None)],
        });
    }
    plan
}

pub fn run(quick: bool) -> Result<bool, String> {
    let start = Instant::now();
    let programs = build::build_all()?;
    let built = start.elapsed().as_secs_f64();
    let machine = Machine::read();
    let cpu = if machine.nproc.parse::<u32>().unwrap_or(1) >= 2 { "1" } else { "0" };
    let mode = if quick { "quick" } else { "full" };
    println!("== bench: {mode} run on {}", machine.describe());

    let mut rows = Vec::new();
    for w in plan(quick) {
        println!("== bench: {}", w.metrics.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join("; "));
        let new = measure(&w, &programs, cpu);
        for (k, r) in new.iter().enumerate() {
            if k > 0 && new[k - 1].metric != r.metric {
                println!("   {}", r.metric);
            }
            println!("   {:<12} {}", r.competitor, short(r));
        }
        rows.extend(new);
    }

    let mut extra: Vec<String> = programs.notes.clone();
    for (tool, why) in &programs.missing_tools {
        extra.push(format!("{tool}: {why}; the rows that need it are not measured."));
    }
    let minutes = start.elapsed().as_secs_f64() / 60.0;
    let reps = repetitions(quick);
    let header = format!(
        "{mode} run, {}. Took {minutes:.1} min ({built:.0} s of it building).\n\n\
         Each timed cell is the median of {reps} repetitions with its min and max; every repetition is a fresh \
         process per (workload, competitor), competitors in rotating order. Ratios are taken within each \
         repetition against the reference the cell names, then summarised the same way. \"pinned\" rows ran \
         under `taskset -c {cpu}`. Instruction counts (callgrind) and syscall counts (strace -f, thread exits \
         included) are differences between two run lengths, per operation, loop overhead included. Targets \
         are strand's goals, not tests.\n",
        machine.describe()
    );
    let table = report::table(&rows);
    let notes = report::notes(&rows, &extra);
    let doc = format!("# strand benchmarks ({mode})\n\n{header}\n{table}\nNotes:\n\n{notes}");
    println!("\n{table}\nNotes:\n{notes}");

    let file = crate::util::root().join("bench/results").join(format!("{mode}.md"));
    std::fs::create_dir_all(file.parent().expect("has a parent")).map_err(|e| e.to_string())?;
    std::fs::write(&file, &doc).map_err(|e| format!("{}: {e}", file.display()))?;
    println!("bench: wrote {}", file.display());
    if !quick {
        let section = format!(
            "Latest full run: {}; it took {minutes:.0} min. Every row, spread and note: \
             [bench/results/full.md](bench/results/full.md).\n\n{}\n<details><summary>Full table</summary>\n\n{table}\n</details>\n",
            machine.describe(),
            report::targets_table(&rows)
        );
        if report::update_readme(&section)? {
            println!("bench: updated README.md's performance section");
        } else {
            println!("bench: README.md has no <!-- bench:begin --> / <!-- bench:end --> markers; not updated");
        }
    }

    // Targets are goals; what fails the command is a program that broke.
    let broken: Vec<String> = rows
        .iter()
        .filter(|r| r.typed_error.is_none() && !r.errors.iter().all(|e| e.starts_with("not built") || e.starts_with("not measured")))
        .map(|r| format!("{} / {}: {}", r.metric, r.competitor, r.errors.join("; ")))
        .collect();
    let strand_missing = programs.strand.is_err();
    for b in &broken {
        println!("bench: FAILED run: {b}");
    }
    if strand_missing {
        println!("bench: FAILED: strand's benchmark program did not build");
    }
    println!("bench: {mode} run done in {minutes:.1} min");
    Ok(broken.is_empty() && !strand_missing)
}

/// One line per row while the run goes on.
fn short(r: &Row) -> String {
    let value = match report::median(&r.values) {
        Some(v) => format!("{} {}", report::num(v), r.unit),
        None => r.errors.first().cloned().unwrap_or_else(|| "—".into()),
    };
    let ratio = report::median(&r.ratios).map(|x| format!("  ({}× {})", report::num(x), r.reference)).unwrap_or_default();
    let verdict = r.verdict().map(|(_, v)| format!("  [{v}]")).unwrap_or_default();
    format!("{value}{ratio}{verdict}")
}

/// What one run of one competitor gave.
struct Sample {
    values: Vec<(String, f64)>,
    note: Option<String>,
    typed_error: Option<bool>,
}

fn measure(w: &Workload, p: &Programs, cpu: &str) -> Vec<Row> {
    let n = w.who.len();
    let reps = match w.how {
        How::Timed { reps, .. } | How::Launch { reps, .. } => reps,
        _ => 1,
    };
    let exes: Vec<Result<Exe, String>> = w.who.iter().map(|c| c.exe(p)).collect();
    let missing = missing_tool(w, p);
    // samples[rep][competitor]
    let mut samples: Vec<Vec<Option<Sample>>> = (0..reps).map(|_| (0..n).map(|_| None).collect()).collect();
    let mut errors: Vec<Vec<String>> = vec![Vec::new(); n];
    for (rep, this_rep) in samples.iter_mut().enumerate() {
        for k in 0..n {
            let i = (k + rep) % n;
            let who = w.who[i];
            let result = match (&exes[i], &missing) {
                (Err(e), _) => Err(e.clone()),
                (_, Some(tool)) => Err(format!("not measured: {tool} is missing")),
                (Ok(exe), None) => one_run(w, who, exe, p, cpu),
            };
            match result {
                Ok(s) => this_rep[i] = Some(s),
                Err(e) => errors[i].push(e),
            }
        }
    }
    let r = w.who.iter().position(|&c| c == w.reference);
    // Only times have the kernel's floor under them to take out (counts are shown as they are),
    // and only pinned ones: unpinned, cross-CPU wake-up latency varies more between runs than
    // the floor is long, and the difference would be noise.
    let floor = w
        .who
        .iter()
        .position(|c| c.is_kernel_floor())
        .filter(|_| matches!(w.how, How::Launch { .. } | How::Timed { pinned: true, .. }));
    let mut rows = Vec::new();
    for m in &w.metrics {
        // per[competitor][repetition]
        let per: Vec<Vec<Option<f64>>> = (0..n)
            .map(|i| {
                (0..reps)
                    .map(|rep| {
                        let s = samples[rep][i].as_ref()?;
                        s.values.iter().find(|(k, _)| k == m.key || m.key.is_empty()).map(|(_, v)| v * m.scale)
                    })
                    .collect()
            })
            .collect();
        let row = |metric: String, i: usize, per: &[Vec<Option<f64>>]| Row {
            metric,
            competitor: w.who[i].label().into(),
            unit: m.unit.into(),
            values: per[i].iter().flatten().copied().collect(),
            ratios: ratios(per, i, r),
            reference: w.reference.label().into(),
            is_reference: Some(i) == r,
            errors: Vec::new(),
            note: None,
            target: None,
            typed_error: None,
        };
        for (i, &who) in w.who.iter().enumerate() {
            let first = samples.iter().find_map(|this_rep| this_rep[i].as_ref());
            rows.push(Row {
                errors: errors[i].clone(),
                note: first.and_then(|s| s.note.clone()),
                // strand's row carries the target; where strand's PiMutex is measured against
                // strand's plain mutex, the PiMutex row does.
                target: if who == StrandPi || (who == Strand && !w.who.contains(&StrandPi)) { m.target } else { None },
                typed_error: first.and_then(|s| s.typed_error),
                ..row(m.name.clone(), i, &per)
            });
        }
        if let Some(f) = floor {
            // Each value minus the floor of its own repetition; none where the floor is missing.
            let above: Vec<Vec<Option<f64>>> =
                per.iter().map(|v| v.iter().zip(&per[f]).map(|(v, floor)| Some((*v)? - (*floor)?)).collect()).collect();
            for i in (0..n).filter(|&i| i != f) {
                rows.push(row(format!("{}, above the kernel floor", m.name), i, &above));
            }
            // Beside strand's target: how much of the reference's time the kernel alone takes,
            // which bounds the ratio any runtime can reach, and what is left for each runtime.
            let (s, f_row) = (w.who.iter().position(|&c| c == Strand), row(m.name.clone(), f, &per));
            if let (Some(s), Some(r), Some(_)) = (s, r, m.target) {
                let med = |i: usize| report::median(&above[i].iter().flatten().copied().collect::<Vec<_>>());
                if let (Some(floor_ratio), Some(mine), Some(theirs)) = (report::median(&f_row.ratios), med(s), med(r)) {
                    let why = format!(
                        "the kernel floor ({}) alone is {}× {}; above it strand takes {} {} against {}'s {}",
                        w.who[f].label(),
                        report::num(floor_ratio),
                        w.reference.label(),
                        report::num(mine),
                        m.unit,
                        w.reference.label(),
                        report::num(theirs),
                    );
                    if let Some(strand_row) = rows.iter_mut().find(|x| x.metric == m.name && x.competitor == Strand.label()) {
                        strand_row.note = Some(match strand_row.note.take() {
                            Some(n) => format!("{n}; {why}"),
                            None => why,
                        });
                    }
                }
            }
        }
    }
    rows
}

/// Competitor i's value over the reference's, per repetition (none for the reference itself).
fn ratios(per: &[Vec<Option<f64>>], i: usize, reference: Option<usize>) -> Vec<f64> {
    match reference {
        Some(r) if r != i => per[i]
            .iter()
            .zip(&per[r])
            .filter_map(|(v, base)| match (v, base) {
                (Some(v), Some(base)) if *base > 0.0 => Some(v / base),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The tool a workload's measurement needs, if it is missing.
fn missing_tool(w: &Workload, p: &Programs) -> Option<String> {
    let tool = match w.how {
        How::Timed { pinned: true, .. } | How::Launch { .. } | How::Syscalls { pinned: true, .. } => "taskset",
        How::Instructions { .. } => "valgrind",
        How::Limit { address_space: Some(_) } => "prlimit",
        How::Perf { pinned, .. } => {
            if pinned && p.missing_tools.iter().any(|(m, _)| m == "taskset") {
                "taskset"
            } else {
                "perf"
            }
        }
        _ => "",
    };
    let strace = matches!(w.how, How::Syscalls { .. }).then_some("strace");
    [Some(tool), strace].into_iter().flatten().find(|t| p.missing_tools.iter().any(|(m, _)| m == t)).map(String::from)
}

fn one_run(w: &Workload, who: Who, exe: &Exe, p: &Programs, cpu: &str) -> Result<Sample, String> {
    let program = who.workload(w.program);
    let plain = |values| Sample { values, note: None, typed_error: None };
    match w.how {
        How::Timed { pinned, .. } => {
            let wrap = if pinned { Wrap::Pinned(cpu) } else { Wrap::None };
            let out = measure::run(&mut measure::command(wrap, exe, program, &w.args))?;
            let values = measure::results(&out.stdout);
            match out.status {
                Some(s) if s.success() && !values.is_empty() => Ok(plain(values)),
                _ => Err(measure::failure(&out)),
            }
        }
        How::Launch { iters, .. } => {
            let launcher = Exe { path: p.glibc.clone().map_err(|e| format!("the launcher is not built: {e}"))?, extra: vec![] };
            let mut child = vec![format!("iters={iters}"), "--".into(), exe.path.display().to_string(), program.into()];
            child.extend(exe.extra.iter().cloned());
            child.extend(w.args.iter().cloned());
            let v = measure::value(&mut measure::command(Wrap::Pinned(cpu), &launcher, "launch", &child), "us_per_process")?;
            Ok(plain(vec![("us_per_process".into(), v)]))
        }
        How::Instructions { n, warmup } => {
            let count = |iters: u64| {
                let mut a = w.args.clone();
                a.push(format!("iters={iters}"));
                measure::callgrind_instructions(exe, program, &a)
            };
            let (i0, i1) = (count(n[0])?, count(n[1])?);
            let per_op = (i1 as f64 - i0 as f64) / (ops(n[1], warmup) - ops(n[0], warmup)) as f64;
            Ok(plain(vec![("instructions".into(), round2(per_op))]))
        }
        How::Syscalls { n, warmup, pinned } => {
            let wrap = if pinned { Wrap::Pinned(cpu) } else { Wrap::None };
            let count = |iters: u64| {
                let mut a = w.args.clone();
                a.push(format!("iters={iters}"));
                measure::strace_syscalls(wrap, exe, program, &a)
            };
            let (c0, c1) = (count(n[0])?, count(n[1])?);
            let d_ops = (ops(n[1], warmup) - ops(n[0], warmup)) as f64;
            let total = |c: &std::collections::BTreeMap<String, u64>| c.values().sum::<u64>() as f64;
            let per_op = (total(&c1) - total(&c0)) / d_ops;
            let mut parts: Vec<(f64, &String)> = c1
                .iter()
                .map(|(name, &v)| (round2((v as f64 - *c0.get(name).unwrap_or(&0) as f64) / d_ops), name))
                .filter(|(per, _)| *per >= 0.05)
                .collect();
            parts.sort_by(|a, b| b.0.total_cmp(&a.0));
            let note = (!parts.is_empty())
                .then(|| parts.iter().map(|(per, name)| format!("{name} {}", report::num(*per))).collect::<Vec<_>>().join(", "));
            Ok(Sample { values: vec![("syscalls".into(), round2(per_op))], note, typed_error: None })
        }
        How::Perf { n, warmup, pinned } => {
            let wrap = if pinned { Wrap::Pinned(cpu) } else { Wrap::None };
            let events = [PAGE_FAULTS, SYSCALLS, SWITCHES];
            let count = |iters: Option<u64>| {
                let mut a = w.args.clone();
                a.extend(iters.map(|i| format!("iters={i}")));
                measure::perf_counts(wrap, exe, program, &a, &events)
            };
            let values = match n {
                None => count(None)?.into_iter().collect(),
                Some(n) => {
                    let (c0, c1) = (count(Some(n[0]))?, count(Some(n[1]))?);
                    let d_ops = (ops(n[1], warmup) - ops(n[0], warmup)) as f64;
                    events.iter().map(|e| (e.to_string(), round2((c1[*e] - c0[*e]) / d_ops))).collect()
                }
            };
            Ok(plain(values))
        }
        How::Limit { address_space } => {
            let wrap = address_space.map_or(Wrap::None, Wrap::AddressSpaceLimit);
            let out = measure::run_for(&mut measure::command(wrap, exe, program, &w.args), measure::LIMIT_RUN_LIMIT)?;
            let reached = measure::results(&out.stdout).into_iter().find(|(k, _)| k == "threads").map(|(_, v)| v);
            let progress = out.stdout.lines().filter_map(|l| l.strip_prefix("PROGRESS ")?.trim().parse::<f64>().ok()).next_back();
            let said = out.stdout.lines().find_map(|l| l.strip_prefix("NOTE ")).map(str::to_string);
            match (out.status, reached) {
                (Some(s), Some(n)) if s.success() => Ok(Sample {
                    values: vec![("threads".into(), n)],
                    typed_error: Some(said.is_some()),
                    note: Some(match said {
                        Some(e) => format!("stopped at {}: {e}", report::num(n)),
                        None => format!("reached {} without an error", report::num(n)),
                    }),
                }),
                (Some(s), _) if !s.success() => {
                    let panic = out.stderr.lines().find(|l| !l.trim().is_empty() && !l.starts_with("thread '")).unwrap_or("");
                    let at_least = progress.unwrap_or(0.0);
                    Ok(Sample {
                        values: vec![("threads".into(), at_least)],
                        typed_error: Some(false),
                        note: Some(format!(
                            "{} after at least {} threads{}{}",
                            measure::describe_status(s),
                            report::num(at_least),
                            said.map(|e| format!("; first: {e}")).unwrap_or_default(),
                            if panic.is_empty() { String::new() } else { format!("; stderr: {}", panic.trim()) }
                        )),
                    })
                }
                (None, _) => Ok(Sample {
                    values: vec![("threads".into(), progress.unwrap_or(0.0))],
                    typed_error: Some(false),
                    note: Some(format!(
                        "hung: still running after {} s (killed), after at least {} threads",
                        measure::LIMIT_RUN_LIMIT.as_secs(),
                        report::num(progress.unwrap_or(0.0))
                    )),
                }),
                _ => Err(measure::failure(&out)),
            }
        }
    }
}

/// Per-operation counts from differences carry noise in the fifth decimal.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Operations a run of `iters` performs: the Rust and C loops warm up with iters/10 + 1 first.
fn ops(iters: u64, warmup: bool) -> u64 {
    if warmup {
        iters + iters / 10 + 1
    } else {
        iters
    }
}
