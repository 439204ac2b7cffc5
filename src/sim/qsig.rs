//! The simulator as a QSIG PBX: Q.921 and QSIG basic call ([`DChannel`]) in a
//! [`DChannelShell`], with the scenario's calls and actions on top.
//!
//! The link's `role` is both the Q.921 role (the C/R bits, Q.921 table 1) and the QSIG side
//! (which end wins a B-channel collision, Q.931 Annex D.3); the PBX at the far end must take
//! the other one. Its `channels` are the B-channels. The scenario's times count from the
//! moment the data link is established (DL-ESTABLISH); the call layer then restarts the idle
//! B-channels (Q.931 5.5), and calls placed before RESTART ACKNOWLEDGE wait for a free channel.
//!
//! How the scenario maps onto QSIG basic call (ECMA-143, as Q.931 clause 5):
//! - A SETUP received is answered, in mode "answer" or "ring", with CALL PROCEEDING at once
//!   (Q.931 5.2.5.2), ALERTING after `ring_after_ms` and, in mode "answer", CONNECT after
//!   `answer_after_ms`; in mode "reject" with RELEASE COMPLETE and `cause` after
//!   `ring_after_ms` (5.2.5.3); `release_after_ms` after CONNECT, DISCONNECT with `cause`.
//! - A call placed sends SETUP with the called and calling numbers (type of number from
//!   `*_nai`: the names, or a Q.931 4.5.8 code; numbering plan E.164), the presentation, the
//!   calling name as an ECMA-164 callingName, and the B-channel `cic` exclusive (any free
//!   one, preferred, without it). It is "alerted" on ALERTING, "answered" on CONNECT; the far
//!   end "cleared" it when its DISCONNECT, RELEASE or RELEASE COMPLETE came first.
//! - `do = "restart"`: RESTART of B-channels `cic..=cic+range` (class "indicated channels"),
//!   or of the whole interface when `cic = 0` (class "all interfaces"); expected: RESTART
//!   ACKNOWLEDGE.
//!
//! Every Q.931 message in and out is an event `q931` (`dir` "in"/"out", the message decoded),
//! every call layer event an event of its own name (`incoming_call`, `alerting`, `cleared`,
//! ...: [`CallEvent`] in JSON, messages shortened to their type).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{json, Value};
use sipt_codecs::q931::{
    CauseValue, Message, Number, NumberingPlan, Presentation as Q931Presentation, Screening,
    TypeOfNumber,
};
use sipt_codecs::qsig::Name;

use super::scenario::{AnswerMode, Call, Do, Expect, Nai, NaiName, Presentation, Scenario};
use super::{
    ms, notice, schedule_scenario, shorten_messages, Agenda, CallRef, Outcome, Output, SimError,
    Start, Summary,
};
use crate::config::{LinkConfig, Role};
use crate::isdn::dchannel::TraceDirection;
use crate::qsig::{
    self, CallEvent, CallId, CallState, ChannelRequest, ClearReason, ConnectResponse, Error,
    Initiator, Response, RestartScope, SetupRequest,
};
use crate::shell::{transport_config, DChannelShell};
use crate::time::Instant;

/// How long a call waits for a free B-channel (or the data link) before it fails.
const NO_CHANNEL_RETRY: Duration = Duration::from_millis(20);
const NO_CHANNEL_ATTEMPTS: u32 = 250;
/// At the end, how long the calls still up get to clear (T305 and T308 are longer: a peer
/// that does not answer is left to them after the simulator has gone).
const CLEARING: Duration = Duration::from_secs(3);

#[derive(Debug)]
enum Task {
    Place {
        call: CallRef,
        attempt: u32,
    },
    Act(usize),
    LoadTick(u64),
    Alert(CallId),
    Answer(CallId),
    Reject(CallId),
    Release {
        call: CallId,
        cause: u8,
    },
    /// Stop placing; release what is up; finish.
    End,
    /// The hard stop after [`Task::End`].
    Finish,
    /// The data link was not up in time.
    UpTimeout,
    /// The scenario has run too long.
    Overdue,
}

impl From<Start> for Task {
    fn from(s: Start) -> Task {
        match s {
            Start::Place(call) => Task::Place { call, attempt: 0 },
            Start::Act(i) => Task::Act(i),
            Start::LoadTick(n) => Task::LoadTick(n),
            Start::End => Task::End,
            Start::Overdue => Task::Overdue,
        }
    }
}

struct ActiveCall {
    /// The outcome being recorded, for calls we placed.
    outgoing: Option<(CallRef, Outcome)>,
    release_after_ms: u64,
    cause: u8,
    /// Tasks of ours scheduled for this call.
    scheduled: u32,
    /// We started clearing (DISCONNECT or RELEASE COMPLETE sent).
    releasing: bool,
}

impl ActiveCall {
    /// Whether the scenario still waits for something to happen to this call.
    fn busy(&self) -> bool {
        if self.scheduled > 0 || self.releasing {
            return true;
        }
        match &self.outgoing {
            Some((_, o)) => {
                !(o.answered || (o.alerted && o.expect == Expect::Ring))
                    && o.far_end_cleared.is_none()
            }
            None => false,
        }
    }
}

struct PendingRestart {
    index: usize,
    scope: RestartScope,
}

struct Pbx<'a> {
    out: &'a mut Output,
    shell: DChannelShell,
    scenario: Scenario,
    finite: bool,
    agenda: Agenda<Task>,
    calls: HashMap<CallId, ActiveCall>,
    /// Whether the data link was established at the last look.
    dl_up: bool,
    up_at: Option<Instant>,
    /// Calls and actions still to start.
    to_start: usize,
    load_total: u64,
    restarts: Vec<PendingRestart>,
    summary: Summary,
    ending: bool,
    end_scheduled: bool,
    done: bool,
}

pub(super) async fn run(
    link: &LinkConfig,
    scenario: Scenario,
    finite: bool,
    out: &mut Output,
) -> Result<Summary, SimError> {
    let bad = |message: String| SimError::Config {
        link: link.name.clone(),
        message,
    };
    let (mut dchannel, role, channels) = crate::shell::qsig_dchannel(link).map_err(bad)?;
    dchannel.set_trace(true);
    let shell =
        DChannelShell::spawn(out.clock(), dchannel, &transport_config(link)).map_err(|source| {
            SimError::Transport {
                link: link.name.clone(),
                source,
            }
        })?;
    out.event(
        "started",
        json!({
            "protocol": "qsig",
            "role": match role { Role::User => "user", Role::Network => "network" },
            "channels": channels,
            "links": [json!({
                "name": link.name,
                "transport": format!("{:?}", link.transport).to_lowercase(),
                "path": link.path,
            })],
        }),
    );
    if let Some(p) = shell.pty_path() {
        out.event("pty", json!({ "name": link.name, "path": p }));
    }
    let now = shell.now();
    let mut pbx = Pbx {
        out,
        shell,
        to_start: scenario.calls.len() + scenario.actions.len(),
        load_total: scenario.load_calls(),
        scenario,
        finite,
        agenda: Agenda::new(),
        calls: HashMap::new(),
        dl_up: false,
        up_at: None,
        restarts: Vec::new(),
        summary: Summary {
            calls_placed: 0,
            calls_answered: 0,
            calls_received: 0,
            actions: 0,
            failures: Vec::new(),
        },
        ending: false,
        end_scheduled: false,
        done: false,
    };
    if finite {
        pbx.agenda
            .at(now + ms(pbx.scenario.end.wait_up_ms), Task::UpTimeout);
    }
    pbx.pump(now);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    while !pbx.done {
        let deadline = pbx.agenda.next_time();
        tokio::select! {
            n = pbx.shell.step(deadline) => {
                if let Some(n) = n {
                    notice(pbx.out, n);
                }
            }
            _ = &mut ctrl_c => {
                pbx.out.event("interrupted", json!({}));
                break;
            }
        }
        let now = pbx.shell.now();
        pbx.pump(now);
        while let Some(task) = pbx.agenda.pop_due(now) {
            pbx.task(now, task);
            pbx.pump(now);
        }
        pbx.check_done(now);
        if let Some(e) = pbx.out.take_error() {
            return Err(SimError::Output(e));
        }
    }
    Ok(pbx.finish())
}

impl Pbx<'_> {
    /// Logs what the D-channel did and acts on its events until nothing is left, then sends
    /// what it has.
    fn pump(&mut self, now: Instant) {
        loop {
            let mut moved = false;
            while let Some((dir, octets)) = self.shell.dchannel().poll_trace() {
                moved = true;
                self.log_message(dir, &octets);
            }
            while let Some(e) = self.shell.dchannel().poll_mdl_error() {
                moved = true;
                self.out.event(
                    "mdl_error",
                    json!({ "code": e.code().to_string(), "description": e.description() }),
                );
            }
            let up = self.shell.dchannel().calls().data_link_established();
            if up != self.dl_up {
                moved = true;
                self.dl_up = up;
                self.data_link(now, up);
            }
            while let Some(e) = self.shell.dchannel().poll_event() {
                moved = true;
                self.call_event(now, e);
            }
            if !moved {
                break;
            }
        }
        self.shell.flush();
    }

    fn log_message(&mut self, dir: TraceDirection, octets: &[u8]) {
        let dir = match dir {
            TraceDirection::Sent => "out",
            TraceDirection::Received => "in",
        };
        match Message::decode(octets) {
            Ok(m) => {
                let mut v = serde_json::to_value(&m).unwrap_or(Value::Null);
                if let Value::Object(o) = &mut v {
                    o.insert("dir".into(), json!(dir));
                }
                self.out.event("q931", v);
            }
            Err(e) => self.out.event(
                "q931_undecodable",
                json!({ "dir": dir, "hex": sipt_codecs::wire::hex(octets), "error": e.to_string() }),
            ),
        }
    }

    fn data_link(&mut self, now: Instant, up: bool) {
        let state = self.shell.dchannel().lapd().state();
        self.out.event(
            if up { "data_link_up" } else { "data_link_down" },
            json!({ "q921_state": state.name() }),
        );
        if up && self.up_at.is_none() {
            self.up_at = Some(now);
            self.schedule_scenario(now);
        }
    }

    fn call_event(&mut self, now: Instant, e: CallEvent) {
        let v = shorten_messages(serde_json::to_value(&e).unwrap_or(Value::Null));
        let name = v
            .get("event")
            .and_then(Value::as_str)
            .unwrap_or("qsig_event")
            .to_string();
        self.out.event(&name, v);
        match e {
            CallEvent::IncomingCall(inc) => self.incoming(now, &inc),
            CallEvent::Alerting { call, .. } => self.alerted(now, call),
            CallEvent::Connected { call, .. } => self.answered(now, call),
            CallEvent::Disconnected { call, cause, .. } => {
                if let Some((_, o)) = self.calls.get_mut(&call).and_then(|c| c.outgoing.as_mut()) {
                    o.far_end_cleared = Some(cause.map(|c| c.cause_value.code()));
                }
            }
            CallEvent::Cleared {
                call,
                cause,
                reason,
                ..
            } => {
                let Some(mut active) = self.calls.remove(&call) else {
                    return;
                };
                let Some((_, mut o)) = active.outgoing.take() else {
                    return;
                };
                let cause = cause.map(|c| c.cause_value.code());
                match reason {
                    // A DISCONNECT came first: its cause counts.
                    _ if o.far_end_cleared.is_some() => {}
                    ClearReason::Remote | ClearReason::PeerInNullState => {
                        o.far_end_cleared = Some(cause);
                    }
                    ClearReason::Local => {}
                    other => {
                        o.failed = Some(format!(
                            "cleared by QSIG ({other:?}), cause {}",
                            cause.map_or("none".into(), |c| c.to_string())
                        ));
                    }
                }
                self.complete(o);
            }
            CallEvent::Restarted {
                scope,
                initiator: Initiator::Local,
                ..
            } => {
                if let Some(i) = self.restarts.iter().position(|r| r.scope == scope) {
                    let r = self.restarts.remove(i);
                    self.out.event(
                        "action_acknowledged",
                        json!({ "action": format!("action[{}]", r.index), "do": Do::Restart, "scope": r.scope }),
                    );
                }
            }
            CallEvent::RestartFailed { scope } => {
                if let Some(i) = self.restarts.iter().position(|r| r.scope == scope) {
                    let r = self.restarts.remove(i);
                    self.summary.failures.push(format!(
                        "action[{}] (restart {:?}): not acknowledged",
                        r.index, r.scope
                    ));
                }
            }
            _ => {}
        }
    }

    fn incoming(&mut self, now: Instant, inc: &qsig::IncomingCall) {
        self.summary.calls_received += 1;
        let call = inc.call;
        self.out.event(
            "call_received",
            json!({
                "call": call.0,
                "channel": inc.channel,
                "called": inc.called.as_ref().map(|n| n.digits.clone()),
                "calling": inc.calling.as_ref().map(|n| n.digits.clone()),
                "calling_name": inc.calling_name.as_ref().and_then(Name::text),
            }),
        );
        let a = self.scenario.answer.clone();
        let mut active = ActiveCall {
            outgoing: None,
            release_after_ms: a.release_after_ms,
            cause: a.cause,
            scheduled: 0,
            releasing: false,
        };
        match a.mode {
            AnswerMode::Answer | AnswerMode::Ring => {
                // Q.931 5.2.5.2: the SETUP is complete (no overlap receiving here).
                let r = self
                    .shell
                    .dchannel()
                    .with_calls(now, |c| c.proceeding(now, call, Response::default()));
                if let Err(e) = r {
                    self.refused("proceeding", call, &e);
                }
                self.agenda.at(now + ms(a.ring_after_ms), Task::Alert(call));
                active.scheduled += 1;
                if a.mode == AnswerMode::Answer {
                    self.agenda.at(
                        now + ms(a.answer_after_ms.max(a.ring_after_ms)),
                        Task::Answer(call),
                    );
                    active.scheduled += 1;
                }
            }
            AnswerMode::Reject => {
                self.agenda
                    .at(now + ms(a.ring_after_ms), Task::Reject(call));
                active.scheduled += 1;
            }
            AnswerMode::Ignore => {}
        }
        self.calls.insert(call, active);
    }

    fn alerted(&mut self, now: Instant, call: CallId) {
        let Some(active) = self.calls.get_mut(&call) else {
            return;
        };
        let Some((_, o)) = active.outgoing.as_mut() else {
            return;
        };
        if o.alerted {
            return;
        }
        o.alerted = true;
        if o.expect == Expect::Ring && active.release_after_ms > 0 {
            active.scheduled += 1;
            let cause = active.cause;
            self.agenda.at(
                now + ms(active.release_after_ms),
                Task::Release { call, cause },
            );
        }
    }

    fn answered(&mut self, now: Instant, call: CallId) {
        let Some(active) = self.calls.get_mut(&call) else {
            return;
        };
        let Some((_, o)) = active.outgoing.as_mut() else {
            return;
        };
        if o.answered {
            return;
        }
        o.answered = true;
        self.summary.calls_answered += 1;
        if active.release_after_ms > 0 {
            active.scheduled += 1;
            let cause = active.cause;
            self.agenda.at(
                now + ms(active.release_after_ms),
                Task::Release { call, cause },
            );
        }
    }

    fn complete(&mut self, o: Outcome) {
        self.out.event("call_outcome", o.to_json());
        if let Some(p) = o.problem() {
            self.summary.failures.push(p);
        }
    }

    fn refused(&mut self, what: &str, call: CallId, e: &Error) {
        self.out.event(
            "refused",
            json!({ "what": what, "call": call.0, "error": e.to_string() }),
        );
    }

    /// Whether `call` is still up; uses up one scheduled task.
    fn own(&mut self, call: CallId) -> bool {
        match self.calls.get_mut(&call) {
            Some(c) => {
                c.scheduled = c.scheduled.saturating_sub(1);
                true
            }
            None => false,
        }
    }

    fn schedule_scenario(&mut self, up: Instant) {
        schedule_scenario(self.out, &mut self.agenda, &self.scenario, up, self.finite);
    }

    fn call_spec(&self, r: CallRef) -> Option<Call> {
        self.scenario.call(r, Nai::Name(NaiName::Unknown))
    }

    fn task(&mut self, now: Instant, task: Task) {
        match task {
            Task::Place { call, attempt } => self.place(now, call, attempt),
            Task::Act(i) => self.act(now, i),
            Task::LoadTick(n) => {
                if self.ending || n >= self.load_total {
                    return;
                }
                self.to_start += 1;
                self.place(now, CallRef::Load(n), 0);
                if n + 1 < self.load_total {
                    if let (Some(up), Some(l)) = (self.up_at, &self.scenario.load) {
                        self.agenda.at(l.at(up, n + 1), Task::LoadTick(n + 1));
                    }
                }
            }
            Task::Alert(call) => {
                if !self.own(call) {
                    return;
                }
                let r = self
                    .shell
                    .dchannel()
                    .with_calls(now, |c| c.alerting(now, call, Response::default()));
                if let Err(e) = r {
                    self.refused("alerting", call, &e);
                }
            }
            Task::Answer(call) => {
                if !self.own(call) {
                    return;
                }
                let r = self
                    .shell
                    .dchannel()
                    .with_calls(now, |c| c.connect(now, call, ConnectResponse::default()));
                if let Err(e) = r {
                    self.refused("connect", call, &e);
                    return;
                }
                if let Some(active) = self.calls.get_mut(&call) {
                    if active.release_after_ms > 0 {
                        active.scheduled += 1;
                        let cause = active.cause;
                        self.agenda.at(
                            now + ms(active.release_after_ms),
                            Task::Release { call, cause },
                        );
                    }
                }
            }
            Task::Reject(call) => {
                if !self.own(call) {
                    return;
                }
                let cause = self.scenario.answer.cause;
                self.release(now, call, cause);
            }
            Task::Release { call, cause } => {
                if !self.own(call) {
                    return;
                }
                self.release(now, call, cause);
            }
            Task::End => self.end(now),
            Task::Finish => self.done = true,
            Task::UpTimeout => {
                if self.up_at.is_none() {
                    self.summary.failures.push(format!(
                        "the data link was not up within {} ms",
                        self.scenario.end.wait_up_ms
                    ));
                    self.done = true;
                }
            }
            Task::Overdue => {
                if !self.ending {
                    self.summary
                        .failures
                        .push("the scenario did not finish in time".into());
                    self.end(now);
                }
            }
        }
    }

    /// Clears a call: RELEASE COMPLETE for a call offered and not yet answered in any way
    /// (Q.931 5.2.5.3), DISCONNECT otherwise (5.3.2).
    fn release(&mut self, now: Instant, call: CallId, cause: u8) {
        let value = CauseValue::from_code(cause);
        let r = self.shell.dchannel().with_calls(now, |c| {
            if c.call_state(call) == CallState::CallPresent {
                c.reject(now, call, value)
            } else {
                c.disconnect(now, call, value)
            }
        });
        match r {
            Ok(()) => {
                if let Some(active) = self.calls.get_mut(&call) {
                    active.releasing = true;
                }
            }
            Err(e) => self.refused("release", call, &e),
        }
    }

    fn place(&mut self, now: Instant, r: CallRef, attempt: u32) {
        if self.ending {
            return;
        }
        let Some(spec) = self.call_spec(r) else {
            return;
        };
        let name = r.name();
        let channel = match spec.cic {
            Some(c) => match u8::try_from(c) {
                Ok(c) => ChannelRequest::Exclusive(c),
                Err(_) => {
                    self.to_start = self.to_start.saturating_sub(1);
                    let mut o = Outcome::new(name, spec.expect, spec.expect_cause);
                    o.failed = Some(format!("B-channel {c} does not exist"));
                    self.complete(o);
                    return;
                }
            },
            None => ChannelRequest::Any,
        };
        let req = setup_request(&spec, channel);
        let r2 = self.shell.dchannel().with_calls(now, |c| c.setup(now, req));
        let call = match r2 {
            Ok(call) => call,
            Err(e @ (Error::NoChannelAvailable | Error::ChannelBusy(_) | Error::DataLinkDown)) => {
                if attempt < NO_CHANNEL_ATTEMPTS {
                    self.agenda.at(
                        now + NO_CHANNEL_RETRY,
                        Task::Place {
                            call: r,
                            attempt: attempt + 1,
                        },
                    );
                } else {
                    self.to_start = self.to_start.saturating_sub(1);
                    let mut o = Outcome::new(name, spec.expect, spec.expect_cause);
                    o.failed = Some(format!("not placed: {e}"));
                    self.complete(o);
                }
                return;
            }
            Err(e) => {
                self.to_start = self.to_start.saturating_sub(1);
                let mut o = Outcome::new(name, spec.expect, spec.expect_cause);
                o.failed = Some(format!("QSIG refused the SETUP: {e}"));
                self.complete(o);
                return;
            }
        };
        self.to_start = self.to_start.saturating_sub(1);
        self.summary.calls_placed += 1;
        let channel = self.shell.dchannel().calls().call_channel(call);
        self.out.event(
            "call_placed",
            json!({
                "call": name, "id": call.0, "channel": channel,
                "called": spec.called, "calling": spec.calling, "name": spec.name,
            }),
        );
        self.calls.insert(
            call,
            ActiveCall {
                outgoing: Some((r, Outcome::new(name, spec.expect, spec.expect_cause))),
                release_after_ms: spec.release_after_ms,
                cause: spec.cause,
                scheduled: 0,
                releasing: false,
            },
        );
    }

    fn act(&mut self, now: Instant, i: usize) {
        self.to_start = self.to_start.saturating_sub(1);
        let Some(a) = self.scenario.actions.get(i).cloned() else {
            return;
        };
        self.summary.actions += 1;
        if a.action != Do::Restart {
            self.summary
                .failures
                .push(format!("action[{i}]: {:?} is an ISUP action", a.action));
            return;
        }
        let scope = if a.cic == 0 {
            RestartScope::Interface
        } else {
            let first = u8::try_from(a.cic).unwrap_or(u8::MAX);
            RestartScope::Channels((first..=first.saturating_add(a.range)).collect())
        };
        self.out.event(
            "action",
            json!({ "action": format!("action[{i}]"), "do": a.action, "cic": a.cic, "range": a.range, "scope": scope }),
        );
        let s = scope.clone();
        let r = self.shell.dchannel().with_calls(now, |c| c.restart(now, s));
        if let Err(e) = r {
            self.summary
                .failures
                .push(format!("action[{i}] (restart): {e}"));
            return;
        }
        // The calls on the channels are cleared at once (Q.931 5.5.1): their events follow.
        if a.expect {
            self.restarts.push(PendingRestart { index: i, scope });
        }
    }

    fn end(&mut self, now: Instant) {
        if self.ending {
            return;
        }
        self.ending = true;
        self.out
            .event("ending", json!({ "calls_up": self.calls.len() }));
        let up: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, c)| !c.releasing)
            .map(|(&id, _)| id)
            .collect();
        for call in up {
            self.release(now, call, 16);
        }
        self.agenda.at(now + CLEARING, Task::Finish);
    }

    fn check_done(&mut self, now: Instant) {
        if self.ending {
            if self.calls.is_empty() {
                self.done = true;
            }
            return;
        }
        if !self.finite || self.up_at.is_none() || self.scenario.end.after_ms > 0 {
            return;
        }
        let load_done = self
            .scenario
            .load
            .as_ref()
            .is_none_or(|l| self.up_at.is_some_and(|up| now >= l.done_at(up)));
        if !self.end_scheduled
            && self.to_start == 0
            && load_done
            && self.restarts.is_empty()
            && !self.calls.values().any(ActiveCall::busy)
        {
            self.end_scheduled = true;
            self.agenda
                .at(now + ms(self.scenario.end.settle_ms), Task::End);
        }
    }

    fn finish(mut self) -> Summary {
        let active: Vec<ActiveCall> = self.calls.drain().map(|(_, c)| c).collect();
        for mut c in active {
            if let Some((_, o)) = c.outgoing.take() {
                self.complete(o);
            }
        }
        for r in std::mem::take(&mut self.restarts) {
            self.summary.failures.push(format!(
                "action[{}] (restart {:?}): not acknowledged",
                r.index, r.scope
            ));
        }
        let s = self.summary.clone();
        let dchannel = self.shell.dchannel();
        let stats = serde_json::to_value(dchannel.calls().statistics()).unwrap_or(Value::Null);
        let q921 = format!("{:?}", dchannel.lapd().stats());
        self.out.event(
            "summary",
            json!({
                "ok": s.ok(),
                "calls_placed": s.calls_placed,
                "calls_answered": s.calls_answered,
                "calls_received": s.calls_received,
                "actions": s.actions,
                "failures": s.failures,
                "qsig": stats,
                "q921": q921,
            }),
        );
        s
    }
}

/// The type of number of a scenario's nature of address: by name, or a Q.931 4.5.8 code.
fn type_of_number(nai: Nai) -> TypeOfNumber {
    match nai {
        Nai::Code(c) => TypeOfNumber::from_code(c),
        Nai::Name(NaiName::Unknown) => TypeOfNumber::Unknown0,
        Nai::Name(NaiName::Subscriber) => TypeOfNumber::Subscriber,
        Nai::Name(NaiName::National) => TypeOfNumber::National,
        Nai::Name(NaiName::International) => TypeOfNumber::International,
    }
}

/// The SETUP of a call placed: the scenario's numbers, presentation and name on a speech
/// call (Q.931 4.5.8, 4.5.10; ECMA-164 callingName).
fn setup_request(spec: &Call, channel: ChannelRequest) -> SetupRequest {
    let mut req = SetupRequest::new(Number::new(
        type_of_number(spec.called_nai),
        NumberingPlan::IsdnTelephony,
        &spec.called,
    ));
    req.channel = channel;
    if let Some(calling) = &spec.calling {
        let mut n = Number::new(
            type_of_number(spec.calling_nai),
            NumberingPlan::IsdnTelephony,
            calling,
        );
        n.presentation = Some(match spec.presentation {
            Presentation::Allowed => Q931Presentation::Allowed,
            Presentation::Restricted => Q931Presentation::Restricted,
            Presentation::NotAvailable => Q931Presentation::NotAvailable,
        });
        n.screening = Some(Screening::UserProvidedVerifiedAndPassed);
        req.calling = Some(n);
    }
    req.calling_name = spec.name.as_deref().map(|t| match spec.presentation {
        Presentation::Allowed => Name::allowed(t),
        Presentation::Restricted | Presentation::NotAvailable => Name::restricted(t),
    });
    req
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn spec(text: &str) -> Call {
        let s = Scenario::parse(Path::new("s.toml"), text).unwrap();
        s.calls[0].clone()
    }

    #[test]
    fn setup_carries_the_scenarios_numbers_presentation_and_name() {
        let c = spec(
            "[[call]]\ncalled = \"2001\"\ncalling = \"1001\"\ncalled_nai = \"international\"\n\
             calling_nai = 4\npresentation = \"restricted\"\nname = \"Bob\"\ncic = 7\n",
        );
        let req = setup_request(&c, ChannelRequest::Exclusive(7));
        assert_eq!(req.called.digits, "2001");
        assert_eq!(req.called.type_of_number, TypeOfNumber::International);
        assert_eq!(req.called.numbering_plan, NumberingPlan::IsdnTelephony);
        let calling = req.calling.unwrap();
        assert_eq!(calling.type_of_number, TypeOfNumber::Subscriber);
        assert_eq!(calling.presentation, Some(Q931Presentation::Restricted));
        assert_eq!(req.calling_name, Some(Name::restricted("Bob")));
        assert_eq!(req.channel, ChannelRequest::Exclusive(7));
        assert!(req.sending_complete);
    }

    #[test]
    fn no_calling_number_no_name_by_default() {
        let req = setup_request(&spec("[[call]]\ncalled = \"5\"\n"), ChannelRequest::Any);
        assert_eq!(req.called.type_of_number, TypeOfNumber::National);
        assert!(req.calling.is_none());
        assert!(req.calling_name.is_none());
    }

    #[test]
    fn the_sample_scenario_reads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sim");
        let s = Scenario::load(&dir.join("qsig-scenario.toml")).unwrap();
        assert_eq!(s.calls.len(), 1);
        assert_eq!(s.actions[0].action, Do::Restart);
        let config = crate::config::Config::load(&dir.join("qsig-pbx.toml")).unwrap();
        let link = &config.links[0];
        assert_eq!(link.protocol, crate::config::Protocol::Qsig);
        assert_eq!(link.role, Some(Role::Network));
        assert_eq!(link.channels.len(), 30);
    }
}
