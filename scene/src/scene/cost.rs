//! What a request costs: a bound on the pixels it touches, found without carrying it out, so
//! that a server can share its time between clients by work done rather than by messages.
//!
//! The bound follows the renderer's own clipping: drawing outside the target costs nothing,
//! and a wide line that covers the whole target costs one fill of it, however many points
//! it has. Images are the exception: one costs its whole size, since its pixels are
//! expanded and compressed before they are clipped.

use netui_protocol::{Rect, Request, ResourceId, Size};

use super::Scene;
use crate::render::Canvas;

impl Scene {
    /// A bound on the pixels that `request` reads or writes (0 for requests that touch
    /// none, and for targets that do not exist: those fail at once).
    ///
    /// ```
    /// use netui_protocol::{Color, ImageFormat, Limits, Point, Rect, Request, ResourceId, Size};
    /// use netui_scene::scene::Scene;
    ///
    /// let mut scene = Scene::new(Size::new(200, 100), Limits::default());
    /// let w = ResourceId(1 << 21 | 1);
    /// let create = Request::CreateWindow {
    ///     id: w, rect: Rect::new(0, 0, 100, 50), title: "w".into(), background: Color::WHITE,
    /// };
    /// scene.apply(&create, &mut Vec::new()).unwrap();
    /// // A line of width 65,535 covers the window: one fill, whatever its length.
    /// let wide = Request::Lines {
    ///     target: w, color: Color::BLACK, width: u16::MAX,
    ///     points: vec![Point::new(0, 0), Point::new(1, 1), Point::new(0, 0)],
    /// };
    /// assert_eq!(scene.cost(&wide), 100 * 50);
    /// // An image far outside the window costs its whole size: it is expanded (and
    /// // compressed for command-mode viewers) before it is clipped.
    /// let far = Request::PutImage {
    ///     target: w, rect: Rect::new(5000, 0, 2000, 1000), format: ImageFormat::Rgb8Zstd,
    ///     data: vec![],
    /// };
    /// assert_eq!(scene.cost(&far), 2000 * 1000);
    /// ```
    pub fn cost(&self, request: &Request) -> u64 {
        if let Some(target) = request.drawing_target() {
            return self.with_canvas(target, |canvas, clip| {
                canvas.draw_cost(request, clip).unwrap_or(0)
            });
        }
        match request {
            // An image costs its whole size wherever it lies: it is expanded (when
            // compressed) and compressed for command-mode viewers before it is clipped.
            Request::PutImage { target, rect, .. } => self.clipped(*target, |_| rect.size().area()),
            Request::CopyArea { dst, src_rect, .. } => {
                self.clipped(*dst, |clip| src_rect.size().area().min(clip.size().area()))
            }
            Request::Clear { target, area } => self.clipped(*target, |clip| {
                area.map_or(clip, |a| a.intersect(clip)).size().area()
            }),
            Request::GetImage { source, area } => {
                let size = if *source == ResourceId::ROOT {
                    Some(self.size())
                } else {
                    self.drawable_size(*source)
                };
                size.map_or(0, |s| {
                    let bounds = Rect::new(0, 0, s.width, s.height);
                    area.map_or(bounds, |a| a.intersect(bounds)).size().area()
                })
            }
            // New pixels are allocated and cleared.
            Request::CreateWindow { rect, .. } | Request::ConfigureWindow { rect, .. } => {
                rect.size().area()
            }
            Request::CreatePixmap { width, height, .. } => Size::new(*width, *height).area(),
            _ => 0,
        }
    }

    /// `f` of the target's canvas and its clip, or 0 when there is no such target.
    fn with_canvas(&self, target: ResourceId, f: impl FnOnce(&Canvas, Rect) -> u64) -> u64 {
        let (canvas, clip) = if let Some(w) = self.windows.get(&target) {
            (&w.canvas, w.clip)
        } else if let Some(p) = self.pixmaps.get(&target) {
            (&p.canvas, p.clip)
        } else {
            return 0;
        };
        let bounds = canvas.bounds();
        f(canvas, clip.map_or(bounds, |c| c.intersect(bounds)))
    }

    /// `f` of the target's clip, or 0 when there is no such target.
    fn clipped(&self, target: ResourceId, f: impl FnOnce(Rect) -> u64) -> u64 {
        self.with_canvas(target, |_, clip| f(clip))
    }
}
