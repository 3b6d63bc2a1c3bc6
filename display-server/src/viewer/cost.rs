//! What each mode costs a viewer that asked to know (`Request::ReportCosts`): the server
//! has both the scene's changes and the rendered damage, whichever mode the viewer is in, so
//! it can tell the cost of the mode not in use as well as of the one in use.
//!
//! - Commands: the serialized size of every scene operation journaled, in either mode (the
//!   journal is kept while such a viewer is attached). It is what command mode carries
//!   before the connection compresses it; the viewer, which sees its link's bytes, learns
//!   how much the compression takes off.
//! - Pixels: in pixel mode, the encoded bytes of the updates sent. In command mode, the
//!   damage of each frame goes through an encoder of its own (its shadow of the viewer's
//!   screen kept as if every update had been sent), and only the size of its output is
//!   kept: the pixels a pixel-mode viewer on a link that takes every frame would get. This
//!   costs the server what pixel mode would cost it, and only while a viewer asks.
//!
//! Every [`PERIOD`] the figures go to the viewer as a [`ViewCosts`] and start again.

use std::time::{Duration, Instant};

use netui_protocol::frame::message_size;
use netui_protocol::{PixelEncoding, Rect, SceneOp, ViewCosts};
use netui_scene::encoding::{Hint, PixelEncoder};
use netui_scene::render::Canvas;

/// How often a viewer gets a report.
pub const PERIOD: Duration = Duration::from_millis(500);

/// The figures of the current period for one viewer.
#[derive(Debug)]
pub(crate) struct Costs {
    /// The encoding whose cost is estimated.
    encoding: PixelEncoding,
    /// Command mode: the encoder whose output is only counted (made at the first damage,
    /// so that it starts with a whole screen, as a switch to pixels would).
    shadow: Option<PixelEncoder>,
    since: Instant,
    commands: u64,
    pixels: u64,
    /// CPU time of the shadow encoder.
    pub(crate) encode_time: Duration,
}

impl Costs {
    /// Starts measuring, pixels in `encoding`.
    pub(crate) fn new(encoding: PixelEncoding) -> Costs {
        Costs {
            encoding,
            shadow: None,
            since: Instant::now(),
            commands: 0,
            pixels: 0,
            encode_time: Duration::ZERO,
        }
    }

    /// The encoding whose cost is estimated.
    pub(crate) fn encoding(&self) -> PixelEncoding {
        self.encoding
    }

    /// Scene operations journaled (in either mode).
    pub(crate) fn ops(&mut self, ops: &[SceneOp]) {
        self.commands += ops.iter().map(|op| message_size(op) as u64).sum::<u64>();
    }

    /// Pixel mode: encoded bytes of updates sent.
    pub(crate) fn sent_pixels(&mut self, bytes: usize) {
        self.pixels += bytes as u64;
    }

    /// Command mode: a frame's damage and hints, encoded by the shadow encoder and counted
    /// as pixel mode counts its updates.
    pub(crate) fn frame(&mut self, screen: &Canvas, damage: &[Rect], hints: &[Hint]) {
        let size = screen.size();
        // A fresh shadow sends the whole screen first, as a switch to pixels would.
        let fresh = self.shadow.is_none();
        let shadow = self
            .shadow
            .get_or_insert_with(|| PixelEncoder::new(self.encoding, size));
        let started = Instant::now();
        let whole = [Rect::from_size(size)];
        let damage = if fresh { &whole[..] } else { damage };
        let rects = shadow.encode(screen, damage, hints);
        self.encode_time += started.elapsed();
        self.pixels += rects.iter().map(|r| r.data.len() + 24).sum::<usize>() as u64;
    }

    /// The viewer switched mode: the shadow goes (a later one starts from a whole screen).
    pub(crate) fn switched(&mut self) {
        self.shadow = None;
    }

    /// The report, if a period has passed, and a new period.
    pub(crate) fn report(&mut self, waiting: u64, link_rate: Option<f64>) -> Option<ViewCosts> {
        let elapsed = self.since.elapsed();
        if elapsed < PERIOD {
            return None;
        }
        let costs = ViewCosts {
            millis: u32::try_from(elapsed.as_millis()).unwrap_or(u32::MAX),
            commands: std::mem::take(&mut self.commands),
            pixels: std::mem::take(&mut self.pixels),
            waiting,
            link_rate: link_rate.map_or(0, |r| r as u64),
        };
        self.since = Instant::now();
        Some(costs)
    }
}
