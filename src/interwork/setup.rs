//! Call set-up: IAM <-> INVITE (RFC 3398 7.2.1.1 and 8.2.1.1), the numbers in ISUP format <->
//! URIs (RFC 3398 12), privacy (RFC 3398 12.1, RFC 3323, RFC 3325) and the redirection
//! parameters <-> History-Info (RFC 7044, causes of RFC 4458) or Diversion (RFC 5806).
//!
//! The Request-URI is not built here: the gateway makes it from the route (DESIGN.md
//! "Configuration"); this module gives the rest of the INVITE's identity headers, and the IAM
//! for a received INVITE given the called number after routing.
//!
//! Decisions where the RFCs are silent (each is repeated where it is made):
//! - Numbers in URIs are `sip:` URIs with `user=phone` on the gateway's host (RFC 3398 12:
//!   "if the presence of a host portion would aid the surrounding network in routing calls,
//!   the SIP format should be used"), not `tel:`.
//! - A national number without a configured country code is written as its digits without
//!   `+` (RFC 3398 12's own example `sip:83000@sip.example.net;user=phone`).
//! - Hop Counter (Q.763 3.80, 5 bits) <-> Max-Forwards one to one: an ISUP exchange and a SIP
//!   proxy each count one hop; Max-Forwards above 31 gives 31.
//! - A restriction of presentation in an encapsulated IAM is never lifted because a SIP
//!   header is missing: privacy fails safe.

use sipt_codecs::isup::{
    AddressPresentation, CalledNumberIndicators, CalledPartyNumber, CallingPartyNumber,
    CallingPartysCategory, ForwardCallIndicators, HopCounter, Message, MessageType,
    NatureOfAddress, NatureOfConnectionIndicators, Number, NumberingPlan, Parameter,
    RedirectingIndicator, RedirectingNumberIndicators, RedirectionInformation, RedirectionReason,
    Screening, TransmissionMedium,
};

use super::numbers::{
    calling_party_number_with, e164_text, isup_form, number_from_text, number_text, uri_number,
    with_screening, InterworkError,
};
use crate::sip::message::headers::{parse_privacy, Diversion, HistoryInfo, PAssertedIdentity};
use crate::sip::message::uri::parse_hostport;
use crate::sip::message::{self as sip, NameAddr, Uri};

/// The largest value of the hop counter (Q.763 3.80: 5 bits).
pub const MAX_HOP_COUNTER: u8 = 31;

/// The largest redirection counter (Q.763 3.45: 3 bits).
pub const MAX_REDIRECTION_COUNTER: u8 = 7;

/// The host of the URI that stands for an anonymous identity (RFC 3323 4.1.1.3, RFC 3398
/// 12.1: `sip:anonymous@anonymous.invalid`).
pub const ANONYMOUS_HOST: &str = "anonymous.invalid";

/// The host of the URI that stands for a diverting party whose number the IAM does not carry
/// (an intermediate diversion counted by the redirection counter, or a number whose address is
/// not available). Our choice, RFC 7044 and RFC 5806 have none: a `.invalid` name (RFC 2606)
/// as RFC 3323 does for anonymity.
pub const UNKNOWN_HOST: &str = "unknown.invalid";

/// What the IAM -> INVITE mapping needs to know about the peer and the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetupContext<'a> {
    /// Host part for sip: URIs we build in From/P-Asserted-Identity (the gateway's own
    /// address), e.g. "127.0.0.1:5060".
    pub host: &'a str,
    /// The peer is trusted (RFC 3325 trust domain): P-Asserted-Identity with the real number
    /// is sent even when presentation is restricted, together with Privacy: id; towards
    /// untrusted peers a restricted identity is not sent at all.
    pub trusted: bool,
    /// Country code (digits, e.g. "49") used to make E.164 "+CC..." from national numbers
    /// (RFC 3398 12.1). `None`: national numbers are written as their digits without `+` and
    /// without phone-context, as RFC 3398 12's example `sip:83000@sip.example.net;user=phone`.
    pub country_code: Option<&'a str>,
    /// Redirection as Diversion (RFC 5806) rather than History-Info (RFC 7044, the default).
    pub diversion_header: bool,
}

/// The SIP headers of an INVITE for a received IAM (besides the Request-URI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteHeaders {
    /// No tag; the UA adds it.
    pub from: NameAddr,
    /// From the original called number if present (RFC 3398 8.2.1.1), else None (the UA uses
    /// the Request-URI).
    pub to: Option<NameAddr>,
    /// Extra headers in order: ("P-Asserted-Identity", ..), ("Privacy", "id"),
    /// ("Max-Forwards", n) from the hop counter, ("History-Info", ..) or ("Diversion", ..)
    /// from the redirecting and original called numbers and the redirection information.
    pub headers: Vec<(&'static str, String)>,
}

/// RFC 4458 5 (the `cause` URI parameter of a History-Info entry, also used by RFC 7044
/// 4.2.1): the redirection reason of Q.763 3.45 it stands for. Each cause and each reason
/// appears once, so the table reads both ways; a cause not listed is taken as "unknown".
pub const HISTORY_INFO_CAUSES: &[(RedirectionReason, u16)] = &[
    (RedirectionReason::Unknown0, 404),      // unknown / not available
    (RedirectionReason::UserBusy, 486),      // user busy
    (RedirectionReason::NoReply, 408),       // no reply
    (RedirectionReason::Unconditional, 302), // unconditional
    (RedirectionReason::DeflectionDuringAlerting, 487), // deflection during alerting
    (RedirectionReason::DeflectionImmediateResponse, 480), // deflection immediate response
    (RedirectionReason::MobileSubscriberNotReachable, 503), // mobile subscriber not reachable
];

/// Q.763 3.45 redirection reason -> RFC 5806 4 `reason` of a Diversion entry. RFC 5806 has
/// one "deflection" for both kinds of deflection.
pub const DIVERSION_REASONS_SENT: &[(RedirectionReason, &str)] = &[
    (RedirectionReason::Unknown0, "unknown"),
    (RedirectionReason::UserBusy, "user-busy"),
    (RedirectionReason::NoReply, "no-answer"),
    (RedirectionReason::Unconditional, "unconditional"),
    (RedirectionReason::DeflectionDuringAlerting, "deflection"),
    (RedirectionReason::DeflectionImmediateResponse, "deflection"),
    (
        RedirectionReason::MobileSubscriberNotReachable,
        "unavailable",
    ),
];

/// RFC 5806 4 `reason` -> Q.763 3.45 redirection reason. "deflection" is taken as deflection
/// during alerting (the usual call deflection, Q.732.3); the reasons Q.763 has no code for
/// are forwardings the user set up, i.e. unconditional; "out-of-service" is the diverted
/// user not being reachable. A reason not listed is "unknown".
pub const DIVERSION_REASONS_RECEIVED: &[(&str, RedirectionReason)] = &[
    ("unknown", RedirectionReason::Unknown0),
    ("user-busy", RedirectionReason::UserBusy),
    ("no-answer", RedirectionReason::NoReply),
    ("unconditional", RedirectionReason::Unconditional),
    ("deflection", RedirectionReason::DeflectionDuringAlerting),
    (
        "unavailable",
        RedirectionReason::MobileSubscriberNotReachable,
    ),
    (
        "out-of-service",
        RedirectionReason::MobileSubscriberNotReachable,
    ),
    ("time-of-day", RedirectionReason::Unconditional),
    ("do-not-disturb", RedirectionReason::Unconditional),
    ("follow-me", RedirectionReason::Unconditional),
    ("away", RedirectionReason::Unconditional),
];

/// The RFC 4458 cause of a redirection reason (404 for a reason no table row names).
pub fn history_info_cause(reason: RedirectionReason) -> u16 {
    HISTORY_INFO_CAUSES
        .iter()
        .find(|(r, _)| *r == reason)
        .map_or(404, |(_, c)| *c)
}

/// The redirection reason of an RFC 4458 cause ("unknown" for a cause not listed).
pub fn redirection_reason_for_cause(cause: u16) -> RedirectionReason {
    HISTORY_INFO_CAUSES
        .iter()
        .find(|(_, c)| *c == cause)
        .map_or(RedirectionReason::Unknown0, |(r, _)| *r)
}

/// The RFC 5806 reason of a redirection reason ("unknown" for a reason no row names).
pub fn diversion_reason(reason: RedirectionReason) -> &'static str {
    DIVERSION_REASONS_SENT
        .iter()
        .find(|(r, _)| *r == reason)
        .map_or("unknown", |(_, t)| t)
}

/// The redirection reason of an RFC 5806 reason (any case; "unknown" for one not listed).
pub fn redirection_reason_for_diversion(reason: &str) -> RedirectionReason {
    DIVERSION_REASONS_RECEIVED
        .iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(reason))
        .map_or(RedirectionReason::Unknown0, |(_, r)| *r)
}

/// A diverting party: its number in E.164/routing form (None when unknown or not available)
/// and whether its presentation is restricted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub number: Option<String>,
    pub restricted: bool,
}

/// The redirection of a call, between its ISUP form (redirecting number, original called
/// number, redirection information: Q.763 3.44, 3.39, 3.45) and its SIP forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirection {
    /// The diverting parties in the order they diverted (first: the original called party),
    /// as many as the redirection counter says where that is known.
    pub parties: Vec<Party>,
    /// The reason of the last redirection.
    pub reason: RedirectionReason,
    /// The reason of the first redirection.
    pub original_reason: RedirectionReason,
}

impl Redirection {
    /// The redirection counter (Q.763 3.45: 1 to 7).
    pub fn counter(&self) -> u8 {
        u8::try_from(self.parties.len())
            .unwrap_or(MAX_REDIRECTION_COUNTER)
            .clamp(1, MAX_REDIRECTION_COUNTER)
    }

    /// The redirecting number's party: the last to divert.
    pub fn redirecting(&self) -> Option<&Party> {
        self.parties.last()
    }

    /// The original called number's party: the first to divert. With one diverting party it
    /// is both the original called and the redirecting party (our choice: the first diversion
    /// names the same party in both parameters).
    pub fn original_called(&self) -> Option<&Party> {
        self.parties.first()
    }

    /// The redirection of an IAM, if it carries any of the three parameters.
    ///
    /// The parties are the original called number (when present), as many unknown parties as
    /// the redirection counter needs, then the redirecting number (when present and not the
    /// same party as the original called number of a first diversion).
    pub fn from_iam(iam: &Message, country_code: Option<&str>) -> Option<Redirection> {
        let info = iam.redirection_information();
        let rn = iam.redirecting_number();
        let ocn = iam.original_called_number();
        if info.is_none() && rn.is_none() && ocn.is_none() {
            return None;
        }
        let counter = info.map_or(1, |i| i.redirection_counter()).max(1);
        // Q.763 3.45 b: "all redirection information presentation restricted"
        let all_restricted = info.is_some_and(|i| {
            matches!(
                i.redirecting_indicator(),
                RedirectingIndicator::CallReroutedAllRestricted
                    | RedirectingIndicator::CallDivertedAllRestricted
            )
        });
        let party = |n: &Number<RedirectingNumberIndicators>| {
            let presentation = n.indicators.address_presentation_restricted();
            let text = e164_text(n, country_code);
            Party {
                number: (presentation != AddressPresentation::AddressNotAvailable
                    && !text.is_empty())
                .then_some(text),
                restricted: all_restricted || is_restricted(presentation),
            }
        };
        let first = ocn.map(party);
        let last = rn.map(party).filter(|r| {
            // a first diversion may name one party in both parameters
            !(counter <= 1 && first.as_ref().is_some_and(|f| f == r))
        });
        let known = usize::from(first.is_some()) + usize::from(last.is_some());
        let unknown = usize::from(counter).saturating_sub(known);
        let mut parties: Vec<Party> = first.into_iter().collect();
        parties.extend((0..unknown).map(|_| Party {
            number: None,
            restricted: all_restricted,
        }));
        parties.extend(last);
        Some(Redirection {
            parties,
            reason: info.map_or(RedirectionReason::Unknown0, |i| i.redirection_reason()),
            original_reason: info.map_or(RedirectionReason::Unknown0, |i| {
                i.original_redirection_reason()
            }),
        })
    }

    /// History-Info (RFC 7044 4.1): one entry per diverting party, then the current target,
    /// indexed `1`, `1.1`, `1.1.1`, ...; each entry after the first carries the RFC 4458
    /// `cause` of the retargeting that reached it and `mp` (RFC 7044 4.2.3: retargeted from
    /// the entry before). Restricted parties: towards a trusted peer their URI with an
    /// escaped `Privacy: history` (RFC 7044 10.1), else the anonymous URI.
    pub fn history_info(&self, target: &str, host: &str, trusted: bool) -> String {
        let n = self.parties.len();
        let mut entries = Vec::with_capacity(n + 1);
        let mut index = String::from("1");
        for (i, p) in self.parties.iter().enumerate() {
            let mut uri = party_uri(p, host, trusted);
            if p.restricted && trusted && p.number.is_some() {
                uri.headers.push(("Privacy".into(), "history".into()));
            }
            if i > 0 {
                let cause = if i == 1 {
                    self.original_reason
                } else {
                    RedirectionReason::Unknown0
                };
                set_cause(&mut uri, cause);
            }
            entries.push(hi_entry(uri, &mut index, i > 0));
        }
        // the target: the reason of the last redirection (the first one's is on the second
        // entry when more than one party diverted)
        let mut uri = number_uri(target, host);
        set_cause(&mut uri, self.reason);
        entries.push(hi_entry(uri, &mut index, n > 0));
        entries.join(", ")
    }

    /// Diversion (RFC 5806 4), most recent first: the redirecting party with the reason of the
    /// last redirection and a `counter` of all but the first, then the original called party
    /// with the original reason and counter 1; one entry when one party diverted. Restricted
    /// parties: `privacy=full`, and the anonymous URI towards an untrusted peer.
    pub fn diversion(&self, host: &str, trusted: bool) -> String {
        let entry = |p: &Party, reason: RedirectionReason, counter: u8| {
            let mut na = NameAddr::new(party_uri(p, host, trusted));
            na.params.set("reason", Some(diversion_reason(reason)));
            na.params.set("counter", Some(&counter.to_string()));
            if p.restricted {
                na.params.set("privacy", Some("full"));
            }
            na.to_string()
        };
        let counter = self.counter();
        match (self.parties.first(), self.parties.last()) {
            (Some(first), Some(last)) if self.parties.len() >= 2 => format!(
                "{}, {}",
                entry(last, self.reason, counter.saturating_sub(1).max(1)),
                entry(first, self.original_reason, 1)
            ),
            (Some(only), _) => entry(only, self.reason, counter),
            _ => String::new(),
        }
    }

    /// The redirection of History-Info entries: each entry with a cause (RFC 4458 `cause`
    /// or an escaped RFC 7044 Reason) is a retargeting, the entry before it the diverting
    /// party. None when no entry carries a cause.
    pub fn from_history_info(entries: &[NameAddr]) -> Option<Redirection> {
        let mut parties = Vec::new();
        let mut causes = Vec::new();
        for (before, entry) in entries.iter().zip(entries.iter().skip(1)) {
            if let Some(cause) = HistoryInfo::cause(entry) {
                parties.push(received_party(before, entry_restricted(before)));
                causes.push(cause);
            }
        }
        let (first, last) = (causes.first()?, causes.last()?);
        parties.truncate(usize::from(MAX_REDIRECTION_COUNTER));
        Some(Redirection {
            parties,
            reason: redirection_reason_for_cause(*last),
            original_reason: redirection_reason_for_cause(*first),
        })
    }

    /// The redirection of Diversion entries (most recent first). The counter is the sum of
    /// the entries' counters (1 where absent); the parties between the last listed and the
    /// original one are unknown; a lone entry with a counter above 1 is the redirecting party
    /// only (the original called party is not known).
    pub fn from_diversion(entries: &[NameAddr]) -> Option<Redirection> {
        let top = entries.first()?;
        let counter_of = |e: &NameAddr| {
            e.params
                .value("counter")
                .and_then(|c| c.parse::<u8>().ok())
                .unwrap_or(1)
                .max(1)
        };
        let total: usize = entries.iter().map(|e| usize::from(counter_of(e))).sum();
        let total = total.min(usize::from(MAX_REDIRECTION_COUNTER));
        let restricted = |e: &NameAddr| {
            e.params
                .value("privacy")
                .is_some_and(|p| p.eq_ignore_ascii_case("full") || p.eq_ignore_ascii_case("uri"))
        };
        let reason_of = |e: &NameAddr| {
            redirection_reason_for_diversion(&e.params.value("reason").unwrap_or_default())
        };
        let newest = received_party(top, restricted(top));
        let mut parties = Vec::with_capacity(total);
        let original = match entries.last() {
            Some(bottom) if entries.len() >= 2 => received_party(bottom, restricted(bottom)),
            _ if total == 1 => newest.clone(),
            _ => Party {
                number: None,
                restricted: false,
            },
        };
        parties.push(original);
        while parties.len() + 1 < total {
            parties.push(Party {
                number: None,
                restricted: false,
            });
        }
        if total >= 2 {
            parties.push(newest);
        }
        let bottom = entries.last().unwrap_or(top);
        Some(Redirection {
            parties,
            reason: reason_of(top),
            original_reason: reason_of(bottom),
        })
    }

    /// The ISUP parameters: redirecting number, original called number (each when its
    /// party's number is known) and redirection information ("call diverted", Q.763 3.45).
    pub fn parameters(&self, country_code: Option<&str>) -> Vec<Parameter> {
        let number = |p: &Party| -> Option<Number<RedirectingNumberIndicators>> {
            let text = p.number.as_deref()?;
            let (noa, digits) = isup_form(text, country_code);
            let presentation = if p.restricted {
                AddressPresentation::Restricted
            } else {
                AddressPresentation::Allowed
            };
            let ind = RedirectingNumberIndicators::default()
                .with_numbering_plan(NumberingPlan::IsdnTelephony)
                .with_address_presentation_restricted(presentation);
            number_from_text(digits, Some(noa), ind).ok()
        };
        let mut out = Vec::with_capacity(3);
        if let Some(n) = self.redirecting().and_then(number) {
            out.push(Parameter::RedirectingNumber(n));
        }
        if let Some(n) = self.original_called().and_then(number) {
            out.push(Parameter::OriginalCalledNumber(n));
        }
        out.push(Parameter::RedirectionInformation(self.information()));
        out
    }

    /// The redirection information parameter (Q.763 3.45).
    pub fn information(&self) -> RedirectionInformation {
        RedirectionInformation::default()
            .with_redirecting_indicator(RedirectingIndicator::CallDiverted)
            .with_original_redirection_reason(self.original_reason)
            .with_redirection_counter(self.counter())
            .with_redirection_reason(self.reason)
    }
}

/// The URI standing for a diverting party in History-Info or Diversion.
fn party_uri(p: &Party, host: &str, trusted: bool) -> Uri {
    match &p.number {
        _ if p.restricted && !trusted => anonymous_uri(),
        Some(n) => number_uri(n, host),
        None => Uri::sip(Some("unknown"), UNKNOWN_HOST, None),
    }
}

/// Sets the RFC 4458 `cause` of a History-Info entry's URI.
fn set_cause(uri: &mut Uri, reason: RedirectionReason) {
    uri.params
        .set("cause", Some(&history_info_cause(reason).to_string()));
}

/// One History-Info entry with the index `index`, which it then extends for the next entry.
fn hi_entry(uri: Uri, index: &mut String, retargeted: bool) -> String {
    let mut na = NameAddr::new(uri);
    let previous = index.rsplit_once('.').map(|(p, _)| p.to_string());
    na.params.set("index", Some(index));
    if retargeted {
        if let Some(p) = previous {
            na.params.set("mp", Some(&p));
        }
    }
    index.push_str(".1");
    na.to_string()
}

/// Whether a History-Info entry asks for privacy (RFC 7044 10.1: an escaped Privacy header
/// in its URI).
fn entry_restricted(e: &NameAddr) -> bool {
    e.uri
        .headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("privacy") && !v.eq_ignore_ascii_case("none"))
        || is_anonymous(&e.uri)
}

/// A diverting party from a received URI: unknown when it holds no telephone number.
fn received_party(e: &NameAddr, restricted: bool) -> Party {
    Party {
        number: uri_number(&e.uri).ok(),
        restricted,
    }
}

/// Presentation restricted (Q.763 3.10 e): "restricted", or the value reserved for
/// restriction by the network, which a gateway can only read as restricted.
fn is_restricted(p: AddressPresentation) -> bool {
    matches!(
        p,
        AddressPresentation::Restricted | AddressPresentation::ReservedForRestrictionByNetwork
    )
}

/// The gateway's host and port for the URIs it builds; the text as given when it is not a
/// hostport (it is the operator's configuration, written as given).
fn host_port(host: &str) -> (String, Option<u16>) {
    parse_hostport(host).unwrap_or_else(|_| (host.to_string(), None))
}

/// `sip:<number>@<host>;user=phone` (RFC 3398 12), or `sip:<host>` without a number.
pub fn number_uri(number: &str, host: &str) -> Uri {
    let (h, port) = host_port(host);
    if number.is_empty() {
        return Uri::sip(None, &h, port);
    }
    let mut uri = Uri::sip(Some(number), &h, port);
    uri.params.set("user", Some("phone"));
    uri
}

/// `sip:anonymous@anonymous.invalid` (RFC 3323 4.1.1.3).
pub fn anonymous_uri() -> Uri {
    Uri::sip(Some("anonymous"), ANONYMOUS_HOST, None)
}

/// `"Anonymous" <sip:anonymous@anonymous.invalid>` (RFC 3398 12.1, RFC 3323 4.1.1.3).
pub fn anonymous_name_addr() -> NameAddr {
    let mut na = NameAddr::new(anonymous_uri());
    na.set_display_name("Anonymous");
    na
}

/// Whether a URI is the anonymous one of RFC 3323 (host `anonymous.invalid`, or user
/// `anonymous` as some UAs write it on their own host).
pub fn is_anonymous(uri: &Uri) -> bool {
    uri.host.eq_ignore_ascii_case(ANONYMOUS_HOST)
        || uri
            .user
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case("anonymous"))
}

/// RFC 3398 8.2.1.1 and 12: the SIP headers of the INVITE for a received IAM.
///
/// - From: the calling party number as `sip:+CC...@host;user=phone`; the anonymous From of
///   RFC 3398 12.1 when its presentation is restricted; `sip:<host>` without user part when
///   there is no calling party number or its address is not available (8.2.1.1, 12.1).
///   Screening indicators are not translated (12.1).
/// - P-Asserted-Identity (RFC 3325 9.1) with the calling number, towards a trusted peer only;
///   Privacy: id (RFC 3325 9.3) when presentation is restricted.
/// - To from the original called number (8.2.1.1), unless its presentation is restricted
///   (the called user is not to see it; our choice).
/// - Max-Forwards from the hop counter (module docs).
/// - History-Info or Diversion from the redirection parameters ([`Redirection`]).
pub fn iam_to_invite(iam: &Message, ctx: &SetupContext) -> InviteHeaders {
    let cc = ctx.country_code;
    let mut headers = Vec::new();

    let calling = iam.calling_party_number().and_then(|n| {
        let presentation = n.indicators.address_presentation_restricted();
        let text = e164_text(n, cc);
        // RFC 3398 12.1: "address unavailable" is as if the CIN were omitted
        (presentation != AddressPresentation::AddressNotAvailable && !text.is_empty())
            .then(|| (text, is_restricted(presentation)))
    });
    let from = match &calling {
        None => NameAddr::new(number_uri("", ctx.host)),
        Some((_, true)) => anonymous_name_addr(),
        Some((text, false)) => NameAddr::new(number_uri(text, ctx.host)),
    };
    if let Some((text, restricted)) = &calling {
        if ctx.trusted {
            headers.push((
                "P-Asserted-Identity",
                NameAddr::new(number_uri(text, ctx.host)).to_string(),
            ));
        }
        if *restricted {
            headers.push(("Privacy", "id".to_string()));
        }
    }

    let to = iam.original_called_number().and_then(|n| {
        let presentation = n.indicators.address_presentation_restricted();
        let text = e164_text(n, cc);
        (presentation == AddressPresentation::Allowed && !text.is_empty())
            .then(|| NameAddr::new(number_uri(&text, ctx.host)))
    });

    if let Some(h) = iam.hop_counter() {
        headers.push(("Max-Forwards", h.hop_counter().to_string()));
    }

    if let Some(r) = Redirection::from_iam(iam, cc) {
        if ctx.diversion_header {
            let d = r.diversion(ctx.host, ctx.trusted);
            if !d.is_empty() {
                headers.push(("Diversion", d));
            }
        } else {
            let target = iam
                .called_party_number()
                .map(|n| e164_text(n, cc))
                .unwrap_or_default();
            headers.push((
                "History-Info",
                r.history_info(&target, ctx.host, ctx.trusted),
            ));
        }
    }

    InviteHeaders { from, to, headers }
}

/// The gateway's provisioned values for an IAM built without an encapsulated one (RFC 3398
/// 7.2.1.1: "Gateways MUST be provisioned with default values for mandatory ISUP parameters
/// that cannot be derived from translation").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamDefaults {
    /// Nature of connection indicators: no satellite, no continuity check, no echo control
    /// device (all 0).
    pub nature_of_connection: NatureOfConnectionIndicators,
    /// Forward call indicators: national call, no end-to-end method, "no interworking
    /// encountered", "ISDN user part used all the way" (RFC 3398 7.2.1.1 STRONGLY
    /// RECOMMENDED), ISUP preferred, originating access non-ISDN (7.2.1.1 MAY).
    pub forward_call: ForwardCallIndicators,
    /// Ordinary calling subscriber.
    pub calling_partys_category: CallingPartysCategory,
    /// Speech.
    pub transmission_medium: TransmissionMedium,
    /// The gateway's country code (digits): `+CC...` numbers become national numbers without
    /// it (RFC 3398 12.2). None: every `+` number is international.
    pub country_code: Option<String>,
    /// The INN indicator of the called party number (Q.763 3.9 c). Default true, "routing to
    /// internal network number not allowed": a number from SIP is a public number (our
    /// choice).
    pub called_inn_not_allowed: bool,
    /// The INVITE comes from a trusted peer (RFC 3325 trust domain): a calling number taken
    /// from its P-Asserted-Identity is screened "network provided". Otherwise, and for a
    /// number from From, "user provided, not verified" (our policy, allowed by RFC 3398 12.2
    /// "unless some service provider policy ..."). Default false.
    pub peer_trusted: bool,
}

impl Default for IamDefaults {
    fn default() -> Self {
        IamDefaults {
            nature_of_connection: NatureOfConnectionIndicators::default(),
            forward_call: ForwardCallIndicators::default()
                .with_interworking_encountered(false)
                .with_isdn_user_part_all_the_way(true),
            calling_partys_category: CallingPartysCategory::OrdinarySubscriber,
            transmission_medium: TransmissionMedium::Speech,
            country_code: None,
            called_inn_not_allowed: true,
            peer_trusted: false,
        }
    }
}

/// What the INVITE says that the IAM carries.
struct SipSide {
    /// The calling number in routing form and whether it came from P-Asserted-Identity.
    calling: Option<(String, bool)>,
    /// Privacy of the calling identity requested (Privacy id/user/header, or an anonymous
    /// From).
    restricted: bool,
    max_forwards: Option<u8>,
    redirection: Option<Redirection>,
    /// The number of To when it differs from the Request-URI's (RFC 3398 7.2.1.1).
    to_number: Option<String>,
    /// `npdi` in the Request-URI (RFC 3398 7.2.1.1, RFC 4694).
    npdi: bool,
}

impl SipSide {
    fn read(invite: &sip::Message) -> SipSide {
        let pai = invite
            .get_all("P-Asserted-Identity")
            .filter_map(|v| PAssertedIdentity::parse(v).ok())
            .flat_map(|p| p.0)
            .find_map(|na| uri_number(&na.uri).ok());
        let from = invite.from().ok();
        let calling = match pai {
            Some(n) => Some((n, true)),
            None => from
                .as_ref()
                .and_then(|f| uri_number(&f.uri).ok())
                .map(|n| (n, false)),
        };
        let privacy = invite
            .get_all("Privacy")
            .filter_map(|v| parse_privacy(v).ok())
            .flatten()
            .any(|p| {
                ["id", "user", "header"]
                    .iter()
                    .any(|v| p.eq_ignore_ascii_case(v))
            });
        let anonymous_from = from.as_ref().is_some_and(|f| is_anonymous(&f.uri));

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
        let redirection = Redirection::from_history_info(&history)
            .or_else(|| Redirection::from_diversion(&diversion));

        let request_number = invite.request_uri().and_then(|u| uri_number(u).ok());
        let to_number = invite
            .to()
            .ok()
            .and_then(|t| uri_number(&t.uri).ok())
            .filter(|t| request_number.as_ref().is_some_and(|r| r != t));
        let npdi = invite.request_uri().is_some_and(|u| {
            u.params.contains("npdi")
                || u.user
                    .as_deref()
                    .is_some_and(|user| user.split(';').skip(1).any(|p| p.starts_with("npdi")))
        });
        SipSide {
            calling,
            restricted: privacy || anonymous_from,
            max_forwards: invite.max_forwards().ok().flatten(),
            redirection,
            to_number,
            npdi,
        }
    }

    fn hop_counter(&self) -> Option<HopCounter> {
        self.max_forwards
            .map(|m| HopCounter::default().with_hop_counter(m.min(MAX_HOP_COUNTER)))
    }

    /// A new calling party number from the SIP identity.
    fn calling_party_number(&self, defaults: &IamDefaults) -> Option<CallingPartyNumber> {
        let (text, from_pai) = self.calling.as_ref()?;
        let (noa, digits) = isup_form(text, defaults.country_code.as_deref());
        let n = calling_party_number_with(digits, Some(noa), self.restricted).ok()?;
        // RFC 3398 12.2 leaves the screening to policy: only an identity asserted by a
        // trusted peer is the network's
        let screening = if *from_pai && defaults.peer_trusted {
            Screening::NetworkProvided
        } else {
            Screening::UserProvidedNotVerified
        };
        Some(with_screening(n, screening))
    }
}

/// The called party number for `called` (routing form). `template`: the encapsulated IAM's,
/// whose indicators (and nature of address for a number without `+`, and closing ST) are
/// kept.
fn called_number(
    called: &str,
    template: Option<&CalledPartyNumber>,
    defaults: &IamDefaults,
) -> Result<CalledPartyNumber, InterworkError> {
    let cc = defaults.country_code.as_deref();
    let (mut noa, digits) = isup_form(called, cc);
    if noa == NatureOfAddress::UnknownNumber {
        if let Some(t) =
            template.filter(|t| t.nature_of_address != NatureOfAddress::InternationalNumber)
        {
            noa = t.nature_of_address;
        }
    }
    let indicators = template.map_or_else(
        || {
            CalledNumberIndicators::default()
                .with_numbering_plan(NumberingPlan::IsdnTelephony)
                .with_inn_indicator(defaults.called_inn_not_allowed)
        },
        |t| t.indicators,
    );
    // the en-bloc end of pulsing of the template stays (Q.764 2.1.1.1)
    let st = template.is_some_and(|t| t.digits.signals().last() == Some(15));
    // offsets in errors count from the start of `called`, of which `digits` is the end
    let shift = called.len() - digits.len();
    if let Some(i) = digits.find('+') {
        return Err(InterworkError::BadDigit {
            character: '+',
            offset: shift + i,
        });
    }
    let mut text = digits.to_string();
    if st {
        text.push('F');
    }
    number_from_text(&text, Some(noa), indicators).map_err(|e| match e {
        InterworkError::BadDigit { character, offset } => InterworkError::BadDigit {
            character,
            offset: offset + shift,
        },
        e => e,
    })
}

/// Whether `n` in its routing or E.164 form is `text`.
fn same_number<I>(n: &Number<I>, text: &str, country_code: Option<&str>) -> bool {
    number_text(n) == text || e164_text(n, country_code) == text
}

/// Replaces the first parameter with `p`'s code by `p`, or appends `p`.
fn put(parameters: &mut Vec<Parameter>, p: Parameter) {
    match parameters.iter_mut().find(|q| q.code() == p.code()) {
        Some(slot) => *slot = p,
        None => parameters.push(p),
    }
}

/// Whether an encapsulated message can be the template of the IAM (RFC 3398 7.2.1.1: the
/// gateway ignores encapsulated ISUP it cannot use): an IAM that encodes, with a called
/// party number.
fn usable_base(m: &Message) -> bool {
    m.message_type == MessageType::Iam && m.called_party_number().is_some() && m.to_bytes().is_ok()
}

/// RFC 3398 7.2.1.1: the IAM for a received INVITE.
///
/// `called` is the called number after routing (routing form: "+..." or digits; it wins over
/// anything else, 7.2.1.1). `base`: the IAM of an application/ISUP part from a trusted peer —
/// when Some (and usable: an IAM that encodes), it is the template and only what SIP changed
/// is written into it (called number always; calling number from P-Asserted-Identity/From
/// only when they differ from the base's; privacy from the Privacy header, never lifted;
/// hop counter from Max-Forwards when the base has one; the redirection parameters when SIP
/// counts more redirections than the base), every other parameter (including unknown ones,
/// raw) kept exactly. When None, the defaults for the mandatory parameters and the optional
/// ones from the headers: calling party number from P-Asserted-Identity if present else From
/// (omitted when it is not a number, 7.2.1.1), presentation restricted when Privacy: id, user
/// or header, or From is anonymous; redirecting number, original called number and
/// redirection information from History-Info or Diversion, else an original called number
/// from a To that differs from the Request-URI (7.2.1.1); hop counter from Max-Forwards.
///
/// Errors: a `called` that is no number ([`InterworkError::status`] gives the response).
pub fn invite_to_iam(
    invite: &sip::Message,
    called: &str,
    base: Option<Message>,
    defaults: &IamDefaults,
) -> Result<Message, InterworkError> {
    let cc = defaults.country_code.as_deref();
    let sip = SipSide::read(invite);
    match base.filter(usable_base) {
        Some(iam) => update_base(iam, &sip, called, defaults),
        None => {
            let cdpn = called_number(called, None, defaults)?;
            let fci = defaults.forward_call.with_ported_number_translated(
                defaults.forward_call.ported_number_translated() || sip.npdi,
            );
            let mut iam = Message::iam(
                defaults.nature_of_connection,
                fci,
                defaults.calling_partys_category,
                defaults.transmission_medium,
                cdpn,
            );
            if let Some(cin) = sip.calling_party_number(defaults) {
                iam = iam.with(Parameter::CallingPartyNumber(cin));
            }
            match &sip.redirection {
                Some(r) => {
                    for p in r.parameters(cc) {
                        iam = iam.with(p);
                    }
                }
                None => {
                    if let Some(ocn) = sip.to_number.as_deref().and_then(|t| ocn_for_to(t, cc)) {
                        iam = iam.with(Parameter::OriginalCalledNumber(ocn));
                    }
                }
            }
            if let Some(h) = sip.hop_counter() {
                iam = iam.with(Parameter::HopCounter(h));
            }
            Ok(iam)
        }
    }
}

/// The original called number for a To that differs from the Request-URI (RFC 3398
/// 7.2.1.1), presentation allowed.
fn ocn_for_to(to: &str, cc: Option<&str>) -> Option<Number<RedirectingNumberIndicators>> {
    let (noa, digits) = isup_form(to, cc);
    let ind =
        RedirectingNumberIndicators::default().with_numbering_plan(NumberingPlan::IsdnTelephony);
    number_from_text(digits, Some(noa), ind).ok()
}

/// The encapsulated IAM with what SIP changed written into it ([`invite_to_iam`]).
fn update_base(
    mut iam: Message,
    sip: &SipSide,
    called: &str,
    defaults: &IamDefaults,
) -> Result<Message, InterworkError> {
    let cc = defaults.country_code.as_deref();
    let template = iam.called_party_number().cloned();
    // RFC 3398 7.2.1.1: the called number of SIP MUST overwrite the encapsulated one
    let cdpn = match template.as_ref() {
        Some(t) if same_number(t, called, cc) => t.clone(),
        t => called_number(called, t, defaults)?,
    };
    let base_cin = iam.calling_party_number().cloned();
    let cin = match (&sip.calling, base_cin) {
        (Some((text, _)), Some(b)) if same_number(&b, text, cc) => Some(b),
        (Some(_), _) => sip.calling_party_number(defaults),
        (None, b) => b,
    }
    .map(|mut n| {
        // privacy fails safe: SIP may restrict presentation, never lift a restriction
        if sip.restricted
            && n.indicators.address_presentation_restricted() == AddressPresentation::Allowed
        {
            n.indicators = n
                .indicators
                .with_address_presentation_restricted(AddressPresentation::Restricted);
        }
        n
    });
    let base_counter = iam
        .redirection_information()
        .map_or(0, |i| i.redirection_counter());
    let hop = iam.hop_counter().copied();
    let npdi = sip.npdi;

    let Some(ps) = iam.parameters_mut() else {
        return Ok(iam);
    };
    put(ps, Parameter::CalledPartyNumber(cdpn));
    if let Some(n) = cin {
        put(ps, Parameter::CallingPartyNumber(n));
    }
    if let (Some(h), Some(m)) = (hop, sip.max_forwards) {
        put(
            ps,
            Parameter::HopCounter(h.with_hop_counter(m.min(MAX_HOP_COUNTER))),
        );
    }
    if npdi {
        for p in ps.iter_mut() {
            if let Parameter::ForwardCallIndicators(f) = p {
                *f = f.with_ported_number_translated(true);
            }
        }
    }
    // a diversion in the SIP network (RFC 3398 7.2.1.1: "various sorts of call forwarding
    // and redirection ... implemented in the SIP network")
    if let Some(r) = sip
        .redirection
        .as_ref()
        .filter(|r| r.counter() > base_counter)
    {
        let new = r.parameters(cc);
        let has_rn = new
            .iter()
            .any(|p| matches!(p, Parameter::RedirectingNumber(_)));
        if !has_rn {
            ps.retain(|p| !matches!(p, Parameter::RedirectingNumber(_)));
        }
        for p in new {
            put(ps, p);
        }
    }
    Ok(iam)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cause_table_reads_both_ways() {
        for &(reason, cause) in HISTORY_INFO_CAUSES {
            assert_eq!(history_info_cause(reason), cause);
            assert_eq!(redirection_reason_for_cause(cause), reason);
        }
        assert_eq!(
            redirection_reason_for_cause(500),
            RedirectionReason::Unknown0
        );
    }

    #[test]
    fn history_info_indices() {
        let mut i = String::from("1");
        let a = hi_entry(Uri::sip(Some("1"), "h", None), &mut i, false);
        let b = hi_entry(Uri::sip(Some("2"), "h", None), &mut i, true);
        assert_eq!(a, "<sip:1@h>;index=1");
        assert_eq!(b, "<sip:2@h>;index=1.1;mp=1");
    }
}
