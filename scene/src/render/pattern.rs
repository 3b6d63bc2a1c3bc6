//! Test helpers: canvases drawn as ASCII art, one character per pixel.
//!
//! `.` black, `#` white, `R` red, `G` green, `B` blue, `?` any other color.

use super::Canvas;
use netui_protocol::Color;

/// A black canvas.
pub fn blank(width: u32, height: u32) -> Canvas {
    Canvas::new(width, height, Color::BLACK)
}

/// The canvas as rows of characters.
pub fn picture(canvas: &Canvas) -> Vec<String> {
    if canvas.width() == 0 {
        return vec![String::new(); canvas.height() as usize];
    }
    canvas
        .pixels()
        .chunks(canvas.width() as usize)
        .map(|row| {
            row.iter()
                .map(|&p| match p {
                    0x0000_0000 => '.',
                    0x00ff_ffff => '#',
                    0x00ff_0000 => 'R',
                    0x0000_ff00 => 'G',
                    0x0000_00ff => 'B',
                    _ => '?',
                })
                .collect()
        })
        .collect()
}

/// Panics, showing both pictures, unless the canvas looks like `expected`.
#[track_caller]
pub fn assert_picture(canvas: &Canvas, expected: &[&str]) {
    let actual = picture(canvas);
    if actual != expected {
        panic!(
            "canvas differs from the expected picture\nexpected:\n{}\nactual:\n{}\n",
            expected.join("\n"),
            actual.join("\n")
        );
    }
}
