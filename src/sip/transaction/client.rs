//! Client transactions: INVITE (RFC 3261 17.1.1, figure 5, with RFC 6026's Accepted state)
//! and non-INVITE (RFC 3261 17.1.2, figure 6).

use std::collections::VecDeque;
use std::time::Duration;

use super::{double, Output, Timers, TxMessage};
use crate::time::{earliest, Instant};

/// The states of figures 5 and 6 (and RFC 6026 7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// INVITE sent, no response yet.
    Calling,
    /// Non-INVITE sent, no response yet.
    Trying,
    Proceeding,
    /// A 2xx to the INVITE came (RFC 6026 7.2): further 2xx go to the TU until timer M.
    Accepted,
    Completed,
    Terminated,
}

fn class(status: u16) -> u16 {
    status / 100
}

/// The INVITE client transaction.
#[derive(Debug, Clone)]
pub struct ClientInvite<M> {
    state: ClientState,
    /// The INVITE, for timer A's retransmissions and the ACK of a non-2xx; dropped once a
    /// final response has come (Accepted and Completed need neither), so that a transaction
    /// lingering for timer M or D holds no message but its ACK.
    request: Option<M>,
    reliable: bool,
    timers: Timers,
    /// The ACK sent for the final non-2xx response, repeated for its retransmissions.
    ack: Option<M>,
    /// Timer A: deadline and current interval.
    a: Option<(Instant, Duration)>,
    b: Option<Instant>,
    c: Option<Instant>,
    d: Option<Instant>,
    m: Option<Instant>,
}

impl<M: TxMessage> ClientInvite<M> {
    /// Sends `request` and enters Calling (RFC 3261 17.1.1.2): timer A at T1 on an unreliable
    /// transport, timer B at 64·T1, timer C when configured.
    pub fn new(
        now: Instant,
        request: M,
        reliable: bool,
        timers: Timers,
        out: &mut VecDeque<Output<M>>,
    ) -> Self {
        out.push_back(Output::Transmit(request.clone()));
        ClientInvite {
            state: ClientState::Calling,
            request: Some(request),
            reliable,
            timers,
            ack: None,
            a: (!reliable).then(|| (now + timers.t1, timers.t1)),
            b: Some(now + timers.t1x64()),
            c: timers.c.map(|c| now + c),
            d: None,
            m: None,
        }
    }

    pub fn state(&self) -> ClientState {
        self.state
    }

    /// The request, until a final response has come.
    pub fn request(&self) -> Option<&M> {
        self.request.as_ref()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.b, self.c, self.d, self.m]
            .into_iter()
            .fold(self.a.map(|(t, _)| t), earliest)
    }

    pub fn handle_response(&mut self, now: Instant, response: M, out: &mut VecDeque<Output<M>>) {
        let Some(status) = response.status() else {
            return;
        };
        match (self.state, class(status)) {
            (ClientState::Calling | ClientState::Proceeding, 1) => {
                // 17.1.1.2: no more retransmissions in Proceeding; timer B only guards
                // Calling. Timer C restarts with every provisional response (16.6 item 11).
                self.state = ClientState::Proceeding;
                self.a = None;
                self.b = None;
                self.c = self.timers.c.map(|c| now + c);
                out.push_back(Output::ToTu(response));
            }
            (ClientState::Calling | ClientState::Proceeding, 2) => {
                // RFC 6026 7.2: Accepted, timer M; the TU sends the ACK for a 2xx.
                self.enter_accepted(now);
                out.push_back(Output::ToTu(response));
            }
            (ClientState::Calling | ClientState::Proceeding, 3..=6) => {
                // 17.1.1.2: ACK, Completed, timer D (0 on a reliable transport).
                if let Some(ack) = self
                    .request
                    .take()
                    .and_then(|request| M::ack_for(&request, &response))
                {
                    out.push_back(Output::Transmit(ack.clone()));
                    self.ack = Some(ack);
                }
                out.push_back(Output::ToTu(response));
                self.a = None;
                self.b = None;
                self.c = None;
                self.state = ClientState::Completed;
                if self.reliable {
                    self.terminate(out);
                } else {
                    self.d = Some(now + self.timers.d);
                }
            }
            (ClientState::Completed, 3..=6) => {
                // A retransmission of the final response: the ACK again, nothing up.
                if let Some(ack) = &self.ack {
                    out.push_back(Output::Transmit(ack.clone()));
                }
            }
            (ClientState::Accepted, 2) => {
                // RFC 6026 7.2: retransmitted (or forked) 2xx go to the TU, which ACKs them.
                out.push_back(Output::ToTu(response));
            }
            _ => {}
        }
    }

    fn enter_accepted(&mut self, now: Instant) {
        self.state = ClientState::Accepted;
        self.request = None;
        self.a = None;
        self.b = None;
        self.c = None;
        self.m = Some(now + self.timers.t1x64());
    }

    fn terminate(&mut self, out: &mut VecDeque<Output<M>>) {
        self.state = ClientState::Terminated;
        self.request = None;
        self.ack = None;
        self.a = None;
        self.b = None;
        self.c = None;
        self.d = None;
        self.m = None;
        out.push_back(Output::Terminated);
    }

    pub fn handle_timeout(&mut self, now: Instant, out: &mut VecDeque<Output<M>>) {
        if let Some((t, interval)) = self.a {
            if t <= now && self.state == ClientState::Calling {
                // Timer A: retransmit, doubling the interval (17.1.1.2: no T2 cap for INVITE).
                if let Some(request) = &self.request {
                    out.push_back(Output::Transmit(request.clone()));
                }
                let next = double(interval, None);
                self.a = Some((now + next, next));
            }
        }
        if self.b.is_some_and(|t| t <= now) {
            // Timer B: the TU is told of the timeout (8.1.3.1: as a 408).
            out.push_back(Output::Timeout);
            self.terminate(out);
            return;
        }
        if self.c.is_some_and(|t| t <= now) {
            self.c = None;
            out.push_back(Output::TimerC {
                provisional: self.state == ClientState::Proceeding,
            });
        }
        if self.d.is_some_and(|t| t <= now) || self.m.is_some_and(|t| t <= now) {
            self.terminate(out);
        }
    }
}

/// The non-INVITE client transaction.
#[derive(Debug, Clone)]
pub struct ClientNonInvite<M> {
    state: ClientState,
    /// The request, for timer E's retransmissions; dropped in Completed (timer K).
    request: Option<M>,
    reliable: bool,
    timers: Timers,
    e: Option<(Instant, Duration)>,
    f: Option<Instant>,
    k: Option<Instant>,
}

impl<M: TxMessage> ClientNonInvite<M> {
    /// Sends `request` and enters Trying (RFC 3261 17.1.2.2): timer E at T1 on an unreliable
    /// transport, timer F at 64·T1.
    pub fn new(
        now: Instant,
        request: M,
        reliable: bool,
        timers: Timers,
        out: &mut VecDeque<Output<M>>,
    ) -> Self {
        out.push_back(Output::Transmit(request.clone()));
        ClientNonInvite {
            state: ClientState::Trying,
            request: Some(request),
            reliable,
            timers,
            e: (!reliable).then(|| (now + timers.t1, timers.t1)),
            f: Some(now + timers.t1x64()),
            k: None,
        }
    }

    pub fn state(&self) -> ClientState {
        self.state
    }

    /// The request, until a final response has come.
    pub fn request(&self) -> Option<&M> {
        self.request.as_ref()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        earliest(earliest(self.e.map(|(t, _)| t), self.f), self.k)
    }

    pub fn handle_response(&mut self, now: Instant, response: M, out: &mut VecDeque<Output<M>>) {
        let Some(status) = response.status() else {
            return;
        };
        match (self.state, class(status)) {
            (ClientState::Trying | ClientState::Proceeding, 1) => {
                self.state = ClientState::Proceeding;
                out.push_back(Output::ToTu(response));
            }
            (ClientState::Trying | ClientState::Proceeding, 2..=6) => {
                // 17.1.2.2: Completed, timer K (T4 unreliable, 0 reliable).
                out.push_back(Output::ToTu(response));
                self.state = ClientState::Completed;
                self.request = None;
                self.e = None;
                self.f = None;
                if self.reliable {
                    self.terminate(out);
                } else {
                    self.k = Some(now + self.timers.t4);
                }
            }
            // Completed: retransmissions of the final response are absorbed.
            _ => {}
        }
    }

    fn terminate(&mut self, out: &mut VecDeque<Output<M>>) {
        self.state = ClientState::Terminated;
        self.request = None;
        self.e = None;
        self.f = None;
        self.k = None;
        out.push_back(Output::Terminated);
    }

    pub fn handle_timeout(&mut self, now: Instant, out: &mut VecDeque<Output<M>>) {
        if let Some((t, interval)) = self.e {
            if t <= now {
                // Timer E: in Trying the interval doubles up to T2; in Proceeding it is T2.
                if let Some(request) = &self.request {
                    out.push_back(Output::Transmit(request.clone()));
                }
                let next = if self.state == ClientState::Proceeding {
                    self.timers.t2
                } else {
                    double(interval, Some(self.timers.t2))
                };
                self.e = Some((now + next, next));
            }
        }
        if self.f.is_some_and(|t| t <= now) {
            out.push_back(Output::Timeout);
            self.terminate(out);
            return;
        }
        if self.k.is_some_and(|t| t <= now) {
            self.terminate(out);
        }
    }
}
