//! Backward progress, answer and release through `interwork::progress`: every row of RFC 3398
//! 8.2.3 (18x -> ACM/CPG), 7.2.5/7.2.6 (ACM -> 18x), 7.2.9 (CPG -> 18x, events 1-6 and none),
//! 8.2.6.1 (final response -> REL cause, with the Reason header's precedence), 7.2.4.1 (REL ->
//! SIP) and the Reason header of RFC 3326 for every Q.850 cause value. The expected values are
//! written out here from the RFC text, not read from the code's tables, except where a test
//! walks a table of `causes.rs` to reach every row through the functions.

use sipt_codecs::isup::{
    code, BackwardCallIndicators, CalledPartysCategory, CalledPartysStatus, CauseIndicators,
    CauseValue, ChargeIndicator, EndToEndMethod, EventIndicator, EventInformation, Location,
    Message, MessageType, OptionalBackwardCallIndicators, Parameter, SccpMethod,
};
use sipt_mgc::interwork::causes::{
    CauseMap, IsupOutcome, SipOutcome, RFC3398_CAUSE_TO_SIP, RFC3398_SIP_TO_CAUSE,
};
use sipt_mgc::interwork::progress::*;
use sipt_mgc::sip::message::{Message as SipMessage, Reason};

// ---------------------------------------------------------------------------------------------
// helpers

fn sip(start: &str, extra: &[(&str, &str)]) -> SipMessage {
    let mut text = format!(
        "{start}\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK776asdhds\r\n\
         From: <sip:+4930123@127.0.0.1>;tag=1928301774\r\nTo: <sip:+4940456@127.0.0.1>;tag=a6c85cf\r\n\
         Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\nMax-Forwards: 70\r\n"
    );
    for (name, value) in extra {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    SipMessage::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e:?} in {text}"))
}

fn response(status: u16, extra: &[(&str, &str)]) -> SipMessage {
    sip(&format!("SIP/2.0 {status} Whatever"), extra)
}

fn bye(extra: &[(&str, &str)]) -> SipMessage {
    sip("BYE sip:+4940456@127.0.0.1 SIP/2.0", extra)
}

fn cancel(extra: &[(&str, &str)]) -> SipMessage {
    sip("CANCEL sip:+4940456@127.0.0.1 SIP/2.0", extra)
}

fn acm(bci: BackwardCallIndicators) -> Message {
    Message::acm(bci)
}

fn cpg(event: u8) -> Message {
    Message::cpg(EventInformation::default().with_event_indicator(EventIndicator::from(event)))
}

fn rel(location: Location, cause: u8) -> Message {
    Message::rel(CauseIndicators::new(location, CauseValue::from(cause)))
}

/// Every message encodes and decodes back to itself (what the gateway sends must be valid).
fn assert_round_trip(m: &Message) {
    let bytes = m.to_bytes().expect("encodes");
    assert_eq!(&Message::decode(&bytes).expect("decodes"), m);
}

fn cause(c: &CauseIndicators) -> (u8, Location) {
    (c.cause_value().code(), c.location())
}

// ---------------------------------------------------------------------------------------------
// RFC 3398 7.2.5 / 7.2.6: ACM -> 18x

#[test]
fn acm_subscriber_free_rings_and_early_acm_progresses() {
    let bci = BackwardCallIndicators::default()
        .with_charge_indicator(ChargeIndicator::Charge)
        .with_isdn_user_part_all_the_way(true);
    // 7.2.6: "subscriber free" -> 180 Ringing
    let free = acm(bci.with_called_partys_status(CalledPartysStatus::SubscriberFree));
    assert_eq!(acm_status(&free), 180);
    assert!(!inband_available(&free));
    // 7.2.5: called party's status 00 "no indication" is an early ACM -> 183
    let early = acm(bci.with_called_partys_status(CalledPartysStatus::NoIndication));
    assert_eq!(acm_status(&early), 183);
    // connect when free: not "subscriber free" -> 183
    let cwf = acm(bci.with_called_partys_status(CalledPartysStatus::ConnectWhenFree));
    assert_eq!(acm_status(&cwf), 183);
    // the spare value 3 of the two-bit field
    let spare = acm(bci.with_called_partys_status(CalledPartysStatus::from(3)));
    assert_eq!(acm_status(&spare), 183);
}

#[test]
fn acm_with_inband_information_gives_183_with_early_media() {
    let free = BackwardCallIndicators::default()
        .with_called_partys_status(CalledPartysStatus::SubscriberFree);
    // 7.2.6: interworking encountered -> backwards media, 183
    let interworking = acm(free.with_interworking_encountered(true));
    assert!(inband_available(&interworking));
    assert_eq!(acm_status(&interworking), 183);
    // 7.2.6: optional backward call indicators' in-band bit -> backwards media, 183
    let inband = acm(free).with(Parameter::OptionalBackwardCallIndicators(
        OptionalBackwardCallIndicators::default().with_inband_information_available(true),
    ));
    assert!(inband_available(&inband));
    assert_eq!(acm_status(&inband), 183);
    // other OBCI bits do not open media
    let diversion = acm(free).with(Parameter::OptionalBackwardCallIndicators(
        OptionalBackwardCallIndicators::default().with_call_diversion_may_occur(true),
    ));
    assert!(!inband_available(&diversion));
    assert_eq!(acm_status(&diversion), 180);
}

#[test]
fn acm_without_backward_call_indicators_is_no_indication() {
    let raw = Message::raw_message(MessageType::Acm, &[0x16]);
    assert_eq!(acm_status(&raw), 183);
    assert!(!inband_available(&raw));
    let decoded = Message::decode(&[0x06, 0x16, 0x14, 0x00]).unwrap();
    assert_eq!(acm_status(&decoded), 180, "0x1416: subscriber free, charge");
}

// ---------------------------------------------------------------------------------------------
// RFC 3398 7.2.9: CPG -> 18x

/// RFC 3398 7.2.9, row by row.
const CPG_EVENTS: &[(u8, u16)] = &[
    (1, 180), // Alerting: 180 Ringing
    (2, 183), // Progress: 183 Session progress
    (3, 183), // In-band information: 183 Session progress
    (4, 181), // Call forward; line busy: 181 Call is being forwarded
    (5, 181), // Call forward; no reply: 181
    (6, 181), // Call forward; unconditional: 181
];

#[test]
fn cpg_every_event_code() {
    for &(event, status) in CPG_EVENTS {
        let m = cpg(event);
        assert_eq!(cpg_status(&m), Some(status), "event {event}");
        assert_eq!(inband_available(&m), event == 3, "event {event}");
        assert_round_trip(&m);
    }
    // the presentation restricted bit (H) does not change the event
    let restricted = Message::cpg(
        EventInformation::default()
            .with_event_indicator(EventIndicator::Alerting)
            .with_event_presentation_restricted(true),
    );
    assert_eq!(cpg_status(&restricted), Some(180));
}

#[test]
fn cpg_without_event_code_is_183() {
    // "- (no event code present) 183 Session progress"
    let none = Message::new(MessageType::Cpg, Vec::new());
    assert_eq!(cpg_status(&none), Some(183));
    let raw = Message::raw_message(MessageType::Cpg, &[]);
    assert_eq!(cpg_status(&raw), Some(183));
    // spare event codes read as "no event code present"
    for spare in [0, 7, 0x7f] {
        assert_eq!(cpg_status(&cpg(spare)), Some(183), "event {spare}");
    }
}

#[test]
fn messages_that_give_no_provisional_response() {
    assert_eq!(cpg_status(&Message::bare(MessageType::Anm)), None);
    assert_eq!(
        cpg_status(&acm(BackwardCallIndicators::default())),
        None,
        "an ACM is for acm_status"
    );
    // RFC 3398 9.2: a CPG with a hold notification asks for a re-INVITE, not a 18x.
    // CPG, event 2, optional part: generic notification indicator (44) = remote hold (0xf9)
    let hold = Message::decode(&[0x2c, 0x02, 0x01, 0x2c, 0x01, 0xf9, 0x00]).unwrap();
    assert!(hold
        .parameter(code::GENERIC_NOTIFICATION_INDICATOR)
        .is_some());
    assert_eq!(cpg_status(&hold), None);
    let retrieval = Message::decode(&[0x2c, 0x02, 0x01, 0x2c, 0x01, 0xfa, 0x00]).unwrap();
    assert_eq!(cpg_status(&retrieval), None);
    // another notification (0xfb, call is diverting) is still progress
    let diverting = Message::decode(&[0x2c, 0x02, 0x01, 0x2c, 0x01, 0xfb, 0x00]).unwrap();
    assert_eq!(cpg_status(&diverting), Some(183));
}

// ---------------------------------------------------------------------------------------------
// RFC 3398 8.2.3: 18x -> ACM / CPG

/// What a row of 8.2.3 sends: (message type, called party's status of an ACM, event of a CPG).
type Sent = (MessageType, Option<u8>, Option<u8>);

const ACM_FREE: Sent = (MessageType::Acm, Some(1), None);
const ACM_NO_INDICATION: Sent = (MessageType::Acm, Some(0), None);
const fn cpg_sent(event: u8) -> Sent {
    (MessageType::Cpg, None, Some(event))
}

/// RFC 3398 8.2.3, first table (no ACM sent yet), row by row.
const BEFORE_ACM: &[(u16, &[Sent])] = &[
    (180, &[ACM_FREE]),                       // ACM (BCI = subscriber free)
    (181, &[ACM_NO_INDICATION, cpg_sent(6)]), // Early ACM and CPG, event=6
    (182, &[ACM_NO_INDICATION]),              // ACM (BCI = no indication)
    (183, &[ACM_NO_INDICATION]),              // ACM (BCI = no indication)
];

/// RFC 3398 8.2.3, second table (an ACM was sent), row by row.
const AFTER_ACM: &[(u16, &[Sent])] = &[
    (180, &[cpg_sent(1)]), // CPG, event = 1 (Alerting)
    (181, &[cpg_sent(6)]), // CPG, event = 6 (Forwarding)
    (182, &[cpg_sent(2)]), // CPG, event = 2 (Progress)
    (183, &[cpg_sent(2)]), // CPG, event = 2 (Progress)
];

fn sent(m: &Message) -> Sent {
    (
        m.message_type,
        m.backward_call_indicators()
            .map(|b| b.called_partys_status().code()),
        m.event_information().map(|e| e.event_indicator().code()),
    )
}

#[test]
fn every_row_of_8_2_3() {
    for (acm_sent, table) in [(false, BEFORE_ACM), (true, AFTER_ACM)] {
        for &(status, expected) in table {
            let msgs = backward_for_provisional(status, acm_sent);
            let got: Vec<Sent> = msgs.iter().map(sent).collect();
            assert_eq!(got, expected, "{status} acm_sent={acm_sent}");
            for m in &msgs {
                assert_round_trip(m);
            }
        }
    }
}

#[test]
fn acm_carries_the_8_2_3_default_backward_call_indicators() {
    for status in [180, 181, 182, 183] {
        let msgs = backward_for_provisional(status, false);
        let bci = msgs[0].backward_call_indicators().expect("ACM first");
        // Charge indicator 10 charge, category 01 ordinary subscriber, end-to-end method 00,
        // interworking 0, end-to-end information 0, ISUP used all the way 1, holding 0,
        // ISDN access 0, SCCP method 00.
        assert_eq!(bci.charge_indicator(), ChargeIndicator::Charge);
        assert_eq!(
            bci.called_partys_category(),
            CalledPartysCategory::OrdinarySubscriber
        );
        assert_eq!(bci.end_to_end_method(), EndToEndMethod::None);
        assert!(!bci.interworking_encountered());
        assert!(!bci.end_to_end_information_available());
        assert!(bci.isdn_user_part_all_the_way());
        assert!(!bci.holding_requested());
        assert!(!bci.terminating_access_isdn());
        assert_eq!(bci.sccp_method(), SccpMethod::NoIndication);
        // the exact octets: 0x0416 for subscriber free, 0x0412 for no indication
        let expected: u16 = if status == 180 { 0x0416 } else { 0x0412 };
        assert_eq!(bci.0, expected, "{status}");
    }
    // the 8.2.3 option: interworking encountered, ISUP not used all the way
    let with = backward_for_provisional_with(180, false, true);
    let bci = with[0].backward_call_indicators().unwrap();
    assert!(bci.interworking_encountered());
    assert!(!bci.isdn_user_part_all_the_way());
    assert_eq!(
        bci.called_partys_status(),
        CalledPartysStatus::SubscriberFree
    );
    // after an ACM the option changes nothing (CPGs only)
    assert_eq!(
        backward_for_provisional_with(180, true, true),
        backward_for_provisional(180, true)
    );
}

#[test]
fn other_provisional_codes() {
    // 8.2.2: 100 triggers nothing
    assert!(backward_for_provisional(100, false).is_empty());
    assert!(backward_for_provisional(100, true).is_empty());
    // RFC 6228 199 Early Dialog Terminated: nothing
    assert!(backward_for_provisional(199, false).is_empty());
    // an unknown 1xx is 183 (RFC 3261 8.1.3.2)
    for s in [101, 150, 184, 198] {
        assert_eq!(
            backward_for_provisional(s, false),
            backward_for_provisional(183, false),
            "{s}"
        );
        assert_eq!(
            backward_for_provisional(s, true),
            backward_for_provisional(183, true),
            "{s}"
        );
    }
    // not provisional
    for s in [0, 99, 200, 486, 999] {
        assert!(backward_for_provisional(s, false).is_empty(), "{s}");
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 3398 8.2.4: 2xx -> ANM or CON

#[test]
fn answer_is_anm_after_acm_else_con() {
    let anm = answer_message(true);
    assert_eq!(anm.message_type, MessageType::Anm);
    assert_eq!(anm.to_bytes().unwrap(), [0x09, 0x00]);
    let con = answer_message(false);
    assert_eq!(con.message_type, MessageType::Con);
    let bci = con.backward_call_indicators().expect("CON has BCI");
    assert_eq!(
        bci.called_partys_status(),
        CalledPartysStatus::SubscriberFree
    );
    assert_eq!(bci.charge_indicator(), ChargeIndicator::Charge);
    assert_round_trip(&con);
}

// ---------------------------------------------------------------------------------------------
// RFC 3326: the Reason header

#[test]
fn reason_header_format() {
    let c = CauseIndicators::new(Location::User, CauseValue::NormalCallClearing);
    assert_eq!(
        reason_header(&c),
        r#"Q.850;cause=16;text="Normal call clearing""#
    );
    let busy = CauseIndicators::new(Location::PublicNetworkLocalUser, CauseValue::UserBusy);
    assert_eq!(reason_header(&busy), r#"Q.850;cause=17;text="User busy""#);
    assert_eq!(
        reason_header_with_location(&busy),
        r#"Q.850;cause=17;text="User busy";location=LN"#
    );
    // a value Q.850 does not name has no text
    let unnamed = CauseIndicators::new(Location::User, CauseValue::from(13));
    assert_eq!(reason_header(&unnamed), "Q.850;cause=13");
}

#[test]
fn reason_round_trip_for_every_cause_value() {
    for value in 1..=127u8 {
        for location in [Location::User, Location::TransitNetwork] {
            let c = CauseIndicators::new(location, CauseValue::from(value));
            let header = reason_header(&c);
            assert_eq!(reason_cause(&header), Some(value), "{header}");
            // the value is a well-formed RFC 3326 reason
            let parsed = Reason::parse(&header).expect(&header);
            assert_eq!(parsed.protocol, "Q.850");
            assert_eq!(parsed.cause(), Some(u16::from(value)));
            assert_eq!(
                parsed.text().is_some(),
                CauseValue::from(value).name().is_some(),
                "{header}"
            );
            let with_location = reason_header_with_location(&c);
            assert_eq!(
                reason_q850(&with_location),
                Some((value, Some(location))),
                "{with_location}"
            );
        }
    }
}

#[test]
fn every_rfc8606_location_round_trips() {
    for &(token, location) in RFC8606_LOCATIONS {
        let c = CauseIndicators::new(location, CauseValue::NoCircuitAvailable);
        let h = reason_header_with_location(&c);
        assert!(h.ends_with(&format!(";location={token}")), "{h}");
        assert_eq!(reason_q850(&h), Some((34, Some(location))));
    }
    // a location Q.850 has but RFC 8606 does not name (6 is reserved): no parameter
    let c = CauseIndicators::new(Location::from(6), CauseValue::NoCircuitAvailable);
    assert_eq!(reason_header_with_location(&c), reason_header(&c));
}

#[test]
fn reason_cause_parsing() {
    // several reasons, one per protocol (RFC 3326 2)
    let both = r#"SIP;cause=200;text="Call completed elsewhere", Q.850;cause=17;text="User busy""#;
    assert_eq!(reason_cause(both), Some(17));
    assert_eq!(
        reason_cause(r#"Q.850 ;cause=16 ;text="Terminated""#),
        Some(16)
    );
    assert_eq!(reason_cause("q.850;cause=31"), Some(31));
    assert_eq!(reason_cause("Q.850;text=\"x\";cause=41"), Some(41));
    assert_eq!(
        reason_q850("Q.850;cause=19;text=\"No answer\";location=LN"),
        Some((19, Some(Location::PublicNetworkLocalUser)))
    );
    assert_eq!(reason_q850("Q.850;cause=19;location=XYZ"), Some((19, None)));
    // a malformed reason beside a good one is skipped
    assert_eq!(reason_cause(";;;, Q.850;cause=18"), Some(18));
    // not Q.850, or no usable cause
    for bad in [
        "SIP;cause=487",
        "SIP;cause=200;text=\"Call completed elsewhere\"",
        "Q.850",
        "Q.850;cause=",
        "Q.850;cause=abc",
        "Q.850;cause=128",
        "Q.850;cause=70000",
        "Q.850;cause=-1",
        "Q.850;text=\"unterminated",
        "",
        ",,,",
        "Q.8500;cause=16",
        "preemption;cause=1",
    ] {
        assert_eq!(reason_cause(bad), None, "{bad:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 3398 8.2.6 / 8.2.6.1: final error response -> REL cause

#[test]
fn every_row_of_8_2_6_1_through_release_cause_for_response() {
    let map = CauseMap::rfc3398();
    for &(status, outcome) in RFC3398_SIP_TO_CAUSE {
        let c = release_cause_for_response(&response(status, &[]), None, &map);
        let expected = match outcome {
            IsupOutcome::Cause(c) => c,
            // 487 has no mapping; the REL still needs a cause: 31
            IsupOutcome::None => 31,
            // 488/606 without a Warning: 31
            IsupOutcome::ByWarning => 31,
        };
        let location = if status >= 600 {
            Location::User
        } else {
            Location::PublicNetworkLocalUser
        };
        assert_eq!(cause(&c), (expected, location), "{status}");
        assert!(c.diagnostics.is_empty());
        assert_round_trip(&release_message(c));
    }
}

#[test]
fn spot_rows_of_8_2_6_1_from_the_rfc_text() {
    let map = CauseMap::rfc3398();
    for (status, expected) in [
        (404, (1, Location::PublicNetworkLocalUser)),
        (486, (17, Location::PublicNetworkLocalUser)),
        (480, (18, Location::PublicNetworkLocalUser)),
        (503, (41, Location::PublicNetworkLocalUser)),
        (600, (17, Location::User)),
        (603, (21, Location::User)),
        (604, (1, Location::User)),
    ] {
        let c = release_cause_for_response(&response(status, &[]), None, &map);
        assert_eq!(cause(&c), expected, "{status}");
    }
}

#[test]
fn unlisted_status_codes_give_31() {
    let map = CauseMap::rfc3398();
    for status in [409, 422, 489, 491, 494, 499, 506, 580, 599] {
        let c = release_cause_for_response(&response(status, &[]), None, &map);
        assert_eq!(
            cause(&c),
            (31, Location::PublicNetworkLocalUser),
            "{status}"
        );
    }
    // not final errors, or not a response at all: 31 too
    for status in [200, 302] {
        let c = release_cause_for_response(&response(status, &[]), None, &map);
        assert_eq!(
            cause(&c),
            (31, Location::PublicNetworkLocalUser),
            "{status}"
        );
    }
    let c = release_cause_for_response(&bye(&[]), None, &map);
    assert_eq!(cause(&c), (31, Location::PublicNetworkLocalUser));
    for status in [601, 607, 608, 699] {
        let c = release_cause_for_response(&response(status, &[]), None, &map);
        assert_eq!(cause(&c), (31, Location::User), "{status}");
    }
}

#[test]
fn warning_decides_488_and_606() {
    let map = CauseMap::rfc3398();
    for (status, location) in [
        (488, Location::PublicNetworkLocalUser),
        (606, Location::User),
    ] {
        for (warning, expected) in [
            ("304 gw.example.com \"Media type not available\"", 65),
            ("305 gw.example.com \"Incompatible media format\"", 65),
            ("399 gw.example.com \"Miscellaneous warning\"", 31),
            ("370 gw.example.com \"Insufficient bandwidth\"", 31),
            // the bearer one counts among several
            (
                "399 a.example.com \"x\", 305 b.example.com \"Incompatible media format\"",
                65,
            ),
            ("garbage", 31),
        ] {
            let r = response(status, &[("Warning", warning)]);
            let c = release_cause_for_response(&r, None, &map);
            assert_eq!(cause(&c), (expected, location), "{status} {warning}");
        }
    }
}

#[test]
fn reason_header_then_encapsulated_rel_then_table() {
    let map = CauseMap::rfc3398();
    let encapsulated = Message::rel(
        CauseIndicators::new(
            Location::TransitNetwork,
            CauseValue::SwitchingEquipmentCongestion,
        )
        .with_diagnostics(&[0x01]),
    );
    // the Reason header wins over both the REL and the table
    let r = response(486, &[("Reason", "Q.850;cause=34;text=\"No circuit\"")]);
    let c = release_cause_for_response(&r, Some(&encapsulated), &map);
    assert_eq!(cause(&c), (34, Location::PublicNetworkLocalUser));
    // with an RFC 8606 location, that location
    let r = response(603, &[("Reason", "Q.850;cause=21;location=RLN")]);
    let c = release_cause_for_response(&r, None, &map);
    assert_eq!(cause(&c), (21, Location::PublicNetworkRemoteUser));
    // a 6xx Reason without location: 'user'
    let r = response(603, &[("Reason", "Q.850;cause=27")]);
    let c = release_cause_for_response(&r, None, &map);
    assert_eq!(cause(&c), (27, Location::User));
    // a second Reason header line is read too
    let r = response(
        486,
        &[("Reason", "SIP;cause=486"), ("Reason", "Q.850;cause=17")],
    );
    let c = release_cause_for_response(&r, None, &map);
    assert_eq!(cause(&c), (17, Location::PublicNetworkLocalUser));
    // without a Reason, the encapsulated REL's cause indicators as received
    let r = response(486, &[]);
    let c = release_cause_for_response(&r, Some(&encapsulated), &map);
    assert_eq!(Some(&c), encapsulated.cause_indicators());
    // a SIP-only Reason does not count: the REL, then the table
    let r = response(486, &[("Reason", "SIP;cause=486")]);
    let c = release_cause_for_response(&r, Some(&encapsulated), &map);
    assert_eq!(Some(&c), encapsulated.cause_indicators());
    let c = release_cause_for_response(&r, None, &map);
    assert_eq!(cause(&c), (17, Location::PublicNetworkLocalUser));
    // an encapsulated message without cause (not a REL): the table
    let c = release_cause_for_response(&r, Some(&Message::bare(MessageType::Anm)), &map);
    assert_eq!(cause(&c), (17, Location::PublicNetworkLocalUser));
}

#[test]
fn overridden_rows_are_used() {
    let mut map = CauseMap::rfc3398();
    map.override_status(480, IsupOutcome::Cause(20));
    let c = release_cause_for_response(&response(480, &[]), None, &map);
    assert_eq!(cause(&c), (20, Location::PublicNetworkLocalUser));
}

// ---------------------------------------------------------------------------------------------
// RFC 3398 7.2.4 / 7.2.4.1 / 10.2: REL -> SIP

#[test]
fn every_row_of_7_2_4_1_through_sip_for_release() {
    let map = CauseMap::rfc3398();
    for &(value, outcome) in RFC3398_CAUSE_TO_SIP {
        let m = rel(Location::PublicNetworkRemoteUser, value);
        let (got, reason) = sip_for_release(&m, &map);
        assert_eq!(got, outcome, "cause {value}");
        assert_eq!(reason_cause(&reason), Some(value), "{reason}");
        assert!(
            reason.starts_with(&format!("Q.850;cause={value};text=\"")),
            "{reason}"
        );
    }
}

#[test]
fn spot_rows_of_7_2_4_1_from_the_rfc_text() {
    let map = CauseMap::rfc3398();
    for (value, expected) in [
        (1, SipOutcome::Status(404)),
        (16, SipOutcome::Clear),
        (17, SipOutcome::Status(486)),
        (18, SipOutcome::Status(408)),
        (21, SipOutcome::Status(403)),
        (34, SipOutcome::Status(503)),
        (44, SipOutcome::Untranslatable),
        (102, SipOutcome::Status(504)),
        (127, SipOutcome::Status(500)),
        // not listed: 500 (7.2.4.1 default)
        (95, SipOutcome::Status(500)),
        (100, SipOutcome::Status(500)),
    ] {
        let (got, _) = sip_for_release(&rel(Location::User, value), &map);
        assert_eq!(got, expected, "cause {value}");
    }
    assert_eq!(
        sip_for_release(&rel(Location::User, 16), &map).1,
        r#"Q.850;cause=16;text="Normal call clearing""#
    );
}

#[test]
fn release_refinements_and_missing_cause() {
    let mut map = CauseMap::rfc3398();
    // 22 with a diagnostic (the new number): 301
    let changed = Message::rel(
        CauseIndicators::new(Location::PublicNetworkRemoteUser, CauseValue::NumberChanged)
            .with_diagnostics(&[0x21, 0x43]),
    );
    assert_eq!(sip_for_release(&changed, &map).0, SipOutcome::Status(301));
    // 21 from the user, with the 6xx option: 603
    map.user_rejection_as_6xx = true;
    assert_eq!(
        sip_for_release(&rel(Location::User, 21), &map).0,
        SipOutcome::Status(603)
    );
    assert_eq!(
        sip_for_release(&rel(Location::TransitNetwork, 21), &map).0,
        SipOutcome::Status(403)
    );
    // a REL whose cause cannot be read: 31, 480
    let map = CauseMap::rfc3398();
    let bare = Message::new(MessageType::Rel, Vec::new());
    let (outcome, reason) = sip_for_release(&bare, &map);
    assert_eq!(outcome, SipOutcome::Status(480));
    assert_eq!(reason_cause(&reason), Some(31));
    let raw = Message::raw_message(MessageType::Rel, &[0xff]);
    assert_eq!(sip_for_release(&raw, &map).0, SipOutcome::Status(480));
}

// ---------------------------------------------------------------------------------------------
// RFC 3398 7.2.3 / 10.1: BYE or CANCEL -> REL cause

#[test]
fn bye_and_cancel_give_16_unless_a_reason_says_otherwise() {
    for request in [bye as fn(&[(&str, &str)]) -> SipMessage, cancel] {
        let c = release_cause_for_request(&request(&[]));
        assert_eq!(cause(&c), (16, Location::User));
        let c = release_cause_for_request(&request(&[("Reason", "Q.850;cause=38")]));
        assert_eq!(cause(&c), (38, Location::User));
        let c = release_cause_for_request(&request(&[(
            "Reason",
            "Q.850;cause=41;text=\"Temporary failure\";location=TN",
        )]));
        assert_eq!(cause(&c), (41, Location::TransitNetwork));
        let c = release_cause_for_request(&request(&[("Reason", "SIP;cause=200")]));
        assert_eq!(cause(&c), (16, Location::User));
        let c = release_cause_for_request(&request(&[("Reason", "Q.850;cause=999")]));
        assert_eq!(cause(&c), (16, Location::User));
    }
}

#[test]
fn bye_with_encapsulated_rel() {
    let encapsulated = rel(Location::PublicNetworkRemoteUser, 31);
    // 10.1: the REL's cause is re-used
    let c = release_cause_for_request_with(&bye(&[]), Some(&encapsulated));
    assert_eq!(Some(&c), encapsulated.cause_indicators());
    // 7.2.3: "the value in the Reason header MUST be preferred"
    let c =
        release_cause_for_request_with(&bye(&[("Reason", "Q.850;cause=17")]), Some(&encapsulated));
    assert_eq!(cause(&c), (17, Location::User));
    assert_eq!(
        release_cause_for_request_with(&bye(&[]), None),
        release_cause_for_request(&bye(&[]))
    );
}

#[test]
fn release_message_is_a_rel_with_that_cause() {
    let c = CauseIndicators::new(Location::PublicNetworkLocalUser, CauseValue::UserBusy);
    let m = release_message(c.clone());
    assert_eq!(m.message_type, MessageType::Rel);
    assert_eq!(m.cause_indicators(), Some(&c));
    // Q.763: REL 0x0c, pointer to the cause, pointer to the optional part (none), length 2,
    // coding ITU-T + location 2, cause 17
    assert_eq!(m.to_bytes().unwrap(), [0x0c, 0x02, 0x00, 0x02, 0x82, 0x91]);
}
