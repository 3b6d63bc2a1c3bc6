//! Renderer throughput on a 1280x800 canvas, shaped after the x11perf tests the server is
//! compared with: -rect10, -rect100, -rect500, -seg10, -seg100 (x11perf's own segments),
//! -ftext, -putimage100, -copywinwin100, and -line10 (a polyline of ten-pixel lines).
#![allow(missing_docs)] // criterion's macros generate undocumented items.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use netui_bench::x11perf;
use netui_protocol::{Color, Font, ImageFormat, Point, Rect, Segment};
use netui_scene::render::{Canvas, Fonts};

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 800;

fn canvas() -> Canvas {
    Canvas::new(WIDTH, HEIGHT, Color::rgb(40, 40, 40))
}

/// Positions that walk over the canvas, so each call touches fresh memory as x11perf does.
fn spot(i: u32, size: u32) -> Point {
    let x = (i * 37) % (WIDTH - size);
    let y = (i * 23) % (HEIGHT - size);
    Point::new(x as i32, y as i32)
}

fn fills(c: &mut Criterion) {
    let mut group = c.benchmark_group("fill_rect");
    for (size, alpha) in [
        (10, 255),
        (40, 255),
        (64, 255),
        (100, 255),
        (200, 255),
        (500, 255),
        (10, 128),
        (500, 128),
    ] {
        let mut canvas = canvas();
        let clip = canvas.bounds();
        let color = Color::rgba(200, 100, 50, alpha);
        let mut i = 0;
        group.throughput(Throughput::Elements(1));
        group.bench_function(format!("{size}x{size} alpha {alpha}"), |b| {
            b.iter(|| {
                i = (i + 1) % 10_000;
                let p = spot(i, size);
                black_box(canvas.fill_rect(Rect::new(p.x, p.y, size, size), color, clip))
            })
        });
    }
    group.finish();
}

fn lines(c: &mut Criterion) {
    let mut group = c.benchmark_group("line");
    for (name, width) in [("10px thin", 0), ("10px width 5", 5)] {
        let mut canvas = canvas();
        let clip = canvas.bounds();
        let mut i = 0;
        group.throughput(Throughput::Elements(1));
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % 10_000;
                let a = spot(i, 20);
                // Ten pixels along the major axis, in the eight directions in turn.
                let (dx, dy) = [
                    (9, 3),
                    (3, 9),
                    (-3, 9),
                    (-9, 3),
                    (-9, -3),
                    (-3, -9),
                    (3, -9),
                    (9, -3),
                ][i as usize % 8];
                let a = Point::new(a.x + 10, a.y + 10);
                let b2 = Point::new(a.x + dx, a.y + dy);
                black_box(canvas.line(a, b2, width, Color::WHITE, clip))
            })
        });
    }
    group.finish();
}

/// x11perf's rectangles in a batch of 4,096, as app-lib merges its calls into one request of
/// `FillRects`.
fn rectangles(c: &mut Criterion) {
    let mut group = c.benchmark_group("rectangles");
    for size in [1, 10] {
        let mut canvas = canvas();
        let clip = canvas.bounds();
        let rects = x11perf::rectangles(size, 4096);
        group.throughput(Throughput::Elements(rects.len() as u64));
        group.bench_function(format!("4096 of {size}x{size}"), |b| {
            b.iter(|| black_box(canvas.fill_rects(&rects, Color::WHITE, clip)))
        });
    }
    group.finish();
}

/// A one-pixel polyline through the ends of x11perf's ten-pixel segments, each to the next,
/// and x11perf's -line10 (one `XDrawLines` of many short lines).
fn polylines(c: &mut Criterion) {
    let mut group = c.benchmark_group("polyline");
    let mut canvas = canvas();
    let clip = canvas.bounds();
    let points: Vec<Point> = x11perf::segments(10, 1000)
        .iter()
        .flat_map(|s| [s.a, s.b])
        .collect();
    group.throughput(Throughput::Elements(points.len() as u64 - 1));
    group.bench_function("2000 points thin", |b| {
        b.iter(|| black_box(canvas.polyline(&points, 0, Color::WHITE, clip)))
    });
    // x11perf's own -line10: 1,000 lines of ten pixels at every slope, zigzagging.
    let line10 = x11perf::lines(10, 1000);
    group.throughput(Throughput::Elements(line10.len() as u64 - 1));
    group.bench_function("line10", |b| {
        b.iter(|| black_box(canvas.polyline(&line10, 0, Color::WHITE, clip)))
    });
    group.finish();
}

fn segments(c: &mut Criterion) {
    let mut group = c.benchmark_group("segments");
    for size in [10, 100, 500] {
        let mut canvas = canvas();
        let clip = canvas.bounds();
        let segments = x11perf::segments(size, 1000);
        group.throughput(Throughput::Elements(segments.len() as u64));
        group.bench_function(format!("1000 of {size}px thin"), |b| {
            b.iter(|| black_box(canvas.segments(&segments, 0, Color::WHITE, clip)))
        });
        if size == 10 {
            // The floor under the walk: the same pixels stored from a list of their indices,
            // with no walk at all (each one's bounds checked, as the walk checks them).
            let lit = lit_indices(&segments);
            let mut pixels = vec![0u32; (WIDTH * HEIGHT) as usize];
            group.bench_function("1000 of 10px thin, the stores alone", |b| {
                b.iter(|| {
                    for &i in &lit {
                        if let Some(p) = pixels.get_mut(i as usize) {
                            *p = 0x00ff_ffff;
                        }
                    }
                    black_box(&mut pixels);
                })
            });
        }
        group.bench_function(format!("1000 of {size}px thin, cost"), |b| {
            b.iter(|| black_box(canvas.segments_cost(&segments, 0, clip)))
        });
    }
    group.finish();
}

/// The indices of the pixels that `Canvas::segments` lights for each of `segments`, in
/// order, found by drawing each alone in white on black and taking it off again.
fn lit_indices(segments: &[Segment]) -> Vec<u32> {
    let mut canvas = Canvas::new(WIDTH, HEIGHT, Color::BLACK);
    let clip = canvas.bounds();
    let mut lit = Vec::new();
    for s in segments {
        let drawn = canvas.segments(std::slice::from_ref(s), 0, Color::WHITE, clip);
        for y in drawn.y..drawn.y + drawn.height as i32 {
            for x in drawn.x..drawn.x + drawn.width as i32 {
                if canvas.pixel(x, y) == Some(0x00ff_ffff) {
                    lit.push(y as u32 * WIDTH + x as u32);
                }
            }
        }
        canvas.segments(std::slice::from_ref(s), 0, Color::BLACK, clip);
    }
    lit
}

fn text(c: &mut Criterion) {
    let mut canvas = canvas();
    let clip = canvas.bounds();
    let mut fonts = Fonts::new();
    let line: String =
        "The quick brown fox jumps over the lazy dog. 0123456789 ABCDEFGHIJKLMNOPQRSTUVW"
            .chars()
            .take(80)
            .collect();
    let mut i: u32 = 0;
    let mut group = c.benchmark_group("text");
    group.throughput(Throughput::Elements(line.chars().count() as u64));
    group.bench_function("80 chars 12px", |b| {
        b.iter(|| {
            i = (i + 1) % 10_000;
            let pos = Point::new(((i * 7) % 600) as i32, ((i * 16) % 780) as i32);
            black_box(canvas.text(&mut fonts, pos, Font::Sans, 12, Color::WHITE, &line, clip))
        })
    });
    group.finish();
}

fn images(c: &mut Criterion) {
    let mut group = c.benchmark_group("put_image");
    for format in [ImageFormat::Rgb8, ImageFormat::Rgba8] {
        let mut canvas = canvas();
        let clip = canvas.bounds();
        let bpp = format.bytes_per_pixel();
        let data: Vec<u8> = (0..100 * 100 * bpp).map(|i| (i * 31 % 251) as u8).collect();
        let mut i = 0;
        group.throughput(Throughput::Elements(1));
        group.bench_function(format!("100x100 {format:?}"), |b| {
            b.iter(|| {
                i = (i + 1) % 10_000;
                let p = spot(i, 100);
                black_box(canvas.put_image(Rect::new(p.x, p.y, 100, 100), format, &data, clip))
            })
        });
    }
    group.finish();
}

/// A canvas of pixels that each differ from their neighbours, to copy from.
fn canvas_with_noise() -> Canvas {
    let mut c = canvas();
    for (i, p) in c.pixels_mut().iter_mut().enumerate() {
        *p = (i as u32).wrapping_mul(2_654_435_761) >> 8;
    }
    c
}

fn copies(c: &mut Criterion) {
    let mut canvas = canvas();
    let clip = canvas.bounds();
    let mut i = 0;
    let mut group = c.benchmark_group("copy_within");
    group.throughput(Throughput::Elements(1));
    group.bench_function("100x100", |b| {
        b.iter(|| {
            i = (i + 1) % 10_000;
            let from = spot(i, 100);
            let to = spot(i + 5, 100);
            black_box(canvas.copy_within(Rect::new(from.x, from.y, 100, 100), to, clip))
        })
    });
    group.finish();

    // A copy from another canvas (a pixmap to a window), on the caller's thread and in a
    // pool of two as the server's core draws (where a large copy is shared out).
    let pool = rayon_core::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("a pool of two threads");
    let mut group = c.benchmark_group("copy_from");
    group.throughput(Throughput::Elements(1));
    let source = canvas_with_noise();
    for size in [100, 256, 500] {
        let rect = Rect::new(0, 0, size, size);
        let to = Point::new(300, 200);
        group.bench_function(format!("{size}x{size}"), |b| {
            b.iter(|| black_box(canvas.copy_from(&source, rect, to, clip)))
        });
        group.bench_function(format!("{size}x{size}, two threads"), |b| {
            pool.install(|| b.iter(|| black_box(canvas.copy_from(&source, rect, to, clip))))
        });
    }
    group.finish();
}

criterion_group!(benches, fills, rectangles, lines, polylines, segments, text, images, copies);
criterion_main!(benches);
