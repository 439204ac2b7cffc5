#![allow(dead_code)]
//! Fixture files: fixtures/codecs/<area>.toml, each a list of byte vectors with their source
//! and the values our decoder must report for them.
//!
//! ```toml
//! [[vector]]
//! name = "iam-minimal"
//! source = "where the octets come from: a standard's clause, a public capture (repo@commit:path, frame N)"
//! kind = "isup-body"            # a `sipt-mgc decode` KIND
//! hex = "01 00 ..."             # whitespace allowed
//! roundtrip = true              # default; false only for inputs that are invalid on purpose
//! [vector.expect]               # dotted paths into the JSON of the decoded value
//! "message_type" = "IAM"
//! "parameters.0.digits" = "4930"  # a numeric segment indexes an array
//! ```

use serde_json::Value as Json;
use std::path::PathBuf;

#[derive(Debug)]
pub struct Vector {
    pub name: String,
    pub source: String,
    pub kind: String,
    pub bytes: Vec<u8>,
    pub roundtrip: bool,
    pub expect: Vec<(String, toml::Value)>,
}

/// The workspace's fixtures/ directory (this file serves tests of the codecs crate and of the
/// workspace root).
pub fn fixtures_dir() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let own = here.join("fixtures");
    if own.is_dir() {
        own
    } else {
        here.parent().unwrap_or(&here).join("fixtures")
    }
}

/// Loads fixtures/codecs/<area>.toml.
pub fn load(area: &str) -> Vec<Vector> {
    let path = fixtures_dir().join("codecs").join(format!("{area}.toml"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let doc: toml::Table =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let vectors = doc
        .get("vector")
        .and_then(|v| v.as_array())
        .unwrap_or_else(|| panic!("{}: no [[vector]]", path.display()));
    vectors
        .iter()
        .map(|v| {
            let t = v.as_table().expect("[[vector]] is a table");
            let s = |k: &str| {
                t.get(k)
                    .and_then(|x| x.as_str())
                    .unwrap_or_else(|| panic!("{}: vector without {k}: {t:?}", path.display()))
                    .to_string()
            };
            let name = s("name");
            let hex: String = s("hex").chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = hex::decode(&hex).unwrap_or_else(|e| panic!("{name}: bad hex: {e}"));
            let mut expect: Vec<(String, toml::Value)> = t
                .get("expect")
                .and_then(|e| e.as_table())
                .map(|e| e.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            expect.sort_by(|a, b| a.0.cmp(&b.0));
            assert!(!s("source").trim().is_empty(), "{name}: empty source");
            Vector {
                source: s("source"),
                kind: s("kind"),
                roundtrip: t.get("roundtrip").and_then(|x| x.as_bool()).unwrap_or(true),
                name,
                bytes,
                expect,
            }
        })
        .collect()
}

/// Follows a dotted path (numeric segments index arrays) into a JSON value.
pub fn lookup<'a>(mut v: &'a Json, path: &str) -> Option<&'a Json> {
    for seg in path.split('.') {
        v = match v {
            Json::Object(m) => m.get(seg)?,
            Json::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

/// Whether a JSON value equals the value written in a fixture.
pub fn matches(json: &Json, want: &toml::Value) -> bool {
    match want {
        toml::Value::String(s) => json.as_str() == Some(s.as_str()),
        toml::Value::Integer(i) => {
            json.as_i64() == Some(*i) || json.as_u64().map(|u| u as i128) == Some(*i as i128)
        }
        toml::Value::Boolean(b) => json.as_bool() == Some(*b),
        toml::Value::Float(f) => json.as_f64() == Some(*f),
        toml::Value::Array(a) => json
            .as_array()
            .is_some_and(|j| j.len() == a.len() && j.iter().zip(a).all(|(j, w)| matches(j, w))),
        other => panic!("fixture value {other:?} is not comparable"),
    }
}

/// Runs every vector of `area`: `decode(kind, bytes)` gives the JSON of the decoded value and
/// the octets its encoder writes back. Checks the expected values and the byte-exact round trip.
/// Panics with every failure listed.
pub fn check_area(
    area: &str,
    decode: impl Fn(&str, &[u8]) -> Result<(Json, Vec<u8>), String>,
) -> usize {
    let vectors = load(area);
    let mut failures = Vec::new();
    for v in &vectors {
        match decode(&v.kind, &v.bytes) {
            Err(e) if v.roundtrip => failures.push(format!("{}: decode failed: {e}", v.name)),
            Err(_) => {}
            Ok((json, again)) => {
                if v.roundtrip && again != v.bytes {
                    failures.push(format!(
                        "{}: round trip differs:\n  in  {}\n  out {}",
                        v.name,
                        hex::encode(&v.bytes),
                        hex::encode(&again)
                    ));
                }
                for (path, want) in &v.expect {
                    match lookup(&json, path) {
                        Some(got) if matches(got, want) => {}
                        got => failures.push(format!(
                            "{}: {path}: expected {want}, decoded {}",
                            v.name,
                            got.map(|g| g.to_string())
                                .unwrap_or_else(|| "nothing".into())
                        )),
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixture checks failed in {area}:\n{}\n",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
    vectors.len()
}
