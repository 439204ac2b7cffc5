//! The `serial` transport: HDLC frames octet-stuffed on a byte stream (DESIGN.md), with
//! `sipt_codecs::hdlc` doing the framing, over a tty (tokio-serial), a PTY master or any
//! other `AsyncRead + AsyncWrite`.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;

use sipt_codecs::hdlc::{self, Deframer, DeframerCounters, ESCAPE, ESCAPE_XOR, FLAG};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::{Error, RxError};
use crate::pacer::Pacer;
use crate::stats::Stats;
use crate::transport::Received;

pub(crate) type BoxRead = Pin<Box<dyn AsyncRead + Send>>;
pub(crate) type BoxWrite = Pin<Box<dyn AsyncWrite + Send>>;

/// How many octets one read takes from the tty.
const READ_SIZE: usize = 4096;

/// The receive side: octets in, frames and error notices out.
pub(crate) struct SerialRx {
    io: BoxRead,
    buf: Vec<u8>,
    ingest: Ingest,
}

impl SerialRx {
    pub(crate) fn new(io: BoxRead, max_payload: usize, stats: Arc<Stats>) -> SerialRx {
        SerialRx {
            io,
            buf: vec![0; READ_SIZE],
            ingest: Ingest::new(max_payload, stats),
        }
    }

    /// The next frame or notice. Cancel-safe: octets read are kept in the deframer.
    pub(crate) async fn recv(&mut self) -> Result<Received, Error> {
        loop {
            if let Some(r) = self.ingest.pending.pop_front() {
                return Ok(r);
            }
            let n = self.io.read(&mut self.buf).await?;
            if n == 0 {
                return Err(Error::Closed);
            }
            self.ingest.push(self.buf.get(..n).unwrap_or_default());
        }
    }
}

/// The deframing state around a codec [`Deframer`]: the stream is pushed in pieces that end at
/// flags, so each closing flag's outcome (frame, bad FCS, abort, runt) is seen in order, and
/// the moment a frame grows too long is caught exactly.
pub(crate) struct Ingest {
    deframer: Deframer,
    seen: DeframerCounters,
    max_payload: usize,
    stats: Arc<Stats>,
    pub(crate) pending: VecDeque<Received>,
    /// A flag has been seen: frame boundaries are known.
    synced: bool,
    /// Line octets since the last flag.
    since_flag: usize,
    /// The first line octets since the last flag, to recognise an empty frame (its FCS only),
    /// which the codec's deframer counts as a runt.
    head: [u8; 4],
    /// In octet counting mode: discarding up to the next flag after an over-long frame.
    discarding: bool,
    /// Octets discarded and not yet reported.
    discarded: usize,
}

impl Ingest {
    pub(crate) fn new(max_payload: usize, stats: Arc<Stats>) -> Ingest {
        let deframer = Deframer::new(1, max_payload);
        Ingest {
            seen: deframer.counters(),
            deframer,
            max_payload,
            stats,
            pending: VecDeque::new(),
            synced: false,
            since_flag: 0,
            head: [0; 4],
            discarding: false,
            discarded: 0,
        }
    }

    pub(crate) fn push(&mut self, mut data: &[u8]) {
        self.stats.line_in(data.len());
        while !data.is_empty() {
            match memchr::memchr(FLAG, data) {
                Some(i) => {
                    let (octets, rest) = data.split_at(i);
                    self.octets(octets);
                    self.flag();
                    data = rest.get(1..).unwrap_or_default();
                }
                None => {
                    self.octets(data);
                    data = &[];
                }
            }
        }
        self.report_discarded();
    }

    /// Octets between flags.
    fn octets(&mut self, data: &[u8]) {
        if !self.synced || self.discarding {
            // Hunting for the first flag, or discarding to the next: nothing to watch.
            self.deframer.push(data);
            if self.discarding {
                self.discarded += data.len();
            }
            return;
        }
        for (slot, &b) in self.head.iter_mut().skip(self.since_flag).zip(data) {
            *slot = b;
        }
        // Up to max_payload + 2 line octets the frame cannot be too long (stuffing only makes
        // the line longer than the frame); past that, push one octet at a time to catch the
        // one that overflows.
        let room = (self.max_payload + 2).saturating_sub(self.since_flag);
        let (bulk, rest) = data.split_at(room.min(data.len()));
        self.deframer.push(bulk);
        self.since_flag += bulk.len();
        for (i, b) in rest.iter().enumerate() {
            self.deframer.push(std::slice::from_ref(b));
            self.since_flag += 1;
            if self.deframer.counters().too_long != self.seen.too_long {
                self.seen.too_long = self.deframer.counters().too_long;
                self.notice(RxError::TooLong);
                self.discarding = true;
                let tail = rest.get(i + 1..).unwrap_or_default();
                self.deframer.push(tail);
                self.discarded += tail.len();
                return;
            }
        }
    }

    fn flag(&mut self) {
        self.deframer.push(&[FLAG]);
        let now = self.deframer.counters();
        if self.discarding {
            self.report_discarded();
            self.discarding = false;
        } else if self.synced {
            if now.frames != self.seen.frames {
                if let Some(frame) = self.deframer.pop() {
                    self.stats.frame_in(frame.len());
                    self.pending.push_back(Received::Frame(frame));
                }
            } else if now.bad_fcs != self.seen.bad_fcs {
                self.notice(RxError::BadFcs);
            } else if now.aborts != self.seen.aborts {
                self.notice(RxError::Abort);
            } else if now.runts != self.seen.runts {
                self.short_frame();
            }
        }
        self.seen = now;
        self.synced = true;
        self.since_flag = 0;
    }

    /// A frame the codec's deframer called a runt (fewer than 3 octets between flags): an
    /// empty frame is its 2 FCS octets, `00 00` (the FCS-16 of nothing); 2 octets that are not
    /// are a bad FCS; 1 octet is a runt.
    fn short_frame(&mut self) {
        let line = self.head.get(..self.since_flag.min(4)).unwrap_or_default();
        let mut octets = Vec::with_capacity(2);
        let mut escaped = false;
        for &b in line {
            if escaped {
                octets.push(b ^ ESCAPE_XOR);
                escaped = false;
            } else if b == ESCAPE {
                escaped = true;
            } else {
                octets.push(b);
            }
        }
        if octets.len() == 2 && hdlc::fcs_ok(&octets) {
            self.stats.frame_in(0);
            self.pending.push_back(Received::Frame(Vec::new()));
        } else if octets.len() == 2 {
            self.notice(RxError::BadFcs);
        } else {
            self.notice(RxError::Runt);
        }
    }

    fn report_discarded(&mut self) {
        if self.discarding && self.discarded > 0 {
            let octets = u32::try_from(self.discarded).unwrap_or(u32::MAX);
            self.discarded = 0;
            self.notice(RxError::OctetCounting { octets });
        }
    }

    fn notice(&mut self, e: RxError) {
        self.stats.rx_error(e);
        self.pending.push_back(Received::Error(e));
    }
}

/// The transmit side: frames in, octets out, optionally paced.
pub(crate) struct SerialTx {
    io: BoxWrite,
    buf: Vec<u8>,
    pacer: Option<Pacer>,
    max_payload: usize,
    stats: Arc<Stats>,
}

impl SerialTx {
    pub(crate) fn new(
        io: BoxWrite,
        pacer: Option<Pacer>,
        max_payload: usize,
        stats: Arc<Stats>,
    ) -> SerialTx {
        SerialTx {
            io,
            buf: Vec::with_capacity(2 * max_payload + 8),
            pacer,
            max_payload,
            stats,
        }
    }

    /// Writes one frame: flag, payload and FCS stuffed, flag. When a pacer says the line is
    /// still busy with the previous frame, its closing flag opens this one (Q.703 2.2: "the
    /// closing flag of one signal unit is normally the opening flag of the next"). Not
    /// cancel-safe: a dropped call may leave part of a frame on the line (the far end counts
    /// it as an error).
    pub(crate) async fn send(&mut self, payload: &[u8]) -> Result<(), Error> {
        if payload.len() > self.max_payload {
            return Err(Error::FrameTooLong {
                len: payload.len(),
                max: self.max_payload,
            });
        }
        self.buf.clear();
        hdlc::encode_frame(payload, &mut self.buf);
        let SerialTx {
            io,
            buf,
            pacer,
            stats,
            ..
        } = self;
        let mut line: &[u8] = buf;
        match pacer {
            Some(p) => {
                if p.busy(tokio::time::Instant::now()) {
                    line = line.get(1..).unwrap_or_default();
                }
                for chunk in line.chunks(p.chunk()) {
                    p.transmit(chunk.len()).await;
                    io.write_all(chunk).await?;
                }
            }
            None => io.write_all(line).await?,
        }
        io.flush().await?;
        stats.frame_out(payload.len(), line.len());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ingest() -> Ingest {
        Ingest::new(8, Arc::new(Stats::new()))
    }

    fn drain(i: &mut Ingest) -> Vec<Received> {
        i.pending.drain(..).collect()
    }

    #[test]
    fn empty_frame_and_short_ones() {
        let mut i = ingest();
        let mut wire = Vec::new();
        hdlc::encode_frame(&[], &mut wire);
        assert_eq!(wire, [FLAG, 0, 0, FLAG]);
        wire.extend_from_slice(&[0x00, 0x01, FLAG]); // 2 octets, wrong FCS
        wire.extend_from_slice(&[0x00, FLAG]); // 1 octet
        wire.extend_from_slice(&[0x7D, 0x20, 0x7D, 0x20, FLAG]); // empty frame, 0x00 escaped
        i.push(&wire);
        assert_eq!(
            drain(&mut i),
            [
                Received::Frame(vec![]),
                Received::Error(RxError::BadFcs),
                Received::Error(RxError::Runt),
                Received::Frame(vec![]),
            ]
        );
        let s = i.stats.snapshot();
        assert_eq!((s.frames_in, s.fcs_errors, s.runts), (2, 1, 1));
    }

    #[test]
    fn too_long_then_octet_counting_to_the_next_flag() {
        let mut i = ingest();
        i.push(&[FLAG]);
        // 8 octets of payload + 2 of FCS fit; the 11th overflows; 4 more are discarded.
        i.push(&[1; 11]);
        i.push(&[2; 4]);
        let mut good = Vec::new();
        hdlc::encode_frame(&[9; 8], &mut good);
        i.push(&good);
        assert_eq!(
            drain(&mut i),
            [
                Received::Error(RxError::TooLong),
                Received::Error(RxError::OctetCounting { octets: 4 }),
                Received::Frame(vec![9; 8]),
            ]
        );
        let s = i.stats.snapshot();
        assert_eq!((s.too_long, s.octets_discarded, s.frames_in), (1, 4, 1));
    }

    #[test]
    fn every_split_of_a_stream_gives_the_same_result() {
        let mut wire = vec![0x55, 0x66];
        for len in [0usize, 1, 3, 8] {
            let p: Vec<u8> = (0..len).map(|k| [FLAG, ESCAPE, 0x11][k % 3]).collect();
            hdlc::encode_frame(&p, &mut wire);
        }
        wire.extend_from_slice(&[FLAG, 1, 2, 3, ESCAPE, FLAG]); // abort
        wire.extend_from_slice(&[3; 20]);
        wire.push(FLAG);
        let mut whole = ingest();
        whole.push(&wire);
        let want = drain(&mut whole);
        assert_eq!(want.len(), 7, "{want:?}");
        for cut in 1..wire.len() {
            let mut i = ingest();
            let (a, b) = wire.split_at(cut);
            i.push(a);
            i.push(b);
            let got = drain(&mut i);
            // Octet counting notices may come in two pieces; their sum is the same.
            let merge = |v: Vec<Received>| {
                let mut out: Vec<Received> = Vec::new();
                for r in v {
                    match (out.last_mut(), r) {
                        (
                            Some(Received::Error(RxError::OctetCounting { octets: a })),
                            Received::Error(RxError::OctetCounting { octets: b }),
                        ) => *a += b,
                        (_, r) => out.push(r),
                    }
                }
                out
            };
            assert_eq!(merge(got), merge(want.clone()), "cut at {cut}");
        }
    }

    fn merged(v: Vec<Received>) -> Vec<Received> {
        let mut out: Vec<Received> = Vec::new();
        for r in v {
            match (out.last_mut(), r) {
                (
                    Some(Received::Error(RxError::OctetCounting { octets: a })),
                    Received::Error(RxError::OctetCounting { octets: b }),
                ) => *a += b,
                (_, r) => out.push(r),
            }
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        /// Any octets, cut anywhere: no panic, the same frames and notices as in one piece,
        /// and the statistics agree with what was passed up.
        #[test]
        fn any_stream_any_cuts(
            // Biased towards flags and escapes so frames, aborts and runts all happen.
            wire in proptest::collection::vec(
                proptest::prop_oneof![
                    3 => proptest::prelude::Just(FLAG),
                    1 => proptest::prelude::Just(ESCAPE),
                    8 => proptest::prelude::any::<u8>(),
                ],
                0..600,
            ),
            cuts in proptest::collection::vec(0usize..600, 0..8),
        ) {
            let mut whole = ingest();
            whole.push(&wire);
            let want = merged(drain(&mut whole));
            let mut cut_up = ingest();
            let mut cuts: Vec<usize> = cuts.into_iter().filter(|&c| c <= wire.len()).collect();
            cuts.sort_unstable();
            let mut from = 0;
            for c in cuts.into_iter().chain([wire.len()]) {
                cut_up.push(wire.get(from..c).unwrap_or_default());
                from = c;
            }
            let got = merged(drain(&mut cut_up));
            proptest::prop_assert_eq!(&got, &want);
            let s = cut_up.stats.snapshot();
            let frames = got.iter().filter(|r| matches!(r, Received::Frame(_))).count();
            let errors = got.len() - frames;
            proptest::prop_assert_eq!(s.frames_in, frames as u64);
            let longest = got
                .iter()
                .map(|r| match r {
                    Received::Frame(f) => f.len(),
                    Received::Error(_) => 0,
                })
                .max()
                .unwrap_or(0);
            proptest::prop_assert!(longest <= 8);
            let counted = s.fcs_errors + s.aborts + s.too_long + s.runts;
            let octet_notices = got
                .iter()
                .filter(|r| matches!(r, Received::Error(RxError::OctetCounting { .. })))
                .count();
            proptest::prop_assert_eq!(counted, (errors - octet_notices) as u64);
            proptest::prop_assert_eq!(s.line_octets_in, wire.len() as u64);
        }
    }
}
