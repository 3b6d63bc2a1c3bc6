//! The core: the one owner of the server's state.
//!
//! Connection tasks decode requests concurrently and send them here through a channel; the
//! core runs on its own thread, checks what each client may touch, carries the requests out
//! on the [`Scene`], routes events and replies back to each client's outbox, and composites
//! damage into frames for the backend. No lock is shared with the connections: a slow client
//! can only fill its own outbox, and then it is disconnected.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use netui_protocol::handshake::PixelFormat;
use netui_protocol::{
    ClientInfo, DecodeError, ErrorCode, ErrorReport, Event, FontSet, InputEvent, Limits, Refusal,
    Reply, Request, ResourceId, SceneOp, ServerInfo, ServerMessage, Size, ViewMessage, ViewMode,
    Welcome, WindowInfo, PROTOCOL_VERSION,
};
use tokio::sync::{mpsc, oneshot};

use crate::backend::Backend;
use crate::input::{Action, Input};
use crate::peer::{Access, Peer};
use crate::viewer::Viewer;
use netui_scene::scene::{Scene, SceneError};

/// How long a viewer's input waits for the applications it went to: an update reports the
/// input once they have answered (sent their next batch of requests), or after this.
const ANSWER_WAIT: Duration = Duration::from_millis(250);

/// Resource ids are `client << ID_SHIFT | n`: the client number is in the top bits.
pub const ID_SHIFT: u32 = 21;
/// The part of an id that a client chooses.
pub const ID_MASK: u32 = (1 << ID_SHIFT) - 1;
/// Client numbers run from 1 to this (0 is the server's own: the root).
pub const MAX_CLIENTS: u32 = (u32::MAX >> ID_SHIFT) - 1;
/// Messages that may wait in a client's outbox before the client counts as stuck.
pub const OUTBOX_CAPACITY: usize = 4096;

pub use crate::peer::ConnId;

/// A request as it came off the wire: decoded, or the reason it could not be.
#[derive(Debug)]
pub struct Incoming {
    /// Its sequence number on the connection.
    pub seq: u32,
    /// Its opcode, when the bytes had one.
    pub opcode: Option<u32>,
    /// The request, or why it did not decode.
    pub request: Result<Request, DecodeError>,
}

/// What the connections (and later the window backend) tell the core.
#[derive(Debug)]
pub enum CoreMsg {
    /// A client passed authentication and wants a welcome.
    Hello {
        /// The connection.
        conn: ConnId,
        /// The name from its hello.
        name: String,
        /// Where it came from.
        peer: Peer,
        /// What it may do, decided at its handshake.
        access: Access,
        /// Where its replies and events go.
        outbox: mpsc::Sender<ServerMessage>,
        /// The answer.
        respond: oneshot::Sender<Result<Welcome, Refusal>>,
    },
    /// Requests from one frame.
    Batch {
        /// The connection.
        conn: ConnId,
        /// The requests, in order.
        items: Vec<Incoming>,
    },
    /// The connection broke the framing rules: report it to the client and drop it.
    ProtocolError {
        /// The connection.
        conn: ConnId,
        /// What went wrong.
        error: DecodeError,
    },
    /// The connection closed.
    Gone {
        /// The connection.
        conn: ConnId,
    },
    /// Keyboard or pointer input from the screen.
    Input(InputEvent),
    /// The screen changed size (the host window was resized).
    ResizeScreen(Size),
}

/// The screen's way into the core, for a backend that has input (a window): keyboard and
/// pointer events and resizes. They travel on a channel of their own, which the core reads
/// before any client's requests, so input overtakes bulk drawing.
#[derive(Debug, Clone)]
pub struct ScreenSink {
    tx: mpsc::UnboundedSender<CoreMsg>,
}

impl ScreenSink {
    /// Wraps the core's screen channel.
    pub(crate) fn new(tx: mpsc::UnboundedSender<CoreMsg>) -> Self {
        Self { tx }
    }

    /// Sends input to the core.
    pub fn input(&self, event: InputEvent) {
        // Fails only once the core has stopped; then nobody needs the input.
        let _ = self.tx.send(CoreMsg::Input(event));
    }

    /// Tells the core the screen's new size.
    pub fn resize(&self, size: Size) {
        let _ = self.tx.send(CoreMsg::ResizeScreen(size));
    }
}

struct Client {
    number: u32,
    name: String,
    peer: Peer,
    access: Access,
    outbox: mpsc::Sender<ServerMessage>,
    /// Windows in creation order.
    windows: BTreeSet<ResourceId>,
    pixmaps: BTreeSet<ResourceId>,
    /// Pixels held by its windows and pixmaps.
    pixels: u64,
    /// Whether it asked for [`Event::WindowsChanged`].
    watches_windows: bool,
    /// Its state as a viewer, once it attached as one.
    viewer: Option<Viewer>,
}

impl Client {
    fn id_base(&self) -> u32 {
        self.number << ID_SHIFT
    }

    fn owns(&self, id: ResourceId) -> bool {
        id.0 >> ID_SHIFT == self.number
    }
}

/// The server's state and the loop that serves it.
pub struct Core {
    scene: Scene,
    backend: Box<dyn Backend>,
    clients: BTreeMap<ConnId, Client>,
    /// Client number → connection, for routing events to a window's owner.
    numbers: BTreeMap<u32, ConnId>,
    limits: Limits,
    display: String,
    /// Connections to drop once the current message is handled.
    doomed: Vec<ConnId>,
    input: Input,
    /// The earliest time of the next present (frames are paced to the display's rate).
    next_frame: Instant,
    /// The typefaces' metrics, sent in every welcome.
    fonts: FontSet,
}

/// The server program's name and version, as clients see it.
pub fn vendor() -> String {
    format!("netui-display-server {}", env!("CARGO_PKG_VERSION"))
}

impl Core {
    /// A core with an empty screen of `size`.
    pub fn new(size: Size, limits: Limits, display: String, backend: Box<dyn Backend>) -> Self {
        let scene = Scene::new(size, limits);
        Self {
            fonts: scene.font_metrics(),
            scene,
            backend,
            clients: BTreeMap::new(),
            numbers: BTreeMap::new(),
            limits,
            display,
            doomed: Vec::new(),
            input: Input::default(),
            next_frame: Instant::now(),
        }
    }

    /// Serves messages until every sender is gone.
    ///
    /// Frames are paced: damage is composited and presented at most once per frame interval
    /// of the backend (60 Hz unless it knows better), so any number of requests between two
    /// frames end in one present. An idle server sleeps in `recv`: no timer runs without damage.
    pub fn run(
        mut self,
        mut inbox: mpsc::Receiver<CoreMsg>,
        mut screen: mpsc::UnboundedReceiver<CoreMsg>,
    ) {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => {
                tracing::error!("core: cannot start its timer: {e}");
                return;
            }
        };
        runtime.block_on(async {
            loop {
                let pending = !self.scene.damage().is_empty();
                let deadline = tokio::time::Instant::from_std(self.next_frame);
                let answer = self.answer_deadline();
                let answer_at = tokio::time::Instant::from_std(answer.unwrap_or(self.next_frame));
                tokio::select! {
                    // Input from the screen goes first: it must not wait behind bulk drawing.
                    biased;
                    Some(msg) = screen.recv() => self.handle(msg),
                    msg = inbox.recv() => {
                        let Some(msg) = msg else { break };
                        self.handle(msg);
                        // Take whatever else is waiting before looking at the clock.
                        for _ in 0..256 {
                            let Ok(msg) = inbox.try_recv() else { break };
                            self.handle(msg);
                        }
                    }
                    () = tokio::time::sleep_until(deadline), if pending => {}
                    () = tokio::time::sleep_until(answer_at), if answer.is_some() => {
                        self.settle_inputs(None);
                    }
                }
                if Instant::now() >= self.next_frame {
                    self.present();
                }
            }
        });
        tracing::debug!("core: all connections and listeners gone, stopping");
    }

    /// Composites pending damage and hands it to the backend and to pixel-mode viewers (now,
    /// whatever the pacing).
    pub fn present(&mut self) {
        if self.scene.damage().is_empty() {
            return;
        }
        let rects = self.scene.composite();
        if rects.is_empty() {
            return;
        }
        self.backend.present(self.scene.screen(), &rects);
        self.next_frame = Instant::now() + self.backend.frame_interval();
        let copies = self.scene.take_copies();
        let conns: Vec<ConnId> = self.clients.keys().copied().collect();
        for conn in conns {
            if let Some(viewer) = self.clients.get_mut(&conn).and_then(|c| c.viewer.as_mut()) {
                if matches!(viewer.mode(), ViewMode::Pixels(_)) {
                    viewer.push_damage(&rects, &copies);
                    self.pump(conn);
                }
            }
        }
    }

    /// Settles the viewers' inputs that waited for `app` to answer (it has: its batch is
    /// carried out) or, with `None`, for too long; sends the answers that are due.
    fn settle_inputs(&mut self, app: Option<ConnId>) {
        let now = Instant::now();
        let conns: Vec<ConnId> = self.clients.keys().copied().collect();
        for conn in conns {
            if let Some(viewer) = self.clients.get_mut(&conn).and_then(|c| c.viewer.as_mut()) {
                if viewer.answer_deadline().is_some() {
                    viewer.answered(app, now);
                    if viewer.answer_deadline().is_none() && self.scene.damage().is_empty() {
                        self.update_viewers_with_ops();
                        self.pump(conn);
                    }
                }
            }
        }
    }

    /// The earliest moment a viewer's input stops waiting for its answer.
    fn answer_deadline(&self) -> Option<Instant> {
        self.clients
            .values()
            .filter_map(|c| c.viewer.as_ref()?.answer_deadline())
            .min()
    }

    /// Hands the scene's logged changes to command-mode viewers and sends what they may take.
    fn update_viewers_with_ops(&mut self) {
        let ops = self.scene.take_ops();
        let conns: Vec<ConnId> = self.clients.keys().copied().collect();
        for conn in conns {
            if let Some(viewer) = self.clients.get_mut(&conn).and_then(|c| c.viewer.as_mut()) {
                if viewer.mode() == ViewMode::Commands {
                    viewer.push_ops(&ops);
                    self.pump(conn);
                }
            }
        }
    }

    /// Sends a viewer the updates that flow control allows.
    fn pump(&mut self, conn: ConnId) {
        let Some(viewer) = self.clients.get_mut(&conn).and_then(|c| c.viewer.as_mut()) else {
            return;
        };
        for message in viewer.pump(&self.scene) {
            self.send(conn, ServerMessage::View(message));
        }
    }

    /// Tells the scene what to keep for the viewers attached now.
    fn update_logging(&mut self) {
        let modes = || {
            self.clients
                .values()
                .filter_map(|c| c.viewer.as_ref().map(Viewer::mode))
        };
        let commands = modes().any(|m| m == ViewMode::Commands);
        let pixels = modes().any(|m| matches!(m, ViewMode::Pixels(_)));
        self.scene.set_logging(commands, pixels);
    }

    /// The scene (for benchmarks and tests).
    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    /// Handles one message.
    pub fn handle(&mut self, msg: CoreMsg) {
        match msg {
            CoreMsg::Hello {
                conn,
                name,
                peer,
                access,
                outbox,
                respond,
            } => {
                let answer = self.accept(conn, name, peer, access, outbox);
                // The connection may have gone while waiting; then it will send Gone.
                let _ = respond.send(answer);
            }
            CoreMsg::Batch { conn, items } => {
                for item in items {
                    if !self.clients.contains_key(&conn) {
                        break;
                    }
                    self.serve(conn, item);
                }
                self.settle_inputs(Some(conn));
            }
            CoreMsg::ProtocolError { conn, error } => {
                tracing::warn!(conn, %error, "protocol error: closing the connection");
                let report = ErrorReport {
                    seq: 0,
                    opcode: None,
                    code: ErrorCode::Protocol,
                    resource: None,
                    message: format!("{error}; closing the connection"),
                };
                self.send(conn, ServerMessage::Error(report));
                self.disconnect(conn);
            }
            CoreMsg::Gone { conn } => self.disconnect(conn),
            CoreMsg::Input(input) => {
                self.input(input);
            }
            CoreMsg::ResizeScreen(size) => {
                if size != self.scene.size() && size.width > 0 && size.height > 0 {
                    // A new screen size has no checks: it cannot fail.
                    let _ = self
                        .scene
                        .perform(&SceneOp::ResizeScreen { size }, &mut Vec::new());
                    let conns: Vec<ConnId> = self.clients.keys().copied().collect();
                    for conn in conns {
                        self.send(conn, ServerMessage::Event(Event::ScreenResized { size }));
                    }
                }
            }
        }
        for conn in std::mem::take(&mut self.doomed) {
            self.disconnect(conn);
        }
        self.update_viewers_with_ops();
        if self.scene.take_windows_changed() {
            let watchers: Vec<ConnId> = self
                .clients
                .iter()
                .filter(|(_, c)| c.watches_windows)
                .map(|(conn, _)| *conn)
                .collect();
            for conn in watchers {
                self.send(conn, ServerMessage::Event(Event::WindowsChanged));
            }
        }
    }

    /// Routes input from the screen (or injected) through the window manager.
    /// Carries out one input event; returns the applications it sent events to.
    fn input(&mut self, input: InputEvent) -> BTreeSet<ConnId> {
        let mut events = Vec::new();
        let action = self.input.handle(&mut self.scene, input, &mut events);
        let apps = self.route(events);
        if let Some(Action::Kill(window)) = action {
            if let Some(&conn) = self.numbers.get(&(window.0 >> ID_SHIFT)) {
                tracing::info!(conn, %window, "close pressed twice: disconnecting the client");
                self.disconnect(conn);
            }
        }
        apps
    }

    fn accept(
        &mut self,
        conn: ConnId,
        name: String,
        peer: Peer,
        access: Access,
        outbox: mpsc::Sender<ServerMessage>,
    ) -> Result<Welcome, Refusal> {
        let number = (1..=MAX_CLIENTS)
            .find(|n| !self.numbers.contains_key(n))
            .ok_or(Refusal::TooManyClients)?;
        tracing::info!(conn, number, %name, %peer, ?access, "client connected");
        let client = Client {
            number,
            name,
            peer,
            access,
            outbox,
            windows: BTreeSet::new(),
            pixmaps: BTreeSet::new(),
            pixels: 0,
            watches_windows: false,
            viewer: None,
        };
        let welcome = Welcome {
            vendor: vendor(),
            client_id: number,
            screen: self.scene.size(),
            pixel_format: PixelFormat::Xrgb8888,
            id_base: client.id_base(),
            id_mask: ID_MASK,
            limits: self.limits,
            fonts: self.fonts.clone(),
        };
        self.numbers.insert(number, conn);
        self.clients.insert(conn, client);
        Ok(welcome)
    }

    /// Removes a client and everything it owns; its windows vanish from the screen.
    fn disconnect(&mut self, conn: ConnId) {
        let Some(client) = self.clients.remove(&conn) else {
            return;
        };
        self.numbers.remove(&client.number);
        let mut events = Vec::new();
        // Neither can fail: a resource that is already gone is skipped.
        for id in &client.windows {
            let _ = self
                .scene
                .perform(&SceneOp::DestroyWindow { id: *id }, &mut events);
        }
        for id in &client.pixmaps {
            let _ = self
                .scene
                .perform(&SceneOp::FreePixmap { id: *id }, &mut events);
        }
        tracing::info!(
            conn,
            number = client.number,
            name = %client.name,
            windows = client.windows.len(),
            "client disconnected"
        );
        // Focus moves on to another client's window.
        self.route(events);
        if client.viewer.is_some() {
            self.update_logging();
        }
        // Dropping the outbox lets the connection's writer finish and close the socket.
    }

    fn send(&mut self, conn: ConnId, msg: ServerMessage) {
        let Some(client) = self.clients.get(&conn) else {
            return;
        };
        match client.outbox.try_send(msg) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(
                    conn,
                    name = %client.name,
                    "client does not read its events ({OUTBOX_CAPACITY} waiting): disconnecting it"
                );
                self.doomed.push(conn);
            }
            // The connection is closing; its Gone message is on the way.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    fn error(&mut self, conn: ConnId, seq: u32, opcode: Option<u32>, e: SceneError) {
        tracing::debug!(conn, seq, ?opcode, code = ?e.code, message = %e.message, "request failed");
        self.send(
            conn,
            ServerMessage::Error(ErrorReport {
                seq,
                opcode,
                code: e.code,
                resource: e.resource,
                message: e.message,
            }),
        );
    }

    fn serve(&mut self, conn: ConnId, item: Incoming) {
        let Incoming {
            seq,
            opcode,
            request,
        } = item;
        let request = match request {
            Ok(request) => request,
            Err(DecodeError::UnknownOpcode(op)) => {
                let e = SceneError {
                    code: ErrorCode::UnknownRequest,
                    resource: None,
                    message: format!("this server has no request with opcode {op}"),
                };
                return self.error(conn, seq, opcode, e);
            }
            Err(err) => {
                let e = SceneError {
                    code: ErrorCode::Malformed,
                    resource: None,
                    message: err.to_string(),
                };
                return self.error(conn, seq, opcode, e);
            }
        };
        if let Err(e) = self.check_access(conn, &request) {
            return self.error(conn, seq, opcode, e);
        }
        if let Err(e) = self.execute(conn, seq, &request) {
            self.error(conn, seq, opcode, e);
        }
    }

    /// Checks that the client's permission allows the request, that it may use every id in
    /// it, and that it has room for new pixels.
    fn check_access(&self, conn: ConnId, request: &Request) -> Result<(), SceneError> {
        let Some(client) = self.clients.get(&conn) else {
            return Ok(());
        };
        if let Err(message) = client.access.check(request.class()) {
            return Err(SceneError {
                code: ErrorCode::Access,
                resource: None,
                message: message.into(),
            });
        }
        let bad = |id: ResourceId, code, message: String| SceneError {
            code,
            resource: Some(id),
            message,
        };
        let (created, used) = resources(request);
        if let Some((id, size)) = created {
            if !client.owns(id) || id.0 & ID_MASK == 0 {
                return Err(bad(
                    id,
                    ErrorCode::IdChoice,
                    format!(
                        "id {id} is outside this client's range {:#x}..={:#x}",
                        client.id_base() + 1,
                        client.id_base() | ID_MASK
                    ),
                ));
            }
            self.check_pixels(client, id, size.area(), 0)?;
        }
        for id in used.into_iter().flatten() {
            if !client.owns(id) && self.scene.exists(id) {
                return Err(bad(
                    id,
                    ErrorCode::BadId,
                    format!("resource {id} belongs to another client"),
                ));
            }
        }
        if let Request::ConfigureWindow { id, rect } = request {
            if let Some(old) = self.scene.drawable_size(*id).filter(|_| client.owns(*id)) {
                self.check_pixels(client, *id, rect.size().area(), old.area())?;
            }
        }
        Ok(())
    }

    fn check_pixels(
        &self,
        client: &Client,
        id: ResourceId,
        new: u64,
        old: u64,
    ) -> Result<(), SceneError> {
        let total = client.pixels.saturating_sub(old).saturating_add(new);
        if total > self.limits.max_client_pixels {
            return Err(SceneError {
                code: ErrorCode::ResourceLimit,
                resource: Some(id),
                message: format!(
                    "the client would hold {total} pixels, above the limit of {}",
                    self.limits.max_client_pixels
                ),
            });
        }
        Ok(())
    }

    fn execute(&mut self, conn: ConnId, seq: u32, request: &Request) -> Result<(), SceneError> {
        match request {
            Request::Sync => {
                self.send(conn, ServerMessage::Reply(Reply::Sync { seq }));
                return Ok(());
            }
            Request::GetImage { source, area } => {
                if *source == ResourceId::ROOT {
                    // The screen must be read as shown: present pending damage first, so that
                    // the backend and pixel viewers get it too (the scene's own composite on
                    // read would consume it unseen).
                    self.present();
                }
                let (area, data) = self.scene.read(*source, *area)?;
                let limit = self.limits.max_payload as usize - 64;
                if data.len() > limit {
                    return Err(SceneError {
                        code: ErrorCode::BadValue,
                        resource: Some(*source),
                        message: format!(
                            "{}x{} pixels do not fit in one reply of {limit} bytes: read them in parts",
                            area.width, area.height
                        ),
                    });
                }
                self.send(conn, ServerMessage::Reply(Reply::Image { seq, area, data }));
                return Ok(());
            }
            Request::GetServerInfo => {
                let info = self.info();
                self.send(conn, ServerMessage::Reply(Reply::ServerInfo { seq, info }));
                return Ok(());
            }
            Request::WatchWindows => {
                if let Some(client) = self.clients.get_mut(&conn) {
                    client.watches_windows = true;
                }
                return Ok(());
            }
            Request::AttachViewer { mode } => {
                // Changes logged so far belong to the state that the viewer is about to get.
                self.update_viewers_with_ops();
                let size = self.scene.size();
                if let Some(client) = self.clients.get_mut(&conn) {
                    match &mut client.viewer {
                        Some(viewer) => viewer.set_mode(*mode, &self.scene),
                        None => client.viewer = Some(Viewer::new(*mode, &self.scene)),
                    }
                    tracing::info!(conn, ?mode, "viewer attached");
                }
                self.send(
                    conn,
                    ServerMessage::View(ViewMessage::Start { size, mode: *mode }),
                );
                self.update_logging();
                self.pump(conn);
                return Ok(());
            }
            Request::ViewerInput { seq, input } => {
                if self
                    .clients
                    .get(&conn)
                    .and_then(|c| c.viewer.as_ref())
                    .is_none()
                {
                    return Err(SceneError {
                        code: ErrorCode::Access,
                        resource: None,
                        message: "viewer input needs AttachViewer first".into(),
                    });
                }
                let seq = *seq;
                let before = self.scene.damage().rects().to_vec();
                let mut apps = self.input(input.clone());
                apps.remove(&conn);
                // The window manager answered (moved, raised, focused): that is what the user
                // sees, whatever the applications do with their events.
                let managed = self.scene.damage().rects() != before.as_slice();
                if let Some(viewer) = self.clients.get_mut(&conn).and_then(|c| c.viewer.as_mut()) {
                    if apps.is_empty() || managed {
                        viewer.input_seen(seq);
                    } else {
                        viewer.input_awaits(seq, apps, Instant::now() + ANSWER_WAIT);
                    }
                }
                // With nothing to show for it, the answer goes now; otherwise with the next
                // frame that shows what the input did.
                if self.scene.damage().is_empty() {
                    self.update_viewers_with_ops();
                    self.pump(conn);
                }
                return Ok(());
            }
            Request::AckUpdate { update } => {
                if let Some(viewer) = self.clients.get_mut(&conn).and_then(|c| c.viewer.as_mut()) {
                    viewer.ack(*update);
                }
                self.pump(conn);
                return Ok(());
            }
            Request::InjectInput { input } => {
                // The permission to inject was checked with the others.
                self.input(input.clone());
                return Ok(());
            }
            _ => {}
        }
        let before = match request {
            Request::ConfigureWindow { id, .. }
            | Request::DestroyWindow { id }
            | Request::FreePixmap { id } => self.scene.drawable_size(*id).map_or(0, Size::area),
            _ => 0,
        };
        let mut events = Vec::new();
        self.scene.apply(request, &mut events)?;
        if let Some(client) = self.clients.get_mut(&conn) {
            match request {
                Request::CreateWindow { id, rect, .. } => {
                    client.windows.insert(*id);
                    client.pixels += rect.size().area();
                }
                Request::CreatePixmap { id, width, height } => {
                    client.pixmaps.insert(*id);
                    client.pixels += Size::new(*width, *height).area();
                }
                Request::ConfigureWindow { rect, .. } => {
                    client.pixels = client.pixels - before + rect.size().area();
                }
                Request::DestroyWindow { id } => {
                    client.windows.remove(id);
                    client.pixels -= before;
                }
                Request::FreePixmap { id } => {
                    client.pixmaps.remove(id);
                    client.pixels -= before;
                }
                _ => {}
            }
        }
        self.route(events);
        Ok(())
    }

    /// Sends each event to the owner of its window.
    /// Sends each event to the client that owns its window; returns those clients.
    fn route(&mut self, events: Vec<netui_protocol::Event>) -> BTreeSet<ConnId> {
        let mut sent = BTreeSet::new();
        for event in events {
            let owner = event.window().0 >> ID_SHIFT;
            if let Some(&conn) = self.numbers.get(&owner) {
                self.send(conn, ServerMessage::Event(event));
                sent.insert(conn);
            }
        }
        sent
    }

    fn info(&self) -> ServerInfo {
        let clients = self
            .clients
            .values()
            .map(|c| ClientInfo {
                id: c.number,
                name: c.name.clone(),
                peer: c.peer.to_string(),
                windows: self
                    .scene
                    .stack()
                    .iter()
                    .filter(|id| c.windows.contains(id))
                    .filter_map(|id| {
                        self.scene.window(*id).map(|w| WindowInfo {
                            id: *id,
                            title: w.title.clone(),
                            rect: w.rect,
                            mapped: w.mapped,
                            kind: w.kind,
                            focused: self.scene.focus() == Some(*id),
                        })
                    })
                    .collect(),
                pixmaps: c.pixmaps.len() as u32,
                backlog: c.viewer.as_ref().map_or(0, Viewer::backlog),
                encode_micros: c
                    .viewer
                    .as_ref()
                    .map_or(0, |v| v.encode_time().as_micros() as u64),
            })
            .collect();
        ServerInfo {
            vendor: vendor(),
            protocol_version: PROTOCOL_VERSION,
            display: self.display.clone(),
            screen: self.scene.size(),
            clients,
            stack: self.scene.stack().to_vec(),
        }
    }
}

/// The id a request creates (with its size), and up to two ids it uses. `GetImage` uses none
/// that must be the client's own: like `xwd`, any client may read any window.
fn resources(request: &Request) -> (Option<(ResourceId, Size)>, [Option<ResourceId>; 2]) {
    use Request::*;
    match request {
        CreateWindow { id, rect, .. } => (Some((*id, rect.size())), [None, None]),
        CreatePixmap { id, width, height } => {
            (Some((*id, Size::new(*width, *height))), [None, None])
        }
        MapWindow { id }
        | UnmapWindow { id }
        | ConfigureWindow { id, .. }
        | SetTitle { id, .. }
        | DestroyWindow { id }
        | FreePixmap { id }
        | SetWindowKind { id, .. } => (None, [Some(*id), None]),
        FillRects { target, .. }
        | StrokeRects { target, .. }
        | Lines { target, .. }
        | Segments { target, .. }
        | Ellipse { target, .. }
        | Text { target, .. }
        | PutImage { target, .. }
        | Clear { target, .. }
        | SetClip { target, .. } => (None, [Some(*target), None]),
        CopyArea { src, dst, .. } => (None, [Some(*src), Some(*dst)]),
        Present { window } => (None, [Some(*window), None]),
        // Like GetImage, these may name (or touch) any client's windows.
        Sync
        | GetImage { .. }
        | GetServerInfo
        | ActivateWindow { .. }
        | WatchWindows
        | InjectInput { .. }
        | AttachViewer { .. }
        | ViewerInput { .. }
        | AckUpdate { .. } => (None, [None, None]),
    }
}
