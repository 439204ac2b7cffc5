//! `sipt-mgc sim`: a PSTN switch to attach the gateway to without hardware (DESIGN.md,
//! "Command line"). It runs the same layers as the gateway — MTP2/MTP3/ISUP (Q.703, Q.704,
//! Q.764) or Q.921/QSIG — over the same transports, on one link (and its linkset) of a
//! configuration file, and follows a [`Scenario`]. Every event and every message goes to the
//! output as one JSON object per line; [`run`] returns whether every expectation was met.

pub mod scenario;

mod isup;
mod qsig;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Write;

use serde::Serialize;
use serde_json::{json, Value};

pub use scenario::{CallRef, Scenario, ScenarioError};

use crate::config::{Config, LinkConfig, Protocol};
use crate::shell::Clock;
use crate::time::Instant;

/// Why the simulator could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("no link named \"{0}\" in the configuration")]
    NoSuchLink(String),
    #[error("the configuration has no [[link]]")]
    NoLinks,
    #[error("link \"{link}\": {message}")]
    Config { link: String, message: String },
    #[error("link \"{link}\": {source}")]
    Transport {
        link: String,
        source: sipt_hardware::Error,
    },
    #[error("writing the output: {0}")]
    Output(#[from] std::io::Error),
}

/// How a run ended.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub calls_placed: u64,
    pub calls_answered: u64,
    pub calls_received: u64,
    pub actions: u64,
    /// Expectations that failed, one line each.
    pub failures: Vec<String>,
}

impl Summary {
    /// Whether every expectation was met.
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs the simulator on the link named `link` (default: the first) of `config` until the
/// scenario is done (for ever without one), writing events to `out`.
pub async fn run(
    config: &Config,
    link: Option<&str>,
    scenario: Option<Scenario>,
    out: Box<dyn Write + Send>,
) -> Result<Summary, SimError> {
    let first = match link {
        Some(name) => config
            .links
            .iter()
            .find(|l| l.name == name)
            .ok_or_else(|| SimError::NoSuchLink(name.to_string()))?,
        None => config.links.first().ok_or(SimError::NoLinks)?,
    };
    let finite = scenario.as_ref().is_some_and(Scenario::is_finite);
    let scenario = scenario.unwrap_or_default();
    let mut out = Output::new(Clock::new(), out, &first.name);
    match first.protocol {
        Protocol::Isup => {
            let linkset: Vec<LinkConfig> = config.linkset_of(first).into_iter().cloned().collect();
            isup::run(&linkset, scenario, finite, &mut out).await
        }
        Protocol::Qsig => qsig::run(first, scenario, finite, &mut out).await,
    }
}

/// The JSON lines writer: every object gets `t` (milliseconds since start) and `link`.
pub(crate) struct Output {
    clock: Clock,
    out: Box<dyn Write + Send>,
    link: String,
    /// The first write error; later lines are dropped.
    error: Option<std::io::Error>,
}

impl Output {
    fn new(clock: Clock, out: Box<dyn Write + Send>, link: &str) -> Output {
        Output {
            clock,
            out,
            link: link.to_string(),
            error: None,
        }
    }

    pub(crate) fn clock(&self) -> Clock {
        self.clock
    }

    /// Writes `{"t": .., "link": .., "event": name, ...fields}`.
    pub(crate) fn event(&mut self, name: &str, fields: Value) {
        if self.error.is_some() {
            return;
        }
        let t = self.clock.now().as_nanos() as f64 / 1e6;
        let mut obj = serde_json::Map::new();
        obj.insert("t".into(), json!((t * 1000.0).round() / 1000.0));
        obj.insert("link".into(), json!(self.link));
        obj.insert("event".into(), json!(name));
        if let Value::Object(m) = fields {
            for (k, v) in m {
                obj.insert(k, v);
            }
        }
        let line = Value::Object(obj).to_string();
        if let Err(e) = writeln!(self.out, "{line}").and_then(|()| self.out.flush()) {
            self.error = Some(e);
        }
    }

    /// The first write error, if any.
    pub(crate) fn take_error(&mut self) -> Option<std::io::Error> {
        self.error.take()
    }
}

/// A shell notice as an event.
pub(crate) fn notice(out: &mut Output, n: crate::shell::Notice) {
    use crate::shell::Notice;
    match n {
        Notice::Established { link } => out.event("transport_up", json!({ "slc": link })),
        Notice::Lost { link, error } => out.event(
            "transport_down",
            json!({ "slc": link, "error": error.to_string() }),
        ),
        Notice::RxError { link, error } => out.event(
            "rx_error",
            json!({ "slc": link, "error": format!("{error:?}") }),
        ),
    }
}

/// Replaces every top-level field holding a whole message (an object with `message_type`) by
/// the message type: events name their message, which was printed in full as it passed.
pub(crate) fn shorten_messages(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        for (_, f) in m.iter_mut() {
            let ty = f.get("message_type").cloned();
            if let Some(ty) = ty {
                *f = ty;
            }
        }
    }
    v
}

/// What happened to one call the switch placed, and what was expected of it.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// "call[i]" or "load[n]".
    pub name: String,
    pub expect: scenario::Expect,
    pub expect_cause: Option<u8>,
    pub alerted: bool,
    pub answered: bool,
    /// The far end cleared, with this cause.
    pub far_end_cleared: Option<Option<u8>>,
    /// We gave up on the call (no circuit, refused by the stack).
    pub failed: Option<String>,
}

impl Outcome {
    pub(crate) fn new(name: String, expect: scenario::Expect, expect_cause: Option<u8>) -> Self {
        Outcome {
            name,
            expect,
            expect_cause,
            alerted: false,
            answered: false,
            far_end_cleared: None,
            failed: None,
        }
    }

    /// `None` when the expectation was met, else what went wrong.
    pub(crate) fn problem(&self) -> Option<String> {
        use scenario::Expect;
        if let Some(f) = &self.failed {
            return Some(format!("{}: {f}", self.name));
        }
        let ok = match self.expect {
            Expect::Any => true,
            Expect::Answer => self.answered,
            Expect::Ring => self.alerted || self.answered,
            Expect::Reject => !self.answered && self.far_end_cleared.is_some(),
            Expect::Release => self.answered && self.far_end_cleared.is_some(),
        };
        if !ok {
            return Some(format!(
                "{}: expected {:?}, got alerted={} answered={} far_end_cleared={}",
                self.name,
                self.expect,
                self.alerted,
                self.answered,
                match self.far_end_cleared {
                    Some(Some(c)) => format!("cause {c}"),
                    Some(None) => "without cause".into(),
                    None => "no".into(),
                }
            ));
        }
        if let (Some(want), Some(got)) = (self.expect_cause, self.far_end_cleared) {
            if got != Some(want) {
                return Some(format!(
                    "{}: expected cause {want}, got {}",
                    self.name,
                    got.map_or("none".into(), |c| c.to_string())
                ));
            }
        }
        if self.expect_cause.is_some() && self.far_end_cleared.is_none() {
            return Some(format!(
                "{}: expected the far end to clear with cause {:?}",
                self.name, self.expect_cause
            ));
        }
        None
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({
            "call": self.name,
            "alerted": self.alerted,
            "answered": self.answered,
            "far_end_cleared": self.far_end_cleared.is_some(),
            "cause": self.far_end_cleared.flatten(),
            "expect": self.expect,
            "ok": self.problem().is_none(),
            "problem": self.problem(),
        })
    }
}

/// Things to do at a time, earliest first (ties in the order they were scheduled).
pub(crate) struct Agenda<T> {
    heap: BinaryHeap<Reverse<(Instant, u64, Slot<T>)>>,
    seq: u64,
}

/// Lets `T` sit in the heap without ordering itself: only time and sequence order.
struct Slot<T>(T);
impl<T> PartialEq for Slot<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl<T> Eq for Slot<T> {}
impl<T> PartialOrd for Slot<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Slot<T> {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

impl<T> Agenda<T> {
    pub(crate) fn new() -> Self {
        Agenda {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }

    pub(crate) fn at(&mut self, t: Instant, task: T) {
        self.seq += 1;
        self.heap.push(Reverse((t, self.seq, Slot(task))));
    }

    pub(crate) fn next_time(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((t, _, _))| *t)
    }

    /// The next task due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<T> {
        if self.next_time()? <= now {
            self.heap.pop().map(|Reverse((_, _, Slot(t)))| t)
        } else {
            None
        }
    }
}

/// What a scenario starts once its link is up; each protocol's task list has these.
pub(crate) enum Start {
    Place(CallRef),
    Act(usize),
    LoadTick(u64),
    End,
    Overdue,
}

/// Puts the scenario's calls, actions, load and end on the agenda, their times counted from
/// `up`; a finite scenario that is not done 120 s after its last step is overdue.
pub(crate) fn schedule_scenario<T: From<Start>>(
    out: &mut Output,
    agenda: &mut Agenda<T>,
    scenario: &Scenario,
    up: Instant,
    finite: bool,
) {
    out.event("up", json!({}));
    for (i, c) in scenario.calls.iter().enumerate() {
        agenda.at(up + ms(c.at_ms), Start::Place(CallRef::Scenario(i)).into());
    }
    for (i, a) in scenario.actions.iter().enumerate() {
        agenda.at(up + ms(a.at_ms), Start::Act(i).into());
    }
    if let Some(l) = scenario.load.as_ref().filter(|_| scenario.load_calls() > 0) {
        agenda.at(l.at(up, 0), Start::LoadTick(0).into());
    }
    if scenario.end.after_ms > 0 {
        agenda.at(up + ms(scenario.end.after_ms), Start::End.into());
    }
    if finite {
        let last = scenario
            .calls
            .iter()
            .map(|c| c.at_ms + c.release_after_ms)
            .chain(scenario.actions.iter().map(|a| a.at_ms))
            .chain(
                scenario
                    .load
                    .iter()
                    .map(|l| l.start_ms + l.duration_ms + l.hold_ms),
            )
            .max()
            .unwrap_or(0);
        agenda.at(
            up + ms(last) + std::time::Duration::from_secs(120),
            Start::Overdue.into(),
        );
    }
}

fn ms(ms: u64) -> std::time::Duration {
    std::time::Duration::from_millis(ms)
}
