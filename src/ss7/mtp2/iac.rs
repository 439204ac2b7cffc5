//! IAC, initial alignment control (Q.703 7 and figure 9): SIO, then SIN or SIE, then a
//! proving period watched by the AERM, normal (Pn) or emergency (Pe).

use std::time::Duration;

use super::{Mtp2, Timer};
use crate::time::Instant;
use sipt_codecs::mtp2::LinkStatus;

/// The states of the initial alignment control (Q.703 figure 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AlignmentState {
    /// Not aligning.
    #[default]
    Idle,
    /// Sending SIO, waiting for SIO, SIN or SIE (T2).
    NotAligned,
    /// Sending SIN or SIE, waiting for SIN or SIE (T3).
    Aligned,
    /// Proving (T4), the AERM counting errors.
    Proving,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Iac {
    pub state: AlignmentState,
    /// The proving period in use: Pn or Pe.
    pub t4: Duration,
    /// A proving period was aborted: prove again from the next correct signal unit.
    further_proving: bool,
    /// Cp: proving periods aborted.
    cp: u32,
}

impl Mtp2 {
    fn iac_emergency_proving(&self) -> bool {
        self.iac.t4 == self.config.t4_emergency
    }

    pub(super) fn iac_start(&mut self, now: Instant) {
        if self.iac.state == AlignmentState::Idle {
            self.iac.t4 = self.config.t4_normal;
            self.iac.cp = 0;
            self.iac.further_proving = false;
            self.txc_send_lssu(LinkStatus::Sio);
            self.start_timer(Timer::T2, now);
            self.iac.state = AlignmentState::NotAligned;
        }
    }

    pub(super) fn iac_stop(&mut self) {
        self.stop_timer(Timer::T2);
        self.stop_timer(Timer::T3);
        self.stop_timer(Timer::T4);
        self.aerm_stop();
        self.iac.state = AlignmentState::Idle;
    }

    /// Emergency from the LSC (Q.703 7).
    pub(super) fn iac_emergency(&mut self, now: Instant) {
        match self.iac.state {
            AlignmentState::Aligned => {
                self.txc_send_lssu(LinkStatus::Sie);
                self.iac.t4 = self.config.t4_emergency;
            }
            AlignmentState::Proving => {
                self.txc_send_lssu(LinkStatus::Sie);
                self.iac_restart_proving(now);
            }
            // The LSC keeps the emergency flag; not aligned sends SIE once SIO/SIN/SIE comes.
            AlignmentState::Idle | AlignmentState::NotAligned => {}
        }
    }

    /// Not aligned, SIO/SIN/SIE received: aligned, send SIN (or SIE in emergency), start T3.
    /// The proving period is Pe if either end is in emergency (Q.703 7).
    fn iac_not_aligned_received(&mut self, now: Instant, far_emergency: bool) {
        self.stop_timer(Timer::T2);
        if self.lsc.emergency || far_emergency {
            self.iac.t4 = self.config.t4_emergency;
        } else {
            self.iac.t4 = self.config.t4_normal;
        }
        if self.lsc.emergency {
            self.txc_send_lssu(LinkStatus::Sie);
        } else {
            self.txc_send_lssu(LinkStatus::Sin);
        }
        self.start_timer(Timer::T3, now);
        self.iac.state = AlignmentState::Aligned;
    }

    /// Aligned, SIN/SIE received: proving.
    fn iac_begin_proving(&mut self, now: Instant) {
        self.stop_timer(Timer::T3);
        if self.iac_emergency_proving() {
            self.aerm_set_ti_to_tie();
        }
        self.aerm_start();
        self.start_timer(Timer::T4, now);
        self.iac.further_proving = false;
        self.iac.cp = 0;
        self.iac.state = AlignmentState::Proving;
    }

    /// Proving, emergency arises (here or at the far end): prove again with Pe.
    fn iac_restart_proving(&mut self, now: Instant) {
        self.stop_timer(Timer::T4);
        self.iac.t4 = self.config.t4_emergency;
        self.aerm_stop();
        self.aerm_set_ti_to_tie();
        self.aerm_start();
        self.start_timer(Timer::T4, now);
        self.iac.further_proving = false;
    }

    pub(super) fn iac_sio(&mut self, now: Instant) {
        match self.iac.state {
            AlignmentState::NotAligned => self.iac_not_aligned_received(now, false),
            AlignmentState::Proving => {
                // The far end restarted its alignment: back to aligned.
                self.stop_timer(Timer::T4);
                self.aerm_stop();
                self.start_timer(Timer::T3, now);
                self.iac.state = AlignmentState::Aligned;
            }
            AlignmentState::Idle | AlignmentState::Aligned => {}
        }
    }

    pub(super) fn iac_sin(&mut self, now: Instant) {
        match self.iac.state {
            AlignmentState::NotAligned => self.iac_not_aligned_received(now, false),
            AlignmentState::Aligned => self.iac_begin_proving(now),
            AlignmentState::Idle | AlignmentState::Proving => {}
        }
    }

    pub(super) fn iac_sie(&mut self, now: Instant) {
        match self.iac.state {
            AlignmentState::NotAligned => self.iac_not_aligned_received(now, true),
            AlignmentState::Aligned => {
                self.iac.t4 = self.config.t4_emergency;
                self.iac_begin_proving(now);
            }
            AlignmentState::Proving => {
                if !self.iac_emergency_proving() {
                    self.iac_restart_proving(now);
                }
            }
            AlignmentState::Idle => {}
        }
    }

    pub(super) fn iac_sios(&mut self) {
        if matches!(
            self.iac.state,
            AlignmentState::Aligned | AlignmentState::Proving
        ) {
            self.iac_stop();
            self.lsc_alignment_not_possible();
        }
    }

    /// From the AERM: Ti errors in this proving period (Q.703 7, 10.3).
    pub(super) fn iac_abort_proving(&mut self) {
        if self.iac.state != AlignmentState::Proving {
            return;
        }
        self.stats.proving_aborted += 1;
        self.iac.cp = self.iac.cp.saturating_add(1);
        if self.iac.cp >= self.config.m {
            self.iac_stop();
            self.lsc_alignment_not_possible();
        } else {
            self.iac.further_proving = true;
        }
    }

    /// From the AERM: the first correct signal unit after an abort starts a new proving
    /// period.
    pub(super) fn iac_correct_su(&mut self, now: Instant) {
        if self.iac.state == AlignmentState::Proving && self.iac.further_proving {
            self.stop_timer(Timer::T4);
            self.aerm_start();
            self.iac.further_proving = false;
            self.start_timer(Timer::T4, now);
        }
    }

    pub(super) fn iac_t2_expiry(&mut self) {
        if self.iac.state == AlignmentState::NotAligned {
            self.iac_stop();
            self.lsc_alignment_not_possible();
        }
    }

    pub(super) fn iac_t3_expiry(&mut self) {
        if self.iac.state == AlignmentState::Aligned {
            self.iac_stop();
            self.lsc_alignment_not_possible();
        }
    }

    pub(super) fn iac_t4_expiry(&mut self, now: Instant) {
        if self.iac.state != AlignmentState::Proving {
            return;
        }
        if self.iac.further_proving {
            self.aerm_start();
            self.start_timer(Timer::T4, now);
            self.iac.further_proving = false;
        } else {
            self.iac_stop();
            self.lsc_alignment_complete(now);
        }
    }
}
