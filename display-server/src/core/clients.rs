//! The registry of clients: their numbers and id ranges, their outboxes, what each holds, and
//! the checks that keep a client to its permission, its own resources and its quota.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use netui_protocol::handshake::PixelFormat;
use netui_protocol::Limits;
use netui_protocol::{
    frame, ErrorCode, ErrorReport, Refusal, Reply, Request, ResourceId, Role, SceneOp,
    ServerMessage, Size, ViewMessage, Welcome,
};
use netui_scene::scene::{Scene, SceneError};
use tokio::sync::mpsc;

use super::{vendor, Core};
use crate::peer::{Access, ConnId, Peer};

/// Resource ids are `client << ID_SHIFT | n`: the client number is in the top bits.
pub const ID_SHIFT: u32 = 21;
/// The part of an id that a client chooses.
pub const ID_MASK: u32 = (1 << ID_SHIFT) - 1;
/// Client numbers run from 1 to this (0 is the server's own: the root).
pub const MAX_CLIENTS: u32 = (u32::MAX >> ID_SHIFT) - 1;
/// A client's outbox: the channel to its writer, and what waits in it (counted by the core
/// as it puts a message in, and by the writer as it takes one out). Only its bytes bound it
/// ([`netui_protocol::Limits::max_outbox_bytes`]), and every message counts for at least the
/// room it takes in the channel: a client that makes thousands of windows in one batch gets
/// thousands of small events, which is no reason to drop it, and a client that reads
/// nothing is dropped all the same once they add up.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<(ServerMessage, u64)>,
    held: Arc<Held>,
}

/// What waits in an outbox.
#[derive(Debug, Default)]
struct Held {
    bytes: AtomicU64,
    messages: AtomicUsize,
}

impl Held {
    fn add(&self, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.messages.fetch_add(1, Ordering::Relaxed);
    }

    fn take(&self, bytes: u64) {
        self.bytes.fetch_sub(bytes, Ordering::Relaxed);
        self.messages.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The writer's end of an [`Outbox`].
#[derive(Debug)]
pub struct OutboxReceiver {
    rx: mpsc::UnboundedReceiver<(ServerMessage, u64)>,
    held: Arc<Held>,
}

impl Outbox {
    /// A new outbox, and its writer's end.
    pub fn channel() -> (Outbox, OutboxReceiver) {
        let (tx, rx) = mpsc::unbounded_channel();
        let held = Arc::new(Held::default());
        (
            Outbox {
                tx,
                held: held.clone(),
            },
            OutboxReceiver { rx, held },
        )
    }

    /// The bytes waiting to be written.
    pub fn bytes(&self) -> u64 {
        self.held.bytes.load(Ordering::Relaxed)
    }

    /// The messages waiting to be written.
    pub fn messages(&self) -> usize {
        self.held.messages.load(Ordering::Relaxed)
    }

    /// Puts a message in unless the outbox already holds `max_bytes` or more.
    fn try_send(&self, msg: ServerMessage, max_bytes: u64) -> Result<(), Stuck> {
        let held = self.bytes();
        if held >= max_bytes {
            return Err(Stuck::Bytes(held));
        }
        let size = weight(&msg);
        self.held.add(size);
        self.tx.send((msg, size)).map_err(|_| {
            self.held.take(size);
            Stuck::Closed
        })
    }
}

impl OutboxReceiver {
    /// The next message (waiting for one); `None` once the core has dropped the outbox.
    pub async fn recv(&mut self) -> Option<ServerMessage> {
        let (msg, size) = self.rx.recv().await?;
        self.held.take(size);
        Some(msg)
    }

    /// The next message if one waits.
    pub fn try_recv(&mut self) -> Option<ServerMessage> {
        let (msg, size) = self.rx.try_recv().ok()?;
        self.held.take(size);
        Some(msg)
    }
}

/// Why a message could not be put in an outbox.
enum Stuck {
    /// It holds this many bytes, the limit or more.
    Bytes(u64),
    /// The connection is closing.
    Closed,
}

/// The bytes a message holds while it waits: its encoded size (found without encoding it
/// for the big ones: images, pixel updates), and at least its slot in the channel.
fn weight(msg: &ServerMessage) -> u64 {
    const SMALL: u64 = 64;
    const SLOT: u64 = std::mem::size_of::<(ServerMessage, u64)>() as u64;
    let bytes = match msg {
        ServerMessage::Reply(Reply::Image { data, .. }) => data.len() as u64 + SMALL,
        ServerMessage::View(ViewMessage::Pixels { rects, .. }) => rects
            .iter()
            .map(|r| r.data.len() as u64 + SMALL)
            .sum::<u64>(),
        ServerMessage::Event(netui_protocol::Event::SelectionData { data, .. }) => {
            data.len() as u64 + SMALL
        }
        ServerMessage::Reply(Reply::Sync { .. }) => SMALL,
        other => frame::message_size(other) as u64,
    };
    bytes.max(SLOT)
}

/// One connection that passed its handshake (an application, a tool or a viewer).
pub(super) struct Client {
    pub(super) number: u32,
    pub(super) name: String,
    pub(super) peer: Peer,
    pub(super) access: Access,
    outbox: Outbox,
    /// Windows in creation order.
    pub(super) windows: BTreeSet<ResourceId>,
    pub(super) pixmaps: BTreeSet<ResourceId>,
    /// Pixels held by its windows and pixmaps.
    pixels: u64,
    /// Whether it asked for [`netui_protocol::Event::WindowsChanged`].
    pub(super) watches_windows: bool,
}

impl Client {
    /// Pixels held by its windows and pixmaps.
    pub(super) fn pixels(&self) -> u64 {
        self.pixels
    }

    /// Bytes waiting in its outbox.
    pub(super) fn outbox_bytes(&self) -> u64 {
        self.outbox.bytes()
    }

    fn id_base(&self) -> u32 {
        self.number << ID_SHIFT
    }

    fn owns(&self, id: ResourceId) -> bool {
        id.0 >> ID_SHIFT == self.number
    }
}

/// Every client, by connection and by client number.
pub(super) struct Clients {
    by_conn: BTreeMap<ConnId, Client>,
    /// Client number → connection, for routing events to a window's owner.
    numbers: BTreeMap<u32, ConnId>,
    /// Connections to drop once the current message is handled (their outbox is full).
    doomed: Vec<ConnId>,
    /// Pixels held by all clients' windows and pixmaps together.
    pixels: u64,
    /// The most bytes an outbox may hold ([`netui_protocol::Limits::max_outbox_bytes`]).
    max_outbox_bytes: u64,
}

impl Clients {
    /// No clients yet; outboxes may hold `max_outbox_bytes` each.
    pub(super) fn new(max_outbox_bytes: u64) -> Clients {
        Clients {
            by_conn: BTreeMap::new(),
            numbers: BTreeMap::new(),
            doomed: Vec::new(),
            pixels: 0,
            max_outbox_bytes,
        }
    }

    /// Whether the connection is a client (it passed its handshake and has not gone).
    pub(super) fn contains(&self, conn: ConnId) -> bool {
        self.by_conn.contains_key(&conn)
    }

    /// Every client, by connection.
    pub(super) fn iter(&self) -> impl Iterator<Item = (ConnId, &Client)> {
        self.by_conn.iter().map(|(conn, client)| (*conn, client))
    }

    /// Asks for window events ([`netui_protocol::Request::WatchWindows`]).
    pub(super) fn watch_windows(&mut self, conn: ConnId) {
        if let Some(client) = self.by_conn.get_mut(&conn) {
            client.watches_windows = true;
        }
    }

    /// The connection of the client that owns `id`, going by its id range.
    pub(super) fn owner(&self, id: ResourceId) -> Option<ConnId> {
        self.numbers.get(&(id.0 >> ID_SHIFT)).copied()
    }

    /// The connections that must be dropped, as found while sending.
    pub(super) fn take_doomed(&mut self) -> Vec<ConnId> {
        std::mem::take(&mut self.doomed)
    }

    /// Puts a message in a client's outbox. A client whose outbox is full does not read
    /// what it is sent: it is marked for disconnection, so that it cannot make the core
    /// wait or buffer without bound.
    pub(super) fn send(&mut self, conn: ConnId, msg: ServerMessage) {
        let Some(client) = self.by_conn.get(&conn) else {
            return;
        };
        Self::post(client, conn, msg, self.max_outbox_bytes, &mut self.doomed);
    }

    /// Messages waiting in a client's outbox, not yet taken by its connection's writer.
    pub(super) fn queued(&self, conn: ConnId) -> usize {
        self.by_conn.get(&conn).map_or(0, |c| c.outbox.messages())
    }

    /// Sends a message to every client for which `to` is true.
    pub(super) fn send_all(&mut self, msg: &ServerMessage, to: impl Fn(&Client) -> bool) {
        for (conn, client) in &self.by_conn {
            if to(client) {
                Self::post(
                    client,
                    *conn,
                    msg.clone(),
                    self.max_outbox_bytes,
                    &mut self.doomed,
                );
            }
        }
    }

    fn post(
        client: &Client,
        conn: ConnId,
        msg: ServerMessage,
        max_bytes: u64,
        doomed: &mut Vec<ConnId>,
    ) {
        let why = match client.outbox.try_send(msg, max_bytes) {
            Ok(()) => return,
            Err(Stuck::Bytes(held)) => format!(
                "it does not read what it is sent ({held} bytes waiting, the limit is {max_bytes})"
            ),
            // The connection is closing; its Gone message is on the way.
            Err(Stuck::Closed) => return,
        };
        if doomed.contains(&conn) {
            return;
        }
        tracing::warn!(conn, name = %client.name, "disconnecting the client: {why}");
        // The reason goes last, past the limit: the client reads it if it ever reads again.
        let report = ErrorReport {
            seq: 0,
            opcode: None,
            code: ErrorCode::ResourceLimit,
            resource: None,
            message: format!("disconnected: {why}"),
        };
        let _ = client
            .outbox
            .try_send(ServerMessage::Error(report), u64::MAX);
        doomed.push(conn);
    }

    /// Checks that the client's permission allows the request, that it may use every id in
    /// it, and that it has room for new pixels.
    pub(super) fn check(
        &self,
        conn: ConnId,
        request: &Request,
        scene: &Scene,
        limits: &Limits,
    ) -> Result<(), SceneError> {
        let Some(client) = self.by_conn.get(&conn) else {
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
            self.check_pixels(client, id, size.area(), 0, limits)?;
        }
        for id in used.into_iter().flatten() {
            if !client.owns(id) && scene.exists(id) {
                return Err(bad(
                    id,
                    ErrorCode::BadId,
                    format!("resource {id} belongs to another client"),
                ));
            }
        }
        if let Request::ConfigureWindow { id, rect } = request {
            if let Some(old) = scene.drawable_size(*id).filter(|_| client.owns(*id)) {
                self.check_pixels(client, *id, rect.size().area(), old.area(), limits)?;
            }
        }
        Ok(())
    }

    /// Books what a scene request that succeeded created, resized or freed to its client.
    /// `before` is the area the request's drawable had before ([`area_before`]).
    pub(super) fn account(&mut self, conn: ConnId, request: &Request, before: u64) {
        let Some(client) = self.by_conn.get_mut(&conn) else {
            return;
        };
        let old = client.pixels;
        // Saturating: the window manager resizes windows too (a drag of the border), so a
        // window can hold more pixels than were booked for it.
        match request {
            Request::CreateWindow { id, rect, .. } => {
                client.windows.insert(*id);
                client.pixels = client.pixels.saturating_add(rect.size().area());
            }
            Request::CreatePixmap { id, width, height } => {
                client.pixmaps.insert(*id);
                let area = Size::new(*width, *height).area();
                client.pixels = client.pixels.saturating_add(area);
            }
            Request::ConfigureWindow { rect, .. } => {
                let kept = client.pixels.saturating_sub(before);
                client.pixels = kept.saturating_add(rect.size().area());
            }
            Request::DestroyWindow { id } => {
                client.windows.remove(id);
                client.pixels = client.pixels.saturating_sub(before);
            }
            Request::FreePixmap { id } => {
                client.pixmaps.remove(id);
                client.pixels = client.pixels.saturating_sub(before);
            }
            _ => {}
        }
        self.pixels = self
            .pixels
            .saturating_sub(old)
            .saturating_add(client.pixels);
    }

    /// Checks that a client that frees `old` pixels of a drawable and takes `new` stays
    /// within its own limit and the server's total.
    fn check_pixels(
        &self,
        client: &Client,
        id: ResourceId,
        new: u64,
        old: u64,
        limits: &Limits,
    ) -> Result<(), SceneError> {
        let limit = |message: String| SceneError {
            code: ErrorCode::ResourceLimit,
            resource: Some(id),
            message,
        };
        let total = client.pixels.saturating_sub(old).saturating_add(new);
        if total > limits.max_client_pixels {
            return Err(limit(format!(
                "the client would hold {total} pixels, above the limit of {}",
                limits.max_client_pixels
            )));
        }
        let all = self.pixels.saturating_sub(old).saturating_add(new);
        if all > limits.max_total_pixels {
            return Err(limit(format!(
                "the display's clients would hold {all} pixels together, above the server's \
                 limit of {}",
                limits.max_total_pixels
            )));
        }
        Ok(())
    }
}

/// The area of the drawable that a request resizes or frees, before it does (0 for others):
/// what [`Clients::account`] takes off the client's pixels.
pub(super) fn area_before(scene: &Scene, request: &Request) -> u64 {
    match request {
        Request::ConfigureWindow { id, .. }
        | Request::DestroyWindow { id }
        | Request::FreePixmap { id } => scene.drawable_size(*id).map_or(0, Size::area),
        _ => 0,
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
        | AckUpdate { .. }
        | ReportCosts { .. }
        | ClaimSelection { .. }
        | RequestSelection { .. }
        | SendSelection { .. }
        | RefuseSelection { .. }
        | WatchSelections => (None, [None, None]),
    }
}

impl Core {
    /// Registers a client that passed its handshake: gives it the lowest free client number
    /// (and with it its id range) and makes its welcome.
    pub(super) fn accept(
        &mut self,
        conn: ConnId,
        name: String,
        peer: Peer,
        access: Access,
        role: Role,
        outbox: Outbox,
    ) -> Result<Welcome, Refusal> {
        let clients = &mut self.clients;
        let number = (1..=MAX_CLIENTS)
            .find(|n| !clients.numbers.contains_key(n))
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
        };
        let welcome = Welcome {
            vendor: vendor(),
            client_id: number,
            screen: self.scene.size(),
            pixel_format: PixelFormat::Xrgb8888,
            id_base: client.id_base(),
            id_mask: ID_MASK,
            limits: self.limits,
            // A viewer lays out no text: its first screen is lighter by the metrics.
            fonts: (role == Role::Application).then(|| self.fonts.clone()),
        };
        clients.numbers.insert(number, conn);
        clients.by_conn.insert(conn, client);
        Ok(welcome)
    }

    /// Removes a client and everything it owns; its windows vanish from the screen, and it
    /// stops being a viewer.
    pub(super) fn disconnect(&mut self, conn: ConnId) {
        // Whatever it still had queued dies with it.
        self.queues.remove(conn);
        let Some(client) = self.clients.by_conn.remove(&conn) else {
            return;
        };
        self.clients.numbers.remove(&client.number);
        self.clients.pixels = self.clients.pixels.saturating_sub(client.pixels);
        crate::memory::client_left();
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
        self.selections_forget(conn);
        self.detach_viewer(conn);
        // Dropping the outbox lets the connection's writer finish and close the socket.
    }
}
