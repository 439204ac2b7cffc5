//! The gateway end to end with real peers on both sides: libss7 (Debian libss7-dev, the ISUP
//! stack of Asterisk, tests/peers/ss7peer.c) as the PSTN switch on a `frames` link, sipp as
//! the SIP user agent, `sipt-mgc run` between them.
//!
//! PSTN origination, IP termination (RFC 3398 8): libss7's IAM becomes an INVITE to sipp; the
//! ACM, ANM and REL libss7 sees come from sipp's 180, 200 and our BYE's release. IP
//! origination, PSTN termination (RFC 3398 7): sipp's INVITE becomes an IAM to libss7.

mod support;

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use support::peers::{self, Peer, PeerKind};
use support::relay::SocketDir;
use support::sipp::{self, Sipp};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free UDP port")
}

/// The gateway's configuration: one ISUP link (OPC 1, DPC 2, CICs 1-31, trunk group
/// "pstn") listening on `sock`; SIP on `sip_port`; numbers starting with 49 go to `sip_peer`,
/// numbers starting with 7 to the trunk group.
fn write_config(
    dir: &SocketDir,
    sock: &Path,
    sip_port: u16,
    sip_peer: SocketAddr,
    extra: &str,
) -> String {
    let text = format!(
        r#"
[sip]
listen = ["udp:127.0.0.1:{sip_port}"]
trusted = []

[[link]]
name = "e1-0"
protocol = "isup"
transport = "frames"
path = "unix-listen:{sock}"
opc = 1
dpc = 2
cics = "1-31"
trunk_group = "pstn"

[[route]]
prefix = "49"
to = "sip:{{number}}@{sip_peer}"

[[route]]
prefix = "7"
to = "trunk:pstn"
{extra}
"#,
        sock = sock.display(),
    );
    dir.write("gateway.toml", &text)
}

struct Rig {
    _dir: SocketDir,
    gateway: Peer,
    ss7: Peer,
    sip_port: u16,
}

/// Starts the gateway with `sip_peer` as the SIP side's target, and libss7 on its link; waits
/// until the link is up and the gateway's GRS has been answered.
fn start(tag: &str, sip_peer: SocketAddr, extra: &str) -> Rig {
    let dir = SocketDir::new(tag);
    let sock = dir.path("e1-0.sock");
    let sip_port = free_udp_port();
    let config = write_config(&dir, &sock, sip_port, sip_peer, extra);
    let gateway = Peer::spawn_program(
        support::sipt_mgc(),
        "gateway",
        &["run", "--config", &config],
    );
    let sock = sock.to_str().expect("utf-8").to_owned();
    let mut ss7 = Peer::spawn(
        PeerKind::Ss7,
        "libss7",
        &[
            "--connect",
            &sock,
            "--opc",
            "2",
            "--dpc",
            "1",
            "--cics",
            "1-31",
        ],
    );
    // Q.764 2.9.3.1: the gateway resets its circuits when MTP resumes; libss7 answers GRA.
    ss7.expect("grs", secs(10));
    ss7.expect("ss7_up", secs(5));
    Rig {
        _dir: dir,
        gateway,
        ss7,
        sip_port,
    }
}

fn is_call_ended(v: &Value) -> bool {
    v["event"] == "call_ended"
}

/// libss7 calls 4930123456 from 4940111222; sipp (uas_basic: 180, 200, then waits for BYE)
/// answers; libss7 sees ACM with called party's status "subscriber free" (RFC 3398 8.2.3: 180)
/// and ANM, then releases with cause 16; the gateway sends BYE (sipp answers 200) and RLC.
#[test]
fn pstn_call_to_sip_is_answered_and_released_by_the_pstn() {
    if peers::require(PeerKind::Ss7).is_none() || sipp::require().is_none() {
        return;
    }
    let uas = Sipp::uas("gw-uas-basic", sipp::scenario("uas_basic.xml"))
        .local("127.0.0.1".parse().expect("ip"), 0)
        .timeout(secs(20))
        .start();
    let mut rig = start("gw-pstn-sip", uas.local_addr(), "");
    rig.ss7.send("call 5 4930123456 4940111222 nai=3 cnai=3");
    let acm = rig.ss7.expect("acm", secs(5));
    assert_eq!(acm["cic"], 5);
    assert_eq!(
        acm["called_party_status"], 1,
        "180 -> ACM subscriber free: {acm}"
    );
    rig.ss7.expect_with("anm", &json!({"cic": 5}), secs(5));
    rig.ss7.send("release 5 16");
    rig.ss7.expect_with("rlc", &json!({"cic": 5}), secs(5));
    let out = uas.wait();
    out.assert_success(1);
    let ended = rig
        .gateway
        .expect_event(is_call_ended, secs(5))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ended["answered"], true, "{ended}");
    assert_eq!(ended["cause"], 16, "{ended}");
    let _ = rig.sip_port;
}
