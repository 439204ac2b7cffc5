//! ISDN D-channel: Q.921 LAPD as a sans-IO state machine.

pub mod dchannel;
pub mod q921;
