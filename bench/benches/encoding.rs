//! Pixel-encoding throughput on typical desktop content at 1280x800, in damaged pixels per
//! second (criterion's "elem/s"), for three changes: text typed into a notepad (small
//! rectangles), a 500x400 text area scrolled by 20 pixels (with its copy hint), and the whole
//! screen replaced (an image viewer's next slide). Each iteration encodes the change and its
//! reverse, so the encoder always has a real change to send (for `px-tiles` the reverse is
//! then in its cache of tiles, except for the whole screen, which is more than the cache holds).
//! Also decoding for `px-delta-lz4` and `px-tiles`, and encoding for the lossy
//! `px-tiles-jpeg` at quality 75, whose bytes and PSNR at three qualities are printed too.
//! The bytes each encoding sends per update are printed once before the measurements.
#![allow(missing_docs)] // criterion's macros generate undocumented items.

use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use netui_protocol::{Color, Font, PixelEncoding, Point, Rect};
use netui_scene::encoding::{bytes, PixelDecoder, PixelEncoder};
use netui_scene::render::{psnr, Canvas, Fonts};

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 800;

/// The notepad's text area, which is typed into and scrolled.
const NOTEPAD: Rect = Rect::new(70, 90, 500, 400);

/// A screen before and after a change, the damage, and the copy hints both ways.
struct Change {
    name: &'static str,
    before: Canvas,
    after: Canvas,
    damage: Vec<Rect>,
    forward: Vec<(Rect, Point)>,
    backward: Vec<(Rect, Point)>,
}

impl Change {
    /// Damaged pixels per iteration (the change and its reverse).
    fn pixels(&self) -> u64 {
        2 * self.damage.iter().map(|r| r.size().area()).sum::<u64>()
    }
}

/// A window: frame, title bar with its title, white client area.
fn window(screen: &mut Canvas, fonts: &mut Fonts, rect: Rect, title: &str) -> Rect {
    let clip = screen.bounds();
    screen.fill_rect(rect, Color::rgb(200, 200, 205), clip);
    screen.stroke_rect(rect, 1, Color::rgb(60, 60, 70), clip);
    let bar = Rect::new(rect.x + 1, rect.y + 1, rect.width - 2, 22);
    screen.fill_rect(bar, Color::rgb(50, 90, 160), clip);
    let pos = Point::new(bar.x + 8, bar.y + 4);
    screen.text(fonts, pos, Font::Sans, 13, Color::WHITE, title, bar);
    let client = Rect::new(rect.x + 4, rect.y + 26, rect.width - 8, rect.height - 30);
    screen.fill_rect(client, Color::WHITE, clip);
    client
}

/// Lines of text in `area`, `height` pixels apart.
fn lines(screen: &mut Canvas, fonts: &mut Fonts, area: Rect, font: Font, first: u32) {
    let metrics = fonts.line_metrics(font, 13);
    let mut y = area.y;
    let mut n = first;
    while i64::from(y) < area.bottom() {
        let text = format!("{n:4}  fn encode(&mut self, screen: &Canvas) -> Vec<EncodedRect> {{");
        screen.text(
            fonts,
            Point::new(area.x + 4, y),
            font,
            13,
            Color::BLACK,
            &text,
            area,
        );
        y += metrics.line_height;
        n += 1;
    }
}

/// A desktop: a gradient wallpaper, a notepad, a browser-like window with a banner and
/// paragraphs, a terminal.
fn desktop(fonts: &mut Fonts) -> Canvas {
    let mut screen = Canvas::new(WIDTH, HEIGHT, Color::BLACK);
    for y in 0..HEIGHT {
        let row = Rect::new(0, y as i32, WIDTH, 1);
        let c = (y * 120 / HEIGHT) as u8;
        screen.fill_rect(row, Color::rgb(20, 40 + c / 2, 80 + c), row);
    }
    let notepad = window(&mut screen, fonts, Rect::new(62, 60, 520, 440), "notes.txt");
    lines(&mut screen, fonts, notepad, Font::Mono, 1);

    let browser = window(
        &mut screen,
        fonts,
        Rect::new(620, 40, 620, 560),
        "netui — docs",
    );
    let banner = Rect::new(browser.x, browser.y, browser.width, 80);
    for x in 0..banner.width {
        let column = Rect::new(banner.x + x as i32, banner.y, 1, banner.height);
        let c = (x * 255 / banner.width) as u8;
        screen.fill_rect(column, Color::rgb(c, 100, 255 - c), column);
    }
    let text = Rect::new(browser.x + 10, browser.y + 90, browser.width - 20, 460);
    lines(&mut screen, fonts, text, Font::Sans, 100);

    let terminal = Rect::new(200, 520, 700, 260);
    let term = window(&mut screen, fonts, terminal, "terminal");
    screen.fill_rect(term, Color::rgb(20, 20, 20), term);
    for (i, line) in ["$ cargo bench", "   Compiling netui", "    Finished"]
        .iter()
        .enumerate()
    {
        let pos = Point::new(term.x + 4, term.y + 4 + 16 * i as i32);
        screen.text(
            fonts,
            pos,
            Font::Mono,
            13,
            Color::rgb(180, 255, 180),
            line,
            term,
        );
    }
    screen
}

/// (a) A word typed into the notepad, one damage rectangle per character, and the cursor.
fn typing(fonts: &mut Fonts, before: &Canvas) -> Change {
    let mut after = before.clone();
    let clip = after.bounds();
    let mut pen = Point::new(NOTEPAD.x + 4, NOTEPAD.y + 400 - 40);
    let blank = Rect::new(pen.x, pen.y, 200, 16);
    let mut damage = vec![after.fill_rect(blank, Color::WHITE, clip)];
    for c in "netui rocks".chars() {
        let drawn = after.text(
            fonts,
            pen,
            Font::Mono,
            13,
            Color::BLACK,
            &c.to_string(),
            clip,
        );
        damage.push(drawn);
        pen.x += fonts.text_width(Font::Mono, 13, &c.to_string()) as i32;
    }
    damage.push(after.fill_rect(Rect::new(pen.x + 1, pen.y, 1, 15), Color::BLACK, clip));
    damage.retain(|r| !r.is_empty());
    Change {
        name: "typing",
        before: before.clone(),
        after,
        damage,
        forward: Vec::new(),
        backward: Vec::new(),
    }
}

/// (b) The notepad's 500x400 text area scrolled up by 20 pixels, a new line at the bottom.
fn scroll(fonts: &mut Fonts, before: &Canvas) -> Change {
    let mut after = before.clone();
    let clip = after.bounds();
    let kept = Rect::new(
        NOTEPAD.x,
        NOTEPAD.y + 20,
        NOTEPAD.width,
        NOTEPAD.height - 20,
    );
    let dst = after.copy_within(kept, NOTEPAD.origin(), clip);
    let fresh = Rect::new(NOTEPAD.x, NOTEPAD.y + 380, NOTEPAD.width, 20);
    after.fill_rect(fresh, Color::WHITE, clip);
    lines(&mut after, fonts, fresh, Font::Mono, 999);
    // Back: rows 0..380 of the area move down by 20.
    let back = Rect::new(
        NOTEPAD.x,
        NOTEPAD.y + 20,
        NOTEPAD.width,
        NOTEPAD.height - 20,
    );
    Change {
        name: "scroll 500x400 by 20",
        before: before.clone(),
        after,
        damage: vec![NOTEPAD],
        forward: vec![(dst, kept.origin())],
        backward: vec![(back, NOTEPAD.origin())],
    }
}

/// (c) The whole screen replaced by an image viewer showing a picture: smooth colors, shapes,
/// a caption.
fn slide(fonts: &mut Fonts, before: &Canvas) -> Change {
    let mut after = Canvas::new(WIDTH, HEIGHT, Color::rgb(24, 24, 24));
    let picture = Rect::new(140, 50, 1000, 680);
    for y in 0..picture.height {
        let row = Rect::new(picture.x, picture.y + y as i32, picture.width, 1);
        for x in (0..picture.width).step_by(4) {
            let r = (x * 255 / picture.width) as u8;
            let b = (y * 255 / picture.height) as u8;
            let px = Rect::new(picture.x + x as i32, row.y, 4, 1);
            after.fill_rect(px, Color::rgb(r, 120, b), row);
        }
    }
    let clip = after.bounds();
    after.ellipse(
        Rect::new(400, 200, 300, 300),
        None,
        Color::rgba(255, 220, 80, 200),
        clip,
    );
    after.ellipse(
        Rect::new(700, 350, 250, 150),
        None,
        Color::rgba(40, 160, 60, 180),
        clip,
    );
    let caption = "IMG_2024.jpg — 12 of 40";
    after.text(
        fonts,
        Point::new(560, 750),
        Font::Sans,
        16,
        Color::WHITE,
        caption,
        clip,
    );
    Change {
        name: "whole screen",
        before: before.clone(),
        after,
        damage: vec![Rect::new(0, 0, WIDTH, HEIGHT)],
        forward: Vec::new(),
        backward: Vec::new(),
    }
}

fn changes() -> Vec<Change> {
    let mut fonts = Fonts::new();
    let screen = desktop(&mut fonts);
    vec![
        typing(&mut fonts, &screen),
        scroll(&mut fonts, &screen),
        slide(&mut fonts, &screen),
    ]
}

/// An encoder whose viewer has `change.before`.
fn encoder(encoding: PixelEncoding, change: &Change) -> PixelEncoder {
    let mut encoder = PixelEncoder::new(encoding, change.before.size());
    encoder.encode(&change.before, &[change.before.bounds()], &[]);
    encoder
}

fn encode(c: &mut Criterion) {
    let changes = changes();
    for change in &changes {
        for encoding in PixelEncoding::ALL {
            let mut encoder = encoder(encoding, change);
            let sent = encoder.encode(&change.after, &change.damage, &change.forward);
            eprintln!(
                "{:22} {:14} {:8} bytes in {:3} rects for {} damaged pixels",
                change.name,
                encoding.name(),
                bytes(&sent),
                sent.len(),
                change.pixels() / 2,
            );
        }
    }
    // The lossy encoding: its bytes and how close the viewer's screen comes (PSNR).
    for change in &changes {
        for quality in [50, 75, 90] {
            let encoding = PixelEncoding::TilesJpeg { quality };
            let mut encoder = PixelEncoder::new(encoding, change.before.size());
            let mut decoder = PixelDecoder::new(change.before.size());
            let whole = encoder.encode(&change.before, &[change.before.bounds()], &[]);
            decoder
                .apply(change.before.size(), &whole)
                .expect("decodes");
            let sent = encoder.encode(&change.after, &change.damage, &change.forward);
            decoder.apply(change.after.size(), &sent).expect("decodes");
            let psnr = psnr(decoder.canvas().pixels(), change.after.pixels());
            eprintln!(
                "{:22} {:14} {:8} bytes in {:3} rects, PSNR {psnr:.1} dB (quality {quality})",
                change.name,
                encoding.name(),
                bytes(&sent),
                sent.len(),
            );
        }
    }
    for change in &changes {
        let mut group = c.benchmark_group(format!("encode {}", change.name));
        group.throughput(Throughput::Elements(change.pixels()));
        let lossy = PixelEncoding::TilesJpeg { quality: 75 };
        for encoding in PixelEncoding::ALL.into_iter().chain([lossy]) {
            let mut encoder = encoder(encoding, change);
            group.bench_function(encoding.name(), |b| {
                b.iter(|| {
                    black_box(encoder.encode(&change.after, &change.damage, &change.forward));
                    black_box(encoder.encode(&change.before, &change.damage, &change.backward));
                })
            });
        }
        group.finish();
    }
}

fn decode(c: &mut Criterion) {
    for encoding in [PixelEncoding::DeltaLz4, PixelEncoding::Tiles] {
        let mut group = c.benchmark_group(format!("decode {}", encoding.name()));
        for change in &changes() {
            let size = change.before.size();
            let mut encoder = PixelEncoder::new(encoding, size);
            let mut decoder = PixelDecoder::new(size);
            let whole = encoder.encode(&change.before, &[change.before.bounds()], &[]);
            decoder
                .apply(size, &whole)
                .expect("the encoder's output decodes");
            group.throughput(Throughput::Elements(change.pixels()));
            group.bench_function(change.name, |b| {
                // px-tiles' stream and cache go on from update to update, so each iteration
                // decodes updates encoded for it (outside the timing).
                b.iter_custom(|iters| {
                    let mut spent = Duration::ZERO;
                    for _ in 0..iters {
                        let forward =
                            encoder.encode(&change.after, &change.damage, &change.forward);
                        let backward =
                            encoder.encode(&change.before, &change.damage, &change.backward);
                        let started = Instant::now();
                        black_box(decoder.apply(size, &forward).expect("decodes"));
                        black_box(decoder.apply(size, &backward).expect("decodes"));
                        spent += started.elapsed();
                    }
                    spent
                })
            });
            assert!(decoder.canvas() == &change.before);
        }
        group.finish();
    }
}

criterion_group!(benches, encode, decode);
criterion_main!(benches);
