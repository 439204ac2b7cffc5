//! QSIG basic call between two `QsigCalls` back to back: establishment both ways, clearing
//! from either side, rejection, overlap sending, names, and the establishment and clearing
//! timers (ECMA-143 / Q.931 clause 5 and tables 9-1, 9-2), as ladder diagrams.

mod qsig_util;

use qsig_util::*;
use sipt_codecs::q931::{
    CauseValue, CodingStandard, InformationElement, Location, MessageType, NotificationDescription,
    Presentation, ProgressDescription, ProgressIndicator, Screening, Shift,
};
use sipt_codecs::qsig::{self, Facility, Name};
use sipt_mgc::qsig::{
    CallEvent, CallState, ChannelRequest, ChannelState, ClearReason, Config, ConnectResponse,
    InformationRequest, Response, SetupRequest, Side, Timer,
};

fn in_band() -> ProgressIndicator {
    ProgressIndicator {
        coding_standard: CodingStandard::ItuT,
        location: Location::PrivateNetworkLocalUser,
        progress_description: ProgressDescription::InBandInformationAvailable,
    }
}

fn setup_request(called: &str) -> SetupRequest {
    let mut r = SetupRequest::new(number(called));
    r.calling = Some(
        number("4930123").presented(Presentation::Allowed, Screening::UserProvidedNotScreened),
    );
    r.calling_name = Some(Name::allowed("Alice"));
    r
}

#[test]
fn call_from_a_answered_by_b_cleared_by_a() {
    let mut p = Pair::new();
    let now = p.now;
    let a_call = p.a.setup(now, setup_request("2001")).unwrap();
    p.drive();
    let b_call = incoming(&p.b_events);
    let CallEvent::IncomingCall(inc) = &p.b_events[0] else {
        panic!("{:?}", p.b_events)
    };
    assert_eq!(inc.called.as_ref().unwrap().digits, "2001");
    let calling = inc.calling.as_ref().unwrap();
    assert_eq!(calling.digits, "4930123");
    assert_eq!(calling.presentation, Some(Presentation::Allowed));
    assert_eq!(calling.screening, Some(Screening::UserProvidedNotScreened));
    assert_eq!(inc.calling_name, Some(Name::allowed("Alice")));
    assert!(inc.sending_complete);
    // A is network: it takes channels from the top.
    assert_eq!(inc.channel, 31);
    assert_eq!(p.a.call_channel(a_call), Some(31));
    assert_eq!(p.b.channel_state(31), Some(ChannelState::Busy(b_call)));
    assert_eq!(p.a.call_state(a_call), CallState::CallInitiated);
    assert_eq!(p.b.call_state(b_call), CallState::CallPresent);

    p.b.proceeding(p.now, b_call, Response::default()).unwrap();
    p.drive();
    assert_eq!(p.a.call_state(a_call), CallState::OutgoingCallProceeding);
    p.b.alerting(
        p.now,
        b_call,
        Response {
            progress: Some(in_band()),
            ..Response::default()
        },
    )
    .unwrap();
    p.drive();
    assert!(p.a_events.iter().any(|e| matches!(e,
        CallEvent::Alerting { progress, .. } if progress == &vec![in_band()])));
    assert_eq!(p.a.call_state(a_call), CallState::CallDelivered);
    p.b.connect(
        p.now,
        b_call,
        ConnectResponse {
            connected: Some(number("2001")),
            connected_name: Some(Name::allowed("Bob")),
            ..ConnectResponse::default()
        },
    )
    .unwrap();
    p.drive();
    let connected = p
        .a_events
        .iter()
        .find_map(|e| match e {
            CallEvent::Connected {
                connected,
                connected_name,
                ..
            } => Some((connected.clone(), connected_name.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(connected.0.unwrap().digits, "2001");
    assert_eq!(connected.1, Some(Name::allowed("Bob")));
    assert!(p
        .b_events
        .iter()
        .any(|e| matches!(e, CallEvent::ConnectAcknowledged { .. })));
    assert_eq!(p.a.call_state(a_call), CallState::Active);
    assert_eq!(p.b.call_state(b_call), CallState::Active);

    p.a.disconnect(p.now, a_call, CauseValue::NormalCallClearing)
        .unwrap();
    p.drive();
    assert_eq!(
        p.ladder(),
        [
            "A->B SETUP",
            "B->A CALL PROCEEDING",
            "B->A ALERTING",
            "B->A CONNECT",
            "A->B CONNECT ACKNOWLEDGE",
            "A->B DISCONNECT",
            "B->A RELEASE",
            "A->B RELEASE COMPLETE",
        ]
    );
    // The first response carries the channel, exclusive (Q.931 5.2.3.1).
    let cp = p.last(Dir::BtoA, MessageType::CallProceeding).unwrap();
    assert!(cp.information_elements.iter().any(|e| matches!(e,
        InformationElement::ChannelIdentification(c) if c.exclusive)));
    assert!(matches!(
        cleared(&p.a_events, a_call),
        Some(CallEvent::Cleared { reason: ClearReason::Local, cause: Some(c), .. })
            if c.cause_value == CauseValue::NormalCallClearing
    ));
    assert!(matches!(
        cleared(&p.b_events, b_call),
        Some(CallEvent::Cleared { reason: ClearReason::Remote, cause: Some(c), .. })
            if c.cause_value == CauseValue::NormalCallClearing
    ));
    assert!(p.b_events.iter().any(|e| matches!(e,
        CallEvent::Disconnected { cause: Some(c), .. } if c.cause_value == CauseValue::NormalCallClearing)));
    assert!(p.all_idle());
    assert_eq!(p.a.poll_timeout(), None);
    assert_eq!(p.b.poll_timeout(), None);
}

#[test]
fn call_from_b_answered_by_a_cleared_by_the_callee() {
    let mut p = Pair::new();
    let b_call = p.b.setup(p.now, setup_request("1001")).unwrap();
    p.drive();
    let a_call = incoming(&p.a_events);
    // B is user: channels from the bottom.
    assert_eq!(p.b.call_channel(b_call), Some(1));
    assert_eq!(p.a.call_channel(a_call), Some(1));
    // Straight to CONNECT, no ALERTING.
    p.a.connect(p.now, a_call, ConnectResponse::default())
        .unwrap();
    p.drive();
    assert_eq!(p.a.call_state(a_call), CallState::Active);
    assert_eq!(p.b.call_state(b_call), CallState::Active);
    p.a.disconnect(p.now, a_call, CauseValue::NormalCallClearing)
        .unwrap();
    p.drive();
    assert_eq!(
        p.ladder(),
        [
            "B->A SETUP",
            "A->B CONNECT",
            "B->A CONNECT ACKNOWLEDGE",
            "A->B DISCONNECT",
            "B->A RELEASE",
            "A->B RELEASE COMPLETE",
        ]
    );
    assert!(matches!(
        cleared(&p.b_events, b_call),
        Some(CallEvent::Cleared {
            reason: ClearReason::Remote,
            ..
        })
    ));
    assert!(p.all_idle());
}

#[test]
fn both_sides_clearing_at_once_release_each_other() {
    // Q.931 5.3.5: DISCONNECT crossing DISCONNECT.
    let mut p = Pair::new();
    let a_call = p.a.setup(p.now, setup_request("1")).unwrap();
    p.drive();
    let b_call = incoming(&p.b_events);
    p.b.connect(p.now, b_call, ConnectResponse::default())
        .unwrap();
    p.drive();
    p.clear_logs();
    p.a.disconnect(p.now, a_call, CauseValue::NormalCallClearing)
        .unwrap();
    p.b.disconnect(p.now, b_call, CauseValue::NormalCallClearing)
        .unwrap();
    p.drive();
    assert_eq!(
        p.ladder(),
        [
            "A->B DISCONNECT",
            "B->A DISCONNECT",
            "B->A RELEASE",
            "A->B RELEASE",
        ]
    );
    assert!(cleared(&p.a_events, a_call).is_some());
    assert!(cleared(&p.b_events, b_call).is_some());
    assert!(p.all_idle());
    assert_eq!(p.a.poll_timeout(), None);
}

#[test]
fn rejected_with_release_complete_user_busy() {
    let mut p = Pair::new();
    let a_call = p.a.setup(p.now, setup_request("2001")).unwrap();
    p.drive();
    let b_call = incoming(&p.b_events);
    p.b.reject(p.now, b_call, CauseValue::UserBusy).unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["A->B SETUP", "B->A RELEASE COMPLETE"]);
    assert!(matches!(
        cleared(&p.a_events, a_call),
        Some(CallEvent::Cleared { reason: ClearReason::Remote, cause: Some(c), .. })
            if c.cause_value == CauseValue::UserBusy
    ));
    assert!(matches!(
        cleared(&p.b_events, b_call),
        Some(CallEvent::Cleared {
            reason: ClearReason::Local,
            ..
        })
    ));
    assert!(p.all_idle());
}

#[test]
fn rejected_with_disconnect_unallocated_number() {
    let mut p = Pair::new();
    let a_call = p.a.setup(p.now, setup_request("9999")).unwrap();
    p.drive();
    let b_call = incoming(&p.b_events);
    p.b.proceeding(p.now, b_call, Response::default()).unwrap();
    p.b.disconnect(p.now, b_call, CauseValue::UnallocatedNumber)
        .unwrap();
    p.drive();
    assert_eq!(
        p.ladder(),
        [
            "A->B SETUP",
            "B->A CALL PROCEEDING",
            "B->A DISCONNECT",
            "A->B RELEASE",
            "B->A RELEASE COMPLETE",
        ]
    );
    assert!(p.a_events.iter().any(|e| matches!(e,
        CallEvent::Disconnected { cause: Some(c), .. } if c.cause_value == CauseValue::UnallocatedNumber)));
    assert!(matches!(
        cleared(&p.a_events, a_call),
        Some(CallEvent::Cleared { reason: ClearReason::Remote, cause: Some(c), .. })
            if c.cause_value == CauseValue::UnallocatedNumber
    ));
    assert!(p.all_idle());
}

#[test]
fn no_channel_free_rejects_with_cause_34_and_busy_exclusive_with_44() {
    let mut p = Pair::with(
        Config::new(Side::Network, [1, 2]),
        Config::new(Side::User, [1, 2]),
    );
    // Occupy both channels with calls from A.
    let c1 = p.a.setup(p.now, setup_request("1")).unwrap();
    let c2 = p.a.setup(p.now, setup_request("2")).unwrap();
    p.drive();
    assert_eq!(p.a.call_channel(c1), Some(2));
    assert_eq!(p.a.call_channel(c2), Some(1));
    assert!(p.a.setup(p.now, setup_request("3")).is_err());
    for e in p.b_events.clone() {
        if let CallEvent::IncomingCall(i) = e {
            p.b.proceeding(p.now, i.call, Response::default()).unwrap();
        }
    }
    p.drive();
    p.clear_logs();
    // B's channels are reserved by the incoming calls too.
    assert!(p.b.setup(p.now, setup_request("4")).is_err());
    // A SETUP from the peer for a channel in use, exclusive: 44; preferred with nothing free:
    // 34 (injected, as from a peer that does not track the channels).
    let mut setup = msg(MessageType::Setup, 77, false);
    setup.information_elements = vec![
        InformationElement::BearerCapability(sipt_codecs::q931::BearerCapability::speech(
            sipt_codecs::q931::UserInformationLayer1Protocol::G711ALaw,
        )),
        InformationElement::ChannelIdentification(
            sipt_codecs::q931::ChannelIdentification::primary_b_channel(1, true),
        ),
    ];
    p.inject(Dir::BtoA, setup.clone());
    p.drive();
    let rc = p.last(Dir::AtoB, MessageType::ReleaseComplete).unwrap();
    assert_eq!(cause_of(rc), Some(CauseValue::RequestedCircuitNotAvailable));
    let mut preferred = setup;
    preferred.call_reference = sipt_codecs::q931::CallReference::new(78, false);
    preferred.information_elements[1] = InformationElement::ChannelIdentification(
        sipt_codecs::q931::ChannelIdentification::primary_b_channel(1, false),
    );
    p.inject(Dir::BtoA, preferred);
    p.drive();
    let rc = p.last(Dir::AtoB, MessageType::ReleaseComplete).unwrap();
    assert_eq!(cause_of(rc), Some(CauseValue::NoCircuitAvailable));
    assert_eq!(p.a.statistics().setups_rejected, 2);
}

#[test]
fn overlap_sending_with_information_and_sending_complete() {
    let mut p = Pair::new();
    let mut req = setup_request("20");
    req.sending_complete = false;
    let a_call = p.a.setup(p.now, req).unwrap();
    p.drive();
    let b_call = incoming(&p.b_events);
    let CallEvent::IncomingCall(inc) = &p.b_events[0] else {
        panic!()
    };
    assert!(!inc.sending_complete);
    p.b.setup_acknowledge(p.now, b_call, Response::default())
        .unwrap();
    p.drive();
    assert_eq!(p.a.call_state(a_call), CallState::OverlapSending);
    assert_eq!(p.b.call_state(b_call), CallState::OverlapReceiving);
    assert!(p
        .a_events
        .iter()
        .any(|e| matches!(e, CallEvent::SetupAcknowledged { .. })));
    p.advance(secs(5));
    p.a.information(
        p.now,
        a_call,
        InformationRequest {
            called: Some(number("01")),
            ..InformationRequest::default()
        },
    )
    .unwrap();
    p.drive();
    p.advance(secs(5));
    p.a.information(
        p.now,
        a_call,
        InformationRequest {
            called: Some(number("2")),
            sending_complete: true,
            ..InformationRequest::default()
        },
    )
    .unwrap();
    p.drive();
    let digits: Vec<(String, bool)> = p
        .b_events
        .iter()
        .filter_map(|e| match e {
            CallEvent::Information {
                called,
                sending_complete,
                ..
            } => Some((called.clone().unwrap().digits, *sending_complete)),
            _ => None,
        })
        .collect();
    assert_eq!(digits, [("01".to_string(), false), ("2".to_string(), true)]);
    // Sending complete stopped T302 (15 s): no OverlapTimeout.
    p.advance(secs(16));
    assert!(!p
        .b_events
        .iter()
        .any(|e| matches!(e, CallEvent::OverlapTimeout { .. })));
    // T304 still supervises A until CALL PROCEEDING; B answers in time.
    p.b.proceeding(p.now, b_call, Response::default()).unwrap();
    p.b.connect(p.now, b_call, ConnectResponse::default())
        .unwrap();
    p.drive();
    assert_eq!(p.a.call_state(a_call), CallState::Active);
    assert_eq!(
        p.ladder(),
        [
            "A->B SETUP",
            "B->A SETUP ACKNOWLEDGE",
            "A->B INFORMATION",
            "A->B INFORMATION",
            "B->A CALL PROCEEDING",
            "B->A CONNECT",
            "A->B CONNECT ACKNOWLEDGE",
        ]
    );
    assert_eq!(p.a.statistics().expiries(Timer::T304), 0);
}

/// A call from A to B with the number "2" and no Sending complete, which B has acknowledged
/// (SETUP ACKNOWLEDGE: overlap sending, Q.931 5.1.3): the pair and both ends' calls.
fn overlap_sending_pair() -> (Pair, sipt_mgc::qsig::CallId, sipt_mgc::qsig::CallId) {
    let mut p = Pair::new();
    let mut req = setup_request("2");
    req.sending_complete = false;
    let a_call = p.a.setup(p.now, req).unwrap();
    p.drive();
    let b_call = incoming(&p.b_events);
    p.b.setup_acknowledge(p.now, b_call, Response::default())
        .unwrap();
    p.drive();
    (p, a_call, b_call)
}

#[test]
fn t302_expiry_asks_the_user_which_clears_with_cause_28() {
    let (mut p, a_call, b_call) = overlap_sending_pair();
    let t0 = p.now;
    p.advance(secs(14));
    assert!(!p
        .b_events
        .iter()
        .any(|e| matches!(e, CallEvent::OverlapTimeout { .. })));
    p.advance(secs(1));
    assert!(p
        .b_events
        .iter()
        .any(|e| matches!(e, CallEvent::OverlapTimeout { call } if *call == b_call)));
    assert_eq!(p.now - t0, secs(15));
    p.b.disconnect(p.now, b_call, CauseValue::InvalidNumberFormat)
        .unwrap();
    p.drive();
    assert!(matches!(
        cleared(&p.a_events, a_call),
        Some(CallEvent::Cleared { cause: Some(c), .. }) if c.cause_value == CauseValue::InvalidNumberFormat
    ));
    assert!(p.all_idle());
}

#[test]
fn t304_expiry_clears_overlap_sending_with_cause_102() {
    let (mut p, a_call, _) = overlap_sending_pair();
    p.clear_logs();
    // B's T302 (15 s) fires first; B's user waits. A's T304 (20 s) clears.
    p.advance(secs(20));
    assert_eq!(p.a.statistics().expiries(Timer::T304), 1);
    let disc = p.last(Dir::AtoB, MessageType::Disconnect).unwrap();
    assert_eq!(cause_of(disc), Some(CauseValue::RecoveryOnTimerExpiry));
    assert!(matches!(
        cleared(&p.a_events, a_call),
        Some(CallEvent::Cleared {
            reason: ClearReason::Timer(Timer::T304),
            ..
        })
    ));
    assert!(p.all_idle());
}

#[test]
fn progress_notify_and_facility_are_passed_up_whole() {
    let mut p = Pair::new();
    let a_call = p.a.setup(p.now, setup_request("2")).unwrap();
    p.drive();
    let b_call = incoming(&p.b_events);
    p.b.proceeding(p.now, b_call, Response::default()).unwrap();
    p.drive();
    let mut pi = in_band();
    pi.progress_description = ProgressDescription::NotEndToEndIsdn;
    p.b.progress(p.now, b_call, pi.clone(), Vec::new()).unwrap();
    p.drive();
    assert!(p.a_events.iter().any(|e| matches!(e,
        CallEvent::Progress { progress, .. } if progress == &vec![pi.clone()])));
    // PROGRESS stopped T310 (RFC 4497 8.2.1.3): no clearing after 30 s.
    p.advance(secs(40));
    assert_eq!(p.a.call_state(a_call), CallState::OutgoingCallProceeding);
    p.b.connect(p.now, b_call, ConnectResponse::default())
        .unwrap();
    p.drive();
    p.b.notify(p.now, b_call, NotificationDescription::UserSuspended)
        .unwrap();
    let fac = Facility::invoke(qsig::called_name(9, Name::restricted("Secret"))).unwrap();
    p.a.facility(p.now, a_call, vec![fac.clone()]).unwrap();
    p.drive();
    assert!(p.a_events.iter().any(|e| matches!(e,
        CallEvent::Notify { message, .. } if message.message_type == MessageType::Notify)));
    let got = p
        .b_events
        .iter()
        .find_map(|e| match e {
            CallEvent::Facility { message, .. } => message.find(|e| e.as_facility()).cloned(),
            _ => None,
        })
        .unwrap();
    assert_eq!(got.octets(), fac.octets());
}

#[test]
fn extra_elements_ride_in_ascending_order() {
    let mut p = Pair::new();
    let mut req = setup_request("2");
    let fac = Facility::invoke(qsig::calling_name(5, Name::allowed("Transit"))).unwrap();
    req.extra = vec![
        InformationElement::Display(sipt_codecs::q931::Display::new("hi")),
        InformationElement::Facility(fac),
    ];
    p.a.setup(p.now, req).unwrap();
    p.drive();
    let setup = p.last(Dir::AtoB, MessageType::Setup).unwrap();
    let ids: Vec<Option<u8>> = setup
        .information_elements
        .iter()
        .map(|e| e.identifier())
        .collect();
    let known: Vec<u8> = ids.iter().flatten().copied().collect();
    let mut sorted = known.clone();
    sorted.sort();
    assert_eq!(known, sorted, "{ids:x?}");
    // Sending complete (single octet) last.
    assert_eq!(
        setup.information_elements.last(),
        Some(&InformationElement::SendingComplete)
    );
}

/// Q.931 4.5.1, 4.5.2: a bridged template's elements may end with a locking shift to codeset
/// 5 and a codeset 5 element; Sending complete (0xa1) belongs to codeset 0, so it goes before
/// the shift, and the peer's decoder reads it as codeset 0 (not as 0xa1 of codeset 5).
#[test]
fn sending_complete_stays_in_codeset_0_before_a_locking_shift() {
    let mut p = Pair::new();
    let mut req = setup_request("2");
    let fac = Facility::invoke(qsig::calling_name(5, Name::allowed("Transit"))).unwrap();
    let shift = InformationElement::Shift(Shift {
        locking: true,
        codeset: 5,
    });
    let national = InformationElement::Raw {
        codeset: 5,
        identifier: 0x32,
        contents: vec![0x81],
    };
    req.extra = vec![
        InformationElement::Facility(fac.clone()),
        shift.clone(),
        national.clone(),
    ];
    assert!(req.sending_complete);
    p.a.setup(p.now, req).unwrap();
    p.drive();
    let setup = p.last(Dir::AtoB, MessageType::Setup).unwrap();
    let ies = &setup.information_elements;
    let at = |want: &InformationElement| ies.iter().position(|e| e == want);
    let sc = at(&InformationElement::SendingComplete).expect("Sending complete in codeset 0");
    let sh = at(&shift).expect("the shift");
    assert!(sc < sh, "{ies:?}");
    assert_eq!(at(&national), Some(sh + 1), "{ies:?}");
    assert_eq!(sh + 2, ies.len(), "the codeset 5 element last: {ies:?}");
    assert!(
        !ies.iter().any(|e| matches!(
            e,
            InformationElement::SingleOctet {
                codeset: 5,
                value: 0xa1
            }
        )),
        "{ies:?}"
    );
    // every element before the shift is codeset 0, variable ones in ascending order
    let ids: Vec<u8> = ies[..sh].iter().filter_map(|e| e.identifier()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "{ies:x?}");
    assert!(ies[..sh].contains(&InformationElement::Facility(fac)));
    // the peer reads it so: no overlap receiving, the codeset 5 element kept
    let CallEvent::IncomingCall(inc) = &p.b_events[0] else {
        panic!("{:?}", p.b_events)
    };
    assert!(inc.sending_complete);
    assert!(inc.message.information_elements.contains(&national));
}

/// The same for INFORMATION (Q.931 5.1.3 overlap sending): Sending complete before a shift of
/// the extra elements.
#[test]
fn information_sending_complete_before_a_locking_shift() {
    let (mut p, a_call, _) = overlap_sending_pair();
    let shift = InformationElement::Shift(Shift {
        locking: true,
        codeset: 6,
    });
    let extra = InformationElement::Raw {
        codeset: 6,
        identifier: 0x01,
        contents: vec![0x42],
    };
    p.a.information(
        p.now,
        a_call,
        InformationRequest {
            called: Some(number("3")),
            sending_complete: true,
            extra: vec![shift.clone(), extra.clone()],
        },
    )
    .unwrap();
    p.drive();
    let info = p.last(Dir::AtoB, MessageType::Information).unwrap();
    assert_eq!(
        info.information_elements,
        vec![
            InformationElement::CalledPartyNumber(number("3")),
            InformationElement::SendingComplete,
            shift,
            extra
        ]
    );
}

#[test]
fn t303_retransmits_setup_once_then_clears() {
    let mut p = Pair::new();
    p.lose = Box::new(|d, _| d == Dir::AtoB);
    let a_call = p.a.setup(p.now, setup_request("2")).unwrap();
    let t0 = p.now;
    p.drive();
    p.advance(secs(4));
    assert_eq!(
        p.ladder(),
        ["A->B SETUP (lost)", "A->B SETUP (lost)"],
        "retransmitted at T303 = 4 s"
    );
    assert_eq!(p.log[1].at - t0, secs(4));
    p.advance(secs(4));
    assert_eq!(
        p.ladder(),
        [
            "A->B SETUP (lost)",
            "A->B SETUP (lost)",
            "A->B RELEASE COMPLETE (lost)"
        ]
    );
    assert!(matches!(
        cleared(&p.a_events, a_call),
        Some(CallEvent::Cleared { reason: ClearReason::Timer(Timer::T303), cause: Some(c), .. })
            if c.cause_value == CauseValue::RecoveryOnTimerExpiry
    ));
    assert_eq!(p.a.statistics().expiries(Timer::T303), 2);
    assert!(p.all_idle());
}

#[test]
fn t303_retransmission_reaches_the_peer_when_the_first_setup_is_lost() {
    let mut p = Pair::new();
    let mut first = true;
    p.lose = Box::new(move |d, m| {
        let lose = d == Dir::AtoB && m.message_type == MessageType::Setup && first;
        first &= !lose;
        lose
    });
    let a_call = p.a.setup(p.now, setup_request("2")).unwrap();
    p.advance(secs(4));
    let b_call = incoming(&p.b_events);
    p.b.alerting(p.now, b_call, Response::default()).unwrap();
    p.drive();
    assert_eq!(p.a.call_state(a_call), CallState::CallDelivered);
}

#[test]
fn t310_clears_a_call_stuck_in_outgoing_call_proceeding() {
    let mut p = Pair::new();
    let a_call = p.a.setup(p.now, setup_request("2")).unwrap();
    p.drive();
    let b_call = incoming(&p.b_events);
    p.b.proceeding(p.now, b_call, Response::default()).unwrap();
    p.drive();
    p.clear_logs();
    p.advance(secs(29));
    assert!(p.log.is_empty());
    p.advance(secs(1));
    assert_eq!(
        p.ladder(),
        ["A->B DISCONNECT", "B->A RELEASE", "A->B RELEASE COMPLETE"]
    );
    assert!(matches!(
        cleared(&p.a_events, a_call),
        Some(CallEvent::Cleared {
            reason: ClearReason::Timer(Timer::T310),
            ..
        })
    ));
    assert!(matches!(
        cleared(&p.b_events, b_call),
        Some(CallEvent::Cleared { reason: ClearReason::Remote, cause: Some(c), .. })
            if c.cause_value == CauseValue::RecoveryOnTimerExpiry
    ));
    assert!(p.all_idle());
}

#[test]
fn t313_clears_when_connect_acknowledge_is_lost() {
    let mut p = Pair::new();
    p.lose = Box::new(|_, m| m.message_type == MessageType::ConnectAcknowledge);
    let a_call = p.a.setup(p.now, setup_request("2")).unwrap();
    p.drive();
    let b_call = incoming(&p.b_events);
    p.b.connect(p.now, b_call, ConnectResponse::default())
        .unwrap();
    p.drive();
    assert_eq!(p.b.call_state(b_call), CallState::ConnectRequest);
    p.advance(secs(4));
    assert_eq!(
        p.ladder(),
        [
            "A->B SETUP",
            "B->A CONNECT",
            "A->B CONNECT ACKNOWLEDGE (lost)",
            "B->A DISCONNECT",
            "A->B RELEASE",
            "B->A RELEASE COMPLETE",
        ]
    );
    assert!(matches!(
        cleared(&p.b_events, b_call),
        Some(CallEvent::Cleared {
            reason: ClearReason::Timer(Timer::T313),
            ..
        })
    ));
    assert!(cleared(&p.a_events, a_call).is_some());
    assert!(p.all_idle());
}

fn active_call(p: &mut Pair) -> (sipt_mgc::qsig::CallId, sipt_mgc::qsig::CallId) {
    let a_call = p.a.setup(p.now, setup_request("2")).unwrap();
    p.drive();
    let b_call = incoming(&p.b_events);
    p.b.connect(p.now, b_call, ConnectResponse::default())
        .unwrap();
    p.drive();
    p.clear_logs();
    (a_call, b_call)
}

#[test]
fn t305_then_t308_twice_leave_the_channel_in_maintenance() {
    // The peer falls silent: DISCONNECT, T305 (30 s), RELEASE with the same cause, T308 (4 s),
    // RELEASE again, T308: B-channel to maintenance, call reference released (Q.931 5.3.4.3).
    let mut p = Pair::new();
    let (a_call, _b_call) = active_call(&mut p);
    let channel = p.a.call_channel(a_call).unwrap();
    p.lose = Box::new(|d, _| d == Dir::AtoB);
    let t0 = p.now;
    p.a.disconnect(p.now, a_call, CauseValue::NormalCallClearing)
        .unwrap();
    p.advance(secs(60));
    assert_eq!(
        p.ladder(),
        [
            "A->B DISCONNECT (lost)",
            "A->B RELEASE (lost)",
            "A->B RELEASE (lost)",
        ]
    );
    let times: Vec<_> = p.log.iter().map(|s| s.at - t0).collect();
    assert_eq!(times, [secs(0), secs(30), secs(34)]);
    for s in &p.log[1..] {
        assert_eq!(cause_of(&s.message), Some(CauseValue::NormalCallClearing));
    }
    assert_eq!(p.a.channel_state(channel), Some(ChannelState::Maintenance));
    assert!(p.a_events.iter().any(|e| matches!(e,
        CallEvent::ChannelMaintenance { channel: c } if *c == channel)));
    assert!(matches!(
        cleared(&p.a_events, a_call),
        Some(CallEvent::Cleared {
            reason: ClearReason::Local,
            ..
        })
    ));
    assert_eq!(p.a.statistics().expiries(Timer::T305), 1);
    assert_eq!(p.a.statistics().expiries(Timer::T308), 2);
    // A restart returns it to service (Q.931 5.5).
    p.lose = Box::new(|_, _| false);
    p.a.restart(p.now, sipt_mgc::qsig::RestartScope::Channels(vec![channel]))
        .unwrap();
    p.drive();
    assert_eq!(p.a.channel_state(channel), Some(ChannelState::Idle));
}

#[test]
fn t308_retransmission_is_answered_for_an_unknown_call_reference() {
    // B's RELEASE COMPLETE is lost: A retransmits RELEASE on T308; B no longer knows the call
    // reference and answers RELEASE COMPLETE, cause 81 (Q.931 5.8.3.2 b).
    let mut p = Pair::new();
    let (a_call, b_call) = active_call(&mut p);
    p.lose = Box::new(|d, m| d == Dir::BtoA && m.message_type == MessageType::ReleaseComplete);
    p.b.disconnect(p.now, b_call, CauseValue::NormalCallClearing)
        .unwrap();
    p.drive();
    assert_eq!(p.a.call_state(a_call), CallState::ReleaseRequest);
    assert!(cleared(&p.b_events, b_call).is_some());
    p.lose = Box::new(|_, _| false);
    p.advance(secs(4));
    assert_eq!(
        p.ladder(),
        [
            "B->A DISCONNECT",
            "A->B RELEASE",
            "B->A RELEASE COMPLETE (lost)",
            "A->B RELEASE",
            "B->A RELEASE COMPLETE",
        ]
    );
    let rc = p.last(Dir::BtoA, MessageType::ReleaseComplete).unwrap();
    assert_eq!(cause_of(rc), Some(CauseValue::InvalidCallReference));
    assert!(cleared(&p.a_events, a_call).is_some());
    assert!(p.all_idle());
}

#[test]
fn t301_when_configured_clears_an_unanswered_alerting_call_with_cause_19() {
    let mut a = Config::e1(Side::Network);
    a.timers.t301 = Some(secs(180));
    let mut p = Pair::with(a, Config::e1(Side::User));
    let a_call = p.a.setup(p.now, setup_request("2")).unwrap();
    p.drive();
    let b_call = incoming(&p.b_events);
    p.b.alerting(p.now, b_call, Response::default()).unwrap();
    p.advance(secs(179));
    assert_eq!(p.a.call_state(a_call), CallState::CallDelivered);
    p.advance(secs(1));
    let disc = p.last(Dir::AtoB, MessageType::Disconnect).unwrap();
    assert_eq!(cause_of(disc), Some(CauseValue::NoAnswerFromUser));
    assert!(matches!(
        cleared(&p.a_events, a_call),
        Some(CallEvent::Cleared {
            reason: ClearReason::Timer(Timer::T301),
            ..
        })
    ));
    assert!(p.all_idle());
}

#[test]
fn exclusive_and_preferred_channel_requests() {
    let mut p = Pair::new();
    let mut r = setup_request("2");
    r.channel = ChannelRequest::Exclusive(7);
    let c7 = p.a.setup(p.now, r).unwrap();
    p.drive();
    let setup = p.last(Dir::AtoB, MessageType::Setup).unwrap();
    assert!(setup.information_elements.iter().any(|e| matches!(e,
        InformationElement::ChannelIdentification(c) if c.exclusive)));
    assert_eq!(p.a.call_channel(c7), Some(7));
    let mut r = setup_request("3");
    r.channel = ChannelRequest::Exclusive(7);
    assert!(p.a.setup(p.now, r).is_err());
    let mut r = setup_request("3");
    r.channel = ChannelRequest::Preferred(7);
    let other = p.a.setup(p.now, r).unwrap();
    assert_ne!(p.a.call_channel(other), Some(7));
    let mut r = setup_request("3");
    r.channel = ChannelRequest::Exclusive(16);
    assert!(p.a.setup(p.now, r).is_err(), "16 is the D-channel slot");
}

#[test]
fn events_serialize_to_json_for_the_simulator() {
    let mut p = Pair::new();
    p.a.setup(p.now, setup_request("2001")).unwrap();
    p.drive();
    let v = serde_json::to_value(&p.b_events[0]).unwrap();
    assert_eq!(v["event"], "incoming_call");
    assert_eq!(v["channel"], 31);
    assert_eq!(v["called"]["digits"], "2001");
    assert_eq!(v["calling_name"]["name"], "Alice");
    assert_eq!(v["message"]["message_type"], "SETUP");
}
