//! Shared by the demo tests: a headless display server serving `:1` in a private temporary
//! runtime directory (so that programs started with `NETUI_DISPLAY=:1` find it), and
//! golden-image comparison.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use netui::{Display, Image, Size};
use netui_protocol::display::socket_path;
use netui_protocol::Limits;
use netui_server::{ServerConfig, ServerHandle};

/// A headless display `:1` and its runtime directory.
pub struct Headless {
    pub handle: ServerHandle,
    pub runtime: tempfile::TempDir,
}

impl Headless {
    pub fn start(size: Size) -> Headless {
        let runtime = tempfile::tempdir().expect("tempdir");
        let dir = runtime.path().join("netui");
        netui_server::runtime::ensure_private_dir(&dir).expect("private dir");
        let handle = ServerHandle::start(ServerConfig {
            display: ":1".into(),
            size,
            unix: Some(socket_path(&dir, 1)),
            tcp: None,
            token: vec![7; 32],
            limits: Limits::default(),
        })
        .expect("server starts");
        Headless { handle, runtime }
    }

    /// A client connected over the Unix socket.
    pub fn client(&self, name: &str) -> Display {
        Display::connect_unix(self.handle.unix_path().expect("socket"), name).expect("connects")
    }

    /// A command that will find this display as `:1`.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env("XDG_RUNTIME_DIR", self.runtime.path())
            .env("NETUI_DISPLAY", ":1")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env("RUST_LOG", "warn");
        c
    }
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Compares an image read back from the server with `tests/golden/NAME.png`. On a mismatch it
/// writes `NAME.actual.png` beside it and fails; `NETUI_BLESS=1` (re)writes the golden
/// instead (look at it before committing it).
pub fn assert_golden(name: &str, image: &Image) {
    let path = golden_dir().join(format!("{name}.png"));
    let actual = golden_dir().join(format!("{name}.actual.png"));
    let (w, h) = (image.area.width, image.area.height);
    if std::env::var_os("NETUI_BLESS").is_some() {
        demos::image::write_png(&path, w, h, &image.rgba).expect("write golden");
    }
    match demos::image::read_png(&path) {
        Ok((ew, eh, expected)) if (ew, eh) == (w, h) && expected == image.rgba => {
            let _ = std::fs::remove_file(&actual);
        }
        other => {
            demos::image::write_png(&actual, w, h, &image.rgba).expect("write actual");
            let why = match other {
                Ok((ew, eh, expected)) if (ew, eh) == (w, h) => {
                    let n = expected
                        .chunks(4)
                        .zip(image.rgba.chunks(4))
                        .filter(|(a, b)| a != b)
                        .count();
                    format!("{n} pixels differ")
                }
                Ok((ew, eh, _)) => format!("size {w}x{h} differs from the golden's {ew}x{eh}"),
                Err(e) => format!("no golden: {e}"),
            };
            panic!(
                "{name}: {why}; actual written to {} (NETUI_BLESS=1 rewrites goldens)",
                actual.display()
            );
        }
    }
}
