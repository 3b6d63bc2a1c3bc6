//! Typical desktop content at 1280x800 and four changes to it, for the encoders' criterion
//! benches (`benches/encoding.rs`, `benches/rfb.rs`): text typed into a notepad (small
//! rectangles), a 500x400 text area scrolled by 20 pixels (with its copy hint), the whole
//! screen replaced (an image viewer's next slide), and a screen of photographs turned half
//! round.

use demos::imageview::picture::scale_rgb;
use netui_protocol::{Color, Font, ImageFormat, Point, Rect};
use netui_scene::encoding::Hint;
use netui_scene::render::{Canvas, Fonts};

/// The screen's width.
pub const WIDTH: u32 = 1280;
/// The screen's height.
pub const HEIGHT: u32 = 800;

/// The notepad's text area, which is typed into and scrolled.
const NOTEPAD: Rect = Rect::new(70, 90, 500, 400);

/// A screen before and after a change, the damage, and the copy hints both ways.
pub struct Change {
    /// What it is, for the bench's name.
    pub name: &'static str,
    /// The screen before.
    pub before: Canvas,
    /// The screen after.
    pub after: Canvas,
    /// What changed (the same both ways).
    pub damage: Vec<Rect>,
    /// The copy hints from `before` to `after`.
    pub forward: Vec<Hint>,
    /// The copy hints from `after` back to `before`.
    pub backward: Vec<Hint>,
}

impl Change {
    /// Damaged pixels per iteration (the change and its reverse).
    pub fn pixels(&self) -> u64 {
        2 * self.damage.iter().map(|r| r.size().area()).sum::<u64>()
    }
}

/// A window: frame, title bar with its title, white client area.
fn window(screen: &mut Canvas, fonts: &mut Fonts, rect: Rect, title: &str) -> Rect {
    let clip = screen.bounds();
    screen.fill_rect(rect, Color::rgb(200, 200, 205), clip);
    screen.stroke_rect(rect, 1, Color::rgb(60, 60, 70), clip);
    let bar = Rect::new(rect.x + 1, rect.y + 1, rect.width - 2, 22);
    screen.fill_rect(bar, Color::rgb(50, 90, 160), clip);
    let pos = Point::new(bar.x + 8, bar.y + 4);
    screen.text(fonts, pos, Font::Sans, 13, Color::WHITE, title, bar);
    let client = Rect::new(rect.x + 4, rect.y + 26, rect.width - 8, rect.height - 30);
    screen.fill_rect(client, Color::WHITE, clip);
    client
}

/// Lines of text in `area`, `height` pixels apart.
fn lines(screen: &mut Canvas, fonts: &mut Fonts, area: Rect, font: Font, first: u32) {
    let metrics = fonts.line_metrics(font, 13);
    let mut y = area.y;
    let mut n = first;
    while i64::from(y) < area.bottom() {
        let text = format!("{n:4}  fn encode(&mut self, screen: &Canvas) -> Vec<EncodedRect> {{");
        screen.text(
            fonts,
            Point::new(area.x + 4, y),
            font,
            13,
            Color::BLACK,
            &text,
            area,
        );
        y += metrics.line_height;
        n += 1;
    }
}

/// A desktop: a gradient wallpaper, a notepad, a browser-like window with a banner and
/// paragraphs, a terminal.
fn desktop(fonts: &mut Fonts) -> Canvas {
    let mut screen = Canvas::new(WIDTH, HEIGHT, Color::BLACK);
    for y in 0..HEIGHT {
        let row = Rect::new(0, y as i32, WIDTH, 1);
        let c = (y * 120 / HEIGHT) as u8;
        screen.fill_rect(row, Color::rgb(20, 40 + c / 2, 80 + c), row);
    }
    let notepad = window(&mut screen, fonts, Rect::new(62, 60, 520, 440), "notes.txt");
    lines(&mut screen, fonts, notepad, Font::Mono, 1);

    let browser = window(
        &mut screen,
        fonts,
        Rect::new(620, 40, 620, 560),
        "netui — docs",
    );
    let banner = Rect::new(browser.x, browser.y, browser.width, 80);
    for x in 0..banner.width {
        let column = Rect::new(banner.x + x as i32, banner.y, 1, banner.height);
        let c = (x * 255 / banner.width) as u8;
        screen.fill_rect(column, Color::rgb(c, 100, 255 - c), column);
    }
    let text = Rect::new(browser.x + 10, browser.y + 90, browser.width - 20, 460);
    lines(&mut screen, fonts, text, Font::Sans, 100);

    let terminal = Rect::new(200, 520, 700, 260);
    let term = window(&mut screen, fonts, terminal, "terminal");
    screen.fill_rect(term, Color::rgb(20, 20, 20), term);
    for (i, line) in ["$ cargo bench", "   Compiling netui", "    Finished"]
        .iter()
        .enumerate()
    {
        let pos = Point::new(term.x + 4, term.y + 4 + 16 * i as i32);
        screen.text(
            fonts,
            pos,
            Font::Mono,
            13,
            Color::rgb(180, 255, 180),
            line,
            term,
        );
    }
    screen
}

/// (a) A word typed into the notepad, one damage rectangle per character, and the cursor.
fn typing(fonts: &mut Fonts, before: &Canvas) -> Change {
    let mut after = before.clone();
    let clip = after.bounds();
    let mut pen = Point::new(NOTEPAD.x + 4, NOTEPAD.y + 400 - 40);
    let blank = Rect::new(pen.x, pen.y, 200, 16);
    let mut damage = vec![after.fill_rect(blank, Color::WHITE, clip)];
    for c in "netui rocks".chars() {
        let drawn = after.text(
            fonts,
            pen,
            Font::Mono,
            13,
            Color::BLACK,
            &c.to_string(),
            clip,
        );
        damage.push(drawn);
        pen.x += fonts.text_width(Font::Mono, 13, &c.to_string()) as i32;
    }
    damage.push(after.fill_rect(Rect::new(pen.x + 1, pen.y, 1, 15), Color::BLACK, clip));
    damage.retain(|r| !r.is_empty());
    Change {
        name: "typing",
        before: before.clone(),
        after,
        damage,
        forward: Vec::new(),
        backward: Vec::new(),
    }
}

/// (b) The notepad's 500x400 text area scrolled up by 20 pixels, a new line at the bottom.
fn scroll(fonts: &mut Fonts, before: &Canvas) -> Change {
    let mut after = before.clone();
    let clip = after.bounds();
    let kept = Rect::new(
        NOTEPAD.x,
        NOTEPAD.y + 20,
        NOTEPAD.width,
        NOTEPAD.height - 20,
    );
    let dst = after.copy_within(kept, NOTEPAD.origin(), clip);
    let fresh = Rect::new(NOTEPAD.x, NOTEPAD.y + 380, NOTEPAD.width, 20);
    after.fill_rect(fresh, Color::WHITE, clip);
    lines(&mut after, fonts, fresh, Font::Mono, 999);
    // Back: rows 0..380 of the area move down by 20.
    let back = Rect::new(
        NOTEPAD.x,
        NOTEPAD.y + 20,
        NOTEPAD.width,
        NOTEPAD.height - 20,
    );
    Change {
        name: "scroll 500x400 by 20",
        before: before.clone(),
        after,
        damage: vec![NOTEPAD],
        forward: vec![Hint::Copy(dst, kept.origin())],
        backward: vec![Hint::Copy(back, NOTEPAD.origin())],
    }
}

/// (c) The whole screen replaced by an image viewer showing a picture: smooth colors, shapes,
/// a caption.
fn slide(fonts: &mut Fonts, before: &Canvas) -> Change {
    let mut after = Canvas::new(WIDTH, HEIGHT, Color::rgb(24, 24, 24));
    let picture = Rect::new(140, 50, 1000, 680);
    for y in 0..picture.height {
        let row = Rect::new(picture.x, picture.y + y as i32, picture.width, 1);
        for x in (0..picture.width).step_by(4) {
            let r = (x * 255 / picture.width) as u8;
            let b = (y * 255 / picture.height) as u8;
            let px = Rect::new(picture.x + x as i32, row.y, 4, 1);
            after.fill_rect(px, Color::rgb(r, 120, b), row);
        }
    }
    let clip = after.bounds();
    after.ellipse(
        Rect::new(400, 200, 300, 300),
        None,
        Color::rgba(255, 220, 80, 200),
        clip,
    );
    after.ellipse(
        Rect::new(700, 350, 250, 150),
        None,
        Color::rgba(40, 160, 60, 180),
        clip,
    );
    let caption = "IMG_2024.jpg — 12 of 40";
    after.text(
        fonts,
        Point::new(560, 750),
        Font::Sans,
        16,
        Color::WHITE,
        caption,
        clip,
    );
    Change {
        name: "whole screen",
        before: before.clone(),
        after,
        damage: vec![Rect::new(0, 0, WIDTH, HEIGHT)],
        forward: Vec::new(),
        backward: Vec::new(),
    }
}

/// (d) Photographs, as an image viewer shows them unscaled: the two that `imageview` ships
/// (640x480 each) side by side, and below them the two the other way round and upside down;
/// then the whole screen turned half round. No row and no tile of the one is in the other,
/// so `px-tiles` finds nothing in its cache (4,000 tiles each way, more than it holds) nor
/// a move of rows: what new photographic content costs, which the other changes have none
/// of.
fn photographs() -> Change {
    let mut before = Canvas::new(WIDTH, HEIGHT, Color::BLACK);
    let clip = before.bounds();
    let samples = demos::imageview::Source::samples();
    for (i, sample) in samples.iter().enumerate() {
        let picture = sample.load().expect("a shipped sample decodes");
        let size = picture.size();
        let rgb = scale_rgb(&picture, size, Color::BLACK);
        let width = size.width as i32;
        let at = Rect::new(i as i32 * width, 0, size.width, size.height);
        before.put_image(at, ImageFormat::Rgb8, &rgb, clip);
        let flipped: Vec<u8> = rgb
            .chunks_exact(3 * size.width as usize)
            .rev()
            .flatten()
            .copied()
            .collect();
        let below = Rect::new(
            (1 - i as i32) * width,
            size.height as i32,
            size.width,
            size.height,
        );
        before.put_image(below, ImageFormat::Rgb8, &flipped, clip);
    }
    let mut after = before.clone();
    after.pixels_mut().reverse();
    Change {
        name: "photographs",
        before,
        after,
        damage: vec![Rect::new(0, 0, WIDTH, HEIGHT)],
        forward: Vec::new(),
        backward: Vec::new(),
    }
}

/// The four changes of the desktop: typing, a scroll, a whole new screen, photographs.
pub fn changes() -> Vec<Change> {
    let mut fonts = Fonts::new();
    let screen = desktop(&mut fonts);
    vec![
        typing(&mut fonts, &screen),
        scroll(&mut fonts, &screen),
        slide(&mut fonts, &screen),
        photographs(),
    ]
}
