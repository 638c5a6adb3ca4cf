//! Program start and exit for a static executable: the code between the kernel's `execve` and
//! the user's `main`, and between `main`'s return and `exit_group`.

// Start-up runs only in a real executable; host unit tests build this module without it.
#![cfg_attr(test, allow(dead_code, unused_imports))]

use crate::errno::Errno;
use crate::startup::{Auxv, Program};
use crate::sync::internal::InternalMutex;
use crate::syscall;
use crate::tls::{self, AreaLayout};
use core::cell::UnsafeCell;
use core::ffi::{c_char, c_int, CStr};
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, Ordering};

/// What start-up learnt about the process; written once by `start` before anything else
/// runs, read-only afterwards.
pub(crate) struct Process {
    pub argc: usize,
    pub argv: *const *const c_char,
    pub envp: *const *const c_char,
    pub auxv: Auxv,
    pub program: Program,
    /// The layout of every thread's TLS area (control block + TLS block).
    pub area: AreaLayout,
}

struct ProcessCell(UnsafeCell<Process>);
// SAFETY: written only by `start` while the process has one thread, then only read.
unsafe impl Sync for ProcessCell {}

static PROCESS: ProcessCell = ProcessCell(UnsafeCell::new(Process {
    argc: 0,
    argv: core::ptr::null(),
    envp: core::ptr::null(),
    auxv: Auxv { phdr: 0, phent: 0, phnum: 0, pagesz: 4096, random: 0, hwcap: 0, hwcap2: 0, minsigstksz: 0 },
    program: Program {
        tls: crate::startup::TlsSegment { image: 0, filesz: 0, memsz: 0, align: 1 },
        stack_size: 0,
        eh_frame_hdr: 0,
    },
    area: AreaLayout { size: 0, align: 1, tcb: 0, tp: 0, block: 0 },
}));

/// True once the main thread has its thread pointer (so `thread::current()` works).
static READY: AtomicBool = AtomicBool::new(false);

#[inline]
pub(crate) fn process() -> &'static Process {
    // SAFETY: see ProcessCell: no writes after start-up.
    unsafe { &*PROCESS.0.get() }
}

pub(crate) fn is_ready() -> bool {
    READY.load(Ordering::Acquire)
}

/// The page size the kernel reported (AT_PAGESZ).
pub fn page_size() -> usize {
    process().auxv.pagesz
}

/// The parsed auxiliary vector.
pub fn auxv() -> &'static Auxv {
    &process().auxv
}

/// The 16 random bytes the kernel gives every process (AT_RANDOM), if it did.
pub fn random_bytes() -> Option<&'static [u8; 16]> {
    let p = process().auxv.random as *const [u8; 16];
    // SAFETY: AT_RANDOM points at 16 bytes on the initial stack, which lives forever.
    (!p.is_null()).then(|| unsafe { &*p })
}

fn fail(msg: &str) -> ! {
    fail_fmt(format_args!("{msg}"))
}

fn fail_fmt(msg: core::fmt::Arguments<'_>) -> ! {
    use core::fmt::Write;
    let mut w = crate::io::FdWriter::new(2);
    let _ = writeln!(w, "strand: start-up failed: {msg}");
    w.flush();
    syscall::exit_group(127)
}

extern "Rust" {
    /// Defined by `strand::main!`.
    fn __strand_main() -> i32;
}

/// Called by the arch's `_start` with the initial stack pointer: `[argc, argv..., 0, envp...,
/// 0, auxv pairs..., AT_NULL, 0]` (System V ABI, "Process Initialization").
///
/// A static-pie image must relocate itself before any code reads a pointer stored in it (a
/// GOT entry, a string or vtable reference, an `.init_array` entry). That happens in
/// `early::relocate_self`, and everything else in `start`: two calls the compiler cannot merge
/// (`#[inline(never)]`), so nothing that reads the image can be moved ahead of the relocation.
///
/// # Safety
/// Only `_start` calls this, once, with the kernel's initial stack pointer.
#[cfg(not(test))]
#[no_mangle]
pub unsafe extern "C" fn __strand_start(sp: *const usize) -> ! {
    // SAFETY: our caller's contract; `relocate_self` returns only once the image is relocated
    // (or needed no relocation).
    unsafe {
        early::relocate_self(sp);
        start(sp)
    }
}

/// The program headers AT_PHDR and AT_PHNUM describe, or none if there are none to read.
fn phdr_slice(auxv: &Auxv) -> &'static [crate::arch::sys::elf::Elf_Phdr] {
    if auxv.phdr == 0 || auxv.phnum == 0 {
        return &[];
    }
    // SAFETY: the kernel maps the program headers for the life of the process; `Auxv::parse`
    // checked that AT_PHENT matches the struct size, and start-up that AT_PHDR is aligned.
    unsafe { core::slice::from_raw_parts(auxv.phdr as *const crate::arch::sys::elf::Elf_Phdr, auxv.phnum) }
}

/// Start-up once the image is relocated.
///
/// # Safety
/// As for `__strand_start`, called once by it.
#[cfg(not(test))]
#[inline(never)]
unsafe fn start(sp: *const usize) -> ! {
    // SAFETY: the kernel's layout (see `__strand_start`); each region ends with a 0 word.
    let (argc, argv, envp, auxv_words) = unsafe {
        let argc = *sp;
        let argv = sp.add(1) as *const *const c_char;
        let envp = argv.add(argc + 1);
        let mut end = envp;
        while !(*end).is_null() {
            end = end.add(1);
        }
        let auxv_start = end.add(1) as *const usize;
        let mut n = 0;
        while *auxv_start.add(n) != 0 {
            n += 2;
        }
        (argc, argv, envp, core::slice::from_raw_parts(auxv_start, n + 2))
    };
    let auxv = Auxv::parse(auxv_words).unwrap_or_else(|_| fail("malformed auxiliary vector"));
    if auxv.phdr % core::mem::align_of::<crate::arch::sys::elf::Elf_Phdr>() != 0 {
        fail_fmt(format_args!("AT_PHDR {:#x} is not aligned for a program header", auxv.phdr));
    }
    let program = Program::scan(phdr_slice(&auxv), auxv.phdr).unwrap_or_else(|_| fail("malformed PT_TLS segment"));
    let area = tls::area_layout(
        crate::arch::TLS,
        &program.tls,
        core::mem::size_of::<crate::thread::Tcb>(),
        core::mem::align_of::<crate::thread::Tcb>(),
    )
    .unwrap_or_else(|| fail("PT_TLS segment too large"));
    // SAFETY: the process has one thread and nothing has read PROCESS yet, so this write races
    // with nothing; it goes through the raw pointer, so no reference to the record is alive
    // when `init_main_thread` and everything after it take shared ones through `process()`.
    unsafe { PROCESS.0.get().write(Process { argc, argv, envp, auxv, program, area }) };
    #[cfg(all(strand_unwinding, not(test)))]
    crate::unwind::init();
    probe_time_syscalls();
    if let Err(e) = crate::thread::init_main_thread() {
        fail_fmt(format_args!("cannot set up the main thread's TLS (mmap or thread-pointer syscall failed: {e})"));
    }
    // From here on every function checks the real canary; the ones on the stack now (this one
    // and `__strand_start`) never return.
    // SAFETY: once, on the only thread, from a function that never returns.
    unsafe { crate::stack_guard::set(crate::stack_guard::value(random_bytes())) };
    READY.store(true, Ordering::Release);
    for sig in crate::signal::fault::FAULTS {
        let flags = crate::signal::Flags::ONSTACK | crate::signal::Flags::NODEFER;
        if let Err(e) = crate::signal::install_at_start(sig, crate::signal::fault::on_fault, flags, crate::signal::fault::handler_mask()) {
            fail_fmt(format_args!("cannot install the fault handler for {sig}: rt_sigaction failed with {e}"));
        }
    }
    // SAFETY: once, before main, on the only thread.
    unsafe { run_init_arrays(process()) };
    // SAFETY: defined by `strand::main!` in the program.
    #[cfg(not(all(strand_unwinding, not(test))))]
    let code = unsafe { __strand_main() };
    // With unwinding, a panic in `main` unwinds main's frames (their `Drop`s run, locks are
    // released) and the process then exits with 101, through the at-exit handlers, as std's
    // `lang_start` does. The handler has printed the message.
    #[cfg(all(strand_unwinding, not(test)))]
    // SAFETY: as above.
    let code = crate::unwind::catch(|| unsafe { __strand_main() }).unwrap_or(101);
    exit(code)
}

/// The 64-bit-time syscalls a 32-bit ABI found missing at start-up and replaces with their
/// 32-bit-time originals (bits below); always 0 on 64-bit ABIs. Written before any thread
/// exists, so Relaxed loads see it.
static TIME32: AtomicU8 = AtomicU8::new(0);
pub(crate) const TIME32_FUTEX: u8 = 1;
pub(crate) const TIME32_CLOCK_GETTIME: u8 = 2;
pub(crate) const TIME32_CLOCK_NANOSLEEP: u8 = 4;

/// `strand::main!(main, sigpipe = ignore)`: SIGPIPE ignored before `main`, as Rust std does.
#[doc(hidden)]
pub fn ignore_sigpipe() {
    if let Err(e) = crate::signal::catch_signal(crate::signal::Signal::PIPE, crate::signal::Mode::Ignore) {
        fail_fmt(format_args!("cannot ignore SIGPIPE: rt_sigaction failed with {e}"));
    }
}

/// Whether the syscall `bit` names is to be made with 32-bit time (`arch::nr::*_TIME32`).
#[inline]
pub(crate) fn uses_time32(bit: u8) -> bool {
    TIME32.load(Ordering::Relaxed) & bit != 0
}

/// Makes sure the futex (and, on 32-bit ABIs, clock) syscalls strand relies on exist, before
/// anything blocks: without them every wait would return at once and every lock would spin.
/// A 32-bit ABI without the 64-bit-time names (kernel < 5.1, or a seccomp profile older than
/// them) falls back to the 32-bit-time originals; anything else ends the process with a
/// message naming the syscall.
#[cfg(not(test))]
fn probe_time_syscalls() {
    use crate::arch::nr;
    use crate::arch::sys::general::{CLOCK_MONOTONIC, FUTEX_PRIVATE_FLAG, FUTEX_WAKE};
    let word = core::sync::atomic::AtomicU32::new(0);
    // A private wake of a word nobody waits on: 0 if the syscall works.
    let wake = |nr: usize| {
        // SAFETY: FUTEX_WAKE only uses the address of the live word as a key.
        Errno::result(unsafe { syscall::sys!(nr, word.as_ptr(), FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 0) })
    };
    let mut time32 = 0;
    if let Err(e) = wake(nr::FUTEX) {
        match nr::FUTEX_TIME32 {
            None => fail_fmt(format_args!(
                "the futex syscall (number {}) fails with {e}: strand cannot block a thread without it \
                 (is a seccomp filter denying it?)",
                nr::FUTEX
            )),
            Some(old) => match wake(old) {
                Ok(_) => time32 |= TIME32_FUTEX,
                Err(e2) => fail_fmt(format_args!(
                    "neither futex_time64 (syscall {}: {e}) nor futex (syscall {old}: {e2}) works: strand \
                     cannot block a thread without one of them (is a seccomp filter denying them?)",
                    nr::FUTEX
                )),
            },
        }
    }
    if let Some(old) = nr::CLOCK_GETTIME_TIME32 {
        if let Err(e) = syscall::clock_gettime_time64(CLOCK_MONOTONIC) {
            match syscall::clock_gettime_time32(old, CLOCK_MONOTONIC) {
                Ok(_) => time32 |= TIME32_CLOCK_GETTIME,
                Err(e2) => fail_fmt(format_args!(
                    "neither clock_gettime64 (syscall {}: {e}) nor clock_gettime (syscall {old}: {e2}) works",
                    nr::CLOCK_GETTIME
                )),
            }
        }
    }
    if let Some(old) = nr::CLOCK_NANOSLEEP_TIME32 {
        // A relative sleep of zero returns at once.
        let zero = syscall::Timespec { tv_sec: 0, tv_nsec: 0 };
        if let Err(e) = syscall::clock_nanosleep_time64(CLOCK_MONOTONIC, 0, &zero, None) {
            match syscall::clock_nanosleep_time32(old, CLOCK_MONOTONIC, 0, &zero, None) {
                Ok(()) => time32 |= TIME32_CLOCK_NANOSLEEP,
                Err(e2) => fail_fmt(format_args!(
                    "neither clock_nanosleep_time64 (syscall {}: {e}) nor clock_nanosleep (syscall {old}: {e2}) works",
                    nr::CLOCK_NANOSLEEP
                )),
            }
        }
    }
    TIME32.store(time32, Ordering::Relaxed);
}

/// What runs before the image is relocated: finding the program headers on the initial stack
/// and applying `startup::reloc`. Nothing here may read a pointer stored in the image (see
/// `startup::reloc`): no statics, no panics, no formatting, and the error messages are picked
/// out of one byte-string literal by index (a table of `&str` would itself need relocating).
/// The literal's own address is computed relative to the program counter on most ABIs; where
/// compiled code loads it from a GOT entry instead, that entry is right by the time a message
/// is written: `reloc` applies the well-formed RELATIVE relocations, GOT entries included,
/// before it returns an error, and a GOT that no table lists was relocated by the ABI's
/// `_start` before this ran (`arch/mod.rs`, `_start`).
#[cfg(not(test))]
mod early {
    use crate::arch;
    use crate::startup::reloc::{self, Image, RelocError};
    use crate::arch::sys::auxvec::{AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM};
    use crate::arch::sys::elf::Elf_Phdr;
    use crate::arch::sys::general::{__NR_exit_group, __NR_write};

    /// The running image, at its real addresses.
    struct Live;

    /// A word at any address: reading or writing the field of a packed struct by value is an
    /// unaligned access the compiler emits inline (no call into `core`, see `startup::reloc`).
    #[repr(C, packed)]
    struct Unaligned(usize);

    impl Image for Live {
        unsafe fn load(&self, addr: usize) -> usize {
            // SAFETY: the caller guarantees a mapped word; `Unaligned` needs no alignment.
            unsafe { (*(addr as *const Unaligned)).0 }
        }
        unsafe fn store(&mut self, addr: usize, value: usize) {
            // SAFETY: the caller guarantees a mapped, writable word that nothing reads yet.
            unsafe { (*(addr as *mut Unaligned)).0 = value }
        }
    }

    /// Applies the image's own relocations if it is a static-pie; returns once it may be used
    /// like any other, or ends the process with status 127 and a message.
    ///
    /// # Safety
    /// Called once, first thing, by `__strand_start` with the kernel's initial stack pointer.
    #[inline(never)]
    pub(super) unsafe fn relocate_self(sp: *const usize) {
        let (mut phdr, mut phent, mut phnum) = (0, 0, 0);
        // SAFETY: the initial stack's layout (see `__strand_start`): argc, argv and its NULL,
        // envp up to its NULL, then (key, value) pairs up to AT_NULL.
        unsafe {
            let mut p = sp.wrapping_add(1).wrapping_add(*sp).wrapping_add(1);
            while *p != 0 {
                p = p.wrapping_add(1);
            }
            p = p.wrapping_add(1);
            loop {
                let (key, value) = (*p, *p.wrapping_add(1));
                match key {
                    k if k == AT_NULL as usize => break,
                    k if k == AT_PHDR as usize => phdr = value,
                    k if k == AT_PHENT as usize => phent = value,
                    k if k == AT_PHNUM as usize => phnum = value,
                    _ => {}
                }
                p = p.wrapping_add(2);
            }
        }
        if phdr == 0 || phnum == 0 {
            // No program headers: nothing says there is anything to relocate.
            return;
        }
        if phent != core::mem::size_of::<Elf_Phdr>() || phdr % core::mem::align_of::<Elf_Phdr>() != 0 {
            die(REASON_PHENT, None, None);
        }
        // SAFETY: AT_PHDR and AT_PHNUM describe the mapped, aligned program headers (checked
        // above), which stay mapped for the life of the process.
        let phdrs = unsafe { core::slice::from_raw_parts(phdr as *const Elf_Phdr, phnum) };
        // SAFETY: `Live` is the image those headers describe, and nothing else runs yet.
        if let Err(e) = unsafe { reloc::relocate(&mut Live, phdrs, phdr, arch::R_RELATIVE) } {
            report(e);
        }
    }

    /// The reasons `report` gives, NUL-separated, in `RelocError` order.
    const REASONS: &[u8] = b"it has PT_DYNAMIC but neither PT_PHDR nor an ELF header right before its program headers, \
        so its load address is unknown\0\
        PT_DYNAMIC lies outside its loaded segments\0\
        a relocation table lies outside its loaded segments:\0\
        a relocation table is incomplete, missing\0\
        a relocation table has entries of the wrong size:\0\
        a relocation table's size is no whole number of entries:\0\
        DT_PLTREL is neither DT_REL nor DT_RELA but\0\
        it needs a relocation a static-pie cannot apply to itself (only NONE and RELATIVE can be), type\0\
        a relocation targets memory outside its writable segments (a text relocation?), at link-time offset\0\
        AT_PHENT or AT_PHDR does not describe this ABI's program headers\0";

    /// The index of the last reason, which is not a `RelocError`.
    const REASON_PHENT: usize = 9;

    /// Names of the dynamic tags an error can name, NUL-separated: (tag, index) pairs below.
    const TAG_NAMES: &[u8] = b"DT_RELA\0DT_RELASZ\0DT_RELAENT\0DT_REL\0DT_RELSZ\0DT_RELENT\0\
        DT_RELR\0DT_RELRSZ\0DT_RELRENT\0DT_JMPREL\0DT_PLTRELSZ\0DT_PLTREL\0";

    fn tag_index(tag: usize) -> Option<usize> {
        use crate::arch::sys::elf::{DT_REL, DT_RELA, DT_RELAENT, DT_RELASZ, DT_RELENT, DT_RELSZ};
        use reloc::{DT_JMPREL, DT_PLTREL, DT_PLTRELSZ, DT_RELR, DT_RELRENT, DT_RELRSZ};
        Some(match tag {
            DT_RELA => 0,
            DT_RELASZ => 1,
            DT_RELAENT => 2,
            DT_REL => 3,
            DT_RELSZ => 4,
            DT_RELENT => 5,
            DT_RELR => 6,
            DT_RELRSZ => 7,
            DT_RELRENT => 8,
            DT_JMPREL => 9,
            DT_PLTRELSZ => 10,
            DT_PLTREL => 11,
            _ => return None,
        })
    }

    /// Writes the `i`-th NUL-terminated piece of `list`, found with a slice pattern (see
    /// `startup::reloc` on calls into `core`).
    fn put_nth(list: &[u8], i: usize) {
        let (mut k, mut start, mut len) = (0usize, list.as_ptr(), 0usize);
        let mut rest = list;
        while let [b, tail @ ..] = rest {
            if *b != 0 {
                len = len.wrapping_add(1);
            } else if k == i {
                put_raw(start, len);
                return;
            } else {
                k = k.wrapping_add(1);
                start = tail.as_ptr();
                len = 0;
            }
            rest = tail;
        }
    }

    fn report(e: RelocError) -> ! {
        let (reason, tag, number) = match e {
            RelocError::NoPhdr => (0, None, None),
            RelocError::DynamicOutside => (1, None, None),
            RelocError::TableOutside { tag } => (2, Some(tag), None),
            RelocError::Incomplete { tag } => (3, Some(tag), None),
            RelocError::BadEntrySize { tag, size } => (4, Some(tag), Some(size)),
            RelocError::BadTableSize { tag, size } => (5, Some(tag), Some(size)),
            RelocError::BadPltRel { value } => (6, None, Some(value)),
            RelocError::Unsupported { r_type, .. } => (7, None, Some(r_type as usize)),
            RelocError::TargetNotWritable { offset } => (8, None, Some(offset)),
        };
        die(reason, tag, number)
    }

    /// Writes `strand: start-up failed: cannot relocate this static-pie executable: <reason>
    /// [<tag>] [<number>]` to stderr and exits with 127. `reason` indexes `REASONS`.
    fn die(reason: usize, tag: Option<usize>, number: Option<usize>) -> ! {
        put(b"strand: start-up failed: cannot relocate this static-pie executable: ");
        put_nth(REASONS, reason);
        if let Some(tag) = tag {
            put(b" ");
            match tag_index(tag) {
                Some(i) => put_nth(TAG_NAMES, i),
                None => put_number(tag),
            }
        }
        if let Some(n) = number {
            put(b" ");
            put_number(n);
        }
        put(b"\n");
        // SAFETY: exit_group takes a number and never returns.
        unsafe { arch::syscall1(__NR_exit_group as usize, 127) };
        #[allow(clippy::empty_loop)]
        loop {}
    }

    /// Decimal, from a stack buffer filled from its end.
    fn put_number(mut n: usize) {
        // 20 digits hold any u64.
        let mut digits = [0u8; 20];
        let mut i = 20usize;
        let base = &raw mut digits as *mut u8;
        while i > 0 {
            i = i.wrapping_sub(1);
            // SAFETY: i < 20.
            unsafe { *base.wrapping_add(i) = b'0' + (n % 10) as u8 };
            n /= 10;
            if n == 0 {
                break;
            }
        }
        put_raw(base.wrapping_add(i), 20usize.wrapping_sub(i));
    }

    /// Writes all of `bytes` to stderr.
    fn put(bytes: &[u8]) {
        put_raw(bytes.as_ptr(), bytes.len())
    }

    /// Writes `len` bytes at `ptr` to stderr, retrying short writes and EINTR, giving up on any
    /// other error: there is nowhere else to report it.
    fn put_raw(mut ptr: *const u8, mut len: usize) {
        while len > 0 {
            // SAFETY: the kernel reads at most `len` bytes from live memory.
            let r = unsafe { arch::syscall3(__NR_write as usize, 2, ptr as usize, len) };
            if r == 0 || r > len {
                // 0 written, or an error (a negated errno, as a huge number).
                if r.wrapping_neg() == crate::arch::sys::errno::EINTR as usize {
                    continue;
                }
                return;
            }
            ptr = ptr.wrapping_add(r);
            len = len.wrapping_sub(r);
        }
    }
}

/// Runs `.preinit_array` and `.init_array` entries with (argc, argv, envp), as glibc and musl do.
#[cfg(not(test))]
unsafe fn run_init_arrays(p: &Process) {
    type InitFn = unsafe extern "C" fn(c_int, *const *const c_char, *const *const c_char);
    extern "C" {
        static __preinit_array_start: InitFn;
        static __preinit_array_end: InitFn;
        static __init_array_start: InitFn;
        static __init_array_end: InitFn;
    }
    // SAFETY: the linker defines these bounds around arrays of function pointers.
    unsafe {
        for (start, end) in [
            (&raw const __preinit_array_start, &raw const __preinit_array_end),
            (&raw const __init_array_start, &raw const __init_array_end),
        ] {
            let mut f = start;
            while f < end {
                (*f)(p.argc as c_int, p.argv, p.envp);
                f = f.add(1);
            }
        }
    }
}

/// Runs `.fini_array` entries in reverse order.
#[cfg(not(test))]
unsafe fn run_fini_array() {
    type FiniFn = unsafe extern "C" fn();
    extern "C" {
        static __fini_array_start: FiniFn;
        static __fini_array_end: FiniFn;
    }
    // SAFETY: as for the init arrays.
    unsafe {
        let start = &raw const __fini_array_start;
        let mut f = &raw const __fini_array_end;
        while f > start {
            f = f.sub(1);
            (*f)();
        }
    }
}

/// How many handlers `at_exit` can hold (C requires at least 32).
pub const AT_EXIT_MAX: usize = 32;

static AT_EXIT: InternalMutex<([Option<fn()>; AT_EXIT_MAX], usize)> = InternalMutex::new(([None; AT_EXIT_MAX], 0));

/// The at-exit table is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AtExitFull;

/// Registers `f` to run at `exit` (or when `main` returns), in reverse order of registration.
pub fn at_exit(f: fn()) -> Result<(), AtExitFull> {
    let mut t = AT_EXIT.lock();
    let (handlers, n) = &mut *t;
    if *n == AT_EXIT_MAX {
        return Err(AtExitFull);
    }
    handlers[*n] = Some(f);
    *n += 1;
    Ok(())
}

/// The tid of the thread running `exit`, 0 before any does.
static EXITING: AtomicI32 = AtomicI32::new(0);

/// Ends the process: runs the calling thread's exit hooks and thread-local destructors (the
/// main thread's when `main` returns; glibc's order, `__call_tls_dtors` first), then the at-exit
/// handlers (newest first) and `.fini_array`, then `exit_group(code)`. Other threads are ended
/// by the kernel, with no hooks run. Thread-locals first used by an at-exit handler or a
/// finaliser are not destroyed (the process ends right after), unless an at-exit handler calls
/// `exit` again, which runs the hooks registered since. Calling `exit` inside
/// `LocalKey::with` destroys that value while it is borrowed: don't.
///
/// One thread exits: a second thread that calls `exit` while the first is still running
/// handlers or finalisers sleeps until the first one's `exit_group` ends it (as musl's `exit`
/// does), so the finalisers run once, to the end, and the first code is the process's status.
/// An at-exit handler (or finaliser) that calls `exit` on the exiting thread itself goes on
/// with the handlers that are left, then `.fini_array` if it has not run, then exits with the
/// new code. A handler that waits for a thread which then calls `exit` therefore deadlocks.
pub fn exit(code: i32) -> ! {
    // The control block's tid once start-up has set it up (no syscall); `gettid` before that.
    let me = if is_ready() { crate::thread::current_tid() } else { syscall::gettid() };
    if let Err(first) = EXITING.compare_exchange(0, me, Ordering::AcqRel, Ordering::Acquire) {
        if first != me {
            wait_for_exit_group();
        }
    }
    if is_ready() {
        // Before the at-exit table, so process-wide handlers still find whatever the exiting
        // thread's destructors use (and the destructors the handlers' state).
        crate::thread::begin_exit(crate::thread::Tcb::current());
        crate::thread::run_exit_hooks();
    }
    loop {
        // Take one handler at a time without holding the lock while it runs, so a handler may
        // register another (it runs next) or call exit (it finishes the remaining ones).
        let f = {
            let mut t = AT_EXIT.lock();
            let (handlers, n) = &mut *t;
            if *n == 0 {
                break;
            }
            *n -= 1;
            handlers[*n].take()
        };
        if let Some(f) = f {
            f();
        }
    }
    #[cfg(not(test))]
    {
        static FINI_DONE: AtomicBool = AtomicBool::new(false);
        if !FINI_DONE.swap(true, Ordering::AcqRel) {
            // SAFETY: run once; the entries are the program's own finalisers.
            unsafe { run_fini_array() };
        }
    }
    syscall::exit_group(code)
}

/// Sleeps until another thread's `exit_group` ends the process.
fn wait_for_exit_group() -> ! {
    let word = core::sync::atomic::AtomicU32::new(0);
    loop {
        // Nobody wakes this word: only a signal handler (EINTR) or a spurious wake-up returns,
        // and the thread goes back to sleep. Start-up made sure the futex syscall works.
        crate::futex::wait_private(&word, 0, None);
    }
}

/// Arguments of the process, as the kernel passed them.
pub(crate) fn argv() -> &'static [*const c_char] {
    let p = process();
    if p.argv.is_null() {
        return &[];
    }
    // SAFETY: argv has argc entries followed by NULL, on the initial stack that lives forever.
    unsafe { core::slice::from_raw_parts(p.argv, p.argc) }
}

pub(crate) fn envp() -> &'static [*const c_char] {
    let p = process();
    if p.envp.is_null() {
        return &[];
    }
    // SAFETY: envp is NULL-terminated and lives forever.
    unsafe {
        let mut n = 0;
        while !(*p.envp.add(n)).is_null() {
            n += 1;
        }
        core::slice::from_raw_parts(p.envp, n)
    }
}

pub(crate) fn cstr(p: *const c_char) -> &'static CStr {
    // SAFETY: callers pass argv/envp entries: NUL-terminated strings that live forever.
    unsafe { CStr::from_ptr(p) }
}

/// The executable's program headers (from AT_PHDR / AT_PHNUM; empty if the kernel gave none).
pub fn program_headers() -> &'static [crate::arch::sys::elf::Elf_Phdr] {
    phdr_slice(&process().auxv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::sys::elf::{Elf_Phdr, PT_LOAD};

    static HEADERS: [Elf_Phdr; 2] = [
        Elf_Phdr { p_type: PT_LOAD, p_flags: 0, p_offset: 0, p_vaddr: 0, p_paddr: 0, p_filesz: 1, p_memsz: 1, p_align: 1 },
        Elf_Phdr { p_type: PT_LOAD, p_flags: 0, p_offset: 0, p_vaddr: 0, p_paddr: 0, p_filesz: 2, p_memsz: 2, p_align: 1 },
    ];

    #[test]
    fn program_headers_without_at_phdr_or_at_phnum_are_empty() {
        let addr = HEADERS.as_ptr() as usize;
        // No AT_PHDR (a kernel may leave it out): no slice from a null pointer.
        assert!(phdr_slice(&Auxv { phdr: 0, phnum: 2, ..Auxv::default() }).is_empty());
        assert!(phdr_slice(&Auxv { phdr: addr, phnum: 0, ..Auxv::default() }).is_empty());
        let hs = phdr_slice(&Auxv { phdr: addr, phnum: 2, ..Auxv::default() });
        assert_eq!((hs.as_ptr() as usize, hs.len(), hs[1].p_memsz), (addr, 2, 2));
    }
}
