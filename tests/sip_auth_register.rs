//! The registration client (src/sip/auth/register.rs) against a registrar written here with
//! our DigestServer, in simulated time: every scenario runs in microseconds.

use sipt_mgc::sip::auth::{
    ha1, Credential, DigestClient, DigestServer, HashFunction, RegisterRequest, RegisterResponse,
    Registration, RegistrationConfig, RegistrationEvent, RegistrationState, RequestParts,
    ServerConfig, Verdict,
};
use sipt_mgc::time::Instant;
use std::time::Duration;

const T0: Instant = Instant::from_millis(10_000);

fn config(expires: u32) -> RegistrationConfig {
    let mut c = RegistrationConfig::new(
        "sip:registrar.example.net",
        "sip:+4930100@registrar.example.net",
        "sip:gw@192.0.2.10:5060",
        "reg-1@192.0.2.10",
        "t1",
    );
    c.expires = expires;
    c
}

fn registration(expires: u32) -> Registration {
    Registration::new(
        config(expires),
        DigestClient::new(vec![Credential::password("gw", None, "pw")]),
    )
    .with_jitter(Box::new(|| 1.0))
}

fn events(r: &mut Registration) -> Vec<RegistrationEvent> {
    std::iter::from_fn(|| r.poll_event()).collect()
}

fn one_request(r: &mut Registration) -> RegisterRequest {
    let q = r.poll_transmit().expect("a REGISTER");
    assert!(r.poll_transmit().is_none(), "only one REGISTER at a time");
    q
}

fn ok(r: &mut Registration, now: Instant, headers: &[(&str, &str)]) {
    r.handle_response(
        now,
        &RegisterResponse {
            status: 200,
            headers,
        },
    );
}

#[test]
fn register_refresh_timing_and_request_shape() {
    let mut r = registration(3600);
    r.register(T0);
    let q = one_request(&mut r);
    assert_eq!(q.method, "REGISTER");
    assert_eq!(q.uri, "sip:registrar.example.net");
    assert_eq!(q.header("To"), Some("<sip:+4930100@registrar.example.net>"));
    assert_eq!(
        q.header("From"),
        Some("<sip:+4930100@registrar.example.net>;tag=t1")
    );
    assert_eq!(q.header("CSeq"), Some("1 REGISTER"));
    assert_eq!(q.header("Call-ID"), Some("reg-1@192.0.2.10"));
    assert_eq!(
        q.header("Contact"),
        Some("<sip:gw@192.0.2.10:5060>;expires=3600")
    );
    assert_eq!(q.header("Expires"), Some("3600"));
    assert_eq!(r.state(), RegistrationState::Registering);
    assert_eq!(
        r.poll_timeout(),
        None,
        "no timer while the transaction runs"
    );

    // The registrar grants 1800 s in our Contact (RFC 3261 10.2.4), listing another binding too.
    ok(
        &mut r,
        T0,
        &[
            (
                "Contact",
                "<sip:other@198.51.100.1>;expires=100, <sip:gw@192.0.2.10:5060>;expires=1800",
            ),
            ("Expires", "999"),
        ],
    );
    assert_eq!(
        events(&mut r),
        [RegistrationEvent::Registered { expires: 1800 }]
    );
    // refresh at expires - 32 s (Timer F)
    let refresh = T0 + Duration::from_secs(1800 - 32);
    assert_eq!(r.poll_timeout(), Some(refresh));
    r.handle_timeout(T0 + Duration::from_secs(1800 - 33)); // early: no-op
    assert!(r.poll_transmit().is_none());
    r.handle_timeout(refresh);
    let q = one_request(&mut r);
    assert_eq!(q.header("CSeq"), Some("2 REGISTER"));
    assert_eq!(q.header("Call-ID"), Some("reg-1@192.0.2.10"));
    // the registrar answers with Expires only: short interval -> refresh at half
    ok(&mut r, refresh, &[("Expires", "60")]);
    assert_eq!(
        events(&mut r),
        [RegistrationEvent::Registered { expires: 60 }]
    );
    assert_eq!(r.poll_timeout(), Some(refresh + Duration::from_secs(30)));
    assert!(
        matches!(r.state(), RegistrationState::Registered { expires_at, .. } if expires_at == refresh + Duration::from_secs(60))
    );
}

/// A registrar built from DigestServer: 401 unless the credentials verify.
fn registrar_answer(
    srv: &mut DigestServer,
    now: Instant,
    q: &RegisterRequest,
) -> (u16, Vec<(String, String)>) {
    let store = |u: &str, realm: &str, h: HashFunction| (u == "gw").then(|| ha1(h, u, realm, "pw"));
    let auths: Vec<&str> = q
        .headers
        .iter()
        .filter(|(n, _)| n == "Authorization")
        .map(|(_, v)| v.as_str())
        .collect();
    let parts = RequestParts {
        method: q.method,
        uri: &q.uri,
        body: b"",
    };
    match srv.verify_fields(now, auths, &parts, &store) {
        Verdict::Authenticated { .. } => (
            200,
            vec![(
                "Contact".into(),
                format!(
                    "{};expires=600",
                    q.header("Contact")
                        .unwrap_or("")
                        .split(';')
                        .next()
                        .unwrap_or("")
                ),
            )],
        ),
        v => (
            401,
            srv.challenge_values(now, v == Verdict::Stale)
                .into_iter()
                .map(|c| ("WWW-Authenticate".into(), c))
                .collect(),
        ),
    }
}

fn answer(r: &mut Registration, now: Instant, status: u16, h: &[(String, String)]) {
    let hs: Vec<(&str, &str)> = h.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    r.handle_response(
        now,
        &RegisterResponse {
            status,
            headers: &hs,
        },
    );
}

#[test]
fn challenge_then_200_then_preemptive_refresh_then_stale() {
    let mut srv = DigestServer::new(ServerConfig::new("registrar.example.net"));
    let mut r = registration(600);
    r.register(T0);
    let q1 = one_request(&mut r);
    assert!(q1.header("Authorization").is_none());
    let (s, h) = registrar_answer(&mut srv, T0, &q1);
    assert_eq!(s, 401);
    answer(&mut r, T0, s, &h);
    let q2 = one_request(&mut r);
    assert_eq!(
        q2.header("CSeq"),
        Some("2 REGISTER"),
        "RFC 3261 22.2: new CSeq"
    );
    assert!(q2
        .header("Authorization")
        .unwrap()
        .contains("algorithm=SHA-512-256"));
    let (s, h) = registrar_answer(&mut srv, T0, &q2);
    assert_eq!(s, 200);
    answer(&mut r, T0, s, &h);
    assert_eq!(
        events(&mut r),
        [RegistrationEvent::Registered { expires: 600 }]
    );

    // refresh 568 s later: credentials sent straight away with nc=2, but the nonce (lifetime
    // 300 s) is stale -> 401 stale=TRUE -> one retry with the new nonce, no failure.
    let t = r.poll_timeout().unwrap();
    assert_eq!(t, T0 + Duration::from_secs(568));
    r.handle_timeout(t);
    let q3 = one_request(&mut r);
    assert!(q3.header("Authorization").unwrap().contains("nc=00000002"));
    let (s, h) = registrar_answer(&mut srv, t, &q3);
    assert_eq!(s, 401);
    assert!(h[0].1.contains("stale=TRUE"));
    answer(&mut r, t, s, &h);
    let q4 = one_request(&mut r);
    assert!(q4.header("Authorization").unwrap().contains("nc=00000001"));
    let (s, h) = registrar_answer(&mut srv, t, &q4);
    assert_eq!(s, 200);
    answer(&mut r, t, s, &h);
    assert_eq!(
        events(&mut r),
        [RegistrationEvent::Registered { expires: 600 }]
    );
    assert_eq!(q4.header("CSeq"), Some("4 REGISTER"));
}

#[test]
fn wrong_password_fails_with_backoff_not_a_loop() {
    let mut srv = DigestServer::new(ServerConfig::new("registrar.example.net"));
    let mut r = Registration::new(
        config(600),
        DigestClient::new(vec![Credential::password("gw", None, "WRONG")]),
    )
    .with_jitter(Box::new(|| 0.0));
    r.register(T0);
    let q = one_request(&mut r);
    let (s, h) = registrar_answer(&mut srv, T0, &q);
    answer(&mut r, T0, s, &h);
    let q = one_request(&mut r);
    let (s, h) = registrar_answer(&mut srv, T0, &q);
    assert_eq!(s, 401);
    answer(&mut r, T0, s, &h);
    assert!(r.poll_transmit().is_none(), "no third REGISTER");
    // RFC 5626 4.5: W = min(1800, 30 * 2^1) = 60 s, jitter 0 -> 50 % = 30 s
    assert_eq!(
        events(&mut r),
        [RegistrationEvent::Failed {
            status: 401,
            retry_in: Duration::from_secs(30)
        }]
    );
    assert_eq!(r.poll_timeout(), Some(T0 + Duration::from_secs(30)));
}

#[test]
fn interval_too_brief_423_retries_with_min_expires() {
    let mut r = registration(60);
    r.register(T0);
    let _ = one_request(&mut r);
    r.handle_response(
        T0,
        &RegisterResponse {
            status: 423,
            headers: &[("Min-Expires", "3600")],
        },
    );
    let q = one_request(&mut r);
    assert_eq!(q.header("Expires"), Some("3600"));
    assert_eq!(
        q.header("Contact"),
        Some("<sip:gw@192.0.2.10:5060>;expires=3600")
    );
    assert_eq!(q.header("CSeq"), Some("2 REGISTER"));
    assert_eq!(r.requested_expires(), 3600);
    ok(&mut r, T0, &[]);
    // no expires in the 200: what we asked for
    assert_eq!(
        events(&mut r),
        [RegistrationEvent::Registered { expires: 3600 }]
    );
    // a 423 whose Min-Expires is not above our request is a failure, not a loop
    let mut r = registration(3600);
    r.register(T0);
    let _ = one_request(&mut r);
    r.handle_response(
        T0,
        &RegisterResponse {
            status: 423,
            headers: &[("Min-Expires", "60")],
        },
    );
    assert!(r.poll_transmit().is_none());
    assert!(matches!(
        events(&mut r)[..],
        [RegistrationEvent::Failed { status: 423, .. }]
    ));
}

#[test]
fn failure_backoff_grows_to_max_and_resets_on_success() {
    let mut r = registration(600); // jitter 1.0: the full W
    r.register(T0);
    let mut now = T0;
    let mut waits = Vec::new();
    for status in [500u16, 404, 603, 408, 500, 500, 500, 500] {
        let _ = one_request(&mut r);
        if status == 408 {
            r.handle_transaction_timeout(now);
        } else {
            r.handle_response(
                now,
                &RegisterResponse {
                    status,
                    headers: &[],
                },
            );
        }
        let ev = events(&mut r);
        let [RegistrationEvent::Failed {
            status: s,
            retry_in,
        }] = ev[..]
        else {
            panic!("{ev:?}")
        };
        assert_eq!(s, status);
        waits.push(retry_in.as_secs());
        now = r.poll_timeout().unwrap();
        assert_eq!(r.state(), RegistrationState::BackingOff { retry_at: now });
        r.handle_timeout(now);
    }
    // RFC 5626 4.5 with base 30 s, max 1800 s
    assert_eq!(waits, [60, 120, 240, 480, 960, 1800, 1800, 1800]);
    let _ = one_request(&mut r);
    ok(&mut r, now, &[("Expires", "600")]);
    let _ = events(&mut r);
    let t = r.poll_timeout().unwrap();
    r.handle_timeout(t);
    let _ = one_request(&mut r);
    r.handle_response(
        t,
        &RegisterResponse {
            status: 500,
            headers: &[],
        },
    );
    assert!(matches!(
        events(&mut r)[..],
        [RegistrationEvent::Failed { retry_in, .. }] if retry_in == Duration::from_secs(60)
    ));
}

#[test]
fn retry_after_and_redirect() {
    let mut r = registration(600);
    r.register(T0);
    let _ = one_request(&mut r);
    r.handle_response(
        T0,
        &RegisterResponse {
            status: 503,
            headers: &[("Retry-After", "17 (maintenance)")],
        },
    );
    assert_eq!(r.poll_timeout(), Some(T0 + Duration::from_secs(17)));
    r.handle_timeout(T0 + Duration::from_secs(17));
    let _ = one_request(&mut r);
    // 302 to another registrar: recurse on the Contact (RFC 3261 8.1.3.4)
    r.handle_response(
        T0,
        &RegisterResponse {
            status: 302,
            headers: &[("m", "<sip:backup.example.net>")],
        },
    );
    let q = one_request(&mut r);
    assert_eq!(q.uri, "sip:backup.example.net");
    ok(&mut r, T0, &[("Expires", "600")]);
    assert!(events(&mut r).contains(&RegistrationEvent::Registered { expires: 600 }));
}

#[test]
fn unregister_sends_expires_zero_and_stops_timers() {
    let mut r = registration(600);
    r.register(T0);
    let _ = one_request(&mut r);
    ok(&mut r, T0, &[]);
    let _ = events(&mut r);
    assert!(r.poll_timeout().is_some());
    let t = T0 + Duration::from_secs(10);
    r.unregister(t);
    let q = one_request(&mut r);
    assert_eq!(
        q.header("Contact"),
        Some("<sip:gw@192.0.2.10:5060>;expires=0")
    );
    assert_eq!(q.header("Expires"), Some("0"));
    assert_eq!(q.header("CSeq"), Some("2 REGISTER"));
    assert_eq!(r.state(), RegistrationState::Unregistering);
    assert_eq!(r.poll_timeout(), None);
    // a challenge on the unregister is answered too
    let mut srv = DigestServer::new(ServerConfig::new("registrar.example.net"));
    let (s, h) = registrar_answer(&mut srv, t, &q);
    answer(&mut r, t, s, &h);
    let q = one_request(&mut r);
    assert_eq!(q.header("Expires"), Some("0"));
    assert!(q.header("Authorization").is_some());
    ok(&mut r, t, &[]);
    assert_eq!(events(&mut r), [RegistrationEvent::Unregistered]);
    assert_eq!(r.state(), RegistrationState::Unregistered);
    assert_eq!(r.poll_timeout(), None);
    // a late response is ignored
    ok(&mut r, t, &[]);
    assert!(events(&mut r).is_empty());
}

#[test]
fn binding_survives_a_failed_refresh_until_it_lapses() {
    let mut r = registration(600);
    r.register(T0);
    let _ = one_request(&mut r);
    ok(&mut r, T0, &[]);
    let lapse = T0 + Duration::from_secs(600);
    assert_eq!(r.bound_until(T0), Some(lapse));
    let t = r.poll_timeout().unwrap();
    r.handle_timeout(t);
    let _ = one_request(&mut r);
    assert_eq!(
        r.bound_until(t),
        Some(lapse),
        "still bound while refreshing"
    );
    // (a transaction timing out at Timer F = 32 s would end exactly at the lapse)
    r.handle_transaction_timeout(t + Duration::from_secs(20));
    assert!(matches!(r.state(), RegistrationState::BackingOff { .. }));
    assert_eq!(r.bound_until(t + Duration::from_secs(20)), Some(lapse));
    assert_eq!(r.bound_until(lapse), None);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Step {
        Response(u16, Vec<(String, String)>),
        Timeout,
        Advance(u32),
        Fire,
        Register,
        Unregister,
    }

    fn step() -> impl Strategy<Value = Step> {
        let header = prop_oneof![
            Just("Contact".to_owned()),
            Just("m".to_owned()),
            Just("Expires".to_owned()),
            Just("Min-Expires".to_owned()),
            Just("Retry-After".to_owned()),
            Just("WWW-Authenticate".to_owned()),
            Just("Proxy-Authenticate".to_owned()),
        ];
        let value = prop_oneof![
            "[0-9]{0,11}",
            "\\PC{0,40}",
            "<sip:gw@192.0.2.10:5060>;expires=[0-9]{0,6}",
            "Digest realm=\"r\", nonce=\"[a-z]{1,3}\", qop=\"auth\"(, stale=TRUE)?",
        ];
        prop_oneof![
            (
                100u16..700,
                proptest::collection::vec((header, value), 0..4)
            )
                .prop_map(|(s, h)| Step::Response(s, h)),
            Just(Step::Timeout),
            (0u32..4000).prop_map(Step::Advance),
            Just(Step::Fire),
            Just(Step::Register),
            Just(Step::Unregister),
        ]
    }

    proptest! {
        /// Whatever the registrar answers and whenever: no panic, never two REGISTERs in
        /// flight, CSeq strictly increasing, a timer whenever backing off or bound.
        #[test]
        fn any_sequence_is_handled(steps in proptest::collection::vec(step(), 0..40)) {
            let mut r = registration(600);
            let mut now = T0;
            let mut last_cseq = 0u32;
            r.register(now);
            for s in steps {
                while let Some(q) = r.poll_transmit() {
                    prop_assert!(q.cseq > last_cseq);
                    last_cseq = q.cseq;
                    prop_assert!(r.poll_transmit().is_none());
                }
                match s {
                    Step::Response(status, h) => {
                        let hs: Vec<(&str, &str)> = h.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
                        r.handle_response(now, &RegisterResponse { status, headers: &hs });

                    }
                    Step::Timeout => r.handle_transaction_timeout(now),
                    Step::Advance(s) => now += Duration::from_secs(u64::from(s)),
                    Step::Fire => if let Some(t) = r.poll_timeout() { now = now.max(t); r.handle_timeout(now) },
                    Step::Register => r.register(now),
                    Step::Unregister => r.unregister(now),
                }
                while r.poll_event().is_some() {}
                match r.state() {
                    RegistrationState::BackingOff { retry_at } => prop_assert_eq!(r.poll_timeout(), Some(retry_at)),
                    RegistrationState::Registered { refresh_at, expires_at } => {
                        prop_assert_eq!(r.poll_timeout(), Some(refresh_at));
                        prop_assert!(refresh_at < expires_at);
                    }
                    _ => {}
                }
            }
        }
    }
}
