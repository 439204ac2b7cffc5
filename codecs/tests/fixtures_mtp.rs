//! fixtures/codecs/mtp.toml: every vector decodes to the values written beside it and encodes
//! back to the same octets.

mod common;

use serde_json::Value as Json;
use sipt_codecs::mtp2::SignalUnit;
use sipt_codecs::mtp3::Msu;

/// Decodes one vector of kind `mtp2` or `mtp3`: its JSON and the octets it encodes back to.
pub fn decode(kind: &str, bytes: &[u8]) -> Result<(Json, Vec<u8>), String> {
    let mut again = Vec::new();
    let json = match kind {
        "mtp2" => {
            let su = SignalUnit::decode(bytes).map_err(|e| e.to_string())?;
            su.encode(&mut again).map_err(|e| e.to_string())?;
            serde_json::to_value(&su)
        }
        "mtp3" => {
            let msu = Msu::decode(bytes).map_err(|e| e.to_string())?;
            msu.encode(&mut again).map_err(|e| e.to_string())?;
            serde_json::to_value(&msu)
        }
        other => return Err(format!("kind {other} is not an MTP kind")),
    }
    .map_err(|e| e.to_string())?;
    Ok((json, again))
}

#[test]
fn mtp_fixtures() {
    let n = common::fixtures::check_area("mtp", decode);
    assert!(n >= 25, "only {n} vectors");
}

#[test]
fn invalid_vectors_are_rejected() {
    for v in common::fixtures::load("mtp") {
        if !v.roundtrip {
            assert!(decode(&v.kind, &v.bytes).is_err(), "{} decoded", v.name);
        }
    }
}
