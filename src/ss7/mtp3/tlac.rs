//! TLAC, signalling link availability control (Q.704 4.3, 4.4 and 10; figure 28): a link
//! becomes available (changeback, or the MTP restart when it is the first), or unavailable
//! (changeover, or the linkset becomes unavailable when it was the last); remote processor
//! outage; and the answers of a point that never inhibits links to the management inhibiting
//! messages of its peer.

use sipt_codecs::mtp3::SnmMessage;

use super::{
    Changeover, LinkStatus, LinkTimer, LinksetStatus, Mtp3, Mtp3Event, SlsRoute, StatusCause,
};
use crate::ss7::l2::{L3ToL2, LinkId};
use crate::time::Instant;

impl Mtp3 {
    /// Link `slc` passed its test (or recovered): it carries traffic from now on.
    pub(super) fn link_available(&mut self, now: Instant, slc: LinkId) {
        self.set_link_status(slc, LinkStatus::Available, None);
        self.update_emergency();
        match self.linkset {
            LinksetStatus::Unavailable => self.restart_begins(now, slc),
            LinksetStatus::Restarting => {}
            LinksetStatus::Available => self.start_changeback(now, slc),
        }
    }

    /// Link `slc` stopped carrying traffic (its status already says why). Its traffic goes to
    /// the other available links by changeover (Q.704 5): with buffer updating, or
    /// time-controlled (`time_controlled`, for a remote processor outage, 5.6.2).
    pub(super) fn link_unavailable(&mut self, now: Instant, slc: LinkId, time_controlled: bool) {
        if !self.available_links().iter().any(|&l| l != slc) {
            self.linkset_unavailable(now);
            return;
        }
        if self.linkset != LinksetStatus::Available {
            return;
        }
        // Changebacks to or from the link end here (Q.704 6.5): traffic coming back to it stays
        // on its alternative; traffic leaving it joins its changeover.
        let cbs: Vec<_> = self
            .changebacks
            .iter()
            .filter(|cb| cb.to == slc || cb.from == slc)
            .copied()
            .collect();
        self.changebacks.retain(|cb| cb.to != slc && cb.from != slc);
        for cb in cbs {
            for sls in 0..16 {
                if let Some(SlsRoute::Changeback { code, .. }) = self.routes.get(sls).copied() {
                    if code != cb.code {
                        continue;
                    }
                    if cb.to == slc {
                        self.release_held(sls, SlsRoute::Via(cb.from));
                    } else if let Some(r) = self.routes.get_mut(sls) {
                        *r = SlsRoute::Changeover(slc);
                    }
                }
            }
        }
        let mut any = false;
        for r in self.routes.iter_mut() {
            if *r == SlsRoute::Via(slc) {
                *r = SlsRoute::Changeover(slc);
            }
            any |= *r == SlsRoute::Changeover(slc);
        }
        if any {
            self.initiate_changeover(now, slc, time_controlled);
        }
    }

    /// Level 2 reports a remote processor outage (Q.703 8): the link carries no traffic.
    pub(super) fn remote_processor_outage(&mut self, now: Instant, slc: LinkId) {
        let Some(link) = self.link_mut(slc) else {
            return;
        };
        if link.status != LinkStatus::Available {
            return;
        }
        link.stats.remote_processor_outages += 1;
        self.set_link_status(slc, LinkStatus::RemoteProcessorOutage, None);
        self.link_unavailable(now, slc, true);
        self.update_emergency();
    }

    /// The remote processor recovered: the link carries traffic again.
    pub(super) fn remote_processor_recovered(&mut self, now: Instant, slc: LinkId) {
        let Some(link) = self.link_mut(slc) else {
            return;
        };
        if link.status != LinkStatus::RemoteProcessorOutage {
            return;
        }
        if link.changeover == Changeover::TimeControlled {
            // Recovered within T1: nothing was diverted; what is held goes on behind what
            // level 2 still holds.
            link.stop_timer(LinkTimer::T1);
            link.changeover = Changeover::Idle;
            for sls in 0..16 {
                if self.routes.get(sls) == Some(&SlsRoute::Changeover(slc)) {
                    self.release_held(sls, SlsRoute::Via(slc));
                }
            }
        } else {
            // The traffic went to other links: what level 2 held from before the outage would
            // now overtake it, so it goes (the loss a time-controlled changeover allows).
            self.tell_l2(slc, L3ToL2::FlushBuffers);
        }
        self.link_available(now, slc);
    }

    /// Level 2 congestion onset or abatement (Q.704 11.2): onset on a link carrying traffic
    /// is reported to the users as MTP-STATUS.
    pub(super) fn link_congestion(&mut self, slc: LinkId, onset: bool) {
        let apc = self.cfg.apc;
        let Some(link) = self.link_mut(slc) else {
            return;
        };
        if !onset {
            return;
        }
        link.stats.congestion_onsets += 1;
        if link.status == LinkStatus::Available {
            self.emit(Mtp3Event::Status {
                dpc: apc,
                cause: StatusCause::Congestion { level: 0 },
            });
        }
    }

    /// Management inhibiting messages (Q.704 10). This point never inhibits a link, so it
    /// denies an inhibit request (LID), acknowledges an uninhibit (LUA), answers a forced
    /// uninhibit with an uninhibit (LUN), and answers the inhibit tests as a point holding no
    /// inhibition does: LLT with LFU, LRT with LUN (10.3, 10.4).
    pub(super) fn inhibit_message(&mut self, rx: LinkId, slc: LinkId, msg: &SnmMessage) {
        if self.link(slc).is_none() {
            self.stats.snm_unexpected += 1;
            return;
        }
        let answer = match msg {
            SnmMessage::Lin => SnmMessage::Lid,
            SnmMessage::Lun => SnmMessage::Lua,
            SnmMessage::Lfu | SnmMessage::Lrt => SnmMessage::Lun,
            SnmMessage::Llt => SnmMessage::Lfu,
            _ => {
                self.stats.snm_unexpected += 1;
                return;
            }
        };
        if let Some(on) = self.snm_link(None, Some(rx)) {
            let apc = self.cfg.apc;
            self.send_snm(on, apc, slc, answer);
        }
    }
}
