//! A pair of QSIG call layers back to back, with simulated time (quinn-proto's `Pair` shape):
//! every message is encoded by one side, decoded here for the ladder, and its octets handed to
//! the other side. Side A is designated network, side B user.

#![allow(dead_code)]

use std::time::Duration;

use sipt_codecs::q931::{
    CallReference, Cause, CauseValue, InformationElement, Location, Message, MessageType, Number,
    NumberingPlan, TypeOfNumber,
};
use sipt_mgc::qsig::{CallEvent, CallId, ChannelState, Config, DlIndication, QsigCalls, Side};
use sipt_mgc::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    AtoB,
    BtoA,
}

/// One message on the link, as the ladder shows it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub at: Instant,
    pub dir: Dir,
    pub message: Message,
    pub lost: bool,
}

pub type Loss = Box<dyn FnMut(Dir, &Message) -> bool>;

pub struct Pair {
    pub a: QsigCalls,
    pub b: QsigCalls,
    pub now: Instant,
    pub a_events: Vec<CallEvent>,
    pub b_events: Vec<CallEvent>,
    pub log: Vec<Sent>,
    /// Decides, per message, whether it is lost.
    pub lose: Loss,
}

impl Pair {
    /// Two E1 spans, data links up, the initial restarts done, logs empty.
    pub fn new() -> Pair {
        Pair::with(Config::e1(Side::Network), Config::e1(Side::User))
    }

    pub fn with(a: Config, b: Config) -> Pair {
        let mut p = Pair {
            a: QsigCalls::new(a),
            b: QsigCalls::new(b),
            now: Instant::from_millis(1000),
            a_events: Vec::new(),
            b_events: Vec::new(),
            log: Vec::new(),
            lose: Box::new(|_, _| false),
        };
        p.establish();
        p.clear_logs();
        p
    }

    pub fn clear_logs(&mut self) {
        self.a_events.clear();
        self.b_events.clear();
        self.log.clear();
    }

    /// DL-ESTABLISH on both sides, then everything delivered.
    pub fn establish(&mut self) {
        let now = self.now;
        self.a.handle_dl(now, DlIndication::EstablishIndication);
        self.b.handle_dl(now, DlIndication::EstablishConfirm);
        self.drive();
    }

    /// DL-RELEASE on both sides (the D-channel failed).
    pub fn release(&mut self) {
        let now = self.now;
        self.a.handle_dl(now, DlIndication::ReleaseIndication);
        self.b.handle_dl(now, DlIndication::ReleaseIndication);
        self.collect();
    }

    fn collect(&mut self) {
        while let Some(e) = self.a.poll_event() {
            self.a_events.push(e);
        }
        while let Some(e) = self.b.poll_event() {
            self.b_events.push(e);
        }
    }

    /// Delivers what each side has queued; whether anything moved.
    pub fn step(&mut self) -> bool {
        let mut moved = false;
        for dir in [Dir::AtoB, Dir::BtoA] {
            loop {
                let out = match dir {
                    Dir::AtoB => self.a.poll_transmit(),
                    Dir::BtoA => self.b.poll_transmit(),
                };
                let Some(octets) = out else { break };
                moved = true;
                let message = Message::decode(&octets).expect("our own message decodes");
                let lost = (self.lose)(dir, &message);
                self.log.push(Sent {
                    at: self.now,
                    dir,
                    message,
                    lost,
                });
                if lost {
                    continue;
                }
                let to = match dir {
                    Dir::AtoB => &mut self.b,
                    Dir::BtoA => &mut self.a,
                };
                to.handle_dl(self.now, DlIndication::DataIndication(octets));
            }
        }
        self.collect();
        moved
    }

    /// Steps until nothing moves.
    pub fn drive(&mut self) {
        for _ in 0..1000 {
            if !self.step() {
                return;
            }
        }
        panic!("the pair never settles");
    }

    /// Moves time on by `d`, firing every timer due on the way, delivering as it goes.
    pub fn advance(&mut self, d: Duration) {
        let until = self.now + d;
        self.drive();
        loop {
            let next = [self.a.poll_timeout(), self.b.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= until => {
                    self.now = self.now.max(t);
                    let now = self.now;
                    self.a.handle_timeout(now);
                    self.b.handle_timeout(now);
                    self.drive();
                }
                _ => break,
            }
        }
        self.now = until;
        self.drive();
    }

    /// Runs every timer out (bounded).
    pub fn run_timers(&mut self) {
        for _ in 0..10_000 {
            let next = [self.a.poll_timeout(), self.b.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            let Some(t) = next else { return };
            self.now = self.now.max(t);
            let now = self.now;
            self.a.handle_timeout(now);
            self.b.handle_timeout(now);
            self.drive();
        }
        panic!("timers never run out");
    }

    /// Hands a message to one side as if the other had sent it (for error cases).
    pub fn inject(&mut self, dir: Dir, message: Message) {
        let octets = message.to_bytes().expect("test message encodes");
        self.log.push(Sent {
            at: self.now,
            dir,
            message,
            lost: false,
        });
        let to = match dir {
            Dir::AtoB => &mut self.b,
            Dir::BtoA => &mut self.a,
        };
        to.handle_dl(self.now, DlIndication::DataIndication(octets));
        self.collect();
    }

    /// The ladder: "A->B SETUP", "B->A CALL PROCEEDING", ... ("(lost)" appended when lost).
    pub fn ladder(&self) -> Vec<String> {
        self.log
            .iter()
            .map(|s| {
                let d = match s.dir {
                    Dir::AtoB => "A->B",
                    Dir::BtoA => "B->A",
                };
                let name = s.message.message_type.name().unwrap_or("?");
                if s.lost {
                    format!("{d} {name} (lost)")
                } else {
                    format!("{d} {name}")
                }
            })
            .collect()
    }

    /// The messages of the ladder in one direction.
    pub fn sent(&self, dir: Dir) -> Vec<&Message> {
        self.log
            .iter()
            .filter(|s| s.dir == dir)
            .map(|s| &s.message)
            .collect()
    }

    /// The last message sent in `dir` of type `t`.
    pub fn last(&self, dir: Dir, t: MessageType) -> Option<&Message> {
        self.log
            .iter()
            .rev()
            .find(|s| s.dir == dir && s.message.message_type == t)
            .map(|s| &s.message)
    }

    /// Every B-channel of both sides idle and no call left.
    pub fn all_idle(&self) -> bool {
        self.a.calls().is_empty()
            && self.b.calls().is_empty()
            && self
                .a
                .channels()
                .iter()
                .chain(self.b.channels().iter())
                .all(|(_, s)| *s == ChannelState::Idle)
    }
}

pub fn number(digits: &str) -> Number {
    Number::new(TypeOfNumber::Unknown0, NumberingPlan::IsdnTelephony, digits)
}

pub fn cause_of(m: &Message) -> Option<CauseValue> {
    m.find(|e| e.as_cause()).map(|c| c.cause_value)
}

pub fn cause(v: CauseValue) -> Cause {
    Cause::new(Location::User, v)
}

/// A message for a call reference as the far end would send it.
pub fn msg(t: MessageType, value: u16, flag: bool) -> Message {
    Message::new(t, CallReference::new(value, flag))
}

pub fn with(mut m: Message, ies: Vec<InformationElement>) -> Message {
    m.information_elements.extend(ies);
    m
}

/// The incoming call of the first IncomingCall event.
pub fn incoming(events: &[CallEvent]) -> CallId {
    events
        .iter()
        .find_map(|e| match e {
            CallEvent::IncomingCall(i) => Some(i.call),
            _ => None,
        })
        .expect("an incoming call")
}

/// The Cleared event of `call`.
pub fn cleared(events: &[CallEvent], call: CallId) -> Option<&CallEvent> {
    events
        .iter()
        .find(|e| matches!(e, CallEvent::Cleared { call: c, .. } if *c == call))
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}
