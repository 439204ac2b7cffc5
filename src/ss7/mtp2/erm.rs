//! The error rate monitors (Q.703 10): SUERM while the link is aligned or in service (10.2),
//! AERM during proving (10.3); and the DAEDR's two outputs that feed
//! them, "correct SU" and "SU in error".

use super::Mtp2;
use crate::ss7::l2::OutOfServiceReason;
use crate::time::Instant;

/// The signal unit error rate monitor (Q.703 10.2): a leaky bucket. Cs goes up by one for
/// each signal unit in error and down by one (not below zero) every D signal units received;
/// when it reaches T the link fails.
#[derive(Debug, Clone, Default)]
pub(super) struct Suerm {
    running: bool,
    /// Cs.
    cs: u32,
    /// Signal units received since Cs last leaked.
    ns: u32,
}

/// The alignment error rate monitor (Q.703 10.3): Ca counts signal units in error during a
/// proving period; at Ti (Tin normal, Tie emergency) the proving period is aborted.
#[derive(Debug, Clone)]
pub(super) struct Aerm {
    monitoring: bool,
    /// Ca.
    ca: u32,
    /// Ti: Tin or Tie.
    ti: u32,
    /// This monitor aborted proving: the next correct signal unit is reported to the IAC.
    aborted_proving: bool,
}

impl Aerm {
    pub fn new(tin: u32) -> Self {
        Aerm {
            monitoring: false,
            ca: 0,
            ti: tin,
            aborted_proving: false,
        }
    }
}

impl Mtp2 {
    pub(super) fn suerm_start(&mut self) {
        self.suerm = Suerm {
            running: true,
            cs: 0,
            ns: 0,
        };
    }

    pub(super) fn suerm_stop(&mut self) {
        self.suerm.running = false;
    }

    /// One signal unit received (correct or not): every D of them Cs leaks by one.
    fn suerm_count_su(&mut self) {
        self.suerm.ns = self.suerm.ns.saturating_add(1);
        if self.suerm.ns >= self.config.suerm_d {
            self.suerm.ns = 0;
            self.suerm.cs = self.suerm.cs.saturating_sub(1);
        }
    }

    fn suerm_su_in_error(&mut self) {
        if !self.suerm.running {
            return;
        }
        self.suerm.cs = self.suerm.cs.saturating_add(1);
        if self.suerm.cs >= self.config.suerm_t {
            self.suerm.running = false;
            self.lsc_link_failure(OutOfServiceReason::ErrorRateMonitor);
            return;
        }
        self.suerm_count_su();
    }

    fn suerm_correct_su(&mut self) {
        if self.suerm.running {
            self.suerm_count_su();
        }
    }

    pub(super) fn aerm_start(&mut self) {
        self.aerm.ca = 0;
        self.aerm.aborted_proving = false;
        self.aerm.monitoring = true;
    }

    /// Stop; Ti goes back to Tin.
    pub(super) fn aerm_stop(&mut self) {
        self.aerm.monitoring = false;
        self.aerm.ti = self.config.tin;
    }

    pub(super) fn aerm_set_ti_to_tin(&mut self) {
        if !self.aerm.monitoring {
            self.aerm.ti = self.config.tin;
        }
    }

    pub(super) fn aerm_set_ti_to_tie(&mut self) {
        if !self.aerm.monitoring {
            self.aerm.ti = self.config.tie;
        }
    }

    fn aerm_su_in_error(&mut self) {
        if !self.aerm.monitoring {
            return;
        }
        self.aerm.ca = self.aerm.ca.saturating_add(1);
        if self.aerm.ca >= self.aerm.ti {
            self.aerm.monitoring = false;
            self.aerm.aborted_proving = true;
            self.iac_abort_proving();
        }
    }

    fn aerm_correct_su(&mut self, now: Instant) {
        if !self.aerm.monitoring && self.aerm.aborted_proving {
            self.aerm.aborted_proving = false;
            self.iac_correct_su(now);
        }
    }

    /// DAEDR "correct SU".
    pub(super) fn daedr_correct_su(&mut self, now: Instant) {
        self.suerm_correct_su();
        self.aerm_correct_su(now);
    }

    /// DAEDR "SU in error".
    pub(super) fn daedr_su_in_error(&mut self) {
        self.suerm_su_in_error();
        self.aerm_su_in_error();
    }
}
