//! SIP bridging (RFC 3372 3.1, the first call model of DESIGN.md): libss7 -> gateway A ->
//! SIP-T -> gateway B -> libss7, with the ISUP messages encapsulated in RFC 3204 bodies
//! between two gateways that trust each other (`trusted = ["127.0.0.1/32"]`).
//!
//! What must survive is every ISUP parameter: the IAM libss7 #2 receives must be the octets
//! libss7 #1 sent, from the message type on (the routing label and the CIC are each link's
//! own: Q.763 1.2), and likewise the backward ACM, ANM and REL. The octets are those of
//! ss7peer's `--trace` frames, on the wire of each link.

mod support;

use serde_json::{json, Value};
use support::gateway::{secs, ss7_switch, traced_isup_frames, GatewayProcess, IsupFrame, Route};
use support::peers::{self, Peer, PeerKind};
use support::relay::SocketDir;

fn hex(b: &[u8]) -> String {
    b.iter().map(|o| format!("{o:02x}")).collect()
}

struct Bridge {
    _dir: SocketDir,
    a: GatewayProcess,
    b: GatewayProcess,
    /// The calling switch, on gateway A.
    west: Peer,
    /// The called switch, on gateway B.
    east: Peer,
}

/// Gateway B routes numbers starting with 49 (national) or +49 (international: DESIGN.md,
/// the routing form) to its trunk; gateway A routes them to B over SIP. Both trust
/// 127.0.0.1. libss7 on each link, tracing its frames.
fn bridge(tag: &str) -> Bridge {
    let dir = SocketDir::new(tag);
    let trusted = ["127.0.0.1/32"];
    let b = GatewayProcess::start(
        &dir,
        "gw-b",
        &trusted,
        &[Route::trunk("49"), Route::trunk("+49")],
    );
    let a = GatewayProcess::start(
        &dir,
        "gw-a",
        &trusted,
        &[Route::sip("49", b.sip), Route::sip("+49", b.sip)],
    );
    let west = ss7_switch("libss7-west", &a.link, &["--trace"]);
    let east = ss7_switch("libss7-east", &b.link, &["--trace"]);
    Bridge {
        _dir: dir,
        a,
        b,
        west,
        east,
    }
}

/// The one message of `message_type` that `from` sent and the one `to` received; asserts
/// they carry the same octets from the message type on.
fn assert_carried(name: &str, from: &mut Peer, to: &mut Peer, message_type: u8) -> IsupFrame {
    let sent = traced_isup_frames(from, "tx", message_type, 1);
    let got = traced_isup_frames(to, "rx", message_type, 1);
    assert_eq!(sent.len(), 1, "{name} sent once: {sent:?}");
    assert_eq!(got.len(), 1, "{name} received once: {got:?}");
    assert_eq!(
        hex(&got[0].message),
        hex(&sent[0].message),
        "{name}: the octets received (left) differ from those sent (right), from the \
         message type on\nsent frame     {}\nreceived frame {}",
        hex(&sent[0].frame),
        hex(&got[0].frame)
    );
    got[0].clone()
}

fn event<'a>(events: &'a [Value], name: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == name).collect()
}

/// West calls 4930123456 from 4940111222 (international, presentation restricted, category
/// 10); east sees the same IAM octets, sends ACM, ANM and then REL with cause 31 "normal,
/// unspecified", and west sees each with the octets east sent.
#[test]
fn iam_acm_anm_rel_cross_two_gateways_unchanged() {
    if peers::require(PeerKind::Ss7).is_none() {
        return;
    }
    let mut br = bridge("bridge-answer");
    br.west
        .send("call 5 4930123456 4940111222 nai=4 cnai=4 pres=1 scr=3 cat=10");
    let iam = br.east.expect("iam", secs(10));
    let cic = iam["cic"].as_u64().expect("cic");
    let received = assert_carried("IAM", &mut br.west, &mut br.east, 0x01);
    assert_eq!(u64::from(received.cic), cic);
    // libss7 ends an international called number with the ST digit (Q.763 3.9: 1111),
    // which it reads back as '#'.
    assert_eq!(iam["called"], "4930123456#", "{iam}");
    assert_eq!(iam["called_nai"], 4, "{iam}");
    assert_eq!(iam["calling"], "4940111222", "{iam}");
    assert_eq!(iam["calling_nai"], 4, "{iam}");
    assert_eq!(iam["presentation"], 1, "{iam}");
    assert_eq!(iam["category"], 10, "{iam}");

    br.east.send(&format!("acm {cic}"));
    br.west.expect_with("acm", &json!({"cic": 5}), secs(10));
    assert_carried("ACM", &mut br.east, &mut br.west, 0x06);

    br.east.send(&format!("answer {cic}"));
    br.west.expect_with("anm", &json!({"cic": 5}), secs(10));
    assert_carried("ANM", &mut br.east, &mut br.west, 0x09);

    br.east.send(&format!("release {cic} 31"));
    let rel = br.west.expect_with("rel", &json!({"cic": 5}), secs(10));
    assert_eq!(rel["cause"], 31, "{rel}");
    assert_carried("REL", &mut br.east, &mut br.west, 0x0c);
    // Each side completes its own release (Q.764 2.3.1): west RLC to A, A's RLC to east.
    br.east.expect_with("rlc", &json!({"cic": cic}), secs(10));

    let a_end = br.a.call_ended(secs(10));
    let b_end = br.b.call_ended(secs(10));
    for e in [&a_end, &b_end] {
        assert_eq!(e["answered"], true, "{e}");
        assert_eq!(e["cause"], 31, "{e}");
    }
    let h = br.west.history().to_vec();
    assert!(event(&h, "hangup_request").is_empty(), "{h:?}");
    br.a.assert_no_refusals();
    br.b.assert_no_refusals();
}

/// East refuses the call with REL cause 17 before any backward message: gateway B answers
/// the INVITE with 486 carrying the REL, gateway A sends that REL to west, octet for octet.
#[test]
fn rel_before_answer_crosses_two_gateways_unchanged() {
    if peers::require(PeerKind::Ss7).is_none() {
        return;
    }
    let mut br = bridge("bridge-busy");
    br.west.send("call 7 4930555666 4940111222 nai=3 cnai=3");
    let iam = br.east.expect("iam", secs(10));
    let cic = iam["cic"].as_u64().expect("cic");
    assert_carried("IAM", &mut br.west, &mut br.east, 0x01);
    br.east.send(&format!("release {cic} 17"));
    let rel = br.west.expect_with("rel", &json!({"cic": 7}), secs(10));
    assert_eq!(rel["cause"], 17, "{rel}");
    assert_carried("REL", &mut br.east, &mut br.west, 0x0c);
    br.east.expect_with("rlc", &json!({"cic": cic}), secs(10));
    let a_end = br.a.call_ended(secs(10));
    assert_eq!(a_end["status"], 486, "{a_end}");
    assert_eq!(a_end["cause"], 17, "{a_end}");
    let b_end = br.b.call_ended(secs(10));
    assert_eq!(b_end["cause"], 17, "{b_end}");
    br.a.assert_no_refusals();
    br.b.assert_no_refusals();
}

/// The caller's side releases, in both call states: while east rings (REL cause 18 "no user
/// responding" -> CANCEL, RFC 3398 8.2.7) and after answer by CON (REL cause 31 -> BYE, 10.2,
/// the CON itself crossing unchanged in the 200: 8.2.4); east
/// sees each REL with the octets west sent (the cause, its location and coding standard ride
/// in the Reason header between trusted gateways), and the releases complete on both links.
#[test]
fn forward_rel_crosses_two_gateways_before_and_after_answer() {
    if peers::require(PeerKind::Ss7).is_none() {
        return;
    }
    let mut br = bridge("bridge-forward");
    // Ringing, then west gives up.
    br.west.send("call 3 4930123456 4940111222 nai=3 cnai=3");
    let iam = br.east.expect("iam", secs(10));
    let ringing = iam["cic"].as_u64().expect("cic");
    br.east.send(&format!("acm {ringing}"));
    br.west.expect_with("acm", &json!({"cic": 3}), secs(10));
    br.west.send("release 3 18");
    let rel = br
        .east
        .expect_with("rel", &json!({"cic": ringing}), secs(10));
    assert_eq!(rel["cause"], 18, "{rel}");
    br.west.expect_with("rlc", &json!({"cic": 3}), secs(10));
    assert_carried("REL before answer", &mut br.west, &mut br.east, 0x0c);
    assert_eq!(br.a.call_ended(secs(10))["answered"], false);
    assert_eq!(br.b.call_ended(secs(10))["cause"], 18);

    // Answered at once (CON, Q.764 2.1.4.1: no ACM first), then west hangs up.
    br.west.send("call 4 4930123456 4940111222 nai=3 cnai=3");
    let iam = br.east.expect("iam", secs(10));
    let answered = iam["cic"].as_u64().expect("cic");
    br.east.send(&format!("con {answered}"));
    br.west.expect_with("con", &json!({"cic": 4}), secs(10));
    assert_carried("CON", &mut br.east, &mut br.west, 0x07);
    br.west.send("release 4 31");
    let rel = br
        .east
        .expect_with("rel", &json!({"cic": answered}), secs(10));
    assert_eq!(rel["cause"], 31, "{rel}");
    br.west.expect_with("rlc", &json!({"cic": 4}), secs(10));
    let sent = traced_isup_frames(&mut br.west, "tx", 0x0c, 2);
    let got = traced_isup_frames(&mut br.east, "rx", 0x0c, 2);
    assert_eq!((sent.len(), got.len()), (2, 2), "{sent:?} {got:?}");
    assert_eq!(
        hex(&got[1].message),
        hex(&sent[1].message),
        "REL after answer: received (left), sent (right)"
    );
    let a_end = br.a.call_ended(secs(10));
    let b_end = br.b.call_ended(secs(10));
    for e in [&a_end, &b_end] {
        assert_eq!(e["answered"], true, "{e}");
        assert_eq!(e["cause"], 31, "{e}");
    }
    br.a.assert_no_refusals();
    br.b.assert_no_refusals();
}
