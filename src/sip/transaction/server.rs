//! Server transactions: INVITE (RFC 3261 17.2.1, figure 7, with RFC 6026's Accepted state)
//! and non-INVITE (RFC 3261 17.2.2, figure 8).

use std::collections::VecDeque;
use std::time::Duration;

use super::{double, Output, Timers, TxMessage};
use crate::time::{earliest, Instant};

/// The states of figures 7 and 8 (and RFC 6026 7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    /// Non-INVITE received, nothing sent yet.
    Trying,
    Proceeding,
    /// A 2xx to the INVITE was sent (RFC 6026 7.1): the TU retransmits it; timer L.
    Accepted,
    Completed,
    /// The ACK for a non-2xx final response came.
    Confirmed,
    Terminated,
}

fn class(status: u16) -> u16 {
    status / 100
}

/// How long the INVITE server transaction waits for the TU's first response before it sends
/// 100 Trying itself (RFC 3261 17.2.1).
pub const TRYING_DELAY: Duration = Duration::from_millis(200);

/// The INVITE server transaction.
#[derive(Debug, Clone)]
pub struct ServerInvite<M> {
    state: ServerState,
    /// The INVITE, for the 100 Trying the transaction sends itself; dropped with the first
    /// response, so that a transaction lingering for timer L, H or I holds no more than it
    /// must (Completed: the final response; Accepted: nothing, the TU retransmits its 2xx).
    request: Option<M>,
    reliable: bool,
    timers: Timers,
    /// The last provisional or the final response sent, repeated on retransmissions.
    last_response: Option<M>,
    /// When to send 100 Trying if the TU has said nothing.
    trying: Option<Instant>,
    g: Option<(Instant, Duration)>,
    h: Option<Instant>,
    i: Option<Instant>,
    l: Option<Instant>,
}

impl<M: TxMessage> ServerInvite<M> {
    /// A new INVITE: Proceeding, the request to the TU, and 100 Trying after 200 ms unless
    /// the TU answers first (RFC 3261 17.2.1).
    pub fn new(
        now: Instant,
        request: M,
        reliable: bool,
        timers: Timers,
        out: &mut VecDeque<Output<M>>,
    ) -> Self {
        out.push_back(Output::ToTu(request.clone()));
        ServerInvite {
            state: ServerState::Proceeding,
            request: Some(request),
            reliable,
            timers,
            last_response: None,
            trying: Some(now + TRYING_DELAY),
            g: None,
            h: None,
            i: None,
            l: None,
        }
    }

    pub fn state(&self) -> ServerState {
        self.state
    }

    /// The request, until the first response is sent.
    pub fn request(&self) -> Option<&M> {
        self.request.as_ref()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.h, self.i, self.l]
            .into_iter()
            .fold(earliest(self.trying, self.g.map(|(t, _)| t)), earliest)
    }

    /// A request from the transport matching this transaction: the INVITE again, or the ACK.
    pub fn handle_request(&mut self, now: Instant, request: M, out: &mut VecDeque<Output<M>>) {
        let ack = request.method() == "ACK";
        match (self.state, ack) {
            (ServerState::Proceeding | ServerState::Completed, false) => {
                // A retransmitted INVITE: the most recent response again (17.2.1).
                if let Some(r) = &self.last_response {
                    out.push_back(Output::Transmit(r.clone()));
                }
            }
            (ServerState::Completed, true) => {
                // 17.2.1: Confirmed, timer I (T4 unreliable, 0 reliable); the ACK is absorbed.
                self.state = ServerState::Confirmed;
                self.g = None;
                self.h = None;
                if self.reliable {
                    self.terminate(out);
                } else {
                    self.i = Some(now + self.timers.t4);
                }
            }
            (ServerState::Accepted, true) => {
                // RFC 6026 7.1: an ACK matching the transaction in Accepted goes to the TU.
                out.push_back(Output::ToTu(request));
            }
            // Accepted: INVITE retransmissions are absorbed (the TU retransmits the 2xx);
            // Confirmed: ACK retransmissions are absorbed.
            _ => {}
        }
    }

    /// A response from the TU.
    pub fn send_response(&mut self, now: Instant, response: M, out: &mut VecDeque<Output<M>>) {
        let Some(status) = response.status() else {
            return;
        };
        self.trying = None;
        self.request = None;
        match (self.state, class(status)) {
            (ServerState::Proceeding, 1) => {
                out.push_back(Output::Transmit(response.clone()));
                self.last_response = Some(response);
            }
            (ServerState::Proceeding, 2) => {
                // RFC 6026 7.1: Accepted, timer L. The 2xx is not kept: in Accepted the
                // transaction absorbs INVITE retransmissions and the TU retransmits its 2xx
                // (RFC 3261 13.3.1.4).
                out.push_back(Output::Transmit(response));
                self.last_response = None;
                self.state = ServerState::Accepted;
                self.l = Some(now + self.timers.t1x64());
            }
            (ServerState::Accepted, 2) => {
                // The TU's retransmissions of its 2xx (13.3.1.4) pass through.
                out.push_back(Output::Transmit(response));
            }
            (ServerState::Proceeding, 3..=6) => {
                // 17.2.1: Completed, timer G (unreliable) and timer H.
                out.push_back(Output::Transmit(response.clone()));
                self.last_response = Some(response);
                self.state = ServerState::Completed;
                if !self.reliable {
                    self.g = Some((now + self.timers.t1, self.timers.t1));
                }
                self.h = Some(now + self.timers.t1x64());
            }
            _ => {}
        }
    }

    fn terminate(&mut self, out: &mut VecDeque<Output<M>>) {
        self.state = ServerState::Terminated;
        self.request = None;
        self.last_response = None;
        self.trying = None;
        self.g = None;
        self.h = None;
        self.i = None;
        self.l = None;
        out.push_back(Output::Terminated);
    }

    pub fn handle_timeout(&mut self, now: Instant, out: &mut VecDeque<Output<M>>) {
        if self.trying.is_some_and(|t| t <= now) {
            self.trying = None;
            if self.state == ServerState::Proceeding && self.last_response.is_none() {
                if let Some(trying) = self.request.as_ref().and_then(M::trying_for) {
                    out.push_back(Output::Transmit(trying.clone()));
                    self.last_response = Some(trying);
                }
            }
        }
        if let Some((t, interval)) = self.g {
            if t <= now {
                // Timer G: the final response again, interval doubling up to T2.
                if let Some(r) = &self.last_response {
                    out.push_back(Output::Transmit(r.clone()));
                }
                let next = double(interval, Some(self.timers.t2));
                self.g = Some((now + next, next));
            }
        }
        if self.h.is_some_and(|t| t <= now) {
            // Timer H: no ACK came (17.2.1); the TU is told.
            out.push_back(Output::Timeout);
            self.terminate(out);
            return;
        }
        if self.i.is_some_and(|t| t <= now) || self.l.is_some_and(|t| t <= now) {
            self.terminate(out);
        }
    }
}

/// The non-INVITE server transaction.
#[derive(Debug, Clone)]
pub struct ServerNonInvite<M> {
    state: ServerState,
    /// The request; dropped with the final response (Completed answers retransmissions
    /// with the response alone).
    request: Option<M>,
    reliable: bool,
    timers: Timers,
    last_response: Option<M>,
    j: Option<Instant>,
}

impl<M: TxMessage> ServerNonInvite<M> {
    /// A new request: Trying, the request to the TU (RFC 3261 17.2.2).
    pub fn new(request: M, reliable: bool, timers: Timers, out: &mut VecDeque<Output<M>>) -> Self {
        out.push_back(Output::ToTu(request.clone()));
        ServerNonInvite {
            state: ServerState::Trying,
            request: Some(request),
            reliable,
            timers,
            last_response: None,
            j: None,
        }
    }

    pub fn state(&self) -> ServerState {
        self.state
    }

    /// The request, until the final response is sent.
    pub fn request(&self) -> Option<&M> {
        self.request.as_ref()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.j
    }

    /// A retransmission of the request: absorbed in Trying, answered with the last response
    /// in Proceeding and Completed (17.2.2).
    pub fn handle_request(&mut self, _now: Instant, _request: M, out: &mut VecDeque<Output<M>>) {
        if matches!(self.state, ServerState::Proceeding | ServerState::Completed) {
            if let Some(r) = &self.last_response {
                out.push_back(Output::Transmit(r.clone()));
            }
        }
    }

    /// A response from the TU.
    pub fn send_response(&mut self, now: Instant, response: M, out: &mut VecDeque<Output<M>>) {
        let Some(status) = response.status() else {
            return;
        };
        match (self.state, class(status)) {
            (ServerState::Trying | ServerState::Proceeding, 1) => {
                out.push_back(Output::Transmit(response.clone()));
                self.last_response = Some(response);
                self.state = ServerState::Proceeding;
            }
            (ServerState::Trying | ServerState::Proceeding, 2..=6) => {
                // 17.2.2: Completed, timer J (64·T1 unreliable, 0 reliable).
                out.push_back(Output::Transmit(response.clone()));
                self.last_response = Some(response);
                self.request = None;
                self.state = ServerState::Completed;
                if self.reliable {
                    self.terminate(out);
                } else {
                    self.j = Some(now + self.timers.t1x64());
                }
            }
            _ => {}
        }
    }

    fn terminate(&mut self, out: &mut VecDeque<Output<M>>) {
        self.state = ServerState::Terminated;
        self.request = None;
        self.last_response = None;
        self.j = None;
        out.push_back(Output::Terminated);
    }

    pub fn handle_timeout(&mut self, now: Instant, out: &mut VecDeque<Output<M>>) {
        if self.j.is_some_and(|t| t <= now) {
            self.terminate(out);
        }
    }
}
