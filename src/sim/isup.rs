//! The simulator as an ISUP exchange: MTP2/MTP3 ([`Mtp`] in an [`MtpShell`]) under Q.764 call
//! and circuit control ([`Isup`]), with the scenario's calls and actions on top.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{json, Value};
use sipt_codecs::isup::{
    AddressPresentation, CalledNumberIndicators, CalledPartyNumber, CallingNumberIndicators,
    CallingPartyNumber, CallingPartysCategory, CauseIndicators, CauseValue, CicMessage,
    EventIndicator, ForwardCallIndicators, Message, MessageType, NatureOfAddress,
    NatureOfConnectionIndicators, NumberingPlan, Parameter, Screening, TransmissionMedium,
};
use sipt_codecs::mtp3::ServiceIndicator;
use sipt_codecs::q850::Location;

use super::scenario::{AnswerMode, Call, Do, Expect, GroupKind, Presentation, Scenario};
use super::{
    ms, notice, schedule_scenario, shorten_messages, Agenda, CallRef, Outcome, Output, SimError,
    Start, Summary,
};
use crate::config::LinkConfig;
use crate::isup::{BlockingKind, Config as IsupConfig, Isup, IsupEvent, ReleaseReason, Side};
use crate::shell::{isup_relation, MtpShell, MtpShellOptions};
use crate::ss7::mtp3::{Mtp3Event, TransferRequest};
use crate::time::{earliest, Instant};

/// How long a call waits for a free circuit before it fails.
const NO_CIRCUIT_RETRY: Duration = Duration::from_millis(20);
const NO_CIRCUIT_ATTEMPTS: u32 = 250;
/// At the end, how long the calls still up get to clear.
const CLEARING: Duration = Duration::from_secs(3);

#[derive(Debug)]
enum Task {
    Place {
        call: CallRef,
        attempt: u32,
    },
    Act(usize),
    LoadTick(u64),
    Alert {
        cic: u16,
        id: u64,
    },
    Answer {
        cic: u16,
        id: u64,
    },
    Reject {
        cic: u16,
        id: u64,
    },
    Release {
        cic: u16,
        id: u64,
        cause: u8,
    },
    /// Stop placing; release what is up; finish.
    End,
    /// The hard stop after [`Task::End`].
    Finish,
    /// The link was not up in time.
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
    id: u64,
    /// The outcome being recorded, for calls we placed.
    outgoing: Option<(CallRef, Outcome)>,
    release_after_ms: u64,
    cause: u8,
    /// A task of ours is scheduled for this call.
    scheduled: u32,
    /// We sent REL.
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

struct PendingAck {
    index: usize,
    action: Do,
    first: u16,
    last: u16,
    seen: Vec<u16>,
}

struct Switch<'a> {
    out: &'a mut Output,
    shell: MtpShell,
    isup: Isup,
    scenario: Scenario,
    finite: bool,
    agenda: Agenda<Task>,
    calls: HashMap<u16, ActiveCall>,
    next_id: u64,
    up_at: Option<Instant>,
    /// Calls and actions still to start.
    to_start: usize,
    load_total: u64,
    acks: Vec<PendingAck>,
    summary: Summary,
    ending: bool,
    end_scheduled: bool,
    done: bool,
    buf: Vec<u8>,
}

pub(super) async fn run(
    linkset: &[LinkConfig],
    scenario: Scenario,
    finite: bool,
    out: &mut Output,
) -> Result<Summary, SimError> {
    let first = linkset.first().ok_or(SimError::NoLinks)?;
    let bad = |message: String| SimError::Config {
        link: first.name.clone(),
        message,
    };
    let links: Vec<&LinkConfig> = linkset.iter().collect();
    let relation = isup_relation(&links).map_err(bad)?;
    let (opc, dpc, slcs) = (relation.opc, relation.dpc, relation.slcs);
    let isup =
        Isup::new(IsupConfig::new(opc, dpc, relation.cics)).map_err(|e| bad(e.to_string()))?;
    let (mtp, transports) = (relation.mtp, relation.transports);
    let options = MtpShellOptions {
        trace_management: true,
        ..MtpShellOptions::default()
    };
    let shell = MtpShell::spawn(out.clock(), mtp, &transports, options).map_err(|source| {
        SimError::Transport {
            link: first.name.clone(),
            source,
        }
    })?;
    out.event(
        "started",
        json!({
            "protocol": "isup", "opc": opc, "dpc": dpc,
            "links": linkset.iter().zip(&slcs).map(|(l, s)| json!({"name": l.name, "slc": s, "transport": format!("{:?}", l.transport).to_lowercase(), "path": l.path})).collect::<Vec<_>>(),
        }),
    );
    for (l, &slc) in linkset.iter().zip(&slcs) {
        if let Some(p) = shell.pty_path(slc) {
            out.event("pty", json!({ "slc": slc, "name": l.name, "path": p }));
        }
    }
    let now = shell.now();
    let mut sw = Switch {
        out,
        shell,
        isup,
        to_start: scenario.calls.len() + scenario.actions.len(),
        load_total: scenario.load_calls(),
        scenario,
        finite,
        agenda: Agenda::new(),
        calls: HashMap::new(),
        next_id: 0,
        up_at: None,
        acks: Vec::new(),
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
        buf: Vec::with_capacity(300),
    };
    if finite {
        sw.agenda
            .at(now + ms(sw.scenario.end.wait_up_ms), Task::UpTimeout);
    }
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    while !sw.done {
        let deadline = earliest(sw.isup.poll_timeout(), sw.agenda.next_time());
        tokio::select! {
            n = sw.shell.step(deadline) => {
                if let Some(n) = n {
                    notice(sw.out, n);
                }
            }
            _ = &mut ctrl_c => {
                sw.out.event("interrupted", json!({}));
                break;
            }
        }
        let now = sw.shell.now();
        sw.pump(now);
        while let Some(task) = sw.agenda.pop_due(now) {
            sw.task(now, task);
            sw.pump(now);
        }
        sw.check_done(now);
        if let Some(e) = sw.out.take_error() {
            return Err(SimError::Output(e));
        }
    }
    Ok(sw.finish())
}

impl Switch<'_> {
    /// Moves messages and events between MTP, ISUP and the switch until nothing moves.
    fn pump(&mut self, now: Instant) {
        self.log_traced();
        loop {
            let mut moved = false;
            while let Some(e) = self.shell.mtp().poll_event() {
                moved = true;
                self.mtp_event(now, e);
            }
            if self.isup.poll_timeout().is_some_and(|t| t <= now) {
                self.isup.handle_timeout(now);
            }
            while let Some(e) = self.isup.poll_event() {
                moved = true;
                self.isup_event(now, e);
            }
            while let Some((sls, m)) = self.isup.poll_transmit() {
                moved = true;
                self.send(now, sls, m);
            }
            if !moved {
                break;
            }
        }
        self.shell.flush();
        self.log_traced();
    }

    /// MTP's own messages (SLTM/SLTA, TRA, COO/COA, ...) as `mtp` events, decoded.
    fn log_traced(&mut self) {
        while let Some(t) = self.shell.poll_traced() {
            let decoded = crate::decode::decode(crate::decode::Kind::Mtp2, &t.su)
                .map(|v| v.get("mtp3").cloned().unwrap_or(v))
                .unwrap_or_else(|e| json!({ "undecodable": e.to_string() }));
            self.out.event(
                "mtp",
                json!({ "dir": if t.outgoing { "out" } else { "in" }, "slc": t.link, "su": decoded }),
            );
        }
    }

    fn send(&mut self, now: Instant, sls: u8, m: CicMessage) {
        self.log_message("out", sls, &m);
        self.buf.clear();
        if let Err(e) = m.encode(&mut self.buf) {
            self.out.event(
                "error",
                json!({ "what": "encoding an ISUP message", "error": e.to_string() }),
            );
            return;
        }
        let req = TransferRequest::new(ServiceIndicator::Isup, sls, self.buf.clone());
        if let Err(e) = self.shell.mtp().transfer(now, req) {
            self.out.event(
                "transfer_refused",
                json!({ "cic": m.cic, "message_type": m.message.message_type, "error": format!("{e:?}") }),
            );
        }
    }

    fn log_message(&mut self, dir: &str, sls: u8, m: &CicMessage) {
        let mut v = serde_json::to_value(m).unwrap_or(Value::Null);
        if let Value::Object(o) = &mut v {
            o.insert("dir".into(), json!(dir));
            o.insert("sls".into(), json!(sls));
        }
        self.out.event("isup", v);
    }

    fn mtp_event(&mut self, now: Instant, e: Mtp3Event) {
        match e {
            Mtp3Event::Transfer(t) => {
                if t.service_indicator != ServiceIndicator::Isup {
                    self.out.event(
                        "mtp_transfer",
                        json!({ "si": t.service_indicator.code(), "octets": t.payload.len() }),
                    );
                    return;
                }
                // Decoded once, for the log and for ISUP. What does not decode at all is
                // counted by ISUP (its decode errors) and dropped; unknown messages and
                // parameters do decode, and meet the Q.764 2.9.5 compatibility procedures.
                match CicMessage::decode(&t.payload) {
                    Ok(m) => {
                        self.log_message("in", t.sls, &m);
                        self.isup.handle_message(now, m);
                    }
                    Err(e) => {
                        self.out.event(
                            "isup_undecodable",
                            json!({ "hex": sipt_codecs::wire::hex(&t.payload), "error": e.to_string() }),
                        );
                        let _ = self.isup.handle_octets(now, &t.payload);
                    }
                }
            }
            Mtp3Event::Pause { dpc } | Mtp3Event::Resume { dpc } => {
                let name = if matches!(e, Mtp3Event::Pause { .. }) { "mtp_pause" } else { "mtp_resume" };
                self.out.event(name, json!({ "dpc": dpc.0 }));
                if let Some(i) = crate::shell::isup_indication(&e) {
                    self.isup.handle_mtp(now, i);
                }
            }
            Mtp3Event::Status { dpc, cause } => {
                self.out
                    .event("mtp_status", json!({ "dpc": dpc.0, "cause": format!("{cause:?}") }));
                if let Some(i) = crate::shell::isup_indication(&e) {
                    self.isup.handle_mtp(now, i);
                }
            }
            Mtp3Event::LinkState {
                link,
                status,
                reason,
            } => self.out.event(
                "link_state",
                json!({ "slc": link, "status": format!("{status:?}"), "reason": reason.map(|r| format!("{r:?}")) }),
            ),
            Mtp3Event::LinksetState { status } => self
                .out
                .event("linkset_state", json!({ "status": format!("{status:?}") })),
            Mtp3Event::ChangeoverComplete { link, kind } => self.out.event(
                "changeover",
                json!({ "slc": link, "kind": format!("{kind:?}") }),
            ),
            Mtp3Event::ChangebackComplete { link, timed } => self
                .out
                .event("changeback", json!({ "slc": link, "timed": timed })),
        }
    }

    fn isup_event(&mut self, now: Instant, e: IsupEvent) {
        let v = shorten_messages(serde_json::to_value(&e).unwrap_or(Value::Null));
        let name = v
            .get("event")
            .and_then(Value::as_str)
            .unwrap_or("isup_event")
            .to_string();
        self.out.event(&name, v);
        match e {
            IsupEvent::RelationResumed if self.up_at.is_none() => {
                self.up_at = Some(now);
                self.schedule_scenario(now);
            }
            IsupEvent::Setup { cic, .. } => {
                self.summary.calls_received += 1;
                let id = self.new_id();
                let a = self.scenario.answer.clone();
                let mut call = ActiveCall {
                    id,
                    outgoing: None,
                    release_after_ms: a.release_after_ms,
                    cause: a.cause,
                    scheduled: 0,
                    releasing: false,
                };
                match a.mode {
                    AnswerMode::Answer => {
                        self.agenda
                            .at(now + ms(a.ring_after_ms), Task::Alert { cic, id });
                        self.agenda.at(
                            now + ms(a.answer_after_ms.max(a.ring_after_ms)),
                            Task::Answer { cic, id },
                        );
                        call.scheduled += 2;
                    }
                    AnswerMode::Ring => {
                        self.agenda
                            .at(now + ms(a.ring_after_ms), Task::Alert { cic, id });
                        call.scheduled += 1;
                    }
                    AnswerMode::Reject => {
                        self.agenda
                            .at(now + ms(a.ring_after_ms), Task::Reject { cic, id });
                        call.scheduled += 1;
                    }
                    AnswerMode::Ignore => {}
                }
                self.calls.insert(cic, call);
            }
            IsupEvent::AddressComplete { cic, .. } => self.alerted(now, cic),
            IsupEvent::Progress { cic, cpg } => {
                let alerting = cpg
                    .parameters()
                    .iter()
                    .any(|p| matches!(p, Parameter::EventInformation(e) if e.event_indicator() == EventIndicator::Alerting));
                if alerting {
                    self.alerted(now, cic);
                }
            }
            IsupEvent::Answer { cic, .. } | IsupEvent::Connect { cic, .. } => {
                self.answered(now, cic);
            }
            IsupEvent::Released {
                cic,
                reason,
                cause,
                reattempt,
                ..
            } => {
                let cause = cause.map(|c| c.cause_value().code());
                if let Some(mut call) = self.calls.remove(&cic) {
                    if let Some((r, mut o)) = call.outgoing.take() {
                        if reattempt && !o.answered {
                            self.out
                                .event("reattempt", json!({ "call": o.name, "cic": cic }));
                            self.agenda.at(
                                now,
                                Task::Place {
                                    call: r,
                                    attempt: 0,
                                },
                            );
                            self.summary.calls_placed -= 1;
                            self.to_start += 1;
                        } else {
                            match reason {
                                ReleaseReason::Remote => o.far_end_cleared = Some(cause),
                                other => {
                                    o.failed = Some(format!(
                                        "released by ISUP ({other:?}), cause {cause:?}"
                                    ))
                                }
                            }
                            self.complete(o);
                        }
                    }
                }
            }
            IsupEvent::ReleaseComplete { cic, .. } => {
                if let Some(mut call) = self.calls.remove(&cic) {
                    if let Some((_, o)) = call.outgoing.take() {
                        self.complete(o);
                    }
                }
            }
            IsupEvent::DualSeizure {
                cic,
                backed_off: true,
                ..
            } => {
                if let Some(mut call) = self.calls.remove(&cic) {
                    if let Some((r, o)) = call.outgoing.take() {
                        self.out
                            .event("reattempt", json!({ "call": o.name, "cic": cic }));
                        self.summary.calls_placed -= 1;
                        self.to_start += 1;
                        self.agenda.at(
                            now + ms(5),
                            Task::Place {
                                call: r,
                                attempt: 0,
                            },
                        );
                    }
                }
            }
            IsupEvent::CircuitReset { cic, remote } => {
                if let Some(mut call) = self.calls.remove(&cic) {
                    if let Some((_, mut o)) = call.outgoing.take() {
                        o.failed = Some(format!("circuit {cic} was reset during the call"));
                        self.complete(o);
                    }
                }
                if !remote {
                    self.acknowledged(cic, &[Do::Grs, Do::Rsc]);
                }
            }
            IsupEvent::Blocked {
                cic,
                side: Side::Local,
                kind,
            } => {
                let which: &[Do] = if kind == BlockingKind::Maintenance {
                    &[Do::Blo, Do::Cgb]
                } else {
                    &[Do::Cgb]
                };
                self.acknowledged(cic, which);
            }
            IsupEvent::Unblocked {
                cic,
                side: Side::Local,
                kind,
            } => {
                let which: &[Do] = if kind == BlockingKind::Maintenance {
                    &[Do::Ubl, Do::Cgu]
                } else {
                    &[Do::Cgu]
                };
                self.acknowledged(cic, which);
            }
            _ => {}
        }
    }

    fn alerted(&mut self, now: Instant, cic: u16) {
        let Some(call) = self.calls.get_mut(&cic) else {
            return;
        };
        let Some((_, o)) = call.outgoing.as_mut() else {
            return;
        };
        if o.alerted {
            return;
        }
        o.alerted = true;
        if o.expect == Expect::Ring && call.release_after_ms > 0 {
            let (id, cause) = (call.id, call.cause);
            call.scheduled += 1;
            self.agenda.at(
                now + ms(call.release_after_ms),
                Task::Release { cic, id, cause },
            );
        }
    }

    fn answered(&mut self, now: Instant, cic: u16) {
        let Some(call) = self.calls.get_mut(&cic) else {
            return;
        };
        let Some((_, o)) = call.outgoing.as_mut() else {
            return;
        };
        if o.answered {
            return;
        }
        o.answered = true;
        self.summary.calls_answered += 1;
        if call.release_after_ms > 0 {
            let (id, cause) = (call.id, call.cause);
            call.scheduled += 1;
            self.agenda.at(
                now + ms(call.release_after_ms),
                Task::Release { cic, id, cause },
            );
        }
    }

    fn acknowledged(&mut self, cic: u16, which: &[Do]) {
        let mut done = Vec::new();
        for (i, a) in self.acks.iter_mut().enumerate() {
            if which.contains(&a.action) && (a.first..=a.last).contains(&cic) {
                if !a.seen.contains(&cic) {
                    a.seen.push(cic);
                }
                if a.seen.len() > usize::from(a.last - a.first) {
                    done.push(i);
                }
                break;
            }
        }
        for i in done.into_iter().rev() {
            let a = self.acks.remove(i);
            self.out.event(
                "action_acknowledged",
                json!({ "action": format!("action[{}]", a.index), "do": a.action, "cic": a.first, "last": a.last }),
            );
        }
    }

    fn complete(&mut self, o: Outcome) {
        self.out.event("call_outcome", o.to_json());
        if let Some(p) = o.problem() {
            self.summary.failures.push(p);
        }
    }

    fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn schedule_scenario(&mut self, up: Instant) {
        schedule_scenario(self.out, &mut self.agenda, &self.scenario, up, self.finite);
    }

    fn call_spec(&self, r: CallRef) -> Option<Call> {
        self.scenario.call(r, super::scenario::Nai::Code(3))
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
            Task::Alert { cic, id } => {
                if !self.own(cic, id) {
                    return;
                }
                let acm = Message::acm(
                    sipt_codecs::isup::BackwardCallIndicators::default()
                        .with_called_partys_status(
                            sipt_codecs::isup::CalledPartysStatus::SubscriberFree,
                        )
                        .with_charge_indicator(sipt_codecs::isup::ChargeIndicator::Charge)
                        .with_called_partys_category(
                            sipt_codecs::isup::CalledPartysCategory::OrdinarySubscriber,
                        )
                        .with_isdn_user_part_all_the_way(true),
                );
                if let Err(e) = self.isup.alert(now, cic, acm) {
                    self.refused("alert", cic, &e);
                }
            }
            Task::Answer { cic, id } => {
                if !self.own(cic, id) {
                    return;
                }
                if let Err(e) = self.isup.answer(now, cic, Message::bare(MessageType::Anm)) {
                    self.refused("answer", cic, &e);
                    return;
                }
                if let Some(call) = self.calls.get_mut(&cic) {
                    if call.release_after_ms > 0 {
                        let (id, cause) = (call.id, call.cause);
                        call.scheduled += 1;
                        self.agenda.at(
                            now + ms(call.release_after_ms),
                            Task::Release { cic, id, cause },
                        );
                    }
                }
            }
            Task::Reject { cic, id } => {
                if !self.own(cic, id) {
                    return;
                }
                let cause = self.scenario.answer.cause;
                self.release(now, cic, cause);
            }
            Task::Release { cic, id, cause } => {
                if !self.own(cic, id) {
                    return;
                }
                self.release(now, cic, cause);
            }
            Task::End => self.end(now),
            Task::Finish => self.done = true,
            Task::UpTimeout => {
                if self.up_at.is_none() {
                    self.summary.failures.push(format!(
                        "the link was not up within {} ms",
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

    /// Whether call `id` is still the one on `cic`; uses up one scheduled task.
    fn own(&mut self, cic: u16, id: u64) -> bool {
        match self.calls.get_mut(&cic) {
            Some(c) if c.id == id => {
                c.scheduled = c.scheduled.saturating_sub(1);
                true
            }
            _ => false,
        }
    }

    fn refused(&mut self, what: &str, cic: u16, e: &crate::isup::IsupError) {
        self.out.event(
            "refused",
            json!({ "what": what, "cic": cic, "error": e.to_string() }),
        );
    }

    fn release(&mut self, now: Instant, cic: u16, cause: u8) {
        let c = CauseIndicators::new(
            Location::PublicNetworkLocalUser,
            CauseValue::from_code(cause),
        );
        match self.isup.release(now, cic, c) {
            Ok(()) => {
                if let Some(call) = self.calls.get_mut(&cic) {
                    call.releasing = true;
                }
            }
            Err(e) => self.refused("release", cic, &e),
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
        let cic = match spec.cic {
            Some(c) if self.isup.is_available_for_outgoing(c) => Some(c),
            Some(_) => None,
            None => self.isup.select_circuit(),
        };
        let Some(cic) = cic.filter(|c| !self.calls.contains_key(c)) else {
            if attempt < NO_CIRCUIT_ATTEMPTS {
                self.agenda.at(
                    now + NO_CIRCUIT_RETRY,
                    Task::Place {
                        call: r,
                        attempt: attempt + 1,
                    },
                );
            } else {
                self.to_start = self.to_start.saturating_sub(1);
                let mut o = Outcome::new(name, spec.expect, spec.expect_cause);
                o.failed = Some("no circuit available".into());
                self.complete(o);
            }
            return;
        };
        self.to_start = self.to_start.saturating_sub(1);
        let iam = match build_iam(&spec) {
            Ok(m) => m,
            Err(e) => {
                let mut o = Outcome::new(name, spec.expect, spec.expect_cause);
                o.failed = Some(format!("cannot build the IAM: {e}"));
                self.complete(o);
                return;
            }
        };
        if let Err(e) = self.isup.setup(now, cic, iam) {
            let mut o = Outcome::new(name, spec.expect, spec.expect_cause);
            o.failed = Some(format!("ISUP refused the IAM: {e}"));
            self.complete(o);
            return;
        }
        self.summary.calls_placed += 1;
        self.out.event(
            "call_placed",
            json!({ "call": name, "cic": cic, "called": spec.called, "calling": spec.calling }),
        );
        let id = self.new_id();
        self.calls.insert(
            cic,
            ActiveCall {
                id,
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
        let kind = match a.kind {
            GroupKind::Maintenance => BlockingKind::Maintenance,
            GroupKind::Hardware => BlockingKind::Hardware,
        };
        let r = match a.action {
            Do::Grs => self.isup.group_reset(now, a.cic, a.range),
            Do::Rsc => self.isup.reset(now, a.cic),
            Do::Blo => self.isup.block(now, a.cic),
            Do::Ubl => self.isup.unblock(now, a.cic),
            Do::Cgb => self.isup.group_block(now, a.cic, a.range, kind),
            Do::Cgu => self.isup.group_unblock(now, a.cic, a.range, kind),
            Do::Restart => {
                self.summary
                    .failures
                    .push(format!("action[{i}]: restart is a QSIG action"));
                return;
            }
        };
        self.out.event(
            "action",
            json!({ "action": format!("action[{i}]"), "do": a.action, "cic": a.cic, "range": a.range }),
        );
        if let Err(e) = r {
            self.summary
                .failures
                .push(format!("action[{i}] ({:?}): {e}", a.action));
            return;
        }
        if a.expect {
            let last = match a.action {
                Do::Grs | Do::Cgb | Do::Cgu => a.cic.saturating_add(u16::from(a.range)),
                _ => a.cic,
            };
            // CGB/CGU acknowledge only the circuits of the range that are ours; count those.
            self.acks.push(PendingAck {
                index: i,
                action: a.action,
                first: a.cic,
                last,
                seen: Vec::new(),
            });
        }
    }

    fn end(&mut self, now: Instant) {
        if self.ending {
            return;
        }
        self.ending = true;
        self.out
            .event("ending", json!({ "calls_up": self.calls.len() }));
        let up: Vec<u16> = self
            .calls
            .iter()
            .filter(|(_, c)| !c.releasing)
            .map(|(&cic, _)| cic)
            .collect();
        for cic in up {
            self.release(now, cic, 16);
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
        let load_done = self.scenario.load.as_ref().is_none_or(|_| {
            self.up_at
                .zip(self.scenario.load.as_ref())
                .is_some_and(|(up, l)| now >= l.at(up, 0) + ms(l.duration_ms))
        });
        if !self.end_scheduled
            && self.to_start == 0
            && load_done
            && self.acks.is_empty()
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
        for a in std::mem::take(&mut self.acks) {
            self.summary.failures.push(format!(
                "action[{}] ({:?} {}..={}): not acknowledged for {:?}",
                a.index,
                a.action,
                a.first,
                a.last,
                (a.first..=a.last)
                    .filter(|c| !a.seen.contains(c))
                    .collect::<Vec<_>>()
            ));
        }
        let s = self.summary.clone();
        let slcs: Vec<u8> = self.shell.mtp().link_ids().collect();
        let links: Vec<Value> = slcs
            .iter()
            .map(|&slc| {
                json!({
                    "slc": slc,
                    "transport": self.shell.stats(slc),
                    "mtp2": self.shell.mtp().link(slc).map(|l| format!("{:?}", l.stats())),
                })
            })
            .collect();
        self.out.event(
            "summary",
            json!({
                "ok": s.ok(),
                "calls_placed": s.calls_placed,
                "calls_answered": s.calls_answered,
                "calls_received": s.calls_received,
                "actions": s.actions,
                "failures": s.failures,
                "isup": format!("{:?}", self.isup.stats()),
                "links": links,
            }),
        );
        s
    }
}

/// The IAM of a call placed: the scenario's numbers, presentation and category, with the
/// indicators of an ordinary ISDN call (Q.763 3.35, 3.23, 3.54).
fn build_iam(spec: &Call) -> Result<Message, sipt_codecs::wire::EncodeError> {
    let called = CalledPartyNumber::from_digits(
        NatureOfAddress::from_code(spec.called_nai.isup_code()),
        CalledNumberIndicators::default().with_numbering_plan(NumberingPlan::IsdnTelephony),
        &spec.called,
    )?;
    let mut iam = Message::iam(
        NatureOfConnectionIndicators::default(),
        ForwardCallIndicators::default().with_isdn_user_part_all_the_way(true),
        CallingPartysCategory::from_code(spec.category),
        TransmissionMedium::Speech,
        called,
    );
    if let Some(calling) = &spec.calling {
        let presentation = match spec.presentation {
            Presentation::Allowed => AddressPresentation::Allowed,
            Presentation::Restricted => AddressPresentation::Restricted,
            Presentation::NotAvailable => AddressPresentation::AddressNotAvailable,
        };
        let n = CallingPartyNumber::from_digits(
            NatureOfAddress::from_code(spec.calling_nai.isup_code()),
            CallingNumberIndicators::default()
                .with_numbering_plan(NumberingPlan::IsdnTelephony)
                .with_address_presentation_restricted(presentation)
                .with_screening(Screening::UserProvidedVerifiedPassed),
            calling,
        )?;
        iam = iam.with(Parameter::CallingPartyNumber(n));
    }
    Ok(iam)
}
