//! HDLC framing of the link transports in DESIGN.md: the FCS-16 of ITU-T Q.703 (the
//! ISO 3309 / X.25 frame check sequence, also RFC 1662's), the RFC 1662-style octet stuffing of
//! the `serial` transport, and helpers for the 2 trailing FCS octets of the `frames` transport.
//!
//! # The `serial` transport
//!
//! Each frame goes on the byte stream as
//!
//! ```text
//! 0x7E | payload and FCS (least significant octet first), octet-stuffed | 0x7E
//! ```
//!
//! Stuffing (RFC 1662 4.2): every 0x7E (flag) and 0x7D (control escape) inside the frame is sent
//! as 0x7D followed by the octet XOR 0x20. [`encode_frame`] escapes exactly these two octets and
//! nothing else: the asynchronous control character map of RFC 1662 7.1 belongs to PPP's LCP,
//! which does not run on this link, and an 8N1 tty passes every octet value, so control
//! characters (0x00-0x1F) go unescaped. The [`Deframer`] nevertheless un-escapes whatever octet
//! follows a 0x7D, as RFC 1662 4.2 asks of every receiver, so a peer that does escape control
//! characters is understood.
//!
//! [`encode_frame`] writes an opening and a closing flag for every frame; two flags back to back
//! (an empty frame) are idle fill and are skipped by the [`Deframer`] without counting anything.
//!
//! # The `frames` transport
//!
//! Each read is one frame without flags followed by 2 FCS octets whose value the receiver
//! ignores (the card checked it): [`frames::payload`] drops them, [`frames::encode`] appends a
//! correct FCS (any value would do; a correct one keeps captures checkable).

use std::collections::VecDeque;

/// The flag sequence that opens and closes every frame (Q.703 2.2, RFC 1662 4.1).
pub const FLAG: u8 = 0x7E;
/// The control escape octet (RFC 1662 4.2).
pub const ESCAPE: u8 = 0x7D;
/// What an escaped octet is XORed with (RFC 1662 4.2).
pub const ESCAPE_XOR: u8 = 0x20;
/// The FCS-16 register's initial value (RFC 1662 C.2 `PPPINITFCS16`).
pub const FCS_INIT: u16 = 0xFFFF;
/// The register value after running over a frame and its correct FCS (RFC 1662 C.2
/// `PPPGOODFCS16`).
pub const FCS_GOOD: u16 = 0xF0B8;

/// The CRC register update table: the generator x^16 + x^12 + x^5 + 1 in reflected form
/// (0x8408), bits taken least significant first as they go on the line (Q.703 2.4).
const FCS_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut v = i as u16;
        let mut bit = 0;
        while bit < 8 {
            v = if v & 1 != 0 {
                (v >> 1) ^ 0x8408
            } else {
                v >> 1
            };
            bit += 1;
        }
        table[i] = v;
        i += 1;
    }
    table
};

/// Runs the FCS-16 register `fcs` over `data` (RFC 1662 C.2 `pppfcs16`), without the final
/// complement. Start with [`FCS_INIT`]; over a frame followed by its FCS the result is
/// [`FCS_GOOD`].
pub fn fcs16_update(mut fcs: u16, data: &[u8]) -> u16 {
    for &b in data {
        fcs = (fcs >> 8) ^ FCS_TABLE[usize::from((fcs ^ u16::from(b)) as u8)];
    }
    fcs
}

/// The FCS-16 of `data` (the check bits of Q.703 1.3 and 2.2, ISO 3309, RFC 1662 C.2): CRC-CCITT in reflected form,
/// initial value 0xFFFF, ones complement of the remainder. It is sent least significant octet
/// first: `fcs16(d).to_le_bytes()` follows `d` on the line.
pub fn fcs16(data: &[u8]) -> u16 {
    !fcs16_update(FCS_INIT, data)
}

/// Whether `frame` (payload followed by its 2 FCS octets) has a correct FCS.
pub fn fcs_ok(frame: &[u8]) -> bool {
    frame.len() >= 2 && fcs16_update(FCS_INIT, frame) == FCS_GOOD
}

/// Appends one `serial` transport frame to `out`: flag, `payload` and its FCS (least
/// significant octet first) with 0x7E and 0x7D escaped, flag.
pub fn encode_frame(payload: &[u8], out: &mut Vec<u8>) {
    out.reserve(payload.len() + 4 + payload.len() / 16);
    out.push(FLAG);
    let fcs = fcs16(payload).to_le_bytes();
    for &b in payload.iter().chain(fcs.iter()) {
        if b == FLAG || b == ESCAPE {
            out.push(ESCAPE);
            out.push(b ^ ESCAPE_XOR);
        } else {
            out.push(b);
        }
    }
    out.push(FLAG);
}

/// What a [`Deframer`] has seen since it was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeframerCounters {
    /// Frames with a correct FCS, queued for [`Deframer::pop`].
    pub frames: u64,
    /// Frames dropped because their FCS was wrong.
    pub bad_fcs: u64,
    /// Frames aborted by the sender (0x7D followed by a flag, RFC 1662 4.4.1) and dropped.
    pub aborts: u64,
    /// Frames dropped because they grew past the configured maximum; the octets up to the next
    /// flag are discarded.
    pub too_long: u64,
    /// Frames dropped because they were shorter than the FCS plus the configured minimum.
    pub runts: u64,
    /// Octets discarded while hunting for the first flag.
    pub hunt_octets: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first flag: nothing is known about frame boundaries yet.
    Hunt,
    /// Inside a frame; `escaped` after a 0x7D.
    Frame { escaped: bool },
    /// A frame grew too long: discard until the next flag.
    Discard,
}

/// A streaming receiver for the `serial` transport: push octets in any chunking, pop complete
/// frames (payload without the FCS) whose FCS was correct. Bad frames are counted and dropped.
#[derive(Debug, Clone)]
pub struct Deframer {
    state: State,
    buf: Vec<u8>,
    min_payload: usize,
    max_payload: usize,
    ready: VecDeque<Vec<u8>>,
    counters: DeframerCounters,
}

impl Deframer {
    /// The largest payload accepted by [`Deframer::default`]: an MTP2 MSU with the longest
    /// SIF (3 + 1 + 272 octets, Q.703 2.3) or a Q.921 I frame (4 + 260 octets) fits.
    pub const DEFAULT_MAX_PAYLOAD: usize = 280;

    /// A deframer accepting payloads of `min_payload..=max_payload` octets (not counting the
    /// 2 FCS octets). `min_payload` is at least 1.
    pub fn new(min_payload: usize, max_payload: usize) -> Self {
        Deframer {
            state: State::Hunt,
            buf: Vec::new(),
            min_payload: min_payload.max(1),
            max_payload,
            ready: VecDeque::new(),
            counters: DeframerCounters::default(),
        }
    }

    /// Feeds received octets.
    pub fn push(&mut self, data: &[u8]) {
        for &b in data {
            self.push_octet(b);
        }
    }

    fn push_octet(&mut self, b: u8) {
        match self.state {
            State::Hunt => {
                if b == FLAG {
                    self.start_frame();
                } else {
                    self.counters.hunt_octets += 1;
                }
            }
            State::Discard => {
                if b == FLAG {
                    self.start_frame();
                }
            }
            State::Frame { escaped } => {
                if b == FLAG {
                    if escaped {
                        self.counters.aborts += 1;
                    } else {
                        self.end_frame();
                    }
                    self.start_frame();
                } else if escaped {
                    self.state = State::Frame { escaped: false };
                    self.store(b ^ ESCAPE_XOR);
                } else if b == ESCAPE {
                    self.state = State::Frame { escaped: true };
                } else {
                    self.store(b);
                }
            }
        }
    }

    fn start_frame(&mut self) {
        self.buf.clear();
        self.state = State::Frame { escaped: false };
    }

    fn store(&mut self, b: u8) {
        if self.buf.len() >= self.max_payload + 2 {
            self.counters.too_long += 1;
            self.buf.clear();
            self.state = State::Discard;
        } else {
            self.buf.push(b);
        }
    }

    fn end_frame(&mut self) {
        let len = self.buf.len();
        if len == 0 {
            // Back-to-back flags: idle fill between frames.
        } else if len < self.min_payload + 2 {
            self.counters.runts += 1;
        } else if !fcs_ok(&self.buf) {
            self.counters.bad_fcs += 1;
        } else {
            self.counters.frames += 1;
            let mut frame = std::mem::take(&mut self.buf);
            frame.truncate(len - 2);
            self.ready.push_back(frame);
        }
    }

    /// The next complete frame received with a correct FCS, without its FCS.
    pub fn pop(&mut self) -> Option<Vec<u8>> {
        self.ready.pop_front()
    }

    /// How many frames are waiting for [`Deframer::pop`].
    pub fn pending(&self) -> usize {
        self.ready.len()
    }

    /// What has been seen so far.
    pub fn counters(&self) -> DeframerCounters {
        self.counters
    }
}

impl Default for Deframer {
    /// Payloads of 1 to [`Deframer::DEFAULT_MAX_PAYLOAD`] octets.
    fn default() -> Self {
        Deframer::new(1, Self::DEFAULT_MAX_PAYLOAD)
    }
}

/// The `frames` transport (DESIGN.md): one frame per read, without flags, followed by 2 FCS
/// octets that the receiver ignores.
pub mod frames {
    /// The frame without its 2 trailing FCS octets, or `None` if it is shorter than 2 octets.
    /// The FCS value is not checked: the card already did.
    pub fn payload(read: &[u8]) -> Option<&[u8]> {
        read.len().checked_sub(2).and_then(|n| read.get(..n))
    }

    /// Appends `payload` and its FCS-16, least significant octet first: what to write to a
    /// `frames` link (the card replaces or ignores the 2 octets).
    pub fn encode(payload: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(payload);
        out.extend_from_slice(&super::fcs16(payload).to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fcs16_check_value() {
        // The check value of CRC-16/X-25 (= ISO/IEC 3309 HDLC FCS-16) over ASCII "123456789".
        assert_eq!(fcs16(b"123456789"), 0x906E);
    }

    #[test]
    fn fcs16_rfc1662_good_residue() {
        // RFC 1662 C.2 tryfcs16(): append the complemented FCS least significant octet first,
        // then the register over the whole frame equals PPPGOODFCS16.
        for data in [
            &b""[..],
            b"\x00",
            b"\xff\xff\x01\x03",
            b"123456789",
            &[0x7e; 40],
        ] {
            let mut frame = data.to_vec();
            frame.extend_from_slice(&fcs16(data).to_le_bytes());
            assert_eq!(fcs16_update(FCS_INIT, &frame), FCS_GOOD, "{data:02x?}");
            assert!(fcs_ok(&frame));
            let last = frame.len() - 1;
            frame[last] ^= 0x01;
            assert!(!fcs_ok(&frame));
        }
    }

    #[test]
    fn fcs16_empty_and_known_frames() {
        // Register untouched over nothing: the FCS is the complement of 0xFFFF.
        assert_eq!(fcs16(&[]), 0x0000);
        // CRC-16/X-25 of a single 0x00 octet.
        assert_eq!(fcs16(&[0x00]), 0xF078);
    }

    #[test]
    fn encode_escapes_only_flag_and_escape() {
        let mut out = Vec::new();
        encode_frame(&[0x7e, 0x01, 0x7d, 0x20, 0x11, 0x13], &mut out);
        let fcs = fcs16(&[0x7e, 0x01, 0x7d, 0x20, 0x11, 0x13]).to_le_bytes();
        let mut want = vec![0x7e, 0x7d, 0x5e, 0x01, 0x7d, 0x5d, 0x20, 0x11, 0x13];
        for b in fcs {
            if b == 0x7e || b == 0x7d {
                want.extend_from_slice(&[0x7d, b ^ 0x20]);
            } else {
                want.push(b);
            }
        }
        want.push(0x7e);
        assert_eq!(out, want);
        assert_eq!(out.iter().filter(|&&b| b == FLAG).count(), 2);
    }

    #[test]
    fn deframe_byte_by_byte_and_counters() {
        let mut wire = vec![0x00, 0x55]; // noise before the first flag
        encode_frame(&[0x81, 0x82, 0x00], &mut wire);
        wire.push(FLAG); // idle flag
        encode_frame(&[0xff, 0xff, 0x01, 0x03], &mut wire);
        // A frame with a bad FCS.
        wire.extend_from_slice(&[FLAG, 0x01, 0x02, 0x03, 0x00, 0x00, FLAG]);
        // An aborted frame.
        wire.extend_from_slice(&[FLAG, 0x01, 0x02, 0x7d, FLAG]);
        // A runt: one octet only.
        wire.extend_from_slice(&[FLAG, 0x01, FLAG]);
        let mut d = Deframer::default();
        for b in &wire {
            d.push(std::slice::from_ref(b));
        }
        assert_eq!(d.pop(), Some(vec![0x81, 0x82, 0x00]));
        assert_eq!(d.pop(), Some(vec![0xff, 0xff, 0x01, 0x03]));
        assert_eq!(d.pop(), None);
        let c = d.counters();
        assert_eq!(
            c,
            DeframerCounters {
                frames: 2,
                bad_fcs: 1,
                aborts: 1,
                too_long: 0,
                runts: 1,
                hunt_octets: 2,
            }
        );
    }

    #[test]
    fn deframe_unescapes_any_octet_and_limits_length() {
        // A peer escaping a control character (RFC 1662 ACCM style) is understood.
        let payload = [0x01, 0x11, 0x02];
        let fcs = fcs16(&payload).to_le_bytes();
        let mut wire = vec![FLAG, 0x01, 0x7d, 0x31, 0x02];
        for b in fcs {
            wire.extend_from_slice(&[0x7d, b ^ 0x20]);
        }
        wire.push(FLAG);
        let mut d = Deframer::new(1, 3);
        d.push(&wire);
        assert_eq!(d.pop(), Some(payload.to_vec()));

        let mut long = Vec::new();
        encode_frame(&[1, 2, 3, 4], &mut long);
        encode_frame(&[5, 6, 7], &mut long);
        d.push(&long);
        assert_eq!(d.pop(), Some(vec![5, 6, 7]));
        assert_eq!(d.counters().too_long, 1);
    }

    #[test]
    fn frames_helpers() {
        assert_eq!(frames::payload(&[1]), None);
        assert_eq!(frames::payload(&[1, 2]), Some(&[][..]));
        assert_eq!(
            frames::payload(&[0x81, 0x82, 0x00, 0, 0]),
            Some(&[0x81, 0x82, 0x00][..])
        );
        let mut out = Vec::new();
        frames::encode(b"123456789", &mut out);
        assert_eq!(&out[9..], &[0x6e, 0x90]);
        assert!(fcs_ok(&out));
    }
}
