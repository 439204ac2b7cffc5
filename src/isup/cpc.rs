//! Call processing control (the CPC process of the Q.764 SDL, with its SSCI/SSCO parts): the
//! basic call in both directions (Q.764 2.1-2.4), continuity check (2.1.8), dual seizure
//! (2.9.1), unexpected and unrecognised messages (2.9.5), and the call timers.

use super::circuit::{CallStatus, Continuity, Recheck};
use super::compat::{self, Action};
use super::config::{ContinuityMode, InformationResponse};
use super::event::{IsupEvent, MaintenanceAlert, ReleaseReason};
use super::timer::{Owner, Timer};
use super::{Isup, IsupError};
use crate::time::Instant;
use sipt_codecs::isup::{
    CallingPartyAddressResponse, CallingPartysCategory, CauseIndicators, CauseValue,
    ContinuityCheckIndicator, ContinuityIndicators, InformationIndicators, Message, MessageType,
    Parameter,
};

/// Messages a user may send within a call with [`Isup::send_call_message`]: those Q.764 only
/// carries along (or passes on, for an unrecognised one).
fn is_pass_along(t: MessageType) -> bool {
    use MessageType::*;
    matches!(
        t,
        Fot | Fac
            | Usr
            | Apm
            | Far
            | Faa
            | Frj
            | Idr
            | Irs
            | Nrm
            | Sgm
            | Pri
            | Crg
            | Pam
            | Lpr
            | Sdn
            | Upt
            | Upa
            | Unknown(_)
    )
}

fn continuity_requested(iam: &Message) -> Option<ContinuityCheckIndicator> {
    let c = iam
        .nature_of_connection_indicators()?
        .continuity_check_indicator();
    (c == ContinuityCheckIndicator::RequiredOnThisCircuit
        || c == ContinuityCheckIndicator::PerformedOnPreviousCircuit)
        .then_some(c)
}

impl Isup {
    fn call_state(&self, cic: u16) -> Result<CallStatus, IsupError> {
        self.circuits
            .get(&cic)
            .map(|c| c.call)
            .ok_or(IsupError::UnknownCic { cic })
    }

    fn check_type(
        cic: u16,
        m: &Message,
        allowed: &[MessageType],
    ) -> Result<MessageType, IsupError> {
        let t = MessageType::from_code(m.message_type.code());
        if allowed.contains(&t) {
            Ok(t)
        } else {
            Err(IsupError::WrongMessage { cic, got: t })
        }
    }

    fn wrong_state(&self, cic: u16) -> IsupError {
        match self.circuits.get(&cic) {
            Some(c) => IsupError::WrongState { cic, state: c.call },
            None => IsupError::UnknownCic { cic },
        }
    }

    // ---- commands: the outgoing call ----

    /// Sends `iam` on `cic` (Q.764 2.1.1): the circuit must be available
    /// ([`Isup::is_available_for_outgoing`]). Starts T7. When the IAM asks for a continuity
    /// check (nature of connection indicators), the COT follows with [`Isup::continuity`] (or
    /// at once with [`ContinuityMode::Automatic`]).
    pub fn setup(&mut self, now: Instant, cic: u16, iam: Message) -> Result<(), IsupError> {
        Self::check_type(cic, &iam, &[MessageType::Iam])?;
        if !self.circuits.contains_key(&cic) {
            return Err(IsupError::UnknownCic { cic });
        }
        if !self.is_relation_available() {
            return Err(IsupError::RelationUnavailable);
        }
        if !self.is_available_for_outgoing(cic) {
            return Err(IsupError::CircuitUnavailable { cic });
        }
        let continuity = continuity_requested(&iam);
        if let Some(c) = self.circuits.get_mut(&cic) {
            c.call = CallStatus::OutgoingSetup;
            c.outgoing = true;
            c.iam = Some(iam.clone());
            c.continuity = continuity.map_or(Continuity::None, Continuity::Pending);
        }
        self.stats.outgoing_calls += 1;
        self.send(cic, iam);
        self.start(now, Owner::Circuit(cic), Timer::T7);
        if continuity.is_some() {
            if let ContinuityMode::Automatic { passed } = self.config.continuity {
                self.continuity(now, cic, passed)?;
            }
        }
        Ok(())
    }

    /// Sends a SAM (overlap operation, Q.764 2.1.2) and restarts T7.
    pub fn subsequent_address(
        &mut self,
        now: Instant,
        cic: u16,
        sam: Message,
    ) -> Result<(), IsupError> {
        Self::check_type(cic, &sam, &[MessageType::Sam])?;
        if self.call_state(cic)? != CallStatus::OutgoingSetup {
            return Err(self.wrong_state(cic));
        }
        self.send(cic, sam);
        self.start(now, Owner::Circuit(cic), Timer::T7);
        Ok(())
    }

    // ---- commands: the incoming call ----

    fn ensure_continuity_done(&self, cic: u16) -> Result<(), IsupError> {
        match self.circuits.get(&cic).map(|c| c.continuity) {
            Some(Continuity::Pending(_)) => Err(IsupError::ContinuityPending { cic }),
            _ => Ok(()),
        }
    }

    /// Sends the ACM of an incoming call (Q.764 2.1.4).
    pub fn alert(&mut self, now: Instant, cic: u16, acm: Message) -> Result<(), IsupError> {
        let _ = now;
        Self::check_type(cic, &acm, &[MessageType::Acm])?;
        if self.call_state(cic)? != CallStatus::IncomingSetup {
            return Err(self.wrong_state(cic));
        }
        self.ensure_continuity_done(cic)?;
        self.stop(Owner::Circuit(cic), Timer::T35);
        if let Some(c) = self.circuits.get_mut(&cic) {
            c.call = CallStatus::IncomingAlerting;
        }
        self.send(cic, acm);
        Ok(())
    }

    /// Sends a CPG (Q.764 2.1.5): backward after the ACM, or in either direction once the call
    /// is alerting or answered.
    pub fn progress(&mut self, now: Instant, cic: u16, cpg: Message) -> Result<(), IsupError> {
        let _ = now;
        Self::check_type(cic, &cpg, &[MessageType::Cpg])?;
        match self.call_state(cic)? {
            CallStatus::IncomingAlerting
            | CallStatus::IncomingAnswered
            | CallStatus::OutgoingAlerting
            | CallStatus::OutgoingAnswered => {
                self.send(cic, cpg);
                Ok(())
            }
            _ => Err(self.wrong_state(cic)),
        }
    }

    /// Answers an incoming call (Q.764 2.1.7): with ANM after an ACM, or with CON when no ACM
    /// was sent. An ANM given before any ACM is sent as a CON carrying the ANM's optional
    /// parameters and [`super::Config::default_backward_call_indicators`].
    pub fn answer(&mut self, now: Instant, cic: u16, message: Message) -> Result<(), IsupError> {
        let t = Self::check_type(cic, &message, &[MessageType::Anm, MessageType::Con])?;
        let out = match (self.call_state(cic)?, t) {
            (CallStatus::IncomingSetup, MessageType::Con) => message,
            (CallStatus::IncomingSetup, _) => {
                let mut con = Message::con(self.config.default_backward_call_indicators);
                for p in message.optional_parameters() {
                    con = con.with(p.clone());
                }
                con
            }
            (CallStatus::IncomingAlerting, MessageType::Anm) => message,
            (CallStatus::IncomingAlerting, _) => {
                return Err(IsupError::WrongMessage { cic, got: t });
            }
            _ => return Err(self.wrong_state(cic)),
        };
        self.ensure_continuity_done(cic)?;
        let _ = now;
        self.stop(Owner::Circuit(cic), Timer::T35);
        if let Some(c) = self.circuits.get_mut(&cic) {
            c.call = CallStatus::IncomingAnswered;
        }
        self.stats.answered_calls += 1;
        self.send(cic, out);
        Ok(())
    }

    /// T35 (Q.764 Annex A): the user's number analysis says more digits are needed. T35
    /// runs from the latest digit: each SAM restarts it, ACM, CON, ANM or a release stop it; on
    /// expiry the call is released with cause 28.
    pub fn expect_more_digits(&mut self, now: Instant, cic: u16) -> Result<(), IsupError> {
        if self.call_state(cic)? != CallStatus::IncomingSetup {
            return Err(self.wrong_state(cic));
        }
        self.start(now, Owner::Circuit(cic), Timer::T35);
        Ok(())
    }

    /// Sends an INR on an incoming call (Q.764 2.1.6) and starts T33.
    pub fn request_information(
        &mut self,
        now: Instant,
        cic: u16,
        inr: Message,
    ) -> Result<(), IsupError> {
        Self::check_type(cic, &inr, &[MessageType::Inr])?;
        let c = self
            .circuits
            .get_mut(&cic)
            .ok_or(IsupError::UnknownCic { cic })?;
        if !c.is_incoming() {
            return Err(IsupError::WrongState { cic, state: c.call });
        }
        c.inr_outstanding = true;
        self.send(cic, inr);
        self.start(now, Owner::Circuit(cic), Timer::T33);
        Ok(())
    }

    /// Sends an INF: the answer to an INR (with [`InformationResponse::PassUp`]) or an
    /// unsolicited one.
    pub fn information(&mut self, now: Instant, cic: u16, inf: Message) -> Result<(), IsupError> {
        let _ = now;
        Self::check_type(cic, &inf, &[MessageType::Inf])?;
        let c = self
            .circuits
            .get(&cic)
            .ok_or(IsupError::UnknownCic { cic })?;
        if !c.has_user_call() {
            return Err(IsupError::WrongState { cic, state: c.call });
        }
        self.send(cic, inf);
        Ok(())
    }

    // ---- commands: either direction ----

    /// Releases the call on `cic` with a REL carrying `cause` (Q.764 2.3): T1 and T5 start.
    pub fn release(
        &mut self,
        now: Instant,
        cic: u16,
        cause: CauseIndicators,
    ) -> Result<(), IsupError> {
        self.release_message(now, cic, Message::rel(cause))
    }

    /// Releases the call with the REL given (for the parameters of an encapsulated REL).
    pub fn release_message(
        &mut self,
        now: Instant,
        cic: u16,
        rel: Message,
    ) -> Result<(), IsupError> {
        Self::check_type(cic, &rel, &[MessageType::Rel])?;
        let c = self
            .circuits
            .get(&cic)
            .ok_or(IsupError::UnknownCic { cic })?;
        if !(c.has_user_call() || c.call == CallStatus::ContinuityRecheck) {
            return Err(IsupError::WrongState { cic, state: c.call });
        }
        self.send_release(now, cic, rel);
        Ok(())
    }

    /// Sends SUS (Q.764 2.4.1) on an answered call. A network-initiated SUS on an incoming call
    /// starts T38 when configured (an incoming international exchange).
    pub fn suspend(&mut self, now: Instant, cic: u16, sus: Message) -> Result<(), IsupError> {
        Self::check_type(cic, &sus, &[MessageType::Sus])?;
        let state = self.call_state(cic)?;
        if !matches!(
            state,
            CallStatus::IncomingAnswered | CallStatus::OutgoingAnswered
        ) {
            return Err(self.wrong_state(cic));
        }
        let network = sus
            .suspend_resume_indicators()
            .is_some_and(|s| s.network_initiated());
        if let Some(c) = self.circuits.get_mut(&cic) {
            c.suspended = true;
        }
        self.send(cic, sus);
        if network && state == CallStatus::IncomingAnswered {
            self.start(now, Owner::Circuit(cic), Timer::T38);
        }
        Ok(())
    }

    /// Sends RES (Q.764 2.4.2) on an answered call.
    pub fn resume(&mut self, now: Instant, cic: u16, res: Message) -> Result<(), IsupError> {
        let _ = now;
        Self::check_type(cic, &res, &[MessageType::Res])?;
        if !matches!(
            self.call_state(cic)?,
            CallStatus::IncomingAnswered | CallStatus::OutgoingAnswered
        ) {
            return Err(self.wrong_state(cic));
        }
        if let Some(c) = self.circuits.get_mut(&cic) {
            c.suspended = false;
        }
        self.stop(Owner::Circuit(cic), Timer::T38);
        self.send(cic, res);
        Ok(())
    }

    /// Sends a message ISUP only carries within a call (FOT, FAC, USR, APM, ..., or an
    /// unrecognised one being passed on).
    pub fn send_call_message(
        &mut self,
        now: Instant,
        cic: u16,
        message: Message,
    ) -> Result<(), IsupError> {
        let _ = now;
        let t = MessageType::from_code(message.message_type.code());
        if !is_pass_along(t) {
            return Err(IsupError::WrongMessage { cic, got: t });
        }
        let c = self
            .circuits
            .get(&cic)
            .ok_or(IsupError::UnknownCic { cic })?;
        if !c.has_user_call() {
            return Err(IsupError::WrongState { cic, state: c.call });
        }
        self.send(cic, message);
        Ok(())
    }

    // ---- continuity check (Q.764 2.1.8) ----

    /// Reports the result of our continuity check on `cic`: after an IAM that asked for one,
    /// sends COT; after a recheck (CCR sent), success returns the circuit to idle with REL and
    /// failure sends COT "failed" and waits T26 for the next recheck. A failed check on the
    /// call's IAM clears the call (an automatic repeat attempt is due, [`IsupEvent::Released`]
    /// with `reattempt`) and waits T25 for the recheck.
    pub fn continuity(&mut self, now: Instant, cic: u16, passed: bool) -> Result<(), IsupError> {
        let c = self
            .circuits
            .get(&cic)
            .ok_or(IsupError::UnknownCic { cic })?;
        let cot =
            Message::cot(ContinuityIndicators::default().with_continuity_check_successful(passed));
        match (c.call, c.continuity, c.recheck) {
            (CallStatus::OutgoingSetup, Continuity::Pending(which), _) => {
                self.send(cic, cot);
                if passed {
                    if let Some(c) = self.circuits.get_mut(&cic) {
                        c.continuity = Continuity::None;
                    }
                    return Ok(());
                }
                self.end_call(now, cic, ReleaseReason::ContinuityFailure, None, None, true);
                if which == ContinuityCheckIndicator::RequiredOnThisCircuit {
                    self.await_retest(now, cic, 1);
                }
                Ok(())
            }
            (CallStatus::ContinuityRecheck, _, Some(Recheck::Testing { failures })) => {
                if passed {
                    let rel = Message::rel(self.cause(CauseValue::NormalUnspecified));
                    self.send_release(now, cic, rel);
                } else {
                    self.send(cic, cot);
                    self.await_retest(now, cic, failures.saturating_add(1));
                }
                Ok(())
            }
            _ => Err(IsupError::WrongState { cic, state: c.call }),
        }
    }

    /// Starts a continuity recheck (or a stand-alone check of an idle circuit): sends CCR;
    /// the result follows with [`Isup::continuity`].
    pub fn continuity_recheck(&mut self, now: Instant, cic: u16) -> Result<(), IsupError> {
        let c = self
            .circuits
            .get(&cic)
            .ok_or(IsupError::UnknownCic { cic })?;
        let failures = match (c.call, c.recheck) {
            (CallStatus::Idle, _) if c.reset.is_none() => 0,
            (CallStatus::ContinuityRecheck, Some(Recheck::AwaitingRetest { failures })) => failures,
            _ => return Err(IsupError::WrongState { cic, state: c.call }),
        };
        self.send_ccr(now, cic, failures);
        Ok(())
    }

    fn await_retest(&mut self, now: Instant, cic: u16, failures: u32) {
        if let Some(c) = self.circuits.get_mut(&cic) {
            c.call = CallStatus::ContinuityRecheck;
            c.outgoing = true;
            c.recheck = Some(Recheck::AwaitingRetest { failures });
        }
        let timer = if failures <= 1 {
            Timer::T25
        } else {
            Timer::T26
        };
        self.start(now, Owner::Circuit(cic), timer);
    }

    fn send_ccr(&mut self, now: Instant, cic: u16, failures: u32) {
        self.stop(Owner::Circuit(cic), Timer::T25);
        self.stop(Owner::Circuit(cic), Timer::T26);
        if let Some(c) = self.circuits.get_mut(&cic) {
            c.call = CallStatus::ContinuityRecheck;
            c.outgoing = true;
            c.recheck = Some(Recheck::Testing { failures });
        }
        self.send(cic, Message::bare(MessageType::Ccr));
        match self.config.continuity {
            ContinuityMode::Automatic { passed } => {
                let _ = self.continuity(now, cic, passed);
            }
            ContinuityMode::Manual => self.emit(IsupEvent::ContinuityCheckDue { cic }),
        }
    }

    // ---- release helpers ----

    /// Sends `rel` and supervises it with T1 and T5 (Q.764 2.3, 2.9.6).
    pub(super) fn send_release(&mut self, now: Instant, cic: u16, rel: Message) {
        self.stop_call_timers(cic);
        if let Some(c) = self.circuits.get_mut(&cic) {
            c.call = CallStatus::Releasing;
            c.rel = Some(rel.clone());
            c.continuity = Continuity::None;
            c.recheck = None;
            c.inr_outstanding = false;
            c.suspended = false;
        }
        self.send(cic, rel);
        self.start(now, Owner::Circuit(cic), Timer::T1);
        self.start(now, Owner::Circuit(cic), Timer::T5);
    }

    /// This exchange releases the call (timer expiry, blocking, compatibility): the user is
    /// told, REL with `cause` is sent.
    pub(super) fn exchange_release(
        &mut self,
        now: Instant,
        cic: u16,
        reason: ReleaseReason,
        cause: CauseIndicators,
        reattempt: bool,
    ) {
        if self.circuits.get(&cic).is_some_and(|c| c.has_user_call()) {
            self.emit(IsupEvent::Released {
                cic,
                reason,
                cause: Some(cause.clone()),
                message: None,
                reattempt,
            });
        }
        self.send_release(now, cic, Message::rel(cause));
    }

    /// The call ends without a REL of ours: the user is told (if it knew of the call), the call
    /// timers stop and the circuit becomes idle.
    pub(super) fn end_call(
        &mut self,
        now: Instant,
        cic: u16,
        reason: ReleaseReason,
        cause: Option<CauseIndicators>,
        message: Option<Message>,
        reattempt: bool,
    ) {
        let Some(c) = self.circuits.get_mut(&cic) else {
            return;
        };
        let known = c.has_user_call();
        c.clear_call(now);
        self.stop_call_timers(cic);
        if known {
            self.emit(IsupEvent::Released {
                cic,
                reason,
                cause,
                message,
                reattempt,
            });
        }
    }

    pub(super) fn stop_call_timers(&mut self, cic: u16) {
        for &t in Timer::CALL {
            self.stop(Owner::Circuit(cic), t);
        }
    }

    // ---- received call messages ----

    /// A message of call processing (everything but circuit supervision), with the
    /// notification a REL's RLC must carry (Q.764 2.9.5.3).
    pub(super) fn call_message(
        &mut self,
        now: Instant,
        cic: u16,
        t: MessageType,
        m: Message,
        rlc_cause: Option<CauseIndicators>,
    ) {
        let Some(c) = self.circuits.get(&cic) else {
            return;
        };
        let state = c.call;
        use CallStatus::*;
        use MessageType::*;
        match t {
            Iam => self.iam_received(now, cic, m),
            Rel => self.rel_received(now, cic, m, rlc_cause),
            Rlc => self.rlc_received(now, cic, m),
            Cfn => self.emit(IsupEvent::Confusion { cic, cfn: m }),
            Acm => match state {
                OutgoingSetup => {
                    self.stop(Owner::Circuit(cic), Timer::T7);
                    // T9: at the controlling exchange, from ACM to answer (Q.764 2.1.4)
                    self.start(now, Owner::Circuit(cic), Timer::T9);
                    self.set_call(cic, OutgoingAlerting);
                    self.emit(IsupEvent::AddressComplete { cic, acm: m });
                }
                _ => self.unexpected(now, cic),
            },
            Con => match state {
                OutgoingSetup => {
                    self.stop(Owner::Circuit(cic), Timer::T7);
                    self.set_call(cic, OutgoingAnswered);
                    self.stats.answered_calls += 1;
                    self.emit(IsupEvent::Connect { cic, con: m });
                }
                _ => self.unexpected(now, cic),
            },
            // ANM before ACM is accepted as an answer (as libss7 and most exchanges do)
            Anm => match state {
                OutgoingSetup | OutgoingAlerting => {
                    self.stop(Owner::Circuit(cic), Timer::T7);
                    self.stop(Owner::Circuit(cic), Timer::T9);
                    self.set_call(cic, OutgoingAnswered);
                    self.stats.answered_calls += 1;
                    self.emit(IsupEvent::Answer { cic, anm: m });
                }
                _ => self.unexpected(now, cic),
            },
            Cpg => match state {
                OutgoingAlerting | OutgoingAnswered | IncomingAlerting | IncomingAnswered => {
                    self.emit(IsupEvent::Progress { cic, cpg: m })
                }
                _ => self.unexpected(now, cic),
            },
            Sam => match state {
                IncomingSetup | IncomingAlerting => {
                    // T35 runs from the latest digit received
                    if self.running(Owner::Circuit(cic), Timer::T35) {
                        self.start(now, Owner::Circuit(cic), Timer::T35);
                    }
                    self.emit(IsupEvent::SubsequentAddress { cic, sam: m });
                }
                _ => self.unexpected(now, cic),
            },
            Cot => self.cot_received(now, cic, m),
            Ccr => self.ccr_received(now, cic),
            Inr => match state {
                OutgoingSetup | OutgoingAlerting | OutgoingAnswered => {
                    self.inr_received(cic, m);
                }
                _ => self.unexpected(now, cic),
            },
            Inf => match state {
                OutgoingSetup | OutgoingAlerting | OutgoingAnswered | IncomingSetup
                | IncomingAlerting | IncomingAnswered => {
                    if self.circuits.get(&cic).is_some_and(|c| c.inr_outstanding) {
                        self.stop(Owner::Circuit(cic), Timer::T33);
                        if let Some(c) = self.circuits.get_mut(&cic) {
                            c.inr_outstanding = false;
                        }
                    }
                    self.emit(IsupEvent::Information { cic, inf: m });
                }
                _ => self.unexpected(now, cic),
            },
            Sus => match state {
                OutgoingAnswered | IncomingAnswered => {
                    // Q.764 2.4.1 c): the controlling exchange (ours, on an outgoing call)
                    // supervises the suspension with T6 (network) or T2 (user)
                    if state == OutgoingAnswered {
                        let network = m
                            .suspend_resume_indicators()
                            .is_some_and(|s| s.network_initiated());
                        let timer = if network { Timer::T6 } else { Timer::T2 };
                        self.start(now, Owner::Circuit(cic), timer);
                    }
                    if let Some(c) = self.circuits.get_mut(&cic) {
                        c.suspended = true;
                    }
                    self.emit(IsupEvent::Suspend { cic, sus: m });
                }
                _ => self.unexpected(now, cic),
            },
            Res => match state {
                OutgoingAnswered | IncomingAnswered => {
                    for timer in [Timer::T2, Timer::T6, Timer::T38] {
                        self.stop(Owner::Circuit(cic), timer);
                    }
                    if let Some(c) = self.circuits.get_mut(&cic) {
                        c.suspended = false;
                    }
                    self.emit(IsupEvent::Resume { cic, res: m });
                }
                _ => self.unexpected(now, cic),
            },
            _ => match state {
                OutgoingSetup | OutgoingAlerting | OutgoingAnswered | IncomingSetup
                | IncomingAlerting | IncomingAnswered => {
                    self.emit(IsupEvent::CallMessage { cic, message: m })
                }
                _ => self.unexpected(now, cic),
            },
        }
    }

    fn set_call(&mut self, cic: u16, state: CallStatus) {
        if let Some(c) = self.circuits.get_mut(&cic) {
            c.call = state;
        }
    }

    /// Q.764 2.9.5.1 f): a message that is not expected in the state of the circuit. Idle: RSC
    /// (i). A call before any backward message (ours, IAM sent): the call is cleared and the
    /// circuit reset (iii). Otherwise the message is discarded (ii).
    fn unexpected(&mut self, now: Instant, cic: u16) {
        self.stats.unexpected_messages += 1;
        let Some(c) = self.circuits.get(&cic) else {
            return;
        };
        match c.call {
            CallStatus::Idle if c.reset.is_none() => self.send_reset(now, cic),
            CallStatus::OutgoingSetup => {
                self.end_call(now, cic, ReleaseReason::UnexpectedMessage, None, None, true);
                self.send_reset(now, cic);
            }
            _ => {}
        }
    }

    fn iam_received(&mut self, now: Instant, cic: u16, iam: Message) {
        let Some(c) = self.circuits.get(&cic) else {
            return;
        };
        match c.call {
            CallStatus::Idle => {}
            CallStatus::OutgoingSetup => {
                // Q.764 2.9.1: dual seizure
                self.stats.dual_seizures += 1;
                let outgoing_iam = c
                    .iam
                    .clone()
                    .unwrap_or_else(|| Message::bare(MessageType::Iam));
                if self.controls(cic) {
                    // 2.9.1.4: the controlling exchange completes its call, ignores the IAM
                    self.emit(IsupEvent::DualSeizure {
                        cic,
                        outgoing_iam,
                        backed_off: false,
                    });
                    return;
                }
                // the non-controlling exchange backs off (no REL) and re-attempts elsewhere
                self.stop_call_timers(cic);
                if let Some(c) = self.circuits.get_mut(&cic) {
                    c.clear_call(now);
                }
                self.emit(IsupEvent::DualSeizure {
                    cic,
                    outgoing_iam,
                    backed_off: true,
                });
            }
            _ => {
                self.unexpected(now, cic);
                return;
            }
        }
        let Some(c) = self.circuits.get_mut(&cic) else {
            return;
        };
        if c.reset.is_some() {
            // our reset crossed this IAM: the far end will clear the call on it
            self.stats.unexpected_messages += 1;
            return;
        }
        // Q.764 2.8.2.3 xiv): a non-test IAM on a remotely blocked circuit unblocks it, unless
        // the circuit is also locally blocked: then the IAM is discarded
        let test_call = iam.calling_partys_category() == Some(CallingPartysCategory::TestCall);
        if !test_call {
            if c.local_maintenance.is_blocked() || c.local_hardware.is_blocked() {
                self.stats.unexpected_messages += 1;
                return;
            }
            let maintenance = std::mem::take(&mut c.remote_maintenance);
            let hardware = std::mem::take(&mut c.remote_hardware);
            for (was, kind) in [
                (maintenance, super::BlockingKind::Maintenance),
                (hardware, super::BlockingKind::Hardware),
            ] {
                if was {
                    self.events.push_back(IsupEvent::Unblocked {
                        cic,
                        side: super::Side::Remote,
                        kind,
                    });
                }
            }
        }
        let continuity = continuity_requested(&iam);
        let Some(c) = self.circuits.get_mut(&cic) else {
            return;
        };
        c.call = CallStatus::IncomingSetup;
        c.outgoing = false;
        c.iam = Some(iam.clone());
        c.continuity = continuity.map_or(Continuity::None, Continuity::Pending);
        self.stats.incoming_calls += 1;
        if continuity.is_some() {
            self.start(now, Owner::Circuit(cic), Timer::T8);
        }
        self.emit(IsupEvent::Setup {
            cic,
            iam,
            continuity_check: continuity.is_some(),
        });
    }

    fn rel_received(
        &mut self,
        now: Instant,
        cic: u16,
        rel: Message,
        rlc_cause: Option<CauseIndicators>,
    ) {
        let Some(c) = self.circuits.get(&cic) else {
            return;
        };
        let state = c.call;
        let rlc = match rlc_cause {
            Some(cause) => Message::bare(MessageType::Rlc).with(Parameter::CauseIndicators(cause)),
            None => Message::bare(MessageType::Rlc),
        };
        match state {
            // Q.764 2.9.5.1 b): REL on an idle circuit is answered with RLC
            CallStatus::Idle => {
                self.stats.unexpected_messages += 1;
                self.send(cic, rlc);
            }
            // Q.764 2.3 (collision of release messages): both ends sent REL; each answers
            // with RLC and the circuit is idle
            CallStatus::Releasing => {
                self.stop_call_timers(cic);
                if let Some(c) = self.circuits.get_mut(&cic) {
                    c.clear_call(now);
                }
                self.send(cic, rlc);
                self.emit(IsupEvent::ReleaseComplete { cic, message: rel });
            }
            _ => {
                let cause = rel.cause_indicators().cloned();
                self.send(cic, rlc);
                self.end_call(now, cic, ReleaseReason::Remote, cause, Some(rel), false);
            }
        }
    }

    fn rlc_received(&mut self, now: Instant, cic: u16, rlc: Message) {
        let Some(c) = self.circuits.get(&cic) else {
            return;
        };
        if c.reset == Some(super::ResetPending::Rsc) {
            // the answer to our RSC (Q.764 2.9.3.1)
            self.reset_acknowledged(now, cic);
            return;
        }
        match c.call {
            CallStatus::Releasing => {
                self.stop_call_timers(cic);
                if let Some(c) = self.circuits.get_mut(&cic) {
                    c.clear_call(now);
                }
                self.emit(IsupEvent::ReleaseComplete { cic, message: rlc });
            }
            // Q.764 2.9.5.1 c): RLC for a busy circuit for which no REL was sent: release
            CallStatus::Idle => self.stats.unexpected_messages += 1,
            CallStatus::ContinuityRecheck => {
                self.stats.unexpected_messages += 1;
                let cause = self.cause(CauseValue::NormalUnspecified);
                self.send_release(now, cic, Message::rel(cause));
            }
            _ => {
                self.stats.unexpected_messages += 1;
                let cause = self.cause(CauseValue::NormalUnspecified);
                self.exchange_release(
                    now,
                    cic,
                    ReleaseReason::UnexpectedReleaseComplete,
                    cause,
                    false,
                );
            }
        }
    }

    /// Q.764 2.1.6: INR on our outgoing call.
    fn inr_received(&mut self, cic: u16, inr: Message) {
        if self.config.information_response == InformationResponse::PassUp {
            self.emit(IsupEvent::InformationRequest { cic, inr });
            return;
        }
        let request = inr
            .information_request_indicators()
            .copied()
            .unwrap_or_default();
        let iam = self.circuits.get(&cic).and_then(|c| c.iam.clone());
        let mut indicators = InformationIndicators::default();
        let mut optional = Vec::new();
        if request.calling_party_address_requested() {
            match iam.as_ref().and_then(|m| m.calling_party_number()) {
                Some(n) => {
                    indicators = indicators
                        .with_calling_party_address_response(CallingPartyAddressResponse::Included);
                    optional.push(Parameter::CallingPartyNumber(n.clone()));
                }
                None => {
                    indicators = indicators.with_calling_party_address_response(
                        CallingPartyAddressResponse::NotAvailable,
                    );
                }
            }
        }
        if request.calling_partys_category_requested() {
            if let Some(value) = iam.as_ref().and_then(|m| m.calling_partys_category()) {
                indicators = indicators.with_calling_partys_category_included(true);
                optional.push(Parameter::CallingPartysCategory { value });
            }
        }
        // holding is not provided; charge information is not included
        let mut inf = Message::new(
            MessageType::Inf,
            vec![Parameter::InformationIndicators(indicators)],
        );
        for p in optional {
            inf = inf.with(p);
        }
        self.send(cic, inf);
    }

    /// Q.764 2.1.8: COT received.
    fn cot_received(&mut self, now: Instant, cic: u16, cot: Message) {
        let passed = cot
            .continuity_indicators()
            .is_some_and(|c| c.continuity_check_successful());
        let Some(c) = self.circuits.get(&cic) else {
            return;
        };
        match (c.call, c.continuity, c.recheck) {
            (
                CallStatus::IncomingSetup | CallStatus::IncomingAlerting,
                Continuity::Pending(which),
                _,
            ) => {
                self.stop(Owner::Circuit(cic), Timer::T8);
                if let Some(c) = self.circuits.get_mut(&cic) {
                    c.continuity = Continuity::None;
                }
                self.emit(IsupEvent::Continuity {
                    cic,
                    passed,
                    cot: cot.clone(),
                });
                if !passed {
                    // the call is cleared without REL; on this circuit a recheck follows:
                    // T27 awaits the CCR
                    self.end_call(
                        now,
                        cic,
                        ReleaseReason::ContinuityFailure,
                        None,
                        Some(cot),
                        false,
                    );
                    if which == ContinuityCheckIndicator::RequiredOnThisCircuit {
                        if let Some(c) = self.circuits.get_mut(&cic) {
                            c.call = CallStatus::ContinuityRecheck;
                            c.recheck = Some(Recheck::AwaitingCcr);
                        }
                        self.start(now, Owner::Circuit(cic), Timer::T27);
                    }
                }
            }
            (CallStatus::ContinuityRecheck, _, Some(Recheck::AwaitingResult)) => {
                self.stop(Owner::Circuit(cic), Timer::T36);
                self.emit(IsupEvent::Continuity { cic, passed, cot });
                if passed {
                    if let Some(c) = self.circuits.get_mut(&cic) {
                        c.clear_call(now);
                    }
                } else {
                    if let Some(c) = self.circuits.get_mut(&cic) {
                        c.recheck = Some(Recheck::AwaitingCcr);
                    }
                    self.start(now, Owner::Circuit(cic), Timer::T27);
                }
            }
            (CallStatus::Idle, _, _) => self.unexpected(now, cic),
            _ => self.stats.unexpected_messages += 1,
        }
    }

    /// Q.764 2.1.8: CCR received (a recheck after a failure, or a check of an idle circuit):
    /// the loop is the user's; T36 awaits the COT or REL.
    fn ccr_received(&mut self, now: Instant, cic: u16) {
        let Some(c) = self.circuits.get(&cic) else {
            return;
        };
        match (c.call, c.recheck) {
            (CallStatus::Idle, _) if c.reset.is_none() => {}
            (
                CallStatus::ContinuityRecheck,
                Some(Recheck::AwaitingCcr | Recheck::AwaitingResult),
            ) => {
                self.stop(Owner::Circuit(cic), Timer::T27);
            }
            _ => {
                self.unexpected(now, cic);
                return;
            }
        }
        if let Some(c) = self.circuits.get_mut(&cic) {
            c.call = CallStatus::ContinuityRecheck;
            c.outgoing = false;
            c.recheck = Some(Recheck::AwaitingResult);
        }
        self.start(now, Owner::Circuit(cic), Timer::T36);
        self.emit(IsupEvent::ContinuityCheckRequest { cic });
    }

    // ---- compatibility (Q.764 2.9.5.3) ----

    /// Q.764 2.9.5.3.1: a message type we do not recognise.
    pub(super) fn unrecognized_message(&mut self, now: Instant, cic: u16, message: Message) {
        self.stats.unrecognized_messages += 1;
        let code = message.message_type.code();
        let instructions = message.raw().and_then(compat::message_instructions);
        match compat::unrecognized_message(self.config.exchange_type, instructions) {
            Action::PassOn { .. } => {
                self.emit(IsupEvent::UnrecognizedMessage { cic, message });
            }
            Action::DiscardMessage { notify } | Action::DiscardParameter { notify } => {
                if notify {
                    self.confusion(cic, CauseValue::MessageTypeNonExistent, &[code]);
                }
            }
            Action::ReleaseCall => {
                if self.circuits.get(&cic).is_some_and(|c| c.has_user_call()) {
                    let cause = self
                        .cause(CauseValue::MessageTypeNonExistent)
                        .with_diagnostics(&[code]);
                    self.exchange_release(now, cic, ReleaseReason::Compatibility, cause, false);
                }
            }
        }
    }

    fn confusion(&mut self, cic: u16, value: CauseValue, diagnostics: &[u8]) {
        let cause = self.cause(value).with_diagnostics(diagnostics);
        self.send(cic, Message::cfn(cause));
    }

    /// Q.764 2.9.5.3.2: the unrecognised parameters of a recognised message. Returns the
    /// message to process (without the parameters to discard) and, for a REL, the cause its
    /// RLC carries as notification; `None` when the message is not to be processed.
    pub(super) fn unrecognized_parameters(
        &mut self,
        now: Instant,
        cic: u16,
        t: MessageType,
        mut message: Message,
    ) -> Option<(Message, Option<CauseIndicators>)> {
        let unknown: Vec<u8> = message
            .parameters()
            .iter()
            .filter(|p| compat::is_unrecognized_parameter(p))
            .map(Parameter::code)
            .collect();
        if unknown.is_empty() {
            return Some((message, None));
        }
        self.stats.unrecognized_parameters += unknown.len() as u64;
        // no notification about a notification or a release complete
        if matches!(t, MessageType::Cfn | MessageType::Rlc) {
            return Some((message, None));
        }
        let exchange = self.config.exchange_type;
        let actions: Vec<(u8, Action)> = unknown
            .iter()
            .map(|&code| {
                let instructions = compat::instructions_for(&message, code);
                (code, compat::unrecognized_parameter(exchange, instructions))
            })
            .collect();
        let codes = |f: &dyn Fn(Action) -> bool| -> Vec<u8> {
            actions
                .iter()
                .filter(|(_, a)| f(*a))
                .map(|(c, _)| *c)
                .collect()
        };
        let discard = codes(&|a| !matches!(a, Action::PassOn { .. }));
        let remove = |message: &mut Message, discard: &[u8]| {
            if let Some(ps) = message.parameters_mut() {
                ps.retain(|p| {
                    !(compat::is_unrecognized_parameter(p) && discard.contains(&p.code()))
                });
            }
        };
        if t == MessageType::Rel {
            // a REL is always processed: what is not passed on is dropped, and a notification
            // travels in the RLC (cause 99)
            let notify = codes(&|a| match a {
                Action::PassOn { notify }
                | Action::DiscardParameter { notify }
                | Action::DiscardMessage { notify } => notify,
                Action::ReleaseCall => true,
            });
            remove(&mut message, &discard);
            let cause = (!notify.is_empty()).then(|| {
                self.cause(CauseValue::ParameterNonExistent)
                    .with_diagnostics(&notify)
            });
            return Some((message, cause));
        }
        let release = codes(&|a| a == Action::ReleaseCall);
        if !release.is_empty() {
            let cause = self
                .cause(CauseValue::ParameterNonExistent)
                .with_diagnostics(&release);
            let c = self.circuits.get(&cic)?;
            if c.has_user_call() && t != MessageType::Iam {
                self.exchange_release(now, cic, ReleaseReason::Compatibility, cause, false);
            } else if c.call == CallStatus::Idle && c.reset.is_none() && t == MessageType::Iam {
                // the call is refused at once
                if let Some(c) = self.circuits.get_mut(&cic) {
                    c.outgoing = false;
                }
                self.send_release(now, cic, Message::rel(cause));
            }
            return None;
        }
        if actions
            .iter()
            .any(|(_, a)| matches!(a, Action::DiscardMessage { .. }))
        {
            let notify = codes(&|a| a == Action::DiscardMessage { notify: true });
            if !notify.is_empty() {
                self.confusion(
                    cic,
                    CauseValue::MessageWithUnrecognizedParameterDiscarded,
                    &notify,
                );
            }
            return None;
        }
        remove(&mut message, &discard);
        let discarded = codes(&|a| a == Action::DiscardParameter { notify: true });
        if !discarded.is_empty() {
            self.confusion(cic, CauseValue::ParameterNonExistent, &discarded);
        }
        let passed = codes(&|a| a == Action::PassOn { notify: true });
        if !passed.is_empty() {
            self.confusion(cic, CauseValue::ParameterNonExistentPassedOn, &passed);
        }
        Some((message, None))
    }

    // ---- call timers ----

    pub(super) fn circuit_timer_expired(&mut self, now: Instant, cic: u16, timer: Timer) {
        let Some(c) = self.circuits.get(&cic) else {
            return;
        };
        let state = c.call;
        let owner = Owner::Circuit(cic);
        use CallStatus::*;
        match timer {
            // Q.764 2.9.6: REL repeated every T1
            Timer::T1 => {
                if let (Releasing, Some(rel)) = (state, c.rel.clone()) {
                    self.send(cic, rel);
                    self.start(now, owner, Timer::T1);
                }
            }
            // Q.764 2.9.6: no RLC within T5: RSC, maintenance alerted, circuit out of service
            // until the RSC is answered (repeated every T17; T16 is not used)
            Timer::T5 => {
                if state == Releasing {
                    self.stop(owner, Timer::T1);
                    self.maintenance_alert(Some(cic), MaintenanceAlert::TimerExpired(Timer::T5));
                    if let Some(c) = self.circuits.get_mut(&cic) {
                        c.clear_call(now);
                    }
                    self.send_reset_after_t5(now, cic);
                }
            }
            // Q.764 2.4.3: no RES within T6 (network) or T2 (user): release, cause 16
            Timer::T2 | Timer::T6 => {
                if matches!(state, OutgoingAnswered | IncomingAnswered) {
                    let cause = self.cause(CauseValue::NormalCallClearing);
                    self.exchange_release(
                        now,
                        cic,
                        ReleaseReason::TimerExpiry(timer),
                        cause,
                        false,
                    );
                }
            }
            // Q.764 2.4.3: no RES within T38: release, cause 102
            Timer::T38 => {
                if matches!(state, OutgoingAnswered | IncomingAnswered) {
                    let cause = self.cause(CauseValue::RecoveryOnTimerExpiry);
                    self.exchange_release(
                        now,
                        cic,
                        ReleaseReason::TimerExpiry(timer),
                        cause,
                        false,
                    );
                }
            }
            // Q.764 2.1.2.1 e) / 2.9.8.3: no ACM or CON within T7: release; cause 102 as
            // RFC 3398 7.2.2 has it (libss7 sends 31, OpenSS7 28)
            Timer::T7 => {
                if state == OutgoingSetup {
                    let cause = self.cause(CauseValue::RecoveryOnTimerExpiry);
                    self.exchange_release(
                        now,
                        cic,
                        ReleaseReason::TimerExpiry(timer),
                        cause,
                        false,
                    );
                }
            }
            // Q.764 2.1.8: no COT within T8: release, cause 41
            Timer::T8 => {
                if matches!(state, IncomingSetup | IncomingAlerting) {
                    let cause = self.cause(CauseValue::TemporaryFailure);
                    self.exchange_release(
                        now,
                        cic,
                        ReleaseReason::TimerExpiry(timer),
                        cause,
                        false,
                    );
                }
            }
            // Q.118 / RFC 3398 7.2.8: no answer within T9: release, cause 19
            Timer::T9 => {
                if state == OutgoingAlerting {
                    let cause = self.cause(CauseValue::NoAnswerFromUser);
                    self.exchange_release(
                        now,
                        cic,
                        ReleaseReason::TimerExpiry(timer),
                        cause,
                        false,
                    );
                }
            }
            // Q.764 2.9.7: no INF within T33: release (cause 102)
            Timer::T33 => {
                if c.inr_outstanding && c.has_user_call() {
                    let cause = self.cause(CauseValue::RecoveryOnTimerExpiry);
                    self.exchange_release(
                        now,
                        cic,
                        ReleaseReason::TimerExpiry(timer),
                        cause,
                        false,
                    );
                }
            }
            // T35: address incomplete, cause 28
            Timer::T35 => {
                if state == IncomingSetup {
                    let cause = self.cause(CauseValue::InvalidNumberFormat);
                    self.exchange_release(
                        now,
                        cic,
                        ReleaseReason::TimerExpiry(timer),
                        cause,
                        false,
                    );
                }
            }
            // Q.764 2.1.8: time for the (next) recheck: CCR
            Timer::T25 | Timer::T26 => {
                if let Some(Recheck::AwaitingRetest { failures }) = c.recheck {
                    self.send_ccr(now, cic, failures);
                }
            }
            // Q.764 2.1.8: no CCR within T27, or no COT/REL within T36: RSC
            Timer::T27 | Timer::T36 => {
                if state == ContinuityRecheck {
                    self.maintenance_alert(Some(cic), MaintenanceAlert::TimerExpired(timer));
                    self.send_reset(now, cic);
                }
            }
            _ => self.csc_timer_expired(now, cic, timer),
        }
    }
}
