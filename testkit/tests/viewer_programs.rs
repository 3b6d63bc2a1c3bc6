//! The `thin-client` program: headless, its screenshot equals the server's screen and its
//! stats are written; in a window under Xvfb, it shows the remote desktop and a click in it
//! reaches the remote application.

use std::process::Command;
use std::time::{Duration, Instant};

use netui::{Color, Display, Event, Point, Rect, Size};
use netui_testkit::golden::xrgb;
use netui_testkit::process::KillOnDrop;
use netui_testkit::xvfb::Xvfb;
use netui_testkit::TestDisplay;

/// A headless display `:1` in a private runtime directory, with an application's window.
fn display_with_app() -> (TestDisplay, Display, netui::Window) {
    let server = TestDisplay::numbered(1, Size::new(640, 480));
    let mut app = server.connect("app");
    let w = app
        .create_window(
            Rect::new(100, 120, 300, 200),
            "remote app",
            Color::rgb(250, 250, 240),
        )
        .expect("window");
    app.map(w);
    app.fill_rect(w, Rect::new(20, 20, 120, 60), Color::rgb(200, 60, 40));
    app.text(
        w,
        Point::new(20, 100),
        netui::Font::Sans,
        18,
        Color::BLACK,
        "seen from afar",
    );
    app.sync().expect("sync");
    (server, app, w)
}

#[test]
fn headless_viewer_writes_the_server_screen_and_its_stats() {
    let (server, _app, _w) = display_with_app();
    let runtime = &server.dir;
    for mode in ["commands", "pixels", "auto"] {
        let shot = runtime.path().join(format!("{mode}.png"));
        let stats = runtime.path().join(format!("{mode}.json"));
        let out = Command::new(env!("CARGO_BIN_EXE_thin-client-under-test"))
            .args([
                ":1",
                "--headless",
                "--seconds",
                "1",
                "--mode",
                mode,
                "--link",
                "lan",
            ])
            .arg("--stats")
            .arg(&stats)
            .arg("--screenshot")
            .arg(&shot)
            .env("XDG_RUNTIME_DIR", runtime.path())
            .output()
            .expect("thin-client runs");
        assert!(
            out.status.success(),
            "{mode}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let decoder = png::Decoder::new(std::fs::File::open(&shot).expect("screenshot"));
        let mut reader = decoder.read_info().expect("png");
        let mut rgba = vec![0; reader.output_buffer_size()];
        reader.next_frame(&mut rgba).expect("pixels");
        assert!(
            rgba == server.screen(),
            "{mode}: the viewer's picture differs from the server's screen"
        );
        let json = std::fs::read_to_string(&stats).expect("stats");
        assert!(
            json.contains("\"bytes_down\"") && json.contains("\"updates\""),
            "{json}"
        );
        let expected_mode = match mode {
            "pixels" => "\"px-tiles\"",
            _ => "\"commands\"",
        };
        assert!(json.contains(expected_mode), "{json}");
        // Auto starts in command mode, and says why it is where it is.
        assert_eq!(
            mode == "auto",
            json.contains("\"auto\": \"commands: "),
            "{json}"
        );
    }
}

#[test]
fn a_bad_link_or_display_name_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_thin-client-under-test"))
        .args([":1", "--headless", "--link", "carrier-pigeon"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("modem") && stderr.contains("RATE,DELAY"),
        "{stderr}"
    );
    let runtime = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_thin-client-under-test"))
        .args([":4", "--headless"])
        .env("XDG_RUNTIME_DIR", runtime.path())
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot connect to display :4"), "{stderr}");
}

#[test]
fn the_window_shows_the_remote_desktop_and_clicks_reach_it() {
    let Some(xvfb) = Xvfb::start() else { return };
    let (server, mut app, w) = display_with_app();
    let _viewer = KillOnDrop::spawn(
        Command::new(env!("CARGO_BIN_EXE_thin-client-under-test"))
            .arg(":1")
            .env("DISPLAY", xvfb.display())
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_RUNTIME_DIR", server.dir.path()),
    );
    let window = xvfb.find_window("^netui viewer :1$");
    // Below the overlay (the top 108 rows), the window shows exactly the server's screen.
    let expected = xrgb(&server.screen());
    xvfb.wait_pixels(
        &window,
        "the viewer window showing the server's screen",
        |width, height, pixels| {
            (width, height) == (640, 480) && pixels[640 * 110..] == expected[640 * 110..]
        },
    );
    // A click in the viewer reaches the application, at the same place in its window.
    xvfb.click(&window, 130, 160);
    let start = Instant::now();
    loop {
        if let Some(Ok(Event::ButtonPress { window, pos, .. })) = app.poll_event() {
            assert_eq!((window, pos), (w.0, Point::new(30, 40)));
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the click never arrived"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
