//! The hello-window demo: a window with shapes, text and an image, redrawn on every expose.
//! Escape or the window manager's close button ends it.

use netui::{Color, Display, Font, ImageFormat, Point, Rect, Size, Window};

use crate::pump::{self, Redraw};

/// The window's place and size.
pub const RECT: Rect = Rect::new(80, 60, 480, 320);
/// The window's title.
pub const TITLE: &str = "Hello, netui";
const BACKGROUND: Color = Color::rgb(0xf4, 0xf1, 0xea);

/// Opens the window and serves it until it is closed. Returns when the user closes it or
/// presses Escape.
pub fn run(display: &mut Display) -> Result<(), netui::Error> {
    let window = display.create_window(RECT, TITLE, BACKGROUND)?;
    display.map(window);
    pump::run_redrawing(
        display,
        &mut Hello {
            window,
            size: RECT.size(),
        },
    )
}

/// The window in the pump.
struct Hello {
    window: Window,
    size: Size,
}

impl Redraw for Hello {
    fn size(&self) -> Size {
        self.size
    }

    fn resize(&mut self, _display: &mut Display, size: Size) -> Result<(), netui::Error> {
        self.size = size;
        Ok(())
    }

    fn redraw(&mut self, display: &mut Display) -> Result<(), netui::Error> {
        draw(display, self.window)
    }
}

/// Opens the window and draws it `frames` times (at least once), for tests and benchmarks.
pub fn script(display: &mut Display, frames: u32) -> Result<Window, netui::Error> {
    let window = display.create_window(RECT, TITLE, BACKGROUND)?;
    display.map(window);
    for _ in 0..frames.max(1) {
        draw(display, window)?;
    }
    display.sync()?;
    Ok(window)
}

/// Draws the whole window.
pub fn draw(display: &mut Display, window: Window) -> Result<(), netui::Error> {
    display.clear(window, None);
    // A title band.
    display.fill_rect(
        window,
        Rect::new(0, 0, RECT.width, 48),
        Color::rgb(0x3b, 0x5b, 0x98),
    );
    display.text(
        window,
        Point::new(16, 10),
        Font::Sans,
        24,
        Color::WHITE,
        "Hello, netui!",
    );
    // Shapes.
    display.fill_rect(
        window,
        Rect::new(24, 72, 96, 64),
        Color::rgb(0xd6, 0x45, 0x41),
    );
    display.stroke_rect(
        window,
        Rect::new(136, 72, 96, 64),
        3,
        Color::rgb(0x2f, 0x85, 0x5a),
    );
    display.fill_ellipse(
        window,
        Rect::new(248, 72, 96, 64),
        Color::rgb(0xe3, 0xa0, 0x08),
    );
    display.stroke_ellipse(
        window,
        Rect::new(360, 72, 96, 64),
        2,
        Color::rgb(0x6b, 0x46, 0xc1),
    );
    display.polyline(
        window,
        &[
            Point::new(24, 220),
            Point::new(80, 160),
            Point::new(136, 220),
            Point::new(192, 160),
        ],
        3,
        Color::rgb(0x1a, 0x20, 0x2c),
    );
    for i in 0..8 {
        display.line(
            window,
            Point::new(24, 236 + i * 6),
            Point::new(192, 230 + i * 7),
            1,
            Color::rgb(0x4a, 0x55, 0x68),
        );
    }
    // An image: a 96x96 color gradient with a translucent disc, sent as RGBA.
    let (w, h) = (96u32, 96u32);
    display.put_image(
        window,
        Rect::new(248, 160, w, h),
        ImageFormat::Rgba8,
        &gradient(w, h),
    );
    display.text(
        window,
        Point::new(24, 294),
        Font::Mono,
        14,
        Color::rgb(0x2d, 0x37, 0x48),
        "Esc or close to quit",
    );
    display.present(window)
}

/// A 2D gradient with a translucent disc in the middle, as RGBA bytes.
pub fn gradient(w: u32, h: u32) -> Vec<u8> {
    let mut data = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            let (cx, cy) = (x as i32 - w as i32 / 2, y as i32 - h as i32 / 2);
            let inside = cx * cx + cy * cy < (w as i32 / 3).pow(2);
            let r = (x * 255 / w.max(1)) as u8;
            let g = (y * 255 / h.max(1)) as u8;
            let (b, a) = if inside { (255, 160) } else { (128, 255) };
            data.extend_from_slice(&[r, g, b, a]);
        }
    }
    data
}
