//! The byte stream under a connection: a Unix socket or TCP, read by one thread and written by
//! another, and the blocking frame reader that decodes what the server sends.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;

use netui_protocol::frame::{check_frame, Bodies, FrameDecoder};
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

/// Reads whole frames from a stream into a reusable buffer and decodes them, in whatever
/// compression the server wrote them. It keeps the stream's context (see
/// [`netui_protocol::frame`]), so one reader must read every frame of a connection.
#[derive(Debug)]
pub struct FrameReader {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    decoder: FrameDecoder,
}

impl FrameReader {
    /// A reader at the start of a connection.
    pub fn new() -> Self {
        Self {
            buf: vec![0; 64 * 1024],
            start: 0,
            end: 0,
            decoder: FrameDecoder::new(),
        }
    }

    /// Reads until a whole frame is buffered and returns its messages' bodies, undecoded.
    pub fn read_frame(
        &mut self,
        stream: &mut impl Read,
        limits: &Limits,
    ) -> Result<Bodies<'_>, ReadError> {
        let header = loop {
            match check_frame(&self.buf[self.start..self.end], limits) {
                Ok(Some(header)) => break header,
                Ok(None) => {}
                Err(e) => return Err(ReadError::Decode(e)),
            }
            // Make room: move the partial frame to the front, grow for a large frame.
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.end == self.buf.len() {
                let grown = (self.buf.len() * 2).min(limits.max_payload as usize + 64);
                self.buf.resize(grown.max(self.end + 1), 0);
            }
            match stream.read(&mut self.buf[self.end..]) {
                Ok(0) => return Err(ReadError::Closed("the server closed the connection".into())),
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ReadError::Closed(e.to_string())),
            }
        };
        let frame = &self.buf[self.start..self.end];
        self.start += header.frame_len();
        self.decoder
            .decode(header, frame, limits)
            .map_err(ReadError::Decode)
    }
}

impl Default for FrameReader {
    fn default() -> Self {
        Self::new()
    }
}
