//! Overlap signalling (RFC 3578): the called number arriving in pieces, IAM then SAMs.
//!
//! Two ways to meet SIP, chosen per link:
//! - [`Overlap::EnBloc`] (RFC 3578 2, the preferred one): the gateway collects the digits and
//!   sends one INVITE when the number is complete — a stop digit (ST, Q.763 3.9 code 15),
//!   the most digits a number can have, or T10 expiring after the latest digit; SAMs after
//!   the INVITE are ignored (2.2).
//! - [`Overlap::Sip`] (RFC 3578 3): an INVITE at once and a new INVITE (same Call-ID and From
//!   tag, higher CSeq) with all the digits so far for every SAM; 4xx-6xx to the earlier ones
//!   release nothing while more digits may come (3.2); once T10 has expired and every INVITE
//!   has failed, the REL's cause comes from the best response ([`final_response_rank`]).
//!
//! And from SIP (RFC 3578 3.5): an INVITE with the same Call-ID and From tag as a call under
//! way and a longer Request-URI number is the same call's next digits: a SAM with the new
//! digits, and 484 to the earlier INVITE ([`subsequent_address`]).
//!
//! [`DigitCollector`] is the digit state of one call; the timers are the gateway's.

use std::time::Duration;

use sipt_codecs::isup::{
    CalledPartyNumber, Digits, Message, MessageType, Parameter, SubsequentNumber,
};

/// The end-of-pulsing signal, ST (Q.763 3.9: address signal code 15).
pub const ST: u8 = 0x0f;

/// E.164 6.1: at most 15 digits (without the international prefix): a number this long is
/// complete.
pub const MAX_DIGITS: usize = 15;

/// Q.764 / RFC 3578 2.2: T10, from the latest digit, 4-6 s.
pub const T10: Duration = Duration::from_secs(5);

/// How a link's overlap signalling meets SIP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overlap {
    /// The IAM carries the whole number (RFC 3398): no digit collection.
    #[default]
    None,
    /// RFC 3578 2: collect the digits, then one INVITE.
    EnBloc,
    /// RFC 3578 3: an INVITE per IAM/SAM with the digits so far.
    Sip,
}

impl Overlap {
    pub fn from_name(name: &str) -> Option<Overlap> {
        match name {
            "none" => Some(Overlap::None),
            "en-bloc" => Some(Overlap::EnBloc),
            "sip" => Some(Overlap::Sip),
            _ => None,
        }
    }
}

/// The digits of a call's called number so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitCollector {
    /// The routing form so far (`+` first for an international number), without ST.
    number: String,
    /// ST was received, or the number reached [`MAX_DIGITS`].
    complete: bool,
}

impl DigitCollector {
    /// Starts from the IAM's called party number (`text`: its routing form, ST dropped;
    /// `cpn`: the parameter, to see whether it ended with ST).
    pub fn new(text: &str, cpn: Option<&CalledPartyNumber>) -> DigitCollector {
        let st = cpn.is_some_and(|n| ends_with_st(&n.digits));
        let mut c = DigitCollector {
            number: text.to_string(),
            complete: false,
        };
        c.complete = st || c.digit_count() >= MAX_DIGITS;
        c
    }

    pub fn number(&self) -> &str {
        &self.number
    }

    /// Whether no more digits can come.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    fn digit_count(&self) -> usize {
        self.number.trim_start_matches('+').len()
    }

    /// Adds the digits of a SAM (Q.763 3.51 subsequent number); true when it brought any.
    /// Digits after completion are ignored (RFC 3578 2.2).
    pub fn add_sam(&mut self, sam: &Message) -> bool {
        if self.complete || sam.message_type != MessageType::Sam {
            return false;
        }
        let Some(n) = sam.parameters().iter().find_map(|p| match p {
            Parameter::SubsequentNumber(n) => Some(n),
            _ => None,
        }) else {
            return false;
        };
        let mut added = false;
        for s in n.digits.signals() {
            if s == ST {
                self.complete = true;
                break;
            }
            if let Some(c) = char::from_digit(u32::from(s), 16) {
                self.number.push(c.to_ascii_uppercase());
                added = true;
            }
        }
        if self.digit_count() >= MAX_DIGITS {
            self.complete = true;
        }
        added
    }
}

/// RFC 3578 3.2: the best of the final responses to the INVITEs of an overlap call, the one
/// the REL's cause comes from, chosen "in the same way as forking proxies compute the best
/// response" (RFC 3261 16.7 step 6): a 6xx if there is one, else one of the lowest class.
/// Within the class, RFC 3261 lets the proxy pick (16.7 step 6: "MAY select any response
/// within that chosen class"); here a 484 only when nothing else was said — in overlap
/// signalling 484 is what every INVITE but the last is expected to get (RFC 3578 3.3), and
/// RFC 3578 3.2's own example has a 486 to the shorter INVITE beat the 484 to the longer —
/// and then the response to the INVITE with more digits. No response at all (timer B)
/// counts as 408 (RFC 3261 16.7 step 6 / 16.8).
///
/// The rank of a final `status` to an INVITE of `digits` digits: the lowest is the best.
pub fn final_response_rank(status: u16, digits: usize) -> (u8, bool, std::cmp::Reverse<usize>) {
    let class = u8::try_from(status / 100).unwrap_or(u8::MAX);
    let class = if class == 6 { 0 } else { class };
    (class, status == 484, std::cmp::Reverse(digits))
}

fn ends_with_st(d: &Digits) -> bool {
    d.signals().last() == Some(ST)
}

/// RFC 3578 3.5: the SAM for an INVITE that repeats a call's INVITE with more digits: the
/// digits of `new` after those of `previous` (both routing forms). `None` when `new` does
/// not extend `previous` (a different number: a new call, not overlap).
pub fn subsequent_address(previous: &str, new: &str) -> Option<Message> {
    let extra = new.strip_prefix(previous).filter(|e| !e.is_empty())?;
    let digits = Digits::parse(extra).ok()?;
    Some(Message::sam(SubsequentNumber::new(digits)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sipt_codecs::isup::{CalledNumberIndicators, NatureOfAddress};

    fn cpn(digits: &str) -> CalledPartyNumber {
        CalledPartyNumber::from_digits(
            NatureOfAddress::NationalNumber,
            CalledNumberIndicators::default(),
            digits,
        )
        .expect("cpn")
    }

    fn sam(digits: &str) -> Message {
        Message::sam(SubsequentNumber::new(
            Digits::parse(digits).expect("digits"),
        ))
    }

    #[test]
    fn digits_are_collected_until_st() {
        let mut c = DigitCollector::new("4930", Some(&cpn("4930")));
        assert!(!c.is_complete());
        assert!(c.add_sam(&sam("12")));
        assert_eq!(c.number(), "493012");
        assert!(!c.is_complete());
        assert!(c.add_sam(&sam("3F")));
        assert_eq!(c.number(), "4930123");
        assert!(c.is_complete());
        // RFC 3578 2.2: later SAMs are ignored.
        assert!(!c.add_sam(&sam("9")));
        assert_eq!(c.number(), "4930123");
    }

    #[test]
    fn an_iam_ending_with_st_is_complete() {
        let c = DigitCollector::new("4930123", Some(&cpn("4930123F")));
        assert!(c.is_complete());
    }

    #[test]
    fn fifteen_digits_are_complete() {
        let mut c = DigitCollector::new("+4930", None);
        assert!(!c.is_complete());
        c.add_sam(&sam("1234567890"));
        assert!(!c.is_complete(), "14 digits: {}", c.number());
        c.add_sam(&sam("1"));
        assert!(c.is_complete(), "{}", c.number());
        assert_eq!(c.number(), "+493012345678901");
    }

    #[test]
    fn sam_for_a_longer_invite() {
        let m = subsequent_address("4930", "493012").expect("SAM");
        let Some(Parameter::SubsequentNumber(n)) = m.parameters().first() else {
            panic!("{m:?}");
        };
        assert_eq!(n.digits.to_string(), "12");
        assert!(subsequent_address("4930", "4930").is_none());
        assert!(subsequent_address("4930", "5930123").is_none());
    }

    fn best(responses: &[(u16, usize)]) -> Option<u16> {
        responses
            .iter()
            .min_by_key(|(s, d)| final_response_rank(*s, *d))
            .map(|(s, _)| *s)
    }

    #[test]
    fn the_best_response_is_a_forking_proxys() {
        // RFC 3261 16.7 step 6: a 6xx wins over everything.
        assert_eq!(best(&[(484, 4), (404, 6), (603, 5)]), Some(603));
        // Else the lowest class.
        assert_eq!(best(&[(503, 6), (484, 4)]), Some(484));
        assert_eq!(best(&[(408, 6), (500, 7)]), Some(408));
        // RFC 3578 3.2's example: 486 to the first INVITE, 484 to the one with a digit more.
        assert_eq!(best(&[(486, 7), (484, 8)]), Some(486));
        // Within the class, the INVITE with more digits.
        assert_eq!(best(&[(404, 4), (480, 6), (484, 7)]), Some(480));
        assert_eq!(best(&[(484, 4), (484, 6)]), Some(484));
        assert_eq!(best(&[]), None);
    }

    #[test]
    fn overlap_names() {
        assert_eq!(Overlap::from_name("en-bloc"), Some(Overlap::EnBloc));
        assert_eq!(Overlap::from_name("sip"), Some(Overlap::Sip));
        assert_eq!(Overlap::from_name("none"), Some(Overlap::None));
        assert_eq!(Overlap::from_name("x"), None);
    }
}
