//! The UDP size rule of RFC 3261 18.1.1, as a decision the transaction user takes before it
//! writes the top Via of a request.
//!
//! "If a request is within 200 bytes of the path MTU, or if it is larger than 1300 bytes and
//! the path MTU is unknown, the request MUST be sent using an RFC 2914 congestion controlled
//! transport protocol, such as TCP. If this causes a change in the transport protocol from the
//! one indicated in the top Via, the value in the top Via MUST be changed." Responses are not
//! subject to it (RFC 3261 18.2.2 sends them the way the request came).

use super::addr::TransportKind;

/// The margin below the path MTU (RFC 3261 18.1.1).
pub const MTU_MARGIN: usize = 200;

/// The size above which a request leaves UDP when the path MTU is unknown (RFC 3261 18.1.1;
/// an Ethernet MTU of 1500 less the margin).
pub const UNKNOWN_MTU_LIMIT: usize = 1300;

/// The operator's settings for the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MtuRule {
    /// Apply the rule. Off for peers known to run UDP only and to cope with IP fragments.
    pub enabled: bool,
    /// The path MTU toward peers, when known; `None`: the 1300-octet rule.
    pub path_mtu: Option<usize>,
}

impl Default for MtuRule {
    fn default() -> MtuRule {
        MtuRule {
            enabled: true,
            path_mtu: None,
        }
    }
}

/// What to do with a request about to go over UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MtuDecision {
    /// Send it on the transport chosen.
    Keep,
    /// Send it over TCP instead, with `TCP` in the top Via.
    SwitchToTcp,
}

impl MtuRule {
    /// The largest request that may still go over UDP.
    pub fn udp_limit(&self) -> usize {
        match self.path_mtu {
            Some(mtu) => mtu.saturating_sub(MTU_MARGIN),
            None => UNKNOWN_MTU_LIMIT,
        }
    }

    /// The RFC 3261 18.1.1 decision for a request of `request_len` octets (with the top Via
    /// as it would be written for UDP) that next-hop location put on `chosen`;
    /// `tcp_available` says whether the destination supports TCP (RFC 3263 found a TCP
    /// target for it, or the peer is configured so). A request on TCP or TLS stays there.
    pub fn decide(
        &self,
        request_len: usize,
        chosen: TransportKind,
        tcp_available: bool,
    ) -> MtuDecision {
        if self.enabled
            && chosen == TransportKind::Udp
            && tcp_available
            && request_len > self.udp_limit()
        {
            MtuDecision::SwitchToTcp
        } else {
            MtuDecision::Keep
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds() {
        let rule = MtuRule::default();
        assert_eq!(
            rule.decide(1300, TransportKind::Udp, true),
            MtuDecision::Keep
        );
        assert_eq!(
            rule.decide(1301, TransportKind::Udp, true),
            MtuDecision::SwitchToTcp
        );
        assert_eq!(
            rule.decide(1301, TransportKind::Udp, false),
            MtuDecision::Keep
        );
        assert_eq!(
            rule.decide(5000, TransportKind::Tls, true),
            MtuDecision::Keep
        );
        let known = MtuRule {
            enabled: true,
            path_mtu: Some(1000),
        };
        assert_eq!(
            known.decide(800, TransportKind::Udp, true),
            MtuDecision::Keep
        );
        assert_eq!(
            known.decide(801, TransportKind::Udp, true),
            MtuDecision::SwitchToTcp
        );
        let off = MtuRule {
            enabled: false,
            ..MtuRule::default()
        };
        assert_eq!(
            off.decide(9000, TransportKind::Udp, true),
            MtuDecision::Keep
        );
    }
}
