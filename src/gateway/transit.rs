//! ISUP -> ISUP transit: the gateway as a transit exchange of Q.764 (the SIP-less path). An
//! IAM from one trunk whose route's target is a trunk group becomes an IAM on a circuit of
//! that group; the two circuits then pass each other's messages on.
//!
//! The incoming circuit is the [`Call`]'s own (`trunk`, `cic`: digit collection, continuity
//! check and routing are those of any call from the PSTN); the outgoing one is its
//! [`TransitLeg`]. What passes:
//!
//! | incoming circuit (A) | outgoing circuit (B) |
//! |---|---|
//! | IAM, with the route's called number and the hop counter less one (cause 25 at 0) | -> IAM |
//! | SAM, CPG, INF, SUS, RES, other call messages | -> as received |
//! | REL (its cause and location as received, Q.764 2.3.2) | -> REL |
//! | <- ACM, CPG, CON, ANM, INF, SUS, RES, other call messages | as received |
//! | <- REL (as received), or this exchange's cause: 34 no circuit, 102 T7, 41 relation lost | REL, T7, reset... |
//!
//! Messages are passed on as decoded, which re-encodes them to the octets received (the codec
//! is byte-exact). The compatibility decisions of Q.764 2.9.5 are the ISUP layer's: what it
//! passes up (parameters it keeps, [`IsupEvent::UnrecognizedMessage`]) is passed on.
//!
//! A transit call is over when both circuits are (`pstn_done` for A, [`TransitLeg::done`]
//! for B); it has no SIP leg (`sip_done` stays true).

use sipt_codecs::isup::{
    CalledPartyNumber, CauseIndicators, CauseValue, ContinuityCheckIndicator, Digits,
    EventIndicator, Message, MessageType, NatureOfAddress, Parameter,
};
use sipt_codecs::q850::Location;

use super::call::{cause, Call, CallId};
use super::{Gateway, GatewayEvent};
use crate::interwork::progress;
use crate::isup::{IsupEvent, ReleaseReason};
use crate::route::NatureOfAddressChoice;
use crate::time::Instant;

/// The outgoing circuit of a transit call.
#[derive(Debug)]
pub struct TransitLeg {
    /// The trunk group the route named (for a repeat attempt, Q.764 2.10.1.4).
    pub group: String,
    pub trunk: usize,
    pub cic: u16,
    /// The IAM sent on it.
    pub iam: Message,
    /// The circuit's call is over (REL sent or received, or the relation lost).
    pub done: bool,
}

/// What routing a call to a trunk group came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TransitSetup {
    /// The IAM went out on a circuit of the group.
    Routed,
    /// The call was released here (the hop counter ran out): no other target is tried.
    Released,
    /// No circuit of the group could take it: the next target, or this cause.
    Failed(u8),
}

fn cause_indicators(value: u8) -> CauseIndicators {
    CauseIndicators::new(
        Location::PublicNetworkLocalUser,
        CauseValue::from_code(value),
    )
}

fn cause_value(c: &CauseIndicators) -> u8 {
    c.octet2.cause_value().code()
}

/// The REL to pass on for a release of the other circuit: the REL received as it is, or one
/// with the cause ISUP gave (its own location), or 16.
fn rel_to_pass_on(cause: Option<CauseIndicators>, message: Option<Message>) -> Message {
    message
        .filter(|m| m.message_type == MessageType::Rel)
        .unwrap_or_else(|| Message::rel(cause.unwrap_or_else(|| cause_indicators(cause::NORMAL))))
}

/// The outgoing IAM of a transit call: the incoming one with the route's called number
/// (strip/prepend/NOA), the hop counter less one and, when this exchange has completed the
/// continuity check the incoming IAM asked for, "not required" for the next circuit (the
/// check was on the incoming circuit; the outgoing one is not tested here). `None`: the hop
/// counter has run out.
pub(super) fn outgoing_iam(
    incoming: &Message,
    received_number: &str,
    routed_number: &str,
    noa: Option<NatureOfAddressChoice>,
) -> Option<Message> {
    let mut iam = incoming.clone();
    let Some(ps) = iam.parameters_mut() else {
        // An IAM kept as octets (it did not fit the format): passed on as it is.
        return Some(iam);
    };
    for p in ps.iter_mut() {
        match p {
            // Q.764 hop counter procedure: decremented by each transit exchange; the call is
            // released (cause 25) when the result is 0.
            Parameter::HopCounter(h) => {
                let left = h.hop_counter().saturating_sub(1);
                if left == 0 {
                    return None;
                }
                *h = h.with_hop_counter(left);
            }
            Parameter::CalledPartyNumber(n)
                if routed_number != received_number || noa.is_some() =>
            {
                route_called_number(n, received_number, routed_number, noa);
            }
            Parameter::NatureOfConnectionIndicators(nci)
                if nci.continuity_check_indicator() != ContinuityCheckIndicator::NotRequired =>
            {
                // Q.764 2.1.8: the check was made on the incoming circuit before routing
                // (the call waits for its COT); no check on the outgoing one.
                *nci = nci.with_continuity_check_indicator(ContinuityCheckIndicator::NotRequired);
            }
            _ => {}
        }
    }
    Some(iam)
}

/// Writes the route's number into a called party number: its digits (an ST kept), and the
/// nature of address the route says, else international for a number with `+`, unknown for
/// one that lost its `+`, and the received one otherwise. The other indicators (INN,
/// numbering plan) stay.
fn route_called_number(
    n: &mut CalledPartyNumber,
    received: &str,
    routed: &str,
    noa: Option<NatureOfAddressChoice>,
) {
    let had_st = n.digits.signals().last() == Some(0x0f);
    let mut text = routed.trim_start_matches('+').to_string();
    if had_st {
        text.push('F');
    }
    if let Ok(d) = Digits::parse(&text) {
        n.digits = d;
    }
    n.nature_of_address = match noa {
        Some(noa) => noa.to_isup(),
        None if routed.starts_with('+') => NatureOfAddress::InternationalNumber,
        None if received.starts_with('+') => NatureOfAddress::UnknownNumber,
        None => n.nature_of_address,
    };
}

impl Gateway {
    /// Routes the call's IAM to trunk group `group` (Q.764 2.1.1 at a transit exchange): a
    /// circuit chosen as the group's links say, the IAM passed on.
    pub(super) fn transit_setup(&mut self, now: Instant, id: CallId, group: &str) -> TransitSetup {
        let Some(c) = self.calls.get(&id) else {
            return TransitSetup::Released;
        };
        let Some(incoming) = c.iam.as_ref() else {
            return TransitSetup::Failed(cause::NO_CIRCUIT);
        };
        let (number, noa) = c
            .route_number
            .clone()
            .unwrap_or_else(|| (c.called.clone(), None));
        let Some(iam) = outgoing_iam(incoming, &c.called, &number, noa) else {
            self.release_pstn(now, id, cause::EXCHANGE_ROUTING_ERROR);
            return TransitSetup::Released;
        };
        match self.seize_for(now, id, group, iam) {
            Some(cic) => {
                if let Some(c) = self.calls.get_mut(&id) {
                    c.routed_at.get_or_insert(now);
                }
                self.events.push_back(GatewayEvent::CallRouted {
                    call: id.0,
                    to: format!("trunk:{group}"),
                    cic: Some(cic),
                    added_us: None,
                });
                TransitSetup::Routed
            }
            None => TransitSetup::Failed(cause::NO_CIRCUIT),
        }
    }

    /// Sends `iam` on a free circuit of `group` as call `id`'s outgoing leg: the CIC.
    fn seize_for(&mut self, now: Instant, id: CallId, group: &str, iam: Message) -> Option<u16> {
        let (trunk, cic) = self.seize(now, group, iam.clone())?;
        self.by_circuit.insert((trunk, cic), id);
        if let Some(c) = self.calls.get_mut(&id) {
            c.transit = Some(Box::new(TransitLeg {
                group: group.to_string(),
                trunk,
                cic,
                iam,
                done: false,
            }));
        }
        Some(cic)
    }

    /// Sends `iam` on a free circuit of `group`: (trunk, CIC).
    fn seize(&mut self, now: Instant, group: &str, iam: Message) -> Option<(usize, u16)> {
        // A circuit the selector offers may still refuse (a race with the far end's IAM is
        // ISUP's to resolve later; a refusal here is a bug worth a second try only once).
        for _ in 0..2 {
            let (trunk, cic) = self.select_circuit(group)?;
            let t = self.trunks.get_mut(trunk)?;
            if t.isup.setup(now, cic, iam.clone()).is_ok() {
                return Some((trunk, cic));
            }
        }
        None
    }

    /// An ISUP event of call `id` on `trunk`: handled here when the call is a transit call
    /// (given back otherwise, for [`Gateway::circuit_event`]).
    pub(super) fn transit_event(
        &mut self,
        now: Instant,
        id: CallId,
        trunk: usize,
        e: IsupEvent,
    ) -> Option<IsupEvent> {
        let Some(c) = self.calls.get(&id) else {
            return Some(e);
        };
        let Some(leg) = c.transit.as_ref() else {
            return Some(e);
        };
        let cic = e.cic();
        if (trunk, cic) == (leg.trunk, Some(leg.cic)) {
            self.transit_backward(now, id, e);
        } else if (trunk, cic) == (c.trunk, c.cic) {
            self.transit_forward(now, id, e);
        }
        None
    }

    /// An event of the incoming circuit once the IAM has gone out: passed on forward.
    fn transit_forward(&mut self, now: Instant, id: CallId, e: IsupEvent) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(leg) = c.transit.as_ref() else {
            return;
        };
        let (trunk, cic, done) = (leg.trunk, leg.cic, leg.done);
        let message = match e {
            IsupEvent::Released { cause, message, .. } => {
                // Q.764 2.3.2: REL from the preceding exchange: REL to the succeeding one.
                c.pstn_done = true;
                let value = cause.as_ref().map_or(cause::NORMAL, cause_value);
                c.cause.get_or_insert(value);
                let rel = rel_to_pass_on(cause, message);
                return self.transit_release_out(now, id, rel);
            }
            IsupEvent::ReleaseComplete { .. } => {
                c.pstn_done = true;
                return self.settle(now, id);
            }
            IsupEvent::SubsequentAddress { sam: m, .. }
            | IsupEvent::Progress { cpg: m, .. }
            | IsupEvent::Information { inf: m, .. }
            | IsupEvent::Suspend { sus: m, .. }
            | IsupEvent::Resume { res: m, .. }
            | IsupEvent::CallMessage { message: m, .. }
            | IsupEvent::UnrecognizedMessage { message: m, .. } => m,
            _ => return,
        };
        if !done {
            self.pass_on(now, id, trunk, cic, message);
        }
    }

    /// An event of the outgoing circuit: passed on backward.
    fn transit_backward(&mut self, now: Instant, id: CallId, e: IsupEvent) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let (a_trunk, a_cic) = (c.trunk, c.cic.unwrap_or(0));
        let message = match e {
            IsupEvent::AddressComplete { acm, .. } => {
                if progress::acm_status(&acm) == 180 {
                    self.events
                        .push_back(GatewayEvent::CallAlerting { call: id.0 });
                }
                if c.acm {
                    // An ACM already went back (T11 of an earlier SIP attempt): the far
                    // end's news as a CPG (Q.764 2.1.5).
                    let status = progress::acm_status(&acm);
                    for m in progress::backward_for_provisional(status, true) {
                        self.pass_on(now, id, a_trunk, a_cic, m);
                    }
                    return;
                }
                c.acm = true;
                acm
            }
            IsupEvent::Answer { anm: m, .. } | IsupEvent::Connect { con: m, .. } => {
                if c.answered {
                    return;
                }
                c.answered = true;
                self.stats.calls_answered += 1;
                self.events
                    .push_back(GatewayEvent::CallAnswered { call: id.0 });
                m
            }
            IsupEvent::Progress { cpg, .. } => {
                if cpg
                    .event_information()
                    .is_some_and(|e| e.event_indicator() == EventIndicator::Alerting)
                {
                    self.events
                        .push_back(GatewayEvent::CallAlerting { call: id.0 });
                }
                cpg
            }
            IsupEvent::Released {
                cause,
                message,
                reason,
                reattempt,
                ..
            } => {
                let (acm, answered) = (c.acm, c.answered);
                let Some(leg) = c.transit.as_mut() else {
                    return;
                };
                leg.done = true;
                // Q.764 2.10.1.4 / 2.9.5.1: cleared here before any backward message: the
                // attempt is repeated on another circuit.
                if reattempt && !acm && !answered && reason != ReleaseReason::Remote {
                    let (group, iam) = (leg.group.clone(), leg.iam.clone());
                    let old = (leg.trunk, leg.cic);
                    return self.transit_reattempt(now, id, old, &group, iam);
                }
                let rel = rel_to_pass_on(cause, message);
                return self.release_pstn_with(now, id, rel);
            }
            IsupEvent::ReleaseComplete { .. } => {
                if let Some(leg) = c.transit.as_mut() {
                    leg.done = true;
                }
                return self.settle(now, id);
            }
            IsupEvent::DualSeizure {
                outgoing_iam,
                backed_off: true,
                ..
            } => {
                // Q.764 2.10.1.4: our IAM lost the circuit to the far end's: another one.
                let Some(leg) = c.transit.as_mut() else {
                    return;
                };
                leg.done = true;
                let group = leg.group.clone();
                let old = (leg.trunk, leg.cic);
                return self.transit_reattempt(now, id, old, &group, outgoing_iam);
            }
            IsupEvent::Information { inf: m, .. }
            | IsupEvent::Suspend { sus: m, .. }
            | IsupEvent::Resume { res: m, .. }
            | IsupEvent::CallMessage { message: m, .. }
            | IsupEvent::UnrecognizedMessage { message: m, .. } => m,
            _ => return,
        };
        if !c.pstn_done {
            self.pass_on(now, id, a_trunk, a_cic, message);
        }
    }

    /// Sends a message received on one circuit of a transit call on the other, with the
    /// ISUP command its type needs.
    fn pass_on(&mut self, now: Instant, id: CallId, trunk: usize, cic: u16, m: Message) {
        let Some(t) = self.trunks.get_mut(trunk) else {
            return;
        };
        let what = m.message_type;
        let r = match what {
            MessageType::Sam => t.isup.subsequent_address(now, cic, m),
            MessageType::Acm => t.isup.alert(now, cic, m),
            MessageType::Anm | MessageType::Con => t.isup.answer(now, cic, m),
            MessageType::Cpg => t.isup.progress(now, cic, m),
            MessageType::Inf => t.isup.information(now, cic, m),
            MessageType::Sus => t.isup.suspend(now, cic, m),
            MessageType::Res => t.isup.resume(now, cic, m),
            _ => t.isup.send_call_message(now, cic, m),
        };
        if let Err(e) = r {
            self.events.push_back(GatewayEvent::Refused {
                call: Some(id.0),
                what: format!("passing {what:?} on: {e}"),
            });
        }
    }

    /// Releases the outgoing circuit of a transit call with `rel` (its REL passed on).
    pub(super) fn transit_release_out(&mut self, now: Instant, id: CallId, rel: Message) {
        let Some(leg) = self.calls.get_mut(&id).and_then(|c| c.transit.as_mut()) else {
            return self.settle(now, id);
        };
        if !leg.done {
            let (trunk, cic) = (leg.trunk, leg.cic);
            let sent = self
                .trunks
                .get_mut(trunk)
                .is_some_and(|t| t.isup.release_message(now, cic, rel).is_ok());
            if !sent {
                // Nothing to release there any more (reset or released meanwhile).
                if let Some(leg) = self.calls.get_mut(&id).and_then(|c| c.transit.as_mut()) {
                    leg.done = true;
                }
            }
        }
        self.settle(now, id);
    }

    /// Repeats a transit call's IAM on another circuit of `group` (Q.764 2.10.1.4); none
    /// free: the incoming circuit is released with cause 34.
    fn transit_reattempt(
        &mut self,
        now: Instant,
        id: CallId,
        old: (usize, u16),
        group: &str,
        iam: Message,
    ) {
        if self.by_circuit.get(&old) == Some(&id) {
            self.by_circuit.remove(&old);
        }
        if self.seize_for(now, id, group, iam).is_none() {
            self.release_pstn(now, id, cause::NO_CIRCUIT);
        }
    }

    /// The relation of `trunk` was lost: the transit calls with a circuit on it are cleared
    /// on their other circuit with cause 41 (the lost circuits come back idle with the GRS
    /// ISUP sends on resumption, Q.764 2.9.3.1).
    pub(super) fn transit_relation_lost(&mut self, now: Instant, trunk: usize) {
        let ids: Vec<CallId> = self
            .calls
            .values()
            .filter(|c| {
                c.transit
                    .as_ref()
                    .is_some_and(|l| l.trunk == trunk || c.trunk == trunk)
            })
            .map(|c| c.id)
            .collect();
        let rel = || Message::rel(cause_indicators(cause::TEMPORARY_FAILURE));
        for id in ids {
            let Some(c) = self.calls.get_mut(&id) else {
                continue;
            };
            let a_lost = c.trunk == trunk;
            let b_lost = c.transit.as_ref().is_some_and(|l| l.trunk == trunk);
            if a_lost {
                c.pstn_done = true;
                c.cause.get_or_insert(cause::TEMPORARY_FAILURE);
            }
            if b_lost {
                if let Some(l) = c.transit.as_mut() {
                    l.done = true;
                }
            }
            if a_lost {
                self.transit_release_out(now, id, rel());
            } else {
                self.release_pstn_with(now, id, rel());
            }
        }
    }

    /// Forgets the outgoing circuit of a call being forgotten.
    pub(super) fn transit_forget(&mut self, c: &Call) {
        if let Some(l) = c.transit.as_ref() {
            if self.by_circuit.get(&(l.trunk, l.cic)) == Some(&c.id) {
                self.by_circuit.remove(&(l.trunk, l.cic));
            }
        }
    }
}
