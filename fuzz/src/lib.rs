//! What the fuzz targets share: the record format of the targets whose inputs are sequences
//! (`scene`, `server`, `view`), which the seed generator (`bench/examples/fuzz_seeds.rs`)
//! writes too.
//!
//! An input is a sequence of *records*: a length (one byte; 255 means the length follows as
//! two bytes, little-endian) and that many bytes. A record cut short by the end of the input
//! is taken as it is.

/// The records of `data`, in order.
pub fn records(data: &[u8]) -> Records<'_> {
    Records { rest: data }
}

/// The iterator of [`records`].
pub struct Records<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Records<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, tail) = self.rest.split_first()?;
        let (len, tail) = match (len, tail) {
            (255, [a, b, tail @ ..]) => (usize::from(u16::from_le_bytes([*a, *b])), tail),
            (255, _) => return None,
            (len, tail) => (usize::from(len), tail),
        };
        let (record, tail) = tail.split_at(len.min(tail.len()));
        self.rest = tail;
        Some(record)
    }
}

/// The longest side of a window or pixmap in the targets that draw (`scene`, `server`): their
/// limits' `max_side`. Every pixel costs time under the fuzzer's instrumentation, and the
/// seeds from real sessions make windows of up to 1280x800, whose every fill and copy took
/// most of an input's time.
pub const SIDE: u32 = 256;

/// Folds a side over [`SIDE`] onto one below it, or a little over it (which the limits then
/// refuse, so that the refusal stays reachable): a recorded session's windows keep their
/// drawing, on fewer pixels.
pub fn fold_side(side: u32) -> u32 {
    if side <= SIDE {
        side
    } else {
        side % (SIDE + SIDE / 8)
    }
}

/// Folds both sides of a window's rectangle (see [`fold_side`]).
pub fn fold_rect(rect: &mut netui_protocol::Rect) {
    rect.width = fold_side(rect.width);
    rect.height = fold_side(rect.height);
}

/// Folds the sizes of the windows and pixmaps that `request` creates or configures (see
/// [`fold_side`]). An image's size stays: its bytes must match it, and the input's length
/// bounds them.
pub fn fold_sizes(request: &mut netui_protocol::Request) {
    use netui_protocol::Request;
    match request {
        Request::CreateWindow { rect, .. } | Request::ConfigureWindow { rect, .. } => {
            fold_rect(rect)
        }
        Request::CreatePixmap { width, height, .. } => {
            *width = fold_side(*width);
            *height = fold_side(*height);
        }
        _ => {}
    }
}
