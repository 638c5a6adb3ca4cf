//! The architecture table: the whole kernel boundary of one ABI lives in one file here, and
//! nothing outside `arch/` names a `target_arch`, an ABI, or `linux_raw_sys`.
//!
//! Which file is compiled is decided by the ABI table, `arch/abis.rs`: `build.rs` looks the
//! target triple up there (exact match, so x32 can never fall into `x86_64.rs`, nor thumb into
//! an arm file) and includes that row's file as `imp`. Adding an ABI touches three places: its
//! file here (or, for an ABI that differs from another only in byte order, that ABI's file:
//! mipsel uses `mips.rs`, powerpc64le `powerpc64.rs`), its row in `abis.rs`, and its runner's
//! package if that is new. The README's "Adding an ABI" section walks through it.
//!
//! Code that sibling files would otherwise repeat word for word lives in a helper file they
//! include as a private module (`#[path]`), never compiled on its own:
//! - `powerpc_sc.rs`: the `sc` syscalls of `powerpc.rs` and `powerpc64.rs`, re-exported by both;
//! - `sparc_sc.rs`: the syscalls of `sparc.rs` and `sparc64.rs`, whose trap and carry test each
//!   file names (`syscall_trap!`, `carry_branch!`) before it includes the helper;
//! - `mips_got.rs`: the static-pie GOT relocation the `_start` of `mips.rs` and `mips64.rs` runs
//!   before any call;
//! - `pic_early.rs`: the reads of the image that relocation and 32-bit powerpc's
//!   `relocate_early` make before anything is relocated (auxv, program headers).
//!
//! A helper holds only what is the same instruction for instruction; what differs (a trap
//! number, a register width) stays in each ABI's file.
//!
//! Every file provides the same contract; generic code in `src/` uses nothing else:
//!
//! - `sys`: the kernel's constants, syscall numbers and struct layouts for this ABI
//!   (`linux_raw_sys` re-exported where it builds; an ABI it does not cover provides the same
//!   names itself). Signal numbers and `SA_*`/`SIG_*` values differ by ABI (mips and sparc
//!   number SIGUSR1, SIGCHLD, ... differently), so they are only ever taken from here.
//! - `syscall0` ..= `syscall6(nr, args..) -> usize`: the raw syscall instruction. Arguments are
//!   `usize`, zero-extended. The result is normalised to one convention: a value in
//!   `-4095..=-1` (as `isize`) is a negated errno, anything else is success; ABIs that report
//!   errors out of band (mips `$a3`, powerpc CR0.SO, sparc carry) convert here. The asm names
//!   every register the kernel may clobber, passes stack arguments where the ABI has them (mips
//!   o32 arguments 5 and 6), and moves registers Rust reserves (thumb `r7`, sparc `%g1`, mips
//!   `$at`, x86 `esi`/`ebp`) by hand inside the template.
//! - `nr`: the syscall numbers whose *name* differs by ABI: `FUTEX`, `CLOCK_GETTIME`,
//!   `CLOCK_NANOSLEEP`, `RT_SIGTIMEDWAIT` (the 64-bit-time variants on 32-bit ABIs), `GETUID`
//!   (`getuid32` where the plain one is 16-bit; likewise `GETEUID`, `GETGID`, `GETEGID`,
//!   `GETRESUID`, `GETRESGID`, `SETUID`, `SETGID`, `SETRESUID`, `SETRESGID`, `GETGROUPS`,
//!   `SETGROUPS`) and `MMAP` (with `mmap_raw`). `ALARM` is `Some(number)` of `alarm` where
//!   the ABI has it, `None` where it does not (the asm-generic table of aarch64 and riscv):
//!   `process::alarm` then emulates it with `setitimer`.
//!   Numbers with one name everywhere come from `sys::general`; 64-bit ABIs expand
//!   `nr_native! { ALARM }` and, for a register-argument `mmap`, `mmap_six_args`; 32-bit ABIs
//!   expand `nr_time64! { ids: wide32|plain, time32: fallback|none, ALARM }`. Also
//!   `FUTEX_TIME32`, `CLOCK_GETTIME_TIME32`, `CLOCK_NANOSLEEP_TIME32`,
//!   `RT_SIGTIMEDWAIT_TIME32`: `Some(number)` of the
//!   32-bit-time originals on ABIs that have them, `None` elsewhere.
//! - `R_RELATIVE`: the psABI's RELATIVE relocation type, the one a static-pie applies to itself
//!   (mips: R_MIPS_REL32, which lld writes with no symbol for a static-pie's local addresses).
//! - `r_info_gabi(info) -> usize`: a relocation's `r_info` word in the gABI's form, which the
//!   start-up's relocation reads. Every file but `mips64.rs` re-exports `r_info_unchanged`;
//!   mips64.rs converts on little-endian (mips64el) and returns big-endian words as they are.
//! - `mmap_raw(addr, len, prot, flags, fd) -> usize`: an anonymous/offset-0 mapping (s390x passes
//!   its arguments through memory, 32-bit ABIs use `mmap2`).
//! - `_start`: the program entry, a naked function (left out of host unit tests) that calls
//!   `rt::__strand_start(initial_sp)` with a valid, ABI-aligned stack, the frame chain ended, and
//!   any register the ABI wants set before the first call (riscv `gp`, ppc64 `r2`/`r12`). It
//!   uses no absolute address (only PC-relative ones), so that it runs unchanged in a static-pie
//!   loaded anywhere. Where the ABI's position-independent code cannot even make a call before
//!   some relocation no table lists is applied (mips: every call and every address goes
//!   through the GOT, whose local entries the psABI relocates implicitly), or before the
//!   relocations the tables list (32-bit powerpc: every address comes from `.got2`, whose
//!   entries are RELATIVE relocations), `_start` applies it first, in code that calls nothing and takes no address, and ends the process with a message
//!   and status 127 if it cannot; the generic `rt` relocation then does the rest.
//! - `TLS: TlsAbi`: the static-TLS variant, the gap between the thread pointer and the first TLS
//!   block (variant I) and the thread-pointer bias (mips, powerpc, m68k). `tls.rs` holds the
//!   memory picture.
//! - `set_thread_pointer(tp) -> usize` (raw syscall-style result) for the main thread, and
//!   `thread_pointer() -> *mut u8`, which must be cheap: it is how a thread finds itself. Each
//!   file's header says whether it is a register read or a syscall; where compiled code reads
//!   the thread pointer through a helper (`__aeabi_read_tp` on arm, `__m68k_read_tp`), the file
//!   exports that helper too.
//! - `load_tp_u32::<OFF>()`: the 32-bit word `OFF` bytes from the thread pointer, in one load
//!   where the ISA can address through it (x86's `%fs`/`%gs`), else `load_tp_u32_from_pointer`.
//!   Only for words that never change once the thread runs (its tid): the x86 forms tell the
//!   compiler the load reads no memory, so that it may be hoisted out of loops.
//!   How the uncontended `Mutex` gets the caller's tid without an extra instruction.
//! - `clone_thread(flags, stack_top, ptid, ctid, tp, entry, arg) -> usize`: the raw `clone`. In
//!   the parent it returns the tid or a negated errno. Everything at and above `stack_top`
//!   (16-byte aligned) is the caller's and live: the child's stack grows down from below it.
//!   The file reserves, below `stack_top`, whatever its ABI makes the caller own in the first
//!   frame (ppc64 ELFv2 32 bytes with a back chain, ppc32 16, mips o32 16, sparc64 176 plus the
//!   2047 stack bias, sparc32 96, s390x 160) and passes `tp` in the form its `CLONE_SETTLS`
//!   wants. The child runs `entry(arg)`, which never returns, with the frame chain ended. The
//!   arch-defined parts are the file's: how the child tells itself apart (sparc `%o1`), which
//!   register must hold the callee address (ppc64 `r12`, mips `$25`).
//! - `unmap_and_exit(base, len) -> !`: `munmap` the calling thread's own mapping, then
//!   `exit(0)`, touching no memory of that mapping in between (the stack is gone). sparc flushes
//!   its register windows first; mips o32 points `$sp` at mapped memory, because its kernels
//!   read stack arguments on every syscall. An ABI whose asm cannot avoid memory here uses
//!   `exit_stack::unmap_and_exit`, which runs the end on a small static stack under a lock.
//! - `rt_sigaction(sig, new, old) -> usize`: installs or reads a handler given as an
//!   ABI-neutral [`Sigaction`], in this ABI's own `struct sigaction` and calling convention
//!   (mips puts an `unsigned int` flags word first; sparc passes the restorer as a syscall
//!   argument). One policy for returning from handlers: where the ABI lets the caller name the
//!   `rt_sigreturn` code (SA_RESTORER, or sparc's argument), the file provides its own
//!   trampoline, as musl does, so a handler's return never depends on a vDSO; elsewhere the
//!   kernel supplies it (riscv and powerpc: vDSO or a signal-frame trampoline).
//! - `context_pc(uc)`, `context_sp(uc)`, `set_context_pc(uc, pc)`: the interrupted program
//!   counter and (real, unbiased) stack pointer in the context an SA_SIGINFO handler gets as its
//!   third argument, and where the thread resumes when the handler returns. That argument is a
//!   `ucontext` everywhere but sparc64, where it points at the siginfo, followed by the saved
//!   `pt_regs`.
//! - `context_sigmask(uc) -> *mut SigSet`: in the same context, the `sigset_t` that
//!   `rt_sigreturn` makes the thread's mask when the handler returns (the mask it had when the
//!   signal arrived): `uc_sigmask` of the ABI's `struct ucontext`, or on sparc64 the `mask` of
//!   the rt signal frame. Reading it gives the interrupted thread's mask; writing it changes
//!   the mask the thread goes on with, which a mask change made inside the handler cannot do
//!   (sigreturn overwrites it).
//! - `syscall_cp(cancel, nr, a1..a6) -> usize`: the cancellable syscall (musl's `__syscall_cp`),
//!   a naked `unsafe extern "C" fn` (a naked function needs an explicit ABI). Between the global labels `__strand_cp_begin` and `__strand_cp_end` (right
//!   after the syscall instruction) it only tests `*cancel`, branching to `__strand_cp_cancel`
//!   if nonzero, marshals the arguments and traps; every stack and register save comes before,
//!   every restore after, so any PC in the range may be sent to `__strand_cp_cancel`, which
//!   returns this ABI's `-ECANCELED` through the common epilogue. Otherwise the result is
//!   `syscall6`'s. [`cancel_point_range`] and [`cancel_point_landing`], defined once below from
//!   the labels, give their run-time addresses.
//! - `STACK_GUARD`: where the compiler's stack-protector code reads the canary (a slot at a
//!   fixed offset from the thread pointer, or the global `__stack_chk_guard`).

pub use crate::tls::{TlsAbi, TlsVariant};

use crate::signal::SigSet;

/// `nr` for ABIs whose plain `futex`, `clock_*` and `mmap` syscalls already take 64-bit time and
/// register arguments (every 64-bit ABI; each ABI's own numbers come from its `sys`). An arch
/// file writes `nr_native! { <its ALARM> }` where it would define `nr`. A macro, not a shared
/// module, because it names `__NR_mmap`, which ABIs without the old `mmap` (arm EABI) do not
/// have: it is only compiled into the files that use it. The items given are added to `nr`
/// (`ALARM`, which 64-bit ABIs do not all have).
#[allow(unused_macros)] // the 32-bit files use `nr_time64!`
macro_rules! nr_native {
    ($($extra:item)*) => {
        /// The syscall numbers whose name differs by ABI: here the plain ones (`nr_native!` in
        /// `arch/mod.rs`).
        pub mod nr {
            use super::sys::general as g;
            /// `futex`, with 64-bit time on a 64-bit ABI.
            pub const FUTEX: usize = g::__NR_futex as usize;
            /// `clock_gettime`.
            pub const CLOCK_GETTIME: usize = g::__NR_clock_gettime as usize;
            /// `clock_nanosleep`.
            pub const CLOCK_NANOSLEEP: usize = g::__NR_clock_nanosleep as usize;
            /// `mmap`, with a byte offset.
            pub const MMAP: usize = g::__NR_mmap as usize;
            /// No 32-bit-time variants to fall back to: the plain syscalls above are the only ones.
            pub const RT_SIGTIMEDWAIT: usize = g::__NR_rt_sigtimedwait as usize;
            /// `getuid` returns the full 32-bit uid on every 64-bit ABI (kernel/sys.c); so do the
            /// other id calls below, which 32-bit x86 has as `*32` variants.
            pub const GETUID: usize = g::__NR_getuid as usize;
            /// `geteuid`.
            pub const GETEUID: usize = g::__NR_geteuid as usize;
            /// `getgid`.
            pub const GETGID: usize = g::__NR_getgid as usize;
            /// `getegid`.
            pub const GETEGID: usize = g::__NR_getegid as usize;
            /// `getresuid`.
            pub const GETRESUID: usize = g::__NR_getresuid as usize;
            /// `getresgid`.
            pub const GETRESGID: usize = g::__NR_getresgid as usize;
            /// `setuid`.
            pub const SETUID: usize = g::__NR_setuid as usize;
            /// `setgid`.
            pub const SETGID: usize = g::__NR_setgid as usize;
            /// `setresuid`.
            pub const SETRESUID: usize = g::__NR_setresuid as usize;
            /// `setresgid`.
            pub const SETRESGID: usize = g::__NR_setresgid as usize;
            /// `getgroups`.
            pub const GETGROUPS: usize = g::__NR_getgroups as usize;
            /// `setgroups`.
            pub const SETGROUPS: usize = g::__NR_setgroups as usize;
            /// No 32-bit-time `futex` to fall back to.
            pub const FUTEX_TIME32: Option<usize> = None;
            /// No 32-bit-time `rt_sigtimedwait` to fall back to.
            pub const RT_SIGTIMEDWAIT_TIME32: Option<usize> = None;
            /// No 32-bit-time `clock_gettime` to fall back to.
            pub const CLOCK_GETTIME_TIME32: Option<usize> = None;
            /// No 32-bit-time `clock_nanosleep` to fall back to.
            pub const CLOCK_NANOSLEEP_TIME32: Option<usize> = None;
            $($extra)*
        }
    };
}

/// `nr` for 32-bit ABIs: the 64-bit-time syscalls (`futex_time64`, `clock_gettime64`,
/// `clock_nanosleep_time64`, `rt_sigtimedwait_time64`, whose `struct __kernel_timespec` is
/// strand's `Timespec`) and `mmap2` (whose offset counts pages; strand maps at offset 0), plus
/// two per-ABI choices and the file's own items:
///
/// - `ids: wide32` where the plain uid/gid calls are the 16-bit-id originals and the full ones
///   are the `*32` variants (i386, arm, m68k, sparc), `ids: plain` where the plain ones take
///   32-bit ids (mips, powerpc, the asm-generic table);
/// - `time32: fallback` where the ABI still has the 32-bit-time originals (start-up switches to
///   them where a time64 call is missing: a kernel before 5.1, an old seccomp profile),
///   `time32: none` where it never had them (riscv32: asm-generic without
///   `__ARCH_WANT_TIME32_SYSCALLS`);
/// - then the file's items (`ALARM`).
///
/// The file's comment at the call names its syscall table.
#[allow(unused_macros)] // the 64-bit files use `nr_native!`
macro_rules! nr_time64 {
    (ids: $ids:ident, time32: $time32:ident, $($extra:item)*) => {
        /// The syscall numbers whose name differs by ABI: here the 64-bit-time variants of a
        /// 32-bit ABI (`nr_time64!` in `arch/mod.rs`).
        pub mod nr {
            #[allow(unused_imports)]
            use super::sys::general as g;
            /// `futex_time64`: `futex` with a 64-bit `struct __kernel_timespec`.
            pub const FUTEX: usize = g::__NR_futex_time64 as usize;
            /// `clock_gettime64`: `clock_gettime` with 64-bit time.
            pub const CLOCK_GETTIME: usize = g::__NR_clock_gettime64 as usize;
            /// `clock_nanosleep_time64`: `clock_nanosleep` with 64-bit time.
            pub const CLOCK_NANOSLEEP: usize = g::__NR_clock_nanosleep_time64 as usize;
            /// `mmap2`: `mmap` with a page-unit offset (strand maps only at offset 0).
            pub const MMAP: usize = g::__NR_mmap2 as usize;
            /// `rt_sigtimedwait_time64`: `rt_sigtimedwait` with 64-bit time.
            pub const RT_SIGTIMEDWAIT: usize = g::__NR_rt_sigtimedwait_time64 as usize;
            nr_time64!(@ids $ids);
            nr_time64!(@time32 $time32);
            $($extra)*
        }
    };
    (@ids wide32) => {
        /// `getuid32`: the plain `getuid` is the 16-bit-uid original (`sys_getuid16`) here.
        pub const GETUID: usize = g::__NR_getuid32 as usize;
        /// `geteuid32`, as `GETUID`.
        pub const GETEUID: usize = g::__NR_geteuid32 as usize;
        /// `getgid32`, as `GETUID`.
        pub const GETGID: usize = g::__NR_getgid32 as usize;
        /// `getegid32`, as `GETUID`.
        pub const GETEGID: usize = g::__NR_getegid32 as usize;
        /// `getresuid32`, as `GETUID`.
        pub const GETRESUID: usize = g::__NR_getresuid32 as usize;
        /// `getresgid32`, as `GETUID`.
        pub const GETRESGID: usize = g::__NR_getresgid32 as usize;
        /// `setuid32`, as `GETUID`.
        pub const SETUID: usize = g::__NR_setuid32 as usize;
        /// `setgid32`, as `GETUID`.
        pub const SETGID: usize = g::__NR_setgid32 as usize;
        /// `setresuid32`, as `GETUID`.
        pub const SETRESUID: usize = g::__NR_setresuid32 as usize;
        /// `setresgid32`, as `GETUID`.
        pub const SETRESGID: usize = g::__NR_setresgid32 as usize;
        /// `getgroups32`: a list of 32-bit gids.
        pub const GETGROUPS: usize = g::__NR_getgroups32 as usize;
        /// `setgroups32`: a list of 32-bit gids.
        pub const SETGROUPS: usize = g::__NR_setgroups32 as usize;
    };
    (@ids plain) => {
        /// `getuid`: the plain call takes full 32-bit ids on this ABI.
        pub const GETUID: usize = g::__NR_getuid as usize;
        /// `geteuid`.
        pub const GETEUID: usize = g::__NR_geteuid as usize;
        /// `getgid`.
        pub const GETGID: usize = g::__NR_getgid as usize;
        /// `getegid`.
        pub const GETEGID: usize = g::__NR_getegid as usize;
        /// `getresuid`.
        pub const GETRESUID: usize = g::__NR_getresuid as usize;
        /// `getresgid`.
        pub const GETRESGID: usize = g::__NR_getresgid as usize;
        /// `setuid`.
        pub const SETUID: usize = g::__NR_setuid as usize;
        /// `setgid`.
        pub const SETGID: usize = g::__NR_setgid as usize;
        /// `setresuid`.
        pub const SETRESUID: usize = g::__NR_setresuid as usize;
        /// `setresgid`.
        pub const SETRESGID: usize = g::__NR_setresgid as usize;
        /// `getgroups`.
        pub const GETGROUPS: usize = g::__NR_getgroups as usize;
        /// `setgroups`.
        pub const SETGROUPS: usize = g::__NR_setgroups as usize;
    };
    (@time32 fallback) => {
        /// The original `futex`, with 32-bit time (`struct old_timespec32`), for kernels before
        /// 5.1 or seccomp profiles that predate the time64 names; start-up (`rt`) probes which
        /// ones work.
        pub const FUTEX_TIME32: Option<usize> = Some(g::__NR_futex as usize);
        /// The original `clock_gettime`, with 32-bit time.
        pub const CLOCK_GETTIME_TIME32: Option<usize> = Some(g::__NR_clock_gettime as usize);
        /// The original `clock_nanosleep`, with 32-bit time.
        pub const CLOCK_NANOSLEEP_TIME32: Option<usize> = Some(g::__NR_clock_nanosleep as usize);
        /// The original `rt_sigtimedwait`, with 32-bit time.
        pub const RT_SIGTIMEDWAIT_TIME32: Option<usize> = Some(g::__NR_rt_sigtimedwait as usize);
    };
    (@time32 none) => {
        /// No 32-bit-time `futex` on this ABI: the time64 one is the only one.
        pub const FUTEX_TIME32: Option<usize> = None;
        /// No 32-bit-time `clock_gettime`.
        pub const CLOCK_GETTIME_TIME32: Option<usize> = None;
        /// No 32-bit-time `clock_nanosleep`.
        pub const CLOCK_NANOSLEEP_TIME32: Option<usize> = None;
        /// No 32-bit-time `rt_sigtimedwait`.
        pub const RT_SIGTIMEDWAIT_TIME32: Option<usize> = None;
    };
}

/// `load_tp_u32` for ABIs whose loads cannot address through the thread pointer directly: read
/// the thread pointer, then load at the offset. An arch file uses it with
/// `pub use super::load_tp_u32_from_pointer as load_tp_u32;`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::{load_tp_u32_from_pointer, thread_pointer};
/// // The word at the thread pointer itself, read both ways.
/// // SAFETY: on x86_64, where this runs, the thread pointer points at the control block's
/// // first word (its self pointer).
/// let direct = unsafe { *(thread_pointer() as *const u32) };
/// assert_eq!(load_tp_u32_from_pointer::<0>(), direct);
/// # }
/// ```
#[inline(always)]
pub fn load_tp_u32_from_pointer<const OFF: isize>() -> u32 {
    // SAFETY: callers name a word of the calling thread's TLS area or control block, which lives
    // as long as the thread.
    unsafe { *(imp::thread_pointer().wrapping_offset(OFF) as *const u32) }
}

/// `mmap` as a plain six-argument syscall (offset 0), for the ABIs whose `nr::MMAP` takes its
/// arguments in registers.
///
/// # Safety
/// The caller upholds mmap's contract.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::{mmap_six_args, sys::general as g};
/// let len = strand::rt::page_size();
/// let prot = (g::PROT_READ | g::PROT_WRITE) as usize;
/// let flags = (g::MAP_PRIVATE | g::MAP_ANONYMOUS) as usize;
/// // SAFETY: a fresh anonymous mapping at an address the kernel picks (fd -1, offset 0).
/// let r = unsafe { mmap_six_args(0, len, prot, flags, usize::MAX) };
/// assert!((r as isize) > 0, "mmap failed: {}", r as isize);
/// let p = r as *mut u8;
/// // SAFETY: the page was just mapped read-write, and is ours to unmap.
/// unsafe { p.write(7); assert_eq!(p.read(), 7); strand::syscall::munmap(p, len).unwrap() };
/// # }
/// ```
#[inline]
pub unsafe fn mmap_six_args(addr: usize, len: usize, prot: usize, flags: usize, fd: usize) -> usize {
    // SAFETY: per the function's contract.
    unsafe { imp::syscall6(imp::nr::MMAP, addr, len, prot, flags, fd, 0) }
}

/// `r_info_gabi` for every ABI whose `r_info` is already in the gABI's ELF64_R_INFO form
/// (`sym << 32 | type`, or ELF32's `sym << 8 | type`), which `startup::reloc::r_type` reads:
/// all but little-endian MIPS64 (arch/mips64.rs says why). An arch file uses it with
/// `pub use super::r_info_unchanged as r_info_gabi;`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// // R_X86_64_RELATIVE (8) with symbol 0 on x86_64, where this runs: unchanged.
/// assert_eq!(strand::arch::r_info_gabi(8), 8);
/// # }
/// ```
#[inline]
pub fn r_info_unchanged(info: usize) -> usize {
    info
}

/// A signal disposition in ABI-neutral form: what `signal` asks for, and what `rt_sigaction`
/// reports back. `handler` is `SIG_DFL` (0), `SIG_IGN` (1) or a function address; `flags` are
/// this ABI's `SA_*` bits (from `sys`) without any restorer bit, which the arch file adds.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::{rt_sigaction, Sigaction};
/// // SIGUSR1 is 10 on x86_64; strand::signal::Signal gives each ABI's number.
/// let sig = strand::signal::Signal::USR1.number();
/// let mut old = Sigaction::DEFAULT;
/// // SAFETY: only reads the disposition (no new one).
/// let r = unsafe { rt_sigaction(sig, None, Some(&mut old)) };
/// assert_eq!(r, 0);
/// assert_eq!(old.handler, 0); // SIG_DFL: nothing installed a handler
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sigaction {
    /// `SIG_DFL` (0), `SIG_IGN` (1) or the handler's address.
    pub handler: usize,
    /// This ABI's `SA_*` bits, without the restorer bit.
    pub flags: usize,
    /// Signals blocked while the handler runs.
    pub mask: SigSet,
}

impl Sigaction {
    /// The default disposition: `SIG_DFL`, no flags, no mask.
    pub const DEFAULT: Sigaction = Sigaction { handler: 0, flags: 0, mask: SigSet::EMPTY };
}

/// The `struct sigaction` layouts shared by several ABIs, and the `rt_sigaction` call that
/// passes them (`rt_sigaction(sig, act, oact, sigsetsize)`, kernel/signal.c). An arch file
/// whose layout is one of these calls the matching function from its `rt_sigaction`.
pub mod sigaction {
    use super::{imp, Sigaction};
    use crate::signal::SigSet;

    /// `{handler, flags, restorer, mask}`: x86, arm, aarch64, powerpc, s390, m68k (each
    /// kernel's arch/*/include/uapi/asm/signal.h, or include/linux/signal_types.h with
    /// `__ARCH_HAS_SA_RESTORER`).
    #[repr(C)]
    struct WithRestorer {
        handler: usize,
        flags: usize,
        restorer: usize,
        mask: SigSet,
    }

    /// `{handler, flags, mask}`: ABIs without `sa_restorer` (riscv, loongarch;
    /// include/linux/signal_types.h).
    #[repr(C)]
    struct NoRestorer {
        handler: usize,
        flags: usize,
        mask: SigSet,
    }

    /// Where the kernel writes the old disposition: the layout, then room for the words an
    /// emulator may write past it. QEMU 7.2's riscv64 user mode writes an `sa_restorer` word
    /// that the real riscv `struct sigaction` does not have, 8 bytes past the end (caught by the
    /// `-Zstack-protector` build of the startup test: the canary above the struct changed).
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::arch::sigaction::Slack;
    /// let s = Slack { k: 0u64, _slack: [0; 4] };
    /// // Room for four words past the kernel's struct.
    /// assert_eq!(core::mem::size_of_val(&s), 8 + 4 * core::mem::size_of::<usize>());
    /// # }
    /// ```
    #[repr(C)]
    pub struct Slack<T> {
        /// The kernel's struct.
        pub k: T,
        /// Room for words an emulator writes past it.
        pub _slack: [usize; 4],
    }

    /// `rt_sigaction` with the `{handler, flags, restorer, mask}` layout. `restorer` is
    /// `Some((SA_RESTORER bit, trampoline address))` where the file provides its own return
    /// path, `None` where the kernel supplies one. The restorer bit is stripped from what is
    /// reported back.
    ///
    /// # Safety
    /// `new.handler` must be SIG_DFL, SIG_IGN or a handler that may run at any time on any
    /// thread; the trampoline must perform `rt_sigreturn` without touching the stack.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::arch::{sigaction::with_restorer, Sigaction};
    /// // x86_64 (where this example runs) has the `{handler, flags, restorer, mask}` layout.
    /// let mut old = Sigaction::DEFAULT;
    /// // SAFETY: only reads SIGTERM's disposition.
    /// let r = unsafe { with_restorer(strand::signal::Signal::TERM.number(), None, Some(&mut old), None) };
    /// assert_eq!((r, old.handler), (0, 0));
    /// # }
    /// ```
    pub unsafe fn with_restorer(
        sig: u32,
        new: Option<&Sigaction>,
        old: Option<&mut Sigaction>,
        restorer: Option<(usize, usize)>,
    ) -> usize {
        let (bit, addr) = restorer.unwrap_or((0, 0));
        let k_new = new.map(|a| WithRestorer { handler: a.handler, flags: a.flags | bit, restorer: addr, mask: a.mask });
        let mut k_old = Slack { k: WithRestorer { handler: 0, flags: 0, restorer: 0, mask: SigSet::EMPTY }, _slack: [0; 4] };
        let new_ptr = k_new.as_ref().map_or(core::ptr::null(), |a| a as *const WithRestorer);
        // SAFETY: both pointers are null or point at live structs of the layout this ABI's
        // rt_sigaction reads and writes; the handler's validity is the caller's contract.
        let r = unsafe {
            imp::syscall4(
                imp::sys::general::__NR_rt_sigaction as usize,
                sig as usize,
                new_ptr as usize,
                &mut k_old as *mut Slack<WithRestorer> as usize,
                core::mem::size_of::<SigSet>(),
            )
        };
        if let Some(old) = old {
            *old = Sigaction { handler: k_old.k.handler, flags: k_old.k.flags & !bit, mask: k_old.k.mask };
        }
        r
    }

    /// `rt_sigaction` with the `{handler, flags, mask}` layout.
    ///
    /// # Safety
    /// As for [`with_restorer`].
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::arch::sigaction::no_restorer;
    /// // Signal 0 does not exist on any ABI: EINVAL, whichever layout the ABI has.
    /// // SAFETY: neither a new disposition nor a place for the old one.
    /// let r = unsafe { no_restorer(0, None, None) };
    /// assert_eq!(r as isize, -(strand::Errno::EINVAL.raw() as isize));
    /// # }
    /// ```
    pub unsafe fn no_restorer(sig: u32, new: Option<&Sigaction>, old: Option<&mut Sigaction>) -> usize {
        let k_new = new.map(|a| NoRestorer { handler: a.handler, flags: a.flags, mask: a.mask });
        let mut k_old = Slack { k: NoRestorer { handler: 0, flags: 0, mask: SigSet::EMPTY }, _slack: [0; 4] };
        let new_ptr = k_new.as_ref().map_or(core::ptr::null(), |a| a as *const NoRestorer);
        // SAFETY: as in `with_restorer`.
        let r = unsafe {
            imp::syscall4(
                imp::sys::general::__NR_rt_sigaction as usize,
                sig as usize,
                new_ptr as usize,
                &mut k_old as *mut Slack<NoRestorer> as usize,
                core::mem::size_of::<SigSet>(),
            )
        };
        if let Some(old) = old {
            *old = Sigaction { handler: k_old.k.handler, flags: k_old.k.flags, mask: k_old.k.mask };
        }
        r
    }
}

/// Where the compiler's `-Zstack-protector` code finds the canary on this ABI.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::{StackGuard, STACK_GUARD};
/// match STACK_GUARD {
///     StackGuard::TpRelative(off) => strand::println!("canary at thread pointer {off:+#x}"),
///     StackGuard::Global => strand::println!("canary in __stack_chk_guard"),
/// }
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StackGuard {
    /// In every thread's control block, this many bytes from the thread pointer (x86_64
    /// `%fs:0x28`, i386 `%gs:0x14`, s390x TP+0x28, powerpc64 TP-0x7010, powerpc TP-0x7008,
    /// sparc `%g7`+0x28).
    TpRelative(isize),
    /// In the global `__stack_chk_guard` (aarch64, riscv, mips, and every ABI the compilers give
    /// no TCB slot).
    Global,
}

/// The words of every thread's control block that the psABIs lay out at fixed offsets from the
/// thread pointer: a variant II header at the thread pointer (glibc's `tcbhead_t`, whose self
/// pointer, canary and pointer guard compilers and debuggers address directly), and a variant I
/// tail right below `TP - bias` (the powerpc canary). `thread::Tcb` begins and ends with them.
///
/// 64 bytes: x86_64's canary is at `%fs:0x28` with 8-byte words, and x32's compilers read it
/// at the same offset with 4-byte words (LLVM's X86 `getIRStackGuard`: 0x28 whenever the
/// target is 64-bit), so the head is sized in bytes, not words.
pub const TCB_HEAD_WORDS: usize = 64 / core::mem::size_of::<usize>();
/// The words of the variant I tail (see [`TCB_HEAD_WORDS`]).
pub const TCB_TAIL_WORDS: usize = 2;

/// A provisional control block for the first instructions of the process. On an ABI whose
/// stack-protector canary lives at a thread-pointer offset, code built with
/// `-Zstack-protector` reads that slot in the prologue of every Rust function, the first
/// (`rt::__strand_start`) included, so `_start` points the thread pointer here before it calls
/// Rust: the slot then reads as 0 instead of faulting. Start-up moves the thread to its real
/// control block, then sets the real canary.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::{BootTcb, BOOT_TCB};
/// assert_eq!(core::mem::align_of::<BootTcb>(), 64);
/// // Never written: the canary slot in it reads as 0 until start-up leaves it.
/// assert!(BOOT_TCB.0.iter().all(|&b| b == 0));
/// # }
/// ```
#[repr(C, align(64))]
pub struct BootTcb(pub [u8; 256]);

/// The provisional control block itself (see [`BootTcb`]).
pub static BOOT_TCB: BootTcb = BootTcb([0; 256]);

/// The byte of `BOOT_TCB` the canary slot falls on: the middle, so both a positive (variant II)
/// and a negative (variant I) offset stay inside.
const BOOT_CANARY_AT: isize = 128;

/// What `_start` adds to `BOOT_TCB`'s address to get the provisional thread pointer: with it,
/// `TP + STACK_GUARD offset` is `BOOT_TCB + 128`. Unused where the canary is global.
pub const BOOT_TP_DELTA: isize = match imp::STACK_GUARD {
    StackGuard::TpRelative(off) => BOOT_CANARY_AT - off,
    StackGuard::Global => 0,
};

/// The end of a detached thread for an ABI whose `unmap_and_exit` cannot keep off memory
/// between `munmap` and `exit` (a syscall path that reads the stack, say): a small static stack
/// that one exiting thread at a time borrows, switching to it before the `munmap`.
///
/// The lock needs no unlock: the taker makes the lock word its CLONE_CHILD_CLEARTID address
/// (`set_tid_address`), so the kernel zeroes it, with a futex wake, once the thread has exited
/// and no longer runs on the stack (kernel/fork.c, mm_release).
pub mod exit_stack {
    use super::imp::{self, sys::general as g};
    use core::cell::UnsafeCell;
    use core::sync::atomic::AtomicU32;
    use core::sync::atomic::Ordering::{Acquire, Relaxed};

    /// Room for the two syscalls' needs and a signal-free path (signals are blocked by then).
    const SIZE: usize = 1024;

    #[repr(C, align(16))]
    struct Stack(UnsafeCell<[u8; SIZE]>);
    // SAFETY: only the thread holding OWNER uses the bytes, and only as its stack.
    unsafe impl Sync for Stack {}

    static STACK: Stack = Stack(UnsafeCell::new([0; SIZE]));
    /// The tid of the thread on the stack, 0 when free.
    static OWNER: AtomicU32 = AtomicU32::new(0);

    /// Waits for the exit stack and returns its 16-byte aligned top; the caller must switch to
    /// it, unmap its own mapping and exit without returning.
    ///
    /// # Safety
    /// All signals must be blocked, and the calling thread must exit without running any more
    /// code that relies on its old CLONE_CHILD_CLEARTID address.
    ///
    /// ```no_run
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// // Only a detached thread's last steps may call it: the thread switches to the returned
    /// // stack, unmaps its own mapping and exits, all in the ABI's assembly.
    /// // SAFETY: (not run: it would take over this thread's exit) the caller must block every
    /// // signal and exit right after.
    /// let top = unsafe { strand::arch::exit_stack::take() };
    /// assert_eq!(top as usize % 16, 0);
    /// # }
    /// ```
    pub unsafe fn take() -> *mut u8 {
        // SAFETY: gettid touches no memory.
        let tid = unsafe { imp::syscall0(g::__NR_gettid as usize) } as u32;
        loop {
            match OWNER.compare_exchange(0, tid, Acquire, Relaxed) {
                Ok(_) => break,
                // A shared wait: the kernel's exit-time wake is not a private one. Woken,
                // EAGAIN and EINTR all go round and look again.
                // SAFETY: OWNER is a live, aligned word; no timeout.
                Err(owner) => unsafe {
                    imp::syscall4(imp::nr::FUTEX, OWNER.as_ptr() as usize, g::FUTEX_WAIT as usize, owner as usize, 0);
                },
            }
        }
        // SAFETY: OWNER lives forever; from now on the kernel clears it when we are gone.
        unsafe { imp::syscall1(g::__NR_set_tid_address as usize, OWNER.as_ptr() as usize) };
        STACK.0.get().cast::<u8>().wrapping_add(SIZE)
    }
}

/// `context_pc`, `context_sp`, `set_context_pc` and `context_sigmask` for an ABI whose signal
/// context holds the interrupted PC and SP as plain machine words at the byte offsets `$pc` and
/// `$sp` of the ucontext, and the saved mask at `$mask` (each file names its header for them).
/// ABIs with another shape (sparc64's next-PC, mips o32's 64-bit fields) write the four
/// themselves.
#[allow(unused_macros)] // sparc64 and mips write their own
macro_rules! context_words {
    ($pc:expr, $sp:expr, $mask:expr) => {
        /// The interrupted program counter saved in the signal context `uc`.
        ///
        /// ```
        /// # #![no_std]
        /// # #![no_main]
        /// # strand::main!(main);
        /// # fn main() {
        /// use strand::arch::{context_pc, context_sigmask, context_sp};
        /// use strand::signal::{self, Context, Handler, SigInfo, Signal};
        /// use core::sync::atomic::{AtomicBool, Ordering::Relaxed};
        /// static SAME: AtomicBool = AtomicBool::new(false);
        /// fn look(_: &SigInfo, ctx: &mut Context) {
        ///     let uc = ctx.as_ptr();
        ///     // SAFETY: `uc` is this running handler's context.
        ///     let (pc, sp, mask) = unsafe { (context_pc(uc), context_sp(uc), *context_sigmask(uc)) };
        ///     SAME.store(pc == ctx.pc() && sp == ctx.sp() && mask == ctx.mask(), Relaxed);
        /// }
        /// signal::set_handler(Signal::USR1, Handler::Function(look)).unwrap();
        /// signal::raise(Signal::USR1).unwrap();
        /// assert!(SAME.load(Relaxed));
        /// # }
        /// ```
        ///
        /// # Safety
        /// `uc` is the third argument of an SA_SIGINFO handler that is still running.
        pub unsafe fn context_pc(uc: *const core::ffi::c_void) -> usize {
            // SAFETY: per the contract, the saved PC is an aligned word inside the ucontext.
            unsafe { uc.byte_add($pc).cast::<usize>().read() }
        }

        /// The interrupted stack pointer saved in `uc` (see [`context_pc`] for an example).
        ///
        /// # Safety
        /// As for [`context_pc`].
        pub unsafe fn context_sp(uc: *const core::ffi::c_void) -> usize {
            // SAFETY: as for context_pc (the saved SP).
            unsafe { uc.byte_add($sp).cast::<usize>().read() }
        }

        /// Makes the thread resume at `pc` when the handler returns.
        ///
        /// # Safety
        /// As for [`context_pc`]; the thread resumes at `pc` with the interrupted registers and
        /// stack (rt_sigreturn loads the PC from this word).
        pub unsafe fn set_context_pc(uc: *mut core::ffi::c_void, pc: usize) {
            // SAFETY: as for context_pc.
            unsafe { uc.byte_add($pc).cast::<usize>().write(pc) }
        }

        /// The mask saved in `uc`, which the thread gets back when the handler returns (see
        /// [`context_pc`] for an example).
        ///
        /// # Safety
        /// As for [`context_pc`]; what is written there becomes the thread's mask when the
        /// handler returns (rt_sigreturn restores it; SIGKILL and SIGSTOP are dropped).
        pub unsafe fn context_sigmask(uc: *mut core::ffi::c_void) -> *mut crate::signal::SigSet {
            // SAFETY: per the contract, the saved mask is an aligned `sigset_t` inside the
            // ucontext.
            unsafe { uc.byte_add($mask).cast() }
        }
    };
}

/// The three labels of the arch file's `syscall_cp`, declared global and hidden (one definition
/// in the image, resolved without a dynamic symbol), for its `naked_asm!` to begin with.
macro_rules! cp_labels {
    () => {
        ".globl __strand_cp_begin\n.hidden __strand_cp_begin\n\
         .globl __strand_cp_end\n.hidden __strand_cp_end\n\
         .globl __strand_cp_cancel\n.hidden __strand_cp_cancel"
    };
}

unsafe extern "C" {
    // Defined by the arch file's `syscall_cp` (labels only: never read or called from Rust).
    static __strand_cp_begin: u8;
    static __strand_cp_end: u8;
    static __strand_cp_cancel: u8;
}

/// `(begin, end)` of `syscall_cp`'s cancellable range: a thread whose signal-context PC lies in
/// `begin..end` has not completed its syscall (with SA_RESTART an interrupted one is rewound to
/// the syscall instruction, inside the range; a completed one resumes at `end`, outside it).
/// Run-time addresses, so right in a static-pie too.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::arch::{cancel_point_landing, cancel_point_range};
/// let (begin, end) = cancel_point_range();
/// assert!(begin < end);
/// strand::println!("cancellable syscall at {begin:#x}..{end:#x}, landing {:#x}", cancel_point_landing());
/// # }
/// ```
pub fn cancel_point_range() -> (usize, usize) {
    (&raw const __strand_cp_begin as usize, &raw const __strand_cp_end as usize)
}

/// Where a handler sends a thread whose PC lies in [`cancel_point_range`]: `syscall_cp` then
/// returns `-ECANCELED` to its caller.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let landing = strand::arch::cancel_point_landing();
/// assert_ne!(landing, 0);
/// # }
/// ```
pub fn cancel_point_landing() -> usize {
    &raw const __strand_cp_cancel as usize
}

// The ABI table picks the file: `build.rs` writes `#[path = ".../arch/<file>"] mod imp;` for
// the row of the triple being built, or a compile_error naming the triple if it has no row.
include!(concat!(env!("OUT_DIR"), "/arch_file.rs"));

pub use imp::*;

#[cfg(feature = "count-syscalls")]
pub use counted::{
    clone_thread, mmap_raw, rt_sigaction, set_thread_pointer, syscall0, syscall1, syscall2, syscall3, syscall4,
    syscall5, syscall6, syscall_cp, unmap_and_exit,
};
#[cfg(feature = "count-syscalls")]
pub(crate) use counted::COUNT as SYSCALL_COUNT;

/// The `count-syscalls` feature: every entry into the kernel that generic code makes goes
/// through these wrappers, which add to one process-wide count (`syscall::count()`) and then
/// make the call. The explicit items here shadow the glob re-export of `imp` above, so no call
/// site changes. One relaxed `fetch_add` per syscall; off by default (the demo turns it on to
/// print syscalls per spawn). The count is of kernel entries made by strand: `unmap_and_exit`
/// counts its two; calls the ABI file makes inside one contract function (i686's
/// `set_thread_area` inside `set_thread_pointer`, say) count as that one.
#[cfg(feature = "count-syscalls")]
mod counted {
    use super::{imp, Sigaction};
    use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

    pub(crate) static COUNT: AtomicUsize = AtomicUsize::new(0);

    #[inline(always)]
    fn add(n: usize) {
        COUNT.fetch_add(n, Relaxed);
    }

    macro_rules! counted {
        ($($name:ident($($arg:ident),*);)*) => {$(
            /// Counts one syscall, then makes it (see the `count-syscalls` feature).
            ///
            /// # Safety
            /// As the ABI file's function of the same name.
            #[inline(always)]
            pub unsafe fn $name(nr: usize $(, $arg: usize)*) -> usize {
                add(1);
                // SAFETY: the caller upholds the syscall's contract.
                unsafe { imp::$name(nr $(, $arg)*) }
            }
        )*};
    }
    counted! {
        syscall0();
        syscall1(a);
        syscall2(a, b);
        syscall3(a, b, c);
        syscall4(a, b, c, d);
        syscall5(a, b, c, d, e);
        syscall6(a, b, c, d, e, f);
    }

    /// # Safety
    /// As `imp::mmap_raw`.
    #[inline(always)]
    pub unsafe fn mmap_raw(addr: usize, len: usize, prot: usize, flags: usize, fd: usize) -> usize {
        add(1);
        // SAFETY: the caller upholds mmap's contract.
        unsafe { imp::mmap_raw(addr, len, prot, flags, fd) }
    }

    /// # Safety
    /// As `imp::rt_sigaction`.
    #[inline(always)]
    pub unsafe fn rt_sigaction(sig: u32, new: Option<&Sigaction>, old: Option<&mut Sigaction>) -> usize {
        add(1);
        // SAFETY: the caller upholds rt_sigaction's contract.
        unsafe { imp::rt_sigaction(sig, new, old) }
    }

    /// # Safety
    /// As `imp::set_thread_pointer`.
    #[inline(always)]
    pub unsafe fn set_thread_pointer(tp: *mut u8) -> usize {
        add(1);
        // SAFETY: the caller upholds the contract of the ABI's function.
        unsafe { imp::set_thread_pointer(tp) }
    }

    /// # Safety
    /// As `imp::clone_thread`.
    #[inline(always)]
    pub unsafe fn clone_thread(
        flags: usize,
        stack_top: *mut u8,
        ptid: *mut i32,
        ctid: *mut u32,
        tp: *mut u8,
        entry: unsafe extern "C" fn(*mut u8) -> !,
        arg: *mut u8,
    ) -> usize {
        add(1);
        // SAFETY: the caller upholds clone's contract.
        unsafe { imp::clone_thread(flags, stack_top, ptid, ctid, tp, entry, arg) }
    }

    /// # Safety
    /// As `imp::unmap_and_exit`.
    #[inline(always)]
    pub unsafe fn unmap_and_exit(base: *mut u8, len: usize) -> ! {
        add(2);
        // SAFETY: the caller upholds the contract; the count is a static, not on this stack.
        unsafe { imp::unmap_and_exit(base, len) }
    }

    /// # Safety
    /// As `imp::syscall_cp`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn syscall_cp(cancel: *const u32, nr: usize, a1: usize, a2: usize, a3: usize, a4: usize, a5: usize, a6: usize) -> usize {
        add(1);
        // SAFETY: the caller upholds the syscall's contract.
        unsafe { imp::syscall_cp(cancel, nr, a1, a2, a3, a4, a5, a6) }
    }
}
