//! Properties of the Q.921 data link:
//! - over a line that loses frames at random (both directions, any pattern), no DL-DATA is
//!   lost, duplicated or reordered while the link stays established: whatever a side
//!   receives is an in-order subsequence of what the other sent, every message the line lost
//!   for good is one that the sender's data link discarded — which it only does together with
//!   DL-ESTABLISH-indication or DL-RELEASE-indication to its layer 3 (Q.921 5.7.2) — and when
//!   it discarded nothing, everything arrives, exactly once, in order;
//! - no sequence of octets handed in as frames, with timers and requests in between, panics
//!   the entity or breaks its invariants.

#[path = "q921_pair/mod.rs"]
mod pair;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use pair::{Fate, Pair};
use proptest::prelude::*;
use sipt_codecs::q921::{Frame, Role};
use sipt_mgc::isdn::q921::{Config, DlEvent, Lapd, State, Timer};
use sipt_mgc::time::Instant;

/// xorshift64*: a small deterministic generator for the line's loss pattern.
fn next(state: &Cell<u64>) -> u64 {
    let mut x = state.get();
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    state.set(x);
    x.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

/// Checks one direction: `sent` by one side, `receiver`'s DL-DATA-indications, and what the
/// sender's layer 3 was told.
fn check_direction(
    what: &str,
    sent: &[u32],
    sender: &pair::Side,
    receiver: &pair::Side,
) -> Result<(), TestCaseError> {
    let delivered: Vec<u32> = receiver
        .data()
        .iter()
        .map(|d| u32::from_be_bytes([d[0], d[1], d[2], d[3]]))
        .collect();
    // In order, no duplicates: strictly increasing, and only what was sent.
    prop_assert!(
        delivered.windows(2).all(|w| w[0] < w[1]),
        "{what}: duplicated or reordered: {delivered:?}"
    );
    prop_assert!(
        delivered.iter().all(|d| sent.contains(d)),
        "{what}: delivered what was never sent"
    );
    let discarded = sender.lapd.stats().data_requests_discarded;
    // Told layer 3? A DL-RELEASE-indication, or a DL-ESTABLISH-indication other than the one
    // of a first establishment by the peer.
    let told = sender
        .events
        .iter()
        .any(|(_, e)| *e == DlEvent::ReleaseIndication)
        || sender
            .events
            .iter()
            .filter(|(_, e)| matches!(e, DlEvent::EstablishConfirm | DlEvent::EstablishIndication))
            .skip(1)
            .any(|(_, e)| *e == DlEvent::EstablishIndication);
    if discarded > 0 {
        prop_assert!(
            told,
            "{what}: {discarded} discarded without telling layer 3: {:?}",
            sender.primitives()
        );
    }
    // Nothing lost silently.
    prop_assert!(
        (sent.len() - delivered.len()) as u64 <= discarded,
        "{what}: {} of {} missing but only {discarded} discarded",
        sent.len() - delivered.len(),
        sent.len()
    );
    if discarded == 0 {
        prop_assert_eq!(&delivered, &sent.to_vec(), "{}", what);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_loss_never_loses_duplicates_or_reorders(
        seed in 1u64..u64::MAX,
        loss_percent in 0u64..40,
        from_user in 0u32..150,
        from_network in 0u32..150,
        latency_ms in 1u64..60,
        spread_ms in 0u64..8000,
        lossy_s in 1u64..40,
    ) {
        let mut user = Config::new(Role::User);
        user.keep_up = Some(Duration::from_secs(1));
        let mut network = Config::new(Role::Network);
        network.keep_up = Some(Duration::from_secs(1));
        let mut p = Pair::new(user, network);
        p.latency = Duration::from_millis(latency_ms);
        let rng = Rc::new(Cell::new(seed));
        let lossy = Rc::new(Cell::new(true));
        {
            let rng = rng.clone();
            let lossy = lossy.clone();
            p.fate = Some(Box::new(move |_| {
                if lossy.get() && next(&rng) % 100 < loss_percent {
                    Fate::Lose
                } else {
                    Fate::Deliver
                }
            }));
        }
        p.user.lapd.establish(p.now);
        p.network.lapd.establish(p.now);
        // Messages handed over at pseudo-random times within the spread, numbered per side in
        // the order they are handed over.
        let mut plan: Vec<(u64, bool)> = (0..from_user)
            .map(|_| (next(&rng) % (spread_ms + 1), true))
            .chain((0..from_network).map(|_| (next(&rng) % (spread_ms + 1), false)))
            .collect();
        plan.sort();
        let (mut sent_u, mut sent_n) = (Vec::new(), Vec::new());
        for group in plan.chunk_by(|a, b| a.0 == b.0) {
            p.run_until(Instant::from_millis(group[0].0));
            for &(_, user) in group {
                let (role, sent, base) = if user {
                    (Role::User, &mut sent_u, 0)
                } else {
                    (Role::Network, &mut sent_n, 1000)
                };
                let n = base + sent.len() as u32;
                // Releasing is the only refusal; these data links never ask to release.
                p.send(role, [n.to_be_bytes().to_vec()]);
                sent.push(n);
            }
        }
        p.run_until(Instant::from_millis(lossy_s * 1000).max(p.now));
        lossy.set(false);
        // The line is clean now: within bounded time, both sides are in multiple frame
        // operation with nothing left to send.
        let settled = p.drive_until(Duration::from_secs(120), |p| {
            [&p.user, &p.network].iter().all(|s| {
                s.lapd.state() == State::MultipleFrameEstablished
                    && s.lapd.unacknowledged() == 0
                    && s.lapd.queued() == 0
            })
        });
        prop_assert!(settled, "not settled:\n{}", p.diagram());
        check_direction("user to network", &sent_u, &p.user, &p.network)?;
        check_direction("network to user", &sent_n, &p.network, &p.user)?;
    }

    #[test]
    fn without_loss_everything_arrives_in_order(
        from_user in 0u32..200,
        from_network in 0u32..200,
        latency_ms in 0u64..200,
    ) {
        let mut p = Pair::default();
        p.latency = Duration::from_millis(latency_ms);
        p.establish();
        p.send(Role::User, (0..from_user).map(|n| n.to_be_bytes().to_vec()));
        p.send(Role::Network, (0..from_network).map(|n| n.to_be_bytes().to_vec()));
        p.run_for(Duration::from_secs(60));
        let want = |n: u32| (0..n).map(|n| n.to_be_bytes().to_vec()).collect::<Vec<_>>();
        prop_assert_eq!(p.network.data(), want(from_user));
        prop_assert_eq!(p.user.data(), want(from_network));
        prop_assert_eq!(p.user.lapd.stats().i_frames_retransmitted, 0);
        prop_assert_eq!(p.user.lapd.stats().re_establishments, 0);
    }
}

/// One input to a lone data link.
#[derive(Debug, Clone)]
enum Input {
    /// Octets as they came.
    Raw(Vec<u8>),
    /// A control field and information after this link's address (SAPI 0, TEI 0) with the
    /// given C/R bit: reaches the state machine rather than the address filter.
    Addressed {
        cr: bool,
        rest: Vec<u8>,
    },
    Wait(u64),
    Establish,
    Release,
    Data(usize),
    UnitData(usize),
    Busy(bool),
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        2 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(Input::Raw),
        6 => (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..12))
            .prop_map(|(cr, rest)| Input::Addressed { cr, rest }),
        3 => (0u64..12_000).prop_map(Input::Wait),
        1 => Just(Input::Establish),
        1 => Just(Input::Release),
        2 => (0usize..300).prop_map(Input::Data),
        1 => (0usize..300).prop_map(Input::UnitData),
        1 => any::<bool>().prop_map(Input::Busy),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_octets_never_panic(
        user in any::<bool>(),
        inputs in proptest::collection::vec(input(), 0..80),
    ) {
        let role = if user { Role::User } else { Role::Network };
        let mut lapd = Lapd::new(Config::new(role)).unwrap();
        let mut now = Instant::ZERO;
        for input in inputs {
            match input {
                Input::Raw(octets) => lapd.handle_frame(now, &octets),
                Input::Addressed { cr, rest } => {
                    let mut octets = vec![u8::from(cr) << 1, 0x01];
                    octets.extend(rest);
                    lapd.handle_frame(now, &octets);
                }
                Input::Wait(ms) => {
                    now += Duration::from_millis(ms);
                    lapd.handle_timeout(now);
                    prop_assert!(lapd.poll_timeout().is_none_or(|t| t > now));
                }
                Input::Establish => lapd.establish(now),
                Input::Release => lapd.release(now),
                Input::Data(len) => {
                    let r = lapd.data(now, vec![0x08; len]);
                    prop_assert_eq!(r.is_ok(), len <= 260 && lapd.state() != State::AwaitingRelease);
                }
                Input::UnitData(len) => {
                    prop_assert_eq!(lapd.unit_data(now, vec![0x08; len]).is_ok(), len <= 260);
                }
                Input::Busy(b) => lapd.set_own_receiver_busy(now, b),
            }
            // Invariants: the window holds, every frame sent is a well-formed frame of this
            // data link with the C/R bit of this side, timers only run where they may.
            prop_assert!(lapd.unacknowledged() <= 7);
            let mut out = Vec::new();
            while lapd.poll_transmit(now, &mut out) {
                let frame = Frame::decode(&out).unwrap();
                prop_assert_eq!((frame.address.sapi, frame.address.tei), (0, 0));
                prop_assert!(frame.information.len() <= 260);
                out.clear();
            }
            while lapd.poll_event().is_some() {}
            let state = lapd.state();
            if state == State::TeiAssigned {
                prop_assert!(lapd.timer(Timer::T200).is_none());
                prop_assert_eq!(lapd.unacknowledged() + lapd.queued(), 0);
            } else {
                // Awaiting establishment or release, or timer recovery: T200 runs.
                prop_assert!(
                    state == State::MultipleFrameEstablished || lapd.timer(Timer::T200).is_some()
                );
            }
            if state != State::MultipleFrameEstablished {
                prop_assert!(lapd.timer(Timer::T203).is_none());
            }
        }
    }
}
