//! Decode and encode of an MSU carrying a full IAM through every layer: MTP2 signal unit
//! (Q.703) -> MTP3 SIO and routing label (Q.704) -> ISUP with its CIC (Q.763), and back —
//! the work the gateway does for each ISUP message on a `frames` link.
//!
//! cargo bench -p sipt-codecs --bench msu

use criterion::{criterion_group, criterion_main, Criterion};
use sipt_codecs::isup::CicMessage;
use sipt_codecs::mtp2::SignalUnit;
use sipt_codecs::mtp3::{Msu, UserPart};
use std::hint::black_box;

/// The IAM of benches/isup.rs (88 octets: every mandatory parameter and eleven optional
/// ones), as in an RFC 3204 body.
const FULL_IAM: &str = "010020010a03020b098410940321436587090a07031303214365870b07031003896745232808831003112122330313020321c00806831303214300003d01140801003f04031303211d038090a303087d0291811e02818300";

fn decode(su: &[u8]) -> (SignalUnit, Msu, CicMessage) {
    let su = SignalUnit::decode(su).expect("SU");
    let msu = su.mtp3().expect("an MSU").expect("MTP3");
    let UserPart::Other(isup) = &msu.user_part else {
        panic!("ISUP user part")
    };
    let isup = CicMessage::decode(isup).expect("ISUP");
    (su, msu, isup)
}

fn encode(bsn: u8, fsn: u8, msu: &Msu, isup: &CicMessage, out: &mut Vec<u8>) {
    let mut user_part = Vec::with_capacity(128);
    isup.encode(&mut user_part).expect("ISUP");
    let msu = Msu {
        sio: msu.sio,
        label: msu.label,
        user_part: UserPart::Other(user_part),
    };
    let mut sio_sif = Vec::with_capacity(160);
    msu.encode(&mut sio_sif).expect("MTP3");
    SignalUnit::msu(bsn, true, fsn, true, sio_sif)
        .encode(out)
        .expect("MTP2");
}

fn bench(c: &mut Criterion) {
    let body = hex::decode(FULL_IAM).expect("hex");
    // BSN 5 / BIB 1, FSN 6 / FIB 1, LI 63 (the SIF is longer than 62 octets), SIO 0x85,
    // DPC 2, OPC 1, SLS 0, CIC 17.
    let mut su = vec![0x85, 0x86, 63, 0x85, 0x02, 0x40, 0x00, 0x00, 17, 0x00];
    su.extend_from_slice(&body);
    let (_, msu, isup) = decode(&su);
    let mut out = Vec::with_capacity(256);
    encode(5, 6, &msu, &isup, &mut out);
    assert_eq!(out, su, "the MSU survives decode and encode");

    c.bench_function("msu decode (MTP2+MTP3+ISUP, full IAM)", |b| {
        b.iter(|| decode(black_box(&su)))
    });
    c.bench_function("msu encode (ISUP+MTP3+MTP2, full IAM)", |b| {
        b.iter(|| {
            out.clear();
            encode(5, 6, black_box(&msu), black_box(&isup), &mut out)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
