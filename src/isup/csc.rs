//! Circuit supervision control: reset (RSC, GRS/GRA; the CRS/CRR and CGRS/CGRR processes),
//! blocking and unblocking (BLO/BLA/UBL/UBA; CGB/CGBA/CGU/CGUA; the BLS/BLR and CGBS/CGBR
//! processes), circuit group query (CQM/CQR) and unequipped CIC (UCIC) — Q.764 2.8.2, 2.8.3,
//! 2.9.3, 2.9.4, 2.12.

use super::circuit::{CallStatus, LocalBlocking, ResetPending};
use super::event::{
    BlockingKind, CircuitStateIndicator, IsupEvent, MaintenanceAlert, ReleaseReason, Side,
};
use super::timer::{Owner, Timer};
use super::{GroupKind, GroupProcedure, Isup, IsupError};
use crate::time::Instant;
use sipt_codecs::isup::{
    CauseValue, CgsMessageType, CircuitGroupSupervisionMessageType, Message, MessageType,
    OctetString, Parameter, RangeAndStatus,
};

/// The largest range of GRS and CQM (Q.763 3.43: up to 32 circuits), and the one we use for
/// CGB and CGU (32 circuits: the most a group blocking may affect).
const MAX_RANGE: u8 = 31;
/// The most circuits a received CGB or CGU may affect (Q.764 2.8.2.3: more status bits set
/// than this and the message is discarded).
const MAX_GROUP_CIRCUITS: usize = 32;

fn kind_of(m: &Message) -> Option<BlockingKind> {
    let t = m
        .circuit_group_supervision_message_type()?
        .message_type_indicator();
    if t == CgsMessageType::MaintenanceOriented {
        Some(BlockingKind::Maintenance)
    } else if t == CgsMessageType::HardwareFailureOriented {
        Some(BlockingKind::Hardware)
    } else {
        None
    }
}

fn cgsmt(kind: BlockingKind) -> CircuitGroupSupervisionMessageType {
    CircuitGroupSupervisionMessageType::default().with_message_type_indicator(match kind {
        BlockingKind::Maintenance => CgsMessageType::MaintenanceOriented,
        BlockingKind::Hardware => CgsMessageType::HardwareFailureOriented,
    })
}

/// The CIC `k` circuits after `cic`, if it exists (12 bits).
fn offset(cic: u16, k: u8) -> Option<u16> {
    cic.checked_add(u16::from(k)).filter(|&c| c <= 0x0fff)
}

/// Range and status bits of a received group message: `None` when the status field is
/// shorter than the range needs.
fn status_bits(rs: &RangeAndStatus) -> Option<Vec<bool>> {
    (0..=usize::from(rs.range))
        .map(|i| rs.status_bit(i))
        .collect()
}

impl Isup {
    fn local_blocking_mut(&mut self, cic: u16, kind: BlockingKind) -> Option<&mut LocalBlocking> {
        let c = self.circuits.get_mut(&cic)?;
        Some(match kind {
            BlockingKind::Maintenance => &mut c.local_maintenance,
            BlockingKind::Hardware => &mut c.local_hardware,
        })
    }

    fn local_blocking(&self, cic: u16, kind: BlockingKind) -> LocalBlocking {
        self.circuits
            .get(&cic)
            .map_or(LocalBlocking::Unblocked, |c| match kind {
                BlockingKind::Maintenance => c.local_maintenance,
                BlockingKind::Hardware => c.local_hardware,
            })
    }

    /// Sets the remote blocking state of `kind`, telling the user when it changes.
    fn set_remote_blocked(&mut self, cic: u16, kind: BlockingKind, blocked: bool) {
        let Some(c) = self.circuits.get_mut(&cic) else {
            return;
        };
        let flag = match kind {
            BlockingKind::Maintenance => &mut c.remote_maintenance,
            BlockingKind::Hardware => &mut c.remote_hardware,
        };
        if std::mem::replace(flag, blocked) != blocked {
            let side = Side::Remote;
            self.emit(if blocked {
                IsupEvent::Blocked { cic, side, kind }
            } else {
                IsupEvent::Unblocked { cic, side, kind }
            });
        }
    }

    fn new_group(&mut self, mut procedure: GroupProcedure) -> u32 {
        // a procedure for the same message and range replaces the one outstanding, and takes
        // over its circuits
        let same: Vec<u32> = self
            .groups
            .iter()
            .filter(|(_, g)| {
                g.kind == procedure.kind && g.cic == procedure.cic && g.range == procedure.range
            })
            .map(|(&id, _)| id)
            .collect();
        for id in same {
            if let Some(old) = self.groups.remove(&id) {
                for (bit, was) in procedure.status.iter_mut().zip(old.status) {
                    *bit |= was;
                }
            }
            self.timers.stop_owner(Owner::Group(id));
        }
        let id = self.next_group;
        self.next_group = self.next_group.wrapping_add(1);
        self.groups.insert(id, procedure);
        id
    }

    /// Takes `cic` out of the outstanding group procedures of `kinds` (a later procedure on
    /// the circuit supersedes them); a procedure left without circuits ends.
    fn withdraw(&mut self, kinds: &[GroupKind], cic: u16) {
        let mut ended = Vec::new();
        for (&id, g) in self.groups.iter_mut() {
            if !kinds.contains(&g.kind) || cic < g.cic {
                continue;
            }
            if let Some(bit) = g.status.get_mut(usize::from(cic - g.cic)) {
                *bit = false;
            }
            if !g.status.iter().any(|b| *b) {
                ended.push(id);
            }
        }
        for id in ended {
            self.groups.remove(&id);
            self.timers.stop_owner(Owner::Group(id));
        }
    }

    fn group_message(g: &GroupProcedure) -> Message {
        match g.kind {
            GroupKind::Reset => {
                Message::range_message(MessageType::Grs, RangeAndStatus::range(g.range))
            }
            GroupKind::Query => {
                Message::range_message(MessageType::Cqm, RangeAndStatus::range(g.range))
            }
            GroupKind::Block(kind) => Message::circuit_group(
                MessageType::Cgb,
                cgsmt(kind),
                RangeAndStatus::with_status_bits(g.range, &g.status),
            ),
            GroupKind::Unblock(kind) => Message::circuit_group(
                MessageType::Cgu,
                cgsmt(kind),
                RangeAndStatus::with_status_bits(g.range, &g.status),
            ),
        }
    }

    fn check_range(message: MessageType, range: u8, min: u8, max: u8) -> Result<(), IsupError> {
        if (min..=max).contains(&range) {
            Ok(())
        } else {
            Err(IsupError::InvalidRange {
                message,
                range,
                min,
                max,
            })
        }
    }

    /// The equipped circuits of `cic..=cic + range`, with their offsets.
    fn in_range(&self, cic: u16, range: u8) -> Vec<(u8, u16)> {
        (0..=range)
            .filter_map(|k| offset(cic, k).map(|c| (k, c)))
            .filter(|(_, c)| self.circuits.contains_key(c))
            .collect()
    }

    // ---- reset (Q.764 2.9.3) ----

    /// Resets `cic` with RSC (Q.764 2.9.3.1): any call is cleared at once (the user is told),
    /// the remote blocking states are forgotten (the far end restates them with BLO), and
    /// the circuit is unavailable until RLC answers. T16 and T17 supervise the RSC. Also
    /// returns a circuit reported unequipped (UCIC) to service, if the far end answers.
    pub fn reset(&mut self, now: Instant, cic: u16) -> Result<(), IsupError> {
        if !self.circuits.contains_key(&cic) {
            return Err(IsupError::UnknownCic { cic });
        }
        self.send_reset(now, cic);
        Ok(())
    }

    /// Clears the circuit for a reset of ours: the call ends (an outgoing call not yet
    /// answered by any backward message should be re-attempted, Q.764 2.9.3.1 e).
    fn clear_for_reset(&mut self, now: Instant, cic: u16) {
        let reattempt = self
            .circuits
            .get(&cic)
            .is_some_and(|c| c.call == CallStatus::OutgoingSetup);
        self.end_call(now, cic, ReleaseReason::Reset, None, None, reattempt);
    }

    pub(super) fn send_reset(&mut self, now: Instant, cic: u16) {
        self.clear_for_reset(now, cic);
        self.set_remote_blocked(cic, BlockingKind::Maintenance, false);
        self.set_remote_blocked(cic, BlockingKind::Hardware, false);
        if let Some(c) = self.circuits.get_mut(&cic) {
            c.reset = Some(ResetPending::Rsc);
            c.reset_group = None;
            c.unequipped_remotely = false;
        }
        self.send(cic, Message::bare(MessageType::Rsc));
        self.start(now, Owner::Circuit(cic), Timer::T16);
        self.start(now, Owner::Circuit(cic), Timer::T17);
    }

    /// Q.764 2.9.6: the RSC after T5 is repeated every T17 (T16 is not used).
    pub(super) fn send_reset_after_t5(&mut self, now: Instant, cic: u16) {
        self.send_reset(now, cic);
        self.stop(Owner::Circuit(cic), Timer::T16);
    }

    /// RLC for our RSC. The far end removed its record of our blocking on the RSC
    /// (Q.764 2.9.3.1 d): a blocking of ours is restated.
    pub(super) fn reset_acknowledged(&mut self, now: Instant, cic: u16) {
        self.stop(Owner::Circuit(cic), Timer::T16);
        self.stop(Owner::Circuit(cic), Timer::T17);
        if let Some(c) = self.circuits.get_mut(&cic) {
            c.reset = None;
            c.reset_group = None;
            c.clear_call(now);
            c.idle_since = now;
        }
        self.emit(IsupEvent::CircuitReset { cic, remote: false });
        if self.blocks(cic, BlockingKind::Maintenance) {
            self.send_blo(now, cic);
        }
        self.restate_hardware_blocking(now, cic);
    }

    /// Whether we block (or are blocking) `cic` with `kind`.
    fn blocks(&self, cic: u16, kind: BlockingKind) -> bool {
        matches!(
            self.local_blocking(cic, kind),
            LocalBlocking::Blocked | LocalBlocking::AwaitingBlockingAck
        )
    }

    /// A hardware blocking of ours on `cic` is restated with a hardware oriented CGB (the
    /// smallest group: this circuit and the next, whose status bit is 0).
    fn restate_hardware_blocking(&mut self, now: Instant, cic: u16) {
        if self.blocks(cic, BlockingKind::Hardware) && cic < 0x0fff {
            self.send_cgb(now, cic, 1, BlockingKind::Hardware, vec![true, false]);
        }
    }

    /// Resets `cic..=cic + range` with GRS (Q.764 2.9.3.2); `range` 1 to 31. T22 and T23
    /// supervise it; the circuits are unavailable until GRA answers.
    pub fn group_reset(&mut self, now: Instant, cic: u16, range: u8) -> Result<(), IsupError> {
        Self::check_range(MessageType::Grs, range, 1, MAX_RANGE)?;
        if !self.circuits.contains_key(&cic) {
            return Err(IsupError::UnknownCic { cic });
        }
        self.reset_ranges.insert((cic, range));
        let id = self.new_group(GroupProcedure {
            kind: GroupKind::Reset,
            cic,
            range,
            status: Vec::new(),
        });
        for (_, c) in self.in_range(cic, range) {
            self.clear_for_reset(now, c);
            self.stop(Owner::Circuit(c), Timer::T16);
            self.stop(Owner::Circuit(c), Timer::T17);
            if let Some(circuit) = self.circuits.get_mut(&c) {
                circuit.reset = Some(ResetPending::Grs);
                circuit.reset_group = Some(id);
                circuit.unequipped_remotely = false;
            }
        }
        self.send(
            cic,
            Message::range_message(MessageType::Grs, RangeAndStatus::range(range)),
        );
        self.start(now, Owner::Group(id), Timer::T22);
        self.start(now, Owner::Group(id), Timer::T23);
        Ok(())
    }

    /// Resets every circuit: GRS for each run of up to 32 consecutive CICs, RSC for a circuit
    /// alone (what an exchange does after losing its circuit states, and on MTP-RESUME by
    /// default).
    pub fn reset_all(&mut self, now: Instant) {
        let cics: Vec<u16> = self.circuits.keys().copied().collect();
        let mut runs: Vec<(u16, u8)> = Vec::new();
        for cic in cics {
            match runs.last_mut() {
                Some((first, range))
                    if *range < MAX_RANGE
                        && u32::from(*first) + u32::from(*range) + 1 == u32::from(cic) =>
                {
                    *range += 1
                }
                _ => runs.push((cic, 0)),
            }
        }
        for (cic, range) in runs {
            if range == 0 {
                self.send_reset(now, cic);
            } else {
                let _ = self.group_reset(now, cic, range);
            }
        }
    }

    /// The part of a received reset done on each circuit (Q.764 2.9.3.1 a, b, d, e): the call
    /// is cleared and the remote blocking states are removed.
    fn reset_by_far_end(&mut self, now: Instant, cic: u16) {
        self.clear_for_reset(now, cic);
        self.set_remote_blocked(cic, BlockingKind::Maintenance, false);
        self.set_remote_blocked(cic, BlockingKind::Hardware, false);
        if let Some(c) = self.circuits.get_mut(&cic) {
            c.unequipped_remotely = false;
        }
        self.emit(IsupEvent::CircuitReset { cic, remote: true });
    }

    /// Q.764 2.9.3.1: RSC received.
    pub(super) fn rsc_received(&mut self, now: Instant, cic: u16) {
        self.reset_by_far_end(now, cic);
        // c) a circuit we block is restated with BLO before the RLC
        if self.blocks(cic, BlockingKind::Maintenance) {
            self.send_blo(now, cic);
        }
        // f) if our own RSC is outstanding, it still awaits its RLC
        self.send(cic, Message::bare(MessageType::Rlc));
        self.restate_hardware_blocking(now, cic);
    }

    /// Q.764 2.9.3.2: GRS received.
    pub(super) fn grs_received(&mut self, now: Instant, cic: u16, m: &Message) {
        let Some(range) = m.range_and_status().map(|rs| rs.range) else {
            return;
        };
        if !(1..=MAX_RANGE).contains(&range) {
            self.stats.unexpected_messages += 1;
            return;
        }
        let mut status = vec![false; usize::from(range) + 1];
        let mut hardware = vec![false; usize::from(range) + 1];
        let mut any_hardware = false;
        for (k, c) in self.in_range(cic, range) {
            self.reset_by_far_end(now, c);
            let m = self.local_blocking(c, BlockingKind::Maintenance);
            // the status bit tells the far end the circuits we block for maintenance
            if let Some(bit) = status.get_mut(usize::from(k)) {
                *bit = m == LocalBlocking::Blocked || m == LocalBlocking::AwaitingBlockingAck;
            }
            if self.local_blocking(c, BlockingKind::Hardware).is_blocked()
                && self.local_blocking(c, BlockingKind::Hardware)
                    != LocalBlocking::AwaitingUnblockingAck
            {
                if let Some(bit) = hardware.get_mut(usize::from(k)) {
                    *bit = true;
                    any_hardware = true;
                }
            }
        }
        self.send(
            cic,
            Message::range_message(
                MessageType::Gra,
                RangeAndStatus::with_status_bits(range, &status),
            ),
        );
        // hardware blocked circuits are restated with a hardware oriented CGB after the GRA
        if any_hardware {
            self.send_cgb(now, cic, range, BlockingKind::Hardware, hardware);
        }
    }

    /// Q.764 2.9.3.2: GRA received.
    pub(super) fn gra_received(&mut self, now: Instant, cic: u16, m: &Message) {
        let Some(rs) = m.range_and_status() else {
            return;
        };
        let found = self
            .groups
            .iter()
            .find(|(_, g)| g.kind == GroupKind::Reset && g.cic == cic && g.range == rs.range)
            .map(|(&id, _)| id);
        let range = rs.range;
        match found {
            Some(id) => {
                self.groups.remove(&id);
                self.timers.stop_owner(Owner::Group(id));
            }
            // the answer to a GRS repeated or superseded: the far end's state as of that GRS,
            // and our blocking restated once more (an acknowledgement sent before that GRS
            // reached the far end may have ended our last restatement)
            None if self.reset_ranges.contains(&(cic, range)) => {}
            // a GRA that answers no GRS of ours is discarded
            None => {
                self.stats.unexpected_messages += 1;
                return;
            }
        }
        let mut hardware = vec![false; usize::from(range) + 1];
        let mut any_hardware = false;
        for (k, c) in self.in_range(cic, range) {
            let ours = found.is_some()
                && self
                    .circuits
                    .get(&c)
                    .is_some_and(|x| x.reset_group == found);
            if ours {
                if let Some(x) = self.circuits.get_mut(&c) {
                    x.reset = None;
                    x.reset_group = None;
                    x.idle_since = now;
                }
                self.emit(IsupEvent::CircuitReset {
                    cic: c,
                    remote: false,
                });
            }
            // the far end's maintenance blocking, as its GRA states it
            let blocked = rs.status_bit(usize::from(k)).unwrap_or(false);
            self.set_remote_blocked(c, BlockingKind::Maintenance, blocked);
            self.set_remote_blocked(c, BlockingKind::Hardware, false);
            // our own blocking is restated: the far end forgot it on the GRS
            let m = self.local_blocking(c, BlockingKind::Maintenance);
            if m == LocalBlocking::Blocked || m == LocalBlocking::AwaitingBlockingAck {
                self.send_blo(now, c);
            }
            let h = self.local_blocking(c, BlockingKind::Hardware);
            if h == LocalBlocking::Blocked || h == LocalBlocking::AwaitingBlockingAck {
                if let Some(bit) = hardware.get_mut(usize::from(k)) {
                    *bit = true;
                    any_hardware = true;
                }
            }
        }
        if any_hardware {
            self.send_cgb(now, cic, range, BlockingKind::Hardware, hardware);
        }
    }

    // ---- blocking of one circuit (Q.764 2.8.2.1, 2.9.4) ----

    fn send_blo(&mut self, now: Instant, cic: u16) {
        for t in [Timer::T14, Timer::T15] {
            self.stop(Owner::Circuit(cic), t);
        }
        let m = BlockingKind::Maintenance;
        self.withdraw(&[GroupKind::Block(m), GroupKind::Unblock(m)], cic);
        if let Some(b) = self.local_blocking_mut(cic, BlockingKind::Maintenance) {
            if *b != LocalBlocking::Blocked {
                *b = LocalBlocking::AwaitingBlockingAck;
            }
        }
        self.send(cic, Message::bare(MessageType::Blo));
        self.start(now, Owner::Circuit(cic), Timer::T12);
        if !self.running(Owner::Circuit(cic), Timer::T13) {
            self.start(now, Owner::Circuit(cic), Timer::T13);
        }
    }

    fn send_ubl(&mut self, now: Instant, cic: u16) {
        for t in [Timer::T12, Timer::T13] {
            self.stop(Owner::Circuit(cic), t);
        }
        let m = BlockingKind::Maintenance;
        self.withdraw(&[GroupKind::Block(m), GroupKind::Unblock(m)], cic);
        if let Some(b) = self.local_blocking_mut(cic, BlockingKind::Maintenance) {
            *b = LocalBlocking::AwaitingUnblockingAck;
        }
        self.send(cic, Message::bare(MessageType::Ubl));
        self.start(now, Owner::Circuit(cic), Timer::T14);
        if !self.running(Owner::Circuit(cic), Timer::T15) {
            self.start(now, Owner::Circuit(cic), Timer::T15);
        }
    }

    /// Blocks `cic` for maintenance with BLO (Q.764 2.8.2.1): no new outgoing calls at either
    /// end; a call in progress is not affected. T12 and T13 supervise the BLO; the circuit is
    /// blocked when BLA answers ([`IsupEvent::Blocked`]). Nothing is sent if it is blocked or
    /// being blocked already.
    pub fn block(&mut self, now: Instant, cic: u16) -> Result<(), IsupError> {
        match self
            .circuits
            .get(&cic)
            .ok_or(IsupError::UnknownCic { cic })?
            .local_maintenance
        {
            LocalBlocking::Blocked | LocalBlocking::AwaitingBlockingAck => Ok(()),
            LocalBlocking::Unblocked | LocalBlocking::AwaitingUnblockingAck => {
                if let Some(b) = self.local_blocking_mut(cic, BlockingKind::Maintenance) {
                    *b = LocalBlocking::AwaitingBlockingAck;
                }
                self.stop(Owner::Circuit(cic), Timer::T13);
                self.send_blo(now, cic);
                Ok(())
            }
        }
    }

    /// Unblocks `cic` with UBL (T14, T15); unblocked when UBA answers.
    pub fn unblock(&mut self, now: Instant, cic: u16) -> Result<(), IsupError> {
        match self
            .circuits
            .get(&cic)
            .ok_or(IsupError::UnknownCic { cic })?
            .local_maintenance
        {
            LocalBlocking::Unblocked => Err(IsupError::NotBlocked { cic }),
            LocalBlocking::AwaitingUnblockingAck => Ok(()),
            LocalBlocking::Blocked | LocalBlocking::AwaitingBlockingAck => {
                self.stop(Owner::Circuit(cic), Timer::T15);
                self.send_ubl(now, cic);
                Ok(())
            }
        }
    }

    /// Q.764 2.8.2.1: BLO received; acknowledged with BLA. An outgoing call of ours on the
    /// circuit that has had no backward message is released normally and should be
    /// re-attempted on another circuit.
    pub(super) fn blo_received(&mut self, now: Instant, cic: u16) {
        self.set_remote_blocked(cic, BlockingKind::Maintenance, true);
        self.send(cic, Message::bare(MessageType::Bla));
        if self
            .circuits
            .get(&cic)
            .is_some_and(|c| c.call == CallStatus::OutgoingSetup)
        {
            let cause = self.cause(CauseValue::NormalUnspecified);
            self.exchange_release(now, cic, ReleaseReason::Blocking, cause, true);
        }
    }

    /// UBL received; acknowledged with UBA.
    pub(super) fn ubl_received(&mut self, _now: Instant, cic: u16) {
        self.set_remote_blocked(cic, BlockingKind::Maintenance, false);
        self.send(cic, Message::bare(MessageType::Uba));
    }

    /// BLA received (Q.764 2.8.2.3 ix: a BLA that answers no BLO, for a circuit we do not
    /// block, is answered with UBL).
    pub(super) fn bla_received(&mut self, now: Instant, cic: u16) {
        match self.local_blocking(cic, BlockingKind::Maintenance) {
            LocalBlocking::AwaitingBlockingAck => {
                self.stop(Owner::Circuit(cic), Timer::T12);
                self.stop(Owner::Circuit(cic), Timer::T13);
                if let Some(b) = self.local_blocking_mut(cic, BlockingKind::Maintenance) {
                    *b = LocalBlocking::Blocked;
                }
                self.emit(IsupEvent::Blocked {
                    cic,
                    side: Side::Local,
                    kind: BlockingKind::Maintenance,
                });
            }
            LocalBlocking::Unblocked => {
                self.stats.unexpected_messages += 1;
                self.maintenance_alert(
                    Some(cic),
                    MaintenanceAlert::UnexpectedAcknowledgement(MessageType::Bla),
                );
                self.stop(Owner::Circuit(cic), Timer::T15);
                self.send_ubl(now, cic);
            }
            LocalBlocking::Blocked => {
                // the answer to a BLO restating our blocking (after RSC or GRA)
                self.stop(Owner::Circuit(cic), Timer::T12);
                self.stop(Owner::Circuit(cic), Timer::T13);
            }
            LocalBlocking::AwaitingUnblockingAck => {
                self.stats.unexpected_messages += 1;
            }
        }
    }

    /// UBA received (Q.764 2.8.2.3 x: a UBA that answers no UBL, for a circuit we block, is
    /// answered with BLO).
    pub(super) fn uba_received(&mut self, now: Instant, cic: u16) {
        match self.local_blocking(cic, BlockingKind::Maintenance) {
            LocalBlocking::AwaitingUnblockingAck => {
                self.stop(Owner::Circuit(cic), Timer::T14);
                self.stop(Owner::Circuit(cic), Timer::T15);
                if let Some(b) = self.local_blocking_mut(cic, BlockingKind::Maintenance) {
                    *b = LocalBlocking::Unblocked;
                }
                if let Some(c) = self.circuits.get_mut(&cic) {
                    c.idle_since = now;
                }
                self.emit(IsupEvent::Unblocked {
                    cic,
                    side: Side::Local,
                    kind: BlockingKind::Maintenance,
                });
            }
            LocalBlocking::Blocked => {
                self.stats.unexpected_messages += 1;
                self.maintenance_alert(
                    Some(cic),
                    MaintenanceAlert::UnexpectedAcknowledgement(MessageType::Uba),
                );
                self.stop(Owner::Circuit(cic), Timer::T13);
                self.send_blo(now, cic);
            }
            LocalBlocking::Unblocked | LocalBlocking::AwaitingBlockingAck => {
                self.stats.unexpected_messages += 1;
            }
        }
    }

    // ---- circuit group blocking (Q.764 2.8.2.2) ----

    fn send_cgb(
        &mut self,
        now: Instant,
        cic: u16,
        range: u8,
        kind: BlockingKind,
        status: Vec<bool>,
    ) {
        for (k, c) in self.in_range(cic, range) {
            if !status.get(usize::from(k)).copied().unwrap_or(false) {
                continue;
            }
            if kind == BlockingKind::Maintenance {
                for t in [Timer::T12, Timer::T13, Timer::T14, Timer::T15] {
                    self.stop(Owner::Circuit(c), t);
                }
            }
            self.withdraw(&[GroupKind::Unblock(kind)], c);
            if let Some(b) = self.local_blocking_mut(c, kind) {
                if *b != LocalBlocking::Blocked {
                    *b = LocalBlocking::AwaitingBlockingAck;
                }
            }
        }
        let g = GroupProcedure {
            kind: GroupKind::Block(kind),
            cic,
            range,
            status,
        };
        let id = self.new_group(g);
        if let Some(message) = self.groups.get(&id).map(Self::group_message) {
            self.send(cic, message);
        }
        self.start(now, Owner::Group(id), Timer::T18);
        self.start(now, Owner::Group(id), Timer::T19);
    }

    fn send_cgu(
        &mut self,
        now: Instant,
        cic: u16,
        range: u8,
        kind: BlockingKind,
        status: Vec<bool>,
    ) {
        for (k, c) in self.in_range(cic, range) {
            if status.get(usize::from(k)).copied().unwrap_or(false) {
                if kind == BlockingKind::Maintenance {
                    for t in [Timer::T12, Timer::T13, Timer::T14, Timer::T15] {
                        self.stop(Owner::Circuit(c), t);
                    }
                }
                self.withdraw(&[GroupKind::Block(kind)], c);
                if let Some(b) = self.local_blocking_mut(c, kind) {
                    *b = LocalBlocking::AwaitingUnblockingAck;
                }
            }
        }
        let g = GroupProcedure {
            kind: GroupKind::Unblock(kind),
            cic,
            range,
            status,
        };
        let id = self.new_group(g);
        if let Some(message) = self.groups.get(&id).map(Self::group_message) {
            self.send(cic, message);
        }
        self.start(now, Owner::Group(id), Timer::T20);
        self.start(now, Owner::Group(id), Timer::T21);
    }

    /// Blocks every circuit of `cic..=cic + range` with CGB (`range` 1 to 31; T18 and T19).
    /// Maintenance oriented blocking leaves calls in progress alone; hardware failure oriented
    /// blocking clears them at once, without REL (Q.764 2.8.2.2).
    pub fn group_block(
        &mut self,
        now: Instant,
        cic: u16,
        range: u8,
        kind: BlockingKind,
    ) -> Result<(), IsupError> {
        Self::check_range(MessageType::Cgb, range, 1, MAX_RANGE)?;
        if !self.circuits.contains_key(&cic) {
            return Err(IsupError::UnknownCic { cic });
        }
        let mut status = vec![false; usize::from(range) + 1];
        for (k, c) in self.in_range(cic, range) {
            if let Some(bit) = status.get_mut(usize::from(k)) {
                *bit = true;
            }
            if kind == BlockingKind::Hardware {
                self.clear_for_hardware_blocking(now, c);
            }
        }
        self.send_cgb(now, cic, range, kind, status);
        Ok(())
    }

    /// Unblocks the circuits of `cic..=cic + range` that we block with `kind`, with CGU (T20,
    /// T21).
    pub fn group_unblock(
        &mut self,
        now: Instant,
        cic: u16,
        range: u8,
        kind: BlockingKind,
    ) -> Result<(), IsupError> {
        Self::check_range(MessageType::Cgu, range, 1, MAX_RANGE)?;
        if !self.circuits.contains_key(&cic) {
            return Err(IsupError::UnknownCic { cic });
        }
        let mut status = vec![false; usize::from(range) + 1];
        let mut any = false;
        for (k, c) in self.in_range(cic, range) {
            let b = self.local_blocking(c, kind);
            if b == LocalBlocking::Blocked || b == LocalBlocking::AwaitingBlockingAck {
                if let Some(bit) = status.get_mut(usize::from(k)) {
                    *bit = true;
                    any = true;
                }
            }
        }
        if !any {
            return Err(IsupError::NotBlocked { cic });
        }
        self.send_cgu(now, cic, range, kind, status);
        Ok(())
    }

    /// Hardware failure: the call (or release in progress) on the circuit is cleared without
    /// REL.
    fn clear_for_hardware_blocking(&mut self, now: Instant, cic: u16) {
        let reattempt = self
            .circuits
            .get(&cic)
            .is_some_and(|c| c.call == CallStatus::OutgoingSetup);
        self.end_call(
            now,
            cic,
            ReleaseReason::HardwareBlocking,
            None,
            None,
            reattempt,
        );
    }

    /// The range and status bits of a received CGB/CGU/CGBA/CGUA, `None` (and counted) when
    /// they are not acceptable (Q.764 2.8.2.3).
    fn group_status(&mut self, m: &Message) -> Option<(BlockingKind, u8, Vec<bool>)> {
        let parsed = kind_of(m).and_then(|kind| {
            let rs = m.range_and_status()?;
            let bits = status_bits(rs)?;
            (bits.iter().filter(|b| **b).count() <= MAX_GROUP_CIRCUITS)
                .then_some((kind, rs.range, bits))
        });
        if parsed.is_none() {
            self.stats.unexpected_messages += 1;
        }
        parsed
    }

    /// CGB received: the circuits whose status bit is set are blocked; CGBA acknowledges the
    /// ones we have.
    pub(super) fn cgb_received(&mut self, now: Instant, cic: u16, m: &Message) {
        let Some((kind, range, bits)) = self.group_status(m) else {
            return;
        };
        let mut ack = vec![false; bits.len()];
        for (k, c) in self.in_range(cic, range) {
            if !bits.get(usize::from(k)).copied().unwrap_or(false) {
                continue;
            }
            if let Some(a) = ack.get_mut(usize::from(k)) {
                *a = true;
            }
            self.set_remote_blocked(c, kind, true);
            let outgoing_setup = self
                .circuits
                .get(&c)
                .is_some_and(|x| x.call == CallStatus::OutgoingSetup);
            match kind {
                BlockingKind::Hardware => self.clear_for_hardware_blocking(now, c),
                BlockingKind::Maintenance if outgoing_setup => {
                    let cause = self.cause(CauseValue::NormalUnspecified);
                    self.exchange_release(now, c, ReleaseReason::Blocking, cause, true);
                }
                BlockingKind::Maintenance => {}
            }
        }
        self.send(
            cic,
            Message::circuit_group(
                MessageType::Cgba,
                cgsmt(kind),
                RangeAndStatus::with_status_bits(range, &ack),
            ),
        );
    }

    /// CGU received: the circuits whose status bit is set are unblocked; CGUA acknowledges.
    pub(super) fn cgu_received(&mut self, _now: Instant, cic: u16, m: &Message) {
        let Some((kind, range, bits)) = self.group_status(m) else {
            return;
        };
        let mut ack = vec![false; bits.len()];
        for (k, c) in self.in_range(cic, range) {
            if bits.get(usize::from(k)).copied().unwrap_or(false) {
                if let Some(a) = ack.get_mut(usize::from(k)) {
                    *a = true;
                }
                self.set_remote_blocked(c, kind, false);
            }
        }
        self.send(
            cic,
            Message::circuit_group(
                MessageType::Cgua,
                cgsmt(kind),
                RangeAndStatus::with_status_bits(range, &ack),
            ),
        );
    }

    fn find_group(&self, kind: GroupKind, cic: u16, range: u8) -> Option<u32> {
        self.groups
            .iter()
            .find(|(_, g)| g.kind == kind && g.cic == cic && g.range == range)
            .map(|(&id, _)| id)
    }

    /// CGBA received (Q.764 2.8.2.3 v, vii): circuits acknowledged are blocked; circuits
    /// asked for but not acknowledged are asked for again; circuits acknowledged but not asked
    /// for (or acknowledged with no CGB outstanding) that we do not block are unblocked with
    /// CGU, unless an unblocking of ours is already under way for them.
    pub(super) fn cgba_received(&mut self, now: Instant, cic: u16, m: &Message) {
        let Some((kind, range, bits)) = self.group_status(m) else {
            return;
        };
        let asked = match self.find_group(GroupKind::Block(kind), cic, range) {
            Some(id) => {
                self.timers.stop_owner(Owner::Group(id));
                self.groups.remove(&id).map(|g| g.status)
            }
            None => {
                // (a repeated CGB or CGU is answered twice)
                self.stats.unexpected_messages += 1;
                None
            }
        };
        let mut again = vec![false; bits.len()];
        let mut unblock = vec![false; bits.len()];
        let (mut any_again, mut any_unblock) = (false, false);
        for (k, c) in self.in_range(cic, range) {
            let i = usize::from(k);
            let acked = bits.get(i).copied().unwrap_or(false);
            let requested = asked
                .as_ref()
                .is_some_and(|s| s.get(i).copied().unwrap_or(false));
            let state = self.local_blocking(c, kind);
            match (requested, acked) {
                (true, true) => {
                    if state == LocalBlocking::AwaitingBlockingAck {
                        if let Some(b) = self.local_blocking_mut(c, kind) {
                            *b = LocalBlocking::Blocked;
                        }
                        self.emit(IsupEvent::Blocked {
                            cic: c,
                            side: Side::Local,
                            kind,
                        });
                    }
                }
                (true, false) => {
                    if state == LocalBlocking::AwaitingBlockingAck {
                        if let Some(a) = again.get_mut(i) {
                            *a = true;
                            any_again = true;
                        }
                    }
                }
                (false, true) => match state {
                    // blocked as we want it, by an acknowledgement of an earlier request
                    LocalBlocking::AwaitingBlockingAck => {
                        if let Some(b) = self.local_blocking_mut(c, kind) {
                            *b = LocalBlocking::Blocked;
                        }
                        self.emit(IsupEvent::Blocked {
                            cic: c,
                            side: Side::Local,
                            kind,
                        });
                    }
                    // an unblocking of ours is under way: its own repetition unblocks it
                    LocalBlocking::Blocked | LocalBlocking::AwaitingUnblockingAck => {}
                    LocalBlocking::Unblocked => {
                        if let Some(u) = unblock.get_mut(i) {
                            *u = true;
                            any_unblock = true;
                        }
                    }
                },
                (false, false) => {}
            }
        }
        if any_again {
            self.send_cgb(now, cic, range, kind, again);
        }
        if any_unblock {
            // these circuits are not blocked at our end: the far end must not keep them so
            self.send_cgu(now, cic, range, kind, unblock);
        }
    }

    /// CGUA received (Q.764 2.8.2.3 vi, viii): circuits acknowledged are unblocked; circuits
    /// asked for but not acknowledged are asked for again; a CGUA with no CGU outstanding
    /// restates our blocking of the circuits it names with CGB (unless a blocking of ours is
    /// already under way for them).
    pub(super) fn cgua_received(&mut self, now: Instant, cic: u16, m: &Message) {
        let Some((kind, range, bits)) = self.group_status(m) else {
            return;
        };
        let asked = match self.find_group(GroupKind::Unblock(kind), cic, range) {
            Some(id) => {
                self.timers.stop_owner(Owner::Group(id));
                self.groups.remove(&id).map(|g| g.status)
            }
            None => {
                // (a repeated CGB or CGU is answered twice)
                self.stats.unexpected_messages += 1;
                None
            }
        };
        let mut again = vec![false; bits.len()];
        let mut block = vec![false; bits.len()];
        let (mut any_again, mut any_block) = (false, false);
        for (k, c) in self.in_range(cic, range) {
            let i = usize::from(k);
            let acked = bits.get(i).copied().unwrap_or(false);
            let requested = asked
                .as_ref()
                .is_some_and(|s| s.get(i).copied().unwrap_or(false));
            let state = self.local_blocking(c, kind);
            match (requested, acked) {
                (true, true) => {
                    if state == LocalBlocking::AwaitingUnblockingAck {
                        if let Some(b) = self.local_blocking_mut(c, kind) {
                            *b = LocalBlocking::Unblocked;
                        }
                        if let Some(x) = self.circuits.get_mut(&c) {
                            x.idle_since = now;
                        }
                        self.emit(IsupEvent::Unblocked {
                            cic: c,
                            side: Side::Local,
                            kind,
                        });
                    }
                }
                (true, false) => {
                    if state == LocalBlocking::AwaitingUnblockingAck {
                        if let Some(a) = again.get_mut(i) {
                            *a = true;
                            any_again = true;
                        }
                    }
                }
                (false, true) => match state {
                    // unblocked as we want it, by an acknowledgement of an earlier request
                    LocalBlocking::AwaitingUnblockingAck => {
                        if let Some(b) = self.local_blocking_mut(c, kind) {
                            *b = LocalBlocking::Unblocked;
                        }
                        self.emit(IsupEvent::Unblocked {
                            cic: c,
                            side: Side::Local,
                            kind,
                        });
                    }
                    // a blocking of ours is under way: its own repetition blocks it
                    LocalBlocking::AwaitingBlockingAck => {}
                    LocalBlocking::Blocked => {
                        if let Some(b) = block.get_mut(i) {
                            *b = true;
                            any_block = true;
                        }
                    }
                    LocalBlocking::Unblocked => {}
                },
                (false, false) => {}
            }
        }
        if any_again {
            self.send_cgu(now, cic, range, kind, again);
        }
        if any_block {
            self.send_cgb(now, cic, range, kind, block);
        }
    }

    // ---- circuit group query (Q.764 2.8.3) ----

    /// Asks the far end for the state of `cic..=cic + range` with CQM (`range` 0 to 31; T28).
    /// The answer comes as [`IsupEvent::CircuitGroupQueryResponse`].
    pub fn query(&mut self, now: Instant, cic: u16, range: u8) -> Result<(), IsupError> {
        Self::check_range(MessageType::Cqm, range, 0, MAX_RANGE)?;
        if !self.circuits.contains_key(&cic) {
            return Err(IsupError::UnknownCic { cic });
        }
        let g = GroupProcedure {
            kind: GroupKind::Query,
            cic,
            range,
            status: Vec::new(),
        };
        let id = self.new_group(g);
        if let Some(message) = self.groups.get(&id).map(Self::group_message) {
            self.send(cic, message);
        }
        self.start(now, Owner::Group(id), Timer::T28);
        Ok(())
    }

    /// CQM received: CQR with the state of each circuit (Q.763 3.14; unequipped ones marked
    /// so).
    pub(super) fn cqm_received(&mut self, cic: u16, m: &Message) {
        let Some(range) = m.range_and_status().map(|rs| rs.range) else {
            return;
        };
        if range > MAX_RANGE {
            self.stats.unexpected_messages += 1;
            return;
        }
        let states: Vec<u8> = (0..=range)
            .map(|k| {
                offset(cic, k)
                    .and_then(|c| self.circuits.get(&c))
                    .map_or(0x03, |c| c.state_indicator())
            })
            .collect();
        self.send(
            cic,
            Message::new(
                MessageType::Cqr,
                vec![
                    Parameter::RangeAndStatus(RangeAndStatus::range(range)),
                    Parameter::CircuitStateIndicator(OctetString::new(&states)),
                ],
            ),
        );
    }

    /// CQR received for our CQM: stops T28, aligns the blocking states, reports the states.
    pub(super) fn cqr_received(&mut self, now: Instant, cic: u16, m: &Message) {
        let Some(range) = m.range_and_status().map(|rs| rs.range) else {
            return;
        };
        let Some(id) = self.find_group(GroupKind::Query, cic, range) else {
            self.stats.unexpected_messages += 1;
            return;
        };
        self.groups.remove(&id);
        self.timers.stop_owner(Owner::Group(id));
        let states = m
            .parameters()
            .iter()
            .find_map(|p| match p {
                Parameter::CircuitStateIndicator(o) => Some(o.octets.to_vec()),
                _ => None,
            })
            .unwrap_or_default()
            .into_iter()
            .map(|octet| CircuitStateIndicator { octet })
            .collect::<Vec<_>>();
        for (k, c) in self.in_range(cic, range) {
            if let Some(&s) = states.get(usize::from(k)) {
                self.align(now, c, s);
            }
        }
        self.emit(IsupEvent::CircuitGroupQueryResponse { cic, range, states });
    }

    /// Q.764 2.8.3: the far end's state of a circuit (from a CQR) compared with ours, and the
    /// blocking states aligned: its blocking is recorded as our remote blocking; a blocking of
    /// ours it does not know of is restated (BLO, hardware CGB); a blocking it believes we
    /// hold and we do not is removed (UBL, hardware CGU). Procedures under way are left to
    /// finish. Transient and unequipped states say nothing.
    fn align(&mut self, now: Instant, cic: u16, far: CircuitStateIndicator) {
        if far.is_transient() || far.is_unequipped() {
            return;
        }
        for kind in [BlockingKind::Maintenance, BlockingKind::Hardware] {
            let bits = match kind {
                BlockingKind::Maintenance => far.maintenance_blocking(),
                BlockingKind::Hardware => far.hardware_blocking(),
            };
            let (far_local, far_remote) = (bits & 1 != 0, bits & 2 != 0);
            self.set_remote_blocked(cic, kind, far_local);
            match (self.local_blocking(cic, kind), far_remote, kind) {
                (LocalBlocking::Blocked, false, BlockingKind::Maintenance) => {
                    self.send_blo(now, cic)
                }
                (LocalBlocking::Blocked, false, BlockingKind::Hardware) => {
                    self.restate_hardware_blocking(now, cic)
                }
                (LocalBlocking::Unblocked, true, BlockingKind::Maintenance) => {
                    self.send_ubl(now, cic)
                }
                (LocalBlocking::Unblocked, true, BlockingKind::Hardware) if cic < 0x0fff => {
                    self.send_cgu(now, cic, 1, kind, vec![true, false])
                }
                _ => {}
            }
        }
    }

    // ---- unequipped CIC (Q.764 2.12) ----

    /// A message for a CIC we do not have: UCIC (but never for a UCIC).
    pub(super) fn unequipped_cic(&mut self, cic: u16, t: MessageType) {
        self.stats.unequipped_cic_messages += 1;
        if t != MessageType::Ucic && cic <= 0x0fff {
            self.send(cic, Message::bare(MessageType::Ucic));
        }
    }

    /// UCIC received: the far end does not have the circuit. Maintenance is alerted, any call
    /// is cleared (and should be re-attempted elsewhere), every procedure on the circuit stops
    /// and it is taken out of service until [`Isup::reset`]. A blocking or unblocking of ours
    /// awaiting its acknowledgement ends in the state asked for (nothing is left waiting for
    /// an answer that cannot come; a blocking is restated after the reset's RLC).
    pub(super) fn ucic_received(&mut self, now: Instant, cic: u16) {
        self.maintenance_alert(Some(cic), MaintenanceAlert::UnequippedCircuit);
        let reattempt = self.circuits.get(&cic).is_some_and(|c| c.is_outgoing());
        self.end_call(now, cic, ReleaseReason::Unequipped, None, None, reattempt);
        self.timers.stop_owner(Owner::Circuit(cic));
        // the group blocking, unblocking and query procedures sent on this CIC are answered
        // by the UCIC: they end, with their circuits
        let headed: Vec<u32> = self
            .groups
            .iter()
            .filter(|(_, g)| g.cic == cic && g.kind != GroupKind::Reset)
            .map(|(&id, _)| id)
            .collect();
        let mut settle = vec![
            (cic, BlockingKind::Maintenance),
            (cic, BlockingKind::Hardware),
        ];
        for id in headed {
            self.timers.stop_owner(Owner::Group(id));
            let Some(g) = self.groups.remove(&id) else {
                continue;
            };
            if let GroupKind::Block(kind) | GroupKind::Unblock(kind) = g.kind {
                for (k, c) in self.in_range(g.cic, g.range) {
                    if g.status.get(usize::from(k)).copied().unwrap_or(false) {
                        settle.push((c, kind));
                    }
                }
            }
        }
        for (c, kind) in settle {
            self.withdraw(&[GroupKind::Block(kind), GroupKind::Unblock(kind)], c);
            self.end_blocking_procedure(c, kind);
        }
        if let Some(c) = self.circuits.get_mut(&cic) {
            c.clear_call(now);
            c.unequipped_remotely = true;
            c.reset = None;
            c.reset_group = None;
        }
    }

    /// A blocking or unblocking of ours that can get no acknowledgement ends in the state it
    /// asked for.
    fn end_blocking_procedure(&mut self, cic: u16, kind: BlockingKind) {
        if kind == BlockingKind::Maintenance {
            for t in [Timer::T12, Timer::T13, Timer::T14, Timer::T15] {
                self.stop(Owner::Circuit(cic), t);
            }
        }
        let Some(b) = self.local_blocking_mut(cic, kind) else {
            return;
        };
        let ended = match *b {
            LocalBlocking::AwaitingBlockingAck => LocalBlocking::Blocked,
            LocalBlocking::AwaitingUnblockingAck => LocalBlocking::Unblocked,
            settled => settled,
        };
        if std::mem::replace(b, ended) != ended {
            let side = Side::Local;
            self.emit(if ended == LocalBlocking::Blocked {
                IsupEvent::Blocked { cic, side, kind }
            } else {
                IsupEvent::Unblocked { cic, side, kind }
            });
        }
    }

    // ---- timers ----

    pub(super) fn csc_timer_expired(&mut self, now: Instant, cic: u16, timer: Timer) {
        let owner = Owner::Circuit(cic);
        let Some(c) = self.circuits.get(&cic) else {
            return;
        };
        let (maintenance, reset) = (c.local_maintenance, c.reset);
        match timer {
            // Q.764 2.9.4: BLO repeated every T12; at the first T13 expiry maintenance is
            // alerted and the repetition continues every T13
            Timer::T12 | Timer::T13 => {
                // (a BLO restating a blocking already acknowledged once is repeated too)
                if matches!(
                    maintenance,
                    LocalBlocking::AwaitingBlockingAck | LocalBlocking::Blocked
                ) {
                    if timer == Timer::T13 && self.stop(owner, Timer::T12) {
                        self.maintenance_alert(
                            Some(cic),
                            MaintenanceAlert::TimerExpired(Timer::T13),
                        );
                    }
                    self.send(cic, Message::bare(MessageType::Blo));
                    self.start(now, owner, timer);
                }
            }
            Timer::T14 | Timer::T15 if maintenance == LocalBlocking::AwaitingUnblockingAck => {
                if timer == Timer::T15 && self.stop(owner, Timer::T14) {
                    self.maintenance_alert(Some(cic), MaintenanceAlert::TimerExpired(Timer::T15));
                }
                self.send(cic, Message::bare(MessageType::Ubl));
                self.start(now, owner, timer);
            }
            // Q.764 2.9.3.1: RSC repeated every T16; at the first T17 expiry maintenance is
            // alerted and the repetition continues every T17
            Timer::T16 | Timer::T17 if reset == Some(ResetPending::Rsc) => {
                if timer == Timer::T17 && self.stop(owner, Timer::T16) {
                    self.maintenance_alert(Some(cic), MaintenanceAlert::TimerExpired(Timer::T17));
                }
                self.send(cic, Message::bare(MessageType::Rsc));
                self.start(now, owner, timer);
            }
            _ => {}
        }
    }

    pub(super) fn group_timer_expired(&mut self, now: Instant, id: u32, timer: Timer) {
        let Some(g) = self.groups.get(&id) else {
            return;
        };
        let owner = Owner::Group(id);
        let (cic, kind) = (g.cic, g.kind);
        let message = Self::group_message(g);
        let (short, long) = match kind {
            GroupKind::Reset => (Timer::T22, Timer::T23),
            GroupKind::Block(_) => (Timer::T18, Timer::T19),
            GroupKind::Unblock(_) => (Timer::T20, Timer::T21),
            GroupKind::Query => {
                // Q.764 2.8.3: no CQR within T28: maintenance alerted
                self.groups.remove(&id);
                self.maintenance_alert(Some(cic), MaintenanceAlert::TimerExpired(Timer::T28));
                return;
            }
        };
        // Q.764 2.9.3.2 and 2.9.4: the group message is repeated every short timer; at the
        // first long timer expiry maintenance is alerted and the repetition continues at the
        // long interval
        if timer == long && self.stop(owner, short) {
            self.maintenance_alert(Some(cic), MaintenanceAlert::TimerExpired(long));
        }
        self.send(cic, message);
        self.start(now, owner, timer);
    }
}
