//! Requests: what an application asks of the display server.
//!
//! Requests never wait for an answer unless they say so ([`Request::Sync`],
//! [`Request::GetImage`], [`Request::GetServerInfo`]): resource ids are chosen by the client
//! from the range that the server gave it in the handshake, so that creating a window and
//! drawing into it can travel in the same batch as the first frame.
//!
//! Every request has an *opcode*, its index in [`Request`], and a *sequence number*, its
//! position in the connection's request stream counting from 1. Errors and replies name both.

use serde::{Deserialize, Serialize};

use crate::geometry::{Color, Point, Rect, Segment};

/// The id of a window or pixmap. Windows and pixmaps share one id space; each client allocates
/// ids in the range that the handshake gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ResourceId(pub u32);

impl ResourceId {
    /// The screen itself. It can be read ([`Request::GetImage`]) but belongs to no client.
    pub const ROOT: ResourceId = ResourceId(0);
}

impl std::fmt::Display for ResourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// The typefaces that every server has. The font files ship with netui, so an application
/// knows the metrics without asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Font {
    /// A proportional sans-serif face (DejaVu Sans).
    #[default]
    Sans,
    /// A fixed-width face (DejaVu Sans Mono).
    Mono,
}

/// The layout of the bytes of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ImageFormat {
    /// Three bytes per pixel: red, green, blue. Replaces what is under it.
    Rgb8,
    /// Four bytes per pixel: red, green, blue, straight alpha. Blended over what is under it.
    Rgba8,
    /// [`ImageFormat::Rgb8`]'s bytes, each minus the same byte of the pixel to its left (0 at
    /// the start of a row, wrapping: PNG's "Sub" filter), as one Zstandard frame that expands
    /// to exactly `width * height * 3` bytes. Replaces what is under it. Quick to make (a
    /// 640x480 photograph in about 2 ms), a sixth to an eighth of the raw bytes.
    Rgb8Zstd,
    /// [`ImageFormat::Rgba8`]'s bytes, filtered and compressed as in
    /// [`ImageFormat::Rgb8Zstd`] (each byte minus the same byte of the pixel to its left).
    /// Blended over what is under it.
    Rgba8Zstd,
    /// [`ImageFormat::Rgb8`]'s pixels (at most [`crate::images::GRADIENT_MAX_PIXELS`] of
    /// them) coded by [`crate::gradient`]: blocks of at most
    /// [`crate::images::BLOCK`] pixels wide and [`crate::images::BLOCK_ROWS`] high, row by
    /// row of blocks, each left to right, each a record whose edges are the image's pixels
    /// around it (0 outside the image), all in one stream with one set of probabilities that
    /// starts at even odds. Replaces what is under it. How command-mode viewers receive large
    /// images: a photograph in about two thirds of [`ImageFormat::Rgb8Zstd`]'s bytes, for
    /// about ten times its time to make and to expand.
    Rgb8Gradient,
}

impl ImageFormat {
    /// Bytes per pixel once decompressed.
    pub const fn bytes_per_pixel(self) -> usize {
        match self.pixels() {
            ImageFormat::Rgba8 => 4,
            _ => 3,
        }
    }

    /// The layout of the pixels, decompressed: [`ImageFormat::Rgb8`] or
    /// [`ImageFormat::Rgba8`].
    pub const fn pixels(self) -> ImageFormat {
        match self {
            ImageFormat::Rgb8 | ImageFormat::Rgb8Zstd | ImageFormat::Rgb8Gradient => {
                ImageFormat::Rgb8
            }
            ImageFormat::Rgba8 | ImageFormat::Rgba8Zstd => ImageFormat::Rgba8,
        }
    }

    /// Whether the data is compressed (its length says nothing of the image's size).
    pub const fn is_compressed(self) -> bool {
        !matches!(self, ImageFormat::Rgb8 | ImageFormat::Rgba8)
    }

    /// The compressed format in which command mode sends the same pixels
    /// ([`crate::images::compress`] makes it): the smallest for photographs.
    pub const fn compressed(self) -> ImageFormat {
        match self.pixels() {
            ImageFormat::Rgba8 => ImageFormat::Rgba8Zstd,
            _ => ImageFormat::Rgb8Gradient,
        }
    }

    /// Whether the image replaces what is under it (no alpha).
    pub const fn is_opaque(self) -> bool {
        matches!(self.pixels(), ImageFormat::Rgb8)
    }
}

/// What a request touches, and so which part of the server carries it out and who may send
/// it. Each request's class is written once, beside the request in [`Request`]'s list; the
/// server dispatches on it, the scene carries out [`RequestClass::Scene`] requests alone, and
/// only those go to command-mode viewers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestClass {
    /// Changes windows, pixmaps or pixels: carried out by the scene, checked against the
    /// client's own ids and quota, and replayed by command-mode viewers.
    Scene,
    /// About the connection itself: replies (`Sync`, `GetImage`, `GetServerInfo`) and
    /// subscriptions (`WatchWindows`). Changes nothing on the screen.
    Connection,
    /// Drives the screen's keyboard and pointer as its own devices do (`InjectInput`), and so
    /// every application: the display owner's right alone.
    Input,
    /// A viewer's (thin client's) requests about itself: attaching, flow control.
    Viewer,
    /// A viewer's user's keyboard and pointer (`ViewerInput`), carried out as the screen's
    /// own: what a view-only viewer may not send.
    ViewerInput,
    /// The clipboard and the primary selection: claiming one, asking for its content,
    /// answering for it. What the display's user copies may be a secret, so a view-only
    /// viewer may not read it.
    Selection,
}

/// Defines [`Request`] from one list of its variants, each followed by `=> Class`, and
/// derives from the same list [`RequestKind`] (same variants, same order), its `ALL`, its
/// `class()` and [`Request::kind`]. The order of the list is the wire format: a variant's
/// index is its opcode, so variants are only ever added at the end.
macro_rules! requests {
    (
        $(#[$enum_meta:meta])*
        pub enum Request {
            $(
                $(#[$meta:meta])*
                $variant:ident $({ $($fields:tt)* })? => $class:ident,
            )*
        }
    ) => {
        $(#[$enum_meta])*
        pub enum Request {
            $(
                $(#[$meta])*
                $variant $({ $($fields)* })?,
            )*
        }

        /// The opcode of a request: its name, for errors and logs. The discriminant is the
        /// index of the variant in [`Request`], which is what the wire carries first.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum RequestKind {
            $(
                #[doc = concat!("[`Request::", stringify!($variant), "`]")]
                $variant,
            )*
        }

        impl RequestKind {
            /// Every opcode, in wire order.
            pub const ALL: [RequestKind; [$(RequestKind::$variant),*].len()] =
                [$(RequestKind::$variant),*];

            /// What requests of this kind touch (see [`RequestClass`]).
            pub const fn class(self) -> RequestClass {
                match self {
                    $(RequestKind::$variant => RequestClass::$class,)*
                }
            }
        }

        impl Request {
            /// The opcode of this request.
            pub fn kind(&self) -> RequestKind {
                // `{ .. }` matches unit variants too.
                match self {
                    $(Request::$variant { .. } => RequestKind::$variant,)*
                }
            }
        }
    };
}

requests! {
    /// A request from an application to the display server.
    ///
    /// Drawing requests take a `target`: a window or pixmap of the client's own. Drawing is
    /// clipped to the target (and to its clip rectangle, see [`Request::SetClip`]); drawing
    /// outside it is not an error, as in X.
    ///
    /// In this list each variant is followed by its [`RequestClass`] (`=> Scene`): the one
    /// place that says what a request touches. The order is the wire format (a variant's
    /// index is its opcode): add new requests at the end.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub enum Request {
        /// Creates an unmapped window. `rect` places its content area on the screen.
        CreateWindow {
            /// The new window's id, from the client's range.
            id: ResourceId,
            /// Position on the screen and size.
            rect: Rect,
            /// Title shown by the window manager.
            title: String,
            /// Color that fills the window when it is created or cleared.
            background: Color,
        } => Scene,
        /// Shows a window on the screen, on top of the others.
        MapWindow {
            /// The window.
            id: ResourceId,
        } => Scene,
        /// Hides a window; its contents are kept.
        UnmapWindow {
            /// The window.
            id: ResourceId,
        } => Scene,
        /// Moves and resizes a window. Contents are kept where they fit; new area gets the
        /// background.
        ConfigureWindow {
            /// The window.
            id: ResourceId,
            /// New position and size.
            rect: Rect,
        } => Scene,
        /// Changes a window's title.
        SetTitle {
            /// The window.
            id: ResourceId,
            /// The new title.
            title: String,
        } => Scene,
        /// Destroys a window and frees its id.
        DestroyWindow {
            /// The window.
            id: ResourceId,
        } => Scene,
        /// Creates an offscreen image, cleared to black.
        CreatePixmap {
            /// The new pixmap's id, from the client's range.
            id: ResourceId,
            /// Width in pixels.
            width: u32,
            /// Height in pixels.
            height: u32,
        } => Scene,
        /// Frees a pixmap and its id.
        FreePixmap {
            /// The pixmap.
            id: ResourceId,
        } => Scene,
        /// Fills rectangles with a color (blended when not opaque).
        FillRects {
            /// Window or pixmap.
            target: ResourceId,
            /// Fill color.
            color: Color,
            /// The rectangles.
            #[serde(with = "crate::packed")]
            rects: Vec<Rect>,
        } => Scene,
        /// Draws the outlines of rectangles, `width` pixels wide, inside each rectangle.
        StrokeRects {
            /// Window or pixmap.
            target: ResourceId,
            /// Line color.
            color: Color,
            /// Line width in pixels (0 is drawn as 1).
            width: u16,
            /// The rectangles.
            #[serde(with = "crate::packed")]
            rects: Vec<Rect>,
        } => Scene,
        /// Draws a connected line through the points (a polyline), both ends included.
        Lines {
            /// Window or pixmap.
            target: ResourceId,
            /// Line color.
            color: Color,
            /// Line width in pixels (0 is drawn as 1); wide lines get round joins and ends.
            width: u16,
            /// The points, in order.
            #[serde(with = "crate::packed")]
            points: Vec<Point>,
        } => Scene,
        /// Draws separate line segments, both ends included.
        Segments {
            /// Window or pixmap.
            target: ResourceId,
            /// Line color.
            color: Color,
            /// Line width in pixels (0 is drawn as 1); wide lines get round ends.
            width: u16,
            /// The segments.
            #[serde(with = "crate::packed")]
            segments: Vec<Segment>,
        } => Scene,
        /// Draws the ellipse inscribed in `rect`, filled or as an outline.
        Ellipse {
            /// Window or pixmap.
            target: ResourceId,
            /// Color.
            color: Color,
            /// The bounding rectangle.
            rect: Rect,
            /// `None` fills it; `Some(w)` draws an outline `w` pixels wide inside `rect`.
            outline: Option<u16>,
        } => Scene,
        /// Draws a line of UTF-8 text. `pos` is the top-left corner of the line box; the
        /// baseline is at `pos.y` plus the font's ascent at `size`.
        Text {
            /// Window or pixmap.
            target: ResourceId,
            /// Top-left corner of the line box.
            pos: Point,
            /// Typeface.
            font: Font,
            /// Font size in pixels (the em height).
            size: u16,
            /// Text color.
            color: Color,
            /// The text, one line.
            text: String,
        } => Scene,
        /// Puts an image at `rect` (whose size is the image's size).
        PutImage {
            /// Window or pixmap.
            target: ResourceId,
            /// Where the image goes, and its size.
            rect: Rect,
            /// How `data` is laid out.
            format: ImageFormat,
            /// Rows of pixels, top to bottom, with no padding. (Encoded as a byte string: the
            /// same bytes on the wire as a sequence, but copied whole instead of one by one.)
            #[serde(with = "serde_bytes")]
            data: Vec<u8>,
        } => Scene,
        /// Copies pixels between drawables, or within one (scrolling). Overlapping copies within
        /// one drawable behave as if the source were read first.
        CopyArea {
            /// Window or pixmap to read.
            src: ResourceId,
            /// Window or pixmap to write.
            dst: ResourceId,
            /// The source pixels.
            src_rect: Rect,
            /// Where the top-left source pixel goes in `dst`.
            dst_pos: Point,
        } => Scene,
        /// Fills an area of a window with its background (a pixmap with black). `None` clears
        /// the whole drawable.
        Clear {
            /// Window or pixmap.
            target: ResourceId,
            /// The area, or everything.
            area: Option<Rect>,
        } => Scene,
        /// Restricts later drawing into `target` to a rectangle (`None` removes the clip).
        SetClip {
            /// Window or pixmap.
            target: ResourceId,
            /// The clip rectangle in the drawable's coordinates.
            clip: Option<Rect>,
        } => Scene,
        /// Marks the end of a frame of `window`'s drawing: the server shows everything drawn so
        /// far. It is the boundary that frame counters and viewers count.
        Present {
            /// The window whose frame is complete.
            window: ResourceId,
        } => Scene,
        /// Asks for a [`crate::Reply::Sync`] once every earlier request has been carried out.
        Sync => Connection,
        /// Reads pixels back: of a window or pixmap, or of the whole screen with
        /// [`ResourceId::ROOT`]. Answered by [`crate::Reply::Image`].
        GetImage {
            /// Window, pixmap or the root.
            source: ResourceId,
            /// The area to read; `None` reads everything.
            area: Option<Rect>,
        } => Connection,
        /// Asks for [`crate::Reply::ServerInfo`]: version, screen, clients and their windows.
        GetServerInfo => Connection,
        /// Sets what kind of window this is, for the window manager (before mapping it).
        SetWindowKind {
            /// The window.
            id: ResourceId,
            /// Its kind.
            kind: WindowKind,
        } => Scene,
        /// Raises and focuses a window, any client's (what a taskbar does on a click).
        ActivateWindow {
            /// The window.
            id: ResourceId,
        } => Scene,
        /// Asks for [`crate::Event::WindowsChanged`] whenever the list of windows changes.
        WatchWindows => Connection,
        /// Injects keyboard or pointer input as if it came from the screen's own devices (as
        /// X's XTEST does). Only clients on the local Unix socket may: they run as the display's
        /// owner, who could type into every window anyway. A TCP client holds the token that
        /// lets it draw, but not the right to drive other applications.
        InjectInput {
            /// The input.
            input: crate::InputEvent,
        } => Input,
        /// Makes this connection a viewer of the screen in `mode`, or switches its mode (see
        /// [`crate::view`]). Answered by [`crate::ViewMessage::Start`] and a stream of updates.
        AttachViewer {
            /// Commands or pixels.
            mode: crate::ViewMode,
        } => Viewer,
        /// Input from a viewer's user, as if the screen's own devices produced it. A viewer is
        /// the display's user at another place (as a VNC client is), so any viewer may send
        /// it, unless it was admitted view-only.
        ViewerInput {
            /// Numbers the input, so that updates can say which input they reflect.
            seq: u64,
            /// The input.
            input: crate::InputEvent,
        } => ViewerInput,
        /// A viewer has applied the update with this number (flow control).
        AckUpdate {
            /// The update's number.
            update: u64,
        } => Viewer,
        /// Asks the server to report to this viewer, about twice a second, what each mode
        /// costs for what is on the screen ([`crate::ViewMessage::Costs`]): the mode in force
        /// as it is sent, the other as the server estimates it (pixels encoded in `encoding`,
        /// or the scene's changes as command mode carries them). `None` stops the reports.
        /// What a thin client's `auto` mode decides with.
        ReportCosts {
            /// The pixel encoding whose cost to report, or `None` to stop.
            encoding: Option<crate::PixelEncoding>,
        } => Viewer,
        /// Makes this client the owner of `selection`, offering its content in `types` (type
        /// names such as [`crate::selection::TEXT`] and [`crate::selection::PNG`]). The
        /// previous owner gets [`crate::Event::SelectionLost`]; requests for the content come
        /// as [`crate::Event::SelectionRequest`]. An empty `types` gives the selection up.
        ClaimSelection {
            /// Which selection.
            selection: crate::Selection,
            /// The types it can give, at most `max_types`, each at most `max_type_len` bytes
            /// ([`crate::SelectionLimits`]).
            types: Vec<String>,
            /// A copy of the text, for the server to keep (at most `max_kept_text` bytes), so
            /// that it pastes once this client has gone; `None` keeps nothing.
            text: Option<String>,
        } => Selection,
        /// Asks for the content of `selection` in type `mime`. It arrives as
        /// [`crate::Event::SelectionData`] chunks numbered `transfer` (the last has
        /// `more: false`), or ends with [`crate::Event::SelectionFailed`].
        RequestSelection {
            /// Which selection.
            selection: crate::Selection,
            /// The type wanted.
            mime: String,
            /// A number of the client's choosing, that the answer carries.
            transfer: u32,
        } => Selection,
        /// An owner's answer to [`crate::Event::SelectionRequest`]: the next chunk of the
        /// content, at most `max_chunk` bytes ([`crate::SelectionLimits`]); `more: false` on
        /// the last one (which may be empty).
        SendSelection {
            /// The number the request carried.
            transfer: u32,
            /// The chunk.
            #[serde(with = "serde_bytes")]
            data: Vec<u8>,
            /// Whether more chunks follow.
            more: bool,
        } => Selection,
        /// An owner's refusal of a [`crate::Event::SelectionRequest`] (a type it no longer
        /// has, say): the requester gets [`crate::SelectionFailure::Refused`].
        RefuseSelection {
            /// The number the request carried.
            transfer: u32,
        } => Selection,
        /// Asks for [`crate::Event::SelectionChanged`] whenever another client claims a
        /// selection (what a clipboard bridge such as the thin client needs).
        WatchSelections => Selection,
    }
}

/// What kind of window a window is, for the window manager (as EWMH's window types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum WindowKind {
    /// An application window: decorated, focusable, movable.
    #[default]
    Normal,
    /// A panel such as a taskbar: no decorations, always above normal windows, placed where
    /// it asks, and it does not take the keyboard focus.
    Panel,
}

impl RequestKind {
    /// The request with this opcode, if there is one.
    pub fn from_opcode(opcode: u32) -> Option<RequestKind> {
        Self::ALL.get(usize::try_from(opcode).ok()?).copied()
    }

    /// The opcode on the wire.
    pub const fn opcode(self) -> u32 {
        self as u32
    }
}

impl std::fmt::Display for RequestKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

impl Request {
    /// What this request touches: which part of the server carries it out.
    pub fn class(&self) -> RequestClass {
        self.kind().class()
    }

    /// The window or pixmap that a drawing request draws into, or `None` for any other
    /// request. The drawing requests are `FillRects`, `StrokeRects`, `Lines`, `Segments`,
    /// `Ellipse` and `Text`: what a viewer's [`crate::Drawing`] may hold.
    pub fn drawing_target(&self) -> Option<ResourceId> {
        match self {
            Request::FillRects { target, .. }
            | Request::StrokeRects { target, .. }
            | Request::Lines { target, .. }
            | Request::Segments { target, .. }
            | Request::Ellipse { target, .. }
            | Request::Text { target, .. } => Some(*target),
            _ => None,
        }
    }

    /// True for requests that the server answers with a reply.
    pub fn expects_reply(&self) -> bool {
        matches!(
            self,
            Request::Sync | Request::GetImage { .. } | Request::GetServerInfo
        )
    }

    /// Rewrites every [`ResourceId`] that the request names, in field order, to `f(id)`:
    /// windows, pixmaps, drawing targets, copy sources, and ids of the root or of other
    /// clients alike (`f` decides what to keep). Replaying a recorded request stream on a
    /// connection with another id range is what this is for.
    ///
    /// ```
    /// use netui_protocol::{Request, ResourceId};
    ///
    /// let mut copy = Request::CopyArea {
    ///     src: ResourceId(0x20_0001),
    ///     dst: ResourceId(0x20_0002),
    ///     src_rect: netui_protocol::Rect::new(0, 0, 8, 8),
    ///     dst_pos: netui_protocol::Point::new(8, 0),
    /// };
    /// // From client 1's range to client 2's.
    /// copy.map_ids(|id| ResourceId(0x40_0000 | (id.0 & 0x1f_ffff)));
    /// let Request::CopyArea { src, dst, .. } = copy else { unreachable!() };
    /// assert_eq!((src, dst), (ResourceId(0x40_0001), ResourceId(0x40_0002)));
    /// ```
    pub fn map_ids(&mut self, mut f: impl FnMut(ResourceId) -> ResourceId) {
        // Every field is named (no `..`): a new variant or a new field does not compile here
        // until someone has decided whether it holds an id.
        match self {
            Request::CreateWindow {
                id,
                rect: _,
                title: _,
                background: _,
            }
            | Request::ConfigureWindow { id, rect: _ }
            | Request::SetTitle { id, title: _ }
            | Request::CreatePixmap {
                id,
                width: _,
                height: _,
            }
            | Request::SetWindowKind { id, kind: _ }
            | Request::MapWindow { id }
            | Request::UnmapWindow { id }
            | Request::DestroyWindow { id }
            | Request::FreePixmap { id }
            | Request::ActivateWindow { id } => *id = f(*id),
            Request::FillRects {
                target,
                color: _,
                rects: _,
            }
            | Request::StrokeRects {
                target,
                color: _,
                width: _,
                rects: _,
            }
            | Request::Lines {
                target,
                color: _,
                width: _,
                points: _,
            }
            | Request::Segments {
                target,
                color: _,
                width: _,
                segments: _,
            }
            | Request::Ellipse {
                target,
                color: _,
                rect: _,
                outline: _,
            }
            | Request::Text {
                target,
                pos: _,
                font: _,
                size: _,
                color: _,
                text: _,
            }
            | Request::PutImage {
                target,
                rect: _,
                format: _,
                data: _,
            }
            | Request::Clear { target, area: _ }
            | Request::SetClip { target, clip: _ } => *target = f(*target),
            Request::CopyArea {
                src,
                dst,
                src_rect: _,
                dst_pos: _,
            } => {
                *src = f(*src);
                *dst = f(*dst);
            }
            Request::Present { window } => *window = f(*window),
            Request::GetImage { source, area: _ } => *source = f(*source),
            // No ids: input events name screen positions and keys, not windows.
            Request::Sync
            | Request::GetServerInfo
            | Request::WatchWindows
            | Request::InjectInput { input: _ }
            | Request::AttachViewer { mode: _ }
            | Request::ViewerInput { seq: _, input: _ }
            | Request::AckUpdate { update: _ }
            | Request::ReportCosts { encoding: _ }
            | Request::ClaimSelection {
                selection: _,
                types: _,
                text: _,
            }
            | Request::RequestSelection {
                selection: _,
                mime: _,
                transfer: _,
            }
            | Request::SendSelection {
                transfer: _,
                data: _,
                more: _,
            }
            | Request::RefuseSelection { transfer: _ }
            | Request::WatchSelections => {}
        }
    }
}

/// A [`Request::PutImage`] whose pixels are borrowed: it serializes to exactly the bytes of
/// the request it stands for, so that a client sends an image without first copying it into
/// a request.
#[derive(Debug, Clone, Copy)]
pub struct PutImageRef<'a> {
    /// Window or pixmap.
    pub target: ResourceId,
    /// Where the image goes, and its size.
    pub rect: Rect,
    /// How `data` is laid out.
    pub format: ImageFormat,
    /// Rows of pixels, top to bottom, with no padding.
    pub data: &'a [u8],
}

impl Serialize for PutImageRef<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStructVariant;
        // A fieldless enum's discriminant is its variant's index: the opcode.
        let opcode = RequestKind::PutImage as u32;
        let mut put = serializer.serialize_struct_variant("Request", opcode, "PutImage", 4)?;
        put.serialize_field("target", &self.target)?;
        put.serialize_field("rect", &self.rect)?;
        put.serialize_field("format", &self.format)?;
        put.serialize_field("data", serde_bytes::Bytes::new(self.data))?;
        put.end()
    }
}

#[cfg(test)]
mod tests;
