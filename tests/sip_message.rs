//! The SIP message layer: framing (datagram and stream), header unfolding and compact forms,
//! typed headers that round-trip, URIs, builders (RFC 3261 8.1.1, 8.2.6, 9.1, 17.1.1.3) and
//! bodies that stay octets.

use sipt_codecs::rfc3204::{BodyPart, Handling, IsupBase};
use sipt_mgc::sip::message::{
    frame, headers, uri, validate_request, CSeq, Contact, ContentDisposition, Diversion, Framing,
    HistoryInfo, Limits, Message, Method, NameAddr, PAssertedIdentity, ParseError, RAck, Reason,
    Refresher, RouteList, Scheme, SessionExpires, StartLine, Uri, Via,
};

/// The 200 OK of RFC 3665 3.1 (F6) with its folded Via; the body is the RFC's SDP.
const RFC3665_200: &[u8] = b"SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\r\n ;received=192.0.2.101\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n\
To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n\
Call-ID: 3848276298220188511@atlanta.example.com\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:bob@client.biloxi.example.com>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 147\r\n\
\r\n\
v=0\r\n\
o=bob 2890844527 2890844527 IN IP4 client.biloxi.example.com\r\n\
s=-\r\n\
c=IN IP4 192.0.2.201\r\n\
t=0 0\r\n\
m=audio 3456 RTP/AVP 0\r\n\
a=rtpmap:0 PCMU/8000\r\n";

#[test]
fn rfc3665_200_ok_with_folded_via() {
    let m = Message::parse(RFC3665_200).unwrap();
    assert_eq!(m.status(), Some(200));
    let via = m.top_via().unwrap();
    assert_eq!(via.branch().as_deref(), Some("z9hG4bK74bf9"));
    assert_eq!(via.received().as_deref(), Some("192.0.2.101"));
    assert_eq!(via.sent_by(), "client.atlanta.example.com:5060");
    assert_eq!(m.body.len(), 147);
    let again = Message::parse(&m.to_bytes()).unwrap();
    assert_eq!(again, m);
    sipt_mgc::sip::message::validate_response(&m).unwrap();
}

fn isup_octets() -> Vec<u8> {
    (0u8..=255).collect()
}

#[test]
fn binary_isup_part_survives_parse_and_encode_byte_exact() {
    let inv = invite();
    let mut m = inv.clone();
    m.set_body_parts(&[
        BodyPart::sdp(b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n".to_vec()),
        BodyPart::isup(IsupBase::ItuT92Plus, isup_octets(), Handling::Optional),
    ]);
    let wire = m.to_bytes();
    let parsed = Message::parse(&wire).unwrap();
    assert_eq!(parsed.body, m.body);
    assert_eq!(parsed.to_bytes(), wire, "encode(parse(x)) == x");
    let parts = parsed.body_parts().unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[1].body, isup_octets());
    // the boundary chosen occurs in no part
    let ct = parsed.content_type().unwrap().unwrap();
    let boundary = ct.get_param("boundary").unwrap().to_string();
    assert!(!isup_octets()
        .windows(boundary.len())
        .any(|w| w == boundary.as_bytes()));
    // a lone binary body too
    let mut one = inv;
    one.set_body_parts(&[BodyPart::isup(
        IsupBase::ItuT92Plus,
        isup_octets(),
        Handling::Required,
    )]);
    let back = Message::parse(&one.to_bytes()).unwrap();
    assert_eq!(back.body, isup_octets());
    assert_eq!(back.to_bytes(), one.to_bytes());
}

fn invite() -> Message {
    let uri: Uri = "sip:+4930123456@gw-b.example.net;user=phone"
        .parse()
        .unwrap();
    let mut from =
        NameAddr::parse("\"Alice\" <sip:+4940987654@gw-a.example.net;user=phone>").unwrap();
    from.set_tag("a73kszlfl");
    let mut m = Message::request(
        Method::Invite,
        uri.clone(),
        Via::new("UDP", "gw-a.example.net", Some(5060), "z9hG4bK74bf9"),
        from,
        NameAddr::new(uri),
        "3848276298220188511@gw-a",
        314159,
    );
    m.push_header("Contact", "<sip:gw-a.example.net:5060>");
    m.push_header("Route", "<sip:p1.example.net;lr>, <sip:p2.example.net;lr>");
    m
}

#[test]
fn request_builder_meets_rfc3261_8_1_1() {
    let m = invite();
    validate_request(&m).unwrap();
    let back = Message::parse(&m.to_bytes()).unwrap();
    assert_eq!(back, m);
    assert_eq!(m.max_forwards().unwrap(), Some(70));
    assert_eq!(m.from_tag().unwrap().as_deref(), Some("a73kszlfl"));
    assert_eq!(m.to_tag().unwrap(), None);
    assert_eq!(
        m.cseq().unwrap(),
        CSeq {
            seq: 314159,
            method: Method::Invite
        }
    );
    assert_eq!(m.call_id().unwrap(), "3848276298220188511@gw-a");
}

#[test]
fn response_copies_via_from_to_call_id_cseq_and_adds_to_tag() {
    let mut req = invite();
    req.push_header("Via", "SIP/2.0/TCP p1.example.net;branch=z9hG4bKp1");
    req.push_header("Timestamp", "54");
    let r = req.response(180, "Ringing", Some("xyz"));
    assert_eq!(r.status(), Some(180));
    assert_eq!(r.vias().unwrap().len(), 2);
    assert_eq!(r.to_tag().unwrap().as_deref(), Some("xyz"));
    assert_eq!(r.from().unwrap(), req.from().unwrap());
    assert_eq!(r.cseq().unwrap(), req.cseq().unwrap());
    assert_eq!(r.call_id().unwrap(), req.call_id().unwrap());
    assert!(r.get("Route").is_none());
    assert!(r.get("Timestamp").is_none());
    // 100 Trying: no tag, Timestamp copied (RFC 3261 8.2.6.1)
    let t = req.response(100, "Trying", Some("xyz"));
    assert_eq!(t.to_tag().unwrap(), None);
    assert_eq!(t.get("Timestamp"), Some("54"));
}

#[test]
fn ack_and_cancel_follow_17_1_1_3_and_9_1() {
    let mut req = invite();
    req.push_header("Via", "SIP/2.0/TCP p1.example.net;branch=z9hG4bKp1");
    let resp = req.response(486, "Busy Here", Some("b0b"));
    let ack = req.ack_for(&resp).unwrap();
    assert_eq!(ack.method(), Some(&Method::Ack));
    assert_eq!(ack.request_uri(), req.request_uri());
    assert_eq!(ack.vias().unwrap(), vec![req.top_via().unwrap()]);
    assert_eq!(ack.to_tag().unwrap().as_deref(), Some("b0b"));
    assert_eq!(
        ack.cseq().unwrap(),
        CSeq {
            seq: 314159,
            method: Method::Ack
        }
    );
    assert_eq!(
        ack.route_set("Route").unwrap(),
        req.route_set("Route").unwrap()
    );
    let cancel = req.cancel().unwrap();
    assert_eq!(cancel.method(), Some(&Method::Cancel));
    assert_eq!(cancel.to_tag().unwrap(), None);
    assert_eq!(cancel.top_via().unwrap(), req.top_via().unwrap());
    assert_eq!(
        cancel.cseq().unwrap(),
        CSeq {
            seq: 314159,
            method: Method::Cancel
        }
    );
    validate_request(&cancel).unwrap();
    validate_request(&ack).unwrap();
}

#[test]
fn compact_forms_and_folding_and_odd_whitespace() {
    let raw = b"OPTIONS sip:u@h SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:a@h>;tag=1\r\n\
t: sip:u@h\r\ni: x@y\r\nCSeq:\r\n  7\r\n\t OPTIONS\r\nm: *\r\nk: 100rel\r\nl: 0\r\nc: text/plain\r\ne: gzip\r\n\
o: dialog;id=1\r\ns: hi\r\nr: <sip:r@h>\r\nu: dialog\r\nx: 90;refresher=uas\r\nMax-Forwards   :   70  \r\n\r\n";
    let m = Message::parse(raw).unwrap();
    let canon: Vec<&str> = m.headers.iter().map(|h| h.canonical.as_ref()).collect();
    assert_eq!(
        canon,
        [
            "Via",
            "From",
            "To",
            "Call-ID",
            "CSeq",
            "Contact",
            "Supported",
            "Content-Type",
            "Content-Encoding",
            "Event",
            "Subject",
            "Refer-To",
            "Allow-Events",
            "Session-Expires",
            "Max-Forwards"
        ]
    );
    assert_eq!(m.headers[0].name, "v");
    assert_eq!(m.get("CSeq"), Some("7 OPTIONS"));
    assert_eq!(m.cseq().unwrap().seq, 7);
    assert_eq!(m.max_forwards().unwrap(), Some(70));
    assert_eq!(m.contact().unwrap(), Some(Contact::Star));
    let se = SessionExpires::parse(m.get("session-expires").unwrap()).unwrap();
    assert_eq!(se.refresher(), Some(Refresher::Uas));
    validate_request(&m).unwrap();
}

/// parse(value).to_string() parses back to an equal value.
fn round_trip<T: std::fmt::Display + PartialEq + std::fmt::Debug>(
    values: &[&str],
    parse: impl Fn(&str) -> Result<T, sipt_mgc::sip::message::HeaderError>,
) {
    for v in values {
        let a = parse(v).unwrap_or_else(|e| panic!("{v}: {e:?}"));
        let written = a.to_string();
        let b = parse(&written).unwrap_or_else(|e| panic!("{v} -> {written}: {e:?}"));
        assert_eq!(a, b, "{v} -> {written}");
    }
}

#[test]
fn typed_headers_round_trip() {
    round_trip(
        &[
            "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;received=192.0.2.9;rport=5070",
            "SIP / 2.0 / TCP [2001:db8::1]:5061 ;branch=z9hG4bKx;rport;unknown=\"q v\";flag",
            "SIP/2.0/TLS gw.example.net;branch=z9hG4bK1;maddr=224.2.0.1;ttl=16",
        ],
        Via::parse,
    );
    round_trip(
        &[
            "<sip:p1.example.net;lr>, <sip:p2.example.net;lr;ftag=1>",
            "\"Proxy\" <sips:[2001:db8::2]:5061;lr;transport=tls>;x=y",
        ],
        RouteList::parse,
    );
    round_trip(
        &[
            "*",
            "<sip:alice@192.0.2.4>;expires=3600;q=0.7, \"Mr. W\" <sip:w@h>;q=1",
            "sip:bob@h;expires=0",
            "Bob <sip:bob@[::1]:5062;transport=tcp>;+sip.instance=\"<urn:uuid:1>\"",
        ],
        Contact::parse,
    );
    round_trip(
        &[
            "\"J Rosenberg \\\\\\\"\" <sip:jdrosen@example.com>;tag=98asjd8",
            "Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl",
            "sip:+16505552222@ss1.example.net;user=phone",
            "<tel:+1-201-555-0123;phone-context=+1>;tag=x",
            "\"Ünïcödé\" <sip:u@h>;tag=1;unknown",
        ],
        NameAddr::parse,
    );
    round_trip(
        &[
            "\"Cullen Jennings\" <sip:fluffy@cisco.com>",
            "tel:+14085264000, <sip:+14085264000@cisco.com;user=phone>",
        ],
        PAssertedIdentity::parse,
    );
    round_trip(
        &[
            "<tel:+19194671234>;reason=unconditional;counter=1;privacy=off;screen=no",
            "\"Ex\" <sip:3339@pbx.example.com>;reason=user-busy;counter=2, <sip:a@b>;reason=no-answer",
        ],
        Diversion::parse,
    );
    round_trip(
        &[
            "<sip:bob@example.com>;index=1, <sip:bob@192.0.2.4?Reason=SIP%3Bcause%3D302>;index=1.1;rc=1",
            "<sip:office@example.com>;index=1.2;mp=1, <tel:+12345;cause=486>;index=1.3",
        ],
        HistoryInfo::parse,
    );
    round_trip(
        &[
            "Q.850;cause=16;text=\"Terminated\"",
            "SIP;cause=200;text=\"Call completed elsewhere\"",
            "Q.850 ; cause = 34",
        ],
        Reason::parse,
    );
    round_trip(&["4711 314159 INVITE", "1 2 PRACK"], RAck::parse);
    round_trip(
        &["0009 INVITE", "1 NEWMETHOD", "4294967295 BYE"],
        CSeq::parse,
    );
    round_trip(
        &["1800;refresher=uac", "90", "3600;refresher=uas;x"],
        SessionExpires::parse,
    );
    round_trip(
        &[
            "signal;handling=optional",
            "session",
            "render;handling=required;x=\"y z\"",
        ],
        ContentDisposition::parse,
    );
    round_trip(
        &[
            "sip:alice:secret@atlanta.example.com:5060;transport=tcp;lr?subject=project%20x&priority=urgent",
            "sips:[2001:db8::1]:5061;maddr=[2001:db8::2]",
            "tel:+1-201-555-0123",
            "tel:7042;phone-context=example.com",
            "sip:%61lice@h",
            "urn:service:sos",
        ],
        Uri::parse,
    );
}

#[test]
fn typed_header_accessors() {
    let h = HistoryInfo::parse(
        "<sip:bob@example.com>;index=1, <sip:bob@192.0.2.4?Reason=SIP%3Bcause%3D302>;index=1.1, <tel:+12345;cause=486>;index=1.2",
    )
    .unwrap();
    assert_eq!(
        h.indices(),
        vec![Some("1".into()), Some("1.1".into()), Some("1.2".into())]
    );
    assert_eq!(HistoryInfo::cause(&h.0[1]), Some(302));
    assert_eq!(HistoryInfo::cause(&h.0[2]), Some(486));
    let r = Reason::q850(16, Some("Normal \"call\" clearing"));
    assert_eq!(
        r.to_string(),
        "Q.850;cause=16;text=\"Normal \\\"call\\\" clearing\""
    );
    let back = Reason::parse(&r.to_string()).unwrap();
    assert_eq!(back.cause(), Some(16));
    assert_eq!(back.text().as_deref(), Some("Normal \"call\" clearing"));
    assert_eq!(headers::parse_rseq("988789").unwrap(), 988789);
    assert_eq!(
        headers::parse_privacy("id;header ; user").unwrap(),
        ["id", "header", "user"]
    );
    assert_eq!(
        headers::write_privacy(&["id".into(), "critical".into()]),
        "id;critical"
    );
    assert_eq!(
        headers::parse_tokens("100rel, timer,precondition").unwrap(),
        ["100rel", "timer", "precondition"]
    );
    assert_eq!(headers::parse_tokens("").unwrap(), Vec::<String>::new());
    let allow =
        headers::parse_tokens("INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO").unwrap();
    assert_eq!(
        headers::write_tokens(&allow),
        "INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO"
    );
    assert_eq!(headers::parse_max_forwards("70").unwrap(), 70);
    assert!(headers::parse_max_forwards("256").is_err());
    let ct =
        headers::parse_content_type("multipart/mixed ; boundary = \"unique-boundary-1\"").unwrap();
    assert_eq!(ct.get_param("boundary").unwrap(), "unique-boundary-1");
    let cd = ContentDisposition::parse("signal;handling=optional").unwrap();
    assert!(cd.handling_optional());
    let ev = headers::Event::parse("presence;id=7").unwrap();
    assert_eq!(ev.params.value("id").as_deref(), Some("7"));
    let pai =
        PAssertedIdentity::parse("\"Cullen\" <sip:fluffy@cisco.com>, tel:+14085264000").unwrap();
    assert_eq!(pai.0[1].uri.scheme, Scheme::Tel);
    assert_eq!(
        pai.0[1].uri.telephone_number().as_deref(),
        Some("+14085264000")
    );
    let d = Diversion::parse("<tel:+19194671234>;reason=unconditional;counter=1").unwrap();
    assert_eq!(
        d.0[0].params.value("reason").as_deref(),
        Some("unconditional")
    );
    let mut via = Via::parse("SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa;rport").unwrap();
    assert_eq!(via.rport(), Some(None));
    via.set_received("192.0.2.7:40000".parse().unwrap());
    assert_eq!(
        via.to_string(),
        "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa;rport=40000;received=192.0.2.7"
    );
    assert!(via.rfc3261_branch());
}

#[test]
fn uris() {
    let u = Uri::parse("sips:alice:pw@[2001:db8::1]:5061;transport=tls;lr;x=%41?h=v").unwrap();
    assert_eq!(u.scheme, Scheme::Sips);
    assert_eq!(u.password.as_deref(), Some("pw"));
    assert_eq!(u.host, "[2001:db8::1]");
    assert_eq!(u.port, Some(5061));
    assert_eq!(u.transport().as_deref(), Some("tls"));
    assert!(u.lr());
    assert_eq!(u.headers, vec![("h".to_string(), "v".to_string())]);
    let t = Uri::parse("tel:7042;phone-context=example.com").unwrap();
    assert_eq!(t.phone_context().as_deref(), Some("example.com"));
    assert!(
        Uri::parse("tel:7042").is_err(),
        "local number needs phone-context"
    );
    let s = Uri::parse("sip:+1-212-555-1212:1234@gateway.com;user=phone").unwrap();
    assert_eq!(s.telephone_number().as_deref(), Some("+12125551212"));
    assert_eq!(uri::unescape("a%00b%zz"), b"a\0b%zz");
    assert_eq!(uri::escape_user(b"I have\0spaces"), "I%20have%00spaces");
    for bad in [
        "sip:",
        "sip:@h",
        "sip:u@",
        "sip:u@h:99999",
        "sip:u@h:x",
        "sip:u@[::1",
        "sip:u@[zz]",
        "sip:u%4@h",
        "sip:u@h;",
        "<sip:u@h>",
        "sip:u@h?x",
        "1sip:u@h",
        "sip:u@ho st",
    ] {
        assert!(Uri::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn stream_framing_rfc3261_18_3_and_keepalives() {
    let lim = Limits::default();
    let msg = invite().to_bytes();
    assert_eq!(frame(&msg, &lim), Framing::Complete(msg.len()));
    for cut in [1, 10, msg.len() - 1] {
        assert_eq!(frame(&msg[..cut], &lim), Framing::Incomplete, "{cut}");
    }
    let mut two = msg.clone();
    two.extend_from_slice(&msg);
    assert_eq!(frame(&two, &lim), Framing::Complete(msg.len()));
    let mut with_body = invite();
    with_body.body = b"hello".to_vec();
    with_body.push_header("Content-Type", "text/plain");
    let wb = with_body.to_bytes();
    assert_eq!(frame(&wb, &lim), Framing::Complete(wb.len()));
    assert_eq!(frame(&wb[..wb.len() - 2], &lim), Framing::Incomplete);
    // RFC 5626 3.5.1
    assert_eq!(
        frame(b"\r\n\r\nINVITE", &lim),
        Framing::KeepAlive { len: 4, ping: true }
    );
    assert_eq!(
        frame(b"\r\nINVITE", &lim),
        Framing::KeepAlive {
            len: 2,
            ping: false
        }
    );
    assert_eq!(frame(b"\r\n\r", &lim), Framing::Incomplete);
    // no Content-Length on a stream
    let no_cl = b"OPTIONS sip:h SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n";
    assert_eq!(
        frame(no_cl, &lim),
        Framing::Invalid(ParseError::MissingContentLength)
    );
    // compact, folded Content-Length
    let folded = b"OPTIONS sip:h SIP/2.0\r\nl:\r\n 3\r\n\r\nabc";
    assert_eq!(frame(folded, &lim), Framing::Complete(folded.len()));
    // oversize guard
    let small = Limits {
        max_message_size: 100,
    };
    assert!(matches!(
        frame(&msg, &small),
        Framing::Invalid(ParseError::TooLarge { max: 100 })
    ));
    assert!(matches!(
        frame(&[b'A'; 101], &small),
        Framing::Invalid(ParseError::TooLarge { .. })
    ));
    assert!(matches!(
        frame(b"OPTIONS sip:h SIP/2.0\r\nl: 99999999999\r\n\r\n", &lim),
        Framing::Invalid(ParseError::BadContentLength)
    ));
    let e = Message::parse_with(&msg, &small).unwrap_err();
    assert_eq!(
        (e.status(), e.reason_phrase().as_ref()),
        (513, "Message Too Large")
    );
}

#[test]
fn errors_name_the_problem() {
    let cases: &[(&[u8], u16, &str)] = &[
        (
            b"INVITE sip:u@h SIP/3.0\r\n\r\n",
            505,
            "Version Not Supported",
        ),
        (b"INVITE  sip:u@h SIP/2.0\r\n\r\n", 400, "Bad Request-Line"),
        (
            b"INVITE sip:u@h SIP/2.0\r\nBad Header\r\n\r\n",
            400,
            "Bad Header Line",
        ),
        (
            b"INVITE sip:u@h SIP/2.0\r\nX: \xff\r\n\r\n",
            400,
            "Bad Header Encoding",
        ),
        (
            b"INVITE sip:u@h SIP/2.0\r\nl: 5\r\n\r\nab",
            400,
            "Content-Length Too Large",
        ),
        (b"SIP/2.0 99 Low\r\n\r\n", 400, "Bad Status-Line"),
        (b"garbage", 400, "Incomplete Headers"),
    ];
    for (raw, status, phrase) in cases {
        let e = Message::parse(raw).unwrap_err();
        assert_eq!(
            (e.status(), e.reason_phrase().as_ref()),
            (*status, *phrase),
            "{e:?}"
        );
    }
    let m = Message::parse(b"INVITE sip:u@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:u@h>\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: c\r\nCSeq: 1 BYE\r\n\r\n").unwrap();
    let e = validate_request(&m).unwrap_err();
    assert_eq!(e.reason_phrase(), "CSeq Method Mismatch");
    let m = Message::parse(b"INVITE sip:u@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:u@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n").unwrap();
    assert_eq!(
        validate_request(&m).unwrap_err().reason_phrase(),
        "Missing From"
    );
}

#[test]
fn body_octets_are_never_text() {
    let mut m = Message::parse(b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n").unwrap();
    assert!(matches!(m.start, StartLine::Response { status: 200, .. }));
    m.body = vec![0xff, 0xfe, 0x00, 0x80, b'\r', b'\n'];
    let wire = m.to_bytes();
    assert!(wire.ends_with(&[0xff, 0xfe, 0x00, 0x80, b'\r', b'\n']));
    assert_eq!(Message::parse(&wire).unwrap(), m);
}

/// The RFC 3204 4.1 SIP-T INVITE of fixtures/codecs/sipt.toml (values there read off tshark):
/// parsed by our framing, its ISUP part comes out as the 60 octets tshark decoded, and the
/// message re-encodes with the body byte-exact.
#[test]
fn rfc3204_sipt_invite_fixture() {
    let path = format!("{}/fixtures/codecs/sipt.toml", env!("CARGO_MANIFEST_DIR"));
    let table: toml::Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let vectors = table["vector"].as_array().unwrap();
    let v = vectors
        .iter()
        .find(|v| v["name"].as_str() == Some("rfc3204-4.1-invite-isup-iam"))
        .unwrap();
    let hex_text: String = v["hex"]
        .as_str()
        .unwrap()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let raw = hex::decode(hex_text).unwrap();
    let m = Message::parse(&raw).unwrap();
    validate_request(&m).unwrap();
    assert_eq!(m.method(), Some(&Method::Invite));
    let parts = m.body_parts().unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[1].body.len(), 60);
    assert_eq!(parts[1].body[0], 0x01, "IAM");
    assert_eq!(parts[1].isup_base(), Some(IsupBase::Etsi121));
    let again = Message::parse(&m.to_bytes()).unwrap();
    assert_eq!(again, m);
    assert_eq!(again.body, m.body);
}

#[test]
fn header_editing_keeps_order() {
    let mut m = invite();
    m.push_header("Supported", "100rel");
    m.push_header("Supported", "timer");
    m.set_header("supported", "100rel, timer");
    assert_eq!(
        m.get_all("Supported").collect::<Vec<_>>(),
        ["100rel, timer"]
    );
    let pos = m.headers.iter().position(|h| h.is("Supported")).unwrap();
    assert_eq!(pos, m.headers.len() - 1);
    m.set_header("k", "replaces");
    assert_eq!(m.get("Supported"), Some("replaces"));
    m.remove_header("Supported");
    assert!(m.get("k").is_none());
    m.set_header("RSeq", "1");
    assert_eq!(headers::parse_rseq(m.get("RSeq").unwrap()).unwrap(), 1);
}
