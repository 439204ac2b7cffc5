//! Interworking between the PSTN signalling (ISUP, QSIG) and SIP as data and pure functions
//! (DESIGN.md): the tables of RFC 3398, RFC 4497 and RFC 3204 read as tables here.

pub mod body;
pub mod causes;
pub mod numbers;
pub mod overlap;
pub mod progress;
pub mod qsig;
pub mod setup;
