//! The Pair harness of the ISUP tests (included by the other `isup_*` tests with `#[path]`):
//! two `Isup` machines, A with point code 1 and B with point code 2, wired back to back.
//! Every message goes through the codec on the way (encoded to octets by the sender's side,
//! decoded by `Isup::handle_octets` at the receiver), and time is simulated.
#![allow(dead_code)]

use sipt_codecs::isup::{
    BackwardCallIndicators, CalledNumberIndicators, CalledPartyNumber, CalledPartysStatus,
    CallingPartysCategory, CauseIndicators, CauseValue, CicMessage, ContinuityCheckIndicator,
    EventIndicator, EventInformation, ForwardCallIndicators, Location, Message, MessageType,
    NatureOfAddress, NatureOfConnectionIndicators, NumberingPlan, SubsequentNumber,
    SuspendResumeIndicators, TransmissionMedium,
};
use sipt_mgc::isup::{Config, Isup, IsupEvent, MtpIndication, ResetOnResume};
use sipt_mgc::time::Instant;
use std::collections::VecDeque;
use std::time::Duration;

/// Which machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    A,
    B,
}

impl End {
    pub fn other(self) -> End {
        match self {
            End::A => End::B,
            End::B => End::A,
        }
    }
}

/// One message on the wire: who sent it, its octets (CIC first).
#[derive(Debug, Clone)]
pub struct Hop {
    pub from: End,
    pub at: Instant,
    pub message: CicMessage,
    pub octets: Vec<u8>,
}

impl Hop {
    /// "A>B IAM 1"
    pub fn ladder(&self) -> String {
        let arrow = match self.from {
            End::A => "A>B",
            End::B => "B>A",
        };
        let t = self.message.message.message_type;
        let name = t
            .name()
            .map(str::to_string)
            .unwrap_or_else(|| format!("0x{:02x}", t.code()));
        format!("{arrow} {name} {}", self.message.cic)
    }
}

/// A predicate that decides whether a message in flight is lost.
pub type Loss = Box<dyn FnMut(&Hop) -> bool>;

pub struct Pair {
    pub a: Isup,
    pub b: Isup,
    pub now: Instant,
    /// Messages sent but not yet delivered, in order.
    pub wire: VecDeque<Hop>,
    /// Every message put on the wire (delivered or lost), in order.
    pub log: Vec<Hop>,
    pub a_events: Vec<IsupEvent>,
    pub b_events: Vec<IsupEvent>,
    pub loss: Option<Loss>,
    pub lost: usize,
}

/// The configuration of the tests: CICs 1-8, no reset on MTP-RESUME (tests that want it set
/// it), defaults otherwise.
pub fn config(opc: u32, dpc: u32) -> Config {
    let mut c = Config::new(opc, dpc, 1..=8);
    c.reset_on_resume = ResetOnResume::Never;
    c
}

impl Default for Pair {
    fn default() -> Self {
        Pair::new()
    }
}

impl Pair {
    /// A (PC 1) and B (PC 2) with CICs 1-8, MTP resumed at both.
    pub fn new() -> Pair {
        Pair::with(config(1, 2), config(2, 1))
    }

    pub fn with(a: Config, b: Config) -> Pair {
        let mut p = Pair::unresumed(a, b);
        p.a.handle_mtp(p.now, MtpIndication::Resume);
        p.b.handle_mtp(p.now, MtpIndication::Resume);
        p.drive();
        p.a_events.clear();
        p.b_events.clear();
        p.log.clear();
        p
    }

    /// The two machines as created: MTP not yet resumed.
    pub fn unresumed(a: Config, b: Config) -> Pair {
        Pair {
            a: Isup::new(a).expect("config A"),
            b: Isup::new(b).expect("config B"),
            now: Instant::ZERO,
            wire: VecDeque::new(),
            log: Vec::new(),
            a_events: Vec::new(),
            b_events: Vec::new(),
            loss: None,
            lost: 0,
        }
    }

    pub fn isup(&mut self, end: End) -> &mut Isup {
        match end {
            End::A => &mut self.a,
            End::B => &mut self.b,
        }
    }

    /// Moves what the machines want to send onto the wire, and their events into the lists.
    pub fn pump(&mut self) {
        for end in [End::A, End::B] {
            while let Some((sls, m)) = self.isup(end).poll_transmit() {
                assert_eq!(sls, (m.cic & 0x0f) as u8, "SLS = low bits of the CIC");
                let octets = m.to_bytes().expect("every message sent encodes");
                let hop = Hop {
                    from: end,
                    at: self.now,
                    message: m,
                    octets,
                };
                self.log.push(hop.clone());
                self.wire.push_back(hop);
            }
        }
        while let Some(e) = self.a.poll_event() {
            self.a_events.push(e);
        }
        while let Some(e) = self.b.poll_event() {
            self.b_events.push(e);
        }
    }

    /// Delivers (or loses) the first message on the wire; false when the wire is empty.
    pub fn deliver_one(&mut self) -> bool {
        self.pump();
        let Some(hop) = self.wire.pop_front() else {
            return false;
        };
        if let Some(loss) = self.loss.as_mut() {
            if loss(&hop) {
                self.lost += 1;
                return true;
            }
        }
        let now = self.now;
        let to = self.isup(hop.from.other());
        to.handle_octets(now, &hop.octets)
            .expect("every message sent decodes");
        self.pump();
        true
    }

    /// Delivers until nothing is in flight (bounded: a loop of messages fails the test).
    pub fn drive(&mut self) {
        for _ in 0..100_000 {
            if !self.deliver_one() {
                return;
            }
        }
        panic!("messages never stop");
    }

    /// Lets `d` pass: each timer fires at its deadline and what it sends is delivered at once.
    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        self.drive();
        loop {
            let next = [self.a.poll_timeout(), self.b.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    let now = self.now;
                    self.a.handle_timeout(now);
                    self.b.handle_timeout(now);
                    self.drive();
                }
                _ => break,
            }
        }
        self.now = end;
    }

    /// Lets `d` pass with nothing delivered: the timers fire at their deadlines and what they
    /// send stays on the wire behind what is already there (a slow or blocked link).
    pub fn elapse(&mut self, d: Duration) {
        let end = self.now + d;
        self.pump();
        while let Some(t) = [self.a.poll_timeout(), self.b.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .filter(|&t| t <= end)
        {
            self.now = self.now.max(t);
            let now = self.now;
            self.a.handle_timeout(now);
            self.b.handle_timeout(now);
            self.pump();
        }
        self.now = end;
    }

    pub fn secs(&mut self, s: u64) {
        self.advance(Duration::from_secs(s));
    }

    /// The ladder of the messages logged since the last `clear_log`.
    pub fn ladder(&self) -> Vec<String> {
        self.log.iter().map(Hop::ladder).collect()
    }

    pub fn clear_log(&mut self) {
        self.log.clear();
    }

    /// The messages logged of one type and direction.
    pub fn sent(&self, from: End, t: MessageType) -> Vec<&Hop> {
        self.log
            .iter()
            .filter(|h| h.from == from && h.message.message.message_type == t)
            .collect()
    }

    pub fn take_a(&mut self) -> Vec<IsupEvent> {
        self.pump();
        std::mem::take(&mut self.a_events)
    }

    pub fn take_b(&mut self) -> Vec<IsupEvent> {
        self.pump();
        std::mem::take(&mut self.b_events)
    }

    /// Hands `message` to the machine `to` as if the other end had sent it (for messages the
    /// other machine would never send).
    pub fn inject(&mut self, to: End, message: CicMessage) {
        let octets = message.to_bytes().expect("injected message encodes");
        let now = self.now;
        self.isup(to).handle_octets(now, &octets).expect("decodes");
        self.pump();
    }

    /// Loses every message for which `f` is true from now on.
    pub fn lose(&mut self, f: impl FnMut(&Hop) -> bool + 'static) {
        self.loss = Some(Box::new(f));
    }

    pub fn no_loss(&mut self) {
        self.loss = None;
    }
}

/// A loss predicate for one direction and message type.
pub fn drop_type(from: End, t: MessageType) -> impl FnMut(&Hop) -> bool {
    move |h: &Hop| h.from == from && h.message.message.message_type == t
}

// ---- messages ----

pub fn called(digits: &str) -> CalledPartyNumber {
    CalledPartyNumber::from_digits(
        NatureOfAddress::NationalNumber,
        CalledNumberIndicators::default().with_numbering_plan(NumberingPlan::IsdnTelephony),
        digits,
    )
    .expect("digits")
}

pub fn iam(digits: &str) -> Message {
    Message::iam(
        NatureOfConnectionIndicators::default(),
        ForwardCallIndicators::default().with_isdn_user_part_all_the_way(true),
        CallingPartysCategory::OrdinarySubscriber,
        TransmissionMedium::Speech,
        called(digits),
    )
}

pub fn iam_with_continuity(digits: &str, which: ContinuityCheckIndicator) -> Message {
    Message::iam(
        NatureOfConnectionIndicators::default().with_continuity_check_indicator(which),
        ForwardCallIndicators::default(),
        CallingPartysCategory::OrdinarySubscriber,
        TransmissionMedium::Speech,
        called(digits),
    )
}

pub fn sam(digits: &str) -> Message {
    Message::sam(SubsequentNumber::new(
        sipt_codecs::isup::Digits::parse(digits).expect("digits"),
    ))
}

pub fn acm() -> Message {
    Message::acm(
        BackwardCallIndicators::default()
            .with_called_partys_status(CalledPartysStatus::SubscriberFree),
    )
}

pub fn con() -> Message {
    Message::con(BackwardCallIndicators::default())
}

pub fn anm() -> Message {
    Message::bare(MessageType::Anm)
}

pub fn cpg(e: EventIndicator) -> Message {
    Message::cpg(EventInformation::default().with_event_indicator(e))
}

pub fn cause(v: CauseValue) -> CauseIndicators {
    CauseIndicators::new(Location::User, v)
}

pub fn sus(network: bool) -> Message {
    Message::suspend_resume(
        MessageType::Sus,
        SuspendResumeIndicators::default().with_network_initiated(network),
    )
}

pub fn res(network: bool) -> Message {
    Message::suspend_resume(
        MessageType::Res,
        SuspendResumeIndicators::default().with_network_initiated(network),
    )
}

/// The cause value of a logged message (REL, CFN, RLC).
pub fn cause_of(h: &Hop) -> Option<u8> {
    h.message
        .message
        .cause_indicators()
        .map(|c| c.cause_value().code())
}

/// The diagnostics of a logged message's cause.
pub fn diagnostics_of(h: &Hop) -> Vec<u8> {
    h.message
        .message
        .cause_indicators()
        .map(|c| c.diagnostics.to_vec())
        .unwrap_or_default()
}

#[test]
fn the_pair_starts_quiet() {
    let mut p = Pair::new();
    assert!(p.ladder().is_empty());
    assert!(p.a.is_available_for_outgoing(1));
    p.secs(3600);
    assert!(p.ladder().is_empty());
}
