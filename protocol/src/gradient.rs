//! The gradient coder: each pixel predicted from its neighbours by the median edge detector,
//! and its errors coded by an adaptive binary range coder under contexts, as lossless image
//! coders since CALIC and JPEG-LS do. `px-tiles` codes its gradient records with it (the
//! scene crate's `encoding::tiles`), and command mode its photographs
//! ([`crate::ImageFormat::Rgb8Gradient`], in [`crate::images`]).
//!
//! Zstandard after a filter (`Rgb8Zstd`, and `px-tiles` in protocols 7 to 13) codes such
//! errors with one table of literals per block, whatever the picture does around each pixel.
//! Here each is coded with probabilities learnt from errors made in the same context: how
//! busy the neighbourhood is, how large the errors just made around it were, and for blue and
//! red, the green error of the same pixel. On the image viewer's photographs that is about a
//! third fewer bytes (BENCHMARKS.md, session 28).
//!
//! # Format
//! A stream is LZMA's binary range coder's, without its first byte (which is always 0); a
//! stream holds exactly the bytes its decoder reads. A probability is the chance of a 0 out
//! of 65,536; it starts at 32,768 and after each bit moves a sixteenth of the way: `p +=
//! (65536 - p) >> 4` after a 0, `p -= p >> 4` after a 1. A bit that is 1 is coded as the
//! upper part of the range.
//!
//! A *record* is a rectangle of pixels, coded row by row ([`code`]); in each pixel green, then
//! blue, then red. A channel's prediction `p` comes from its left `a`, upper `b` and
//! upper-left `c` neighbours ([`median`]); neighbours outside the record are given with it
//! (its *edges*: what its user has there, or 0). Its error `e = v - p` (modulo 256, from -128
//! to 127) is coded as `e` for green and as `e - e_green` (the same modulo) for blue and red;
//! the decoder's `v` is `p + e` modulo 256. Each value has the probabilities of its context,
//! made of:
//! - the channel;
//! - the activity `|a - c| + |b - c| + |b - d|` in nine classes (`activity`), where `d`
//!   is the upper-right neighbour (`b` in the record's last column);
//! - the errors `|e|` of the left and upper neighbours plus half (rounded down) the sum of
//!   those of the upper-left and upper-right ones, each 0 outside the record, in eight
//!   classes (`energy`);
//! - for blue and red, the green error of the pixel, in seven classes (`green`).
//!
//! A coded value `x`: a bit, whether it is not 0; if not, a bit, whether it is negative;
//! then `n = floor(log2 |x|)` in unary (`n` ones and a zero; no zero after seven ones); then
//! the `n` bits of `|x|` below its leading one, the highest first: the first two with
//! probabilities of their own (per `n`), the others at even odds (the range halved, as
//! LZMA's direct bits).
//!
//! The probabilities ([`Model`]) live as long as their user says: `px-tiles` keeps them for
//! the whole connection, so that a photograph's later tiles are coded with what its first
//! ones taught; an image starts with its own.

/// The bits of a probability: the chance that a bit is 0, out of `1 << PROB_BITS`.
const PROB_BITS: u32 = 16;
/// How fast a probability follows the bits: a sixteenth of the way each time. Chosen by
/// measurement on the image viewer's two photographs, where it made them 32% and 33%
/// smaller than the gradient record's errors in Zstandard; an eighth 1% larger than that,
/// a thirty-second 3% (the landscape), counts of each bit 13% (BENCHMARKS.md, session 28).
const ADAPT: u32 = 4;
/// Even odds.
const HALF: u16 = 1 << (PROB_BITS - 1);
/// The range's least value before it takes another byte.
const TOP: u32 = 1 << 24;

/// The adaptive bits of one context: zero, sign, seven of the unary length, and the two
/// highest bits below the leading one for each length (1 to 7, and 2 to 7).
const ZERO: usize = 0;
const SIGN: usize = 1;
const LENGTH: usize = 2;
const FIRST: usize = LENGTH + 7;
const SECOND: usize = FIRST + 8;
const BITS: usize = SECOND + 8;
/// The contexts: channel, activity, energy, green residual.
const CONTEXTS: usize = 3 * 9 * 8 * 7;

/// The probabilities of every context: what each end learnt so far.
pub struct Model {
    probs: Vec<[u16; BITS]>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Model")
    }
}

impl Default for Model {
    fn default() -> Self {
        Model {
            probs: vec![[HALF; BITS]; CONTEXTS],
        }
    }
}

impl Model {
    /// Forgets what it learnt (a reset rectangle).
    pub fn reset(&mut self) {
        self.probs.iter_mut().for_each(|p| *p = [HALF; BITS]);
    }
}

/// One end of the range coder: the encoder takes each bit and returns it, the decoder returns
/// the bit it reads.
pub trait Coder {
    /// Codes `bit` with the adaptive probability `p`.
    fn bit(&mut self, p: &mut u16, bit: bool) -> bool;
    /// Codes `bit` at even odds.
    fn even(&mut self, bit: bool) -> bool;
}

/// Moves `p` (the chance of a 0) towards `bit`.
#[inline]
fn learn(p: &mut u16, bit: bool) {
    if bit {
        *p -= *p >> ADAPT;
    } else {
        *p += (((1 << PROB_BITS) - u32::from(*p)) >> ADAPT) as u16;
    }
}

/// The encoding end: LZMA's range encoder.
#[derive(Debug)]
pub struct RangeEncoder {
    low: u64,
    range: u32,
    /// The byte not yet written (a carry may still reach it), and the bytes of 0xff after
    /// it, it included.
    cache: u8,
    pending: u64,
    out: Vec<u8>,
}

impl Default for RangeEncoder {
    fn default() -> Self {
        RangeEncoder {
            low: 0,
            range: u32::MAX,
            cache: 0,
            pending: 1,
            out: Vec::new(),
        }
    }
}

impl RangeEncoder {
    // Inlined across crates as it was within one (the scene's tiles called it before the
    // coder moved here).
    #[inline]
    fn shift_low(&mut self) {
        if (self.low as u32) < 0xff00_0000 || self.low >> 32 != 0 {
            let carry = (self.low >> 32) as u8;
            let mut byte = self.cache;
            while self.pending > 0 {
                self.out.push(byte.wrapping_add(carry));
                byte = 0xff;
                self.pending -= 1;
            }
            self.cache = (self.low >> 24) as u8;
        }
        self.pending += 1;
        self.low = (self.low & 0x00ff_ffff) << 8;
    }

    #[inline]
    fn normalize(&mut self) {
        while self.range < TOP {
            self.range <<= 8;
            self.shift_low();
        }
    }

    /// Ends the stream: its bytes, without the first (always 0), and a new encoder.
    pub fn finish(&mut self) -> Vec<u8> {
        for _ in 0..5 {
            self.shift_low();
        }
        let mut out = std::mem::take(&mut self.out);
        out.remove(0);
        *self = RangeEncoder::default();
        out
    }
}

impl Coder for RangeEncoder {
    #[inline]
    fn bit(&mut self, p: &mut u16, bit: bool) -> bool {
        let bound = (self.range >> PROB_BITS) * u32::from(*p);
        if bit {
            self.low += u64::from(bound);
            self.range -= bound;
        } else {
            self.range = bound;
        }
        learn(p, bit);
        self.normalize();
        bit
    }

    #[inline]
    fn even(&mut self, bit: bool) -> bool {
        self.range >>= 1;
        if bit {
            self.low += u64::from(self.range);
        }
        self.normalize();
        bit
    }
}

/// The decoding end. Past the end of its bytes it reads zeros, and says so
/// ([`RangeDecoder::exact`]): a lying section gives wrong pixels and an error, never a
/// panic, and its work is bounded by the pixels of its records.
#[derive(Debug)]
pub struct RangeDecoder<'a> {
    bytes: &'a [u8],
    read: usize,
    range: u32,
    code: u32,
}

impl<'a> RangeDecoder<'a> {
    /// A decoder of the stream `bytes`.
    pub fn new(bytes: &'a [u8]) -> RangeDecoder<'a> {
        let mut decoder = RangeDecoder {
            bytes,
            read: 0,
            range: u32::MAX,
            code: 0,
        };
        for _ in 0..4 {
            decoder.code = (decoder.code << 8) | decoder.next();
        }
        decoder
    }

    #[inline]
    fn next(&mut self) -> u32 {
        let byte = self.bytes.get(self.read).copied().unwrap_or(0);
        self.read += 1;
        u32::from(byte)
    }

    #[inline]
    fn normalize(&mut self) {
        while self.range < TOP {
            self.range <<= 8;
            self.code = (self.code << 8) | self.next();
        }
    }

    /// Whether it read exactly its bytes, no fewer and none past their end.
    pub fn exact(&self) -> bool {
        self.read == self.bytes.len()
    }

    /// Whether it read past the end of its bytes (which no stream that an encoder made
    /// does): what it decodes from then on is made up.
    pub fn past_end(&self) -> bool {
        self.read > self.bytes.len()
    }
}

impl Coder for RangeDecoder<'_> {
    #[inline]
    fn bit(&mut self, p: &mut u16, _: bool) -> bool {
        let bound = (self.range >> PROB_BITS) * u32::from(*p);
        let bit = self.code >= bound;
        if bit {
            self.code -= bound;
            self.range -= bound;
        } else {
            self.range = bound;
        }
        learn(p, bit);
        self.normalize();
        bit
    }

    #[inline]
    fn even(&mut self, _: bool) -> bool {
        self.range >>= 1;
        let bit = self.code >= self.range;
        if bit {
            self.code -= self.range;
        }
        self.normalize();
        bit
    }
}

/// The prediction of one channel from its left, upper and upper-left neighbours: LOCO-I's
/// median edge detector, `min(left, up)` when `up_left >= max(left, up)`, `max(left, up)`
/// when `up_left <= min(left, up)`, else `left + up - up_left`. It turns smooth shading into
/// small errors, as Tight's gradient filter does, and follows an edge where that filter
/// overshoots it.
#[inline]
pub fn median(left: i32, up: i32, up_left: i32) -> i32 {
    let (low, high) = (left.min(up), left.max(up));
    if up_left >= high {
        low
    } else if up_left <= low {
        high
    } else {
        left + up - up_left
    }
}

/// The upper bounds of the activity's classes but the last (see the format).
const ACTIVITY: [i32; 8] = [0, 2, 5, 9, 15, 25, 40, 70];
/// The upper bounds of the errors' classes but the last (see the format).
const ENERGY: [i32; 7] = [0, 1, 3, 6, 12, 25, 60];
/// The upper bounds of the green error's size classes but the last (see [`green`]).
const GREEN: [i32; 2] = [1, 6];

/// The class of `value` among classes whose upper bounds are `upper` (then one above them).
#[inline]
fn class(value: i32, upper: &[i32]) -> usize {
    upper.iter().take_while(|&&u| value > u).count()
}

/// The activity's class (see the format): 0 for 0, then up to 2, 5, 9, 15, 25, 40, 70, and
/// above.
#[inline]
fn activity(sum: i32) -> usize {
    class(sum, &ACTIVITY)
}

/// The errors' class (see the format): 0 for 0, then 1, up to 3, 6, 12, 25, 60, and above.
#[inline]
fn energy(sum: i32) -> usize {
    class(sum, &ENERGY)
}

/// The green error's class (see the format): 0 for 0; -7 and below, -6 to -2, -1; 1, 2 to
/// 6, 7 and above.
#[inline]
fn green(e: i32) -> usize {
    let size = class(e.abs(), &GREEN);
    match e.signum() {
        0 => 0,
        -1 => 3 - size,
        _ => 4 + size,
    }
}

/// `e` modulo 256, from -128 to 127.
#[inline]
fn wrap(e: i32) -> i32 {
    ((e + 128) & 255) - 128
}

/// Codes one value (see the format): the encoder gives `x`, the decoder gets it.
#[inline]
fn value<C: Coder>(coder: &mut C, p: &mut [u16; BITS], x: i32) -> i32 {
    if !coder.bit(&mut p[ZERO], x != 0) {
        return 0;
    }
    let negative = coder.bit(&mut p[SIGN], x < 0);
    // The decoder's `x` is 0: its bits are read, not taken from it.
    let magnitude = x.unsigned_abs().max(1);
    let length = magnitude.ilog2() as usize;
    let mut n = 0;
    while n < 7 && coder.bit(&mut p[LENGTH + n], n < length) {
        n += 1;
    }
    let mut v = 1u32;
    for i in (0..n).rev() {
        let bit = (magnitude >> i) & 1 == 1;
        let bit = if i + 1 == n {
            coder.bit(&mut p[FIRST + n], bit)
        } else if i + 2 == n {
            coder.bit(&mut p[SECOND + n], bit)
        } else {
            coder.even(bit)
        };
        v = (v << 1) | u32::from(bit);
    }
    // At most 255: no overflow.
    let v = v as i32;
    if negative {
        -v
    } else {
        v
    }
}

/// Codes the `pixels` of a record, `width` wide (at most `N - 2`: the buffers of a row, on
/// the stack, have a column more on each side), whose neighbours are `edges`: the row above
/// from the upper-left corner (`width + 1` pixels), then the column to the left (a pixel a
/// row). Pixels are `0x00RRGGBB`. The encoder's `pixels` are its record's; the decoder's are
/// overwritten with what it decodes.
pub fn code<C: Coder, const N: usize>(
    model: &mut Model,
    coder: &mut C,
    width: usize,
    edges: &[u32],
    pixels: &mut [u32],
) {
    assert!(width + 2 <= N, "a record of {width} pixels in rows of {N}");
    let (up_edge, left_edge) = edges.split_at(width + 1);
    // The rows above and this one, with their left neighbour first; and their errors per
    // channel, with a 0 on either side.
    let mut above = [0u32; N];
    let mut line = [0u32; N];
    let mut errors_above = [[0i32; N]; 3];
    let mut errors = [[0i32; N]; 3];
    above[..=width].copy_from_slice(up_edge);
    for (y, &left) in left_edge.iter().enumerate().take(pixels.len() / width) {
        line[0] = left;
        for x in 0..width {
            let i = y * width + x;
            let (mut pixel, mut green_error) = (0u32, 0i32);
            // Green, blue, red: shifts in a 0x00RRGGBB pixel.
            for (channel, shift) in [8u32, 0, 16].into_iter().enumerate() {
                let at = |p: u32| (p >> shift & 0xff) as i32;
                let (a, b, c) = (at(line[x]), at(above[x + 1]), at(above[x]));
                let d = if x + 1 < width { at(above[x + 2]) } else { b };
                let prediction = median(a, b, c);
                // Column x's error is at x + 1 (and 0 past the record's edges).
                let errors_near = errors[channel][x]
                    + errors_above[channel][x + 1]
                    + (errors_above[channel][x] + errors_above[channel][x + 2]) / 2;
                let busy = activity((a - c).abs() + (b - c).abs() + (b - d).abs());
                let green = if channel == 0 { 0 } else { green(green_error) };
                let context = ((channel * 9 + busy) * 8 + energy(errors_near)) * 7 + green;
                let e = wrap(at(pixels[i]) - prediction);
                let coded = if channel == 0 {
                    e
                } else {
                    wrap(e - green_error)
                };
                let coded = value(coder, &mut model.probs[context], coded);
                let e = if channel == 0 {
                    coded
                } else {
                    wrap(coded + green_error)
                };
                if channel == 0 {
                    green_error = e;
                }
                errors[channel][x + 1] = e.abs();
                pixel |= ((prediction + e) as u32 & 0xff) << shift;
            }
            pixels[i] = pixel;
            line[x + 1] = pixel;
        }
        above[..=width].copy_from_slice(&line[..=width]);
        std::mem::swap(&mut errors_above, &mut errors);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little xorshift generator.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// Bits of every kind, with adaptive and even odds, through the encoder and back: long
    /// runs of one likely bit (the carries that run through bytes of 0xff, the range coder's
    /// classic trap), runs of unlikely ones, and noise. The decoder reads exactly the bytes
    /// written.
    #[test]
    fn the_range_coder_gives_back_every_bit_and_reads_exactly_its_bytes() {
        for seed in 1..200u64 {
            let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            let len = 1 + (next(&mut state) & 4095) as usize;
            let mode = (seed % 6) as u8;
            let bits: Vec<(bool, bool)> = (0..len)
                .map(|i| {
                    let r = next(&mut state);
                    let bit = match mode {
                        0 => r & 1023 != 0,
                        1 => r & 1023 == 0,
                        2 => (i / 700) & 1 == 0,
                        3 => r & 1 == 1,
                        4 => r & 7 == 0,
                        // Ones at even odds take the range's low end up to just under a
                        // byte boundary: bytes of 0xff wait for a carry.
                        _ => i < len / 2 || r & 1 == 1,
                    };
                    let even = if mode == 5 {
                        i < len / 2
                    } else {
                        (r >> 20) & 7 == 0
                    };
                    (bit, even)
                })
                .collect();
            let mut probs = [HALF; 4];
            let mut encoder = RangeEncoder::default();
            for (i, &(bit, even)) in bits.iter().enumerate() {
                if even {
                    encoder.even(bit);
                } else {
                    encoder.bit(&mut probs[i % 4], bit);
                }
            }
            let bytes = encoder.finish();
            let mut probs = [HALF; 4];
            let mut decoder = RangeDecoder::new(&bytes);
            for (i, &(bit, even)) in bits.iter().enumerate() {
                let got = if even {
                    decoder.even(false)
                } else {
                    decoder.bit(&mut probs[i % 4], false)
                };
                assert_eq!(got, bit, "seed {seed}, bit {i} of {len}");
            }
            assert!(
                decoder.exact(),
                "seed {seed}: read {} of {}",
                decoder.read,
                bytes.len()
            );
        }
    }

    /// The bits a decoder reads from a value just past a byte boundary (0x5a80, then 300
    /// bytes of zeros, then 0x40) keep the encoder's range straddling that boundary: its low
    /// end runs through bytes of 0xff until a carry takes them all to 0x00, which the bytes
    /// must survive.
    #[test]
    fn a_carry_through_many_bytes_of_0xff_is_kept() {
        let mut crafted = vec![0x5a, 0x80];
        crafted.resize(302, 0);
        crafted.extend([0x40; 20]);
        let mut probs = [HALF; 3];
        let mut reader = RangeDecoder::new(&crafted);
        let mut bits = Vec::new();
        while reader.read < 310 {
            bits.push(reader.bit(&mut probs[bits.len() % 3], false));
        }
        let mut probs = [HALF; 3];
        let mut encoder = RangeEncoder::default();
        for (i, &bit) in bits.iter().enumerate() {
            encoder.bit(&mut probs[i % 3], bit);
        }
        let bytes = encoder.finish();
        // The carry happened: the bytes hold the crafted value's, 0x5a80 then zeros.
        assert_eq!(bytes[..4], [0x5a, 0x80, 0, 0], "{:x?}", &bytes[..8]);
        let mut probs = [HALF; 3];
        let mut decoder = RangeDecoder::new(&bytes);
        for (i, &bit) in bits.iter().enumerate() {
            assert_eq!(decoder.bit(&mut probs[i % 3], false), bit, "bit {i}");
        }
        assert!(decoder.exact());
    }

    /// The classes of the contexts, at their edges, as the format gives them.
    #[test]
    fn the_contexts_classes_are_the_formats() {
        let activities = [0, 1, 2, 3, 5, 6, 9, 10, 15, 16, 25, 26, 40, 41, 70, 71, 765];
        let classes = activities.map(activity);
        assert_eq!(classes, [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8]);
        let sums = [0, 1, 2, 3, 4, 6, 7, 12, 13, 25, 26, 60, 61, 384];
        let classes = sums.map(energy);
        assert_eq!(classes, [0, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]);
        let errors = [-128, -7, -6, -2, -1, 0, 1, 2, 6, 7, 127];
        assert_eq!(errors.map(green), [1, 1, 2, 2, 3, 0, 4, 5, 5, 6, 6]);
    }

    /// Every value a channel's error can take, under one context, comes back.
    #[test]
    fn every_value_comes_back() {
        let values: Vec<i32> = (-128..128).chain((-128..128).rev()).collect();
        let mut probs = [HALF; BITS];
        let mut encoder = RangeEncoder::default();
        for &v in &values {
            assert_eq!(value(&mut encoder, &mut probs, v), v);
        }
        let bytes = encoder.finish();
        let mut probs = [HALF; BITS];
        let mut decoder = RangeDecoder::new(&bytes);
        for &v in &values {
            assert_eq!(value(&mut decoder, &mut probs, 0), v);
        }
        assert!(decoder.exact());
    }
}
