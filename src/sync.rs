//! Locking shared tables that a panic cannot leave half-changed.

use std::sync::{Mutex, MutexGuard};

/// Lock `m`, using it even if a thread panicked while holding it. Every
/// mutex locked through this guards a table whose critical sections are a
/// single insert, remove or counter change (maildrop locks and size
/// counts, the failure budget, connections per address), so a panic cannot
/// leave it in a state worse than one change missing; refusing every later
/// login because of one panic would be worse.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
