//! The QSIG side of the gateway (RFC 4497, issue 6) in memory: a far PBX (a `DChannel`,
//! designated user) on the gateway's D-channel and a far SIP UA, simulated time.

mod gateway_rig;
#[path = "gateway_rig/qsig.rs"]
mod qsig_rig;

use std::time::Duration;

use qsig_rig::{QsigRig, QSIG_CONFIG};
use sipt_codecs::q931::{Number, NumberingPlan, TypeOfNumber};
use sipt_codecs::qsig::Name;
use sipt_mgc::gateway::GatewayEvent;
use sipt_mgc::qsig::{CallEvent, CallId, ClearReason, ConnectResponse, Response, SetupRequest};
use sipt_mgc::sip::ua::UaEvent;

/// The PBX calls 4930123 as 4940111222 "Alice".
fn pbx_call(rig: &mut QsigRig) -> CallId {
    let mut req = SetupRequest::new(Number::new(
        TypeOfNumber::Unknown0,
        NumberingPlan::Unknown0,
        "4930123",
    ));
    req.calling = Some(Number::new(
        TypeOfNumber::International,
        NumberingPlan::IsdnTelephony,
        "4940111222",
    ));
    req.calling_name = Some(Name::allowed("Alice"));
    rig.pbx_do(|c, now| c.setup(now, req)).expect("SETUP")
}

fn pbx_cleared(rig: &QsigRig, call: CallId) -> Option<(Option<u8>, ClearReason)> {
    rig.pbx_events.iter().find_map(|e| match e {
        CallEvent::Cleared {
            call: c,
            cause,
            reason,
            ..
        } if *c == call => Some((cause.as_ref().map(|c| c.cause_value.code()), *reason)),
        _ => None,
    })
}

fn pbx_disconnect_cause(rig: &QsigRig, call: CallId) -> Option<u8> {
    rig.pbx_events.iter().find_map(|e| match e {
        CallEvent::Disconnected {
            call: c,
            cause: Some(cause),
            ..
        } if *c == call => Some(cause.cause_value.code()),
        _ => None,
    })
}

fn ended(rig: &QsigRig) -> (bool, Option<u8>, Option<u16>) {
    let e = rig.ended();
    assert_eq!(e.len(), 1, "one call ended: {:#?}", rig.gw_events);
    match e[0] {
        GatewayEvent::CallEnded {
            answered,
            cause,
            status,
            ..
        } => (*answered, *cause, *status),
        _ => unreachable!(),
    }
}

#[test]
fn pbx_call_with_name_reaches_sip_with_display_name_and_is_answered() {
    let mut rig = QsigRig::new(QSIG_CONFIG);
    let call = pbx_call(&mut rig);
    rig.settle();
    let (h, invite) = rig.far_incoming();
    let from = invite.get("From").expect("From").to_string();
    assert!(from.contains("Alice"), "From: {from}");
    assert!(from.contains("+4940111222"), "From: {from}");
    assert_eq!(
        invite
            .request_uri()
            .map(|u| u.user.clone().unwrap_or_default()),
        Some("4930123".to_string())
    );
    assert!(
        invite
            .get("Content-Type")
            .is_some_and(|c| c.contains("sdp")),
        "the B-channel's SDP offer"
    );
    // CALL PROCEEDING went back (RFC 4497 8.2.1.1).
    assert!(rig
        .pbx_events
        .iter()
        .any(|e| matches!(e, CallEvent::Proceeding { call: c, .. } if *c == call)));

    rig.far_responds(h, 180);
    assert!(rig
        .pbx_events
        .iter()
        .any(|e| matches!(e, CallEvent::Alerting { call: c, .. } if *c == call)));
    rig.far_responds(h, 200);
    assert!(rig
        .pbx_events
        .iter()
        .any(|e| matches!(e, CallEvent::Connected { call: c, .. } if *c == call)));

    rig.run_for(Duration::from_secs(5));
    // The PBX hangs up: BYE with Reason: Q.850;cause=16.
    rig.pbx_do(|c, now| c.disconnect(now, call, sipt_codecs::q931::CauseValue::NormalCallClearing))
        .expect("DISCONNECT");
    rig.settle();
    let bye = rig.far_events.iter().find_map(|e| match e {
        UaEvent::Ended { bye: Some(b), .. } => Some(b.clone()),
        _ => None,
    });
    let bye = bye.expect("BYE at the far UA");
    assert!(
        bye.get("Reason").is_some_and(|r| r.contains("cause=16")),
        "{:?}",
        bye.get("Reason")
    );
    assert_eq!(ended(&rig), (true, Some(16), None));
    rig.assert_clean();
}

/// RFC 4497 8.2.1.1: the INVITE supports 100rel — once. The mapping leaves Supported to the
/// UA (`Supported: 100rel, timer`), as the ISUP path does, so there is one header field with
/// one 100rel option tag, to a trusted peer (with the application/QSIG body) and otherwise.
#[test]
fn pbx_call_invite_has_one_supported_header_with_one_100rel() {
    for config in [QSIG_CONFIG.to_string(), QsigRig::trusted_config()] {
        let mut rig = QsigRig::new(&config);
        pbx_call(&mut rig);
        rig.settle();
        let (_, invite) = rig.far_incoming();
        let supported: Vec<&str> = invite.get_all("Supported").collect();
        assert_eq!(supported.len(), 1, "{supported:?}");
        let tags: Vec<&str> = supported
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        assert_eq!(
            tags.iter()
                .filter(|t| t.eq_ignore_ascii_case("100rel"))
                .count(),
            1,
            "{tags:?}"
        );
        assert!(tags.contains(&"timer"), "{tags:?}");
    }
}

#[test]
fn pbx_call_rejected_gives_the_rfc4497_table2_causes() {
    // RFC 4497 8.4.4 Table 2 rows.
    for (status, cause) in [(486u16, 17u8), (404, 1), (480, 18), (603, 21), (484, 28)] {
        let mut rig = QsigRig::new(QSIG_CONFIG);
        let call = pbx_call(&mut rig);
        rig.settle();
        let (h, _) = rig.far_incoming();
        let now = rig.now;
        rig.far
            .respond(now, h, status, "Rejected", None)
            .expect("final response");
        rig.settle();
        assert_eq!(
            pbx_disconnect_cause(&rig, call),
            Some(cause),
            "{status}: {:#?}",
            rig.pbx_events
        );
        assert!(pbx_cleared(&rig, call).is_some());
        assert_eq!(ended(&rig), (false, Some(cause), Some(status)));
        rig.assert_clean();
    }
}

#[test]
fn pbx_call_abandoned_before_answer_is_cancelled() {
    let mut rig = QsigRig::new(QSIG_CONFIG);
    let call = pbx_call(&mut rig);
    rig.settle();
    let (h, _) = rig.far_incoming();
    rig.far_responds(h, 180);
    rig.pbx_do(|c, now| c.disconnect(now, call, sipt_codecs::q931::CauseValue::NormalCallClearing))
        .expect("DISCONNECT");
    rig.settle();
    assert!(
        rig.far_events
            .iter()
            .any(|e| matches!(e, UaEvent::Cancelled { call: c, .. } if *c == h)),
        "CANCEL at the far UA: {:#?}",
        rig.far_events
    );
    let (answered, cause, _) = ended(&rig);
    assert!(!answered);
    assert_eq!(cause, Some(16));
    rig.assert_clean();
}

#[test]
fn pbx_call_without_route_is_disconnected_with_cause_3() {
    let mut rig = QsigRig::new(QSIG_CONFIG);
    let mut req = SetupRequest::new(Number::new(
        TypeOfNumber::Unknown0,
        NumberingPlan::Unknown0,
        "5550000",
    ));
    req.calling_name = Some(Name::allowed("Alice"));
    let call = rig.pbx_do(|c, now| c.setup(now, req)).expect("SETUP");
    rig.settle();
    assert_eq!(pbx_disconnect_cause(&rig, call), Some(3));
    rig.assert_clean();
}

#[test]
fn sip_call_reaches_the_pbx_with_the_name_and_is_answered() {
    let mut rig = QsigRig::new(QSIG_CONFIG);
    let h = rig.sip_call("7001", Some("Bob"));
    rig.settle();
    let inc = rig
        .pbx_events
        .iter()
        .find_map(|e| match e {
            CallEvent::IncomingCall(i) => Some(i.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no SETUP at the PBX: {:#?}", rig.gw_events));
    assert_eq!(inc.calling_name, Some(Name::allowed("Bob")));
    assert_eq!(inc.called.as_ref().map(|n| n.digits.as_str()), Some("7001"));
    let call = inc.call;
    rig.pbx_do(|c, now| c.alerting(now, call, Response::default()))
        .expect("ALERTING");
    rig.settle();
    assert!(rig.far_events.iter().any(|e| matches!(
        e,
        UaEvent::Progress { call: c, response } if *c == h && response.status() == Some(180)
    )));
    rig.pbx_do(|c, now| c.connect(now, call, ConnectResponse::default()))
        .expect("CONNECT");
    rig.settle();
    assert!(
        rig.far_events
            .iter()
            .any(|e| matches!(e, UaEvent::Answered { call: c, .. } if *c == h)),
        "200 at the far UA: {:#?}",
        rig.far_events
    );
    rig.run_for(Duration::from_secs(3));
    let now = rig.now;
    rig.far.hangup(now, h).expect("BYE");
    rig.settle();
    assert_eq!(pbx_disconnect_cause(&rig, call), Some(16));
    assert!(ended(&rig).0);
    rig.assert_clean();
}

#[test]
fn sip_call_rejected_by_the_pbx_gets_the_table1_response() {
    let mut rig = QsigRig::new(QSIG_CONFIG);
    let h = rig.sip_call("7002", None);
    rig.settle();
    let call = rig
        .pbx_events
        .iter()
        .find_map(|e| match e {
            CallEvent::IncomingCall(i) => Some(i.call),
            _ => None,
        })
        .expect("SETUP at the PBX");
    // RFC 4497 Table 1: 17 user busy -> 486.
    rig.pbx_do(|c, now| c.disconnect(now, call, sipt_codecs::q931::CauseValue::UserBusy))
        .expect("DISCONNECT");
    rig.settle();
    let status = rig.far_events.iter().find_map(|e| match e {
        UaEvent::Rejected { call: c, response } if *c == h => response.status(),
        _ => None,
    });
    assert_eq!(status, Some(486), "{:#?}", rig.far_events);
    rig.assert_clean();
}

#[test]
fn dchannel_lost_mid_call_clears_the_sip_leg_and_channels_restart_when_it_returns() {
    let mut rig = QsigRig::new(QSIG_CONFIG);
    let call = pbx_call(&mut rig);
    rig.settle();
    let (h, _) = rig.far_incoming();
    rig.far_responds(h, 200);
    assert!(rig
        .pbx_events
        .iter()
        .any(|e| matches!(e, CallEvent::Connected { call: c, .. } if *c == call)));
    rig.link_cut = true;
    // Q.921 notices on its idle poll (T203, 10 s) and gives up after N200 retransmissions of
    // T200; the active call is kept for T309 (6 s), then cleared with cause 27.
    rig.run_for(Duration::from_secs(40));
    assert!(
        rig.far_events
            .iter()
            .any(|e| matches!(e, UaEvent::Ended { call: c, .. } if *c == h)),
        "BYE at the far UA: {:#?}",
        rig.gw_events
    );
    let (answered, cause, _) = ended(&rig);
    assert!(answered);
    assert_eq!(cause, Some(27), "destination out of order (Q.931 5.8.9)");
    // The span comes back: the data link is re-established and the B-channels restarted.
    rig.pbx_events.clear();
    rig.link_cut = false;
    rig.run_for(Duration::from_secs(10));
    assert!(rig.gw.qsig_trunks()[0]
        .dchannel
        .calls()
        .data_link_established());
    assert!(
        rig.pbx_events
            .iter()
            .any(|e| matches!(e, CallEvent::Restarted { .. })),
        "RESTART: {:#?}",
        rig.pbx_events
    );
    rig.assert_clean();
}

#[test]
fn pbx_call_to_a_trusted_peer_carries_the_setup_as_application_qsig() {
    let config = QSIG_CONFIG.replace("trusted = []", "trusted = [\"192.0.2.9\"]");
    let mut rig = QsigRig::new(&config);
    pbx_call(&mut rig);
    rig.settle();
    let (_, invite) = rig.far_incoming();
    let ct = invite
        .get("Content-Type")
        .expect("Content-Type")
        .to_string();
    assert!(ct.starts_with("multipart/mixed"), "{ct}");
    let body = String::from_utf8_lossy(&invite.body).to_string();
    assert!(body.contains("application/QSIG"), "{body}");
    assert!(body.contains("application/sdp"), "{body}");
    // The trusted peer gets the asserted identity with the name (RFC 3325).
    let pai = invite
        .get("P-Asserted-Identity")
        .expect("P-Asserted-Identity")
        .to_string();
    assert!(
        pai.contains("Alice") && pai.contains("+4940111222"),
        "{pai}"
    );
}

// ------------------------------------------------------------------ SIP bridging (RFC 3204)

use sipt_codecs::q931::{
    BearerCapability, CallReference, Cause, CauseValue, ChannelIdentification, InformationElement,
    Location, Message as QsigMessage, MessageType, ProgressDescription, ProgressIndicator,
    UserInformationLayer1Protocol,
};
use sipt_codecs::qsig::{
    called_name, calling_name, connected_name, Argument, Ber, Facility, Invoke, TagClass,
};
use sipt_mgc::interwork::body;

const SDP: &[u8] = b"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n";

fn facility_ie(invoke: Invoke) -> InformationElement {
    InformationElement::Facility(Facility::invoke(invoke).expect("facility"))
}

/// A Facility IE with an operation the mapping knows nothing of (local opcode 99, an OCTET
/// STRING argument): only an encapsulated message can carry it.
fn opaque_facility(tag: u8) -> InformationElement {
    facility_ie(Invoke::new(
        40 + i64::from(tag),
        99,
        Some(Argument::Raw(Ber::primitive(
            TagClass::Universal,
            4,
            vec![0xde, 0xad, tag],
        ))),
    ))
}

fn facilities(m: &QsigMessage) -> Vec<InformationElement> {
    m.information_elements
        .iter()
        .filter(|e| matches!(e, InformationElement::Facility(_)))
        .cloned()
        .collect()
}

fn intl(digits: &str) -> Number {
    Number::new(
        TypeOfNumber::International,
        NumberingPlan::IsdnTelephony,
        digits,
    )
}

/// The far PBX's SETUP as a far gateway encapsulates it: a channel of its own, the calling
/// name "Carol", an opaque operation, the number +4940111222 to 7001.
fn far_setup() -> QsigMessage {
    QsigMessage::new(MessageType::Setup, CallReference::new(5, false))
        .with(InformationElement::BearerCapability(
            BearerCapability::speech(UserInformationLayer1Protocol::G711ALaw),
        ))
        .with(InformationElement::ChannelIdentification(
            ChannelIdentification::primary_b_channel(30, true),
        ))
        .with(facility_ie(calling_name(1, Name::allowed("Carol"))))
        .with(opaque_facility(1))
        .with(InformationElement::CallingPartyNumber(intl("4940111222")))
        .with(InformationElement::CalledPartyNumber(Number::new(
            TypeOfNumber::Unknown0,
            NumberingPlan::Unknown0,
            "7001",
        )))
        .with(InformationElement::SendingComplete)
}

/// The QSIG message of a SIP message's application/QSIG part.
fn qsig_part(m: &sipt_mgc::sip::message::Message) -> Option<QsigMessage> {
    let octets = body::split(m, true).ok()?.qsig?;
    QsigMessage::decode(&octets).ok()
}

fn qsig_body(sdp: Option<&[u8]>, m: &QsigMessage) -> Option<(String, Vec<u8>)> {
    body::build_qsig(sdp, Some(&m.to_bytes().expect("encodes")), true)
}

fn as_body(b: &Option<(String, Vec<u8>)>) -> Option<(&str, Vec<u8>)> {
    b.as_ref().map(|(ct, b)| (ct.as_str(), b.clone()))
}

fn far_response(
    rig: &QsigRig,
    h: sipt_mgc::sip::ua::CallHandle,
    status: u16,
) -> sipt_mgc::sip::message::Message {
    rig.far_events
        .iter()
        .find_map(|e| match e {
            UaEvent::Progress { call, response } | UaEvent::Answered { call, response }
                if *call == h && response.status() == Some(status) =>
            {
                Some(response.clone())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {status} at the far UA: {:#?}", rig.far_events))
}

#[test]
fn sip_bridging_the_setup_of_a_trusted_peer_is_the_template_and_backward_messages_travel() {
    let mut rig = QsigRig::new(&QsigRig::trusted_config());
    let template = far_setup();
    let b = qsig_body(Some(SDP), &template);
    let pai = vec![(
        "P-Asserted-Identity",
        "\"Carol\" <sip:+4940111222@192.0.2.9;user=phone>".to_string(),
    )];
    let h = rig.sip_call_with("7001", Some("Carol"), &pai, as_body(&b));
    rig.settle();
    let inc = rig.pbx_incoming();
    // Its Facility IEs arrive whole, the opaque operation too; the name once.
    assert_eq!(facilities(&inc.message), facilities(&template));
    assert_eq!(inc.calling_name, Some(Name::allowed("Carol")));
    // The called number as routed (same digits: the template's type and plan), the calling
    // number the template's, the channel our own.
    assert_eq!(
        inc.called,
        Some(Number::new(
            TypeOfNumber::Unknown0,
            NumberingPlan::Unknown0,
            "7001"
        ))
    );
    assert_eq!(
        inc.calling.as_ref().map(|n| n.digits.as_str()),
        Some("4940111222")
    );
    let chan = inc.message.find(|e| match e {
        InformationElement::ChannelIdentification(c) => Some(c.clone()),
        _ => None,
    });
    assert_ne!(
        chan,
        Some(ChannelIdentification::primary_b_channel(30, true))
    );
    assert!(inc
        .message
        .information_elements
        .contains(&InformationElement::SendingComplete));

    // ALERTING with a calledName and an opaque operation: the 180 carries it, and the name
    // as the asserted display name.
    let call = inc.call;
    let alerting = Response {
        progress: None,
        extra: vec![
            facility_ie(called_name(3, Name::allowed("Dave"))),
            opaque_facility(2),
        ],
    };
    rig.pbx_do(|c, now| c.alerting(now, call, alerting))
        .expect("ALERTING");
    rig.settle();
    let r180 = far_response(&rig, h, 180);
    let carried = qsig_part(&r180).expect("an application/QSIG part in the 180");
    assert_eq!(carried.message_type, MessageType::Alerting);
    assert!(facilities(&carried).contains(&opaque_facility(2)));
    let pai = r180
        .get("P-Asserted-Identity")
        .unwrap_or_default()
        .to_string();
    assert!(pai.contains("Dave") && pai.contains("7001"), "{pai}");

    // CONNECT with connectedName: the 200 carries it, PAI with the name.
    let connect = ConnectResponse {
        connected: Some(intl("497001")),
        connected_name: Some(Name::allowed("Dave")),
        progress: None,
        extra: vec![opaque_facility(3)],
    };
    rig.pbx_do(|c, now| c.connect(now, call, connect))
        .expect("CONNECT");
    rig.settle();
    let ok = far_response(&rig, h, 200);
    let carried = qsig_part(&ok).expect("an application/QSIG part in the 200");
    assert_eq!(carried.message_type, MessageType::Connect);
    assert!(facilities(&carried).contains(&opaque_facility(3)));
    let pai = ok
        .get("P-Asserted-Identity")
        .unwrap_or_default()
        .to_string();
    assert!(pai.contains("Dave") && pai.contains("+497001"), "{pai}");
    assert!(body::split(&ok, true).expect("body").sdp.is_some());

    // The PBX hangs up: the BYE carries its DISCONNECT.
    rig.run_for(Duration::from_secs(1));
    let cause = Cause::new(
        Location::PrivateNetworkLocalUser,
        CauseValue::NormalCallClearing,
    );
    rig.pbx_do(|c, now| c.disconnect_with(now, call, cause, vec![opaque_facility(4)]))
        .expect("DISCONNECT");
    rig.settle();
    let bye = rig
        .far_events
        .iter()
        .find_map(|e| match e {
            UaEvent::Ended { bye: Some(b), .. } => Some(b.clone()),
            _ => None,
        })
        .expect("BYE");
    let carried = qsig_part(&bye).expect("an application/QSIG part in the BYE");
    assert_eq!(carried.message_type, MessageType::Disconnect);
    assert!(facilities(&carried).contains(&opaque_facility(4)));
    rig.assert_clean();
}

#[test]
fn sip_bridging_bodies_of_a_trusted_peer_are_used_for_the_messages_to_the_pbx() {
    let mut rig = QsigRig::new(&QsigRig::trusted_config());
    let call = pbx_call(&mut rig);
    rig.settle();
    let (h, invite) = rig.far_incoming();
    assert_eq!(
        qsig_part(&invite).map(|m| m.message_type),
        Some(MessageType::Setup)
    );
    let cr = CallReference::new(9, true);
    // 180 with the far PBX's ALERTING alone (handling=required).
    let alerting = QsigMessage::new(MessageType::Alerting, cr)
        .with(facility_ie(called_name(1, Name::allowed("Erin"))))
        .with(opaque_facility(5));
    let b = qsig_body(None, &alerting);
    let now = rig.now;
    rig.far
        .respond(now, h, 180, "Ringing", as_body(&b))
        .expect("180");
    rig.settle();
    let (name, message) = rig
        .pbx_events
        .iter()
        .find_map(|e| match e {
            CallEvent::Alerting {
                call: c,
                called_name,
                message,
                ..
            } if *c == call => Some((called_name.clone(), message.clone())),
            _ => None,
        })
        .expect("ALERTING at the PBX");
    assert_eq!(name, Some(Name::allowed("Erin")));
    assert!(facilities(&message).contains(&opaque_facility(5)));
    // One calledName only (the 180 had no PAI; the template's is used).
    assert_eq!(facilities(&message).len(), 2);

    // 200 with SDP and the far PBX's CONNECT.
    let connect = QsigMessage::new(MessageType::Connect, cr)
        .with(facility_ie(connected_name(2, Name::allowed("Erin"))))
        .with(opaque_facility(6))
        .with(InformationElement::ProgressIndicator(ProgressIndicator {
            coding_standard: sipt_codecs::q931::CodingStandard::ItuT,
            location: Location::PrivateNetworkRemoteUser,
            progress_description: ProgressDescription::NotEndToEndIsdn,
        }))
        .with(InformationElement::ConnectedNumber(intl("4930123")));
    let b = qsig_body(Some(SDP), &connect);
    let now = rig.now;
    rig.far
        .respond_with(now, h, 200, "OK", &[], as_body(&b))
        .expect("200");
    rig.settle();
    let (connected, name, message) = rig
        .pbx_events
        .iter()
        .find_map(|e| match e {
            CallEvent::Connected {
                call: c,
                connected,
                connected_name,
                message,
                ..
            } if *c == call => Some((connected.clone(), connected_name.clone(), message.clone())),
            _ => None,
        })
        .expect("CONNECT at the PBX");
    assert_eq!(name, Some(Name::allowed("Erin")));
    assert_eq!(connected.map(|n| n.digits), Some("4930123".to_string()));
    assert!(facilities(&message).contains(&opaque_facility(6)));

    // BYE with the far PBX's DISCONNECT: its cause (with its location) and its facility.
    rig.run_for(Duration::from_secs(1));
    let disconnect = QsigMessage::new(MessageType::Disconnect, cr)
        .with(InformationElement::Cause(Cause::new(
            Location::PrivateNetworkRemoteUser,
            CauseValue::from_code(31),
        )))
        .with(opaque_facility(7));
    let b = qsig_body(None, &disconnect);
    let now = rig.now;
    rig.far
        .hangup_with(now, h, None, &[], as_body(&b))
        .expect("BYE");
    rig.settle();
    let (cause, message) = rig
        .pbx_events
        .iter()
        .find_map(|e| match e {
            CallEvent::Disconnected {
                call: c,
                cause,
                message,
            } if *c == call => Some((cause.clone(), message.clone())),
            _ => None,
        })
        .expect("DISCONNECT at the PBX");
    let cause = cause.expect("cause");
    assert_eq!(
        (cause.cause_value.code(), cause.location),
        (31, Location::PrivateNetworkRemoteUser)
    );
    assert!(facilities(&message).contains(&opaque_facility(7)));
    rig.assert_clean();
}

#[test]
fn untrusted_peers_get_no_qsig_bodies_and_theirs_are_ignored() {
    let mut rig = QsigRig::new(QSIG_CONFIG);
    let b = qsig_body(Some(SDP), &far_setup());
    let h = rig.sip_call_with("7001", None, &[], as_body(&b));
    rig.settle();
    let inc = rig.pbx_incoming();
    assert!(
        !facilities(&inc.message).contains(&opaque_facility(1)),
        "an untrusted peer's SETUP was used"
    );
    assert_eq!(inc.calling_name, None);
    let call = inc.call;
    // A restricted calledName and a connectedName: neither reaches an untrusted peer.
    let alerting = Response {
        progress: None,
        extra: vec![facility_ie(called_name(3, Name::restricted("Dave")))],
    };
    rig.pbx_do(|c, now| c.alerting(now, call, alerting))
        .expect("ALERTING");
    rig.settle();
    let r180 = far_response(&rig, h, 180);
    assert!(qsig_part(&r180).is_none());
    assert!(r180.get("P-Asserted-Identity").is_none());
    assert!(!String::from_utf8_lossy(&r180.to_bytes()).contains("Dave"));
    let connect = ConnectResponse {
        connected: Some(intl("497001")),
        connected_name: Some(Name::allowed("Dave")),
        ..ConnectResponse::default()
    };
    rig.pbx_do(|c, now| c.connect(now, call, connect))
        .expect("CONNECT");
    rig.settle();
    let ok = far_response(&rig, h, 200);
    assert!(qsig_part(&ok).is_none());
    assert!(ok.get("P-Asserted-Identity").is_none());
    let now = rig.now;
    rig.far.hangup(now, h).expect("BYE");
    rig.settle();
    rig.assert_clean();
}

#[test]
fn required_bodies_the_gateway_cannot_use_get_415_or_400() {
    use sipt_codecs::rfc3204::{self, BodyPart, Handling, IsupBase};
    let connect = QsigMessage::new(MessageType::Connect, CallReference::new(1, false));
    let cases: Vec<(Vec<BodyPart>, u16)> = vec![
        // a QSIG message that is no SETUP, required
        (
            vec![BodyPart::qsig(
                connect.to_bytes().unwrap(),
                Handling::Required,
            )],
            415,
        ),
        // an ISUP IAM (required) cannot become a SETUP
        (
            vec![
                BodyPart::sdp(SDP),
                BodyPart::isup(IsupBase::ItuT92Plus, hex_iam(), Handling::Required),
            ],
            415,
        ),
        // QSIG octets that do not decode, required
        (
            vec![BodyPart::qsig(vec![0x08, 0x02, 0x00], Handling::Required)],
            400,
        ),
    ];
    for (parts, status) in cases {
        let mut rig = QsigRig::new(&QsigRig::trusted_config());
        let b = rfc3204::build(&parts);
        let h = rig.sip_call_with(
            "7001",
            None,
            &[],
            Some((b.content_type.as_str(), b.bytes.clone())),
        );
        rig.settle();
        let r = rig
            .far_events
            .iter()
            .find_map(|e| match e {
                UaEvent::Rejected { call, response } if *call == h => Some(response.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no rejection: {:#?}", rig.far_events));
        assert_eq!(r.status(), Some(status), "{parts:?}");
        if status == 415 {
            assert!(r
                .get("Accept")
                .is_some_and(|a| a.contains("application/qsig")));
        }
        assert!(!rig
            .pbx_events
            .iter()
            .any(|e| matches!(e, CallEvent::IncomingCall(_))));
        rig.assert_clean();
    }
    // The same QSIG CONNECT with handling=optional is ignored: the call goes on.
    let mut rig = QsigRig::new(&QsigRig::trusted_config());
    let b = rfc3204::build(&[
        BodyPart::sdp(SDP),
        BodyPart::qsig(connect.to_bytes().unwrap(), Handling::Optional),
    ]);
    rig.sip_call_with(
        "7001",
        None,
        &[],
        Some((b.content_type.as_str(), b.bytes.clone())),
    );
    rig.settle();
    rig.pbx_incoming();
}

/// An ITU IAM (message type first, as in an RFC 3204 body; README.md's example).
fn hex_iam() -> Vec<u8> {
    vec![
        0x01, 0x00, 0x49, 0x00, 0x00, 0x03, 0x02, 0x00, 0x07, 0x04, 0x10, 0x00, 0x33, 0x63, 0x21,
        0x43, 0x00,
    ]
}

#[test]
fn a_call_from_a_trusted_peer_refused_by_the_pbx_gets_its_disconnect_in_the_final_response() {
    let mut rig = QsigRig::new(&QsigRig::trusted_config());
    let h = rig.sip_call("7002", None);
    rig.settle();
    let call = rig.pbx_incoming().call;
    let cause = Cause::new(Location::PrivateNetworkLocalUser, CauseValue::UserBusy);
    rig.pbx_do(|c, now| c.disconnect_with(now, call, cause, vec![opaque_facility(8)]))
        .expect("DISCONNECT");
    rig.settle();
    let r = rig
        .far_events
        .iter()
        .find_map(|e| match e {
            UaEvent::Rejected { call: c, response } if *c == h => Some(response.clone()),
            _ => None,
        })
        .expect("final response");
    assert_eq!(r.status(), Some(486));
    let carried = qsig_part(&r).expect("an application/QSIG part in the 486");
    assert_eq!(carried.message_type, MessageType::Disconnect);
    assert!(facilities(&carried).contains(&opaque_facility(8)));
    rig.assert_clean();
}

/// RFC 4497 8.3.3, 8.3.4 with RFC 3262: the caller supports 100rel (our UA's INVITE says
/// `Supported: 100rel`), so ALERTING and PROGRESS go as reliable 18x, each with its RSeq; the
/// 200 for CONNECT follows the PRACKs and nothing is left behind.
#[test]
fn alerting_and_progress_go_reliably_to_a_caller_that_supports_100rel() {
    let mut rig = QsigRig::new(QSIG_CONFIG);
    let h = rig.sip_call("7001", None);
    rig.settle();
    let call = rig.pbx_incoming().call;
    rig.pbx_do(|c, now| c.alerting(now, call, Response::default()))
        .expect("ALERTING");
    rig.settle();
    let pi8 = ProgressIndicator {
        coding_standard: sipt_codecs::q931::CodingStandard::ItuT,
        location: Location::PrivateNetworkLocalUser,
        progress_description: ProgressDescription::InBandInformationAvailable,
    };
    rig.pbx_do(|c, now| c.progress(now, call, pi8, Vec::new()))
        .expect("PROGRESS");
    rig.settle();
    let r180 = far_response(&rig, h, 180);
    let r183 = far_response(&rig, h, 183);
    for r in [&r180, &r183] {
        assert_eq!(r.get("Require"), Some("100rel"), "{r:?}");
    }
    let rseq = |r: &sipt_mgc::sip::message::Message| -> u32 {
        r.get("RSeq")
            .and_then(|v| v.trim().parse().ok())
            .expect("RSeq")
    };
    assert_eq!(rseq(&r183), rseq(&r180) + 1);
    assert!(
        body::split(&r183, false).expect("body").sdp.is_some(),
        "early media"
    );
    rig.pbx_do(|c, now| c.connect(now, call, ConnectResponse::default()))
        .expect("CONNECT");
    rig.settle();
    far_response(&rig, h, 200);
    // No 18x retransmitted for want of a PRACK.
    let sent_18x = rig
        .far_events
        .iter()
        .filter(|e| matches!(e, UaEvent::Progress { call, .. } if *call == h))
        .count();
    assert_eq!(sent_18x, 2, "{:#?}", rig.far_events);
    let now = rig.now;
    rig.far.hangup(now, h).expect("BYE");
    rig.settle();
    rig.assert_clean();
}

// ------------------------------------------------------------------ overlap receiving

fn overlap_setup(rig: &mut QsigRig, digits: &str) -> CallId {
    let mut req = SetupRequest::new(Number::new(
        TypeOfNumber::Unknown0,
        NumberingPlan::Unknown0,
        digits,
    ));
    req.sending_complete = false;
    rig.pbx_do(|c, now| c.setup(now, req)).expect("SETUP")
}

fn information(rig: &mut QsigRig, call: CallId, digits: &str, complete: bool) {
    let r = sipt_mgc::qsig::InformationRequest {
        called: Some(Number::new(
            TypeOfNumber::Unknown0,
            NumberingPlan::Unknown0,
            digits,
        )),
        sending_complete: complete,
        extra: Vec::new(),
    };
    rig.pbx_do(|c, now| c.information(now, call, r))
        .expect("INFORMATION");
    rig.settle();
}

fn setup_acknowledged(rig: &QsigRig, call: CallId) -> bool {
    rig.pbx_events
        .iter()
        .any(|e| matches!(e, CallEvent::SetupAcknowledged { call: c, .. } if *c == call))
}

fn invited_number(invite: &sipt_mgc::sip::message::Message) -> String {
    invite
        .request_uri()
        .and_then(|u| u.user.clone())
        .unwrap_or_default()
}

/// RFC 4497 8.2.2.1: a SETUP without Sending complete whose number no route matches yet:
/// SETUP ACKNOWLEDGE, then the INFORMATION digits until a route matches, then one INVITE
/// with the whole number and CALL PROCEEDING.
#[test]
fn overlap_receiving_collects_digits_until_a_route_matches() {
    let mut rig = QsigRig::new(QSIG_CONFIG);
    let call = overlap_setup(&mut rig, "4");
    rig.settle();
    assert!(setup_acknowledged(&rig, call), "{:#?}", rig.pbx_events);
    assert!(!rig
        .far_events
        .iter()
        .any(|e| matches!(e, UaEvent::Incoming { .. })));
    information(&mut rig, call, "930123", false);
    let (h, invite) = rig.far_incoming();
    assert_eq!(invited_number(&invite), "4930123");
    assert!(rig
        .pbx_events
        .iter()
        .any(|e| matches!(e, CallEvent::Proceeding { call: c, .. } if *c == call)));
    let now = rig.now;
    rig.far
        .respond(now, h, 486, "Busy Here", None)
        .expect("486");
    rig.settle();
    assert_eq!(pbx_disconnect_cause(&rig, call), Some(17));
    rig.assert_clean();
}

/// With `overlap = "en-bloc"` on the link only Sending complete, 15 digits or T302 end the
/// number (8.2.2: "timers ... Sending complete"); the SETUP in the INVITE's application/QSIG
/// body has the whole number.
#[test]
fn overlap_en_bloc_link_waits_for_sending_complete_or_t302() {
    let config = QsigRig::trusted_config().replace(
        "trunk_group = \"pbx\"",
        "trunk_group = \"pbx\"\noverlap = \"en-bloc\"",
    );
    // Sending complete in INFORMATION.
    let mut rig = QsigRig::new(&config);
    let call = overlap_setup(&mut rig, "49");
    rig.settle();
    assert!(setup_acknowledged(&rig, call));
    information(&mut rig, call, "30", false);
    rig.run_for(Duration::from_secs(10));
    assert!(!rig
        .far_events
        .iter()
        .any(|e| matches!(e, UaEvent::Incoming { .. })));
    information(&mut rig, call, "123", true);
    let (h, invite) = rig.far_incoming();
    assert_eq!(invited_number(&invite), "4930123");
    let carried = qsig_part(&invite).expect("SETUP in the INVITE");
    assert_eq!(
        carried
            .find(|e| e.as_called_party_number())
            .map(|n| n.digits.clone()),
        Some("4930123".to_string())
    );
    let now = rig.now;
    rig.far
        .respond(now, h, 486, "Busy Here", None)
        .expect("486");
    rig.settle();
    rig.assert_clean();

    // T302 (15 s after the latest INFORMATION): the number is what came.
    let mut rig = QsigRig::new(&config);
    let call = overlap_setup(&mut rig, "49");
    rig.settle();
    information(&mut rig, call, "30", false);
    rig.run_for(Duration::from_secs(14));
    assert!(!rig
        .far_events
        .iter()
        .any(|e| matches!(e, UaEvent::Incoming { .. })));
    rig.run_for(Duration::from_secs(2));
    let (h, invite) = rig.far_incoming();
    assert_eq!(invited_number(&invite), "4930");
    let now = rig.now;
    rig.far
        .respond(now, h, 404, "Not Found", None)
        .expect("404");
    rig.settle();
    assert_eq!(pbx_disconnect_cause(&rig, call), Some(1));
    rig.assert_clean();
}

/// T302 with a number no route matches: DISCONNECT, cause 28 (Q.931 table 9-1).
#[test]
fn overlap_t302_without_a_route_gives_cause_28() {
    let mut rig = QsigRig::new(QSIG_CONFIG);
    let call = overlap_setup(&mut rig, "5");
    rig.settle();
    assert!(setup_acknowledged(&rig, call));
    information(&mut rig, call, "55", false);
    rig.run_for(Duration::from_secs(20));
    assert_eq!(pbx_disconnect_cause(&rig, call), Some(28));
    assert!(!rig
        .far_events
        .iter()
        .any(|e| matches!(e, UaEvent::Incoming { .. })));
    rig.assert_clean();
}

// ------------------------------------------------------------------ FACILITY within the call
// (RFC 3204 application/QSIG in INFO, RFC 3372 6; Q.932 FACILITY)

use sipt_mgc::sip::message::Method;

/// The INFO requests that reached the far UA, each answered 200, in order.
fn take_far_infos(rig: &mut QsigRig) -> Vec<sipt_mgc::sip::message::Message> {
    let mut infos = Vec::new();
    let mut kept = Vec::new();
    for e in std::mem::take(&mut rig.far_events) {
        match e {
            UaEvent::Request { request, key, .. } if request.method() == Some(&Method::Info) => {
                let now = rig.now;
                rig.far
                    .respond_request(now, &key, &request, 200, "OK", None)
                    .expect("200 to the INFO");
                infos.push(request);
            }
            e => kept.push(e),
        }
    }
    rig.far_events = kept;
    rig.settle();
    infos
}

/// The FACILITY messages the PBX received on `call`.
fn pbx_facilities(rig: &QsigRig, call: CallId) -> Vec<QsigMessage> {
    rig.pbx_events
        .iter()
        .filter_map(|e| match e {
            CallEvent::Facility { call: c, message } if *c == call => Some(message.clone()),
            _ => None,
        })
        .collect()
}

/// The statuses of the final responses to the far UA's own INFO requests.
fn far_info_statuses(rig: &QsigRig) -> Vec<u16> {
    rig.far_events
        .iter()
        .filter_map(|e| match e {
            UaEvent::RequestResponse { response, .. }
                if response.cseq().is_ok_and(|c| c.method == Method::Info) =>
            {
                response.status()
            }
            _ => None,
        })
        .collect()
}

/// A far PBX's FACILITY (as a far gateway encapsulates it) with `facility` elements.
fn far_facility(elements: Vec<InformationElement>) -> QsigMessage {
    let mut m = QsigMessage::new(MessageType::Facility, CallReference::new(9, true));
    m.information_elements = elements;
    m
}

fn far_info(rig: &mut QsigRig, h: sipt_mgc::sip::ua::CallHandle, m: &QsigMessage) {
    let b = qsig_body(None, m);
    let now = rig.now;
    rig.far
        .request(now, h, Method::Info, as_body(&b))
        .expect("INFO");
    rig.settle();
}

/// PBX -> SIP: a FACILITY the PBX sends right after its SETUP waits for the early dialog (no
/// INFO without one, RFC 6086 4.2) and goes in an INFO once the 180 is in; one after the
/// answer goes at once. Each INFO carries the FACILITY whole (application/QSIG,
/// handling=required), its operations unknown to the mapping included. The far UA's INFO
/// with a far PBX's FACILITY goes to the PBX as a FACILITY with its Facility IEs, before and
/// after the answer.
#[test]
fn facility_travels_in_info_both_ways_on_a_pbx_call_to_a_trusted_peer() {
    let mut rig = QsigRig::new(&QsigRig::trusted_config());
    let call = pbx_call(&mut rig);
    rig.pbx_do(|c, now| {
        c.facility(
            now,
            call,
            vec![Facility::invoke(Invoke::new(
                50,
                99,
                Some(Argument::Raw(Ber::primitive(
                    TagClass::Universal,
                    4,
                    vec![1],
                ))),
            ))
            .expect("facility")],
        )
    })
    .expect("FACILITY in Call Initiated");
    rig.settle();
    let (h, _) = rig.far_incoming();
    assert!(
        take_far_infos(&mut rig).is_empty(),
        "an INFO before a dialog"
    );

    rig.far_responds(h, 180);
    let infos = take_far_infos(&mut rig);
    assert_eq!(infos.len(), 1, "{:#?}", rig.gw_events);
    let ct = infos[0].get("Content-Type").unwrap_or_default().to_string();
    assert!(
        ct.to_ascii_lowercase().starts_with("application/qsig"),
        "{ct}"
    );
    let carried = qsig_part(&infos[0]).expect("the FACILITY");
    assert_eq!(carried.message_type, MessageType::Facility);
    assert_eq!(
        facilities(&carried),
        vec![facility_ie(Invoke::new(
            50,
            99,
            Some(Argument::Raw(Ber::primitive(
                TagClass::Universal,
                4,
                vec![1]
            )))
        ))]
    );

    // The far PBX's FACILITY in the early dialog reaches the PBX.
    let early = far_facility(vec![opaque_facility(8), opaque_facility(9)]);
    far_info(&mut rig, h, &early);
    assert_eq!(far_info_statuses(&rig), vec![200]);
    let got = pbx_facilities(&rig, call);
    assert_eq!(got.len(), 1, "{:#?}", rig.pbx_events);
    assert_eq!(facilities(&got[0]), facilities(&early));

    rig.far_responds(h, 200);
    assert!(rig
        .pbx_events
        .iter()
        .any(|e| matches!(e, CallEvent::Connected { call: c, .. } if *c == call)));

    // After the answer, both ways.
    let f = opaque_facility(10);
    let InformationElement::Facility(ff) = f.clone() else {
        unreachable!()
    };
    rig.pbx_do(|c, now| c.facility(now, call, vec![ff]))
        .expect("FACILITY in Active");
    rig.settle();
    let infos = take_far_infos(&mut rig);
    assert_eq!(infos.len(), 1);
    assert_eq!(
        facilities(&qsig_part(&infos[0]).expect("FACILITY")),
        vec![f]
    );
    let late = far_facility(vec![opaque_facility(11)]);
    far_info(&mut rig, h, &late);
    assert_eq!(far_info_statuses(&rig), vec![200, 200]);
    let got = pbx_facilities(&rig, call);
    assert_eq!(got.len(), 2);
    assert_eq!(facilities(&got[1]), vec![opaque_facility(11)]);

    rig.pbx_do(|c, now| c.disconnect(now, call, CauseValue::NormalCallClearing))
        .expect("DISCONNECT");
    rig.settle();
    assert!(ended(&rig).0, "answered");
    rig.assert_clean();
}

/// SIP -> PBX: the same on a call from a trusted peer (the gateway the UAS): the PBX's
/// FACILITY after ALERTING goes in an INFO in the early dialog of the 180, and the peer's
/// FACILITY, elements of codeset 5 behind a locking shift included, reaches the PBX.
#[test]
fn facility_travels_in_info_both_ways_on_a_call_from_a_trusted_peer() {
    let mut rig = QsigRig::new(&QsigRig::trusted_config());
    let b = qsig_body(Some(SDP), &far_setup());
    let h = rig.sip_call_with("7001", None, &[], as_body(&b));
    rig.settle();
    let call = rig.pbx_incoming().call;
    rig.pbx_do(|c, now| c.alerting(now, call, Response::default()))
        .expect("ALERTING");
    rig.settle();
    let InformationElement::Facility(f) = opaque_facility(12) else {
        unreachable!()
    };
    rig.pbx_do(|c, now| c.facility(now, call, vec![f]))
        .expect("FACILITY in Call Received");
    rig.settle();
    let infos = take_far_infos(&mut rig);
    assert_eq!(infos.len(), 1, "{:#?}", rig.gw_events);
    assert_eq!(
        facilities(&qsig_part(&infos[0]).expect("FACILITY")),
        vec![opaque_facility(12)]
    );

    let shift = InformationElement::Shift(sipt_codecs::q931::Shift {
        locking: true,
        codeset: 5,
    });
    let national = InformationElement::Raw {
        codeset: 5,
        identifier: 0x32,
        contents: vec![0x81],
    };
    let m = far_facility(vec![
        opaque_facility(13),
        InformationElement::Display(sipt_codecs::q931::Display::new("x")),
        shift.clone(),
        national.clone(),
    ]);
    far_info(&mut rig, h, &m);
    assert_eq!(far_info_statuses(&rig), vec![200]);
    let got = pbx_facilities(&rig, call);
    assert_eq!(got.len(), 1, "{:#?}", rig.pbx_events);
    // Q.931 4.5.1 order; the codeset 5 element behind its shift.
    assert_eq!(
        got[0].information_elements,
        vec![
            opaque_facility(13),
            InformationElement::Display(sipt_codecs::q931::Display::new("x")),
            shift,
            national
        ]
    );

    rig.pbx_do(|c, now| c.connect(now, call, ConnectResponse::default()))
        .expect("CONNECT");
    rig.settle();
    far_info(&mut rig, h, &far_facility(vec![opaque_facility(14)]));
    let got = pbx_facilities(&rig, call);
    assert_eq!(got.len(), 2);
    assert_eq!(facilities(&got[1]), vec![opaque_facility(14)]);
    let now = rig.now;
    rig.far.hangup(now, h).expect("BYE");
    rig.settle();
    rig.assert_clean();
}

/// An untrusted peer: the PBX's FACILITY goes nowhere (no INFO), and the peer's INFO with a
/// QSIG FACILITY (handling=required) is answered 200 and ignored, as the ISUP path does
/// with ISUP from untrusted peers (RFC 3372; RFC 3398 15).
#[test]
fn untrusted_peers_get_no_facility_info_and_theirs_are_ignored() {
    // PBX -> SIP
    let mut rig = QsigRig::new(QSIG_CONFIG);
    let call = pbx_call(&mut rig);
    rig.settle();
    let (h, _) = rig.far_incoming();
    rig.far_responds(h, 180);
    rig.far_responds(h, 200);
    let InformationElement::Facility(f) = opaque_facility(15) else {
        unreachable!()
    };
    rig.pbx_do(|c, now| c.facility(now, call, vec![f]))
        .expect("FACILITY");
    rig.settle();
    assert!(take_far_infos(&mut rig).is_empty());
    assert!(
        !rig.sip_sent.iter().any(|b| b.starts_with(b"INFO ")),
        "an INFO went to an untrusted peer"
    );
    far_info(&mut rig, h, &far_facility(vec![opaque_facility(16)]));
    assert_eq!(far_info_statuses(&rig), vec![200]);
    assert!(pbx_facilities(&rig, call).is_empty());
    rig.pbx_do(|c, now| c.disconnect(now, call, CauseValue::NormalCallClearing))
        .expect("DISCONNECT");
    rig.settle();
    rig.assert_clean();

    // SIP -> PBX
    let mut rig = QsigRig::new(QSIG_CONFIG);
    let h = rig.sip_call("7001", None);
    rig.settle();
    let call = rig.pbx_incoming().call;
    rig.pbx_do(|c, now| c.alerting(now, call, Response::default()))
        .expect("ALERTING");
    rig.settle();
    far_info(&mut rig, h, &far_facility(vec![opaque_facility(17)]));
    assert_eq!(far_info_statuses(&rig), vec![200]);
    assert!(pbx_facilities(&rig, call).is_empty());
    let InformationElement::Facility(f) = opaque_facility(18) else {
        unreachable!()
    };
    rig.pbx_do(|c, now| c.facility(now, call, vec![f]))
        .expect("FACILITY");
    rig.settle();
    assert!(take_far_infos(&mut rig).is_empty());
    let now = rig.now;
    rig.far.hangup(now, h).expect("CANCEL");
    rig.settle();
    rig.assert_clean();
}

/// A trusted peer's INFO whose required part the gateway cannot use (RFC 3204 6): a QSIG
/// message that is no FACILITY, or an ISUP part: 415; QSIG octets that do not decode, or a
/// FACILITY without a Facility IE: 400. Nothing reaches the PBX and the call goes on.
#[test]
fn info_with_a_required_part_the_gateway_cannot_use_gets_415_or_400() {
    use sipt_codecs::rfc3204::{self, BodyPart, Handling, IsupBase};
    let mut rig = QsigRig::new(&QsigRig::trusted_config());
    let call = pbx_call(&mut rig);
    rig.settle();
    let (h, _) = rig.far_incoming();
    rig.far_responds(h, 200);
    let notify = QsigMessage::new(MessageType::Notify, CallReference::new(1, false));
    let cases: Vec<(Vec<BodyPart>, u16)> = vec![
        (
            vec![BodyPart::qsig(
                notify.to_bytes().unwrap(),
                Handling::Required,
            )],
            415,
        ),
        (
            vec![BodyPart::isup(
                IsupBase::ItuT92Plus,
                hex_iam(),
                Handling::Required,
            )],
            415,
        ),
        (
            vec![BodyPart::qsig(vec![0x08, 0x02, 0x00], Handling::Required)],
            400,
        ),
        (
            vec![BodyPart::qsig(
                far_facility(vec![InformationElement::Display(
                    sipt_codecs::q931::Display::new("x"),
                )])
                .to_bytes()
                .unwrap(),
                Handling::Required,
            )],
            400,
        ),
        // optional (beside another part: a lone part's Content-Disposition is the INFO's
        // header, which the UA's request() does not set): ignored
        (
            vec![
                BodyPart::sdp(SDP),
                BodyPart::qsig(notify.to_bytes().unwrap(), Handling::Optional),
            ],
            200,
        ),
    ];
    let mut want = Vec::new();
    for (parts, status) in cases {
        let b = rfc3204::build(&parts);
        let now = rig.now;
        rig.far
            .request(
                now,
                h,
                Method::Info,
                Some((b.content_type.as_str(), b.bytes.clone())),
            )
            .expect("INFO");
        rig.settle();
        want.push(status);
        assert_eq!(far_info_statuses(&rig), want, "{parts:?}");
    }
    // RFC 3261 21.4.13: each 415 says what the gateway accepts.
    for e in &rig.far_events {
        if let UaEvent::RequestResponse { response, .. } = e {
            if response.status() == Some(415) {
                let accept = response.get("Accept").unwrap_or_default();
                assert!(
                    accept.to_ascii_lowercase().contains("application/qsig"),
                    "{response:?}"
                );
            }
        }
    }
    assert!(pbx_facilities(&rig, call).is_empty());
    assert!(rig.ended().is_empty(), "the call goes on");
    let now = rig.now;
    rig.far.hangup(now, h).expect("BYE");
    rig.settle();
    rig.assert_clean();
}

/// Two gateways bridging two PBXs (issue 6: "facility information the mapping cannot express
/// still arrives at the far PBX"): PBX A calls PBX B through gateway A, SIP and gateway B;
/// FACILITY messages with an operation the mapping knows nothing of go from each PBX to the
/// other, before the answer (over the early dialog of the 180) and after it.
#[test]
fn facility_crosses_two_gateways_both_ways_before_and_after_answer() {
    let mut br = qsig_rig::QsigBridge::new();
    let mut req = SetupRequest::new(Number::new(
        TypeOfNumber::Unknown0,
        NumberingPlan::Unknown0,
        "4930123",
    ));
    req.calling_name = Some(Name::allowed("Alice"));
    let now = br.now;
    let a_call = br.a.pbx_do(now, |c, now| c.setup(now, req)).expect("SETUP");
    br.settle();
    let b_call = br.b.incoming().expect("the SETUP at PBX B").call;
    let fac = |tag: u8| {
        let InformationElement::Facility(f) = opaque_facility(tag) else {
            unreachable!()
        };
        f
    };
    let got = |side: &qsig_rig::BridgeSide, call: CallId| -> Vec<Vec<InformationElement>> {
        side.pbx_events
            .iter()
            .filter_map(|e| match e {
                CallEvent::Facility { call: c, message } if *c == call => Some(facilities(message)),
                _ => None,
            })
            .collect()
    };

    let now = br.now;
    br.b.pbx_do(now, |c, now| c.alerting(now, b_call, Response::default()))
        .expect("ALERTING");
    br.settle();
    assert!(br
        .a
        .pbx_events
        .iter()
        .any(|e| matches!(e, CallEvent::Alerting { call, .. } if *call == a_call)));
    // before the answer: A -> B and B -> A
    let now = br.now;
    br.a.pbx_do(now, |c, now| c.facility(now, a_call, vec![fac(20)]))
        .expect("FACILITY from A");
    br.b.pbx_do(now, |c, now| c.facility(now, b_call, vec![fac(21)]))
        .expect("FACILITY from B");
    br.settle();
    assert_eq!(got(&br.b, b_call), vec![vec![opaque_facility(20)]]);
    assert_eq!(got(&br.a, a_call), vec![vec![opaque_facility(21)]]);

    let now = br.now;
    br.b.pbx_do(now, |c, now| {
        c.connect(now, b_call, ConnectResponse::default())
    })
    .expect("CONNECT");
    br.settle();
    assert!(br
        .a
        .pbx_events
        .iter()
        .any(|e| matches!(e, CallEvent::Connected { call, .. } if *call == a_call)));
    // after it
    let now = br.now;
    br.a.pbx_do(now, |c, now| {
        c.facility(now, a_call, vec![fac(22), fac(23)])
    })
    .expect("FACILITY from A");
    br.b.pbx_do(now, |c, now| c.facility(now, b_call, vec![fac(24)]))
        .expect("FACILITY from B");
    br.settle();
    assert_eq!(
        got(&br.b, b_call),
        vec![
            vec![opaque_facility(20)],
            vec![opaque_facility(22), opaque_facility(23)]
        ]
    );
    assert_eq!(
        got(&br.a, a_call),
        vec![vec![opaque_facility(21)], vec![opaque_facility(24)]]
    );

    // A hangs up; both sides end clean.
    let now = br.now;
    br.a.pbx_do(now, |c, now| {
        c.disconnect(now, a_call, CauseValue::NormalCallClearing)
    })
    .expect("DISCONNECT");
    br.run_for(Duration::from_secs(40));
    for s in [&mut br.a, &mut br.b] {
        assert_eq!(s.gw.calls(), 0, "{:#?}", s.gw_events);
        assert!(s.pbx.calls().calls().is_empty());
        assert_eq!(s.gw.ua().calls(), 0);
    }
}

/// RFC 4497 8.3.9 (overlap sending) on a link with overlap signalling: the SETUP goes
/// without Sending complete (8.3.1) and the PBX answers SETUP ACKNOWLEDGE; a second INVITE of
/// the same call (same Call-ID and From tag, no To tag) with more digits becomes an
/// INFORMATION carrying only the additional digits, with the SETUP's type of number and
/// numbering plan; the first INVITE is answered 484 and the call goes on with the second (the
/// PBX's CONNECT answers it). A third INVITE whose number does not extend the call's gets 485
/// Ambiguous and changes nothing.
#[test]
fn a_longer_invite_of_the_same_call_becomes_an_information() {
    use sipt_mgc::sip::message::Uri;
    use sipt_mgc::sip::transport::{Target, TransportKind};
    let config = QSIG_CONFIG.replace(
        "trunk_group = \"pbx\"",
        "trunk_group = \"pbx\"\noverlap = \"en-bloc\"",
    );
    assert_ne!(config, QSIG_CONFIG);
    let mut rig = QsigRig::new(&config);
    let first = rig.sip_call("700", None);
    rig.settle();
    let inc = rig
        .pbx_events
        .iter()
        .find_map(|e| match e {
            CallEvent::IncomingCall(i) => Some(i.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no SETUP at the PBX: {:#?}", rig.gw_events));
    assert_eq!(inc.called.as_ref().map(|n| n.digits.as_str()), Some("700"));
    assert!(
        !inc.sending_complete,
        "no Sending complete on an overlap link"
    );
    let call = inc.call;
    rig.pbx_do(|c, now| c.setup_acknowledge(now, call, Response::default()))
        .expect("SETUP ACKNOWLEDGE");
    rig.settle();
    let sibling = |rig: &mut QsigRig, number: &str| {
        let gw = Target::new(
            TransportKind::Udp,
            "192.0.2.1:5060".parse().expect("gateway address"),
        );
        let now = rig.now;
        rig.far
            .invite_sibling(
                now,
                first,
                Uri::parse(&format!("sip:{number}@192.0.2.1")).expect("uri"),
                vec![gw],
                &[],
                None,
            )
            .expect("the INVITE again")
    };
    let second = sibling(&mut rig, "70012");
    rig.settle();
    let info: Vec<(String, TypeOfNumber)> = rig
        .pbx_events
        .iter()
        .filter_map(|e| match e {
            CallEvent::Information {
                call,
                called: Some(n),
                ..
            } if *call == inc.call => Some((n.digits.to_string(), n.type_of_number)),
            _ => None,
        })
        .collect();
    let setup_type = inc.called.as_ref().map(|n| n.type_of_number);
    assert_eq!(
        info.iter().map(|(d, _)| d.as_str()).collect::<Vec<_>>(),
        ["12"],
        "only the additional digits: {:#?}",
        rig.pbx_events
    );
    assert_eq!(Some(info[0].1), setup_type);
    let rejected = |rig: &QsigRig, h| {
        rig.far_events.iter().find_map(|e| match e {
            UaEvent::Rejected { call, response } if *call == h => response.status(),
            _ => None,
        })
    };
    assert_eq!(rejected(&rig, first), Some(484));

    // Not an extension of 70012: 485 to the new INVITE, the call untouched.
    let third = sibling(&mut rig, "71");
    rig.settle();
    assert_eq!(rejected(&rig, third), Some(485));
    assert_eq!(rejected(&rig, second), None);

    rig.pbx_do(|c, now| c.connect(now, call, ConnectResponse::default()))
        .expect("CONNECT");
    rig.settle();
    assert!(
        rig.far_events
            .iter()
            .any(|e| matches!(e, UaEvent::Answered { call: c, .. } if *c == second)),
        "the second INVITE is answered: {:#?}",
        rig.far_events
    );
    let now = rig.now;
    rig.far.hangup(now, second).expect("BYE");
    rig.settle();
    assert_eq!(pbx_disconnect_cause(&rig, call), Some(16));
    rig.assert_clean();
}
