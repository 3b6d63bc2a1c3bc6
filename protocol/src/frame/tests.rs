//! Tests of the frame format: byte fixtures, round trips, and hostile frames.

use super::context::History;
use super::*;
use crate::geometry::{Color, Rect};
use crate::request::ResourceId;

#[test]
fn header_bytes_are_as_documented() {
    let header = FrameHeader::new(0x0102_0304, 0x0a0b0c, true, false);
    assert_eq!(
        header.to_bytes(),
        [
            0x01, // flags: LZ4
            0x84, 0x86, 0x88,
            0x08, // wire length, LEB128: 0x04 | 0x06 << 7 | 0x08 << 14 | 8 << 21
            0x8c, 0x96, 0x28, // payload length, LEB128
        ]
    );
    assert_eq!(header.header_len, 8);
    let context = FrameHeader::new(0x0102_0304, 0x0a0b0c, true, true);
    assert_eq!(context.to_bytes()[0], 0x03, "LZ4 against the dictionary");
    let stored = FrameHeader::new(5, 5, false, true);
    assert_eq!(stored.to_bytes(), [0x02, 5], "a stored context frame");
    // A small plain frame's header is two bytes; padded, its length takes four.
    let small = FrameHeader::new(5, 5, false, false);
    assert_eq!(small.to_bytes(), [0x00, 5]);
    assert_eq!(small.padded().to_bytes(), [0x00, 0x85, 0x80, 0x80, 0x00]);
    let limits = Limits {
        max_payload: u32::MAX,
        ..Limits::default()
    };
    for h in [header, context, stored, small, small.padded()] {
        assert_eq!(FrameHeader::parse(&h.to_bytes(), &limits), Ok(Some(h)));
    }
}

#[test]
fn header_limits_are_checked_before_the_payload_arrives() {
    let limits = Limits::default();
    // Announces 2^24 + 1 bytes: refused on the header alone.
    let big = [0x00, 0x81, 0x80, 0x80, 0x08];
    assert!(matches!(
        check_frame(&big, &limits),
        Err(DecodeError::FrameTooLarge { .. })
    ));
    for flags in [0x80, 0x04, 0x07] {
        assert_eq!(
            check_frame(&[flags, 0x00], &limits),
            Err(DecodeError::UnknownFlags(flags))
        );
    }
    // A length may not go on past four bytes, in either place.
    let long = [0x00, 0x80, 0x80, 0x80, 0x80, 0x00];
    assert_eq!(check_frame(&long, &limits), Err(DecodeError::HeaderLength));
    let long = [0x01, 0x01, 0x80, 0x80, 0x80, 0x80];
    assert_eq!(check_frame(&long, &limits), Err(DecodeError::HeaderLength));
    // Incomplete: not an error, just not yet (a header cut off, then a payload).
    for cut in [
        &[][..],
        &[0x01],
        &[0x01, 0x82],
        &[0x01, 0x02, 0x81],
        &[0x00, 0x02, 0x07],
    ] {
        assert_eq!(check_frame(cut, &limits), Ok(None), "{cut:?}");
    }
}

/// A compressed frame of 1 byte that announced 16 MB of payload made the reader allocate and
/// zero 16 MB once it was whole (per connection, and kept for the next frame); the `decode`
/// fuzz target spent most of its time there. LZ4 expands a byte to at most 255, so the header
/// alone refuses it.
#[test]
fn a_compressed_frame_cannot_announce_more_than_lz4_expands_to() {
    let limits = Limits::default();
    for flags in [FLAG_LZ4, FLAG_LZ4 | FLAG_CONTEXT] {
        // 1 byte on the wire, 0xff_ffff bytes of payload.
        let bomb = [flags, 0x01, 0xff, 0xff, 0xff, 0x07, 0x00];
        assert_eq!(
            check_frame(&bomb, &limits),
            Err(DecodeError::Expansion {
                wire: 1,
                raw: 0xff_ffff
            })
        );
        let mut reader = crate::FrameReader::new(limits);
        reader.feed(&bomb);
        assert!(matches!(
            reader.next_frame(),
            Err(DecodeError::Expansion { .. })
        ));
        // 255 per byte is what LZ4 can reach, and is let through to the decompressor.
        let most = [flags, 0x01, 0xff, 0x01];
        assert!(check_frame(&most, &limits).is_ok());
        let over = [flags, 0x01, 0x80, 0x02];
        assert!(check_frame(&over, &limits).is_err());
    }
    // The densest real block stays under the bound: a long run of one byte.
    let payload = vec![7u8; 1 << 20];
    let block = lz4_flex::block::compress(&payload);
    assert!(
        payload.len() <= block.len() * LZ4_MAX_RATIO,
        "{}",
        block.len()
    );
    assert_eq!(check_frame(&[0, 2, 9], &limits), Ok(None));
}

#[test]
fn a_small_request_has_the_exact_bytes() {
    let frames = encode_single(&Request::MapWindow {
        id: ResourceId(0x20_0001),
    })
    .expect("encodes");
    assert_eq!(
        frames,
        [
            0, // flags: not compressed
            6, // wire length
            5, // message length
            1, // opcode 1: MapWindow
            0x81, 0x80, 0x80, 0x01, // id 0x200001 as LEB128
        ]
    );
}

#[test]
fn a_small_request_in_a_context_frame_has_the_exact_bytes() {
    let mut w = BatchWriter::new(Limits::default(), Compression::Lz4Ctx);
    w.push(&Request::MapWindow {
        id: ResourceId(0x20_0001),
    })
    .expect("encodes");
    assert_eq!(
        w.take_frames(),
        [
            0x02, // flags: context, stored (too small for LZ4)
            6,    // wire length
            10,   // entry: a message (low bit 0) of 5 bytes (10 = 2 × 5)
            1,    // opcode 1: MapWindow
            0x81, 0x80, 0x80, 0x01, // id 0x200001 as LEB128
        ]
    );
}

/// A request of about 1 KiB that LZ4 cannot shrink.
fn noise_image(seed: u32) -> Request {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    let data = (0..1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    Request::PutImage {
        target: ResourceId(0x20_0001),
        rect: Rect::new(0, 0, 16, 16),
        format: crate::ImageFormat::Rgba8,
        data,
    }
}

/// Batches of incompressible images and a sync, one frame each, in every compression: the
/// header of an uncompressed frame takes what its length needs, or five bytes from 16 KiB.
#[test]
fn a_header_is_as_short_as_its_lengths_allow_and_a_large_plain_frame_keeps_its_room() {
    let limits = Limits::default();
    // Payload sizes: under 128 bytes, under 16 KiB (moved up to the shortest header), and
    // 16 KiB or more (its length padded to four bytes where the writer kept room for it).
    let cases: [(usize, usize); 4] = [(0, 2), (1, 3), (15, 3), (16, 5)];
    for (images, header_len) in cases {
        let batch: Vec<Request> = (0..images as u32)
            .map(noise_image)
            .chain([Request::Sync])
            .collect();
        for compression in Compression::ALL {
            let mut w = BatchWriter::new(limits, compression);
            for request in &batch {
                w.push(request).expect("encodes");
            }
            let wire = w.take_frames();
            let header = check_frame(&wire, &limits).expect("valid").expect("whole");
            assert_eq!(header.frame_len(), wire.len(), "one frame");
            let back: Vec<Request> = decode_stream(&wire, &limits).expect("decodes");
            assert_eq!(back, batch, "{compression}, {images} images");
            if !header.compressed {
                assert_eq!(
                    header.header_len, header_len,
                    "{compression}, {images} images: {header:?}"
                );
            }
        }
    }
}

#[test]
fn a_repeated_message_travels_as_a_reference_to_its_cache_entry() {
    let limits = Limits::default();
    let image = noise_image(7);
    let mut w = BatchWriter::new(limits, Compression::Lz4Ctx);
    w.push(&image).expect("encodes");
    w.push(&Request::Sync).expect("encodes");
    w.push(&image).expect("encodes");
    let frames = w.take_frames();
    let header = check_frame(&frames, &limits)
        .expect("valid")
        .expect("whole");
    assert!(header.context);
    let mut decoder = FrameDecoder::new();
    let bodies: Vec<&[u8]> = decoder
        .decode(header, &frames, &limits)
        .expect("decodes")
        .collect();
    assert_eq!(bodies.len(), 3);
    assert_eq!(bodies[0], bodies[2]);
    assert_eq!(decode_request(bodies[2]), Ok(image.clone()));
    // Stored or compressed, the payload (now in the dictionary) ends with the Sync and
    // the reference.
    let context = decoder.context.as_ref().expect("a context");
    let payload = &context.dict.0;
    assert_eq!(
        &payload[payload.len() - 3..],
        [
            2, 19, // entry: a message of 1 byte (2 = 2 × 1): opcode 19, Sync
            1,  // entry: a reference (low bit 1) to the newest in the cache (0 back)
        ]
    );
    // The stats count the reference as the message it stands for.
    assert!(w.stats().payload_bytes > 2 * 1024, "{:?}", w.stats());
    assert!(w.stats().wire_bytes < 1024 + 100, "{:?}", w.stats());

    // In a later frame, the same message is still a reference: 1 byte of payload.
    w.push(&image).expect("encodes");
    let later = w.take_frames();
    assert_eq!(
        later,
        [FLAG_CONTEXT, 1, 1],
        "a header of two bytes, then the reference"
    );
    let header = check_frame(&later, &limits).expect("valid").expect("whole");
    let mut bodies = decoder.decode(header, &later, &limits).expect("decodes");
    assert_eq!(bodies.next().map(decode_request), Some(Ok(image)));
}

#[test]
fn the_dictionary_keeps_the_last_64_kib() {
    let mut h = History::default();
    h.push(&[1; 1000]);
    assert_eq!(h.0.len(), 1000);
    h.push(&[2; DICT_BYTES - 10]);
    assert_eq!(h.0.len(), DICT_BYTES);
    assert_eq!(&h.0[..10], &[1; 10]);
    h.push(&[3; 5]);
    assert_eq!(h.0.len(), DICT_BYTES);
    assert_eq!(h.0[..5], [1; 5]);
    assert_eq!(h.0[5], 2);
    assert_eq!(h.0[DICT_BYTES - 5..], [3; 5]);
    let big: Vec<u8> = (0..DICT_BYTES * 2).map(|i| i as u8).collect();
    h.push(&big);
    assert_eq!(h.0, big[DICT_BYTES..]);
}

#[test]
fn a_batch_of_rectangles_is_small_and_compresses() {
    let rects: Vec<Rect> = (0..1000)
        .map(|i| Rect::new(i % 1000, i / 10, 10, 10))
        .collect();
    let req = Request::FillRects {
        target: ResourceId(0x20_0001),
        color: Color::RED,
        rects,
    };
    for compression in [Compression::Lz4, Compression::Lz4Ctx] {
        let mut w = BatchWriter::new(Limits::default(), compression);
        w.push(&req).expect("encodes");
        let frames = w.take_frames();
        let stats = w.stats();
        // At most 8 bytes a rectangle before compression, as in X11's PolyFillRectangle.
        assert!(stats.payload_bytes <= 8 * 1000 + 32, "{stats:?}");
        assert!(stats.wire_bytes < stats.payload_bytes, "{stats:?}");
        let back: Vec<Request> = decode_stream(&frames, &Limits::default()).expect("decodes");
        assert_eq!(back, vec![req.clone()]);
    }
}

#[test]
fn a_pushed_body_is_written_as_the_message_it_encodes() {
    // Bodies whose lengths take one, two, three and four bytes (a message is serialized
    // straight into the batch, after room for three, unless it is longer).
    let image = |len: usize| Request::PutImage {
        target: ResourceId(7),
        rect: Rect::new(0, 0, 1, 1),
        format: crate::ImageFormat::Rgba8,
        data: (0..len).map(|i| (i * 7 % 251) as u8).collect(),
    };
    let requests = [
        Request::FillRects {
            target: ResourceId(7),
            color: Color::RED,
            rects: vec![Rect::new(1, 2, 3, 4)],
        },
        image(200),
        image(20_000),
        image(3 << 20),
    ];
    for compression in Compression::ALL {
        let mut pushed = BatchWriter::new(Limits::default(), compression);
        let mut raw = BatchWriter::new(Limits::default(), compression);
        for request in &requests {
            pushed.push(request).unwrap();
            pushed.push(&Request::Sync).unwrap();
            raw.push_body(&postcard::to_stdvec(request).unwrap())
                .unwrap();
            raw.push_body(&postcard::to_stdvec(&Request::Sync).unwrap())
                .unwrap();
        }
        let frames = pushed.take_frames();
        assert_eq!(raw.take_frames(), frames, "{compression}");
        let back: Vec<Request> = decode_stream(&frames, &Limits::default()).expect("decodes");
        let sent: Vec<Request> = requests
            .iter()
            .flat_map(|r| [r.clone(), Request::Sync])
            .collect();
        assert_eq!(back, sent, "{compression}");
    }
    // A body that decodes to no request goes as its bytes, for the server to refuse.
    let mut raw = BatchWriter::new(Limits::default(), Compression::None);
    raw.push_body(&[0xff, 0x7f, 1, 2]).unwrap();
    let wire = raw.take_frames();
    let header = check_frame(&wire, &Limits::default()).unwrap().unwrap();
    let mut decoder = FrameDecoder::new();
    let bodies: Vec<&[u8]> = decoder
        .decode(header, &wire, &Limits::default())
        .unwrap()
        .collect();
    assert_eq!(bodies, [&[0xff, 0x7f, 1, 2][..]]);
}

#[test]
fn big_batches_split_into_frames_within_limits() {
    let limits = Limits {
        max_payload: 1000,
        max_messages: 10,
        ..Limits::default()
    };
    for compression in Compression::ALL {
        let mut w = BatchWriter::new(limits, compression);
        for _ in 0..25 {
            w.push(&Request::Sync).expect("encodes");
        }
        let frames = w.take_frames();
        assert_eq!(w.stats().frames, 3, "{compression}");
        let back: Vec<Request> = decode_stream(&frames, &limits).expect("decodes");
        assert_eq!(back.len(), 25);
        let image = Request::PutImage {
            target: ResourceId(1),
            rect: Rect::new(0, 0, 100, 100),
            format: crate::ImageFormat::Rgba8,
            data: vec![0; 40_000],
        };
        assert!(matches!(w.push(&image), Err(EncodeError::TooLarge { .. })));
    }
}

#[test]
fn a_buffer_given_back_holds_the_frames_after_the_next_take() {
    let mut w = BatchWriter::new(Limits::default(), Compression::None);
    w.push(&noise_image(1)).unwrap();
    let first = w.take_frames();
    let (ptr, capacity) = (first.as_ptr(), first.capacity());
    w.give_back(first);
    w.push(&Request::Sync).unwrap();
    // The take after the give-back hands out the frames sealed before it; the next
    // frames go into the buffer given back.
    let second = w.take_frames();
    assert_eq!(
        decode_stream::<Request>(&second, &Limits::default()),
        Ok(vec![Request::Sync])
    );
    w.push(&Request::Sync).unwrap();
    let third = w.take_frames();
    assert_eq!((third.as_ptr(), third.capacity()), (ptr, capacity));
    assert_eq!(
        decode_stream::<Request>(&third, &Limits::default()),
        Ok(vec![Request::Sync])
    );
}

/// A payload limit of 1200 bytes and an image request (from `seed`) of 900 bytes of pixels:
/// a frame has room for one such message, not two.
fn image_a_frame(seed: u32) -> (Limits, Request) {
    let limits = Limits {
        max_payload: 1200,
        ..Limits::default()
    };
    let mut image = noise_image(seed);
    if let Request::PutImage { data, .. } = &mut image {
        data.truncate(900);
    }
    (limits, image)
}

#[test]
fn a_message_that_would_overfill_the_batch_starts_the_next_frame() {
    // Each frame holds one image, whichever way the message was written (straight into the
    // batch, or looked up first).
    let (limits, image) = image_a_frame(5);
    for compression in Compression::ALL {
        let mut w = BatchWriter::new(limits, compression);
        for _ in 0..3 {
            w.push(&image).expect("encodes");
            w.push(&Request::Sync).expect("encodes");
        }
        let frames = w.take_frames();
        assert_eq!(w.stats().frames, 3, "{compression}");
        let back: Vec<Request> = decode_stream(&frames, &limits).expect("decodes");
        assert_eq!(back.len(), 6, "{compression}");
        assert!(back.iter().step_by(2).all(|r| *r == image), "{compression}");
    }
}

#[test]
fn references_count_against_the_payload_limit_as_the_messages_they_stand_for() {
    // Each frame holds one image, even though a reference takes one byte, so that every
    // frame decodes within max_payload.
    let (limits, image) = image_a_frame(3);
    let mut w = BatchWriter::new(limits, Compression::Lz4Ctx);
    for _ in 0..5 {
        w.push(&image).expect("encodes");
    }
    let frames = w.take_frames();
    assert_eq!(w.stats().frames, 5);
    let back: Vec<Request> = decode_stream(&frames, &limits).expect("decodes");
    assert_eq!(back, vec![image; 5]);
}

#[test]
fn compression_names_parse_back() {
    for c in Compression::ALL {
        assert_eq!(Compression::parse(c.name()), Ok(c));
        assert_eq!(c.to_string().parse::<Compression>(), Ok(c));
    }
    assert_eq!(Compression::default(), Compression::Lz4);
    let err = Compression::parse("gzip").expect_err("unknown");
    assert!(err.contains("none, lz4 or lz4-ctx"), "{err}");
}

#[test]
fn unknown_opcodes_are_told_apart_from_malformed_bodies() {
    assert_eq!(
        decode_request(&[200, 1]),
        Err(DecodeError::UnknownOpcode(200))
    );
    assert!(matches!(
        decode_request(&[1]),
        Err(DecodeError::Malformed(_))
    ));
    // MapWindow with a trailing byte.
    assert!(matches!(
        decode_request(&[1, 5, 0]),
        Err(DecodeError::Malformed(_))
    ));
}

#[test]
fn varints_round_trip_and_reject_overflow() {
    for v in [0, 1, 127, 128, 300, 16_383, 16_384, u32::MAX] {
        let mut buf = Vec::new();
        write_varint(v, &mut buf);
        assert_eq!(read_varint(&buf), Ok((v, buf.len())));
        assert_eq!(varint_len(v), buf.len(), "{v}");
    }
    assert!(read_varint(&[0xff, 0xff, 0xff, 0xff, 0x7f]).is_err());
    assert!(read_varint(&[0x80, 0x80]).is_err());
}
