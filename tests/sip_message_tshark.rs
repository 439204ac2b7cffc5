//! tshark (Wireshark's SIP, SDP and ISUP dissectors) reads what our encoder writes: a SIP-T
//! INVITE with a multipart body (SDP + application/ISUP IAM), its responses built from it,
//! and compact/folded input re-encoded. An independent peer for the message layer.
//!
//! Needs /usr/bin/tshark (Debian `tshark`): skipped when absent, a failure when CI=true.

use std::process::Command;

#[path = "../codecs/tests/common/pcap.rs"]
#[allow(dead_code)]
mod pcap;
#[path = "../codecs/tests/common/tshark.rs"]
#[allow(dead_code)]
mod tshark;

use sipt_codecs::rfc3204::{BodyPart, Handling, IsupBase};
use sipt_mgc::sip::message::{Message, Method, NameAddr, Uri, Via};

fn tshark_fields(payloads: &[Vec<u8>], fields: &[&str]) -> Vec<Vec<String>> {
    let dir = std::env::temp_dir().join(format!("sipt-msg-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("msgs.pcap");
    let packets: Vec<Vec<u8>> = payloads
        .iter()
        .map(|p| pcap::ipv4_udp(5060, 5060, p))
        .collect();
    pcap::write(&file, pcap::LINKTYPE_RAW, &packets);
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(&file)
        .args(["-T", "fields", "-E", "separator=|"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect()
}

const IAM_HEX: &str = "0100a0010a02020705819084190f0a070317933393798008018003057c038890a61d038890a6310200643f06039300060010f4056476c328813902f49000";

fn sipt_invite() -> Message {
    let uri = Uri::parse("sip:+4930123456@gw-b.example.net;user=phone").unwrap();
    let mut from =
        NameAddr::parse("\"A \\\"quoted\\\" name\" <sip:+4940987654@gw-a.example.net;user=phone>")
            .unwrap();
    from.set_tag("a73kszlfl");
    let mut m = Message::request(
        Method::Invite,
        uri.clone(),
        Via::new("UDP", "gw-a.example.net", Some(5060), "z9hG4bK74bf9"),
        from,
        NameAddr::new(uri),
        "3848276298220188511@gw-a",
        4711,
    );
    m.push_header("Contact", "<sip:gw-a.example.net:5060>");
    m.push_header("P-Asserted-Identity", "<tel:+4940987654>");
    m.push_header("Reason", "Q.850;cause=16;text=\"Normal call clearing\"");
    m.set_body_parts(&[
        BodyPart::sdp(
            b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"
                .to_vec(),
        ),
        BodyPart::isup(IsupBase::ItuT92Plus, hex::decode(IAM_HEX).unwrap(), Handling::Optional),
    ]);
    m
}

#[test]
fn tshark_reads_our_sipt_invite_and_responses() {
    if !tshark::available() {
        eprintln!("tshark not installed: skipped");
        return;
    }
    let inv = sipt_invite();
    let ringing = inv.response(180, "Ringing", Some("b0b"));
    let busy = inv.response(486, "Busy Here", Some("b0b"));
    let ack = inv.ack_for(&busy).unwrap();
    let folded = Message::parse(
        b"OPTIONS sip:u@h SIP/2.0\r\nv: SIP/2.0/UDP h\r\n ;branch=z9hG4bKf\r\nf: <sip:a@h>;tag=1\r\nt: <sip:u@h>\r\ni: c@h\r\nCSeq: 1\r\n\tOPTIONS\r\nl: 0\r\n\r\n",
    )
    .unwrap();
    let frames = [
        inv.to_bytes(),
        ringing.to_bytes(),
        ack.to_bytes(),
        folded.to_bytes(),
    ];
    let rows = tshark_fields(
        &frames,
        &[
            "sip.Method",
            "sip.Status-Code",
            "sip.Via.branch",
            "sip.from.tag",
            "sip.to.tag",
            "sip.CSeq.seq",
            "sdp.media.port",
            "isup.message_type",
            "_ws.malformed",
            "_ws.expert.severity",
        ],
    );
    assert_eq!(rows.len(), 4, "{rows:?}");
    let r = &rows[0];
    assert_eq!(&r[0], "INVITE");
    assert_eq!(&r[2], "z9hG4bK74bf9");
    assert_eq!(&r[3], "a73kszlfl");
    assert_eq!(&r[5], "4711");
    assert_eq!(&r[6], "49170");
    assert_eq!(
        &r[7], "1",
        "ISUP IAM (message type 1) decoded from our multipart body"
    );
    assert_eq!(&r[8], "", "not malformed");
    let r = &rows[1];
    assert_eq!(
        (&r[1][..], &r[2][..], &r[4][..]),
        ("180", "z9hG4bK74bf9", "b0b")
    );
    let r = &rows[2];
    assert_eq!((&r[0][..], &r[4][..], &r[5][..]), ("ACK", "b0b", "4711"));
    let r = &rows[3];
    assert_eq!(
        (&r[0][..], &r[2][..], &r[3][..]),
        ("OPTIONS", "z9hG4bKf", "1")
    );
    for r in &rows {
        assert_eq!(&r[8], "", "tshark found a malformed packet: {rows:?}");
    }
}
