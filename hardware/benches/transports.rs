//! Frames per second through each transport on loopback: `frames` on a socketpair, `serial`
//! on a PTY pair (unpaced), and the reconnecting `Link` over `unix-listen:`/`unix:`.
//!
//! Each measurement sends `iters` frames of 48 octets (an MSU carrying a short ISUP message)
//! from one end while the other receives them, on one current-thread runtime.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sipt_hardware::{
    Backoff, Connector, Link, LinkEvent, Received, Transport, TransportConfig, TransportKind,
};
use tokio::runtime::Runtime;

const FRAME: [u8; 48] = [0x5a; 48];

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Sends `n` frames on `a` while `b` receives them; the time taken.
async fn pump(a: &mut Transport, b: &mut Transport, n: u64) -> Duration {
    let start = Instant::now();
    let send = async {
        for _ in 0..n {
            a.send_frame(&FRAME).await.unwrap_or_else(|e| panic!("{e}"));
        }
    };
    let recv = async {
        for _ in 0..n {
            match b.recv_frame().await {
                Ok(Received::Frame(_)) => {}
                other => panic!("{other:?}"),
            }
        }
    };
    tokio::join!(send, recv);
    start.elapsed()
}

fn frames_socketpair(c: &mut Criterion) {
    let rt = runtime();
    let (mut a, mut b) = rt
        .block_on(async { Transport::seqpacket_pair(280) })
        .unwrap_or_else(|e| panic!("{e}"));
    let mut g = c.benchmark_group("transport");
    g.throughput(Throughput::Elements(1));
    g.bench_function("frames_socketpair", |bench| {
        bench.iter_custom(|iters| rt.block_on(pump(&mut a, &mut b, iters)))
    });
    g.finish();
}

fn serial_pty(c: &mut Criterion) {
    let rt = runtime();
    let (_master, mut a, mut b) = rt.block_on(async {
        let mut master = Connector::new(&TransportConfig::new(TransportKind::Serial, "pty"))
            .unwrap_or_else(|e| panic!("{e}"));
        let path = master
            .pty_path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let a = master.connect().await.unwrap_or_else(|e| panic!("{e}"));
        let mut slave = Connector::new(&TransportConfig::new(TransportKind::Serial, path))
            .unwrap_or_else(|e| panic!("{e}"));
        let b = slave.connect().await.unwrap_or_else(|e| panic!("{e}"));
        (master, a, b)
    });
    let mut g = c.benchmark_group("transport");
    g.throughput(Throughput::Elements(1));
    g.bench_function("serial_pty", |bench| {
        bench.iter_custom(|iters| rt.block_on(pump(&mut a, &mut b, iters)))
    });
    g.finish();
}

fn link_unix(c: &mut Criterion) {
    let rt = runtime();
    let path = std::env::temp_dir().join(format!("sipt-hw-bench-{}.sock", std::process::id()));
    let (mut server, client) = rt.block_on(async {
        let mut cfg = TransportConfig::new(
            TransportKind::Frames,
            format!("unix-listen:{}", path.display()),
        );
        cfg.backoff = Backoff::default();
        let mut server = Link::spawn(&cfg).unwrap_or_else(|e| panic!("{e}"));
        cfg.path = format!("unix:{}", path.display());
        let mut client = Link::spawn(&cfg).unwrap_or_else(|e| panic!("{e}"));
        for l in [&mut server, &mut client] {
            match l.recv().await {
                Some(LinkEvent::Established) => {}
                other => panic!("{other:?}"),
            }
        }
        (server, client)
    });
    let mut g = c.benchmark_group("transport");
    g.throughput(Throughput::Elements(1));
    g.bench_function("link_unix", |bench| {
        bench.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                let sender = client.sender();
                let send = async {
                    for _ in 0..iters {
                        sender
                            .send_frame(FRAME.to_vec())
                            .await
                            .unwrap_or_else(|e| panic!("{e}"));
                    }
                };
                let recv = async {
                    for _ in 0..iters {
                        match server.recv().await {
                            Some(LinkEvent::Frame(_)) => {}
                            other => panic!("{other:?}"),
                        }
                    }
                };
                tokio::join!(send, recv);
                start.elapsed()
            })
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = frames_socketpair, serial_pty, link_unix
}
criterion_main!(benches);
