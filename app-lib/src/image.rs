//! PNG images as 8-bit RGBA pixels: what the clipboard's `image/png` carries, what
//! screenshots are written as, and what image viewers show.

/// An image decoded from PNG: `width` x `height` pixels, four bytes each (red, green, blue,
/// alpha), row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgba {
    /// Pixels across.
    pub width: u32,
    /// Pixels down.
    pub height: u32,
    /// `4 * width * height` bytes.
    pub pixels: Vec<u8>,
}

/// Decodes PNG data of any color type and depth to RGBA. The decoder's default limits bound
/// the memory that a hostile image can make it allocate.
pub fn decode_png(data: impl std::io::Read) -> Result<Rgba, String> {
    let mut decoder = png::Decoder::new(data);
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    buf.truncate(info.buffer_size());
    let pixels = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        png::ColorType::GrayscaleAlpha => buf
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        // EXPAND turns palettes into RGB(A); say so rather than show garbage.
        png::ColorType::Indexed => return Err("an indexed image was not expanded".into()),
    };
    let (width, height) = (info.width, info.height);
    if pixels.len() as u64 != 4 * u64::from(width) * u64::from(height) {
        return Err(format!("{width}x{height} pixels in {} bytes", pixels.len()));
    }
    Ok(Rgba {
        width,
        height,
        pixels,
    })
}

/// Encodes `width` x `height` RGBA pixels as PNG.
pub fn encode_png(width: u32, height: u32, rgba: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(rgba).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_round_trip_pixel_exact_and_garbage_is_an_error() {
        let pixels: Vec<u8> = (0..5 * 3 * 4).map(|i| (i * 17) as u8).collect();
        let png = encode_png(5, 3, &pixels).expect("encodes");
        let back = decode_png(&png[..]).expect("decodes");
        assert_eq!(
            back,
            Rgba {
                width: 5,
                height: 3,
                pixels
            }
        );
        assert!(decode_png(&b"not a png"[..]).is_err());
        assert!(encode_png(5, 3, &[0; 7]).is_err());
    }
}
