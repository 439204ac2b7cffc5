//! The simulator's scenario file (TOML): how the switch answers the calls it receives, which
//! calls it places, which maintenance actions it takes, what must happen, and a load mode.
//!
//! ```toml
//! [answer]                 # calls received (default: ring after 100 ms, answer after 200 ms)
//! mode = "answer"          # "answer", "ring" (alert only), "reject", "ignore"
//! ring_after_ms = 100
//! answer_after_ms = 200
//! release_after_ms = 0     # after answer; 0 = wait for the far end
//! cause = 16               # of a reject or a release (Q.850)
//!
//! [[call]]                 # calls placed, times from the moment the link is up
//! at_ms = 500
//! called = "4930123456"
//! calling = "4940111222"
//! called_nai = "national"  # "subscriber", "unknown", "national", "international" or a code
//!                          # (ISUP: nature of address, Q.763 3.9 b; QSIG: type of number,
//!                          # Q.931 4.5.8)
//! calling_nai = "national"
//! presentation = "allowed" # "allowed", "restricted", "not_available"
//! category = 10            # calling party's category (Q.763 3.11), 10 = ordinary subscriber
//! name = "Alice"           # QSIG: calling name
//! cic = 5                  # ISUP: the circuit (default: the next free one); QSIG: B-channel
//! release_after_ms = 1000  # after answer (or after alerting when never answered); 0 = never
//! cause = 16
//! expect = "answer"        # "answer", "ring", "reject", "release" (the far end clears), "any"
//! expect_cause = 17        # with "reject"/"release": the cause the far end gives
//!
//! [[action]]               # maintenance, times from the moment the link is up
//! at_ms = 100
//! do = "grs"               # ISUP: "grs", "rsc", "blo", "ubl", "cgb", "cgu"; QSIG: "restart"
//! cic = 1                  # first CIC (QSIG: channel, 0 = the whole interface)
//! range = 3                # grs/cgb/cgu: Q.763 range (CICs cic..=cic+range); restart:
//!                          # B-channels cic..=cic+range
//! kind = "maintenance"     # cgb/cgu: "maintenance" or "hardware"
//! expect = true            # the acknowledgement must arrive (GRA, RLC, BLA, ...)
//!
//! [load]                   # calls placed at a steady rate
//! cps = 10.0
//! hold_ms = 2000
//! duration_ms = 10000
//! start_ms = 0             # the first call this long after the link is up
//! called = "4930xxxx"      # each x is a digit of a counter, so every call has its own number
//! calling = "4940111222"
//!
//! [end]
//! after_ms = 0             # stop this long after the link is up (0: when everything is done)
//! wait_up_ms = 30000       # fail when the link is not up by then
//! settle_ms = 500          # after the last call and action: time for stray messages
//! ```

use std::path::Path;

use serde::Deserialize;

/// A whole scenario.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default)]
    pub answer: Answer,
    #[serde(default, rename = "call")]
    pub calls: Vec<Call>,
    #[serde(default, rename = "action")]
    pub actions: Vec<Action>,
    pub load: Option<Load>,
    #[serde(default)]
    pub end: End,
}

/// What the switch does with a call it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerMode {
    /// Alert after `ring_after_ms`, answer after `answer_after_ms`.
    Answer,
    /// Alert and stay alerting.
    Ring,
    /// Release with `cause` after `ring_after_ms`, before any alerting.
    Reject,
    /// Do nothing (the far end's timers run).
    Ignore,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Answer {
    pub mode: AnswerMode,
    pub ring_after_ms: u64,
    pub answer_after_ms: u64,
    pub release_after_ms: u64,
    pub cause: u8,
}

impl Default for Answer {
    fn default() -> Answer {
        Answer {
            mode: AnswerMode::Answer,
            ring_after_ms: 100,
            answer_after_ms: 200,
            release_after_ms: 0,
            cause: 16,
        }
    }
}

/// What must happen to a call placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// Answered.
    Answer,
    /// Alerted (ACM/CPG or ALERTING), answered or not.
    Ring,
    /// Cleared by the far end before answer.
    Reject,
    /// Answered, then cleared by the far end.
    Release,
    /// Nothing in particular.
    Any,
}

/// A nature of address as a name or a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Nai {
    Code(u8),
    Name(NaiName),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NaiName {
    Subscriber,
    Unknown,
    National,
    International,
}

impl Nai {
    /// The ISUP nature of address code (Q.763 3.9 b).
    pub fn isup_code(self) -> u8 {
        match self {
            Nai::Code(c) => c,
            Nai::Name(NaiName::Subscriber) => 1,
            Nai::Name(NaiName::Unknown) => 2,
            Nai::Name(NaiName::National) => 3,
            Nai::Name(NaiName::International) => 4,
        }
    }
}

/// Address presentation (Q.763 3.10 d, Q.931 4.5.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presentation {
    #[default]
    Allowed,
    Restricted,
    NotAvailable,
}

/// A call the switch places.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    #[serde(default)]
    pub at_ms: u64,
    pub called: String,
    #[serde(default)]
    pub calling: Option<String>,
    #[serde(default = "national")]
    pub called_nai: Nai,
    #[serde(default = "national")]
    pub calling_nai: Nai,
    #[serde(default)]
    pub presentation: Presentation,
    #[serde(default = "ordinary")]
    pub category: u8,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub cic: Option<u16>,
    #[serde(default)]
    pub release_after_ms: u64,
    #[serde(default = "normal_clearing")]
    pub cause: u8,
    #[serde(default = "expect_any")]
    pub expect: Expect,
    #[serde(default)]
    pub expect_cause: Option<u8>,
}

fn national() -> Nai {
    Nai::Name(NaiName::National)
}
fn ordinary() -> u8 {
    10
}
fn normal_clearing() -> u8 {
    16
}
fn expect_any() -> Expect {
    Expect::Any
}

/// A maintenance action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Do {
    Grs,
    Rsc,
    Blo,
    Ubl,
    Cgb,
    Cgu,
    Restart,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    #[default]
    Maintenance,
    Hardware,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    #[serde(default)]
    pub at_ms: u64,
    #[serde(rename = "do")]
    pub action: Do,
    #[serde(default)]
    pub cic: u16,
    #[serde(default)]
    pub range: u8,
    #[serde(default)]
    pub kind: GroupKind,
    #[serde(default = "yes")]
    pub expect: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Load {
    pub cps: f64,
    #[serde(default = "hold")]
    pub hold_ms: u64,
    pub duration_ms: u64,
    /// How long after the link is up the first call is placed (0: at once): time for the
    /// circuit resets of the link's start, or for several simulators to begin together.
    #[serde(default)]
    pub start_ms: u64,
    #[serde(default = "load_called")]
    pub called: String,
    #[serde(default)]
    pub calling: Option<String>,
}

fn hold() -> u64 {
    1000
}
fn load_called() -> String {
    "4930xxxxxx".to_string()
}

impl Load {
    /// When the `n`-th call (from 0) is placed, the link having come up at `up`.
    pub fn at(&self, up: crate::time::Instant, n: u64) -> crate::time::Instant {
        up + std::time::Duration::from_millis(self.start_ms)
            + std::time::Duration::from_secs_f64(n as f64 / self.cps)
    }

    /// When the last call has been placed and held: the load is over.
    pub fn done_at(&self, up: crate::time::Instant) -> crate::time::Instant {
        up + std::time::Duration::from_millis(self.start_ms + self.duration_ms + self.hold_ms)
    }

    /// The called number of the `n`-th call: every `x` of the pattern replaced by a digit of
    /// `n`, last `x` least significant.
    pub fn called_number(&self, n: u64) -> String {
        let xs = self.called.bytes().filter(|&b| b == b'x').count();
        let mut digits: Vec<u8> = Vec::with_capacity(xs);
        let mut v = n;
        for _ in 0..xs {
            digits.push(b'0' + (v % 10) as u8);
            v /= 10;
        }
        self.called
            .chars()
            .map(|c| {
                if c == 'x' {
                    digits.pop().map_or('0', char::from)
                } else {
                    c
                }
            })
            .collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct End {
    pub after_ms: u64,
    pub wait_up_ms: u64,
    pub settle_ms: u64,
}

impl Default for End {
    fn default() -> End {
        End {
            after_ms: 0,
            wait_up_ms: 30_000,
            settle_ms: 500,
        }
    }
}

/// Which call to place: the scenario's `[[call]]` number i, or the n-th call of `[load]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallRef {
    Scenario(usize),
    Load(u64),
}

impl CallRef {
    /// How events name the call: `call[i]`, `load[n]`.
    pub fn name(self) -> String {
        match self {
            CallRef::Scenario(i) => format!("call[{i}]"),
            CallRef::Load(n) => format!("load[{n}]"),
        }
    }
}

/// A scenario file that could not be read: names the file, the line and the problem.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ScenarioError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl Scenario {
    /// Reads a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: path.display().to_string(),
            line: None,
            message: e.to_string(),
        })?;
        Scenario::parse(path, &text)
    }

    /// Parses the text of a scenario file (`path` only names it in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
        let error = |line, message| ScenarioError {
            file: path.display().to_string(),
            line,
            message,
        };
        let s: Scenario = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| {
                text.get(..s.start.min(text.len()))
                    .map_or(1, |t| t.bytes().filter(|&b| b == b'\n').count() + 1)
            });
            error(line, e.message().trim().to_string())
        })?;
        for (i, c) in s.calls.iter().enumerate() {
            for (what, n) in [("called", Some(&c.called)), ("calling", c.calling.as_ref())] {
                if let Some(n) = n {
                    if n.is_empty() || !n.chars().all(|ch| ch.is_ascii_digit() || ch == '#') {
                        return Err(error(
                            None,
                            format!("call[{i}].{what}: \"{n}\" is not a string of digits"),
                        ));
                    }
                }
            }
        }
        if let Some(l) = &s.load {
            if !(l.cps > 0.0 && l.cps <= 100_000.0) {
                return Err(error(
                    None,
                    "load.cps: must be above 0 and at most 100000".into(),
                ));
            }
            if !l.called.chars().all(|c| c.is_ascii_digit() || c == 'x') || l.called.is_empty() {
                return Err(error(
                    None,
                    format!("load.called: \"{}\" is not digits and x", l.called),
                ));
            }
        }
        Ok(s)
    }

    /// How many calls the load mode places.
    pub fn load_calls(&self) -> u64 {
        self.load.as_ref().map_or(0, |l| {
            (l.cps * l.duration_ms as f64 / 1000.0).floor() as u64
        })
    }

    /// The call `r` stands for; a load call has `nai` for both numbers (the nature of address
    /// the protocol uses by default), is held `hold_ms` and must be answered.
    pub fn call(&self, r: CallRef, nai: Nai) -> Option<Call> {
        match r {
            CallRef::Scenario(i) => self.calls.get(i).cloned(),
            CallRef::Load(n) => self.load.as_ref().map(|l| Call {
                at_ms: 0,
                called: l.called_number(n),
                calling: l.calling.clone(),
                called_nai: nai,
                calling_nai: nai,
                presentation: Presentation::Allowed,
                category: ordinary(),
                name: None,
                cic: None,
                release_after_ms: l.hold_ms,
                cause: normal_clearing(),
                expect: Expect::Answer,
                expect_cause: None,
            }),
        }
    }

    /// Whether the scenario ends by itself (anything placed, or an end time).
    pub fn is_finite(&self) -> bool {
        !self.calls.is_empty()
            || !self.actions.is_empty()
            || self.load.is_some()
            || self.end.after_ms > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_numbers_count_in_the_pattern() {
        let l = Load {
            cps: 1.0,
            hold_ms: 1,
            duration_ms: 1,
            start_ms: 0,
            called: "49x0xx".into(),
            calling: None,
        };
        assert_eq!(l.called_number(0), "490000");
        assert_eq!(l.called_number(123), "491023");
        assert_eq!(l.called_number(1234), "492034");
        // start_ms shifts the whole load; calls follow at 1/cps.
        let up = crate::time::Instant::from_millis(1000);
        let later = Load {
            start_ms: 500,
            cps: 4.0,
            ..l.clone()
        };
        assert_eq!(later.at(up, 0), crate::time::Instant::from_millis(1500));
        assert_eq!(later.at(up, 2), crate::time::Instant::from_millis(2000));
        assert_eq!(later.done_at(up), crate::time::Instant::from_millis(1502));
    }

    #[test]
    fn errors_name_the_line() {
        let e = Scenario::parse(Path::new("s.toml"), "[answer]\nmode = \"sing\"\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        let e = Scenario::parse(Path::new("s.toml"), "[[call]]\ncalled = \"12a\"\n").unwrap_err();
        assert!(e.to_string().contains("call[0].called"), "{e}");
    }

    #[test]
    fn defaults() {
        let s = Scenario::parse(Path::new("s.toml"), "[[call]]\ncalled = \"123\"\n").unwrap();
        assert_eq!(s.answer.mode, AnswerMode::Answer);
        assert_eq!(s.calls[0].called_nai.isup_code(), 3);
        assert_eq!(s.calls[0].expect, Expect::Any);
        assert!(s.is_finite());
    }

    #[test]
    fn the_sample_scenarios_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sim");
        for name in ["basic-calls.toml", "load.toml"] {
            let s = Scenario::load(&dir.join(name)).unwrap_or_else(|e| panic!("{e}"));
            assert!(s.is_finite(), "{name}");
        }
    }
}
