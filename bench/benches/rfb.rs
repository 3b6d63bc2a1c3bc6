//! The RFB encoders' throughput (what netui's display server spends on a VNC viewer), on the
//! same desktop content and changes as the pixel encodings' bench (`benches/encoding.rs`), in
//! damaged pixels per second: Raw, Hextile, ZRLE (its zlib stream at level 1, as the server
//! uses it unless a viewer asks otherwise) and Tight lossless and with JPEG (quality level 6),
//! each in the server's own 32-bit pixel format. The bytes of one encoding of each change are
//! printed once before the measurements.
#![allow(missing_docs)] // criterion's macros generate undocumented items.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use netui_bench::desktop::{changes, Change};
use netui_rfb::hextile::HextileEncoder;
use netui_rfb::pixel::PixelFormat;
use netui_rfb::raw;
use netui_rfb::tight::{TightEncoder, TightSettings};
use netui_rfb::zrle::ZrleEncoder;
use netui_scene::render::Canvas;

/// One RFB encoder with its per-connection state.
enum Encoder {
    Raw,
    Hextile(HextileEncoder),
    Zrle(ZrleEncoder),
    Tight(Box<TightEncoder>, TightSettings),
}

impl Encoder {
    fn all() -> Vec<(&'static str, Encoder)> {
        let lossless = TightSettings {
            jpeg_quality: None,
            compress_level: 1,
        };
        let jpeg = TightSettings {
            jpeg_quality: Some(6),
            compress_level: 1,
        };
        vec![
            ("raw", Encoder::Raw),
            ("hextile", Encoder::Hextile(HextileEncoder::new())),
            ("zrle", Encoder::Zrle(ZrleEncoder::new(1))),
            ("tight", Encoder::Tight(Box::default(), lossless)),
            ("tight-jpeg", Encoder::Tight(Box::default(), jpeg)),
        ]
    }

    /// Encodes the damage of `screen` as a FramebufferUpdate's rectangles would carry it.
    fn encode(&mut self, screen: &Canvas, change: &Change, out: &mut Vec<u8>) {
        let format = &PixelFormat::SERVER;
        for &rect in &change.damage {
            match self {
                Encoder::Raw => raw::encode(screen, rect, format, out),
                Encoder::Hextile(e) => e.encode(screen, rect, format, out),
                Encoder::Zrle(e) => e.encode(screen, rect, format, out),
                Encoder::Tight(e, settings) => {
                    e.encode(screen, rect, format, *settings, out);
                }
            }
        }
    }
}

fn encode(c: &mut Criterion) {
    let changes = changes();
    for change in &changes {
        for (name, mut encoder) in Encoder::all() {
            let mut out = Vec::new();
            encoder.encode(&change.after, change, &mut out);
            eprintln!(
                "{:22} rfb {:10} {:8} bytes for {} damaged pixels",
                change.name,
                name,
                out.len(),
                change.pixels() / 2
            );
        }
    }
    for change in &changes {
        let mut group = c.benchmark_group(format!("rfb encode {}", change.name));
        group.throughput(Throughput::Elements(change.pixels()));
        for (name, mut encoder) in Encoder::all() {
            let mut out = Vec::new();
            group.bench_function(name, |b| {
                b.iter(|| {
                    out.clear();
                    encoder.encode(&change.after, change, &mut out);
                    encoder.encode(&change.before, change, &mut out);
                    black_box(out.len())
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, encode);
criterion_main!(benches);
