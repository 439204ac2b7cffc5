//! The B-channels of the interface and their states (Q.931 5.1.2, 5.2.3 channel selection;
//! 5.3.4.3 maintenance condition; 5.5 restart).

use super::types::{CallId, ChannelState, Side};

/// The B-channels, by channel number.
#[derive(Debug, Clone)]
pub(crate) struct Channels {
    /// Sorted by channel number, no duplicates.
    list: Vec<(u8, ChannelState)>,
    side: Side,
}

impl Channels {
    pub(crate) fn new(side: Side, numbers: &[u8]) -> Channels {
        let mut n: Vec<u8> = numbers.to_vec();
        n.sort_unstable();
        n.dedup();
        Channels {
            list: n.into_iter().map(|c| (c, ChannelState::Idle)).collect(),
            side,
        }
    }

    pub(crate) fn state(&self, channel: u8) -> Option<ChannelState> {
        self.list
            .iter()
            .find(|(c, _)| *c == channel)
            .map(|(_, s)| *s)
    }

    pub(crate) fn exists(&self, channel: u8) -> bool {
        self.state(channel).is_some()
    }

    pub(crate) fn set(&mut self, channel: u8, state: ChannelState) {
        if let Some((_, s)) = self.list.iter_mut().find(|(c, _)| *c == channel) {
            *s = state;
        }
    }

    /// Frees `channel` if `call` holds it.
    pub(crate) fn free(&mut self, channel: u8, call: CallId, to: ChannelState) {
        if self.state(channel) == Some(ChannelState::Busy(call)) {
            self.set(channel, to);
        }
    }

    /// A free channel other than `except`: the network side takes them from the highest
    /// number down, the user side from the lowest up, so that two sides seize the same one
    /// only when one or none is left.
    pub(crate) fn select(&self, except: Option<u8>) -> Option<u8> {
        let free = |(c, s): &&(u8, ChannelState)| *s == ChannelState::Idle && Some(*c) != except;
        match self.side {
            Side::Network => self.list.iter().rev().find(free).map(|(c, _)| *c),
            Side::User => self.list.iter().find(free).map(|(c, _)| *c),
        }
    }

    pub(crate) fn all(&self) -> impl Iterator<Item = (u8, ChannelState)> + '_ {
        self.list.iter().copied()
    }

    pub(crate) fn numbers(&self) -> Vec<u8> {
        self.list.iter().map(|(c, _)| *c).collect()
    }
}
