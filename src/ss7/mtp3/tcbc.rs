//! TCBC, changeback control (Q.704 6; figure 30): traffic goes back to a link that became
//! available again, in sequence.
//!
//! For each alternative link that carries some of the traffic of the restored link, that
//! traffic is held (the changeback buffer) and a changeback declaration (CBD) with its own
//! changeback code goes out on the alternative link, behind the traffic it carried, with the
//! restored link's SLC in the label (6.2, 6.3). The far end answers with a changeback
//! acknowledgement (CBA) once it has the CBD, so everything sent on the alternative link before
//! has reached it; the held traffic then goes out on the restored link. No CBA within T4: the
//! CBD is repeated; none within T5 either: the traffic goes back all the same (6.5).

use sipt_codecs::mtp3::SnmMessage;

use super::{Changeback, Mtp3, Mtp3Event, SlsRoute};
use crate::ss7::l2::LinkId;
use crate::time::Instant;

impl Mtp3 {
    /// Link `to` became available while the linkset carries traffic: bring its traffic back.
    pub(super) fn start_changeback(&mut self, now: Instant, to: LinkId) {
        let t4 = self.cfg.timers.t4;
        let apc = self.cfg.apc;
        let mut started = false;
        for from in self.slcs.clone() {
            if from == to {
                continue;
            }
            let slss: Vec<usize> = (0..16)
                .filter(|&sls| {
                    self.home_link(sls) == Some(to)
                        && self.routes.get(sls) == Some(&SlsRoute::Via(from))
                })
                .collect();
            if slss.is_empty() {
                continue;
            }
            let code = self.next_changeback_code;
            self.next_changeback_code = code.wrapping_add(1);
            for sls in slss {
                if let Some(r) = self.routes.get_mut(sls) {
                    *r = SlsRoute::Changeback { from, to, code };
                }
            }
            self.changebacks.push(Changeback {
                code,
                from,
                to,
                deadline: now + t4,
                repeated: false,
            });
            self.send_snm(
                from,
                apc,
                to,
                SnmMessage::Cbd {
                    changeback_code: code,
                },
            );
            started = true;
        }
        if started {
            if let Some(link) = self.link_mut(to) {
                link.stats.changebacks += 1;
            }
        }
    }

    /// A CBD about link `slc` arrived on `rx`: acknowledge it with the same code (6.3).
    pub(super) fn changeback_declaration(&mut self, rx: LinkId, slc: LinkId, code: u8) {
        if self.link(slc).is_none() {
            self.stats.snm_unexpected += 1;
            return;
        }
        if let Some(on) = self.snm_link(None, Some(rx)) {
            let apc = self.cfg.apc;
            self.send_snm(
                on,
                apc,
                slc,
                SnmMessage::Cba {
                    changeback_code: code,
                },
            );
        }
    }

    /// A CBA about link `slc`.
    pub(super) fn changeback_ack(&mut self, now: Instant, slc: LinkId, code: u8) {
        let Some(i) = self
            .changebacks
            .iter()
            .position(|cb| cb.code == code && cb.to == slc)
        else {
            self.stats.snm_unexpected += 1;
            return;
        };
        let cb = self.changebacks.remove(i);
        self.finish_changeback(now, cb, false);
    }

    /// T4 (repeat the CBD, start T5) or T5 (change back without acknowledgement).
    pub(super) fn changeback_timer_expired(&mut self, now: Instant, code: u8) {
        let Some(i) = self.changebacks.iter().position(|cb| cb.code == code) else {
            return;
        };
        let t5 = self.cfg.timers.t5;
        let apc = self.cfg.apc;
        let Some(cb) = self.changebacks.get_mut(i) else {
            return;
        };
        if !cb.repeated {
            cb.repeated = true;
            cb.deadline = now + t5;
            let (from, to) = (cb.from, cb.to);
            self.send_snm(
                from,
                apc,
                to,
                SnmMessage::Cbd {
                    changeback_code: code,
                },
            );
        } else {
            let cb = self.changebacks.remove(i);
            self.finish_changeback(now, cb, true);
        }
    }

    fn finish_changeback(&mut self, now: Instant, cb: Changeback, timed: bool) {
        let _ = now;
        for sls in 0..16 {
            if let Some(SlsRoute::Changeback { code, .. }) = self.routes.get(sls).copied() {
                if code == cb.code {
                    self.release_held(sls, SlsRoute::Via(cb.to));
                }
            }
        }
        if timed {
            if let Some(link) = self.link_mut(cb.to) {
                link.stats.changebacks_timed += 1;
            }
        }
        if !self.changebacks.iter().any(|c| c.to == cb.to) {
            self.emit(Mtp3Event::ChangebackComplete { link: cb.to, timed });
        }
    }
}
