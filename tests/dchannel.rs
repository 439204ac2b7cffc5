//! The real Q.921 and QSIG call control together ([`sipt_mgc::isdn::dchannel::DChannel`]):
//! a user side and a network side over a simulated D-channel establish the data link, and a
//! call with a calling name goes SETUP, CALL PROCEEDING, ALERTING, CONNECT, CONNECT ACK,
//! DISCONNECT, RELEASE, RELEASE COMPLETE; then the data link is lost mid-call and comes back.

use std::collections::VecDeque;
use std::time::Duration;

use sipt_codecs::q850::CauseValue;
use sipt_codecs::q921::Role;
use sipt_codecs::q931::Number;
use sipt_codecs::q931::{NumberingPlan, TypeOfNumber};
use sipt_codecs::qsig::Name;
use sipt_mgc::isdn::dchannel::DChannel;
use sipt_mgc::isdn::q921;
use sipt_mgc::qsig::{self, CallEvent, ConnectResponse, Response, SetupRequest, Side};
use sipt_mgc::time::Instant;

struct Pair {
    now: Instant,
    ends: [DChannel; 2],
    lines: [VecDeque<(Instant, Vec<u8>)>; 2],
    cut: bool,
    events: [Vec<CallEvent>; 2],
}

impl Pair {
    fn new() -> Pair {
        let end = |role: Role, side: Side| {
            DChannel::new(q921::Config::new(role), qsig::Config::new(side, 1..=30))
                .expect("valid config")
        };
        Pair {
            now: Instant::ZERO,
            ends: [
                end(Role::User, Side::User),
                end(Role::Network, Side::Network),
            ],
            lines: [VecDeque::new(), VecDeque::new()],
            cut: false,
            events: [Vec::new(), Vec::new()],
        }
    }

    fn run(&mut self, d: Duration) {
        let end = self.now + d;
        let mut buf = Vec::new();
        while self.now <= end {
            for side in 0..2 {
                while self.lines[side]
                    .front()
                    .is_some_and(|(at, _)| *at <= self.now)
                {
                    let (_, f) = self.lines[side].pop_front().expect("front");
                    self.ends[1 - side].handle_frame(self.now, &f);
                }
                self.ends[side].handle_timeout(self.now);
                loop {
                    buf.clear();
                    if !self.ends[side].poll_transmit(self.now, &mut buf) {
                        break;
                    }
                    if !self.cut {
                        self.lines[side]
                            .push_back((self.now + Duration::from_millis(5), buf.clone()));
                    }
                }
                while let Some(e) = self.ends[side].poll_event() {
                    self.events[side].push(e);
                }
            }
            self.now += Duration::from_millis(1);
        }
    }

    fn take(&mut self, side: usize) -> Vec<CallEvent> {
        std::mem::take(&mut self.events[side])
    }
}

fn names(events: &[CallEvent]) -> Vec<&'static str> {
    events
        .iter()
        .map(|e| match e {
            CallEvent::IncomingCall(_) => "incoming_call",
            CallEvent::Proceeding { .. } => "proceeding",
            CallEvent::Alerting { .. } => "alerting",
            CallEvent::Connected { .. } => "connected",
            CallEvent::ConnectAcknowledged { .. } => "connect_acknowledged",
            CallEvent::Disconnected { .. } => "disconnected",
            CallEvent::Cleared { .. } => "cleared",
            CallEvent::Restarted { .. } => "restarted",
            _ => "other",
        })
        .collect()
}

#[test]
fn a_call_over_the_real_data_link() {
    let mut p = Pair::new();
    let now = p.now;
    p.ends[0].start(now);
    p.run(Duration::from_millis(200));
    p.take(0);
    p.take(1);

    let mut req = SetupRequest::new(Number::new(
        TypeOfNumber::Unknown0,
        NumberingPlan::Private,
        "2001",
    ));
    req.calling = Some(Number::new(
        TypeOfNumber::Unknown0,
        NumberingPlan::Private,
        "1001",
    ));
    req.calling_name = Some(Name::allowed("Alice Smith"));
    let now = p.now;
    let call = p.ends[0]
        .with_calls(now, |c| c.setup(now, req))
        .expect("setup accepted");
    p.run(Duration::from_millis(50));
    let ev = p.take(1);
    let CallEvent::IncomingCall(inc) = &ev[0] else {
        panic!("no incoming call: {ev:?}")
    };
    assert_eq!(inc.called.as_ref().map(|n| n.digits.as_str()), Some("2001"));
    assert_eq!(
        inc.calling_name
            .as_ref()
            .and_then(|n| n.data())
            .map(|(d, _)| d.to_vec()),
        Some(b"Alice Smith".to_vec())
    );
    let theirs = inc.call;
    let now = p.now;
    p.ends[1]
        .with_calls(now, |c| {
            c.proceeding(now, theirs, Response::default())?;
            c.alerting(now, theirs, Response::default())?;
            c.connect(now, theirs, ConnectResponse::default())
        })
        .expect("answer");
    p.run(Duration::from_millis(50));
    assert_eq!(names(&p.take(0)), ["proceeding", "alerting", "connected"]);
    assert_eq!(names(&p.take(1)), ["connect_acknowledged"]);

    let now = p.now;
    p.ends[0]
        .with_calls(now, |c| {
            c.disconnect(now, call, CauseValue::NormalCallClearing)
        })
        .expect("disconnect");
    p.run(Duration::from_millis(50));
    assert_eq!(names(&p.take(0)), ["cleared"]);
    assert_eq!(names(&p.take(1)), ["disconnected", "cleared"]);
    assert_eq!(p.ends[0].lapd().stats().i_frames_retransmitted, 0);
}

#[test]
fn losing_the_data_link_clears_calls_being_set_up_and_it_comes_back() {
    let mut p = Pair::new();
    let now = p.now;
    p.ends[0].start(now);
    p.run(Duration::from_millis(200));
    let req = SetupRequest::new(Number::new(
        TypeOfNumber::Unknown0,
        NumberingPlan::Private,
        "2001",
    ));
    let now = p.now;
    p.ends[0]
        .with_calls(now, |c| c.setup(now, req))
        .expect("setup accepted");
    p.run(Duration::from_millis(50));
    p.take(0);
    p.take(1);
    // The line goes silent: T203/T200/N200 take the data link down (Q.921 5.6.7), and call
    // control clears the call that was not active (Q.931 5.8.9).
    p.cut = true;
    p.run(Duration::from_secs(20));
    assert!(names(&p.take(0)).contains(&"cleared"));
    assert!(names(&p.take(1)).contains(&"cleared"));
    // Back: the data link re-establishes and the channels are restarted.
    p.cut = false;
    let now = p.now;
    p.ends[0].start(now);
    p.run(Duration::from_secs(5));
    let ev = p.take(0);
    assert!(
        names(&ev).contains(&"restarted") || names(&p.take(1)).contains(&"restarted"),
        "{ev:?}"
    );
}
