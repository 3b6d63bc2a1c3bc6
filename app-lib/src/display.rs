//! [`Display`]: an application's connection to a display server, as it draws through it:
//! connecting, queueing requests, replies and events. The drawing calls themselves are in
//! `draw.rs`, the I/O under them in `connection.rs`.

use netui_protocol::frame::Compression;
use netui_protocol::{
    ClientHello, Event, Font, FontSet, PutImageRef, Rect, Reply, Request, ResourceId, Role,
    ServerInfo, Size, Welcome,
};

use crate::batch::Batch;
use crate::connect;
use crate::connection::{Answer, Connection};
use crate::error::Error;
use crate::event::EventStream;
use crate::transport::{Stream, Transport};

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

/// A connection to a display server.
///
/// Drawing calls queue requests and return at once; [`Display::flush`] hands the batch to
/// the connection's writer (compressed when that pays), so the application never waits for
/// the network. The connection's [`Compression`] is LZ4 per frame unless chosen otherwise
/// with [`Display::connect_stream_with`]; it applies both ways (the server writes to this
/// client in it, and this client writes to the server in it).
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
    /// The selections this client holds, and events that came while a paste waited.
    selection: crate::clipboard::SelectionState,
    /// Dropped last (fields drop in order), after `Drop for Display` has flushed.
    connection: Connection,
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

    /// Connects over TCP to an explicit address with an explicit token (tests, tools), in
    /// TLS as `tls` says, or in plain TCP with `None` (a server started with
    /// `--insecure-tcp`).
    pub fn connect_tcp(
        addr: std::net::SocketAddr,
        token: Option<Vec<u8>>,
        tls: Option<crate::tls::TlsClient>,
        client_name: &str,
    ) -> Result<Self, Error> {
        let stream = std::net::TcpStream::connect(addr).map_err(|source| Error::Connect {
            display: addr.to_string(),
            address: addr.to_string(),
            source,
        })?;
        let _ = stream.set_nodelay(true);
        let stream = match tls {
            Some(tls) => Stream::Tls(stream, tls),
            None => Stream::Tcp(stream),
        };
        Self::connect_stream(stream, token, addr.to_string(), client_name)
    }

    /// Connects over a stream that is already open (a thin client's shaped link, say), or
    /// over any other [`Transport`], in the transport's compression
    /// ([`Transport::compression`]: none on a local socket, LZ4 over the network).
    pub fn connect_stream(
        transport: impl Transport,
        token: Option<Vec<u8>>,
        display_name: String,
        client_name: &str,
    ) -> Result<Self, Error> {
        let compression = transport.compression();
        Self::connect_stream_with(transport, token, display_name, client_name, compression)
    }

    /// Connects over a stream that is already open, or over any other [`Transport`], with
    /// the connection's frames written in `compression` both ways: the hello asks the server
    /// for it, and this client's requests go in it too. [`Compression::Lz4Ctx`] compresses
    /// each frame against the earlier ones and sends a repeated large message (an image
    /// drawn again, say) as a reference.
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
        transport: impl Transport,
        token: Option<Vec<u8>>,
        display_name: String,
        client_name: &str,
        compression: Compression,
    ) -> Result<Self, Error> {
        Self::connect_stream_as(
            transport,
            token,
            display_name,
            client_name,
            compression,
            Role::Application,
        )
    }

    /// [`Display::connect_stream_with`] for a client of `role`: a [`Role::Viewer`] may hold
    /// the display's view-only token, which the server refuses to an application.
    pub fn connect_stream_as(
        transport: impl Transport,
        token: Option<Vec<u8>>,
        display_name: String,
        client_name: &str,
        compression: Compression,
        role: Role,
    ) -> Result<Self, Error> {
        let hello = ClientHello::new(client_name, token)
            .with_compression(compression)
            .with_role(role);
        let (connection, welcome) = Connection::open(transport, &hello, &display_name)?;
        tracing::debug!(?welcome, %compression, "connected to {display_name}");
        if role == Role::Application && welcome.fonts.is_none() {
            return Err(Error::Disconnected(format!(
                "{display_name} sent no font metrics to an application (a broken server)"
            )));
        }
        Ok(Self {
            batch: Batch::new(welcome.limits, compression),
            welcome,
            display_name,
            next_id: 1,
            free_ids: Vec::new(),
            // The handshake.
            round_trips: 1,
            selection: Default::default(),
            connection,
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
    ///
    /// # Panics
    /// On a viewer's connection ([`crate::Viewer`]), whose welcome has no font metrics.
    pub fn text_width(&self, font: Font, size: u16, text: &str) -> u32 {
        self.fonts().get(font).text_width(text, size)
    }

    /// Ascent, descent and line height of a font at `size`, in pixels.
    ///
    /// # Panics
    /// On a viewer's connection, as [`Display::text_width`].
    pub fn line_metrics(&self, font: Font, size: u16) -> netui_protocol::LineMetrics {
        self.fonts().get(font).line_metrics(size)
    }

    /// The metrics of the server's typefaces, from the welcome.
    ///
    /// # Panics
    /// On a viewer's connection, as [`Display::text_width`].
    pub fn fonts(&self) -> &FontSet {
        self.welcome
            .fonts
            .as_ref()
            .expect("a viewer's connection has no font metrics: connect as an application")
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

    // ---- Requests ----

    /// The queue of requests, for the drawing calls that add to the open request in place.
    pub(crate) fn batch(&mut self) -> &mut Batch {
        &mut self.batch
    }

    /// Queues a request, merging it into the previous one where the two can be one.
    pub fn send(&mut self, request: Request) {
        if self.batch.push(request) {
            self.send_queued();
        }
    }

    /// Sends what is encoded, without waiting for the flush: a long burst starts to travel.
    /// A broken connection is reported by the next flush or round trip.
    pub(crate) fn send_queued(&mut self) {
        let _ = self.send_frames();
    }

    /// Queues a request as it is, never merged with the one before it: for a program that
    /// plays recorded requests back one for one, so that the server numbers them as it did
    /// when they were recorded. Fails only for a request larger than a frame.
    pub fn send_unmerged(&mut self, request: &Request) -> Result<(), Error> {
        self.push_message(|writer| writer.push(request))
    }

    /// Queues a message body byte for byte, without decoding it: for a player of recorded
    /// requests, some of which this build may not know (the server refuses those as it did
    /// when they were recorded, and numbers them all the same). Counts as one request.
    pub fn send_body(&mut self, body: &[u8]) -> Result<(), Error> {
        self.push_message(|writer| writer.push_body(body))
    }

    /// Writes the requests queued from now on in `compression`; those queued before go in a
    /// frame of the old one. The server reads each frame in the compression its header shows,
    /// so a player can write every recorded frame as it was written. The connection's
    /// [`Compression::Lz4Ctx`] context survives frames of other compressions.
    pub fn set_compression(&mut self, compression: Compression) {
        self.batch.set_compression(compression);
    }

    /// Queues an image as [`Display::send`] queues a request, serialized from the caller's
    /// pixels straight into the batch (an image is never merged with another request).
    pub(crate) fn send_image(&mut self, image: PutImageRef<'_>) {
        match self.batch.push_unmerged(|writer| writer.push(&image)) {
            Ok(true) => self.send_queued(),
            Ok(false) => {}
            // Only an image larger than a frame can fail here; they are split before.
            Err(e) => tracing::error!("dropping a PutImage request: {e}"),
        }
    }

    fn push_message(
        &mut self,
        push: impl FnOnce(
            &mut netui_protocol::frame::BatchWriter,
        ) -> Result<(), netui_protocol::EncodeError>,
    ) -> Result<(), Error> {
        if self.batch.push_unmerged(push)? {
            self.send_frames()?;
        }
        Ok(())
    }

    /// Sends every queued request. Returns at once: the connection's writer does the I/O.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.batch.close();
        self.send_frames()
    }

    fn send_frames(&mut self) -> Result<(), Error> {
        if let Some(buffer) = self.connection.spent() {
            self.batch.give_back(buffer);
        }
        let frames = self.batch.take_frames();
        if frames.is_empty() {
            return Ok(());
        }
        self.connection.send(frames)
    }

    /// Waits until the server has carried out every request sent so far. Returns the first
    /// error that any of them caused, naming the request.
    pub fn sync(&mut self) -> Result<(), Error> {
        self.send(Request::Sync);
        let seq = self.flush_and_seq()?;
        let mut first_error = None;
        loop {
            match self.connection.answer()? {
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
            match self.connection.answer()? {
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
            match self.connection.answer()? {
                Answer::Reply(Reply::ServerInfo { seq: s, info }) if s == seq => return Ok(info),
                Answer::Error(report) if report.seq == seq => return Err(Error::Request(report)),
                Answer::Error(report) => tracing::warn!("{report}"),
                _ => {}
            }
        }
    }

    /// The selection state (what is held, events kept by a paste).
    pub(crate) fn selection_state(&mut self) -> &mut crate::clipboard::SelectionState {
        &mut self.selection
    }

    /// Counts a round trip that a call waits for.
    pub(crate) fn count_round_trip(&mut self) {
        self.round_trips += 1;
    }

    /// The next event from the connection, blocking, before the library has looked at it.
    pub(crate) fn next_raw_event(&mut self) -> Result<Event, Error> {
        self.connection.events().recv()
    }

    /// Flushes, counts a round trip, and returns the number of the last request: the one
    /// whose answer the caller will wait for.
    fn flush_and_seq(&mut self) -> Result<u32, Error> {
        self.flush()?;
        self.round_trips += 1;
        Ok(self.batch.seq())
    }

    // ---- Events ----

    /// Waits for the next event (blocking; for simple programs). After the connection closes
    /// it returns [`Error::Disconnected`]. It blocks the thread: inside an async runtime, use
    /// [`Display::next_event`]. Requests for selection content held here
    /// ([`Display::set_selection`]) are answered on the way, never returned.
    pub fn wait_event(&mut self) -> Result<Event, Error> {
        loop {
            if let Some(event) = self.selection.pending.pop_front() {
                return Ok(event);
            }
            self.flush()?;
            let event = self.connection.events().recv()?;
            if let Some(event) = self.serve_selection_event(event)? {
                return Ok(event);
            }
        }
    }

    /// The next event if one has arrived, without waiting.
    pub fn poll_event(&mut self) -> Option<Result<Event, Error>> {
        loop {
            if let Some(event) = self.selection.pending.pop_front() {
                return Some(Ok(event));
            }
            let event = match self.connection.events().try_recv()? {
                Ok(event) => event,
                Err(e) => return Some(Err(e)),
            };
            match self.serve_selection_event(event) {
                Ok(Some(event)) => return Some(Ok(event)),
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// Waits for the next event for at most `timeout` (blocking): `Ok(None)` when none came.
    /// For programs that also keep time, such as a clock: the thread sleeps until an event or
    /// the deadline, so an idle program costs no CPU. It blocks the thread: inside an async
    /// runtime, use [`Display::next_event`] with the runtime's timeout.
    pub fn wait_event_timeout(
        &mut self,
        timeout: std::time::Duration,
    ) -> Result<Option<Event>, Error> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(event) = self.selection.pending.pop_front() {
                return Ok(Some(event));
            }
            self.flush()?;
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let Some(event) = self.connection.events().recv_timeout(left)? else {
                return Ok(None);
            };
            if let Some(event) = self.serve_selection_event(event)? {
                return Ok(Some(event));
            }
        }
    }

    /// Waits for the next event (async).
    pub async fn next_event(&mut self) -> Result<Event, Error> {
        loop {
            if let Some(event) = self.selection.pending.pop_front() {
                return Ok(event);
            }
            self.flush()?;
            let event = self.connection.events().recv_async().await?;
            if let Some(event) = self.serve_selection_event(event)? {
                return Ok(event);
            }
        }
    }

    /// The events as an async stream (flush first: the stream does not send). It hands on
    /// every event as it comes: requests for selection content held here are not answered
    /// while only the stream is read (use [`Display::next_event`] for that).
    pub fn events(&mut self) -> EventStream<'_> {
        self.connection.events().stream()
    }

    /// The connection, for a [`Viewer`](crate::Viewer) made of this display.
    pub(crate) fn connection(&mut self) -> &mut Connection {
        &mut self.connection
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        // What is queued goes out before the connection closes (when it drops, next).
        let _ = self.flush();
    }
}

/// The running program's name, for the server's client list.
pub(crate) fn program_name() -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn is_send<T: Send>(_: &T) {}

    /// Applications move a display to a thread of their own, or await its events in a
    /// spawned task.
    #[test]
    fn a_display_and_its_waits_can_move_between_threads() {
        fn check(display: &mut Display) {
            is_send(display);
            is_send(&display.next_event());
            is_send(&display.events());
        }
        fn check_viewer(viewer: crate::Viewer) {
            is_send(&viewer);
        }
        // Checked by the compiler; nothing to run.
        let _ = (check, check_viewer);
    }
}
