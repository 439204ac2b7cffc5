//! ISUP numbers <-> the textual forms used by routing and SIP (RFC 3398 12).
//!
//! Three forms meet here:
//! - the ISUP format (Q.763 3.9, 3.10 and relatives): nature of address, numbering plan,
//!   address signals;
//! - the routing form of DESIGN.md ("Configuration"): `+` and the digits when the nature of
//!   address is international, the digits as received otherwise;
//! - telephone numbers in SIP and tel URIs (RFC 3966, RFC 3398 12).
//!
//! Decisions where RFC 3398 is silent:
//! - The ST signal (code 15, "end of pulsing", Q.763 3.9 e) that closes an en-bloc number is
//!   not part of the number: it is dropped from the textual forms. The filler is never shown.
//!   The spare codes 10-14 are kept as the codec writes them (`A`-`E`), so that routing sees
//!   every signal received.
//! - Digits without `+` get the nature of address "unknown" unless the caller says otherwise:
//!   a number as dialled in SIP (`030123`, `0049...`) is exactly what "unknown" means in
//!   national use (Q.763 3.9 b), and guessing "national" would be wrong for a trunk prefix.
//! - A `+` always means an international (E.164) number (RFC 3398 12: "fully-qualified E.164").

use sipt_codecs::isup::{
    AddressPresentation, CalledNumberIndicators, CalledPartyNumber, CallingNumberIndicators,
    CallingPartyNumber, Digits, GenericNumber, NatureOfAddress, Number, NumberIndicators,
    NumberingPlan, Screening,
};

use crate::sip::message::{Scheme, Uri};

/// The most address signals a number built here may hold. E.164 numbers have at most 15
/// digits (ITU-T E.164 6.1); the margin leaves room for prefixes and routing numbers, and the
/// bound keeps every number far below the 255-octet parameter limit of Q.763 1.6.
pub const MAX_DIGITS: usize = 32;

/// The address signal ST, "end of pulsing" (Q.763 3.9 e: code 15).
const ST: u8 = 15;

/// Why a text or URI could not be made into an ISUP number. [`InterworkError::status`] gives
/// the SIP response the gateway answers an INVITE with.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterworkError {
    /// The URI scheme is neither sip, sips nor tel (RFC 3261 21.4.16: 416).
    #[error("URI scheme {scheme:?} is not sip, sips or tel")]
    UnsupportedScheme { scheme: String },
    /// The URI holds no telephone number (`sip:alice@example.com`, no user part): RFC 3398
    /// 7.2.1.1 "SHOULD reject" such a Request-URI; 404, no such number in the PSTN.
    #[error("URI {uri} holds no telephone number")]
    NotATelephoneNumber { uri: String },
    /// No address signals (`""`, `"+"`, `tel:--`): 484 Address Incomplete (RFC 3398 12.2).
    #[error("the telephone number has no digits")]
    EmptyNumber,
    /// A character that is neither an address signal nor a visual separator: 484 (RFC 3398
    /// 12.2: "a 484" when the Request-URI "could not be understood"). `offset` counts
    /// characters from the start of the number text.
    #[error("{character:?} at {offset} is not an address signal")]
    BadDigit { character: char, offset: usize },
    /// More than [`MAX_DIGITS`] address signals: 484.
    #[error("the telephone number has {len} digits, more than {max}")]
    TooLong { len: usize, max: usize },
}

impl InterworkError {
    /// The SIP status code a gateway answers an INVITE with when its Request-URI (or the
    /// called number after routing) fails so.
    pub fn status(&self) -> u16 {
        match self {
            InterworkError::UnsupportedScheme { .. } => 416,
            InterworkError::NotATelephoneNumber { .. } => 404,
            InterworkError::EmptyNumber
            | InterworkError::BadDigit { .. }
            | InterworkError::TooLong { .. } => 484,
        }
    }
}

/// The routing form of a called party number (DESIGN.md "Configuration"): `+` and the digits
/// when the nature of address is international, the digits as received otherwise; without
/// filler and without a closing ST signal.
pub fn called_number_text(cpn: &CalledPartyNumber) -> String {
    number_text(cpn)
}

/// The routing form of any number parameter (calling, connected, redirecting, original
/// called, redirection, location number: all are [`Number`]s in the codec). Empty when the
/// number has no address signals (no lone `+`).
pub fn number_text<I>(n: &Number<I>) -> String {
    let digits = digits_text(&n.digits);
    if n.nature_of_address == NatureOfAddress::InternationalNumber && !digits.is_empty() {
        format!("+{digits}")
    } else {
        digits
    }
}

/// The routing form of a generic number (Q.763 3.26): that of the number it carries.
pub fn generic_number_text(g: &GenericNumber) -> String {
    number_text(&g.number)
}

/// The address signals as text (`0`-`9`, `A`-`E`), a closing ST dropped (module docs).
fn digits_text(d: &Digits) -> String {
    let mut signals: Vec<u8> = d.signals().collect();
    if signals.last() == Some(&ST) {
        signals.pop();
    }
    signals
        .iter()
        .filter_map(|&s| char::from_digit(u32::from(s), 16))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The E.164 form of a number for SIP (RFC 3398 12.1): `+` and the digits when international;
/// `+`, the country code and the digits when national and a country code is known ("a country
/// code MUST be prefixed"); the digits otherwise (subscriber, unknown and network-specific
/// numbers, and national ones without a country code: RFC 3398 12.1 copies such digits
/// without `+`).
pub fn e164_text<I>(n: &Number<I>, country_code: Option<&str>) -> String {
    let text = number_text(n);
    match (n.nature_of_address, country_code) {
        (NatureOfAddress::NationalNumber, Some(cc)) if !text.is_empty() && !cc.is_empty() => {
            format!("+{cc}{text}")
        }
        _ => text,
    }
}

/// The ISUP view of a textual number (RFC 3398 12.2): the nature of address it implies and
/// the digits to put in the address signals. `+CC...` with the gateway's own country code `CC`
/// is a national (significant) number without the country code; any other `+...` is
/// international; digits without `+` are "unknown" (module docs).
pub fn isup_form<'a>(text: &'a str, country_code: Option<&str>) -> (NatureOfAddress, &'a str) {
    match text.strip_prefix('+') {
        Some(e164) => match country_code
            .filter(|cc| !cc.is_empty())
            .and_then(|cc| e164.strip_prefix(cc))
        {
            Some(national) if !national.is_empty() => (NatureOfAddress::NationalNumber, national),
            _ => (NatureOfAddress::InternationalNumber, e164),
        },
        None => (NatureOfAddress::UnknownNumber, text),
    }
}

/// Address signals from the digits of a routing-form number (`0`-`9`, `A`-`F` of the codec's
/// text), checked: at least one, at most [`MAX_DIGITS`].
fn parse_digits(digits: &str, offset: usize) -> Result<Digits, InterworkError> {
    if digits.is_empty() {
        return Err(InterworkError::EmptyNumber);
    }
    if let Some((i, c)) = digits
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_hexdigit())
    {
        return Err(InterworkError::BadDigit {
            character: c,
            offset: offset + i,
        });
    }
    let len = digits.chars().count();
    if len > MAX_DIGITS {
        return Err(InterworkError::TooLong {
            len,
            max: MAX_DIGITS,
        });
    }
    // checked above: only hex digits, which Digits::parse takes
    Digits::parse(digits).map_err(|_| InterworkError::EmptyNumber)
}

/// Splits a routing-form number into its nature of address and digits: `+` means
/// international (the `noa` given is then ignored); otherwise `noa`, or "unknown".
fn split_text(
    text: &str,
    noa: Option<NatureOfAddress>,
) -> Result<(NatureOfAddress, Digits), InterworkError> {
    match text.strip_prefix('+') {
        Some(d) => Ok((NatureOfAddress::InternationalNumber, parse_digits(d, 1)?)),
        None => Ok((
            noa.unwrap_or(NatureOfAddress::UnknownNumber),
            parse_digits(text, 0)?,
        )),
    }
}

/// A called party number (Q.763 3.9) from its routing form: `"+4930123"` is international
/// with digits 4930123; `"030123"` takes `noa`, or "unknown" when `None` (module docs).
/// Numbering plan ISDN/telephony (E.164, RFC 3398 12.2 "the NPI MUST be set to 'ISDN
/// numbering plan'"), INN indicator "routing to internal network number allowed".
pub fn called_party_number(
    text: &str,
    noa: Option<NatureOfAddress>,
) -> Result<CalledPartyNumber, InterworkError> {
    let (noa, digits) = split_text(text, noa)?;
    let indicators =
        CalledNumberIndicators::default().with_numbering_plan(NumberingPlan::IsdnTelephony);
    Ok(Number::new(noa, indicators, digits))
}

/// A calling party number (Q.763 3.10) from its routing form (as [`called_party_number`],
/// "unknown" nature of address without `+`). Presentation allowed or restricted as asked;
/// screening "network provided" (RFC 3398 12.2), which the caller changes where the number
/// came from the user ([`with_screening`]).
pub fn calling_party_number(
    text: &str,
    presentation_restricted: bool,
) -> Result<CallingPartyNumber, InterworkError> {
    calling_party_number_with(text, None, presentation_restricted)
}

/// [`calling_party_number`] with the nature of address for digits without `+`.
pub fn calling_party_number_with(
    text: &str,
    noa: Option<NatureOfAddress>,
    presentation_restricted: bool,
) -> Result<CallingPartyNumber, InterworkError> {
    let (noa, digits) = split_text(text, noa)?;
    let presentation = if presentation_restricted {
        AddressPresentation::Restricted
    } else {
        AddressPresentation::Allowed
    };
    let indicators = CallingNumberIndicators::default()
        .with_numbering_plan(NumberingPlan::IsdnTelephony)
        .with_address_presentation_restricted(presentation)
        .with_screening(Screening::NetworkProvided);
    Ok(Number::new(noa, indicators, digits))
}

/// A number of another kind (redirecting, original called: [`Number`] with indicators `I`)
/// from its routing form, numbering plan ISDN/telephony, the other indicator bits 0.
pub fn number_from_text<I: NumberIndicators>(
    text: &str,
    noa: Option<NatureOfAddress>,
    indicators: I,
) -> Result<Number<I>, InterworkError> {
    let (noa, digits) = split_text(text, noa)?;
    Ok(Number::new(noa, indicators, digits))
}

/// The calling party number with another screening indicator.
pub fn with_screening(mut n: CallingPartyNumber, screening: Screening) -> CallingPartyNumber {
    n.indicators = n.indicators.with_screening(screening);
    n
}

/// RFC 3966 5.1.1 visual separators.
fn is_visual_separator(c: char) -> bool {
    matches!(c, '-' | '.' | '(' | ')')
}

/// The telephone number of a sip, sips or tel URI in routing form: `+` and digits for a
/// global number, the digits otherwise; the visual separators of RFC 3966 5.1.1 removed.
///
/// - tel: the number; a local number whose `phone-context` is a global number prefix
///   (`tel:30123;phone-context=+49`) becomes that prefix and the digits (RFC 3966 5.1.5); a
///   domain name context is dropped.
/// - sip/sips: the user part without its parameters, whether or not `user=phone` is given (RFC
///   3398 12: a gateway MUST accept either tel or SIP URIs, and many UAs omit `user=phone`).
///
/// Refused (RFC 3398 7.2.1.1: a Request-URI that is not a telephone number SHOULD be
/// rejected): other schemes ([`InterworkError::UnsupportedScheme`], 416), a user part that is
/// no number (`sip:alice@host`, `sip:anonymous@...`, no user part: `NotATelephoneNumber`,
/// 404); a `user=phone` or tel number with other characters (`*`, `#`, letters: `BadDigit`,
/// 484), empty or too long (484).
pub fn uri_number(uri: &Uri) -> Result<String, InterworkError> {
    let not_a_number = || InterworkError::NotATelephoneNumber {
        uri: uri.to_string(),
    };
    let (user, user_phone) = match &uri.scheme {
        Scheme::Tel => (uri.user.clone().unwrap_or_default(), true),
        Scheme::Sip | Scheme::Sips => {
            let octets = uri.user_octets().ok_or_else(not_a_number)?;
            let user = String::from_utf8(octets).map_err(|_| not_a_number())?;
            let phone = uri
                .params
                .value("user")
                .is_some_and(|u| u.eq_ignore_ascii_case("phone"));
            (user, phone)
        }
        Scheme::Other(s) => {
            return Err(InterworkError::UnsupportedScheme { scheme: s.clone() });
        }
    };
    // the user part of a user=phone sip URI carries the tel parameters after ';'
    let mut parts = user.split(';');
    let number = parts.next().unwrap_or_default();
    let context = match uri.scheme {
        Scheme::Tel => uri.phone_context(),
        _ => parts
            .find_map(|p| p.strip_prefix("phone-context="))
            .map(str::to_string),
    };
    let (global, body) = match number.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, number),
    };
    let looks_like_number = global
        || (!body.is_empty()
            && body
                .chars()
                .all(|c| c.is_ascii_digit() || is_visual_separator(c)));
    if !user_phone && !looks_like_number {
        return Err(not_a_number());
    }
    let mut digits = String::with_capacity(body.len() + 1);
    for (i, c) in body.chars().enumerate() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if !is_visual_separator(c) {
            return Err(InterworkError::BadDigit {
                character: c,
                offset: i + usize::from(global),
            });
        }
    }
    if digits.is_empty() {
        return Err(InterworkError::EmptyNumber);
    }
    let text = if global {
        format!("+{digits}")
    } else {
        match context.as_deref().and_then(|c| c.strip_prefix('+')) {
            // RFC 3966 5.1.5: a global number prefix as context makes the number global
            Some(prefix) => {
                let p: String = prefix.chars().filter(char::is_ascii_digit).collect();
                format!("+{p}{digits}")
            }
            None => digits,
        }
    };
    let len = text.trim_start_matches('+').len();
    if len > MAX_DIGITS {
        return Err(InterworkError::TooLong {
            len,
            max: MAX_DIGITS,
        });
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn st_and_filler_are_not_digits() {
        let n = CalledPartyNumber::decode(&[0x81, 0x10, 0x84, 0x19, 0x0f]).unwrap();
        assert_eq!(called_number_text(&n), "4891");
        let i = CalledPartyNumber::decode(&[0x84, 0x10, 0x94, 0x03, 0x21, 0x03]).unwrap();
        assert_eq!(called_number_text(&i), "+4930123");
    }

    #[test]
    fn isup_form_strips_only_the_own_country_code() {
        assert_eq!(
            isup_form("+4930123", Some("49")),
            (NatureOfAddress::NationalNumber, "30123")
        );
        assert_eq!(
            isup_form("+3312345", Some("49")),
            (NatureOfAddress::InternationalNumber, "3312345")
        );
        assert_eq!(
            isup_form("+49", Some("49")),
            (NatureOfAddress::InternationalNumber, "49")
        );
        assert_eq!(
            isup_form("030123", Some("49")),
            (NatureOfAddress::UnknownNumber, "030123")
        );
    }
}
