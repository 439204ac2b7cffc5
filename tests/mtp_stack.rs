//! The real MTP2 and MTP3 together ([`sipt_mgc::ss7::stack::Mtp`]): two signalling points
//! joined by a linkset of two links, with simulated time and lines that carry signal units
//! after a transmission delay at 64 kbit/s. The links align, pass the link test, exchange
//! TRA; traffic on every SLS flows over both links; one link's line dies with messages in
//! flight, changeover moves its traffic to the other link with nothing lost, duplicated or
//! reordered; the line returns, the link realigns and changeback moves the traffic home.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use sipt_codecs::mtp3::{PointCode, ServiceIndicator};
use sipt_mgc::ss7::l2::LinkId;
use sipt_mgc::ss7::mtp2::Mtp2Config;
use sipt_mgc::ss7::mtp3::{self, ChangeoverKind, LinksetStatus, Mtp3Event, TransferRequest};
use sipt_mgc::ss7::stack::Mtp;
use sipt_mgc::time::Instant;

/// One direction of one link: units in flight with their arrival time.
#[derive(Default)]
struct Line {
    in_flight: VecDeque<(Instant, Vec<u8>)>,
    busy_until: Instant,
    last_sent: Instant,
    dead: bool,
}

/// Signal unit transmission time at 64 kbit/s, one flag per unit (Q.703 2.2).
fn tx_time(len: usize) -> Duration {
    Duration::from_micros(((len as u64 + 2 + 1) * 8 * 1_000_000) / 64_000)
}

const LATENCY: Duration = Duration::from_millis(2);
/// A `frames` shell sends a unit when it differs from the last one, else a fill-in this often.
const FILL_IN: Duration = Duration::from_millis(10);

struct World {
    now: Instant,
    sp: [Mtp; 2],
    /// lines[side][link]: from side to the other side.
    lines: [BTreeMap<LinkId, Line>; 2],
    received: [Vec<(u8, u32)>; 2],
    events: [Vec<Mtp3Event>; 2],
}

impl World {
    fn new() -> World {
        let make = |opc: u32, apc: u32| {
            Mtp::new(
                mtp3::Config::new(opc, apc, vec![0, 1]),
                Mtp2Config::default(),
            )
            .expect("valid config")
        };
        let lines = || {
            [(0, Line::default()), (1, Line::default())]
                .into_iter()
                .collect()
        };
        World {
            now: Instant::ZERO,
            sp: [make(1, 2), make(2, 1)],
            lines: [lines(), lines()],
            received: [Vec::new(), Vec::new()],
            events: [Vec::new(), Vec::new()],
        }
    }

    /// Advances simulated time by `d`, running the lines and the timers.
    fn run(&mut self, d: Duration) {
        let end = self.now + d;
        let mut buf = Vec::new();
        while self.now <= end {
            // deliver what has arrived
            for side in 0..2 {
                for link in [0u8, 1] {
                    loop {
                        let line = self.lines[side].get_mut(&link).expect("line");
                        match line.in_flight.front() {
                            Some((at, _)) if *at <= self.now => {
                                let (_, su) = line.in_flight.pop_front().expect("front");
                                self.sp[1 - side].handle_su(self.now, link, &su);
                            }
                            _ => break,
                        }
                    }
                }
            }
            for side in 0..2 {
                self.sp[side].handle_timeout(self.now);
            }
            // transmit where the line is free and there is something new (or fill-in is due)
            for side in 0..2 {
                for link in [0u8, 1] {
                    let now = self.now;
                    let due = {
                        let line = &self.lines[side][&link];
                        line.busy_until <= now
                            && (self.sp[side].needs_immediate_transmit(link)
                                || now >= line.last_sent + FILL_IN)
                    };
                    if due {
                        buf.clear();
                        if self.sp[side].poll_transmit(now, link, &mut buf) {
                            let line = self.lines[side].get_mut(&link).expect("line");
                            line.busy_until = now + tx_time(buf.len());
                            line.last_sent = now;
                            if !line.dead {
                                line.in_flight
                                    .push_back((line.busy_until + LATENCY, buf.clone()));
                            }
                        }
                    }
                }
            }
            for side in 0..2 {
                while let Some(e) = self.sp[side].poll_event() {
                    if let Mtp3Event::Transfer(t) = &e {
                        let seq = u32::from_be_bytes([
                            t.payload[2],
                            t.payload[3],
                            t.payload[4],
                            t.payload[5],
                        ]);
                        self.received[side].push((t.sls, seq));
                    } else {
                        self.events[side].push(e);
                    }
                }
            }
            self.now += Duration::from_micros(500);
        }
    }

    fn send(&mut self, side: usize, sls: u8, seq: u32) -> bool {
        // an ISUP-like payload: a CIC, then the sequence number
        let mut payload = vec![sls, 0];
        payload.extend_from_slice(&seq.to_be_bytes());
        self.sp[side]
            .transfer(
                self.now,
                TransferRequest::new(ServiceIndicator::Isup, sls, payload),
            )
            .is_ok()
    }

    fn set_dead(&mut self, link: LinkId, dead: bool) {
        for side in 0..2 {
            let line = self.lines[side].get_mut(&link).expect("line");
            line.dead = dead;
            if dead {
                line.in_flight.clear();
            }
        }
    }
}

fn resumed(events: &[Mtp3Event]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, Mtp3Event::Resume { dpc } if *dpc != PointCode(0)))
}

/// Per SLS, the sequence numbers received must be exactly those sent, in order.
fn check_exactly_once_in_order(received: &[(u8, u32)], sent: &BTreeMap<u8, Vec<u32>>) {
    let mut got: BTreeMap<u8, Vec<u32>> = BTreeMap::new();
    for &(sls, seq) in received {
        got.entry(sls).or_default().push(seq);
    }
    for (sls, want) in sent {
        assert_eq!(
            got.get(sls).map(Vec::as_slice).unwrap_or(&[]),
            want.as_slice(),
            "SLS {sls}: received differs from sent"
        );
    }
}

#[test]
fn a_two_link_linkset_survives_the_loss_of_one_link() {
    let mut w = World::new();
    for side in 0..2 {
        w.sp[side].start(w.now);
    }
    // Emergency proving (the only links), link test, TRA both ways.
    w.run(Duration::from_secs(5));
    assert!(
        resumed(&w.events[0]) && resumed(&w.events[1]),
        "{:?}",
        w.events
    );
    assert_eq!(w.sp[0].mtp3().linkset_status(), LinksetStatus::Available);

    // Traffic on all 16 SLSs both ways, 20 messages per SLS per 100 ms.
    let mut sent: [BTreeMap<u8, Vec<u32>>; 2] = [BTreeMap::new(), BTreeMap::new()];
    let mut seq = 0u32;
    let mut traffic = |w: &mut World, sent: &mut [BTreeMap<u8, Vec<u32>>; 2], rounds: u32| {
        for _ in 0..rounds {
            for (side, sent) in sent.iter_mut().enumerate() {
                for sls in 0..16u8 {
                    seq += 1;
                    assert!(w.send(side, sls, seq), "MTP refused traffic");
                    sent.entry(sls).or_default().push(seq);
                }
            }
            w.run(Duration::from_millis(100));
        }
    };
    traffic(&mut w, &mut sent, 10);
    // Both links carry traffic (SLS load sharing).
    for link in [0u8, 1] {
        let stats = w.sp[0].link(link).expect("link").stats();
        assert!(stats.msus_sent > 20, "link {link} carried {stats:?}");
    }

    // Link 0's line dies with traffic flowing; keep sending through the changeover.
    w.set_dead(0, true);
    traffic(&mut w, &mut sent, 30);
    // Changeover with buffer updating (COO/COA), the unacknowledged MSUs retrieved from
    // link 0's level 2 and sent on link 1.
    let retrieved: usize = w.events[0]
        .iter()
        .filter_map(|e| match e {
            Mtp3Event::ChangeoverComplete {
                link: 0,
                kind: ChangeoverKind::BufferUpdating { retrieved },
            } => Some(*retrieved),
            _ => None,
        })
        .sum();
    assert!(
        retrieved > 0,
        "no changeover retrieved MSUs from link 0: {:?}",
        w.events[0]
    );
    assert!(
        !w.events[0]
            .iter()
            .any(|e| matches!(e, Mtp3Event::Pause { .. })),
        "the destination must stay accessible over link 1"
    );
    w.run(Duration::from_secs(2));
    for (side, sent) in sent.iter().enumerate() {
        check_exactly_once_in_order(&w.received[1 - side], sent);
    }

    // The line returns: link 0 realigns (normal proving, 8.2 s), passes its test, and
    // changeback moves its traffic home.
    w.set_dead(0, false);
    w.run(Duration::from_secs(20));
    assert!(
        w.events[0]
            .iter()
            .any(|e| matches!(e, Mtp3Event::ChangebackComplete { link: 0, .. })),
        "no changeback to link 0: {:?}",
        w.events[0]
    );
    let before = w.sp[0].link(0).expect("link").stats().msus_sent;
    traffic(&mut w, &mut sent, 10);
    w.run(Duration::from_secs(1));
    assert!(w.sp[0].link(0).expect("link").stats().msus_sent > before + 20);
    for (side, sent) in sent.iter().enumerate() {
        check_exactly_once_in_order(&w.received[1 - side], sent);
    }
}
