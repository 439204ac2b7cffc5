//! The gateway core without sockets, with simulated time: a far exchange (a second
//! [`Isup`], OPC 2) on its ISUP trunk and a far SIP user agent (a second [`UserAgent`] at
//! 192.0.2.9) on an in-memory network. Calls in both directions, every row of both RFC 3398
//! cause tables through the whole gateway, ISUP and SIP timers, the relation lost mid-call,
//! alternates — and after each, nothing left behind: no call, no busy circuit, no transaction.

mod gateway_rig;

use std::time::Duration;

use gateway_rig::*;
use sipt_codecs::isup::{
    BackwardCallIndicators, CalledPartysStatus, CauseIndicators, CauseValue, Message, MessageType,
    NatureOfAddress, NumberingPlan, Parameter,
};
use sipt_codecs::q850::Location;
use sipt_mgc::gateway::GatewayEvent;
use sipt_mgc::interwork::causes::{RFC3398_CAUSE_TO_SIP, RFC3398_SIP_TO_CAUSE};
use sipt_mgc::isup::{IsupEvent, MtpIndication};
use sipt_mgc::sip::message::{NameAddr, Uri};
use sipt_mgc::sip::transport::{Target, TransportKind};
use sipt_mgc::sip::ua::UaEvent;

/// PSTN -> SIP, answered by the far UA, released by the PSTN: ACM (subscriber free) on 180,
/// ANM on 200, BYE with Reason: Q.850;cause=16 for the REL.
#[test]
fn pstn_to_sip_answered_then_released_by_the_pstn() {
    let mut rig = Rig::new(CONFIG);
    rig.pstn.setup(rig.now, 7, iam("4930123456")).expect("IAM");
    rig.settle();
    let (call, invite) = rig.far_incoming();
    assert_eq!(
        invite.request_uri().and_then(|u| u.user.clone()).as_deref(),
        Some("4930123456")
    );
    rig.far
        .respond(rig.now, call, 180, "Ringing", None)
        .expect("180");
    rig.settle();
    let acm = rig
        .pstn_saw(|e| matches!(e, IsupEvent::AddressComplete { cic: 7, .. }))
        .expect("ACM");
    if let IsupEvent::AddressComplete { acm, .. } = acm {
        let Some(Parameter::BackwardCallIndicators(b)) = acm.parameters().first() else {
            panic!("ACM without BCI: {acm:?}");
        };
        assert_eq!(b.called_partys_status(), CalledPartysStatus::SubscriberFree);
    }
    let sdp = b"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n".to_vec();
    rig.far
        .respond(rig.now, call, 200, "OK", Some(("application/sdp", sdp)))
        .expect("200");
    rig.settle();
    assert!(rig
        .pstn_saw(|e| matches!(e, IsupEvent::Answer { cic: 7, .. }))
        .is_some());
    rig.pstn
        .release(
            rig.now,
            7,
            CauseIndicators::new(Location::User, CauseValue::from_code(16)),
        )
        .expect("REL");
    rig.settle();
    let ended = rig
        .far_events
        .iter()
        .find_map(|e| match e {
            UaEvent::Ended {
                remote: true,
                reason,
                ..
            } => Some(reason.clone()),
            _ => None,
        })
        .expect("BYE at the far UA");
    let reason = ended.expect("a Reason header on the BYE");
    assert!(
        reason.contains("Q.850") && reason.contains("cause=16"),
        "{reason}"
    );
    rig.assert_clean();
}

/// RFC 3398 8.2.6.1, every row, through the gateway: the far UA rejects the INVITE with the
/// status; the far exchange receives REL with the cause of the table (31 for the rows the
/// table leaves to the Warning header, without one).
#[test]
fn every_sip_status_of_the_table_releases_with_its_cause() {
    for &(status, outcome) in RFC3398_SIP_TO_CAUSE {
        use sipt_mgc::interwork::causes::IsupOutcome;
        let want = match outcome {
            IsupOutcome::Cause(c) => Some(c),
            IsupOutcome::ByWarning => Some(31),
            IsupOutcome::None => None,
        };
        let Some(want) = want else { continue };
        let mut rig = Rig::new(CONFIG);
        rig.pstn.setup(rig.now, 3, iam("4930123456")).expect("IAM");
        rig.settle();
        let (call, _) = rig.far_incoming();
        rig.far
            .respond(rig.now, call, status, "Rejected", None)
            .expect("final");
        rig.settle();
        let got = rig.pstn_events.iter().find_map(released_cause);
        assert_eq!(got, Some(want), "status {status}: {:#?}", rig.pstn_events);
        rig.assert_clean();
    }
}

/// RFC 3398 7.2.4.1, every row, through the gateway: the far UA calls 7xxx, the far exchange
/// releases with the cause; the far UA gets the status of the table (cause 16 before answer:
/// 480, see gateway::call; 44: 503 when no other circuit takes the call).
#[test]
fn every_isup_cause_of_the_table_rejects_with_its_status() {
    use sipt_mgc::interwork::causes::SipOutcome;
    for &(cause, outcome) in RFC3398_CAUSE_TO_SIP {
        let want = match outcome {
            SipOutcome::Status(s) => s,
            SipOutcome::Clear => 480,
            SipOutcome::Untranslatable => 503,
        };
        let mut rig = Rig::new(CONFIG);
        rig.sip_call("7001");
        rig.settle();
        let cic = rig
            .setup_cic()
            .unwrap_or_else(|| panic!("no IAM for cause {cause}: {:#?}", rig.gw_events));
        rig.pstn
            .release_message(rig.now, cic, rel(cause))
            .expect("REL");
        rig.settle();
        let got = rig.far_events.iter().find_map(response_status);
        // Cause 44 asks for a repeat attempt on another circuit (Q.764): the gateway tries
        // one; the far exchange here releases only the first.
        if cause == 44 {
            if got.is_none() {
                // Repeated on another circuit: release that one too, with 34.
                let second = rig
                    .pstn_events
                    .iter()
                    .filter_map(|e| match e {
                        IsupEvent::Setup { cic: c, .. } if *c != cic => Some(*c),
                        _ => None,
                    })
                    .next();
                if let Some(c2) = second {
                    rig.pstn.release_message(rig.now, c2, rel(34)).expect("REL");
                    rig.settle();
                }
            }
            let got = rig.far_events.iter().find_map(response_status);
            assert!(got.is_some_and(|s| s >= 400), "cause 44: {got:?}");
        } else {
            assert_eq!(got, Some(want), "cause {cause}: {:#?}", rig.far_events);
        }
        rig.assert_clean();
    }
}

/// SIP -> PSTN answered by the far exchange: ACM -> 180, ANM -> 200 with SDP; BYE -> REL 16.
#[test]
fn sip_to_pstn_answered_then_released_by_sip() {
    let mut rig = Rig::new(CONFIG);
    let call = rig.sip_call("7001");
    rig.settle();
    let cic = rig.setup_cic().expect("IAM");
    let bci = BackwardCallIndicators::default()
        .with_called_partys_status(CalledPartysStatus::SubscriberFree);
    rig.pstn
        .alert(rig.now, cic, Message::acm(bci))
        .expect("ACM");
    rig.settle();
    assert!(rig.far_events.iter().any(
        |e| matches!(e, UaEvent::Progress { response, .. } if response.status() == Some(180))
    ));
    rig.pstn
        .answer(rig.now, cic, Message::bare(MessageType::Anm))
        .expect("ANM");
    rig.settle();
    let answered = rig
        .far_events
        .iter()
        .find_map(|e| match e {
            UaEvent::Answered { response, .. } => Some(response.clone()),
            _ => None,
        })
        .expect("200");
    assert!(String::from_utf8_lossy(&answered.body).contains("m=audio"));
    rig.far.hangup(rig.now, call).expect("BYE");
    rig.settle();
    let got = rig.pstn_events.iter().find_map(released_cause);
    assert_eq!(got, Some(16));
    rig.assert_clean();
}

/// The far UA never answers (it has gone): timer B; there is no alternate, so REL with
/// cause 18 (RFC 3398 8.1.3) — all in simulated time.
#[test]
fn sip_timeout_releases_with_no_user_responding() {
    let mut rig = Rig::new(CONFIG);
    rig.far_down = true;
    rig.pstn.setup(rig.now, 9, iam("4930123456")).expect("IAM");
    rig.run_for(Duration::from_secs(40));
    // T11 (15 s) sent an ACM "no indication" so that the far exchange's T7 (20-30 s) did not
    // expire before timer B (32 s).
    assert!(
        rig.pstn_saw(|e| matches!(e, IsupEvent::AddressComplete { cic: 9, .. }))
            .is_some(),
        "no ACM at T11: {:#?}",
        rig.pstn_events
    );
    let got = rig.pstn_events.iter().find_map(released_cause);
    assert_eq!(got, Some(18), "{:#?}", rig.gw_events);
    rig.far_down = false;
    rig.assert_clean();
}

/// ISUP T7 on a call from SIP: the far exchange never answers the IAM; after T7 (20-30 s) the
/// gateway releases with cause 102 (Q.764 2.1.4.7) and the far UA gets 504 (RFC 3398 7.2.2).
#[test]
fn isup_t7_expiry_answers_the_invite() {
    let mut rig = Rig::new(CONFIG);
    // The far exchange is deaf: its ISUP gets nothing.
    rig.sip_call("7001");
    // Drop what the gateway sends on ISUP from now on, for 40 s.
    let end = rig.now + Duration::from_secs(40);
    while rig.now < end {
        while rig.gw.poll_isup_transmit().is_some() {}
        rig.run_for(Duration::from_millis(500));
    }
    // RFC 3398 7.1.3 / 7.2.2: T7 expiry: 504 to SIP (REL cause 102 on the ISUP side).
    let got = rig.far_events.iter().find_map(response_status);
    assert_eq!(got, Some(504), "{:#?}", rig.far_events);
    let ended = rig.ended();
    assert!(
        matches!(
            ended.first(),
            Some(GatewayEvent::CallEnded {
                cause: Some(102),
                status: Some(504),
                ..
            })
        ),
        "{ended:#?}"
    );
}

/// The signalling relation is lost mid-call: the SIP leg gets a BYE at once; when MTP
/// resumes, the gateway's GRS brings the circuits back idle on both sides.
#[test]
fn relation_lost_mid_call_clears_sip_and_resets_circuits() {
    let mut rig = Rig::new(CONFIG);
    rig.pstn.setup(rig.now, 12, iam("4930123456")).expect("IAM");
    rig.settle();
    let (call, _) = rig.far_incoming();
    rig.far
        .respond(rig.now, call, 200, "OK", None)
        .expect("200");
    rig.settle();
    assert!(rig
        .pstn_saw(|e| matches!(e, IsupEvent::Connect { cic: 12, .. }))
        .is_some());
    rig.gw.handle_mtp(rig.now, 0, MtpIndication::Pause);
    rig.pstn.handle_mtp(rig.now, MtpIndication::Pause);
    rig.settle();
    assert!(
        rig.far_events
            .iter()
            .any(|e| matches!(e, UaEvent::Ended { remote: true, .. })),
        "no BYE: {:#?}",
        rig.far_events
    );
    rig.pstn.handle_mtp(rig.now, MtpIndication::Resume);
    rig.gw.handle_mtp(rig.now, 0, MtpIndication::Resume);
    rig.settle();
    rig.assert_clean();
}

/// No route for the called number: REL with cause 3, nothing sent to SIP.
#[test]
fn no_route_releases_with_cause_3() {
    let mut rig = Rig::new(CONFIG);
    rig.pstn.setup(rig.now, 2, iam("3312345")).expect("IAM");
    rig.settle();
    assert_eq!(rig.pstn_events.iter().find_map(released_cause), Some(3));
    assert!(rig.far_events.is_empty());
    rig.assert_clean();
}

/// An alternate: the first target answers 503, the call goes to the second.
#[test]
fn alternate_route_on_503() {
    let config = CONFIG.replace(
        "to = \"sip:{number}@192.0.2.9:5060\"",
        "to = \"sip:{number}@192.0.2.9:5060\"\nalternates = [\"sip:{number}@192.0.2.9:5060;alt=1\"]",
    );
    let mut rig = Rig::new(&config);
    rig.pstn.setup(rig.now, 4, iam("4930123456")).expect("IAM");
    rig.settle();
    let (call, _) = rig.far_incoming();
    rig.far
        .respond(rig.now, call, 503, "Service Unavailable", None)
        .expect("503");
    rig.settle();
    let (call2, invite2) = rig.far_incoming();
    assert!(
        invite2
            .request_uri()
            .is_some_and(|u| u.to_string().contains("alt=1")),
        "{invite2:?}"
    );
    rig.far
        .respond(rig.now, call2, 200, "OK", None)
        .expect("200");
    rig.settle();
    // No 18x came: answered with CON (RFC 3398 8.2.4).
    assert!(rig
        .pstn_saw(|e| matches!(e, IsupEvent::Connect { cic: 4, .. }))
        .is_some());
    assert!(rig
        .gw_events
        .iter()
        .any(|e| matches!(e, GatewayEvent::Alternate { .. })));
    rig.pstn
        .release(
            rig.now,
            4,
            CauseIndicators::new(Location::User, CauseValue::from_code(16)),
        )
        .expect("REL");
    rig.settle();
    assert_eq!(rig.ended().len(), 1);
    rig.assert_clean();
}

fn trusted_config() -> String {
    CONFIG.replace("trusted = []", "trusted = [\"192.0.2.9/32\"]")
}

fn iam_with_calling(called: &str, calling: &str, restricted: bool) -> Message {
    use sipt_codecs::isup::{
        AddressPresentation, CallingNumberIndicators, CallingPartyNumber, Screening,
    };
    let presentation = if restricted {
        AddressPresentation::Restricted
    } else {
        AddressPresentation::Allowed
    };
    let n = CallingPartyNumber::from_digits(
        NatureOfAddress::InternationalNumber,
        CallingNumberIndicators::default()
            .with_numbering_plan(NumberingPlan::IsdnTelephony)
            .with_address_presentation_restricted(presentation)
            .with_screening(Screening::UserProvidedVerifiedPassed),
        calling,
    )
    .expect("calling number");
    iam(called).with(Parameter::CallingPartyNumber(n))
}

/// RFC 3398 5.7 / RFC 3323 / RFC 3325: towards an untrusted peer a restricted calling
/// number is not sent at all (anonymous From, no P-Asserted-Identity, Privacy: id) and no
/// ISUP body goes; towards a trusted one the INVITE carries P-Asserted-Identity with the
/// number, Privacy: id, and the IAM in a multipart/mixed body beside the SDP (RFC 3204).
#[test]
fn privacy_and_encapsulation_follow_the_trust_domain() {
    for trusted in [false, true] {
        let config = if trusted {
            trusted_config()
        } else {
            CONFIG.to_string()
        };
        let mut rig = Rig::new(&config);
        rig.pstn
            .setup(
                rig.now,
                5,
                iam_with_calling("4930123456", "4940111222", true),
            )
            .expect("IAM");
        rig.settle();
        let (_, invite) = rig.far_incoming();
        let text = String::from_utf8_lossy(&invite.to_bytes()).to_string();
        let from = invite.from().expect("From");
        assert!(
            from.uri.host.contains("anonymous.invalid"),
            "trusted={trusted}: {text}"
        );
        assert!(!from.uri.to_string().contains("4940111222"), "{text}");
        assert_eq!(invite.get("Privacy").map(str::trim), Some("id"), "{text}");
        let pai = invite.get("P-Asserted-Identity");
        let ct = invite
            .get("Content-Type")
            .unwrap_or("")
            .to_ascii_lowercase();
        if trusted {
            assert!(pai.is_some_and(|p| p.contains("4940111222")), "{text}");
            assert!(ct.starts_with("multipart/mixed"), "{text}");
            assert!(
                text.to_ascii_lowercase().contains("application/isup"),
                "{text}"
            );
            assert!(text.contains("m=audio"), "{text}");
        } else {
            assert!(pai.is_none(), "{text}");
            assert!(ct.starts_with("application/sdp"), "{text}");
            assert!(
                !text.to_ascii_lowercase().contains("application/isup"),
                "{text}"
            );
        }
    }
}

/// RFC 3204 / RFC 3398 5.2: an INVITE whose only body part is one we cannot use and must
/// (handling=required) is refused with 415 and an Accept header; nothing reaches ISUP.
#[test]
fn a_required_body_we_cannot_use_gets_415() {
    let mut rig = Rig::new(&trusted_config());
    let from = NameAddr::new(Uri::parse("sip:+4940111222@192.0.2.9").expect("uri"));
    rig.far
        .invite_with(
            rig.now,
            from,
            Uri::parse("sip:7001@192.0.2.1").expect("uri"),
            vec![Target::new(TransportKind::Udp, gw_addr())],
            &[(
                "Content-Disposition",
                "signal; handling=required".to_string(),
            )],
            Some(("application/x-unknown", vec![1, 2, 3])),
        )
        .expect("INVITE");
    rig.settle();
    let rejected = rig
        .far_events
        .iter()
        .find_map(|e| match e {
            UaEvent::Rejected { response, .. } => Some(response.clone()),
            _ => None,
        })
        .expect("a final response");
    assert_eq!(rejected.status(), Some(415));
    assert!(rejected
        .get("Accept")
        .is_some_and(|a| a.contains("application/sdp")));
    assert!(!rig
        .pstn_events
        .iter()
        .any(|e| matches!(e, IsupEvent::Setup { .. })));
    rig.assert_clean();
}

/// RFC 3372 bridging: a trusted peer's INVITE carries an IAM; the IAM sent on the circuit is
/// that IAM (only the called number routed in), with its unknown parameter kept as octets.
#[test]
fn an_encapsulated_iam_from_a_trusted_peer_is_the_base() {
    use sipt_mgc::interwork::body;
    let mut rig = Rig::new(&trusted_config());
    // Q.764 2.9.5: an optional parameter unknown to us is passed on.
    let base =
        iam_with_calling("7001", "4940111222", false).with(Parameter::unknown(0xfe, &[0xde, 0xad]));
    let sdp = b"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n";
    let (ct, b) = body::build(Some(sdp), Some(&base), true).expect("body");
    let from = NameAddr::new(Uri::parse("sip:+4940111222@192.0.2.9").expect("uri"));
    rig.far
        .invite_with(
            rig.now,
            from,
            Uri::parse("sip:7001@192.0.2.1").expect("uri"),
            vec![Target::new(TransportKind::Udp, gw_addr())],
            &[],
            Some((ct.as_str(), b)),
        )
        .expect("INVITE");
    rig.settle();
    let got = rig
        .isup_sent
        .iter()
        .find(|m| m.message.message_type == MessageType::Iam)
        .map(|m| m.message.clone())
        .expect("IAM");
    assert_eq!(
        got.to_bytes().expect("encode"),
        base.to_bytes().expect("encode"),
        "the IAM on the circuit is the encapsulated one"
    );
}

/// RFC 3372 6 / RFC 3398 9.1, 13.1: mid-call ISUP with a trusted peer travels in INFO. The
/// far exchange suspends (SUS) an answered call from the PSTN: the far UA receives an INFO
/// whose application/ISUP body is that SUS; the far UA sends RES in an INFO: the far
/// exchange receives the RES on the circuit.
#[test]
fn suspend_and_resume_travel_in_info_to_a_trusted_peer() {
    use sipt_codecs::isup::SuspendResumeIndicators;
    use sipt_mgc::interwork::body;
    use sipt_mgc::sip::message::Method;
    let mut rig = Rig::new(&trusted_config());
    rig.pstn.setup(rig.now, 6, iam("4930123456")).expect("IAM");
    rig.settle();
    let (call, _) = rig.far_incoming();
    rig.far
        .respond(rig.now, call, 200, "OK", None)
        .expect("200");
    rig.settle();
    let sus = Message::suspend_resume(MessageType::Sus, SuspendResumeIndicators::default());
    rig.pstn.suspend(rig.now, 6, sus.clone()).expect("SUS");
    rig.settle();
    let (request, key) = rig
        .far_events
        .iter()
        .find_map(|e| match e {
            UaEvent::Request { request, key, .. } if request.method() == Some(&Method::Info) => {
                Some((request.clone(), key.clone()))
            }
            _ => None,
        })
        .expect("an INFO at the far UA");
    let parts = body::split(&request, true).expect("body");
    assert_eq!(
        parts.isup.as_ref().map(|m| m.message_type),
        Some(MessageType::Sus)
    );
    rig.far
        .respond_request(rig.now, &key, &request, 200, "OK", None)
        .expect("200 to INFO");
    let res = Message::suspend_resume(MessageType::Res, SuspendResumeIndicators::default());
    let (ct, b) = body::build(None, Some(&res), true).expect("body");
    rig.far
        .request(rig.now, call, Method::Info, Some((ct.as_str(), b)))
        .expect("INFO");
    rig.settle();
    assert!(
        rig.pstn_saw(|e| matches!(e, IsupEvent::Resume { cic: 6, .. }))
            .is_some(),
        "{:#?}",
        rig.pstn_events
    );
    rig.pstn
        .release(
            rig.now,
            6,
            CauseIndicators::new(Location::User, CauseValue::from_code(16)),
        )
        .expect("REL");
    rig.settle();
    rig.assert_clean();
}

fn sam(digits: &str) -> Message {
    use sipt_codecs::isup::{Digits, SubsequentNumber};
    Message::sam(SubsequentNumber::new(
        Digits::parse(digits).expect("digits"),
    ))
}

fn invites_to_far(rig: &Rig) -> Vec<String> {
    rig.far_events
        .iter()
        .filter_map(|e| match e {
            UaEvent::Incoming { invite, .. } => invite.request_uri().and_then(|u| u.user.clone()),
            _ => None,
        })
        .collect()
}

/// RFC 3578 2 (overlap to en-bloc) with `overlap = "en-bloc"`: the IAM's digits and the SAMs'
/// are collected; the INVITE goes once ST arrives, with the whole number, and carries it in
/// the encapsulated IAM too.
#[test]
fn overlap_digits_are_collected_until_st() {
    let config = CONFIG.replace(
        "trunk_group = \"pstn\"",
        "trunk_group = \"pstn\"\noverlap = \"en-bloc\"",
    );
    let mut rig = Rig::new(&config);
    rig.pstn.setup(rig.now, 8, iam("4930")).expect("IAM");
    rig.settle();
    assert!(
        invites_to_far(&rig).is_empty(),
        "INVITE before the number is complete"
    );
    rig.pstn
        .subsequent_address(rig.now, 8, sam("123"))
        .expect("SAM");
    rig.settle();
    assert!(invites_to_far(&rig).is_empty());
    rig.pstn
        .subsequent_address(rig.now, 8, sam("4F"))
        .expect("SAM with ST");
    rig.settle();
    assert_eq!(invites_to_far(&rig), vec!["49301234".to_string()]);
    // The call goes on as any other.
    let (call, _) = rig.far_incoming();
    rig.far
        .respond(rig.now, call, 486, "Busy Here", None)
        .expect("486");
    rig.settle();
    assert_eq!(rig.pstn_events.iter().find_map(released_cause), Some(17));
    rig.assert_clean();
}

/// RFC 3578 2.2: without ST, T10 (5 s) after the latest digit ends the collection.
#[test]
fn overlap_t10_ends_the_number() {
    let config = CONFIG.replace(
        "trunk_group = \"pstn\"",
        "trunk_group = \"pstn\"\noverlap = \"en-bloc\"",
    );
    let mut rig = Rig::new(&config);
    rig.pstn.setup(rig.now, 8, iam("4930")).expect("IAM");
    rig.run_for(Duration::from_secs(3));
    rig.pstn
        .subsequent_address(rig.now, 8, sam("55"))
        .expect("SAM");
    rig.run_for(Duration::from_secs(4));
    assert!(
        invites_to_far(&rig).is_empty(),
        "T10 restarts with each SAM"
    );
    rig.run_for(Duration::from_secs(2));
    assert_eq!(invites_to_far(&rig), vec!["493055".to_string()]);
    let (call, _) = rig.far_incoming();
    rig.far
        .respond(rig.now, call, 404, "Not Found", None)
        .expect("404");
    rig.settle();
    rig.assert_clean();
}

/// RFC 3578 3.5: a second INVITE of the same call (same Call-ID and From tag, higher CSeq)
/// with more digits becomes a SAM on the circuit, and the first INVITE is answered 484.
#[test]
fn a_longer_invite_of_the_same_call_becomes_a_sam() {
    let mut rig = Rig::new(CONFIG);
    let invite = |number: &str, cseq: u32, branch: &str| {
        format!(
            "INVITE sip:{number}@192.0.2.1 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK{branch}\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:+4940111222@192.0.2.9>;tag=ov1\r\n\
             To: <sip:{number}@192.0.2.1>\r\n\
             Call-ID: overlap-1@192.0.2.9\r\n\
             CSeq: {cseq} INVITE\r\n\
             Contact: <sip:caller@192.0.2.9>\r\n\
             Content-Length: 0\r\n\r\n"
        )
    };
    let far = Target::new(TransportKind::Udp, far_addr());
    rig.gw.handle_sip(
        rig.now,
        invite("700", 1, "a1").as_bytes(),
        far.clone(),
        None,
    );
    rig.settle();
    let cic = rig.setup_cic().expect("IAM");
    rig.gw
        .handle_sip(rig.now, invite("70012", 2, "a2").as_bytes(), far, None);
    rig.settle();
    let sam_digits = rig.pstn_events.iter().find_map(|e| match e {
        IsupEvent::SubsequentAddress { cic: c, sam } if *c == cic => {
            sam.parameters().iter().find_map(|p| match p {
                Parameter::SubsequentNumber(n) => Some(n.digits.to_string()),
                _ => None,
            })
        }
        _ => None,
    });
    assert_eq!(sam_digits.as_deref(), Some("12"), "{:#?}", rig.pstn_events);
    let got_484 = rig.sip_sent.iter().any(|b| {
        let text = String::from_utf8_lossy(b);
        text.starts_with("SIP/2.0 484") && text.contains("CSeq: 1 INVITE")
    });
    assert!(got_484, "no 484 to the first INVITE");
    assert_eq!(rig.gw.calls(), 1);
    // The call goes on with the second INVITE: the far exchange's REL ends it.
    rig.pstn
        .release(
            rig.now,
            cic,
            CauseIndicators::new(Location::User, CauseValue::from_code(17)),
        )
        .expect("REL");
    rig.settle();
    let got_486 = rig.sip_sent.iter().any(|b| {
        let text = String::from_utf8_lossy(b);
        text.starts_with("SIP/2.0 486") && text.contains("CSeq: 2 INVITE")
    });
    assert!(got_486, "no 486 to the second INVITE");
    rig.assert_clean();
}

/// A reliable 180 without SDP and the 200 sent back to back (RFC 3262 3: the UAS need not
/// wait for the PRACK of a provisional response without an offer): the PRACK arrives after
/// the 200 and must still be answered 2xx, the dialog goes on, and the PSTN's REL ends it
/// with a BYE; nothing is left behind.
#[test]
fn reliable_180_then_200_at_once() {
    let mut rig = Rig::new(CONFIG);
    rig.pstn.setup(rig.now, 7, iam("4930123456")).expect("IAM");
    rig.settle();
    let (call, _) = rig.far_incoming();
    rig.far
        .respond(rig.now, call, 180, "Ringing", None)
        .expect("180");
    let sdp = b"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n".to_vec();
    rig.far
        .respond(rig.now, call, 200, "OK", Some(("application/sdp", sdp)))
        .expect("200");
    rig.settle();
    rig.pstn
        .release(
            rig.now,
            7,
            CauseIndicators::new(Location::User, CauseValue::from_code(16)),
        )
        .expect("REL");
    rig.settle();
    assert!(
        rig.far_events
            .iter()
            .any(|e| matches!(e, UaEvent::Ended { remote: true, .. })),
        "no BYE: {:#?}",
        rig.far_events
    );
    rig.assert_clean();
}

/// RFC 3398 10.1 / 10.2 with a trusted peer: the REL of an answered call travels inside the
/// BYE, both ways, whole (its diagnostics too, which no Reason header can carry).
#[test]
fn the_rel_of_an_answered_call_travels_in_the_bye() {
    use sipt_mgc::interwork::body;
    let rel_with_diagnostics = |v: u8| {
        let mut c =
            CauseIndicators::new(Location::PublicNetworkRemoteUser, CauseValue::from_code(v));
        c.diagnostics = sipt_codecs::isup::Octets::from_slice(&[0x81, 0x02]);
        Message::rel(c)
    };
    // PSTN -> SIP: the far exchange's REL arrives in the BYE.
    let mut rig = Rig::new(&trusted_config());
    rig.pstn.setup(rig.now, 3, iam("4930123456")).expect("IAM");
    rig.settle();
    let (call, _) = rig.far_incoming();
    rig.far
        .respond(rig.now, call, 200, "OK", None)
        .expect("200");
    rig.settle();
    let rel = rel_with_diagnostics(31);
    rig.pstn
        .release_message(rig.now, 3, rel.clone())
        .expect("REL");
    rig.settle();
    let bye = rig
        .far_events
        .iter()
        .find_map(|e| match e {
            UaEvent::Ended { bye: Some(b), .. } => Some(b.clone()),
            _ => None,
        })
        .expect("a BYE");
    let carried = body::split(&bye, true)
        .expect("body")
        .isup
        .expect("an ISUP part");
    assert_eq!(carried.to_bytes().ok(), rel.to_bytes().ok());
    rig.assert_clean();

    // SIP -> PSTN: the far UA's BYE carries a REL; the far exchange receives exactly it.
    let mut rig = Rig::new(&trusted_config());
    let call = rig.sip_call("7001");
    rig.settle();
    let cic = rig.setup_cic().expect("IAM");
    rig.pstn
        .answer(rig.now, cic, Message::bare(MessageType::Anm))
        .expect("CON");
    rig.settle();
    let rel = rel_with_diagnostics(41);
    let (ct, b) = body::build(None, Some(&rel), true).expect("body");
    rig.far
        .hangup_with(rig.now, call, None, &[], Some((ct.as_str(), b)))
        .expect("BYE");
    rig.settle();
    let sent = rig
        .isup_sent
        .iter()
        .find(|m| m.message.message_type == MessageType::Rel)
        .map(|m| m.message.clone())
        .expect("REL on the circuit");
    assert_eq!(sent.to_bytes().ok(), rel.to_bytes().ok());
    rig.assert_clean();
}

// ---------------------------------------------------------------- RFC 3578 3: overlap into SIP

fn sip_overlap_config() -> String {
    CONFIG.replace(
        "trunk_group = \"pstn\"",
        "trunk_group = \"pstn\"\noverlap = \"sip\"",
    )
}

/// Every INVITE that reached the far UA, in order: (far handle, INVITE).
fn far_invites(
    rig: &mut Rig,
) -> Vec<(
    sipt_mgc::sip::ua::CallHandle,
    sipt_mgc::sip::message::Message,
)> {
    let mut v = Vec::new();
    rig.far_events.retain(|e| match e {
        UaEvent::Incoming { call, invite } => {
            v.push((*call, invite.clone()));
            false
        }
        _ => true,
    });
    v
}

fn isup_sent_of(rig: &Rig, t: MessageType) -> usize {
    rig.isup_sent
        .iter()
        .filter(|m| m.message.message_type == t)
        .count()
}

/// RFC 3578 3.2 with `overlap = "sip"`: an INVITE on the IAM and one more for each SAM, with
/// all the digits so far, the same Call-ID and From (tag included), no To tag and a rising
/// CSeq; the 484s to the first two release nothing (3.2); the third is answered: ANM; the
/// far exchange's REL ends it with a BYE.
#[test]
fn overlap_sip_an_invite_per_sam_and_484s_release_nothing() {
    let mut rig = Rig::new(&sip_overlap_config());
    rig.pstn.setup(rig.now, 9, iam("4930")).expect("IAM");
    rig.settle();
    // The first is refused before the next digits come: the next INVITE is made all the same.
    let mut invites = far_invites(&mut rig);
    assert_eq!(invites.len(), 1);
    rig.far
        .respond(rig.now, invites[0].0, 484, "Address Incomplete", None)
        .expect("484");
    rig.settle();
    rig.pstn
        .subsequent_address(rig.now, 9, sam("12"))
        .expect("SAM");
    rig.settle();
    rig.pstn
        .subsequent_address(rig.now, 9, sam("3F"))
        .expect("SAM with ST");
    rig.settle();
    invites.extend(far_invites(&mut rig));
    let numbers: Vec<String> = invites
        .iter()
        .filter_map(|(_, i)| i.request_uri().and_then(|u| u.user.clone()))
        .collect();
    assert_eq!(numbers, vec!["4930", "493012", "4930123"]);
    let call_ids: Vec<String> = invites
        .iter()
        .map(|(_, i)| i.call_id().expect("Call-ID"))
        .collect();
    assert!(call_ids.iter().all(|c| *c == call_ids[0]), "{call_ids:?}");
    let from_tags: Vec<Option<String>> = invites
        .iter()
        .map(|(_, i)| i.from_tag().expect("From"))
        .collect();
    assert!(from_tags[0].is_some());
    assert!(
        from_tags.iter().all(|t| *t == from_tags[0]),
        "{from_tags:?}"
    );
    let froms: Vec<String> = invites
        .iter()
        .map(|(_, i)| i.get("From").unwrap_or_default().to_string())
        .collect();
    assert!(froms.iter().all(|f| *f == froms[0]), "{froms:?}");
    for (_, i) in &invites {
        assert_eq!(i.to_tag().expect("To"), None, "a To tag: {i:?}");
        assert!(i.get("Route").is_none());
    }
    let cseqs: Vec<u32> = invites
        .iter()
        .map(|(_, i)| i.cseq().expect("CSeq").seq)
        .collect();
    assert!(cseqs.windows(2).all(|w| w[0] < w[1]), "{cseqs:?}");
    // The To of each carries its digits (3.2).
    for ((_, i), n) in invites.iter().zip(&numbers) {
        assert!(i.get("To").is_some_and(|t| t.contains(n.as_str())), "{i:?}");
    }
    rig.far
        .respond(rig.now, invites[1].0, 484, "Address Incomplete", None)
        .expect("484");
    rig.settle();
    assert_eq!(isup_sent_of(&rig, MessageType::Rel), 0, "REL on a 484");
    assert_eq!(isup_sent_of(&rig, MessageType::Acm), 0);
    // Not even once T10 has run out: the third INVITE is still pending.
    rig.run_for(Duration::from_secs(6));
    assert_eq!(
        isup_sent_of(&rig, MessageType::Rel),
        0,
        "REL while an INVITE is pending"
    );
    rig.far
        .respond(rig.now, invites[2].0, 200, "OK", None)
        .expect("200");
    rig.settle();
    // No ACM went before: CON (RFC 3398 8.2.4).
    assert!(
        rig.pstn_saw(|e| matches!(e, IsupEvent::Connect { cic: 9, .. }))
            .is_some(),
        "no CON: {:#?}",
        rig.pstn_events
    );
    rig.pstn
        .release(
            rig.now,
            9,
            CauseIndicators::new(Location::User, CauseValue::from_code(16)),
        )
        .expect("REL");
    rig.settle();
    let byes = rig
        .far_events
        .iter()
        .filter(|e| matches!(e, UaEvent::Ended { call, remote: true, .. } if *call == invites[2].0))
        .count();
    assert_eq!(byes, 1, "BYE to the answered INVITE: {:#?}", rig.far_events);
    rig.assert_clean();
}

/// RFC 3578 3.2: every INVITE rejected (484 to the shorter, 404 to the longer) before T10:
/// nothing yet; T10 expires: REL with the cause of the best response, as a forking proxy
/// picks it (RFC 3261 16.7: the 404, cause 1 by RFC 3398 8.2.6.1).
#[test]
fn overlap_sip_t10_then_rel_with_the_best_responses_cause() {
    let mut rig = Rig::new(&sip_overlap_config());
    rig.pstn.setup(rig.now, 4, iam("4930")).expect("IAM");
    rig.settle();
    rig.pstn
        .subsequent_address(rig.now, 4, sam("55"))
        .expect("SAM");
    rig.settle();
    let invites = far_invites(&mut rig);
    assert_eq!(invites.len(), 2);
    // The longer one is refused first: the order does not matter.
    rig.far
        .respond(rig.now, invites[1].0, 404, "Not Found", None)
        .expect("404");
    rig.far
        .respond(rig.now, invites[0].0, 484, "Address Incomplete", None)
        .expect("484");
    rig.run_for(Duration::from_secs(4));
    assert_eq!(isup_sent_of(&rig, MessageType::Rel), 0, "REL before T10");
    rig.run_for(Duration::from_secs(2));
    let causes: Vec<u8> = rig.pstn_events.iter().filter_map(released_cause).collect();
    assert_eq!(causes, vec![1], "{:#?}", rig.pstn_events);
    rig.assert_clean();

    // RFC 3578 3.2's example: 486 to the first, 484 to the one with a digit typed by
    // mistake; the last answer comes after T10: REL at once, with 486's cause (17).
    let mut rig = Rig::new(&sip_overlap_config());
    rig.pstn.setup(rig.now, 4, iam("4930123")).expect("IAM");
    rig.settle();
    rig.pstn
        .subsequent_address(rig.now, 4, sam("9"))
        .expect("SAM");
    rig.settle();
    let invites = far_invites(&mut rig);
    assert_eq!(invites.len(), 2);
    rig.far
        .respond(rig.now, invites[0].0, 486, "Busy Here", None)
        .expect("486");
    rig.run_for(Duration::from_secs(6));
    assert_eq!(
        isup_sent_of(&rig, MessageType::Rel),
        0,
        "REL with an INVITE pending"
    );
    rig.far
        .respond(rig.now, invites[1].0, 484, "Address Incomplete", None)
        .expect("484");
    rig.settle();
    let causes: Vec<u8> = rig.pstn_events.iter().filter_map(released_cause).collect();
    assert_eq!(causes, vec![17], "{:#?}", rig.pstn_events);
    rig.assert_clean();
}

/// RFC 3578 3.3 and 3.4: a 180 to an earlier INVITE while a longer one is pending says
/// nothing to the PSTN, the latest's does (ACM); a 2xx to an earlier INVITE answers the call
/// and the others are CANCELed; a 2xx that crossed the CANCEL is ACKed and ended with BYE.
#[test]
fn overlap_sip_a_2xx_to_an_earlier_invite_cancels_the_others() {
    let mut rig = Rig::new(&sip_overlap_config());
    rig.pstn.setup(rig.now, 5, iam("4930")).expect("IAM");
    rig.settle();
    rig.pstn
        .subsequent_address(rig.now, 5, sam("1"))
        .expect("SAM");
    rig.settle();
    rig.pstn
        .subsequent_address(rig.now, 5, sam("2"))
        .expect("SAM");
    rig.settle();
    rig.pstn
        .subsequent_address(rig.now, 5, sam("3"))
        .expect("SAM");
    rig.settle();
    let invites = far_invites(&mut rig);
    assert_eq!(invites.len(), 4);
    rig.far
        .respond(rig.now, invites[0].0, 180, "Ringing", None)
        .expect("180");
    rig.settle();
    assert_eq!(
        isup_sent_of(&rig, MessageType::Acm),
        0,
        "ACM for a shorter INVITE"
    );
    rig.far
        .respond(rig.now, invites[3].0, 180, "Ringing", None)
        .expect("180");
    rig.settle();
    assert_eq!(
        isup_sent_of(&rig, MessageType::Acm),
        1,
        "no ACM for the latest's 180"
    );
    // The second INVITE is answered, and the third too, at the same moment (the 2xx
    // crosses the CANCEL); the far UA hangs the second up at once: its BYE reaches the
    // gateway while the other INVITEs, all with the same From tag, are still there — it
    // must find the one with the dialog.
    rig.far
        .respond(rig.now, invites[1].0, 200, "OK", None)
        .expect("200");
    rig.far
        .respond(rig.now, invites[2].0, 200, "OK", None)
        .expect("200");
    rig.far.hangup(rig.now, invites[1].0).expect("BYE");
    rig.settle();
    assert_eq!(
        isup_sent_of(&rig, MessageType::Anm),
        1,
        "{:#?}",
        rig.isup_sent
    );
    let cancelled: Vec<_> = rig
        .far_events
        .iter()
        .filter_map(|e| match e {
            UaEvent::Cancelled { call, .. } => Some(*call),
            _ => None,
        })
        .collect();
    assert!(
        cancelled.contains(&invites[0].0),
        "first not cancelled: {:#?}",
        rig.far_events
    );
    assert!(
        cancelled.contains(&invites[3].0),
        "last not cancelled: {:#?}",
        rig.far_events
    );
    let cancels = rig
        .sip_sent
        .iter()
        .filter(|b| b.starts_with(b"CANCEL "))
        .count();
    assert_eq!(cancels, 3, "a CANCEL to each of the others");
    // The crossing 2xx: ACKed, then BYE.
    let ended_third = rig
        .far_events
        .iter()
        .any(|e| matches!(e, UaEvent::Ended { call, remote: true, .. } if *call == invites[2].0));
    assert!(
        ended_third,
        "the late 2xx was not ended with BYE: {:#?}",
        rig.far_events
    );
    // The far UA's BYE released the call.
    let ended_second = rig
        .far_events
        .iter()
        .any(|e| matches!(e, UaEvent::Ended { call, remote: false, .. } if *call == invites[1].0));
    assert!(
        ended_second,
        "the BYE was not answered: {:#?}",
        rig.far_events
    );
    let causes: Vec<u8> = rig.pstn_events.iter().filter_map(released_cause).collect();
    assert_eq!(causes, vec![16], "{:#?}", rig.pstn_events);
    rig.assert_clean();
}

/// The far exchange gives up while the INVITEs are pending: every one is CANCELed.
#[test]
fn overlap_sip_rel_from_the_pstn_cancels_every_invite() {
    let mut rig = Rig::new(&sip_overlap_config());
    rig.pstn.setup(rig.now, 6, iam("4930")).expect("IAM");
    rig.settle();
    rig.pstn
        .subsequent_address(rig.now, 6, sam("77"))
        .expect("SAM");
    rig.settle();
    let invites = far_invites(&mut rig);
    assert_eq!(invites.len(), 2);
    rig.pstn
        .release(
            rig.now,
            6,
            CauseIndicators::new(Location::User, CauseValue::from_code(16)),
        )
        .expect("REL");
    rig.settle();
    let cancelled = rig
        .far_events
        .iter()
        .filter(|e| matches!(e, UaEvent::Cancelled { .. }))
        .count();
    assert_eq!(cancelled, 2, "{:#?}", rig.far_events);
    rig.assert_clean();
}

/// ISUP T9 on a call from SIP (RFC 3398 7.2.8): the far exchange alerts and never answers;
/// at T9 the gateway releases with cause 19 and the far UA gets 480.
#[test]
fn isup_t9_expiry_answers_480() {
    let mut rig = Rig::new(CONFIG);
    rig.sip_call("7001");
    rig.settle();
    let cic = rig.setup_cic().expect("IAM");
    let bci = BackwardCallIndicators::default()
        .with_called_partys_status(CalledPartysStatus::SubscriberFree);
    rig.pstn
        .alert(rig.now, cic, Message::acm(bci))
        .expect("ACM");
    rig.run_for(Duration::from_secs(200));
    let got = rig.far_events.iter().find_map(response_status);
    assert_eq!(got, Some(480), "{:#?}", rig.far_events);
    assert_eq!(rig.pstn_events.iter().find_map(released_cause), Some(19));
    rig.assert_clean();
}

/// RFC 3398 11.3: an IAM asking for a continuity check: no INVITE until the COT says the
/// check passed; a failed check sends none at all.
#[test]
fn no_invite_before_the_continuity_check_passes() {
    use sipt_codecs::isup::ContinuityCheckIndicator;
    for passed in [true, false] {
        let mut rig = Rig::new(CONFIG);
        let mut m = iam("4930123456");
        if let Some(ps) = m.parameters_mut() {
            for p in ps.iter_mut() {
                if let Parameter::NatureOfConnectionIndicators(n) = p {
                    *n = n.with_continuity_check_indicator(
                        ContinuityCheckIndicator::RequiredOnThisCircuit,
                    );
                }
            }
        }
        rig.pstn.setup(rig.now, 9, m).expect("IAM");
        rig.settle();
        assert!(
            !rig.far_events
                .iter()
                .any(|e| matches!(e, UaEvent::Incoming { .. })),
            "INVITE before COT"
        );
        rig.pstn.continuity(rig.now, 9, passed).expect("COT");
        rig.settle();
        let invited = rig
            .far_events
            .iter()
            .any(|e| matches!(e, UaEvent::Incoming { .. }));
        assert_eq!(invited, passed, "passed={passed}");
        if passed {
            let (call, _) = rig.far_incoming();
            rig.far
                .respond(rig.now, call, 486, "Busy Here", None)
                .expect("486");
            rig.settle();
        }
        rig.assert_clean();
    }
}

/// RFC 3398 11.2: a hardware failure oriented CGB clears the calls on its circuits as a REL
/// would (BYE on the SIP side); after CGU the circuits are idle again.
#[test]
fn hardware_blocking_clears_the_call() {
    use sipt_mgc::isup::BlockingKind;
    let mut rig = Rig::new(CONFIG);
    rig.pstn.setup(rig.now, 10, iam("4930123456")).expect("IAM");
    rig.settle();
    let (call, _) = rig.far_incoming();
    rig.far
        .respond(rig.now, call, 200, "OK", None)
        .expect("200");
    rig.settle();
    rig.pstn
        .group_block(rig.now, 10, 2, BlockingKind::Hardware)
        .expect("CGB");
    rig.settle();
    assert!(
        rig.far_events
            .iter()
            .any(|e| matches!(e, UaEvent::Ended { remote: true, .. })),
        "no BYE: {:#?}",
        rig.far_events
    );
    rig.pstn
        .group_unblock(rig.now, 10, 2, BlockingKind::Hardware)
        .expect("CGU");
    rig.settle();
    rig.assert_clean();
}

// ============================================================ ISUP -> ISUP transit (Q.764)

/// An IAM for a transit call: a calling number, a hop counter with `hops` left, and user to
/// user information the gateway has no business with (passed on as received).
fn transit_iam(called: &str, hops: u8) -> Message {
    use sipt_codecs::isup::HopCounter;
    iam_with_calling(called, "4940111222", false)
        .with(Parameter::HopCounter(
            HopCounter::default().with_hop_counter(hops),
        ))
        .with(Parameter::unknown(
            sipt_codecs::isup::code::USER_TO_USER_INFORMATION,
            &[0x04, 0x01, 0x02],
        ))
}

fn encoded(m: &Message) -> Vec<u8> {
    m.to_bytes().expect("encode")
}

/// The message of type `t` the gateway sent on trunk 0 (to `pstn`) / trunk 1 (to `pstn2`).
fn sent_on(sent: &[sipt_codecs::isup::CicMessage], t: MessageType) -> Option<Message> {
    sent.iter()
        .find(|m| m.message.message_type == t)
        .map(|m| m.message.clone())
}

/// A transit call from `pstn` (trunk 0, CIC `cic`) to `pstn2` (trunk 1): its circuit there.
fn transit_call(rig: &mut Rig, cic: u16, called: &str) -> u16 {
    rig.pstn
        .setup(rig.now, cic, transit_iam(called, 20))
        .expect("IAM");
    rig.settle();
    rig.setup_cic2()
        .unwrap_or_else(|| panic!("no IAM on trunk 1: {:#?}", rig.gw_events))
}

/// Q.764 transit, answered: the IAM arrives at the second exchange as it was sent, octet for
/// octet, but for the hop counter less one; the ACM and ANM come back unchanged; the caller's
/// REL reaches the second exchange with its cause and location; nothing is left behind.
#[test]
fn transit_answered_call_passes_every_parameter_on() {
    use sipt_codecs::isup::{HopCounter, OptionalBackwardCallIndicators};
    let mut rig = Rig::new(TRANSIT_CONFIG);
    let sent = transit_iam("8123456", 20);
    rig.pstn.setup(rig.now, 5, sent.clone()).expect("IAM");
    rig.settle();
    let b = rig.setup_cic2().expect("IAM on trunk 1");
    // Only the hop counter changed (Q.764: decremented at each exchange).
    let mut want = sent.clone();
    for p in want.parameters_mut().expect("parameters") {
        if let Parameter::HopCounter(h) = p {
            *h = HopCounter::default().with_hop_counter(19);
        }
    }
    let got = sent_on(&rig.isup_sent2, MessageType::Iam).expect("IAM");
    assert_eq!(encoded(&got), encoded(&want));
    assert!(rig
        .isup_sent
        .iter()
        .all(|m| m.message.message_type != MessageType::Iam));
    assert!(rig.far_events.is_empty(), "nothing to SIP");
    // Backward: ACM with optional backward call indicators, then ANM.
    let acm = Message::acm(
        BackwardCallIndicators::default()
            .with_called_partys_status(CalledPartysStatus::SubscriberFree),
    )
    .with(Parameter::OptionalBackwardCallIndicators(
        OptionalBackwardCallIndicators::default().with_inband_information_available(true),
    ));
    rig.pstn2
        .as_mut()
        .expect("pstn2")
        .alert(rig.now, b, acm.clone())
        .expect("ACM");
    rig.settle();
    let got = rig
        .pstn_saw(|e| matches!(e, IsupEvent::AddressComplete { cic: 5, .. }))
        .expect("ACM on trunk 0");
    let IsupEvent::AddressComplete { acm: got, .. } = got else {
        unreachable!()
    };
    assert_eq!(encoded(got), encoded(&acm));
    let anm = Message::bare(MessageType::Anm);
    rig.pstn2
        .as_mut()
        .expect("pstn2")
        .answer(rig.now, b, anm.clone())
        .expect("ANM");
    rig.settle();
    assert!(rig
        .pstn_saw(|e| matches!(e, IsupEvent::Answer { cic: 5, .. }))
        .is_some());
    // The caller clears: its REL (location user) reaches the second exchange as it was.
    let rel = Message::rel(CauseIndicators::new(
        Location::User,
        CauseValue::from_code(16),
    ));
    rig.pstn
        .release_message(rig.now, 5, rel.clone())
        .expect("REL");
    rig.settle();
    let got = sent_on(&rig.isup_sent2, MessageType::Rel).expect("REL on trunk 1");
    assert_eq!(encoded(&got), encoded(&rel));
    assert!(rig
        .pstn2_saw(|e| matches!(e, IsupEvent::Released { .. }))
        .is_some());
    rig.assert_clean();
    let ended = rig.ended();
    assert!(
        matches!(
            ended.as_slice(),
            [GatewayEvent::CallEnded {
                answered: true,
                cause: Some(16),
                status: None,
                ..
            }]
        ),
        "{ended:#?}"
    );
}

/// The called party is busy: the second exchange's REL 17 goes back as it was (cause and
/// location of the remote user); the second circuit is idle after its RLC, the first after
/// the caller's.
#[test]
fn transit_busy_passes_the_rel_back() {
    let mut rig = Rig::new(TRANSIT_CONFIG);
    let b = transit_call(&mut rig, 6, "8123456");
    rig.pstn2
        .as_mut()
        .expect("pstn2")
        .release_message(rig.now, b, rel(17))
        .expect("REL");
    rig.settle();
    let got = sent_on(&rig.isup_sent, MessageType::Rel).expect("REL on trunk 0");
    assert_eq!(encoded(&got), encoded(&rel(17)));
    assert_eq!(rig.pstn_events.iter().find_map(released_cause), Some(17));
    rig.assert_clean();
    assert!(matches!(
        rig.ended().as_slice(),
        [GatewayEvent::CallEnded {
            answered: false,
            cause: Some(17),
            ..
        }]
    ));
}

/// The called side clears an answered call first: its REL goes back to the caller.
#[test]
fn transit_called_side_clears_first() {
    let mut rig = Rig::new(TRANSIT_CONFIG);
    let b = transit_call(&mut rig, 7, "8123456");
    rig.pstn2
        .as_mut()
        .expect("pstn2")
        .answer(rig.now, b, Message::bare(MessageType::Anm))
        .expect("ANM");
    rig.settle();
    // Without an ACM the second exchange answered with CON; it reached the caller.
    assert!(rig
        .pstn_saw(|e| matches!(e, IsupEvent::Connect { cic: 7, .. }))
        .is_some());
    let rel = Message::rel(CauseIndicators::new(
        Location::PublicNetworkRemoteUser,
        CauseValue::from_code(16),
    ));
    rig.pstn2
        .as_mut()
        .expect("pstn2")
        .release_message(rig.now, b, rel.clone())
        .expect("REL");
    rig.settle();
    let got = sent_on(&rig.isup_sent, MessageType::Rel).expect("REL on trunk 0");
    assert_eq!(encoded(&got), encoded(&rel));
    rig.assert_clean();
}

/// The route's digit manipulation applies: 86 1234 -> +4930 1234, international; the other
/// indicators of the called party number stay.
#[test]
fn transit_called_number_follows_the_route() {
    let mut rig = Rig::new(TRANSIT_CONFIG);
    transit_call(&mut rig, 8, "861234");
    let got = sent_on(&rig.isup_sent2, MessageType::Iam).expect("IAM");
    let cpn = got.called_party_number().expect("called number");
    assert_eq!(cpn.nature_of_address, NatureOfAddress::InternationalNumber);
    assert_eq!(cpn.digits.to_string(), "49301234");
    assert_eq!(
        cpn.indicators.numbering_plan(),
        NumberingPlan::IsdnTelephony
    );
    rig.pstn
        .release(
            rig.now,
            8,
            CauseIndicators::new(Location::User, CauseValue::from_code(16)),
        )
        .expect("REL");
    rig.settle();
    rig.assert_clean();
}

/// Q.764 hop counter: an IAM arriving with 1 hop left would leave with 0: released here
/// with cause 25 (exchange routing error), nothing sent on.
#[test]
fn transit_hop_counter_exhausted_releases_with_cause_25() {
    let mut rig = Rig::new(TRANSIT_CONFIG);
    rig.pstn
        .setup(rig.now, 9, transit_iam("8123456", 1))
        .expect("IAM");
    rig.settle();
    assert_eq!(rig.pstn_events.iter().find_map(released_cause), Some(25));
    assert!(rig
        .isup_sent2
        .iter()
        .all(|m| m.message.message_type != MessageType::Iam));
    rig.assert_clean();
}

/// No free circuit on the outgoing group: the caller gets REL 34.
#[test]
fn transit_without_a_free_circuit_releases_with_cause_34() {
    let config = TRANSIT_CONFIG.replace("dpc = 3\ncics = \"1-31\"", "dpc = 3\ncics = \"1-2\"");
    let mut rig = Rig::new(&config);
    rig.pstn
        .setup(rig.now, 1, transit_iam("8123456", 20))
        .expect("IAM");
    rig.pstn
        .setup(rig.now, 2, transit_iam("8123457", 20))
        .expect("IAM");
    rig.settle();
    assert_eq!(
        rig.pstn2_events
            .iter()
            .filter(|e| matches!(e, IsupEvent::Setup { .. }))
            .count(),
        2
    );
    rig.pstn
        .setup(rig.now, 3, transit_iam("8123458", 20))
        .expect("IAM");
    rig.settle();
    let third = rig.pstn_events.iter().find_map(|e| match e {
        IsupEvent::Released { cic: 3, .. } => released_cause(e),
        _ => None,
    });
    assert_eq!(third, Some(34));
    for cic in [1, 2] {
        rig.pstn
            .release(
                rig.now,
                cic,
                CauseIndicators::new(Location::User, CauseValue::from_code(16)),
            )
            .expect("REL");
    }
    rig.settle();
    rig.assert_clean();
}

/// T7 at the outgoing side: the second exchange never answers the IAM; the gateway's T7
/// releases that circuit (cause 102) and the caller with it.
#[test]
fn transit_t7_on_the_outgoing_side_releases_the_caller() {
    let mut rig = Rig::new(TRANSIT_CONFIG);
    transit_call(&mut rig, 11, "8123456");
    rig.run_for(Duration::from_secs(40));
    let got = rig.pstn_events.iter().find_map(released_cause);
    assert_eq!(got, Some(102), "{:#?}", rig.pstn_events);
    rig.assert_clean();
}

/// The relation of either side lost mid-call clears the other with cause 41; after MTP
/// resumes, the GRS brings the lost side's circuits back idle.
#[test]
fn transit_relation_lost_on_either_side_clears_the_other() {
    for lost in [0usize, 1] {
        let mut rig = Rig::new(TRANSIT_CONFIG);
        let b = transit_call(&mut rig, 12, "8123456");
        rig.pstn2
            .as_mut()
            .expect("pstn2")
            .answer(rig.now, b, Message::bare(MessageType::Anm))
            .expect("ANM");
        rig.settle();
        rig.gw.handle_mtp(rig.now, lost, MtpIndication::Pause);
        if lost == 0 {
            rig.pstn.handle_mtp(rig.now, MtpIndication::Pause);
        } else {
            rig.pstn2
                .as_mut()
                .expect("pstn2")
                .handle_mtp(rig.now, MtpIndication::Pause);
        }
        rig.settle();
        let other = if lost == 0 {
            rig.pstn2_events.iter().find_map(released_cause)
        } else {
            rig.pstn_events.iter().find_map(released_cause)
        };
        assert_eq!(other, Some(41), "trunk {lost} lost");
        let now = rig.now;
        if lost == 0 {
            rig.pstn.handle_mtp(now, MtpIndication::Resume);
        } else {
            rig.pstn2
                .as_mut()
                .expect("pstn2")
                .handle_mtp(now, MtpIndication::Resume);
        }
        rig.gw.handle_mtp(now, lost, MtpIndication::Resume);
        rig.settle();
        rig.assert_clean();
    }
}

/// SUS and RES from the called side and a CPG travel back unchanged; the caller's RES goes
/// forward.
#[test]
fn transit_suspend_resume_and_progress_are_passed_on() {
    use sipt_codecs::isup::{EventIndicator, EventInformation, SuspendResumeIndicators};
    let mut rig = Rig::new(TRANSIT_CONFIG);
    let b = transit_call(&mut rig, 13, "8123456");
    rig.pstn2
        .as_mut()
        .expect("pstn2")
        .alert(rig.now, b, Message::acm(BackwardCallIndicators::default()))
        .expect("ACM");
    rig.settle();
    let cpg =
        Message::cpg(EventInformation::default().with_event_indicator(EventIndicator::Alerting));
    rig.pstn2
        .as_mut()
        .expect("pstn2")
        .progress(rig.now, b, cpg.clone())
        .expect("CPG");
    rig.settle();
    let got = sent_on(&rig.isup_sent, MessageType::Cpg).expect("CPG on trunk 0");
    assert_eq!(encoded(&got), encoded(&cpg));
    rig.pstn2
        .as_mut()
        .expect("pstn2")
        .answer(rig.now, b, Message::bare(MessageType::Anm))
        .expect("ANM");
    rig.settle();
    let sus = Message::suspend_resume(
        MessageType::Sus,
        SuspendResumeIndicators::default().with_network_initiated(true),
    );
    rig.pstn2
        .as_mut()
        .expect("pstn2")
        .suspend(rig.now, b, sus.clone())
        .expect("SUS");
    rig.settle();
    let got = sent_on(&rig.isup_sent, MessageType::Sus).expect("SUS on trunk 0");
    assert_eq!(encoded(&got), encoded(&sus));
    let res = Message::suspend_resume(
        MessageType::Res,
        SuspendResumeIndicators::default().with_network_initiated(true),
    );
    rig.pstn2
        .as_mut()
        .expect("pstn2")
        .resume(rig.now, b, res.clone())
        .expect("RES");
    rig.settle();
    let got = sent_on(&rig.isup_sent, MessageType::Res).expect("RES on trunk 0");
    assert_eq!(encoded(&got), encoded(&res));
    rig.pstn
        .release(
            rig.now,
            13,
            CauseIndicators::new(Location::User, CauseValue::from_code(16)),
        )
        .expect("REL");
    rig.settle();
    rig.assert_clean();
}

// ============================================================ RFC 3398 9: suspend, resume, hold

const FAR_SDP: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n";

/// The re-INVITEs the far UA received since `from` (their SDP as text), each answered 200
/// with the far UA's SDP in the direction the offer asks for.
fn answer_reinvites(rig: &mut Rig, from: usize) -> Vec<String> {
    use sipt_mgc::sip::message::Method;
    let mut offers = Vec::new();
    let requests: Vec<_> = rig.far_events[from..]
        .iter()
        .filter_map(|e| match e {
            UaEvent::Request { request, key, .. } if request.method() == Some(&Method::Invite) => {
                Some((request.clone(), key.clone()))
            }
            _ => None,
        })
        .collect();
    for (request, key) in requests {
        let offer = String::from_utf8_lossy(&request.body).to_string();
        let direction = if offer.contains("a=inactive") {
            "inactive"
        } else {
            "sendrecv"
        };
        let answer = format!("{FAR_SDP}a={direction}\r\n").into_bytes();
        rig.far
            .respond_request(
                rig.now,
                &key,
                &request,
                200,
                "OK",
                Some(("application/sdp", answer)),
            )
            .expect("200 to the re-INVITE");
        offers.push(offer);
    }
    rig.settle();
    offers
}

/// A call from the PSTN on `cic` to 4930123456, answered by the far UA with its SDP.
fn answered_from_pstn(rig: &mut Rig, cic: u16) -> sipt_mgc::sip::ua::CallHandle {
    rig.pstn
        .setup(rig.now, cic, iam("4930123456"))
        .expect("IAM");
    rig.settle();
    let (call, _) = rig.far_incoming();
    rig.far
        .respond(
            rig.now,
            call,
            200,
            "OK",
            Some(("application/sdp", FAR_SDP.as_bytes().to_vec())),
        )
        .expect("200");
    rig.settle();
    call
}

/// The version of an SDP's origin line.
fn sdp_version(sdp: &str) -> u64 {
    sdp.lines()
        .find_map(|l| l.strip_prefix("o="))
        .and_then(|o| o.split(' ').nth(2))
        .and_then(|v| v.parse().ok())
        .expect("o= line")
}

/// RFC 3398 9.1 towards a peer without ISUP: the PSTN's SUS becomes a re-INVITE that stops
/// the far end's media (our offer inactive), its RES one that resumes it (sendrecv, the
/// SDP's version one more each time, RFC 3264 8); no INFO goes.
#[test]
fn suspend_and_resume_to_an_untrusted_peer_are_re_invites() {
    use sipt_codecs::isup::SuspendResumeIndicators;
    use sipt_mgc::sip::message::Method;
    let mut rig = Rig::new(CONFIG);
    answered_from_pstn(&mut rig, 14);
    let mark = rig.far_events.len();
    let sus = Message::suspend_resume(
        MessageType::Sus,
        SuspendResumeIndicators::default().with_network_initiated(true),
    );
    rig.pstn.suspend(rig.now, 14, sus).expect("SUS");
    rig.settle();
    let offers = answer_reinvites(&mut rig, mark);
    assert_eq!(offers.len(), 1, "{:#?}", rig.far_events);
    assert!(offers[0].contains("a=inactive"), "{}", offers[0]);
    let held_version = sdp_version(&offers[0]);
    assert!(held_version >= 2, "{}", offers[0]);
    let mark = rig.far_events.len();
    let res = Message::suspend_resume(
        MessageType::Res,
        SuspendResumeIndicators::default().with_network_initiated(true),
    );
    rig.pstn.resume(rig.now, 14, res).expect("RES");
    rig.settle();
    let offers = answer_reinvites(&mut rig, mark);
    assert_eq!(offers.len(), 1);
    assert!(offers[0].contains("a=sendrecv"), "{}", offers[0]);
    assert_eq!(sdp_version(&offers[0]), held_version + 1);
    assert!(!rig.far_events.iter().any(|e| matches!(
        e,
        UaEvent::Request { request, .. } if request.method() == Some(&Method::Info)
    )));
    rig.pstn
        .release(
            rig.now,
            14,
            CauseIndicators::new(Location::User, CauseValue::from_code(16)),
        )
        .expect("REL");
    rig.settle();
    rig.assert_clean();
}

/// RFC 3398 10.2.2: the called party hangs up and its exchange sends a network-initiated SUS:
/// the SIP side is put on hold; T6 (Q.764 2.4.3) expires at the gateway: REL 16 to the
/// PSTN and BYE to SIP.
#[test]
fn t6_after_a_network_suspend_releases_both_sides() {
    use sipt_codecs::isup::SuspendResumeIndicators;
    let mut rig = Rig::new(CONFIG);
    rig.sip_call("7001");
    rig.settle();
    let cic = rig.setup_cic().expect("IAM");
    rig.pstn
        .answer(rig.now, cic, Message::bare(MessageType::Anm))
        .expect("ANM");
    rig.settle();
    let mark = rig.far_events.len();
    let sus = Message::suspend_resume(
        MessageType::Sus,
        SuspendResumeIndicators::default().with_network_initiated(true),
    );
    rig.pstn.suspend(rig.now, cic, sus).expect("SUS");
    rig.settle();
    let offers = answer_reinvites(&mut rig, mark);
    assert_eq!(offers.len(), 1, "{:#?}", rig.far_events);
    assert!(offers[0].contains("a=inactive"));
    // T6 runs 10 s by default; nothing is released before it expires.
    rig.run_for(Duration::from_secs(5));
    assert!(rig.pstn_events.iter().find_map(released_cause).is_none());
    rig.run_for(Duration::from_secs(10));
    assert_eq!(rig.pstn_events.iter().find_map(released_cause), Some(16));
    assert!(
        rig.far_events
            .iter()
            .any(|e| matches!(e, UaEvent::Ended { remote: true, .. })),
        "no BYE: {:#?}",
        rig.far_events
    );
    rig.assert_clean();
}

/// RFC 3398 9.2: the SIP side puts the call on hold with a re-INVITE (sendonly): a CPG with
/// the generic notification "remote hold" goes to the PSTN and the answer is recvonly; the
/// re-INVITE that takes it off hold gives "remote retrieval" and sendrecv.
#[test]
fn a_hold_from_sip_is_a_cpg_with_remote_hold() {
    use sipt_mgc::interwork::progress;
    use sipt_mgc::sip::message::Method;
    let mut rig = Rig::new(CONFIG);
    let call = answered_from_pstn(&mut rig, 15);
    let mut holds = Vec::new();
    for (direction, answer) in [("sendonly", "a=recvonly"), ("sendrecv", "a=sendrecv")] {
        let mark = rig.far_events.len();
        let offer = format!("{FAR_SDP}a={direction}\r\n").into_bytes();
        rig.far
            .request(
                rig.now,
                call,
                Method::Invite,
                Some(("application/sdp", offer)),
            )
            .expect("re-INVITE");
        rig.settle();
        let response = rig.far_events[mark..]
            .iter()
            .find_map(|e| match e {
                UaEvent::RequestResponse { response, .. } => Some(response.clone()),
                _ => None,
            })
            .expect("a response to the re-INVITE");
        assert_eq!(response.status(), Some(200));
        assert!(
            String::from_utf8_lossy(&response.body).contains(answer),
            "{direction}: {}",
            String::from_utf8_lossy(&response.body)
        );
        holds = rig
            .pstn_events
            .iter()
            .filter_map(|e| match e {
                IsupEvent::Progress { cic: 15, cpg } => progress::cpg_hold(cpg),
                _ => None,
            })
            .collect();
    }
    assert_eq!(holds, [true, false]);
    rig.pstn
        .release(
            rig.now,
            15,
            CauseIndicators::new(Location::User, CauseValue::from_code(16)),
        )
        .expect("REL");
    rig.settle();
    rig.assert_clean();
}

/// Q.764 2.9.1.4 on the outgoing side of a transit call: the second exchange seizes the even
/// circuit the gateway chose at the same moment; the gateway does not control it (point code
/// 1 < 3), backs off and repeats the IAM on another circuit; the second exchange's own call
/// goes on (here: transit back to the first exchange). Both calls end cleanly.
#[test]
fn transit_dual_seizure_repeats_the_iam_on_another_circuit() {
    let config = TRANSIT_CONFIG.replace(
        "dpc = 3\ncics = \"1-31\"",
        "dpc = 3\ncics = \"1-31\"\nselection = \"even\"",
    );
    let mut rig = Rig::new(&config);
    let now = rig.now;
    rig.pstn
        .setup(now, 21, transit_iam("8123456", 20))
        .expect("IAM");
    while let Some((_, m)) = rig.pstn.poll_transmit() {
        rig.gw.handle_isup(now, 0, m);
    }
    let mut held = Vec::new();
    while let Some(out) = rig.gw.poll_isup_transmit() {
        held.push(out);
    }
    let first = held
        .iter()
        .find(|(t, _, m)| *t == 1 && m.message.message_type == MessageType::Iam)
        .map(|(_, _, m)| m.cic)
        .expect("IAM on trunk 1");
    assert_eq!(first % 2, 0, "selection = even");
    // The second exchange seizes the same circuit before the gateway's IAM arrives.
    let pstn2 = rig.pstn2.as_mut().expect("pstn2");
    pstn2
        .setup(now, first, iam("7009"))
        .expect("IAM of the far end");
    for (t, _, m) in held {
        if t == 1 {
            rig.isup_sent2.push(m.clone());
            rig.pstn2.as_mut().expect("pstn2").handle_message(now, m);
        } else {
            rig.isup_sent.push(m.clone());
            rig.pstn.handle_message(now, m);
        }
    }
    rig.settle();
    // The gateway's repeat attempt: a second IAM on trunk 1, on another circuit.
    let iams: Vec<u16> = rig
        .isup_sent2
        .iter()
        .filter(|m| m.message.message_type == MessageType::Iam)
        .map(|m| m.cic)
        .collect();
    assert_eq!(iams.len(), 2, "{iams:?}");
    assert_ne!(iams[1], first);
    // The second exchange's call came in on that circuit and went to the first exchange.
    let back = rig
        .pstn_events
        .iter()
        .find_map(|e| match e {
            IsupEvent::Setup { cic, .. } => Some(*cic),
            _ => None,
        })
        .expect("the far end's call, in transit to trunk 0");
    // The first call is alive: answer it, then everyone hangs up.
    rig.pstn2
        .as_mut()
        .expect("pstn2")
        .answer(rig.now, iams[1], Message::bare(MessageType::Anm))
        .expect("ANM");
    rig.settle();
    assert!(rig
        .pstn_saw(|e| matches!(e, IsupEvent::Connect { cic: 21, .. }))
        .is_some());
    let normal = || CauseIndicators::new(Location::User, CauseValue::from_code(16));
    rig.pstn.release(rig.now, 21, normal()).expect("REL");
    rig.pstn.release(rig.now, back, normal()).expect("REL");
    rig.settle();
    rig.assert_clean();
    assert_eq!(rig.ended().len(), 2);
}

/// `[sip] redirection = "diversion"`: a redirected call's INVITE carries Diversion (RFC 5806)
/// instead of History-Info (RFC 7044, the default): the redirecting number with the reason
/// "user-busy", the original called number last with the original reason "no-answer", the
/// IAM's redirection counter of 2 as one entry per diversion (RFC 3398 8.2.1.1 for the
/// parameters, RFC 5806 for the header).
#[test]
fn redirection_as_diversion_when_configured() {
    use sipt_codecs::isup::{
        AddressPresentation, NumberingPlan, RedirectingIndicator, RedirectingNumberIndicators,
        RedirectionInformation, RedirectionReason,
    };
    let redirecting = |digits: &str| {
        sipt_codecs::isup::Number::from_digits(
            NatureOfAddress::InternationalNumber,
            RedirectingNumberIndicators::default()
                .with_numbering_plan(NumberingPlan::IsdnTelephony)
                .with_address_presentation_restricted(AddressPresentation::Allowed),
            digits,
        )
        .expect("number")
    };
    let diverted = || {
        iam("4930123456")
            .with(Parameter::RedirectingNumber(redirecting("4930222")))
            .with(Parameter::OriginalCalledNumber(redirecting("4930111")))
            .with(Parameter::RedirectionInformation(
                RedirectionInformation::default()
                    .with_redirecting_indicator(RedirectingIndicator::CallDiverted)
                    .with_original_redirection_reason(RedirectionReason::NoReply)
                    .with_redirection_counter(2)
                    .with_redirection_reason(RedirectionReason::UserBusy),
            ))
    };
    for (config, diversion) in [
        (CONFIG.to_string(), false),
        (
            CONFIG.replace("trusted = []", "trusted = []\nredirection = \"diversion\""),
            true,
        ),
    ] {
        let mut rig = Rig::new(&config);
        rig.pstn.setup(rig.now, 3, diverted()).expect("IAM");
        rig.settle();
        let (_, invite) = rig.far_incoming();
        let div: Vec<&str> = invite.get_all("Diversion").collect();
        let hi: Vec<&str> = invite.get_all("History-Info").collect();
        if diversion {
            assert!(hi.is_empty(), "{invite:?}");
            let all = div.join(",");
            let first = all.find("4930222").expect("the redirecting number");
            let last = all.find("4930111").expect("the original called number");
            assert!(first < last, "most recent first (RFC 5806 3): {all}");
            // One entry per diversion (the IAM's counter of 2), each with its reason.
            let entries: Vec<&str> = all.split(", ").collect();
            assert_eq!(entries.len(), 2, "{all}");
            assert!(entries[0].ends_with(";reason=user-busy;counter=1"), "{all}");
            assert!(entries[1].ends_with(";reason=no-answer;counter=1"), "{all}");
        } else {
            assert!(div.is_empty(), "{invite:?}");
            assert!(hi.join(",").contains("4930222"), "{invite:?}");
        }
    }
}

/// RFC 3204 6 / RFC 3261 21.4.13: a trusted peer's INFO with a required ISUP part the gateway
/// cannot use (an ISUP version it does not know) is answered 415 with Accept, nothing reaches
/// the PSTN and the call goes on; the same part marked optional is ignored (200).
#[test]
fn info_with_a_required_part_the_gateway_cannot_use_gets_415() {
    use sipt_mgc::sip::message::Method;
    let mut rig = Rig::new(&trusted_config());
    rig.pstn.setup(rig.now, 6, iam("4930123456")).expect("IAM");
    rig.settle();
    let (call, _) = rig.far_incoming();
    rig.far
        .respond(rig.now, call, 200, "OK", None)
        .expect("200");
    rig.settle();
    // A SUS (Q.763 Table 4: type 0x0d; suspend/resume indicators 0: subscriber initiated).
    let sus = [0x0d, 0x00];
    let statuses = |rig: &Rig| -> Vec<(u16, String)> {
        rig.far_events
            .iter()
            .filter_map(|e| match e {
                UaEvent::RequestResponse { response, .. }
                    if response.cseq().is_ok_and(|c| c.method == Method::Info) =>
                {
                    Some((
                        response.status().unwrap_or(0),
                        response.get("Accept").unwrap_or_default().to_string(),
                    ))
                }
                _ => None,
            })
            .collect()
    };
    for (handling, want) in [("required", 415), ("optional", 200)] {
        let ct = "application/ISUP;version=nonsense-99";
        let body = format!(
            "--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--b\r\nContent-Type: {ct}\r\n\
             Content-Disposition: signal;handling={handling}\r\n\r\n"
        );
        let mut bytes = body.into_bytes();
        bytes.extend_from_slice(&sus);
        bytes.extend_from_slice(b"\r\n--b--\r\n");
        let now = rig.now;
        rig.far
            .request(
                now,
                call,
                Method::Info,
                Some(("multipart/mixed;boundary=b", bytes)),
            )
            .expect("INFO");
        rig.settle();
        let got = statuses(&rig);
        let last = got.last().expect("a response to the INFO");
        assert_eq!(last.0, want, "{handling}: {got:?}");
        if want == 415 {
            assert!(
                last.1.to_ascii_lowercase().contains("application/isup"),
                "Accept: {got:?}"
            );
        }
    }
    assert!(
        rig.pstn_saw(|e| matches!(e, IsupEvent::Suspend { .. }))
            .is_none(),
        "{:#?}",
        rig.pstn_events
    );
    assert!(rig.ended().is_empty(), "the call goes on");
    rig.pstn
        .release(
            rig.now,
            6,
            CauseIndicators::new(Location::User, CauseValue::from_code(16)),
        )
        .expect("REL");
    rig.settle();
    rig.assert_clean();
}

/// Q.764 2.9.5: a parameter this exchange does not know (code 0xfa, no compatibility
/// information) in an IAM for a transit call. With `exchange_type = "B"` on the links (a
/// transit node) it is passed on: the second exchange's IAM has it, octet for octet, and no
/// CFN goes back. With the default type A (an end node) it is discarded and the caller is
/// told with a CFN (cause 99, the parameter's code as diagnostic: 2.9.5.3.2).
#[test]
fn transit_passes_an_unrecognised_parameter_on_as_a_type_b_exchange() {
    use sipt_codecs::isup::HopCounter;
    let unknown = |m: &Message| {
        m.parameters().iter().find_map(|p| match p {
            Parameter::Unknown(u) if u.code == 0xfa => Some(u.value.to_vec()),
            _ => None,
        })
    };
    for (config, passed) in [
        (
            TRANSIT_CONFIG.replace("cics = ", "exchange_type = \"B\"\ncics = "),
            true,
        ),
        (TRANSIT_CONFIG.to_string(), false),
    ] {
        assert_eq!(
            config.matches("exchange_type").count(),
            if passed { 2 } else { 0 }
        );
        let mut rig = Rig::new(&config);
        let sent = transit_iam("8123456", 20).with(Parameter::unknown(0xfa, &[0xde, 0xad]));
        rig.pstn.setup(rig.now, 5, sent.clone()).expect("IAM");
        rig.settle();
        rig.setup_cic2().expect("IAM on trunk 1");
        let iam = sent_on(&rig.isup_sent2, MessageType::Iam).expect("IAM sent on trunk 1");
        let cfn = sent_on(&rig.isup_sent, MessageType::Cfn);
        if passed {
            assert_eq!(unknown(&iam), Some(vec![0xde, 0xad]));
            // Octet for octet but the hop counter (Q.764 2.1.12: one less).
            let mut want = sent.clone();
            for p in want.parameters_mut().expect("parameters") {
                if let Parameter::HopCounter(h) = p {
                    *h = HopCounter::default().with_hop_counter(19);
                }
            }
            assert_eq!(encoded(&iam), encoded(&want));
            assert!(cfn.is_none(), "no CFN from a transit node: {cfn:?}");
        } else {
            assert_eq!(unknown(&iam), None, "an end node discards it");
            let cfn = cfn.expect("a CFN to the caller");
            let cause = cfn.parameters().iter().find_map(|p| match p {
                Parameter::CauseIndicators(c) => Some(c.clone()),
                _ => None,
            });
            let cause = cause.expect("cause");
            assert_eq!(cause.cause_value().code(), 99, "{cause:?}");
            assert!(cause.diagnostics.contains(&0xfa), "{cause:?}");
        }
        rig.pstn
            .release(
                rig.now,
                5,
                CauseIndicators::new(Location::User, CauseValue::from_code(16)),
            )
            .expect("REL");
        rig.settle();
        rig.assert_clean();
    }
}
