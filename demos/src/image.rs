//! PNG files: what `screenshot` writes and what tests compare.

use std::path::Path;

use anyhow::Context;

/// Writes RGBA pixels as a PNG file.
pub fn write_png(path: &Path, width: u32, height: u32, rgba: &[u8]) -> anyhow::Result<()> {
    let png = netui::image::encode_png(width, height, rgba).map_err(anyhow::Error::msg)?;
    std::fs::write(path, png).with_context(|| format!("cannot write {}", path.display()))
}
