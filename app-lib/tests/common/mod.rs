//! Shared test fixtures: a real headless server on a temporary socket and a free TCP port,
//! and golden-image comparison.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use netui::{Display, Rect};
use netui_protocol::{Limits, Size};
use netui_server::{ServerConfig, ServerHandle};

/// A running server and the temporary directory that holds its socket.
pub struct TestServer {
    pub handle: ServerHandle,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    /// A 320x240 headless server on a temporary Unix socket and 127.0.0.1 at a free port.
    pub fn start() -> Self {
        Self::with_size(Size::new(320, 240))
    }

    pub fn with_size(size: Size) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let handle = ServerHandle::start(ServerConfig {
            display: ":test".into(),
            size,
            unix: Some(dir.path().join("display.sock")),
            tcp: Some("127.0.0.1:0".parse().expect("address")),
            token: b"test-token-0123456789abcdef".to_vec(),
            limits: Limits::default(),
        })
        .expect("server starts");
        Self { handle, dir }
    }

    pub fn socket(&self) -> PathBuf {
        self.handle.unix_path().expect("unix socket").to_owned()
    }

    /// A client over the Unix socket.
    pub fn client(&self, name: &str) -> Display {
        Display::connect_unix(&self.socket(), name).expect("client connects")
    }

    /// A client over TCP with the right token.
    pub fn tcp_client(&self, name: &str) -> Display {
        let addr = self.handle.tcp_addr().expect("tcp");
        Display::connect_tcp(addr, Some(self.handle.token().to_vec()), name)
            .expect("tcp client connects")
    }
}

/// The RGBA pixel at (x, y) of an image `width` wide.
pub fn pixel(rgba: &[u8], width: u32, x: u32, y: u32) -> [u8; 4] {
    let i = ((y * width + x) * 4) as usize;
    [rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]]
}

/// The RGBA of a screen pixel, read back from the server.
pub fn screen_pixel(display: &mut Display, x: i32, y: i32) -> [u8; 4] {
    let image = display
        .get_image(netui::ResourceId::ROOT, Some(Rect::new(x, y, 1, 1)))
        .expect("get_image");
    [image.rgba[0], image.rgba[1], image.rgba[2], image.rgba[3]]
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Compares pixels with `tests/golden/NAME.png`. On a mismatch it writes
/// `tests/golden/NAME.actual.png` beside it and fails. With `NETUI_BLESS=1` a missing or
/// different golden is (re)written instead: look at it before committing it.
pub fn assert_golden(name: &str, width: u32, height: u32, rgba: &[u8]) {
    let path = golden_dir().join(format!("{name}.png"));
    let actual_path = golden_dir().join(format!("{name}.actual.png"));
    let bless = std::env::var_os("NETUI_BLESS").is_some();
    let expected = read_png(&path);
    match expected {
        Some((w, h, data)) if w == width && h == height && data == rgba => {
            let _ = std::fs::remove_file(&actual_path);
        }
        _ if bless => write_png(&path, width, height, rgba),
        None => {
            write_png(&actual_path, width, height, rgba);
            panic!(
                "golden {} is missing; the actual image is in {} (NETUI_BLESS=1 writes it)",
                path.display(),
                actual_path.display()
            );
        }
        Some((w, h, data)) => {
            write_png(&actual_path, width, height, rgba);
            let differing = if (w, h) == (width, height) {
                data.chunks(4)
                    .zip(rgba.chunks(4))
                    .filter(|(a, b)| a != b)
                    .count()
            } else {
                usize::MAX
            };
            panic!(
                "pixels differ from {} ({w}x{h}) in {differing} pixels; actual ({width}x{height}) written to {}",
                path.display(),
                actual_path.display()
            );
        }
    }
}

fn read_png(path: &Path) -> Option<(u32, u32, Vec<u8>)> {
    let file = std::fs::File::open(path).ok()?;
    let decoder = png::Decoder::new(std::io::BufReader::new(file));
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).ok()?;
    buf.truncate(info.buffer_size());
    (info.color_type == png::ColorType::Rgba).then_some((info.width, info.height, buf))
}

fn write_png(path: &Path, width: u32, height: u32, rgba: &[u8]) {
    let file = std::fs::File::create(path).expect("create png");
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("png header");
    writer.write_image_data(rgba).expect("png data");
}
