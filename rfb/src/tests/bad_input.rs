//! What a client (or server) must not get away with: errors, never panics.

use std::io::Cursor;

use netui_protocol::{Color, Rect, Size};
use netui_scene::render::Canvas;
use proptest::prelude::*;

use super::*;
use crate::client::ClientError;
use crate::pixel::PixelFormat;
use crate::zrle::ZrleDecoder;
use crate::{encoding, hextile};

/// A session after a complete handshake (and its client, kept so the pipe lives).
fn ready() -> Pipe {
    let (pipe, _client) = connect(Canvas::new(64, 48, Color::BLACK), &[encoding::RAW]);
    pipe
}

fn receive(pipe: &Pipe, bytes: &[u8]) -> Result<(), RfbError> {
    pipe.0.borrow_mut().session.receive(bytes)
}

#[test]
fn garbage_message_type() {
    assert_eq!(
        receive(&ready(), &[77, 1, 2, 3]),
        Err(RfbError::UnknownMessage(77))
    );
}

#[test]
fn set_encodings_with_65535_entries() {
    let mut bytes = vec![2, 0, 0xff, 0xff];
    bytes.extend(std::iter::repeat_n(0, 65535 * 4));
    assert_eq!(
        receive(&ready(), &bytes),
        Err(RfbError::TooManyEncodings(65535))
    );
}

#[test]
fn client_cut_text_with_a_lying_huge_length() {
    let pipe = ready();
    // 100 MiB announced, 5 bytes sent: refused at once, not waited for.
    let bytes = [6, 0, 0, 0, 0x06, 0x40, 0, 0, b'h', b'e', b'l', b'l', b'o'];
    assert_eq!(
        receive(&pipe, &bytes),
        Err(RfbError::CutTextTooLong(100 << 20))
    );
    // And the session is over.
    assert_eq!(receive(&pipe, &[5, 0, 0, 0, 0, 0]), Err(RfbError::Closed));
}

#[test]
fn framebuffer_update_request_outside_the_screen() {
    let pipe = ready();
    let bytes = [3, 1, 0, 60, 0, 0, 0, 5, 0, 5]; // 5x5 at (60, 0) of 64x48
    assert_eq!(
        receive(&pipe, &bytes),
        Err(RfbError::RequestOutsideScreen {
            rect: Rect::new(60, 0, 5, 5),
            size: Size::new(64, 48)
        })
    );
}

#[test]
fn a_pixel_format_with_a_colour_map() {
    let mut format = PixelFormat::SERVER.to_bytes();
    format[3] = 0; // true-colour flag off
    let mut bytes = vec![0, 0, 0, 0];
    bytes.extend_from_slice(&format);
    assert!(matches!(
        receive(&ready(), &bytes),
        Err(RfbError::PixelFormat(_))
    ));
}

#[test]
fn a_fence_too_long_and_an_unknown_qemu_message() {
    assert_eq!(
        receive(&ready(), &[248, 0, 0, 0, 0x80, 0, 0, 0, 200]),
        Err(RfbError::FenceTooLong(200))
    );
    assert_eq!(
        receive(&ready(), &[255, 7]),
        Err(RfbError::UnknownQemuMessage(7))
    );
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::Compress::new(flate2::Compression::default(), true);
    let mut out = Vec::with_capacity(data.len() + 64);
    z.compress_vec(data, &mut out, flate2::FlushCompress::Sync)
        .unwrap();
    let mut rect = (out.len() as u32).to_be_bytes().to_vec();
    rect.extend_from_slice(&out);
    rect
}

fn zrle(data: &[u8], rect: Rect) -> Result<(), ClientError> {
    let mut canvas = Canvas::new(16, 16, Color::BLACK);
    let bytes = zlib(data);
    ZrleDecoder::new().decode(
        &mut Cursor::new(bytes),
        rect,
        &PixelFormat::SERVER,
        &mut canvas,
    )
}

fn zrle_error(data: &[u8], rect: Rect) -> RfbError {
    match zrle(data, rect) {
        Err(ClientError::Rfb(e)) => e,
        other => panic!("expected an RFB error, got {other:?}"),
    }
}

#[test]
fn corrupt_zrle_is_an_error() {
    let r = Rect::new(0, 0, 2, 1);
    // A good tile: solid (CPIXELs are three bytes in the server format).
    zrle(&[1, 1, 2, 3], r).unwrap();
    // Packed palette of 3 colours, an index of 3.
    let bad_index = [3, 0, 0, 0, 1, 1, 1, 2, 2, 2, 0b1100_0000];
    assert_eq!(
        zrle_error(&bad_index, r),
        RfbError::Zrle("palette index out of range")
    );
    // Plain RLE: a run of 3 in a tile of 2.
    assert_eq!(
        zrle_error(&[128, 1, 2, 3, 2], r),
        RfbError::Zrle("a run past the end of its tile")
    );
    // Palette RLE with index 5 of 2.
    assert_eq!(
        zrle_error(&[130, 0, 0, 0, 1, 1, 1, 5, 0], r),
        RfbError::Zrle("palette index out of range")
    );
    assert_eq!(
        zrle_error(&[17], r),
        RfbError::Zrle("unknown tile subencoding")
    );
    assert_eq!(
        zrle_error(&[0, 1, 2], r),
        RfbError::Zrle("tile data ends early")
    );
    assert_eq!(
        zrle_error(&[1, 1, 2, 3, 9], r),
        RfbError::Zrle("data after the last tile")
    );
    // Outside the 16x16 framebuffer.
    assert!(matches!(
        zrle_error(&[1, 1, 2, 3], Rect::new(10, 10, 8, 8)),
        RfbError::OutsideFramebuffer { .. }
    ));
    // Not zlib at all.
    let mut canvas = Canvas::new(16, 16, Color::BLACK);
    let bytes = [0, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef];
    let result = ZrleDecoder::new().decode(
        &mut Cursor::new(bytes),
        r,
        &PixelFormat::SERVER,
        &mut canvas,
    );
    assert!(result.is_err());
    // More output than a 2x1 rectangle can need: 20 kB of raw tile.
    assert_eq!(
        zrle_error(&vec![0; 20_000], r),
        RfbError::Zrle("more data than its rectangle can hold")
    );
    // A lying compressed length.
    let bytes = [0x7f, 0xff, 0xff, 0xff, 1];
    let result = ZrleDecoder::new().decode(
        &mut Cursor::new(bytes),
        r,
        &PixelFormat::SERVER,
        &mut canvas,
    );
    assert!(matches!(result, Err(ClientError::Rfb(RfbError::Zrle(_)))));
}

fn hextile(data: &[u8], rect: Rect) -> Result<(), ClientError> {
    let mut canvas = Canvas::new(16, 16, Color::BLACK);
    hextile::decode(
        &mut Cursor::new(data),
        rect,
        &PixelFormat::SERVER,
        &mut canvas,
    )
}

#[test]
fn corrupt_hextile_is_an_error() {
    let r = Rect::new(0, 0, 8, 8);
    let bg = [hextile::BACKGROUND_SPECIFIED, 1, 2, 3, 0];
    hextile(&bg, r).unwrap();
    // A subrectangle of 16x1 in an 8x8 tile.
    let mut wide =
        vec![hextile::BACKGROUND_SPECIFIED | hextile::ANY_SUBRECTS | hextile::SUBRECTS_COLOURED];
    wide.extend_from_slice(&[1, 2, 3, 0, 1, 9, 9, 9, 0, 0, 0xf0, 0x00]);
    assert!(matches!(
        hextile(&wide, r),
        Err(ClientError::Rfb(RfbError::Hextile(
            "a subrectangle outside its tile"
        )))
    ));
    assert!(matches!(
        hextile(&[0], r),
        Err(ClientError::Rfb(RfbError::Hextile(
            "a tile without a background"
        )))
    ));
    let no_fg = [
        hextile::BACKGROUND_SPECIFIED | hextile::ANY_SUBRECTS,
        1,
        2,
        3,
        0,
        1,
        0,
        0,
    ];
    assert!(matches!(
        hextile(&no_fg, r),
        Err(ClientError::Rfb(RfbError::Hextile(
            "subrectangles without a foreground"
        )))
    ));
    assert!(matches!(
        hextile(&bg, Rect::new(12, 0, 8, 8)),
        Err(ClientError::Rfb(RfbError::OutsideFramebuffer { .. }))
    ));
    assert!(matches!(
        hextile(&[hextile::RAW, 1, 2], r),
        Err(ClientError::Io(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_after_the_handshake_never_panic(
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..8)
    ) {
        let pipe = ready();
        let mut server = pipe.0.borrow_mut();
        for chunk in &chunks {
            if server.session.receive(chunk).is_err() {
                break;
            }
            while server.session.next_event().is_some() {}
            if server.session.wants_update() {
                let screen = server.screen.clone();
                let _ = server.session.send_update(&screen, &[screen.bounds()], &[]);
            }
        }
    }

    #[test]
    fn random_zrle_and_hextile_data_never_panic(
        data in proptest::collection::vec(any::<u8>(), 0..300),
        w in 1u32..20,
        h in 1u32..20,
    ) {
        let _ = zrle(&data, Rect::new(0, 0, w, h));
        let _ = hextile(&data, Rect::new(0, 0, w, h));
    }
}
