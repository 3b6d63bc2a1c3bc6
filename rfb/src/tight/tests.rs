//! Round trips between an encoder and a decoder, as the two sides of one connection; byte
//! fixtures for what the encoder sends; corrupt input for the decoder.

use flate2::{Compress, Compression, FlushCompress};
use netui_protocol::{Color, Rect};
use netui_scene::render::Canvas;
use proptest::prelude::*;

use super::*;

fn bgr_big_endian() -> PixelFormat {
    let mut format = PixelFormat::SERVER;
    format.big_endian = true;
    format.red_shift = 0;
    format.blue_shift = 16;
    format
}

const LOSSLESS: TightSettings = TightSettings {
    jpeg_quality: None,
    compress_level: 2,
};

/// xorshift64*: noise that is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
    }
}

fn canvas(w: u32, h: u32, mut colour: impl FnMut(u32, u32) -> u32) -> Canvas {
    let mut c = Canvas::new(w, h, Color::rgb(0, 0, 0));
    for (i, p) in c.pixels_mut().iter_mut().enumerate() {
        *p = colour(i as u32 % w, i as u32 / w) & 0x00ff_ffff;
    }
    c
}

/// Black and grey "glyphs" and a blue "link" on white, in 7x13 cells: what a terminal or a
/// page of text looks like to an encoder.
fn text(w: u32, h: u32) -> Canvas {
    canvas(w, h, |x, y| {
        let (cx, cy, gx, gy) = (x / 7, y / 13, x % 7, y % 13);
        let glyph = (cx.wrapping_mul(2_654_435_761) ^ cy.wrapping_mul(40_503)) >> 7;
        if gx == 6 || !(2..=10).contains(&gy) || glyph % 5 == 0 {
            return 0x00ff_ffff;
        }
        let ink = if cy % 4 == 3 {
            0x0000_33cc
        } else {
            0x0010_1010
        };
        match (glyph >> (gx + gy * 2)) & 7 {
            0 | 1 => ink,
            2 => 0x0080_8080,
            _ => 0x00ff_ffff,
        }
    })
}

fn two_colour(w: u32, h: u32) -> Canvas {
    canvas(w, h, |x, y| {
        if (x * 7 + y * 3) % 11 < 4 {
            0x0033_6699
        } else {
            0x00ee_ddcc
        }
    })
}

fn sixteen_colours(w: u32, h: u32) -> Canvas {
    canvas(w, h, |x, y| ((x / 3) ^ (y / 5)) % 16 * 0x0010_0f0e)
}

fn gradient(w: u32, h: u32) -> Canvas {
    canvas(w, h, |x, y| {
        (x * 255 / w.max(1)) << 16 | (y * 255 / h.max(1)) << 8 | ((x + y) / 4) & 0xff
    })
}

fn noise(w: u32, h: u32, seed: u64) -> Canvas {
    let mut rng = Rng(seed);
    let mut c = Canvas::new(w, h, Color::rgb(0, 0, 0));
    for p in c.pixels_mut() {
        *p = rng.next() & 0x00ff_ffff;
    }
    c
}

/// A smooth picture with a little grain, as a photograph is.
fn photo(w: u32, h: u32, seed: u64) -> Canvas {
    let mut rng = Rng(seed);
    canvas(w, h, |x, y| {
        let grain = |v: f64, r: u32| (v + f64::from(r % 9) - 4.0).clamp(0.0, 255.0) as u32;
        let (fx, fy) = (f64::from(x) / 37.0, f64::from(y) / 23.0);
        let r = 128.0 + 100.0 * (fx.sin() * fy.cos());
        let g = 128.0 + 90.0 * ((fx + fy) / 2.0).cos();
        let b = 128.0 + 110.0 * (fy * 0.7).sin();
        grain(r, rng.next()) << 16 | grain(g, rng.next()) << 8 | grain(b, rng.next())
    })
}

/// A desktop: a text window, a photograph, a solid panel and a gradient title bar.
fn desktop(w: u32, h: u32) -> Canvas {
    let text = text(w, h);
    let photo = photo(w, h, 7);
    let gradient = gradient(w, h);
    canvas(w, h, |x, y| {
        let i = (y * w + x) as usize;
        if y < 24 {
            gradient.pixels()[i]
        } else if x < w / 2 {
            text.pixels()[i]
        } else if y < h / 2 {
            photo.pixels()[i]
        } else {
            0x003a_3f4b
        }
    })
}

/// The screen as a client in `format` sees it.
fn through(format: &PixelFormat, screen: &Canvas) -> Canvas {
    let mut c = screen.clone();
    for p in c.pixels_mut() {
        *p = format.rgb(format.pixel(*p));
    }
    c
}

/// Sends `rect` of `screen` from `encoder` to `decoder`, which draws into `viewer`; returns
/// the bytes sent.
fn send(
    encoder: &mut TightEncoder,
    decoder: &mut TightDecoder,
    screen: &Canvas,
    rect: Rect,
    format: &PixelFormat,
    settings: TightSettings,
    viewer: &mut Canvas,
) -> usize {
    let mut out = Vec::new();
    let count = encoder.encode(screen, rect, format, settings, &mut out);
    let mut input = &out[..];
    let mut area = 0;
    for _ in 0..count {
        let (header, rest) = input.split_at(12);
        input = rest;
        let u16_at = |i: usize| u32::from(u16::from_be_bytes([header[i], header[i + 1]]));
        assert_eq!(header[8..12], ENCODING.to_be_bytes());
        let sub = Rect::new(u16_at(0) as i32, u16_at(2) as i32, u16_at(4), u16_at(6));
        assert!(rect.contains_rect(sub), "{sub:?} outside {rect:?}");
        area += u64::from(sub.width) * u64::from(sub.height);
        decoder.decode(&mut input, sub, format, viewer).unwrap();
    }
    assert!(input.is_empty(), "{} bytes left over", input.len());
    let clipped = rect.intersect(screen.bounds());
    assert_eq!(area, u64::from(clipped.width) * u64::from(clipped.height));
    out.len()
}

fn assert_same(viewer: &Canvas, expected: &Canvas, what: &str) {
    if viewer != expected {
        let first = viewer
            .pixels()
            .iter()
            .zip(expected.pixels())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        let w = expected.width() as usize;
        panic!(
            "{what}: first difference at ({}, {}): {:06x} instead of {:06x}",
            first % w,
            first / w,
            viewer.pixels()[first],
            expected.pixels()[first]
        );
    }
}

#[test]
fn lossless_round_trips_in_every_format() {
    let screens: Vec<(&str, Canvas)> = vec![
        ("text", text(200, 100)),
        ("solid", Canvas::new(300, 200, Color::rgb(0x12, 0x34, 0x56))),
        ("two colours", two_colour(130, 70)),
        ("sixteen colours", sixteen_colours(256, 256)),
        ("gradient", gradient(320, 240)),
        ("noise", noise(100, 100, 1)),
        ("photo", photo(300, 200, 2)),
        ("1x1", noise(1, 1, 3)),
        ("65x17", noise(65, 17, 4)),
        ("65x17 text", text(65, 17)),
        ("2049x3", gradient(2049, 3)),
        ("2049x3 noise", noise(2049, 3, 5)),
        ("1280x800", desktop(1280, 800)),
    ];
    for format in [PixelFormat::SERVER, PixelFormat::rgb565(), bgr_big_endian()] {
        // One connection per format: its zlib streams carry over from screen to screen.
        let mut encoder = TightEncoder::new();
        let mut decoder = TightDecoder::new();
        for (level, (name, screen)) in screens.iter().enumerate() {
            let settings = TightSettings {
                jpeg_quality: None,
                compress_level: (level % 10) as u8,
            };
            let mut viewer = Canvas::new(screen.width(), screen.height(), Color::rgb(1, 2, 3));
            let rect = screen.bounds();
            send(
                &mut encoder,
                &mut decoder,
                screen,
                rect,
                &format,
                settings,
                &mut viewer,
            );
            assert_same(
                &viewer,
                &through(&format, screen),
                &format!("{name} {format:?}"),
            );
        }
    }
}

#[test]
fn updates_in_a_row_keep_the_streams_in_step() {
    let format = PixelFormat::SERVER;
    let mut screen = desktop(640, 400);
    let mut viewer = Canvas::new(640, 400, Color::rgb(0, 0, 0));
    let mut encoder = TightEncoder::new();
    let mut decoder = TightDecoder::new();
    let all = screen.bounds();
    send(
        &mut encoder,
        &mut decoder,
        &screen,
        all,
        &format,
        LOSSLESS,
        &mut viewer,
    );
    let mut rng = Rng(9);
    for step in 0..20u32 {
        // Something changes somewhere; only that part is sent.
        let rect = Rect::new(
            (rng.next() % 600) as i32,
            (rng.next() % 380) as i32,
            rng.next() % 200 + 1,
            rng.next() % 100 + 1,
        );
        let patch = match step % 4 {
            0 => text(rect.width, rect.height),
            1 => noise(rect.width, rect.height, u64::from(step)),
            2 => photo(rect.width, rect.height, u64::from(step)),
            _ => two_colour(rect.width, rect.height),
        };
        let clipped = rect.intersect(all);
        for y in 0..clipped.height as usize {
            for x in 0..clipped.width as usize {
                let to = (clipped.y as usize + y) * 640 + clipped.x as usize + x;
                screen.pixels_mut()[to] = patch.pixels()[y * rect.width as usize + x];
            }
        }
        let settings = TightSettings {
            jpeg_quality: None,
            compress_level: [2, 2, 6, 1][step as usize % 4],
        };
        send(
            &mut encoder,
            &mut decoder,
            &screen,
            rect,
            &format,
            settings,
            &mut viewer,
        );
        assert_same(&viewer, &screen, &format!("update {step}"));
    }
}

/// Peak signal-to-noise ratio of `got` against `want` over `area`, in dB (capped for equal
/// areas, so that floors compare).
fn psnr(got: &Canvas, want: &Canvas, area: Rect) -> f64 {
    let pixels = |c: &Canvas| -> Vec<u32> {
        let w = c.width() as usize;
        (area.y as usize..area.y as usize + area.height as usize)
            .flat_map(|y| {
                let start = y * w + area.x as usize;
                c.pixels()[start..start + area.width as usize].to_vec()
            })
            .collect()
    };
    netui_scene::render::psnr(&pixels(got), &pixels(want)).min(100.0)
}

/// The 16x16 tiles of `area` where `got` differs from `want`, by their top-left corners.
fn differing_tiles(got: &Canvas, want: &Canvas, area: Rect) -> Vec<(usize, usize)> {
    let w = want.width() as usize;
    let mut tiles = std::collections::BTreeSet::new();
    for y in area.y as usize..area.y as usize + area.height as usize {
        for x in area.x as usize..area.x as usize + area.width as usize {
            if got.pixels()[y * w + x] != want.pixels()[y * w + x] {
                tiles.insert((x / 16 * 16, y / 16 * 16));
            }
        }
    }
    tiles.into_iter().collect()
}

#[test]
fn jpeg_for_photographs_and_never_for_text() {
    // Measured on this picture (4:2:0, its grain of +-4 caps what chroma subsampling keeps):
    // PSNR of the photograph 31.3 dB at quality 0, 36.8 at 5, 37.8 at 9; the floors leave
    // about a decibel.
    let floors = [(0, 29.5), (5, 35.5), (9, 36.5)];
    let screen = desktop(640, 400);
    let photo_area = Rect::new(320, 24, 320, 176);
    // Text below the first row of 64x64 tiles: those mix it with the title bar's gradient.
    let text_area = Rect::new(0, 64, 320, 336);
    for (quality, floor) in floors {
        let settings = TightSettings {
            jpeg_quality: Some(quality),
            compress_level: 2,
        };
        let mut encoder = TightEncoder::new();
        let mut decoder = TightDecoder::new();
        let mut viewer = Canvas::new(640, 400, Color::rgb(0, 0, 0));
        let all = screen.bounds();
        let lossy = send(
            &mut encoder,
            &mut decoder,
            &screen,
            all,
            &PixelFormat::SERVER,
            settings,
            &mut viewer,
        );
        let quality_psnr = psnr(&viewer, &screen, photo_area);
        assert!(
            quality_psnr > floor,
            "quality {quality}: {quality_psnr:.1} dB"
        );
        let lossy_text = differing_tiles(&viewer, &screen, text_area);
        assert!(
            lossy_text.is_empty(),
            "quality {quality}: text went lossy in {lossy_text:?}"
        );
        let mut lossless_viewer = viewer.clone();
        let lossless = send(
            &mut TightEncoder::new(),
            &mut TightDecoder::new(),
            &screen,
            all,
            &PixelFormat::SERVER,
            LOSSLESS,
            &mut lossless_viewer,
        );
        assert!(
            lossy < lossless,
            "quality {quality}: {lossy} bytes, lossless {lossless}"
        );
    }
}

#[test]
fn jpeg_in_a_16_bit_format() {
    let format = PixelFormat::rgb565();
    let screen = photo(200, 150, 3);
    let settings = TightSettings {
        jpeg_quality: Some(8),
        compress_level: 2,
    };
    let mut viewer = Canvas::new(200, 150, Color::rgb(0, 0, 0));
    send(
        &mut TightEncoder::new(),
        &mut TightDecoder::new(),
        &screen,
        screen.bounds(),
        &format,
        settings,
        &mut viewer,
    );
    assert!(psnr(&viewer, &screen, screen.bounds()) > 30.0);
}

#[test]
fn a_solid_pixel_is_a_fill() {
    let screen = Canvas::new(1, 1, Color::rgb(0xff, 0, 0));
    let mut out = Vec::new();
    let count = TightEncoder::new().encode(
        &screen,
        screen.bounds(),
        &PixelFormat::SERVER,
        LOSSLESS,
        &mut out,
    );
    assert_eq!(count, 1);
    #[rustfmt::skip]
    let expected = [
        0, 0, 0, 0, 0, 1, 0, 1, // x, y, width, height
        0, 0, 0, 7,             // Tight
        0x80,                   // fill
        0xff, 0x00, 0x00,       // TPIXEL: R, G, B
    ];
    assert_eq!(out, expected);
}

#[test]
fn a_short_bitmap_goes_without_zlib() {
    let screen = canvas(3, 1, |x, _| if x == 1 { 0x0000_00ff } else { 0x00ff_ffff });
    let mut out = Vec::new();
    TightEncoder::new().encode(
        &screen,
        screen.bounds(),
        &PixelFormat::rgb565(),
        LOSSLESS,
        &mut out,
    );
    #[rustfmt::skip]
    let expected = [
        0, 0, 0, 0, 0, 3, 0, 1, 0, 0, 0, 7,
        0x50,                   // Basic, stream 1, a filter id follows
        1,                      // palette
        1,                      // two colours
        0xff, 0xff, 0x1f, 0x00, // white, blue: whole rgb565 pixels, little-endian
        0b0100_0000,            // one row of bits, under 12 bytes: no zlib
    ];
    assert_eq!(out, expected);
}

#[test]
fn a_new_compression_level_resets_its_stream() {
    let screen = noise(40, 40, 8);
    let mut encoder = TightEncoder::new();
    let mut decoder = TightDecoder::new();
    let mut viewer = Canvas::new(40, 40, Color::rgb(0, 0, 0));
    let mut controls = Vec::new();
    for level in [2, 2, 9] {
        let settings = TightSettings {
            jpeg_quality: None,
            compress_level: level,
        };
        let mut out = Vec::new();
        encoder.encode(
            &screen,
            screen.bounds(),
            &PixelFormat::SERVER,
            settings,
            &mut out,
        );
        controls.push(out[12]);
        decoder
            .decode(
                &mut &out[12..],
                screen.bounds(),
                &PixelFormat::SERVER,
                &mut viewer,
            )
            .unwrap();
        assert_same(&viewer, &screen, &format!("level {level}"));
    }
    // Raw pixels on stream 0; the reset bit only when the level changed.
    assert_eq!(controls, [0x00, 0x00, 0x01]);
}

/// zlib data as a server's stream would send it: a sync flush at the end.
fn deflate(z: &mut Compress, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 64);
    z.compress_vec(data, &mut out, FlushCompress::Sync).unwrap();
    out
}

/// A Basic rectangle: `control`, then `prelude`, then `data` as a compact length and bytes.
fn basic(control: u8, prelude: &[u8], compressed: &[u8]) -> Vec<u8> {
    let mut bytes = vec![control];
    bytes.extend_from_slice(prelude);
    put_compact(compressed.len(), &mut bytes);
    bytes.extend_from_slice(compressed);
    bytes
}

fn decode(decoder: &mut TightDecoder, bytes: &[u8], rect: Rect) -> Result<Canvas, TightError> {
    let mut viewer = Canvas::new(64, 64, Color::rgb(0, 0, 0));
    let mut input = bytes;
    decoder.decode(&mut input, rect, &PixelFormat::SERVER, &mut viewer)?;
    assert!(input.is_empty(), "{} bytes left", input.len());
    Ok(viewer)
}

#[test]
fn the_decoder_follows_the_stream_bits_and_resets() {
    let rect = Rect::new(2, 3, 4, 4);
    let rgb: Vec<u8> = (0..48).collect();
    let mut decoder = TightDecoder::new();
    let mut z = Compress::new(Compression::fast(), true);
    // Copy filter (implicit) on stream 3, twice on the same stream.
    for _ in 0..2 {
        let viewer = decode(
            &mut decoder,
            &basic(0x30, &[], &deflate(&mut z, &rgb)),
            rect,
        )
        .unwrap();
        assert_eq!(viewer.pixel(2, 3), Some(0x0000_0102));
        assert_eq!(viewer.pixel(5, 6), Some(0x002d_2e2f));
    }
    // A new stream (with its zlib header) needs the reset bit...
    let mut fresh = Compress::new(Compression::fast(), true);
    let again = basic(0x30, &[], &deflate(&mut fresh, &rgb));
    assert!(decode(&mut decoder, &again, rect).is_err());
    // ...and with it, decodes.
    let mut decoder = TightDecoder::new();
    decode(
        &mut decoder,
        &basic(0x30, &[], &deflate(&mut z, &rgb)),
        rect,
    )
    .unwrap_err();
    let mut fresh = Compress::new(Compression::fast(), true);
    let reset = basic(0x38, &[], &deflate(&mut fresh, &rgb));
    decode(&mut decoder, &reset, rect).unwrap();
}

#[test]
fn the_gradient_filter_of_other_formats_works_on_their_own_bits() {
    // rgb565, 2x2: residuals against left + up - upper-left, each primary in its own range.
    let format = PixelFormat::rgb565();
    let pixel = |r: u32, g: u32, b: u32| r << 11 | g << 5 | b;
    let want = [
        pixel(1, 2, 3),
        pixel(2, 4, 6),
        pixel(3, 6, 9),
        pixel(31, 63, 31),
    ];
    // Estimates: 0; left; up; left + up - corner, clamped.
    let est = [(0, 0, 0), (1, 2, 3), (1, 2, 3), (4, 8, 12)];
    let mut data = Vec::new();
    for (w, (er, eg, eb)) in want.iter().zip(est) {
        let (r, g, b) = (w >> 11, (w >> 5) & 63, w & 31);
        let residual = pixel((r + 32 - er) & 31, (g + 64 - eg) & 63, (b + 32 - eb) & 31);
        format.put(residual, &mut data);
    }
    let mut bytes = vec![0x40, 2];
    bytes.extend_from_slice(&data);
    let mut viewer = Canvas::new(2, 2, Color::rgb(0, 0, 0));
    TightDecoder::new()
        .decode(&mut &bytes[..], Rect::new(0, 0, 2, 2), &format, &mut viewer)
        .unwrap();
    let got: Vec<u32> = viewer.pixels().to_vec();
    let want: Vec<u32> = want.iter().map(|&p| format.rgb(p)).collect();
    assert_eq!(got, want);
}

#[test]
fn corrupt_rectangles_are_errors() {
    let rect = Rect::new(0, 0, 4, 4);
    let rgb: Vec<u8> = (0..48).collect();
    let fresh = || Compress::new(Compression::fast(), true);
    let err = |bytes: &[u8], rect: Rect| decode(&mut TightDecoder::new(), bytes, rect).unwrap_err();

    // Bad filter id.
    assert!(matches!(err(&[0x40, 3], rect), TightError::BadFilter(3)));
    // Palette index out of range: three colours, raw indices (8 bytes < 12), one of them 5.
    let mut bytes = vec![0x60, 1, 2, 0, 0, 0, 1, 1, 1, 2, 2, 2];
    bytes.extend_from_slice(&[0, 1, 2, 5, 0, 1, 2, 0]);
    let wide = Rect::new(0, 0, 8, 1);
    assert!(matches!(
        err(&bytes, wide),
        TightError::PaletteIndex { index: 5, size: 3 }
    ));
    // A one-colour palette whose bitmap names colour 1.
    let bytes = [0x50, 1, 0, 9, 9, 9, 0b0100_0000];
    assert!(matches!(
        err(&bytes, wide),
        TightError::PaletteIndex { index: 1, size: 1 }
    ));
    // Truncated data: a good rectangle cut short, at every length.
    let good = basic(0x00, &[], &deflate(&mut fresh(), &rgb));
    decode(&mut TightDecoder::new(), &good, rect).unwrap();
    for len in 0..good.len() {
        match err(&good[..len], rect) {
            TightError::Truncated => {}
            other => panic!("cut at {len}: {other}"),
        }
    }
    // A compressed length past what 48 bytes of pixels could need.
    let bytes = [0x00, 0xff, 0xff, 0xff];
    assert!(matches!(
        err(&bytes, rect),
        TightError::LengthPastLimit { len: 0x3f_ffff, .. }
    ));
    // zlib garbage.
    let bytes = basic(0x10, &[], &[0xff; 40]);
    assert!(matches!(
        err(&bytes, rect),
        TightError::Zlib { stream: 1, .. }
    ));
    // Compressed data that expands beyond the rectangle.
    let bytes = basic(0x00, &[], &deflate(&mut fresh(), &[7; 60]));
    assert!(matches!(
        err(&bytes, rect),
        TightError::ZlibOverflow {
            stream: 0,
            expected: 48
        }
    ));
    // ...or falls short of it.
    let bytes = basic(0x00, &[], &deflate(&mut fresh(), &[7; 30]));
    assert!(matches!(
        err(&bytes, rect),
        TightError::ZlibShort { got: 30, .. }
    ));
    // Compression controls that name no subencoding, and TightPNG's PNG.
    assert!(matches!(
        err(&[0xb0], rect),
        TightError::BadCompression(0xb0)
    ));
    assert!(matches!(err(&[0xa0], rect), TightError::Png));
    // Outside the framebuffer, and too wide.
    assert!(matches!(
        err(&[0x80, 0, 0, 0], Rect::new(62, 0, 4, 1)),
        TightError::OutsideCanvas { .. }
    ));
    let mut canvas = Canvas::new(3000, 1, Color::rgb(0, 0, 0));
    let too_wide = TightDecoder::new().decode(
        &mut &[0x00][..],
        Rect::new(0, 0, 2049, 1),
        &PixelFormat::SERVER,
        &mut canvas,
    );
    assert!(matches!(too_wide, Err(TightError::TooWide(2049))));
    // A JPEG of the wrong size.
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, 80)
        .encode(&[128; 8 * 8 * 3], 8, 8, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    let mut bytes = vec![0x90];
    put_compact(jpeg.len(), &mut bytes);
    bytes.extend_from_slice(&jpeg);
    decode(&mut TightDecoder::new(), &bytes, Rect::new(0, 0, 8, 8)).unwrap();
    assert!(matches!(
        err(&bytes, Rect::new(0, 0, 16, 8)),
        TightError::JpegSize { got_width: 8, .. }
    ));
    // JPEG garbage.
    let bytes = [
        0x90, 20, 0xff, 0xd8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    assert!(matches!(
        err(&bytes, Rect::new(0, 0, 8, 8)),
        TightError::Jpeg(_)
    ));
}

/// A rectangle, a pixel format and bytes, any of them.
fn arbitrary_rect() -> impl Strategy<Value = (Rect, PixelFormat, Vec<u8>)> {
    let formats = prop_oneof![
        Just(PixelFormat::SERVER),
        Just(PixelFormat::rgb565()),
        Just(bgr_big_endian()),
    ];
    (
        0i32..40,
        0i32..40,
        0u32..40,
        0u32..40,
        formats,
        prop::collection::vec(any::<u8>(), 0..600),
    )
        .prop_map(|(x, y, w, h, f, bytes)| (Rect::new(x, y, w, h), f, bytes))
}

proptest! {
    #[test]
    fn random_bytes_never_panic((rect, format, bytes) in arbitrary_rect()) {
        let mut canvas = Canvas::new(48, 48, Color::rgb(0, 0, 0));
        let mut decoder = TightDecoder::new();
        let mut input = &bytes[..];
        // Several rectangles in a row, as long as they decode.
        while !input.is_empty() && decoder.decode(&mut input, rect, &format, &mut canvas).is_ok() {}
    }

    #[test]
    fn damaged_rectangles_never_panic(seed in any::<u64>(), flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let screen = match seed % 3 {
            0 => text(40, 30),
            1 => noise(40, 30, seed),
            _ => sixteen_colours(40, 30),
        };
        let mut out = Vec::new();
        let count = TightEncoder::new().encode(&screen, screen.bounds(), &PixelFormat::SERVER, LOSSLESS, &mut out);
        prop_assert!(count > 0);
        for (at, byte) in flips {
            let len = out.len();
            out[at % len] ^= byte | 1;
        }
        let mut viewer = Canvas::new(40, 30, Color::rgb(0, 0, 0));
        let mut decoder = TightDecoder::new();
        let mut input = &out[..];
        for _ in 0..count {
            if input.len() < 12 {
                break;
            }
            let rect = Rect::new(
                i32::from(u16::from_be_bytes([input[0], input[1]])),
                i32::from(u16::from_be_bytes([input[2], input[3]])),
                u32::from(u16::from_be_bytes([input[4], input[5]])),
                u32::from(u16::from_be_bytes([input[6], input[7]])),
            );
            input = &input[12..];
            if decoder.decode(&mut input, rect, &PixelFormat::SERVER, &mut viewer).is_err() {
                break;
            }
        }
    }
}

/// Not a test: how fast the encoder is on a desktop. Run with
/// `cargo test -p netui-rfb --release -- --ignored --nocapture encode_speed`.
#[test]
#[ignore]
fn encode_speed() {
    for (screen_name, screen) in [("desktop", desktop(1280, 800)), ("text", text(1280, 800))] {
        for (name, settings) in [
            ("lossless, level 2", LOSSLESS),
            (
                "lossless, level 6",
                TightSettings {
                    jpeg_quality: None,
                    compress_level: 6,
                },
            ),
            (
                "JPEG 8, level 2",
                TightSettings {
                    jpeg_quality: Some(8),
                    compress_level: 2,
                },
            ),
        ] {
            let mut encoder = TightEncoder::new();
            let mut out = Vec::new();
            let rounds = 10;
            let start = std::time::Instant::now();
            for _ in 0..rounds {
                out.clear();
                encoder.encode(
                    &screen,
                    screen.bounds(),
                    &PixelFormat::SERVER,
                    settings,
                    &mut out,
                );
            }
            let each = start.elapsed() / rounds;
            eprintln!(
                "1280x800 {screen_name}, {name}: {each:?} a frame, {} bytes",
                out.len()
            );
        }
    }
}
