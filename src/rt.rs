//! Program start and exit for a static executable: the code between the kernel's `execve` and
//! the user's `main`, and between `main`'s return and `exit_group`.

// Start-up runs only in a real executable; host unit tests build this module without it.
#![cfg_attr(test, allow(dead_code, unused_imports))]

use crate::startup::{Auxv, Program};
use crate::sync::Mutex;
use crate::syscall;
use crate::tls::{self, AreaLayout};
use core::cell::UnsafeCell;
use core::ffi::{c_char, c_int, CStr};
use core::sync::atomic::{AtomicBool, Ordering};

/// What start-up learnt about the process; written once by `__strand_start` before anything
/// else runs, read-only afterwards.
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
// SAFETY: written only by `__strand_start` while the process has one thread, then only read.
unsafe impl Sync for ProcessCell {}

static PROCESS: ProcessCell = ProcessCell(UnsafeCell::new(Process {
    argc: 0,
    argv: core::ptr::null(),
    envp: core::ptr::null(),
    auxv: Auxv { phdr: 0, phent: 0, phnum: 0, pagesz: 4096, random: 0, hwcap: 0, hwcap2: 0, minsigstksz: 0 },
    program: Program {
        tls: crate::startup::TlsSegment { image: 0, filesz: 0, memsz: 0, align: 1 },
        stack_size: 0,
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
    let _ = syscall::write_all(2, b"strand: start-up failed: ");
    let _ = syscall::write_all(2, msg.as_bytes());
    let _ = syscall::write_all(2, b"\n");
    syscall::exit_group(127)
}

extern "Rust" {
    /// Defined by `strand::main!`.
    fn __strand_main() -> i32;
}

/// Called by the arch's `_start` with the initial stack pointer: `[argc, argv..., 0, envp...,
/// 0, auxv pairs..., AT_NULL, 0]` (System V ABI, "Process Initialization").
///
/// # Safety
/// Only `_start` calls this, once, with the kernel's initial stack pointer.
#[cfg(not(test))]
#[no_mangle]
pub unsafe extern "C" fn __strand_start(sp: *const usize) -> ! {
    // SAFETY: the kernel's layout above; each region ends with a 0 word. The process has one
    // thread, so writing PROCESS races with nothing.
    unsafe {
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
        let auxv_words = core::slice::from_raw_parts(auxv_start, n + 2);
        let auxv = Auxv::parse(auxv_words).unwrap_or_else(|_| fail("malformed auxiliary vector"));
        let phdrs = core::slice::from_raw_parts(auxv.phdr as *const linux_raw_sys::elf::Elf_Phdr, auxv.phnum);
        let program = Program::scan(phdrs, auxv.phdr).unwrap_or_else(|_| fail("malformed PT_TLS segment"));
        let area = tls::area_layout(
            crate::arch::TLS,
            &program.tls,
            core::mem::size_of::<crate::thread::Tcb>(),
            core::mem::align_of::<crate::thread::Tcb>(),
        )
        .unwrap_or_else(|| fail("PT_TLS segment too large"));
        let p = &mut *PROCESS.0.get();
        *p = Process { argc, argv, envp, auxv, program, area };
        if let Err(e) = crate::thread::init_main_thread() {
            let _ = e;
            fail("cannot set up the main thread's TLS (mmap or thread-pointer syscall failed)");
        }
        // From here on every function checks the real canary; the ones on the stack now
        // (only this one) never return.
        crate::stack_guard::set(crate::stack_guard::value(random_bytes()));
        READY.store(true, Ordering::Release);
        run_init_arrays(p);
        exit(__strand_main())
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

static AT_EXIT: Mutex<([Option<fn()>; AT_EXIT_MAX], usize)> = Mutex::new(([None; AT_EXIT_MAX], 0));

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

/// Ends the process: runs the at-exit handlers (newest first) and `.fini_array`, then
/// `exit_group(code)`. Other threads are ended by the kernel.
pub fn exit(code: i32) -> ! {
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

/// The executable's program headers (from AT_PHDR / AT_PHNUM).
pub fn program_headers() -> &'static [linux_raw_sys::elf::Elf_Phdr] {
    let a = &process().auxv;
    if a.phdr == 0 {
        return &[];
    }
    // SAFETY: the kernel maps the program headers for the life of the process; start-up checked
    // that AT_PHENT matches the struct size.
    unsafe { core::slice::from_raw_parts(a.phdr as *const linux_raw_sys::elf::Elf_Phdr, a.phnum) }
}
