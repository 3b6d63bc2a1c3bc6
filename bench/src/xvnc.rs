//! TigerVNC's `Xvnc`, the real VNC server, started for one workload, and an X11 client
//! ([`x11rb`]) that makes it show recorded frames as an X application would draw them.
//!
//! Xvnc runs on a display number of its own (it picks a free one, `-displayfd`), with the
//! workload's screen size at depth 24, and is reachable only from this user: its RFB end is
//! a Unix socket in an owner-only temporary folder (`-rfbunixpath`; TCP is off with
//! `-rfbport -1`, and `-localhost -interface 127.0.0.1` would hold for it anyway), the X
//! server listens on no TCP port (`-nolisten tcp`), and `-SecurityTypes None` is safe
//! because nobody else can reach the socket.
//!
//! The [`Feeder`] covers the screen with one override-redirect window (no window manager
//! runs; its cursor is blank, so that Xvnc draws no pointer into the framebuffer for a client
//! that does not take the cursor as a pseudo-encoding) and draws each [`Frame`] on it: the
//! copies as `CopyArea` within the window, which Xvnc tracks and can send as CopyRect, then
//! the patches as `PutImage`, then a round trip so that Xvnc has every change before a
//! client asks.

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use netui_protocol::{Point, Rect, Size};
use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::xproto::{
    ConnectionExt as _, CreateGCAux, CreateWindowAux, EventMask, ImageFormat, WindowClass,
};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

use crate::frames::Frame;

/// The program's name, looked up in `PATH`.
pub const PROGRAM: &str = "Xvnc";
/// How long Xvnc may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// Where `Xvnc` is, if it is installed.
pub fn find() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(PROGRAM))
        .find(|p| p.is_file())
}

/// A running Xvnc, stopped when this goes.
pub struct Xvnc {
    child: Child,
    /// The X display number it took.
    pub display: u32,
    rfb_socket: PathBuf,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Xvnc {
    /// Starts `program` (see [`find`]) with a screen of `size`, depth 24.
    pub fn start(program: &Path, size: Size) -> anyhow::Result<Xvnc> {
        // tempfile makes the folder owner-only (0700).
        let dir = tempfile::Builder::new()
            .prefix("netui-xvnc")
            .tempdir()
            .context("temporary directory for Xvnc")?;
        let rfb_socket = dir.path().join("rfb.sock");
        let log = dir.path().join("Xvnc.log");
        let log_file = std::fs::File::create(&log).context("Xvnc's log file")?;
        let mut child = Command::new(program)
            .args(["-displayfd", "1"])
            .args(["-geometry", &format!("{}x{}", size.width, size.height)])
            .args(["-depth", "24"])
            .args(["-rfbport", "-1"])
            .arg("-rfbunixpath")
            .arg(&rfb_socket)
            .args(["-rfbunixmode", "0600"])
            .args(["-localhost", "-interface", "127.0.0.1"])
            .args(["-nolisten", "tcp"])
            .args(["-SecurityTypes", "None"])
            // Three clients watch at once; none may push the others out.
            .arg("-AlwaysShared")
            .args(["-desktop", "netui-bench"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        // Xvnc writes its display number to -displayfd once it accepts connections.
        let stdout = child.stdout.take().context("Xvnc's stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut xvnc = Xvnc {
            child,
            display: 0,
            rfb_socket,
            log,
            _dir: dir,
        };
        let line = rx.recv_timeout(START_TIMEOUT).unwrap_or_default();
        xvnc.display = match line.trim().parse() {
            Ok(n) => n,
            Err(_) => bail!(
                "Xvnc did not start within {} s; its log: {}",
                START_TIMEOUT.as_secs(),
                xvnc.log_tail()
            ),
        };
        // The RFB socket is made after the display is announced; wait for it.
        for _ in 0..200 {
            if xvnc.rfb_socket.exists() {
                return Ok(xvnc);
            }
            if let Ok(Some(status)) = xvnc.child.try_wait() {
                bail!("Xvnc exited ({status}); its log: {}", xvnc.log_tail());
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        bail!("Xvnc made no RFB socket; its log: {}", xvnc.log_tail())
    }

    /// A new RFB connection to it.
    pub fn connect_rfb(&self) -> anyhow::Result<UnixStream> {
        UnixStream::connect(&self.rfb_socket)
            .with_context(|| format!("connecting to Xvnc at {}", self.rfb_socket.display()))
    }

    /// The X display's name (`:N`).
    pub fn display_name(&self) -> String {
        format!(":{}", self.display)
    }

    /// The last lines of Xvnc's log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n  ")
    }
}

impl Drop for Xvnc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An X client that draws frames on a window covering Xvnc's screen.
pub struct Feeder {
    conn: RustConnection,
    window: u32,
    gc: u32,
    size: Size,
    /// Rows of the screen's width that fit one PutImage request.
    rows_per_put: usize,
    /// Bytes of X requests sent (headers and images).
    pub bytes: u64,
}

impl Feeder {
    /// Connects to `xvnc`'s display and maps a blank, cursorless window over its `size`
    /// screen.
    pub fn connect(xvnc: &Xvnc, size: Size) -> anyhow::Result<Feeder> {
        let (conn, screen_num) = x11rb::connect(Some(&xvnc.display_name()))
            .with_context(|| format!("X connection to Xvnc {}", xvnc.display_name()))?;
        let screen = conn
            .setup()
            .roots
            .get(screen_num)
            .context("Xvnc has no screen")?
            .clone();
        if screen.root_depth != 24 {
            bail!("Xvnc's screen has depth {}, not 24", screen.root_depth);
        }
        let (width, height) = (
            u16::try_from(size.width).context("screen too wide for X")?,
            u16::try_from(size.height).context("screen too tall for X")?,
        );
        // A blank cursor: a 1x1 bitmap whose mask is cleared.
        let bitmap = conn.generate_id()?;
        conn.create_pixmap(1, bitmap, screen.root, 1, 1)?;
        let clear = conn.generate_id()?;
        conn.create_gc(clear, bitmap, &CreateGCAux::new().foreground(0))?;
        conn.poly_fill_rectangle(
            bitmap,
            clear,
            &[x11rb::protocol::xproto::Rectangle {
                x: 0,
                y: 0,
                width: 1,
                height: 1,
            }],
        )?;
        let cursor = conn.generate_id()?;
        conn.create_cursor(cursor, bitmap, bitmap, 0, 0, 0, 0, 0, 0, 0, 0)?;
        let window = conn.generate_id()?;
        conn.create_window(
            24,
            window,
            screen.root,
            0,
            0,
            width,
            height,
            0,
            WindowClass::INPUT_OUTPUT,
            screen.root_visual,
            &CreateWindowAux::new()
                .override_redirect(1)
                .background_pixel(0)
                .cursor(cursor)
                .event_mask(EventMask::NO_EVENT),
        )?;
        let gc = conn.generate_id()?;
        conn.create_gc(gc, window, &CreateGCAux::new().graphics_exposures(0))?;
        conn.map_window(window)?;
        conn.sync().context("X round trip")?;
        let rows_per_put = ((conn.maximum_request_bytes() - 32) / (size.width as usize * 4)).max(1);
        let mut feeder = Feeder {
            conn,
            window,
            gc,
            size,
            rows_per_put,
            bytes: 0,
        };
        feeder.check_errors()?;
        Ok(feeder)
    }

    /// Draws `frame` (copies, then patches) and waits until the X server has done it.
    pub fn draw(&mut self, frame: &Frame) -> anyhow::Result<()> {
        let bounds = Rect::from_size(self.size);
        for (dst, src) in frame.copies() {
            let (dst, src) = crate::frames::clip_copy(dst, src, bounds);
            if dst.is_empty() {
                continue;
            }
            self.copy(dst, src)?;
        }
        for patch in &frame.patches {
            self.put(patch.rect, &patch.pixels)?;
        }
        self.conn.sync().context("X round trip")?;
        self.check_errors()
    }

    fn copy(&mut self, dst: Rect, src: Point) -> anyhow::Result<()> {
        self.conn.copy_area(
            self.window,
            self.window,
            self.gc,
            src.x as i16,
            src.y as i16,
            dst.x as i16,
            dst.y as i16,
            dst.width as u16,
            dst.height as u16,
        )?;
        self.bytes += 28;
        Ok(())
    }

    /// PutImage of `pixels` (`0x00RRGGBB`, rows of `rect`), in as many requests as the
    /// server's request size needs.
    fn put(&mut self, rect: Rect, pixels: &[u32]) -> anyhow::Result<()> {
        let width = rect.width as usize;
        if width == 0 {
            return Ok(());
        }
        let rows = (self.rows_per_put * self.size.width as usize / width).max(1);
        for (i, chunk) in pixels.chunks(rows * width).enumerate() {
            // ZPixmap at depth 24 is 32 bits a pixel, in the byte order the server announced:
            // little-endian, so 0x00RRGGBB is written as it is.
            let data: Vec<u8> = chunk.iter().flat_map(|p| p.to_le_bytes()).collect();
            let height = (chunk.len() / width) as u16;
            self.conn.put_image(
                ImageFormat::Z_PIXMAP,
                self.window,
                self.gc,
                rect.width as u16,
                height,
                rect.x as i16,
                (rect.y + (i * rows) as i32) as i16,
                0,
                24,
                &data,
            )?;
            self.bytes += 24 + data.len() as u64;
        }
        Ok(())
    }

    /// Fails on any X error that has arrived.
    fn check_errors(&mut self) -> anyhow::Result<()> {
        while let Some(event) = self.conn.poll_for_event()? {
            if let Event::Error(e) = event {
                return Err(anyhow!("Xvnc refused a request: {e:?}"));
            }
        }
        Ok(())
    }
}
