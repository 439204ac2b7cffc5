//! Message-level unit tests; the fixtures, property and tshark tests are in codecs/tests/.

use super::*;
use crate::wire::DecodeError;

fn round_trip(bytes: &[u8]) -> Message {
    let m = Message::decode(bytes).unwrap_or_else(|e| panic!("{e}: {bytes:02x?}"));
    let mut out = Vec::new();
    m.encode(&mut out).unwrap();
    assert_eq!(out, bytes);
    m
}

/// the-tcpdump-group/tcpdump tests/isup.pcap frame 1, after MTP3 label and CIC
const TCPDUMP_IAM: &str = "0100a0010a02020705819084190f0a070317933393798008018003057c038890a61d038890a6310200643f06039300060010f4056476c328813902f49000";

#[test]
fn iam_from_a_capture() {
    let bytes = hex::decode(TCPDUMP_IAM).unwrap();
    let m = round_trip(&bytes);
    assert_eq!(m.message_type, MessageType::Iam);
    let cdpn = m.called_party_number().unwrap();
    assert_eq!(cdpn.digits.to_string(), "4891F");
    assert_eq!(cdpn.nature_of_address, NatureOfAddress::SubscriberNumber);
    let cgpn = m.calling_party_number().unwrap();
    assert_eq!(cgpn.digits.to_string(), "3933399708");
    assert_eq!(
        cgpn.indicators.address_presentation_restricted(),
        AddressPresentation::Restricted
    );
    assert_eq!(m.propagation_delay_counter(), Some(100));
    assert_eq!(m.location_number().unwrap().digits.to_string(), "00600001");
    let unknown = m.parameter(0xf4).unwrap();
    assert!(
        matches!(unknown, Parameter::Unknown(u) if u.value.as_slice() == [0x64, 0x76, 0xc3, 0x28, 0x81])
    );
    assert_eq!(m.optional_parameters().len(), 8);
    let j = serde_json::to_value(&m).unwrap();
    assert_eq!(j["message_type"], "IAM");
    assert_eq!(j["parameters"][4]["name"], "called_party_number");
    assert_eq!(j["parameters"][4]["digits"], "4891F");
}

#[test]
fn builders_encode_what_decodes() {
    let called = CalledPartyNumber::from_digits(
        NatureOfAddress::InternationalNumber,
        CalledNumberIndicators::default().with_numbering_plan(NumberingPlan::IsdnTelephony),
        "4930123456",
    )
    .unwrap();
    let m = Message::iam(
        NatureOfConnectionIndicators::default(),
        ForwardCallIndicators::default().with_isdn_user_part_all_the_way(true),
        CallingPartysCategory::OrdinarySubscriber,
        TransmissionMedium::Audio3k1,
        called,
    )
    .with(Parameter::HopCounter(
        HopCounter::default().with_hop_counter(20),
    ));
    let bytes = m.to_bytes().unwrap();
    assert_eq!(
        hex::encode(&bytes),
        "010020000a03020907041094032143653d011400"
    );
    assert_eq!(Message::decode(&bytes).unwrap(), m);

    let rel = Message::rel(CauseIndicators::new(
        Location::PublicNetworkLocalUser,
        CauseValue::UserBusy,
    ));
    assert_eq!(
        rel.to_bytes().unwrap(),
        [0x0c, 0x02, 0x00, 0x02, 0x82, 0x91]
    );
    let rlc = Message::bare(MessageType::Rlc).with_cic(5);
    assert_eq!(rlc.to_bytes().unwrap(), [0x05, 0x00, 0x10, 0x00]);
}

#[test]
fn layout_choices() {
    // optional part present but empty
    let m = round_trip(&[0x09, 0x01, 0x00]);
    assert!(matches!(
        m.body,
        Body::Parameters {
            empty_optional_part: true,
            ..
        }
    ));
    // trailing octets after a message without optional part pointer target
    let m = round_trip(&[0x12, 0xaa, 0xbb]);
    assert!(
        matches!(&m.body, Body::Parameters { trailing_octets, .. } if trailing_octets.len() == 2)
    );
    // a gap between the pointers and the called party number
    assert_eq!(
        Message::decode(&[0x01, 0, 0, 0, 0, 0, 3, 0, 0xff, 2, 0x03, 0x10]),
        Err(DecodeError::BadPointer { offset: 6 })
    );
    // pointer 0 for a mandatory variable parameter
    assert_eq!(
        Message::decode(&[0x0c, 0x00, 0x00]),
        Err(DecodeError::BadPointer { offset: 1 })
    );
    // an optional part without its end octet
    assert!(matches!(
        Message::decode(&[0x09, 0x01, 0x39, 0x01, 0x00]),
        Err(DecodeError::Truncated { .. })
    ));
    // unknown message type: raw
    let m = round_trip(&[0xfe, 1, 2, 3]);
    assert_eq!(m.raw(), Some(&[1u8, 2, 3][..]));
    assert_eq!(serde_json::to_value(&m).unwrap()["raw"], "010203");
    // empty input
    assert_eq!(
        Message::decode(&[]),
        Err(DecodeError::Truncated { offset: 0, need: 1 })
    );
}

#[test]
fn cic_form_keeps_spare_bits() {
    let bytes = [0x0c, 0xfb, 0x13];
    let m = CicMessage::decode(&bytes).unwrap();
    assert_eq!(m.cic, 0xb0c);
    assert_eq!(m.cic_spare, 0xf);
    assert_eq!(m.to_bytes().unwrap(), bytes);
    // offsets count from the CIC
    assert_eq!(
        CicMessage::decode(&[1, 0, 0x0c, 0, 0]),
        Err(DecodeError::BadPointer { offset: 3 })
    );
    let mut big = m.clone();
    big.cic = 0x1000;
    assert!(big.to_bytes().is_err());
}

#[test]
fn encode_checks_the_format() {
    // a mandatory parameter missing
    let m = Message::new(MessageType::Acm, vec![]);
    assert!(m.to_bytes().is_err());
    // optional parameters on a message without optional part
    let m = Message::bare(MessageType::Rsc).with(Parameter::HopCounter(HopCounter(1)));
    let mut out = vec![0xaa];
    assert!(m.encode(&mut out).is_err());
    assert_eq!(out, [0xaa]);
}

#[test]
fn parameter_size_is_small() {
    assert!(
        std::mem::size_of::<Parameter>() <= 48,
        "{}",
        std::mem::size_of::<Parameter>()
    );
}

#[test]
fn long_values_and_many_parameters() {
    // a user-to-user information of 200 octets (kept on the heap, more than the encoder's
    // first guess of room), then 30 hop counters (more than the decoder's first guess of
    // parameters), then a location number whose digits end the message
    // USR: pointer to the user-to-user information, pointer to the optional part
    let mut bytes = vec![0x2d, 0x02, 202, 200];
    bytes.extend((0..200).map(|i| i as u8));
    for i in 0..30 {
        bytes.extend_from_slice(&[0x3d, 0x01, i]);
    }
    bytes.extend_from_slice(&[0x3f, 0x04, 0x83, 0x13, 0x21, 0x03]);
    bytes.push(0);
    let m = round_trip(&bytes);
    let uui = m.parameters()[0].clone();
    assert!(matches!(&uui, Parameter::UserToUserInformation(o) if !o.octets.is_inline()));
    assert_eq!(m.parameters().len(), 32);
    let location = m.location_number().unwrap();
    assert_eq!(location.digits.to_string(), "123");
    assert_eq!(location.digits.filler(), Some(0));
    let mut value = vec![0xee];
    uui.encode_value(&mut value).unwrap();
    assert_eq!(value[1..], bytes[4..204]);
    // built rather than decoded: the same octets
    let mut built = Message::new(MessageType::Usr, vec![uui]);
    for i in 0..30 {
        built = built.with(Parameter::HopCounter(HopCounter(i)));
    }
    let built = built.with(Parameter::LocationNumber(location.clone()));
    assert_eq!(built.to_bytes().unwrap(), bytes);
}

#[test]
fn digits_keep_the_odd_indicator_apart_from_the_octets() {
    let odd = Digits::from_octets(true, &[0x21, 0x03]);
    let even = Digits::from_octets(false, &[0x21, 0x03]);
    assert_ne!(odd, even);
    assert_eq!((odd.len(), even.len()), (3, 4));
    assert_eq!(odd.octets(), even.octets());
    assert_eq!(
        format!("{odd:?}"),
        "Digits { odd: true, octets: Octets(2103) }"
    );
    assert_eq!(std::mem::size_of::<Digits>(), std::mem::size_of::<Octets>());
    let long = Digits::from_octets(true, &[0x11; 30]);
    assert!(long.is_odd());
    assert_eq!(long.len(), 59);
}

#[test]
fn encode_errors_leave_the_output_alone() {
    let mut called = CalledPartyNumber::from_digits(
        NatureOfAddress::Unknown(0x80),
        CalledNumberIndicators::default(),
        "123",
    )
    .unwrap();
    let m = Message::iam(
        NatureOfConnectionIndicators::default(),
        ForwardCallIndicators::default(),
        CallingPartysCategory::OrdinarySubscriber,
        TransmissionMedium::Speech,
        called.clone(),
    );
    let mut out = vec![1, 2, 3];
    assert!(matches!(
        m.encode(&mut out),
        Err(crate::wire::EncodeError::OutOfRange { .. })
    ));
    assert_eq!(out, [1, 2, 3]);
    assert!(called.encode(&mut out).is_err());
    assert_eq!(out, [1, 2, 3]);
    called.nature_of_address = NatureOfAddress::NationalNumber;
    called.encode(&mut out).unwrap();
    assert_eq!(out, [1, 2, 3, 0x83, 0x00, 0x21, 0x03]);
}
