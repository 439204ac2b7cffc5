//! RC, reception control (Q.703 5, 9): each received signal unit to the LSC
//! and IAC (LSSUs) or through the sequence checks (FISUs and MSUs): abnormal BSN and FIB, the
//! expected FSN and FIB, negative acknowledgements, in-order delivery of MSUs to level 3, and
//! the receive congestion function; and CC, congestion control (Q.703 9): SIB
//! every T5 while receiving is congested.

use super::{sn, Mtp2, Timer};
use crate::ss7::l2::{L2ToL3, OutOfServiceReason};
use crate::time::Instant;
use sipt_codecs::mtp2::{Body, LinkStatus, SignalUnit};

#[derive(Debug, Clone)]
pub(super) struct Rc {
    running: bool,
    /// FSNX: the FSN expected next. BSNT = FSNX - 1.
    pub fsnx: u8,
    /// FIBX: the FIB expected.
    fibx: bool,
    /// RTR: a retransmission was asked for and has not arrived yet.
    rtr: bool,
    /// "MSU/FISU accepted" (not rejected in processor outage).
    accept_msu_fisu: bool,
    abnormal_bsnr: bool,
    /// UNB: normal BSNs since an abnormal one.
    unb: u8,
    abnormal_fibr: bool,
    /// UNF: normal FIBs since an abnormal one.
    unf: u8,
    congestion_discard: bool,
    congestion_accept: bool,
    /// The receive buffer: received MSUs level 3 has not taken yet.
    pub undelivered: usize,
}

impl Default for Rc {
    fn default() -> Self {
        Rc {
            running: false,
            fsnx: 0,
            fibx: true,
            rtr: false,
            accept_msu_fisu: false,
            abnormal_bsnr: false,
            unb: 0,
            abnormal_fibr: false,
            unf: 0,
            congestion_discard: false,
            congestion_accept: false,
            undelivered: 0,
        }
    }
}

/// The congestion control (Q.703 9): busy while receiving is congested.
#[derive(Debug, Clone, Default)]
pub(super) struct Cc {
    busy: bool,
}

impl Mtp2 {
    /// RC start: FSNX 0, FIBX 1 (the far end's TXC starts with FSN 127, FIB 1).
    pub(super) fn rc_start(&mut self) {
        if !self.rc.running {
            let undelivered = self.rc.undelivered;
            self.rc = Rc {
                running: true,
                undelivered,
                ..Rc::default()
            };
        }
    }

    pub(super) fn rc_stop(&mut self) {
        self.cc_normal();
        self.rc.running = false;
    }

    pub(super) fn rc_accept_msu_fisu(&mut self) {
        self.rc.accept_msu_fisu = true;
    }

    pub(super) fn rc_reject_msu_fisu(&mut self) {
        self.rc.accept_msu_fisu = false;
    }

    /// After a local processor outage: acknowledge what was accepted, forget congestion
    /// and any retransmission request.
    pub(super) fn rc_retrieve_fsnx(&mut self) {
        self.txc_fsnx_value();
        self.rc.congestion_discard = false;
        self.rc.congestion_accept = false;
        self.cc_normal();
        self.rc.rtr = false;
    }

    pub(super) fn rc_retrieve_bsnt(&mut self) {
        self.indicate(L2ToL3::Bsnt(sn::sub(self.rc.fsnx, 1)));
    }

    /// A decoded signal unit (Q.703 5).
    pub(super) fn rc_signal_unit(&mut self, now: Instant, su: SignalUnit) {
        if !self.rc.running {
            return;
        }
        let SignalUnit {
            bsn,
            bib,
            fsn,
            fib,
            body,
            ..
        } = su;
        match body {
            Body::Lssu(status) => match status.status {
                LinkStatus::Sio => {
                    self.lsc_sio();
                    self.iac_sio(now);
                }
                LinkStatus::Sin => {
                    self.lsc_sin_sie();
                    self.iac_sin(now);
                }
                LinkStatus::Sie => {
                    self.lsc_sin_sie();
                    self.iac_sie(now);
                }
                LinkStatus::Sios => {
                    self.lsc_sios();
                    self.iac_sios();
                }
                LinkStatus::Sipo => self.lsc_sipo(),
                LinkStatus::Sib => self.lsc_sib(now),
                // Status indications 6 and 7 are spare: nothing to do.
                LinkStatus::Unknown(_) => {}
            },
            Body::Fisu => self.rc_fisu_msu(now, bsn, bib, fsn, fib, None),
            Body::Msu { sio_sif } => self.rc_fisu_msu(now, bsn, bib, fsn, fib, Some(sio_sif)),
        }
    }

    /// A FISU or MSU (Q.703 5).
    fn rc_fisu_msu(
        &mut self,
        now: Instant,
        bsnr: u8,
        bibr: bool,
        fsnr: u8,
        fibr: bool,
        msu: Option<Vec<u8>>,
    ) {
        // Q.703 5: a BSN not in FSNF - 1..=FSNT (the last acknowledged to the last sent)
        // is abnormal; two abnormal in three consecutive FISUs/MSUs fail the link.
        let lowest = sn::sub(self.txc.fsnf, 1);
        if !sn::within(lowest, bsnr, self.txc.fsnl) {
            if self.rc.abnormal_bsnr {
                self.lsc_link_failure(OutOfServiceReason::AbnormalSequence);
                self.rc.running = false;
            } else {
                self.rc.abnormal_bsnr = true;
                self.rc.unb = 0;
            }
            self.rc_discard(&msu);
            return;
        }
        if self.rc.abnormal_bsnr {
            if self.rc.unb == 1 {
                self.rc.abnormal_bsnr = false;
            } else {
                self.rc.unb = 1;
                self.rc_discard(&msu);
                return;
            }
        }
        if fibr != self.rc.fibx {
            // Q.703 5: a FIB not as expected, with no retransmission asked for, is
            // abnormal; two abnormal in three fail the link.
            if self.rc.abnormal_fibr {
                self.lsc_link_failure(OutOfServiceReason::AbnormalSequence);
            } else if self.rc.rtr {
                self.txc_bsnr_and_bibr(now, bsnr, bibr);
            } else {
                self.rc.abnormal_fibr = true;
                self.rc.unf = 0;
            }
            self.rc_discard(&msu);
            return;
        }
        if self.rc.abnormal_fibr {
            if self.rc.unf == 1 {
                self.rc.abnormal_fibr = false;
            } else {
                self.rc.unf = 1;
                self.rc_discard(&msu);
                return;
            }
        }
        self.lsc_fisu_msu_received(now);
        self.txc_bsnr_and_bibr(now, bsnr, bibr);
        if !self.rc.accept_msu_fisu {
            self.rc_discard(&msu);
            return;
        }
        self.rc_congestion_function(now);
        if self.rc.congestion_discard {
            self.rc.rtr = true;
            self.cc_busy(now);
            self.rc_discard(&msu);
            return;
        }
        match msu {
            Some(sio_sif) if fsnr == self.rc.fsnx => {
                // Q.703 5: the expected MSU, passed to level 3 in order, exactly once.
                self.rc.fsnx = sn::add(self.rc.fsnx, 1);
                self.rc.rtr = false;
                self.stats.msus_received += 1;
                self.stats.msu_octets_received += sio_sif.len() as u64;
                self.indicate(L2ToL3::ReceivedMessage(sio_sif));
                if self.rc.congestion_accept {
                    self.cc_busy(now);
                } else {
                    self.txc_fsnx_value();
                }
            }
            msu if fsnr == sn::sub(self.rc.fsnx, 1) => {
                // A FISU, or an MSU received already: nothing new.
                self.rc_discard(&msu);
            }
            msu => {
                // A gap: an MSU was lost. Ask for retransmission by inverting the BIB, and
                // expect the inverted FIB (Q.703 5); until it comes, units with the old
                // FIB only acknowledge (RTR). In congestion the request waits for abatement.
                self.rc_discard(&msu);
                if self.rc.congestion_accept {
                    self.rc.rtr = true;
                    self.cc_busy(now);
                } else {
                    self.txc_nack_to_be_sent();
                    self.rc.rtr = true;
                    self.rc.fibx = !self.rc.fibx;
                }
            }
        }
    }

    fn rc_discard(&mut self, msu: &Option<Vec<u8>>) {
        if msu.is_some() {
            self.stats.msus_discarded += 1;
        }
    }

    /// The receive congestion function (Q.703 9, implementation dependent): by the number
    /// of received MSUs level 3 has not taken.
    fn rc_congestion_function(&mut self, now: Instant) {
        let rb = self.rc.undelivered;
        if rb >= self.config.rb_congestion_discard {
            if !self.rc.congestion_discard {
                self.rc.congestion_discard = true;
                self.rc.congestion_accept = false;
                self.cc_busy(now);
            }
        } else if rb >= self.config.rb_congestion_accept {
            if !self.rc.congestion_accept && !self.rc.congestion_discard {
                self.rc.congestion_accept = true;
                self.cc_busy(now);
            }
        } else {
            self.rc_congestion_abatement();
        }
    }

    /// "No congestion": acknowledge what was accepted, and ask for what was discarded.
    pub(super) fn rc_congestion_abatement(&mut self) {
        if !(self.rc.congestion_accept || self.rc.congestion_discard)
            || self.rc.undelivered > self.config.rb_congestion_abatement
        {
            return;
        }
        self.rc.congestion_discard = false;
        self.rc.congestion_accept = false;
        self.cc_normal();
        if !self.rc.running {
            return;
        }
        self.txc_fsnx_value();
        if self.rc.rtr {
            self.txc_nack_to_be_sent();
            self.rc.fibx = !self.rc.fibx;
        }
    }

    pub(super) fn cc_busy(&mut self, now: Instant) {
        if !self.cc.busy {
            self.cc.busy = true;
            self.txc_send_sib();
            self.start_timer(Timer::T5, now);
        }
    }

    pub(super) fn cc_normal(&mut self) {
        self.cc.busy = false;
        self.stop_timer(Timer::T5);
    }

    pub(super) fn cc_t5_expiry(&mut self, now: Instant) {
        if self.cc.busy {
            self.txc_send_sib();
            self.start_timer(Timer::T5, now);
        }
    }
}
