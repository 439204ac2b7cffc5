//! Helpers shared by the transport tests.
#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use sipt_hardware::{Link, LinkEvent};

/// How long any single step of a test may take before it is a failure rather than a hang.
pub const STEP: Duration = Duration::from_secs(5);

/// `fut`, or a panic naming `what` after [`STEP`].
pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(STEP, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out: {what}"),
    }
}

/// The next event of `link`.
pub async fn next(link: &mut Link) -> LinkEvent {
    match within("link event", link.recv()).await {
        Some(e) => e,
        None => panic!("link task stopped"),
    }
}

/// Skips events until `Established`.
pub async fn established(link: &mut Link) {
    loop {
        match next(link).await {
            LinkEvent::Established => return,
            LinkEvent::Lost(_) => {}
            other => panic!("expected Established, got {other:?}"),
        }
    }
}

/// The next frame of `link`, failing on anything else.
pub async fn frame(link: &mut Link) -> Vec<u8> {
    match next(link).await {
        LinkEvent::Frame(f) => f,
        other => panic!("expected a frame, got {other:?}"),
    }
}

/// A fresh socket path in the temporary directory.
pub fn socket_path(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("sipt-hw-{tag}-{}-{n}.sock", std::process::id()))
}

/// A payload of `len` octets; over the lengths used, every octet value appears, flag (0x7E)
/// and escape (0x7D) included.
pub fn payload(len: usize, seed: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from((i * 37 + seed * 11 + len) % 256).unwrap_or(0))
        .collect()
}

/// Waits until `path` no longer exists (a dropped Link's task closes its listener when the
/// runtime next runs it).
pub async fn gone(path: &std::path::Path) {
    within("socket file removed", async {
        while path.exists() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
}
