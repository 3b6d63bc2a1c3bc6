//! The listeners: where connections come from. Each accepted stream is served, with its
//! [`Peer`], by the netui codec ([`crate::codec`]) on a task of its own.
//!
//! Unix and TCP for the netui protocol; the RFB port, whose connections [`crate::rfb`] serves
//! (plain or inside a WebSocket). The TCP port speaks TLS unless the server was told
//! otherwise: each connection's TLS handshake runs on its task, and the codec gets the
//! decrypted stream's halves. A connection in the wrong language gets a clear answer at once:
//! a plain netui hello on the TLS port is refused with [`Refusal::TlsRequired`] in plain
//! netui; a TLS handshake on a plain port is closed (the client says what that means).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use netui::tls::{TLS_READ_BUFFER, TLS_WRITE_BUFFER};
use netui_protocol::images::SharedImages;
use netui_protocol::{Limits, Refusal, Size};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{mpsc, watch};

use crate::codec;
use crate::core::{Core, CoreMsg};
use crate::error::ServerError;
use crate::peer::{Peer, Tokens};
use crate::rfb::{self, RfbConfig};
use crate::server::ServerConfig;

/// How long a TLS client has for its handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The bound listeners of a display.
pub struct Listeners {
    unix: Option<UnixListener>,
    tcp: Option<TcpListener>,
    /// TLS on the TCP port, unless it is plain.
    tls: Option<tokio_rustls::TlsAcceptor>,
    rfb: Option<TcpListener>,
}

impl Listeners {
    /// Binds what `config` asks for. A live socket at the Unix path means the display is
    /// taken; a dead one (left by a crash) is replaced.
    pub async fn bind(config: &ServerConfig) -> Result<Self, ServerError> {
        let unix = match &config.unix {
            Some(path) => Some(bind_unix(path, &config.display).await?),
            None => None,
        };
        let tcp = match config.tcp {
            Some(addr) => Some(bind_tcp(addr, &config.display).await?),
            None => None,
        };
        let rfb = match &config.rfb {
            Some(rfb) => Some(bind_tcp(rfb.addr, &config.display).await?),
            None => None,
        };
        let tls = config.tls.as_ref().map(|tls| tls.acceptor());
        Ok(Self {
            unix,
            tcp,
            tls,
            rfb,
        })
    }

    /// Serves the listeners that a service manager passed (socket activation) instead of
    /// binding any; `tls` secures the TCP one as [`Listeners::bind`] would.
    pub fn adopt(
        passed: crate::activation::Passed,
        tls: Option<&crate::tls::ServerTls>,
    ) -> Result<Self, ServerError> {
        let io = |what: &str| {
            let what = what.to_owned();
            move |e| ServerError::Io(format!("cannot serve the passed {what} socket"), e)
        };
        let unix = match passed.unix {
            Some(l) => {
                l.set_nonblocking(true).map_err(io("Unix"))?;
                Some(UnixListener::from_std(l).map_err(io("Unix"))?)
            }
            None => None,
        };
        let tcp_listener = |l: std::net::TcpListener, what: &str| {
            l.set_nonblocking(true).map_err(io(what))?;
            TcpListener::from_std(l).map_err(io(what))
        };
        let tcp = passed.tcp.map(|l| tcp_listener(l, "TCP")).transpose()?;
        let rfb = passed.rfb.map(|l| tcp_listener(l, "RFB")).transpose()?;
        Ok(Self {
            unix,
            tcp,
            tls: tls.map(crate::tls::ServerTls::acceptor),
            rfb,
        })
    }

    /// The path of the Unix socket, when it has one.
    pub fn unix_path(&self) -> Option<std::path::PathBuf> {
        let addr = self.unix.as_ref()?.local_addr().ok()?;
        addr.as_pathname().map(Path::to_path_buf)
    }

    /// The bound TCP address (with the real port when 0 was asked for).
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The bound RFB address (with the real port when 0 was asked for).
    pub fn rfb_addr(&self) -> Option<SocketAddr> {
        self.rfb.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Accepts connections, each served by its protocol's codec on a task of its own, until
    /// every listener is gone.
    pub(crate) async fn serve(self, shared: Arc<Shared>, core: mpsc::Sender<CoreMsg>) {
        let Listeners {
            unix,
            tcp,
            tls,
            rfb,
        } = self;
        loop {
            let accepted = tokio::select! {
                r = accept(unix.as_ref().map(|l| l.accept())), if unix.is_some() => {
                    r.map(|(s, _)| {
                        let (r, w) = s.into_split();
                        spawn(r, w, Peer::Unix, &shared, &core)
                    })
                }
                r = accept(tcp.as_ref().map(|l| l.accept())), if tcp.is_some() => {
                    r.map(|(s, addr)| {
                        let _ = s.set_nodelay(true);
                        spawn_tcp(s, addr, tls.clone(), &shared, &core)
                    })
                }
                r = accept(rfb.as_ref().map(|l| l.accept())), if rfb.is_some() => {
                    r.map(|(s, addr)| spawn_rfb(s, addr, &shared, &core))
                }
                else => return,
            };
            if let Err(e) = accepted {
                // Out of file descriptors, say, although the reserve should prevent it: wait
                // a little rather than spin.
                tracing::warn!(
                    open = shared.open.load(Ordering::Relaxed),
                    "cannot accept a connection: {e}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// An accept, or the error that it failed with.
async fn accept<T>(
    accept: Option<impl std::future::Future<Output = std::io::Result<T>>>,
) -> std::io::Result<T> {
    match accept {
        Some(accept) => accept.await,
        None => std::future::pending().await,
    }
}

/// Connections being refused at once, at most: each holds a descriptor of the reserve while
/// its refusal is written.
const REFUSING_MAX: usize = (crate::runtime::FD_RESERVE / 2) as usize;

/// A connection's place among the [`Shared::capacity`] that the server can serve; given
/// back when the connection ends.
struct Slot(Arc<Shared>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Shared {
    /// A place for a new connection, if the server has file descriptors to serve it.
    fn slot(self: &Arc<Self>) -> Option<Slot> {
        let taken = self
            .open
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < self.capacity).then_some(n + 1)
            })
            .is_ok();
        taken.then(|| Slot(Arc::clone(self)))
    }
}

/// What every connection of a server shares.
pub(crate) struct Shared {
    /// The secrets that TCP clients must present.
    pub(crate) tokens: Tokens,
    /// The limits the codec reads and writes with.
    pub(crate) limits: Limits,
    /// The RFB endpoint's passwords, when it is on.
    pub(crate) rfb: Option<RfbConfig>,
    /// TLS with the display's certificate, for VeNCrypt on the RFB port.
    pub(crate) tls: Option<tokio_rustls::TlsAcceptor>,
    /// The screen's size, as the core last set it.
    pub(crate) screen_size: watch::Receiver<Size>,
    /// The core's cache of coded images, which the connections' readers code into.
    pub(crate) images: SharedImages,
    /// The display's name (`:N`), which VNC viewers show in their title.
    pub(crate) display: String,
    /// Failed VNC authentications per address, and the addresses refused for now.
    pub(crate) rfb_guard: rfb::guard::Guard,
    /// The VNC viewers whose updates' answers someone in the process watches.
    pub(crate) rfb_answers: rfb::answer::AnswerWatch,
    next_conn: AtomicU64,
    /// Connections being served (or refused).
    open: AtomicUsize,
    /// Connections the server can serve at once ([`crate::runtime::connection_capacity`]).
    capacity: usize,
    /// Connections being refused now.
    refusing: AtomicUsize,
}

impl Shared {
    pub(crate) fn new(
        tokens: Tokens,
        limits: Limits,
        rfb: Option<RfbConfig>,
        tls: Option<tokio_rustls::TlsAcceptor>,
        core: &Core,
        display: String,
        rfb_answers: rfb::answer::AnswerWatch,
    ) -> Self {
        Self {
            tokens,
            limits,
            rfb,
            tls,
            screen_size: core.screen_size(),
            images: core.images(),
            display,
            rfb_guard: rfb::guard::Guard::default(),
            rfb_answers,
            next_conn: AtomicU64::new(1),
            open: AtomicUsize::new(0),
            capacity: crate::runtime::connection_capacity(),
            refusing: AtomicUsize::new(0),
        }
    }
}

/// Serves one accepted RFB connection on a task of its own; the core hears `Gone` when it
/// ends (if it ever became a client).
fn spawn_rfb(
    stream: tokio::net::TcpStream,
    addr: SocketAddr,
    shared: &Arc<Shared>,
    core: &mpsc::Sender<CoreMsg>,
) {
    let conn = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    let Some(slot) = shared.slot() else {
        tracing::warn!(
            conn, %addr, capacity = shared.capacity,
            "refused an RFB connection: the server serves as many as its open-file limit allows"
        );
        return;
    };
    let shared = Arc::clone(shared);
    let core = core.clone();
    tokio::spawn(async move {
        let _slot = slot;
        tracing::debug!(conn, %addr, "RFB connection opened");
        if let Err(e) = rfb::serve(conn, stream, addr, shared, core.clone()).await {
            tracing::info!(conn, error = %e, "RFB connection ended");
        }
        let _ = core.send(CoreMsg::Gone { conn }).await;
    });
}

async fn bind_tcp(addr: SocketAddr, display: &str) -> Result<TcpListener, ServerError> {
    TcpListener::bind(addr).await.map_err(|e| {
        ServerError::DisplayInUse(format!(
            "cannot listen on TCP {addr} for display {display}: {e} (is another server using \
             it? choose another display number)"
        ))
    })
}

/// Serves one accepted stream on a task of its own; the core hears `Gone` when it ends.
fn spawn<R, W>(reader: R, writer: W, peer: Peer, shared: &Arc<Shared>, core: &mpsc::Sender<CoreMsg>)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let conn = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    let Some(slot) = shared.slot() else {
        return refuse(conn, reader, writer, peer, shared);
    };
    let shared = Arc::clone(shared);
    let core = core.clone();
    tokio::spawn(async move {
        let _slot = slot;
        serve(conn, reader, writer, peer, &shared, core).await;
    });
}

async fn serve<R, W>(
    conn: u64,
    reader: R,
    writer: W,
    peer: Peer,
    shared: &Shared,
    core: mpsc::Sender<CoreMsg>,
) where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    tracing::debug!(conn, %peer, "connection opened");
    if let Err(e) = codec::serve(conn, reader, writer, peer, shared, core.clone()).await {
        tracing::info!(conn, error = %e, "connection ended");
    }
    let _ = core.send(CoreMsg::Gone { conn }).await;
}

/// The first bytes of a TLS connection: a handshake record (22) of TLS major version 3. A
/// netui hello starts with its frame's length, little-endian, which for a hello (well under
/// 768 bytes) never has these two bytes.
fn looks_like_tls(first: &[u8]) -> bool {
    matches!(first, [0x16, 0x03, ..])
}

/// The first two bytes that a new connection sends (fewer if it closes first), left in the
/// socket for whoever reads it next; `None` when nothing comes within the hello's time.
async fn peek_start(stream: &tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut first = [0u8; 2];
    let peek = async {
        loop {
            match stream.peek(&mut first).await {
                Ok(n) if n >= 2 || n == 0 => return Some(n),
                // One byte so far: wait for the next.
                Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                Err(_) => return None,
            }
        }
    };
    let n = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, peek)
        .await
        .ok()??;
    Some(first[..n].to_vec())
}

/// Serves one accepted TCP connection: in TLS when the server has an acceptor (its handshake
/// first, on a task of its own, then the codec on the decrypted stream; a plain netui client
/// gets a plain refusal that says the port speaks TLS), else in plain TCP (`--insecure-tcp`;
/// a TLS client is closed at once with a line in the log, and its TLS library reports the
/// end).
fn spawn_tcp(
    stream: tokio::net::TcpStream,
    addr: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: &Arc<Shared>,
    core: &mpsc::Sender<CoreMsg>,
) {
    let conn = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    let peer = match tls {
        Some(_) => Peer::Tls(addr),
        None => Peer::Tcp(addr),
    };
    let Some(slot) = shared.slot() else {
        let (r, w) = stream.into_split();
        return refuse(conn, r, w, peer, shared);
    };
    let shared = Arc::clone(shared);
    let core = core.clone();
    tokio::spawn(async move {
        let _slot = slot;
        let Some(first) = peek_start(&stream).await else {
            return;
        };
        let Some(tls) = tls else {
            if looks_like_tls(&first) {
                tracing::info!(
                    conn,
                    %addr,
                    "closed a TLS connection on the plain TCP port (the server runs with \
                     --insecure-tcp; its token file says `tls off`)"
                );
                return;
            }
            let (r, w) = stream.into_split();
            return serve(conn, r, w, peer, &shared, core).await;
        };
        if !first.is_empty() && !looks_like_tls(&first) {
            tracing::info!(conn, %addr, "refused a plain client on the TLS port");
            let (r, w) = stream.into_split();
            codec::refuse_plain(r, w, Refusal::TlsRequired).await;
            return;
        }
        // rustls reads at most 4 KiB a time from what is under it: without a buffer there,
        // bulk requests (images) cost a read system call per 4 KiB.
        let stream = tokio::io::BufReader::with_capacity(TLS_READ_BUFFER, stream);
        let mut stream = match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, tls.accept(stream)).await
        {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                tracing::info!(conn, %addr, "TLS handshake failed: {e}");
                return;
            }
            Err(_) => {
                tracing::info!(conn, %addr, "no TLS handshake within 10 s");
                return;
            }
        };
        stream.get_mut().1.set_buffer_limit(Some(TLS_WRITE_BUFFER));
        let (r, w) = tokio::io::split(stream);
        serve(conn, r, w, peer, &shared, core).await;
    });
}

/// Refuses a connection that the server has no descriptors left to serve: its hello is
/// answered with [`Refusal::TooManyClients`](netui_protocol::Refusal::TooManyClients), from
/// the reserve, unless too many are being refused already (then it is closed at once).
fn refuse<R, W>(conn: u64, reader: R, writer: W, peer: Peer, shared: &Arc<Shared>)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let open = shared.open.load(Ordering::Relaxed);
    tracing::warn!(
        conn, %peer, open, capacity = shared.capacity,
        "refusing a client: the server serves as many as its open-file limit allows"
    );
    let refusing = shared.refusing.fetch_add(1, Ordering::Relaxed);
    if refusing >= REFUSING_MAX {
        shared.refusing.fetch_sub(1, Ordering::Relaxed);
        return;
    }
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        codec::refuse_full(reader, writer).await;
        shared.refusing.fetch_sub(1, Ordering::Relaxed);
    });
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
