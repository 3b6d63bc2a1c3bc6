//! Encode and decode throughput of the wire format, on a batch shaped like one frame of a
//! desktop application: fills, lines of text, line segments, an icon, a scroll and a present.
//!
//! Two groups measure the same six cases (encode and decode, in each compression: raw, LZ4,
//! and lz4-ctx): `messages` in messages per second and `bytes` in payload bytes per second
//! (before compression, so that every case counts the same work). lz4-ctx is measured on a
//! connection's first batch (a fresh writer and decoder each time: an empty dictionary and
//! cache), so that it is the same work every time. The batch's sizes and its ratios are
//! printed once at the start.
//!
//! ```text
//! cargo bench -p netui-protocol --bench codec -- --warm-up-time 1 --measurement-time 3
//! ```
#![allow(missing_docs)] // criterion's macros generate undocumented items.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use netui_protocol::frame::{check_frame, decode_request, Compression, FrameDecoder};
use netui_protocol::{
    BatchWriter, Color, Font, ImageFormat, Limits, Point, Rect, Request, ResourceId, Segment,
};

const WINDOW: ResourceId = ResourceId(0x20_0001);

/// One frame of a desktop application's drawing.
fn desktop_batch() -> Vec<Request> {
    let mut batch = Vec::new();
    // Scroll the content up by one line, as a text view does.
    batch.push(Request::CopyArea {
        src: WINDOW,
        dst: WINDOW,
        src_rect: Rect::new(0, 40, 800, 520),
        dst_pos: Point::new(0, 24),
    });
    // Backgrounds, toolbar buttons, list rows: a few colors, many rectangles each.
    let palette = [
        Color::rgb(0xf0, 0xf0, 0xf0),
        Color::rgb(0xd8, 0xd8, 0xe0),
        Color::rgb(0x30, 0x60, 0xc0),
        Color::rgb(0xff, 0xff, 0xff),
    ];
    for (i, &color) in palette.iter().enumerate() {
        let i = i as i32;
        let rects = (0..16)
            .map(|j| Rect::new(8 + j * 48, 4 + i * 140, 44, 24 + (j as u32 % 3) * 4))
            .collect();
        batch.push(Request::FillRects {
            target: WINDOW,
            color,
            rects,
        });
    }
    // Thirty lines of text, about 40 characters each.
    let words = [
        "window", "frame", "request", "pixel", "glyph", "batch", "server", "client", "damage",
        "scroll",
    ];
    for line in 0..30 {
        let mut text = format!("{line:>3}: ");
        let mut w = line;
        while text.len() < 40 {
            text.push_str(words[w % words.len()]);
            text.push(' ');
            w = w * 7 + 3;
        }
        text.truncate(40);
        batch.push(Request::Text {
            target: WINDOW,
            pos: Point::new(12, 40 + line as i32 * 16),
            font: if line % 5 == 0 {
                Font::Mono
            } else {
                Font::Sans
            },
            size: 13,
            color: Color::BLACK,
            text,
        });
    }
    // Separators and a small chart: two polylines' worth of segments.
    for k in 0..2 {
        let segments = (0..24)
            .map(|j| Segment {
                a: Point::new(600 + j * 8, 300 + ((j * 37 + k * 11) % 60)),
                b: Point::new(608 + j * 8, 300 + (((j + 1) * 37 + k * 11) % 60)),
            })
            .collect();
        batch.push(Request::Segments {
            target: WINDOW,
            color: Color::rgb(0x80, 0x80, 0x80),
            width: 1,
            segments,
        });
    }
    // A 64x64 icon: a round gradient with a light texture on a transparent square.
    let mut data = Vec::with_capacity(64 * 64 * 4);
    let mut seed = 0x2545_f491_u32;
    for y in 0..64u32 {
        for x in 0..64u32 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let noise = (seed & 0x07) as u8;
            let inside = (x as i32 - 32).pow(2) + (y as i32 - 32).pow(2) < 30 * 30;
            if inside {
                data.extend_from_slice(&[(x * 4) as u8 ^ noise, (y * 4) as u8 ^ noise, 160, 255]);
            } else {
                // Transparent corners, all zero as icon files have them.
                data.extend_from_slice(&[0; 4]);
            }
        }
    }
    batch.push(Request::PutImage {
        target: WINDOW,
        rect: Rect::new(700, 8, 64, 64),
        format: ImageFormat::Rgba8,
        data,
    });
    batch.push(Request::Present { window: WINDOW });
    batch
}

/// Encodes the batch into frames, as a client's flush does.
fn encode(writer: &mut BatchWriter, batch: &[Request]) -> Vec<u8> {
    for request in batch {
        // The batch is far below every limit, so pushing cannot fail.
        writer
            .push(request)
            .expect("the batch is within the limits");
    }
    writer.take_frames()
}

/// Decodes every request of a stream of whole frames, as a server's connection task does
/// (from the start of the stream: a fresh decoder).
fn decode(mut wire: &[u8], limits: &Limits) -> usize {
    let mut decoder = FrameDecoder::new();
    let mut count = 0;
    // The stream was encoded by `encode` above, so none of these steps can fail.
    while let Some(header) = check_frame(wire, limits).expect("valid header") {
        for body in decoder.decode(header, wire, limits).expect("valid frame") {
            black_box(decode_request(body).expect("valid request"));
            count += 1;
        }
        wire = &wire[header.frame_len()..];
    }
    count
}

fn codec(c: &mut Criterion) {
    let limits = Limits::default();
    let batch = desktop_batch();
    let raw = encode(&mut BatchWriter::new(limits, Compression::None), &batch);
    let mut lz4_writer = BatchWriter::new(limits, Compression::Lz4);
    let lz4 = encode(&mut lz4_writer, &batch);
    let ctx = encode(&mut BatchWriter::new(limits, Compression::Lz4Ctx), &batch);
    let stats = lz4_writer.stats();
    for wire in [&raw, &lz4, &ctx] {
        assert_eq!(decode(wire, &limits), batch.len());
    }
    eprintln!(
        "desktop batch: {} messages, {} payload bytes, {} wire bytes raw, {} wire bytes lz4 \
         (lz4 ratio {:.2}), {} wire bytes lz4-ctx (a connection's first batch)",
        batch.len(),
        stats.payload_bytes,
        raw.len(),
        lz4.len(),
        lz4.len() as f64 / raw.len() as f64,
        ctx.len(),
    );

    let cases = [
        ("raw", Compression::None, &raw),
        ("lz4", Compression::Lz4, &lz4),
        ("lz4-ctx", Compression::Lz4Ctx, &ctx),
    ];
    let groups = [
        ("messages", Throughput::Elements(batch.len() as u64)),
        ("bytes", Throughput::Bytes(stats.payload_bytes)),
    ];
    for (group_name, throughput) in groups {
        let mut group = c.benchmark_group(group_name);
        group.throughput(throughput);
        for (name, compression, wire) in cases {
            let mut writer = BatchWriter::new(limits, compression);
            group.bench_function(format!("encode/{name}"), |b| {
                if compression == Compression::Lz4Ctx {
                    // A fresh context each time: the batch again would be all references.
                    b.iter(|| {
                        encode(
                            &mut BatchWriter::new(limits, compression),
                            black_box(&batch),
                        )
                    })
                } else {
                    b.iter(|| encode(&mut writer, black_box(&batch)))
                }
            });
            group.bench_function(format!("decode/{name}"), |b| {
                b.iter(|| decode(black_box(wire), &limits))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, codec);
criterion_main!(benches);
