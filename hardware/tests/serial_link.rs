//! A `serial` Link over a PTY losing its far end. In a test binary of its own: once the PTY
//! is closed its `/dev/pts/N` may be handed to the next PTY opened, and the retrying end must
//! not find another test's PTY there.

mod common;

use std::time::Duration;

use common::*;
use sipt_hardware::{Link, LinkEvent, TransportConfig, TransportKind};

fn serial(path: &str) -> TransportConfig {
    let mut c = TransportConfig::new(TransportKind::Serial, path);
    c.backoff.initial_ms = 5;
    c.backoff.max_ms = 20;
    c
}

/// Two Links over a PTY: the simulator's `pty` end and the gateway's tty end exchange frames;
/// when the PTY goes away the tty end reports the loss and keeps retrying.
#[tokio::test]
async fn links_over_a_pty() {
    let mut sim = Link::spawn(&serial("pty")).unwrap_or_else(|e| panic!("{e}"));
    let path = sim
        .pty_path()
        .unwrap_or_else(|| panic!("no pty path"))
        .to_string_lossy()
        .into_owned();
    let mut gw = Link::spawn(&serial(&path)).unwrap_or_else(|e| panic!("{e}"));
    established(&mut sim).await;
    established(&mut gw).await;
    for i in 0..10 {
        within("send", sim.send_frame(payload(i * 20, 7)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        within("send", gw.send_frame(payload(i * 25, 8)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for i in 0..10 {
        assert_eq!(frame(&mut gw).await, payload(i * 20, 7));
        assert_eq!(frame(&mut sim).await, payload(i * 25, 8));
    }
    drop(sim);
    match next(&mut gw).await {
        LinkEvent::Lost(_) => {}
        other => panic!("expected Lost, got {other:?}"),
    }
    within("a failed attempt", async {
        while gw.stats().snapshot().connect_failures == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    let s = gw.stats().snapshot();
    assert_eq!((s.connects, s.losses, s.connected), (1, 1, false));
    assert!(s.connect_failures >= 1 && s.last_error.is_some(), "{s:?}");
}
