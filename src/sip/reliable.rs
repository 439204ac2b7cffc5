//! Reliable provisional responses (RFC 3262, "100rel"), both sides, sans-IO. No SIP crate
//! does the UAS side, so it is here: generic over the message type `M` (the 1xx as it will be
//! sent), with the RSeq/RAck numbers as plain values.
//!
//! - [`UasReliable`]: the UAS of one INVITE. Each reliable provisional response gets the next
//!   RSeq (the first one random in 1..2^31, RFC 3262 3), is retransmitted at T1, 2·T1, ...
//!   (doubling without a cap, like an INVITE's timer A: RFC 3262 3 says "with an interval
//!   that starts at T1 seconds and doubles for each retransmission") until a PRACK with a
//!   matching RAck arrives, and is given up after 64·T1, when the UAS "SHOULD reject the
//!   original request with a 5xx response". Only one may be unacknowledged at a time ("the
//!   UAS MUST NOT send a second reliable provisional response until the first is
//!   acknowledged"): later ones wait in order. A final response may go before the PRACKs,
//!   except a 2xx while an unacknowledged one carried a session description (RFC 3262 3).
//! - [`UacReliable`]: the UAC side of one dialog (RFC 3262 4): a reliable provisional response
//!   is accepted (and PRACKed) only when its RSeq is the next in order — the first one sets
//!   the sequence. Any other "MUST NOT be acknowledged with a PRACK, and MUST NOT be
//!   processed further": a retransmission (its PRACK is in a client transaction of its own,
//!   which retransmits it) or one out of order (the UAS retransmits it).

use std::collections::VecDeque;
use std::time::Duration;

use crate::time::Instant;

/// The RAck header's values (RFC 3262 7.2): the RSeq acknowledged, and the CSeq number and
/// method of the request the response answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RAck {
    pub rseq: u32,
    pub cseq: u32,
    pub method: String,
}

/// What the UAS side asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum UasOutput<M> {
    /// Send this reliable provisional response, with this RSeq (a first sending or a
    /// retransmission).
    Send { rseq: u32, response: M },
    /// 64·T1 passed without a PRACK for `rseq`: reject the INVITE with a 5xx (RFC 3262 3).
    Unacknowledged { rseq: u32 },
}

/// Why a PRACK was not accepted; the TU answers it with 481 (RFC 3262 3: "If a PRACK request
/// is received by the UA core that does not match any unacknowledged reliable provisional
/// response, the UAS MUST respond to the PRACK with a 481").
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PrackError {
    #[error("the PRACK matches no unacknowledged reliable provisional response")]
    NoMatch,
}

/// Whether a final response may be sent now (RFC 3262 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalPermission {
    Allowed,
    /// A 2xx must wait: an unacknowledged reliable provisional response carried an SDP.
    WaitForPrack,
}

#[derive(Debug, Clone)]
struct Pending<M> {
    rseq: u32,
    response: M,
    has_sdp: bool,
}

/// The UAS side of RFC 3262 for one INVITE.
#[derive(Debug, Clone)]
pub struct UasReliable<M> {
    cseq: u32,
    t1: Duration,
    next_rseq: u32,
    /// The response awaiting its PRACK, with its retransmission timer and give-up time.
    outstanding: Option<(Pending<M>, Instant, Duration, Instant)>,
    /// Responses waiting for the outstanding one to be acknowledged.
    queue: VecDeque<Pending<M>>,
    /// The RSeqs of responses still unacknowledged when the final response went: no longer
    /// retransmitted, but a PRACK for one still gets 2xx (RFC 3262 3: "If the PRACK does
    /// match an unacknowledged reliable provisional response, it MUST be responded to with a
    /// 2xx"), e.g. a 180 without an offer followed at once by the 200.
    unacknowledged_at_final: Vec<u32>,
    out: VecDeque<UasOutput<M>>,
}

impl<M: Clone> UasReliable<M> {
    /// For the INVITE with CSeq number `cseq`; `first_rseq` is the RSeq of the first reliable
    /// response (RFC 3262 3: chosen at random between 1 and 2^31 - 1; the caller draws it).
    pub fn new(cseq: u32, first_rseq: u32, t1: Duration) -> Self {
        UasReliable {
            cseq,
            t1,
            next_rseq: first_rseq.clamp(1, (1 << 31) - 1),
            outstanding: None,
            queue: VecDeque::new(),
            unacknowledged_at_final: Vec::new(),
            out: VecDeque::new(),
        }
    }

    /// The RSeq the next response given to [`UasReliable::send`] will get (the caller writes
    /// it, with `Require: 100rel`, before handing the response over).
    pub fn next_rseq(&self) -> u32 {
        self.next_rseq
    }

    /// Sends `response` reliably; it must already carry the RSeq of
    /// [`UasReliable::next_rseq`]. Returns that RSeq.
    pub fn send(&mut self, now: Instant, response: M, has_sdp: bool) -> u32 {
        let rseq = self.next_rseq;
        self.next_rseq = self.next_rseq.wrapping_add(1).max(1);
        let p = Pending {
            rseq,
            response,
            has_sdp,
        };
        if self.outstanding.is_none() {
            self.start(now, p);
        } else {
            self.queue.push_back(p);
        }
        rseq
    }

    fn start(&mut self, now: Instant, p: Pending<M>) {
        self.out.push_back(UasOutput::Send {
            rseq: p.rseq,
            response: p.response.clone(),
        });
        let give_up = now + self.t1.saturating_mul(64);
        self.outstanding = Some((p, now + self.t1, self.t1, give_up));
    }

    /// A PRACK arrived with `rack`: it acknowledges the outstanding response if it matches
    /// (RFC 3262 3, 7.2: RSeq, CSeq number and method).
    pub fn prack(&mut self, now: Instant, rack: &RAck) -> Result<u32, PrackError> {
        let matches = self.outstanding.as_ref().is_some_and(|(p, ..)| {
            p.rseq == rack.rseq && rack.cseq == self.cseq && rack.method == "INVITE"
        });
        if !matches {
            let late = self
                .unacknowledged_at_final
                .iter()
                .position(|&r| r == rack.rseq && rack.cseq == self.cseq && rack.method == "INVITE");
            return match late {
                Some(i) => Ok(self.unacknowledged_at_final.swap_remove(i)),
                None => Err(PrackError::NoMatch),
            };
        }
        let rseq = rack.rseq;
        self.outstanding = None;
        if let Some(next) = self.queue.pop_front() {
            self.start(now, next);
        }
        Ok(rseq)
    }

    /// Whether a final response with status `status` may be sent now.
    pub fn final_permission(&self, status: u16) -> FinalPermission {
        let sdp_unacked = self.outstanding.as_ref().is_some_and(|(p, ..)| p.has_sdp)
            || self.queue.iter().any(|p| p.has_sdp);
        if (200..300).contains(&status) && sdp_unacked {
            FinalPermission::WaitForPrack
        } else {
            FinalPermission::Allowed
        }
    }

    /// The final response went: retransmissions stop (RFC 3262 3: a reliable provisional
    /// response is not retransmitted once a final response is sent).
    pub fn final_sent(&mut self) {
        if let Some((p, ..)) = self.outstanding.take() {
            self.unacknowledged_at_final.push(p.rseq);
        }
        for p in self.queue.drain(..) {
            self.unacknowledged_at_final.push(p.rseq);
        }
    }

    /// Whether every reliable provisional response sent has been acknowledged.
    pub fn all_acknowledged(&self) -> bool {
        self.outstanding.is_none() && self.queue.is_empty()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.outstanding
            .as_ref()
            .map(|(_, retransmit, _, give_up)| (*retransmit).min(*give_up))
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        let Some((p, retransmit, interval, give_up)) = self.outstanding.take() else {
            return;
        };
        if give_up <= now {
            self.out
                .push_back(UasOutput::Unacknowledged { rseq: p.rseq });
            self.queue.clear();
            return;
        }
        if retransmit <= now {
            self.out.push_back(UasOutput::Send {
                rseq: p.rseq,
                response: p.response.clone(),
            });
            let next = interval.saturating_mul(2);
            self.outstanding = Some((p, now + next, next, give_up));
        } else {
            self.outstanding = Some((p, retransmit, interval, give_up));
        }
    }

    pub fn poll_output(&mut self) -> Option<UasOutput<M>> {
        self.out.pop_front()
    }
}

/// What the UAC does with a reliable provisional response (RFC 3262 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UacVerdict {
    /// New and in order: pass it up, and PRACK it.
    Accept,
    /// A retransmission of one already accepted: neither PRACKed again nor passed up (the
    /// PRACK's own transaction recovers a lost PRACK, RFC 3262 4).
    Retransmission,
    /// Out of order (RSeq more than one above the last): drop it; the UAS retransmits.
    OutOfOrder,
}

/// The UAC side of RFC 3262 for one dialog (early or confirmed).
#[derive(Debug, Clone, Default)]
pub struct UacReliable {
    last_rseq: Option<u32>,
}

impl UacReliable {
    pub fn new() -> Self {
        UacReliable { last_rseq: None }
    }

    /// A reliable provisional response with `rseq` arrived on this dialog.
    pub fn received(&mut self, rseq: u32) -> UacVerdict {
        match self.last_rseq {
            // RFC 3262 4: "the first reliable provisional response ... the UAC MUST ...
            // remember the RSeq".
            None => {
                self.last_rseq = Some(rseq);
                UacVerdict::Accept
            }
            Some(last) if rseq == last.wrapping_add(1) => {
                self.last_rseq = Some(rseq);
                UacVerdict::Accept
            }
            Some(last) if rseq <= last => UacVerdict::Retransmission,
            Some(_) => UacVerdict::OutOfOrder,
        }
    }

    /// The RAck for the response with `rseq` to the request `cseq`/`method`.
    pub fn rack(rseq: u32, cseq: u32, method: &str) -> RAck {
        RAck {
            rseq,
            cseq,
            method: method.to_string(),
        }
    }
}
