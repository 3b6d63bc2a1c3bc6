//! Errors of encoding, decoding and the handshake. Each one says what was wrong with the bytes.

use thiserror::Error;

use crate::handshake::Refusal;

/// Bytes that could not be turned into a message.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// A frame's header announced more bytes than the limit.
    #[error("frame of {len} bytes exceeds the limit of {limit} bytes")]
    FrameTooLarge {
        /// Announced size.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// Flags that this version does not define were set.
    #[error("frame header has unknown flags {0:#04x}")]
    UnknownFlags(u8),
    /// A length in a frame header that goes on past its four bytes.
    #[error("a length in the frame header takes more than four bytes")]
    HeaderLength,
    /// A compressed frame announces more payload than LZ4 can expand its wire bytes to
    /// (at most [`LZ4_MAX_RATIO`](crate::frame::LZ4_MAX_RATIO) times as many): refused from
    /// the header, before its payload is made room for.
    #[error(
        "compressed frame declares {raw} bytes of payload from {wire} bytes on the wire, more \
         than LZ4 can expand them to"
    )]
    Expansion {
        /// Bytes on the wire.
        wire: usize,
        /// Declared payload bytes.
        raw: usize,
    },
    /// The LZ4 data is broken or does not expand to the declared size.
    #[error("compressed payload is corrupt: {0}")]
    Decompress(String),
    /// A batch held more messages than the limit.
    #[error("batch holds more than {limit} messages")]
    TooManyMessages {
        /// The limit.
        limit: usize,
    },
    /// A message's length prefix runs past the end of the payload.
    #[error("message length {len} runs past the end of the payload ({left} bytes left)")]
    Truncated {
        /// Declared length.
        len: usize,
        /// Bytes that were left.
        left: usize,
    },
    /// A request's opcode is unknown.
    #[error("unknown request opcode {0}")]
    UnknownOpcode(u32),
    /// A message's body does not decode.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// The hello does not start with the netui magic bytes.
    #[error("not a netui peer (bad magic bytes)")]
    BadMagic,
}

/// A message that could not be encoded.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// The message alone is larger than a frame may be.
    #[error("message of {len} bytes exceeds the frame limit of {limit} bytes")]
    TooLarge {
        /// Encoded size.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// Serialization failed (cannot happen for the types of this crate).
    #[error("serialization failed: {0}")]
    Serialize(String),
}

/// Why a client's handshake did not end in a welcome; see
/// [`ClientHandshake`](crate::connection::ClientHandshake).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum HandshakeError {
    /// The server read the hello and refused the connection.
    #[error("the server refused the connection: {0}")]
    Refused(Refusal),
    /// The server speaks another protocol version, so the rest of its hello cannot be read.
    #[error(
        "protocol version mismatch: the server speaks version {server}, this client speaks \
         version {client}; use programs from the same netui release"
    )]
    VersionMismatch {
        /// The server's version.
        server: u16,
        /// This client's version.
        client: u16,
    },
    /// The peer's first frame is not a netui server's hello.
    #[error("not a netui server: {0}")]
    NotNetui(String),
    /// The server's first frame, or its hello, does not decode.
    #[error("the server's hello does not decode: {0}")]
    Decode(#[from] DecodeError),
    /// The connection closed before the server's hello was whole.
    #[error("the server closed the connection before it answered the hello")]
    Closed,
}
