//! TPRC, MTP restart control (Q.704 9; figure 43), for an end point whose only route set is
//! the one linkset.
//!
//! When the linkset becomes unavailable the adjacent destination is inaccessible: MTP-PAUSE,
//! and held traffic is discarded. When the first link becomes available again this point is
//! a restarting one (9.1): there is no routing data to wait for with a single adjacent point,
//! so it sends traffic restart allowed (TRA) at once on that link and starts T20; the restart
//! ends when the adjacent point's TRA arrives (it may have come already, when the far end's
//! link test passed first) or T20 expires. Then the SLS table is built, MTP-RESUME is given and
//! user traffic flows. This is also what libss7 expects: it sends ISUP only after it has sent
//! and received TRA.
//!
//! A TRA while traffic flows means the adjacent point restarted on its own: it gets one TRA in
//! answer, and T19 keeps a second one from starting a ping-pong (9).

use sipt_codecs::mtp3::SnmMessage;

use super::{LinksetStatus, LinksetTimer, Mtp3, Mtp3Event, SlsRoute};
use crate::ss7::l2::LinkId;
use crate::time::Instant;

impl Mtp3 {
    /// The first link of an unavailable linkset became available (Q.704 9.2).
    pub(super) fn restart_begins(&mut self, now: Instant, slc: LinkId) {
        let t20 = self.cfg.timers.t20;
        self.set_linkset_status(LinksetStatus::Restarting);
        // Routing data about destinations behind the adjacent point is learnt anew: they are
        // accessible at the end of the restart unless a TFP comes meanwhile (9.2).
        self.prohibited_before_restart = std::mem::take(&mut self.prohibited).into_keys().collect();
        self.send_tra(slc);
        self.timers.start(LinksetTimer::T20 as usize, now + t20);
        if self.tra_received {
            self.restart_complete(now);
        }
    }

    fn send_tra(&mut self, on: LinkId) {
        self.stats.tra_tx += 1;
        let apc = self.cfg.apc;
        // The label carries the SLC of the link it goes on: libss7 looks the link up by it.
        self.send_snm(on, apc, on, SnmMessage::Tra);
    }

    fn restart_complete(&mut self, now: Instant) {
        let _ = now;
        self.timers.stop(LinksetTimer::T20 as usize);
        self.tra_received = false;
        self.stats.restarts += 1;
        self.set_linkset_status(LinksetStatus::Available);
        for sls in 0..16 {
            let route = self.choose_link(sls).map_or(SlsRoute::Down, SlsRoute::Via);
            self.release_held(sls, route);
        }
        let apc = self.cfg.apc;
        self.emit(Mtp3Event::Resume { dpc: apc });
        for dpc in std::mem::take(&mut self.prohibited_before_restart) {
            if !self.prohibited.contains_key(&dpc) {
                self.emit(Mtp3Event::Resume { dpc });
            }
        }
    }

    /// Q.704 T20: the restart ends without the adjacent point's TRA.
    pub(super) fn t20_expired(&mut self, now: Instant) {
        if self.linkset == LinksetStatus::Restarting {
            self.restart_complete(now);
        }
    }

    /// TRA from the adjacent point, received on `rx`.
    pub(super) fn traffic_restart_allowed(&mut self, now: Instant, rx: LinkId) {
        self.stats.tra_rx += 1;
        match self.linkset {
            LinksetStatus::Unavailable => self.tra_received = true,
            LinksetStatus::Restarting => self.restart_complete(now),
            LinksetStatus::Available => {
                if !self.timers.is_running(LinksetTimer::T19 as usize) {
                    let t19 = self.cfg.timers.t19;
                    self.timers.start(LinksetTimer::T19 as usize, now + t19);
                    if let Some(on) = self.snm_link(None, Some(rx)) {
                        self.send_tra(on);
                    }
                }
            }
        }
    }

    /// No link of the linkset carries traffic any more: the adjacent destination (and every
    /// destination behind it) is inaccessible (Q.704 4.3, 7; 9.1).
    pub(super) fn linkset_unavailable(&mut self, now: Instant) {
        let _ = now;
        let was_available = self.linkset == LinksetStatus::Available;
        self.timers.stop(LinksetTimer::T20 as usize);
        self.timers.stop(LinksetTimer::T19 as usize);
        self.tra_received = false;
        self.changebacks.clear();
        for sls in 0..16 {
            self.release_held(sls, SlsRoute::Down);
        }
        if self.linkset != LinksetStatus::Unavailable {
            self.stats.unavailable += 1;
        }
        self.set_linkset_status(LinksetStatus::Unavailable);
        if was_available {
            let apc = self.cfg.apc;
            self.emit(Mtp3Event::Pause { dpc: apc });
        }
        self.update_emergency();
    }
}
