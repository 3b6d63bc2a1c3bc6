//! `display-server --nested`: a display whose screen is a window on another (outer) display,
//! as an application of it. On a headless outer display: the nested one runs `hello` and the
//! outer screen shows, at the window's content, exactly the nested screen; a click and keys
//! on the outer display reach an application of the nested one; a resize of the outer window
//! resizes the nested screen; a thin client of the outer display sees both; and the nested
//! display ends, cleanly, when the outer one goes away.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use netui::{Color, Display, Event, InputEvent, Key, Point, Rect, ResourceId, Size};
use netui_testkit::process::{demo_program, workspace_program, KillOnDrop, Ready};
use netui_testkit::server::windows;
use netui_testkit::{input, TestDisplay, DEADLINE};

/// An outer headless display `:outer` and a nested display `:inner` of `size` in it.
struct Nested {
    outer: TestDisplay,
    server: Ready,
    inner: u16,
}

impl Nested {
    fn start(outer: u16, inner: u16, size: Size) -> Self {
        let outer_display = TestDisplay::numbered(outer, Size::new(640, 480));
        let server = Ready::start(
            outer_display
                .command(env!("CARGO_BIN_EXE_display-server"))
                .args(["--nested", "--no-tcp", "--display"])
                .arg(format!(":{inner}"))
                .arg("--size")
                .arg(format!("{}x{}", size.width, size.height))
                .stderr(Stdio::inherit()),
        );
        assert!(
            server
                .line
                .starts_with(&format!("netui display :{inner} ready (")),
            "{}",
            server.line
        );
        assert!(
            server.line.contains(&format!("nested in :{outer}")),
            "{}",
            server.line
        );
        Self {
            outer: outer_display,
            server,
            inner,
        }
    }

    fn inner_socket(&self) -> PathBuf {
        self.outer
            .dir
            .path()
            .join("netui")
            .join(format!("display-{}.sock", self.inner))
    }

    fn connect_inner(&self, name: &str) -> Display {
        Display::connect_unix(&self.inner_socket(), name).expect("the nested display answers")
    }

    /// A program on the nested display.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = self.outer.command(program);
        command.env("NETUI_DISPLAY", format!(":{}", self.inner));
        command
    }

    /// The nested screen's window on the outer screen: its content's rectangle.
    fn window(&self, outer: &mut Display) -> Rect {
        let title = format!("netui :{} (nested)", self.inner);
        windows(outer)
            .into_iter()
            .find(|w| w.title == title && w.mapped)
            .map(|w| w.rect)
            .expect("the nested display's window on the outer display")
    }
}

/// Waits until the outer screen at the nested window's content equals the nested screen, in
/// at least `min_colours` colours (what the applications draw), and returns that picture
/// (RGBA) and the window's rectangle.
fn wait_same_picture(
    nested: &Nested,
    outer: &mut Display,
    inner: &mut Display,
    min_colours: usize,
) -> (Vec<u8>, Rect) {
    let start = Instant::now();
    loop {
        let rect = nested.window(outer);
        let screen = inner
            .get_image(ResourceId::ROOT, None)
            .expect("inner screen");
        let shown = outer
            .get_image(ResourceId::ROOT, Some(rect))
            .expect("outer screen");
        if shown.area.size() == screen.area.size()
            && shown.rgba == screen.rgba
            && colours(&screen.rgba) >= min_colours
        {
            return (screen.rgba, rect);
        }
        if start.elapsed() > DEADLINE {
            let dir = std::env::temp_dir();
            let write = |name: &str, image: &netui::Image| {
                let path = dir.join(name);
                netui_testkit::golden::write_png(
                    &path,
                    image.area.width,
                    image.area.height,
                    &image.rgba,
                );
                path
            };
            panic!(
                "the outer screen at {rect:?} never showed the nested screen ({:?}, {} colours); \
                 see {} and {}",
                screen.area,
                colours(&screen.rgba),
                write("nested-inner.png", &screen).display(),
                write("nested-outer.png", &shown).display()
            );
        }
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// Waits until hello's window is on the nested display, and a little more for its drawing
/// (its pictures are compared until they agree anyway).
fn wait_for_hello(inner: &mut Display) {
    let start = Instant::now();
    while !windows(inner).iter().any(|w| w.title == "Hello, netui") {
        assert!(start.elapsed() < DEADLINE, "hello never opened its window");
        std::thread::sleep(Duration::from_millis(20));
    }
    inner.sync().expect("sync");
}

/// Colours of a screen with hello's shapes, text and image on it (not an empty desktop).
const HELLO_COLOURS: usize = 50;

/// Distinct colours in an RGBA picture.
fn colours(rgba: &[u8]) -> usize {
    let mut seen: Vec<[u8; 3]> = rgba.chunks_exact(4).map(|p| [p[0], p[1], p[2]]).collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

#[test]
fn a_nested_display_runs_hello_and_the_outer_screen_shows_its_screen_exactly() {
    let nested = Nested::start(83, 84, Size::new(320, 240));
    let _hello = KillOnDrop::spawn(nested.command(demo_program("hello")).stdout(Stdio::null()));
    let mut inner = nested.connect_inner("check");
    wait_for_hello(&mut inner);
    let mut outer = nested.outer.connect("check");
    let (picture, rect) = wait_same_picture(&nested, &mut outer, &mut inner, HELLO_COLOURS);
    assert_eq!(rect.size(), Size::new(320, 240));
    assert!(colours(&picture) >= HELLO_COLOURS);
}

#[test]
fn a_click_and_keys_on_the_outer_display_reach_the_inner_application() {
    let nested = Nested::start(85, 86, Size::new(320, 240));
    let mut app = nested.connect_inner("target");
    let green = Color::rgb(20, 160, 60);
    let window = app
        .create_window(Rect::new(40, 60, 120, 80), "target", green)
        .expect("window");
    app.map(window);
    app.sync().expect("sync");
    let mut inner = nested.connect_inner("check");
    let mut outer = nested.outer.connect("clicker");
    // The desktop, the window manager's frame and the green window.
    let (_, outer_rect) = wait_same_picture(&nested, &mut outer, &mut inner, 3);
    let at = windows(&mut inner)
        .into_iter()
        .find(|w| w.title == "target")
        .expect("the target window")
        .rect;
    // 7,9 inside the target window, as the outer screen shows it.
    let on_outer = Point::new(outer_rect.x + at.x + 7, outer_rect.y + at.y + 9);
    input::click(&mut outer, on_outer);
    outer.inject(InputEvent::Key {
        key: Key::Character('q'),
        pressed: true,
        text: "q".into(),
    });
    outer.inject(InputEvent::Key {
        key: Key::Character('q'),
        pressed: false,
        text: String::new(),
    });
    outer.sync().expect("sync");
    let (mut clicked, mut typed) = (None, None);
    let deadline = Instant::now() + DEADLINE;
    while clicked.is_none() || typed.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "clicked {clicked:?}, typed {typed:?}");
        match app.wait_event_timeout(left).expect("events") {
            Some(Event::ButtonPress { pos, .. }) => clicked = Some(pos),
            Some(Event::KeyPress(key)) => typed = Some(key.text),
            _ => {}
        }
    }
    assert_eq!(clicked, Some(Point::new(7, 9)));
    assert_eq!(typed.as_deref(), Some("q"));
}

#[test]
fn the_nested_screen_follows_a_resize_of_its_outer_window() {
    let nested = Nested::start(87, 88, Size::new(300, 200));
    let _hello = KillOnDrop::spawn(nested.command(demo_program("hello")).stdout(Stdio::null()));
    let mut inner = nested.connect_inner("check");
    wait_for_hello(&mut inner);
    let mut outer = nested.outer.connect("resizer");
    let (_, rect) = wait_same_picture(&nested, &mut outer, &mut inner, HELLO_COLOURS);
    // The outer window manager's border, bottom-right corner, dragged by 120 and 90.
    let corner = Point::new(rect.x + rect.width as i32, rect.y + rect.height as i32);
    input::drag(
        &mut outer,
        corner,
        Point::new(corner.x + 120, corner.y + 90),
    );
    outer.sync().expect("sync");
    let start = Instant::now();
    while inner.screen_size() != Size::new(420, 290) {
        assert!(
            start.elapsed() < DEADLINE,
            "the nested screen is {:?}",
            inner.screen_size()
        );
        // A fresh connection reads the screen's size now.
        inner = nested.connect_inner("check");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (picture, rect) = wait_same_picture(&nested, &mut outer, &mut inner, HELLO_COLOURS);
    assert_eq!(rect.size(), Size::new(420, 290));
    assert!(colours(&picture) >= HELLO_COLOURS);
    // hello is still there.
    assert!(windows(&mut inner)
        .iter()
        .any(|w| w.title == "Hello, netui"));
}

#[test]
fn a_thin_client_of_the_outer_display_sees_the_outer_and_the_nested_screen() {
    let nested = Nested::start(89, 90, Size::new(320, 240));
    let _hello = KillOnDrop::spawn(nested.command(demo_program("hello")).stdout(Stdio::null()));
    let mut inner = nested.connect_inner("check");
    wait_for_hello(&mut inner);
    let mut outer = nested.outer.connect("check");
    let (picture, rect) = wait_same_picture(&nested, &mut outer, &mut inner, HELLO_COLOURS);
    let shot = nested.outer.dir.path().join("viewer.png");
    let out = nested
        .outer
        .command(workspace_program("thin-client", "thin-client"))
        .args([":89", "--headless", "--seconds", "1", "--mode", "commands"])
        .arg("--screenshot")
        .arg(&shot)
        .output()
        .expect("thin-client runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoder = png::Decoder::new(std::fs::File::open(&shot).expect("screenshot"));
    let mut reader = decoder.read_info().expect("png");
    let mut rgba = vec![0; reader.output_buffer_size()];
    reader.next_frame(&mut rgba).expect("pixels");
    // The viewer's picture is the outer screen...
    assert_eq!(rgba, nested.outer.screen(), "the viewer's picture differs");
    // ... with the nested screen in the nested window.
    let width = 640usize;
    let mut cut = Vec::new();
    for y in rect.y..rect.y + rect.height as i32 {
        let start = (y as usize * width + rect.x as usize) * 4;
        cut.extend_from_slice(&rgba[start..start + rect.width as usize * 4]);
    }
    assert!(
        cut == picture,
        "the viewer's nested window differs from the nested screen"
    );
}

#[test]
fn the_nested_display_ends_cleanly_when_the_outer_display_goes_away() {
    let nested = Nested::start(91, 92, Size::new(200, 150));
    let socket = nested.inner_socket();
    let token = socket.with_file_name("display-92.token");
    assert!(socket.exists() && token.exists());
    let Nested {
        outer, mut server, ..
    } = nested;
    // Keep the runtime directory: the nested server's files are in it.
    let TestDisplay {
        server: outer_server,
        dir,
        ..
    } = outer;
    outer_server.stop();
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = server.child.0.try_wait().expect("try_wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the nested display did not end");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    assert!(!socket.exists(), "socket removed");
    assert!(!token.exists(), "token removed");
    drop(dir);
}

#[test]
fn without_an_outer_display_it_says_how_to_name_one() {
    let runtime = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_display-server"))
        .args(["--nested", "--no-tcp"])
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env_remove("NETUI_DISPLAY")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("set NETUI_DISPLAY"), "{stderr}");
    // An outer display that is not there: the error names it, and nothing is left behind.
    let out = Command::new(env!("CARGO_BIN_EXE_display-server"))
        .args(["--nested", "--no-tcp", "--display", ":5"])
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("NETUI_DISPLAY", ":4")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the outer display is :4"), "{stderr}");
    assert!(!runtime.path().join("netui/display-5.sock").exists());
    assert!(!runtime.path().join("netui/display-5.token").exists());
}
