//! Reading another thread's instance of a `#[thread_local]` static (SBCL's
//! `symbol-value-in-thread`).
//!
//! Every thread's static TLS block has the same layout, at the same offset from its control
//! block (`tls::AreaLayout`), so the address of a thread-local in the calling thread, taken
//! relative to the caller's control block, is its address in any other thread relative to that
//! thread's control block. What makes reading it safe:
//! - the address must lie inside the calling thread's static TLS block (else
//!   `LocalError::NotThreadLocal`);
//! - the target is found in the registry and pinned (its mapping is not freed);
//! - the target cannot start exiting, so its thread-locals cannot be destroyed, while a reader
//!   holds a `LocalRef`: a thread marks itself `exiting` (under its lock) and then waits for
//!   its readers before it runs exit hooks and thread-local destructors (`begin_exit`);
//! - `T: Sync`, because the owner goes on running and may use the value concurrently.

use super::registry;
use super::{Tcb, Thread};
use crate::futex;
use core::fmt;
use core::marker::PhantomData;
use core::ops::Deref;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

/// Why another thread's thread-local could not be reached.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::thread::LocalError;
/// static NOT_TLS: u32 = 0;
/// let me = strand::thread::current();
/// assert_eq!(me.local_ref(&NOT_TLS).err(), Some(LocalError::NotThreadLocal));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalError {
    /// The thread has finished, or has begun to (its thread-locals may be destroyed).
    Exited,
    /// The address is not inside the calling thread's static TLS block (or the value would
    /// run past its end, or is misaligned): it is no `#[thread_local]` of this program.
    NotThreadLocal,
}

impl fmt::Display for LocalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalError::Exited => f.write_str("the thread has exited (or is exiting)"),
            LocalError::NotThreadLocal => f.write_str("the address is not a thread-local of this program"),
        }
    }
}

/// Another thread's instance of a thread-local, borrowed: while it lives the thread cannot
/// start exiting (it waits in its exit path), so keep it short.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # #![feature(thread_local)]
/// # strand::main!(main);
/// # fn main() {
/// use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
/// use strand::sync::Barrier;
/// #[thread_local]
/// static PROGRESS: AtomicU32 = AtomicU32::new(0);
/// static STEP: Barrier = Barrier::new(2);
/// let h = strand::thread::spawn(|| {
///     PROGRESS.store(7, Relaxed);
///     STEP.wait(); // stored
///     STEP.wait(); // read by main
/// }).unwrap();
/// STEP.wait();
/// let seen = h.thread().local_ref(&raw const PROGRESS).unwrap().load(Relaxed);
/// assert_eq!(seen, 7);
/// assert_eq!(h.thread().with_local(&raw const PROGRESS, |p| p.load(Relaxed)), Ok(7));
/// STEP.wait();
/// h.join().unwrap();
/// # }
/// ```
pub struct LocalRef<'a, T> {
    value: *const T,
    pin: registry::Pin,
    _borrow: PhantomData<&'a T>,
}

impl<T> Deref for LocalRef<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the target's TLS block stays mapped (pinned) and its value alive (it cannot
        // start exiting while `readers` counts us); `local_ref` checked bounds and alignment.
        unsafe { &*self.value }
    }
}

impl<T> Drop for LocalRef<'_, T> {
    fn drop(&mut self) {
        let readers = &self.pin.tcb().links.tls_readers;
        if readers.fetch_sub(1, Release) == 1 {
            futex::wake_private(readers, u32::MAX);
        }
    }
}

/// Where `var` (an address in the calling thread) is in the thread whose control block is
/// `target`, if it lies within the static TLS block. Pure arithmetic on the area layout.
fn translate(var: usize, size: usize, align: usize, me: usize, target: usize) -> Option<usize> {
    let p = crate::rt::process();
    let area = &p.area;
    let my_block = me.wrapping_sub(area.tcb).wrapping_add(area.block);
    let off = var.checked_sub(my_block)?;
    if off.checked_add(size)? > p.program.tls.memsz || var % align != 0 {
        return None;
    }
    Some(target.wrapping_sub(area.tcb).wrapping_add(area.block).wrapping_add(off))
}

impl Thread {
    /// Borrows this thread's instance of the thread-local whose address *in the calling
    /// thread* is `var` (`&raw const X` for a `#[thread_local] static X`; a raw pointer,
    /// because Rust does not give a thread-local's address a lifetime beyond the current
    /// thread). For the calling thread itself it is just `var`. Not async-signal-safe (the
    /// registry's lock).
    pub fn local_ref<T: Sync>(&self, var: *const T) -> Result<LocalRef<'_, T>, LocalError> {
        let me = Tcb::current() as *const Tcb as usize;
        let pin = registry::pin(self).ok_or(LocalError::Exited)?;
        let t = pin.tcb();
        let at = translate(var as usize, core::mem::size_of::<T>(), core::mem::align_of::<T>(), me, t as *const Tcb as usize)
            .ok_or(LocalError::NotThreadLocal)?;
        {
            let shared = t.shared.lock();
            if shared.exiting {
                return Err(LocalError::Exited);
            }
            t.links.tls_readers.fetch_add(1, Relaxed);
        }
        Ok(LocalRef { value: at as *const T, pin, _borrow: PhantomData })
    }

    /// Runs `f` on this thread's instance of the thread-local at `var` (see `local_ref`).
    pub fn with_local<T: Sync, R>(&self, var: *const T, f: impl FnOnce(&T) -> R) -> Result<R, LocalError> {
        Ok(f(&*self.local_ref(var)?))
    }
}

/// The first step of a thread's exit, before its exit hooks and thread-local destructors: from
/// now on nobody may start reading its thread-locals (`local_ref` says `Exited`), and it waits
/// for those who are reading.
pub(crate) fn begin_exit(tcb: &Tcb) {
    tcb.shared.lock().exiting = true;
    let readers = &tcb.links.tls_readers;
    loop {
        let n = readers.load(Acquire);
        if n == 0 {
            return;
        }
        futex::wait_private(readers, n, None);
    }
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn only_addresses_inside_the_block_translate() {
        // The host test process has no PT_TLS (memsz 0): nothing is a thread-local.
        let p = crate::rt::process();
        assert_eq!(p.program.tls.memsz, 0);
        assert_eq!(translate(0x1000, 4, 4, 0x1000, 0x2000), None);
    }
}
