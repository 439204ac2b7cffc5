//! Call diversion supplementary services (ECMA-174 / ISO/IEC 13873, module
//! Call-Diversion-Operations-asn1-97): the arguments of divertingLegInformation1 (20),
//! divertingLegInformation2 (21) and divertingLegInformation3 (22).

use serde::Serialize;

use super::address::{PartyNumber, PresentedNumberUnscreened};
use super::ber::{universal, Ber, TagClass};
use super::name::Name;

code_enum! {
    /// DiversionReason ::= ENUMERATED (ECMA-174).
    pub enum DiversionReason {
        Unknown0 = 0 => "unknown",
        Cfu = 1 => "cfu",
        Cfb = 2 => "cfb",
        Cfnr = 3 => "cfnr",
    }
}

code_enum! {
    /// SubscriptionOption ::= ENUMERATED (ECMA-174).
    pub enum SubscriptionOption {
        NoNotification = 0 => "noNotification",
        NotificationWithoutDivertedToNr = 1 => "notificationWithoutDivertedToNr",
        NotificationWithDivertedToNr = 2 => "notificationWithDivertedToNr",
    }
}

fn enumerated(e: &Ber) -> Option<u8> {
    u8::try_from(e.integer()?).ok()
}

fn enum_ber(class: TagClass, tag: u32, v: u8) -> Ber {
    Ber::from_integer(class, tag, i64::from(v))
}

/// The single element inside an explicit tag.
fn explicit(e: &Ber) -> Option<&Ber> {
    match e.elements()? {
        [x] => Some(x),
        _ => None,
    }
}

fn explicit_ber(tag: u32, inner: Ber) -> Ber {
    Ber::constructed(TagClass::Context, tag, vec![inner])
}

/// divertingLegInformation1 argument: sent from the rerouteing PINX to the originating PINX.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct DivertingLegInformation1 {
    pub diversion_reason: DiversionReason,
    pub subscription_option: SubscriptionOption,
    pub nominated_nr: PartyNumber,
    /// extension `[9]`/`[10]`, kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension: Option<Ber>,
}

impl DivertingLegInformation1 {
    pub(crate) fn from_ber(e: &Ber) -> Option<Self> {
        if !e.is_universal(universal::SEQUENCE) {
            return None;
        }
        let el = e.elements()?;
        let (r, s, n, x) = match el {
            [r, s, n] => (r, s, n, None),
            [r, s, n, x] if x.is_context(9) || x.is_context(10) => (r, s, n, Some(x.clone())),
            _ => return None,
        };
        if !r.is_universal(universal::ENUMERATED) || !s.is_universal(universal::ENUMERATED) {
            return None;
        }
        Some(DivertingLegInformation1 {
            diversion_reason: DiversionReason::from_code(enumerated(r)?),
            subscription_option: SubscriptionOption::from_code(enumerated(s)?),
            nominated_nr: PartyNumber::from_ber(n)?,
            extension: x,
        })
    }

    pub(crate) fn to_ber(&self) -> Ber {
        let u = TagClass::Universal;
        let mut v = vec![
            enum_ber(u, universal::ENUMERATED, self.diversion_reason.code()),
            enum_ber(u, universal::ENUMERATED, self.subscription_option.code()),
            self.nominated_nr.to_ber(),
        ];
        v.extend(self.extension.iter().cloned());
        Ber::constructed(u, universal::SEQUENCE, v)
    }
}

/// divertingLegInformation2 argument: sent from the rerouteing PINX to the diverted-to PINX.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct DivertingLegInformation2 {
    /// INTEGER (1..15)
    pub diversion_counter: u8,
    pub diversion_reason: DiversionReason,
    /// `[0] IMPLICIT DiversionReason OPTIONAL`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_diversion_reason: Option<DiversionReason>,
    /// `[1] PresentedNumberUnscreened OPTIONAL`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diverting_nr: Option<PresentedNumberUnscreened>,
    /// `[2] PresentedNumberUnscreened OPTIONAL`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_called_nr: Option<PresentedNumberUnscreened>,
    /// `[3] Name OPTIONAL`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirecting_name: Option<Name>,
    /// `[4] Name OPTIONAL`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_called_name: Option<Name>,
    /// extension `[5]`/`[6]`, kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension: Option<Ber>,
}

impl DivertingLegInformation2 {
    pub(crate) fn from_ber(e: &Ber) -> Option<Self> {
        if !e.is_universal(universal::SEQUENCE) {
            return None;
        }
        let mut it = e.elements()?.iter().peekable();
        let c = it.next()?;
        let r = it.next()?;
        if !c.is_universal(universal::INTEGER) || !r.is_universal(universal::ENUMERATED) {
            return None;
        }
        let mut d = DivertingLegInformation2 {
            diversion_counter: u8::try_from(c.integer()?).ok()?,
            diversion_reason: DiversionReason::from_code(enumerated(r)?),
            original_diversion_reason: None,
            diverting_nr: None,
            original_called_nr: None,
            redirecting_name: None,
            original_called_name: None,
            extension: None,
        };
        // Optional elements in order, each tag at most once.
        let mut last = None;
        for x in it {
            if x.class != TagClass::Context || last.is_some_and(|l| x.tag <= l) {
                return None;
            }
            last = Some(x.tag);
            match x.tag {
                0 => d.original_diversion_reason = Some(DiversionReason::from_code(enumerated(x)?)),
                1 => d.diverting_nr = Some(PresentedNumberUnscreened::from_ber(explicit(x)?)?),
                2 => {
                    d.original_called_nr = Some(PresentedNumberUnscreened::from_ber(explicit(x)?)?)
                }
                3 => d.redirecting_name = Some(Name::from_ber(explicit(x)?)?),
                4 => d.original_called_name = Some(Name::from_ber(explicit(x)?)?),
                5 | 6 => d.extension = Some(x.clone()),
                _ => return None,
            }
            if x.tag >= 5 {
                last = Some(6);
            }
        }
        Some(d)
    }

    pub(crate) fn to_ber(&self) -> Ber {
        let u = TagClass::Universal;
        let mut v = vec![
            Ber::from_integer(u, universal::INTEGER, i64::from(self.diversion_counter)),
            enum_ber(u, universal::ENUMERATED, self.diversion_reason.code()),
        ];
        if let Some(r) = self.original_diversion_reason {
            v.push(enum_ber(TagClass::Context, 0, r.code()));
        }
        if let Some(n) = &self.diverting_nr {
            v.push(explicit_ber(1, n.to_ber()));
        }
        if let Some(n) = &self.original_called_nr {
            v.push(explicit_ber(2, n.to_ber()));
        }
        if let Some(n) = &self.redirecting_name {
            v.push(explicit_ber(3, n.to_ber()));
        }
        if let Some(n) = &self.original_called_name {
            v.push(explicit_ber(4, n.to_ber()));
        }
        v.extend(self.extension.iter().cloned());
        Ber::constructed(u, universal::SEQUENCE, v)
    }
}

/// divertingLegInformation3 argument: sent from the diverted-to PINX to the originating PINX.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct DivertingLegInformation3 {
    /// PresentationAllowedIndicator ::= BOOLEAN
    pub presentation_allowed_indicator: bool,
    /// `[0] Name OPTIONAL`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirection_name: Option<Name>,
    /// extension `[1]`/`[2]`, kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension: Option<Ber>,
}

impl DivertingLegInformation3 {
    pub(crate) fn from_ber(e: &Ber) -> Option<Self> {
        if !e.is_universal(universal::SEQUENCE) {
            return None;
        }
        let el = e.elements()?;
        let (b, rest) = el.split_first()?;
        if !b.is_universal(universal::BOOLEAN) {
            return None;
        }
        let (name, ext) = match rest {
            [] => (None, None),
            [n] if n.is_context(0) => (Some(n), None),
            [x] if x.is_context(1) || x.is_context(2) => (None, Some(x.clone())),
            [n, x] if n.is_context(0) && (x.is_context(1) || x.is_context(2)) => {
                (Some(n), Some(x.clone()))
            }
            _ => return None,
        };
        Some(DivertingLegInformation3 {
            presentation_allowed_indicator: b.boolean()?,
            redirection_name: match name {
                Some(n) => Some(Name::from_ber(explicit(n)?)?),
                None => None,
            },
            extension: ext,
        })
    }

    pub(crate) fn to_ber(&self) -> Ber {
        let u = TagClass::Universal;
        // X.690 11.1 (DER): TRUE is FF.
        let mut v = vec![Ber::primitive(
            u,
            universal::BOOLEAN,
            vec![if self.presentation_allowed_indicator {
                0xff
            } else {
                0
            }],
        )];
        if let Some(n) = &self.redirection_name {
            v.push(explicit_ber(0, n.to_ber()));
        }
        v.extend(self.extension.iter().cloned());
        Ber::constructed(u, universal::SEQUENCE, v)
    }
}
