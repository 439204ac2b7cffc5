//! The grammar of challenges and credentials, on header field VALUES (the text after the colon
//! of `WWW-Authenticate`, `Proxy-Authenticate`, `Authorization`, `Proxy-Authorization`).
//!
//! - RFC 3261 25.1: `challenge`, `credentials`, `digest-cln`, `dig-resp`, `auth-param`,
//!   `quoted-string` with `quoted-pair` escapes.
//! - RFC 7235 2.1 (via RFC 7616 3.3): one field value may carry several challenges separated by
//!   commas; a field may also be repeated. A comma followed by `token =` continues the current
//!   challenge, a comma followed by a bare token starts the next one.
//! - RFC 7616 3.3 / 3.4 and RFC 3261 25.1 for the quoting on output: `realm`, `domain`, `nonce`,
//!   `opaque`, `qop` (in a challenge: the list), `username`, `uri`, `response`, `cnonce` are
//!   quoted; `algorithm`, `stale`, `qop` (in credentials) and `nc` are not ("For historical
//!   reasons, a sender MUST NOT generate the quoted string syntax for ... algorithm, qop, and
//!   nc", RFC 7616 3.4).
//!
//! Parameters this module does not know are kept, with their quoting, and written back.

use std::fmt;
use thiserror::Error;

/// A fault in a challenge or credentials value; `offset` is a byte offset into the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ParseError {
    #[error("empty header field value")]
    Empty,
    #[error("expected an auth-scheme token at offset {offset}")]
    ExpectedScheme { offset: usize },
    #[error("expected whitespace after the auth-scheme at offset {offset}")]
    ExpectedWhitespace { offset: usize },
    #[error("expected a parameter name at offset {offset}")]
    ExpectedParamName { offset: usize },
    #[error("expected '=' at offset {offset}")]
    ExpectedEquals { offset: usize },
    #[error("expected a parameter value at offset {offset}")]
    ExpectedValue { offset: usize },
    #[error("expected ',' at offset {offset}")]
    ExpectedComma { offset: usize },
    #[error("unterminated quoted-string starting at offset {offset}")]
    UnterminatedQuotedString { offset: usize },
    #[error("parameter at offset {offset} repeats an earlier one")]
    DuplicateParam { offset: usize },
    #[error("missing parameter {name}")]
    MissingParam { name: &'static str },
    #[error("invalid value for parameter {name}")]
    InvalidParam { name: &'static str },
    #[error("credentials value holds {count} credentials, not one")]
    NotOneCredentials { count: usize },
}

/// One `auth-param` (RFC 3261 25.1) as received: `name=value` or `name="value"` (the value is
/// stored unescaped; `quoted` remembers the form, so that unknown parameters are written back
/// as they came).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthParam {
    pub name: String,
    pub value: String,
    pub quoted: bool,
}

impl AuthParam {
    pub fn token(name: &str, value: &str) -> AuthParam {
        AuthParam {
            name: name.to_owned(),
            value: value.to_owned(),
            quoted: false,
        }
    }
    pub fn quoted(name: &str, value: &str) -> AuthParam {
        AuthParam {
            name: name.to_owned(),
            value: value.to_owned(),
            quoted: true,
        }
    }
}

impl fmt::Display for AuthParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.quoted {
            write!(f, "{}={}", self.name, Quoted(&self.value))
        } else {
            write!(f, "{}={}", self.name, self.value)
        }
    }
}

/// Writes `s` as a `quoted-string` (RFC 3261 25.1): DQUOTE, `"` and `\` escaped as
/// `quoted-pair`, DQUOTE.
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for ch in self.0.chars() {
            if ch == '"' || ch == '\\' {
                f.write_str("\\")?;
            }
            write!(f, "{ch}")?;
        }
        f.write_str("\"")
    }
}

/// A challenge or credentials of a scheme other than Digest (Basic, Bearer, ...): kept whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherScheme {
    pub scheme: String,
    /// RFC 7235 2.1 `token68` form (`Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==`).
    pub token68: Option<String>,
    pub params: Vec<AuthParam>,
}

impl fmt::Display for OtherScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        if let Some(t) = &self.token68 {
            write!(f, " {t}")?;
        }
        for (i, p) in self.params.iter().enumerate() {
            let sep = if i == 0 && self.token68.is_none() {
                " "
            } else {
                ", "
            };
            write!(f, "{sep}{p}")?;
        }
        Ok(())
    }
}

/// One challenge of a `WWW-Authenticate` / `Proxy-Authenticate` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Digest(DigestChallenge),
    Other(OtherScheme),
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Challenge::Digest(d) => d.fmt(f),
            Challenge::Other(o) => o.fmt(f),
        }
    }
}

/// `digest-cln` (RFC 3261 25.1, RFC 7616 3.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DigestChallenge {
    pub realm: String,
    /// Space-separated URIs (RFC 7616 3.3 `domain`), unparsed.
    pub domain: Option<String>,
    pub nonce: String,
    pub opaque: Option<String>,
    /// RFC 7616 3.3: TRUE (case-insensitive) means the nonce was stale but the digest right.
    pub stale: bool,
    /// The `algorithm` token as received; absent means MD5 (RFC 7616 3.3, RFC 3261 25.1).
    /// [`crate::sip::auth::Algorithm::from_name`] gives the typed value.
    pub algorithm: Option<String>,
    /// The `qop-options` list (`qop="auth,auth-int"`), each token as received; empty when the
    /// parameter is absent (RFC 2069 compatibility, RFC 3261 22.4).
    pub qop: Vec<String>,
    /// Parameters not named above (`charset`, `userhash`, extensions), in order.
    pub other: Vec<AuthParam>,
}

impl fmt::Display for DigestChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest realm={}", Quoted(&self.realm))?;
        if let Some(d) = &self.domain {
            write!(f, ", domain={}", Quoted(d))?;
        }
        write!(f, ", nonce={}", Quoted(&self.nonce))?;
        if let Some(o) = &self.opaque {
            write!(f, ", opaque={}", Quoted(o))?;
        }
        if let Some(a) = &self.algorithm {
            write!(f, ", algorithm={a}")?;
        }
        if !self.qop.is_empty() {
            write!(f, ", qop={}", Quoted(&self.qop.join(",")))?;
        }
        if self.stale {
            f.write_str(", stale=TRUE")?;
        }
        for p in &self.other {
            write!(f, ", {p}")?;
        }
        Ok(())
    }
}

/// The credentials of an `Authorization` / `Proxy-Authorization` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    Digest(DigestResponse),
    Other(OtherScheme),
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Digest(d) => d.fmt(f),
            Credentials::Other(o) => o.fmt(f),
        }
    }
}

/// `digest-response` (RFC 3261 25.1 `dig-resp`, RFC 7616 3.4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DigestResponse {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    /// `digest-uri`: the Request-URI as the client wrote it.
    pub uri: String,
    /// `request-digest`: the hex digest.
    pub response: String,
    pub algorithm: Option<String>,
    pub cnonce: Option<String>,
    pub opaque: Option<String>,
    /// `message-qop`, a single token (`auth`, `auth-int`).
    pub qop: Option<String>,
    /// `nonce-count`, written as 8 lowercase hex digits.
    pub nc: Option<u32>,
    pub other: Vec<AuthParam>,
}

impl fmt::Display for DigestResponse {
    /// Order of RFC 3261 25.1 `dig-resp` (and of its examples in 24.2).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Digest username={}, realm={}, nonce={}, uri={}, response={}",
            Quoted(&self.username),
            Quoted(&self.realm),
            Quoted(&self.nonce),
            Quoted(&self.uri),
            Quoted(&self.response)
        )?;
        if let Some(a) = &self.algorithm {
            write!(f, ", algorithm={a}")?;
        }
        if let Some(c) = &self.cnonce {
            write!(f, ", cnonce={}", Quoted(c))?;
        }
        if let Some(o) = &self.opaque {
            write!(f, ", opaque={}", Quoted(o))?;
        }
        if let Some(q) = &self.qop {
            write!(f, ", qop={q}")?;
        }
        if let Some(nc) = self.nc {
            write!(f, ", nc={nc:08x}")?;
        }
        for p in &self.other {
            write!(f, ", {p}")?;
        }
        Ok(())
    }
}

/// Parses one `WWW-Authenticate` / `Proxy-Authenticate` field value into its challenges (one
/// or more, RFC 7235 2.1).
pub fn parse_challenges(value: &str) -> Result<Vec<Challenge>, ParseError> {
    parse_list(value)?
        .into_iter()
        .map(|raw| {
            if raw.scheme.eq_ignore_ascii_case("Digest") && raw.token68.is_none() {
                digest_challenge(raw.params).map(Challenge::Digest)
            } else {
                Ok(Challenge::Other(raw))
            }
        })
        .collect()
}

/// Parses the challenges of every field value in `values` (a response may repeat the field),
/// in order.
pub fn parse_challenge_fields<'a, I>(values: I) -> Result<Vec<Challenge>, ParseError>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut out = Vec::new();
    for v in values {
        out.extend(parse_challenges(v)?);
    }
    Ok(out)
}

/// Parses one `Authorization` / `Proxy-Authorization` field value (exactly one credentials,
/// RFC 3261 25.1).
pub fn parse_credentials(value: &str) -> Result<Credentials, ParseError> {
    let mut list = parse_list(value)?;
    if list.len() != 1 {
        return Err(ParseError::NotOneCredentials { count: list.len() });
    }
    let raw = list.remove(0);
    if raw.scheme.eq_ignore_ascii_case("Digest") && raw.token68.is_none() {
        digest_response(raw.params).map(Credentials::Digest)
    } else {
        Ok(Credentials::Other(raw))
    }
}

fn take(params: &mut Vec<AuthParam>, name: &str) -> Option<AuthParam> {
    let i = params
        .iter()
        .position(|p| p.name.eq_ignore_ascii_case(name))?;
    Some(params.remove(i))
}

fn digest_challenge(mut params: Vec<AuthParam>) -> Result<DigestChallenge, ParseError> {
    let realm = take(&mut params, "realm").ok_or(ParseError::MissingParam { name: "realm" })?;
    let nonce = take(&mut params, "nonce").ok_or(ParseError::MissingParam { name: "nonce" })?;
    let stale = match take(&mut params, "stale") {
        // RFC 7616 3.3: "TRUE" case-insensitive; anything else means not stale.
        Some(p) => p.value.eq_ignore_ascii_case("true"),
        None => false,
    };
    let qop = match take(&mut params, "qop") {
        Some(p) => p
            .value
            .split(',')
            .map(|t| t.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r' || c == '\n'))
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        None => Vec::new(),
    };
    Ok(DigestChallenge {
        realm: realm.value,
        domain: take(&mut params, "domain").map(|p| p.value),
        nonce: nonce.value,
        opaque: take(&mut params, "opaque").map(|p| p.value),
        stale,
        algorithm: take(&mut params, "algorithm").map(|p| p.value),
        qop,
        other: params,
    })
}

fn digest_response(mut params: Vec<AuthParam>) -> Result<DigestResponse, ParseError> {
    let mut need = |name: &'static str| {
        take(&mut params, name)
            .map(|p| p.value)
            .ok_or(ParseError::MissingParam { name })
    };
    let username = need("username")?;
    let realm = need("realm")?;
    let nonce = need("nonce")?;
    let uri = need("uri")?;
    let response = need("response")?;
    let nc = match take(&mut params, "nc") {
        // RFC 3261 25.1: nonce-count = "nc" EQUAL nc-value; nc-value = 8LHEX
        Some(p) => {
            if p.value.len() != 8 || !p.value.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ParseError::InvalidParam { name: "nc" });
            }
            Some(
                u32::from_str_radix(&p.value, 16)
                    .map_err(|_| ParseError::InvalidParam { name: "nc" })?,
            )
        }
        None => None,
    };
    Ok(DigestResponse {
        username,
        realm,
        nonce,
        uri,
        response,
        algorithm: take(&mut params, "algorithm").map(|p| p.value),
        cnonce: take(&mut params, "cnonce").map(|p| p.value),
        opaque: take(&mut params, "opaque").map(|p| p.value),
        qop: take(&mut params, "qop").map(|p| p.value),
        nc,
        other: params,
    })
}

// ---- the tokenizer -------------------------------------------------------------------------

/// RFC 3261 25.1 `token` characters.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

/// RFC 7235 2.1 `token68` characters (without the trailing `=` padding).
fn is_token68(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

fn is_ws(b: u8) -> bool {
    // LWS after unfolding, and CRLF-folded values passed as they are (RFC 3261 25.1 LWS).
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }
    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }
    fn skip_ws(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(is_ws) {
            self.pos += 1;
        }
        self.pos - start
    }
    /// Skips whitespace and empty list elements (RFC 7230 7 `#rule`).
    fn skip_separators(&mut self) {
        while self.peek().is_some_and(|b| is_ws(b) || b == b',') {
            self.pos += 1;
        }
    }
    fn span(&mut self, pred: fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(pred) {
            self.pos += 1;
        }
        self.s.get(start..self.pos).unwrap_or("")
    }
    /// Is the text at the cursor `token BWS "=" BWS` followed by something other than `=`,
    /// `,` or the end (that is, an auth-param and not a token68 or a new scheme)?
    fn param_ahead(&self) -> bool {
        let mut c = Cursor {
            s: self.s,
            pos: self.pos,
        };
        if c.span(is_token).is_empty() {
            return false;
        }
        c.skip_ws();
        if c.peek() != Some(b'=') {
            return false;
        }
        c.pos += 1;
        c.skip_ws();
        !matches!(c.peek(), None | Some(b'=') | Some(b','))
    }
    fn param(&mut self) -> Result<AuthParam, ParseError> {
        let name = self.span(is_token);
        if name.is_empty() {
            return Err(ParseError::ExpectedParamName { offset: self.pos });
        }
        self.skip_ws();
        if self.peek() != Some(b'=') {
            return Err(ParseError::ExpectedEquals { offset: self.pos });
        }
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b'"') {
            let value = self.quoted_string()?;
            Ok(AuthParam {
                name: name.to_owned(),
                value,
                quoted: true,
            })
        } else {
            // token; leniently any visible run without separators, as peers send unquoted
            // values such as `nonce=abc/def=`.
            let value = self.span(|b| b > b' ' && b != 0x7f && b != b',' && b != b'"');
            if value.is_empty() {
                return Err(ParseError::ExpectedValue { offset: self.pos });
            }
            Ok(AuthParam {
                name: name.to_owned(),
                value: value.to_owned(),
                quoted: false,
            })
        }
    }
    /// RFC 3261 25.1 `quoted-string`, cursor on the opening DQUOTE; returns the unescaped text.
    fn quoted_string(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            match self.peek() {
                None => return Err(ParseError::UnterminatedQuotedString { offset: start }),
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
                    let next = self.s.as_bytes().get(self.pos + 1).copied();
                    match next {
                        Some(b) if b < 0x80 && b != b'\r' && b != b'\n' => {
                            out.push(b);
                            self.pos += 2;
                        }
                        _ => return Err(ParseError::UnterminatedQuotedString { offset: start }),
                    }
                }
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
        // Only ASCII backslashes were removed from valid UTF-8, so this cannot fail; map the
        // impossible case to an error rather than panic.
        String::from_utf8(out).map_err(|_| ParseError::UnterminatedQuotedString { offset: start })
    }
}

fn parse_list(value: &str) -> Result<Vec<OtherScheme>, ParseError> {
    let mut c = Cursor { s: value, pos: 0 };
    let mut out = Vec::new();
    c.skip_separators();
    if c.at_end() {
        return Err(ParseError::Empty);
    }
    while !c.at_end() {
        let scheme = c.span(is_token);
        if scheme.is_empty() {
            return Err(ParseError::ExpectedScheme { offset: c.pos });
        }
        let mut item = OtherScheme {
            scheme: scheme.to_owned(),
            token68: None,
            params: Vec::new(),
        };
        let ws = c.skip_ws();
        if !c.at_end() && c.peek() != Some(b',') {
            if ws == 0 {
                return Err(ParseError::ExpectedWhitespace { offset: c.pos });
            }
            if c.param_ahead() {
                push_param(&mut item.params, &mut c)?;
            } else {
                let start = c.pos;
                let t = c.span(is_token68);
                let pad = c.span(|b| b == b'=');
                if t.is_empty() {
                    return Err(ParseError::ExpectedParamName { offset: start });
                }
                item.token68 = Some(format!("{t}{pad}"));
            }
        }
        loop {
            c.skip_ws();
            if c.at_end() {
                break;
            }
            if c.peek() != Some(b',') {
                return Err(ParseError::ExpectedComma { offset: c.pos });
            }
            c.skip_separators();
            if c.at_end() || !c.param_ahead() {
                break; // the next challenge, or the end
            }
            push_param(&mut item.params, &mut c)?;
        }
        out.push(item);
    }
    Ok(out)
}

fn push_param(params: &mut Vec<AuthParam>, c: &mut Cursor<'_>) -> Result<(), ParseError> {
    let offset = c.pos;
    let p = c.param()?;
    // RFC 7235 2.2: each parameter name MUST only occur once per challenge.
    if params.iter().any(|q| q.name.eq_ignore_ascii_case(&p.name)) {
        return Err(ParseError::DuplicateParam { offset });
    }
    params.push(p);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7616_challenge_parses_and_rewrites() {
        let v = "Digest\r\n    realm=\"http-auth@example.org\",\r\n    qop=\"auth, auth-int\",\r\n    algorithm=SHA-256,\r\n    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
        let cs = parse_challenges(v).unwrap();
        assert_eq!(cs.len(), 1);
        let Challenge::Digest(d) = &cs[0] else {
            panic!("not digest")
        };
        assert_eq!(d.realm, "http-auth@example.org");
        assert_eq!(d.qop, ["auth", "auth-int"]);
        assert_eq!(d.algorithm.as_deref(), Some("SHA-256"));
        assert_eq!(
            d.to_string(),
            "Digest realm=\"http-auth@example.org\", nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\", algorithm=SHA-256, qop=\"auth,auth-int\""
        );
        assert_eq!(parse_challenges(&d.to_string()).unwrap(), cs);
    }

    #[test]
    fn several_challenges_in_one_value() {
        let v = "Basic realm=\"x\", Digest realm=\"a\", nonce=\"n1\", algorithm=SHA-512-256, stale=TRUE, Bearer, Digest realm=\"a\", nonce=\"n2\", x-ext=\"q\\\"uote\", ,";
        let cs = parse_challenges(v).unwrap();
        assert_eq!(cs.len(), 4);
        assert!(
            matches!(&cs[0], Challenge::Other(o) if o.scheme == "Basic" && o.params.len() == 1)
        );
        let Challenge::Digest(d1) = &cs[1] else {
            panic!()
        };
        assert!(d1.stale);
        assert_eq!(d1.algorithm.as_deref(), Some("SHA-512-256"));
        assert!(
            matches!(&cs[2], Challenge::Other(o) if o.scheme == "Bearer" && o.params.is_empty())
        );
        let Challenge::Digest(d2) = &cs[3] else {
            panic!()
        };
        assert_eq!(d2.other, [AuthParam::quoted("x-ext", "q\"uote")]);
        assert!(d2.to_string().ends_with(", x-ext=\"q\\\"uote\""));
    }

    #[test]
    fn token68_and_basic() {
        let cs =
            parse_challenges("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==, Digest realm=\"r\", nonce=\"n\"")
                .unwrap();
        assert!(
            matches!(&cs[0], Challenge::Other(o) if o.token68.as_deref() == Some("QWxhZGRpbjpvcGVuIHNlc2FtZQ=="))
        );
        assert!(matches!(&cs[1], Challenge::Digest(_)));
    }

    #[test]
    fn credentials_round_trip_and_quoting() {
        let v = "Digest username=\"bob\", realm=\"biloxi.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:bob@biloxi.com\", qop=auth, nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
        let Credentials::Digest(d) = parse_credentials(v).unwrap() else {
            panic!()
        };
        assert_eq!(d.nc, Some(1));
        assert_eq!(d.qop.as_deref(), Some("auth"));
        let out = d.to_string();
        assert!(out.contains(", qop=auth, nc=00000001"));
        assert!(out.contains("cnonce=\"0a4f113b\""));
        assert_eq!(parse_credentials(&out).unwrap(), Credentials::Digest(d));
    }

    #[test]
    fn faults_are_errors() {
        for (v, e) in [
            ("", ParseError::Empty),
            (
                "Digest realm=\"open",
                ParseError::UnterminatedQuotedString { offset: 13 },
            ),
            (
                "Digest nonce=\"n\"",
                ParseError::MissingParam { name: "realm" },
            ),
            (
                "Digest realm=\"a\", realm=\"b\", nonce=\"n\"",
                ParseError::DuplicateParam { offset: 18 },
            ),
            (
                "Digest realm=\"a\" nonce=\"n\"",
                ParseError::ExpectedComma { offset: 17 },
            ),
            ("=x", ParseError::ExpectedScheme { offset: 0 }),
        ] {
            assert_eq!(parse_challenges(v), Err(e), "{v}");
        }
        assert_eq!(
            parse_credentials(
                "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x\", nc=1"
            ),
            Err(ParseError::InvalidParam { name: "nc" })
        );
        assert!(matches!(
            parse_credentials("Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x\", Basic abc"),
            Err(ParseError::NotOneCredentials { count: 2 })
        ));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // a cheap deterministic sweep; the proptest lives in tests/sip_auth.rs
        let base = "Digest realm=\"a\\\"b\", nonce=\"n\", qop=\"auth\", algorithm=MD5, x=, =,\"\\";
        for i in 0..=base.len() {
            for j in i..=base.len() {
                if let Some(s) = base.get(i..j) {
                    let _ = parse_challenges(s);
                    let _ = parse_credentials(s);
                }
            }
        }
    }
}
