//! The gateway end to end on a QSIG link with real peers on both sides: libpri (Debian
//! libpri-dev, switch type QSIG, tests/peers/pripeer.c) as the PBX on the D-channel (a
//! `frames` socket), sipp as the SIP user agent, `sipt-mgc run` between them (the rig:
//! tests/support/gateway_qsig.rs). RFC 4497 and the name identification of issue 6:
//!
//! - PBX -> SIP (8.2): libpri's SETUP with a calling name becomes an INVITE whose From (and
//!   P-Asserted-Identity, if any) has that display name; 180 and 200 reach libpri as ALERTING
//!   and CONNECT; cleared by either side (8.4.1, 8.4.2); refused by sipp with every row of
//!   Table 2 (8.4.4), one sipp answering each call with the status its number names;
//!   abandoned while sipp rings (CANCEL, 8.4.1). A SETUP with divertingLegInformation2
//!   (ECMA-174, libpri's redirecting information) becomes an INVITE with History-Info.
//! - SIP -> PBX (8.3): sipp's INVITE with a display name becomes a SETUP whose calling name
//!   libpri shows; libpri's CONNECT becomes sipp's 200. A Diversion header becomes the
//!   divertingLegInformation2 libpri reports as redirecting information.
//! - Fault: the D-channel lost mid-call (libpri killed) releases the SIP leg with BYE; a new
//!   libpri on the link gets the gateway's RESTART (Q.931 5.5) and a new call works.
//! - Bridging (RFC 3372, RFC 3204): libpri -> gateway A -> SIP with application/QSIG ->
//!   gateway B -> libpri, the calling name and the diversion (numbers, reasons, counter)
//!   arriving at the far libpri.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::gateway::free_udp_port;
use support::gateway::{secs, GatewayProcess, Route, SipTap};
use support::gateway_qsig::{
    display_name, pbx, q931, q931_messages, qsig_config_text_on, run_gateway, start_qsig_gateway,
    to_pbx, CHANNELS,
};
use support::peers::{self, Peer, PeerKind};
use support::relay::SocketDir;
use support::sipp::{self, Sipp};

fn peers_here() -> bool {
    peers::require(PeerKind::Pri).is_some() && sipp::require().is_some()
}

struct Rig {
    _dir: SocketDir,
    gateway: GatewayProcess,
    pbx: Peer,
}

/// A gateway with `routes`, and libpri (with `pbx_options`) on its D-channel, up and its
/// channels restarted.
fn start(tag: &str, routes: &[Route], pbx_options: &[&str]) -> Rig {
    let dir = SocketDir::new(tag);
    let gateway = start_qsig_gateway(&dir, "gateway", &[], routes);
    let pbx = pbx("libpri", &gateway.link, pbx_options);
    Rig {
        _dir: dir,
        gateway,
        pbx,
    }
}

/// A sipp UAS playing `scenario` for `calls` calls, with `pause` as its `-d`.
fn uas(name: &str, scenario: &str, calls: u32, pause: Duration) -> sipp::Running {
    Sipp::uas(name, sipp::scenario(scenario))
        .local("127.0.0.1".parse().expect("ip"), 0)
        .calls(calls)
        .pause(pause)
        .timeout(secs(40))
        .start()
}

/// The display names of From and P-Asserted-Identity of the INVITE sipp received.
fn invite_names(out: &sipp::Outcome) -> (Option<String>, Option<String>) {
    let invites = out.received("INVITE");
    let invite = invites
        .first()
        .unwrap_or_else(|| panic!("no INVITE: {out}"));
    (
        invite.header("From").as_deref().and_then(display_name),
        invite
            .header("P-Asserted-Identity")
            .as_deref()
            .and_then(display_name),
    )
}

/// libpri calls 4930123456 from 2001 with the calling name "Alice Smith" on B-channel 1;
/// sipp (uas_basic: 180, 200, then waits for BYE) answers: libpri sees ALERTING and CONNECT,
/// sipp's INVITE has the name as From's display name; libpri clears with cause 16 and the
/// gateway sends BYE (RFC 4497 8.4.1) and completes the clearing with RELEASE.
#[test]
fn pbx_call_with_a_name_reaches_sip_and_is_cleared_by_the_pbx() {
    if !peers_here() {
        return;
    }
    let uas = uas("gwq-uas-basic", "uas_basic.xml", 1, Duration::ZERO);
    let mut rig = start("gwq-pbx-sip", &[Route::sip("49", uas.local_addr())], &[]);
    rig.pbx.send("call 1 4930123456 2001 Alice Smith");
    rig.pbx
        .expect_with("alerting", &json!({"channel": 1}), secs(5));
    rig.pbx
        .expect_with("connect", &json!({"channel": 1}), secs(5));
    rig.pbx.send("hangup 1 16");
    q931(&mut rig.pbx, "rx", "RELEASE", secs(5));
    let out = uas.wait();
    out.assert_success(1);
    let (from, pai) = invite_names(&out);
    assert_eq!(
        from.as_deref(),
        Some("Alice Smith"),
        "callingName -> From: {out}"
    );
    if let Some(pai) = pai {
        assert_eq!(pai, "Alice Smith", "P-Asserted-Identity: {out}");
    }
    let bye = out.received("BYE");
    assert_eq!(bye.len(), 1, "{out}");
    let reason = bye[0].header("Reason").unwrap_or_default();
    assert!(reason.contains("cause=16"), "Reason of the BYE: {out}");
    let ended = rig.gateway.answered_call_ended(secs(5));
    assert_eq!(ended["cause"], 16, "{ended}");
    rig.gateway.assert_no_refusals();
}

/// As above, but sipp hangs up (uas_answer_bye: BYE 300 ms after the ACK): libpri sees
/// DISCONNECT with cause 16 (RFC 4497 8.4.2) and the clearing completes.
#[test]
fn pbx_call_answered_by_sip_is_cleared_by_sip() {
    if !peers_here() {
        return;
    }
    let uas = uas(
        "gwq-uas-bye",
        "uas_answer_bye.xml",
        1,
        Duration::from_millis(300),
    );
    let mut rig = start("gwq-sip-bye", &[Route::sip("49", uas.local_addr())], &[]);
    rig.pbx.send("call 2 4930123456 2001 Alice Smith");
    rig.pbx
        .expect_with("connect", &json!({"channel": 2}), secs(5));
    let disc = rig
        .pbx
        .expect_with("disconnect", &json!({"channel": 2}), secs(5));
    assert_eq!(disc["cause"], 16, "BYE -> DISCONNECT 16: {disc}");
    q931(&mut rig.pbx, "rx", "RELEASE COMPLETE", secs(5));
    let out = uas.wait();
    out.assert_success(1);
    assert_eq!(out.received("200 BYE").len(), 1, "{out}");
    rig.gateway.answered_call_ended(secs(5));
    rig.gateway.assert_no_refusals();
}

/// sipp refuses with a representative set of RFC 4497 Table 2 rows (8.4.4): 486 (with
/// `Reason: Q.850;cause=17`, which wins), 404, 503, 480 and 603 (no Reason): libpri sees
/// DISCONNECT with 17 user busy, 1 unallocated number, 41 temporary failure, 18 no user
/// responding and 21 call rejected, and the gateway ACKs each final response.
#[test]
fn sip_rejections_reach_the_pbx_as_disconnect_causes() {
    if !peers_here() {
        return;
    }
    let cases: [(u16, &str, u8, &str); 5] = [
        (486, "uas_busy.xml", 17, "491"),
        (404, "uas_not_found.xml", 1, "492"),
        (503, "uas_unavailable.xml", 41, "493"),
        (480, "uas_temporarily_unavailable.xml", 18, "494"),
        (603, "uas_decline.xml", 21, "495"),
    ];
    let sipps: Vec<sipp::Running> = cases
        .iter()
        .map(|(status, scenario, _, _)| {
            uas(&format!("gwq-uas-{status}"), scenario, 1, Duration::ZERO)
        })
        .collect();
    let routes: Vec<Route> = cases
        .iter()
        .zip(&sipps)
        .map(|((_, _, _, prefix), s)| Route::sip(prefix, s.local_addr()))
        .collect();
    let mut rig = start("gwq-reject", &routes, &[]);
    for (n, (status, _, cause, prefix)) in cases.iter().enumerate() {
        let channel = 1 + n;
        rig.pbx
            .send(&format!("call {channel} {prefix}0123456 2001 Alice Smith"));
        let disc = rig
            .pbx
            .expect_with("disconnect", &json!({"channel": channel}), secs(10));
        assert_eq!(
            disc["cause"], *cause,
            "{status} -> DISCONNECT cause {cause} (RFC 4497 Table 2): {disc}"
        );
        let ended = rig.gateway.call_ended(secs(5));
        assert_eq!(ended["status"], *status, "{ended}");
        assert_eq!(ended["cause"], *cause, "{ended}");
    }
    for s in sipps {
        let out = s.wait();
        out.assert_success(1);
        assert_eq!(out.received("ACK").len(), 1, "{out}");
    }
    assert!(
        rig.pbx.history().iter().all(|e| e["event"] != "alerting"),
        "a final response without a provisional one sends no ALERTING"
    );
    rig.gateway.assert_no_refusals();
}

/// RFC 4497 8.4.4 Table 2 ("Mapping of SIP 4xx-6xx responses to an INVITE request to QSIG
/// Cause values"), typed here from the RFC's text (../shared/specs/rfc4497-qsig-sip.md), not
/// from the gateway's table: (status, variant, cause). Variant 0 is the plain response;
/// variant 1 carries a Warning about the media (304/305), for which note 8 gives 65 "bearer
/// capability not implemented" to 488 and 606 (without one: 31). 487 has no row (note 7: the
/// default, 31). 409 and 580 are not in the table: "Cause value 31 (Normal, unspecified) SHALL
/// be used as the default for SIP responses not shown in Table 2". The table has no 3xx rows
/// (8.2.1.5: a 3xx is followed as RFC 3261 says, no QSIG message).
const TABLE_2: &[(u16, u8, u8)] = &[
    (400, 0, 41),  // Bad request: Temporary failure
    (401, 0, 21),  // Unauthorized: Call rejected (note 5: no credentials here)
    (402, 0, 21),  // Payment required: Call rejected
    (403, 0, 21),  // Forbidden: Call rejected
    (404, 0, 1),   // Not found: Unallocated number
    (405, 0, 63),  // Method not allowed: Service or option unavailable, unspecified
    (406, 0, 79),  // Not acceptable: Service or option not implemented, unspecified
    (407, 0, 21),  // Proxy Authentication required: Call rejected (note 5)
    (408, 0, 102), // Request timeout: Recovery on timer expiry
    (409, 0, 31),  // (not in the table): the default
    (410, 0, 22),  // Gone: Number changed
    (413, 0, 127), // Request entity too large: Interworking, unspecified
    (414, 0, 127), // Request-URI too long: Interworking, unspecified
    (415, 0, 79),  // Unsupported media type: Service or option not implemented
    (416, 0, 127), // Unsupported URI scheme: Interworking, unspecified
    (420, 0, 127), // Bad extension: Interworking, unspecified
    (421, 0, 127), // Extension required: Interworking, unspecified
    (423, 0, 127), // Interval too brief: Interworking, unspecified
    (480, 0, 18),  // Temporarily unavailable: No user responding
    (481, 0, 41),  // Call/transaction does not exist: Temporary failure
    (482, 0, 25),  // Loop detected: Exchange routing error
    (483, 0, 25),  // Too many hops: Exchange routing error
    (484, 0, 28),  // Address incomplete: Invalid number format
    (485, 0, 1),   // Ambiguous: Unallocated number
    (486, 0, 17),  // Busy here: User busy
    (487, 0, 31),  // Request terminated: (note 7) the default
    (488, 0, 31),  // Not Acceptable Here: 31 (note 8: no Warning about the bearer)
    (488, 1, 65),  // Not Acceptable Here + Warning 305: 65 Bearer capability not implemented
    (500, 0, 41),  // Server internal error: Temporary failure
    (501, 0, 79),  // Not implemented: Service or option not implemented
    (502, 0, 38),  // Bad gateway: Network out of order
    (503, 0, 41),  // Service unavailable: Temporary failure
    (504, 0, 102), // Gateway time-out: Recovery on timer expiry
    (505, 0, 127), // Version not supported: Interworking, unspecified
    (513, 0, 127), // Message too large: Interworking, unspecified
    (580, 0, 31),  // (not in the table): the default
    (600, 0, 17),  // Busy everywhere: User busy
    (603, 0, 21),  // Decline: Call rejected
    (604, 0, 1),   // Does not exist anywhere: Unallocated number
    (606, 0, 31),  // Not acceptable: 31 (note 8: no Warning about the bearer)
    (606, 1, 65),  // Not acceptable + Warning 304: 65 Bearer capability not implemented
];

/// Q.850 2.2.5 location "user" (0) and "private network serving the remote user" (5).
const LOCATION_USER: u8 = 0;
const LOCATION_PRIVATE_REMOTE: u8 = 5;

/// Every row of [`TABLE_2`] end to end, with one gateway, one libpri and one sipp
/// (uas_reject_by_number: the callee answers each INVITE with the status its number names,
/// 49SSSV): libpri calls 49SSSV one call after another; each call must come back to libpri as
/// a DISCONNECT with the row's cause (RFC 4497 8.4.4), whose location is "user" for a 6xx and
/// "private network serving the remote user" otherwise (8.4.4: SHOULD); no ALERTING; the
/// gateway ACKs each final response and logs the status and the cause. libpri completes each
/// clearing (RELEASE, RELEASE COMPLETE) before the next call, which takes the next of 15
/// B-channels.
#[test]
fn every_rfc4497_table2_row_reaches_the_pbx_as_its_disconnect_cause() {
    if !peers_here() {
        return;
    }
    let calls = u32::try_from(TABLE_2.len()).expect("rows");
    let uas = uas(
        "gwq-uas-table2",
        "uas_reject_by_number.xml",
        calls,
        Duration::ZERO,
    );
    let mut rig = start("gwq-table2", &[Route::sip("49", uas.local_addr())], &[]);
    let began = Instant::now();
    let mut wrong = Vec::new();
    for (n, &(status, variant, cause)) in TABLE_2.iter().enumerate() {
        let channel = 1 + n % 15;
        let called = format!("49{status}{variant}");
        rig.pbx
            .send(&format!("call {channel} {called} 2001 Alice Smith"));
        let disc = rig
            .pbx
            .expect_event(
                |e| e["event"] == "q931" && e["dir"] == "rx" && e["msg"] == "DISCONNECT",
                secs(10),
            )
            .unwrap_or_else(|e| panic!("{status} (variant {variant}): no DISCONNECT: {e}"));
        let location = if status >= 600 {
            LOCATION_USER
        } else {
            LOCATION_PRIVATE_REMOTE
        };
        if disc["cause"] != cause || disc["location"] != location {
            wrong.push(format!(
                "{status} (variant {variant}): want cause {cause} location {location}, \
                 libpri got cause {} location {}",
                disc["cause"], disc["location"]
            ));
        }
        rig.pbx
            .expect_with("release_ack", &json!({"channel": channel}), secs(5));
        let ended = rig.gateway.call_ended(secs(5));
        if ended["status"] != status || ended["cause"] != cause {
            wrong.push(format!("{called}: the gateway logged {ended}"));
        }
    }
    let took = began.elapsed();
    assert!(
        wrong.is_empty(),
        "RFC 4497 Table 2 rows:\n{}",
        wrong.join("\n")
    );
    let out = uas.wait();
    out.assert_success(u64::from(calls));
    assert_eq!(out.received("ACK").len(), TABLE_2.len(), "{out}");
    assert!(
        out.sent("500 INVITE")
            .iter()
            .all(|m| m.header("Warning").is_none()),
        "a number without a row in the scenario: {out}"
    );
    assert!(
        rig.pbx.history().iter().all(|e| e["event"] != "alerting"),
        "a final response without a provisional one sends no ALERTING"
    );
    rig.gateway.assert_no_refusals();
    eprintln!("{} rows of RFC 4497 Table 2 in {took:?}", TABLE_2.len());
}

/// The History-Info entries of a header value (RFC 7044 4.1: `<uri>;index=..;mp=..`, comma
/// separated), each as (user part of the URI, `cause` URI parameter, `index`, `mp`).
fn history_entries(value: &str) -> Vec<(String, Option<String>, String, Option<String>)> {
    value
        .split(',')
        .map(|entry| {
            let entry = entry.trim();
            let (uri, params) = entry
                .strip_prefix('<')
                .and_then(|e| e.split_once('>'))
                .unwrap_or_else(|| panic!("History-Info entry without <uri>: {entry}"));
            let param = |list: &str, name: &str| {
                list.split(';')
                    .filter_map(|p| p.trim().split_once('='))
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.to_owned())
            };
            let user = uri
                .trim_start_matches("sip:")
                .split(['@', ';'])
                .next()
                .unwrap_or_default()
                .to_owned();
            (
                user,
                param(uri, "cause"),
                param(params, "index").unwrap_or_default(),
                param(params, "mp"),
            )
        })
        .collect()
}

/// libpri calls 4930123456 with redirecting information (pripeer's `call ... redirecting=`:
/// libpri's pri_sr_set_redirecting_parties, which on QSIG sends ECMA-174
/// divertingLegInformation2 in the SETUP's Facility IE): diverted twice, first by 4930111 (the
/// original called number) unconditionally, last by 4930555 ("Carol") on busy. sipp
/// (uas_decline) receives an INVITE whose History-Info (RFC 7044; the gateway's default, the
/// Diversion header being the other choice) lists the original called party, the diverting
/// party and the target, with the RFC 4458 causes of the two retargetings: 302
/// (unconditional) on the diverting party's entry and 486 (busy) on the target's.
#[test]
fn pbx_call_with_diversion_reaches_sip_with_history_info() {
    if !peers_here() {
        return;
    }
    let uas = uas("gwq-uas-divert", "uas_decline.xml", 1, Duration::ZERO);
    let mut rig = start("gwq-divert", &[Route::sip("49", uas.local_addr())], &[]);
    rig.pbx.send(
        "call 1 4930123456 2001 Alice Smith redirecting=4930555 redirecting_name=Carol \
         reason=busy count=2 orig_called=4930111 orig_reason=unconditional",
    );
    let setup = q931(&mut rig.pbx, "tx", "SETUP", secs(5));
    assert_eq!(setup["channel"], 1, "{setup}");
    let disc = rig
        .pbx
        .expect_with("disconnect", &json!({"channel": 1}), secs(5));
    assert_eq!(disc["cause"], 21, "603 -> 21: {disc}");
    let out = uas.wait();
    out.assert_success(1);
    let invites = out.received("INVITE");
    let invite = invites
        .first()
        .unwrap_or_else(|| panic!("no INVITE: {out}"));
    let hi = invite
        .header("History-Info")
        .unwrap_or_else(|| panic!("divertingLegInformation2 -> History-Info: {out}"));
    eprintln!("History-Info: {hi}");
    let entries = history_entries(&hi);
    let users: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        users,
        ["4930111", "4930555", "4930123456"],
        "original called, diverting, target: {hi}"
    );
    let causes: Vec<Option<&str>> = entries.iter().map(|e| e.1.as_deref()).collect();
    assert_eq!(
        causes,
        [None, Some("302"), Some("486")],
        "RFC 4458 causes: cfu -> 302 on the first retargeting, cfb -> 486 on the last: {hi}"
    );
    let indices: Vec<&str> = entries.iter().map(|e| e.2.as_str()).collect();
    assert_eq!(indices, ["1", "1.1", "1.1.1"], "{hi}");
    assert_eq!(
        entries.iter().map(|e| e.3.as_deref()).collect::<Vec<_>>(),
        [None, Some("1"), Some("1.1")],
        "each retargeting names the entry it came from (mp, RFC 7044 4.3.3.1.2): {hi}"
    );
    assert!(
        invite.header("Diversion").is_none(),
        "History-Info or Diversion, not both: {out}"
    );
    rig.gateway.call_ended(secs(5));
    rig.gateway.assert_no_refusals();
}

/// libpri gives up while sipp rings (uas_cancel: 180, then waits for CANCEL): DISCONNECT
/// before answer becomes CANCEL with the DISCONNECT's cause in its Reason (RFC 4497 8.4.1,
/// RFC 3326); sipp answers 200 and 487, the gateway ACKs the 487.
#[test]
fn pbx_caller_hangs_up_while_sip_rings() {
    if !peers_here() {
        return;
    }
    let uas = uas("gwq-uas-cancel", "uas_cancel.xml", 1, Duration::ZERO);
    let mut rig = start("gwq-cancel", &[Route::sip("49", uas.local_addr())], &[]);
    rig.pbx.send("call 3 4930123456 2001 Alice Smith");
    rig.pbx
        .expect_with("alerting", &json!({"channel": 3}), secs(5));
    rig.pbx.send("hangup 3 16");
    q931(&mut rig.pbx, "rx", "RELEASE", secs(5));
    let out = uas.wait();
    out.assert_success(1);
    assert_eq!(
        out.ladder_once(),
        [
            "< INVITE",
            "> 100 INVITE",
            "> 180 INVITE",
            "< CANCEL",
            "> 200 CANCEL",
            "> 487 INVITE",
            "< ACK"
        ],
        "{out}"
    );
    let cancel = out.received("CANCEL");
    let reason = cancel[0].header("Reason").unwrap_or_default();
    assert!(reason.contains("cause=16"), "Reason of the CANCEL: {out}");
    assert!(rig.pbx.history().iter().all(|e| e["event"] != "connect"));
    let ended = rig.gateway.call_ended(secs(5));
    assert_eq!(ended["answered"], false, "{ended}");
    assert_eq!(ended["cause"], 16, "{ended}");
    rig.gateway.assert_no_refusals();
}

/// sipp calls 2001 (route "2" -> trunk group "pbx") as "Bob Jones" (uac_named); libpri
/// answers by itself: its SETUP shows the calling name, sipp gets 180 and 200
/// (RFC 4497 8.3), sends BYE after 300 ms, and libpri sees DISCONNECT with cause 16.
#[test]
fn sip_call_with_a_name_reaches_the_pbx_and_is_answered() {
    if !peers_here() {
        return;
    }
    let mut rig = start("gwq-sip-pbx", &[to_pbx("2")], &["--auto-answer"]);
    let out = Sipp::uac(
        "gwq-uac-named",
        sipp::scenario("uac_named.xml"),
        rig.gateway.sip,
    )
    .service("2001")
    .key("calling", "4940111222")
    .key("name", "Bob Jones")
    .pause(Duration::from_millis(300))
    .timeout(secs(20))
    .run();
    out.assert_success(1);
    let setup = rig.pbx.expect("setup", secs(5));
    assert_eq!(setup["called"], "2001", "{setup}");
    assert_eq!(
        setup["calling_name"], "Bob Jones",
        "From -> callingName: {setup}"
    );
    // RFC 4497 9.2.2: the number of an unverified From is used only if the gateway is
    // "prepared to" (QsigDefaults::use_from, off); sipp is not a trusted peer and sends no
    // P-Asserted-Identity, so the SETUP has no calling number — but the name.
    assert_eq!(setup["calling"], "", "{setup}");
    let disc = rig.pbx.expect("disconnect", secs(5));
    assert_eq!(disc["cause"], 16, "BYE -> DISCONNECT 16: {disc}");
    let ladder = out.ladder_once();
    assert!(ladder.contains(&"< 180 INVITE".to_owned()), "{out}");
    assert!(ladder.contains(&"< 200 INVITE".to_owned()), "{out}");
    assert!(ladder.contains(&"< 200 BYE".to_owned()), "{out}");
    rig.gateway.answered_call_ended(secs(5));
    rig.gateway.assert_no_refusals();
}

/// sipp calls 2001 with a Diversion header (uac_diverted: diverted once by 4930555 on busy,
/// RFC 5806) and libpri answers by itself: libpri's SETUP has the divertingLegInformation2
/// the gateway made of it (ECMA-174: diversionCounter 1, diversionReason cfb, divertingNr
/// 4930555), which libpri reports as its redirecting information: the number, the reason
/// "busy" (PRI_REDIR_FORWARD_ON_BUSY, 1) and the counter 1, no original called party.
#[test]
fn sip_call_with_diversion_reaches_the_pbx() {
    if !peers_here() {
        return;
    }
    let mut rig = start("gwq-sip-divert", &[to_pbx("2")], &["--auto-answer"]);
    let out = Sipp::uac(
        "gwq-uac-diverted",
        sipp::scenario("uac_diverted.xml"),
        rig.gateway.sip,
    )
    .service("2001")
    .key("calling", "4940111222")
    .key("diverter", "4930555")
    .key("diversion_reason", "user-busy")
    .pause(Duration::from_millis(100))
    .timeout(secs(20))
    .run();
    out.assert_success(1);
    let setup = rig.pbx.expect("setup", secs(5));
    assert_eq!(setup["called"], "2001", "{setup}");
    assert_eq!(setup["redirecting"], "4930555", "divertingNr: {setup}");
    assert_eq!(setup["redirecting_reason"], 1, "user-busy -> cfb: {setup}");
    assert_eq!(setup["redirecting_count"], 1, "diversionCounter: {setup}");
    assert_eq!(setup["orig_called"], "", "one diversion: {setup}");
    rig.gateway.answered_call_ended(secs(5));
    rig.gateway.assert_no_refusals();
}

// ------------------------------------------------------------------------------ faults

/// The D-channel is lost during an answered call (the libpri process is killed): the gateway
/// logs the transport's loss, which is the loss of the data link (Q.921 persistent
/// deactivation: DL-RELEASE-indication at once), keeps the active call for T309 (Q.931 5.8.9)
/// and then clears it with cause 27, the SIP leg with BYE. A new libpri connects: the data
/// link comes up, the gateway restarts its channels (RESTART, Q.931 5.5) and a new call goes
/// through.
#[test]
fn dchannel_lost_mid_call_clears_sip_and_restarts_the_channels() {
    if !peers_here() {
        return;
    }
    let uas = uas("gwq-uas-linkloss", "uas_basic.xml", 2, Duration::ZERO);
    let Rig {
        _dir,
        mut gateway,
        pbx: mut first,
    } = start("gwq-link-loss", &[Route::sip("49", uas.local_addr())], &[]);
    first.send("call 1 4930123456 2001 Alice Smith");
    first.expect_with("connect", &json!({"channel": 1}), secs(5));
    let lost = Instant::now();
    drop(first); // killed: the socket closes under the gateway's D-channel
    gateway
        .log
        .expect_seen(
            |e| e["event"] == "link" && e["trunk"] == "pbx-1" && !e["notice"]["lost"].is_null(),
            secs(2),
        )
        .unwrap_or_else(|e| panic!("the transport's loss is logged: {e}"));
    let ended = gateway.call_ended(secs(30));
    let took = lost.elapsed();
    assert_eq!(ended["answered"], true, "{ended}");
    assert_eq!(
        ended["cause"], 27,
        "T309 expired: destination out of order: {ended}"
    );
    // The data link is released at once; the active call is then kept for T309 (6 s), not
    // for Q.921's own detection of the far end's silence (T203 10 s + (N200 + 1) T200 1 s).
    assert!(
        took >= secs(5) && took < secs(10),
        "the call cleared after T309 from the transport's loss, not {took:?}"
    );

    let mut second = pbx("libpri-again", &gateway.link, &[]);
    // Q.931 5.5: every channel idle, so the whole interface (libpri: channel -1).
    second
        .expect_seen(|e| e["event"] == "restart" && e["channel"] == -1, secs(5))
        .unwrap_or_else(|e| panic!("{e}"));
    second.send("call 2 4930123456 2001 Alice Smith");
    second.expect_with("connect", &json!({"channel": 2}), secs(5));
    second.send("hangup 2 16");
    q931(&mut second, "rx", "RELEASE", secs(5));
    let ended = gateway.call_ended(secs(5));
    assert_eq!(ended["cause"], 16, "{ended}");

    let out = uas.wait();
    out.assert_success(2);
    let byes = out.received("BYE");
    assert_eq!(byes.len(), 2, "{out}");
    let reason = byes[0].header("Reason").unwrap_or_default();
    assert!(
        reason.contains("cause=27"),
        "the BYE of the lost call gives its cause: {reason}\n{out}"
    );
    gateway.assert_no_refusals();
}

/// A QSIG link on the `serial` transport with a new PTY (DESIGN.md, link transports): the
/// gateway logs the PTY's path as for an ISUP link ({"event":"pty"}); the built-in PBX
/// simulator (`sipt-mgc sim`, QSIG network side, answering every call) opens it, and a call
/// from sipp to the PBX is answered (RFC 4497 8.3) and cleared by sipp. No libpri here: it
/// cannot use a serial line.
#[test]
fn qsig_link_on_a_pty_carries_a_call_to_the_builtin_pbx() {
    if sipp::require().is_none() {
        return;
    }
    let dir = SocketDir::new("gwq-pty");
    let port = free_udp_port();
    let text = qsig_config_text_on(
        port,
        "transport = \"serial\"\nbaud = 64000",
        "pty",
        &[],
        &[to_pbx("2")],
    );
    let mut gateway = run_gateway(&dir, "gateway", port, &text, dir.path("unused"));
    let pty = gateway.log.expect("pty", secs(5));
    assert_eq!(pty["trunk"], "pbx-1", "{pty}");
    let path = pty["path"].as_str().expect("the PTY's path").to_owned();
    let sim_config = dir.write(
        "sim.toml",
        &format!(
            "[[link]]\nname = \"pbx\"\nprotocol = \"qsig\"\nrole = \"network\"\n\
             transport = \"serial\"\npath = \"{path}\"\nbaud = 64000\n\
             channels = \"{CHANNELS}\"\ntrunk_group = \"pbx\"\n"
        ),
    );
    let mut sim = Peer::spawn_program(
        support::sipt_mgc(),
        "sim",
        &["sim", "--config", &sim_config],
    );
    // The data link is up and the gateway's RESTART acknowledged before the call.
    sim.expect_event(
        |e| e["event"] == "q931" && e["dir"] == "out" && e.to_string().contains("RESTART"),
        secs(10),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = Sipp::uac("gwq-uac-pty", sipp::scenario("uac_basic.xml"), gateway.sip)
        .service("2001")
        .key("calling", "4940111222")
        .pause(Duration::from_millis(200))
        .timeout(secs(20))
        .run();
    out.assert_success(1);
    sim.expect("incoming_call", secs(5));
    gateway.answered_call_ended(secs(5));
    gateway.assert_no_refusals();
}

/// As above, but the new libpri connects at once, well within T309. The transport's loss
/// released the data link (Q.921 persistent deactivation), so the new libpri's SABME is a
/// data link established again within T309 (Q.931 5.8.9: T309 stops and a STATUS goes for the
/// active call), not a reset that would keep the call; libpri knows no such call and
/// answers RELEASE COMPLETE (Q.931 5.8.11): the stale call is cleared, its SIP leg gets BYE, and
/// libpri's next call, with the same call reference, is answered.
#[test]
fn dchannel_lost_and_back_at_once_clears_the_stale_call() {
    if !peers_here() {
        return;
    }
    let uas = uas("gwq-uas-quick", "uas_basic.xml", 2, Duration::ZERO);
    let Rig {
        _dir,
        mut gateway,
        pbx: mut first,
    } = start("gwq-quick", &[Route::sip("49", uas.local_addr())], &[]);
    first.send("call 1 4930123456 2001 Alice Smith");
    first.expect_with("connect", &json!({"channel": 1}), secs(5));
    drop(first);
    let mut second = pbx("libpri-at-once", &gateway.link, &[]);
    gateway.answered_call_ended(secs(12));
    second.send("call 1 4930123456 2001 Alice Smith");
    second.expect_with("connect", &json!({"channel": 1}), secs(5));
    second.send("hangup 1 16");
    q931(&mut second, "rx", "RELEASE", secs(5));
    uas.wait().assert_success(2);
}

// ------------------------------------------------------------------------------ bridging

/// Two gateways bridging two libpris: gateway A's route "2" goes over SIP to the trusted
/// gateway B (through a tap that keeps the datagrams), whose route "2" goes to libpri B on its
/// QSIG link; libpri B answers by itself.
struct Bridge {
    _dir: SocketDir,
    gw_a: GatewayProcess,
    gw_b: GatewayProcess,
    tap: SipTap,
    pbx_a: Peer,
    pbx_b: Peer,
}

fn bridge(tag: &str) -> Bridge {
    let dir = SocketDir::new(tag);
    let trusted = ["127.0.0.1/32"];
    let gw_b = start_qsig_gateway(&dir, "gw-b", &trusted, &[to_pbx("2")]);
    let tap = SipTap::start(gw_b.sip);
    let gw_a = start_qsig_gateway(&dir, "gw-a", &trusted, &[Route::sip("2", tap.addr())]);
    let pbx_b = pbx("libpri-b", &gw_b.link, &["--auto-answer"]);
    let pbx_a = pbx("libpri-a", &gw_a.link, &[]);
    Bridge {
        _dir: dir,
        gw_a,
        gw_b,
        tap,
        pbx_a,
        pbx_b,
    }
}

/// libpri A's call of the bridge tests: 2001 from 1001 "Alice Smith", diverted twice (ECMA-174
/// divertingLegInformation2 in the SETUP): first by 3001 "Dave" unconditionally, last by 3005
/// "Carol Diverter" on busy.
const BRIDGED_CALL: &str = "call 1 2001 1001 Alice Smith redirecting=3005 \
     redirecting_name=Carol_Diverter reason=busy count=2 orig_called=3001 orig_called_name=Dave \
     orig_reason=unconditional";

/// libpri A calls 2001 as "Alice Smith", diverted ([`BRIDGED_CALL`]), through the [`Bridge`].
/// The INVITE carries the SETUP as application/QSIG (RFC 3204); libpri B's SETUP shows the
/// calling name and number, and the diversion: its divertingLegInformation2 (libpri's
/// redirecting information) has the diverting number 3005 with the reason "busy" (libpri's
/// PRI_REDIR_FORWARD_ON_BUSY, 1; QSIG cfb), the diversion counter 2, and the original called
/// number 3001 with the reason "unconditional" (PRI_REDIR_UNCONDITIONAL, 15; QSIG cfu).
/// libpri A sees CONNECT, and its DISCONNECT reaches libpri B with cause 16.
#[test]
fn two_gateways_bridge_libpri_to_libpri_with_the_name_and_the_diversion() {
    if !peers_here() {
        return;
    }
    let Bridge {
        _dir,
        mut gw_a,
        mut gw_b,
        tap,
        mut pbx_a,
        mut pbx_b,
    } = bridge("gwq-bridge");

    pbx_a.send(BRIDGED_CALL);
    let setup = pbx_b.expect("setup", secs(5));
    assert_eq!(setup["called"], "2001", "{setup}");
    assert_eq!(setup["calling"], "1001", "{setup}");
    assert_eq!(setup["calling_name"], "Alice Smith", "{setup}");
    assert_eq!(setup["redirecting"], "3005", "divertingNr: {setup}");
    assert_eq!(
        setup["redirecting_reason"], 1,
        "diversionReason cfb: {setup}"
    );
    assert_eq!(setup["redirecting_count"], 2, "diversionCounter: {setup}");
    assert_eq!(setup["orig_called"], "3001", "originalCalledNr: {setup}");
    assert_eq!(
        setup["orig_reason"], 15,
        "originalDiversionReason cfu: {setup}"
    );
    pbx_a.expect_with("connect", &json!({"channel": 1}), secs(5));
    pbx_a.send("hangup 1 16");
    let disc = pbx_b.expect("disconnect", secs(5));
    assert_eq!(disc["cause"], 16, "{disc}");
    q931(&mut pbx_a, "rx", "RELEASE", secs(5));

    let invite = tap.wait_for(|d| d.bytes.starts_with(b"INVITE "), secs(1));
    let text = String::from_utf8_lossy(&invite.bytes).to_ascii_lowercase();
    assert!(
        text.contains("application/qsig"),
        "the INVITE to a trusted peer carries the SETUP (RFC 3204):\n{}",
        String::from_utf8_lossy(&invite.bytes)
    );
    assert!(
        text.contains("carol diverter"),
        "the encapsulated SETUP has the divertingLegInformation2 with its names:\n{}",
        String::from_utf8_lossy(&invite.bytes)
    );
    assert!(
        text.contains("\nhistory-info:"),
        "and the diversion as History-Info:\n{}",
        String::from_utf8_lossy(&invite.bytes)
    );
    for gw in [&mut gw_a, &mut gw_b] {
        gw.answered_call_ended(secs(5));
        gw.assert_no_refusals();
    }
    assert!(
        q931_messages(&mut pbx_b).contains(&("rx".to_owned(), "SETUP".to_owned())),
        "libpri B got a SETUP"
    );
}

/// As above, for what only the encapsulated SETUP can carry (RFC 3204, issue 6: "facility
/// information the mapping cannot express still arrives at the far PBX"): the names in
/// divertingLegInformation2 (redirectingName "Carol Diverter", originalCalledName "Dave"),
/// which History-Info does not carry: gateway B builds its SETUP on the encapsulated one,
/// whose Facility information element it keeps.
#[test]
fn two_gateways_bridge_libpri_to_libpri_with_the_diverting_names() {
    if !peers_here() {
        return;
    }
    let mut b = bridge("gwq-bridge-names");
    b.pbx_a.send(BRIDGED_CALL);
    let setup = b.pbx_b.expect("setup", secs(5));
    assert_eq!(setup["redirecting"], "3005", "{setup}");
    assert_eq!(
        setup["redirecting_name"], "Carol Diverter",
        "redirectingName: {setup}"
    );
    assert_eq!(
        setup["orig_called_name"], "Dave",
        "originalCalledName: {setup}"
    );
    b.pbx_a.send("hangup 1 16");
    q931(&mut b.pbx_a, "rx", "RELEASE", secs(5));
}
