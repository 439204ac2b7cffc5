//! A `Pair` of LAPD data links, user side and network side, joined by a simulated line with a
//! virtual clock, a latency, and rules that lose or corrupt chosen frames; every frame is kept
//! as a rung of a ladder diagram (the shape of quinn-proto's `tests/util.rs`).

#![allow(dead_code)]

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::Duration;

use sipt_codecs::q921::{CommandResponse, Control, Frame, Role, SupervisoryFunction};
use sipt_mgc::isdn::q921::{Config, DlEvent, Lapd};
use sipt_mgc::time::Instant;

/// What happens to one frame on the line.
pub enum Fate {
    Deliver,
    Lose,
    /// Delivered with these octets instead (a corruption the FCS did not catch).
    Replace(Vec<u8>),
}

/// A frame on the line, as the rules see it.
pub struct Wire<'a> {
    pub from: Role,
    /// How many frames this side sent before this one.
    pub index: usize,
    pub frame: Option<&'a Frame>,
    pub octets: &'a [u8],
}

type Matcher = Box<dyn FnMut(&Wire<'_>) -> bool>;
type Mutator = Box<dyn FnMut(&[u8]) -> Vec<u8>>;
/// Decides the fate of a frame.
pub type FateFn = Box<dyn FnMut(&Wire<'_>) -> Fate>;

struct Rule {
    from: Role,
    matcher: Matcher,
    remaining: usize,
    mutate: Option<Mutator>,
}

/// One frame of the ladder diagram.
#[derive(Debug, Clone)]
pub struct Rung {
    pub at: Instant,
    pub from: Role,
    /// The frame in short form, e.g. `SABME P`, `I(0,0)`, `RR(1)F`.
    pub frame: String,
    pub lost: bool,
    pub corrupted: bool,
}

impl Rung {
    /// `U>N SABME P`, with ` (lost)` / ` (corrupted)` when the line did that.
    pub fn text(&self) -> String {
        let dir = match self.from {
            Role::User => "U>N",
            Role::Network => "N>U",
        };
        let mut s = format!("{dir} {}", self.frame);
        if self.lost {
            s.push_str(" (lost)");
        }
        if self.corrupted {
            s.push_str(" (corrupted)");
        }
        s
    }
}

/// The short form of a frame sent by `sender`.
pub fn describe(frame: &Frame, sender: Role) -> String {
    let command = frame.command_response(sender) == CommandResponse::Command;
    match frame.control {
        Control::I { n_s, n_r, p } => format!("I({n_s},{n_r}){}", if p { "P" } else { "" }),
        Control::S { function, n_r, pf } => {
            let name = match function {
                SupervisoryFunction::Rr => "RR",
                SupervisoryFunction::Rnr => "RNR",
                SupervisoryFunction::Rej => "REJ",
                SupervisoryFunction::Unknown(_) => "S?",
            };
            // Commands are marked P (poll) or c; responses F (final) or nothing.
            let mark = match (command, pf) {
                (true, true) => "P",
                (true, false) => "c",
                (false, true) => "F",
                (false, false) => "",
            };
            format!("{name}({n_r}){mark}")
        }
        Control::U { function, pf } => {
            let mark = match (command, pf) {
                (true, true) => " P",
                (false, true) => " F",
                _ => "",
            };
            format!("{}{mark}", function.name())
        }
    }
}

/// One side: its data link and what it told its layer 3.
pub struct Side {
    pub lapd: Lapd,
    pub events: Vec<(Instant, DlEvent)>,
    sent: usize,
}

impl Side {
    /// The DL-DATA-indications received, in order.
    pub fn data(&self) -> Vec<Vec<u8>> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                DlEvent::DataIndication(d) => Some(d.clone()),
                _ => None,
            })
            .collect()
    }

    /// The events other than DL-DATA-indications, in order.
    pub fn primitives(&self) -> Vec<DlEvent> {
        self.events
            .iter()
            .filter(|(_, e)| !matches!(e, DlEvent::DataIndication(_)))
            .map(|(_, e)| e.clone())
            .collect()
    }
}

pub struct Pair {
    pub now: Instant,
    pub user: Side,
    pub network: Side,
    /// One-way delay of the line.
    pub latency: Duration,
    /// Both directions dead (the far end unplugged): everything is lost.
    pub line_down: bool,
    /// One direction dead.
    pub silent: Option<Role>,
    /// Decides the fate of frames no rule claims (random loss in property tests).
    pub fate: Option<FateFn>,
    rules: Vec<Rule>,
    in_flight: VecDeque<(Instant, Role, Vec<u8>)>,
    pub ladder: Vec<Rung>,
}

impl Default for Pair {
    fn default() -> Self {
        Pair::new(Config::new(Role::User), Config::new(Role::Network))
    }
}

impl Pair {
    pub fn new(user: Config, network: Config) -> Pair {
        Pair {
            now: Instant::ZERO,
            user: Side {
                lapd: Lapd::new(user).unwrap(),
                events: Vec::new(),
                sent: 0,
            },
            network: Side {
                lapd: Lapd::new(network).unwrap(),
                events: Vec::new(),
                sent: 0,
            },
            latency: Duration::from_millis(10),
            line_down: false,
            silent: None,
            fate: None,
            rules: Vec::new(),
            in_flight: VecDeque::new(),
            ladder: Vec::new(),
        }
    }

    pub fn side(&mut self, role: Role) -> &mut Side {
        match role {
            Role::User => &mut self.user,
            Role::Network => &mut self.network,
        }
    }

    /// Loses the next `count` frames from `from` that `matcher` picks.
    pub fn lose(
        &mut self,
        from: Role,
        count: usize,
        matcher: impl FnMut(&Wire<'_>) -> bool + 'static,
    ) {
        self.rules.push(Rule {
            from,
            matcher: Box::new(matcher),
            remaining: count,
            mutate: None,
        });
    }

    /// Replaces the octets of the next frame from `from` that `matcher` picks.
    pub fn corrupt(
        &mut self,
        from: Role,
        matcher: impl FnMut(&Wire<'_>) -> bool + 'static,
        mutate: impl FnMut(&[u8]) -> Vec<u8> + 'static,
    ) {
        self.rules.push(Rule {
            from,
            matcher: Box::new(matcher),
            remaining: 1,
            mutate: Some(Box::new(mutate)),
        });
    }

    /// Hands a frame straight to `to`, as if the peer had sent it now (an injected frame).
    pub fn inject(&mut self, to: Role, octets: &[u8]) {
        let from = to.peer();
        let frame = Frame::decode(octets)
            .map(|f| describe(&f, from))
            .unwrap_or_else(|_| format!("{octets:02x?}"));
        self.ladder.push(Rung {
            at: self.now,
            from,
            frame: format!("{frame} (injected)"),
            lost: false,
            corrupted: false,
        });
        let now = self.now;
        self.side(to).lapd.handle_frame(now, octets);
        self.flush();
    }

    /// Collects what both sides want to send and tell.
    pub fn flush(&mut self) {
        for role in [Role::User, Role::Network] {
            loop {
                let now = self.now;
                let mut out = Vec::new();
                if !self.side(role).lapd.poll_transmit(now, &mut out) {
                    break;
                }
                let index = self.side(role).sent;
                self.side(role).sent += 1;
                self.put_on_line(role, index, out);
            }
            loop {
                let now = self.now;
                let Some(e) = self.side(role).lapd.poll_event() else {
                    break;
                };
                self.side(role).events.push((now, e));
            }
        }
    }

    fn put_on_line(&mut self, from: Role, index: usize, octets: Vec<u8>) {
        let frame = Frame::decode(&octets).ok();
        let wire = Wire {
            from,
            index,
            frame: frame.as_ref(),
            octets: &octets,
        };
        let mut fate = Fate::Deliver;
        let mut claimed = false;
        for rule in self.rules.iter_mut() {
            if rule.remaining > 0 && rule.from == from && (rule.matcher)(&wire) {
                rule.remaining -= 1;
                fate = match rule.mutate.as_mut() {
                    Some(m) => Fate::Replace(m(&octets)),
                    None => Fate::Lose,
                };
                claimed = true;
                break;
            }
        }
        if !claimed {
            if let Some(f) = self.fate.as_mut() {
                fate = f(&wire);
            }
        }
        if self.line_down || self.silent == Some(from) {
            fate = Fate::Lose;
        }
        let text = frame
            .as_ref()
            .map(|f| describe(f, from))
            .unwrap_or_else(|| format!("{octets:02x?}"));
        let mut rung = Rung {
            at: self.now,
            from,
            frame: text,
            lost: false,
            corrupted: false,
        };
        match fate {
            Fate::Deliver => self
                .in_flight
                .push_back((self.now + self.latency, from, octets)),
            Fate::Lose => rung.lost = true,
            Fate::Replace(o) => {
                rung.corrupted = true;
                self.in_flight.push_back((self.now + self.latency, from, o));
            }
        }
        self.ladder.push(rung);
    }

    /// The next time something happens: a frame arrives or a timer expires.
    pub fn next_event(&self) -> Option<Instant> {
        let arrival = self.in_flight.front().map(|(t, _, _)| *t);
        [
            arrival,
            self.user.lapd.poll_timeout(),
            self.network.lapd.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Advances to the next event and handles it; false when nothing is pending.
    pub fn step(&mut self) -> bool {
        self.flush();
        let Some(next) = self.next_event() else {
            return false;
        };
        self.now = self.now.max(next);
        while let Some((at, _, _)) = self.in_flight.front() {
            if *at > self.now {
                break;
            }
            let Some((_, from, octets)) = self.in_flight.pop_front() else {
                break;
            };
            let now = self.now;
            self.side(from.peer()).lapd.handle_frame(now, &octets);
            self.flush();
        }
        let now = self.now;
        self.user.lapd.handle_timeout(now);
        self.network.lapd.handle_timeout(now);
        self.flush();
        true
    }

    /// Runs until `until` (handling everything due by then), and sets the clock to it.
    pub fn run_until(&mut self, until: Instant) {
        self.flush();
        while self.next_event().is_some_and(|t| t <= until) {
            self.step();
        }
        self.now = self.now.max(until);
    }

    /// Runs for `d` of simulated time.
    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        self.run_until(until);
    }

    /// Runs until `done` holds (checked after every step) or `limit` of simulated time has
    /// passed; whether `done` held.
    pub fn drive_until(&mut self, limit: Duration, mut done: impl FnMut(&Pair) -> bool) -> bool {
        let until = self.now + limit;
        self.flush();
        loop {
            if done(self) {
                return true;
            }
            match self.next_event() {
                Some(t) if t <= until => {
                    self.step();
                }
                _ => {
                    self.now = self.now.max(until);
                    return done(self);
                }
            }
        }
    }

    /// The ladder as `U>N SABME P` lines, from rung `from` on.
    pub fn rungs_from(&self, from: usize) -> Vec<String> {
        self.ladder.iter().skip(from).map(Rung::text).collect()
    }

    /// The whole ladder.
    pub fn rungs(&self) -> Vec<String> {
        self.rungs_from(0)
    }

    /// The ladder drawn for people (printed by tests run with `--nocapture`).
    pub fn diagram(&self) -> String {
        let mut s = String::from("      time   user                          network\n");
        for r in &self.ladder {
            let mut text = r.frame.clone();
            if r.lost {
                text.push_str(" (lost)");
            }
            if r.corrupted {
                text.push_str(" (corrupted)");
            }
            let line = match r.from {
                Role::User => format!("   |---- {text:<20} --->|"),
                Role::Network => format!("   |<--- {text:<20} ----|"),
            };
            let _ = writeln!(s, "{:>10}{line}", r.at.to_string());
        }
        s
    }

    /// Sends DL-DATA-requests on `role`'s side now.
    pub fn send(&mut self, role: Role, messages: impl IntoIterator<Item = Vec<u8>>) {
        let now = self.now;
        for m in messages {
            self.side(role).lapd.data(now, m).unwrap();
        }
        self.flush();
    }

    /// Establishes from the user side and checks both sides are in multiple frame operation.
    pub fn establish(&mut self) {
        let now = self.now;
        self.user.lapd.establish(now);
        let up = self.drive_until(Duration::from_secs(1), |p| {
            p.user.lapd.state().is_established() && p.network.lapd.state().is_established()
        });
        assert!(up, "no establishment:\n{}", self.diagram());
    }
}

/// Numbered messages `tag`, `tag+1`, ...: 4 octets, big-endian.
pub fn messages(first: u32, count: u32) -> Vec<Vec<u8>> {
    (first..first + count)
        .map(|n| n.to_be_bytes().to_vec())
        .collect()
}

/// Whether a wire frame is an I frame with N(S) = `n_s`.
pub fn is_i(w: &Wire<'_>, n_s: u8) -> bool {
    matches!(w.frame, Some(Frame { control: Control::I { n_s: s, .. }, .. }) if *s == n_s)
}

/// Whether a wire frame is a supervisory frame of `function`.
pub fn is_s(w: &Wire<'_>, function: SupervisoryFunction) -> bool {
    matches!(w.frame, Some(Frame { control: Control::S { function: f, .. }, .. }) if *f == function)
}
