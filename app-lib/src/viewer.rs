//! [`Viewer`]: a connection that shows the display's screen somewhere else (a thin client),
//! with what only a viewer says and hears.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use netui_protocol::frame::Compression;
use netui_protocol::{InputEvent, PixelEncoding, Request, Role, ViewMessage, ViewMode};

use crate::display::Display;
use crate::error::Error;
use crate::transport::Transport;

/// A viewer of a display's screen: attach it in a mode, then read the updates with
/// [`Viewer::wait_view`] (or on another thread, from [`Viewer::take_views`]), apply them, and
/// acknowledge each with [`Viewer::ack_update`]; forward the user's input with
/// [`Viewer::viewer_input`]. Its methods are named after the requests they send.
///
/// It is a [`Display`] connection underneath (made from one with [`Viewer::from`], or
/// connected directly), and [`Viewer::display`] reaches the rest of it.
///
/// ```no_run
/// use std::time::Duration;
/// use netui::{PixelEncoding, ViewMessage, ViewMode, Viewer};
///
/// let mut viewer = Viewer::connect(Some(":1"))?;
/// viewer.attach_viewer(ViewMode::Pixels(PixelEncoding::DeltaLz4))?;
/// while let Some(message) = viewer.wait_view(Duration::from_secs(1))? {
///     if let ViewMessage::Pixels { update, .. } = message {
///         // ... decode the pixels into a copy of the screen, then:
///         viewer.ack_update(update)?;
///     }
/// }
/// # Ok::<(), netui::Error>(())
/// ```
#[derive(Debug)]
pub struct Viewer {
    display: Display,
    views: Receiver<ViewMessage>,
}

impl From<Display> for Viewer {
    /// Makes a connection a viewer's: the viewer messages that came before stay queued.
    fn from(mut display: Display) -> Self {
        let views = display.connection().take_views();
        Self { display, views }
    }
}

impl Viewer {
    /// Connects to a display by name, as [`Display::connect`] does, as a viewer (whose
    /// token may be the view-only one).
    pub fn connect(name: Option<&str>) -> Result<Self, Error> {
        let name = crate::connect::display_name(name)?;
        let (stream, token) = crate::connect::open(&name)?;
        Self::connect_stream_with(
            stream,
            token,
            name.to_string(),
            &crate::display::program_name(),
            Compression::default(),
        )
    }

    /// Connects over a stream that is already open or another [`Transport`], with frames in
    /// `compression`, as [`Display::connect_stream_with`] does, as a viewer (whose token may
    /// be the view-only one).
    pub fn connect_stream_with(
        transport: impl Transport,
        token: Option<Vec<u8>>,
        display_name: String,
        client_name: &str,
        compression: Compression,
    ) -> Result<Self, Error> {
        Display::connect_stream_as(
            transport,
            token,
            display_name,
            client_name,
            compression,
            Role::Viewer,
        )
        .map(Self::from)
    }

    /// The connection underneath.
    pub fn display(&self) -> &Display {
        &self.display
    }

    /// The connection underneath, to send other requests or read pixels back.
    pub fn display_mut(&mut self) -> &mut Display {
        &mut self.display
    }

    /// Makes this connection a viewer of the display's screen, or switches its mode. The
    /// server answers with a `Start` and a stream of updates.
    pub fn attach_viewer(&mut self, mode: ViewMode) -> Result<(), Error> {
        self.send(Request::AttachViewer { mode })
    }

    /// Sends the viewer's user's input, numbered by `seq`.
    pub fn viewer_input(&mut self, seq: u64, input: InputEvent) -> Result<(), Error> {
        self.send(Request::ViewerInput { seq, input })
    }

    /// Tells the server that update `update` has been applied (flow control).
    pub fn ack_update(&mut self, update: u64) -> Result<(), Error> {
        self.send(Request::AckUpdate { update })
    }

    /// Asks the server to report, about twice a second, what each mode costs for what is on
    /// the screen (`ViewMessage::Costs`), with pixels estimated in `encoding`; `None` stops
    /// the reports. A thin client's `auto` mode decides with them.
    pub fn report_costs(&mut self, encoding: Option<PixelEncoding>) -> Result<(), Error> {
        self.send(Request::ReportCosts { encoding })
    }

    /// Waits until the server has carried out every request sent so far; see
    /// [`Display::sync`].
    pub fn sync(&mut self) -> Result<(), Error> {
        self.display.sync()
    }

    /// Takes the channel of viewer messages, for a program that reads them on another
    /// thread (the connection keeps sending). Later calls get a closed channel.
    pub fn take_views(&mut self) -> Receiver<ViewMessage> {
        let (_, closed) = std::sync::mpsc::channel();
        std::mem::replace(&mut self.views, closed)
    }

    /// Waits for the next viewer message for at most `timeout`: `Ok(None)` when none came.
    pub fn wait_view(&mut self, timeout: Duration) -> Result<Option<ViewMessage>, Error> {
        self.display.flush()?;
        match self.views.recv_timeout(timeout) {
            Ok(view) => Ok(Some(view)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(Error::Disconnected(
                "the connection to the display was lost".into(),
            )),
        }
    }

    /// Sends a viewer's request at once: a viewer's few small requests are what the
    /// latency it measures waits for.
    fn send(&mut self, request: Request) -> Result<(), Error> {
        self.display.send(request);
        self.display.flush()
    }
}
