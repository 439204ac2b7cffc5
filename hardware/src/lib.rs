//! Attaching sipt-mgc to signalling links (the `serial` and `frames` transports of DESIGN.md).
//!
//! Not built yet: this crate is where issue 3 puts the tty and SOCK_SEQPACKET/DAHDI
//! transports and the span profiles. The wire framing it will use (Q.703 FCS-16 and the
//! RFC 1662-style octet stuffing) already lives in `sipt_codecs::hdlc`.
