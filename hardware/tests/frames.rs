//! The `frames` transport on real sockets: a socketpair, and `unix-listen:`/`unix:` through the
//! real paths, with the peer going away and coming back.

mod common;

use std::sync::Arc;

use common::*;
use sipt_codecs::hdlc;
use sipt_hardware::seqpacket::SeqpacketSocket;
use sipt_hardware::{
    Backoff, Link, LinkEvent, Received, RxError, Stats, Transport, TransportConfig, TransportKind,
};

fn quick_backoff() -> Backoff {
    Backoff {
        initial_ms: 5,
        max_ms: 20,
        reset_after_ms: 50,
    }
}

fn config(path: String) -> TransportConfig {
    let mut c = TransportConfig::new(TransportKind::Frames, path);
    c.backoff = quick_backoff();
    c
}

/// A raw peer writes frames as libpri (FCS `00 00`) and libss7 (2 octets of whatever) do; the
/// transport passes up the frame without them. What the transport writes carries a correct
/// FCS-16.
#[tokio::test]
async fn foreign_fcs_octets_are_ignored_and_ours_are_correct() {
    let (a, raw) = SeqpacketSocket::pair().unwrap_or_else(|e| panic!("{e}"));
    let stats = Arc::new(Stats::new());
    let mut t = Transport::seqpacket(a, 280, stats.clone());

    // A Q.921 SABME as libpri writes it: address 0x00 0x01, control 0x7F, FCS 00 00.
    let sabme = [0x00, 0x01, 0x7f];
    let mut wire = sabme.to_vec();
    wire.extend_from_slice(&[0x00, 0x00]);
    within("send", raw.send(&wire))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // An MTP2 FISU as libss7 writes it: BSN/BIB, FSN/FIB, LI = 0, then 2 unfilled octets.
    let fisu = [0xff, 0xff, 0x00];
    let mut wire = fisu.to_vec();
    wire.extend_from_slice(&[0xa5, 0x5a]);
    within("send", raw.send(&wire))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // A read shorter than an FCS, and one longer than the maximum.
    within("send", raw.send(&[0x01]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    within("send", raw.send(&[0x02; 400]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The longest frame still fits.
    within("send", raw.send(&[0x03; 282]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let mut got = Vec::new();
    for _ in 0..5 {
        got.push(
            within("recv", t.recv_frame())
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    assert_eq!(
        got,
        [
            Received::Frame(sabme.to_vec()),
            Received::Frame(fisu.to_vec()),
            Received::Error(RxError::Runt),
            Received::Error(RxError::TooLong),
            Received::Frame(vec![0x03; 280]),
        ]
    );

    let msu = [0x81, 0x82, 0x05, 0x85, 1, 2, 3, 4, 5];
    within("send", t.send_frame(&msu))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut buf = [0u8; 512];
    let n = within("recv", raw.recv(&mut buf))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let read = &buf[..n];
    assert_eq!(&read[..msu.len()], msu);
    assert_eq!(n, msu.len() + 2);
    assert!(hdlc::fcs_ok(read), "FCS of {read:02x?}");

    // Too long to send: refused, nothing written, still usable.
    let refused = t.send_frame(&[0; 281]).await;
    assert!(matches!(
        refused,
        Err(sipt_hardware::Error::FrameTooLong { len: 281, max: 280 })
    ));
    within("send", t.send_frame(&[]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let n = within("recv", raw.recv(&mut buf))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(&buf[..n], [0x00, 0x00]); // the FCS-16 of nothing

    let s = stats.snapshot();
    assert_eq!((s.frames_in, s.octets_in), (3, 3 + 3 + 280));
    assert_eq!((s.runts, s.too_long), (1, 1));
    assert_eq!((s.frames_out, s.octets_out, s.line_octets_out), (2, 9, 13));
    assert_eq!(s.line_octets_in, 5 + 5 + 1 + 400 + 282);

    // The peer goes away: end of file.
    drop(raw);
    let e = within("recv", t.recv_frame()).await;
    assert!(matches!(e, Err(sipt_hardware::Error::Closed)), "{e:?}");
}

async fn send_all(tx: &mut sipt_hardware::FrameTx, seed: usize) {
    for len in 0..=280 {
        tx.send_frame(&payload(len, seed))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

async fn recv_all(rx: &mut sipt_hardware::FrameRx, seed: usize) {
    for len in 0..=280 {
        match rx.recv_frame().await {
            Ok(Received::Frame(f)) => assert_eq!(f, payload(len, seed), "len {len}"),
            other => panic!("len {len}: {other:?}"),
        }
    }
}

/// Every length from 0 to the maximum and every octet value, both ways at once.
#[tokio::test]
async fn socketpair_every_length_both_ways() {
    let (a, b) = Transport::seqpacket_pair(280).unwrap_or_else(|e| panic!("{e}"));
    let (mut a_rx, mut a_tx) = a.split();
    let (mut b_rx, mut b_tx) = b.split();
    within("exchange", async {
        tokio::join!(
            send_all(&mut a_tx, 1),
            send_all(&mut b_tx, 2),
            recv_all(&mut b_rx, 1),
            recv_all(&mut a_rx, 2)
        )
    })
    .await;
}

/// `unix:` retries until `unix-listen:` exists; the listener serves a peer, loses it, accepts
/// the next; the client loses the listener and reconnects when it returns. Statistics count
/// all of it.
#[tokio::test]
async fn unix_listen_and_unix_reconnect() {
    let path = socket_path("reconnect");
    let listen_path = format!("unix-listen:{}", path.display());
    let connect_path = format!("unix:{}", path.display());

    // The client starts first: nothing listens yet.
    let mut client = Link::spawn(&config(connect_path.clone())).unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    assert!(!client.stats().snapshot().connected);
    assert!(client.stats().snapshot().connect_failures >= 1);
    assert!(client.stats().snapshot().last_error.is_some());

    let mut server = Link::spawn(&config(listen_path.clone())).unwrap_or_else(|e| panic!("{e}"));
    established(&mut client).await;
    established(&mut server).await;

    for i in 0..20 {
        within("send", client.send_frame(payload(10 + i, 3)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        within("send", server.send_frame(payload(20 + i, 4)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for i in 0..20 {
        assert_eq!(frame(&mut server).await, payload(10 + i, 3));
        assert_eq!(frame(&mut client).await, payload(20 + i, 4));
    }

    // The client goes away; the server loses it and accepts the next one.
    drop(client);
    match next(&mut server).await {
        LinkEvent::Lost(sipt_hardware::Error::Closed) => {}
        other => panic!("expected Lost(Closed), got {other:?}"),
    }
    let s = server.stats().snapshot();
    assert_eq!((s.connects, s.losses, s.connected), (1, 1, false));
    // Frames handed over while nobody is attached are dropped, not kept for the next peer.
    within("send", server.send_frame(vec![0xde, 0xad, 0x00]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let mut client = Link::spawn(&config(connect_path.clone())).unwrap_or_else(|e| panic!("{e}"));
    established(&mut client).await;
    established(&mut server).await;
    within("send", server.send_frame(vec![1, 2, 3]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(frame(&mut client).await, [1, 2, 3]);
    within("send", client.send_frame(vec![4, 5, 6]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(frame(&mut server).await, [4, 5, 6]);
    let s = server.stats().snapshot();
    assert_eq!((s.connects, s.reconnects, s.losses), (2, 1, 1));
    assert_eq!(s.frames_dropped_out, 1);
    assert_eq!(s.frames_in, 21);

    // Now the server goes away (its socket file with it); the client loses it, retries with
    // back-off, and reconnects when a server listens there again.
    drop(server);
    match next(&mut client).await {
        LinkEvent::Lost(_) => {}
        other => panic!("expected Lost, got {other:?}"),
    }
    // (The client may first reach the dying listener's backlog and lose that connection
    // too.) Wait until it is down and has failed to connect twice, and drop what it said.
    within("retries", async {
        loop {
            let s = client.stats().snapshot();
            if !s.connected && s.connect_failures >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    })
    .await;
    while let Some(e) = client.try_recv() {
        assert!(
            matches!(e, LinkEvent::Lost(_) | LinkEvent::Established),
            "{e:?}"
        );
    }
    let mut server = Link::spawn(&config(listen_path)).unwrap_or_else(|e| panic!("{e}"));
    established(&mut client).await;
    established(&mut server).await;
    within("send", client.send_frame(vec![7, 8, 9]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(frame(&mut server).await, [7, 8, 9]);
    let c = client.stats().snapshot();
    assert_eq!(
        (c.connects, c.reconnects, c.losses, c.connected),
        (2, 1, 1, true)
    );
    drop(server);
    drop(client);
    gone(&path).await; // the listener removes its socket file
}

/// A second listener on a live path is refused; a stale socket file is replaced.
#[tokio::test]
async fn listener_path_in_use_and_stale() {
    let path = socket_path("inuse");
    let listen = format!("unix-listen:{}", path.display());
    let first = Link::spawn(&config(listen.clone())).unwrap_or_else(|e| panic!("{e}"));
    assert!(Link::spawn(&config(listen.clone())).is_err());
    drop(first);
    gone(&path).await;

    // A stale socket file: left by a process that died without removing it.
    let stale = std::os::unix::net::UnixListener::bind(&path).unwrap_or_else(|e| panic!("{e}"));
    drop(stale);
    assert!(path.exists());
    let mut server = Link::spawn(&config(listen)).unwrap_or_else(|e| panic!("{e}"));
    let mut client =
        Link::spawn(&config(format!("unix:{}", path.display()))).unwrap_or_else(|e| panic!("{e}"));
    established(&mut server).await;
    established(&mut client).await;
}

/// Through a `unix-listen:` Link, a raw peer's frames with libpri's and libss7's FCS octets
/// come up as frames and its malformed reads as error notices, in order.
#[tokio::test]
async fn link_passes_frames_and_error_notices() {
    let path = socket_path("notices");
    let mut server = Link::spawn(&config(format!("unix-listen:{}", path.display())))
        .unwrap_or_else(|e| panic!("{e}"));
    let raw = SeqpacketSocket::connect(&path).unwrap_or_else(|e| panic!("{e}"));
    established(&mut server).await;
    for wire in [
        &[0x02, 0x01, 0x7f, 0x00, 0x00][..],
        &[0x01],
        &[0x80, 0x80, 0x00, 0x12, 0x34],
    ] {
        within("send", raw.send(wire))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(frame(&mut server).await, [0x02, 0x01, 0x7f]);
    match next(&mut server).await {
        LinkEvent::RxError(RxError::Runt) => {}
        other => panic!("expected a runt notice, got {other:?}"),
    }
    assert_eq!(frame(&mut server).await, [0x80, 0x80, 0x00]);
    assert_eq!(server.stats().snapshot().runts, 1);
    // Refused before queueing: too long.
    assert!(matches!(
        server.send_frame(vec![0; 281]).await,
        Err(sipt_hardware::Error::FrameTooLong { .. })
    ));
    assert_eq!(
        server.sender().try_send_frame(vec![1, 2, 3]).ok(),
        Some(true)
    );
    let mut buf = [0u8; 64];
    let n = within("recv", raw.recv(&mut buf))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((n, &buf[..3]), (5, &[1u8, 2, 3][..]));
    assert!(hdlc::fcs_ok(&buf[..n]));
}

/// Back-off in simulated time: attempts at 0, 100, 300, 700, 1100 ms (immediate, then
/// doubling from 100 ms, bounded at 400 ms).
#[tokio::test(start_paused = true)]
async fn backoff_schedule_of_failed_attempts() {
    let path = socket_path("nobody");
    let mut c = TransportConfig::new(TransportKind::Frames, format!("unix:{}", path.display()));
    c.backoff = Backoff {
        initial_ms: 100,
        max_ms: 400,
        reset_after_ms: 1_000,
    };
    let t0 = tokio::time::Instant::now();
    let link = Link::spawn(&c).unwrap_or_else(|e| panic!("{e}"));
    let mut seen = Vec::new();
    for ms in [1, 99, 101, 299, 301, 699, 701, 1099, 1101, 1499, 1501] {
        tokio::time::sleep_until(t0 + std::time::Duration::from_millis(ms)).await;
        seen.push(link.stats().snapshot().connect_failures);
    }
    assert_eq!(seen, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
}

/// A DAHDI channel that cannot be opened (no card here) is a failed attempt, retried, with
/// the device and channel in the last error.
#[tokio::test]
async fn missing_dahdi_device_is_retried() {
    let c = config("/nonexistent/dahdi/channel:16".into());
    let link = Link::spawn(&c).unwrap_or_else(|e| panic!("{e}"));
    within("failures", async {
        while link.stats().snapshot().connect_failures < 2 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    })
    .await;
    let last = link.stats().snapshot().last_error.unwrap_or_default();
    assert!(last.contains("/nonexistent/dahdi/channel:16"), "{last}");
}
