//! tshark as the independent reader of the SIP-T bodies we build (RFC 3204 in RFC 2046
//! multipart/mixed): every ISUP fixture and a few hundred generated ISUP messages of every
//! type are encoded by our ISUP encoder, put beside an SDP part by our multipart builder (and,
//! for every other message, alone as the whole body) in a SIP INVITE, written as IPv4/UDP
//! packets to port 5060, and tshark's SIP, MIME multipart and ISUP dissectors must read the
//! parts, their Content-Type and Content-Disposition, and every ISUP field as our decoder does.
//! QSIG fixtures travel the same way in application/QSIG parts.

mod common;

use common::{isup::*, pcap, tshark};
use sipt_codecs::isup::{CicMessage, Message};
use sipt_codecs::q931;
use sipt_codecs::rfc3204::{self, BodyPart, Handling, IsupBase};

const SDP: &[u8] = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";

/// A SIP INVITE carrying `parts` as its body (RFC 3261 7; Content-Length RFC 3261 20.14).
fn invite(i: usize, parts: &[BodyPart]) -> Vec<u8> {
    let body = rfc3204::build(parts);
    let mut m = format!(
        "INVITE sip:+4930123456@127.0.0.1:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-{i}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:+4930999@127.0.0.1:5070>;tag=t{i}\r\n\
         To: <sip:+4930123456@127.0.0.1>\r\n\
         Call-ID: sipt-{i}@127.0.0.1\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:+4930999@127.0.0.1:5070>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: {}\r\n",
        body.content_type
    );
    if let Some(cd) = &body.content_disposition {
        m.push_str(&format!("Content-Disposition: {cd}\r\n"));
    }
    m.push_str(&format!("Content-Length: {}\r\n\r\n", body.bytes.len()));
    let mut m = m.into_bytes();
    m.extend_from_slice(&body.bytes);
    m
}

/// Header values without white space: tshark shows multipart header values with the white
/// space around `;` removed.
fn squeezed<S: AsRef<str>>(values: &[S]) -> Vec<String> {
    values
        .iter()
        .map(|v| v.as_ref().chars().filter(|c| !c.is_whitespace()).collect())
        .collect()
}

fn isup_parts(i: usize, isup: Vec<u8>) -> Vec<BodyPart> {
    // Alternate the two shapes RFC 3372 uses: with SDP (INVITE, 18x, 200) and alone (BYE,
    // INFO, error responses).
    let handling = if i % 3 == 0 {
        Handling::Required
    } else {
        Handling::Optional
    };
    let isup = BodyPart::isup(IsupBase::ItuT92Plus, isup, handling);
    if i % 2 == 0 {
        vec![BodyPart::sdp(SDP), isup]
    } else {
        vec![isup]
    }
}

fn compare_isup(name: &str, messages: &[(String, Message)]) {
    let records: Vec<Vec<u8>> = messages
        .iter()
        .enumerate()
        .map(|(i, (label, m))| {
            let isup = m.to_bytes().unwrap_or_else(|e| panic!("{label}: {e}"));
            pcap::ipv4_udp(5070, 5060, &invite(i, &isup_parts(i, isup)))
        })
        .collect();
    let path = tshark::scratch(name).join(format!("{name}.pcap"));
    pcap::write(&path, pcap::LINKTYPE_RAW, &records);
    let mut args = field_args();
    args.extend([
        "-e",
        "sip.Method",
        "-e",
        "mime_multipart.header.content-type",
        "-e",
        "mime_multipart.header.content-disposition",
        "-e",
        "sip.Content-Type",
        "-e",
        "_ws.malformed",
    ]);
    let packets = tshark::packets(&path, &args);
    assert_eq!(packets.len(), messages.len());
    let mut failures = Vec::new();
    for (i, ((label, m), packet)) in messages.iter().zip(&packets).enumerate() {
        let parts = isup_parts(i, m.to_bytes().expect("encoded above"));
        if tshark::field(packet, "sip.Method") != ["INVITE"] {
            failures.push(format!("{label}: tshark read no INVITE"));
        }
        if !tshark::field(packet, "_ws.malformed").is_empty() {
            failures.push(format!("{label}: tshark reports a malformed packet"));
        }
        // The part headers as tshark reads them: in the multipart, or the message's own.
        let types: Vec<&str> = if parts.len() > 1 {
            tshark::field(packet, "mime_multipart.header.content-type")
        } else {
            tshark::field(packet, "sip.Content-Type")
        };
        let want: Vec<String> = parts.iter().map(|p| p.content_type.clone()).collect();
        if squeezed(&types) != squeezed(&want) {
            failures.push(format!("{label}: content types {types:?}, sent {want:?}"));
        }
        if parts.len() > 1 {
            let cd = tshark::field(packet, "mime_multipart.header.content-disposition");
            let want: Vec<&str> = parts
                .iter()
                .filter_map(|p| p.content_disposition.as_deref())
                .collect();
            if squeezed(&cd) != squeezed(&want) {
                failures.push(format!("{label}: dispositions {cd:?}, sent {want:?}"));
            }
        }
        // What our own parser and decoder read back from the same octets.
        let ours = rfc3204::parse(
            &rfc3204::build(&parts).content_type,
            None,
            &rfc3204::build(&parts).bytes,
        )
        .expect("our body parses");
        let isup_part = ours.last().expect("an ISUP part");
        let decoded = Message::decode(&isup_part.body).expect("our ISUP decodes");
        assert_eq!(&decoded, m, "{label}: the body changed the message");
        failures.extend(differences(label, &decoded.with_cic(0), packet, false));
    }
    assert!(
        failures.is_empty(),
        "{} differences between tshark and us:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn tshark_reads_isup_fixtures_in_sip_bodies_as_we_do() {
    if !tshark::available() {
        return;
    }
    let messages: Vec<(String, Message)> = common::fixtures::load("isup")
        .into_iter()
        .map(|v| {
            let m = match v.kind.as_str() {
                "isup" => CicMessage::decode(&v.bytes).map(|m| m.message),
                _ => Message::decode(&v.bytes),
            }
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
            (v.name, m)
        })
        .collect();
    compare_isup("sipt-isup-fixtures", &messages);
}

#[test]
fn tshark_reads_generated_isup_in_sip_bodies_as_we_do() {
    if !tshark::available() {
        return;
    }
    let messages: Vec<(String, Message)> = generated_messages(6)
        .into_iter()
        .map(|(l, m)| (l, m.message))
        .collect();
    assert!(messages.len() >= 250, "{}", messages.len());
    compare_isup("sipt-isup-generated", &messages);
}

#[test]
fn tshark_reads_qsig_fixtures_in_sip_bodies_as_we_do() {
    if !tshark::available() {
        return;
    }
    // Every Q.931 message the q931 fixtures hold (the information field of I frames).
    let mut messages = Vec::new();
    for v in common::fixtures::load("q931") {
        let octets = match v.kind.as_str() {
            "q931" => v.bytes.clone(),
            _ => match sipt_codecs::q921::Frame::decode(&v.bytes) {
                Ok(f) if !f.information.is_empty() => f.information,
                _ => continue,
            },
        };
        if let Ok(m) = q931::Message::decode(&octets) {
            messages.push((v.name, m, octets));
        }
    }
    assert!(messages.len() >= 15, "{}", messages.len());
    let records: Vec<Vec<u8>> = messages
        .iter()
        .enumerate()
        .map(|(i, (_, _, octets))| {
            let parts = vec![
                BodyPart::sdp(SDP),
                BodyPart::qsig(octets.clone(), Handling::Optional),
            ];
            pcap::ipv4_udp(5070, 5060, &invite(i, &parts))
        })
        .collect();
    let path = tshark::scratch("sipt-qsig").join("qsig.pcap");
    pcap::write(&path, pcap::LINKTYPE_RAW, &records);
    let packets = tshark::packets(
        &path,
        &[
            "-e",
            "q931.message_type",
            "-e",
            "q931.call_ref_len",
            "-e",
            "q931.call_ref_flag",
            "-e",
            "mime_multipart.header.content-type",
        ],
    );
    let mut failures = Vec::new();
    for ((label, m, _), packet) in messages.iter().zip(&packets) {
        let mt = tshark::field(packet, "q931.message_type");
        let want = format!("0x{:02x}", m.message_type.code());
        if mt.first().copied() != Some(want.as_str()) {
            failures.push(format!("{label}: message type {mt:?}, ours {want}"));
        }
        let len = tshark::field(packet, "q931.call_ref_len");
        if len.first().map(|s| normalize(s, false)) != Some(m.call_reference.length.to_string()) {
            failures.push(format!(
                "{label}: call reference length {len:?}, ours {}",
                m.call_reference.length
            ));
        }
        let types = tshark::field(packet, "mime_multipart.header.content-type");
        if squeezed(&types) != squeezed(&["application/sdp", "application/QSIG; version=iso"]) {
            failures.push(format!("{label}: content types {types:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
