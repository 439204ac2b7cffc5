//! Properties of the SIP message layer: no input panics the parser or the framer; a generated
//! message survives encode + parse unchanged (headers, typed values and body octets).

use proptest::prelude::*;
use sipt_mgc::sip::message::{
    frame, validate_request, Framing, Limits, Message, Method, NameAddr, Uri, Via,
};

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = frame(&bytes, &Limits::default());
        if let Ok(m) = Message::parse(&bytes) {
            let _ = validate_request(&m);
            let _ = m.vias();
            let _ = m.contact();
            let _ = m.body_parts();
            let _ = Message::parse(&m.to_bytes());
        }
    }

    #[test]
    fn sip_looking_bytes_never_panic(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("Via: SIP/2.0/UDP h;branch=z9hG4bK1".to_string()),
                Just("To: <sip:u@h>".to_string()),
                Just("From: \"x\" <sip:a@h>;tag=1".to_string()),
                Just("CSeq: 1 INVITE".to_string()),
                Just("l: 3".to_string()),
                Just(" folded".to_string()),
                "[ -~]{0,40}",
                "[:;,<>\"@ \\[\\]%=?0-9a-z]{0,30}",
            ],
            0..12,
        ),
        body in proptest::collection::vec(any::<u8>(), 0..20),
    ) {
        let mut raw = b"INVITE sip:u@h SIP/2.0\r\n".to_vec();
        for l in &lines {
            raw.extend_from_slice(l.as_bytes());
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(b"\r\n");
        raw.extend_from_slice(&body);
        let _ = frame(&raw, &Limits::default());
        if let Ok(m) = Message::parse(&raw) {
            let _ = validate_request(&m);
            let _ = m.from();
            let _ = m.to();
            let _ = m.top_via();
            let _ = m.route_set("Route");
            let again = Message::parse(&m.to_bytes());
            prop_assert!(again.is_ok());
        }
    }

    #[test]
    fn generated_messages_round_trip(
        user in "[a-zA-Z0-9_.!~*'()%&=+$,;?/-]{1,12}",
        host in "[a-z][a-z0-9-]{0,10}(\\.[a-z]{2,5}){0,2}",
        port in proptest::option::of(1u16..),
        display in proptest::option::of("[ -~]{0,16}"),
        tag in "[a-zA-Z0-9.!%*_+`'~-]{1,10}",
        branch in "z9hG4bK[a-zA-Z0-9]{1,10}",
        cseq in any::<u32>(),
        extra in proptest::collection::vec(("X-[A-Za-z]{1,8}", "[!-~]([ -~]{0,20}[!-~])?"), 0..4),
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let user = user.replace('%', "%25");
        let uri = Uri::parse(&format!("sip:{user}@{host}")).unwrap();
        let mut from = NameAddr::new(Uri::sip(Some("a"), &host, port));
        if let Some(d) = &display {
            from.set_display_name(d);
        }
        from.set_tag(&tag);
        let mut m = Message::request(
            Method::Invite,
            uri.clone(),
            Via::new("TCP", &host, port, &branch),
            from.clone(),
            NameAddr::new(uri),
            "call@h",
            cseq,
        );
        for (n, v) in &extra {
            m.push_header(n, v.clone());
        }
        m.body = body;
        let wire = m.to_bytes();
        prop_assert_eq!(frame(&wire, &Limits::default()), Framing::Complete(wire.len()));
        let back = Message::parse(&wire).unwrap();
        prop_assert_eq!(&back, &m);
        prop_assert_eq!(back.from().unwrap(), from);
        prop_assert_eq!(back.cseq().unwrap().seq, cseq);
        prop_assert_eq!(back.top_via().unwrap().branch(), Some(branch));
        validate_request(&back).unwrap();
    }
}
