//! Two signalling points (PC 1 = side A, PC 2 = side B), each an `Mtp3`, whose links are joined
//! by a small model of MTP level 2 that honours the primitives of `sipt_mgc::ss7::l2` with
//! Q.703's semantics, under simulated time:
//!
//! - Start: initial alignment; both ends in service after the longer of the two proving
//!   periods (Q.703 T4: normal 2^16 octets = 8.2 s, emergency 2^12 octets = 0.5 s at
//!   64 kbit/s) once both ends align over a working line; "alignment not possible" after
//!   [`ALIGNMENT_TIMEOUT`] otherwise. Start clears the buffers and the sequence numbers (127).
//! - Message for transmission: a 7-bit FSN, the retransmission buffer (at most 127
//!   unacknowledged, further messages wait in the transmission buffer), the line at 64 kbit/s
//!   plus [`LATENCY`], in-order delivery to the far end's MTP3 while both ends are in service,
//!   the acknowledgement (BSN) riding back on the next signal unit.
//! - Link failure on command: the line breaks, both ends go out of service at once, whatever
//!   is on the line is lost (still in the sender's retransmission buffer). Stop: the end goes
//!   out of service; the far end learns it from SIOS one line delay later.
//! - Retrieve BSNT (out of service only): the FSN of the last MSU accepted. Retrieval request
//!   and FSNC: every retransmission buffer entry after FSNC, then the transmission buffer, in
//!   order, then retrieval complete; the buffers are emptied.
//!
//! Swapping the real MTP2 in means replacing [`End`] and the frame delivery with two `Mtp2`s
//! joined by a line; the primitive plumbing (`to_l3`, `l2_command`) stays.

#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use sipt_codecs::mtp3::{Msu, ServiceIndicator, UserPart};
use sipt_mgc::ss7::l2::{L2ToL3, L3ToL2, LinkId, OutOfServiceReason};
use sipt_mgc::ss7::mtp3::{
    Config, Mtp3, Mtp3Event, TransferError, TransferIndication, TransferRequest,
};
use sipt_mgc::time::Instant;

pub const PROVING_NORMAL: Duration = Duration::from_millis(8200);
pub const PROVING_EMERGENCY: Duration = Duration::from_millis(500);
/// Q.703 T2 ("not aligned") and T3 ("aligned") in the model: alignment not possible after this.
pub const ALIGNMENT_TIMEOUT: Duration = Duration::from_secs(12);
pub const LATENCY: Duration = Duration::from_millis(5);
/// 64 kbit/s: 125 us per octet.
pub const OCTET_TIME: Duration = Duration::from_micros(125);
/// Flag, BSN/BIB, FSN/FIB, LI, FCS (2): the octets of a signal unit around its SIO and SIF.
pub const SU_OVERHEAD: usize = 6;

pub const A: usize = 0;
pub const B: usize = 1;
pub const NAMES: [&str; 2] = ["A", "B"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndState {
    OutOfService,
    Aligning { since: Instant },
    InService,
}

#[derive(Debug, Clone)]
enum Frame {
    Msu { fsn: u8, data: Vec<u8> },
    Ack { bsn: u8 },
    Sios,
}

#[derive(Debug, Clone)]
struct OnLine {
    /// When its transmission starts (before that it is still in the sender's hands) and when
    /// it arrives.
    start: Instant,
    arrive: Instant,
    seq: u64,
    frame: Frame,
}

/// One end of a link: what MTP2 keeps.
#[derive(Debug, Clone)]
pub struct End {
    pub state: EndState,
    pub emergency: bool,
    /// The FSN of the last MSU sent.
    pub last_fsn: u8,
    /// The FSN of the last MSU accepted (BSNT).
    pub bsnt: u8,
    /// Sent, not yet acknowledged.
    pub rtb: VecDeque<(u8, Vec<u8>)>,
    /// Not yet sent.
    pub tb: VecDeque<Vec<u8>>,
    pub busy_until: Instant,
    /// Test knobs.
    pub bsnt_retrievable: bool,
    pub retrieval_possible: bool,
    pub echo_stop: bool,
    pub remote_processor_outage: bool,
    /// MTP3 mistakes the model saw (message on an end out of service, FSNC outside the window).
    pub anomalies: Vec<String>,
}

impl End {
    fn new() -> Self {
        End {
            state: EndState::OutOfService,
            emergency: false,
            last_fsn: 127,
            bsnt: 127,
            rtb: VecDeque::new(),
            tb: VecDeque::new(),
            busy_until: Instant::ZERO,
            bsnt_retrievable: true,
            retrieval_possible: true,
            echo_stop: true,
            remote_processor_outage: false,
            anomalies: Vec::new(),
        }
    }

    fn reset_sequence(&mut self) {
        self.last_fsn = 127;
        self.bsnt = 127;
        self.rtb.clear();
        self.tb.clear();
    }
}

/// A link: two ends and the line between them.
#[derive(Debug, Clone)]
pub struct Link {
    pub ends: [End; 2],
    /// The line works.
    pub up: bool,
    /// In flight, per direction (index = sending end).
    line: [Vec<OnLine>; 2],
}

/// What a side's MTP3 sent that the tests look at: its own SNM and test messages.
#[derive(Debug, Clone)]
pub struct Sent {
    pub at: Instant,
    pub side: usize,
    pub link: LinkId,
    pub msu: Msu,
    pub bytes: Vec<u8>,
}

pub type Tamper = Box<dyn FnMut(usize, LinkId, &mut Vec<u8>) -> bool>;

pub struct Pair {
    pub now: Instant,
    pub sides: [Mtp3; 2],
    pub links: BTreeMap<LinkId, Link>,
    to_l3: [VecDeque<(LinkId, L2ToL3)>; 2],
    pub events: [Vec<(Instant, Mtp3Event)>; 2],
    pub received: [Vec<(Instant, TransferIndication)>; 2],
    pub sent: Vec<Sent>,
    /// Every command each side gave each link, for the tests that look at them.
    pub commands: Vec<(Instant, usize, LinkId, L3ToL2)>,
    seq: u64,
    /// Sees (and may change) every message a side hands to level 2; false drops it.
    pub tamper: Option<Tamper>,
    pub log: bool,
}

impl Pair {
    /// PC 1 and PC 2 with the same links.
    pub fn new(links: &[LinkId]) -> Pair {
        Pair::with_configs(
            Config::new(1, 2, links.to_vec()),
            Config::new(2, 1, links.to_vec()),
        )
    }

    pub fn with_configs(a: Config, b: Config) -> Pair {
        let mut links = BTreeMap::new();
        for &slc in &a.links {
            links.insert(
                slc,
                Link {
                    ends: [End::new(), End::new()],
                    up: true,
                    line: [Vec::new(), Vec::new()],
                },
            );
        }
        Pair {
            now: Instant::ZERO,
            sides: [
                Mtp3::new(a).expect("config A"),
                Mtp3::new(b).expect("config B"),
            ],
            links,
            to_l3: [VecDeque::new(), VecDeque::new()],
            events: [Vec::new(), Vec::new()],
            received: [Vec::new(), Vec::new()],
            sent: Vec::new(),
            commands: Vec::new(),
            seq: 0,
            tamper: None,
            log: std::env::var_os("MTP3_LOG").is_some(),
        }
    }

    /// Both sides activate their linksets.
    pub fn start(&mut self) {
        for s in [A, B] {
            self.sides[s].start(self.now);
        }
        self.settle();
    }

    pub fn end(&mut self, side: usize, slc: LinkId) -> &mut End {
        &mut self.links.get_mut(&slc).expect("link").ends[side]
    }

    /// A user of `side` sends a message on SLS `sls`.
    pub fn send(&mut self, side: usize, sls: u8, payload: Vec<u8>) -> Result<(), TransferError> {
        let r = self.sides[side].handle_user(
            self.now,
            TransferRequest::new(ServiceIndicator::Isup, sls, payload),
        );
        self.settle();
        r
    }

    /// Level 2 of `side` reports a message received on `slc` (as if the far end sent it).
    pub fn inject(&mut self, side: usize, slc: LinkId, bytes: Vec<u8>) {
        self.sides[side].handle_l2(self.now, slc, L2ToL3::ReceivedMessage(bytes));
        self.settle();
    }

    /// Level 2 of `side` reports an indication on `slc`.
    pub fn indicate(&mut self, side: usize, slc: LinkId, ind: L2ToL3) {
        self.to_l3[side].push_back((slc, ind));
        self.settle();
    }

    /// The line of `slc` breaks: both ends out of service, what is on the line is lost.
    pub fn fail_link(&mut self, slc: LinkId) {
        let now = self.now;
        let Some(link) = self.links.get_mut(&slc) else {
            return;
        };
        link.up = false;
        link.line = [Vec::new(), Vec::new()];
        for s in [A, B] {
            let end = &mut link.ends[s];
            if end.state == EndState::InService {
                end.state = EndState::OutOfService;
                self.to_l3[s].push_back((
                    slc,
                    L2ToL3::OutOfService(OutOfServiceReason::ErrorRateMonitor),
                ));
            }
            end.busy_until = end.busy_until.min(now);
        }
        self.settle();
    }

    /// Level 2 of `side` alone declares `slc` failed (its error rate monitor, say): it goes
    /// out of service and sends SIOS; the far end learns it one line delay later.
    pub fn fail_one_end(&mut self, side: usize, slc: LinkId) {
        let echo = self.end(side, slc).echo_stop;
        self.end(side, slc).echo_stop = false;
        self.l2_command(side, slc, L3ToL2::Stop);
        self.end(side, slc).echo_stop = echo;
        self.to_l3[side].push_back((
            slc,
            L2ToL3::OutOfService(OutOfServiceReason::ErrorRateMonitor),
        ));
        self.settle();
    }

    /// The line of `slc` works again (the ends realign when started).
    pub fn restore_link(&mut self, slc: LinkId) {
        if let Some(link) = self.links.get_mut(&slc) {
            link.up = true;
        }
        self.settle();
    }

    // ---- driving ----

    /// Runs every zero-time interaction at `now` to its end.
    pub fn settle(&mut self) {
        for _ in 0..1_000_000 {
            let mut progress = false;
            for s in [A, B] {
                while let Some((slc, cmd)) = self.sides[s].poll_l2() {
                    progress = true;
                    self.commands.push((self.now, s, slc, cmd.clone()));
                    self.l2_command(s, slc, cmd);
                }
                while let Some(ev) = self.sides[s].poll_event() {
                    progress = true;
                    if self.log {
                        eprintln!("{} {} event {:?}", self.now, NAMES[s], ev);
                    }
                    if let Mtp3Event::Transfer(t) = &ev {
                        self.received[s].push((self.now, t.clone()));
                    } else {
                        self.events[s].push((self.now, ev));
                    }
                }
                if let Some((slc, ind)) = self.to_l3[s].pop_front() {
                    progress = true;
                    if self.log && !matches!(ind, L2ToL3::ReceivedMessage(_)) {
                        eprintln!("{} {} L2 {} -> {:?}", self.now, NAMES[s], slc, ind);
                    }
                    self.sides[s].handle_l2(self.now, slc, ind);
                }
            }
            if !progress {
                return;
            }
        }
        panic!("no end to the interactions at {}", self.now);
    }

    fn next_deadline(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut at = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        for s in [A, B] {
            if let Some(t) = self.sides[s].poll_timeout() {
                at(t);
            }
        }
        for link in self.links.values() {
            for dir in &link.line {
                for f in dir {
                    at(f.arrive);
                }
            }
            for t in alignment_deadlines(link) {
                at(t);
            }
        }
        next
    }

    /// Runs until `end`.
    pub fn run_until(&mut self, end: Instant) {
        self.settle();
        for _ in 0..10_000_000 {
            match self.next_deadline() {
                Some(t) if t <= end => self.step_to(t.max(self.now)),
                _ => break,
            }
        }
        self.now = self.now.max(end);
        self.settle();
    }

    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        self.run_until(end);
    }

    /// Runs until `done` holds (checked after each step) or `limit` passes; true if it held.
    pub fn run_until_cond(&mut self, limit: Duration, mut done: impl FnMut(&Pair) -> bool) -> bool {
        let end = self.now + limit;
        self.settle();
        loop {
            if done(self) {
                return true;
            }
            match self.next_deadline() {
                Some(t) if t <= end => self.step_to(t.max(self.now)),
                _ => {
                    self.now = end;
                    self.settle();
                    return done(self);
                }
            }
        }
    }

    fn step_to(&mut self, t: Instant) {
        self.now = t;
        loop {
            if let Some((slc, dir)) = self.earliest_due_frame() {
                self.deliver_frame(slc, dir);
                self.settle();
                continue;
            }
            if self.alignment_step() {
                self.settle();
                continue;
            }
            break;
        }
        for s in [A, B] {
            self.sides[s].handle_timeout(self.now);
        }
        self.settle();
    }

    fn earliest_due_frame(&self) -> Option<(LinkId, usize)> {
        let mut best: Option<(Instant, u64, LinkId, usize)> = None;
        for (&slc, link) in &self.links {
            for (dir, line) in link.line.iter().enumerate() {
                for f in line {
                    if f.arrive <= self.now && best.is_none_or(|b| (f.arrive, f.seq) < (b.0, b.1)) {
                        best = Some((f.arrive, f.seq, slc, dir));
                    }
                }
            }
        }
        best.map(|b| (b.2, b.3))
    }

    fn deliver_frame(&mut self, slc: LinkId, dir: usize) {
        let now = self.now;
        let rx = 1 - dir;
        let Some(link) = self.links.get_mut(&slc) else {
            return;
        };
        let Some(pos) = link.line[dir]
            .iter()
            .enumerate()
            .filter(|(_, f)| f.arrive <= now)
            .min_by_key(|(_, f)| (f.arrive, f.seq))
            .map(|(i, _)| i)
        else {
            return;
        };
        let f = link.line[dir].remove(pos);
        if !link.up {
            return;
        }
        let end = &mut link.ends[rx];
        if end.state != EndState::InService {
            return;
        }
        match f.frame {
            Frame::Msu { fsn, data } => {
                if fsn != (end.bsnt + 1) & 0x7F {
                    end.anomalies
                        .push(format!("{now}: FSN {fsn} after {}", end.bsnt));
                    return;
                }
                end.bsnt = fsn;
                self.to_l3[rx].push_back((slc, L2ToL3::ReceivedMessage(data)));
                // The BSN goes back with the next signal unit of the receiving end.
                let start = end.busy_until.max(now);
                let arrive = start + OCTET_TIME * SU_OVERHEAD as u32 + LATENCY;
                self.seq += 1;
                link.line[rx].push(OnLine {
                    start,
                    arrive,
                    seq: self.seq,
                    frame: Frame::Ack { bsn: fsn },
                });
            }
            Frame::Ack { bsn } => {
                while let Some((fsn, _)) = end.rtb.front() {
                    // Acknowledged when within the window up to bsn.
                    let dist = bsn.wrapping_sub(*fsn) & 0x7F;
                    if usize::from(dist) < end.rtb.len() {
                        end.rtb.pop_front();
                    } else {
                        break;
                    }
                }
                self.pump(slc, rx);
            }
            Frame::Sios => {
                end.state = EndState::OutOfService;
                self.to_l3[rx]
                    .push_back((slc, L2ToL3::OutOfService(OutOfServiceReason::ReceivedSios)));
                drop_unsent(link, rx, now);
            }
        }
    }

    /// Moves messages from the transmission buffer to the line while the window allows.
    fn pump(&mut self, slc: LinkId, side: usize) {
        let now = self.now;
        let Some(link) = self.links.get_mut(&slc) else {
            return;
        };
        loop {
            let end = &mut link.ends[side];
            if end.state != EndState::InService
                || end.remote_processor_outage
                || end.rtb.len() >= 127
            {
                return;
            }
            let Some(data) = end.tb.pop_front() else {
                return;
            };
            let fsn = (end.last_fsn + 1) & 0x7F;
            end.last_fsn = fsn;
            end.rtb.push_back((fsn, data.clone()));
            let start = end.busy_until.max(now);
            let done = start + OCTET_TIME * (data.len() + SU_OVERHEAD) as u32;
            end.busy_until = done;
            self.seq += 1;
            if link.up {
                link.line[side].push(OnLine {
                    start,
                    arrive: done + LATENCY,
                    seq: self.seq,
                    frame: Frame::Msu { fsn, data },
                });
            }
        }
    }

    /// Completes an alignment or declares it impossible; true if something happened.
    fn alignment_step(&mut self) -> bool {
        let now = self.now;
        for (&slc, link) in self.links.iter_mut() {
            let (s0, s1) = (link.ends[0].state, link.ends[1].state);
            if let (EndState::Aligning { since: a }, EndState::Aligning { since: b }) = (s0, s1) {
                if link.up {
                    let p = proving(&link.ends[0]).max(proving(&link.ends[1]));
                    if a.max(b) + p <= now && a.max(b) + p <= a.min(b) + ALIGNMENT_TIMEOUT {
                        for s in [A, B] {
                            let end = &mut link.ends[s];
                            end.state = EndState::InService;
                            end.reset_sequence();
                            end.busy_until = now;
                            self.to_l3[s].push_back((slc, L2ToL3::InService));
                        }
                        return true;
                    }
                }
            }
            for s in [A, B] {
                if let EndState::Aligning { since } = link.ends[s].state {
                    if since + ALIGNMENT_TIMEOUT <= now {
                        link.ends[s].state = EndState::OutOfService;
                        self.to_l3[s].push_back((
                            slc,
                            L2ToL3::OutOfService(OutOfServiceReason::AlignmentNotPossible),
                        ));
                        return true;
                    }
                }
            }
        }
        false
    }

    fn l2_command(&mut self, side: usize, slc: LinkId, cmd: L3ToL2) {
        let now = self.now;
        if self.log {
            match &cmd {
                L3ToL2::Message(bytes) => match Msu::decode(bytes) {
                    Ok(m) if !matches!(m.user_part, UserPart::Other(_)) => {
                        eprintln!("{now} {} -> L{slc} {}", NAMES[side], describe(&m))
                    }
                    _ => {}
                },
                other => eprintln!("{now} {} -> L{slc} {other:?}", NAMES[side]),
            }
        }
        let Some(link) = self.links.get_mut(&slc) else {
            return;
        };
        let end = &mut link.ends[side];
        match cmd {
            L3ToL2::Start => {
                end.state = EndState::Aligning { since: now };
                end.reset_sequence();
                drop_unsent(link, side, now);
            }
            L3ToL2::Stop => {
                let was = end.state;
                end.state = EndState::OutOfService;
                drop_unsent(link, side, now);
                if was == EndState::InService && link.up {
                    // SIOS: the far end learns it after what is already on the line.
                    let behind = link.line[side].iter().map(|f| f.arrive).max();
                    let own = now + OCTET_TIME * SU_OVERHEAD as u32 + LATENCY;
                    self.seq += 1;
                    link.line[side].push(OnLine {
                        start: now,
                        arrive: behind.map_or(own, |b| b.max(own)),
                        seq: self.seq,
                        frame: Frame::Sios,
                    });
                }
                if was != EndState::OutOfService && link.ends[side].echo_stop {
                    self.to_l3[side]
                        .push_back((slc, L2ToL3::OutOfService(OutOfServiceReason::Stopped)));
                }
            }
            L3ToL2::Emergency => end.emergency = true,
            L3ToL2::EmergencyCeases => end.emergency = false,
            L3ToL2::Message(mut bytes) => {
                if let Ok(msu) = Msu::decode(&bytes) {
                    if !matches!(msu.user_part, UserPart::Other(_)) {
                        self.sent.push(Sent {
                            at: now,
                            side,
                            link: slc,
                            msu,
                            bytes: bytes.clone(),
                        });
                    }
                }
                if let Some(t) = self.tamper.as_mut() {
                    if !t(side, slc, &mut bytes) {
                        return;
                    }
                }
                let Some(link) = self.links.get_mut(&slc) else {
                    return;
                };
                let end = &mut link.ends[side];
                if end.state != EndState::InService {
                    end.anomalies
                        .push(format!("{now}: message for an end out of service"));
                    return;
                }
                end.tb.push_back(bytes);
                self.pump(slc, side);
            }
            L3ToL2::RetrieveBsnt => {
                let ind = if end.state == EndState::OutOfService && end.bsnt_retrievable {
                    L2ToL3::Bsnt(end.bsnt)
                } else {
                    L2ToL3::BsntNotRetrievable
                };
                self.to_l3[side].push_back((slc, ind));
            }
            L3ToL2::RetrievalRequestAndFsnc(fsnc) => {
                if end.state != EndState::OutOfService || !end.retrieval_possible {
                    self.to_l3[side].push_back((slc, L2ToL3::RetrievalNotPossible));
                    return;
                }
                // The retransmission buffer holds last_fsn - len + 1 ..= last_fsn; FSNC says
                // the far end accepted up to it.
                let base = end.last_fsn.wrapping_sub(end.rtb.len() as u8) & 0x7F;
                let k = usize::from(fsnc.wrapping_sub(base) & 0x7F);
                if k > end.rtb.len() {
                    end.anomalies.push(format!(
                        "{now}: FSNC {fsnc} outside the window after {base}"
                    ));
                    self.to_l3[side].push_back((slc, L2ToL3::RetrievalNotPossible));
                    return;
                }
                let rtb: Vec<_> = end.rtb.drain(..).skip(k).map(|(_, d)| d).collect();
                let tb: Vec<_> = end.tb.drain(..).collect();
                for d in rtb.into_iter().chain(tb) {
                    self.to_l3[side].push_back((slc, L2ToL3::RetrievedMessage(d)));
                }
                self.to_l3[side].push_back((slc, L2ToL3::RetrievalComplete));
            }
            L3ToL2::FlushBuffers => {
                end.rtb.clear();
                end.tb.clear();
            }
            L3ToL2::Continue | L3ToL2::LocalProcessorOutage | L3ToL2::LocalProcessorRecovered => {}
        }
    }

    // ---- looking at what happened ----

    /// Events of `side` (not transfers) since `from`.
    pub fn events_of(&self, side: usize) -> Vec<Mtp3Event> {
        self.events[side].iter().map(|(_, e)| e.clone()).collect()
    }

    pub fn has_event(&self, side: usize, f: impl Fn(&Mtp3Event) -> bool) -> bool {
        self.events[side].iter().any(|(_, e)| f(e))
    }

    /// SNM or test messages `side` sent, as short names ("COO", "SLTM", ...), with their link.
    pub fn sent_names(&self, side: usize) -> Vec<(LinkId, String)> {
        self.sent
            .iter()
            .filter(|s| s.side == side)
            .map(|s| (s.link, short(&s.msu)))
            .collect()
    }

    pub fn anomalies(&self) -> Vec<String> {
        let mut v = Vec::new();
        for (slc, link) in &self.links {
            for s in [A, B] {
                for a in &link.ends[s].anomalies {
                    v.push(format!("{} L{slc}: {a}", NAMES[s]));
                }
            }
        }
        v
    }
}

fn proving(end: &End) -> Duration {
    if end.emergency {
        PROVING_EMERGENCY
    } else {
        PROVING_NORMAL
    }
}

fn alignment_deadlines(link: &Link) -> Vec<Instant> {
    let mut v = Vec::new();
    let mut sinces = Vec::new();
    for end in &link.ends {
        if let EndState::Aligning { since } = end.state {
            v.push(since + ALIGNMENT_TIMEOUT);
            sinces.push(since);
        }
    }
    if let ([a, b], true) = (sinces.as_slice(), link.up) {
        let p = proving(&link.ends[0]).max(proving(&link.ends[1]));
        let done = (*a).max(*b) + p;
        if done <= (*a).min(*b) + ALIGNMENT_TIMEOUT {
            v.push(done);
        }
    }
    v
}

/// Frames of `side` whose transmission had not started are still in its hands: gone when it
/// leaves service.
fn drop_unsent(link: &mut Link, side: usize, now: Instant) {
    link.line[side].retain(|f| f.start <= now || matches!(f.frame, Frame::Sios));
    let end = &mut link.ends[side];
    end.busy_until = end.busy_until.min(now);
}

/// The name of an SNM or test message.
pub fn short(m: &Msu) -> String {
    match &m.user_part {
        UserPart::Snm(s) => serde_json::to_value(s)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or_else(|| "SNM?".into()),
        UserPart::Test(t) => serde_json::to_value(t)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or_else(|| "MTN?".into()),
        UserPart::Other(_) => "user".into(),
    }
}

pub fn describe(m: &Msu) -> String {
    format!(
        "{} dpc={} opc={} slc={} {:?}",
        short(m),
        m.label.dpc,
        m.label.opc,
        m.label.sls,
        m.user_part
    )
}

// ---- user traffic with sequence numbers ----

/// Numbered user messages: payload = CIC (2 octets, LSB first, as ISUP puts it) then the
/// sending side, the SLS and a 32-bit sequence number per side and SLS.
#[derive(Debug, Default)]
pub struct Traffic {
    next: [[u32; 16]; 2],
    /// Accepted by MTP3: (side, sls, seq, when).
    pub accepted: Vec<(usize, u8, u32, Instant)>,
    pub refused: u64,
}

impl Traffic {
    pub fn send(&mut self, pair: &mut Pair, side: usize, sls: u8) -> bool {
        let seq = self.next[side][usize::from(sls)];
        let mut payload = vec![sls, 0, side as u8, sls];
        payload.extend_from_slice(&seq.to_be_bytes());
        match pair.send(side, sls, payload) {
            Ok(()) => {
                self.next[side][usize::from(sls)] += 1;
                self.accepted.push((side, sls, seq, pair.now));
                true
            }
            Err(_) => {
                self.refused += 1;
                false
            }
        }
    }

    /// Checks what the far ends received: per sending side and SLS, increasing sequence
    /// numbers without repetition; every accepted message delivered, except those for which
    /// `may_lose(sending side, accepted at)` holds.
    pub fn check(
        &self,
        pair: &Pair,
        may_lose: impl Fn(usize, Instant) -> bool,
    ) -> Result<TrafficReport, String> {
        let mut report = TrafficReport::default();
        let mut got: BTreeMap<(usize, u8), Vec<u32>> = BTreeMap::new();
        for rx in [A, B] {
            for (_, t) in &pair.received[rx] {
                let p = &t.payload;
                if p.len() != 8 {
                    return Err(format!("unexpected payload {p:02x?}"));
                }
                let (side, sls) = (usize::from(p[2]), p[3]);
                if side != 1 - rx || sls != t.sls {
                    return Err(format!(
                        "message of {side} SLS {sls} arrived at {rx} with SLS {}",
                        t.sls
                    ));
                }
                let seq = u32::from_be_bytes([p[4], p[5], p[6], p[7]]);
                got.entry((side, sls)).or_default().push(seq);
            }
        }
        for ((side, sls), seqs) in &got {
            for w in seqs.windows(2) {
                if w[1] == w[0] {
                    return Err(format!(
                        "{} SLS {sls}: {} delivered twice",
                        NAMES[*side], w[0]
                    ));
                }
                if w[1] < w[0] {
                    return Err(format!(
                        "{} SLS {sls}: {} delivered after {}",
                        NAMES[*side], w[1], w[0]
                    ));
                }
            }
            report.delivered += seqs.len();
        }
        for &(side, sls, seq, at) in &self.accepted {
            let delivered = got
                .get(&(side, sls))
                .is_some_and(|v| v.binary_search(&seq).is_ok());
            if delivered {
                continue;
            }
            if !may_lose(side, at) {
                return Err(format!(
                    "{} SLS {sls}: message {seq} accepted at {at} never delivered",
                    NAMES[side]
                ));
            }
            report.lost += 1;
        }
        report.accepted = self.accepted.len();
        Ok(report)
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct TrafficReport {
    pub accepted: usize,
    pub delivered: usize,
    pub lost: usize,
}

/// Whether `side` had an MTP-PAUSE at or after `at`: the loss rule of the tests where the
/// whole linkset may go down.
pub fn paused_since(pair: &Pair, side: usize, at: Instant) -> bool {
    pair.events[side]
        .iter()
        .any(|(t, e)| matches!(e, Mtp3Event::Pause { .. }) && *t >= at)
}

/// The linkset of both sides carries user traffic.
pub fn both_available(p: &Pair) -> bool {
    p.sides.iter().all(|m| m.is_accessible(m.config().apc))
}
