//! sipt-codecs: the wire formats of sipt-mgc, pure (no I/O, no clock, no tokio).
//!
//! | module | format | standard |
//! |---|---|---|
//! | [`isup`] | ISUP messages and parameters | ITU-T Q.763 |
//! | [`mtp2`] | MTP2 signal units (FISU, LSSU, MSU) | ITU-T Q.703 |
//! | [`mtp3`] | MTP3 SIO, routing label, SLTM/SLTA, SNM messages | ITU-T Q.704, Q.707 |
//! | [`hdlc`] | FCS-16 and RFC 1662-style octet stuffing of the `serial` transport | Q.703 1.3/1.5, RFC 1662 4 |
//! | [`q850`] | cause values, locations, coding standards shared by ISUP and Q.931 | ITU-T Q.850 |
//! | [`q921`] | LAPD frames | ITU-T Q.921 |
//! | [`q931`] | Q.931 messages and information elements as QSIG uses them | ITU-T Q.931, ECMA-143 |
//! | [`qsig`] | ROSE APDUs in the Facility IE; name identification, call diversion | ECMA-165, ECMA-164, ECMA-174 |
//! | [`rfc3204`] | application/ISUP and application/QSIG bodies in multipart/mixed | RFC 3204, RFC 2046 |
//! | [`g711`] | A-law and mu-law | ITU-T G.711 |
//!
//! Every decoder is total: any input gives a value or a [`DecodeError`] naming the offset,
//! never a panic. Every decoder of a format that SIP-T carries end to end keeps what it does
//! not know as raw octets, so that `encode(decode(x)) == x`.

#[macro_use]
mod macros;

pub mod g711;
pub mod hdlc;
pub mod isup;
pub mod mtp2;
pub mod mtp3;
pub mod q850;
pub mod q921;
pub mod q931;
pub mod qsig;
pub mod rfc3204;
pub mod wire;

pub use wire::{DecodeError, EncodeError, Reader};
