//! The configuration file (DESIGN.md, "Configuration"): `[sip]`, `[[link]]` and `[[route]]`.
//!
//! Reading is two steps: serde reads the TOML into a raw form whose values carry their spans,
//! then validation turns it into [`Config`] and reports the first problem as one
//! [`ConfigError`] naming the file, the line and the field (`link[1].opc`), which is what
//! operators see from `sipt-mgc check-config` and every other command that takes `--config`.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

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
}

/// One `[[route]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteConfig {
    pub prefix: String,
    pub to: String,
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    prefix: Option<Spanned<String>>,
    to: Option<Spanned<String>>,
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
        let mut routes = Vec::new();
        for (i, r) in raw.route.into_iter().enumerate() {
            let span = r.span();
            let r = r.into_inner();
            let field = |n: &str| format!("route[{i}].{n}");
            let prefix = r.prefix.ok_or_else(|| {
                self.error(Some(span.clone()), Some(field("prefix")), "missing".into())
            })?;
            let p = prefix.get_ref();
            let digits = p.strip_prefix('+').unwrap_or(p);
            if !digits
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == '*' || c == '#')
            {
                return Err(self.error(
                    Some(prefix.span()),
                    Some(field("prefix")),
                    format!("\"{p}\" is not a number prefix (digits, optionally after +)"),
                ));
            }
            let to = r.to.ok_or_else(|| {
                self.error(Some(span.clone()), Some(field("to")), "missing".into())
            })?;
            let t = to.get_ref();
            if !(t.starts_with("sip:")
                || t.starts_with("sips:")
                || t.starts_with("tel:")
                || t.starts_with("trunk:"))
            {
                return Err(self.error(
                    Some(to.span()),
                    Some(field("to")),
                    format!("\"{t}\" is neither a SIP/tel URI nor trunk:GROUP"),
                ));
            }
            if let Some(group) = t.strip_prefix("trunk:") {
                if !links
                    .iter()
                    .any(|l| l.trunk_group.as_deref() == Some(group))
                {
                    return Err(self.error(
                        Some(to.span()),
                        Some(field("to")),
                        format!("no link has trunk_group \"{group}\""),
                    ));
                }
            }
            routes.push(RouteConfig {
                prefix: p.clone(),
                to: t.clone(),
            });
        }
        Ok(Config {
            sip: raw.sip.map(|s| SipConfig {
                listen: s.listen,
                trusted: s.trusted,
            }),
            links,
            routes,
        })
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
        };
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
