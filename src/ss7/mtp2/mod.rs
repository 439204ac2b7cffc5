//! MTP level 2, ITU-T Q.703: one signalling link's signal unit delimitation, alignment, error
//! detection and correction, error rate monitoring and flow control, as a sans-IO machine.
//!
//! The functional blocks of Q.703's level 2 (its functional block diagram, and the SDL of
//! each block) are the parts of [`Mtp2`], a file each, their functions named after the SDL
//! signals:
//!
//! | block | Q.703 | here |
//! |---|---|---|
//! | LSC link state control | 7, 8, figure 8 | `lsc.rs` ([`LinkState`]) |
//! | POC processor outage control | 8 | `lsc.rs` |
//! | IAC initial alignment control | 7, figure 9 | `iac.rs` ([`AlignmentState`]) |
//! | TXC transmission control | 5, 11 | `txc.rs` |
//! | RC reception control | 5, 9 | `rc.rs` |
//! | CC congestion control | 9 | `rc.rs` |
//! | SUERM, AERM error rate monitors | 10.2, 10.3 | `erm.rs` |
//! | DAEDR, DAEDT delimitation, alignment, error detection | 2, 3, 4 | the shell and [`sipt_codecs::mtp2::SignalUnit`] |
//!
//! The shell below (a `serial` or `frames` transport) checks flags, stuffing and the FCS and
//! gives each signal unit without them to [`Mtp2::handle_su`], reporting units it had to drop
//! with [`Mtp2::handle_su_error`] (and octet counting mode with
//! [`Mtp2::handle_octet_counting`]). Whenever the line can take a unit it asks
//! [`Mtp2::poll_transmit`]. Level 3 talks to it through [`crate::ss7::l2`]'s primitives:
//! [`Mtp2::handle_l3`] down, [`Mtp2::poll_event`] up. Time comes in as `now`; the next timer
//! is [`Mtp2::poll_timeout`], and [`Mtp2::handle_timeout`] runs every timer due.
//!
//! Scope: basic error correction (Q.703 5) with 7-bit sequence numbers. Preventive cyclic
//! retransmission (Q.703 6) and the extended sequence numbers of Annex A are not provided.

mod config;
mod erm;
mod iac;
mod lsc;
mod rc;
mod txc;

use std::collections::VecDeque;

use sipt_codecs::mtp2::{SignalUnit, MAX_MSU_LEN};

pub use self::config::Mtp2Config;
use self::erm::{Aerm, Suerm};
pub use self::iac::AlignmentState;
use self::iac::Iac;
pub use self::lsc::LinkState;
use self::lsc::{Lsc, Poc};
use self::rc::{Cc, Rc};
use self::txc::Txc;
use crate::ss7::l2::{L2ToL3, L3ToL2};
use crate::time::{Instant, TimerTable};

/// The timers of Q.703 12.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// Alignment ready.
    T1,
    /// Not aligned.
    T2,
    /// Aligned.
    T3,
    /// Proving period (Pn or Pe).
    T4,
    /// Sending SIB.
    T5,
    /// Remote congestion.
    T6,
    /// Excessive delay of acknowledgement.
    T7,
}

impl Timer {
    /// Every timer, in slot order.
    pub const ALL: [Timer; 7] = [
        Timer::T1,
        Timer::T2,
        Timer::T3,
        Timer::T4,
        Timer::T5,
        Timer::T6,
        Timer::T7,
    ];

    const fn slot(self) -> usize {
        self as usize
    }
}

/// What level 3 asked that level 2 cannot do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Mtp2Error {
    /// A message for transmission must hold the SIO and a SIF of 2 to 272 octets (Q.703 2.3.3,
    /// 2.3.8): 3 to 273 octets.
    #[error("message for transmission of {len} octets: the SIO and SIF take 3 to 273 (Q.703 2.3)")]
    MessageLength { len: usize },
}

/// Counters of one link, for the shell's statistics (Q.752 style; octets exclude flags and
/// check bits).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mtp2Stats {
    /// Signal units handed to the shell by [`Mtp2::poll_transmit`].
    pub su_sent: u64,
    /// Their octets.
    pub octets_sent: u64,
    /// MSUs sent for the first time.
    pub msus_sent: u64,
    /// Their SIO and SIF octets.
    pub msu_octets_sent: u64,
    /// MSUs sent again in a retransmission cycle.
    pub msus_retransmitted: u64,
    /// Signal units given to [`Mtp2::handle_su`].
    pub su_received: u64,
    /// Their octets.
    pub octets_received: u64,
    /// MSUs accepted and passed to level 3.
    pub msus_received: u64,
    /// Their SIO and SIF octets.
    pub msu_octets_received: u64,
    /// MSUs received but not accepted (out of sequence, duplicated, rejected in processor
    /// outage or discarded in congestion).
    pub msus_discarded: u64,
    /// Signal units in error: reported by the shell, or not decodable.
    pub su_in_error: u64,
    /// Errors counted in octet counting mode (one per N octets).
    pub octet_counting_errors: u64,
    /// Negative acknowledgements sent (BIB inverted).
    pub negative_acks_sent: u64,
    /// Negative acknowledgements received (retransmission cycles started).
    pub negative_acks_received: u64,
    /// Initial alignments started.
    pub alignment_attempts: u64,
    /// Proving periods aborted by the AERM.
    pub proving_aborted: u64,
    /// Times the link went in service.
    pub in_service: u64,
    /// Times the link went out of service for any reason other than level 3's Stop.
    pub link_failures: u64,
    /// SIBs sent.
    pub sib_sent: u64,
    /// SIBs received.
    pub sib_received: u64,
}

/// One signalling link's level 2 (Q.703).
#[derive(Debug, Clone)]
pub struct Mtp2 {
    config: Mtp2Config,
    timers: TimerTable<7>,
    lsc: Lsc,
    poc: Poc,
    iac: Iac,
    txc: Txc,
    rc: Rc,
    cc: Cc,
    aerm: Aerm,
    suerm: Suerm,
    /// Octets received in octet counting mode not yet counted as an error (fewer than N).
    octet_counting: u64,
    events: VecDeque<L2ToL3>,
    stats: Mtp2Stats,
}

impl Mtp2 {
    /// A link at power on: out of service, sending SIOS (Q.703 figure 8, "power on").
    pub fn new(config: Mtp2Config) -> Self {
        let aerm = Aerm::new(config.tin);
        let mut mtp2 = Mtp2 {
            config,
            timers: TimerTable::default(),
            lsc: Lsc::default(),
            poc: Poc::default(),
            iac: Iac::default(),
            txc: Txc::default(),
            rc: Rc::default(),
            cc: Cc::default(),
            aerm,
            suerm: Suerm::default(),
            octet_counting: 0,
            events: VecDeque::new(),
            stats: Mtp2Stats::default(),
        };
        mtp2.lsc_power_on();
        mtp2
    }

    /// The parameters in use.
    pub fn config(&self) -> &Mtp2Config {
        &self.config
    }

    /// The link state control's state.
    pub fn state(&self) -> LinkState {
        self.lsc.state
    }

    /// The initial alignment control's state.
    pub fn alignment_state(&self) -> AlignmentState {
        self.iac.state
    }

    /// The counters.
    pub fn stats(&self) -> &Mtp2Stats {
        &self.stats
    }

    /// When `timer` expires, if it runs.
    pub fn timer_deadline(&self, timer: Timer) -> Option<Instant> {
        self.timers.deadline(timer.slot())
    }

    /// MSUs waiting in the transmission buffer (not yet sent).
    pub fn transmission_buffer_len(&self) -> usize {
        self.txc.tb.len()
    }

    /// MSUs sent and not yet acknowledged (in the retransmission buffer, at most 127).
    pub fn retransmission_buffer_len(&self) -> usize {
        self.txc.rtb.len()
    }

    /// A primitive from level 3 ([`L3ToL2`]).
    ///
    /// Only `Message` can fail: its octets must be an SIO and a SIF that fit a signal unit.
    /// Messages are taken in any state into the transmission buffer, which has no limit of
    /// its own (level 3 hears `Congestion(true)` past
    /// [`Mtp2Config::tx_congestion_onset`]). `Start` empties both buffers (TXC start, Q.703
    /// 5): after a failure, level 3 retrieves what it wants to keep first (`RetrieveBsnt`,
    /// `RetrievalRequestAndFsnc`, Q.704 5).
    ///
    /// In processor outage, level 3 answers the end of the outage (its own
    /// `LocalProcessorRecovered`, or `RemoteProcessorRecovered` from here) with `Continue` or
    /// `FlushBuffers` before MSUs flow again (Q.703 8).
    pub fn handle_l3(&mut self, now: Instant, primitive: L3ToL2) -> Result<(), Mtp2Error> {
        match primitive {
            L3ToL2::Start => self.lsc_start(now),
            L3ToL2::Stop => self.lsc_stop(),
            L3ToL2::Emergency => self.lsc_emergency(now),
            L3ToL2::EmergencyCeases => self.lsc_emergency_ceases(),
            L3ToL2::Message(sio_sif) => {
                if !(3..=MAX_MSU_LEN).contains(&sio_sif.len()) {
                    return Err(Mtp2Error::MessageLength { len: sio_sif.len() });
                }
                self.txc_message_for_transmission(sio_sif);
            }
            L3ToL2::RetrieveBsnt => self.lsc_retrieve_bsnt(),
            L3ToL2::RetrievalRequestAndFsnc(fsnc) => self.lsc_retrieval_request_and_fsnc(fsnc),
            L3ToL2::LocalProcessorOutage => self.lsc_local_processor_outage(),
            L3ToL2::LocalProcessorRecovered => self.lsc_local_processor_recovered(now),
            L3ToL2::FlushBuffers => self.lsc_flush_buffers(now),
            L3ToL2::Continue => self.lsc_continue(now),
        }
        Ok(())
    }

    /// A signal unit received, without flags and check bits (DAEDR, Q.703 4). One that does
    /// not decode (too short, length indicator not matching, too long) is a signal unit in
    /// error for the monitors (Q.703 4, 10) and is otherwise dropped.
    pub fn handle_su(&mut self, now: Instant, bytes: &[u8]) {
        self.stats.su_received += 1;
        self.stats.octets_received += bytes.len() as u64;
        match SignalUnit::decode(bytes) {
            Ok(su) => {
                self.daedr_correct_su(now);
                self.rc_signal_unit(now, su);
            }
            Err(_) => {
                self.stats.su_in_error += 1;
                self.daedr_su_in_error();
            }
        }
    }

    /// The shell dropped a signal unit: bad FCS, abort, not a whole number of octets, too
    /// short or too long (Q.703 4). Counts once for the SUERM or AERM (Q.703 10).
    pub fn handle_su_error(&mut self, _now: Instant) {
        self.stats.su_in_error += 1;
        self.daedr_su_in_error();
    }

    /// The shell's receiver is in octet counting mode (Q.703 4) and has taken `octets`
    /// more octets without a valid signal unit: one error for every N of them, carried over
    /// between calls (Q.703 10.2, 10.3).
    pub fn handle_octet_counting(&mut self, _now: Instant, octets: usize) {
        let n = u64::from(self.config.n_octets.max(1));
        self.octet_counting = self.octet_counting.saturating_add(octets as u64);
        while self.octet_counting >= n {
            self.octet_counting -= n;
            self.stats.octet_counting_errors += 1;
            self.daedr_su_in_error();
        }
    }

    /// Runs every timer due at `now`, earliest first (none due: nothing happens). A timer
    /// started again while they run (T5 after T5) waits for the next call, even if already
    /// due, so that a zero duration cannot spin.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut due = [None; Timer::ALL.len()];
        for (slot, d) in due.iter_mut().enumerate() {
            *d = self.timers.deadline(slot).filter(|&t| t <= now);
        }
        while let Some((slot, deadline)) = due
            .iter()
            .enumerate()
            .filter_map(|(slot, d)| d.map(|d| (slot, d)))
            .min_by_key(|&(_, d)| d)
        {
            if let Some(d) = due.get_mut(slot) {
                *d = None;
            }
            // Stopped or restarted by an earlier one: not due any more.
            if self.timers.deadline(slot) != Some(deadline) {
                continue;
            }
            self.timers.stop(slot);
            match Timer::ALL.get(slot) {
                Some(Timer::T1) => self.lsc_t1_expiry(),
                Some(Timer::T2) => self.iac_t2_expiry(),
                Some(Timer::T3) => self.iac_t3_expiry(),
                Some(Timer::T4) => self.iac_t4_expiry(now),
                Some(Timer::T5) => self.cc_t5_expiry(now),
                Some(Timer::T6) => self.txc_t6_expiry(),
                Some(Timer::T7) => self.txc_t7_expiry(),
                None => {}
            }
        }
    }

    /// The earliest timer deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// The next primitive for level 3. Taking a received message out of here is what frees
    /// the receive buffer of the congestion control (Q.703 9).
    pub fn poll_event(&mut self) -> Option<L2ToL3> {
        let event = self.events.pop_front()?;
        if matches!(event, L2ToL3::ReceivedMessage(_)) {
            self.rc.undelivered = self.rc.undelivered.saturating_sub(1);
            self.rc_congestion_abatement();
        }
        Some(event)
    }

    /// Appends to `out` the signal unit to send now (without flags and check bits) and returns
    /// true: the MSU due for retransmission or first transmission, else the LSSU or FISU the
    /// link state calls for (Q.703 5, 11). There is always one: FISUs or LSSUs fill the line
    /// when nothing else is due. A serial shell calls this as soon as the previous unit is out; a shell on a
    /// message-oriented transport when [`Mtp2::needs_immediate_transmit`] says so, and
    /// otherwise at its fill-in pace. Returns false (nothing appended) only if the unit
    /// could not be encoded, which the checks on input rule out.
    pub fn poll_transmit(&mut self, now: Instant, out: &mut Vec<u8>) -> bool {
        self.txc_transmission_request(now, out)
    }

    /// Whether an MSU is due: one to retransmit, or a new one the link may send now.
    pub fn has_pending_msu(&self) -> bool {
        self.txc_msu_due()
    }

    /// Whether the next unit carries news for the far end: an MSU, or a FISU/LSSU that
    /// differs from the last unit sent (new BSN, inverted indicator bit, new status, a SIB
    /// due). When false, the next unit only repeats the last fill-in.
    pub fn needs_immediate_transmit(&self) -> bool {
        self.txc_news_due()
    }

    fn start_timer(&mut self, timer: Timer, now: Instant) {
        let duration = match timer {
            Timer::T1 => self.config.t1,
            Timer::T2 => self.config.t2,
            Timer::T3 => self.config.t3,
            Timer::T4 => self.iac.t4,
            Timer::T5 => self.config.t5,
            Timer::T6 => self.config.t6,
            Timer::T7 => self.config.t7,
        };
        self.timers.start(timer.slot(), now + duration);
    }

    fn stop_timer(&mut self, timer: Timer) {
        self.timers.stop(timer.slot());
    }

    fn indicate(&mut self, event: L2ToL3) {
        if matches!(event, L2ToL3::ReceivedMessage(_)) {
            self.rc.undelivered += 1;
        }
        self.events.push_back(event);
    }
}

/// Sequence numbers are modulo 128 (Q.703 5).
mod sn {
    pub const MASK: u8 = 0x7f;

    pub fn add(a: u8, b: u8) -> u8 {
        a.wrapping_add(b) & MASK
    }

    pub fn sub(a: u8, b: u8) -> u8 {
        a.wrapping_sub(b) & MASK
    }

    /// Whether `x` lies in the cyclic interval from `lo` to `hi`, both included.
    pub fn within(lo: u8, x: u8, hi: u8) -> bool {
        sub(x, lo) <= sub(hi, lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn sequence_number_intervals_wrap() {
        assert!(sn::within(127, 127, 127));
        assert!(sn::within(120, 3, 5));
        assert!(sn::within(120, 120, 5));
        assert!(!sn::within(120, 6, 5));
        assert!(!sn::within(120, 119, 5));
        assert!(sn::within(0, 127, 127));
        assert_eq!(sn::add(127, 1), 0);
        assert_eq!(sn::sub(0, 1), 127);
    }

    #[test]
    fn a_zero_timer_restarting_itself_does_not_spin() {
        let config = Mtp2Config {
            t5: Duration::ZERO,
            rb_congestion_accept: 0,
            ..Mtp2Config::default()
        };
        let mut m = Mtp2::new(config);
        m.cc_busy(Instant::ZERO);
        assert_eq!(m.poll_timeout(), Some(Instant::ZERO));
        m.handle_timeout(Instant::ZERO);
        // T5 fired once, sent a SIB and started again: due, but for the next call.
        assert_eq!(m.poll_timeout(), Some(Instant::ZERO));
    }

    #[test]
    fn power_on_sends_sios_with_fsn_and_bsn_127_and_indicator_bits_1() {
        let mut m = Mtp2::new(Mtp2Config::default());
        let mut out = Vec::new();
        assert!(m.poll_transmit(Instant::ZERO, &mut out));
        assert_eq!(out, [0xff, 0xff, 0x01, 0x03]);
        assert_eq!(m.state(), LinkState::OutOfService);
        assert!(!m.needs_immediate_transmit());
        assert_eq!(m.poll_timeout(), None);
    }

    #[test]
    fn start_sends_sio_and_runs_t2() {
        let mut m = Mtp2::new(Mtp2Config::default());
        m.handle_l3(Instant::ZERO, L3ToL2::Start).unwrap();
        assert!(m.needs_immediate_transmit());
        let mut out = Vec::new();
        m.poll_transmit(Instant::ZERO, &mut out);
        assert_eq!(out, [0xff, 0xff, 0x01, 0x00]);
        assert_eq!(
            m.timer_deadline(Timer::T2),
            Some(Instant::ZERO + Mtp2Config::default().t2)
        );
        assert_eq!(m.alignment_state(), AlignmentState::NotAligned);
    }
}
