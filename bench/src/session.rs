//! One workload on a headless server: a viewer per pixel encoding attached before it starts
//! (and, if asked, RFB viewers on the server's RFB endpoint), the application connected
//! through a recording proxy, and the server's screen at the end. The px-tiles viewer can
//! record the frames it showed ([`crate::frames`]), for the real VNC to be fed the same.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use netui::tls::TlsClient;
use netui::transport::Stream;
use netui::{Display, ResourceId, Size, Viewer, Window};
use netui_display_server::rfb::RfbConfig;
use netui_display_server::tls::ServerTls;
use netui_display_server::{ServerConfig, ServerHandle};
use netui_protocol::{Frame, FrameReader, Limits, PixelEncoding, ViewMessage, ViewMode};
use thin_client::link::{LinkProfile, LinkStats};
use thin_client::stats::Stats;
use thin_client::view::View;

use crate::command::differing_pixels;
use crate::frames::{Frames, Recorder};
use crate::record::Recording;
use crate::rfb_view::{self, RfbEncoding, RfbResult};

/// The password of the RFB endpoint of the benchmark's server (view-only: the RFB viewers
/// only watch). VNC passwords are at most 8 characters.
pub(crate) const RFB_PASSWORD: &str = "nb-full";
pub(crate) const RFB_VIEW_PASSWORD: &str = "nb-view";

/// How long a viewer must hear nothing, with the right pixels, to count as done.
const QUIET: Duration = Duration::from_millis(60);
/// The time between two frames of the application reaching the server (60 Hz).
const FRAME_PACE: Duration = Duration::from_micros(16_667);
/// How long a viewer may take to catch up after the workload ends.
const CATCH_UP: Duration = Duration::from_secs(30);

/// A workload's deterministic session.
pub type Script = fn(&mut Display, u32) -> Result<Window, netui::Error>;

/// What plays the application's part in a session.
#[derive(Clone)]
pub enum App {
    /// A demo's script, for a number of frames.
    Script(Script, u32),
    /// A recorded request stream, played back.
    Replay(Arc<Recording>),
}

impl App {
    /// The same application with its script cut to at most `frames` frames (a recording is
    /// played whole).
    pub fn at_most(&self, frames: u32) -> App {
        match self {
            App::Script(script, f) => App::Script(*script, (*f).min(frames)),
            App::Replay(r) => App::Replay(Arc::clone(r)),
        }
    }

    /// Frames it draws.
    pub fn frames(&self) -> u32 {
        match self {
            App::Script(_, f) => *f,
            App::Replay(r) => r.frames,
        }
    }

    /// Runs the application on `stream` on a thread of its own. When the server has carried
    /// out everything it sends `done` the application's id base (or why it failed); its
    /// connection, and so its windows, stay until `release` says or closes.
    pub fn spawn(
        &self,
        name: &str,
        stream: UnixStream,
        done: mpsc::Sender<Result<u32, String>>,
        release: Receiver<()>,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        let app = self.clone();
        let client_name = name.to_owned();
        std::thread::Builder::new()
            .name(format!("app {name}"))
            .spawn(move || match app {
                App::Script(script, frames) => {
                    let result = Display::connect_stream(
                        Stream::Unix(stream),
                        None,
                        "bandwidth".into(),
                        &client_name,
                    )
                    .and_then(|mut display| {
                        script(&mut display, frames)?;
                        Ok(display)
                    });
                    match result {
                        Ok(display) => {
                            let _ = done.send(Ok(display.welcome().id_base));
                            let _ = release.recv();
                            drop(display);
                        }
                        Err(e) => {
                            let _ = done.send(Err(e.to_string()));
                        }
                    }
                }
                App::Replay(recording) => match crate::record::play(stream, &recording) {
                    Ok(display) => {
                        let _ = done.send(Ok(recording.id_base));
                        let _ = release.recv();
                        drop(display);
                    }
                    Err(e) => {
                        let _ = done.send(Err(format!("{e:#}")));
                    }
                },
            })
    }
}

/// What one pixel-mode viewer measured.
#[derive(Debug, Clone)]
pub struct ViewerResult {
    /// The encoding.
    pub encoding: PixelEncoding,
    /// Bytes from the server to the viewer, handshake included.
    pub bytes_down: u64,
    /// Bytes from the server to the viewer until the first update was applied (the handshake
    /// and the whole first screen).
    pub first: u64,
    /// Bytes from the viewer to the server (hello, attach, acknowledgements).
    pub bytes_up: u64,
    /// Bytes of encoded pixel data in the updates, without the messages and frames around
    /// them.
    pub encoded: u64,
    /// Updates applied.
    pub updates: u64,
    /// CPU time of decoding (applying the view messages).
    pub decode: Duration,
    /// CPU time the server spent encoding this viewer's updates.
    pub encode: Duration,
    /// The frames it showed, if it was asked to record them.
    pub frames: Option<Frames>,
}

/// What a session measures besides netui's pixel viewers.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Record the frames the px-tiles viewer shows ([`Session::frames`]).
    pub record_frames: bool,
    /// RFB viewers to attach to the server's RFB endpoint, one per encoding.
    pub rfb: Vec<RfbEncoding>,
    /// Measure what a viewer that joins at the end needs for the whole screen, per pixel
    /// encoding and RFB encoding ([`Session::joins`]).
    pub join: bool,
}

/// What a session produced.
pub struct Session {
    /// The screen's size.
    pub size: Size,
    /// The server's screen at the end, RGBA.
    pub screen: Vec<u8>,
    /// Everything the application sent, hello frame first.
    pub recorded: Vec<u8>,
    /// The id base the server gave the application.
    pub id_base: u32,
    /// Bytes the server sent the application (welcome, replies, events).
    pub app_down: u64,
    /// One result per pixel encoding, or why it failed.
    pub viewers: Vec<Result<ViewerResult, String>>,
    /// One result per RFB viewer of [`Options::rfb`], or why it failed.
    pub rfb: Vec<Result<RfbResult, String>>,
    /// The frames the px-tiles viewer showed, if [`Options::record_frames`].
    pub frames: Option<Frames>,
    /// If [`Options::join`]: per protocol (each pixel encoding, each RFB encoding), the bytes
    /// a viewer that joins at the end receives until it shows the whole screen (handshake
    /// included), or why it did not.
    pub joins: Vec<(&'static str, Result<u64, String>)>,
}

/// Runs `app` on a fresh headless server of `size`.
pub fn run(size: Size, name: &str, app: &App, options: &Options) -> anyhow::Result<Session> {
    let rfb = (!options.rfb.is_empty()).then(|| RfbConfig {
        addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        password: RFB_PASSWORD.into(),
        view_only_password: RFB_VIEW_PASSWORD.into(),
    });
    let Headless {
        dir: _dir,
        socket,
        server,
        runtime,
    } = Headless::start_with(size, rfb)?;

    // The viewers, attached before the workload starts.
    let mut viewers = Vec::new();
    for encoding in PixelEncoding::ALL {
        // px-tiles, whose updates carry the server's drawing as hints for the recording.
        let record = options.record_frames && encoding == PixelEncoding::Tiles;
        viewers.push(spawn_viewer(&runtime, &socket, size, encoding, record)?);
    }
    let rfb_addr = server.rfb_addr();
    let mut rfb_viewers = Vec::new();
    if let Some(addr) = rfb_addr {
        for &encoding in &options.rfb {
            rfb_viewers.push(spawn_rfb_viewer(addr, encoding)?);
        }
    }

    // The application, through the recording proxy.
    let (app_end, proxy_end) = UnixStream::pair().context("socket pair")?;
    let upstream = UnixStream::connect(&socket).context("proxy connects")?;
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let app_down = Arc::new(AtomicU64::new(0));
    pace_frames(
        proxy_end.try_clone()?,
        upstream.try_clone()?,
        Arc::clone(&recorded),
    );
    pump(upstream, proxy_end, Some(Arc::clone(&app_down)));
    let (done_tx, done) = mpsc::channel();
    let (release_tx, release) = mpsc::channel::<()>();
    let app_thread = app.spawn(name, app_end, done_tx, release)?;
    let id_base = done
        .recv()
        .map_err(|_| anyhow!("the {name} application panicked"))?
        .map_err(|e| anyhow!("the {name} application failed: {e}"))?;

    // The script synced: the server has carried out (and the proxy seen) every request.
    // Reading the root presents pending damage first, so the viewers get the last frame too.
    let mut observer = Display::connect_unix(&socket, "bandwidth-observer")?;
    let image = observer.get_image(ResourceId::ROOT, None)?;
    let recorded = recorded.lock().map_err(|_| anyhow!("recorder"))?.clone();
    let screen = Arc::new(image.rgba);
    let pixels: Arc<Vec<u32>> = Arc::new(
        screen
            .chunks_exact(4)
            .map(|p| u32::from_be_bytes([0, p[0], p[1], p[2]]))
            .collect(),
    );
    for (target_tx, _) in &rfb_viewers {
        let _ = target_tx.send(Arc::clone(&pixels));
    }
    let mut results = Vec::new();
    let mut frames = None;
    for (target_tx, thread) in viewers {
        let _ = target_tx.send(Arc::clone(&screen));
        let mut result = thread
            .join()
            .unwrap_or_else(|_| Err("the viewer panicked".into()));
        if let Ok(r) = &mut result {
            frames = frames.or(r.frames.take());
        }
        results.push(result);
    }
    let rfb = rfb_viewers
        .into_iter()
        .map(|(_, thread)| {
            thread
                .join()
                .unwrap_or_else(|_| Err("the RFB viewer panicked".into()))
        })
        .collect();

    // Viewers that join now, each taking the whole screen.
    let mut joins = Vec::new();
    if options.join {
        for encoding in PixelEncoding::ALL {
            let bytes = spawn_viewer(&runtime, &socket, size, encoding, false)
                .map_err(|e| format!("{}: {e:#}", encoding.name()))
                .and_then(|(target, thread)| {
                    let _ = target.send(Arc::clone(&screen));
                    thread
                        .join()
                        .unwrap_or_else(|_| Err("the viewer panicked".into()))
                })
                .map(|v| v.bytes_down);
            joins.push((encoding.name(), bytes));
        }
        for &encoding in rfb_addr.iter().flat_map(|_| &options.rfb) {
            let bytes = rfb_addr
                .map_or_else(
                    || Err(anyhow!("no RFB endpoint")),
                    |addr| spawn_rfb_viewer(addr, encoding),
                )
                .map_err(|e| format!("{}: {e:#}", encoding.rfb_name()))
                .and_then(|(target, thread)| {
                    let _ = target.send(Arc::clone(&pixels));
                    thread
                        .join()
                        .unwrap_or_else(|_| Err("the RFB viewer panicked".into()))
                })
                .map(|r| r.bytes_down);
            joins.push((encoding.rfb_name(), bytes));
        }
    }
    let _ = release_tx.send(());
    let _ = app_thread.join();
    drop(observer);
    server.stop();
    Ok(Session {
        size,
        screen: Arc::try_unwrap(screen).unwrap_or_else(|s| (*s).clone()),
        recorded,
        id_base,
        app_down: app_down.load(Ordering::Relaxed),
        viewers: results,
        rfb,
        frames,
        joins,
    })
}

/// A viewer thread and the sender of the server's final screen, which it follows until it
/// shows.
type Spawned<T, R> = (
    mpsc::Sender<Arc<T>>,
    std::thread::JoinHandle<Result<R, String>>,
);

/// Attaches a netui pixel viewer in `encoding` (recording its frames if `record`) and
/// follows the server on a thread once it is attached.
fn spawn_viewer(
    runtime: &tokio::runtime::Runtime,
    socket: &std::path::Path,
    size: Size,
    encoding: PixelEncoding,
    record: bool,
) -> anyhow::Result<Spawned<Vec<u8>, ViewerResult>> {
    let stream = Stream::Unix(UnixStream::connect(socket).context("viewer connects")?);
    let (display, link) = thin_client::connect::open_stream(
        runtime,
        stream,
        None,
        encoding.name(),
        LinkProfile::unlimited(),
    )?;
    let (ready_tx, ready) = mpsc::channel();
    let (target_tx, target) = mpsc::channel();
    let recorder = record.then(|| Recorder::new(size));
    let thread = std::thread::Builder::new()
        .name(format!("viewer {}", encoding.name()))
        .spawn(move || follow(display, link, encoding, recorder, ready_tx, target))?;
    ready
        .recv_timeout(Duration::from_secs(10))
        .map_err(|_| anyhow!("{} viewer was not attached", encoding.name()))??;
    Ok((target_tx, thread))
}

/// Connects an RFB viewer in `encoding` to the RFB endpoint at `addr` and follows the
/// server on a thread once it has its first screen.
fn spawn_rfb_viewer(
    addr: std::net::SocketAddr,
    encoding: RfbEncoding,
) -> anyhow::Result<Spawned<Vec<u32>, RfbResult>> {
    let stream = std::net::TcpStream::connect(addr).context("RFB viewer connects")?;
    let (ready_tx, ready) = mpsc::channel();
    let (target_tx, target) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name(format!("rfb viewer {}", encoding.name()))
        .spawn(move || rfb_view::follow(stream, RFB_VIEW_PASSWORD, encoding, ready_tx, target))?;
    ready
        .recv_timeout(Duration::from_secs(10))
        .map_err(|_| anyhow!("{} viewer did not connect", encoding.rfb_name()))??;
    Ok((target_tx, thread))
}

/// A headless server of its own on a Unix socket in a temporary folder, and a runtime for the
/// viewers' emulated links.
pub struct Headless {
    /// The folder, removed when this goes.
    pub dir: tempfile::TempDir,
    /// The server's socket.
    pub socket: std::path::PathBuf,
    /// The server.
    pub server: ServerHandle,
    /// The runtime that moves the viewers' link traffic.
    pub runtime: tokio::runtime::Runtime,
}

impl Headless {
    /// Starts a server of `size`.
    pub fn start(size: Size) -> anyhow::Result<Headless> {
        Headless::start_with(size, None)
    }

    /// Starts a server of `size`, with an RFB endpoint if `rfb` says.
    pub fn start_with(size: Size, rfb: Option<RfbConfig>) -> anyhow::Result<Headless> {
        Headless::start_on(size, rfb, Transport::Unix)
    }

    /// Starts a server of `size`, with an RFB endpoint if `rfb` says, listening on
    /// loopback TCP too (in TLS or plain) unless `transport` is the Unix socket.
    pub fn start_on(
        size: Size,
        rfb: Option<RfbConfig>,
        transport: Transport,
    ) -> anyhow::Result<Headless> {
        let dir = tempfile::tempdir().context("temporary directory")?;
        let socket = dir.path().join("display.sock");
        let tls = match transport {
            Transport::Tls => Some(
                ServerTls::load_or_create(&dir.path().join("tls"))
                    .context("a TLS key for the server")?,
            ),
            Transport::Unix | Transport::Tcp => None,
        };
        let server = ServerHandle::start(ServerConfig {
            display: ":bandwidth".into(),
            size,
            unix: Some(socket.clone()),
            tcp: (transport != Transport::Unix).then(|| ([127, 0, 0, 1], 0).into()),
            tls,
            token: TOKEN.to_vec(),
            view_token: vec![8; 32],
            limits: Limits::default(),
            rfb,
        })
        .context("starting the headless server")?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .context("tokio runtime")?;
        Ok(Headless {
            dir,
            socket,
            server,
            runtime,
        })
    }

    /// A new connection to this server by `transport` (which it must listen on), and the
    /// token to present on it.
    pub fn stream(&self, transport: Transport) -> anyhow::Result<(Stream, Option<Vec<u8>>)> {
        connect_stream(&self.server, &self.socket, transport)
    }
}

/// A new connection to `server` (whose Unix socket is `socket`) by `transport`, which it
/// must listen on, and the token to present on it.
pub fn connect_stream(
    server: &ServerHandle,
    socket: &std::path::Path,
    transport: Transport,
) -> anyhow::Result<(Stream, Option<Vec<u8>>)> {
    {
        let tcp = || -> anyhow::Result<std::net::TcpStream> {
            let addr = server.tcp_addr().context("the server has no TCP port")?;
            let socket = std::net::TcpStream::connect(addr).context("connects over TCP")?;
            socket.set_nodelay(true).context("TCP_NODELAY")?;
            Ok(socket)
        };
        Ok(match transport {
            Transport::Unix => (
                Stream::Unix(UnixStream::connect(socket).context("connects")?),
                None,
            ),
            Transport::Tcp => (Stream::Tcp(tcp()?), Some(TOKEN.to_vec())),
            Transport::Tls => {
                let tls = server.tls().context("the server has no TLS")?;
                let client = TlsClient::pinned(tls.fingerprint, "127.0.0.1", ":bandwidth");
                (Stream::Tls(tcp()?, client), Some(TOKEN.to_vec()))
            }
        })
    }
}

/// The token of the benchmarks' servers.
const TOKEN: [u8; 32] = [9; 32];

/// How a benchmark's client reaches the server: the Unix socket, or loopback TCP in plain or
/// in TLS (to measure what TLS costs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Transport {
    /// The Unix socket.
    #[default]
    Unix,
    /// Plain TCP on loopback.
    Tcp,
    /// TLS 1.3 on loopback, the certificate pinned.
    Tls,
}

impl Transport {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Unix => "unix",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        }
    }
}

/// Copies `from` to `to` on a thread, counting the bytes.
fn pump(mut from: UnixStream, mut to: UnixStream, count: Option<Arc<AtomicU64>>) {
    std::thread::spawn(move || {
        let mut buf = vec![0; 64 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if let Some(count) = &count {
                count.fetch_add(n as u64, Ordering::Relaxed);
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}

/// Copies the application's frames to the server on a thread, keeping every byte, one frame
/// per [`FRAME_PACE`]: a script draws as fast as it can, and unpaced the server would merge
/// a whole session into two or three pixel updates, which no interactive session does.
fn pace_frames(mut from: UnixStream, mut to: UnixStream, keep: Arc<Mutex<Vec<u8>>>) {
    std::thread::spawn(move || {
        let rest = each_frame(&mut from, |frame| {
            if let Ok(mut keep) = keep.lock() {
                keep.extend_from_slice(frame.wire);
            }
            let sent = to.write_all(frame.wire).is_ok();
            std::thread::sleep(FRAME_PACE);
            sent
        });
        let _ = to.write_all(&rest);
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}

/// Reads `from` until it closes or `f` returns false, handing `f` each whole frame as it
/// arrives, decoded (its bytes as they came are [`Frame::wire`]); returns the bytes of a
/// frame cut off at the end. Once a frame breaks the rules no more are parsed: the bytes from
/// it on are returned, all of them, when `from` closes.
pub fn each_frame(from: &mut UnixStream, mut f: impl FnMut(Frame<'_>) -> bool) -> Vec<u8> {
    let mut frames = FrameReader::new(Limits::default());
    let mut parse = true;
    loop {
        while parse {
            match frames.next_frame() {
                Ok(Some(frame)) => {
                    if !f(frame) {
                        return frames.buffered().to_vec();
                    }
                }
                Ok(None) => break,
                Err(_) => parse = false,
            }
        }
        let n = match from.read(frames.spare()) {
            Ok(0) | Err(_) => return frames.buffered().to_vec(),
            Ok(n) => n,
        };
        frames.filled(n);
    }
}

/// A headless viewer: attaches in `encoding`, says when it is ready, applies and acknowledges
/// updates, and once it gets the server's final screen follows until it shows that screen and
/// the server has gone quiet.
fn follow(
    display: Display,
    link: Arc<LinkStats>,
    encoding: PixelEncoding,
    mut recorder: Option<Recorder>,
    ready: mpsc::Sender<anyhow::Result<()>>,
    target: Receiver<Arc<Vec<u8>>>,
) -> Result<ViewerResult, String> {
    let name = encoding.name();
    let mut viewer = Viewer::from(display);
    let views = viewer.take_views();
    if let Err(e) = viewer.attach_viewer(ViewMode::Pixels(encoding)) {
        let _ = ready.send(Err(anyhow!("{name}: cannot attach: {e}")));
        return Err(e.to_string());
    }
    let mut view = View::default();
    let mut stats = Stats::default();
    let mut decode = Duration::ZERO;
    let mut encoded = 0u64;
    let mut first = 0u64;
    let mut ready = Some(ready);
    let mut expected: Option<(Arc<Vec<u8>>, Instant)> = None;
    let mut last_message = Instant::now();
    loop {
        match views.recv_timeout(Duration::from_millis(20)) {
            Ok(message) => {
                last_message = Instant::now();
                let mut shape = Vec::new();
                if let ViewMessage::Pixels { rects, .. } = &message {
                    encoded += netui_scene::encoding::bytes(rects) as u64;
                    if recorder.is_some() {
                        shape = rects.iter().map(|r| (r.rect, r.kind)).collect();
                    }
                }
                let started = Instant::now();
                let applied = view
                    .apply(message)
                    .map_err(|e| format!("{name}: bad data from the display: {e}"))?;
                decode += started.elapsed();
                if let Some(update) = applied.update {
                    if let Some(recorder) = &mut recorder {
                        recorder
                            .record(&shape, view.drawings(), view.screen().pixels())
                            .map_err(|e| format!("{name}: recording frames: {e}"))?;
                    }
                    if first == 0 {
                        first = link.down.load(Ordering::Relaxed);
                    }
                    stats.update(applied.input, &applied.changed);
                    viewer
                        .ack_update(update)
                        .map_err(|e| format!("{name}: {e}"))?;
                }
                if view.mode().is_some() {
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(Ok(()));
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Err(format!("{name}: the display closed the connection"))
            }
        }
        if expected.is_none() {
            if let Ok(screen) = target.try_recv() {
                expected = Some((screen, Instant::now()));
            }
        }
        let Some((screen, since)) = &expected else {
            continue;
        };
        if last_message.elapsed() >= QUIET {
            let canvas = view.screen();
            let (_, rgba) = canvas.read_rgba(canvas.bounds());
            if rgba == **screen {
                let me = viewer.display().welcome().client_id;
                let info = viewer
                    .display_mut()
                    .server_info()
                    .map_err(|e| format!("{name}: {e}"))?;
                let encode = info
                    .clients
                    .iter()
                    .find(|c| c.id == me)
                    .map(|c| Duration::from_micros(c.encode_micros))
                    .ok_or_else(|| format!("{name}: not in the server's list of clients"))?;
                return Ok(ViewerResult {
                    encode,
                    first,
                    encoding,
                    bytes_down: link.down.load(Ordering::Relaxed),
                    bytes_up: link.up.load(Ordering::Relaxed),
                    encoded,
                    updates: stats.updates,
                    decode,
                    frames: recorder.take().map(Recorder::finish),
                });
            }
            if since.elapsed() > CATCH_UP {
                return Err(format!(
                    "{name}: the viewer's screen differs from the server's in {} pixels",
                    differing_pixels(&rgba, screen)
                ));
            }
        }
    }
}
