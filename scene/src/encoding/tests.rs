//! Round trips, fallbacks and bad data for the pixel encodings.
use super::*;
use crate::render::Fonts;
use netui_protocol::{Font, Request, Segment};

/// xorshift64*: deterministic and good enough to shuffle test screens.
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

    fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + self.below((hi - lo) as u32) as i32
    }

    fn color(&mut self) -> Color {
        let [r, g, b, ..] = self.next().to_le_bytes();
        Color::rgb(r, g, b)
    }

    /// A rectangle mostly on a `w`x`h` screen, sometimes reaching past its edges.
    fn rect(&mut self, w: u32, h: u32) -> Rect {
        let (w, h) = (w as i32, h as i32);
        let x = self.range(-8, w);
        let y = self.range(-8, h);
        Rect::new(
            x,
            y,
            self.below(w as u32 / 2 + 8),
            self.below(h as u32 / 2 + 8),
        )
    }
}

/// Photo-like content: noise, which LZ4 cannot shrink.
fn noise(rng: &mut Rng, screen: &mut Canvas, rect: Rect) -> Rect {
    let rect = rect.intersect(screen.bounds());
    for y in 0..rect.height {
        for p in row_mut(screen, rect, y) {
            *p = rng.next() as u32 & 0x00ff_ffff;
        }
    }
    rect
}

/// A screen with some of everything on it.
fn desktop(rng: &mut Rng, fonts: &mut Fonts, w: u32, h: u32) -> Canvas {
    let mut screen = Canvas::new(w, h, Color::rgb(30, 60, 90));
    for _ in 0..6 {
        let (rect, color) = (rng.rect(w, h), rng.color());
        screen.fill_rect(rect, color, screen.bounds());
        let pos = Point::new(rect.x + 2, rect.y + 2);
        screen.text(
            fonts,
            pos,
            Font::Sans,
            11,
            Color::BLACK,
            "Hello, pixels",
            rect,
        );
    }
    let rect = rng.rect(w, h);
    noise(rng, &mut screen, rect);
    screen
}

/// One change to the screen, as the server would see it: damage and copy hints.
fn change(rng: &mut Rng, fonts: &mut Fonts, screen: &mut Canvas) -> (Vec<Rect>, Vec<Hint>) {
    let bounds = screen.bounds();
    let (w, h) = (screen.width(), screen.height());
    match rng.below(10) {
        0 | 1 => {
            let damage = (0..1 + rng.below(4))
                .map(|_| screen.fill_rect(rng.rect(w, h), rng.color(), bounds))
                .collect();
            (damage, Vec::new())
        }
        2 => {
            let rect = rng.rect(w, h);
            (vec![noise(rng, screen, rect)], Vec::new())
        }
        3 => {
            let pos = Point::new(rng.range(-10, w as i32), rng.range(-5, h as i32));
            let text = ["typed", "a", "netui", "0123456789"][rng.below(4) as usize];
            let color = rng.color();
            let size = 9 + rng.below(12) as u16;
            (
                vec![screen.text(fonts, pos, Font::Mono, size, color, text, bounds)],
                Vec::new(),
            )
        }
        4 | 5 => {
            // A scroll, up or down, of a region inside the screen; new lines come in.
            let region = rng.rect(w, h).intersect(bounds);
            if region.height < 2 {
                return (Vec::new(), Vec::new());
            }
            let d = 1 + rng.below(region.height - 1);
            let kept = region.height - d;
            let (src_y, dst_y, fresh_y) = if rng.below(2) == 0 {
                (region.y + d as i32, region.y, region.y + kept as i32)
            } else {
                (region.y, region.y + d as i32, region.y)
            };
            let src = Rect::new(region.x, src_y, region.width, kept);
            let dst = screen.copy_within(src, Point::new(region.x, dst_y), bounds);
            let fresh = Rect::new(region.x, fresh_y, region.width, d);
            screen.fill_rect(fresh, rng.color(), bounds);
            let pos = Point::new(region.x, fresh_y);
            screen.text(fonts, pos, Font::Sans, 10, Color::WHITE, "new line", fresh);
            // One scroll in three comes without its hint, as from an application that draws
            // its rows again: the encoders that detect moves must still get it right.
            let hints = match rng.below(3) {
                0 => Vec::new(),
                _ => vec![Hint::Copy(dst, Point::new(region.x, src_y))],
            };
            (vec![region], hints)
        }
        6 => {
            // A window moves, maybe partly off screen; the desktop shows where it was.
            let window = rng.rect(w, h);
            let to = Point::new(rng.range(-20, w as i32), rng.range(-20, h as i32));
            let mut saved = Canvas::new(window.width, window.height, Color::BLACK);
            saved.copy_from(screen, window, Point::new(0, 0), saved.bounds());
            let old = screen.fill_rect(window, Color::rgb(30, 60, 90), bounds);
            let new = screen.copy_from(&saved, saved.bounds(), to, bounds);
            let moved = Rect::new(to.x, to.y, window.width, window.height);
            (vec![old, new], vec![Hint::Copy(moved, window.origin())])
        }
        7 => {
            // Hints that are wrong, far away or empty, and damage as odd as it comes.
            let damage = vec![
                screen.fill_rect(rng.rect(w, h), rng.color(), bounds),
                Rect::new(i32::MAX, i32::MIN, u32::MAX, u32::MAX),
                Rect::new(i32::MIN, i32::MIN, u32::MAX, u32::MAX),
                Rect::new(5, 5, 0, 7),
            ];
            let copies = vec![
                Hint::Copy(
                    rng.rect(w, h),
                    Point::new(rng.range(-30, 30), rng.range(-30, 30)),
                ),
                Hint::Copy(Rect::new(i32::MAX, 0, u32::MAX, 3), Point::new(i32::MIN, 0)),
                Hint::Copy(Rect::new(-5, -5, 20, 20), Point::new(i32::MAX, i32::MAX)),
            ];
            (damage, copies)
        }
        8 => {
            // An application's drawing with its hint; one hint in three is wrong (another
            // color, or drawing that did not happen), and some clips leave the screen.
            let (x, y) = (rng.range(-10, w as i32), rng.range(-10, h as i32));
            let (a, b) = (Point::new(x, y), Point::new(x + rng.range(-40, 40), y + 20));
            let target = netui_protocol::ResourceId::ROOT;
            let color = rng.color();
            let width = rng.below(6) as u16;
            let request = match rng.below(6) {
                0 => Request::FillRects {
                    target,
                    color,
                    rects: vec![rng.rect(w, h), rng.rect(w, h)],
                },
                1 => Request::StrokeRects {
                    target,
                    color,
                    width,
                    rects: vec![rng.rect(w, h)],
                },
                2 => Request::Lines {
                    target,
                    color,
                    width,
                    points: vec![a, b, Point::new(x, y + 30)],
                },
                3 => Request::Segments {
                    target,
                    color,
                    width,
                    segments: vec![Segment { a, b }],
                },
                4 => Request::Ellipse {
                    target,
                    color,
                    rect: rng.rect(w, h),
                    outline: Some(width).filter(|w| *w > 0),
                },
                _ => Request::Text {
                    target,
                    pos: a,
                    font: Font::Sans,
                    size: 8 + width * 3,
                    color,
                    text: "drawn".into(),
                },
            };
            let clips = vec![rng.rect(w + 8, h + 8), rng.rect(w, h)];
            let mut damage = Vec::new();
            let drawn = match rng.below(3) {
                0 => None,
                1 => Some(Request::FillRects {
                    target,
                    color: rng.color(),
                    rects: vec![rng.rect(w, h)],
                }),
                _ => Some(request.clone()),
            };
            for &clip in drawn.iter().flat_map(|_| &clips) {
                let drawn = drawn
                    .as_ref()
                    .and_then(|r| screen.draw(fonts, r, clip.intersect(bounds)));
                damage.extend(drawn);
            }
            (damage, vec![Hint::Draw(Drawing { clips, request })])
        }
        _ => {
            if rng.below(4) == 0 {
                let (nw, nh) = (8 + rng.below(120), 8 + rng.below(90));
                screen.resize(nw, nh, rng.color());
            }
            (vec![screen.bounds()], Vec::new())
        }
    }
}

/// Runs `steps` random changes through an encoder and a decoder, checking after each that
/// the viewer's screen and the shadow equal the server's. `switch` changes the encoding
/// on the way.
fn round_trip(encoding: PixelEncoding, seed: u64, steps: usize, switch: bool) {
    let mut rng = Rng(seed);
    let mut fonts = Fonts::new();
    let mut screen = desktop(&mut rng, &mut fonts, 96, 64);
    let mut encoder = PixelEncoder::new(encoding, screen.size());
    let mut decoder = PixelDecoder::new(screen.size());
    let rects = encoder.encode(&screen, &[screen.bounds()], &[]);
    decoder.apply(screen.size(), &rects).unwrap();
    assert_eq!(decoder.canvas(), &screen);
    let mut kinds = Vec::new();
    for step in 0..steps {
        if switch && rng.below(5) == 0 {
            encoder.set_encoding(PixelEncoding::ALL[rng.below(5) as usize]);
        }
        let (damage, copies) = change(&mut rng, &mut fonts, &mut screen);
        let rects = encoder.encode(&screen, &damage, &copies);
        for r in &rects {
            assert!(screen.bounds().contains_rect(r.rect) && !r.rect.is_empty());
        }
        decoder.apply(screen.size(), &rects).unwrap();
        kinds.extend(rects.iter().map(|r| std::mem::discriminant(&r.kind)));
        let what = format!("{:?} step {step}", encoder.encoding());
        assert!(decoder.canvas() == &screen, "viewer differs after {what}");
        assert!(encoder.shadow == screen, "shadow differs after {what}");
    }
    // The changes reach every kind of rectangle the encoding can send.
    let copy = RectEncoding::Copy {
        src: Point::default(),
    };
    let expected = match encoding {
        PixelEncoding::Raw | PixelEncoding::Damage => vec![RectEncoding::Raw],
        PixelEncoding::DamageLz4 => vec![RectEncoding::Raw, RectEncoding::Lz4],
        PixelEncoding::DeltaLz4 => vec![RectEncoding::Lz4, RectEncoding::DeltaLz4, copy],
        PixelEncoding::Tiles | PixelEncoding::TilesJpeg { .. } => {
            vec![
                RectEncoding::Tiles {
                    reset: false,
                    coded: 0,
                },
                copy,
                RectEncoding::Draw,
            ]
        }
    };
    for kind in expected {
        assert!(
            kinds.contains(&std::mem::discriminant(&kind)),
            "no {kind:?} sent"
        );
    }
}

#[test]
fn every_encoding_round_trips_random_changes() {
    for encoding in PixelEncoding::ALL {
        for seed in 1..4 {
            round_trip(encoding, seed * 7919, 150, false);
        }
    }
}

#[test]
fn switching_encodings_keeps_the_viewer_in_step() {
    round_trip(PixelEncoding::DeltaLz4, 42, 300, true);
}

#[test]
fn raw_always_sends_the_whole_screen() {
    let mut rng = Rng(3);
    let mut fonts = Fonts::new();
    let mut screen = desktop(&mut rng, &mut fonts, 50, 40);
    let mut encoder = PixelEncoder::new(PixelEncoding::Raw, screen.size());
    for _ in 0..20 {
        let (damage, copies) = change(&mut rng, &mut fonts, &mut screen);
        let rects = encoder.encode(&screen, &damage, &copies);
        let whole = screen.width() as usize * screen.height() as usize * 4;
        assert_eq!(rects.len(), 1);
        assert_eq!(
            (rects[0].rect, rects[0].kind),
            (screen.bounds(), RectEncoding::Raw)
        );
        assert_eq!(bytes(&rects), whole);
    }
    let whole = screen.width() as usize * screen.height() as usize * 4;
    assert_eq!(bytes(&encoder.encode(&screen, &[], &[])), whole);
}

#[test]
fn delta_of_an_unchanged_area_sends_nothing() {
    let mut rng = Rng(5);
    let screen = desktop(&mut rng, &mut Fonts::new(), 80, 60);
    let mut encoder = PixelEncoder::new(PixelEncoding::DeltaLz4, screen.size());
    assert!(!encoder.encode(&screen, &[screen.bounds()], &[]).is_empty());
    assert_eq!(encoder.encode(&screen, &[screen.bounds()], &[]), vec![]);
    assert_eq!(
        encoder.encode(&screen, &[Rect::new(3, 4, 10, 10)], &[]),
        vec![]
    );
}

#[test]
fn delta_sends_only_the_pixels_that_changed() {
    let mut screen = Canvas::new(64, 64, Color::WHITE);
    let mut encoder = PixelEncoder::new(PixelEncoding::DeltaLz4, screen.size());
    encoder.encode(&screen, &[screen.bounds()], &[]);
    // Two changes: the rectangle sent is the smallest that holds both.
    screen.fill_rect(Rect::new(10, 20, 3, 2), Color::RED, screen.bounds());
    screen.fill_rect(Rect::new(30, 24, 2, 1), Color::BLUE, screen.bounds());
    let rects = encoder.encode(&screen, &[screen.bounds()], &[]);
    assert_eq!(rects.len(), 1);
    assert_eq!(rects[0].rect, Rect::new(10, 20, 22, 5));
    assert!(rects[0].data.len() <= 22 * 5 * 4, "{:?}", rects[0]);
}

/// A 1280x800 desktop with a text window whose 500x400 area scrolls by 20 lines.
fn scrolled(encoding: PixelEncoding) -> Vec<EncodedRect> {
    let mut fonts = Fonts::new();
    let mut screen = Canvas::new(1280, 800, Color::rgb(30, 60, 90));
    let area = Rect::new(100, 100, 500, 400);
    screen.fill_rect(area, Color::WHITE, screen.bounds());
    for line in 0..30 {
        let pos = Point::new(104, 100 + line * 14);
        let text = format!("line {line}: the quick brown fox jumps over the lazy dog");
        screen.text(&mut fonts, pos, Font::Mono, 12, Color::BLACK, &text, area);
    }
    let mut encoder = PixelEncoder::new(encoding, screen.size());
    encoder.encode(&screen, &[screen.bounds()], &[]);
    let kept = Rect::new(area.x, area.y + 20, area.width, area.height - 20);
    let dst = screen.copy_within(kept, area.origin(), screen.bounds());
    let fresh = Rect::new(area.x, area.bottom() as i32 - 20, area.width, 20);
    screen.fill_rect(fresh, Color::WHITE, area);
    let pos = fresh.origin();
    screen.text(
        &mut fonts,
        pos,
        Font::Mono,
        12,
        Color::BLACK,
        "a new line",
        area,
    );
    encoder.encode(&screen, &[area], &[Hint::Copy(dst, kept.origin())])
}

#[test]
fn a_scroll_hint_is_sent_as_a_copy_and_saves_bytes() {
    let delta = scrolled(PixelEncoding::DeltaLz4);
    let plain = scrolled(PixelEncoding::DamageLz4);
    let copy = RectEncoding::Copy {
        src: Point::new(100, 120),
    };
    assert_eq!(
        (delta[0].rect, delta[0].kind),
        (Rect::new(100, 100, 500, 380), copy)
    );
    assert!(delta[1..].iter().all(|r| r.rect.y >= 480), "{delta:?}");
    assert!(
        bytes(&delta) * 10 < bytes(&plain),
        "{} vs {}",
        bytes(&delta),
        bytes(&plain)
    );
}

#[test]
fn damage_lz4_falls_back_to_raw_for_noise() {
    let mut rng = Rng(9);
    let mut screen = Canvas::new(40, 30, Color::BLACK);
    let bounds = screen.bounds();
    noise(&mut rng, &mut screen, bounds);
    let mut encoder = PixelEncoder::new(PixelEncoding::DamageLz4, screen.size());
    let rects = encoder.encode(&screen, &[bounds], &[]);
    assert_eq!(rects.len(), 1);
    assert_eq!(rects[0].kind, RectEncoding::Raw);
    assert_eq!(bytes(&rects), 40 * 30 * 4);
}

#[test]
fn delta_falls_back_to_pixels_when_the_xor_is_larger() {
    let mut rng = Rng(11);
    let mut screen = Canvas::new(40, 30, Color::BLACK);
    let bounds = screen.bounds();
    noise(&mut rng, &mut screen, bounds);
    let mut encoder = PixelEncoder::new(PixelEncoding::DeltaLz4, screen.size());
    encoder.encode(&screen, &[bounds], &[]);
    screen.fill_rect(bounds, Color::GREEN, bounds);
    let rects = encoder.encode(&screen, &[bounds], &[]);
    assert_eq!(rects.len(), 1);
    assert_eq!(rects[0].kind, RectEncoding::Lz4);
    assert!(bytes(&rects) < 100);
}

#[test]
fn reset_sends_everything_to_a_viewer_that_holds_anything() {
    let mut rng = Rng(13);
    let mut fonts = Fonts::new();
    let screen = desktop(&mut rng, &mut fonts, 70, 50);
    let mut encoder = PixelEncoder::new(PixelEncoding::DeltaLz4, screen.size());
    encoder.encode(&screen, &[screen.bounds()], &[]);
    // A viewer that holds something else entirely, and an encoder told to forget.
    let mut decoder = PixelDecoder::new(screen.size());
    let other = desktop(&mut rng, &mut fonts, 70, 50);
    let junk = EncodedRect {
        rect: other.bounds(),
        kind: RectEncoding::Raw,
        data: pixel_bytes(&other, other.bounds()),
    };
    decoder.apply(screen.size(), &[junk]).unwrap();
    encoder.reset(screen.size());
    let rects = encoder.encode(&screen, &[screen.bounds()], &[]);
    decoder.apply(screen.size(), &rects).unwrap();
    assert_eq!(decoder.canvas(), &screen);
}

#[test]
fn a_new_screen_size_sends_everything() {
    let mut rng = Rng(17);
    let mut fonts = Fonts::new();
    let mut screen = desktop(&mut rng, &mut fonts, 60, 40);
    let mut encoder = PixelEncoder::new(PixelEncoding::DeltaLz4, screen.size());
    let mut decoder = PixelDecoder::new(screen.size());
    decoder
        .apply(
            screen.size(),
            &encoder.encode(&screen, &[screen.bounds()], &[]),
        )
        .unwrap();
    screen.resize(90, 30, Color::RED);
    let rects = encoder.encode(&screen, &[], &[]);
    assert_eq!(
        decoder.apply(screen.size(), &rects).unwrap().len(),
        rects.len()
    );
    assert_eq!(decoder.canvas(), &screen);
}

/// A well-formed rectangle of `kind` on a 16x16 screen, to be spoiled by the tests.
fn good(kind: RectEncoding) -> EncodedRect {
    let rect = Rect::new(2, 2, 4, 4);
    let pixels = vec![0x55; byte_len(rect)];
    let data = match kind {
        RectEncoding::Raw => pixels,
        RectEncoding::Lz4 | RectEncoding::DeltaLz4 => lz4_flex::block::compress(&pixels),
        RectEncoding::Copy { .. } | RectEncoding::Tiles { .. } | RectEncoding::Draw => Vec::new(),
    };
    EncodedRect { rect, kind, data }
}

fn apply(rect: EncodedRect) -> Result<Vec<Rect>, PixelError> {
    PixelDecoder::new(Size::new(16, 16)).apply(Size::new(16, 16), &[rect])
}

#[test]
fn malformed_rects_are_errors() {
    let copy = RectEncoding::Copy {
        src: Point::new(10, 10),
    };
    let kinds = [
        RectEncoding::Raw,
        RectEncoding::Lz4,
        RectEncoding::DeltaLz4,
        copy,
    ];
    for kind in kinds {
        assert_eq!(apply(good(kind)).unwrap(), vec![Rect::new(2, 2, 4, 4)]);
        for rect in [
            Rect::new(14, 2, 4, 4),
            Rect::new(-1, 0, 1, 1),
            Rect::new(0, 0, 17, 1),
        ] {
            let bad = EncodedRect { rect, ..good(kind) };
            assert!(matches!(apply(bad), Err(PixelError::OutsideScreen { .. })));
        }
    }
    let mut short = good(RectEncoding::Raw);
    short.data.pop();
    assert!(matches!(apply(short), Err(PixelError::RawLength { .. })));

    let mut corrupt = good(RectEncoding::Lz4);
    corrupt.data.truncate(corrupt.data.len() / 2);
    assert!(matches!(apply(corrupt), Err(PixelError::Lz4 { .. })));
    let mut too_short = good(RectEncoding::DeltaLz4);
    too_short.data = lz4_flex::block::compress(&[1; 63]);
    assert!(matches!(
        apply(too_short),
        Err(PixelError::Lz4Length { .. })
    ));
    let mut too_long = good(RectEncoding::Lz4);
    too_long.data = lz4_flex::block::compress(&[1; 65]);
    assert!(matches!(apply(too_long), Err(PixelError::Lz4 { .. })));
    let mut huge = good(RectEncoding::Lz4);
    huge.data = lz4_flex::block::compress(&vec![0; 1 << 20]);
    assert!(matches!(apply(huge), Err(PixelError::Lz4 { .. })));

    let mut outside = good(copy);
    outside.kind = RectEncoding::Copy {
        src: Point::new(13, 0),
    };
    assert!(matches!(apply(outside), Err(PixelError::CopySource { .. })));
    let mut far = good(copy);
    far.kind = RectEncoding::Copy {
        src: Point::new(i32::MAX, i32::MIN),
    };
    assert!(matches!(apply(far), Err(PixelError::CopySource { .. })));
    let mut loaded = good(copy);
    loaded.data = vec![0];
    assert!(matches!(apply(loaded), Err(PixelError::CopyData { .. })));

    let mut decoder = PixelDecoder::new(Size::new(16, 16));
    let too_large = Size::new(MAX_SIDE + 1, 1);
    assert!(matches!(
        decoder.apply(too_large, &[]),
        Err(PixelError::ScreenTooLarge(_))
    ));
    assert_eq!(decoder.canvas().size(), Size::new(16, 16));
    let mut decoder = PixelDecoder::new(Size::new(u32::MAX, u32::MAX));
    assert_eq!(decoder.canvas().size(), Size::new(0, 0));
    let result = decoder.apply(Size::new(u32::MAX, u32::MAX), &[]);
    assert!(matches!(result, Err(PixelError::ScreenTooLarge(_))));
}

#[test]
fn random_junk_is_an_error_or_applies_but_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let size = Size::new(24, 16);
    let mut decoder = PixelDecoder::new(size);
    let (mut applied, mut refused) = (0, 0);
    for _ in 0..20_000 {
        let rect = match rng.below(4) {
            0 => Rect::new(
                rng.next() as i32,
                rng.next() as i32,
                rng.next() as u32,
                rng.next() as u32,
            ),
            _ => Rect::new(
                rng.range(-2, 26),
                rng.range(-2, 18),
                rng.below(28),
                rng.below(20),
            ),
        };
        let len = match rng.below(3) {
            0 => rect.width.wrapping_mul(rect.height).wrapping_mul(4) as usize % 4096,
            _ => rng.below(300) as usize,
        };
        let mut data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let kind = match rng.below(5) {
            0 => RectEncoding::Raw,
            1 => RectEncoding::Lz4,
            2 => {
                // Valid LZ4 of the wrong (or, by luck, right) length.
                data = lz4_flex::block::compress(&data);
                RectEncoding::DeltaLz4
            }
            3 => RectEncoding::DeltaLz4,
            _ => {
                if rng.below(2) == 0 {
                    data.clear();
                }
                RectEncoding::Copy {
                    src: Point::new(rng.range(-30, 30), rng.range(-30, 30)),
                }
            }
        };
        let encoded = EncodedRect { rect, kind, data };
        let inside = Rect::from_size(size).contains_rect(rect);
        match decoder.apply(size, &[encoded]) {
            Ok(changed) => {
                assert!(inside);
                assert!(decoder.canvas().pixels().iter().all(|p| p >> 24 == 0));
                assert!(changed
                    .iter()
                    .all(|r| Rect::from_size(size).contains_rect(*r)));
                applied += 1;
            }
            Err(_) => refused += 1,
        }
    }
    assert!(
        applied > 100 && refused > 100,
        "{applied} applied, {refused} refused"
    );
}

/// Lines of distinct text, `spacing` pixels apart, in `area` (white), numbered from `first`.
fn text_lines(fonts: &mut Fonts, screen: &mut Canvas, area: Rect, first: i32, spacing: i32) {
    screen.fill_rect(area, Color::WHITE, area);
    for line in 0..area.height as i32 / spacing + 1 {
        let pos = Point::new(area.x + 3, area.y + 2 + line * spacing);
        let text = format!(
            "{}: entry number {} of the list",
            first + line,
            first + line
        );
        screen.text(fonts, pos, Font::Mono, 12, Color::BLACK, &text, area);
    }
}

/// Moves the content of `area` down by `dy` pixels (up when negative), as an application
/// that draws its rows again would, with new lines where the moved content left: no hint.
fn scroll_by(fonts: &mut Fonts, screen: &mut Canvas, area: Rect, dy: i32, spacing: i32) {
    let before = screen.clone();
    let mut moved = Canvas::new(area.width, area.height, Color::WHITE);
    let at = Point::new(0, dy);
    moved.copy_from(&before, area, at, moved.bounds());
    let fresh = match dy {
        dy if dy < 0 => Rect::new(0, area.height as i32 + dy, area.width, (-dy) as u32),
        _ => Rect::new(0, 0, area.width, dy as u32),
    };
    text_lines(fonts, &mut moved, fresh, 1000, spacing);
    screen.copy_from(&moved, moved.bounds(), area.origin(), area);
}

/// What an encoder with a viewer that has `before` sends for `after` with `damage` and no
/// hint, checked through the real decoder: the viewer and the shadow must equal `after`.
/// The rectangles, and the copies among them.
fn send_unhinted(
    encoding: PixelEncoding,
    before: &Canvas,
    after: &Canvas,
    damage: &[Rect],
) -> (Vec<EncodedRect>, Vec<(Rect, Point)>) {
    let mut encoder = PixelEncoder::new(encoding, before.size());
    let mut decoder = PixelDecoder::new(before.size());
    let rects = encoder.encode(before, &[before.bounds()], &[]);
    decoder.apply(before.size(), &rects).unwrap();
    let rects = encoder.encode(after, damage, &[]);
    decoder.apply(after.size(), &rects).unwrap();
    assert!(decoder.canvas() == after, "the viewer differs");
    assert!(encoder.shadow == *after, "the shadow differs");
    let copies = rects
        .iter()
        .filter_map(|r| match r.kind {
            RectEncoding::Copy { src } => Some((r.rect, src)),
            _ => None,
        })
        .collect();
    (rects, copies)
}

/// The vertical offset of a copy: how far down its content moved.
fn offset((dst, src): (Rect, Point)) -> i32 {
    assert_eq!(dst.x, src.x, "a detected move is vertical");
    dst.y - src.y
}

/// The screen of the scroll tests: a window whose 300x200 list area holds lines 14 pixels
/// apart.
const LIST: Rect = Rect::new(50, 40, 300, 200);

fn list_screen(fonts: &mut Fonts, spacing: i32) -> Canvas {
    let mut screen = Canvas::new(400, 300, Color::rgb(30, 60, 90));
    let window = Rect::new(LIST.x - 4, LIST.y - 24, LIST.width + 8, LIST.height + 44);
    screen.fill_rect(window, Color::rgb(200, 200, 205), screen.bounds());
    let title = Point::new(window.x + 6, window.y + 4);
    let bounds = screen.bounds();
    screen.text(fonts, title, Font::Sans, 12, Color::BLACK, "Files", bounds);
    text_lines(fonts, &mut screen, LIST, 1, spacing);
    screen
}

#[test]
fn a_scroll_without_a_hint_is_found_up_and_down() {
    let mut fonts = Fonts::new();
    let before = list_screen(&mut fonts, 14);
    for dy in [-20, 20, -1, 3, -42] {
        let mut after = before.clone();
        scroll_by(&mut fonts, &mut after, LIST, dy, 14);
        for encoding in [PixelEncoding::DeltaLz4, PixelEncoding::Tiles] {
            let (rects, copies) = send_unhinted(encoding, &before, &after, &[LIST]);
            let (_, plain) = send_unhinted(PixelEncoding::DamageLz4, &before, &after, &[LIST]);
            assert!(plain.is_empty());
            let what = format!("{} by {dy}", encoding.name());
            assert_eq!(copies.len(), 1, "{what}: {copies:?}");
            let (dst, _) = copies[0];
            assert_eq!(offset(copies[0]), dy, "{what}");
            assert!(LIST.contains_rect(dst), "{what}: {dst:?}");
            // All of the list moved but the rows that came in (and a blank row or two at
            // either end, which the viewer has in place already).
            let moved = LIST.height - dy.unsigned_abs();
            assert!(dst.height + 4 >= moved, "{what}: {dst:?}");
            // The copies come first; the pixels after them are only the new lines'.
            assert!(matches!(rects[0].kind, RectEncoding::Copy { .. }), "{what}");
            // Well under what the whole list costs sent again (the copy spares the lines
            // that moved; the new lines and the tiles the band's edges cut remain).
            let whole = scrolled_bytes(encoding, &after);
            assert!(
                bytes(&rects) * 4 < whole * 3,
                "{what}: {} vs {whole}",
                bytes(&rects)
            );
        }
    }
}

/// The bytes `encoding` sends for the list of `after` to a viewer that has nothing: the
/// cost of the scroll sent as pixels, for comparison.
fn scrolled_bytes(encoding: PixelEncoding, after: &Canvas) -> usize {
    let mut encoder = PixelEncoder::new(encoding, after.size());
    bytes(&encoder.encode(after, &[LIST], &[]))
}

#[test]
fn a_scroll_with_a_changed_row_is_still_a_move() {
    let mut fonts = Fonts::new();
    let before = list_screen(&mut fonts, 14);
    let mut after = before.clone();
    scroll_by(&mut fonts, &mut after, LIST, -28, 14);
    // The selection: one line highlighted in the middle of the moved rows.
    let selected = Rect::new(LIST.x, LIST.y + 86, LIST.width, 14);
    after.fill_rect(selected, Color::rgb(47, 111, 214), LIST);
    let pos = Point::new(selected.x + 3, selected.y);
    after.text(
        &mut fonts,
        pos,
        Font::Mono,
        12,
        Color::WHITE,
        "selected",
        LIST,
    );
    for encoding in [PixelEncoding::DeltaLz4, PixelEncoding::Tiles] {
        let (_, copies) = send_unhinted(encoding, &before, &after, &[LIST]);
        assert!(!copies.is_empty() && copies.len() <= 2, "{copies:?}");
        for &copy in &copies {
            assert_eq!(offset(copy), -28, "{copies:?}");
            assert!(copy.0.intersect(selected).is_empty(), "{copies:?}");
        }
        let moved: u32 = copies.iter().map(|(dst, _)| dst.height).sum();
        assert!(moved + 14 + 8 >= LIST.height - 28, "{copies:?}");
    }
}

#[test]
fn blank_lines_do_not_lead_to_a_wrong_offset() {
    let mut fonts = Fonts::new();
    // Lines 40 pixels apart: most rows are blank, and a blank row matches any other.
    let before = list_screen(&mut fonts, 40);
    for dy in [-3, 5, -40, 17] {
        let mut after = before.clone();
        scroll_by(&mut fonts, &mut after, LIST, dy, 40);
        for encoding in [PixelEncoding::DeltaLz4, PixelEncoding::Tiles] {
            let (_, copies) = send_unhinted(encoding, &before, &after, &[LIST]);
            assert!(!copies.is_empty(), "{dy}");
            for &copy in &copies {
                assert_eq!(offset(copy), dy, "{copies:?}");
            }
        }
    }
}

#[test]
fn a_solid_area_is_not_a_move() {
    let mut fonts = Fonts::new();
    let before = list_screen(&mut fonts, 14);
    let bounds = before.bounds();
    // Blank in both, in a new color, and in stripes of two colors: nothing says it moved.
    let mut blank = before.clone();
    blank.fill_rect(LIST, Color::WHITE, bounds);
    let mut stripes = blank.clone();
    for y in (0..LIST.height as i32).step_by(10) {
        let band = Rect::new(LIST.x, LIST.y + y, LIST.width, 5);
        stripes.fill_rect(band, Color::GREEN, bounds);
    }
    let mut shifted = blank.clone();
    for y in (0..LIST.height as i32).step_by(10) {
        let band = Rect::new(LIST.x, LIST.y + y + 3, LIST.width, 5);
        shifted.fill_rect(band, Color::GREEN, LIST);
    }
    let mut red = blank.clone();
    red.fill_rect(LIST, Color::RED, bounds);
    let steps = [(&before, &blank), (&blank, &red), (&blank, &stripes)];
    for (from, to) in steps.into_iter().chain([(&stripes, &shifted)]) {
        for encoding in [PixelEncoding::DeltaLz4, PixelEncoding::Tiles] {
            let (_, copies) = send_unhinted(encoding, from, to, &[LIST, bounds]);
            assert_eq!(copies, vec![]);
        }
    }
}

#[test]
fn only_the_part_that_moved_is_copied() {
    let mut fonts = Fonts::new();
    let before = list_screen(&mut fonts, 14);
    let mut after = before.clone();
    scroll_by(&mut fonts, &mut after, LIST, -14, 14);
    // The damage is the whole window, title bar and all, and the footer changed too.
    let window = Rect::new(LIST.x - 4, LIST.y - 24, LIST.width + 8, LIST.height + 44);
    let footer = Rect::new(LIST.x, LIST.bottom() as i32 + 2, LIST.width, 16);
    after.fill_rect(footer, Color::rgb(43, 48, 59), window);
    let pos = footer.origin();
    after.text(
        &mut fonts,
        pos,
        Font::Sans,
        12,
        Color::WHITE,
        "3 of 40",
        window,
    );
    // And noise somewhere else, which moved nowhere.
    let mut rng = Rng(77);
    let elsewhere = noise(&mut rng, &mut after, Rect::new(360, 10, 40, 280));
    for encoding in [PixelEncoding::DeltaLz4, PixelEncoding::Tiles] {
        let (_, copies) = send_unhinted(encoding, &before, &after, &[window, elsewhere]);
        assert_eq!(copies.len(), 1, "{copies:?}");
        let (dst, _) = copies[0];
        assert_eq!(offset(copies[0]), -14);
        assert_eq!((dst.x, dst.width), (window.x, window.width));
        assert!(dst.y >= LIST.y && dst.bottom() <= LIST.bottom(), "{dst:?}");
    }
}

#[test]
fn a_scroll_of_the_whole_screen_reaches_its_edges() {
    let mut fonts = Fonts::new();
    let mut before = Canvas::new(240, 120, Color::WHITE);
    let bounds = before.bounds();
    text_lines(&mut fonts, &mut before, bounds, 1, 13);
    for dy in [-9, 9, -119, 60] {
        let mut after = before.clone();
        scroll_by(&mut fonts, &mut after, bounds, dy, 13);
        for encoding in [PixelEncoding::DeltaLz4, PixelEncoding::Tiles] {
            let (_, copies) = send_unhinted(encoding, &before, &after, &[bounds]);
            if dy.unsigned_abs() + 8 >= bounds.height {
                assert_eq!(copies, vec![], "{dy}");
                continue;
            }
            assert_eq!(copies.len(), 1, "{dy}: {copies:?}");
            let (dst, src) = copies[0];
            assert_eq!(offset(copies[0]), dy);
            // The rows moved, from and to, reach both edges (but for a blank row or two).
            let top = dst.y.min(src.y);
            let bottom = dst.bottom().max(i64::from(src.y) + i64::from(dst.height));
            assert!(top <= 2 && bottom >= 118, "{dy}: {copies:?}");
        }
    }
}

#[test]
fn random_changes_without_moves_find_none() {
    let mut rng = Rng(99);
    let mut fonts = Fonts::new();
    let mut screen = desktop(&mut rng, &mut fonts, 160, 120);
    for encoding in [PixelEncoding::DeltaLz4, PixelEncoding::Tiles] {
        for _ in 0..30 {
            let before = screen.clone();
            let rect = rng.rect(160, 120);
            let damage = match rng.below(3) {
                0 => noise(&mut rng, &mut screen, rect),
                1 => screen.fill_rect(rect, rng.color(), screen.bounds()),
                _ => {
                    let bounds = screen.bounds();
                    let pos = rect.origin();
                    screen.text(
                        &mut fonts,
                        pos,
                        Font::Sans,
                        14,
                        Color::BLACK,
                        "typed",
                        bounds,
                    )
                }
            };
            let (_, copies) = send_unhinted(encoding, &before, &screen, &[damage]);
            assert_eq!(copies, vec![]);
        }
    }
}

#[test]
fn a_reset_decoder_decodes_as_a_new_one() {
    let mut screen = Canvas::new(64, 48, Color::BLUE);
    screen.fill_rect(Rect::new(5, 7, 30, 20), Color::WHITE, screen.bounds());
    let black = Canvas::new(64, 48, Color::BLACK);
    let mut decoder = PixelDecoder::new(Size::new(32, 32));
    for _ in 0..2 {
        for encoding in PixelEncoding::ALL {
            let mut encoder = PixelEncoder::new(encoding, screen.size());
            let rects = encoder.encode(&screen, &[screen.bounds()], &[]);
            decoder.reset(screen.size());
            assert_eq!(decoder.canvas(), &black, "{}", encoding.name());
            decoder.apply(screen.size(), &rects).expect("decodes");
            assert_eq!(decoder.canvas(), &screen, "{}", encoding.name());
        }
        // After a reset, as for a new decoder, px-tiles needs a rectangle that starts its
        // stream: the one it had is forgotten.
        decoder.reset(screen.size());
        let rect = EncodedRect {
            rect: Rect::new(0, 0, 16, 16),
            kind: RectEncoding::Tiles {
                reset: false,
                coded: 0,
            },
            data: vec![0; 4],
        };
        assert!(matches!(
            decoder.apply(screen.size(), &[rect]),
            Err(PixelError::TileContext { .. })
        ));
    }
}

#[test]
fn an_update_within_a_budget_sends_the_answer_first_and_the_rest_in_turn() {
    for encoding in [
        PixelEncoding::DamageLz4,
        PixelEncoding::DeltaLz4,
        PixelEncoding::Tiles,
    ] {
        let mut rng = Rng(7);
        let mut fonts = Fonts::new();
        let mut screen = desktop(&mut rng, &mut fonts, 320, 240);
        let mut encoder = PixelEncoder::new(encoding, screen.size());
        let mut decoder = PixelDecoder::new(screen.size());
        let first = encoder.encode(&screen, &[screen.bounds()], &[]);
        decoder.apply(screen.size(), &first).unwrap();
        // An animation that does not fit (noise over most of the screen), and an answer
        // (a small change low on the screen).
        let animation = noise(&mut rng, &mut screen, Rect::new(0, 0, 320, 160));
        let answer = screen.fill_rect(Rect::new(40, 200, 30, 10), Color::WHITE, screen.bounds());
        let mut budget = Budget {
            bytes: 0,
            first: vec![answer],
            from: Point::new(0, 0),
        };
        let (rects, rest) = encoder.encode_within(&screen, &[animation, answer], &[], &budget);
        // The cells are 64 pixels square, or strips across the screen where moves do not go
        // as copies. Alone: only the answer's cells went, and the animation's wait.
        let side = if encoding == PixelEncoding::DamageLz4 {
            320
        } else {
            64
        };
        let columns = 320 / side;
        let cells = Rect::new(0, 192, 128, 48);
        assert!(
            rects.iter().all(|r| cells.contains_rect(r.rect)),
            "{encoding:?}"
        );
        assert_eq!(rest.len(), 3 * columns as usize, "{encoding:?}: {rest:?}");
        assert!(rest.iter().all(|r| r.intersect(answer).is_empty()));
        decoder.apply(screen.size(), &rects).unwrap();
        assert_eq!(
            decoder.canvas().pixels()[200 * 320 + 40],
            screen.pixels()[200 * 320 + 40]
        );
        // The rest go a cell at a time, from the cell where the last update stopped, row by
        // row round the screen; no cell goes twice.
        budget.first.clear();
        budget.from = Point::new(130, 64);
        let mut rest = rest;
        let mut order = Vec::new();
        while !rest.is_empty() {
            let (rects, more) = encoder.encode_within(&screen, &rest, &[], &budget);
            let sent = rects.iter().fold(Rect::default(), |a, r| a.union(r.rect));
            order.push((sent.y / 64, sent.x / side));
            assert_eq!(more.len() + 1, rest.len(), "{encoding:?}");
            decoder.apply(screen.size(), &rects).unwrap();
            rest = more;
            budget.from = rest
                .first()
                .map_or(Point::default(), |r| Point::new(r.x, r.y));
        }
        let rows = [1, 2, 0].map(|row| (0..columns).map(move |column| (row, column)));
        let mut expected: Vec<_> = rows.into_iter().flatten().collect();
        expected.rotate_left((130 / side) as usize);
        assert_eq!(order, expected, "{encoding:?}");
        assert_eq!(decoder.canvas(), &screen, "{encoding:?}");
    }
}

#[test]
fn a_first_update_and_an_update_that_fits_go_whole() {
    let mut rng = Rng(8);
    let mut screen = Canvas::new(200, 200, Color::BLACK);
    let mut encoder = PixelEncoder::new(PixelEncoding::Tiles, screen.size());
    let none = Budget::default();
    let (_, rest) = encoder.encode_within(&screen, &[screen.bounds()], &[], &none);
    assert!(rest.is_empty());
    let changed = noise(&mut rng, &mut screen, Rect::new(0, 0, 10, 150));
    let fits = Budget {
        bytes: 10 * 150 * 4,
        ..Budget::default()
    };
    let (_, rest) = encoder.encode_within(&screen, &[changed], &[], &fits);
    assert!(rest.is_empty());
}
