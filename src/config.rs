//! The configuration file (DESIGN.md, "Configuration"): `[sip]`, `[[link]]` and `[[route]]`.
//!
//! Reading is two steps: serde reads the TOML into a raw form whose values carry their spans,
//! then validation turns it into [`Config`] and reports the first problem as one
//! [`ConfigError`] naming the file, the line and the field (`link[1].opc`), which is what
//! operators see from `sipt-mgc check-config` and every other command that takes `--config`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::interwork::causes;
use crate::route::{self, Codec, NatureOfAddressChoice};

/// A validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub sip: Option<SipConfig>,
    pub links: Vec<LinkConfig>,
    pub routes: Vec<RouteConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipConfig {
    /// `udp:ADDR:PORT`, `tcp:ADDR:PORT`, ...
    pub listen: Vec<String>,
    /// Peers (address/prefix) that may send and receive encapsulated ISUP/QSIG.
    pub trusted: Vec<String>,
    /// The cause mapping profile the routes' overrides apply to (`causes = "rfc3398"` or
    /// `"q1912.5"`).
    pub causes: CauseProfile,
    /// How redirection (ISUP redirection information, QSIG divertingLegInformation2) is
    /// written into SIP (`redirection = "history-info"`, the default, RFC 7044; or
    /// `"diversion"`, RFC 5806, for peers that know only Diversion). Both are read.
    pub diversion_header: bool,
}

/// A cause <-> status mapping profile (`[sip] causes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CauseProfile {
    /// RFC 3398 7.2.4.1 and 8.2.6.1, [`crate::interwork::causes::CauseMap::rfc3398`].
    #[default]
    Rfc3398,
    /// ITU-T Q.1912.5, [`crate::interwork::causes::CauseMap::q1912_5`]. A configuration file
    /// may name it once its tables are whole
    /// ([`crate::interwork::causes::Q1912_5_COMPLETE`]).
    Q1912_5,
}

impl CauseProfile {
    /// The name as `[sip] causes` spells it, which is also the
    /// [`crate::interwork::causes::CauseMap::profile`] name.
    pub fn name(self) -> &'static str {
        match self {
            CauseProfile::Rfc3398 => "rfc3398",
            CauseProfile::Q1912_5 => "q1912.5",
        }
    }
}

/// How a new outgoing call picks a circuit of a link (`[[link]] selection`); see
/// [`crate::route::Selection`] and [`crate::route::CircuitSelector`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SelectionPolicy {
    /// The first free circuit in the order of the link's `cics`/`channels`.
    Sequential,
    /// The next free circuit after the one chosen last.
    RoundRobin,
    /// Odd circuits first, then the others.
    Odd,
    /// Even circuits first, then the others.
    Even,
    /// The parity this end controls: ISUP, even when OPC > DPC, else odd (Q.764 2.9.1.4);
    /// QSIG, odd for role network, even for role user. The default.
    #[default]
    Auto,
}

/// The signalling protocol of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// SS7: MTP2, MTP3, ISUP.
    Isup,
    /// QSIG: Q.921, Q.931 (ECMA-143).
    Qsig,
}

/// How a link attaches (DESIGN.md, "Link transports").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// One HDLC frame per read or datagram, plus 2 FCS octets.
    Frames,
    /// Octet-stuffed HDLC with FCS-16 on a tty.
    Serial,
}

/// The Q.921/Q.931 side a QSIG link takes (opposite to the PBX's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Network,
}

/// One `[[link]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkConfig {
    pub name: String,
    pub protocol: Protocol,
    /// ISUP variant (`itu`).
    pub variant: Option<String>,
    pub transport: TransportKind,
    pub path: String,
    /// Line rate of a serial link, bit/s.
    pub baud: Option<u32>,
    /// ISUP: own and adjacent signalling point codes (ITU: 14 bits).
    pub opc: Option<u32>,
    pub dpc: Option<u32>,
    /// ISUP: signalling link code of this link within the linkset to `dpc` (Q.704 2.2.4);
    /// links with the same `opc` and `dpc` form one linkset. Default: the link's order among
    /// them.
    pub slc: Option<u8>,
    /// ISUP: network indicator (Q.704 14.2.1: 0 international, 1 spare, 2 national, 3
    /// national spare). Default national.
    pub network_indicator: u8,
    /// ISUP: the circuits (CICs) of the link.
    pub cics: Vec<u32>,
    /// QSIG: our role.
    pub role: Option<Role>,
    /// QSIG: the B-channels.
    pub channels: Vec<u32>,
    pub trunk_group: Option<String>,
    /// Circuit selection for outgoing calls. Default [`SelectionPolicy::Auto`].
    pub selection: SelectionPolicy,
    /// How the called number of incoming IAMs meets SIP when it comes in pieces (RFC 3578):
    /// `"none"` (default: the IAM is complete), `"en-bloc"` (collect IAM and SAM digits,
    /// then one INVITE) or `"sip"` (a new INVITE with the digits so far for every SAM).
    pub overlap: crate::interwork::overlap::Overlap,
    /// The media gateway's RTP address and base port: the circuit at index `i` of
    /// `cics`/`channels` has port `base + 2 * i` (RTCP on the next, RFC 3550 11).
    pub media: Option<SocketAddr>,
    /// The codec of the circuits' RTP. Default PCMA (G.711 A-law, the E1 law); the config
    /// has no span profile, so a T1 (mu-law) link says `codec = "pcmu"`.
    pub codec: Codec,
    /// ISUP: the exchange type of the compatibility procedures (Q.764 2.9.5.2), `"A"`
    /// (default: an end node, which cannot pass unrecognised information on) or `"B"` (a
    /// transit node: unrecognised messages and parameters pass on as their instructions say,
    /// to the other circuit of a transit call or in the encapsulated ISUP of SIP-T).
    pub exchange_type: crate::isup::ExchangeType,
}

/// One `[[route]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteConfig {
    pub prefix: String,
    pub to: String,
    /// Characters removed from the front of the routing form (a leading `+` counts as one).
    pub strip: usize,
    /// Put in front after `strip`.
    pub prepend: String,
    /// The nature of address the called number gets (and the `+` in `{number}`).
    pub noa: Option<NatureOfAddressChoice>,
    /// Targets tried in order after `to` on 503, 408 or a timeout.
    pub alternates: Vec<String>,
    /// Overrides of rows of RFC 3398 7.2.4.1: ISUP cause -> SIP status.
    pub cause_to_status: Vec<(u8, u16)>,
    /// Overrides of rows of RFC 3398 8.2.6.1: SIP status -> ISUP cause.
    pub status_to_cause: Vec<(u16, u8)>,
}

/// A configuration problem: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The field, as `link[1].opc`, when the problem is in one.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    sip: Option<RawSip>,
    #[serde(default)]
    link: Vec<Spanned<RawLink>>,
    #[serde(default)]
    route: Vec<Spanned<RawRoute>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSip {
    #[serde(default)]
    listen: Vec<String>,
    #[serde(default)]
    trusted: Vec<String>,
    causes: Option<Spanned<String>>,
    redirection: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    name: Option<Spanned<String>>,
    protocol: Option<Spanned<String>>,
    variant: Option<Spanned<String>>,
    transport: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    baud: Option<Spanned<i64>>,
    opc: Option<Spanned<i64>>,
    dpc: Option<Spanned<i64>>,
    slc: Option<Spanned<i64>>,
    network_indicator: Option<Spanned<i64>>,
    cics: Option<Spanned<String>>,
    role: Option<Spanned<String>>,
    channels: Option<Spanned<String>>,
    trunk_group: Option<Spanned<String>>,
    selection: Option<Spanned<String>>,
    overlap: Option<Spanned<String>>,
    media: Option<Spanned<String>>,
    codec: Option<Spanned<String>>,
    exchange_type: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    prefix: Option<Spanned<String>>,
    to: Option<Spanned<String>>,
    strip: Option<Spanned<i64>>,
    prepend: Option<Spanned<String>>,
    noa: Option<Spanned<String>>,
    alternates: Option<Vec<Spanned<String>>>,
    cause_to_status: Option<Spanned<BTreeMap<String, Spanned<i64>>>>,
    status_to_cause: Option<Spanned<BTreeMap<String, Spanned<i64>>>>,
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            line: None,
            field: None,
            message: e.to_string(),
        })?;
        Config::parse(path, &text)
    }

    /// Validates the text of a configuration file (`path` only names it in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let v = Validator { path, text };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_string();
            v.error(e.span(), None, message)
        })?;
        v.config(raw)
    }

    /// The links that form one linkset with `link`: those with the same OPC and DPC, in file
    /// order.
    pub fn linkset_of(&self, link: &LinkConfig) -> Vec<&LinkConfig> {
        self.links
            .iter()
            .filter(|l| l.protocol == Protocol::Isup && l.opc == link.opc && l.dpc == link.dpc)
            .collect()
    }
}

struct Validator<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Validator<'_> {
    fn line_of(&self, offset: usize) -> usize {
        self.text
            .get(..offset.min(self.text.len()))
            .map_or(1, |s| s.bytes().filter(|&b| b == b'\n').count() + 1)
    }

    fn error(
        &self,
        span: Option<Range<usize>>,
        field: Option<String>,
        message: String,
    ) -> ConfigError {
        ConfigError {
            file: self.path.to_path_buf(),
            line: span.map(|s| self.line_of(s.start)),
            field,
            message,
        }
    }

    fn config(&self, raw: RawConfig) -> Result<Config, ConfigError> {
        let mut links = Vec::new();
        for (i, l) in raw.link.into_iter().enumerate() {
            let span = l.span();
            links.push(self.link(i, span, l.into_inner())?);
        }
        for (i, a) in links.iter().enumerate() {
            if let Some(b) = links[..i].iter().find(|b| b.name == a.name) {
                return Err(self.error(
                    None,
                    Some(format!("link[{i}].name")),
                    format!(
                        "\"{}\" names two links (the other is link {})",
                        a.name,
                        links.iter().position(|x| x.name == b.name).unwrap_or(0)
                    ),
                ));
            }
        }
        self.slcs(&mut links)?;
        let mut routes: Vec<RouteConfig> = Vec::new();
        for (i, r) in raw.route.into_iter().enumerate() {
            let span = r.span();
            let route = self.route(i, span.clone(), r.into_inner(), &links)?;
            // Longest match decides between routes; two with one prefix would be a tie.
            if let Some(j) = routes.iter().position(|o| o.prefix == route.prefix) {
                return Err(self.error(
                    Some(span),
                    Some(format!("route[{i}].prefix")),
                    format!("\"{}\" is also route[{j}]'s prefix", route.prefix),
                ));
            }
            routes.push(route);
        }
        let sip = match raw.sip {
            None => None,
            Some(s) => {
                let causes = match &s.causes {
                    None => CauseProfile::Rfc3398,
                    Some(c) => match c.get_ref().as_str() {
                        "rfc3398" => CauseProfile::Rfc3398,
                        "q1912.5" if causes::Q1912_5_COMPLETE => CauseProfile::Q1912_5,
                        // "q1912.5" too while its tables are not whole (`Q1912_5_COMPLETE`):
                        // the file may name only the profiles that are.
                        other => {
                            let usable: Vec<String> = causes::PROFILES
                                .iter()
                                .filter(|&&p| p != "q1912.5" || causes::Q1912_5_COMPLETE)
                                .map(|p| format!("\"{p}\""))
                                .collect();
                            let message = match usable.as_slice() {
                                [one] => format!("\"{other}\": the only cause profile is {one}"),
                                all => format!(
                                    "\"{other}\": the cause profiles are {}",
                                    all.join(" and ")
                                ),
                            };
                            return Err(self.error(
                                Some(c.span()),
                                Some("sip.causes".into()),
                                message,
                            ));
                        }
                    },
                };
                let diversion_header = match &s.redirection {
                    None => false,
                    Some(r) => match r.get_ref().as_str() {
                        "history-info" => false,
                        "diversion" => true,
                        other => {
                            return Err(self.error(
                                Some(r.span()),
                                Some("sip.redirection".into()),
                                format!(
                                    "\"{other}\": \"history-info\" (RFC 7044) or \"diversion\" \
                                     (RFC 5806)"
                                ),
                            ))
                        }
                    },
                };
                Some(SipConfig {
                    listen: s.listen,
                    trusted: s.trusted,
                    causes,
                    diversion_header,
                })
            }
        };
        Ok(Config { sip, links, routes })
    }

    fn route(
        &self,
        i: usize,
        span: Range<usize>,
        r: RawRoute,
        links: &[LinkConfig],
    ) -> Result<RouteConfig, ConfigError> {
        let field = |n: &str| Some(format!("route[{i}].{n}"));
        let prefix = r
            .prefix
            .ok_or_else(|| self.error(Some(span.clone()), field("prefix"), "missing".into()))?;
        let p = prefix.get_ref();
        if !route::is_number(p) {
            return Err(self.error(
                Some(prefix.span()),
                field("prefix"),
                format!("\"{p}\" is not a number prefix (digits, optionally after +)"),
            ));
        }
        let to =
            r.to.ok_or_else(|| self.error(Some(span.clone()), field("to"), "missing".into()))?;
        let target = |t: &Spanned<String>, name: &str| {
            route::check_target(t.get_ref(), links)
                .map_err(|e| self.error(Some(t.span()), field(name), e.to_string()))
        };
        target(&to, "to")?;
        let mut alternates = Vec::new();
        for (k, a) in r.alternates.unwrap_or_default().into_iter().enumerate() {
            target(&a, &format!("alternates[{k}]"))?;
            alternates.push(a.into_inner());
        }
        let strip = match &r.strip {
            // A called party number holds at most a few dozen digits (Q.763 3.9).
            Some(n) => self.ranged(n, 0, 32, &format!("route[{i}].strip"))? as usize,
            None => 0,
        };
        let prepend = match r.prepend {
            Some(p) if !route::is_number(p.get_ref()) => {
                return Err(self.error(
                    Some(p.span()),
                    field("prepend"),
                    format!("\"{}\" is not digits (optionally after +)", p.get_ref()),
                ))
            }
            Some(p) => p.into_inner(),
            None => String::new(),
        };
        let noa = match &r.noa {
            None => None,
            Some(n) => Some(NatureOfAddressChoice::from_name(n.get_ref()).ok_or_else(|| {
                self.error(
                    Some(n.span()),
                    field("noa"),
                    format!(
                        "\"{}\": expected \"international\", \"national\", \"subscriber\" or \"unknown\"",
                        n.get_ref()
                    ),
                )
            })?),
        };
        let mut cause_to_status = Vec::new();
        if let Some(m) = &r.cause_to_status {
            for (k, v) in m.get_ref() {
                let name = format!("route[{i}].cause_to_status.{k}");
                // Q.850 cause values are 7 bits; 0 is not a cause.
                let cause = self.key(k, m.span(), 1, 127, &name)?;
                // A final response other than 2xx (RFC 3398 7.2.4.1 maps to 3xx-6xx).
                let status = self.ranged(v, 300, 699, &name)?;
                cause_to_status.push((cause as u8, status as u16));
            }
        }
        let mut status_to_cause = Vec::new();
        if let Some(m) = &r.status_to_cause {
            for (k, v) in m.get_ref() {
                let name = format!("route[{i}].status_to_cause.{k}");
                // RFC 3398 8.2.6.1 maps 4xx-6xx; a 3xx a gateway does not follow is allowed too.
                let status = self.key(k, m.span(), 300, 699, &name)?;
                let cause = self.ranged(v, 1, 127, &name)?;
                status_to_cause.push((status as u16, cause as u8));
            }
        }
        Ok(RouteConfig {
            prefix: p.clone(),
            to: to.into_inner(),
            strip,
            prepend,
            noa,
            alternates,
            cause_to_status,
            status_to_cause,
        })
    }

    /// A number used as a table key (`{ 18 = 480 }`), within `min..=max`; keys have no span of
    /// their own, so errors point at the table.
    fn key(
        &self,
        k: &str,
        span: Range<usize>,
        min: u32,
        max: u32,
        field: &str,
    ) -> Result<u32, ConfigError> {
        match k.parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(self.error(
                Some(span),
                Some(field.into()),
                format!("key \"{k}\" is not a number within {min}..={max}"),
            )),
        }
    }

    fn link(&self, i: usize, span: Range<usize>, l: RawLink) -> Result<LinkConfig, ConfigError> {
        let field = |n: &str| Some(format!("link[{i}].{n}"));
        let missing = |n: &str| self.error(Some(span.clone()), field(n), "missing".into());
        let bad = |s: Range<usize>, n: &str, m: String| self.error(Some(s), field(n), m);

        let name = l.name.ok_or_else(|| missing("name"))?.into_inner();
        let protocol = l.protocol.ok_or_else(|| missing("protocol"))?;
        let protocol = match protocol.get_ref().as_str() {
            "isup" => Protocol::Isup,
            "qsig" => Protocol::Qsig,
            other => {
                return Err(bad(
                    protocol.span(),
                    "protocol",
                    format!("\"{other}\": expected \"isup\" or \"qsig\""),
                ))
            }
        };
        let transport = l.transport.ok_or_else(|| missing("transport"))?;
        let transport = match transport.get_ref().as_str() {
            "frames" => TransportKind::Frames,
            "serial" => TransportKind::Serial,
            other => {
                return Err(bad(
                    transport.span(),
                    "transport",
                    format!("\"{other}\": expected \"frames\" or \"serial\""),
                ))
            }
        };
        let path = l.path.ok_or_else(|| missing("path"))?;
        if transport == TransportKind::Frames {
            let p = path.get_ref();
            if !(p.starts_with("unix:")
                || p.starts_with("unix-listen:")
                || p.starts_with("/dev/dahdi/"))
            {
                return Err(bad(
                    path.span(),
                    "path",
                    format!("\"{p}\": a frames link is unix:PATH, unix-listen:PATH or /dev/dahdi/channel:N"),
                ));
            }
        }
        let baud = match (transport, l.baud) {
            (_, Some(b)) => Some(self.ranged(&b, 300, 10_000_000, &format!("link[{i}].baud"))?),
            (TransportKind::Serial, None) => return Err(missing("baud")),
            (TransportKind::Frames, None) => None,
        };
        let mut out = LinkConfig {
            name,
            protocol,
            variant: l.variant.map(Spanned::into_inner),
            transport,
            path: path.into_inner(),
            baud,
            opc: None,
            dpc: None,
            slc: None,
            network_indicator: 2,
            cics: Vec::new(),
            role: None,
            channels: Vec::new(),
            trunk_group: l.trunk_group.map(Spanned::into_inner),
            selection: SelectionPolicy::Auto,
            overlap: crate::interwork::overlap::Overlap::None,
            media: None,
            codec: Codec::Pcma,
            exchange_type: crate::isup::ExchangeType::A,
        };
        if let Some(x) = &l.exchange_type {
            out.exchange_type = match x.get_ref().as_str() {
                "A" | "a" => crate::isup::ExchangeType::A,
                "B" | "b" => crate::isup::ExchangeType::B,
                other => {
                    return Err(bad(
                        x.span(),
                        "exchange_type",
                        format!("\"{other}\": expected \"A\" or \"B\" (Q.764 2.9.5.2)"),
                    ))
                }
            };
        }
        if let Some(o) = &l.overlap {
            out.overlap =
                crate::interwork::overlap::Overlap::from_name(o.get_ref()).ok_or_else(|| {
                    bad(
                        o.span(),
                        "overlap",
                        format!(
                            "\"{}\": expected \"none\", \"en-bloc\" or \"sip\"",
                            o.get_ref()
                        ),
                    )
                })?;
        }
        if let Some(sel) = &l.selection {
            out.selection = match sel.get_ref().as_str() {
                "sequential" => SelectionPolicy::Sequential,
                "round-robin" => SelectionPolicy::RoundRobin,
                "odd" => SelectionPolicy::Odd,
                "even" => SelectionPolicy::Even,
                "auto" => SelectionPolicy::Auto,
                other => {
                    return Err(bad(
                        sel.span(),
                        "selection",
                        format!("\"{other}\": expected \"sequential\", \"round-robin\", \"odd\", \"even\" or \"auto\""),
                    ))
                }
            };
        }
        if let Some(codec) = &l.codec {
            out.codec = match codec.get_ref().as_str() {
                "pcma" => Codec::Pcma,
                "pcmu" => Codec::Pcmu,
                other => {
                    return Err(bad(
                        codec.span(),
                        "codec",
                        format!("\"{other}\": expected \"pcma\" or \"pcmu\""),
                    ))
                }
            };
        }
        match protocol {
            Protocol::Isup => {
                if let Some(v) = &out.variant {
                    if v != "itu" {
                        return Err(self.error(
                            None,
                            field("variant"),
                            format!("\"{v}\": only \"itu\" is supported"),
                        ));
                    }
                }
                // ITU point codes are 14 bits (Q.704 2.2.2).
                out.opc = Some(self.ranged(
                    &l.opc.ok_or_else(|| missing("opc"))?,
                    0,
                    0x3fff,
                    &format!("link[{i}].opc"),
                )?);
                out.dpc = Some(self.ranged(
                    &l.dpc.ok_or_else(|| missing("dpc"))?,
                    0,
                    0x3fff,
                    &format!("link[{i}].dpc"),
                )?);
                if let Some(s) = &l.slc {
                    out.slc = Some(self.ranged(s, 0, 15, &format!("link[{i}].slc"))? as u8);
                }
                if let Some(n) = &l.network_indicator {
                    out.network_indicator =
                        self.ranged(n, 0, 3, &format!("link[{i}].network_indicator"))? as u8;
                }
                let cics = l.cics.ok_or_else(|| missing("cics"))?;
                // ITU CICs are 12 bits (Q.763 1.2).
                out.cics = self.ranges(&cics, 0, 0xfff, &format!("link[{i}].cics"))?;
                for n in ["role", "channels"] {
                    let present = match n {
                        "role" => l.role.is_some(),
                        _ => l.channels.is_some(),
                    };
                    if present {
                        return Err(self.error(
                            Some(span.clone()),
                            field(n),
                            "only for protocol = \"qsig\"".into(),
                        ));
                    }
                }
            }
            Protocol::Qsig => {
                let role = l.role.ok_or_else(|| missing("role"))?;
                out.role = Some(match role.get_ref().as_str() {
                    "user" => Role::User,
                    "network" => Role::Network,
                    other => {
                        return Err(bad(
                            role.span(),
                            "role",
                            format!("\"{other}\": expected \"user\" or \"network\""),
                        ))
                    }
                });
                let channels = l.channels.ok_or_else(|| missing("channels"))?;
                // B-channels of a primary rate interface: 1-31 (Q.931 4.5.13).
                out.channels = self.ranges(&channels, 1, 31, &format!("link[{i}].channels"))?;
                for (n, present) in [
                    ("opc", l.opc.is_some()),
                    ("dpc", l.dpc.is_some()),
                    ("cics", l.cics.is_some()),
                ] {
                    if present {
                        return Err(self.error(
                            Some(span.clone()),
                            field(n),
                            "only for protocol = \"isup\"".into(),
                        ));
                    }
                }
            }
        }
        if let Some(media) = &l.media {
            let m = media.get_ref();
            let addr: SocketAddr = m.parse().map_err(|_| {
                bad(
                    media.span(),
                    "media",
                    format!("\"{m}\" is not ADDRESS:PORT (the RTP base port)"),
                )
            })?;
            // RTP on even ports, RTCP on the next odd one (RFC 3550 11); one pair per circuit.
            let circuits = out.cics.len().max(out.channels.len());
            let last = usize::from(addr.port()) + 2 * circuits.saturating_sub(1) + 1;
            if addr.port() % 2 != 0 || addr.port() == 0 || last > usize::from(u16::MAX) {
                return Err(bad(
                    media.span(),
                    "media",
                    format!(
                        "base port {} must be even and leave room for {circuits} RTP/RTCP port pairs",
                        addr.port()
                    ),
                ));
            }
            out.media = Some(addr);
        }
        Ok(out)
    }

    /// Gives every ISUP link of a linkset its SLC: as configured, else the lowest free one;
    /// two links of one linkset may not share an SLC.
    fn slcs(&self, links: &mut [LinkConfig]) -> Result<(), ConfigError> {
        for i in 0..links.len() {
            if links[i].protocol != Protocol::Isup {
                continue;
            }
            let key = (links[i].opc, links[i].dpc);
            let same: Vec<usize> = (0..links.len())
                .filter(|&j| {
                    links[j].protocol == Protocol::Isup && (links[j].opc, links[j].dpc) == key
                })
                .collect();
            if same.len() > 16 {
                return Err(self.error(
                    None,
                    Some(format!("link[{i}]")),
                    "more than 16 links in one linkset (Q.704 2.2.4)".into(),
                ));
            }
            if links[i].slc.is_none() {
                let used: Vec<u8> = same.iter().filter_map(|&j| links[j].slc).collect();
                links[i].slc = (0..16u8).find(|s| !used.contains(s));
            }
            if let Some(&j) = same
                .iter()
                .find(|&&j| j < i && links[j].slc == links[i].slc)
            {
                return Err(self.error(
                    None,
                    Some(format!("link[{i}].slc")),
                    format!(
                        "SLC {} is also link[{j}]'s in the linkset to DPC {}",
                        links[i].slc.unwrap_or(0),
                        key.1.unwrap_or(0)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn ranged(
        &self,
        v: &Spanned<i64>,
        min: i64,
        max: i64,
        field: &str,
    ) -> Result<u32, ConfigError> {
        let n = *v.get_ref();
        if n < min || n > max {
            return Err(self.error(
                Some(v.span()),
                Some(field.into()),
                format!("{n} is outside {min}..={max}"),
            ));
        }
        Ok(n as u32)
    }

    /// `"1-15,17-31"`: a list of numbers and ranges, each within `min..=max`, none twice.
    fn ranges(
        &self,
        v: &Spanned<String>,
        min: u32,
        max: u32,
        field: &str,
    ) -> Result<Vec<u32>, ConfigError> {
        let err = |m: String| self.error(Some(v.span()), Some(field.into()), m);
        let mut out: Vec<u32> = Vec::new();
        for part in v.get_ref().split(',').map(str::trim) {
            let (a, b) = match part.split_once('-') {
                Some((a, b)) => (a.trim(), b.trim()),
                None => (part, part),
            };
            let (a, b) = match (a.parse::<u32>(), b.parse::<u32>()) {
                (Ok(a), Ok(b)) if a <= b => (a, b),
                _ => return Err(err(format!("\"{part}\" is not N or N-M with N <= M"))),
            };
            if a < min || b > max {
                return Err(err(format!("\"{part}\" is outside {min}..={max}")));
            }
            for n in a..=b {
                if out.contains(&n) {
                    return Err(err(format!("{n} appears twice")));
                }
                out.push(n);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESIGN_EXAMPLE: &str = r#"
[sip]
listen = ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"]
trusted = ["127.0.0.1/32"]

[[link]]
name = "e1-0"
protocol = "isup"
variant = "itu"
transport = "frames"
path = "unix:/run/sipt/e1-0.sock"
opc = 1
dpc = 2
cics = "1-15,17-31"
trunk_group = "pstn-a"

[[link]]
name = "pbx-1"
protocol = "qsig"
role = "user"
transport = "serial"
path = "/dev/ttyS1"
baud = 64000
channels = "1-15,17-31"
trunk_group = "pbx"

[[route]]
prefix = "+4930"
to = "sip:{number}@127.0.0.1:5070"
"#;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("gw.toml"), text)
    }

    #[test]
    fn the_design_example_is_valid() {
        let c = parse(DESIGN_EXAMPLE).unwrap();
        assert_eq!(c.links.len(), 2);
        assert_eq!(c.links[0].cics.len(), 30);
        assert_eq!(c.links[0].slc, Some(0));
        assert_eq!(c.links[0].network_indicator, 2);
        assert_eq!(c.links[1].role, Some(Role::User));
        assert_eq!(c.links[1].channels.len(), 30);
        assert_eq!(c.routes[0].prefix, "+4930");
    }

    #[test]
    fn exchange_type_is_a_or_b() {
        use crate::isup::ExchangeType;
        let c = parse(DESIGN_EXAMPLE).unwrap();
        assert!(c.links.iter().all(|l| l.exchange_type == ExchangeType::A));
        let with = |v: &str| {
            DESIGN_EXAMPLE.replacen(
                "[[link]]\n",
                &format!("[[link]]\nexchange_type = \"{v}\"\n"),
                1,
            )
        };
        let b = parse(&with("B")).unwrap();
        assert_eq!(b.links[0].exchange_type, ExchangeType::B);
        let err = parse(&with("C")).unwrap_err().to_string();
        assert!(
            err.contains("exchange_type") && err.contains("\"C\""),
            "{err}"
        );
    }

    #[test]
    fn redirection_is_history_info_or_diversion() {
        let with = |v: &str| {
            DESIGN_EXAMPLE.replacen("[sip]\n", &format!("[sip]\nredirection = \"{v}\"\n"), 1)
        };
        assert!(DESIGN_EXAMPLE.contains("[sip]\n"));
        let default = parse(DESIGN_EXAMPLE).unwrap();
        assert_eq!(default.sip.map(|s| s.diversion_header), Some(false));
        let hi = parse(&with("history-info")).unwrap();
        assert_eq!(hi.sip.map(|s| s.diversion_header), Some(false));
        let div = parse(&with("diversion")).unwrap();
        assert_eq!(div.sip.map(|s| s.diversion_header), Some(true));
        let err = parse(&with("both")).unwrap_err().to_string();
        assert!(
            err.contains("sip.redirection") && err.contains("\"both\""),
            "{err}"
        );
    }

    #[test]
    fn new_keys_have_defaults() {
        let c = parse(DESIGN_EXAMPLE).unwrap();
        for l in &c.links {
            assert_eq!(l.selection, SelectionPolicy::Auto);
            assert_eq!(l.media, None);
            assert_eq!(l.codec, Codec::Pcma);
        }
        let r = &c.routes[0];
        assert_eq!((r.strip, r.prepend.as_str(), r.noa), (0, "", None));
        assert!(r.alternates.is_empty());
        assert!(r.cause_to_status.is_empty() && r.status_to_cause.is_empty());
        assert_eq!(c.sip.map(|s| s.causes), Some(CauseProfile::Rfc3398));
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let bad = DESIGN_EXAMPLE.replace("opc = 1", "opc = 20000");
        let e = parse(&bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "gw.toml:12: link[0].opc: 20000 is outside 0..=16383"
        );
        let bad = DESIGN_EXAMPLE.replace("cics = \"1-15,17-31\"", "cics = \"1-15,15\"");
        assert_eq!(
            parse(&bad).unwrap_err().to_string(),
            "gw.toml:14: link[0].cics: 15 appears twice"
        );
        let bad = DESIGN_EXAMPLE.replace("baud = 64000\n", "");
        let e = parse(&bad).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("link[1].baud"));
        assert_eq!(e.line, Some(17));
        let bad = DESIGN_EXAMPLE.replace("role = \"user\"", "role = \"master\"");
        assert!(parse(&bad)
            .unwrap_err()
            .to_string()
            .contains("link[1].role: \"master\""));
        let bad = DESIGN_EXAMPLE.replace("to = \"sip:", "to = \"http:");
        assert_eq!(
            parse(&bad).unwrap_err().field.as_deref(),
            Some("route[0].to")
        );
        let bad = DESIGN_EXAMPLE.replace(
            "trunk_group = \"pstn-a\"",
            "trunk_group = \"pstn-a\"\nbogus = 1",
        );
        let e = parse(&bad).unwrap_err();
        assert_eq!(e.line, Some(16));
        assert!(e.message.contains("bogus"), "{e}");
    }

    #[test]
    fn links_to_one_dpc_form_a_linkset_with_distinct_slcs() {
        let two = r#"
[[link]]
name = "a"
protocol = "isup"
transport = "frames"
path = "unix-listen:/tmp/a"
opc = 1
dpc = 2
cics = "1-31"
[[link]]
name = "b"
protocol = "isup"
transport = "frames"
path = "unix-listen:/tmp/b"
opc = 1
dpc = 2
cics = "33-63"
"#;
        let c = parse(two).unwrap();
        assert_eq!(c.links[0].slc, Some(0));
        assert_eq!(c.links[1].slc, Some(1));
        assert_eq!(c.linkset_of(&c.links[1]).len(), 2);
        let clash = two
            .replace("cics = \"1-31\"", "cics = \"1-31\"\nslc = 3")
            .replace("cics = \"33-63\"", "cics = \"33-63\"\nslc = 3");
        assert!(parse(&clash)
            .unwrap_err()
            .to_string()
            .contains("link[1].slc"));
        let dup = two.replace("name = \"b\"", "name = \"a\"");
        assert_eq!(
            parse(&dup).unwrap_err().field.as_deref(),
            Some("link[1].name")
        );
    }
}
