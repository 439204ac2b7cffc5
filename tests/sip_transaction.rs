//! The SIP transaction layer (RFC 3261 17 with RFC 6026) with simulated time: every timer of
//! every state machine fires when the RFC says, on unreliable and reliable transports, and
//! the layer matches requests and responses to transactions as 17.1.3 and 17.2.3 say.

use std::borrow::Cow;
use std::time::Duration;

use proptest::prelude::*;
use sipt_mgc::sip::transaction::{
    ClientState, Event, Key, Output, ServerState, Timers, TransactionLayer, TxError, TxMessage,
};
use sipt_mgc::time::Instant;

/// A message reduced to what transactions look at.
#[derive(Debug, Clone, PartialEq)]
struct Msg {
    method: String,
    status: Option<u16>,
    branch: String,
    sent_by: String,
}

impl TxMessage for Msg {
    fn method(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.method)
    }
    fn status(&self) -> Option<u16> {
        self.status
    }
    fn branch(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(&self.branch))
    }
    fn sent_by(&self) -> Option<String> {
        Some(self.sent_by.clone())
    }
    fn ack_for(request: &Self, _response: &Self) -> Option<Self> {
        Some(Msg {
            method: "ACK".into(),
            status: None,
            branch: request.branch.clone(),
            sent_by: request.sent_by.clone(),
        })
    }
    fn trying_for(request: &Self) -> Option<Self> {
        Some(Msg {
            status: Some(100),
            ..request.clone()
        })
    }
}

fn req(method: &str, branch: &str) -> Msg {
    Msg {
        method: method.into(),
        status: None,
        branch: branch.into(),
        sent_by: "192.0.2.1:5060".into(),
    }
}

fn resp(to: &Msg, status: u16) -> Msg {
    Msg {
        status: Some(status),
        ..to.clone()
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A layer driven in simulated time, recording every event with its time.
struct World {
    now: Instant,
    layer: TransactionLayer<Msg>,
    log: Vec<(Instant, Event<Msg>)>,
}

impl World {
    fn new() -> World {
        World::with(Timers::default())
    }

    fn with(timers: Timers) -> World {
        World {
            now: Instant::ZERO,
            layer: TransactionLayer::new(timers),
            log: Vec::new(),
        }
    }

    fn collect(&mut self) {
        while let Some(e) = self.layer.poll_event() {
            self.log.push((self.now, e));
        }
    }

    /// Runs time forward to `now + d`, firing every timer on the way at its deadline.
    fn advance(&mut self, d: Duration) {
        self.collect();
        let end = self.now + d;
        while let Some(t) = self.layer.poll_timeout() {
            if t > end {
                break;
            }
            self.now = t;
            self.layer.handle_timeout(t);
            self.collect();
        }
        self.now = end;
    }

    /// Times (ms) at which a message with this method/status was transmitted.
    fn transmits(&self, method: &str, status: Option<u16>) -> Vec<u64> {
        self.log
            .iter()
            .filter_map(|(t, e)| match e {
                Event::Transaction(_, Output::Transmit(m))
                    if m.method == method && m.status == status =>
                {
                    Some(t.as_nanos() / 1_000_000)
                }
                _ => None,
            })
            .collect()
    }

    fn count(&self, pred: impl Fn(&Event<Msg>) -> bool) -> usize {
        self.log.iter().filter(|(_, e)| pred(e)).count()
    }

    fn when(&self, pred: impl Fn(&Event<Msg>) -> bool) -> Option<u64> {
        self.log
            .iter()
            .find(|(_, e)| pred(e))
            .map(|(t, _)| t.as_nanos() / 1_000_000)
    }
}

fn is_timeout(e: &Event<Msg>) -> bool {
    matches!(e, Event::Transaction(_, Output::Timeout))
}
fn is_terminated(e: &Event<Msg>) -> bool {
    matches!(e, Event::Transaction(_, Output::Terminated))
}
fn to_tu(status: Option<u16>, method: &'static str) -> impl Fn(&Event<Msg>) -> bool {
    move |e| matches!(e, Event::Transaction(_, Output::ToTu(m)) if m.status == status && m.method == method)
}

// ------------------------------------------------------------------- INVITE client

#[test]
fn invite_client_timer_a_doubles_and_timer_b_ends_it() {
    let mut w = World::new();
    w.layer
        .send_request(w.now, req("INVITE", "z9hG4bK1"), false)
        .unwrap();
    w.collect();
    w.advance(Duration::from_secs(40));
    // 17.1.1.2: A = T1, then 2·A each time, with no cap; B = 64·T1 = 32 s.
    assert_eq!(
        w.transmits("INVITE", None),
        [0, 500, 1500, 3500, 7500, 15500, 31500]
    );
    assert_eq!(w.when(is_timeout), Some(32_000));
    assert_eq!(w.when(is_terminated), Some(32_000));
    assert!(w.layer.is_empty());
}

#[test]
fn invite_client_on_a_reliable_transport_never_retransmits() {
    let mut w = World::new();
    w.layer
        .send_request(w.now, req("INVITE", "z9hG4bK1"), true)
        .unwrap();
    w.collect();
    w.advance(Duration::from_secs(40));
    assert_eq!(w.transmits("INVITE", None), [0]);
    assert_eq!(w.when(is_timeout), Some(32_000));
}

#[test]
fn invite_client_provisional_stops_a_and_b_final_error_is_acked_and_d_ends_it() {
    let mut w = World::new();
    let invite = req("INVITE", "z9hG4bK1");
    let key = w.layer.send_request(w.now, invite.clone(), false).unwrap();
    w.advance(ms(700));
    w.layer.handle_response(w.now, resp(&invite, 180));
    w.collect();
    assert_eq!(w.layer.client_state(&key), Some(ClientState::Proceeding));
    w.advance(Duration::from_secs(60));
    assert_eq!(
        w.transmits("INVITE", None),
        [0, 500],
        "no retransmission in Proceeding"
    );
    assert_eq!(w.count(is_timeout), 0, "timer B only guards Calling");
    w.layer.handle_response(w.now, resp(&invite, 486));
    w.collect();
    assert_eq!(w.count(to_tu(Some(486), "INVITE")), 1);
    assert_eq!(w.transmits("ACK", None), [60_700]);
    assert_eq!(w.layer.client_state(&key), Some(ClientState::Completed));
    // A retransmitted 486 is ACKed again and not passed up.
    w.advance(ms(1000));
    w.layer.handle_response(w.now, resp(&invite, 486));
    w.collect();
    assert_eq!(w.transmits("ACK", None), [60_700, 61_700]);
    assert_eq!(w.count(to_tu(Some(486), "INVITE")), 1);
    // Timer D: 32 s on an unreliable transport.
    w.advance(Duration::from_secs(40));
    assert_eq!(w.when(is_terminated), Some(92_700));
}

#[test]
fn invite_client_error_response_on_a_reliable_transport_terminates_at_once() {
    let mut w = World::new();
    let invite = req("INVITE", "z9hG4bK1");
    w.layer.send_request(w.now, invite.clone(), true).unwrap();
    w.layer.handle_response(w.now, resp(&invite, 503));
    w.collect();
    assert_eq!(w.transmits("ACK", None), [0]);
    assert_eq!(w.when(is_terminated), Some(0), "timer D is 0");
    assert!(w.layer.is_empty());
}

#[test]
fn invite_client_2xx_enters_accepted_and_passes_retransmissions_up_until_m() {
    let mut w = World::new();
    let invite = req("INVITE", "z9hG4bK1");
    let key = w.layer.send_request(w.now, invite.clone(), false).unwrap();
    w.layer.handle_response(w.now, resp(&invite, 200));
    w.collect();
    assert_eq!(w.layer.client_state(&key), Some(ClientState::Accepted));
    assert_eq!(
        w.transmits("ACK", None),
        [] as [u64; 0],
        "the TU ACKs a 2xx"
    );
    w.advance(ms(500));
    w.layer.handle_response(w.now, resp(&invite, 200));
    w.collect();
    // RFC 6026 7.2: the retransmitted 2xx reaches the TU.
    assert_eq!(w.count(to_tu(Some(200), "INVITE")), 2);
    w.advance(Duration::from_secs(40));
    assert_eq!(w.when(is_terminated), Some(32_000), "timer M = 64·T1");
    // After the transaction: a 2xx is a stray response for the TU to ACK again.
    w.layer.handle_response(w.now, resp(&invite, 200));
    w.collect();
    assert!(matches!(w.log.last(), Some((_, Event::StrayResponse(_)))));
}

#[test]
fn timer_c_restarts_with_each_provisional_and_reports_to_the_tu() {
    let mut w = World::with(Timers {
        c: Some(Duration::from_secs(181)),
        ..Timers::default()
    });
    let invite = req("INVITE", "z9hG4bK1");
    w.layer.send_request(w.now, invite.clone(), true).unwrap();
    w.advance(Duration::from_secs(10));
    w.layer.handle_response(w.now, resp(&invite, 180));
    w.advance(Duration::from_secs(100));
    w.layer.handle_response(w.now, resp(&invite, 183));
    w.advance(Duration::from_secs(200));
    let c = w.when(|e| {
        matches!(
            e,
            Event::Transaction(_, Output::TimerC { provisional: true })
        )
    });
    assert_eq!(c, Some(291_000));
}

// --------------------------------------------------------------- non-INVITE client

#[test]
fn non_invite_client_timer_e_doubles_to_t2_and_timer_f_ends_it() {
    let mut w = World::new();
    w.layer
        .send_request(w.now, req("OPTIONS", "z9hG4bK2"), false)
        .unwrap();
    w.collect();
    w.advance(Duration::from_secs(40));
    // 17.1.2.2: E = T1, then MIN(2E, T2); F = 64·T1.
    assert_eq!(
        w.transmits("OPTIONS", None),
        [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
    );
    assert_eq!(w.when(is_timeout), Some(32_000));
}

#[test]
fn non_invite_client_in_proceeding_retransmits_every_t2() {
    let mut w = World::new();
    let r = req("INFO", "z9hG4bK2");
    w.layer.send_request(w.now, r.clone(), false).unwrap();
    w.advance(ms(100));
    w.layer.handle_response(w.now, resp(&r, 100));
    w.advance(ms(20_000));
    // The first E (at 0.5 s) finds the transaction in Proceeding: from then on every T2.
    assert_eq!(
        w.transmits("INFO", None),
        [0, 500, 4500, 8500, 12500, 16500]
    );
    w.layer.handle_response(w.now, resp(&r, 200));
    w.collect();
    w.advance(Duration::from_secs(10));
    assert_eq!(
        w.when(is_terminated),
        Some(25_100),
        "timer K = T4 after the 200"
    );
    assert_eq!(w.count(is_timeout), 0);
}

#[test]
fn non_invite_client_final_on_a_reliable_transport_terminates_at_once() {
    let mut w = World::new();
    let r = req("BYE", "z9hG4bK2");
    w.layer.send_request(w.now, r.clone(), true).unwrap();
    w.layer.handle_response(w.now, resp(&r, 200));
    w.collect();
    assert_eq!(w.when(is_terminated), Some(0));
    assert!(w.layer.is_empty());
}

// ------------------------------------------------------------------ INVITE server

#[test]
fn invite_server_sends_100_trying_after_200_ms_unless_the_tu_answers() {
    let mut w = World::new();
    w.layer
        .handle_request(w.now, req("INVITE", "z9hG4bKa"), false);
    w.collect();
    assert_eq!(w.count(to_tu(None, "INVITE")), 1);
    w.advance(ms(300));
    assert_eq!(w.transmits("INVITE", Some(100)), [200]);

    let mut w = World::new();
    let invite = req("INVITE", "z9hG4bKb");
    w.layer.handle_request(w.now, invite.clone(), false);
    let key = Key::for_request(&invite).unwrap();
    w.advance(ms(100));
    w.layer
        .send_response(w.now, &key, resp(&invite, 180))
        .unwrap();
    w.advance(ms(300));
    w.collect();
    assert!(w.transmits("INVITE", Some(100)).is_empty());
    assert_eq!(w.transmits("INVITE", Some(180)), [100]);
}

#[test]
fn invite_server_error_response_retransmits_on_g_until_the_ack_then_waits_i() {
    let mut w = World::new();
    let invite = req("INVITE", "z9hG4bKa");
    w.layer.handle_request(w.now, invite.clone(), false);
    let key = Key::for_request(&invite).unwrap();
    w.layer
        .send_response(w.now, &key, resp(&invite, 486))
        .unwrap();
    w.collect();
    w.advance(ms(10_000));
    // 17.2.1: G = T1, then MIN(2G, T2).
    assert_eq!(w.transmits("INVITE", Some(486)), [0, 500, 1500, 3500, 7500]);
    // The INVITE again: the 486 again.
    w.layer.handle_request(w.now, invite.clone(), false);
    w.collect();
    assert_eq!(w.transmits("INVITE", Some(486)).len(), 6);
    // The ACK (same branch: the ACK of a non-2xx) confirms; absorbed, not passed up.
    w.layer.handle_request(w.now, req("ACK", "z9hG4bKa"), false);
    w.collect();
    assert_eq!(
        w.layer.server_invite_state(&key),
        Some(ServerState::Confirmed)
    );
    assert_eq!(w.count(to_tu(None, "ACK")), 0);
    w.advance(Duration::from_secs(10));
    assert_eq!(w.transmits("INVITE", Some(486)).len(), 6, "G stopped");
    assert_eq!(w.when(is_terminated), Some(15_000), "timer I = T4");
}

#[test]
fn invite_server_without_an_ack_times_out_on_h() {
    let mut w = World::new();
    let invite = req("INVITE", "z9hG4bKa");
    w.layer.handle_request(w.now, invite.clone(), false);
    let key = Key::for_request(&invite).unwrap();
    w.layer
        .send_response(w.now, &key, resp(&invite, 404))
        .unwrap();
    w.advance(Duration::from_secs(40));
    assert_eq!(w.when(is_timeout), Some(32_000), "timer H = 64·T1");
    // G kept doubling up to T2 until then.
    assert_eq!(
        w.transmits("INVITE", Some(404)),
        [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
    );
}

#[test]
fn invite_server_on_a_reliable_transport_sends_once_and_i_is_zero() {
    let mut w = World::new();
    let invite = req("INVITE", "z9hG4bKa");
    w.layer.handle_request(w.now, invite.clone(), true);
    let key = Key::for_request(&invite).unwrap();
    w.layer
        .send_response(w.now, &key, resp(&invite, 486))
        .unwrap();
    w.advance(ms(5000));
    assert_eq!(w.transmits("INVITE", Some(486)), [0]);
    w.layer.handle_request(w.now, req("ACK", "z9hG4bKa"), true);
    w.collect();
    assert_eq!(w.when(is_terminated), Some(5000));
}

#[test]
fn invite_server_2xx_enters_accepted_absorbs_the_invite_and_ends_on_l() {
    let mut w = World::new();
    let invite = req("INVITE", "z9hG4bKa");
    w.layer.handle_request(w.now, invite.clone(), false);
    let key = Key::for_request(&invite).unwrap();
    w.layer
        .send_response(w.now, &key, resp(&invite, 200))
        .unwrap();
    w.collect();
    assert_eq!(
        w.layer.server_invite_state(&key),
        Some(ServerState::Accepted)
    );
    w.advance(ms(500));
    // RFC 6026 7.1: a retransmitted INVITE is absorbed; the TU's 2xx retransmission passes.
    w.layer.handle_request(w.now, invite.clone(), false);
    w.layer
        .send_response(w.now, &key, resp(&invite, 200))
        .unwrap();
    w.collect();
    assert_eq!(w.transmits("INVITE", Some(200)), [0, 500]);
    assert_eq!(w.count(to_tu(None, "INVITE")), 1);
    // The 2xx's ACK has its own branch: it matches no transaction and goes to the dialog.
    w.layer
        .handle_request(w.now, req("ACK", "z9hG4bKother"), false);
    w.collect();
    assert!(matches!(w.log.last(), Some((_, Event::StrayRequest(m))) if m.method == "ACK"));
    w.advance(Duration::from_secs(40));
    assert_eq!(w.when(is_terminated), Some(32_000), "timer L = 64·T1");
    assert!(w.layer.is_empty());
}

// -------------------------------------------------------------- non-INVITE server

#[test]
fn non_invite_server_absorbs_then_answers_retransmissions_and_ends_on_j() {
    let mut w = World::new();
    let bye = req("BYE", "z9hG4bKc");
    w.layer.handle_request(w.now, bye.clone(), false);
    let key = Key::for_request(&bye).unwrap();
    w.layer.handle_request(w.now, bye.clone(), false);
    w.collect();
    assert_eq!(
        w.count(to_tu(None, "BYE")),
        1,
        "retransmission in Trying absorbed"
    );
    assert_eq!(w.transmits("BYE", Some(200)).len(), 0);
    w.advance(ms(100));
    w.layer.send_response(w.now, &key, resp(&bye, 200)).unwrap();
    w.advance(ms(900));
    w.layer.handle_request(w.now, bye.clone(), false);
    w.collect();
    assert_eq!(w.transmits("BYE", Some(200)), [100, 1000]);
    w.advance(Duration::from_secs(40));
    assert_eq!(w.when(is_terminated), Some(32_100), "timer J = 64·T1");
}

#[test]
fn non_invite_server_on_a_reliable_transport_ends_with_its_final_response() {
    let mut w = World::new();
    let r = req("OPTIONS", "z9hG4bKc");
    w.layer.handle_request(w.now, r.clone(), true);
    let key = Key::for_request(&r).unwrap();
    w.layer.send_response(w.now, &key, resp(&r, 200)).unwrap();
    w.collect();
    assert_eq!(w.when(is_terminated), Some(0));
}

// ------------------------------------------------------------------------ matching

#[test]
fn matching_by_branch_method_and_sent_by() {
    let mut w = World::new();
    let invite = req("INVITE", "z9hG4bKm");
    w.layer.handle_request(w.now, invite.clone(), false);
    // A CANCEL with the same branch is a transaction of its own (17.2.3: the method
    // differs) that names the INVITE's.
    let cancel = req("CANCEL", "z9hG4bKm");
    w.layer.handle_request(w.now, cancel.clone(), false);
    w.collect();
    assert_eq!(w.layer.len(), 2);
    assert_eq!(
        Key::cancelled_by(&cancel),
        Key::for_request(&invite),
        "CANCEL finds the INVITE it cancels"
    );
    // Same branch, other sent-by: another transaction (17.2.3).
    let mut other = invite.clone();
    other.sent_by = "198.51.100.7:5060".into();
    w.layer.handle_request(w.now, other, false);
    w.collect();
    assert_eq!(w.layer.len(), 3);
    assert_eq!(w.count(to_tu(None, "INVITE")), 2);
    // A branch without the magic cookie is not matched (RFC 2543 matching unsupported).
    w.layer
        .handle_request(w.now, req("INVITE", "old-style"), false);
    w.collect();
    assert!(matches!(w.log.last(), Some((_, Event::StrayRequest(_)))));
    // A response for an unknown branch is stray; one for the CSeq method of another
    // transaction with the same branch goes there.
    let out = req("INVITE", "z9hG4bKc1");
    w.layer.send_request(w.now, out.clone(), false).unwrap();
    let out_cancel = req("CANCEL", "z9hG4bKc1");
    let ck = w
        .layer
        .send_request(w.now, out_cancel.clone(), false)
        .unwrap();
    w.layer.handle_response(w.now, resp(&out_cancel, 200));
    w.collect();
    assert_eq!(w.layer.client_state(&ck), Some(ClientState::Completed));
    w.layer
        .handle_response(w.now, resp(&req("INVITE", "z9hG4bKnone"), 180));
    w.collect();
    assert!(matches!(w.log.last(), Some((_, Event::StrayResponse(_)))));
    assert_eq!(
        w.layer.send_request(w.now, out.clone(), false),
        Err(TxError::Exists)
    );
    assert_eq!(
        w.layer.send_request(w.now, req("ACK", "z9hG4bKx"), false),
        Err(TxError::Ack)
    );
}

#[test]
fn a_transport_error_ends_the_transaction_with_a_timeout() {
    let mut w = World::new();
    let k = w
        .layer
        .send_request(w.now, req("INVITE", "z9hG4bK1"), false)
        .unwrap();
    w.layer.transport_error(&k);
    w.collect();
    assert_eq!(w.count(is_timeout), 1);
    assert!(w.layer.is_empty());
}

// ------------------------------------------------------------------------ property

#[derive(Debug, Clone)]
enum Op {
    SendInvite(u8, bool),
    SendOther(u8, bool),
    Respond(u8, u16),
    ReceiveInvite(u8, bool),
    ReceiveOther(u8, bool),
    Answer(u8, u16),
    Ack(u8),
    Advance(u32),
}

fn op() -> impl Strategy<Value = Op> {
    let status = prop::sample::select(vec![100u16, 180, 183, 200, 302, 404, 486, 503, 603]);
    prop_oneof![
        (0u8..4, any::<bool>()).prop_map(|(b, r)| Op::SendInvite(b, r)),
        (0u8..4, any::<bool>()).prop_map(|(b, r)| Op::SendOther(b, r)),
        (0u8..4, status.clone()).prop_map(|(b, s)| Op::Respond(b, s)),
        (0u8..4, any::<bool>()).prop_map(|(b, r)| Op::ReceiveInvite(b, r)),
        (0u8..4, any::<bool>()).prop_map(|(b, r)| Op::ReceiveOther(b, r)),
        (0u8..4, status).prop_map(|(b, s)| Op::Answer(b, s)),
        (0u8..4).prop_map(Op::Ack),
        (0u32..40_000).prop_map(Op::Advance),
    ]
}

proptest! {
    /// Whatever happens — requests and responses in any order, on either kind of transport,
    /// with time passing — once the TU has answered every request it received (a server
    /// transaction waits for its TU, as RFC 3261 17.2 says), every transaction ends by its
    /// timers and none is left behind.
    #[test]
    fn every_transaction_ends(ops in prop::collection::vec(op(), 1..60)) {
        let mut w = World::new();
        for op in ops {
            match op {
                Op::SendInvite(b, r) => { let _ = w.layer.send_request(w.now, req("INVITE", &format!("z9hG4bKi{b}")), r); }
                Op::SendOther(b, r) => { let _ = w.layer.send_request(w.now, req("INFO", &format!("z9hG4bKo{b}")), r); }
                Op::Respond(b, s) => {
                    w.layer.handle_response(w.now, resp(&req("INVITE", &format!("z9hG4bKi{b}")), s));
                    w.layer.handle_response(w.now, resp(&req("INFO", &format!("z9hG4bKo{b}")), s));
                }
                Op::ReceiveInvite(b, r) => w.layer.handle_request(w.now, req("INVITE", &format!("z9hG4bKI{b}")), r),
                Op::ReceiveOther(b, r) => w.layer.handle_request(w.now, req("BYE", &format!("z9hG4bKO{b}")), r),
                Op::Answer(b, s) => {
                    for (m, br) in [("INVITE", format!("z9hG4bKI{b}")), ("BYE", format!("z9hG4bKO{b}"))] {
                        let r = req(m, &br);
                        if let Some(k) = Key::for_request(&r) {
                            let _ = w.layer.send_response(w.now, &k, resp(&r, s));
                        }
                    }
                }
                Op::Ack(b) => w.layer.handle_request(w.now, req("ACK", &format!("z9hG4bKI{b}")), false),
                Op::Advance(d) => w.advance(ms(u64::from(d))),
            }
            w.collect();
        }
        // Answer every INVITE still waiting for its TU, and end every outgoing INVITE still
        // in Proceeding as a CANCEL would (487: a client INVITE in Proceeding has no timer of
        // its own without timer C, RFC 3261 17.1.1.2); then let all timers run out.
        for b in 0..4u8 {
            w.layer.handle_response(w.now, resp(&req("INVITE", &format!("z9hG4bKi{b}")), 487));
            let r = req("INVITE", &format!("z9hG4bKI{b}"));
            if let Some(k) = Key::for_request(&r) {
                if w.layer.server_invite_state(&k) == Some(ServerState::Proceeding) {
                    let _ = w.layer.send_response(w.now, &k, resp(&r, 486));
                }
            }
            let r = req("BYE", &format!("z9hG4bKO{b}"));
            if let Some(k) = Key::for_request(&r) {
                let _ = w.layer.send_response(w.now, &k, resp(&r, 200));
            }
        }
        w.advance(Duration::from_secs(100));
        prop_assert!(w.layer.is_empty(), "left: {}", w.layer.len());
        prop_assert_eq!(w.layer.poll_timeout(), None);
    }
}

// ------------------------------------------------------------ with the message layer

mod real {
    use super::*;
    use sipt_mgc::sip::message::Message;

    const INVITE: &str = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\r\n\
Max-Forwards: 70\r\n\
Route: <sip:ss1.atlanta.example.com;lr>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
Call-ID: 3848276298220188511@atlanta.example.com\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:alice@client.atlanta.example.com>\r\n\
Content-Length: 0\r\n\r\n";

    const BUSY: &str = "SIP/2.0 486 Busy Here\r\n\
Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n\
To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n\
Call-ID: 3848276298220188511@atlanta.example.com\r\n\
CSeq: 1 INVITE\r\n\
Content-Length: 0\r\n\r\n";

    /// The INVITE client transaction on real messages: the 486 reaches the TU and the ACK it
    /// builds is RFC 3261 17.1.1.3's: the INVITE's Request-URI, top Via, Route, From,
    /// Call-ID and CSeq number, the 486's To (with its tag), method ACK.
    #[test]
    fn invite_client_acks_a_486_as_17_1_1_3_says() {
        let invite = Message::parse(INVITE.as_bytes()).unwrap();
        let busy = Message::parse(BUSY.as_bytes()).unwrap();
        let mut layer = TransactionLayer::new(Timers::default());
        let key = layer.send_request(Instant::ZERO, invite, false).unwrap();
        assert_eq!(key.branch, "z9hG4bK74bf9");
        assert_eq!(key.method, "INVITE");
        layer.handle_response(Instant::from_millis(100), busy);
        let mut ack = None;
        let mut up = None;
        while let Some(e) = layer.poll_event() {
            match e {
                Event::Transaction(_, Output::Transmit(m))
                    if m.is_request() && m.method().map(|m| m.as_str()) == Some("ACK") =>
                {
                    ack = Some(m)
                }
                Event::Transaction(_, Output::ToTu(m)) => up = Some(m),
                _ => {}
            }
        }
        assert_eq!(up.unwrap().status(), Some(486));
        let ack = ack.expect("an ACK was sent");
        let text = String::from_utf8(ack.to_bytes()).unwrap();
        assert!(
            text.starts_with("ACK sip:bob@biloxi.example.com SIP/2.0\r\n"),
            "{text}"
        );
        assert_eq!(
            ack.top_via().unwrap().params.get("branch"),
            Some(Some("z9hG4bK74bf9"))
        );
        assert_eq!(ack.get("Route"), Some("<sip:ss1.atlanta.example.com;lr>"));
        assert_eq!(ack.to_tag().unwrap().as_deref(), Some("8321234356"));
        assert_eq!(ack.from_tag().unwrap().as_deref(), Some("9fxced76sl"));
        let cseq = ack.cseq().unwrap();
        assert_eq!((cseq.seq, cseq.method.as_str()), (1, "ACK"));
    }

    /// The INVITE server transaction on real messages: 100 Trying after 200 ms copies Via,
    /// From, To (no tag), Call-ID and CSeq (RFC 3261 8.2.6).
    #[test]
    fn invite_server_sends_a_proper_100_trying() {
        let invite = Message::parse(INVITE.as_bytes()).unwrap();
        let mut layer = TransactionLayer::new(Timers::default());
        layer.handle_request(Instant::ZERO, invite, false);
        layer.handle_timeout(Instant::from_millis(200));
        let mut trying = None;
        while let Some(e) = layer.poll_event() {
            if let Event::Transaction(_, Output::Transmit(m)) = e {
                trying = Some(m);
            }
        }
        let trying = trying.expect("100 Trying sent");
        assert_eq!(trying.status(), Some(100));
        assert_eq!(trying.to_tag().unwrap(), None);
        assert_eq!(
            trying.call_id().unwrap(),
            "3848276298220188511@atlanta.example.com"
        );
    }
}
