//! LSC, link state control (Q.703 7, 8 and figure 8), and POC, processor outage control
//! (Q.703 8).

use super::{Mtp2, Timer};
use crate::ss7::l2::{L2ToL3, OutOfServiceReason};
use crate::time::Instant;

/// The states of the link state control (Q.703 figure 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LinkState {
    /// Sending SIOS, waiting for level 3's Start.
    #[default]
    OutOfService,
    /// The IAC is aligning and proving.
    InitialAlignment,
    /// Proved; sending FISU, waiting for a FISU or MSU from the far end (T1).
    AlignedReady,
    /// Proved with a local processor outage; sending SIPO (T1).
    AlignedNotReady,
    /// MSUs flow.
    InService,
    /// A local or remote processor outage (Q.703 8).
    ProcessorOutage,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Lsc {
    pub state: LinkState,
    /// Level 3 asked for emergency proving.
    pub emergency: bool,
    /// Level 3 reported a local processor outage before the link was in service.
    pub local_processor_outage: bool,
    /// Level 3 gave "flush buffers" or "continue" during the processor outage.
    pub l3_indication_received: bool,
}

/// The states of the processor outage control (Q.703 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Poc {
    #[default]
    Idle,
    LocalProcessorOutage,
    RemoteProcessorOutage,
    BothProcessorsOut,
}

impl Poc {
    fn remote(self) -> bool {
        matches!(self, Poc::RemoteProcessorOutage | Poc::BothProcessorsOut)
    }

    fn local(self) -> bool {
        matches!(self, Poc::LocalProcessorOutage | Poc::BothProcessorsOut)
    }
}

impl Mtp2 {
    /// Power on: TXC start, send SIOS, AERM Ti := Tin (Q.703 figure 8).
    pub(super) fn lsc_power_on(&mut self) {
        self.txc_start();
        self.txc_send_sios();
        self.aerm_set_ti_to_tin();
        self.lsc.local_processor_outage = false;
        self.lsc.emergency = false;
        self.lsc.state = LinkState::OutOfService;
    }

    pub(super) fn lsc_start(&mut self, now: Instant) {
        if self.lsc.state != LinkState::OutOfService {
            return;
        }
        self.rc_start();
        self.txc_start();
        if self.lsc.emergency {
            self.iac_emergency(now);
        }
        self.iac_start(now);
        self.lsc.l3_indication_received = false;
        self.stats.alignment_attempts += 1;
        self.lsc.state = LinkState::InitialAlignment;
    }

    /// Stop from level 3: out of service, sending SIOS. Level 3 is told so with
    /// `OutOfService(Stopped)` (the SDL has no indication here; the primitive set of
    /// [`crate::ss7::l2`] names the reason, so that every way out of service is reported).
    pub(super) fn lsc_stop(&mut self) {
        self.lsc_out_of_service(OutOfServiceReason::Stopped);
    }

    /// Every way to out of service (Q.703 figure 8: stop, link failure, SIO/SIN/SIE/SIOS
    /// received, T1 expiry, alignment not possible): level 3 told why, the IAC, SUERM, RC and
    /// POC stopped, T1 stopped, SIOS sent, emergency and local processor outage cancelled.
    pub(super) fn lsc_out_of_service(&mut self, reason: OutOfServiceReason) {
        if self.lsc.state == LinkState::OutOfService {
            return;
        }
        if reason != OutOfServiceReason::Stopped {
            self.stats.link_failures += 1;
        }
        self.indicate(L2ToL3::OutOfService(reason));
        self.iac_stop();
        self.stop_timer(Timer::T1);
        self.suerm_stop();
        self.rc_stop();
        self.poc = Poc::Idle;
        self.txc_send_sios();
        self.lsc.emergency = false;
        self.lsc.local_processor_outage = false;
        self.lsc.l3_indication_received = false;
        self.lsc.state = LinkState::OutOfService;
    }

    /// Link failure, from the RC (abnormal BSN or FIB), the SUERM, or TXC's T6/T7.
    pub(super) fn lsc_link_failure(&mut self, reason: OutOfServiceReason) {
        self.lsc_out_of_service(reason);
    }

    pub(super) fn lsc_alignment_not_possible(&mut self) {
        if self.lsc.state == LinkState::InitialAlignment {
            self.lsc_out_of_service(OutOfServiceReason::AlignmentNotPossible);
        }
    }

    /// The IAC proved the link (Q.703 figure 8).
    pub(super) fn lsc_alignment_complete(&mut self, now: Instant) {
        if self.lsc.state != LinkState::InitialAlignment {
            return;
        }
        self.suerm_start();
        self.start_timer(Timer::T1, now);
        if self.lsc.local_processor_outage {
            self.poc_local_processor_outage();
            self.txc_send_sipo();
            self.rc_reject_msu_fisu();
            self.lsc.state = LinkState::AlignedNotReady;
        } else {
            self.txc_send_fisu();
            self.rc_accept_msu_fisu();
            self.lsc.state = LinkState::AlignedReady;
        }
    }

    pub(super) fn lsc_t1_expiry(&mut self) {
        if matches!(
            self.lsc.state,
            LinkState::AlignedReady | LinkState::AlignedNotReady
        ) {
            self.lsc_out_of_service(OutOfServiceReason::T1Expired);
        }
    }

    /// SIO received. In initial alignment it is the IAC's; once aligned it means the far
    /// end restarted.
    pub(super) fn lsc_sio(&mut self) {
        if self.lsc_aligned() {
            self.lsc_out_of_service(OutOfServiceReason::ReceivedLinkStatus);
        }
    }

    /// SIOS received.
    pub(super) fn lsc_sios(&mut self) {
        if self.lsc_aligned() {
            self.lsc_out_of_service(OutOfServiceReason::ReceivedSios);
        }
    }

    /// SIN or SIE received: in aligned ready (not ready) the far end may still be proving,
    /// so only in service and processor outage take it as a failure.
    pub(super) fn lsc_sin_sie(&mut self) {
        if matches!(
            self.lsc.state,
            LinkState::InService | LinkState::ProcessorOutage
        ) {
            self.lsc_out_of_service(OutOfServiceReason::ReceivedLinkStatus);
        }
    }

    fn lsc_aligned(&self) -> bool {
        matches!(
            self.lsc.state,
            LinkState::AlignedReady
                | LinkState::AlignedNotReady
                | LinkState::InService
                | LinkState::ProcessorOutage
        )
    }

    /// SIPO received: remote processor outage (Q.703 8).
    ///
    /// In aligned ready (not ready) the SDL goes to processor outage with only "remote
    /// processor outage" for level 3; here level 3 is first told `InService`, so that it
    /// always learns the link came up before it hears of an outage on it.
    pub(super) fn lsc_sipo(&mut self) {
        match self.lsc.state {
            LinkState::AlignedReady | LinkState::AlignedNotReady => {
                self.stop_timer(Timer::T1);
                self.stats.in_service += 1;
                self.indicate(L2ToL3::InService);
                self.indicate(L2ToL3::RemoteProcessorOutage);
                self.poc_remote_processor_outage();
                self.lsc.state = LinkState::ProcessorOutage;
            }
            LinkState::InService => {
                self.txc_send_fisu();
                self.indicate(L2ToL3::RemoteProcessorOutage);
                self.poc_remote_processor_outage();
                self.lsc.state = LinkState::ProcessorOutage;
            }
            LinkState::ProcessorOutage => {
                // The far end repeats SIPO for as long as its outage lasts: one indication.
                if !self.poc.remote() {
                    self.indicate(L2ToL3::RemoteProcessorOutage);
                    self.poc_remote_processor_outage();
                }
            }
            LinkState::OutOfService | LinkState::InitialAlignment => {}
        }
    }

    /// SIB received: the far end is busy (Q.703 9).
    pub(super) fn lsc_sib(&mut self, now: Instant) {
        self.stats.sib_received += 1;
        if matches!(
            self.lsc.state,
            LinkState::InService | LinkState::ProcessorOutage
        ) {
            self.txc_sib_received(now);
        }
    }

    /// FISU or MSU received with the expected FIB and a reasonable BSN (from the RC).
    pub(super) fn lsc_fisu_msu_received(&mut self, now: Instant) {
        match self.lsc.state {
            LinkState::AlignedReady => {
                self.stop_timer(Timer::T1);
                self.stats.in_service += 1;
                self.indicate(L2ToL3::InService);
                self.txc_send_msu(now);
                self.lsc.state = LinkState::InService;
            }
            LinkState::AlignedNotReady => {
                self.stop_timer(Timer::T1);
                self.stats.in_service += 1;
                self.indicate(L2ToL3::InService);
                self.lsc.state = LinkState::ProcessorOutage;
            }
            LinkState::ProcessorOutage if self.poc.remote() => {
                // FISUs or MSUs instead of SIPO: the far end's processor recovered.
                self.indicate(L2ToL3::RemoteProcessorRecovered);
                self.poc_remote_processor_recovered(now);
            }
            _ => {}
        }
    }

    pub(super) fn lsc_emergency(&mut self, now: Instant) {
        self.lsc.emergency = true;
        self.iac_emergency(now);
    }

    pub(super) fn lsc_emergency_ceases(&mut self) {
        self.lsc.emergency = false;
    }

    /// Local processor outage (or level 3 failure) from level 3 (Q.703 8).
    pub(super) fn lsc_local_processor_outage(&mut self) {
        match self.lsc.state {
            LinkState::OutOfService | LinkState::InitialAlignment => {
                self.lsc.local_processor_outage = true;
            }
            LinkState::AlignedReady => {
                self.poc_local_processor_outage();
                self.txc_send_sipo();
                self.rc_reject_msu_fisu();
                self.lsc.state = LinkState::AlignedNotReady;
            }
            LinkState::InService => {
                self.poc_local_processor_outage();
                self.txc_send_sipo();
                self.rc_reject_msu_fisu();
                self.lsc.state = LinkState::ProcessorOutage;
            }
            LinkState::ProcessorOutage => {
                self.poc_local_processor_outage();
                self.txc_send_sipo();
                self.rc_reject_msu_fisu();
            }
            LinkState::AlignedNotReady => {}
        }
    }

    /// Local processor recovered, from level 3 (Q.703 8).
    pub(super) fn lsc_local_processor_recovered(&mut self, now: Instant) {
        match self.lsc.state {
            LinkState::OutOfService | LinkState::InitialAlignment => {
                self.lsc.local_processor_outage = false;
            }
            LinkState::AlignedNotReady => {
                self.poc = Poc::Idle;
                self.lsc.local_processor_outage = false;
                self.txc_send_fisu();
                self.rc_accept_msu_fisu();
                self.lsc.state = LinkState::AlignedReady;
            }
            LinkState::ProcessorOutage => {
                if !self.poc.local() {
                    return;
                }
                self.lsc.local_processor_outage = false;
                // RC retrieve FSNX, TXC send FISU (BSN = FSNX - 1), then POC: with no outage
                // left and level 3's flush buffers or continue in hand, back in service.
                self.rc_retrieve_fsnx();
                self.txc_send_fisu();
                self.poc_local_processor_recovered(now);
            }
            LinkState::AlignedReady | LinkState::InService => {}
        }
    }

    /// Flush buffers from level 3, in processor outage (Q.703 8): the transmission and
    /// retransmission buffers are emptied, then as "continue". Out of service it empties them
    /// too (what a later Start would do).
    pub(super) fn lsc_flush_buffers(&mut self, now: Instant) {
        match self.lsc.state {
            LinkState::ProcessorOutage => {
                self.txc_flush_buffers();
                self.lsc_l3_indication(now);
            }
            LinkState::OutOfService => self.txc_flush_buffers(),
            _ => {}
        }
    }

    /// Continue from level 3, in processor outage: resume with the buffers as they are.
    pub(super) fn lsc_continue(&mut self, now: Instant) {
        if self.lsc.state == LinkState::ProcessorOutage {
            self.lsc_l3_indication(now);
        }
    }

    fn lsc_l3_indication(&mut self, now: Instant) {
        self.lsc.l3_indication_received = true;
        if self.poc == Poc::Idle {
            self.lsc_resume(now);
        }
    }

    /// "No processor outage" from the POC.
    fn lsc_no_processor_outage(&mut self, now: Instant) {
        if self.lsc.state == LinkState::ProcessorOutage && self.lsc.l3_indication_received {
            self.lsc_resume(now);
        }
    }

    fn lsc_resume(&mut self, now: Instant) {
        self.lsc.l3_indication_received = false;
        self.txc_send_msu(now);
        self.lsc.local_processor_outage = false;
        self.rc_accept_msu_fisu();
        self.lsc.state = LinkState::InService;
    }

    /// Retrieve BSNT (Q.704 5): possible once the link failed or is in processor outage.
    pub(super) fn lsc_retrieve_bsnt(&mut self) {
        match self.lsc.state {
            LinkState::OutOfService | LinkState::ProcessorOutage => self.rc_retrieve_bsnt(),
            _ => self.indicate(L2ToL3::BsntNotRetrievable),
        }
    }

    /// Retrieval request and FSNC (Q.704 5).
    pub(super) fn lsc_retrieval_request_and_fsnc(&mut self, fsnc: u8) {
        match self.lsc.state {
            LinkState::OutOfService | LinkState::ProcessorOutage => {
                self.txc_retrieval_request_and_fsnc(fsnc)
            }
            _ => self.indicate(L2ToL3::RetrievalNotPossible),
        }
    }

    fn poc_local_processor_outage(&mut self) {
        self.poc = match self.poc {
            Poc::Idle | Poc::LocalProcessorOutage => Poc::LocalProcessorOutage,
            Poc::RemoteProcessorOutage | Poc::BothProcessorsOut => Poc::BothProcessorsOut,
        };
    }

    fn poc_remote_processor_outage(&mut self) {
        self.poc = match self.poc {
            Poc::Idle | Poc::RemoteProcessorOutage => Poc::RemoteProcessorOutage,
            Poc::LocalProcessorOutage | Poc::BothProcessorsOut => Poc::BothProcessorsOut,
        };
    }

    fn poc_local_processor_recovered(&mut self, now: Instant) {
        match self.poc {
            Poc::LocalProcessorOutage => {
                self.poc = Poc::Idle;
                self.lsc_no_processor_outage(now);
            }
            Poc::BothProcessorsOut => self.poc = Poc::RemoteProcessorOutage,
            Poc::Idle | Poc::RemoteProcessorOutage => {}
        }
    }

    fn poc_remote_processor_recovered(&mut self, now: Instant) {
        match self.poc {
            Poc::RemoteProcessorOutage => {
                self.poc = Poc::Idle;
                self.lsc_no_processor_outage(now);
            }
            Poc::BothProcessorsOut => self.poc = Poc::LocalProcessorOutage,
            Poc::Idle | Poc::LocalProcessorOutage => {}
        }
    }
}
