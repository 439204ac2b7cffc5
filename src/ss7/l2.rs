//! The interface between MTP level 2 (Q.703) and level 3 (Q.704): the primitives each gives
//! the other for one signalling link (Q.703 1.4 and figure 3; Q.704 figure 2 and clause 5-6
//! for the changeover retrieval ones).
//!
//! MTP2 and MTP3 are separate sans-IO machines: MTP3 emits `(link, L3ToL2)` and consumes
//! `(link, L2ToL3)`; the shell (or a test harness) carries them between the two, so each can be
//! tested alone and both can be tested together with simulated time.

/// A signalling link of a linkset, by its signalling link code (Q.704 2.2.4: 4 bits).
pub type LinkId = u8;

/// What MTP3 asks of MTP2 (Q.703 figure 3, "from level 3").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum L3ToL2 {
    /// Start: begin initial alignment (Q.703 7).
    Start,
    /// Stop: take the link out of service.
    Stop,
    /// Emergency: use emergency proving in the next alignment (Q.703 7.2).
    Emergency,
    /// Emergency ceases: normal proving again.
    EmergencyCeases,
    /// Message for transmission: an MSU's SIO and SIF (what `sipt_codecs::mtp3::Msu` encodes).
    Message(Vec<u8>),
    /// Retrieve BSNT: report the BSN of the last MSU accepted from the far end (Q.704 5.3.1,
    /// changeover).
    RetrieveBsnt,
    /// Retrieval request and FSNC: hand back every MSU sent with an FSN after `fsnc` that the
    /// far end has not acknowledged, in order (Q.704 5.4, Q.703 11.2.4).
    RetrievalRequestAndFsnc(u8),
    /// Local processor outage / recovered (Q.703 8).
    LocalProcessorOutage,
    LocalProcessorRecovered,
    /// Flush buffers / continue, after a processor outage (Q.703 8.2).
    FlushBuffers,
    Continue,
}

/// What MTP2 tells MTP3 (Q.703 figure 3, "to level 3").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum L2ToL3 {
    /// In service: aligned and proved, MSUs may flow.
    InService,
    /// Out of service, with the reason (Q.703 1.4).
    OutOfService(OutOfServiceReason),
    /// Remote processor outage / recovered (Q.703 8).
    RemoteProcessorOutage,
    RemoteProcessorRecovered,
    /// Received message: an MSU's SIO and SIF, in order, each exactly once.
    ReceivedMessage(Vec<u8>),
    /// The BSN of the last MSU accepted (answer to `RetrieveBsnt`).
    Bsnt(u8),
    BsntNotRetrievable,
    /// One retrieved message (answer to `RetrievalRequestAndFsnc`), in the order sent.
    RetrievedMessage(Vec<u8>),
    RetrievalComplete,
    RetrievalNotPossible,
    /// Link congestion onset / abatement (Q.703 9: the transmission and retransmission buffers
    /// above / below their thresholds).
    Congestion(bool),
}

/// Why MTP2 went out of service (Q.703 and its SDL, the causes of "link failure").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutOfServiceReason {
    /// MTP3 asked (`Stop`).
    Stopped,
    /// Alignment not possible: T2 or T3 expired, or proving failed too often (Q.703 7.1).
    AlignmentNotPossible,
    /// SIO, SIN or SIE received while in service.
    ReceivedLinkStatus,
    /// SIOS received.
    ReceivedSios,
    /// The signal unit error rate monitor reached its threshold (Q.703 10.2).
    ErrorRateMonitor,
    /// Abnormal BSN or FIB received twice in a row (Q.703 5.3).
    AbnormalSequence,
    /// T6 (remote congestion) expired.
    T6Expired,
    /// T7 (excessive delay of acknowledgement) expired.
    T7Expired,
    /// T1 (alignment ready) expired: proved, but the far end never came in service.
    T1Expired,
}
