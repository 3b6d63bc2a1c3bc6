//! Lists of rectangles, segments and points on the wire: one byte string of their integers,
//! in field order, with nothing between the elements, in one of two layouts: a varint each,
//! as postcard writes an integer (zigzag for a signed one), or two bytes each, little-endian
//! (signed ones zigzagged, so an `i16` or a `u16`, as X11 always sends coordinates). The
//! writer takes two bytes where every integer fits and the list is long (bulk drawing, read
//! fastest so) or that is smaller, else varints. The two-byte layout starts with the byte
//! 0xff; varints start with their own first byte, or with 0xfe where that would be 0xfe or
//! 0xff. An empty string is an empty list.
//!
//! Postcard would write a `Vec<Rect>` as its element count and then each rectangle through
//! serde's per-field calls: a batch of small rectangles or segments spent a third of its
//! time there, on both ends (`drawbench rect1`). Here a list is written and read in one loop
//! over a slice, the two-byte layout with no dependence of one integer's place on the one
//! before, and the bytes are copied whole. Used on the request fields that carry such lists,
//! as `#[serde(with = "crate::packed")]`.
//!
//! Bytes that end inside an element, or an integer that does not fit its field, are a
//! decoding error (the request is refused).

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};
use serde::Serializer;

use crate::geometry::{Point, Rect, Segment};

/// An element of a packed list: its integers, in field order, as postcard writes them.
pub(crate) trait Packed: Sized {
    /// How many integers an element has (at most four).
    const INTS: usize;
    /// The element's integers, signed ones zigzagged (only the first [`Packed::INTS`] count).
    fn to_ints(&self) -> [u32; 4];
    /// The element from its integers as [`Packed::to_ints`] gives them.
    fn from_ints(ints: [u32; 4]) -> Self;
}

impl Packed for Point {
    const INTS: usize = 2;

    #[inline(always)]
    fn to_ints(&self) -> [u32; 4] {
        [zigzag(self.x), zigzag(self.y), 0, 0]
    }

    #[inline(always)]
    fn from_ints([x, y, ..]: [u32; 4]) -> Self {
        Point::new(unzigzag(x), unzigzag(y))
    }
}

impl Packed for Rect {
    const INTS: usize = 4;

    #[inline(always)]
    fn to_ints(&self) -> [u32; 4] {
        [zigzag(self.x), zigzag(self.y), self.width, self.height]
    }

    #[inline(always)]
    fn from_ints([x, y, width, height]: [u32; 4]) -> Self {
        Rect::new(unzigzag(x), unzigzag(y), width, height)
    }
}

impl Packed for Segment {
    const INTS: usize = 4;

    #[inline(always)]
    fn to_ints(&self) -> [u32; 4] {
        [
            zigzag(self.a.x),
            zigzag(self.a.y),
            zigzag(self.b.x),
            zigzag(self.b.y),
        ]
    }

    #[inline(always)]
    fn from_ints([ax, ay, bx, by]: [u32; 4]) -> Self {
        Segment {
            a: Point::new(unzigzag(ax), unzigzag(ay)),
            b: Point::new(unzigzag(bx), unzigzag(by)),
        }
    }
}

#[inline(always)]
fn zigzag(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

#[inline(always)]
fn unzigzag(n: u32) -> i32 {
    (n >> 1) as i32 ^ -((n & 1) as i32)
}

/// The most bytes a varint of a `u32` takes.
const MAX_VARINT: usize = 5;

/// A first byte that says the integers after it are two bytes each, little-endian (each the
/// zigzag of an `i16`, or a `u16`).
const FIXED16: u8 = 0xff;
/// A first byte that says the integers after it are varints: written only when the varints'
/// own first byte would be [`FIXED16`] or this one (a first integer whose low seven bits are
/// 126 or 127, and more). Any other first byte starts the varints themselves, so the common
/// list carries no byte of layout.
const VARINTS: u8 = 0xfe;

/// Elements from which a list is bulk drawing (x11perf draws 1000 small rectangles a call).
const BULK: usize = 256;

/// Appends `items` packed to `out`: as two bytes an integer when they all fit and the list
/// is long or that takes fewer bytes than varints, else as varints; nothing for an empty
/// list.
pub(crate) fn pack<T: Packed>(items: &[T], out: &mut Vec<u8>) {
    if items.is_empty() {
        return;
    }
    // A long list is bulk drawing, whose cost is reading it: two bytes an integer wherever
    // they fit (over TCP, LZ4 makes such a list as small as its varints). A short one is an
    // interface's, whose cost is its bytes: the smaller layout, varints on a tie.
    let (mut fits, mut varints) = (true, 0usize);
    let bulk = items.len() >= BULK;
    for item in items {
        for &n in item.to_ints().get(..T::INTS).unwrap_or_default() {
            fits &= n <= 0xffff;
            if !bulk {
                varints += varint_len(n);
            }
        }
    }
    if fits && (bulk || items.len() * T::INTS * 2 < varints) {
        out.push(FIXED16);
        let start = out.len();
        out.resize(start + items.len() * T::INTS * 2, 0);
        let chunks = out[start..].chunks_exact_mut(T::INTS * 2);
        for (item, chunk) in items.iter().zip(chunks) {
            for (pair, n) in chunk.chunks_exact_mut(2).zip(item.to_ints()) {
                pair.copy_from_slice(&(n as u16).to_le_bytes());
            }
        }
    } else {
        let first = items.first().map_or(0, |item| item.to_ints()[0]);
        if first >= 0x80 && first & 0x7f >= u32::from(VARINTS & 0x7f) {
            out.push(VARINTS);
        }
        pack_varints(items, out);
    }
}

/// The list that `bytes` hold, or `None` if its bytes end inside an element, or it holds an
/// integer too large for its field. Allocates at most a list of `bytes.len() / T::INTS`
/// elements.
pub(crate) fn unpack<T: Packed>(bytes: &[u8]) -> Option<Vec<T>> {
    match bytes.split_first() {
        None => Some(Vec::new()),
        Some((&FIXED16, ints)) => {
            let size = 2 * T::INTS;
            if ints.len() % size != 0 {
                return None;
            }
            let items = ints.chunks_exact(size).map(|chunk| {
                let mut ints = [0u32; 4];
                for (int, pair) in ints.iter_mut().zip(chunk.chunks_exact(2)) {
                    *int = u32::from(u16::from_le_bytes([pair[0], pair[1]]));
                }
                T::from_ints(ints)
            });
            Some(items.collect())
        }
        Some((&VARINTS, ints)) => unpack_varints(ints),
        Some(_) => unpack_varints(bytes),
    }
}

/// How many bytes the varint of `n` takes.
#[inline(always)]
fn varint_len(n: u32) -> usize {
    1 + usize::from(n >= 1 << 7)
        + usize::from(n >= 1 << 14)
        + usize::from(n >= 1 << 21)
        + usize::from(n >= 1 << 28)
}

/// Appends `items` to `out` as varints, as postcard writes each of them.
fn pack_varints<T: Packed>(items: &[T], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + items.len() * T::INTS * MAX_VARINT, 0);
    let (mut at, buf) = (start, out.as_mut_slice());
    for item in items {
        for &n in item.to_ints().get(..T::INTS).unwrap_or_default() {
            if n < 0x4000 {
                // One or two bytes, without a branch on which: the second byte is written
                // either way, and the next integer overwrites it when it is not needed.
                let long = usize::from(n >= 0x80);
                buf[at] = (n as u8 & 0x7f) | (long as u8) << 7;
                buf[at + 1] = (n >> 7) as u8;
                at += 1 + long;
            } else {
                let mut n = n;
                while n >= 0x80 {
                    buf[at] = n as u8 | 0x80;
                    n >>= 7;
                    at += 1;
                }
                buf[at] = n as u8;
                at += 1;
            }
        }
    }
    out.truncate(at);
}

/// The list that varints `bytes` hold, as [`unpack`] says.
fn unpack_varints<T: Packed>(bytes: &[u8]) -> Option<Vec<T>> {
    let mut items = Vec::with_capacity(bytes.len() / T::INTS);
    let mut at = 0;
    let mut ints = [0u32; 4];
    while at < bytes.len() {
        // Coordinates on a screen take one or two bytes (below 16,384). Where the next eight
        // bytes hold a whole element of such integers, read them from one load: the bytes'
        // continuation bits say where each integer starts, so no integer waits for the one
        // before it. Any other element is read a byte at a time below.
        if let Some(eight) = bytes.get(at..at + 8) {
            let word = u64::from_le_bytes(eight.try_into().unwrap_or_default());
            let marks =
                ((word & 0x8080_8080_8080_8080).wrapping_mul(0x0002_0408_1020_4081) >> 56) as usize;
            let short = &SHORT_VARINTS[marks];
            if usize::from(short.count) >= T::INTS {
                for (k, int) in ints.iter_mut().enumerate().take(T::INTS) {
                    let from = word >> (8 * short.start[k]);
                    let second = 0u64.wrapping_sub(u64::from(short.long >> k & 1));
                    *int = ((from & 0x7f) | (from >> 1 & 0x3f80 & second)) as u32;
                }
                items.push(T::from_ints(ints));
                at += usize::from(short.start[T::INTS]);
                continue;
            }
        }
        let mut rest = bytes.get(at..)?;
        for int in ints.iter_mut().take(T::INTS) {
            *int = read_u32(&mut rest)?;
        }
        at = bytes.len() - rest.len();
        items.push(T::from_ints(ints));
    }
    Some(items)
}

/// Where the one- and two-byte varints at the front of eight bytes start, by the bytes'
/// continuation bits (bit `i` of the index for byte `i`).
#[derive(Clone, Copy)]
struct ShortVarints {
    /// How many whole varints of one or two bytes come first (at most four).
    count: u8,
    /// Bit `k`: the `k`th is two bytes long.
    long: u8,
    /// The byte where each starts, and where the one after the last starts.
    start: [u8; 5],
}

/// [`ShortVarints`] for each pattern of continuation bits.
static SHORT_VARINTS: [ShortVarints; 256] = {
    let mut table = [ShortVarints {
        count: 0,
        long: 0,
        start: [0; 5],
    }; 256];
    let mut marks = 0;
    while marks < 256 {
        let entry = &mut table[marks];
        let mut at = 0;
        while entry.count < 4 && at < 8 {
            let len = if marks >> at & 1 == 0 {
                1
            } else if at + 1 < 8 && marks >> (at + 1) & 1 == 0 {
                2
            } else {
                break;
            };
            if len == 2 {
                entry.long |= 1 << entry.count;
            }
            at += len;
            entry.count += 1;
            entry.start[entry.count as usize] = at as u8;
        }
        marks += 1;
    }
    table
};

/// Reads a varint of up to five bytes from the front of `bytes`; the fifth may carry only
/// the top four bits of a `u32`.
fn read_u32(bytes: &mut &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for (i, &byte) in bytes.iter().take(MAX_VARINT).enumerate() {
        if i == MAX_VARINT - 1 && byte > 0x0f {
            return None;
        }
        n |= u32::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            *bytes = &bytes[i + 1..];
            return Some(n);
        }
    }
    None
}

thread_local! {
    /// Where a list is packed before serde copies it into the message: kept, so that
    /// encoding a request allocates nothing.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// serde's `serialize_with`: `items` as one byte string.
pub(crate) fn serialize<T: Packed, S: Serializer>(
    items: &[T],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    SCRATCH.with(|scratch| {
        // Held only by a serializer that serialized a request inside this one: then a
        // buffer of its own.
        let (mut held, mut own) = (scratch.try_borrow_mut(), Vec::new());
        let bytes = match &mut held {
            Ok(held) => {
                held.clear();
                &mut **held
            }
            Err(_) => &mut own,
        };
        pack(items, bytes);
        serializer.serialize_bytes(bytes)
    })
}

/// serde's `deserialize_with`: the list that a byte string holds.
pub(crate) fn deserialize<'de, T: Packed, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    deserializer.deserialize_bytes(PackedVisitor(PhantomData))
}

struct PackedVisitor<T>(PhantomData<T>);

impl<T: Packed> Visitor<'_> for PackedVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a packed list of coordinates")
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Vec<T>, E> {
        unpack(bytes).ok_or_else(|| {
            E::custom("a packed list ends inside an element or holds an integer too large")
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;
    use serde::Serialize;

    use super::*;

    /// Integers of every length, one to five bytes, the short ones most.
    fn int() -> impl Strategy<Value = i32> {
        prop_oneof![-64..64, -10_000..10_000, any::<i32>()]
    }

    fn rect() -> impl Strategy<Value = Rect> {
        (int(), int(), int(), int()).prop_map(|(x, y, w, h)| Rect::new(x, y, w as u32, h as u32))
    }

    fn point() -> impl Strategy<Value = Point> {
        (int(), int()).prop_map(|(x, y)| Point::new(x, y))
    }

    proptest! {
        /// A list comes back whole, in two bytes an integer when they all fit and the list is
        /// long or varints would be larger, else as the bytes that postcard writes for each
        /// element, one after the other.
        #[test]
        fn lists_come_back_in_the_layout_for_their_length(
            rects in prop::collection::vec(rect(), 0..300),
            points in prop::collection::vec(point(), 0..600),
        ) {
            let segments: Vec<Segment> = points
                .chunks_exact(2)
                .map(|ab| Segment { a: ab[0], b: ab[1] })
                .collect();
            let mut bytes = Vec::new();
            pack(&rects, &mut bytes);
            check_layout(&rects, &bytes)?;
            prop_assert_eq!(unpack::<Rect>(&bytes), Some(rects));

            bytes.clear();
            pack(&points, &mut bytes);
            check_layout(&points, &bytes)?;
            prop_assert_eq!(unpack::<Point>(&bytes), Some(points));

            bytes.clear();
            pack(&segments, &mut bytes);
            check_layout(&segments, &bytes)?;
            prop_assert_eq!(unpack::<Segment>(&bytes), Some(segments));
        }

        /// Whatever the bytes after the varints' layout byte, unpacking returns a list or
        /// `None`, and reads what postcard would read.
        #[test]
        fn any_varints_unpack_as_postcard_reads_them(
            bytes in prop_oneof![
                prop::collection::vec(any::<u8>(), 0..64),
                // Mostly short varints, as coordinates on a screen are.
                prop::collection::vec(prop_oneof![3 => 0u8..0x80, 1 => 0x80u8..=0xff], 0..200),
            ]
        ) {
            let ours = unpack::<Rect>(&[&[VARINTS], bytes.as_slice()].concat());
            if !matches!(bytes.first(), Some(&(FIXED16 | VARINTS))) {
                // Without a layout byte: the same list.
                prop_assert_eq!(unpack::<Rect>(&bytes), ours.clone());
            }
            let mut rest = bytes.as_slice();
            let mut theirs = Vec::new();
            while !rest.is_empty() {
                match postcard::take_from_bytes::<Rect>(rest) {
                    Ok((rect, more)) => {
                        theirs.push(rect);
                        rest = more;
                    }
                    Err(_) => break,
                }
            }
            match ours {
                Some(ours) => prop_assert_eq!(ours, theirs),
                None => prop_assert!(!rest.is_empty(), "postcard read all of {:?}", bytes),
            }
        }

        /// Any bytes at all: a list or `None`, never a panic.
        #[test]
        fn any_bytes_unpack_or_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = unpack::<Rect>(&bytes);
            let _ = unpack::<Point>(&bytes);
            let _ = unpack::<Segment>(&bytes);
        }
    }

    /// `bytes` are `items` in two bytes an integer if all fit and the list is long or
    /// postcard's bytes are more, else postcard's bytes.
    fn check_layout<T: Packed + Serialize>(items: &[T], bytes: &[u8]) -> Result<(), TestCaseError> {
        let Some((&layout, ints)) = bytes.split_first() else {
            prop_assert!(items.is_empty());
            return Ok(());
        };
        prop_assert!(!items.is_empty());
        let fits = items
            .iter()
            .all(|i| i.to_ints()[..T::INTS].iter().all(|&n| n <= 0xffff));
        let postcard: Vec<u8> = items
            .iter()
            .flat_map(|i| postcard::to_allocvec(i).unwrap())
            .collect();
        if fits && (items.len() >= BULK || items.len() * T::INTS * 2 < postcard.len()) {
            prop_assert_eq!(layout, FIXED16);
            prop_assert_eq!(ints.len(), items.len() * T::INTS * 2);
        } else if postcard[0] >= VARINTS {
            prop_assert_eq!(layout, VARINTS);
            prop_assert_eq!(ints, postcard.as_slice());
        } else {
            prop_assert_eq!(bytes, postcard.as_slice());
        }
        Ok(())
    }

    #[test]
    fn a_list_that_ends_inside_an_element_or_overflows_is_refused() {
        // One list in each layout: 70,000 needs varints, and they are smaller for the second.
        for rect in [
            Rect::new(-1, 300, 70_000, 1),
            Rect::new(-1, 300, 7, 1),
            Rect::new(-30_000, 300, 20_000, 1),
        ] {
            let mut bytes = Vec::new();
            pack(&[rect], &mut bytes);
            for cut in 1..bytes.len() {
                let want = (cut == 1 && bytes[0] >= VARINTS).then(Vec::new);
                assert_eq!(unpack::<Rect>(&bytes[..cut]), want, "{rect:?} cut at {cut}");
            }
            assert_eq!(unpack::<Rect>(&bytes), Some(vec![rect]));
        }
        assert_eq!(unpack::<Rect>(&[]), Some(Vec::new()));
        // A varint whose fifth byte carries more than u32's top four bits.
        assert_eq!(
            unpack::<Point>(&[VARINTS, 0xff, 0xff, 0xff, 0xff, 0x1f, 0]),
            None
        );
        // An odd number of bytes after the two-byte layout's mark.
        assert_eq!(unpack::<Point>(&[FIXED16, 1, 0, 2]), None);
        assert_eq!(
            unpack::<Point>(&[VARINTS, 0xff, 0xff, 0xff, 0xff, 0x0f, 0]),
            Some(vec![Point::new(i32::MIN, 0)])
        );
        // Six bytes of continuation: never a u32.
        assert_eq!(unpack::<Point>(&[0x80; 6]), None);
        // Two bytes an integer: -32,768 and 65,535 are the ends.
        let ends = [Rect::new(-32_768, 32_767, 65_535, 0)];
        let mut bytes = Vec::new();
        pack(&ends, &mut bytes);
        assert_eq!(bytes[0], FIXED16);
        assert_eq!(unpack::<Rect>(&bytes), Some(ends.to_vec()));
        // Small rectangles: varints in a short list (six bytes each, not eight), two bytes an
        // integer in a long one.
        let small: Vec<Rect> = (0..BULK as i32).map(|i| Rect::new(i, 100, 1, 1)).collect();
        for (list, fixed) in [(&small[..10], false), (&small[..], true)] {
            let mut bytes = Vec::new();
            pack(list, &mut bytes);
            assert_eq!(bytes[0] == FIXED16, fixed, "{} rectangles", list.len());
            assert_eq!(unpack::<Rect>(&bytes).as_deref(), Some(list));
        }
        // A first integer whose varint starts with 0xfe or 0xff goes behind a layout byte.
        for x in [127, -128, 8191, -8192] {
            let rect = Rect::new(x, 1, 1, 1);
            let mut bytes = Vec::new();
            pack(&[rect], &mut bytes);
            assert_eq!(bytes[0], VARINTS, "{x}");
            assert!(bytes[1] >= VARINTS, "{x}");
            assert_eq!(unpack::<Rect>(&bytes), Some(vec![rect]));
        }
    }
}
