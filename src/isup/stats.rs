//! Counters of one signalling relation (in the spirit of the ISUP measurements of Q.752
//! clause 12: messages by type, call attempts, abnormal events, timer expiries).

use super::timer::Timer;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use sipt_codecs::isup::MessageType;

/// Message counts by message type code.
#[derive(Clone, PartialEq, Eq)]
pub struct ByMessageType([u64; 256]);

impl Default for ByMessageType {
    fn default() -> Self {
        ByMessageType([0; 256])
    }
}

impl ByMessageType {
    pub fn get(&self, t: MessageType) -> u64 {
        self.0.get(usize::from(t.code())).copied().unwrap_or(0)
    }
    pub(crate) fn add(&mut self, t: MessageType) {
        if let Some(n) = self.0.get_mut(usize::from(t.code())) {
            *n += 1;
        }
    }
    /// Sum over all types.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

impl std::fmt::Debug for ByMessageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                (0..=255u8)
                    .map(MessageType::from_code)
                    .filter(|t| self.get(*t) > 0)
                    .map(|t| (t, self.get(t))),
            )
            .finish()
    }
}

/// JSON: `{"IAM": 3, "ACM": 3, ...}` for the types seen.
impl Serialize for ByMessageType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for c in 0..=255u8 {
            let t = MessageType::from_code(c);
            let n = self.get(t);
            if n > 0 {
                match t.name() {
                    Some(name) => m.serialize_entry(name, &n)?,
                    None => m.serialize_entry(&format!("0x{c:02x}"), &n)?,
                }
            }
        }
        m.end()
    }
}

/// Expiries by timer.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ByTimer([u64; 30]);

impl ByTimer {
    pub fn get(&self, t: Timer) -> u64 {
        self.0.get(t.index()).copied().unwrap_or(0)
    }
    pub(crate) fn add(&mut self, t: Timer) {
        if let Some(n) = self.0.get_mut(t.index()) {
            *n += 1;
        }
    }
}

impl std::fmt::Debug for ByTimer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                Timer::ALL
                    .iter()
                    .filter(|t| self.get(**t) > 0)
                    .map(|t| (t.name(), self.get(*t))),
            )
            .finish()
    }
}

impl Serialize for ByTimer {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for t in Timer::ALL {
            let n = self.get(*t);
            if n > 0 {
                m.serialize_entry(t.name(), &n)?;
            }
        }
        m.end()
    }
}

/// The counters of one [`super::Isup`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Statistics {
    pub messages_sent: ByMessageType,
    pub messages_received: ByMessageType,
    /// Messages not sent because MTP had paused (the destination was inaccessible).
    pub messages_discarded_paused: u64,
    /// Octets that did not decode as an ISUP message ([`super::Isup::handle_octets`]).
    pub decode_errors: u64,
    /// IAMs sent.
    pub outgoing_calls: u64,
    /// IAMs accepted.
    pub incoming_calls: u64,
    /// Calls answered (ANM or CON, either direction).
    pub answered_calls: u64,
    /// Q.764 2.9.1.
    pub dual_seizures: u64,
    /// Q.764 2.9.5.1.
    pub unexpected_messages: u64,
    /// Q.764 2.9.5.3.1.
    pub unrecognized_messages: u64,
    /// Q.764 2.9.5.3.2.
    pub unrecognized_parameters: u64,
    /// Messages for circuits we do not have (answered with UCIC, Q.764 2.12).
    pub unequipped_cic_messages: u64,
    pub timer_expiries: ByTimer,
    pub maintenance_alerts: u64,
}
