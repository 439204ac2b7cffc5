//! sipt-mgc: a SIP-T PSTN media gateway controller (see README.md and DESIGN.md).

pub mod decode;
