//! Viewers: the server's side of a thin client — what each one has been sent, and flow
//! control.
//!
//! A viewer has unacknowledged updates only up to its link's window ([`Flow`]), and an update
//! carries at most about what the window has room for, so that what comes next (the answer
//! to an input) never waits behind more than about one round trip of drawing. In pixel mode
//! the answer also goes first: the cells of the screen that an input changed are encoded
//! before the rest of the damage (see [`PixelEncoder::encode_within`]).
//! Meanwhile, changes wait, merged: in pixel mode as damage (a few rectangles, however much
//! was drawn), in command mode as a backlog of scene operations (`viewer/backlog.rs`) from which drawing that
//! later drawing covers is dropped, and which, past [`MAX_PENDING`] bytes, is dropped for a
//! snapshot of the current scene. So a viewer on a slow link costs bounded memory, and when
//! the link frees up it gets the newest state, not a history of frames.
//!
//! A viewer may ask what each mode costs (`viewer/cost.rs`): it then gets a report about
//! twice a second, in either mode, of the bytes of both.

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use netui_protocol::{
    EncodedRect, PixelEncoding, Point, Rect, RectEncoding, SceneOp, Size, ViewMessage, ViewMode,
};

use crate::flow::Flow;
use crate::peer::ConnId;
use backlog::{op_bytes, Backlog};
use cost::Costs;
use netui_scene::damage::Damage;
use netui_scene::encoding::{Budget, Hint, PixelEncoder, RECT_OVERHEAD};
use netui_scene::scene::Scene;

/// Bytes of scene operations that may wait for a command-mode viewer before they are dropped
/// in favour of a snapshot.
pub const MAX_PENDING: usize = 8 << 20;
/// Bytes of encoded data per update message (messages must fit in frames).
const MESSAGE_BYTES: usize = 4 << 20;
/// Command mode: a change of this many bytes or more (an image) goes in a message of its own
/// (`ViewMessage::ScenePart`), which the connection's cache of messages sends as a reference
/// when the same change comes again. Each message costs a few bytes more, so small changes
/// stay together.
const ALONE_BYTES: usize = 1024;
/// Pixels per rectangle handed to the encoder, so that no encoded rectangle outgrows a message.
const MAX_RECT_PIXELS: u64 = (MESSAGE_BYTES / 4) as u64;
/// Hints (copies and drawings) that wait for a pixel-mode viewer; more are dropped (they only
/// save bytes: the damage has their pixels).
const MAX_HINTS: usize = 256;
/// Sizes of the newest updates kept, to tell how many bytes the outbox may hold.
const RECENT_UPDATES: usize = 8;

mod backlog;
mod cost;

/// A snapshot due or being compressed.
#[derive(Debug, Clone, Copy)]
struct Coding {
    /// Its number for this viewer ([`Viewer::snapshot_due`]).
    number: u64,
    /// Whether it has been taken ([`Viewer::snapshot_away`]): due until then.
    taken: bool,
    /// The bytes of its operations raw, once taken: more than it will take, counted as
    /// waiting.
    bytes: usize,
    /// The number of the backlog's newest operation when it was taken: everything up to it
    /// is in the snapshot.
    pushed: u64,
    /// It is still the one to send.
    wanted: bool,
}

/// An input whose events went to applications that have not answered them yet.
#[derive(Debug)]
struct Awaiting {
    seq: u64,
    apps: BTreeSet<ConnId>,
    deadline: Instant,
}

/// One viewer's state.
#[derive(Debug)]
pub struct Viewer {
    mode: ViewMode,
    /// The number the next update gets (updates count from 1).
    next_update: u64,
    /// The newest input the viewer sent whose answer is in the scene: the window manager's
    /// at once, an application's once it has answered the events the input caused.
    input: Option<u64>,
    /// The newest input whose events went to applications that have not answered yet.
    awaiting: Option<Awaiting>,
    /// CPU time spent encoding this viewer's pixel updates.
    encode_time: Duration,
    /// The newest input that an update has reported.
    reported: Option<u64>,
    /// Command mode: inputs whose answer is in the scene, with the number of the newest
    /// operation in the backlog then; an update reports them once that operation has gone.
    answers: Vec<(u64, u64)>,
    /// Sizes of the updates sent and not yet acknowledged, by number.
    flow: Flow,
    /// Sizes of the newest updates sent, newest last.
    recent: VecDeque<usize>,
    /// Messages waiting in the connection's outbox at the last pump.
    outbox: usize,
    /// Command mode: operations not yet sent, and whether a snapshot must go first.
    backlog: Backlog,
    resync: bool,
    /// The snapshot due or being compressed. While it is wanted, nothing is sent until it
    /// comes ([`Viewer::snapshot_coded`]), and the operations meanwhile wait behind it; one
    /// being compressed that is given up (a switch of mode, a backlog that outgrew
    /// [`MAX_PENDING`]) is still waited for before another is taken, so that a viewer has
    /// one at most being compressed.
    coding: Option<Coding>,
    /// Snapshots taken, to tell the one that comes back from any given up since.
    snapshots: u64,
    /// Pixel mode: the encoder, and the damage and hints not yet sent.
    encoder: Option<PixelEncoder>,
    damage: Damage,
    hints: Vec<Hint>,
    /// Pixel mode: the newest input whose answer is in the scene but not yet composited,
    /// with the screen areas that the answers since the last frame changed.
    unshown: Option<(u64, Damage)>,
    /// Pixel mode: the newest input whose answer is composited but not yet all sent, and the
    /// areas that go first until it is.
    answer: Option<(u64, Damage)>,
    /// Pixel mode: the cells of damage that updates left for later (see
    /// [`PixelEncoder::encode_within`]), kept apart from `damage`, whose merging would grow
    /// them into boxes over what was sent.
    rest: Vec<Rect>,
    /// Pixel mode: a point in the cell from which the rest goes after the answer.
    from: Point,
    /// What each mode costs, if the viewer asked.
    costs: Option<Costs>,
    /// The screen's size as the viewer last heard it, from the start of its mode
    /// ([`ViewMessage::Start`], which the core sends with each switch) or an update.
    told_size: Size,
}

impl Viewer {
    /// A viewer in `mode` of a screen like `scene`'s; the first update will carry everything.
    pub fn new(mode: ViewMode, scene: &Scene) -> Viewer {
        let mut viewer = Viewer {
            mode,
            next_update: 1,
            input: None,
            awaiting: None,
            encode_time: Duration::ZERO,
            reported: None,
            answers: Vec::new(),
            flow: Flow::default(),
            recent: VecDeque::new(),
            outbox: 0,
            backlog: Backlog::default(),
            resync: false,
            coding: None,
            snapshots: 0,
            encoder: None,
            damage: Damage::default(),
            hints: Vec::new(),
            unshown: None,
            answer: None,
            rest: Vec::new(),
            from: Point::default(),
            costs: None,
            told_size: scene.size(),
        };
        viewer.set_mode(mode, scene);
        viewer
    }

    /// Switches mode; the next update carries the whole screen again.
    pub fn set_mode(&mut self, mode: ViewMode, scene: &Scene) {
        self.mode = mode;
        self.told_size = scene.size();
        self.backlog.clear();
        self.give_up_snapshot();
        // The whole screen goes again: it shows every answer so far.
        let commands = std::mem::take(&mut self.answers)
            .into_iter()
            .map(|(seq, _)| seq);
        let unshown = self.unshown.take().map(|(seq, _)| seq);
        let answer = self.answer.take().map(|(seq, _)| seq);
        for seq in commands.chain(unshown).chain(answer) {
            self.answered_up_to(seq);
        }
        self.hints.clear();
        self.damage = Damage::default();
        self.rest.clear();
        if let Some(costs) = &mut self.costs {
            costs.switched();
            if mode == ViewMode::Commands {
                // What a switch back to pixels would cost: a whole screen, now.
                costs.frame(scene.screen(), &[], &[]);
            }
        }
        match mode {
            ViewMode::Commands => {
                self.encoder = None;
                self.resync = true;
            }
            ViewMode::Pixels(encoding) => {
                self.resync = false;
                self.encoder = Some(PixelEncoder::new(encoding, scene.size()));
                self.damage.add(Rect::from_size(scene.size()));
            }
        }
    }

    /// The mode.
    pub fn mode(&self) -> ViewMode {
        self.mode
    }

    /// Starts reporting what each mode costs, pixels in `encoding`, or stops with `None`.
    /// `scene` is the server's: in command mode the estimate of pixels starts with a whole
    /// screen of it, which is what a switch to pixels would cost.
    pub fn report_costs(&mut self, encoding: Option<PixelEncoding>, scene: &Scene) {
        match (encoding, &self.costs) {
            (None, _) => self.costs = None,
            (Some(e), Some(costs)) if costs.encoding() == e => {}
            (Some(e), _) => {
                let mut costs = Costs::new(e);
                if self.mode == ViewMode::Commands {
                    costs.frame(scene.screen(), &[], &[]);
                }
                self.costs = Some(costs);
            }
        }
    }

    /// Whether the viewer wants the scene's changes (command mode, or a report of costs).
    pub fn wants_ops(&self) -> bool {
        self.mode == ViewMode::Commands || self.costs.is_some()
    }

    /// Whether the viewer wants each frame's damage (pixel mode, or a report of costs).
    pub fn wants_damage(&self) -> bool {
        matches!(self.mode, ViewMode::Pixels(_)) || self.costs.is_some()
    }

    /// The answer to the viewer's input number `seq` is in the scene (and, in command mode,
    /// its operations have been handed over with [`Viewer::push_ops`]), where it changed the
    /// screen areas `changed` (not composited yet): the first update that shows it reports it.
    /// In pixel mode those areas go before the rest of the damage.
    pub fn input_seen(&mut self, seq: u64, changed: &[Rect]) {
        match self.mode {
            ViewMode::Commands if !self.backlog.is_empty() || self.snapshot_wanted() => {
                self.answers.push((seq, self.backlog.pushed()));
            }
            // Behind other answers, it is shown with them.
            ViewMode::Pixels(_) if !changed.is_empty() || self.unshown.is_some() => {
                join(&mut self.unshown, seq, changed);
            }
            ViewMode::Commands | ViewMode::Pixels(_) => self.answered_up_to(seq),
        }
    }

    /// The next update reports the inputs up to `seq` as answered.
    fn answered_up_to(&mut self, seq: u64) {
        self.input = Some(self.input.map_or(seq, |s| s.max(seq)));
    }

    /// Command mode: the inputs whose answers have left the backlog become reportable.
    fn settle_answers(&mut self) {
        if self.snapshot_wanted() {
            // The snapshot, which goes first, has not come back.
            return;
        }
        let backlog = &self.backlog;
        let mut input = self.input;
        self.answers.retain(|&(seq, need)| {
            let gone = backlog.sent_up_to(need);
            if gone {
                input = Some(input.map_or(seq, |s| s.max(seq)));
            }
            !gone
        });
        self.input = input;
    }

    /// The viewer's input number `seq` went as events to the applications `apps` (and the
    /// window manager changed nothing): its answer is in the scene once each of them has sent
    /// a batch of requests after it, or at `deadline` (an application that draws nothing for
    /// an event). Inputs that come while one waits join it.
    pub fn input_awaits(&mut self, seq: u64, apps: BTreeSet<ConnId>, deadline: Instant) {
        match &mut self.awaiting {
            // The first input's deadline stands: an application that never answers pointer
            // motion must not hold back the reports while the pointer keeps moving.
            Some(a) => {
                a.seq = a.seq.max(seq);
                a.apps.extend(apps);
            }
            None => {
                self.awaiting = Some(Awaiting {
                    seq,
                    apps,
                    deadline,
                })
            }
        }
    }

    /// Application `app` has answered (its batch of requests is carried out), or `app` is
    /// `None` and the clock says `now`: settles the awaited input if it is answered. The
    /// screen areas `changed` wait for compositing: they hold what the applications drew.
    pub fn answered(&mut self, app: Option<ConnId>, now: Instant, changed: &[Rect]) {
        let Some(a) = &mut self.awaiting else { return };
        if let Some(app) = app {
            a.apps.remove(&app);
        }
        if a.apps.is_empty() || now >= a.deadline {
            let seq = a.seq;
            self.awaiting = None;
            self.input_seen(seq, changed);
        }
    }

    /// When the awaited input stops waiting, if one does.
    pub fn answer_deadline(&self) -> Option<Instant> {
        self.awaiting.as_ref().map(|a| a.deadline)
    }

    /// CPU time spent encoding pixel updates for this viewer, its estimates of pixel mode's
    /// cost included.
    pub fn encode_time(&self) -> Duration {
        self.encode_time
            + self
                .costs
                .as_ref()
                .map_or(Duration::ZERO, |c| c.encode_time)
    }

    /// The viewer applied update `update` (and every one before it). An acknowledgement of
    /// an update not sent yet counts only for those sent.
    pub fn ack(&mut self, update: u64) {
        let update = update.min(self.next_update - 1);
        self.flow.ack(update, Instant::now());
    }

    /// The memory this viewer holds in the server: updates sent and not yet acknowledged,
    /// command-mode changes waiting (pixel-mode damage is a few rectangles), its snapshot
    /// being compressed, and the updates
    /// still in the connection's outbox (acknowledged or not: a viewer may lie).
    pub fn backlog(&self) -> u64 {
        let outbox: usize = self.recent.iter().rev().take(self.outbox).sum();
        let coding = self.coding.map_or(0, |c| c.bytes);
        (self.flow.unacked_bytes() + self.backlog.bytes() + coding + outbox) as u64
    }

    /// Command mode: the bytes of operations waiting to be sent, a snapshot being
    /// compressed to be sent counted raw.
    fn waiting(&self) -> usize {
        let snapshot = self.coding.filter(|c| c.wanted).map_or(0, |c| c.bytes);
        self.backlog.bytes() + snapshot
    }

    /// How many messages wait in the viewer's outbox (the core tells before each pump): they
    /// count in [`Viewer::backlog`].
    pub fn set_outbox(&mut self, messages: usize) {
        self.outbox = messages;
    }

    /// Command mode: changes to send. `scene` is the server's, which has carried them out.
    pub fn push_ops(&mut self, ops: &[SceneOp], scene: &Scene) {
        if let Some(costs) = &mut self.costs {
            costs.ops(ops);
        }
        if self.mode != ViewMode::Commands || self.resync || ops.is_empty() {
            return;
        }
        let opaque = |id| scene.window(id).is_some_and(|w| w.background.a == 255);
        for op in ops {
            self.backlog.push(op.clone(), opaque);
        }
        if self.backlog.bytes() > MAX_PENDING {
            // Too far behind: forget the backlog, send the current state when the link frees.
            tracing::debug!(
                "viewer behind by {} bytes of commands: will resynchronize",
                self.backlog.bytes()
            );
            self.backlog.clear();
            self.give_up_snapshot();
            self.resync = true;
        }
    }

    /// Forgets the snapshot due or being compressed, if any: it will not be sent.
    fn give_up_snapshot(&mut self) {
        match &mut self.coding {
            Some(coding) if coding.taken => coding.wanted = false,
            // Not taken yet: forgotten at once (the next pump asks for another).
            _ => self.coding = None,
        }
    }

    /// A snapshot is being compressed to be sent: everything else waits for it.
    fn snapshot_wanted(&self) -> bool {
        self.coding.is_some_and(|c| c.wanted)
    }

    /// Command mode: the number of the snapshot of the scene that the last pump wants
    /// taken now: [`Scene::snapshot`] given back at once with [`Viewer::snapshot_coded`],
    /// or [`Scene::raw_snapshot`] handed to be compressed elsewhere
    /// ([`Viewer::snapshot_away`]) and given back later. Nothing is sent to the viewer until
    /// then; the scene's changes meanwhile wait behind it.
    pub fn snapshot_due(&self) -> Option<u64> {
        self.coding.filter(|c| !c.taken).map(|c| c.number)
    }

    /// Snapshot number `number` was taken raw, `bytes` of operations, and is being
    /// compressed elsewhere.
    pub fn snapshot_away(&mut self, number: u64, bytes: usize) {
        if let Some(coding) = self.coding.as_mut().filter(|c| c.number == number) {
            coding.taken = true;
            coding.bytes = bytes;
        }
    }

    /// Snapshot number `number`, compressed, goes ahead of the operations that waited for
    /// it. One given up since (a switch of mode, a backlog that outgrew [`MAX_PENDING`]
    /// meanwhile) is dropped, and the next pump may take another.
    pub fn snapshot_coded(&mut self, number: u64, ops: Vec<SceneOp>) {
        let Some(coding) = self.coding.filter(|c| c.number == number) else {
            return;
        };
        self.coding = None;
        if coding.wanted {
            self.backlog.put_first(ops, coding.pushed);
        }
    }

    /// Screen areas composited since the last update, and hints: pixel mode sends them;
    /// command mode only counts what they would cost, if the viewer asked.
    pub fn push_damage(&mut self, rects: &[Rect], hints: &[Hint], scene: &Scene) {
        if self.encoder.is_none() {
            if let Some(costs) = &mut self.costs {
                costs.frame(scene.screen(), rects, hints);
            }
            return;
        }
        for r in rects {
            self.damage.add(*r);
        }
        for hint in hints {
            match hint {
                Hint::Copy(dst, src) => self.push_copy(*dst, *src),
                // Past a few hundred, the damage alone does.
                Hint::Draw(_) if self.hints.len() < MAX_HINTS => self.hints.push(hint.clone()),
                Hint::Draw(_) => {}
            }
        }
        // The answers waiting are composited now: their areas go first until sent.
        if let Some((seq, changed)) = self.unshown.take() {
            join(&mut self.answer, seq, changed.rects());
        }
    }

    /// Adds a copy hint. One that moves on what the copy before it put in place (a window
    /// dragged across several frames) joins it: one copy from where the content first was.
    /// The first copy's destination is damaged then, since the other no longer fills it.
    fn push_copy(&mut self, dst: Rect, src: Point) {
        if let Some(Hint::Copy(last_dst, last_src)) = self.hints.last_mut() {
            let from = Rect::new(src.x, src.y, dst.width, dst.height);
            let along = |last_src: i32, src: i32, last_dst: i32| {
                i32::try_from(i64::from(last_src) + i64::from(src) - i64::from(last_dst)).ok()
            };
            let joined =
                along(last_src.x, src.x, last_dst.x).zip(along(last_src.y, src.y, last_dst.y));
            if let Some((x, y)) = joined.filter(|_| last_dst.contains_rect(from)) {
                self.damage.add(*last_dst);
                (*last_dst, *last_src) = (dst, Point::new(x, y));
                return;
            }
        }
        // Past a few hundred, the damage alone does.
        if self.hints.len() < MAX_HINTS {
            self.hints.push(Hint::Copy(dst, src));
        }
    }

    /// The updates to send now: none while the link's window is full. When there is
    /// nothing to send but answered input that no update has reported yet, an empty update
    /// reports it, so that input which changes nothing still gets its answer. It repeats the
    /// number of the last update, so it goes even while that one is unacknowledged and never
    /// holds back the next one.
    pub fn pump(&mut self, scene: &Scene) -> Vec<ViewMessage> {
        let mut messages = self.pump_updates(scene);
        // A report of costs, when one is due, follows the updates it counts.
        let waiting = self.waiting() as u64;
        let rate = self.flow.rate();
        if let Some(costs) = self.costs.as_mut().and_then(|c| c.report(waiting, rate)) {
            messages.push(ViewMessage::Costs(costs));
        }
        messages
    }

    /// The updates of [`Viewer::pump`].
    fn pump_updates(&mut self, scene: &Scene) -> Vec<ViewMessage> {
        self.settle_answers();
        let mut messages = Vec::new();
        // An answer in an encoding that sends moves as copies is a small update of its own:
        // it is urgent (see `Flow::may_send_urgent`). In the others a moved window's answer
        // is all its pixels, which would crowd the link.
        let urgent = |v: &Self| {
            v.answer.is_some() && v.encoder.as_ref().is_some_and(PixelEncoder::sends_copies)
        };
        while self.flow.may_send() || (urgent(self) && self.flow.may_send_urgent()) {
            let more = if self.flow.probe_due() && !self.nothing_waits() {
                // The link's delay, measured before what waits goes (see `Flow`).
                let update = self.number();
                vec![self.empty_update(update, scene)]
            } else {
                match self.mode {
                    ViewMode::Commands => self.pump_commands(),
                    ViewMode::Pixels(_) => self.pump_pixels(scene),
                }
            };
            if more.is_empty() {
                break;
            }
            self.account(&more);
            messages.extend(more);
        }
        if messages.is_empty() && self.nothing_waits() && self.input != self.reported {
            self.reported = self.input;
            return vec![self.empty_update(self.next_update - 1, scene)];
        }
        if let Some(ViewMessage::Scene { input, .. } | ViewMessage::Pixels { input, .. }) =
            messages.last()
        {
            self.reported = *input;
        }
        messages
    }

    /// Whether no change waits to be sent.
    fn nothing_waits(&self) -> bool {
        self.backlog.is_empty()
            && !self.resync
            && !self.snapshot_wanted()
            && self.damage.is_empty()
            && self.rest.is_empty()
            && self.answer.is_none()
    }

    /// The screen's size for the next pixel update: `None` when the viewer knows it.
    fn tell_size(&mut self, scene: &Scene) -> Option<Size> {
        let size = scene.size();
        (std::mem::replace(&mut self.told_size, size) != size).then_some(size)
    }

    /// An update numbered `update` that changes nothing and reports the input answered.
    fn empty_update(&mut self, update: u64, scene: &Scene) -> ViewMessage {
        match self.mode {
            ViewMode::Commands => ViewMessage::Scene {
                update,
                input: self.input,
                ops: Vec::new(),
            },
            ViewMode::Pixels(_) => ViewMessage::Pixels {
                update,
                input: self.input,
                size: self.tell_size(scene),
                rects: Vec::new(),
            },
        }
    }

    /// Books updates that leave now with the flow control.
    fn account(&mut self, messages: &[ViewMessage]) {
        let now = Instant::now();
        let ops_bytes = |ops: &[SceneOp]| ops.iter().map(op_bytes).sum::<usize>();
        // The parts of a command-mode update count with it.
        let mut parts = 0;
        for m in messages {
            let (update, bytes) = match m {
                ViewMessage::ScenePart { ops } => {
                    parts += ops_bytes(ops);
                    continue;
                }
                ViewMessage::Scene { update, ops, .. } => {
                    (*update, std::mem::take(&mut parts) + ops_bytes(ops))
                }
                ViewMessage::Pixels { update, rects, .. } => {
                    let bytes = rects.iter().map(|r| r.data.len() + RECT_OVERHEAD).sum();
                    if let Some(costs) = &mut self.costs {
                        costs.sent_pixels(bytes);
                    }
                    (*update, bytes)
                }
                ViewMessage::Start { .. } | ViewMessage::Costs(_) => continue,
            };
            self.flow.sent(update, bytes, now);
            self.recent.push_back(bytes);
            if self.recent.len() > RECENT_UPDATES {
                self.recent.pop_front();
            }
        }
    }

    fn number(&mut self) -> u64 {
        self.next_update += 1;
        self.next_update - 1
    }

    /// One update of the oldest waiting operations, as many as the window has room for (at
    /// least one): the rest keep waiting, where later drawing may still cover them.
    fn pump_commands(&mut self) -> Vec<ViewMessage> {
        if self.coding.is_some() {
            // The snapshot to send, or one given up that must come back before another.
            return Vec::new();
        }
        if self.resync {
            self.resync = false;
            self.backlog.clear();
            // The snapshot shows every answer so far.
            let pushed = self.backlog.pushed();
            for answer in &mut self.answers {
                answer.1 = pushed;
            }
            self.snapshots += 1;
            self.coding = Some(Coding {
                number: self.snapshots,
                taken: false,
                bytes: 0,
                pushed,
                wanted: true,
            });
        }
        if self.backlog.is_empty() {
            return Vec::new();
        }
        let room = self.flow.room().min(MESSAGE_BYTES);
        let ops = self.backlog.take(room);
        self.settle_answers();
        // Large changes go ahead alone, so that the connection's cache finds them again.
        let mut messages = Vec::new();
        let mut run = Vec::new();
        for op in ops {
            if op_bytes(&op) < ALONE_BYTES {
                run.push(op);
                continue;
            }
            if !run.is_empty() {
                let ops = std::mem::take(&mut run);
                messages.push(ViewMessage::ScenePart { ops });
            }
            messages.push(ViewMessage::ScenePart { ops: vec![op] });
        }
        messages.push(ViewMessage::Scene {
            update: self.number(),
            input: self.input,
            ops: run,
        });
        messages
    }

    /// One update of the damage, as much as the window has room for (at least a cell): the
    /// answer to the viewer's input alone, else the rest from where the last update stopped.
    /// What does not fit stays as damage, where later drawing only makes it newer.
    fn pump_pixels(&mut self, scene: &Scene) -> Vec<ViewMessage> {
        let Some(encoder) = &mut self.encoder else {
            return Vec::new();
        };
        if self.damage.is_empty() && self.rest.is_empty() {
            if let Some((seq, _)) = self.answer.take() {
                self.answered_up_to(seq);
            }
            return Vec::new();
        }
        // Damage is added right after each composite, so the screen holds those areas as
        // composited then or later: encoding them now sends the newest pixels.
        let mut damage = std::mem::take(&mut self.rest);
        damage.extend(self.damage.take().into_iter().flat_map(split));
        let hints = std::mem::take(&mut self.hints);
        let copies_too = encoder.sends_copies();
        let budget = Budget {
            // An answer goes in an update of its own, which the viewer shows on arrival
            // rather than after the rest of the damage.
            bytes: match self.answer {
                Some(_) => 0,
                None => self.flow.room().min(MESSAGE_BYTES),
            },
            first: match &self.answer {
                // In an encoding that sends moves as copies, a copy shows what it put in
                // place: the answer is the rest (what a move uncovered, what the input drew),
                // and newer drawing where the copy went follows it.
                Some((_, areas)) if copies_too => uncopied(areas.rects(), &hints),
                Some((_, areas)) => areas.rects().to_vec(),
                None => Vec::new(),
            },
            from: self.from,
        };
        let started = Instant::now();
        let (rects, rest) = encoder.encode_within(scene.screen(), &damage, &hints, &budget);
        self.encode_time += started.elapsed();
        // The answer is sent once none of the damage that meets it is left.
        if !rest.iter().any(|r| budget.meets_first(r)) {
            if let Some((seq, _)) = self.answer.take() {
                self.answered_up_to(seq);
            }
        }
        if let Some(next) = rest.iter().find(|r| !budget.meets_first(r)) {
            self.from = Point::new(next.x, next.y);
        }
        if copies_too {
            self.rest = rest;
        } else {
            for r in rest {
                self.damage.add(r);
            }
        }
        let mut size = self.tell_size(scene);
        let mut messages = Vec::new();
        let mut batch = Vec::new();
        let mut bytes = 0;
        for rect in rects.into_iter().flat_map(split_encoded) {
            if bytes + rect.data.len() > MESSAGE_BYTES && !batch.is_empty() {
                messages.push(std::mem::take(&mut batch));
                bytes = 0;
            }
            bytes += rect.data.len();
            batch.push(rect);
        }
        messages.push(batch);
        messages
            .into_iter()
            .map(|rects| ViewMessage::Pixels {
                update: self.number(),
                input: self.input,
                size: size.take(),
                rects,
            })
            .collect()
    }
}

/// Adds the answer to input `seq`, which changed the areas `changed`, to `answers` (the
/// newest input answered, and the areas of all).
fn join(answers: &mut Option<(u64, Damage)>, seq: u64, changed: &[Rect]) {
    let (newest, areas) = answers.get_or_insert_with(|| (seq, Damage::default()));
    *newest = (*newest).max(seq);
    for &rect in changed {
        areas.add(rect);
    }
}

/// The parts of `areas` outside the destinations of the copies of `hints`.
fn uncopied(areas: &[Rect], hints: &[Hint]) -> Vec<Rect> {
    let copies = hints.iter().filter_map(Hint::copy);
    copies.fold(areas.to_vec(), |areas, (dst, _)| {
        areas.into_iter().flat_map(|r| r.minus(dst)).collect()
    })
}

/// Splits a tall rectangle into strips small enough for one message.
fn split(rect: Rect) -> Vec<Rect> {
    if rect.size().area() <= MAX_RECT_PIXELS || rect.width == 0 {
        return vec![rect];
    }
    let rows = (MAX_RECT_PIXELS / u64::from(rect.width)).max(1) as u32;
    (0..rect.height)
        .step_by(rows as usize)
        .map(|y| {
            Rect::new(
                rect.x,
                rect.y + y as i32,
                rect.width,
                rows.min(rect.height - y),
            )
        })
        .collect()
}

/// Splits a raw rectangle (a whole `px-raw` frame) into strips of rows that fit a message.
fn split_encoded(rect: EncodedRect) -> Vec<EncodedRect> {
    if rect.kind != RectEncoding::Raw || rect.data.len() <= MESSAGE_BYTES {
        return vec![rect];
    }
    let row = rect.rect.width as usize * 4;
    let rows = (MESSAGE_BYTES / row.max(1)).max(1);
    rect.data
        .chunks(row * rows)
        .enumerate()
        .map(|(i, data)| EncodedRect {
            rect: Rect::new(
                rect.rect.x,
                rect.rect.y + (i * rows) as i32,
                rect.rect.width,
                (data.len() / row.max(1)) as u32,
            ),
            kind: RectEncoding::Raw,
            data: data.to_vec(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use netui_protocol::{Color, Limits, Request, ResourceId, SceneOp, Size, WindowKind};
    use netui_scene::scene::pack_snapshot;

    #[test]
    fn a_window_dragged_across_frames_is_one_copy() {
        let scene = Scene::new(Size::new(640, 480), Limits::default());
        let mut viewer = Viewer::new(ViewMode::Pixels(PixelEncoding::Tiles), &scene);
        let window = |x| Rect::new(x, 100, 200, 150);
        // Three frames, each moving the window 2 pixels right.
        for x in [102, 104, 106] {
            let copy = Hint::Copy(window(x), Point::new(x - 2, 100));
            viewer.push_damage(&[window(x - 2).union(window(x))], &[copy], &scene);
        }
        assert_eq!(
            viewer.hints,
            [Hint::Copy(window(106), Point::new(100, 100))]
        );
        // A copy elsewhere stays a copy of its own.
        let other = Rect::new(400, 0, 50, 50);
        let copy = Hint::Copy(other, Point::new(400, 10));
        viewer.push_damage(&[other], &[copy], &scene);
        assert_eq!(viewer.hints.len(), 2);
    }

    /// The sizes that the pixel updates in `messages` give.
    fn sizes(messages: &[ViewMessage]) -> Vec<Option<Size>> {
        let size = |m: &ViewMessage| match m {
            ViewMessage::Pixels { size, .. } => Some(*size),
            _ => None,
        };
        messages.iter().filter_map(size).collect()
    }

    #[test]
    fn a_pixel_update_gives_the_screen_size_only_when_the_viewer_has_not_heard_it() {
        let mut scene = Scene::new(Size::new(640, 480), Limits::default());
        let mut viewer = Viewer::new(ViewMode::Pixels(PixelEncoding::Tiles), &scene);
        // The start of the mode told the size: the first update, the whole screen, does not.
        assert_eq!(sizes(&viewer.pump(&scene)), [None]);
        viewer.ack(1);
        // The screen grows: the next update says so, once.
        let size = Size::new(800, 600);
        scene
            .perform(&SceneOp::ResizeScreen { size }, &mut Vec::new())
            .unwrap();
        let damage = scene.composite();
        viewer.push_damage(&damage, &[], &scene);
        assert_eq!(sizes(&viewer.pump(&scene)), [Some(size)]);
        viewer.ack(2);
        viewer.push_damage(&[Rect::new(0, 0, 10, 10)], &[], &scene);
        assert_eq!(sizes(&viewer.pump(&scene)), [None]);
        // A switch of mode starts again with the size the core's start message gives.
        viewer.set_mode(ViewMode::Pixels(PixelEncoding::DeltaLz4), &scene);
        viewer.ack(3);
        assert_eq!(sizes(&viewer.pump(&scene)), [None]);
    }

    /// The inputs that the updates in `messages` report.
    fn reported(messages: &[ViewMessage]) -> Vec<Option<u64>> {
        let input = |m: &ViewMessage| match m {
            ViewMessage::Pixels { input, .. } | ViewMessage::Scene { input, .. } => Some(*input),
            _ => None,
        };
        messages.iter().filter_map(input).collect()
    }

    #[test]
    fn an_answer_is_reported_once_it_is_composited_and_sent() {
        let scene = Scene::new(Size::new(640, 480), Limits::default());
        let mut viewer = Viewer::new(ViewMode::Pixels(PixelEncoding::Tiles), &scene);
        assert_eq!(reported(&viewer.pump(&scene)), [None]);
        viewer.ack(1);
        // The window manager moved a window: not on the screen until the next frame.
        let moved = Rect::new(10, 10, 100, 100);
        viewer.input_seen(5, &[moved]);
        assert!(viewer.pump(&scene).is_empty());
        viewer.push_damage(&[moved], &[], &scene);
        // (The first update, a black screen, was small: it told the link's delay, and no
        // empty update goes to measure it.)
        assert_eq!(reported(&viewer.pump(&scene)), [Some(5)]);
        // An input that changed nothing is reported at once.
        viewer.input_seen(6, &[]);
        assert_eq!(reported(&viewer.pump(&scene)), [Some(6)]);
        // Once the first update is acknowledged and the delay is unknown, an empty update
        // measures it before anything else goes.
        let mut viewer = Viewer::new(ViewMode::Pixels(PixelEncoding::Tiles), &scene);
        viewer.damage = Damage::default();
        let first = viewer.number();
        viewer.flow.sent(first, 100_000, Instant::now());
        viewer.ack(first);
        viewer.push_damage(&[moved], &[], &scene);
        let probe = viewer.pump(&scene);
        assert!(matches!(&probe[..], [ViewMessage::Pixels { rects, .. }] if rects.is_empty()));
        assert!(!viewer.damage.is_empty());
        assert!(viewer.pump(&scene).is_empty());
        viewer.ack(first + 1);
        assert_eq!(viewer.pump(&scene).len(), 1);
        assert!(viewer.damage.is_empty());
    }

    /// The pixels that `messages` carry.
    fn pixels_sent(messages: &[ViewMessage]) -> u64 {
        let rects = messages.iter().flat_map(|m| match m {
            ViewMessage::Pixels { rects, .. } => rects.as_slice(),
            _ => &[],
        });
        rects.map(|r| r.rect.size().area()).sum()
    }

    #[test]
    fn damage_left_for_later_is_not_merged_over_what_was_sent() {
        let mut scene = Scene::new(Size::new(640, 480), Limits::default());
        let mut viewer = Viewer::new(ViewMode::Pixels(PixelEncoding::DeltaLz4), &scene);
        viewer.pump(&scene);
        viewer.ack(1);
        // The whole screen turns white, so that every pixel sent costs bytes.
        let panel = SceneOp::Window {
            id: ResourceId(1 << 20),
            rect: Rect::new(0, 0, 640, 480),
            title: String::new(),
            background: Color::WHITE,
            kind: WindowKind::Panel,
            mapped: true,
        };
        scene.perform(&panel, &mut Vec::new()).unwrap();
        scene.composite();
        // An answer low on the screen goes alone, and the damage above it is left as cells.
        let answer = Rect::new(10, 300, 20, 20);
        let above = Rect::new(0, 0, 320, 192);
        viewer.input_seen(5, &[answer]);
        viewer.push_damage(&[above, answer], &[], &scene);
        assert_eq!(pixels_sent(&viewer.pump_pixels(&scene)), 20 * 20);
        assert_eq!(viewer.rest.len(), 15);
        // New damage between the two: merged with the cells into one box, it would send the
        // answer's pixels again. Every pixel goes once.
        let between = Rect::new(0, 192, 40, 110);
        viewer.push_damage(&[between], &[], &scene);
        let rest = viewer.pump_pixels(&scene);
        assert_eq!(pixels_sent(&rest), 320 * 192 + 40 * 110);
        assert!(viewer.rest.is_empty() && viewer.damage.is_empty());
    }

    /// The scene operations that `messages` carry, in order.
    fn ops_sent(messages: Vec<ViewMessage>) -> Vec<SceneOp> {
        let ops = messages.into_iter().flat_map(|m| match m {
            ViewMessage::ScenePart { ops } | ViewMessage::Scene { ops, .. } => ops,
            _ => Vec::new(),
        });
        ops.collect()
    }

    /// Every update the viewer has to send, each acknowledged as it goes.
    fn drain(viewer: &mut Viewer, scene: &Scene) -> Vec<ViewMessage> {
        let mut all = Vec::new();
        loop {
            let messages = viewer.pump(scene);
            if messages.is_empty() {
                return all;
            }
            viewer.ack(viewer.next_update - 1);
            all.extend(messages);
        }
    }

    /// A scene of one window, and the request that fills part of it with `color`.
    fn one_window() -> (Scene, impl Fn(Color) -> Request) {
        let mut scene = Scene::new(Size::new(320, 240), Limits::default());
        let id = ResourceId(1 << 20);
        for request in [
            Request::CreateWindow {
                id,
                rect: Rect::new(20, 20, 200, 150),
                title: "w".into(),
                background: Color::WHITE,
            },
            Request::MapWindow { id },
        ] {
            scene.apply(&request, &mut Vec::new()).expect("applies");
        }
        let fill = move |color| Request::FillRects {
            target: id,
            color,
            rects: vec![Rect::new(10, 10, 50, 40)],
        };
        (scene, fill)
    }

    /// A command-mode viewer sends nothing while its snapshot is compressed elsewhere; what is
    /// drawn and answered meanwhile follows the snapshot, so the viewer's copy of the scene
    /// ends as the server's.
    #[test]
    fn a_snapshot_goes_ahead_of_what_was_drawn_while_it_was_compressed() {
        let (mut scene, fill) = one_window();
        // Journaled for command-mode viewers, as the core has it when one is attached.
        scene.set_logging(true, false);
        let mut viewer = Viewer::new(ViewMode::Commands, &scene);
        assert!(viewer.pump(&scene).is_empty());
        let number = viewer.snapshot_due().expect("a snapshot due");
        let (raw, bytes) = (scene.raw_snapshot(), scene.raw_snapshot_bytes());
        let whole = scene.snapshot();
        viewer.snapshot_away(number, bytes);
        assert!(viewer.snapshot_due().is_none());
        // Drawn and answered while the snapshot is away: nothing goes, nothing is reported.
        scene.apply(&fill(Color::RED), &mut Vec::new()).unwrap();
        viewer.push_ops(&scene.take_ops(), &scene);
        viewer.input_seen(7, &[]);
        assert!(viewer.pump(&scene).is_empty());
        assert!(viewer.backlog() >= bytes as u64);
        // Back compressed (as the scene compresses its own snapshot): the snapshot, then the
        // fill, then the input reported.
        let ops = pack_snapshot(raw, &scene.images());
        assert_eq!(ops, whole);
        viewer.snapshot_coded(number, ops.clone());
        let messages = drain(&mut viewer, &scene);
        assert_eq!(reported(&messages).last(), Some(&Some(7)));
        let sent = ops_sent(messages);
        assert_eq!(sent[..ops.len()], ops[..]);
        assert_eq!(sent[ops.len()..], [SceneOp::Request(fill(Color::RED))]);
        let mut copy = Scene::new(Size::new(1, 1), Limits::default());
        for op in &sent {
            copy.replay(op).expect("replays");
        }
        scene.composite();
        copy.composite();
        assert!(copy.screen() == scene.screen());
    }

    /// A snapshot given up while it is compressed (the viewer switched mode) is not sent, and
    /// another is taken only once it is back: a viewer has one at most being compressed. One
    /// due and not yet taken is forgotten at once.
    #[test]
    fn a_snapshot_given_up_is_waited_for_and_then_dropped() {
        let (mut scene, fill) = one_window();
        let mut viewer = Viewer::new(ViewMode::Commands, &scene);
        viewer.pump(&scene);
        let first = viewer.snapshot_due().expect("a snapshot");
        let first_ops = scene.raw_snapshot();
        viewer.snapshot_away(first, scene.raw_snapshot_bytes());
        viewer.set_mode(ViewMode::Commands, &scene);
        scene.apply(&fill(Color::BLUE), &mut Vec::new()).unwrap();
        assert!(viewer.pump(&scene).is_empty());
        assert!(viewer.snapshot_due().is_none(), "the first is still away");
        viewer.snapshot_coded(first, first_ops);
        assert!(viewer.pump(&scene).is_empty(), "the first is not sent");
        let second = viewer.snapshot_due().expect("now another");
        assert_ne!(second, first);
        // The second, taken now, holds the fill.
        let ops = scene.snapshot();
        viewer.snapshot_coded(second, ops.clone());
        assert_eq!(ops_sent(drain(&mut viewer, &scene)), ops);
        // A switch to pixels forgets a snapshot due at once.
        viewer.set_mode(ViewMode::Commands, &scene);
        viewer.pump(&scene);
        assert!(viewer.coding.is_some());
        viewer.set_mode(ViewMode::Pixels(PixelEncoding::Tiles), &scene);
        assert!(viewer.snapshot_due().is_none());
        assert!(viewer.coding.is_none());
    }
}
