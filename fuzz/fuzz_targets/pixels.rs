//! Every pixel encoding, end to end: a screen that the input paints (fills, noise, gradients,
//! scrolls with and without a hint, drawing with a right, a wrong or no hint, resizes) is encoded by the server's encoder and decoded
//! by a viewer's decoder, update after update, so that the decoders' state (the viewer's
//! screen, px-tiles' stream and tile cache) goes deep. Encoded rectangles may then be spoiled
//! (bytes XORed, cut, rectangles moved, kinds swapped) before the viewer gets them. Nothing
//! may panic; unspoiled, the viewer's screen must equal the server's (lossless encodings).
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use netui_protocol::{
    Color, Drawing, Font, PixelEncoding, Point, Rect, RectEncoding, Request, ResourceId, Segment,
    Size,
};
use netui_scene::encoding::{Hint, PixelDecoder, PixelEncoder};
use netui_scene::render::{Canvas, Fonts};

#[derive(Arbitrary, Debug)]
struct Input {
    /// An index into the encodings (`PixelEncoding::ALL`, then px-tiles-jpeg).
    encoding: u8,
    width: u8,
    height: u8,
    steps: Vec<Step>,
}

#[derive(Arbitrary, Debug)]
enum Step {
    Fill {
        x: u8,
        y: u8,
        w: u8,
        h: u8,
        rgb: u32,
    },
    /// Pixels from a little generator: photographic-looking when `smooth`, noise otherwise.
    Paint {
        x: u8,
        y: u8,
        w: u8,
        h: u8,
        seed: u32,
        smooth: bool,
    },
    /// Moves an area (a scroll), told to the encoder as a copy hint or not.
    Move {
        x: u8,
        y: u8,
        w: u8,
        h: u8,
        dx: i8,
        dy: i8,
        hint: bool,
    },
    /// Draws one of the drawing requests within a clip, told to the encoder as a drawing
    /// hint (`hint % 3`: 0 none, 1 the drawing, 2 a wrong one, in another color) or not.
    Draw {
        kind: u8,
        x: i8,
        y: i8,
        w: u8,
        h: u8,
        rgb: u32,
        width: u8,
        clip: (u8, u8, u8, u8),
        hint: u8,
    },
    Resize {
        width: u8,
        height: u8,
    },
    /// Encodes what changed since the last update, and decodes it.
    Update {
        spoil: Vec<Spoil>,
    },
    /// The viewer starts over (a new viewer, a mode switch): the encoder forgets its shadow.
    Reset,
}

#[derive(Arbitrary, Debug)]
enum Spoil {
    Xor { rect: u8, at: u16, mask: u8 },
    Cut { rect: u8, len: u16 },
    Move { rect: u8, dx: i16, dy: i16 },
    Kind { rect: u8, kind: u8 },
    Drop { rect: u8 },
}

fn rect(x: u8, y: u8, w: u8, h: u8) -> Rect {
    Rect::new(i32::from(x), i32::from(y), u32::from(w), u32::from(h))
}

fn spoil(rects: &mut Vec<netui_protocol::EncodedRect>, how: &Spoil) {
    let n = rects.len();
    if n == 0 {
        return;
    }
    let pick = |i: u8| usize::from(i) % n;
    match *how {
        Spoil::Xor { rect, at, mask } => {
            let data = &mut rects[pick(rect)].data;
            let len = data.len();
            if let Some(b) = data.get_mut(usize::from(at) % len.max(1)) {
                *b ^= mask.max(1);
            }
        }
        Spoil::Cut { rect, len } => rects[pick(rect)].data.truncate(usize::from(len)),
        Spoil::Move { rect, dx, dy } => {
            let r = &mut rects[pick(rect)].rect;
            r.x = r.x.saturating_add(i32::from(dx));
            r.y = r.y.saturating_add(i32::from(dy));
        }
        Spoil::Kind { rect, kind } => {
            rects[pick(rect)].kind = match kind % 7 {
                0 => RectEncoding::Raw,
                1 => RectEncoding::Lz4,
                2 => RectEncoding::DeltaLz4,
                3 => RectEncoding::Copy {
                    src: Point::new(i32::from(kind), 3),
                },
                // A coded section of another length (or where there is none).
                4 => RectEncoding::Tiles {
                    reset: false,
                    coded: u32::from(kind / 7),
                },
                5 => RectEncoding::Draw,
                _ => RectEncoding::Tiles {
                    reset: true,
                    coded: 0,
                },
            }
        }
        Spoil::Drop { rect } => {
            rects.remove(pick(rect));
        }
    }
}

/// Drawing request number `kind` (modulo six) in `color`, from the input's numbers.
fn drawing(kind: u8, area: Rect, color: Color, width: u8) -> Request {
    let target = ResourceId::ROOT;
    let (a, b) = (
        area.origin(),
        Point::new(area.right() as i32, area.bottom() as i32),
    );
    let width = u16::from(width % 12);
    match kind % 6 {
        0 => Request::FillRects {
            target,
            color,
            rects: vec![area],
        },
        1 => Request::StrokeRects {
            target,
            color,
            width,
            rects: vec![area],
        },
        2 => Request::Lines {
            target,
            color,
            width,
            points: vec![a, b, Point::new(a.x, b.y)],
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
            rect: area,
            outline: Some(width).filter(|w| *w > 0),
        },
        _ => Request::Text {
            target,
            pos: a,
            font: Font::Sans,
            size: 6 + width * 2,
            color,
            text: "Ag".into(),
        },
    }
}

fuzz_target!(|input: Input| {
    let encodings = [
        PixelEncoding::Raw,
        PixelEncoding::Damage,
        PixelEncoding::DamageLz4,
        PixelEncoding::DeltaLz4,
        PixelEncoding::Tiles,
        PixelEncoding::TilesJpeg { quality: 60 },
    ];
    let encoding = encodings[usize::from(input.encoding) % encodings.len()];
    let screen = Canvas::new(
        u32::from(input.width % MOST_WIDTH) + 1,
        u32::from(input.height % MOST_HEIGHT) + 1,
        Color::BLACK,
    );
    STATE.with_borrow_mut(|(encoder, decoder)| {
        encoder.set_encoding(encoding);
        encoder.reset(screen.size());
        decoder.reset(screen.size());
        run(&input, encoding, screen, encoder, decoder);
    });
});

/// The largest screen, 4 by 3 tiles of 16 pixels: every kind of tile (whole, cut at the
/// right, the bottom or both, among others on every side) with few pixels, which cost time
/// under the fuzzer's instrumentation of every comparison.
const MOST_WIDTH: u8 = 64;
const MOST_HEIGHT: u8 = 48;

thread_local! {
    /// The encoder and the decoder, made once: px-tiles' Zstandard contexts hold windows of
    /// megabytes. Each input starts them over (`reset`), as a new viewer would.
    static STATE: RefCell<(PixelEncoder, PixelDecoder)> = RefCell::new((
        PixelEncoder::new(PixelEncoding::Raw, Size::new(1, 1)),
        PixelDecoder::new(Size::new(1, 1)),
    ));
}

fn run(
    input: &Input,
    encoding: PixelEncoding,
    mut screen: Canvas,
    encoder: &mut PixelEncoder,
    decoder: &mut PixelDecoder,
) {
    let lossy = matches!(encoding, PixelEncoding::TilesJpeg { .. });
    // The first update is the whole screen, as a new viewer gets it.
    let mut damage = vec![screen.bounds()];
    let mut hints: Vec<Hint> = Vec::new();
    let mut fonts = Fonts::new();
    // Whether the viewer's copy may differ from the server's (a spoiled update was applied).
    let mut diverged = false;
    for step in input.steps.iter().take(32) {
        let bounds = screen.bounds();
        match *step {
            Step::Fill { x, y, w, h, rgb } => {
                let [_, r, g, b] = rgb.to_be_bytes();
                damage.push(screen.fill_rect(rect(x, y, w, h), Color::rgb(r, g, b), bounds));
            }
            Step::Paint {
                x,
                y,
                w,
                h,
                seed,
                smooth,
            } => {
                let area = rect(x, y, w, h).intersect(bounds);
                let width = screen.width() as usize;
                let pixels = screen.pixels_mut();
                let mut state = seed | 1;
                for py in area.y..area.bottom() as i32 {
                    for px in area.x..area.right() as i32 {
                        state ^= state << 13;
                        state ^= state >> 17;
                        state ^= state << 5;
                        let value = if smooth {
                            let (fx, fy) = (px as u32, py as u32);
                            (fx * 3 + (seed & 0xff)) << 16 | (fy * 2) << 8 | (fx + fy + (state & 7))
                        } else {
                            state
                        };
                        pixels[py as usize * width + px as usize] = value & 0x00ff_ffff;
                    }
                }
                damage.push(area);
            }
            Step::Move {
                x,
                y,
                w,
                h,
                dx,
                dy,
                hint,
            } => {
                let src = rect(x, y, w, h).intersect(bounds);
                let to = Point::new(src.x + i32::from(dx), src.y + i32::from(dy));
                let dst = Rect::new(to.x, to.y, src.width, src.height).intersect(bounds);
                if dst.is_empty() {
                    continue;
                }
                let from = Point::new(dst.x - i32::from(dx), dst.y - i32::from(dy));
                screen.copy_within(
                    Rect::new(from.x, from.y, dst.width, dst.height),
                    dst.origin(),
                    bounds,
                );
                if hint {
                    hints.push(Hint::Copy(dst, from));
                }
                damage.push(dst);
            }
            Step::Draw {
                kind,
                x,
                y,
                w,
                h,
                rgb,
                width,
                clip: (cx, cy, cw, ch),
                hint,
            } => {
                let [_, r, g, b] = rgb.to_be_bytes();
                let area = Rect::new(i32::from(x), i32::from(y), u32::from(w), u32::from(h));
                let request = drawing(kind, area, Color::rgb(r, g, b), width);
                let clip = rect(cx, cy, cw, ch);
                damage.extend(screen.draw(&mut fonts, &request, clip.intersect(bounds)));
                let request = match hint % 3 {
                    0 => continue,
                    1 => request,
                    _ => drawing(kind, area, Color::rgb(g, b, r), width),
                };
                let clips = vec![clip];
                hints.push(Hint::Draw(Drawing { clips, request }));
            }
            Step::Resize { width, height } => {
                screen.resize(
                    u32::from(width % MOST_WIDTH) + 1,
                    u32::from(height % MOST_HEIGHT) + 1,
                    Color::BLACK,
                );
                damage.push(screen.bounds());
                hints.clear();
            }
            Step::Reset => {
                encoder.reset(screen.size());
                damage = vec![screen.bounds()];
                hints.clear();
                diverged = false;
                // The viewer's copy starts over too.
                decoder.reset(screen.size());
            }
            Step::Update { spoil: ref how } => {
                let mut rects = encoder.encode(&screen, &damage, &hints);
                damage.clear();
                hints.clear();
                for s in how.iter().take(4) {
                    spoil(&mut rects, s);
                    diverged = true;
                }
                let applied = decoder.apply(screen.size(), &rects);
                if !diverged {
                    if let Err(e) = applied {
                        panic!(
                            "{}: an unspoiled update does not decode: {e}",
                            encoding.name()
                        );
                    }
                    if !lossy {
                        assert!(
                            decoder.canvas() == &screen,
                            "{}: the viewer's screen differs from the server's",
                            encoding.name()
                        );
                    }
                }
            }
        }
    }
}
