//! The gateway core under load, in memory (the load goals: 1000 calls/s, 20 000 concurrent
//! calls, < 8 KiB per call, p99 added latency < 1 ms). The rig of tests/gateway_calls.rs on a
//! larger scale: a [`Gateway`] with six ISUP trunks of 4000 circuits (ITU-T CICs have 12
//! bits, Q.763 1.2, so 20 000 circuits need several relations), a far exchange per trunk
//! (an [`Isup`] with the point codes swapped) and one far [`UserAgent`] that answers every
//! INVITE with 180 and then 200 with SDP. Simulated time, no sockets, one thread; messages
//! are delivered at once.
//!
//! Every call is the whole ladder, PSTN to SIP (RFC 3398 8): IAM -> INVITE -> 180 -> ACM ->
//! 200 -> ANM (+ ACK) ... REL -> BYE -> 200 -> RLC, through the real ISUP machines, the
//! real interworking and the real SIP stack (octets encoded and parsed at every hop).
//!
//! - `ladder`: calls/s sustained. One call after the other, the simulated clock advancing
//!   1 ms per call (1000 calls/s of simulated traffic, so that the transactions that linger
//!   after a call — timers K, J and M, up to 64·T1 = 32 s on UDP — pile up as they would at
//!   that load). Figures: calls/s of the whole rig (both far ends included) and of the
//!   gateway alone (wall time inside `Gateway` methods only), run once with no call held and
//!   once with 20 000 answered calls held: the per-call cost must not grow with them.
//! - `held`: 20 000 answered calls set up and held; the gateway's memory per call. A counting
//!   global allocator gives the live heap; the gateway's part is what dropping it frees (so
//!   the far ends, whose memory is interleaved, are not counted; the whole process's figure
//!   is printed too), compared with (1) a new gateway with no call, and (2) a gateway that
//!   has carried the same traffic and then released every call: (1) includes the room the
//!   hash maps keep from their busiest moment (tens of thousands of transactions lingering at
//!   1000 calls/s), (2) is what the calls themselves hold.
//! - `latency`: with the 20 000 calls held, the time from `Gateway::handle_isup(IAM)` until
//!   the INVITE comes out of `Gateway::poll_sip_transmit` (interworking, routing, the UA and
//!   the INVITE's encoding), p50 / p99 / max over the probe calls (each then completed and
//!   released, so that the number held stays 20 000).
//!
//! A plain `harness = false` program (as benches/sip_stack.rs: percentiles and a memory
//! figure do not fit criterion): `cargo bench --bench gateway`; `GWBENCH_HELD=N` changes the
//! number of calls held. Under `cargo test --benches` it runs a small version as a smoke
//! test. It asserts that no call failed and that each phase left what it should.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sipt_codecs::isup::{
    CalledNumberIndicators, CalledPartyNumber, CallingPartysCategory, CauseIndicators, CauseValue,
    CicMessage, ForwardCallIndicators, Message, NatureOfAddress, NatureOfConnectionIndicators,
    NumberingPlan, TransmissionMedium,
};
use sipt_codecs::q850::Location;
use sipt_mgc::config::Config;
use sipt_mgc::gateway::{Gateway, GatewayEvent};
use sipt_mgc::isup::{Config as IsupConfig, Isup, MtpIndication};
use sipt_mgc::sip::transport::{Target, TransportKind};
use sipt_mgc::sip::ua::{CallHandle, Outgoing, UaConfig, UaEvent, UserAgent};
use sipt_mgc::time::Instant;

// ------------------------------------------------------------------ counting allocator

/// The system allocator, counting the bytes asked for and given back.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static FREED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded as is to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        FREED.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded as is to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded as is to the system allocator.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        FREED.fetch_add(layout.size(), Ordering::Relaxed);
        ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
        // SAFETY: forwarded as is to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The bytes of the heap in use now.
fn live() -> usize {
    ALLOCATED
        .load(Ordering::Relaxed)
        .saturating_sub(FREED.load(Ordering::Relaxed))
}

// ------------------------------------------------------------------ the rig

const TRUNKS: usize = 6;
const CICS_PER_TRUNK: u16 = 4000;
const GW: ([u8; 4], u16) = ([192, 0, 2, 1], 5060);
const FAR: ([u8; 4], u16) = ([192, 0, 2, 9], 5060);
const SDP: &[u8] = b"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";

fn config() -> String {
    let mut c = String::from("[sip]\nlisten = [\"udp:192.0.2.1:5060\"]\ntrusted = []\n");
    for t in 0..TRUNKS {
        let _ = write!(
            c,
            "\n[[link]]\nname = \"e1-{t}\"\nprotocol = \"isup\"\ntransport = \"frames\"\n\
             path = \"unix:/nonexistent-{t}\"\nopc = 1\ndpc = {}\ncics = \"1-{CICS_PER_TRUNK}\"\n\
             trunk_group = \"pstn\"\n",
            t + 2
        );
    }
    c.push_str("\n[[route]]\nprefix = \"49\"\nto = \"sip:{number}@192.0.2.9:5060\"\n");
    c
}

fn iam(called: &str) -> Message {
    let cpn = CalledPartyNumber::from_digits(
        NatureOfAddress::NationalNumber,
        CalledNumberIndicators::default().with_numbering_plan(NumberingPlan::IsdnTelephony),
        called,
    )
    .expect("number");
    Message::iam(
        NatureOfConnectionIndicators::default(),
        ForwardCallIndicators::default().with_isdn_user_part_all_the_way(true),
        CallingPartysCategory::from_code(10),
        TransmissionMedium::Speech,
        cpn,
    )
}

/// A circuit: (trunk, CIC); circuit `i` of the rig.
fn circuit(i: usize) -> (usize, u16) {
    let per = usize::from(CICS_PER_TRUNK);
    (i / per % TRUNKS, (i % per) as u16 + 1)
}

struct Rig {
    now: Instant,
    gw: Option<Gateway>,
    pstn: Vec<Isup>,
    far: UserAgent,
    /// Wall time spent inside the gateway's methods.
    in_gw: Duration,
    answered: u64,
    ended: u64,
    failed: u64,
    /// SIP octets from the gateway not yet given to the far UA.
    to_far: VecDeque<Outgoing>,
    /// Calls the far UA has sent 180 for, to answer.
    ringing: Vec<CallHandle>,
}

impl Rig {
    fn new() -> Rig {
        let config = Config::parse(Path::new("gateway.toml"), &config()).expect("config");
        let gw = Gateway::new(
            &config,
            UaConfig::new("192.0.2.1", 5060, TransportKind::Udp),
            1,
        )
        .expect("gateway");
        let pstn = (0..TRUNKS)
            .map(|t| {
                Isup::new(IsupConfig::new(t as u32 + 2, 1, 1..=CICS_PER_TRUNK))
                    .expect("far exchange")
            })
            .collect();
        let far = UserAgent::new(UaConfig::new("192.0.2.9", 5060, TransportKind::Udp), 9);
        let mut rig = Rig {
            now: Instant::ZERO,
            gw: Some(gw),
            pstn,
            far,
            in_gw: Duration::ZERO,
            answered: 0,
            ended: 0,
            failed: 0,
            to_far: VecDeque::new(),
            ringing: Vec::new(),
        };
        let now = rig.now;
        for t in 0..TRUNKS {
            rig.pstn[t].handle_mtp(now, MtpIndication::Resume);
            rig.gw().handle_mtp(now, t, MtpIndication::Resume);
        }
        // The group resets (GRS/GRA) of the resume.
        rig.advance(Duration::from_millis(100));
        rig
    }

    fn gw(&mut self) -> &mut Gateway {
        self.gw
            .as_mut()
            .expect("the gateway is there until dropped")
    }

    /// Runs `f` on the gateway, adding its wall time to `in_gw`.
    fn timed<R>(&mut self, f: impl FnOnce(&mut Gateway) -> R) -> R {
        let t = std::time::Instant::now();
        let r = f(self.gw.as_mut().expect("gateway"));
        self.in_gw += t.elapsed();
        r
    }

    /// Delivers everything in flight until nothing moves; the far UA answers every INVITE
    /// with 180 and 200.
    fn deliver(&mut self) {
        let (gw_addr, far_addr) = (SocketAddr::from(GW), SocketAddr::from(FAR));
        let now = self.now;
        loop {
            let mut moved = false;
            while let Some((t, _, m)) = self.timed(|g| g.poll_isup_transmit()) {
                moved = true;
                self.pstn[t].handle_message(now, m);
            }
            for t in 0..TRUNKS {
                while let Some((_, m)) = self.pstn[t].poll_transmit() {
                    moved = true;
                    self.timed(|g| g.handle_isup(now, t, m));
                }
                while self.pstn[t].poll_event().is_some() {}
            }
            while let Some(o) = self.timed(|g| g.poll_sip_transmit()) {
                self.to_far.push_back(o);
            }
            while let Some(o) = self.to_far.pop_front() {
                moved = true;
                if o.target.addr == far_addr {
                    let src = Target::new(TransportKind::Udp, gw_addr);
                    self.far.handle_received(now, &o.bytes, src, None);
                }
            }
            while let Some(o) = self.far.poll_transmit() {
                moved = true;
                if o.target.addr == gw_addr {
                    let src = Target::new(TransportKind::Udp, far_addr);
                    self.timed(|g| g.handle_sip(now, &o.bytes, src, None));
                }
            }
            while let Some(e) = self.far.poll_event() {
                moved = true;
                match e {
                    UaEvent::Incoming { call, .. } => {
                        // 180 now (reliable: the gateway's INVITE supports 100rel, RFC
                        // 3262), 200 once the 180 and its PRACK have gone through.
                        let _ = self.far.respond(now, call, 180, "Ringing", None);
                        self.ringing.push(call);
                    }
                    UaEvent::Ended { call, .. } => self.far.forget(call),
                    _ => {}
                }
            }
            while let Some(e) = self.timed(|g| g.poll_event()) {
                moved = true;
                match e {
                    GatewayEvent::CallAnswered { .. } => self.answered += 1,
                    e @ (GatewayEvent::Refused { .. } | GatewayEvent::SipDiscarded { .. }) => {
                        panic!("unexpected: {e:?}")
                    }
                    GatewayEvent::CallEnded { answered, .. } => {
                        self.ended += 1;
                        if !answered {
                            self.failed += 1;
                        }
                    }
                    _ => {}
                }
            }
            if !moved {
                if self.ringing.is_empty() {
                    return;
                }
                for call in std::mem::take(&mut self.ringing) {
                    let sdp = Some(("application/sdp", SDP.to_vec()));
                    let _ = self.far.respond(now, call, 200, "OK", sdp);
                }
            }
        }
    }

    /// Lets `d` of simulated time pass, firing every timer on the way.
    fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            self.deliver();
            let gw_next = self.timed(|g| g.poll_timeout());
            let next = self
                .pstn
                .iter()
                .map(Isup::poll_timeout)
                .chain([gw_next, self.far.poll_timeout()])
                .flatten()
                .filter(|t| *t <= end)
                .min();
            let Some(t) = next else {
                self.now = end;
                self.deliver();
                return;
            };
            self.now = self.now.max(t);
            let now = self.now;
            if gw_next.is_some_and(|x| x <= now) {
                self.timed(|g| g.handle_timeout(now));
            }
            for p in &mut self.pstn {
                if p.poll_timeout().is_some_and(|x| x <= now) {
                    p.handle_timeout(now);
                }
            }
            if self.far.poll_timeout().is_some_and(|x| x <= now) {
                self.far.handle_timeout(now);
            }
        }
    }

    /// Places a call from the far exchange on circuit `i` and delivers it to the end (answered).
    /// Returns the time from `handle_isup(IAM)` to the INVITE out of `poll_sip_transmit`.
    fn place(&mut self, i: usize) -> Duration {
        let (t, cic) = circuit(i);
        let now = self.now;
        self.pstn[t]
            .setup(now, cic, iam(&format!("4930{:06}", i % 1_000_000)))
            .expect("IAM");
        let mut first: Option<CicMessage> = None;
        while let Some((_, m)) = self.pstn[t].poll_transmit() {
            match first {
                None => first = Some(m),
                Some(_) => self.timed(|g| g.handle_isup(now, t, m)),
            }
        }
        let m = first.expect("the far exchange sent the IAM");
        let start = std::time::Instant::now();
        let gw = self.gw.as_mut().expect("gateway");
        gw.handle_isup(now, t, m);
        let mut latency = None;
        while let Some(o) = gw.poll_sip_transmit() {
            let invite = o.bytes.starts_with(b"INVITE ");
            self.to_far.push_back(o);
            if invite {
                latency = Some(start.elapsed());
                break;
            }
        }
        let latency = latency.expect("an INVITE for the IAM");
        self.in_gw += latency;
        self.deliver();
        latency
    }

    /// The far exchange releases the call on circuit `i` (REL, cause 16).
    fn release(&mut self, i: usize) {
        let (t, cic) = circuit(i);
        let cause = CauseIndicators::new(Location::User, CauseValue::from_code(16));
        self.pstn[t].release(self.now, cic, cause).expect("REL");
        self.deliver();
    }

    /// What dropping the gateway frees: its heap.
    fn drop_gateway(&mut self) -> usize {
        let before = live();
        self.gw = None;
        before.saturating_sub(live())
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// `n` whole calls one after the other on circuits from `first` (1 ms of simulated time
/// apart, 0 ms held), then what lingers runs out. Returns (calls/s of the rig, calls/s of
/// the gateway alone, setup latencies).
fn ladder(rig: &mut Rig, first: usize, n: usize) -> (f64, f64, Vec<Duration>) {
    let (ended0, failed0) = (rig.ended, rig.failed);
    let in_gw0 = rig.in_gw;
    let mut lat = Vec::with_capacity(n);
    let start = std::time::Instant::now();
    for k in 0..n {
        let i = first + k % 2000;
        lat.push(rig.place(i));
        rig.release(i);
        rig.advance(Duration::from_millis(1));
    }
    let wall = start.elapsed();
    let gw_time = rig.in_gw - in_gw0;
    assert_eq!(rig.ended - ended0, n as u64, "every call ended");
    assert_eq!(rig.failed, failed0, "no call failed");
    lat.sort();
    (
        n as f64 / wall.as_secs_f64(),
        n as f64 / gw_time.as_secs_f64(),
        lat,
    )
}

fn main() {
    let measure = std::env::args().any(|a| a == "--bench");
    let held: usize = std::env::var("GWBENCH_HELD")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if measure { 20_000 } else { 500 });
    let held = held.min(TRUNKS * usize::from(CICS_PER_TRUNK) - 2000);
    let calls = if measure { 20_000 } else { 300 };
    println!(
        "gateway core in memory, one thread, simulated time; {TRUNKS} trunks x {CICS_PER_TRUNK} circuits; \
         each call IAM/INVITE/180/ACM/200/ANM/ACK/REL/BYE/200/RLC"
    );

    // ladder, no call held
    let mut rig = Rig::new();
    let probe_base = TRUNKS * usize::from(CICS_PER_TRUNK) - 2000;
    let (rig_rate, gw_rate, lat) = ladder(&mut rig, probe_base, calls);
    rig.advance(Duration::from_secs(40));
    println!(
        "ladder, 0 held:      {rig_rate:8.0} calls/s (rig, both far ends included), {gw_rate:8.0} calls/s (gateway alone); \
         IAM->INVITE p50 {:.1} us p99 {:.1} us",
        us(percentile(&lat, 0.5)),
        us(percentile(&lat, 0.99)),
    );
    assert_eq!(rig.gw().calls(), 0, "no call left after the ladder");
    assert_eq!(
        rig.gw().ua().calls(),
        0,
        "no SIP call left in the gateway's UA"
    );
    assert_eq!(rig.far.calls(), 0, "no SIP call left in the far UA");
    drop(rig);

    // held: baseline gateway memory with no call
    let mut empty = Rig::new();
    let base_total = live();
    let gw_empty = empty.drop_gateway();
    drop(empty);
    let _ = base_total;

    let mut rig = Rig::new();
    let total0 = live();
    let start = std::time::Instant::now();
    for i in 0..held {
        rig.place(i);
        rig.advance(Duration::from_millis(1));
    }
    let setup_wall = start.elapsed();
    // Past every transaction's end (64·T1 = 32 s; timer D 32 s): only the calls remain.
    rig.advance(Duration::from_secs(40));
    assert_eq!(rig.answered as usize, held, "every held call answered");
    assert_eq!(rig.gw().calls(), held, "the gateway holds them");
    let total_held = live().saturating_sub(total0);
    println!(
        "held: {held} answered calls set up in {:.2} s ({:.0} calls/s); gateway UA: {} calls, {} transactions",
        setup_wall.as_secs_f64(),
        held as f64 / setup_wall.as_secs_f64(),
        rig.gw().ua().calls(),
        rig.gw().ua().transactions(),
    );

    // ladder and latency with the calls held
    let (rig_rate_h, gw_rate_h, lat_h) = ladder(&mut rig, probe_base, calls);
    println!(
        "ladder, {held} held: {rig_rate_h:8.0} calls/s (rig), {gw_rate_h:8.0} calls/s (gateway alone); \
         gateway per-call cost {:+.1} % against 0 held",
        (gw_rate / gw_rate_h - 1.0) * 100.0
    );
    println!(
        "latency, {held} held, IAM in -> INVITE out ({} calls): p50 {:.1} us, p99 {:.1} us, max {:.1} us",
        lat_h.len(),
        us(percentile(&lat_h, 0.5)),
        us(percentile(&lat_h, 0.99)),
        us(lat_h.last().copied().unwrap_or_default()),
    );
    rig.advance(Duration::from_secs(40));
    assert_eq!(rig.gw().calls(), held, "still {held} held");
    let gw_held = rig.drop_gateway();
    drop(rig);
    let per_call = gw_held.saturating_sub(gw_empty) as f64 / held.max(1) as f64;

    // The same history, then every call released and run out: what the calls themselves
    // hold, without the room the maps (calls, transactions) keep from their busiest moment.
    let mut rig = Rig::new();
    for i in 0..held {
        rig.place(i);
        rig.advance(Duration::from_millis(1));
    }
    rig.advance(Duration::from_secs(40));
    let _ = ladder(&mut rig, probe_base, calls);
    for i in 0..held {
        rig.release(i);
    }
    rig.advance(Duration::from_secs(40));
    assert_eq!(rig.gw().calls(), 0, "every call released");
    assert_eq!(
        rig.gw().ua().calls(),
        0,
        "no SIP call left in the gateway's UA"
    );
    let gw_after = rig.drop_gateway();
    let net = gw_held.saturating_sub(gw_after) as f64 / held.max(1) as f64;
    println!(
        "memory: gateway {:.1} MiB with {held} calls, {:.1} MiB new, {:.1} MiB after the same traffic with every call \
         released: {per_call:.0} bytes/call ({:.2} KiB) against new, {net:.0} bytes/call ({:.2} KiB) held by the calls \
         themselves; whole process (gateway + far exchanges + far UA) {:.0} bytes/call",
        gw_held as f64 / 1048576.0,
        gw_empty as f64 / 1048576.0,
        gw_after as f64 / 1048576.0,
        per_call / 1024.0,
        net / 1024.0,
        total_held as f64 / held.max(1) as f64,
    );
    let goals = [
        (
            "1000 calls/s (gateway alone, 20k held)",
            gw_rate_h >= 1000.0,
        ),
        (
            "p99 IAM->INVITE < 1 ms",
            percentile(&lat_h, 0.99) < Duration::from_millis(1),
        ),
        ("< 8 KiB per call held (the calls themselves)", net < 8192.0),
        (
            "< 8 KiB per call held (against a new gateway, map room included)",
            per_call < 8192.0,
        ),
    ];
    for (goal, met) in goals {
        println!("goal {goal}: {}", if met { "met" } else { "MISSED" });
    }
}
