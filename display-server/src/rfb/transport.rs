//! The bytes of an RFB connection, over plain TCP, in TLS (VeNCrypt) or inside a WebSocket
//! (noVNC), plain (`ws://`) or in TLS (`wss://`), moved by two tasks of their own so that the
//! connection's loop never blocks on the network.
//!
//! The RFB server speaks first, a browser does not: [`sniff`] looks at what a new connection
//! sends within [`SNIFF_TIME`] without taking it. A TLS record (a ClientHello, first byte
//! 0x16) is `wss://`: the TLS handshake with the display's certificate, then the WebSocket's
//! upgrade inside it. `GET ` is `ws://`: the upgrade (RFC 6455, binary messages) on the bare
//! socket. Silence is a VNC viewer waiting for the server's version (libvncserver tells them
//! apart the same way), which may then choose VeNCrypt.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Notify};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// How long a new connection has to start a TLS or WebSocket handshake before it is taken
/// for a VNC viewer.
pub const SNIFF_TIME: Duration = Duration::from_millis(200);
/// Bytes of one read.
const READ_CHUNK: usize = 64 * 1024;
/// Chunks read and not yet handled: the reader waits beyond this (backpressure).
const READ_QUEUE: usize = 8;
/// The largest WebSocket message (or frame) a browser may send: RFB client messages are
/// small, and a clipboard transfer is bounded by the RFB parser anyway.
const MAX_WS_MESSAGE: usize = 1 << 20;

/// One connection's bytes: chunks that came in, and a writer that says how much is still on
/// its way out.
pub struct Transport {
    incoming: mpsc::Receiver<Vec<u8>>,
    outgoing: mpsc::UnboundedSender<Vec<u8>>,
    /// Bytes handed to the writer and not yet written.
    pending: Arc<AtomicUsize>,
    /// Signalled each time the writer finishes a write.
    drained: Arc<Notify>,
}

impl Transport {
    /// RFB inside a WebSocket over `stream`, the bare socket (`ws://`) or TLS already
    /// accepted on it (`wss://`): runs the HTTP upgrade, then starts the reading and writing
    /// tasks. A stream that does not start with an upgrade request fails here.
    pub async fn websocket<S>(stream: S, addr: SocketAddr) -> std::io::Result<Transport>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (in_tx, incoming) = mpsc::channel(READ_QUEUE);
        let (outgoing, out_rx) = mpsc::unbounded_channel();
        let pending = Arc::new(AtomicUsize::new(0));
        let drained = Arc::new(Notify::new());
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_WS_MESSAGE))
            .max_frame_size(Some(MAX_WS_MESSAGE));
        let ws = tokio_tungstenite::accept_hdr_async_with_config(
            stream,
            choose_subprotocol,
            Some(config),
        )
        .await
        .map_err(|e| std::io::Error::other(format!("WebSocket handshake from {addr}: {e}")))?;
        let (sink, source) = ws.split();
        tokio::spawn(read_ws(source, in_tx));
        tokio::spawn(write_ws(sink, out_rx, pending.clone(), drained.clone()));
        Ok(Transport {
            incoming,
            outgoing,
            pending,
            drained,
        })
    }

    /// RFB's bytes over `stream` as they are: plain TCP, or TLS (VeNCrypt).
    pub fn over<S>(stream: S) -> Transport
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (in_tx, incoming) = mpsc::channel(READ_QUEUE);
        let (outgoing, out_rx) = mpsc::unbounded_channel();
        let pending = Arc::new(AtomicUsize::new(0));
        let drained = Arc::new(Notify::new());
        let (reader, writer) = tokio::io::split(stream);
        tokio::spawn(read_tcp(reader, in_tx));
        tokio::spawn(write_tcp(writer, out_rx, pending.clone(), drained.clone()));
        Transport {
            incoming,
            outgoing,
            pending,
            drained,
        }
    }

    /// The next chunk from the peer; `None` once it closed (or broke the WebSocket rules).
    pub async fn recv(&mut self) -> Option<Vec<u8>> {
        self.incoming.recv().await
    }

    /// Queues bytes for the peer (nothing when empty).
    pub fn send(&self, bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        self.pending.fetch_add(bytes.len(), Ordering::Relaxed);
        // The writer is gone only when the connection is; the reader then ends the loop.
        let _ = self.outgoing.send(bytes);
    }

    /// Bytes queued and not yet written.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    /// What the writer signals each time it finishes a write.
    pub fn drained(&self) -> Arc<Notify> {
        Arc::clone(&self.drained)
    }
}

/// How a new connection on the RFB port begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// Silence (or anything but the two below): a VNC viewer, waiting for the server's
    /// version.
    Rfb,
    /// `GET `: a WebSocket's upgrade on the bare socket (`ws://`).
    WebSocket,
    /// A TLS handshake record: a browser's ClientHello (`wss://`).
    Tls,
}

/// The first byte of a TLS handshake record (a ClientHello).
const TLS_HANDSHAKE: u8 = 0x16;

/// How a new connection begins, from what it sends within [`SNIFF_TIME`] (peeked: the bytes
/// stay in the socket for whoever reads it next).
pub async fn sniff(stream: &TcpStream) -> Opening {
    let mut first = [0u8; 4];
    let look = async {
        loop {
            match stream.peek(&mut first).await {
                // Closed (or broken): the RFB session reads the end and says so.
                Ok(0) | Err(_) => return Opening::Rfb,
                Ok(_) if first[0] == TLS_HANDSHAKE => return Opening::Tls,
                Ok(n) if n >= 4 => {
                    return match &first {
                        b"GET " => Opening::WebSocket,
                        _ => Opening::Rfb,
                    }
                }
                Ok(n) if !b"GET ".starts_with(&first[..n]) => return Opening::Rfb,
                // Part of `GET ` so far: wait for the rest.
                Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    };
    tokio::time::timeout(SNIFF_TIME, look)
        .await
        .unwrap_or(Opening::Rfb)
}

/// How long a browser has, once its TLS handshake is done, to start the WebSocket's upgrade.
const UPGRADE_TIME: Duration = Duration::from_secs(10);

/// The TLS stream of a `wss://` connection once its first bytes are `GET ` (given back to
/// whoever reads it next); an error, at once, for anything else: TLS on the RFB port carries
/// a WebSocket only (a VNC viewer gets TLS through VeNCrypt).
pub async fn expect_upgrade<S>(mut stream: S) -> std::io::Result<Rewind<S>>
where
    S: AsyncRead + Unpin,
{
    let mut first = [0u8; 4];
    let mut filled = 0;
    let read = async {
        while filled < first.len() {
            // `read` is cancel-safe: the timeout loses no byte that it read.
            match stream.read(&mut first[filled..]).await? {
                0 => return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof)),
                n => filled += n,
            }
            if !b"GET ".starts_with(&first[..filled]) {
                break;
            }
        }
        Ok::<(), std::io::Error>(())
    };
    match tokio::time::timeout(UPGRADE_TIME, read).await {
        Ok(Ok(())) if first == *b"GET " => Ok(Rewind {
            first: first.to_vec(),
            at: 0,
            inner: stream,
        }),
        Ok(Err(e)) => Err(std::io::Error::other(format!(
            "closed inside TLS before a WebSocket upgrade: {e}"
        ))),
        Err(_) => Err(std::io::Error::other(format!(
            "no WebSocket upgrade within {} s of the TLS handshake",
            UPGRADE_TIME.as_secs()
        ))),
        Ok(Ok(())) => Err(std::io::Error::other(
            "TLS on the RFB port carries noVNC's wss:// only, and this connection sent no \
             WebSocket upgrade (VNC viewers choose VeNCrypt instead)",
        )),
    }
}

/// A stream whose first bytes were read already, to see what it carries, and are read again
/// from here before the rest.
pub struct Rewind<S> {
    first: Vec<u8>,
    at: usize,
    inner: S,
}

impl<S: AsyncRead + Unpin> AsyncRead for Rewind<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if let Some(rest) = this.first.get(this.at..).filter(|rest| !rest.is_empty()) {
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.at += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Rewind<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Answers noVNC's request for the `binary` subprotocol (older versions ask for it), and
/// any other client's request without one.
#[allow(clippy::result_large_err)] // tungstenite's callback signature
fn choose_subprotocol(
    request: &Request,
    mut response: Response,
) -> Result<Response, tokio_tungstenite::tungstenite::handshake::server::ErrorResponse> {
    let offered = request
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if offered.split(',').any(|p| p.trim() == "binary") {
        response.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            tokio_tungstenite::tungstenite::http::HeaderValue::from_static("binary"),
        );
    }
    Ok(response)
}

async fn read_tcp(mut reader: impl AsyncRead + Unpin, tx: mpsc::Sender<Vec<u8>>) {
    loop {
        let mut chunk = vec![0; READ_CHUNK];
        match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                chunk.truncate(n);
                if tx.send(chunk).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn write_tcp(
    mut writer: impl AsyncWrite + Unpin,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
    pending: Arc<AtomicUsize>,
    drained: Arc<Notify>,
) {
    while let Some(bytes) = rx.recv().await {
        let result = writer.write_all(&bytes).await;
        pending.fetch_sub(bytes.len(), Ordering::Relaxed);
        drained.notify_one();
        if result.is_err() {
            return;
        }
    }
    let _ = writer.shutdown().await;
}

type WsStream<S> = tokio_tungstenite::WebSocketStream<S>;

async fn read_ws<S: AsyncRead + AsyncWrite + Unpin>(
    mut source: futures_util::stream::SplitStream<WsStream<S>>,
    tx: mpsc::Sender<Vec<u8>>,
) {
    while let Some(message) = source.next().await {
        let chunk = match message {
            Ok(Message::Binary(bytes)) => bytes.to_vec(),
            // RFB is binary; the old base64 text framing of websockify is not served.
            Ok(Message::Text(_)) => {
                tracing::info!("a WebSocket text message: only binary RFB is served");
                return;
            }
            Ok(Message::Close(frame)) => {
                tracing::debug!(?frame, "the WebSocket was closed by the browser");
                return;
            }
            // Pings are answered by tungstenite itself.
            Ok(_) => continue,
            Err(e) => {
                tracing::info!(error = %e, "the WebSocket broke");
                return;
            }
        };
        if tx.send(chunk).await.is_err() {
            return;
        }
    }
    tracing::debug!("the WebSocket ended");
}

async fn write_ws<S: AsyncRead + AsyncWrite + Unpin>(
    mut sink: futures_util::stream::SplitSink<WsStream<S>, Message>,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
    pending: Arc<AtomicUsize>,
    drained: Arc<Notify>,
) {
    while let Some(bytes) = rx.recv().await {
        let len = bytes.len();
        let result = sink.send(Message::Binary(bytes.into())).await;
        pending.fetch_sub(len, Ordering::Relaxed);
        drained.notify_one();
        if result.is_err() {
            return;
        }
    }
    let _ = sink.close().await;
}
