//! The `thin-client` program: headless, its screenshot equals the server's screen and its
//! stats are written; in a window under Xvfb, it shows the remote desktop and a click in it
//! reaches the remote application.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use netui::{Color, Display, Event, Point, Rect, ResourceId, Size};
use netui_protocol::display::socket_path;
use netui_protocol::Limits;
use netui_server::{ServerConfig, ServerHandle};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A headless display `:1` in a private runtime directory, with an application's window.
fn display_with_app() -> (ServerHandle, tempfile::TempDir, Display, netui::Window) {
    let runtime = tempfile::tempdir().expect("tempdir");
    let dir = runtime.path().join("netui");
    netui_server::runtime::ensure_private_dir(&dir).expect("dir");
    let server = ServerHandle::start(ServerConfig {
        display: ":1".into(),
        size: Size::new(640, 480),
        unix: Some(socket_path(&dir, 1)),
        tcp: None,
        token: vec![5; 32],
        limits: Limits::default(),
    })
    .expect("server");
    let mut app = Display::connect_unix(server.unix_path().expect("socket"), "app").expect("app");
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
    (server, runtime, app, w)
}

fn server_screen(server: &ServerHandle) -> Vec<u8> {
    let mut d =
        Display::connect_unix(server.unix_path().expect("socket"), "reader").expect("reader");
    d.get_image(ResourceId::ROOT, None).expect("screen").rgba
}

#[test]
fn headless_viewer_writes_the_server_screen_and_its_stats() {
    let (server, runtime, _app, _w) = display_with_app();
    for mode in ["commands", "pixels"] {
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
            rgba == server_screen(&server),
            "{mode}: the viewer's picture differs from the server's screen"
        );
        let json = std::fs::read_to_string(&stats).expect("stats");
        assert!(
            json.contains("\"bytes_down\"") && json.contains("\"updates\""),
            "{json}"
        );
        let expected_mode = if mode == "commands" {
            "\"commands\""
        } else {
            "\"px-delta-lz4\""
        };
        assert!(json.contains(expected_mode), "{json}");
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

fn xvfb() -> Option<(Killed, String)> {
    let spawned = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-noreset",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = spawned else {
        assert!(
            std::env::var_os("NETUI_REQUIRE_XVFB").is_none(),
            "NETUI_REQUIRE_XVFB is set but Xvfb is missing"
        );
        eprintln!("SKIPPED: Xvfb is not installed");
        return None;
    };
    let mut number = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut number)
        .expect("display");
    Some((Killed(child), format!(":{}", number.trim())))
}

fn xdotool(x: &str, args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", x)
        .output()
        .expect("xdotool");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The window's pixels as 0x00RRGGBB (xwd of a 24-bit TrueColor window).
fn capture(x: &str, window: &str) -> (u32, u32, Vec<u32>) {
    let out = Command::new("xwd")
        .args(["-silent", "-id", window])
        .env("DISPLAY", x)
        .output()
        .expect("xwd");
    let data = out.stdout;
    let field = |i: usize| u32::from_be_bytes(data[i * 4..i * 4 + 4].try_into().expect("4 bytes"));
    let (header, width, height, bpl, ncolors) =
        (field(0), field(4), field(5), field(12), field(19));
    let start = header as usize + ncolors as usize * 12;
    let mut pixels = Vec::new();
    for y in 0..height as usize {
        for x in 0..width as usize {
            let i = start + y * bpl as usize + x * 4;
            pixels.push(
                u32::from_le_bytes(data[i..i + 4].try_into().expect("4 bytes")) & 0x00ff_ffff,
            );
        }
    }
    (width, height, pixels)
}

#[test]
fn the_window_shows_the_remote_desktop_and_clicks_reach_it() {
    let Some((_xvfb, x)) = xvfb() else { return };
    let (server, runtime, mut app, w) = display_with_app();
    let _viewer = Killed(
        Command::new(env!("CARGO_BIN_EXE_thin-client-under-test"))
            .arg(":1")
            .env("DISPLAY", &x)
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_RUNTIME_DIR", runtime.path())
            .spawn()
            .expect("thin-client starts"),
    );
    let start = Instant::now();
    let window = loop {
        if let Some(id) = xdotool(&x, &["search", "--name", "^netui viewer :1$"])
            .lines()
            .next()
        {
            break id.to_owned();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the viewer window never appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // Below the overlay (the top 90 rows), the window shows exactly the server's screen.
    let expected: Vec<u32> = server_screen(&server)
        .chunks_exact(4)
        .map(|p| u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2]))
        .collect();
    let start = Instant::now();
    loop {
        let (width, height, pixels) = capture(&x, &window);
        let same = (width, height) == (640, 480) && pixels[640 * 100..] == expected[640 * 100..];
        if same {
            break;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let rgba: Vec<u8> = pixels
                .iter()
                .flat_map(|p| [(p >> 16) as u8, (p >> 8) as u8, *p as u8, 255])
                .collect();
            let path = runtime.path().join("viewer.png");
            let file = std::fs::File::create(&path).expect("png");
            let mut e = png::Encoder::new(file, width, height);
            e.set_color(png::ColorType::Rgba);
            e.write_header()
                .and_then(|mut w| w.write_image_data(&rgba))
                .expect("png");
            panic!(
                "the viewer window never showed the server's screen; see {}",
                Path::new(&path).display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // A click in the viewer reaches the application, at the same place in its window.
    xdotool(
        &x,
        &["mousemove", "--window", &window, "130", "160", "click", "1"],
    );
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
