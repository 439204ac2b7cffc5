//! MTP3 scenarios beyond the basic linkset life: message discrimination and distribution,
//! route management (TFP/TFA/RST, UPU), the MTP restart in its asymmetric and timed forms, the
//! messages in the exact octets libss7 sends and accepts, management inhibiting answers,
//! remote processor outage, abnormal changeovers (no acknowledgement, retrieval not possible,
//! XCO), a 16-link linkset, and the checks of transfer requests.

mod mtp3_harness;

use std::time::Duration;

use mtp3_harness::*;
use sipt_codecs::mtp3::{
    Msu, NetworkIndicator, PointCode, RoutingLabel, ServiceIndicator, Sio, SnmMessage, TestMessage,
    TestPattern, UnavailabilityCause, UserPart,
};
use sipt_mgc::ss7::l2::{L2ToL3, L3ToL2};
use sipt_mgc::ss7::mtp3::{
    ChangeoverKind, Config, LinkStatus, LinksetStatus, Mtp3Event, StatusCause, TransferError,
    TransferRequest, MAX_PAYLOAD,
};
use sipt_mgc::time::Instant;

fn up(links: &[u8]) -> Pair {
    let mut p = Pair::new(links);
    p.start();
    assert!(
        p.run_until_cond(Duration::from_secs(60), |p| both_available(p)
            && links.iter().all(|&l| p
                .sides
                .iter()
                .all(|m| m.link_status(l) == Some(LinkStatus::Available))))
    );
    p
}

/// An MSU as the adjacent point (PC 2) would send it to A (PC 1), national network.
fn from_b(si: ServiceIndicator, sls: u8, user_part: UserPart) -> Vec<u8> {
    msu(NetworkIndicator::National, si, 1, 2, sls, user_part)
}

fn msu(
    ni: NetworkIndicator,
    si: ServiceIndicator,
    dpc: u32,
    opc: u32,
    sls: u8,
    user_part: UserPart,
) -> Vec<u8> {
    let m = Msu {
        sio: Sio {
            network_indicator: ni,
            spare: 0,
            service_indicator: si,
        },
        label: RoutingLabel {
            dpc: PointCode(dpc),
            opc: PointCode(opc),
            sls,
        },
        user_part,
    };
    let mut out = Vec::new();
    m.encode(&mut out).unwrap();
    out
}

fn snm(slc: u8, m: SnmMessage) -> Vec<u8> {
    from_b(ServiceIndicator::Snm, slc, UserPart::Snm(m))
}

fn isup(payload: &[u8]) -> UserPart {
    UserPart::Other(payload.to_vec())
}

/// The SNM messages `side` sent since index `from` of `p.sent`: (link, label SLC, message).
fn snm_since(p: &Pair, side: usize, from: usize) -> Vec<(u8, u8, SnmMessage)> {
    p.sent[from..]
        .iter()
        .filter(|s| s.side == side)
        .filter_map(|s| match &s.msu.user_part {
            UserPart::Snm(m) => Some((s.link, s.msu.label.sls, m.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn discrimination_keeps_only_what_is_for_this_point() {
    let mut p = up(&[0]);
    let before = p.received[A].len();
    // DPC 7: we are not a transfer point.
    p.inject(
        A,
        0,
        msu(
            NetworkIndicator::National,
            ServiceIndicator::Isup,
            7,
            2,
            3,
            isup(&[1, 0, 1]),
        ),
    );
    // International network indicator at a national point.
    p.inject(
        A,
        0,
        msu(
            NetworkIndicator::International,
            ServiceIndicator::Isup,
            1,
            2,
            3,
            isup(&[1, 0, 1]),
        ),
    );
    // Too short for a routing label.
    p.inject(A, 0, vec![0x85, 0x01, 0x40]);
    assert_eq!(p.received[A].len(), before);
    let st = p.sides[A].stats();
    assert_eq!(
        (
            st.discarded_not_for_us,
            st.discarded_wrong_ni,
            st.discarded_malformed
        ),
        (1, 1, 1)
    );
    // For us, from a point behind the adjacent one: delivered with its label.
    p.inject(
        A,
        0,
        msu(
            NetworkIndicator::National,
            ServiceIndicator::Isup,
            1,
            9,
            6,
            isup(&[0x21, 0x00, 0x01]),
        ),
    );
    let (_, ind) = p.received[A].last().unwrap();
    assert_eq!(
        (
            ind.service_indicator,
            ind.opc,
            ind.dpc,
            ind.sls,
            ind.link,
            ind.payload.as_slice()
        ),
        (
            ServiceIndicator::Isup,
            PointCode(9),
            PointCode(1),
            6,
            0,
            &[0x21u8, 0x00, 0x01][..]
        )
    );
    assert_eq!(ind.network_indicator, NetworkIndicator::National);
}

#[test]
fn message_for_an_absent_user_part_is_answered_with_upu() {
    let mut p = up(&[0, 1]);
    // A sends SCCP; B has ISUP only.
    let r = p.sides[A].handle_user(
        p.now,
        TransferRequest::new(ServiceIndicator::Sccp, 4, vec![9, 9]),
    );
    assert_eq!(r, Ok(()));
    p.run_for(Duration::from_millis(100));
    assert_eq!(p.sides[B].stats().discarded_unequipped_user_part, 1);
    assert!(p.received[B].is_empty());
    assert!(p.has_event(A, |e| *e
        == Mtp3Event::Status {
            dpc: PointCode(2),
            cause: StatusCause::UserPartUnavailable {
                user_part: ServiceIndicator::Sccp,
                cause: UnavailabilityCause::UnequippedRemoteUser
            }
        }));
}

#[test]
fn transfer_prohibited_pauses_a_destination_behind_the_adjacent_point() {
    let mut p = up(&[0]);
    let sent_before = p.sent.len();
    p.inject(
        A,
        0,
        snm(
            0,
            SnmMessage::Tfp {
                destination: PointCode(9),
                spare: 0,
            },
        ),
    );
    assert!(p.has_event(A, |e| *e == Mtp3Event::Pause { dpc: PointCode(9) }));
    assert!(!p.sides[A].is_accessible(PointCode(9)));
    let to9 = |p: &mut Pair| {
        let mut req = TransferRequest::new(ServiceIndicator::Isup, 1, vec![1, 0, 1]);
        req.dpc = Some(PointCode(9));
        let r = p.sides[A].handle_user(p.now, req);
        p.settle();
        r
    };
    assert_eq!(
        to9(&mut p),
        Err(TransferError::Inaccessible { dpc: PointCode(9) })
    );
    // The adjacent point itself stays accessible; a TFP about it means nothing.
    assert_eq!(p.send(A, 1, vec![1, 0, 1]), Ok(()));
    p.inject(
        A,
        0,
        snm(
            0,
            SnmMessage::Tfp {
                destination: PointCode(2),
                spare: 0,
            },
        ),
    );
    assert!(p.sides[A].is_accessible(PointCode(2)));
    // T10 (45 s): signalling-route-set-test for the prohibited destination.
    p.run_for(Duration::from_secs(46));
    let rst: Vec<_> = snm_since(&p, A, sent_before)
        .into_iter()
        .filter(|(_, _, m)| matches!(m, SnmMessage::Rst { .. }))
        .collect();
    assert_eq!(
        rst,
        vec![(
            0,
            0,
            SnmMessage::Rst {
                destination: PointCode(9),
                spare: 0
            }
        )]
    );
    // TFA: accessible again; a message for it goes through B, which is not a transfer point.
    p.inject(
        A,
        0,
        snm(
            0,
            SnmMessage::Tfa {
                destination: PointCode(9),
                spare: 0,
            },
        ),
    );
    assert!(p.has_event(A, |e| *e == Mtp3Event::Resume { dpc: PointCode(9) }));
    assert_eq!(to9(&mut p), Ok(()));
    p.run_for(Duration::from_millis(50));
    assert_eq!(p.sides[B].stats().discarded_not_for_us, 1);
    // Congestion towards a destination is reported as MTP-STATUS.
    p.inject(
        A,
        0,
        snm(
            0,
            SnmMessage::Tfc {
                destination: PointCode(9),
                status: 2,
            },
        ),
    );
    assert!(p.has_event(A, |e| *e
        == Mtp3Event::Status {
            dpc: PointCode(9),
            cause: StatusCause::Congestion { level: 2 }
        }));
}

#[test]
fn inhibiting_is_denied_and_tests_are_answered() {
    let mut p = up(&[0, 1]);
    let from = p.sent.len();
    for m in [
        SnmMessage::Lin,
        SnmMessage::Lun,
        SnmMessage::Llt,
        SnmMessage::Lrt,
        SnmMessage::Lfu,
    ] {
        p.inject(A, 1, snm(1, m));
    }
    let answers: Vec<_> = snm_since(&p, A, from).into_iter().collect();
    assert_eq!(
        answers,
        vec![
            (1, 1, SnmMessage::Lid),
            (1, 1, SnmMessage::Lua),
            (1, 1, SnmMessage::Lfu),
            (1, 1, SnmMessage::Lun),
            (1, 1, SnmMessage::Lun),
        ]
    );
    // Acknowledgements of requests never made, and an SNM about an unknown link, are counted.
    p.inject(A, 1, snm(1, SnmMessage::Lia));
    p.inject(A, 1, snm(9, SnmMessage::Coo { fsn: 3, spare: 0 }));
    p.inject(A, 1, snm(0, SnmMessage::Coa { fsn: 3, spare: 0 }));
    assert_eq!(p.sides[A].stats().snm_unexpected, 3);
    assert_eq!(p.sides[A].link_status(0), Some(LinkStatus::Available));
}

#[test]
fn link_test_and_tra_in_the_octets_libss7_uses() {
    let mut p = up(&[0, 1]);
    let from = p.sent.len();
    // libss7's SLTM: pattern "2564286288", its link's SLC in the label, SI 1 (ITU).
    let sltm = from_b(
        ServiceIndicator::Mtn,
        1,
        UserPart::Test(TestMessage::Sltm(TestPattern::new(b"2564286288".to_vec()))),
    );
    assert_eq!(&sltm[..7], &[0x81, 0x01, 0x80, 0x00, 0x10, 0x11, 0xA0]);
    p.inject(A, 1, sltm);
    let slta = p.sent[from..].iter().find(|s| s.side == A).unwrap();
    // SLTA on the same link, back to PC 2, same SLC and pattern (what libss7 compares).
    assert_eq!(slta.link, 1);
    let mut want = vec![0x81, 0x02, 0x40, 0x00, 0x10, 0x21, 0xA0];
    want.extend_from_slice(b"2564286288");
    assert_eq!(slta.bytes, want);
    // Our TRA (sent at activation): SI 0, H0/H1 = 7/1, the SLC of its link in the label, which
    // libss7 needs to find the link.
    let tra = p
        .sent
        .iter()
        .find(|s| s.side == A && short(&s.msu) == "TRA")
        .unwrap();
    assert_eq!(tra.bytes, vec![0x80, 0x02, 0x40, 0x00, tra.link << 4, 0x17]);
    // Our SLTM: ITU SI 1 and a 6-octet pattern.
    let sltm = p
        .sent
        .iter()
        .find(|s| s.side == A && short(&s.msu) == "SLTM" && s.link == 1)
        .unwrap();
    assert_eq!(
        &sltm.bytes[..7],
        &[0x81, 0x02, 0x40, 0x00, 0x10, 0x11, 0x60]
    );
}

#[test]
fn tra_of_the_adjacent_point_may_come_before_our_link_test_passes() {
    let mut p = Pair::new(&[0]);
    // B's first SLTA to A is lost: A's test passes only on its second attempt, after Q.707 T1.
    let mut dropped = false;
    p.tamper = Some(Box::new(move |side, _, bytes| {
        if side == B && bytes.get(5) == Some(&0x21) && !dropped {
            dropped = true;
            return false;
        }
        true
    }));
    p.start();
    p.run_for(Duration::from_secs(2));
    // B: its test passed, TRA sent, waiting for A's; A: link still testing, B's TRA kept.
    assert_eq!(p.sides[B].linkset_status(), LinksetStatus::Restarting);
    assert_eq!(p.sides[A].linkset_status(), LinksetStatus::Unavailable);
    assert_eq!(p.sides[A].stats().tra_rx, 1);
    assert_eq!(
        p.send(B, 0, vec![0, 0, 1]),
        Err(TransferError::Inaccessible { dpc: PointCode(1) })
    );
    assert!(p.run_until_cond(Duration::from_secs(20), both_available));
    // A resumed the moment its own test passed (it had the TRA); B when A's TRA arrived.
    let resume_at = |side: usize| {
        p.events[side]
            .iter()
            .find(|(_, e)| matches!(e, Mtp3Event::Resume { .. }))
            .map(|(t, _)| t.as_nanos())
            .unwrap()
    };
    let a_available = p.events[A]
        .iter()
        .find(|(_, e)| {
            matches!(
                e,
                Mtp3Event::LinkState {
                    status: LinkStatus::Available,
                    ..
                }
            )
        })
        .map(|(t, _)| t.as_nanos())
        .unwrap();
    assert_eq!(resume_at(A), a_available);
    assert!(a_available > 8_000_000_000);
    assert!(resume_at(B) > resume_at(A));
}

#[test]
fn restart_ends_on_t20_without_the_adjacent_tra() {
    let mut p = Pair::new(&[0]);
    // B's TRA never arrives.
    p.tamper = Some(Box::new(|side, _, bytes| {
        !(side == B && bytes.len() == 6 && bytes[5] == 0x17)
    }));
    p.start();
    p.run_for(Duration::from_secs(30));
    assert_eq!(p.sides[A].linkset_status(), LinksetStatus::Restarting);
    assert_eq!(p.sides[B].linkset_status(), LinksetStatus::Available);
    assert!(
        p.run_until_cond(Duration::from_secs(40), |p| p.sides[A].linkset_status()
            == LinksetStatus::Available)
    );
    let t = p.now.as_nanos() as f64 / 1e9;
    assert!((60.5..60.6).contains(&t), "restart ended at {t}");
    assert_eq!(p.sides[A].stats().restarts, 1);
}

#[test]
fn unexpected_tra_is_answered_once_per_t19() {
    let mut p = up(&[0]);
    let from = p.sent.len();
    p.inject(A, 0, snm(0, SnmMessage::Tra));
    p.inject(A, 0, snm(0, SnmMessage::Tra));
    let tras = |p: &Pair| {
        snm_since(p, A, from)
            .into_iter()
            .filter(|(_, _, m)| *m == SnmMessage::Tra)
            .count()
    };
    assert_eq!(tras(&p), 1);
    p.run_for(Duration::from_secs(69));
    p.inject(A, 0, snm(0, SnmMessage::Tra));
    assert_eq!(tras(&p), 2);
    assert_eq!(p.sides[A].linkset_status(), LinksetStatus::Available);
}

#[test]
fn remote_processor_outage_diverts_traffic_after_t1_and_changes_back_on_recovery() {
    let mut p = up(&[0, 1]);
    let from = p.sent.len();
    p.indicate(A, 0, L2ToL3::RemoteProcessorOutage);
    assert_eq!(
        p.sides[A].link_status(0),
        Some(LinkStatus::RemoteProcessorOutage)
    );
    // Held for T1 (800 ms): no link carries SLS 0 meanwhile.
    assert_eq!(p.sides[A].link_for_sls(0), None);
    assert_eq!(p.send(A, 0, vec![0, 0, 1]), Ok(()));
    p.run_for(Duration::from_millis(790));
    assert!(p.received[B].is_empty());
    p.run_for(Duration::from_millis(20));
    assert!(p.has_event(A, |e| *e
        == Mtp3Event::ChangeoverComplete {
            link: 0,
            kind: ChangeoverKind::TimeControlled
        }));
    assert_eq!(p.sides[A].link_for_sls(0), Some(1));
    assert_eq!(p.received[B].len(), 1);
    // No changeover messages for a time-controlled changeover.
    assert!(snm_since(&p, A, from)
        .iter()
        .all(|(_, _, m)| !matches!(m, SnmMessage::Coo { .. } | SnmMessage::Eco)));
    p.indicate(A, 0, L2ToL3::RemoteProcessorRecovered);
    assert!(p
        .commands
        .iter()
        .any(|c| c.1 == A && c.2 == 0 && c.3 == L3ToL2::FlushBuffers));
    p.run_for(Duration::from_millis(100));
    assert_eq!(p.sides[A].link_for_sls(0), Some(0));
    assert!(snm_since(&p, A, from)
        .iter()
        .any(|(l, slc, m)| (*l, *slc) == (1, 0) && matches!(m, SnmMessage::Cbd { .. })));
    // Recovery within T1: nothing moves, nothing is flushed.
    let flushes = p
        .commands
        .iter()
        .filter(|c| c.3 == L3ToL2::FlushBuffers)
        .count();
    p.indicate(A, 0, L2ToL3::RemoteProcessorOutage);
    p.run_for(Duration::from_millis(100));
    p.indicate(A, 0, L2ToL3::RemoteProcessorRecovered);
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.sides[A].link_for_sls(0), Some(0));
    assert_eq!(
        p.commands
            .iter()
            .filter(|c| c.3 == L3ToL2::FlushBuffers)
            .count(),
        flushes
    );
    assert_eq!(
        p.sides[A]
            .link_stats(0)
            .unwrap()
            .time_controlled_changeovers,
        1
    );
}

#[test]
fn changeover_without_acknowledgement_ends_on_t2() {
    let mut p = up(&[0, 1]);
    // B's COO and COA never reach A.
    p.tamper = Some(Box::new(|side, _, bytes| {
        !(side == B
            && bytes.first().map(|b| b & 0x0F) == Some(0)
            && matches!(bytes.get(5), Some(0x11) | Some(0x21)))
    }));
    let mut t = Traffic::default();
    for sls in 0..16 {
        t.send(&mut p, A, sls);
    }
    p.fail_link(0);
    let failed_at = p.now;
    assert!(p.run_until_cond(Duration::from_secs(5), |p| p
        .has_event(A, |e| matches!(e, Mtp3Event::ChangeoverComplete { .. }))));
    assert_eq!(p.now - failed_at, Duration::from_millis(1400));
    assert!(p.has_event(A, |e| *e
        == Mtp3Event::ChangeoverComplete {
            link: 0,
            kind: ChangeoverKind::Emergency
        }));
    assert_eq!(p.sides[A].link_for_sls(0), Some(1));
    p.run_for(Duration::from_secs(1));
    t.check(&p, |side, _| side == A).unwrap();
}

#[test]
fn retrieval_not_possible_is_an_emergency_changeover() {
    let mut p = up(&[0, 1]);
    p.end(A, 0).retrieval_possible = false;
    p.fail_link(0);
    p.run_for(Duration::from_secs(1));
    assert!(p.has_event(A, |e| *e
        == Mtp3Event::ChangeoverComplete {
            link: 0,
            kind: ChangeoverKind::Emergency
        }));
    assert!(p.has_event(B, |e| matches!(
        e,
        Mtp3Event::ChangeoverComplete {
            link: 0,
            kind: ChangeoverKind::BufferUpdating { .. }
        }
    )));
}

#[test]
fn extended_changeover_order_is_handled_without_retrieval() {
    let mut p = up(&[0, 1]);
    let from = p.sent.len();
    p.inject(A, 1, snm(0, SnmMessage::Xco { fsn: 1000 }));
    p.run_for(Duration::from_millis(10));
    // A takes link 0 out of service, answers with its BSNT, and retrieves nothing.
    assert!(p
        .commands
        .iter()
        .any(|c| c.1 == A && c.2 == 0 && c.3 == L3ToL2::Stop));
    assert!(snm_since(&p, A, from)
        .iter()
        .any(|(l, slc, m)| (*l, *slc) == (1, 0) && matches!(m, SnmMessage::Coa { .. })));
    assert!(p.has_event(A, |e| *e
        == Mtp3Event::ChangeoverComplete {
            link: 0,
            kind: ChangeoverKind::Emergency
        }));
    assert!(!p
        .commands
        .iter()
        .any(|c| c.1 == A && matches!(c.3, L3ToL2::RetrievalRequestAndFsnc(_))));
}

#[test]
fn sixteen_links_one_sls_each() {
    let links: Vec<u8> = (0..16).collect();
    let mut p = up(&links);
    for sls in 0..16 {
        assert_eq!(p.sides[A].link_for_sls(sls), Some(sls));
    }
    let mut t = Traffic::default();
    for _ in 0..4 {
        for sls in 0..16 {
            t.send(&mut p, A, sls);
            t.send(&mut p, B, sls);
        }
    }
    p.fail_link(5);
    p.run_for(Duration::from_secs(1));
    // SLS 5 goes to the 6th (5 mod 15) of the 15 links left: link 6; no other SLS moves.
    for sls in 0..16 {
        assert_eq!(
            p.sides[A].link_for_sls(sls),
            Some(if sls == 5 { 6 } else { sls })
        );
    }
    p.restore_link(5);
    assert!(p.run_until_cond(Duration::from_secs(30), |p| p
        .sides
        .iter()
        .all(|m| m.link_for_sls(5) == Some(5))));
    for _ in 0..4 {
        for sls in 0..16 {
            t.send(&mut p, A, sls);
            t.send(&mut p, B, sls);
        }
    }
    p.run_for(Duration::from_secs(1));
    let r = t.check(&p, |_, _| false).unwrap();
    assert_eq!(r.delivered, 256);
    assert!(p.anomalies().is_empty(), "{:?}", p.anomalies());
}

#[test]
fn level2_that_does_not_report_our_stop_is_fine() {
    let mut p = up(&[0, 1]);
    for l in [0, 1] {
        p.end(A, l).echo_stop = false;
        p.end(B, l).echo_stop = false;
    }
    let mut t = Traffic::default();
    for _ in 0..6 {
        for sls in 0..16 {
            t.send(&mut p, A, sls);
            t.send(&mut p, B, sls);
        }
    }
    p.fail_one_end(B, 1);
    for _ in 0..20 {
        for sls in 0..16 {
            t.send(&mut p, A, sls);
            t.send(&mut p, B, sls);
        }
        p.run_for(Duration::from_millis(50));
    }
    assert!(p.run_until_cond(Duration::from_secs(30), |p| p
        .sides
        .iter()
        .all(
            |m| m.link_status(1) == Some(LinkStatus::Available) && m.link_for_sls(1) == Some(1)
        )));
    p.run_for(Duration::from_secs(1));
    t.check(&p, |_, _| false).unwrap();
    assert!(p.anomalies().is_empty(), "{:?}", p.anomalies());
}

#[test]
fn transfer_requests_are_checked() {
    let mut p = up(&[0]);
    let now = p.now;
    let m = &mut p.sides[A];
    let req = |si, sls, len| TransferRequest::new(si, sls, vec![0u8; len]);
    assert_eq!(
        m.handle_user(now, req(ServiceIndicator::Isup, 16, 3)),
        Err(TransferError::InvalidSls { sls: 16 })
    );
    assert_eq!(
        m.handle_user(now, req(ServiceIndicator::Snm, 0, 3)),
        Err(TransferError::NotAUserPart { si: 0 })
    );
    assert_eq!(
        m.handle_user(now, req(ServiceIndicator::Mtn, 0, 3)),
        Err(TransferError::NotAUserPart { si: 1 })
    );
    assert_eq!(
        m.handle_user(now, req(ServiceIndicator::Isup, 0, MAX_PAYLOAD + 1)),
        Err(TransferError::TooLong {
            len: MAX_PAYLOAD + 1,
            max: MAX_PAYLOAD
        })
    );
    let mut r = req(ServiceIndicator::Isup, 0, 3);
    r.dpc = Some(PointCode(0x4000));
    assert_eq!(
        m.handle_user(now, r),
        Err(TransferError::InvalidDpc {
            dpc: PointCode(0x4000)
        })
    );
    assert_eq!(
        m.handle_user(now, req(ServiceIndicator::Isup, 15, MAX_PAYLOAD)),
        Ok(())
    );
    assert_eq!(m.stats().refused_invalid, 5);
    p.run_for(Duration::from_millis(100));
    assert_eq!(
        p.received[B].last().map(|(_, t)| t.payload.len()),
        Some(MAX_PAYLOAD)
    );
}

#[test]
fn no_input_panics_the_machine() {
    // Arbitrary octets as received messages and retrieved messages, indications for unknown
    // links and in every state: nothing panics, everything odd is counted.
    let mut p = up(&[0, 1]);
    let mut seed = 0x1234_5678u32;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    for _ in 0..3000 {
        let len = (next() % 24) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if next() % 2 == 0 && bytes.len() > 5 {
            // Mostly for us and from B, so that the SNM and test paths are reached.
            bytes[0] = 0x80 | (bytes[0] & 0x03);
            let sls = bytes[4] & 0xF0;
            bytes[1..5].copy_from_slice(&[0x01, 0x80, 0x00, sls]);
        }
        let link = (next() % 3) as u8;
        let ind = match next() % 12 {
            0 => L2ToL3::RetrievedMessage(bytes),
            1 => L2ToL3::Bsnt(next() as u8),
            2 => L2ToL3::RetrievalComplete,
            3 => L2ToL3::RemoteProcessorOutage,
            4 => L2ToL3::RemoteProcessorRecovered,
            5 => L2ToL3::Congestion(next() % 2 == 0),
            _ => L2ToL3::ReceivedMessage(bytes),
        };
        p.sides[A].handle_l2(p.now, link, ind);
        let now = p.now + Duration::from_millis(u64::from(next() % 50));
        p.sides[A].handle_timeout(now);
        while p.sides[A].poll_l2().is_some() {}
        while p.sides[A].poll_event().is_some() {}
    }
    assert!(p.sides[A].stats().unknown_link > 0);
    let _ = Instant::ZERO;
    let _ = Config::new(1, 2, [0]);
}

#[test]
fn destinations_behind_the_adjacent_point_resume_after_a_restart() {
    let mut p = up(&[0]);
    p.inject(
        A,
        0,
        snm(
            0,
            SnmMessage::Tfp {
                destination: PointCode(9),
                spare: 0,
            },
        ),
    );
    p.fail_link(0);
    p.run_for(Duration::from_secs(1));
    assert!(p.has_event(A, |e| *e == Mtp3Event::Pause { dpc: PointCode(2) }));
    p.restore_link(0);
    assert!(p.run_until_cond(Duration::from_secs(30), both_available));
    // No TFP came during the restart: the destination is accessible again.
    let resumed: Vec<_> = p.events[A]
        .iter()
        .filter_map(|(_, e)| match e {
            Mtp3Event::Resume { dpc } => Some(dpc.0),
            _ => None,
        })
        .collect();
    assert_eq!(resumed, vec![2, 2, 9]);
    assert!(p.sides[A].is_accessible(PointCode(9)));
}

#[test]
fn late_changeover_order_is_answered_without_a_second_retrieval() {
    let mut p = up(&[0, 1]);
    p.fail_link(0);
    p.run_for(Duration::from_millis(100));
    assert!(p.has_event(A, |e| matches!(
        e,
        Mtp3Event::ChangeoverComplete { link: 0, .. }
    )));
    let from = p.sent.len();
    let commands = p.commands.len();
    // Before T17 restarts the link, the far end orders changeover once more.
    p.inject(A, 1, snm(0, SnmMessage::Coo { fsn: 5, spare: 0 }));
    let answers = snm_since(&p, A, from);
    assert!(
        matches!(answers.as_slice(), [(1, 0, SnmMessage::Coa { .. })]),
        "{answers:?}"
    );
    assert!(!p.commands[commands..].iter().any(|c| matches!(
        c.3,
        L3ToL2::RetrieveBsnt | L3ToL2::RetrievalRequestAndFsnc(_)
    )));
    let completions = p.events[A]
        .iter()
        .filter(|(_, e)| matches!(e, Mtp3Event::ChangeoverComplete { .. }))
        .count();
    assert_eq!(completions, 1);
    // After the restart of the link its buffers are gone: ECA.
    p.run_for(Duration::from_secs(2));
    let from = p.sent.len();
    p.inject(A, 1, snm(0, SnmMessage::Eco));
    assert!(matches!(
        snm_since(&p, A, from).as_slice(),
        [(1, 0, SnmMessage::Eca)]
    ));
}
