//! The QSIG counterpart of [`super::gateway`]: `sipt-mgc run` with one QSIG link (a D-channel
//! on a `frames` socket the gateway listens on, B-channels 1-15 and 17-31 of an E1, trunk
//! group "pbx") and libpri (tests/peers/pripeer.c, switch type QSIG) as the PBX on it.
//!
//! ```ignore
//! let dir = SocketDir::new("gwq-x");
//! let mut gw = start_qsig_gateway(&dir, "gw", &[], &[Route::sip("49", uas.local_addr())]);
//! let mut pbx = pbx("libpri", &gw.link, &["--auto-answer"]);
//! pbx.send("call 1 4930123456 2001 Alice Smith");
//! ```
//!
//! The gateway's process, log and SIP address are a [`GatewayProcess`] (its `link` is the
//! D-channel's socket), so its helpers (`call_ended`, `assert_no_refusals`) serve here too.

use std::path::Path;

use serde_json::Value;

use super::gateway::{free_udp_port, secs, GatewayProcess, Route};
use super::peers::{Peer, PeerKind};
use super::relay::SocketDir;

/// The Q.921/Q.931 side the gateway takes; the PBX takes the other (DESIGN.md: `role`).
pub const GATEWAY_ROLE: &str = "user";
/// pripeer's `--node`: the role opposite to [`GATEWAY_ROLE`].
pub const PBX_NODE: &str = "network";
/// The B-channels of the gateway's QSIG link: an E1 without its timeslot 16.
pub const CHANNELS: &str = "1-15,17-31";

/// Numbers starting with `prefix` go to the QSIG trunk group "pbx" (the rig's link).
pub fn to_pbx(prefix: &str) -> Route {
    Route {
        prefix: prefix.to_owned(),
        to: "trunk:pbx".to_owned(),
        alternates: Vec::new(),
    }
}

/// The configuration of one gateway: SIP on 127.0.0.1:`sip_port` (UDP), one QSIG link of
/// [`GATEWAY_ROLE`] with B-channels [`CHANNELS`] (trunk group "pbx") listening on `link`,
/// the `trusted` peers and the `routes`.
pub fn qsig_config_text(sip_port: u16, link: &Path, trusted: &[&str], routes: &[Route]) -> String {
    let path = format!("unix-listen:{}", link.display());
    qsig_config_text_on(sip_port, "transport = \"frames\"", &path, trusted, routes)
}

/// As [`qsig_config_text`] with the link's `transport` line(s) (`transport = "serial"` and
/// `baud = 64000`, say) and `path` given.
pub fn qsig_config_text_on(
    sip_port: u16,
    transport: &str,
    path: &str,
    trusted: &[&str],
    routes: &[Route],
) -> String {
    let trusted: Vec<String> = trusted.iter().map(|t| format!("\"{t}\"")).collect();
    let mut text = format!(
        r#"
[sip]
listen = ["udp:127.0.0.1:{sip_port}"]
trusted = [{trusted}]

[[link]]
name = "pbx-1"
protocol = "qsig"
role = "{GATEWAY_ROLE}"
{transport}
path = "{path}"
channels = "{CHANNELS}"
trunk_group = "pbx"
"#,
        trusted = trusted.join(", "),
    );
    for r in routes {
        text.push_str(&r.toml());
    }
    text
}

/// `sipt-mgc run` with a configuration of [`qsig_config_text`], named `name` (its files in
/// `dir`). Its `link` is the D-channel's socket.
pub fn start_qsig_gateway(
    dir: &SocketDir,
    name: &str,
    trusted: &[&str],
    routes: &[Route],
) -> GatewayProcess {
    let link = dir.path(&format!("{name}-dchan.sock"));
    let port = free_udp_port();
    let text = qsig_config_text(port, &link, trusted, routes);
    run_gateway(dir, name, port, &text, link)
}

/// `sipt-mgc run` with the configuration `text` (SIP on `port`); `link` is what the returned
/// [`GatewayProcess`] names as its link.
pub fn run_gateway(
    dir: &SocketDir,
    name: &str,
    port: u16,
    text: &str,
    link: std::path::PathBuf,
) -> GatewayProcess {
    let config = dir.write(&format!("{name}.toml"), text);
    let log = Peer::spawn_program(super::sipt_mgc(), name, &["run", "--config", &config]);
    GatewayProcess {
        log,
        sip: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        link,
    }
}

/// libpri as the QSIG PBX on the gateway's D-channel (`--node` [`PBX_NODE`]), with `extra`
/// options; returns once the data link is up and libpri has acknowledged the gateway's
/// RESTART of its channels (Q.931 5.5: the gateway restarts the idle channels whenever the
/// data link comes up), so that every channel is idle on both sides.
pub fn pbx(name: &str, link: &Path, extra: &[&str]) -> Peer {
    let sock = link.to_str().expect("utf-8 socket path");
    let mut args = vec!["--connect", sock, "--node", PBX_NODE, "--switch", "qsig"];
    args.extend_from_slice(extra);
    let mut pri = Peer::spawn(PeerKind::Pri, name, &args);
    pri.expect("dchan_up", secs(10));
    pri.expect_event(
        |e| e["event"] == "q931" && e["dir"] == "tx" && e["msg"] == "RESTART ACKNOWLEDGE",
        secs(10),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    pri
}

/// libpri's Q.931 messages so far as `(dir, message name)`.
pub fn q931_messages(pri: &mut Peer) -> Vec<(String, String)> {
    pri.history()
        .iter()
        .filter(|e| e["event"] == "q931")
        .map(|e| {
            (
                e["dir"].as_str().unwrap_or("").to_owned(),
                e["msg"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// The first Q.931 message `msg` libpri sent or received (`dir` "tx" or "rx"), waiting for it.
pub fn q931(pri: &mut Peer, dir: &str, msg: &str, timeout: std::time::Duration) -> Value {
    let (d, m) = (dir.to_owned(), msg.to_owned());
    pri.expect_seen(
        |e| e["event"] == "q931" && e["dir"] == d.as_str() && e["msg"] == m.as_str(),
        timeout,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// The display name of a name-addr header value (`"Alice Smith" <sip:...>;tag=x` or
/// `Alice <sip:...>`), unquoted; `None` without one.
pub fn display_name(value: &str) -> Option<String> {
    let value = value.trim();
    let end = value.find('<')?;
    let display = value[..end].trim();
    let display = display
        .strip_prefix('"')
        .and_then(|d| d.strip_suffix('"'))
        .unwrap_or(display);
    (!display.is_empty()).then(|| display.replace("\\\"", "\""))
}
