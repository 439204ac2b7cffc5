//! The parameters of one signalling link's level 2: the timers of Q.703 12.3 and the error
//! rate monitor thresholds of Q.703 10.2 and 10.3, with defaults for a 64 kbit/s link.

use std::time::Duration;

/// Timers and thresholds of one link (Q.703 12.3, 10.2, 10.3), and the implementation
/// dependent congestion thresholds (Q.703 9, Q.704 3.8).
///
/// [`Mtp2Config::default`] is [`Mtp2Config::itu_64kbit`]. Every value is taken as given:
/// nothing here panics, however odd (a zero timer expires at once, a zero threshold never
/// triggers or triggers at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mtp2Config {
    /// T1 "alignment ready": from the end of proving until the far end is in service too.
    pub t1: Duration,
    /// T2 "not aligned": how long to send SIO waiting for SIO, SIN or SIE.
    pub t2: Duration,
    /// T3 "aligned": how long to send SIN/SIE waiting for SIN or SIE.
    pub t3: Duration,
    /// T4 with normal proving: the normal proving period Pn.
    pub t4_normal: Duration,
    /// T4 with emergency proving: the emergency proving period Pe.
    pub t4_emergency: Duration,
    /// T5 "sending SIB": the interval between SIBs while receiving is congested.
    pub t5: Duration,
    /// T6 "remote congestion": the longest the far end may stay busy.
    pub t6: Duration,
    /// T7 "excessive delay of acknowledgement".
    pub t7: Duration,
    /// AERM threshold Tin: errored signal units that abort a normal proving period.
    pub tin: u32,
    /// AERM threshold Tie: errored signal units that abort an emergency proving period.
    pub tie: u32,
    /// M: aborted proving periods before alignment is not possible.
    pub m: u32,
    /// N: in octet counting mode, one error is counted for every N octets (SUERM and AERM).
    pub n_octets: u32,
    /// SUERM threshold T: the error count that takes the link out of service.
    pub suerm_t: u32,
    /// SUERM leak D: the error count goes down by one every D signal units received.
    pub suerm_d: u32,
    /// Receive congestion, "congestion accept": with this many received MSUs not yet taken
    /// by level 3 ([`super::Mtp2::poll_event`]), MSUs are still accepted but no longer
    /// acknowledged, and SIB is sent every T5 (Q.703 9).
    pub rb_congestion_accept: usize,
    /// Receive congestion, "congestion discard": with this many, received MSUs are discarded
    /// (and retransmission asked for when it abates).
    pub rb_congestion_discard: usize,
    /// Receive congestion abates at or below this many.
    pub rb_congestion_abatement: usize,
    /// Transmit congestion onset: MSUs in the transmission and retransmission buffers
    /// together at or above which level 3 is told `Congestion(true)` (Q.704 3.8).
    pub tx_congestion_onset: usize,
    /// Transmit congestion abatement: at or below which level 3 is told `Congestion(false)`.
    pub tx_congestion_abatement: usize,
}

impl Mtp2Config {
    /// Values for a 64 kbit/s link, within the ranges of Q.703 12.3, cross-checked with
    /// libss7's `mtp2.h` (the peer we interoperate with) and osmocom's MTP2 (which quotes
    /// 12.3):
    ///
    /// | value | Q.703 12.3 | libss7 | osmocom | chosen |
    /// |---|---|---|---|---|
    /// | T1 | 40-50 s | 45 s | 45 s | 45 s |
    /// | T2 | 5-150 s | 50 s | 60 s | 50 s |
    /// | T3 | 1-1.5 s | 1.5 s | 1.5 s | 1.5 s |
    /// | T4 Pn | 2^16 octet times, 8.2 s (7.5-9.5 s) | 8.5 s | 8.2 s | 8.2 s |
    /// | T4 Pe | 2^12 octet times, 0.5 s (0.4-0.6 s) | 0.5 s | 0.5 s | 0.5 s |
    /// | T5 | 80-120 ms | - | 100 ms | 100 ms |
    /// | T6 | 3-6 s | - | 5 s | 5 s |
    /// | T7 | 0.5-2 s | 1.25 s | 1 s | 1 s |
    ///
    /// T2 is libss7's, so that both ends give up on a silent far end at the same time.
    /// AERM (Q.703 10.3): Tin 4, Tie 1, M 5, N 16. SUERM (Q.703 10.2): T 64, D 256, N 16
    /// (openss7's defaults agree). Congestion thresholds are implementation dependent (Q.703
    /// 9): receive accept at 256 undelivered MSUs, discard at 512, abatement at 64; transmit
    /// onset at 256 buffered MSUs, abatement at 64.
    pub fn itu_64kbit() -> Self {
        Mtp2Config {
            t1: Duration::from_secs(45),
            t2: Duration::from_secs(50),
            t3: Duration::from_millis(1500),
            t4_normal: Duration::from_millis(8200),
            t4_emergency: Duration::from_millis(500),
            t5: Duration::from_millis(100),
            t6: Duration::from_secs(5),
            t7: Duration::from_secs(1),
            tin: 4,
            tie: 1,
            m: 5,
            n_octets: 16,
            suerm_t: 64,
            suerm_d: 256,
            rb_congestion_accept: 256,
            rb_congestion_discard: 512,
            rb_congestion_abatement: 64,
            tx_congestion_onset: 256,
            tx_congestion_abatement: 64,
        }
    }
}

impl Default for Mtp2Config {
    fn default() -> Self {
        Mtp2Config::itu_64kbit()
    }
}
