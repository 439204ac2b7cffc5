//! Configuration of one ISUP signalling relation: point codes, circuits, timer values and the
//! choices Q.764 leaves to the network operator.

use super::error::IsupError;
use super::timer::Timer;
use sipt_codecs::isup::{
    BackwardCallIndicators, CalledPartysCategory, CalledPartysStatus, ChargeIndicator, Location,
};
use std::time::Duration;

/// The values of the Q.764 timers (ITU-T Q.764 (12/1999) Annex A, Table A.1). Each default is
/// the lower bound of the range in Table A.1 unless said otherwise; the ranges are cross-checked
/// against the ITU defaults of OpenSS7's `isup.c` and the tunable list of libss7's `isup.c`, and
/// T1, T4, T5, T7 and T8 against a copy of Table A.1 (Q.764 (12/1999), published 2000:
/// www.qsl.net/g7cnp/ISUP/Procedures/). T1 is 15-60 s there (4-15 s is the older and the ANSI
/// range); the default of 15 s lies in both. A
/// timer that is `Option` can be switched off (`None`): Q.764 leaves its use to the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timers {
    /// T1, 15-60 s: REL sent, awaiting RLC; on expiry REL is repeated (Q.764 2.9.6).
    pub t1: Duration,
    /// T2, 3 min: SUS (user) received at the controlling exchange, awaiting RES (Q.764 2.4).
    pub t2: Duration,
    /// T4, 5-15 min: MTP-STATUS "user part unavailable" received; UPT sent on expiry
    /// (Q.764 2.13).
    pub t4: Duration,
    /// T5, 5-15 min: first REL sent; on expiry RSC, maintenance alert, T17 (Q.764 2.9.6).
    pub t5: Duration,
    /// T6, 10-32 s (Q.118): SUS (network) received at the controlling exchange, awaiting RES;
    /// on expiry REL with cause 16 (Q.764 2.4.3). Default 10 s (OpenSS7's ITU default).
    pub t6: Duration,
    /// T7, 20-30 s: latest address message sent, awaiting ACM or CON (Q.764 2.1.2.1 e).
    pub t7: Duration,
    /// T8, 10-15 s: IAM with a continuity check request received, awaiting COT (Q.764 2.1.8).
    pub t8: Duration,
    /// T9, 90 s - 3 min (Q.118, quoted by RFC 3398 7.2.6): ACM received at the controlling
    /// exchange, awaiting answer; on expiry REL with cause 19. `None`: not used (RFC 3398:
    /// "Some networks do not support timer T9"). Default 90 s.
    pub t9: Option<Duration>,
    /// T12, 15-60 s: BLO sent, awaiting BLA; BLO repeated on expiry (Q.764 2.9.4).
    pub t12: Duration,
    /// T13, 5-15 min: first BLO sent; maintenance alerted on first expiry.
    pub t13: Duration,
    /// T14, 15-60 s: UBL sent, awaiting UBA.
    pub t14: Duration,
    /// T15, 5-15 min: first UBL sent.
    pub t15: Duration,
    /// T16, 15-60 s: RSC sent (not on T5 expiry), awaiting RLC (Q.764 2.9.3.1).
    pub t16: Duration,
    /// T17, 5-15 min: first RSC sent.
    pub t17: Duration,
    /// T18, 15-60 s: CGB sent, awaiting CGBA.
    pub t18: Duration,
    /// T19, 5-15 min: first CGB sent.
    pub t19: Duration,
    /// T20, 15-60 s: CGU sent, awaiting CGUA.
    pub t20: Duration,
    /// T21, 5-15 min: first CGU sent.
    pub t21: Duration,
    /// T22, 15-60 s: GRS sent, awaiting GRA (Q.764 2.9.3.2).
    pub t22: Duration,
    /// T23, 5-15 min: first GRS sent.
    pub t23: Duration,
    /// T25, 1-10 s: first continuity check failure; CCR sent on expiry (Q.764 2.1.8).
    pub t25: Duration,
    /// T26, 1-3 min: second or later continuity check failure; CCR sent on expiry.
    pub t26: Duration,
    /// T27, at least 3 min (4 min): COT "failed" received, awaiting CCR; RSC on expiry.
    pub t27: Duration,
    /// T28, 10 s: CQM sent, awaiting CQR; maintenance alerted on expiry (Q.764 2.8.3).
    pub t28: Duration,
    /// T29, 300-600 ms: congestion indication received; further ones ignored while it runs
    /// (Q.764 2.10.2).
    pub t29: Duration,
    /// T30, 5-10 s: congestion indication received; traffic increased by one step on expiry.
    pub t30: Duration,
    /// T33, 12-15 s: INR sent, awaiting INF (Q.764 2.9.7).
    pub t33: Duration,
    /// T35, 15-20 s: latest digit received before the minimum number of digits (started by
    /// [`super::Isup::expect_more_digits`]); REL with cause 28 on expiry.
    pub t35: Duration,
    /// T36, 10-15 s: CCR received after a continuity failure, awaiting COT or REL; RSC on
    /// expiry. Default 10 s.
    pub t36: Duration,
    /// T38 (Q.118): SUS (network) sent by an incoming international exchange, awaiting RES;
    /// REL with cause 102 on expiry (Q.764 2.4.3). `None` (the default): we are not an
    /// incoming international exchange and start no timer when we send SUS.
    pub t38: Option<Duration>,
}

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            t1: secs(15),
            t2: secs(180),
            t4: secs(300),
            t5: secs(300),
            t6: secs(10),
            t7: secs(20),
            t8: secs(10),
            t9: Some(secs(90)),
            t12: secs(15),
            t13: secs(300),
            t14: secs(15),
            t15: secs(300),
            t16: secs(15),
            t17: secs(300),
            t18: secs(15),
            t19: secs(300),
            t20: secs(15),
            t21: secs(300),
            t22: secs(15),
            t23: secs(300),
            t25: secs(1),
            t26: secs(60),
            t27: secs(240),
            t28: secs(10),
            t29: Duration::from_millis(300),
            t30: secs(5),
            t33: secs(12),
            t35: secs(15),
            t36: secs(10),
            t38: None,
        }
    }
}

impl Timers {
    /// The value of `timer`, or `None` when it is switched off.
    pub fn get(&self, timer: Timer) -> Option<Duration> {
        use Timer::*;
        Some(match timer {
            T1 => self.t1,
            T2 => self.t2,
            T4 => self.t4,
            T5 => self.t5,
            T6 => self.t6,
            T7 => self.t7,
            T8 => self.t8,
            T9 => return self.t9,
            T12 => self.t12,
            T13 => self.t13,
            T14 => self.t14,
            T15 => self.t15,
            T16 => self.t16,
            T17 => self.t17,
            T18 => self.t18,
            T19 => self.t19,
            T20 => self.t20,
            T21 => self.t21,
            T22 => self.t22,
            T23 => self.t23,
            T25 => self.t25,
            T26 => self.t26,
            T27 => self.t27,
            T28 => self.t28,
            T29 => self.t29,
            T30 => self.t30,
            T33 => self.t33,
            T35 => self.t35,
            T36 => self.t36,
            T38 => return self.t38,
        })
    }
}

/// Type A or type B exchange for the compatibility procedures (Q.764 2.9.5.2): a type A
/// exchange (an end node, or an interworking point acting as one) cannot pass unrecognised
/// information on; a type B exchange (a transit node) passes it on unless told otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExchangeType {
    /// End node: "pass on" instructions fall back to the "pass on not possible" indicator.
    #[default]
    A,
    /// Transit node: unrecognised messages and parameters with "transit interpretation" are
    /// passed on (reported up as events, so that the interworking can carry them in SIP-T).
    B,
}

/// What to do with an INR received on an outgoing call (Q.764 2.1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InformationResponse {
    /// Answer at once with an INF built from the IAM we sent: calling party number and
    /// category when asked for and known, "not available" otherwise; hold not provided.
    #[default]
    Automatic,
    /// Report [`super::IsupEvent::InformationRequest`] and let the user answer with
    /// [`super::Isup::information`].
    PassUp,
}

/// Who performs the continuity checks this exchange must report (the outgoing side of
/// Q.764 2.1.8: the COT after an IAM asking for a check, and the recheck after CCR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContinuityMode {
    /// The user (the media side) checks the circuit and reports with
    /// [`super::Isup::continuity`].
    #[default]
    Manual,
    /// No media to test (a simulator): the result is reported at once, as given.
    Automatic { passed: bool },
}

/// When to reset every circuit with GRS (Q.764 2.9.3.2) on MTP-RESUME.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResetOnResume {
    /// Never: circuits become usable as soon as MTP resumes.
    Never,
    /// On the first MTP-RESUME after start only (our circuit memory is empty at start).
    Start,
    /// On the first MTP-RESUME and on each one after an MTP-PAUSE (messages may have been lost
    /// while the destination was inaccessible).
    #[default]
    StartAndRecovery,
}

/// The configuration of one [`super::Isup`]: one signalling relation OPC <-> DPC and its
/// circuits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Our signalling point code (ITU-T: 14 bits).
    pub opc: u32,
    /// The adjacent signalling point code.
    pub dpc: u32,
    /// The circuit identification codes of the circuits to the DPC (ITU-T: 12 bits).
    pub cics: Vec<u16>,
    pub timers: Timers,
    /// Q.764 2.9.5.2.
    pub exchange_type: ExchangeType,
    pub information_response: InformationResponse,
    pub continuity: ContinuityMode,
    pub reset_on_resume: ResetOnResume,
    /// The location in the causes this exchange generates (REL on timer expiry, CFN).
    pub cause_location: Location,
    /// The backward call indicators of a CON made from an ANM when no ACM was sent
    /// ([`super::Isup::answer`]); default as RFC 3398 8.2.3 sets them for an ACM (charge,
    /// ordinary subscriber, ISUP used all the way), with called party's status "no indication".
    pub default_backward_call_indicators: BackwardCallIndicators,
    /// The number of traffic reduction steps of the signalling congestion control
    /// (Q.764 2.10.2: the step size and count are the network's choice).
    pub congestion_steps: u8,
}

impl Config {
    /// A configuration with the defaults of [`Timers::default`] and of each field.
    pub fn new(opc: u32, dpc: u32, cics: impl IntoIterator<Item = u16>) -> Self {
        Config {
            opc,
            dpc,
            cics: cics.into_iter().collect(),
            timers: Timers::default(),
            exchange_type: ExchangeType::A,
            information_response: InformationResponse::Automatic,
            continuity: ContinuityMode::Manual,
            reset_on_resume: ResetOnResume::StartAndRecovery,
            cause_location: Location::PublicNetworkLocalUser,
            default_backward_call_indicators: BackwardCallIndicators::default()
                .with_charge_indicator(ChargeIndicator::Charge)
                .with_called_partys_status(CalledPartysStatus::NoIndication)
                .with_called_partys_category(CalledPartysCategory::OrdinarySubscriber)
                .with_isdn_user_part_all_the_way(true),
            congestion_steps: 4,
        }
    }

    /// Checks the point codes, the CICs and that no timer is zero (a zero timer would expire
    /// again as soon as it is restarted).
    pub fn validate(&self) -> Result<(), IsupError> {
        for (field, pc) in [("opc", self.opc), ("dpc", self.dpc)] {
            if pc > 0x3fff {
                return Err(IsupError::InvalidConfig {
                    field,
                    reason: "ITU-T point codes have 14 bits",
                });
            }
        }
        if self.opc == self.dpc {
            return Err(IsupError::InvalidConfig {
                field: "dpc",
                reason: "equal to opc: dual seizure control (Q.764 2.9.1.4) needs two point codes",
            });
        }
        if self.cics.iter().any(|&c| c > 0x0fff) {
            return Err(IsupError::InvalidConfig {
                field: "cics",
                reason: "ITU-T CICs have 12 bits",
            });
        }
        if self.cics.is_empty() {
            return Err(IsupError::InvalidConfig {
                field: "cics",
                reason: "no circuits",
            });
        }
        for &t in Timer::ALL {
            if self.timers.get(t) == Some(Duration::ZERO) {
                return Err(IsupError::InvalidConfig {
                    field: t.name(),
                    reason: "a timer value must not be zero",
                });
            }
        }
        Ok(())
    }
}
