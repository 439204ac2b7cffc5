//! Ladder-diagram scenarios of circuit supervision (Q.764 2.8.2, 2.8.3, 2.9.3, 2.9.4, 2.12),
//! dual seizure (2.9.1) and the compatibility procedures (2.9.5) between two `Isup` machines:
//! A (point code 1) and B (point code 2), every message through the codec, simulated time.

#[path = "isup_pair.rs"]
mod pair;

use pair::*;
use sipt_codecs::isup::{CauseValue, Message, MessageType, Parameter, RangeAndStatus};
use sipt_mgc::isup::{
    BlockingKind, CallStatus, Config, ExchangeType, IsupError, IsupEvent, LocalBlocking,
    MaintenanceAlert, ReleaseReason, ResetOnResume, ResetPending, Side, Timer,
};

fn count(p: &Pair, from: End, t: MessageType) -> usize {
    p.sent(from, t).len()
}

// ---- reset ----

#[test]
fn rsc_with_t16_and_t17() {
    let mut p = Pair::new();
    p.a.setup(p.now, 3, iam("1")).unwrap();
    p.drive();
    p.take_b();
    p.lose(drop_type(End::B, MessageType::Rlc));
    p.a.reset(p.now, 3).unwrap();
    p.drive();
    // the call is cleared at both ends (A should re-attempt: no backward message yet)
    assert!(p.take_a().iter().any(|e| matches!(
        e,
        IsupEvent::Released {
            cic: 3,
            reason: ReleaseReason::Reset,
            reattempt: true,
            ..
        }
    )));
    assert!(p.take_b().iter().any(|e| matches!(
        e,
        IsupEvent::Released {
            cic: 3,
            reason: ReleaseReason::Reset,
            ..
        }
    )));
    assert_eq!(
        p.a.circuit_status(3).unwrap().reset,
        Some(ResetPending::Rsc)
    );
    assert!(!p.a.is_available_for_outgoing(3));
    // T16 (15 s): RSC repeated
    p.secs(15);
    assert_eq!(count(&p, End::A, MessageType::Rsc), 2);
    p.secs(284);
    assert_eq!(count(&p, End::A, MessageType::Rsc), 1 + 299 / 15);
    // T17 (5 min): maintenance alerted, then every T17 only
    p.secs(1);
    assert!(p.take_a().contains(&IsupEvent::Maintenance {
        cic: Some(3),
        alert: MaintenanceAlert::TimerExpired(Timer::T17)
    }));
    let n = count(&p, End::A, MessageType::Rsc);
    p.secs(299);
    assert_eq!(count(&p, End::A, MessageType::Rsc), n);
    p.no_loss();
    p.secs(1);
    assert_eq!(count(&p, End::A, MessageType::Rsc), n + 1);
    assert!(p.a.circuit_status(3).unwrap().is_idle());
    assert!(p.a.is_available_for_outgoing(3));
    assert_eq!(p.a.poll_timeout(), None);
}

#[test]
fn rsc_restates_our_blocking_with_blo_before_rlc() {
    let mut p = Pair::new();
    p.b.block(p.now, 4).unwrap();
    p.drive();
    p.clear_log();
    // A lost its state: it resets; B restates its blocking (Q.764 2.9.3.1 c)
    p.a.reset(p.now, 4).unwrap();
    p.drive();
    assert_eq!(
        p.ladder(),
        ["A>B RSC 4", "B>A BLO 4", "B>A RLC 4", "A>B BLA 4"]
    );
    let a = p.a.circuit_status(4).unwrap();
    assert!(a.remote_maintenance && a.is_idle());
    assert_eq!(
        p.b.circuit_status(4).unwrap().local_maintenance,
        LocalBlocking::Blocked
    );
    assert!(!p.a.is_available_for_outgoing(4));
}

#[test]
fn grs_gra_with_blocked_circuit_and_t22_t23() {
    let mut p = Pair::new();
    p.b.block(p.now, 2).unwrap();
    p.drive();
    p.clear_log();
    p.lose(drop_type(End::B, MessageType::Gra));
    p.a.group_reset(p.now, 1, 7).unwrap();
    p.drive();
    assert!(!p.a.is_available_for_outgoing(1));
    p.secs(15);
    assert_eq!(count(&p, End::A, MessageType::Grs), 2, "T22 repeats GRS");
    p.secs(285);
    assert!(p.take_a().contains(&IsupEvent::Maintenance {
        cic: Some(1),
        alert: MaintenanceAlert::TimerExpired(Timer::T23)
    }));
    p.no_loss();
    p.secs(300);
    // the GRA says B blocks CIC 2: A marks it remotely blocked
    let gra = p.sent(End::B, MessageType::Gra);
    let rs = gra
        .last()
        .unwrap()
        .message
        .message
        .range_and_status()
        .unwrap();
    assert_eq!(rs.range, 7);
    assert_eq!(rs.status.as_slice(), &[0b0000_0010]);
    for cic in 1..=8 {
        assert!(p.a.circuit_status(cic).unwrap().is_idle());
    }
    assert!(p.a.circuit_status(2).unwrap().remote_maintenance);
    assert!(!p.a.is_available_for_outgoing(2));
    assert!(p.a.is_available_for_outgoing(3));
    assert!(p.take_a().contains(&IsupEvent::CircuitReset {
        cic: 8,
        remote: false
    }));
    assert_eq!(p.a.poll_timeout(), None);
}

#[test]
fn grs_clears_calls_at_both_ends() {
    let mut p = Pair::new();
    p.a.setup(p.now, 1, iam("1")).unwrap();
    p.b.setup(p.now, 2, iam("2")).unwrap();
    p.drive();
    p.a.answer(p.now, 2, anm()).unwrap();
    p.drive();
    p.take_a();
    p.take_b();
    p.b.group_reset(p.now, 1, 3).unwrap();
    p.drive();
    let a = p.take_a();
    assert!(a.contains(&IsupEvent::CircuitReset {
        cic: 1,
        remote: true
    }));
    assert!(a.iter().any(|e| matches!(
        e,
        IsupEvent::Released {
            cic: 1,
            reason: ReleaseReason::Reset,
            reattempt: true,
            ..
        }
    )));
    assert!(a.iter().any(|e| matches!(
        e,
        IsupEvent::Released {
            cic: 2,
            reason: ReleaseReason::Reset,
            reattempt: false,
            ..
        }
    )));
    for cic in 1..=4 {
        assert!(p.a.circuit_status(cic).unwrap().is_idle());
        assert!(p.b.circuit_status(cic).unwrap().is_idle());
    }
    assert_eq!(p.ladder()[3..], ["B>A GRS 1", "A>B GRA 1"]);
}

#[test]
fn grs_on_mtp_resume_at_start() {
    let mut a = config(1, 2);
    a.reset_on_resume = ResetOnResume::Start;
    let mut b = Config::new(2, 1, [1, 2, 3, 5, 6, 7, 8, 9]);
    b.reset_on_resume = ResetOnResume::StartAndRecovery;
    let mut p = Pair::unresumed(a, b);
    p.a.handle_mtp(p.now, sipt_mgc::isup::MtpIndication::Resume);
    p.b.handle_mtp(p.now, sipt_mgc::isup::MtpIndication::Resume);
    p.drive();
    // A: one run 1-8; B: runs 1-3 and 5-9. CIC 4 is not B's: the GRS from A covers it and
    // B's GRA says nothing of it; CIC 9 is not A's.
    let ladder = p.ladder();
    for hop in [
        "A>B GRS 1",
        "B>A GRS 1",
        "B>A GRS 5",
        "B>A GRA 1",
        "A>B GRA 1",
        "A>B GRA 5",
    ] {
        assert!(ladder.contains(&hop.to_string()), "{hop} in {ladder:?}");
    }
    for cic in [1, 2, 3, 5, 6, 7, 8] {
        assert!(p.a.is_available_for_outgoing(cic), "{cic}");
        assert!(p.b.is_available_for_outgoing(cic), "{cic}");
    }
    // a pause and resume: A (Start only) does not reset again, B does
    p.clear_log();
    for end in [End::A, End::B] {
        let now = p.now;
        p.isup(end)
            .handle_mtp(now, sipt_mgc::isup::MtpIndication::Pause);
        p.isup(end)
            .handle_mtp(now, sipt_mgc::isup::MtpIndication::Resume);
    }
    p.drive();
    assert_eq!(
        p.ladder(),
        ["B>A GRS 1", "B>A GRS 5", "A>B GRA 1", "A>B GRA 5"]
    );
}

#[test]
fn a_lone_circuit_is_reset_with_rsc() {
    let mut a = Config::new(1, 2, [1, 3]);
    a.reset_on_resume = ResetOnResume::Start;
    let mut p = Pair::unresumed(a, Config::new(2, 1, [1, 3]));
    p.a.handle_mtp(p.now, sipt_mgc::isup::MtpIndication::Resume);
    p.b.handle_mtp(p.now, sipt_mgc::isup::MtpIndication::Resume);
    p.drive();
    assert_eq!(
        p.ladder()[..4],
        ["A>B RSC 1", "A>B RSC 3", "B>A RSC 1", "B>A RSC 3"]
    );
    assert!(p.a.is_available_for_outgoing(1) && p.a.is_available_for_outgoing(3));
}

// ---- blocking ----

#[test]
fn blo_bla_ubl_uba_and_outgoing_setup_respects_blocking() {
    let mut p = Pair::new();
    p.a.block(p.now, 5).unwrap();
    assert!(!p.a.is_available_for_outgoing(5), "blocking pending");
    p.drive();
    assert_eq!(p.ladder(), ["A>B BLO 5", "B>A BLA 5"]);
    assert!(p.take_a().contains(&IsupEvent::Blocked {
        cic: 5,
        side: Side::Local,
        kind: BlockingKind::Maintenance
    }));
    assert!(p.take_b().contains(&IsupEvent::Blocked {
        cic: 5,
        side: Side::Remote,
        kind: BlockingKind::Maintenance
    }));
    // neither end seizes the circuit
    assert!(matches!(
        p.b.setup(p.now, 5, iam("1")),
        Err(IsupError::CircuitUnavailable { cic: 5 })
    ));
    assert!(matches!(
        p.a.setup(p.now, 5, iam("1")),
        Err(IsupError::CircuitUnavailable { cic: 5 })
    ));
    assert_ne!(p.b.select_circuit(), Some(5));
    p.a.unblock(p.now, 5).unwrap();
    p.drive();
    assert_eq!(p.ladder()[2..], ["A>B UBL 5", "B>A UBA 5"]);
    assert!(p.a.is_available_for_outgoing(5) && p.b.is_available_for_outgoing(5));
    assert_eq!(p.a.unblock(p.now, 5), Err(IsupError::NotBlocked { cic: 5 }));
    assert_eq!(p.a.poll_timeout(), None);
}

#[test]
fn blo_repeated_on_t12_and_t13() {
    let mut p = Pair::new();
    p.lose(drop_type(End::B, MessageType::Bla));
    p.a.block(p.now, 1).unwrap();
    p.drive();
    p.secs(299);
    assert_eq!(count(&p, End::A, MessageType::Blo), 1 + 299 / 15);
    p.secs(1);
    assert!(p.take_a().contains(&IsupEvent::Maintenance {
        cic: Some(1),
        alert: MaintenanceAlert::TimerExpired(Timer::T13)
    }));
    let n = count(&p, End::A, MessageType::Blo);
    p.secs(299);
    assert_eq!(count(&p, End::A, MessageType::Blo), n, "T12 stopped");
    p.no_loss();
    p.secs(1);
    assert_eq!(
        p.a.circuit_status(1).unwrap().local_maintenance,
        LocalBlocking::Blocked
    );
    // UBL lost the same way: T14, T15
    p.lose(drop_type(End::B, MessageType::Uba));
    p.a.unblock(p.now, 1).unwrap();
    p.secs(300);
    assert!(p.take_a().contains(&IsupEvent::Maintenance {
        cic: Some(1),
        alert: MaintenanceAlert::TimerExpired(Timer::T15)
    }));
    p.no_loss();
    p.secs(300);
    assert!(p.a.is_available_for_outgoing(1));
    assert_eq!(p.a.poll_timeout(), None);
}

#[test]
fn blo_on_a_call_in_setup_releases_it_for_reattempt() {
    let mut p = Pair::new();
    p.a.setup(p.now, 2, iam("1")).unwrap();
    // B blocks the circuit before the IAM arrives (Q.764 2.8.2.1)
    p.b.block(p.now, 2).unwrap();
    p.drive();
    assert!(p.take_a().iter().any(|e| matches!(
        e,
        IsupEvent::Released {
            cic: 2,
            reason: ReleaseReason::Blocking,
            reattempt: true,
            ..
        }
    )));
    // the IAM on a locally blocked circuit was discarded by B; A's REL gets its RLC
    assert!(p.b.circuit_status(2).unwrap().is_idle());
    assert!(p.a.circuit_status(2).unwrap().is_idle());
    assert!(p.a.circuit_status(2).unwrap().remote_maintenance);
}

#[test]
fn maintenance_blocking_leaves_an_answered_call_alone() {
    let mut p = Pair::new();
    p.a.setup(p.now, 2, iam("1")).unwrap();
    p.drive();
    p.b.answer(p.now, 2, anm()).unwrap();
    p.drive();
    p.b.block(p.now, 2).unwrap();
    p.drive();
    assert_eq!(
        p.a.circuit_status(2).unwrap().call,
        CallStatus::OutgoingAnswered
    );
    p.a.release(p.now, 2, cause(CauseValue::NormalCallClearing))
        .unwrap();
    p.drive();
    let a = p.a.circuit_status(2).unwrap();
    assert!(a.is_idle() && a.remote_maintenance);
    assert!(!p.a.is_available_for_outgoing(2));
}

#[test]
fn unexpected_bla_answered_with_ubl() {
    let mut p = Pair::new();
    p.inject(End::A, Message::bare(MessageType::Bla).with_cic(3));
    p.drive();
    // Q.764 2.8.2.3 ix)
    assert_eq!(p.ladder(), ["A>B UBL 3", "B>A UBA 3"]);
    assert!(p.take_a().contains(&IsupEvent::Maintenance {
        cic: Some(3),
        alert: MaintenanceAlert::UnexpectedAcknowledgement(MessageType::Bla)
    }));
    assert!(p.a.is_available_for_outgoing(3));
}

#[test]
fn cgb_cgu_maintenance_with_t18() {
    let mut p = Pair::new();
    p.a.setup(p.now, 3, iam("1")).unwrap();
    p.drive();
    p.b.answer(p.now, 3, anm()).unwrap();
    p.drive();
    p.clear_log();
    p.lose(drop_type(End::B, MessageType::Cgba));
    p.a.group_block(p.now, 2, 3, BlockingKind::Maintenance)
        .unwrap();
    p.drive();
    p.secs(15);
    assert_eq!(count(&p, End::A, MessageType::Cgb), 2, "T18 repeats CGB");
    p.no_loss();
    p.secs(15);
    let cgba = p.sent(End::B, MessageType::Cgba);
    let rs = cgba
        .last()
        .unwrap()
        .message
        .message
        .range_and_status()
        .unwrap();
    assert_eq!((rs.range, rs.status.as_slice()), (3, &[0x0f][..]));
    for cic in 2..=5 {
        assert_eq!(
            p.a.circuit_status(cic).unwrap().local_maintenance,
            LocalBlocking::Blocked
        );
        assert!(p.b.circuit_status(cic).unwrap().remote_maintenance);
        assert!(!p.b.is_available_for_outgoing(cic));
    }
    // the answered call on CIC 3 goes on
    assert_eq!(
        p.a.circuit_status(3).unwrap().call,
        CallStatus::OutgoingAnswered
    );
    p.a.group_unblock(p.now, 2, 3, BlockingKind::Maintenance)
        .unwrap();
    p.drive();
    for cic in [2, 4, 5] {
        assert!(p.a.is_available_for_outgoing(cic));
        assert!(p.b.is_available_for_outgoing(cic));
    }
    assert!(matches!(
        p.a.group_block(p.now, 1, 0, BlockingKind::Maintenance),
        Err(IsupError::InvalidRange { .. })
    ));
}

#[test]
fn cgb_hardware_clears_calls_without_rel() {
    let mut p = Pair::new();
    p.a.setup(p.now, 1, iam("1")).unwrap();
    p.b.setup(p.now, 2, iam("2")).unwrap();
    p.drive();
    p.b.answer(p.now, 1, anm()).unwrap();
    p.drive();
    p.take_a();
    p.take_b();
    p.clear_log();
    p.b.group_block(p.now, 1, 1, BlockingKind::Hardware)
        .unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["B>A CGB 1", "A>B CGBA 1"]);
    for end in [End::A, End::B] {
        let ev = match end {
            End::A => p.take_a(),
            End::B => p.take_b(),
        };
        for cic in [1, 2] {
            assert!(
                ev.iter().any(|e| matches!(
                    e,
                    IsupEvent::Released { cic: c, reason: ReleaseReason::HardwareBlocking, .. } if *c == cic
                )),
                "{end:?} {cic} {ev:?}"
            );
        }
        for cic in [1, 2] {
            assert_eq!(
                p.isup(end).circuit_status(cic).unwrap().call,
                CallStatus::Idle
            );
        }
    }
    assert!(p.a.circuit_status(1).unwrap().remote_hardware);
    assert_eq!(
        p.b.circuit_status(2).unwrap().local_hardware,
        LocalBlocking::Blocked
    );
    assert!(!p.a.is_available_for_outgoing(2));
    p.b.group_unblock(p.now, 1, 1, BlockingKind::Hardware)
        .unwrap();
    p.drive();
    assert!(p.a.is_available_for_outgoing(2) && p.b.is_available_for_outgoing(2));
    assert_eq!(p.a.poll_timeout(), None);
    assert_eq!(p.b.poll_timeout(), None);
}

#[test]
fn grs_restates_hardware_blocking_with_cgb() {
    let mut p = Pair::new();
    p.b.group_block(p.now, 5, 1, BlockingKind::Hardware)
        .unwrap();
    p.drive();
    p.clear_log();
    p.a.group_reset(p.now, 1, 7).unwrap();
    p.drive();
    assert_eq!(
        p.ladder(),
        ["A>B GRS 1", "B>A GRA 1", "B>A CGB 1", "A>B CGBA 1"]
    );
    assert!(p.a.circuit_status(5).unwrap().remote_hardware);
    assert!(p.a.circuit_status(6).unwrap().remote_hardware);
    assert!(p.a.is_available_for_outgoing(4));
}

#[test]
fn circuit_group_query() {
    let mut p = Pair::new();
    p.a.setup(p.now, 2, iam("1")).unwrap();
    p.b.setup(p.now, 3, iam("1")).unwrap();
    p.b.setup(p.now, 6, iam("1")).unwrap();
    p.b.block(p.now, 4).unwrap();
    p.drive();
    p.a.alert(p.now, 3, acm()).unwrap();
    p.a.group_block(p.now, 7, 1, BlockingKind::Hardware)
        .unwrap();
    // A's hardware CGB for 7-8 reaches B before the CQM
    p.a.query(p.now, 1, 7).unwrap();
    p.drive();
    let ev = p.take_a();
    let Some(IsupEvent::CircuitGroupQueryResponse {
        cic: 1,
        range: 7,
        states,
    }) = ev.last()
    else {
        panic!("{ev:?}")
    };
    // B's view: 1 idle, 2 incoming busy, 3 outgoing busy (ACM received), 4 idle and locally
    // blocked, 5 idle, 6 transient (IAM sent, no backward message: Q.764 2.8.3), 7-8 idle and
    // remotely hardware blocked
    let s: Vec<_> = states
        .iter()
        .map(|s| {
            (
                s.octet,
                s.call_processing(),
                s.maintenance_blocking(),
                s.hardware_blocking(),
            )
        })
        .collect();
    assert_eq!(
        s,
        [
            (0x0c, 3, 0, 0),
            (0x04, 1, 0, 0),
            (0x08, 2, 0, 0),
            (0x0d, 3, 1, 0),
            (0x0c, 3, 0, 0),
            (0x00, 0, 0, 0),
            (0x2c, 3, 0, 2),
            (0x2c, 3, 0, 2),
        ]
    );
    assert!(states[5].is_transient());
    assert!(p.a.poll_timeout().is_some(), "call timers only");
    // no CQR: T28 alerts maintenance
    p.lose(drop_type(End::B, MessageType::Cqr));
    p.a.query(p.now, 5, 0).unwrap();
    p.secs(10);
    assert!(p.take_a().contains(&IsupEvent::Maintenance {
        cic: Some(5),
        alert: MaintenanceAlert::TimerExpired(Timer::T28)
    }));
}

// ---- unequipped CIC ----

#[test]
fn unequipped_cic_answered_with_ucic() {
    let mut p = Pair::with(config(1, 2), Config::new(2, 1, 1..=4));
    p.a.setup(p.now, 6, iam("1")).unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["A>B IAM 6", "B>A UCIC 6"]);
    let ev = p.take_a();
    assert!(ev.contains(&IsupEvent::Maintenance {
        cic: Some(6),
        alert: MaintenanceAlert::UnequippedCircuit
    }));
    assert!(ev.iter().any(|e| matches!(
        e,
        IsupEvent::Released {
            cic: 6,
            reason: ReleaseReason::Unequipped,
            reattempt: true,
            ..
        }
    )));
    assert!(p.a.circuit_status(6).unwrap().unequipped_remotely);
    assert!(!p.a.is_available_for_outgoing(6));
    assert_eq!(p.a.poll_timeout(), None, "T7 stopped");
    assert_eq!(p.b.stats().unequipped_cic_messages, 1);
    // never a UCIC for a UCIC
    p.clear_log();
    p.inject(End::B, Message::bare(MessageType::Ucic).with_cic(7));
    p.drive();
    assert!(p.ladder().is_empty());
    // a BLO answered with UCIC: the blocking waits for no BLA (T12/T13 stopped), and the
    // circuit stays out of service
    p.clear_log();
    p.a.block(p.now, 5).unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["A>B BLO 5", "B>A UCIC 5"]);
    let a = p.a.circuit_status(5).unwrap();
    assert!(a.unequipped_remotely && a.is_idle());
    assert_eq!(a.local_maintenance, LocalBlocking::Blocked);
    assert_eq!(p.a.poll_timeout(), None);
    // the same for a group blocking: no CGB repeated for ever
    p.clear_log();
    p.a.group_block(p.now, 7, 1, BlockingKind::Hardware)
        .unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["A>B CGB 7", "B>A UCIC 7"]);
    assert_eq!(
        p.a.circuit_status(7).unwrap().local_hardware,
        LocalBlocking::Blocked
    );
    assert_eq!(
        p.a.circuit_status(8).unwrap().local_hardware,
        LocalBlocking::Blocked
    );
    p.secs(3600);
    assert_eq!(p.ladder(), ["A>B CGB 7", "B>A UCIC 7"]);
    assert_eq!(p.a.poll_timeout(), None);
}

// ---- dual seizure (Q.764 2.9.1) ----

#[test]
fn dual_seizure_on_even_and_odd_cics() {
    // B (PC 2 > PC 1) controls the even CICs, A the odd ones
    let mut p = Pair::new();
    assert!(p.b.controls(2) && !p.a.controls(2));
    assert!(p.a.controls(3) && !p.b.controls(3));
    for cic in [2u16, 3] {
        p.clear_log();
        p.take_a();
        p.take_b();
        p.a.setup(p.now, cic, iam("111")).unwrap();
        p.b.setup(p.now, cic, iam("222")).unwrap();
        p.drive();
        let (winner, loser) = if cic % 2 == 0 {
            (End::B, End::A)
        } else {
            (End::A, End::B)
        };
        let (wev, lev) = match winner {
            End::A => (p.take_a(), p.take_b()),
            End::B => (p.take_b(), p.take_a()),
        };
        // the controlling exchange ignores the IAM; its call goes on
        assert!(
            matches!(
                wev[..],
                [IsupEvent::DualSeizure {
                    backed_off: false,
                    ..
                }]
            ),
            "{wev:?}"
        );
        assert_eq!(
            p.isup(winner).circuit_status(cic).unwrap().call,
            CallStatus::OutgoingSetup
        );
        // the other backs off without REL (its IAM is handed back for a re-attempt) and
        // takes the incoming call
        let Some(IsupEvent::DualSeizure {
            outgoing_iam,
            backed_off: true,
            ..
        }) = lev.first()
        else {
            panic!("{lev:?}")
        };
        assert_eq!(
            outgoing_iam.called_party_number().unwrap().digits_string(),
            if loser == End::A { "111" } else { "222" }
        );
        assert!(matches!(lev[1], IsupEvent::Setup { .. }));
        assert_eq!(
            p.isup(loser).circuit_status(cic).unwrap().call,
            CallStatus::IncomingSetup
        );
        assert!(p.ladder().iter().all(|h| !h.contains("REL")));
        // the winning call completes
        let now = p.now;
        p.isup(loser).alert(now, cic, acm()).unwrap();
        p.drive();
        assert_eq!(
            p.isup(winner).circuit_status(cic).unwrap().call,
            CallStatus::OutgoingAlerting
        );
        let now = p.now;
        p.isup(winner)
            .release(now, cic, cause(CauseValue::NormalCallClearing))
            .unwrap();
        p.drive();
    }
    assert_eq!(p.a.stats().dual_seizures + p.b.stats().dual_seizures, 4);
}

#[test]
fn circuit_selection_prefers_controlled_circuits() {
    let p = Pair::new();
    // A controls the odd CICs: first choice an odd one, B an even one
    assert_eq!(p.a.select_circuit().map(|c| c % 2), Some(1));
    assert_eq!(p.b.select_circuit().map(|c| c % 2), Some(0));
}

// ---- unexpected messages (Q.764 2.9.5.1) ----

#[test]
fn anm_on_idle_circuit_resets_it() {
    let mut p = Pair::new();
    p.inject(End::B, anm().with_cic(4));
    p.drive();
    assert_eq!(p.ladder(), ["B>A RSC 4", "A>B RLC 4"]);
    assert!(p.b.is_available_for_outgoing(4));
    assert_eq!(p.b.stats().unexpected_messages, 1);
}

#[test]
fn unexpected_message_before_backward_message_resets_after_it_is_ignored() {
    let mut p = Pair::new();
    p.a.setup(p.now, 1, iam("1")).unwrap();
    p.drive();
    p.clear_log();
    // a CPG before any ACM (iii): the call is cleared and the circuit reset
    p.inject(
        End::A,
        cpg(sipt_codecs::isup::EventIndicator::Alerting).with_cic(1),
    );
    p.drive();
    assert_eq!(p.ladder(), ["A>B RSC 1", "B>A RLC 1"]);
    assert!(p.take_a().iter().any(|e| matches!(
        e,
        IsupEvent::Released {
            reason: ReleaseReason::UnexpectedMessage,
            reattempt: true,
            ..
        }
    )));
    // after the ACM, an unexpected CON is discarded (ii)
    p.a.setup(p.now, 1, iam("1")).unwrap();
    p.drive();
    p.b.alert(p.now, 1, acm()).unwrap();
    p.drive();
    p.clear_log();
    p.inject(End::A, con().with_cic(1));
    p.drive();
    assert!(p.ladder().is_empty());
    assert_eq!(
        p.a.circuit_status(1).unwrap().call,
        CallStatus::OutgoingAlerting
    );
}

// ---- compatibility (Q.764 2.9.5.2, 2.9.5.3) ----

const UNKNOWN_PARAMETER: u8 = 0xf0;

/// An IAM with an unrecognised parameter and, if given, instruction indicators for it.
fn iam_with_unknown(instructions: Option<u8>) -> Message {
    let mut m = iam("1").with(Parameter::unknown(UNKNOWN_PARAMETER, &[0xaa, 0xbb]));
    if let Some(i) = instructions {
        m = m.with(Parameter::unknown(57, &[UNKNOWN_PARAMETER, i | 0x80]));
    }
    m
}

fn setup_of(events: &[IsupEvent]) -> Option<&Message> {
    events.iter().find_map(|e| match e {
        IsupEvent::Setup { iam, .. } => Some(iam),
        _ => None,
    })
}

#[test]
fn unknown_parameter_without_instructions_is_discarded_with_cfn() {
    let mut p = Pair::new();
    p.a.setup(p.now, 1, iam_with_unknown(None)).unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["A>B IAM 1", "B>A CFN 1"]);
    let cfn = p.sent(End::B, MessageType::Cfn);
    assert_eq!(cause_of(cfn[0]), Some(99));
    assert_eq!(diagnostics_of(cfn[0]), [UNKNOWN_PARAMETER]);
    let ev = p.take_b();
    let iam = setup_of(&ev).expect("the call goes on");
    assert!(
        iam.parameter(UNKNOWN_PARAMETER).is_none(),
        "parameter discarded"
    );
    assert!(matches!(
        p.take_a()[..],
        [IsupEvent::Confusion { cic: 1, .. }]
    ));
    assert_eq!(p.b.stats().unrecognized_parameters, 1);
}

#[test]
fn unknown_parameter_discard_parameter_without_notification() {
    let mut p = Pair::new();
    // E = discard parameter, C = 0
    p.a.setup(p.now, 1, iam_with_unknown(Some(0x10))).unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["A>B IAM 1"]);
    assert!(setup_of(&p.take_b())
        .unwrap()
        .parameter(UNKNOWN_PARAMETER)
        .is_none());
}

#[test]
fn unknown_parameter_pass_on_at_a_transit_exchange() {
    let mut b = config(2, 1);
    b.exchange_type = ExchangeType::B;
    let mut p = Pair::with(config(1, 2), b);
    // transit interpretation, pass on (E = 0), send notification: CFN cause 103
    p.a.setup(p.now, 1, iam_with_unknown(Some(0x04))).unwrap();
    p.drive();
    let cfn = p.sent(End::B, MessageType::Cfn);
    assert_eq!(cause_of(cfn[0]), Some(103));
    let ev = p.take_b();
    let iam = setup_of(&ev).unwrap();
    assert!(iam.parameter(UNKNOWN_PARAMETER).is_some(), "passed on");
    // without instructions a transit exchange passes on silently
    let mut b = config(2, 1);
    b.exchange_type = ExchangeType::B;
    let mut p = Pair::with(config(1, 2), b);
    p.a.setup(p.now, 1, iam_with_unknown(None)).unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["A>B IAM 1"]);
    assert!(setup_of(&p.take_b())
        .unwrap()
        .parameter(UNKNOWN_PARAMETER)
        .is_some());
}

#[test]
fn unknown_parameter_discard_message_with_cfn_110() {
    let mut p = Pair::new();
    p.a.setup(p.now, 1, iam("1")).unwrap();
    p.drive();
    p.b.alert(p.now, 1, acm()).unwrap();
    p.drive();
    p.take_a();
    p.clear_log();
    // a CPG with an unknown parameter: D = discard message, C = send notification
    let m = cpg(sipt_codecs::isup::EventIndicator::Progress)
        .with(Parameter::unknown(UNKNOWN_PARAMETER, &[1]))
        .with(Parameter::unknown(57, &[UNKNOWN_PARAMETER, 0x8c]));
    p.b.progress(p.now, 1, m).unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["B>A CPG 1", "A>B CFN 1"]);
    assert_eq!(cause_of(p.sent(End::A, MessageType::Cfn)[0]), Some(110));
    assert!(
        !p.take_a()
            .iter()
            .any(|e| matches!(e, IsupEvent::Progress { .. })),
        "the CPG was discarded"
    );
}

#[test]
fn unknown_parameter_release_call_with_cause_99() {
    let mut p = Pair::new();
    // B = release call
    p.a.setup(p.now, 1, iam_with_unknown(Some(0x02))).unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["A>B IAM 1", "B>A REL 1", "A>B RLC 1"]);
    let rel = p.sent(End::B, MessageType::Rel);
    assert_eq!(cause_of(rel[0]), Some(99));
    assert_eq!(diagnostics_of(rel[0]), [UNKNOWN_PARAMETER]);
    assert!(setup_of(&p.take_b()).is_none(), "no call offered");
    assert!(p.b.circuit_status(1).unwrap().is_idle());
    // on an established call, the release is the user's news too
    p.a.setup(p.now, 1, iam("1")).unwrap();
    p.drive();
    p.b.answer(p.now, 1, anm()).unwrap();
    p.drive();
    p.take_b();
    p.a.send_call_message(
        p.now,
        1,
        Message::bare(MessageType::Fac)
            .with(Parameter::unknown(UNKNOWN_PARAMETER, &[1]))
            .with(Parameter::unknown(57, &[UNKNOWN_PARAMETER, 0x82])),
    )
    .unwrap();
    p.drive();
    assert!(p.take_b().iter().any(|e| matches!(
        e,
        IsupEvent::Released {
            reason: ReleaseReason::Compatibility,
            ..
        }
    )));
    assert!(p.a.circuit_status(1).unwrap().is_idle());
}

#[test]
fn unknown_parameter_in_rel_is_reported_in_rlc() {
    let mut p = Pair::new();
    p.a.setup(p.now, 1, iam("1")).unwrap();
    p.drive();
    let rel = Message::rel(cause(CauseValue::NormalCallClearing))
        .with(Parameter::unknown(UNKNOWN_PARAMETER, &[1]));
    p.a.release_message(p.now, 1, rel).unwrap();
    p.drive();
    let rlc = p.sent(End::B, MessageType::Rlc);
    assert_eq!(cause_of(rlc[0]), Some(99));
    assert!(p.sent(End::B, MessageType::Cfn).is_empty());
    assert!(p.a.circuit_status(1).unwrap().is_idle());
}

/// An unrecognised message (type 0xe0): only an optional part, with message compatibility
/// information when `instructions` is given.
fn unknown_message(instructions: Option<u8>) -> Message {
    let raw: Vec<u8> = match instructions {
        Some(i) => vec![0x01, 56, 1, i | 0x80, 0],
        None => vec![0x01, 0xf1, 1, 7, 0],
    };
    Message::raw_message(MessageType::from_code(0xe0), &raw)
}

fn answered_call(p: &mut Pair) {
    p.a.setup(p.now, 1, iam("1")).unwrap();
    p.drive();
    p.b.answer(p.now, 1, anm()).unwrap();
    p.drive();
    p.take_a();
    p.take_b();
    p.clear_log();
}

#[test]
fn unknown_message_instructions() {
    // no instructions: discarded, CFN cause 97 with the message type as diagnostic
    let mut p = Pair::new();
    answered_call(&mut p);
    p.a.send_call_message(p.now, 1, unknown_message(None))
        .unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["A>B 0xe0 1", "B>A CFN 1"]);
    let cfn = p.sent(End::B, MessageType::Cfn);
    assert_eq!(
        (cause_of(cfn[0]), diagnostics_of(cfn[0])),
        (Some(97), vec![0xe0])
    );
    assert_eq!(p.b.stats().unrecognized_messages, 1);

    // discard silently (D = 1, C = 0)
    p.clear_log();
    p.a.send_call_message(p.now, 1, unknown_message(Some(0x08)))
        .unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["A>B 0xe0 1"]);

    // release call (B = 1): REL cause 97
    p.a.send_call_message(p.now, 1, unknown_message(Some(0x02)))
        .unwrap();
    p.drive();
    assert_eq!(cause_of(p.sent(End::B, MessageType::Rel)[0]), Some(97));
    assert!(p.a.circuit_status(1).unwrap().is_idle());

    // a transit exchange passes it on
    let mut b = config(2, 1);
    b.exchange_type = ExchangeType::B;
    let mut p = Pair::with(config(1, 2), b);
    answered_call(&mut p);
    p.a.send_call_message(p.now, 1, unknown_message(Some(0x00)))
        .unwrap();
    p.drive();
    assert!(matches!(
        p.take_b()[..],
        [IsupEvent::UnrecognizedMessage { cic: 1, .. }]
    ));
    assert_eq!(p.ladder(), ["A>B 0xe0 1"]);
}

#[test]
fn user_part_unavailable_and_test() {
    use sipt_mgc::isup::{MtpIndication, MtpStatus, UnavailabilityCause};
    let mut p = Pair::new();
    p.a.handle_mtp(
        p.now,
        MtpIndication::Status(MtpStatus::UserPartUnavailable(
            UnavailabilityCause::InaccessibleRemoteUser,
        )),
    );
    assert!(!p.a.is_available_for_outgoing(1));
    p.lose(drop_type(End::B, MessageType::Upa));
    p.drive();
    p.secs(300);
    // Q.764 2.13: UPT every T4 until the remote ISUP answers
    assert_eq!(count(&p, End::A, MessageType::Upt), 2);
    p.no_loss();
    p.secs(300);
    assert!(p.a.is_available_for_outgoing(1));
    assert!(p.take_a().contains(&IsupEvent::RemoteUserAvailability {
        available: true,
        cause: None
    }));
    assert_eq!(p.a.poll_timeout(), None);
}

#[test]
fn congestion_control_steps() {
    use sipt_mgc::isup::{MtpIndication, MtpStatus};
    let mut p = Pair::new();
    let congestion = MtpIndication::Status(MtpStatus::Congestion { level: None });
    p.a.handle_mtp(p.now, congestion);
    p.a.handle_mtp(p.now, congestion); // ignored while T29 runs
    assert_eq!(p.a.traffic_reduction(), 1);
    p.advance(std::time::Duration::from_millis(300));
    p.a.handle_mtp(p.now, congestion);
    assert_eq!(p.a.traffic_reduction(), 2);
    // T30 (5 s) without indications: one step back each time
    p.secs(5);
    assert_eq!(p.a.traffic_reduction(), 1);
    p.secs(5);
    assert_eq!(p.a.traffic_reduction(), 0);
    assert_eq!(p.a.poll_timeout(), None);
}

#[test]
fn range_rules() {
    let mut p = Pair::new();
    assert!(matches!(
        p.a.group_reset(p.now, 1, 0),
        Err(IsupError::InvalidRange {
            message: MessageType::Grs,
            ..
        })
    ));
    assert!(matches!(
        p.a.group_reset(p.now, 1, 32),
        Err(IsupError::InvalidRange { .. })
    ));
    // a GRS with range 0 received is discarded
    p.inject(
        End::B,
        Message::range_message(MessageType::Grs, RangeAndStatus::range(0)).with_cic(1),
    );
    p.drive();
    assert!(p.ladder().is_empty());
    // a GRA answering nothing is discarded
    p.inject(
        End::B,
        Message::range_message(
            MessageType::Gra,
            RangeAndStatus::with_status_bits(1, &[true, true]),
        )
        .with_cic(1),
    );
    p.drive();
    assert!(p.ladder().is_empty());
    assert!(!p.b.circuit_status(1).unwrap().remote_maintenance);
}

// ---- group blocking timers, crossed and repeated messages, alignment ----

#[test]
fn cgb_t19_alerts_and_cgu_repeated_on_t20_and_t21() {
    let mut p = Pair::new();
    p.lose(drop_type(End::B, MessageType::Cgba));
    p.a.group_block(p.now, 1, 3, BlockingKind::Maintenance)
        .unwrap();
    p.drive();
    // T18 (15 s) repeats the CGB; at T19 (5 min) maintenance is alerted and the CGB is then
    // repeated every T19 only (Q.764 2.9.4)
    p.secs(299);
    assert_eq!(count(&p, End::A, MessageType::Cgb), 1 + 299 / 15);
    p.secs(1);
    assert!(p.take_a().contains(&IsupEvent::Maintenance {
        cic: Some(1),
        alert: MaintenanceAlert::TimerExpired(Timer::T19)
    }));
    let n = count(&p, End::A, MessageType::Cgb);
    p.secs(299);
    assert_eq!(count(&p, End::A, MessageType::Cgb), n, "T18 stopped");
    p.no_loss();
    p.secs(1);
    for cic in 1..=4 {
        assert_eq!(
            p.a.circuit_status(cic).unwrap().local_maintenance,
            LocalBlocking::Blocked
        );
    }
    // CGU with its acknowledgements lost: T20 (15 s) repeats, T21 (5 min) alerts
    p.clear_log();
    p.lose(drop_type(End::B, MessageType::Cgua));
    p.a.group_unblock(p.now, 1, 3, BlockingKind::Maintenance)
        .unwrap();
    p.drive();
    p.secs(299);
    assert_eq!(count(&p, End::A, MessageType::Cgu), 1 + 299 / 15);
    p.secs(1);
    assert!(p.take_a().contains(&IsupEvent::Maintenance {
        cic: Some(1),
        alert: MaintenanceAlert::TimerExpired(Timer::T21)
    }));
    let n = count(&p, End::A, MessageType::Cgu);
    p.secs(299);
    assert_eq!(count(&p, End::A, MessageType::Cgu), n, "T20 stopped");
    assert!(
        !p.a.is_available_for_outgoing(1),
        "not unblocked before CGUA"
    );
    p.no_loss();
    p.secs(1);
    for cic in 1..=4 {
        assert!(p.a.is_available_for_outgoing(cic) && p.b.is_available_for_outgoing(cic));
    }
    assert_eq!(p.a.poll_timeout(), None);
    assert_eq!(p.b.poll_timeout(), None);
}

#[test]
fn a_cgb_repeated_while_the_link_is_slow_is_answered_twice_without_harm() {
    let mut p = Pair::new();
    p.a.group_block(p.now, 1, 3, BlockingKind::Hardware)
        .unwrap();
    // nothing gets through for 20 s: T18 repeats the CGB behind the first one
    p.elapse(std::time::Duration::from_secs(20));
    assert_eq!(count(&p, End::A, MessageType::Cgb), 2);
    p.clear_log();
    p.drive();
    // the first CGBA ends the procedure; the second answers a CGB no longer outstanding, for
    // circuits we block: it is discarded (Q.764 2.8.2.3) — no CGU, no alert
    assert_eq!(
        p.ladder(),
        ["B>A CGBA 1", "B>A CGBA 1"],
        "no CGU, no further CGB"
    );
    assert!(!p
        .take_a()
        .iter()
        .any(|e| matches!(e, IsupEvent::Maintenance { .. })));
    for cic in 1..=4 {
        assert_eq!(
            p.a.circuit_status(cic).unwrap().local_hardware,
            LocalBlocking::Blocked
        );
        assert!(p.b.circuit_status(cic).unwrap().remote_hardware);
    }
    assert_eq!(p.a.poll_timeout(), None);
}

#[test]
fn unblocking_crossing_a_late_group_block_acknowledgement() {
    let mut p = Pair::new();
    // A blocks 1-4 with CGB; the CGBA is slow; A's maintenance unblocks CIC 2 with UBL before
    // it arrives (the UBL withdraws CIC 2 from the outstanding CGB)
    p.a.group_block(p.now, 1, 3, BlockingKind::Maintenance)
        .unwrap();
    p.a.unblock(p.now, 2).unwrap();
    p.drive();
    // the CGBA acknowledges CIC 2 too: A's UBL, already on its way, unblocks it (no CGU)
    assert_eq!(
        p.ladder(),
        ["A>B CGB 1", "A>B UBL 2", "B>A CGBA 1", "B>A UBA 2"]
    );
    for cic in [1, 3, 4] {
        assert_eq!(
            p.a.circuit_status(cic).unwrap().local_maintenance,
            LocalBlocking::Blocked
        );
        assert!(p.b.circuit_status(cic).unwrap().remote_maintenance);
    }
    assert!(p.a.is_available_for_outgoing(2) && p.b.is_available_for_outgoing(2));
    assert_eq!(p.a.poll_timeout(), None);
}

#[test]
fn our_rsc_on_a_circuit_we_block_is_followed_by_blo() {
    let mut p = Pair::new();
    p.a.block(p.now, 4).unwrap();
    p.drive();
    p.clear_log();
    // the far end removes the remote blocking state on the RSC (Q.764 2.9.3.1): A restates
    // its blocking once the RLC is in
    p.a.reset(p.now, 4).unwrap();
    p.drive();
    assert_eq!(
        p.ladder(),
        ["A>B RSC 4", "B>A RLC 4", "A>B BLO 4", "B>A BLA 4"]
    );
    assert_eq!(
        p.a.circuit_status(4).unwrap().local_maintenance,
        LocalBlocking::Blocked
    );
    assert!(p.b.circuit_status(4).unwrap().remote_maintenance);
    assert!(!p.b.is_available_for_outgoing(4));
    assert_eq!(p.a.poll_timeout(), None);
    // the same for hardware blocking: restated with a hardware oriented CGB
    p.a.group_block(p.now, 6, 1, BlockingKind::Hardware)
        .unwrap();
    p.drive();
    p.clear_log();
    p.a.reset(p.now, 6).unwrap();
    p.drive();
    assert_eq!(
        p.ladder(),
        ["A>B RSC 6", "B>A RLC 6", "A>B CGB 6", "B>A CGBA 6"]
    );
    assert!(p.b.circuit_status(6).unwrap().remote_hardware);
    assert!(p.b.circuit_status(7).unwrap().remote_hardware);
}

#[test]
fn a_late_gra_for_a_repeated_grs_restates_blocking() {
    let mut p = Pair::new();
    p.a.block(p.now, 3).unwrap();
    p.drive();
    // GRS, nothing delivered for 15 s: T22 repeats it
    p.a.group_reset(p.now, 1, 7).unwrap();
    p.elapse(std::time::Duration::from_secs(15));
    assert_eq!(count(&p, End::A, MessageType::Grs), 2);
    p.clear_log();
    p.drive();
    // each GRS makes B forget A's blocking; each GRA is followed by A's BLO
    assert_eq!(
        p.ladder(),
        [
            "B>A GRA 1",
            "B>A GRA 1",
            "A>B BLO 3",
            "A>B BLO 3",
            "B>A BLA 3",
            "B>A BLA 3",
        ]
    );
    assert!(p.b.circuit_status(3).unwrap().remote_maintenance);
    assert_eq!(
        p.a.circuit_status(3).unwrap().local_maintenance,
        LocalBlocking::Blocked
    );
    for cic in (1..=8).filter(|&c| c != 3) {
        assert!(p.a.is_available_for_outgoing(cic) && p.b.is_available_for_outgoing(cic));
    }
    assert_eq!(p.a.poll_timeout(), None);
}

#[test]
fn circuit_group_query_aligns_blocking_states() {
    let mut p = Pair::new();
    // a stale BLO reaches B (its acknowledgement is lost): B believes A blocks CIC 3
    p.lose(drop_type(End::B, MessageType::Bla));
    p.inject(End::B, Message::bare(MessageType::Blo).with_cic(3));
    p.drive();
    p.no_loss();
    assert!(p.b.circuit_status(3).unwrap().remote_maintenance);
    assert!(!p.b.is_available_for_outgoing(3));
    // and A hardware-blocks CIC 5 but B never hears of it (CGB lost)
    p.lose(drop_type(End::A, MessageType::Cgb));
    p.a.group_block(p.now, 5, 1, BlockingKind::Hardware)
        .unwrap();
    p.drive();
    p.no_loss();
    p.take_a();
    p.clear_log();
    // A audits the group: B's CQR shows CIC 3 remotely blocked (A does not block it: UBL) and
    // CIC 5-6 transient at A's end only; the CGB repetition does the rest
    p.a.query(p.now, 1, 7).unwrap();
    p.drive();
    assert_eq!(
        p.ladder(),
        ["A>B CQM 1", "B>A CQR 1", "A>B UBL 3", "B>A UBA 3"]
    );
    assert!(p.a.is_available_for_outgoing(3) && p.b.is_available_for_outgoing(3));
    p.secs(15);
    assert!(p.b.circuit_status(5).unwrap().remote_hardware);
    // B audits: A's CQR shows 5-6 locally hardware blocked, as B has them now; nothing to do
    p.clear_log();
    p.b.query(p.now, 1, 7).unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["B>A CQM 1", "A>B CQR 1"]);
    // a remote blocking B holds that A's CQR denies is removed at once
    p.lose(drop_type(End::B, MessageType::Bla));
    p.inject(End::B, Message::bare(MessageType::Blo).with_cic(8));
    p.drive();
    p.no_loss();
    assert!(!p.b.is_available_for_outgoing(8));
    p.take_b();
    p.clear_log();
    p.b.query(p.now, 8, 0).unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["B>A CQM 8", "A>B CQR 8"]);
    assert!(p.take_b().contains(&IsupEvent::Unblocked {
        cic: 8,
        side: Side::Remote,
        kind: BlockingKind::Maintenance
    }));
    assert!(p.b.is_available_for_outgoing(8));
    assert_eq!(p.a.poll_timeout(), None);
    assert_eq!(p.b.poll_timeout(), None);
}
