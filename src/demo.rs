//! `sipt-mgc demo`: the embedded default (DESIGN.md, "Command line"). Everything the gateway
//! meets in a real network, in this one process, on loopback and PTYs:
//!
//! ```text
//!   sim 1 (PSTN, PC 2) ==serial PTY== gateway A (PC 1) --SIP--> endpoint (127.0.0.2)
//!                                        |   ^---------SIP-------/
//!                                        +--SIP-T (trusted)--> gateway B (PC 1) ==serial PTY== sim 2 (PC 2)
//! ```
//!
//! - gateway A and gateway B: two [`GatewayShell`]s from generated configurations (TOML text
//!   written to a temporary directory and read back with [`Config::load`], so the demo goes
//!   through the schema operators use). Each has one ISUP link, `transport = "serial"` on a
//!   new PTY (`path = "pty"`), and SIP on 127.0.0.1 with a port the system chooses. Both
//!   trust 127.0.0.1, so A and B exchange encapsulated ISUP (RFC 3372, RFC 3204).
//! - sim 1 and sim 2: the built-in PSTN switch simulator ([`crate::sim::run`]) opening the
//!   slave side of each gateway's PTY as its serial link; its JSON lines go to a sink the demo
//!   reads. sim 1 places the calls of the first and third call model and answers those of the
//!   second; sim 2 answers the bridged calls.
//! - the endpoint: a [`UaShell`] on 127.0.0.2 (not trusted: a plain SIP UA; 127.0.0.1 when
//!   127.0.0.2 cannot be bound). It answers INVITEs (180, then 200 with SDP, BYE after a hold
//!   time; 486 for the busy number) and places the calls of the second model.
//!
//! The three call models of RFC 3372 (DESIGN.md table), with the routes that send each number
//! its way:
//!
//! | model | numbers | path |
//! |---|---|---|
//! | PSTN origination, IP termination (RFC 3398 8) | 4930... | sim 1 -> A -> endpoint |
//! | IP origination, PSTN termination (RFC 3398 7) | 4989... | endpoint -> A -> sim 1 |
//! | SIP bridging (RFC 3372) | 4940... | sim 1 -> A -> SIP-T -> B -> sim 2 |
//!
//! Besides the answered calls: 4930486486 is busy at the endpoint (486 -> ISUP cause 17,
//! RFC 3398 8.2.6.1) and 4999000404 has no route at A (cause 3 -> 404, RFC 3398 8.2.6.1).
//! For every bridged call the IAM sim 2 receives is compared with the one sim 1 sent.
//!
//! Progress goes to the output one line per call event, then a summary; [`run`] says whether
//! every call did what was expected. `--json` writes the same as JSON lines.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use serde_json::{json, Value};
use sipt_codecs::q850::CauseValue;
use tokio::sync::{mpsc, watch};

use crate::config::{Config, ConfigError};
use crate::gateway::shell::{GatewayShell, RunError};
use crate::gateway::GatewayEvent;
use crate::shell::Clock;
use crate::sim::{Scenario, ScenarioError, SimError, Summary};
use crate::sip::message::{NameAddr, Uri};
use crate::sip::shell::{ShellError, UaShell};
use crate::sip::transport::{Target, TransportKind};
use crate::sip::ua::{CallHandle, UaConfig, UaEvent};
use crate::time::Instant;

/// What `sipt-mgc demo` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// Answered calls per call model (besides the rejected ones), 1 to 20.
    pub calls: usize,
    /// Keep placing calls, a round at a time at a slow pace, until interrupted.
    pub forever: bool,
    /// JSON lines instead of text.
    pub json: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            calls: 3,
            forever: false,
            json: false,
        }
    }
}

/// Why the demo could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("gateway {name}: {source}")]
    Gateway {
        name: &'static str,
        source: RunError,
    },
    #[error("the SIP endpoint: {0}")]
    Endpoint(#[from] ShellError),
    #[error("{name}: {source}")]
    Sim {
        name: &'static str,
        source: SimError,
    },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Setup(String),
}

/// How the demo ended.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub rounds: u64,
    pub calls: u64,
    /// Calls that did not do what was expected, one line each (empty: success).
    pub problems: Vec<String>,
    pub interrupted: bool,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty() && !self.interrupted && self.calls > 0
    }
}

// ------------------------------------------------------------------ the plan

/// The call models of RFC 3372 (DESIGN.md table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Model {
    /// PSTN origination, IP termination (RFC 3398 8).
    PstnToSip,
    /// IP origination, PSTN termination (RFC 3398 7).
    SipToPstn,
    /// SIP bridging: PSTN -> A -> SIP-T -> B -> PSTN (RFC 3372).
    Bridging,
}

const MODELS: [Model; 3] = [Model::PstnToSip, Model::SipToPstn, Model::Bridging];

impl Model {
    fn key(self) -> &'static str {
        match self {
            Model::PstnToSip => "pstn_to_sip",
            Model::SipToPstn => "sip_to_pstn",
            Model::Bridging => "bridging",
        }
    }

    fn short(self) -> &'static str {
        match self {
            Model::PstnToSip => "PSTN->SIP",
            Model::SipToPstn => "SIP->PSTN",
            Model::Bridging => "bridging",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Model::PstnToSip => "PSTN origination, IP termination (RFC 3398 8)",
            Model::SipToPstn => "IP origination, PSTN termination (RFC 3398 7)",
            Model::Bridging => "SIP bridging, PSTN-SIP-T-PSTN (RFC 3372)",
        }
    }
}

/// What a call must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    /// Answered, then released normally (cause 16) by one side.
    Answer,
    /// The endpoint answers 486: the PSTN sees cause 17 (RFC 3398 8.2.6.1).
    Busy,
    /// No route at gateway A: cause 3, 404 to the endpoint (RFC 3398 8.2.6.1).
    Unrouted,
}

const BUSY_NUMBER: &str = "4930486486";
const UNROUTED_NUMBER: &str = "4999000404";
/// The calling number of sim 1's calls and the endpoint's.
const PSTN_CALLING: &str = "4969111222";
const SIP_CALLING: &str = "4921555000";

#[derive(Debug, Clone)]
struct Plan {
    model: Model,
    /// Its number within the model, from 1.
    n: usize,
    expected: Expected,
    called: String,
    /// Q.763 3.11 calling party's category of sim 1's IAM.
    category: u8,
    /// When it is placed, from the moment both links are up.
    at: Duration,
}

/// Timing of a round: `slot` between calls, `hold` of an answered call.
#[derive(Debug, Clone, Copy)]
struct Pace {
    first: Duration,
    slot: Duration,
    hold: Duration,
}

impl Pace {
    fn for_options(o: &Options) -> Pace {
        if o.forever {
            Pace {
                first: Duration::from_millis(500),
                slot: Duration::from_millis(1500),
                hold: Duration::from_millis(2000),
            }
        } else {
            Pace {
                first: Duration::from_millis(500),
                slot: Duration::from_millis(150),
                hold: Duration::from_millis(400),
            }
        }
    }
}

/// The calls of a round, the models taking turns.
fn plan(calls: usize, pace: Pace) -> Vec<Plan> {
    let mut per_model: Vec<Vec<(Expected, String, u8)>> = Vec::new();
    for m in MODELS {
        let mut v = Vec::new();
        for i in 1..=calls {
            let called = match m {
                Model::PstnToSip => format!("4930{:06}", 100_000 + i),
                Model::SipToPstn => format!("4989{:06}", 200_000 + i),
                Model::Bridging => format!("4940{:06}", 300_000 + i),
            };
            // Bridged calls cycle through categories (ordinary, payphone, priority) so that
            // the comparison at sim 2 means something (Q.763 3.11).
            let category = match (m, i % 3) {
                (Model::Bridging, 2) => 15,
                (Model::Bridging, 0) => 11,
                _ => 10,
            };
            v.push((Expected::Answer, called, category));
        }
        match m {
            Model::PstnToSip => v.insert(v.len().min(1), (Expected::Busy, BUSY_NUMBER.into(), 10)),
            Model::SipToPstn => v.insert(
                v.len().min(2),
                (Expected::Unrouted, UNROUTED_NUMBER.into(), 10),
            ),
            Model::Bridging => {}
        }
        per_model.push(v);
    }
    let mut out = Vec::new();
    let longest = per_model.iter().map(Vec::len).max().unwrap_or(0);
    let mut slot = 0u32;
    for i in 0..longest {
        for (m, calls) in MODELS.iter().zip(&per_model) {
            if let Some((expected, called, category)) = calls.get(i) {
                out.push(Plan {
                    model: *m,
                    n: i + 1,
                    expected: *expected,
                    called: called.clone(),
                    category: *category,
                    at: pace.first + pace.slot * slot,
                });
                slot += 1;
            }
        }
    }
    out
}

// ------------------------------------------------------------------ configuration

/// A directory of ours under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, DemoError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let p =
            std::env::temp_dir().join(format!("sipt-mgc-demo-{}-{nanos:09}", std::process::id()));
        std::fs::create_dir_all(&p).map_err(|source| DemoError::Io {
            what: format!("creating {}", p.display()),
            source,
        })?;
        Ok(TempDir(p))
    }

    /// Writes `text` to `name` and reads it back as a configuration.
    fn config(&self, name: &str, text: &str) -> Result<Config, DemoError> {
        let p = self.0.join(name);
        std::fs::write(&p, text).map_err(|source| DemoError::Io {
            what: format!("writing {}", p.display()),
            source,
        })?;
        Ok(Config::load(&p)?)
    }

    fn scenario(&self, name: &str, text: &str) -> Result<Scenario, DemoError> {
        let p = self.0.join(name);
        std::fs::write(&p, text).map_err(|source| DemoError::Io {
            what: format!("writing {}", p.display()),
            source,
        })?;
        Ok(Scenario::load(&p)?)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A gateway's configuration: SIP on 127.0.0.1 (port chosen by the system), trusting
/// 127.0.0.1; one ISUP link (OPC 1, DPC 2) on a new PTY; `routes` as (prefix, to).
fn gateway_config(link: &str, group: &str, media: u16, routes: &[(&str, String)]) -> String {
    let mut s = format!(
        r#"# Generated by `sipt-mgc demo`.
[sip]
listen = ["udp:127.0.0.1:0"]
trusted = ["127.0.0.1/32"]

[[link]]
name = "{link}"
protocol = "isup"
variant = "itu"
transport = "serial"
path = "pty"
baud = 64000
opc = 1
dpc = 2
cics = "1-15"
trunk_group = "{group}"
media = "127.0.0.1:{media}"
"#
    );
    for (prefix, to) in routes {
        s.push_str(&format!(
            "\n[[route]]\nprefix = \"{prefix}\"\nto = \"{to}\"\n"
        ));
    }
    s
}

/// The simulator's side of a gateway's link: the PTY's slave path as a serial tty.
fn sim_config(link: &str, tty: &Path) -> String {
    format!(
        r#"# Generated by `sipt-mgc demo`.
[[link]]
name = "{link}"
protocol = "isup"
transport = "serial"
path = "{}"
baud = 64000
opc = 2
dpc = 1
cics = "1-15"
"#,
        tty.display()
    )
}

/// sim 1: places the PSTN-originated calls, answers the SIP-originated ones.
fn sim1_scenario(plan: &[Plan], pace: Pace) -> String {
    let mut s = String::from(
        "# Generated by `sipt-mgc demo`.\n[answer]\nmode = \"answer\"\nring_after_ms = 80\nanswer_after_ms = 160\n\n[end]\nafter_ms = 3600000\nwait_up_ms = 10000\n",
    );
    for p in plan.iter().filter(|p| p.model != Model::SipToPstn) {
        let (release_after, expect) = match (p.model, p.expected) {
            (_, Expected::Busy) => (0, "expect = \"reject\"\nexpect_cause = 17"),
            // The endpoint hangs up.
            (Model::PstnToSip, _) => (0, "expect = \"release\"\nexpect_cause = 16"),
            // sim 1 hangs up after the hold time.
            _ => (pace.hold.as_millis(), "expect = \"answer\""),
        };
        s.push_str(&format!(
            "\n[[call]]\nat_ms = {}\ncalled = \"{}\"\ncalling = \"{PSTN_CALLING}\"\ncategory = {}\nrelease_after_ms = {release_after}\n{expect}\n",
            p.at.as_millis(),
            p.called,
            p.category,
        ));
    }
    s
}

/// sim 2: answers the bridged calls; sim 1 releases them.
const SIM2_SCENARIO: &str = "# Generated by `sipt-mgc demo`.\n[answer]\nmode = \"answer\"\nring_after_ms = 80\nanswer_after_ms = 160\n";

// ------------------------------------------------------------------ the simulators' output

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sim {
    One,
    Two,
}

/// The simulator's JSON lines, to a channel.
struct LineSink {
    sim: Sim,
    tx: mpsc::UnboundedSender<(Sim, String)>,
    buf: Vec<u8>,
}

impl Write for LineSink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        while let Some(i) = self.buf.iter().position(|&c| c == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=i).collect();
            let text = String::from_utf8_lossy(&line).trim_end().to_string();
            // The demo may have stopped reading: nothing to do about it.
            let _ = self.tx.send((self.sim, text));
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

type SimFuture<'a> = Pin<Box<dyn Future<Output = Result<Summary, SimError>> + 'a>>;

// ------------------------------------------------------------------ per-call record

/// A gateway's [`GatewayEvent::CallEnded`].
#[derive(Debug, Clone, Copy)]
struct Ended {
    answered: bool,
    cause: Option<u8>,
    status: Option<u16>,
    setup_us: Option<u64>,
}

/// The parts of an IAM compared end to end (RFC 3372 transparency).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
struct IamView {
    called: String,
    called_nai: String,
    calling: String,
    calling_nai: String,
    category: String,
}

impl IamView {
    /// From a simulator's `isup` event holding an IAM.
    fn from_event(v: &Value) -> IamView {
        let mut view = IamView::default();
        for p in v["parameters"].as_array().into_iter().flatten() {
            let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
            match p["name"].as_str() {
                Some("called_party_number") => {
                    view.called = s("digits");
                    view.called_nai = s("nature_of_address");
                }
                Some("calling_party_number") => {
                    view.calling = s("digits");
                    view.calling_nai = s("nature_of_address");
                }
                Some("calling_partys_category") => view.category = s("value"),
                _ => {}
            }
        }
        view
    }
}

#[derive(Debug)]
struct Track {
    plan: Plan,
    /// Gateway A's and gateway B's end of the call.
    ended: [Option<Ended>; 2],
    /// sim 1's `call_outcome` (calls it placed).
    sim_outcome: Option<Value>,
    /// The endpoint's outcome of a call it placed: the final status (200 when answered)
    /// once the call is over.
    endpoint_final: Option<u16>,
    endpoint_answered: bool,
    /// The IAM sim 1 sent and the one sim 2 received (bridging), and the names of the
    /// parameters that differ between them otherwise.
    iam_sent: Option<IamView>,
    iam_received: Option<IamView>,
    other_parameters_changed: Vec<String>,
    iam_sent_raw: Option<Value>,
    /// The originating side's set-up message left (sim 1's IAM, the endpoint's INVITE) and
    /// the terminating side's arrived (the endpoint's INVITE, sim 1's or sim 2's IAM), on
    /// the demo's clock.
    setup_sent: Option<Instant>,
    setup_arrived: Option<Instant>,
    /// Gateway A's own time from the set-up message in to the other leg's out
    /// (`GatewayEvent::CallRouted::added_us`).
    gateway_us: Option<u64>,
    problems: Vec<String>,
    reported: bool,
}

impl Track {
    fn new(plan: Plan) -> Track {
        Track {
            plan,
            ended: [None, None],
            sim_outcome: None,
            endpoint_final: None,
            endpoint_answered: false,
            iam_sent: None,
            iam_received: None,
            other_parameters_changed: Vec::new(),
            iam_sent_raw: None,
            setup_sent: None,
            setup_arrived: None,
            gateway_us: None,
            problems: Vec::new(),
            reported: false,
        }
    }

    /// Milliseconds from the set-up message out of the originating side to its arrival at
    /// the terminating side.
    fn setup_ms(&self) -> Option<f64> {
        let (a, b) = (self.setup_sent?, self.setup_arrived?);
        Some(b.saturating_duration_since(a).as_secs_f64() * 1000.0)
    }

    /// Everything about the call has been seen.
    fn complete(&self) -> bool {
        let a = self.ended[0].is_some();
        match (self.plan.model, self.plan.expected) {
            (Model::PstnToSip, _) => a && self.sim_outcome.is_some(),
            (Model::SipToPstn, _) => a && self.endpoint_final.is_some(),
            (Model::Bridging, _) => {
                a && self.sim_outcome.is_some()
                    && (self.ended[1].is_some() || !self.ended[0].is_some_and(|e| e.answered))
            }
        }
    }

    /// What went other than expected (empty: as expected).
    fn verdict(&self) -> Vec<String> {
        let mut p = Vec::new();
        let a = self.ended[0];
        match self.plan.expected {
            Expected::Answer => {
                match a {
                    Some(e) if e.answered && e.cause == Some(16) => {}
                    Some(e) => p.push(format!(
                        "gateway A: answered={} cause={:?} status={:?}, expected answered and cause 16",
                        e.answered, e.cause, e.status
                    )),
                    None => p.push("gateway A did not end the call".into()),
                }
                if self.plan.model == Model::SipToPstn && !self.endpoint_answered {
                    p.push(format!(
                        "the endpoint's INVITE was not answered (final {:?})",
                        self.endpoint_final
                    ));
                }
            }
            Expected::Busy => match a {
                Some(e) if !e.answered && e.status == Some(486) && e.cause == Some(17) => {}
                Some(e) => p.push(format!(
                    "gateway A: answered={} cause={:?} status={:?}, expected 486 and cause 17",
                    e.answered, e.cause, e.status
                )),
                None => p.push("gateway A did not end the call".into()),
            },
            Expected::Unrouted => {
                if self.endpoint_final != Some(404) {
                    p.push(format!(
                        "the endpoint got {:?}, expected 404",
                        self.endpoint_final
                    ));
                }
                if a.is_none_or(|e| e.answered) {
                    p.push("gateway A did not end the call unanswered".into());
                }
            }
        }
        if let Some(o) = &self.sim_outcome {
            if o["ok"] != json!(true) {
                p.push(format!(
                    "sim 1: {}",
                    o["problem"].as_str().unwrap_or("not as expected")
                ));
            }
        } else if self.plan.model != Model::SipToPstn {
            p.push("sim 1 reported no outcome".into());
        }
        if self.plan.model == Model::Bridging {
            match self.ended[1] {
                Some(e) if e.answered && e.cause == Some(16) => {}
                Some(e) => p.push(format!(
                    "gateway B: answered={} cause={:?} status={:?}, expected answered and cause 16",
                    e.answered, e.cause, e.status
                )),
                None => p.push("gateway B did not end the call".into()),
            }
            match (&self.iam_sent, &self.iam_received) {
                (Some(s), Some(r)) if s == r => {}
                (Some(s), Some(r)) => p.push(format!(
                    "the IAM at sim 2 differs: sent {s:?}, received {r:?}"
                )),
                (_, None) => p.push("no IAM reached sim 2".into()),
                (None, _) => p.push("sim 1's IAM was not seen".into()),
            }
        }
        p
    }
}

// ------------------------------------------------------------------ output

/// Progress and summary, as text or JSON lines.
struct Out<'a> {
    w: &'a mut dyn Write,
    json: bool,
}

impl Out<'_> {
    fn line(&mut self, text: &str) {
        if !self.json {
            let _ = writeln!(self.w, "{text}");
            let _ = self.w.flush();
        }
    }

    fn json(&mut self, v: Value) {
        if self.json {
            let _ = writeln!(self.w, "{v}");
            let _ = self.w.flush();
        }
    }

    /// One call event.
    fn progress(&mut self, t: f64, plan: &Plan, what: &str, fields: Value) {
        if self.json {
            let mut m = serde_json::Map::new();
            m.insert("event".into(), json!("progress"));
            m.insert("t".into(), json!((t * 1000.0).round() / 1000.0));
            m.insert("model".into(), json!(plan.model.key()));
            m.insert("call".into(), json!(plan.n));
            m.insert("number".into(), json!(plan.called));
            m.insert("what".into(), json!(what));
            if let Value::Object(f) = fields {
                m.extend(f);
            }
            self.json(Value::Object(m));
        } else {
            let detail = describe(what, &fields);
            self.line(&format!(
                "{t:7.3} s  {:<9} #{:<2} {:<11} {detail}",
                plan.model.short(),
                plan.n,
                plan.called
            ));
        }
    }
}

fn cause_text(c: u8) -> String {
    let name = CauseValue::from_code(c)
        .name()
        .map(|n| n.replace('_', " "))
        .unwrap_or_else(|| "unassigned".into());
    format!("cause {c} ({name})")
}

fn status_text(s: u16) -> String {
    format!("{s} {}", crate::gateway::call::reason_phrase(s))
}

/// ", N ms after it was sent" when the event has `setup_ms`.
fn setup_after(f: &Value) -> String {
    f["setup_ms"]
        .as_f64()
        .map(|ms| format!(", {ms:.1} ms after it was sent"))
        .unwrap_or_default()
}

/// The text of a progress event.
fn describe(what: &str, f: &Value) -> String {
    let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
    match what {
        "iam_in" => format!("gateway A: IAM on CIC {}", f["cic"]),
        "invite_in" => "gateway A: INVITE from the endpoint".into(),
        "routed" => format!("gateway A: routed to {}", s("to")),
        "b_invite_in" => "gateway B: SIP-T INVITE (encapsulated IAM) from gateway A".into(),
        "b_routed" => format!("gateway B: routed to {}", s("to")),
        "invite_at_endpoint" => format!("endpoint: INVITE from {}{}", s("from"), setup_after(f)),
        "iam_at_sim1" => format!(
            "sim 1 got the IAM on CIC {}: called {} ({}), calling {} ({}){}",
            f["cic"],
            f["received"]["called"].as_str().unwrap_or_default(),
            f["received"]["called_nai"].as_str().unwrap_or_default(),
            f["received"]["calling"].as_str().unwrap_or_default(),
            f["received"]["calling_nai"].as_str().unwrap_or_default(),
            setup_after(f)
        ),
        "alerting" => "alerting".into(),
        "answered" => "answered".into(),
        "iam_at_sim2" => {
            let changed: Vec<&str> = f["other_parameters_changed"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let same = match (f["same"] == json!(true), changed.is_empty()) {
                (true, true) => "as sim 1 sent it, every parameter".to_string(),
                (true, false) => format!("as sim 1 sent it; changed: {}", changed.join(", ")),
                (false, _) => "DIFFERENT from what sim 1 sent".to_string(),
            };
            format!(
                "sim 2 got the IAM on CIC {}: called {} ({}), calling {} ({}), category {}{}: {same}",
                f["cic"],
                f["received"]["called"].as_str().unwrap_or_default(),
                f["received"]["called_nai"].as_str().unwrap_or_default(),
                f["received"]["calling"].as_str().unwrap_or_default(),
                f["received"]["calling_nai"].as_str().unwrap_or_default(),
                f["received"]["category"].as_str().unwrap_or_default(),
                setup_after(f),
            )
        }
        "ended" | "b_ended" => {
            let who = if what == "ended" {
                "gateway A"
            } else {
                "gateway B"
            };
            let mut parts = Vec::new();
            if let Some(st) = f["status"].as_u64() {
                parts.push(format!("SIP {}", status_text(st as u16)));
            }
            if let Some(c) = f["cause"].as_u64() {
                parts.push(cause_text(c as u8));
            }
            format!(
                "{who}: {}{}, after {} ms",
                if f["answered"] == json!(true) {
                    "released"
                } else {
                    "failed"
                },
                parts.iter().map(|p| format!(", {p}")).collect::<String>(),
                f["duration_ms"]
            )
        }
        "result" => {
            if f["ok"] == json!(true) {
                "as expected".into()
            } else {
                format!("NOT as expected: {}", s("problems"))
            }
        }
        other => other.to_string(),
    }
}

// ------------------------------------------------------------------ the endpoint

/// What the endpoint does at a time.
#[derive(Debug)]
enum EpTask {
    /// Place the call of this index of the plan.
    Place(usize),
    /// Answer an incoming call (200 with SDP).
    Answer(CallHandle),
    Hangup(CallHandle),
}

fn endpoint_sdp(host: &str) -> Vec<u8> {
    let address = host
        .parse()
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    let e = crate::route::MediaEndpoint {
        address,
        port: 30_000,
        codec: crate::route::Codec::Pcma,
    };
    crate::route::sdp_for(&e, 1, 1).into_bytes()
}

/// Binds the endpoint on 127.0.0.2 (a plain, untrusted SIP UA), or 127.0.0.1 when that
/// address cannot be bound.
async fn bind_endpoint(clock: Clock) -> Result<(UaShell, String), DemoError> {
    let mut last = None;
    for host in ["127.0.0.2", "127.0.0.1"] {
        let mut config = UaConfig::new(host, 0, TransportKind::Udp);
        config.user = "endpoint".into();
        let listen = format!("udp:{host}:0");
        match UaShell::bind(clock, &[listen.as_str()], config, seed() ^ 0xe9).await {
            Ok(s) => return Ok((s, host.to_string())),
            Err(e) => last = Some(e),
        }
    }
    Err(last.map_or_else(
        || DemoError::Setup("no address for the endpoint".into()),
        DemoError::Endpoint,
    ))
}

fn seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x5eed)
        ^ u64::from(std::process::id())
}

// ------------------------------------------------------------------ a round

/// What woke the round's loop.
enum Woke {
    Gateway(usize, Vec<GatewayEvent>),
    Endpoint(Option<Box<UaEvent>>),
    SimLine(Sim, String),
    SimDone(Sim, Result<Summary, SimError>),
    Timer,
    Interrupted,
}

/// Totals over the calls of the demo, for the summary.
#[derive(Debug, Default)]
struct Totals {
    per_model: BTreeMap<Model, ModelTotals>,
    causes: BTreeMap<u8, u64>,
    statuses: BTreeMap<u16, u64>,
    transparent: u64,
    bridged: u64,
}

#[derive(Debug, Default, Clone)]
struct ModelTotals {
    calls: u64,
    answered: u64,
    failed: u64,
    as_expected: u64,
    /// The gateway's own set-up time (GatewayEvent::CallEnded), A's end.
    setup_us: Vec<u64>,
    /// Set-up message out of the originating side to its arrival at the terminating side.
    end_to_end_ms: Vec<f64>,
}

impl Totals {
    fn add(&mut self, t: &Track) {
        let m = self.per_model.entry(t.plan.model).or_default();
        m.calls += 1;
        let a = t.ended[0];
        if a.is_some_and(|e| e.answered) {
            m.answered += 1;
        } else {
            m.failed += 1;
        }
        if t.problems.is_empty() {
            m.as_expected += 1;
        }
        if let Some(us) = a.and_then(|e| e.setup_us) {
            m.setup_us.push(us);
        }
        if let Some(ms) = t.setup_ms() {
            m.end_to_end_ms.push(ms);
        }
        for e in t.ended.iter().flatten() {
            if let Some(c) = e.cause {
                *self.causes.entry(c).or_default() += 1;
            }
            if let Some(s) = e.status {
                *self.statuses.entry(s).or_default() += 1;
            }
        }
        if t.plan.model == Model::Bridging {
            self.bridged += 1;
            if t.iam_sent.is_some() && t.iam_sent == t.iam_received {
                self.transparent += 1;
            }
        }
    }
}

/// The state of one round.
struct Round<'o, 'w> {
    out: &'o mut Out<'w>,
    clock: Clock,
    start: Instant,
    pace: Pace,
    tracks: Vec<Track>,
    /// Gateway call ids (A, B) -> track.
    gw_calls: [HashMap<u64, usize>; 2],
    /// sim 1's call names -> track.
    sim_calls: HashMap<String, usize>,
    ep_calls: HashMap<CallHandle, usize>,
    agenda: Vec<(Instant, EpTask)>,
    gw_a_sip: std::net::SocketAddr,
    ep_host: String,
    ep_port: u16,
    sim_up: [bool; 2],
    problems: Vec<String>,
}

impl Round<'_, '_> {
    fn t(&self) -> f64 {
        self.clock
            .now()
            .saturating_duration_since(self.start)
            .as_secs_f64()
    }

    fn find(&self, called: &str) -> Option<usize> {
        self.tracks.iter().position(|t| {
            !called.is_empty()
                && (t.plan.called == called
                    || called.ends_with(&t.plan.called)
                    || t.plan.called.ends_with(called))
        })
    }

    fn progress(&mut self, i: usize, what: &str, fields: Value) {
        let t = self.t();
        if let Some(track) = self.tracks.get(i) {
            let plan = track.plan.clone();
            self.out.progress(t, &plan, what, fields);
        }
    }

    fn gateway_event(&mut self, g: usize, e: GatewayEvent) {
        let b = g == 1;
        match e {
            GatewayEvent::CallStarted {
                call,
                from_pstn,
                cic,
                called,
                ..
            } => {
                let Some(i) = self.find(&called) else {
                    self.problems.push(format!(
                        "gateway {}: a call to {called} that the demo did not place",
                        if b { "B" } else { "A" }
                    ));
                    return;
                };
                self.gw_calls[g].insert(call, i);
                let what = match (b, from_pstn) {
                    (false, true) => "iam_in",
                    (false, false) => "invite_in",
                    (true, _) => "b_invite_in",
                };
                self.progress(i, what, json!({ "cic": cic }));
            }
            GatewayEvent::CallRouted {
                call,
                to,
                cic,
                added_us,
            } => {
                if let Some(&i) = self.gw_calls[g].get(&call) {
                    if !b {
                        if let Some(t) = self.tracks.get_mut(i) {
                            t.gateway_us = added_us;
                        }
                    }
                    let what = if b { "b_routed" } else { "routed" };
                    self.progress(i, what, json!({ "to": to, "cic": cic }));
                }
            }
            GatewayEvent::CallAlerting { call } if !b => {
                if let Some(&i) = self.gw_calls[g].get(&call) {
                    self.progress(i, "alerting", json!({}));
                }
            }
            GatewayEvent::CallAnswered { call } if !b => {
                if let Some(&i) = self.gw_calls[g].get(&call) {
                    self.progress(i, "answered", json!({}));
                }
            }
            GatewayEvent::CallEnded {
                call,
                answered,
                cause,
                status,
                duration_ms,
            } => {
                if let Some(&i) = self.gw_calls[g].get(&call) {
                    let setup_us = self.tracks.get(i).and_then(|t| t.gateway_us);
                    if let Some(t) = self.tracks.get_mut(i) {
                        t.ended[g] = Some(Ended {
                            answered,
                            cause,
                            status,
                            setup_us,
                        });
                    }
                    let what = if b { "b_ended" } else { "ended" };
                    self.progress(
                        i,
                        what,
                        json!({ "gateway": if b { "B" } else { "A" }, "answered": answered, "cause": cause, "status": status, "setup_us": setup_us, "duration_ms": duration_ms }),
                    );
                }
            }
            GatewayEvent::Refused { call, what } => {
                self.out.json(json!({"event": "gateway_refused", "gateway": if b { "B" } else { "A" }, "call": call, "what": what}));
                self.out.line(&format!(
                    "          gateway {}: refused: {what}",
                    if b { "B" } else { "A" }
                ));
            }
            _ => {}
        }
    }

    fn sim_line(&mut self, sim: Sim, line: &str) {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            return;
        };
        let s = sim as usize;
        match v["event"].as_str() {
            Some("up") => {
                if let Some(u) = self.sim_up.get_mut(s) {
                    *u = true;
                }
            }
            Some("call_placed") if sim == Sim::One => {
                let called = v["called"].as_str().unwrap_or_default();
                if let (Some(i), Some(name)) = (self.find(called), v["call"].as_str()) {
                    self.sim_calls.insert(name.to_string(), i);
                }
            }
            Some("call_outcome") if sim == Sim::One => {
                if let Some(&i) = v["call"].as_str().and_then(|n| self.sim_calls.get(n)) {
                    if let Some(t) = self.tracks.get_mut(i) {
                        t.sim_outcome = Some(v.clone());
                    }
                }
            }
            Some("isup") if v["message_type"] == json!("IAM") => {
                let now = self.clock.now();
                let view = IamView::from_event(&v);
                let Some(i) = self.find(&view.called) else {
                    return;
                };
                let Some(t) = self.tracks.get_mut(i) else {
                    return;
                };
                match (sim, v["dir"].as_str(), t.plan.model) {
                    (Sim::One, Some("out"), Model::PstnToSip | Model::Bridging) => {
                        t.setup_sent.get_or_insert(now);
                        t.iam_sent = Some(view);
                        t.iam_sent_raw = Some(v.clone());
                    }
                    (Sim::One, Some("in"), Model::SipToPstn) => {
                        t.setup_arrived.get_or_insert(now);
                        let ms = t.setup_ms().map(|m| (m * 1000.0).round() / 1000.0);
                        self.progress(
                            i,
                            "iam_at_sim1",
                            json!({ "cic": v["cic"], "received": view, "setup_ms": ms }),
                        );
                    }
                    (Sim::Two, Some("in"), Model::Bridging) => {
                        t.setup_arrived.get_or_insert(now);
                        let changed = t
                            .iam_sent_raw
                            .as_ref()
                            .map(|sent| changed_parameters(sent, &v))
                            .unwrap_or_default();
                        t.other_parameters_changed = changed.clone();
                        t.iam_received = Some(view.clone());
                        let same = t.iam_sent.as_ref() == Some(&view);
                        let sent = t.iam_sent.clone();
                        let ms = t.setup_ms().map(|m| (m * 1000.0).round() / 1000.0);
                        self.progress(
                            i,
                            "iam_at_sim2",
                            json!({ "cic": v["cic"], "sent": sent, "received": view, "same": same, "other_parameters_changed": changed, "setup_ms": ms }),
                        );
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn endpoint_event(&mut self, ep: &mut UaShell, e: UaEvent) {
        let now = ep.now();
        let hold = self.pace.hold;
        match e {
            UaEvent::Incoming { call, invite } => {
                let number = invite
                    .request_uri()
                    .and_then(|u| u.user.clone())
                    .unwrap_or_default();
                let i = self.find(&number);
                if let Some(i) = i {
                    self.ep_calls.insert(call, i);
                    if let Some(t) = self.tracks.get_mut(i) {
                        t.setup_arrived.get_or_insert(now);
                        let ms = t.setup_ms().map(|m| (m * 1000.0).round() / 1000.0);
                        let from = invite
                            .from()
                            .ok()
                            .and_then(|f| f.uri.user.clone())
                            .unwrap_or_default();
                        self.progress(
                            i,
                            "invite_at_endpoint",
                            json!({ "from": from, "setup_ms": ms }),
                        );
                    }
                }
                let ua = ep.ua();
                if number == BUSY_NUMBER || i.is_none() {
                    let (status, phrase) = if i.is_none() {
                        (404, "Not Found")
                    } else {
                        (486, "Busy Here")
                    };
                    let _ = ua.respond(now, call, status, phrase, None);
                    // The call is over for us; the transaction goes on.
                    ua.forget(call);
                } else {
                    let _ = ua.respond(now, call, 180, "Ringing", None);
                    self.agenda
                        .push((now + Duration::from_millis(120), EpTask::Answer(call)));
                }
            }
            UaEvent::Confirmed { call } => {
                // RFC 3261 13.3.1.4: the ACK came; the endpoint hangs up after the hold time.
                self.agenda.push((now + hold, EpTask::Hangup(call)));
            }
            UaEvent::Answered { call, .. } => {
                if let Some(t) = self
                    .ep_calls
                    .get(&call)
                    .and_then(|&i| self.tracks.get_mut(i))
                {
                    t.endpoint_answered = true;
                }
                self.agenda.push((now + hold, EpTask::Hangup(call)));
            }
            UaEvent::Rejected { call, response } => {
                if let Some(t) = self
                    .ep_calls
                    .get(&call)
                    .and_then(|&i| self.tracks.get_mut(i))
                {
                    t.endpoint_final = Some(response.status().unwrap_or(0));
                }
                ep.ua().forget(call);
            }
            UaEvent::TimedOut { call } => {
                if let Some(t) = self
                    .ep_calls
                    .get(&call)
                    .and_then(|&i| self.tracks.get_mut(i))
                {
                    t.endpoint_final = Some(408);
                }
                ep.ua().forget(call);
            }
            UaEvent::Ended { call, .. } | UaEvent::Cancelled { call, .. } => {
                if let Some(t) = self
                    .ep_calls
                    .get(&call)
                    .and_then(|&i| self.tracks.get_mut(i))
                {
                    t.endpoint_final.get_or_insert(200);
                }
                ep.ua().forget(call);
            }
            UaEvent::Request {
                request, key, call, ..
            } => {
                // PRACK, UPDATE, INFO...: accepted (RFC 3261 12.2.2).
                let _ = ep
                    .ua()
                    .respond_request(now, &key, &request, 200, "OK", None);
                let _ = call;
            }
            _ => {}
        }
    }

    fn endpoint_task(&mut self, ep: &mut UaShell, task: EpTask) {
        let now = ep.now();
        match task {
            EpTask::Place(i) => {
                let Some(t) = self.tracks.get_mut(i) else {
                    return;
                };
                t.setup_sent = Some(now);
                let called = t.plan.called.clone();
                let to = Uri::sip(
                    Some(&called),
                    &self.gw_a_sip.ip().to_string(),
                    Some(self.gw_a_sip.port()),
                );
                let from = NameAddr::new(Uri::sip(
                    Some(SIP_CALLING),
                    &self.ep_host,
                    Some(self.ep_port),
                ));
                let sdp = endpoint_sdp(&self.ep_host);
                let target = Target::new(TransportKind::Udp, self.gw_a_sip);
                match ep
                    .ua()
                    .invite(now, from, to, target, Some(("application/sdp", sdp)))
                {
                    Ok(h) => {
                        self.ep_calls.insert(h, i);
                    }
                    Err(e) => {
                        if let Some(t) = self.tracks.get_mut(i) {
                            t.problems
                                .push(format!("the endpoint could not INVITE: {e}"));
                            t.endpoint_final = Some(0);
                        }
                    }
                }
            }
            EpTask::Answer(call) => {
                let sdp = endpoint_sdp(&self.ep_host);
                let _ = ep
                    .ua()
                    .respond(now, call, 200, "OK", Some(("application/sdp", sdp)));
            }
            EpTask::Hangup(call) => {
                let _ = ep.ua().hangup(now, call);
            }
        }
        ep.flush();
    }

    /// Reports the calls that have completed.
    fn report_completed(&mut self, totals: &mut Totals) {
        let t = self.t();
        for i in 0..self.tracks.len() {
            let Some(track) = self.tracks.get(i) else {
                continue;
            };
            if track.reported || !track.complete() {
                continue;
            }
            self.finish(i, t, totals);
        }
    }

    fn finish(&mut self, i: usize, t: f64, totals: &mut Totals) {
        let Some(track) = self.tracks.get_mut(i) else {
            return;
        };
        track.reported = true;
        let mut problems = std::mem::take(&mut track.problems);
        problems.extend(track.verdict());
        track.problems = problems.clone();
        totals.add(track);
        let plan = track.plan.clone();
        let ok = problems.is_empty();
        self.out.progress(
            t,
            &plan,
            "result",
            json!({ "ok": ok, "problems": problems.join("; ") }),
        );
        for p in problems {
            self.problems.push(format!(
                "{} #{} {}: {p}",
                plan.model.short(),
                plan.n,
                plan.called
            ));
        }
    }
}

/// One round: both gateways, both simulators and the endpoint, from nothing to every call
/// over. Returns whether it was interrupted.
async fn round(
    opts: &Options,
    out: &mut Out<'_>,
    totals: &mut Totals,
    report: &mut Report,
    stop: &mut watch::Receiver<bool>,
) -> Result<bool, DemoError> {
    let clock = Clock::new();
    let start = clock.now();
    let pace = Pace::for_options(opts);
    let dir = TempDir::new()?;

    let (mut ep, ep_host) = bind_endpoint(clock).await?;
    let ep_addr = ep
        .local_addr(TransportKind::Udp)
        .ok_or_else(|| DemoError::Setup("the endpoint has no UDP address".into()))?;

    // Gateway B: bridged numbers to its trunk.
    let config_b = dir.config(
        "gateway-b.toml",
        &gateway_config(
            "pstn-b",
            "pstn-b",
            22_000,
            &[("4940", "trunk:pstn-b".into())],
        ),
    )?;
    let (mut gw_b, b_sip, b_tty) = start_gateway(clock, &config_b, "B").await?;

    // Gateway A: 4930 to the endpoint, 4940 to gateway B (SIP-T), 4989 to its trunk.
    let config_a = dir.config(
        "gateway-a.toml",
        &gateway_config(
            "pstn-a",
            "pstn-a",
            20_000,
            &[
                ("4930", format!("sip:{{number}}@{ep_addr}")),
                ("4940", format!("sip:{{number}}@{b_sip}")),
                ("4989", "trunk:pstn-a".into()),
            ],
        ),
    )?;
    let (mut gw_a, a_sip, a_tty) = start_gateway(clock, &config_a, "A").await?;

    let calls = plan(opts.calls, pace);
    let sim1_config = dir.config("sim-1.toml", &sim_config("sim-1", &a_tty))?;
    let sim2_config = dir.config("sim-2.toml", &sim_config("sim-2", &b_tty))?;
    let sim1_scenario = dir.scenario("sim-1-scenario.toml", &sim1_scenario(&calls, pace))?;
    let sim2_scenario = dir.scenario("sim-2-scenario.toml", SIM2_SCENARIO)?;

    out.line(&format!(
        "sipt-mgc demo{}: gateway A (SIP {a_sip}, ISUP on {}), gateway B (SIP {b_sip}, ISUP on {}), SIP endpoint {ep_addr}{}",
        if opts.forever { format!(", round {}", report.rounds + 1) } else { String::new() },
        a_tty.display(),
        b_tty.display(),
        if ep_host == "127.0.0.1" { " (127.0.0.2 unavailable: the endpoint is trusted too)" } else { "" },
    ));
    out.line(&format!("configuration in {}", dir.0.display()));
    out.json(json!({
        "event": "started",
        "round": report.rounds + 1,
        "gateway_a": { "sip": a_sip.to_string(), "pty": a_tty },
        "gateway_b": { "sip": b_sip.to_string(), "pty": b_tty },
        "endpoint": ep_addr.to_string(),
        "calls": calls.len(),
    }));

    let (tx, mut rx) = mpsc::unbounded_channel();
    let sink = |sim| {
        Box::new(LineSink {
            sim,
            tx: tx.clone(),
            buf: Vec::new(),
        }) as Box<dyn Write + Send>
    };
    // sim 2 first; sim 1 (whose calls go through gateway B too) once sim 2's link is up.
    let mut sim2: Option<SimFuture<'_>> = Some(Box::pin(crate::sim::run(
        &sim2_config,
        None,
        Some(sim2_scenario),
        sink(Sim::Two),
    )));
    let mut sim1: Option<SimFuture<'_>> = None;
    let mut sim1_scenario = Some(sim1_scenario);

    let mut r = Round {
        out,
        clock,
        start,
        pace,
        tracks: calls.into_iter().map(Track::new).collect(),
        gw_calls: [HashMap::new(), HashMap::new()],
        sim_calls: HashMap::new(),
        ep_calls: HashMap::new(),
        agenda: Vec::new(),
        gw_a_sip: a_sip,
        ep_host: ep_host.clone(),
        ep_port: ep_addr.port(),
        sim_up: [false, false],
        problems: Vec::new(),
    };
    let up_by = start + Duration::from_secs(10);
    let mut up_at: Option<Instant> = None;
    let mut deadline = up_by;
    let mut interrupted = false;
    let mut failed_early: Option<String> = None;
    loop {
        let now = clock.now();
        // sim 1 starts once gateway B's side is up.
        if sim1.is_none() && r.sim_up[Sim::Two as usize] && relation_up(&mut gw_b) {
            if let Some(sc) = sim1_scenario.take() {
                sim1 = Some(Box::pin(crate::sim::run(
                    &sim1_config,
                    None,
                    Some(sc),
                    sink(Sim::One),
                )));
            }
        }
        // Both links up: the endpoint's calls go on the agenda, relative to sim 1's "up"
        // like sim 1's own calls.
        if up_at.is_none() && r.sim_up[Sim::One as usize] {
            up_at = Some(now);
            let t = r.t();
            r.out.line(&format!(
                "{t:7.3} s  both ISUP links in service; calls begin"
            ));
            r.out.json(json!({"event": "links_up", "t": t}));
            for (i, tr) in r.tracks.iter().enumerate() {
                if tr.plan.model == Model::SipToPstn {
                    r.agenda.push((now + tr.plan.at, EpTask::Place(i)));
                }
            }
            let last = r.tracks.iter().map(|t| t.plan.at).max().unwrap_or_default();
            deadline = now + last + pace.hold + Duration::from_secs(5);
        }
        if r.tracks.iter().all(|t| t.reported) {
            break;
        }
        if now >= deadline {
            if up_at.is_none() {
                r.problems
                    .push("the ISUP links did not come into service within 10 s".into());
            }
            break;
        }
        if let Some(e) = failed_early.take() {
            r.problems.push(e);
            break;
        }
        let next = r.agenda.iter().map(|(t, _)| *t).min();
        let wake = crate::time::earliest(next, Some(deadline)).unwrap_or(deadline);
        let woke = tokio::select! {
            evs = gw_a.step(None) => Woke::Gateway(0, evs),
            evs = gw_b.step(None) => Woke::Gateway(1, evs),
            e = ep.step(None) => Woke::Endpoint(e.map(Box::new)),
            Some((sim, line)) = rx.recv() => Woke::SimLine(sim, line),
            res = async { match sim1.as_mut() { Some(f) => f.await, None => std::future::pending().await } } => Woke::SimDone(Sim::One, res),
            res = async { match sim2.as_mut() { Some(f) => f.await, None => std::future::pending().await } } => Woke::SimDone(Sim::Two, res),
            () = tokio::time::sleep_until(clock.to_tokio(wake)) => Woke::Timer,
            _ = stop.wait_for(|&v| v) => Woke::Interrupted,
        };
        match woke {
            Woke::Gateway(g, evs) => {
                for e in evs {
                    r.gateway_event(g, e);
                }
            }
            Woke::Endpoint(Some(e)) => r.endpoint_event(&mut ep, *e),
            Woke::Endpoint(None) | Woke::Timer => {}
            Woke::SimLine(sim, line) => r.sim_line(sim, &line),
            Woke::SimDone(sim, res) => {
                // The simulators stop on Ctrl-C by themselves, maybe before our own
                // listener has run: give it a moment.
                let stopping =
                    tokio::time::timeout(Duration::from_millis(200), stop.wait_for(|&v| v))
                        .await
                        .is_ok();
                if stopping {
                    interrupted = true;
                    break;
                }
                let name = if sim == Sim::One { "sim 1" } else { "sim 2" };
                match sim {
                    Sim::One => sim1 = None,
                    Sim::Two => sim2 = None,
                }
                // The simulators run until dropped: ending early is a failure.
                let why = match res {
                    Ok(s) if s.failures.is_empty() => "stopped early".to_string(),
                    Ok(s) => s.failures.join("; "),
                    Err(source) => return Err(DemoError::Sim { name, source }),
                };
                failed_early = Some(format!("{name}: {why}"));
            }
            Woke::Interrupted => {
                interrupted = true;
                break;
            }
        }
        let now = clock.now();
        let mut i = 0;
        while i < r.agenda.len() {
            if r.agenda[i].0 <= now {
                let (_, task) = r.agenda.swap_remove(i);
                r.endpoint_task(&mut ep, task);
            } else {
                i += 1;
            }
        }
        // Drain what the simulators wrote before deciding that calls are complete.
        while let Ok((sim, line)) = rx.try_recv() {
            r.sim_line(sim, &line);
        }
        r.report_completed(totals);
    }
    // Calls that never completed.
    let t = r.t();
    for i in 0..r.tracks.len() {
        if r.tracks.get(i).is_some_and(|t| !t.reported) {
            if let Some(track) = r.tracks.get_mut(i) {
                if !interrupted {
                    track.problems.push("did not complete in time".into());
                }
            }
            if !interrupted {
                r.finish(i, t, totals);
            }
        }
    }
    report.rounds += 1;
    report.calls += r.tracks.iter().filter(|t| t.reported).count() as u64;
    report.problems.append(&mut r.problems);
    // Everything stops here: the simulators close their ttys, the gateways their PTYs and
    // sockets, the temporary directory goes.
    drop(sim1);
    drop(sim2);
    drop(gw_a);
    drop(gw_b);
    drop(ep);
    drop(dir);
    Ok(interrupted)
}

/// Whether the gateway's first trunk has its relation and a circuit to use.
fn relation_up(gw: &mut GatewayShell) -> bool {
    gw.gateway().trunks().first().is_some_and(|t| {
        t.isup.is_relation_available()
            && t.link
                .cics
                .iter()
                .any(|&c| u16::try_from(c).is_ok_and(|c| t.isup.is_available_for_outgoing(c)))
    })
}

/// The names of the IAM parameters that differ between `a` and `b` (simulator `isup`
/// events), other than the circuit, direction and signalling link selection.
fn changed_parameters(a: &Value, b: &Value) -> Vec<String> {
    let params = |v: &Value| -> BTreeMap<String, Value> {
        v["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| (p["name"].as_str().unwrap_or("?").to_string(), p.clone()))
            .collect()
    };
    let (pa, pb) = (params(a), params(b));
    let mut names: Vec<String> = pa
        .keys()
        .chain(pb.keys())
        .filter(|k| pa.get(*k) != pb.get(*k))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The summary of the demo (or of the rounds so far).
fn summary(out: &mut Out<'_>, totals: &Totals, report: &Report, elapsed: Duration) {
    let stats = |v: &[f64]| -> Value {
        if v.is_empty() {
            return Value::Null;
        }
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(0.0, f64::max);
        let avg = v.iter().sum::<f64>() / v.len() as f64;
        let r = |x: f64| (x * 1000.0).round() / 1000.0;
        json!({ "min": r(min), "avg": r(avg), "max": r(max) })
    };
    let mut models = serde_json::Map::new();
    out.line("");
    out.line("summary");
    out.line(&format!(
        "  {:<46} {:>5} {:>8} {:>6} {:>8}  {:>18}  {:>10}",
        "call model", "calls", "answered", "failed", "expected", "set-up, ms (*)", "gateway (**)"
    ));
    for m in MODELS {
        let t = totals.per_model.get(&m).cloned().unwrap_or_default();
        let e2e = stats(&t.end_to_end_ms);
        let us: Vec<f64> = t.setup_us.iter().map(|&u| u as f64).collect();
        let gw = stats(&us);
        let e2e_text = if e2e.is_null() {
            "-".to_string()
        } else {
            format!(
                "{:.1} / {:.1} / {:.1}",
                e2e["min"].as_f64().unwrap_or(0.0),
                e2e["avg"].as_f64().unwrap_or(0.0),
                e2e["max"].as_f64().unwrap_or(0.0)
            )
        };
        let gw_text = if gw.is_null() {
            "-".to_string()
        } else {
            format!("<= {} us", gw["max"].as_f64().unwrap_or(0.0))
        };
        out.line(&format!(
            "  {:<46} {:>5} {:>8} {:>6} {:>8}  {:>18}  {:>10}",
            m.title(),
            t.calls,
            t.answered,
            t.failed,
            t.as_expected,
            e2e_text,
            gw_text
        ));
        models.insert(
            m.key().into(),
            json!({ "calls": t.calls, "answered": t.answered, "failed": t.failed, "as_expected": t.as_expected, "setup_ms": e2e, "gateway_setup_us": gw }),
        );
    }
    out.line("  (*) min / avg / max, from the set-up message leaving the calling side (IAM, INVITE) to the");
    out.line("      called side's receiving its own (INVITE, IAM): PTY at 64 kbit/s, MTP, ISUP, SIP, both");
    out.line("      gateways for bridged calls");
    out.line("  (**) gateway A's set-up time of GatewayEvent::CallEnded: message in to message out, one step");
    let causes: Vec<String> = totals
        .causes
        .iter()
        .map(|(c, n)| format!("{} x{n}", cause_text(*c)))
        .collect();
    let statuses: Vec<String> = totals
        .statuses
        .iter()
        .map(|(s, n)| format!("{} x{n}", status_text(*s)))
        .collect();
    out.line(&format!(
        "  ISUP causes (both gateways): {}",
        causes.join(", ")
    ));
    out.line(&format!(
        "  SIP final statuses other than 2xx: {}",
        if statuses.is_empty() {
            "none".to_string()
        } else {
            statuses.join(", ")
        }
    ));
    out.line(&format!(
        "  bridging transparency: {} of {} IAMs reached sim 2 with the same called and calling numbers, natures of address and category",
        totals.transparent, totals.bridged
    ));
    out.line(&format!(
        "  {} call(s) in {} round(s), {:.1} s",
        report.calls,
        report.rounds,
        elapsed.as_secs_f64()
    ));
    if report.ok() {
        out.line("result: OK, every call did what the demo expected");
    } else {
        if report.interrupted {
            out.line("result: interrupted");
        }
        if report.calls == 0 {
            out.line("result: FAILED, no call completed");
        }
        for p in &report.problems {
            out.line(&format!("result: FAILED, {p}"));
        }
    }
    out.json(json!({
        "event": "summary",
        "ok": report.ok(),
        "rounds": report.rounds,
        "calls": report.calls,
        "models": models,
        "causes": totals.causes.iter().map(|(c, n)| (c.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "statuses": totals.statuses.iter().map(|(s, n)| (s.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "bridged": totals.bridged,
        "transparent": totals.transparent,
        "duration_s": (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        "interrupted": report.interrupted,
        "problems": report.problems,
    }));
}

/// Runs the demo, writing progress and the summary to `w`; with `forever`, round after
/// round (each with new gateways, PTYs and simulators) until Ctrl-C. Must run inside a tokio runtime
/// (current-thread is enough).
pub async fn run(opts: &Options, w: &mut dyn Write) -> Result<Report, DemoError> {
    let opts = Options {
        calls: opts.calls.clamp(1, 20),
        ..opts.clone()
    };
    let mut out = Out { w, json: opts.json };
    let mut totals = Totals::default();
    let mut report = Report::default();
    let began = std::time::Instant::now();
    let (stop_tx, mut stop) = watch::channel(false);
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stop_tx.send(true);
        }
    });
    let r = rounds(&opts, &mut out, &mut totals, &mut report, &mut stop).await;
    ctrl_c.abort();
    let printed = r?;
    if !printed {
        summary(&mut out, &totals, &report, began.elapsed());
    }
    Ok(report)
}

async fn rounds(
    opts: &Options,
    out: &mut Out<'_>,
    totals: &mut Totals,
    report: &mut Report,
    stop: &mut watch::Receiver<bool>,
) -> Result<bool, DemoError> {
    let began = std::time::Instant::now();
    loop {
        let interrupted = round(opts, out, totals, report, stop).await?;
        if interrupted {
            report.interrupted = !opts.forever;
            break;
        }
        if !opts.forever || *stop.borrow() {
            break;
        }
        summary(out, totals, report, began.elapsed());
        out.line("");
        // The next round after a pause (Ctrl-C stops: that summary was the last).
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = stop.wait_for(|&v| v) => return Ok(true),
        }
    }
    Ok(false)
}

/// Gateway `name` started on `config`: the shell, its SIP (UDP) address and its link's PTY.
async fn start_gateway(
    clock: Clock,
    config: &Config,
    name: &'static str,
) -> Result<(GatewayShell, std::net::SocketAddr, std::path::PathBuf), DemoError> {
    let gw = GatewayShell::start(clock, config, None)
        .await
        .map_err(|source| DemoError::Gateway { name, source })?;
    let sip = gw
        .sip_addr(TransportKind::Udp)
        .ok_or_else(|| DemoError::Setup(format!("gateway {name} has no UDP address")))?;
    let tty = gw
        .pty_path(0)
        .ok_or_else(|| DemoError::Setup(format!("gateway {name}'s link has no PTY")))?
        .to_path_buf();
    Ok((gw, sip, tty))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_covers_every_model_and_each_number_once() {
        let p = plan(3, Pace::for_options(&Options::default()));
        for m in MODELS {
            assert!(p.iter().filter(|c| c.model == m).count() >= 3, "{m:?}");
        }
        let mut numbers: Vec<&str> = p.iter().map(|c| c.called.as_str()).collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), p.len());
        assert_eq!(p.iter().filter(|c| c.expected == Expected::Busy).count(), 1);
        assert_eq!(
            p.iter()
                .filter(|c| c.expected == Expected::Unrouted)
                .count(),
            1
        );
        // Each number goes its way: the routes' prefixes.
        for c in &p {
            let prefix = match (c.model, c.expected) {
                (_, Expected::Unrouted) => "4999",
                (Model::PstnToSip, _) => "4930",
                (Model::SipToPstn, _) => "4989",
                (Model::Bridging, _) => "4940",
            };
            assert!(c.called.starts_with(prefix), "{c:?}");
        }
    }

    #[test]
    fn the_generated_files_parse() {
        let pace = Pace::for_options(&Options::default());
        let p = plan(2, pace);
        let text = gateway_config(
            "pstn-a",
            "pstn-a",
            20_000,
            &[
                ("4930", "sip:{number}@127.0.0.2:5070".into()),
                ("4989", "trunk:pstn-a".into()),
            ],
        );
        let c = Config::parse(Path::new("a.toml"), &text).expect("gateway config");
        assert_eq!(c.routes.len(), 2);
        assert_eq!(
            c.sip.as_ref().map(|s| s.trusted.clone()),
            Some(vec!["127.0.0.1/32".to_string()])
        );
        let s = Config::parse(
            Path::new("s.toml"),
            &sim_config("sim-1", Path::new("/dev/pts/9")),
        )
        .expect("sim config");
        assert_eq!(s.links.len(), 1);
        let sc = Scenario::parse(Path::new("s1.toml"), &sim1_scenario(&p, pace)).expect("sim 1");
        assert_eq!(
            sc.calls.len(),
            p.iter().filter(|c| c.model != Model::SipToPstn).count()
        );
        Scenario::parse(Path::new("s2.toml"), SIM2_SCENARIO).expect("sim 2");
    }

    fn track(model: Model, expected: Expected) -> Track {
        let p = plan(1, Pace::for_options(&Options::default()));
        let plan = p
            .into_iter()
            .find(|c| c.model == model && c.expected == expected)
            .expect("such a call in the plan");
        Track::new(plan)
    }

    fn ended(answered: bool, cause: Option<u8>, status: Option<u16>) -> Option<Ended> {
        Some(Ended {
            answered,
            cause,
            status,
            setup_us: Some(0),
        })
    }

    #[test]
    fn a_call_is_judged_by_what_each_side_saw() {
        let ok = json!({"ok": true});
        // PSTN -> SIP, answered and cleared normally: as expected; cleared with another
        // cause, or sim 1 unhappy: not.
        let mut t = track(Model::PstnToSip, Expected::Answer);
        assert!(!t.complete());
        t.ended[0] = ended(true, Some(16), None);
        assert!(!t.complete(), "sim 1's outcome is still missing");
        t.sim_outcome = Some(ok.clone());
        assert!(t.complete());
        assert!(t.verdict().is_empty(), "{:?}", t.verdict());
        t.ended[0] = ended(true, Some(31), None);
        assert_eq!(t.verdict().len(), 1);
        t.ended[0] = ended(true, Some(16), None);
        t.sim_outcome = Some(json!({"ok": false, "problem": "call[0]: expected Release"}));
        assert!(t.verdict()[0].contains("expected Release"));

        // Busy: 486 and cause 17, nothing else.
        let mut t = track(Model::PstnToSip, Expected::Busy);
        t.sim_outcome = Some(ok.clone());
        t.ended[0] = ended(false, Some(17), Some(486));
        assert!(t.verdict().is_empty(), "{:?}", t.verdict());
        t.ended[0] = ended(false, Some(21), Some(603));
        assert_eq!(t.verdict().len(), 1);

        // SIP -> PSTN: the endpoint must have been answered.
        let mut t = track(Model::SipToPstn, Expected::Answer);
        t.ended[0] = ended(true, Some(16), None);
        t.endpoint_final = Some(200);
        assert!(t.complete());
        assert_eq!(t.verdict().len(), 1, "not answered at the endpoint");
        t.endpoint_answered = true;
        assert!(t.verdict().is_empty(), "{:?}", t.verdict());
        let mut t = track(Model::SipToPstn, Expected::Unrouted);
        t.ended[0] = ended(false, None, Some(404));
        t.endpoint_final = Some(404);
        assert!(t.verdict().is_empty(), "{:?}", t.verdict());
        t.endpoint_final = Some(503);
        assert_eq!(t.verdict().len(), 1);

        // Bridging: both gateways, sim 1, and the IAM at sim 2 as sent.
        let mut t = track(Model::Bridging, Expected::Answer);
        t.ended[0] = ended(true, Some(16), None);
        t.sim_outcome = Some(ok);
        assert!(!t.complete(), "gateway B's end is still missing");
        t.ended[1] = ended(true, Some(16), None);
        assert!(t.complete());
        assert_eq!(t.verdict(), vec!["no IAM reached sim 2".to_string()]);
        let sent = IamView {
            called: "4940300001".into(),
            called_nai: "national".into(),
            calling: PSTN_CALLING.into(),
            calling_nai: "national".into(),
            category: "payphone".into(),
        };
        t.iam_sent = Some(sent.clone());
        t.iam_received = Some(sent.clone());
        assert!(t.verdict().is_empty(), "{:?}", t.verdict());
        t.iam_received = Some(IamView {
            category: "ordinary_calling_subscriber".into(),
            ..sent
        });
        assert!(t.verdict()[0].contains("differs"), "{:?}", t.verdict());
    }

    #[test]
    fn the_iam_view_reads_a_simulator_event() {
        let v = json!({"event": "isup", "message_type": "IAM", "parameters": [
            {"name": "calling_partys_category", "value": "payphone"},
            {"name": "called_party_number", "nature_of_address": "national", "digits": "4940300001"},
            {"name": "calling_party_number", "nature_of_address": "national", "digits": "4969111222"},
        ]});
        let view = IamView::from_event(&v);
        assert_eq!(view.called, "4940300001");
        assert_eq!(view.calling, "4969111222");
        assert_eq!(view.category, "payphone");
        let mut w = v.clone();
        w["parameters"][0]["value"] = json!("ordinary_calling_subscriber");
        assert_eq!(changed_parameters(&v, &w), vec!["calling_partys_category"]);
    }
}
