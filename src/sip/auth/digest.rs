//! The digest computation (RFC 7616 3.4.1-3.4.3, RFC 2617 3.2.2 as RFC 3261 22.4 uses it) and
//! the algorithms RFC 8760 2 registers for SIP: MD5, SHA-256, SHA-512-256 and their `-sess`
//! variants.

use md5::Md5;
use sha2::{Digest, Sha256, Sha512_256};
use std::fmt;
use thiserror::Error;

/// The hash function `H` of an algorithm (RFC 7616 3.2, RFC 8760 2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashFunction {
    Md5,
    Sha256,
    /// SHA-512/256 of FIPS 180-4 (not a truncated SHA-512: its own initial values).
    Sha512_256,
}

impl HashFunction {
    /// Lowercase hex of `H(parts[0] || parts[1] || ...)` (RFC 7616 3.4: "hexadecimal
    /// representation ... lowercase").
    pub fn hex(self, parts: &[&[u8]]) -> String {
        match self {
            HashFunction::Md5 => hash_hex::<Md5>(parts),
            HashFunction::Sha256 => hash_hex::<Sha256>(parts),
            HashFunction::Sha512_256 => hash_hex::<Sha512_256>(parts),
        }
    }

    /// Length of the hex digest.
    pub fn hex_len(self) -> usize {
        match self {
            HashFunction::Md5 => 32,
            HashFunction::Sha256 | HashFunction::Sha512_256 => 64,
        }
    }
}

fn hash_hex<D: Digest>(parts: &[&[u8]]) -> String {
    let mut h = D::new();
    for p in parts {
        h.update(p);
    }
    hex::encode(h.finalize())
}

/// The digest `algorithm` values (RFC 7616 3.3, registered for SIP by RFC 8760 2.1 / 5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Md5,
    Md5Sess,
    Sha256,
    Sha256Sess,
    Sha512_256,
    Sha512_256Sess,
}

impl Algorithm {
    pub const ALL: [Algorithm; 6] = [
        Algorithm::Md5,
        Algorithm::Md5Sess,
        Algorithm::Sha256,
        Algorithm::Sha256Sess,
        Algorithm::Sha512_256,
        Algorithm::Sha512_256Sess,
    ];

    /// The token as the RFCs spell it.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
            Algorithm::Sha512_256 => "SHA-512-256",
            Algorithm::Sha512_256Sess => "SHA-512-256-sess",
        }
    }

    /// The algorithm of a token, case-insensitively (RFC 7616 3.3 token comparison).
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// The algorithm of an optional `algorithm` parameter: absent means MD5 (RFC 7616 3.3,
    /// RFC 3261 25.1); `None` when the token is unknown.
    pub fn from_param(param: Option<&str>) -> Option<Algorithm> {
        match param {
            None => Some(Algorithm::Md5),
            Some(n) => Algorithm::from_name(n),
        }
    }

    pub fn hash(self) -> HashFunction {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => HashFunction::Md5,
            Algorithm::Sha256 | Algorithm::Sha256Sess => HashFunction::Sha256,
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => HashFunction::Sha512_256,
        }
    }

    /// `-sess`: A1 includes the nonce and cnonce (RFC 7616 3.4.2).
    pub fn is_session(self) -> bool {
        matches!(
            self,
            Algorithm::Md5Sess | Algorithm::Sha256Sess | Algorithm::Sha512_256Sess
        )
    }

    /// Strength of the hash, for a local "strongest first" policy (RFC 8760 2.4 allows a local
    /// policy to override the server's order): SHA-512-256 > SHA-256 > MD5.
    pub fn strength(self) -> u8 {
        match self.hash() {
            HashFunction::Md5 => 0,
            HashFunction::Sha256 => 1,
            HashFunction::Sha512_256 => 2,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `qop-value` (RFC 3261 25.1, RFC 7616 3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qop {
    Auth,
    /// Integrity protection of the body: A2 includes H(entity-body) (RFC 7616 3.4.3).
    AuthInt,
}

impl Qop {
    pub fn name(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }
    pub fn from_name(name: &str) -> Option<Qop> {
        [Qop::Auth, Qop::AuthInt]
            .into_iter()
            .find(|q| q.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Qop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `H(username ":" realm ":" password)`: the HA1 of a non-session algorithm and the inner hash
/// of a `-sess` one (RFC 7616 3.4.2); what a credential store keeps instead of the password.
pub fn ha1(hash: HashFunction, username: &str, realm: &str, password: &str) -> String {
    hash.hex(&[
        username.as_bytes(),
        b":",
        realm.as_bytes(),
        b":",
        password.as_bytes(),
    ])
}

/// What the request digest depends on. `ha1` is `H(username:realm:password)` in the
/// algorithm's hash; the `-sess` step is applied here.
#[derive(Debug, Clone, Copy)]
pub struct DigestInput<'a> {
    pub algorithm: Algorithm,
    pub ha1: &'a str,
    pub nonce: &'a str,
    /// `None` only without qop (RFC 2069 compatibility, RFC 3261 22.4).
    pub qop: Option<Qop>,
    pub nc: u32,
    pub cnonce: &'a str,
    pub method: &'a str,
    pub uri: &'a str,
    /// The message body, for `auth-int` (RFC 3261 22.4: the body of the SIP message).
    pub body: &'a [u8],
}

/// Why a digest cannot be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DigestError {
    /// RFC 7616 3.4.2: a `-sess` HA1 needs a cnonce, which is only sent with qop.
    #[error("a -sess algorithm needs qop (and so a cnonce)")]
    SessionWithoutQop,
}

/// The `request-digest` (RFC 7616 3.4.1; RFC 2617 3.2.2.1 without qop), lowercase hex.
pub fn request_digest(i: &DigestInput<'_>) -> Result<String, DigestError> {
    let h = i.algorithm.hash();
    let ha1_sess;
    let ha1 = if i.algorithm.is_session() {
        if i.qop.is_none() {
            return Err(DigestError::SessionWithoutQop);
        }
        // RFC 7616 3.4.2: A1 = H(unq(username):unq(realm):passwd):unq(nonce):unq(cnonce)
        ha1_sess = h.hex(&[
            i.ha1.as_bytes(),
            b":",
            i.nonce.as_bytes(),
            b":",
            i.cnonce.as_bytes(),
        ]);
        ha1_sess.as_str()
    } else {
        i.ha1
    };
    // RFC 7616 3.4.3: A2 = Method:request-uri, or Method:request-uri:H(entity-body) for auth-int
    let ha2 = match i.qop {
        Some(Qop::AuthInt) => {
            let hbody = h.hex(&[i.body]);
            h.hex(&[
                i.method.as_bytes(),
                b":",
                i.uri.as_bytes(),
                b":",
                hbody.as_bytes(),
            ])
        }
        _ => h.hex(&[i.method.as_bytes(), b":", i.uri.as_bytes()]),
    };
    Ok(match i.qop {
        // KD(H(A1), unq(nonce):nc:unq(cnonce):unq(qop):H(A2))
        Some(q) => {
            let nc = format!("{:08x}", i.nc);
            h.hex(&[
                ha1.as_bytes(),
                b":",
                i.nonce.as_bytes(),
                b":",
                nc.as_bytes(),
                b":",
                i.cnonce.as_bytes(),
                b":",
                q.name().as_bytes(),
                b":",
                ha2.as_bytes(),
            ])
        }
        // RFC 2617 3.2.2.1: KD(H(A1), unq(nonce):H(A2))
        None => h.hex(&[
            ha1.as_bytes(),
            b":",
            i.nonce.as_bytes(),
            b":",
            ha2.as_bytes(),
        ]),
    })
}

/// Constant-time comparison of two hex digests, case-insensitive (RFC 7616 3.4: lowercase on
/// output; a peer's uppercase is tolerated).
pub fn digests_equal(a: &str, b: &str) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.bytes().zip(b.bytes()) {
        diff |= x.to_ascii_lowercase() ^ y.to_ascii_lowercase();
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fips_180_4_abc() {
        // FIPS 180-4 / NIST example values for "abc"
        assert_eq!(
            HashFunction::Md5.hex(&[b"abc"]),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            HashFunction::Sha256.hex(&[b"abc"]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            HashFunction::Sha512_256.hex(&[b"abc"]),
            "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"
        );
    }

    #[test]
    fn names() {
        for a in Algorithm::ALL {
            assert_eq!(
                Algorithm::from_name(&a.name().to_ascii_lowercase()),
                Some(a)
            );
        }
        assert_eq!(Algorithm::from_param(None), Some(Algorithm::Md5));
        assert_eq!(Algorithm::from_param(Some("SHA-1")), None);
    }

    #[test]
    fn rfc2617_3_5() {
        let ha1 = ha1(
            HashFunction::Md5,
            "Mufasa",
            "testrealm@host.com",
            "Circle Of Life",
        );
        let r = request_digest(&DigestInput {
            algorithm: Algorithm::Md5,
            ha1: &ha1,
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            qop: Some(Qop::Auth),
            nc: 1,
            cnonce: "0a4f113b",
            method: "GET",
            uri: "/dir/index.html",
            body: b"",
        });
        assert_eq!(r.as_deref(), Ok("6629fae49393a05397450978507c4ef1"));
    }
}
