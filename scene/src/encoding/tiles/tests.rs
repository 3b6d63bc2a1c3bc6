//! Round trips, the cache, resets and bad data for `px-tiles`.

use netui_protocol::{Color, Font, PixelEncoding, Point, Size};
use proptest::prelude::*;

use super::*;
use crate::encoding::{bytes, Hint, PixelDecoder, PixelEncoder, PixelError};
use crate::render::Fonts;
use netui_protocol::Drawing;

/// xorshift64*: deterministic noise.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n.max(1))) as u32
    }
}

/// Every pixel of `rect` a color of its own (as near as noise gets).
fn noise(rng: &mut Rng, screen: &mut Canvas, rect: Rect) -> Rect {
    let rect = rect.intersect(screen.bounds());
    for y in 0..rect.height {
        for p in row_mut(screen, rect, y) {
            *p = rng.next() as u32 & 0x00ff_ffff;
        }
    }
    rect
}

/// An encoder and a decoder that follow one screen.
struct Pair {
    encoder: PixelEncoder,
    decoder: PixelDecoder,
    sent: usize,
}

impl Pair {
    fn new(screen: &Canvas) -> Pair {
        let mut pair = Pair {
            encoder: PixelEncoder::new(PixelEncoding::Tiles, screen.size()),
            decoder: PixelDecoder::new(screen.size()),
            sent: 0,
        };
        pair.send(screen, &[screen.bounds()], &[]);
        pair
    }

    /// Sends an update and checks that the viewer shows `screen`; the rectangles sent.
    fn send(&mut self, screen: &Canvas, damage: &[Rect], hints: &[Hint]) -> Vec<EncodedRect> {
        let rects = self.encoder.encode(screen, damage, hints);
        self.decoder.apply(screen.size(), &rects).unwrap();
        assert!(self.decoder.canvas() == screen, "the viewer differs");
        self.sent += bytes(&rects);
        rects
    }
}

/// The kinds of the records of the last rectangle `pair`'s decoder applied, up to the first
/// record that is not a skip, a solid or a cached tile.
fn ops(pair: &Pair) -> Vec<u8> {
    records(pair).into_iter().map(|(_, op)| op).collect()
}

/// The offsets in the payload and the kinds of those records.
fn records(pair: &Pair) -> Vec<(usize, u8)> {
    let payload = pair.decoder.tiles.as_ref().unwrap().records();
    let (mut records, mut i) = (Vec::new(), 0);
    while let Some(&op) = payload.get(i) {
        records.push((i, op));
        i += match op {
            OP_SKIP => 2,
            OP_CACHED => 3,
            OP_SOLID => 4,
            _ => break,
        };
    }
    records
}

#[test]
fn odd_sizes_and_edges_round_trip() {
    let mut rng = Rng(7);
    let mut fonts = Fonts::new();
    for (w, h) in [
        (1, 1),
        (15, 15),
        (16, 16),
        (17, 33),
        (31, 47),
        (100, 3),
        (3, 100),
    ] {
        let mut screen = Canvas::new(w, h, Color::rgb(10, 20, 30));
        let mut pair = Pair::new(&screen);
        for step in 0..30 {
            let bounds = screen.bounds();
            let x = rng.below(w) as i32;
            let y = rng.below(h) as i32;
            let rect = Rect::new(x, y, 1 + rng.below(w), 1 + rng.below(h));
            let damage = match step % 4 {
                0 => noise(&mut rng, &mut screen, rect),
                1 => screen.fill_rect(rect, Color::rgb(rng.below(255) as u8, 0, 9), bounds),
                2 => {
                    let color = Color::rgb(200, 30, rng.below(255) as u8);
                    let pos = Point::new(x - 3, y - 4);
                    screen.text(&mut fonts, pos, Font::Mono, 12, color, "Tiles 42", bounds)
                }
                _ => bounds,
            };
            pair.send(&screen, &[damage], &[]);
        }
    }
}

#[test]
fn palettes_of_every_size_round_trip() {
    // 1 to 17 colors in stripes and in a checkerboard of single pixels, at the limit of each
    // packing (2, 4, 16) and one past it.
    for colors in 1..=17u32 {
        for checker in [false, true] {
            let mut screen = Canvas::new(40, 24, Color::BLACK);
            let mut pair = Pair::new(&screen);
            let bounds = screen.bounds();
            for y in 0..bounds.height {
                for x in 0..bounds.width {
                    let i = if checker { x + y } else { x / 3 } % colors;
                    let p = Rect::new(x as i32, y as i32, 1, 1);
                    screen.fill_rect(p, Color::rgb(i as u8 * 15, 255 - i as u8, 7), bounds);
                }
            }
            pair.send(&screen, &[bounds], &[]);
        }
    }
}

#[test]
fn all_colours_different_round_trip_and_compare_with_the_shadow() {
    let mut rng = Rng(11);
    let mut screen = Canvas::new(70, 50, Color::BLACK);
    let bounds = screen.bounds();
    noise(&mut rng, &mut screen, bounds);
    let mut pair = Pair::new(&screen);
    // Nothing changed: nothing is sent.
    assert_eq!(pair.send(&screen, &[bounds], &[]), vec![]);
    // One pixel changed: one tile, as a part of one pixel.
    screen.fill_rect(Rect::new(33, 17, 1, 1), Color::WHITE, bounds);
    let rects = pair.send(&screen, &[bounds], &[]);
    assert_eq!(rects.len(), 1);
    assert_eq!(ops(&pair), [OP_SKIP, OP_PART]);
    assert!(bytes(&rects) < 40, "{} bytes", bytes(&rects));
}

#[test]
fn a_caret_and_a_typed_glyph_go_as_parts_and_enter_the_cache_whole() {
    let mut fonts = Fonts::new();
    let mut screen = Canvas::new(64, 32, Color::WHITE);
    let bounds = screen.bounds();
    screen.text(
        &mut fonts,
        Point::new(2, 2),
        Font::Sans,
        14,
        Color::BLACK,
        "ab",
        bounds,
    );
    let mut pair = Pair::new(&screen);
    let caret = |screen: &mut Canvas| {
        screen.fill_rect(Rect::new(20, 2, 1, 14), Color::BLACK, bounds);
    };
    // A caret (one column) blinks on, then off: one part each, a few bytes.
    let before = screen.clone();
    caret(&mut screen);
    let on = pair.send(&screen, &[bounds], &[]);
    assert_eq!(ops(&pair), [OP_SKIP, OP_PART]);
    let payload = pair.decoder.tiles.as_ref().unwrap().records();
    // At x 4, y 2 of the second tile, one pixel wide and 14 high, solid black.
    assert_eq!(payload[2..7], [OP_PART, 4 << 4 | 2, 13, OP_SOLID, 0]);
    assert!(bytes(&on) < 24, "{} bytes", bytes(&on));
    screen = before.clone();
    pair.send(&screen, &[bounds], &[]);
    // The tile went into the cache whole, as the viewer has it: the caret on again is a
    // reference.
    caret(&mut screen);
    pair.send(&screen, &[bounds], &[]);
    assert_eq!(ops(&pair), [OP_SKIP, OP_CACHED]);
    // A glyph typed beside the others: a part, smaller than the whole tile would be.
    screen = before;
    screen.text(
        &mut fonts,
        Point::new(18, 2),
        Font::Sans,
        14,
        Color::BLACK,
        "c",
        bounds,
    );
    pair.send(&screen, &[bounds], &[]);
    assert!(ops(&pair).contains(&OP_PART), "{:?}", ops(&pair));
}

#[test]
fn a_glyph_across_tiles_goes_as_one_area_wherever_it_lies() {
    let mut fonts = Fonts::new();
    let mut screen = Canvas::new(96, 48, Color::WHITE);
    let bounds = screen.bounds();
    let mut pair = Pair::new(&screen);
    // The same glyph typed at three places, each straddling tiles differently: one area
    // record each, the same record (the area's corner relative to its tile aside), so that
    // the compressor finds the second and third and they cost far less than the first.
    let mut areas = Vec::new();
    let mut sizes = Vec::new();
    for x in [11, 45, 78] {
        let before = pair.sent;
        let line = Rect::new(0, 20, 96, 20);
        screen.text(
            &mut fonts,
            Point::new(x, 22),
            Font::Sans,
            14,
            Color::BLACK,
            "W",
            bounds,
        );
        pair.send(&screen, &[line], &[]);
        sizes.push(pair.sent - before);
        let payload = pair.decoder.tiles.as_ref().unwrap().records();
        let at = payload.iter().position(|&op| op == OP_AREA).unwrap();
        // The glyph's pixels, after the area's op, corner and size, went as one record.
        let (w, h) = (
            usize::from(payload[at + 2]) + 1,
            usize::from(payload[at + 3]) + 1,
        );
        assert!(w > 1 && h > 8 && w * h < 300, "{w}x{h}");
        areas.push((w, h, payload[at + 4]));
    }
    assert!(areas.windows(2).all(|a| a[0] == a[1]), "{areas:?}");
    assert!(
        sizes[1] * 2 < sizes[0] && sizes[2] * 2 < sizes[0],
        "{sizes:?}"
    );
    // A damaged rectangle that covers a window's worth of change is left to the tiles.
    noise(&mut Rng(7), &mut screen, Rect::new(0, 0, 90, 48));
    pair.send(&screen, &[bounds], &[]);
    assert!(!ops(&pair).contains(&OP_AREA), "{:?}", ops(&pair));
}

#[test]
fn text_in_one_color_goes_as_opacities_and_the_same_glyph_costs_little_in_another() {
    let mut fonts = Fonts::new();
    let mut screen = Canvas::new(128, 48, Color::rgb(253, 252, 248));
    let bounds = screen.bounds();
    let mut pair = Pair::new(&screen);
    // A word in one color: more colors than a palette holds, each a blend of the text's
    // over the background's, so it goes as a blend record (a byte a pixel, exact).
    let mut sizes = Vec::new();
    for (y, color) in [(4, Color::rgb(20, 30, 90)), (26, Color::rgb(160, 20, 20))] {
        let before = pair.sent;
        let line = screen.text(
            &mut fonts,
            Point::new(3, y),
            Font::Sans,
            15,
            color,
            "Wombat",
            bounds,
        );
        pair.send(&screen, &[line], &[]);
        sizes.push(pair.sent - before);
        // One area record (op, corner, width, height) whose pixels are a blend.
        let payload = pair.decoder.tiles.as_ref().unwrap().records();
        assert_eq!(ops(&pair), [OP_AREA]);
        assert_eq!(payload[4], OP_BLEND, "{:?}", &payload[..8]);
    }
    // The same word in another color, a whole row of tiles lower: the same opacities, which
    // the compressor finds again.
    assert!(sizes[1] * 2 < sizes[0], "{sizes:?}");
}

#[test]
fn glyphs_seen_before_in_other_words_cost_little_since_opacities_go_column_by_column() {
    let mut fonts = Fonts::new();
    let paper = Color::rgb(253, 252, 248);
    let mut screen = Canvas::new(160, 96, paper);
    let bounds = screen.bounds();
    let mut pair = Pair::new(&screen);
    // Words of the same glyphs in other orders, each on a line of its own at the same
    // height within its row of tiles: a glyph's columns of opacities lie together in a
    // blend record, so each glyph the compressor has seen is one match, where rows of
    // opacities would hold a piece of each glyph of the word per row.
    let mut sizes = Vec::new();
    for (y, word) in [(4, "Wombat"), (36, "batWom"), (68, "tamboW")] {
        let before = pair.sent;
        let line = screen.text(
            &mut fonts,
            Point::new(3, y),
            Font::Sans,
            15,
            Color::rgb(20, 30, 90),
            word,
            bounds,
        );
        pair.send(&screen, &[line], &[]);
        sizes.push(pair.sent - before);
    }
    // Measured: 527, 21 and 36 bytes; with rows of opacities 510, 82 and 157.
    assert!(
        sizes[1] * 8 < sizes[0] && sizes[2] * 8 < sizes[0],
        "{sizes:?}"
    );
}

#[test]
fn a_glyph_typed_before_the_caret_goes_as_opacities_and_the_caret_as_a_solid_part() {
    let mut fonts = Fonts::new();
    let paper = Color::rgb(253, 252, 248);
    let mut screen = Canvas::new(160, 32, paper);
    let bounds = screen.bounds();
    let mut pair = Pair::new(&screen);
    // Typing as an editor draws it: the glyph where the caret was, the caret (a blue bar
    // two pixels wide) after it. The changed pixels (a glyph and the bar) have more colors
    // than a palette holds and are no blend of two, but without the bar they are. The `o`
    // and the `a` have no pixel of the text's full color: their foreground is the `e`'s.
    let mut sizes = Vec::new();
    for (i, c) in "eoae".chars().enumerate() {
        let cell = Rect::new(7 + 10 * i as i32, 5, 10, 17);
        screen.fill_rect(cell, paper, bounds);
        screen.text(
            &mut fonts,
            Point::new(cell.x, 5),
            Font::Mono,
            15,
            Color::rgb(31, 35, 40),
            &c.to_string(),
            bounds,
        );
        let caret = Rect::new(cell.right() as i32, 5, 2, 17);
        screen.fill_rect(caret, Color::rgb(31, 111, 235), bounds);
        let before = pair.sent;
        pair.send(&screen, &[Rect::new(0, 5, 160, 17)], &[]);
        sizes.push(pair.sent - before);
        // The glyph as an area record of opacities (op, corner, width, height, then the
        // record); the bar comes in the tiles' part records after it.
        let payload = pair.decoder.tiles.as_ref().unwrap().records();
        // The records before it are skips, solid and cached tiles.
        let records = records(&pair);
        let &(area, op) = records.last().expect("records");
        assert_eq!(op, OP_AREA, "{records:?}");
        assert_eq!(payload[area + 4], OP_BLEND, "{:?}", &payload[..area + 8]);
        assert_eq!(
            usize::from(payload[area + 2]) + 1,
            10,
            "the glyph's cell, not the bar"
        );
    }
    // An `e` typed again costs a fraction of the first: its opacities went before.
    assert!(sizes[3] * 2 < sizes[0], "{sizes:?}");
}

#[test]
fn blends_are_found_exactly_or_not_at_all() {
    let mut rng = Rng(11);
    let mut alphas = Vec::new();
    for case in 0..2000 {
        let fg = rng.next() as u32 & 0x00ff_ffff;
        // Backgrounds near the foreground too (every other case), where an opacity's steps
        // are coarse and pixels far apart in opacity may be the same color.
        let near = case % 2 == 1;
        let bg = if near {
            fg ^ (rng.next() as u32 & 0x000f_0f0f)
        } else {
            rng.next() as u32 & 0x00ff_ffff
        };
        let mut pixels = vec![bg; 36];
        for p in &mut pixels[7..29] {
            *p = over(fg, rng.below(256), bg);
        }
        pixels[14] = fg;
        match blend_of(&pixels, 6, &[], &mut alphas) {
            Some((f, b)) => {
                let again: Vec<u32> = alphas.iter().map(|&a| over(f, a.into(), b)).collect();
                assert_eq!(again, pixels, "{fg:06x} over {bg:06x}");
            }
            // Near colors may have another pixel as far from the background as the
            // foreground; then the record is not a blend, which costs bytes, not pixels.
            None => assert!(near, "{fg:06x} over {bg:06x} is a blend"),
        }
    }
    // A pixel of a third color is no blend of the two.
    let mut pixels = vec![0x00ff_ffff; 16];
    pixels[5] = 0;
    pixels[6] = 0x0000_ff00;
    assert_eq!(blend_of(&pixels, 4, &[], &mut alphas), None);
}

#[test]
fn opacities_are_exactly_those_that_blend_to_a_value() {
    // Every foreground and background of one channel: each range holds only opacities that
    // give its value, and every opacity lies in the range of the value it gives.
    for f in 0..=255u8 {
        for b in 0..=255u8 {
            let value = |a: i32| over(f.into(), a as u32, b.into()) as u8;
            for v in 0..=255u8 {
                if let Some((low, high)) = opacities(f, b, v) {
                    assert!((low..=high).all(|a| value(a) == v), "{f} over {b} to {v}");
                }
            }
            for a in 0..=255 {
                let range = opacities(f, b, value(a));
                assert!(
                    range.is_some_and(|(l, h)| l <= a && a <= h),
                    "{f} over {b} at {a}"
                );
            }
        }
    }
}

#[test]
fn opacity_is_the_one_a_search_from_the_guess_finds() {
    // The search that `opacity` replaces: the guess, then one below, one above, two below...
    let search = |fg: u32, bg: u32, p: u32, guess: i32, reach: i32| {
        (0..=2 * reach)
            .map(|k| {
                if k % 2 == 0 {
                    guess + k / 2
                } else {
                    guess - k / 2 - 1
                }
            })
            .filter(|a| (0..=255).contains(a))
            .find(|&a| over(fg, a as u32, bg) == p)
            .map(|a| a as u8)
    };
    let mut rng = Rng(29);
    for case in 0..200_000 {
        let fg = rng.next() as u32 & 0x00ff_ffff;
        let bg = match case % 3 {
            0 => rng.next() as u32 & 0x00ff_ffff,
            1 => fg ^ (rng.next() as u32 & 0x000f_0f0f),
            _ => fg ^ (rng.next() as u32 & 0x0000_00ff),
        };
        // Blends, blends a step off on one channel, and any color.
        let mut p = over(fg, rng.below(256), bg);
        match case % 4 {
            1 => p ^= 1 << (8 * rng.below(3)),
            2 => p = rng.next() as u32 & 0x00ff_ffff,
            _ => {}
        }
        let guess = rng.below(256) as i32;
        let reach = 1 + rng.below(40) as i32;
        assert_eq!(
            opacity(fg, bg, p, guess, reach),
            search(fg, bg, p, guess, reach),
            "{p:06x}: {fg:06x} over {bg:06x}, guess {guess} within {reach}"
        );
    }
}

#[test]
fn a_tile_seen_before_costs_a_reference() {
    let mut fonts = Fonts::new();
    let face = Canvas::new(128, 64, Color::WHITE);
    let mut pair = Pair::new(&face);
    let bounds = face.bounds();
    // A clock's digits: the screens for 0..9, over and over.
    let digit = |n: u32, fonts: &mut Fonts| {
        let mut screen = face.clone();
        let text = format!("12:3{n}");
        screen.text(
            fonts,
            Point::new(5, 5),
            Font::Mono,
            40,
            Color::BLACK,
            &text,
            bounds,
        );
        screen
    };
    let first: Vec<Canvas> = (0..10).map(|n| digit(n, &mut fonts)).collect();
    let mut bytes_first = 0;
    for screen in &first {
        bytes_first += bytes(&pair.send(screen, &[bounds], &[]));
    }
    let mut bytes_again = 0;
    for screen in &first {
        let rects = pair.send(screen, &[bounds], &[]);
        assert!(ops(&pair).contains(&OP_CACHED));
        bytes_again += bytes(&rects);
    }
    assert!(
        bytes_again * 4 < bytes_first,
        "{bytes_again} vs {bytes_first}"
    );
}

#[test]
fn the_cache_survives_eviction() {
    // 512x512 of noise is 1024 tiles: five new screens overflow the 4096 slots, then the
    // first ones come back (partly evicted) and must still be exact.
    let mut rng = Rng(23);
    let mut screens = Vec::new();
    for _ in 0..5 {
        let mut screen = Canvas::new(512, 512, Color::BLACK);
        let bounds = screen.bounds();
        noise(&mut rng, &mut screen, bounds);
        screens.push(screen);
    }
    let mut pair = Pair::new(&screens[0]);
    for screen in screens.iter().skip(1).chain(&screens).chain(&screens) {
        pair.send(screen, &[screen.bounds()], &[]);
    }
}

#[test]
fn copies_scrolls_and_resizes_round_trip() {
    let mut fonts = Fonts::new();
    let mut screen = Canvas::new(200, 120, Color::WHITE);
    let bounds = screen.bounds();
    for i in 0..8 {
        let pos = Point::new(4, 4 + 14 * i);
        let text = format!("line {i} of the text");
        screen.text(&mut fonts, pos, Font::Sans, 12, Color::BLACK, &text, bounds);
    }
    let mut pair = Pair::new(&screen);
    for step in 0..20 {
        let bounds = screen.bounds();
        let area = Rect::new(0, 0, bounds.width, bounds.height);
        let src = Rect::new(0, 7, area.width, area.height - 7);
        let dst = screen.copy_within(src, Point::new(0, 0), bounds);
        let fresh = Rect::new(0, area.height as i32 - 7, area.width, 7);
        screen.fill_rect(fresh, Color::WHITE, bounds);
        let text = format!("new {step}");
        screen.text(
            &mut fonts,
            fresh.origin(),
            Font::Mono,
            7,
            Color::BLUE,
            &text,
            fresh,
        );
        let rects = pair.send(&screen, &[area], &[Hint::Copy(dst, src.origin())]);
        assert!(matches!(rects[0].kind, RectEncoding::Copy { .. }));
        if step % 7 == 6 {
            let (w, h) = (screen.width() + 9, screen.height() - 5);
            screen.resize(w, h, Color::GREEN);
            let rects = pair.send(&screen, &[], &[]);
            assert_eq!(
                rects[0].kind,
                RectEncoding::Tiles {
                    reset: true,
                    coded: 0
                }
            );
        }
    }
}

#[test]
fn a_late_decoder_catches_up_when_the_encoder_resets() {
    let mut rng = Rng(31);
    let mut screen = Canvas::new(64, 48, Color::WHITE);
    let mut pair = Pair::new(&screen);
    for _ in 0..5 {
        let rect = Rect::new(rng.below(50) as i32, rng.below(40) as i32, 9, 9);
        let damage = noise(&mut rng, &mut screen, rect);
        pair.send(&screen, &[damage], &[]);
    }
    // A viewer that joins now cannot follow the stream: it must be told to start afresh.
    let mut late = PixelDecoder::new(screen.size());
    let rect = noise(&mut rng, &mut screen, Rect::new(3, 3, 5, 5));
    let rects = pair.encoder.encode(&screen, &[rect], &[]);
    assert!(matches!(
        late.apply(screen.size(), &rects),
        Err(PixelError::TileContext { .. })
    ));
    pair.encoder.reset(screen.size());
    let rects = pair.encoder.encode(&screen, &[screen.bounds()], &[]);
    assert_eq!(
        rects[0].kind,
        RectEncoding::Tiles {
            reset: true,
            coded: 0
        }
    );
    late.apply(screen.size(), &rects).unwrap();
    assert_eq!(late.canvas(), &screen);
    // And it follows from there, the cache included.
    for _ in 0..5 {
        let rect = Rect::new(rng.below(50) as i32, rng.below(40) as i32, 20, 20);
        let damage = noise(&mut rng, &mut screen, rect);
        let rects = pair.encoder.encode(&screen, &[damage], &[]);
        late.apply(screen.size(), &rects).unwrap();
        assert_eq!(late.canvas(), &screen);
    }
}

/// A tiles rectangle whose payload is `records`, compressed as a stream of its own.
fn tiles(rect: Rect, records: &[u8]) -> EncodedRect {
    let data = stream::Compressor::new().compress(records);
    let kind = RectEncoding::Tiles {
        reset: true,
        coded: 0,
    };
    EncodedRect { rect, kind, data }
}

/// Applies one rectangle to a 40x20 screen.
fn apply(rect: EncodedRect) -> Result<Vec<Rect>, PixelError> {
    PixelDecoder::new(Size::new(40, 20)).apply(Size::new(40, 20), &[rect])
}

#[test]
fn well_formed_records_apply() {
    let mut packed = vec![OP_PACKED, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    packed.extend([0b1001_0010; 64]);
    let runs = vec![OP_RUNS, 1, 1, 2, 3, 4, 5, 6, 0x80, 253, 1];
    let mut raw = vec![OP_RAW];
    raw.extend([7; 3 * 256]);
    let edge = vec![OP_SKIP, 1, OP_SOLID, 1, 2, 3];
    // An area over both tiles (x 10, y 3, 12x2, runs), then the tiles' own records.
    let area = vec![
        OP_AREA,
        10 << 4 | 3,
        11,
        1,
        OP_RUNS,
        1,
        1,
        2,
        3,
        4,
        5,
        6,
        0x80,
        10,
        0x81,
        10,
        OP_SOLID,
        1,
        2,
        3,
        OP_SKIP,
        0,
    ];
    // A part of the first tile (x 2, y 3, 4x2, raw), which then goes into the cache whole.
    let mut part = vec![OP_PART, 2 << 4 | 3, 3 << 4 | 1, OP_RAW];
    part.extend([9; 3 * 8]);
    part.extend([OP_CACHED, 0, 0]);
    // A blend in a tile, a part (x 1, y 1, 2x2) and an area (x 14, y 0, 4x1).
    let blend = |n: usize| [&[OP_BLEND, 0, 0, 0, 255, 255, 255][..], &vec![128; n]].concat();
    let blend_part = [&[OP_PART, 0x11, 0x11][..], &blend(4)].concat();
    let blend_area = [&[OP_AREA, 14 << 4, 3, 0][..], &blend(4)].concat();
    for records in [
        packed,
        runs,
        area,
        part,
        blend(256),
        blend_part,
        blend_area,
        raw.clone(),
        [raw, vec![OP_CACHED, 0, 0]].concat(),
    ] {
        let rect = Rect::new(0, 0, 32, 16);
        assert_eq!(apply(tiles(rect, &records)).unwrap(), vec![rect]);
    }
    // The tile at the right edge is 8 wide.
    assert_eq!(
        apply(tiles(Rect::new(0, 0, 40, 16), &edge)).unwrap(),
        vec![Rect::new(0, 0, 40, 16)]
    );
}

#[test]
fn a_blend_record_of_any_width_gives_each_pixel_its_own_opacity() {
    // Areas 1 to 40 pixels wide and 1 to 3 high: the decoder blends eight pixels of a row at
    // a time and the rest one by one, gathering each row's opacities from the columns they
    // come in. Every pixel is the renderer's blend at its own opacity.
    let (fg, bg) = (0x0012_3456, 0x00fe_dcba);
    let screen = Size::new(40, 20);
    for width in 1..=40u32 {
        for height in 1..=3u32 {
            let alphas: Vec<u8> = (0..width * height).map(|i| (i * 37 % 256) as u8).collect();
            let mut records = vec![OP_AREA, 0, width as u8 - 1, height as u8 - 1, OP_BLEND];
            records.extend([0x56, 0x34, 0x12, 0xba, 0xdc, 0xfe]);
            records.extend(&alphas);
            let mut decoder = PixelDecoder::new(screen);
            let rect = Rect::new(0, 0, 40, 16);
            decoder.apply(screen, &[tiles(rect, &records)]).unwrap();
            for y in 0..height {
                for x in 0..width {
                    let a = alphas[(x * height + y) as usize];
                    assert_eq!(
                        decoder.canvas().pixel(x as i32, y as i32),
                        Some(over(fg, a.into(), bg)),
                        "{width}x{height} at ({x}, {y})"
                    );
                }
            }
        }
    }
}

/// A tiles rectangle that starts a stream (no records), then a draw rectangle at `rect` whose
/// drawings are `payload`, in the same stream, applied to a 40x20 screen; the screen after.
fn draw(rect: Rect, payload: &[u8]) -> (Result<Vec<Rect>, PixelError>, Canvas) {
    draw_data(rect, |stream| stream.compress(payload))
}

/// As [`draw`], the draw rectangle's data made by `data` from the stream.
fn draw_data(
    rect: Rect,
    data: impl FnOnce(&mut stream::Compressor) -> Vec<u8>,
) -> (Result<Vec<Rect>, PixelError>, Canvas) {
    let mut stream = stream::Compressor::new();
    let start = EncodedRect {
        rect: Rect::new(0, 0, 16, 16),
        kind: RectEncoding::Tiles {
            reset: true,
            coded: 0,
        },
        data: stream.compress(&[]),
    };
    let drawn = EncodedRect {
        rect,
        kind: RectEncoding::Draw,
        data: data(&mut stream),
    };
    let mut decoder = PixelDecoder::new(Size::new(40, 20));
    decoder.apply(Size::new(40, 20), &[start]).unwrap();
    let result = decoder.apply(Size::new(40, 20), &[drawn]);
    (result, decoder.canvas().clone())
}

/// `requests`, each a drawing clipped to `clip`, as a draw rectangle's payload.
fn drawings(clip: Rect, requests: &[netui_protocol::Request]) -> Vec<u8> {
    let list: Vec<Drawing> = requests
        .iter()
        .map(|request| Drawing {
            clips: vec![clip],
            request: request.clone(),
        })
        .collect();
    postcard::to_stdvec(&list).unwrap()
}

#[test]
fn drawings_are_carried_out_and_lying_ones_are_named_errors() {
    use netui_protocol::{Request, RequestKind, ResourceId};
    let target = ResourceId::ROOT;
    let rect = Rect::new(0, 0, 32, 16);
    let fill = |r: Rect| Request::FillRects {
        target,
        color: Color::RED,
        rects: vec![r],
    };
    let black = Canvas::new(40, 20, Color::BLACK);
    // A fill, clipped to its clip: what changed is what it drew.
    let (result, screen) = draw(rect, &drawings(Rect::new(0, 0, 8, 8), &[fill(rect)]));
    assert_eq!(result.unwrap(), vec![Rect::new(0, 0, 8, 8)]);
    assert_eq!(screen.pixel(7, 7), Some(0x00ff_0000));
    assert_eq!(screen.pixel(8, 7), Some(0));
    // Bytes that are no list of drawings, or that go on after it.
    let good = drawings(rect, &[fill(rect)]);
    for payload in [&[0xff, 0xff, 0xff][..], &[good.clone(), vec![0]].concat()] {
        let (result, screen) = draw(rect, payload);
        assert!(
            matches!(result, Err(PixelError::DrawDecode { .. })),
            "{result:?}"
        );
        assert_eq!(screen, black);
    }
    // A request that is no drawing, with clips or without.
    let map = Request::MapWindow { id: target };
    let (result, _) = draw(rect, &drawings(rect, &[fill(rect), map.clone()]));
    assert!(matches!(
        result,
        Err(PixelError::DrawRequest {
            kind: RequestKind::MapWindow,
            ..
        })
    ));
    let unclipped = vec![Drawing {
        clips: Vec::new(),
        request: map,
    }];
    let (result, _) = draw(rect, &postcard::to_stdvec(&unclipped).unwrap());
    assert!(matches!(result, Err(PixelError::DrawRequest { .. })));
    // A clip outside the rectangle.
    let (result, _) = draw(rect, &drawings(Rect::new(16, 0, 32, 16), &[fill(rect)]));
    assert!(matches!(result, Err(PixelError::DrawClip { .. })));
    // Drawings that touch more than four times the rectangle's pixels: nothing is drawn.
    let (result, screen) = draw(rect, &drawings(rect, &vec![fill(rect); 5]));
    assert!(matches!(
        result,
        Err(PixelError::DrawCost {
            cost: 2560,
            limit: 2048,
            ..
        })
    ));
    assert_eq!(screen, black);
    // A list longer than a draw rectangle may be.
    let text = Request::Text {
        target,
        pos: Point::new(0, 0),
        font: Font::Sans,
        size: 1,
        color: Color::WHITE,
        text: "x".repeat(MAX_DRAWING_BYTES),
    };
    let (result, _) = draw(rect, &drawings(rect, &[text]));
    assert!(matches!(result, Err(PixelError::TileTooLong { .. })));
    // Drawings of a stream that never started, and compressed bytes that are corrupt.
    let alone = EncodedRect {
        rect,
        kind: RectEncoding::Draw,
        data: stream::Compressor::new().compress(&good),
    };
    assert!(matches!(apply(alone), Err(PixelError::TileContext { .. })));
    let (result, _) = draw_data(rect, |_| vec![0x55; 12]);
    assert!(matches!(result, Err(PixelError::TileStream { .. })));
}

#[test]
fn lying_records_are_named_errors() {
    let r = Rect::new(0, 0, 32, 16);
    let err = |rect, records: &[u8]| apply(tiles(rect, records)).unwrap_err();
    // Not on the grid, outside the screen, empty.
    for rect in [
        Rect::new(8, 0, 16, 16),
        Rect::new(0, 0, 20, 16),
        Rect::new(0, 0, 0, 0),
    ] {
        assert!(matches!(err(rect, &[]), PixelError::TileGrid { .. }));
    }
    assert!(matches!(
        err(Rect::new(32, 16, 16, 16), &[]),
        PixelError::OutsideScreen { .. }
    ));
    // Records past the rectangle's two tiles, by skipping or by drawing.
    let solid = [OP_SOLID, 1, 2, 3];
    assert!(matches!(
        err(r, &[OP_SKIP, 2]),
        PixelError::TilesPastRect { .. }
    ));
    let three = [solid, solid, solid].concat();
    assert!(matches!(err(r, &three), PixelError::TilesPastRect { .. }));
    // Cut short, unknown.
    assert!(matches!(
        err(r, &[OP_SOLID, 1]),
        PixelError::TileTruncated { .. }
    ));
    assert!(matches!(
        err(r, &[OP_RAW, 1, 2, 3]),
        PixelError::TileTruncated { .. }
    ));
    assert!(matches!(
        err(r, &[OP_SKIP]),
        PixelError::TileTruncated { .. }
    ));
    assert!(matches!(err(r, &[11]), PixelError::TileOp { op: 11, .. }));
    // Parts: reaching out of the tile (x 15, two wide; y 8, nine high; at the right edge,
    // whose tile is 8 wide, x 7 and two wide), holding what a part cannot hold, cut short.
    for (rect, at, size) in [
        (r, 15 << 4, 1 << 4),
        (r, 8, 8),
        (Rect::new(0, 0, 40, 16), 7 << 4, 1 << 4),
    ] {
        let skip = if rect.width == 40 {
            vec![OP_SKIP, 1]
        } else {
            vec![]
        };
        let part = [skip, vec![OP_PART, at, size, OP_SOLID, 1, 2, 3]].concat();
        assert!(
            matches!(err(rect, &part), PixelError::TilePart { .. }),
            "{at} {size}"
        );
    }
    for inner in [OP_SKIP, OP_CACHED, OP_PART, OP_JPEG, OP_AREA, 11] {
        let part = [OP_PART, 0, 0, inner, 0, 0, 0, 0, 0, 0];
        assert!(matches!(err(r, &part), PixelError::TileOp { op, .. } if op == inner));
    }
    assert!(matches!(
        err(r, &[OP_PART, 0, 0x11, OP_RAW, 1, 2, 3]),
        PixelError::TileTruncated { .. }
    ));
    // Areas: reaching out of the rectangle (33 wide; 17 high; from x 15 of the second tile,
    // 2 wide), covering more pixels than the rectangle has (two of all 512), holding what an
    // area cannot hold, cut short.
    for area in [
        vec![OP_AREA, 0, 32, 0, OP_SOLID, 1, 2, 3],
        vec![OP_AREA, 0, 0, 16, OP_SOLID, 1, 2, 3],
        vec![OP_SOLID, 1, 2, 3, OP_AREA, 15 << 4, 1, 0, OP_SOLID, 1, 2, 3],
        [[OP_AREA, 0, 31, 15, OP_SOLID, 1, 2, 3]; 2].concat(),
    ] {
        assert!(
            matches!(err(r, &area), PixelError::TileArea { rect, .. } if rect == r),
            "{area:?}"
        );
    }
    for inner in [
        OP_SKIP,
        OP_CACHED,
        OP_PART,
        OP_GRADIENT,
        OP_JPEG,
        OP_AREA,
        11,
    ] {
        let area = [OP_AREA, 0, 16, 0, inner, 0, 0, 0, 0, 0, 0];
        assert!(matches!(err(r, &area), PixelError::TileOp { op, .. } if op == inner));
    }
    // Blend records cut short: in the colors, in the opacities of a tile, of a part, of an
    // area.
    let blend = |n: usize| [&[OP_BLEND, 1, 2, 3, 4, 5, 6][..], &vec![9; n]].concat();
    for records in [
        vec![OP_BLEND, 1, 2, 3, 4],
        blend(255),
        [&[OP_PART, 0, 0x11][..], &blend(3)].concat(),
        [&[OP_AREA, 0, 16, 1][..], &blend(33)].concat(),
    ] {
        assert!(
            matches!(err(r, &records), PixelError::TileTruncated { .. }),
            "{records:?}"
        );
    }
    for area in [&[OP_AREA, 0, 16][..], &[OP_AREA, 0, 16, 0, OP_RAW, 1, 2, 3]] {
        assert!(
            matches!(err(r, area), PixelError::TileTruncated { .. }),
            "{area:?}"
        );
    }
    // Palettes: too big, too small, indices beyond them, runs past the tile.
    let big = [&[OP_PACKED, 16][..], &[0; 51]].concat();
    assert!(matches!(
        err(r, &big),
        PixelError::PaletteSize { colors: 17, .. }
    ));
    let one = [OP_PACKED, 0, 1, 2, 3];
    assert!(matches!(
        err(r, &one),
        PixelError::PaletteSize { colors: 1, .. }
    ));
    let mut packed = vec![OP_PACKED, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    packed.extend([0b0011_0000; 64]);
    assert!(matches!(
        err(r, &packed),
        PixelError::PaletteIndex {
            index: 3,
            colors: 3,
            ..
        }
    ));
    let runs = [OP_RUNS, 1, 1, 2, 3, 4, 5, 6, 2];
    assert!(matches!(
        err(r, &runs),
        PixelError::PaletteIndex { index: 2, .. }
    ));
    let past = [OP_RUNS, 0, 1, 2, 3, 0x80, 255, 0];
    assert!(matches!(err(r, &past), PixelError::RunPastTile { .. }));
    let past = [OP_RUNS, 0, 1, 2, 3, 0x80, 200, 0x80, 100];
    assert!(matches!(err(r, &past), PixelError::RunPastTile { .. }));
    // A cache slot never filled, and a whole tile's slot used for an edge tile.
    let never = [OP_CACHED, 0, 0];
    assert!(matches!(
        err(r, &never),
        PixelError::CacheSlot { slot: 0, .. }
    ));
    let mut raw = vec![OP_RAW];
    raw.extend([7; 3 * 256]);
    let edge = [raw, vec![OP_SKIP, 0, OP_CACHED, 0, 0]].concat();
    let wide = Rect::new(0, 0, 40, 16);
    assert!(matches!(err(wide, &edge), PixelError::CacheSlot { .. }));
    // A stream that expands far beyond its tiles, and one that is not Zstandard at all.
    let huge = tiles(r, &vec![OP_SKIP; 1 << 20]);
    assert!(huge.data.len() < 8 << 10);
    assert!(matches!(apply(huge), Err(PixelError::TileTooLong { .. })));
    let mut junk = tiles(r, &solid);
    junk.data = vec![0xff; 40];
    assert!(matches!(apply(junk), Err(PixelError::TileStream { .. })));
    // A stream that was never started.
    let mut orphan = tiles(r, &solid);
    orphan.kind = RectEncoding::Tiles {
        reset: false,
        coded: 0,
    };
    assert!(matches!(apply(orphan), Err(PixelError::TileContext { .. })));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Random bytes, raw or compressed, on random rectangles: an error or pixels, no panic.
    #[test]
    fn random_bytes_never_panic(
        x in -20i32..60, y in -20i32..40, w in 0u32..70, h in 0u32..50,
        reset in any::<bool>(), compressed in any::<bool>(), coded in 0u32..40,
        data in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let rect = Rect::new(x / 16 * 16, y / 16 * 16, w, h);
        let kind = RectEncoding::Tiles { reset, coded };
        let encoded = if compressed {
            // Records, then random bytes as their coded section.
            let mut encoded = EncodedRect { kind, ..tiles(rect, &data) };
            encoded.data.extend_from_slice(&data[..data.len().min(coded as usize)]);
            encoded
        } else {
            EncodedRect { rect, kind, data }
        };
        let size = Size::new(40, 20);
        let mut decoder = PixelDecoder::new(size);
        let first = tiles(Rect::new(0, 0, 16, 16), &[OP_SOLID, 1, 2, 3]);
        decoder.apply(size, &[first]).unwrap();
        if decoder.apply(size, &[encoded]).is_ok() {
            prop_assert!(decoder.canvas().pixels().iter().all(|p| p >> 24 == 0));
        }
    }
}

/// Smooth shading: more colors than a palette holds, and a gradient the filter predicts.
fn shade(screen: &mut Canvas, rect: Rect) -> Rect {
    let rect = rect.intersect(screen.bounds());
    for y in 0..rect.height {
        for (x, p) in row_mut(screen, rect, y).iter_mut().enumerate() {
            let (x, y) = (x as u32, y);
            *p = Color::rgb((x * 3) as u8, (y * 5) as u8, ((x + y) * 2) as u8).to_xrgb();
        }
    }
    rect
}

#[test]
fn shading_goes_through_the_gradient_filter() {
    let mut screen = Canvas::new(64, 48, Color::WHITE);
    let mut pair = Pair::new(&screen);
    let damage = shade(&mut screen, Rect::new(0, 0, 64, 48));
    let rects = pair.send(&screen, &[damage], &[]);
    let payload = pair.decoder.tiles.as_ref().unwrap().records();
    assert_eq!(payload[0], OP_GRADIENT);
    // Twelve tiles of 768 bytes of pixels each: the filter leaves runs of equal residuals.
    assert!(bytes(&rects) < 12 * 768 / 8, "{} bytes", bytes(&rects));
}

#[test]
fn the_gradient_filter_follows_edges_as_the_median_edge_detector_does() {
    use netui_protocol::gradient::median;
    // Between its neighbours: the plane through them, as Tight's filter.
    assert_eq!(median(100, 60, 80), 80);
    // The upper-left beyond both: an edge runs between it and the pixel, whose side is the
    // nearer neighbour's (Tight's filter says 40 and 120, past the edge).
    assert_eq!(median(100, 60, 120), 60);
    assert_eq!(median(100, 60, 40), 100);
}

#[test]
fn gradient_tiles_predict_from_their_neighbours_and_stay_exact() {
    // A photograph on a screen of odd size, then grainy patches of every size at odd places
    // over it (parts of tiles, whole tiles, the edges), some scrolls: each gradient record's
    // first row and column come from the records before it, which must be what the viewer
    // has.
    let mut rng = Rng(53);
    let mut screen = Canvas::new(101, 67, Color::WHITE);
    let bounds = screen.bounds();
    photo(&mut rng, &mut screen, bounds, 0);
    let mut pair = Pair::new(&screen);
    assert_eq!(ops(&pair), [OP_GRADIENT]);
    for step in 0..40u32 {
        let (x, y) = (rng.below(101) as i32, rng.below(67) as i32);
        let (w, h) = (1 + rng.below(40), 1 + rng.below(30));
        let mut damage = vec![photo(&mut rng, &mut screen, Rect::new(x, y, w, h), step)];
        let mut copies = Vec::new();
        if step % 7 == 3 {
            let src = Rect::new(0, 3, 101, 64);
            copies.push(Hint::Copy(
                screen.copy_within(src, Point::new(0, 0), bounds),
                src.origin(),
            ));
            damage.push(photo(&mut rng, &mut screen, Rect::new(0, 64, 101, 3), step));
        }
        pair.send(&screen, &damage, &copies);
    }
}

#[test]
fn gradient_sections_that_lie_are_named_errors() {
    let lie = |rect: EncodedRect| matches!(apply(rect), Err(PixelError::TileCoded { .. }));
    let r = Rect::new(0, 0, 32, 16);
    let with = |records: &[u8], section: &[u8], coded: u32| {
        let mut rect = tiles(r, records);
        rect.data.extend_from_slice(section);
        rect.kind = RectEncoding::Tiles { reset: true, coded };
        rect
    };
    // A gradient record and no section: its decoder reads past the end.
    assert!(lie(with(&[OP_GRADIENT], &[], 0)));
    // A section and no gradient record.
    assert!(lie(with(&[OP_SOLID, 1, 2, 3], &[0; 8], 8)));
    // A section longer than the data.
    assert!(lie(with(&[OP_SOLID, 1, 2, 3], &[0; 8], 9_000)));
    // A real section, a byte short or a byte long.
    let mut screen = Canvas::new(32, 16, Color::WHITE);
    let bounds = screen.bounds();
    photo(&mut Rng(7), &mut screen, bounds, 0);
    let mut encoder = PixelEncoder::new(PixelEncoding::Tiles, screen.size());
    let rects = encoder.encode(&screen, &[bounds], &[]);
    let RectEncoding::Tiles { coded, .. } = rects[0].kind else {
        panic!("{:?}", rects[0].kind);
    };
    assert!(coded > 0);
    let mut decoder = PixelDecoder::new(screen.size());
    decoder.apply(screen.size(), &rects).unwrap();
    assert_eq!(decoder.canvas().pixels(), screen.pixels());
    let resize = |by: i64| {
        let mut rect = rects[0].clone();
        let len = (rect.data.len() as i64 + by) as usize;
        rect.data.resize(len, 0x55);
        rect.kind = RectEncoding::Tiles {
            reset: true,
            coded: (i64::from(coded) + by) as u32,
        };
        rect
    };
    assert!(lie(resize(-1)));
    assert!(lie(resize(1)));
    // Random sections of every length up to 40 bytes: wrong pixels or an error, never a
    // panic (the random round trip's property test goes further).
    for len in 0..40u32 {
        let noise: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
        let _ = apply(with(&[OP_GRADIENT, OP_GRADIENT], &noise, len));
    }
}

/// A photograph, as near as a test gets: smooth shading with grain.
fn photo(rng: &mut Rng, screen: &mut Canvas, rect: Rect, phase: u32) -> Rect {
    let rect = rect.intersect(screen.bounds());
    for y in 0..rect.height {
        for (x, p) in row_mut(screen, rect, y).iter_mut().enumerate() {
            let (x, y) = (x as u32 + phase, y);
            let grain = rng.below(6);
            let r = (x * 2 + grain) as u8;
            let g = ((x + y) + grain) as u8;
            let b = (200 - (y / 2) + grain) as u8;
            *p = Color::rgb(r, g, b).to_xrgb();
        }
    }
    rect
}

/// The lowest PSNR (dB) of [`photo`]'s grainy picture sent at quality 75: measured 29.6 dB
/// on the first frame (x86-64; 4:2:0 subsampling of the colored grain costs most of it).
const PSNR_FLOOR_Q75: f64 = 28.0;

/// An encoder in `px-tiles-jpeg` and a decoder: the viewer must always show exactly what the
/// encoder's shadow says it has, and be close to the screen.
fn lossy_pair(screen: &Canvas, quality: u8) -> (PixelEncoder, PixelDecoder) {
    let mut encoder = PixelEncoder::new(PixelEncoding::TilesJpeg { quality }, screen.size());
    let mut decoder = PixelDecoder::new(screen.size());
    let rects = encoder.encode(screen, &[screen.bounds()], &[]);
    decoder.apply(screen.size(), &rects).unwrap();
    (encoder, decoder)
}

fn lossy_send(
    encoder: &mut PixelEncoder,
    decoder: &mut PixelDecoder,
    screen: &Canvas,
    damage: &[Rect],
    hints: &[Hint],
) -> usize {
    let rects = encoder.encode(screen, damage, hints);
    decoder.apply(screen.size(), &rects).unwrap();
    assert!(
        decoder.canvas() == &encoder.shadow,
        "the viewer differs from the shadow"
    );
    bytes(&rects)
}

#[test]
fn photographs_go_lossy_above_a_psnr_floor_and_text_stays_exact() {
    let mut rng = Rng(41);
    let mut fonts = Fonts::new();
    let mut screen = Canvas::new(160, 96, Color::WHITE);
    let bounds = screen.bounds();
    let picture = Rect::new(0, 0, 160, 64);
    photo(&mut rng, &mut screen, picture, 0);
    let caption = Rect::new(0, 64, 160, 32);
    screen.text(
        &mut fonts,
        caption.origin(),
        Font::Sans,
        14,
        Color::BLACK,
        "IMG_42.jpg",
        bounds,
    );
    let (mut encoder, mut decoder) = lossy_pair(&screen, 75);
    let lossless = {
        let pair = Pair::new(&screen);
        pair.sent
    };
    let area = |c: &Canvas, r: Rect| {
        (0..r.height)
            .flat_map(|y| row(c, r, y).to_vec())
            .collect::<Vec<u32>>()
    };
    let psnr = crate::render::psnr(&area(decoder.canvas(), picture), &area(&screen, picture));
    eprintln!("quality 75: PSNR {psnr:.1} dB");
    assert!(psnr >= PSNR_FLOOR_Q75, "PSNR {psnr:.1} dB");
    assert!(psnr.is_finite(), "the picture went exact");
    assert_eq!(
        area(decoder.canvas(), caption),
        area(&screen, caption),
        "text went lossy"
    );
    let first = bytes(&encoder.encode(&screen, &[bounds], &[]));
    assert_eq!(first, 0, "an unchanged lossy picture is sent again");

    // The next frames of a moving picture: each smaller than lossless, and close.
    let mut sent = 0;
    for phase in 1..5 {
        photo(&mut rng, &mut screen, picture, phase * 3);
        sent += lossy_send(&mut encoder, &mut decoder, &screen, &[picture], &[]);
        let psnr = crate::render::psnr(&area(decoder.canvas(), picture), &area(&screen, picture));
        assert!(psnr >= PSNR_FLOOR_Q75, "PSNR {psnr:.1} dB");
    }
    assert!(
        sent / 4 < lossless / 2,
        "{} bytes a frame vs {lossless} lossless",
        sent / 4
    );
}

#[test]
fn lossy_tiles_follow_copies_and_small_changes() {
    let mut rng = Rng(43);
    let mut screen = Canvas::new(96, 80, Color::WHITE);
    photo(&mut rng, &mut screen, Rect::new(0, 0, 96, 80), 0);
    let (mut encoder, mut decoder) = lossy_pair(&screen, 50);
    let bounds = screen.bounds();
    // A scroll by 7 rows: the copy moves the viewer's lossy pixels, the damage refreshes.
    let src = Rect::new(0, 7, 96, 73);
    let dst = screen.copy_within(src, Point::new(0, 0), bounds);
    photo(&mut rng, &mut screen, Rect::new(0, 73, 96, 7), 5);
    lossy_send(
        &mut encoder,
        &mut decoder,
        &screen,
        &[bounds],
        &[Hint::Copy(dst, src.origin())],
    );
    // A pointer-sized change over the picture goes exact (as an XOR), not as JPEG.
    screen.fill_rect(Rect::new(40, 40, 3, 3), Color::RED, bounds);
    let n = lossy_send(&mut encoder, &mut decoder, &screen, &[bounds], &[]);
    assert!(n < 200, "{n} bytes");
    // Resize and a late viewer: the stream restarts.
    screen.resize(100, 70, Color::BLUE);
    lossy_send(&mut encoder, &mut decoder, &screen, &[], &[]);
    // Every quality decodes, and the worst is still a picture.
    for quality in [1, 30, 90, 100] {
        let (encoder, decoder) = lossy_pair(&screen, quality);
        assert!(decoder.canvas() == &encoder.shadow);
        let psnr = crate::render::psnr(decoder.canvas().pixels(), screen.pixels());
        eprintln!("quality {quality}: PSNR {psnr:.1} dB");
        assert!(psnr > 20.0, "quality {quality}: PSNR {psnr:.1}");
    }
}

#[test]
fn lying_jpeg_records_are_errors() {
    let r = Rect::new(0, 0, 32, 16);
    let err = |records: &[u8]| apply(tiles(r, records)).unwrap_err();
    // A real JPEG of 32x16, then variations of its record.
    let mut bgra = vec![0u8; 32 * 16 * 4];
    for (i, b) in bgra.iter_mut().enumerate() {
        *b = (i * 7 % 251) as u8;
    }
    let mut image = Vec::new();
    assert!(jpeg::encode(&bgra, 32, 16, 80, &mut image));
    let record =
        |run: u8, len: u32, image: &[u8]| [&[OP_JPEG, run][..], &len.to_le_bytes(), image].concat();
    let len = image.len() as u32;
    assert_eq!(apply(tiles(r, &record(1, len, &image))).unwrap(), vec![r]);
    // Past the row, the wrong size, cut short, longer than its pixels, not a JPEG.
    assert!(matches!(
        err(&record(2, len, &image)),
        PixelError::TilesPastRect { .. }
    ));
    assert!(matches!(
        err(&record(0, len, &image)),
        PixelError::Jpeg { .. }
    ));
    assert!(matches!(
        err(&record(1, len + 5, &image)),
        PixelError::TileTruncated { .. }
    ));
    assert!(matches!(
        err(&record(1, 5000, &image)),
        PixelError::Jpeg { .. }
    ));
    let junk = vec![0x55; image.len()];
    assert!(matches!(
        err(&record(1, len, &junk)),
        PixelError::Jpeg { .. }
    ));
    // A JPEG cut in half: an error or (zune-jpeg fills what is missing) pixels, no panic.
    let cut = &image[..image.len() / 2];
    let _ = apply(tiles(r, &record(1, cut.len() as u32, cut)));
}

#[test]
fn scrolls_without_hints_go_as_the_hints_would() {
    // As `copies_scrolls_and_resizes_round_trip`, but the application draws its rows again
    // and the server has no hint: the encoder finds the moves itself, and sends what it
    // would have sent with the hints, byte for byte.
    let mut fonts = Fonts::new();
    let mut screen = Canvas::new(200, 120, Color::WHITE);
    let bounds = screen.bounds();
    for i in 0..9 {
        let pos = Point::new(4, 4 + 14 * i);
        let text = format!("line {i} of the text");
        screen.text(&mut fonts, pos, Font::Sans, 12, Color::BLACK, &text, bounds);
    }
    let (mut found, mut hinted) = (Pair::new(&screen), Pair::new(&screen));
    for step in 0..20 {
        let src = Rect::new(0, 7, bounds.width, bounds.height - 7);
        let dst = screen.copy_within(src, Point::new(0, 0), bounds);
        let fresh = Rect::new(0, bounds.height as i32 - 7, bounds.width, 7);
        screen.fill_rect(fresh, Color::WHITE, bounds);
        let text = format!("new {step}");
        let pos = fresh.origin();
        screen.text(&mut fonts, pos, Font::Mono, 7, Color::BLUE, &text, fresh);
        let rects = found.send(&screen, &[bounds], &[]);
        let copy = RectEncoding::Copy { src: src.origin() };
        assert_eq!((rects[0].rect, rects[0].kind), (dst, copy), "step {step}");
        assert_eq!(
            rects,
            hinted.send(&screen, &[bounds], &[Hint::Copy(dst, src.origin())])
        );
    }
    assert_eq!(found.sent, hinted.sent);
}

#[test]
fn lossy_tiles_stay_in_step_through_scrolls_without_hints() {
    let mut rng = Rng(47);
    let mut screen = Canvas::new(96, 80, Color::WHITE);
    photo(&mut rng, &mut screen, Rect::new(0, 0, 96, 80), 0);
    let bounds = screen.bounds();
    let (mut encoder, mut decoder) = lossy_pair(&screen, 75);
    let band = Rect::new(0, 40, 96, 24);
    for step in 0..6 {
        // Exact text over part of the picture, scrolled by 5 rows each step without a hint:
        // a copy may only move what the viewer has, lossy or not.
        let mut fonts = Fonts::new();
        screen.fill_rect(band, Color::WHITE, bounds);
        let pos = Point::new(2, band.y + 2 - step * 5);
        screen.text(
            &mut fonts,
            pos,
            Font::Mono,
            12,
            Color::BLACK,
            "text row",
            band,
        );
        let src = Rect::new(0, 5, 96, 75);
        screen.copy_within(src, Point::new(0, 0), bounds);
        photo(&mut rng, &mut screen, Rect::new(0, 75, 96, 5), step as u32);
        lossy_send(&mut encoder, &mut decoder, &screen, &[bounds], &[]);
        let psnr = crate::render::psnr(decoder.canvas().pixels(), screen.pixels());
        assert!(psnr > PSNR_FLOOR_Q75, "step {step}: PSNR {psnr:.1}");
    }
}
