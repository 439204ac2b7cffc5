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
//!
//! Choices where the texts leave room (the ECMA-143 text itself is not on this machine; the
//! Q.931 clauses it builds on are):
//! - Data link failure (Q.931 5.8.9): calls not active are cleared at once (cause 27); active
//!   calls are kept for T309 (6 s) and cleared with cause 27 if the link does not return; when it
//!   does, each kept call's state is reported with STATUS (cause 31). `Timers::t309 = None`
//!   clears active calls at once too.
//! - Data link establishment: RESTART of every B-channel not carrying a kept call (class "all
//!   interfaces" when none is, otherwise "indicated channels" with the list).
//! - STATUS ENQUIRY for an unknown call reference is answered with STATUS, Null state, cause 30
//!   (Q.931 5.8.10, which 5.8.3.2 a) defers to); every other message but SETUP, RELEASE
//!   COMPLETE and STATUS with RELEASE COMPLETE, cause 81.
//! - Unexpected messages: STATUS cause 101 for a message implemented here but not allowed in
//!   the state, 98 for one not implemented (HOLD, SUSPEND, SEGMENT, ...), the message type as
//!   diagnostic (Q.931 5.8.4). While RELEASE COMPLETE is awaited, everything but the clearing
//!   messages, STATUS and STATUS ENQUIRY is ignored.
//! - T303 second expiry: RELEASE COMPLETE, cause 102, then the call is cleared.
//! - T302 expiry is reported ([`CallEvent::OverlapTimeout`]): only the user knows whether the
//!   number is complete (Q.931 table 9-1; RFC 4497 8.2.2.1.2).
//! - RESTART received: the calls on the channels are cleared internally and at once, so T317
//!   never needs to run; the acknowledgement echoes channel identification and restart
//!   indicator.
//!
//! # libpri (switch type QSIG) as the peer
//!
//! Read from libpri's q931.c and pri.c (asterisk/libpri @ 1f66bb8); what our side does about
//! each point:
//! - Channel identification on a primary rate interface is `a9 83 8n` (exclusive) or
//!   `a1 83 8n` (preferred), never with octet 3.1 (libpri rejects 3.1 under QSIG). We send the
//!   same forms.
//! - libpri always sends CALL PROCEEDING (with channel identification) before ALERTING, with a
//!   progress indicator #8 (location 1) when in-band information is available, and sends
//!   CONNECT ACKNOWLEDGE on CONNECT (unless manual_connect_ack is set).
//! - When it answers, libpri goes straight to Active on sending CONNECT and runs no T313; it
//!   accepts our CONNECT ACKNOWLEDGE in Active. It ignores PROGRESS in Active (ECMA-143
//!   10.1.7.2 allows it).
//! - Timers: T303 4 s (SETUP sent once more), T305 30 s, T308 4 s, T309 6 s, T313 4 s
//!   (non-QSIG CPE only); T301, T302, T304, T310, T322 are not run, T316 is off by default.
//!   Our values are the same where both have the timer.
//! - It clears with DISCONNECT in nearly every state (Call Present included), with RELEASE
//!   COMPLETE for causes 1, 34, 44, 82 (in any state, or only before any answer when its
//!   "hangup fix" is enabled), with RELEASE for causes 6, 7, 26; we accept each as a first
//!   clearing message in any state.
//! - It answers a message for an unknown call reference, STATUS ENQUIRY included, with RELEASE
//!   COMPLETE, cause 81; we clear our call on it.
//! - It sends no RESTART of its own when the D-channel comes up: any RESTART comes from the
//!   application above it (`pri_reset`: class "indicated channels", one channel, exclusive),
//!   which we acknowledge echoing both elements. It acknowledges ours, class "all interfaces"
//!   without channel identification, or a list of channels. On re-establishment it sends STATUS, cause 31, for its calls not in Null
//!   or clearing states, which we take as compatible.
//! - After a D-channel failure it keeps active calls for T309 and clears the others with cause
//!   27, as we do.

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
