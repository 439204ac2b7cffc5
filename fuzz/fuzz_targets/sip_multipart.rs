#![no_main]
//! Bodies of SIP messages as parts: the input is a message (headers give Content-Type);
//! reading its parts never panics, and parts set back into a message come out byte-exact.
use libfuzzer_sys::fuzz_target;
use sipt_mgc::sip::message::Message;

fuzz_target!(|data: &[u8]| {
    let mut raw = b"MESSAGE sip:u@h SIP/2.0\r\n".to_vec();
    raw.extend_from_slice(data);
    let Ok(m) = Message::parse(&raw) else { return };
    let Ok(parts) = m.body_parts() else { return };
    if parts.is_empty() {
        return;
    }
    let mut built = m.clone();
    built.set_body_parts(&parts);
    let again = Message::parse(&built.to_bytes()).expect("a message we built parses");
    let back = again.body_parts().expect("a body we built parses");
    assert_eq!(back.len(), parts.len());
    for (a, b) in back.iter().zip(&parts) {
        assert_eq!(a.body, b.body);
    }
});
