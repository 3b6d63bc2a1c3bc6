//! The graphics demos (clock, paint, animation, sysmon) against a real headless display: each
//! scripted session's window is read back and compared with its golden image, with pixel
//! facts that do not depend on the golden, and each program runs its script to the end.

use demos::{animation, clock, paint, sysmon};
use netui::{Color, Display, Event, Image, Key, Point, Size, Window};
use netui_testkit::{assert_golden, TestDisplay};

const SCREEN: Size = Size::new(800, 600);

/// The color of the pixel at `p` (window coordinates) of an image read back from a window.
fn pixel(image: &Image, p: Point) -> Color {
    let (x, y) = (p.x - image.area.x, p.y - image.area.y);
    assert!(
        x >= 0 && y >= 0 && (x as u32) < image.area.width && (y as u32) < image.area.height,
        "{p:?} is outside {:?}",
        image.area
    );
    let i = (y as usize * image.area.width as usize + x as usize) * 4;
    Color::rgb(image.rgba[i], image.rgba[i + 1], image.rgba[i + 2])
}

/// Runs a script on a new connection; returns the window's pixels and the bytes it sent.
fn run_script(
    server: &TestDisplay,
    script: fn(&mut Display, u32) -> Result<Window, netui::Error>,
    frames: u32,
) -> (Image, u64) {
    let mut display = server.connect("graphics-demo-test");
    let window = script(&mut display, frames).expect("the script runs");
    let bytes = display.stats().payload_bytes;
    let image = display.get_image(window, None).expect("reads the window");
    (image, bytes)
}

#[test]
fn clock_shows_ten_past_ten() {
    let server = TestDisplay::numbered(1, SCREEN);
    let (image, _) = run_script(&server, clock::script, 1);
    assert_golden!("clock", &image);

    // 10:08:30: the second hand points at 6, the minute hand at 8.5 minutes (51 degrees), the
    // hour hand at 10 hours 8.5 minutes (304.25 degrees).
    let layout = clock::Layout::new(clock::SIZE);
    assert_eq!(pixel(&image, layout.point(180.0, 0.6)), clock::SECOND_HAND);
    assert_eq!(pixel(&image, layout.point(51.0, 0.5)), clock::MINUTE_HAND);
    assert_eq!(pixel(&image, layout.point(304.25, 0.3)), clock::HOUR_HAND);
    // Nothing points at half past four.
    assert_eq!(pixel(&image, layout.point(135.0, 0.5)), clock::FACE);
    assert_eq!(pixel(&image, Point::new(2, 2)), clock::BACKGROUND);
}

#[test]
fn clock_ticks_by_redrawing_only_the_hands() {
    let server = TestDisplay::numbered(1, SCREEN);
    let (_, first) = run_script(&server, clock::script, 1);
    let (image, all) = run_script(&server, clock::script, 31);

    // 10:09:00: the second hand points up, and is gone from where it was at 10:08:30.
    let layout = clock::Layout::new(clock::SIZE);
    assert_eq!(pixel(&image, layout.point(0.0, 0.6)), clock::SECOND_HAND);
    assert_eq!(pixel(&image, layout.point(180.0, 0.6)), clock::FACE);
    assert_eq!(pixel(&image, layout.point(54.0, 0.5)), clock::MINUTE_HAND);
    // A tick sends the hands and the digits, not the face.
    let per_tick = (all - first) / 30;
    eprintln!("clock: {first} bytes for the first frame, {per_tick} a tick");
    assert!(per_tick < 400, "{per_tick} bytes a tick");
}

#[test]
fn paint_draws_the_scripted_strokes_as_lines() {
    let server = TestDisplay::numbered(1, SCREEN);
    let (image, bytes) = run_script(&server, paint::script, 40);
    assert_golden!("paint", &image);

    // Every point the pointer dragged through after the last clear is painted, and every
    // point of the wiped scribbles (the top left, where the picture does not go) is paper.
    let events = paint::script_events(Window(netui::ResourceId(0)));
    let last_clear = events
        .iter()
        .rposition(|e| matches!(e, Event::KeyPress(k) if k.key == Key::Character('c')))
        .expect("the script clears");
    let (mut pressed, mut painted) = (false, 0);
    for (i, event) in events.iter().enumerate() {
        let pos = match *event {
            Event::ButtonPress { pos, .. } if pos.y >= paint::TOOLBAR as i32 => {
                pressed = true;
                pos
            }
            Event::PointerMotion { pos, .. } if pressed => pos,
            Event::ButtonRelease { .. } => {
                pressed = false;
                continue;
            }
            _ => continue,
        };
        let color = pixel(&image, pos);
        if i > last_clear {
            assert!(paint::PALETTE.contains(&color), "{pos:?} is {color:?}");
            painted += 1;
        } else {
            assert_eq!(color, paint::PAPER, "{pos:?} should have been cleared");
        }
    }
    assert!(painted > 200, "only {painted} points painted");
    // Lines, not pixels: the drawing is 720x472 pixels, some 1.3 MB as an image.
    eprintln!("paint: {bytes} bytes for the session");
    assert!(bytes < 40_000, "the session sent {bytes} bytes");
}

#[test]
fn animation_is_deterministic_and_moves() {
    let server = TestDisplay::numbered(1, SCREEN);
    let (thirty, bytes) = run_script(&server, animation::script, 30);
    assert_golden!("animation", &thirty);
    let (again, _) = run_script(&server, animation::script, 30);
    let (more, _) = run_script(&server, animation::script, 31);
    assert!(thirty == again, "the same script drew different frames");
    assert!(thirty != more, "a frame more changed nothing");
    // Each frame clears and redraws only the balls.
    eprintln!("animation: {} bytes a frame", bytes / 30);
    assert!(bytes / 30 < 1_500, "{} bytes a frame", bytes / 30);
}

#[test]
fn sysmon_scrolls_its_charts() {
    let server = TestDisplay::numbered(1, SCREEN);
    // More samples than the charts hold, so they have scrolled.
    let (image, bytes) = run_script(&server, sysmon::script, 200);
    assert_golden!("sysmon", &image);
    let (_, first) = run_script(&server, sysmon::script, 1);
    // A sample scrolls with a copy and draws one column: a few hundred bytes.
    let per_sample = (bytes - first) / 199;
    eprintln!("sysmon: {first} bytes for the first frame, {per_sample} a sample");
    assert!(per_sample < 1_000, "{per_sample} bytes a sample");
}

#[test]
fn programs_run_their_scripts() {
    let server = TestDisplay::numbered(1, SCREEN);
    for program in [
        env!("CARGO_BIN_EXE_clock"),
        env!("CARGO_BIN_EXE_paint"),
        env!("CARGO_BIN_EXE_animation"),
        env!("CARGO_BIN_EXE_sysmon"),
    ] {
        let out = server
            .command(program)
            .args(["--script", "--frames", "10"])
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{program} --script failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
