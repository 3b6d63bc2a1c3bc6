//! The real-VNC phase on a tiny screen: frames with a scroll fed into TigerVNC's Xvnc reach
//! a ZRLE, a Tight and a Tight-with-JPEG viewer, the lossless ones pixel for pixel (the phase
//! fails otherwise), and the scroll travels as CopyRect because it was drawn as X CopyArea.
//! Skipped without Xvnc, unless NETUI_REQUIRE_XVFB is set. The same frames through netui's
//! px-tiles in the same lockstep (which needs no Xvnc).

use netui_bench::frames::{Frames, Recorder};
use netui_bench::rfb_view::RfbEncoding;
use netui_bench::{lockstep, vnc, xvnc};
use netui_protocol::{PixelEncoding, Point, Rect, RectEncoding, Size};

/// A 96x64 screen of text-like stripes, then eight scrolls up by 4 rows with a new line at
/// the bottom, and a frame that changes nothing.
fn scrolling_frames() -> Frames {
    let (width, height) = (96u32, 64u32);
    let size = Size::new(width, height);
    let mut screen: Vec<u32> = (0..width * height)
        .map(|i| {
            if (i / width) % 5 == 0 {
                0x0020_4080 + (i % width)
            } else {
                0x00ff_ffff
            }
        })
        .collect();
    let mut recorder = Recorder::new(size);
    recorder
        .record(&[(Rect::from_size(size), RectEncoding::Raw)], &[], &screen)
        .expect("first frame");
    for step in 0..8u32 {
        screen.copy_within((4 * width) as usize.., 0);
        for (x, p) in screen[((height - 4) * width) as usize..]
            .iter_mut()
            .enumerate()
        {
            *p = 0x0010_0000 * step + x as u32;
        }
        recorder
            .record(
                &[
                    (
                        Rect::new(0, 0, width, height - 4),
                        RectEncoding::Copy {
                            src: Point::new(0, 4),
                        },
                    ),
                    (
                        Rect::new(0, height as i32 - 4, width, 4),
                        RectEncoding::DeltaLz4,
                    ),
                ],
                &[],
                &screen,
            )
            .expect("a scroll");
    }
    recorder
        .record(&[], &[], &screen)
        .expect("a frame with nothing new");
    recorder.finish()
}

#[test]
fn frames_reach_xvnc_viewers_in_lockstep_with_scrolls_as_copyrect() {
    let Some(program) = xvnc::find() else {
        assert!(
            std::env::var_os(vnc::REQUIRE_ENV).is_none(),
            "Xvnc is not installed (Debian: tigervnc-standalone-server) and {} is set",
            vnc::REQUIRE_ENV
        );
        eprintln!("skipped: Xvnc is not installed");
        return;
    };
    let frames = scrolling_frames();
    let results = vnc::measure(&program, &frames, &RfbEncoding::all(8)).expect("the phase");
    assert_eq!(results.len(), 3);
    for r in &results {
        let r = r.as_ref().expect("every viewer keeps up");
        assert_eq!(r.frames, 10, "{r:?}");
        assert!(r.first > 0 && r.bytes_down > r.first, "{r:?}");
        assert_eq!(r.psnr.is_some(), !r.encoding.lossless(), "{r:?}");
        assert!(r.copy_bytes > 0, "the scrolls as CopyRect: {r:?}");
    }
}

#[test]
fn px_tiles_follows_the_same_frames_exactly_and_sends_the_scrolls_as_copies() {
    let frames = scrolling_frames();
    let l = lockstep::measure(&frames, PixelEncoding::Tiles, true).expect("every frame decodes");
    assert_eq!(l.frames, 10, "{l:?}");
    assert!(l.first > 0 && l.bytes > l.first, "{l:?}");
    // Each scroll is a copy and a new line of 96x4 pixels (1,536 bytes raw).
    assert_eq!(l.copies, 8, "{l:?}");
    let steady = (l.bytes - l.first) / 8;
    assert!(steady < 1536, "{steady} bytes per scroll: {l:?}");
    // Nine updates acknowledged: the frame that changed nothing sent nothing.
    let one = l.acks / 9;
    assert!(one > 0 && l.acks == 9 * one, "{l:?}");
    // Only exact encodings are compared.
    let lossy = lockstep::measure(&frames, PixelEncoding::TilesJpeg { quality: 80 }, true);
    assert!(lossy.is_err());
}

/// Frames of lines of text typed one a frame, recorded with the server's drawings as a
/// px-tiles viewer gets them.
fn typing_frames() -> Frames {
    use netui_protocol::{Color, Drawing, Font, Request, ResourceId};
    use netui_scene::render::{Canvas, Fonts};
    let size = Size::new(160, 96);
    let mut canvas = Canvas::new(size.width, size.height, Color::WHITE);
    let mut fonts = Fonts::new();
    let mut recorder = Recorder::new(size);
    let whole = Rect::from_size(size);
    recorder
        .record(&[(whole, RectEncoding::Raw)], &[], canvas.pixels())
        .expect("first frame");
    for line in 0..6 {
        let request = Request::Text {
            target: ResourceId::ROOT,
            pos: Point::new(4, 4 + line * 15),
            font: Font::Sans,
            size: 13,
            color: Color::BLACK,
            text: format!("line {line} of the typing"),
        };
        let clip = Rect::new(0, 0, 160, 96);
        canvas.draw(&mut fonts, &request, clip);
        let drawing = Drawing {
            clips: vec![clip],
            request,
        };
        recorder
            .record(
                &[(clip, RectEncoding::Draw)],
                &[(0, drawing)],
                canvas.pixels(),
            )
            .expect("a line");
    }
    recorder.finish()
}

#[test]
fn the_servers_drawings_cost_fewer_bytes_than_their_pixels_on_the_same_frames() {
    let frames = typing_frames();
    let drawn = lockstep::measure(&frames, PixelEncoding::Tiles, true).expect("decodes");
    let pixels = lockstep::measure(&frames, PixelEncoding::Tiles, false).expect("decodes");
    assert_eq!((drawn.frames, pixels.frames), (7, 7));
    let steady = |l: &lockstep::Lockstep| (l.bytes - l.first) / 6;
    assert!(
        steady(&drawn) * 2 < steady(&pixels),
        "{} bytes a line drawn, {} as pixels",
        steady(&drawn),
        steady(&pixels)
    );
}
