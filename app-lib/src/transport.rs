//! What a connection runs over: the [`Transport`] trait, and [`Stream`], the sockets that
//! [`crate::connect`] opens.
//!
//! A connection reads its stream with one task and writes it with another, after splitting it
//! with [`tokio::io::split`]; it never needs a second handle on the socket (`try_clone`), so a
//! stream that cannot give one, such as TLS over TCP or a WebSocket, fits as it is.

use std::future::Future;
use std::net::TcpStream;
use std::os::unix::net::UnixStream;

use netui_protocol::frame::Compression;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::tls::{TlsClient, TLS_READ_BUFFER};

/// A byte stream that a connection can run over: anything that tokio can read and write
/// and that can move to the connection's thread.
pub trait ByteStream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> ByteStream for T {}

/// How a connection reaches its display: it opens its [`ByteStream`] inside the connection's
/// own runtime (a small tokio runtime on the connection's thread), which is where the
/// stream's I/O is then driven, so a socket must be registered there and not in the
/// caller's runtime.
///
/// [`Stream`] (a Unix socket, TCP, or TLS over TCP) is one, and
/// [`TlsTransport`](crate::tls::TlsTransport) puts TLS over any other; a WebSocket transport
/// would do its HTTP upgrade there and return the socket's messages as bytes.
///
/// The runtime ends with the connection, once the writer has shut its side of the stream: a
/// task that `open` spawns (a pump between two streams, say) stops then, perhaps before it
/// has passed the last bytes on. A stream that is itself the layer, as a TLS stream is,
/// writes everything before its shutdown returns.
///
/// ```no_run
/// use std::path::PathBuf;
/// use netui::transport::Transport;
/// use netui::{Compression, Display};
///
/// /// A Unix socket that is connected on the connection's runtime.
/// struct AsyncUnix(PathBuf);
///
/// impl Transport for AsyncUnix {
///     type Io = tokio::net::UnixStream;
///
///     async fn open(self) -> std::io::Result<Self::Io> {
///         tokio::net::UnixStream::connect(&self.0).await
///     }
/// }
///
/// let transport = AsyncUnix("/tmp/display.sock".into());
/// let display =
///     Display::connect_stream_with(transport, None, ":1".into(), "my-app", Compression::Lz4)?;
/// # Ok::<(), netui::Error>(())
/// ```
pub trait Transport: Send + 'static {
    /// The stream that [`Transport::open`] yields.
    type Io: ByteStream;

    /// Opens the stream (connects, or runs a TLS or WebSocket handshake), on the
    /// connection's runtime. The netui handshake follows on the stream it yields.
    fn open(self) -> impl Future<Output = std::io::Result<Self::Io>> + Send;

    /// The compression that a connection over this transport asks for unless told
    /// otherwise ([`Display::connect_stream`](crate::Display::connect_stream)): LZ4 where
    /// bytes cross a network, by default.
    fn compression(&self) -> Compression {
        Compression::default()
    }
}

/// The send buffer asked for on a local socket (`SO_SNDBUF`; Linux doubles it for its
/// bookkeeping), room for a large image's frame: with the default (208 KiB), the writer of
/// a 750 KB frame blocked and was woken four or five times while the server read it, and
/// `drawbench putimage500` drew 2.4–3.2 k images a second against 4.1–5.1 k with this (4 MiB
/// was no faster than the default: a whole 4 MiB in flight outgrows the caches it is copied
/// through twice). BENCHMARKS.md, "Draw speed", session 33.
const UNIX_SEND_BUFFER: usize = 512 * 1024;

/// A socket to a display, connected and blocking, as [`crate::connect::open`] opens it.
#[derive(Debug)]
pub enum Stream {
    /// A local display.
    Unix(UnixStream),
    /// A display over the network, in plain TCP (a server started with `--insecure-tcp`).
    Tcp(TcpStream),
    /// A display over the network, in TLS: the handshake runs in [`Transport::open`].
    Tls(TcpStream, TlsClient),
}

impl Transport for Stream {
    type Io = Box<dyn ByteStream>;

    /// None on a local socket, as X11 and Wayland do: the bytes only cross memory, where
    /// compressing them costs more time than copying them (a third of a batch of small
    /// rectangles' time went into LZ4 on both ends). LZ4 over TCP and TLS.
    fn compression(&self) -> Compression {
        match self {
            Stream::Unix(_) => Compression::None,
            Stream::Tcp(_) | Stream::Tls(..) => Compression::Lz4,
        }
    }

    async fn open(self) -> std::io::Result<Self::Io> {
        // tokio drives a socket only when it does not block; `from_std` registers it with the
        // runtime that this runs on, the connection's.
        Ok(match self {
            Stream::Unix(socket) => {
                // A tuning: a socket that keeps its default still works.
                if let Err(e) =
                    rustix::net::sockopt::set_socket_send_buffer_size(&socket, UNIX_SEND_BUFFER)
                {
                    tracing::debug!("cannot set the socket's send buffer: {e}");
                }
                socket.set_nonblocking(true)?;
                Box::new(tokio::net::UnixStream::from_std(socket)?)
            }
            Stream::Tcp(socket) => {
                socket.set_nonblocking(true)?;
                Box::new(tokio::net::TcpStream::from_std(socket)?)
            }
            Stream::Tls(socket, tls) => {
                socket.set_nonblocking(true)?;
                let socket = tokio::net::TcpStream::from_std(socket)?;
                let socket = tokio::io::BufReader::with_capacity(TLS_READ_BUFFER, socket);
                Box::new(tls.handshake(socket).await?)
            }
        })
    }
}
