//! TCOC, changeover control (Q.704 5; figure 29): the traffic of a link that became
//! unavailable goes to the other links of the linkset with nothing lost, duplicated or
//! reordered.
//!
//! - Buffer updating (5.4): level 2 gives the BSNT of the failed link, the FSN of the last MSU
//!   accepted on it; it goes to the far end in a COO on another link (T2 supervises the
//!   answer), and the far end's own FSN comes back in its COA, or in its COO when both ends
//!   started at once (which then acts as the acknowledgement). Level 2 then retrieves every MSU
//!   it sent after that FSN and never got acknowledged, plus those it never sent (5.5); they go
//!   out on the alternative links before the traffic held since the failure (the changeover
//!   buffer).
//! - Emergency changeover (5.6.1): without a BSNT an ECO is sent; an ECO or ECA received gives
//!   no FSN, so nothing is retrieved: what the failed link had not delivered is lost rather than
//!   sent twice. A COO or ECO is always answered: COA with our BSNT when we have it, else ECA.
//! - No acknowledgement before T2 (5.7): the held traffic goes on as after an emergency
//!   changeover.
//! - Time-controlled changeover (5.6.2), for a link that is unavailable while still in service
//!   (remote processor outage): the traffic is held for T1, then diverted.

use sipt_codecs::mtp3::SnmMessage;

use super::{Changeover, ChangeoverKind, LinkFailure, LinkTimer, Mtp3, Mtp3Event, Order, SlsRoute};
use crate::ss7::l2::{L3ToL2, LinkId};
use crate::time::Instant;

impl Mtp3 {
    /// Starts the changeover of link `slc`, whose traffic is now held (Q.704 5.3).
    pub(super) fn initiate_changeover(&mut self, now: Instant, slc: LinkId, time_controlled: bool) {
        let t1 = self.cfg.timers.t1;
        let Some(link) = self.link_mut(slc) else {
            return;
        };
        if time_controlled {
            if link.changeover == Changeover::Idle {
                link.changeover = Changeover::TimeControlled;
                link.start_timer(LinkTimer::T1, now, t1);
            }
            return;
        }
        if link.changeover != Changeover::Idle {
            return;
        }
        link.changeover = Changeover::WaitBsnt { remote: None };
        self.tell_l2(slc, L3ToL2::RetrieveBsnt);
    }

    /// A COO, ECO (or XCO) about link `slc` arrived on link `rx` (Q.704 5.2, 5.4.2, 5.6.1).
    pub(super) fn changeover_order(&mut self, now: Instant, rx: LinkId, slc: LinkId, order: Order) {
        let Some(link) = self.link(slc) else {
            self.stats.snm_unexpected += 1;
            return;
        };
        if link.l2_in_service {
            // The far end saw the failure first: the link goes out of service here too.
            self.stop_link(now, slc, LinkFailure::ChangeoverOrder);
        }
        let Some(link) = self.link_mut(slc) else {
            return;
        };
        match link.changeover {
            Changeover::WaitBsnt { .. } => {
                link.changeover = Changeover::WaitBsnt {
                    remote: Some(order),
                }
            }
            Changeover::WaitAck { bsnt } => {
                // Both ends ordered: the far end's order acknowledges ours (5.4).
                link.stop_timer(LinkTimer::T2);
                self.answer_order(rx, slc, bsnt);
                self.changeover_proceed(now, slc, order);
            }
            Changeover::Retrieving | Changeover::TimeControlled => {
                let bsnt = link.last_bsnt;
                self.answer_order(rx, slc, bsnt);
            }
            Changeover::Idle => {
                if link.l2_buffers_intact && !link.changed_over {
                    link.changeover = Changeover::WaitBsnt {
                        remote: Some(order),
                    };
                    self.tell_l2(slc, L3ToL2::RetrieveBsnt);
                } else {
                    let bsnt = link.last_bsnt;
                    self.answer_order(rx, slc, bsnt);
                }
            }
        }
    }

    /// Answers a changeover order about `slc`: COA with our BSNT, or ECA without one.
    fn answer_order(&mut self, rx: LinkId, slc: LinkId, bsnt: Option<u8>) {
        let Some(on) = self.snm_link(Some(slc), Some(rx)) else {
            return;
        };
        let msg = match bsnt {
            Some(fsn) => SnmMessage::Coa { fsn, spare: 0 },
            None => SnmMessage::Eca,
        };
        let apc = self.cfg.apc;
        self.send_snm(on, apc, slc, msg);
    }

    /// Level 2 answered RetrieveBsnt for link `slc` (`None`: not retrievable).
    pub(super) fn bsnt(&mut self, now: Instant, slc: LinkId, bsnt: Option<u8>) {
        let t2 = self.cfg.timers.t2;
        let Some(link) = self.link_mut(slc) else {
            return;
        };
        let Changeover::WaitBsnt { remote } = link.changeover else {
            return;
        };
        link.last_bsnt = bsnt;
        match remote {
            Some(order) => {
                self.answer_order(slc, slc, bsnt);
                self.changeover_proceed(now, slc, order);
            }
            None => {
                let Some(on) = self.snm_link(Some(slc), None) else {
                    // No other link left to carry the order or the traffic.
                    self.complete_changeover(now, slc, ChangeoverKind::Emergency);
                    return;
                };
                link_mut_or_return(self, slc, |link| {
                    link.changeover = Changeover::WaitAck { bsnt };
                    link.start_timer(LinkTimer::T2, now, t2);
                });
                let msg = match bsnt {
                    Some(fsn) => SnmMessage::Coo { fsn, spare: 0 },
                    None => SnmMessage::Eco,
                };
                let apc = self.cfg.apc;
                self.send_snm(on, apc, slc, msg);
            }
        }
    }

    /// A COA, ECA (or XCA) about link `slc`.
    pub(super) fn changeover_ack(&mut self, now: Instant, slc: LinkId, fsn: Option<u8>) {
        let Some(link) = self.link_mut(slc) else {
            self.stats.snm_unexpected += 1;
            return;
        };
        if !matches!(link.changeover, Changeover::WaitAck { .. }) {
            // Late, or for an order the far end's own order already settled.
            self.stats.snm_unexpected += 1;
            return;
        }
        link.stop_timer(LinkTimer::T2);
        let order = match fsn {
            Some(f) => Order::Coo(f),
            None => Order::Eco,
        };
        self.changeover_proceed(now, slc, order);
    }

    /// With the far end's FSN, retrieve; without it, finish as an emergency changeover.
    fn changeover_proceed(&mut self, now: Instant, slc: LinkId, order: Order) {
        match order {
            Order::Coo(fsn) => {
                if let Some(link) = self.link_mut(slc) {
                    link.changeover = Changeover::Retrieving;
                    link.retrieved.clear();
                }
                self.tell_l2(slc, L3ToL2::RetrievalRequestAndFsnc(fsn & 0x7F));
            }
            Order::Eco => self.complete_changeover(now, slc, ChangeoverKind::Emergency),
        }
    }

    pub(super) fn retrieved_message(&mut self, slc: LinkId, bytes: Vec<u8>) {
        match self.link_mut(slc) {
            Some(link) if link.changeover == Changeover::Retrieving => link.retrieved.push(bytes),
            _ => self.stats.discarded_retrieved += 1,
        }
    }

    pub(super) fn retrieval_complete(&mut self, now: Instant, slc: LinkId, possible: bool) {
        let Some(link) = self.link(slc) else {
            return;
        };
        if link.changeover != Changeover::Retrieving {
            return;
        }
        let kind = if possible {
            ChangeoverKind::BufferUpdating { retrieved: 0 }
        } else {
            ChangeoverKind::Emergency
        };
        self.complete_changeover(now, slc, kind);
    }

    /// Q.704 T2: no COA or ECA.
    pub(super) fn changeover_t2_expired(&mut self, now: Instant, slc: LinkId) {
        if matches!(
            self.link(slc).map(|l| l.changeover),
            Some(Changeover::WaitAck { .. })
        ) {
            self.complete_changeover(now, slc, ChangeoverKind::Emergency);
        }
    }

    /// Q.704 T1: the time-controlled changeover ends.
    pub(super) fn changeover_t1_expired(&mut self, now: Instant, slc: LinkId) {
        if self.link(slc).map(|l| l.changeover) == Some(Changeover::TimeControlled) {
            self.complete_changeover(now, slc, ChangeoverKind::TimeControlled);
        }
    }

    /// The changeover of `slc` ends: each SLS it carried gets its new link, the retrieved
    /// messages go first, then the changeover buffer (Q.704 5.5).
    fn complete_changeover(&mut self, now: Instant, slc: LinkId, kind: ChangeoverKind) {
        let Some(link) = self.link_mut(slc) else {
            return;
        };
        link.changeover = Changeover::Idle;
        link.changed_over = true;
        link.stop_timer(LinkTimer::T1);
        link.stop_timer(LinkTimer::T2);
        let retrieved = std::mem::take(&mut link.retrieved);
        let mut moved = [false; 16];
        for (sls, m) in moved.iter_mut().enumerate() {
            if self.routes.get(sls) == Some(&SlsRoute::Changeover(slc)) {
                *m = true;
                let route = self.choose_link(sls).map_or(SlsRoute::Down, SlsRoute::Via);
                if let Some(r) = self.routes.get_mut(sls) {
                    *r = route;
                }
            }
        }
        let sent = self.send_retrieved(retrieved, &moved);
        for (sls, m) in moved.iter().enumerate() {
            if *m {
                let route = self.routes.get(sls).copied().unwrap_or(SlsRoute::Down);
                self.release_held(sls, route);
            }
        }
        let kind = match kind {
            ChangeoverKind::BufferUpdating { .. } => {
                ChangeoverKind::BufferUpdating { retrieved: sent }
            }
            other => other,
        };
        if let Some(link) = self.link_mut(slc) {
            link.stats.changeovers += 1;
            link.stats.retrieved_msus += sent as u64;
            match kind {
                ChangeoverKind::BufferUpdating { .. } => link.stats.changeovers_with_retrieval += 1,
                ChangeoverKind::Emergency => link.stats.emergency_changeovers += 1,
                ChangeoverKind::TimeControlled => link.stats.time_controlled_changeovers += 1,
            }
        }
        self.emit(Mtp3Event::ChangeoverComplete { link: slc, kind });
        self.changeover_released_level2(now, slc);
    }
}

fn link_mut_or_return(m: &mut Mtp3, slc: LinkId, f: impl FnOnce(&mut super::Link)) {
    if let Some(link) = m.link_mut(slc) {
        f(link);
    }
}
