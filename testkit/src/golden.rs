//! Golden images: pixels read back from a server compared with a small PNG kept in the
//! repository (`tests/golden/NAME.png` of the crate whose test calls
//! [`crate::assert_golden!`]).
//! On a mismatch the actual image is written beside the golden one as `NAME.actual.png`, so
//! that a person can look at both; `NETUI_BLESS=1` (re)writes the golden instead (look at it
//! before committing it). And the small conversions that pixel tests share.

use std::path::Path;

use netui::{Display, Rect, ResourceId};

/// Compares RGBA pixels with `tests/golden/NAME.png` of the calling crate; see the module
/// doc. `assert_golden!(name, width, height, rgba)`, or `assert_golden!(name, image)` for a
/// [`netui::Image`] read back from a server.
///
/// ```no_run
/// # fn check(image: &netui::Image) {
/// netui_testkit::assert_golden!("clock", image);
/// # }
/// ```
#[macro_export]
macro_rules! assert_golden {
    ($name:expr, $image:expr) => {{
        let image: &netui::Image = $image;
        $crate::assert_golden!($name, image.area.width, image.area.height, &image.rgba)
    }};
    ($name:expr, $width:expr, $height:expr, $rgba:expr) => {
        $crate::golden::assert_golden_in(
            &::std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden"),
            $name,
            $width,
            $height,
            $rgba,
        )
    };
}

/// Compares RGBA pixels with `dir/NAME.png` (see the module doc); [`crate::assert_golden!`] names
/// the calling crate's `tests/golden` for `dir`.
pub fn assert_golden_in(dir: &Path, name: &str, width: u32, height: u32, rgba: &[u8]) {
    let path = dir.join(format!("{name}.png"));
    let actual = dir.join(format!("{name}.actual.png"));
    if std::env::var_os("NETUI_BLESS").is_some() {
        write_png(&path, width, height, rgba);
    }
    let why = match read_png(&path) {
        Ok((w, h, expected)) if (w, h) == (width, height) && expected == rgba => {
            let _ = std::fs::remove_file(&actual);
            return;
        }
        Ok((w, h, expected)) if (w, h) == (width, height) => {
            format!("{} pixels differ", differing(&expected, rgba))
        }
        Ok((w, h, _)) => format!("size {width}x{height} differs from the golden's {w}x{h}"),
        Err(e) => format!("no golden: {e}"),
    };
    write_png(&actual, width, height, rgba);
    panic!(
        "{name}: {why}; actual written to {} (NETUI_BLESS=1 rewrites goldens)",
        actual.display()
    );
}

/// How many RGBA pixels differ between two images of the same size.
pub fn differing(a: &[u8], b: &[u8]) -> usize {
    a.chunks(4).zip(b.chunks(4)).filter(|(x, y)| x != y).count()
}

/// The RGBA pixel at (x, y) of an image `width` wide.
pub fn pixel(rgba: &[u8], width: u32, x: u32, y: u32) -> [u8; 4] {
    let i = ((y * width + x) * 4) as usize;
    [rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]]
}

/// The RGBA of one screen pixel, read back from the server.
pub fn screen_pixel(display: &mut Display, x: i32, y: i32) -> [u8; 4] {
    let image = display
        .get_image(ResourceId::ROOT, Some(Rect::new(x, y, 1, 1)))
        .expect("get_image");
    pixel(&image.rgba, 1, 0, 0)
}

/// RGBA pixels as `0x00RRGGBB`, the form of X's and the viewers' pixels.
pub fn xrgb(rgba: &[u8]) -> Vec<u32> {
    rgba.chunks_exact(4)
        .map(|p| u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2]))
        .collect()
}

/// `0x00RRGGBB` pixels as opaque RGBA.
pub fn rgba(xrgb: &[u32]) -> Vec<u8> {
    xrgb.iter()
        .flat_map(|p| [(p >> 16) as u8, (p >> 8) as u8, *p as u8, 255])
        .collect()
}

/// Reads a PNG file as RGBA: `(width, height, rgba)`.
pub fn read_png(path: &Path) -> Result<(u32, u32, Vec<u8>), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    buf.truncate(info.buffer_size());
    match info.color_type {
        png::ColorType::Rgba => Ok((info.width, info.height, buf)),
        png::ColorType::Rgb => Ok((
            info.width,
            info.height,
            buf.chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect(),
        )),
        other => Err(format!("{}: a {other:?} image", path.display())),
    }
}

/// Writes RGBA pixels as a PNG file.
pub fn write_png(path: &Path, width: u32, height: u32, rgba: &[u8]) {
    let file = std::fs::File::create(path).expect("creates the PNG file");
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("a PNG header");
    writer.write_image_data(rgba).expect("PNG data");
    writer.finish().expect("the PNG is written");
}

/// `len` bytes of noise that no compressor shrinks, the same for the same `seed` (xorshift32;
/// `seed` must not be 0).
pub fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}
