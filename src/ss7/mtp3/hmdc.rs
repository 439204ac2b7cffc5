//! HMDC, message discrimination (Q.704 2.4; figure 24 of the SDL): is a received MSU for
//! this signalling point? A point without the transfer function discards, and counts, what is
//! not addressed to it or carries another network indicator.

use sipt_codecs::mtp3::Msu;

use super::Mtp3;
use crate::ss7::l2::LinkId;
use crate::time::Instant;

impl Mtp3 {
    /// A message received on link `link` (SIO and SIF).
    pub(super) fn discriminate(&mut self, now: Instant, link: LinkId, bytes: &[u8]) {
        if let Some(l) = self.link_mut(link) {
            l.stats.msu_rx += 1;
            l.stats.octets_rx += bytes.len() as u64;
        }
        let msu = match Msu::decode(bytes) {
            Ok(msu) => msu,
            Err(_) => {
                self.stats.discarded_malformed += 1;
                return;
            }
        };
        if msu.sio.network_indicator != self.cfg.network_indicator {
            self.stats.discarded_wrong_ni += 1;
            return;
        }
        if msu.label.dpc != self.cfg.opc {
            // Q.704 2.4: not for us, and we do not transfer.
            self.stats.discarded_not_for_us += 1;
            return;
        }
        self.distribute(now, link, msu);
    }
}
