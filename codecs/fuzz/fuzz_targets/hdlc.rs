#![no_main]
//! The `serial` transport deframer: any octets in any chunking never panic; every frame it
//! yields is within its limits and, re-encoded, deframes back to the same frame; the counters
//! only grow.
use libfuzzer_sys::fuzz_target;
use sipt_codecs::hdlc::{self, Deframer};

fuzz_target!(|data: &[u8]| {
    // The first octet chooses the chunk size and the length limit; the rest is the stream.
    let Some((&knob, stream)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(knob & 0x1F) + 1;
    let max = if knob & 0x80 != 0 { 16 } else { 300 };
    let mut d = Deframer::new(1, max);
    let mut last = d.counters();
    for c in stream.chunks(chunk) {
        d.push(c);
        let now = d.counters();
        assert!(now.frames >= last.frames && now.bad_fcs >= last.bad_fcs);
        assert!(now.aborts >= last.aborts && now.too_long >= last.too_long);
        assert!(now.runts >= last.runts && now.hunt_octets >= last.hunt_octets);
        last = now;
        while let Some(frame) = d.pop() {
            assert!(!frame.is_empty() && frame.len() <= max);
            let mut wire = Vec::new();
            hdlc::encode_frame(&frame, &mut wire);
            let mut again = Deframer::new(1, max);
            again.push(&wire);
            assert_eq!(again.pop().as_deref(), Some(&frame[..]));
            assert_eq!(again.pop(), None);
        }
    }
});
