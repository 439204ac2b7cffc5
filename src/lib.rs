//! sipt-mgc: a SIP-T PSTN media gateway controller (see README.md and DESIGN.md).

pub mod config;
pub mod decode;
pub mod demo;
pub mod gateway;
pub mod interwork;
pub mod isdn;
pub mod isup;
pub mod qsig;
pub mod route;
pub mod shell;
pub mod sim;
pub mod sip;
pub mod ss7;
pub mod time;
