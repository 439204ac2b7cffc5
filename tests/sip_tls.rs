//! A call over TLS (RFC 3261 26.2: `transport=tls` / SIPS) between two of our UAs on
//! loopback sockets: rustls with a self-signed certificate for 127.0.0.1 that the caller
//! trusts. INVITE, 200, ACK and BYE all go over the one TLS connection the caller opened
//! (RFC 3261 18.2.2, RFC 5923 reuse).

use std::path::PathBuf;
use std::time::Duration;

use sipt_mgc::shell::Clock;
use sipt_mgc::sip::message::{NameAddr, Uri};
use sipt_mgc::sip::shell::UaShell;
use sipt_mgc::sip::transport::{Target, TlsConfig, TransportConfig, TransportKind};
use sipt_mgc::sip::ua::{UaConfig, UaEvent};

fn self_signed() -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("sipt-tls-ua-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("a certificate");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).expect("writing");
    std::fs::write(&key, ck.signing_key.serialize_pem()).expect("writing");
    (cert, key)
}

#[tokio::test]
async fn a_call_over_tls() {
    let (cert, key) = self_signed();
    let kind = TransportKind::Tls;
    let mut server = TransportConfig::from_listen(&["tls:127.0.0.1:0"]).expect("listen");
    server.tls = TlsConfig {
        certificate_chain: Some(cert.clone()),
        private_key: Some(key.clone()),
        ..TlsConfig::default()
    };
    let mut callee = UaShell::bind_config(
        Clock::new(),
        server,
        UaConfig::new("127.0.0.1", 0, kind),
        21,
    )
    .await
    .expect("callee");
    let mut client = TransportConfig::from_listen(&["tls:127.0.0.1:0"]).expect("listen");
    client.tls = TlsConfig {
        certificate_chain: Some(cert.clone()),
        private_key: Some(key),
        ca_file: Some(cert),
        ..TlsConfig::default()
    };
    let mut caller = UaShell::bind_config(
        Clock::new(),
        client,
        UaConfig::new("127.0.0.1", 0, kind),
        22,
    )
    .await
    .expect("caller");
    let addr = callee.local_addr(kind).expect("an address");
    let now = caller.now();
    let call = caller
        .ua()
        .invite(
            now,
            NameAddr::new(Uri::parse("sips:alice@127.0.0.1").expect("uri")),
            Uri::parse(&format!("sips:bob@{addr}")).expect("uri"),
            Target::new(kind, addr),
            None,
        )
        .expect("invite");
    let mut log = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut done = false;
    while !done && tokio::time::Instant::now() < deadline {
        tokio::select! {
            e = callee.step(None) => {
                if let Some(UaEvent::Incoming { call, invite }) = e {
                    assert_eq!(invite.request_uri().expect("uri").scheme.as_str(), "sips");
                    // RFC 3261 8.1.1.8: a SIPS Request-URI comes with a SIPS Contact.
                    assert!(invite.get("Contact").is_some_and(|c| c.starts_with("<sips:")));
                    log.push("incoming");
                    let now = callee.now();
                    callee.ua().respond(now, call, 200, "OK", None).expect("200");
                } else if let Some(UaEvent::Ended { call, .. }) = e {
                    log.push("callee ended");
                    callee.ua().forget(call);
                } else if let Some(UaEvent::Confirmed { .. }) = e {
                    log.push("confirmed");
                }
            }
            e = caller.step(None) => {
                match e {
                    Some(UaEvent::Answered { .. }) => {
                        log.push("answered");
                        let now = caller.now();
                        caller.ua().hangup(now, call).expect("bye");
                    }
                    Some(UaEvent::Ended { .. }) => {
                        log.push("caller ended");
                        done = true;
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(done, "{log:?}");
    for want in [
        "incoming",
        "answered",
        "confirmed",
        "callee ended",
        "caller ended",
    ] {
        assert!(log.contains(&want), "{want} missing: {log:?}");
    }
    // One connection, opened by the caller: everything went over it.
    assert_eq!(caller.transport().stats().connections_opened, 1);
    assert_eq!(caller.send_errors + callee.send_errors, 0);
}
