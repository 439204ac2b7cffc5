//! Digest authentication (src/sip/auth): published vectors, vectors from an independent
//! implementation (Python's hashlib), and our client against our server for every algorithm.

use proptest::prelude::*;
use sipt_mgc::sip::auth::{
    ha1, parse_challenges, parse_credentials, Algorithm, AlgorithmPolicy, AuthAttempt, Challenge,
    ClientError, Credential, Credentials, DigestClient, DigestServer, HashFunction, Qop, Rejection,
    RequestParts, Secret, ServerConfig, Verdict,
};
use sipt_mgc::time::Instant;
use std::process::Command;
use std::time::Duration;

fn fixed_cnonce(c: &'static str) -> Box<dyn sipt_mgc::sip::auth::CnonceSource> {
    Box::new(move || c.to_owned())
}

fn param(value: &str, name: &str) -> Option<String> {
    let Ok(Credentials::Digest(d)) = parse_credentials(value) else {
        return None;
    };
    Some(match name {
        "response" => d.response,
        "algorithm" => d.algorithm?,
        "qop" => d.qop?,
        "cnonce" => d.cnonce?,
        "opaque" => d.opaque?,
        "uri" => d.uri,
        "nc" => format!("{:08x}", d.nc?),
        _ => return None,
    })
}

// RFC 7616 3.9.1: the challenge (one per algorithm) and the two answers, response values as
// printed in the RFC (also in RFC 7616 errata 4495's context and MDN's copy).
const RFC7616_NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
const RFC7616_OPAQUE: &str = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
const RFC7616_CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

#[test]
fn rfc7616_3_9_1_md5_and_sha256() {
    for (alg, expected) in [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        (
            "SHA-256",
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        ),
    ] {
        let challenge = format!(
            "Digest\r\n    realm=\"http-auth@example.org\",\r\n    qop=\"auth, auth-int\",\r\n    algorithm={alg},\r\n    nonce=\"{RFC7616_NONCE}\",\r\n    opaque=\"{RFC7616_OPAQUE}\""
        );
        let mut client =
            DigestClient::new(vec![Credential::password("Mufasa", None, "Circle of Life")])
                .with_cnonce_source(fixed_cnonce(RFC7616_CNONCE));
        let req = RequestParts {
            method: "GET",
            uri: "/dir/index.html",
            body: b"",
        };
        let fields = client
            .respond(401, [challenge.as_str()], &req, &mut AuthAttempt::new())
            .unwrap();
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].name, "Authorization");
        let v = &fields[0].value;
        assert_eq!(
            param(v, "response").as_deref(),
            Some(expected),
            "{alg}: {v}"
        );
        assert_eq!(param(v, "algorithm").as_deref(), Some(alg));
        assert_eq!(param(v, "qop").as_deref(), Some("auth"));
        assert_eq!(param(v, "nc").as_deref(), Some("00000001"));
        assert_eq!(param(v, "opaque").as_deref(), Some(RFC7616_OPAQUE));
        // quoting as in the RFC: algorithm, qop, nc bare
        assert!(v.contains(&format!(", algorithm={alg},")), "{v}");
        assert!(v.contains(", qop=auth, nc=00000001"), "{v}");
        assert!(v.starts_with("Digest username=\"Mufasa\", realm=\"http-auth@example.org\""));
    }
}

#[test]
fn rfc2617_3_5() {
    let challenge = "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
    let mut client = DigestClient::new(vec![Credential::password(
        "Mufasa",
        Some("testrealm@host.com"),
        "Circle Of Life",
    )])
    .with_cnonce_source(fixed_cnonce("0a4f113b"));
    let req = RequestParts {
        method: "GET",
        uri: "/dir/index.html",
        body: b"",
    };
    let f = client
        .respond(401, [challenge], &req, &mut AuthAttempt::new())
        .unwrap();
    // RFC 2617 3.5 prints exactly these parameters; no algorithm in the challenge, none echoed
    assert_eq!(
        f[0].value,
        "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", response=\"6629fae49393a05397450978507c4ef1\", cnonce=\"0a4f113b\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", qop=auth, nc=00000001"
    );
}

/// SIP vectors of draft-smith-sipping-auth-examples-01 (bob / zanzibar / biloxi.com), as
/// FreeRADIUS's digest tests carry them (src/tests/digest-01/digest-auth-MD5, digest-md5-sess).
#[test]
fn sip_auth_examples_md5_and_md5_sess() {
    for (alg, expected) in [
        (None, "89eb0059246c02b2f6ee02c7961d5ea3"),
        (Some("MD5"), "89eb0059246c02b2f6ee02c7961d5ea3"),
        (Some("MD5-sess"), "e4e4ea61d186d07a92c9e1f6919902e9"),
    ] {
        let challenge = match alg {
            Some(a) => format!("Digest realm=\"biloxi.com\", qop=\"auth\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", algorithm={a}"),
            None => "Digest realm=\"biloxi.com\", qop=\"auth\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"".to_owned(),
        };
        let mut client = DigestClient::new(vec![Credential::password("bob", None, "zanzibar")])
            .with_cnonce_source(fixed_cnonce("0a4f113b"));
        let req = RequestParts {
            method: "INVITE",
            uri: "sip:bob@biloxi.com",
            body: b"",
        };
        let f = client
            .respond(407, [challenge.as_str()], &req, &mut AuthAttempt::new())
            .unwrap();
        assert_eq!(f[0].name, "Proxy-Authorization");
        assert_eq!(
            param(&f[0].value, "response").as_deref(),
            Some(expected),
            "{alg:?}"
        );
    }
}

/// The same request digest computed by Python's hashlib (an independent implementation of
/// MD5, SHA-256 and SHA-512/256, with the RFC 7616 3.4 formulas written out in the script).
/// `args`: algorithm, username, realm, password, nonce, nc, cnonce, qop, method, uri.
fn python_digest(args: [&str; 10], body: &[u8]) -> String {
    const SCRIPT: &str = r#"
import hashlib, sys
alg, user, realm, pw, nonce, nc, cnonce, qop, method, uri, body = sys.argv[1:]
name = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}[alg.replace("-sess", "")]
def H(b):
    return hashlib.new(name, b if isinstance(b, bytes) else b.encode()).hexdigest()
ha1 = H(f"{user}:{realm}:{pw}")
if alg.endswith("-sess"):
    ha1 = H(f"{ha1}:{nonce}:{cnonce}")
ha2 = H(f"{method}:{uri}") if qop == "auth" else H(f"{method}:{uri}:{H(bytes.fromhex(body))}")
print(H(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}"))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .args(args)
        .arg(hex::encode(body))
        .output()
        .expect("python3 is needed for the independent digest vectors (Debian: python3)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn every_algorithm_and_qop_matches_python_hashlib() {
    // A binary SIP-T body (ISUP IAM octets with a 0x00 and 0xff) for auth-int.
    let body: &[u8] = b"--unique-boundary-1\r\nContent-Type: application/ISUP; version=itu-t92+\r\n\r\n\x01\x00\x49\x00\x00\x03\x02\x00\x07\x04\x10\x00\x33\x63\x21\x43\x00\xff\r\n--unique-boundary-1--\r\n";
    for alg in Algorithm::ALL {
        for qop in [Qop::Auth, Qop::AuthInt] {
            let challenge = format!(
                "Digest realm=\"gw.example.net\", nonce=\"0123abcd/+=\", algorithm={}, qop=\"{}\"",
                alg.name(),
                qop.name()
            );
            let mut client = DigestClient::new(vec![Credential::password(
                "Jäsøn Doe",
                None,
                "Secret, or not?",
            )])
            .with_cnonce_source(fixed_cnonce("NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v"));
            let req = RequestParts {
                method: "INVITE",
                uri: "sip:+493012345@gw.example.net;user=phone",
                body,
            };
            let f = client
                .respond(401, [challenge.as_str()], &req, &mut AuthAttempt::new())
                .unwrap();
            let ours = param(&f[0].value, "response").unwrap();
            let theirs = python_digest(
                [
                    alg.name(),
                    "Jäsøn Doe",
                    "gw.example.net",
                    "Secret, or not?",
                    "0123abcd/+=",
                    "00000001",
                    "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
                    qop.name(),
                    "INVITE",
                    "sip:+493012345@gw.example.net;user=phone",
                ],
                body,
            );
            assert_eq!(ours, theirs, "{alg} {qop}");
            assert_eq!(ours.len(), alg.hash().hex_len());
        }
    }
}

fn store(user: &str, realm: &str, hash: HashFunction) -> Option<String> {
    (user == "gw1").then(|| ha1(hash, user, realm, "s3cret"))
}

fn server(algs: Vec<Algorithm>, qop: Vec<Qop>) -> DigestServer {
    let mut cfg = ServerConfig::new("sipt.example.net");
    cfg.algorithms = algs;
    cfg.qop = qop;
    DigestServer::with_secret(cfg, [7; 32])
}

const T0: Instant = Instant::from_millis(1_000_000);

fn invite() -> RequestParts<'static> {
    RequestParts {
        method: "INVITE",
        uri: "sip:+4930123@sipt.example.net",
        body: b"v=0\r\n",
    }
}

#[test]
fn client_server_round_trip_every_algorithm_and_qop() {
    for alg in Algorithm::ALL {
        for qop in [Qop::Auth, Qop::AuthInt] {
            let mut srv = server(vec![alg], vec![qop]);
            let mut cl = DigestClient::new(vec![Credential::password("gw1", None, "s3cret")]);
            let ch = srv.challenge_values(T0, false);
            assert_eq!(ch.len(), 1);
            let f = cl
                .respond(
                    401,
                    ch.iter().map(String::as_str),
                    &invite(),
                    &mut AuthAttempt::new(),
                )
                .unwrap();
            assert_eq!(
                srv.verify(T0, &f[0].value, &invite(), &store),
                Verdict::Authenticated {
                    username: "gw1".into()
                },
                "{alg} {qop}: {}",
                f[0].value
            );
            // the next request reuses the nonce with nc=2 (RFC 7616 3.4)
            let f2 = cl.authorize(&invite());
            assert!(f2[0].value.contains("nc=00000002"));
            assert!(matches!(
                srv.verify(T0, &f2[0].value, &invite(), &store),
                Verdict::Authenticated { .. }
            ));
            // auth-int covers the body: another body fails
            if qop == Qop::AuthInt {
                let f3 = cl.authorize(&invite());
                let other = RequestParts {
                    body: b"v=1\r\n",
                    ..invite()
                };
                assert_eq!(
                    srv.verify(T0, &f3[0].value, &other, &store),
                    Verdict::BadCredentials(Rejection::WrongResponse)
                );
            }
        }
    }
}

#[test]
fn precomputed_ha1_credentials() {
    let mut srv = server(vec![Algorithm::Sha256], vec![Qop::Auth]);
    let mut cl = DigestClient::new(vec![Credential {
        username: "gw1".into(),
        realm: Some("sipt.example.net".into()),
        secret: Secret::Ha1 {
            hash: HashFunction::Sha256,
            ha1: ha1(HashFunction::Sha256, "gw1", "sipt.example.net", "s3cret"),
        },
    }]);
    let ch = srv.challenge_values(T0, false);
    let f = cl
        .respond(
            401,
            ch.iter().map(String::as_str),
            &invite(),
            &mut AuthAttempt::new(),
        )
        .unwrap();
    assert!(matches!(
        srv.verify(T0, &f[0].value, &invite(), &store),
        Verdict::Authenticated { .. }
    ));
    // an MD5-only challenge cannot be answered with a SHA-256 HA1
    let mut md5 = server(vec![Algorithm::Md5], vec![Qop::Auth]);
    let ch = md5.challenge_values(T0, false);
    assert_eq!(
        cl.respond(
            401,
            ch.iter().map(String::as_str),
            &invite(),
            &mut AuthAttempt::new()
        ),
        Err(ClientError::Unsupported {
            realm: "sipt.example.net".into()
        })
    );
    let _ = &mut md5;
}

#[test]
fn stale_nonce_is_retried_once_without_new_credentials() {
    let mut srv = server(vec![Algorithm::Sha256], vec![Qop::Auth]);
    let mut cl = DigestClient::new(vec![Credential::password("gw1", None, "s3cret")]);
    let mut attempt = AuthAttempt::new();
    let ch = srv.challenge_values(T0, false);
    let f = cl
        .respond(401, ch.iter().map(String::as_str), &invite(), &mut attempt)
        .unwrap();
    // 301 s later the nonce (lifetime 300 s) has expired: right digest -> Stale
    let later = T0 + Duration::from_secs(301);
    assert_eq!(
        srv.verify(later, &f[0].value, &invite(), &store),
        Verdict::Stale
    );
    let ch = srv.challenge_values(later, true);
    assert!(ch[0].contains("stale=TRUE"));
    let f = cl
        .respond(401, ch.iter().map(String::as_str), &invite(), &mut attempt)
        .unwrap();
    assert!(matches!(
        srv.verify(later, &f[0].value, &invite(), &store),
        Verdict::Authenticated { .. }
    ));
    // the same stale challenge again is not a reason to loop
    assert!(matches!(
        cl.respond(401, ch.iter().map(String::as_str), &invite(), &mut attempt),
        Err(ClientError::Rejected { .. })
    ));
}

#[test]
fn wrong_password_stops_after_one_retry() {
    let mut srv = server(vec![Algorithm::Md5], vec![Qop::Auth]);
    let mut cl = DigestClient::new(vec![Credential::password("gw1", None, "wrong")]);
    let mut attempt = AuthAttempt::new();
    let ch = srv.challenge_values(T0, false);
    let f = cl
        .respond(401, ch.iter().map(String::as_str), &invite(), &mut attempt)
        .unwrap();
    assert_eq!(
        srv.verify(T0, &f[0].value, &invite(), &store),
        Verdict::BadCredentials(Rejection::WrongResponse)
    );
    // the same nonce, stale=false: wrong password
    assert_eq!(
        cl.respond(401, ch.iter().map(String::as_str), &invite(), &mut attempt),
        Err(ClientError::Rejected {
            realm: "sipt.example.net".into()
        })
    );
    // a fresh nonce without stale=TRUE in the same request chain: still refused (RFC 3261 22.2)
    let ch2 = srv.challenge_values(T0, false);
    assert!(matches!(
        cl.respond(401, ch2.iter().map(String::as_str), &invite(), &mut attempt),
        Err(ClientError::Rejected { .. })
    ));
    // unknown user
    let mut other = DigestClient::new(vec![Credential::password("nobody", None, "x")]);
    let f = other
        .respond(
            401,
            ch2.iter().map(String::as_str),
            &invite(),
            &mut AuthAttempt::new(),
        )
        .unwrap();
    assert_eq!(
        srv.verify(T0, &f[0].value, &invite(), &store),
        Verdict::BadCredentials(Rejection::UnknownUser)
    );
}

#[test]
fn replayed_nonce_count_is_refused_out_of_order_accepted() {
    let mut srv = server(vec![Algorithm::Sha512_256], vec![Qop::Auth]);
    let mut cl = DigestClient::new(vec![Credential::password("gw1", None, "s3cret")]);
    let ch = srv.challenge_values(T0, false);
    let f1 = cl
        .respond(
            401,
            ch.iter().map(String::as_str),
            &invite(),
            &mut AuthAttempt::new(),
        )
        .unwrap();
    let f2 = cl.authorize(&invite());
    let f3 = cl.authorize(&invite());
    let ok = |v: Verdict| matches!(v, Verdict::Authenticated { .. });
    assert!(ok(srv.verify(T0, &f3[0].value, &invite(), &store)));
    assert!(ok(srv.verify(T0, &f1[0].value, &invite(), &store)));
    assert_eq!(
        srv.verify(T0, &f1[0].value, &invite(), &store),
        Verdict::BadCredentials(Rejection::Replay)
    );
    assert!(ok(srv.verify(T0, &f2[0].value, &invite(), &store)));
    assert_eq!(
        srv.verify(T0, &f3[0].value, &invite(), &store),
        Verdict::BadCredentials(Rejection::Replay)
    );
}

#[test]
fn tampered_and_foreign_nonces_are_refused() {
    let mut srv = server(vec![Algorithm::Sha256], vec![Qop::Auth]);
    let ch = srv.challenges(T0, false);
    let mut nonce = ch[0].nonce.clone();
    // flip the timestamp's last hex digit (to make an expired nonce look fresh, say)
    let flipped = if nonce.as_bytes()[15] == b'0' {
        "1"
    } else {
        "0"
    };
    nonce.replace_range(15..16, flipped);
    let tampered = ch[0].to_string().replace(&ch[0].nonce, &nonce);
    let mut cl = DigestClient::new(vec![Credential::password("gw1", None, "s3cret")]);
    let f = cl
        .respond(401, [tampered.as_str()], &invite(), &mut AuthAttempt::new())
        .unwrap();
    assert_eq!(
        srv.verify(T0, &f[0].value, &invite(), &store),
        Verdict::BadCredentials(Rejection::ForgedNonce)
    );
    // a nonce from a server with another secret
    let other = DigestServer::with_secret(srv.config().clone(), [8; 32]);
    let ch = other.challenge_values(T0, false);
    let f = cl
        .respond(
            401,
            ch.iter().map(String::as_str),
            &invite(),
            &mut AuthAttempt::new(),
        )
        .unwrap();
    assert_eq!(
        srv.verify(T0, &f[0].value, &invite(), &store),
        Verdict::BadCredentials(Rejection::ForgedNonce)
    );
}

#[test]
fn malformed_and_mismatched_credentials() {
    let mut srv = server(vec![Algorithm::Sha256], vec![Qop::Auth]);
    let mut cl = DigestClient::new(vec![Credential::password("gw1", None, "s3cret")]);
    let ch = srv.challenge_values(T0, false);
    let f = cl
        .respond(
            401,
            ch.iter().map(String::as_str),
            &invite(),
            &mut AuthAttempt::new(),
        )
        .unwrap();
    let other_uri = RequestParts {
        uri: "sip:other@sipt.example.net",
        ..invite()
    };
    assert!(matches!(
        srv.verify(T0, &f[0].value, &other_uri, &store),
        Verdict::Malformed(sipt_mgc::sip::auth::Malformed::UriMismatch)
    ));
    assert!(matches!(
        srv.verify(T0, "Digest username=\"gw1\"", &invite(), &store),
        Verdict::Malformed(sipt_mgc::sip::auth::Malformed::Parse(_))
    ));
    assert!(matches!(
        srv.verify(T0, "Basic Z3cxOnMzY3JldA==", &invite(), &store),
        Verdict::Malformed(sipt_mgc::sip::auth::Malformed::NotDigest)
    ));
    // MD5 answer to a server offering only SHA-256
    let md5 = f[0].value.replace("algorithm=SHA-256", "algorithm=MD5");
    assert!(matches!(
        srv.verify(T0, &md5, &invite(), &store),
        Verdict::Malformed(sipt_mgc::sip::auth::Malformed::AlgorithmNotOffered)
    ));
    // several fields: the one for our realm counts
    let foreign = "Digest username=\"x\", realm=\"elsewhere\", nonce=\"n\", uri=\"sip:+4930123@sipt.example.net\", response=\"00\"";
    assert!(matches!(
        srv.verify_fields(T0, [foreign, f[0].value.as_str()], &invite(), &store),
        Verdict::Authenticated { .. }
    ));
    assert_eq!(
        srv.verify_fields(T0, [foreign], &invite(), &store),
        Verdict::NoCredentials
    );
}

#[test]
fn algorithm_choice_among_several_challenges() {
    let challenges = |algs: &[&str]| -> Vec<String> {
        algs.iter()
            .map(|a| format!("Digest realm=\"r\", nonce=\"n-{a}\", algorithm={a}, qop=\"auth\""))
            .collect()
    };
    let pick = |policy, values: &[String]| {
        let mut cl =
            DigestClient::new(vec![Credential::password("u", None, "p")]).with_policy(policy);
        let f = cl
            .respond(
                401,
                values.iter().map(String::as_str),
                &invite(),
                &mut AuthAttempt::new(),
            )
            .unwrap();
        assert_eq!(f.len(), 1);
        param(&f[0].value, "algorithm").unwrap()
    };
    // RFC 8760 2.3 server order, preferred first; 2.4: the topmost supported; unknown ignored
    let v = challenges(&["SHA-999", "SHA-512-256", "SHA-256", "MD5"]);
    assert_eq!(pick(AlgorithmPolicy::ServerOrder, &v), "SHA-512-256");
    let v = challenges(&["MD5", "SHA-256"]);
    assert_eq!(pick(AlgorithmPolicy::ServerOrder, &v), "MD5");
    assert_eq!(pick(AlgorithmPolicy::Strongest, &v), "SHA-256");
    let v = challenges(&["MD5", "SHA-512-256-sess", "SHA-256"]);
    assert_eq!(pick(AlgorithmPolicy::Strongest, &v), "SHA-512-256-sess");
    // all in one field value (RFC 7235 2.1)
    let joined = vec![challenges(&["MD5", "SHA-256"]).join(", ")];
    assert_eq!(pick(AlgorithmPolicy::Strongest, &joined), "SHA-256");
    // our server lists SHA-512-256, SHA-256, MD5 (RFC 8760 2.3)
    let srv = DigestServer::new(ServerConfig::new("r"));
    let names: Vec<String> = srv
        .challenges(T0, false)
        .into_iter()
        .map(|c| c.algorithm.unwrap())
        .collect();
    assert_eq!(names, ["SHA-512-256", "SHA-256", "MD5"]);
}

#[test]
fn proxy_then_uas_challenge_carries_both_fields() {
    let mut proxy = DigestServer::with_secret(ServerConfig::new("proxy.example.net"), [1; 32]);
    let mut uas = server(vec![Algorithm::Sha256], vec![Qop::Auth]);
    let pstore = |u: &str, r: &str, h: HashFunction| (u == "gw1").then(|| ha1(h, u, r, "p"));
    let mut cl = DigestClient::new(vec![
        Credential::password("gw1", Some("proxy.example.net"), "p"),
        Credential::password("gw1", Some("sipt.example.net"), "s3cret"),
    ]);
    let mut attempt = AuthAttempt::new();
    let f = cl
        .respond(
            407,
            proxy.challenge_values(T0, false).iter().map(String::as_str),
            &invite(),
            &mut attempt,
        )
        .unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].name, "Proxy-Authorization");
    let f = cl
        .respond(
            401,
            uas.challenge_values(T0, false).iter().map(String::as_str),
            &invite(),
            &mut attempt,
        )
        .unwrap();
    let names: Vec<&str> = f.iter().map(|x| x.name).collect();
    assert_eq!(names, ["Proxy-Authorization", "Authorization"]);
    assert!(matches!(
        proxy.verify(T0, &f[0].value, &invite(), &pstore),
        Verdict::Authenticated { .. }
    ));
    assert!(matches!(
        uas.verify(T0, &f[1].value, &invite(), &store),
        Verdict::Authenticated { .. }
    ));
    // no credentials for a third realm
    let ch = "Digest realm=\"third\", nonce=\"x\", qop=\"auth\"";
    let mut only = DigestClient::new(vec![Credential::password(
        "gw1",
        Some("proxy.example.net"),
        "p",
    )]);
    assert_eq!(
        only.respond(401, [ch], &invite(), &mut AuthAttempt::new()),
        Err(ClientError::NoCredentials {
            realm: "third".into()
        })
    );
    assert_eq!(
        only.respond(403, [ch], &invite(), &mut AuthAttempt::new()),
        Err(ClientError::NotAChallenge(403))
    );
}

#[test]
fn replay_memory_is_bounded_and_forgotten_nonces_go_stale() {
    let mut cfg = ServerConfig::new("sipt.example.net");
    cfg.max_tracked_nonces = 4;
    let mut srv = DigestServer::with_secret(cfg, [3; 32]);
    let mut answers = Vec::new();
    for i in 0..10u64 {
        let now = T0 + Duration::from_millis(i);
        let mut cl = DigestClient::new(vec![Credential::password("gw1", None, "s3cret")]);
        let ch = srv.challenge_values(now, false);
        let f = cl
            .respond(
                401,
                ch.iter().map(String::as_str),
                &invite(),
                &mut AuthAttempt::new(),
            )
            .unwrap();
        assert!(matches!(
            srv.verify(now, &f[0].value, &invite(), &store),
            Verdict::Authenticated { .. }
        ));
        answers.push((cl, f));
        assert!(srv.tracked_nonces() <= 4);
    }
    // the first nonce's counts were forgotten: its replay is not accepted but made stale
    let now = T0 + Duration::from_millis(20);
    assert_eq!(
        srv.verify(now, &answers[0].1[0].value, &invite(), &store),
        Verdict::Stale
    );
    let next = answers[0].0.authorize(&invite());
    assert_eq!(
        srv.verify(now, &next[0].value, &invite(), &store),
        Verdict::Stale
    );
    // the latest is still tracked
    assert_eq!(
        srv.verify(now, &answers[9].1[0].value, &invite(), &store),
        Verdict::BadCredentials(Rejection::Replay)
    );
}

#[test]
fn challenge_grammar_several_fields_unknown_params() {
    let fields = [
        "Digest realm=\"a\", nonce=\"1\", algorithm=MD5, x-foo=bar, Basic realm=\"b\"",
        "Digest realm=\"a\\\\b\", nonce=\"2\", qop=\"auth-int\", stale=true, charset=UTF-8",
    ];
    let cs = sipt_mgc::sip::auth::parse_challenge_fields(fields).unwrap();
    assert_eq!(cs.len(), 3);
    let Challenge::Digest(d) = &cs[2] else {
        panic!()
    };
    assert_eq!(d.realm, "a\\b");
    assert!(d.stale);
    assert_eq!(
        d.to_string(),
        "Digest realm=\"a\\\\b\", nonce=\"2\", qop=\"auth-int\", stale=TRUE, charset=UTF-8"
    );
    assert_eq!(parse_challenges(&d.to_string()).unwrap()[0], cs[2]);
    let Challenge::Digest(d) = &cs[0] else {
        panic!()
    };
    assert_eq!(
        d.to_string(),
        "Digest realm=\"a\", nonce=\"1\", algorithm=MD5, x-foo=bar"
    );
}

/// Values as deployed peers send them (Oracle USM's documented challenge: `stale=FALSE`,
/// `opaque=""`; Kamailio's: no qop, no algorithm), answered and re-parsed.
#[test]
fn deployed_peer_challenges() {
    let oracle = "Digest realm=\"atlanta.com\", domain=\"sip:boxesbybob.com\", qop=\"auth\", nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", opaque=\"\", stale=FALSE, algorithm=MD5";
    let Challenge::Digest(d) = &parse_challenges(oracle).unwrap()[0] else {
        panic!()
    };
    assert!(!d.stale);
    assert_eq!(d.opaque.as_deref(), Some(""));
    assert_eq!(d.domain.as_deref(), Some("sip:boxesbybob.com"));
    let mut cl = DigestClient::new(vec![Credential::password("alice", None, "x")]);
    let f = cl
        .respond(407, [oracle], &invite(), &mut AuthAttempt::new())
        .unwrap();
    assert!(f[0].value.contains("opaque=\"\""));
    assert!(f[0].value.contains("algorithm=MD5"));
    let kamailio =
        "Digest realm=\"192.168.1.15\", nonce=\"462791f06aa9b37a34fd11b1adc58c5a9df7c95b\"";
    let f = cl
        .respond(401, [kamailio], &invite(), &mut AuthAttempt::new())
        .unwrap();
    // the proxy's credentials come along (nc=2 for its nonce), then the new realm's
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].name, "Proxy-Authorization");
    assert!(f[0].value.contains("nc=00000002"));
    assert_eq!(f[1].name, "Authorization");
    // RFC 2069 form: no qop, so no cnonce or nc; no algorithm echoed
    let Credentials::Digest(d) = parse_credentials(&f[1].value).unwrap() else {
        panic!()
    };
    assert_eq!(
        (d.qop, d.cnonce, d.nc, d.algorithm),
        (None, None, None, None)
    );
    let expected = {
        let h1 = ha1(HashFunction::Md5, "alice", "192.168.1.15", "x");
        let h2 = HashFunction::Md5.hex(&[b"INVITE:sip:+4930123@sipt.example.net"]);
        HashFunction::Md5.hex(&[
            h1.as_bytes(),
            b":462791f06aa9b37a34fd11b1adc58c5a9df7c95b:",
            h2.as_bytes(),
        ])
    };
    assert_eq!(d.response, expected);
}

proptest! {
    #[test]
    fn arbitrary_values_never_panic(s in "\\PC{0,200}", bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let lossy = String::from_utf8_lossy(&bytes).into_owned();
        for v in [s.as_str(), lossy.as_str()] {
            let _ = parse_challenges(v);
            let _ = parse_credentials(v);
            let mut srv = server(vec![Algorithm::Md5], vec![Qop::Auth]);
            let _ = srv.verify(T0, v, &invite(), &store);
            let mut cl = DigestClient::new(vec![Credential::password("u", None, "p")]);
            let _ = cl.respond(401, [v], &invite(), &mut AuthAttempt::new());
        }
    }

    #[test]
    fn digest_like_values_never_panic(
        realm in "[ -~]{0,20}", nonce in "[ -~]{0,40}", alg in "(MD5|SHA-256|SHA-512-256-sess|x)",
        qop in "(auth|auth-int|auth,auth-int|)", nc in "[0-9a-fA-F]{0,9}", extra in "[ -~]{0,20}",
    ) {
        let v = format!("Digest realm=\"{realm}\", nonce=\"{nonce}\", algorithm={alg}, qop=\"{qop}\", {extra}");
        let _ = parse_challenges(&v);
        let mut cl = DigestClient::new(vec![Credential::password("u", None, "p")]);
        if let Ok(f) = cl.respond(401, [v.as_str()], &invite(), &mut AuthAttempt::new()) {
            for x in f {
                let c = parse_credentials(&x.value);
                prop_assert!(c.is_ok(), "{}", x.value);
            }
        }
        let cred = format!("Digest username=\"u\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"sip:x\", response=\"ab\", nc={nc}, qop={qop}, {extra}");
        let mut srv = server(vec![Algorithm::Md5], vec![Qop::Auth]);
        let _ = srv.verify(T0, &cred, &invite(), &store);
    }
}
