//! A test that calls everything with the most hostile values the wire can carry.

use super::pattern::blank;
use super::Fonts;
use netui_protocol::{Color, Font, ImageFormat, Point, Rect};
use std::time::{Duration, Instant};

const BIG: Rect = Rect::new(i32::MIN, i32::MIN, u32::MAX, u32::MAX);

/// Every call with the most hostile values returns, quickly, and draws only in its clip.
#[test]
fn extreme_values_neither_panic_nor_hang() {
    let started = Instant::now();
    let mut fonts = Fonts::new();
    let far = [
        i32::MIN,
        -2_000_000_000,
        -1,
        0,
        1,
        31,
        2_000_000_000,
        i32::MAX,
    ];
    let sizes = [0, 1, u32::MAX / 2, u32::MAX];
    let mut rects = vec![BIG, Rect::new(i32::MAX, i32::MAX, u32::MAX, u32::MAX)];
    for &x in &far {
        for &w in &sizes {
            rects.push(Rect::new(x, x, w, w));
            rects.push(Rect::new(x, -x.saturating_add(1), w, u32::MAX - w));
        }
    }
    let points: Vec<Point> = far
        .iter()
        .flat_map(|&x| far.iter().map(move |&y| Point::new(x, y)))
        .collect();
    let colors = [Color::WHITE, Color::rgba(9, 8, 7, 100)];
    let mut other = blank(16, 16);
    for (width, height) in [(32, 24), (0, 0), (0, 5), (1, 1)] {
        let mut c = blank(width, height);
        let canvas = c.bounds();
        for &clip in &rects[..6] {
            let inside = |r: Rect| canvas.intersect(clip).contains_rect(r);
            for &rect in &rects {
                for color in colors {
                    assert!(inside(c.fill_rect(rect, color, clip)));
                    for w in [0, 1, 7, u16::MAX] {
                        assert!(inside(c.stroke_rect(rect, w, color, clip)));
                        assert!(inside(c.ellipse(rect, Some(w), color, clip)));
                    }
                    assert!(inside(c.ellipse(rect, None, color, clip)));
                }
                for format in [ImageFormat::Rgb8, ImageFormat::Rgba8] {
                    assert!(inside(c.put_image(rect, format, &[1; 64], clip)));
                }
                let small = Rect::new(rect.x, rect.y, rect.width % 5, rect.height % 3);
                assert!(inside(c.put_image(
                    small,
                    ImageFormat::Rgba8,
                    &[200; 60],
                    clip
                )));
                for &p in points.iter().step_by(5) {
                    assert!(inside(c.copy_within(rect, p, clip)));
                    assert!(inside(c.copy_from(&other, rect, p, clip)));
                    other.copy_from(&c, rect, p, clip);
                }
                let (area, bytes) = c.read_rgba(rect);
                assert!(canvas.contains_rect(area));
                assert_eq!(bytes.len() as u64, area.size().area() * 4);
            }
            for (i, &a) in points.iter().enumerate() {
                for &b in points.iter().skip(i % 7).step_by(5) {
                    for w in [0, 1, 2, 255, u16::MAX] {
                        assert!(inside(c.line(a, b, w, colors[i % 2], clip)));
                    }
                }
            }
            for w in [0, 1, 6, u16::MAX] {
                for color in colors {
                    assert!(inside(c.polyline(&points, w, color, clip)));
                    assert!(inside(c.polyline(&[], w, color, clip)));
                    assert!(inside(c.polyline(&points[9..10], w, color, clip)));
                }
            }
            for &p in &points {
                for size in [0, 1, 12, u16::MAX] {
                    for text in ["", "\n", "Wide text \u{1F600} \u{10FFFF}"] {
                        let font = if size % 2 == 0 {
                            Font::Sans
                        } else {
                            Font::Mono
                        };
                        assert!(inside(c.text(
                            &mut fonts,
                            p,
                            font,
                            size,
                            Color::WHITE,
                            text,
                            clip
                        )));
                    }
                }
            }
        }
        assert_eq!(c.pixels().len(), width as usize * height as usize);
    }
    assert!(fonts.text_width(Font::Sans, u16::MAX, &"W".repeat(10_000)) > 0);
    assert!(started.elapsed() < Duration::from_secs(60));
}
