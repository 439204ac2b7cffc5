//! RFC 3262 reliable provisional responses with simulated time: the UAS retransmits at T1,
//! 2·T1, 4·T1 ... until the PRACK, gives up after 64·T1, sends one unacknowledged response
//! at a time, holds a 2xx while an unacknowledged 1xx carried SDP; the UAC accepts in RSeq
//! order only.

use std::time::Duration;

use sipt_mgc::sip::reliable::{
    FinalPermission, PrackError, RAck, UacReliable, UacVerdict, UasOutput, UasReliable,
};
use sipt_mgc::time::Instant;

const T1: Duration = Duration::from_millis(500);

fn run(uas: &mut UasReliable<&'static str>, from: Instant, to: Instant) -> Vec<(u64, u32)> {
    let mut sent = Vec::new();
    let mut now = from;
    while let Some(t) = uas.poll_timeout() {
        if t > to {
            break;
        }
        now = t;
        uas.handle_timeout(now);
        while let Some(o) = uas.poll_output() {
            if let UasOutput::Send { rseq, .. } = o {
                sent.push((now.as_nanos() / 1_000_000, rseq));
            }
        }
    }
    let _ = now;
    sent
}

fn rack(rseq: u32) -> RAck {
    UacReliable::rack(rseq, 1, "INVITE")
}

#[test]
fn retransmits_doubling_until_the_prack() {
    let mut uas = UasReliable::new(1, 100, T1);
    let rseq = uas.send(Instant::ZERO, "183", true);
    assert_eq!(rseq, 100);
    assert_eq!(
        uas.poll_output(),
        Some(UasOutput::Send {
            rseq: 100,
            response: "183"
        })
    );
    let sent = run(&mut uas, Instant::ZERO, Instant::from_millis(8000));
    assert_eq!(sent, [(500, 100), (1500, 100), (3500, 100), (7500, 100)]);
    assert_eq!(uas.final_permission(200), FinalPermission::WaitForPrack);
    assert_eq!(uas.final_permission(486), FinalPermission::Allowed);
    // A PRACK for another RSeq or another CSeq is not a match: 481.
    assert_eq!(
        uas.prack(Instant::from_millis(8000), &rack(99)),
        Err(PrackError::NoMatch)
    );
    assert_eq!(
        uas.prack(
            Instant::from_millis(8000),
            &UacReliable::rack(100, 2, "INVITE")
        ),
        Err(PrackError::NoMatch)
    );
    assert_eq!(uas.prack(Instant::from_millis(8000), &rack(100)), Ok(100));
    assert!(uas.all_acknowledged());
    assert_eq!(uas.poll_timeout(), None);
    assert_eq!(uas.final_permission(200), FinalPermission::Allowed);
    // A second PRACK for the same response matches nothing any more.
    assert_eq!(
        uas.prack(Instant::from_millis(8100), &rack(100)),
        Err(PrackError::NoMatch)
    );
}

#[test]
fn gives_up_after_64_t1() {
    let mut uas = UasReliable::new(1, 7, T1);
    uas.send(Instant::ZERO, "180", false);
    let _ = uas.poll_output();
    let mut now = Instant::ZERO;
    let mut gave_up = None;
    while let Some(t) = uas.poll_timeout() {
        now = t;
        uas.handle_timeout(now);
        while let Some(o) = uas.poll_output() {
            if let UasOutput::Unacknowledged { rseq } = o {
                gave_up = Some((now.as_nanos() / 1_000_000, rseq));
            }
        }
    }
    assert_eq!(
        gave_up,
        Some((32_000, 7)),
        "64·T1, then the TU rejects with a 5xx"
    );
    let _ = now;
}

#[test]
fn one_unacknowledged_response_at_a_time_in_rseq_order() {
    let mut uas = UasReliable::new(1, 1, T1);
    assert_eq!(uas.send(Instant::ZERO, "180", false), 1);
    assert_eq!(uas.send(Instant::ZERO, "183", true), 2);
    assert!(matches!(
        uas.poll_output(),
        Some(UasOutput::Send { rseq: 1, .. })
    ));
    assert_eq!(uas.poll_output(), None, "the 183 waits for the 180's PRACK");
    // The queued 183 carries SDP: a 2xx must wait for it too.
    assert_eq!(uas.final_permission(200), FinalPermission::WaitForPrack);
    let now = Instant::from_millis(200);
    assert_eq!(uas.prack(now, &rack(1)), Ok(1));
    assert_eq!(
        uas.poll_output(),
        Some(UasOutput::Send {
            rseq: 2,
            response: "183"
        })
    );
    assert_eq!(uas.poll_timeout(), Some(now + T1));
    uas.final_sent();
    assert_eq!(
        uas.poll_timeout(),
        None,
        "no retransmission after the final response"
    );
}

#[test]
fn the_uac_accepts_in_order_only() {
    let mut uac = UacReliable::new();
    assert_eq!(
        uac.received(4000),
        UacVerdict::Accept,
        "the first sets the sequence"
    );
    assert_eq!(uac.received(4000), UacVerdict::Retransmission);
    assert_eq!(uac.received(4002), UacVerdict::OutOfOrder);
    assert_eq!(uac.received(4001), UacVerdict::Accept);
    assert_eq!(uac.received(4002), UacVerdict::Accept);
    assert_eq!(uac.received(3999), UacVerdict::Retransmission);
}
