//! Decoded images for the viewer: PNG decoding, fitting a size into another, and scaling
//! down to RGB pixels over a backdrop.

use netui::{Color, Size};

/// An image as RGBA bytes, rows top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 4` bytes, straight alpha.
    pub rgba: Vec<u8>,
}

impl Picture {
    /// The image's size.
    pub fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

/// Why an image cannot be shown.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read.
    Read {
        /// The file.
        name: String,
        /// Why.
        source: std::io::Error,
    },
    /// The bytes are not a PNG image that the decoder understands.
    NotPng {
        /// The file.
        name: String,
        /// What the decoder said.
        reason: String,
    },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Read { name, source } => write!(f, "cannot read {name}: {source}"),
            LoadError::NotPng { name, reason } => {
                write!(f, "{name} is not a PNG image ({reason})")
            }
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Read { source, .. } => Some(source),
            LoadError::NotPng { .. } => None,
        }
    }
}

/// Decodes a PNG file's bytes (any color type and depth) to RGBA. The decoder's default
/// limits bound the memory a hostile file can make it allocate.
pub fn decode_png(name: &str, bytes: &[u8]) -> Result<Picture, LoadError> {
    let image = netui::image::decode_png(bytes).map_err(|reason| LoadError::NotPng {
        name: name.to_owned(),
        reason: reason.trim_end_matches('.').to_lowercase(),
    })?;
    Ok(Picture {
        width: image.width,
        height: image.height,
        rgba: image.pixels,
    })
}

/// The size at which an image of `image` fits inside `area`: scaled down with its aspect
/// ratio kept (rounded to whole pixels), never up, and at least one pixel each way.
pub fn fit(image: Size, area: Size) -> Size {
    if image.width == 0 || image.height == 0 || area.width == 0 || area.height == 0 {
        return Size::new(0, 0);
    }
    let scale = (f64::from(area.width) / f64::from(image.width))
        .min(f64::from(area.height) / f64::from(image.height))
        .min(1.0);
    let side = |v: u32, max: u32| ((f64::from(v) * scale).round() as u32).clamp(1, max);
    Size::new(
        side(image.width, area.width),
        side(image.height, area.height),
    )
}

/// Scales `picture` to `to` (bilinear) and composites it over `backdrop`: RGB bytes, rows
/// top to bottom, ready for a `PutImage` in the `Rgb8` format.
pub fn scale_rgb(picture: &Picture, to: Size, backdrop: Color) -> Vec<u8> {
    let (sw, sh) = (picture.width as usize, picture.height as usize);
    let (dw, dh) = (to.width as usize, to.height as usize);
    if sw == 0 || sh == 0 || picture.rgba.len() < sw * sh * 4 {
        return [backdrop.r, backdrop.g, backdrop.b].repeat(dw * dh);
    }
    // For each column (and row) of the result: the two source columns it lies between and
    // the second one's weight, out of 256.
    let taps = |src: usize, dst: usize| -> Vec<(usize, usize, u32)> {
        (0..dst)
            .map(|d| {
                let x = ((d as f64 + 0.5) * src as f64 / dst as f64 - 0.5).max(0.0);
                let x0 = (x as usize).min(src - 1);
                let weight = ((x - x0 as f64) * 256.0).round() as u32;
                (x0, (x0 + 1).min(src - 1), weight.min(256))
            })
            .collect()
    };
    let (xs, ys) = (taps(sw, dw), taps(sh, dh));
    let back = [backdrop.r, backdrop.g, backdrop.b].map(u32::from);
    let rgba = &picture.rgba;
    let mut out = Vec::with_capacity(dw * dh * 3);
    for &(y0, y1, wy) in &ys {
        let (row0, row1) = (y0 * sw * 4, y1 * sw * 4);
        for &(x0, x1, wx) in &xs {
            let mut px = [0u32; 4];
            for (c, v) in px.iter_mut().enumerate() {
                let at = |row: usize, x: usize| u32::from(rgba[row + x * 4 + c]);
                let top = at(row0, x0) * (256 - wx) + at(row0, x1) * wx;
                let bottom = at(row1, x0) * (256 - wx) + at(row1, x1) * wx;
                *v = (top * (256 - wy) + bottom * wy + (1 << 15)) >> 16;
            }
            let alpha = px[3];
            for c in 0..3 {
                let v = (px[c] * alpha + back[c] * (255 - alpha) + 127) / 255;
                out.push(v as u8);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_keeps_the_aspect_ratio_and_never_enlarges() {
        assert_eq!(
            fit(Size::new(1000, 500), Size::new(400, 400)),
            Size::new(400, 200)
        );
        assert_eq!(
            fit(Size::new(640, 480), Size::new(560, 412)),
            Size::new(549, 412)
        );
        assert_eq!(
            fit(Size::new(100, 50), Size::new(800, 600)),
            Size::new(100, 50)
        );
        assert_eq!(
            fit(Size::new(10_000, 1), Size::new(100, 100)),
            Size::new(100, 1)
        );
    }

    #[test]
    fn scaling_a_flat_image_keeps_its_color_and_blends_alpha() {
        let picture = Picture {
            width: 4,
            height: 4,
            rgba: [200, 100, 50, 255].repeat(16),
        };
        let rgb = scale_rgb(&picture, Size::new(2, 3), Color::BLACK);
        assert_eq!(rgb, [200, 100, 50].repeat(6));
        let clear = Picture {
            rgba: [200, 100, 50, 0].repeat(16),
            ..picture
        };
        let rgb = scale_rgb(&clear, Size::new(1, 1), Color::rgb(1, 2, 3));
        assert_eq!(rgb, [1, 2, 3]);
    }

    #[test]
    fn text_is_not_a_png() {
        let err = decode_png("notes.txt", b"hello, world").expect_err("not a PNG");
        assert!(matches!(err, LoadError::NotPng { .. }));
        assert!(err.to_string().starts_with("notes.txt is not a PNG image"));
    }
}
