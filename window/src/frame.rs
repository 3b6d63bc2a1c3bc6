//! The damaged pixels of a screen, copied out of the thread that composites it and written
//! into a window thread's copy of that screen.

use netui_protocol::{Rect, Size};
use netui_scene::Canvas;

/// The damaged pixels of one composited frame.
#[derive(Debug)]
pub struct Frame {
    /// The screen's size when the frame was composited.
    pub size: Size,
    /// Each damaged rectangle and its pixels, row-major.
    pub rects: Vec<(Rect, Vec<u32>)>,
}

impl Frame {
    /// Copies the damaged rectangles out of the screen.
    pub fn capture(screen: &Canvas, damage: &[Rect]) -> Frame {
        let width = screen.width() as usize;
        let rects = damage
            .iter()
            .map(|&r| r.intersect(screen.bounds()))
            .filter(|r| !r.is_empty())
            .map(|r| {
                let mut pixels = Vec::with_capacity(r.size().area() as usize);
                for y in r.y..r.y + r.height as i32 {
                    let start = y as usize * width + r.x as usize;
                    pixels.extend_from_slice(&screen.pixels()[start..start + r.width as usize]);
                }
                (r, pixels)
            })
            .collect();
        Frame {
            size: screen.size(),
            rects,
        }
    }

    /// Writes the rectangles into a copy of the screen (clipped to it, should the sizes differ
    /// while a resize is on its way) and returns the rectangles written.
    pub fn apply(&self, mirror: &mut Canvas) -> Vec<Rect> {
        let width = mirror.width() as usize;
        let bounds = mirror.bounds();
        let mut written = Vec::with_capacity(self.rects.len());
        for (rect, pixels) in &self.rects {
            let visible = rect.intersect(bounds);
            if visible.is_empty() {
                continue;
            }
            let src_width = rect.width as usize;
            for row in 0..visible.height as usize {
                let sy = (visible.y - rect.y) as usize + row;
                let sx = (visible.x - rect.x) as usize;
                let src = &pixels[sy * src_width + sx..][..visible.width as usize];
                let start = (visible.y as usize + row) * width + visible.x as usize;
                mirror.pixels_mut()[start..start + visible.width as usize].copy_from_slice(src);
            }
            written.push(visible);
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netui_protocol::Color;

    #[test]
    fn a_frame_carries_exactly_the_damaged_pixels() {
        let mut screen = Canvas::new(20, 10, Color::BLACK);
        screen.fill_rect(Rect::new(2, 2, 3, 3), Color::RED, screen.bounds());
        let frame = Frame::capture(&screen, &[Rect::new(1, 1, 5, 5), Rect::new(18, 8, 9, 9)]);
        assert_eq!(frame.rects.len(), 2);
        assert_eq!(frame.rects[1].0, Rect::new(18, 8, 2, 2));
        let mut mirror = Canvas::new(20, 10, Color::WHITE);
        let written = frame.apply(&mut mirror);
        assert_eq!(written, vec![Rect::new(1, 1, 5, 5), Rect::new(18, 8, 2, 2)]);
        assert_eq!(mirror.pixel(3, 3), screen.pixel(3, 3));
        assert_eq!(mirror.pixel(1, 1), Some(0));
        assert_eq!(
            mirror.pixel(10, 5),
            Some(0x00ff_ffff),
            "undamaged pixels stay"
        );
        // A smaller mirror (a resize on its way) takes what fits.
        let mut small = Canvas::new(4, 4, Color::WHITE);
        assert_eq!(frame.apply(&mut small), vec![Rect::new(1, 1, 3, 3)]);
    }
}
