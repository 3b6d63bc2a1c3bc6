//! [`Display`]: one connection to a display server. The drawing calls are in `draw.rs`, the
//! queue of requests in `batch.rs`.

use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;

use netui_protocol::connection::ClientHandshake;
use netui_protocol::frame::{decode_message, Compression};
use netui_protocol::{
    ClientHello, ErrorReport, Event, Font, HandshakeError, Limits, Rect, Refusal, Reply, Request,
    ResourceId, ServerInfo, ServerMessage, Size, ViewMessage, Welcome,
};

use crate::batch::Batch;
use crate::connect;
use crate::error::Error;
use crate::event::{self, EventSender, EventStream, Events};
use crate::transport::{self, FrameReader, ReadError, Stream};

/// Frames that may wait for the writer thread before drawing calls block (backpressure).
const WRITE_QUEUE: usize = 16;

/// Pixels read back from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// The area read, clipped to the source.
    pub area: Rect,
    /// RGBA bytes, rows top to bottom.
    pub rgba: Vec<u8>,
}

/// Byte and round-trip counts of a connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests sent.
    pub requests: u64,
    /// Frames sent.
    pub frames: u64,
    /// Request bytes before compression.
    pub payload_bytes: u64,
    /// Bytes sent on the wire, frame headers included.
    pub wire_bytes: u64,
    /// Times the client waited for the server (the handshake counts as one).
    pub round_trips: u64,
}

/// What the reader thread hands to whoever waits for a reply.
#[derive(Debug)]
enum Answer {
    Reply(Reply),
    Error(ErrorReport),
    Closed(String),
}

/// A connection to a display server.
///
/// Drawing calls queue requests and return at once; [`Display::flush`] hands the batch to a
/// writer thread (compressed when that pays), so the application never waits for the network.
/// The connection's [`Compression`] is LZ4 per frame unless chosen otherwise with
/// [`Display::connect_stream_with`]; it applies both ways (the server writes to this client
/// in it, and this client writes to the server in it).
/// Only [`Display::sync`], [`Display::get_image`] and [`Display::server_info`] wait for the
/// server. Consecutive fills of one color into one target, or segments of one style, are
/// merged into one request, as Xlib does.
///
/// A program that shows the display's screen turns its connection into a
/// [`Viewer`](crate::Viewer).
///
/// ```no_run
/// use netui::{Color, Display, Event, Font, Key, Point, Rect};
///
/// fn main() -> Result<(), netui::Error> {
///     // Connects to $NETUI_DISPLAY, for instance ":0".
///     let mut display = Display::connect(None)?;
///     let window = display.create_window(Rect::new(100, 100, 320, 200), "Hello", Color::WHITE)?;
///     display.map(window);
///     loop {
///         match display.wait_event()? {
///             Event::Expose { .. } => {
///                 display.fill_rect(window, Rect::new(20, 20, 100, 60), Color::rgb(200, 40, 40));
///                 display.text(window, Point::new(20, 100), Font::Sans, 24, Color::BLACK, "Hello, netui");
///                 display.present(window)?;
///             }
///             Event::KeyPress(k) if k.key == Key::Escape => return Ok(()),
///             Event::CloseRequested { .. } => return Ok(()),
///             _ => {}
///         }
///     }
/// }
/// ```
pub struct Display {
    welcome: Welcome,
    display_name: String,
    batch: Batch,
    next_id: u32,
    free_ids: Vec<u32>,
    round_trips: u64,
    frames_tx: Option<std_mpsc::SyncSender<Vec<u8>>>,
    answers: std_mpsc::Receiver<Answer>,
    events: Events,
    /// What the server sends a viewer (see [`Viewer`](crate::Viewer)).
    views: std_mpsc::Receiver<ViewMessage>,
    stream: Stream,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Display {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Display")
            .field("display", &self.display_name)
            .field("client_id", &self.welcome.client_id)
            .finish_non_exhaustive()
    }
}

impl Display {
    /// Connects to a display by name (`:N` or `HOST:N`), or to `NETUI_DISPLAY` when `name`
    /// is `None`. Over TCP the token comes from the file named by `NETUI_AUTH`, or from the
    /// local server's token file for a display on this machine.
    pub fn connect(name: Option<&str>) -> Result<Self, Error> {
        let name = connect::display_name(name)?;
        let (stream, token) = connect::open(&name)?;
        Self::connect_stream(stream, token, name.to_string(), &program_name())
    }

    /// Connects over an explicit Unix socket (tests, tools).
    pub fn connect_unix(path: &std::path::Path, client_name: &str) -> Result<Self, Error> {
        let stream =
            std::os::unix::net::UnixStream::connect(path).map_err(|source| Error::Connect {
                display: path.display().to_string(),
                address: path.display().to_string(),
                source,
            })?;
        Self::connect_stream(
            Stream::Unix(stream),
            None,
            path.display().to_string(),
            client_name,
        )
    }

    /// Connects over TCP to an explicit address with an explicit token (tests, tools).
    pub fn connect_tcp(
        addr: std::net::SocketAddr,
        token: Option<Vec<u8>>,
        client_name: &str,
    ) -> Result<Self, Error> {
        let stream = std::net::TcpStream::connect(addr).map_err(|source| Error::Connect {
            display: addr.to_string(),
            address: addr.to_string(),
            source,
        })?;
        let _ = stream.set_nodelay(true);
        Self::connect_stream(Stream::Tcp(stream), token, addr.to_string(), client_name)
    }

    /// Connects over a stream that is already open (a thin client's shaped link, say).
    pub fn connect_stream(
        stream: Stream,
        token: Option<Vec<u8>>,
        display_name: String,
        client_name: &str,
    ) -> Result<Self, Error> {
        Self::handshake(
            stream,
            token,
            display_name,
            client_name,
            Compression::default(),
        )
    }

    /// Connects over a stream that is already open, with the connection's frames written in
    /// `compression` both ways: the hello asks the server for it, and this client's requests
    /// go in it too. [`Compression::Lz4Ctx`] compresses each frame against the earlier ones
    /// and sends a repeated large message (an image drawn again, say) as a reference.
    ///
    /// ```no_run
    /// use netui::transport::Stream;
    /// use netui::{Compression, Display};
    ///
    /// let socket = std::os::unix::net::UnixStream::connect("/tmp/display.sock")?;
    /// let display = Display::connect_stream_with(
    ///     Stream::Unix(socket),
    ///     None,
    ///     ":1".into(),
    ///     "my-app",
    ///     Compression::Lz4Ctx,
    /// )?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect_stream_with(
        stream: Stream,
        token: Option<Vec<u8>>,
        display_name: String,
        client_name: &str,
        compression: Compression,
    ) -> Result<Self, Error> {
        Self::handshake(stream, token, display_name, client_name, compression)
    }

    fn handshake(
        mut stream: Stream,
        token: Option<Vec<u8>>,
        display_name: String,
        client_name: &str,
        compression: Compression,
    ) -> Result<Self, Error> {
        use std::io::Write;
        let closed = |e: std::io::Error| Error::Disconnected(e.to_string());
        let hello = ClientHello::new(client_name, token).with_compression(compression);
        let (mut handshake, hello) = ClientHandshake::new(&hello)?;
        stream.write_all(&hello).map_err(closed)?;
        let welcome = read_welcome(&mut handshake, &mut stream)?;
        // The frames that came with the welcome stay in the reader.
        let reader = FrameReader::resume(handshake.into_reader());
        tracing::debug!(?welcome, %compression, "connected to {display_name}");

        let (frames_tx, frames_rx) = std_mpsc::sync_channel::<Vec<u8>>(WRITE_QUEUE);
        let (answers_tx, answers) = std_mpsc::channel();
        let (events_tx, events) = event::channel();
        let (views_tx, views) = std_mpsc::channel();
        let mut write_half = stream.try_clone().map_err(closed)?;
        let mut read_half = stream.try_clone().map_err(closed)?;
        let limits = welcome.limits;
        let writer = std::thread::Builder::new()
            .name("netui-writer".into())
            .spawn(move || {
                for frames in frames_rx {
                    if let Err(e) = write_half.write_all(&frames) {
                        tracing::debug!("writer: {e}");
                        write_half.shutdown();
                        break;
                    }
                }
            })
            .map_err(closed)?;
        let reader_thread = std::thread::Builder::new()
            .name("netui-reader".into())
            .spawn(move || {
                read_loop(
                    &mut read_half,
                    reader,
                    limits,
                    answers_tx,
                    events_tx,
                    views_tx,
                )
            })
            .map_err(closed)?;
        Ok(Self {
            batch: Batch::new(welcome.limits, compression),
            welcome,
            display_name,
            next_id: 1,
            free_ids: Vec::new(),
            round_trips: 1,
            frames_tx: Some(frames_tx),
            answers,
            events,
            views,
            stream,
            threads: vec![writer, reader_thread],
        })
    }

    /// What the server said when it accepted this client.
    pub fn welcome(&self) -> &Welcome {
        &self.welcome
    }

    /// The screen's size (as of the connection).
    pub fn screen_size(&self) -> Size {
        self.welcome.screen
    }

    /// The width in pixels of a line of text as the server draws it, measured here from the
    /// font metrics of the welcome (no round trip). Exact for U+0020..=U+00FF.
    pub fn text_width(&self, font: Font, size: u16, text: &str) -> u32 {
        self.welcome.fonts.get(font).text_width(text, size)
    }

    /// Ascent, descent and line height of a font at `size`, in pixels.
    pub fn line_metrics(&self, font: Font, size: u16) -> netui_protocol::LineMetrics {
        self.welcome.fonts.get(font).line_metrics(size)
    }

    /// Counts of what this connection has sent, and of its round trips.
    pub fn stats(&self) -> Stats {
        let s = self.batch.stats();
        Stats {
            requests: u64::from(self.batch.seq()),
            frames: s.frames,
            payload_bytes: s.payload_bytes,
            wire_bytes: s.wire_bytes,
            round_trips: self.round_trips,
        }
    }

    /// A resource id from this client's range, for a new window or pixmap.
    pub(crate) fn alloc_id(&mut self) -> Result<ResourceId, Error> {
        let n = match self.free_ids.pop() {
            Some(n) => n,
            None if self.next_id <= self.welcome.id_mask => {
                self.next_id += 1;
                self.next_id - 1
            }
            None => return Err(Error::IdsExhausted),
        };
        Ok(ResourceId(self.welcome.id_base | n))
    }

    /// Gives back the id of a destroyed window or freed pixmap, for reuse.
    pub(crate) fn release_id(&mut self, id: ResourceId) {
        self.free_ids.push(id.0 & self.welcome.id_mask);
    }

    /// Queues a request, merging it into the previous one where the two can be one.
    pub fn send(&mut self, request: Request) {
        if self.batch.push(request) {
            // A long burst: send what is encoded, without waiting for the flush.
            let _ = self.flush_batch();
        }
    }

    /// Sends every queued request. Returns at once: a writer thread does the I/O.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.batch.close();
        self.flush_batch()
    }

    fn flush_batch(&mut self) -> Result<(), Error> {
        let frames = self.batch.take_frames();
        if frames.is_empty() {
            return Ok(());
        }
        let tx = self
            .frames_tx
            .as_ref()
            .ok_or_else(|| Error::Disconnected("closed".into()))?;
        tx.send(frames)
            .map_err(|_| Error::Disconnected("the connection to the display was lost".into()))
    }

    /// Waits until the server has carried out every request sent so far. Returns the first
    /// error that any of them caused, naming the request.
    pub fn sync(&mut self) -> Result<(), Error> {
        self.send(Request::Sync);
        let seq = self.flush_and_seq()?;
        let mut first_error = None;
        loop {
            match self.answer()? {
                Answer::Reply(Reply::Sync { seq: s }) if s == seq => break,
                Answer::Error(report) => {
                    tracing::warn!("{report}");
                    first_error.get_or_insert(report);
                }
                _ => {}
            }
        }
        first_error.map_or(Ok(()), |r| Err(Error::Request(r)))
    }

    /// Reads pixels back: of a window, a pixmap, or the whole screen (`ResourceId::ROOT`).
    pub fn get_image(
        &mut self,
        source: impl Into<ResourceId>,
        area: Option<Rect>,
    ) -> Result<Image, Error> {
        self.send(Request::GetImage {
            source: source.into(),
            area,
        });
        let seq = self.flush_and_seq()?;
        loop {
            match self.answer()? {
                Answer::Reply(Reply::Image { seq: s, area, data }) if s == seq => {
                    return Ok(Image { area, rgba: data })
                }
                Answer::Error(report) if report.seq == seq => return Err(Error::Request(report)),
                Answer::Error(report) => tracing::warn!("{report}"),
                _ => {}
            }
        }
    }

    /// Asks the server to describe itself, its screen and its clients.
    pub fn server_info(&mut self) -> Result<ServerInfo, Error> {
        self.send(Request::GetServerInfo);
        let seq = self.flush_and_seq()?;
        loop {
            match self.answer()? {
                Answer::Reply(Reply::ServerInfo { seq: s, info }) if s == seq => return Ok(info),
                Answer::Error(report) if report.seq == seq => return Err(Error::Request(report)),
                Answer::Error(report) => tracing::warn!("{report}"),
                _ => {}
            }
        }
    }

    /// Flushes, counts a round trip, and returns the number of the last request: the one
    /// whose answer the caller will wait for.
    fn flush_and_seq(&mut self) -> Result<u32, Error> {
        self.flush()?;
        self.round_trips += 1;
        Ok(self.batch.seq())
    }

    fn answer(&mut self) -> Result<Answer, Error> {
        match self.answers.recv() {
            Ok(Answer::Closed(why)) => Err(Error::Disconnected(why)),
            Ok(answer) => Ok(answer),
            Err(_) => Err(Error::Disconnected(
                "the connection to the display was lost".into(),
            )),
        }
    }

    /// Waits for the next event (blocking; for simple programs). After the connection closes
    /// it returns [`Error::Disconnected`]. It blocks the thread: inside an async runtime, use
    /// [`Display::next_event`].
    pub fn wait_event(&mut self) -> Result<Event, Error> {
        self.flush()?;
        self.events.recv()
    }

    /// The next event if one has arrived, without waiting.
    pub fn poll_event(&mut self) -> Option<Result<Event, Error>> {
        self.events.try_recv()
    }

    /// Waits for the next event for at most `timeout` (blocking): `Ok(None)` when none came.
    /// For programs that also keep time, such as a clock: the thread sleeps until an event or
    /// the deadline, so an idle program costs no CPU. It blocks the thread: inside an async
    /// runtime, use [`Display::next_event`] with the runtime's timeout.
    pub fn wait_event_timeout(
        &mut self,
        timeout: std::time::Duration,
    ) -> Result<Option<Event>, Error> {
        self.flush()?;
        self.events.recv_timeout(timeout)
    }

    /// Waits for the next event (async).
    pub async fn next_event(&mut self) -> Result<Event, Error> {
        self.flush()?;
        self.events.recv_async().await
    }

    /// The events as an async stream (flush first: the stream does not send).
    pub fn events(&mut self) -> EventStream<'_> {
        self.events.stream()
    }

    /// Takes the channel of viewer messages, for a [`Viewer`](crate::Viewer) made of this
    /// display. Later calls get a closed channel.
    pub(crate) fn take_views(&mut self) -> std_mpsc::Receiver<ViewMessage> {
        let (_, closed) = std_mpsc::channel();
        std::mem::replace(&mut self.views, closed)
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.flush();
        // Closing the queue lets the writer send what is left and end.
        self.frames_tx = None;
        let threads = std::mem::take(&mut self.threads);
        let mut threads = threads.into_iter();
        if let Some(writer) = threads.next() {
            let _ = writer.join();
        }
        // Then close the socket, which ends the reader.
        self.stream.shutdown();
        for t in threads {
            let _ = t.join();
        }
    }
}

/// Reads the server's answer to the hello: the welcome, or why not.
fn read_welcome(handshake: &mut ClientHandshake, stream: &mut Stream) -> Result<Welcome, Error> {
    loop {
        match handshake.poll() {
            Ok(Some(welcome)) => return Ok(welcome),
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
        let n = transport::read_some(stream, handshake.spare()).map_err(read_error)?;
        handshake.filled(n);
    }
}

fn read_error(e: ReadError) -> Error {
    match e {
        ReadError::Closed(why) => Error::Disconnected(why),
        ReadError::Decode(e) => Error::Decode(e),
    }
}

/// The reader thread: sorts what the server sends into events and answers.
fn read_loop(
    stream: &mut Stream,
    mut reader: FrameReader,
    limits: Limits,
    answers: std_mpsc::Sender<Answer>,
    events: EventSender,
    views: std_mpsc::Sender<ViewMessage>,
) {
    let why = loop {
        let bodies = match reader.read_frame(stream, &limits) {
            Ok(bodies) => bodies,
            Err(ReadError::Closed(why)) => break why,
            Err(ReadError::Decode(e)) => break format!("bad data from the server: {e}"),
        };
        let mut broken = None;
        for body in bodies {
            match decode_message::<ServerMessage>(body) {
                Ok(ServerMessage::Event(event)) => {
                    events.send(Ok(event));
                }
                Ok(ServerMessage::View(view)) => {
                    let _ = views.send(view);
                }
                Ok(ServerMessage::Reply(reply)) => {
                    let _ = answers.send(Answer::Reply(reply));
                }
                Ok(ServerMessage::Error(report)) => {
                    if report.code == netui_protocol::ErrorCode::Protocol {
                        broken = Some(report.to_string());
                    }
                    let _ = answers.send(Answer::Error(report));
                }
                Err(e) => {
                    broken = Some(e.to_string());
                    break;
                }
            }
        }
        if let Some(why) = broken {
            break why;
        }
    };
    tracing::debug!("reader: {why}");
    let _ = answers.send(Answer::Closed(why.clone()));
    events.send(Err(Error::Disconnected(why)));
}

/// The running program's name, for the server's client list.
fn program_name() -> String {
    std::env::args()
        .next()
        .as_deref()
        .map(std::path::Path::new)
        .and_then(|p| p.file_name())
        .map_or_else(
            || "netui-app".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        )
}
