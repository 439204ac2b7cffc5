#![no_main]
//! Facility IE contents (protocol profile octet, then BER APDUs): decoding never panics; the
//! IE keeps its octets; a decoded view, encoded in DER, decodes to the same view.
use libfuzzer_sys::fuzz_target;
use sipt_codecs::qsig::{Facility, FacilityContents};

fuzz_target!(|data: &[u8]| {
    let f = Facility::from_octets(data.to_vec());
    assert_eq!(f.octets(), data);
    if let Ok(c) = FacilityContents::decode(data, 0) {
        let mut der = Vec::new();
        c.encode_der(&mut der).expect("a decoded view encodes");
        let back = FacilityContents::decode(&der, 0).expect("DER of a view decodes");
        assert_eq!(back, c);
        // DER is canonical: encoding the view again gives the same octets.
        let mut der2 = Vec::new();
        back.encode_der(&mut der2).expect("encodes");
        assert_eq!(der2, der);
    }
});
