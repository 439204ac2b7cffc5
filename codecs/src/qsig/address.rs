//! Addressing data elements of QSIG generic functional procedures (ECMA-165 / ISO/IEC 11582
//! annex B.1, module Addressing-Data-Elements, EXPLICIT TAGS): PartyNumber and
//! PresentedNumberUnscreened.

use serde::Serialize;

use super::ber::{universal, Ber, TagClass};

code_enum! {
    /// PublicTypeOfNumber (ECMA-165 B.1).
    pub enum PublicTypeOfNumber {
        Unknown0 = 0 => "unknown",
        InternationalNumber = 1 => "internationalNumber",
        NationalNumber = 2 => "nationalNumber",
        NetworkSpecificNumber = 3 => "networkSpecificNumber",
        SubscriberNumber = 4 => "subscriberNumber",
        AbbreviatedNumber = 6 => "abbreviatedNumber",
    }
}

code_enum! {
    /// PrivateTypeOfNumber (ECMA-165 B.1).
    pub enum PrivateTypeOfNumber {
        Unknown0 = 0 => "unknown",
        Level2RegionalNumber = 1 => "level2RegionalNumber",
        Level1RegionalNumber = 2 => "level1RegionalNumber",
        PisnSpecificNumber = 3 => "pISNSpecificNumber",
        LocalNumber = 4 => "localNumber",
        AbbreviatedNumber = 6 => "abbreviatedNumber",
    }
}

/// PartyNumber (ECMA-165 B.1): the numbering plan is the CHOICE alternative.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PartyNumber {
    /// `[0] IMPLICIT NumberDigits`
    UnknownPartyNumber(String),
    /// `[1] IMPLICIT PublicPartyNumber`
    PublicPartyNumber {
        public_type_of_number: PublicTypeOfNumber,
        public_number_digits: String,
    },
    /// `[3] IMPLICIT NumberDigits`
    DataPartyNumber(String),
    /// `[4] IMPLICIT NumberDigits`
    TelexPartyNumber(String),
    /// `[5] IMPLICIT PrivatePartyNumber`
    PrivatePartyNumber {
        private_type_of_number: PrivateTypeOfNumber,
        private_number_digits: String,
    },
    /// `[8] IMPLICIT NumberDigits`
    NationalStandardPartyNumber(String),
}

/// NumberDigits ::= NumericString: kept as text when it is ASCII.
fn digits(e: &Ber) -> Option<String> {
    let o = e.octets()?;
    if o.is_ascii() {
        String::from_utf8(o.to_vec()).ok()
    } else {
        None
    }
}

fn digits_ber(class: TagClass, tag: u32, d: &str) -> Ber {
    Ber::primitive(class, tag, d.as_bytes().to_vec())
}

impl PartyNumber {
    /// The digits, whatever the numbering plan.
    pub fn digits(&self) -> &str {
        match self {
            PartyNumber::UnknownPartyNumber(d)
            | PartyNumber::DataPartyNumber(d)
            | PartyNumber::TelexPartyNumber(d)
            | PartyNumber::NationalStandardPartyNumber(d)
            | PartyNumber::PublicPartyNumber {
                public_number_digits: d,
                ..
            }
            | PartyNumber::PrivatePartyNumber {
                private_number_digits: d,
                ..
            } => d,
        }
    }

    pub(crate) fn from_ber(e: &Ber) -> Option<PartyNumber> {
        if e.class != TagClass::Context {
            return None;
        }
        let seq = |e: &Ber| -> Option<(u8, String)> {
            match e.elements()? {
                [t, d]
                    if t.is_universal(universal::ENUMERATED)
                        && d.is_universal(universal::NUMERIC_STRING) =>
                {
                    Some((u8::try_from(t.integer()?).ok()?, digits(d)?))
                }
                _ => None,
            }
        };
        Some(match e.tag {
            0 => PartyNumber::UnknownPartyNumber(digits(e)?),
            1 => {
                let (t, d) = seq(e)?;
                PartyNumber::PublicPartyNumber {
                    public_type_of_number: PublicTypeOfNumber::from_code(t),
                    public_number_digits: d,
                }
            }
            3 => PartyNumber::DataPartyNumber(digits(e)?),
            4 => PartyNumber::TelexPartyNumber(digits(e)?),
            5 => {
                let (t, d) = seq(e)?;
                PartyNumber::PrivatePartyNumber {
                    private_type_of_number: PrivateTypeOfNumber::from_code(t),
                    private_number_digits: d,
                }
            }
            8 => PartyNumber::NationalStandardPartyNumber(digits(e)?),
            _ => return None,
        })
    }

    pub(crate) fn to_ber(&self) -> Ber {
        let c = TagClass::Context;
        let seq = |tag, t: u8, d: &str| {
            Ber::constructed(
                c,
                tag,
                vec![
                    Ber::from_integer(TagClass::Universal, universal::ENUMERATED, i64::from(t)),
                    digits_ber(TagClass::Universal, universal::NUMERIC_STRING, d),
                ],
            )
        };
        match self {
            PartyNumber::UnknownPartyNumber(d) => digits_ber(c, 0, d),
            PartyNumber::PublicPartyNumber {
                public_type_of_number,
                public_number_digits,
            } => seq(1, public_type_of_number.code(), public_number_digits),
            PartyNumber::DataPartyNumber(d) => digits_ber(c, 3, d),
            PartyNumber::TelexPartyNumber(d) => digits_ber(c, 4, d),
            PartyNumber::PrivatePartyNumber {
                private_type_of_number,
                private_number_digits,
            } => seq(5, private_type_of_number.code(), private_number_digits),
            PartyNumber::NationalStandardPartyNumber(d) => digits_ber(c, 8, d),
        }
    }
}

/// PresentedNumberUnscreened (ECMA-165 B.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PresentedNumberUnscreened {
    /// `[0] PartyNumber` (explicit)
    PresentationAllowedAddressNU(PartyNumber),
    /// `[1] IMPLICIT NULL`
    PresentationRestricted,
    /// `[2] IMPLICIT NULL`
    NumberNotAvailableDueToInterworking,
    /// `[3] PartyNumber` (explicit)
    PresentationRestrictedAddressNU(PartyNumber),
}

impl PresentedNumberUnscreened {
    pub(crate) fn from_ber(e: &Ber) -> Option<Self> {
        if e.class != TagClass::Context {
            return None;
        }
        let inner = |e: &Ber| match e.elements()? {
            [n] => PartyNumber::from_ber(n),
            _ => None,
        };
        let null = |e: &Ber| e.octets().is_some_and(|o| o.is_empty());
        Some(match e.tag {
            0 => Self::PresentationAllowedAddressNU(inner(e)?),
            1 if null(e) => Self::PresentationRestricted,
            2 if null(e) => Self::NumberNotAvailableDueToInterworking,
            3 => Self::PresentationRestrictedAddressNU(inner(e)?),
            _ => return None,
        })
    }

    pub(crate) fn to_ber(&self) -> Ber {
        let c = TagClass::Context;
        match self {
            Self::PresentationAllowedAddressNU(n) => Ber::constructed(c, 0, vec![n.to_ber()]),
            Self::PresentationRestricted => Ber::primitive(c, 1, Vec::new()),
            Self::NumberNotAvailableDueToInterworking => Ber::primitive(c, 2, Vec::new()),
            Self::PresentationRestrictedAddressNU(n) => Ber::constructed(c, 3, vec![n.to_ber()]),
        }
    }

    /// The number, when one is present.
    pub fn party_number(&self) -> Option<&PartyNumber> {
        match self {
            Self::PresentationAllowedAddressNU(n) | Self::PresentationRestrictedAddressNU(n) => {
                Some(n)
            }
            _ => None,
        }
    }
}
