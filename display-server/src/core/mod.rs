//! The core: the one owner of the server's state.
//!
//! Connection tasks decode requests concurrently and send them here through a channel; the
//! core runs on its own thread, checks what each client may touch, carries the requests out
//! on the [`Scene`], routes events and replies back to each client's outbox, and composites
//! damage into frames for the backend. No lock is shared with the connections: a slow client
//! can only fill its own outbox, and then it is disconnected.
//!
//! This module is the loop, the frame pacing and the dispatch: each request goes where its
//! [`RequestClass`] says. The state is split by what owns it:
//! - `clients`: the registry of clients (numbers, id ranges, outboxes, what each holds) and
//!   the checks of permission, ownership and quota.
//! - `viewers`: the viewers' state, by connection, and how they are fed.
//! - `fair`: each client's queue of requests, served round-robin in turns bounded by the
//!   pixels they touch.
//! - `selection`: the clipboard and the primary selection: owners, kept text, transfers.

use std::collections::BTreeSet;
use std::time::Instant;

use netui_protocol::images::{CodedImage, SharedImages};
use netui_protocol::{
    ClientInfo, DecodeError, ErrorCode, ErrorReport, Event, FontSet, InputEvent, Limits, Refusal,
    Reply, Request, RequestClass, ResourceId, Role, SceneOp, ServerInfo, ServerMessage, Size,
    Welcome, WindowInfo, PROTOCOL_VERSION,
};
use netui_scene::scene::{CostHint, Scene, SceneError, CODED_PIXEL};
use tokio::sync::{mpsc, oneshot, watch, OwnedSemaphorePermit};

use crate::backend::Backend;
use crate::input::{Action, Input};
use crate::peer::{Access, Peer};
use crate::viewer::Viewer;

mod clients;
mod fair;
mod selection;
mod viewers;

pub use crate::peer::ConnId;
pub use clients::{Outbox, OutboxReceiver, ID_MASK, ID_SHIFT, MAX_CLIENTS};
pub use fair::{BATCHES_IN_FLIGHT, REQUEST_OVERHEAD, SLICE_PIXELS};

use clients::Clients;
use fair::Queues;
use selection::Selections;
use viewers::{SnapshotCoder, Viewers};

/// Messages taken from the inbox (into the clients' queues) between two turns.
const INTAKE: usize = 256;
/// The threads that draw a large fill, a batch of long segments or a large copy together,
/// the core's own included.
const PAINTERS: usize = 2;

/// A request as it came off the wire: decoded, or the reason it could not be.
#[derive(Debug)]
pub struct Incoming {
    /// Its sequence number on the connection.
    pub seq: u32,
    /// Its opcode, when the bytes had one.
    pub opcode: Option<u32>,
    /// The request, or why it did not decode.
    pub request: Result<Request, DecodeError>,
    /// What its cost needs, found where it was decoded (see [`CostHint`]).
    pub hint: CostHint,
    /// Its images, coded where it was decoded ([`Incoming::prepare`]).
    pub images: Vec<CodedImage>,
}

impl Incoming {
    /// A request as a connection decoded it, with its cost hint (found here, on the
    /// connection's thread, rather than on the core's).
    pub fn new(seq: u32, opcode: Option<u32>, request: Result<Request, DecodeError>) -> Incoming {
        let hint = request
            .as_ref()
            .map_or_else(|_| CostHint::default(), CostHint::of);
        Incoming {
            seq,
            opcode,
            request,
            hint,
            images: Vec::new(),
        }
    }

    /// Whether [`Incoming::prepare`] would have images to code (or to find coded).
    pub fn has_images(&self, images: &SharedImages) -> bool {
        self.request.as_ref().is_ok_and(|r| images.would_code(r))
    }

    /// Codes the request's images as the core will need them (a compressed image expanded;
    /// a raw one packed for command-mode viewers while there are some), so that the core,
    /// which serves every client in turn, finds them coded: a photograph takes 10 to 15 ms.
    /// `max_bytes` is what an image may expand to (the frame payload's limit, as the core
    /// checks it).
    pub fn prepare(&mut self, images: &SharedImages, max_bytes: usize) {
        if let Ok(request) = &self.request {
            self.images = images.prepare(request, max_bytes);
        }
    }

    /// What coding its images cost where it was decoded, charged to the client as if the
    /// core had coded them ([`CODED_PIXEL`] a pixel), so that a client cannot make the
    /// server code for it beyond its fair share by having its reader do it: its requests
    /// wait their turn at the core, and its reader, which waits for them, reads no more.
    pub fn coding_cost(&self) -> u64 {
        let pixels: u64 = self.images.iter().map(CodedImage::gradient_pixels).sum();
        pixels.saturating_mul(CODED_PIXEL)
    }

    /// [`Incoming::prepare`] for a frame's requests, in order, until their images hold
    /// `max_bytes` (the payload's limit: as if the frame were twice as large). A frame of
    /// small images that each expand to megabytes would otherwise hold them all until the
    /// core is done with it; those past the bound are left to the core, which codes one at a
    /// time.
    pub fn prepare_all(items: &mut [Incoming], images: &SharedImages, max_bytes: usize) {
        let mut left = max_bytes;
        for item in items {
            if left == 0 {
                break;
            }
            item.prepare(images, left);
            left = left.saturating_sub(item.images.iter().map(CodedImage::bytes).sum());
        }
    }
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
        /// What its hello said it comes to do.
        role: Role,
        /// Where its replies and events go.
        outbox: Outbox,
        /// The answer.
        respond: oneshot::Sender<Result<Welcome, Refusal>>,
    },
    /// Requests from one frame.
    Batch {
        /// The connection.
        conn: ConnId,
        /// The requests, in order.
        items: Vec<Incoming>,
        /// The reader's permit to have this frame queued, released once it is done (`None`
        /// for a sender that needs no backpressure).
        permit: Option<OwnedSemaphorePermit>,
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

/// The server's state and the loop that serves it.
pub struct Core {
    scene: Scene,
    backend: Box<dyn Backend>,
    clients: Clients,
    viewers: Viewers,
    /// The requests waiting for their client's turn.
    queues: Queues,
    /// The clipboard and the primary selection.
    selections: Selections,
    limits: Limits,
    display: String,
    input: Input,
    /// The earliest time of the next present (frames are paced to the display's rate).
    next_frame: Instant,
    /// The typefaces' metrics, sent in every welcome.
    fonts: FontSet,
    /// The screen's size, for those who need it before they are clients (an RFB viewer's
    /// ServerInit).
    size: watch::Sender<Size>,
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
            clients: Clients::new(limits.max_outbox_bytes),
            viewers: Viewers::default(),
            queues: Queues::default(),
            selections: Selections::new(limits.selection),
            limits,
            display,
            input: Input::default(),
            next_frame: Instant::now(),
            size: watch::Sender::new(size),
        }
    }

    /// The scene's cache of coded images, for the connections' readers to code images into
    /// ([`Incoming::prepare`]).
    pub fn images(&self) -> SharedImages {
        self.scene.images()
    }

    /// The screen's size, now and whenever it changes.
    pub fn screen_size(&self) -> watch::Receiver<Size> {
        self.size.subscribe()
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
        // The renderer shares large fills, segments and copies out to the pool that this
        // thread joins (`netui_scene::render`); without one it draws them alone. rayon keeps
        // (leaks) the small registry of a pool that its builder's thread is in: once a server.
        let _painters = rayon_core::ThreadPoolBuilder::new()
            .num_threads(PAINTERS)
            .use_current_thread()
            .thread_name(|i| format!("netui-paint-{i}"))
            .build()
            .map_err(|e| tracing::warn!("core: drawing on one thread: {e}"))
            .ok();
        let (done, mut coded) = mpsc::unbounded_channel();
        self.viewers.coder = SnapshotCoder::apart(self.scene.images(), done);
        runtime.block_on(async {
            let mut open = true;
            loop {
                // Take in what waits, without blocking: the screen's input first, then the
                // clients' messages (their requests only join their queues: cheap).
                while let Ok(msg) = screen.try_recv() {
                    self.handle(msg);
                }
                while let Ok(snapshot) = coded.try_recv() {
                    self.snapshot_coded(snapshot);
                }
                for _ in 0..INTAKE {
                    match inbox.try_recv() {
                        Ok(msg) => self.handle(msg),
                        Err(mpsc::error::TryRecvError::Empty) => break,
                        Err(mpsc::error::TryRecvError::Disconnected) => {
                            open = false;
                            break;
                        }
                    }
                }
                if !self.queues.is_empty() {
                    // One client's turn, then a look at everything else again.
                    self.serve_turn();
                    if self
                        .viewers
                        .answer_deadline()
                        .is_some_and(|at| at <= Instant::now())
                    {
                        self.settle_inputs(None);
                    }
                    self.expire_transfers_due();
                    if Instant::now() >= self.next_frame {
                        self.present();
                    }
                    continue;
                }
                if !open {
                    break;
                }
                let pending = !self.scene.damage().is_empty();
                let deadline = tokio::time::Instant::from_std(self.next_frame);
                let answer = self.viewers.answer_deadline();
                let answer_at = tokio::time::Instant::from_std(answer.unwrap_or(self.next_frame));
                let transfer = self.selections.deadline();
                let transfer_at =
                    tokio::time::Instant::from_std(transfer.unwrap_or(self.next_frame));
                tokio::select! {
                    // Input from the screen goes first: it must not wait behind bulk drawing.
                    biased;
                    Some(msg) = screen.recv() => self.handle(msg),
                    Some(snapshot) = coded.recv() => self.snapshot_coded(snapshot),
                    msg = inbox.recv() => {
                        let Some(msg) = msg else { break };
                        self.handle(msg);
                    }
                    () = tokio::time::sleep_until(deadline), if pending => {}
                    () = tokio::time::sleep_until(answer_at), if answer.is_some() => {
                        self.settle_inputs(None);
                    }
                    () = tokio::time::sleep_until(transfer_at), if transfer.is_some() => {
                        self.expire_transfers_due();
                    }
                }
                if Instant::now() >= self.next_frame {
                    self.present();
                }
            }
        });
        tracing::debug!("core: all connections and listeners gone, stopping");
    }

    /// Ends the selection transfers whose owner has been silent too long.
    fn expire_transfers_due(&mut self) {
        let now = Instant::now();
        if self.selections.deadline().is_some_and(|at| at <= now) {
            self.expire_transfers(now);
            self.settle();
        }
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
        let hints = self.scene.take_hints();
        self.push_damage_to_viewers(&rects, &hints);
    }

    /// Serves every queued request now, turn by turn as [`Core::run`] does between two
    /// waits, then presents. For what drives a core without its loop: the `server` fuzz
    /// target (`fuzz/`) hands it batches with [`Core::handle`] and calls this.
    pub fn serve_queued(&mut self) {
        while !self.queues.is_empty() {
            self.serve_turn();
        }
        self.present();
    }

    /// The scene (for benchmarks and tests).
    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    /// Handles one message. A batch of requests only joins its client's queue: the loop
    /// ([`Core::run`]) serves the queues in turns.
    pub fn handle(&mut self, msg: CoreMsg) {
        match msg {
            CoreMsg::Hello {
                conn,
                name,
                peer,
                access,
                role,
                outbox,
                respond,
            } => {
                let answer = self.accept(conn, name, peer, access, role, outbox);
                // The connection may have gone while waiting; then it will send Gone.
                let _ = respond.send(answer);
            }
            CoreMsg::Batch {
                conn,
                items,
                permit,
            } => {
                if self.clients.contains(conn) {
                    self.queues.push(conn, items, permit);
                }
            }
            CoreMsg::ProtocolError { conn, error } => {
                tracing::warn!(conn, %error, "protocol error: closing the connection");
                self.leave(conn);
                let report = ErrorReport::protocol(format!("{error}; closing the connection"));
                self.clients.send(conn, ServerMessage::Error(report));
                self.disconnect(conn);
            }
            CoreMsg::Gone { conn } => {
                self.leave(conn);
                self.disconnect(conn);
            }
            CoreMsg::Input(input) => {
                self.input(input);
            }
            CoreMsg::ResizeScreen(size) => {
                let max = self.limits.max_side;
                let fits = (1..=max).contains(&size.width) && (1..=max).contains(&size.height);
                if size != self.scene.size() && fits {
                    // A new screen size has no checks: it cannot fail.
                    let _ = self
                        .scene
                        .perform(&SceneOp::ResizeScreen { size }, &mut Vec::new());
                    let resized = ServerMessage::Event(Event::ScreenResized { size });
                    self.clients.send_all(&resized, |_| true);
                    self.size.send_replace(size);
                }
            }
        }
        self.settle();
    }

    /// What follows any change: clients found stuck are dropped, viewers get the changes,
    /// and those who watch the window list hear that it changed.
    fn settle(&mut self) {
        for conn in self.clients.take_doomed() {
            self.disconnect(conn);
        }
        self.update_viewers_with_ops();
        if self.scene.take_windows_changed() {
            let changed = ServerMessage::Event(Event::WindowsChanged);
            self.clients.send_all(&changed, |c| c.watches_windows);
        }
    }

    /// A connection is closing: what it had queued is dropped, but for requests that act on
    /// others (input, raising a window), which are carried out now, in order.
    fn leave(&mut self, conn: ConnId) {
        for item in self.queues.remove(conn) {
            self.serve(conn, item);
        }
    }

    /// Serves one client's turn: its queued requests, in order, until they have touched
    /// [`SLICE_PIXELS`] pixels (at least one request). A request that costs more than a turn
    /// is cut into pieces when it can be, else it runs at the start of a turn of its own.
    fn serve_turn(&mut self) {
        let Some(conn) = self.queues.next_turn() else {
            return;
        };
        let mut spent: u64 = 0;
        while let Some((item, ended)) = self.queues.pop(conn) {
            let cost = item
                .request
                .as_ref()
                .map_or(0, |r| {
                    self.scene.adopt_images(&item.images);
                    let cost = self.scene.cost_hinted(r, &item.hint);
                    cost.saturating_add(selection::cost(r))
                })
                .saturating_add(item.coding_cost())
                .saturating_add(REQUEST_OVERHEAD);
            if spent > 0 && spent.saturating_add(cost) > SLICE_PIXELS {
                self.queues.unpop(conn, vec![item]);
                break;
            }
            if cost > SLICE_PIXELS {
                let pieces = item
                    .request
                    .as_ref()
                    .ok()
                    .and_then(|r| fair::split(r, cost));
                if let Some(pieces) = pieces {
                    let (seq, opcode) = (item.seq, item.opcode);
                    let pieces = pieces
                        .into_iter()
                        .map(|request| Incoming::new(seq, opcode, Ok(request)));
                    self.queues.unpop(conn, pieces.collect());
                    continue;
                }
            }
            spent = spent.saturating_add(cost);
            self.serve(conn, item);
            if !self.clients.contains(conn) {
                break;
            }
            if ended {
                self.settle_inputs(Some(conn));
            }
        }
        if self.clients.contains(conn) {
            self.queues.end_turn(conn, spent, Instant::now());
        } else {
            self.queues.remove(conn);
        }
        self.settle();
    }

    /// Carries out one input event (from the screen, a viewer or an injection) through the
    /// window manager; returns the applications it sent events to.
    fn input(&mut self, input: InputEvent) -> BTreeSet<ConnId> {
        let mut events = Vec::new();
        let action = self.input.handle(&mut self.scene, input, &mut events);
        let apps = self.route(events);
        if let Some(Action::Kill(window)) = action {
            if let Some(conn) = self.clients.owner(window) {
                tracing::info!(conn, %window, "close pressed twice: disconnecting the client");
                self.disconnect(conn);
            }
        }
        apps
    }

    /// Sends each event to the client that owns its window; returns those clients.
    fn route(&mut self, events: Vec<Event>) -> BTreeSet<ConnId> {
        let mut sent = BTreeSet::new();
        for event in events {
            if let Some(conn) = self.clients.owner(event.window()) {
                self.clients.send(conn, ServerMessage::Event(event));
                sent.insert(conn);
            }
        }
        sent
    }

    fn error(&mut self, conn: ConnId, seq: u32, opcode: Option<u32>, e: SceneError) {
        tracing::debug!(conn, seq, ?opcode, code = ?e.code, message = %e.message, "request failed");
        self.clients.send(
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

    /// Checks one request and carries it out where its class says, or reports why not.
    fn serve(&mut self, conn: ConnId, item: Incoming) {
        let Incoming {
            seq,
            opcode,
            request,
            ..
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
        if let Err(e) = self
            .clients
            .check(conn, &request, &self.scene, &self.limits)
        {
            return self.error(conn, seq, opcode, e);
        }
        let done = match request.class() {
            RequestClass::Scene => self.apply(conn, &request),
            RequestClass::Connection => self.answer(conn, seq, &request),
            RequestClass::Input => match request {
                // The permission to inject was checked with the others.
                Request::InjectInput { input } => {
                    self.input(input);
                    Ok(())
                }
                _ => Err(not_mine(&request)),
            },
            RequestClass::Viewer | RequestClass::ViewerInput => self.view(conn, &request),
            RequestClass::Selection => self.select(conn, &request),
        };
        if let Err(e) = done {
            self.error(conn, seq, opcode, e);
        }
    }

    /// Carries out a scene request, books what it created or freed to the client, and sends
    /// the events it caused.
    fn apply(&mut self, conn: ConnId, request: &Request) -> Result<(), SceneError> {
        let before = clients::area_before(&self.scene, request);
        let mut events = Vec::new();
        self.scene.apply(request, &mut events)?;
        self.clients.account(conn, request, before);
        self.route(events);
        Ok(())
    }

    /// Answers a request about the connection: replies and subscriptions.
    fn answer(&mut self, conn: ConnId, seq: u32, request: &Request) -> Result<(), SceneError> {
        let reply = match request {
            Request::Sync => Reply::Sync { seq },
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
                Reply::Image { seq, area, data }
            }
            Request::GetServerInfo => Reply::ServerInfo {
                seq,
                info: self.info(),
            },
            Request::WatchWindows => {
                self.clients.watch_windows(conn);
                return Ok(());
            }
            _ => return Err(not_mine(request)),
        };
        self.clients.send(conn, ServerMessage::Reply(reply));
        Ok(())
    }

    /// The server-info reply, bounded so that it always fits in a frame: names and titles
    /// are cut to [`Limits::max_info_title_len`] bytes, and the window lists take at most
    /// half a frame, the top of the stack first; the windows left out are counted.
    fn info(&self) -> ServerInfo {
        let cut_at = self.limits.max_info_title_len as usize;
        // Room for the lists; the rest of the reply is small, and postcard writes no more
        // than these estimates (short fields, varints).
        let mut room = self.limits.max_payload as usize / 2;
        let mut index = std::collections::HashMap::new();
        let mut clients: Vec<ClientInfo> = Vec::new();
        for (conn, c) in self.clients.iter() {
            let viewer = self.viewers.get(conn);
            let info = ClientInfo {
                id: c.number,
                name: cut(&c.name, cut_at),
                peer: c.peer.to_string(),
                access: c.access.name().to_owned(),
                windows: Vec::new(),
                pixmaps: c.pixmaps.len() as u32,
                backlog: viewer.map_or(0, Viewer::backlog),
                encode_micros: viewer.map_or(0, |v| v.encode_time().as_micros() as u64),
                pixels: c.pixels(),
                outbox_bytes: c.outbox_bytes(),
            };
            room = room.saturating_sub(info.name.len() + info.peer.len() + 64);
            index.insert(conn, clients.len());
            clients.push(info);
        }
        let mut stack = Vec::new();
        let mut left_out: u32 = 0;
        for id in self.scene.stack().iter().rev() {
            let Some(w) = self.scene.window(*id) else {
                continue;
            };
            let title = cut(&w.title, cut_at);
            // A window's entry, and its id in the stack.
            let need = title.len() + 64;
            let owner = self.clients.owner(*id).and_then(|conn| index.get(&conn));
            if need > room {
                left_out = left_out.saturating_add(1);
                continue;
            }
            room -= need;
            stack.push(*id);
            if let Some(client) = owner.and_then(|i| clients.get_mut(*i)) {
                client.windows.push(WindowInfo {
                    id: *id,
                    title,
                    rect: w.rect,
                    mapped: w.mapped,
                    kind: w.kind,
                    focused: self.scene.focus() == Some(*id),
                });
            }
        }
        // Bottom of the stack first, as documented.
        stack.reverse();
        for client in &mut clients {
            client.windows.reverse();
        }
        if left_out > 0 {
            tracing::debug!(left_out, "server info: windows left out to fit one frame");
        }
        ServerInfo {
            vendor: vendor(),
            protocol_version: PROTOCOL_VERSION,
            display: self.display.clone(),
            screen: self.scene.size(),
            clients,
            stack,
            windows_left_out: left_out,
        }
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends at a character boundary.
fn cut(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default().to_owned()
}

/// The error for a request that its class sends to a handler that does not carry it out (a
/// request added to the protocol's list without its arm here): reported, never a panic.
fn not_mine(request: &Request) -> SceneError {
    SceneError {
        code: ErrorCode::UnknownRequest,
        resource: None,
        message: format!("this server does not carry out {}", request.kind()),
    }
}

#[cfg(test)]
mod tests {
    use netui_protocol::images::{self, SharedImages};
    use netui_protocol::{ImageFormat, Rect, Request, ResourceId};

    use super::Incoming;

    /// A frame's images are coded until they hold the payload's limit; the rest are left
    /// to the core. Five images of 3 MB (raw) that each come in a few hundred bytes, under
    /// a limit of 8 MB: the first two are expanded, the others not.
    #[test]
    fn a_frame_codes_images_up_to_the_payload_limit() {
        let shared = SharedImages::default();
        let rect = Rect::new(0, 0, 1000, 1000);
        let mut items: Vec<Incoming> = (0..5u8)
            .map(|n| {
                let data = images::compress(ImageFormat::Rgb8Zstd, 1000, &vec![n; 3_000_000]);
                assert!(data.len() < 1000);
                let request = Request::PutImage {
                    target: ResourceId(1),
                    rect,
                    format: ImageFormat::Rgb8Zstd,
                    data,
                };
                Incoming::new(u32::from(n), None, Ok(request))
            })
            .collect();
        assert!(items.iter().all(|i| i.has_images(&shared)));
        Incoming::prepare_all(&mut items, &shared, 8 << 20);
        let coded: Vec<usize> = items.iter().map(|i| i.images.len()).collect();
        assert_eq!(coded, [1, 1, 0, 0, 0]);
        assert!(items[0].images[0].bytes() > 3_000_000);
        // Zstandard's images cost no coding; a gradient-coded one costs its pixels a
        // hundred times over when its reader coded it, nothing when it was coded before.
        assert_eq!(items[0].coding_cost(), 0);
        let photo: Vec<u8> = (0..64 * 64 * 3u32)
            .map(|i| (i * 7 + i / 192) as u8)
            .collect();
        let data = images::compress(ImageFormat::Rgb8Gradient, 64, &photo);
        let request = Request::PutImage {
            target: ResourceId(1),
            rect: Rect::new(0, 0, 64, 64),
            format: ImageFormat::Rgb8Gradient,
            data,
        };
        let mut twice = [0, 1].map(|seq| Incoming::new(seq, None, Ok(request.clone())));
        Incoming::prepare_all(&mut twice, &shared, 8 << 20);
        let costs = twice.each_ref().map(Incoming::coding_cost);
        assert_eq!(costs, [64 * 64 * super::CODED_PIXEL, 0]);
    }
}
