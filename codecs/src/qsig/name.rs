//! Name identification supplementary services (ECMA-164 / ISO/IEC 13868, module
//! Name-Operations-asn1-97): the NameArg of callingName (0), calledName (1),
//! connectedName (2) and busyName (3).

use serde::ser::SerializeMap;
use serde::Serialize;

use super::ber::{universal, Ber, TagClass};

code_enum! {
    /// CharacterSet (ECMA-164): the character set of NameData.
    pub enum CharacterSet {
        Unknown0 = 0 => "unknown",
        Iso8859_1 = 1 => "iso8859-1",
        Iso8859_2 = 3 => "iso8859-2",
        Iso8859_3 = 4 => "iso8859-3",
        Iso8859_4 = 5 => "iso8859-4",
        Iso8859_5 = 6 => "iso8859-5",
        Iso8859_7 = 7 => "iso8859-7",
        Iso10646BmpString = 8 => "iso10646-BmpString",
        Iso10646Utf8String = 9 => "iso10646-utf-8String",
    }
}

/// NameSet ::= SEQUENCE { nameData NameData, characterSet CharacterSet OPTIONAL }.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NameSet {
    pub name_data: Vec<u8>,
    pub character_set: Option<CharacterSet>,
}

/// Name (ECMA-164): the presentation indication and the name itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Name {
    /// `namePresentationAllowedSimple [0] IMPLICIT NameData` (ISO 8859-1 implied)
    PresentationAllowedSimple(Vec<u8>),
    /// `namePresentationAllowedExtended [1] IMPLICIT NameSet`
    PresentationAllowedExtended(NameSet),
    /// `namePresentationRestrictedSimple [2] IMPLICIT NameData`
    PresentationRestrictedSimple(Vec<u8>),
    /// `namePresentationRestrictedExtended [3] IMPLICIT NameSet`
    PresentationRestrictedExtended(NameSet),
    /// `namePresentationRestrictedNull [7] IMPLICIT NULL` (interworking: restricted, no name)
    PresentationRestrictedNull,
    /// `nameNotAvailable [4] IMPLICIT NULL`
    NotAvailable,
}

/// The presentation a [`Name`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NamePresentation {
    Allowed,
    Restricted,
    NotAvailable,
}

/// Octets of NameData as text in the given character set (ISO 8859-1 when none is given).
pub fn name_text(data: &[u8], cs: Option<CharacterSet>) -> String {
    match cs {
        Some(CharacterSet::Iso10646Utf8String) => String::from_utf8_lossy(data).into_owned(),
        Some(CharacterSet::Iso10646BmpString) => {
            let units: Vec<u16> = data
                .chunks(2)
                .map(|c| match c {
                    [a, b] => u16::from_be_bytes([*a, *b]),
                    _ => 0xfffd,
                })
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => data.iter().map(|&b| char::from(b)).collect(),
    }
}

impl Name {
    /// A name whose presentation is allowed, ISO 8859-1 (the simple form).
    pub fn allowed(text: &str) -> Name {
        Name::PresentationAllowedSimple(latin1(text))
    }

    /// A name whose presentation is restricted, ISO 8859-1 (the simple form).
    pub fn restricted(text: &str) -> Name {
        Name::PresentationRestrictedSimple(latin1(text))
    }

    pub fn presentation(&self) -> NamePresentation {
        match self {
            Name::PresentationAllowedSimple(_) | Name::PresentationAllowedExtended(_) => {
                NamePresentation::Allowed
            }
            Name::PresentationRestrictedSimple(_)
            | Name::PresentationRestrictedExtended(_)
            | Name::PresentationRestrictedNull => NamePresentation::Restricted,
            Name::NotAvailable => NamePresentation::NotAvailable,
        }
    }

    /// The NameData octets and character set, when the name is present.
    pub fn data(&self) -> Option<(&[u8], Option<CharacterSet>)> {
        match self {
            Name::PresentationAllowedSimple(d) | Name::PresentationRestrictedSimple(d) => {
                Some((d, None))
            }
            Name::PresentationAllowedExtended(s) | Name::PresentationRestrictedExtended(s) => {
                Some((&s.name_data, s.character_set))
            }
            _ => None,
        }
    }

    /// The name as text, when present.
    pub fn text(&self) -> Option<String> {
        self.data().map(|(d, cs)| name_text(d, cs))
    }

    /// The ASN.1 alternative name, as Wireshark labels it.
    pub fn choice(&self) -> &'static str {
        match self {
            Name::PresentationAllowedSimple(_) => "namePresentationAllowedSimple",
            Name::PresentationAllowedExtended(_) => "namePresentationAllowedExtended",
            Name::PresentationRestrictedSimple(_) => "namePresentationRestrictedSimple",
            Name::PresentationRestrictedExtended(_) => "namePresentationRestrictedExtended",
            Name::PresentationRestrictedNull => "namePresentationRestrictedNull",
            Name::NotAvailable => "nameNotAvailable",
        }
    }

    pub(crate) fn from_ber(e: &Ber) -> Option<Name> {
        if e.class != TagClass::Context {
            return None;
        }
        let set = |e: &Ber| -> Option<NameSet> {
            match e.elements()? {
                [d] if d.is_universal(universal::OCTET_STRING) => Some(NameSet {
                    name_data: d.octets()?.to_vec(),
                    character_set: None,
                }),
                [d, c]
                    if d.is_universal(universal::OCTET_STRING)
                        && c.is_universal(universal::INTEGER) =>
                {
                    Some(NameSet {
                        name_data: d.octets()?.to_vec(),
                        character_set: Some(CharacterSet::from_code(
                            u8::try_from(c.integer()?).ok()?,
                        )),
                    })
                }
                _ => None,
            }
        };
        let null = |e: &Ber| e.octets().is_some_and(|o| o.is_empty());
        Some(match e.tag {
            0 => Name::PresentationAllowedSimple(e.octets()?.to_vec()),
            1 => Name::PresentationAllowedExtended(set(e)?),
            2 => Name::PresentationRestrictedSimple(e.octets()?.to_vec()),
            3 => Name::PresentationRestrictedExtended(set(e)?),
            4 if null(e) => Name::NotAvailable,
            7 if null(e) => Name::PresentationRestrictedNull,
            _ => return None,
        })
    }

    pub(crate) fn to_ber(&self) -> Ber {
        let c = TagClass::Context;
        let set = |tag, s: &NameSet| {
            let mut v = vec![Ber::primitive(
                TagClass::Universal,
                universal::OCTET_STRING,
                s.name_data.clone(),
            )];
            if let Some(cs) = s.character_set {
                v.push(Ber::from_integer(
                    TagClass::Universal,
                    universal::INTEGER,
                    i64::from(cs.code()),
                ));
            }
            Ber::constructed(c, tag, v)
        };
        match self {
            Name::PresentationAllowedSimple(d) => Ber::primitive(c, 0, d.clone()),
            Name::PresentationAllowedExtended(s) => set(1, s),
            Name::PresentationRestrictedSimple(d) => Ber::primitive(c, 2, d.clone()),
            Name::PresentationRestrictedExtended(s) => set(3, s),
            Name::NotAvailable => Ber::primitive(c, 4, Vec::new()),
            Name::PresentationRestrictedNull => Ber::primitive(c, 7, Vec::new()),
        }
    }
}

fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

impl Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("presentation", &self.presentation())?;
        m.serialize_entry("choice", self.choice())?;
        if let Some((d, cs)) = self.data() {
            m.serialize_entry("name", &name_text(d, cs))?;
            if let Some(cs) = cs {
                m.serialize_entry("character_set", &cs)?;
            }
        }
        m.end()
    }
}

/// NameArg ::= CHOICE { name Name, nameSequence SEQUENCE { name Name, extension
/// NameExtension OPTIONAL } }.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NameArg {
    pub name: Name,
    /// `Some` for the nameSequence form; its `extension` (`[5]`/`[6]`, kept raw) inside.
    pub sequence: Option<Option<Ber>>,
}

impl NameArg {
    /// The plain `name` alternative.
    pub fn new(name: Name) -> NameArg {
        NameArg {
            name,
            sequence: None,
        }
    }

    pub(crate) fn from_ber(e: &Ber) -> Option<NameArg> {
        if e.is_universal(universal::SEQUENCE) {
            let (name, ext) = match e.elements()? {
                [n] => (n, None),
                [n, x] if x.is_context(5) || x.is_context(6) => (n, Some(x.clone())),
                _ => return None,
            };
            Some(NameArg {
                name: Name::from_ber(name)?,
                sequence: Some(ext),
            })
        } else {
            Some(NameArg::new(Name::from_ber(e)?))
        }
    }

    pub(crate) fn to_ber(&self) -> Ber {
        match &self.sequence {
            None => self.name.to_ber(),
            Some(ext) => {
                let mut v = vec![self.name.to_ber()];
                v.extend(ext.iter().cloned());
                Ber::constructed(TagClass::Universal, universal::SEQUENCE, v)
            }
        }
    }
}

impl Serialize for NameArg {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("name", &self.name)?;
        if let Some(Some(x)) = &self.sequence {
            m.serialize_entry("extension", x)?;
        }
        m.end()
    }
}
