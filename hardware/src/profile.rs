//! Span and card profiles (`hardware/profiles/*.toml`): which timeslot carries signalling,
//! which carry bearer circuits, how an ISUP CIC maps to a span and timeslot, and how QSIG
//! numbers its B-channels.
//!
//! The CIC is the operator's choice (Q.763 1.2 only says both ends must agree); the profiles
//! use the common convention `CIC = base + span * span_stride + timeslot` (scheme `timeslot`),
//! or `base + span * span_stride + n` for the n-th bearer counted from 1 (scheme `sequential`).
//! `span` is the span's index within the link's trunk, from 0.

use std::path::Path;

/// The kind of span a profile describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanKind {
    /// 2048 kbit/s, G.704: timeslots 1-31 usable (0 carries frame alignment).
    E1,
    /// 1544 kbit/s, G.704: timeslots (channels) 1-24.
    T1,
    /// A serial line: signalling only; its circuits are virtual, numbered as timeslots 1-255.
    Serial,
}

impl SpanKind {
    /// The timeslots that can carry a channel.
    pub fn timeslots(self) -> std::ops::RangeInclusive<u8> {
        match self {
            SpanKind::E1 => 1..=31,
            SpanKind::T1 => 1..=24,
            SpanKind::Serial => 1..=255,
        }
    }
}

/// How CICs are given to a span's bearer timeslots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CicScheme {
    /// `CIC = base + span * span_stride + timeslot`.
    Timeslot,
    /// `CIC = base + span * span_stride + n`, n = 1 for the first bearer timeslot.
    Sequential,
}

/// The CIC mapping of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CicMapping {
    /// The scheme.
    pub scheme: CicScheme,
    /// Added to every CIC (the first span's offset).
    #[serde(default)]
    pub base: u16,
    /// CICs per span.
    pub span_stride: u16,
}

/// How QSIG numbers B-channels in the channel identification information element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelNumbering {
    /// Channel number = timeslot number (Q.931 4.5.13, channel identification octet 3.3, for
    /// primary rate interfaces; ETSI and QSIG on E1: B-channels 1-15 and 17-31).
    Timeslot,
    /// Channel number = n for the n-th bearer timeslot (B1-B30), as some PBXs number them.
    Sequential,
}

/// What a profile suggests for the link's transport (the `[[link]]` keys still decide).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TransportHint {
    /// `serial` or `frames`.
    pub transport: crate::TransportKind,
    /// A typical path.
    #[serde(default)]
    pub path: Option<String>,
    /// The line rate.
    #[serde(default)]
    pub baud: Option<u32>,
    /// Pacing for PTYs.
    #[serde(default)]
    pub pace: Option<crate::Pace>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: String,
    #[serde(default)]
    description: String,
    kind: SpanKind,
    #[serde(default)]
    signalling: Option<u8>,
    bearers: String,
    cic: CicMapping,
    b_channel: ChannelNumbering,
    #[serde(default)]
    transport: Option<TransportHint>,
}

/// A span or card profile.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SpanProfile {
    /// The profile's name (`e1`, `t1`, `serial-sim`).
    pub name: String,
    /// What it is, for people.
    pub description: String,
    /// The kind of span.
    pub kind: SpanKind,
    /// The timeslot of the signalling link or D-channel; `None` on a serial line (the line is
    /// the signalling link).
    pub signalling: Option<u8>,
    /// The bearer timeslots, ascending.
    pub bearers: Vec<u8>,
    /// The CIC mapping.
    pub cic: CicMapping,
    /// The B-channel numbering for QSIG.
    pub b_channel: ChannelNumbering,
    /// The transport the profile suggests.
    pub transport: Option<TransportHint>,
}

/// A span and timeslot: where a circuit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Circuit {
    /// The span's index within the trunk, from 0.
    pub span: u16,
    /// The timeslot.
    pub timeslot: u8,
}

/// Why a profile was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// Not TOML of the profile schema (the message names the line and key).
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    /// A field's value is not allowed.
    #[error("{field}: {reason}")]
    Invalid {
        /// The key.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}

fn invalid(field: &'static str, reason: &'static str) -> ProfileError {
    ProfileError::Invalid { field, reason }
}

/// Parses a list of numbers and ranges, `"1-15,17-31"`, into ascending distinct values.
pub fn parse_ranges(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u8>().ok()?, b.trim().parse::<u8>().ok()?),
            None => {
                let v = part.parse::<u8>().ok()?;
                (v, v)
            }
        };
        if lo > hi {
            return None;
        }
        out.extend(lo..=hi);
    }
    out.sort_unstable();
    let n = out.len();
    out.dedup();
    (out.len() == n).then_some(out)
}

/// The profiles shipped in `hardware/profiles/`, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("e1", include_str!("../profiles/e1.toml")),
    ("t1", include_str!("../profiles/t1.toml")),
    ("serial-sim", include_str!("../profiles/serial-sim.toml")),
];

impl SpanProfile {
    /// Parses and checks a profile.
    pub fn parse(text: &str) -> Result<SpanProfile, ProfileError> {
        let raw: RawProfile = toml::from_str(text)?;
        let bearers =
            parse_ranges(&raw.bearers).ok_or(invalid("bearers", "not a list of timeslots"))?;
        let (first, last) = match (bearers.first(), bearers.last()) {
            (Some(&f), Some(&l)) => (f, l),
            _ => return Err(invalid("bearers", "empty")),
        };
        let range = raw.kind.timeslots();
        if !range.contains(&first) || !range.contains(&last) {
            return Err(invalid("bearers", "timeslot outside the span"));
        }
        match (raw.kind, raw.signalling) {
            (SpanKind::Serial, Some(_)) => {
                return Err(invalid(
                    "signalling",
                    "a serial line has no signalling timeslot",
                ))
            }
            (SpanKind::E1 | SpanKind::T1, None) => {
                return Err(invalid("signalling", "missing"));
            }
            (_, Some(ts)) if !range.contains(&ts) => {
                return Err(invalid("signalling", "timeslot outside the span"))
            }
            (_, Some(ts)) if bearers.contains(&ts) => {
                return Err(invalid("signalling", "also a bearer timeslot"))
            }
            _ => {}
        }
        let needed = match raw.cic.scheme {
            CicScheme::Timeslot => u16::from(last - first) + 1,
            CicScheme::Sequential => u16::try_from(bearers.len()).unwrap_or(u16::MAX),
        };
        if raw.cic.span_stride < needed {
            return Err(invalid("cic.span_stride", "smaller than a span's CICs"));
        }
        Ok(SpanProfile {
            name: raw.name,
            description: raw.description,
            kind: raw.kind,
            signalling: raw.signalling,
            bearers,
            cic: raw.cic,
            b_channel: raw.b_channel,
            transport: raw.transport,
        })
    }

    /// Reads and parses a profile file.
    pub fn load(path: &Path) -> Result<SpanProfile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        SpanProfile::parse(&text)
    }

    /// A shipped profile by name (`e1`, `t1`, `serial-sim`).
    pub fn builtin(name: &str) -> Option<SpanProfile> {
        BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, text)| SpanProfile::parse(text).ok())
    }

    fn bearer_index(&self, timeslot: u8) -> Option<usize> {
        self.bearers.binary_search(&timeslot).ok()
    }

    /// The CIC of a bearer circuit; `None` if `timeslot` is not a bearer or the CIC would
    /// not fit 16 bits (ITU ISUP has 12, Q.763 1.2: the ISUP layer checks).
    pub fn cic(&self, circuit: Circuit) -> Option<u16> {
        let index = self.bearer_index(circuit.timeslot)?;
        let within = match self.cic.scheme {
            CicScheme::Timeslot => u32::from(circuit.timeslot),
            CicScheme::Sequential => u32::try_from(index).ok()? + 1,
        };
        let cic = u32::from(self.cic.base)
            + u32::from(circuit.span) * u32::from(self.cic.span_stride)
            + within;
        u16::try_from(cic).ok()
    }

    /// The circuit a CIC names; `None` if it names no bearer.
    pub fn circuit(&self, cic: u16) -> Option<Circuit> {
        let rel = cic.checked_sub(self.cic.base)?;
        let stride = self.cic.span_stride;
        match self.cic.scheme {
            CicScheme::Timeslot => {
                let first = u16::from(*self.bearers.first()?);
                let span = rel.checked_sub(first)? / stride;
                let timeslot = u8::try_from(rel - span * stride).ok()?;
                self.bearer_index(timeslot)?;
                Some(Circuit { span, timeslot })
            }
            CicScheme::Sequential => {
                let n = rel.checked_sub(1)?;
                let span = n / stride;
                let index = usize::from(n % stride);
                let timeslot = *self.bearers.get(index)?;
                Some(Circuit { span, timeslot })
            }
        }
    }

    /// The CICs of span `span`, in timeslot order.
    pub fn cics(&self, span: u16) -> Vec<u16> {
        self.bearers
            .iter()
            .filter_map(|&timeslot| self.cic(Circuit { span, timeslot }))
            .collect()
    }

    /// The QSIG B-channel number of a bearer timeslot.
    pub fn b_channel(&self, timeslot: u8) -> Option<u8> {
        let index = self.bearer_index(timeslot)?;
        match self.b_channel {
            ChannelNumbering::Timeslot => Some(timeslot),
            ChannelNumbering::Sequential => u8::try_from(index + 1).ok(),
        }
    }

    /// The timeslot of a QSIG B-channel number.
    pub fn timeslot_of_b_channel(&self, channel: u8) -> Option<u8> {
        match self.b_channel {
            ChannelNumbering::Timeslot => self.bearer_index(channel).map(|_| channel),
            ChannelNumbering::Sequential => {
                let index = usize::from(channel.checked_sub(1)?);
                self.bearers.get(index).copied()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin(name: &str) -> SpanProfile {
        let text = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .unwrap_or_default();
        SpanProfile::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_ranges("1-3,5"), Some(vec![1, 2, 3, 5]));
        assert_eq!(parse_ranges(" 5 , 1 - 2"), Some(vec![1, 2, 5]));
        for bad in ["", "1-", "3-1", "1,1", "1-3,2", "x", "256"] {
            assert_eq!(parse_ranges(bad), None, "{bad}");
        }
    }

    #[test]
    fn e1_profile() {
        let p = builtin("e1");
        assert_eq!(p.kind, SpanKind::E1);
        assert_eq!(p.signalling, Some(16));
        assert_eq!(p.bearers.len(), 30);
        assert!(!p.bearers.contains(&16) && !p.bearers.contains(&0));
        // Span 0: CIC = timeslot; DESIGN.md's cics = "1-15,17-31".
        let want: Vec<u16> = (1..=15).chain(17..=31).collect();
        assert_eq!(p.cics(0), want);
        // Span 1 adds 32.
        assert_eq!(p.cics(1), want.iter().map(|c| c + 32).collect::<Vec<_>>());
        for span in 0..4 {
            for &ts in &p.bearers {
                let c = Circuit { span, timeslot: ts };
                let cic = p.cic(c).unwrap_or_default();
                assert_eq!(p.circuit(cic), Some(c));
            }
        }
        for cic in [0, 16, 32, 48, 64] {
            assert_eq!(p.circuit(cic), None, "{cic}");
        }
        assert_eq!(
            p.cic(Circuit {
                span: 0,
                timeslot: 16
            }),
            None
        );
        assert_eq!(p.b_channel(17), Some(17));
        assert_eq!(p.b_channel(16), None);
        assert_eq!(p.timeslot_of_b_channel(31), Some(31));
        assert_eq!(p.timeslot_of_b_channel(16), None);
    }

    #[test]
    fn t1_profile() {
        let p = builtin("t1");
        assert_eq!(p.signalling, Some(24));
        assert_eq!(p.bearers, (1..=23).collect::<Vec<u8>>());
        assert_eq!(p.cics(0), (1..=23).collect::<Vec<u16>>());
        assert_eq!(p.cics(1), (25..=47).collect::<Vec<u16>>());
        assert_eq!(p.circuit(24), None);
        assert_eq!(p.circuit(48), None);
        assert_eq!(
            p.circuit(25),
            Some(Circuit {
                span: 1,
                timeslot: 1
            })
        );
        assert_eq!(p.b_channel(23), Some(23));
    }

    #[test]
    fn serial_profile() {
        let p = builtin("serial-sim");
        assert_eq!(p.signalling, None);
        let want: Vec<u16> = (1..=15).chain(17..=31).collect();
        assert_eq!(p.cics(0), want);
        let hint = p.transport.clone().unwrap_or_else(|| panic!("no hint"));
        assert_eq!(hint.transport, crate::TransportKind::Serial);
    }

    #[test]
    fn all_builtins_load_by_name() {
        for (name, _) in BUILTIN {
            assert!(SpanProfile::builtin(name).is_some(), "{name}");
        }
        assert!(SpanProfile::builtin("j1").is_none());
    }

    #[test]
    fn sequential_schemes() {
        let text = BUILTIN[0]
            .1
            .replace(
                "scheme = \"timeslot\"\nbase",
                "scheme = \"sequential\"\nbase",
            )
            .replace("b_channel = \"timeslot\"", "b_channel = \"sequential\"")
            .replace("span_stride = 32", "span_stride = 30");
        let p = SpanProfile::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.cic.scheme, CicScheme::Sequential);
        assert_eq!(p.cics(0), (1..=30).collect::<Vec<u16>>());
        assert_eq!(
            p.circuit(16),
            Some(Circuit {
                span: 0,
                timeslot: 17
            })
        );
        assert_eq!(
            p.circuit(31),
            Some(Circuit {
                span: 1,
                timeslot: 1
            })
        );
        assert_eq!(p.circuit(0), None);
        assert_eq!(p.b_channel(17), Some(16));
        assert_eq!(p.timeslot_of_b_channel(16), Some(17));
        assert_eq!(p.timeslot_of_b_channel(0), None);
        assert_eq!(p.timeslot_of_b_channel(31), None);
    }

    #[test]
    fn rejects_bad_profiles() {
        let e1 = BUILTIN[0].1;
        for (from, to, field) in [
            ("signalling = 16", "signalling = 1", "signalling"),
            ("signalling = 16", "signalling = 32", "signalling"),
            ("bearers = \"1-15,17-31\"", "bearers = \"0-15\"", "bearers"),
            (
                "bearers = \"1-15,17-31\"",
                "bearers = \"1-15,15\"",
                "bearers",
            ),
            ("span_stride = 32", "span_stride = 16", "cic.span_stride"),
        ] {
            let text = e1.replace(from, to);
            assert_ne!(text, e1, "{from}");
            match SpanProfile::parse(&text) {
                Err(ProfileError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{from} -> {to}: {other:?}"),
            }
        }
        let unknown = format!("{e1}\nextra = 1\n");
        assert!(matches!(
            SpanProfile::parse(&unknown),
            Err(ProfileError::Toml(_))
        ));
        let nofile = SpanProfile::load(Path::new("/nonexistent.toml"));
        assert!(matches!(nofile, Err(ProfileError::Read { .. })));
    }
}
