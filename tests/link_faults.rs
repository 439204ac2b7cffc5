//! Link faults over the real transports: two signalling points, PC 1 and PC 2, each an
//! [`MtpShell`](sipt_mgc::shell::MtpShell) with its own real MTP2 and MTP3, joined by `frames`
//! links through a lossy SOCK_SEQPACKET relay (tests/support/relay.rs) or by a `serial` link on
//! two PTYs paced at 64 kbit/s with a byte relay between them that damages frames.
//!
//! - `frames_lossy_relay_loses_nothing`: 2% of the frames dropped and 0.5% damaged both ways
//!   while 2000 messages go each way: MTP2's error correction (Q.703 5) repeats what was lost
//!   and the link stays in service; nothing lost, duplicated or reordered.
//! - `serial_bad_fcs_and_lost_frames_lose_nothing`: on the octet-stuffed serial line, frames
//!   with a flipped bit (the receiver's FCS check fails: `fcs_errors`) and frames left out;
//!   the same guarantee.
//! - `far_end_gone_link_fails_in_time_and_realigns`: a short cut of the line (both ends
//!   reconnect at once) costs retransmissions, not the link; then the far end's process
//!   disappears: the link goes out of service on the silence within the Q.703 bound, and
//!   realigns by itself when a new far end comes; traffic flows again.
//! - `serial_far_end_gone_link_fails_in_time_and_realigns`: the same on a PTY, whose master
//!   sees no hang-up when the far end closes the slave, only silence.
//! - `full_queue_on_a_paced_line_is_waited_for_not_spun_on`: a paced line with more to send
//!   than it carries costs the shell a few hundred wake-ups a second.
//! - `linkset_changes_over_and_back`: two links; one line goes dead with messages in flight;
//!   changeover (Q.704 5) moves its traffic to the other link with nothing lost, duplicated or
//!   reordered; the line comes back, the link realigns and changeback (Q.704 6) moves it home.
//!
//! Real time on loopback: each test takes a few seconds. They run one at a time (a lock), so
//! that their timing assertions do not compete with each other for the CPU.

mod link_faults_support;
mod support;

use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use link_faults_support::{
    check_exactly_once_in_order, frames, serial_pty, PtyRelay, PtyRelayCounts, Rng, Sp, Traffic,
};
use sipt_mgc::shell::MtpShellOptions;
use sipt_mgc::ss7::l2::OutOfServiceReason;
use sipt_mgc::ss7::mtp2::Mtp2Config;
use sipt_mgc::ss7::mtp3::{ChangeoverKind, LinkFailure, LinkStatus, LinksetStatus, Mtp3Event};
use support::relay::{Relay, Side, Verdict};
use tokio::time::Instant;

/// One test at a time (see the module documentation).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Alignment (emergency proving 0.5 s), the link test and the TRA exchange, with room for a
/// loaded machine.
const ALIGN: Duration = Duration::from_secs(10);
/// Time for the last messages to arrive after the last was sent, retransmissions included.
const DRAIN: Duration = Duration::from_secs(10);

fn out_of_service(e: &Mtp3Event) -> bool {
    matches!(
        e,
        Mtp3Event::LinkState {
            status: LinkStatus::OutOfService,
            ..
        }
    )
}

/// Waits until `sp` has `n` messages, then a little longer, so that a duplicate would show.
async fn settle(sp: &mut Sp, n: usize) {
    sp.wait_received(n, DRAIN).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    sp.drain();
}

/// The relay's verdicts so far, per direction: (dropped, replaced).
fn verdicts(relay: &Relay) -> [(usize, usize); 2] {
    let mut v = [(0, 0); 2];
    for f in relay.frames() {
        let d = match f.from {
            Side::A => &mut v[0],
            Side::B => &mut v[1],
        };
        match f.verdict {
            Verdict::Drop => d.0 += 1,
            Verdict::Replace(_) => d.1 += 1,
            Verdict::Forward => {}
        }
    }
    v
}

/// 2% of the frames dropped and 0.5% damaged, both ways, seeded. A damaged frame arrives as a
/// one-octet datagram: the transport reports a runt, as a card reports a frame with a bad FCS
/// (on `frames` the card checks the FCS, and the trailing 2 octets are not looked at), and the
/// shell counts it for the SUERM. MTP2's basic error correction repeats every MSU lost:
/// everything arrives once, in order per SLS, and the link stays in service.
#[tokio::test]
async fn frames_lossy_relay_loses_nothing() {
    let _one_at_a_time = SERIAL.lock().await;
    let relay = Relay::start("faults-loss");
    let mut a = Sp::spawn(
        "SP1",
        1,
        2,
        &[(0, frames(&relay.path_a()))],
        Mtp2Config::default(),
    );
    let mut b = Sp::spawn(
        "SP2",
        2,
        1,
        &[(0, frames(&relay.path_b()))],
        Mtp2Config::default(),
    );
    a.wait_available(ALIGN).await;
    b.wait_available(ALIGN).await;

    let lossy = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let on = lossy.clone();
    let rng = Mutex::new([Rng::new(0x5157_0001), Rng::new(0x5157_0002)]);
    relay.set_filter(move |side, _frame| {
        if !on.load(Relaxed) {
            return Verdict::Forward;
        }
        let mut rng = rng.lock().unwrap_or_else(|p| p.into_inner());
        let x = rng[usize::from(side == Side::B)].below(1000);
        if x < 20 {
            Verdict::Drop
        } else if x < 25 {
            Verdict::Replace(vec![0])
        } else {
            Verdict::Forward
        }
    });

    const N: usize = 2000;
    let (mut ta, mut tb) = (Traffic::new(), Traffic::new());
    let tick = Duration::from_millis(5);
    tokio::join!(ta.run(&a, N, 20, tick), tb.run(&b, N, 20, tick));
    settle(&mut b, N).await;
    settle(&mut a, N).await;
    lossy.store(false, Relaxed);
    check_exactly_once_in_order("SP1 to SP2", &b.received, &ta.sent);
    check_exactly_once_in_order("SP2 to SP1", &a.received, &tb.sent);

    // The relay did damage both ways, the receivers counted the damaged frames, and the
    // senders repeated what was lost after negative acknowledgements.
    let v = verdicts(&relay);
    for (dir, (dropped, replaced)) in v.iter().enumerate() {
        assert!(*dropped >= 20 && *replaced >= 3, "direction {dir}: {v:?}");
    }
    for (sp, other) in [(&a, &b), (&b, &a)] {
        let m = sp.mtp2_stats(0).await;
        let t = sp.stats(0).await;
        eprintln!(
            "{}: relay dropped/damaged (A->B, B->A) {v:?}; runts {}, MSUs retransmitted {}, \
             negative acks received {}",
            sp.name, t.runts, m.msus_retransmitted, m.negative_acks_received
        );
        assert!(
            m.msus_retransmitted > 0 && m.negative_acks_received > 0,
            "{}: no retransmission: {m:?}",
            sp.name
        );
        assert!(
            t.runts > 0 && m.su_in_error >= t.runts,
            "{}: damaged frames not counted: {t:?} {m:?}",
            sp.name
        );
        assert!(
            sp.logged(out_of_service).is_empty(),
            "{}: the link left service: {:?} (far end {:?})",
            sp.name,
            sp.log,
            other.log
        );
    }
}

/// The `serial` transport on two PTYs paced at 64 kbit/s, with the test copying the octets
/// between the two slaves: 1% of the frames get a bit flipped (the receiver's FCS check
/// fails, `fcs_errors` counts it and the SUERM sees it) and 1% are left out. Faults start
/// once the link is in service: during proving one errored unit aborts emergency proving
/// (Q.703 10.3, Tie = 1). 1% stays well under the SUERM's threshold (64 errors, leaking one per
/// 256 good units, Q.703 10.2), so the link stays in service while MTP2 repairs every loss.
#[tokio::test]
async fn serial_bad_fcs_and_lost_frames_lose_nothing() {
    let _one_at_a_time = SERIAL.lock().await;
    let mut a = Sp::spawn("SP1", 1, 2, &[(0, serial_pty())], Mtp2Config::default());
    let mut b = Sp::spawn("SP2", 2, 1, &[(0, serial_pty())], Mtp2Config::default());
    let relay = PtyRelay::start(
        &a.pty_path(0).await,
        &b.pty_path(0).await,
        0x5157_0003,
        10,
        10,
    );
    a.wait_available(ALIGN).await;
    b.wait_available(ALIGN).await;

    relay.faults.store(true, Relaxed);
    // About 17 octets a message on the line (flag, 14 octets of signal unit, FCS): 300 a
    // second each way leave room for the acknowledgements and the repetitions.
    const N: usize = 500;
    let (mut ta, mut tb) = (Traffic::new(), Traffic::new());
    let tick = Duration::from_millis(10);
    tokio::join!(ta.run(&a, N, 3, tick), tb.run(&b, N, 3, tick));
    settle(&mut b, N).await;
    settle(&mut a, N).await;
    relay.faults.store(false, Relaxed);
    check_exactly_once_in_order("SP1 to SP2", &b.received, &ta.sent);
    check_exactly_once_in_order("SP2 to SP1", &a.received, &tb.sent);

    let corrupted = PtyRelayCounts::get(&relay.counts.corrupted);
    let dropped = PtyRelayCounts::get(&relay.counts.dropped);
    assert!(
        corrupted.iter().all(|&c| c >= 3) && dropped.iter().all(|&d| d >= 3),
        "relay: corrupted {corrupted:?}, dropped {dropped:?}"
    );
    // Direction 0 is SP1 to SP2: SP2's receiver saw what was corrupted on the way to it.
    for (sp, to_it) in [(&a, corrupted[1]), (&b, corrupted[0])] {
        let t = sp.stats(0).await;
        let m = sp.mtp2_stats(0).await;
        eprintln!(
            "{}: relay corrupted {corrupted:?} dropped {dropped:?} (1->2, 2->1); FCS errors {}, \
             MSUs retransmitted {}, negative acks received {}",
            sp.name, t.fcs_errors, m.msus_retransmitted, m.negative_acks_received
        );
        assert_eq!(
            t.fcs_errors, to_it,
            "{}: every flipped bit is an FCS error, nothing else is: {t:?}",
            sp.name
        );
        assert!(m.su_in_error >= to_it, "{}: {m:?}", sp.name);
        assert!(
            m.msus_retransmitted > 0 && m.negative_acks_received > 0,
            "{}: no retransmission: {m:?}",
            sp.name
        );
        assert!(
            sp.logged(out_of_service).is_empty(),
            "{}: the link left service: {:?}",
            sp.name,
            sp.log
        );
    }
}

/// How long after the far end falls silent the link must be out of service, and why.
///
/// A line whose far end is gone carries no flags; the receiver is in octet counting mode and
/// the SUERM counts one error per N = 16 octets (Q.703 4.1.4, 10.2), reaching T = 64 after
/// 1024 octet times, 128 ms at 64 kbit/s. A socket or PTY is merely silent, so the shell
/// starts counting once nothing has arrived for [`MtpShellOptions::silence`] (60 ms: several
/// fill-in intervals) and counts in steps of its fill-in interval (10 ms). The far end's last
/// unit may have left up to one fill-in interval before it vanished. So the link fails about
/// 60 + 128 + 10 (+ 10) ms after the far end goes: ~200 ms. The assertion allows 1 s for a
/// loaded machine; and not less than 100 ms, so a brief gap (a late fill-in) is no failure.
fn failure_bound() -> (Duration, Duration) {
    let o = MtpShellOptions::default();
    let c = Mtp2Config::default();
    let counting = Duration::from_secs_f64(
        f64::from(c.suerm_t * c.n_octets) / f64::from(o.line_octets_per_second),
    );
    let expected = o.silence + counting + 2 * o.fill_in;
    assert!(expected < Duration::from_millis(250), "{expected:?}");
    (Duration::from_millis(100), Duration::from_secs(1))
}

/// SP2's process goes away (its shell and transports dropped): the relay drops SP1's side too
/// and SP1 reconnects at once to a relay that has no far end, so SP1's link is silent. SP1
/// takes the link out of service on the SUERM within the bound of [`failure_bound`], and the
/// destination becomes inaccessible (MTP-PAUSE). A new SP2 comes: without anyone telling it,
/// SP1 restarts the link after Q.704 T17, aligns with emergency proving (Q.703 T4 = Pe 0.5 s,
/// the only link of the linkset), tests it, exchanges TRA; traffic flows again both ways.
#[tokio::test]
async fn far_end_gone_link_fails_in_time_and_realigns() {
    let _one_at_a_time = SERIAL.lock().await;
    let (lower, upper) = failure_bound();
    let relay = Relay::start("faults-gone");
    let mut a = Sp::spawn(
        "SP1",
        1,
        2,
        &[(0, frames(&relay.path_a()))],
        Mtp2Config::default(),
    );
    let mut b = Sp::spawn(
        "SP2",
        2,
        1,
        &[(0, frames(&relay.path_b()))],
        Mtp2Config::default(),
    );
    a.wait_available(ALIGN).await;
    b.wait_available(ALIGN).await;
    let (mut ta, mut tb) = (Traffic::new(), Traffic::new());
    let tick = Duration::from_millis(5);
    tokio::join!(ta.run(&a, 100, 10, tick), tb.run(&b, 100, 10, tick));
    // A break of the line much shorter than the SUERM needs: both ends reconnect at once and
    // the relay pairs them again. The link stays in service; MTP2 repeats what was lost.
    relay.cut();
    tokio::join!(ta.run(&a, 100, 10, tick), tb.run(&b, 100, 10, tick));
    settle(&mut b, 200).await;
    settle(&mut a, 200).await;
    check_exactly_once_in_order("SP1 to SP2 across a cut", &b.received, &ta.sent);
    assert_eq!(relay.sessions(), 2, "the relay was cut once");
    for sp in [&a, &b] {
        assert!(
            sp.logged(out_of_service).is_empty(),
            "{}: a short cut took the link out of service: {:?}",
            sp.name,
            sp.log
        );
        let t = sp.stats(0).await;
        assert_eq!((t.losses, t.reconnects), (1, 1), "{}: {t:?}", sp.name);
    }

    // The far end disappears.
    let gone = Instant::now();
    drop(b);
    let failed = a
        .wait_for(
            "link out of service",
            Duration::from_secs(5),
            out_of_service,
        )
        .await;
    let took = failed - gone;
    let failure = a.logged(out_of_service);
    assert!(
        matches!(
            failure.as_slice(),
            [(
                _,
                Mtp3Event::LinkState {
                    link: 0,
                    reason: Some(LinkFailure::Level2(OutOfServiceReason::ErrorRateMonitor)),
                    ..
                }
            )]
        ),
        "the SUERM takes the link out of service: {failure:?}"
    );
    assert!(
        lower <= took && took <= upper,
        "out of service {took:?} after the far end went, expected ~200 ms ({lower:?}..{upper:?})"
    );
    a.wait_for("MTP-PAUSE", Duration::from_secs(1), |e| {
        matches!(e, Mtp3Event::Pause { .. })
    })
    .await;
    assert_eq!(
        a.with(|s| s.mtp().mtp3().linkset_status()).await,
        LinksetStatus::Unavailable
    );

    // A while without a far end, then a new one.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let back = Instant::now();
    let mut b = Sp::spawn(
        "SP2'",
        2,
        1,
        &[(0, frames(&relay.path_b()))],
        Mtp2Config::default(),
    );
    let realigned = a.wait_available(ALIGN).await;
    b.wait_available(ALIGN).await;
    assert_eq!(
        relay.sessions(),
        3,
        "one relay session per far end, one after the cut"
    );
    let m = a.mtp2_stats(0).await;
    assert_eq!((m.in_service, m.link_failures), (2, 1), "{m:?}");
    eprintln!(
        "far end gone: out of service after {took:?}; realigned {:?} after the new far end came",
        realigned - back
    );

    let (mut ta2, mut tb2) = (Traffic::new(), Traffic::new());
    tokio::join!(ta2.run(&a, 200, 10, tick), tb2.run(&b, 200, 10, tick));
    settle(&mut b, 200).await;
    settle(&mut a, 400).await;
    check_exactly_once_in_order("SP1 to SP2' after realignment", &b.received, &ta2.sent);
    // SP1 received SP2's 200, then SP2''s 200 (the same sequence numbers again, from a new
    // source): check each part.
    let (old, new) = a.received.split_at(200);
    check_exactly_once_in_order("SP2 to SP1 across a cut", old, &tb.sent);
    check_exactly_once_in_order("SP2' to SP1 after realignment", new, &tb2.sent);
}

/// A linkset of two links (SLC 0 and 1), each through its own relay, traffic on all 16 SLSs
/// both ways. Link 0's line goes dead (the relay drops everything) with messages in flight:
/// both ends see it fail (SUERM), exchange COO/COA over link 1 and send the messages link 0
/// had not got acknowledged on link 1 (Q.704 5.4, 5.5): nothing lost, duplicated or
/// reordered, and the destination stays accessible throughout. The line comes back: link 0
/// restarts after T17, aligns with normal proving (link 1 carries traffic, Q.704 12.2) —
/// shortened here to 1 s from 8.2 s (Q.703 T4 Pn) so the test stays short; the procedure is the
/// same — passes its test and changeback (CBD/CBA) moves its SLSs home.
#[tokio::test]
async fn linkset_changes_over_and_back() {
    let _one_at_a_time = SERIAL.lock().await;
    let mtp2 = Mtp2Config {
        t4_normal: Duration::from_secs(1),
        ..Mtp2Config::default()
    };
    let r0 = Relay::start("faults-ls0");
    let r1 = Relay::start("faults-ls1");
    let mut a = Sp::spawn(
        "SP1",
        1,
        2,
        &[(0, frames(&r0.path_a())), (1, frames(&r1.path_a()))],
        mtp2.clone(),
    );
    let mut b = Sp::spawn(
        "SP2",
        2,
        1,
        &[(0, frames(&r0.path_b())), (1, frames(&r1.path_b()))],
        mtp2,
    );
    a.wait_available(ALIGN).await;
    b.wait_available(ALIGN).await;
    // The second link may come into service after the linkset restarted.
    for sp in [&a, &b] {
        let deadline = Instant::now() + ALIGN;
        while sp.link_status(0).await != Some(LinkStatus::Available)
            || sp.link_status(1).await != Some(LinkStatus::Available)
        {
            assert!(
                Instant::now() < deadline,
                "{}: links not both available",
                sp.name
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    let dead = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let d = dead.clone();
    r0.set_filter(move |_, _| {
        if d.load(Relaxed) {
            Verdict::Drop
        } else {
            Verdict::Forward
        }
    });

    // Traffic both ways: 16 messages (one per SLS) every 10 ms from each side.
    let (mut ta, mut tb) = (Traffic::new(), Traffic::new());
    let tick = Duration::from_millis(10);
    tokio::join!(ta.run(&a, 320, 16, tick), tb.run(&b, 320, 16, tick));
    let before = [a.mtp2_stats(0).await, a.mtp2_stats(1).await];
    assert!(
        before.iter().all(|m| m.msus_sent > 100),
        "both links carry traffic: {before:?}"
    );

    // Link 0's line dies while traffic flows, and the traffic goes on.
    let died = Instant::now();
    dead.store(true, Relaxed);
    tokio::join!(ta.run(&a, 960, 16, tick), tb.run(&b, 960, 16, tick));
    let n = ta.total();
    settle(&mut b, n).await;
    settle(&mut a, n).await;
    check_exactly_once_in_order("SP1 to SP2 across changeover", &b.received, &ta.sent);
    check_exactly_once_in_order("SP2 to SP1 across changeover", &a.received, &tb.sent);
    for sp in [&a, &b] {
        let failed = sp.logged(out_of_service);
        let Some((at, _)) = failed.first() else {
            panic!("{}: link 0 did not fail: {:?}", sp.name, sp.log);
        };
        assert!(
            *at - died < Duration::from_secs(1),
            "{}: link 0 failed {:?} after its line died",
            sp.name,
            *at - died
        );
        let changeovers: Vec<ChangeoverKind> = sp
            .log
            .iter()
            .filter_map(|(_, e)| match e {
                Mtp3Event::ChangeoverComplete { link: 0, kind } => Some(*kind),
                _ => None,
            })
            .collect();
        assert!(
            matches!(
                changeovers.as_slice(),
                [ChangeoverKind::BufferUpdating { .. }]
            ),
            "{}: one changeover with buffer updating (COO/COA): {changeovers:?}",
            sp.name
        );
        assert!(
            sp.logged(|e| matches!(e, Mtp3Event::Pause { .. }))
                .is_empty(),
            "{}: the destination stays accessible over link 1: {:?}",
            sp.name,
            sp.log
        );
        eprintln!(
            "{}: link 0 failed {:?} after its line died; changeover {changeovers:?}",
            sp.name,
            *at - died
        );
    }
    let retrieved: usize = [&a, &b]
        .iter()
        .flat_map(|sp| &sp.log)
        .filter_map(|(_, e)| match e {
            Mtp3Event::ChangeoverComplete {
                kind: ChangeoverKind::BufferUpdating { retrieved },
                ..
            } => Some(*retrieved),
            _ => None,
        })
        .sum();
    assert!(retrieved > 0, "messages in flight on link 0 were retrieved");

    // The line returns: link 0 realigns by itself and the traffic comes home.
    let restored = Instant::now();
    dead.store(false, Relaxed);
    for sp in [&mut a, &mut b] {
        sp.wait_for("changeback to link 0", ALIGN, |e| {
            matches!(e, Mtp3Event::ChangebackComplete { link: 0, .. })
        })
        .await;
    }
    eprintln!(
        "changeback {:?} after the line returned",
        restored.elapsed()
    );
    let on_link0 = a.mtp2_stats(0).await.msus_sent;
    tokio::join!(ta.run(&a, 320, 16, tick), tb.run(&b, 320, 16, tick));
    let n = ta.total();
    settle(&mut b, n).await;
    settle(&mut a, n).await;
    assert!(
        a.mtp2_stats(0).await.msus_sent > on_link0 + 100,
        "link 0 carries traffic again"
    );
    check_exactly_once_in_order("SP1 to SP2 after changeback", &b.received, &ta.sent);
    check_exactly_once_in_order("SP2 to SP1 after changeback", &a.received, &tb.sent);
}

/// A `serial` link on a PTY paced at 64 kbit/s, PC 1 handed far more long MSUs than the line
/// carries: the transport queue stays full. The shell must wait for room by retrying every
/// millisecond, not spin: it used to retry 1 ms after the last unit it had queued, which on a
/// line busy for 35 ms with each 276-octet unit was always in the past (a core at 93%).
/// Wake-ups: the retries (1000 a second), the far end's acknowledgements and fill-in (~130),
/// timers; a spinning shell wakes hundreds of thousands of times.
#[tokio::test]
async fn full_queue_on_a_paced_line_is_waited_for_not_spun_on() {
    let _one_at_a_time = SERIAL.lock().await;
    let mut a = Sp::spawn("SP1", 1, 2, &[(0, serial_pty())], Mtp2Config::default());
    let slave = a.pty_path(0).await;
    let mut tty = serial_pty();
    tty.path = slave.to_string_lossy().into_owned();
    let mut b = Sp::spawn("SP2", 2, 1, &[(0, tty)], Mtp2Config::default());
    a.wait_available(ALIGN).await;
    b.wait_available(ALIGN).await;

    // 200 messages of 268 octets: 7 s of line time.
    let mut ta = Traffic::padded(262);
    assert_eq!(ta.send(&a, 200, 1000).await, 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (w0, t0) = (a.wake_ups.load(Relaxed), Instant::now());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let per_second = (a.wake_ups.load(Relaxed) - w0) as f64 / t0.elapsed().as_secs_f64();
    b.drain();
    eprintln!(
        "full queue: {per_second:.0} wake-ups a second; {} messages through",
        b.received.len()
    );
    assert!(
        b.received.len() >= 20,
        "the line carries ~29 a second: {}",
        b.received.len()
    );
    assert!(
        per_second < 5_000.0,
        "the shell spins on a full queue: {per_second:.0} wake-ups a second"
    );
}

/// The far end of a `serial` link gone: PC 2 attached to the slave of PC 1's PTY (as the
/// gateway attaches to the simulator's) goes away. A PTY master sees no hang-up (the `pty`
/// transport keeps the slave open itself), only silence: PC 1's link fails on the SUERM within
/// the same bound, and realigns by itself with a new PC 2 on the same slave.
#[tokio::test]
async fn serial_far_end_gone_link_fails_in_time_and_realigns() {
    let _one_at_a_time = SERIAL.lock().await;
    let (lower, upper) = failure_bound();
    let mut a = Sp::spawn("SP1", 1, 2, &[(0, serial_pty())], Mtp2Config::default());
    let mut tty = serial_pty();
    tty.path = a.pty_path(0).await.to_string_lossy().into_owned();
    let mut b = Sp::spawn("SP2", 2, 1, &[(0, tty.clone())], Mtp2Config::default());
    a.wait_available(ALIGN).await;
    b.wait_available(ALIGN).await;

    let gone = Instant::now();
    drop(b);
    let failed = a
        .wait_for(
            "link out of service",
            Duration::from_secs(5),
            out_of_service,
        )
        .await;
    let took = failed - gone;
    assert!(
        matches!(
            a.logged(out_of_service).as_slice(),
            [(
                _,
                Mtp3Event::LinkState {
                    reason: Some(LinkFailure::Level2(OutOfServiceReason::ErrorRateMonitor)),
                    ..
                }
            )]
        ),
        "the SUERM takes the link out of service: {:?}",
        a.log
    );
    assert!(
        lower <= took && took <= upper,
        "out of service {took:?} after the far end went ({lower:?}..{upper:?})"
    );
    assert_eq!(a.stats(0).await.losses, 0, "a PTY master sees no hang-up");

    let mut b = Sp::spawn("SP2'", 2, 1, &[(0, tty)], Mtp2Config::default());
    a.wait_available(ALIGN).await;
    b.wait_available(ALIGN).await;
    eprintln!("serial far end gone: out of service after {took:?}");
    let (mut ta, mut tb) = (Traffic::new(), Traffic::new());
    let tick = Duration::from_millis(10);
    tokio::join!(ta.run(&a, 100, 3, tick), tb.run(&b, 100, 3, tick));
    settle(&mut b, 100).await;
    settle(&mut a, 100).await;
    check_exactly_once_in_order("SP1 to SP2' after realignment", &b.received, &ta.sent);
    check_exactly_once_in_order("SP2' to SP1 after realignment", &a.received, &tb.sent);
}
