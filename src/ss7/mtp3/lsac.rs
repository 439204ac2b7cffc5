//! LSAC with LSLA and LSLR, signalling link activity control (Q.704 12.2; figures 32-34):
//! activation of the links, restoration of a failed link after T17, and the choice of normal or
//! emergency proving (12.2: emergency when no other link of the linkset carries traffic).

use super::{Changeover, LinkFailure, LinkStatus, LinkTimer, Mtp3};
use crate::ss7::l2::{L3ToL2, LinkId, OutOfServiceReason};
use crate::time::Instant;

impl Mtp3 {
    /// Gives Start to level 2 of link `slc` (activation or restoration).
    pub(super) fn start_link(&mut self, now: Instant, slc: LinkId) {
        let _ = now;
        let emergency = !self.available_links().iter().any(|&l| l != slc);
        let Some(link) = self.link_mut(slc) else {
            return;
        };
        link.stop_timer(LinkTimer::T17);
        link.start_pending = false;
        link.l2_buffers_intact = false;
        link.last_bsnt = None;
        link.changed_over = false;
        link.l2_in_service = false;
        link.emergency = Some(emergency);
        link.stats.starts += 1;
        self.tell_l2(
            slc,
            if emergency {
                L3ToL2::Emergency
            } else {
                L3ToL2::EmergencyCeases
            },
        );
        self.tell_l2(slc, L3ToL2::Start);
        self.set_link_status(slc, LinkStatus::Aligning, None);
    }

    /// Tells every aligning link whether it must use emergency proving, after the number of
    /// links carrying traffic changed.
    pub(super) fn update_emergency(&mut self) {
        let avail = self.available_links();
        let mut cmds = Vec::new();
        for link in &mut self.links {
            if link.status != LinkStatus::Aligning {
                continue;
            }
            let emergency = !avail.iter().any(|&l| l != link.slc);
            if link.emergency != Some(emergency) {
                link.emergency = Some(emergency);
                cmds.push((
                    link.slc,
                    if emergency {
                        L3ToL2::Emergency
                    } else {
                        L3ToL2::EmergencyCeases
                    },
                ));
            }
        }
        for (slc, cmd) in cmds {
            self.tell_l2(slc, cmd);
        }
    }

    /// Level 2 reports "in service": test the link before it carries traffic (Q.707 2.2).
    pub(super) fn l2_in_service(&mut self, now: Instant, slc: LinkId) {
        let Some(link) = self.link_mut(slc) else {
            return;
        };
        match link.status {
            LinkStatus::Aligning => {}
            // Level 2 came up without a Start of ours since the failure; accept it unless a
            // changeover still needs the old buffers.
            LinkStatus::OutOfService if !link.changeover.needs_level2() => {}
            LinkStatus::OutOfService | LinkStatus::Inactive => {
                self.tell_l2(slc, L3ToL2::Stop);
                return;
            }
            LinkStatus::Testing | LinkStatus::Available | LinkStatus::RemoteProcessorOutage => {
                return;
            }
        }
        link.l2_in_service = true;
        link.l2_buffers_intact = false;
        link.start_pending = false;
        link.stop_timer(LinkTimer::T17);
        self.set_link_status(slc, LinkStatus::Testing, None);
        self.start_link_test(now, slc, 1);
    }

    /// Level 2 reports "out of service".
    pub(super) fn l2_out_of_service(
        &mut self,
        now: Instant,
        slc: LinkId,
        reason: OutOfServiceReason,
    ) {
        let Some(link) = self.link(slc) else {
            return;
        };
        match link.status {
            // Already taken down by us (the echo of our Stop) or never started.
            LinkStatus::OutOfService | LinkStatus::Inactive => {}
            _ => self.link_failed(now, slc, LinkFailure::Level2(reason)),
        }
    }

    /// The link is out of service: take its traffic away (changeover) and restore it after
    /// T17 (Q.704 12.2).
    pub(super) fn link_failed(&mut self, now: Instant, slc: LinkId, reason: LinkFailure) {
        let t17 = self.cfg.timers.t17;
        let Some(link) = self.link_mut(slc) else {
            return;
        };
        let carried_traffic = matches!(
            link.status,
            LinkStatus::Available | LinkStatus::RemoteProcessorOutage
        );
        if link.l2_in_service {
            link.stats.failures += 1;
        }
        link.l2_in_service = false;
        link.l2_buffers_intact = true;
        link.changed_over = false;
        link.stop_timer(LinkTimer::SltT1);
        link.stop_timer(LinkTimer::SltT2);
        link.start_timer(LinkTimer::T17, now, t17);
        self.set_link_status(slc, LinkStatus::OutOfService, Some(reason));
        if carried_traffic {
            self.link_unavailable(now, slc, false);
        }
        self.update_emergency();
    }

    /// MTP3 itself takes the link out of service (test failed, changeover ordered).
    pub(super) fn stop_link(&mut self, now: Instant, slc: LinkId, reason: LinkFailure) {
        self.tell_l2(slc, L3ToL2::Stop);
        self.link_failed(now, slc, reason);
    }

    /// T17: restart the link, unless a changeover still needs level 2's buffers.
    pub(super) fn t17_expired(&mut self, now: Instant, slc: LinkId) {
        let Some(link) = self.link_mut(slc) else {
            return;
        };
        if link.status != LinkStatus::OutOfService {
            return;
        }
        if link.changeover.needs_level2() {
            link.start_pending = true;
        } else {
            self.start_link(now, slc);
        }
    }

    /// A changeover that needed level 2 ended: start the link if T17 already expired.
    pub(super) fn changeover_released_level2(&mut self, now: Instant, slc: LinkId) {
        let Some(link) = self.link(slc) else {
            return;
        };
        if link.start_pending && link.changeover == Changeover::Idle {
            self.start_link(now, slc);
        }
    }
}
