//! Property: whatever the far exchange and the far SIP user agent do, in whatever order and
//! at whatever time — calls both ways, ringing, answers, rejections with any cause or status,
//! releases and hang-ups on either side at any moment, the signalling relation lost and back —
//! once both far ends have hung up what is left and the timers have run out, nothing is left
//! behind in the gateway: no call, every circuit idle at both ends, no SIP call and no
//! transaction (Q.764: "every path ends idle or blocked"; DESIGN.md: no lost call state, no
//! hung circuit).

mod gateway_rig;

use std::time::Duration;

use gateway_rig::*;
use proptest::prelude::*;
use sipt_codecs::isup::{
    BackwardCallIndicators, CalledPartysStatus, CauseIndicators, CauseValue, Message, MessageType,
};
use sipt_codecs::q850::Location;
use sipt_mgc::isup::{CallStatus, IsupEvent, MtpIndication};
use sipt_mgc::sip::message::{NameAddr, Uri};
use sipt_mgc::sip::transport::{Target, TransportKind};
use sipt_mgc::sip::ua::{CallHandle, UaEvent};

#[derive(Debug, Clone)]
enum Op {
    /// The far exchange calls 49... on circuit `cic % 31 + 1`.
    PstnCall(u16),
    /// The far UA calls 7001.
    SipCall,
    /// The far exchange alerts / answers / releases (with a cause) the call on a circuit.
    PstnAlert(u16),
    PstnAnswer(u16),
    PstnRelease(u16, u8),
    /// The far UA answers its n-th incoming call with a status (180, 183, 200, 486, ...).
    SipRespond(usize, u16),
    /// The far UA hangs up its n-th call (BYE, CANCEL or an error response).
    SipHangup(usize),
    /// The relation is lost at both ends, and comes back.
    Pause,
    Resume,
    /// Time passes.
    Wait(u32),
    /// The far exchange sends a SAM with these digits on its n-th busy circuit (overlap,
    /// RFC 3578).
    PstnSam(usize, &'static str),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u16..31).prop_map(Op::PstnCall),
        Just(Op::SipCall),
        (0u16..31).prop_map(Op::PstnAlert),
        (0u16..31).prop_map(Op::PstnAnswer),
        (
            0u16..31,
            prop::sample::select(vec![16u8, 17, 18, 19, 21, 31, 34, 41, 44, 127])
        )
            .prop_map(|(c, v)| Op::PstnRelease(c, v)),
        (
            0usize..8,
            prop::sample::select(vec![180u16, 183, 200, 404, 408, 486, 503, 603])
        )
            .prop_map(|(n, s)| Op::SipRespond(n, s)),
        (0usize..8).prop_map(Op::SipHangup),
        Just(Op::Pause),
        Just(Op::Resume),
        (0u32..40_000).prop_map(Op::Wait),
    ]
}

/// [`op`] and SAMs, for a link with overlap signalling.
fn op_overlap() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => op(),
        1 => (0usize..4, prop::sample::select(vec!["1", "23", "4F", "F", "5"]))
            .prop_map(|(c, d)| Op::PstnSam(c, d)),
    ]
}

/// The far UA's calls, in the order it learnt of them.
fn far_calls(rig: &Rig) -> Vec<CallHandle> {
    let mut v = Vec::new();
    for e in &rig.far_events {
        if let UaEvent::Incoming { call, .. } = e {
            v.push(*call);
        }
    }
    v
}

fn cause(v: u8) -> CauseIndicators {
    CauseIndicators::new(Location::PublicNetworkRemoteUser, CauseValue::from_code(v))
}

fn apply(rig: &mut Rig, op: &Op, sip_calls: &mut Vec<CallHandle>) {
    let now = rig.now;
    match *op {
        Op::PstnCall(c) => {
            let _ = rig.pstn.setup(now, c % 31 + 1, iam("4930123456"));
        }
        Op::SipCall => {
            let from = NameAddr::new(Uri::parse("sip:+4940111222@192.0.2.9").expect("uri"));
            if let Ok(h) = rig.far.invite(
                now,
                from,
                Uri::parse("sip:7001@192.0.2.1").expect("uri"),
                Target::new(TransportKind::Udp, gw_addr()),
                None,
            ) {
                sip_calls.push(h);
            }
        }
        Op::PstnAlert(c) => {
            let bci = BackwardCallIndicators::default()
                .with_called_partys_status(CalledPartysStatus::SubscriberFree);
            let _ = rig.pstn.alert(now, c % 31 + 1, Message::acm(bci));
        }
        Op::PstnAnswer(c) => {
            let _ = rig
                .pstn
                .answer(now, c % 31 + 1, Message::bare(MessageType::Anm));
        }
        Op::PstnRelease(c, v) => {
            let _ = rig.pstn.release(now, c % 31 + 1, cause(v));
        }
        Op::SipRespond(n, s) => {
            let calls = far_calls(rig);
            if let Some(&h) = calls.get(n % calls.len().max(1)) {
                let _ = rig.far.respond(now, h, s, "Test", None);
            }
        }
        Op::SipHangup(n) => {
            let mut all = far_calls(rig);
            all.extend(sip_calls.iter().copied());
            if let Some(&h) = all.get(n % all.len().max(1)) {
                let _ = rig.far.hangup(now, h);
            }
        }
        Op::Pause => {
            rig.gw.handle_mtp(now, 0, MtpIndication::Pause);
            rig.pstn.handle_mtp(now, MtpIndication::Pause);
        }
        Op::Resume => {
            rig.pstn.handle_mtp(now, MtpIndication::Resume);
            rig.gw.handle_mtp(now, 0, MtpIndication::Resume);
        }
        Op::Wait(ms) => rig.run_for(Duration::from_millis(u64::from(ms))),
        Op::PstnSam(n, digits) => {
            use sipt_codecs::isup::{Digits, SubsequentNumber};
            let busy: Vec<u16> = rig
                .pstn
                .cics()
                .filter(|&c| {
                    rig.pstn
                        .circuit_status(c)
                        .is_some_and(|s| s.call != CallStatus::Idle)
                })
                .collect();
            if let (Some(&cic), Ok(d)) = (busy.get(n % busy.len().max(1)), Digits::parse(digits)) {
                let _ =
                    rig.pstn
                        .subsequent_address(now, cic, Message::sam(SubsequentNumber::new(d)));
            }
        }
    }
    rig.deliver();
}

/// Both far ends end what they still have: the exchange releases every busy circuit, the UA
/// hangs up every call; the relation comes back if it was lost.
fn wind_down(rig: &mut Rig, sip_calls: &[CallHandle]) {
    let now = rig.now;
    rig.pstn.handle_mtp(now, MtpIndication::Resume);
    rig.gw.handle_mtp(now, 0, MtpIndication::Resume);
    rig.settle();
    for _ in 0..3 {
        let now = rig.now;
        let cics: Vec<u16> = rig.pstn.cics().collect();
        for cic in cics {
            let busy = rig
                .pstn
                .circuit_status(cic)
                .is_some_and(|s| s.call != CallStatus::Idle);
            if busy {
                let _ = rig.pstn.release(now, cic, cause(16));
            }
        }
        let mut all = far_calls(rig);
        all.extend(sip_calls.iter().copied());
        for h in all {
            let _ = rig.far.hangup(now, h);
        }
        rig.run_for(Duration::from_secs(5));
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn nothing_is_left_behind(ops in prop::collection::vec(op(), 1..40)) {
        let mut rig = Rig::new(CONFIG);
        let mut sip_calls = Vec::new();
        for op in &ops {
            apply(&mut rig, op, &mut sip_calls);
        }
        wind_down(&mut rig, &sip_calls);
        rig.assert_clean();
        // And the gateway said so: every call it started has ended.
        let started = rig
            .gw_events
            .iter()
            .filter(|e| matches!(e, sipt_mgc::gateway::GatewayEvent::CallStarted { .. }))
            .count();
        let ended = rig.ended().len();
        prop_assert_eq!(started, ended);
        let _ = IsupEvent::RelationPaused;
    }

    /// The same with overlap carried into SIP (RFC 3578 3, `overlap = "sip"`): an INVITE per
    /// IAM and SAM, all of one call, answered, rejected and cancelled in any order.
    #[test]
    fn nothing_is_left_behind_with_overlap_sip(ops in prop::collection::vec(op_overlap(), 1..40)) {
        let config = CONFIG.replace(
            "trunk_group = \"pstn\"",
            "trunk_group = \"pstn\"\noverlap = \"sip\"",
        );
        let mut rig = Rig::new(&config);
        let mut sip_calls = Vec::new();
        for op in &ops {
            apply(&mut rig, op, &mut sip_calls);
        }
        wind_down(&mut rig, &sip_calls);
        rig.assert_clean();
        let started = rig
            .gw_events
            .iter()
            .filter(|e| matches!(e, sipt_mgc::gateway::GatewayEvent::CallStarted { .. }))
            .count();
        prop_assert_eq!(started, rig.ended().len());
    }
}
