//! TXC, transmission control (Q.703 5, 11): what goes on the line next, the
//! transmission buffer (TB), the retransmission buffer (RTB), forward sequence numbers and
//! indicator bits, acknowledgements received, retransmission cycles, T6, T7, and retrieval for
//! changeover.

use std::collections::VecDeque;

use super::{sn, Mtp2, Timer};
use crate::ss7::l2::{L2ToL3, OutOfServiceReason};
use crate::time::Instant;
use sipt_codecs::mtp2::{Body, LinkStatus, SignalUnit};

/// At most 127 MSUs may be outstanding with 7-bit sequence numbers (Q.703 5).
pub(super) const RTB_CAPACITY: usize = 127;

/// What the last unit put on the line was, to tell a repeat from news.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum LastSent {
    /// Nothing yet.
    #[default]
    Nothing,
    /// A FISU or an MSU, with these BSN/BIB and FSN/FIB octets.
    Sequenced([u8; 2]),
    /// An LSSU.
    Lssu([u8; 2], LinkStatus),
}

#[derive(Debug, Clone)]
pub(super) struct Txc {
    /// TB: MSUs (SIO and SIF) from level 3 not yet sent. Cm is its length.
    pub tb: VecDeque<Vec<u8>>,
    /// RTB: MSUs sent and not acknowledged, FSNs FSNF..=FSNL. Ct is its length.
    pub rtb: VecDeque<SignalUnit>,
    /// FSNL: the FSN last assigned.
    pub fsnl: u8,
    /// FSNF: the FSN of the oldest MSU in the RTB (FSNL + 1 when it is empty).
    pub fsnf: u8,
    /// FSNX as given by the RC: BSN sent is FSNX - 1.
    fsnx: u8,
    /// The FIB and BIB sent.
    fib: bool,
    bib: bool,
    /// The last BSN received (BSNR) that was processed.
    bsnr: u8,
    /// "LSSU available": the status to send instead of FISUs and MSUs.
    lssu: Option<LinkStatus>,
    /// "MSU inhibited": FISUs only.
    msu_inhibited: bool,
    /// The next RTB entry to send in a retransmission cycle, while one runs.
    retransmit: Option<usize>,
    /// SIB received: T6 runs.
    sib_received: bool,
    /// Congestion reported to level 3.
    congested: bool,
    last: LastSent,
}

impl Default for Txc {
    fn default() -> Self {
        Txc {
            tb: VecDeque::new(),
            rtb: VecDeque::new(),
            fsnl: sn::MASK,
            fsnf: 0,
            fsnx: 0,
            fib: true,
            bib: true,
            bsnr: sn::MASK,
            lssu: None,
            msu_inhibited: false,
            retransmit: None,
            sib_received: false,
            congested: false,
            last: LastSent::Nothing,
        }
    }
}

impl Txc {
    fn header(&self) -> [u8; 2] {
        [
            sn::sub(self.fsnx, 1) | (u8::from(self.bib) << 7),
            self.fsnl | (u8::from(self.fib) << 7),
        ]
    }

    fn rtb_full(&self) -> bool {
        self.rtb.len() >= RTB_CAPACITY
    }
}

impl Mtp2 {
    /// TXC start (with LSC start): empty buffers, FSN 127, indicator bits 1, BSN 127
    /// (Q.703 5; what libss7's `reset_mtp` sends too).
    pub(super) fn txc_start(&mut self) {
        let congested = self.txc.congested;
        let lssu = self.txc.lssu;
        self.txc = Txc {
            congested,
            lssu,
            ..Txc::default()
        };
        self.stop_timer(Timer::T6);
        self.stop_timer(Timer::T7);
        self.txc_check_congestion();
    }

    pub(super) fn txc_send_lssu(&mut self, status: LinkStatus) {
        self.txc.lssu = Some(status);
    }

    pub(super) fn txc_send_sios(&mut self) {
        self.stop_timer(Timer::T7);
        self.stop_timer(Timer::T6);
        self.txc.sib_received = false;
        self.txc.retransmit = None;
        self.txc_send_lssu(LinkStatus::Sios);
    }

    pub(super) fn txc_send_sipo(&mut self) {
        self.stop_timer(Timer::T7);
        self.txc_send_lssu(LinkStatus::Sipo);
    }

    /// A SIB goes out once; FISUs and MSUs carry on around it (Q.703 9). A status being
    /// sent continuously (SIPO, SIOS) is not interrupted.
    pub(super) fn txc_send_sib(&mut self) {
        if self.txc.lssu.is_none() {
            self.txc.lssu = Some(LinkStatus::Sib);
        }
    }

    pub(super) fn txc_send_fisu(&mut self) {
        self.stop_timer(Timer::T7);
        self.txc.msu_inhibited = true;
        self.txc.lssu = None;
    }

    pub(super) fn txc_send_msu(&mut self, now: Instant) {
        if !self.txc.rtb.is_empty() {
            self.start_timer(Timer::T7, now);
        }
        self.txc.msu_inhibited = false;
        self.txc.lssu = None;
    }

    /// The RC's FSNX, to acknowledge with the next unit (BSN = FSNX - 1).
    pub(super) fn txc_fsnx_value(&mut self) {
        self.txc.fsnx = self.rc.fsnx;
    }

    /// Negative acknowledgement: invert the BIB (Q.703 5).
    pub(super) fn txc_nack_to_be_sent(&mut self) {
        self.txc.bib = !self.txc.bib;
        self.stats.negative_acks_sent += 1;
    }

    pub(super) fn txc_message_for_transmission(&mut self, sio_sif: Vec<u8>) {
        self.txc.tb.push_back(sio_sif);
        self.txc_check_congestion();
    }

    /// BSNR and BIBR from a FISU or MSU that passed the RC's checks (Q.703 5): a positive
    /// acknowledgement frees the RTB up to BSNR; a BIB differing from the FIB sent is a
    /// negative acknowledgement, which starts a retransmission cycle from the oldest MSU not
    /// acknowledged.
    pub(super) fn txc_bsnr_and_bibr(&mut self, now: Instant, bsnr: u8, bibr: bool) {
        self.txc.bsnr = bsnr;
        let acked = usize::from(sn::sub(sn::add(bsnr, 1), self.txc.fsnf));
        if acked != 0 {
            if self.txc.sib_received {
                self.txc.sib_received = false;
                self.stop_timer(Timer::T6);
            }
            // The RC checked BSNR lies within FSNF - 1..=FSNL, so `acked` <= Ct.
            let acked = acked.min(self.txc.rtb.len());
            self.txc.rtb.drain(..acked);
            self.txc.fsnf = sn::add(bsnr, 1);
            if let Some(next) = self.txc.retransmit.as_mut() {
                *next = next.saturating_sub(acked);
            }
            if self.txc.rtb.is_empty() {
                self.stop_timer(Timer::T7);
            } else {
                self.start_timer(Timer::T7, now);
            }
            self.txc_check_congestion();
        }
        if self.txc.fib != bibr {
            if self.txc.sib_received {
                self.txc.sib_received = false;
                self.stop_timer(Timer::T6);
            }
            self.txc.fib = bibr;
            self.stats.negative_acks_received += 1;
            self.txc.retransmit = (!self.txc.rtb.is_empty()).then_some(0);
        }
    }

    /// SIB received (Q.703 9): T6 started on the first, T7 restarted on each, while MSUs
    /// wait for acknowledgement.
    pub(super) fn txc_sib_received(&mut self, now: Instant) {
        if self.txc.rtb.is_empty() {
            return;
        }
        if !self.txc.sib_received {
            self.start_timer(Timer::T6, now);
            self.txc.sib_received = true;
        }
        self.start_timer(Timer::T7, now);
    }

    pub(super) fn txc_t6_expiry(&mut self) {
        self.txc.sib_received = false;
        self.stop_timer(Timer::T7);
        self.lsc_link_failure(OutOfServiceReason::T6Expired);
    }

    pub(super) fn txc_t7_expiry(&mut self) {
        self.stop_timer(Timer::T6);
        self.lsc_link_failure(OutOfServiceReason::T7Expired);
    }

    /// Flush buffers (Q.703 8): TB and RTB emptied; the next MSU takes the FSN after the
    /// last one the far end acknowledged.
    pub(super) fn txc_flush_buffers(&mut self) {
        self.txc.tb.clear();
        self.txc.rtb.clear();
        self.txc.retransmit = None;
        self.txc.fsnl = self.txc.bsnr;
        self.txc.fsnf = sn::add(self.txc.bsnr, 1);
        self.stop_timer(Timer::T7);
        self.txc_check_congestion();
    }

    /// Retrieval request and FSNC (Q.704 5, 5.7.2): MSUs up to FSNC were
    /// received by the far end and are dropped; the rest of the RTB, then the TB, go to level
    /// 3 in order. An FSNC outside FSNF - 1..=FSNL is unreasonable: nothing is retrieved.
    pub(super) fn txc_retrieval_request_and_fsnc(&mut self, fsnc: u8) {
        let fsnc = fsnc & sn::MASK;
        if !sn::within(sn::sub(self.txc.fsnf, 1), fsnc, self.txc.fsnl) {
            self.indicate(L2ToL3::RetrievalNotPossible);
            return;
        }
        let acked = usize::from(sn::sub(sn::add(fsnc, 1), self.txc.fsnf)).min(self.txc.rtb.len());
        self.txc.rtb.drain(..acked);
        let rtb = std::mem::take(&mut self.txc.rtb);
        let tb = std::mem::take(&mut self.txc.tb);
        for su in rtb {
            if let Body::Msu { sio_sif } = su.body {
                self.indicate(L2ToL3::RetrievedMessage(sio_sif));
            }
        }
        for sio_sif in tb {
            self.indicate(L2ToL3::RetrievedMessage(sio_sif));
        }
        self.indicate(L2ToL3::RetrievalComplete);
        self.txc.retransmit = None;
        self.txc.fsnl = fsnc;
        self.txc.fsnf = sn::add(fsnc, 1);
        self.stop_timer(Timer::T7);
        self.txc_check_congestion();
    }

    /// Link congestion onset and abatement to level 3 (Q.703 9, Q.704 3.8), by the
    /// number of MSUs in TB and RTB.
    fn txc_check_congestion(&mut self) {
        let occupancy = self.txc.tb.len() + self.txc.rtb.len();
        if !self.txc.congested && occupancy >= self.config.tx_congestion_onset.max(1) {
            self.txc.congested = true;
            self.indicate(L2ToL3::Congestion(true));
        } else if self.txc.congested && occupancy <= self.config.tx_congestion_abatement {
            self.txc.congested = false;
            self.indicate(L2ToL3::Congestion(false));
        }
    }

    /// Whether an MSU goes out next.
    pub(super) fn txc_msu_due(&self) -> bool {
        let t = &self.txc;
        if t.lssu.is_some() || t.msu_inhibited {
            return false;
        }
        matches!(t.retransmit, Some(i) if i < t.rtb.len()) || (!t.tb.is_empty() && !t.rtb_full())
    }

    /// Whether the next unit differs from the last one sent.
    pub(super) fn txc_news_due(&self) -> bool {
        if self.txc_msu_due() {
            return true;
        }
        let header = self.txc.header();
        match (self.txc.lssu, self.txc.last) {
            (Some(LinkStatus::Sib), _) => true,
            (Some(status), LastSent::Lssu(last, last_status)) => {
                last != header || last_status != status
            }
            (None, LastSent::Sequenced(last)) => last != header,
            _ => true,
        }
    }

    /// Transmission request from the DAEDT (Q.703 5, 11): LSSU if one is due,
    /// else FISU if MSUs are inhibited, else the next MSU of a retransmission cycle, else a
    /// new MSU if the RTB has room, else FISU. Every unit carries BSN = FSNX - 1 and the BIB
    /// and FIB in force; FISUs and LSSUs carry FSN = FSNL.
    pub(super) fn txc_transmission_request(&mut self, now: Instant, out: &mut Vec<u8>) -> bool {
        let bsn = sn::sub(self.txc.fsnx, 1);
        let (bib, fib) = (self.txc.bib, self.txc.fib);
        let start = out.len();
        let encoded = if let Some(status) = self.txc.lssu {
            if status == LinkStatus::Sib {
                self.txc.lssu = None;
                self.stats.sib_sent += 1;
            }
            let su = SignalUnit::lssu(bsn, bib, self.txc.fsnl, fib, status);
            self.txc.last = LastSent::Lssu(self.txc.header(), status);
            su.encode(out)
        } else if let Some(su) = self.txc_next_msu(now, bsn, bib, fib) {
            su.encode(out)
        } else {
            self.txc.last = LastSent::Sequenced(self.txc.header());
            SignalUnit::fisu(bsn, bib, self.txc.fsnl, fib).encode(out)
        };
        match encoded {
            Ok(()) => {
                self.stats.su_sent += 1;
                self.stats.octets_sent += (out.len() - start) as u64;
                true
            }
            Err(_) => {
                out.truncate(start);
                false
            }
        }
    }

    /// The MSU to send now, if any, with its header set.
    fn txc_next_msu(&mut self, now: Instant, bsn: u8, bib: bool, fib: bool) -> Option<&SignalUnit> {
        if self.txc.msu_inhibited {
            return None;
        }
        let index = match self.txc.retransmit {
            Some(i) if i < self.txc.rtb.len() => {
                self.txc.retransmit = (i + 1 < self.txc.rtb.len()).then_some(i + 1);
                self.stats.msus_retransmitted += 1;
                i
            }
            _ => {
                self.txc.retransmit = None;
                if self.txc.rtb_full() {
                    return None;
                }
                let sio_sif = self.txc.tb.pop_front()?;
                self.txc.fsnl = sn::add(self.txc.fsnl, 1);
                if self.txc.rtb.is_empty() {
                    self.start_timer(Timer::T7, now);
                }
                self.stats.msus_sent += 1;
                self.stats.msu_octets_sent += sio_sif.len() as u64;
                self.txc
                    .rtb
                    .push_back(SignalUnit::msu(bsn, bib, self.txc.fsnl, fib, sio_sif));
                self.txc.rtb.len() - 1
            }
        };
        let header = self.txc.header();
        let su = self.txc.rtb.get_mut(index)?;
        su.bsn = bsn;
        su.bib = bib;
        su.fib = fib;
        // The sequence header of an MSU: its own FSN; after it, FISUs repeat FSNL.
        self.txc.last = LastSent::Sequenced(header);
        Some(su)
    }
}
