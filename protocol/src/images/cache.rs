//! The images coded lately, both ways ([`CodedImages`]): a large image drawn again (a
//! slideshow's slide that comes back) is neither compressed again for command-mode viewers
//! nor expanded again.
//!
//! Coding a photograph takes tens of milliseconds each way (the gradient coder runs at 14 to
//! 23 Mpx/s: `images/` in the encoding bench), on the display server's thread that carries
//! out every client's requests; the bytes of a slide shown again cost a reference on an
//! `lz4-ctx` connection, and with the cache its coding costs a comparison of its bytes. The
//! cache keeps each image raw and compressed, whichever way it was coded, and is found by
//! either.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

use super::{expand, pack, packed_with, ImageError, PACK_MIN};
use crate::{ImageFormat, Request, Size};

/// Images kept at most: a few slides, each in a few strips.
const ENTRIES: usize = 16;
/// Bytes kept at most, raw and compressed together: a few full-screen slides.
const BYTES: usize = 32 << 20;

/// One image, raw and compressed.
struct Coded {
    /// The compressed format.
    format: ImageFormat,
    size: Size,
    raw: Arc<[u8]>,
    /// `None` when compressing did not make it smaller: it goes raw.
    packed: Option<Arc<[u8]>>,
}

impl Coded {
    fn bytes(&self) -> usize {
        self.raw.len() + self.packed.as_ref().map_or(0, |p| p.len())
    }
}

/// The images coded lately, the latest first: 16 at most, of 32 MiB at most.
#[derive(Default)]
pub struct CodedImages {
    recent: VecDeque<Coded>,
}

impl std::fmt::Debug for CodedImages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CodedImages({} kept)", self.recent.len())
    }
}

impl CodedImages {
    /// Whether `data`, an image of `size` in `format` (raw, or compressed as command mode
    /// sends it), is kept: packing or expanding it costs no coding.
    pub fn knows(&self, format: ImageFormat, size: Size, data: &[u8]) -> bool {
        if format.is_compressed() {
            self.find_packed(format, size, data)
        } else {
            self.find_raw(format, size, data)
        }
        .is_some()
    }

    /// Any compressed form of `raw` serves: one that an application sent (and so is
    /// forwarded as it came) or one made here.
    fn find_raw(&self, format: ImageFormat, size: Size, raw: &[u8]) -> Option<usize> {
        self.recent
            .iter()
            .position(|c| c.format.pixels() == format.pixels() && c.size == size && *c.raw == *raw)
    }

    fn find_packed(&self, format: ImageFormat, size: Size, data: &[u8]) -> Option<usize> {
        self.recent
            .iter()
            .position(|c| c.format == format && c.size == size && c.packed.as_deref() == Some(data))
    }

    /// `raw` (an image of `size` in the raw `format`) compressed as command mode sends it,
    /// and its format, or `None` when it goes raw ([`pack`]).
    pub fn pack(
        &mut self,
        format: ImageFormat,
        size: Size,
        raw: &[u8],
    ) -> Option<(ImageFormat, Vec<u8>)> {
        if format.is_compressed() || raw.len() < PACK_MIN {
            return None;
        }
        let at = match self.find_raw(format, size, raw) {
            Some(at) => at,
            None => {
                let packed = pack(format, size.width, raw);
                self.keep(Coded {
                    format: packed.as_ref().map_or(format.compressed(), |p| p.0),
                    size,
                    raw: Arc::from(raw),
                    packed: packed.map(|(_, bytes)| Arc::from(bytes)),
                })
            }
        };
        let coded = self.bring_forward(at);
        coded.packed.as_deref().map(|p| (coded.format, p.to_vec()))
    }

    /// The raw pixels of `data`, an image of `size` in the compressed `format`, refused as
    /// [`expand`] refuses it.
    pub fn expand(
        &mut self,
        format: ImageFormat,
        size: Size,
        data: &[u8],
        max_bytes: usize,
    ) -> Result<Arc<[u8]>, ImageError> {
        let at = match self.find_packed(format, size, data) {
            Some(at) => at,
            None => {
                let raw = expand(format, size, data, max_bytes)?;
                self.keep(Coded {
                    format,
                    size,
                    raw: Arc::from(raw),
                    packed: Some(Arc::from(data)),
                })
            }
        };
        Ok(self.bring_forward(at).raw.clone())
    }

    /// `request` as command-mode viewers receive it: [`super::packed`]'s, an image coded
    /// lately found instead of coded again.
    pub fn packed<'a>(&mut self, request: &'a Request) -> Vec<Cow<'a, Request>> {
        packed_with(request, |format, size, raw| self.pack(format, size, raw))
    }

    /// Keeps `coded` as the latest, forgetting the oldest beyond the bounds; returns where it
    /// is. (No image is beyond them alone: one is at most a frame's payload raw, and less
    /// than that compressed.)
    fn keep(&mut self, coded: Coded) -> usize {
        self.recent.push_front(coded);
        let mut bytes = 0;
        let keep = self
            .recent
            .iter()
            .take(ENTRIES)
            .take_while(|c| {
                bytes += c.bytes();
                bytes <= BYTES
            })
            .count();
        self.recent.truncate(keep.max(1));
        0
    }

    fn bring_forward(&mut self, at: usize) -> &Coded {
        if at > 0 {
            if let Some(coded) = self.recent.remove(at) {
                self.recent.push_front(coded);
            }
        }
        &self.recent[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(n: u8, width: u32, height: u32) -> Vec<u8> {
        (0..width * height * 3)
            .map(|i| (i / 3 % width + i / 3 / width * 2) as u8 ^ n)
            .collect()
    }

    /// An image packed or expanded again comes from the cache, whichever way it was coded,
    /// and gives what coding it gives.
    #[test]
    fn an_image_coded_before_is_found_either_way() {
        let mut cache = CodedImages::default();
        let size = Size::new(64, 48);
        let raw = image(1, 64, 48);
        let (format, packed) = cache.pack(ImageFormat::Rgb8, size, &raw).expect("packed");
        assert_eq!(
            (format, packed.clone()),
            pack(ImageFormat::Rgb8, 64, &raw).expect("packed")
        );
        assert_eq!(format, ImageFormat::Rgb8Gradient);
        assert!(cache.knows(ImageFormat::Rgb8, size, &raw));
        assert!(cache.knows(format, size, &packed));
        let back = cache.expand(format, size, &packed, usize::MAX).unwrap();
        assert_eq!(*back, *raw);
        assert_eq!(cache.recent.len(), 1, "found, not coded again");
        // Another image of the same size, and the same bytes as another size: not found.
        let other = image(2, 64, 48);
        assert!(!cache.knows(ImageFormat::Rgb8, size, &other));
        assert!(!cache.knows(ImageFormat::Rgb8, Size::new(48, 64), &raw));
        // An image that came compressed is found raw.
        let coded = super::super::compress(format, 64, &other);
        let expanded = cache.expand(format, size, &coded, usize::MAX).unwrap();
        assert_eq!(*expanded, *other);
        assert_eq!(
            cache.pack(ImageFormat::Rgb8, size, &other),
            Some((format, coded))
        );
        assert_eq!(cache.recent.len(), 2);
        // Bad data is refused as `images::expand` refuses it, and not kept.
        let bad = cache.expand(format, size, b"", usize::MAX);
        assert!(matches!(bad, Err(ImageError::Corrupt { .. })), "{bad:?}");
        assert_eq!(cache.recent.len(), 2);
    }

    /// The oldest image goes first, and an image used again is the latest.
    #[test]
    fn the_cache_keeps_the_latest_images() {
        let mut cache = CodedImages::default();
        let size = Size::new(64, 48);
        let images: Vec<Vec<u8>> = (0..=ENTRIES as u8).map(|n| image(n, 64, 48)).collect();
        for raw in &images[..ENTRIES] {
            cache.pack(ImageFormat::Rgb8, size, raw);
        }
        // The first, used again, is the latest; the second is now the oldest.
        cache.pack(ImageFormat::Rgb8, size, &images[0]);
        cache.pack(ImageFormat::Rgb8, size, &images[ENTRIES]);
        assert_eq!(cache.recent.len(), ENTRIES);
        assert!(cache.knows(ImageFormat::Rgb8, size, &images[0]));
        assert!(!cache.knows(ImageFormat::Rgb8, size, &images[1]));
        // Three images of 12 MB: the oldest go to keep the bytes within the bound.
        for n in 0..3 {
            cache.keep(Coded {
                format: ImageFormat::Rgb8Gradient,
                size: Size::new(2000, 2000),
                raw: Arc::from(vec![n; 12_000_000]),
                packed: None,
            });
            assert!(cache.recent.iter().map(Coded::bytes).sum::<usize>() <= BYTES);
        }
        assert_eq!(cache.recent.len(), 2);
    }
}
