//! Every encoding in every format: what the client shows is the server's screen (through
//! the format), for whole screens, changes and copies.

use netui_protocol::{Color, Point, Rect, Size};
use netui_scene::render::Canvas;

use super::*;
use crate::client::ServerMessage;
use crate::encoding;
use crate::pixel::PixelFormat;

/// The client pixel formats every test runs through, by name.
pub(crate) fn formats() -> Vec<(&'static str, PixelFormat)> {
    let mut bgr_be = PixelFormat::SERVER;
    bgr_be.big_endian = true;
    bgr_be.red_shift = 0;
    bgr_be.blue_shift = 16;
    // Colour in the high three bytes: ZRLE's other compact form.
    let mut high = PixelFormat::SERVER;
    high.red_shift = 24;
    high.green_shift = 16;
    high.blue_shift = 8;
    let rgb332 = PixelFormat {
        bits_per_pixel: 8,
        depth: 8,
        big_endian: false,
        red_max: 7,
        green_max: 7,
        blue_max: 3,
        red_shift: 5,
        green_shift: 2,
        blue_shift: 0,
    };
    let mut rgb565_be = PixelFormat::rgb565();
    rgb565_be.big_endian = true;
    vec![
        ("server", PixelFormat::SERVER),
        ("rgb565", PixelFormat::rgb565()),
        ("rgb565 big-endian", rgb565_be),
        ("rgb332", rgb332),
        ("bgr big-endian 32", bgr_be),
        ("high bytes 32", high),
    ]
}

/// The screen as a client in `format` shows it.
fn through(screen: &Canvas, format: &PixelFormat) -> Canvas {
    let mut c = screen.clone();
    for p in c.pixels_mut() {
        *p = format.rgb(format.pixel(*p));
    }
    c
}

fn update(client: &mut Client<Pipe>) -> crate::client::Update {
    match client.read_message() {
        Ok(ServerMessage::Update(u)) => u,
        other => panic!("expected an update, got {other:?}"),
    }
}

fn check(what: &str, client: &Client<Pipe>, pipe: &Pipe, format: &PixelFormat) {
    let want = through(&pipe.0.borrow().screen, format);
    let got = client.canvas();
    if got != &want {
        let first = got
            .pixels()
            .iter()
            .zip(want.pixels())
            .position(|(a, b)| a != b);
        panic!("{what}: the client differs from the screen, first at pixel {first:?}");
    }
}

/// Connects, sees the whole screen, then changes, copies, and nothing.
fn scenario(pixels: i32, copy_rect: bool, (name, format): (&str, PixelFormat), size: Size) {
    let what = format!(
        "{pixels} copy_rect={copy_rect} {name} {}x{}",
        size.width, size.height
    );
    let mut encodings = vec![pixels];
    if copy_rect {
        encodings.push(encoding::COPY_RECT);
    }
    let (pipe, mut client) = connect(busy_screen(size, 7), &encodings);
    client.set_pixel_format(format).unwrap();
    let all = Rect::from_size(size);
    client.request_update(false, all).unwrap();
    let u = update(&mut client);
    assert!(u.bytes_of(pixels) > 0, "{what}: sent in its encoding");
    check(&format!("{what}, whole screen"), &client, &pipe, &format);

    // Changes: a filled rectangle, a few noisy pixels at the far corner, a line of "text".
    let mut rng = Rng(size.width as u64 * 31 + size.height as u64);
    {
        let mut server = pipe.0.borrow_mut();
        server.draw(|c| {
            let r = Rect::new(size.width as i32 / 4, size.height as i32 / 4, 9, 5);
            c.fill_rect(r, Color::rgb(200, 10, 50), c.bounds())
        });
        let corner = Rect::new(size.width as i32 - 3, size.height as i32 - 2, 3, 2).intersect(all);
        for y in corner.y..corner.bottom() as i32 {
            for x in corner.x..corner.right() as i32 {
                let colour = Color::from_xrgb(rng.next());
                server.draw(|c| c.fill_rect(Rect::new(x, y, 1, 1), colour, c.bounds()));
            }
        }
    }
    client.request_update(true, all).unwrap();
    update(&mut client);
    check(&format!("{what}, after changes"), &client, &pipe, &format);

    // A scroll up by 3 rows, then the exposed band redrawn; and a move to the right.
    {
        let mut server = pipe.0.borrow_mut();
        let h = size.height.saturating_sub(3);
        server.copy(Rect::new(0, 3, size.width, h), Point::new(0, 0));
        let band = Rect::new(0, h as i32, size.width, size.height - h);
        server.draw(|c| c.fill_rect(band, Color::rgb(1, 2, 3), c.bounds()));
        server.copy(
            Rect::new(0, 0, size.width / 2, size.height / 2),
            Point::new(2, 1),
        );
    }
    client.request_update(true, all).unwrap();
    let u = update(&mut client);
    check(&format!("{what}, after copies"), &client, &pipe, &format);
    if copy_rect && size.height > 3 {
        assert!(
            u.bytes_of(encoding::COPY_RECT) > 0,
            "{what}: copies as CopyRect"
        );
    } else {
        assert_eq!(u.bytes_of(encoding::COPY_RECT), 0, "{what}: no CopyRect");
    }

    // Nothing changed: nothing is sent.
    let before = pipe.0.borrow().sent;
    client.request_update(true, all).unwrap();
    pipe.0.borrow_mut().pump();
    assert_eq!(
        pipe.0.borrow().sent,
        before,
        "{what}: bytes for an unchanged screen"
    );

    // Something changes later: the pending request is answered.
    pipe.0
        .borrow_mut()
        .draw(|c| c.fill_rect(Rect::new(0, 0, 2, 2), Color::WHITE, c.bounds()));
    let u = update(&mut client);
    assert_eq!(
        u.rects,
        [Rect::new(0, 0, 2.min(size.width), 2.min(size.height))]
    );
    check(
        &format!("{what}, after a late change"),
        &client,
        &pipe,
        &format,
    );
}

#[test]
fn every_encoding_format_and_size_comes_back() {
    let sizes = [
        Size::new(1, 1),
        Size::new(65, 17),
        Size::new(130, 70),
        Size::new(17, 129),
    ];
    let lossless = [
        encoding::RAW,
        encoding::HEXTILE,
        encoding::ZRLE,
        encoding::TIGHT,
    ];
    for pixels in lossless {
        for copy_rect in [false, true] {
            for format in formats() {
                for size in sizes {
                    scenario(pixels, copy_rect, format, size);
                }
            }
        }
    }
}

#[test]
fn zrle_uses_every_tile_form() {
    // Solid, 2 and 5 colour palettes, few-colour runs, many-colour runs, noise.
    let mut screen = Canvas::new(64 * 6, 64, Color::BLACK);
    let mut rng = Rng(99);
    for (i, p) in screen.pixels_mut().iter_mut().enumerate() {
        let (x, y) = (i % (64 * 6), i / (64 * 6));
        *p = match x / 64 {
            0 => 0x0012_3456,
            1 => [0, 0x00ff_ffff][(x + y) % 2],
            2 => [1, 2, 3, 4, 5][(x * 3 + y) % 5],
            3 => [10, 20, 30][y / 8 % 3],
            4 => (y as u32 * 64 + x as u32 / 16) * 1000,
            _ => rng.next() & 0x00ff_ffff,
        };
    }
    let (pipe, mut client) = connect(screen, &[encoding::ZRLE]);
    client
        .request_update(false, Rect::new(0, 0, 64 * 6, 64))
        .unwrap();
    let u = update(&mut client);
    check("zrle forms", &client, &pipe, &PixelFormat::SERVER);
    // Raw would be 4 bytes a pixel: the solid and palette tiles make it much smaller.
    assert!(u.bytes_of(encoding::ZRLE) < 64 * 64 * 4 * 2, "{u:?}");
}

#[test]
fn a_pixel_format_change_sends_everything_again() {
    let (pipe, mut client) = connect(busy_screen(Size::new(40, 30), 2), &[encoding::HEXTILE]);
    client
        .request_update(false, Rect::new(0, 0, 40, 30))
        .unwrap();
    update(&mut client);
    check("before", &client, &pipe, &PixelFormat::SERVER);
    let format = PixelFormat::rgb565();
    client.set_pixel_format(format).unwrap();
    client
        .request_update(true, Rect::new(0, 0, 40, 30))
        .unwrap();
    update(&mut client);
    check("after SetPixelFormat", &client, &pipe, &format);
}

#[test]
fn damage_outside_the_request_waits_for_a_later_one() {
    let (pipe, mut client) = connect(busy_screen(Size::new(100, 100), 4), &[encoding::ZRLE]);
    client
        .request_update(false, Rect::new(0, 0, 100, 100))
        .unwrap();
    update(&mut client);
    pipe.0
        .borrow_mut()
        .draw(|c| c.fill_rect(Rect::new(10, 10, 80, 80), Color::GREEN, c.bounds()));
    client
        .request_update(true, Rect::new(0, 0, 50, 100))
        .unwrap();
    let u = update(&mut client);
    assert!(u.rects.iter().all(|r| r.right() <= 50), "{:?}", u.rects);
    client
        .request_update(true, Rect::new(0, 0, 100, 100))
        .unwrap();
    update(&mut client);
    check("after both halves", &client, &pipe, &PixelFormat::SERVER);
}
