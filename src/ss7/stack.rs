//! One signalling relation's MTP: an [`Mtp2`] per signalling link and the [`Mtp3`] of the
//! linkset above them, wired together through the Q.703 figure 3 primitives
//! ([`super::l2`]). Still sans-IO: the shell hands in received signal units per link and the
//! time, and takes out signal units to send per link and MTP3 events for the user parts.

use std::collections::VecDeque;

use super::l2::LinkId;
use super::mtp2::{Mtp2, Mtp2Config};
use super::mtp3::{self, Mtp3, Mtp3Event, TransferError, TransferRequest};
use crate::time::{earliest, Instant};

/// The MTP of one linkset: level 2 per link, level 3 over them.
#[derive(Debug)]
pub struct Mtp {
    mtp3: Mtp3,
    /// The links by SLC, in the order of the linkset's configuration.
    links: Vec<(LinkId, Mtp2)>,
    /// Level 3's events, collected while pumping the primitives.
    events: VecDeque<Mtp3Event>,
    /// Messages level 2 refused (an MSU of a wrong size: a bug above, counted, not fatal).
    pub rejected_by_level2: u64,
}

impl Mtp {
    /// The MTP of a linkset: `mtp3`'s configuration names the links; each gets its own level 2
    /// with `mtp2` as configuration.
    pub fn new(mtp3: mtp3::Config, mtp2: Mtp2Config) -> Result<Mtp, mtp3::ConfigError> {
        let links = mtp3
            .links
            .iter()
            .map(|&slc| (slc, Mtp2::new(mtp2.clone())))
            .collect();
        Ok(Mtp {
            mtp3: Mtp3::new(mtp3)?,
            links,
            events: VecDeque::new(),
            rejected_by_level2: 0,
        })
    }

    /// Activates every link (Q.704 12: signalling link activation).
    pub fn start(&mut self, now: Instant) {
        self.mtp3.start(now);
        self.pump(now);
    }

    /// A signal unit received on `link` (without flags and FCS).
    pub fn handle_su(&mut self, now: Instant, link: LinkId, su: &[u8]) {
        if let Some(l2) = self.link_mut(link) {
            l2.handle_su(now, su);
        }
        self.pump(now);
    }

    /// The transport saw a damaged unit on `link` (bad FCS, abort): counts for level 2's
    /// error rate monitors (Q.703 10).
    pub fn handle_su_error(&mut self, now: Instant, link: LinkId) {
        if let Some(l2) = self.link_mut(link) {
            l2.handle_su_error(now);
        }
        self.pump(now);
    }

    /// The receiver of `link` has been in octet counting mode for `octets` more octets (Q.703
    /// 4.1.4: no flag or no valid signal unit, as on a line that has gone dead): one error
    /// for the SUERM/AERM per N octets (Q.703 10.2, 10.3).
    pub fn handle_octet_counting(&mut self, now: Instant, link: LinkId, octets: usize) {
        if let Some(l2) = self.link_mut(link) {
            l2.handle_octet_counting(now, octets);
        }
        self.pump(now);
    }

    /// An MTP-TRANSFER request from a user part.
    pub fn transfer(&mut self, now: Instant, req: TransferRequest) -> Result<(), TransferError> {
        let r = self.mtp3.handle_user(now, req);
        self.pump(now);
        r
    }

    /// Runs every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        for (_, l2) in &mut self.links {
            l2.handle_timeout(now);
        }
        self.mtp3.handle_timeout(now);
        self.pump(now);
    }

    /// The earliest timer deadline of any layer.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.links
            .iter()
            .fold(self.mtp3.poll_timeout(), |t, (_, l2)| {
                earliest(t, l2.poll_timeout())
            })
    }

    /// The next signal unit to send on `link`; see [`Mtp2::poll_transmit`].
    pub fn poll_transmit(&mut self, now: Instant, link: LinkId, out: &mut Vec<u8>) -> bool {
        self.link_mut(link)
            .is_some_and(|l2| l2.poll_transmit(now, out))
    }

    /// Whether `link` has a unit to send that differs from the last one (a shell on a
    /// message-oriented transport sends then, and otherwise only a periodic fill-in).
    pub fn needs_immediate_transmit(&self, link: LinkId) -> bool {
        self.link(link).is_some_and(Mtp2::needs_immediate_transmit)
    }

    /// The next event for the user parts and management.
    pub fn poll_event(&mut self) -> Option<Mtp3Event> {
        self.events.pop_front()
    }

    /// Level 3.
    pub fn mtp3(&self) -> &Mtp3 {
        &self.mtp3
    }

    /// Level 2 of `link`.
    pub fn link(&self, link: LinkId) -> Option<&Mtp2> {
        self.links.iter().find(|(l, _)| *l == link).map(|(_, m)| m)
    }

    /// The links' SLCs.
    pub fn link_ids(&self) -> impl Iterator<Item = LinkId> + '_ {
        self.links.iter().map(|(l, _)| *l)
    }

    fn link_mut(&mut self, link: LinkId) -> Option<&mut Mtp2> {
        self.links
            .iter_mut()
            .find(|(l, _)| *l == link)
            .map(|(_, m)| m)
    }

    /// Carries primitives between the layers until none is left.
    fn pump(&mut self, now: Instant) {
        loop {
            let mut moved = false;
            while let Some((link, p)) = self.mtp3.poll_l2() {
                moved = true;
                if let Some(l2) = self.link_mut(link) {
                    if l2.handle_l3(now, p).is_err() {
                        self.rejected_by_level2 += 1;
                    }
                }
            }
            for i in 0..self.links.len() {
                let (link, l2) = &mut self.links[i];
                let link = *link;
                while let Some(ind) = l2.poll_event() {
                    moved = true;
                    self.mtp3.handle_l2(now, link, ind);
                }
            }
            while let Some(e) = self.mtp3.poll_event() {
                moved = true;
                self.events.push_back(e);
            }
            if !moved {
                break;
            }
        }
    }
}
