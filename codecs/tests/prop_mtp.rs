//! Property tests of MTP2, MTP3 and the HDLC framing: decoding any input never panics and every
//! successful decode encodes back to the input; typed values generated at random encode,
//! decode to themselves and encode to the same octets again; framing survives any chunking.
//!
//! The generators in [`gen`] are also used by tshark_mtp.rs.

use proptest::prelude::*;
use sipt_codecs::hdlc::{self, Deframer};
use sipt_codecs::mtp2::SignalUnit;
use sipt_codecs::mtp3::Msu;

/// Generators of valid typed values.
pub mod gen {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use sipt_codecs::mtp2::{Body, LinkStatus, SignalUnit, StatusField, MAX_MSU_LEN};
    use sipt_codecs::mtp3::*;

    pub fn point_code() -> impl Strategy<Value = PointCode> {
        prop_oneof![Just(0u32), Just(0x3FFF), 0u32..=0x3FFF].prop_map(PointCode)
    }

    pub fn label() -> impl Strategy<Value = RoutingLabel> {
        (point_code(), point_code(), 0u8..16).prop_map(|(dpc, opc, sls)| RoutingLabel {
            dpc,
            opc,
            sls,
        })
    }

    fn dest() -> impl Strategy<Value = (PointCode, u8)> {
        (point_code(), 0u8..4)
    }

    pub fn snm() -> impl Strategy<Value = SnmMessage> {
        use SnmMessage::*;
        prop_oneof![
            (0u8..128, 0u8..2).prop_map(|(fsn, spare)| Coo { fsn, spare }),
            (0u8..128, 0u8..2).prop_map(|(fsn, spare)| Coa { fsn, spare }),
            (0u32..0x100_0000).prop_map(|fsn| Xco { fsn }),
            (0u32..0x100_0000).prop_map(|fsn| Xca { fsn }),
            any::<u8>().prop_map(|changeback_code| Cbd { changeback_code }),
            any::<u8>().prop_map(|changeback_code| Cba { changeback_code }),
            prop_oneof![
                Just(Eco),
                Just(Eca),
                Just(Rct),
                Just(Lin),
                Just(Lun),
                Just(Lia),
                Just(Lua),
                Just(Lid),
                Just(Lfu),
                Just(Llt),
                Just(Lrt),
                Just(Tra),
                Just(Css),
                Just(Cns),
                Just(Cnp),
            ],
            dest().prop_map(|(destination, status)| Tfc {
                destination,
                status
            }),
            dest().prop_map(|(destination, spare)| Tfp { destination, spare }),
            dest().prop_map(|(destination, spare)| Tfr { destination, spare }),
            dest().prop_map(|(destination, spare)| Tfa { destination, spare }),
            dest().prop_map(|(destination, spare)| Rst { destination, spare }),
            dest().prop_map(|(destination, spare)| Rsr { destination, spare }),
            (0u16..0x1000, 0u8..16).prop_map(|(link, spare)| Dlc { link, spare }),
            (dest(), 0u8..16, 0u8..16).prop_map(|((destination, spare), u, c)| Upu {
                destination,
                spare,
                user_part: ServiceIndicator::from_code(u),
                cause: UnavailabilityCause::from_code(c),
            }),
            (0u8..16, 0u8..16, vec(any::<u8>(), 0..8))
                .prop_filter("heading of a named message", |(h0, h1, _)| {
                    !is_known_heading(*h0, *h1)
                })
                .prop_map(|(h0, h1, data)| Other { h0, h1, data }),
        ]
    }

    pub fn test_message() -> impl Strategy<Value = TestMessage> {
        let pattern = (0u8..16, vec(any::<u8>(), 0..=TestPattern::MAX_LEN))
            .prop_map(|(spare, pattern)| TestPattern { spare, pattern });
        prop_oneof![
            pattern.clone().prop_map(TestMessage::Sltm),
            pattern.prop_map(TestMessage::Slta),
            (0u8..16, 0u8..16, vec(any::<u8>(), 0..8))
                .prop_filter("SLTM/SLTA heading", |(h0, h1, _)| {
                    !matches!((h0, h1), (1, 1) | (1, 2))
                })
                .prop_map(|(h0, h1, data)| TestMessage::Other { h0, h1, data }),
        ]
    }

    fn sio(si: impl Strategy<Value = u8>) -> impl Strategy<Value = Sio> {
        (0u8..4, 0u8..4, si).prop_map(|(ni, spare, si)| Sio {
            network_indicator: NetworkIndicator::from_code(ni),
            spare,
            service_indicator: ServiceIndicator::from_code(si),
        })
    }

    /// MTP3 messages of every kind; the opaque payloads of other user parts are up to 268
    /// octets, so that MSUs of every length up to the longest are covered.
    pub fn msu() -> impl Strategy<Value = Msu> {
        let payload = prop_oneof![
            3 => vec(any::<u8>(), 0..40),
            1 => vec(any::<u8>(), 40..=MAX_MSU_LEN - 5),
        ];
        prop_oneof![
            (sio(Just(0)), label(), snm()).prop_map(|(sio, label, m)| Msu {
                sio,
                label,
                user_part: UserPart::Snm(m),
            }),
            (sio(1u8..3), label(), test_message()).prop_map(|(sio, label, m)| Msu {
                sio,
                label,
                user_part: UserPart::Test(m),
            }),
            (sio(3u8..16), label(), payload).prop_map(|(sio, label, data)| Msu {
                sio,
                label,
                user_part: UserPart::Other(data),
            }),
        ]
    }

    /// Signal units of every kind; MSUs carry a valid MTP3 message, or any octets.
    pub fn signal_unit() -> impl Strategy<Value = SignalUnit> {
        let sio_sif = prop_oneof![
            3 => msu().prop_map(|m| {
                let mut out = Vec::new();
                m.encode(&mut out).expect("generated MSUs encode");
                out
            }),
            1 => vec(any::<u8>(), 3..=MAX_MSU_LEN),
        ];
        let body = prop_oneof![
            Just(Body::Fisu),
            (0u8..8, 0u8..32, proptest::option::of(any::<u8>())).prop_map(
                |(status, spare, extra)| Body::Lssu(StatusField {
                    status: LinkStatus::from_code(status),
                    spare,
                    extra,
                })
            ),
            sio_sif.prop_map(|sio_sif| Body::Msu { sio_sif }),
        ];
        (
            0u8..128,
            any::<bool>(),
            0u8..128,
            any::<bool>(),
            0u8..4,
            body,
        )
            .prop_map(|(bsn, bib, fsn, fib, spare, body)| SignalUnit {
                bsn,
                bib,
                fsn,
                fib,
                spare,
                body,
            })
    }
}

/// 512 cases per property. tshark_mtp.rs includes this file for [`gen`]; there the
/// properties below are compiled too, and run a single case each rather than repeat the work.
fn config() -> ProptestConfig {
    let standalone = module_path!() == "prop_mtp";
    ProptestConfig {
        cases: if standalone { 512 } else { 1 },
        ..ProptestConfig::default()
    }
}

/// Flips one octet of `bytes` (at `pos` modulo the length) to `value`: valid messages with one
/// fault, to exercise the decoders near the valid set.
fn mutate(mut bytes: Vec<u8>, pos: usize, value: u8) -> Vec<u8> {
    if !bytes.is_empty() {
        let i = pos % bytes.len();
        bytes[i] = value;
    }
    bytes
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mtp2_decode_any_input(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(su) = SignalUnit::decode(&bytes) {
            let mut out = Vec::new();
            su.encode(&mut out).unwrap();
            prop_assert_eq!(out, bytes);
        }
    }

    #[test]
    fn mtp3_decode_any_input(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(msu) = Msu::decode(&bytes) {
            let mut out = Vec::new();
            msu.encode(&mut out).unwrap();
            prop_assert_eq!(out, bytes);
        }
    }

    #[test]
    fn mtp2_typed_roundtrip(su in gen::signal_unit()) {
        let mut wire = Vec::new();
        su.encode(&mut wire).unwrap();
        prop_assert_eq!(wire.len(), su.encoded_len());
        let back = SignalUnit::decode(&wire).unwrap();
        prop_assert_eq!(&back, &su);
        let mut again = Vec::new();
        back.encode(&mut again).unwrap();
        prop_assert_eq!(again, wire);
    }

    #[test]
    fn mtp3_typed_roundtrip(msu in gen::msu()) {
        let mut wire = Vec::new();
        msu.encode(&mut wire).unwrap();
        prop_assert_eq!(wire.len(), msu.encoded_len());
        let back = Msu::decode(&wire).unwrap();
        prop_assert_eq!(&back, &msu);
        // The MTP2 MSU carrying it hands back the same MTP3 message.
        let su = SignalUnit::msu(1, true, 2, false, wire.clone());
        let mut su_wire = Vec::new();
        su.encode(&mut su_wire).unwrap();
        let su_back = SignalUnit::decode(&su_wire).unwrap();
        prop_assert_eq!(su_back.mtp3(), Some(Ok(msu)));
    }

    #[test]
    fn mtp2_mutated_valid_input(su in gen::signal_unit(), pos in any::<usize>(), value in any::<u8>()) {
        let mut wire = Vec::new();
        su.encode(&mut wire).unwrap();
        let bytes = mutate(wire, pos, value);
        if let Ok(su) = SignalUnit::decode(&bytes) {
            let mut out = Vec::new();
            su.encode(&mut out).unwrap();
            prop_assert_eq!(out, bytes);
            let _ = serde_json::to_string(&su).unwrap();
        }
    }

    #[test]
    fn mtp3_mutated_valid_input(msu in gen::msu(), pos in any::<usize>(), value in any::<u8>(), cut in any::<usize>()) {
        let mut wire = Vec::new();
        msu.encode(&mut wire).unwrap();
        let mut bytes = mutate(wire, pos, value);
        if cut % 4 == 0 {
            bytes.truncate(cut % (bytes.len() + 1));
        }
        match Msu::decode(&bytes) {
            Ok(msu) => {
                let mut out = Vec::new();
                msu.encode(&mut out).unwrap();
                prop_assert_eq!(out, bytes);
                let _ = serde_json::to_string(&msu).unwrap();
            }
            Err(e) => prop_assert!(e.offset() <= bytes.len()),
        }
    }

    #[test]
    fn hdlc_frames_survive_any_chunking(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..300), 0..8),
        chunks in proptest::collection::vec(1usize..40, 1..20),
        idle_flags in 0usize..3,
    ) {
        let mut wire = Vec::new();
        for p in &payloads {
            hdlc::encode_frame(p, &mut wire);
            wire.extend(std::iter::repeat_n(hdlc::FLAG, idle_flags));
        }
        let mut d = Deframer::new(1, 300);
        let mut rest = &wire[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = chunks[i % chunks.len()].min(rest.len());
            d.push(&rest[..n]);
            rest = &rest[n..];
            i += 1;
        }
        let mut got = Vec::new();
        while let Some(f) = d.pop() {
            got.push(f);
        }
        prop_assert_eq!(got, payloads.clone());
        let c = d.counters();
        prop_assert_eq!(c.frames, payloads.len() as u64);
        prop_assert_eq!(c.bad_fcs + c.aborts + c.too_long + c.runts + c.hunt_octets, 0);
    }

    #[test]
    fn hdlc_deframer_any_input(
        bytes in proptest::collection::vec(prop_oneof![3 => any::<u8>(), 1 => Just(0x7e), 1 => Just(0x7d)], 0..600),
        chunk in 1usize..64,
    ) {
        let mut d = Deframer::new(1, 64);
        for c in bytes.chunks(chunk) {
            d.push(c);
        }
        while let Some(frame) = d.pop() {
            prop_assert!(!frame.is_empty() && frame.len() <= 64);
            let mut wire = Vec::new();
            hdlc::encode_frame(&frame, &mut wire);
            let mut again = Deframer::new(1, 64);
            again.push(&wire);
            prop_assert_eq!(again.pop(), Some(frame));
        }
    }

    #[test]
    fn hdlc_corrupted_frames_are_dropped(payload in proptest::collection::vec(any::<u8>(), 1..100), pos in any::<usize>(), flip in 1u8..=255) {
        let mut wire = Vec::new();
        hdlc::encode_frame(&payload, &mut wire);
        // Corrupt one octet strictly inside the frame (not the flags); the FCS-16 detects
        // every single-octet error.
        let i = 1 + pos % (wire.len() - 2);
        wire[i] ^= flip;
        let mut d = Deframer::default();
        d.push(&wire);
        while let Some(f) = d.pop() {
            prop_assert_ne!(f, payload.clone());
        }
    }
}
