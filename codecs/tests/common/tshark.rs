//! Running tshark (Wireshark's dissectors) as the independent decoder of what we encode.
//!
//! When tshark is missing the test fails if CI=true (CI must have the peer), and otherwise is
//! reported as skipped on stderr.

use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether tshark can run here. Panics when it cannot and CI=true.
pub fn available() -> bool {
    let ok = Command::new("tshark")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("tshark is required when CI=true (apt-get install tshark)");
        }
        eprintln!("SKIPPED: tshark not installed (apt-get install tshark)");
    }
    ok
}

/// A fresh scratch directory for one test.
pub fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sipt-codecs-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Runs `tshark -r PCAP -T json <args>` and returns one JSON object per packet: the
/// `_source.layers` object, whose keys are protocol names or, with `-e FIELD` in `args`,
/// field names mapping to arrays of strings.
pub fn packets(pcap: &Path, args: &[&str]) -> Vec<Json> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args(["-T", "json"])
        .args(args)
        .env("HOME", std::env::temp_dir()) // no user profile: default preferences only
        .output()
        .expect("running tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "tshark JSON: {e}\n{}",
            String::from_utf8_lossy(&out.stdout[..out.stdout.len().min(2000)])
        )
    });
    v.as_array()
        .expect("tshark -T json gives an array")
        .iter()
        .map(|p| p["_source"]["layers"].clone())
        .collect()
}

/// The values of one `-e` field in one packet of [`packets`] output.
pub fn field<'a>(packet: &'a Json, name: &str) -> Vec<&'a str> {
    packet
        .get(name)
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default()
}
