//! The built-in window manager's look and geometry: every application window gets a border and
//! a title bar with its title and a close button.
//!
//! A window's `rect` is its content area, where the application draws; the frame is drawn
//! around it by the compositor, so decorations cost the application nothing and look the same
//! whether the screen is headless or a real window. What the pointer does with a frame
//! (raise, move, close) is the display server's business (its `input` module).

use netui_protocol::{Color, Font, Point, Rect, Size};

use crate::render::{Canvas, Fonts};

/// Height of the title bar above the content.
pub const TITLE_HEIGHT: u32 = 24;
/// Width of the border on the other sides.
pub const BORDER: u32 = 1;
/// Side of the close button's square.
const CLOSE_SIDE: u32 = 16;
/// Title text size in pixels.
const TITLE_SIZE: u16 = 13;

const FOCUSED_BAR: Color = Color::rgb(0x3b, 0x5b, 0x98);
const UNFOCUSED_BAR: Color = Color::rgb(0x8a, 0x90, 0x9a);
const FOCUSED_TEXT: Color = Color::WHITE;
const UNFOCUSED_TEXT: Color = Color::rgb(0xe8, 0xea, 0xee);
const BORDER_COLOR: Color = Color::rgb(0x1c, 0x20, 0x28);
const CLOSE_FOCUSED: Color = Color::rgb(0xd0, 0x4a, 0x3a);

/// What part of a frame a screen point is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The application's own pixels.
    Content,
    /// The title bar, outside the close button: drag to move.
    Title,
    /// The close button.
    Close,
    /// The border.
    Border,
}

/// The whole frame around a content rectangle: border, title bar and content.
pub fn frame_rect(content: Rect) -> Rect {
    let top = TITLE_HEIGHT + BORDER;
    Rect::from_edges(
        i64::from(content.x) - i64::from(BORDER),
        i64::from(content.y) - i64::from(top),
        content.right() + i64::from(BORDER),
        content.bottom() + i64::from(BORDER),
    )
}

/// The title bar (above the content, inside the border).
pub fn title_rect(content: Rect) -> Rect {
    Rect::new(
        content.x,
        content.y.saturating_sub(TITLE_HEIGHT as i32),
        content.width,
        TITLE_HEIGHT,
    )
}

/// The close button, at the right end of the title bar.
pub fn close_rect(content: Rect) -> Rect {
    let bar = title_rect(content);
    let margin = (TITLE_HEIGHT - CLOSE_SIDE) / 2;
    let x = bar.right() - i64::from(margin + CLOSE_SIDE);
    Rect::new(
        x.max(i64::from(bar.x)) as i32,
        bar.y.saturating_add(margin as i32),
        CLOSE_SIDE.min(bar.width),
        CLOSE_SIDE,
    )
}

/// Which part of the frame of `content` holds `p`, if any.
pub fn hit(content: Rect, p: Point) -> Option<Part> {
    if content.contains(p) {
        Some(Part::Content)
    } else if close_rect(content).contains(p) {
        Some(Part::Close)
    } else if title_rect(content).contains(p) {
        Some(Part::Title)
    } else if frame_rect(content).contains(p) {
        Some(Part::Border)
    } else {
        None
    }
}

/// Where a newly mapped window goes: where it asked, moved so that its title bar is on the
/// screen (a window whose title bar cannot be reached cannot be moved or closed).
pub fn place(content: Rect, screen: Size) -> Rect {
    let frame = frame_rect(content);
    let mut x = i64::from(content.x);
    let mut y = i64::from(content.y);
    if i64::from(frame.y) < 0 {
        y -= i64::from(frame.y);
    }
    if i64::from(frame.x) < 0 {
        x -= i64::from(frame.x);
    }
    // Keep at least the left part of the title bar on screen.
    let max_x = i64::from(screen.width) - 48;
    let max_y = i64::from(screen.height) - i64::from(BORDER);
    x = x.min(max_x.max(i64::from(BORDER)));
    y = y.min(max_y.max(i64::from(TITLE_HEIGHT + BORDER)));
    Rect::new(x as i32, y as i32, content.width, content.height)
}

/// Draws the frame of a window (not its content) into the screen, clipped to `clip`.
pub fn draw_frame(
    screen: &mut Canvas,
    fonts: &mut Fonts,
    content: Rect,
    title: &str,
    focused: bool,
    clip: Rect,
) {
    let frame = frame_rect(content);
    if frame.intersect(clip).is_empty() {
        return;
    }
    screen.stroke_rect(frame, BORDER as u16, BORDER_COLOR, clip);
    let bar = title_rect(content);
    let (bar_color, text_color) = if focused {
        (FOCUSED_BAR, FOCUSED_TEXT)
    } else {
        (UNFOCUSED_BAR, UNFOCUSED_TEXT)
    };
    screen.fill_rect(bar, bar_color, clip);
    let close = close_rect(content);
    // The title, kept clear of the close button.
    let metrics = fonts.line_metrics(Font::Sans, TITLE_SIZE);
    let text_y = bar.y + (TITLE_HEIGHT as i32 - metrics.line_height) / 2;
    let text_clip = clip.intersect(Rect::from_edges(
        i64::from(bar.x),
        i64::from(bar.y),
        i64::from(close.x) - 4,
        bar.bottom(),
    ));
    screen.text(
        fonts,
        Point::new(bar.x.saturating_add(8), text_y),
        Font::Sans,
        TITLE_SIZE,
        text_color,
        title,
        text_clip,
    );
    // The close button: a square with an X.
    let button = if focused { CLOSE_FOCUSED } else { bar_color };
    screen.fill_rect(close, button, clip);
    let inset = 4;
    let (x0, y0) = (close.x + inset, close.y + inset);
    let (x1, y1) = (
        close.x + close.width as i32 - 1 - inset,
        close.y + close.height as i32 - 1 - inset,
    );
    // Inside the button: on a window narrower than the button the lines would reach the
    // border, which a change of focus does not redraw.
    let x_clip = clip.intersect(close);
    screen.line(
        Point::new(x0, y0),
        Point::new(x1, y1),
        2,
        text_color,
        x_clip,
    );
    screen.line(
        Point::new(x0, y1),
        Point::new(x1, y0),
        2,
        text_color,
        x_clip,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_parts_are_where_they_should_be() {
        let content = Rect::new(100, 100, 200, 100);
        assert_eq!(frame_rect(content), Rect::new(99, 75, 202, 126));
        assert_eq!(hit(content, Point::new(150, 150)), Some(Part::Content));
        assert_eq!(hit(content, Point::new(150, 90)), Some(Part::Title));
        let close = close_rect(content);
        assert_eq!(
            hit(content, Point::new(close.x + 2, close.y + 2)),
            Some(Part::Close)
        );
        assert_eq!(hit(content, Point::new(99, 150)), Some(Part::Border));
        assert_eq!(hit(content, Point::new(98, 150)), None);
        assert!(close.right() <= content.right());
    }

    #[test]
    fn placement_keeps_the_title_bar_on_screen() {
        let screen = Size::new(800, 600);
        let placed = place(Rect::new(-50, 0, 100, 100), screen);
        assert_eq!(frame_rect(placed).y, 0);
        assert_eq!(frame_rect(placed).x, 0);
        let far = place(Rect::new(5000, 5000, 100, 100), screen);
        assert!(
            title_rect(far).x < 800 && title_rect(far).y < 600,
            "{far:?}"
        );
        // A window that fits is left alone.
        let fine = Rect::new(100, 100, 100, 100);
        assert_eq!(place(fine, screen), fine);
    }

    #[test]
    fn focused_and_unfocused_frames_differ() {
        let content = Rect::new(10, 30, 120, 40);
        let mut fonts = Fonts::new();
        let mut a = Canvas::new(200, 100, Color::BLACK);
        let mut b = a.clone();
        let all = a.bounds();
        draw_frame(&mut a, &mut fonts, content, "title", true, all);
        draw_frame(&mut b, &mut fonts, content, "title", false, all);
        assert_ne!(a, b);
        // Nothing is drawn inside the content area.
        assert_eq!(a.pixel(50, 50), Some(0));
        assert_eq!(
            a.pixel(content.x + 5, content.y - 5),
            Some(FOCUSED_BAR.to_xrgb())
        );
    }
}
