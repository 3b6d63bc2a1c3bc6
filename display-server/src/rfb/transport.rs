//! The bytes of an RFB connection, over plain TCP, in TLS (VeNCrypt) or inside a WebSocket
//! (noVNC), moved by two tasks of their own so that the connection's loop never blocks on
//! the network.
//!
//! The RFB server speaks first, a WebSocket client does: a connection that sends `GET `
//! within [`SNIFF_TIME`] of connecting is upgraded (RFC 6455, binary messages), one that
//! stays silent is a VNC viewer waiting for the server's version (libvncserver tells them
//! apart the same way).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Notify};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// How long a new connection has to start a WebSocket handshake.
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
    /// Takes over an accepted stream, a WebSocket's ([`sniff_websocket`]) or RFB's own, and
    /// starts the reading and writing tasks.
    pub async fn start_as(
        stream: TcpStream,
        addr: SocketAddr,
        websocket: bool,
    ) -> std::io::Result<Transport> {
        if !websocket {
            return Ok(Transport::over(stream));
        }
        let (in_tx, incoming) = mpsc::channel(READ_QUEUE);
        let (outgoing, out_rx) = mpsc::unbounded_channel();
        let pending = Arc::new(AtomicUsize::new(0));
        let drained = Arc::new(Notify::new());
        if websocket {
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
        }
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
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + 'static,
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

/// Whether a new connection starts a WebSocket handshake within [`SNIFF_TIME`].
pub async fn sniff_websocket(stream: &TcpStream) -> bool {
    let mut first = [0u8; 4];
    matches!(
        tokio::time::timeout(SNIFF_TIME, stream.peek(&mut first)).await,
        Ok(Ok(4)) if &first == b"GET "
    )
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

async fn read_tcp(mut reader: impl tokio::io::AsyncRead + Unpin, tx: mpsc::Sender<Vec<u8>>) {
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
    mut writer: impl tokio::io::AsyncWrite + Unpin,
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

type WsStream = tokio_tungstenite::WebSocketStream<TcpStream>;

async fn read_ws(
    mut source: futures_util::stream::SplitStream<WsStream>,
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

async fn write_ws(
    mut sink: futures_util::stream::SplitSink<WsStream, Message>,
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
