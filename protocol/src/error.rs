//! Errors of encoding and decoding. Each one says what was wrong with the bytes.

use thiserror::Error;

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
    /// An uncompressed frame whose two lengths differ.
    #[error("uncompressed frame declares {wire} bytes on the wire but {raw} bytes of payload")]
    LengthMismatch {
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
