//! The `serial` transport on a real PTY pair: the master end as the simulator opens it
//! (`path = "pty"`), the slave end through tokio-serial as the gateway opens a tty.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use sipt_codecs::hdlc;
use sipt_hardware::{
    Connector, FrameRx, FrameTx, Pace, Pty, Received, RxError, Stats, Transport, TransportConfig,
    TransportKind,
};
use tokio::io::AsyncWriteExt;

fn serial(path: &str) -> TransportConfig {
    let mut c = TransportConfig::new(TransportKind::Serial, path);
    c.backoff.initial_ms = 5;
    c.backoff.max_ms = 20;
    c
}

/// A connected pair: (master end made by a `pty` connector, slave end opened by path).
async fn pty_pair(master_config: TransportConfig) -> (Connector, Transport, Transport) {
    let mut master = Connector::new(&master_config).unwrap_or_else(|e| panic!("{e}"));
    let slave_path = master
        .pty_path()
        .unwrap_or_else(|| panic!("no pty path"))
        .to_string_lossy()
        .into_owned();
    let a = within("open master", master.connect())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut slave = Connector::new(&serial(&slave_path)).unwrap_or_else(|e| panic!("{e}"));
    let b = within("open slave", slave.connect())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (master, a, b)
}

async fn send_all(tx: &mut FrameTx, seed: usize) {
    for len in 0..=279 {
        tx.send_frame(&payload(len, seed))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // All 256 octet values in one frame.
    let all: Vec<u8> = (0..=255).collect();
    tx.send_frame(&all).await.unwrap_or_else(|e| panic!("{e}"));
}

async fn recv_all(rx: &mut FrameRx, seed: usize) {
    for len in 0..=279 {
        match rx.recv_frame().await {
            Ok(Received::Frame(f)) => assert_eq!(f, payload(len, seed), "len {len}"),
            other => panic!("len {len}: {other:?}"),
        }
    }
    let all: Vec<u8> = (0..=255).collect();
    match rx.recv_frame().await {
        Ok(Received::Frame(f)) => assert_eq!(f, all),
        other => panic!("all octets: {other:?}"),
    }
}

/// Frames of every length 0..=279 and every octet value (0x7E and 0x7D included) cross a PTY
/// both ways at once, unchanged, in order.
#[tokio::test]
async fn pty_pair_every_length_and_octet_both_ways() {
    let (_master, a, b) = pty_pair(serial("pty")).await;
    let (sa, sb) = (a.stats().clone(), b.stats().clone());
    let (mut a_rx, mut a_tx) = a.split();
    let (mut b_rx, mut b_tx) = b.split();
    within("exchange", async {
        tokio::join!(
            send_all(&mut a_tx, 5),
            send_all(&mut b_tx, 6),
            recv_all(&mut b_rx, 5),
            recv_all(&mut a_rx, 6)
        )
    })
    .await;
    let (sa, sb) = (sa.snapshot(), sb.snapshot());
    for s in [&sa, &sb] {
        assert_eq!((s.frames_in, s.frames_out), (281, 281));
        assert_eq!(s.octets_out, (0..=279).sum::<u64>() + 256);
        assert_eq!((s.fcs_errors, s.aborts, s.too_long, s.runts), (0, 0, 0, 0));
    }
    // Every octet written arrived: flags, stuffing and FCS included.
    assert_eq!(sa.line_octets_out, sb.line_octets_in);
    assert_eq!(sb.line_octets_out, sa.line_octets_in);
}

/// Octets corrupted on the line: every frame hit is counted as an FCS error and dropped, the
/// others arrive; aborts, over-long frames and runts are counted and reported in order.
#[tokio::test]
async fn line_errors_are_counted_and_dropped() {
    let pty = Pty::open().unwrap_or_else(|e| panic!("{e}"));
    let mut line = pty.master_io().unwrap_or_else(|e| panic!("{e}"));
    let path = pty.slave_path().to_string_lossy().into_owned();
    let mut rx_end = Connector::new(&serial(&path)).unwrap_or_else(|e| panic!("{e}"));
    let mut t = within("open", rx_end.connect())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let stats: Arc<Stats> = t.stats().clone();

    let good = |n: u8| vec![0x81, 0x82, 0x04, n, 0x7e, 0x7d];
    let mut wire = vec![0x55, 0xaa]; // noise before the first flag
    let mut want = Vec::new();
    let mut corrupted = 0u64;
    // 100 frames; every third has one bit flipped in a payload octet that is neither a flag
    // nor an escape, before or after flipping (so the framing is untouched).
    for n in 0..100u8 {
        let mut f = Vec::new();
        hdlc::encode_frame(&good(n), &mut f);
        if n % 3 == 0 {
            let bit = 1u8 << (n % 8);
            let at = (1..f.len() - 1)
                .find(|&i| {
                    let (o, x) = (f[i], f[i] ^ bit);
                    ![0x7e, 0x7d].contains(&o) && ![0x7e, 0x7d].contains(&x) && f[i - 1] != 0x7d
                })
                .unwrap_or_else(|| panic!("no octet to corrupt in {f:02x?}"));
            f[at] ^= bit;
            corrupted += 1;
            want.push(Received::Error(RxError::BadFcs));
        } else {
            want.push(Received::Frame(good(n)));
        }
        wire.extend_from_slice(&f);
    }
    // An aborted frame: escape then flag (RFC 1662 4.4.1).
    wire.extend_from_slice(&[0x7e, 0x81, 0x82, 0x7d, 0x7e]);
    want.push(Received::Error(RxError::Abort));
    // An over-long frame: 300 octets, then the octets up to its closing flag are discarded.
    let mut long = Vec::new();
    hdlc::encode_frame(&[0x11; 300], &mut long);
    wire.extend_from_slice(&long);
    want.push(Received::Error(RxError::TooLong));
    // A runt: one octet between flags.
    wire.extend_from_slice(&[0x7e, 0x42, 0x7e]);
    // And a good frame to end with.
    hdlc::encode_frame(&good(200), &mut wire);

    within("write", line.write_all(&wire))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut got = Vec::new();
    let mut discarded = 0u32;
    loop {
        match within("recv", t.recv_frame()).await {
            Ok(Received::Error(RxError::OctetCounting { octets })) => discarded += octets,
            Ok(Received::Frame(f)) if f == good(200) => break,
            Ok(r) => got.push(r),
            Err(e) => panic!("{e}"),
        }
    }
    want.push(Received::Error(RxError::Runt));
    assert_eq!(got, want);
    // 300 payload + 2 FCS octets (0x11 needs no escape; the FCS may), the first 283 taken
    // before the limit (280 + 2) was passed.
    assert!(
        (19..=21).contains(&discarded),
        "{discarded} octets discarded"
    );
    let s = stats.snapshot();
    assert_eq!(s.fcs_errors, corrupted);
    assert_eq!(s.frames_in, 100 - corrupted + 1);
    assert_eq!((s.aborts, s.too_long, s.runts), (1, 1, 1));
    assert_eq!(s.octets_discarded, u64::from(discarded));
    assert_eq!(s.line_octets_in, u64::try_from(wire.len()).unwrap_or(0));
}

/// The pacer holds a PTY to the configured rate: a synchronous line at 800 kbit/s (100 000
/// octets/s) carries ~0.7 s of frames, measured where they arrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacing_holds_the_line_rate() {
    const BAUD: u32 = 800_000;
    let rate = f64::from(Pace::Sync.octets_per_second(BAUD).unwrap_or(1));
    let mut config = serial("pty");
    config.baud = Some(BAUD);
    config.pace = Pace::Sync;
    let (_master, a, b) = pty_pair(config).await;
    let (_a_rx, mut a_tx) = a.split();
    let rx_stats = b.stats().clone();
    let (mut b_rx, _b_tx) = b.split();
    const FRAMES: usize = 280;
    let frame = vec![0x11; 250]; // 254 line octets, 253 once flags are shared
    let sender = tokio::spawn(async move {
        for _ in 0..FRAMES {
            a_tx.send_frame(&frame)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
    });
    // Time from the first frame's arrival to the last's: the line octets in between, all but
    // the first frame's, were paced.
    let mut first = None;
    let mut octets_at_first = 0;
    for _ in 0..FRAMES {
        match within("recv", b_rx.recv_frame()).await {
            Ok(Received::Frame(_)) => {}
            other => panic!("{other:?}"),
        }
        if first.is_none() {
            first = Some(std::time::Instant::now());
            octets_at_first = rx_stats.snapshot().line_octets_in;
        }
    }
    let elapsed = first.map(|t| t.elapsed()).unwrap_or_default();
    within("sender", sender)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let octets = rx_stats.snapshot().line_octets_in - octets_at_first;
    let measured = octets as f64 / elapsed.as_secs_f64();
    eprintln!("{octets} octets in {elapsed:?}: {measured:.0} octets/s, configured {rate}");
    assert!(elapsed > Duration::from_millis(600), "{elapsed:?}");
    assert!(
        (measured / rate - 1.0).abs() < 0.05,
        "measured {measured:.0} octets/s, configured {rate}"
    );
}
