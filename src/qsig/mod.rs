//! QSIG basic call control (ECMA-143 / ISO/IEC 11572: the Q.931 call states and procedures
//! between two PINXs) as a sans-IO state machine, one [`QsigCalls`] per D-channel.
//!
//! Below: Q.921 LAPD, through [`DlIndication`] in ([`QsigCalls::handle_dl`]) and encoded
//! messages out ([`QsigCalls::poll_transmit`], each a DL-DATA request). Above: the gateway or
//! the PBX simulator, through commands ([`QsigCalls::setup`], [`QsigCalls::alerting`],
//! [`QsigCalls::connect`], [`QsigCalls::disconnect`], ...) and [`CallEvent`]s
//! ([`QsigCalls::poll_event`]). Time comes in with every input; [`QsigCalls::poll_timeout`]
//! says when [`QsigCalls::handle_timeout`] is due.
//!
//! | Q.931 / ECMA-143 | here |
//! |---|---|
//! | call states 0-25 (2.1, 2.2) | [`CallState`] |
//! | timers T301-T322 (9.1, 9.2) | [`Timer`], [`Timers`] (defaults with their sources) |
//! | call establishment (5.1, 5.2), overlap (5.1.3, 5.2.4) | `setup`, `setup_acknowledge`, `proceeding`, `alerting`, `connect`, `information` |
//! | B-channel selection (5.1.2, 5.2.3), collision (Annex D.3) | [`ChannelRequest`], `Config::side` |
//! | clearing (5.3), clear collision (5.3.5) | `disconnect`, `reject`; T305, T308 |
//! | restart (5.5) | `restart`, [`RestartScope`]; T316 |
//! | error handling (5.8.3-5.8.7, 5.8.10, 5.8.11) | RELEASE COMPLETE 81, STATUS 96/98/100/101, STATUS ENQUIRY / T322 |
//! | data link reset and failure (5.8.8, 5.8.9) | [`DlIndication`]; T309 |
//! | names (ECMA-164) | callingName in SETUP, calledName in ALERTING, connectedName in CONNECT |
//!
//! QSIG is symmetric: both ends run the same states; the call reference flag tells whose call
//! a message is about, and [`Config::side`] only decides B-channel collisions.

mod calls;
mod channels;
mod check;
mod types;

pub use calls::QsigCalls;
pub use types::{
    CallEvent, CallId, CallState, ChannelRequest, ChannelState, ClearReason, Config,
    ConnectResponse, DlIndication, Error, IncomingCall, InformationRequest, Initiator, Response,
    RestartScope, SetupRequest, Side, Statistics, Timer, Timers,
};
