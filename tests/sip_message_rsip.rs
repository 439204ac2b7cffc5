//! rsip 0.4.0 evaluated against our URI and name-addr parsers (issue 4 asks which to use).
//!
//! Where rsip is right — plain sip URIs with user, host, port and parameters, escaped users,
//! name-addr display names and tags — it serves here as an independent oracle for ours.
//! Where it is wrong, the tests below pin what it does, which is why `uri.rs` and
//! `headers.rs` are ours and rsip is only a dev-dependency:
//! - URI headers (`?to=...`) are parsed into nothing and dropped on writing;
//! - tel URIs (RFC 3966), IPv6 references and other schemes (urn:) fail to parse;
//! - a user part holding `?`, `/` or `;` (RFC 4475 3.1.1.2 and 3.1.1.9) is read as the host;
//! - `transport=tcp` is rewritten `transport=TCP`;
//! - in the addr-spec form it takes `;user=phone;tag=1` as URI parameters, where RFC 3261
//!   20.10 makes them header parameters;
//! - bodies are written back as text (octets >= 0x80 change), and a folded Via (RFC 3665 3.1
//!   F6) fails to parse.

use rsip::headers::UntypedHeader;
use sipt_mgc::sip::message::{Message, NameAddr, Uri};
use std::convert::TryFrom;

#[test]
fn where_rsip_is_right_it_agrees_with_ours() {
    for s in [
        "sip:alice@atlanta.example.com:5060;transport=tcp",
        "sip:%61lice@h",
        "sip:vivekg@chair-dnrc.example.com;unknownparam",
        "sips:bob@biloxi.example.com;lr",
        "sip:+4930123456@gw.example.net:5070;user=phone",
    ] {
        let theirs = rsip::Uri::try_from(s).unwrap();
        let ours = Uri::parse(s).unwrap();
        assert_eq!(theirs.user(), ours.user.as_deref(), "{s}");
        assert_eq!(theirs.host().to_string(), ours.host, "{s}");
        assert_eq!(theirs.port().map(|p| *p.value()), ours.port, "{s}");
        assert_eq!(theirs.params.len(), ours.params.0.len(), "{s}");
    }
    for (s, display, tag) in [
        (
            "\"J Rosenberg \\\\\\\"\" <sip:jdrosen@example.com>;tag=98asjd8",
            "\"J Rosenberg \\\\\\\"\"",
            "98asjd8",
        ),
        (
            "Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl",
            "Alice",
            "9fxced76sl",
        ),
        ("caller<sip:caller@example.com>;tag=323", "caller", "323"),
    ] {
        let theirs = rsip::typed::From::try_from(rsip::headers::From::new(s)).unwrap();
        let ours = NameAddr::parse(s).unwrap();
        assert_eq!(theirs.display_name.as_deref(), Some(display));
        assert_eq!(ours.display.as_deref(), Some(display));
        assert_eq!(theirs.uri.to_string(), ours.uri.to_string());
        assert_eq!(ours.tag().as_deref(), Some(tag));
        assert!(theirs
            .params
            .iter()
            .any(|p| p.to_string() == format!(";tag={tag}")));
    }
}

#[test]
fn where_rsip_is_wrong_ours_is_used() {
    // URI headers dropped
    let s = "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com";
    assert_eq!(
        rsip::Uri::try_from(s).unwrap().to_string(),
        "sip:biloxi.com;transport=TCP;method=REGISTER"
    );
    assert_eq!(Uri::parse(s).unwrap().to_string(), s);
    // tel, IPv6, other schemes
    for s in [
        "tel:+1-201-555-0123;phone-context=+1",
        "sips:alice@[2001:db8::1]:5061;lr",
        "urn:service:sos",
    ] {
        assert!(rsip::Uri::try_from(s).is_err(), "{s}");
        assert_eq!(Uri::parse(s).unwrap().to_string(), s);
    }
    // user parts with ?, / and ; read as the host
    for (s, user) in [
        (
            "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
            "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*",
        ),
        ("sip:user;par=u%40example.net@example.com", "user;par=u%40example.net"),
    ] {
        let theirs = rsip::Uri::try_from(s).unwrap();
        assert_ne!(theirs.host().to_string(), "example.com", "{s}");
        let ours = Uri::parse(s).unwrap();
        assert_eq!((ours.user.as_deref(), ours.host.as_str()), (Some(user), "example.com"));
    }
    // addr-spec parameters are header parameters (RFC 3261 20.10)
    let s = "sip:+16505552222@ss1.example.net;user=phone;tag=1";
    let theirs = rsip::typed::To::try_from(rsip::headers::To::new(s)).unwrap();
    assert!(theirs.params.iter().any(|p| p.to_string() == ";user=phone"));
    let ours = NameAddr::parse(s).unwrap();
    assert!(ours.uri.params.0.is_empty());
    assert_eq!(ours.params.value("user").as_deref(), Some("phone"));
    // binary body and folded Via
    let bin: Vec<u8> = (0u8..=255).collect();
    let mut raw = b"MESSAGE sip:u@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:u@h>\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\nContent-Length: 256\r\n\r\n".to_vec();
    raw.extend_from_slice(&bin);
    let theirs = rsip::SipMessage::try_from(raw.as_slice()).unwrap();
    assert!(!theirs.to_string().into_bytes().ends_with(&bin));
    assert!(Message::parse(&raw).unwrap().to_bytes().ends_with(&bin));
    let folded = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\r\n ;received=192.0.2.101\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:u@h>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    assert!(rsip::SipMessage::try_from(&folded[..]).is_err());
    assert!(Message::parse(folded).is_ok());
}
