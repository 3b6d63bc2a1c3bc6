//! [`Display`]: one connection to a display server.

use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;

use netui_protocol::frame::{self, decode_message, BatchWriter, Compression};
use netui_protocol::handshake::HelloPrefix;
use netui_protocol::{
    ClientHello, Color, ErrorReport, Event, Font, HelloOutcome, ImageFormat, Limits, Point, Rect,
    Reply, Request, ResourceId, Segment, ServerHello, ServerInfo, ServerMessage, Size, ViewMessage,
    Welcome, MAGIC, PROTOCOL_VERSION,
};
use tokio::sync::mpsc as tokio_mpsc;

use crate::connect;
use crate::error::Error;
use crate::event_stream::EventStream;
use crate::transport::{FrameReader, ReadError, Stream};

/// Bytes of queued requests after which they are sent without waiting for [`Display::flush`].
const AUTO_FLUSH: usize = 256 * 1024;
/// Frames that may wait for the writer thread before drawing calls block (backpressure).
const WRITE_QUEUE: usize = 16;

/// A window of this client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window(pub ResourceId);

/// An offscreen image of this client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pixmap(pub ResourceId);

impl From<Window> for ResourceId {
    fn from(w: Window) -> ResourceId {
        w.0
    }
}

impl From<Pixmap> for ResourceId {
    fn from(p: Pixmap) -> ResourceId {
        p.0
    }
}

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
    batch: BatchWriter,
    /// The last queued request, kept open so that the next one can be merged into it.
    open: Option<Request>,
    seq: u32,
    next_id: u32,
    free_ids: Vec<u32>,
    round_trips: u64,
    frames_tx: Option<std_mpsc::SyncSender<Vec<u8>>>,
    answers: std_mpsc::Receiver<Answer>,
    events: tokio_mpsc::UnboundedReceiver<Result<Event, Error>>,
    /// What the server sends a viewer (see [`Display::attach_viewer`]).
    views: std_mpsc::Receiver<ViewMessage>,
    stream: Stream,
    threads: Vec<JoinHandle<()>>,
    /// A timer for [`Display::wait_event_timeout`], made on first use.
    timer: Option<tokio::runtime::Runtime>,
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
        stream
            .write_all(&frame::encode_single(&hello)?)
            .map_err(closed)?;
        let mut reader = FrameReader::new();
        let welcome = read_welcome(&mut reader, &mut stream)?;
        tracing::debug!(?welcome, %compression, "connected to {display_name}");

        let (frames_tx, frames_rx) = std_mpsc::sync_channel::<Vec<u8>>(WRITE_QUEUE);
        let (answers_tx, answers) = std_mpsc::channel();
        let (events_tx, events) = tokio_mpsc::unbounded_channel();
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
            batch: BatchWriter::new(welcome.limits, compression),
            welcome,
            display_name,
            open: None,
            seq: 0,
            next_id: 1,
            free_ids: Vec::new(),
            round_trips: 1,
            frames_tx: Some(frames_tx),
            answers,
            events,
            views,
            stream,
            threads: vec![writer, reader_thread],
            timer: None,
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
            requests: u64::from(self.seq),
            frames: s.frames,
            payload_bytes: s.payload_bytes,
            wire_bytes: s.wire_bytes,
            round_trips: self.round_trips,
        }
    }

    fn alloc_id(&mut self) -> Result<ResourceId, Error> {
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

    fn release_id(&mut self, id: ResourceId) {
        self.free_ids.push(id.0 & self.welcome.id_mask);
    }

    /// Queues a request, merging it into the previous one where the two can be one.
    pub fn send(&mut self, request: Request) {
        if let Some(open) = &mut self.open {
            if merge(open, &request) {
                return;
            }
        }
        if let Some(done) = self.open.replace(request) {
            self.encode(&done);
        }
    }

    /// Queues a request as it is, never merged with the one before it: for a program that
    /// plays recorded requests back one for one, so that the server numbers them as it did
    /// when they were recorded. Fails only for a request larger than a frame.
    pub fn send_unmerged(&mut self, request: &Request) -> Result<(), Error> {
        self.push_message(|batch| batch.push(request))
    }

    /// Queues a message body byte for byte, without decoding it: for a player of recorded
    /// requests, some of which this build may not know (the server refuses those as it did
    /// when they were recorded, and numbers them all the same). Counts as one request.
    pub fn send_body(&mut self, body: &[u8]) -> Result<(), Error> {
        self.push_message(|batch| batch.push_body(body))
    }

    /// Writes the requests queued from now on in `compression`; those queued before go in a
    /// frame of the old one. The server reads each frame in the compression its header shows,
    /// so a player can write every recorded frame as it was written. The connection's
    /// [`Compression::Lz4Ctx`] context survives frames of other compressions.
    pub fn set_compression(&mut self, compression: Compression) {
        if let Some(open) = self.open.take() {
            self.encode(&open);
        }
        self.batch.set_compression(compression);
    }

    /// Queues one message with `push`, after the open request and unmerged, counting it as a
    /// request.
    fn push_message(
        &mut self,
        push: impl FnOnce(&mut BatchWriter) -> Result<(), netui_protocol::EncodeError>,
    ) -> Result<(), Error> {
        if let Some(open) = self.open.take() {
            self.encode(&open);
        }
        push(&mut self.batch)?;
        self.seq = self.seq.wrapping_add(1);
        if self.batch.pending_bytes() >= AUTO_FLUSH {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn encode(&mut self, request: &Request) {
        match self.batch.push(request) {
            Ok(()) => self.seq = self.seq.wrapping_add(1),
            // Only a request larger than a frame can fail here; images are split before.
            Err(e) => tracing::error!("dropping a {} request: {e}", request.kind()),
        }
        if self.batch.pending_bytes() >= AUTO_FLUSH {
            let _ = self.flush_batch();
        }
    }

    /// Sends every queued request. Returns at once: a writer thread does the I/O.
    pub fn flush(&mut self) -> Result<(), Error> {
        if let Some(open) = self.open.take() {
            self.encode(&open);
        }
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

    fn flush_and_seq(&mut self) -> Result<u32, Error> {
        self.flush()?;
        self.round_trips += 1;
        Ok(self.seq)
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
    /// it returns [`Error::Disconnected`]. Do not call it from inside an async runtime: use
    /// [`Display::next_event`] there.
    pub fn wait_event(&mut self) -> Result<Event, Error> {
        self.flush()?;
        self.events.blocking_recv().unwrap_or_else(|| {
            Err(Error::Disconnected(
                "the connection to the display was lost".into(),
            ))
        })
    }

    /// The next event if one has arrived, without waiting.
    pub fn poll_event(&mut self) -> Option<Result<Event, Error>> {
        self.events.try_recv().ok()
    }

    /// Waits for the next event for at most `timeout` (blocking): `Ok(None)` when none came.
    /// For programs that also keep time, such as a clock: the thread sleeps until an event or
    /// the deadline, so an idle program costs no CPU. Not for use inside an async runtime.
    pub fn wait_event_timeout(
        &mut self,
        timeout: std::time::Duration,
    ) -> Result<Option<Event>, Error> {
        self.flush()?;
        if let Some(event) = self.poll_event() {
            return event.map(Some);
        }
        if self.timer.is_none() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .map_err(|e| Error::Disconnected(format!("cannot start a timer: {e}")))?;
            self.timer = Some(runtime);
        }
        let (Some(timer), events) = (&self.timer, &mut self.events) else {
            return Ok(None);
        };
        // The timeout's timer must be made inside the runtime, hence the async block.
        match timer.block_on(async { tokio::time::timeout(timeout, events.recv()).await }) {
            Err(_elapsed) => Ok(None),
            Ok(Some(event)) => event.map(Some),
            Ok(None) => Err(Error::Disconnected(
                "the connection to the display was lost".into(),
            )),
        }
    }

    /// Waits for the next event (async).
    pub async fn next_event(&mut self) -> Result<Event, Error> {
        self.flush()?;
        self.events.recv().await.unwrap_or_else(|| {
            Err(Error::Disconnected(
                "the connection to the display was lost".into(),
            ))
        })
    }

    /// The events as an async stream (flush first: the stream does not send).
    pub fn events(&mut self) -> EventStream<'_> {
        EventStream {
            rx: &mut self.events,
        }
    }

    // ---- Viewing (thin clients) ----

    /// Makes this connection a viewer of the display's screen, or switches its mode. The
    /// server answers with a `Start` and a stream of updates: read them with
    /// [`Display::wait_view`], apply them, and acknowledge each with [`Display::ack_update`].
    pub fn attach_viewer(&mut self, mode: netui_protocol::ViewMode) -> Result<(), Error> {
        self.send(Request::AttachViewer { mode });
        self.flush()
    }

    /// Sends the viewer's user's input, numbered by `seq`.
    pub fn viewer_input(
        &mut self,
        seq: u64,
        input: netui_protocol::InputEvent,
    ) -> Result<(), Error> {
        self.send(Request::ViewerInput { seq, input });
        self.flush()
    }

    /// Tells the server that update `update` has been applied (flow control).
    pub fn ack_update(&mut self, update: u64) -> Result<(), Error> {
        self.send(Request::AckUpdate { update });
        self.flush()
    }

    /// Takes the channel of viewer messages out of the connection, for a program that reads
    /// them on another thread (the connection keeps sending). Later calls get a closed channel.
    pub fn take_views(&mut self) -> std_mpsc::Receiver<ViewMessage> {
        let (_, closed) = std_mpsc::channel();
        std::mem::replace(&mut self.views, closed)
    }

    /// Waits for the next viewer message for at most `timeout`: `Ok(None)` when none came.
    pub fn wait_view(
        &mut self,
        timeout: std::time::Duration,
    ) -> Result<Option<ViewMessage>, Error> {
        self.flush()?;
        match self.views.recv_timeout(timeout) {
            Ok(view) => Ok(Some(view)),
            Err(std_mpsc::RecvTimeoutError::Timeout) => Ok(None),
            Err(std_mpsc::RecvTimeoutError::Disconnected) => Err(Error::Disconnected(
                "the connection to the display was lost".into(),
            )),
        }
    }

    // ---- Windows and pixmaps ----

    /// Creates an unmapped window whose content area is `rect` on the screen.
    pub fn create_window(
        &mut self,
        rect: Rect,
        title: &str,
        background: Color,
    ) -> Result<Window, Error> {
        let id = self.alloc_id()?;
        self.send(Request::CreateWindow {
            id,
            rect,
            title: title.to_owned(),
            background,
        });
        Ok(Window(id))
    }

    /// Shows a window, on top.
    pub fn map(&mut self, window: Window) {
        self.send(Request::MapWindow { id: window.0 });
    }

    /// Hides a window.
    pub fn unmap(&mut self, window: Window) {
        self.send(Request::UnmapWindow { id: window.0 });
    }

    /// Moves and resizes a window.
    pub fn configure(&mut self, window: Window, rect: Rect) {
        self.send(Request::ConfigureWindow { id: window.0, rect });
    }

    /// Changes a window's title.
    pub fn set_title(&mut self, window: Window, title: &str) {
        self.send(Request::SetTitle {
            id: window.0,
            title: title.to_owned(),
        });
    }

    /// Tells the window manager what kind of window this is (a panel such as a taskbar has
    /// no frame, stays on top and takes no focus). Set it before mapping the window.
    pub fn set_window_kind(&mut self, window: Window, kind: netui_protocol::WindowKind) {
        self.send(Request::SetWindowKind { id: window.0, kind });
    }

    /// Raises and focuses any window, this client's or another's (what a taskbar does).
    pub fn activate(&mut self, window: ResourceId) {
        self.send(Request::ActivateWindow { id: window });
    }

    /// Asks for an [`Event::WindowsChanged`] whenever windows come, go, or change title,
    /// stacking or focus.
    pub fn watch_windows(&mut self) {
        self.send(Request::WatchWindows);
    }

    /// Injects keyboard or pointer input into the display as if it came from its own devices
    /// (like XTEST). Only clients on the local Unix socket may; others get an `Access` error.
    pub fn inject(&mut self, input: netui_protocol::InputEvent) {
        self.send(Request::InjectInput { input });
    }

    /// Destroys a window.
    pub fn destroy_window(&mut self, window: Window) {
        self.send(Request::DestroyWindow { id: window.0 });
        self.release_id(window.0);
    }

    /// Creates an offscreen image, black at first.
    pub fn create_pixmap(&mut self, size: Size) -> Result<Pixmap, Error> {
        let id = self.alloc_id()?;
        self.send(Request::CreatePixmap {
            id,
            width: size.width,
            height: size.height,
        });
        Ok(Pixmap(id))
    }

    /// Frees an offscreen image.
    pub fn free_pixmap(&mut self, pixmap: Pixmap) {
        self.send(Request::FreePixmap { id: pixmap.0 });
        self.release_id(pixmap.0);
    }

    // ---- Drawing ----

    /// Fills a rectangle.
    pub fn fill_rect(&mut self, target: impl Into<ResourceId>, rect: Rect, color: Color) {
        self.fill_rects(target, &[rect], color);
    }

    /// Fills rectangles.
    pub fn fill_rects(&mut self, target: impl Into<ResourceId>, rects: &[Rect], color: Color) {
        self.send(Request::FillRects {
            target: target.into(),
            color,
            rects: rects.to_vec(),
        });
    }

    /// Draws a rectangle's outline inside it.
    pub fn stroke_rect(
        &mut self,
        target: impl Into<ResourceId>,
        rect: Rect,
        width: u16,
        color: Color,
    ) {
        self.send(Request::StrokeRects {
            target: target.into(),
            color,
            width,
            rects: vec![rect],
        });
    }

    /// Draws a line, both ends included.
    pub fn line(
        &mut self,
        target: impl Into<ResourceId>,
        a: Point,
        b: Point,
        width: u16,
        color: Color,
    ) {
        self.send(Request::Segments {
            target: target.into(),
            color,
            width,
            segments: vec![Segment { a, b }],
        });
    }

    /// Draws a connected line through the points.
    pub fn polyline(
        &mut self,
        target: impl Into<ResourceId>,
        points: &[Point],
        width: u16,
        color: Color,
    ) {
        self.send(Request::Lines {
            target: target.into(),
            color,
            width,
            points: points.to_vec(),
        });
    }

    /// Fills the ellipse inscribed in `rect`.
    pub fn fill_ellipse(&mut self, target: impl Into<ResourceId>, rect: Rect, color: Color) {
        self.send(Request::Ellipse {
            target: target.into(),
            color,
            rect,
            outline: None,
        });
    }

    /// Draws the outline of the ellipse inscribed in `rect`.
    pub fn stroke_ellipse(
        &mut self,
        target: impl Into<ResourceId>,
        rect: Rect,
        width: u16,
        color: Color,
    ) {
        self.send(Request::Ellipse {
            target: target.into(),
            color,
            rect,
            outline: Some(width),
        });
    }

    /// Draws a line of text with its line box's top-left corner at `pos`.
    pub fn text(
        &mut self,
        target: impl Into<ResourceId>,
        pos: Point,
        font: Font,
        size: u16,
        color: Color,
        text: &str,
    ) {
        self.send(Request::Text {
            target: target.into(),
            pos,
            font,
            size,
            color,
            text: text.to_owned(),
        });
    }

    /// Puts an image at `rect` (its size is the image's). Images too large for one frame are
    /// sent in strips of rows.
    pub fn put_image(
        &mut self,
        target: impl Into<ResourceId>,
        rect: Rect,
        format: ImageFormat,
        data: &[u8],
    ) {
        let target = target.into();
        let row = rect.width as usize * format.bytes_per_pixel();
        // Leave room for the request's other fields under the frame limit.
        let max_rows = (self.welcome.limits.max_payload as usize).saturating_sub(256) / row.max(1);
        if row == 0 || data.len() != row * rect.height as usize || rect.height as usize <= max_rows
        {
            // Wrong sizes go as they are: the server names the error.
            self.send(Request::PutImage {
                target,
                rect,
                format,
                data: data.to_vec(),
            });
            return;
        }
        for (i, strip) in data.chunks(row * max_rows.max(1)).enumerate() {
            let y = rect.y.saturating_add((i * max_rows) as i32);
            self.send(Request::PutImage {
                target,
                rect: Rect::new(rect.x, y, rect.width, (strip.len() / row) as u32),
                format,
                data: strip.to_vec(),
            });
        }
    }

    /// Copies pixels between drawables or within one (scrolling).
    pub fn copy_area(
        &mut self,
        src: impl Into<ResourceId>,
        dst: impl Into<ResourceId>,
        src_rect: Rect,
        dst_pos: Point,
    ) {
        self.send(Request::CopyArea {
            src: src.into(),
            dst: dst.into(),
            src_rect,
            dst_pos,
        });
    }

    /// Fills an area (or everything) with the window's background.
    pub fn clear(&mut self, target: impl Into<ResourceId>, area: Option<Rect>) {
        self.send(Request::Clear {
            target: target.into(),
            area,
        });
    }

    /// Restricts later drawing into `target` to `clip` (`None` removes the clip).
    pub fn set_clip(&mut self, target: impl Into<ResourceId>, clip: Option<Rect>) {
        self.send(Request::SetClip {
            target: target.into(),
            clip,
        });
    }

    /// Ends a frame of `window`'s drawing and sends the batch.
    pub fn present(&mut self, window: Window) -> Result<(), Error> {
        self.send(Request::Present { window: window.0 });
        self.flush()
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

/// Merges `next` into `open` when they are the same operation with the same style.
fn merge(open: &mut Request, next: &Request) -> bool {
    match (open, next) {
        (
            Request::FillRects {
                target,
                color,
                rects,
            },
            Request::FillRects {
                target: t,
                color: c,
                rects: more,
            },
        ) if target == t && color == c => {
            rects.extend_from_slice(more);
            true
        }
        (
            Request::Segments {
                target,
                color,
                width,
                segments,
            },
            Request::Segments {
                target: t,
                color: c,
                width: w,
                segments: more,
            },
        ) if target == t && color == c && width == w => {
            segments.extend_from_slice(more);
            true
        }
        _ => false,
    }
}

/// Reads the server's answer to the hello: the welcome, or why not.
fn read_welcome(reader: &mut FrameReader, stream: &mut Stream) -> Result<Welcome, Error> {
    let mut bodies = reader
        .read_frame(stream, &Limits::default())
        .map_err(read_error)?;
    let body = bodies
        .next()
        .ok_or_else(|| Error::Disconnected("empty answer to the hello".into()))?;
    let prefix = HelloPrefix::peek(body)
        .map_err(|e| Error::Disconnected(format!("not a netui server: {e}")))?;
    if prefix.magic != MAGIC {
        return Err(Error::Disconnected(
            "not a netui server (bad magic bytes)".into(),
        ));
    }
    if prefix.version != PROTOCOL_VERSION {
        return Err(Error::Refused(netui_protocol::Refusal::VersionMismatch {
            server: prefix.version,
            client: PROTOCOL_VERSION,
        }));
    }
    match decode_message::<ServerHello>(body)?.outcome {
        HelloOutcome::Accepted(welcome) => Ok(welcome),
        HelloOutcome::Refused(refusal) => Err(Error::Refused(refusal)),
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
    events: tokio_mpsc::UnboundedSender<Result<Event, Error>>,
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
                    let _ = events.send(Ok(event));
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
    let _ = events.send(Err(Error::Disconnected(why)));
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
