//! The locks strand itself takes (the print lock, the thread registry, the stack cache, the
//! handler table, each control block's lock, the at-exit tables): a `Mutex` whose holder is in
//! a *no-suspend section* for as long as it holds it.
//!
//! A thread in such a section is neither stopped (`thread::stop_the_world`) nor interrupted
//! (`Thread::run_in`) until it leaves: the request is recorded and honoured at the section's
//! end (`thread::control`). So a stopping thread may print, spawn and join while the world is
//! stopped: no stopped thread holds a lock it needs. The section is entered before the lock is
//! taken and left after it is released, so a thread waiting for one of these locks is not
//! stopped while it waits either: whoever holds the lock can always finish.

use super::{Mutex, MutexGuard};
use crate::thread::control::{self, NoSuspend};
use core::ops::{Deref, DerefMut};

pub(crate) struct InternalMutex<T: ?Sized> {
    inner: Mutex<T>,
}

pub(crate) struct InternalGuard<'a, T: ?Sized> {
    // Fields drop in declaration order: the lock is released before the section ends.
    guard: MutexGuard<'a, T>,
    _section: NoSuspend,
}

impl<T> InternalMutex<T> {
    pub(crate) const fn new(value: T) -> InternalMutex<T> {
        InternalMutex { inner: Mutex::new(value) }
    }
}

impl<T: ?Sized> InternalMutex<T> {
    pub(crate) fn lock(&self) -> InternalGuard<'_, T> {
        let section = control::no_suspend();
        InternalGuard { guard: self.inner.lock(), _section: section }
    }
}

impl<T: ?Sized> Deref for InternalGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: ?Sized> DerefMut for InternalGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}
