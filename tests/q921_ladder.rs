//! Q.921 LAPD scenarios between a user side and a network side, as ladder diagrams, with
//! simulated time (T200 = 1 s, T203 = 10 s, N200 = 3, k = 7: Q.921 5.9), a 10 ms line, and lost
//! or corrupted frames where the scenario says so. Run with `--nocapture` to see the diagrams.

#[path = "q921_pair/mod.rs"]
mod pair;

use std::time::Duration;

use pair::{is_i, is_s, messages, Pair};
use sipt_codecs::q921::{CommandResponse, Frame, Role, SupervisoryFunction, UnnumberedFunction};
use sipt_mgc::isdn::q921::{Config, DlEvent, MdlError, State};
use sipt_mgc::time::Instant;

const U: Role = Role::User;
const N: Role = Role::Network;

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

fn show(p: &Pair) {
    println!("{}", p.diagram());
}

/// A frame the network side would send to the user side.
fn from_network(
    kind: CommandResponse,
    function: UnnumberedFunction,
    pf: bool,
    info: Vec<u8>,
) -> Vec<u8> {
    Frame::u(0, 0, N, kind, function, pf, info)
        .to_bytes()
        .unwrap()
}

#[test]
fn establishment_by_the_user_side() {
    let mut p = Pair::default();
    p.user.lapd.establish(p.now);
    p.run_for(Duration::from_millis(100));
    show(&p);
    assert_eq!(p.rungs(), ["U>N SABME P", "N>U UA F"]);
    assert_eq!(p.user.primitives(), [DlEvent::EstablishConfirm]);
    assert_eq!(p.network.primitives(), [DlEvent::EstablishIndication]);
    assert_eq!(p.user.lapd.state(), State::MultipleFrameEstablished);
    assert_eq!(p.network.lapd.state(), State::MultipleFrameEstablished);
    // T203 runs on both sides, T200 on neither (Q.921 5.5.1.2).
    assert_eq!(
        p.user.lapd.poll_timeout(),
        Some(ms(20) + Duration::from_secs(10))
    );
    assert_eq!(
        p.network.lapd.poll_timeout(),
        Some(ms(10) + Duration::from_secs(10))
    );
}

#[test]
fn establishment_by_the_network_side() {
    let mut p = Pair::default();
    p.network.lapd.establish(p.now);
    p.run_for(Duration::from_millis(100));
    show(&p);
    assert_eq!(p.rungs(), ["N>U SABME P", "U>N UA F"]);
    assert_eq!(p.network.primitives(), [DlEvent::EstablishConfirm]);
    assert_eq!(p.user.primitives(), [DlEvent::EstablishIndication]);
    // C/R (Q.921 3.3.2, table 1): the network's SABME command has C/R = 1, the user's UA
    // response C/R = 1 too; the user's SABME command would have C/R = 0.
    let sabme = Frame::u(
        0,
        0,
        N,
        CommandResponse::Command,
        UnnumberedFunction::Sabme,
        true,
        vec![],
    );
    assert_eq!(sabme.to_bytes().unwrap(), [0x02, 0x01, 0x7f]);
    let ua = Frame::u(
        0,
        0,
        U,
        CommandResponse::Response,
        UnnumberedFunction::Ua,
        true,
        vec![],
    );
    assert_eq!(ua.to_bytes().unwrap(), [0x02, 0x01, 0x73]);
}

#[test]
fn establishment_collision_both_send_sabme() {
    // Q.921 5.5.5.1: identical commands crossed: each answers UA and enters multiple frame
    // established on the peer's UA, with DL-ESTABLISH-confirm. libpri starts this way.
    let mut p = Pair::default();
    p.user.lapd.establish(p.now);
    p.network.lapd.establish(p.now);
    p.run_for(Duration::from_millis(100));
    show(&p);
    assert_eq!(
        p.rungs(),
        ["U>N SABME P", "N>U SABME P", "N>U UA F", "U>N UA F"]
    );
    assert_eq!(p.user.primitives(), [DlEvent::EstablishConfirm]);
    assert_eq!(p.network.primitives(), [DlEvent::EstablishConfirm]);
    assert!(p.user.lapd.state().is_established() && p.network.lapd.state().is_established());
}

#[test]
fn lost_sabme_is_sent_again_after_t200() {
    let mut p = Pair::default();
    p.lose(U, 1, |_| true);
    p.user.lapd.establish(p.now);
    p.run_for(Duration::from_millis(1500));
    show(&p);
    assert_eq!(p.rungs(), ["U>N SABME P (lost)", "U>N SABME P", "N>U UA F"]);
    assert_eq!(p.ladder[1].at, ms(1000));
    assert_eq!(p.user.primitives(), [DlEvent::EstablishConfirm]);
}

#[test]
fn data_both_ways_acknowledged_by_i_frames_and_rr() {
    let mut p = Pair::default();
    p.establish();
    let start = p.ladder.len();
    p.send(U, messages(1, 3));
    p.run_for(Duration::from_millis(5));
    p.send(N, messages(101, 2));
    p.run_for(Duration::from_millis(100));
    show(&p);
    // The network's I frames carry N(R) of what it has received by then; the last
    // acknowledgements are RR responses (Q.921 5.6.2.2).
    assert_eq!(
        p.rungs_from(start),
        [
            "U>N I(0,0)",
            "U>N I(1,0)",
            "U>N I(2,0)",
            "N>U I(0,0)",
            "N>U I(1,0)",
            "N>U RR(1)",
            "N>U RR(2)",
            "N>U RR(3)",
            "U>N RR(1)",
            "U>N RR(2)",
        ]
    );
    assert_eq!(p.network.data(), messages(1, 3));
    assert_eq!(p.user.data(), messages(101, 2));
    assert_eq!(p.user.lapd.unacknowledged(), 0);
    assert_eq!(p.network.lapd.unacknowledged(), 0);
}

#[test]
fn window_of_seven_then_flow_by_acknowledgements() {
    // Q.921 5.6.1: with V(S) = V(A) + k no new I frame goes out.
    let mut p = Pair::default();
    p.latency = Duration::from_millis(100);
    p.establish();
    let start = p.ladder.len();
    let t0 = p.now;
    p.send(U, messages(1, 10));
    assert_eq!(p.user.lapd.unacknowledged(), 7);
    assert_eq!(p.user.lapd.queued(), 3);
    p.run_for(Duration::from_millis(500));
    show(&p);
    let rungs = p.rungs_from(start);
    let first_ack = p.ladder[start..].iter().position(|r| r.from == N).unwrap();
    assert_eq!(first_ack, 7, "{rungs:?}");
    assert!(p.ladder[start..start + 7].iter().all(|r| r.at == t0));
    // The 8th I frame leaves when RR(1) arrives, one round trip later.
    let eighth = p.ladder[start..]
        .iter()
        .find(|r| r.frame.starts_with("I(7,"))
        .unwrap();
    assert_eq!(eighth.at, t0 + Duration::from_millis(200));
    assert_eq!(p.network.data(), messages(1, 10));
}

#[test]
fn rnr_flow_control_own_receiver_busy() {
    // Q.921 5.6.5, 5.6.6: the network side becomes busy; the user stops sending, polls with
    // RR P=1 on T200, gets RNR F=1, and resumes when RR arrives; nothing is lost.
    let mut p = Pair::default();
    p.establish();
    let start = p.ladder.len();
    p.network.lapd.set_own_receiver_busy(p.now, true);
    p.flush();
    p.run_for(Duration::from_millis(50));
    p.send(U, messages(1, 3));
    p.run_for(Duration::from_millis(2500));
    assert!(p.network.data().is_empty());
    assert!(p.user.lapd.variables().peer_receiver_busy);
    assert_eq!(p.user.lapd.queued(), 3);
    p.network.lapd.set_own_receiver_busy(p.now, false);
    p.flush();
    p.run_for(Duration::from_millis(100));
    show(&p);
    assert_eq!(
        p.rungs_from(start),
        [
            "N>U RNR(0)",
            // RNR restarted T200 (5.6.5): the enquiry at 1 s, answered RNR F=1, and again.
            "U>N RR(0)P",
            "N>U RNR(0)F",
            "U>N RR(0)P",
            "N>U RNR(0)F",
            "N>U RR(0)",
            "U>N I(0,0)",
            "U>N I(1,0)",
            "U>N I(2,0)",
            "N>U RR(1)",
            "N>U RR(2)",
            "N>U RR(3)",
        ]
    );
    assert_eq!(p.network.data(), messages(1, 3));
}

#[test]
fn lost_i_frame_recovered_by_rej() {
    // Q.921 5.8.1 and 5.6.4: I(1) is lost, I(2) arrives out of sequence: REJ(1); the user
    // sends I(1) and I(2) again; each message is delivered once, in order.
    let mut p = Pair::default();
    p.establish();
    let start = p.ladder.len();
    p.lose(U, 1, |w| is_i(w, 1));
    p.send(U, messages(1, 3));
    p.run_for(Duration::from_millis(100));
    show(&p);
    assert_eq!(
        p.rungs_from(start),
        [
            "U>N I(0,0)",
            "U>N I(1,0) (lost)",
            "U>N I(2,0)",
            "N>U RR(1)",
            "N>U REJ(1)",
            "U>N I(1,0)",
            "U>N I(2,0)",
            "N>U RR(2)",
            "N>U RR(3)",
        ]
    );
    assert_eq!(p.network.data(), messages(1, 3));
    assert_eq!(p.user.lapd.stats().i_frames_retransmitted, 2);
    assert_eq!(p.network.lapd.stats().sent.rej, 1);
}

#[test]
fn lost_last_i_frame_recovered_by_timer_recovery() {
    // Q.921 5.8.3 and 5.6.7: the only I frame is lost; nothing shows a sequence error. T200
    // expires: timer recovery, RR P=1; RR F=1 with N(R) = 0 makes the user send I(0) again.
    let mut p = Pair::default();
    p.establish();
    let start = p.ladder.len();
    let t0 = p.now;
    p.lose(U, 1, |w| is_i(w, 0));
    p.send(U, messages(1, 1));
    p.run_for(Duration::from_millis(1100));
    show(&p);
    assert_eq!(
        p.rungs_from(start),
        [
            "U>N I(0,0) (lost)",
            "U>N RR(0)P",
            "N>U RR(0)F",
            "U>N I(0,0)",
            "N>U RR(1)",
        ]
    );
    assert_eq!(p.ladder[start + 1].at, t0 + Duration::from_secs(1));
    assert_eq!(p.network.data(), messages(1, 1));
    assert_eq!(p.user.lapd.state(), State::MultipleFrameEstablished);
}

#[test]
fn lost_acknowledgement_recovered_without_duplicate() {
    // The RR acknowledging I(0) is lost; the enquiry's answer RR(1) F=1 acknowledges it and
    // nothing is sent again (Q.921 5.6.7).
    let mut p = Pair::default();
    p.establish();
    let start = p.ladder.len();
    p.lose(N, 1, |w| is_s(w, SupervisoryFunction::Rr));
    p.send(U, messages(1, 1));
    p.run_for(Duration::from_millis(1100));
    show(&p);
    assert_eq!(
        p.rungs_from(start),
        ["U>N I(0,0)", "N>U RR(1) (lost)", "U>N RR(0)P", "N>U RR(1)F"]
    );
    assert_eq!(p.network.data(), messages(1, 1));
    assert_eq!(p.user.lapd.stats().i_frames_retransmitted, 0);
    assert_eq!(p.user.lapd.unacknowledged(), 0);
}

#[test]
fn n200_enquiries_unanswered_re_establish_and_discard_unacknowledged() {
    // Q.921 5.6.7 b) and 5.7: the network hears but cannot answer (its direction is dead).
    // After the enquiry went unanswered N200 times the user re-establishes (MDL-ERROR (I));
    // V(S) != V(A), so on the UA layer 3 gets DL-ESTABLISH-indication and the I queue —
    // unacknowledged and not yet sent — is discarded (5.7.2).
    let mut p = Pair::default();
    p.establish();
    let start = p.ladder.len();
    let t0 = p.now;
    p.silent = Some(N);
    p.send(U, messages(1, 9));
    p.run_for(Duration::from_millis(4005));
    p.silent = None;
    p.run_for(Duration::from_millis(500));
    show(&p);
    let rungs = p.rungs_from(start);
    assert_eq!(
        rungs[7..],
        [
            "N>U RR(1) (lost)",
            "N>U RR(2) (lost)",
            "N>U RR(3) (lost)",
            "N>U RR(4) (lost)",
            "N>U RR(5) (lost)",
            "N>U RR(6) (lost)",
            "N>U RR(7) (lost)",
            // T200 expired: timer recovery, enquiry (RC 0 -> 1), twice more (RC 2, 3) ...
            "U>N RR(0)P",
            "N>U RR(7)F (lost)",
            "U>N RR(0)P",
            "N>U RR(7)F (lost)",
            "U>N RR(0)P",
            "N>U RR(7)F (lost)",
            // ... and at RC = N200, re-establishment.
            "U>N SABME P",
            "N>U UA F",
        ],
        "{rungs:#?}"
    );
    let sabme = p.ladder[start..]
        .iter()
        .find(|r| r.frame == "SABME P")
        .unwrap();
    assert_eq!(sabme.at, t0 + Duration::from_secs(4));
    assert_eq!(p.user.lapd.stats().mdl_error_count(MdlError::I), 1);
    assert!(p.user.primitives().ends_with(&[
        DlEvent::MdlErrorIndication(MdlError::I),
        DlEvent::EstablishIndication
    ]));
    // The network had received the 7 sent frames: delivered once each, nothing duplicated.
    assert_eq!(p.network.data(), messages(1, 7));
    // The network side sees a peer initiated re-establishment (MDL-ERROR (F)); it had nothing
    // outstanding, so its layer 3 is not disturbed.
    assert_eq!(
        p.network.primitives(),
        [
            DlEvent::EstablishIndication,
            DlEvent::MdlErrorIndication(MdlError::F)
        ]
    );
    assert_eq!(p.user.lapd.stats().data_requests_discarded, 9);
    assert_eq!(p.user.lapd.state(), State::MultipleFrameEstablished);
    assert_eq!(p.user.lapd.variables().v_s, 0);
}

#[test]
fn t203_idle_polling() {
    // Q.921 5.9.8 / SDL B.7: after T203 without frames the side whose T203 expires first
    // polls with RR P=1 (timer recovery) and the answer RR F=1 brings it back to multiple
    // frame established. The poll, an RR with N(R) = V(S), restarts the other side's T203
    // (5.6.3.2), so the sides take turns.
    let mut p = Pair::default();
    p.establish();
    let start = p.ladder.len();
    p.run_for(Duration::from_millis(10_100));
    show(&p);
    assert_eq!(p.rungs_from(start), ["N>U RR(0)P", "U>N RR(0)F"]);
    // The network's T203 started when it sent UA at 10 ms.
    assert_eq!(p.ladder[start].at, ms(10) + Duration::from_secs(10));
    assert_eq!(p.user.lapd.state(), State::MultipleFrameEstablished);
    assert_eq!(p.network.lapd.state(), State::MultipleFrameEstablished);
    assert_eq!(p.network.lapd.stats().t203_expiries, 1);
    assert_eq!(p.user.lapd.stats().t203_expiries, 0);
    // Next the user, whose T203 restarted at 10.020 s.
    p.run_until(ms(20_100));
    assert_eq!(p.rungs_from(start + 2), ["U>N RR(0)P", "N>U RR(0)F"]);
    assert_eq!(p.ladder[start + 2].at, ms(20_020));
    // Traffic restarts T203: a message at 25 s moves the next poll to 35 s and later.
    p.run_until(ms(25_000));
    let before = p.ladder.len();
    p.send(U, messages(1, 1));
    p.run_until(ms(34_900));
    assert_eq!(p.rungs_from(before), ["U>N I(0,0)", "N>U RR(1)"]);
}

#[test]
fn far_end_silent_link_released_then_kept_up_and_back() {
    // The line dies. T203 (10 s) starts the enquiry: RR P=1 at 10, 11, 12, 13 s; at 14 s
    // re-establishment (MDL-ERROR (I)): SABME at 14, 15, 16, 17 s; at 18 s MDL-ERROR (G) and
    // DL-RELEASE-indication (Q.921 5.5.1.3). With keep_up = T200 the user tries again every
    // 5 s, and the link comes back by itself once the line does.
    let mut user = Config::new(U);
    user.keep_up = Some(Duration::from_secs(1));
    let mut network = Config::new(N);
    network.t203 = Duration::from_secs(30);
    let mut p = Pair::new(user, network);
    p.establish();
    let start = p.ladder.len();
    p.line_down = true;
    p.run_until(ms(18_100));
    show(&p);
    let user_frames: Vec<(u64, String)> = p.ladder[start..]
        .iter()
        .filter(|r| r.from == U)
        .map(|r| (r.at.as_nanos() / 1_000_000, r.frame.clone()))
        .collect();
    assert_eq!(
        user_frames,
        [
            (10_020, "RR(0)P".to_string()),
            (11_020, "RR(0)P".to_string()),
            (12_020, "RR(0)P".to_string()),
            (13_020, "RR(0)P".to_string()),
            (14_020, "SABME P".to_string()),
            (15_020, "SABME P".to_string()),
            (16_020, "SABME P".to_string()),
            (17_020, "SABME P".to_string()),
        ]
    );
    assert_eq!(
        p.user.primitives(),
        [
            DlEvent::EstablishConfirm,
            DlEvent::MdlErrorIndication(MdlError::I),
            DlEvent::MdlErrorIndication(MdlError::G),
            DlEvent::ReleaseIndication,
        ]
    );
    assert_eq!(p.user.lapd.state(), State::TeiAssigned);
    // keep_up: establishment again at 19 s; still nobody there.
    p.run_until(ms(19_100));
    assert_eq!(p.ladder.last().unwrap().text(), "U>N SABME P (lost)");
    // The line comes back at 30 s; the link is up by the next attempt.
    p.run_until(ms(30_000));
    p.line_down = false;
    let up = p.drive_until(Duration::from_secs(10), |p| {
        p.user.lapd.state() == State::MultipleFrameEstablished
    });
    show(&p);
    assert!(up);
    assert_eq!(p.user.primitives().last(), Some(&DlEvent::EstablishConfirm));
    // The network side had polled with T203 = 30 s and re-established on its own or took the
    // user's SABME: either way both are in multiple frame operation and data flows.
    p.run_for(Duration::from_secs(5));
    p.send(U, messages(1, 2));
    p.send(N, messages(11, 2));
    p.run_for(Duration::from_millis(100));
    assert_eq!(p.network.data(), messages(1, 2));
    assert_eq!(p.user.data(), messages(11, 2));
}

#[test]
fn release_with_disc_and_ua() {
    let mut p = Pair::default();
    p.establish();
    let start = p.ladder.len();
    p.user.lapd.release(p.now);
    p.run_for(Duration::from_millis(100));
    show(&p);
    assert_eq!(p.rungs_from(start), ["U>N DISC P", "N>U UA F"]);
    assert_eq!(
        p.user.primitives(),
        [DlEvent::EstablishConfirm, DlEvent::ReleaseConfirm]
    );
    assert_eq!(
        p.network.primitives(),
        [DlEvent::EstablishIndication, DlEvent::ReleaseIndication]
    );
    assert_eq!(p.user.lapd.state(), State::TeiAssigned);
    assert_eq!(p.network.lapd.state(), State::TeiAssigned);
    assert_eq!(p.user.lapd.poll_timeout(), None);
    assert_eq!(p.network.lapd.poll_timeout(), None);
    // In TEI assigned, a DISC is answered DM (Q.921 5.5.4).
    p.network.lapd.release(p.now);
    let before = p.ladder.len();
    p.inject(
        U,
        &from_network(
            CommandResponse::Command,
            UnnumberedFunction::Disc,
            true,
            vec![],
        ),
    );
    p.run_for(Duration::from_millis(50));
    assert_eq!(p.rungs_from(before + 1), ["U>N DM F"]);
}

#[test]
fn release_unanswered_n200_times() {
    // Q.921 5.5.3.2: DISC sent N200 + 1 times, then MDL-ERROR (H) and DL-RELEASE-confirm.
    let mut p = Pair::default();
    p.establish();
    let start = p.ladder.len();
    p.line_down = true;
    p.user.lapd.release(p.now);
    p.run_for(Duration::from_secs(5));
    assert_eq!(
        p.rungs_from(start)
            .iter()
            .filter(|r| r.starts_with("U>N"))
            .cloned()
            .collect::<Vec<_>>(),
        [
            "U>N DISC P (lost)",
            "U>N DISC P (lost)",
            "U>N DISC P (lost)",
            "U>N DISC P (lost)"
        ]
    );
    assert!(p.user.primitives().ends_with(&[
        DlEvent::MdlErrorIndication(MdlError::H),
        DlEvent::ReleaseConfirm
    ]));
    assert_eq!(p.user.lapd.state(), State::TeiAssigned);
}

#[test]
fn disc_collisions() {
    // Q.921 5.5.5.1: both release: each answers UA and takes the peer's UA as confirmation.
    let mut p = Pair::default();
    p.establish();
    let start = p.ladder.len();
    p.user.lapd.release(p.now);
    p.network.lapd.release(p.now);
    p.run_for(Duration::from_millis(100));
    show(&p);
    assert_eq!(
        p.rungs_from(start),
        ["U>N DISC P", "N>U DISC P", "N>U UA F", "U>N UA F"]
    );
    assert_eq!(p.user.primitives().last(), Some(&DlEvent::ReleaseConfirm));
    assert_eq!(
        p.network.primitives().last(),
        Some(&DlEvent::ReleaseConfirm)
    );

    // Q.921 5.5.5.2: DISC and SABME crossed: each answers DM; the DISC side gets
    // DL-RELEASE-confirm, the SABME side DL-RELEASE-indication.
    let mut p = Pair::default();
    p.establish();
    let start = p.ladder.len();
    p.user.lapd.release(p.now);
    p.network.lapd.establish(p.now); // re-establishment asked by the network's layer 3
    p.run_for(Duration::from_millis(100));
    show(&p);
    assert_eq!(
        p.rungs_from(start),
        ["U>N DISC P", "N>U SABME P", "N>U DM F", "U>N DM F"]
    );
    assert_eq!(p.user.primitives().last(), Some(&DlEvent::ReleaseConfirm));
    assert_eq!(
        p.network.primitives().last(),
        Some(&DlEvent::ReleaseIndication)
    );
    assert_eq!(p.user.lapd.state(), State::TeiAssigned);
    assert_eq!(p.network.lapd.state(), State::TeiAssigned);
}

#[test]
fn dm_refuses_establishment() {
    // A side not able to establish answers SABME with DM F=1; the other side gives
    // DL-RELEASE-indication and stays in TEI assigned (Q.921 5.5.1.2).
    let mut network = Config::new(N);
    network.able_to_establish = false;
    let mut p = Pair::new(Config::new(U), network);
    p.user.lapd.establish(p.now);
    p.run_for(Duration::from_millis(100));
    show(&p);
    assert_eq!(p.rungs(), ["U>N SABME P", "N>U DM F"]);
    assert_eq!(p.user.primitives(), [DlEvent::ReleaseIndication]);
    assert_eq!(p.user.lapd.state(), State::TeiAssigned);
    assert_eq!(p.user.lapd.poll_timeout(), None);
}

#[test]
fn dm_in_multiple_frame_operation() {
    let mut p = Pair::default();
    p.establish();
    // DM F=1 unsolicited: MDL-ERROR (B), nothing else (Q.921 5.8.7, table 7).
    p.inject(
        U,
        &from_network(
            CommandResponse::Response,
            UnnumberedFunction::Dm,
            true,
            vec![],
        ),
    );
    assert_eq!(p.user.lapd.state(), State::MultipleFrameEstablished);
    assert_eq!(
        p.user.primitives().last(),
        Some(&DlEvent::MdlErrorIndication(MdlError::B))
    );
    // DM F=0: the peer is in TEI assigned: MDL-ERROR (E) and re-establishment (5.7.1).
    let start = p.ladder.len();
    p.inject(
        U,
        &from_network(
            CommandResponse::Response,
            UnnumberedFunction::Dm,
            false,
            vec![],
        ),
    );
    p.run_for(Duration::from_millis(100));
    show(&p);
    assert_eq!(
        p.rungs_from(start),
        ["N>U DM (injected)", "U>N SABME P", "N>U UA F"]
    );
    assert_eq!(
        p.user.primitives().last(),
        Some(&DlEvent::MdlErrorIndication(MdlError::E))
    );
    assert_eq!(p.user.lapd.state(), State::MultipleFrameEstablished);
    // DM F=0 in TEI assigned asks for establishment (5.5.4).
    let mut p = Pair::default();
    p.inject(
        U,
        &from_network(
            CommandResponse::Response,
            UnnumberedFunction::Dm,
            false,
            vec![],
        ),
    );
    p.run_for(Duration::from_millis(100));
    assert_eq!(p.rungs_from(1), ["U>N SABME P", "N>U UA F"]);
}

#[test]
fn frmr_causes_re_establishment() {
    // Q.921 5.8.6: FRMR in multiple frame operation: MDL-ERROR (K), re-establishment; the
    // I frames outstanding are gone and layer 3 is told with DL-ESTABLISH-indication.
    let mut p = Pair::default();
    p.establish();
    p.silent = Some(N);
    p.send(U, messages(1, 2));
    p.run_for(Duration::from_millis(50));
    p.silent = None;
    let start = p.ladder.len();
    p.inject(
        U,
        &from_network(
            CommandResponse::Response,
            UnnumberedFunction::Frmr,
            false,
            vec![0x01, 0x00, 0x00, 0x04, 0x01],
        ),
    );
    p.run_for(Duration::from_millis(100));
    show(&p);
    assert_eq!(
        p.rungs_from(start),
        ["N>U FRMR (injected)", "U>N SABME P", "N>U UA F"]
    );
    assert!(p.user.primitives().ends_with(&[
        DlEvent::MdlErrorIndication(MdlError::K),
        DlEvent::EstablishIndication
    ]));
    assert_eq!(p.user.lapd.unacknowledged() + p.user.lapd.queued(), 0);
}

#[test]
fn corrupted_frames() {
    let mut p = Pair::default();
    p.establish();
    let start = p.ladder.len();
    // An I frame whose address field lost its EA bit is invalid: discarded without action
    // (Q.921 5.8.4); T200 recovers it.
    p.corrupt(
        U,
        |w| is_i(w, 0),
        |o| {
            let mut o = o.to_vec();
            o[1] &= 0xfe;
            o
        },
    );
    p.send(U, messages(1, 1));
    p.run_for(Duration::from_millis(1100));
    show(&p);
    assert_eq!(
        p.rungs_from(start),
        [
            "U>N I(0,0) (corrupted)",
            "U>N RR(0)P",
            "N>U RR(0)F",
            "U>N I(0,0)",
            "N>U RR(1)"
        ]
    );
    assert_eq!(p.network.lapd.stats().invalid_frames, 1);
    assert_eq!(p.network.data(), messages(1, 1));
    // An I frame arriving as a response (C/R bit flipped) is a frame rejection condition
    // (5.8.5, MDL-ERROR (L)): the network side re-establishes; the user had I(1)
    // outstanding, so its layer 3 gets DL-ESTABLISH-indication (5.7.2).
    let start = p.ladder.len();
    p.corrupt(
        U,
        |w| is_i(w, 1),
        |o| {
            let mut o = o.to_vec();
            o[0] ^= 0x02;
            o
        },
    );
    p.send(U, messages(2, 1));
    p.run_for(Duration::from_millis(100));
    show(&p);
    assert_eq!(
        p.rungs_from(start),
        ["U>N I(1,0) (corrupted)", "N>U SABME P", "U>N UA F"]
    );
    assert_eq!(
        p.network.primitives().last(),
        Some(&DlEvent::MdlErrorIndication(MdlError::L))
    );
    assert!(p.user.primitives().ends_with(&[
        DlEvent::MdlErrorIndication(MdlError::F),
        DlEvent::EstablishIndication
    ]));
    assert_eq!(p.network.data(), messages(1, 1));
    // Frames of another SAPI or TEI are not for this data link.
    p.inject(U, &[0xfc, 0x03, 0x03, 0x0f, 0x00, 0x00, 0x01, 0x7f]); // SAPI 63
    p.inject(U, &[0x02, 0x05, 0x7f]); // TEI 2
    assert_eq!(p.user.lapd.stats().other_address, 2);
}

#[test]
fn n_r_sequence_error_re_establishes() {
    // Q.921 5.8.2: an RR acknowledging frames never sent: MDL-ERROR (J), re-establishment.
    let mut p = Pair::default();
    p.establish();
    let start = p.ladder.len();
    let rr = Frame::s(
        0,
        0,
        N,
        CommandResponse::Response,
        SupervisoryFunction::Rr,
        5,
        false,
    );
    p.inject(U, &rr.to_bytes().unwrap());
    p.run_for(Duration::from_millis(100));
    assert_eq!(
        p.rungs_from(start),
        ["N>U RR(5) (injected)", "U>N SABME P", "N>U UA F"]
    );
    assert!(p
        .user
        .primitives()
        .contains(&DlEvent::MdlErrorIndication(MdlError::J)));
    assert_eq!(p.user.lapd.stats().re_establishments, 1);
}

#[test]
fn unsolicited_responses_are_reported() {
    // Q.921 5.8.7, table 7.
    let mut p = Pair::default();
    p.inject(
        U,
        &from_network(
            CommandResponse::Response,
            UnnumberedFunction::Ua,
            true,
            vec![],
        ),
    );
    p.inject(
        U,
        &from_network(
            CommandResponse::Response,
            UnnumberedFunction::Ua,
            false,
            vec![],
        ),
    );
    p.establish();
    let rr_f = Frame::s(
        0,
        0,
        N,
        CommandResponse::Response,
        SupervisoryFunction::Rr,
        0,
        true,
    );
    p.inject(U, &rr_f.to_bytes().unwrap());
    let errors: Vec<char> = p
        .user
        .primitives()
        .iter()
        .filter_map(|e| match e {
            DlEvent::MdlErrorIndication(c) => Some(c.code()),
            _ => None,
        })
        .collect();
    assert_eq!(errors, ['C', 'D', 'A']);
    assert_eq!(p.user.lapd.state(), State::MultipleFrameEstablished);
}

#[test]
fn unit_data_both_ways_in_any_state() {
    // Q.921 5.2: UI frames need no multiple frame operation.
    let mut p = Pair::default();
    p.user.lapd.unit_data(p.now, vec![1, 2, 3]).unwrap();
    p.run_for(Duration::from_millis(50));
    p.establish();
    p.network.lapd.unit_data(p.now, vec![4]).unwrap();
    p.run_for(Duration::from_millis(50));
    assert_eq!(p.rungs()[0], "U>N UI");
    assert_eq!(
        p.network.primitives()[0],
        DlEvent::UnitDataIndication(vec![1, 2, 3])
    );
    assert!(p
        .user
        .primitives()
        .contains(&DlEvent::UnitDataIndication(vec![4])));
    // UI on the group TEI (broadcast) is taken too.
    let ui = Frame::u(
        0,
        127,
        N,
        CommandResponse::Command,
        UnnumberedFunction::Ui,
        false,
        vec![9],
    );
    p.inject(U, &ui.to_bytes().unwrap());
    assert_eq!(
        p.user.primitives().last(),
        Some(&DlEvent::UnitDataIndication(vec![9]))
    );
    // N201 bounds both paths.
    assert!(p.user.lapd.unit_data(p.now, vec![0; 261]).is_err());
    assert!(p.user.lapd.data(p.now, vec![0; 261]).is_err());
    assert!(p.user.lapd.data(p.now, vec![0; 260]).is_ok());
}

#[test]
fn data_request_before_establishment_starts_it_and_is_delivered() {
    let mut p = Pair::default();
    p.send(U, messages(1, 2));
    p.run_for(Duration::from_millis(100));
    show(&p);
    assert_eq!(
        p.rungs(),
        [
            "U>N SABME P",
            "N>U UA F",
            "U>N I(0,0)",
            "U>N I(1,0)",
            "N>U RR(1)",
            "N>U RR(2)"
        ]
    );
    assert_eq!(p.user.primitives(), [DlEvent::EstablishConfirm]);
    assert_eq!(p.network.data(), messages(1, 2));
}

#[test]
fn release_asked_while_establishing_is_kept_until_established() {
    let mut p = Pair::default();
    p.user.lapd.establish(p.now);
    p.user.lapd.release(p.now);
    p.run_for(Duration::from_millis(100));
    assert_eq!(
        p.rungs(),
        ["U>N SABME P", "N>U UA F", "U>N DISC P", "N>U UA F"]
    );
    assert_eq!(
        p.user.primitives(),
        [DlEvent::EstablishConfirm, DlEvent::ReleaseConfirm]
    );
}

#[test]
fn peer_re_establishment_keeps_queue_when_nothing_outstanding() {
    // Q.921 5.7.2: re-establishment with V(S) = V(A) is invisible to layer 3 and what is
    // queued is still sent.
    let mut p = Pair::default();
    p.establish();
    p.network.lapd.set_own_receiver_busy(p.now, true);
    p.run_for(Duration::from_millis(50));
    p.send(U, messages(1, 2)); // held back: the peer is busy
    assert_eq!(p.user.lapd.queued(), 2);
    p.network.lapd.establish(p.now); // the network's layer 3 re-establishes
    p.run_for(Duration::from_millis(100));
    show(&p);
    assert_eq!(p.network.data(), messages(1, 2));
    assert!(!p.user.primitives().contains(&DlEvent::EstablishIndication));
    assert!(p
        .user
        .primitives()
        .contains(&DlEvent::MdlErrorIndication(MdlError::F)));
}

#[test]
fn wrong_role_on_the_far_end_never_establishes() {
    // Both sides configured as user: each one's SABME reads as a response on the other side
    // (Q.921 3.3.2): rejected with MDL-ERROR (L); no establishment.
    let mut p = Pair::new(Config::new(U), Config::new(U));
    p.user.lapd.establish(p.now);
    p.run_for(Duration::from_millis(500));
    assert_eq!(p.network.lapd.state(), State::TeiAssigned);
    assert_eq!(p.network.lapd.stats().mdl_error_count(MdlError::L), 1);
    assert_eq!(p.user.lapd.state(), State::AwaitingEstablishment);
}

#[test]
fn frame_rejection_conditions() {
    // Q.921 5.8.5: an information field where none is allowed (M), a frame of wrong size (N),
    // an I frame longer than N201 (O). Outside multiple frame operation: reported and
    // discarded; in it: reported, then re-establishment.
    let ua_with_info = from_network(
        CommandResponse::Response,
        UnnumberedFunction::Ua,
        true,
        vec![0x00],
    );
    let rr_with_info = {
        let mut f = Frame::s(
            0,
            0,
            N,
            CommandResponse::Response,
            SupervisoryFunction::Rr,
            0,
            false,
        );
        f.information = vec![0x55];
        f.to_bytes().unwrap()
    };
    let long_i = Frame::i(0, 0, N, 0, 0, false, vec![0x08; 261])
        .to_bytes()
        .unwrap();
    let mut p = Pair::default();
    p.inject(U, &ua_with_info);
    assert_eq!(p.user.lapd.state(), State::TeiAssigned);
    assert_eq!(p.rungs().len(), 1, "nothing sent: {:?}", p.rungs());
    for (octets, code) in [
        (&ua_with_info, MdlError::M),
        (&rr_with_info, MdlError::N),
        (&long_i, MdlError::O),
    ] {
        let mut p = Pair::default();
        p.establish();
        let start = p.ladder.len();
        p.inject(U, octets);
        p.run_for(Duration::from_millis(100));
        assert_eq!(p.rungs_from(start + 1), ["U>N SABME P", "N>U UA F"]);
        assert!(p
            .user
            .primitives()
            .contains(&DlEvent::MdlErrorIndication(code)));
        assert_eq!(p.user.lapd.stats().rejected_frames, 1);
        assert_eq!(p.user.lapd.state(), State::MultipleFrameEstablished);
        assert!(p.user.data().is_empty());
    }
    // A 260-octet I frame is fine.
    let mut p = Pair::default();
    p.establish();
    p.send(N, [vec![0x08; 260]]);
    p.run_for(Duration::from_millis(100));
    assert_eq!(p.user.data(), [vec![0x08; 260]]);
}

#[test]
fn i_frames_arriving_while_busy_are_discarded_then_recovered() {
    // Q.921 5.6.6: the network becomes busy with I frames already on the line; it discards
    // them (acknowledging nothing), answers the user's enquiry with RNR F=1, and when it is
    // ready again the enquiry's answer RR F=1 makes the user send them again: nothing lost.
    let mut p = Pair::default();
    p.latency = Duration::from_millis(50);
    p.establish();
    let start = p.ladder.len();
    p.send(U, messages(1, 3));
    p.run_for(Duration::from_millis(10));
    p.network.lapd.set_own_receiver_busy(p.now, true);
    p.flush();
    p.run_for(Duration::from_millis(1500));
    assert!(p.network.data().is_empty());
    p.network.lapd.set_own_receiver_busy(p.now, false);
    p.flush();
    p.run_for(Duration::from_secs(3));
    show(&p);
    assert_eq!(p.network.data(), messages(1, 3));
    let rungs = p.rungs_from(start);
    assert_eq!(rungs[3], "N>U RNR(0)");
    assert!(rungs.contains(&"N>U RNR(0)F".to_string()), "{rungs:#?}");
    assert_eq!(p.user.lapd.stats().i_frames_retransmitted, 3);
    assert_eq!(p.user.lapd.unacknowledged(), 0);
}

#[test]
fn sequence_numbers_wrap_modulo_128() {
    let mut p = Pair::default();
    p.establish();
    p.lose(U, 1, |w| is_i(w, 2));
    // I(2) again, after N(S) went once around.
    p.lose(U, 1, |w| w.index > 200 && is_i(w, 2));
    p.send(U, messages(0, 300));
    p.send(N, messages(1000, 300));
    p.run_for(Duration::from_secs(30));
    assert_eq!(p.network.data(), messages(0, 300));
    assert_eq!(p.user.data(), messages(1000, 300));
    assert_eq!(p.user.lapd.variables().v_s, (300 % 128) as u8);
    assert_eq!(p.network.lapd.variables().v_r, (300 % 128) as u8);
    assert_eq!(p.user.lapd.stats().re_establishments, 0);
    // Both losses were repaired by REJ.
    assert_eq!(p.network.lapd.stats().sent.rej, 2);
}

#[test]
fn octets_as_libpri_writes_them_on_the_network_side() {
    // libpri (q921.c) on a point-to-point link as the network side: on start it sends SABME
    // (C/R = 1, P = 1) and expects UA; it sends I frames with P = 0; on T203 (10 s) or T200
    // (1 s) it polls with an RR command, P = 1. Our user side answers with the octets libpri
    // reads as responses (C/R = 1 from the user side, Q.921 3.3.2).
    let mut lapd = sipt_mgc::isdn::q921::Lapd::new(Config::new(U)).unwrap();
    let mut out = Vec::new();
    let mut next = |lapd: &mut sipt_mgc::isdn::q921::Lapd| {
        out.clear();
        lapd.poll_transmit(Instant::ZERO, &mut out)
            .then(|| out.clone())
    };
    lapd.handle_frame(ms(0), &[0x02, 0x01, 0x7f]); // SABME P
    assert_eq!(next(&mut lapd), Some(vec![0x02, 0x01, 0x73])); // UA F
    assert_eq!(lapd.poll_event(), Some(DlEvent::EstablishIndication));
    // I(0,0) carrying a Q.931 RESTART-ish message.
    lapd.handle_frame(
        ms(5),
        &[0x02, 0x01, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x46],
    );
    assert_eq!(next(&mut lapd), Some(vec![0x02, 0x01, 0x01, 0x02])); // RR(1) response
                                                                     // RR(0) command with P = 1 (libpri's transmit_enquiry).
    lapd.handle_frame(ms(10_005), &[0x02, 0x01, 0x01, 0x01]);
    assert_eq!(next(&mut lapd), Some(vec![0x02, 0x01, 0x01, 0x03])); // RR(1) response, F = 1
                                                                     // Our I frame: command from the user side, C/R = 0.
    lapd.data(ms(10_006), vec![0x08, 0x02, 0x80, 0x00, 0x4e])
        .unwrap();
    assert_eq!(
        next(&mut lapd),
        Some(vec![0x00, 0x01, 0x00, 0x02, 0x08, 0x02, 0x80, 0x00, 0x4e])
    );
    assert_eq!(next(&mut lapd), None);
}

/// Persistent deactivation (the layer 1 under the D-channel gone, Q.921 figures B.5 to B.8):
/// with I frames queued and unacknowledged, the data link ends at once — DL-RELEASE-
/// indication, nothing more sent, no timer left but none — instead of after T203 and N200
/// retransmissions of T200; in "awaiting release" it is the release asked for (DL-RELEASE-
/// confirm); in "TEI assigned" nothing happens. Establishment then works as from the start.
#[test]
fn persistent_deactivation_releases_at_once() {
    let mut p = Pair::default();
    p.user.lapd.establish(p.now);
    p.run_for(Duration::from_millis(100));
    for m in messages(1, 3) {
        p.user.lapd.data(p.now, m).unwrap();
    }
    assert!(p.user.lapd.queued() + p.user.lapd.unacknowledged() > 0);
    drain(&mut p.user.lapd);
    p.user.lapd.deactivate(p.now);
    assert_eq!(drain(&mut p.user.lapd), [DlEvent::ReleaseIndication]);
    assert_eq!(p.user.lapd.state(), State::TeiAssigned);
    assert_eq!(p.user.lapd.queued() + p.user.lapd.unacknowledged(), 0);
    assert_eq!(p.user.lapd.poll_timeout(), None, "T200 and T203 stopped");
    let mut out = Vec::new();
    assert!(!p.user.lapd.poll_transmit(p.now, &mut out), "{out:?}");
    p.user.lapd.deactivate(p.now);
    assert!(drain(&mut p.user.lapd).is_empty(), "TEI assigned: nothing");

    // Awaiting release: the release asked for is confirmed.
    let mut q = Pair::default();
    q.user.lapd.establish(q.now);
    q.run_for(Duration::from_millis(100));
    q.user.lapd.release(q.now);
    drain(&mut q.user.lapd);
    assert_eq!(q.user.lapd.state(), State::AwaitingRelease);
    q.user.lapd.deactivate(q.now);
    assert_eq!(drain(&mut q.user.lapd), [DlEvent::ReleaseConfirm]);
    assert_eq!(q.user.lapd.state(), State::TeiAssigned);
    assert_eq!(q.user.lapd.poll_timeout(), None);
}

/// The primitives the data link has for layer 3 now, taken.
fn drain(lapd: &mut sipt_mgc::isdn::q921::Lapd) -> Vec<DlEvent> {
    std::iter::from_fn(|| lapd.poll_event())
        .filter(|e| !matches!(e, DlEvent::DataIndication(_)))
        .collect()
}
