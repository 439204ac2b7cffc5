//! Level 2 flow control (Q.703 9: SIB, T5, T6), processor outage (Q.703 8), and the
//! changeover support of retrieval (Q.704 5, Q.703 11.2.4).

use std::time::Duration;

use crate::pair::{msu, Fate, Pair};
use crate::transfer::subsequence;
use sipt_mgc::ss7::l2::{L2ToL3, L3ToL2, OutOfServiceReason};
use sipt_mgc::ss7::mtp2::{LinkState, Mtp2Config, Timer};

fn congestion_config(accept: usize, discard: usize, abatement: usize) -> Mtp2Config {
    Mtp2Config {
        rb_congestion_accept: accept,
        rb_congestion_discard: discard,
        rb_congestion_abatement: abatement,
        ..Mtp2Config::default()
    }
}

fn send(p: &mut Pair, side: &str, from: u8, range: std::ops::Range<u32>) -> Vec<Vec<u8>> {
    let now = p.time;
    let msgs: Vec<Vec<u8>> = range.map(|n| msu(from, n)).collect();
    for m in &msgs {
        p.side(side).l3(now, L3ToL2::Message(m.clone()));
    }
    msgs
}

/// Level 3 of `side` takes everything waiting now.
fn drain(p: &mut Pair, side: &str) {
    let s = p.side(side);
    let now_events: Vec<L2ToL3> = std::iter::from_fn(|| s.mtp2.poll_event()).collect();
    for e in now_events {
        if let L2ToL3::ReceivedMessage(m) = &e {
            s.received.push(m.clone());
        }
        s.events.push((Default::default(), e));
    }
}

#[test]
fn a_busy_far_end_sends_sib_every_t5_and_t6_fails_the_link() {
    let mut p = Pair::new(congestion_config(8, 100, 2));
    p.a.emergency = true;
    p.align();
    // B's level 3 stops taking messages: after 8, B accepts but does not acknowledge, and
    // sends SIB every T5 (Q.703 9.2).
    p.b.drain = false;
    let t0 = p.time;
    send(&mut p, "A", 0, 0..30);
    assert!(p.run_until_cond(Duration::from_secs(10), |p| p.a.state()
        == LinkState::OutOfService));
    println!("{}", p.ladder());
    let down =
        p.a.times_of(&L2ToL3::OutOfService(OutOfServiceReason::T6Expired));
    assert_eq!(down.len(), 1, "{:?}", p.a.events);
    // T6 from the first SIB: a few tens of ms after the MSUs started.
    let t6 = Mtp2Config::default().t6;
    assert!(down[0] - t0 > t6 && down[0] - t0 < t6 + Duration::from_millis(100));
    // One SIB per T5 (100 ms) for 5 s; T7 (1 s) never expired, restarted by each SIB.
    let sibs = p.b.mtp2.stats().sib_sent;
    assert!((49..=52).contains(&sibs), "{sibs}");
    assert!(p.b.mtp2.stats().msus_received >= 9);
}

#[test]
fn busy_that_ends_before_t6_loses_nothing() {
    let mut p = Pair::new(congestion_config(8, 100, 2));
    p.a.emergency = true;
    p.align();
    p.b.drain = false;
    let sent = send(&mut p, "A", 0, 0..30);
    p.run_for(Duration::from_secs(2));
    assert!(p.a.timer_running_t6());
    assert!(p.a.mtp2.stats().sib_received >= 15);
    p.b.drain = true;
    p.run_for(Duration::from_millis(300));
    assert_eq!(p.b.received, sent);
    assert_eq!(p.a.mtp2.timer_deadline(Timer::T6), None);
    assert_eq!(p.a.state(), LinkState::InService);
    assert_eq!(p.a.mtp2.retransmission_buffer_len(), 0);
}

#[test]
fn congestion_discard_drops_msus_and_asks_for_them_when_it_abates() {
    let mut p = Pair::new(congestion_config(4, 8, 2));
    p.a.emergency = true;
    p.align();
    p.b.drain = false;
    let sent = send(&mut p, "A", 0, 0..40);
    p.run_for(Duration::from_secs(1));
    assert!(p.b.mtp2.stats().msus_discarded > 0);
    p.b.drain = true;
    p.run_for(Duration::from_millis(500));
    assert_eq!(p.b.received, sent);
    assert_eq!(p.a.state(), LinkState::InService);
}

impl crate::pair::Side {
    fn timer_running_t6(&self) -> bool {
        self.mtp2.timer_deadline(Timer::T6).is_some()
    }
}

#[test]
fn local_processor_outage_then_continue() {
    let mut p = Pair::default_itu();
    p.a.emergency = true;
    p.align();
    let mut sent = send(&mut p, "B", 1, 0..5);
    p.run_for(Duration::from_millis(50));
    let now = p.time;
    p.a.l3(now, L3ToL2::LocalProcessorOutage);
    p.note("A", "LocalProcessorOutage");
    p.run_for(Duration::from_millis(20));
    assert_eq!(p.a.state(), LinkState::ProcessorOutage);
    assert_eq!(p.b.state(), LinkState::ProcessorOutage);
    assert_eq!(p.b.times_of(&L2ToL3::RemoteProcessorOutage).len(), 1);
    // B's level 3 keeps sending: the MSUs wait in B (TXC sends FISUs only).
    sent.extend(send(&mut p, "B", 1, 5..15));
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.a.received.len(), 5);
    assert_eq!(p.b.mtp2.transmission_buffer_len(), 10);
    // A recovers; level 3 says continue.
    let now = p.time;
    p.a.l3(now, L3ToL2::LocalProcessorRecovered);
    p.a.l3(now, L3ToL2::Continue);
    p.note("A", "LocalProcessorRecovered, Continue");
    assert_eq!(p.a.state(), LinkState::InService);
    assert!(p.run_until_cond(Duration::from_millis(100), |p| !p
        .b
        .times_of(&L2ToL3::RemoteProcessorRecovered)
        .is_empty()));
    // B's level 3 answers the recovery with continue (no changeover was made).
    let now = p.time;
    p.b.l3(now, L3ToL2::Continue);
    p.note("B", "Continue");
    p.run_for(Duration::from_millis(200));
    println!("{}", p.ladder());
    assert_eq!(p.a.received, sent);
    assert_eq!(p.b.state(), LinkState::InService);
    assert!(subsequence(
        &p.ladder_shape(),
        &[
            "A: LocalProcessorOutage",
            "A->B SIPO",
            "B: RemoteProcessorOutage",
            "A: LocalProcessorRecovered, Continue",
            "B: RemoteProcessorRecovered",
            "B: Continue",
            "B->A MSU 127+/5+",
        ]
    ));
}

#[test]
fn remote_processor_outage_then_flush_buffers() {
    let mut p = Pair::default_itu();
    p.a.emergency = true;
    p.align();
    let now = p.time;
    p.a.l3(now, L3ToL2::LocalProcessorOutage);
    p.run_for(Duration::from_millis(20));
    // B's messages during the outage go elsewhere (changeover); B flushes them.
    send(&mut p, "B", 1, 0..10);
    p.run_for(Duration::from_millis(100));
    let now = p.time;
    p.a.l3(now, L3ToL2::LocalProcessorRecovered);
    p.a.l3(now, L3ToL2::Continue);
    assert!(p.run_until_cond(Duration::from_millis(100), |p| !p
        .b
        .times_of(&L2ToL3::RemoteProcessorRecovered)
        .is_empty()));
    let now = p.time;
    p.b.l3(now, L3ToL2::FlushBuffers);
    assert_eq!(p.b.mtp2.transmission_buffer_len(), 0);
    let after = send(&mut p, "B", 1, 10..20);
    let back = send(&mut p, "A", 0, 0..3);
    p.run_for(Duration::from_millis(200));
    assert_eq!(p.a.received, after);
    assert_eq!(p.b.received, back);
}

#[test]
fn both_processors_out_recover_one_after_the_other() {
    let mut p = Pair::default_itu();
    p.a.emergency = true;
    p.align();
    let now = p.time;
    p.a.l3(now, L3ToL2::LocalProcessorOutage);
    p.b.l3(now, L3ToL2::LocalProcessorOutage);
    p.run_for(Duration::from_millis(20));
    assert_eq!(p.a.times_of(&L2ToL3::RemoteProcessorOutage).len(), 1);
    assert_eq!(p.b.times_of(&L2ToL3::RemoteProcessorOutage).len(), 1);
    let now = p.time;
    p.a.l3(now, L3ToL2::LocalProcessorRecovered);
    p.a.l3(now, L3ToL2::Continue);
    p.run_for(Duration::from_millis(100));
    // B is still out: A stays in processor outage.
    assert_eq!(p.a.state(), LinkState::ProcessorOutage);
    let now = p.time;
    p.b.l3(now, L3ToL2::LocalProcessorRecovered);
    p.b.l3(now, L3ToL2::Continue);
    p.run_for(Duration::from_millis(20));
    assert_eq!(p.a.times_of(&L2ToL3::RemoteProcessorRecovered).len(), 1);
    assert_eq!(p.a.state(), LinkState::InService);
    assert_eq!(p.b.state(), LinkState::InService);
    let ab = send(&mut p, "A", 0, 0..5);
    let ba = send(&mut p, "B", 1, 0..5);
    p.run_for(Duration::from_millis(100));
    assert_eq!(p.b.received, ab);
    assert_eq!(p.a.received, ba);
}

#[test]
fn local_processor_outage_before_alignment_aligns_not_ready() {
    let mut p = Pair::default_itu();
    p.a.emergency = true;
    let now = p.time;
    p.a.l3(now, L3ToL2::LocalProcessorOutage);
    p.start_both();
    p.run_for(Duration::from_secs(1));
    println!("{}", p.ladder());
    assert_eq!(p.a.state(), LinkState::ProcessorOutage);
    assert_eq!(p.a.times_of(&L2ToL3::InService).len(), 1);
    assert_eq!(p.b.state(), LinkState::ProcessorOutage);
    assert_eq!(p.b.events.len(), 2, "{:?}", p.b.events);
    assert_eq!(p.b.times_of(&L2ToL3::RemoteProcessorOutage).len(), 1);
    let now = p.time;
    p.a.l3(now, L3ToL2::LocalProcessorRecovered);
    p.a.l3(now, L3ToL2::Continue);
    assert!(p.run_until_cond(Duration::from_millis(100), |p| !p
        .b
        .times_of(&L2ToL3::RemoteProcessorRecovered)
        .is_empty()));
    let now = p.time;
    p.b.l3(now, L3ToL2::Continue);
    let sent = send(&mut p, "B", 1, 0..3);
    p.run_for(Duration::from_millis(100));
    assert_eq!(p.a.received, sent);
}

#[test]
fn retrieval_after_a_failure_hands_back_exactly_what_the_far_end_lacks() {
    let mut p = Pair::default_itu();
    p.a.emergency = true;
    p.align();
    let from_a = send(&mut p, "A", 0, 0..60);
    let from_b = send(&mut p, "B", 1, 0..60);
    p.run_for(Duration::from_millis(40));
    // The line is cut: both T7s expire.
    p.fate = Box::new(|_, _, _| Fate::Lose);
    assert!(p.run_until_cond(Duration::from_secs(3), |p| {
        p.a.state() == LinkState::OutOfService && p.b.state() == LinkState::OutOfService
    }));
    assert!(!p.a.received.is_empty() && p.a.received.len() < 60);
    // Changeover (Q.704 5): each level 3 retrieves its BSNT, the far end's BSNT is the FSNC
    // for the retrieval.
    let now = p.time;
    p.a.l3(now, L3ToL2::RetrieveBsnt);
    p.b.l3(now, L3ToL2::RetrieveBsnt);
    drain(&mut p, "A");
    drain(&mut p, "B");
    let bsnt = |p: &Pair, side: &str| {
        let s = if side == "A" { &p.a } else { &p.b };
        s.events
            .iter()
            .find_map(|(_, e)| match e {
                L2ToL3::Bsnt(b) => Some(*b),
                _ => None,
            })
            .expect("BSNT")
    };
    let (bsnt_a, bsnt_b) = (bsnt(&p, "A"), bsnt(&p, "B"));
    assert_eq!(usize::from(bsnt_a), p.a.received.len() - 1);
    assert_eq!(usize::from(bsnt_b), p.b.received.len() - 1);
    p.a.l3(now, L3ToL2::RetrievalRequestAndFsnc(bsnt_b));
    p.b.l3(now, L3ToL2::RetrievalRequestAndFsnc(bsnt_a));
    let retrieved = |p: &mut Pair, side: &str| {
        let s = p.side(side);
        let mut got = Vec::new();
        let mut complete = false;
        while let Some(e) = s.mtp2.poll_event() {
            match e {
                L2ToL3::RetrievedMessage(m) => got.push(m),
                L2ToL3::RetrievalComplete => complete = true,
                _ => {}
            }
        }
        assert!(complete);
        got
    };
    let back_a = retrieved(&mut p, "A");
    let back_b = retrieved(&mut p, "B");
    let mut b_all = p.b.received.clone();
    b_all.extend(back_a);
    assert_eq!(b_all, from_a);
    let mut a_all = p.a.received.clone();
    a_all.extend(back_b);
    assert_eq!(a_all, from_b);
    assert_eq!(p.a.mtp2.retransmission_buffer_len(), 0);
    assert_eq!(p.a.mtp2.transmission_buffer_len(), 0);
    // The line comes back; the links align again and carry new traffic from FSN 0.
    p.fate = Box::new(|_, _, _| Fate::Deliver);
    let (na, nb) = (p.a.received.len(), p.b.received.len());
    p.align();
    let again = send(&mut p, "A", 0, 100..105);
    p.run_for(Duration::from_millis(100));
    assert_eq!(p.b.received[nb..], again[..]);
    assert_eq!(p.a.received.len(), na);
}

#[test]
fn retrieval_is_refused_in_service_and_for_an_unreasonable_fsnc() {
    let mut p = Pair::default_itu();
    p.a.emergency = true;
    p.align();
    let now = p.time;
    p.a.l3(now, L3ToL2::RetrieveBsnt);
    p.a.l3(now, L3ToL2::RetrievalRequestAndFsnc(0));
    p.run_for(Duration::from_millis(1));
    assert_eq!(p.a.times_of(&L2ToL3::BsntNotRetrievable).len(), 1);
    assert_eq!(p.a.times_of(&L2ToL3::RetrievalNotPossible).len(), 1);
    send(&mut p, "A", 0, 0..3);
    p.run_for(Duration::from_millis(30));
    let now = p.time;
    p.a.l3(now, L3ToL2::Stop);
    // FSNs 0..=2 were sent and acknowledged: an FSNC of 50 is unreasonable (Q.704 5.7.2).
    p.a.l3(now, L3ToL2::RetrievalRequestAndFsnc(50));
    p.a.l3(now, L3ToL2::RetrievalRequestAndFsnc(2));
    p.run_for(Duration::from_millis(1));
    assert_eq!(p.a.times_of(&L2ToL3::RetrievalNotPossible).len(), 2);
    assert_eq!(p.a.times_of(&L2ToL3::RetrievalComplete).len(), 1);
}
