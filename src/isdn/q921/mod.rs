//! Q.921 (LAPD): one data link of a D-channel as a sans-IO state machine.
//!
//! A [`Lapd`] is the data link layer entity of one point-to-point data link connection, the one
//! of a primary rate / QSIG signalling link: SAPI 0 (call control, Q.921 3.3.3) and a fixed TEI
//! (0 by default). Because the TEI is fixed, there is no TEI management (Q.921 5.3, SAPI 63):
//! the entity starts in, and never leaves, the states in which a TEI is assigned — 4 "TEI
//! assigned", 5 "awaiting establishment", 6 "awaiting release", 7 "multiple frame established"
//! and 8 "timer recovery" of the SDL of Q.921 annex B ([`State`]); frames of SAPI 63 are
//! discarded like any other frame not addressed to this data link.
//!
//! The procedures are those of Q.921 clause 5 and its SDL:
//! - unacknowledged information transfer with UI frames (5.2; [`Lapd::unit_data`],
//!   [`DlEvent::UnitDataIndication`]);
//! - establishment with SABME/UA (or DM), release with DISC/UA, collisions (5.5);
//! - I frames numbered modulo 128 with V(S), V(A), V(R), a window of `k` outstanding frames,
//!   RR/RNR/REJ, P/F, the own and peer receiver busy conditions (5.6);
//! - T200 with N200 retransmissions and the timer recovery condition, T203 idle supervision
//!   (5.6.7, 5.9);
//! - re-establishment after errors (5.7) and the exception conditions with their MDL-ERROR
//!   codes A to O of Q.921 appendix II, table II.1 (5.8; [`MdlError`]).
//!
//! Q.921 does not transmit FRMR (unlike LAPB): a frame rejection condition is reported with
//! MDL-ERROR-indication and, in multiple frame operation, the data link is re-established
//! (5.8.5); a received FRMR does the same (5.8.6).
//!
//! Sans-IO (STYLE.md): the entity takes frames ([`Lapd::handle_frame`]), timer expiries
//! ([`Lapd::handle_timeout`]) and layer 3 requests, each with the current time, and returns
//! frames to send ([`Lapd::poll_transmit`]), primitives for layer 3 and the connection
//! management entity ([`Lapd::poll_event`]) and its next deadline ([`Lapd::poll_timeout`]).
//! It reads no clock and owns no I/O. Frames are the octets between the flags without the FCS,
//! as the `frames` and `serial` transports hand them up and take them down.
//!
//! ```
//! use sipt_codecs::q921::Role;
//! use sipt_mgc::isdn::q921::{Config, DlEvent, Lapd, State};
//! use sipt_mgc::time::Instant;
//!
//! let mut lapd = Lapd::new(Config::new(Role::User)).unwrap();
//! lapd.establish(Instant::ZERO); // DL-ESTABLISH-request
//! let mut frame = Vec::new();
//! assert!(lapd.poll_transmit(Instant::ZERO, &mut frame));
//! assert_eq!(frame, [0x00, 0x01, 0x7f]); // SABME, P = 1, a command from the user side
//! assert_eq!(lapd.poll_timeout(), Some(Instant::from_millis(1000))); // T200
//! lapd.handle_frame(Instant::from_millis(8), &[0x00, 0x01, 0x73]); // UA, F = 1
//! assert_eq!(lapd.poll_event(), Some(DlEvent::EstablishConfirm));
//! assert_eq!(lapd.state(), State::MultipleFrameEstablished);
//! lapd.data(Instant::from_millis(9), vec![0x08, 0x02, 0x00, 0x01, 0x05]).unwrap();
//! frame.clear();
//! assert!(lapd.poll_transmit(Instant::from_millis(9), &mut frame));
//! assert_eq!(frame[..4], [0x00, 0x01, 0x00, 0x00]); // I frame, N(S) = 0, N(R) = 0
//! ```
//!
//! Where the SDL leaves a choice or where this implementation departs from it, the place says
//! so; the list:
//! - on T200 expiry with I frames outstanding, the entity polls with an RR (RNR) command with
//!   P = 1 rather than retransmitting the last I frame with P = 1 (5.6.7 a) allows either;
//!   libpri does the same);
//! - a DL-DATA-request is queued in every state but "awaiting release": in "TEI assigned" it
//!   also starts establishment as if layer 3 had asked (DL-ESTABLISH-confirm follows), and in
//!   "awaiting establishment" it is queued even when layer 3 initiated the establishment (the
//!   SDL discards it there); in "awaiting release" it is refused ([`RequestError::Releasing`]);
//! - DL-RELEASE-request in "awaiting establishment" and DL-ESTABLISH-request in "awaiting
//!   release" are saved until the state changes (the SDL's "save" of a signal);
//! - `Config::keep_up`: when set, the entity re-establishes a data link that went down without
//!   a DL-RELEASE-request after the given delay, acting for layer 3 as libpri's "layer 2
//!   persistence" does on point-to-point links. Q.921 leaves this to layer 3 and management.
//!
//! libpri (q921.c) as the peer, on a point-to-point link: SAPI 0, TEI 0; it sends SABME
//! (P = 1) as soon as it starts, whatever its role, so both sides starting at once is the
//! collision of 5.5.5.1, which this entity completes; it checks the C/R bit of a SABME and
//! ignores one from its own side, so the roles must differ; T200 = 1 s, N200 = 3, T203 = 10 s,
//! k = 7, and no N201 check (it sends and takes up to about 1 kbyte); on T200 and T203 it polls
//! with an RR command, P = 1, and never retransmits an I frame with P = 1 nor sends RNR; after
//! the data link went down it starts establishment again after T200 (its default "keep up"),
//! even after a DISC of ours.

mod receive;

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use sipt_codecs::q921::{
    CommandResponse, Control, Frame, Role, SupervisoryFunction, UnnumberedFunction,
};
use thiserror::Error;

use crate::time::{Instant, TimerTable};

/// Default T200, the retransmission timer: 1 second (Q.921 5.9.1).
pub const DEFAULT_T200: Duration = Duration::from_secs(1);
/// Default T203, the maximum time without frames exchanged: 10 seconds (Q.921 5.9.8).
pub const DEFAULT_T203: Duration = Duration::from_secs(10);
/// Default N200, the maximum number of retransmissions of a frame: 3 (Q.921 5.9.2).
pub const DEFAULT_N200: u8 = 3;
/// Default N201, the maximum number of octets in an information field: 260 for SAPI 0
/// (Q.921 5.9.3).
pub const DEFAULT_N201: usize = 260;
/// Default k, the maximum number of outstanding I frames, for SAPI 0 on a 64 kbit/s (primary
/// rate) D-channel: 7 (Q.921 5.9.5; 1 would be the basic access value).
pub const DEFAULT_K: u8 = 7;

/// Sequence numbers count modulo 128 in multiple frame operation (Q.921 3.5).
const MODULUS: u8 = 128;

/// The parameters of one data link (Q.921 5.9 and the interface's side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Which side of the interface this entity is: it decides the C/R bit of every command and
    /// response (Q.921 3.3.2, table 1). The peer must be configured with the other role
    /// (libpri refuses a SABME from its own side).
    pub role: Role,
    /// SAPI of the data link: 0, call control procedures (Q.921 3.3.3).
    pub sapi: u8,
    /// The fixed TEI of the data link: 0 on a primary rate / QSIG link (a TEI of the range
    /// 0-63 that is not assigned automatically, Q.921 3.3.4); the group TEI 127 is not
    /// allowed.
    pub tei: u8,
    /// T200.
    pub t200: Duration,
    /// T203.
    pub t203: Duration,
    /// N200.
    pub n200: u8,
    /// N201: the longest information field sent or accepted.
    pub n201: usize,
    /// k: the window, 1 to 127.
    pub k: u8,
    /// The SDL's "able to establish": whether a SABME (or an unsolicited DM with F = 0) in
    /// "TEI assigned" establishes the data link (UA) or is refused (DM).
    pub able_to_establish: bool,
    /// After a data link went down without a DL-RELEASE-request (peer DISC, DM, N200 failures
    /// of establishment), start establishment again after this delay. `None`: stay down until
    /// layer 3 asks (plain Q.921).
    pub keep_up: Option<Duration>,
}

impl Config {
    /// A data link of `role`, SAPI 0, TEI 0, with the default values of Q.921 5.9 for a 64
    /// kbit/s D-channel.
    pub fn new(role: Role) -> Config {
        Config {
            role,
            sapi: sipt_codecs::q921::SAPI_CALL_CONTROL,
            tei: 0,
            t200: DEFAULT_T200,
            t203: DEFAULT_T203,
            n200: DEFAULT_N200,
            n201: DEFAULT_N201,
            k: DEFAULT_K,
            able_to_establish: true,
            keep_up: None,
        }
    }

    /// Checks the parameters' ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.sapi > 63 {
            return Err(ConfigError::Sapi(self.sapi));
        }
        if self.tei >= sipt_codecs::q921::TEI_GROUP {
            return Err(ConfigError::Tei(self.tei));
        }
        if self.k == 0 || self.k >= MODULUS {
            return Err(ConfigError::Window(self.k));
        }
        if self.n201 == 0 {
            return Err(ConfigError::N201);
        }
        let zero = |d: Duration| d.is_zero();
        if zero(self.t200) {
            return Err(ConfigError::ZeroTimer("T200"));
        }
        if zero(self.t203) {
            return Err(ConfigError::ZeroTimer("T203"));
        }
        if self.keep_up.is_some_and(zero) {
            return Err(ConfigError::ZeroTimer("keep_up"));
        }
        Ok(())
    }
}

/// A [`Config`] that cannot work.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("SAPI {0} out of range 0-63")]
    Sapi(u8),
    #[error("TEI {0} is not a point-to-point TEI (0-126)")]
    Tei(u8),
    #[error("window k = {0} out of range 1-127")]
    Window(u8),
    #[error("N201 must be at least 1")]
    N201,
    #[error("{0} must be longer than zero")]
    ZeroTimer(&'static str),
}

/// A layer 3 request that cannot be carried out.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RequestError {
    /// The message is longer than N201 octets (Q.921 5.9.3).
    #[error("message of {len} octets exceeds N201 = {n201}")]
    TooLong { len: usize, n201: usize },
    /// DL-DATA-request while the data link is being released.
    #[error("data link is being released")]
    Releasing,
}

/// The states of a data link with an assigned TEI (Q.921 annex B; the numbers are the
/// SDL's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// 4: TEI assigned (no multiple frame operation).
    TeiAssigned,
    /// 5: awaiting establishment (SABME sent).
    AwaitingEstablishment,
    /// 6: awaiting release (DISC sent).
    AwaitingRelease,
    /// 7: multiple frame established.
    MultipleFrameEstablished,
    /// 8: timer recovery.
    TimerRecovery,
}

impl State {
    /// The state's number in the SDL.
    pub fn number(self) -> u8 {
        match self {
            State::TeiAssigned => 4,
            State::AwaitingEstablishment => 5,
            State::AwaitingRelease => 6,
            State::MultipleFrameEstablished => 7,
            State::TimerRecovery => 8,
        }
    }

    /// The state's name in the SDL.
    pub fn name(self) -> &'static str {
        match self {
            State::TeiAssigned => "TEI assigned",
            State::AwaitingEstablishment => "awaiting establishment",
            State::AwaitingRelease => "awaiting release",
            State::MultipleFrameEstablished => "multiple frame established",
            State::TimerRecovery => "timer recovery",
        }
    }

    /// Whether the data link is in multiple frame operation (states 7 and 8).
    pub fn is_established(self) -> bool {
        matches!(self, State::MultipleFrameEstablished | State::TimerRecovery)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.number(), self.name())
    }
}

/// The MDL-ERROR-indication codes of Q.921 appendix II, table II.1 (the management entity's
/// view of exception conditions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MdlError {
    /// A: unsolicited supervisory response with F = 1.
    A,
    /// B: unsolicited DM response with F = 1.
    B,
    /// C: unsolicited UA response with F = 1.
    C,
    /// D: unsolicited UA response with F = 0.
    D,
    /// E: DM response with F = 0 in multiple frame operation (peer initiated re-establishment).
    E,
    /// F: SABME in multiple frame operation (peer initiated re-establishment).
    F,
    /// G: SABME unanswered after N200 retransmissions.
    G,
    /// H: DISC unanswered after N200 retransmissions.
    H,
    /// I: status enquiry unanswered after N200 retransmissions.
    I,
    /// J: N(R) sequence error.
    J,
    /// K: FRMR response received.
    K,
    /// L: frame not implemented (undefined control field, or a command/response not allowed
    /// for the frame type).
    L,
    /// M: information field not permitted.
    M,
    /// N: frame of wrong size.
    N,
    /// O: information field longer than N201.
    O,
}

/// The kinds of error of table II.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MdlErrorType {
    /// Receipt of an unsolicited response (A to D).
    UnsolicitedResponse,
    /// Peer initiated re-establishment (E, F).
    PeerInitiatedReEstablishment,
    /// Unsuccessful retransmission, N200 times (G to I).
    UnsuccessfulRetransmission,
    /// Other (J to O).
    Other,
}

impl MdlError {
    /// All codes, in order.
    pub const ALL: [MdlError; 15] = [
        MdlError::A,
        MdlError::B,
        MdlError::C,
        MdlError::D,
        MdlError::E,
        MdlError::F,
        MdlError::G,
        MdlError::H,
        MdlError::I,
        MdlError::J,
        MdlError::K,
        MdlError::L,
        MdlError::M,
        MdlError::N,
        MdlError::O,
    ];

    /// The letter of table II.1.
    pub fn code(self) -> char {
        match self {
            MdlError::A => 'A',
            MdlError::B => 'B',
            MdlError::C => 'C',
            MdlError::D => 'D',
            MdlError::E => 'E',
            MdlError::F => 'F',
            MdlError::G => 'G',
            MdlError::H => 'H',
            MdlError::I => 'I',
            MdlError::J => 'J',
            MdlError::K => 'K',
            MdlError::L => 'L',
            MdlError::M => 'M',
            MdlError::N => 'N',
            MdlError::O => 'O',
        }
    }

    /// Position in [`MdlError::ALL`].
    pub fn index(self) -> usize {
        usize::from(self.code() as u8 - b'A')
    }

    /// The error condition of table II.1.
    pub fn description(self) -> &'static str {
        match self {
            MdlError::A => "supervisory frame (F = 1) received unsolicited",
            MdlError::B => "DM (F = 1) received unsolicited",
            MdlError::C => "UA (F = 1) received unsolicited",
            MdlError::D => "UA (F = 0) received unsolicited",
            MdlError::E => "DM (F = 0) received: peer initiated re-establishment",
            MdlError::F => "SABME received: peer initiated re-establishment",
            MdlError::G => "SABME unanswered N200 times",
            MdlError::H => "DISC unanswered N200 times",
            MdlError::I => "status enquiry unanswered N200 times",
            MdlError::J => "N(R) sequence error",
            MdlError::K => "FRMR received",
            MdlError::L => "frame not implemented",
            MdlError::M => "information field not permitted",
            MdlError::N => "frame of wrong size",
            MdlError::O => "information field longer than N201",
        }
    }

    /// The kind of error.
    pub fn error_type(self) -> MdlErrorType {
        match self {
            MdlError::A | MdlError::B | MdlError::C | MdlError::D => {
                MdlErrorType::UnsolicitedResponse
            }
            MdlError::E | MdlError::F => MdlErrorType::PeerInitiatedReEstablishment,
            MdlError::G | MdlError::H | MdlError::I => MdlErrorType::UnsuccessfulRetransmission,
            _ => MdlErrorType::Other,
        }
    }
}

impl fmt::Display for MdlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MDL-ERROR ({}): {}", self.code(), self.description())
    }
}

/// What the data link tells layer 3 (DL primitives) and the connection management entity
/// (MDL-ERROR-indication), Q.921 4.1.1 and 5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DlEvent {
    /// DL-ESTABLISH-indication: multiple frame operation set up by the peer, or re-established
    /// with I frames possibly lost (5.7.2).
    EstablishIndication,
    /// DL-ESTABLISH-confirm: multiple frame operation set up as layer 3 asked.
    EstablishConfirm,
    /// DL-RELEASE-indication: multiple frame operation ended (or could not be set up) without
    /// layer 3 asking.
    ReleaseIndication,
    /// DL-RELEASE-confirm: ended as layer 3 asked.
    ReleaseConfirm,
    /// DL-DATA-indication: the information field of an I frame (a Q.931 message), in order,
    /// each exactly once.
    DataIndication(Vec<u8>),
    /// DL-UNIT-DATA-indication: the information field of a UI frame.
    UnitDataIndication(Vec<u8>),
    /// MDL-ERROR-indication.
    MdlErrorIndication(MdlError),
}

/// The timers of a data link (slots of its [`TimerTable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// T200: waiting for an acknowledgement or response (Q.921 5.9.1).
    T200,
    /// T203: maximum time without frames exchanged (Q.921 5.9.8).
    T203,
    /// The `Config::keep_up` delay before establishing again (not a Q.921 timer).
    Restart,
}

impl Timer {
    const ALL: [Timer; 3] = [Timer::T200, Timer::T203, Timer::Restart];

    fn slot(self) -> usize {
        match self {
            Timer::T200 => 0,
            Timer::T203 => 1,
            Timer::Restart => 2,
        }
    }
}

/// Frames counted by type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameCounts {
    pub i: u64,
    pub rr: u64,
    pub rnr: u64,
    pub rej: u64,
    pub sabme: u64,
    pub dm: u64,
    pub ui: u64,
    pub disc: u64,
    pub ua: u64,
    pub frmr: u64,
    pub xid: u64,
    /// Undefined control fields.
    pub unknown: u64,
}

impl FrameCounts {
    fn count(&mut self, control: &Control) {
        let c = match *control {
            Control::I { .. } => &mut self.i,
            Control::S { function, .. } => match function {
                SupervisoryFunction::Rr => &mut self.rr,
                SupervisoryFunction::Rnr => &mut self.rnr,
                SupervisoryFunction::Rej => &mut self.rej,
                SupervisoryFunction::Unknown(_) => &mut self.unknown,
            },
            Control::U { function, .. } => match function {
                UnnumberedFunction::Sabme => &mut self.sabme,
                UnnumberedFunction::Dm => &mut self.dm,
                UnnumberedFunction::Ui => &mut self.ui,
                UnnumberedFunction::Disc => &mut self.disc,
                UnnumberedFunction::Ua => &mut self.ua,
                UnnumberedFunction::Frmr => &mut self.frmr,
                UnnumberedFunction::Xid => &mut self.xid,
                UnnumberedFunction::Unknown(_) => &mut self.unknown,
            },
        };
        *c += 1;
    }

    /// All frames counted.
    pub fn total(&self) -> u64 {
        self.i
            + self.rr
            + self.rnr
            + self.rej
            + self.sabme
            + self.dm
            + self.ui
            + self.disc
            + self.ua
            + self.frmr
            + self.xid
            + self.unknown
    }
}

/// Statistics of a data link.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames sent, by type (I frames counted once per transmission).
    pub sent: FrameCounts,
    /// Frames received for this data link, by type.
    pub received: FrameCounts,
    pub octets_sent: u64,
    pub octets_received: u64,
    /// I frames sent again (after REJ or timer recovery).
    pub i_frames_retransmitted: u64,
    /// DL-DATA-requests accepted.
    pub data_requests: u64,
    /// DL-DATA-requests discarded with the I queue (release, re-establishment with loss).
    pub data_requests_discarded: u64,
    /// DL-DATA-indications given.
    pub data_indications: u64,
    /// DL-UNIT-DATA-indications given.
    pub unit_data_indications: u64,
    /// Invalid frames discarded without action (Q.921 5.8.4: too short, bad address field).
    pub invalid_frames: u64,
    /// Frames for another SAPI or TEI (including TEI management, SAPI 63), discarded.
    pub other_address: u64,
    /// Frames rejected (Q.921 5.8.5: undefined, wrong size or C/R, too long).
    pub rejected_frames: u64,
    /// XID frames ignored (parameter negotiation, Q.921 5.4, is not implemented).
    pub xid_ignored: u64,
    pub t200_expiries: u64,
    pub t203_expiries: u64,
    /// Entries into multiple frame operation (establishment and re-establishment).
    pub establishments: u64,
    /// Re-establishments begun or accepted (Q.921 5.7).
    pub re_establishments: u64,
    /// Frames that could not be encoded (never expected).
    pub encode_errors: u64,
    /// MDL-ERROR-indications by code, in the order of [`MdlError::ALL`].
    pub mdl_errors: [u64; 15],
}

impl Stats {
    /// How many MDL-ERROR-indications with `code` were given.
    pub fn mdl_error_count(&self, code: MdlError) -> u64 {
        self.mdl_errors.get(code.index()).copied().unwrap_or(0)
    }
}

/// The state variables and conditions of multiple frame operation (Q.921 3.5, 5.6), for
/// inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variables {
    /// V(S): the N(S) of the next new I frame.
    pub v_s: u8,
    /// V(A): the N(S) of the oldest unacknowledged I frame.
    pub v_a: u8,
    /// V(R): the N(S) expected next.
    pub v_r: u8,
    /// RC: the retransmission counter.
    pub rc: u8,
    pub own_receiver_busy: bool,
    pub peer_receiver_busy: bool,
    pub reject_exception: bool,
}

/// A layer 3 request kept (the SDL's "save") until the state changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Saved {
    /// DL-RELEASE-request in awaiting establishment.
    Release,
    /// DL-ESTABLISH-request in awaiting release.
    Establish,
}

/// One LAPD data link layer entity (point-to-point, fixed TEI).
#[derive(Debug, Clone)]
pub struct Lapd {
    config: Config,
    state: State,
    v_s: u8,
    v_a: u8,
    v_r: u8,
    rc: u8,
    layer3_initiated: bool,
    own_receiver_busy: bool,
    peer_receiver_busy: bool,
    reject_exception: bool,
    acknowledge_pending: bool,
    /// The I queue: first the I frames sent and not yet acknowledged (V(A) to V(S) - 1), then
    /// the ones waiting to be sent.
    i_queue: VecDeque<Vec<u8>>,
    /// How many frames at the front of the I queue have been sent at least once (so that
    /// sending one of them again counts as a retransmission).
    ever_sent: usize,
    saved: Option<Saved>,
    timers: TimerTable<3>,
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<DlEvent>,
    stats: Stats,
}

/// `a + b` modulo 128.
fn add(a: u8, b: u8) -> u8 {
    a.wrapping_add(b) % MODULUS
}

/// `a - b` modulo 128.
fn sub(a: u8, b: u8) -> u8 {
    a.wrapping_sub(b) % MODULUS
}

impl Lapd {
    /// A data link in state 4, "TEI assigned", with nothing to send.
    pub fn new(config: Config) -> Result<Lapd, ConfigError> {
        config.validate()?;
        Ok(Lapd {
            config,
            state: State::TeiAssigned,
            v_s: 0,
            v_a: 0,
            v_r: 0,
            rc: 0,
            layer3_initiated: false,
            own_receiver_busy: false,
            peer_receiver_busy: false,
            reject_exception: false,
            acknowledge_pending: false,
            i_queue: VecDeque::new(),
            ever_sent: 0,
            saved: None,
            timers: TimerTable::default(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            stats: Stats::default(),
        })
    }

    /// The parameters.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The statistics.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The state variables.
    pub fn variables(&self) -> Variables {
        Variables {
            v_s: self.v_s,
            v_a: self.v_a,
            v_r: self.v_r,
            rc: self.rc,
            own_receiver_busy: self.own_receiver_busy,
            peer_receiver_busy: self.peer_receiver_busy,
            reject_exception: self.reject_exception,
        }
    }

    /// I frames sent and not yet acknowledged.
    pub fn unacknowledged(&self) -> usize {
        usize::from(sub(self.v_s, self.v_a)).min(self.i_queue.len())
    }

    /// DL-DATA-requests waiting to be sent for the first time or again.
    pub fn queued(&self) -> usize {
        self.i_queue.len() - self.unacknowledged()
    }

    /// When `timer` expires, if it runs.
    pub fn timer(&self, timer: Timer) -> Option<Instant> {
        self.timers.deadline(timer.slot())
    }

    // ---- layer 3 and management requests ------------------------------------------------

    /// DL-ESTABLISH-request: set up (or re-establish) multiple frame operation (Q.921 5.5.1).
    pub fn establish(&mut self, now: Instant) {
        self.establish_request(now);
        self.after_input(now);
    }

    /// DL-RELEASE-request: end multiple frame operation (Q.921 5.5.3).
    pub fn release(&mut self, now: Instant) {
        self.release_request(now);
        self.after_input(now);
    }

    /// Persistent deactivation of layer 1 (the PH-/MPH-DEACTIVATE-indication of the SDL,
    /// Q.921 figures B.5 to B.8; for a D-channel on a transport: the connection is gone).
    /// Whatever the data link was doing ends at once instead of after T200 x N200: the I queue
    /// is discarded, T200 and T203 stop, layer 3 gets DL-RELEASE-indication (DL-RELEASE-
    /// confirm in "awaiting release", which had asked for it), and the state is "TEI
    /// assigned". With `Config::keep_up` the restart delay begins, as for any release the
    /// data link was not asked for. In "TEI assigned" nothing happens.
    pub fn deactivate(&mut self, now: Instant) {
        match self.state {
            State::TeiAssigned => {}
            State::AwaitingRelease => {
                self.saved = None;
                self.events.push_back(DlEvent::ReleaseConfirm);
                self.enter_tei_assigned(now, false);
            }
            State::AwaitingEstablishment
            | State::MultipleFrameEstablished
            | State::TimerRecovery => {
                self.discard_i_queue();
                self.saved = None;
                self.events.push_back(DlEvent::ReleaseIndication);
                self.enter_tei_assigned(now, true);
            }
        }
        self.transmit.clear();
        self.after_input(now);
    }

    /// DL-DATA-request: send `message` (a Q.931 message) in an I frame (Q.921 5.6.1). It is
    /// queued while the data link is not established, the window is full, the peer is busy
    /// or in timer recovery; in "TEI assigned" it also starts establishment.
    pub fn data(&mut self, now: Instant, message: Vec<u8>) -> Result<(), RequestError> {
        if message.len() > self.config.n201 {
            return Err(RequestError::TooLong {
                len: message.len(),
                n201: self.config.n201,
            });
        }
        match self.state {
            State::AwaitingRelease => return Err(RequestError::Releasing),
            State::TeiAssigned => {
                self.i_queue.push_back(message);
                self.start_establishment(now);
            }
            State::AwaitingEstablishment
            | State::MultipleFrameEstablished
            | State::TimerRecovery => self.i_queue.push_back(message),
        }
        self.stats.data_requests += 1;
        self.after_input(now);
        Ok(())
    }

    /// DL-UNIT-DATA-request: send `message` in a UI command with P = 0 (Q.921 5.2.1), in any
    /// state.
    pub fn unit_data(&mut self, now: Instant, message: Vec<u8>) -> Result<(), RequestError> {
        if message.len() > self.config.n201 {
            return Err(RequestError::TooLong {
                len: message.len(),
                n201: self.config.n201,
            });
        }
        self.send_u(
            UnnumberedFunction::Ui,
            CommandResponse::Command,
            false,
            message,
        );
        self.after_input(now);
        Ok(())
    }

    /// Sets or clears the own receiver busy condition (Q.921 5.6.6): while set, received I
    /// frames are discarded and the peer is told with RNR. Only meaningful in multiple frame
    /// operation; ignored otherwise (establishment clears the condition).
    pub fn set_own_receiver_busy(&mut self, now: Instant, busy: bool) {
        if self.state.is_established() && busy != self.own_receiver_busy {
            self.own_receiver_busy = busy;
            let function = if busy {
                SupervisoryFunction::Rnr
            } else {
                SupervisoryFunction::Rr
            };
            self.send_s(function, CommandResponse::Response, false);
            self.acknowledge_pending = false;
        }
        self.after_input(now);
    }

    // ---- the sans-IO surface --------------------------------------------------------------

    /// Handles one received frame: the octets between the flags, without the FCS.
    pub fn handle_frame(&mut self, now: Instant, octets: &[u8]) {
        self.stats.octets_received += octets.len() as u64;
        self.receive(now, octets);
        self.after_input(now);
    }

    /// Handles every timer expired at `now` (a call with nothing expired does nothing).
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(slot) = self.timers.expired(now) {
            match Timer::ALL.into_iter().find(|t| t.slot() == slot) {
                Some(Timer::T200) => self.t200_expiry(now),
                Some(Timer::T203) => self.t203_expiry(now),
                Some(Timer::Restart) => self.restart_expiry(now),
                None => {}
            }
            self.after_input(now);
        }
    }

    /// The earliest running timer's deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// Appends the next frame to send (without flags and FCS) to `out` and returns true, or
    /// returns false when there is nothing to send.
    pub fn poll_transmit(&mut self, _now: Instant, out: &mut Vec<u8>) -> bool {
        match self.transmit.pop_front() {
            Some(frame) => {
                out.extend_from_slice(&frame);
                true
            }
            None => false,
        }
    }

    /// The next primitive for layer 3 or the connection management entity.
    pub fn poll_event(&mut self) -> Option<DlEvent> {
        self.events.pop_front()
    }

    // ---- requests (SDL figures B.4 to B.8) ------------------------------------------------

    fn establish_request(&mut self, now: Instant) {
        match self.state {
            State::TeiAssigned => self.start_establishment(now),
            // A re-establishment layer 2 began becomes one layer 3 asked for: the I queue goes
            // (figure B.5). When layer 3 already asked, the request repeats it and changes
            // nothing.
            State::AwaitingEstablishment => {
                if !self.layer3_initiated {
                    self.discard_i_queue();
                    self.layer3_initiated = true;
                }
            }
            State::AwaitingRelease => self.saved = Some(Saved::Establish),
            State::MultipleFrameEstablished | State::TimerRecovery => {
                self.discard_i_queue();
                self.establish_data_link(now);
                self.layer3_initiated = true;
                self.state = State::AwaitingEstablishment;
            }
        }
    }

    fn release_request(&mut self, now: Instant) {
        match self.state {
            State::TeiAssigned => {
                self.timers.stop(Timer::Restart.slot());
                self.events.push_back(DlEvent::ReleaseConfirm);
            }
            State::AwaitingEstablishment => self.saved = Some(Saved::Release),
            State::AwaitingRelease => {}
            State::MultipleFrameEstablished | State::TimerRecovery => {
                self.discard_i_queue();
                self.rc = 0;
                self.send_u(
                    UnnumberedFunction::Disc,
                    CommandResponse::Command,
                    true,
                    Vec::new(),
                );
                self.timers.stop(Timer::T203.slot());
                self.start_timer(now, Timer::T200);
                self.state = State::AwaitingRelease;
            }
        }
    }

    /// From "TEI assigned": establish data link, set layer 3 initiated (figure B.4).
    fn start_establishment(&mut self, now: Instant) {
        self.timers.stop(Timer::Restart.slot());
        self.establish_data_link(now);
        self.layer3_initiated = true;
        self.state = State::AwaitingEstablishment;
    }

    // ---- timers ---------------------------------------------------------------------------

    fn t200_expiry(&mut self, now: Instant) {
        self.stats.t200_expiries += 1;
        match self.state {
            State::TeiAssigned => {}
            // Q.921 5.5.1.3: retransmit SABME N200 times, then give up.
            State::AwaitingEstablishment => {
                if self.rc >= self.config.n200 {
                    self.discard_i_queue();
                    self.mdl_error(MdlError::G);
                    self.events.push_back(DlEvent::ReleaseIndication);
                    self.enter_tei_assigned(now, true);
                } else {
                    self.rc += 1;
                    self.send_u(
                        UnnumberedFunction::Sabme,
                        CommandResponse::Command,
                        true,
                        Vec::new(),
                    );
                    self.start_timer(now, Timer::T200);
                }
            }
            // Q.921 5.5.3.2: retransmit DISC N200 times, then consider the link released.
            State::AwaitingRelease => {
                if self.rc >= self.config.n200 {
                    self.mdl_error(MdlError::H);
                    self.events.push_back(DlEvent::ReleaseConfirm);
                    self.enter_tei_assigned(now, false);
                } else {
                    self.rc += 1;
                    self.send_u(
                        UnnumberedFunction::Disc,
                        CommandResponse::Command,
                        true,
                        Vec::new(),
                    );
                    self.start_timer(now, Timer::T200);
                }
            }
            // Q.921 5.6.7: enter timer recovery. Of the two ways of a), this entity always
            // transmits an enquiry (RR/RNR command with P = 1), as libpri does.
            State::MultipleFrameEstablished => {
                self.rc = 0;
                self.transmit_enquiry(now);
                self.rc += 1;
                self.state = State::TimerRecovery;
            }
            // Q.921 5.6.7 a) and b).
            State::TimerRecovery => {
                if self.rc >= self.config.n200 {
                    self.mdl_error(MdlError::I);
                    self.re_establish(now);
                } else {
                    self.transmit_enquiry(now);
                    self.rc += 1;
                }
            }
        }
    }

    /// Q.921 5.6.7 via the SDL (figure B.7): T203 expiry polls the peer.
    fn t203_expiry(&mut self, now: Instant) {
        self.stats.t203_expiries += 1;
        if self.state == State::MultipleFrameEstablished {
            self.transmit_enquiry(now);
            self.rc = 0;
            self.state = State::TimerRecovery;
        }
    }

    fn restart_expiry(&mut self, now: Instant) {
        if self.state == State::TeiAssigned {
            self.start_establishment(now);
        }
    }

    // ---- procedures of the SDL (figure B.9) -----------------------------------------------

    /// "Establish data link": clear exception conditions, RC = 0, SABME with P = 1, restart
    /// T200, stop T203 (Q.921 5.5.1.2).
    fn establish_data_link(&mut self, now: Instant) {
        self.clear_exception_conditions();
        self.rc = 0;
        self.send_u(
            UnnumberedFunction::Sabme,
            CommandResponse::Command,
            true,
            Vec::new(),
        );
        self.timers.stop(Timer::T203.slot());
        self.start_timer(now, Timer::T200);
    }

    /// Locally initiated re-establishment (Q.921 5.7.2): establish data link, clear layer 3
    /// initiated, enter awaiting establishment.
    fn re_establish(&mut self, now: Instant) {
        self.stats.re_establishments += 1;
        self.establish_data_link(now);
        self.layer3_initiated = false;
        self.state = State::AwaitingEstablishment;
    }

    /// "N(R) error recovery" (Q.921 5.8.2).
    fn nr_error_recovery(&mut self, now: Instant) {
        self.mdl_error(MdlError::J);
        self.re_establish(now);
    }

    fn clear_exception_conditions(&mut self) {
        self.own_receiver_busy = false;
        self.peer_receiver_busy = false;
        self.reject_exception = false;
        self.acknowledge_pending = false;
    }

    /// "Transmit enquiry": RR (RNR when own receiver busy) command with P = 1, start T200.
    fn transmit_enquiry(&mut self, now: Instant) {
        let function = if self.own_receiver_busy {
            SupervisoryFunction::Rnr
        } else {
            SupervisoryFunction::Rr
        };
        self.send_s(function, CommandResponse::Command, true);
        self.acknowledge_pending = false;
        self.start_timer(now, Timer::T200);
    }

    /// "Enquiry response": RR (RNR when own receiver busy) response with F = 1.
    fn enquiry_response(&mut self) {
        let function = if self.own_receiver_busy {
            SupervisoryFunction::Rnr
        } else {
            SupervisoryFunction::Rr
        };
        self.send_s(function, CommandResponse::Response, true);
        self.acknowledge_pending = false;
    }

    /// "Invoke retransmission": V(S) goes back to N(R) (= V(A)), so that every unacknowledged
    /// I frame is sent again from the I queue (Q.921 5.6.4).
    fn invoke_retransmission(&mut self, n_r: u8) {
        self.v_s = n_r;
    }

    /// V(A) = N(R): the I frames up to N(R) - 1 are acknowledged (Q.921 5.6.3.2).
    fn update_v_a(&mut self, n_r: u8) {
        let acked = usize::from(sub(n_r, self.v_a)).min(self.i_queue.len());
        self.i_queue.drain(..acked);
        self.ever_sent = self.ever_sent.saturating_sub(acked);
        self.v_a = n_r;
    }

    /// Whether V(A) <= N(R) <= V(S), modulo 128 (Q.921 5.8.2).
    fn n_r_valid(&self, n_r: u8) -> bool {
        sub(n_r, self.v_a) <= sub(self.v_s, self.v_a)
    }

    fn discard_i_queue(&mut self) {
        self.stats.data_requests_discarded += self.i_queue.len() as u64;
        self.i_queue.clear();
        self.ever_sent = 0;
    }

    /// Enter multiple frame established after establishment: stop T200, start T203, V(S) =
    /// V(A) = V(R) = 0 (Q.921 5.5.1.2).
    fn enter_multiple_frame_established(&mut self, now: Instant) {
        self.timers.stop(Timer::T200.slot());
        self.timers.stop(Timer::Restart.slot());
        self.start_timer(now, Timer::T203);
        self.v_s = 0;
        self.v_a = 0;
        self.v_r = 0;
        self.ever_sent = 0;
        self.layer3_initiated = false;
        self.state = State::MultipleFrameEstablished;
        self.stats.establishments += 1;
    }

    /// Enter TEI assigned: both timers stopped; with `Config::keep_up` and a data link that
    /// went down without being asked to (`unrequested`), the restart delay begins.
    fn enter_tei_assigned(&mut self, now: Instant, unrequested: bool) {
        self.timers.stop(Timer::T200.slot());
        self.timers.stop(Timer::T203.slot());
        self.state = State::TeiAssigned;
        // Nothing is outstanding without multiple frame operation (the I queue is empty here);
        // establishment sets the variables to 0 again anyway (5.5.1.2).
        self.v_s = 0;
        self.v_a = 0;
        self.v_r = 0;
        self.ever_sent = 0;
        if unrequested {
            if let Some(delay) = self.config.keep_up {
                self.timers.start(Timer::Restart.slot(), now + delay);
            }
        }
    }

    fn mdl_error(&mut self, code: MdlError) {
        if let Some(c) = self.stats.mdl_errors.get_mut(code.index()) {
            *c += 1;
        }
        self.events.push_back(DlEvent::MdlErrorIndication(code));
    }

    fn start_timer(&mut self, now: Instant, timer: Timer) {
        let d = match timer {
            Timer::T200 => self.config.t200,
            Timer::T203 => self.config.t203,
            Timer::Restart => self.config.keep_up.unwrap_or(self.config.t200),
        };
        self.timers.start(timer.slot(), now + d);
    }

    /// What follows every input: saved requests whose state has changed, "I frame queued up"
    /// (figure B.7) and a pending acknowledgement (5.6.2.2).
    fn after_input(&mut self, now: Instant) {
        if let Some(saved) = self.saved {
            let waiting_in = match saved {
                Saved::Release => State::AwaitingEstablishment,
                Saved::Establish => State::AwaitingRelease,
            };
            if self.state != waiting_in {
                self.saved = None;
                match saved {
                    Saved::Release => self.release_request(now),
                    Saved::Establish => self.establish_request(now),
                }
            }
        }
        if self.state == State::MultipleFrameEstablished {
            self.i_frames_queued_up(now);
        }
        if self.state.is_established() && self.acknowledge_pending {
            self.acknowledge_pending = false;
            self.send_s(SupervisoryFunction::Rr, CommandResponse::Response, false);
        }
    }

    /// "I frame queued up" in multiple frame established (Q.921 5.6.1): send what the window
    /// and the peer allow, N(S) = V(S), N(R) = V(R), P = 0; start T200 if not running.
    fn i_frames_queued_up(&mut self, now: Instant) {
        while !self.peer_receiver_busy && sub(self.v_s, self.v_a) < self.config.k {
            let index = usize::from(sub(self.v_s, self.v_a));
            let Some(info) = self.i_queue.get(index).cloned() else {
                break;
            };
            if index < self.ever_sent {
                self.stats.i_frames_retransmitted += 1;
            } else {
                self.ever_sent = index + 1;
            }
            let frame = Frame::i(
                self.config.sapi,
                self.config.tei,
                self.config.role,
                self.v_s,
                self.v_r,
                false,
                info,
            );
            self.send(frame);
            self.v_s = add(self.v_s, 1);
            self.acknowledge_pending = false;
            if !self.timers.is_running(Timer::T200.slot()) {
                self.timers.stop(Timer::T203.slot());
                self.start_timer(now, Timer::T200);
            }
        }
    }

    // ---- frames out -----------------------------------------------------------------------

    fn send(&mut self, frame: Frame) {
        match frame.to_bytes() {
            Ok(octets) => {
                self.stats.sent.count(&frame.control);
                self.stats.octets_sent += octets.len() as u64;
                self.transmit.push_back(octets);
            }
            Err(_) => self.stats.encode_errors += 1,
        }
    }

    fn send_s(&mut self, function: SupervisoryFunction, kind: CommandResponse, pf: bool) {
        let frame = Frame::s(
            self.config.sapi,
            self.config.tei,
            self.config.role,
            kind,
            function,
            self.v_r,
            pf,
        );
        self.send(frame);
    }

    fn send_u(
        &mut self,
        function: UnnumberedFunction,
        kind: CommandResponse,
        pf: bool,
        information: Vec<u8>,
    ) {
        let frame = Frame::u(
            self.config.sapi,
            self.config.tei,
            self.config.role,
            kind,
            function,
            pf,
            information,
        );
        self.send(frame);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_those_of_q921_5_9() {
        let c = Config::new(Role::Network);
        assert_eq!((c.sapi, c.tei), (0, 0));
        assert_eq!(c.t200, Duration::from_secs(1));
        assert_eq!(c.t203, Duration::from_secs(10));
        assert_eq!((c.n200, c.n201, c.k), (3, 260, 7));
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn bad_configurations_are_refused() {
        let base = Config::new(Role::User);
        let bad = [
            (
                Config {
                    k: 0,
                    ..base.clone()
                },
                ConfigError::Window(0),
            ),
            (
                Config {
                    k: 128,
                    ..base.clone()
                },
                ConfigError::Window(128),
            ),
            (
                Config {
                    tei: 127,
                    ..base.clone()
                },
                ConfigError::Tei(127),
            ),
            (
                Config {
                    sapi: 64,
                    ..base.clone()
                },
                ConfigError::Sapi(64),
            ),
            (
                Config {
                    n201: 0,
                    ..base.clone()
                },
                ConfigError::N201,
            ),
            (
                Config {
                    t200: Duration::ZERO,
                    ..base.clone()
                },
                ConfigError::ZeroTimer("T200"),
            ),
            (
                Config {
                    keep_up: Some(Duration::ZERO),
                    ..base.clone()
                },
                ConfigError::ZeroTimer("keep_up"),
            ),
        ];
        for (c, e) in bad {
            assert_eq!(Lapd::new(c).err(), Some(e));
        }
    }

    #[test]
    fn mdl_error_codes_a_to_o() {
        let codes: String = MdlError::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(codes, "ABCDEFGHIJKLMNO");
        for (i, e) in MdlError::ALL.iter().enumerate() {
            assert_eq!(e.index(), i);
        }
        assert_eq!(
            MdlError::E.error_type(),
            MdlErrorType::PeerInitiatedReEstablishment
        );
        assert_eq!(
            MdlError::I.error_type(),
            MdlErrorType::UnsuccessfulRetransmission
        );
        assert_eq!(
            MdlError::G.to_string(),
            "MDL-ERROR (G): SABME unanswered N200 times"
        );
    }

    #[test]
    fn sequence_arithmetic_modulo_128() {
        assert_eq!(add(127, 1), 0);
        assert_eq!(sub(0, 1), 127);
        assert_eq!(sub(3, 125), 6);
        let mut l = Lapd::new(Config::new(Role::User)).unwrap();
        l.v_a = 125;
        l.v_s = 3;
        assert!(l.n_r_valid(125) && l.n_r_valid(127) && l.n_r_valid(0) && l.n_r_valid(3));
        assert!(!l.n_r_valid(4) && !l.n_r_valid(124));
    }
}
