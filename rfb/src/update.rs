//! Building a FramebufferUpdate: the shadow of what the client has, and what to send.
//!
//! Like TigerVNC's comparing update tracker, the [`Updater`] keeps a shadow canvas of the
//! client's framebuffer. Copies are applied to it (and sent as CopyRect when the client takes
//! them); the damage is then compared with it in 64x64 blocks, each trimmed to the rows and
//! columns that differ, and only those are encoded. Damage outside what the client asked for
//! is kept for a later update.

use netui_protocol::{Point, Rect, Size};
use netui_scene::render::Canvas;

use crate::encoding::{self, Encodings, PixelEncoding};
use crate::hextile::HextileEncoder;
use crate::message::write_rect_header;
use crate::pixel::PixelFormat;
use crate::raw::{self, row, row_mut};
use crate::tight::{TightEncoder, TightSettings};
use crate::zrle::ZrleEncoder;
use crate::{cursor, RfbError};

/// The side of the blocks the damage is compared in.
const BLOCK: u32 = 64;
/// Past this many kept rectangles of damage, they are merged into their union.
const MAX_UNSENT: usize = 32;
/// Past this many changed blocks, the update sends their union instead (a count must fit the
/// update's 16 bits; this is far below that).
const MAX_BLOCKS: usize = 16_384;

/// An ExtendedDesktopSize rectangle to send: its reason and status (RFC 6143 §7.8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DesktopAnswer {
    pub reason: u16,
    pub status: u16,
}

/// What the session asks of one update.
pub(crate) struct Plan<'a> {
    pub format: &'a PixelFormat,
    pub encodings: &'a Encodings,
    /// Where changes may be sent (requests and the continuous updates area).
    pub wanted: Rect,
    /// Where everything is sent, changed or not (non-incremental requests).
    pub forced: Rect,
    /// An ExtendedDesktopSize to send whatever happens (an answer or the first layout).
    pub desktop: Option<DesktopAnswer>,
    /// Send the cursor's shape.
    pub cursor: bool,
    /// Tell the client that QEMU's Extended Key Event is understood (a pseudo-rectangle of
    /// that encoding), so that it sends its keys with their keycodes.
    pub qemu_key: bool,
}

/// The shadow of one client's framebuffer and the encoders that bring it up to date.
pub(crate) struct Updater {
    shadow: Canvas,
    /// The shadow says nothing: everything is sent as if forced.
    stale: bool,
    unsent: Vec<Rect>,
    blocks: Vec<Rect>,
    hextile: HextileEncoder,
    zrle: Option<ZrleEncoder>,
    tight: Option<TightEncoder>,
}

impl Updater {
    /// An updater for a client that has nothing yet.
    pub fn new(size: Size) -> Updater {
        Updater {
            shadow: blank(size),
            stale: true,
            unsent: Vec::new(),
            blocks: Vec::new(),
            hextile: HextileEncoder::new(),
            zrle: None,
            tight: None,
        }
    }

    /// Forgets what the client has: the next update sends the whole screen.
    pub fn invalidate(&mut self) {
        self.stale = true;
    }

    /// Keeps damage for a later update (copies are not kept: their destinations are in the
    /// damage, so they go as pixels).
    pub fn defer(&mut self, damage: &[Rect]) {
        self.unsent.extend(damage.iter().filter(|r| !r.is_empty()));
        if self.unsent.len() > MAX_UNSENT {
            let all = self.unsent.iter().fold(Rect::default(), |a, &r| a.union(r));
            self.unsent = vec![all];
        }
    }

    /// Appends the rectangles of one update to `out` (after its header, which the caller
    /// writes and patches) and returns their count.
    pub fn update(
        &mut self,
        screen: &Canvas,
        damage: &[Rect],
        copies: &[(Rect, Point)],
        plan: &Plan<'_>,
        out: &mut Vec<u8>,
    ) -> Result<u16, RfbError> {
        let size = screen.size();
        let mut count = 0u16;
        let mut desktop = plan.desktop;
        if size.width > u32::from(u16::MAX) || size.height > u32::from(u16::MAX) {
            return Err(RfbError::ScreenTooLarge(size));
        }
        if size != self.shadow.size() {
            let e = plan.encodings;
            if e.extended_desktop_size {
                let answer = desktop.take().unwrap_or(DesktopAnswer {
                    reason: 0,
                    status: 0,
                });
                write_extended_desktop_size(out, size, answer);
            } else if e.desktop_size {
                write_rect_header(out, Rect::from_size(size), encoding::DESKTOP_SIZE);
            } else {
                return Err(RfbError::ResizeUnsupported);
            }
            count += 1;
            self.shadow = blank(size);
            self.stale = true;
            self.unsent.clear();
        }
        if let Some(answer) = desktop {
            write_extended_desktop_size(out, size, answer);
            count += 1;
        }
        if plan.cursor {
            cursor::write_arrow(plan.format, out);
            count += 1;
        }
        if plan.qemu_key {
            write_rect_header(out, Rect::default(), encoding::QEMU_EXTENDED_KEY_EVENT);
            count += 1;
        }
        let bounds = screen.bounds();
        if self.stale {
            self.stale = false;
            self.unsent.clear();
            count += self.send(screen, bounds, plan, out);
            return Ok(count);
        }
        if plan.encodings.copy_rect {
            for &(to, from) in copies {
                let src = Rect::new(from.x, from.y, to.width, to.height);
                let done = self.shadow.copy_within(src, Point::new(to.x, to.y), bounds);
                if done.is_empty() {
                    continue;
                }
                let (sx, sy) = (done.x - to.x + from.x, done.y - to.y + from.y);
                write_rect_header(out, done, encoding::COPY_RECT);
                out.extend_from_slice(&(sx as u16).to_be_bytes());
                out.extend_from_slice(&(sy as u16).to_be_bytes());
                count += 1;
            }
        }
        let forced = plan.forced.intersect(bounds);
        if !forced.is_empty() {
            count += self.send(screen, forced, plan, out);
        }
        let wanted = plan.wanted.intersect(bounds);
        let mut later = Vec::new();
        self.blocks.clear();
        let unsent = std::mem::take(&mut self.unsent);
        for &rect in unsent.iter().chain(damage) {
            let inside = rect.intersect(wanted);
            changed_blocks(screen, &mut self.shadow, inside, &mut self.blocks);
            if inside != rect.intersect(bounds) {
                // What lies outside `wanted` waits (as its bounding box: simple, and compared
                // again later, so nothing unchanged is sent twice).
                later.push(rect.intersect(bounds));
            }
        }
        self.unsent = unsent;
        self.unsent.clear();
        self.defer(&later);
        let blocks = std::mem::take(&mut self.blocks);
        if blocks.len() > MAX_BLOCKS {
            let all = blocks.iter().fold(Rect::default(), |a, &r| a.union(r));
            count += self.encode(screen, all, plan, out);
        } else {
            for &rect in &blocks {
                count += self.encode(screen, rect, plan, out);
            }
        }
        self.blocks = blocks;
        Ok(count)
    }

    /// Sends `rect` whatever the shadow says, and brings the shadow up to date there.
    fn send(&mut self, screen: &Canvas, rect: Rect, plan: &Plan<'_>, out: &mut Vec<u8>) -> u16 {
        for y in 0..rect.height {
            row_mut(&mut self.shadow, rect, y).copy_from_slice(row(screen, rect, y));
        }
        self.encode(screen, rect, plan, out)
    }

    /// Encodes `rect` (inside the screen) in the client's encoding; returns the number of
    /// rectangles written.
    fn encode(&mut self, screen: &Canvas, rect: Rect, plan: &Plan<'_>, out: &mut Vec<u8>) -> u16 {
        if rect.is_empty() {
            return 0;
        }
        let format = plan.format;
        match plan.encodings.pixels {
            PixelEncoding::Hextile => self.hextile.encode(screen, rect, format, out),
            PixelEncoding::Zrle => {
                let level = plan.encodings.compress_level.unwrap_or(1);
                self.zrle
                    .get_or_insert_with(|| ZrleEncoder::new(level))
                    .encode(screen, rect, format, out);
            }
            PixelEncoding::Tight => {
                // Lossless unless the client named a JPEG quality, as TigerVNC does.
                let settings = TightSettings {
                    jpeg_quality: plan.encodings.jpeg_quality,
                    compress_level: plan.encodings.compress_level.unwrap_or(1),
                };
                return self
                    .tight
                    .get_or_insert_with(TightEncoder::new)
                    .encode(screen, rect, format, settings, out);
            }
            PixelEncoding::Raw => raw::encode(screen, rect, format, out),
        }
        1
    }
}

/// A black canvas of `size` (the shadow of a client that has nothing yet). Sizes are at most
/// 65535x65535, which a server's own screen already is.
fn blank(size: Size) -> Canvas {
    Canvas::new(size.width, size.height, netui_protocol::Color::BLACK)
}

/// Appends the parts of `area` (inside both canvases) where `screen` and `shadow` differ, one
/// rectangle per 64x64 block trimmed to its changed rows and columns, merging a block with
/// the one before when they line up; the shadow is brought up to date there.
fn changed_blocks(screen: &Canvas, shadow: &mut Canvas, area: Rect, blocks: &mut Vec<Rect>) {
    if area.is_empty() || screen.size() != shadow.size() {
        return;
    }
    let first_row = area.y as u32 / BLOCK * BLOCK;
    let first_col = area.x as u32 / BLOCK * BLOCK;
    for by in (first_row..area.bottom() as u32).step_by(BLOCK as usize) {
        for bx in (first_col..area.right() as u32).step_by(BLOCK as usize) {
            let block = Rect::new(bx as i32, by as i32, BLOCK, BLOCK).intersect(area);
            let Some(changed) = trim(screen, shadow, block) else {
                continue;
            };
            for y in 0..changed.height {
                row_mut(shadow, changed, y).copy_from_slice(row(screen, changed, y));
            }
            match blocks.last_mut() {
                Some(last)
                    if last.y == changed.y
                        && last.height == changed.height
                        && last.right() == i64::from(changed.x) =>
                {
                    last.width += changed.width;
                }
                _ => blocks.push(changed),
            }
        }
    }
}

/// The smallest rectangle of `block` holding every pixel where the canvases differ.
fn trim(screen: &Canvas, shadow: &Canvas, block: Rect) -> Option<Rect> {
    let differs = |y: u32| row(screen, block, y) != row(shadow, block, y);
    let top = (0..block.height).find(|&y| differs(y))?;
    let bottom = (top..block.height).rev().find(|&y| differs(y))? + 1;
    let (mut left, mut right) = (block.width, 0);
    for y in top..bottom {
        let (a, b) = (row(screen, block, y), row(shadow, block, y));
        if let Some(l) = a.iter().zip(b).position(|(p, q)| p != q) {
            left = left.min(l as u32);
            let r = a.iter().zip(b).rposition(|(p, q)| p != q).unwrap_or(l);
            right = right.max(r as u32 + 1);
        }
    }
    Some(Rect::new(
        block.x + left as i32,
        block.y + top as i32,
        right - left,
        bottom - top,
    ))
}

/// An ExtendedDesktopSize pseudo-rectangle: one screen, id 0, covering the framebuffer.
fn write_extended_desktop_size(out: &mut Vec<u8>, size: Size, answer: DesktopAnswer) {
    let header = Rect::new(
        i32::from(answer.reason),
        i32::from(answer.status),
        size.width,
        size.height,
    );
    write_rect_header(out, header, encoding::EXTENDED_DESKTOP_SIZE);
    out.extend_from_slice(&[1, 0, 0, 0]);
    out.extend_from_slice(&0u32.to_be_bytes());
    write_rect_header_body(out, Rect::from_size(size));
    out.extend_from_slice(&0u32.to_be_bytes());
}

/// Position and size as four 16-bit numbers.
fn write_rect_header_body(out: &mut Vec<u8>, rect: Rect) {
    for v in [rect.x as u32, rect.y as u32, rect.width, rect.height] {
        out.extend_from_slice(&(v as u16).to_be_bytes());
    }
}
