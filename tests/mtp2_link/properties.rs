//! Properties over random line faults: MSUs are never lost, duplicated or reordered while
//! the link stays in service, and when it fails, what was delivered plus what changeover
//! retrieves is exactly what was sent. And arbitrary octets as signal units never panic.

use std::sync::OnceLock;
use std::time::Duration;

use proptest::prelude::*;

use crate::pair::{msu, Fate, Pair, Rng, TxMode};
use sipt_codecs::mtp2::{LinkStatus, SignalUnit};
use sipt_mgc::ss7::l2::{L2ToL3, L3ToL2};
use sipt_mgc::ss7::mtp2::{LinkState, Mtp2, Mtp2Config, Timer};
use sipt_mgc::time::Instant;

/// Level 3 takes the BSNT of `side` (stopping the link first if it is still up).
fn bsnt(p: &mut Pair, side: &str) -> u8 {
    let now = p.time;
    let s = p.side(side);
    if s.state() != LinkState::OutOfService {
        s.l3(now, L3ToL2::Stop);
    }
    s.l3(now, L3ToL2::RetrieveBsnt);
    let mut found = None;
    while let Some(e) = s.mtp2.poll_event() {
        match e {
            L2ToL3::Bsnt(b) => found = Some(b),
            L2ToL3::ReceivedMessage(m) => s.received.push(m),
            _ => {}
        }
    }
    found.expect("BSNT out of service")
}

fn retrieve(p: &mut Pair, side: &str, fsnc: u8) -> Vec<Vec<u8>> {
    let now = p.time;
    let s = p.side(side);
    s.l3(now, L3ToL2::RetrievalRequestAndFsnc(fsnc));
    let mut got = Vec::new();
    let mut complete = false;
    while let Some(e) = s.mtp2.poll_event() {
        match e {
            L2ToL3::RetrievedMessage(m) => got.push(m),
            L2ToL3::RetrievalComplete => complete = true,
            L2ToL3::RetrievalNotPossible => panic!("retrieval not possible with FSNC {fsnc}"),
            _ => {}
        }
    }
    assert!(complete);
    got
}

#[derive(Debug, Clone)]
struct Faults {
    seed: u64,
    loss_ppm: u32,
    corrupt_ppm: u32,
    latency_us: u64,
    n_a: u32,
    n_b: u32,
    frames: bool,
    /// Cut the line for good after this many ms (a failure to recover from by retrieval).
    cut_after_ms: Option<u64>,
}

fn faults() -> impl Strategy<Value = Faults> {
    (
        any::<u64>(),
        0u32..150_000,
        prop_oneof![Just(0u32), 0u32..4_000, 0u32..30_000],
        0u64..20_000,
        0u32..160,
        0u32..160,
        any::<bool>(),
        prop::option::weighted(0.5, 1u64..400),
    )
        .prop_map(
            |(seed, loss_ppm, corrupt_ppm, latency_us, n_a, n_b, frames, cut_after_ms)| Faults {
                seed,
                loss_ppm,
                corrupt_ppm,
                latency_us,
                n_a,
                n_b,
                frames,
                cut_after_ms,
            },
        )
}

fn run_faults(f: &Faults) -> Result<(), TestCaseError> {
    let mut p = Pair::default_itu();
    p.line.latency = Duration::from_micros(f.latency_us);
    p.ladder_msus = false;
    if f.frames {
        let mode = TxMode::Frames {
            fill_interval: Duration::from_millis(10),
        };
        p.a.mode = mode;
        p.b.mode = mode;
    }
    p.a.emergency = true;
    p.align();
    let mut rng = Rng(f.seed);
    let (loss, corrupt) = (f.loss_ppm, f.corrupt_ppm);
    p.fate = Box::new(move |_, _, _| {
        if rng.chance(loss) {
            Fate::Lose
        } else if rng.chance(corrupt) {
            Fate::Corrupt
        } else {
            Fate::Deliver
        }
    });
    let start = p.time;
    let now = p.time;
    let from_a: Vec<Vec<u8>> = (0..f.n_a).map(|n| msu(0, n)).collect();
    let from_b: Vec<Vec<u8>> = (0..f.n_b).map(|n| msu(1, n)).collect();
    for m in &from_a {
        p.a.l3(now, L3ToL2::Message(m.clone()));
    }
    for m in &from_b {
        p.b.l3(now, L3ToL2::Message(m.clone()));
    }
    let (na, nb) = (from_a.len(), from_b.len());
    let done = |p: &Pair| {
        (p.a.received.len() == nb && p.b.received.len() == na)
            || p.a.state() != LinkState::InService
            || p.b.state() != LinkState::InService
    };
    if let Some(ms) = f.cut_after_ms {
        if !p.run_until_cond(Duration::from_millis(ms), done) {
            // The line is cut for good.
            p.fate = Box::new(|_, _, _| Fate::Lose);
        }
    }
    p.run_until_cond(Duration::from_secs(40), done);
    let failed = p.a.state() != LinkState::InService || p.b.state() != LinkState::InService;
    // Whatever happened, nothing was duplicated or reordered: what arrived is a prefix.
    prop_assert!(from_b.starts_with(&p.a.received), "A got a non-prefix");
    prop_assert!(from_a.starts_with(&p.b.received), "B got a non-prefix");
    if !failed {
        prop_assert_eq!(&p.a.received, &from_b);
        prop_assert_eq!(&p.b.received, &from_a);
        prop_assert!(p.time - start < Duration::from_secs(40));
        return Ok(());
    }
    // The link failed: changeover. BSNT of each side is the FSNC of the other.
    let (bsnt_a, bsnt_b) = (bsnt(&mut p, "A"), bsnt(&mut p, "B"));
    let back_a = retrieve(&mut p, "A", bsnt_b);
    let back_b = retrieve(&mut p, "B", bsnt_a);
    let mut b_all = p.b.received.clone();
    b_all.extend(back_a);
    let mut a_all = p.a.received.clone();
    a_all.extend(back_b);
    prop_assert_eq!(b_all, from_a);
    prop_assert_eq!(a_all, from_b);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_faults_never_lose_duplicate_or_reorder(f in faults()) {
        run_faults(&f)?;
    }
}

/// A signal unit as octets: well formed with random fields, or any octets at all.
fn unit() -> impl Strategy<Value = Vec<u8>> {
    let header = (any::<u8>(), any::<u8>(), 0u8..4);
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..80),
        (header.clone()).prop_map(|(b0, b1, sp)| vec![b0, b1, sp << 6]),
        (header.clone(), 0u8..8, prop::option::of(any::<u8>())).prop_map(
            |((b0, b1, sp), status, extra)| {
                let mut v = vec![b0, b1, (sp << 6) | (1 + u8::from(extra.is_some())), status];
                v.extend(extra);
                v
            }
        ),
        (header, prop::collection::vec(any::<u8>(), 3..274)).prop_map(|((b0, b1, sp), body)| {
            let li = body.len().min(63) as u8;
            let mut v = vec![b0, b1, (sp << 6) | li];
            v.extend(body);
            v
        }),
    ]
}

#[derive(Debug, Clone)]
enum Input {
    Su(Vec<u8>),
    SuError,
    OctetCounting(usize),
    Primitive(u8, u8),
    Advance(u32),
    Transmit,
    Drain,
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        8 => unit().prop_map(Input::Su),
        1 => Just(Input::SuError),
        1 => (0usize..2000).prop_map(Input::OctetCounting),
        2 => (0u8..12, any::<u8>()).prop_map(|(k, x)| Input::Primitive(k, x)),
        2 => (0u32..3_000_000).prop_map(Input::Advance),
        3 => Just(Input::Transmit),
        1 => Just(Input::Drain),
    ]
}

fn primitive(kind: u8, x: u8) -> L3ToL2 {
    match kind {
        0 => L3ToL2::Start,
        1 => L3ToL2::Stop,
        2 => L3ToL2::Emergency,
        3 => L3ToL2::EmergencyCeases,
        4 => L3ToL2::Message(vec![x; usize::from(x) + 3]),
        5 => L3ToL2::RetrieveBsnt,
        6 => L3ToL2::RetrievalRequestAndFsnc(x),
        7 => L3ToL2::LocalProcessorOutage,
        8 => L3ToL2::LocalProcessorRecovered,
        9 => L3ToL2::FlushBuffers,
        10 => L3ToL2::Continue,
        _ => L3ToL2::Message(vec![0x83, x, x, x]),
    }
}

/// The link in one of its states to start from: out of service, aligning, or in service
/// with MSUs outstanding.
fn start(state: u8) -> (Mtp2, Instant) {
    match state {
        0 => (Mtp2::new(Mtp2Config::default()), Instant::ZERO),
        1 => {
            let mut m = Mtp2::new(Mtp2Config::default());
            let _ = m.handle_l3(Instant::ZERO, L3ToL2::Start);
            (m, Instant::ZERO)
        }
        _ => IN_SERVICE
            .get_or_init(|| {
                let mut p = Pair::default_itu();
                p.a.emergency = true;
                p.align();
                let now = p.time;
                for n in 0..10 {
                    p.a.l3(now, L3ToL2::Message(msu(0, n)));
                }
                p.run_for(Duration::from_millis(5));
                (p.a.mtp2.clone(), p.time)
            })
            .clone(),
    }
}

/// A link in service with MSUs outstanding, made once.
static IN_SERVICE: OnceLock<(Mtp2, Instant)> = OnceLock::new();

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_signal_units_never_panic(
        state in 0u8..3,
        inputs in prop::collection::vec(input(), 0..200),
    ) {
        let (mut m, mut now) = start(state);
        let mut out = Vec::new();
        for input in inputs {
            match input {
                Input::Su(octets) => m.handle_su(now, &octets),
                Input::SuError => m.handle_su_error(now),
                Input::OctetCounting(n) => m.handle_octet_counting(now, n),
                Input::Primitive(k, x) => {
                    let _ = m.handle_l3(now, primitive(k, x));
                }
                Input::Advance(us) => {
                    now += Duration::from_micros(u64::from(us));
                    m.handle_timeout(now);
                }
                Input::Transmit => {
                    out.clear();
                    prop_assert!(m.poll_transmit(now, &mut out));
                    prop_assert!(SignalUnit::decode(&out).is_ok(), "{:02x?}", out);
                }
                Input::Drain => while m.poll_event().is_some() {},
            }
            prop_assert!(m.retransmission_buffer_len() <= 127);
            prop_assert!(m.poll_timeout().is_none_or(|t| t >= now || Timer::ALL.iter().any(|&x| m.timer_deadline(x) == Some(t))));
        }
        // Out of service, the link sends SIOS, whatever came before.
        let _ = m.handle_l3(now, L3ToL2::Stop);
        out.clear();
        prop_assert!(m.poll_transmit(now, &mut out));
        let su = SignalUnit::decode(&out).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(su.body, sipt_codecs::mtp2::Body::Lssu(sipt_codecs::mtp2::StatusField::new(LinkStatus::Sios)));
    }
}
