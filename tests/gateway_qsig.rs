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

    let now = rig.now;
    rig.far.respond(now, h, 180, "Ringing", None).expect("180");
    rig.settle();
    assert!(rig
        .pbx_events
        .iter()
        .any(|e| matches!(e, CallEvent::Alerting { call: c, .. } if *c == call)));
    let now = rig.now;
    rig.far.respond(now, h, 200, "OK", None).expect("200");
    rig.settle();
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
    let now = rig.now;
    rig.far.respond(now, h, 180, "Ringing", None).expect("180");
    rig.settle();
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
    let now = rig.now;
    rig.far.respond(now, h, 200, "OK", None).expect("200");
    rig.settle();
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
