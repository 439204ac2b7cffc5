//! tshark (Wireshark's ISUP dissector, ITU variant) as the independent decoder of what our
//! encoder writes: every fixture and a few hundred generated messages of every message type of
//! the table are encoded, written by our MTP3 encoder (SIO 0x85, ITU routing label) into LINKTYPE_MTP3 pcaps,
//! and, for the fixtures, also by our MTP2 encoder into a LINKTYPE_MTP2 pcap, and tshark's `isup.*` fields are compared with what our
//! decoder reports for the same octets, field by field and occurrence by occurrence.
//!
//! Two readings of tshark 4.0 differ in form from Q.763 and are accounted for below:
//! `isup.range_indicator` shows range + 1 (the number of circuits), and
//! `isup.signalling_point_code` of the call reference reads its two octets most significant
//! first (tshark's own summary line and Q.763 3.8 read the first octet as least significant).

mod common;

use common::{isup::*, pcap, tshark};
use sipt_codecs::isup::*;
use sipt_codecs::mtp2::SignalUnit;
use sipt_codecs::mtp3::{Msu, PointCode, RoutingLabel, Sio, UserPart};

/// The link layer the ISUP messages are carried in.
#[derive(Clone, Copy)]
enum Link {
    Mtp3,
    Mtp2,
}

/// An MTP3 message with service indicator ISUP (national network) carrying `isup`, encoded.
fn mtp3_of(isup: Vec<u8>) -> Vec<u8> {
    let msu = Msu {
        sio: Sio::from_octet(0x85),
        label: RoutingLabel {
            dpc: PointCode(0x0123),
            opc: PointCode(0x2abc),
            sls: 5,
        },
        user_part: UserPart::Other(isup),
    };
    let mut out = Vec::new();
    msu.encode(&mut out).expect("MTP3 encodes");
    out
}

/// Writes the messages into one pcap, runs tshark once, compares every packet.
fn compare_with_tshark(name: &str, link: Link, messages: &[(String, CicMessage)]) {
    let records: Vec<Vec<u8>> = messages
        .iter()
        .enumerate()
        .map(|(i, (label, m))| {
            let isup = m
                .to_bytes()
                .unwrap_or_else(|e| panic!("{label}: encode: {e}"));
            let mtp3 = mtp3_of(isup);
            match link {
                Link::Mtp3 => mtp3,
                Link::Mtp2 => {
                    let (bsn, fsn) = ((i % 128) as u8, ((i + 1) % 128) as u8);
                    let mut su = Vec::new();
                    SignalUnit::msu(bsn, true, fsn, false, mtp3)
                        .encode(&mut su)
                        .expect("MTP2 encodes");
                    su
                }
            }
        })
        .collect();
    let dir = tshark::scratch(name);
    let path = dir.join(format!("{name}.pcap"));
    let linktype = match link {
        Link::Mtp3 => pcap::LINKTYPE_MTP3,
        Link::Mtp2 => pcap::LINKTYPE_MTP2,
    };
    pcap::write(&path, linktype, &records);
    let mut args = field_args();
    args.extend(["-e", "mtp3.service_indicator"]);
    let packets = tshark::packets(&path, &args);
    assert_eq!(
        packets.len(),
        messages.len(),
        "tshark read a different number of packets"
    );

    let mut failures = Vec::new();
    for ((label, m), packet) in messages.iter().zip(&packets) {
        // what our decoder reports for the octets our encoder wrote
        let bytes = m.to_bytes().expect("encoded above");
        let ours = CicMessage::decode(&bytes).unwrap_or_else(|e| panic!("{label}: decode: {e}"));
        assert_eq!(&ours, m, "{label}: decode(encode(m)) != m");
        assert_eq!(
            tshark::field(packet, "mtp3.service_indicator"),
            ["0x05"],
            "{label}: tshark did not read an ISUP MSU"
        );
        failures.extend(
            differences(label, &ours, packet, true)
                .into_iter()
                .map(|f| format!("{f}\n    {}", hex::encode(&bytes))),
        );
    }
    assert!(
        failures.is_empty(),
        "{} differences between tshark and our decoder:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn fixture_messages() -> Vec<(String, CicMessage)> {
    common::fixtures::load("isup")
        .into_iter()
        .map(|v| {
            let m = match v.kind.as_str() {
                "isup" => CicMessage::decode(&v.bytes),
                // a body goes behind CIC 0
                _ => Message::decode(&v.bytes).map(|m| m.with_cic(0)),
            }
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
            (v.name, m)
        })
        .collect()
}

#[test]
fn tshark_reads_the_fixtures_as_we_do() {
    if !tshark::available() {
        return;
    }
    compare_with_tshark("isup-fixtures", Link::Mtp3, &fixture_messages());
}

#[test]
fn tshark_reads_the_fixtures_in_mtp2_signal_units_as_we_do() {
    if !tshark::available() {
        return;
    }
    compare_with_tshark("isup-fixtures-mtp2", Link::Mtp2, &fixture_messages());
}

#[test]
fn tshark_reads_generated_messages_as_we_do() {
    if !tshark::available() {
        return;
    }
    // every type of the table, 8 messages each (several hundred in all)
    let messages = generated_messages(8);
    assert!(messages.len() >= 300, "{}", messages.len());
    compare_with_tshark("isup-generated", Link::Mtp3, &messages);
}

#[test]
fn a_wrong_reading_is_caught() {
    if !tshark::available() {
        return;
    }
    // The comparison must be able to fail: an REL whose cause we misreport.
    let rel = CicMessage::decode(&[0x07, 0x00, 0x0c, 0x02, 0x00, 0x02, 0x82, 0x90]).expect("REL");
    let path = tshark::scratch("isup-wrong").join("rel.pcap");
    pcap::write(
        &path,
        pcap::LINKTYPE_MTP3,
        &[mtp3_of(rel.to_bytes().expect("REL encodes"))],
    );
    let packets = tshark::packets(&path, &field_args());
    let mut wrong = rel.clone();
    wrong.cic = 8;
    assert!(differences("rel", &rel, &packets[0], true).is_empty());
    assert!(!differences("rel", &wrong, &packets[0], true).is_empty());
}
