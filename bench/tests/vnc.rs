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
        .record(&[(Rect::from_size(size), RectEncoding::Raw)], &screen)
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
                &screen,
            )
            .expect("a scroll");
    }
    recorder
        .record(&[], &screen)
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
    let l = lockstep::measure(&frames, PixelEncoding::Tiles).expect("every frame decodes");
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
    let lossy = lockstep::measure(&frames, PixelEncoding::TilesJpeg { quality: 80 });
    assert!(lossy.is_err());
}
