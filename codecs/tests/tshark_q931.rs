//! tshark (Wireshark's packet-lapd.c, packet-q931.c, packet-q932.c, packet-qsig.c) as the
//! independent decoder of what OUR ENCODER writes: the fixtures re-encoded, and a few hundred
//! generated frames and messages, each batch in one pcap, compared field by field with the
//! values our decoder reports.
//!
//! The pcaps are LINKTYPE_LINUX_LAPD (177): the LAPD frame (no FCS) after a 16-octet
//! pseudo-header whose packet type (0 = received, 4 = sent) and first address octet
//! (1 = capturing side is the network) tell tshark the direction, without which it cannot
//! tell commands from responses (Q.921 3.3.2). The captures are taken on the network side.
//! QSIG in the Facility IE is dissected by default (no preference or decode-as needed).

mod common;

#[path = "prop_q931.rs"]
#[allow(dead_code, unused_imports)]
mod prop_q931;

use common::{pcap, tshark};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use sipt_codecs::q921::{CommandResponse, Control, Frame, Role, SupervisoryFunction};
use sipt_codecs::q931::{ChannelList, InformationElement as E, Message};
use sipt_codecs::qsig::{Argument, Component, Name, PartyNumber, PresentedNumberUnscreened, Rose};

const FIELDS: &[&str] = &[
    "lapd.direction",
    "lapd.sapi",
    "lapd.cr",
    "lapd.tei",
    "lapd.control.ftype",
    "lapd.control.n_s",
    "lapd.control.n_r",
    "lapd.control.p",
    "lapd.control.f",
    "lapd.control.s_ftype",
    "lapd.control.u_modifier_cmd",
    "lapd.control.u_modifier_resp",
    "q931.disc",
    "q931.call_ref_len",
    "q931.call_ref_flag",
    "q931.call_ref",
    "q931.message_type",
    "q931.information_transfer_capability",
    "q931.uil1",
    "q931.channel.interface_type",
    "q931.channel.exclusive",
    "q931.channel.number",
    "q931.progress_indicator.location",
    "q931.progress_indicator.description",
    "q931.number_type",
    "q931.numbering_plan",
    "q931.presentation_ind",
    "q931.screening_ind",
    "q931.extension.reason",
    "q931.called_party_number.digits",
    "q931.calling_party_number.digits",
    "q931.connected_number.digits",
    "q931.redirecting_number.digits",
    "q931.cause_location",
    "q931.cause_value",
    "q931.display_information",
    "q931.restart_indicator",
    "q932.nd",
    "q932.pp",
    "q932.ros.present",
    "qsig.operation",
    "qsig.na.namePresentationAllowedSimple",
    "qsig.na.namePresentationRestrictedSimple",
    "qsig.na.nameData",
    "qsig.cf.diversionCounter",
    "qsig.cf.diversionReason",
    "qsig.cf.originalDiversionReason",
    "qsig.cf.subscriptionOption",
    "qsig.cf.presentationAllowedIndicator",
    "qsig.unknownPartyNumber",
    "qsig.publicNumberDigits",
    "qsig.privateNumberDigits",
];

/// The LINKTYPE_LINUX_LAPD record of a frame sent by `sender`, captured on the network side.
fn record(sender: Role, frame: &[u8]) -> Vec<u8> {
    let mut r = Vec::with_capacity(16 + frame.len());
    let pkttype: u16 = if sender == Role::Network { 4 } else { 0 };
    r.extend_from_slice(&pkttype.to_be_bytes());
    r.extend_from_slice(&0x0339u16.to_be_bytes()); // ARPHRD_LAPD
    r.extend_from_slice(&1u16.to_be_bytes()); // address length
    r.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]); // we are the network side
    r.extend_from_slice(&0x0030u16.to_be_bytes()); // ETH_P_LAPD
    r.extend_from_slice(frame);
    r
}

/// A tshark value with hex numbers made decimal, so that both sides compare as text.
fn norm(v: &str) -> String {
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16)
            .map(|n| n.to_string())
            .unwrap_or(v.to_string()),
        None => v.to_string(),
    }
}

#[derive(Default)]
struct Expect(Vec<(&'static str, String)>);

impl Expect {
    fn add(&mut self, f: &'static str, v: impl ToString) {
        self.0.push((f, v.to_string()));
    }
    /// Expected values per field, in order.
    fn get(&self, f: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| *k == f)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

fn name(x: &mut Expect, n: &Name) {
    match n {
        Name::PresentationAllowedSimple(d) => {
            x.add("qsig.na.namePresentationAllowedSimple", latin1(d))
        }
        Name::PresentationRestrictedSimple(d) => {
            x.add("qsig.na.namePresentationRestrictedSimple", latin1(d))
        }
        Name::PresentationAllowedExtended(s) | Name::PresentationRestrictedExtended(s) => {
            x.add("qsig.na.nameData", latin1(&s.name_data))
        }
        Name::PresentationRestrictedNull | Name::NotAvailable => {}
    }
}

fn latin1(d: &[u8]) -> String {
    d.iter().map(|&b| char::from(b)).collect()
}

fn party(x: &mut Expect, p: &PartyNumber) {
    match p {
        PartyNumber::UnknownPartyNumber(d) => x.add("qsig.unknownPartyNumber", d),
        PartyNumber::PublicPartyNumber {
            public_number_digits,
            ..
        } => x.add("qsig.publicNumberDigits", public_number_digits),
        PartyNumber::PrivatePartyNumber {
            private_number_digits,
            ..
        } => x.add("qsig.privateNumberDigits", private_number_digits),
        _ => {}
    }
}

fn presented(x: &mut Expect, p: &PresentedNumberUnscreened) {
    if let Some(n) = p.party_number() {
        party(x, n);
    }
}

/// The field values tshark must show for `frame` sent by `sender`, from our decoder's view.
fn expect(sender: Role, frame: &Frame) -> Expect {
    let mut x = Expect::default();
    x.add(
        "lapd.direction",
        if sender == Role::Network { 1 } else { 0 },
    );
    x.add("lapd.sapi", frame.address.sapi);
    x.add("lapd.cr", u8::from(frame.address.cr));
    x.add("lapd.tei", frame.address.tei);
    let response = frame.command_response(sender) == CommandResponse::Response;
    match frame.control {
        Control::I { n_s, n_r, p } => {
            x.add("lapd.control.ftype", 0);
            x.add("lapd.control.n_s", n_s);
            x.add("lapd.control.n_r", n_r);
            if p {
                x.add("lapd.control.p", 1);
            }
        }
        Control::S { function, n_r, pf } => {
            x.add("lapd.control.ftype", 1);
            x.add("lapd.control.n_r", n_r);
            x.add("lapd.control.s_ftype", (function.octet() & 0x0c) >> 2);
            if pf {
                x.add(
                    if response {
                        "lapd.control.f"
                    } else {
                        "lapd.control.p"
                    },
                    1,
                );
            }
        }
        Control::U { function, pf } => {
            x.add("lapd.control.ftype", 3);
            let modifier = (function.octet() & 0xec) >> 2;
            x.add(
                if response {
                    "lapd.control.u_modifier_resp"
                } else {
                    "lapd.control.u_modifier_cmd"
                },
                modifier,
            );
            if pf {
                x.add(
                    if response {
                        "lapd.control.f"
                    } else {
                        "lapd.control.p"
                    },
                    1,
                );
            }
        }
    }
    if frame.address.sapi == 0
        && matches!(frame.control, Control::I { .. })
        && !frame.information.is_empty()
    {
        let m = Message::decode(&frame.information).expect("our I frames carry Q.931");
        message(&mut x, &m);
    }
    x
}

fn message(x: &mut Expect, m: &Message) {
    x.add("q931.disc", m.protocol_discriminator);
    x.add("q931.call_ref_len", m.call_reference.length);
    if m.call_reference.length > 0 {
        x.add("q931.call_ref_flag", u8::from(m.call_reference.flag));
        let n = usize::from(m.call_reference.length);
        let bytes = m.call_reference.value.to_be_bytes();
        x.add("q931.call_ref", sipt_codecs::wire::hex(&bytes[4 - n..]));
    }
    x.add("q931.message_type", m.message_type.code());
    for ie in &m.information_elements {
        match ie {
            E::BearerCapability(bc) => {
                x.add(
                    "q931.information_transfer_capability",
                    bc.information_transfer_capability.code(),
                );
                if let Some(l1) = bc.user_information_layer_1_protocol {
                    x.add("q931.uil1", l1.code());
                }
            }
            E::ChannelIdentification(c) => {
                x.add("q931.channel.interface_type", c.interface_type.code());
                x.add("q931.channel.exclusive", u8::from(c.exclusive));
                if let Some(ChannelList::Numbers(ns)) = c.channel.as_ref().map(|s| &s.channels) {
                    for n in ns {
                        x.add("q931.channel.number", n);
                    }
                }
            }
            E::ProgressIndicator(p) => {
                x.add("q931.progress_indicator.location", p.location.code());
                x.add(
                    "q931.progress_indicator.description",
                    p.progress_description.code(),
                );
            }
            E::CalledPartyNumber(n)
            | E::CallingPartyNumber(n)
            | E::ConnectedNumber(n)
            | E::RedirectingNumber(n) => {
                x.add("q931.number_type", n.type_of_number.code());
                x.add("q931.numbering_plan", n.numbering_plan.code());
                if let Some(p) = n.presentation {
                    x.add("q931.presentation_ind", p.code());
                }
                if let Some(s) = n.screening {
                    x.add("q931.screening_ind", s.code());
                }
                if let Some(r) = n.reason_for_redirection {
                    x.add("q931.extension.reason", r.code());
                }
                let field = match ie {
                    E::CalledPartyNumber(_) => "q931.called_party_number.digits",
                    E::CallingPartyNumber(_) => "q931.calling_party_number.digits",
                    E::ConnectedNumber(_) => "q931.connected_number.digits",
                    _ => "q931.redirecting_number.digits",
                };
                if !n.digits.is_empty() {
                    x.add(field, &n.digits);
                }
            }
            E::Cause(c) => {
                x.add("q931.cause_location", c.location.code());
                x.add("q931.cause_value", c.cause_value.code());
            }
            E::Display(d) => x.add("q931.display_information", d.text()),
            E::RestartIndicator { class } => x.add("q931.restart_indicator", class.code()),
            E::NotificationIndicator {
                notification_description,
            } => x.add("q932.nd", notification_description.code()),
            E::Facility(f) => {
                x.add("q932.pp", f.octets()[0] & 0x1f);
                let c = f.contents().expect("our facilities decode");
                for comp in &c.components {
                    let Component::Rose(Rose::Invoke(inv)) = comp else {
                        continue;
                    };
                    x.add("q932.ros.present", inv.invoke_id);
                    x.add("qsig.operation", inv.opcode.local().unwrap());
                    match &inv.argument {
                        Some(Argument::Name(a)) => name(x, &a.name),
                        Some(Argument::DivertingLegInformation1(a)) => {
                            x.add("qsig.cf.diversionReason", a.diversion_reason.code());
                            x.add("qsig.cf.subscriptionOption", a.subscription_option.code());
                            party(x, &a.nominated_nr);
                        }
                        Some(Argument::DivertingLegInformation2(a)) => {
                            x.add("qsig.cf.diversionCounter", a.diversion_counter);
                            x.add("qsig.cf.diversionReason", a.diversion_reason.code());
                            if let Some(r) = a.original_diversion_reason {
                                x.add("qsig.cf.originalDiversionReason", r.code());
                            }
                            for p in [&a.diverting_nr, &a.original_called_nr]
                                .into_iter()
                                .flatten()
                            {
                                presented(x, p);
                            }
                            for n in [&a.redirecting_name, &a.original_called_name]
                                .into_iter()
                                .flatten()
                            {
                                name(x, n);
                            }
                        }
                        Some(Argument::DivertingLegInformation3(a)) => {
                            x.add(
                                "qsig.cf.presentationAllowedIndicator",
                                u8::from(a.presentation_allowed_indicator),
                            );
                            if let Some(n) = &a.redirection_name {
                                name(x, n);
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// Runs tshark over `frames` (sender, frame) and returns one line per disagreement.
fn compare(test: &str, frames: &[(Role, Frame)]) -> Vec<String> {
    compare_with(test, frames, |f| f.clone())
}

/// As [`compare`], with the expectations taken from `view(frame)` instead of the frame sent
/// (lets a test show that a wrong view is caught).
fn compare_with(
    test: &str,
    frames: &[(Role, Frame)],
    view: impl Fn(&Frame) -> Frame,
) -> Vec<String> {
    let dir = tshark::scratch(test);
    let pcap_path = dir.join(format!("{test}.pcap"));
    let records: Vec<Vec<u8>> = frames
        .iter()
        .map(|(role, f)| record(*role, &f.to_bytes().expect("encodes")))
        .collect();
    pcap::write(&pcap_path, pcap::LINKTYPE_LINUX_LAPD, &records);
    let mut args: Vec<&str> = vec!["-E", "occurrence=a", "-e", "_ws.malformed"];
    for f in FIELDS {
        args.push("-e");
        args.push(f);
    }
    let packets = tshark::packets(&pcap_path, &args);
    assert_eq!(packets.len(), frames.len(), "tshark read every frame");
    let mut failures = Vec::new();
    for (i, ((role, frame), pkt)) in frames.iter().zip(&packets).enumerate() {
        // Our decoder's view of our encoder's octets.
        let ours = Frame::decode(&frame.to_bytes().unwrap()).expect("decodes");
        assert_eq!(&ours, frame);
        let x = expect(*role, &view(&ours));
        for f in FIELDS {
            let want = x.get(f);
            let got: Vec<String> = tshark::field(pkt, f).into_iter().map(norm).collect();
            // Booleans that are 0 are not shown by tshark for these fields.
            let got = if matches!(*f, "lapd.control.p" | "lapd.control.f") {
                got.into_iter().filter(|v| v != "0").collect()
            } else {
                got
            };
            if want != got {
                failures.push(format!(
                    "frame {} ({}): {f}: ours {want:?}, tshark {got:?}",
                    i + 1,
                    sipt_codecs::wire::hex(&frame.to_bytes().unwrap())
                ));
            }
        }
        // (An empty information field on an I frame of SAPI 0 or 16 is "malformed" Q.931 or
        // X.25 to tshark: nothing to say about LAPD there.)
        let empty_i = frame.information.is_empty() && matches!(frame.control, Control::I { .. });
        if let Some(m) = pkt.get("_ws.malformed").filter(|_| !empty_i) {
            failures.push(format!("frame {}: tshark says malformed: {m}", i + 1));
        }
    }
    failures
}

fn report(failures: Vec<String>, n: usize) {
    assert!(
        failures.is_empty(),
        "{} disagreement(s) with tshark over {n} frames:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn fixtures_through_tshark() {
    if !tshark::available() {
        return;
    }
    let frames: Vec<(Role, Frame)> = common::fixtures::load("q931")
        .into_iter()
        .map(|v| match v.kind.as_str() {
            "q921" => {
                let role = if v.source.contains("network side") {
                    Role::Network
                } else {
                    Role::User
                };
                (role, Frame::decode(&v.bytes).expect("fixture decodes"))
            }
            // A bare Q.931 message: sent in an I frame of our own.
            _ => {
                let m = Message::decode(&v.bytes).expect("fixture decodes");
                (
                    Role::Network,
                    prop_q931::strategies::i_frame(Role::Network, 0, 0, &m),
                )
            }
        })
        .collect();
    assert!(frames.len() >= 20);
    let n = frames.len();
    report(compare("fixtures", &frames), n);
}

#[test]
fn generated_through_tshark() {
    if !tshark::available() {
        return;
    }
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let mut frames = Vec::new();
    let fs = prop_q931::strategies::q921_frame();
    for _ in 0..150 {
        frames.push(fs.new_tree(&mut runner).unwrap().current());
    }
    let ms = prop_q931::strategies::message();
    let rs = prop_q931::strategies::role();
    for i in 0..300u32 {
        let m = ms.new_tree(&mut runner).unwrap().current();
        let role = rs.new_tree(&mut runner).unwrap().current();
        frames.push((
            role,
            prop_q931::strategies::i_frame(role, (i % 128) as u8, ((i * 7) % 128) as u8, &m),
        ));
    }
    let n = frames.len();
    report(compare("generated", &frames), n);
}

#[test]
fn a_wrong_view_is_caught() {
    // The comparison can fail: frames whose expected values come from a slightly different
    // frame (C/R flipped, N(R) moved, a digit changed) disagree with tshark.
    if !tshark::available() {
        return;
    }
    let m = Message::new(
        sipt_codecs::q931::MessageType::Setup,
        sipt_codecs::q931::CallReference::new(9, false),
    )
    .with(E::CalledPartyNumber(sipt_codecs::q931::Number::new(
        sipt_codecs::q931::TypeOfNumber::National,
        sipt_codecs::q931::NumberingPlan::IsdnTelephony,
        "2001",
    )));
    let frames = vec![
        (
            Role::User,
            Frame::s(
                0,
                0,
                Role::User,
                CommandResponse::Command,
                SupervisoryFunction::Rr,
                5,
                true,
            ),
        ),
        (
            Role::Network,
            prop_q931::strategies::i_frame(Role::Network, 1, 2, &m),
        ),
    ];
    assert!(compare("right", &frames).is_empty());
    let failures = compare_with("wrong", &frames, |f| {
        let mut g = f.clone();
        match &mut g.control {
            Control::S { n_r, .. } => *n_r += 1,
            _ => {
                let mut m = Message::decode(&g.information).unwrap();
                if let Some(E::CalledPartyNumber(n)) = m.information_elements.get_mut(0) {
                    n.digits = "2002".into();
                }
                g.information = m.to_bytes().unwrap();
            }
        }
        g
    });
    assert_eq!(failures.len(), 2, "{failures:#?}");
}
