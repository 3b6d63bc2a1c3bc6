//! Viewers: what a thin client receives to show a display's screen elsewhere.
//!
//! A connection becomes a viewer with [`crate::Request::AttachViewer`]. In
//! [`ViewMode::Commands`] it receives the screen's state once (as [`SceneOp`]s that rebuild
//! it), then every change to it: the applications' requests and the window manager's moves,
//! raises and focus changes, which it replays with the same renderer as the server. In
//! [`ViewMode::Pixels`] the server renders and sends the damaged areas, encoded
//! ([`PixelEncoding`]). Updates are numbered; the viewer acknowledges them
//! ([`crate::Request::AckUpdate`]) and the server keeps only a few unacknowledged, merging
//! what changes meanwhile, so that a slow link never builds a queue.
//!
//! Input from the viewer's user travels as [`crate::Request::ViewerInput`], stamped with a
//! number; each update says the newest input it reflects, which gives the viewer its
//! input-to-update latency.

use serde::{Deserialize, Serialize};

use crate::geometry::{Color, Point, Rect, Size};
use crate::request::{Request, ResourceId, WindowKind};

/// How a viewer receives the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ViewMode {
    /// The drawing commands, rendered by the viewer (the X / NX way).
    Commands,
    /// Pixels rendered by the server (the VNC way), in an encoding.
    Pixels(PixelEncoding),
}

/// How damaged pixels are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum PixelEncoding {
    /// `px-raw`: the whole screen, uncompressed, on every update.
    Raw,
    /// `px-damage`: only the damaged rectangles, uncompressed.
    Damage,
    /// `px-damage-lz4`: the damaged rectangles, each LZ4-compressed.
    DamageLz4,
    /// `px-delta-lz4`: scrolls and moves as copies, the rest of the damage as the XOR with
    /// what the viewer already has, LZ4-compressed.
    DeltaLz4,
    /// `px-tiles`: scrolls and moves as copies, applications' drawing into their windows as
    /// drawings the viewer carries out ([`RectEncoding::Draw`]), then 16x16 tiles compared
    /// with what the viewer has, only those that changed (or the part of one that did), each
    /// as the smallest of solid, palette, palette runs, raw, gradient, a blend of two colors
    /// or a reference to a tile the viewer already holds, in one Zstandard stream kept for
    /// the whole connection ([`RectEncoding::Tiles`]). The default: fewer bytes than
    /// `px-delta-lz4` on every workload of the bandwidth benchmark.
    #[default]
    Tiles,
    /// `px-tiles-jpeg`: `px-tiles` where runs of photographic tiles (many colors; never
    /// text-like tiles, which have few) go as JPEG of the given quality (1..=100), lossy.
    /// Not in [`PixelEncoding::ALL`], whose encodings are all exact.
    TilesJpeg {
        /// The JPEG quality, 1 (smallest) to 100 (best).
        quality: u8,
    },
}

impl PixelEncoding {
    /// Every encoding, from the simplest.
    pub const ALL: [PixelEncoding; 5] = [
        PixelEncoding::Raw,
        PixelEncoding::Damage,
        PixelEncoding::DamageLz4,
        PixelEncoding::DeltaLz4,
        PixelEncoding::Tiles,
    ];

    /// The name used on command lines and in reports (`px-raw`, ...).
    pub fn name(self) -> &'static str {
        match self {
            PixelEncoding::Raw => "px-raw",
            PixelEncoding::Damage => "px-damage",
            PixelEncoding::DamageLz4 => "px-damage-lz4",
            PixelEncoding::DeltaLz4 => "px-delta-lz4",
            PixelEncoding::Tiles => "px-tiles",
            PixelEncoding::TilesJpeg { .. } => "px-tiles-jpeg",
        }
    }
}

/// One encoded rectangle of a pixel update. Pixels are `0x00RRGGBB` little-endian `u32`s,
/// rows top to bottom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncodedRect {
    /// Where on the screen.
    pub rect: Rect,
    /// How `data` encodes it.
    pub kind: RectEncoding,
    /// The encoded bytes.
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

/// The encoding of one rectangle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RectEncoding {
    /// `rect.width * rect.height * 4` bytes of pixels.
    Raw,
    /// An LZ4 block that expands to the raw pixels.
    Lz4,
    /// An LZ4 block that expands to the XOR of the new pixels with the viewer's.
    DeltaLz4,
    /// No data: copy the viewer's pixels at `src` (same size) to `rect` (a scroll or a move).
    Copy {
        /// Top-left corner of the source.
        src: Point,
    },
    /// `px-tiles`: `rect` lies on the screen's grid of 16x16 tiles (its right and bottom
    /// edges may be the screen's); `data` is the next piece of the connection's Zstandard
    /// stream, which expands to one record per tile of `rect`, row by row (the netui-scene
    /// crate's `encoding::tiles` module documents the records).
    Tiles {
        /// The encoder started afresh with this rectangle: the viewer forgets its Zstandard
        /// context, its cache of tiles and its gradient records' probabilities before
        /// decoding it.
        reset: bool,
        /// The last `coded` bytes of `data` are not the stream's but the range-coded section
        /// of the rectangle's gradient records (photographs' and shading's errors); 0 when
        /// it has none.
        coded: u32,
    },
    /// `px-tiles`: drawings that the viewer carries out itself, with the same renderer as
    /// the server, instead of receiving their pixels (what SPICE and RDP mix into their
    /// streams): `data` is the next piece of the connection's Zstandard stream (as for
    /// [`RectEncoding::Tiles`]), which expands to a list of [`Drawing`]s, whose clips lie in
    /// `rect`. The tiles that follow send whatever the drawings did not get right.
    Draw,
}

/// A drawing of a [`RectEncoding::Draw`] rectangle: an application's drawing request, moved
/// to the screen's coordinates, and the parts of the screen where the server's screen shows
/// it (its window's, not covered by another).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drawing {
    /// Screen rectangles; the request is carried out within each, one after the other.
    pub clips: Vec<Rect>,
    /// `FillRects`, `StrokeRects`, `Lines`, `Segments`, `Ellipse` or `Text`, in screen
    /// coordinates; its target is [`ResourceId::ROOT`] (the screen).
    pub request: Request,
}

/// A change to the screen's state, as a command-mode viewer replays it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SceneOp {
    /// An application's request, carried out as the server did.
    Request(Request),
    /// The window manager moved or resized a window.
    Configure {
        /// The window.
        id: ResourceId,
        /// Its new place and size.
        rect: Rect,
    },
    /// The window manager raised a window.
    Raise {
        /// The window.
        id: ResourceId,
    },
    /// The keyboard focus moved.
    Focus {
        /// The focused window, if any.
        id: Option<ResourceId>,
    },
    /// A window went away with its client.
    DestroyWindow {
        /// The window.
        id: ResourceId,
    },
    /// A pixmap went away with its client.
    FreePixmap {
        /// The pixmap.
        id: ResourceId,
    },
    /// The screen changed size.
    ResizeScreen {
        /// The new size.
        size: Size,
    },
    /// Part of the initial state: a window as it is (its pixels follow as `PutImage`, then its
    /// clip as `SetClip`).
    Window {
        /// The window.
        id: ResourceId,
        /// Its place and size.
        rect: Rect,
        /// Its title.
        title: String,
        /// Its background.
        background: Color,
        /// Its kind.
        kind: WindowKind,
        /// Whether it is shown.
        mapped: bool,
    },
    /// Part of the initial state: a pixmap (its pixels follow as `PutImage`).
    Pixmap {
        /// The pixmap.
        id: ResourceId,
        /// Its size.
        size: Size,
    },
    /// Part of the initial state: the stacking order, bottom first.
    Stack {
        /// Every window.
        ids: Vec<ResourceId>,
    },
}

/// What the server sends a viewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ViewMessage {
    /// The viewer is attached (or switched mode): the screen's size and the mode. In command
    /// mode the first [`ViewMessage::Scene`] that follows rebuilds the whole state; in pixel
    /// mode the first update covers the whole screen.
    Start {
        /// The screen's size.
        size: Size,
        /// The mode now in force.
        mode: ViewMode,
    },
    /// Command mode: changes to replay, in order.
    Scene {
        /// The update's number (acknowledge it).
        update: u64,
        /// The newest viewer input this update reflects.
        input: Option<u64>,
        /// The changes.
        ops: Vec<SceneOp>,
    },
    /// Pixel mode: encoded rectangles, to apply in order.
    Pixels {
        /// The update's number (acknowledge it).
        update: u64,
        /// The newest viewer input this update reflects.
        input: Option<u64>,
        /// The screen's new size, when it is not the one the viewer last heard of (from
        /// [`ViewMessage::Start`] or an update before); `None` when it is the same, as it
        /// nearly always is (one byte where the size takes four).
        size: Option<Size>,
        /// The rectangles.
        rects: Vec<EncodedRect>,
    },
    /// What each mode cost since the last report, sent about twice a second to a viewer that
    /// asked ([`crate::Request::ReportCosts`]). Not an update: it is not acknowledged.
    Costs(ViewCosts),
    /// Command mode: changes that come before the next [`ViewMessage::Scene`]'s own, in a
    /// message of their own, to replay on arrival and show with that update. The server sends
    /// each large change (an image) this way, alone: a connection in `lz4-ctx` then sends it
    /// as a reference to its cache of messages when the same change comes again (a slide
    /// shown before), which it cannot do for a change inside a longer update.
    ScenePart {
        /// The changes.
        ops: Vec<SceneOp>,
    },
}

/// What each mode cost a viewer over a period, as the server knows it: it has both the
/// scene's changes and the rendered damage, whichever mode the viewer is in. The viewer knows
/// its link (bytes it received, how far behind it is) and decides with both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ViewCosts {
    /// Milliseconds the figures cover.
    pub millis: u32,
    /// Bytes of the scene's changes in the period, serialized as command mode carries them
    /// before the connection compresses them (and before a slow viewer's backlog drops
    /// covered drawing): what command mode would carry, whichever mode is in force.
    pub commands: u64,
    /// Bytes of encoded pixels in the period: in pixel mode those of the updates sent; in
    /// command mode those of the damage of each frame, encoded by an encoder of its own in
    /// the encoding asked for, whose output is thrown away (what pixel mode would carry on
    /// a link that takes every frame).
    pub pixels: u64,
    /// Bytes of command-mode changes waiting for the link now (0 in pixel mode, whose
    /// damage merges instead of waiting).
    pub waiting: u64,
    /// The link's rate, bytes per second, as the server's flow control estimates it from
    /// the acknowledgements; 0 until it has been measured.
    pub link_rate: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lossy_encoding_carries_its_quality_and_leaves_the_others_unchanged() {
        for mode in [
            ViewMode::Pixels(PixelEncoding::TilesJpeg { quality: 75 }),
            ViewMode::Pixels(PixelEncoding::Tiles),
        ] {
            let bytes = postcard::to_allocvec(&mode).unwrap();
            assert_eq!(postcard::from_bytes::<ViewMode>(&bytes).unwrap(), mode);
        }
        // Appended: the variants before it keep their numbers on the wire.
        let tiles = postcard::to_allocvec(&ViewMode::Pixels(PixelEncoding::Tiles)).unwrap();
        assert_eq!(tiles, [1, 4]);
        let lossy = ViewMode::Pixels(PixelEncoding::TilesJpeg { quality: 75 });
        assert_eq!(postcard::to_allocvec(&lossy).unwrap(), [1, 5, 75]);
        assert!(!PixelEncoding::ALL.contains(&PixelEncoding::TilesJpeg { quality: 75 }));
    }

    #[test]
    fn cost_reports_come_after_the_older_view_messages() {
        // Appended: Start, Scene and Pixels keep their numbers on the wire.
        let costs = ViewMessage::Costs(ViewCosts {
            millis: 500,
            commands: 1,
            pixels: 2,
            waiting: 3,
            link_rate: 4,
        });
        let bytes = postcard::to_allocvec(&costs).unwrap();
        assert_eq!(bytes, [3, 0xf4, 0x03, 1, 2, 3, 4]);
        assert_eq!(postcard::from_bytes::<ViewMessage>(&bytes).unwrap(), costs);
    }
}
