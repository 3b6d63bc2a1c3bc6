//! What a request costs: a bound on the pixels it touches, found without carrying it out, so
//! that a server can share its time between clients by work done rather than by messages.
//!
//! The bound follows the renderer's own clipping: drawing outside the target costs nothing,
//! and a wide line that covers the whole target costs one fill of it, however many points
//! it has. Images are the exception: one costs its whole size, since its pixels are
//! expanded and compressed before they are clipped, and a pixel that goes through the
//! gradient coder costs [`CODED_PIXEL`] pixels.

use netui_protocol::{images, ImageFormat, Rect, Request, ResourceId, Size};

use super::Scene;
use crate::render::{Canvas, RectsCost, SegmentsCost};

/// What a pixel of an image counts for when it goes through the gradient coder (an image an
/// application sent as [`ImageFormat::Rgb8Gradient`], or a large opaque one that the journal
/// compresses so for command-mode viewers; not one coded lately or coded already where its
/// request was decoded ([`Scene::images`]), which is found instead, and which a display
/// server charges for where it was coded):
/// the coder takes 40 to 55 ns a pixel here each way (`images/` in the encoding bench, on the
/// image viewer's photographs), drawing a pixel of an image about 0.4.
pub const CODED_PIXEL: u64 = 100;

/// What [`Scene::cost_hinted`] may know of a request before it reaches the scene, found by
/// the thread that decodes it (a connection's), so that the thread that draws need not read
/// a large batch twice. Batches of one-pixel segments, one-pixel polylines and batches of
/// rectangles have one; the default is none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CostHint(Option<Summary>);

/// A batch's summary, by its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Summary {
    Segments(SegmentsCost),
    Rects(RectsCost),
}

impl CostHint {
    /// The hint for `request`.
    pub fn of(request: &Request) -> CostHint {
        CostHint(match request {
            Request::Segments {
                width, segments, ..
            } if *width <= 1 => SegmentsCost::of(segments).map(Summary::Segments),
            Request::Lines { width, points, .. } if *width <= 1 => {
                SegmentsCost::of_polyline(points).map(Summary::Segments)
            }
            Request::FillRects { rects, .. } | Request::StrokeRects { rects, .. } => {
                Some(Summary::Rects(RectsCost::of(rects)))
            }
            _ => None,
        })
    }
}

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
        self.cost_hinted(request, &CostHint::default())
    }

    /// [`Scene::cost`], the same figure, helped by `hint`, which must be [`CostHint::of`]
    /// this request (or none).
    pub fn cost_hinted(&self, request: &Request, hint: &CostHint) -> u64 {
        if let (Some(target), CostHint(Some(summary))) = (request.drawing_target(), hint) {
            return self.with_canvas(target, |canvas, clip| {
                let hinted = match (request, summary) {
                    (Request::Segments { .. } | Request::Lines { .. }, Summary::Segments(s)) => {
                        canvas.thin_segments_cost(s, clip)
                    }
                    (
                        Request::FillRects { .. } | Request::StrokeRects { .. },
                        Summary::Rects(r),
                    ) => canvas.rects_cost(r, clip),
                    _ => None,
                };
                hinted
                    .or_else(|| canvas.draw_cost(request, clip))
                    .unwrap_or(0)
            });
        }
        if let Some(target) = request.drawing_target() {
            return self.with_canvas(target, |canvas, clip| {
                canvas.draw_cost(request, clip).unwrap_or(0)
            });
        }
        match request {
            // An image costs its whole size wherever it lies: it is expanded (when
            // compressed) and compressed for command-mode viewers before it is clipped.
            Request::PutImage {
                target,
                rect,
                format,
                data,
            } => {
                // The cache is looked in (and locked: the connections' readers share it)
                // only for an image that may need the gradient coder.
                let coded = if *format == ImageFormat::Rgb8Gradient {
                    !self.coded.lock().knows(*format, rect.size(), data)
                } else {
                    // Compressed for command-mode viewers, strip by strip.
                    *format == ImageFormat::Rgb8
                        && data.len() >= images::PACK_MIN
                        && self.packs_images()
                        && {
                            let cache = self.coded.lock();
                            !images::strips(*format, *rect).all(|(strip, bytes)| {
                                data.get(bytes)
                                    .is_some_and(|raw| cache.knows(*format, strip.size(), raw))
                            })
                        }
                };
                let weight = if coded { CODED_PIXEL } else { 1 };
                self.clipped(*target, |_| rect.size().area().saturating_mul(weight))
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use netui_protocol::{Color, Limits, Point, SceneOp, Segment};
    use proptest::prelude::*;

    /// A scene with a 300x200 window at (40, 30) and a 100x80 pixmap.
    fn scene() -> (Scene, [ResourceId; 2]) {
        let mut scene = Scene::new(Size::new(640, 480), Limits::default());
        let (window, pixmap) = (ResourceId(1 << 21 | 1), ResourceId(1 << 21 | 2));
        let create = Request::CreateWindow {
            id: window,
            rect: Rect::new(40, 30, 300, 200),
            title: "w".into(),
            background: Color::WHITE,
        };
        scene.apply(&create, &mut Vec::new()).unwrap();
        let pixmap_request = Request::CreatePixmap {
            id: pixmap,
            width: 100,
            height: 80,
        };
        scene.apply(&pixmap_request, &mut Vec::new()).unwrap();
        (scene, [window, pixmap])
    }

    fn point() -> impl Strategy<Value = Point> {
        prop_oneof![
            4 => (-5..320i32, -5..220i32).prop_map(|(x, y)| Point::new(x, y)),
            1 => (any::<i32>(), any::<i32>()).prop_map(|(x, y)| Point::new(x, y)),
        ]
    }

    proptest! {
        /// The hint found where a request is decoded gives the cost that reading the
        /// segments gives: segments inside and outside the clip, huge ones, wide ones, on
        /// a window, a pixmap and a target that does not exist.
        #[test]
        fn a_hinted_cost_is_the_cost(
            segments in prop::collection::vec((point(), point()), 0..40),
            width in prop_oneof![Just(0u16), Just(1), Just(3)],
            which in 0..3usize,
        ) {
            let (scene, targets) = scene();
            let target = targets.get(which).copied().unwrap_or(ResourceId(1 << 21 | 9));
            let segments = segments.into_iter().map(|(a, b)| Segment { a, b }).collect();
            let request = Request::Segments { target, color: Color::BLACK, width, segments };
            prop_assert_eq!(
                scene.cost_hinted(&request, &CostHint::of(&request)),
                scene.cost(&request)
            );
        }

        /// The same for batches of rectangles, filled and stroked: inside and outside the
        /// clip, empty, huge.
        #[test]
        fn a_hinted_cost_of_rectangles_is_the_cost(
            rects in prop::collection::vec(
                (point(), prop_oneof![0..60u32, any::<u32>()], prop_oneof![0..60u32, any::<u32>()]),
                0..40,
            ),
            stroke in any::<bool>(),
            which in 0..3usize,
        ) {
            let (scene, targets) = scene();
            let target = targets.get(which).copied().unwrap_or(ResourceId(1 << 21 | 9));
            let rects = rects.into_iter().map(|(p, w, h)| Rect::new(p.x, p.y, w, h)).collect();
            let request = if stroke {
                Request::StrokeRects { target, color: Color::BLACK, width: 2, rects }
            } else {
                Request::FillRects { target, color: Color::BLACK, rects }
            };
            prop_assert_eq!(
                scene.cost_hinted(&request, &CostHint::of(&request)),
                scene.cost(&request)
            );
        }
    }

    /// An image costs its pixels, or [`CODED_PIXEL`] times as many when the gradient coder
    /// expands it, or compresses it for command-mode viewers.
    #[test]
    fn images_through_the_gradient_coder_cost_more() {
        let (mut scene, [window, _]) = scene();
        let put = |format, data| Request::PutImage {
            target: window,
            rect: Rect::new(0, 0, 64, 64),
            format,
            data,
        };
        let raw = put(ImageFormat::Rgb8, vec![0; 64 * 64 * 3]);
        let coded = put(ImageFormat::Rgb8Gradient, vec![]);
        let zstd = put(ImageFormat::Rgb8Zstd, vec![]);
        let small = Request::PutImage {
            target: window,
            rect: Rect::new(0, 0, 16, 16),
            format: ImageFormat::Rgb8,
            data: vec![0; 16 * 16 * 3],
        };
        let costs = |scene: &Scene| [&raw, &coded, &zstd, &small].map(|r| scene.cost(r));
        assert_eq!(costs(&scene), [4096, 409_600, 4096, 256]);
        // With a command-mode viewer, a raw image large enough is coded for it; once coded,
        // it is found instead.
        scene.set_logging(true, false);
        assert_eq!(costs(&scene), [409_600, 409_600, 4096, 256]);
        scene.apply(&raw, &mut Vec::new()).unwrap();
        assert_eq!(costs(&scene), [4096, 409_600, 4096, 256]);
    }

    /// Images that the thread decoding their requests coded into the scene's cache
    /// ([`Scene::images`]) cost the scene only their pixels, even once the cache has
    /// forgotten them, when they are handed over ([`Scene::adopt_images`]).
    #[test]
    fn images_coded_where_they_were_decoded_cost_their_pixels() {
        let (mut scene, [window, _]) = scene();
        scene.set_logging(true, false);
        let photo = |n: u32| -> Vec<u8> {
            (0..64 * 64 * 3u32)
                .map(|i| (i * 7 + n * 13 + i / 192) as u8)
                .collect()
        };
        let put = |format, data| Request::PutImage {
            target: window,
            rect: Rect::new(0, 0, 64, 64),
            format,
            data,
        };
        let raw = put(ImageFormat::Rgb8, photo(1));
        let coded = images::compress(ImageFormat::Rgb8Gradient, 64, &photo(2));
        let coded = put(ImageFormat::Rgb8Gradient, coded);
        assert_eq!([scene.cost(&raw), scene.cost(&coded)], [409_600; 2]);
        let images = scene.images();
        let handed: Vec<_> = [&raw, &coded]
            .map(|r| images.prepare(r, usize::MAX))
            .concat();
        assert_eq!(handed.len(), 2);
        assert_eq!([scene.cost(&raw), scene.cost(&coded)], [4096; 2]);
        // Others coded in between push them out of the cache; handed over, they are back.
        for n in 3..30 {
            images.prepare(&put(ImageFormat::Rgb8, photo(n)), usize::MAX);
        }
        assert_eq!([scene.cost(&raw), scene.cost(&coded)], [409_600; 2]);
        scene.adopt_images(&handed);
        assert_eq!([scene.cost(&raw), scene.cost(&coded)], [4096; 2]);
        scene.apply(&raw, &mut Vec::new()).unwrap();
        scene.apply(&coded, &mut Vec::new()).unwrap();
        let expected = images::packed(&raw);
        assert!(matches!(
            &expected[..],
            [r] if matches!(**r, Request::PutImage { format: ImageFormat::Rgb8Gradient, .. })
        ));
        assert!(scene
            .take_ops()
            .contains(&SceneOp::Request(expected[0].clone().into_owned())));
    }

    /// The cost of one-pixel `segments` on `window` from their hint alone (without reading
    /// them), checked against the hinted and the unhinted cost.
    fn cost_from_hint(scene: &Scene, window: ResourceId, segments: Vec<Segment>) -> u64 {
        let request = Request::Segments {
            target: window,
            color: Color::BLACK,
            width: 1,
            segments,
        };
        request_cost_from_hint(scene, window, &request)
    }

    /// The cost of `request` (one-pixel segments or a one-pixel polyline) on `window` from
    /// its hint alone, checked against the hinted and the unhinted cost.
    fn request_cost_from_hint(scene: &Scene, window: ResourceId, request: &Request) -> u64 {
        let hint = CostHint::of(request);
        let Some(Summary::Segments(summary)) = &hint.0 else {
            panic!("no hint for {request:?}")
        };
        let from_hint = scene.with_canvas(window, |canvas, clip| {
            canvas.thin_segments_cost(summary, clip).unwrap_or(u64::MAX)
        });
        assert_eq!(scene.cost_hinted(request, &hint), from_hint);
        assert_eq!(scene.cost(request), from_hint);
        from_hint
    }

    /// A one-pixel polyline costs what its segments do, found where it is decoded as
    /// theirs is: short ones from the sum, long ones (boxes larger than a step across the
    /// window) from the boxes kept. A dot has no hint, and is costed by reading it.
    #[test]
    fn polylines_well_inside_are_costed_from_their_hint() {
        let (scene, [window, _]) = scene();
        let across = scene.with_canvas(window, |_, clip| u64::from(clip.width + clip.height));
        let polyline = |points: &[(i32, i32)]| Request::Lines {
            target: window,
            color: Color::BLACK,
            width: 1,
            points: points.iter().map(|&(x, y)| Point::new(x, y)).collect(),
        };
        // Boxes grown by one: 13x7 and 13x7 again.
        let short = polyline(&[(10, 10), (20, 14), (10, 10)]);
        assert_eq!(request_cost_from_hint(&scene, window, &short), 2 * 13 * 7);
        // A box of 23x13, then one of 183x93 and one of 103x53 (each above a step across).
        let long = polyline(&[(10, 10), (30, 20), (210, 110), (110, 160)]);
        assert!(across < 103 * 53, "{across}");
        assert_eq!(
            request_cost_from_hint(&scene, window, &long),
            23 * 13 + 2 * across
        );
        let dot = polyline(&[(10, 10)]);
        assert_eq!(CostHint::of(&dot), CostHint::default());
        assert_eq!(scene.cost(&dot), 3 * 3);
    }

    #[test]
    fn segments_well_inside_are_costed_from_their_hint() {
        let (scene, [window, _]) = scene();
        let segment = Segment {
            a: Point::new(10, 10),
            b: Point::new(20, 14),
        };
        // Each segment's box grown by one: 13 by 7 pixels.
        assert_eq!(cost_from_hint(&scene, window, vec![segment; 3]), 3 * 13 * 7);
    }

    /// Segments whose boxes are larger than a step across the window count for that step:
    /// found from the hint's boxes, without the segments.
    #[test]
    fn long_segments_well_inside_are_costed_from_their_hint() {
        let (scene, [window, _]) = scene();
        let across = scene.with_canvas(window, |_, clip| u64::from(clip.width + clip.height));
        let segment = |x: i32, y: i32| Segment {
            a: Point::new(10, 10),
            b: Point::new(x, y),
        };
        // Boxes of 23x13 (below the step across), and of 203x103 and 103x153 (above).
        let segments = vec![segment(30, 20), segment(210, 110), segment(110, 160)];
        assert!(across < 103 * 153, "{across}");
        assert_eq!(
            cost_from_hint(&scene, window, segments),
            23 * 13 + 2 * across
        );
    }
}
