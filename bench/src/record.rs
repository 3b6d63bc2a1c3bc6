//! Recordings of a workload's request stream, for `bandwidth --record FILE` and
//! `bandwidth --replay FILE`: a run saved today can be measured again by a later netui, so
//! that versions are compared on the very same requests.
//!
//! # What a recording holds
//! - [`Recording::stream`]: every byte that the application sent to the display server, as it
//!   sent them: its hello frame, then its request frames (one frame per flush, in the
//!   compression the application wrote with: plain, LZ4, or `lz4-ctx` context frames, which
//!   only a decoder that reads the stream from its start can read). Nothing that the server
//!   sent back, and no timing.
//! - The workload's name, the screen size it ran on, the number of frames its script drew,
//!   and the id base that the server gave the recording client (its windows and pixmaps are
//!   `id_base | n`).
//!
//! # What replay guarantees
//! [`play`] connects as the application and sends the same requests in the same order with
//! the same batching: each recorded frame becomes one frame (more only if the replaying
//! server's limits are smaller than the recording server's were), written in the compression
//! its header shows (a context frame as a context frame of the player's own stream, so cached
//! messages are sent as references again), and the hello asks the server to write back in
//! the compression that the recorded hello asked for. The one change to a request is its ids:
//! an id of the recording client moves to the replaying client's range at the same place
//! (`id_base | n` becomes `new_base | n`, `n` being the bits of the replaying server's
//! `Welcome::id_mask`); the root's and other clients' ids are sent as recorded. A request
//! that this build cannot decode is sent byte for byte, so that the server refuses it as
//! before and the sequence numbers of the ones after it stay the same.
//! When `play` returns, the server has carried out every request; the player's connection is
//! the [`netui::Display`] that it returns.
//!
//! It does not reproduce timing: `play` writes each frame as soon as the socket takes it, and
//! the bandwidth session's pacer forwards one frame per 16.7 ms, as it did while recording.
//! Nor does it reproduce the server's side: what the server sends is read by the connection
//! and not looked at (a scripted workload feeds its input to itself; input it injected is
//! among the requests).
//! Played on a server of the recorded size with no other client's windows on the screen, by
//! the netui that recorded it, a recording draws the same screen; a later netui may draw it
//! differently, which is what comparing runs is for.
//!
//! # File format
//! The whole file is [postcard], netui's encoding: integers are varints, `[u8; N]` is its N
//! bytes, a string or a byte string is a varint length and then its bytes.
//!
//! ```text
//! preamble, the same in every format version:
//!   magic       [u8; 8]   "NETUIREC"
//!   format      u16       the recording format, FORMAT_VERSION (1); newer ones are refused
//!   protocol    u16       the netui protocol version of the stream's requests
//!   created_by  string    the netui release that wrote the file, such as "netui 0.1.0"
//! format 1:
//!   workload    string    the workload's name
//!   size        u32 u32   the screen's width and height
//!   frames      u32       frames that the workload's script drew
//!   id_base     u32       the recording client's id base
//!   stream      bytes     the client-to-server frames, hello first
//! nothing after
//! ```

use std::os::unix::net::UnixStream;
use std::path::Path;

use anyhow::{anyhow, bail, Context};
use netui::transport::Stream;
use netui::{Display, Size};
use netui_protocol::connection::{check_client_hello, FrameReader};
use netui_protocol::frame::{self, FrameHeader};
use netui_protocol::handshake::HelloPrefix;
use netui_protocol::{
    ClientHello, Compression, Limits, ResourceId, MAGIC as HELLO_MAGIC, PROTOCOL_VERSION,
};
use serde::{Deserialize, Serialize};

/// The first bytes of every recording file.
pub const MAGIC: [u8; 8] = *b"NETUIREC";
/// The recording format that this build writes, and the newest that it reads.
pub const FORMAT_VERSION: u16 = 1;
/// Who wrote a file, as the preamble says it.
pub const CREATED_BY: &str = concat!("netui ", env!("CARGO_PKG_VERSION"));

/// A workload's request stream and what is needed to play it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// The workload's name.
    pub workload: String,
    /// The screen size it ran on.
    pub size: Size,
    /// The frames that its script drew.
    pub frames: u32,
    /// The id base that the server gave the recording client
    /// ([`netui_protocol::Welcome::id_base`]): its ids are `id_base | n`.
    pub id_base: u32,
    /// Every byte the application sent, as whole frames, its hello frame first.
    pub stream: Vec<u8>,
}

/// Why bytes are not a recording that this build can play (or save).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordingError {
    /// The bytes do not start with [`MAGIC`].
    #[error("not a netui recording: {0}")]
    NotARecording(String),
    /// The file ends early.
    #[error("the recording is truncated: {0}")]
    Truncated(String),
    /// A later netui wrote it in a format this one does not know.
    #[error(
        "the recording was written by {created_by} in recording format {format}; this netui \
         ({CREATED_BY}) reads formats up to {FORMAT_VERSION}: replay it with a newer netui"
    )]
    NewerFormat {
        /// Its format version.
        format: u16,
        /// The release that wrote it.
        created_by: String,
    },
    /// Its requests are of another protocol version, whose bytes this build cannot send.
    #[error(
        "the recording holds requests of protocol version {protocol}, made by {created_by}; \
         this netui ({CREATED_BY}) speaks protocol version {PROTOCOL_VERSION}: replay it with \
         a netui of protocol version {protocol}"
    )]
    ProtocolVersion {
        /// The protocol version of its requests.
        protocol: u16,
        /// The release that wrote it.
        created_by: String,
    },
    /// It is a recording, but broken.
    #[error("the recording is damaged: {0}")]
    Corrupt(String),
}

/// The part of the file that every format version starts with.
#[derive(Serialize, Deserialize)]
struct Preamble<S> {
    magic: [u8; 8],
    format: u16,
    protocol: u16,
    created_by: S,
}

/// The rest of a format-1 file, as written (borrowing) and as read (owning).
#[derive(Serialize)]
struct BodyRef<'a> {
    workload: &'a str,
    size: Size,
    frames: u32,
    id_base: u32,
    #[serde(with = "serde_bytes")]
    stream: &'a [u8],
}

#[derive(Deserialize)]
struct Body {
    workload: String,
    size: Size,
    frames: u32,
    id_base: u32,
    #[serde(with = "serde_bytes")]
    stream: Vec<u8>,
}

impl Recording {
    /// Writes the recording to `path` (see the module doc for the format). A hello that
    /// carries a display token is written without it: the file must not keep a secret.
    pub fn save(&self, path: impl AsRef<Path>) -> anyhow::Result<()> {
        let path = path.as_ref();
        let bytes = self
            .to_bytes()
            .with_context(|| format!("cannot save a recording of {}", self.workload))?;
        std::fs::write(path, bytes)
            .with_context(|| format!("cannot write the recording {}", path.display()))
    }

    /// Reads a recording that [`Recording::save`] wrote, by this or an earlier netui of the
    /// same protocol version. The error says why a file cannot be played (see [`RecordingError`],
    /// which it can be downcast to).
    pub fn load(path: impl AsRef<Path>) -> anyhow::Result<Recording> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the recording {}", path.display()))?;
        Recording::from_bytes(&bytes).with_context(|| path.display().to_string())
    }

    /// The file's bytes. Fails if the stream is not whole frames that start with a hello of
    /// this build's protocol version.
    pub fn to_bytes(&self) -> Result<Vec<u8>, RecordingError> {
        if self.id_base == 0 {
            return Err(RecordingError::Corrupt(
                "the id base is 0, which is the root's".into(),
            ));
        }
        let hello = check_stream(&self.stream)?;
        if hello.version != PROTOCOL_VERSION {
            return Err(RecordingError::Corrupt(format!(
                "the recorded hello is of protocol version {}, not this build's {PROTOCOL_VERSION}",
                hello.version
            )));
        }
        let stream = without_token(&self.stream);
        let mut out = postcard::to_stdvec(&Preamble {
            magic: MAGIC,
            format: FORMAT_VERSION,
            protocol: PROTOCOL_VERSION,
            created_by: CREATED_BY,
        })
        .map_err(|e| RecordingError::Corrupt(e.to_string()))?;
        out = postcard::to_extend(
            &BodyRef {
                workload: &self.workload,
                size: self.size,
                frames: self.frames,
                id_base: self.id_base,
                stream: &stream,
            },
            out,
        )
        .map_err(|e| RecordingError::Corrupt(e.to_string()))?;
        Ok(out)
    }

    /// Parses a file's bytes, checking the preamble, the format and protocol versions, and
    /// that the stream is whole frames that start with a hello.
    pub fn from_bytes(bytes: &[u8]) -> Result<Recording, RecordingError> {
        if bytes.is_empty() {
            return Err(RecordingError::NotARecording("the file is empty".into()));
        }
        if bytes.len() < MAGIC.len() && MAGIC.starts_with(bytes) {
            return Err(RecordingError::Truncated(format!(
                "{} bytes, inside the magic bytes",
                bytes.len()
            )));
        }
        if !bytes.starts_with(&MAGIC) {
            return Err(RecordingError::NotARecording(
                "it does not start with NETUIREC".into(),
            ));
        }
        let (preamble, rest) = postcard::take_from_bytes::<Preamble<String>>(bytes)
            .map_err(|e| read_error("the preamble", e))?;
        if preamble.format > FORMAT_VERSION {
            return Err(RecordingError::NewerFormat {
                format: preamble.format,
                created_by: preamble.created_by,
            });
        }
        if preamble.format == 0 {
            return Err(RecordingError::Corrupt(
                "recording format 0 does not exist".into(),
            ));
        }
        if preamble.protocol != PROTOCOL_VERSION {
            return Err(RecordingError::ProtocolVersion {
                protocol: preamble.protocol,
                created_by: preamble.created_by,
            });
        }
        let (body, rest) =
            postcard::take_from_bytes::<Body>(rest).map_err(|e| read_error("the header", e))?;
        if !rest.is_empty() {
            return Err(RecordingError::Corrupt(format!(
                "{} bytes follow the end of the recording",
                rest.len()
            )));
        }
        if body.id_base == 0 {
            return Err(RecordingError::Corrupt(
                "the id base is 0, which is the root's".into(),
            ));
        }
        let hello = check_stream(&body.stream)?;
        if hello.version != preamble.protocol {
            return Err(RecordingError::Corrupt(format!(
                "the header says protocol version {} but the recorded hello says {}",
                preamble.protocol, hello.version
            )));
        }
        Ok(Recording {
            workload: body.workload,
            size: body.size,
            frames: body.frames,
            id_base: body.id_base,
            stream: body.stream,
        })
    }
}

fn read_error(what: &str, e: postcard::Error) -> RecordingError {
    match e {
        postcard::Error::DeserializeUnexpectedEnd => {
            RecordingError::Truncated(format!("the file ends inside {what}"))
        }
        e => RecordingError::Corrupt(format!("{what} does not decode: {e}")),
    }
}

/// Checks that `stream` is whole frames within the protocol's default limits that one
/// [`FrameReader`] reads from the start (context frames included), the first message a
/// netui hello. Returns the hello's prefix.
fn check_stream(stream: &[u8]) -> Result<HelloPrefix, RecordingError> {
    let mut frames = FrameReader::new(Limits::default());
    frames.feed(stream);
    let mut hello = None;
    let mut at = 0;
    let mut index = 0;
    loop {
        let frame = match frames.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(e) => {
                return Err(RecordingError::Corrupt(format!(
                    "frame {index} of the stream (byte {at}): {e}"
                )))
            }
        };
        for body in frame.bodies {
            if hello.is_none() {
                let prefix = HelloPrefix::peek(body)
                    .ok()
                    .filter(|p| p.magic == HELLO_MAGIC)
                    .ok_or_else(|| {
                        RecordingError::Corrupt(
                            "the stream does not start with a netui hello".into(),
                        )
                    })?;
                hello = Some(prefix);
            }
        }
        at += frame.wire.len();
        index += 1;
    }
    if !frames.buffered().is_empty() {
        return Err(RecordingError::Truncated(format!(
            "the stream ends inside frame {index}"
        )));
    }
    hello.ok_or_else(|| RecordingError::Corrupt("the stream is empty: it has no hello".into()))
}

/// The stream with its hello's token removed (a recording made over TCP would keep it).
fn without_token(stream: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let Some((mut hello, rest)) = recorded_hello(stream) else {
        return stream.into();
    };
    if hello.token.take().is_none() {
        return stream.into();
    }
    match frame::encode_single(&hello) {
        Ok(mut bytes) => {
            bytes.extend_from_slice(rest);
            bytes.into()
        }
        // A hello always encodes; if it did not, keeping no hello beats keeping the token.
        Err(_) => rest.to_vec().into(),
    }
}

/// The recorded hello, if it decodes as this version's, and the frames after it.
fn recorded_hello(stream: &[u8]) -> Option<(ClientHello, &[u8])> {
    let mut frames = FrameReader::new(Limits::default());
    frames.feed(stream);
    let mut hello = frames.next_frame().ok()??;
    let body = hello.bodies.next()?;
    let rest = stream.get(hello.wire.len()..)?;
    Some((check_client_hello(body).ok()?, rest))
}

/// The compression that wrote a frame, as far as its header tells: an `lz4` frame that LZ4
/// did not shrink is written again without compression, which gives the same bytes.
fn compression_of(header: FrameHeader) -> Compression {
    match (header.context, header.compressed) {
        (true, _) => Compression::Lz4Ctx,
        (false, true) => Compression::Lz4,
        (false, false) => Compression::None,
    }
}

/// Plays `recording` into a display as its application, over `stream` (connected to the
/// display, or to a proxy in front of it), and returns the connection once the display has
/// carried out every request.
///
/// It connects with a fresh hello rather than the recorded one: the recorded hello may carry
/// the token of the display it was recorded on (a secret, and the wrong one here), and a hello
/// of this build is one that this build's server reads. It keeps the recorded client name and
/// the compression the recorded hello asked the display to write with. Then each recorded
/// frame, as described in the module doc, and a final Sync, whose answer it waits for.
/// Requests that the display refuses are not fatal (it refused them while recording too); a
/// protocol error, or the connection closing, is.
///
/// Keep the returned [`Display`] while you read what you wanted: the display destroys a
/// client's windows when it leaves, which dropping the `Display` does.
pub fn play(stream: UnixStream, recording: &Recording) -> anyhow::Result<Display> {
    let mut recorded = FrameReader::new(Limits::default());
    recorded.feed(&recording.stream);
    // The hello is a frame of the stream like the others, for the reader's decoder.
    let mut first = recorded
        .next_frame()?
        .ok_or_else(|| anyhow!("the recording has no hello frame"))?;
    let (client_name, compression) = match first.bodies.next().map(check_client_hello) {
        Some(Ok(old)) => (old.client_name, old.compression),
        _ => (recording.workload.clone(), Compression::default()),
    };
    let mut display = Display::connect_stream_with(
        Stream::Unix(stream),
        None,
        "replay".into(),
        &client_name,
        compression,
    )
    .context("the display did not take the replay")?;
    let welcome = display.welcome().clone();
    if welcome.screen != recording.size {
        tracing::warn!(
            "the screen is {}x{}, the recording was made on {}x{}",
            welcome.screen.width,
            welcome.screen.height,
            recording.size.width,
            recording.size.height
        );
    }

    let (old, new, mask) = (recording.id_base, welcome.id_base, welcome.id_mask);
    let remap = |id: ResourceId| {
        if id.0 & !mask == old {
            ResourceId(new | (id.0 & mask))
        } else {
            id
        }
    };
    tracing::debug!("replaying ids {old:#x}|n as {new:#x}|n");
    let mut sent: u32 = 0;
    // `check_stream` accepted every frame if the recording was loaded or saved; one built in
    // memory is checked here.
    while let Some(frame) = recorded.next_frame()? {
        display.set_compression(compression_of(frame.header));
        for body in frame.bodies {
            sent = sent.wrapping_add(1);
            let queued = match frame::decode_request(body) {
                Ok(mut request) => {
                    request.map_ids(remap);
                    display.send_unmerged(&request)
                }
                Err(e) => {
                    tracing::debug!("recorded request #{sent} is sent as recorded: {e}");
                    display.send_body(body)
                }
            };
            queued
                .map_err(closed)
                .with_context(|| format!("recorded request #{sent}"))?;
        }
        display.flush().map_err(closed)?;
    }
    if !recorded.buffered().is_empty() {
        bail!("the recorded stream ends inside a frame");
    }

    // One round trip: the display answers the Sync after every request before it.
    match display.sync() {
        Ok(()) => {}
        Err(netui::Error::Request(first)) => tracing::info!(
            "the display refused some of the {sent} recorded requests of {}, the first: {first}",
            recording.workload
        ),
        Err(e) => return Err(closed(e)),
    }
    Ok(display)
}

/// A failure of the replay's connection, with the display's reason when it gave one.
fn closed(e: netui::Error) -> anyhow::Error {
    match e {
        netui::Error::Disconnected(why) => anyhow!("the display closed the connection: {why}"),
        e => e.into(),
    }
}
