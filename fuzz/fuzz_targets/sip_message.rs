#![no_main]
//! SIP message parser and stream framer: arbitrary octets never panic; whatever parses
//! survives encode -> parse unchanged, and its encoding frames as one whole message.
use libfuzzer_sys::fuzz_target;
use sipt_mgc::sip::message::{
    frame, validate_request, validate_response, Framing, Limits, Message,
};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let _ = frame(data, &limits);
    let Ok(m) = Message::parse(data) else { return };
    let _ = if m.is_request() {
        validate_request(&m)
    } else {
        validate_response(&m)
    };
    let _ = m.vias();
    let _ = m.contact();
    let _ = m.route_set("Record-Route");
    let _ = m.from();
    let _ = m.to();
    let wire = m.to_bytes();
    let again = Message::parse(&wire).expect("an encoded message parses");
    assert_eq!(again, m);
    if wire.len() <= limits.max_message_size {
        assert_eq!(frame(&wire, &limits), Framing::Complete(wire.len()));
    }
});
