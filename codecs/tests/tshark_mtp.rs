//! tshark (Wireshark's MTP2, MTP3 and MTP3MG dissectors) reads what our encoders write: pcaps of
//! the fixtures and of a few hundred generated signal units and MTP3 messages, one tshark run
//! per pcap, every field tshark reports compared with what our decoder reports.
//!
//! Link types and preferences:
//! - LINKTYPE_MTP2 (140) is dissected by Wireshark's `dissect_mtp2`, which takes the FCS to be
//!   present only when the preference `mtp2.capture_contains_frame_check_sequence` is TRUE
//!   (default FALSE; packet-mtp2.c, "Some SS7 capture hardware includes the FCS at the end of the
//!   packet, others do not"). The first pcap holds signal units without FCS, as our decoder takes
//!   them, read with default preferences. The second holds the same units with our FCS-16
//!   appended, read with `-o mtp2.capture_contains_frame_check_sequence:TRUE`, so that
//!   Wireshark's own CRC (crc16_ccitt) checks ours.
//! - LINKTYPE_MTP3 (141) records are SIO, label and SIF, what `Msu::decode` takes; the default
//!   `mtp3.standard` is ITU.

mod common;
#[allow(dead_code)]
#[path = "prop_mtp.rs"]
mod prop_mtp;

use common::pcap;
use common::tshark;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::Value as Json;
use sipt_codecs::hdlc;
use sipt_codecs::mtp2::{Body, SignalUnit};
use sipt_codecs::mtp3::{Msu, RoutingLabel, Sio, SnmMessage, TestMessage, UserPart, Variant};
use sipt_codecs::Reader;

/// `n` values of `strategy`, the same on every run.
fn generate<S: Strategy>(strategy: S, n: usize) -> Vec<S::Value> {
    let mut runner = TestRunner::deterministic();
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).expect("generator").current())
        .collect()
}

/// The first value of a tshark field as a number ("0x.." or decimal).
fn num(packet: &Json, name: &str) -> Option<u64> {
    let v = *tshark::field(packet, name).first()?;
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

/// Compares field values, collecting every difference.
struct Checker {
    failures: Vec<String>,
    compared: usize,
}

impl Checker {
    fn new() -> Self {
        Checker {
            failures: Vec::new(),
            compared: 0,
        }
    }

    fn eq(&mut self, what: &str, packet: &Json, field: &str, ours: u64) {
        self.compared += 1;
        let theirs = num(packet, field);
        if theirs != Some(ours) {
            self.failures
                .push(format!("{what}: {field}: tshark {theirs:?}, ours {ours}"));
        }
    }

    fn fail(&mut self, what: &str, msg: String) {
        self.failures.push(format!("{what}: {msg}"));
    }

    fn finish(self, label: &str) {
        assert!(
            self.failures.is_empty(),
            "{label}: {} of {} comparisons differ:\n{}",
            self.failures.len(),
            self.compared,
            self.failures[..self.failures.len().min(40)].join("\n")
        );
        eprintln!("{label}: {} field comparisons agree", self.compared);
    }
}

fn expert_messages(packet: &Json) -> Vec<&str> {
    tshark::field(packet, "_ws.expert.message")
}

/// SIO and routing label fields.
fn check_sio_label(c: &mut Checker, what: &str, p: &Json, sio_sif: &[u8]) {
    let Some(&sio) = sio_sif.first() else { return };
    let Ok(label) = RoutingLabel::decode(&mut Reader::new(&sio_sif[1..]), Variant::Itu) else {
        return;
    };
    let sio = Sio::from_octet(sio);
    c.eq(
        what,
        p,
        "mtp3.network_indicator",
        sio.network_indicator.code().into(),
    );
    c.eq(
        what,
        p,
        "mtp3.service_indicator",
        sio.service_indicator.code().into(),
    );
    c.eq(what, p, "mtp3.spare", sio.spare.into());
    c.eq(what, p, "mtp3.dpc", label.dpc.0.into());
    c.eq(what, p, "mtp3.opc", label.opc.0.into());
    c.eq(what, p, "mtp3.sls", label.sls.into());
}

/// The user part fields tshark's MTP3MG dissector reports.
fn check_user_part(c: &mut Checker, what: &str, p: &Json, msu: &Msu) {
    match &msu.user_part {
        UserPart::Snm(m) => {
            let (h0, h1) = m.heading();
            c.eq(what, p, "mtp3mg.h0", h0.into());
            // tshark names H1 only within the message groups it knows.
            if matches!(h0, 1..=8 | 10) {
                c.eq(what, p, "mtp3mg.h1", h1.into());
            }
            use SnmMessage::*;
            match m {
                Coo { fsn, .. } | Coa { fsn, .. } => c.eq(what, p, "mtp3mg.fsn", (*fsn).into()),
                Xco { fsn } | Xca { fsn } => c.eq(what, p, "mtp3mg.fsn", (*fsn).into()),
                Cbd { changeback_code } | Cba { changeback_code } => {
                    c.eq(what, p, "mtp3mg.cbc", (*changeback_code).into())
                }
                Tfc {
                    destination,
                    status,
                } => {
                    c.eq(what, p, "mtp3mg.apc", destination.0.into());
                    c.eq(what, p, "mtp3mg.status", (*status).into());
                }
                Tfp { destination, .. }
                | Tfr { destination, .. }
                | Tfa { destination, .. }
                | Rst { destination, .. }
                | Rsr { destination, .. } => c.eq(what, p, "mtp3mg.apc", destination.0.into()),
                Dlc { link, .. } => c.eq(what, p, "mtp3mg.link", (*link).into()),
                Upu {
                    destination,
                    user_part,
                    cause,
                    ..
                } => {
                    c.eq(what, p, "mtp3mg.apc", destination.0.into());
                    c.eq(what, p, "mtp3mg.user", user_part.code().into());
                    c.eq(what, p, "mtp3mg.cause", cause.code().into());
                }
                _ => {}
            }
        }
        UserPart::Test(m) => {
            let (h0, h1) = m.heading();
            c.eq(what, p, "mtp3mg.test.h0", h0.into());
            if h0 == 1 {
                c.eq(what, p, "mtp3mg.test.h1", h1.into());
            }
            if let TestMessage::Sltm(t) | TestMessage::Slta(t) = m {
                c.eq(what, p, "mtp3mg.test.length", t.pattern.len() as u64);
                if !t.pattern.is_empty() {
                    c.compared += 1;
                    let theirs: String = tshark::field(p, "mtp3mg.test_pattern")
                        .first()
                        .map(|s| s.replace(':', ""))
                        .unwrap_or_default();
                    if theirs != hex::encode(&t.pattern) {
                        c.fail(
                            what,
                            format!(
                                "test pattern: tshark {theirs}, ours {}",
                                hex::encode(&t.pattern)
                            ),
                        );
                    }
                }
            }
        }
        UserPart::Other(_) => {}
    }
    if !matches!(msu.user_part, UserPart::Other(_))
        && expert_messages(p).iter().any(|m| m.contains("Malformed"))
    {
        c.fail(what, format!("tshark: {:?}", expert_messages(p)));
    }
}

const MTP2_FIELDS: &[&str] = &[
    "mtp2.bsn",
    "mtp2.bib",
    "mtp2.fsn",
    "mtp2.fib",
    "mtp2.li",
    "mtp2.spare",
    "mtp2.sf",
    "mtp2.sf_extra",
    "mtp2.fcs_16",
    "mtp2.fcs_16.status",
];

const MTP3_FIELDS: &[&str] = &[
    "mtp3.network_indicator",
    "mtp3.service_indicator",
    "mtp3.spare",
    "mtp3.dpc",
    "mtp3.opc",
    "mtp3.sls",
    "mtp3mg.h0",
    "mtp3mg.h1",
    "mtp3mg.fsn",
    "mtp3mg.cbc",
    "mtp3mg.apc",
    "mtp3mg.status",
    "mtp3mg.link",
    "mtp3mg.user",
    "mtp3mg.cause",
    "mtp3mg.test.h0",
    "mtp3mg.test.h1",
    "mtp3mg.test.length",
    "mtp3mg.test_pattern",
    "_ws.expert.message",
];

fn args(fields: &[&str], prefs: &[&str]) -> Vec<String> {
    let mut a = Vec::new();
    for p in prefs {
        a.push("-o".to_string());
        a.push(p.to_string());
    }
    for f in fields {
        a.push("-e".to_string());
        a.push(f.to_string());
    }
    a
}

fn run(pcap: &std::path::Path, fields: &[&[&str]], prefs: &[&str]) -> Vec<Json> {
    let a = args(&fields.concat(), prefs);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    tshark::packets(pcap, &refs)
}

/// The signal units of the test: valid fixtures, then generated ones (named for messages).
fn signal_units() -> Vec<(String, SignalUnit)> {
    let mut units: Vec<(String, SignalUnit)> = common::fixtures::load("mtp")
        .into_iter()
        .filter(|v| v.kind == "mtp2" && v.roundtrip)
        .map(|v| {
            (
                v.name.clone(),
                SignalUnit::decode(&v.bytes).expect("fixture decodes"),
            )
        })
        .collect();
    for (i, su) in generate(prop_mtp::gen::signal_unit(), 300)
        .into_iter()
        .enumerate()
    {
        units.push((format!("generated SU #{i}"), su));
    }
    units
}

fn check_signal_unit(c: &mut Checker, what: &str, p: &Json, su: &SignalUnit) {
    c.eq(what, p, "mtp2.bsn", su.bsn.into());
    c.eq(what, p, "mtp2.bib", su.bib.into());
    c.eq(what, p, "mtp2.fsn", su.fsn.into());
    c.eq(what, p, "mtp2.fib", su.fib.into());
    c.eq(what, p, "mtp2.li", su.li().into());
    c.eq(what, p, "mtp2.spare", su.spare.into());
    match &su.body {
        Body::Fisu => {}
        Body::Lssu(sf) => {
            c.eq(what, p, "mtp2.sf", sf.octet().into());
            if let Some(extra) = sf.extra {
                c.eq(what, p, "mtp2.sf_extra", extra.into());
            }
        }
        Body::Msu { sio_sif } => {
            check_sio_label(c, what, p, sio_sif);
            if let Some(Ok(msu)) = su.mtp3() {
                check_user_part(c, what, p, &msu);
            }
        }
    }
    if let Some(m) = expert_messages(p)
        .iter()
        .find(|m| m.starts_with("Bad length value"))
    {
        c.fail(what, format!("tshark: {m}"));
    }
}

#[test]
fn tshark_reads_our_signal_units() {
    if !tshark::available() {
        return;
    }
    let dir = tshark::scratch("mtp2");
    let units = signal_units();
    let mut records: Vec<Vec<u8>> = units
        .iter()
        .map(|(_, su)| {
            let mut out = Vec::new();
            su.encode(&mut out).expect("encodes");
            out
        })
        .collect();
    // The invalid fixtures follow: tshark must object to their length indicator too.
    let invalid: Vec<_> = common::fixtures::load("mtp")
        .into_iter()
        .filter(|v| v.kind == "mtp2" && !v.roundtrip)
        .collect();
    records.extend(invalid.iter().map(|v| v.bytes.clone()));
    let path = dir.join("mtp2.pcap");
    pcap::write(&path, pcap::LINKTYPE_MTP2, &records);
    let packets = run(&path, &[MTP2_FIELDS, MTP3_FIELDS], &[]);
    assert_eq!(packets.len(), records.len());
    let mut c = Checker::new();
    for ((what, su), p) in units.iter().zip(&packets) {
        // Decode what we wrote: the values our decoder reports are the ones compared.
        let mut wire = Vec::new();
        su.encode(&mut wire).unwrap();
        let decoded = SignalUnit::decode(&wire).expect("decodes");
        check_signal_unit(&mut c, what, p, &decoded);
    }
    for (v, p) in invalid.iter().zip(&packets[units.len()..]) {
        assert!(SignalUnit::decode(&v.bytes).is_err());
        if !expert_messages(p)
            .iter()
            .any(|m| m.starts_with("Bad length value"))
        {
            c.fail(
                &v.name,
                format!("tshark accepted it: {:?}", expert_messages(p)),
            );
        }
    }
    c.finish("MTP2 without FCS");
}

#[test]
fn tshark_checks_our_fcs() {
    if !tshark::available() {
        return;
    }
    let dir = tshark::scratch("mtp2-fcs");
    let units = signal_units();
    let mut records: Vec<Vec<u8>> = Vec::new();
    for (_, su) in &units {
        let mut out = Vec::new();
        su.encode(&mut out).unwrap();
        let mut rec = Vec::new();
        hdlc::frames::encode(&out, &mut rec);
        records.push(rec);
    }
    // One unit with a wrong FCS, which tshark must call bad: the test can fail.
    let mut bad = records[0].clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x40;
    records.push(bad);
    let path = dir.join("mtp2-fcs.pcap");
    pcap::write(&path, pcap::LINKTYPE_MTP2, &records);
    let packets = run(
        &path,
        &[MTP2_FIELDS, MTP3_FIELDS],
        &["mtp2.capture_contains_frame_check_sequence:TRUE"],
    );
    assert_eq!(packets.len(), records.len());
    let mut c = Checker::new();
    for (i, (rec, p)) in records.iter().zip(&packets).enumerate() {
        let what = units
            .get(i)
            .map(|u| u.0.as_str())
            .unwrap_or("corrupted FCS");
        let (payload, fcs) = rec.split_at(rec.len() - 2);
        let ours = u16::from_le_bytes([fcs[0], fcs[1]]);
        c.eq(what, p, "mtp2.fcs_16", ours.into());
        let good = i < units.len();
        if good {
            assert_eq!(ours, hdlc::fcs16(payload));
            let su = SignalUnit::decode(payload).unwrap();
            check_signal_unit(&mut c, what, p, &su);
        }
        // proto_checksum_enum_e: 0 bad, 1 good.
        c.eq(what, p, "mtp2.fcs_16.status", u64::from(good));
    }
    c.finish("MTP2 with FCS");
}

#[test]
fn tshark_reads_our_mtp3_messages() {
    if !tshark::available() {
        return;
    }
    let dir = tshark::scratch("mtp3");
    let fixtures = common::fixtures::load("mtp");
    let mut msgs: Vec<(String, Msu)> = fixtures
        .iter()
        .filter(|v| v.kind == "mtp3" && v.roundtrip)
        .map(|v| {
            (
                v.name.clone(),
                Msu::decode(&v.bytes).expect("fixture decodes"),
            )
        })
        .collect();
    for (i, m) in generate(prop_mtp::gen::msu(), 400).into_iter().enumerate() {
        msgs.push((format!("generated MSU #{i}"), m));
    }
    let mut records: Vec<Vec<u8>> = msgs
        .iter()
        .map(|(_, m)| {
            let mut out = Vec::new();
            m.encode(&mut out).expect("encodes");
            out
        })
        .collect();
    // The invalid fixtures follow: tshark must find them malformed too.
    let invalid: Vec<_> = fixtures
        .iter()
        .filter(|v| v.kind == "mtp3" && !v.roundtrip)
        .collect();
    records.extend(invalid.iter().map(|v| v.bytes.clone()));
    let path = dir.join("mtp3.pcap");
    pcap::write(&path, pcap::LINKTYPE_MTP3, &records);
    let packets = run(&path, &[MTP3_FIELDS], &[]);
    assert_eq!(packets.len(), records.len());
    let mut c = Checker::new();
    for (((what, _), rec), p) in msgs.iter().zip(&records).zip(&packets) {
        let decoded = Msu::decode(rec).expect("decodes");
        check_sio_label(&mut c, what, p, rec);
        check_user_part(&mut c, what, p, &decoded);
    }
    for (v, p) in invalid.iter().zip(&packets[msgs.len()..]) {
        assert!(Msu::decode(&v.bytes).is_err());
        if !expert_messages(p).iter().any(|m| m.contains("Malformed")) {
            c.fail(&v.name, "tshark did not find it malformed".into());
        }
    }
    c.finish("MTP3");
}
