//! The cost of a frame on the windowed screen, at 1280x800 and 1920x1080, for a small damaged
//! region (a 100x20 line of text in a window) and for the whole screen damaged: compositing
//! the damage, copying it out of the core (the frame sent to the window's thread), into the
//! window thread's copy of the screen, and into the presentation buffer, as the windowed
//! backend does. What the X server then does with the presented rectangles is not included.
//! And at 1280x800, the whole screen damaged with 501 windows on it, stacked where `scale`'s
//! demos put them (clocks, notepads and animations in turn, each kind at one place), the case
//! of hundreds of applications drawing at once.
//!
//! `cargo bench -p netui-display-server --bench frame`
#![allow(missing_docs)] // criterion's macros generate undocumented items.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use netui_protocol::{Color, Font, Limits, Rect, Request, ResourceId, Size};
use netui_scene::render::Canvas;
use netui_scene::scene::Scene;
use netui_window::presenter::copy_rects;
use netui_window::Frame;

/// A desktop with three overlapping windows.
fn desktop(size: Size) -> Scene {
    let mut scene = Scene::new(size, Limits::default());
    let mut events = Vec::new();
    for i in 0..3u32 {
        let id = ResourceId(0x20_0001 + i);
        let rect = Rect::new(100 + 150 * i as i32, 80 + 100 * i as i32, 640, 420);
        let requests = [
            Request::CreateWindow {
                id,
                rect,
                title: format!("window {i}"),
                background: Color::rgb(240, 240, 235),
            },
            Request::MapWindow { id },
            Request::FillRects {
                target: id,
                color: Color::rgb(60, 90, 160),
                rects: vec![Rect::new(0, 0, 640, 40)],
            },
        ];
        for r in &requests {
            scene.apply(r, &mut events).expect("request applies");
        }
    }
    scene.composite();
    scene
}

/// 501 windows where the demos put theirs, in turn: a clock, a notepad, an animation.
fn stacks(size: Size) -> Scene {
    let mut scene = Scene::new(size, Limits::default());
    let mut events = Vec::new();
    let places = [
        Rect::new(60, 60, 360, 420),
        Rect::new(60, 40, 640, 440),
        Rect::new(80, 50, 640, 480),
    ];
    for i in 0..501u32 {
        let id = ResourceId(0x20_0001 + i);
        let rect = places[i as usize % places.len()];
        let shade = (i % 200) as u8;
        let requests = [
            Request::CreateWindow {
                id,
                rect,
                title: format!("window {i}"),
                background: Color::rgb(shade, 240 - shade, 235),
            },
            Request::MapWindow { id },
        ];
        for r in &requests {
            scene.apply(r, &mut events).expect("request applies");
        }
    }
    scene.composite();
    scene
}

/// One frame as the windowed backend makes it: composite, capture, apply, copy to the buffer
/// (with the window's own copy, [`copy_rects`]).
fn frame(scene: &mut Scene, mirror: &mut Canvas, buffer: &mut [u32]) -> usize {
    let damage = scene.composite();
    let frame = Frame::capture(scene.screen(), &damage);
    let written = frame.apply(mirror);
    let presented = copy_rects(buffer, mirror.width(), mirror, &written, 0);
    presented
        .iter()
        .map(|r| r.width.get() as usize * r.height.get() as usize * 4)
        .sum()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame");
    for size in [Size::new(1280, 800), Size::new(1920, 1080)] {
        let mut scene = desktop(size);
        let mut mirror = Canvas::new(size.width, size.height, Color::BLACK);
        let mut buffer = vec![0u32; size.area() as usize];
        let label = format!("{}x{}", size.width, size.height);
        let top = ResourceId(0x20_0003);
        let mut n = 0u32;
        let small = Rect::new(20, 60, 100, 20);
        group.throughput(Throughput::Bytes(u64::from(small.width * small.height * 4)));
        group.bench_with_input(BenchmarkId::new("small-100x20", &label), &(), |b, _| {
            b.iter(|| {
                n = n.wrapping_add(1);
                let text = Request::Text {
                    target: top,
                    pos: small.origin(),
                    font: Font::Sans,
                    size: 14,
                    color: Color::BLACK,
                    text: format!("{n:08}"),
                };
                let clear = Request::FillRects {
                    target: top,
                    color: Color::rgb(240, 240, 235),
                    rects: vec![small],
                };
                let mut events = Vec::new();
                scene.apply(&clear, &mut events).expect("clear");
                scene.apply(&text, &mut events).expect("text");
                frame(&mut scene, &mut mirror, &mut buffer)
            })
        });
        group.throughput(Throughput::Bytes(size.area() * 4));
        group.bench_with_input(BenchmarkId::new("whole-screen", &label), &(), |b, _| {
            b.iter(|| {
                scene.damage_screen(Rect::from_size(size));
                frame(&mut scene, &mut mirror, &mut buffer)
            })
        });
    }
    let size = Size::new(1280, 800);
    let mut scene = stacks(size);
    let mut mirror = Canvas::new(size.width, size.height, Color::BLACK);
    let mut buffer = vec![0u32; size.area() as usize];
    group.throughput(Throughput::Bytes(size.area() * 4));
    group.bench_function("whole-screen-501-windows/1280x800", |b| {
        b.iter(|| {
            scene.damage_screen(Rect::from_size(size));
            frame(&mut scene, &mut mirror, &mut buffer)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
