//! `Pair`: two MTP2 links facing each other over a simulated line, with a virtual clock (the
//! shape of quinn-proto's `tests/util.rs`).
//!
//! The line carries signal units at a bit rate (64 kbit/s: a unit of `len` octets takes
//! `(len + 2 FCS + 1 flag) * 8 / 64000` s) with a latency, and a `fate` function decides for
//! each unit whether it arrives, is lost, or arrives corrupted (reported to the receiver with
//! `handle_su_error`, as a shell does on a bad FCS). Each side sends the way its shell would:
//! `Serial` as soon as the previous unit is out (the line is always full), `Frames` only
//! when `needs_immediate_transmit()` says so, plus a fill-in unit every `fill_interval`.
//!
//! Each side has a little level 3: it takes events when `drain` is on, keeps received
//! messages, and can restart the link a while after it went out of service (the link
//! restoration of Q.704 12, with T17's delay). Everything is recorded in a ladder diagram.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::Duration;

use sipt_codecs::mtp2::{Body, LinkStatus, SignalUnit};
use sipt_mgc::ss7::l2::{L2ToL3, L3ToL2};
use sipt_mgc::ss7::mtp2::{LinkState, Mtp2, Mtp2Config};
use sipt_mgc::time::Instant;

/// Which way a unit goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    AtoB,
    BtoA,
}

/// What becomes of a unit on the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Deliver,
    /// Vanishes (the receiver sees nothing).
    Lose,
    /// Arrives damaged: the receiver's shell reports a signal unit in error.
    Corrupt,
}

/// How a side's shell paces the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxMode {
    /// A serial line: the next unit as soon as the previous one is out.
    Serial,
    /// A message transport: news at once, otherwise a fill-in every `fill_interval`.
    Frames { fill_interval: Duration },
}

/// The fate of each unit: direction, its index in that direction, its octets.
pub type FateFn = Box<dyn FnMut(Dir, u64, &[u8]) -> Fate>;

/// Changes a unit on the line: direction, octets.
pub type RewriteFn = Box<dyn FnMut(Dir, &mut Vec<u8>)>;

pub struct Side {
    pub name: &'static str,
    pub mtp2: Mtp2,
    pub mode: TxMode,
    /// The line is busy sending until then.
    tx_free_at: Instant,
    last_tx_at: Option<Instant>,
    /// Units on their way to this side: arrival time, octets (None: corrupted).
    inbound: VecDeque<(Instant, Option<Vec<u8>>)>,
    /// Level 3 takes events as they come.
    pub drain: bool,
    /// Level 3 starts the link again this long after it went out of service.
    pub restart_after: Option<Duration>,
    /// Level 3 asks for emergency proving before each start.
    pub emergency: bool,
    restart_at: Option<Instant>,
    /// Every event level 3 took, with its time.
    pub events: Vec<(Instant, L2ToL3)>,
    /// The messages received, in order.
    pub received: Vec<Vec<u8>>,
    /// Whether this side is attached to the line at all.
    pub attached: bool,
    pub units_sent: u64,
}

impl Side {
    fn new(name: &'static str, config: Mtp2Config) -> Self {
        Side {
            name,
            mtp2: Mtp2::new(config),
            mode: TxMode::Serial,
            tx_free_at: Instant::ZERO,
            last_tx_at: None,
            inbound: VecDeque::new(),
            drain: true,
            restart_after: None,
            emergency: false,
            restart_at: None,
            events: Vec::new(),
            received: Vec::new(),
            attached: true,
            units_sent: 0,
        }
    }

    /// A level 3 primitive (the test's own, outside the loop).
    pub fn l3(&mut self, now: Instant, primitive: L3ToL2) {
        self.mtp2
            .handle_l3(now, primitive)
            .expect("valid primitive");
    }

    pub fn state(&self) -> LinkState {
        self.mtp2.state()
    }

    /// When this side's shell sends next.
    fn next_tx(&self, now: Instant) -> Option<Instant> {
        if !self.attached {
            return None;
        }
        match self.mode {
            TxMode::Serial => Some(self.tx_free_at.max(now)),
            TxMode::Frames { fill_interval } => {
                if self.mtp2.needs_immediate_transmit() {
                    Some(self.tx_free_at.max(now))
                } else {
                    let fill = self.last_tx_at.map_or(now, |t| t + fill_interval);
                    Some(self.tx_free_at.max(fill))
                }
            }
        }
    }

    /// The times this side was told `event`.
    pub fn times_of(&self, event: &L2ToL3) -> Vec<Instant> {
        self.events
            .iter()
            .filter(|(_, e)| e == event)
            .map(|(t, _)| *t)
            .collect()
    }
}

/// The line between the two sides.
pub struct Line {
    pub latency: Duration,
    pub bits_per_second: u64,
}

impl Default for Line {
    fn default() -> Self {
        Line {
            latency: Duration::from_micros(500),
            bits_per_second: 64_000,
        }
    }
}

/// One line of the ladder diagram.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rung {
    Unit {
        at: Instant,
        dir: Dir,
        label: String,
        count: u64,
        fate: Fate,
    },
    Event {
        at: Instant,
        side: &'static str,
        text: String,
    },
}

pub struct Pair {
    pub time: Instant,
    pub a: Side,
    pub b: Side,
    pub line: Line,
    pub fate: FateFn,
    /// Changes units on the line (a misbehaving far end), before their fate.
    pub rewrite: Option<RewriteFn>,
    index: [u64; 2],
    /// Record every MSU in the ladder (not only changes of fill-in).
    pub ladder_msus: bool,
    rungs: Vec<Rung>,
    last: [Option<(String, Fate)>; 2],
}

impl Pair {
    pub fn new(config: Mtp2Config) -> Self {
        Pair {
            time: Instant::ZERO,
            a: Side::new("A", config.clone()),
            b: Side::new("B", config),
            line: Line::default(),
            fate: Box::new(|_, _, _| Fate::Deliver),
            rewrite: None,
            index: [0, 0],
            ladder_msus: true,
            rungs: Vec::new(),
            last: [None, None],
        }
    }

    pub fn default_itu() -> Self {
        Pair::new(Mtp2Config::default())
    }

    pub fn side(&mut self, name: &str) -> &mut Side {
        if name == "A" {
            &mut self.a
        } else {
            &mut self.b
        }
    }

    /// Start both links (level 3's Start) now.
    pub fn start_both(&mut self) {
        let now = self.time;
        for side in [&mut self.a, &mut self.b] {
            if side.emergency {
                side.l3(now, L3ToL2::Emergency);
            }
            side.l3(now, L3ToL2::Start);
        }
        self.note("A", "Start");
        self.note("B", "Start");
    }

    /// Adds a note to the ladder.
    pub fn note(&mut self, side: &'static str, text: &str) {
        self.rungs.push(Rung::Event {
            at: self.time,
            side,
            text: text.to_string(),
        });
    }

    fn next_event_time(&self) -> Option<Instant> {
        let now = self.time;
        let mut next: Option<Instant> = None;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n: Instant| n.min(t)));
            }
        };
        for side in [&self.a, &self.b] {
            consider(side.mtp2.poll_timeout());
            consider(side.inbound.front().map(|(t, _)| *t));
            consider(side.next_tx(now));
            consider(side.restart_at);
        }
        next
    }

    /// One step: advance the clock to the next thing that happens and do everything due.
    pub fn step(&mut self) {
        let Some(next) = self.next_event_time() else {
            return;
        };
        self.time = self.time.max(next);
        let now = self.time;
        let mut started = Vec::new();
        for side in [&mut self.a, &mut self.b] {
            side.mtp2.handle_timeout(now);
            if side.restart_at.is_some_and(|t| t <= now) {
                side.restart_at = None;
                if side.emergency {
                    side.l3(now, L3ToL2::Emergency);
                }
                side.l3(now, L3ToL2::Start);
                started.push(side.name);
            }
        }
        for name in started {
            self.note(name, "Start");
        }
        self.deliver(now);
        self.take_events();
        for dir in [Dir::AtoB, Dir::BtoA] {
            let (from, to) = match dir {
                Dir::AtoB => (&mut self.a, &mut self.b),
                Dir::BtoA => (&mut self.b, &mut self.a),
            };
            if from.next_tx(now).is_none_or(|t| t > now) {
                continue;
            }
            let mut octets = Vec::new();
            if !from.mtp2.poll_transmit(now, &mut octets) {
                continue;
            }
            from.units_sent += 1;
            let bits = (octets.len() as u64 + 3) * 8;
            let duration =
                Duration::from_nanos(bits * 1_000_000_000 / self.line.bits_per_second.max(1));
            from.tx_free_at = now + duration;
            from.last_tx_at = Some(now);
            if let Some(rewrite) = self.rewrite.as_mut() {
                rewrite(dir, &mut octets);
            }
            let k = dir as usize;
            let index = self.index[k];
            self.index[k] += 1;
            let fate = if to.attached {
                (self.fate)(dir, index, &octets)
            } else {
                Fate::Lose
            };
            let arrival = now + duration + self.line.latency;
            match fate {
                Fate::Deliver => to.inbound.push_back((arrival, Some(octets.clone()))),
                Fate::Corrupt => to.inbound.push_back((arrival, None)),
                Fate::Lose => {}
            }
            self.record(now, dir, &octets, fate);
        }
        self.take_events();
    }

    fn deliver(&mut self, now: Instant) {
        for side in [&mut self.a, &mut self.b] {
            while side.inbound.front().is_some_and(|(t, _)| *t <= now) {
                let Some((_, unit)) = side.inbound.pop_front() else {
                    break;
                };
                if !side.attached {
                    continue;
                }
                match unit {
                    Some(octets) => side.mtp2.handle_su(now, &octets),
                    None => side.mtp2.handle_su_error(now),
                }
            }
        }
    }

    /// Level 3 of each side takes its events.
    fn take_events(&mut self) {
        let now = self.time;
        let mut notes = Vec::new();
        for side in [&mut self.a, &mut self.b] {
            if !side.drain {
                continue;
            }
            while let Some(event) = side.mtp2.poll_event() {
                match &event {
                    L2ToL3::ReceivedMessage(m) => side.received.push(m.clone()),
                    L2ToL3::OutOfService(_) => {
                        if let Some(delay) = side.restart_after {
                            side.restart_at = Some(now + delay);
                        }
                        notes.push((side.name, format!("{event:?}")));
                    }
                    L2ToL3::Congestion(_) | L2ToL3::RetrievedMessage(_) => {}
                    _ => notes.push((side.name, format!("{event:?}"))),
                }
                side.events.push((now, event));
            }
        }
        for (side, text) in notes {
            self.rungs.push(Rung::Event {
                at: now,
                side,
                text,
            });
        }
    }

    fn record(&mut self, at: Instant, dir: Dir, octets: &[u8], fate: Fate) {
        let label = label(octets);
        let k = dir as usize;
        if label.starts_with("MSU") && !self.ladder_msus && fate == Fate::Deliver {
            self.last[k] = None;
            return;
        }
        if self.last[k].as_ref() == Some(&(label.clone(), fate)) {
            if let Some(Rung::Unit { count, .. }) = self
                .rungs
                .iter_mut()
                .rev()
                .find(|r| matches!(r, Rung::Unit { dir: d, .. } if *d == dir))
            {
                *count += 1;
            }
            return;
        }
        self.last[k] = Some((label.clone(), fate));
        self.rungs.push(Rung::Unit {
            at,
            dir,
            label,
            count: 1,
            fate,
        });
    }

    /// Steps until `at`.
    pub fn run_until(&mut self, at: Instant) {
        while self.time < at {
            let before = self.time;
            self.step();
            if self.time == before && self.next_event_time().is_none_or(|t| t > at) {
                break;
            }
        }
    }

    pub fn run_for(&mut self, duration: Duration) {
        let until = self.time + duration;
        self.run_until(until);
    }

    /// Steps until `done` holds or `limit` of simulated time passed; whether it held.
    pub fn run_until_cond(&mut self, limit: Duration, mut done: impl FnMut(&Pair) -> bool) -> bool {
        let until = self.time + limit;
        while self.time < until {
            if done(self) {
                return true;
            }
            self.step();
        }
        done(self)
    }

    /// Starts both sides and runs until both are in service.
    pub fn align(&mut self) -> Duration {
        let t0 = self.time;
        self.start_both();
        assert!(
            self.run_until_cond(Duration::from_secs(60), |p| {
                p.a.state() == LinkState::InService && p.b.state() == LinkState::InService
            }),
            "no alignment:\n{}",
            self.ladder()
        );
        self.time - t0
    }

    /// Runs until both are in service (already started); the time it took.
    pub fn align_from_here(&mut self) -> Duration {
        let t0 = self.time;
        assert!(
            self.run_until_cond(Duration::from_secs(60), |p| {
                p.a.state() == LinkState::InService && p.b.state() == LinkState::InService
            }),
            "no alignment:\n{}",
            self.ladder()
        );
        self.time - t0
    }

    /// The ladder diagram: one line per change of what a side sends (repeats counted), and
    /// what each level 3 was told.
    pub fn ladder(&self) -> String {
        let mut out = String::new();
        for rung in &self.rungs {
            match rung {
                Rung::Unit {
                    at,
                    dir,
                    label,
                    count,
                    fate,
                } => {
                    let label = match fate {
                        Fate::Deliver => label.clone(),
                        Fate::Lose => format!("{label} lost"),
                        Fate::Corrupt => format!("{label} bad"),
                    };
                    let label = match count {
                        1 => label,
                        n => format!("{label} x{n}"),
                    };
                    let line = match dir {
                        Dir::AtoB => format!("A --{label:-^24}-> B"),
                        Dir::BtoA => format!("A <-{label:-^24}-- B"),
                    };
                    let _ = writeln!(out, "{:>9.3}  {line}", secs(*at));
                }
                Rung::Event { at, side, text } => {
                    let _ = writeln!(out, "{:>9.3}  {side}: {text}", secs(*at));
                }
            }
        }
        out
    }

    /// The ladder without times, and with the repeat counts left out: what happened, in
    /// order.
    pub fn ladder_shape(&self) -> Vec<String> {
        self.rungs
            .iter()
            .map(|rung| match rung {
                Rung::Unit {
                    dir, label, fate, ..
                } => {
                    let arrow = match dir {
                        Dir::AtoB => "A->B",
                        Dir::BtoA => "B->A",
                    };
                    match fate {
                        Fate::Deliver => format!("{arrow} {label}"),
                        Fate::Lose => format!("{arrow} {label} lost"),
                        Fate::Corrupt => format!("{arrow} {label} corrupted"),
                    }
                }
                Rung::Event { side, text, .. } => format!("{side}: {text}"),
            })
            .collect()
    }
}

pub fn secs(t: Instant) -> f64 {
    t.as_nanos() as f64 / 1e9
}

/// A short name for a unit: its kind, and for MSUs its FSN, for FISUs its BSN/BIB/FIB.
pub fn label(octets: &[u8]) -> String {
    match SignalUnit::decode(octets) {
        Ok(su) => match su.body {
            Body::Fisu => format!("FISU {}{}/{}{}", su.bsn, bit(su.bib), su.fsn, bit(su.fib)),
            Body::Lssu(sf) => match sf.status {
                LinkStatus::Unknown(c) => format!("LSSU {c}"),
                s => s.name().unwrap_or("LSSU").to_string(),
            },
            Body::Msu { .. } => format!("MSU {}{}/{}{}", su.bsn, bit(su.bib), su.fsn, bit(su.fib)),
        },
        Err(_) => "?".to_string(),
    }
}

fn bit(b: bool) -> &'static str {
    if b {
        "+"
    } else {
        "-"
    }
}

/// A deterministic generator (splitmix64) for the tests' randomness.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `per_million` / 1e6.
    pub fn chance(&mut self, per_million: u32) -> bool {
        self.next_u64() % 1_000_000 < u64::from(per_million)
    }
}

/// A test MSU: SIO 0x03 (SNM... any), then the sender, the number, and some filler.
pub fn msu(from: u8, n: u32) -> Vec<u8> {
    let mut m = vec![0x83, from];
    m.extend_from_slice(&n.to_be_bytes());
    m.extend(std::iter::repeat_n(0xA5, (n % 40) as usize));
    m
}

/// Whether the unit is an MSU.
pub fn is_msu(octets: &[u8]) -> bool {
    octets.get(2).is_some_and(|li| li & 0x3f > 2)
}

/// Whether the unit is an LSSU with this status.
pub fn is_lssu(octets: &[u8], status: LinkStatus) -> bool {
    octets.len() >= 4 && octets[2] & 0x3f == 1 && octets[3] & 0x07 == status.code()
}
