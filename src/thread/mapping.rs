//! A thread's mapping while its spawner owns it: from `mmap` (or the cache) to `clone`, or to
//! giving it back when the spawn fails. See the lifecycle in `thread/mod.rs`.

use super::cache;
use super::layout::{map_layout, MapLayout};
use super::{Builder, ConfigError, SpawnError, Tcb, ThreadName, DEFAULT_STACK_SIZE, MIN_STACK_SIZE};
use crate::arch;
use crate::errno::Errno;
use crate::rt;
use crate::syscall;
use crate::tls;
use core::alloc::Layout;
use core::ptr::NonNull;
use core::sync::atomic::AtomicU32;
use crate::arch::sys::general as g;

/// Every thread shares the address space, files, fs info, signal handlers and SysV semaphore
/// undo list, and is in the caller's thread group (the set QEMU user mode requires too). The
/// kernel stores the tid in the control block before the thread runs (CLONE_PARENT_SETTID,
/// into `Tcb::tid`) and zeroes another word, with a futex wake, once the thread is gone
/// (CLONE_CHILD_CLEARTID, `Tcb::ctid`) (man 2 clone).
const CLONE_FLAGS: u32 = g::CLONE_VM
    | g::CLONE_FS
    | g::CLONE_FILES
    | g::CLONE_SIGHAND
    | g::CLONE_THREAD
    | g::CLONE_SYSVSEM
    | g::CLONE_SETTLS
    | g::CLONE_PARENT_SETTID
    | g::CLONE_CHILD_CLEARTID;

/// A thread's mapping between `mmap` (or `cache::take`) and `clone` (or its failure).
pub(super) struct Mapping {
    pub tcb: NonNull<Tcb>,
    tp: *mut u8,
    stack_top: *mut u8,
    /// Mapped by this spawn (unmapped if it fails), rather than taken from the cache (given
    /// back to it).
    fresh: bool,
}

impl Mapping {
    pub fn create(b: &Builder, packet: Layout, name: ThreadName, scope: *const AtomicU32) -> Result<Mapping, SpawnError> {
        let p = rt::process();
        let page = p.auxv.pagesz;
        let stack = b
            .stack_size
            .unwrap_or(if p.program.stack_size != 0 { p.program.stack_size } else { DEFAULT_STACK_SIZE })
            .max(MIN_STACK_SIZE.saturating_add(p.auxv.minsigstksz));
        let guard = b.guard_size.unwrap_or(page);
        let alt = crate::signal::alt_stack_size();
        let l = map_layout(page, guard, stack, alt, packet, &p.area).ok_or(SpawnError::InvalidConfig(ConfigError::SizeOverflow))?;

        let (base, fresh) = match cache::take(l.map_len, l.guard, l.origin_align) {
            Some(base) => (base, false),
            None => (map(&l, page)?, true),
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
            let lowest = origin.add(l.guard_at + l.guard) as usize;
            (*tcb).links.stack.set((lowest, origin.add(l.stack_top) as usize));
            // A frame bigger than the guard may jump past it into the alternate stack or its
            // guard: a fault anywhere below the stack is its overflow.
            (*tcb).fault.guard = (origin as usize, lowest);
            (*tcb).fault.alt_stack = (origin.add(l.alt) as usize, l.alt_size);
            Ok(Mapping {
                tcb: NonNull::new_unchecked(tcb),
                tp: area.add(p.area.tp),
                stack_top: origin.add(l.stack_top),
                fresh,
            })
        }
    }

    pub fn tcb(&self) -> &Tcb {
        // SAFETY: initialised in `create`, alive until the mapping is given away.
        unsafe { self.tcb.as_ref() }
    }

    /// Starts the thread at `entry(tcb)`. On success the mapping belongs to the thread and its
    /// handle; on failure it is still the caller's.
    pub fn clone_thread(&self, entry: unsafe extern "C" fn(*mut u8) -> !) -> Result<(), SpawnError> {
        let tcb = self.tcb.as_ptr();
        let words = self.tcb().clone_words();
        // SAFETY: the child gets its own stack, a complete TLS area and control block (so it is
        // safe to interrupt from its first instruction), and the signal mask of the spawning
        // thread (clone copies it). ptid and ctid are words of the Tcb, which outlives the
        // thread. The kernel has written ptid before the child runs and before this returns
        // (kernel/fork.c, kernel_clone: put_user(parent_tid) before wake_up_new_task).
        let r = unsafe { arch::clone_thread(CLONE_FLAGS as usize, self.stack_top, words.ptid, words.ctid, self.tp, entry, tcb as *mut u8) };
        match Errno::result(r) {
            Ok(_) => Ok(()),
            Err(e) => {
                self.tcb().clone_failed();
                Err(SpawnError::from_errno("clone", e))
            }
        }
    }

    /// Gives back the mapping of a spawn that failed after `create` (no thread ever ran on it):
    /// a fresh mapping is unmapped, a cached one goes back to the cache.
    pub fn abandon(self) {
        let tcb = self.tcb();
        if self.fresh {
            // SAFETY: ours alone: the thread never started, and nothing else saw the mapping.
            let _ = unsafe { syscall::munmap(tcb.map_base, tcb.map_len) };
        } else {
            super::free_mapping(tcb);
        }
    }
}

/// A fresh mapping with its guard pages. ENOMEM, whether from `mmap` (address space, map count)
/// or from a guard's `mprotect` (which splits the mapping, so needs more map count slots:
/// mm/vma.c, __split_vma), gives the stack cache back and tries once more.
fn map(l: &MapLayout, page: usize) -> Result<*mut u8, SpawnError> {
    let guards = [(0, if l.alt_size == 0 { 0 } else { page }), (l.guard_at, l.guard)];
    match map_once(l.map_len, l.origin_align, &guards) {
        Err(SpawnError::OutOfMemory { .. }) if super::release_cached_stacks() > 0 => map_once(l.map_len, l.origin_align, &guards),
        r => r,
    }
}

/// `mmap` and the guards' `mprotect`s (offset and length from the origin; length 0 for none);
/// nothing stays mapped if any fails.
fn map_once(len: usize, origin_align: usize, guards: &[(usize, usize)]) -> Result<*mut u8, SpawnError> {
    // MAP_NORESERVE: untouched stack pages cost nothing, as with any stack. MAP_STACK
    // documents the use (man 2 mmap).
    let base = syscall::mmap_anon(len, g::PROT_READ | g::PROT_WRITE, g::MAP_NORESERVE | g::MAP_STACK)
        .map_err(|e| SpawnError::from_errno("mmap", e))?;
    for &(at, guard) in guards.iter().filter(|g| g.1 != 0) {
        // SAFETY: the guard lies inside the fresh mapping that nothing else uses.
        if let Err(e) = unsafe { syscall::mprotect(origin_of(base, origin_align).add(at), guard, g::PROT_NONE) } {
            // SAFETY: the mapping is ours and unused.
            let _ = unsafe { syscall::munmap(base, len) };
            return Err(SpawnError::from_errno("mprotect", e));
        }
    }
    Ok(base)
}

/// The first address at or above `base` aligned to `align`.
pub(super) fn origin_of(base: *mut u8, align: usize) -> *mut u8 {
    base.wrapping_add(base.align_offset(align))
}
