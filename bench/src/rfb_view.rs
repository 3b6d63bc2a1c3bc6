//! An RFB viewer for the benchmark: [`netui_rfb::client::Client`] over a stream whose bytes
//! are counted each way, asking for one of the three encodings the benchmark compares.
//!
//! The same viewer watches netui's own RFB endpoint ([`crate::session`]) and TigerVNC's Xvnc
//! ([`crate::vnc`]), so both are measured, and decoded, by the same code.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use anyhow::Context;
use netui_rfb::client::{Client, ServerMessage, Update};
use netui_rfb::encoding;

use crate::frames::{psnr, PsnrSummary};

/// An RFB encoding as the benchmark asks for it (every one with CopyRect, as real viewers
/// ask).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RfbEncoding {
    /// ZRLE.
    Zrle,
    /// Tight without JPEG: lossless.
    Tight,
    /// Tight with JPEG at a quality level (0 to 9), for the areas the server finds
    /// photographic: lossy, reported with its PSNR.
    TightJpeg(u8),
}

impl RfbEncoding {
    /// The three, in report order, JPEG at `quality`.
    pub fn all(quality: u8) -> [RfbEncoding; 3] {
        [
            RfbEncoding::Zrle,
            RfbEncoding::Tight,
            RfbEncoding::TightJpeg(quality),
        ]
    }

    /// Its name after `rfb-` (netui's server) or `vnc-` (Xvnc) in reports.
    pub fn name(self) -> &'static str {
        match self {
            RfbEncoding::Zrle => "zrle",
            RfbEncoding::Tight => "tight",
            RfbEncoding::TightJpeg(_) => "tight-jpeg",
        }
    }

    /// Its protocol name in reports through netui's own server.
    pub fn rfb_name(self) -> &'static str {
        match self {
            RfbEncoding::Zrle => "rfb-zrle",
            RfbEncoding::Tight => "rfb-tight",
            RfbEncoding::TightJpeg(_) => "rfb-tight-jpeg",
        }
    }

    /// Its protocol name in reports through TigerVNC's Xvnc.
    pub fn vnc_name(self) -> &'static str {
        match self {
            RfbEncoding::Zrle => "vnc-zrle",
            RfbEncoding::Tight => "vnc-tight",
            RfbEncoding::TightJpeg(_) => "vnc-tight-jpeg",
        }
    }

    /// Whether what the viewer shows must equal the server's pixels.
    pub fn lossless(self) -> bool {
        !matches!(self, RfbEncoding::TightJpeg(_))
    }

    /// The SetEncodings list: the encoding, CopyRect, Raw and DesktopSize (as every real
    /// viewer lists them), and for JPEG its quality level.
    pub fn list(self) -> Vec<i32> {
        let mut list = match self {
            RfbEncoding::Zrle => vec![encoding::ZRLE],
            RfbEncoding::Tight | RfbEncoding::TightJpeg(_) => vec![encoding::TIGHT],
        };
        list.extend([encoding::COPY_RECT, encoding::RAW, encoding::DESKTOP_SIZE]);
        if let RfbEncoding::TightJpeg(q) = self {
            list.push(encoding::JPEG_QUALITY.start() + i32::from(q.min(9)));
        }
        list
    }
}

/// What one RFB viewer received for a workload.
#[derive(Debug, Clone)]
pub struct RfbResult {
    /// The encoding it asked for.
    pub encoding: RfbEncoding,
    /// Bytes from the server, handshake included.
    pub bytes_down: u64,
    /// Bytes from the server up to the end of the first full screen (handshake included).
    pub first: u64,
    /// Bytes a viewer that joins after the last frame receives until it shows the whole
    /// screen (handshake included), where measured.
    pub join: Option<u64>,
    /// Bytes to the server (handshake, encodings, update requests).
    pub bytes_up: u64,
    /// Frames delivered, the first full screen included (Xvnc: the frames fed; netui's
    /// server: the updates read): the steady state is per frame.
    pub frames: u64,
    /// FramebufferUpdate messages read.
    pub updates: u64,
    /// CPU time spent decoding.
    pub decode: Duration,
    /// Bytes of CopyRect rectangles received.
    pub copy_bytes: u64,
    /// Lossy encodings: the PSNR of the viewer's screen against each frame.
    pub psnr: Option<PsnrSummary>,
}

/// Byte counts and time spent waiting in `read`, shared with a [`Counted`] stream.
#[derive(Debug, Default)]
pub struct Counts {
    /// Bytes read (from the server).
    pub down: AtomicU64,
    /// Bytes written (to the server).
    pub up: AtomicU64,
    /// Nanoseconds spent inside the stream's `read`, waiting for the server.
    pub waited: AtomicU64,
}

/// A stream that counts what goes through it.
pub struct Counted<S> {
    inner: S,
    counts: Arc<Counts>,
}

impl<S: Read> Read for Counted<S> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let started = Instant::now();
        let n = self.inner.read(buf);
        self.counts
            .waited
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        let n = n?;
        self.counts.down.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<S: Write> Write for Counted<S> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.counts.up.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// An RFB viewer: a connected, decoding client and what it counted.
pub struct RfbView<S: Read + Write> {
    client: Client<Counted<S>>,
    counts: Arc<Counts>,
    /// The encoding it asked for.
    pub encoding: RfbEncoding,
    /// CPU time spent decoding (reading updates, less the time waiting for bytes).
    pub decode: Duration,
    /// FramebufferUpdates read.
    pub updates: u64,
    /// Bytes of CopyRect rectangles received.
    pub copy_bytes: u64,
}

impl<S: Read + Write> RfbView<S> {
    /// Connects over `stream` (the handshake, with `password` if the server asks for one)
    /// and sends the encodings of `encoding`.
    pub fn connect(
        stream: S,
        password: Option<&str>,
        encoding: RfbEncoding,
    ) -> anyhow::Result<RfbView<S>> {
        let counts = Arc::new(Counts::default());
        let stream = Counted {
            inner: stream,
            counts: Arc::clone(&counts),
        };
        // A server that offers no authentication (Xvnc here) is not sent the password.
        let client = Client::connect(stream, password.unwrap_or(""), &encoding.list())
            .context("RFB handshake")?;
        Ok(RfbView {
            client,
            counts,
            encoding,
            decode: Duration::ZERO,
            updates: 0,
            copy_bytes: 0,
        })
    }

    /// Asks for an update of the whole screen (`incremental`: only what changed).
    pub fn request(&mut self, incremental: bool) -> anyhow::Result<()> {
        let size = self.client.canvas().size();
        self.client
            .request_update(incremental, netui_protocol::Rect::from_size(size))
            .context("sending an update request")
    }

    /// Reads messages until a whole FramebufferUpdate has been applied; what it brought.
    pub fn read_update(&mut self) -> anyhow::Result<Update> {
        let started = Instant::now();
        let waited = self.counts.waited.load(Ordering::Relaxed);
        let update = loop {
            match self.client.read_message().context("reading an update")? {
                ServerMessage::Update(update) => {
                    self.copy_bytes += update.bytes_of(encoding::COPY_RECT) as u64;
                    break update;
                }
                // Bells, cut text, fences: nothing the benchmark asked for; skipped.
                _ => continue,
            }
        };
        let waiting = Duration::from_nanos(
            self.counts
                .waited
                .load(Ordering::Relaxed)
                .saturating_sub(waited),
        );
        self.decode += started.elapsed().saturating_sub(waiting);
        self.updates += 1;
        Ok(update)
    }

    /// What the viewer shows, `0x00RRGGBB`.
    pub fn pixels(&self) -> &[u32] {
        self.client.canvas().pixels()
    }

    /// Bytes from the server so far, handshake included.
    pub fn bytes_down(&self) -> u64 {
        self.counts.down.load(Ordering::Relaxed)
    }

    /// Bytes to the server so far.
    pub fn bytes_up(&self) -> u64 {
        self.counts.up.load(Ordering::Relaxed)
    }
}

/// The least PSNR (dB) a lossy viewer's screen may have against the server's to count as
/// showing it (as the RFB endpoint's own JPEG test asks, `display-server/tests/rfb.rs`).
pub const PSNR_FLOOR: f64 = 30.0;

/// How long a live viewer must hear nothing, after the workload, to count as done.
const QUIET: Duration = Duration::from_millis(60);
/// How long a live viewer may take to catch up after the workload ends.
const CATCH_UP: Duration = Duration::from_secs(30);
/// The longest a live viewer waits for bytes the server owes it (an update it began).
const STALLED: Duration = Duration::from_secs(30);

/// A live RFB viewer of netui's own server (the RFB endpoint at `stream`): connects with
/// `password`, takes its first full screen, says so on `ready`, then asks for an update as
/// soon as it has applied one, as VNC viewers do, until it gets the server's final screen on
/// `target` and shows it (lossless), or the server has been quiet for `QUIET` after it
/// (lossy, reported with its PSNR against it).
pub fn follow(
    stream: TcpStream,
    password: &str,
    encoding: RfbEncoding,
    ready: mpsc::Sender<anyhow::Result<()>>,
    target: mpsc::Receiver<Arc<Vec<u32>>>,
) -> Result<RfbResult, String> {
    let name = format!("rfb-{}", encoding.name());
    let started = (|| {
        let _ = stream.set_nodelay(true);
        let probe = stream.try_clone()?;
        probe.set_read_timeout(Some(STALLED))?;
        let mut viewer = RfbView::connect(stream, Some(password), encoding)?;
        viewer.request(false)?;
        viewer.read_update()?;
        // The whole screen may come in several updates (the server's copy of the screen
        // fills as the display sends it): it is there once the server has been quiet.
        loop {
            viewer.request(true)?;
            if !wait_for_bytes(&probe, QUIET)? {
                break;
            }
            viewer.read_update()?;
        }
        anyhow::Ok((viewer, probe))
    })();
    let (mut viewer, probe) = match started {
        Ok(v) => {
            let _ = ready.send(Ok(()));
            v
        }
        Err(e) => {
            let message = format!("{name}: {e:#}");
            let _ = ready.send(Err(anyhow::anyhow!("{message}")));
            return Err(message);
        }
    };
    let first = viewer.bytes_down();
    // The updates of the first screen count as one: the steady state is per update after it.
    let first_updates = viewer.updates;
    let fail = |e: &dyn std::fmt::Display| format!("{name}: {e}");
    let mut expected: Option<(Arc<Vec<u32>>, Instant)> = None;
    let mut last_update = Instant::now();
    // The first screen's loop left a request outstanding.
    let mut asked = true;
    loop {
        if !asked {
            viewer.request(true).map_err(|e| fail(&format!("{e:#}")))?;
            asked = true;
        }
        // Wait for the server's answer a little at a time, to look at the target between.
        let ready_to_read =
            wait_for_bytes(&probe, Duration::from_millis(20)).map_err(|e| fail(&e))?;
        if ready_to_read {
            viewer.read_update().map_err(|e| fail(&format!("{e:#}")))?;
            last_update = Instant::now();
            asked = false;
        }
        if expected.is_none() {
            if let Ok(screen) = target.try_recv() {
                expected = Some((screen, Instant::now()));
            }
        }
        let Some((screen, since)) = &expected else {
            continue;
        };
        let psnr = if encoding.lossless() {
            if viewer.pixels() != screen.as_slice() {
                if since.elapsed() > CATCH_UP {
                    return Err(fail(&format!(
                        "the viewer's screen differs from the server's in {} pixels",
                        differing(viewer.pixels(), screen)
                    )));
                }
                continue;
            }
            None
        } else {
            if ready_to_read || last_update.elapsed() < QUIET || since.elapsed() < QUIET {
                continue;
            }
            let mut summary = PsnrSummary::default();
            summary.add(psnr(viewer.pixels(), screen));
            Some(summary)
        };
        return Ok(RfbResult {
            encoding,
            bytes_down: viewer.bytes_down(),
            first,
            join: None,
            bytes_up: viewer.bytes_up(),
            frames: viewer.updates - first_updates + 1,
            updates: viewer.updates,
            decode: viewer.decode,
            copy_bytes: viewer.copy_bytes,
            psnr,
        });
    }
}

/// Waits up to `timeout` for bytes to read on `probe` (a clone of the viewer's socket),
/// without reading them; leaves the socket's read timeout at [`STALLED`] for the viewer.
pub(crate) fn wait_for_bytes(probe: &TcpStream, timeout: Duration) -> std::io::Result<bool> {
    probe.set_read_timeout(Some(timeout))?;
    let peeked = probe.peek(&mut [0u8; 1]);
    probe.set_read_timeout(Some(STALLED))?;
    match peeked {
        Ok(0) => Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        )),
        Ok(_) => Ok(true),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Pixels that differ between two screens (and pixels one has more than the other).
pub fn differing(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x != y).count() + a.len().abs_diff(b.len())
}
