//! SIP dialogs (RFC 3261 12-14) on real messages: creation on both sides, route sets and
//! loose/strict routing, CSeq rules, target refresh, forking, the ACK of a 2xx, glare.

use sipt_mgc::sip::dialog::{Dialog, DialogError, DialogState};
use sipt_mgc::sip::message::{Message, Method, Via};

fn msg(text: &str) -> Message {
    let text = text.replace('\n', "\r\n");
    Message::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

const INVITE: &str = "INVITE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9
Max-Forwards: 70
From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl
To: Bob <sip:bob@biloxi.example.com>
Call-ID: 3848276298220188511@atlanta.example.com
CSeq: 1 INVITE
Contact: <sip:alice@client.atlanta.example.com>
Content-Length: 0

";

fn response(status: u16, tag: &str, contact: &str, record_route: &[&str]) -> Message {
    let mut rr = String::new();
    for r in record_route {
        rr.push_str(&format!("Record-Route: {r}\n"));
    }
    msg(&format!(
        "SIP/2.0 {status} Whatever
Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9
{rr}From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl
To: Bob <sip:bob@biloxi.example.com>;tag={tag}
Call-ID: 3848276298220188511@atlanta.example.com
CSeq: 1 INVITE
Contact: {contact}
Content-Length: 0

"
    ))
}

fn via(branch: &str) -> Via {
    Via::new("UDP", "client.atlanta.example.com", Some(5060), branch)
}

#[test]
fn uac_dialog_from_180_then_200_recomputes_the_route_set() {
    let invite = msg(INVITE);
    let r180 = response(
        180,
        "314159",
        "<sip:bob@192.0.2.4>",
        &[
            "<sip:ss2.biloxi.example.com;lr>",
            "<sip:ss1.atlanta.example.com;lr>",
        ],
    );
    let mut d = Dialog::uac(&invite, &r180).unwrap();
    assert_eq!(d.state, DialogState::Early);
    assert_eq!(d.id.local_tag, "9fxced76sl");
    assert_eq!(d.id.remote_tag, "314159");
    // 12.1.2: the route set is the Record-Route reversed.
    let routes: Vec<String> = d.route_set.iter().map(|r| r.uri.host.clone()).collect();
    assert_eq!(
        routes,
        ["ss1.atlanta.example.com", "ss2.biloxi.example.com"]
    );
    // 13.2.2.4: the 2xx recomputes the route set and the target.
    let r200 = response(
        200,
        "314159",
        "<sip:bob@192.0.2.5>",
        &["<sip:ss2.biloxi.example.com;lr>"],
    );
    assert!(d.matches(&r200));
    d.confirm(&r200).unwrap();
    assert_eq!(d.state, DialogState::Confirmed);
    assert_eq!(d.route_set.len(), 1);
    assert_eq!(d.remote_target.host, "192.0.2.5");

    // The ACK: the INVITE's CSeq number, a new branch, loose routing.
    let ack = d.ack(1, via("z9hG4bKack"));
    let text = String::from_utf8(ack.to_bytes()).unwrap();
    assert!(
        text.starts_with("ACK sip:bob@192.0.2.5 SIP/2.0\r\n"),
        "{text}"
    );
    assert_eq!(ack.cseq().unwrap().seq, 1);
    assert_eq!(ack.get("Route"), Some("<sip:ss2.biloxi.example.com;lr>"));
    // BYE: CSeq 2, tags in place.
    let bye = d.request(Method::Bye, via("z9hG4bKbye")).unwrap();
    assert_eq!(bye.cseq().unwrap().seq, 2);
    assert_eq!(bye.from_tag().unwrap().as_deref(), Some("9fxced76sl"));
    assert_eq!(bye.to_tag().unwrap().as_deref(), Some("314159"));
    assert_eq!(
        bye.call_id().unwrap(),
        "3848276298220188511@atlanta.example.com"
    );
    d.handle_response(
        &Method::Bye,
        &response(200, "314159", "<sip:bob@192.0.2.5>", &[]),
    )
    .unwrap();
    assert_eq!(d.state, DialogState::Terminated);
    assert!(matches!(
        d.request(Method::Info, via("z9hG4bKx")),
        Err(DialogError::Terminated)
    ));
}

#[test]
fn strict_routing_puts_the_target_last() {
    let invite = msg(INVITE);
    let r200 = response(
        200,
        "1",
        "<sip:bob@192.0.2.4>",
        &["<sip:p2.example.com;lr>", "<sip:p1.example.com>"],
    );
    let mut d = Dialog::uac(&invite, &r200).unwrap();
    // Route set (reversed): p1 (strict), p2 (loose).
    let bye = d.request(Method::Bye, via("z9hG4bKb")).unwrap();
    assert_eq!(bye.request_uri().unwrap().host, "p1.example.com");
    let routes: Vec<&str> = bye.get_all("Route").collect();
    assert_eq!(routes, ["<sip:p2.example.com;lr>", "<sip:bob@192.0.2.4>"]);
}

#[test]
fn forked_early_dialogs_are_told_apart_by_the_remote_tag() {
    let invite = msg(INVITE);
    let a = Dialog::uac(&invite, &response(180, "a1", "<sip:bob@192.0.2.10>", &[])).unwrap();
    let b = Dialog::uac(&invite, &response(183, "b2", "<sip:bob@192.0.2.11>", &[])).unwrap();
    assert_ne!(a.id, b.id);
    let to_b = response(200, "b2", "<sip:bob@192.0.2.11>", &[]);
    assert!(b.matches(&to_b));
    assert!(!a.matches(&to_b));
    // A provisional response without a To tag creates no dialog.
    let no_tag = msg(&INVITE.replace(
        "INVITE sip:bob@biloxi.example.com SIP/2.0",
        "SIP/2.0 180 Ringing",
    ));
    assert_eq!(Dialog::uac(&invite, &no_tag), Err(DialogError::NoRemoteTag));
}

#[test]
fn uas_dialog_checks_cseq_and_refreshes_the_target() {
    let invite = msg(&INVITE.replace(
        "Contact:",
        "Record-Route: <sip:p1.example.com;lr>\nRecord-Route: <sip:p2.example.com;lr>\nContact:",
    ));
    let mut d = Dialog::uas(&invite, "uas-tag", true).unwrap();
    assert_eq!(d.remote_seq, Some(1));
    assert_eq!(d.local_seq, None);
    // 12.1.1: the route set in the order of the Record-Route.
    let routes: Vec<String> = d.route_set.iter().map(|r| r.uri.host.clone()).collect();
    assert_eq!(routes, ["p1.example.com", "p2.example.com"]);
    // Our first request: CSeq 1, From is our URI with our tag, To theirs.
    let info = d.request(Method::Info, via("z9hG4bKi")).unwrap();
    assert_eq!(info.cseq().unwrap().seq, 1);
    assert_eq!(info.from_tag().unwrap().as_deref(), Some("uas-tag"));
    assert_eq!(info.to_tag().unwrap().as_deref(), Some("9fxced76sl"));
    assert_eq!(
        info.request_uri().unwrap().host,
        "client.atlanta.example.com"
    );

    // The far end's requests: their From is the remote, their To has our tag.
    let in_dialog = |method: &str, cseq: u32, contact: &str| {
        msg(&format!(
            "{method} sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK{method}{cseq}
Max-Forwards: 70
From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl
To: Bob <sip:bob@biloxi.example.com>;tag=uas-tag
Call-ID: 3848276298220188511@atlanta.example.com
CSeq: {cseq} {method}
Contact: {contact}
Content-Length: 0

"
        ))
    };
    let update = in_dialog("UPDATE", 2, "<sip:alice@198.51.100.9>");
    assert!(d.matches(&update));
    d.handle_request(&update).unwrap();
    assert_eq!(
        d.remote_target.host, "198.51.100.9",
        "UPDATE refreshes the target"
    );
    // 12.2.2: a lower CSeq is refused with 500.
    let old = in_dialog("INFO", 1, "<sip:alice@198.51.100.9>");
    let e = d.handle_request(&old).unwrap_err();
    assert_eq!(e, DialogError::OutOfOrder { got: 1, last: 2 });
    assert_eq!(e.status(), 500);
    // A re-INVITE while ours is pending: glare, 491 (14.2).
    d.request(Method::Invite, via("z9hG4bKre")).unwrap();
    let reinvite = in_dialog("INVITE", 3, "<sip:alice@198.51.100.10>");
    let e = d.handle_request(&reinvite).unwrap_err();
    assert_eq!((e.clone(), e.status()), (DialogError::Glare, 491));
    d.handle_response(&Method::Invite, &response(491, "uas-tag", "<sip:x@y>", &[]))
        .unwrap();
    // Ours done: theirs is taken, and refreshes the target.
    d.handle_request(&reinvite).unwrap();
    assert_eq!(d.remote_target.host, "198.51.100.10");
    // Another INVITE before we answered theirs: 500 with Retry-After (14.2).
    let again = in_dialog("INVITE", 4, "<sip:alice@198.51.100.10>");
    assert_eq!(d.handle_request(&again), Err(DialogError::InvitePending));
    d.remote_invite_answered();
    d.handle_request(&again).unwrap();
    // BYE ends it.
    d.handle_request(&in_dialog("BYE", 5, "<sip:alice@198.51.100.10>"))
        .unwrap();
    assert_eq!(d.state, DialogState::Terminated);
}

#[test]
fn glare_retry_delays_follow_14_1() {
    let invite = msg(INVITE);
    let uac = Dialog::uac(&invite, &response(200, "t", "<sip:bob@192.0.2.4>", &[])).unwrap();
    let uas = Dialog::uas(&invite, "u", true).unwrap();
    for r in [0u32, 1, 189, 190, 1_000_000, u32::MAX] {
        let d = uac.glare_retry_delay(r).as_millis();
        assert!((2100..=4000).contains(&d), "{d}");
        let d = uas.glare_retry_delay(r).as_millis();
        assert!(d <= 2000, "{d}");
    }
}

#[test]
fn a_481_ends_the_dialog() {
    let invite = msg(INVITE);
    let mut d = Dialog::uac(&invite, &response(200, "t", "<sip:bob@192.0.2.4>", &[])).unwrap();
    d.request(Method::Info, via("z9hG4bKi")).unwrap();
    d.handle_response(
        &Method::Info,
        &response(481, "t", "<sip:bob@192.0.2.4>", &[]),
    )
    .unwrap();
    assert_eq!(d.state, DialogState::Terminated);
}
