//! The windowed display server under Xvfb: its window shows what the headless server
//! composites, and the mouse and keyboard of that window (driven with xdotool) reach the
//! applications through the built-in window manager.
//!
//! These tests need Xvfb, xdotool and xwd (Debian: xvfb, xdotool, x11-apps, plus the libraries
//! winit loads: libx11-xcb1, libxcursor1, libxi6, libxkbcommon-x11-0). `.ci/run` installs
//! them and sets NETUI_REQUIRE_XVFB=1; elsewhere, without Xvfb, each test says it was skipped.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use netui::{Color, Display, Event, Rect, ResourceId, Size};
use netui_protocol::display::socket_path;
use netui_protocol::Limits;
use netui_server::{ServerConfig, ServerHandle};

const DEADLINE: Duration = Duration::from_secs(20);

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A virtual X server.
struct Xvfb {
    display: String,
    _process: Killed,
}

impl Xvfb {
    fn start() -> Xvfb {
        let mut process = Command::new("Xvfb")
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
            .spawn()
            .expect("Xvfb starts");
        let mut number = String::new();
        BufReader::new(process.stdout.take().expect("stdout"))
            .read_line(&mut number)
            .expect("Xvfb says its display");
        Xvfb {
            display: format!(":{}", number.trim()),
            _process: Killed(process),
        }
    }
}

/// A netui screen window on an Xvfb, serving `:N` in a private runtime directory.
struct Screen {
    // Dropped in this order: the server, then Xvfb, then the runtime directory.
    server: Killed,
    xvfb: Xvfb,
    runtime: tempfile::TempDir,
    window: String,
}

fn xvfb_available() -> bool {
    let found = Command::new("Xvfb")
        .arg("-help")
        .stderr(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("NETUI_REQUIRE_XVFB").is_none(),
            "NETUI_REQUIRE_XVFB is set but Xvfb is not installed"
        );
        eprintln!("SKIPPED: Xvfb is not installed (apt-get install xvfb xdotool x11-apps)");
    }
    found
}

/// The display-server program, built beside this package's programs.
fn display_server_bin() -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_hello"))
        .parent()
        .expect("target dir")
        .to_owned();
    let bin = dir.join("display-server");
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "-p",
                "netui-display-server",
                "--bin",
                "display-server",
            ])
            .status()
            .expect("cargo build");
        assert!(status.success());
    }
    bin
}

impl Screen {
    /// Starts a windowed `display-server` for `:1` of the given size.
    fn start(size: &str) -> Screen {
        let xvfb = Xvfb::start();
        let runtime = tempfile::tempdir().expect("tempdir");
        let mut server = Command::new(display_server_bin())
            .args(["--display", ":1", "--size", size, "--no-tcp"])
            .env("DISPLAY", &xvfb.display)
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .spawn()
            .expect("display-server starts");
        let mut ready = String::new();
        BufReader::new(server.stdout.take().expect("stdout"))
            .read_line(&mut ready)
            .expect("ready line");
        assert!(ready.contains("window"), "{ready}");
        Screen::find(Killed(server), xvfb, runtime, ":1")
    }

    /// Waits for the screen window of display `name` to appear on the Xvfb.
    fn find(server: Killed, xvfb: Xvfb, runtime: tempfile::TempDir, name: &str) -> Screen {
        let mut screen = Screen {
            server,
            xvfb,
            runtime,
            window: String::new(),
        };
        let start = Instant::now();
        screen.window = loop {
            let out = screen.x(&["search", "--name", &format!("^netui {name}$")]);
            if let Some(id) = out.lines().next() {
                break id.to_owned();
            }
            assert!(
                start.elapsed() < DEADLINE,
                "the screen window never appeared"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        screen
    }

    /// Runs xdotool with the given arguments and returns its output.
    fn x(&self, args: &[&str]) -> String {
        let out = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.xvfb.display)
            .output()
            .expect("xdotool");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn client(&self, name: &str) -> Display {
        let socket = socket_path(&self.runtime.path().join("netui"), 1);
        Display::connect_unix(&socket, name).expect("client connects")
    }

    /// The screen window's pixels as X shows them: (width, height, 0x00RRGGBB).
    fn capture(&self) -> (u32, u32, Vec<u32>) {
        let out = Command::new("xwd")
            .args(["-silent", "-id", &self.window])
            .env("DISPLAY", &self.xvfb.display)
            .output()
            .expect("xwd");
        assert!(out.status.success(), "xwd failed");
        parse_xwd(&out.stdout)
    }

    /// Waits until `check` holds for the X window's pixels.
    fn wait_pixels(&self, what: &str, check: impl Fn(u32, u32, &[u32]) -> bool) {
        let start = Instant::now();
        loop {
            let (w, h, pixels) = self.capture();
            if check(w, h, &pixels) {
                return;
            }
            if start.elapsed() > DEADLINE {
                let path = self.runtime.path().join("failed.png");
                save(&path, w, h, &pixels);
                panic!(
                    "{what}: not seen on the X screen; screenshot in {}",
                    path.display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Moves the pointer inside the screen window and clicks.
    fn click(&self, x: i32, y: i32) {
        self.x(&[
            "mousemove",
            "--window",
            &self.window,
            &x.to_string(),
            &y.to_string(),
            "click",
            "1",
        ]);
    }
}

/// Reads an XWD dump of a 24-bit TrueColor window (what `xwd` writes for Xvfb).
fn parse_xwd(data: &[u8]) -> (u32, u32, Vec<u32>) {
    let field = |i: usize| u32::from_be_bytes(data[i * 4..i * 4 + 4].try_into().expect("4 bytes"));
    let (header_size, width, height) = (field(0), field(4), field(5));
    let (byte_order, bits_per_pixel, bytes_per_line, ncolors) =
        (field(7), field(11), field(12), field(19));
    assert_eq!(bits_per_pixel, 32, "expected a 32-bit dump");
    let start = header_size as usize + ncolors as usize * 12;
    let mut pixels = Vec::with_capacity((width * height) as usize);
    for y in 0..height as usize {
        let row = &data[start + y * bytes_per_line as usize..];
        for x in 0..width as usize {
            let b: [u8; 4] = row[x * 4..x * 4 + 4].try_into().expect("4 bytes");
            let v = if byte_order == 0 {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            };
            pixels.push(v & 0x00ff_ffff);
        }
    }
    (width, height, pixels)
}

fn save(path: &Path, w: u32, h: u32, pixels: &[u32]) {
    let rgba: Vec<u8> = pixels
        .iter()
        .flat_map(|p| [(p >> 16) as u8, (p >> 8) as u8, *p as u8, 255])
        .collect();
    demos::image::write_png(path, w, h, &rgba).expect("png");
}

fn rgb(c: Color) -> u32 {
    c.to_xrgb()
}

/// Waits for an event that `want` accepts, skipping others.
fn wait_for(display: &mut Display, want: impl Fn(&Event) -> bool) -> Event {
    let (tx, rx) = std::sync::mpsc::channel();
    // wait_event blocks; a watchdog turns a missing event into a failure, not a hang.
    let watchdog = std::thread::spawn(move || {
        if rx.recv_timeout(DEADLINE).is_err() {
            eprintln!("timed out waiting for an event");
            std::process::exit(1);
        }
    });
    let event = loop {
        let event = display.wait_event().expect("event");
        if want(&event) {
            break event;
        }
    };
    let _ = tx.send(());
    let _ = watchdog.join();
    event
}

#[test]
fn the_window_shows_what_the_headless_server_composites() {
    if !xvfb_available() {
        return;
    }
    let screen = Screen::start("800x600");
    let _hello = Killed(
        Command::new(env!("CARGO_BIN_EXE_hello"))
            .env("XDG_RUNTIME_DIR", screen.runtime.path())
            .env("NETUI_DISPLAY", ":1")
            .spawn()
            .expect("hello"),
    );

    // The same scene on a headless server of the same size.
    let runtime = tempfile::tempdir().expect("tempdir");
    let dir = runtime.path().join("netui");
    netui_server::runtime::ensure_private_dir(&dir).expect("dir");
    let headless = ServerHandle::start(ServerConfig {
        display: ":1".into(),
        size: Size::new(800, 600),
        unix: Some(socket_path(&dir, 1)),
        tcp: None,
        token: vec![1; 32],
        limits: Limits::default(),
    })
    .expect("headless server");
    let _hello2 = Killed(
        Command::new(env!("CARGO_BIN_EXE_hello"))
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env("NETUI_DISPLAY", ":1")
            .spawn()
            .expect("hello"),
    );
    let mut reader =
        Display::connect_unix(headless.unix_path().expect("socket"), "reader").expect("connects");
    let blue = [0x3b, 0x5b, 0x98, 255];
    let start = Instant::now();
    let expected = loop {
        let image = reader.get_image(ResourceId::ROOT, None).expect("screen");
        let at = |x: u32, y: u32| {
            let i = ((y * 800 + x) * 4) as usize;
            [
                image.rgba[i],
                image.rgba[i + 1],
                image.rgba[i + 2],
                image.rgba[i + 3],
            ]
        };
        // hello's own title band, drawn at its first expose.
        if at(85, 65) == blue {
            break image.rgba;
        }
        assert!(start.elapsed() < DEADLINE, "headless hello never drew");
        std::thread::sleep(Duration::from_millis(20));
    };
    let expected: Vec<u32> = expected
        .chunks_exact(4)
        .map(|p| u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2]))
        .collect();
    screen.wait_pixels("the headless rendering of hello", |w, h, pixels| {
        (w, h) == (800, 600) && pixels == expected
    });
}

#[test]
fn a_click_raises_and_a_title_bar_drag_moves() {
    if !xvfb_available() {
        return;
    }
    let screen = Screen::start("800x600");
    let red = Color::rgb(200, 0, 0);
    let blue = Color::rgb(0, 0, 200);
    let mut a = screen.client("a");
    let wa = a
        .create_window(Rect::new(50, 60, 200, 150), "a", red)
        .expect("window");
    a.map(wa);
    a.sync().expect("a");
    let mut b = screen.client("b");
    let wb = b
        .create_window(Rect::new(150, 120, 200, 150), "b", blue)
        .expect("window");
    b.map(wb);
    b.sync().expect("b");
    // b is on top where they overlap.
    screen.wait_pixels("b above a", |w, _, p| {
        p[(200 * w + 200) as usize] == rgb(blue)
    });

    // A click in a's uncovered corner raises it, and a gets the press in its own coordinates.
    screen.click(60, 70);
    let press = wait_for(&mut a, |e| matches!(e, Event::ButtonPress { .. }));
    assert!(
        matches!(press, Event::ButtonPress { window, pos, .. } if window == wa.0 && pos == netui::Point::new(10, 10)),
        "{press:?}"
    );
    screen.wait_pixels("a raised above b", |w, _, p| {
        p[(200 * w + 200) as usize] == rgb(red)
    });

    // Drag a by its title bar (24 pixels above its content) by (+300, +200).
    let (x, y) = (120, 60 - 12);
    screen.x(&[
        "mousemove",
        "--window",
        &screen.window,
        &x.to_string(),
        &y.to_string(),
        "mousedown",
        "1",
        "mousemove",
        "--window",
        &screen.window,
        &(x + 150).to_string(),
        &(y + 100).to_string(),
        "mousemove",
        "--window",
        &screen.window,
        &(x + 300).to_string(),
        &(y + 200).to_string(),
        "mouseup",
        "1",
    ]);
    let moved = wait_for(
        &mut a,
        |e| matches!(e, Event::Configure { rect, .. } if rect.x == 350 && rect.y == 260),
    );
    assert!(matches!(moved, Event::Configure { window, .. } if window == wa.0));
    let info = a.server_info().expect("info");
    let rect = info
        .clients
        .iter()
        .flat_map(|c| &c.windows)
        .find(|w| w.id == wa.0)
        .expect("a")
        .rect;
    assert_eq!(rect, Rect::new(350, 260, 200, 150));
    // The screenshot shows a at its new place, and b's area where a was.
    screen.wait_pixels("a moved", |w, _, p| {
        p[(300 * w + 400) as usize] == rgb(red) && p[(150 * w + 200) as usize] == rgb(blue)
    });
}

#[test]
fn typed_keys_reach_the_focused_application_with_their_text() {
    if !xvfb_available() {
        return;
    }
    let screen = Screen::start("640x480");
    let mut d = screen.client("typist");
    let w = d
        .create_window(Rect::new(40, 60, 300, 200), "typist", Color::WHITE)
        .expect("window");
    d.map(w);
    d.sync().expect("sync");
    screen.click(100, 100);
    screen.x(&["windowfocus", "--sync", &screen.window]);
    screen.x(&["type", "--delay", "20", "Hi there!"]);
    let mut typed = String::new();
    while typed.len() < "Hi there!".len() {
        if let Event::KeyPress(k) = wait_for(&mut d, |e| matches!(e, Event::KeyPress(_))) {
            assert_eq!(k.window, w.0);
            typed.push_str(&k.text);
        }
    }
    assert_eq!(typed, "Hi there!");
}

#[test]
fn the_close_button_asks_then_disconnects() {
    if !xvfb_available() {
        return;
    }
    let screen = Screen::start("640x480");
    let mut d = screen.client("stubborn");
    let content = Rect::new(100, 100, 200, 120);
    let w = d
        .create_window(content, "stubborn", Color::WHITE)
        .expect("window");
    d.map(w);
    d.sync().expect("sync");
    let close = netui_scene::wm::close_rect(content);
    let (cx, cy) = (
        close.x + close.width as i32 / 2,
        close.y + close.height as i32 / 2,
    );
    screen.wait_pixels("the window", |w, _, p| {
        p[(150 * w + 150) as usize] == 0x00ff_ffff
    });
    screen.click(cx, cy);
    let event = wait_for(&mut d, |e| matches!(e, Event::CloseRequested { .. }));
    assert_eq!(event, Event::CloseRequested { window: w.0 });
    // The application ignores it; a second press disconnects it, as xkill would.
    screen.click(cx, cy);
    let start = Instant::now();
    loop {
        match d.wait_event() {
            Err(netui::Error::Disconnected(_)) => break,
            Ok(_) => assert!(start.elapsed() < DEADLINE, "never disconnected"),
            Err(e) => panic!("{e}"),
        }
    }
    screen.wait_pixels("the window gone", |w, _, p| {
        p[(150 * w + 150) as usize] != 0x00ff_ffff
    });
}

#[test]
fn resizing_the_host_window_resizes_the_screen() {
    if !xvfb_available() {
        return;
    }
    let screen = Screen::start("640x480");
    let mut d = screen.client("watcher");
    assert_eq!(d.screen_size(), Size::new(640, 480));
    screen.x(&["windowsize", "--sync", &screen.window, "900", "700"]);
    let event = wait_for(&mut d, |e| matches!(e, Event::ScreenResized { .. }));
    assert_eq!(
        event,
        Event::ScreenResized {
            size: Size::new(900, 700)
        }
    );
    assert_eq!(d.server_info().expect("info").screen, Size::new(900, 700));
    screen.wait_pixels("the desktop filling the larger window", |w, h, p| {
        (w, h) == (900, 700) && p[(699 * w + 899) as usize] == netui_scene::scene::DESKTOP.to_xrgb()
    });
}

#[test]
fn without_a_desktop_it_says_how_to_run_headless() {
    let out = Command::new(display_server_bin())
        .args(["--display", ":9", "--no-tcp"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let mut stderr = String::new();
    out.stderr
        .as_slice()
        .read_to_string(&mut stderr)
        .expect("utf-8");
    assert!(
        stderr.contains("no screen") && stderr.contains("--headless"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one clear line: {stderr}");
}

#[test]
fn the_session_opens_its_screen_window_and_ends_on_sigterm() {
    if !xvfb_available() {
        return;
    }
    let xvfb = Xvfb::start();
    let runtime = tempfile::tempdir().expect("tempdir");
    let mut session = Command::new(env!("CARGO_BIN_EXE_netui"))
        .args(["--listen", "127.0.0.1:0", "--size", "800x600"])
        .env("DISPLAY", &xvfb.display)
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_RUNTIME_DIR", runtime.path())
        .stdout(Stdio::piped())
        .spawn()
        .expect("session starts");
    // Keep reading its stdout: a closed pipe would break its printing.
    let mut stdout = BufReader::new(session.stdout.take().expect("stdout"));
    let mut ready = String::new();
    stdout.read_line(&mut ready).expect("ready");
    assert!(ready.contains("(800x600 window)"), "{ready}");
    let mut screen = Screen::find(Killed(session), xvfb, runtime, ":0");
    // The launcher's bar runs along the bottom of the window.
    screen.wait_pixels("the launcher in the session", |w, h, p| {
        (w, h) == (800, 600) && p[((h - 10) * w + w - 2) as usize] == 0x001c_2028
    });
    let pid = screen.server.0.id().to_string();
    let kill = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(kill.success());
    assert!(screen.server.0.wait().expect("ends").success());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("stdout");
    assert!(rest.contains("session on :0 ended"), "{rest}");
}
