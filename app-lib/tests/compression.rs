//! The connection's compression, end to end against a real server: a client that asks for
//! none, lz4 or lz4-ctx draws and reads back the same pixels; the server writes to each
//! client in the compression its hello asked for, and every frame decodes; with lz4-ctx an
//! image drawn again travels as a reference to the cache, and a reply like an earlier one
//! costs little against the dictionary.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use netui::transport::Stream;
use netui::{Color, Compression, Display, ImageFormat, Rect, ResourceId, Size};
use netui_protocol::frame::{self, BatchWriter, FrameHeader};
use netui_protocol::{
    ClientHello, FrameReader, HelloOutcome, Limits, Reply, Request, ServerHello, ServerMessage,
};
use netui_testkit::golden::pixel;
use netui_testkit::TestDisplay;

/// RGB pixels that LZ4 cannot shrink on their own.
fn noise(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let len = (width * height * 3) as usize;
    netui_testkit::golden::noise(len, seed.wrapping_mul(2_654_435_761) | 1)
}

fn connect(server: &TestDisplay, compression: Compression) -> Display {
    let socket = UnixStream::connect(server.socket()).expect("connect");
    Display::connect_stream_with(
        Stream::Unix(socket),
        None,
        ":test".into(),
        compression.name(),
        compression,
    )
    .expect("connects")
}

#[test]
fn every_compression_draws_and_reads_back_the_same_pixels() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let image = noise(64, 64, 1);
    let mut screens = Vec::new();
    for compression in Compression::ALL {
        let mut d = connect(&server, compression);
        let w = d
            .create_window(Rect::new(0, 0, 128, 96), "compression", Color::WHITE)
            .expect("window");
        d.map(w);
        d.sync().expect("sync");
        let before = d.stats().wire_bytes;
        // The same image four times, each in a frame of its own: LZ4 alone cannot see the
        // earlier frames; lz4-ctx sends the last three as references.
        for _ in 0..4 {
            d.put_image(w, Rect::new(32, 16, 64, 64), ImageFormat::Rgb8, &image);
            d.fill_rect(w, Rect::new(0, 0, 8, 8), Color::rgb(200, 30, 30));
            d.flush().expect("flush");
        }
        d.sync().expect("sync");
        let sent = d.stats().wire_bytes - before;
        match compression {
            Compression::Lz4Ctx => assert!(sent < 64 * 64 * 3 + 512, "{compression}: {sent} B"),
            _ => assert!(sent > 4 * 64 * 64 * 3, "{compression}: {sent} B"),
        }
        // Large replies, twice (the second is like the first).
        let first = d.get_image(w, None).expect("read back");
        let again = d.get_image(w, None).expect("read back");
        assert_eq!(first, again, "{compression}");
        let rgb = |x: usize, y: usize| {
            let i = (y * 64 + x) * 3;
            [image[i], image[i + 1], image[i + 2], 255]
        };
        assert_eq!(pixel(&first.rgba, 128, 32, 16), rgb(0, 0), "{compression}");
        assert_eq!(
            pixel(&first.rgba, 128, 95, 79),
            rgb(63, 63),
            "{compression}"
        );
        assert_eq!(pixel(&first.rgba, 128, 3, 3), [200, 30, 30, 255]);
        screens.push(first.rgba);
        d.destroy_window(w);
        d.sync().expect("sync");
    }
    assert!(screens.windows(2).all(|s| s[0] == s[1]));
}

/// A smooth picture, as photographs are to the Sub filter: each channel changes by the same
/// step along a row, and no four bytes repeat within a row, so LZ4 alone finds little in it.
fn picture(width: u32, height: u32) -> Vec<u8> {
    let mut rgb = Vec::new();
    for y in 0..height {
        for x in 0..width {
            rgb.extend([(x + y / 2) as u8, (2 * y) as u8, (x * y / 64) as u8]);
        }
    }
    rgb
}

/// Over the network (a connection whose frames are compressed) app-lib sends a large image
/// compressed, in its `Zstd` format; on `none`, what a local socket uses, it goes raw. The
/// pixels read back are the image's either way.
#[test]
fn large_images_go_compressed_when_the_connection_compresses_and_raw_when_not() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let (width, height) = (200, 150);
    let image = picture(width, height);
    let raw = image.len() as u64;
    let at = Rect::new(10, 20, width, height);
    for compression in Compression::ALL {
        let mut d = connect(&server, compression);
        let w = d
            .create_window(Rect::new(0, 0, 240, 200), "pictures", Color::WHITE)
            .expect("window");
        d.map(w);
        d.sync().expect("sync");
        let before = d.stats().wire_bytes;
        d.put_image(w, at, ImageFormat::Rgb8, &image);
        d.sync().expect("sync");
        let sent = d.stats().wire_bytes - before;
        match compression {
            Compression::None => assert!(sent > raw, "{compression}: {sent} B"),
            // LZ4 alone leaves the picture at more than half its size.
            _ => assert!(sent < raw / 20, "{compression}: {sent} B of {raw}"),
        }
        let back = d.get_image(w, Some(at)).expect("read back");
        let expected: Vec<u8> = image
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect();
        assert!(back.rgba == expected, "{compression}: other pixels");
        d.destroy_window(w);
        d.sync().expect("sync");
    }
}

/// A client that speaks bytes, to look at the frames the server writes.
struct Raw {
    stream: UnixStream,
    frames: FrameReader,
    id_base: u32,
}

impl Raw {
    fn connect(server: &TestDisplay, compression: Compression) -> Raw {
        let mut stream = UnixStream::connect(server.socket()).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let hello = ClientHello::new("raw", None).with_compression(compression);
        stream
            .write_all(&frame::encode_single(&hello).expect("hello"))
            .expect("send");
        let mut raw = Raw {
            stream,
            frames: FrameReader::new(Limits::default()),
            id_base: 0,
        };
        let (header, bodies) = raw.next_frame();
        // The hello goes plain, whatever the compression.
        assert_eq!(header.flags(), 0);
        let hello: ServerHello = frame::decode_message(&bodies[0]).expect("a hello");
        let HelloOutcome::Accepted(welcome) = hello.outcome else {
            panic!("refused")
        };
        raw.id_base = welcome.id_base;
        raw
    }

    fn send(&mut self, requests: &[Request]) {
        let mut w = BatchWriter::new(Limits::default(), Compression::None);
        for r in requests {
            w.push(r).expect("encode");
        }
        self.stream.write_all(&w.take_frames()).expect("send");
    }

    /// Reads frames until an image reply; returns its pixels and its frame's wire length.
    /// Records every frame's flags.
    fn image_reply(&mut self, flags: &mut Vec<u8>) -> (Vec<u8>, usize) {
        loop {
            let (header, bodies) = self.next_frame();
            flags.push(header.flags());
            for body in bodies {
                let message: ServerMessage = frame::decode_message(&body).expect("decodes");
                if let ServerMessage::Reply(Reply::Image { data, .. }) = message {
                    return (data, header.wire_len);
                }
            }
        }
    }

    /// The next frame's header and message bodies.
    fn next_frame(&mut self) -> (FrameHeader, Vec<Vec<u8>>) {
        loop {
            if let Some(frame) = self.frames.next_frame().expect("a frame that decodes") {
                let bodies = frame.bodies.map(<[u8]>::to_vec).collect();
                return (frame.header, bodies);
            }
            let n = self.stream.read(self.frames.spare()).expect("read");
            assert!(n > 0, "the server closed the connection");
            self.frames.filled(n);
        }
    }
}

#[test]
fn the_server_writes_in_the_compression_the_hello_asks_for() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    for compression in Compression::ALL {
        let mut raw = Raw::connect(&server, compression);
        let window = ResourceId(raw.id_base | 1);
        // A window with an image that LZ4 cannot shrink, read back twice.
        raw.send(&[
            Request::CreateWindow {
                id: window,
                rect: Rect::new(0, 0, 100, 60),
                title: "raw".into(),
                background: Color::WHITE,
            },
            Request::MapWindow { id: window },
            Request::PutImage {
                target: window,
                rect: Rect::new(0, 0, 100, 60),
                format: ImageFormat::Rgb8,
                data: noise(100, 60, 2),
            },
        ]);
        // The second reply is asked for after the first arrived, so that each has a frame of
        // its own.
        let get = Request::GetImage {
            source: window,
            area: None,
        };
        let mut flags = Vec::new();
        raw.send(std::slice::from_ref(&get));
        let (first, _) = raw.image_reply(&mut flags);
        raw.send(&[get]);
        let (second, wire) = raw.image_reply(&mut flags);
        let images = [first, second];
        assert_eq!(images[0], images[1], "{compression}");
        assert_eq!(images[0].len(), 100 * 60 * 4);
        match compression {
            Compression::None => assert!(flags.iter().all(|&f| f == 0), "{flags:?}"),
            Compression::Lz4 => assert!(flags.iter().all(|&f| f <= 0x01), "{flags:?}"),
            Compression::Lz4Ctx => {
                assert!(flags.iter().all(|&f| f == 0x02 || f == 0x03), "{flags:?}");
            }
        }
        // The second reply repeats the first's 24,000 bytes of noise: only lz4-ctx, whose
        // dictionary holds the first, can tell.
        if compression == Compression::Lz4Ctx {
            assert!(wire < 2000, "{compression}: {wire} B");
        } else {
            assert!(wire > 24_000, "{compression}: {wire} B");
        }
    }
}
