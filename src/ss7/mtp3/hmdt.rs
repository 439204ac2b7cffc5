//! HMDT, message distribution (Q.704 2.5; figure 25): a message for this point goes by its
//! service indicator to signalling network management, to the signalling link test (Q.707), or
//! to a user part. A message for a user part not present here is answered with a user part
//! unavailable message (Q.704 2.4 and 11.2; cause "unequipped remote user").

use sipt_codecs::mtp3::{Msu, ServiceIndicator, SnmMessage, UnavailabilityCause, UserPart};

use super::{Mtp3, Mtp3Event, Order, TransferIndication};
use crate::ss7::l2::LinkId;
use crate::time::Instant;

impl Mtp3 {
    pub(super) fn distribute(&mut self, now: Instant, link: LinkId, msu: Msu) {
        let label = msu.label;
        match msu.user_part {
            UserPart::Snm(msg) => {
                if label.opc != self.cfg.apc {
                    // Network management comes only from the adjacent point of the linkset.
                    self.stats.snm_unexpected += 1;
                    return;
                }
                self.network_management(now, link, label.slc(), msg);
            }
            UserPart::Test(msg) => self.test_message(now, link, label, msg),
            UserPart::Other(payload) => {
                let si = msu.sio.service_indicator;
                if self.cfg.user_parts.contains(&si) {
                    if let Some(l) = self.link_mut(link) {
                        l.stats.user_msu_rx += 1;
                    }
                    self.stats.transfer_indications += 1;
                    self.emit(Mtp3Event::Transfer(TransferIndication {
                        service_indicator: si,
                        network_indicator: msu.sio.network_indicator,
                        sio_spare: msu.sio.spare,
                        opc: label.opc,
                        dpc: label.dpc,
                        sls: label.sls,
                        payload,
                        link,
                    }));
                } else {
                    self.stats.discarded_unequipped_user_part += 1;
                    self.send_upu(label.opc, si, UnavailabilityCause::UnequippedRemoteUser);
                }
            }
        }
    }

    /// Signalling network management (Q.704 3 to 13): each message to its block.
    fn network_management(&mut self, now: Instant, rx: LinkId, slc: LinkId, msg: SnmMessage) {
        use SnmMessage::*;
        match msg {
            Coo { fsn, .. } => self.changeover_order(now, rx, slc, Order::Coo(fsn)),
            // XCO carries the 24-bit FSN of Q.703 Annex A links; ours have 7 bits, so it is
            // treated as an order without a usable FSN (no retransmission: no duplicates).
            Xco { .. } | Eco => self.changeover_order(now, rx, slc, Order::Eco),
            Coa { fsn, .. } => self.changeover_ack(now, slc, Some(fsn)),
            Xca { .. } | Eca => self.changeover_ack(now, slc, None),
            Cbd { changeback_code } => self.changeback_declaration(rx, slc, changeback_code),
            Cba { changeback_code } => self.changeback_ack(now, slc, changeback_code),
            Tra => self.traffic_restart_allowed(now, rx),
            Tfp { destination, .. } => self.transfer_prohibited(now, destination),
            Tfa { destination, .. } | Tfr { destination, .. } => self.transfer_allowed(destination),
            Tfc {
                destination,
                status,
            } => self.transfer_controlled(destination, status),
            Upu {
                destination,
                user_part,
                cause,
                ..
            } => self.user_part_unavailable(destination, user_part, cause),
            Lin | Lun | Lfu | Llt | Lrt | Lia | Lua | Lid => self.inhibit_message(rx, slc, &msg),
            Rst { .. } | Rsr { .. } | Rct | Dlc { .. } | Css | Cns | Cnp | Other { .. } => {
                // Route set tests and congestion tests are for transfer points; signalling data
                // link connection orders need automatic allocation, which a fixed linkset does
                // not have.
                self.stats.snm_unexpected += 1;
            }
        }
    }

    /// Sends a UPU (Q.704 15) to `dpc`: user part `si` of this point is unavailable.
    pub(super) fn send_upu(
        &mut self,
        dpc: sipt_codecs::mtp3::PointCode,
        si: ServiceIndicator,
        cause: UnavailabilityCause,
    ) {
        let Some(on) = self.snm_link(None, None) else {
            return;
        };
        let msg = SnmMessage::Upu {
            destination: self.cfg.opc,
            spare: 0,
            user_part: si,
            cause,
        };
        self.send_snm(on, dpc, on, msg);
    }
}
