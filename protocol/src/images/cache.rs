//! The images coded lately, both ways ([`CodedImages`]): a large image drawn again (a
//! slideshow's slide that comes back) is neither compressed again for command-mode viewers
//! nor expanded again.
//!
//! Coding a photograph takes tens of milliseconds each way (the gradient coder runs at 14 to
//! 23 Mpx/s: `images/` in the encoding bench); the bytes of a slide shown again cost a
//! reference on an `lz4-ctx` connection, and with the cache its coding costs a comparison
//! of its bytes. The cache keeps each image raw and compressed, whichever way it was coded,
//! and is found by either; compressed data found corrupt is kept with why, so that it is
//! refused again without being decoded again (by the core, after a reader found it
//! corrupt). A display server shares it ([`SharedImages`]) between its connections'
//! readers, which code each image as its request arrives, and its core, which carries out
//! every client's requests in turn and so finds them coded.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::{expand, pack, packed_with, strips, ImageError, PACK_MIN};
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
    /// Empty when `corrupt`.
    raw: Arc<[u8]>,
    /// `None` when compressing did not make it smaller: it goes raw.
    packed: Option<Arc<[u8]>>,
    /// Why `packed` does not expand to the image ([`ImageError::Corrupt`]).
    corrupt: Option<ImageError>,
}

impl Coded {
    fn bytes(&self) -> usize {
        self.raw.len() + self.packed.as_ref().map_or(0, |p| p.len())
    }

    /// `raw` (an image of `size` in the raw `format`) compressed as command mode sends it.
    fn packing(format: ImageFormat, size: Size, raw: &[u8]) -> Coded {
        let packed = pack(format, size.width, raw);
        Coded {
            format: packed.as_ref().map_or(format.compressed(), |p| p.0),
            size,
            raw: Arc::from(raw),
            packed: packed.map(|(_, bytes)| Arc::from(bytes)),
            corrupt: None,
        }
    }

    /// `data` (an image of `size` in the compressed `format`) expanded, or found corrupt; or
    /// why it is refused before it is decoded (too large, which depends on `max_bytes`).
    fn expanding(
        format: ImageFormat,
        size: Size,
        data: &[u8],
        max_bytes: usize,
    ) -> Result<Coded, ImageError> {
        let (raw, corrupt) = match expand(format, size, data, max_bytes) {
            Ok(raw) => (Arc::from(raw), None),
            Err(e @ ImageError::Corrupt { .. }) => (Arc::from([]), Some(e)),
            Err(e) => return Err(e),
        };
        Ok(Coded {
            format,
            size,
            raw,
            packed: Some(Arc::from(data)),
            corrupt,
        })
    }
}

/// An image coded where its request was decoded ([`SharedImages::prepare`]), on its way to
/// the thread that carries the request out ([`CodedImages::adopt`]).
#[derive(Clone)]
pub struct CodedImage {
    coded: Arc<Coded>,
    /// Whether it was coded for this request (else it was found in the cache).
    fresh: bool,
}

impl CodedImage {
    /// The bytes it holds, raw and compressed.
    pub fn bytes(&self) -> usize {
        self.coded.bytes()
    }

    /// The pixels that went through the gradient coder for it: all of them when it was
    /// coded for this request in [`ImageFormat::Rgb8Gradient`], none when it was found in
    /// the cache or coded in Zstandard (ten times quicker). What a display server charges
    /// the client for, where it charges for work.
    pub fn gradient_pixels(&self) -> u64 {
        let Coded { format, size, .. } = &*self.coded;
        if self.fresh && *format == ImageFormat::Rgb8Gradient {
            size.area()
        } else {
            0
        }
    }
}

impl std::fmt::Debug for CodedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Coded { format, size, .. } = &*self.coded;
        let fresh = if self.fresh { ", coded now" } else { "" };
        write!(
            f,
            "CodedImage({format:?}, {}x{}{fresh})",
            size.width, size.height
        )
    }
}

/// The images coded lately, the latest first: 16 at most, of 32 MiB at most.
#[derive(Default)]
pub struct CodedImages {
    recent: VecDeque<Arc<Coded>>,
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
        self.recent.iter().position(|c| {
            c.corrupt.is_none()
                && c.format.pixels() == format.pixels()
                && c.size == size
                && *c.raw == *raw
        })
    }

    fn find_packed(&self, format: ImageFormat, size: Size, data: &[u8]) -> Option<usize> {
        self.recent
            .iter()
            .position(|c| c.format == format && c.size == size && c.packed.as_deref() == Some(data))
    }

    /// Keeps `image`, coded elsewhere, as the latest (it may have been forgotten since).
    pub fn adopt(&mut self, image: &CodedImage) {
        match self
            .recent
            .iter()
            .position(|c| Arc::ptr_eq(c, &image.coded))
        {
            Some(at) => self.bring_forward(at),
            None => self.keep(image.coded.clone()),
        }
    }

    /// Keeps `coded` as the latest, forgetting the oldest beyond the bounds. (No image is
    /// beyond them alone: one is at most a frame's payload raw, and less than that
    /// compressed.)
    fn keep(&mut self, coded: Arc<Coded>) {
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
    }

    fn bring_forward(&mut self, at: usize) {
        if at > 0 {
            if let Some(coded) = self.recent.remove(at) {
                self.recent.push_front(coded);
            }
        }
    }
}

/// [`CodedImages`] shared by the thread that carries requests out (a display server's core)
/// and those that decode them (its connections' readers), with whether command-mode viewers
/// want images packed. A reader codes a request's images before the core needs them
/// ([`SharedImages::prepare`]), so that the core, which serves every client in turn, finds
/// them coded instead of spending the tens of milliseconds that a photograph takes.
#[derive(Clone, Default)]
pub struct SharedImages(Arc<Shared>);

#[derive(Default)]
struct Shared {
    cache: Mutex<CodedImages>,
    packing: AtomicBool,
}

impl std::fmt::Debug for SharedImages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SharedImages({:?})", *self.lock())
    }
}

impl SharedImages {
    /// The cache. (A thread that panicked while holding it left it consistent: every change
    /// is one push or one removal.)
    pub fn lock(&self) -> MutexGuard<'_, CodedImages> {
        self.0.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether raw images are packed for command-mode viewers.
    pub fn packing(&self) -> bool {
        self.0.packing.load(Ordering::Relaxed)
    }

    /// Says whether raw images are packed for command-mode viewers: set by whoever journals
    /// for them, read by [`SharedImages::prepare`].
    pub fn set_packing(&self, on: bool) {
        self.0.packing.store(on, Ordering::Relaxed);
    }

    /// Codes the images of `request` that whoever carries it out will need, unless they
    /// were coded lately: a compressed image expanded (one found corrupt is kept so, to be
    /// refused there without decoding it again; one too large is left to be refused there),
    /// a raw one of [`PACK_MIN`] bytes or more packed strip by strip while
    /// [`SharedImages::packing`]. Coding runs without holding the cache. The images come back
    /// to be handed over with the request ([`CodedImages::adopt`]): the cache may forget
    /// them in between.
    pub fn prepare(&self, request: &Request, max_bytes: usize) -> Vec<CodedImage> {
        let Request::PutImage {
            rect, format, data, ..
        } = request
        else {
            return Vec::new();
        };
        if !self.would_code(request) {
            return Vec::new();
        }
        if format.is_compressed() {
            let expanded = self.expanded_image(*format, rect.size(), data, max_bytes);
            return expanded.into_iter().collect();
        }
        strips(*format, *rect)
            .filter_map(|(strip, bytes)| {
                Some(self.packed_image(*format, strip.size(), data.get(bytes)?))
            })
            .collect()
    }

    /// `raw` (an image of `size` in the raw `format`) compressed as command mode sends it,
    /// and its format, or `None` when it goes raw ([`pack`]): an image coded lately is found
    /// instead of coded again.
    pub fn pack(
        &self,
        format: ImageFormat,
        size: Size,
        raw: &[u8],
    ) -> Option<(ImageFormat, Vec<u8>)> {
        if format.is_compressed() || raw.len() < PACK_MIN {
            return None;
        }
        let image = self.packed_image(format, size, raw);
        let Coded { format, packed, .. } = &*image.coded;
        packed.as_deref().map(|p| (*format, p.to_vec()))
    }

    /// The raw pixels of `data`, an image of `size` in the compressed `format`, refused as
    /// [`expand`] refuses it: an image coded lately (or found corrupt lately) is found
    /// instead of expanded again.
    pub fn expand(
        &self,
        format: ImageFormat,
        size: Size,
        data: &[u8],
        max_bytes: usize,
    ) -> Result<Arc<[u8]>, ImageError> {
        let image = self.expanded_image(format, size, data, max_bytes)?;
        match &image.coded.corrupt {
            Some(why) => Err(why.clone()),
            None => Ok(image.coded.raw.clone()),
        }
    }

    /// `request` as command-mode viewers receive it: [`super::packed`]'s, an image coded
    /// lately found instead of coded again ([`SharedImages::pack`]). A display server's
    /// core packs so what no reader coded for it (its snapshots of windows for command-mode
    /// viewers that join, which are found here when the windows have not changed since).
    pub fn packed<'a>(&self, request: &'a Request) -> Vec<Cow<'a, Request>> {
        packed_with(request, |format, size, raw| self.pack(format, size, raw))
    }

    /// Whether [`SharedImages::prepare`] would have an image of `request` to code (or to
    /// find in the cache): a compressed one, or while packing a raw one of [`PACK_MIN`]
    /// bytes or more.
    pub fn would_code(&self, request: &Request) -> bool {
        let Request::PutImage {
            rect, format, data, ..
        } = request
        else {
            return false;
        };
        let whole = rect.size().area() * format.bytes_per_pixel() as u64;
        format.is_compressed()
            || (self.packing() && data.len() >= PACK_MIN && data.len() as u64 == whole)
    }

    /// `raw`, an image of `size` in the raw `format`, packed ([`Coded::packing`]) or found.
    fn packed_image(&self, format: ImageFormat, size: Size, raw: &[u8]) -> CodedImage {
        self.coded(
            |c| c.find_raw(format, size, raw),
            || Ok::<_, Infallible>(Coded::packing(format, size, raw)),
        )
        .unwrap_or_else(|never| match never {})
    }

    /// `data`, an image of `size` in the compressed `format`, expanded or found corrupt
    /// ([`Coded::expanding`]), or found; or why it is refused before it is decoded.
    fn expanded_image(
        &self,
        format: ImageFormat,
        size: Size,
        data: &[u8],
        max_bytes: usize,
    ) -> Result<CodedImage, ImageError> {
        self.coded(
            |c| c.find_packed(format, size, data),
            || Coded::expanding(format, size, data, max_bytes),
        )
    }

    /// The image that `find` finds in the cache, or else the one that `code` makes (kept),
    /// coded without holding the cache.
    fn coded<E>(
        &self,
        find: impl Fn(&CodedImages) -> Option<usize>,
        code: impl FnOnce() -> Result<Coded, E>,
    ) -> Result<CodedImage, E> {
        {
            let mut cache = self.lock();
            if let Some(at) = find(&cache) {
                cache.bring_forward(at);
                return Ok(CodedImage {
                    coded: cache.recent[0].clone(),
                    fresh: false,
                });
            }
        }
        let coded = Arc::new(code()?);
        self.lock().keep(coded.clone());
        Ok(CodedImage { coded, fresh: true })
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
        let cache = SharedImages::default();
        let kept = || cache.lock().recent.len();
        let knows = |format, size, data: &[u8]| cache.lock().knows(format, size, data);
        let size = Size::new(64, 48);
        let raw = image(1, 64, 48);
        let (format, packed) = cache.pack(ImageFormat::Rgb8, size, &raw).expect("packed");
        assert_eq!(
            (format, packed.clone()),
            pack(ImageFormat::Rgb8, 64, &raw).expect("packed")
        );
        assert_eq!(format, ImageFormat::Rgb8Gradient);
        assert!(knows(ImageFormat::Rgb8, size, &raw));
        assert!(knows(format, size, &packed));
        let back = cache.expand(format, size, &packed, usize::MAX).unwrap();
        assert_eq!(*back, *raw);
        assert_eq!(kept(), 1, "found, not coded again");
        // Another image of the same size, and the same bytes as another size: not found.
        let other = image(2, 64, 48);
        assert!(!knows(ImageFormat::Rgb8, size, &other));
        assert!(!knows(ImageFormat::Rgb8, Size::new(48, 64), &raw));
        // An image that came compressed is found raw.
        let coded = super::super::compress(format, 64, &other);
        let expanded = cache.expand(format, size, &coded, usize::MAX).unwrap();
        assert_eq!(*expanded, *other);
        assert_eq!(
            cache.pack(ImageFormat::Rgb8, size, &other),
            Some((format, coded))
        );
        assert_eq!(kept(), 2);
        // Bad data is refused as `images::expand` refuses it, and kept so: refused again
        // from the cache (no raw image of that size is found in it).
        let bad = cache.expand(format, size, b"", usize::MAX);
        assert!(matches!(bad, Err(ImageError::Corrupt { .. })), "{bad:?}");
        assert_eq!(kept(), 3);
        assert_eq!(cache.expand(format, size, b"", usize::MAX), bad);
        assert_eq!(kept(), 3);
        assert!(knows(format, size, b""));
        assert!(!knows(ImageFormat::Rgb8, size, b""));
        // Too large for the bound given: refused before it is decoded, and not kept.
        let new = super::super::compress(format, 64, &image(7, 64, 48));
        let large = cache.expand(format, size, &new, 100).map(|raw| raw.len());
        assert!(
            matches!(large, Err(ImageError::TooLarge { .. })),
            "{large:?}"
        );
        assert_eq!(kept(), 3);
    }

    /// The oldest image goes first, and an image used again is the latest.
    #[test]
    fn the_cache_keeps_the_latest_images() {
        let cache = SharedImages::default();
        let size = Size::new(64, 48);
        let images: Vec<Vec<u8>> = (0..=ENTRIES as u8).map(|n| image(n, 64, 48)).collect();
        for raw in &images[..ENTRIES] {
            cache.pack(ImageFormat::Rgb8, size, raw);
        }
        // The first, used again, is the latest; the second is now the oldest.
        cache.pack(ImageFormat::Rgb8, size, &images[0]);
        cache.pack(ImageFormat::Rgb8, size, &images[ENTRIES]);
        assert_eq!(cache.lock().recent.len(), ENTRIES);
        assert!(cache.lock().knows(ImageFormat::Rgb8, size, &images[0]));
        assert!(!cache.lock().knows(ImageFormat::Rgb8, size, &images[1]));
        // Three images of 12 MB: the oldest go to keep the bytes within the bound.
        let mut cache = cache.lock();
        for n in 0..3 {
            cache.keep(Arc::new(Coded {
                format: ImageFormat::Rgb8Gradient,
                size: Size::new(2000, 2000),
                raw: Arc::from(vec![n; 12_000_000]),
                packed: None,
                corrupt: None,
            }));
            assert!(cache.recent.iter().map(|c| c.bytes()).sum::<usize>() <= BYTES);
        }
        assert_eq!(cache.recent.len(), 2);
    }

    /// A reader codes a request's images into the shared cache before they are needed: a
    /// compressed image expanded, a raw one packed strip by strip while command-mode viewers
    /// want them; what it refuses, or has no need to code, gives nothing. An image coded so
    /// and forgotten since comes back when it is adopted.
    #[test]
    fn a_shared_cache_codes_images_before_they_are_needed() {
        let shared = SharedImages::default();
        let put = |format, rect, data| Request::PutImage {
            target: crate::ResourceId(1),
            rect,
            format,
            data,
        };
        // 600x600: two strips of at most 512x512 pixels.
        let raw = image(3, 600, 600);
        let rect = crate::Rect::new(0, 0, 600, 600);
        let raw_put = put(ImageFormat::Rgb8, rect, raw.clone());
        assert!(
            shared.prepare(&raw_put, usize::MAX).is_empty(),
            "no viewer packs"
        );
        assert!(!shared.would_code(&raw_put));
        shared.set_packing(true);
        assert!(shared.would_code(&raw_put));
        let coded = shared.prepare(&raw_put, usize::MAX);
        let strips: Vec<_> = strips(ImageFormat::Rgb8, rect).collect();
        assert_eq!((coded.len(), strips.len()), (2, 2));
        for (strip, bytes) in &strips {
            assert!(shared
                .lock()
                .knows(ImageFormat::Rgb8, strip.size(), &raw[bytes.clone()]));
        }
        // Packing the request finds what the reader coded, and gives what coding it gives.
        assert_eq!(shared.packed(&raw_put), super::super::packed(&raw_put));
        assert_eq!(shared.lock().recent.len(), 2, "found, not coded again");
        // A compressed image is expanded; a corrupt one is kept so; one too large for the
        // bound, or a small raw one, gives nothing.
        let small = image(4, 64, 48);
        let packed = super::super::compress(ImageFormat::Rgb8Gradient, 64, &small);
        let rect = crate::Rect::new(0, 0, 64, 48);
        let expanded = shared.prepare(
            &put(ImageFormat::Rgb8Gradient, rect, packed.clone()),
            1 << 20,
        );
        assert_eq!(expanded.len(), 1);
        assert_eq!(
            *shared
                .expand(ImageFormat::Rgb8Gradient, rect.size(), &packed, 1 << 20)
                .unwrap(),
            *small
        );
        let corrupt = put(
            ImageFormat::Rgb8Gradient,
            rect,
            packed[..packed.len() / 2].to_vec(),
        );
        assert_eq!(shared.prepare(&corrupt, 1 << 20).len(), 1);
        let refused = shared.expand(
            ImageFormat::Rgb8Gradient,
            rect.size(),
            &packed[..packed.len() / 2],
            1 << 20,
        );
        assert!(
            matches!(refused, Err(ImageError::Corrupt { .. })),
            "{refused:?}"
        );
        let other = super::super::compress(ImageFormat::Rgb8Gradient, 64, &image(5, 64, 48));
        let too_large = put(ImageFormat::Rgb8Gradient, rect, other);
        assert!(shared.prepare(&too_large, 1000).is_empty());
        let tiny = put(
            ImageFormat::Rgb8,
            crate::Rect::new(0, 0, 8, 8),
            vec![0; 192],
        );
        assert!(!shared.would_code(&tiny));
        assert!(shared.prepare(&tiny, usize::MAX).is_empty());
        assert_eq!(shared.lock().recent.len(), 4);
        // Forgotten (others coded after it), then adopted: known again.
        for n in 0..ENTRIES as u8 {
            shared.pack(ImageFormat::Rgb8, Size::new(64, 48), &image(10 + n, 64, 48));
        }
        assert!(!shared
            .lock()
            .knows(ImageFormat::Rgb8Gradient, rect.size(), &packed));
        shared.lock().adopt(&expanded[0]);
        assert!(shared
            .lock()
            .knows(ImageFormat::Rgb8Gradient, rect.size(), &packed));
        assert!(shared.lock().knows(ImageFormat::Rgb8, rect.size(), &small));
    }
}
