//! The scene: windows and pixmaps, their stacking, and the screen composited from them.
//!
//! The scene carries out requests and knows nothing of clients or sockets: the server checks
//! who owns what before it calls in, and a thin client in command mode keeps a copy of the
//! scene by feeding it the same requests. Each window has its own backing store (a [`Canvas`]);
//! drawing into it damages the screen where the window shows, and [`Scene::composite`] repaints
//! only damaged screen areas, bottom window first.
//!
//! Changes come in through two doors, and both write the journal that command-mode viewers
//! are sent: [`Scene::apply`] for an application's request, [`Scene::perform`] for a change
//! of the window manager's or the server's (a [`SceneOp`]). Behind them each operation is
//! written once, and an operation that implies others (a `MapWindow` places, raises and
//! focuses) calls them directly, unjournaled: a viewer that replays the outer one does the
//! same.
//!
//! - `window`: [`Window`], and placing, stacking, focus and destruction.
//! - `cost`: a bound on the pixels a request touches, for a server's fair share.
//! - `request`: carrying out requests, drawing, and the checks of their sizes.
//! - `journal`: the journal, hints (copies and drawings) for pixel-mode viewers, snapshots and
//!   their restore.

use std::collections::HashMap;

use netui_protocol::{
    Color, ErrorCode, Event, FontSet, Limits, Point, Rect, Request, RequestClass, ResourceId,
    SceneOp, Size, WindowKind,
};

use netui_protocol::images::{CodedImage, SharedImages};

use crate::damage::Damage;
use crate::render::{Canvas, Fonts};
use crate::wm::{self, Part};

mod cost;
mod journal;
mod request;
mod window;

pub use cost::{CostHint, CODED_PIXEL};
pub use journal::{copy_hint, pack_snapshot};
pub use window::Window;

/// The desktop's color, behind every window.
pub const DESKTOP: Color = Color::rgb(0x2e, 0x34, 0x40);

/// An offscreen image.
#[derive(Debug)]
struct Pixmap {
    canvas: Canvas,
    clip: Option<Rect>,
}

/// Why the scene refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SceneError {
    /// The X-style error code.
    pub code: ErrorCode,
    /// The resource it was about.
    pub resource: Option<ResourceId>,
    /// A sentence for people.
    pub message: String,
}

impl SceneError {
    fn new(code: ErrorCode, resource: Option<ResourceId>, message: impl Into<String>) -> Self {
        Self {
            code,
            resource,
            message: message.into(),
        }
    }

    fn bad_id(id: ResourceId, what: &str) -> Self {
        Self::new(
            ErrorCode::BadId,
            Some(id),
            format!("no {what} with id {id}"),
        )
    }
}

/// An event for the owner of a window.
pub type WindowEvent = Event;

/// The screen and everything on it.
#[derive(Debug)]
pub struct Scene {
    screen: Canvas,
    windows: HashMap<ResourceId, Window>,
    pixmaps: HashMap<ResourceId, Pixmap>,
    /// Window ids, bottom of the stack first.
    stack: Vec<ResourceId>,
    /// The window with the keyboard focus.
    focus: Option<ResourceId>,
    damage: Damage,
    fonts: Fonts,
    limits: Limits,
    /// Whether the list of windows changed since [`Scene::take_windows_changed`].
    windows_changed: bool,
    /// What viewers need to follow the scene: the journal and the hints.
    journal: journal::Journal,
    /// The images compressed for command-mode viewers or expanded lately, so that one drawn
    /// again is not coded again; shared with whoever codes them before they arrive
    /// ([`Scene::images`]).
    coded: SharedImages,
}

impl Scene {
    /// An empty desktop of the given size.
    pub fn new(size: Size, limits: Limits) -> Self {
        let mut damage = Damage::default();
        // The first frame shows the whole (empty) desktop.
        damage.add(Rect::from_size(size));
        Self {
            screen: Canvas::new(size.width, size.height, DESKTOP),
            windows: HashMap::new(),
            pixmaps: HashMap::new(),
            stack: Vec::new(),
            focus: None,
            damage,
            fonts: Fonts::new(),
            limits,
            windows_changed: false,
            journal: journal::Journal::default(),
            coded: SharedImages::default(),
        }
    }

    /// The scene's cache of coded images, for the threads that decode its requests to code
    /// their images in ([`SharedImages::prepare`]) before the scene carries them out.
    pub fn images(&self) -> SharedImages {
        self.coded.clone()
    }

    /// Takes in images coded for a request before it is costed and carried out: the cache
    /// has them then, though it may have forgotten them since they were coded.
    pub fn adopt_images(&mut self, images: &[CodedImage]) {
        if images.is_empty() {
            return;
        }
        let mut cache = self.coded.lock();
        for image in images {
            cache.adopt(image);
        }
    }

    /// The metrics of the typefaces the scene draws with, for clients.
    pub fn font_metrics(&self) -> FontSet {
        self.fonts.metrics()
    }

    /// True (once) when windows were created, destroyed, shown, hidden, retitled, restacked
    /// or focused since the last call.
    pub fn take_windows_changed(&mut self) -> bool {
        std::mem::take(&mut self.windows_changed)
    }

    /// The window with the keyboard focus.
    pub fn focus(&self) -> Option<ResourceId> {
        self.focus
    }

    /// The screen's size.
    pub fn size(&self) -> Size {
        self.screen.size()
    }

    /// The composited screen. Call [`Scene::composite`] first to bring it up to date.
    pub fn screen(&self) -> &Canvas {
        &self.screen
    }

    /// A window, if it exists.
    pub fn window(&self, id: ResourceId) -> Option<&Window> {
        self.windows.get(&id)
    }

    /// Window ids, bottom of the stack first.
    pub fn stack(&self) -> &[ResourceId] {
        &self.stack
    }

    /// True when `id` names a window or pixmap.
    pub fn exists(&self, id: ResourceId) -> bool {
        self.windows.contains_key(&id) || self.pixmaps.contains_key(&id)
    }

    /// The size of a window or pixmap.
    pub fn drawable_size(&self, id: ResourceId) -> Option<Size> {
        if let Some(w) = self.windows.get(&id) {
            return Some(w.canvas.size());
        }
        self.pixmaps.get(&id).map(|p| p.canvas.size())
    }

    /// Damage not yet composited.
    pub fn damage(&self) -> &Damage {
        &self.damage
    }

    /// Carries out one request, and journals it for command-mode viewers if it succeeded.
    /// Requests of other classes than [`RequestClass::Scene`] (replies, input, viewers) are
    /// the server's business and do nothing here. Events for window owners are pushed onto
    /// `events`.
    pub fn apply(
        &mut self,
        request: &Request,
        events: &mut Vec<WindowEvent>,
    ) -> Result<(), SceneError> {
        if request.class() != RequestClass::Scene {
            return Ok(());
        }
        self.carry_out(request, events)?;
        // Viewers receive large images compressed (`netui_protocol::images`), each coded once
        // for all of them, and once for all the times it is drawn lately.
        if self.packs_images() {
            for request in self.coded.packed(request) {
                let op = SceneOp::Request(request.into_owned());
                self.journal(|| op);
            }
        }
        self.hint_drawing(request);
        Ok(())
    }

    /// Carries out a change that no request asked for — the window manager's (a move, a
    /// raise, a focus change) or the server's (a client's windows destroyed, a new screen
    /// size) — and journals the operation itself, so that what viewers replay is what was
    /// done. A change that does nothing (a window that is already gone) is not journaled;
    /// the snapshot's operations (`Window`, `Pixmap`, `Stack`) rebuild a viewer's copy and
    /// are never journaled. A request goes to [`Scene::apply`].
    pub fn perform(
        &mut self,
        op: &SceneOp,
        events: &mut Vec<WindowEvent>,
    ) -> Result<(), SceneError> {
        let done = match op {
            SceneOp::Request(request) => return self.apply(request, events),
            SceneOp::Configure { id, rect } => {
                self.configure(*id, *rect, events)?;
                true
            }
            SceneOp::Raise { id } => {
                self.raise(*id);
                true
            }
            SceneOp::Focus { id } => {
                self.set_focus(*id, events);
                true
            }
            SceneOp::DestroyWindow { id } => self.destroy_window(*id, events),
            SceneOp::FreePixmap { id } => self.free_pixmap(*id),
            SceneOp::ResizeScreen { size } => {
                self.resize_screen(*size);
                true
            }
            SceneOp::Window {
                id,
                rect,
                title,
                background,
                kind,
                mapped,
            } => {
                self.restore_window(*id, *rect, title, *background, *kind, *mapped);
                false
            }
            SceneOp::Pixmap { id, size } => {
                self.restore_pixmap(*id, *size);
                false
            }
            SceneOp::Stack { ids } => {
                self.restore_stack(ids);
                false
            }
        };
        if done {
            self.journal(|| op.clone());
        }
        Ok(())
    }

    /// Applies one journaled change to this copy of a scene (a command-mode viewer's). The
    /// operations come from the network, so sizes and texts are checked first, as a request's
    /// are.
    pub fn replay(&mut self, op: &SceneOp) -> Result<(), SceneError> {
        match op {
            SceneOp::Configure { id, rect } => self.check_size(*id, rect.width, rect.height)?,
            SceneOp::ResizeScreen { size } => {
                self.check_size(ResourceId::ROOT, size.width, size.height)?
            }
            SceneOp::Window {
                id, rect, title, ..
            } => {
                self.check_size(*id, rect.width, rect.height)?;
                self.check_text(*id, title)?;
            }
            SceneOp::Pixmap { id, size } => self.check_size(*id, size.width, size.height)?,
            // A request is checked where it is carried out; the rest have no sizes.
            SceneOp::Request(_)
            | SceneOp::Raise { .. }
            | SceneOp::Focus { .. }
            | SceneOp::DestroyWindow { .. }
            | SceneOp::FreePixmap { .. }
            | SceneOp::Stack { .. } => {}
        }
        self.perform(op, &mut Vec::new())
    }

    /// The topmost mapped window whose frame holds a screen position, and the part hit.
    pub fn window_at(&self, p: Point) -> Option<(ResourceId, Part)> {
        self.stack.iter().rev().find_map(|id| {
            let w = self.windows.get(id).filter(|w| w.mapped)?;
            match w.kind {
                WindowKind::Normal => wm::hit(w.rect, p).map(|part| (*id, part)),
                WindowKind::Panel => w.rect.contains(p).then_some((*id, Part::Content)),
            }
        })
    }

    /// Takes out the damage not yet composited, so that a caller can tell what one change
    /// damages; it gives the damage back with [`Scene::damage_screen`].
    pub fn take_damage(&mut self) -> Vec<Rect> {
        self.damage.take()
    }

    /// Marks a screen area for compositing (for instance, after the screen changed size).
    pub fn damage_screen(&mut self, rect: Rect) {
        self.damage.add(rect);
    }

    /// Repaints the damaged parts of the screen from the windows in stacking order, and
    /// returns the screen rectangles that changed.
    pub fn composite(&mut self) -> Vec<Rect> {
        let screen_bounds = self.screen.bounds();
        let damaged: Vec<Rect> = self
            .damage
            .take()
            .into_iter()
            .map(|r| r.intersect(screen_bounds))
            .filter(|r| !r.is_empty())
            .collect();
        // Windows and their frames are opaque, so each pixel shows one window or the
        // desktop: an area is painted from the top of the stack down, each window only where
        // no window above it lies, and every pixel is written once however many windows lie
        // there. Damage is kept as a few rectangles, so many windows that change at once
        // (hundreds of animations) make one large area crossed by hundreds of window edges;
        // where more than a few windows lie, the area is cut into cells on a fixed grid, so
        // that what is left to paint in each stays a few rectangles. Cells side by side that
        // one source fills (a window's content with nothing above it, or the desktop) are
        // painted together.
        let mut layers = Vec::new();
        for &area in &damaged {
            layers.clear();
            layers.extend(self.stack.iter().rev().filter_map(|id| {
                let w = self.windows.get(id).filter(|w| w.mapped)?;
                let footprint = w.footprint();
                (footprint.overlap(area) > 0).then_some((*id, footprint))
            }));
            if layers.len() <= FEW_LAYERS {
                self.paint(area, &layers);
                continue;
            }
            let mut run: Option<(Rect, Option<ResourceId>)> = None;
            for cell in cells(area) {
                let top = layers
                    .iter()
                    .find(|(_, footprint)| footprint.overlap(cell) > 0);
                let source = match top {
                    None => Some(None),
                    Some((id, _)) => self
                        .windows
                        .get(id)
                        .is_some_and(|w| w.rect.contains_rect(cell))
                        .then_some(Some(*id)),
                };
                match (&mut run, source) {
                    (Some((rect, from)), Some(source))
                        if *from == source
                            && rect.y == cell.y
                            && rect.right() == i64::from(cell.x) =>
                    {
                        *rect = rect.union(cell);
                    }
                    (_, source) => {
                        if let Some((rect, _)) = run.take() {
                            self.paint(rect, &layers);
                        }
                        match source {
                            Some(source) => run = Some((cell, source)),
                            None => self.paint(cell, &layers),
                        }
                    }
                }
            }
            if let Some((rect, _)) = run {
                self.paint(rect, &layers);
            }
        }
        damaged
    }

    /// Paints `area` of the screen from `layers` (mapped windows that may lie there, topmost
    /// first, with their footprints): each window's frame and content only where no window
    /// above it lies, and the desktop where none lies.
    fn paint(&mut self, area: Rect, layers: &[(ResourceId, Rect)]) {
        let mut uncovered = vec![area];
        let mut rest = Vec::new();
        for &(id, footprint) in layers {
            if uncovered.is_empty() {
                break;
            }
            let Some(w) = self.windows.get(&id) else {
                continue;
            };
            for piece in uncovered.drain(..) {
                let shown = piece.intersect(footprint);
                if shown.is_empty() {
                    rest.push(piece);
                    continue;
                }
                // A frame lies round the content: where the content covers the piece it is
                // not seen.
                if w.kind == WindowKind::Normal && !w.rect.contains_rect(shown) {
                    let focused = self.focus == Some(id);
                    wm::draw_frame(
                        &mut self.screen,
                        &mut self.fonts,
                        w.rect,
                        &w.title,
                        focused,
                        shown,
                    );
                }
                let visible = w.rect.intersect(shown);
                if !visible.is_empty() {
                    let src = visible.translate(-w.rect.x, -w.rect.y);
                    self.screen
                        .copy_from(&w.canvas, src, visible.origin(), visible);
                }
                rest.extend(piece.minus(footprint));
            }
            std::mem::swap(&mut uncovered, &mut rest);
        }
        for piece in uncovered {
            self.screen.fill_rect(piece, DESKTOP, piece);
        }
    }

    /// Reads pixels of a window, a pixmap, or ([`ResourceId::ROOT`]) the composited screen,
    /// as RGBA. Returns the area actually read (clipped to the source).
    pub fn read(
        &mut self,
        source: ResourceId,
        area: Option<Rect>,
    ) -> Result<(Rect, Vec<u8>), SceneError> {
        let canvas = if source == ResourceId::ROOT {
            self.composite();
            &self.screen
        } else if let Some(w) = self.windows.get(&source) {
            &w.canvas
        } else if let Some(p) = self.pixmaps.get(&source) {
            &p.canvas
        } else {
            return Err(SceneError::bad_id(source, "window or pixmap"));
        };
        Ok(canvas.read_rgba(area.unwrap_or(canvas.bounds())))
    }

    /// Changes the screen's size; everything is composited again.
    fn resize_screen(&mut self, size: Size) {
        self.screen.resize(size.width, size.height, DESKTOP);
        self.damage.add(Rect::from_size(size));
    }
}

/// The most windows in a damaged area that [`Scene::composite`] paints over each other
/// without cutting the area into cells.
const FEW_LAYERS: usize = 4;

/// The side of the cells in which [`Scene::composite`] paints.
const CELL: i32 = 64;

/// `area` (on the screen) cut along a grid of [`CELL`]-pixel cells fixed to the screen.
fn cells(area: Rect) -> impl Iterator<Item = Rect> {
    let (left, top) = (i64::from(area.x), i64::from(area.y));
    let (right, bottom) = (area.right(), area.bottom());
    let grid = |from: i64| from - from.rem_euclid(i64::from(CELL));
    (grid(top)..bottom)
        .step_by(CELL as usize)
        .flat_map(move |y| {
            (grid(left)..right)
                .step_by(CELL as usize)
                .map(move |x| (x, y))
        })
        .map(move |(x, y)| {
            Rect::from_edges(
                x.max(left),
                y.max(top),
                (x + i64::from(CELL)).min(right),
                (y + i64::from(CELL)).min(bottom),
            )
        })
        .filter(|cell| !cell.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cover_an_area_exactly_on_the_screens_grid() {
        for area in [
            Rect::new(0, 0, 64, 64),
            Rect::new(5, 70, 200, 1),
            Rect::new(63, 63, 2, 2),
            Rect::new(-10, -70, 140, 75),
            Rect::new(100, 100, 0, 5),
        ] {
            let cells: Vec<Rect> = cells(area).collect();
            let covered: u64 = cells.iter().map(|c| c.size().area()).sum();
            assert_eq!(covered, area.size().area(), "{area:?}");
            for c in &cells {
                assert!(area.contains_rect(*c) && !c.is_empty(), "{c:?} of {area:?}");
                let (x, y) = (c.x.div_euclid(CELL), c.y.div_euclid(CELL));
                assert!(
                    Rect::new(x * CELL, y * CELL, CELL as u32, CELL as u32).contains_rect(*c),
                    "{c:?} of {area:?} straddles the grid"
                );
            }
        }
    }

    /// Windows stacked in a cascade, six more exactly on one of them (as many copies of one
    /// application are), each drawn in, and one never mapped; then areas damaged (inside one
    /// window's content, across frames, on the desktop, the whole screen): compositing only
    /// the damage, from the top down, gives the very pixels of a whole repaint from the
    /// bottom.
    #[test]
    fn compositing_damage_top_down_equals_a_whole_repaint_from_the_bottom() {
        let size = Size::new(320, 240);
        let mut scene = Scene::new(size, Limits::default());
        let mut events = Vec::new();
        for i in 0..19u32 {
            let id = ResourceId(0x20_0001 + i);
            // The first twelve in a cascade, the rest exactly on the fifth.
            let at = if i < 12 { i as i32 } else { 4 };
            let rect = Rect::new(10 + 15 * at, 30 + 9 * at, 120, 80);
            let shade = (12 * i) as u8;
            for request in [
                Request::CreateWindow {
                    id,
                    rect,
                    title: format!("w{i}"),
                    background: Color::rgb(shade, 230 - shade, 90),
                },
                Request::MapWindow { id },
                Request::FillRects {
                    target: id,
                    color: Color::rgb(250, shade, shade),
                    rects: vec![Rect::new(5, 5, 30 + i, 20)],
                },
            ] {
                scene.apply(&request, &mut events).expect("applies");
            }
        }
        let hidden = Request::CreateWindow {
            id: ResourceId(0x20_0100),
            rect: Rect::new(0, 30, 320, 200),
            title: "never mapped".into(),
            background: Color::rgb(255, 255, 0),
        };
        scene.apply(&hidden, &mut events).expect("applies");
        scene.composite();
        for (i, area) in [
            // Inside the top window's content, inside a lower one's (partly under others),
            // across several frames, reaching the desktop, and all of it.
            Rect::new(200, 140, 20, 20),
            Rect::new(70, 80, 30, 10),
            Rect::new(40, 40, 150, 100),
            Rect::new(0, 0, 60, 240),
            Rect::new(0, 0, 320, 240),
        ]
        .into_iter()
        .enumerate()
        {
            let id = ResourceId(0x20_0001 + 3 * i as u32);
            let request = Request::Lines {
                target: id,
                color: Color::rgb(0, 0, 200),
                width: 3,
                points: vec![Point::new(0, 0), Point::new(119, 79)],
            };
            scene.apply(&request, &mut events).expect("applies");
            scene.composite();
            // The reference: the painter's way, the desktop and then every mapped window from
            // the bottom, over the whole screen.
            let bounds = scene.screen.bounds();
            scene.screen.fill_rect(bounds, DESKTOP, bounds);
            for id in &scene.stack {
                let w = &scene.windows[id];
                if !w.mapped {
                    continue;
                }
                let focused = scene.focus == Some(*id);
                wm::draw_frame(
                    &mut scene.screen,
                    &mut scene.fonts,
                    w.rect,
                    &w.title,
                    focused,
                    bounds,
                );
                scene.screen.copy_from(
                    &w.canvas,
                    Rect::from_size(w.rect.size()),
                    w.rect.origin(),
                    bounds,
                );
            }
            let whole = scene.screen().clone();
            // Every pixel of the area must be painted again: none may be left as it was.
            let poison = Color::rgb(255, 0, 255);
            scene.screen.fill_rect(area, poison, bounds);
            scene.damage_screen(area);
            scene.composite();
            assert!(scene.screen() == &whole, "area {area:?}");
        }
    }

    #[test]
    fn a_window_narrower_than_its_close_button_repaints_whole_when_focus_changes() {
        // Found by the `scene` fuzz target: the close button's X of a 5-pixel-wide window
        // reached the border, which a change of focus does not repaint, so the server's
        // screen kept the focused X's pixels where a viewer that joined later drew the
        // unfocused frame.
        let size = Size::new(40, 60);
        let mut server = Scene::new(size, Limits::default());
        let mut events = Vec::new();
        let id = ResourceId(0x20_0001);
        let rect = Rect::new(1, 30, 5, 20);
        for request in [
            Request::CreateWindow {
                id,
                rect,
                title: "narrow".into(),
                background: Color::rgb(17, 17, 255),
            },
            Request::MapWindow { id },
        ] {
            server.apply(&request, &mut events).expect("applies");
        }
        server.composite();
        server
            .replay(&SceneOp::Focus { id: None })
            .expect("unfocuses");
        server.composite();
        let mut late = Scene::new(Size::new(1, 1), Limits::default());
        for op in server.snapshot() {
            late.replay(&op).expect("replays");
        }
        late.composite();
        assert!(late.screen() == server.screen());
    }
}
