//! Threads: spawn, join, detach, scoped threads, the current thread, names, sleeping.
//!
//! A thread is one anonymous mapping (see `layout`): guard page, stack, the closure and then its
//! result, and the TLS area with the control block. Spawning needs no allocator. The kernel's
//! CLONE_CHILD_CLEARTID word tells a joiner when the thread is gone, and one atomic swap decides
//! whether the thread or its handle frees the mapping (`lifecycle`).

mod cache;
mod layout;
mod lifecycle;
mod parallelism;
mod scope;
mod tcb;

pub use cache::release_cached_stacks;
pub use parallelism::available_parallelism;
pub use scope::{scope, Scope, ScopedJoinHandle};
pub use tcb::ThreadName;
pub(crate) use tcb::Tcb;

use crate::arch;
use crate::errno::Errno;
use crate::futex;
use crate::rt;
use crate::syscall::{self, SigSet};
use crate::tls;
use core::alloc::Layout;
use core::fmt;
use core::marker::PhantomData;
use core::mem::{ManuallyDrop, MaybeUninit};
use core::ptr::{self, NonNull};
use core::sync::atomic::AtomicU32;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::time::Duration;
use layout::map_layout;
use lifecycle::Owner;
use linux_raw_sys::general as g;
use linux_raw_sys::prctl::{PR_GET_NAME, PR_SET_NAME};

/// Stack size when neither the builder nor PT_GNU_STACK asks for one (Rust std's default).
pub const DEFAULT_STACK_SIZE: usize = 2 << 20;
/// The smallest stack strand gives a thread; smaller requests are rounded up to it (glibc's
/// PTHREAD_STACK_MIN is 16 KiB on x86_64). The kernel's AT_MINSIGSTKSZ is added on top.
pub const MIN_STACK_SIZE: usize = 16 << 10;

/// Every thread shares the address space, files, fs info, signal handlers and SysV semaphore
/// undo list, and is in the caller's thread group (the set QEMU user mode requires too); the
/// kernel stores the tid in the control block before the thread runs and clears it, with a
/// futex wake, when the thread is gone (man 2 clone).
const CLONE_FLAGS: u32 = g::CLONE_VM
    | g::CLONE_FS
    | g::CLONE_FILES
    | g::CLONE_SIGHAND
    | g::CLONE_THREAD
    | g::CLONE_SYSVSEM
    | g::CLONE_SETTLS
    | g::CLONE_PARENT_SETTID
    | g::CLONE_CHILD_CLEARTID;

/// Why a spawn failed. A failed spawn has unmapped everything it mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// `clone` said EAGAIN: RLIMIT_NPROC, the pid or thread limit (`threads-max`, cgroup
    /// `pids.max`).
    ThreadLimit(Errno),
    /// ENOMEM from `mmap`, `mprotect` or `clone`: address space (RLIMIT_AS), the map count
    /// limit (`vm.max_map_count`) or memory.
    OutOfMemory { syscall: &'static str, errno: Errno },
    /// The builder's settings cannot describe a thread.
    InvalidConfig(ConfigError),
    /// Any other error from the named syscall.
    Os { syscall: &'static str, errno: Errno },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// Stack plus guard plus TLS does not fit in the address space.
    SizeOverflow,
    /// Names are at most 15 bytes.
    NameTooLong,
    /// Names cannot contain a NUL byte.
    NameContainsNul,
}

impl SpawnError {
    fn from_errno(syscall: &'static str, errno: Errno) -> SpawnError {
        match errno {
            Errno::EAGAIN if syscall == "clone" => SpawnError::ThreadLimit(errno),
            Errno::ENOMEM => SpawnError::OutOfMemory { syscall, errno },
            _ => SpawnError::Os { syscall, errno },
        }
    }

    /// The errno behind the error, if a syscall failed.
    pub fn errno(&self) -> Option<Errno> {
        match *self {
            SpawnError::ThreadLimit(e) | SpawnError::OutOfMemory { errno: e, .. } | SpawnError::Os { errno: e, .. } => {
                Some(e)
            }
            SpawnError::InvalidConfig(_) => None,
        }
    }
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::ThreadLimit(e) => write!(f, "thread limit reached: clone failed with {e}"),
            SpawnError::OutOfMemory { syscall, errno } => write!(f, "out of memory: {syscall} failed with {errno}"),
            SpawnError::InvalidConfig(ConfigError::SizeOverflow) => {
                f.write_str("invalid thread configuration: stack, guard and TLS sizes overflow the address space")
            }
            SpawnError::InvalidConfig(ConfigError::NameTooLong) => {
                f.write_str("invalid thread configuration: name longer than 15 bytes")
            }
            SpawnError::InvalidConfig(ConfigError::NameContainsNul) => {
                f.write_str("invalid thread configuration: name contains a NUL byte")
            }
            SpawnError::Os { syscall, errno } => write!(f, "{syscall} failed with {errno}"),
        }
    }
}

/// Thread settings.
#[derive(Clone, Copy, Debug, Default)]
pub struct Builder {
    stack_size: Option<usize>,
    guard_size: Option<usize>,
    name: Option<Result<ThreadName, ConfigError>>,
}

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Usable stack bytes (rounded up to 16 bytes and to at least `MIN_STACK_SIZE`).
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = Some(bytes);
        self
    }

    /// Guard bytes below the stack, rounded up to pages; 0 for none. Default: one page.
    pub fn guard_size(mut self, bytes: usize) -> Builder {
        self.guard_size = Some(bytes);
        self
    }

    /// At most 15 bytes, no NUL; checked by `spawn`.
    pub fn name(mut self, name: &str) -> Builder {
        self.name = Some(ThreadName::new(name).ok_or(if name.as_bytes().contains(&0) {
            ConfigError::NameContainsNul
        } else {
            ConfigError::NameTooLong
        }));
        self
    }

    pub fn spawn<F, T>(self, f: F) -> Result<JoinHandle<T>, SpawnError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // SAFETY: 'static closure and result: nothing they hold can dangle.
        unsafe { self.spawn_unchecked(f, ptr::null()) }
    }

    pub fn spawn_scoped<'scope, 'env, F, T>(
        self,
        scope: &'scope Scope<'scope, 'env>,
        f: F,
    ) -> Result<ScopedJoinHandle<'scope, T>, SpawnError>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        scope.spawn_with(self, f)
    }

    /// # Safety
    /// Whatever `f` and its result borrow must outlive the thread's use of them: either they are
    /// 'static, or `scope` counts the thread and its owner waits for the count to reach zero.
    unsafe fn spawn_unchecked<F, T>(self, f: F, scope: *const AtomicU32) -> Result<JoinHandle<T>, SpawnError>
    where
        F: FnOnce() -> T + Send,
        T: Send,
    {
        let name = match self.name {
            Some(Ok(n)) => n,
            Some(Err(e)) => return Err(SpawnError::InvalidConfig(e)),
            None => ThreadName::empty(),
        };
        let mapping = Mapping::create(&self, Layout::new::<Packet<F, T>>(), name, scope)?;
        let packet = mapping.tcb().packet as *mut Packet<F, T>;
        // SAFETY: the packet slot is sized and aligned for Packet<F, T> and not yet in use.
        unsafe { packet.write(Packet { f: ManuallyDrop::new(f) }) };
        match mapping.clone_thread(thread_start::<F, T>) {
            Ok(()) => Ok(JoinHandle { tcb: mapping.tcb, _result: PhantomData }),
            Err(e) => {
                // SAFETY: the thread never ran, so the closure is still in the packet.
                unsafe { ManuallyDrop::drop(&mut (*packet).f) };
                mapping.free();
                Err(e)
            }
        }
    }
}

/// The closure, replaced by its result once it has run.
#[repr(C)]
union Packet<F, T> {
    f: ManuallyDrop<F>,
    result: ManuallyDrop<MaybeUninit<T>>,
}

/// A thread's mapping between `mmap` and `clone` (or its failure).
struct Mapping {
    tcb: NonNull<Tcb>,
    tp: *mut u8,
    stack_top: *mut u8,
}

impl Mapping {
    fn create(b: &Builder, packet: Layout, name: ThreadName, scope: *const AtomicU32) -> Result<Mapping, SpawnError> {
        let p = rt::process();
        let page = p.auxv.pagesz;
        let stack = b
            .stack_size
            .unwrap_or(if p.program.stack_size != 0 { p.program.stack_size } else { DEFAULT_STACK_SIZE })
            .max(MIN_STACK_SIZE.saturating_add(p.auxv.minsigstksz));
        let guard = b.guard_size.unwrap_or(page);
        let l = map_layout(page, guard, stack, packet, &p.area).ok_or(SpawnError::InvalidConfig(ConfigError::SizeOverflow))?;

        let base = match cache::take(l.map_len, l.guard, l.origin_align) {
            Some(base) => base,
            None => Self::map(l.map_len, l.origin_align, l.guard)?,
        };
        let origin = origin_of(base, l.origin_align);
        // SAFETY: all offsets lie inside the mapping (map_layout), which is ours and which no
        // thread runs on.
        unsafe {
            let area = origin.add(l.area);
            tls::init_block(area, &p.area, &p.program.tls);
            let tcb = area.add(p.area.tcb) as *mut Tcb;
            Tcb::init(tcb, name);
            (*tcb).map_base = base;
            (*tcb).map_len = l.map_len;
            (*tcb).map_guard = l.guard;
            (*tcb).map_origin_align = l.origin_align;
            (*tcb).packet = origin.add(l.packet);
            (*tcb).scope = scope;
            Ok(Mapping { tcb: NonNull::new_unchecked(tcb), tp: area.add(p.area.tp), stack_top: origin.add(l.stack_top) })
        }
    }

    /// A fresh mapping with its guard page. Under memory pressure, cached stacks are given back
    /// first and the mapping tried once more.
    fn map(len: usize, origin_align: usize, guard: usize) -> Result<*mut u8, SpawnError> {
        // MAP_NORESERVE: untouched stack pages cost nothing, as with any stack. MAP_STACK
        // documents the use (man 2 mmap).
        let mmap = || syscall::mmap_anon(len, g::PROT_READ | g::PROT_WRITE, g::MAP_NORESERVE | g::MAP_STACK);
        let base = match mmap() {
            Err(Errno::ENOMEM) if release_cached_stacks() > 0 => mmap(),
            r => r,
        }
        .map_err(|e| SpawnError::from_errno("mmap", e))?;
        if guard != 0 {
            // SAFETY: the guard lies inside the fresh mapping that nothing else uses.
            if let Err(e) = unsafe { syscall::mprotect(origin_of(base, origin_align), guard, g::PROT_NONE) } {
                // SAFETY: the mapping is ours and unused.
                let _ = unsafe { syscall::munmap(base, len) };
                return Err(SpawnError::from_errno("mprotect", e));
            }
        }
        Ok(base)
    }

    fn tcb(&self) -> &Tcb {
        // SAFETY: initialised in `create`, alive until `free`.
        unsafe { self.tcb.as_ref() }
    }

    fn clone_thread(&self, entry: unsafe extern "C" fn(*mut u8) -> !) -> Result<(), SpawnError> {
        let tcb = self.tcb.as_ptr();
        // SAFETY: the child gets its own stack, a complete TLS area and control block (so it is
        // safe to interrupt from its first instruction), and the signal mask of the spawning
        // thread (clone copies it). ptid and ctid are the Tcb's word, which outlives the thread.
        let r = unsafe {
            let ctid = (*tcb).ctid.as_ptr();
            arch::clone_thread(CLONE_FLAGS as usize, self.stack_top, ctid as *mut i32, ctid, self.tp, entry, tcb as *mut u8)
        };
        let tid = Errno::result(r).map_err(|e| SpawnError::from_errno("clone", e))?;
        self.tcb().tid.store(tid as i32, Relaxed);
        Ok(())
    }

    fn free(self) {
        free_mapping(self.tcb());
    }
}

/// The first address at or above `base` aligned to `align`.
fn origin_of(base: *mut u8, align: usize) -> *mut u8 {
    base.wrapping_add(base.align_offset(align))
}

/// The first Rust code of every spawned thread.
unsafe extern "C" fn thread_start<F: FnOnce() -> T, T>(tcb: *mut u8) -> ! {
    // SAFETY: the parent passed this thread's Tcb, initialised, with the closure in its packet.
    let tcb = unsafe { &*(tcb as *const Tcb) };
    let packet = tcb.packet as *mut Packet<F, T>;
    let name = tcb.shared.lock().name;
    if !name.is_empty() {
        let _ = syscall::prctl(PR_SET_NAME, name.as_c_bytes().as_ptr() as usize);
    }
    // SAFETY: the closure is taken exactly once, here; the result replaces it in the union.
    unsafe {
        let f = ManuallyDrop::take(&mut (*packet).f);
        let result = f();
        ptr::write(&mut (*packet).result, ManuallyDrop::new(MaybeUninit::new(result)));
    }
    tcb.shared.lock().exited = true;
    let owner = tcb.lifecycle.exit();
    if owner == Owner::Thread {
        // Detached: nobody will read the result.
        // SAFETY: written just above and owned by this thread now.
        unsafe { (*(*packet).result).assume_init_drop() };
    }
    if !tcb.scope.is_null() {
        // SAFETY: the scope waits for this count to reach zero before it ends, so it is alive.
        unsafe { scope::thread_done(tcb.scope) };
    }
    if owner == Owner::Thread {
        // Detached and finished: hand the mapping to the cache, to be reused once the kernel has
        // cleared our tid word (that is, once we no longer run on it). If it is full, unmap it
        // ourselves.
        // SAFETY: nothing else refers to the mapping; the word is the kernel's CLEARTID word.
        let cached = unsafe { cache::put(tcb.map_base, tcb.map_len, tcb.map_guard, tcb.map_origin_align, &tcb.ctid) };
        if !cached {
            // SAFETY: as above.
            unsafe { exit_and_free(tcb) }
        }
    }
    syscall::exit_thread(0)
}

/// The end of a detached thread: free the mapping we run on, and exit.
unsafe fn exit_and_free(tcb: &Tcb) -> ! {
    let (base, len) = (tcb.map_base, tcb.map_len);
    // No signal handler may run on the stack once it is unmapped (notes: rule 4).
    let _ = syscall::sigprocmask(g::SIG_BLOCK, Some(&SigSet::FULL), None);
    // The kernel's exit-time clear of ctid would land in freed, maybe reused, memory (rule 3).
    // SAFETY: null turns the clear off.
    unsafe { syscall::set_tid_address(ptr::null_mut()) };
    // SAFETY: per the function's contract; the arch code touches no memory after the munmap.
    unsafe { arch::unmap_and_exit(base, len) }
}

/// Sleeps until the kernel has cleared the thread's tid word: the thread is gone, its stack no
/// longer in use. The loop lives in `lifecycle`, where the host model checker covers it.
fn wait_for_exit(tcb: &Tcb) {
    lifecycle::wait_for_exit(&tcb.ctid)
}

/// Owns a joinable thread. Dropping it detaches the thread.
pub struct JoinHandle<T> {
    tcb: NonNull<Tcb>,
    _result: PhantomData<T>,
}

// SAFETY: the handle only gives access to the result (T: Send) and to the control block, whose
// shared parts are behind atomics and a lock.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only reads the control block through atomics and its lock.
unsafe impl<T> Sync for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    fn tcb(&self) -> &Tcb {
        // SAFETY: the mapping lives until the handle joins or detaches.
        unsafe { self.tcb.as_ref() }
    }

    /// Waits for the thread to finish and returns what its closure returned.
    pub fn join(self) -> T {
        let this = ManuallyDrop::new(self);
        let tcb = this.tcb();
        wait_for_exit(tcb);
        let packet = tcb.packet as *mut Packet<(), T>;
        // SAFETY: the thread wrote its result before exiting, and the handle owns it now. The
        // packet offset does not depend on F (the union starts at the slot).
        let result = unsafe { (*packet).result.assume_init_read() };
        free_mapping(tcb);
        result
    }

    /// Lets the thread run on unobserved; it frees its own memory when it finishes.
    pub fn detach(self) {
        drop(self)
    }

    /// Whether the thread has finished (so `join` will not block).
    pub fn is_finished(&self) -> bool {
        self.tcb().ctid.load(Acquire) == 0
    }

    /// The thread's identity and name.
    pub fn thread(&self) -> Thread {
        Thread::of(self.tcb())
    }

    /// Sends the thread a signal (`tgkill`). `ESRCH` once it has finished: its tid may belong to
    /// another thread by then.
    pub fn signal(&self, sig: u32) -> Result<(), Errno> {
        let tcb = self.tcb();
        let shared = tcb.shared.lock();
        if shared.exited {
            return Err(Errno::ESRCH);
        }
        // Holding the lock keeps the thread from exiting, so the tid still names it.
        crate::signal::send_to_thread(tcb.tid(), sig)
    }

    /// Renames the thread (through /proc/self/task/<tid>/comm). `ESRCH` once it has finished.
    pub fn set_name(&self, name: &str) -> Result<(), Errno> {
        let name = ThreadName::new(name).ok_or(Errno::ERANGE)?;
        let tcb = self.tcb();
        let mut shared = tcb.shared.lock();
        if shared.exited {
            return Err(Errno::ESRCH);
        }
        // Holding the lock keeps the thread from exiting, so the tid still names it.
        let mut path = PathBuf::new();
        path.push(b"/proc/self/task/");
        path.push_int(tcb.tid() as u32);
        path.push(b"/comm");
        syscall::write_file(path.as_cstr(), name.as_str().as_bytes())?;
        shared.name = name;
        Ok(())
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let tcb = self.tcb();
        if tcb.lifecycle.detach() == Owner::Handle {
            // The thread finished first and left its mapping (and result) to us.
            wait_for_exit(tcb);
            let packet = tcb.packet as *mut Packet<(), T>;
            // SAFETY: the thread wrote its result; nobody else will read it.
            unsafe { (*(*packet).result).assume_init_drop() };
            free_mapping(tcb);
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("thread", &self.thread()).finish()
    }
}

/// Gives back the mapping of a thread that has exited (or never ran): to the cache, or unmapped.
fn free_mapping(tcb: &Tcb) {
    let (base, len) = (tcb.map_base, tcb.map_len);
    // SAFETY: the thread's tid word is clear and we own the mapping.
    if !unsafe { cache::put(base, len, tcb.map_guard, tcb.map_origin_align, &tcb.ctid) } {
        // SAFETY: as above.
        let _ = unsafe { syscall::munmap(base, len) };
    }
}

/// Spawns a thread with the default settings.
pub fn spawn<F, T>(f: F) -> Result<JoinHandle<T>, SpawnError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new().spawn(f)
}

/// A snapshot of a thread's identity: its kernel tid and its name when the snapshot was taken.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Thread {
    tid: i32,
    name: ThreadName,
}

impl Thread {
    fn of(tcb: &Tcb) -> Thread {
        Thread { tid: tcb.tid.load(Relaxed), name: tcb.shared.lock().name }
    }

    /// The kernel thread id (kept after the thread has finished; the kernel may then reuse it).
    pub fn tid(&self) -> i32 {
        self.tid
    }

    pub fn name(&self) -> Option<&str> {
        (!self.name.is_empty()).then(|| self.name.as_str())
    }
}

impl fmt::Debug for Thread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Thread").field("tid", &self.tid).field("name", &self.name()).finish()
    }
}

/// The calling thread.
pub fn current() -> Thread {
    Thread::of(Tcb::current())
}

/// The calling thread's kernel tid, from its control block (no syscall).
#[inline]
pub fn current_tid() -> i32 {
    Tcb::current().tid()
}

/// Names the calling thread (`prctl(PR_SET_NAME)`). `ERANGE` if longer than 15 bytes.
pub fn set_name(name: &str) -> Result<(), Errno> {
    let name = ThreadName::new(name).ok_or(Errno::ERANGE)?;
    let mut shared = Tcb::current().shared.lock();
    syscall::prctl(PR_SET_NAME, name.as_c_bytes().as_ptr() as usize)?;
    shared.name = name;
    Ok(())
}

/// The calling thread's name as the kernel has it (`prctl(PR_GET_NAME)`).
pub fn kernel_name() -> Result<ThreadName, Errno> {
    let mut buf = [0u8; 16];
    syscall::prctl(PR_GET_NAME, buf.as_mut_ptr() as usize)?;
    let len = buf.iter().position(|&b| b == 0).unwrap_or(15);
    let s = core::str::from_utf8(&buf[..len]).map_err(|_| Errno::EINVAL)?;
    ThreadName::new(s).ok_or(Errno::EINVAL)
}

pub fn yield_now() {
    syscall::sched_yield()
}

/// Sleeps for at least `d` (CLOCK_MONOTONIC), resuming after signal handlers.
pub fn sleep(d: Duration) {
    let Some(mut req) = futex::timespec(d) else {
        // Longer than the clock can express: sleep "forever", in the longest steps it can.
        loop {
            sleep(Duration::from_secs(i64::MAX as u64));
        }
    };
    loop {
        let mut rem = syscall::Timespec { tv_sec: 0, tv_nsec: 0 };
        match syscall::clock_nanosleep(g::CLOCK_MONOTONIC, 0, &req, Some(&mut rem)) {
            Err(Errno::EINTR) => req = rem,
            _ => return,
        }
    }
}

/// Sets up the main thread's TLS area and control block. Called once by start-up.
#[cfg_attr(test, allow(dead_code))]
pub(crate) fn init_main_thread() -> Result<(), Errno> {
    let p = rt::process();
    let area_len = p.area.size + p.area.align;
    let base = syscall::mmap_anon(area_len, g::PROT_READ | g::PROT_WRITE, 0)?;
    let area = origin_of(base, p.area.align);
    // SAFETY: the area fits in the fresh mapping (size + alignment slack).
    unsafe {
        tls::init_block(area, &p.area, &p.program.tls);
        let tcb = area.add(p.area.tcb) as *mut Tcb;
        Tcb::init(tcb, ThreadName::new("main").expect("valid name"));
        Errno::result(arch::set_thread_pointer(area.add(p.area.tp)))?;
        // The kernel clears this word if the main thread exits alone (notes: rule 8).
        let tid = syscall::set_tid_address((*tcb).ctid.as_ptr());
        (*tcb).ctid.store(tid as u32, Release);
        (*tcb).tid.store(tid, Relaxed);
    }
    Ok(())
}

/// A fixed-size path builder for procfs and cgroupfs paths (no allocator).
pub(crate) struct PathBuf {
    buf: [u8; 512],
    len: usize,
}

impl PathBuf {
    pub(crate) fn new() -> PathBuf {
        PathBuf { buf: [0; 512], len: 0 }
    }

    /// Appends bytes; `false` (and nothing appended) if they do not fit.
    pub(crate) fn try_push(&mut self, s: &[u8]) -> bool {
        if self.len + s.len() >= self.buf.len() {
            return false;
        }
        self.buf[self.len..self.len + s.len()].copy_from_slice(s);
        self.len += s.len();
        true
    }

    /// Appends bytes of a short fixed path.
    pub(crate) fn push(&mut self, s: &[u8]) {
        assert!(self.try_push(s), "path too long");
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        self.buf[len..self.len].fill(0);
        self.len = len;
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn push_int(&mut self, mut n: u32) {
        let mut digits = [0u8; 10];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(&digits[i..]);
    }

    pub(crate) fn as_cstr(&self) -> &core::ffi::CStr {
        core::ffi::CStr::from_bytes_until_nul(&self.buf[..=self.len]).expect("NUL-terminated")
    }
}
