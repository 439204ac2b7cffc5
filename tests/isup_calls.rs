//! Ladder-diagram scenarios of the basic call (Q.764 2.1-2.4) between two `Isup` machines:
//! A (point code 1) and B (point code 2), every message through the codec, simulated time.

#[path = "isup_pair.rs"]
mod pair;

use pair::*;
use sipt_codecs::isup::{
    CauseValue, CicMessage, ContinuityCheckIndicator, EventIndicator, InformationRequestIndicators,
    Message, MessageType, Parameter,
};
use sipt_mgc::isup::{
    CallStatus, ContinuityMode, InformationResponse, IsupError, IsupEvent, MaintenanceAlert,
    MtpIndication, ReleaseReason, Timer,
};

fn released(events: &[IsupEvent]) -> Vec<(u16, ReleaseReason, Option<u8>, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            IsupEvent::Released {
                cic,
                reason,
                cause,
                reattempt,
                ..
            } => Some((
                *cic,
                *reason,
                cause.as_ref().map(|c| c.cause_value().code()),
                *reattempt,
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn basic_call_a_to_b() {
    let mut p = Pair::new();
    let t = p.now;
    p.a.setup(t, 1, iam("4930123456")).unwrap();
    p.drive();
    assert_eq!(
        p.a.circuit_status(1).unwrap().call,
        CallStatus::OutgoingSetup
    );
    let ev = p.take_b();
    let Some(IsupEvent::Setup {
        cic: 1,
        iam,
        continuity_check: false,
    }) = ev.first()
    else {
        panic!("{ev:?}")
    };
    assert_eq!(
        iam.called_party_number().unwrap().digits_string(),
        "4930123456"
    );

    p.b.alert(p.now, 1, acm()).unwrap();
    p.drive();
    p.b.progress(p.now, 1, cpg(EventIndicator::InbandInformation))
        .unwrap();
    p.drive();
    p.secs(5);
    p.b.answer(p.now, 1, anm()).unwrap();
    p.drive();
    let ev = p.take_a();
    assert!(matches!(ev[0], IsupEvent::AddressComplete { cic: 1, .. }));
    assert!(matches!(ev[1], IsupEvent::Progress { cic: 1, .. }));
    assert!(matches!(ev[2], IsupEvent::Answer { cic: 1, .. }));
    assert_eq!(
        p.a.circuit_status(1).unwrap().call,
        CallStatus::OutgoingAnswered
    );
    assert_eq!(
        p.b.circuit_status(1).unwrap().call,
        CallStatus::IncomingAnswered
    );

    p.secs(60);
    p.a.release(p.now, 1, cause(CauseValue::NormalCallClearing))
        .unwrap();
    p.drive();
    assert_eq!(
        p.ladder(),
        [
            "A>B IAM 1",
            "B>A ACM 1",
            "B>A CPG 1",
            "B>A ANM 1",
            "A>B REL 1",
            "B>A RLC 1"
        ]
    );
    assert_eq!(
        released(&p.take_b()),
        [(1, ReleaseReason::Remote, Some(16), false)]
    );
    assert!(matches!(
        p.take_a()[..],
        [IsupEvent::ReleaseComplete { cic: 1, .. }]
    ));
    assert!(p.a.circuit_status(1).unwrap().is_idle());
    assert!(p.b.circuit_status(1).unwrap().is_idle());
    assert!(p.a.is_available_for_outgoing(1) && p.b.is_available_for_outgoing(1));
    // no timer left behind
    assert_eq!(p.a.poll_timeout(), None);
    assert_eq!(p.b.poll_timeout(), None);
    assert_eq!(p.a.stats().outgoing_calls, 1);
    assert_eq!(p.b.stats().incoming_calls, 1);
    assert_eq!(p.b.stats().messages_received.get(MessageType::Rel), 1);
}

#[test]
fn basic_call_b_to_a_answered_with_con_released_by_called_party() {
    let mut p = Pair::new();
    p.b.setup(p.now, 5, iam("100")).unwrap();
    p.drive();
    assert!(matches!(p.take_a()[..], [IsupEvent::Setup { cic: 5, .. }]));
    // no ACM yet: ANM goes out as CON (Q.764 2.1.7)
    p.a.answer(p.now, 5, anm()).unwrap();
    p.drive();
    assert!(matches!(
        p.take_b()[..],
        [IsupEvent::Connect { cic: 5, .. }]
    ));
    p.a.release(p.now, 5, cause(CauseValue::NormalCallClearing))
        .unwrap();
    p.drive();
    assert_eq!(
        p.ladder(),
        ["B>A IAM 5", "A>B CON 5", "A>B REL 5", "B>A RLC 5"]
    );
    assert_eq!(
        released(&p.take_b()),
        [(5, ReleaseReason::Remote, Some(16), false)]
    );
    // CON after an ACM is refused, and so is an ACM on an answered call
    p.b.setup(p.now, 5, iam("100")).unwrap();
    p.drive();
    p.a.alert(p.now, 5, acm()).unwrap();
    assert!(matches!(
        p.a.answer(p.now, 5, con()),
        Err(IsupError::WrongMessage { cic: 5, .. })
    ));
    p.a.answer(p.now, 5, anm()).unwrap();
    assert!(matches!(
        p.a.alert(p.now, 5, acm()),
        Err(IsupError::WrongState {
            cic: 5,
            state: CallStatus::IncomingAnswered
        })
    ));
}

#[test]
fn call_rejected_before_acm() {
    let mut p = Pair::new();
    p.a.setup(p.now, 2, iam("999")).unwrap();
    p.drive();
    p.b.release(p.now, 2, cause(CauseValue::UserBusy)).unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["A>B IAM 2", "B>A REL 2", "A>B RLC 2"]);
    assert_eq!(
        released(&p.take_a()),
        [(2, ReleaseReason::Remote, Some(17), false)]
    );
    assert!(p.a.is_available_for_outgoing(2));
    assert_eq!(p.a.poll_timeout(), None, "T7 stopped");
}

#[test]
fn t7_expiry_releases_with_cause_102() {
    let mut p = Pair::new();
    p.a.setup(p.now, 3, iam("12")).unwrap();
    p.drive();
    // B's user never answers: A's T7 (20 s) expires
    p.secs(19);
    assert_eq!(p.ladder(), ["A>B IAM 3"]);
    p.secs(1);
    assert_eq!(p.ladder(), ["A>B IAM 3", "A>B REL 3", "B>A RLC 3"]);
    assert_eq!(cause_of(p.sent(End::A, MessageType::Rel)[0]), Some(102));
    assert_eq!(
        released(&p.take_a()),
        [(3, ReleaseReason::TimerExpiry(Timer::T7), Some(102), false)]
    );
    assert!(matches!(
        p.take_b()[..],
        [
            IsupEvent::Setup { .. },
            IsupEvent::Released {
                reason: ReleaseReason::Remote,
                ..
            }
        ]
    ));
    assert_eq!(p.a.stats().timer_expiries.get(Timer::T7), 1);
}

#[test]
fn t9_expiry_releases_with_cause_19() {
    let mut p = Pair::new();
    p.a.setup(p.now, 4, iam("12")).unwrap();
    p.drive();
    p.b.alert(p.now, 4, acm()).unwrap();
    p.drive();
    p.secs(89);
    assert!(p.sent(End::A, MessageType::Rel).is_empty());
    p.secs(1);
    assert_eq!(cause_of(p.sent(End::A, MessageType::Rel)[0]), Some(19));
    assert!(p.a.circuit_status(4).unwrap().is_idle());

    // T9 switched off: no release however long the alerting
    let mut c = config(1, 2);
    c.timers.t9 = None;
    let mut p = Pair::with(c, config(2, 1));
    p.a.setup(p.now, 4, iam("12")).unwrap();
    p.drive();
    p.b.alert(p.now, 4, acm()).unwrap();
    p.secs(3600);
    assert!(p.sent(End::A, MessageType::Rel).is_empty());
}

#[test]
fn t1_t5_unanswered_release_then_reset_and_maintenance_alert() {
    let mut p = Pair::new();
    p.a.setup(p.now, 6, iam("12")).unwrap();
    p.drive();
    p.b.answer(p.now, 6, anm()).unwrap();
    p.drive();
    p.take_a();
    // every RLC from B is lost
    p.lose(drop_type(End::B, MessageType::Rlc));
    p.a.release(p.now, 6, cause(CauseValue::NormalCallClearing))
        .unwrap();
    p.drive();
    p.secs(299);
    // T1 (15 s): REL repeated; nothing else
    let rels = p.sent(End::A, MessageType::Rel).len();
    assert_eq!(rels, 1 + 299 / 15);
    assert!(p.sent(End::A, MessageType::Rsc).is_empty());
    p.secs(1);
    // T5 (5 min): RSC, maintenance alerted, T1 stopped, T17 started (no T16)
    assert_eq!(p.sent(End::A, MessageType::Rsc).len(), 1);
    let ev = p.take_a();
    assert!(ev.contains(&IsupEvent::Maintenance {
        cic: Some(6),
        alert: MaintenanceAlert::TimerExpired(Timer::T5)
    }));
    assert!(
        !p.a.is_available_for_outgoing(6),
        "out of service until reset"
    );
    let rels = p.sent(End::A, MessageType::Rel).len();
    p.secs(299);
    assert_eq!(
        p.sent(End::A, MessageType::Rel).len(),
        rels,
        "no REL after T5"
    );
    assert_eq!(p.sent(End::A, MessageType::Rsc).len(), 1, "no T16 after T5");
    p.secs(1);
    assert_eq!(p.sent(End::A, MessageType::Rsc).len(), 2, "RSC every T17");
    // the far end comes back: the RSC is answered, the circuit returns to service
    p.no_loss();
    p.secs(300);
    assert!(p.a.circuit_status(6).unwrap().is_idle());
    assert!(p.a.is_available_for_outgoing(6));
    assert!(p.take_a().contains(&IsupEvent::CircuitReset {
        cic: 6,
        remote: false
    }));
    assert_eq!(p.a.poll_timeout(), None);
}

#[test]
fn release_collision() {
    let mut p = Pair::new();
    p.a.setup(p.now, 1, iam("1")).unwrap();
    p.drive();
    p.b.answer(p.now, 1, anm()).unwrap();
    p.drive();
    p.clear_log();
    // both release before either REL arrives
    p.a.release(p.now, 1, cause(CauseValue::NormalCallClearing))
        .unwrap();
    p.b.release(p.now, 1, cause(CauseValue::NormalCallClearing))
        .unwrap();
    p.drive();
    assert_eq!(
        p.ladder(),
        ["A>B REL 1", "B>A REL 1", "B>A RLC 1", "A>B RLC 1"]
    );
    assert!(p.a.circuit_status(1).unwrap().is_idle());
    assert!(p.b.circuit_status(1).unwrap().is_idle());
    assert_eq!(p.a.poll_timeout(), None);
    assert_eq!(p.b.poll_timeout(), None);
}

#[test]
fn sam_overlap_restarts_t7() {
    let mut p = Pair::new();
    p.a.setup(p.now, 1, iam("49")).unwrap();
    p.drive();
    p.b.expect_more_digits(p.now, 1).unwrap();
    p.secs(10);
    p.a.subsequent_address(p.now, 1, sam("3012")).unwrap();
    p.drive();
    let ev = p.take_b();
    let Some(IsupEvent::SubsequentAddress { cic: 1, sam }) = ev.get(1) else {
        panic!("{ev:?}")
    };
    assert_eq!(sam.subsequent_number().unwrap().digits.to_string(), "3012");
    // T7 and B's T35 restarted by the SAM: no REL 20 s after the IAM, nor 15 s after it
    p.secs(14);
    assert!(p.sent(End::A, MessageType::Rel).is_empty());
    assert!(p.sent(End::B, MessageType::Rel).is_empty());
    p.b.alert(p.now, 1, acm()).unwrap();
    p.drive();
    p.secs(60);
    assert!(p.sent(End::A, MessageType::Rel).is_empty());
    assert_eq!(p.ladder(), ["A>B IAM 1", "A>B SAM 1", "B>A ACM 1"]);
}

#[test]
fn t35_incomplete_address_releases_with_cause_28() {
    let mut p = Pair::new();
    p.a.setup(p.now, 1, iam("49")).unwrap();
    p.drive();
    p.b.expect_more_digits(p.now, 1).unwrap();
    p.secs(15);
    assert_eq!(cause_of(p.sent(End::B, MessageType::Rel)[0]), Some(28));
    assert_eq!(
        released(&p.take_a()),
        [(1, ReleaseReason::Remote, Some(28), false)]
    );
}

#[test]
fn suspend_resume_with_t6() {
    let mut p = Pair::new();
    p.a.setup(p.now, 2, iam("1")).unwrap();
    p.drive();
    p.b.answer(p.now, 2, anm()).unwrap();
    p.drive();
    p.take_a();
    // the called party hangs up: B (not controlling) sends SUS (network); A runs T6
    p.b.suspend(p.now, 2, sus(true)).unwrap();
    p.drive();
    assert!(matches!(
        p.take_a()[..],
        [IsupEvent::Suspend { cic: 2, .. }]
    ));
    p.secs(9);
    p.b.resume(p.now, 2, res(true)).unwrap();
    p.drive();
    assert!(matches!(p.take_a()[..], [IsupEvent::Resume { cic: 2, .. }]));
    p.secs(60);
    assert!(
        p.sent(End::A, MessageType::Rel).is_empty(),
        "T6 stopped by RES"
    );
    // again, without RES: at T6 (10 s) A releases with cause 16 (Q.764 2.4.3)
    p.b.suspend(p.now, 2, sus(true)).unwrap();
    p.drive();
    p.secs(10);
    assert_eq!(cause_of(p.sent(End::A, MessageType::Rel)[0]), Some(16));
    assert_eq!(
        released(&p.take_a()),
        [(2, ReleaseReason::TimerExpiry(Timer::T6), Some(16), false)]
    );
    assert!(p.a.circuit_status(2).unwrap().is_idle());
    assert!(p.b.circuit_status(2).unwrap().is_idle());

    // user-initiated SUS: T2 (3 min)
    p.a.setup(p.now, 2, iam("1")).unwrap();
    p.drive();
    p.b.answer(p.now, 2, anm()).unwrap();
    p.drive();
    p.b.suspend(p.now, 2, sus(false)).unwrap();
    p.drive();
    p.secs(179);
    assert_eq!(p.sent(End::A, MessageType::Rel).len(), 1);
    p.secs(1);
    assert_eq!(p.sent(End::A, MessageType::Rel).len(), 2);
}

#[test]
fn t38_when_we_send_sus_as_incoming_international_exchange() {
    // with A's T6 longer than B's T38, B releases on T38 with cause 102 (Q.764 2.4.3)
    let mut a = config(1, 2);
    a.timers.t6 = std::time::Duration::from_secs(60);
    let mut b = config(2, 1);
    b.timers.t38 = Some(std::time::Duration::from_secs(20));
    let mut p = Pair::with(a, b);
    p.a.setup(p.now, 1, iam("1")).unwrap();
    p.drive();
    p.b.answer(p.now, 1, anm()).unwrap();
    p.drive();
    p.b.suspend(p.now, 1, sus(true)).unwrap();
    p.drive();
    p.secs(20);
    assert_eq!(cause_of(p.sent(End::B, MessageType::Rel)[0]), Some(102));
}

#[test]
fn continuity_check_success_then_call() {
    let mut p = Pair::new();
    p.a.setup(
        p.now,
        3,
        iam_with_continuity("1", ContinuityCheckIndicator::RequiredOnThisCircuit),
    )
    .unwrap();
    p.drive();
    assert!(matches!(
        p.take_b()[..],
        [IsupEvent::Setup {
            cic: 3,
            continuity_check: true,
            ..
        }]
    ));
    // no alerting before the COT
    assert!(matches!(
        p.b.alert(p.now, 3, acm()),
        Err(IsupError::ContinuityPending { cic: 3 })
    ));
    p.secs(2);
    p.a.continuity(p.now, 3, true).unwrap();
    p.drive();
    assert!(matches!(
        p.take_b()[..],
        [IsupEvent::Continuity {
            cic: 3,
            passed: true,
            ..
        }]
    ));
    p.b.alert(p.now, 3, acm()).unwrap();
    p.drive();
    p.secs(30);
    assert_eq!(p.ladder(), ["A>B IAM 3", "A>B COT 3", "B>A ACM 3"]);
}

#[test]
fn t8_expiry_without_cot_releases_with_cause_41() {
    let mut p = Pair::new();
    p.a.setup(
        p.now,
        3,
        iam_with_continuity("1", ContinuityCheckIndicator::PerformedOnPreviousCircuit),
    )
    .unwrap();
    p.drive();
    p.secs(9);
    assert!(p.sent(End::B, MessageType::Rel).is_empty());
    p.secs(1);
    assert_eq!(cause_of(p.sent(End::B, MessageType::Rel)[0]), Some(41));
    assert_eq!(
        released(&p.take_b()),
        [(3, ReleaseReason::TimerExpiry(Timer::T8), Some(41), false)]
    );
    assert!(p.a.circuit_status(3).unwrap().is_idle());
    assert!(p.b.circuit_status(3).unwrap().is_idle());
}

#[test]
fn continuity_failure_then_recheck() {
    let mut p = Pair::new();
    p.a.setup(
        p.now,
        7,
        iam_with_continuity("1", ContinuityCheckIndicator::RequiredOnThisCircuit),
    )
    .unwrap();
    p.drive();
    p.take_b();
    p.a.continuity(p.now, 7, false).unwrap();
    p.drive();
    // A: the call is cleared (re-attempt elsewhere), the circuit awaits its recheck
    assert_eq!(
        released(&p.take_a()),
        [(7, ReleaseReason::ContinuityFailure, None, true)]
    );
    assert_eq!(
        p.a.circuit_status(7).unwrap().call,
        CallStatus::ContinuityRecheck
    );
    assert_eq!(
        p.b.circuit_status(7).unwrap().call,
        CallStatus::ContinuityRecheck
    );
    assert!(!p.a.is_available_for_outgoing(7));
    // T25 (1 s): CCR, the check is the user's
    p.secs(1);
    assert!(p
        .take_a()
        .contains(&IsupEvent::ContinuityCheckDue { cic: 7 }));
    assert!(p
        .take_b()
        .contains(&IsupEvent::ContinuityCheckRequest { cic: 7 }));
    // fails again: COT failed, T26 (1 min) then CCR again
    p.a.continuity(p.now, 7, false).unwrap();
    p.drive();
    p.secs(60);
    assert_eq!(p.sent(End::A, MessageType::Ccr).len(), 2);
    // passes: REL returns the circuit to idle at both ends
    p.a.continuity(p.now, 7, true).unwrap();
    p.drive();
    assert_eq!(
        p.ladder(),
        [
            "A>B IAM 7",
            "A>B COT 7",
            "A>B CCR 7",
            "A>B COT 7",
            "A>B CCR 7",
            "A>B REL 7",
            "B>A RLC 7"
        ]
    );
    assert!(p.a.circuit_status(7).unwrap().is_idle());
    assert!(p.b.circuit_status(7).unwrap().is_idle());
    assert!(p.a.is_available_for_outgoing(7));
}

#[test]
fn continuity_recheck_never_requested_resets_on_t27() {
    let mut p = Pair::new();
    p.lose(drop_type(End::A, MessageType::Ccr));
    p.a.setup(
        p.now,
        7,
        iam_with_continuity("1", ContinuityCheckIndicator::RequiredOnThisCircuit),
    )
    .unwrap();
    p.a.continuity(p.now, 7, false).unwrap();
    p.drive();
    p.secs(240);
    // B's T27 (4 min): RSC; A's recheck is abandoned and both ends are idle
    assert_eq!(p.sent(End::B, MessageType::Rsc).len(), 1);
    assert!(p.take_b().contains(&IsupEvent::Maintenance {
        cic: Some(7),
        alert: MaintenanceAlert::TimerExpired(Timer::T27)
    }));
    assert!(p.a.circuit_status(7).unwrap().is_idle());
    assert!(p.b.circuit_status(7).unwrap().is_idle());
}

#[test]
fn automatic_continuity_for_a_simulator() {
    let mut a = config(1, 2);
    a.continuity = ContinuityMode::Automatic { passed: true };
    let mut p = Pair::with(a, config(2, 1));
    p.a.setup(
        p.now,
        1,
        iam_with_continuity("1", ContinuityCheckIndicator::RequiredOnThisCircuit),
    )
    .unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["A>B IAM 1", "A>B COT 1"]);
    // a stand-alone check of an idle circuit: CCR, then REL/RLC on success
    p.clear_log();
    p.a.release(p.now, 1, cause(CauseValue::NormalCallClearing))
        .unwrap();
    p.drive();
    p.a.continuity_recheck(p.now, 2).unwrap();
    p.drive();
    assert_eq!(
        p.ladder(),
        [
            "A>B REL 1",
            "B>A RLC 1",
            "A>B CCR 2",
            "A>B REL 2",
            "B>A RLC 2"
        ]
    );
    assert!(p.b.circuit_status(2).unwrap().is_idle());
}

#[test]
fn information_request_answered_automatically_or_passed_up() {
    let mut p = Pair::new();
    let calling = sipt_codecs::isup::CallingPartyNumber::from_digits(
        sipt_codecs::isup::NatureOfAddress::NationalNumber,
        sipt_codecs::isup::CallingNumberIndicators::default(),
        "301234",
    )
    .unwrap();
    p.a.setup(
        p.now,
        1,
        iam("1").with(Parameter::CallingPartyNumber(calling)),
    )
    .unwrap();
    p.drive();
    let inr = Message::new(
        MessageType::Inr,
        vec![Parameter::InformationRequestIndicators(
            InformationRequestIndicators::default()
                .with_calling_party_address_requested(true)
                .with_calling_partys_category_requested(true),
        )],
    );
    p.b.request_information(p.now, 1, inr.clone()).unwrap();
    p.drive();
    let ev = p.take_b();
    let Some(IsupEvent::Information { cic: 1, inf }) = ev.last() else {
        panic!("{ev:?}")
    };
    assert_eq!(
        inf.calling_party_number().unwrap().digits_string(),
        "301234"
    );
    assert!(inf
        .information_indicators()
        .unwrap()
        .calling_partys_category_included());
    p.secs(30);
    assert!(p.sent(End::B, MessageType::Rel).is_empty(), "T33 stopped");

    // passed up, and never answered: T33 (12 s) releases
    let mut a = config(1, 2);
    a.information_response = InformationResponse::PassUp;
    let mut p = Pair::with(a, config(2, 1));
    p.a.setup(p.now, 1, iam("1")).unwrap();
    p.drive();
    p.b.request_information(p.now, 1, inr).unwrap();
    p.drive();
    assert!(matches!(
        p.take_a()[..],
        [IsupEvent::InformationRequest { cic: 1, .. }]
    ));
    p.secs(12);
    assert_eq!(p.sent(End::B, MessageType::Rel).len(), 1);
}

#[test]
fn pass_along_messages_reach_the_user() {
    let mut p = Pair::new();
    p.a.setup(p.now, 1, iam("1")).unwrap();
    p.drive();
    p.b.answer(p.now, 1, anm()).unwrap();
    p.drive();
    p.take_a();
    p.take_b();
    for t in [MessageType::Fot, MessageType::Fac] {
        p.a.send_call_message(p.now, 1, Message::bare(t)).unwrap();
    }
    p.b.send_call_message(
        p.now,
        1,
        Message::new(
            MessageType::Usr,
            vec![Parameter::UserToUserInformation(
                sipt_codecs::isup::OctetString::new(&[1, 2, 3]),
            )],
        ),
    )
    .unwrap();
    p.drive();
    let ev = p.take_b();
    assert_eq!(ev.len(), 2);
    assert!(ev
        .iter()
        .all(|e| matches!(e, IsupEvent::CallMessage { cic: 1, .. })));
    assert!(matches!(
        p.take_a()[..],
        [IsupEvent::CallMessage { cic: 1, .. }]
    ));
    assert!(matches!(
        p.a.send_call_message(p.now, 1, acm()),
        Err(IsupError::WrongMessage { .. })
    ));
}

#[test]
fn mtp_pause_stops_new_calls_and_resume_resets() {
    let mut a = config(1, 2);
    a.reset_on_resume = sipt_mgc::isup::ResetOnResume::StartAndRecovery;
    let mut p = Pair::with(a, config(2, 1));
    // the start: GRS for CICs 1-8, answered by GRA
    assert!(p.a.is_available_for_outgoing(1));
    p.a.handle_mtp(p.now, MtpIndication::Pause);
    assert!(matches!(
        p.a.setup(p.now, 1, iam("1")),
        Err(IsupError::RelationUnavailable)
    ));
    assert!(!p.a.is_available_for_outgoing(1));
    assert!(p.take_a().contains(&IsupEvent::RelationPaused));
    p.a.handle_mtp(p.now, MtpIndication::Resume);
    p.drive();
    assert_eq!(p.ladder(), ["A>B GRS 1", "B>A GRA 1"]);
    assert!(p.a.is_available_for_outgoing(1));
}

#[test]
fn unexpected_rlc_on_a_call_releases_it() {
    let mut p = Pair::new();
    p.a.setup(p.now, 1, iam("1")).unwrap();
    p.drive();
    p.b.answer(p.now, 1, anm()).unwrap();
    p.drive();
    p.clear_log();
    // Q.764 2.9.5.1 c): RLC for a busy circuit: released with REL
    p.inject(End::A, Message::bare(MessageType::Rlc).with_cic(1));
    p.drive();
    assert_eq!(p.ladder(), ["A>B REL 1", "B>A RLC 1"]);
    assert!(p.a.circuit_status(1).unwrap().is_idle());
    // REL on an idle circuit: RLC (2.9.5.1 b); RLC on an idle circuit: discarded (a)
    p.clear_log();
    p.inject(
        End::B,
        Message::rel(cause(CauseValue::NormalCallClearing)).with_cic(2),
    );
    p.inject(End::B, Message::bare(MessageType::Rlc).with_cic(3));
    p.drive();
    assert_eq!(p.ladder(), ["B>A RLC 2"]);
}

#[test]
fn commands_check_their_arguments() {
    let mut p = Pair::new();
    assert_eq!(
        p.a.setup(p.now, 99, iam("1")),
        Err(IsupError::UnknownCic { cic: 99 })
    );
    assert!(matches!(
        p.a.setup(p.now, 1, acm()),
        Err(IsupError::WrongMessage {
            cic: 1,
            got: MessageType::Acm
        })
    ));
    assert!(matches!(
        p.a.release(p.now, 1, cause(CauseValue::NormalCallClearing)),
        Err(IsupError::WrongState {
            cic: 1,
            state: CallStatus::Idle
        })
    ));
    p.a.setup(p.now, 1, iam("1")).unwrap();
    assert!(matches!(
        p.a.setup(p.now, 1, iam("1")),
        Err(IsupError::CircuitUnavailable { cic: 1 })
    ));
    // an event and a command on a CIC outside the 12 bits never panic
    p.inject(
        End::A,
        CicMessage {
            cic: 0x0fff,
            cic_spare: 0xf,
            message: anm(),
        },
    );
    assert!(p.a.handle_octets(p.now, &[0x01]).is_err());
    assert_eq!(p.a.stats().decode_errors, 1);
}
