//! Typed header values (RFC 3261 20 and the extensions the RFC 3398 mapping needs). Each type
//! has `parse(&str)` on an unfolded value and `Display` writing a value that parses back to an
//! equal one; unknown parameters are kept in order.
//!
//! URIs and name-addr are ours (see `uri.rs` for why not rsip's).

use std::fmt;

use super::syntax::{
    is_token, is_token_char, is_wsp, quote, quoted_end, split_commas, unquote, Params,
};
use super::uri::{parse_hostport, Uri};
use super::{HeaderError, Method};

/// `name-addr` / `addr-spec` with header parameters (RFC 3261 20.10, 20.20, 20.39; the form of
/// From, To, Contact, Route, Record-Route, P-Asserted-Identity, Diversion, History-Info).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// The display name in its wire form: a quoted-string with its quotes, or `*(token LWS)`.
    pub display: Option<String>,
    pub uri: Uri,
    /// Whether the URI was (or is to be) written in `<>` (name-addr rather than addr-spec).
    pub angle: bool,
    pub params: Params,
}

impl NameAddr {
    /// A name-addr `<uri>` without display name and parameters.
    pub fn new(uri: Uri) -> NameAddr {
        NameAddr {
            display: None,
            uri,
            angle: true,
            params: Params::default(),
        }
    }

    /// Parses one element. Rejects what RFC 4475 3.1.2.6, 3.1.2.13-15 call invalid: an
    /// unterminated quote, an addr-spec holding `,`/`;`/`?` (it must be in `<>`), LWS inside
    /// `<>`, non-token characters in an unquoted display name.
    pub fn parse(s: &str) -> Result<NameAddr, HeaderError> {
        let s = s.trim();
        let (display, rest) = if s.starts_with('"') {
            let end = quoted_end(s, 0).ok_or(HeaderError::UnterminatedQuote)?;
            let rest = s.get(end..).unwrap_or_default().trim_start();
            if !rest.starts_with('<') {
                return Err(HeaderError::BadNameAddr);
            }
            (Some(s.get(..end).unwrap_or_default().to_string()), rest)
        } else if let Some(lt) = s.find('<') {
            let name = s.get(..lt).unwrap_or_default().trim();
            if !name.split(is_wsp).filter(|t| !t.is_empty()).all(is_token) {
                return Err(HeaderError::BadDisplayName);
            }
            let d = (!name.is_empty()).then(|| name.to_string());
            (d, s.get(lt..).unwrap_or_default())
        } else {
            (None, s)
        };
        if let Some(inner) = rest.strip_prefix('<') {
            let gt = inner.find('>').ok_or(HeaderError::UnterminatedAngle)?;
            let uri_text = inner.get(..gt).unwrap_or_default();
            if uri_text.chars().any(|c| c.is_whitespace()) {
                return Err(HeaderError::BadUri);
            }
            let uri = Uri::parse(uri_text)?;
            let params = Params::parse_generic(inner.get(gt + 1..).unwrap_or_default())?;
            return Ok(NameAddr {
                display,
                uri,
                angle: true,
                params,
            });
        }
        // addr-spec: the URI ends at the first ';' (what follows are header parameters) and
        // may not hold ',', '?' or ';' (RFC 3261 20: those need the <> form).
        let (uri_text, params) = match rest.split_once(';') {
            Some((u, p)) => (u.trim_end(), p),
            None => (rest, ""),
        };
        if uri_text.contains([',', '?', ' ', '\t']) {
            return Err(HeaderError::BadNameAddr);
        }
        let uri = Uri::parse(uri_text)?;
        let params = if rest.contains(';') {
            Params::parse_generic(&format!(";{params}"))?
        } else {
            Params::default()
        };
        Ok(NameAddr {
            display,
            uri,
            angle: false,
            params,
        })
    }

    /// Parses a comma-separated list of name-addrs.
    pub fn parse_list(s: &str) -> Result<Vec<NameAddr>, HeaderError> {
        split_commas(s)?.into_iter().map(NameAddr::parse).collect()
    }

    /// The display name as text (quotes and quoted-pairs removed).
    pub fn display_name(&self) -> Option<String> {
        self.display.as_deref().map(unquote)
    }

    /// Sets the display name, quoting it (RFC 3261 25.1 quoted-string).
    pub fn set_display_name(&mut self, name: &str) {
        self.display = Some(quote(name));
    }

    /// The `tag` parameter (RFC 3261 19.3).
    pub fn tag(&self) -> Option<String> {
        self.params.value("tag")
    }

    /// Sets `tag`.
    pub fn set_tag(&mut self, tag: &str) {
        self.params.set("tag", Some(tag));
    }
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A URI with parameters or headers must be in <> once header params follow it.
        let angle = self.angle
            || self.display.is_some()
            || !self.uri.params.0.is_empty()
            || !self.uri.headers.is_empty();
        if let Some(d) = &self.display {
            write!(f, "{d} ")?;
        }
        if angle {
            write!(f, "<{}>", self.uri)?;
        } else {
            write!(f, "{}", self.uri)?;
        }
        let mut p = String::new();
        self.params.write(&mut p);
        f.write_str(&p)
    }
}

fn write_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{it}")?;
    }
    Ok(())
}

macro_rules! name_addr_list {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(pub Vec<NameAddr>);
        impl $name {
            pub fn parse(s: &str) -> Result<$name, HeaderError> {
                let v = NameAddr::parse_list(s)?;
                Ok($name(v))
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_list(f, &self.0)
            }
        }
    };
}

name_addr_list!(
    /// Route / Record-Route (RFC 3261 20.34, 20.30): `rec-route` elements, name-addr form.
    RouteList
);
name_addr_list!(
    /// P-Asserted-Identity (RFC 3325 9.1): one or two identities (a SIP/SIPS and a tel URI).
    PAssertedIdentity
);
name_addr_list!(
    /// Diversion (RFC 5806 4): each with `reason`, `counter`, `limit`, `privacy`, `screen`.
    Diversion
);
name_addr_list!(
    /// History-Info (RFC 7044 4.1): each `hi-entry` with `index`, `rc`/`mp`/`np`, and the
    /// Reason (`cause`) carried as a header in its URI (RFC 7044 4.2.1: `?Reason=...`).
    HistoryInfo
);

impl HistoryInfo {
    /// The `index` of each entry (RFC 7044 4.1, `1.1.2` dotted form).
    pub fn indices(&self) -> Vec<Option<String>> {
        self.0.iter().map(|e| e.params.value("index")).collect()
    }

    /// The SIP response code of an entry's embedded Reason header, if any (RFC 7044 4.2.1
    /// `Reason=SIP%3Bcause%3D302`), or its `cause` uri-parameter (RFC 4458).
    pub fn cause(entry: &NameAddr) -> Option<u16> {
        if let Some((_, v)) = entry
            .uri
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("reason"))
        {
            let text = String::from_utf8_lossy(&super::uri::unescape(v)).into_owned();
            if let Ok(r) = Reason::parse(&text) {
                return r.cause();
            }
        }
        entry.uri.params.value("cause").and_then(|c| c.parse().ok())
    }
}

/// Contact (RFC 3261 20.10): `*` or name-addrs with `expires` and `q`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    /// `Contact: *` (REGISTER removing all bindings, RFC 3261 10.2.2).
    Star,
    List(Vec<NameAddr>),
}

impl Contact {
    pub fn parse(s: &str) -> Result<Contact, HeaderError> {
        if s.trim() == "*" {
            return Ok(Contact::Star);
        }
        let list = NameAddr::parse_list(s)?;
        for c in &list {
            if let Some(q) = c.params.get("q") {
                parse_qvalue(q.ok_or(HeaderError::BadParam)?)?;
            }
            if let Some(e) = c.params.get("expires") {
                e.and_then(|e| e.parse::<u32>().ok())
                    .ok_or(HeaderError::BadParam)?;
            }
        }
        Ok(Contact::List(list))
    }

    /// `expires` of a contact (RFC 3261 20.10), seconds.
    pub fn expires(c: &NameAddr) -> Option<u32> {
        c.params.value("expires").and_then(|e| e.parse().ok())
    }

    /// `q` of a contact in thousandths (RFC 3261 20.10: qvalue 0..1 with 3 decimals).
    pub fn q(c: &NameAddr) -> Option<u16> {
        c.params.value("q").and_then(|q| parse_qvalue(&q).ok())
    }
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` in thousandths.
fn parse_qvalue(q: &str) -> Result<u16, HeaderError> {
    let (int, frac) = q.split_once('.').unwrap_or((q, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HeaderError::BadParam);
    }
    let mut milli: u16 = 0;
    for (i, b) in frac.bytes().enumerate() {
        milli += u16::from(b - b'0') * [100, 10, 1].get(i).copied().unwrap_or(0);
    }
    match int {
        "0" => Ok(milli),
        "1" if milli == 0 => Ok(1000),
        _ => Err(HeaderError::BadParam),
    }
}

impl fmt::Display for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Contact::Star => f.write_str("*"),
            Contact::List(l) => write_list(f, l),
        }
    }
}

/// One Via value (RFC 3261 20.42): `SIP/2.0/transport sent-by;params`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    pub protocol_name: String,
    pub protocol_version: String,
    /// Transport token as received (`UDP`, `TCP`, `TLS`, `SCTP`, or an extension).
    pub transport: String,
    pub host: String,
    pub port: Option<u16>,
    pub params: Params,
}

impl Via {
    /// A `SIP/2.0/<transport> host[:port];branch=...` value.
    pub fn new(transport: &str, host: &str, port: Option<u16>, branch: &str) -> Via {
        let mut params = Params::default();
        params.set("branch", Some(branch));
        Via {
            protocol_name: "SIP".into(),
            protocol_version: "2.0".into(),
            transport: transport.to_string(),
            host: host.to_string(),
            port,
            params,
        }
    }

    /// Parses one via-parm (LWS allowed around `/`, RFC 4475 3.1.1.1).
    pub fn parse(s: &str) -> Result<Via, HeaderError> {
        let bad = HeaderError::BadVia;
        let (name, rest) = s.split_once('/').ok_or(bad)?;
        let (version, rest) = rest.split_once('/').ok_or(bad)?;
        let rest = rest.trim_start();
        let tend = rest.find(|c: char| !is_token_char(c)).unwrap_or(rest.len());
        let transport = rest.get(..tend).unwrap_or_default();
        let rest = rest.get(tend..).unwrap_or_default();
        let (name, version) = (name.trim(), version.trim());
        if !is_token(name) || !is_token(version) || !is_token(transport) {
            return Err(bad);
        }
        if !rest.starts_with(is_wsp) {
            return Err(bad);
        }
        let rest = rest.trim_start();
        let end = rest.find([';', ' ', '\t']).unwrap_or(rest.len());
        let sent_by = rest.get(..end).unwrap_or_default();
        let after = rest.get(end..).unwrap_or_default().trim_start();
        // sent-by = host [ COLON port ], COLON allowing LWS.
        let (sent_by, after) = if let Some(p) = after.strip_prefix(':') {
            let p = p.trim_start();
            let pend = p.find([';', ' ', '\t']).unwrap_or(p.len());
            (
                format!("{sent_by}:{}", p.get(..pend).unwrap_or_default()),
                p.get(pend..).unwrap_or_default(),
            )
        } else {
            (sent_by.to_string(), after)
        };
        let sent_by = sent_by.replace([' ', '\t'], "");
        let (host, port) = parse_hostport(&sent_by).map_err(|_| bad)?;
        let params = Params::parse_generic(after)?;
        if let Some(b) = params.get("branch") {
            b.filter(|b| is_token(b)).ok_or(HeaderError::BadParam)?;
        }
        Ok(Via {
            protocol_name: name.to_string(),
            protocol_version: version.to_string(),
            transport: transport.to_string(),
            host,
            port,
            params,
        })
    }

    /// Parses a Via header value holding one or more via-parms.
    pub fn parse_list(s: &str) -> Result<Vec<Via>, HeaderError> {
        split_commas(s)?.into_iter().map(Via::parse).collect()
    }

    /// `branch` (RFC 3261 8.1.1.7).
    pub fn branch(&self) -> Option<String> {
        self.params.value("branch")
    }

    /// Whether the branch carries the RFC 3261 magic cookie `z9hG4bK` (17.2.3).
    pub fn rfc3261_branch(&self) -> bool {
        self.branch().is_some_and(|b| b.starts_with("z9hG4bK"))
    }

    /// `sent-by` as `host[:port]`.
    pub fn sent_by(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }

    /// `received` (RFC 3261 18.2.1).
    pub fn received(&self) -> Option<String> {
        self.params.value("received")
    }

    /// `rport` (RFC 3581): `None` absent, `Some(None)` requested, `Some(Some(p))` filled in.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params
            .get("rport")
            .map(|v| v.and_then(|p| p.parse().ok()))
    }

    /// Sets `received` and, when `rport` was requested, its value (RFC 3581 4).
    pub fn set_received(&mut self, addr: std::net::SocketAddr) {
        let ip = addr.ip().to_string();
        self.params.set("received", Some(&ip));
        if self.params.contains("rport") {
            self.params.set("rport", Some(&addr.port().to_string()));
        }
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{} {}",
            self.protocol_name,
            self.protocol_version,
            self.transport,
            self.sent_by()
        )?;
        let mut p = String::new();
        self.params.write(&mut p);
        f.write_str(&p)
    }
}

/// CSeq (RFC 3261 20.16): a 32-bit sequence number (below 2**31 when chosen, 8.1.1.5) and
/// the method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    pub seq: u32,
    pub method: Method,
}

impl CSeq {
    pub fn parse(s: &str) -> Result<CSeq, HeaderError> {
        let s = s.trim();
        let end = s.find(is_wsp).ok_or(HeaderError::BadCSeq)?;
        let num = s.get(..end).unwrap_or_default();
        let method = s.get(end..).unwrap_or_default().trim();
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
            return Err(HeaderError::BadCSeq);
        }
        let seq = parse_u32_leading_zeros(num).ok_or(HeaderError::BadCSeq)?;
        let method = Method::parse(method).map_err(|_| HeaderError::BadCSeq)?;
        Ok(CSeq { seq, method })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// A decimal number that may have leading zeros (RFC 4475 3.1.1.1: `0009`).
pub(crate) fn parse_u32_leading_zeros(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = s.trim_start_matches('0');
    if t.is_empty() {
        return Some(0);
    }
    t.parse().ok()
}

/// Max-Forwards (RFC 3261 20.22): 0..=255.
pub fn parse_max_forwards(s: &str) -> Result<u8, HeaderError> {
    parse_u32_leading_zeros(s.trim())
        .and_then(|v| u8::try_from(v).ok())
        .ok_or(HeaderError::BadMaxForwards)
}

/// Call-ID (RFC 3261 20.8): `word [ "@" word ]`.
pub fn parse_call_id(s: &str) -> Result<String, HeaderError> {
    let s = s.trim();
    let mut parts = s.split('@');
    let ok = parts.next().is_some_and(is_word)
        && parts.next().is_none_or(is_word)
        && parts.next().is_none();
    if ok {
        Ok(s.to_string())
    } else {
        Err(HeaderError::BadCallId)
    }
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(super::syntax::is_word_char)
}

/// Reason (RFC 3326 2): `protocol;cause=N;text="..."`, one value per protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// `SIP`, `Q.850`, or an extension token.
    pub protocol: String,
    pub params: Params,
}

impl Reason {
    /// A `Q.850;cause=N` reason with optional text (RFC 3326, RFC 3398 8.2.4).
    pub fn q850(cause: u8, text: Option<&str>) -> Reason {
        let mut params = Params::default();
        params.set("cause", Some(&cause.to_string()));
        if let Some(t) = text {
            params.set("text", Some(&quote(t)));
        }
        Reason {
            protocol: "Q.850".into(),
            params,
        }
    }

    pub fn parse(s: &str) -> Result<Reason, HeaderError> {
        let s = s.trim();
        let end = s.find(|c: char| !is_token_char(c)).unwrap_or(s.len());
        let protocol = s.get(..end).unwrap_or_default();
        if protocol.is_empty() {
            return Err(HeaderError::BadReason);
        }
        let params = Params::parse_generic(s.get(end..).unwrap_or_default())?;
        if let Some(c) = params.get("cause") {
            c.and_then(|c| c.parse::<u16>().ok())
                .ok_or(HeaderError::BadReason)?;
        }
        Ok(Reason {
            protocol: protocol.to_string(),
            params,
        })
    }

    pub fn parse_list(s: &str) -> Result<Vec<Reason>, HeaderError> {
        split_commas(s)?.into_iter().map(Reason::parse).collect()
    }

    /// The `cause` (a Q.850 cause value or a SIP status code).
    pub fn cause(&self) -> Option<u16> {
        self.params.value("cause").and_then(|c| c.parse().ok())
    }

    /// The `text`, unquoted.
    pub fn text(&self) -> Option<String> {
        self.params.value("text")
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.protocol)?;
        let mut p = String::new();
        self.params.write(&mut p);
        f.write_str(&p)
    }
}

/// RSeq (RFC 3262 7.1): 1..2**31-1.
pub fn parse_rseq(s: &str) -> Result<u32, HeaderError> {
    parse_u32_leading_zeros(s.trim()).ok_or(HeaderError::BadRSeq)
}

/// RAck (RFC 3262 7.2): `response-num CSeq-num Method`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RAck {
    pub rseq: u32,
    pub cseq: u32,
    pub method: Method,
}

impl RAck {
    pub fn parse(s: &str) -> Result<RAck, HeaderError> {
        let mut it = s.split_whitespace();
        let (Some(r), Some(c), Some(m), None) = (it.next(), it.next(), it.next(), it.next()) else {
            return Err(HeaderError::BadRAck);
        };
        Ok(RAck {
            rseq: parse_u32_leading_zeros(r).ok_or(HeaderError::BadRAck)?,
            cseq: parse_u32_leading_zeros(c).ok_or(HeaderError::BadRAck)?,
            method: Method::parse(m).map_err(|_| HeaderError::BadRAck)?,
        })
    }
}

impl fmt::Display for RAck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.rseq, self.cseq, self.method)
    }
}

/// A comma list of tokens: Require, Supported, Unsupported, Proxy-Require (option-tags,
/// RFC 3261 20.32, 20.37, 20.40), Allow (methods, 20.5), Privacy (priv-values joined by
/// `;`, RFC 3323 4.2 — see [`parse_privacy`]).
pub fn parse_tokens(s: &str) -> Result<Vec<String>, HeaderError> {
    if s.trim().is_empty() {
        // Supported and Allow may be empty (RFC 3261 20.37, 20.5).
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|t| {
            let t = t.trim();
            if is_token(t) {
                Ok(t.to_string())
            } else {
                Err(HeaderError::BadToken)
            }
        })
        .collect()
}

/// Writes tokens as a comma list.
pub fn write_tokens(tokens: &[String]) -> String {
    tokens.join(", ")
}

/// Privacy (RFC 3323 4.2): `priv-value *(";" priv-value)`: header, session, user, none,
/// critical, id (RFC 3325 9.3), history (RFC 7044), or an extension token.
pub fn parse_privacy(s: &str) -> Result<Vec<String>, HeaderError> {
    s.split(';')
        .map(|t| {
            let t = t.trim();
            if is_token(t) {
                Ok(t.to_string())
            } else {
                Err(HeaderError::BadToken)
            }
        })
        .collect()
}

/// Writes priv-values joined by `;`.
pub fn write_privacy(values: &[String]) -> String {
    values.join(";")
}

/// Session-Expires (RFC 4028 4): delta-seconds and an optional `refresher=uac|uas`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionExpires {
    pub delta: u32,
    pub params: Params,
}

/// Who refreshes the session (RFC 4028 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresher {
    Uac,
    Uas,
}

impl SessionExpires {
    pub fn parse(s: &str) -> Result<SessionExpires, HeaderError> {
        let s = s.trim();
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let delta = parse_u32_leading_zeros(s.get(..end).unwrap_or_default())
            .ok_or(HeaderError::BadSessionExpires)?;
        let params = Params::parse_generic(s.get(end..).unwrap_or_default())?;
        Ok(SessionExpires { delta, params })
    }

    pub fn refresher(&self) -> Option<Refresher> {
        match self
            .params
            .value("refresher")?
            .to_ascii_lowercase()
            .as_str()
        {
            "uac" => Some(Refresher::Uac),
            "uas" => Some(Refresher::Uas),
            _ => None,
        }
    }
}

impl fmt::Display for SessionExpires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.delta)?;
        let mut p = String::new();
        self.params.write(&mut p);
        f.write_str(&p)
    }
}

/// Min-SE (RFC 4028 5): delta-seconds with generic params; same shape as Session-Expires.
pub type MinSe = SessionExpires;

/// Content-Disposition (RFC 3261 20.11): disposition type and params (`handling`, RFC 3204).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentDisposition {
    pub disposition: String,
    pub params: Params,
}

impl ContentDisposition {
    pub fn parse(s: &str) -> Result<ContentDisposition, HeaderError> {
        let s = s.trim();
        let end = s.find(|c: char| !is_token_char(c)).unwrap_or(s.len());
        let d = s.get(..end).unwrap_or_default();
        if d.is_empty() {
            return Err(HeaderError::BadToken);
        }
        Ok(ContentDisposition {
            disposition: d.to_string(),
            params: Params::parse_generic(s.get(end..).unwrap_or_default())?,
        })
    }

    /// `handling` (`optional` / `required`); RFC 3261 20.11: required when absent.
    pub fn handling_optional(&self) -> bool {
        self.params
            .value("handling")
            .is_some_and(|h| h.eq_ignore_ascii_case("optional"))
    }
}

impl fmt::Display for ContentDisposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.disposition)?;
        let mut p = String::new();
        self.params.write(&mut p);
        f.write_str(&p)
    }
}

/// Content-Type (RFC 3261 20.15) via the `mime` crate (RFC 2045 media-type).
pub fn parse_content_type(s: &str) -> Result<mime::Mime, HeaderError> {
    // The mime crate does not take LWS around ';' and '='; remove it outside quotes.
    let compact = compact_params(s.trim());
    compact
        .parse::<mime::Mime>()
        .map_err(|_| HeaderError::BadContentType)
}

fn compact_params(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_q = false;
    let mut prev_sep = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if in_q {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_q = false;
            }
            continue;
        }
        if is_wsp(c) {
            let next_sep = chars.peek().is_some_and(|n| *n == ';' || *n == '=');
            if prev_sep || next_sep {
                continue;
            }
        }
        if c == '"' {
            in_q = true;
        }
        prev_sep = c == ';' || c == '=';
        out.push(c);
    }
    out
}

/// Event (RFC 6665 8.2.1): event type and params (`id`).
pub type Event = ContentDisposition;
