//! The server side of digest authentication (RFC 3261 22.1-22.4 as UAS or registrar; RFC 7616
//! 3.3, 3.5 and 5.4-5.5; RFC 8760 2.3): issue challenges, verify credentials.
//!
//! Nonces are stateless (RFC 7616 3.3 suggests "time-stamp H(time-stamp ":" ETag ":"
//! secret-data)"): `hex(timestamp || random || HMAC-SHA-256(secret, timestamp || random)[..16])`,
//! with the timestamp in nanoseconds of [`crate::time::Instant`]. Verification recomputes the
//! HMAC, so a nonce the server did not issue is refused without any table; an expired one with
//! a right digest gives [`Verdict::Stale`] (RFC 7616 3.3 `stale`). The only state is the
//! nonce-count replay window of nonces in use (RFC 7616 3.4, 5.5), bounded in size.

use super::client::RequestParts;
use super::digest::{digests_equal, request_digest, Algorithm, DigestInput, HashFunction, Qop};
use super::header::{parse_credentials, Credentials, DigestChallenge, DigestResponse, ParseError};
use crate::time::Instant;
use hmac::{KeyInit, Mac};
use rand::Rng;
use sha2::Sha256;
use std::collections::HashMap;
use std::time::Duration;
use thiserror::Error;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Where the server finds `H(username:realm:password)` for a hash function (a store keeps one
/// HA1 per hash function, or the password). `None`: no such user.
pub trait CredentialStore {
    fn ha1(&self, username: &str, realm: &str, hash: HashFunction) -> Option<String>;
}

impl<F> CredentialStore for F
where
    F: Fn(&str, &str, HashFunction) -> Option<String>,
{
    fn ha1(&self, username: &str, realm: &str, hash: HashFunction) -> Option<String> {
        self(username, realm, hash)
    }
}

/// How a server challenges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    pub realm: String,
    /// Algorithms to offer, most preferred first: one challenge each (RFC 8760 2.3 "in the
    /// order that it would prefer to see them used").
    pub algorithms: Vec<Algorithm>,
    /// qop values to offer (RFC 3261 22.4 / RFC 8760: at least auth).
    pub qop: Vec<Qop>,
    /// How long a nonce is good for; after that a right digest gets `stale=TRUE`.
    pub nonce_lifetime: Duration,
    /// How many nonces' nonce-counts are remembered (bounded memory).
    pub max_tracked_nonces: usize,
    /// An `opaque` to send and require back (RFC 7616 3.3), if any.
    pub opaque: Option<String>,
}

impl ServerConfig {
    pub fn new(realm: &str) -> ServerConfig {
        ServerConfig {
            realm: realm.to_owned(),
            algorithms: vec![Algorithm::Sha512_256, Algorithm::Sha256, Algorithm::Md5],
            qop: vec![Qop::Auth],
            nonce_lifetime: Duration::from_secs(300),
            max_tracked_nonces: 4096,
            opaque: None,
        }
    }
}

/// Why credentials were refused. The caller answers 401/407 with a fresh challenge
/// (`stale=FALSE`) for every one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Rejection {
    #[error("credentials for another realm")]
    WrongRealm,
    #[error("no such user")]
    UnknownUser,
    #[error("the digest does not match")]
    WrongResponse,
    /// The nonce fails its HMAC: not issued by this server (or issued under another secret).
    #[error("nonce not issued by this server")]
    ForgedNonce,
    /// A nonce-count already used with this nonce (RFC 7616 5.5 replay).
    #[error("nonce-count replayed")]
    Replay,
    #[error("opaque does not match")]
    OpaqueMismatch,
}

/// Why credentials could not even be checked; the caller answers 400 (RFC 2617 3.2.2.5 for a
/// URI mismatch) or challenges again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Malformed {
    #[error("unparsable credentials: {0}")]
    Parse(ParseError),
    #[error("not Digest credentials")]
    NotDigest,
    #[error("algorithm not offered")]
    AlgorithmNotOffered,
    #[error("qop missing or not offered")]
    QopNotOffered,
    #[error("qop without cnonce or nc")]
    MissingCnonceOrNc,
    #[error("digest uri differs from the Request-URI")]
    UriMismatch,
}

/// The outcome of [`DigestServer::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Authenticated {
        username: String,
    },
    /// A right digest on an expired nonce: challenge again with `stale=TRUE` (RFC 7616 3.3).
    Stale,
    BadCredentials(Rejection),
    Malformed(Malformed),
    /// None of the credential fields is for this realm: challenge.
    NoCredentials,
}

#[derive(Debug, Clone, Copy)]
struct NonceUse {
    issued: u64,
    /// Highest nc seen, and a bit per nc in the 64 below it (RFC 4303 3.4.3-style window),
    /// so that requests sent in parallel may arrive out of order.
    max_nc: u32,
    window: u64,
}

/// The digest server of one realm.
pub struct DigestServer {
    config: ServerConfig,
    key: [u8; 32],
    used: HashMap<String, NonceUse>,
    /// Timestamp of the newest nonce forgotten for lack of room: any nonce issued at or before
    /// it might have been used, so it only earns `Stale`, never acceptance.
    forgotten_up_to: Option<u64>,
}

impl std::fmt::Debug for DigestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigestServer")
            .field("config", &self.config)
            .field("tracked", &self.used.len())
            .finish()
    }
}

const NONCE_TS: usize = 8;
const NONCE_RAND: usize = 8;
const NONCE_MAC: usize = 16;
const NONCE_LEN: usize = NONCE_TS + NONCE_RAND + NONCE_MAC;

impl DigestServer {
    /// A server with a random secret (nonces do not survive a restart: clients get a fresh
    /// challenge).
    pub fn new(config: ServerConfig) -> DigestServer {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        DigestServer::with_secret(config, key)
    }

    /// A server with a given secret (several servers sharing one realm share it, and then
    /// also the time base of their [`Instant`]s, since nonces carry an issue time).
    pub fn with_secret(config: ServerConfig, secret: [u8; 32]) -> DigestServer {
        DigestServer {
            config,
            key: secret,
            used: HashMap::new(),
            forgotten_up_to: None,
        }
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    fn mac(&self, data: &[u8]) -> Option<[u8; NONCE_MAC]> {
        let mut m = HmacSha256::new_from_slice(&self.key).ok()?;
        m.update(data);
        let full = m.finalize().into_bytes();
        let mut out = [0u8; NONCE_MAC];
        out.copy_from_slice(full.get(..NONCE_MAC)?);
        Some(out)
    }

    /// A fresh nonce for `now`.
    pub fn nonce(&self, now: Instant) -> String {
        let mut raw = [0u8; NONCE_LEN];
        raw[..NONCE_TS].copy_from_slice(&now.as_nanos().to_be_bytes());
        rand::rng().fill_bytes(&mut raw[NONCE_TS..NONCE_TS + NONCE_RAND]);
        if let Some(mac) = self.mac(&raw[..NONCE_TS + NONCE_RAND]) {
            raw[NONCE_TS + NONCE_RAND..].copy_from_slice(&mac);
        }
        hex::encode(raw)
    }

    /// The issue time of a nonce this server made, `None` if it did not make it.
    fn nonce_issued(&self, nonce: &str) -> Option<u64> {
        let raw = hex::decode(nonce).ok()?;
        if raw.len() != NONCE_LEN {
            return None;
        }
        let (body, mac) = raw.split_at(NONCE_TS + NONCE_RAND);
        let mut m = HmacSha256::new_from_slice(&self.key).ok()?;
        m.update(body);
        m.verify_truncated_left(mac).ok()?;
        let ts: [u8; NONCE_TS] = body.get(..NONCE_TS)?.try_into().ok()?;
        Some(u64::from_be_bytes(ts))
    }

    /// The challenges to send in a 401 (as `WWW-Authenticate`) or 407 (`Proxy-Authenticate`):
    /// one per configured algorithm, in preference order, sharing a nonce (RFC 8760 2.3).
    /// `stale` after [`Verdict::Stale`].
    pub fn challenges(&self, now: Instant, stale: bool) -> Vec<DigestChallenge> {
        let nonce = self.nonce(now);
        self.config
            .algorithms
            .iter()
            .map(|a| DigestChallenge {
                realm: self.config.realm.clone(),
                domain: None,
                nonce: nonce.clone(),
                opaque: self.config.opaque.clone(),
                stale,
                algorithm: Some(a.name().to_owned()),
                qop: self
                    .config
                    .qop
                    .iter()
                    .map(|q| q.name().to_owned())
                    .collect(),
                other: Vec::new(),
            })
            .collect()
    }

    /// [`DigestServer::challenges`] as header field values.
    pub fn challenge_values(&self, now: Instant, stale: bool) -> Vec<String> {
        self.challenges(now, stale)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// Verifies the credential fields of a request (all its `Authorization` values, or all
    /// its `Proxy-Authorization` values): the one for this realm counts (RFC 3261 22.3: a
    /// proxy looks through every value for its realm).
    pub fn verify_fields<'v, I, S>(
        &mut self,
        now: Instant,
        values: I,
        request: &RequestParts<'_>,
        store: &S,
    ) -> Verdict
    where
        I: IntoIterator<Item = &'v str>,
        S: CredentialStore + ?Sized,
    {
        let mut malformed = None;
        for v in values {
            match parse_credentials(v) {
                Ok(Credentials::Digest(d)) if d.realm == self.config.realm => {
                    return self.verify_response(now, &d, request, store);
                }
                Ok(_) => {}
                Err(e) => {
                    malformed.get_or_insert(Malformed::Parse(e));
                }
            }
        }
        match malformed {
            Some(m) => Verdict::Malformed(m),
            None => Verdict::NoCredentials,
        }
    }

    /// Verifies one `Authorization` / `Proxy-Authorization` value.
    pub fn verify<S>(
        &mut self,
        now: Instant,
        value: &str,
        request: &RequestParts<'_>,
        store: &S,
    ) -> Verdict
    where
        S: CredentialStore + ?Sized,
    {
        match parse_credentials(value) {
            Ok(Credentials::Digest(d)) => self.verify_response(now, &d, request, store),
            Ok(Credentials::Other(_)) => Verdict::Malformed(Malformed::NotDigest),
            Err(e) => Verdict::Malformed(Malformed::Parse(e)),
        }
    }

    /// Verifies parsed digest credentials.
    pub fn verify_response<S>(
        &mut self,
        now: Instant,
        d: &DigestResponse,
        request: &RequestParts<'_>,
        store: &S,
    ) -> Verdict
    where
        S: CredentialStore + ?Sized,
    {
        use Verdict::{BadCredentials as Bad, Malformed as Mal};
        if d.realm != self.config.realm {
            return Bad(Rejection::WrongRealm);
        }
        let Some(algorithm) = Algorithm::from_param(d.algorithm.as_deref())
            .filter(|a| self.config.algorithms.contains(a))
        else {
            return Mal(Malformed::AlgorithmNotOffered);
        };
        // We always offer qop, so RFC 2069-style credentials without it are refused
        // (RFC 7616 3.4: qop is required of clients that receive it).
        let Some(qop) = d
            .qop
            .as_deref()
            .and_then(Qop::from_name)
            .filter(|q| self.config.qop.contains(q))
        else {
            return Mal(Malformed::QopNotOffered);
        };
        let (Some(cnonce), Some(nc)) = (d.cnonce.as_deref(), d.nc) else {
            return Mal(Malformed::MissingCnonceOrNc);
        };
        // RFC 2617 3.2.2.5 / RFC 7616 3.4.6: the digest-uri must name the request's target.
        if d.uri != request.uri {
            return Mal(Malformed::UriMismatch);
        }
        if self.config.opaque.is_some() && d.opaque != self.config.opaque {
            return Bad(Rejection::OpaqueMismatch);
        }
        let Some(issued) = self.nonce_issued(&d.nonce) else {
            return Bad(Rejection::ForgedNonce);
        };
        let Some(ha1) = store.ha1(&d.username, &d.realm, algorithm.hash()) else {
            return Bad(Rejection::UnknownUser);
        };
        let expected = request_digest(&DigestInput {
            algorithm,
            ha1: &ha1,
            nonce: &d.nonce,
            qop: Some(qop),
            nc,
            cnonce,
            method: request.method,
            uri: &d.uri,
            body: request.body,
        });
        let Ok(expected) = expected else {
            return Mal(Malformed::QopNotOffered);
        };
        if !digests_equal(&expected, &d.response) {
            return Bad(Rejection::WrongResponse);
        }
        let lifetime = u64::try_from(self.config.nonce_lifetime.as_nanos()).unwrap_or(u64::MAX);
        let now_ns = now.as_nanos();
        if now_ns.saturating_sub(issued) > lifetime || issued > now_ns {
            return Verdict::Stale;
        }
        match self.check_nc(now_ns, lifetime, &d.nonce, issued, nc) {
            NcCheck::Fresh => Verdict::Authenticated {
                username: d.username.clone(),
            },
            NcCheck::Replay => Bad(Rejection::Replay),
            NcCheck::Forgotten => Verdict::Stale,
        }
    }

    /// Records `nc` for `nonce` (RFC 7616 3.4 / 5.5 replay protection).
    fn check_nc(&mut self, now: u64, lifetime: u64, nonce: &str, issued: u64, nc: u32) -> NcCheck {
        if let Some(u) = self.used.get_mut(nonce) {
            if nc > u.max_nc {
                let shift = nc - u.max_nc;
                u.window = if shift >= 64 { 0 } else { u.window << shift };
                u.window |= 1;
                u.max_nc = nc;
                return NcCheck::Fresh;
            }
            let back = u.max_nc - nc;
            if back >= 64 {
                return NcCheck::Replay;
            }
            let bit = 1u64 << back;
            if u.window & bit != 0 {
                return NcCheck::Replay;
            }
            u.window |= bit;
            return NcCheck::Fresh;
        }
        if self.forgotten_up_to.is_some_and(|t| issued <= t) {
            return NcCheck::Forgotten;
        }
        if nc == 0 {
            return NcCheck::Replay; // nc starts at 1 (RFC 7616 3.4)
        }
        // Make room: drop expired nonces, then the oldest.
        if self.used.len() >= self.config.max_tracked_nonces.max(1) {
            self.used
                .retain(|_, u| now.saturating_sub(u.issued) <= lifetime);
        }
        while self.used.len() >= self.config.max_tracked_nonces.max(1) {
            let Some((oldest, ts)) = self
                .used
                .iter()
                .min_by_key(|(_, u)| u.issued)
                .map(|(k, u)| (k.clone(), u.issued))
            else {
                break;
            };
            self.used.remove(&oldest);
            self.forgotten_up_to = Some(self.forgotten_up_to.map_or(ts, |t| t.max(ts)));
            if self.forgotten_up_to.is_some_and(|t| issued <= t) {
                return NcCheck::Forgotten;
            }
        }
        self.used.insert(
            nonce.to_owned(),
            NonceUse {
                issued,
                max_nc: nc,
                window: 1,
            },
        );
        NcCheck::Fresh
    }

    /// Number of nonces whose counts are remembered.
    pub fn tracked_nonces(&self) -> usize {
        self.used.len()
    }
}

enum NcCheck {
    Fresh,
    Replay,
    Forgotten,
}
