//! Feeds arbitrary compressed images to `netui_protocol::images::expand`, as the display
//! server does with an application's `PutImage` and a command-mode viewer with the server's:
//! any format, size and bytes, under a small limit. Nothing may panic, and nothing may be
//! allocated past the limit. An image that expands is compressed again in the same format
//! and must come back to the same pixels.
//!
//! The input: a byte for the format (its low two bits: `Rgb8Gradient`, `Rgb8Zstd`,
//! `Rgba8Zstd`), a byte each for the width and height (0 to 255; the third bit of the format
//! byte adds 256 to the width, so that images of two blocks' width come up), then the data.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netui_protocol::images::{compress, expand};
use netui_protocol::{ImageFormat, Size};

/// What one image may expand to: 256 KiB (a 300x256 RGB image fits; a larger one is refused
/// unread).
const MAX_BYTES: usize = 256 << 10;

fuzz_target!(|data: &[u8]| {
    let [kind, width, height, data @ ..] = data else {
        return;
    };
    let format = match kind & 3 {
        0 | 3 => ImageFormat::Rgb8Gradient,
        1 => ImageFormat::Rgb8Zstd,
        _ => ImageFormat::Rgba8Zstd,
    };
    let width = u32::from(*width) + if kind & 4 != 0 { 256 } else { 0 };
    let size = Size::new(width, u32::from(*height));
    let Ok(pixels) = expand(format, size, data, MAX_BYTES) else {
        return;
    };
    assert_eq!(
        pixels.len() as u64,
        size.area() * format.bytes_per_pixel() as u64
    );
    let again = compress(format, width, &pixels);
    assert!(expand(format, size, &again, MAX_BYTES).as_deref() == Ok(&pixels[..]));
});
