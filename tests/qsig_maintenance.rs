//! B-channel collisions (Q.931 Annex D.3), RESTART (5.5), data link failure (5.8.8, 5.8.9),
//! STATUS ENQUIRY (5.8.10, 5.8.11) and the error procedures of Q.931 5.8.3-5.8.7, between two
//! `QsigCalls` back to back or against injected messages.

mod qsig_util;

use qsig_util::*;
use sipt_codecs::q931::{
    BearerCapability, CallReference, CallState as CallStateIe, CallStateValue, CauseValue,
    ChannelIdentification, CodingStandard, InformationElement, InformationTransferCapability,
    Message, MessageType, RestartClass, UserInformationLayer1Protocol,
};
use sipt_mgc::qsig::{
    CallEvent, CallId, CallState, ChannelRequest, ChannelState, ClearReason, Config,
    ConnectResponse, Initiator, Response, RestartScope, SetupRequest, Side, Timer,
};

fn request(channel: ChannelRequest) -> SetupRequest {
    let mut r = SetupRequest::new(number("100"));
    r.channel = channel;
    r
}

fn speech() -> InformationElement {
    InformationElement::BearerCapability(BearerCapability::speech(
        UserInformationLayer1Protocol::G711ALaw,
    ))
}

fn channel_ie(c: u8, exclusive: bool) -> InformationElement {
    InformationElement::ChannelIdentification(ChannelIdentification::primary_b_channel(
        c, exclusive,
    ))
}

fn call_state_ie(v: CallStateValue) -> InformationElement {
    InformationElement::CallState(CallStateIe {
        coding_standard: CodingStandard::ItuT,
        call_state: v,
    })
}

fn status_state(m: &Message) -> Option<CallStateValue> {
    m.information_elements.iter().find_map(|e| match e {
        InformationElement::CallState(s) => Some(s.call_state),
        _ => None,
    })
}

/// Both sides place a call on the same channel at the same instant.
fn collide(p: &mut Pair, a: ChannelRequest, b: ChannelRequest) -> (CallId, CallId) {
    let a_out = p.a.setup(p.now, request(a)).unwrap();
    let b_out = p.b.setup(p.now, request(b)).unwrap();
    p.drive();
    (a_out, b_out)
}

/// Answers every incoming call on both sides and checks that both sides agree on each call's
/// channel and that no channel carries two calls.
fn answer_all_and_check(p: &mut Pair) {
    for (events, side) in [(p.a_events.clone(), 'a'), (p.b_events.clone(), 'b')] {
        for e in events {
            if let CallEvent::IncomingCall(i) = e {
                let s = if side == 'a' { &mut p.a } else { &mut p.b };
                if s.call_state(i.call) == CallState::CallPresent {
                    s.connect(p.now, i.call, ConnectResponse::default())
                        .unwrap();
                }
            }
        }
    }
    p.drive();
    let mut a_channels: Vec<u8> =
        p.a.calls()
            .iter()
            .filter_map(|c| p.a.call_channel(*c))
            .collect();
    let mut b_channels: Vec<u8> =
        p.b.calls()
            .iter()
            .filter_map(|c| p.b.call_channel(*c))
            .collect();
    a_channels.sort();
    b_channels.sort();
    assert_eq!(a_channels, b_channels);
    let mut dedup = a_channels.clone();
    dedup.dedup();
    assert_eq!(dedup, a_channels);
    for c in p.a.calls() {
        assert_eq!(p.a.call_state(c), CallState::Active);
    }
}

#[test]
fn collision_exclusive_against_exclusive_network_wins_user_cleared_with_34() {
    let mut p = Pair::new();
    let (a_out, b_out) = collide(
        &mut p,
        ChannelRequest::Exclusive(5),
        ChannelRequest::Exclusive(5),
    );
    assert_eq!(
        p.ladder(),
        ["A->B SETUP", "B->A SETUP", "A->B RELEASE COMPLETE"]
    );
    let rc = p.last(Dir::AtoB, MessageType::ReleaseComplete).unwrap();
    assert_eq!(cause_of(rc), Some(CauseValue::NoCircuitAvailable));
    assert!(matches!(
        cleared(&p.b_events, b_out),
        Some(CallEvent::Cleared { cause: Some(c), reason: ClearReason::Remote, .. })
            if c.cause_value == CauseValue::NoCircuitAvailable
    ));
    let b_in = incoming(&p.b_events);
    assert_eq!(p.b.call_channel(b_in), Some(5));
    assert_eq!(p.a.call_channel(a_out), Some(5));
    assert_eq!(p.a.statistics().collisions, 1);
    assert_eq!(p.b.statistics().collisions, 1);
    answer_all_and_check(&mut p);
    assert_eq!(p.a.call_state(a_out), CallState::Active);
}

#[test]
fn collision_preferred_against_preferred_network_wins_user_moves() {
    let mut p = Pair::new();
    let (a_out, b_out) = collide(
        &mut p,
        ChannelRequest::Preferred(5),
        ChannelRequest::Preferred(5),
    );
    assert_eq!(p.ladder(), ["A->B SETUP", "B->A SETUP"]);
    let a_in = incoming(&p.a_events);
    assert_ne!(p.a.call_channel(a_in), Some(5));
    assert_eq!(p.b.call_channel(b_out), None, "waits for A's choice");
    answer_all_and_check(&mut p);
    assert_eq!(p.a.call_channel(a_out), Some(5));
    assert_eq!(p.b.call_channel(b_out), p.a.call_channel(a_in));
    assert_eq!(p.b.call_state(b_out), CallState::Active);
}

#[test]
fn collision_exclusive_beats_preferred_either_way() {
    // Network preferred, user exclusive: the user's call keeps the channel.
    let mut p = Pair::new();
    let (a_out, b_out) = collide(
        &mut p,
        ChannelRequest::Preferred(5),
        ChannelRequest::Exclusive(5),
    );
    answer_all_and_check(&mut p);
    assert_eq!(p.b.call_channel(b_out), Some(5));
    assert_ne!(p.a.call_channel(a_out), Some(5));
    assert_eq!(p.a.call_state(a_out), CallState::Active);
    assert_eq!(p.b.call_state(b_out), CallState::Active);

    // Network exclusive, user preferred.
    let mut p = Pair::new();
    let (a_out, b_out) = collide(
        &mut p,
        ChannelRequest::Exclusive(5),
        ChannelRequest::Preferred(5),
    );
    answer_all_and_check(&mut p);
    assert_eq!(p.a.call_channel(a_out), Some(5));
    assert_ne!(p.b.call_channel(b_out), Some(5));
    assert_eq!(p.b.call_state(b_out), CallState::Active);
}

#[test]
fn a_first_response_with_an_unacceptable_channel_is_released_with_cause_6() {
    let mut p = Pair::new();
    let a_call =
        p.a.setup(p.now, request(ChannelRequest::Exclusive(5)))
            .unwrap();
    p.drive();
    p.clear_logs();
    let cr = p.a.call_reference(a_call).unwrap();
    let proceeding = with(
        Message::new(
            MessageType::CallProceeding,
            CallReference { flag: true, ..cr },
        ),
        vec![channel_ie(6, true)],
    );
    p.inject(Dir::BtoA, proceeding);
    p.drive();
    let rel = p.last(Dir::AtoB, MessageType::Release).unwrap();
    assert_eq!(cause_of(rel), Some(CauseValue::ChannelUnacceptable));
    // B (which never answered) completes the release.
    assert!(matches!(
        cleared(&p.a_events, a_call),
        Some(CallEvent::Cleared { reason: ClearReason::ProtocolError, cause: Some(c), .. })
            if c.cause_value == CauseValue::ChannelUnacceptable
    ));
    assert!(p.all_idle());
}

#[test]
fn restart_of_one_channel_clears_its_call_on_both_sides() {
    let mut p = Pair::new();
    let a_call =
        p.a.setup(p.now, request(ChannelRequest::Exclusive(3)))
            .unwrap();
    let other =
        p.a.setup(p.now, request(ChannelRequest::Exclusive(4)))
            .unwrap();
    p.drive();
    answer_all_and_check(&mut p);
    let b_call =
        p.b.calls()
            .into_iter()
            .find(|c| p.b.call_channel(*c) == Some(3))
            .unwrap();
    p.clear_logs();
    p.a.restart(p.now, RestartScope::Channels(vec![3])).unwrap();
    assert_eq!(p.a.channel_state(3), Some(ChannelState::Restarting));
    p.drive();
    assert_eq!(p.ladder(), ["A->B RESTART", "B->A RESTART ACKNOWLEDGE"]);
    let restart = p.last(Dir::AtoB, MessageType::Restart).unwrap();
    assert!(restart.call_reference.is_global());
    assert!(restart
        .information_elements
        .contains(&InformationElement::RestartIndicator {
            class: RestartClass::IndicatedChannels
        }));
    let ack = p.last(Dir::BtoA, MessageType::RestartAcknowledge).unwrap();
    assert!(ack.call_reference.flag);
    assert_eq!(
        ack.information_elements, restart.information_elements,
        "channel identification and restart indicator echoed"
    );
    assert!(matches!(
        cleared(&p.a_events, a_call),
        Some(CallEvent::Cleared {
            reason: ClearReason::Restart,
            ..
        })
    ));
    assert!(matches!(
        cleared(&p.b_events, b_call),
        Some(CallEvent::Cleared {
            reason: ClearReason::Restart,
            ..
        })
    ));
    assert!(p.a_events.iter().any(|e| matches!(e,
        CallEvent::Restarted { initiator: Initiator::Local, scope: RestartScope::Channels(c), .. } if c == &vec![3])));
    assert!(p.b_events.iter().any(|e| matches!(
        e,
        CallEvent::Restarted {
            initiator: Initiator::Remote,
            ..
        }
    )));
    assert_eq!(p.a.channel_state(3), Some(ChannelState::Idle));
    assert_eq!(p.b.channel_state(3), Some(ChannelState::Idle));
    // The call on channel 4 is untouched.
    assert_eq!(p.a.call_state(other), CallState::Active);
}

#[test]
fn restart_of_the_interface_clears_every_call() {
    let mut p = Pair::new();
    for c in [2, 9, 20] {
        p.a.setup(p.now, request(ChannelRequest::Exclusive(c)))
            .unwrap();
    }
    p.drive();
    answer_all_and_check(&mut p);
    p.clear_logs();
    p.b.restart(p.now, RestartScope::Interface).unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["B->A RESTART", "A->B RESTART ACKNOWLEDGE"]);
    let restart = p.last(Dir::BtoA, MessageType::Restart).unwrap();
    assert_eq!(
        restart.information_elements,
        [InformationElement::RestartIndicator {
            class: RestartClass::AllInterfaces
        }]
    );
    let cleared_a = p
        .a_events
        .iter()
        .filter(|e| {
            matches!(
                e,
                CallEvent::Cleared {
                    reason: ClearReason::Restart,
                    ..
                }
            )
        })
        .count();
    assert_eq!(cleared_a, 3);
    assert!(p.all_idle());
}

#[test]
fn t316_repeats_restart_then_leaves_the_channels_in_maintenance() {
    let mut p = Pair::new();
    p.lose = Box::new(|d, _| d == Dir::AtoB);
    let t0 = p.now;
    p.a.restart(p.now, RestartScope::Channels(vec![10, 11]))
        .unwrap();
    p.advance(secs(119));
    assert_eq!(p.ladder(), ["A->B RESTART (lost)"]);
    p.advance(secs(1));
    assert_eq!(p.ladder(), ["A->B RESTART (lost)", "A->B RESTART (lost)"]);
    assert_eq!(p.log[1].at - t0, secs(120));
    p.advance(secs(120));
    assert!(p
        .a_events
        .iter()
        .any(|e| matches!(e, CallEvent::RestartFailed { .. })));
    assert_eq!(p.a.channel_state(10), Some(ChannelState::Maintenance));
    assert_eq!(p.a.channel_state(11), Some(ChannelState::Maintenance));
    assert_eq!(p.a.statistics().expiries(Timer::T316), 2);
    assert_eq!(p.a.poll_timeout(), None);
    // Maintenance channels are not chosen for calls.
    p.lose = Box::new(|_, _| false);
    assert!(p
        .a
        .setup(p.now, request(ChannelRequest::Exclusive(10)))
        .is_err());
}

/// A RESTART lost with the I queue of a data link reset (Q.921 5.5.3.2) is sent again at
/// the reset, not 2 minutes later at T316, and the channels come back at once.
#[test]
fn a_data_link_reset_repeats_a_pending_restart() {
    let mut p = Pair::new();
    p.lose = Box::new(|d, _| d == Dir::AtoB);
    p.a.restart(p.now, RestartScope::Channels(vec![5])).unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["A->B RESTART (lost)"]);
    p.lose = Box::new(|_, _| false);
    let now = p.now;
    p.a.handle_dl(now, sipt_mgc::qsig::DlIndication::EstablishIndication);
    p.drive();
    assert_eq!(
        p.ladder(),
        [
            "A->B RESTART (lost)",
            "A->B RESTART",
            "B->A RESTART ACKNOWLEDGE"
        ]
    );
    assert_eq!(p.a.channel_state(5), Some(ChannelState::Idle));
    assert_eq!(p.a.statistics().expiries(Timer::T316), 0);
}

#[test]
fn restarts_wait_for_each_other() {
    let mut p = Pair::new();
    p.a.restart(p.now, RestartScope::Channels(vec![1])).unwrap();
    p.a.restart(p.now, RestartScope::Channels(vec![2])).unwrap();
    p.drive();
    assert_eq!(
        p.ladder(),
        [
            "A->B RESTART",
            "B->A RESTART ACKNOWLEDGE",
            "A->B RESTART",
            "B->A RESTART ACKNOWLEDGE"
        ]
    );
    assert!(p.all_idle());
}

#[test]
fn data_link_establishment_restarts_the_interface_both_ways() {
    let mut p = Pair::new();
    // Pair::new cleared the logs of its own establishment; do it again from scratch.
    p.release();
    p.clear_logs();
    p.establish();
    assert_eq!(
        p.ladder(),
        [
            "A->B RESTART",
            "B->A RESTART",
            "B->A RESTART ACKNOWLEDGE",
            "A->B RESTART ACKNOWLEDGE",
        ]
    );
    for events in [&p.a_events, &p.b_events] {
        assert!(events.iter().any(|e| matches!(
            e,
            CallEvent::Restarted {
                initiator: Initiator::Local,
                scope: RestartScope::Interface,
                ..
            }
        )));
        assert!(events.iter().any(|e| matches!(
            e,
            CallEvent::Restarted {
                initiator: Initiator::Remote,
                ..
            }
        )));
    }
    assert!(p.all_idle());
}

fn call_in(p: &mut Pair, channel: u8) -> (CallId, CallId) {
    let a =
        p.a.setup(p.now, request(ChannelRequest::Exclusive(channel)))
            .unwrap();
    p.drive();
    let b =
        p.b.calls()
            .into_iter()
            .find(|c| p.b.call_channel(*c) == Some(channel))
            .unwrap();
    (a, b)
}

#[test]
fn data_link_failure_clears_calls_not_active_and_keeps_active_ones_for_t309() {
    let mut p = Pair::new();
    let (a_active, b_active) = call_in(&mut p, 7);
    p.b.connect(p.now, b_active, ConnectResponse::default())
        .unwrap();
    let (a_ringing, b_ringing) = call_in(&mut p, 8);
    p.b.alerting(p.now, b_ringing, Response::default()).unwrap();
    p.drive();
    p.clear_logs();

    p.release();
    for (events, call) in [(&p.a_events, a_ringing), (&p.b_events, b_ringing)] {
        assert!(matches!(
            cleared(events, call),
            Some(CallEvent::Cleared { reason: ClearReason::DataLinkFailure, cause: Some(c), .. })
                if c.cause_value == CauseValue::DestinationOutOfOrder
        ));
    }
    assert_eq!(p.a.call_state(a_active), CallState::Active);
    assert!(matches!(
        p.a.setup(p.now, request(ChannelRequest::Any)),
        Err(sipt_mgc::qsig::Error::DataLinkDown)
    ));
    // Back within T309 (6 s): STATUS both ways (cause 31), the call goes on; the free channels
    // are restarted.
    p.advance(secs(5));
    p.establish();
    let statuses: Vec<&Message> = p
        .log
        .iter()
        .filter(|s| s.message.message_type == MessageType::Status)
        .map(|s| &s.message)
        .collect();
    assert_eq!(statuses.len(), 2);
    for s in statuses {
        assert_eq!(cause_of(s), Some(CauseValue::NormalUnspecified));
        assert_eq!(status_state(s), Some(CallStateValue::Active));
    }
    let restart = p.last(Dir::AtoB, MessageType::Restart).unwrap();
    let ch = restart
        .information_elements
        .iter()
        .find_map(|e| match e {
            InformationElement::ChannelIdentification(c) => c.channel.clone(),
            _ => None,
        })
        .unwrap();
    assert!(matches!(&ch.channels,
        sipt_codecs::q931::ChannelList::Numbers(n) if n.len() == 29 && !n.contains(&7)));
    assert_eq!(p.a.call_state(a_active), CallState::Active);
    assert_eq!(p.b.call_state(b_active), CallState::Active);
    assert_eq!(p.a.channel_state(8), Some(ChannelState::Idle));

    // Down again, for longer than T309: cleared with cause 27.
    p.clear_logs();
    p.release();
    p.advance(secs(6));
    for (events, call) in [(&p.a_events, a_active), (&p.b_events, b_active)] {
        assert!(matches!(
            cleared(events, call),
            Some(CallEvent::Cleared { reason: ClearReason::Timer(Timer::T309), cause: Some(c), .. })
                if c.cause_value == CauseValue::DestinationOutOfOrder
        ));
    }
    assert!(p.all_idle());
}

#[test]
fn without_t309_data_link_failure_clears_active_calls_too() {
    let mut a = Config::e1(Side::Network);
    a.timers.t309 = None;
    let mut p = Pair::with(a, Config::e1(Side::User));
    let (a_call, b_call) = call_in(&mut p, 7);
    p.b.connect(p.now, b_call, ConnectResponse::default())
        .unwrap();
    p.drive();
    p.release();
    assert!(matches!(
        cleared(&p.a_events, a_call),
        Some(CallEvent::Cleared {
            reason: ClearReason::DataLinkFailure,
            ..
        })
    ));
    assert_eq!(p.b.call_state(b_call), CallState::Active);
}

#[test]
fn data_link_reset_clears_overlap_calls_with_cause_41() {
    let mut p = Pair::new();
    let mut r = request(ChannelRequest::Any);
    r.sending_complete = false;
    let a_call = p.a.setup(p.now, r).unwrap();
    p.drive();
    let b_call = incoming(&p.b_events);
    p.b.setup_acknowledge(p.now, b_call, Response::default())
        .unwrap();
    p.drive();
    p.clear_logs();
    // DL-ESTABLISH indication while established: a data link reset (Q.931 5.8.8).
    let now = p.now;
    p.a.handle_dl(now, sipt_mgc::qsig::DlIndication::EstablishIndication);
    p.drive();
    let disc = p.last(Dir::AtoB, MessageType::Disconnect).unwrap();
    assert_eq!(cause_of(disc), Some(CauseValue::TemporaryFailure));
    assert!(cleared(&p.a_events, a_call).is_some());
    assert!(p.all_idle());
}

#[test]
fn status_enquiry_is_answered_with_the_call_state() {
    let mut p = Pair::new();
    let (a_call, b_call) = call_in(&mut p, 7);
    p.b.alerting(p.now, b_call, Response::default()).unwrap();
    p.drive();
    p.clear_logs();
    p.a.status_enquiry(p.now, a_call).unwrap();
    p.drive();
    assert_eq!(p.ladder(), ["A->B STATUS ENQUIRY", "B->A STATUS"]);
    let st = p.last(Dir::BtoA, MessageType::Status).unwrap();
    assert_eq!(cause_of(st), Some(CauseValue::ResponseToStatusEnquiry));
    assert_eq!(status_state(st), Some(CallStateValue::CallReceived));
    assert!(p.a_events.iter().any(|e| matches!(
        e,
        CallEvent::Status {
            call_state: Some(CallStateValue::CallReceived),
            ..
        }
    )));
    // T322 stopped: nothing more.
    p.advance(secs(10));
    assert_eq!(p.log.len(), 2);
    assert_eq!(p.a.call_state(a_call), CallState::CallDelivered);
}

#[test]
fn t322_repeats_status_enquiry_once_then_clears_with_cause_41() {
    let mut p = Pair::new();
    let (a_call, b_call) = call_in(&mut p, 7);
    p.b.connect(p.now, b_call, ConnectResponse::default())
        .unwrap();
    p.drive();
    p.clear_logs();
    p.lose = Box::new(|d, m| d == Dir::BtoA && m.message_type == MessageType::Status);
    p.a.status_enquiry(p.now, a_call).unwrap();
    p.advance(secs(8));
    assert_eq!(
        p.ladder(),
        [
            "A->B STATUS ENQUIRY",
            "B->A STATUS (lost)",
            "A->B STATUS ENQUIRY",
            "B->A STATUS (lost)",
            "A->B DISCONNECT",
            "B->A RELEASE",
            "A->B RELEASE COMPLETE",
        ]
    );
    let disc = p.last(Dir::AtoB, MessageType::Disconnect).unwrap();
    assert_eq!(cause_of(disc), Some(CauseValue::TemporaryFailure));
    assert!(matches!(
        cleared(&p.a_events, a_call),
        Some(CallEvent::Cleared {
            reason: ClearReason::Timer(Timer::T322),
            ..
        })
    ));
}

#[test]
fn unknown_call_references() {
    let mut p = Pair::new();
    // a) ALERTING for a call A does not have: RELEASE COMPLETE, cause 81, same value, flag
    // inverted.
    p.inject(Dir::BtoA, msg(MessageType::Alerting, 99, true));
    p.drive();
    let rc = p.last(Dir::AtoB, MessageType::ReleaseComplete).unwrap();
    assert_eq!(cause_of(rc), Some(CauseValue::InvalidCallReference));
    assert_eq!(rc.call_reference, CallReference::new(99, false));
    // b) RELEASE: RELEASE COMPLETE, cause 81.
    p.clear_logs();
    p.inject(Dir::BtoA, msg(MessageType::Release, 98, false));
    p.drive();
    assert_eq!(
        cause_of(p.last(Dir::AtoB, MessageType::ReleaseComplete).unwrap()),
        Some(CauseValue::InvalidCallReference)
    );
    // c) RELEASE COMPLETE: nothing; d) SETUP with the flag set: ignored.
    p.clear_logs();
    p.inject(Dir::BtoA, msg(MessageType::ReleaseComplete, 97, false));
    p.inject(
        Dir::BtoA,
        with(
            msg(MessageType::Setup, 96, true),
            vec![speech(), channel_ie(1, true)],
        ),
    );
    p.drive();
    assert_eq!(p.sent(Dir::AtoB).len(), 0);
    assert!(p.a_events.is_empty());
    // STATUS ENQUIRY: STATUS, Null state, cause 30 (5.8.10).
    p.inject(Dir::BtoA, msg(MessageType::StatusEnquiry, 95, false));
    p.drive();
    let st = p.last(Dir::AtoB, MessageType::Status).unwrap();
    assert_eq!(cause_of(st), Some(CauseValue::ResponseToStatusEnquiry));
    assert_eq!(status_state(st), Some(CallStateValue::Null));
    // STATUS reporting a state other than Null: RELEASE COMPLETE, cause 101 (5.8.11 a); one
    // reporting Null: nothing.
    p.clear_logs();
    p.inject(
        Dir::BtoA,
        with(
            msg(MessageType::Status, 94, false),
            vec![
                InformationElement::Cause(cause(CauseValue::NormalUnspecified)),
                call_state_ie(CallStateValue::Active),
            ],
        ),
    );
    p.inject(
        Dir::BtoA,
        with(
            msg(MessageType::Status, 93, false),
            vec![
                InformationElement::Cause(cause(CauseValue::NormalUnspecified)),
                call_state_ie(CallStateValue::Null),
            ],
        ),
    );
    p.drive();
    assert_eq!(
        p.ladder(),
        ["B->A STATUS", "B->A STATUS", "A->B RELEASE COMPLETE"]
    );
    assert_eq!(
        cause_of(p.last(Dir::AtoB, MessageType::ReleaseComplete).unwrap()),
        Some(CauseValue::MessageNotCompatibleWithCallState)
    );
    // f) the global call reference with a message other than RESTART/RESTART ACK/STATUS:
    // STATUS, cause 81.
    p.clear_logs();
    p.inject(
        Dir::BtoA,
        Message::new(MessageType::Alerting, CallReference::global(2, false)),
    );
    p.drive();
    let st = p.last(Dir::AtoB, MessageType::Status).unwrap();
    assert!(st.call_reference.is_global());
    assert_eq!(cause_of(st), Some(CauseValue::InvalidCallReference));
    assert!(p.a.statistics().unknown_call_reference >= 7);
}

#[test]
fn setup_with_mandatory_elements_missing_or_in_error() {
    let mut p = Pair::new();
    let bad_bc = InformationElement::Raw {
        codeset: 0,
        identifier: 0x04,
        contents: vec![0x80],
    };
    let video = {
        let mut b = BearerCapability::speech(UserInformationLayer1Protocol::G711ALaw);
        b.information_transfer_rate = sipt_codecs::q931::InformationTransferRate::Kbit384;
        b.information_transfer_capability = InformationTransferCapability::Video;
        InformationElement::BearerCapability(b)
    };
    let bad_channel = InformationElement::Raw {
        codeset: 0,
        identifier: 0x18,
        contents: vec![],
    };
    let cases = [
        (
            vec![channel_ie(1, true)],
            CauseValue::MandatoryElementMissing,
            Some(0x04),
        ),
        (
            vec![speech()],
            CauseValue::MandatoryElementMissing,
            Some(0x18),
        ),
        (
            vec![bad_bc, channel_ie(1, true)],
            CauseValue::InvalidElementContents,
            Some(0x04),
        ),
        (
            vec![speech(), bad_channel],
            CauseValue::InvalidElementContents,
            Some(0x18),
        ),
        (
            vec![video, channel_ie(1, true)],
            CauseValue::BearerCapabilityNotImplemented,
            None,
        ),
        (
            vec![speech(), channel_ie(40, true)],
            CauseValue::IdentifiedChannelDoesNotExist,
            None,
        ),
    ];
    for (i, (ies, want, diag)) in cases.into_iter().enumerate() {
        p.clear_logs();
        let cr = 200 + u16::try_from(i).unwrap();
        p.inject(Dir::BtoA, with(msg(MessageType::Setup, cr, false), ies));
        p.drive();
        let rc = p.last(Dir::AtoB, MessageType::ReleaseComplete).unwrap();
        let c = rc.find(|e| e.as_cause()).unwrap();
        assert_eq!(c.cause_value, want, "case {i}");
        if let Some(d) = diag {
            assert_eq!(c.diagnostics, vec![d], "case {i}");
        }
        assert!(p.a_events.is_empty(), "case {i}");
    }
    assert!(p.all_idle());
}

#[test]
fn messages_with_errors_for_a_call_in_progress() {
    let mut p = Pair::new();
    let (a_call, b_call) = call_in(&mut p, 7);
    p.b.proceeding(p.now, b_call, Response::default()).unwrap();
    p.drive();
    p.clear_logs();
    let peer = CallReference {
        flag: true,
        ..p.a.call_reference(a_call).unwrap()
    };
    // PROGRESS without its progress indicator: STATUS 96, no event (5.8.6.1).
    p.inject(Dir::BtoA, Message::new(MessageType::Progress, peer));
    p.drive();
    let st = p.last(Dir::AtoB, MessageType::Status).unwrap();
    assert_eq!(cause_of(st), Some(CauseValue::MandatoryElementMissing));
    assert_eq!(
        status_state(st),
        Some(CallStateValue::OutgoingCallProceeding)
    );
    assert!(p.a_events.is_empty());
    // CONNECT ACKNOWLEDGE in Outgoing Call Proceeding: STATUS 101 (5.8.4).
    p.inject(
        Dir::BtoA,
        Message::new(MessageType::ConnectAcknowledge, peer),
    );
    p.drive();
    let st = p.last(Dir::AtoB, MessageType::Status).unwrap();
    assert_eq!(
        cause_of(st),
        Some(CauseValue::MessageNotCompatibleWithCallState)
    );
    // A message type not implemented here: STATUS 98.
    p.inject(Dir::BtoA, Message::new(MessageType::Hold, peer));
    p.drive();
    let st = p.last(Dir::AtoB, MessageType::Status).unwrap();
    assert_eq!(
        cause_of(st),
        Some(CauseValue::MessageNotCompatibleOrNonExistent)
    );
    assert_eq!(
        st.find(|e| e.as_cause()).unwrap().diagnostics,
        vec![MessageType::Hold.code()]
    );
    // A repeated SETUP for the call: ignored (5.8.3.2 e).
    let n = p.log.len();
    p.inject(
        Dir::AtoB,
        with(
            Message::new(MessageType::Setup, p.a.call_reference(a_call).unwrap()),
            vec![speech(), channel_ie(7, true)],
        ),
    );
    p.drive();
    assert_eq!(p.log.len(), n + 1);
    assert_eq!(p.a.call_state(a_call), CallState::OutgoingCallProceeding);
    // No state changed by any of it.
    assert_eq!(p.b.call_state(b_call), CallState::IncomingCallProceeding);
    // DISCONNECT without a cause: handled as cause 31; our RELEASE says 96 (5.8.6.1).
    p.clear_logs();
    p.inject(Dir::BtoA, Message::new(MessageType::Disconnect, peer));
    p.drive();
    let rel = p.last(Dir::AtoB, MessageType::Release).unwrap();
    assert_eq!(cause_of(rel), Some(CauseValue::MandatoryElementMissing));
    assert!(p
        .a_events
        .iter()
        .any(|e| matches!(e, CallEvent::Disconnected { cause: None, .. })));
}

#[test]
fn release_without_cause_as_first_clearing_message_is_completed_with_96() {
    let mut p = Pair::new();
    let (a_call, _) = call_in(&mut p, 7);
    p.clear_logs();
    let peer = CallReference {
        flag: true,
        ..p.a.call_reference(a_call).unwrap()
    };
    p.inject(Dir::BtoA, Message::new(MessageType::Release, peer));
    p.drive();
    let rc = p.last(Dir::AtoB, MessageType::ReleaseComplete).unwrap();
    assert_eq!(cause_of(rc), Some(CauseValue::MandatoryElementMissing));
    assert!(matches!(
        cleared(&p.a_events, a_call),
        Some(CallEvent::Cleared { reason: ClearReason::Remote, cause: Some(c), .. })
            if c.cause_value == CauseValue::NormalUnspecified
    ));
}

#[test]
fn status_reporting_null_or_an_incompatible_state() {
    let mut p = Pair::new();
    let (a_call, b_call) = call_in(&mut p, 7);
    p.b.connect(p.now, b_call, ConnectResponse::default())
        .unwrap();
    p.drive();
    let (a2, _) = call_in(&mut p, 8);
    p.clear_logs();
    let peer = |call| CallReference {
        flag: true,
        ..p.a.call_reference(call).unwrap()
    };
    let (p1, p2) = (peer(a_call), peer(a2));
    // 5.8.11 c: the peer is in Null: resources released, no message.
    p.inject(
        Dir::BtoA,
        with(
            Message::new(MessageType::Status, p1),
            vec![
                InformationElement::Cause(cause(CauseValue::InvalidCallReference)),
                call_state_ie(CallStateValue::Null),
            ],
        ),
    );
    p.drive();
    assert!(matches!(
        cleared(&p.a_events, a_call),
        Some(CallEvent::Cleared {
            reason: ClearReason::PeerInNullState,
            ..
        })
    ));
    assert_eq!(p.a.channel_state(7), Some(ChannelState::Idle));
    // Our call in Call Initiated, the peer says Active: incompatible, cleared with 101.
    p.inject(
        Dir::BtoA,
        with(
            Message::new(MessageType::Status, p2),
            vec![
                InformationElement::Cause(cause(CauseValue::NormalUnspecified)),
                call_state_ie(CallStateValue::Active),
            ],
        ),
    );
    p.drive();
    let disc = p.last(Dir::AtoB, MessageType::Disconnect).unwrap();
    assert_eq!(
        cause_of(disc),
        Some(CauseValue::MessageNotCompatibleWithCallState)
    );
    assert!(matches!(
        cleared(&p.a_events, a2),
        Some(CallEvent::Cleared {
            reason: ClearReason::ProtocolError,
            ..
        })
    ));
}

#[test]
fn garbage_is_counted_and_dropped() {
    let mut p = Pair::new();
    let now = p.now;
    for octets in [
        vec![],
        vec![0x08],
        vec![0x09, 0x02, 0x00, 0x01, 0x05],
        vec![0x08, 0x05, 0x00],
        vec![0x08, 0x02, 0x00, 0x01, 0x05, 0x04, 0x09],
        vec![0x08, 0x00, 0x62],
    ] {
        p.a.handle_dl(now, sipt_mgc::qsig::DlIndication::DataIndication(octets));
    }
    p.drive();
    assert!(p.log.is_empty());
    assert_eq!(p.a.statistics().messages_discarded, 6);
}

#[test]
fn a_libpri_style_restart_is_acknowledged_byte_for_byte() {
    // libpri's pri_reset(): global call reference, flag 0; channel identification exclusive,
    // channel 5; restart indicator "indicated channels".
    let mut p = Pair::new();
    let (a_call, _) = call_in(&mut p, 5);
    p.clear_logs();
    let restart = [
        0x08, 0x02, 0x00, 0x00, 0x46, 0x18, 0x03, 0xa9, 0x83, 0x85, 0x79, 0x01, 0x80,
    ];
    let now = p.now;
    p.a.handle_dl(
        now,
        sipt_mgc::qsig::DlIndication::DataIndication(restart.to_vec()),
    );
    let ack = p.a.poll_transmit().unwrap();
    assert_eq!(
        ack,
        [0x08, 0x02, 0x80, 0x00, 0x4e, 0x18, 0x03, 0xa9, 0x83, 0x85, 0x79, 0x01, 0x80]
    );
    assert_eq!(p.a.call_state(a_call), CallState::Null);
    assert_eq!(p.a.channel_state(5), Some(ChannelState::Idle));
}

#[test]
fn setup_octets_are_what_a_primary_rate_peer_reads() {
    let mut p = Pair::new();
    let mut r = SetupRequest::new(number("2001"));
    r.channel = ChannelRequest::Exclusive(1);
    p.a.setup(p.now, r).unwrap();
    let octets = p.a.poll_transmit().unwrap();
    assert_eq!(
        octets,
        [
            0x08, 0x02, 0x00, 0x01, 0x05, // Q.931, call reference 1 (flag 0), SETUP
            0x04, 0x03, 0x80, 0x90, 0xa3, // speech, 64 kbit/s circuit, G.711 A-law
            0x18, 0x03, 0xa9, 0x83, 0x81, // PRI, exclusive, B-channel 1
            0x70, 0x05, 0x81, b'2', b'0', b'0', b'1', // called number, unknown/E.164
            0xa1, // sending complete
        ]
    );
}
