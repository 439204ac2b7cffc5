//! Basic error correction (Q.703 5): acknowledgements, retransmission after a loss, exactly
//! once and in order under random loss and damage, T7, abnormal BSN and FIB.

use std::time::Duration;

use crate::pair::{is_msu, msu, Dir, Fate, Pair, Rng, TxMode};
use sipt_mgc::ss7::l2::{L2ToL3, L3ToL2, OutOfServiceReason};
use sipt_mgc::ss7::mtp2::{LinkState, Mtp2Config};

/// Whether `needle` appears in `hay` in order (not necessarily next to each other).
pub fn subsequence(hay: &[String], needle: &[&str]) -> bool {
    let mut it = hay.iter();
    needle.iter().all(|n| it.any(|h| h == n))
}

fn send(p: &mut Pair, side: &str, from: u8, range: std::ops::Range<u32>) -> Vec<Vec<u8>> {
    let now = p.time;
    let msgs: Vec<Vec<u8>> = range.map(|n| msu(from, n)).collect();
    for m in &msgs {
        p.side(side).l3(now, L3ToL2::Message(m.clone()));
    }
    msgs
}

#[test]
fn a_lost_msu_is_asked_for_and_retransmitted() {
    let mut p = Pair::default_itu();
    p.align();
    // The second MSU from A (FSN 1) is lost.
    let mut msus = 0;
    p.fate = Box::new(move |dir, _, octets| {
        if dir == Dir::AtoB && is_msu(octets) {
            msus += 1;
            if msus == 2 {
                return Fate::Lose;
            }
        }
        Fate::Deliver
    });
    let sent = send(&mut p, "A", 0, 0..4);
    p.run_for(Duration::from_millis(100));
    println!("{}", p.ladder());
    assert_eq!(p.b.received, sent);
    let shape = p.ladder_shape();
    assert!(
        subsequence(
            &shape,
            &[
                "A->B MSU 127+/0+",
                "A->B MSU 127+/1+ lost",
                "A->B MSU 127+/2+",
                // B: FSN 2 is not the expected 1: BSN 0, BIB inverted (negative ack).
                "B->A FISU 0-/127+",
                // A: retransmission from FSN 1 with the FIB inverted too.
                "A->B MSU 127+/1-",
                "A->B MSU 127+/2-",
                "A->B MSU 127+/3-",
                "B->A FISU 3-/127+",
            ]
        ),
        "{shape:#?}"
    );
    assert_eq!(p.b.mtp2.stats().negative_acks_sent, 1);
    assert_eq!(p.a.mtp2.stats().negative_acks_received, 1);
    assert!(p.a.mtp2.stats().msus_retransmitted >= 1);
    assert_eq!(p.a.mtp2.retransmission_buffer_len(), 0);
}

#[test]
fn the_last_msu_lost_is_noticed_from_the_fisus_fsn() {
    let mut p = Pair::default_itu();
    p.align();
    p.fate = Box::new(|dir, _, octets| {
        if dir == Dir::AtoB && is_msu(octets) {
            Fate::Lose
        } else {
            Fate::Deliver
        }
    });
    let sent = send(&mut p, "A", 0, 0..1);
    p.run_for(Duration::from_millis(10));
    p.fate = Box::new(|_, _, _| Fate::Deliver);
    p.run_for(Duration::from_millis(20));
    println!("{}", p.ladder());
    assert_eq!(p.b.received, sent);
    assert!(subsequence(
        &p.ladder_shape(),
        &[
            "A->B MSU 127+/0+ lost",
            "A->B FISU 127+/0+",
            "B->A FISU 127-/127+",
            "A->B MSU 127+/0-",
            "B->A FISU 0-/127+",
        ]
    ));
}

fn exactly_once_with_faults(mode: TxMode, seed: u64) {
    let mut p = Pair::default_itu();
    p.a.mode = mode;
    p.b.mode = mode;
    p.ladder_msus = false;
    p.align();
    // 3% of units lost, 0.1% damaged, each way (the SUERM allows up to 1 in 256 damaged).
    let mut rng = Rng(seed);
    p.fate = Box::new(move |_, _, _| {
        if rng.chance(30_000) {
            Fate::Lose
        } else if rng.chance(1_000) {
            Fate::Corrupt
        } else {
            Fate::Deliver
        }
    });
    let from_a = send(&mut p, "A", 0, 0..1000);
    let from_b = send(&mut p, "B", 1, 0..1000);
    assert!(
        p.run_until_cond(Duration::from_secs(120), |p| {
            p.a.received.len() == 1000 && p.b.received.len() == 1000
        }),
        "A got {}, B got {}; {:?} {:?}",
        p.a.received.len(),
        p.b.received.len(),
        p.a.events.iter().rev().take(3).collect::<Vec<_>>(),
        p.b.events.iter().rev().take(3).collect::<Vec<_>>()
    );
    assert_eq!(p.b.received, from_a);
    assert_eq!(p.a.received, from_b);
    assert_eq!(p.a.state(), LinkState::InService);
    assert_eq!(p.b.state(), LinkState::InService);
    let (a, b) = (p.a.mtp2.stats(), p.b.mtp2.stats());
    assert_eq!(a.msus_sent, 1000);
    assert_eq!(b.msus_received, 1000);
    assert!(a.msus_retransmitted > 0 && b.msus_retransmitted > 0);
    assert!(a.su_in_error > 0 || b.su_in_error > 0);
    assert_eq!(a.link_failures + b.link_failures, 0);
    println!(
        "{mode:?}: {:.1} s, A: {a:?}\nB: {b:?}",
        p.time.as_nanos() as f64 / 1e9
    );
}

#[test]
fn a_thousand_msus_each_way_exactly_once_in_order_on_a_lossy_serial_line() {
    exactly_once_with_faults(TxMode::Serial, 1);
}

#[test]
fn a_thousand_msus_each_way_exactly_once_in_order_on_a_lossy_frames_link() {
    exactly_once_with_faults(
        TxMode::Frames {
            fill_interval: Duration::from_millis(20),
        },
        2,
    );
}

#[test]
fn at_most_127_msus_are_outstanding() {
    let mut p = Pair::default_itu();
    p.align();
    // B acknowledges nothing (its BSN stays 127) but is otherwise well: A stops at 127.
    p.rewrite = Some(Box::new(|dir, octets| {
        if dir == Dir::BtoA {
            if let Some(b) = octets.get_mut(0) {
                *b |= 0x7f;
            }
        }
    }));
    send(&mut p, "A", 0, 0..200);
    p.run_for(Duration::from_millis(900));
    assert_eq!(p.a.mtp2.retransmission_buffer_len(), 127);
    assert_eq!(p.a.mtp2.transmission_buffer_len(), 73);
    assert_eq!(p.a.mtp2.stats().msus_sent, 127);
    assert!(!p.a.mtp2.has_pending_msu());
    // 200 buffered is below the transmit congestion onset (256).
    assert!(p
        .a
        .events
        .iter()
        .all(|(_, e)| *e != L2ToL3::Congestion(true)));
}

#[test]
fn t7_fails_the_link_when_the_far_end_never_acknowledges() {
    let mut p = Pair::default_itu();
    p.align();
    p.rewrite = Some(Box::new(|dir, octets| {
        if dir == Dir::BtoA {
            if let Some(b) = octets.get_mut(0) {
                *b |= 0x7f;
            }
        }
    }));
    let t0 = p.time;
    send(&mut p, "A", 0, 0..3);
    assert!(p.run_until_cond(Duration::from_secs(3), |p| p.a.state()
        == LinkState::OutOfService));
    println!("{}", p.ladder());
    let down =
        p.a.times_of(&L2ToL3::OutOfService(OutOfServiceReason::T7Expired));
    assert_eq!(down.len(), 1);
    // T7 from the first MSU sent (a few ms after t0).
    let t7 = Mtp2Config::default().t7;
    assert!(down[0] - t0 >= t7 && down[0] - t0 < t7 + Duration::from_millis(5));
    // The far end sees SIOS.
    p.run_for(Duration::from_millis(10));
    assert_eq!(
        p.b.times_of(&L2ToL3::OutOfService(OutOfServiceReason::ReceivedSios))
            .len(),
        1
    );
}

#[test]
fn two_abnormal_bsns_in_three_fail_the_link() {
    let mut p = Pair::default_itu();
    p.align();
    // B's units 10 and 12 (counting from now) carry a BSN A never sent (64).
    let mut n = 0;
    p.rewrite = Some(Box::new(move |dir, octets| {
        if dir == Dir::BtoA {
            n += 1;
            if n == 10 || n == 12 {
                octets[0] = (octets[0] & 0x80) | 64;
            }
        }
    }));
    p.run_for(Duration::from_millis(30));
    println!("{}", p.ladder());
    assert_eq!(
        p.a.times_of(&L2ToL3::OutOfService(OutOfServiceReason::AbnormalSequence))
            .len(),
        1
    );
}

#[test]
fn one_abnormal_bsn_alone_is_dropped() {
    let mut p = Pair::default_itu();
    p.align();
    let mut n = 0;
    p.rewrite = Some(Box::new(move |dir, octets| {
        if dir == Dir::BtoA {
            n += 1;
            if n == 10 || n == 13 {
                octets[0] = (octets[0] & 0x80) | 64;
            }
        }
    }));
    let sent = send(&mut p, "A", 0, 0..5);
    p.run_for(Duration::from_millis(100));
    assert_eq!(p.b.received, sent);
    assert_eq!(p.a.state(), LinkState::InService);
}

#[test]
fn two_abnormal_fibs_in_three_fail_the_link() {
    let mut p = Pair::default_itu();
    p.align();
    // B's FIB inverted on units 10 and 11, with no negative acknowledgement from A.
    let mut n = 0;
    p.rewrite = Some(Box::new(move |dir, octets| {
        if dir == Dir::BtoA {
            n += 1;
            if n == 10 || n == 11 {
                octets[1] ^= 0x80;
            }
        }
    }));
    p.run_for(Duration::from_millis(30));
    assert_eq!(
        p.a.times_of(&L2ToL3::OutOfService(OutOfServiceReason::AbnormalSequence))
            .len(),
        1
    );
}

#[test]
fn frames_shell_sends_only_news_and_the_fill_in() {
    let mut p = Pair::default_itu();
    let fill = Duration::from_millis(50);
    p.a.mode = TxMode::Frames {
        fill_interval: fill,
    };
    p.b.mode = TxMode::Frames {
        fill_interval: fill,
    };
    p.a.emergency = true;
    p.align();
    let (a0, b0) = (p.a.units_sent, p.b.units_sent);
    p.run_for(Duration::from_secs(1));
    // In service and idle: one FISU per fill interval.
    assert!(p.a.units_sent - a0 <= 21 && p.b.units_sent - b0 <= 21);
    assert!(!p.a.mtp2.needs_immediate_transmit());
    let sent = send(&mut p, "A", 0, 0..10);
    assert!(p.a.mtp2.needs_immediate_transmit() && p.a.mtp2.has_pending_msu());
    p.run_for(Duration::from_millis(100));
    assert_eq!(p.b.received, sent);
}

#[test]
fn bad_messages_from_level_3_are_refused() {
    let mut p = Pair::default_itu();
    let now = p.time;
    for len in [0, 1, 2, 274, 1000] {
        assert!(p
            .a
            .mtp2
            .handle_l3(now, L3ToL2::Message(vec![0; len]))
            .is_err());
    }
    for len in [3, 62, 63, 273] {
        assert!(p
            .a
            .mtp2
            .handle_l3(now, L3ToL2::Message(vec![0; len]))
            .is_ok());
    }
}

#[test]
fn long_msus_carry_li_63() {
    let mut p = Pair::default_itu();
    p.a.emergency = true;
    p.align();
    let now = p.time;
    let sent: Vec<Vec<u8>> = [3usize, 62, 63, 64, 200, 273]
        .iter()
        .map(|&len| (0..len).map(|i| i as u8).collect())
        .collect();
    for m in &sent {
        p.a.l3(now, L3ToL2::Message(m.clone()));
    }
    p.run_for(Duration::from_millis(200));
    assert_eq!(p.b.received, sent);
}
