//! Decodes or encodes the full IAM of benches/isup.rs N times, for instruction counts that do
//! not depend on what else the machine is doing:
//!
//! ```sh
//! cargo build --release -p sipt-codecs --example isup_count
//! for n in 1000 2000; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!   target/release/examples/isup_count decode $n 2>&1 | grep Collected; done
//! ```
//! The difference of the two totals divided by 1000 is the count per message (building and
//! dropping the decoded message included). Modes: decode, decode-cic, encode, encode-cic.

use sipt_codecs::isup::{CicMessage, Message};
use std::hint::black_box;

const FULL_IAM: &str = "010020010a03020b098410940321436587090a07031303214365870b07031003896745232808831003112122330313020321c00806831303214300003d01140801003f04031303211d038090a303087d0291811e02818300";

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "decode".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let body = hex::decode(FULL_IAM).expect("hex");
    let mut msu = vec![17, 0];
    msu.extend_from_slice(&body);
    let message = Message::decode(&body).expect("IAM");
    let cic_message = CicMessage::decode(&msu).expect("IAM");
    let mut out = Vec::with_capacity(256);
    let mut total = 0usize;
    for _ in 0..n {
        total += match mode.as_str() {
            "decode" => Message::decode(black_box(&body)).map_or(0, |m| m.parameters().len()),
            "decode-cic" => {
                CicMessage::decode(black_box(&msu)).map_or(0, |m| m.message.parameters().len())
            }
            "encode" => {
                out.clear();
                black_box(&message)
                    .encode(&mut out)
                    .map_or(0, |_| out.len())
            }
            "encode-cic" => {
                out.clear();
                black_box(&cic_message)
                    .encode(&mut out)
                    .map_or(0, |_| out.len())
            }
            other => panic!("unknown mode {other}"),
        };
    }
    println!("{total}");
}
