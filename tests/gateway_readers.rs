//! Independent readers of the gateway's SIP-T messages: what `sipt-mgc run` sends on the SIP
//! side for a call from libss7 is read by tshark (Wireshark's SIP, multipart and ISUP
//! dissectors, on a pcap of the datagrams as they went over the wire) and by Kamailio's sipt
//! module (the `$sipt(...)` pseudo-variables of a live Kamailio answering the INVITE), and
//! both must agree with the IAM libss7 sent: called and calling number, their natures of
//! address, presentation, screening, category, and the message type — and the ISUP part of
//! the body must be the octets libss7 sent, from the message type on (RFC 3204, RFC 3372).
//!
//! Peers: libss7 (tests/peers/ss7peer.c), sipp, tshark (Debian `tshark`) and Kamailio
//! (Debian `kamailio`, whose package ships modules/sipt.so). A missing one skips the test,
//! and fails it when CI=true.

mod support;

#[path = "../codecs/tests/common/pcap.rs"]
#[allow(dead_code)]
mod pcap;
#[path = "../codecs/tests/common/tshark.rs"]
#[allow(dead_code)]
mod tshark;

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sipt_mgc::sip::message::Message;
use support::gateway::{
    free_udp_port, secs, ss7_switch, start_line, traced_isup_frames, Datagram, GatewayProcess,
    Route, SipTap,
};
use support::peers::{self, in_ci, Peer, PeerKind};
use support::relay::SocketDir;
use support::sipp::{self, Sipp};

/// The IAM libss7 sends in every test: called 4930123456 national (NAI 3), calling
/// 4940111222 international (NAI 4), presentation restricted (1), screening network provided
/// (3), category ordinary subscriber (10). libss7 ends the called number with the ST digit
/// (Q.763 3.9, code 1111), which tshark and Kamailio both show as a final "F".
const CALL: &str = "call 5 4930123456 4940111222 nai=3 cnai=4 pres=1 scr=3 cat=10";

fn hex(b: &[u8]) -> String {
    b.iter().map(|o| format!("{o:02x}")).collect()
}

/// The ISUP part (application/ISUP) of a SIP message's multipart body.
fn isup_part(bytes: &[u8]) -> Option<Vec<u8>> {
    let m = Message::parse(bytes).ok()?;
    let parts = m.body_parts().ok()?;
    parts
        .into_iter()
        .find(|p| {
            p.content_type
                .to_ascii_lowercase()
                .starts_with("application/isup")
        })
        .map(|p| p.body)
}

/// A pcap of `datagrams` (IPv4/UDP on 127.0.0.1 with their ports), read by tshark with the
/// fields `fields`; one JSON object per packet.
fn tshark_read(test: &str, datagrams: &[Datagram], fields: &[&str]) -> Vec<Value> {
    let dir = tshark::scratch(test);
    let file = dir.join("sip.pcap");
    let packets: Vec<Vec<u8>> = datagrams
        .iter()
        .map(|d| pcap::ipv4_udp(d.from.port(), d.to.port(), &d.bytes))
        .collect();
    pcap::write(&file, pcap::LINKTYPE_RAW, &packets);
    let mut args: Vec<&str> = vec!["-o", "sip.tcp.port:0"];
    for f in fields {
        args.extend(["-e", f]);
    }
    // Our ports are not 5060: decode every UDP datagram as SIP.
    let mut ports: Vec<String> = datagrams
        .iter()
        .flat_map(|d| [d.from.port(), d.to.port()])
        .map(|p| format!("udp.port=={p},sip"))
        .collect();
    ports.sort();
    ports.dedup();
    let decode_as: Vec<String> = ports
        .iter()
        .flat_map(|p| ["-d".to_owned(), p.clone()])
        .collect();
    let mut all: Vec<&str> = decode_as.iter().map(String::as_str).collect();
    all.extend(args);
    let out = tshark::packets(&file, &all);
    let _ = std::fs::remove_dir_all(&dir);
    out
}

fn one<'a>(packet: &'a Value, field: &str) -> &'a str {
    tshark::field(packet, field).first().copied().unwrap_or("")
}

/// tshark writes some numeric fields in hex ("0x0a"): as a number.
fn number(v: &str) -> Option<u64> {
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => v.parse().ok(),
    }
}

const ISUP_FIELDS: &[&str] = &[
    "sip.Method",
    "sip.Status-Code",
    "isup.message_type",
    "isup.called",
    "isup.called_party_nature_of_address_indicator",
    "isup.calling",
    "isup.calling_party_nature_of_address_indicator",
    "isup.address_presentation_restricted_indicator",
    "isup.screening_indicator",
    "isup.calling_partys_category",
    "_ws.malformed",
];

/// libss7 -> gateway -> (tap) -> sipp busy: tshark reads the INVITE the gateway sent as SIP
/// with an ISUP IAM whose fields are those libss7 put in it, and the body's ISUP octets are
/// libss7's.
#[test]
fn tshark_reads_the_iam_in_the_gateways_invite() {
    if peers::require(PeerKind::Ss7).is_none() || sipp::require().is_none() {
        return;
    }
    if !tshark::available() {
        return;
    }
    let uas = Sipp::uas("readers-busy", sipp::scenario("uas_busy.xml"))
        .local("127.0.0.1".parse().expect("ip"), 0)
        .timeout(secs(30))
        .start();
    let tap = SipTap::start(uas.local_addr());
    let dir = SocketDir::new("readers-tshark");
    let mut gw = GatewayProcess::start(
        &dir,
        "gateway",
        &["127.0.0.1/32"],
        &[Route::sip("49", tap.addr())],
    );
    let mut ss7 = ss7_switch("libss7", &gw.link, &["--trace"]);
    ss7.send(CALL);
    let rel = ss7.expect_with("rel", &json!({"cic": 5}), secs(10));
    assert_eq!(rel["cause"], 17, "{rel}");
    uas.wait().assert_success(1);
    gw.call_ended(secs(5));
    tap.wait_for(|d| start_line(&d.bytes).starts_with("ACK "), secs(5));

    let datagrams = tap.datagrams();
    let invite = datagrams
        .iter()
        .find(|d| start_line(&d.bytes).starts_with("INVITE "))
        .expect("the INVITE went through the tap");
    let sent = traced_isup_frames(&mut ss7, "tx", 0x01, 1);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let body = isup_part(&invite.bytes).expect("an application/ISUP part to a trusted peer");
    assert_eq!(
        hex(&body),
        hex(&sent[0].message),
        "the INVITE's ISUP part is the IAM libss7 sent"
    );

    let packets = tshark_read("gw-readers", &datagrams, ISUP_FIELDS);
    assert_eq!(packets.len(), datagrams.len(), "{packets:?}");
    let at = datagrams
        .iter()
        .position(|d| d.bytes == invite.bytes)
        .expect("position");
    let p = &packets[at];
    assert_eq!(one(p, "sip.Method"), "INVITE", "{p}");
    assert_eq!(number(one(p, "isup.message_type")), Some(1), "IAM: {p}");
    assert_eq!(one(p, "isup.called"), "4930123456F", "{p}");
    assert_eq!(
        number(one(p, "isup.called_party_nature_of_address_indicator")),
        Some(3),
        "{p}"
    );
    assert_eq!(one(p, "isup.calling"), "4940111222", "{p}");
    assert_eq!(
        number(one(p, "isup.calling_party_nature_of_address_indicator")),
        Some(4),
        "{p}"
    );
    assert_eq!(
        number(one(p, "isup.address_presentation_restricted_indicator")),
        Some(1),
        "{p}"
    );
    assert_eq!(number(one(p, "isup.screening_indicator")), Some(3), "{p}");
    assert_eq!(
        number(one(p, "isup.calling_partys_category")),
        Some(10),
        "{p}"
    );
    for p in &packets {
        assert_eq!(one(p, "_ws.malformed"), "", "tshark: malformed: {p}");
    }
    let statuses: Vec<&str> = packets.iter().map(|p| one(p, "sip.Status-Code")).collect();
    assert!(statuses.contains(&"486"), "{statuses:?}");
}

/// sipp (trusted) -> (tap) -> gateway -> libss7 answering: tshark reads the ACM in the 18x and
/// the ANM in the 200 the gateway sent back, and their ISUP octets are those libss7 sent.
#[test]
fn tshark_reads_the_acm_and_anm_in_the_gateways_responses() {
    if peers::require(PeerKind::Ss7).is_none() || sipp::require().is_none() {
        return;
    }
    if !tshark::available() {
        return;
    }
    let dir = SocketDir::new("readers-back");
    let gw = GatewayProcess::start(&dir, "gateway", &["127.0.0.1/32"], &[Route::trunk("7")]);
    let mut ss7 = ss7_switch("libss7", &gw.link, &["--trace", "--auto-answer"]);
    let tap = SipTap::start(gw.sip);
    let out = Sipp::uac("readers-uac", sipp::scenario("uac_basic.xml"), tap.addr())
        .service("7123456")
        .key("calling", "4940111222")
        .pause(Duration::from_millis(300))
        .timeout(secs(30))
        .run();
    out.assert_success(1);
    ss7.expect("rel", secs(5));
    let datagrams = tap.datagrams();
    let from_gateway: Vec<(usize, &Datagram)> = datagrams
        .iter()
        .enumerate()
        .filter(|(_, d)| d.from == gw.sip)
        .collect();
    let packets = tshark_read("gw-readers-back", &datagrams, ISUP_FIELDS);
    assert_eq!(packets.len(), datagrams.len());
    let mut seen = Vec::new();
    for (i, d) in from_gateway {
        let p = &packets[i];
        let status = one(p, "sip.Status-Code").to_owned();
        let Some(t) = number(one(p, "isup.message_type")) else {
            continue;
        };
        let t = u8::try_from(t).expect("a message type");
        let sent = traced_isup_frames(&mut ss7, "tx", t, 1);
        let body = isup_part(&d.bytes).expect("an ISUP part");
        assert_eq!(
            sent.first().map(|s| hex(&s.message)),
            Some(hex(&body)),
            "{status}: the ISUP part is what libss7 sent"
        );
        seen.push((status, t));
    }
    assert!(
        seen.iter().any(|(s, t)| s.starts_with("18") && *t == 0x06),
        "an 18x with the ACM: {seen:?}"
    );
    assert!(
        seen.iter().any(|(s, t)| s == "200" && *t == 0x09),
        "a 200 with the ANM: {seen:?}"
    );
}

// ------------------------------------------------------------------------------ Kamailio

const KAMAILIO: &str = "/usr/sbin/kamailio";
const KAMAILIO_MODULES: &str = "/usr/lib/x86_64-linux-gnu/kamailio/modules";

/// Kamailio with its sipt module, or `None` (after saying so) when it is not installed and
/// this is not CI. In CI (`CI=true`) a missing Kamailio fails the test.
fn require_kamailio() -> Option<()> {
    let runs = Command::new(KAMAILIO)
        .arg("-v")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    let module = Path::new(KAMAILIO_MODULES).join("sipt.so").is_file();
    match (runs, module) {
        (true, true) => Some(()),
        _ => {
            let why = format!(
                "{KAMAILIO} runs: {runs}; {KAMAILIO_MODULES}/sipt.so present: {module} \
                 (install the Debian package kamailio)"
            );
            if in_ci() {
                panic!("CI=true and Kamailio is unavailable: {why}");
            }
            eprintln!("SKIPPED: {why}");
            None
        }
    }
}

/// Kamailio in the foreground on 127.0.0.1, with the modules pv, sl, textops, xlog and sipt and
/// the routing `script` (which logs the `$sipt(...)` values on lines starting "SIPT ").
/// Stopped with SIGTERM on drop (its children end with it), then killed if still there.
struct Kamailio {
    process: Peer,
    addr: SocketAddr,
}

/// Answers an INVITE with 486 after logging what the sipt module reads of its IAM.
const KAMAILIO_UAS: &str = r#"
request_route {
    if (is_method("INVITE")) {
        if (sipt_has_isup_body()) {
            xlog("L_ALERT", "SIPT called=$sipt(called_party_number) called_nai=$sipt(called_party_number.nai) calling=$sipt(calling_party_number) calling_nai=$sipt(calling_party_number.nai) presentation=$sipt(calling_party_number.presentation) screening=$sipt(calling_party_number.screening) cpc=$sipt(calling_party_category) end\n");
        } else {
            xlog("L_ALERT", "SIPT no-isup-body end\n");
        }
        sl_send_reply("486", "Busy Here");
        exit;
    }
    exit;
}
"#;

impl Kamailio {
    fn start(dir: &SocketDir, script: &str) -> Kamailio {
        let port = free_udp_port();
        let cfg = format!(
            r#"#!KAMAILIO
debug=2
log_stderror=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:{port}
mpath="{KAMAILIO_MODULES}/"
loadmodule "pv.so"
loadmodule "sl.so"
loadmodule "textops.so"
loadmodule "xlog.so"
loadmodule "sipt.so"
{script}
"#
        );
        let path = dir.write("kamailio.cfg", &cfg);
        let run = dir.path("kamailio-run");
        std::fs::create_dir_all(&run).expect("kamailio's runtime directory");
        let run = run.to_str().expect("utf-8").to_owned();
        let process = Peer::spawn_program(
            Path::new(KAMAILIO),
            "kamailio",
            &["-f", &path, "-D", "-E", "-Y", &run, "-w", &run],
        );
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + secs(10);
        while UdpSocket::bind(addr).is_ok() {
            assert!(
                Instant::now() < deadline,
                "kamailio does not listen on {addr}:\n{}",
                process.stderr()
            );
            thread::sleep(Duration::from_millis(20));
        }
        Kamailio { process, addr }
    }

    /// The values of the "SIPT " lines it has logged, once there are at least `count`.
    fn sipt_lines(&self, count: usize, timeout: Duration) -> Vec<Vec<(String, String)>> {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.process.stderr();
            let lines: Vec<Vec<(String, String)>> = log
                .lines()
                .filter(|l| l.contains("SIPT ") && l.contains(" end"))
                .map(|line| {
                    let rest = line.split_once("SIPT ").map_or("", |(_, r)| r);
                    rest.split_whitespace()
                        .filter_map(|kv| kv.split_once('='))
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect()
                })
                .collect();
            if lines.len() >= count {
                return lines;
            }
            assert!(
                Instant::now() < deadline,
                "kamailio logged {} SIPT lines, not {count}:\n{log}",
                lines.len()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The value of `key` in a "SIPT " line.
fn value<'a>(line: &'a [(String, String)], key: &str) -> &'a str {
    line.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {line:?}"))
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.process.pid().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.process.wait_exit(secs(5));
    }
}

/// libss7 -> gateway -> Kamailio: the sipt module reads from the gateway's INVITE the
/// numbers, natures of address, presentation, screening and category libss7 put in its IAM;
/// Kamailio's 486 comes back to libss7 as REL 17.
#[test]
fn kamailio_sipt_reads_the_iam_in_the_gateways_invite() {
    if peers::require(PeerKind::Ss7).is_none() || require_kamailio().is_none() {
        return;
    }
    let dir = SocketDir::new("readers-kamailio");
    let kamailio = Kamailio::start(&dir, KAMAILIO_UAS);
    let mut gw = GatewayProcess::start(
        &dir,
        "gateway",
        &["127.0.0.1/32"],
        &[Route::sip("49", kamailio.addr)],
    );
    let mut ss7 = ss7_switch("libss7", &gw.link, &[]);
    ss7.send(CALL);
    let rel = ss7.expect_with("rel", &json!({"cic": 5}), secs(10));
    assert_eq!(rel["cause"], 17, "Kamailio's 486 -> REL 17: {rel}");
    gw.call_ended(secs(5));
    let lines = kamailio.sipt_lines(1, secs(5));
    let values = &lines[0];
    let get = |k: &str| value(values, k);
    assert_eq!(get("called"), "4930123456F", "{values:?}");
    assert_eq!(get("called_nai"), "3", "{values:?}");
    assert_eq!(get("calling"), "4940111222", "{values:?}");
    assert_eq!(get("calling_nai"), "4", "{values:?}");
    assert_eq!(get("presentation"), "1", "{values:?}");
    assert_eq!(get("screening"), "3", "{values:?}");
    assert_eq!(get("cpc"), "10", "{values:?}");
}

/// sipp -> Kamailio (a stateless proxy, trusted by the gateway) -> gateway -> libss7: on the
/// way back the sipt module reads the gateway's 183 with the ACM (its charge indicator as
/// libss7 set it, Q.763 3.5) and the 180 with the CPG (event "alerting", Q.763 3.21: 1).
#[test]
fn kamailio_sipt_reads_the_acm_and_cpg_in_the_gateways_responses() {
    if peers::require(PeerKind::Ss7).is_none()
        || sipp::require().is_none()
        || require_kamailio().is_none()
    {
        return;
    }
    let dir = SocketDir::new("readers-kamailio-back");
    let gw = GatewayProcess::start(&dir, "gateway", &["127.0.0.1/32"], &[Route::trunk("7")]);
    let mut ss7 = ss7_switch("libss7", &gw.link, &["--trace"]);
    let script = format!(
        r#"
request_route {{
    $du = "sip:{gateway}";
    forward();
    exit;
}}
onreply_route {{
    if (sipt_has_isup_body()) {{
        xlog("L_ALERT", "SIPT status=$rs charge=$sipt(backward_call_indicator.charge_indicator) event=$sipt(event_info) end\n");
    }}
}}
"#,
        gateway = gw.sip
    );
    let kamailio = Kamailio::start(&dir, &script);
    let uac = Sipp::uac(
        "readers-uac-kam",
        sipp::scenario("uac_basic.xml"),
        kamailio.addr,
    )
    .service("7123456")
    .key("calling", "4940111222")
    .pause(Duration::from_millis(200))
    .timeout(secs(30))
    .start();
    let iam = ss7.expect("iam", secs(10));
    let cic = iam["cic"].as_u64().expect("cic");
    ss7.send(&format!("acm {cic}"));
    ss7.send(&format!("cpg {cic} 1"));
    let lines = kamailio.sipt_lines(2, secs(10));
    ss7.send(&format!("answer {cic}"));
    ss7.expect_with("rel", &json!({"cic": cic}), secs(10));
    uac.wait().assert_success(1);
    let acm = traced_isup_frames(&mut ss7, "tx", 0x06, 1);
    let charge = acm
        .first()
        .and_then(|a| a.message.get(1))
        .map(|b| b & 0x03)
        .expect("libss7's ACM");
    let by_status = |s: &str| {
        lines
            .iter()
            .find(|l| value(l, "status") == s)
            .unwrap_or_else(|| panic!("no {s} in {lines:?}"))
    };
    assert_eq!(
        value(by_status("183"), "charge"),
        charge.to_string(),
        "{lines:?}"
    );
    assert_eq!(value(by_status("180"), "event"), "1", "{lines:?}");
}
