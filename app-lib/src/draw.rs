//! The drawing calls of a [`Display`]: windows, pixmaps, and what is drawn into them. Each
//! queues a request and returns at once; [`Display::present`] (or [`Display::flush`]) sends
//! the batch.

use netui_protocol::{
    images, Color, Compression, Font, ImageFormat, Point, PutImageRef, Rect, Request, ResourceId,
    Segment, Size,
};

use crate::display::Display;
use crate::error::Error;

/// A window of this client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window(pub ResourceId);

/// An offscreen image of this client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pixmap(pub ResourceId);

impl From<Window> for ResourceId {
    fn from(w: Window) -> ResourceId {
        w.0
    }
}

impl From<Pixmap> for ResourceId {
    fn from(p: Pixmap) -> ResourceId {
        p.0
    }
}

impl Display {
    // ---- Windows and pixmaps ----

    /// Creates an unmapped window whose content area is `rect` on the screen.
    pub fn create_window(
        &mut self,
        rect: Rect,
        title: &str,
        background: Color,
    ) -> Result<Window, Error> {
        let id = self.alloc_id()?;
        self.send(Request::CreateWindow {
            id,
            rect,
            title: title.to_owned(),
            background,
        });
        Ok(Window(id))
    }

    /// Shows a window, on top.
    pub fn map(&mut self, window: Window) {
        self.send(Request::MapWindow { id: window.0 });
    }

    /// Hides a window.
    pub fn unmap(&mut self, window: Window) {
        self.send(Request::UnmapWindow { id: window.0 });
    }

    /// Moves and resizes a window.
    pub fn configure(&mut self, window: Window, rect: Rect) {
        self.send(Request::ConfigureWindow { id: window.0, rect });
    }

    /// Changes a window's title.
    pub fn set_title(&mut self, window: Window, title: &str) {
        self.send(Request::SetTitle {
            id: window.0,
            title: title.to_owned(),
        });
    }

    /// Tells the window manager what kind of window this is (a panel such as a taskbar has
    /// no frame, stays on top and takes no focus). Set it before mapping the window.
    pub fn set_window_kind(&mut self, window: Window, kind: netui_protocol::WindowKind) {
        self.send(Request::SetWindowKind { id: window.0, kind });
    }

    /// Raises and focuses any window, this client's or another's (what a taskbar does).
    pub fn activate(&mut self, window: ResourceId) {
        self.send(Request::ActivateWindow { id: window });
    }

    /// Asks for an [`Event::WindowsChanged`](crate::Event::WindowsChanged) whenever windows
    /// come, go, or change title, stacking or focus.
    pub fn watch_windows(&mut self) {
        self.send(Request::WatchWindows);
    }

    /// Injects keyboard or pointer input into the display as if it came from its own devices
    /// (like XTEST). Only clients on the local Unix socket may; others get an `Access` error.
    pub fn inject(&mut self, input: netui_protocol::InputEvent) {
        self.send(Request::InjectInput { input });
    }

    /// Destroys a window.
    pub fn destroy_window(&mut self, window: Window) {
        self.send(Request::DestroyWindow { id: window.0 });
        self.release_id(window.0);
    }

    /// Creates an offscreen image, black at first.
    pub fn create_pixmap(&mut self, size: Size) -> Result<Pixmap, Error> {
        let id = self.alloc_id()?;
        self.send(Request::CreatePixmap {
            id,
            width: size.width,
            height: size.height,
        });
        Ok(Pixmap(id))
    }

    /// Frees an offscreen image.
    pub fn free_pixmap(&mut self, pixmap: Pixmap) {
        self.send(Request::FreePixmap { id: pixmap.0 });
        self.release_id(pixmap.0);
    }

    // ---- Drawing ----

    /// Fills a rectangle.
    pub fn fill_rect(&mut self, target: impl Into<ResourceId>, rect: Rect, color: Color) {
        self.fill_rects(target, &[rect], color);
    }

    /// Fills rectangles.
    pub fn fill_rects(&mut self, target: impl Into<ResourceId>, rects: &[Rect], color: Color) {
        if self.batch().fill(target.into(), color, rects) {
            self.send_queued();
        }
    }

    /// Draws a rectangle's outline inside it.
    pub fn stroke_rect(
        &mut self,
        target: impl Into<ResourceId>,
        rect: Rect,
        width: u16,
        color: Color,
    ) {
        self.send(Request::StrokeRects {
            target: target.into(),
            color,
            width,
            rects: vec![rect],
        });
    }

    /// Draws a line, both ends included.
    pub fn line(
        &mut self,
        target: impl Into<ResourceId>,
        a: Point,
        b: Point,
        width: u16,
        color: Color,
    ) {
        self.segments(target, &[Segment { a, b }], width, color);
    }

    /// Draws separate line segments, both ends included (X's `XDrawSegments`).
    pub fn segments(
        &mut self,
        target: impl Into<ResourceId>,
        segments: &[Segment],
        width: u16,
        color: Color,
    ) {
        if self.batch().segments(target.into(), color, width, segments) {
            self.send_queued();
        }
    }

    /// Draws a connected line through the points.
    pub fn polyline(
        &mut self,
        target: impl Into<ResourceId>,
        points: &[Point],
        width: u16,
        color: Color,
    ) {
        self.send(Request::Lines {
            target: target.into(),
            color,
            width,
            points: points.to_vec(),
        });
    }

    /// Fills the ellipse inscribed in `rect`.
    pub fn fill_ellipse(&mut self, target: impl Into<ResourceId>, rect: Rect, color: Color) {
        self.send(Request::Ellipse {
            target: target.into(),
            color,
            rect,
            outline: None,
        });
    }

    /// Draws the outline of the ellipse inscribed in `rect`.
    pub fn stroke_ellipse(
        &mut self,
        target: impl Into<ResourceId>,
        rect: Rect,
        width: u16,
        color: Color,
    ) {
        self.send(Request::Ellipse {
            target: target.into(),
            color,
            rect,
            outline: Some(width),
        });
    }

    /// Draws a line of text with its line box's top-left corner at `pos`.
    pub fn text(
        &mut self,
        target: impl Into<ResourceId>,
        pos: Point,
        font: Font,
        size: u16,
        color: Color,
        text: &str,
    ) {
        self.send(Request::Text {
            target: target.into(),
            pos,
            font,
            size,
            color,
            text: text.to_owned(),
        });
    }

    /// Puts an image at `rect` (its size is the image's). Raw images too large for one frame
    /// are sent in strips of rows. Over the network (a connection whose frames are
    /// compressed), raw images of `images::PACK_MIN` bytes or more go compressed (opaque ones
    /// as `ImageFormat::Rgb8Gradient`, in strips of at most `images::GRADIENT_MAX_PIXELS`
    /// pixels: the image viewer's photographs in a tenth and a sixteenth of their bytes;
    /// those with alpha as `ImageFormat::Rgba8Zstd`); on a local socket they go raw, where
    /// compressing costs more than copying. Compressed ones (made with
    /// `netui_protocol::images::compress`; a gradient-coded one of at most
    /// `images::GRADIENT_MAX_PIXELS` pixels) go whole.
    pub fn put_image(
        &mut self,
        target: impl Into<ResourceId>,
        rect: Rect,
        format: ImageFormat,
        data: &[u8],
    ) {
        let target = target.into();
        let row = rect.width as usize * format.bytes_per_pixel();
        if data.is_empty() || format.is_compressed() || data.len() != row * rect.height as usize {
            // Empty images and wrong sizes go as they are: the server names the error.
            self.send_image(PutImageRef {
                target,
                rect,
                format,
                data,
            });
            return;
        }
        // Leave room for the request's other fields under the frame limit (which bounds
        // what a compressed strip may expand to as well).
        let max_rows =
            (self.welcome().limits.max_payload as usize).saturating_sub(256) / row.max(1);
        let pack = self.batch().compression() != Compression::None;
        for (i, strip) in data.chunks(row * max_rows.max(1)).enumerate() {
            let rect = Rect::new(
                rect.x,
                rect.y.saturating_add((i * max_rows) as i32),
                rect.width,
                (strip.len() / row) as u32,
            );
            if !pack {
                self.send_image(PutImageRef {
                    target,
                    rect,
                    format,
                    data: strip,
                });
                continue;
            }
            // Compressed in the strips that the server's journal would cut.
            let parts = images::packed_strips(format, rect, strip, |format, size, raw| {
                images::pack(format, size.width, raw)
            });
            for (part, format, data) in parts {
                self.send_image(PutImageRef {
                    target,
                    rect: part,
                    format,
                    data: &data,
                });
            }
        }
    }

    /// Copies pixels between drawables or within one (scrolling).
    pub fn copy_area(
        &mut self,
        src: impl Into<ResourceId>,
        dst: impl Into<ResourceId>,
        src_rect: Rect,
        dst_pos: Point,
    ) {
        self.send(Request::CopyArea {
            src: src.into(),
            dst: dst.into(),
            src_rect,
            dst_pos,
        });
    }

    /// Fills an area (or everything) with the window's background.
    pub fn clear(&mut self, target: impl Into<ResourceId>, area: Option<Rect>) {
        self.send(Request::Clear {
            target: target.into(),
            area,
        });
    }

    /// Restricts later drawing into `target` to `clip` (`None` removes the clip).
    pub fn set_clip(&mut self, target: impl Into<ResourceId>, clip: Option<Rect>) {
        self.send(Request::SetClip {
            target: target.into(),
            clip,
        });
    }

    /// Ends a frame of `window`'s drawing and sends the batch.
    pub fn present(&mut self, window: Window) -> Result<(), Error> {
        self.send(Request::Present { window: window.0 });
        self.flush()
    }
}
