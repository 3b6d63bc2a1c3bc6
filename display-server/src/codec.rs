//! The netui codec: one connection from its hello to its close, over any byte stream.
//!
//! A reader decodes frames (concurrently with every other connection) and hands the requests
//! to the core thread; a writer batches whatever the core sends back into frames, in the
//! compression the client's hello asked for (pixel updates excepted: they go in plain frames
//! of their own, px-raw and px-damage never compressed). The core owns all state, so nothing
//! here locks. Parsing is the protocol crate's ([`netui_protocol::connection`]); this module
//! only moves bytes between it and the stream.

use std::sync::Arc;
use std::time::Duration;

use netui_protocol::connection::{FrameReader, ServerHandshake};
use netui_protocol::frame::{self, BatchWriter, Compression};
use netui_protocol::{ClientHello, Limits, RectEncoding, Refusal, ServerMessage, ViewMessage};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::core::{CoreMsg, Incoming, Outbox, OutboxReceiver, BATCHES_IN_FLIGHT};
use crate::listener::Shared;
use crate::peer::{Access, ConnId, Peer};

/// How long a new connection has to send its hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves one connection from hello to close.
pub(crate) async fn serve<R, W>(
    conn: ConnId,
    mut reader: R,
    mut writer: W,
    peer: Peer,
    shared: &Shared,
    core: mpsc::Sender<CoreMsg>,
) -> Result<(), std::io::Error>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut handshake = ServerHandshake::new();
    let hello =
        match tokio::time::timeout(HELLO_TIMEOUT, read_hello(&mut reader, &mut handshake)).await {
            Ok(Ok(hello)) => hello,
            Ok(Err(refusal)) => return refuse(&mut writer, handshake, refusal).await,
            Err(_) => return Err(std::io::Error::other("no hello within 10 s")),
        };
    let access = match Access::admit(&peer, hello.token.as_deref(), hello.role, &shared.tokens) {
        Ok(access) => access,
        Err(refusal) => {
            if refusal == Refusal::WrongToken {
                tracing::warn!(conn, %peer, "refused a connection with a wrong token");
            }
            if refusal == Refusal::ViewOnlyToken {
                tracing::info!(conn, %peer, "refused an application with the view-only token");
            }
            return refuse(&mut writer, handshake, refusal).await;
        }
    };
    let (outbox_tx, outbox_rx) = Outbox::channel();
    let (respond, answer) = oneshot::channel();
    let compression = hello.compression;
    core.send(CoreMsg::Hello {
        conn,
        name: hello.client_name,
        peer,
        access,
        role: hello.role,
        outbox: outbox_tx,
        respond,
    })
    .await
    .map_err(|_| std::io::Error::other("server is shutting down"))?;
    let welcome = match answer.await {
        Ok(Ok(welcome)) => welcome,
        Ok(Err(refusal)) => return refuse(&mut writer, handshake, refusal).await,
        Err(_) => return Err(std::io::Error::other("server is shutting down")),
    };
    // The reader goes on from the hello: requests that came right behind it are kept.
    let (answer, frames) = handshake.accept(welcome).map_err(std::io::Error::other)?;
    write_hello(&mut writer, &answer).await?;

    let writing = write_loop(writer, outbox_rx, shared.limits, compression);
    tokio::pin!(writing);
    tokio::select! {
        result = read_loop(conn, &mut reader, frames, shared, &core) => {
            // The core has been told (Gone or ProtocolError) and drops the outbox, so the
            // writer sends what is left, such as the error report, and ends.
            writing.await?;
            result
        }
        result = &mut writing => result,
    }
}

/// Answers a connection's hello with [`Refusal::TooManyClients`] (waiting a short while for
/// the hello), for a server that cannot serve one more.
pub(crate) async fn refuse_full<R, W>(reader: R, writer: W)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    refuse_plain(reader, writer, Refusal::TooManyClients).await;
}

/// Answers a connection's hello with `refusal` (waiting a short while for the hello): a
/// plain client on the TLS port, say.
pub(crate) async fn refuse_plain<R, W>(mut reader: R, mut writer: W, refusal: Refusal)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut handshake = ServerHandshake::new();
    let wait = Duration::from_secs(2);
    // Whatever the hello says (even nothing), the answer is the same.
    let _ = tokio::time::timeout(wait, read_hello(&mut reader, &mut handshake)).await;
    let _ = tokio::time::timeout(wait, refuse(&mut writer, handshake, refusal)).await;
}

async fn refuse<W: AsyncWrite + Unpin>(
    writer: &mut W,
    handshake: ServerHandshake,
    refusal: Refusal,
) -> std::io::Result<()> {
    let why = refusal.to_string();
    let answer = handshake.refuse(refusal).map_err(std::io::Error::other)?;
    write_hello(writer, &answer).await?;
    let _ = writer.shutdown().await;
    Err(std::io::Error::other(format!("refused: {why}")))
}

async fn write_hello<W: AsyncWrite + Unpin>(writer: &mut W, answer: &[u8]) -> std::io::Result<()> {
    writer.write_all(answer).await?;
    writer.flush().await
}

/// Reads until the handshake has the client's hello, checked (magic, version, format).
async fn read_hello<R: AsyncRead + Unpin>(
    reader: &mut R,
    handshake: &mut ServerHandshake,
) -> Result<ClientHello, Refusal> {
    loop {
        if let Some(hello) = handshake.poll()? {
            return Ok(hello);
        }
        // A failed read ends the hello as a closed connection does.
        let n = reader.read(handshake.spare()).await.unwrap_or(0);
        handshake.filled(n);
    }
}

/// Reads frames until the peer closes or breaks the rules, handing requests to the core.
/// The client writes in whichever compression it likes: the reader decodes them all, keeping
/// the context that `lz4-ctx` frames need.
async fn read_loop<R: AsyncRead + Unpin>(
    conn: ConnId,
    reader: &mut R,
    mut frames: FrameReader,
    shared: &Shared,
    core: &mpsc::Sender<CoreMsg>,
) -> Result<(), std::io::Error> {
    let mut seq: u32 = 0;
    // The frames this connection may have waiting in the core: the reader stops reading
    // (and TCP pushes back on the client) until the core has done one.
    let in_flight = Arc::new(Semaphore::new(BATCHES_IN_FLIGHT));
    loop {
        match frames.next_frame() {
            Ok(Some(frame)) => {
                let mut items = decode_batch(frame.bodies, &mut seq);
                if items.iter().any(|i| i.has_images(&shared.images)) {
                    items = match prepare_images(items, shared).await {
                        Ok(items) => items,
                        Err(e) => {
                            let _ = core.send(CoreMsg::Gone { conn }).await;
                            return Err(e);
                        }
                    };
                }
                let permit = in_flight.clone().acquire_owned().await.ok();
                core.send(CoreMsg::Batch {
                    conn,
                    items,
                    permit,
                })
                .await
                .map_err(|_| std::io::Error::other("core gone"))?;
                continue;
            }
            Ok(None) => {}
            Err(error) => {
                let _ = core.send(CoreMsg::ProtocolError { conn, error }).await;
                return Ok(());
            }
        }
        // The reader makes room for the rest of the frame in progress (bounded by the limits
        // its header was checked against).
        let read = reader.read(frames.spare()).await;
        match read {
            Ok(0) => {
                let _ = core.send(CoreMsg::Gone { conn }).await;
                return Ok(());
            }
            Ok(n) => frames.filled(n),
            Err(e) => {
                let _ = core.send(CoreMsg::Gone { conn }).await;
                return Err(e);
            }
        }
    }
}

/// Decodes the requests of one frame (its framing was checked by the reader). A request
/// that does not decode is kept as an error for the core to report: the length prefix lets
/// the batch go on.
fn decode_batch<'a>(bodies: impl Iterator<Item = &'a [u8]>, seq: &mut u32) -> Vec<Incoming> {
    bodies
        .map(|body| {
            *seq = seq.wrapping_add(1);
            Incoming::new(*seq, frame::opcode(body), frame::decode_request(body))
        })
        .collect()
}

/// Codes the images of a frame's requests where the core will find them
/// ([`Incoming::prepare_all`]), on tokio's threads for blocking work: a photograph takes 10
/// to 15 ms, which would hold up the other connections that this runtime's two threads
/// serve.
async fn prepare_images(
    mut items: Vec<Incoming>,
    shared: &Shared,
) -> Result<Vec<Incoming>, std::io::Error> {
    let images = shared.images.clone();
    let max_bytes = shared.limits.max_payload as usize;
    let code = move || {
        Incoming::prepare_all(&mut items, &images, max_bytes);
        items
    };
    // Coding refuses bad data rather than panic; the task fails only if it panicked all the
    // same or the runtime is shutting down, and then the connection ends.
    tokio::task::spawn_blocking(code)
        .await
        .map_err(|e| std::io::Error::other(format!("coding images failed: {e}")))
}

/// Sends what the core puts in the outbox, batching whatever has piled up into frames in
/// the client's chosen compression.
async fn write_loop<W: AsyncWrite + Unpin>(
    mut writer: W,
    mut outbox: OutboxReceiver,
    limits: Limits,
    compression: Compression,
) -> Result<(), std::io::Error> {
    let mut batch = BatchWriter::new(limits, compression);
    while let Some(first) = outbox.recv().await {
        push(&mut batch, &first, compression)?;
        while batch.pending_bytes() < 1 << 20 {
            let Some(next) = outbox.try_recv() else { break };
            push(&mut batch, &next, compression)?;
        }
        let frames = batch.take_frames();
        writer.write_all(&frames).await?;
        batch.give_back(frames);
    }
    writer.flush().await?;
    let _ = writer.shutdown().await;
    Ok(())
}

/// Adds a message to the batch. A pixel update goes in a plain frame of its own, outside any
/// `lz4-ctx` context: px-raw and px-damage uncompressed, as their names say; the LZ4
/// encodings' updates with one more LZ4 pass if the client asked for compression, because
/// LZ4 codes long runs (the zeros of a delta) as strings of length bytes that a second pass
/// removes (a third of px-delta-lz4's bytes for an animation on the modem). Public so that
/// the benchmark frames updates it encodes itself exactly as the server would.
pub fn push(
    batch: &mut BatchWriter,
    message: &ServerMessage,
    compression: Compression,
) -> std::io::Result<()> {
    if let ServerMessage::View(ViewMessage::Pixels { rects, .. }) = message {
        let lz4 = rects
            .iter()
            .any(|r| matches!(r.kind, RectEncoding::Lz4 | RectEncoding::DeltaLz4));
        let frame = if lz4 && compression != Compression::None {
            Compression::Lz4
        } else {
            Compression::None
        };
        // Its own frame even when its compression is the connection's (LZ4): the message
        // before it may have left a frame open.
        batch.end_frame();
        batch.set_compression(frame);
        batch.push(message).map_err(std::io::Error::other)?;
        batch.end_frame();
        batch.set_compression(compression);
        return Ok(());
    }
    batch.push(message).map_err(std::io::Error::other)
}
