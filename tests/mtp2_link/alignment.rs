//! Initial alignment (Q.703 7): normal and emergency proving, T2, T3, the AERM, and
//! re-alignment after the far end goes away.

use std::time::Duration;

use crate::pair::{is_lssu, msu, Dir, Fate, Pair, TxMode};
use sipt_codecs::mtp2::LinkStatus;
use sipt_mgc::ss7::l2::{L2ToL3, L3ToL2, OutOfServiceReason};
use sipt_mgc::ss7::mtp2::{AlignmentState, LinkState, Mtp2, Mtp2Config};
use sipt_mgc::time::Instant;

fn shape(p: &Pair) -> Vec<String> {
    p.ladder_shape()
}

fn ms(t: Instant) -> u64 {
    t.as_nanos() / 1_000_000
}

#[test]
fn normal_alignment_proves_for_pn() {
    let mut p = Pair::default_itu();
    let took = p.align();
    println!("{}", p.ladder());
    assert_eq!(
        shape(&p),
        [
            "A: Start",
            "B: Start",
            "A->B SIO",
            "B->A SIO",
            "A->B SIN",
            "B->A SIN",
            "A->B FISU 127+/127+",
            "B->A FISU 127+/127+",
            "A: InService",
            "B: InService",
        ]
    );
    // T4 = Pn = 8.2 s, started on SIN received (one SIO and one SIN across the line first).
    let pn = Mtp2Config::default().t4_normal;
    assert!(
        took > pn && took < pn + Duration::from_millis(10),
        "{took:?}"
    );
    assert_eq!(p.a.mtp2.stats().alignment_attempts, 1);
    assert_eq!(p.a.mtp2.stats().in_service, 1);
    assert_eq!(p.a.mtp2.alignment_state(), AlignmentState::Idle);
    // Between SIN and FISU the far end sent only SIN for the whole proving period.
    assert!(p.a.times_of(&L2ToL3::InService)[0] >= Instant::ZERO + pn);
}

#[test]
fn emergency_alignment_proves_for_pe_when_either_end_asks() {
    let mut p = Pair::default_itu();
    p.a.emergency = true;
    let took = p.align();
    println!("{}", p.ladder());
    assert_eq!(
        shape(&p),
        [
            "A: Start",
            "B: Start",
            "A->B SIO",
            "B->A SIO",
            "A->B SIE",
            "B->A SIN",
            "A->B FISU 127+/127+",
            "B->A FISU 127+/127+",
            "A: InService",
            "B: InService",
        ]
    );
    // Both prove for Pe = 0.5 s: B because it received SIE (Q.703 7.3).
    let pe = Mtp2Config::default().t4_emergency;
    assert!(
        took > pe && took < pe + Duration::from_millis(10),
        "{took:?}"
    );
}

#[test]
fn emergency_asked_while_proving_switches_to_pe() {
    let mut p = Pair::default_itu();
    p.start_both();
    p.run_for(Duration::from_secs(2));
    assert_eq!(p.a.mtp2.alignment_state(), AlignmentState::Proving);
    let now = p.time;
    p.a.l3(now, L3ToL2::Emergency);
    p.note("A", "Emergency");
    assert!(p.run_until_cond(Duration::from_secs(2), |p| {
        p.a.state() == LinkState::InService && p.b.state() == LinkState::InService
    }));
    println!("{}", p.ladder());
    let t = p.a.times_of(&L2ToL3::InService)[0];
    // Proving restarted with Pe at 2 s on both ends: in service just after 2.5 s.
    assert!(ms(t) >= 2500 && ms(t) < 2510, "{t}");
}

#[test]
fn t2_not_aligned_when_the_far_end_never_starts() {
    let mut p = Pair::default_itu();
    p.b.mode = TxMode::Frames {
        fill_interval: Duration::from_millis(100),
    };
    p.a.mode = TxMode::Frames {
        fill_interval: Duration::from_millis(100),
    };
    let now = p.time;
    p.a.l3(now, L3ToL2::Start);
    p.note("A", "Start");
    p.run_for(Duration::from_secs(51));
    println!("{}", p.ladder());
    assert_eq!(
        shape(&p),
        [
            "A: Start",
            "A->B SIO",
            "B->A SIOS",
            "A: OutOfService(AlignmentNotPossible)",
            "A->B SIOS",
        ]
    );
    let t = p.a.times_of(&L2ToL3::OutOfService(
        OutOfServiceReason::AlignmentNotPossible,
    ));
    assert_eq!(t, [Instant::ZERO + Mtp2Config::default().t2]);
}

#[test]
fn t3_aligned_expires_when_sin_never_arrives() {
    let mut p = Pair::default_itu();
    // B's SIN and SIE never reach A: A stays aligned, waiting.
    p.fate = Box::new(|dir, _, octets| {
        if dir == Dir::BtoA
            && (is_lssu(octets, LinkStatus::Sin) || is_lssu(octets, LinkStatus::Sie))
        {
            Fate::Lose
        } else {
            Fate::Deliver
        }
    });
    p.start_both();
    p.run_for(Duration::from_secs(3));
    println!("{}", p.ladder());
    let reason = L2ToL3::OutOfService(OutOfServiceReason::AlignmentNotPossible);
    let a = p.a.times_of(&reason);
    let b = p.b.times_of(&reason);
    // A: T3 (1.5 s) after it went aligned on B's SIO. B was proving: A's SIOS ends it.
    assert_eq!(a.len(), 1);
    let t3 = Mtp2Config::default().t3;
    assert!(a[0] > Instant::ZERO + t3 && a[0] < Instant::ZERO + t3 + Duration::from_millis(5));
    assert_eq!(b.len(), 1);
    assert!(b[0] > a[0] && b[0] < a[0] + Duration::from_millis(5));
    assert_eq!(p.a.state(), LinkState::OutOfService);
    assert_eq!(p.b.state(), LinkState::OutOfService);
}

#[test]
fn proving_aborted_m_times_is_alignment_not_possible() {
    let mut p = Pair::default_itu();
    // One B->A unit in 200 damaged (about every 175 ms): Tin = 4 errors end each proving
    // period of A within a second, M = 5 aborts end the alignment.
    p.fate = Box::new(|dir, i, _| {
        if dir == Dir::BtoA && i % 200 == 199 {
            Fate::Corrupt
        } else {
            Fate::Deliver
        }
    });
    p.start_both();
    p.run_for(Duration::from_secs(10));
    println!("{}", p.ladder());
    let reason = L2ToL3::OutOfService(OutOfServiceReason::AlignmentNotPossible);
    let a = p.a.times_of(&reason);
    assert_eq!(a.len(), 1, "{:?}", p.a.events);
    assert_eq!(p.a.mtp2.stats().proving_aborted, 5);
    // 5 periods of 4 errors at 200 units of 875 us: 20 errors, about 3.5 s.
    assert!(ms(a[0]) > 3000 && ms(a[0]) < 4000, "{}", a[0]);
    // B saw A's SIOS while proving.
    assert_eq!(p.b.times_of(&reason).len(), 1);
}

#[test]
fn proving_errors_below_tin_do_not_stop_alignment() {
    let mut p = Pair::default_itu();
    // Three errors in A's proving period: fewer than Tin = 4.
    p.fate = Box::new(|dir, i, _| {
        if dir == Dir::BtoA && [1000, 3000, 5000].contains(&i) {
            Fate::Corrupt
        } else {
            Fate::Deliver
        }
    });
    let took = p.align();
    assert_eq!(p.a.mtp2.stats().proving_aborted, 0);
    assert_eq!(p.a.mtp2.stats().su_in_error, 3);
    assert!(took < Mtp2Config::default().t4_normal + Duration::from_millis(10));
}

#[test]
fn one_error_aborts_emergency_proving_and_proving_starts_again() {
    let mut p = Pair::default_itu();
    p.a.emergency = true;
    // One damaged unit 200 ms into proving: Tie = 1 aborts it; the next correct unit
    // starts a new proving period of Pe (Q.703 10.3).
    p.fate = Box::new(|dir, i, _| {
        if dir == Dir::BtoA && i == 230 {
            Fate::Corrupt
        } else {
            Fate::Deliver
        }
    });
    let took = p.align();
    println!("{}", p.ladder());
    assert_eq!(p.a.mtp2.stats().proving_aborted, 1);
    assert_eq!(p.b.mtp2.stats().proving_aborted, 0);
    let t_err = Duration::from_micros(230 * 875);
    let pe = Mtp2Config::default().t4_emergency;
    assert!(
        took > t_err + pe && took < t_err + pe + Duration::from_millis(10),
        "{took:?}"
    );
}

#[test]
fn sios_from_the_far_end_while_proving_is_alignment_not_possible() {
    let mut p = Pair::default_itu();
    p.start_both();
    p.run_for(Duration::from_secs(1));
    let now = p.time;
    p.b.l3(now, L3ToL2::Stop);
    p.note("B", "Stop");
    p.run_for(Duration::from_millis(20));
    println!("{}", p.ladder());
    assert_eq!(
        p.a.times_of(&L2ToL3::OutOfService(
            OutOfServiceReason::AlignmentNotPossible
        ))
        .len(),
        1
    );
    assert_eq!(
        p.b.times_of(&L2ToL3::OutOfService(OutOfServiceReason::Stopped))
            .len(),
        1
    );
}

#[test]
fn t1_expires_when_the_far_end_never_comes_in_service() {
    let mut p = Pair::default_itu();
    // B is proved but its FISUs never arrive: A waits in aligned ready for T1.
    p.fate = Box::new(|dir, _, octets| {
        if dir == Dir::BtoA && octets.get(2).is_some_and(|li| li & 0x3f == 0) {
            Fate::Lose
        } else {
            Fate::Deliver
        }
    });
    p.b.mode = TxMode::Frames {
        fill_interval: Duration::from_millis(50),
    };
    p.a.mode = TxMode::Frames {
        fill_interval: Duration::from_millis(50),
    };
    p.start_both();
    p.run_for(Duration::from_secs(60));
    println!("{}", p.ladder());
    let cfg = Mtp2Config::default();
    let t =
        p.a.times_of(&L2ToL3::OutOfService(OutOfServiceReason::T1Expired));
    assert_eq!(t.len(), 1, "{:?}", p.a.events);
    let expected = cfg.t4_normal + cfg.t1;
    assert!(
        t[0] > Instant::ZERO + expected
            && t[0] < Instant::ZERO + expected + Duration::from_millis(300)
    );
    // B went in service on A's FISUs, then saw A's SIOS.
    assert_eq!(
        p.b.times_of(&L2ToL3::OutOfService(OutOfServiceReason::ReceivedSios))
            .len(),
        1
    );
}

#[test]
fn link_goes_down_on_t7_when_the_far_end_vanishes_and_realigns_when_it_returns() {
    let mut p = Pair::default_itu();
    // Each level 3 restarts its link 1 s after it went out of service (Q.704 12.2, T17).
    p.a.restart_after = Some(Duration::from_secs(1));
    p.b.restart_after = Some(Duration::from_secs(1));
    p.align();
    let now = p.time;
    for n in 0..20 {
        p.a.l3(now, L3ToL2::Message(msu(0, n)));
    }
    p.run_for(Duration::from_millis(30));
    // The far end vanishes with MSUs unacknowledged.
    p.b.attached = false;
    let gone = p.time;
    p.note("B", "(vanishes)");
    for n in 20..25 {
        let now = p.time;
        p.a.l3(now, L3ToL2::Message(msu(0, n)));
    }
    assert!(p.run_until_cond(Duration::from_secs(5), |p| p.a.state()
        == LinkState::OutOfService));
    let down = p.time;
    let t7 = Mtp2Config::default().t7;
    assert!(down - gone <= t7, "{:?}", down - gone);
    assert_eq!(
        p.a.times_of(&L2ToL3::OutOfService(OutOfServiceReason::T7Expired))
            .len(),
        1
    );
    // A keeps trying (SIO, T2, restart) for a while; then the far end comes back, new.
    p.run_for(Duration::from_secs(20));
    let back = p.time;
    let b = &mut p.b;
    b.mtp2 = Mtp2::new(Mtp2Config::default());
    b.attached = true;
    b.events.clear();
    b.l3(back, L3ToL2::Start);
    p.note("B", "(returns) Start");
    assert!(p.run_until_cond(Duration::from_secs(15), |p| {
        p.a.state() == LinkState::InService && p.b.state() == LinkState::InService
    }));
    println!("{}", p.ladder());
    let up = p.time - back;
    let pn = Mtp2Config::default().t4_normal;
    assert!(up > pn && up < pn + Duration::from_millis(20), "{up:?}");
}
