//! MTP3 scenarios between two signalling points (A = PC 1, B = PC 2) over a 2-link linkset
//! joined by the level 2 model of `mtp3_harness`, in simulated time: activation with link
//! test and TRA, SLS load sharing, changeover (COO/COA with retrieval, ECO), changeback
//! (CBD/CBA), link test failures, all links lost (MTP-PAUSE / MTP-RESUME).

mod mtp3_harness;

use std::time::Duration;

use mtp3_harness::*;
use sipt_codecs::mtp3::{PointCode, SnmMessage, UserPart};
use sipt_mgc::ss7::l2::{L3ToL2, OutOfServiceReason};
use sipt_mgc::ss7::mtp3::{
    ChangeoverKind, LinkFailure, LinkStatus, LinksetStatus, Mtp3Event, TransferError,
};

/// Both linksets up and carrying traffic.
fn up(links: &[u8]) -> Pair {
    let mut p = Pair::new(links);
    p.start();
    assert!(
        p.run_until_cond(Duration::from_secs(60), |p| both_available(p)
            && links.iter().all(|&l| p
                .sides
                .iter()
                .all(|m| m.link_status(l) == Some(LinkStatus::Available)))),
        "linkset did not come up: {:?}",
        p.events_of(A)
    );
    p
}

fn sends(p: &Pair, side: usize, name: &str) -> Vec<u8> {
    p.sent_names(side)
        .into_iter()
        .filter(|(_, n)| n == name)
        .map(|(l, _)| l)
        .collect()
}

fn snm_sent(p: &Pair, side: usize, f: impl Fn(&SnmMessage) -> bool) -> Vec<(u8, u8)> {
    p.sent
        .iter()
        .filter(|s| s.side == side)
        .filter_map(|s| match &s.msu.user_part {
            UserPart::Snm(m) if f(m) => Some((s.link, s.msu.label.sls)),
            _ => None,
        })
        .collect()
}

#[test]
fn linkset_comes_up_with_link_test_and_traffic_restart() {
    let mut p = Pair::new(&[0, 1]);
    p.start();
    // Q.704 12.2: with no link carrying traffic yet, both links align with emergency proving.
    for side in [A, B] {
        for slc in [0, 1] {
            let cmds: Vec<_> = p
                .commands
                .iter()
                .filter(|(_, s, l, _)| *s == side && *l == slc)
                .map(|(_, _, _, c)| c.clone())
                .collect();
            assert_eq!(cmds, vec![L3ToL2::Emergency, L3ToL2::Start]);
        }
    }
    assert!(p.run_until_cond(Duration::from_secs(30), both_available));
    // Emergency proving: in service after 0.5 s; SLTM/SLTA and TRA one line delay each.
    assert!(
        p.now < sipt_mgc::time::Instant::ZERO + mtp3_harness::PROVING_NORMAL,
        "up at {}",
        p.now
    );
    for side in [A, B] {
        let mut sltm = sends(&p, side, "SLTM");
        sltm.sort();
        assert_eq!(sltm, vec![0, 1], "{} sends one SLTM per link", NAMES[side]);
        let mut slta = sends(&p, side, "SLTA");
        slta.sort();
        assert_eq!(slta, vec![0, 1], "{} answers each SLTM", NAMES[side]);
        assert_eq!(sends(&p, side, "TRA").len(), 1);
        for slc in [0, 1] {
            let st = p.sides[side].link_stats(slc).unwrap();
            assert_eq!((st.sltm_tx, st.slt_passed, st.sltm_answered), (1, 1, 1));
        }
        assert_eq!(p.sides[side].stats().tra_rx, 1);
        assert_eq!(p.sides[side].stats().restarts, 1);
        assert!(p.has_event(side, |e| *e
            == Mtp3Event::Resume {
                dpc: PointCode(2 - side as u32)
            }));
    }
    // The second link passes its test while the first already carries traffic: it is
    // changed back to (its SLS values come home) unless the restart was still running.
    p.run_for(Duration::from_secs(1));
    for side in [A, B] {
        for sls in 0..16u8 {
            assert_eq!(p.sides[side].link_for_sls(sls), Some(sls % 2), "SLS {sls}");
        }
    }
    // SLS load sharing: even SLS on link 0, odd on link 1, in both directions.
    let mut t = Traffic::default();
    for _ in 0..10 {
        for sls in 0..16 {
            assert!(t.send(&mut p, A, sls));
            assert!(t.send(&mut p, B, sls));
        }
    }
    p.run_for(Duration::from_secs(2));
    let r = t.check(&p, |_, _| false).unwrap();
    assert_eq!(r.delivered, 320);
    for rx in [A, B] {
        for (_, ind) in &p.received[rx] {
            assert_eq!(
                ind.link,
                ind.sls % 2,
                "SLS {} on link {}",
                ind.sls,
                ind.link
            );
            assert_eq!(ind.opc, PointCode(2 - rx as u32));
        }
        for slc in [0, 1] {
            assert_eq!(p.sides[rx].link_stats(slc).unwrap().user_msu_tx, 80);
        }
    }
    assert!(p.anomalies().is_empty(), "{:?}", p.anomalies());
}

#[test]
fn one_link_linkset_uses_emergency_until_up_and_tests_periodically() {
    let mut p = up(&[5]);
    for side in [A, B] {
        assert_eq!(p.sides[side].linkset_status(), LinksetStatus::Available);
    }
    // Q.707 T2 (60 s): the test is repeated while the link is in service.
    p.run_for(Duration::from_secs(125));
    for side in [A, B] {
        let st = p.sides[side].link_stats(5).unwrap();
        assert_eq!(st.sltm_tx, 3, "{:?}", st);
        assert_eq!(st.slt_passed, 3);
    }
    assert!(p.anomalies().is_empty());
}

/// Keeps `per_sls` messages of every SLS flowing from both sides during `d`, one round every
/// `every`.
fn traffic_during(p: &mut Pair, t: &mut Traffic, d: Duration, every: Duration) {
    let end = p.now + d;
    while p.now < end {
        for sls in 0..16 {
            t.send(p, A, sls);
            t.send(p, B, sls);
        }
        p.run_for(every);
    }
}

/// `rounds` messages of every SLS from both sides at once: a queue on every line.
fn burst(p: &mut Pair, t: &mut Traffic, rounds: usize) {
    for _ in 0..rounds {
        for sls in 0..16 {
            t.send(p, A, sls);
            t.send(p, B, sls);
        }
    }
}

#[test]
fn changeover_moves_messages_in_flight_without_loss_duplication_or_reordering() {
    let mut p = up(&[0, 1]);
    let mut t = Traffic::default();
    // A burst that fills the line: 32 MSUs of 13 octets per round at 64 kbit/s.
    traffic_during(
        &mut p,
        &mut t,
        Duration::from_millis(300),
        Duration::from_millis(20),
    );
    burst(&mut p, &mut t, 5);
    p.run_for(Duration::from_millis(30));
    let unacked: Vec<usize> = p.links[&0]
        .ends
        .iter()
        .map(|e| e.rtb.len() + e.tb.len())
        .collect();
    assert!(unacked.iter().all(|&n| n > 20), "in flight: {unacked:?}");
    // What each side sent on link 0 and the far end has not received yet.
    let undelivered: Vec<u64> = [A, B]
        .iter()
        .map(|&s| {
            p.sides[s].link_stats(0).unwrap().user_msu_tx
                - p.sides[1 - s].link_stats(0).unwrap().user_msu_rx
        })
        .collect();
    p.fail_link(0);
    // Traffic keeps coming while the changeover runs.
    traffic_during(
        &mut p,
        &mut t,
        Duration::from_millis(500),
        Duration::from_millis(20),
    );
    p.run_for(Duration::from_secs(3));
    let r = t.check(&p, |_, _| false).unwrap();
    assert_eq!(r.delivered, r.accepted);
    assert_eq!(t.refused, 0);
    for side in [A, B] {
        // COO with the link's SLC in the label, on the other link; COA likewise.
        assert_eq!(
            snm_sent(&p, side, |m| matches!(m, SnmMessage::Coo { .. })),
            vec![(1, 0)]
        );
        assert_eq!(
            snm_sent(&p, side, |m| matches!(m, SnmMessage::Coa { .. })),
            vec![(1, 0)]
        );
        let retrieved = p.events_of(side).into_iter().find_map(|e| match e {
            Mtp3Event::ChangeoverComplete {
                link: 0,
                kind: ChangeoverKind::BufferUpdating { retrieved },
            } => Some(retrieved),
            _ => None,
        });
        // Everything the far end had not accepted, and nothing it had.
        assert_eq!(
            retrieved,
            Some(undelivered[side] as usize),
            "{}",
            NAMES[side]
        );
        assert!(p.has_event(side, |e| matches!(
            e,
            Mtp3Event::LinkState {
                link: 0,
                status: LinkStatus::OutOfService,
                reason: Some(LinkFailure::Level2(OutOfServiceReason::ErrorRateMonitor))
            }
        )));
        for sls in 0..16 {
            assert_eq!(p.sides[side].link_for_sls(sls), Some(1));
        }
        assert_eq!(p.sides[side].linkset_status(), LinksetStatus::Available);
        assert!(!p.has_event(side, |e| matches!(e, Mtp3Event::Pause { .. })));
        let st = p.sides[side].link_stats(0).unwrap();
        assert_eq!((st.changeovers, st.changeovers_with_retrieval), (1, 1));
    }
    // The link is restarted after T17 and keeps trying while the line is broken.
    assert!(
        p.commands
            .iter()
            .filter(|c| c.2 == 0 && c.3 == L3ToL2::Start)
            .count()
            >= 4
    );
    assert!(p.anomalies().is_empty(), "{:?}", p.anomalies());
}

#[test]
fn changeover_when_one_end_fails_first() {
    let mut p = up(&[0, 1]);
    let mut t = Traffic::default();
    traffic_during(
        &mut p,
        &mut t,
        Duration::from_millis(200),
        Duration::from_millis(20),
    );
    // A's level 2 alone declares the failure (its error rate monitor); B learns it from SIOS,
    // or from A's COO if that comes first.
    p.fail_one_end(A, 0);
    traffic_during(
        &mut p,
        &mut t,
        Duration::from_millis(400),
        Duration::from_millis(20),
    );
    p.run_for(Duration::from_secs(3));
    t.check(&p, |_, _| false).unwrap();
    for side in [A, B] {
        assert!(
            p.has_event(side, |e| matches!(
                e,
                Mtp3Event::ChangeoverComplete {
                    link: 0,
                    kind: ChangeoverKind::BufferUpdating { .. }
                }
            )),
            "{}: {:?}",
            NAMES[side],
            p.events_of(side)
        );
    }
}

#[test]
fn emergency_changeover_when_bsnt_cannot_be_retrieved() {
    let mut p = up(&[0, 1]);
    let mut t = Traffic::default();
    traffic_during(
        &mut p,
        &mut t,
        Duration::from_millis(300),
        Duration::from_millis(20),
    );
    burst(&mut p, &mut t, 5);
    p.run_for(Duration::from_millis(30));
    // A's signalling terminal cannot give the BSNT: A sends ECO; B answers with COA and its
    // FSN, so A still retrieves; B gets no FSN and retrieves nothing (Q.704 5.6.1).
    p.end(A, 0).bsnt_retrievable = false;
    let b_unacked = p.links[&0].ends[B].rtb.len();
    p.fail_link(0);
    traffic_during(
        &mut p,
        &mut t,
        Duration::from_millis(300),
        Duration::from_millis(20),
    );
    p.run_for(Duration::from_secs(3));
    assert_eq!(
        snm_sent(&p, A, |m| matches!(m, SnmMessage::Eco)),
        vec![(1, 0)]
    );
    assert_eq!(
        snm_sent(&p, B, |m| matches!(m, SnmMessage::Coo { .. })),
        vec![(1, 0)]
    );
    assert_eq!(
        snm_sent(&p, B, |m| matches!(m, SnmMessage::Coa { .. })),
        vec![(1, 0)]
    );
    assert_eq!(
        snm_sent(&p, A, |m| matches!(m, SnmMessage::Eca)),
        vec![(1, 0)]
    );
    assert!(p.has_event(A, |e| matches!(
        e,
        Mtp3Event::ChangeoverComplete {
            link: 0,
            kind: ChangeoverKind::BufferUpdating { .. }
        }
    )));
    assert!(p.has_event(B, |e| matches!(
        e,
        Mtp3Event::ChangeoverComplete {
            link: 0,
            kind: ChangeoverKind::Emergency
        }
    )));
    // A to B: nothing lost. B to A: what B's failed link had not delivered is lost, never
    // duplicated or reordered.
    let r = t.check(&p, |side, _| side == B).unwrap();
    assert!(
        r.lost > 0 && r.lost <= b_unacked,
        "{r:?}, {b_unacked} unacknowledged at B"
    );
    assert_eq!(p.sides[B].link_stats(0).unwrap().emergency_changeovers, 1);
    assert_eq!(
        p.sides[A].link_stats(0).unwrap().changeovers_with_retrieval,
        1
    );
    assert!(p.anomalies().is_empty(), "{:?}", p.anomalies());
}

#[test]
fn changeback_when_the_link_returns() {
    let mut p = up(&[0, 1]);
    let mut t = Traffic::default();
    traffic_during(
        &mut p,
        &mut t,
        Duration::from_millis(200),
        Duration::from_millis(20),
    );
    p.fail_link(0);
    traffic_during(
        &mut p,
        &mut t,
        Duration::from_secs(2),
        Duration::from_millis(50),
    );
    for side in [A, B] {
        assert_eq!(p.sides[side].link_for_sls(0), Some(1));
    }
    p.restore_link(0);
    // Traffic continues through realignment, link test and changeback.
    let end = p.now + Duration::from_secs(20);
    while p.now < end {
        for sls in 0..16 {
            t.send(&mut p, A, sls);
            t.send(&mut p, B, sls);
        }
        p.run_for(Duration::from_millis(40));
    }
    p.run_for(Duration::from_secs(2));
    let r = t.check(&p, |_, _| false).unwrap();
    assert_eq!(r.delivered, r.accepted);
    for side in [A, B] {
        assert_eq!(p.sides[side].link_status(0), Some(LinkStatus::Available));
        // CBD on the alternative link (1) naming the restored link (0), answered by CBA.
        assert_eq!(
            snm_sent(&p, side, |m| matches!(m, SnmMessage::Cbd { .. })),
            vec![(1, 0)]
        );
        assert_eq!(
            snm_sent(&p, side, |m| matches!(m, SnmMessage::Cba { .. })).len(),
            1
        );
        assert!(p.has_event(side, |e| *e
            == Mtp3Event::ChangebackComplete {
                link: 0,
                timed: false
            }));
        for sls in 0..16u8 {
            assert_eq!(p.sides[side].link_for_sls(sls), Some(sls % 2));
        }
        // Restoration used normal proving: the other link carried traffic.
        let starts: Vec<_> = p
            .commands
            .iter()
            .filter(|c| c.1 == side && c.2 == 0 && !matches!(c.3, L3ToL2::Message(_)))
            .map(|c| c.3.clone())
            .collect();
        assert!(
            starts.ends_with(&[L3ToL2::EmergencyCeases, L3ToL2::Start]),
            "{starts:?}"
        );
    }
    assert!(p.anomalies().is_empty(), "{:?}", p.anomalies());
}

#[test]
fn changeback_without_acknowledgement_ends_on_t5() {
    let mut p = up(&[0, 1]);
    p.fail_link(0);
    p.run_for(Duration::from_secs(2));
    // B's CBA never arrives at A.
    p.tamper = Some(Box::new(|side, _, bytes| {
        !(side == B && bytes.len() == 7 && bytes[0] & 0x0F == 0 && bytes[5] == 0x61)
    }));
    p.restore_link(0);
    assert!(p.run_until_cond(Duration::from_secs(30), |p| p
        .has_event(A, |e| matches!(e, Mtp3Event::ChangebackComplete { .. }))));
    assert!(p.has_event(A, |e| *e
        == Mtp3Event::ChangebackComplete {
            link: 0,
            timed: true
        }));
    // CBD, repeated after T4; T5 then ends it.
    assert_eq!(
        snm_sent(&p, A, |m| matches!(m, SnmMessage::Cbd { .. })),
        vec![(1, 0), (1, 0)]
    );
    assert_eq!(p.sides[A].link_stats(0).unwrap().changebacks_timed, 1);
    assert_eq!(p.sides[A].link_for_sls(0), Some(0));
}

/// Changes the test pattern of every SLTA `side` sends on `slc`.
fn corrupt_slta(side: usize, slc: u8) -> Tamper {
    Box::new(move |s, l, bytes: &mut Vec<u8>| {
        if s == side
            && l == slc
            && bytes.first().map(|b| b & 0x0F) == Some(1)
            && bytes.get(5) == Some(&0x21)
        {
            if let Some(last) = bytes.last_mut() {
                *last ^= 0xFF;
            }
        }
        true
    })
}

#[test]
fn link_test_with_wrong_pattern_restarts_the_link() {
    let mut p = Pair::new(&[0, 1]);
    p.tamper = Some(corrupt_slta(B, 1));
    p.start();
    p.run_for(Duration::from_secs(5));
    // Link 0 carries the traffic; link 1 failed its test twice at A and was restarted.
    assert_eq!(p.sides[A].link_status(0), Some(LinkStatus::Available));
    let st = p.sides[A].link_stats(1).unwrap().clone();
    assert!(st.slta_mismatch >= 2 && st.slt_failures >= 1, "{st:?}");
    assert!(p.has_event(A, |e| matches!(
        e,
        Mtp3Event::LinkState {
            link: 1,
            status: LinkStatus::OutOfService,
            reason: Some(LinkFailure::TestFailed)
        }
    )));
    assert!(p
        .commands
        .iter()
        .any(|c| c.1 == A && c.2 == 1 && c.3 == L3ToL2::Stop));
    assert!(both_available(&p));
    // A correct answer again: the link comes into service after its restart.
    p.tamper = None;
    assert!(
        p.run_until_cond(Duration::from_secs(60), |p| p.sides[A].link_status(1)
            == Some(LinkStatus::Available))
    );
    assert!(p.anomalies().is_empty(), "{:?}", p.anomalies());
}

#[test]
fn link_test_without_answer_restarts_the_link_after_two_t1() {
    let mut p = Pair::new(&[3]);
    // B never answers the SLTMs of A.
    p.tamper = Some(Box::new(|s, _, bytes| {
        !(s == B && bytes.get(5) == Some(&0x21))
    }));
    p.start();
    assert!(
        p.run_until_cond(Duration::from_secs(60), |p| p.has_event(A, |e| matches!(
            e,
            Mtp3Event::LinkState {
                reason: Some(LinkFailure::TestFailed),
                ..
            }
        )))
    );
    // In service after 0.5 s of emergency proving, then 2 x Q.707 T1 (8 s).
    let t = p.now.as_nanos() as f64 / 1e9;
    assert!((16.4..16.7).contains(&t), "restarted at {t}");
    assert_eq!(p.sides[A].link_stats(3).unwrap().sltm_tx, 2);
    // A never declared the linkset available, so it sent no TRA and refuses traffic.
    assert_eq!(p.sides[A].stats().tra_tx, 0);
    assert_eq!(
        p.send(A, 0, vec![1, 0]),
        Err(TransferError::Inaccessible { dpc: PointCode(2) })
    );
}

#[test]
fn all_links_lost_pauses_and_restoration_resumes() {
    let mut p = up(&[0, 1]);
    let mut t = Traffic::default();
    traffic_during(
        &mut p,
        &mut t,
        Duration::from_millis(100),
        Duration::from_millis(20),
    );
    p.fail_link(0);
    p.run_for(Duration::from_millis(100));
    p.fail_link(1);
    p.run_for(Duration::from_millis(100));
    for side in [A, B] {
        assert_eq!(p.sides[side].linkset_status(), LinksetStatus::Unavailable);
        assert!(p.has_event(side, |e| *e
            == Mtp3Event::Pause {
                dpc: PointCode(2 - side as u32)
            }));
        assert_eq!(p.sides[side].stats().unavailable, 1);
    }
    assert_eq!(
        p.send(A, 3, vec![3, 0]),
        Err(TransferError::Inaccessible { dpc: PointCode(2) })
    );
    // While down, the links keep realigning with emergency proving.
    p.run_for(Duration::from_secs(30));
    p.restore_link(1);
    assert!(p.run_until_cond(Duration::from_secs(60), both_available));
    for side in [A, B] {
        let resumes = p.events[side]
            .iter()
            .filter(|(_, e)| matches!(e, Mtp3Event::Resume { .. }))
            .count();
        assert_eq!(resumes, 2);
        assert_eq!(p.sides[side].stats().tra_tx, 2);
        for sls in 0..16 {
            assert_eq!(p.sides[side].link_for_sls(sls), Some(1));
        }
    }
    traffic_during(
        &mut p,
        &mut t,
        Duration::from_millis(200),
        Duration::from_millis(20),
    );
    p.run_for(Duration::from_secs(1));
    // Messages accepted before the pause may be lost; nothing after, nothing twice.
    let r = t.check(&p, |side, at| paused_since(&p, side, at)).unwrap();
    assert!(r.delivered > 0);
    assert!(p.anomalies().is_empty(), "{:?}", p.anomalies());
}
