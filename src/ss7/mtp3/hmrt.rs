//! HMRT, message routing (Q.704 2.3 and 4.2; figure 26): which link carries a message.
//!
//! Load sharing by SLS (Q.704 2.3, 4.2): SLS s normally goes on its home link, the
//! `s mod n`-th of the n configured links in SLC order. While the home link is unavailable the
//! SLS is carried by an alternative link of the linkset, the `s mod m`-th of the m available
//! ones at the time of the changeover. The table [`SlsRoute`] changes only through the
//! procedures that keep the order of one SLS: changeover (5), changeback (6) and MTP restart
//! (9); while one of them runs, the SLS's messages are held in its changeover or changeback
//! buffer. Messages for an inaccessible destination are refused (2.3).

use sipt_codecs::mtp3::{Msu, PointCode, RoutingLabel, Sio, UserPart};

use super::{
    is_mtp_own, LinkStatus, LinksetStatus, Mtp3, SlsRoute, TransferError, TransferRequest,
    MAX_PAYLOAD,
};
use crate::ss7::l2::LinkId;

impl Mtp3 {
    /// MTP-TRANSFER request.
    pub(super) fn route_user(&mut self, req: TransferRequest) -> Result<(), TransferError> {
        let dpc = req.dpc.unwrap_or(self.cfg.apc);
        let refuse = |s: &mut Self, e| {
            s.stats.refused_invalid += 1;
            Err(e)
        };
        if req.sls > 15 {
            return refuse(self, TransferError::InvalidSls { sls: req.sls });
        }
        let si = req.service_indicator;
        if is_mtp_own(si) || si.code() > 0x0F {
            return refuse(self, TransferError::NotAUserPart { si: si.code() });
        }
        if req.payload.len() > MAX_PAYLOAD {
            return refuse(
                self,
                TransferError::TooLong {
                    len: req.payload.len(),
                    max: MAX_PAYLOAD,
                },
            );
        }
        if dpc.0 > PointCode::ITU_MAX {
            return refuse(self, TransferError::InvalidDpc { dpc });
        }
        if !self.is_accessible(dpc) {
            self.stats.refused_inaccessible += 1;
            return Err(TransferError::Inaccessible { dpc });
        }
        let msu = Msu {
            sio: Sio {
                network_indicator: self.cfg.network_indicator,
                spare: 0,
                service_indicator: si,
            },
            label: RoutingLabel {
                dpc,
                opc: self.cfg.opc,
                sls: req.sls,
            },
            user_part: UserPart::Other(req.payload),
        };
        let mut bytes = Vec::with_capacity(msu.encoded_len());
        if msu.encode(&mut bytes).is_err() {
            self.stats.encode_errors += 1;
            return refuse(self, TransferError::NotAUserPart { si: si.code() });
        }
        self.stats.transfer_requests += 1;
        self.route_encoded(req.sls, bytes);
        Ok(())
    }

    /// Sends an encoded user MSU of SLS `sls` where the routing table says, or holds it.
    fn route_encoded(&mut self, sls: u8, bytes: Vec<u8>) {
        let i = usize::from(sls & 0x0F);
        match self.routes.get(i).copied() {
            Some(SlsRoute::Via(link)) => self.transmit(link, bytes, true),
            Some(SlsRoute::Changeover(_)) | Some(SlsRoute::Changeback { .. }) => {
                if let Some(q) = self.held.get_mut(i) {
                    q.push_back(bytes);
                }
            }
            Some(SlsRoute::Down) | None => self.stats.discarded_held += 1,
        }
    }

    /// The home link of SLS `sls`.
    pub(super) fn home_link(&self, sls: usize) -> Option<LinkId> {
        self.slcs.get(sls % self.slcs.len().max(1)).copied()
    }

    /// The links that carry traffic now, in SLC order.
    pub(super) fn available_links(&self) -> Vec<LinkId> {
        self.links
            .iter()
            .filter(|l| l.status == LinkStatus::Available)
            .map(|l| l.slc)
            .collect()
    }

    /// Where SLS `sls` should go now: its home link when available, else an alternative.
    pub(super) fn choose_link(&self, sls: usize) -> Option<LinkId> {
        if self.linkset != LinksetStatus::Available {
            return None;
        }
        if let Some(home) = self.home_link(sls) {
            if self.is_available(home) {
                return Some(home);
            }
        }
        let avail = self.available_links();
        avail.get(sls % avail.len().max(1)).copied()
    }

    /// Points SLS `sls` at `route` and sends what was held for it there (or discards it).
    pub(super) fn release_held(&mut self, sls: usize, route: SlsRoute) {
        if let Some(r) = self.routes.get_mut(sls) {
            *r = route;
        }
        let held = self
            .held
            .get_mut(sls)
            .map(std::mem::take)
            .unwrap_or_default();
        match route {
            SlsRoute::Via(link) => {
                for bytes in held {
                    self.transmit(link, bytes, true);
                }
            }
            SlsRoute::Down => self.stats.discarded_held += held.len() as u64,
            SlsRoute::Changeover(_) | SlsRoute::Changeback { .. } => {
                // Still held (under another procedure): keep the order.
                if let Some(q) = self.held.get_mut(sls) {
                    let newer = std::mem::replace(q, held);
                    q.extend(newer);
                }
            }
        }
    }

    /// A link for a network management message: `prefer` if it carries traffic, else any
    /// link that does except `exclude`, else (for answers, when no link carries traffic yet)
    /// any link in service at level 2 except `exclude`: the far end reached us on it.
    pub(super) fn snm_link(
        &self,
        exclude: Option<LinkId>,
        prefer: Option<LinkId>,
    ) -> Option<LinkId> {
        let ok = |slc: LinkId| Some(slc) != exclude;
        if let Some(p) = prefer.filter(|&p| ok(p) && self.is_available(p)) {
            return Some(p);
        }
        if let Some(l) = self.available_links().into_iter().find(|&l| ok(l)) {
            return Some(l);
        }
        if let Some(p) = prefer.filter(|&p| ok(p) && self.link(p).is_some_and(|l| l.l2_in_service))
        {
            return Some(p);
        }
        self.links
            .iter()
            .find(|l| l.l2_in_service && ok(l.slc))
            .map(|l| l.slc)
    }

    /// Sends retrieved messages (Q.704 5.5) on the links their SLS now uses, in the order
    /// retrieved. MTP's own messages concerned the failed link and are not sent again; a user
    /// message whose SLS is no longer part of this changeover would overtake newer traffic and
    /// is discarded.
    pub(super) fn send_retrieved(&mut self, retrieved: Vec<Vec<u8>>, moved: &[bool; 16]) -> usize {
        let mut sent = 0;
        for bytes in retrieved {
            let Some((si, label)) = super::peek_label(&bytes) else {
                self.stats.discarded_retrieved += 1;
                continue;
            };
            if is_mtp_own(si) {
                continue;
            }
            let sls = usize::from(label.sls);
            match (moved.get(sls), self.routes.get(sls).copied()) {
                (Some(true), Some(SlsRoute::Via(link))) => {
                    self.transmit(link, bytes, true);
                    sent += 1;
                }
                _ => self.stats.discarded_retrieved += 1,
            }
        }
        sent
    }
}
