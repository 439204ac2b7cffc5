//! `sipt-mgc demo` (DESIGN.md, "Command line"): the binary alone — two gateways, the built-in
//! simulator on PTYs and the SIP endpoint in one process, no peer installed — runs its calls
//! in the three call models and exits 0. Checked from its JSON lines (`--json`): every call
//! of every model did what was expected, the causes and statuses, and the bridged calls'
//! IAMs at sim 2 (called and calling numbers, natures of address, category as sim 1 sent them).

mod support;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Runs `sipt-mgc demo ARGS`, at most `limit`; returns (exit code, stdout lines as JSON).
fn demo(args: &[&str], limit: Duration) -> (Option<i32>, Vec<Value>, String) {
    let mut child = Command::new(support::sipt_mgc())
        .arg("demo")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting sipt-mgc demo");
    let began = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("waiting for the demo") {
            break Some(s);
        }
        if began.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut o) = child.stdout.take() {
        o.read_to_string(&mut stdout).expect("reading stdout");
    }
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut stderr).expect("reading stderr");
    }
    assert!(
        status.is_some(),
        "the demo did not finish within {limit:?}:\n{stdout}\n{stderr}"
    );
    let lines = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (
        status.and_then(|s| s.code()),
        lines,
        format!("{stdout}\n{stderr}"),
    )
}

fn events<'a>(lines: &'a [Value], what: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|v| v["event"] == "progress" && v["what"] == what)
        .collect()
}

#[test]
fn the_demo_runs_every_call_model_and_exits_0() {
    let began = Instant::now();
    let (code, lines, all) = demo(&["--json"], Duration::from_secs(30));
    let took = began.elapsed();
    assert_eq!(code, Some(0), "{all}");
    assert!(took < Duration::from_secs(20), "took {took:?}");

    let summary = lines
        .iter()
        .find(|v| v["event"] == "summary")
        .unwrap_or_else(|| panic!("no summary: {all}"));
    assert_eq!(summary["ok"], true, "{summary}");
    assert_eq!(summary["problems"], json!([]), "{summary}");
    // Default: 3 answered calls per model, plus the busy call (PSTN -> SIP) and the
    // unrouted one (SIP -> PSTN).
    assert_eq!(summary["calls"], 11, "{summary}");
    for (model, calls, answered) in [
        ("pstn_to_sip", 4, 3),
        ("sip_to_pstn", 4, 3),
        ("bridging", 3, 3),
    ] {
        let m = &summary["models"][model];
        assert_eq!(m["calls"], calls, "{model}: {m}");
        assert_eq!(m["answered"], answered, "{model}: {m}");
        assert_eq!(m["failed"], calls - answered, "{model}: {m}");
        assert_eq!(m["as_expected"], calls, "{model}: {m}");
        let ms = m["setup_ms"]["max"].as_f64().unwrap_or(f64::NAN);
        assert!(ms > 0.0 && ms < 1000.0, "{model}: set-up {ms} ms: {m}");
    }
    // Causes on both gateways: 12 normal clearings (3 + 3 answered calls at A, 3 bridged at
    // A and at B), one user busy (486 -> 17, RFC 3398 8.2.6.1), and the unrouted call's
    // "no route to destination" (3), answered 404 (RFC 3398 7.2.4.1).
    assert_eq!(
        summary["causes"],
        json!({"3": 1, "16": 12, "17": 1}),
        "{summary}"
    );
    assert_eq!(
        summary["statuses"],
        json!({"404": 1, "486": 1}),
        "{summary}"
    );
    assert_eq!(summary["bridged"], 3);
    assert_eq!(summary["transparent"], 3);

    // Every call's own verdict.
    let results = events(&lines, "result");
    assert_eq!(results.len(), 11, "{all}");
    for r in &results {
        assert_eq!(r["ok"], true, "{r}");
    }

    // Busy: the endpoint's 486 became cause 17 towards sim 1.
    let busy: Vec<_> = events(&lines, "ended")
        .into_iter()
        .filter(|v| v["number"] == "4930486486")
        .collect();
    assert_eq!(busy.len(), 1, "{all}");
    assert_eq!(busy[0]["status"], 486);
    assert_eq!(busy[0]["cause"], 17);
    assert_eq!(busy[0]["answered"], false);

    // Bridging: the IAM sim 1 sent reached sim 2 through A, SIP-T and B with the same
    // numbers and category (the categories differ from call to call).
    let at_sim2 = events(&lines, "iam_at_sim2");
    assert_eq!(at_sim2.len(), 3, "{all}");
    let mut categories = Vec::new();
    for v in &at_sim2 {
        let (sent, received) = (&v["sent"], &v["received"]);
        assert_eq!(v["same"], true, "{v}");
        assert_eq!(received["called"], v["number"], "{v}");
        for k in ["called", "called_nai", "calling", "calling_nai", "category"] {
            assert_eq!(sent[k], received[k], "{k}: {v}");
        }
        assert_eq!(received["calling"], "4969111222", "{v}");
        assert_eq!(received["called_nai"], "national", "{v}");
        categories.push(
            received["category"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    }
    categories.sort();
    categories.dedup();
    assert_eq!(categories.len(), 3, "{categories:?}");

    // The SIP-originated calls reached sim 1 as IAMs; the PSTN-originated ones the endpoint.
    assert_eq!(events(&lines, "iam_at_sim1").len(), 3, "{all}");
    assert_eq!(events(&lines, "invite_at_endpoint").len(), 4, "{all}");
}

#[test]
fn the_demo_prints_progress_and_a_summary_for_people() {
    let (code, _, all) = demo(&["--calls", "1"], Duration::from_secs(30));
    assert_eq!(code, Some(0), "{all}");
    for needle in [
        "both ISUP links in service",
        "PSTN->SIP",
        "SIP->PSTN",
        "bridging",
        "cause 17 (user busy)",
        "SIP 486 Busy Here",
        "SIP 404 Not Found",
        "1 of 1 IAMs reached sim 2",
        "result: OK",
    ] {
        assert!(all.contains(needle), "no {needle:?} in:\n{all}");
    }
    // The temporary directory is gone.
    let dir = all
        .lines()
        .find_map(|l| l.strip_prefix("configuration in "))
        .unwrap_or_else(|| panic!("no configuration directory in:\n{all}"));
    assert!(
        !std::path::Path::new(dir.trim()).exists(),
        "{dir} left behind"
    );
}
