//! Property: whatever the interleaving of commands on both sides, message loss, data link
//! failures and timer expiries, once the users hang up everything and the timers run out,
//! every B-channel of both sides is idle or in maintenance, no call is left, and every call
//! was reported cleared exactly once. Between steps, each side's channel table agrees with its
//! calls.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use proptest::prelude::*;
use sipt_codecs::q931::{
    CauseValue, CodingStandard, Location, Number, NumberingPlan, ProgressDescription,
    ProgressIndicator, TypeOfNumber,
};
use sipt_codecs::qsig::{self, Facility, Name};
use sipt_mgc::qsig::{
    CallEvent, CallId, ChannelRequest, ChannelState, Config, ConnectResponse, DlIndication,
    InformationRequest, QsigCalls, Response, RestartScope, SetupRequest, Side,
};
use sipt_mgc::time::Instant;

#[derive(Debug, Clone)]
enum Command {
    Setup(u8, u8),
    SetupAcknowledge,
    Proceeding,
    Alerting,
    Connect,
    Reject,
    Disconnect,
    Information,
    Progress,
    Facility,
    StatusEnquiry,
    Restart(Option<u8>),
}

#[derive(Debug, Clone)]
enum Action {
    /// A command on side 0 or 1, on its call number `n` (modulo its calls).
    Do(usize, usize, Command),
    /// Deliver the next message sent by side 0 or 1.
    Deliver(usize),
    /// Lose the next message sent by side 0 or 1.
    Lose(usize),
    /// Move time on, firing timers.
    Wait(u64),
    /// The D-channel fails (both sides learn it; frames in flight are lost).
    LinkDown,
    LinkUp,
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        3 => (0u8..3, 1u8..5).prop_map(|(k, c)| Command::Setup(k, c)),
        1 => Just(Command::SetupAcknowledge),
        2 => Just(Command::Proceeding),
        2 => Just(Command::Alerting),
        5 => Just(Command::Connect),
        1 => Just(Command::Reject),
        2 => Just(Command::Disconnect),
        1 => Just(Command::Information),
        1 => Just(Command::Progress),
        1 => Just(Command::Facility),
        1 => Just(Command::StatusEnquiry),
        1 => proptest::option::weighted(0.8, 1u8..5).prop_map(Command::Restart),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        24 => (0usize..2, 0usize..4, command()).prop_map(|(s, n, c)| Action::Do(s, n, c)),
        32 => (0usize..2).prop_map(Action::Deliver),
        3 => (0usize..2).prop_map(Action::Lose),
        6 => prop_oneof![3 => 1u64..500, 1 => 1000u64..10_000, 1 => 20_000u64..200_000]
            .prop_map(Action::Wait),
        1 => Just(Action::LinkDown),
        2 => Just(Action::LinkUp),
    ]
}

struct Net {
    sides: [QsigCalls; 2],
    now: Instant,
    flight: [VecDeque<Vec<u8>>; 2],
    link_up: bool,
    created: [BTreeSet<CallId>; 2],
    cleared: [BTreeMap<CallId, usize>; 2],
}

fn number(d: &str) -> Number {
    Number::new(TypeOfNumber::Unknown0, NumberingPlan::IsdnTelephony, d)
}

impl Net {
    fn new() -> Net {
        // Four B-channels: collisions and exhaustion are frequent.
        let mut n = Net {
            sides: [
                QsigCalls::new(Config::new(Side::Network, 1..=4)),
                QsigCalls::new(Config::new(Side::User, 1..=4)),
            ],
            now: Instant::ZERO,
            flight: [VecDeque::new(), VecDeque::new()],
            link_up: false,
            created: [BTreeSet::new(), BTreeSet::new()],
            cleared: [BTreeMap::new(), BTreeMap::new()],
        };
        n.link_up_both();
        // The restarts of the link's establishment.
        while !n.flight[0].is_empty() || !n.flight[1].is_empty() {
            n.deliver(0);
            n.deliver(1);
        }
        n
    }

    fn link_up_both(&mut self) {
        if !self.link_up {
            self.link_up = true;
            for s in &mut self.sides {
                s.handle_dl(self.now, DlIndication::EstablishIndication);
            }
            self.pump();
        }
    }

    fn link_down_both(&mut self) {
        if self.link_up {
            self.link_up = false;
            self.flight = [VecDeque::new(), VecDeque::new()];
            for s in &mut self.sides {
                s.handle_dl(self.now, DlIndication::ReleaseIndication);
            }
            self.pump();
        }
    }

    /// Collects what each side sent and reported, and checks each side's invariants.
    fn pump(&mut self) {
        for i in 0..2 {
            while let Some(o) = self.sides[i].poll_transmit() {
                if self.link_up {
                    self.flight[i].push_back(o);
                }
            }
            while let Some(e) = self.sides[i].poll_event() {
                match e {
                    CallEvent::IncomingCall(inc) => {
                        assert!(self.created[i].insert(inc.call), "call id reused");
                    }
                    CallEvent::Cleared { call, .. } => {
                        *self.cleared[i].entry(call).or_default() += 1;
                    }
                    _ => {}
                }
            }
            self.check(i);
        }
    }

    /// Each B-channel's state agrees with the calls (one call per channel, and back).
    fn check(&self, i: usize) {
        let s = &self.sides[i];
        let calls = s.calls();
        for (ch, st) in s.channels() {
            if let ChannelState::Busy(c) = st {
                assert!(
                    calls.contains(&c),
                    "side {i}: channel {ch} held by gone {c}"
                );
                assert_eq!(s.call_channel(c), Some(ch), "side {i}: {c}");
            }
        }
        for c in calls {
            if let Some(ch) = s.call_channel(c) {
                assert_eq!(s.channel_state(ch), Some(ChannelState::Busy(c)), "side {i}");
            }
        }
    }

    fn deliver(&mut self, from: usize) {
        if let Some(o) = self.flight[from].pop_front() {
            self.sides[1 - from].handle_dl(self.now, DlIndication::DataIndication(o));
        }
        self.pump();
    }

    fn wait(&mut self, ms: u64) {
        let until = self.now + Duration::from_millis(ms);
        loop {
            let next = self.sides.iter().filter_map(|s| s.poll_timeout()).min();
            match next {
                Some(t) if t <= until => {
                    self.now = self.now.max(t);
                    for s in &mut self.sides {
                        s.handle_timeout(self.now);
                    }
                    self.pump();
                }
                _ => break,
            }
        }
        self.now = until;
    }

    fn command(&mut self, i: usize, n: usize, c: &Command) {
        let now = self.now;
        let calls = self.sides[i].calls();
        let call = if calls.is_empty() {
            None
        } else {
            calls.get(n % calls.len()).copied()
        };
        let s = &mut self.sides[i];
        let pi = ProgressIndicator {
            coding_standard: CodingStandard::ItuT,
            location: Location::PrivateNetworkLocalUser,
            progress_description: ProgressDescription::InBandInformationAvailable,
        };
        // Refusals (wrong state, no channel, link down) are part of the game.
        let _ = match (c, call) {
            (Command::Setup(kind, ch), _) => {
                let mut r = SetupRequest::new(number("123"));
                r.channel = match kind {
                    0 => ChannelRequest::Any,
                    1 => ChannelRequest::Preferred(*ch),
                    _ => ChannelRequest::Exclusive(*ch),
                };
                r.sending_complete = ch % 2 == 0;
                r.calling_name = Some(Name::allowed("P"));
                s.setup(now, r).map(|id| {
                    self.created[i].insert(id);
                })
            }
            (Command::Restart(ch), _) => s.restart(
                now,
                ch.map_or(RestartScope::Interface, |c| RestartScope::Channels(vec![c])),
            ),
            (_, None) => Ok(()),
            (Command::SetupAcknowledge, Some(id)) => {
                s.setup_acknowledge(now, id, Response::default())
            }
            (Command::Proceeding, Some(id)) => s.proceeding(now, id, Response::default()),
            (Command::Alerting, Some(id)) => s.alerting(
                now,
                id,
                Response {
                    progress: Some(pi),
                    ..Response::default()
                },
            ),
            (Command::Connect, Some(id)) => s.connect(
                now,
                id,
                ConnectResponse {
                    connected_name: Some(Name::allowed("Q")),
                    ..ConnectResponse::default()
                },
            ),
            (Command::Reject, Some(id)) => s.reject(now, id, CauseValue::UserBusy),
            (Command::Disconnect, Some(id)) => {
                s.disconnect(now, id, CauseValue::NormalCallClearing)
            }
            (Command::Information, Some(id)) => s.information(
                now,
                id,
                InformationRequest {
                    called: Some(number("4")),
                    sending_complete: n % 2 == 0,
                    ..InformationRequest::default()
                },
            ),
            (Command::Progress, Some(id)) => s.progress(now, id, pi, Vec::new()),
            (Command::Facility, Some(id)) => {
                match Facility::invoke(qsig::calling_name(1, Name::allowed("F"))) {
                    Ok(f) => s.facility(now, id, vec![f]),
                    Err(_) => Ok(()),
                }
            }
            (Command::StatusEnquiry, Some(id)) => s.status_enquiry(now, id),
        };
        self.pump();
    }

    /// The users hang up everything, the link comes back, messages flow without loss and the
    /// timers run out.
    fn settle(&mut self) {
        self.link_up_both();
        for _ in 0..200 {
            for i in 0..2 {
                for call in self.sides[i].calls() {
                    let _ =
                        self.sides[i].disconnect(self.now, call, CauseValue::NormalCallClearing);
                }
            }
            self.pump();
            while !self.flight[0].is_empty() || !self.flight[1].is_empty() {
                self.deliver(0);
                self.deliver(1);
            }
            let next = self.sides.iter().filter_map(|s| s.poll_timeout()).min();
            match next {
                Some(t) => {
                    self.now = self.now.max(t);
                    for s in &mut self.sides {
                        s.handle_timeout(self.now);
                    }
                    self.pump();
                }
                None if self.sides.iter().all(|s| s.calls().is_empty()) => return,
                None => {}
            }
        }
        panic!("never settles");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn channels_end_idle_or_in_maintenance(actions in proptest::collection::vec(action(), 1..80)) {
        let mut net = Net::new();
        for a in &actions {
            match a {
                Action::Do(s, n, c) => net.command(*s, *n, c),
                Action::Deliver(s) => net.deliver(*s),
                Action::Lose(s) => {
                    net.flight[*s].pop_front();
                }
                Action::Wait(ms) => net.wait(*ms),
                Action::LinkDown => net.link_down_both(),
                Action::LinkUp => net.link_up_both(),
            }
        }
        net.settle();
        for i in 0..2 {
            let s = &net.sides[i];
            prop_assert!(s.calls().is_empty());
            prop_assert_eq!(s.poll_timeout(), None);
            for (ch, st) in s.channels() {
                prop_assert!(
                    matches!(st, ChannelState::Idle | ChannelState::Maintenance),
                    "side {} channel {} {:?}", i, ch, st
                );
            }
            for c in &net.created[i] {
                prop_assert_eq!(net.cleared[i].get(c).copied(), Some(1), "side {} {}", i, c);
            }
            prop_assert_eq!(net.cleared[i].len(), net.created[i].len());
        }
    }
}

/// A message-shaped input: a Q.931 header (call reference 1..4, either flag, or global) and
/// arbitrary octets after the message type.
fn input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        (
            0u8..5,
            any::<bool>(),
            prop_oneof![
                Just(0x01u8),
                Just(0x02),
                Just(0x03),
                Just(0x05),
                Just(0x07),
                Just(0x0d),
                Just(0x0f),
                Just(0x45),
                Just(0x46),
                Just(0x4d),
                Just(0x4e),
                Just(0x5a),
                Just(0x62),
                Just(0x6e),
                Just(0x75),
                Just(0x7b),
                Just(0x7d),
                any::<u8>()
            ],
            proptest::collection::vec(any::<u8>(), 0..30),
        )
            .prop_map(|(cr, flag, t, rest)| {
                let mut v = vec![0x08, 0x02, if flag { 0x80 } else { 0 }, cr, t];
                v.extend(rest);
                v
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// No input panics the layer or breaks its channel bookkeeping, whatever the call states.
    #[test]
    fn any_input_is_handled(inputs in proptest::collection::vec(input(), 1..20)) {
        let mut net = Net::new();
        // Calls in a few states on side 1: outgoing (reference 1, 2) and incoming.
        net.command(1, 0, &Command::Setup(0, 1));
        net.command(1, 0, &Command::Setup(2, 2));
        net.command(0, 0, &Command::Setup(0, 1));
        net.deliver(0);
        net.deliver(1);
        net.deliver(1);
        net.command(0, 0, &Command::Connect);
        for i in inputs {
            net.sides[1].handle_dl(net.now, DlIndication::DataIndication(i));
            net.pump();
            net.wait(1000);
        }
        net.settle();
        for s in &net.sides {
            prop_assert!(s.calls().is_empty());
        }
    }
}
