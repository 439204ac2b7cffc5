//! The SIP side (RFC 3261 and its extensions): message framing and headers, SDP, digest
//! authentication, transports, and (to come) transactions and dialogs. The interworking deals
//! in dialogs and transactions, never in retransmissions or sockets (DESIGN.md).

pub mod auth;
pub mod dialog;
pub mod message;
pub mod reliable;
pub mod sdp;
pub mod session_timer;
pub mod shell;
pub mod transaction;
pub mod transport;
pub mod ua;
