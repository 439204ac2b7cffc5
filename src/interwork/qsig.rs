//! QSIG <-> SIP (RFC 4497) as data and pure functions: the SETUP <-> INVITE mapping with the
//! numbers of RFC 4497 9 (type of number and numbering plan, presentation and screening <->
//! From / P-Asserted-Identity / Privacy, RFC 3323 and RFC 3325), the bearer capability of
//! RFC 4497 10, the backward messages of 8.2.1 and 8.3, call clearing with the two cause
//! tables of 8.4 and a Reason: Q.850 header (RFC 3326), and overlap sending (8.2.2, 8.3.9).
//!
//! Beyond RFC 4497 (which leaves supplementary services out, 7), and each marked where it is
//! done: name identification (ECMA-164 callingName/connectedName <-> the display name of From
//! and P-Asserted-Identity) and call diversion (ECMA-174 divertingLegInformation2 <->
//! History-Info, RFC 7044, or Diversion, RFC 5806, through [`super::setup::Redirection`], so
//! that a QSIG diversion reads in SIP exactly as an ISUP one does).
//!
//! RFC 4497 has its own cause tables (Table 1 and Table 2 of 8.4); it does not refer to RFC
//! 3398's. They are here as [`RFC4497_CAUSE_TO_SIP`] and [`RFC4497_SIP_TO_CAUSE`], in the
//! types of [`super::causes`].
//!
//! Where the mapping needs the gateway's view of the peer it takes a
//! [`SetupContext`](super::setup::SetupContext) (QSIG -> SIP) or [`QsigDefaults`] (SIP ->
//! QSIG). The Request-URI and the B-channel are not chosen here: the gateway takes them from
//! the route and the call layer ([`crate::qsig::SetupRequest::channel`]).
//!
//! Decisions where RFC 4497 is silent or leaves a choice (each repeated where it is made):
//! - P-Asserted-Identity goes to trusted peers only (RFC 3325 9.1), as
//!   [`super::setup::iam_to_invite`] does; RFC 4497 9.1.2.4 only says "if the gateway
//!   supports this header". A calling number whose screening says "user provided, verified
//!   and failed" is never asserted: the PINX checked it and found it false.
//! - A restricted name goes only into the P-Asserted-Identity of a trusted peer, with
//!   `Privacy: id`, never into From; towards an untrusted peer it is not sent.
//! - A received Reason: Q.850 header (RFC 3326) wins over the fixed cause 16 of 8.4.2/8.4.3
//!   and over Table 2 of 8.4.4, so that two gateways bridging PBXs carry the PBX's cause.
//! - The From header is not used for the calling number unless
//!   [`QsigDefaults::use_from`] (RFC 4497 9.2: "the default behaviour SHOULD be not to use an
//!   unsigned or unvalidated From header").

use sipt_codecs::isup::RedirectionReason;
use sipt_codecs::q931::{
    BearerCapability, Cause, CauseValue, CodingStandard, InformationElement,
    InformationTransferCapability, InformationTransferRate, Location, Message, MessageType, Number,
    NumberingPlan, Presentation, ProgressDescription, ProgressIndicator, Screening, TransferMode,
    TypeOfNumber, UserInformationLayer1Protocol,
};
use sipt_codecs::qsig::{
    diverting_leg_information2, opcode, Argument, DiversionReason, DivertingLegInformation2,
    Facility, Name, NamePresentation, PartyNumber, PresentedNumberUnscreened, PublicTypeOfNumber,
};

use super::causes::{IsupOutcome, SipOutcome};
use super::numbers::{uri_number, InterworkError, MAX_DIGITS};
use super::overlap::MAX_DIGITS as E164_MAX_DIGITS;
use super::progress::{cause_text, message_reason};
use super::setup::{
    anonymous_name_addr, is_anonymous, number_uri, InviteHeaders, Party, Redirection, SetupContext,
};
use crate::qsig::{ChannelRequest, ConnectResponse, InformationRequest, Response, SetupRequest};
use crate::sip::message::headers::{parse_privacy, Diversion, HistoryInfo, PAssertedIdentity};
use crate::sip::message::{Message as SipMessage, NameAddr, Reason};

// ---------------------------------------------------------------------------------------------
// Numbers (RFC 4497 9)

/// The largest diversion counter of divertingLegInformation2 (ECMA-174: INTEGER (1..15)).
pub const MAX_DIVERSION_COUNTER: u8 = 15;

/// The routing form of a Q.931 number (DESIGN.md "Configuration"; RFC 4497 9.1: "SHOULD take
/// account of the Numbering Plan (NPI) and Type Of Number (TON)"): `+` and the digits when
/// the type of number is international in the E.164 or unknown numbering plan, the digits as
/// received otherwise (national, subscriber, private numbers). Empty when there are no digits.
pub fn number_text(n: &Number) -> String {
    let international = n.type_of_number == TypeOfNumber::International
        && matches!(
            n.numbering_plan,
            NumberingPlan::IsdnTelephony | NumberingPlan::Unknown0
        );
    if international && !n.digits.is_empty() {
        format!("+{}", n.digits)
    } else {
        n.digits.clone()
    }
}

/// The E.164 form of a Q.931 number for a SIP URI: as [`number_text`], and a national number
/// of the E.164 plan with the country code given becomes `+CC` and the digits (RFC 3398 12.1,
/// which RFC 4497 9.1 leaves to "the method used to convert a number to a URI").
pub fn e164_text(n: &Number, country_code: Option<&str>) -> String {
    match country_code.filter(|cc| !cc.is_empty()) {
        Some(cc)
            if n.type_of_number == TypeOfNumber::National
                && n.numbering_plan == NumberingPlan::IsdnTelephony
                && !n.digits.is_empty() =>
        {
            format!("+{cc}{}", n.digits)
        }
        _ => number_text(n),
    }
}

/// The routing/E.164 form of an ECMA-165 PartyNumber (in divertingLegInformation2): a public
/// international number `+` and digits, a public national one `+CC` and digits when the
/// country code is known, the digits otherwise.
pub fn party_number_text(p: &PartyNumber, country_code: Option<&str>) -> String {
    let cc = country_code.filter(|cc| !cc.is_empty());
    match p {
        PartyNumber::PublicPartyNumber {
            public_type_of_number: PublicTypeOfNumber::InternationalNumber,
            public_number_digits: d,
        } if !d.is_empty() => format!("+{d}"),
        PartyNumber::PublicPartyNumber {
            public_type_of_number: PublicTypeOfNumber::NationalNumber,
            public_number_digits: d,
        } if !d.is_empty() && cc.is_some() => format!("+{}{d}", cc.unwrap_or_default()),
        p => p.digits().to_string(),
    }
}

/// How the gateway numbers what it sends into the PISN (RFC 4497 9.2: "NPI and TON ... SHALL
/// be set to appropriate values").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QsigNumbering {
    /// The gateway's country code (digits): `+CC...` becomes a national E.164 number without
    /// it; any other `+...` an international one. None: every `+` number is international.
    pub country_code: Option<String>,
    /// Type of number and numbering plan of digits without `+` (a number as dialled). Default
    /// unknown/unknown (Q.931 4.5.8: the digits as the user dialled them, prefixes included);
    /// a PBX trunk whose SIP side sends extensions may want subscriber or private numbers.
    pub local_type: TypeOfNumber,
    pub local_plan: NumberingPlan,
}

impl Default for QsigNumbering {
    fn default() -> Self {
        QsigNumbering {
            country_code: None,
            local_type: TypeOfNumber::Unknown0,
            local_plan: NumberingPlan::Unknown0,
        }
    }
}

impl QsigNumbering {
    /// The type of number, numbering plan and digits of a routing-form number.
    fn split<'a>(&self, text: &'a str) -> (TypeOfNumber, NumberingPlan, &'a str) {
        match text.strip_prefix('+') {
            Some(e164) => {
                let national = self
                    .country_code
                    .as_deref()
                    .filter(|cc| !cc.is_empty())
                    .and_then(|cc| e164.strip_prefix(cc))
                    .filter(|n| !n.is_empty());
                match national {
                    Some(n) => (TypeOfNumber::National, NumberingPlan::IsdnTelephony, n),
                    None => (
                        TypeOfNumber::International,
                        NumberingPlan::IsdnTelephony,
                        e164,
                    ),
                }
            }
            None => (self.local_type, self.local_plan, text),
        }
    }
}

/// Checks the digits of a number for a Q.931 number element: `0`-`9`, `*`, `#` (Q.931 4.5.8:
/// IA5 digits), at least one, at most [`MAX_DIGITS`].
fn check_digits(digits: &str, offset: usize) -> Result<(), InterworkError> {
    if digits.is_empty() {
        return Err(InterworkError::EmptyNumber);
    }
    if let Some((i, c)) = digits
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '*' || *c == '#'))
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
    Ok(())
}

/// A Q.931 number (called party number: no octet 3a) from its routing form (RFC 4497 9.2.1).
pub fn number_from_text(text: &str, numbering: &QsigNumbering) -> Result<Number, InterworkError> {
    let (ton, npi, digits) = numbering.split(text);
    check_digits(digits, text.len() - digits.len())?;
    Ok(Number::new(ton, npi, digits))
}

/// An ECMA-165 PartyNumber from its routing form: public (E.164) for `+` numbers, unknown
/// otherwise (the digits as dialled).
pub fn party_number_from_text(
    text: &str,
    numbering: &QsigNumbering,
) -> Result<PartyNumber, InterworkError> {
    let (ton, npi, digits) = numbering.split(text);
    check_digits(digits, text.len() - digits.len())?;
    Ok(match (npi, ton) {
        (NumberingPlan::IsdnTelephony, TypeOfNumber::International) => {
            PartyNumber::PublicPartyNumber {
                public_type_of_number: PublicTypeOfNumber::InternationalNumber,
                public_number_digits: digits.to_string(),
            }
        }
        (NumberingPlan::IsdnTelephony, TypeOfNumber::National) => PartyNumber::PublicPartyNumber {
            public_type_of_number: PublicTypeOfNumber::NationalNumber,
            public_number_digits: digits.to_string(),
        },
        _ => PartyNumber::UnknownPartyNumber(digits.to_string()),
    })
}

/// The called party number of a SETUP in routing form for the Request-URI's user part and
/// the route (RFC 4497 9.1.1). Err with the cause to clear with when there is none (8.2.1.1:
/// "if a Request-URI cannot be derived ... SHALL initiate QSIG call clearing"): 28 "invalid
/// number format (address incomplete)" for a missing or empty number.
pub fn called_text(setup: &Message) -> Result<String, CauseValue> {
    let text = setup
        .find(|e| e.as_called_party_number())
        .map(number_text)
        .unwrap_or_default();
    if text.trim_start_matches('+').is_empty() {
        Err(CauseValue::InvalidNumberFormat)
    } else {
        Ok(text)
    }
}

fn restricted(p: Option<Presentation>) -> bool {
    p == Some(Presentation::Restricted)
}

// ---------------------------------------------------------------------------------------------
// Names (ECMA-164; not in RFC 4497)

/// The Name of the first invoke of the name operation `op` (callingName 0, calledName 1,
/// connectedName 2, busyName 3: `sipt_codecs::qsig::opcode`) in the message's Facility IEs.
pub fn message_name(msg: &Message, op: i64) -> Option<Name> {
    invoke_arguments(msg, op).find_map(|a| match a {
        Argument::Name(n) => Some(n.name.clone()),
        _ => None,
    })
}

/// The divertingLegInformation2 argument of the message's Facility IEs (ECMA-174).
pub fn message_diversion(msg: &Message) -> Option<DivertingLegInformation2> {
    invoke_arguments(msg, opcode::DIVERTING_LEG_INFORMATION2).find_map(|a| match a {
        Argument::DivertingLegInformation2(d) => Some(d.clone()),
        _ => None,
    })
}

fn invoke_arguments(msg: &Message, op: i64) -> impl Iterator<Item = &Argument> {
    msg.information_elements
        .iter()
        .filter_map(|e| e.as_facility())
        .filter_map(Facility::contents)
        .flat_map(|c| c.invokes())
        .filter(move |i| i.opcode.local() == Some(op))
        .filter_map(|i| i.argument.as_ref())
}

/// Where a QSIG name may be shown in SIP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameDisplay {
    /// Presentation allowed: the display name of From and P-Asserted-Identity.
    Public(String),
    /// Presentation restricted, the name known: towards a trusted peer only, in
    /// P-Asserted-Identity with Privacy: id (module docs); never in From.
    Private(String),
    /// No name to show (nameNotAvailable, namePresentationRestrictedNull, an empty name).
    None,
}

/// How a QSIG name is shown in SIP (ECMA-164 presentation -> RFC 3323/3325 privacy).
pub fn name_display(name: Option<&Name>) -> NameDisplay {
    let Some(name) = name else {
        return NameDisplay::None;
    };
    match (name.presentation(), name.text().filter(|t| !t.is_empty())) {
        (NamePresentation::Allowed, Some(t)) => NameDisplay::Public(t),
        (NamePresentation::Restricted, Some(t)) => NameDisplay::Private(t),
        _ => NameDisplay::None,
    }
}

/// The QSIG name for a SIP display name: allowed, or restricted when the SIP identity asks
/// for privacy (ECMA-164 namePresentationAllowedSimple / namePresentationRestrictedSimple,
/// ISO 8859-1; characters beyond it become `?`). None without a display name, and for the
/// "Anonymous" of an anonymous URI (RFC 3323 4.1.1.3), which is no one's name.
pub fn name_for_display(display: Option<&str>, restricted: bool) -> Option<Name> {
    let text = display.map(str::trim).filter(|t| !t.is_empty())?;
    Some(if restricted {
        Name::restricted(text)
    } else {
        Name::allowed(text)
    })
}

fn display_of(na: &NameAddr) -> Option<String> {
    if is_anonymous(&na.uri) {
        return None;
    }
    na.display_name().filter(|d| !d.trim().is_empty())
}

// ---------------------------------------------------------------------------------------------
// Diversion (ECMA-174 divertingLegInformation2; not in RFC 4497)

/// ECMA-174 DiversionReason <-> Q.763 3.45 redirection reason, the vocabulary of
/// [`Redirection`] (whose tables give the RFC 4458 cause and the RFC 5806 reason). Each reads
/// both ways; a redirection reason not listed (deflection, mobile not reachable) is "unknown"
/// in QSIG.
pub const DIVERSION_REASONS: &[(DiversionReason, RedirectionReason)] = &[
    (DiversionReason::Unknown0, RedirectionReason::Unknown0),
    (DiversionReason::Cfu, RedirectionReason::Unconditional),
    (DiversionReason::Cfb, RedirectionReason::UserBusy),
    (DiversionReason::Cfnr, RedirectionReason::NoReply),
];

/// The redirection reason of a QSIG diversion reason ("unknown" for an unlisted code).
pub fn redirection_reason(r: DiversionReason) -> RedirectionReason {
    DIVERSION_REASONS
        .iter()
        .find(|(d, _)| *d == r)
        .map_or(RedirectionReason::Unknown0, |(_, x)| *x)
}

/// The QSIG diversion reason of a redirection reason ("unknown" when QSIG has none).
pub fn diversion_reason(r: RedirectionReason) -> DiversionReason {
    DIVERSION_REASONS
        .iter()
        .find(|(_, x)| *x == r)
        .map_or(DiversionReason::Unknown0, |(d, _)| *d)
}

fn party_of(p: Option<&PresentedNumberUnscreened>, cc: Option<&str>) -> Party {
    use PresentedNumberUnscreened as P;
    let number = |n: &PartyNumber| Some(party_number_text(n, cc)).filter(|t| !t.is_empty());
    match p {
        Some(P::PresentationAllowedAddressNU(n)) => Party {
            number: number(n),
            restricted: false,
        },
        Some(P::PresentationRestrictedAddressNU(n)) => Party {
            number: number(n),
            restricted: true,
        },
        Some(P::PresentationRestricted) => Party {
            number: None,
            restricted: true,
        },
        Some(P::NumberNotAvailableDueToInterworking) | None => Party {
            number: None,
            restricted: false,
        },
    }
}

/// The redirection a divertingLegInformation2 describes: the original called party first
/// (when the counter is above 1 or only it is known), as many unknown parties as the counter
/// needs, the diverting party last; the reasons mapped by [`DIVERSION_REASONS`] (the original
/// reason defaults to the reason).
pub fn redirection_from_leg2(d: &DivertingLegInformation2, cc: Option<&str>) -> Redirection {
    let counter = usize::from(d.diversion_counter.clamp(1, MAX_DIVERSION_COUNTER));
    let diverting = party_of(d.diverting_nr.as_ref(), cc);
    let mut parties = Vec::with_capacity(counter);
    if counter >= 2 {
        parties.push(party_of(d.original_called_nr.as_ref(), cc));
        while parties.len() + 1 < counter {
            parties.push(Party {
                number: None,
                restricted: false,
            });
        }
    }
    parties.push(diverting);
    let reason = redirection_reason(d.diversion_reason);
    Redirection {
        parties,
        reason,
        original_reason: d
            .original_diversion_reason
            .map_or(reason, redirection_reason),
    }
}

fn presented(p: &Party, numbering: &QsigNumbering) -> PresentedNumberUnscreened {
    use PresentedNumberUnscreened as P;
    let number = p
        .number
        .as_deref()
        .and_then(|n| party_number_from_text(n, numbering).ok());
    match (number, p.restricted) {
        (Some(n), false) => P::PresentationAllowedAddressNU(n),
        (Some(n), true) => P::PresentationRestrictedAddressNU(n),
        (None, true) => P::PresentationRestricted,
        (None, false) => P::NumberNotAvailableDueToInterworking,
    }
}

/// The divertingLegInformation2 of a redirection received in SIP: counter the number of
/// diverting parties (1..15), reasons by [`DIVERSION_REASONS`], divertingNr the last party,
/// originalCalledNr the first (only when more than one party diverted), no names.
pub fn leg2_from_redirection(
    r: &Redirection,
    numbering: &QsigNumbering,
) -> DivertingLegInformation2 {
    let counter = u8::try_from(r.parties.len())
        .unwrap_or(MAX_DIVERSION_COUNTER)
        .clamp(1, MAX_DIVERSION_COUNTER);
    let original = (r.parties.len() >= 2)
        .then(|| r.parties.first())
        .flatten()
        .map(|p| presented(p, numbering));
    DivertingLegInformation2 {
        diversion_counter: counter,
        diversion_reason: diversion_reason(r.reason),
        original_diversion_reason: (counter >= 2).then(|| diversion_reason(r.original_reason)),
        diverting_nr: r.parties.last().map(|p| presented(p, numbering)),
        original_called_nr: original,
        redirecting_name: None,
        original_called_name: None,
        extension: None,
    }
}

// ---------------------------------------------------------------------------------------------
// SETUP -> INVITE (RFC 4497 8.2.1.1, 9.1)

/// RFC 4497 8.2.1.1 and 9.1.2: the identity headers of the INVITE for a received SETUP (the
/// Request-URI is the gateway's, from [`called_text`] and the route; To is the Request-URI,
/// 9.1.1, so [`InviteHeaders::to`] is None).
///
/// - Calling party number with a number (9.1.2.3, 9.1.2.4): presentation allowed: From with
///   the number's URI, P-Asserted-Identity with it to a trusted peer; restricted: anonymous
///   From, `Privacy: id`, and P-Asserted-Identity to a trusted peer only. The screening
///   "verified and failed" gives no P-Asserted-Identity (module docs).
/// - No number (the element absent, no digits, "not available due to interworking"):
///   9.1.2.1, From with the gateway's URI and no P-Asserted-Identity; or 9.1.2.2 when
///   restricted: anonymous From and `Privacy: id`.
/// - callingName (ECMA-164, in a Facility IE): an allowed name is the display name of From
///   (unless From is anonymous) and of P-Asserted-Identity; a restricted one only that of a
///   trusted peer's P-Asserted-Identity, with `Privacy: id` ([`NameDisplay`]).
/// - divertingLegInformation2 (ECMA-174): History-Info, or Diversion when
///   `ctx.diversion_header`, as for ISUP ([`Redirection::history_info`],
///   [`Redirection::diversion`]).
/// - No Supported header: 8.2.1.1's `Supported: 100rel` ("SHALL include") is the one the
///   user agent puts in every INVITE it sends (`Supported: 100rel, timer`), as for the ISUP
///   path's [`crate::interwork::setup::iam_to_invite`]; a second header field would repeat
///   the option tag.
pub fn setup_to_invite(setup: &Message, ctx: &SetupContext) -> InviteHeaders {
    let cc = ctx.country_code;
    let mut headers = Vec::new();
    let cpn = setup.find(|e| e.as_calling_party_number());
    let number_restricted = cpn.is_some_and(|n| restricted(n.presentation));
    let number = cpn
        .filter(|n| n.presentation != Some(Presentation::NotAvailable))
        .map(|n| e164_text(n, cc))
        .filter(|t| !t.is_empty());
    let assertable =
        cpn.is_some_and(|n| n.screening != Some(Screening::UserProvidedVerifiedAndFailed));
    let name = name_display(message_name(setup, opcode::CALLING_NAME).as_ref());

    let mut from = match (&number, number_restricted) {
        (_, true) => anonymous_name_addr(),
        (Some(n), false) => NameAddr::new(number_uri(n, ctx.host)),
        (None, false) => NameAddr::new(number_uri("", ctx.host)),
    };
    if let (NameDisplay::Public(t), false) = (&name, number_restricted) {
        from.set_display_name(t);
    }
    let mut privacy = number_restricted;
    if let (Some(n), true, true) = (&number, ctx.trusted, assertable) {
        let mut pai = NameAddr::new(number_uri(n, ctx.host));
        match &name {
            NameDisplay::Public(t) => pai.set_display_name(t),
            NameDisplay::Private(t) => {
                pai.set_display_name(t);
                privacy = true;
            }
            NameDisplay::None => {}
        }
        headers.push(("P-Asserted-Identity", pai.to_string()));
    }
    if privacy {
        headers.push(("Privacy", "id".to_string()));
    }

    if let Some(d) = message_diversion(setup) {
        let r = redirection_from_leg2(&d, cc);
        if ctx.diversion_header {
            let v = r.diversion(ctx.host, ctx.trusted);
            if !v.is_empty() {
                headers.push(("Diversion", v));
            }
        } else {
            let target = setup
                .find(|e| e.as_called_party_number())
                .map(|n| e164_text(n, cc))
                .unwrap_or_default();
            headers.push((
                "History-Info",
                r.history_info(&target, ctx.host, ctx.trusted),
            ));
        }
    }
    InviteHeaders {
        from,
        to: None,
        headers,
    }
}

// ---------------------------------------------------------------------------------------------
// INVITE -> SETUP (RFC 4497 8.3.1, 9.2, 10.1)

/// The gateway's choices for what it sends into the PISN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QsigDefaults {
    pub numbering: QsigNumbering,
    /// The peer is trusted (RFC 4497 9.2: "trusts the information" in P-Asserted-Identity;
    /// RFC 3325 trust domain).
    pub peer_trusted: bool,
    /// Use an unverified From for the calling number (RFC 4497 9.2: MAY be configurable,
    /// default SHOULD be not). Default false.
    pub use_from: bool,
    /// User information layer 1 protocol of the bearer capability (RFC 4497 Table 3:
    /// "based on information of the PISN": G.711 A-law on E1, mu-law on T1). Default A-law.
    pub layer1: UserInformationLayer1Protocol,
    /// Add Sending complete (8.3.1 MAY: the gateway "can determine that the number ... is
    /// complete"; an INVITE carries the whole number unless overlap is used). Default true.
    pub sending_complete: bool,
}

impl Default for QsigDefaults {
    fn default() -> Self {
        QsigDefaults {
            numbering: QsigNumbering::default(),
            peer_trusted: false,
            use_from: false,
            layer1: UserInformationLayer1Protocol::G711ALaw,
            sending_complete: true,
        }
    }
}

/// RFC 4497 10.1, Table 3: the bearer capability for 'audio' (or an INVITE without SDP):
/// CCITT coding, "3,1 kHz audio", circuit mode, 64 kbit/s, no multiplier, G.711 with the
/// given law.
pub fn bearer_for_audio(layer1: UserInformationLayer1Protocol) -> BearerCapability {
    BearerCapability {
        coding_standard: CodingStandard::ItuT,
        information_transfer_capability: InformationTransferCapability::Audio3_1kHz,
        transfer_mode: TransferMode::Circuit,
        information_transfer_rate: InformationTransferRate::Kbit64,
        rate_multiplier: None,
        user_information_layer_1_protocol: Some(layer1),
        layer_1_extension: Vec::new(),
        rest: Vec::new(),
    }
}

/// RFC 4497 10.2, Table 4: the information transfer capabilities whose SDP media type is
/// `audio`. Any other one has no mapping here (8.1: a SETUP with a bearer capability "for
/// which the gateway is able to provide interworking").
pub const RFC4497_AUDIO_CAPABILITIES: &[InformationTransferCapability] = &[
    InformationTransferCapability::Speech, // "speech" (00000): audio
    InformationTransferCapability::Audio3_1kHz, // "3,1 kHz audio" (10000): audio
];

/// Whether a SETUP's bearer capability maps to SDP `audio` (Table 4).
pub fn bearer_is_audio(bc: &BearerCapability) -> bool {
    bc.coding_standard == CodingStandard::ItuT
        && RFC4497_AUDIO_CAPABILITIES.contains(&bc.information_transfer_capability)
}

/// What the INVITE's identity says (RFC 4497 9.2.2): the number, whether it is the network's
/// (P-Asserted-Identity of a trusted peer), its display name, and whether privacy is asked.
struct Identity {
    number: Option<(String, bool)>,
    name: Option<String>,
    restricted: bool,
}

fn read_privacy(m: &SipMessage) -> bool {
    // 9.2.2: "id"; "Based on local policy, the gateway MAY use ... other priv-values": user
    // and header hide the identity too (RFC 3323 4.2), as the ISUP side reads them
    m.get_all("Privacy")
        .filter_map(|v| parse_privacy(v).ok())
        .flatten()
        .any(|p| {
            ["id", "user", "header"]
                .iter()
                .any(|v| p.eq_ignore_ascii_case(v))
        })
}

fn asserted(m: &SipMessage, trusted: bool) -> Option<NameAddr> {
    if !trusted {
        return None;
    }
    m.get_all("P-Asserted-Identity")
        .filter_map(|v| PAssertedIdentity::parse(v).ok())
        .flat_map(|p| p.0)
        .find(|na| uri_number(&na.uri).is_ok())
}

fn read_identity(invite: &SipMessage, d: &QsigDefaults) -> Identity {
    let pai = asserted(invite, d.peer_trusted);
    let from = invite.from().ok();
    let number = match &pai {
        Some(p) => uri_number(&p.uri).ok().map(|n| (n, true)),
        None if d.use_from => from
            .as_ref()
            .filter(|f| !is_anonymous(&f.uri))
            .and_then(|f| uri_number(&f.uri).ok())
            .map(|n| (n, false)),
        None => None,
    };
    let name = pai
        .as_ref()
        .and_then(display_of)
        .or_else(|| from.as_ref().and_then(display_of));
    let anonymous_from = from.as_ref().is_some_and(|f| is_anonymous(&f.uri));
    Identity {
        number,
        name,
        restricted: read_privacy(invite) || anonymous_from,
    }
}

/// RFC 4497 9.2.2: the calling party number for an INVITE's identity: the number of a
/// trusted P-Asserted-Identity screened "network provided", else (with
/// [`QsigDefaults::use_from`]) that of From "user provided, not screened"; presentation
/// restricted with Privacy id (or user, header) or an anonymous From, else allowed; without a
/// number and not restricted the element is omitted (9.2.2 MAY), restricted it has no digits.
fn calling_number(id: &Identity, numbering: &QsigNumbering) -> Option<Number> {
    let presentation = if id.restricted {
        Presentation::Restricted
    } else {
        Presentation::Allowed
    };
    match &id.number {
        Some((text, from_pai)) => {
            let screening = if *from_pai {
                Screening::NetworkProvided
            } else {
                Screening::UserProvidedNotScreened
            };
            number_from_text(text, numbering)
                .ok()
                .map(|n| n.presented(presentation, screening))
        }
        None if id.restricted => Some(
            Number::new(TypeOfNumber::Unknown0, NumberingPlan::Unknown0, "")
                .presented(Presentation::Restricted, Screening::NetworkProvided),
        ),
        None => None,
    }
}

/// A Facility IE with one invoke between end PINXs (ECMA-165), or None when it does not
/// encode (never for the arguments built here).
fn facility(invoke: sipt_codecs::qsig::Invoke) -> Option<InformationElement> {
    Facility::invoke(invoke)
        .ok()
        .map(InformationElement::Facility)
}

/// The invoke id of the divertingLegInformation2 this module builds. The call layer numbers
/// its own name invokes from 1; invoke ids only need to be unique among outstanding invokes
/// of the call (X.880), and this one expects no result.
pub const DIVERSION_INVOKE_ID: i64 = 0x7f00;

/// RFC 4497 8.3.1 and 9.2: the SETUP for a received INVITE, as a request to the call layer.
///
/// `called` is the called number after routing (routing form; 9.2.1: from the Request-URI,
/// never To). The calling number per 9.2.2 ([`QsigDefaults`]); the calling name (ECMA-164)
/// from the display name of the trusted P-Asserted-Identity, else of From, restricted when
/// the identity is; the bearer capability of Table 3; a divertingLegInformation2 in a
/// Facility IE for History-Info (RFC 7044) or Diversion (RFC 5806) entries; Sending complete
/// per [`QsigDefaults::sending_complete`]; the channel [`ChannelRequest::Any`] (the caller's
/// to change).
///
/// Errors: `called` is no number ([`InterworkError::status`] gives the response, 8.3.1 "SHALL
/// send a SIP 4xx, 5xx, or 6xx response").
pub fn invite_to_setup(
    invite: &SipMessage,
    called: &str,
    d: &QsigDefaults,
) -> Result<SetupRequest, InterworkError> {
    let called = number_from_text(called, &d.numbering)?;
    let id = read_identity(invite, d);
    let mut extra = Vec::new();
    if let Some(r) = read_redirection(invite) {
        let leg2 = leg2_from_redirection(&r, &d.numbering);
        extra.extend(facility(diverting_leg_information2(
            DIVERSION_INVOKE_ID,
            leg2,
        )));
    }
    Ok(SetupRequest {
        called,
        calling: calling_number(&id, &d.numbering),
        calling_name: name_for_display(id.name.as_deref(), id.restricted),
        bearer: bearer_for_audio(d.layer1),
        channel: ChannelRequest::Any,
        sending_complete: d.sending_complete,
        progress: None,
        extra,
    })
}

/// The redirection of an INVITE's History-Info (preferred) or Diversion headers.
pub fn read_redirection(invite: &SipMessage) -> Option<Redirection> {
    let history: Vec<NameAddr> = invite
        .get_all("History-Info")
        .filter_map(|v| HistoryInfo::parse(v).ok())
        .flat_map(|h| h.0)
        .collect();
    let diversion: Vec<NameAddr> = invite
        .get_all("Diversion")
        .filter_map(|v| Diversion::parse(v).ok())
        .flat_map(|d| d.0)
        .collect();
    Redirection::from_history_info(&history).or_else(|| Redirection::from_diversion(&diversion))
}

// ---------------------------------------------------------------------------------------------
// Backward messages (RFC 4497 8.2.1.2-8.2.1.4, 8.3.2-8.3.6)

/// RFC 4497 8.3.2-8.3.6: the SIP response for a QSIG message received on a call from SIP.
/// CALL PROCEEDING: nothing (8.3.2; the 100 was the gateway's own on the INVITE, 8.3.1).
pub const RFC4497_QSIG_TO_SIP: &[(MessageType, Option<u16>)] = &[
    (MessageType::CallProceeding, None), // 8.3.2: no SIP message
    (MessageType::Progress, Some(183)),  // 8.3.3: 183 Session Progress
    (MessageType::Alerting, Some(180)),  // 8.3.4: 180 Ringing
    (MessageType::Connect, Some(200)),   // 8.3.6: 200 OK (and CONNECT ACKNOWLEDGE)
];

/// The response for a backward QSIG message ([`RFC4497_QSIG_TO_SIP`]); None for any other
/// message type.
pub fn status_for_message(t: MessageType) -> Option<u16> {
    RFC4497_QSIG_TO_SIP
        .iter()
        .find(|(m, _)| *m == t)
        .and_then(|(_, s)| *s)
}

/// Whether the INVITE asked for reliable provisional responses (Require or Supported with
/// 100rel): then the 180/183 carry `Require: 100rel` (8.3.3, 8.3.4).
pub fn wants_100rel(invite: &SipMessage) -> bool {
    ["Require", "Supported"].iter().any(|h| {
        invite
            .get_all(h)
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case("100rel"))
    })
}

/// Whether a QSIG message carries progress description 1 or 8: the media are connected
/// (8.3.3, 8.3.4) and the 18x must carry SDP (8.3.5).
pub fn opens_media(msg: &Message) -> bool {
    msg.information_elements.iter().any(|e| {
        matches!(
            e,
            InformationElement::ProgressIndicator(p) if matches!(
                p.progress_description,
                ProgressDescription::NotEndToEndIsdn
                    | ProgressDescription::InBandInformationAvailable
            )
        )
    })
}

/// What the gateway has sent back into the PISN on a call from QSIG (8.2.1.3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackwardSent {
    /// An ALERTING was sent.
    pub alerting: bool,
    /// A message with progress description 1 was sent.
    pub progress_1: bool,
}

/// A backward QSIG message for a SIP provisional response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QsigBackward {
    Alerting(Response),
    Progress(Response),
}

/// The location of the progress indicators the gateway sends: the gateway is the PINX
/// serving the SIP side's user (as `crate::qsig::Config::location`).
pub const PROGRESS_LOCATION: Location = Location::PrivateNetworkLocalUser;

fn progress(description: ProgressDescription) -> ProgressIndicator {
    ProgressIndicator {
        coding_standard: CodingStandard::ItuT,
        location: PROGRESS_LOCATION,
        progress_description: description,
    }
}

/// RFC 4497 8.2.1.2 and 8.2.1.3: the QSIG message for a SIP provisional response on a call
/// from QSIG. 100: nothing. 180 before any ALERTING: ALERTING, with progress description 8
/// only when `inband` (the gateway plays ring-back or knows in-band information is sent).
/// 181/182/183 (and any other 1xx but 199, RFC 3261 8.1.3.2 reads an unknown 1xx as 183;
/// 199 Early Dialog Terminated, RFC 6228, ends one early dialog, not the call) before any
/// ALERTING and any progress description 1: PROGRESS with progress description 1. Otherwise
/// nothing ("In all other scenarios, the gateway SHALL NOT map the SIP 18x").
pub fn backward_for_provisional(
    status: u16,
    sent: BackwardSent,
    inband: bool,
) -> Option<QsigBackward> {
    if sent.alerting || !(101..=198).contains(&status) {
        return None;
    }
    if status == 180 {
        let progress = inband.then(|| progress(ProgressDescription::InBandInformationAvailable));
        return Some(QsigBackward::Alerting(Response {
            progress,
            extra: Vec::new(),
        }));
    }
    (!sent.progress_1).then(|| {
        QsigBackward::Progress(Response {
            progress: Some(progress(ProgressDescription::NotEndToEndIsdn)),
            extra: Vec::new(),
        })
    })
}

/// The number and privacy headers of a SIP response that stands for a QSIG identity: the
/// connected number of CONNECT (9.1.3) with the connectedName (ECMA-164).
///
/// - 9.1.3.1 no number, not restricted: neither P-Asserted-Identity nor Privacy.
/// - 9.1.3.2 no number, restricted: `Privacy: id`.
/// - 9.1.3.3 number, restricted: P-Asserted-Identity (trusted peer) and `Privacy: id`.
/// - 9.1.3.4 number, allowed: P-Asserted-Identity (trusted peer).
///
/// The name as for [`setup_to_invite`]: the display name of P-Asserted-Identity, a
/// restricted one with `Privacy: id`; with no number to carry it, no name.
pub fn connect_to_200(connect: &Message, ctx: &SetupContext) -> Vec<(&'static str, String)> {
    let mut headers = Vec::new();
    let n = connect.find(|e| match e {
        InformationElement::ConnectedNumber(n) => Some(n),
        _ => None,
    });
    let is_restricted = n.is_some_and(|n| restricted(n.presentation));
    let number = n
        .filter(|n| n.presentation != Some(Presentation::NotAvailable))
        .map(|n| e164_text(n, ctx.country_code))
        .filter(|t| !t.is_empty());
    let mut privacy = is_restricted;
    if let (Some(text), true) = (&number, ctx.trusted) {
        let mut pai = NameAddr::new(number_uri(text, ctx.host));
        match name_display(message_name(connect, opcode::CONNECTED_NAME).as_ref()) {
            NameDisplay::Public(t) => pai.set_display_name(&t),
            NameDisplay::Private(t) => {
                pai.set_display_name(&t);
                privacy = true;
            }
            NameDisplay::None => {}
        }
        headers.push(("P-Asserted-Identity", pai.to_string()));
    }
    if privacy {
        headers.push(("Privacy", "id".to_string()));
    }
    headers
}

/// RFC 4497 9.2.3: the CONNECT contents for a 2xx to the INVITE: the connected number from a
/// trusted P-Asserted-Identity, "network provided" ("SHOULD NOT include a number" otherwise);
/// presentation restricted with Privacy id (user, header), else allowed with a number or "not
/// available due to interworking" without, when the element is omitted (9.2.3 MAY) unless
/// restricted; the connectedName from the P-Asserted-Identity's display name.
pub fn ok_to_connect(response: &SipMessage, d: &QsigDefaults) -> ConnectResponse {
    let pai = asserted(response, d.peer_trusted);
    let is_restricted = read_privacy(response);
    let presentation = if is_restricted {
        Presentation::Restricted
    } else {
        Presentation::Allowed
    };
    let connected = match pai.as_ref().and_then(|p| uri_number(&p.uri).ok()) {
        Some(text) => number_from_text(&text, &d.numbering)
            .ok()
            .map(|n| n.presented(presentation, Screening::NetworkProvided)),
        None if is_restricted => Some(
            Number::new(TypeOfNumber::Unknown0, NumberingPlan::Unknown0, "")
                .presented(Presentation::Restricted, Screening::NetworkProvided),
        ),
        None => None,
    };
    let name = pai.as_ref().and_then(display_of);
    ConnectResponse {
        connected,
        connected_name: name_for_display(name.as_deref(), is_restricted),
        progress: None,
        extra: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Clearing (RFC 4497 8.4)

/// RFC 4497 8.4.1, Table 1: "Mapping of QSIG Cause Value to SIP 4xx-6xx responses to an
/// INVITE request". 16 is note 3 (a BYE or CANCEL, [`SipOutcome::Clear`]); 21 gives 603 when
/// the cause's location is 'user' and 22 gives 301 when its diagnostic holds a number
/// ([`sip_for_cause`]). Causes not listed give 500 (8.4.1 item 5).
pub const RFC4497_CAUSE_TO_SIP: &[(u8, SipOutcome)] = {
    use SipOutcome::*;
    &[
        (1, Status(404)),   // Unallocated number: 404 Not found
        (2, Status(404)),   // No route to specified transit network: 404
        (3, Status(404)),   // No route to destination: 404
        (16, Clear),        // Normal call clearing: (NOTE 3) BYE or CANCEL
        (17, Status(486)),  // User busy: 486 Busy here
        (18, Status(408)),  // No user responding: 408 Request timeout
        (19, Status(480)),  // No answer from the user: 480 Temporarily unavailable
        (20, Status(480)),  // Subscriber absent: 480
        (21, Status(403)),  // Call rejected: 603 if location user, otherwise 403 Forbidden
        (22, Status(410)),  // Number changed: 301 if diagnostic fits a Contact, otherwise 410
        (23, Status(410)),  // Redirection to new destination: 410 Gone
        (27, Status(502)),  // Destination out of order: 502 Bad gateway
        (28, Status(484)),  // Address incomplete: 484 Address incomplete
        (29, Status(501)),  // Facility rejected: 501 Not implemented
        (31, Status(480)),  // Normal, unspecified: 480 Temporarily unavailable
        (34, Status(503)),  // No circuit/channel available: 503 Service unavailable
        (38, Status(503)),  // Network out of order: 503
        (41, Status(503)),  // Temporary failure: 503
        (42, Status(503)),  // Switching equipment congestion: 503
        (47, Status(503)),  // Resource unavailable, unspecified: 503
        (55, Status(403)),  // Incoming calls barred within CUG: 403 Forbidden
        (57, Status(403)),  // Bearer capability not authorized: 403
        (58, Status(503)),  // Bearer capability not presently available: 503
        (65, Status(488)),  // Bearer capability not implemented: 488 (NOTE 4)
        (69, Status(501)),  // Requested facility not implemented: 501 Not implemented
        (70, Status(488)),  // Only restricted digital information available: 488 (NOTE 4)
        (79, Status(501)),  // Service or option not implemented, unspecified: 501
        (87, Status(403)),  // User not member of CUG: 403 Forbidden
        (88, Status(503)),  // Incompatible destination: 503 Service unavailable
        (102, Status(504)), // Recovery on timer expiry: 504 Server time-out
    ]
};

/// RFC 4497 8.4.1 item 5: the default response for causes Table 1 does not list (and for
/// 16 when a response must be sent, note 3).
pub const DEFAULT_STATUS: u16 = 500;

/// RFC 4497 8.4.4, Table 2: "Mapping of SIP 4xx-6xx responses to an INVITE request to QSIG
/// Cause values". 487 has none (note 7: the default, 31, if clearing must start); 488 and 606
/// give 65 only when the Warning speaks of the bearer (note 8). Statuses not listed give 31.
pub const RFC4497_SIP_TO_CAUSE: &[(u16, IsupOutcome)] = {
    use IsupOutcome::*;
    &[
        (400, Cause(41)),  // Bad request: Temporary failure
        (401, Cause(21)),  // Unauthorized: Call rejected (NOTE 5)
        (402, Cause(21)),  // Payment required: Call rejected
        (403, Cause(21)),  // Forbidden: Call rejected
        (404, Cause(1)),   // Not found: Unallocated number
        (405, Cause(63)),  // Method not allowed: Service or option unavailable
        (406, Cause(79)),  // Not acceptable: Service or option not implemented
        (407, Cause(21)),  // Proxy Authentication required: Call rejected (NOTE 5)
        (408, Cause(102)), // Request timeout: Recovery on timer expiry
        (410, Cause(22)),  // Gone: Number changed
        (413, Cause(127)), // Request entity too large: Interworking (NOTE 6)
        (414, Cause(127)), // Request-URI too long: Interworking (NOTE 6)
        (415, Cause(79)),  // Unsupported media type: Service or option not impl. (NOTE 6)
        (416, Cause(127)), // Unsupported URI scheme: Interworking (NOTE 6)
        (420, Cause(127)), // Bad extension: Interworking (NOTE 6)
        (421, Cause(127)), // Extension required: Interworking (NOTE 6)
        (423, Cause(127)), // Interval too brief: Interworking (NOTE 6)
        (480, Cause(18)),  // Temporarily unavailable: No user responding
        (481, Cause(41)),  // Call/transaction does not exist: Temporary failure
        (482, Cause(25)),  // Loop detected: Exchange routing error
        (483, Cause(25)),  // Too many hops: Exchange routing error
        (484, Cause(28)),  // Address incomplete: Invalid number format (NOTE 6)
        (485, Cause(1)),   // Ambiguous: Unallocated number
        (486, Cause(17)),  // Busy here: User busy
        (487, None),       // Request terminated: (NOTE 7)
        (488, ByWarning),  // Not Acceptable Here: 65 or 31 (NOTE 8)
        (500, Cause(41)),  // Server internal error: Temporary failure
        (501, Cause(79)),  // Not implemented: Service or option not implemented
        (502, Cause(38)),  // Bad gateway: Network out of order
        (503, Cause(41)),  // Service unavailable: Temporary failure
        (504, Cause(102)), // Gateway time-out: Recovery on timer expiry
        (505, Cause(127)), // Version not supported: Interworking (NOTE 6)
        (513, Cause(127)), // Message too large: Interworking (NOTE 6)
        (600, Cause(17)),  // Busy everywhere: User busy
        (603, Cause(21)),  // Decline: Call rejected
        (604, Cause(1)),   // Does not exist anywhere: Unallocated number
        (606, ByWarning),  // Not acceptable: 65 or 31 (NOTE 8)
    ]
};

/// RFC 4497 8.4.4: the default cause for statuses Table 2 does not list.
pub const DEFAULT_CAUSE: u8 = 31;

/// Warning codes (RFC 3261 20.43) that speak of the media (304 media type not available, 305
/// incompatible media format): a 488 or 606 with one gives 65 (note 8: "only if there is a
/// chance that a new call attempt with different content in the Bearer capability ... will
/// avoid the problem").
pub const BEARER_WARNINGS: [u16; 2] = [304, 305];

/// RFC 4497 Table 1 with its notes: the SIP outcome of a QSIG cause. 21 with location 'user'
/// gives 603; 22 with a diagnostic (the new number, for a Contact) gives 301; 44 "requested
/// circuit or channel not available" is [`SipOutcome::Untranslatable`] (note 2: the gateway
/// tries another channel; see [`response_for_cause`] when it cannot).
pub fn sip_for_cause(cause: &Cause) -> SipOutcome {
    let code = cause.cause_value.code();
    if code == 44 {
        return SipOutcome::Untranslatable;
    }
    let row = RFC4497_CAUSE_TO_SIP
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(SipOutcome::Status(DEFAULT_STATUS), |(_, o)| *o);
    match (code, row) {
        (21, SipOutcome::Status(403)) if cause.location == Location::User => {
            SipOutcome::Status(603)
        }
        (22, SipOutcome::Status(410)) if !cause.diagnostics.is_empty() => SipOutcome::Status(301),
        _ => row,
    }
}

/// RFC 4497 8.4.1 item 5: the final response to an INVITE not answered yet, for a QSIG
/// cause: the Table 1 status; 500 for 16 (note 3) and unlisted causes; 503 for 44 (note 2:
/// the channel the peer refused left none to try, "a congestion situation").
pub fn response_for_cause(cause: &Cause) -> u16 {
    match sip_for_cause(cause) {
        SipOutcome::Status(s) => s,
        SipOutcome::Clear => DEFAULT_STATUS,
        SipOutcome::Untranslatable => 503,
    }
}

/// The state of the SIP side when the first QSIG clearing message arrives (8.4.1 items 1-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SipCallState {
    /// 200 sent and ACK received, or 200 received and ACK sent (item 1).
    Confirmed,
    /// 200 sent, no ACK yet (item 2).
    AnsweredAwaitingAck,
    /// INVITE sent, a provisional response received, no final one (item 3).
    ProvisionalReceived,
    /// INVITE sent, nothing received (item 4).
    NoResponse,
    /// INVITE received, no final response sent (item 5).
    InviteReceived,
}

/// What clears the SIP side (8.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SipClearing {
    Bye,
    /// Wait for the ACK, then BYE (item 2).
    ByeAfterAck,
    Cancel,
    /// Nothing now; act as 1-3 when a response comes (item 4).
    AwaitResponse,
    /// This final response to the INVITE (item 5).
    Response(u16),
}

/// RFC 4497 8.4.1: how a QSIG DISCONNECT, RELEASE or RELEASE COMPLETE (the first clearing
/// message) with `cause` clears the SIP side in `state`. Add [`reason_header`] of the cause
/// to the BYE, CANCEL or response.
pub fn clearing_for(state: SipCallState, cause: &Cause) -> SipClearing {
    match state {
        SipCallState::Confirmed => SipClearing::Bye,
        SipCallState::AnsweredAwaitingAck => SipClearing::ByeAfterAck,
        SipCallState::ProvisionalReceived => SipClearing::Cancel,
        SipCallState::NoResponse => SipClearing::AwaitResponse,
        SipCallState::InviteReceived => SipClearing::Response(response_for_cause(cause)),
    }
}

/// RFC 3326 2: the Reason header value for a QSIG cause: `Q.850;cause=17;text="User busy"`.
pub fn reason_header(cause: &Cause) -> String {
    let value = cause.cause_value;
    Reason::q850(value.code(), cause_text(value).as_deref()).to_string()
}

/// RFC 4497 8.4.4: the location of a cause made from a SIP status: 'user' for 6xx, "private
/// network serving the remote user" otherwise.
pub fn location_for_status(status: u16) -> Location {
    if status >= 600 {
        Location::User
    } else {
        Location::PrivateNetworkRemoteUser
    }
}

/// RFC 4497 Table 2 with notes 7 and 8: the cause value for a 4xx-6xx status (`warning`: the
/// code of the response's Warning header, for 488 and 606). 487 and unlisted statuses give
/// 31.
pub fn cause_for_status(status: u16, warning: Option<u16>) -> u8 {
    let row = RFC4497_SIP_TO_CAUSE
        .iter()
        .find(|(s, _)| *s == status)
        .map_or(IsupOutcome::Cause(DEFAULT_CAUSE), |(_, o)| *o);
    match row {
        IsupOutcome::Cause(c) => c,
        IsupOutcome::None => DEFAULT_CAUSE,
        IsupOutcome::ByWarning => match warning {
            Some(w) if BEARER_WARNINGS.contains(&w) => 65,
            _ => DEFAULT_CAUSE,
        },
    }
}

fn warning_code(m: &SipMessage) -> Option<u16> {
    let codes: Vec<u16> = m
        .get_all("Warning")
        .flat_map(|v| v.split(','))
        .filter_map(|w| w.trim().get(..3).and_then(|c| c.parse().ok()))
        .collect();
    codes
        .iter()
        .copied()
        .find(|c| BEARER_WARNINGS.contains(c))
        .or_else(|| codes.first().copied())
}

fn cause_of_reason(m: &SipMessage, default_location: Location) -> Option<Cause> {
    message_reason(m)
        .map(|(c, loc)| Cause::new(loc.unwrap_or(default_location), CauseValue::from_code(c)))
}

/// RFC 4497 8.4.4: the cause of the DISCONNECT for a 4xx-6xx final response to the INVITE:
/// its Reason: Q.850 header when present (RFC 3326; module docs), else Table 2
/// ([`cause_for_status`]) with the location of [`location_for_status`]. Whether to retry
/// first (401/407 with credentials, note 5; note 6) is the caller's decision.
pub fn cause_for_response(response: &SipMessage) -> Cause {
    let status = response.status().unwrap_or(0);
    let location = location_for_status(status);
    cause_of_reason(response, location).unwrap_or_else(|| {
        Cause::new(
            location,
            CauseValue::from_code(cause_for_status(status, warning_code(response))),
        )
    })
}

/// RFC 4497 8.4.2 (BYE) and 8.4.3 (CANCEL): the cause of the DISCONNECT, 16 "normal call
/// clearing" — or the cause of a Reason: Q.850 header (module docs). Location 'user' (the
/// SIP user ended the call) unless the Reason header gives one (RFC 8606).
pub fn cause_for_request(request: &SipMessage) -> Cause {
    cause_of_reason(request, Location::User)
        .unwrap_or_else(|| Cause::new(Location::User, CauseValue::NormalCallClearing))
}

/// Why the gateway itself clears a call (8.4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayFailure {
    /// QSIG timer T301 (alerting, no answer) expired.
    T301,
    /// Another QSIG timer expired.
    QsigTimer,
    /// A QSIG protocol error or a RESTART of the channel.
    QsigError,
    /// A SIP timer expired.
    SipTimer,
    /// A SIP protocol error.
    SipError,
}

/// RFC 4497 8.4.5: the final response to the INVITE when the gateway clears because of the
/// QSIG side: 480 after T301, 408 after another timer, 500 otherwise; None for SIP-side
/// failures (the SIP side is already gone).
pub fn response_for_failure(f: GatewayFailure) -> Option<u16> {
    match f {
        GatewayFailure::T301 => Some(480),
        GatewayFailure::QsigTimer => Some(408),
        GatewayFailure::QsigError => Some(500),
        GatewayFailure::SipTimer | GatewayFailure::SipError => None,
    }
}

/// RFC 4497 8.4.5: the cause to clear the QSIG call with when the SIP side failed: 102
/// "recovery on timer expiry" after a SIP timer, 41 "temporary failure" otherwise. None for
/// QSIG-side failures (the call layer has cleared the QSIG call).
pub fn cause_for_failure(f: GatewayFailure) -> Option<CauseValue> {
    match f {
        GatewayFailure::SipTimer => Some(CauseValue::RecoveryOnTimerExpiry),
        GatewayFailure::SipError => Some(CauseValue::TemporaryFailure),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Overlap (RFC 4497 8.2.2, 8.3.9)

/// The called number of a call from QSIG collected from its SETUP and INFORMATION messages
/// (8.2.2.1.2: "the concatenation of information in the Called party number information
/// element in the received QSIG SETUP and INFORMATION messages").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QsigDigits {
    /// Routing form so far.
    number: String,
    /// Sending complete received (8.2.2: "the presence of a Sending complete information
    /// element"), or the number reached the 15 digits of E.164 6.1 ("numbering plan
    /// information").
    complete: bool,
}

impl QsigDigits {
    /// Starts from a SETUP.
    pub fn from_setup(setup: &Message) -> QsigDigits {
        let number = setup
            .find(|e| e.as_called_party_number())
            .map(number_text)
            .unwrap_or_default();
        let mut d = QsigDigits {
            number,
            complete: has_sending_complete(setup),
        };
        d.check_length();
        d
    }

    fn check_length(&mut self) {
        if self.number.trim_start_matches('+').len() >= E164_MAX_DIGITS {
            self.complete = true;
        }
    }

    /// The number so far (routing form).
    pub fn number(&self) -> &str {
        &self.number
    }

    /// No more digits can come (T302 expiring is the caller's other way to decide).
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Adds the digits of an INFORMATION message; true when it brought any. After completion
    /// INFORMATION is ignored (8.2.2.2.10: "SHALL ignore any further QSIG INFORMATION").
    pub fn add_information(&mut self, info: &Message) -> bool {
        if self.complete || info.message_type != MessageType::Information {
            return false;
        }
        let digits = info
            .find(|e| e.as_called_party_number())
            .map(|n| n.digits.clone())
            .unwrap_or_default();
        // an international number's "+" comes from the SETUP's type of number only
        self.number.push_str(&digits);
        if has_sending_complete(info) {
            self.complete = true;
        }
        self.check_length();
        !digits.is_empty()
    }
}

/// Writes the collected number (routing form) into a SETUP's called party number, its type
/// of number and numbering plan kept (the "+" of an international number comes from the type
/// of number), and adds Sending complete: the SETUP then reads as the en-bloc one the SIP side
/// gets (8.2.2.1.2).
pub fn set_called_digits(setup: &mut Message, number: &str) {
    let digits = number.trim_start_matches('+');
    for e in &mut setup.information_elements {
        if let InformationElement::CalledPartyNumber(n) = e {
            n.digits = digits.to_string();
        }
    }
    if setup.find(|e| e.as_called_party_number()).is_none() {
        setup
            .information_elements
            .push(InformationElement::CalledPartyNumber(Number::new(
                TypeOfNumber::Unknown0,
                NumberingPlan::Unknown0,
                digits,
            )));
    }
    if !has_sending_complete(setup) {
        setup
            .information_elements
            .push(InformationElement::SendingComplete);
    }
}

fn has_sending_complete(m: &Message) -> bool {
    m.information_elements
        .iter()
        .any(|e| matches!(e, InformationElement::SendingComplete))
}

/// What a new INVITE of the same call (same Call-ID, From with tag, no To tag: the caller
/// checks those) is, by its number (8.3.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverlapInvite {
    /// More digits: send this INFORMATION and answer the earlier INVITE with 484.
    Information(InformationRequest),
    /// Not a superset of the earlier digits: answer the new INVITE with 485 Ambiguous.
    Ambiguous,
}

/// RFC 4497 8.3.9: the INFORMATION for an INVITE that repeats a call's INVITE with more
/// digits: "containing only the additional digits in the Called party number information
/// element", with the type of number and numbering plan of `template` (the SETUP's called
/// party number). `previous` and `new` are routing forms.
pub fn overlap_invite(previous: &str, new: &str, template: &Number) -> OverlapInvite {
    match new.strip_prefix(previous).filter(|e| !e.is_empty()) {
        Some(extra) if check_digits(extra, previous.len()).is_ok() => {
            OverlapInvite::Information(InformationRequest {
                called: Some(Number::new(
                    template.type_of_number,
                    template.numbering_plan,
                    extra,
                )),
                sending_complete: false,
                extra: Vec::new(),
            })
        }
        _ => OverlapInvite::Ambiguous,
    }
}

// ---------------------------------------------------------------------------------------------
// SIP bridging of QSIG (RFC 3204 application/QSIG; RFC 3372 call model "SIP bridging")
//
// Not in RFC 4497 (a pure translation, its 7). Between two gateways that trust each other the
// QSIG message itself rides in the SIP message (RFC 3204 3.2: "QSIG message starting at
// protocol discriminator"), so that what the mapping cannot express — Facility IEs with
// supplementary service APDUs above all — reaches the far PBX. As for ISUP
// ([`super::setup::invite_to_iam`] with an encapsulated IAM, RFC 3398 7.2.1.1), the
// encapsulated message is the template and only what SIP changed is written into it:
// - the called number from the Request-URI as routed (the template's type of number and
//   numbering plan kept when the digits are the same);
// - the calling (connected) number when SIP asserts other digits; a restriction the SIP side
//   asks for is added, one in the template never lifted (privacy fails safe);
// - the channel identification is always our own (the call layer's, Q.931 5.1.2);
// - a name or diversion operation the mapping made is added only when the template has none
//   of that operation.

/// The invoke id of a calledName this module builds (as [`DIVERSION_INVOKE_ID`]).
pub const CALLED_NAME_INVOKE_ID: i64 = 0x7f01;

/// The QSIG message of an application/QSIG part when it is of one of `types` (a message of
/// another type or that does not decode is no template: the mapping alone is used).
pub fn encapsulated_message(octets: &[u8], types: &[MessageType]) -> Option<Message> {
    Message::decode(octets)
        .ok()
        .filter(|m| types.contains(&m.message_type))
}

/// The QSIG message types RFC 3204 bodies carry in each SIP message of a call, as this
/// gateway sends and reads them: SETUP in the INVITE, ALERTING in a 180, PROGRESS in another
/// 18x, CONNECT in the 2xx, the first clearing message in a BYE or a 4xx-6xx.
pub fn qsig_types_for_status(status: u16) -> &'static [MessageType] {
    match status {
        180 => &[MessageType::Alerting],
        101..=199 => &[MessageType::Progress],
        200..=299 => &[MessageType::Connect],
        _ => CLEARING_TYPES,
    }
}

/// The first clearing messages (Q.931 5.3; RFC 4497 8.4.1), carried in a BYE or a final
/// response.
pub const CLEARING_TYPES: &[MessageType] = &[
    MessageType::Disconnect,
    MessageType::Release,
    MessageType::ReleaseComplete,
];

/// Why the QSIG part of an INVITE cannot be used, when it must be (RFC 3204 6:
/// handling=required): 415 (an ISUP part, or a QSIG message that is not a SETUP) or 400 (QSIG
/// octets that do not decode).
pub fn invite_setup(
    invite: &SipMessage,
    trusted: bool,
) -> Result<Option<Message>, super::body::BodyProblem> {
    encapsulated_of(invite, trusted, &[MessageType::Setup])
}

/// The QSIG messages an INFO carries within a call (RFC 3372 6 with RFC 3204 bodies): the
/// FACILITY of a far PBX (Q.932; ECMA-165), whose operations the mapping cannot express.
pub const INFO_TYPES: &[MessageType] = &[MessageType::Facility];

/// The encapsulated QSIG message of an INFO from a peer (one of [`INFO_TYPES`]), with the
/// checks of [`invite_setup`]: None from an untrusted peer (its bodies ignored, RFC 3372), or
/// when an optional part is of another type; 415 for a required part of another type or an
/// ISUP part, 400 for required QSIG octets that do not decode (RFC 3204 6).
pub fn info_message(
    info: &SipMessage,
    trusted: bool,
) -> Result<Option<Message>, super::body::BodyProblem> {
    encapsulated_of(info, trusted, INFO_TYPES)
}

/// The first usable application/QSIG part of `m` of one of `types` (RFC 3204 6 handling).
fn encapsulated_of(
    m: &SipMessage,
    trusted: bool,
    types: &[MessageType],
) -> Result<Option<Message>, super::body::BodyProblem> {
    use super::body::BodyProblem;
    use sipt_codecs::rfc3204::{Handling, PartType};
    // the generic checks (multipart, versions, untrusted parts ignored)
    let body = super::body::split(m, trusted)?;
    if !trusted {
        return Ok(None);
    }
    let parts = m
        .body_parts()
        .map_err(|e| BodyProblem::Malformed(format!("Malformed body: {e}")))?;
    let mut found = None;
    for part in &parts {
        let required = part.handling() != Handling::Optional;
        match part.part_type() {
            // an ISUP message cannot become a QSIG one: this trunk cannot use it
            PartType::Isup { .. } if required && body.isup.is_some() => {
                return Err(BodyProblem::Unsupported {
                    content_type: part.content_type.clone(),
                });
            }
            PartType::Qsig { .. }
                if found.is_none() && body.qsig.as_deref() == Some(&part.body) =>
            {
                match Message::decode(&part.body) {
                    Ok(q) if types.contains(&q.message_type) => found = Some(q),
                    Ok(_) if required => {
                        return Err(BodyProblem::Unsupported {
                            content_type: part.content_type.clone(),
                        })
                    }
                    Err(e) if required => {
                        return Err(BodyProblem::Malformed(format!("Malformed QSIG body: {e}")))
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    Ok(found)
}

/// The name operations of a message's Facility IEs (callingName, calledName, ...; ECMA-164).
fn has_invoke(msg: &Message, op: i64) -> bool {
    msg.information_elements
        .iter()
        .filter_map(|e| e.as_facility())
        .filter_map(Facility::contents)
        .flat_map(|c| c.invokes())
        .any(|i| i.opcode.local() == Some(op))
}

/// Whether a Facility IE holds only invokes of `op`.
fn only_invokes_of(e: &InformationElement, op: i64) -> bool {
    let Some(c) = e.as_facility().and_then(Facility::contents) else {
        return false;
    };
    let ops: Vec<Option<i64>> = c.invokes().map(|i| i.opcode.local()).collect();
    !ops.is_empty() && c.apdus().count() == ops.len() && ops.iter().all(|o| *o == Some(op))
}

/// The mapped elements whose operations the template lacks (a name or diversion the
/// mapping made from SIP headers).
fn added_from_sip(mapped: Vec<InformationElement>, template: &Message) -> Vec<InformationElement> {
    mapped
        .into_iter()
        .filter(|e| {
            let ops: Vec<i64> = e
                .as_facility()
                .and_then(Facility::contents)
                .map(|c| c.invokes().filter_map(|i| i.opcode.local()).collect())
                .unwrap_or_default();
            !ops.iter().any(|op| has_invoke(template, *op))
        })
        .collect()
}

fn same_digits(a: &Number, b: &Number) -> bool {
    a.digits == b.digits
}

/// A number asserted through SIP against the template's: the template's when the digits are
/// the same (its type, plan, screening kept), SIP's otherwise; a restriction asked for in SIP
/// is added, the template's never lifted.
fn merge_number(template: Option<&Number>, sip: Option<Number>) -> Option<Number> {
    let restrict_sip = sip.as_ref().is_some_and(|n| restricted(n.presentation));
    let mut n = match (template, sip) {
        (Some(t), Some(s)) if same_digits(t, &s) || s.digits.is_empty() => t.clone(),
        (_, Some(s)) => s,
        (t, None) => t.cloned()?,
    };
    if restrict_sip && n.presentation != Some(Presentation::Restricted) {
        n.presentation = Some(Presentation::Restricted);
        n.screening.get_or_insert(Screening::NetworkProvided);
    }
    Some(n)
}

/// The template's elements that ride along: all but those the call layer writes itself
/// (`written`) — the channel identification always.
fn carried(
    template: &Message,
    mut written: impl FnMut(&InformationElement) -> bool,
) -> Vec<InformationElement> {
    template
        .information_elements
        .iter()
        .filter(|e| !matches!(e, InformationElement::ChannelIdentification(_)) && !written(e))
        .cloned()
        .collect()
}

/// The SETUP for an INVITE that carried one (RFC 3204; module section above): `mapped` is
/// [`invite_to_setup`]'s request, `template` the encapsulated SETUP. Bearer capability,
/// progress indicators, Facility IEs, subaddresses, compatibility information, user-user and
/// every element of another codeset come from the template; the called number from
/// `mapped` (the route's) unless the digits are the same; the calling number by
/// [`merge_number`]'s rule; the calling name and diversion of `mapped` only when the template
/// has none. The channel stays `mapped`'s (the call layer chooses it).
pub fn setup_from_template(mapped: SetupRequest, template: &Message) -> SetupRequest {
    let t_called = template.find(|e| e.as_called_party_number());
    let called = match t_called {
        Some(t) if same_digits(t, &mapped.called) => t.clone(),
        _ => mapped.called,
    };
    let calling = merge_number(
        template.find(|e| e.as_calling_party_number()),
        mapped.calling,
    );
    let bearer = template
        .find(|e| match e {
            InformationElement::BearerCapability(b) => Some(b.clone()),
            _ => None,
        })
        .unwrap_or(mapped.bearer);
    let calling_name = mapped
        .calling_name
        .filter(|_| !has_invoke(template, opcode::CALLING_NAME));
    // a diversion in the SIP network beyond the template's: SIP's replaces it
    let sip_counter = mapped
        .extra
        .iter()
        .filter_map(|e| e.as_facility())
        .filter_map(Facility::contents)
        .flat_map(|c| c.invokes())
        .find_map(|i| match &i.argument {
            Some(Argument::DivertingLegInformation2(d)) => Some(d.diversion_counter),
            _ => None,
        });
    let t_counter = message_diversion(template).map(|d| d.diversion_counter);
    let sip_diverts_more = matches!((sip_counter, t_counter), (Some(s), Some(t)) if s > t);
    let mut extra = carried(template, |e| {
        matches!(
            e,
            InformationElement::BearerCapability(_)
                | InformationElement::CalledPartyNumber(_)
                | InformationElement::CallingPartyNumber(_)
                | InformationElement::SendingComplete
        ) || (sip_diverts_more && only_invokes_of(e, opcode::DIVERTING_LEG_INFORMATION2))
    });
    let mut template_view = template.clone();
    if sip_diverts_more {
        template_view
            .information_elements
            .retain(|e| !only_invokes_of(e, opcode::DIVERTING_LEG_INFORMATION2));
    }
    extra.extend(added_from_sip(mapped.extra, &template_view));
    SetupRequest {
        called,
        calling,
        calling_name,
        bearer,
        channel: mapped.channel,
        sending_complete: mapped.sending_complete,
        progress: None,
        extra,
    }
}

fn first_progress(m: &Message) -> Option<ProgressIndicator> {
    m.find(|e| match e {
        InformationElement::ProgressIndicator(p) => Some(p.clone()),
        _ => None,
    })
}

/// ALERTING or PROGRESS to the PBX from an encapsulated one (RFC 3204): the template's
/// progress indicator (else `mapped`'s) and all its other elements but the channel
/// identification; `mapped`'s elements (a calledName from the 180's P-Asserted-Identity) only
/// for operations the template lacks.
pub fn response_from_template(mapped: Response, template: &Message) -> Response {
    let progress = first_progress(template).or(mapped.progress);
    let mut skipped = false;
    let mut extra = carried(template, |e| {
        // the first progress indicator is `progress`, written by the call layer
        let first = matches!(e, InformationElement::ProgressIndicator(_)) && !skipped;
        if first {
            skipped = true;
        }
        first && progress.is_some()
    });
    extra.extend(added_from_sip(mapped.extra, template));
    Response { progress, extra }
}

/// CONNECT to the PBX from an encapsulated one (RFC 3204): the connected number by
/// [`merge_number`]'s rule, the template's connectedName (else `mapped`'s), progress
/// indicator and every other element but the channel identification.
pub fn connect_from_template(mapped: ConnectResponse, template: &Message) -> ConnectResponse {
    let t_connected = template.find(|e| match e {
        InformationElement::ConnectedNumber(n) => Some(n),
        _ => None,
    });
    let connected = merge_number(t_connected, mapped.connected);
    let progress = first_progress(template).or(mapped.progress);
    let mut skipped = false;
    let extra = carried(template, |e| match e {
        InformationElement::ConnectedNumber(_) => true,
        InformationElement::ProgressIndicator(_) if !skipped && progress.is_some() => {
            skipped = true;
            true
        }
        _ => false,
    });
    let mut extra = extra;
    extra.extend(added_from_sip(mapped.extra, template));
    ConnectResponse {
        connected,
        connected_name: mapped
            .connected_name
            .filter(|_| !has_invoke(template, opcode::CONNECTED_NAME)),
        progress,
        extra,
    }
}

/// The cause and further elements of the DISCONNECT to the PBX for an encapsulated clearing
/// message (DISCONNECT, RELEASE or RELEASE COMPLETE; RFC 3204): its Cause IE whole (location
/// and diagnostics, which a Reason header cannot carry), else `mapped`; every other element
/// but the channel identification.
pub fn clearing_from_template(
    mapped: Cause,
    template: &Message,
) -> (Cause, Vec<InformationElement>) {
    let cause = template
        .find(|e| match e {
            InformationElement::Cause(c) => Some(c.clone()),
            _ => None,
        })
        .unwrap_or(mapped);
    let extra = carried(template, |e| matches!(e, InformationElement::Cause(_)));
    (cause, extra)
}

/// A DISCONNECT with `cause` only: what goes to a trusted peer when the clearing was the
/// gateway's own or the PBX's message is not at hand (as RFC 3398 does with a REL made from
/// the cause).
pub fn disconnect_message(cause: &Cause) -> Message {
    Message::new(
        MessageType::Disconnect,
        sipt_codecs::q931::CallReference::new(0, false),
    )
    .with(InformationElement::Cause(cause.clone()))
}

/// The FACILITY to the PBX for an encapsulated FACILITY (RFC 3204, in an INFO: RFC 3372 6):
/// its first Facility IE (mandatory, Q.932) and every other element but the channel
/// identification, Facility IEs the mapping cannot read included, in their order; None when it
/// has no Facility IE (the PBX would answer STATUS, Q.931 5.8.6).
pub fn facility_from_template(template: &Message) -> Option<(Facility, Vec<InformationElement>)> {
    let mut first = None;
    let extra = carried(template, |e| match e {
        InformationElement::Facility(f) if first.is_none() => {
            first = Some(f.clone());
            true
        }
        _ => false,
    });
    first.map(|f| (f, extra))
}

// ---------------------------------------------------------------------------------------------
// Called name (ECMA-164 calledName in ALERTING; not in RFC 4497)

/// The identity headers of a 180 for an ALERTING with a calledName: to a trusted peer,
/// P-Asserted-Identity with the called number (`called`, routing form: the party the PBX
/// delivered the call to) and the name as display name, `Privacy: id` when the name is
/// restricted; nothing to an untrusted peer or without a name ([`connect_to_200`]'s rules).
pub fn alerting_to_180(
    alerting: &Message,
    called: &str,
    ctx: &SetupContext,
) -> Vec<(&'static str, String)> {
    let mut headers = Vec::new();
    if !ctx.trusted || called.trim_start_matches('+').is_empty() {
        return headers;
    }
    let (text, private) = match name_display(message_name(alerting, opcode::CALLED_NAME).as_ref()) {
        NameDisplay::Public(t) => (t, false),
        NameDisplay::Private(t) => (t, true),
        NameDisplay::None => return headers,
    };
    let mut pai = NameAddr::new(number_uri(called, ctx.host));
    pai.set_display_name(&text);
    headers.push(("P-Asserted-Identity", pai.to_string()));
    if private {
        headers.push(("Privacy", "id".to_string()));
    }
    headers
}

/// The calledName for a 180 from a trusted peer: the display name of its P-Asserted-Identity,
/// restricted with Privacy id (user, header); None otherwise (an untrusted peer's is not
/// believed, as for [`ok_to_connect`]).
pub fn provisional_called_name(response: &SipMessage, d: &QsigDefaults) -> Option<Name> {
    let pai = asserted(response, d.peer_trusted)?;
    name_for_display(display_of(&pai).as_deref(), read_privacy(response))
}

/// The Facility IE of a calledName invoke ([`CALLED_NAME_INVOKE_ID`]).
pub fn called_name_facility(name: Name) -> Option<InformationElement> {
    facility(sipt_codecs::qsig::called_name(CALLED_NAME_INVOKE_ID, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_have_one_row_per_code() {
        let mut c: Vec<u8> = RFC4497_CAUSE_TO_SIP.iter().map(|r| r.0).collect();
        let n = c.len();
        c.dedup();
        assert_eq!(c.len(), n);
        assert!(c.windows(2).all(|w| w[0] < w[1]));
        let s: Vec<u16> = RFC4497_SIP_TO_CAUSE.iter().map(|r| r.0).collect();
        assert!(s.windows(2).all(|w| w[0] < w[1]));
    }
}
