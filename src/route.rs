//! Routing (DESIGN.md, "Configuration"): the `[[route]]` table with its digit manipulation and
//! cause-table overrides, circuit selection on a trunk group, and the media endpoint (RTP
//! address, port and codec) of a circuit.
//!
//! A route matches the called number (ISUP called party number, QSIG called number, or the
//! user part of the Request-URI) in its *routing form*: `+` and the digits when it is
//! international, the digits as received otherwise. The longest matching prefix wins; `""` is
//! the default route. The matched route then rewrites the number:
//!
//! 1. `strip = N` removes the first N characters of the routing form; a leading `+` is one of
//!    them (so `+4930…` with `strip = 3` gives `30…`). Stripping more than there is leaves
//!    nothing.
//! 2. `prepend = "…"` is put in front. When it starts with `+`, a `+` left at the front of the
//!    number after step 1 is dropped, so that the result has one `+`.
//! 3. `noa = "…"` gives the called number its nature of address (RFC 3398 12.2: a national
//!    route strips the country code and says 'national (significant) number'); the `+` follows
//!    it: added for `international`, removed for the others. Without `noa` the form of step 2
//!    stands, and an ISUP called party number says international when it has a `+` and
//!    unknown otherwise (the RFC leaves numbers without `+` to the national dialling plan,
//!    12.2; 'unknown' promises nothing about it).
//!
//! `{number}` in a SIP target is the result. Routing is one pass: the result is not looked up
//! again. Everything here is pure: no I/O, no clock.

use std::fmt;
use std::net::IpAddr;

use sipt_codecs::isup::NatureOfAddress;

use crate::config::{CauseProfile, Config, LinkConfig, Protocol, Role, SelectionPolicy};
use crate::interwork::causes::{CauseMap, IsupOutcome, SipOutcome};

/// Characters a number may hold after an optional leading `+`: the address signals as
/// hexadecimal digits (Q.763 3.9 f: 0-9, B code 11, C code 12, F ST; the spare codes A, D
/// and E are accepted as the configuration always has) and `*`/`#`, as a SIP user part
/// writes codes 11 and 12.
fn is_address_signal(c: char) -> bool {
    c.is_ascii_hexdigit() || c == '*' || c == '#'
}

/// Whether `s` is a number or number prefix in routing form: optional `+`, then address
/// signals (possibly none).
pub fn is_number(s: &str) -> bool {
    s.strip_prefix('+')
        .unwrap_or(s)
        .chars()
        .all(is_address_signal)
}

/// The visual separators of a telephone number (RFC 3966 5.1.1), which routing ignores.
fn is_visual_separator(c: char) -> bool {
    matches!(c, '-' | '.' | '(' | ')' | ' ')
}

/// The nature of address a route gives the called number (`[[route]] noa`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatureOfAddressChoice {
    International,
    National,
    Subscriber,
    Unknown,
}

impl NatureOfAddressChoice {
    /// From the configuration word.
    pub fn from_name(name: &str) -> Option<NatureOfAddressChoice> {
        Some(match name {
            "international" => NatureOfAddressChoice::International,
            "national" => NatureOfAddressChoice::National,
            "subscriber" => NatureOfAddressChoice::Subscriber,
            "unknown" => NatureOfAddressChoice::Unknown,
            _ => return None,
        })
    }

    /// The configuration word.
    pub fn name(self) -> &'static str {
        match self {
            NatureOfAddressChoice::International => "international",
            NatureOfAddressChoice::National => "national",
            NatureOfAddressChoice::Subscriber => "subscriber",
            NatureOfAddressChoice::Unknown => "unknown",
        }
    }

    /// The nature of address indicator of an ISUP called party number (Q.763 3.9 b).
    pub fn to_isup(self) -> NatureOfAddress {
        match self {
            NatureOfAddressChoice::International => NatureOfAddress::InternationalNumber,
            NatureOfAddressChoice::National => NatureOfAddress::NationalNumber,
            NatureOfAddressChoice::Subscriber => NatureOfAddress::SubscriberNumber,
            NatureOfAddressChoice::Unknown => NatureOfAddress::UnknownNumber,
        }
    }
}

/// Why a route cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    #[error("\"{prefix}\" is not a number prefix (digits, optionally after +)")]
    BadPrefix { prefix: String },
    #[error("\"{to}\" is neither a SIP/tel URI nor trunk:GROUP")]
    NotATarget { to: String },
    #[error("no link has trunk_group \"{group}\"")]
    UnknownTrunkGroup { group: String },
    #[error("\"{prefix}\" is the prefix of two routes")]
    DuplicatePrefix { prefix: String },
}

/// Checks a route target (`to` or an alternate): a `sip:`, `sips:` or `tel:` URI template, or
/// `trunk:GROUP` naming the `trunk_group` of one of `links`.
pub fn check_target(to: &str, links: &[LinkConfig]) -> Result<(), RouteError> {
    match Target::from_template(to, "") {
        None => Err(RouteError::NotATarget { to: to.into() }),
        Some(Target::Trunk { group })
            if !links
                .iter()
                .any(|l| l.trunk_group.as_deref() == Some(group.as_str())) =>
        {
            Err(RouteError::UnknownTrunkGroup { group })
        }
        Some(_) => Ok(()),
    }
}

/// Where a call goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A SIP (or tel) URI, `{number}` filled in.
    Sip { uri: String },
    /// PSTN termination on a trunk group (the links with this `trunk_group`).
    Trunk { group: String },
}

impl Target {
    /// The target of a `to`/alternate template for `number`; None when it is not one.
    fn from_template(template: &str, number: &str) -> Option<Target> {
        if let Some(group) = template.strip_prefix("trunk:") {
            return (!group.is_empty()).then(|| Target::Trunk {
                group: group.into(),
            });
        }
        ["sip:", "sips:", "tel:"]
            .iter()
            .any(|s| template.starts_with(s))
            .then(|| Target::Sip {
                uri: template.replace("{number}", number),
            })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Sip { uri } => f.write_str(uri),
            Target::Trunk { group } => write!(f, "trunk:{group}"),
        }
    }
}

/// Whether a failed attempt on one target moves on to the next of [`Decision::targets`]:
/// on 503 (the target is overloaded or down) and 408 or a timeout (`None`: no final
/// response at all), as `[[route]] alternates` promises. Any other final response is the
/// called party's answer and ends the call (RFC 3398 is silent on alternate routing; this is
/// what a trunk group overflow does). A trunk target's release maps to a status first
/// ([`Decision::causes`]): causes 34, 38, 41, 42 and 47 give 503 and so move on too.
pub fn tries_alternate(final_status: Option<u16>) -> bool {
    matches!(final_status, None | Some(408) | Some(503))
}

/// The routing decision for one called number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The prefix of the route that matched (`""` for the default route).
    pub prefix: String,
    /// The called number after the route's digit manipulation, in routing form.
    pub number: String,
    /// The route's `noa`, if it sets one.
    pub noa: Option<NatureOfAddressChoice>,
    /// The primary target, then the alternates, tried in order on 503, 408 or a timeout.
    pub targets: Vec<Target>,
    /// The cause mapping for the call: the profile with the route's overrides.
    pub causes: CauseMap,
    /// The route's overrides of RFC 3398 7.2.4.1 rows (ISUP cause, SIP status).
    pub cause_to_status: Vec<(u8, u16)>,
    /// The route's overrides of RFC 3398 8.2.6.1 rows (SIP status, ISUP cause).
    pub status_to_cause: Vec<(u16, u8)>,
}

impl Decision {
    /// The nature of address of the called party number towards a trunk: the route's, else
    /// international for a number with `+` and unknown for one without (module docs).
    pub fn nature_of_address(&self) -> NatureOfAddress {
        match self.noa {
            Some(n) => n.to_isup(),
            None if self.number.starts_with('+') => NatureOfAddress::InternationalNumber,
            None => NatureOfAddress::UnknownNumber,
        }
    }

    /// The address signals of the called party number (the number without `+`).
    pub fn digits(&self) -> &str {
        self.number.strip_prefix('+').unwrap_or(&self.number)
    }
}

/// One route, ready to match.
#[derive(Debug, Clone)]
struct Route {
    prefix: String,
    to: Vec<String>,
    strip: usize,
    prepend: String,
    noa: Option<NatureOfAddressChoice>,
    causes: CauseMap,
    cause_to_status: Vec<(u8, u16)>,
    status_to_cause: Vec<(u16, u8)>,
}

impl Route {
    /// Steps 1-3 of the module docs.
    fn manipulate(&self, number: &str) -> String {
        let rest: String = number.chars().skip(self.strip).collect();
        let rest = if self.prepend.starts_with('+') {
            rest.strip_prefix('+').unwrap_or(&rest).to_string()
        } else {
            rest
        };
        let out = format!("{}{rest}", self.prepend);
        match self.noa {
            None => out,
            Some(NatureOfAddressChoice::International) if out.starts_with('+') => out,
            Some(NatureOfAddressChoice::International) => format!("+{out}"),
            Some(_) => out.strip_prefix('+').unwrap_or(&out).to_string(),
        }
    }
}

/// The `[[route]]` table.
#[derive(Debug, Clone)]
pub struct RouteTable {
    /// Longest prefix first, so the first match is the longest.
    routes: Vec<Route>,
}

impl RouteTable {
    /// The routes of `config`, with the cause profile of `[sip] causes` and each route's
    /// overrides. [`Config::parse`] has checked all of this already; a configuration built
    /// by hand is checked again.
    pub fn from_config(config: &Config) -> Result<RouteTable, RouteError> {
        // `[sip] causes`, RFC 3398 without a `[sip]` table; the routes' overrides go on top.
        // A configuration built by hand may pick Q.1912.5 while a file may not yet
        // (`causes::Q1912_5_COMPLETE`).
        let profile = match config.sip.as_ref().map(|s| s.causes).unwrap_or_default() {
            CauseProfile::Rfc3398 => CauseMap::rfc3398(),
            CauseProfile::Q1912_5 => CauseMap::q1912_5(),
        };
        let mut routes: Vec<Route> = Vec::new();
        for r in &config.routes {
            if !is_number(&r.prefix) {
                return Err(RouteError::BadPrefix {
                    prefix: r.prefix.clone(),
                });
            }
            if routes.iter().any(|o| o.prefix == r.prefix) {
                return Err(RouteError::DuplicatePrefix {
                    prefix: r.prefix.clone(),
                });
            }
            let mut to = vec![r.to.clone()];
            to.extend(r.alternates.iter().cloned());
            for t in &to {
                check_target(t, &config.links)?;
            }
            let mut causes = profile.clone();
            for &(cause, status) in &r.cause_to_status {
                causes.override_cause(cause, SipOutcome::Status(status));
            }
            for &(status, cause) in &r.status_to_cause {
                causes.override_status(status, IsupOutcome::Cause(cause));
            }
            routes.push(Route {
                prefix: r.prefix.clone(),
                to,
                strip: r.strip,
                prepend: r.prepend.clone(),
                noa: r.noa,
                causes,
                cause_to_status: r.cause_to_status.clone(),
                status_to_cause: r.status_to_cause.clone(),
            });
        }
        // Stable: among equal lengths the file order stays (prefixes are distinct anyway).
        routes.sort_by_key(|r| std::cmp::Reverse(r.prefix.len()));
        Ok(RouteTable { routes })
    }

    /// The decision for called `number` in routing form (visual separators of RFC 3966 5.1.1
    /// are ignored); None when it is not a number or no route matches.
    pub fn lookup(&self, number: &str) -> Option<Decision> {
        let number: String = number
            .chars()
            .filter(|&c| !is_visual_separator(c))
            .collect();
        if !is_number(&number) || number.strip_prefix('+').unwrap_or(&number).is_empty() {
            return None;
        }
        let route = self.routes.iter().find(|r| {
            number
                .get(..r.prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(&r.prefix))
        })?;
        let out = route.manipulate(&number);
        Some(Decision {
            prefix: route.prefix.clone(),
            targets: route
                .to
                .iter()
                .filter_map(|t| Target::from_template(t, &out))
                .collect(),
            number: out,
            noa: route.noa,
            causes: route.causes.clone(),
            cause_to_status: route.cause_to_status.clone(),
            status_to_cause: route.status_to_cause.clone(),
        })
    }
}

/// Human-readable decision for the `route` command.
pub fn describe(number: &str, decision: Option<&Decision>) -> String {
    let Some(d) = decision else {
        return format!("{number}: no route\n");
    };
    let mut s = format!("{number}: route \"{}\"\n", d.prefix);
    s.push_str(&format!("  number:    {}\n", d.number));
    s.push_str(&format!(
        "  noa:       {}\n",
        match d.noa {
            Some(n) => n.name().to_string(),
            None => format!(
                "from the number ({})",
                d.nature_of_address().name().unwrap_or("?")
            ),
        }
    ));
    for (i, t) in d.targets.iter().enumerate() {
        let label = if i == 0 { "target:   " } else { "alternate:" };
        s.push_str(&format!("  {label} {t}\n"));
    }
    let mut overrides: Vec<String> = Vec::new();
    overrides.extend(
        d.cause_to_status
            .iter()
            .map(|(c, st)| format!("cause {c} -> {st}")),
    );
    overrides.extend(
        d.status_to_cause
            .iter()
            .map(|(st, c)| format!("{st} -> cause {c}")),
    );
    if overrides.is_empty() {
        s.push_str("  causes:    rfc3398\n");
    } else {
        s.push_str(&format!(
            "  causes:    rfc3398 with {}\n",
            overrides.join(", ")
        ));
    }
    s
}

/// Circuit selection policy on a trunk group, `auto` resolved (see [`Selection::for_link`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// The first available circuit in list order.
    Sequential,
    /// The first available circuit after the one chosen last, wrapping around.
    RoundRobin,
    /// Odd circuits first (list order), then even ones (reverse list order).
    Odd,
    /// Even circuits first (list order), then odd ones (reverse list order).
    Even,
}

impl Selection {
    /// The policy of `link`, with `auto` resolved.
    ///
    /// ISUP: Q.764 2.9.1.4 gives the exchange with the higher signalling point code control
    /// of the even CICs, the other one of the odd; preferring the circuits we control
    /// (Q.764 2.9.1.3, method 2) means we win any dual seizure that still happens. This is
    /// the same rule as `Isup::controls`.
    ///
    /// QSIG: Q.931/ECMA-143 have no parity rule; the role decides (network odd, user even),
    /// so two ends, whose roles are always opposite, prefer disjoint halves.
    pub fn for_link(link: &LinkConfig) -> Selection {
        match link.selection {
            SelectionPolicy::Sequential => Selection::Sequential,
            SelectionPolicy::RoundRobin => Selection::RoundRobin,
            SelectionPolicy::Odd => Selection::Odd,
            SelectionPolicy::Even => Selection::Even,
            SelectionPolicy::Auto => match link.protocol {
                Protocol::Isup if link.opc > link.dpc => Selection::Even,
                Protocol::Isup => Selection::Odd,
                Protocol::Qsig if link.role == Some(Role::Network) => Selection::Odd,
                Protocol::Qsig => Selection::Even,
            },
        }
    }
}

/// Circuit selection on a trunk group (several links may share a `trunk_group`; each link has
/// its own CIC list and its own selector).
#[derive(Debug, Clone)]
pub struct CircuitSelector {
    selection: Selection,
    circuits: Vec<u16>,
    /// RoundRobin: the index after the circuit chosen last.
    next: usize,
}

impl CircuitSelector {
    pub fn new(selection: Selection, circuits: Vec<u16>) -> Self {
        CircuitSelector {
            selection,
            circuits,
            next: 0,
        }
    }

    /// The selector of `link`: its policy ([`Selection::for_link`]) over its CICs (ISUP) or
    /// B-channels (QSIG), in configuration order.
    pub fn for_link(link: &LinkConfig) -> Self {
        let list = match link.protocol {
            Protocol::Isup => &link.cics,
            Protocol::Qsig => &link.channels,
        };
        CircuitSelector::new(
            Selection::for_link(link),
            list.iter().filter_map(|&c| u16::try_from(c).ok()).collect(),
        )
    }

    pub fn selection(&self) -> Selection {
        self.selection
    }

    /// The next circuit for which `available(cic)` is true, per the policy (RoundRobin
    /// continues after the last chosen; Odd/Even try the preferred parity first, then any);
    /// None when none is.
    ///
    /// Odd/Even take the other parity from the end of the list: the far end, preferring that
    /// parity, takes it from the front (the opposite order of Q.764 2.9.1.3, method 1).
    pub fn select(&mut self, available: impl Fn(u16) -> bool) -> Option<u16> {
        let n = self.circuits.len();
        match self.selection {
            Selection::Sequential => self.circuits.iter().copied().find(|&c| available(c)),
            Selection::RoundRobin => {
                let start = self.next.min(n);
                let i = (start..n)
                    .chain(0..start)
                    .find(|&i| self.circuits.get(i).is_some_and(|&c| available(c)))?;
                self.next = i + 1;
                self.circuits.get(i).copied()
            }
            Selection::Odd | Selection::Even => {
                let want = u16::from(self.selection == Selection::Odd);
                self.circuits
                    .iter()
                    .copied()
                    .find(|&c| c % 2 == want && available(c))
                    .or_else(|| {
                        self.circuits
                            .iter()
                            .rev()
                            .copied()
                            .find(|&c| c % 2 != want && available(c))
                    })
            }
        }
    }
}

/// The RTP payload of a link's circuits: G.711 (the PSTN's 64 kbit/s law).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// G.711 A-law (E1 spans).
    Pcma,
    /// G.711 mu-law (T1 spans).
    Pcmu,
}

impl Codec {
    /// The static payload type (RFC 3551 6, table 4): PCMU 0, PCMA 8.
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcma => 8,
            Codec::Pcmu => 0,
        }
    }

    /// The encoding name and clock rate of `a=rtpmap` (RFC 4566 6; RFC 3551 table 4).
    pub fn rtpmap(self) -> &'static str {
        match self {
            Codec::Pcma => "PCMA/8000",
            Codec::Pcmu => "PCMU/8000",
        }
    }
}

/// Where the media gateway sends and receives a circuit's RTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaEndpoint {
    pub address: IpAddr,
    pub port: u16,
    pub codec: Codec,
}

/// The media endpoint of circuit `cic` of `link` (None when the link has no media configured
/// or `cic` is not one of its circuits): the circuit at index `i` of the link's CICs or
/// B-channels has port `base + 2 * i`.
pub fn media_endpoint(link: &LinkConfig, cic: u16) -> Option<MediaEndpoint> {
    let base = link.media?;
    let list = match link.protocol {
        Protocol::Isup => &link.cics,
        Protocol::Qsig => &link.channels,
    };
    let index = list.iter().position(|&c| c == u32::from(cic))?;
    let offset = u16::try_from(index.checked_mul(2)?).ok()?;
    Some(MediaEndpoint {
        address: base.ip(),
        port: base.port().checked_add(offset)?,
        codec: link.codec,
    })
}

/// A minimal valid SDP offer/answer for that endpoint (RFC 4566: v=, o=, s=, c=, t=,
/// m=audio port RTP/AVP pt, a=rtpmap, a=ptime:20, a=sendrecv) with session id/version given
/// by the caller.
pub fn sdp_for(endpoint: &MediaEndpoint, session_id: u64, version: u64) -> String {
    let (addrtype, addr) = match endpoint.address {
        IpAddr::V4(a) => ("IP4", a.to_string()),
        IpAddr::V6(a) => ("IP6", a.to_string()),
    };
    let pt = endpoint.codec.payload_type();
    format!(
        "v=0\r\n\
         o=sipt-mgc {session_id} {version} IN {addrtype} {addr}\r\n\
         s=sipt-mgc\r\n\
         c=IN {addrtype} {addr}\r\n\
         t=0 0\r\n\
         m=audio {port} RTP/AVP {pt}\r\n\
         a=rtpmap:{pt} {rtpmap}\r\n\
         a=ptime:20\r\n\
         a=sendrecv\r\n",
        port = endpoint.port,
        rtpmap = endpoint.codec.rtpmap(),
    )
}
