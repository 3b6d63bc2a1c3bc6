//! The viewers: connections that attached to watch the screen, by connection, and how the
//! core feeds them — pixel damage after each frame, the scene's journal after each message,
//! the answers to their users' input, and flow control.
//!
//! A viewer is also a client (it passed the handshake), but its state as a viewer lives here,
//! in a map of its own: the core hands every viewer its updates in one pass over this map,
//! and sends them through the clients' outboxes.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use netui_protocol::images::SharedImages;
use netui_protocol::{
    ErrorCode, InputEvent, Rect, Request, SceneOp, ServerMessage, ViewMessage, ViewMode,
};
use netui_scene::encoding::Hint;
use netui_scene::scene::{pack_snapshot, Scene, SceneError};
use tokio::sync::mpsc;

use super::clients::Clients;
use super::Core;
use crate::peer::ConnId;
use crate::viewer::Viewer;

/// How long a viewer's input waits for the applications it went to: an update reports the
/// input once they have answered (sent their next batch of requests), or after this.
const ANSWER_WAIT: Duration = Duration::from_millis(250);

/// Every viewer's state, by connection.
#[derive(Debug, Default)]
pub(super) struct Viewers {
    by_conn: BTreeMap<ConnId, Viewer>,
    /// Where command-mode viewers' snapshots are compressed.
    pub(super) coder: SnapshotCoder,
}

/// Where the snapshots that command-mode viewers get (when they attach, switch to command
/// mode, or fall too far behind) have their images compressed: gradient-coding a screen of
/// photographs takes tens of milliseconds (`images/snapshot photographs` in the encoding
/// bench), which the core, serving every client in turn, must not spend.
#[derive(Debug, Default)]
pub(super) enum SnapshotCoder {
    /// On the core, at once: a core driven without its loop (tests, the `server` fuzz
    /// target), or one whose thread for them could not start.
    #[default]
    Here,
    /// On a thread of their own (`netui-snapshots`), one at a time, each handed back to the
    /// core's loop ([`CodedSnapshot`]), with the bytes of the raw snapshots handed over and
    /// not yet compressed. A viewer has one at most there ([`Viewer::snapshot_due`]); one
    /// that would take those bytes above [`APART_BYTES`] is taken and compressed here.
    Apart(std::sync::mpsc::Sender<RawSnapshot>, Arc<AtomicUsize>),
}

/// A viewer's snapshot with its images raw ([`Scene::raw_snapshot`]), on its way to be
/// compressed.
pub(super) struct RawSnapshot {
    conn: ConnId,
    number: u64,
    ops: Vec<SceneOp>,
    /// [`Scene::raw_snapshot_bytes`].
    bytes: usize,
}

/// Bytes of raw snapshots (three bytes a pixel of every window and pixmap) that may wait
/// for the thread that compresses them: a few screens' worth. The scene may hold far more
/// (`Limits::max_total_pixels`, 384 MB raw), and each viewer that joins takes a snapshot;
/// beyond this they are compressed on the core, which packs each strip as it copies it,
/// so that viewers joining together cannot make the server hold a raw copy of the whole
/// scene for each.
const APART_BYTES: usize = 64 << 20;

/// A viewer's snapshot, its images compressed.
#[derive(Debug)]
pub(super) struct CodedSnapshot {
    conn: ConnId,
    number: u64,
    ops: Vec<SceneOp>,
}

impl SnapshotCoder {
    /// Starts the thread that compresses snapshots through the scene's cache of coded
    /// images (`images`, [`Scene::images`]) and hands them to `done`; [`Here`] if it cannot
    /// start.
    ///
    /// [`Here`]: SnapshotCoder::Here
    pub(super) fn apart(
        images: SharedImages,
        done: mpsc::UnboundedSender<CodedSnapshot>,
    ) -> SnapshotCoder {
        let (jobs, inbox) = std::sync::mpsc::channel::<RawSnapshot>();
        let waiting = Arc::new(AtomicUsize::new(0));
        let taken = Arc::clone(&waiting);
        let started = std::thread::Builder::new()
            .name("netui-snapshots".into())
            .spawn(move || {
                // Ends when the core, which holds the sender, has stopped.
                for RawSnapshot {
                    conn,
                    number,
                    ops,
                    bytes,
                } in inbox
                {
                    let ops = pack_snapshot(ops, &images);
                    taken.fetch_sub(bytes, Ordering::Relaxed);
                    if done.send(CodedSnapshot { conn, number, ops }).is_err() {
                        break;
                    }
                }
            });
        match started {
            Ok(_) => SnapshotCoder::Apart(jobs, waiting),
            Err(e) => {
                tracing::warn!("snapshots are compressed on the core: no thread for them: {e}");
                SnapshotCoder::Here
            }
        }
    }
}

impl Viewers {
    /// The viewer on this connection, if it attached.
    pub(super) fn get(&self, conn: ConnId) -> Option<&Viewer> {
        self.by_conn.get(&conn)
    }

    /// The earliest moment a viewer's input stops waiting for its answer.
    pub(super) fn answer_deadline(&self) -> Option<Instant> {
        self.by_conn
            .values()
            .filter_map(Viewer::answer_deadline)
            .min()
    }
}

/// Messages that may wait in a viewer's outbox before it is sent more: a viewer that
/// acknowledges updates it never read (its socket full, the writer stuck) must not make the
/// server queue updates without bound, whatever its acknowledgements say.
const MAX_QUEUED: usize = 2;

/// Sends a viewer the updates that flow control allows, unless its outbox is backed up (then
/// its acknowledgement, once it has read, pumps again). A snapshot that the viewer took goes
/// to be compressed: apart, it comes back to [`Core::snapshot_coded`]; here, it goes now.
fn pump(
    conn: ConnId,
    viewer: &mut Viewer,
    scene: &Scene,
    clients: &mut Clients,
    coder: &SnapshotCoder,
) {
    let queued = clients.queued(conn);
    viewer.set_outbox(queued);
    if queued >= MAX_QUEUED {
        return;
    }
    for message in viewer.pump(scene) {
        clients.send(conn, ServerMessage::View(message));
    }
    let Some(number) = viewer.snapshot_due() else {
        return;
    };
    if let SnapshotCoder::Apart(jobs, waiting) = coder {
        let bytes = scene.raw_snapshot_bytes();
        let room = waiting.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |w| {
            (w + bytes <= APART_BYTES).then_some(w + bytes)
        });
        if room.is_ok() {
            let snapshot = RawSnapshot {
                conn,
                number,
                ops: scene.raw_snapshot(),
                bytes,
            };
            if jobs.send(snapshot).is_ok() {
                viewer.snapshot_away(number, bytes);
                return;
            }
            // The thread has stopped (it panicked): compressed here, then.
            waiting.fetch_sub(bytes, Ordering::Relaxed);
        }
    }
    viewer.snapshot_coded(number, scene.snapshot());
    for message in viewer.pump(scene) {
        clients.send(conn, ServerMessage::View(message));
    }
}

impl Viewers {
    /// [`pump`]s the viewer on `conn`, if there is one.
    fn pump(&mut self, conn: ConnId, scene: &Scene, clients: &mut Clients) {
        if let Some(viewer) = self.by_conn.get_mut(&conn) {
            pump(conn, viewer, scene, clients, &self.coder);
        }
    }

    /// [`pump`]s every viewer that `which` picks.
    fn pump_each(&mut self, scene: &Scene, clients: &mut Clients, which: fn(&Viewer) -> bool) {
        for (conn, viewer) in &mut self.by_conn {
            if which(viewer) {
                pump(*conn, viewer, scene, clients, &self.coder);
            }
        }
    }
}

impl Core {
    /// Carries out a viewer's request: attaching, its user's input, an acknowledgement.
    pub(super) fn view(&mut self, conn: ConnId, request: &Request) -> Result<(), SceneError> {
        match request {
            Request::AttachViewer { mode } => {
                self.attach_viewer(conn, *mode);
                Ok(())
            }
            Request::ViewerInput { seq, input } => self.viewer_input(conn, *seq, input),
            Request::ReportCosts { encoding } => {
                let Some(viewer) = self.viewers.by_conn.get_mut(&conn) else {
                    return Err(SceneError {
                        code: ErrorCode::Access,
                        resource: None,
                        message: "a report of costs needs AttachViewer first".into(),
                    });
                };
                viewer.report_costs(*encoding, &self.scene);
                self.update_logging();
                Ok(())
            }
            Request::AckUpdate { update } => {
                // What is journaled belongs before what this pump sends.
                self.journal_to_viewers();
                if let Some(viewer) = self.viewers.by_conn.get_mut(&conn) {
                    viewer.ack(*update);
                }
                self.viewers.pump(conn, &self.scene, &mut self.clients);
                Ok(())
            }
            _ => Err(super::not_mine(request)),
        }
    }

    /// Makes the connection a viewer in `mode`, or switches its mode; it gets the whole
    /// screen again.
    fn attach_viewer(&mut self, conn: ConnId, mode: ViewMode) {
        // Changes journaled so far belong to the state that the viewer is about to get.
        self.update_viewers_with_ops();
        let size = self.scene.size();
        if self.clients.contains(conn) {
            match self.viewers.by_conn.get_mut(&conn) {
                Some(viewer) => viewer.set_mode(mode, &self.scene),
                None => {
                    self.viewers
                        .by_conn
                        .insert(conn, Viewer::new(mode, &self.scene));
                }
            }
            tracing::info!(conn, ?mode, "viewer attached");
        }
        self.clients
            .send(conn, ServerMessage::View(ViewMessage::Start { size, mode }));
        self.update_logging();
        self.viewers.pump(conn, &self.scene, &mut self.clients);
    }

    /// Input from a viewer's user: carried out as the screen's own, and reported to the
    /// viewer with the update that shows its answer.
    fn viewer_input(
        &mut self,
        conn: ConnId,
        seq: u64,
        input: &InputEvent,
    ) -> Result<(), SceneError> {
        if !self.viewers.by_conn.contains_key(&conn) {
            return Err(SceneError {
                code: ErrorCode::Access,
                resource: None,
                message: "viewer input needs AttachViewer first".into(),
            });
        }
        // The damage from before is put aside, so that what is damaged afterwards is the
        // input's doing.
        let before = self.scene.take_damage();
        let mut apps = self.input(input.clone());
        apps.remove(&conn);
        let changed = self.pending_damage();
        // The window manager answered (moved, raised, focused): that is what the user sees,
        // whatever the applications do with their events.
        let managed = !self.scene.damage().is_empty();
        for rect in before {
            self.scene.damage_screen(rect);
        }
        // The answer's operations join the command backlogs before the input is marked seen,
        // so that the update that reports it carries them.
        self.journal_to_viewers();
        // The input may have disconnected this very connection (a second press on the close
        // button of its own window): then there is no viewer left to tell.
        if let Some(viewer) = self.viewers.by_conn.get_mut(&conn) {
            if apps.is_empty() || managed {
                viewer.input_seen(seq, &changed);
            } else {
                viewer.input_awaits(seq, apps, Instant::now() + ANSWER_WAIT);
            }
        }
        // With nothing to show for it, the answer goes now; otherwise with the next frame
        // that shows what the input did.
        if self.scene.damage().is_empty() {
            self.update_viewers_with_ops();
            self.viewers.pump(conn, &self.scene, &mut self.clients);
        }
        Ok(())
    }

    /// The damage not yet composited, clipped to the screen: what the next frame sends.
    fn pending_damage(&self) -> Vec<Rect> {
        let screen = self.scene.screen().bounds();
        let clipped = self
            .scene
            .damage()
            .rects()
            .iter()
            .map(|r| r.intersect(screen));
        clipped.filter(|r| !r.is_empty()).collect()
    }

    /// A viewer's snapshot has come back compressed ([`SnapshotCoder::Apart`]): it goes,
    /// ahead of what was drawn meanwhile.
    pub(super) fn snapshot_coded(&mut self, coded: CodedSnapshot) {
        let CodedSnapshot { conn, number, ops } = coded;
        if let Some(viewer) = self.viewers.by_conn.get_mut(&conn) {
            viewer.snapshot_coded(number, ops);
        }
        self.viewers.pump(conn, &self.scene, &mut self.clients);
    }

    /// Forgets the connection's viewer, if it had one.
    pub(super) fn detach_viewer(&mut self, conn: ConnId) {
        if self.viewers.by_conn.remove(&conn).is_some() {
            self.update_logging();
        }
    }

    /// Hands a frame's composited rectangles and hints to pixel-mode viewers (and to those
    /// that count what pixels would cost) and sends what they may take.
    pub(super) fn push_damage_to_viewers(&mut self, rects: &[Rect], hints: &[Hint]) {
        for viewer in self.viewers.by_conn.values_mut() {
            if viewer.wants_damage() {
                viewer.push_damage(rects, hints, &self.scene);
            }
        }
        let pixels = Viewer::wants_damage;
        self.viewers
            .pump_each(&self.scene, &mut self.clients, pixels);
    }

    /// Hands the scene's journaled changes to command-mode viewers and sends what they may
    /// take.
    pub(super) fn update_viewers_with_ops(&mut self) {
        self.journal_to_viewers();
        let commands = |v: &Viewer| v.mode() == ViewMode::Commands;
        self.viewers
            .pump_each(&self.scene, &mut self.clients, commands);
    }

    /// Hands the scene's journaled changes to command-mode viewers, without sending.
    fn journal_to_viewers(&mut self) {
        let ops = self.scene.take_ops();
        if ops.is_empty() {
            return;
        }
        for viewer in self.viewers.by_conn.values_mut() {
            viewer.push_ops(&ops, &self.scene);
        }
    }

    /// Settles the viewers' inputs that waited for `app` to answer (it has: its batch is
    /// carried out) or, with `None`, for too long; sends the answers that are due.
    pub(super) fn settle_inputs(&mut self, app: Option<ConnId>) {
        // What the applications answered joins the command backlogs first, so that the
        // update that reports an input carries its answer.
        self.journal_to_viewers();
        let now = Instant::now();
        let mut settled = false;
        // What the applications drew for the input is in the damage (with what else waits).
        let changed = self.pending_damage();
        for viewer in self.viewers.by_conn.values_mut() {
            if viewer.answer_deadline().is_some() {
                viewer.answered(app, now, &changed);
                settled |= viewer.answer_deadline().is_none();
            }
        }
        // With damage pending, the answers go with the next frame, which shows them.
        if !settled || !self.scene.damage().is_empty() {
            return;
        }
        // Every viewer is pumped: a settled one reports its input (with an empty update if
        // need be), and for the others a pump sends only what was due anyway.
        self.viewers
            .pump_each(&self.scene, &mut self.clients, |_| true);
    }

    /// Tells the scene what to keep for the viewers attached now: a journal for command-mode
    /// viewers, hints (copies and drawings) for pixel-mode ones, and both for viewers that
    /// count what each mode costs.
    pub(super) fn update_logging(&mut self) {
        let viewers = || self.viewers.by_conn.values();
        let commands = viewers().any(Viewer::wants_ops);
        let pixels = viewers().any(Viewer::wants_damage);
        self.scene.set_logging(commands, pixels);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Headless;
    use crate::core::{CoreMsg, Incoming, Outbox, OutboxReceiver};
    use crate::peer::{Access, Peer};
    use netui_protocol::{Color, Limits, ResourceId, Role, Size};

    /// A core with a window of noise and a client on connection 1 that may watch.
    fn core_with_a_window() -> (Core, OutboxReceiver) {
        let size = Size::new(320, 240);
        let backend = Box::new(Headless::default());
        let mut core = Core::new(size, Limits::default(), ":t".into(), backend);
        let (outbox, receiver) = Outbox::channel();
        let (respond, mut answer) = tokio::sync::oneshot::channel();
        core.handle(CoreMsg::Hello {
            conn: 1,
            name: "viewer".into(),
            peer: Peer::Unix,
            access: Access::Owner,
            role: Role::Application,
            outbox,
            respond,
        });
        let base = answer
            .try_recv()
            .expect("answered")
            .expect("welcome")
            .id_base;
        let id = ResourceId(base | 1);
        let mut seed = 7u32;
        let noise = (0..200 * 150 * 3)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (seed >> 16) as u8
            })
            .collect();
        request(
            &mut core,
            vec![
                Request::CreateWindow {
                    id,
                    rect: Rect::new(10, 10, 200, 150),
                    title: "noise".into(),
                    background: Color::BLACK,
                },
                Request::MapWindow { id },
                Request::PutImage {
                    target: id,
                    rect: Rect::new(0, 0, 200, 150),
                    format: netui_protocol::ImageFormat::Rgb8,
                    data: noise,
                },
            ],
        );
        (core, receiver)
    }

    fn request(core: &mut Core, requests: Vec<Request>) {
        let items = requests
            .into_iter()
            .enumerate()
            .map(|(i, r)| Incoming::new(i as u32 + 1, Some(r.kind() as u32), Ok(r)))
            .collect();
        core.handle(CoreMsg::Batch {
            conn: 1,
            items,
            permit: None,
        });
        core.serve_queued();
    }

    /// The scene operations sent to the viewer so far, acknowledging each update.
    fn ops_sent(core: &mut Core, outbox: &mut OutboxReceiver) -> Vec<SceneOp> {
        let mut ops = Vec::new();
        loop {
            let mut last = None;
            while let Some(message) = outbox.try_recv() {
                match message {
                    ServerMessage::View(ViewMessage::ScenePart { ops: part }) => ops.extend(part),
                    ServerMessage::View(ViewMessage::Scene {
                        ops: part, update, ..
                    }) => {
                        ops.extend(part);
                        last = Some(update);
                    }
                    _ => {}
                }
            }
            let Some(update) = last else { return ops };
            request(core, vec![Request::AckUpdate { update }]);
        }
    }

    /// The viewer's copy of the scene, rebuilt from what it was sent, equals the server's.
    fn assert_rebuilt(core: &mut Core, ops: &[SceneOp]) {
        let mut copy = Scene::new(Size::new(1, 1), Limits::default());
        for op in ops {
            copy.replay(op).expect("replays");
        }
        copy.composite();
        core.present();
        assert!(copy.screen() == core.scene().screen());
    }

    /// With a thread for them, a command-mode viewer's snapshot goes there raw and nothing is
    /// sent until it comes back; when more than [`APART_BYTES`] of raw snapshots wait for
    /// the thread, the core compresses it at once instead. Either way the viewer gets the
    /// scene.
    #[test]
    fn a_snapshot_is_compressed_apart_unless_too_much_waits_there() {
        let (mut core, mut outbox) = core_with_a_window();
        // (A viewer whose outbox is backed up is not pumped.)
        while outbox.try_recv().is_some() {}
        let (jobs, inbox) = std::sync::mpsc::channel();
        let waiting = Arc::new(AtomicUsize::new(0));
        core.viewers.coder = SnapshotCoder::Apart(jobs, Arc::clone(&waiting));
        let attach = Request::AttachViewer {
            mode: ViewMode::Commands,
        };
        request(&mut core, vec![attach.clone()]);
        let raw = inbox.try_recv().expect("a snapshot handed to the thread");
        assert_eq!(raw.bytes, 3 * 200 * 150);
        assert_eq!(waiting.load(Ordering::Relaxed), raw.bytes);
        assert!(
            ops_sent(&mut core, &mut outbox).is_empty(),
            "nothing before it"
        );
        // Back from the thread, as the thread gives it.
        waiting.fetch_sub(raw.bytes, Ordering::Relaxed);
        let ops = pack_snapshot(raw.ops, &core.scene().images());
        core.snapshot_coded(CodedSnapshot {
            conn: 1,
            number: raw.number,
            ops,
        });
        let sent = ops_sent(&mut core, &mut outbox);
        assert!(!sent.is_empty());
        assert_rebuilt(&mut core, &sent);
        // The thread has its fill: the next snapshot (attached again) is taken here.
        waiting.store(APART_BYTES, Ordering::Relaxed);
        request(&mut core, vec![attach]);
        assert!(inbox.try_recv().is_err(), "nothing handed to the thread");
        let sent = ops_sent(&mut core, &mut outbox);
        assert!(!sent.is_empty());
        assert_rebuilt(&mut core, &sent);
    }
}
