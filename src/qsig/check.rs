//! Reading the information elements of received messages: present, missing or in error
//! (Q.931 5.8.6 and 5.8.7), and the values the events carry.

use sipt_codecs::q931::{
    id, CallStateValue, Cause, ChannelIdentification, ChannelList, ElementType,
    InformationChannelSelection, InformationElement, InterfaceType, Message, Number,
    ProgressIndicator,
};
use sipt_codecs::qsig::{Argument, Name};

/// An information element of codeset 0 looked up in a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ie<T> {
    Present(T),
    /// Present, but its contents do not fit the element's coding (Q.931 5.8.6.2/5.8.7.2).
    Invalid,
    Missing,
}

impl<T> Ie<T> {
    pub(crate) fn present(self) -> Option<T> {
        match self {
            Ie::Present(t) => Some(t),
            _ => None,
        }
    }
}

/// The first codeset 0 element `identifier` of `msg`, typed by `pick`.
pub(crate) fn lookup<'a, T: 'a>(
    msg: &'a Message,
    identifier: u8,
    pick: impl Fn(&'a InformationElement) -> Option<T>,
) -> Ie<T> {
    for e in &msg.information_elements {
        if let Some(t) = pick(e) {
            return Ie::Present(t);
        }
        if let InformationElement::Raw {
            codeset: 0,
            identifier: i,
            ..
        } = e
        {
            if *i == identifier {
                return Ie::Invalid;
            }
        }
    }
    Ie::Missing
}

pub(crate) fn cause(msg: &Message) -> Ie<&Cause> {
    lookup(msg, id::CAUSE, |e| e.as_cause())
}

pub(crate) fn channel_identification(msg: &Message) -> Ie<&ChannelIdentification> {
    lookup(msg, id::CHANNEL_IDENTIFICATION, |e| match e {
        InformationElement::ChannelIdentification(c) => Some(c),
        _ => None,
    })
}

pub(crate) fn call_state(msg: &Message) -> Ie<CallStateValue> {
    lookup(msg, id::CALL_STATE, |e| match e {
        InformationElement::CallState(s) => Some(s.call_state),
        _ => None,
    })
}

pub(crate) fn number(msg: &Message, identifier: u8) -> Option<Number> {
    msg.information_elements
        .iter()
        .find_map(|e| match (e, identifier) {
            (InformationElement::CalledPartyNumber(n), id::CALLED_PARTY_NUMBER)
            | (InformationElement::CallingPartyNumber(n), id::CALLING_PARTY_NUMBER)
            | (InformationElement::ConnectedNumber(n), id::CONNECTED_NUMBER) => Some(n.clone()),
            _ => None,
        })
}

pub(crate) fn progress(msg: &Message) -> Vec<ProgressIndicator> {
    msg.information_elements
        .iter()
        .filter_map(|e| match e {
            InformationElement::ProgressIndicator(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

pub(crate) fn sending_complete(msg: &Message) -> bool {
    msg.information_elements
        .iter()
        .any(|e| matches!(e, InformationElement::SendingComplete))
}

/// The Name of the first invoke of name operation `opcode` in the message's Facility IEs
/// (ECMA-164: callingName in SETUP, calledName in ALERTING, connectedName in CONNECT).
pub(crate) fn name(msg: &Message, opcode: i64) -> Option<Name> {
    msg.information_elements
        .iter()
        .filter_map(|e| e.as_facility())
        .filter_map(|f| f.contents())
        .flat_map(|c| c.invokes())
        .filter(|i| i.opcode.local() == Some(opcode))
        .find_map(|i| match &i.argument {
            Some(Argument::Name(a)) => Some(a.name.clone()),
            _ => None,
        })
}

/// What channel identification asks for (Q.931 4.5.13 on a primary rate interface).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Requested {
    /// One B-channel, exclusive or preferred.
    Channel { channel: u8, exclusive: bool },
    /// Any B-channel.
    Any,
    /// No B-channel (call-independent signalling) or the D-channel: not a basic call.
    NoBChannel,
}

/// Reads the B-channel channel identification indicates. `Err(())` for codings a primary rate
/// interface of QSIG cannot carry (basic interface, octet 3.1, another channel type, several
/// channels).
pub(crate) fn requested_channel(ch: &ChannelIdentification) -> Result<Requested, ()> {
    // Q.931 4.5.13; ECMA-143 has no interface identifier (octet 3.1) on an inter-PINX link.
    if ch.interface_type != InterfaceType::Primary || ch.interface_identifier.is_some() {
        return Err(());
    }
    if ch.d_channel {
        return Ok(Requested::NoBChannel);
    }
    match ch.information_channel_selection {
        InformationChannelSelection::NoChannel => Ok(Requested::NoBChannel),
        InformationChannelSelection::AnyChannel => Ok(Requested::Any),
        InformationChannelSelection::B1OrIndicated => {
            let spec = ch.channel.as_ref().ok_or(())?;
            if spec.element_type != ElementType::BChannelUnits {
                return Err(());
            }
            let channels = channel_list(&spec.channels);
            match channels.as_slice() {
                [c] => Ok(Requested::Channel {
                    channel: *c,
                    exclusive: ch.exclusive,
                }),
                _ => Err(()),
            }
        }
        _ => Err(()),
    }
}

/// The channel numbers of a channel list or slot map (Q.931 4.5.13 octet 3.3: in a slot map
/// the least significant bit of the last octet is time slot 1 on a 3-octet (T1) map and time
/// slot 0 on a 4-octet (E1) map).
pub(crate) fn channel_list(list: &ChannelList) -> Vec<u8> {
    match list {
        ChannelList::Numbers(n) => n.clone(),
        ChannelList::SlotMap(map) => {
            let first: u8 = if map.len() >= 4 { 0 } else { 1 };
            let mut out = Vec::new();
            for (i, octet) in map.iter().rev().enumerate() {
                for bit in 0..8u8 {
                    if octet & (1 << bit) != 0 {
                        let slot = u32::try_from(i)
                            .unwrap_or(u32::MAX)
                            .saturating_mul(8)
                            .saturating_add(u32::from(bit))
                            .saturating_add(u32::from(first));
                        if let Ok(s) = u8::try_from(slot) {
                            out.push(s);
                        }
                    }
                }
            }
            out.sort_unstable();
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_maps_count_from_slot_0_on_e1_and_channel_1_on_t1() {
        // E1 (4 octets): bit 1 of the last octet is time slot 1.
        assert_eq!(
            channel_list(&ChannelList::SlotMap(vec![0x80, 0, 0, 0x02])),
            [1, 31]
        );
        // T1 (3 octets): bit 1 of the last octet is channel 1.
        assert_eq!(
            channel_list(&ChannelList::SlotMap(vec![0x80, 0, 0x01])),
            [1, 24]
        );
        assert_eq!(channel_list(&ChannelList::Numbers(vec![3, 4])), [3, 4]);
    }

    #[test]
    fn requested_channel_forms() {
        let one = ChannelIdentification::primary_b_channel(5, true);
        assert_eq!(
            requested_channel(&one),
            Ok(Requested::Channel {
                channel: 5,
                exclusive: true
            })
        );
        let mut any = one.clone();
        any.information_channel_selection = InformationChannelSelection::AnyChannel;
        assert_eq!(requested_channel(&any), Ok(Requested::Any));
        let mut d = one.clone();
        d.d_channel = true;
        assert_eq!(requested_channel(&d), Ok(Requested::NoBChannel));
        let mut with_31 = one.clone();
        with_31.interface_identifier = Some(vec![0x81]);
        assert_eq!(requested_channel(&with_31), Err(()));
        let mut basic = one;
        basic.interface_type = InterfaceType::Basic;
        assert_eq!(requested_channel(&basic), Err(()));
    }
}
