//! The machinery behind the `unwind` feature: where the unwinder finds the call-frame
//! information (the executable's `.eh_frame_hdr`), the exception object each thread raises (kept
//! in its control block: no allocator), and the raise and catch that `strand::panic` builds on.
//! The DWARF unwinder and Rust's personality routine are the `unwinding` crate's.

use crate::panic::Panic;
use crate::thread::Tcb;
use core::cell::{Cell, UnsafeCell};
use core::mem::MaybeUninit;
use core::sync::atomic::AtomicBool;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use unwinding::abi::{UnwindException, UnwindReasonCode};
use unwinding::custom_eh_frame_finder::{set_custom_eh_frame_finder, EhFrameFinder, FrameInfo, FrameInfoKind};
use unwinding::panicking::{self, Exception};

/// The one exception a thread can have in flight, and the panic its thread ended with.
///
/// A thread raises at most one exception at a time: a second panic while one unwinds ends the
/// process in the panic handler (the `panicking` flag), as std does.
#[repr(C)]
pub(crate) struct Slot {
    /// The `_Unwind_Exception` header the unwinder works on; first, so that its address is the
    /// slot's (`Exception::unwrap` gets back to the payload from it).
    exception: UnsafeCell<MaybeUninit<UnwindException>>,
    payload: UnsafeCell<MaybeUninit<Panic>>,
    /// The thread's closure ended by a panic, caught at the thread's edge: `payload` holds it
    /// for `join`. Written by the thread before it exits, read by the joiner after the exit.
    ended_by_panic: AtomicBool,
    /// How many `catch` calls are running on this thread (only the thread itself touches it).
    /// With none, a panic is not raised at all: the unwinder's search would walk past the
    /// thread's first Rust frame into the code that started it, whose unwind info describes
    /// another frame (the `call` in the arch file's `clone_thread` returns into that function's
    /// body, where its spawner's CFI applies): on i686 that search read address 0x4 and faulted
    /// (`--panic-in-tls-destructor`). Every catch is above that frame, so a search that starts
    /// with one running ends at it.
    catch_depth: Cell<u32>,
}

impl Slot {
    pub(crate) const fn new() -> Slot {
        Slot {
            exception: UnsafeCell::new(MaybeUninit::uninit()),
            payload: UnsafeCell::new(MaybeUninit::uninit()),
            ended_by_panic: AtomicBool::new(false),
            catch_depth: Cell::new(0),
        }
    }

    /// Records that the thread's closure ended with `panic` (called by the thread itself, at its
    /// edge, before it exits).
    pub(crate) fn set_ended_by_panic(&self, panic: Panic) {
        // SAFETY: only the owning thread writes the payload, and no exception is in flight
        // (this one was caught); the joiner reads it only after `ended_by_panic` says so.
        unsafe { (*self.payload.get()).write(panic) };
        self.ended_by_panic.store(true, Release);
    }

    /// The panic the thread's closure ended with, if it did (for `join`, after the thread
    /// exited).
    pub(crate) fn ended_by_panic(&self) -> Option<Panic> {
        if self.ended_by_panic.load(Acquire) {
            // SAFETY: written before the flag was set (Release/Acquire), never again after.
            Some(unsafe { (*self.payload.get()).assume_init_read() })
        } else {
            None
        }
    }
}

// SAFETY: the exception class says what follows the header; `wrap` and `unwrap` move the panic
// in and out of the raising thread's own slot, which lives as long as the thread.
unsafe impl Exception for Panic {
    /// Vendor "STRN", language "RUST" (the Itanium ABI's two halves of an exception class).
    const CLASS: [u8; 8] = *b"STRNRUST";

    fn wrap(this: Panic) -> *mut UnwindException {
        let slot = &Tcb::current().unwind;
        // SAFETY: one exception per thread at a time (see `Slot`), so nothing else uses the
        // slot; `begin_panic` writes the header's public fields before raising.
        unsafe { (*slot.payload.get()).write(this) };
        slot.exception.get().cast()
    }

    unsafe fn unwrap(ex: *mut UnwindException) -> Panic {
        let slot = ex as *const Slot;
        // SAFETY: the class matched, so `ex` is the header of a `Slot` whose payload `wrap`
        // wrote (the header is the slot's first field, `repr(C)`).
        unsafe { (*(*slot).payload.get()).assume_init_read() }
    }
}

/// Finds the unwind tables of a code address: strand programs are single static images, so
/// it is always the one `.eh_frame_hdr` that start-up found through PT_GNU_EH_FRAME.
struct ImageFinder;

// SAFETY: the address is the mapped `.eh_frame_hdr` of the running image (or `find` says None).
unsafe impl EhFrameFinder for ImageFinder {
    fn find(&self, _pc: usize) -> Option<FrameInfo> {
        let hdr = crate::rt::process().program.eh_frame_hdr;
        // The header's binary-search table tells an address outside the image apart (no FDE).
        (hdr != 0).then_some(FrameInfo { text_base: None, kind: FrameInfoKind::EhFrameHdr(hdr) })
    }
}

static FINDER: ImageFinder = ImageFinder;

/// Hands the unwinder its frame finder; once, at start-up, after the program headers were read.
pub(crate) fn init() {
    // An error means it was set already, which only a second call could do: nothing to undo.
    let _ = set_custom_eh_frame_finder(&FINDER);
}

/// Unwinds the calling thread's stack with `panic` as the payload, to the nearest
/// `catch_unwind` (strand's own at the edge of every spawned thread and around `main`). It
/// returns only if nothing catches it or the stack cannot be walked: the reason, for the
/// caller to end the process.
pub(crate) fn raise(panic: Panic) -> UnwindReasonCode {
    if Tcb::current().unwind.catch_depth.get() == 0 {
        // Nothing can catch it (see `Slot::catch_depth`): do not walk the stack.
        return UnwindReasonCode::END_OF_STACK;
    }
    panicking::begin_panic(panic)
}

/// Runs `f`, catching a panic that unwinds out of it. A foreign exception (not raised by
/// strand) is deleted and reported as a `Panic` saying so.
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Panic> {
    let depth = &Tcb::current().unwind.catch_depth;
    depth.set(depth.get() + 1);
    let caught = panicking::catch_unwind::<Panic, R, _>(f);
    // Balanced on both outcomes (a `thread::exit` inside `f` abandons this frame, and the count
    // with it, as the thread or process ends).
    depth.set(depth.get() - 1);
    match caught {
        Ok(r) => Ok(r),
        Err(p) => {
            // The unwind is over: a later panic in this thread is a new one, not a panic while
            // panicking. (The handler only raises once start-up is done, so `current` is valid.)
            Tcb::current().panicking.store(false, Relaxed);
            Err(p.unwrap_or_else(|| Panic::new(format_args!("a foreign exception (not a strand panic) was caught"))))
        }
    }
}
