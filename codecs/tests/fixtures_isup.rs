//! fixtures/codecs/isup.toml: every vector decodes to the values written beside it and
//! re-encodes to the same octets.

mod common;

use sipt_codecs::isup::{CicMessage, Message};

fn decode(kind: &str, bytes: &[u8]) -> Result<(serde_json::Value, Vec<u8>), String> {
    match kind {
        "isup" => {
            let m = CicMessage::decode(bytes).map_err(|e| e.to_string())?;
            let again = m.to_bytes().map_err(|e| e.to_string())?;
            Ok((serde_json::to_value(&m).map_err(|e| e.to_string())?, again))
        }
        "isup-body" => {
            let m = Message::decode(bytes).map_err(|e| e.to_string())?;
            let again = m.to_bytes().map_err(|e| e.to_string())?;
            Ok((serde_json::to_value(&m).map_err(|e| e.to_string())?, again))
        }
        other => Err(format!("kind {other} is not an ISUP kind")),
    }
}

#[test]
fn isup_fixtures() {
    let n = common::fixtures::check_area("isup", decode);
    assert!(n >= 30, "only {n} vectors");
}
