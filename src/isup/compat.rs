//! The compatibility procedures of Q.764 2.9.5.2-2.9.5.3: what to do with an unrecognised
//! message or parameter, by the instruction indicators the sender attached (message
//! compatibility information, Q.763 3.33; parameter compatibility information, Q.763 3.41) or,
//! without them, by the default.
//!
//! Pure functions of the received octets and the exchange type; the state machine applies the
//! resulting [`Action`].

use super::config::ExchangeType;
use sipt_codecs::isup::{code, parameter_label, Message, MessageType, Parameter};

/// Instruction indicators of an unrecognised message (Q.763 3.33, first octet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageInstructions(pub u8);

impl MessageInstructions {
    /// Bit A: 1 = end node interpretation (0 = transit interpretation).
    pub fn end_node_interpretation(self) -> bool {
        self.0 & 0x01 != 0
    }
    /// Bit B: release call.
    pub fn release_call(self) -> bool {
        self.0 & 0x02 != 0
    }
    /// Bit C: send notification.
    pub fn send_notification(self) -> bool {
        self.0 & 0x04 != 0
    }
    /// Bit D: discard message (0 = pass on).
    pub fn discard_message(self) -> bool {
        self.0 & 0x08 != 0
    }
    /// Bit E: pass on not possible: 0 = release call, 1 = discard information.
    pub fn pass_on_not_possible_discard(self) -> bool {
        self.0 & 0x10 != 0
    }
}

/// Instruction indicators for one unrecognised parameter (Q.763 3.41, first octet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParameterInstructions(pub u8);

impl ParameterInstructions {
    /// Bit A: 1 = end node interpretation.
    pub fn end_node_interpretation(self) -> bool {
        self.0 & 0x01 != 0
    }
    /// Bit B: release call.
    pub fn release_call(self) -> bool {
        self.0 & 0x02 != 0
    }
    /// Bit C: send notification.
    pub fn send_notification(self) -> bool {
        self.0 & 0x04 != 0
    }
    /// Bit D: discard message.
    pub fn discard_message(self) -> bool {
        self.0 & 0x08 != 0
    }
    /// Bit E: discard parameter (0 = pass on).
    pub fn discard_parameter(self) -> bool {
        self.0 & 0x10 != 0
    }
    /// Bits G F: pass on not possible: 00 release call, 01 discard message, 10 discard
    /// parameter, 11 reserved (read as 00).
    pub fn pass_on_not_possible(self) -> u8 {
        (self.0 >> 5) & 3
    }
}

/// What the compatibility procedure decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Pass the information on; `notify`: send CFN (cause 103 for a parameter).
    PassOn { notify: bool },
    /// Drop the parameter, process the message; `notify`: CFN with cause 99.
    DiscardParameter { notify: bool },
    /// Drop the message; `notify`: CFN with cause 97 (message) or 110 (parameter).
    DiscardMessage { notify: bool },
    /// Release the call: REL with cause 97 (message) or 99 (parameter).
    ReleaseCall,
}

/// Q.764 2.9.5.3.1: an unrecognised message, with the instructions found in it (if any).
pub fn unrecognized_message(exchange: ExchangeType, instr: Option<MessageInstructions>) -> Action {
    let Some(i) = instr else {
        // no instruction indicators: discard the message and send CFN
        return Action::DiscardMessage { notify: true };
    };
    if exchange == ExchangeType::B && !i.end_node_interpretation() {
        // transit interpretation at a type B exchange
        return Action::PassOn { notify: false };
    }
    if i.release_call() {
        return Action::ReleaseCall;
    }
    let notify = i.send_notification();
    if i.discard_message() {
        return Action::DiscardMessage { notify };
    }
    // "pass on" requested, but not possible at an end node
    if i.pass_on_not_possible_discard() {
        Action::DiscardMessage { notify }
    } else {
        Action::ReleaseCall
    }
}

/// Q.764 2.9.5.3.2: an unrecognised parameter, with its instructions (if any).
pub fn unrecognized_parameter(
    exchange: ExchangeType,
    instr: Option<ParameterInstructions>,
) -> Action {
    let Some(i) = instr else {
        // default: a transit exchange passes the parameter on; an end node discards it and
        // notifies
        return match exchange {
            ExchangeType::B => Action::PassOn { notify: false },
            ExchangeType::A => Action::DiscardParameter { notify: true },
        };
    };
    let notify = i.send_notification();
    if exchange == ExchangeType::B && !i.end_node_interpretation() {
        return Action::PassOn { notify };
    }
    if i.release_call() {
        return Action::ReleaseCall;
    }
    if i.discard_message() {
        return Action::DiscardMessage { notify };
    }
    if i.discard_parameter() {
        return Action::DiscardParameter { notify };
    }
    match i.pass_on_not_possible() {
        1 => Action::DiscardMessage { notify },
        2 => Action::DiscardParameter { notify },
        _ => Action::ReleaseCall,
    }
}

/// The message compatibility information of an unrecognised message kept as octets. Q.764
/// 2.9.5.2 lets a receiver assume that a message it does not know has only an optional part
/// (the format of every message defined since 1992): a pointer, then the parameters. `None`
/// when the octets do not have that shape or carry no such parameter.
pub fn message_instructions(raw: &[u8]) -> Option<MessageInstructions> {
    let (&pointer, _) = raw.split_first()?;
    if pointer == 0 {
        return None;
    }
    let mut rest = raw.get(usize::from(pointer)..)?;
    loop {
        match *rest {
            [0, ..] | [] => return None,
            [name, len, ref after @ ..] => {
                let value = after.get(..usize::from(len))?;
                if name == code::MESSAGE_COMPATIBILITY_INFORMATION {
                    return value.first().map(|&o| MessageInstructions(o));
                }
                rest = after.get(usize::from(len)..)?;
            }
            [_] => return None,
        }
    }
}

/// The entries of a parameter compatibility information value (Q.763 3.41): for each
/// upgraded parameter, its name and its first instruction octet (the further octets, up to one
/// with the extension bit set, hold only the broadband/narrowband indicator, not used here).
pub fn parameter_instructions(value: &[u8]) -> Vec<(u8, ParameterInstructions)> {
    let mut out = Vec::new();
    let mut rest = value;
    while let [name, first, ref after @ ..] = *rest {
        out.push((name, ParameterInstructions(first)));
        rest = after;
        // bit H = 0: another instruction octet follows
        let mut ext = first;
        while ext & 0x80 == 0 {
            match rest.split_first() {
                Some((&o, after)) => {
                    ext = o;
                    rest = after;
                }
                None => return out,
            }
        }
    }
    out
}

/// Whether a message type is one this exchange does not recognise (Q.764 2.9.5.3.1).
pub fn is_unrecognized_message(t: MessageType) -> bool {
    matches!(MessageType::from_code(t.code()), MessageType::Unknown(_))
}

/// Whether a parameter is unrecognised: its name code has no meaning in Q.763 (a parameter of
/// a known code whose value did not decode is not "unrecognised", Q.764 2.9.5.3.3).
pub fn is_unrecognized_parameter(p: &Parameter) -> bool {
    matches!(p, Parameter::Unknown(u) if u.code != 0 && parameter_label(u.code).is_none())
}

/// The instructions a message carries for its unrecognised parameters.
pub fn instructions_for(message: &Message, name: u8) -> Option<ParameterInstructions> {
    message
        .parameters()
        .iter()
        .filter_map(|p| match p {
            Parameter::Unknown(u) if u.code == code::PARAMETER_COMPATIBILITY_INFORMATION => {
                Some(parameter_instructions(&u.value))
            }
            _ => None,
        })
        .flatten()
        .find_map(|(n, i)| (n == name).then_some(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_instructions_from_optional_part() {
        // pointer 1, MCI = release call + notification, end of optional parameters
        assert_eq!(
            message_instructions(&[0x01, 56, 1, 0x86, 0]),
            Some(MessageInstructions(0x86))
        );
        // another parameter first
        assert_eq!(
            message_instructions(&[0x01, 0xf0, 2, 9, 9, 56, 1, 0x88, 0]),
            Some(MessageInstructions(0x88))
        );
        assert_eq!(message_instructions(&[0x00]), None);
        assert_eq!(message_instructions(&[0x01, 0xf0, 5, 1]), None);
        assert_eq!(message_instructions(&[]), None);
        assert_eq!(message_instructions(&[0x05]), None);
    }

    #[test]
    fn parameter_instructions_walk_extension_octets() {
        // 0xf0: one octet (H = 1); 0xf1: two octets (H = 0, then H = 1)
        let v = [0xf0, 0x90, 0xf1, 0x02, 0x80, 0xf2, 0x88];
        let e = parameter_instructions(&v);
        assert_eq!(
            e,
            vec![
                (0xf0, ParameterInstructions(0x90)),
                (0xf1, ParameterInstructions(0x02)),
                (0xf2, ParameterInstructions(0x88)),
            ]
        );
        assert_eq!(parameter_instructions(&[0xf0]), vec![]);
    }

    #[test]
    fn message_actions() {
        use ExchangeType::*;
        assert_eq!(
            unrecognized_message(A, None),
            Action::DiscardMessage { notify: true }
        );
        // release call
        assert_eq!(
            unrecognized_message(A, Some(MessageInstructions(0x02))),
            Action::ReleaseCall
        );
        // discard, notify
        assert_eq!(
            unrecognized_message(A, Some(MessageInstructions(0x0c))),
            Action::DiscardMessage { notify: true }
        );
        // pass on at an end node: not possible, E = 1 discard
        assert_eq!(
            unrecognized_message(A, Some(MessageInstructions(0x10))),
            Action::DiscardMessage { notify: false }
        );
        // pass on at an end node, E = 0: release
        assert_eq!(
            unrecognized_message(A, Some(MessageInstructions(0x00))),
            Action::ReleaseCall
        );
        // transit node, transit interpretation: pass on
        assert_eq!(
            unrecognized_message(B, Some(MessageInstructions(0x02))),
            Action::PassOn { notify: false }
        );
        // transit node, end node interpretation: as an end node
        assert_eq!(
            unrecognized_message(B, Some(MessageInstructions(0x03))),
            Action::ReleaseCall
        );
    }

    #[test]
    fn parameter_actions() {
        use ExchangeType::*;
        let p = |o| Some(ParameterInstructions(o));
        assert_eq!(
            unrecognized_parameter(A, None),
            Action::DiscardParameter { notify: true }
        );
        assert_eq!(
            unrecognized_parameter(B, None),
            Action::PassOn { notify: false }
        );
        assert_eq!(unrecognized_parameter(A, p(0x82)), Action::ReleaseCall);
        assert_eq!(
            unrecognized_parameter(A, p(0x8c)),
            Action::DiscardMessage { notify: true }
        );
        assert_eq!(
            unrecognized_parameter(A, p(0x90)),
            Action::DiscardParameter { notify: false }
        );
        // pass on not possible: 00 release, 01 discard message, 10 discard parameter, 11 = 00
        assert_eq!(unrecognized_parameter(A, p(0x80)), Action::ReleaseCall);
        assert_eq!(
            unrecognized_parameter(A, p(0xa4)),
            Action::DiscardMessage { notify: true }
        );
        assert_eq!(
            unrecognized_parameter(A, p(0xc0)),
            Action::DiscardParameter { notify: false }
        );
        assert_eq!(unrecognized_parameter(A, p(0xe0)), Action::ReleaseCall);
        assert_eq!(
            unrecognized_parameter(B, p(0x84)),
            Action::PassOn { notify: true }
        );
    }
}
