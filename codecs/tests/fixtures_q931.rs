//! Runs fixtures/codecs/q931.toml: every vector round-trips byte-exact and decodes to the
//! values written beside it (which were read off tshark's dissection of the same octets).

mod common;

use serde_json::Value as Json;
use sipt_codecs::q921::Frame;
use sipt_codecs::q931::Message;

fn decode(kind: &str, bytes: &[u8]) -> Result<(Json, Vec<u8>), String> {
    match kind {
        "q921" => {
            let f = Frame::decode(bytes).map_err(|e| e.to_string())?;
            let mut json = serde_json::to_value(&f).map_err(|e| e.to_string())?;
            // The Q.931 message an I frame of SAPI 0 carries, as `sipt-mgc decode q921` shows it.
            if f.address.sapi == 0 && !f.information.is_empty() {
                if let Ok(m) = Message::decode(&f.information) {
                    json["q931"] = serde_json::to_value(&m).map_err(|e| e.to_string())?;
                }
            }
            Ok((json, f.to_bytes().map_err(|e| e.to_string())?))
        }
        "q931" => {
            let m = Message::decode(bytes).map_err(|e| e.to_string())?;
            let json = serde_json::to_value(&m).map_err(|e| e.to_string())?;
            Ok((json, m.to_bytes().map_err(|e| e.to_string())?))
        }
        other => Err(format!("unknown kind {other}")),
    }
}

#[test]
fn q931_fixtures() {
    let n = common::fixtures::check_area("q931", decode);
    assert!(n >= 10, "only {n} vectors");
}
