//! Property: whatever the interleaving of user commands, message loss and delay, MTP pauses
//! and timer expiries, once the losses stop, the users release their calls and the timers run
//! out, every circuit at both ends is idle or blocked — never busy with no call, never waiting
//! for an answer that cannot come. After a circuit group query (CQM/CQR) by maintenance, both
//! ends also agree on every blocking state.

#[path = "isup_pair.rs"]
mod pair;

use pair::*;
use proptest::prelude::*;
use sipt_codecs::isup::{
    CauseValue, ContinuityCheckIndicator, EventIndicator, InformationRequestIndicators, Message,
    MessageType, Parameter,
};
use sipt_mgc::isup::{
    BlockingKind, CallStatus, Config, IsupEvent, LocalBlocking, MtpIndication, ResetOnResume,
};
use std::time::Duration;

const CICS: u16 = 4;

#[derive(Debug, Clone)]
enum Op {
    Setup(End, u16, bool),
    Alert(End, u16),
    Progress(End, u16),
    Answer(End, u16),
    Release(End, u16),
    Suspend(End, u16, bool),
    Resume(End, u16, bool),
    Continuity(End, u16, bool),
    Recheck(End, u16),
    Sam(End, u16),
    MoreDigits(End, u16),
    Inr(End, u16),
    Block(End, u16),
    Unblock(End, u16),
    Reset(End, u16),
    GroupReset(End),
    GroupBlock(End, bool),
    GroupUnblock(End, bool),
    Query(End),
    Deliver(u8),
    Lose(u8),
    Advance(u16),
    MtpPause(End),
    MtpResume(End),
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![Just(End::A), Just(End::B)]
}

fn cic() -> impl Strategy<Value = u16> {
    1..=CICS
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (end(), cic(), prop::bool::weighted(0.2)).prop_map(|(e, c, k)| Op::Setup(e, c, k)),
        2 => (end(), cic()).prop_map(|(e, c)| Op::Alert(e, c)),
        1 => (end(), cic()).prop_map(|(e, c)| Op::Progress(e, c)),
        2 => (end(), cic()).prop_map(|(e, c)| Op::Answer(e, c)),
        2 => (end(), cic()).prop_map(|(e, c)| Op::Release(e, c)),
        1 => (end(), cic(), any::<bool>()).prop_map(|(e, c, n)| Op::Suspend(e, c, n)),
        1 => (end(), cic(), any::<bool>()).prop_map(|(e, c, n)| Op::Resume(e, c, n)),
        1 => (end(), cic(), any::<bool>()).prop_map(|(e, c, p)| Op::Continuity(e, c, p)),
        1 => (end(), cic()).prop_map(|(e, c)| Op::Recheck(e, c)),
        1 => (end(), cic()).prop_map(|(e, c)| Op::Sam(e, c)),
        1 => (end(), cic()).prop_map(|(e, c)| Op::MoreDigits(e, c)),
        1 => (end(), cic()).prop_map(|(e, c)| Op::Inr(e, c)),
        1 => (end(), cic()).prop_map(|(e, c)| Op::Block(e, c)),
        1 => (end(), cic()).prop_map(|(e, c)| Op::Unblock(e, c)),
        1 => (end(), cic()).prop_map(|(e, c)| Op::Reset(e, c)),
        1 => end().prop_map(Op::GroupReset),
        1 => (end(), any::<bool>()).prop_map(|(e, h)| Op::GroupBlock(e, h)),
        1 => (end(), any::<bool>()).prop_map(|(e, h)| Op::GroupUnblock(e, h)),
        1 => end().prop_map(Op::Query),
        6 => (1..6u8).prop_map(Op::Deliver),
        2 => (1..3u8).prop_map(Op::Lose),
        3 => (1..400u16).prop_map(Op::Advance),
        1 => end().prop_map(Op::MtpPause),
        1 => end().prop_map(Op::MtpResume),
    ]
}

fn config_for(opc: u32, dpc: u32) -> Config {
    let mut c = Config::new(opc, dpc, 1..=CICS);
    c.reset_on_resume = ResetOnResume::StartAndRecovery;
    c
}

fn apply(p: &mut Pair, op: &Op) {
    let now = p.now;
    // commands that do not fit the state are refused: that is part of what is tested
    let _ = match *op {
        Op::Setup(e, c, cot) => {
            let m = if cot {
                iam_with_continuity("1", ContinuityCheckIndicator::RequiredOnThisCircuit)
            } else {
                iam("1")
            };
            p.isup(e).setup(now, c, m)
        }
        Op::Alert(e, c) => p.isup(e).alert(now, c, acm()),
        Op::Progress(e, c) => p.isup(e).progress(now, c, cpg(EventIndicator::Progress)),
        Op::Answer(e, c) => p.isup(e).answer(now, c, anm()),
        Op::Release(e, c) => p
            .isup(e)
            .release(now, c, cause(CauseValue::NormalCallClearing)),
        Op::Suspend(e, c, n) => p.isup(e).suspend(now, c, sus(n)),
        Op::Resume(e, c, n) => p.isup(e).resume(now, c, res(n)),
        Op::Continuity(e, c, passed) => p.isup(e).continuity(now, c, passed),
        Op::Recheck(e, c) => p.isup(e).continuity_recheck(now, c),
        Op::Sam(e, c) => p.isup(e).subsequent_address(now, c, sam("5")),
        Op::MoreDigits(e, c) => p.isup(e).expect_more_digits(now, c),
        Op::Inr(e, c) => p.isup(e).request_information(
            now,
            c,
            Message::new(
                MessageType::Inr,
                vec![Parameter::InformationRequestIndicators(
                    InformationRequestIndicators::default()
                        .with_calling_party_address_requested(true),
                )],
            ),
        ),
        Op::Block(e, c) => p.isup(e).block(now, c),
        Op::Unblock(e, c) => p.isup(e).unblock(now, c),
        Op::Reset(e, c) => p.isup(e).reset(now, c),
        Op::GroupReset(e) => p.isup(e).group_reset(now, 1, CICS as u8 - 1),
        Op::GroupBlock(e, hw) => p.isup(e).group_block(now, 1, CICS as u8 - 1, kind(hw)),
        Op::GroupUnblock(e, hw) => p.isup(e).group_unblock(now, 1, CICS as u8 - 1, kind(hw)),
        Op::Query(e) => p.isup(e).query(now, 1, CICS as u8 - 1),
        Op::Deliver(n) => {
            for _ in 0..n {
                p.deliver_one();
            }
            Ok(())
        }
        Op::Lose(n) => {
            p.pump();
            for _ in 0..n {
                if p.wire.pop_front().is_some() {
                    p.lost += 1;
                }
            }
            Ok(())
        }
        Op::Advance(s) => {
            // timers fire, but what they send stays on the wire with the rest
            let end = p.now + Duration::from_secs(u64::from(s));
            loop {
                let next = [p.a.poll_timeout(), p.b.poll_timeout()]
                    .into_iter()
                    .flatten()
                    .min();
                match next {
                    Some(t) if t <= end => {
                        p.now = p.now.max(t);
                        let now = p.now;
                        p.a.handle_timeout(now);
                        p.b.handle_timeout(now);
                        p.pump();
                    }
                    _ => break,
                }
            }
            p.now = end;
            Ok(())
        }
        Op::MtpPause(e) => {
            p.isup(e).handle_mtp(now, MtpIndication::Pause);
            Ok(())
        }
        Op::MtpResume(e) => {
            p.isup(e).handle_mtp(now, MtpIndication::Resume);
            Ok(())
        }
    };
    p.pump();
}

fn kind(hw: bool) -> BlockingKind {
    if hw {
        BlockingKind::Hardware
    } else {
        BlockingKind::Maintenance
    }
}

fn user_call(s: CallStatus) -> bool {
    !matches!(
        s,
        CallStatus::Idle | CallStatus::Releasing | CallStatus::ContinuityRecheck
    )
}

/// The end of the story: MTP available, no more loss; the users release what calls they have
/// and report the continuity checks they are asked for; maintenance audits the circuit group
/// with CQM (Q.764 2.8.3: the way exchanges find and align blocking states that a lost or
/// stale message left apart); time passes.
fn settle(p: &mut Pair, audit: bool) {
    p.no_loss();
    let now = p.now;
    p.a.handle_mtp(now, MtpIndication::Resume);
    p.b.handle_mtp(now, MtpIndication::Resume);
    for _ in 0..8 {
        p.drive();
        for e in [End::A, End::B] {
            let events = match e {
                End::A => p.take_a(),
                End::B => p.take_b(),
            };
            for ev in events {
                if let IsupEvent::ContinuityCheckDue { cic } = ev {
                    let now = p.now;
                    let _ = p.isup(e).continuity(now, cic, true);
                }
            }
            for c in 1..=CICS {
                if user_call(p.isup(e).circuit_status(c).unwrap().call) {
                    let now = p.now;
                    let _ = p
                        .isup(e)
                        .release(now, c, cause(CauseValue::NormalCallClearing));
                }
            }
        }
        if audit {
            for e in [End::A, End::B] {
                let now = p.now;
                let _ = p.isup(e).query(now, 1, CICS as u8 - 1);
            }
        }
        p.advance(Duration::from_secs(1800));
    }
}

/// No circuit is busy without a call or waits for an answer: every one is idle (possibly
/// blocked) and no blocking procedure is left half done.
fn check_idle(p: &Pair) -> Result<(), TestCaseError> {
    for c in 1..=CICS {
        let a = p.a.circuit_status(c).unwrap();
        let b = p.b.circuit_status(c).unwrap();
        prop_assert!(a.is_idle(), "A CIC {c}: {a:?}");
        prop_assert!(b.is_idle(), "B CIC {c}: {b:?}");
        for x in [&a, &b] {
            for local in [x.local_maintenance, x.local_hardware] {
                prop_assert!(
                    matches!(local, LocalBlocking::Blocked | LocalBlocking::Unblocked),
                    "CIC {c}: a blocking procedure never ended: {x:?}"
                );
            }
            prop_assert!(!x.unequipped_remotely);
        }
    }
    Ok(())
}

/// Both ends agree on every blocking state, and a circuit free at both ends is usable.
fn check_aligned(p: &Pair) -> Result<(), TestCaseError> {
    for c in 1..=CICS {
        let a = p.a.circuit_status(c).unwrap();
        let b = p.b.circuit_status(c).unwrap();
        for (x, y) in [(&a, &b), (&b, &a)] {
            for (local, remote) in [
                (x.local_maintenance, y.remote_maintenance),
                (x.local_hardware, y.remote_hardware),
            ] {
                prop_assert_eq!(
                    local == LocalBlocking::Blocked,
                    remote,
                    "CIC {} blocking states disagree: {:?} / {:?}",
                    c,
                    x,
                    y
                );
            }
        }
        // idle and unblocked means usable again
        if a.local_maintenance == LocalBlocking::Unblocked
            && a.local_hardware == LocalBlocking::Unblocked
            && !a.remote_maintenance
            && !a.remote_hardware
        {
            prop_assert!(p.a.is_available_for_outgoing(c));
        }
    }
    Ok(())
}

/// 256 cases (about 3 s) unless `PROPTEST_CASES` asks for more (a longer search before a
/// change is committed: `PROPTEST_CASES=10000 cargo test --test isup_property`).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn every_circuit_ends_idle_or_blocked(ops in prop::collection::vec(op(), 1..80)) {
        let mut p = Pair::with(config_for(1, 2), config_for(2, 1));
        for op in &ops {
            apply(&mut p, op);
        }
        // timers alone bring every circuit back
        settle(&mut p, false);
        check_idle(&p)?;
        // and with the circuit group query of maintenance, both ends agree on blocking
        settle(&mut p, true);
        check_idle(&p)?;
        check_aligned(&p)?;
    }
}
