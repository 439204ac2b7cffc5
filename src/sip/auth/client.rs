//! The client side of digest authentication (RFC 3261 22.2 UAC, 22.3 proxy-to-user; RFC 7616
//! 3.4; RFC 8760 2.4): answer a 401 with `Authorization`, a 407 with `Proxy-Authorization`.
//!
//! A [`DigestClient`] lives as long as the user agent (or one registration): it keeps the
//! nonce of every realm that challenged it and counts its uses (`nc`, RFC 7616 3.4), so that
//! later requests can carry credentials straight away ([`DigestClient::authorize`], RFC 3261
//! 22.3 "a UA MAY ... preemptively"). One [`AuthAttempt`] lives as long as one request and its
//! retries: it is what stops a retry loop when the credentials are wrong.
//!
//! Keep one [`DigestClient`] per peer (trunk, registrar, outbound proxy): it offers the
//! credentials of every realm it has learnt on each request, which is right for the proxies
//! and UAS on one route (RFC 3261 22.3) and wrong for unrelated destinations.

use super::digest::{ha1, request_digest, Algorithm, DigestInput, HashFunction, Qop};
use super::header::{parse_challenges, Challenge, DigestChallenge, DigestResponse, ParseError};
use rand::Rng;
use thiserror::Error;

/// Which pair of header fields a challenge came in (RFC 3261 22.2 / 22.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChallengeKind {
    /// 401 Unauthorized: `WWW-Authenticate` -> `Authorization`.
    Www,
    /// 407 Proxy Authentication Required: `Proxy-Authenticate` -> `Proxy-Authorization`.
    Proxy,
}

impl ChallengeKind {
    /// The kind of a status code (401 or 407).
    pub fn of_status(status: u16) -> Option<ChallengeKind> {
        match status {
            401 => Some(ChallengeKind::Www),
            407 => Some(ChallengeKind::Proxy),
            _ => None,
        }
    }
    /// The response header field carrying the challenge.
    pub fn challenge_header(self) -> &'static str {
        match self {
            ChallengeKind::Www => "WWW-Authenticate",
            ChallengeKind::Proxy => "Proxy-Authenticate",
        }
    }
    /// The request header field carrying the credentials.
    pub fn credentials_header(self) -> &'static str {
        match self {
            ChallengeKind::Www => "Authorization",
            ChallengeKind::Proxy => "Proxy-Authorization",
        }
    }
}

/// What proves the user: the password, or `H(username:realm:password)` computed elsewhere
/// (then only usable with that hash function and realm).
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    Password(String),
    Ha1 { hash: HashFunction, ha1: String },
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secret::Password(_) => f.write_str("Password(..)"),
            Secret::Ha1 { hash, .. } => write!(f, "Ha1 {{ hash: {hash:?}, .. }}"),
        }
    }
}

/// A username and secret, for one realm or (realm `None`) for any realm that challenges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub username: String,
    pub realm: Option<String>,
    pub secret: Secret,
}

impl Credential {
    pub fn password(username: &str, realm: Option<&str>, password: &str) -> Credential {
        Credential {
            username: username.to_owned(),
            realm: realm.map(str::to_owned),
            secret: Secret::Password(password.to_owned()),
        }
    }

    /// `H(username:realm:password)` for `hash` and `realm`, if this credential can give it.
    fn ha1_for(&self, hash: HashFunction, realm: &str) -> Option<String> {
        match &self.secret {
            Secret::Password(p) => Some(ha1(hash, &self.username, realm, p)),
            Secret::Ha1 { hash: h, ha1 } if *h == hash => Some(ha1.clone()),
            Secret::Ha1 { .. } => None,
        }
    }
}

/// Source of client nonces; injectable so that tests can replay the RFC examples.
pub trait CnonceSource: Send {
    fn cnonce(&mut self) -> String;
}

/// 128 random bits from the thread RNG, as 32 hex digits (RFC 7616 5.12 wants cnonces that
/// an attacker cannot predict).
#[derive(Debug, Default)]
pub struct RandomCnonce;

impl CnonceSource for RandomCnonce {
    fn cnonce(&mut self) -> String {
        let mut b = [0u8; 16];
        rand::rng().fill_bytes(&mut b);
        hex::encode(b)
    }
}

impl<F: FnMut() -> String + Send> CnonceSource for F {
    fn cnonce(&mut self) -> String {
        self()
    }
}

/// How to choose among several digest challenges for one realm.
///
/// RFC 8760 2.3 has the server list its challenges "in the order in which it would prefer to
/// see them used", and 2.4 has the client "use the topmost header field that it supports,
/// unless a local policy dictates otherwise". The default here is such a local policy,
/// [`AlgorithmPolicy::Strongest`]: challenges are not integrity-protected, so an on-path
/// attacker could move an MD5 challenge to the top (the downgrade RFC 8760 3 warns of when MD5
/// is offered beside stronger algorithms); ranking by strength takes that lever away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlgorithmPolicy {
    /// RFC 8760 2.4 to the letter: the topmost supported challenge.
    ServerOrder,
    /// The strongest hash offered (SHA-512-256 > SHA-256 > MD5); the server's order decides
    /// among equals (so between `X` and `X-sess`).
    #[default]
    Strongest,
}

/// A header field to put in the retried (or next) request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationField {
    /// `Authorization` or `Proxy-Authorization`.
    pub name: &'static str,
    pub value: String,
}

/// What the credentials cover: the request as it will be sent.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    pub method: &'a str,
    /// The Request-URI, written as in the start line (RFC 3261 22.4 `digest-uri`).
    pub uri: &'a str,
    /// The body, for qop=auth-int.
    pub body: &'a [u8],
}

/// Why no credentials can be produced.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ClientError {
    #[error("status {0} carries no challenge to answer (only 401 and 407 do)")]
    NotAChallenge(u16),
    #[error("no usable challenge in the response")]
    NoChallenge,
    #[error("bad challenge: {0}")]
    Parse(#[from] ParseError),
    #[error("no credentials for realm {realm:?}")]
    NoCredentials { realm: String },
    #[error("no supported algorithm and qop among the challenges of realm {realm:?}")]
    Unsupported { realm: String },
    /// RFC 3261 22.2: the server challenged again without `stale=TRUE` after our credentials
    /// for this realm: they are wrong; retrying with the same ones would loop.
    #[error("credentials for realm {realm:?} rejected")]
    Rejected { realm: String },
}

/// The state of one request and its retries (RFC 3261 22.2: a UAC "SHOULD NOT re-attempt
/// requests with the credentials that have just been rejected").
#[derive(Debug, Clone, Default)]
pub struct AuthAttempt {
    /// (kind, realm, nonce) answered so far in this request chain.
    answered: Vec<(ChallengeKind, String, String)>,
}

impl AuthAttempt {
    pub fn new() -> AuthAttempt {
        AuthAttempt::default()
    }
    fn answered(&self, kind: ChallengeKind, realm: &str) -> Option<&str> {
        self.answered
            .iter()
            .rev()
            .find(|(k, r, _)| *k == kind && r == realm)
            .map(|(_, _, n)| n.as_str())
    }
}

/// A realm that challenged us: its chosen challenge and the use count of its nonce.
#[derive(Debug, Clone)]
struct Session {
    kind: ChallengeKind,
    challenge: DigestChallenge,
    algorithm: Algorithm,
    qop: Option<Qop>,
    credential: usize,
    ha1: String,
    /// The last nonce-count sent with this nonce (RFC 7616 3.4: incremented per request).
    nc: u32,
}

/// The digest client of one user agent.
pub struct DigestClient {
    credentials: Vec<Credential>,
    policy: AlgorithmPolicy,
    prefer_auth_int: bool,
    cnonces: Box<dyn CnonceSource>,
    sessions: Vec<Session>,
}

impl std::fmt::Debug for DigestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigestClient")
            .field("credentials", &self.credentials)
            .field("policy", &self.policy)
            .field("sessions", &self.sessions.len())
            .finish()
    }
}

impl DigestClient {
    pub fn new(credentials: Vec<Credential>) -> DigestClient {
        DigestClient {
            credentials,
            policy: AlgorithmPolicy::default(),
            prefer_auth_int: false,
            cnonces: Box::new(RandomCnonce),
            sessions: Vec::new(),
        }
    }

    pub fn with_policy(mut self, policy: AlgorithmPolicy) -> DigestClient {
        self.policy = policy;
        self
    }

    /// Use qop=auth-int when the server offers both (default: auth, as RFC 8760 and the
    /// gateway's peers expect).
    pub fn with_auth_int(mut self, prefer: bool) -> DigestClient {
        self.prefer_auth_int = prefer;
        self
    }

    pub fn with_cnonce_source(mut self, source: Box<dyn CnonceSource>) -> DigestClient {
        self.cnonces = source;
        self
    }

    /// Forgets every nonce (after a registration ends, or a change of credentials).
    pub fn reset(&mut self) {
        self.sessions.clear();
    }

    /// Answers a 401 or 407: `challenge_values` are the values of every `WWW-Authenticate`
    /// (401) or `Proxy-Authenticate` (407) field, in order. Returns the credential fields for
    /// the retried request: one per realm challenged so far, of both kinds (a request that
    /// passed a proxy's challenge keeps its `Proxy-Authorization` when the UAS challenges
    /// next, RFC 3261 22.3). The retry needs a new CSeq (RFC 3261 22.2).
    pub fn respond<'v, I>(
        &mut self,
        status: u16,
        challenge_values: I,
        request: &RequestParts<'_>,
        attempt: &mut AuthAttempt,
    ) -> Result<Vec<AuthorizationField>, ClientError>
    where
        I: IntoIterator<Item = &'v str>,
    {
        let kind = ChallengeKind::of_status(status).ok_or(ClientError::NotAChallenge(status))?;
        // Digest challenges, grouped by realm in order of first appearance. A field that does
        // not parse is skipped if others can be used (RFC 8760 2.4: ignore what is not
        // supported); its error is reported when nothing else is usable.
        let mut first_error = None;
        let mut realms: Vec<(String, Vec<DigestChallenge>)> = Vec::new();
        for v in challenge_values {
            match parse_challenges(v) {
                Ok(cs) => {
                    for c in cs {
                        if let Challenge::Digest(d) = c {
                            match realms.iter_mut().find(|(r, _)| *r == d.realm) {
                                Some((_, list)) => list.push(d),
                                None => realms.push((d.realm.clone(), vec![d])),
                            }
                        }
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if realms.is_empty() {
            return Err(match first_error {
                Some(e) => ClientError::Parse(e),
                None => ClientError::NoChallenge,
            });
        }

        let mut failure = None;
        let mut answered_any = false;
        for (realm, challenges) in realms {
            match self.accept(kind, &realm, &challenges, attempt) {
                Ok(()) => answered_any = true,
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        if !answered_any {
            return Err(failure.unwrap_or(ClientError::NoChallenge));
        }
        Ok(self.fields(request, Some(attempt)))
    }

    /// Credential fields for every realm that has challenged this client, with the next
    /// nonce-count of each nonce, for a new request to the same servers (RFC 3261 22.3:
    /// credentials MAY be sent preemptively). They are not counted against the request's
    /// [`AuthAttempt`]: a server that forgot the nonce gets one challenge answered.
    pub fn authorize(&mut self, request: &RequestParts<'_>) -> Vec<AuthorizationField> {
        self.fields(request, None)
    }

    /// Whether any realm has challenged this client.
    pub fn has_sessions(&self) -> bool {
        !self.sessions.is_empty()
    }

    fn fields(
        &mut self,
        request: &RequestParts<'_>,
        mut attempt: Option<&mut AuthAttempt>,
    ) -> Vec<AuthorizationField> {
        let mut out = Vec::with_capacity(self.sessions.len());
        for i in 0..self.sessions.len() {
            let cnonce = self.cnonces.cnonce();
            let Some(s) = self.sessions.get_mut(i) else {
                continue;
            };
            let Some(cred) = self.credentials.get(s.credential) else {
                continue;
            };
            s.nc = s.nc.wrapping_add(1);
            let input = DigestInput {
                algorithm: s.algorithm,
                ha1: &s.ha1,
                nonce: &s.challenge.nonce,
                qop: s.qop,
                nc: s.nc,
                cnonce: &cnonce,
                method: request.method,
                uri: request.uri,
                body: request.body,
            };
            // accept() refuses -sess without qop, so this cannot fail; skip rather than panic.
            let Ok(response) = request_digest(&input) else {
                continue;
            };
            let with_qop = s.qop.is_some();
            let value = DigestResponse {
                username: cred.username.clone(),
                realm: s.challenge.realm.clone(),
                nonce: s.challenge.nonce.clone(),
                uri: request.uri.to_owned(),
                response,
                // RFC 7616 3.4: the algorithm and opaque values are those of the challenge;
                // echo the token only when the challenge had one.
                algorithm: s
                    .challenge
                    .algorithm
                    .as_ref()
                    .map(|_| s.algorithm.name().to_owned()),
                cnonce: with_qop.then_some(cnonce),
                opaque: s.challenge.opaque.clone(),
                qop: s.qop.map(|q| q.name().to_owned()),
                nc: with_qop.then_some(s.nc),
                other: Vec::new(),
            }
            .to_string();
            if let Some(a) = attempt.as_deref_mut() {
                a.answered
                    .push((s.kind, s.challenge.realm.clone(), s.challenge.nonce.clone()));
            }
            out.push(AuthorizationField {
                name: s.kind.credentials_header(),
                value,
            });
        }
        out
    }

    /// Takes the challenges of one realm: picks one, checks the retry rules, stores it.
    fn accept(
        &mut self,
        kind: ChallengeKind,
        realm: &str,
        challenges: &[DigestChallenge],
        attempt: &AuthAttempt,
    ) -> Result<(), ClientError> {
        let credential = self
            .credentials
            .iter()
            .position(|c| c.realm.as_deref().is_none_or(|r| r == realm))
            .ok_or_else(|| ClientError::NoCredentials {
                realm: realm.to_owned(),
            })?;
        let cred = self
            .credentials
            .get(credential)
            .ok_or_else(|| ClientError::NoCredentials {
                realm: realm.to_owned(),
            })?;

        // Supported = known algorithm, a qop we can do (or none, RFC 2069 style, not for
        // -sess), and an HA1 we can compute for its hash.
        let mut usable: Vec<(usize, Algorithm, Option<Qop>, String)> = Vec::new();
        for (i, c) in challenges.iter().enumerate() {
            let Some(alg) = Algorithm::from_param(c.algorithm.as_deref()) else {
                continue;
            };
            let offered: Vec<Qop> = c.qop.iter().filter_map(|q| Qop::from_name(q)).collect();
            let qop = if c.qop.is_empty() {
                None
            } else if self.prefer_auth_int && offered.contains(&Qop::AuthInt) {
                Some(Qop::AuthInt)
            } else if offered.contains(&Qop::Auth) {
                Some(Qop::Auth)
            } else if offered.contains(&Qop::AuthInt) {
                Some(Qop::AuthInt)
            } else {
                continue; // only unknown qop values
            };
            if qop.is_none() && alg.is_session() {
                continue;
            }
            let Some(h1) = cred.ha1_for(alg.hash(), realm) else {
                continue;
            };
            usable.push((i, alg, qop, h1));
        }
        let pick = match self.policy {
            AlgorithmPolicy::ServerOrder => usable.into_iter().next(),
            AlgorithmPolicy::Strongest => {
                let best = usable.iter().map(|u| u.1.strength()).max();
                usable.into_iter().find(|u| Some(u.1.strength()) == best)
            }
        };
        let Some((index, algorithm, qop, ha1)) = pick else {
            return Err(ClientError::Unsupported {
                realm: realm.to_owned(),
            });
        };
        let Some(challenge) = challenges.get(index) else {
            return Err(ClientError::Unsupported {
                realm: realm.to_owned(),
            });
        };

        // RFC 3261 22.2 / RFC 7616 3.3 stale: a challenge after we answered this realm in
        // this request chain means the credentials were refused, unless stale=TRUE with a
        // nonce we have not yet tried.
        if let Some(tried) = attempt.answered(kind, realm) {
            let fresh_stale = challenges.iter().any(|c| c.stale && c.nonce != tried);
            if !fresh_stale {
                self.sessions
                    .retain(|s| !(s.kind == kind && s.challenge.realm == realm));
                return Err(ClientError::Rejected {
                    realm: realm.to_owned(),
                });
            }
        }
        let session = Session {
            kind,
            challenge: challenge.clone(),
            algorithm,
            qop,
            credential,
            ha1,
            nc: 0,
        };
        match self
            .sessions
            .iter_mut()
            .find(|s| s.kind == kind && s.challenge.realm == realm)
        {
            Some(s) => *s = session,
            None => self.sessions.push(session),
        }
        Ok(())
    }
}
