//! Pixel-encoding throughput on typical desktop content at 1280x800, in damaged pixels per
//! second (criterion's "elem/s"), for five changes: text typed into a notepad (small
//! rectangles), a 500x400 text area scrolled by 20 pixels, with its copy hint and without
//! one (an application that draws its rows again: `px-delta-lz4` and `px-tiles` find the
//! move by hashing rows), the whole screen replaced (an image viewer's next slide), and a
//! screen of photographs turned half round (`px-tiles`' gradient records). Each iteration
//! encodes the change and its reverse, so the encoder always has a real change to send (for
//! `px-tiles` the reverse is then in its cache of tiles, except for the whole screen and the
//! photographs, which are more than the cache holds).
//! Also decoding for `px-delta-lz4` and `px-tiles`, and encoding for the lossy
//! `px-tiles-jpeg` at quality 75, whose bytes and PSNR at three qualities are printed too.
//! The bytes each encoding sends per update are printed once before the measurements. And
//! command mode's compressed images (`images/`): the photographs `imageview` ships,
//! compressed and expanded.
#![allow(missing_docs)] // criterion's macros generate undocumented items.

use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use demos::imageview::picture::scale_rgb;
use netui_bench::desktop::{self, Change};
use netui_protocol::images::{self, CodedImages};
use netui_protocol::{
    ImageFormat, Limits, PixelEncoding, Rect, Request, ResourceId, SceneOp, Size,
};
use netui_scene::encoding::{bytes, PixelDecoder, PixelEncoder};
use netui_scene::render::psnr;
use netui_scene::scene::Scene;

/// An encoder whose viewer has `change.before`.
fn encoder(encoding: PixelEncoding, change: &Change) -> PixelEncoder {
    let mut encoder = PixelEncoder::new(encoding, change.before.size());
    encoder.encode(&change.before, &[change.before.bounds()], &[]);
    encoder
}

/// The desktop's changes, and its scroll again without the copy hints.
fn changes() -> Vec<Change> {
    let mut changes = desktop::changes();
    let unhinted = changes
        .iter()
        .find(|c| !c.forward.is_empty())
        .map(|scroll| Change {
            name: "scroll by 20, no hint",
            before: scroll.before.clone(),
            after: scroll.after.clone(),
            damage: scroll.damage.clone(),
            forward: Vec::new(),
            backward: Vec::new(),
        });
    changes.extend(unhinted);
    changes
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

/// The iterations of a decoding bench encoded ahead and then decoded one after another.
const BATCH: u64 = 16;

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
                // decodes updates encoded for it (outside the timing), a batch at a time: a
                // viewer does not run the encoder on its core between two updates, so the
                // decoder should not find its caches full of the encoder's tables each time.
                b.iter_custom(|iters| {
                    let mut spent = Duration::ZERO;
                    let mut left = iters;
                    while left > 0 {
                        let batch = left.min(BATCH);
                        left -= batch;
                        let updates: Vec<_> = (0..batch)
                            .map(|_| {
                                let forward =
                                    encoder.encode(&change.after, &change.damage, &change.forward);
                                let backward = encoder.encode(
                                    &change.before,
                                    &change.damage,
                                    &change.backward,
                                );
                                (forward, backward)
                            })
                            .collect();
                        let started = Instant::now();
                        for (forward, backward) in &updates {
                            black_box(decoder.apply(size, forward).expect("decodes"));
                            black_box(decoder.apply(size, backward).expect("decodes"));
                        }
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

/// The images of command mode (`netui_protocol::images`): the two photographs that `imageview`
/// ships, compressed and expanded in each opaque format, in pixels per second, and made PNG
/// for comparison; their sizes printed first. Each goes in the strips that command mode
/// cuts (`images::strips`: two for each photograph).
fn images(c: &mut Criterion) {
    let mut group = c.benchmark_group("images");
    for source in demos::imageview::Source::samples() {
        let picture = source.load().expect("a shipped sample decodes");
        let size = picture.size();
        let rgb = scale_rgb(&picture, size, netui_protocol::Color::BLACK);
        // Each format's strips: their sizes and their bytes compressed.
        let compress = |format: ImageFormat| -> Vec<(Size, Vec<u8>)> {
            let rect = Rect::from_size(size);
            images::strips(format.pixels(), rect)
                .map(|(strip, bytes)| {
                    let data = images::compress(format, size.width, &rgb[bytes]);
                    (strip.size(), data)
                })
                .collect()
        };
        let formats = [ImageFormat::Rgb8Gradient, ImageFormat::Rgb8Zstd];
        let packed = formats.map(compress);
        let bytes = |strips: &[(Size, Vec<u8>)]| strips.iter().map(|s| s.1.len()).sum::<usize>();
        let png = |rgba: &[u8]| netui::image::encode_png(size.width, size.height, rgba);
        eprintln!(
            "{:16} {}x{}: {} bytes raw, {} with LZ4, {} as Rgb8Gradient ({} strips), {} as \
             Rgb8Zstd, {} as PNG",
            source.name(),
            size.width,
            size.height,
            rgb.len(),
            lz4_flex::block::compress(&rgb).len(),
            bytes(&packed[0]),
            packed[0].len(),
            bytes(&packed[1]),
            png(&picture.rgba).expect("encodes").len(),
        );
        group.throughput(Throughput::Elements(size.area()));
        // For comparison: PNG as the clipboard makes it (RGBA, the png crate's defaults).
        group.bench_function(format!("png {}", source.name()), |b| {
            b.iter(|| black_box(png(&picture.rgba)))
        });
        for (format, strips) in formats.into_iter().zip(&packed) {
            let name = format!("{format:?} {}", source.name());
            group.bench_function(format!("compress {name}"), |b| {
                b.iter(|| black_box(compress(format)))
            });
            group.bench_function(format!("expand {name}"), |b| {
                b.iter(|| {
                    for (size, data) in strips {
                        let max = usize::MAX;
                        black_box(images::expand(format, *size, data, max).unwrap());
                    }
                })
            });
        }
    }
    // What a command-mode viewer that joins costs the server: the snapshot of a window as
    // large as the screen that shows the photographs (its pixels gradient-coded in strips).
    let photographs = desktop::changes()
        .into_iter()
        .find(|c| c.name == "photographs")
        .expect("the desktop has photographs");
    let screen = photographs.before;
    let size = screen.size();
    let mut scene = Scene::new(size, Limits::default());
    let window = ResourceId(1 << 21 | 1);
    let rgb: Vec<u8> = screen
        .pixels()
        .iter()
        .flat_map(|p| [(p >> 16) as u8, (p >> 8) as u8, *p as u8])
        .collect();
    for request in [
        Request::CreateWindow {
            id: window,
            rect: Rect::from_size(size),
            title: "photographs".into(),
            background: netui_protocol::Color::BLACK,
        },
        Request::PutImage {
            target: window,
            rect: Rect::from_size(size),
            format: ImageFormat::Rgb8,
            data: rgb,
        },
    ] {
        scene.apply(&request, &mut Vec::new()).expect("applies");
    }
    let image_bytes = |ops: &[SceneOp]| -> usize {
        ops.iter()
            .map(|op| match op {
                SceneOp::Request(Request::PutImage { data, .. }) => data.len(),
                _ => 0,
            })
            .sum()
    };
    eprintln!(
        "snapshot of a window of photographs ({}x{}): {} bytes of images",
        size.width,
        size.height,
        image_bytes(&scene.snapshot())
    );
    group.throughput(Throughput::Elements(size.area()));
    // The first snapshot of the window codes its pixels; another one of the same window
    // (a second viewer, or one back in command mode) finds them in the scene's cache.
    let images = scene.images();
    group.bench_function("snapshot photographs", |b| {
        b.iter(|| {
            *images.lock() = CodedImages::default();
            black_box(scene.snapshot())
        })
    });
    group.bench_function("snapshot photographs again", |b| {
        b.iter(|| black_box(scene.snapshot()))
    });
    // What a snapshot costs the display server's core: its pixels taken raw, compressed on
    // a thread of their own (`netui-snapshots`).
    group.bench_function("raw snapshot photographs", |b| {
        b.iter(|| black_box(scene.raw_snapshot()))
    });
    group.finish();
}

criterion_group!(benches, encode, decode, images);
criterion_main!(benches);
