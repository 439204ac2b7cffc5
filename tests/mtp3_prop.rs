//! Property: whatever the sequence of link failures and restorations on a 2-link linkset
//! carrying continuous traffic in both directions, the user messages of one SLS are never
//! duplicated or reordered (Q.704 5.1, 6.1: in-sequence delivery per SLS across changeover and
//! changeback), and none is lost unless, after it was accepted, its sender lost the whole
//! linkset (MTP-PAUSE) or had to change over without buffer updating (emergency changeover,
//! when a BSNT could not be retrieved). When failures never take the last link carrying
//! traffic, nothing at all is lost and no MTP-PAUSE happens. Afterwards, with the lines
//! repaired, both linksets come back by themselves.

mod mtp3_harness;

use std::time::Duration;

use mtp3_harness::*;
use proptest::prelude::*;
use sipt_mgc::ss7::mtp3::{ChangeoverKind, LinkStatus, Mtp3Event};
use sipt_mgc::time::Instant;

#[derive(Debug, Clone)]
enum Action {
    /// The line of a link breaks.
    Fail(u8),
    /// One end's level 2 declares the link failed; the other learns it by SIOS.
    FailOneEnd(usize, u8),
    /// The line works again.
    Restore(u8),
    /// Time passes with traffic, in milliseconds.
    Wait(u64),
    /// A burst of messages of every SLS from both sides.
    Burst(usize),
    /// The BSNT of a link at one side can no longer be retrieved (its terminal is faulty).
    NoBsnt(usize, u8),
}

fn action(with_no_bsnt: bool) -> impl Strategy<Value = Action> {
    let base = prop_oneof![
        3 => (0u8..2).prop_map(Action::Fail),
        2 => ((0usize..2), (0u8..2)).prop_map(|(s, l)| Action::FailOneEnd(s, l)),
        3 => (0u8..2).prop_map(Action::Restore),
        5 => (1u64..4000).prop_map(Action::Wait),
        2 => (1usize..6).prop_map(Action::Burst),
    ];
    if with_no_bsnt {
        prop_oneof![9 => base, 1 => ((0usize..2), (0u8..2)).prop_map(|(s, l)| Action::NoBsnt(s, l))]
            .boxed()
    } else {
        base.boxed()
    }
}

/// One round of traffic: 8 messages from each side, SLS cycling.
fn round(p: &mut Pair, t: &mut Traffic, n: &mut u8) {
    for _ in 0..8 {
        let sls = *n % 16;
        *n = n.wrapping_add(1);
        t.send(p, A, sls);
        t.send(p, B, sls);
    }
}

fn wait_with_traffic(p: &mut Pair, t: &mut Traffic, n: &mut u8, ms: u64) {
    let end = p.now + Duration::from_millis(ms);
    while p.now < end {
        round(p, t, n);
        let step = Duration::from_millis(25).min(end - p.now);
        p.run_for(step.max(Duration::from_millis(1)));
    }
}

/// Both sides have `slc` carrying traffic.
fn carrying(p: &Pair, slc: u8) -> bool {
    p.sides
        .iter()
        .all(|m| m.link_status(slc) == Some(LinkStatus::Available))
}

/// Runs the actions; with `keep_one`, a failure is skipped unless the other link carries
/// traffic at both sides (so the linkset never goes down).
fn run(actions: &[Action], keep_one: bool) -> Result<(Pair, Traffic), TestCaseError> {
    let mut p = Pair::new(&[0, 1]);
    let mut t = Traffic::default();
    let mut n = 0u8;
    p.start();
    prop_assert!(p.run_until_cond(Duration::from_secs(30), both_available));
    for a in actions {
        match *a {
            Action::Fail(l) | Action::FailOneEnd(_, l) if keep_one && !carrying(&p, 1 - l) => {}
            Action::Fail(l) => p.fail_link(l),
            Action::FailOneEnd(s, l) => {
                if p.links[&l].ends[s].state == EndState::InService {
                    p.fail_one_end(s, l);
                }
            }
            Action::Restore(l) => p.restore_link(l),
            Action::Wait(ms) => wait_with_traffic(&mut p, &mut t, &mut n, ms),
            Action::Burst(k) => {
                for _ in 0..k {
                    round(&mut p, &mut t, &mut n);
                }
            }
            Action::NoBsnt(s, l) => p.end(s, l).bsnt_retrievable = false,
        }
    }
    // Repair everything and let both sides recover, then a little more traffic.
    for l in [0, 1] {
        p.restore_link(l);
        p.end(A, l).bsnt_retrievable = true;
        p.end(B, l).bsnt_retrievable = true;
    }
    let recovered = p.run_until_cond(Duration::from_secs(120), |p| {
        both_available(p) && carrying(p, 0) && carrying(p, 1)
    });
    prop_assert!(recovered, "no recovery: A {:?}", p.events_of(A).last());
    wait_with_traffic(&mut p, &mut t, &mut n, 300);
    p.run_for(Duration::from_secs(5));
    prop_assert!(p.anomalies().is_empty(), "{:?}", p.anomalies());
    Ok((p, t))
}

/// A loss is allowed only if, after `at`, the sender paused or changed over without buffer
/// updating.
fn excused(p: &Pair, side: usize, at: Instant) -> bool {
    p.events[side].iter().any(|(t, e)| {
        *t >= at
            && matches!(
                e,
                Mtp3Event::Pause { .. }
                    | Mtp3Event::ChangeoverComplete {
                        kind: ChangeoverKind::Emergency | ChangeoverKind::TimeControlled,
                        ..
                    }
            )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn one_link_at_a_time_loses_nothing(actions in prop::collection::vec(action(false), 1..24)) {
        let (p, t) = run(&actions, true)?;
        let r = t.check(&p, |_, _| false).map_err(TestCaseError::fail)?;
        prop_assert_eq!(r.delivered, r.accepted);
        prop_assert_eq!(t.refused, 0);
        for side in [A, B] {
            let paused = p.has_event(side, |e| matches!(e, Mtp3Event::Pause { .. }));
            prop_assert!(!paused, "{} paused", NAMES[side]);
        }
    }

    #[test]
    fn any_failures_never_duplicate_or_reorder(actions in prop::collection::vec(action(true), 1..24)) {
        let (p, t) = run(&actions, false)?;
        t.check(&p, |side, at| excused(&p, side, at)).map_err(TestCaseError::fail)?;
    }
}
