//! Session timers (RFC 4028): the negotiation of the session interval and the refresher, and
//! the timer that makes the refresher refresh and the other end give up. Sans-IO.
//!
//! The rules applied, by clause:
//! - 4, 5: Session-Expires is delta-seconds with an optional `refresher=uac|uas`; Min-SE is
//!   the smallest interval an element accepts, 90 s when absent, and no interval is below
//!   90 s.
//! - 7.1: a UAC that supports the extension says `Supported: timer` and may ask for an
//!   interval (we ask for [`SessionTimerConfig::session_expires`], 1800 s as 4 recommends).
//! - 7.2: the 2xx decides: with a Session-Expires the session has that interval and the
//!   refresher it names; without one "there is no session expiration".
//! - 7.3, 6: a 422 (Session Interval Too Small) carries Min-SE; the UAC asks again with at
//!   least that interval, repeating the Min-SE.
//! - 9: a UAS that receives a Session-Expires below its own Min-SE answers 422 with its
//!   Min-SE when the UAC supports the extension; when it does not, the UAS takes the larger
//!   interval instead (a 422 it cannot understand would only fail the call). The UAS keeps a
//!   refresher the request named; else it names the UAC when the UAC supports the extension,
//!   itself otherwise. A 2xx that makes the UAC the refresher carries `Require: timer`.
//! - 10: the refresher refreshes at half the interval; the other end, if no refresh came,
//!   ends the session (BYE) at the interval minus the smaller of 32 s and a third of it.

use std::time::Duration;

use crate::sip::message::headers::{Refresher, SessionExpires};
use crate::time::Instant;

/// The smallest session interval RFC 4028 allows (4, 5).
pub const MIN_INTERVAL: u32 = 90;

/// Our session timer preferences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimerConfig {
    /// The interval we ask for as UAC, and offer as UAS when the UAC asked for none; 0 turns
    /// session timers off on our side (we still honour a peer's).
    pub session_expires: u32,
    /// The smallest interval we accept (Min-SE), at least 90.
    pub min_se: u32,
}

impl Default for SessionTimerConfig {
    fn default() -> SessionTimerConfig {
        SessionTimerConfig {
            session_expires: 1800,
            min_se: MIN_INTERVAL,
        }
    }
}

/// What a UAS does with an INVITE's session timer request (RFC 4028 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UasDecision {
    /// Reject with 422 and this Min-SE.
    TooSmall { min_se: u32 },
    /// No session timer for this call.
    None,
    /// Put `Session-Expires: interval;refresher=..` in the 2xx, with `Require: timer` when
    /// `require_timer`.
    Timer {
        interval: u32,
        refresher: Refresher,
        require_timer: bool,
    },
}

/// RFC 4028 9: the UAS's decision on a request with `session_expires` (and `min_se`), from a
/// UAC that does or does not support the extension.
pub fn uas_decide(
    config: &SessionTimerConfig,
    session_expires: Option<&SessionExpires>,
    min_se: Option<u32>,
    uac_supports: bool,
) -> UasDecision {
    let ours = config.min_se.max(MIN_INTERVAL);
    let floor = ours.max(min_se.unwrap_or(MIN_INTERVAL));
    let (interval, asked) = match session_expires {
        Some(se) if se.delta < ours && uac_supports => {
            return UasDecision::TooSmall { min_se: ours };
        }
        Some(se) => (se.delta.max(floor), se.refresher()),
        // The UAC asked for nothing: we may still ask for a timer when it supports them
        // (a UAS "MAY" insert one); towards one that does not, we refresh ourselves.
        None if config.session_expires == 0 => return UasDecision::None,
        None => (config.session_expires.max(floor), None),
    };
    let refresher = match asked {
        Some(r) => r,
        None if uac_supports => Refresher::Uac,
        None => Refresher::Uas,
    };
    if refresher == Refresher::Uac && !uac_supports {
        // It cannot refresh what it does not know of.
        return UasDecision::Timer {
            interval,
            refresher: Refresher::Uas,
            require_timer: false,
        };
    }
    UasDecision::Timer {
        interval,
        refresher,
        require_timer: refresher == Refresher::Uac,
    }
}

/// RFC 4028 7.2: the session the UAC has after a 2xx: its interval and refresher, or none.
pub fn uac_on_2xx(session_expires: Option<&SessionExpires>) -> Option<(u32, Refresher)> {
    let se = session_expires?;
    Some((se.delta, se.refresher().unwrap_or(Refresher::Uac)))
}

/// RFC 4028 7.3: the interval to ask for after a 422 with `min_se`, and the Min-SE to send.
pub fn uac_after_422(config: &SessionTimerConfig, min_se: u32) -> u32 {
    config.session_expires.max(min_se).max(MIN_INTERVAL)
}

/// What a session timer wants done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerAction {
    /// We are the refresher: send a refresh (re-INVITE or UPDATE) now.
    Refresh,
    /// No refresh came in time: end the session with BYE.
    Expire,
}

/// The running timer of one session (RFC 4028 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimer {
    pub interval: u32,
    /// Whether we are the refresher.
    pub refreshing: bool,
    /// When the session was last refreshed (or set up).
    pub since: Instant,
}

impl SessionTimer {
    pub fn new(now: Instant, interval: u32, refreshing: bool) -> SessionTimer {
        SessionTimer {
            interval: interval.max(MIN_INTERVAL),
            refreshing,
            since: now,
        }
    }

    /// A refresh (a 2xx to a re-INVITE or UPDATE) went through at `now`.
    pub fn refreshed(&mut self, now: Instant, interval: u32, refreshing: bool) {
        *self = SessionTimer::new(now, interval, refreshing);
    }

    /// When the timer acts next.
    pub fn deadline(&self) -> Instant {
        let i = u64::from(self.interval);
        let after = if self.refreshing {
            // 10: "half the session expiration".
            Duration::from_millis(i * 500)
        } else {
            // 10: BYE at the expiration minus min(32, interval/3).
            Duration::from_secs(i - (32u64).min(i / 3))
        };
        self.since + after
    }

    /// What to do at `now`, if anything (the refresher's timer restarts when the refresh
    /// succeeds, through [`SessionTimer::refreshed`]; until then it does not fire again).
    pub fn poll(&mut self, now: Instant) -> Option<TimerAction> {
        if now < self.deadline() {
            return None;
        }
        if self.refreshing {
            // Wait for the refresh's answer; if none comes, the other end's timer ends the
            // session (and ours below, one interval after the last refresh).
            self.refreshing = false;
            Some(TimerAction::Refresh)
        } else {
            Some(TimerAction::Expire)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn se(s: &str) -> SessionExpires {
        SessionExpires::parse(s).unwrap()
    }

    #[test]
    fn uas_decisions() {
        let c = SessionTimerConfig {
            session_expires: 1800,
            min_se: 120,
        };
        // Below our Min-SE from a UAC that supports timers: 422 with our Min-SE.
        assert_eq!(
            uas_decide(&c, Some(&se("100")), None, true),
            UasDecision::TooSmall { min_se: 120 }
        );
        // From one that does not: raised instead; we refresh.
        assert_eq!(
            uas_decide(&c, Some(&se("100")), None, false),
            UasDecision::Timer {
                interval: 120,
                refresher: Refresher::Uas,
                require_timer: false
            }
        );
        // The refresher the request named is kept; uac needs Require: timer.
        assert_eq!(
            uas_decide(&c, Some(&se("600;refresher=uac")), None, true),
            UasDecision::Timer {
                interval: 600,
                refresher: Refresher::Uac,
                require_timer: true
            }
        );
        assert_eq!(
            uas_decide(&c, Some(&se("600;refresher=uas")), None, true),
            UasDecision::Timer {
                interval: 600,
                refresher: Refresher::Uas,
                require_timer: false
            }
        );
        // None named: the UAC when it supports timers.
        assert_eq!(
            uas_decide(&c, Some(&se("600")), Some(300), true),
            UasDecision::Timer {
                interval: 600,
                refresher: Refresher::Uac,
                require_timer: true
            }
        );
        // Nothing asked: our interval.
        assert_eq!(
            uas_decide(&c, None, None, true),
            UasDecision::Timer {
                interval: 1800,
                refresher: Refresher::Uac,
                require_timer: true
            }
        );
        let off = SessionTimerConfig {
            session_expires: 0,
            ..c
        };
        assert_eq!(uas_decide(&off, None, None, true), UasDecision::None);
    }

    #[test]
    fn uac_rules() {
        assert_eq!(uac_on_2xx(None), None);
        assert_eq!(
            uac_on_2xx(Some(&se("900;refresher=uas"))),
            Some((900, Refresher::Uas))
        );
        let c = SessionTimerConfig::default();
        assert_eq!(uac_after_422(&c, 3600), 3600);
        assert_eq!(uac_after_422(&c, 60), 1800);
    }

    #[test]
    fn timer_deadlines_follow_section_10() {
        let t0 = Instant::from_millis(1000);
        let mut refresher = SessionTimer::new(t0, 1800, true);
        assert_eq!(refresher.deadline(), t0 + Duration::from_secs(900));
        assert_eq!(refresher.poll(t0 + Duration::from_secs(899)), None);
        assert_eq!(
            refresher.poll(t0 + Duration::from_secs(900)),
            Some(TimerAction::Refresh)
        );
        let mut other = SessionTimer::new(t0, 1800, false);
        assert_eq!(other.deadline(), t0 + Duration::from_secs(1768));
        let mut short = SessionTimer::new(t0, 90, false);
        assert_eq!(short.deadline(), t0 + Duration::from_secs(60), "90 - 90/3");
        assert_eq!(
            short.poll(t0 + Duration::from_secs(60)),
            Some(TimerAction::Expire)
        );
        other.refreshed(t0 + Duration::from_secs(900), 1800, false);
        assert_eq!(other.deadline(), t0 + Duration::from_secs(900 + 1768));
    }
}
