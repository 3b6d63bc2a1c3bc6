//! The compression stream that `px-tiles` keeps for a whole connection: one Zstandard frame
//! that never ends, flushed after each rectangle, so that every rectangle is compressed
//! against everything sent before it (up to [`WINDOW_LOG`]) and is decodable on arrival.
//!
//! Zstandard was chosen by measurement over deflate (which the encoding used first): on the
//! records of the bandwidth benchmark's workloads it is as small or smaller on every one
//! (a quarter smaller where content comes back after more than deflate's 32 KiB window, as
//! in a list scrolled to and fro), and several times faster to compress and to expand.

use zstd::stream::raw::{CParameter, DParameter, Decoder, Encoder, InBuffer, Operation, OutBuffer};

/// The window, as a power of two: 4 MiB, more than the records of a whole 1280x800 screen
/// (three bytes a pixel), so that anything on the screen that was sent before can be found
/// again. Each side of a connection keeps that much.
pub const WINDOW_LOG: u32 = 22;
/// How the compressor searches, chosen by measurement on the bandwidth benchmark's workloads
/// (`bandwidth --quick --links none --vnc`, steady bytes per update): Zstandard's optimal
/// parser (`btopt`) with small tables and a short search. Most updates are a few hundred
/// bytes of records, where picking the cheapest matches matters more than finding more of
/// them: this is 5 to 12% smaller than Zstandard's default level (3) on every workload, as
/// small as level 19 within 6%, and costs no time on typing and scrolling; a
/// whole new screen compresses at about 60% of level 3's speed. The tables take 768 KiB, as
/// level 3's do. A match of 64 bytes is long enough to take without looking further (the
/// target length): since blend records give their opacities column by column, a glyph seen
/// before is one long match, and a target of 8 cut them short (2-4% more bytes on every
/// workload; no slower). Searching twice as deep (`SearchLog(2)`) saves another 1-2% but
/// makes a whole new screen 15% slower; larger tables saved nothing.
const SEARCH: [CParameter; 6] = [
    CParameter::Strategy(zstd::zstd_safe::Strategy::ZSTD_btopt),
    CParameter::HashLog(16),
    CParameter::ChainLog(17),
    CParameter::SearchLog(1),
    CParameter::MinMatch(3),
    CParameter::TargetLength(64),
];

/// The stream's compressing end (public so that fuzzers and tests can make streams as the
/// encoder does).
pub struct Compressor {
    zstd: Encoder<'static>,
}

impl std::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Compressor")
    }
}

impl Default for Compressor {
    fn default() -> Self {
        Self::new()
    }
}

impl Compressor {
    /// A new stream. In a fuzzer's build (`cfg(fuzzing)`) it is [`Compressor::small`]: the
    /// fuzz targets start a stream for every viewer of every input, and the search's tables
    /// (768 KiB, zeroed at each start) were a tenth of the `server` target's time; the stream
    /// the decoder reads is of the same kind, and the decoder is what the fuzzers are for.
    pub fn new() -> Compressor {
        if cfg!(fuzzing) {
            Self::small()
        } else {
            Self::with(&SEARCH)
        }
    }

    /// A new stream of the same kind, made by Zstandard's fastest search with tables of
    /// 4 KiB: larger, but cheap to start. The encoder's tables (768 KiB) are zeroed when a
    /// stream starts, which was a fifth of the `tiles` fuzz target's time, where every input
    /// starts one (`fuzz/`).
    pub fn small() -> Compressor {
        Self::with(&[
            CParameter::Strategy(zstd::zstd_safe::Strategy::ZSTD_fast),
            CParameter::HashLog(10),
            CParameter::ChainLog(10),
        ])
    }

    fn with(search: &[CParameter]) -> Compressor {
        // Fails only when the library cannot allocate its context, or refuses a parameter
        // within the bounds it documents: neither can happen with these constants.
        let mut zstd = Encoder::new(0).expect("a zstd compression context");
        for &parameter in [CParameter::WindowLog(WINDOW_LOG)].iter().chain(search) {
            zstd.set_parameter(parameter)
                .expect("a parameter within zstd's bounds");
        }
        Compressor { zstd }
    }

    /// Starts a new stream: nothing sent before is referred to.
    pub fn restart(&mut self) {
        self.zstd.reinit().expect("a zstd context restarts");
    }

    /// `input` as the stream's next piece, flushed: the decoder expands all of it from this
    /// piece and the ones before.
    pub fn compress(&mut self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len() / 4 + 64);
        let mut input = InBuffer::around(input);
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(256));
            }
            let end = out.len();
            let mut output = OutBuffer::around_pos(&mut out, end);
            // With room to write, these fail only on a corrupt context.
            let left = if input.pos() < input.src.len() {
                self.zstd
                    .run(&mut input, &mut output)
                    .expect("zstd compresses into room");
                1
            } else {
                self.zstd
                    .flush(&mut output)
                    .expect("zstd flushes into room")
            };
            if left == 0 {
                return out;
            }
        }
    }
}

/// The stream's expanding end, trusting nothing it is given.
pub(super) struct Expander {
    zstd: Decoder<'static>,
}

impl std::fmt::Debug for Expander {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Expander")
    }
}

/// Bytes the buffer grows by at most, at a time, while a piece expands.
const CHUNK: usize = 64 << 10;

/// What went wrong expanding a piece of the stream.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum ExpandError {
    /// The bytes are not a Zstandard stream, or not this one.
    Corrupt,
    /// The piece expands to more than the limit.
    TooLong,
}

impl Expander {
    pub(super) fn new() -> Expander {
        let mut zstd = Decoder::new().expect("a zstd decompression context");
        // A stream that asks for a larger window than the encoder uses is refused, so that a
        // peer cannot make the viewer hold more.
        zstd.set_parameter(DParameter::WindowLogMax(WINDOW_LOG))
            .expect("a window zstd supports");
        Expander { zstd }
    }

    /// Starts a new stream, as the compressor did.
    pub(super) fn restart(&mut self) {
        self.zstd.reinit().expect("a zstd context restarts");
    }

    /// Expands the stream's next piece `data` into the start of `out`, refusing more than
    /// `limit` bytes; returns how many it expanded to. `out` is a buffer kept from piece to
    /// piece: it grows (zeroed) by up to a [`CHUNK`] at a time when a piece needs more room,
    /// never past `limit` and a byte, and what lies past the returned length is left from
    /// earlier pieces. The bytes expand straight into it (a whole screen's records are
    /// megabytes, which went through a chunk of their own before).
    pub(super) fn expand(
        &mut self,
        data: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<usize, ExpandError> {
        let mut filled = 0;
        let mut input = InBuffer::around(data);
        loop {
            // Room for a byte more than the limit, so that a piece over it is seen.
            let end = (filled + CHUNK).min(limit + 1);
            if out.len() < end {
                out.resize(end, 0);
            }
            let mut output = OutBuffer::around(&mut out[filled..end]);
            self.zstd
                .run(&mut input, &mut output)
                .map_err(|_| ExpandError::Corrupt)?;
            filled += output.pos();
            if filled > limit {
                return Err(ExpandError::TooLong);
            }
            // All in, and the decoder had room left: everything flushed is out. (A piece cut
            // short expands to what it holds; its records then end early, which the caller
            // refuses.)
            if input.pos() == data.len() && filled < end {
                return Ok(filled);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both kinds of stream (the encoder's, and the small one of the fuzz targets).
    #[test]
    fn pieces_expand_on_arrival_and_refer_to_earlier_ones() {
        for mut c in [Compressor::new(), Compressor::small()] {
            let mut e = Expander::new();
            // Noise (xorshift), which only a reference to the first copy can shrink.
            let mut x = 0x9e37_79b9u32;
            let text: Vec<u8> = (0..50_000)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            let first = c.compress(&text);
            let again = c.compress(&text);
            assert!(
                again.len() * 20 < first.len(),
                "the second copy refers to the first"
            );
            let mut out = Vec::new();
            for piece in [&first, &again] {
                let n = e.expand(piece, &mut out, text.len()).unwrap();
                out.truncate(n);
                assert_eq!(out, text);
            }
            // After a restart, nothing before is known.
            c.restart();
            e.restart();
            let fresh = c.compress(&text);
            assert!(fresh.len() > again.len() * 20);
            let n = e.expand(&fresh, &mut out, text.len()).unwrap();
            assert_eq!(out[..n], text);
        }
    }

    #[test]
    fn lying_pieces_are_errors() {
        let mut out = Vec::new();
        let zeros = Compressor::new().compress(&[0; 100_000]);
        assert!(zeros.len() < 100);
        assert_eq!(
            Expander::new().expand(&zeros, &mut out, 99_999),
            Err(ExpandError::TooLong)
        );
        // The buffer grew to the limit and a byte, no further.
        assert_eq!(out.len(), 100_000);
        assert_eq!(
            Expander::new().expand(&[0xff; 40], &mut out, 1000),
            Err(ExpandError::Corrupt)
        );
        // A stream that asks the viewer to keep a larger window than px-tiles uses.
        let mut big = Encoder::new(3).unwrap();
        big.set_parameter(CParameter::WindowLog(WINDOW_LOG + 4))
            .unwrap();
        let mut data = Vec::with_capacity(1 << 16);
        let mut output = OutBuffer::around(&mut data);
        big.run(&mut InBuffer::around(&[1; 1000]), &mut output)
            .unwrap();
        big.flush(&mut output).unwrap();
        assert_eq!(
            Expander::new().expand(&data, &mut out, 1000),
            Err(ExpandError::Corrupt)
        );
    }
}
