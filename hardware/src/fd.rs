//! Registering owned descriptors with tokio's reactor.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// Types that own their descriptor: it is open while they live, closed when they drop, and
/// `as_raw_fd` always returns the same one.
pub(crate) trait OwnsFd: AsRawFd {}
impl OwnsFd for OwnedFd {}
impl OwnsFd for File {}

/// `AsyncFd::register_with_interest` for an owning type.
pub(crate) fn register<T: OwnsFd>(inner: T, interest: Interest) -> io::Result<AsyncFd<T>> {
    // SAFETY: `T` owns its descriptor (OwnsFd): it stays open and refers to the same open file
    // description until the AsyncFd drops `inner`, and this crate never swaps the inner value
    // (no get_mut / into_inner on these AsyncFds).
    Ok(unsafe { AsyncFd::register_with_interest(inner, interest) }?)
}

/// Registered for reads and writes.
pub(crate) fn register_rw<T: OwnsFd>(inner: T) -> io::Result<AsyncFd<T>> {
    register(inner, Interest::READABLE | Interest::WRITABLE)
}
