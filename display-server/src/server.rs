//! Listening and connections: the tokio side of the server.
//!
//! One task per connection reads frames, decodes them (concurrently with every other
//! connection) and hands the requests to the core thread; a writer task per connection batches
//! whatever the core sends back into frames, in the compression the client's hello asked for
//! (pixel updates excepted: they go in plain frames of their own, px-raw and px-damage never
//! compressed). The core owns all state, so nothing here
//! locks.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use netui_protocol::connection::{FrameReader, ServerHandshake};
use netui_protocol::frame::{self, BatchWriter, Compression};
use netui_protocol::{
    ClientHello, Limits, RectEncoding, Refusal, ServerMessage, Size, ViewMessage,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{mpsc, oneshot};

use crate::backend::{Backend, Headless};
use crate::core::{ConnId, Core, CoreMsg, Incoming, ScreenSink, OUTBOX_CAPACITY};
use crate::error::ServerError;
use crate::peer::{Access, Peer};

/// How long a new connection has to send its hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Batches that may wait for the core before readers pause (backpressure).
const CORE_QUEUE: usize = 256;

/// Where and how a server listens.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The display name it serves, for `netinfo` (such as `:3`).
    pub display: String,
    /// Screen size.
    pub size: Size,
    /// Unix socket path, if any.
    pub unix: Option<PathBuf>,
    /// TCP address, if any (port 0 picks a free one).
    pub tcp: Option<SocketAddr>,
    /// The secret that TCP clients must present.
    pub token: Vec<u8>,
    /// Limits enforced on clients.
    pub limits: Limits,
}

/// A server whose listeners are bound, ready to run.
pub struct Server {
    config: ServerConfig,
    unix: Option<UnixListener>,
    tcp: Option<TcpListener>,
    tcp_addr: Option<SocketAddr>,
    screen_tx: mpsc::UnboundedSender<CoreMsg>,
    screen_rx: mpsc::UnboundedReceiver<CoreMsg>,
}

impl Server {
    /// Binds the listeners. A live socket at the Unix path means the display is taken; a dead
    /// one (left by a crash) is replaced.
    pub async fn bind(config: ServerConfig) -> Result<Self, ServerError> {
        let unix = match &config.unix {
            Some(path) => Some(bind_unix(path, &config.display).await?),
            None => None,
        };
        let tcp = match config.tcp {
            Some(addr) => Some(TcpListener::bind(addr).await.map_err(|e| {
                ServerError::DisplayInUse(format!(
                    "cannot listen on TCP {addr} for display {}: {e} (is another server using \
                     it? choose another display number)",
                    config.display
                ))
            })?),
            None => None,
        };
        let tcp_addr = tcp.as_ref().and_then(|l| l.local_addr().ok());
        let (screen_tx, screen_rx) = mpsc::unbounded_channel();
        Ok(Self {
            config,
            unix,
            tcp,
            tcp_addr,
            screen_tx,
            screen_rx,
        })
    }

    /// The way for a screen's window to send input and resizes to this server's core.
    pub fn screen_sink(&self) -> ScreenSink {
        ScreenSink::new(self.screen_tx.clone())
    }

    /// The bound TCP address (with the real port when 0 was asked for).
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp_addr
    }

    /// The Unix socket path.
    pub fn unix_path(&self) -> Option<&Path> {
        self.config.unix.as_deref()
    }

    /// Serves until `shutdown` completes, with the headless backend.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), ServerError> {
        self.run_with(Box::new(Headless::default()), shutdown).await
    }

    /// Serves until `shutdown` completes, presenting frames through `backend`. On the way out
    /// the Unix socket file is removed and the core thread is joined.
    pub async fn run_with(
        self,
        backend: Box<dyn Backend>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), ServerError> {
        let Server {
            config,
            unix,
            tcp,
            screen_rx,
            ..
        } = self;
        let (core_tx, core_rx) = mpsc::channel(CORE_QUEUE);
        let core = Core::new(config.size, config.limits, config.display.clone(), backend);
        let core_thread = std::thread::Builder::new()
            .name("netui-core".into())
            .spawn(move || core.run(core_rx, screen_rx))
            .map_err(|e| ServerError::Io("cannot start the core thread".into(), e))?;

        let shared = Arc::new(Shared {
            token: config.token.clone(),
            limits: config.limits,
            next_conn: AtomicU64::new(1),
        });
        let accept = accept_loop(unix, tcp, shared, core_tx);
        tokio::select! {
            () = accept => {}
            () = shutdown => tracing::info!("shutting down"),
        }
        // Dropping the accept loop drops the listeners and the core's last sender that is not
        // held by a connection; connection tasks end with the runtime.
        if let Some(path) = &config.unix {
            let _ = std::fs::remove_file(path);
        }
        drop(core_thread);
        Ok(())
    }
}

async fn bind_unix(path: &Path, display: &str) -> Result<UnixListener, ServerError> {
    if path.exists() {
        if tokio::net::UnixStream::connect(path).await.is_ok() {
            return Err(ServerError::DisplayInUse(format!(
                "display {display} is already served (socket {} answers); choose another \
                 display number",
                path.display()
            )));
        }
        let _ = std::fs::remove_file(path);
    }
    UnixListener::bind(path)
        .map_err(|e| ServerError::Io(format!("cannot listen on {}", path.display()), e))
}

struct Shared {
    token: Vec<u8>,
    limits: Limits,
    next_conn: AtomicU64,
}

async fn accept_loop(
    unix: Option<UnixListener>,
    tcp: Option<TcpListener>,
    shared: Arc<Shared>,
    core: mpsc::Sender<CoreMsg>,
) {
    loop {
        let accepted = tokio::select! {
            r = async { unix.as_ref()?.accept().await.ok() }, if unix.is_some() => {
                r.map(|(s, _)| { let (r, w) = s.into_split(); spawn(r, w, Peer::Unix, &shared, &core) })
            }
            r = async { tcp.as_ref()?.accept().await.ok() }, if tcp.is_some() => {
                r.map(|(s, addr)| {
                    let _ = s.set_nodelay(true);
                    let (r, w) = s.into_split();
                    spawn(r, w, Peer::Tcp(addr), &shared, &core)
                })
            }
            else => return,
        };
        if accepted.is_none() {
            // accept() failed (out of file descriptors, say): wait a little rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn spawn<R, W>(reader: R, writer: W, peer: Peer, shared: &Arc<Shared>, core: &mpsc::Sender<CoreMsg>)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let conn = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    let shared = Arc::clone(shared);
    let core = core.clone();
    tokio::spawn(async move {
        tracing::debug!(conn, %peer, "connection opened");
        let core2 = core.clone();
        if let Err(e) = connection(conn, reader, writer, peer, &shared, core).await {
            tracing::info!(conn, error = %e, "connection ended");
        }
        let _ = core2.send(CoreMsg::Gone { conn }).await;
    });
}

/// One connection from hello to close.
async fn connection<R, W>(
    conn: ConnId,
    mut reader: R,
    mut writer: W,
    peer: Peer,
    shared: &Shared,
    core: mpsc::Sender<CoreMsg>,
) -> Result<(), std::io::Error>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut handshake = ServerHandshake::new();
    let hello =
        match tokio::time::timeout(HELLO_TIMEOUT, read_hello(&mut reader, &mut handshake)).await {
            Ok(Ok(hello)) => hello,
            Ok(Err(refusal)) => return refuse(&mut writer, handshake, refusal).await,
            Err(_) => return Err(std::io::Error::other("no hello within 10 s")),
        };
    let access = match Access::admit(&peer, hello.token.as_deref(), &shared.token) {
        Ok(access) => access,
        Err(refusal) => {
            if refusal == Refusal::WrongToken {
                tracing::warn!(conn, %peer, "refused a connection with a wrong token");
            }
            return refuse(&mut writer, handshake, refusal).await;
        }
    };
    let (outbox_tx, outbox_rx) = mpsc::channel(OUTBOX_CAPACITY);
    let (respond, answer) = oneshot::channel();
    let compression = hello.compression;
    core.send(CoreMsg::Hello {
        conn,
        name: hello.client_name,
        peer,
        access,
        outbox: outbox_tx,
        respond,
    })
    .await
    .map_err(|_| std::io::Error::other("server is shutting down"))?;
    let welcome = match answer.await {
        Ok(Ok(welcome)) => welcome,
        Ok(Err(refusal)) => return refuse(&mut writer, handshake, refusal).await,
        Err(_) => return Err(std::io::Error::other("server is shutting down")),
    };
    // The reader goes on from the hello: requests that came right behind it are kept.
    let (answer, frames) = handshake.accept(welcome).map_err(std::io::Error::other)?;
    write_hello(&mut writer, &answer).await?;

    let writing = write_loop(writer, outbox_rx, shared.limits, compression);
    tokio::pin!(writing);
    tokio::select! {
        result = read_loop(conn, &mut reader, frames, &core) => {
            // The core has been told (Gone or ProtocolError) and drops the outbox, so the
            // writer sends what is left, such as the error report, and ends.
            writing.await?;
            result
        }
        result = &mut writing => result,
    }
}

async fn refuse<W: AsyncWrite + Unpin>(
    writer: &mut W,
    handshake: ServerHandshake,
    refusal: Refusal,
) -> std::io::Result<()> {
    let why = refusal.to_string();
    let answer = handshake.refuse(refusal).map_err(std::io::Error::other)?;
    write_hello(writer, &answer).await?;
    let _ = writer.shutdown().await;
    Err(std::io::Error::other(format!("refused: {why}")))
}

async fn write_hello<W: AsyncWrite + Unpin>(writer: &mut W, answer: &[u8]) -> std::io::Result<()> {
    writer.write_all(answer).await?;
    writer.flush().await
}

/// Reads until the handshake has the client's hello, checked (magic, version, format).
async fn read_hello<R: AsyncRead + Unpin>(
    reader: &mut R,
    handshake: &mut ServerHandshake,
) -> Result<ClientHello, Refusal> {
    loop {
        if let Some(hello) = handshake.poll()? {
            return Ok(hello);
        }
        // A failed read ends the hello as a closed connection does.
        let n = reader.read(handshake.spare()).await.unwrap_or(0);
        handshake.filled(n);
    }
}

/// Reads frames until the peer closes or breaks the rules, handing requests to the core.
/// The client writes in whichever compression it likes: the reader decodes them all, keeping
/// the context that `lz4-ctx` frames need.
async fn read_loop<R: AsyncRead + Unpin>(
    conn: ConnId,
    reader: &mut R,
    mut frames: FrameReader,
    core: &mpsc::Sender<CoreMsg>,
) -> Result<(), std::io::Error> {
    let mut seq: u32 = 0;
    loop {
        match frames.next_frame() {
            Ok(Some(frame)) => {
                let items = decode_batch(frame.bodies, &mut seq);
                core.send(CoreMsg::Batch { conn, items })
                    .await
                    .map_err(|_| std::io::Error::other("core gone"))?;
                continue;
            }
            Ok(None) => {}
            Err(error) => {
                let _ = core.send(CoreMsg::ProtocolError { conn, error }).await;
                return Ok(());
            }
        }
        // The reader makes room for the rest of the frame in progress (bounded by the limits
        // its header was checked against).
        let read = reader.read(frames.spare()).await;
        match read {
            Ok(0) => {
                let _ = core.send(CoreMsg::Gone { conn }).await;
                return Ok(());
            }
            Ok(n) => frames.filled(n),
            Err(e) => {
                let _ = core.send(CoreMsg::Gone { conn }).await;
                return Err(e);
            }
        }
    }
}

/// Decodes the requests of one frame (its framing was checked by the reader). A request
/// that does not decode is kept as an error for the core to report: the length prefix lets
/// the batch go on.
fn decode_batch<'a>(bodies: impl Iterator<Item = &'a [u8]>, seq: &mut u32) -> Vec<Incoming> {
    bodies
        .map(|body| {
            *seq = seq.wrapping_add(1);
            Incoming {
                seq: *seq,
                opcode: frame::opcode(body),
                request: frame::decode_request(body),
            }
        })
        .collect()
}

/// Sends what the core puts in the outbox, batching whatever has piled up into frames in
/// the client's chosen compression.
async fn write_loop<W: AsyncWrite + Unpin>(
    mut writer: W,
    mut outbox: mpsc::Receiver<ServerMessage>,
    limits: Limits,
    compression: Compression,
) -> Result<(), std::io::Error> {
    let mut batch = BatchWriter::new(limits, compression);
    while let Some(first) = outbox.recv().await {
        push(&mut batch, &first, compression)?;
        while batch.pending_bytes() < 1 << 20 {
            let Ok(next) = outbox.try_recv() else { break };
            push(&mut batch, &next, compression)?;
        }
        writer.write_all(&batch.take_frames()).await?;
    }
    writer.flush().await?;
    let _ = writer.shutdown().await;
    Ok(())
}

/// Adds a message to the batch. A pixel update goes in a plain frame of its own, outside any
/// `lz4-ctx` context: px-raw and px-damage uncompressed, as their names say; the LZ4
/// encodings' updates with one more LZ4 pass if the client asked for compression, because
/// LZ4 codes long runs (the zeros of a delta) as strings of length bytes that a second pass
/// removes (a third of px-delta-lz4's bytes for an animation on the modem).
fn push(
    batch: &mut BatchWriter,
    message: &ServerMessage,
    compression: Compression,
) -> std::io::Result<()> {
    if let ServerMessage::View(ViewMessage::Pixels { rects, .. }) = message {
        let lz4 = rects
            .iter()
            .any(|r| matches!(r.kind, RectEncoding::Lz4 | RectEncoding::DeltaLz4));
        let frame = if lz4 && compression != Compression::None {
            Compression::Lz4
        } else {
            Compression::None
        };
        batch.set_compression(frame);
        batch.push(message).map_err(std::io::Error::other)?;
        batch.set_compression(compression);
        return Ok(());
    }
    batch.push(message).map_err(std::io::Error::other)
}

/// A server running on threads of its own, for tests, tools and benchmarks.
pub struct ServerHandle {
    unix: Option<PathBuf>,
    tcp: Option<SocketAddr>,
    token: Vec<u8>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerHandle {
    /// Binds and starts a headless server; returns once it accepts connections.
    pub fn start(config: ServerConfig) -> Result<Self, ServerError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| ServerError::Io("cannot start the tokio runtime".into(), e))?;
        let token = config.token.clone();
        let unix = config.unix.clone();
        let server = runtime.block_on(Server::bind(config))?;
        let tcp = server.tcp_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("netui-server".into())
            .spawn(move || {
                let _ = runtime.block_on(server.run(async {
                    let _ = stopped.await;
                }));
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(|e| ServerError::Io("cannot start the server thread".into(), e))?;
        Ok(Self {
            unix,
            tcp,
            token,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The Unix socket path, if it listens on one.
    pub fn unix_path(&self) -> Option<&Path> {
        self.unix.as_deref()
    }

    /// The TCP address, if it listens on one.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp
    }

    /// The token that TCP clients must present.
    pub fn token(&self) -> &[u8] {
        &self.token
    }

    /// Stops the server and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}
