//! A virtual X server for the tests of windows: the windowed display server and the thin
//! client's window. xdotool finds, moves, clicks and types into windows; xwd reads their
//! pixels back.
//!
//! These tests need Xvfb, xdotool and xwd (Debian: xvfb, xdotool, x11-apps, plus the libraries
//! winit loads: libx11-xcb1, libxcursor1, libxi6, libxkbcommon-x11-0). Without Xvfb,
//! [`Xvfb::start`] returns `None` and the test says it was skipped, unless
//! `NETUI_REQUIRE_XVFB` is set (`.ci/run` sets it), in which case the test fails.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::KillOnDrop;
use crate::DEADLINE;

/// A running Xvfb, on a display number it chose itself; killed when dropped.
pub struct Xvfb {
    display: String,
    _process: KillOnDrop,
}

/// A window's pixels as X shows them.
#[derive(Debug, Clone)]
pub struct Capture {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row after row, `0x00RRGGBB`.
    pub pixels: Vec<u32>,
}

impl Xvfb {
    /// Starts an Xvfb with a 1280x800 screen. `None` when Xvfb is not installed and
    /// `NETUI_REQUIRE_XVFB` is not set (it says that the test was skipped); a failure when it
    /// is set.
    pub fn start() -> Option<Xvfb> {
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
                // No auto-repeat: a key that xdotool presses and releases must type once,
                // even when a loaded machine keeps the release back past the repeat delay
                // (CI once saw "zz" for one z under the German layout; more likely it was
                // winit's made-up press on focus, which `input_from_winit` now drops).
                "-r",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let Ok(mut child) = spawned else {
            assert!(
                std::env::var_os("NETUI_REQUIRE_XVFB").is_none(),
                "NETUI_REQUIRE_XVFB is set but Xvfb is not installed"
            );
            eprintln!("SKIPPED: Xvfb is not installed (apt-get install xvfb xdotool x11-apps)");
            return None;
        };
        let stdout = child.stdout.take().expect("a piped stdout");
        let process = KillOnDrop(child);
        let mut number = String::new();
        BufReader::new(stdout)
            .read_line(&mut number)
            .expect("Xvfb says its display");
        Some(Xvfb {
            display: format!(":{}", number.trim()),
            _process: process,
        })
    }

    /// Its X display name, for `DISPLAY`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// Runs xdotool on this display and returns what it printed.
    pub fn xdotool(&self, args: &[&str]) -> String {
        let out = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .output()
            .expect("xdotool runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits for a window whose name matches `name` (a regular expression, as xdotool takes
    /// it) and returns its id.
    pub fn find_window(&self, name: &str) -> String {
        let start = Instant::now();
        loop {
            let found = self.xdotool(&["search", "--name", name]);
            if let Some(id) = found.lines().next() {
                return id.to_owned();
            }
            assert!(
                start.elapsed() < DEADLINE,
                "no window named {name:?} appeared"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Moves the pointer to (`x`, `y`) inside `window` and clicks the left button.
    pub fn click(&self, window: &str, x: i32, y: i32) {
        self.xdotool(&[
            "mousemove",
            "--window",
            window,
            &x.to_string(),
            &y.to_string(),
            "click",
            "1",
        ]);
    }

    /// The pixels of `window` as X shows them (read with xwd).
    pub fn capture(&self, window: &str) -> Capture {
        let out = Command::new("xwd")
            .args(["-silent", "-id", window])
            .env("DISPLAY", &self.display)
            .output()
            .expect("xwd runs");
        assert!(out.status.success(), "xwd failed");
        parse_xwd(&out.stdout)
    }

    /// Waits until `check` holds for the pixels of `window` (width, height, `0x00RRGGBB`
    /// rows). Fails after [`DEADLINE`], naming `what` and keeping the last capture as a PNG in
    /// the temporary directory.
    pub fn wait_pixels(&self, window: &str, what: &str, check: impl Fn(u32, u32, &[u32]) -> bool) {
        let start = Instant::now();
        loop {
            let capture = self.capture(window);
            if check(capture.width, capture.height, &capture.pixels) {
                return;
            }
            if start.elapsed() > DEADLINE {
                let path = failure_path(window);
                crate::golden::write_png(
                    &path,
                    capture.width,
                    capture.height,
                    &crate::golden::rgba(&capture.pixels),
                );
                panic!(
                    "{what}: not seen on the X screen; screenshot in {}",
                    path.display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Where a failed wait keeps its last capture: outside any test's temporary directory, which
/// goes away with the failing test.
fn failure_path(window: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "netui-test-{}-window-{window}.png",
        std::process::id()
    ))
}

/// Reads an XWD dump of a 24-bit TrueColor window (what `xwd` writes for Xvfb).
pub fn parse_xwd(data: &[u8]) -> Capture {
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
    Capture {
        width,
        height,
        pixels,
    }
}

/// The X clipboard through `xclip` (Debian: xclip), for the clipboard tests.
impl Xvfb {
    /// Whether `xclip` is installed; when it is not, the test says it is skipped, or fails
    /// when `NETUI_REQUIRE_XVFB` is set.
    pub fn has_xclip() -> bool {
        let found = Command::new("xclip")
            .arg("-version")
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if !found {
            assert!(
                std::env::var_os("NETUI_REQUIRE_XVFB").is_none(),
                "NETUI_REQUIRE_XVFB is set but xclip is not installed"
            );
            eprintln!("SKIPPED: xclip is not installed (apt-get install xclip)");
        }
        found
    }

    /// The X clipboard's text, as `xclip -o` reads it (empty when it has none).
    pub fn clipboard_text(&self) -> String {
        let out = Command::new("xclip")
            .args(["-selection", "clipboard", "-o"])
            .env("DISPLAY", &self.display)
            .stderr(Stdio::null())
            .output()
            .expect("xclip runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Copies `text` to the X clipboard, as a program there would; `xclip` stays to serve it
    /// until another program copies (or the returned process is dropped).
    pub fn copy_text(&self, text: &str) -> KillOnDrop {
        let mut xclip = KillOnDrop::spawn(
            Command::new("xclip")
                .args(["-selection", "clipboard", "-i", "-quiet"])
                .env("DISPLAY", &self.display)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        let mut stdin = xclip.0.stdin.take().expect("xclip's stdin");
        stdin.write_all(text.as_bytes()).expect("write to xclip");
        drop(stdin);
        xclip
    }
}
