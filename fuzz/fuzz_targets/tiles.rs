//! Feeds arbitrary `px-tiles` rectangles (tiles, and drawings) to a viewer's pixel decoder, a
//! few in a row so that the compression stream and the tile cache carry over: what a thin
//! client does with bytes from a server. Nothing may panic. Records of every kind are reachable from the raw bytes; JPEG
//! records (`px-tiles-jpeg`) are also made real and then spoiled (at most four an input),
//! since a fuzzer would hardly find a JPEG's structure by itself.
#![no_main]

use std::cell::RefCell;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netui_protocol::{EncodedRect, Rect, RectEncoding, Size};
use netui_scene::encoding::tiles::stream::Compressor;
use netui_scene::encoding::PixelDecoder;

thread_local! {
    /// The decoder and a compression stream of the encoder's kind, made once: each holds a
    /// Zstandard context with a window of megabytes. Each input starts them over. The
    /// stream has small tables (`Compressor::small`): the encoder's are zeroed at every
    /// start, which took a fifth of this target's time.
    static STATE: RefCell<(PixelDecoder, Compressor)> =
        RefCell::new((PixelDecoder::new(Size::new(72, 40)), Compressor::small()));
}

fuzz_target!(|data: &[u8]| {
    STATE.with_borrow_mut(|(decoder, stream)| run(decoder, stream, data));
});

fn run(decoder: &mut PixelDecoder, stream: &mut Compressor, data: &[u8]) {
    let size = Size::new(72, 40);
    decoder.reset(size);
    stream.restart();
    // Each rectangle: a header of 5 bytes (tile column, tile row, tiles across, tiles down,
    // flags: bit 0 reset, bit 1 the bytes are records to compress, bit 2 the records are one
    // JPEG record of the first two tiles, made of a real JPEG XORed with the bytes, bit 3 the
    // rectangle is a draw rectangle (its bytes, compressed, are a list of drawings), bits 4
    // and 5 half a tile more across and down, bits 6 and 7 see below), a length byte, then
    // that many bytes.
    let mut rest = data;
    // JPEG records past the fourth go as their bytes: each is a whole JPEG for the
    // decoder (a third-party one, fuzzed by its authors), and inputs with dozens of them took
    // most of this target's time on its corpus, in JPEG's Huffman tables and upsampling.
    let mut jpegs = 0;
    while let [x, y, w, h, flags, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (bytes, tail) = tail.split_at(len);
        rest = tail;
        let rect = Rect::new(
            i32::from(*x % 8) * 16,
            i32::from(*y % 4) * 16,
            u32::from(*w % 8) * 16 + u32::from(flags >> 4 & 1) * 8,
            u32::from(*h % 4) * 16 + u32::from(flags >> 5 & 1) * 8,
        );
        let reset = flags & 1 != 0;
        let jpeg_record;
        let bytes = if flags & 4 != 0 && jpegs < 4 {
            jpegs += 1;
            jpeg_record = spoiled_jpeg(bytes);
            &jpeg_record[..]
        } else {
            bytes
        };
        // Bit 6: the first byte says how many of the last bytes are the coded section of
        // gradient records (it follows the records, uncompressed).
        let (bytes, section) = match bytes {
            [n, rest @ ..] if flags & 64 != 0 => {
                rest.split_at(rest.len() - usize::from(*n).min(rest.len()))
            }
            _ => (bytes, &[][..]),
        };
        let mut data = if flags & 2 != 0 {
            if reset {
                stream.restart();
            }
            stream.compress(bytes)
        } else {
            bytes.to_vec()
        };
        data.extend_from_slice(section);
        let kind = if flags & 8 != 0 {
            RectEncoding::Draw
        } else {
            // Bit 7: a section length that lies (one more than there is).
            let coded = section.len() as u32 + u32::from(flags >> 7);
            RectEncoding::Tiles { reset, coded }
        };
        let rect = EncodedRect { rect, kind, data };
        let _ = decoder.apply(size, &[rect]);
    }
}

/// A JPEG record (op 8, two tiles: one alone would be longer than its pixels) of a 32x16
/// picture, its bytes XORed with `noise`.
fn spoiled_jpeg(noise: &[u8]) -> Vec<u8> {
    // The clean JPEG, made once.
    static JPEG: OnceLock<Vec<u8>> = OnceLock::new();
    let mut jpeg = JPEG
        .get_or_init(|| {
            let picture: Vec<u8> = (0..32 * 16 * 3).map(|i| (i * 37 % 251) as u8).collect();
            let mut jpeg = Vec::new();
            let encoder = jpeg_encoder::Encoder::new(&mut jpeg, 75);
            // Encoding a valid picture into a Vec does not fail.
            encoder
                .encode(&picture, 32, 16, jpeg_encoder::ColorType::Rgb)
                .expect("a JPEG of a valid picture");
            jpeg
        })
        .clone();
    for (b, n) in jpeg.iter_mut().zip(noise) {
        *b ^= n;
    }
    let mut record = vec![8, 1];
    record.extend_from_slice(&(jpeg.len() as u32).to_le_bytes());
    record.extend_from_slice(&jpeg);
    record
}
