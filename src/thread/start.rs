//! A spawned thread's own code around its closure: from its first Rust instruction to its
//! `exit`. See the lifecycle in `thread/mod.rs`.

use super::lifecycle::Owner;
use super::{cache, control, exit_hooks, registry, remote_tls, scope, Packet, Tcb};
use crate::arch;
use crate::signal::SigSet;
use crate::syscall;
use core::mem::{ManuallyDrop, MaybeUninit};
use core::ptr;
use crate::arch::sys::general as g;
use crate::arch::sys::prctl::PR_SET_NAME;

/// The first Rust code of every spawned thread.
///
/// # Safety
/// `tcb` is this thread's initialised control block, with a `Packet<F, T>` holding the closure.
pub(super) unsafe extern "C" fn thread_start<F: FnOnce() -> T, T>(tcb: *mut u8) -> ! {
    // SAFETY: the parent passed this thread's Tcb, initialised, with the closure in its packet.
    let tcb = unsafe { &*(tcb as *const Tcb) };
    let packet = tcb.packet as *mut Packet<F, T>;
    // The alternate signal stack first: a fault from here on has a stack to be reported on.
    let _ = crate::signal::fault::enable_alt_stack(&tcb.fault);
    if let Some(mask) = tcb.start_mask.get() {
        // Cloned with every signal blocked: nothing could run in this thread before this line.
        let _ = crate::signal::set_mask(&mask);
    } else if crate::futex::robust::lacks_robust_list() {
        // Under QEMU user mode (which the probe tells apart: see `lacks_robust_list`) a new
        // thread starts with its spawner's *host* signal mask at the moment of `clone`
        // (linux-user/syscall.c, clone_func). If the spawner had just caught a host signal,
        // that is QEMU's all-blocked mask, which QEMU restores only when this thread next has a
        // signal to process or changes its mask (block_signals): until then it never gets a
        // signal, so a stop waits for it forever. A guest `sigprocmask` that changes nothing
        // makes QEMU recompute the host mask from the guest's. (Reproduced on aarch64 with QEMU
        // 7.2 in stress/signals.rs: 2 of 6 runs hung without this, 0 of 40 with it.) The
        // spawner answered the probe before `clone`, so this is a load here.
        let _ = syscall::sigprocmask(g::SIG_BLOCK, Some(&SigSet::EMPTY), None);
    }
    {
        // Tell the kernel our name (clone gave us the spawner's) under the lock renames take,
        // so that a `JoinHandle::set_name` lands wholly before (we send its name) or after
        // (it overwrites ours) and the kernel and strand agree either way.
        let _renames = tcb.shared.lock();
        let name = tcb.name.load();
        if !name.is_empty() {
            let _ = syscall::prctl(PR_SET_NAME, name.as_c_bytes().as_ptr() as usize);
        }
    }
    // SAFETY: the closure is taken exactly once, here.
    let f = unsafe { ManuallyDrop::take(&mut (*packet).f) };
    // With unwinding, the thread's edge catches a panic from its closure: the thread then
    // leaves through its ordinary exit path (hooks, thread-local destructors, accounting) with
    // no result, and `join` reports the panic.
    #[cfg(all(strand_unwinding, not(test)))]
    let result = match crate::unwind::catch(f) {
        Ok(result) => result,
        Err(panic) => {
            tcb.unwind.set_ended_by_panic(panic);
            tcb.exit.no_result.store(true, core::sync::atomic::Ordering::Relaxed);
            remote_tls::begin_exit(tcb);
            exit_hooks::run_current();
            // SAFETY: the packet holds neither the closure (taken) nor a result, which
            // `no_result` tells the handle.
            unsafe { finish(tcb, None) }
        }
    };
    #[cfg(not(all(strand_unwinding, not(test))))]
    let result = f();
    // SAFETY: the result replaces the closure in the union.
    unsafe { ptr::write(&mut (*packet).result, ManuallyDrop::new(MaybeUninit::new(result))) };
    remote_tls::begin_exit(tcb);
    exit_hooks::run_current();
    // SAFETY: the packet holds a T result, which `drop_result::<T>` drops.
    unsafe { finish(tcb, Some(drop_result::<T>)) }
}

/// Drops the `T` result in the packet at `packet`.
///
/// # Safety
/// `packet` holds an initialised `T` result that nobody else will read.
unsafe fn drop_result<T>(packet: *mut u8) {
    // SAFETY: per the contract; the result sits at the start of the packet whatever F is.
    unsafe { (*(*(packet as *mut Packet<(), T>)).result).assume_init_drop() }
}

/// The thread's exit path once its work and its exit hooks are done (after its closure
/// returned, or from `thread::exit`).
///
/// # Safety
/// Called once, by the thread `tcb` belongs to (never the main thread), after its exit hooks;
/// `drop_result` drops the result in the packet if there is one (`None` if there is none:
/// `thread::exit`).
pub(super) unsafe fn finish(tcb: &Tcb, drop_result: Option<unsafe fn(*mut u8)>) -> ! {
    // Robust mutexes still held go to their next lockers with OwnerDied, before anyone can
    // see this thread finished (one load if it never took one).
    crate::sync::robust::exit_current();
    leave_registry(tcb);
    let owner = tcb.lifecycle.exit();
    if owner == Owner::Thread {
        if let Some(drop_result) = drop_result {
            // Detached: nobody will read the result.
            // SAFETY: written by `thread_start` and owned by this thread now.
            unsafe { drop_result(tcb.packet) };
            // Its Drop may have touched a thread-local for the first time: destroy that too.
            exit_hooks::run_current();
        }
    }
    if !tcb.scope.is_null() {
        // SAFETY: the scope waits for this count to reach zero before it ends, so it is alive.
        unsafe { scope::thread_done(tcb.scope) };
    }
    if owner == Owner::Thread {
        // Detached and finished: hand the mapping to the cache, to be reused once the kernel has
        // cleared our CLEARTID word (that is, once we no longer run on it). If it is full, unmap
        // it ourselves.
        registry::forget(tcb);
        // SAFETY: nothing else refers to the mapping; the word is the kernel's CLEARTID word.
        let cached = unsafe { cache::put(tcb.map_base, tcb.map_len, tcb.map_guard, tcb.map_origin_align, &tcb.ctid) };
        if !cached {
            // SAFETY: as above.
            unsafe { exit_and_free(tcb) }
        }
    }
    syscall::exit_thread(0)
}

/// Marks the thread `exited` (its tid may be reused from now on): requests stop reaching it, a
/// stop waiting for it counts it as acknowledged, a synchronous call waiting for it fails, and
/// its session counts it out. It stays in the registry until its mapping is freed
/// (`registry::forget`).
fn leave_registry(tcb: &Tcb) {
    let mut shared = tcb.shared.lock();
    shared.exited = true;
    tcb.links.exited.store(true, core::sync::atomic::Ordering::Release);
    // Pairs with the fence in `stop_the_world` (see there): mark first, then look for a request.
    core::sync::atomic::fence(core::sync::atomic::Ordering::SeqCst);
    control::registry_leave(tcb);
    super::session::count_out(tcb);
}

/// The end of a detached thread whose mapping the cache did not take: free the mapping we run
/// on, and exit.
///
/// # Safety
/// The calling thread owns its mapping and nothing else refers to it.
unsafe fn exit_and_free(tcb: &Tcb) -> ! {
    let (base, len) = (tcb.map_base, tcb.map_len);
    // The kernel would walk our robust list at exit, after the munmap: in freed memory.
    crate::sync::robust::before_unmap();
    // No signal handler may run from here on: its frame would be written to the stack we are
    // about to unmap (or, after the munmap, to whatever reuses that address). Blocked signals
    // stay pending and die with the thread.
    let _ = syscall::sigprocmask(g::SIG_BLOCK, Some(&SigSet::FULL), None);
    // A fault is still delivered (it cannot be blocked): not onto the memory we free.
    crate::signal::fault::disable_alt_stack();
    // At exit the kernel would write 0 to our CLEARTID word, inside the freed (maybe reused)
    // memory, and wake a futex there; null turns that off (man 2 set_tid_address).
    // SAFETY: null is always valid.
    unsafe { syscall::set_tid_address(ptr::null_mut()) };
    // SAFETY: per the function's contract; the arch code touches no memory after the munmap.
    unsafe { arch::unmap_and_exit(base, len) }
}
