//! The drawing requests carried out on a canvas: the one place that maps a request to the
//! renderer, for the scene (a window's or a pixmap's canvas) and for a `px-tiles` viewer,
//! which carries out the server's drawing on its screen (`RectEncoding::Draw`).

use netui_protocol::{Rect, Request};

use super::{Canvas, Fonts};

impl Canvas {
    /// Carries out a drawing request — `FillRects`, `StrokeRects`, `Lines`, `Segments`,
    /// `Ellipse` or `Text` — within `clip`, whatever its target names; returns the rectangle
    /// it may have changed, or `None` for any other request.
    pub fn draw(&mut self, fonts: &mut Fonts, request: &Request, clip: Rect) -> Option<Rect> {
        Some(match request {
            Request::FillRects { color, rects, .. } => self.fill_rects(rects, *color, clip),
            Request::StrokeRects {
                color,
                width,
                rects,
                ..
            } => rects.iter().fold(Rect::default(), |d, r| {
                d.union(self.stroke_rect(*r, *width, *color, clip))
            }),
            Request::Lines {
                color,
                width,
                points,
                ..
            } => self.polyline(points, *width, *color, clip),
            Request::Segments {
                color,
                width,
                segments,
                ..
            } => self.segments(segments, *width, *color, clip),
            Request::Ellipse {
                color,
                rect,
                outline,
                ..
            } => self.ellipse(*rect, *outline, *color, clip),
            Request::Text {
                pos,
                font,
                size,
                color,
                text,
                ..
            } => self.text(fonts, *pos, *font, *size, *color, text, clip),
            _ => return None,
        })
    }

    /// A bound on the pixels that [`Canvas::draw`] touches for `request` within `clip`,
    /// found without drawing; `None` for a request it does not draw. What a server charges
    /// a client for a request, and what a viewer allows the drawings it is sent.
    pub fn draw_cost(&self, request: &Request, clip: Rect) -> Option<u64> {
        let clip = clip.intersect(self.bounds());
        Some(match request {
            Request::FillRects { rects, .. } | Request::StrokeRects { rects, .. } => {
                rects.iter().map(|r| r.overlap(clip)).sum()
            }
            Request::Lines { width, points, .. } => self.polyline_cost(points, *width, clip),
            Request::Segments {
                width, segments, ..
            } => self.segments_cost(segments, *width, clip),
            Request::Ellipse { rect, .. } => rect.intersect(clip).size().area(),
            Request::Text { size, text, .. } => {
                let glyph = u64::from(*size).pow(2);
                (text.chars().count() as u64)
                    .saturating_mul(glyph)
                    .min(clip.size().area())
            }
            _ => return None,
        })
    }
}
