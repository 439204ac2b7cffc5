//! RFC 4475 torture messages (fixtures/sip/torture, byte-exact from the RFC's archive).
//!
//! - 3.1.1 valid messages: parse, pass `validate_request`/`validate_response`, give the typed
//!   values the RFC describes, and survive encode + parse unchanged.
//! - 3.1.2 invalid messages: rejected, each by the layer that can tell (the parser, or
//!   `validate_*` — the RFC 3261 8.1.1/8.2 checks a UAS runs before the transaction user).
//! - 3.1.3/3.2 messages are syntactically valid: the parser accepts them and the test checks
//!   the fact the transaction user acts on (420 for unknown Require, 416 for an unknown
//!   scheme, 483 for Max-Forwards 0, dropping a response with a broadcast Via, ...).

use sipt_mgc::sip::message::{
    headers, uri::unescape, validate_request, validate_response, Contact, HeaderError, Message,
    Method, ParseError, Scheme,
};

fn load(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/fixtures/sip/torture/{name}.dat",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn valid(name: &str) -> Message {
    let m = Message::parse(&load(name)).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let v = if m.is_request() {
        validate_request(&m)
    } else {
        validate_response(&m)
    };
    v.unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let again = Message::parse(&m.to_bytes()).unwrap_or_else(|e| panic!("{name} re-parse: {e:?}"));
    assert_eq!(again, m, "{name}: encode + parse changed the message");
    m
}

const VALID: &[&str] = &[
    "wsinv",
    "intmeth",
    "esc01",
    "escnull",
    "esc02",
    "lwsdisp",
    "longreq",
    "dblreq",
    "semiuri",
    "transports",
    "mpart01",
    "unreason",
    "noreason",
];

#[test]
fn every_valid_message_parses_validates_and_round_trips() {
    for name in VALID {
        valid(name);
    }
}

#[test]
fn wsinv_short_tortuous_invite() {
    // RFC 4475 3.1.1.1
    let m = valid("wsinv");
    assert_eq!(m.method(), Some(&Method::Invite));
    assert!(m.request_uri().unwrap().params.contains("unknownparam"));
    let to = m.to().unwrap();
    assert_eq!(to.tag().as_deref(), Some("1918181833n"));
    let from = m.from().unwrap();
    assert_eq!(from.display_name().as_deref(), Some("J Rosenberg \\\""));
    assert_eq!(from.tag().as_deref(), Some("98asjd8"));
    assert_eq!(m.max_forwards().unwrap(), Some(68));
    let cseq = m.cseq().unwrap();
    assert_eq!((cseq.seq, &cseq.method), (9, &Method::Invite));
    let vias = m.vias().unwrap();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[0].transport, "UDP");
    assert_eq!(vias[0].host, "192.0.2.2");
    assert_eq!(vias[0].branch().as_deref(), Some("390skdjuw"));
    assert_eq!(vias[1].transport, "TCP");
    assert_eq!(vias[1].host, "spindle.example.com");
    assert_eq!(vias[1].branch().as_deref(), Some("z9hG4bK9ikj8"));
    assert_eq!(vias[2].host, "192.168.255.111");
    assert_eq!(vias[2].branch().as_deref(), Some("z9hG4bK30239"));
    assert_eq!(m.get("Subject"), Some(""));
    assert_eq!(
        m.get("NewFangledHeader"),
        Some("newfangled value continued newfangled value")
    );
    assert_eq!(m.get("UnknownHeaderWithUnusualValue"), Some(";;,,;;,;"));
    let Some(Contact::List(c)) = m.contact().unwrap() else {
        panic!("contact")
    };
    assert_eq!(c[0].display_name().as_deref(), Some("Quoted string \"\""));
    assert_eq!(Contact::q(&c[0]), Some(330));
    assert_eq!(c[0].params.value("newparam").as_deref(), Some("newvalue"));
    assert!(c[0].params.contains("secondparam"));
    let route = m.route_set("Route").unwrap();
    assert!(route[0].uri.lr());
    assert_eq!(m.body.len(), 150);
    // compact forms were expanded, names as received kept
    assert!(m.get("Content-Length").is_none(), "framing, not kept");
    let v = m.headers.iter().find(|h| h.name == "v").unwrap();
    assert_eq!(v.canonical, "Via");
    assert_eq!(
        m.headers.iter().find(|h| h.name == "m").unwrap().canonical,
        "Contact"
    );
}

#[test]
fn intmeth_wide_range_of_valid_characters() {
    // RFC 4475 3.1.1.2
    let m = valid("intmeth");
    assert_eq!(
        m.method(),
        Some(&Method::Extension(
            "!interesting-Method0123456789_*+`.%indeed'~".into()
        ))
    );
    let uri = m.request_uri().unwrap();
    assert_eq!(
        uri.user.as_deref(),
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    assert_eq!(
        uri.password.as_deref(),
        Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
    );
    assert_eq!(
        m.top_via().unwrap().branch().as_deref(),
        Some("z9hG4bK-.!%66*_+`'~")
    );
    assert_eq!(m.from().unwrap().tag().as_deref(), Some("_token~1'+`*%!-."));
    assert_eq!(
        m.call_id().unwrap(),
        "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    );
    assert_eq!(m.max_forwards().unwrap(), Some(255));
}

#[test]
fn esc01_escnull_esc02_escaping() {
    // RFC 4475 3.1.1.3
    let m = valid("esc01");
    let uri = m.request_uri().unwrap();
    assert_eq!(uri.user_octets().unwrap(), b"sips:user@example.com");
    assert_eq!(m.to().unwrap().uri.user_octets().unwrap(), b"user");
    assert_eq!(
        m.from().unwrap().uri.user_octets().unwrap(),
        b"I have spaces"
    );
    assert_eq!(
        m.top_via().unwrap().branch().as_deref(),
        Some("z9hG4bKkdjuw")
    );
    // 3.1.1.4: %00 in the user part is legal and decodes to a NUL octet
    let m = valid("escnull");
    assert!(m.to().unwrap().uri.user_octets().unwrap().contains(&0u8));
    // 3.1.1.5: `%` in a method is no escape: RE%47IST%45R is an unknown method (501)
    let m = valid("esc02");
    assert_eq!(m.method(), Some(&Method::Extension("RE%47IST%45R".into())));
    let contact = m.contact().unwrap().unwrap();
    let Contact::List(c) = contact else { panic!() };
    assert!(!c.is_empty());
}

#[test]
fn lwsdisp_longreq_dblreq_semiuri_transports() {
    // 3.1.1.6 no LWS between display name and <
    let m = valid("lwsdisp");
    assert_eq!(m.from().unwrap().display_name().as_deref(), Some("caller"));
    // 3.1.1.7 long values
    let m = valid("longreq");
    assert!(m.vias().unwrap().len() >= 22);
    assert!(m.to().unwrap().display_name().unwrap().len() > 80);
    assert!(m.from().unwrap().uri.user.unwrap().len() > 100);
    // 3.1.1.8 extra trailing octets in a UDP datagram are dropped by Content-Length
    let raw = load("dblreq");
    let m = valid("dblreq");
    assert!(m.to_bytes().len() < raw.len());
    assert_eq!(m.body.len(), 0);
    // 3.1.1.9 semicolon-separated parameters in the user part
    let m = valid("semiuri");
    assert_eq!(
        m.request_uri().unwrap().user.as_deref(),
        Some("user;par=u%40example.net")
    );
    assert_eq!(m.request_uri().unwrap().host, "example.com");
    // 3.1.1.10 unknown transports
    let m = valid("transports");
    let t: Vec<String> = m.vias().unwrap().into_iter().map(|v| v.transport).collect();
    assert!(t.iter().any(|t| t == "UNKNOWN"), "{t:?}");
}

#[test]
fn mpart01_binary_part_survives() {
    // 3.1.1.11: multipart body with a binary part; parts come back byte-exact
    let raw = load("mpart01");
    let m = valid("mpart01");
    let body_at = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(&m.body[..], &raw[body_at..body_at + m.body.len()]);
    let parts = m.body_parts().unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].content_type, "text/plain");
    assert_eq!(parts[1].content_type, "application/octet-stream");
    assert!(parts[1].body.iter().any(|b| !b.is_ascii()));
}

#[test]
fn unreason_noreason_reason_phrases() {
    // 3.1.1.12 UTF-8 reason phrase
    let m = valid("unreason");
    assert_eq!(m.status(), Some(200));
    let sipt_mgc::sip::message::StartLine::Response { reason, .. } = &m.start else {
        panic!()
    };
    assert!(!reason.is_ascii());
    // 3.1.1.13 empty reason phrase
    let m = valid("noreason");
    let sipt_mgc::sip::message::StartLine::Response { reason, .. } = &m.start else {
        panic!()
    };
    assert_eq!(reason, "");
}

/// Which layer rejects an invalid message.
enum By {
    Parser(fn(&ParseError) -> bool),
    Validate(fn(&ParseError) -> bool),
}

fn bad_header(n: &'static str) -> impl Fn(&ParseError) -> bool {
    move |e| matches!(e, ParseError::BadHeader { name, .. } if *name == n)
}

#[test]
fn every_invalid_message_is_rejected_by_the_layer_that_can_tell() {
    use By::*;
    let table: &[(&str, By)] = &[
        // 3.1.2.1 extraneous separators in Via and Contact
        (
            "badinv01",
            Validate(|e| matches!(e, ParseError::BadHeader { name: "Via", .. })),
        ),
        // 3.1.2.2 Content-Length larger than the datagram
        ("clerr", Parser(|e| *e == ParseError::ContentLengthTooLarge)),
        // 3.1.2.3 negative Content-Length
        ("ncl", Parser(|e| *e == ParseError::BadContentLength)),
        // 3.1.2.4 CSeq beyond 2**32-1, Max-Forwards beyond 255
        (
            "scalar02",
            Validate(|e| matches!(e, ParseError::BadHeader { name: "CSeq", .. })),
        ),
        // 3.1.2.5 response with an overlarge CSeq
        (
            "scalarlg",
            Validate(|e| matches!(e, ParseError::BadHeader { name: "CSeq", .. })),
        ),
        // 3.1.2.6 unterminated quote in To
        (
            "quotbal",
            Validate(|e| {
                *e == ParseError::BadHeader {
                    name: "To",
                    error: HeaderError::UnterminatedQuote,
                }
            }),
        ),
        // 3.1.2.7 Request-URI in <>
        (
            "ltgtruri",
            Parser(|e| matches!(e, ParseError::BadRequestUri(_))),
        ),
        // 3.1.2.8 LWS in the Request-URI
        ("lwsruri", Parser(|e| *e == ParseError::BadRequestLine)),
        // 3.1.2.9 several SP between Request-Line elements
        ("lwsstart", Parser(|e| *e == ParseError::BadRequestLine)),
        // 3.1.2.10 SP at the end of the Request-Line
        ("trws", Parser(|e| *e == ParseError::BadRequestLine)),
        // 3.1.2.11 headers in the Request-URI
        (
            "escruri",
            Parser(|e| matches!(e, ParseError::BadRequestUri(_))),
        ),
        // 3.1.2.12 Date not in GMT
        (
            "baddate",
            Validate(|e| matches!(e, ParseError::BadHeader { name: "Date", .. })),
        ),
        // 3.1.2.13 addr-spec with '?' not in <>
        (
            "regbadct",
            Validate(|e| {
                matches!(
                    e,
                    ParseError::BadHeader {
                        name: "Contact",
                        ..
                    }
                )
            }),
        ),
        // 3.1.2.14 LWS inside <>
        (
            "badaspec",
            Validate(|e| matches!(e, ParseError::BadHeader { name: "To", .. })),
        ),
        // 3.1.2.15 non-token characters in an unquoted display name
        (
            "baddn",
            Validate(|e| {
                matches!(
                    e,
                    ParseError::BadHeader {
                        name: "From" | "To",
                        ..
                    }
                )
            }),
        ),
        // 3.1.2.16 SIP/7.0 (505)
        ("badvers", Parser(|e| *e == ParseError::BadVersion)),
        // 3.1.2.17 CSeq method differs from the Request-Line
        (
            "mismatch01",
            Validate(|e| *e == ParseError::CSeqMethodMismatch),
        ),
        // 3.1.2.18 unknown method with a CSeq method mismatch (400, not 501)
        (
            "mismatch02",
            Validate(|e| *e == ParseError::CSeqMethodMismatch),
        ),
        // 3.1.2.19 overlarge status code
        ("bigcode", Parser(|e| *e == ParseError::BadStatusLine)),
        // 3.2.1 missing To, From, Call-ID, Max-Forwards
        (
            "insuf",
            Validate(|e| matches!(e, ParseError::MissingHeader(_))),
        ),
        // 3.2.8 several values in single-value fields
        (
            "multi01",
            Validate(|e| matches!(e, ParseError::MultipleHeader(_))),
        ),
        // 3.2.9 several Content-Length values
        ("mcl01", Parser(|e| *e == ParseError::MultipleContentLength)),
    ];
    for (name, by) in table {
        let parsed = Message::parse(&load(name));
        match by {
            Parser(ok) => {
                let e = parsed.expect_err(name);
                assert!(ok(&e), "{name}: rejected for {e:?}");
                assert!(e.status() >= 400, "{name}");
                assert!(!e.reason_phrase().is_empty());
            }
            Validate(ok) => {
                let m = parsed.unwrap_or_else(|e| panic!("{name} should parse: {e:?}"));
                let e = if m.is_request() {
                    validate_request(&m)
                } else {
                    validate_response(&m)
                }
                .expect_err(name);
                assert!(ok(&e), "{name}: rejected for {e:?}");
                assert!(!e.reason_phrase().is_empty());
            }
        }
    }
    let _ = bad_header("Via");
}

#[test]
fn the_transaction_users_cases_parse_and_expose_what_it_needs() {
    // 3.1.3.1 branch "z9hG4bK" alone: valid syntax; the transaction layer copes.
    let m = valid("badbranch");
    assert_eq!(m.top_via().unwrap().branch().as_deref(), Some("z9hG4bK"));
    // 3.2.2 unknown Request-URI scheme: the TU answers 416.
    let m = valid("unkscm");
    assert!(matches!(m.request_uri().unwrap().scheme, Scheme::Other(_)));
    // 3.2.3 new scheme in the Request-URI, sip elsewhere.
    let m = valid("novelsc");
    assert!(matches!(m.request_uri().unwrap().scheme, Scheme::Other(_)));
    // 3.2.4 unknown schemes in header fields.
    valid("unksm2");
    // 3.2.5 Require / Proxy-Require with unknown option tags: the TU answers 420.
    let m = valid("bext01");
    let req = headers::parse_tokens(m.get("Require").unwrap()).unwrap();
    assert_eq!(req, ["nothingSupportsThis", "nothingSupportsThisEither"]);
    // 3.2.6 unknown Content-Type: 415 from the TU.
    let m = valid("invut");
    assert!(m.content_type().unwrap().is_some());
    // 3.2.7 unknown authorization scheme: the value stays a string for the auth layer.
    let m = valid("regaut01");
    assert!(m.get("Authorization").is_some());
    // 3.2.10 200 OK with a broadcast Via below the top one: the proxy drops it.
    let m = valid("bcast");
    assert_eq!(m.vias().unwrap()[1].host, "255.255.255.255");
    // 3.2.11 Max-Forwards 0: an OPTIONS the UAS may answer, a proxy returns 483.
    let m = valid("zeromf");
    assert_eq!(m.max_forwards().unwrap(), Some(0));
    // 3.2.12-14 REGISTER Contacts with params, url-params, escaped headers.
    for name in ["cparam01", "cparam02", "regescrt"] {
        let m = valid(name);
        assert!(m.contact().unwrap().is_some(), "{name}");
    }
    // 3.2.15 unacceptable Accept: the TU answers 406/415.
    valid("sdp01");
    // 3.3.1 RFC 2543 INVITE without branch (nor Max-Forwards, which only RFC 3261 UACs add).
    let m = valid("inv2543");
    assert_eq!(m.top_via().unwrap().branch(), None);
    let _ = unescape("%41");
}
