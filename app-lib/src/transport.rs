//! The byte stream under a connection: a Unix socket or TCP, read by one thread and written by
//! another, and the blocking frame reader that decodes what the server sends.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;

use netui_protocol::connection;
use netui_protocol::frame::Bodies;
use netui_protocol::{DecodeError, Limits};

/// One end of a connection.
#[derive(Debug)]
pub enum Stream {
    /// A local display.
    Unix(UnixStream),
    /// A display over the network.
    Tcp(TcpStream),
}

impl Stream {
    /// A second handle on the same socket, for the other thread.
    pub fn try_clone(&self) -> std::io::Result<Stream> {
        Ok(match self {
            Stream::Unix(s) => Stream::Unix(s.try_clone()?),
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
        })
    }

    /// Closes both directions, waking a thread blocked in `read`.
    pub fn shutdown(&self) {
        let _ = match self {
            Stream::Unix(s) => s.shutdown(std::net::Shutdown::Both),
            Stream::Tcp(s) => s.shutdown(std::net::Shutdown::Both),
        };
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Unix(s) => s.read(buf),
            Stream::Tcp(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Unix(s) => s.write(buf),
            Stream::Tcp(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Unix(s) => s.flush(),
            Stream::Tcp(s) => s.flush(),
        }
    }
}

/// Why reading a frame stopped.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed the stream, or the socket failed.
    Closed(String),
    /// The bytes broke the framing rules.
    Decode(DecodeError),
}

/// Reads whole frames from a stream and decodes them, in whatever compression the server
/// wrote them: a blocking read loop around the protocol's
/// [`FrameReader`](netui_protocol::connection::FrameReader), which owns the buffer and keeps
/// the stream's context (see [`netui_protocol::frame`]), so one reader must read every frame
/// of a connection.
#[derive(Debug)]
pub struct FrameReader {
    frames: connection::FrameReader,
}

impl FrameReader {
    /// A reader at the start of a connection.
    pub fn new() -> Self {
        Self {
            frames: connection::FrameReader::new(Limits::default()),
        }
    }

    /// Goes on reading where a handshake stopped, with the bytes that came after its hello.
    pub(crate) fn resume(frames: connection::FrameReader) -> Self {
        Self { frames }
    }

    /// Reads until a whole frame is buffered and returns its messages' bodies, undecoded.
    pub fn read_frame(
        &mut self,
        stream: &mut impl Read,
        limits: &Limits,
    ) -> Result<Bodies<'_>, ReadError> {
        self.frames.set_limits(*limits);
        while !self.frames.has_frame().map_err(ReadError::Decode)? {
            match read_some(stream, self.frames.spare())? {
                0 => return Err(ReadError::Closed("the server closed the connection".into())),
                n => self.frames.filled(n),
            }
        }
        match self.frames.next_frame() {
            Ok(Some(frame)) => Ok(frame.bodies),
            // `has_frame` said that a whole frame is there.
            Ok(None) => Err(ReadError::Closed("no whole frame".into())),
            Err(e) => Err(ReadError::Decode(e)),
        }
    }
}

impl Default for FrameReader {
    fn default() -> Self {
        Self::new()
    }
}

/// One read into `buf`, retried if a signal interrupts it; 0 when the peer closed the stream.
pub(crate) fn read_some(stream: &mut impl Read, buf: &mut [u8]) -> Result<usize, ReadError> {
    loop {
        match stream.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            read => return read.map_err(|e| ReadError::Closed(e.to_string())),
        }
    }
}
