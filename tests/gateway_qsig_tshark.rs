//! tshark (Wireshark's packet-lapd.c, packet-q931.c, packet-qsig.c, and packet-sip.c with
//! packet-multipart.c) as the independent reader of what the gateway sends on a QSIG call
//! (issue 6): (a) the Q.921/Q.931 frames it sends the PBX, captured in the in-memory rig of
//! tests/gateway_qsig.rs and written as LINKTYPE_LINUX_LAPD (177, as in
//! codecs/tests/tshark_q931.rs: the gateway is the network side, its frames "sent"); (b) its SIP
//! messages as IPv4/UDP packets (LINKTYPE_RAW). Wireshark's SIP dissector hands an
//! application/QSIG part of a multipart body to its Q.931 dissector (and that one Facility IEs
//! to QSIG) by default, as codecs/tests/tshark_sipt.rs shows for our codec's bodies: so the
//! encapsulated SETUP, ALERTING, CONNECT and DISCONNECT are read in place, no extraction.
//!
//! Each message is compared two ways: with the values the test meant (message types, the
//! cause, the numbers, the names), and with what our own decoder reads in the same octets.
//!
//! Needs /usr/bin/tshark (Debian `tshark`): skipped when absent, a failure when CI=true.

mod gateway_rig;
#[path = "../codecs/tests/common/pcap.rs"]
#[allow(dead_code)]
mod pcap;
#[path = "gateway_rig/qsig.rs"]
mod qsig_rig;
#[path = "../codecs/tests/common/tshark.rs"]
#[allow(dead_code)]
mod tshark;

use qsig_rig::QsigRig;
use sipt_codecs::q921::Frame;
use sipt_codecs::q931::{
    CauseValue, InformationElement, Message as QsigMessage, Number, NumberingPlan, TypeOfNumber,
};
use sipt_codecs::qsig::opcode;
use sipt_codecs::qsig::{called_name, Facility, Name};
use sipt_mgc::interwork::qsig::{message_name, CLEARING_TYPES};
use sipt_mgc::qsig::{CallEvent, ConnectResponse, Response, SetupRequest};
use sipt_mgc::sip::message::Message as SipMessage;

const FIELDS: &[&str] = &[
    "q931.message_type",
    "q931.cause_value",
    "q931.called_party_number.digits",
    "q931.calling_party_number.digits",
    "q931.connected_number.digits",
    "qsig.na.namePresentationAllowedSimple",
    "sip.Method",
    "sip.Status-Code",
    "_ws.malformed",
];

/// The LINKTYPE_LINUX_LAPD record of a frame the gateway (network side) sent.
fn lapd_record(frame: &[u8]) -> Vec<u8> {
    let mut r = Vec::with_capacity(16 + frame.len());
    r.extend_from_slice(&4u16.to_be_bytes()); // sent by us
    r.extend_from_slice(&0x0339u16.to_be_bytes()); // ARPHRD_LAPD
    r.extend_from_slice(&1u16.to_be_bytes()); // address length
    r.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]); // we are the network side
    r.extend_from_slice(&0x0030u16.to_be_bytes()); // ETH_P_LAPD
    r.extend_from_slice(frame);
    r
}

/// A tshark value with hex numbers made decimal.
fn norm(v: &str) -> String {
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).map_or(v.to_string(), |n| n.to_string()),
        None => v.to_string(),
    }
}

/// What tshark read in one packet: field -> values (hex made decimal).
struct Read(serde_json::Value);

impl Read {
    fn get(&self, f: &str) -> Vec<String> {
        tshark::field(&self.0, f).into_iter().map(norm).collect()
    }
    fn one(&self, f: &str) -> Option<String> {
        self.get(f).into_iter().next()
    }
}

fn read(path: &std::path::Path, linktype: u32, records: &[Vec<u8>]) -> Vec<Read> {
    pcap::write(path, linktype, records);
    let mut args = Vec::new();
    for f in FIELDS {
        args.push("-e");
        args.push(*f);
    }
    let packets = tshark::packets(path, &args);
    assert_eq!(packets.len(), records.len(), "one packet per record");
    packets.into_iter().map(Read).collect()
}

fn number(m: &QsigMessage, f: impl Fn(&InformationElement) -> Option<&Number>) -> Option<String> {
    m.find(f).map(|n| n.digits.clone())
}

/// Our own decoder's values for the fields tshark reads, compared with tshark's.
fn same_as_ours(label: &str, ours: &QsigMessage, theirs: &Read) {
    assert_eq!(
        theirs.one("q931.message_type"),
        Some(ours.message_type.code().to_string()),
        "{label}: message type"
    );
    let cause = ours.find(|e| match e {
        InformationElement::Cause(c) => Some(c.cause_value.code().to_string()),
        _ => None,
    });
    assert_eq!(theirs.one("q931.cause_value"), cause, "{label}: cause");
    assert_eq!(
        theirs.one("q931.called_party_number.digits"),
        number(ours, |e| e.as_called_party_number()),
        "{label}: called number"
    );
    assert_eq!(
        theirs.one("q931.calling_party_number.digits"),
        number(ours, |e| e.as_calling_party_number()),
        "{label}: calling number"
    );
    assert_eq!(
        theirs.one("q931.connected_number.digits"),
        number(ours, |e| match e {
            InformationElement::ConnectedNumber(n) => Some(n),
            _ => None,
        }),
        "{label}: connected number"
    );
    let names: Vec<String> = ours
        .information_elements
        .iter()
        .filter_map(|e| e.as_facility())
        .filter_map(Facility::contents)
        .flat_map(|c| c.invokes().cloned().collect::<Vec<_>>())
        .filter_map(|i| match i.argument {
            Some(sipt_codecs::qsig::Argument::Name(n)) => n.name.text(),
            _ => None,
        })
        .collect();
    assert_eq!(
        theirs.get("qsig.na.namePresentationAllowedSimple"),
        names,
        "{label}: names"
    );
    assert!(theirs.get("_ws.malformed").is_empty(), "{label}: malformed");
}

/// The Q.931 messages of the gateway's I frames, with their records.
fn dchannel_messages(rig: &QsigRig) -> Vec<(QsigMessage, Vec<u8>)> {
    rig.dchannel_sent
        .iter()
        .filter_map(|f| {
            let frame = Frame::decode(f).ok()?;
            if frame.information.is_empty() {
                return None;
            }
            let m = QsigMessage::decode(&frame.information).ok()?;
            Some((m, lapd_record(f)))
        })
        .collect()
}

/// The gateway's SIP messages with an application/QSIG part, with that message.
fn sip_messages(rig: &QsigRig) -> Vec<(SipMessage, QsigMessage, Vec<u8>)> {
    rig.sip_sent
        .iter()
        .filter_map(|b| {
            let m = SipMessage::parse(b).ok()?;
            let octets = sipt_mgc::interwork::body::split(&m, true).ok()?.qsig?;
            let q = QsigMessage::decode(&octets).ok()?;
            Some((m, q, pcap::ipv4_udp(5060, 5060, b)))
        })
        .collect()
}

fn message_types(ms: &[(QsigMessage, Vec<u8>)]) -> Vec<u8> {
    ms.iter().map(|(m, _)| m.message_type.code()).collect()
}

#[test]
fn tshark_reads_the_frames_to_the_pbx_and_the_qsig_bodies_as_meant() {
    if !tshark::available() {
        return;
    }
    let dir = tshark::scratch("gateway-qsig");
    let config = QsigRig::trusted_config();

    // A call from the PBX, "Alice" +4940111222 to 4930123, refused with 486.
    let mut rig = QsigRig::new(&config);
    // Not the link's start (RESTART of the channels): the call only.
    rig.dchannel_sent.clear();
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
    rig.pbx_do(|c, now| c.setup(now, req)).expect("SETUP");
    rig.settle();
    let (h, _) = rig.far_incoming();
    let now = rig.now;
    rig.far.respond(now, h, 180, "Ringing", None).expect("180");
    rig.settle();
    let now = rig.now;
    rig.far
        .respond(now, h, 486, "Busy Here", None)
        .expect("486");
    rig.run_for(std::time::Duration::from_secs(2));

    // (a) CALL PROCEEDING, ALERTING, DISCONNECT with cause 17 (RFC 4497 Table 2), then
    // RELEASE COMPLETE, to the PBX.
    let frames = dchannel_messages(&rig);
    assert_eq!(
        message_types(&frames),
        vec![0x02, 0x01, 0x45, 0x5a],
        "{frames:#?}"
    );
    let records: Vec<Vec<u8>> = frames.iter().map(|(_, r)| r.clone()).collect();
    let got = read(
        &dir.join("pbx-call.pcap"),
        pcap::LINKTYPE_LINUX_LAPD,
        &records,
    );
    for ((m, _), r) in frames.iter().zip(&got) {
        same_as_ours(&format!("to the PBX {:?}", m.message_type), m, r);
    }
    assert_eq!(got[2].one("q931.cause_value").as_deref(), Some("17"));

    // (b) The INVITE carries the SETUP: the numbers and the calling name as the PBX sent them.
    let sip = sip_messages(&rig);
    let (invite, setup, record) = sip.first().expect("the INVITE with application/QSIG");
    assert!(invite.request_uri().is_some());
    let got = read(
        &dir.join("pbx-call-sip.pcap"),
        pcap::LINKTYPE_RAW,
        std::slice::from_ref(record),
    );
    assert_eq!(got[0].one("sip.Method").as_deref(), Some("INVITE"));
    assert_eq!(got[0].one("q931.message_type").as_deref(), Some("5"));
    assert_eq!(
        got[0].one("q931.calling_party_number.digits").as_deref(),
        Some("4940111222")
    );
    assert_eq!(
        got[0].one("q931.called_party_number.digits").as_deref(),
        Some("4930123")
    );
    assert_eq!(
        got[0].get("qsig.na.namePresentationAllowedSimple"),
        vec!["Alice".to_string()]
    );
    same_as_ours("SETUP in the INVITE", setup, &got[0]);

    // A call from SIP, "Bob" asserted +4940111222, to 7001: ALERTING with calledName "Dave",
    // CONNECT with +497001, the PBX hangs up.
    let mut rig = QsigRig::new(&config);
    rig.dchannel_sent.clear();
    let pai = vec![(
        "P-Asserted-Identity",
        "\"Bob\" <sip:+4940111222@192.0.2.9;user=phone>".to_string(),
    )];
    let h = rig.sip_call_with("7001", Some("Bob"), &pai, None);
    rig.settle();
    let call = rig.pbx_incoming().call;
    let alerting = Response {
        progress: None,
        extra: vec![InformationElement::Facility(
            Facility::invoke(called_name(5, Name::allowed("Dave"))).expect("facility"),
        )],
    };
    rig.pbx_do(|c, now| c.alerting(now, call, alerting))
        .expect("ALERTING");
    rig.settle();
    let connect = ConnectResponse {
        connected: Some(Number::new(
            TypeOfNumber::International,
            NumberingPlan::IsdnTelephony,
            "497001",
        )),
        ..ConnectResponse::default()
    };
    rig.pbx_do(|c, now| c.connect(now, call, connect))
        .expect("CONNECT");
    rig.run_for(std::time::Duration::from_secs(1));
    rig.pbx_do(|c, now| c.disconnect(now, call, CauseValue::NormalCallClearing))
        .expect("DISCONNECT");
    rig.run_for(std::time::Duration::from_secs(2));
    let _ = h;
    assert!(rig
        .pbx_events
        .iter()
        .any(|e| matches!(e, CallEvent::Cleared { .. })));

    // (a) SETUP (called 7001, calling 4940111222, callingName "Bob"), CONNECT ACKNOWLEDGE,
    // RELEASE.
    let frames = dchannel_messages(&rig);
    assert_eq!(
        message_types(&frames),
        vec![0x05, 0x0f, 0x4d],
        "{frames:#?}"
    );
    let records: Vec<Vec<u8>> = frames.iter().map(|(_, r)| r.clone()).collect();
    let got = read(
        &dir.join("sip-call.pcap"),
        pcap::LINKTYPE_LINUX_LAPD,
        &records,
    );
    for ((m, _), r) in frames.iter().zip(&got) {
        same_as_ours(&format!("to the PBX {:?}", m.message_type), m, r);
    }
    assert_eq!(
        got[0].one("q931.called_party_number.digits").as_deref(),
        Some("7001")
    );
    assert_eq!(
        got[0].one("q931.calling_party_number.digits").as_deref(),
        Some("4940111222")
    );
    assert_eq!(
        got[0].get("qsig.na.namePresentationAllowedSimple"),
        vec!["Bob".to_string()]
    );

    // (b) 180 with ALERTING (calledName "Dave"), 200 with CONNECT (+497001), BYE with
    // DISCONNECT (cause 16).
    let sip = sip_messages(&rig);
    let kinds: Vec<(Option<u16>, u8)> = sip
        .iter()
        .map(|(m, q, _)| (m.status(), q.message_type.code()))
        .collect();
    assert_eq!(
        kinds,
        vec![(Some(180), 0x01), (Some(200), 0x07), (None, 0x45)],
        "{kinds:?}"
    );
    let records: Vec<Vec<u8>> = sip.iter().map(|(_, _, r)| r.clone()).collect();
    let got = read(&dir.join("sip-call-sip.pcap"), pcap::LINKTYPE_RAW, &records);
    for ((m, q, _), r) in sip.iter().zip(&got) {
        same_as_ours(&format!("in {:?}", m.status()), q, r);
    }
    assert_eq!(got[0].one("sip.Status-Code").as_deref(), Some("180"));
    assert_eq!(
        got[0].get("qsig.na.namePresentationAllowedSimple"),
        vec!["Dave".to_string()]
    );
    assert_eq!(
        message_name(&sip[0].1, opcode::CALLED_NAME),
        Some(Name::allowed("Dave"))
    );
    assert_eq!(got[1].one("sip.Status-Code").as_deref(), Some("200"));
    assert_eq!(
        got[1].one("q931.connected_number.digits").as_deref(),
        Some("497001")
    );
    assert_eq!(got[2].one("sip.Method").as_deref(), Some("BYE"));
    assert!(CLEARING_TYPES.contains(&sip[2].1.message_type));
    assert_eq!(got[2].one("q931.cause_value").as_deref(), Some("16"));
    let _ = std::fs::remove_dir_all(&dir);
}
