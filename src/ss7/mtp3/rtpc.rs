//! RTPC, RTAC and RSRT, signalling route management as an end point needs it (Q.704 13;
//! figures 36-39), and the MTP-STATUS causes that come from the network (11.2, 13).
//!
//! The adjacent point may be a transfer point for other destinations. A transfer-prohibited
//! (TFP) about one of them makes it inaccessible through our only route: MTP-PAUSE, and a
//! signalling-route-set-test (RST) every T10 until a transfer-allowed (TFA) makes it accessible
//! again (MTP-RESUME). Transfer-restricted (TFR, a national option) leaves the destination
//! accessible. The adjacent point itself is accessible exactly when the linkset is: a TFP
//! about it is meaningless and ignored.

use sipt_codecs::mtp3::{PointCode, ServiceIndicator, SnmMessage, UnavailabilityCause};

use super::{LinksetStatus, Mtp3, Mtp3Event, Prohibited, StatusCause};
use crate::time::Instant;

impl Mtp3 {
    pub(super) fn transfer_prohibited(&mut self, now: Instant, dest: PointCode) {
        if dest == self.cfg.apc || dest == self.cfg.opc {
            self.stats.snm_unexpected += 1;
            return;
        }
        let t10 = self.cfg.timers.t10;
        if self
            .prohibited
            .insert(dest, Prohibited { rst_at: now + t10 })
            .is_none()
        {
            self.emit(Mtp3Event::Pause { dpc: dest });
        }
    }

    pub(super) fn transfer_allowed(&mut self, dest: PointCode) {
        if self.prohibited.remove(&dest).is_some() {
            self.emit(Mtp3Event::Resume { dpc: dest });
        }
    }

    /// Q.704 T10: test the route to a prohibited destination again (13.5).
    pub(super) fn t10_expired(&mut self, now: Instant, dest: PointCode) {
        let t10 = self.cfg.timers.t10;
        if let Some(p) = self.prohibited.get_mut(&dest) {
            p.rst_at = now + t10;
        }
        if self.linkset != LinksetStatus::Available {
            return;
        }
        if let Some(on) = self.snm_link(None, None) {
            let apc = self.cfg.apc;
            let msg = SnmMessage::Rst {
                destination: dest,
                spare: 0,
            };
            self.send_snm(on, apc, on, msg);
        }
    }

    /// TFC (13): congestion towards `dest`.
    pub(super) fn transfer_controlled(&mut self, dest: PointCode, status: u8) {
        self.emit(Mtp3Event::Status {
            dpc: dest,
            cause: StatusCause::Congestion { level: status },
        });
    }

    /// UPU (11.2): a user part is unavailable at `dest`.
    pub(super) fn user_part_unavailable(
        &mut self,
        dest: PointCode,
        user_part: ServiceIndicator,
        cause: UnavailabilityCause,
    ) {
        self.emit(Mtp3Event::Status {
            dpc: dest,
            cause: StatusCause::UserPartUnavailable { user_part, cause },
        });
    }
}
