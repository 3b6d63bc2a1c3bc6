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
