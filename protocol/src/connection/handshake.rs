//! The handshake as a state machine for each end: [`ClientHandshake`] and
//! [`ServerHandshake`], and the checks of each hello ([`check_client_hello`],
//! [`check_server_hello`]).
//!
//! The client writes its hello as a plain frame of its own; the server reads it with tight
//! limits, checks it, and answers with a plain frame of its own (a welcome or a refusal).
//! Then each end reads the rest of the stream with the same [`FrameReader`], so that the
//! bytes that came after the hello in the same read are not lost.

use crate::error::{DecodeError, EncodeError, HandshakeError};
use crate::frame::{decode_message, encode_single, Limits};
use crate::handshake::{ClientHello, HelloOutcome, HelloPrefix, Refusal, ServerHello, Welcome};
use crate::{MAGIC, PROTOCOL_VERSION};

use super::reader::FrameReader;

/// The limits of the first frame that a server reads: a hello is small, and a tight limit
/// keeps a stranger from making the server buffer megabytes before it has said who it is.
fn hello_limits() -> Limits {
    Limits {
        max_payload: 4096,
        max_messages: 1,
        ..Limits::default()
    }
}

/// Checks a client's hello message (the body of its first frame): magic bytes, protocol
/// version, format. The refusal says why not, naming both versions if they differ.
///
/// ```
/// use netui_protocol::connection::check_client_hello;
/// use netui_protocol::{ClientHello, Refusal, PROTOCOL_VERSION};
///
/// let mut hello = ClientHello::new("future", None);
/// hello.version = 42;
/// let body = postcard::to_stdvec(&hello).unwrap();
/// assert_eq!(
///     check_client_hello(&body),
///     Err(Refusal::VersionMismatch { server: PROTOCOL_VERSION, client: 42 })
/// );
/// ```
pub fn check_client_hello(body: &[u8]) -> Result<ClientHello, Refusal> {
    // The magic and the version first, which every version of the protocol encodes alike:
    // a hello of another version is refused as such, not as garbage.
    let prefix = HelloPrefix::peek(body)
        .map_err(|e| Refusal::Malformed(format!("not a netui hello: {e}")))?;
    if prefix.magic != MAGIC {
        return Err(Refusal::Malformed(DecodeError::BadMagic.to_string()));
    }
    if prefix.version != PROTOCOL_VERSION {
        return Err(Refusal::VersionMismatch {
            server: PROTOCOL_VERSION,
            client: prefix.version,
        });
    }
    decode_message(body).map_err(|e: DecodeError| Refusal::Malformed(e.to_string()))
}

/// Checks a server's hello message (the body of its first frame): magic bytes, protocol
/// version, format; then the welcome, or the server's refusal as an error.
pub fn check_server_hello(body: &[u8]) -> Result<Welcome, HandshakeError> {
    let prefix = HelloPrefix::peek(body).map_err(|e| HandshakeError::NotNetui(e.to_string()))?;
    if prefix.magic != MAGIC {
        return Err(HandshakeError::NotNetui("bad magic bytes".into()));
    }
    if prefix.version != PROTOCOL_VERSION {
        return Err(HandshakeError::VersionMismatch {
            server: prefix.version,
            client: PROTOCOL_VERSION,
        });
    }
    match decode_message::<ServerHello>(body)?.outcome {
        HelloOutcome::Accepted(welcome) => Ok(welcome),
        HelloOutcome::Refused(refusal) => Err(HandshakeError::Refused(refusal)),
    }
}

/// A client's side of the handshake: it makes the hello's bytes, is fed the server's, and
/// yields the [`Welcome`] or says why there is none.
///
/// ```no_run
/// use std::io::{Read, Write};
/// use netui_protocol::connection::ClientHandshake;
/// use netui_protocol::ClientHello;
///
/// let mut stream = std::os::unix::net::UnixStream::connect("/tmp/display.sock")?;
/// let (mut handshake, hello) = ClientHandshake::new(&ClientHello::new("my-app", None))?;
/// stream.write_all(&hello)?;
/// let welcome = loop {
///     if let Some(welcome) = handshake.poll()? {
///         break welcome;
///     }
///     let n = stream.read(handshake.spare())?;
///     handshake.filled(n);
/// };
/// // The server's frames from now on, the ones that came with the welcome included.
/// let mut frames = handshake.into_reader();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ClientHandshake {
    frames: FrameReader,
    /// The server closed the connection: no more bytes will come.
    closed: bool,
}

impl ClientHandshake {
    /// Starts a handshake that sends `hello`: returns it and the hello's bytes to write, a
    /// plain frame of its own.
    pub fn new(hello: &ClientHello) -> Result<(Self, Vec<u8>), EncodeError> {
        let bytes = encode_single(hello)?;
        let handshake = Self {
            // The welcome carries the server's limits, so it is read within the defaults.
            frames: FrameReader::new(Limits::default()),
            closed: false,
        };
        Ok((handshake, bytes))
    }

    /// Room to read the server's bytes into; see [`FrameReader::spare`].
    pub fn spare(&mut self) -> &mut [u8] {
        self.frames.spare()
    }

    /// Says that `n` bytes were read into [`ClientHandshake::spare`]; 0, as a read returns
    /// it, means that the server closed the connection.
    pub fn filled(&mut self, n: usize) {
        self.closed |= n == 0;
        self.frames.filled(n);
    }

    /// Appends bytes from the server (a copy).
    pub fn feed(&mut self, bytes: &[u8]) {
        self.frames.feed(bytes);
    }

    /// The welcome once the server's hello is whole, `Ok(None)` until then, or why the
    /// connection is not open: a refusal, another protocol version, not a netui server,
    /// bytes that do not decode, or the connection closed.
    pub fn poll(&mut self) -> Result<Option<Welcome>, HandshakeError> {
        let mut frame = match self.frames.next_frame()? {
            Some(frame) => frame,
            None if self.closed => return Err(HandshakeError::Closed),
            None => return Ok(None),
        };
        let body = frame
            .bodies
            .next()
            .ok_or_else(|| HandshakeError::NotNetui("its answer to the hello is empty".into()))?;
        let welcome = check_server_hello(body)?;
        // The server's frames from now on are within the limits it announces.
        self.frames.set_limits(welcome.limits);
        Ok(Some(welcome))
    }

    /// The reader of the server's frames after its hello (call it once
    /// [`ClientHandshake::poll`] has yielded the welcome): it holds the bytes that came after
    /// the hello and reads within the welcome's limits.
    pub fn into_reader(self) -> FrameReader {
        self.frames
    }
}

/// A server's side of the handshake: it is fed the client's bytes, yields the checked
/// [`ClientHello`], and makes the answer's bytes.
///
/// What it checks is the hello itself (magic bytes, version, format, and a first frame
/// within 4 KiB); whether the client may connect (its token, the server's room) is the
/// server's to decide, before it calls [`ServerHandshake::accept`] or
/// [`ServerHandshake::refuse`].
#[derive(Debug)]
pub struct ServerHandshake {
    frames: FrameReader,
    /// The client closed the connection: no more bytes will come.
    closed: bool,
}

impl Default for ServerHandshake {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerHandshake {
    /// A handshake at the start of a connection.
    pub fn new() -> Self {
        Self {
            frames: FrameReader::new(hello_limits()),
            closed: false,
        }
    }

    /// Room to read the client's bytes into; see [`FrameReader::spare`].
    pub fn spare(&mut self) -> &mut [u8] {
        self.frames.spare()
    }

    /// Says that `n` bytes were read into [`ServerHandshake::spare`]; 0, as a read returns
    /// it, means that the client closed the connection.
    pub fn filled(&mut self, n: usize) {
        self.closed |= n == 0;
        self.frames.filled(n);
    }

    /// Appends bytes from the client (a copy).
    pub fn feed(&mut self, bytes: &[u8]) {
        self.frames.feed(bytes);
    }

    /// The client's hello once its frame is whole and checked, `Ok(None)` until then, or
    /// the refusal to send: a frame beyond the hello's limits is refused as soon as its
    /// header is in. Call it until it yields the hello, then answer.
    pub fn poll(&mut self) -> Result<Option<ClientHello>, Refusal> {
        let malformed = |e: DecodeError| Refusal::Malformed(e.to_string());
        let mut frame = match self.frames.next_frame().map_err(malformed)? {
            Some(frame) => frame,
            None if self.closed => {
                return Err(Refusal::Malformed(
                    "connection closed during the hello".into(),
                ))
            }
            None => return Ok(None),
        };
        // A client writes its hello before its stream has a context: a context frame here
        // is not a netui client's.
        if frame.header.context {
            return Err(Refusal::Malformed(
                "the hello came in a context frame (flag 0x02); it must be a plain frame".into(),
            ));
        }
        let body = frame
            .bodies
            .next()
            .ok_or_else(|| Refusal::Malformed("empty hello".into()))?;
        check_client_hello(body).map(Some)
    }

    /// Welcomes the client: returns the bytes of the answer, a plain frame of its own, and
    /// the reader of the client's frames from now on, which holds the bytes that came after
    /// the hello and reads within the welcome's limits.
    pub fn accept(mut self, welcome: Welcome) -> Result<(Vec<u8>, FrameReader), EncodeError> {
        self.frames.set_limits(welcome.limits);
        let bytes = encode_single(&ServerHello::new(HelloOutcome::Accepted(welcome)))?;
        Ok((bytes, self.frames))
    }

    /// Refuses the client: returns the bytes of the answer, a plain frame of its own. Close
    /// the connection once they are written.
    pub fn refuse(self, refusal: Refusal) -> Result<Vec<u8>, EncodeError> {
        encode_single(&ServerHello::new(HelloOutcome::Refused(refusal)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{BatchWriter, Compression};
    use crate::geometry::Size;
    use crate::handshake::PixelFormat;
    use crate::request::Request;
    use crate::FontSet;

    fn welcome() -> Welcome {
        Welcome {
            vendor: "test".into(),
            client_id: 3,
            screen: Size::new(640, 480),
            pixel_format: PixelFormat::Xrgb8888,
            id_base: 3 << 21,
            id_mask: (1 << 21) - 1,
            limits: Limits {
                max_payload: 100_000,
                ..Limits::default()
            },
            fonts: Some(FontSet::default()),
        }
    }

    /// Feeds `bytes` to a server's handshake one byte at a time, as the slowest network
    /// would; the result once it is decided.
    fn server_reads(bytes: &[u8]) -> (ServerHandshake, Result<Option<ClientHello>, Refusal>) {
        let mut server = ServerHandshake::new();
        for byte in bytes {
            match server.poll() {
                Ok(None) => server.feed(std::slice::from_ref(byte)),
                decided => return (server, decided),
            }
        }
        let result = server.poll();
        (server, result)
    }

    /// The answer that a server writes, as a client's handshake reads it.
    fn client_reads(answer: &[u8]) -> Result<Option<Welcome>, HandshakeError> {
        let (mut client, _) = ClientHandshake::new(&ClientHello::new("c", None)).expect("hello");
        client.feed(answer);
        client.poll()
    }

    #[test]
    fn a_handshake_fed_byte_by_byte_ends_in_a_welcome_and_keeps_what_came_after() {
        let hello =
            ClientHello::new("app", Some(vec![1; 32])).with_compression(Compression::Lz4Ctx);
        let (mut client, hello_bytes) = ClientHandshake::new(&hello).expect("encodes");
        // The bytes on the wire are the hello alone, as a plain frame of its own.
        assert_eq!(hello_bytes, encode_single(&hello).expect("encodes"));
        assert_eq!(hello_bytes[0], 0, "a plain, uncompressed frame");

        // The client sends a request right behind its hello, in the same write.
        let mut requests = BatchWriter::new(Limits::default(), Compression::Lz4Ctx);
        requests.push(&Request::Sync).expect("encodes");
        let mut upstream = hello_bytes.clone();
        upstream.extend_from_slice(&requests.take_frames());
        let (server, got) = server_reads(&upstream[..hello_bytes.len()]);
        assert_eq!(got, Ok(Some(hello)));
        let (answer, mut frames) = server.accept(welcome()).expect("encodes");
        assert_eq!(
            answer,
            encode_single(&ServerHello::new(HelloOutcome::Accepted(welcome()))).expect("encodes")
        );
        assert_eq!(frames.limits(), &welcome().limits);
        frames.feed(&upstream[hello_bytes.len()..]);
        let frame = frames.next_frame().expect("valid").expect("whole");
        assert!(frame.header.context);
        assert_eq!(frame.bodies.collect::<Vec<_>>(), [&[19][..]], "a Sync");

        // The welcome and an event behind it, byte by byte.
        let mut downstream = answer;
        let mut events = BatchWriter::new(welcome().limits, Compression::Lz4);
        events
            .push(&crate::ServerMessage::Event(crate::Event::Expose {
                window: crate::ResourceId(3 << 21 | 1),
                area: crate::Rect::new(0, 0, 10, 10),
            }))
            .expect("encodes");
        downstream.extend_from_slice(&events.take_frames());
        let mut welcomed = None;
        for byte in &downstream {
            if welcomed.is_none() {
                welcomed = client.poll().expect("no error");
            }
            client.feed(std::slice::from_ref(byte));
        }
        assert_eq!(welcomed, Some(welcome()));
        let mut frames = client.into_reader();
        assert_eq!(frames.limits(), &welcome().limits);
        assert_eq!(
            frames
                .next_frame()
                .expect("valid")
                .expect("whole")
                .bodies
                .len(),
            1
        );
    }

    #[test]
    fn a_hello_of_another_version_is_refused_naming_both() {
        let mut hello = ClientHello::new("future", None);
        hello.version = 42;
        let (_, got) = server_reads(&encode_single(&hello).expect("encodes"));
        let refusal = got.expect_err("refused");
        assert_eq!(
            refusal,
            Refusal::VersionMismatch {
                server: PROTOCOL_VERSION,
                client: 42
            }
        );
        let text = refusal.to_string();
        assert!(
            text.contains(&format!("version {PROTOCOL_VERSION}")) && text.contains("version 42"),
            "{text}"
        );
    }

    #[test]
    fn what_is_not_a_netui_hello_is_refused_as_malformed() {
        let is_malformed = |bytes: &[u8], why: &str| {
            let (_, got) = server_reads(bytes);
            match got {
                Err(Refusal::Malformed(text)) => assert!(text.contains(why), "{text}"),
                other => panic!("{bytes:?}: {other:?}"),
            }
        };
        // Text, refused on its first byte: 'G' is not a frame's flags byte.
        is_malformed(b"GET / HTTP/1.1\r\n\r\n", "unknown flags");
        // A frame of 64 KiB is far beyond the hello's limit.
        is_malformed(&[0, 0x80, 0x80, 0x04], "exceeds the limit of 4096");
        // A frame of netui's, but a request.
        is_malformed(
            &encode_single(&Request::Sync).expect("encodes"),
            "not a netui hello",
        );
        // The layout of a hello, with other magic bytes.
        let mut hello = ClientHello::new("x", None);
        hello.magic = *b"X11R";
        is_malformed(&encode_single(&hello).expect("encodes"), "bad magic");
        // A frame with no message in it.
        is_malformed(&[0, 0], "empty hello");
        // The hello in a context frame.
        let mut writer = BatchWriter::new(Limits::default(), Compression::Lz4Ctx);
        writer.push(&ClientHello::new("x", None)).expect("encodes");
        is_malformed(&writer.take_frames(), "context frame");
        // Two messages where the hello's limits allow one.
        let mut writer = BatchWriter::new(Limits::default(), Compression::None);
        writer.push(&ClientHello::new("x", None)).expect("encodes");
        writer.push(&Request::Sync).expect("encodes");
        is_malformed(&writer.take_frames(), "more than 1 messages");
    }

    #[test]
    fn a_hello_over_4_kib_is_refused_on_its_header() {
        let hello = ClientHello::new("x".repeat(5000), None);
        let bytes = encode_single(&hello).expect("encodes");
        let mut server = ServerHandshake::new();
        // The flags and the length: 5,000 bytes and more.
        server.feed(&bytes[..3]);
        assert!(matches!(server.poll(), Err(Refusal::Malformed(m)) if m.contains("4096")));
    }

    #[test]
    fn a_connection_closed_during_the_hello_is_told_apart() {
        let bytes = encode_single(&ClientHello::new("x", None)).expect("encodes");
        let mut server = ServerHandshake::new();
        server.feed(&bytes[..4]);
        assert_eq!(server.poll(), Ok(None));
        server.filled(0);
        assert_eq!(
            server.poll(),
            Err(Refusal::Malformed(
                "connection closed during the hello".into()
            ))
        );

        let (mut client, _) = ClientHandshake::new(&ClientHello::new("c", None)).expect("hello");
        assert_eq!(client.poll(), Ok(None));
        client.filled(0);
        assert_eq!(client.poll(), Err(HandshakeError::Closed));
    }

    #[test]
    fn the_refusal_a_client_receives_is_the_error() {
        let refuse = |refusal: Refusal| {
            let answer = ServerHandshake::new().refuse(refusal).expect("encodes");
            assert_eq!(answer[0], 0, "a plain, uncompressed frame");
            client_reads(&answer)
        };
        assert_eq!(
            refuse(Refusal::TooManyClients),
            Err(HandshakeError::Refused(Refusal::TooManyClients))
        );
        let err = refuse(Refusal::WrongToken).expect_err("refused");
        assert!(err.to_string().contains("token does not match"), "{err}");
    }

    #[test]
    fn a_server_of_another_version_is_named_with_both_versions() {
        let mut hello = ServerHello::new(HelloOutcome::Accepted(welcome()));
        hello.version = PROTOCOL_VERSION + 1;
        let err = client_reads(&encode_single(&hello).expect("encodes")).expect_err("refused");
        assert_eq!(
            err,
            HandshakeError::VersionMismatch {
                server: PROTOCOL_VERSION + 1,
                client: PROTOCOL_VERSION
            }
        );
        let text = err.to_string();
        assert!(
            text.contains(&format!("server speaks version {}", PROTOCOL_VERSION + 1))
                && text.contains(&format!("client speaks version {PROTOCOL_VERSION}")),
            "{text}"
        );
    }

    #[test]
    fn a_peer_that_is_not_a_netui_server_is_named_so() {
        let not_netui = |bytes: &[u8]| client_reads(bytes).expect_err("not netui");
        assert!(matches!(
            not_netui(&encode_single(&Request::Sync).expect("encodes")),
            HandshakeError::NotNetui(_)
        ));
        let mut hello = ServerHello::new(HelloOutcome::Refused(Refusal::TooManyClients));
        hello.magic = *b"X11R";
        assert_eq!(
            not_netui(&encode_single(&hello).expect("encodes")),
            HandshakeError::NotNetui("bad magic bytes".into())
        );
        assert!(matches!(
            not_netui(&[0x80, 0]),
            HandshakeError::Decode(DecodeError::UnknownFlags(0x80))
        ));
    }
}
