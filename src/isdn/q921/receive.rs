//! Received frames: validity (Q.921 5.8.4), frame rejection (5.8.5) and the reaction of each
//! state of the SDL (annex B, figures B.4 to B.8) to each frame type.

use sipt_codecs::q921::{
    CommandResponse, Control, Frame, SupervisoryFunction, UnnumberedFunction, TEI_GROUP,
};

use super::{DlEvent, Lapd, MdlError, State, Timer};

/// Size of the information field of an FRMR response in modulo 128 operation (Q.921 3.6,
/// FRMR response).
const FRMR_INFORMATION_OCTETS: usize = 5;

/// A supervisory function this entity implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Supervisory {
    Rr,
    Rnr,
    Rej,
}

/// A received frame that passed the checks of 5.8.4 and 5.8.5, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Received {
    I {
        n_s: u8,
        n_r: u8,
        p: bool,
    },
    S {
        function: Supervisory,
        command: bool,
        n_r: u8,
        pf: bool,
    },
    Sabme {
        p: bool,
    },
    Disc {
        p: bool,
    },
    Ua {
        f: bool,
    },
    Dm {
        f: bool,
    },
    Frmr,
    Ui,
    Xid,
}

/// Classifies a frame sent by the peer, or names the frame rejection condition it raises
/// (Q.921 5.8.5: undefined frame or wrong C/R bit (L), information field where none is
/// allowed (M), wrong size (N), information field longer than N201 (O)).
fn classify(frame: &Frame, kind: CommandResponse, n201: usize) -> Result<Received, MdlError> {
    let command = kind == CommandResponse::Command;
    let info = frame.information.len();
    match frame.control {
        // I frames are always commands (Q.921 table 5).
        Control::I { n_s, n_r, p } => {
            if !command {
                Err(MdlError::L)
            } else if info > n201 {
                Err(MdlError::O)
            } else {
                Ok(Received::I { n_s, n_r, p })
            }
        }
        Control::S { function, n_r, pf } => {
            let function = match function {
                SupervisoryFunction::Rr => Supervisory::Rr,
                SupervisoryFunction::Rnr => Supervisory::Rnr,
                SupervisoryFunction::Rej => Supervisory::Rej,
                SupervisoryFunction::Unknown(_) => return Err(MdlError::L),
            };
            if info != 0 {
                // A supervisory frame has no information field: 4 octets, no more.
                return Err(MdlError::N);
            }
            Ok(Received::S {
                function,
                command,
                n_r,
                pf,
            })
        }
        Control::U { function, pf } => {
            // Q.921 table 5: which unnumbered frames are commands and which responses.
            let want_command = match function {
                UnnumberedFunction::Sabme | UnnumberedFunction::Disc | UnnumberedFunction::Ui => {
                    Some(true)
                }
                UnnumberedFunction::Ua | UnnumberedFunction::Dm | UnnumberedFunction::Frmr => {
                    Some(false)
                }
                UnnumberedFunction::Xid => None,
                UnnumberedFunction::Unknown(_) => return Err(MdlError::L),
            };
            if want_command.is_some_and(|w| w != command) {
                return Err(MdlError::L);
            }
            match function {
                UnnumberedFunction::Ui if info > n201 => Err(MdlError::O),
                UnnumberedFunction::Ui => Ok(Received::Ui),
                UnnumberedFunction::Xid => Ok(Received::Xid),
                UnnumberedFunction::Frmr if info < FRMR_INFORMATION_OCTETS => Err(MdlError::N),
                UnnumberedFunction::Frmr => Ok(Received::Frmr),
                _ if info != 0 => Err(MdlError::M),
                UnnumberedFunction::Sabme => Ok(Received::Sabme { p: pf }),
                UnnumberedFunction::Disc => Ok(Received::Disc { p: pf }),
                UnnumberedFunction::Ua => Ok(Received::Ua { f: pf }),
                UnnumberedFunction::Dm => Ok(Received::Dm { f: pf }),
                UnnumberedFunction::Unknown(_) => Err(MdlError::L),
            }
        }
    }
}

impl Lapd {
    /// One frame in, before the common follow-up of every input.
    pub(super) fn receive(&mut self, now: crate::time::Instant, octets: &[u8]) {
        // Q.921 5.8.4: an invalid frame is discarded without any action.
        let Ok(frame) = Frame::decode(octets) else {
            self.stats.invalid_frames += 1;
            return;
        };
        let broadcast = frame.address.tei == TEI_GROUP;
        if frame.address.sapi != self.config.sapi
            || (frame.address.tei != self.config.tei && !broadcast)
        {
            self.stats.other_address += 1;
            return;
        }
        // The broadcast data link carries UI frames only (Q.921 5.2).
        let is_ui = matches!(
            frame.control,
            Control::U {
                function: UnnumberedFunction::Ui,
                ..
            }
        );
        if broadcast && !is_ui {
            self.stats.other_address += 1;
            return;
        }
        self.stats.received.count(&frame.control);
        let kind = frame.command_response(self.config.role.peer());
        let received = match classify(&frame, kind, self.config.n201) {
            Ok(r) => r,
            Err(code) => {
                self.frame_rejection(now, code);
                return;
            }
        };
        match received {
            Received::I { n_s, n_r, p } => self.receive_i(now, n_s, n_r, p, frame.information),
            Received::S {
                function,
                command,
                n_r,
                pf,
            } => self.receive_supervisory(now, function, command, n_r, pf),
            Received::Sabme { p } => self.receive_sabme(now, p),
            Received::Disc { p } => self.receive_disc(now, p),
            Received::Ua { f } => self.receive_ua(now, f),
            Received::Dm { f } => self.receive_dm(now, f),
            Received::Frmr => self.receive_frmr(now),
            Received::Ui => {
                // Q.921 5.2.2: DL-UNIT-DATA-indication, in every state.
                self.stats.unit_data_indications += 1;
                self.events
                    .push_back(DlEvent::UnitDataIndication(frame.information));
            }
            Received::Xid => self.stats.xid_ignored += 1,
        }
    }

    /// Q.921 5.8.5: MDL-ERROR-indication; in multiple frame operation, re-establishment;
    /// otherwise the frame is discarded.
    fn frame_rejection(&mut self, now: crate::time::Instant, code: MdlError) {
        self.stats.rejected_frames += 1;
        self.mdl_error(code);
        if self.state.is_established() {
            self.re_establish(now);
        }
    }

    /// I frames (Q.921 5.6.2, 5.6.6, 5.8.1; figures B.7 and B.8).
    fn receive_i(&mut self, now: crate::time::Instant, n_s: u8, n_r: u8, p: bool, info: Vec<u8>) {
        if !self.state.is_established() {
            // "All other frame types shall be discarded" (5.5.4; figures B.4, B.5, B.6).
            return;
        }
        if self.own_receiver_busy {
            // 5.6.6: discard; a poll is answered with RNR, F = 1.
            if p {
                self.send_s(SupervisoryFunction::Rnr, CommandResponse::Response, true);
                self.acknowledge_pending = false;
            }
        } else if n_s == self.v_r {
            // 5.6.2: in sequence.
            self.v_r = super::add(self.v_r, 1);
            self.reject_exception = false;
            self.stats.data_indications += 1;
            self.events.push_back(DlEvent::DataIndication(info));
            if p {
                // 5.6.2.1
                self.send_s(SupervisoryFunction::Rr, CommandResponse::Response, true);
                self.acknowledge_pending = false;
            } else {
                // 5.6.2.2: acknowledged by the next I frame sent, or by RR if none follows.
                self.acknowledge_pending = true;
            }
        } else if self.reject_exception {
            // 5.8.1: only one REJ exception condition at a time.
            if p {
                self.send_s(SupervisoryFunction::Rr, CommandResponse::Response, true);
                self.acknowledge_pending = false;
            }
        } else {
            // 5.8.1: N(S) sequence error.
            self.reject_exception = true;
            self.send_s(SupervisoryFunction::Rej, CommandResponse::Response, p);
            self.acknowledge_pending = false;
        }
        // 5.6.3.2: N(R) acknowledges, even in own receiver busy or timer recovery.
        if !self.n_r_valid(n_r) {
            self.nr_error_recovery(now);
            return;
        }
        if self.state == State::TimerRecovery || self.peer_receiver_busy {
            // 5.6.3.2 note 2: T200 is not reset while the peer is busy.
            self.update_v_a(n_r);
        } else {
            self.acknowledge_with_timers(now, n_r);
        }
    }

    /// In multiple frame established: V(A) = N(R); all acknowledged: stop T200, restart T203;
    /// some acknowledged: restart T200 (Q.921 5.6.3.2).
    fn acknowledge_with_timers(&mut self, now: crate::time::Instant, n_r: u8) {
        if n_r == self.v_s {
            self.update_v_a(n_r);
            self.timers.stop(Timer::T200.slot());
            self.start_timer(now, Timer::T203);
        } else if n_r != self.v_a {
            self.update_v_a(n_r);
            self.start_timer(now, Timer::T200);
        }
    }

    /// RR, RNR and REJ (Q.921 5.6.3 to 5.6.5, 5.6.7; figures B.7 and B.8).
    fn receive_supervisory(
        &mut self,
        now: crate::time::Instant,
        function: Supervisory,
        command: bool,
        n_r: u8,
        pf: bool,
    ) {
        if !self.state.is_established() {
            return;
        }
        // 5.6.4, 5.6.5: RR and REJ clear the peer receiver busy condition, RNR sets it.
        self.peer_receiver_busy = function == Supervisory::Rnr;
        if command && pf {
            self.enquiry_response();
        }
        if self.state == State::MultipleFrameEstablished {
            if !command && pf {
                // 5.8.7, table 7: a response with F = 1 nobody asked for.
                self.mdl_error(MdlError::A);
            }
            if !self.n_r_valid(n_r) {
                self.nr_error_recovery(now);
                return;
            }
            match function {
                Supervisory::Rr => self.acknowledge_with_timers(now, n_r),
                Supervisory::Rej => {
                    // 5.6.4 a)
                    self.update_v_a(n_r);
                    self.timers.stop(Timer::T200.slot());
                    self.start_timer(now, Timer::T203);
                    self.invoke_retransmission(n_r);
                }
                Supervisory::Rnr => {
                    // 5.6.5: T200 runs the enquiry process while the peer is busy.
                    self.update_v_a(n_r);
                    self.timers.stop(Timer::T203.slot());
                    self.start_timer(now, Timer::T200);
                }
            }
            return;
        }
        // Timer recovery: only a response with F = 1 ends it (5.6.7).
        if !self.n_r_valid(n_r) {
            self.nr_error_recovery(now);
            return;
        }
        self.update_v_a(n_r);
        if !command && pf {
            match function {
                Supervisory::Rr | Supervisory::Rej => {
                    self.timers.stop(Timer::T200.slot());
                    self.start_timer(now, Timer::T203);
                }
                // 5.6.7: reset and restart T200 to go on with the enquiry (5.6.5).
                Supervisory::Rnr => self.start_timer(now, Timer::T200),
            }
            self.invoke_retransmission(n_r);
            self.rc = 0;
            self.state = State::MultipleFrameEstablished;
        }
    }

    /// SABME (Q.921 5.5.1.2, 5.5.5, 5.7).
    fn receive_sabme(&mut self, now: crate::time::Instant, p: bool) {
        match self.state {
            State::TeiAssigned => {
                if self.config.able_to_establish {
                    self.send_u(
                        UnnumberedFunction::Ua,
                        CommandResponse::Response,
                        p,
                        Vec::new(),
                    );
                    self.clear_exception_conditions();
                    self.events.push_back(DlEvent::EstablishIndication);
                    self.enter_multiple_frame_established(now);
                } else {
                    self.send_u(
                        UnnumberedFunction::Dm,
                        CommandResponse::Response,
                        p,
                        Vec::new(),
                    );
                }
            }
            // 5.5.5.1: identical commands crossed; the UA of the peer completes ours.
            State::AwaitingEstablishment => self.send_u(
                UnnumberedFunction::Ua,
                CommandResponse::Response,
                p,
                Vec::new(),
            ),
            // 5.5.5.2: different commands crossed.
            State::AwaitingRelease => self.send_u(
                UnnumberedFunction::Dm,
                CommandResponse::Response,
                p,
                Vec::new(),
            ),
            // 5.7: peer initiated re-establishment. Layer 3 hears of it only when I frames
            // may have been lost (V(S) != V(A)); then the I queue goes with them (5.7.2).
            State::MultipleFrameEstablished | State::TimerRecovery => {
                self.send_u(
                    UnnumberedFunction::Ua,
                    CommandResponse::Response,
                    p,
                    Vec::new(),
                );
                self.clear_exception_conditions();
                self.mdl_error(MdlError::F);
                if self.v_s != self.v_a {
                    self.discard_i_queue();
                    self.events.push_back(DlEvent::EstablishIndication);
                }
                self.stats.re_establishments += 1;
                self.enter_multiple_frame_established(now);
            }
        }
    }

    /// DISC (Q.921 5.5.3.2, 5.5.4, 5.5.5).
    fn receive_disc(&mut self, now: crate::time::Instant, p: bool) {
        match self.state {
            // 5.5.4; 5.5.5.2 (different commands crossed).
            State::TeiAssigned | State::AwaitingEstablishment => self.send_u(
                UnnumberedFunction::Dm,
                CommandResponse::Response,
                p,
                Vec::new(),
            ),
            // 5.5.5.1: identical commands crossed.
            State::AwaitingRelease => self.send_u(
                UnnumberedFunction::Ua,
                CommandResponse::Response,
                p,
                Vec::new(),
            ),
            State::MultipleFrameEstablished | State::TimerRecovery => {
                self.discard_i_queue();
                self.send_u(
                    UnnumberedFunction::Ua,
                    CommandResponse::Response,
                    p,
                    Vec::new(),
                );
                self.events.push_back(DlEvent::ReleaseIndication);
                self.enter_tei_assigned(now, true);
            }
        }
    }

    /// UA (Q.921 5.5.1.2, 5.5.3.2, 5.8.7).
    fn receive_ua(&mut self, now: crate::time::Instant, f: bool) {
        match self.state {
            State::TeiAssigned | State::MultipleFrameEstablished | State::TimerRecovery => {
                self.mdl_error(if f { MdlError::C } else { MdlError::D });
            }
            State::AwaitingEstablishment | State::AwaitingRelease if !f => {
                self.mdl_error(MdlError::D)
            }
            State::AwaitingEstablishment => {
                if self.layer3_initiated {
                    self.events.push_back(DlEvent::EstablishConfirm);
                } else if self.v_s != self.v_a {
                    // 5.7.2: re-established with I frames possibly lost.
                    self.discard_i_queue();
                    self.events.push_back(DlEvent::EstablishIndication);
                }
                self.enter_multiple_frame_established(now);
            }
            State::AwaitingRelease => {
                self.events.push_back(DlEvent::ReleaseConfirm);
                self.enter_tei_assigned(now, false);
            }
        }
    }

    /// DM (Q.921 5.5.1.2, 5.5.3.2, 5.5.4, 5.8.7).
    fn receive_dm(&mut self, now: crate::time::Instant, f: bool) {
        match self.state {
            // 5.5.4: an unsolicited DM with F = 0 asks for establishment.
            State::TeiAssigned => {
                if !f && self.config.able_to_establish {
                    self.start_establishment(now);
                }
            }
            // The peer refuses establishment; 5.5.5.3: DM with F = 0 is ignored here.
            State::AwaitingEstablishment => {
                if f {
                    self.discard_i_queue();
                    self.events.push_back(DlEvent::ReleaseIndication);
                    self.enter_tei_assigned(now, true);
                }
            }
            State::AwaitingRelease => {
                if f {
                    self.events.push_back(DlEvent::ReleaseConfirm);
                    self.enter_tei_assigned(now, false);
                }
            }
            State::MultipleFrameEstablished => {
                if f {
                    self.mdl_error(MdlError::B);
                } else {
                    self.mdl_error(MdlError::E);
                    self.re_establish(now);
                }
            }
            // 5.7.1: any DM in timer recovery re-establishes.
            State::TimerRecovery => {
                self.mdl_error(if f { MdlError::B } else { MdlError::E });
                self.re_establish(now);
            }
        }
    }

    /// FRMR (Q.921 5.8.6): in multiple frame operation, MDL-ERROR (K) and re-establishment;
    /// otherwise ignored.
    fn receive_frmr(&mut self, now: crate::time::Instant) {
        if self.state.is_established() {
            self.mdl_error(MdlError::K);
            self.re_establish(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sipt_codecs::q921::Role;

    fn frame(octets: &[u8]) -> Frame {
        Frame::decode(octets).unwrap()
    }

    #[test]
    fn classification_follows_table_5_and_5_8_5() {
        // From the network side: commands carry C/R = 1.
        let net = Role::Network;
        let cr = |f: &Frame| f.command_response(net);
        let sabme = frame(&[0x02, 0x01, 0x7f]);
        assert_eq!(
            classify(&sabme, cr(&sabme), 260),
            Ok(Received::Sabme { p: true })
        );
        // SABME as a response: not implemented (L).
        let sabme_r = frame(&[0x00, 0x01, 0x7f]);
        assert_eq!(classify(&sabme_r, cr(&sabme_r), 260), Err(MdlError::L));
        // UA with an information field (M).
        let ua = frame(&[0x00, 0x01, 0x73, 0x00]);
        assert_eq!(classify(&ua, cr(&ua), 260), Err(MdlError::M));
        // RR with an information field (N).
        let rr = frame(&[0x02, 0x01, 0x01, 0x00, 0x55]);
        assert_eq!(classify(&rr, cr(&rr), 260), Err(MdlError::N));
        // I frame longer than N201 (O), and sent as a response (L).
        let i = frame(&[0x02, 0x01, 0x00, 0x00, 1, 2, 3]);
        assert_eq!(classify(&i, cr(&i), 2), Err(MdlError::O));
        let i_r = frame(&[0x00, 0x01, 0x00, 0x00, 1]);
        assert_eq!(classify(&i_r, cr(&i_r), 260), Err(MdlError::L));
        // Undefined supervisory and unnumbered functions (L).
        let s = frame(&[0x02, 0x01, 0x0d, 0x00]);
        assert_eq!(classify(&s, cr(&s), 260), Err(MdlError::L));
        let u = frame(&[0x02, 0x01, 0x2f]);
        assert_eq!(classify(&u, cr(&u), 260), Err(MdlError::L));
        // FRMR too short (N).
        let frmr = frame(&[0x00, 0x01, 0x87, 1, 2]);
        assert_eq!(classify(&frmr, cr(&frmr), 260), Err(MdlError::N));
    }
}
