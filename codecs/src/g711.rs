//! G.711 A-law and mu-law (ITU-T G.711), for the media side.
//!
//! Linear samples are 16-bit two's complement, as audio stacks carry them. A-law works on the
//! 13 most significant bits (G.711 Tables 1a/1b: a sign and 12 magnitude bits, chords of 16
//! steps), mu-law on the 14 most significant bits (Tables 2a/2b: a sign and a magnitude of at
//! most 8159). Decoding gives the table's reconstruction value scaled back to 16 bits.
//!
//! Character signals on the line: A-law inverts the even bits (XOR 0x55, G.711 Tables 1a/1b),
//! mu-law inverts all bits (Tables 2a/2b); in both the most significant bit is 1 for positive
//! values.
//!
//! Negative inputs follow the reference implementations the G.711 community tests against
//! (ITU-T G.191 STL `g711.c` for A-law, the Sun/CCITT reference code for mu-law, both used by
//! SoX and CPython's `audioop`): an A-law magnitude is the ones complement of a negative sample,
//! a mu-law magnitude its twos complement.

/// A-law decision boundaries: the largest 13-bit magnitude of each segment (G.711 Table 1a).
const ALAW_SEG_END: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
/// mu-law decision boundaries on the biased 14-bit magnitude (G.711 Table 2a).
const ULAW_SEG_END: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
/// The mu-law bias: 33 on the 14-bit scale (G.711 Table 2a, decision values offset by 33).
const ULAW_BIAS: i32 = 33;
/// The largest mu-law magnitude on the 14-bit scale (G.711 Table 2a).
const ULAW_CLIP: i32 = 8159;

const fn alaw_decode(code: u8) -> i16 {
    let a = code ^ 0x55;
    let quant = ((a & 0x0F) as i32) << 4;
    let seg = ((a & 0x70) >> 4) as i32;
    let t = match seg {
        0 => quant + 8,
        1 => quant + 0x108,
        _ => (quant + 0x108) << (seg - 1),
    };
    if a & 0x80 != 0 {
        t as i16
    } else {
        -t as i16
    }
}

const fn ulaw_decode(code: u8) -> i16 {
    let u = !code;
    let t = ((((u & 0x0F) as i32) << 3) + (ULAW_BIAS << 2)) << ((u & 0x70) >> 4);
    if u & 0x80 != 0 {
        ((ULAW_BIAS << 2) - t) as i16
    } else {
        (t - (ULAW_BIAS << 2)) as i16
    }
}

const ALAW_TABLE: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = alaw_decode(i as u8);
        i += 1;
    }
    t
};

const ULAW_TABLE: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = ulaw_decode(i as u8);
        i += 1;
    }
    t
};

fn segment(value: i32, ends: &[i32; 8]) -> usize {
    ends.iter().position(|&end| value <= end).unwrap_or(8)
}

/// The A-law character for a 16-bit linear sample (G.711 Table 1a; 13-bit resolution).
pub fn linear_to_alaw(sample: i16) -> u8 {
    let v = i32::from(sample) >> 3;
    let (mask, mag) = if v >= 0 {
        (0xD5u8, v)
    } else {
        (0x55u8, -v - 1)
    };
    let seg = segment(mag, &ALAW_SEG_END);
    if seg >= 8 {
        return 0x7F ^ mask;
    }
    let shift = if seg < 2 { 1 } else { seg };
    let code = ((seg as u8) << 4) | (((mag >> shift) & 0x0F) as u8);
    code ^ mask
}

/// The 16-bit linear value of an A-law character (the G.711 Table 1a reconstruction value
/// times 8).
pub fn alaw_to_linear(code: u8) -> i16 {
    ALAW_TABLE[usize::from(code)]
}

/// The mu-law character for a 16-bit linear sample (G.711 Table 2a; 14-bit resolution,
/// magnitudes above 8159 clipped).
pub fn linear_to_ulaw(sample: i16) -> u8 {
    let v = i32::from(sample) >> 2;
    let (mask, mag) = if v < 0 { (0x7Fu8, -v) } else { (0xFFu8, v) };
    let biased = mag.min(ULAW_CLIP) + ULAW_BIAS;
    let seg = segment(biased, &ULAW_SEG_END);
    if seg >= 8 {
        return 0x7F ^ mask;
    }
    let code = ((seg as u8) << 4) | (((biased >> (seg + 1)) & 0x0F) as u8);
    code ^ mask
}

/// The 16-bit linear value of a mu-law character (the G.711 Table 2a reconstruction value
/// times 4).
pub fn ulaw_to_linear(code: u8) -> i16 {
    ULAW_TABLE[usize::from(code)]
}

/// Appends the A-law characters of `samples` to `out`.
pub fn encode_alaw(samples: &[i16], out: &mut Vec<u8>) {
    out.extend(samples.iter().map(|&s| linear_to_alaw(s)));
}

/// Appends the linear samples of A-law `codes` to `out`.
pub fn decode_alaw(codes: &[u8], out: &mut Vec<i16>) {
    out.extend(codes.iter().map(|&c| alaw_to_linear(c)));
}

/// Appends the mu-law characters of `samples` to `out`.
pub fn encode_ulaw(samples: &[i16], out: &mut Vec<u8>) {
    out.extend(samples.iter().map(|&s| linear_to_ulaw(s)));
}

/// Appends the linear samples of mu-law `codes` to `out`.
pub fn decode_ulaw(codes: &[u8], out: &mut Vec<i16>) {
    out.extend(codes.iter().map(|&c| ulaw_to_linear(c)));
}

/// The A-law character carrying the same reconstruction value as a mu-law one, through the
/// linear value (not G.711 Table 3's direct conversion, which can differ by one step).
pub fn ulaw_to_alaw(code: u8) -> u8 {
    linear_to_alaw(ulaw_to_linear(code))
}

/// The mu-law character nearest an A-law one, through the linear value.
pub fn alaw_to_ulaw(code: u8) -> u8 {
    linear_to_ulaw(alaw_to_linear(code))
}

/// The A-law idle pattern (positive zero after even-bit inversion).
pub const ALAW_SILENCE: u8 = 0xD5;
/// The mu-law idle pattern (positive zero after inversion).
pub const ULAW_SILENCE: u8 = 0xFF;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_and_extremes() {
        assert_eq!(linear_to_alaw(0), ALAW_SILENCE);
        assert_eq!(linear_to_ulaw(0), ULAW_SILENCE);
        assert_eq!(alaw_to_linear(ALAW_SILENCE), 8);
        assert_eq!(ulaw_to_linear(ULAW_SILENCE), 0);
        assert_eq!(ulaw_to_linear(0x7F), 0);
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(alaw_to_linear(0x2A), -32256);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(linear_to_alaw(i16::MAX), 0xAA);
        assert_eq!(linear_to_alaw(i16::MIN), 0x2A);
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
    }
}
