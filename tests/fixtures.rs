//! Every fixture under fixtures/codecs/ through the `sipt-mgc decode` path (the JSON the
//! command prints, with upper layers nested) and its re-encoding: the values written beside
//! each vector must be what the command shows, and the octets must come back unchanged.
//! (The codec crate's own tests check the same files against its types directly.)

#[path = "../codecs/tests/common/fixtures.rs"]
mod fixtures;

use sipt_mgc::decode::{self, Kind};

fn through_cli(kind: &str, bytes: &[u8]) -> Result<(serde_json::Value, Vec<u8>), String> {
    let kind = Kind::from_name(kind).ok_or_else(|| format!("unknown kind {kind}"))?;
    let json = decode::decode(kind, bytes).map_err(|e| e.to_string())?;
    let again = match kind {
        // A SIP message is not rebuilt octet for octet; its body parts are (tests/sipt.rs).
        Kind::Sipt => bytes.to_vec(),
        _ => decode::reencode(kind, bytes).map_err(|e| e.to_string())?,
    };
    Ok((json, again))
}

#[test]
fn isup_fixtures_through_decode() {
    assert!(fixtures::check_area("isup", through_cli) > 0);
}

#[test]
fn mtp_fixtures_through_decode() {
    assert!(fixtures::check_area("mtp", through_cli) > 0);
}

#[test]
fn q931_fixtures_through_decode() {
    assert!(fixtures::check_area("q931", through_cli) > 0);
}

#[test]
fn sipt_fixtures_through_decode() {
    assert!(fixtures::check_area("sipt", through_cli) > 0);
}
