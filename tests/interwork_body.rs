//! RFC 3204 bodies through `interwork::body`: SDP octets survive beside ISUP and QSIG in both
//! directions, handling=required/optional, unknown ISUP versions, untrusted peers, malformed
//! bodies, and RFC 3204's own examples (4.1 and 4.2).

use sipt_codecs::isup::{
    BackwardCallIndicators, CalledPartysStatus, CauseIndicators, CauseValue, Location, Message,
    MessageType,
};
use sipt_codecs::rfc3204::{Handling, IsupBase, PartType};
use sipt_mgc::interwork::body::*;
use sipt_mgc::sip::message::Message as SipMessage;

/// RFC 3204 4.1: the ISUP IAM of the example, as octets.
const RFC3204_IAM: [u8; 60] = [
    0x01, 0x00, 0x49, 0x00, 0x00, 0x03, 0x02, 0x00, 0x07, 0x04, 0x10, 0x00, 0x33, 0x63, 0x21, 0x43,
    0x00, 0x00, 0x03, 0x06, 0x0d, 0x03, 0x80, 0x90, 0xa2, 0x07, 0x03, 0x10, 0x03, 0x63, 0x53, 0x00,
    0x10, 0x0a, 0x07, 0x03, 0x10, 0x27, 0x80, 0x88, 0x03, 0x00, 0x00, 0x89, 0x8b, 0x0e, 0x95, 0x1e,
    0x1e, 0x1e, 0x06, 0x26, 0x05, 0x0d, 0xf5, 0x01, 0x06, 0x10, 0x04, 0x00,
];

/// RFC 3204 4.2: the QSIG SETUP of the example, as octets.
const RFC3204_SETUP: [u8; 28] = [
    0x08, 0x02, 0x55, 0x55, 0x05, 0x04, 0x02, 0x90, 0x90, 0x18, 0x03, 0xa1, 0x83, 0x01, 0x70, 0x0a,
    0x89, 0x31, 0x34, 0x30, 0x38, 0x34, 0x39, 0x35, 0x35, 0x30, 0x37, 0x32,
];

const SDP: &[u8] = b"v=0\r\no=- 2890844526 2890842807 IN IP4 127.0.0.1\r\ns=-\r\n\
c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\n";

/// A SIP INVITE with the given Content-Type, Content-Disposition and body octets.
fn invite(content_type: Option<&str>, disposition: Option<&str>, body: &[u8]) -> SipMessage {
    let mut head = String::from(
        "INVITE sip:+4940456@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK776asdhds\r\n\
         From: <sip:+4930123@127.0.0.1>;tag=1928301774\r\nTo: <sip:+4940456@127.0.0.1>\r\n\
         Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\nMax-Forwards: 70\r\n",
    );
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    if let Some(cd) = disposition {
        head.push_str(&format!("Content-Disposition: {cd}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    SipMessage::parse(&bytes).expect("a valid INVITE")
}

/// The INVITE carrying what `build` made.
fn carrying((content_type, body): (String, Vec<u8>)) -> SipMessage {
    invite(Some(&content_type), None, &body)
}

/// A multipart/mixed body with boundary `b` from (part headers, octets).
fn multipart(b: &str, parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (headers, octets) in parts {
        out.extend_from_slice(format!("--{b}\r\n{headers}\r\n\r\n").as_bytes());
        out.extend_from_slice(octets);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    out
}

fn acm() -> Message {
    Message::acm(
        BackwardCallIndicators::default()
            .with_called_partys_status(CalledPartysStatus::SubscriberFree),
    )
}

fn rel() -> Message {
    Message::rel(CauseIndicators::new(
        Location::PublicNetworkLocalUser,
        CauseValue::UserBusy,
    ))
}

// ---------------------------------------------------------------------------------------------
// build, and split of what build made

#[test]
fn sdp_alone_is_application_sdp() {
    let (ct, body) = build(Some(SDP), None, true).unwrap();
    assert_eq!(ct, "application/sdp");
    assert_eq!(body, SDP);
    let got = split(&carrying((ct, body)), true).unwrap();
    assert_eq!(got.sdp.as_deref(), Some(SDP));
    assert_eq!((got.isup, got.qsig), (None, None));
    assert_eq!(build(None, None, true), None);
    assert_eq!(build(None, None, false), None);
    assert_eq!(build_qsig(None, None, true), None);
}

#[test]
fn sdp_and_isup_make_multipart_with_sdp_first() {
    let isup = acm();
    let (ct, body) = build(Some(SDP), Some(&isup), true).unwrap();
    assert!(ct.starts_with("multipart/mixed;boundary="), "{ct}");
    let text = String::from_utf8_lossy(&body);
    let sdp_at = text.find("Content-Type: application/sdp").unwrap();
    let isup_at = text
        .find("Content-Type: application/ISUP; version=itu-t92+; base=itu-t92+")
        .unwrap();
    assert!(sdp_at < isup_at);
    assert!(text.contains("Content-Disposition: signal; handling=optional"));
    let got = split(&carrying((ct, body)), true).unwrap();
    assert_eq!(got.sdp.as_deref(), Some(SDP));
    assert_eq!(got.isup, Some(isup));
}

#[test]
fn sdp_octets_survive_beside_isup() {
    let without_crlf = SDP.strip_suffix(b"\r\n").unwrap();
    let boundary_like = [
        SDP,
        b"a=x-note:--sipt-mgc-1\r\n--sipt-mgc-2\r\n--sipt-mgc-3--\r\n",
    ]
    .concat();
    let blank_line_end = [SDP, b"\r\n"].concat();
    let lf_only = b"v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nt=0 0\nm=audio 9 RTP/AVP 0\n".to_vec();
    for sdp in [
        SDP,
        without_crlf,
        &boundary_like,
        &blank_line_end,
        &lf_only,
        b"",
    ] {
        for isup in [acm(), rel(), Message::bare(MessageType::Anm)] {
            let built = build(Some(sdp), Some(&isup), true).unwrap();
            let got = split(&carrying(built), true).unwrap();
            assert_eq!(
                got.sdp.as_deref(),
                Some(sdp),
                "{:?}",
                String::from_utf8_lossy(sdp)
            );
            assert_eq!(got.isup.as_ref(), Some(&isup));
            // and QSIG beside it
            let built = build_qsig(Some(sdp), Some(&RFC3204_SETUP), true).unwrap();
            let got = split(&carrying(built), true).unwrap();
            assert_eq!(got.sdp.as_deref(), Some(sdp));
            assert_eq!(got.qsig.as_deref(), Some(&RFC3204_SETUP[..]));
        }
    }
}

#[test]
fn isup_whose_octets_look_like_a_delimiter_survives() {
    // a REL whose diagnostics hold CRLF "--sipt-mgc-1" CRLF
    let tricky = Message::rel(
        CauseIndicators::new(Location::User, CauseValue::NormalCallClearing)
            .with_diagnostics(b"\r\n--sipt-mgc-1\r\n"),
    );
    let built = build(Some(SDP), Some(&tricky), true).unwrap();
    assert!(!built.0.ends_with("sipt-mgc-1"), "{}", built.0);
    let got = split(&carrying(built), true).unwrap();
    assert_eq!(got.sdp.as_deref(), Some(SDP));
    assert_eq!(got.isup, Some(tricky));
}

#[test]
fn isup_alone_is_the_single_part() {
    let isup = rel();
    let (ct, body) = build(None, Some(&isup), true).unwrap();
    assert_eq!(ct, "application/ISUP; version=itu-t92+; base=itu-t92+");
    assert_eq!(body, isup.to_bytes().unwrap());
    // without Content-Disposition, handling is required: still taken from a trusted peer
    let got = split(&carrying((ct, body)), true).unwrap();
    assert_eq!(got.sdp, None);
    assert_eq!(got.isup, Some(isup.clone()));
    // build_body says so explicitly
    let b = build_body(None, Some(&isup), true).unwrap();
    assert_eq!(
        b.content_disposition.as_deref(),
        Some("signal; handling=required")
    );
    let b = build_body(Some(SDP), Some(&isup), true).unwrap();
    assert_eq!(b.content_disposition, None, "multipart: per part");
}

#[test]
fn qsig_alone_and_beside_sdp() {
    let (ct, body) = build_qsig(None, Some(&RFC3204_SETUP), true).unwrap();
    assert_eq!(ct, "application/QSIG; version=iso");
    assert_eq!(body, RFC3204_SETUP);
    let got = split(&carrying((ct, body)), true).unwrap();
    assert_eq!(got.qsig.as_deref(), Some(&RFC3204_SETUP[..]));
    let (ct, body) = build_qsig(Some(SDP), Some(&RFC3204_SETUP), true).unwrap();
    assert!(ct.starts_with("multipart/mixed"));
    assert!(String::from_utf8_lossy(&body).contains("Content-Type: application/QSIG; version=iso"));
}

#[test]
fn nothing_encapsulated_for_an_untrusted_peer() {
    assert_eq!(
        build(Some(SDP), Some(&acm()), false),
        Some(("application/sdp".to_string(), SDP.to_vec()))
    );
    assert_eq!(build(None, Some(&acm()), false), None);
    assert_eq!(
        build_qsig(Some(SDP), Some(&RFC3204_SETUP), false),
        Some(("application/sdp".to_string(), SDP.to_vec()))
    );
    assert_eq!(build_qsig(None, Some(&RFC3204_SETUP), false), None);
}

#[test]
fn set_body_sets_both_headers() {
    let mut m = invite(None, None, b"");
    set_body(&mut m, None, Some(&rel()), true);
    assert_eq!(
        m.get("Content-Type"),
        Some("application/ISUP; version=itu-t92+; base=itu-t92+")
    );
    assert_eq!(
        m.get("Content-Disposition"),
        Some("signal; handling=required")
    );
    assert_eq!(split(&m, true).unwrap().isup, Some(rel()));
    set_body(&mut m, Some(SDP), Some(&rel()), true);
    assert_eq!(m.get("Content-Disposition"), None);
    let got = split(&m, true).unwrap();
    assert_eq!((got.sdp.as_deref(), got.isup), (Some(SDP), Some(rel())));
    set_qsig_body(&mut m, Some(SDP), Some(&RFC3204_SETUP), true);
    assert_eq!(
        split(&m, true).unwrap().qsig.as_deref(),
        Some(&RFC3204_SETUP[..])
    );
    set_body(&mut m, None, None, true);
    assert_eq!((m.get("Content-Type"), m.body.is_empty()), (None, true));
}

// ---------------------------------------------------------------------------------------------
// split of bodies from others

#[test]
fn untrusted_peers_isup_and_qsig_are_ignored_not_refused() {
    let body = multipart(
        "b1",
        &[
            ("Content-Type: application/sdp", SDP),
            (
                "Content-Type: application/ISUP; version=itu-t92+",
                &RFC3204_IAM,
            ),
            (
                "Content-Type: application/QSIG; version=iso",
                &RFC3204_SETUP,
            ),
        ],
    );
    let m = invite(Some("multipart/mixed; boundary=b1"), None, &body);
    let got = split(&m, false).unwrap();
    assert_eq!(got.sdp.as_deref(), Some(SDP));
    assert_eq!((got.isup, got.qsig), (None, None));
    // even malformed or of an unknown version: not looked at
    let body = multipart(
        "b1",
        &[
            ("Content-Type: application/sdp", SDP),
            ("Content-Type: application/ISUP; version=X-Netx", b"\x01"),
            ("Content-Type: application/ISUP; version=itu-t92+", b"\x01"),
        ],
    );
    let m = invite(Some("multipart/mixed; boundary=b1"), None, &body);
    assert_eq!(split(&m, false).unwrap().sdp.as_deref(), Some(SDP));
    // trusted, the same body is refused
    assert!(split(&m, true).is_err());
}

#[test]
fn unknown_isup_version_required_is_415_optional_is_ignored() {
    for (ct, supported) in [
        ("application/ISUP; version=itu-t92+; base=itu-t92+", true),
        ("application/isup; version=ITU-T92+", true),
        ("application/ISUP; version=nxv3; base=itu-t92+", true),
        ("application/ISUP; version=X-NetxProprietaryISUPv3", false),
        ("application/ISUP; version=ansi00", false),
        ("application/ISUP; version=nxv3; base=etsi121", false),
        ("application/ISUP", false),
    ] {
        for disposition in [
            None,
            Some("signal; handling=required"),
            Some("signal; handling=optional"),
            Some("signal;handling=OPTIONAL"),
            Some("signal; handling=later"),
        ] {
            let optional = disposition.is_some_and(|d| d.to_ascii_lowercase().contains("optional"));
            let body = multipart(
                "x",
                &[
                    ("Content-Type: application/sdp", SDP),
                    (
                        &match disposition {
                            Some(d) => format!("Content-Type: {ct}\r\nContent-Disposition: {d}"),
                            None => format!("Content-Type: {ct}"),
                        },
                        &RFC3204_IAM,
                    ),
                ],
            );
            let m = invite(Some("multipart/mixed;boundary=x"), None, &body);
            let got = split(&m, true);
            match (supported, optional) {
                (true, _) => {
                    let got = got.unwrap();
                    assert_eq!(got.isup.unwrap().message_type, MessageType::Iam, "{ct}");
                    assert_eq!(got.sdp.as_deref(), Some(SDP));
                }
                (false, true) => {
                    let got = got.unwrap();
                    assert_eq!((got.sdp.as_deref(), got.isup), (Some(SDP), None), "{ct}");
                }
                (false, false) => {
                    let e = got.unwrap_err();
                    assert_eq!(
                        e,
                        BodyProblem::Unsupported {
                            content_type: ct.to_string()
                        },
                        "{ct} {disposition:?}"
                    );
                    assert_eq!(e.status(), 415);
                    assert_eq!(e.reason_phrase(), "Unsupported Media Type");
                }
            }
        }
    }
}

#[test]
fn accept_lists_what_we_take() {
    let a = accept();
    for t in [
        "application/sdp",
        "application/isup",
        "application/qsig",
        "multipart/mixed",
    ] {
        assert!(a.split(", ").any(|x| x == t), "{t} in {a}");
    }
}

#[test]
fn unknown_part_types() {
    for (disposition, ok) in [
        (None, false),
        (Some("render; handling=required"), false),
        (Some("render; handling=optional"), true),
        (Some("render"), false),
    ] {
        let headers = match disposition {
            Some(d) => format!("Content-Type: text/plain\r\nContent-Disposition: {d}"),
            None => "Content-Type: text/plain".to_string(),
        };
        let body = multipart(
            "x",
            &[("Content-Type: application/sdp", SDP), (&headers, b"hello")],
        );
        let m = invite(Some("multipart/mixed;boundary=x"), None, &body);
        match split(&m, true) {
            Ok(got) => {
                assert!(ok, "{disposition:?}");
                assert_eq!(got.sdp.as_deref(), Some(SDP));
            }
            Err(e) => {
                assert!(!ok, "{disposition:?}");
                assert_eq!(
                    e,
                    BodyProblem::Unsupported {
                        content_type: "text/plain".into()
                    }
                );
            }
        }
    }
    // a single-part body of another type, on the message itself
    let m = invite(Some("application/dtmf-relay"), None, b"Signal=1\r\n");
    assert_eq!(split(&m, true).unwrap_err().status(), 415);
    let m = invite(
        Some("application/dtmf-relay"),
        Some("render;handling=optional"),
        b"Signal=1\r\n",
    );
    assert_eq!(split(&m, true).unwrap(), SipBody::default());
    // a multipart part without Content-Type is text/plain (RFC 2046 5.1)
    let body = multipart(
        "x",
        &[("Content-Type: application/sdp", SDP), ("X-Foo: 1", b"x")],
    );
    let m = invite(Some("multipart/mixed;boundary=x"), None, &body);
    assert_eq!(split(&m, true).unwrap_err().status(), 415);
}

#[test]
fn no_body_gives_nothing() {
    let m = invite(None, None, b"");
    assert_eq!(split(&m, true).unwrap(), SipBody::default());
}

#[test]
fn malformed_isup_required_is_400_optional_is_ignored() {
    // an IAM cut short
    let cut = &RFC3204_IAM[..6];
    for (disposition, refused) in [
        (None, true),
        (Some("signal;handling=required"), true),
        (Some("signal;handling=optional"), false),
    ] {
        let headers = match disposition {
            Some(d) => format!(
                "Content-Type: application/ISUP; version=itu-t92+\r\nContent-Disposition: {d}"
            ),
            None => "Content-Type: application/ISUP; version=itu-t92+".into(),
        };
        let body = multipart(
            "x",
            &[("Content-Type: application/sdp", SDP), (&headers, cut)],
        );
        let m = invite(Some("multipart/mixed;boundary=x"), None, &body);
        match split(&m, true) {
            Err(BodyProblem::Malformed(text)) => {
                assert!(refused);
                assert!(text.starts_with("Malformed ISUP body"), "{text}");
                let e = BodyProblem::Malformed(text);
                assert_eq!(e.status(), 400);
                assert!(!e.reason_phrase().contains(['\r', '\n']));
            }
            Ok(got) => {
                assert!(!refused);
                assert_eq!((got.sdp.as_deref(), got.isup), (Some(SDP), None));
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    // the single-part form, no Content-Disposition: required
    let m = invite(Some("application/ISUP; version=itu-t92+"), None, b"\x01");
    assert_eq!(split(&m, true).unwrap_err().status(), 400);
}

#[test]
fn malformed_qsig_and_unknown_qsig_version() {
    let m = invite(Some("application/QSIG; version=iso"), None, b"\x09\x01");
    assert_eq!(split(&m, true).unwrap_err().status(), 400);
    let m = invite(
        Some("application/QSIG; version=iso"),
        Some("signal;handling=optional"),
        b"\x09\x01",
    );
    assert_eq!(split(&m, true).unwrap(), SipBody::default());
    let m = invite(Some("application/QSIG; version=ecma"), None, &RFC3204_SETUP);
    assert_eq!(split(&m, true).unwrap_err().status(), 415);
    // version absent: iso, the only one registered
    let m = invite(Some("application/QSIG"), None, &RFC3204_SETUP);
    assert_eq!(
        split(&m, true).unwrap().qsig.as_deref(),
        Some(&RFC3204_SETUP[..])
    );
}

#[test]
fn malformed_multipart_is_400() {
    for (ct, body) in [
        // not closed by --b--
        (
            "multipart/mixed;boundary=b",
            b"--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n".to_vec(),
        ),
        // no boundary parameter
        (
            "multipart/mixed",
            b"--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--b--\r\n".to_vec(),
        ),
        // not a media type
        ("application", b"v=0\r\n".to_vec()),
    ] {
        let m = invite(Some(ct), None, &body);
        let e = split(&m, true).unwrap_err();
        assert!(matches!(e, BodyProblem::Malformed(_)), "{ct}: {e:?}");
        assert_eq!(e.status(), 400);
    }
}

#[test]
fn first_sdp_and_first_isup_count() {
    let other = b"v=0\r\no=- 9 9 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n";
    let anm = Message::bare(MessageType::Anm).to_bytes().unwrap();
    let body = multipart(
        "x",
        &[
            ("Content-Type: application/sdp", SDP),
            (
                "Content-Type: application/ISUP; version=itu-t92+",
                &RFC3204_IAM,
            ),
            ("Content-Type: application/sdp", other),
            ("Content-Type: application/ISUP; version=itu-t92+", &anm),
        ],
    );
    let m = invite(Some("multipart/mixed;boundary=x"), None, &body);
    let got = split(&m, true).unwrap();
    assert_eq!(got.sdp.as_deref(), Some(SDP));
    assert_eq!(got.isup.unwrap().message_type, MessageType::Iam);
}

// ---------------------------------------------------------------------------------------------
// RFC 3204's own examples

/// RFC 3204 4.1, with its `version=nxv3; base=etsi121` (folded) or another Content-Type
/// for the ISUP part.
fn rfc3204_isup_example(isup_headers: &str) -> SipMessage {
    let mut body = Vec::new();
    body.extend_from_slice(
        b"--unique-boundary-1\r\nContent-Type: application/SDP; charset=ISO-10646\r\n\r\n\
v=0\r\no=jpeterson 2890844526 2890842807 IN IP4 126.16.64.4\r\ns=SDP seminar\r\n\
c=IN IP4 MG122.level3.com\r\nt= 2873397496  2873404696\r\nm=audio 9092 RTP/AVP 0 3 4\r\n\
--unique-boundary-1\r\n",
    );
    body.extend_from_slice(isup_headers.as_bytes());
    body.extend_from_slice(b"\r\n\r\n");
    body.extend_from_slice(&RFC3204_IAM);
    body.extend_from_slice(b"\r\n--unique-boundary-1--\r\n");
    invite(
        Some("multipart/mixed; boundary=unique-boundary-1"),
        None,
        &body,
    )
}

const RFC3204_SDP: &[u8] = b"v=0\r\no=jpeterson 2890844526 2890842807 IN IP4 126.16.64.4\r\n\
s=SDP seminar\r\nc=IN IP4 MG122.level3.com\r\nt= 2873397496  2873404696\r\nm=audio 9092 RTP/AVP 0 3 4";

#[test]
fn rfc3204_isup_example_as_written_goes_on_without_the_isup() {
    // etsi121 is not a base we decode; handling=optional: the call goes on with the SDP
    let m = rfc3204_isup_example(
        "Content-Type: application/ISUP; version=nxv3;\r\n base=etsi121\r\n\
         Content-Disposition: signal; handling=optional",
    );
    let got = split(&m, true).unwrap();
    assert_eq!(got.sdp.as_deref(), Some(RFC3204_SDP));
    assert_eq!((got.isup, got.qsig), (None, None));
    // the same part with handling=required: 415
    let m = rfc3204_isup_example(
        "Content-Type: application/ISUP; version=nxv3;\r\n base=etsi121\r\n\
         Content-Disposition: signal; handling=required",
    );
    let e = split(&m, true).unwrap_err();
    assert_eq!(e.status(), 415);
    assert!(
        matches!(e, BodyProblem::Unsupported { content_type } if content_type.contains("etsi121"))
    );
}

#[test]
fn rfc3204_isup_example_with_our_base_gives_the_iam() {
    let m = rfc3204_isup_example(
        "Content-Type: application/ISUP; version=nxv3; base=itu-t92+\r\n\
         Content-Disposition: signal; handling=optional",
    );
    let got = split(&m, true).unwrap();
    assert_eq!(got.sdp.as_deref(), Some(RFC3204_SDP));
    let iam = got.isup.expect("the IAM");
    assert_eq!(iam.message_type, MessageType::Iam);
    // the IAM re-encodes to the example's octets
    assert_eq!(iam.to_bytes().unwrap(), RFC3204_IAM);
}

#[test]
fn rfc3204_qsig_example() {
    // RFC 3204 4.2: SDP with a blank line at its end, "Content-type:application/QSIG;
    // version=iso" without space or Content-Disposition (handling=required)
    let mut body = Vec::new();
    body.extend_from_slice(
        b"--unique-boundary-1\r\nContent-Type: application/SDP; charset=ISO-10646\r\n\r\n\
v=0\r\no=audet 2890844526 2890842807 5 IN IP4 134.177.64.4\r\ns=SDP seminar\r\n\
c=IN IP4 MG141.nortelnetworks.com\r\nt= 2873397496 2873404696\r\nm=audio 9092 RTP/AVP 0 3 4\r\n\
\r\n--unique-boundary-1\r\nContent-type:application/QSIG; version=iso\r\n\r\n",
    );
    body.extend_from_slice(&RFC3204_SETUP);
    body.extend_from_slice(b"\r\n--unique-boundary-1--\r\n");
    let m = invite(
        Some("multipart/mixed; boundary=unique-boundary-1"),
        None,
        &body,
    );
    let got = split(&m, true).unwrap();
    assert_eq!(got.qsig.as_deref(), Some(&RFC3204_SETUP[..]));
    let sdp = got.sdp.unwrap();
    assert!(sdp.starts_with(b"v=0\r\no=audet"));
    assert!(sdp.ends_with(b"m=audio 9092 RTP/AVP 0 3 4\r\n"));
    assert_eq!(got.isup, None);
    // from an untrusted peer: the SDP only
    let got = split(&m, false).unwrap();
    assert_eq!((got.sdp.is_some(), got.qsig), (true, None));
}

#[test]
fn part_types_of_what_we_build() {
    // what the codec reads back from our parts
    let b = build_body(Some(SDP), Some(&acm()), true).unwrap();
    let parts =
        sipt_codecs::rfc3204::parse(&b.content_type, b.content_disposition.as_deref(), &b.bytes)
            .unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].part_type(), PartType::Sdp);
    assert_eq!(parts[1].isup_base(), Some(IsupBase::ItuT92Plus));
    assert_eq!(parts[1].handling(), Handling::Optional);
    assert_eq!(parts[1].disposition_type().as_deref(), Some("signal"));
}
