//! A window that shows a copy of a screen: the winit window, its softbuffer surface, the copy
//! (a [`Canvas`] kept on the window's thread) and the parts of it not presented yet.
//!
//! The display server's screen window and the thin client's viewer window are both one of
//! these plus their own event handling. Only damaged rectangles are copied and presented; a
//! buffer that does not hold the previous frame (softbuffer's age) gets everything.

use std::num::NonZeroU32;
use std::rc::Rc;
use std::time::Duration;

use netui_protocol::{Color, Rect, Size};
use netui_scene::Canvas;
use winit::dpi::PhysicalSize;
use winit::event_loop::ActiveEventLoop;
use winit::window::Window;

use crate::Frame;

/// A window showing a copy of a screen.
pub struct Presenter {
    mirror: Canvas,
    damage: Vec<Rect>,
    /// What fills the window where the copy does not reach (while a resize is on its way).
    outside: Color,
    // The surface holds a handle to the window: it is dropped first (fields drop in order).
    surface: Option<softbuffer::Surface<Rc<Window>, Rc<Window>>>,
    window: Option<Rc<Window>>,
}

impl Presenter {
    /// A presenter for a screen of `size`, all `background` until pixels arrive. No window is
    /// open until [`Presenter::open`].
    pub fn new(size: Size, background: Color) -> Self {
        Self {
            mirror: Canvas::new(size.width, size.height, background),
            damage: vec![Rect::from_size(size)],
            outside: background,
            surface: None,
            window: None,
        }
    }

    /// Opens the window, titled `title` and as large as the screen copy. Call it from
    /// `resumed`; the error says what failed.
    pub fn open(&mut self, event_loop: &ActiveEventLoop, title: &str) -> Result<(), String> {
        let size = self.mirror.size();
        let attributes = Window::default_attributes()
            .with_title(title)
            .with_inner_size(PhysicalSize::new(size.width, size.height));
        let window = Rc::new(
            event_loop
                .create_window(attributes)
                .map_err(|e| format!("cannot open the window \"{title}\": {e}"))?,
        );
        let context = softbuffer::Context::new(window.clone())
            .map_err(|e| format!("cannot draw into the window \"{title}\": {e}"))?;
        let surface = softbuffer::Surface::new(&context, window.clone())
            .map_err(|e| format!("cannot draw into the window \"{title}\": {e}"))?;
        self.surface = Some(surface);
        self.window = Some(window);
        Ok(())
    }

    /// Whether the window is open.
    pub fn is_open(&self) -> bool {
        self.window.is_some()
    }

    /// The window, once open.
    pub fn window(&self) -> Option<&Window> {
        self.window.as_deref()
    }

    /// The time between two refreshes of the monitor the window is on, when it is known.
    pub fn refresh_interval(&self) -> Option<Duration> {
        let mhz = self
            .window
            .as_ref()?
            .current_monitor()?
            .refresh_rate_millihertz()?;
        (mhz > 0).then(|| Duration::from_nanos(1_000_000_000_000 / u64::from(mhz)))
    }

    /// The copy of the screen.
    pub fn mirror(&self) -> &Canvas {
        &self.mirror
    }

    /// Writes a frame into the copy and asks for a redraw of what it changed.
    pub fn apply(&mut self, frame: &Frame) {
        let written = frame.apply(&mut self.mirror);
        self.damage.extend(written);
        self.request_redraw();
    }

    /// Makes the copy `size` (filled with the background) and asks for a full redraw.
    pub fn resize(&mut self, size: Size) {
        self.mirror.resize(size.width, size.height, self.outside);
        self.damage.push(Rect::from_size(size));
        self.request_redraw();
    }

    /// Marks `rect` of the window for the next redraw.
    pub fn damage(&mut self, rect: Rect) {
        self.damage.push(rect);
        self.request_redraw();
    }

    /// Asks winit for a `RedrawRequested`, once the window is open.
    pub fn request_redraw(&self) {
        if let Some(window) = &self.window {
            window.request_redraw();
        }
    }

    /// Copies the damaged parts of the screen copy into the window, and `always` whether
    /// damaged or not, then lets `paint` draw over the buffer (`width` pixels wide; an
    /// overlay inside `always`, say) and presents. Call it on `RedrawRequested`.
    pub fn redraw(
        &mut self,
        always: Option<Rect>,
        paint: impl FnOnce(&mut [u32], u32, &Canvas),
    ) -> Result<(), String> {
        let (Some(window), Some(surface)) = (&self.window, &mut self.surface) else {
            return Ok(());
        };
        let size = window.inner_size();
        let (Some(w), Some(h)) = (NonZeroU32::new(size.width), NonZeroU32::new(size.height)) else {
            return Ok(());
        };
        surface.resize(w, h).map_err(|e| e.to_string())?;
        let mut buffer = surface.buffer_mut().map_err(|e| e.to_string())?;
        let target = Rect::new(0, 0, size.width, size.height);
        // A buffer that does not hold the previous frame needs everything.
        let mut rects: Vec<Rect> = if buffer.age() == 1 {
            self.damage.iter().map(|r| r.intersect(target)).collect()
        } else {
            vec![target]
        };
        self.damage.clear();
        rects.extend(always);
        let presented = copy_rects(
            &mut buffer,
            size.width,
            &self.mirror,
            &rects,
            self.outside.to_xrgb(),
        );
        paint(&mut buffer, size.width, &self.mirror);
        buffer
            .present_with_damage(&presented)
            .map_err(|e| e.to_string())
    }
}

/// Copies rectangles of a screen copy into a presentation buffer `width` pixels wide, and
/// returns them as softbuffer's damage. Parts outside the copy (while a resize is on its
/// way) get `outside`.
pub fn copy_rects(
    buffer: &mut [u32],
    width: u32,
    copy: &Canvas,
    rects: &[Rect],
    outside: u32,
) -> Vec<softbuffer::Rect> {
    let height = (buffer.len() / width.max(1) as usize) as u32;
    let target = Rect::new(0, 0, width, height);
    let mut presented = Vec::with_capacity(rects.len());
    for r in rects
        .iter()
        .map(|r| r.intersect(target))
        .filter(|r| !r.is_empty())
    {
        let inside = r.intersect(copy.bounds());
        for y in r.y..r.y + r.height as i32 {
            let start = y as usize * width as usize + r.x as usize;
            let dst = &mut buffer[start..start + r.width as usize];
            let n = if inside.is_empty() || i64::from(y) >= inside.bottom() {
                0
            } else {
                inside.width as usize
            };
            if n > 0 {
                // Only rows inside the copy are read: below it even an empty range would
                // start past its end.
                let src = y as usize * copy.width() as usize + r.x as usize;
                dst[..n].copy_from_slice(&copy.pixels()[src..src + n]);
            }
            dst[n..].fill(outside);
        }
        if let (Some(rw), Some(rh)) = (NonZeroU32::new(r.width), NonZeroU32::new(r.height)) {
            presented.push(softbuffer::Rect {
                x: r.x as u32,
                y: r.y as u32,
                width: rw,
                height: rh,
            });
        }
    }
    presented
}

#[cfg(test)]
mod tests {
    use super::*;
    use netui_protocol::Color;

    #[test]
    fn a_window_larger_than_the_screen_copy_gets_the_outside_colour_there() {
        // The window grew (a resize on its way to the server): 6x5 against a 4x3 copy.
        let copy = Canvas::new(4, 3, Color::rgb(1, 2, 3));
        let mut buffer = vec![0u32; 6 * 5];
        let presented = copy_rects(&mut buffer, 6, &copy, &[Rect::new(0, 0, 6, 5)], 0x00ab_cdef);
        assert_eq!(presented.len(), 1);
        for (i, &p) in buffer.iter().enumerate() {
            let (x, y) = (i % 6, i / 6);
            let expected = if x < 4 && y < 3 {
                0x0001_0203
            } else {
                0x00ab_cdef
            };
            assert_eq!(p, expected, "({x}, {y})");
        }
    }
}
