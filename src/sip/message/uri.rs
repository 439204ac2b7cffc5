//! SIP, SIPS and tel URIs (RFC 3261 19.1, 25.1; RFC 3966) and other absolute URIs kept opaque.
//!
//! Ours, not rsip 0.4.0's `Uri`: rsip has no tel URI (RFC 3966 `phone-context`), and its
//! parser fails the RFC 4475 URIs this module must take (`tests/sip_message_rsip.rs` shows
//! which). Components are kept in their escaped wire form so that a URI round-trips byte for
//! byte; [`unescape`] gives the octets (RFC 3261 19.1.2, RFC 4475 3.1.1.4: `%00` is legal).

use std::fmt;

use super::syntax::{Param, Params};
use super::HeaderError;

/// The URI scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    Sip,
    Sips,
    Tel,
    /// Any other scheme (lower case); the rest of the URI is kept opaque.
    Other(String),
}

impl Scheme {
    pub fn as_str(&self) -> &str {
        match self {
            Scheme::Sip => "sip",
            Scheme::Sips => "sips",
            Scheme::Tel => "tel",
            Scheme::Other(s) => s,
        }
    }
}

/// A URI. For `sip`/`sips`: userinfo, host, port, uri-parameters and headers (RFC 3261
/// 19.1.1). For `tel`: the number in `user` and its parameters (`phone-context`, `ext`, ...)
/// in `params`, no host (RFC 3966 3). Other schemes: `opaque` holds everything after `:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri {
    pub scheme: Scheme,
    /// The user part (escaped wire form), or the tel number.
    pub user: Option<String>,
    /// The password (escaped wire form).
    pub password: Option<String>,
    /// `hostname`, `IPv4address` or `[IPv6reference]` (with the brackets). Empty for tel.
    pub host: String,
    pub port: Option<u16>,
    pub params: Params,
    /// `?name=value&...` (escaped wire form).
    pub headers: Vec<(String, String)>,
    /// The scheme-specific part of an `Other` URI.
    pub opaque: Option<String>,
}

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c)
}

/// Checks that every `%` starts an `escaped` (`%` HEXDIG HEXDIG) and every other character
/// is in `unreserved` or `extra`.
fn check_escaped(s: &str, extra: &str) -> Result<(), HeaderError> {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let ok = b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return Err(HeaderError::BadEscape);
            }
            i += 3;
            continue;
        }
        let ch = c as char;
        if !(c.is_ascii() && (is_unreserved(ch) || extra.contains(ch))) {
            return Err(HeaderError::BadUri);
        }
        i += 1;
    }
    Ok(())
}

/// The octets of an escaped string (RFC 3261 19.1.2; RFC 2396 2.4.1).
pub fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Escapes octets for the user part: everything outside `unreserved` and
/// `user-unreserved` becomes `%XX` (RFC 3261 25.1).
pub fn escape_user(octets: &[u8]) -> String {
    let mut out = String::with_capacity(octets.len());
    for &o in octets {
        let c = o as char;
        if o.is_ascii() && (is_unreserved(c) || "&=+$,;?/".contains(c)) {
            out.push(c);
        } else {
            out.push_str(&format!("%{o:02X}"));
        }
    }
    out
}

/// `hostport` (RFC 3261 25.1): host and optional port. The host is a hostname, an IPv4
/// address or an IPv6 reference in brackets.
pub fn parse_hostport(s: &str) -> Result<(String, Option<u16>), HeaderError> {
    let (host, port) = if s.starts_with('[') {
        let close = s.find(']').ok_or(HeaderError::BadHost)?;
        let host = s.get(..close + 1).unwrap_or_default();
        let inner = s.get(1..close).unwrap_or_default();
        if inner.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(HeaderError::BadHost);
        }
        let rest = s.get(close + 1..).unwrap_or_default();
        let port = match rest.strip_prefix(':') {
            Some(p) => Some(p),
            None if rest.is_empty() => None,
            None => return Err(HeaderError::BadHost),
        };
        (host, port)
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if !s.starts_with('[')
        && (host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
    {
        return Err(HeaderError::BadHost);
    }
    let port = match port {
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().map_err(|_| HeaderError::BadPort)?)
        }
        Some(_) => return Err(HeaderError::BadPort),
        None => None,
    };
    Ok((host.to_string(), port))
}

/// `*( ";" uri-parameter )` after the first `;` (so `s` holds at least one parameter).
fn parse_uri_params(s: &str) -> Result<Params, HeaderError> {
    let mut params = Vec::new();
    for p in s.split(';') {
        let (name, value) = match p.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (p, None),
        };
        // uri-parameter: pname = 1*paramchar; empty names (`;;`) are not in the grammar, but
        // RFC 4475 3.1.1.2 puts `;;` inside a user part, never in params.
        if name.is_empty() {
            return Err(HeaderError::BadParam);
        }
        check_escaped(name, "[]/:&+$")?;
        if let Some(v) = value {
            check_escaped(v, "[]/:&+$")?;
        }
        params.push(Param {
            name: name.to_string(),
            value: value.map(str::to_string),
        });
    }
    Ok(Params(params))
}

impl Uri {
    /// Parses an absolute URI (RFC 3261 25.1 `Request-URI` / `addr-spec`).
    pub fn parse(s: &str) -> Result<Uri, HeaderError> {
        let (scheme, rest) = s.split_once(':').ok_or(HeaderError::BadUri)?;
        let mut sc = scheme.chars();
        let scheme_ok = sc.next().is_some_and(|c| c.is_ascii_alphabetic())
            && sc.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if !scheme_ok {
            return Err(HeaderError::BadUri);
        }
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "sip" => Scheme::Sip,
            "sips" => Scheme::Sips,
            "tel" => Scheme::Tel,
            other => Scheme::Other(other.to_string()),
        };
        match scheme {
            Scheme::Sip | Scheme::Sips => Self::parse_sip(scheme, rest),
            Scheme::Tel => Self::parse_tel(rest),
            Scheme::Other(_) => {
                if rest.is_empty() || rest.chars().any(|c| c.is_whitespace() || c == '>') {
                    return Err(HeaderError::BadUri);
                }
                Ok(Uri {
                    scheme,
                    user: None,
                    password: None,
                    host: String::new(),
                    port: None,
                    params: Params::default(),
                    headers: Vec::new(),
                    opaque: Some(rest.to_string()),
                })
            }
        }
    }

    fn parse_sip(scheme: Scheme, rest: &str) -> Result<Uri, HeaderError> {
        // userinfo ends at the first '@': neither user nor password may hold it unescaped,
        // and neither uri-parameters nor headers may hold it at all (RFC 3261 25.1).
        let (userinfo, after) = match rest.split_once('@') {
            Some((u, a)) => (Some(u), a),
            None => (None, rest),
        };
        let (user, password) = match userinfo {
            Some(u) => {
                let (user, pw) = match u.split_once(':') {
                    Some((user, pw)) => (user, Some(pw)),
                    None => (u, None),
                };
                if user.is_empty() {
                    return Err(HeaderError::BadUri);
                }
                check_escaped(user, "&=+$,;?/")?;
                if let Some(pw) = pw {
                    check_escaped(pw, "&=+$,")?;
                }
                (Some(user.to_string()), pw.map(str::to_string))
            }
            None => (None, None),
        };
        let (before_headers, headers) = match after.split_once('?') {
            Some((b, h)) => (b, Some(h)),
            None => (after, None),
        };
        let (hostport, params) = match before_headers.split_once(';') {
            Some((hp, p)) => (hp, parse_uri_params(p)?),
            None => (before_headers, Params::default()),
        };
        let (host, port) = parse_hostport(hostport)?;
        let mut hdrs = Vec::new();
        if let Some(h) = headers {
            for pair in h.split('&') {
                let (n, v) = pair.split_once('=').ok_or(HeaderError::BadUri)?;
                if n.is_empty() {
                    return Err(HeaderError::BadUri);
                }
                check_escaped(n, "[]/?:+$")?;
                check_escaped(v, "[]/?:+$")?;
                hdrs.push((n.to_string(), v.to_string()));
            }
        }
        Ok(Uri {
            scheme,
            user,
            password,
            host,
            port,
            params,
            headers: hdrs,
            opaque: None,
        })
    }

    /// `telephone-subscriber` (RFC 3966 3): a global number (`+` digits and visual
    /// separators) or a local number, which then needs a `phone-context` parameter.
    fn parse_tel(rest: &str) -> Result<Uri, HeaderError> {
        let (number, params) = match rest.split_once(';') {
            Some((n, p)) => (n, parse_uri_params(p)?),
            None => (rest, Params::default()),
        };
        let global = number.starts_with('+');
        let digits = number.strip_prefix('+').unwrap_or(number);
        let ok_char = |c: char| {
            c.is_ascii_digit()
                || "-.()".contains(c)
                || (!global && (c.is_ascii_hexdigit() || c == '*' || c == '#'))
        };
        if digits.is_empty() || !digits.chars().all(ok_char) {
            return Err(HeaderError::BadUri);
        }
        if !global && !params.contains("phone-context") {
            // RFC 3966 5.1.5: a local number MUST have a phone-context.
            return Err(HeaderError::BadUri);
        }
        Ok(Uri {
            scheme: Scheme::Tel,
            user: Some(number.to_string()),
            password: None,
            host: String::new(),
            port: None,
            params,
            headers: Vec::new(),
            opaque: None,
        })
    }

    /// A `sip:` URI for `user@host[:port]`.
    pub fn sip(user: Option<&str>, host: &str, port: Option<u16>) -> Uri {
        Uri {
            scheme: Scheme::Sip,
            user: user.map(str::to_string),
            password: None,
            host: host.to_string(),
            port,
            params: Params::default(),
            headers: Vec::new(),
            opaque: None,
        }
    }

    /// The user part as octets (escapes decoded).
    pub fn user_octets(&self) -> Option<Vec<u8>> {
        self.user.as_deref().map(unescape)
    }

    /// The `transport` uri-parameter, lower case.
    pub fn transport(&self) -> Option<String> {
        self.params
            .value("transport")
            .map(|t| t.to_ascii_lowercase())
    }

    /// Whether the URI carries `lr` (RFC 3261 16.12, loose routing).
    pub fn lr(&self) -> bool {
        self.params.contains("lr")
    }

    /// `phone-context` of a tel URI (RFC 3966 5.1.5), or of a sip URI with `user=phone`.
    pub fn phone_context(&self) -> Option<String> {
        match self.scheme {
            Scheme::Tel => self.params.value("phone-context"),
            _ => {
                let user = self.user.as_deref()?;
                user.split(';')
                    .skip(1)
                    .find_map(|p| p.strip_prefix("phone-context="))
                    .map(str::to_string)
            }
        }
    }

    /// The number of a tel URI, or the user part of a `user=phone` SIP URI without its
    /// parameters (RFC 3261 19.1.1, RFC 3966): visual separators removed.
    pub fn telephone_number(&self) -> Option<String> {
        let user = self.user.as_deref()?;
        let is_tel = match self.scheme {
            Scheme::Tel => true,
            Scheme::Sip | Scheme::Sips => self
                .params
                .value("user")
                .is_some_and(|u| u.eq_ignore_ascii_case("phone")),
            Scheme::Other(_) => false,
        };
        if !is_tel {
            return None;
        }
        let number = user.split(';').next().unwrap_or_default();
        Some(number.chars().filter(|c| !"-.()".contains(*c)).collect())
    }

    /// Whether the URI is fit for a Request-URI: RFC 3261 19.1.1 (table 1) forbids headers
    /// there (RFC 4475 3.1.2.11).
    pub fn fit_for_request_uri(&self) -> bool {
        self.headers.is_empty()
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme.as_str())?;
        f.write_str(":")?;
        if let Some(o) = &self.opaque {
            return f.write_str(o);
        }
        if let Some(u) = &self.user {
            f.write_str(u)?;
            if let Some(p) = &self.password {
                write!(f, ":{p}")?;
            }
            if self.scheme != Scheme::Tel {
                f.write_str("@")?;
            }
        }
        f.write_str(&self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        let mut params = String::new();
        self.params.write(&mut params);
        f.write_str(&params)?;
        for (i, (n, v)) in self.headers.iter().enumerate() {
            f.write_str(if i == 0 { "?" } else { "&" })?;
            write!(f, "{n}={v}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Uri {
    type Err = HeaderError;
    fn from_str(s: &str) -> Result<Uri, HeaderError> {
        Uri::parse(s)
    }
}
