//! [`Connection`]: the I/O under a [`Display`](crate::Display), which is the handshake, one
//! reader and one writer of the transport's stream, and their shutdown.
//!
//! A connection runs on a thread of its own, in a small tokio runtime that it owns: the
//! transport opens its stream there ([`Transport::open`]), the hello goes out and the welcome
//! comes back, and the stream is then split ([`tokio::io::split`]) between a reader and a
//! writer, two futures of one task. Nothing needs a second handle on the socket.
//!
//! The application's thread meets them through channels, so that it never waits for the
//! network: batches of frames go to the writer (a bounded queue: drawing blocks when
//! [`WRITE_QUEUE`] batches wait, which is the backpressure), and the reader sorts what the
//! server sends into answers (replies and error reports), events and viewer messages.

use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use netui_protocol::connection::{ClientHandshake, FrameReader};
use netui_protocol::frame::{decode_message, Bodies};
use netui_protocol::{
    ClientHello, ErrorCode, ErrorReport, HandshakeError, Refusal, Reply, ServerMessage,
    ViewMessage, Welcome,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;

use crate::error::Error;
use crate::event::{self, EventSender, Events};
use crate::transport::Transport;

/// Batches that may wait for the writer before drawing calls block (backpressure).
const WRITE_QUEUE: usize = 16;
/// How long the reader goes on after a write failed, for the server's last words.
const CLOSING_GRACE: Duration = Duration::from_secs(1);

/// What the reader hands to whoever waits for a reply.
#[derive(Debug)]
pub(crate) enum Answer {
    /// A reply to a request.
    Reply(Reply),
    /// A request failed.
    Error(ErrorReport),
    /// The connection ended, for this reason; nothing follows.
    Closed(String),
}

/// The application's side of a running connection. Dropping it sends what is queued, closes
/// the stream and waits for the connection's thread to end.
#[derive(Debug)]
pub(crate) struct Connection {
    /// `None` once closed (in `drop`).
    outbox: Option<Outbox>,
    answers: Receiver<Answer>,
    events: Events,
    views: Receiver<ViewMessage>,
    thread: Option<JoinHandle<()>>,
}

/// The application's end of the writer's queue. It is a std channel so that a full queue
/// blocks the drawing thread in any context (tokio's `blocking_send` would panic inside a
/// runtime); the [`Notify`] wakes the writer after each batch. The writer hands each
/// buffer back once written, for the next batch.
#[derive(Debug)]
struct Outbox {
    frames: SyncSender<Vec<u8>>,
    wake: Arc<Notify>,
    spent: Receiver<Vec<u8>>,
}

/// The writer's ends of the queue ([`Outbox`]).
struct WriteQueue {
    frames: Receiver<Vec<u8>>,
    wake: Arc<Notify>,
    spent: SyncSender<Vec<u8>>,
}

/// The reader's ends of the channels to the application.
struct Inbox {
    answers: Sender<Answer>,
    events: EventSender,
    views: Sender<ViewMessage>,
}

/// What the connection's thread needs to say hello.
struct Hello {
    /// The hello's bytes.
    bytes: Vec<u8>,
    handshake: ClientHandshake,
    /// The display's name, for errors.
    display: String,
}

impl Connection {
    /// Starts a connection over `transport`, says `hello`, and returns once the server has
    /// answered: the running connection and the server's welcome, or why there is none.
    pub(crate) fn open<T: Transport>(
        transport: T,
        hello: &ClientHello,
        display: &str,
    ) -> Result<(Self, Welcome), Error> {
        let (handshake, bytes) = ClientHandshake::new(hello)?;
        let hello = Hello {
            bytes,
            handshake,
            display: display.to_owned(),
        };
        let (ready_tx, ready) = mpsc::sync_channel(1);
        let (frames, frames_rx) = mpsc::sync_channel(WRITE_QUEUE);
        let (spent_tx, spent) = mpsc::sync_channel(1);
        let wake = Arc::new(Notify::new());
        let (answers_tx, answers) = mpsc::channel();
        let (events_tx, events) = event::channel();
        let (views_tx, views) = mpsc::channel();
        let inbox = Inbox {
            answers: answers_tx,
            events: events_tx,
            views: views_tx,
        };
        let writer_wake = Arc::clone(&wake);
        let thread = std::thread::Builder::new()
            .name("netui-connection".into())
            .spawn(move || {
                let queue = WriteQueue {
                    frames: frames_rx,
                    wake: writer_wake,
                    spent: spent_tx,
                };
                run(transport, hello, ready_tx, inbox, queue)
            })
            .map_err(|e| {
                Error::Disconnected(format!("cannot start the connection's thread: {e}"))
            })?;
        let failed = match ready.recv() {
            Ok(Ok(welcome)) => {
                let connection = Self {
                    outbox: Some(Outbox {
                        frames,
                        wake,
                        spent,
                    }),
                    answers,
                    events,
                    views,
                    thread: Some(thread),
                };
                return Ok((connection, welcome));
            }
            Ok(Err(e)) => e,
            Err(_) => Error::Disconnected("the connection's thread stopped".into()),
        };
        // The thread has ended or is about to: it sent its last word.
        let _ = thread.join();
        Err(failed)
    }

    /// Hands frames to the writer; blocks while the writer's queue is full.
    pub(crate) fn send(&self, frames: Vec<u8>) -> Result<(), Error> {
        let outbox = self
            .outbox
            .as_ref()
            .ok_or_else(|| Error::Disconnected("closed".into()))?;
        if outbox.frames.send(frames).is_err() {
            return Err(self.why_closed());
        }
        outbox.wake.notify_one();
        Ok(())
    }

    /// A buffer that the writer has written and handed back, if one waits.
    pub(crate) fn spent(&self) -> Option<Vec<u8>> {
        self.outbox.as_ref()?.spent.try_recv().ok()
    }

    /// Why the connection ended, once the writer has stopped: the reader still reads what
    /// the server sent before it closed (perhaps the error that says why) for a grace period,
    /// then closes the answers with that reason. Replies still queued are dropped: nobody
    /// will ask for them on a closed connection.
    fn why_closed(&self) -> Error {
        loop {
            match self.answers.recv() {
                Ok(Answer::Closed(why)) => return Error::Disconnected(why),
                Ok(_) => continue,
                Err(_) => return lost(),
            }
        }
    }

    /// Waits for the next reply or error report.
    pub(crate) fn answer(&self) -> Result<Answer, Error> {
        match self.answers.recv() {
            Ok(Answer::Closed(why)) => Err(Error::Disconnected(why)),
            Ok(answer) => Ok(answer),
            Err(_) => Err(lost()),
        }
    }

    /// The queue of events.
    pub(crate) fn events(&mut self) -> &mut Events {
        &mut self.events
    }

    /// Takes the channel of viewer messages; later calls get a closed channel.
    pub(crate) fn take_views(&mut self) -> Receiver<ViewMessage> {
        let (_, closed) = mpsc::channel();
        std::mem::replace(&mut self.views, closed)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Closing the queue lets the writer send what is left, shut its side and end, which
        // ends the connection.
        if let Some(Outbox { frames, wake, .. }) = self.outbox.take() {
            drop(frames);
            wake.notify_one();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What the application gets when the connection ended without saying why.
fn lost() -> Error {
    Error::Disconnected("the connection to the display was lost".into())
}

/// The connection's thread: its runtime, the handshake, then the reader and the writer.
fn run<T: Transport>(
    transport: T,
    hello: Hello,
    ready: SyncSender<Result<Welcome, Error>>,
    inbox: Inbox,
    queue: WriteQueue,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let why = format!("cannot start the connection's runtime: {e}");
            let _ = ready.send(Err(Error::Disconnected(why)));
            return;
        }
    };
    runtime.block_on(async move {
        let (stream, reader) = match handshake(transport, hello).await {
            Ok((stream, welcome, reader)) => {
                if ready.send(Ok(welcome)).is_err() {
                    return;
                }
                (stream, reader)
            }
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let (mut read, mut write) = tokio::io::split(stream);
        // Boxed rather than pinned in place, so that the reader can be dropped, and its
        // borrow of the inbox ended, before the inbox closes.
        let mut reading = Box::pin(read_loop(&mut read, reader, &inbox));
        let mut writing = Box::pin(write_loop(&mut write, queue));
        tokio::select! {
            why = &mut reading => {
                drop(reading);
                tracing::debug!("reader: {why}");
                // Closing drops the senders: a thread that iterates over the viewer
                // messages sees the end.
                inbox.close(why);
                // Requests still go out until the application hangs up or a write fails, as
                // they would on a socket that the server has not closed yet.
                if let Err(e) = writing.await {
                    tracing::debug!("writer: {e}");
                }
            }
            written = &mut writing => match written {
                // The application hung up and everything it sent is written: nobody reads.
                Ok(()) => {}
                // The server has most likely closed its end: what it sent before, perhaps the
                // error that says why, is still read, up to the end of the stream; but a
                // stream broken one way only is not waited on for long.
                Err(e) => {
                    tracing::debug!("writer: {e}");
                    let why = tokio::time::timeout(CLOSING_GRACE, &mut reading)
                        .await
                        .unwrap_or_else(|_| format!("cannot write to the display: {e}"));
                    drop(reading);
                    tracing::debug!("reader: {why}");
                    inbox.close(why);
                }
            },
        }
    });
}

/// Opens the transport, sends the hello and reads the server's answer: the stream, the
/// welcome, and the reader of the frames that follow (some may have come with the welcome).
async fn handshake<T: Transport>(
    transport: T,
    hello: Hello,
) -> Result<(T::Io, Welcome, FrameReader), Error> {
    let Hello {
        bytes,
        mut handshake,
        display,
    } = hello;
    let closed = |e: std::io::Error| Error::Disconnected(e.to_string());
    let mut stream = transport
        .open()
        .await
        .map_err(|source| Error::Transport { display, source })?;
    stream.write_all(&bytes).await.map_err(closed)?;
    stream.flush().await.map_err(closed)?;
    let welcome = loop {
        match handshake.poll() {
            Ok(Some(welcome)) => break welcome,
            Ok(None) => {}
            Err(HandshakeError::Refused(refusal)) => return Err(Error::Refused(refusal)),
            Err(HandshakeError::VersionMismatch { server, client }) => {
                return Err(Error::Refused(Refusal::VersionMismatch { server, client }))
            }
            Err(HandshakeError::Decode(e)) => return Err(Error::Decode(e)),
            Err(e @ (HandshakeError::NotNetui(_) | HandshakeError::Closed)) => {
                return Err(Error::Disconnected(e.to_string()))
            }
        }
        let n = read_some(&mut stream, handshake.spare())
            .await
            .map_err(closed)?;
        handshake.filled(n);
    };
    Ok((stream, welcome, handshake.into_reader()))
}

/// The reader: sorts what the server sends into answers, events and viewer messages until
/// the stream ends or breaks the rules; returns why it stopped.
async fn read_loop(
    read: &mut (impl AsyncRead + Unpin),
    mut frames: FrameReader,
    inbox: &Inbox,
) -> String {
    loop {
        // First the frames already buffered (the handshake may have read some).
        loop {
            match frames.next_frame() {
                Ok(Some(frame)) => {
                    if let Err(why) = inbox.deliver(frame.bodies) {
                        return why;
                    }
                }
                Ok(None) => break,
                Err(e) => return format!("bad data from the server: {e}"),
            }
        }
        match read_some(read, frames.spare()).await {
            Ok(0) => return "the server closed the connection".into(),
            Ok(n) => frames.filled(n),
            Err(e) => return e.to_string(),
        }
    }
}

/// The writer: writes each batch as it comes, and when the application hangs up, what is
/// left, then shuts its side of the stream (a TLS stream says goodbye there).
async fn write_loop(
    write: &mut (impl AsyncWrite + Unpin),
    queue: WriteQueue,
) -> std::io::Result<()> {
    let WriteQueue {
        frames,
        wake,
        spent,
    } = queue;
    loop {
        match frames.try_recv() {
            Ok(batch) => {
                write.write_all(&batch).await?;
                // Full when the application has not taken the last one back: then this one
                // is freed.
                let _ = spent.try_send(batch);
            }
            Err(TryRecvError::Empty) => {
                // Nothing more for now: let a buffering stream (TLS) send what it holds.
                write.flush().await?;
                // The application notifies after each send, and a notification that comes
                // before this wait is kept: no batch waits unseen.
                wake.notified().await;
            }
            Err(TryRecvError::Disconnected) => return write.shutdown().await,
        }
    }
}

/// One read into `buf`, retried if a signal interrupts it; 0 when the peer closed the stream.
async fn read_some(read: &mut (impl AsyncRead + Unpin), buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match read.read(buf).await {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            read => return read,
        }
    }
}

impl Inbox {
    /// Hands one frame's messages to whoever waits for them. `Err` when the connection
    /// cannot go on: a message that does not decode, or a protocol error from the server
    /// (which then closes the connection).
    fn deliver(&self, bodies: Bodies<'_>) -> Result<(), String> {
        let mut broken = None;
        for body in bodies {
            // The application may have dropped a receiver; then nobody wants the message.
            match decode_message::<ServerMessage>(body).map_err(|e| e.to_string())? {
                ServerMessage::Event(event) => self.events.send(Ok(event)),
                ServerMessage::View(view) => {
                    let _ = self.views.send(view);
                }
                ServerMessage::Reply(reply) => {
                    let _ = self.answers.send(Answer::Reply(reply));
                }
                ServerMessage::Error(report) => {
                    if report.code == ErrorCode::Protocol {
                        broken = Some(report.to_string());
                    }
                    let _ = self.answers.send(Answer::Error(report));
                }
            }
        }
        broken.map_or(Ok(()), Err)
    }

    /// Tells whoever waits that the connection ended, and why; then hangs up.
    fn close(self, why: String) {
        let _ = self.answers.send(Answer::Closed(why.clone()));
        self.events.send(Err(Error::Disconnected(why)));
    }
}
