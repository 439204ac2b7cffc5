//! The `sipt-mgc decode` command as an operator runs it: exit status, JSON on stdout, the
//! text format, and one line naming the offset on stderr for malformed input.

use std::process::{Command, Output};

fn sipt_mgc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sipt-mgc"))
        .args(args)
        .output()
        .expect("running sipt-mgc")
}

#[test]
fn decodes_an_msu_with_every_layer_nested() {
    // MTP2 MSU (BSN 5, FSN 6, LI 9) carrying MTP3 (SIO 0x85, DPC 2, OPC 1, SLS 0) and an ISUP
    // RLC on CIC 1.
    let su = "85 86 09 85 02 40 00 00 01 00 10 00";
    let out = sipt_mgc(&["decode", "mtp2", su]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["bsn"], 5);
    assert_eq!(v["fsn"], 6);
    assert_eq!(v["mtp3"]["label"]["dpc"], 2);
    assert_eq!(v["mtp3"]["label"]["opc"], 1);
    assert_eq!(v["mtp3"]["isup"]["cic"], 1);
    assert_eq!(v["mtp3"]["isup"]["message_type"], "RLC");
}

#[test]
fn text_format_is_for_people() {
    let out = sipt_mgc(&[
        "decode",
        "isup-body",
        "0c 02 00 02 82 90",
        "--format",
        "text",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(text.contains("message_type: REL"), "{text}");
    assert!(text.contains("cause_value: 16"), "{text}");
}

#[test]
fn malformed_input_is_one_line_with_the_offset() {
    // REL whose cause pointer points past the end.
    let out = sipt_mgc(&["decode", "isup-body", "0c 09 00"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).expect("UTF-8");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("offset"), "{err}");

    let out = sipt_mgc(&["decode", "q931", "08 02 00"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(
        err.starts_with("sipt-mgc decode: q931: ") && err.contains("offset 2"),
        "{err}"
    );

    let out = sipt_mgc(&["decode", "mtp3", "8g"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(err.contains("not a hex digit at offset 1"), "{err}");
}

#[test]
fn an_error_in_an_upper_layer_names_its_offset_in_the_whole_input() {
    // MTP3 with SI ISUP whose ISUP part is only a CIC: truncated at offset 5 + 2.
    let out = sipt_mgc(&["decode", "mtp3", "85 02 40 00 00 01 00"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(err.starts_with("sipt-mgc decode: isup: "), "{err}");
    assert!(err.contains("offset 7"), "{err}");
}

#[test]
fn reads_raw_octets_from_a_file() {
    let dir = std::env::temp_dir().join(format!("sipt-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bye.sip");
    let mut msg = b"BYE sip:1@127.0.0.1 SIP/2.0\r\nCall-ID: x\r\nl: 6\r\nc: application/ISUP;version=itu-t92+\r\n\r\n".to_vec();
    msg.extend_from_slice(&[0x0c, 0x02, 0x00, 0x02, 0x82, 0x90]);
    std::fs::write(&path, &msg).unwrap();
    let out = sipt_mgc(&["decode", "sipt", &format!("@{}", path.display())]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["body"]["parts"][0]["isup"]["message_type"], "REL");
    assert_eq!(
        v["body"]["parts"][0]["isup"]["parameters"][0]["cause_value"],
        16
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn check_config_names_file_line_and_field() {
    let dir = std::env::temp_dir().join(format!("sipt-cli-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("gw.toml");
    let good = "[[link]]\nname = \"e1-0\"\nprotocol = \"isup\"\ntransport = \"frames\"\npath = \"unix:/tmp/e1.sock\"\nopc = 1\ndpc = 2\ncics = \"1-15,17-31\"\n";
    std::fs::write(&path, good).unwrap();
    let out = sipt_mgc(&["check-config", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("30 CICs"));

    std::fs::write(&path, good.replace("dpc = 2", "dpc = 16384")).unwrap();
    let out = sipt_mgc(&["check-config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("gw.toml:7: link[0].dpc: 16384 is outside 0..=16383"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
