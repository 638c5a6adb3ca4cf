//! `thread_local!`: lazily initialised thread-local values with destructors, on top of
//! `#[thread_local]` statics and the exit hooks (`exit_hooks.rs`).
//!
//! Each value is a `#[thread_local]` static [`Local<T>`](Local) (state, the value, and the exit
//! hook that destroys it, all inside the thread's static TLS block, so nothing is allocated).
//! Its state goes Uninit → (Initializing →) Alive → Destroyed:
//! - the first access on a thread runs the initialiser and, if `T` needs dropping, registers the
//!   value's exit hook (a type without drop glue registers nothing);
//! - at the thread's exit the hook marks the value Destroyed and then drops it, so code that
//!   runs later on that thread (another destructor, an at-exit handler of the main thread)
//!   gets `Err(AccessError::Destroyed)` from `try_with` instead of a dropped value;
//! - a value the thread never touched is never initialised, so it is never destroyed either.

use super::exit_hooks::ExitHook;
use core::cell::{Cell, UnsafeCell};
use core::fmt;
use core::mem::{self, MaybeUninit};

const UNINIT: u8 = 0;
const INITIALIZING: u8 = 1;
const ALIVE: u8 = 2;
const DESTROYED: u8 = 3;

/// Why `LocalKey::try_with` could not give access to the value.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::cell::Cell;
/// strand::thread_local!(static X: Cell<u8> = Cell::new(1));
/// assert_eq!(X.try_with(|x| x.get()), Ok(1));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessError {
    /// The value has been destroyed: this thread is running its exit hooks, and this value's
    /// destructor has already run (or is running).
    Destroyed,
    /// The value's initialiser is running on this thread and reached the value itself.
    Initializing,
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccessError::Destroyed => "thread-local value accessed after its destructor ran",
            AccessError::Initializing => "thread-local value accessed by its own initialiser",
        })
    }
}

/// The storage behind one `thread_local!` value in one thread. Public only for the macro.
#[doc(hidden)]
pub struct Local<T> {
    state: Cell<u8>,
    value: UnsafeCell<MaybeUninit<T>>,
    hook: ExitHook,
}

impl<T> Local<T> {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Local<T> {
        Local { state: Cell::new(UNINIT), value: UnsafeCell::new(MaybeUninit::uninit()), hook: ExitHook::new() }
    }

    /// The value, initialised by `init` on first use.
    ///
    /// # Safety
    /// `self` is a `#[thread_local]` static of the calling thread.
    unsafe fn get(&self, init: fn() -> T) -> Result<&T, AccessError> {
        match self.state.get() {
            // SAFETY: Alive means initialised, and only `destroy` (on this thread, after marking
            // it Destroyed) ends that.
            ALIVE => return Ok(unsafe { (*self.value.get()).assume_init_ref() }),
            DESTROYED => return Err(AccessError::Destroyed),
            INITIALIZING => return Err(AccessError::Initializing),
            _ => {}
        }
        self.state.set(INITIALIZING);
        let v = init();
        // SAFETY: Uninit, so nobody holds a reference into the slot.
        unsafe { (*self.value.get()).write(v) };
        self.state.set(ALIVE);
        if mem::needs_drop::<T>() {
            // SAFETY: `self` is a thread-local of this thread (the caller's contract), alive and in
            // place until the thread ends; `destroy::<T>` with this address is sound at exit.
            // Registered once: the state never goes back to Uninit, so it cannot be queued yet.
            let registered = unsafe { self.hook.register(destroy::<T>, self as *const Local<T> as *mut u8) };
            debug_assert!(registered.is_ok());
        }
        // SAFETY: just written.
        Ok(unsafe { (*self.value.get()).assume_init_ref() })
    }
}

/// A `Local<T>`'s exit hook: marks the value Destroyed, then drops it.
///
/// # Safety
/// `local` is an Alive `Local<T>` of the calling thread, with no reference into its value alive.
unsafe fn destroy<T>(local: *mut u8) {
    // SAFETY: per the contract.
    let local = unsafe { &*(local as *const Local<T>) };
    local.state.set(DESTROYED);
    // SAFETY: Alive until just now; Destroyed first, so the value's own Drop (and whatever it
    // calls) sees the value as gone rather than using it while it is dropped.
    unsafe { (*local.value.get()).assume_init_drop() };
}

/// A key to a thread-local value, made by [`thread_local!`](crate::thread_local): each thread
/// has its own value, created by the initialiser on the thread's first access and dropped when
/// the thread ends.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use core::cell::RefCell;
/// strand::thread_local!(static STACK: RefCell<[u32; 4]> = RefCell::new([0; 4]));
/// STACK.with(|s| s.borrow_mut()[0] = 1);
/// assert_eq!(STACK.with(|s| s.borrow()[0]), 1);
/// assert_eq!(STACK.try_with(|s| s.borrow()[1]), Ok(0));
/// # }
/// ```
pub struct LocalKey<T: 'static> {
    local: fn() -> *const Local<T>,
    init: fn() -> T,
}

impl<T: 'static> LocalKey<T> {
    /// Used by `thread_local!`.
    ///
    /// # Safety
    /// `local` returns the address of a `#[thread_local]` static of the calling thread.
    #[doc(hidden)]
    pub const unsafe fn new(local: fn() -> *const Local<T>, init: fn() -> T) -> LocalKey<T> {
        LocalKey { local, init }
    }

    /// Runs `f` with this thread's value, initialising it first if this thread has not used it.
    ///
    /// Panics if the value has been destroyed (in a destructor or an exit hook that runs after
    /// the value's destructor) or if its own initialiser uses it; `try_with` returns an error
    /// instead.
    #[track_caller]
    pub fn with<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&T) -> R,
    {
        match self.try_with(f) {
            Ok(r) => r,
            Err(e) => panic!("cannot access a thread_local! value: {e}"),
        }
    }

    /// Runs `f` with this thread's value, initialising it first if this thread has not used it;
    /// `Err(AccessError::Destroyed)` once its destructor has run on this thread,
    /// `Err(AccessError::Initializing)` from within its own initialiser.
    pub fn try_with<F, R>(&'static self, f: F) -> Result<R, AccessError>
    where
        F: FnOnce(&T) -> R,
    {
        // SAFETY: `local` gives a #[thread_local] static of this thread (`new`'s contract), which
        // lives as long as the thread; `f` cannot keep the borrow past this call.
        let v = unsafe { (*(self.local)()).get(self.init)? };
        Ok(f(v))
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey").finish_non_exhaustive()
    }
}

/// Declares thread-local values, like std's `thread_local!`:
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// use core::cell::Cell;
///
/// strand::thread_local! {
///     static COUNTER: Cell<u32> = Cell::new(0);
///     pub static LABEL: &'static str = "main";
/// }
///
/// # fn main() {
/// COUNTER.with(|c| c.set(c.get() + 1));
/// COUNTER.with(|c| c.set(c.get() + 1));
/// // Another thread starts from the initialiser, with a value of its own.
/// let h = strand::thread::spawn(|| COUNTER.with(|c| { c.set(c.get() + 10); c.get() })).unwrap();
/// assert_eq!(h.join().ok(), Some(10));
/// assert_eq!(COUNTER.with(|c| c.get()), 2);
/// assert_eq!(LABEL.with(|l| *l), "main");
/// # }
/// ```
///
/// Each thread's value is created by the initialiser on its first access (`with`, `try_with`)
/// and, if the type needs dropping, dropped when the thread ends, newest first with the other
/// exit hooks (see `thread::exit_hooks`). The expansion uses `#[thread_local]`, which the
/// macro is allowed to use on its own: the user's crate needs no feature of its own.
#[macro_export]
#[allow_internal_unstable(thread_local)]
macro_rules! thread_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr; $($rest:tt)*) => {
        $crate::thread_local!($(#[$attr])* $vis static $name: $t = $init);
        $crate::thread_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr) => {
        $(#[$attr])*
        $vis const $name: $crate::thread::LocalKey<$t> = {
            #[thread_local]
            static LOCAL: $crate::thread::__Local<$t> = $crate::thread::__Local::new();
            fn local() -> *const $crate::thread::__Local<$t> {
                &raw const LOCAL
            }
            fn init() -> $t {
                $init
            }
            // SAFETY: `local` returns the address of this thread's copy of a #[thread_local]
            // static.
            unsafe { $crate::thread::LocalKey::new(local, init) }
        };
    };
}
