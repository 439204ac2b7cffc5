//! Configuration of one signalling point with one linkset: point codes, network indicator, the
//! links by signalling link code, the equipped user parts, and the timers of Q.704 16.8 and
//! Q.707 5.
//!
//! Default timer values: ITU-T fixes ranges, not values. The defaults below are the ranges'
//! usual defaults as tabulated for the ITU variant in Cisco's CISCO-ITP-TC-MIB
//! (`CItpTcTimerMtp3T01`..`T21`, `CItpTcTimerLinkTest`, `CItpTcTimerLinkMessage`), which quotes
//! Q.704 16.8 and Q.707 for the ranges.

use std::time::Duration;

use sipt_codecs::mtp3::{NetworkIndicator, PointCode, ServiceIndicator};

use crate::ss7::l2::LinkId;

/// The most links a linkset may have: the SLC has 4 bits (Q.704 2.2).
pub const MAX_LINKS: usize = 16;

/// Timer values (Q.704 16.8; Q.707 5). Each must be non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// Q.704 T1, delay to avoid message mis-sequencing on changeover (time-controlled
    /// changeover, 5.6.2): 500 (800) to 1200 ms. Default 800 ms.
    pub t1: Duration,
    /// Q.704 T2, waiting for changeover acknowledgement (5.7): 700 (1400) to 2000 ms.
    /// Default 1400 ms.
    pub t2: Duration,
    /// Q.704 T3, time-controlled diversion delay on changeback (6.4): 500 (800) to 1200 ms.
    /// Default 800 ms. An end point with a single linkset always has the alternative link as its
    /// path to the remote end, so CBD/CBA can always be exchanged and T3 is not started; the
    /// value is kept for the configuration schema.
    pub t3: Duration,
    /// Q.704 T4, waiting for changeback acknowledgement, first attempt (6.5): 500 (800) to
    /// 1200 ms. Default 800 ms.
    pub t4: Duration,
    /// Q.704 T5, waiting for changeback acknowledgement, second attempt (6.5): 500 (800) to
    /// 1200 ms. Default 800 ms.
    pub t5: Duration,
    /// Q.704 T10, waiting to repeat a signalling-route-set-test message (13.5): 30 to 60 s.
    /// Default 45 s.
    pub t10: Duration,
    /// Q.704 T17, delay to avoid oscillation of initial alignment failure and link restart
    /// (12.2): 800 to 1500 ms. Default 1150 ms.
    pub t17: Duration,
    /// Q.704 T19, supervision during MTP restart against a ping-pong of TRA messages (9):
    /// 67 to 69 s. Default 68 s.
    pub t19: Duration,
    /// Q.704 T20, overall MTP restart timer at the restarting signalling point (9.2): 59 to
    /// 61 s. Default 60 s.
    pub t20: Duration,
    /// Q.707 T1, supervision timer for the signalling link test acknowledgement (2.2): 4 to
    /// 12 s. Default 8 s.
    pub slt_t1: Duration,
    /// Q.707 T2, interval for sending the periodic signalling link test message (2.2): 30 to
    /// 90 s. Default 60 s.
    pub slt_t2: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            t1: Duration::from_millis(800),
            t2: Duration::from_millis(1400),
            t3: Duration::from_millis(800),
            t4: Duration::from_millis(800),
            t5: Duration::from_millis(800),
            t10: Duration::from_secs(45),
            t17: Duration::from_millis(1150),
            t19: Duration::from_secs(68),
            t20: Duration::from_secs(60),
            slt_t1: Duration::from_secs(8),
            slt_t2: Duration::from_secs(60),
        }
    }
}

impl Timers {
    fn all(&self) -> [(&'static str, Duration); 11] {
        [
            ("t1", self.t1),
            ("t2", self.t2),
            ("t3", self.t3),
            ("t4", self.t4),
            ("t5", self.t5),
            ("t10", self.t10),
            ("t17", self.t17),
            ("t19", self.t19),
            ("t20", self.t20),
            ("slt_t1", self.slt_t1),
            ("slt_t2", self.slt_t2),
        ]
    }
}

/// One signalling point (own point code) with one linkset to an adjacent signalling point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Our own point code: the OPC of what we send, the DPC of what we accept (ITU, 14 bits).
    pub opc: PointCode,
    /// The adjacent signalling point at the far end of the linkset (ITU, 14 bits). User
    /// messages go there unless they name another destination reached through it.
    pub apc: PointCode,
    /// The network indicator of every SIO we send and accept (Q.704 14.2.2).
    pub network_indicator: NetworkIndicator,
    /// The signalling link codes of the linkset's links (1 to 16 distinct values 0-15).
    pub links: Vec<LinkId>,
    /// The user parts present at this signalling point. A message for any other service
    /// indicator is answered with a user part unavailable message (Q.704 2.4, 15).
    pub user_parts: Vec<ServiceIndicator>,
    pub timers: Timers,
}

impl Config {
    /// A linkset from `opc` to `apc` over the links with the given SLCs, national network,
    /// ISUP as the only user part, default timers.
    pub fn new(opc: u32, apc: u32, links: impl Into<Vec<LinkId>>) -> Self {
        Config {
            opc: PointCode(opc),
            apc: PointCode(apc),
            network_indicator: NetworkIndicator::National,
            links: links.into(),
            user_parts: vec![ServiceIndicator::Isup],
            timers: Timers::default(),
        }
    }

    /// Checks the configuration.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, pc) in [("opc", self.opc), ("apc", self.apc)] {
            if pc.0 > PointCode::ITU_MAX {
                return Err(ConfigError::PointCodeOutOfRange { field, value: pc.0 });
            }
        }
        if self.opc == self.apc {
            return Err(ConfigError::SamePointCodes);
        }
        if self.links.is_empty() || self.links.len() > MAX_LINKS {
            return Err(ConfigError::LinkCount {
                count: self.links.len(),
            });
        }
        for (i, slc) in self.links.iter().enumerate() {
            if usize::from(*slc) >= MAX_LINKS {
                return Err(ConfigError::SlcOutOfRange { slc: *slc });
            }
            if self.links[..i].contains(slc) {
                return Err(ConfigError::DuplicateSlc { slc: *slc });
            }
        }
        if let Some(si) = self.user_parts.iter().find(|si| {
            matches!(
                si,
                ServiceIndicator::Snm | ServiceIndicator::Mtn | ServiceIndicator::Mtns
            ) || si.code() > 0x0F
        }) {
            return Err(ConfigError::NotAUserPart { si: si.code() });
        }
        if let Some((timer, _)) = self.timers.all().into_iter().find(|(_, d)| d.is_zero()) {
            return Err(ConfigError::ZeroTimer { timer });
        }
        Ok(())
    }
}

/// What is wrong with a [`Config`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{field} {value} does not fit in the 14 bits of an ITU point code")]
    PointCodeOutOfRange { field: &'static str, value: u32 },
    #[error("own and adjacent point codes are the same")]
    SamePointCodes,
    #[error("a linkset has 1 to 16 links, not {count}")]
    LinkCount { count: usize },
    #[error("signalling link code {slc} does not fit in 4 bits")]
    SlcOutOfRange { slc: LinkId },
    #[error("signalling link code {slc} appears twice")]
    DuplicateSlc { slc: LinkId },
    #[error("service indicator {si} is not a user part")]
    NotAUserPart { si: u8 },
    #[error("timer {timer} is zero")]
    ZeroTimer { timer: &'static str },
}
