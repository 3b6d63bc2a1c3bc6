//! Recordings (`bandwidth --record` / `--replay`): the file round-trips and refuses what it
//! cannot play with the right reason; a recorded drawing session played into another server,
//! where the player gets another id range, draws the same screen pixel for pixel.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;

use netui::transport::Stream;
use netui::{Color, Display, Font, ImageFormat, Point, Rect, ResourceId, Segment, Size};
use netui_bench::record::{self, Recording, RecordingError, CREATED_BY};
use netui_protocol::frame::encode_single;
use netui_protocol::handshake::PixelFormat;
use netui_protocol::{
    BatchWriter, ClientHello, Compression, ErrorReport, FontSet, FrameReader, HelloOutcome, Limits,
    Refusal, Request, ServerHello, ServerMessage, Welcome, PROTOCOL_VERSION,
};
use netui_testkit::golden::differing;
use netui_testkit::socket::recording_proxy;
use netui_testkit::TestDisplay;

const SIZE: Size = Size::new(320, 240);
/// Client 1's id base, as the server gives it (`1 << 21`).
const FIRST_BASE: u32 = 1 << 21;

/// Runs `draw` as an application of `server` through a proxy that keeps what it sends; returns
/// the application (still connected, so its windows stay) and its recording.
fn record(server: &TestDisplay, draw: impl FnOnce(&mut Display)) -> (Display, Recording) {
    let (app_end, kept) = recording_proxy(server.socket());
    let mut display =
        Display::connect_stream(Stream::Unix(app_end), None, "test".into(), "recorded-app")
            .expect("connects through the proxy");
    draw(&mut display);
    // The server answered the Sync: the proxy has kept every request before it.
    let _ = display.sync();
    let stream = kept.lock().expect("kept").clone();
    let recording = Recording {
        workload: "drawing".into(),
        size: SIZE,
        frames: 2,
        id_base: display.welcome().id_base,
        stream,
    };
    (display, recording)
}

/// A session that uses every kind of drawable and id: windows, a pixmap copied into a window,
/// the root read back, and a request that the server refuses.
fn drawing(display: &mut Display) {
    let back = display
        .create_window(Rect::new(20, 30, 200, 120), "back", Color::rgb(30, 60, 90))
        .expect("window");
    let front = display
        .create_window(Rect::new(120, 90, 150, 100), "front", Color::WHITE)
        .expect("window");
    display.map(back);
    display.map(front);
    let pixmap = display.create_pixmap(Size::new(40, 30)).expect("pixmap");
    display.fill_rect(pixmap, Rect::new(0, 0, 40, 30), Color::rgb(250, 200, 0));
    display.fill_rect(pixmap, Rect::new(10, 10, 20, 10), Color::RED);
    display.fill_rects(
        back,
        &[Rect::new(5, 5, 30, 20), Rect::new(50, 40, 25, 25)],
        Color::rgb(0, 180, 70),
    );
    display.line(
        back,
        Point::new(0, 119),
        Point::new(199, 0),
        3,
        Color::BLACK,
    );
    display.send(Request::Segments {
        target: back.into(),
        color: Color::rgb(200, 0, 200),
        width: 1,
        segments: vec![Segment {
            a: Point::new(100, 10),
            b: Point::new(190, 60),
        }],
    });
    display.fill_ellipse(back, Rect::new(120, 60, 60, 40), Color::rgb(255, 128, 0));
    display.text(
        back,
        Point::new(8, 80),
        Font::Sans,
        16,
        Color::WHITE,
        "recorded",
    );
    display.present(back).expect("present");
    display.copy_area(pixmap, front, Rect::new(0, 0, 40, 30), Point::new(10, 10));
    let rgb: Vec<u8> = (0..16 * 16)
        .flat_map(|i| [i as u8, 255 - i as u8, 90])
        .collect();
    display.put_image(front, Rect::new(60, 20, 16, 16), ImageFormat::Rgb8, &rgb);
    display.text(
        front,
        Point::new(8, 60),
        Font::Mono,
        14,
        Color::BLACK,
        "front",
    );
    // Refused by the server (no such window), when recording and when playing.
    let bogus = ResourceId(display.welcome().id_base | 0x1234);
    display.send(Request::MapWindow { id: bogus });
    // Reading the root: an id that is no client's.
    display.get_image(ResourceId::ROOT, None).expect("root");
    display.present(front).expect("present");
}

/// Plays `recording` into `server` and returns the player, still connected.
fn play(server: &TestDisplay, recording: &Recording) -> Display {
    let stream = UnixStream::connect(server.socket()).expect("connects");
    record::play(stream, recording).expect("plays")
}

#[test]
fn a_played_recording_draws_the_recorded_screen_in_another_id_range() {
    let original = TestDisplay::start(":record", SIZE);
    let (app, recording) = record(&original, drawing);
    assert_eq!(recording.id_base, FIRST_BASE);
    let expected = original.screen();

    // Through the file, as `bandwidth --record` then `--replay` would.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("drawing.netuirec");
    recording.save(&path).expect("saves");
    let loaded = Recording::load(&path).expect("loads");
    assert_eq!(loaded, recording);

    // Another client comes first and takes the recorded id range (and id `base | 1`).
    let replay = TestDisplay::start(":record", SIZE);
    let mut squatter = replay.connect("squatter");
    assert_eq!(squatter.welcome().id_base, recording.id_base);
    squatter.create_pixmap(Size::new(8, 8)).expect("pixmap");
    squatter.sync().expect("sync");

    let player = play(&replay, &loaded);
    let actual = replay.screen();
    assert_eq!(actual.len(), expected.len());
    let n = differing(&actual, &expected);
    assert_eq!(
        n, 0,
        "{n} pixels differ between the recorded and the played screen"
    );

    // The player's windows are in its own range, at the recorded places.
    let info = squatter.server_info().expect("info");
    let client = info
        .clients
        .iter()
        .find(|c| c.name == "recorded-app")
        .expect("the player keeps the recorded client name");
    assert_ne!(client.id, 1);
    let ids: Vec<u32> = client.windows.iter().map(|w| w.id.0).collect();
    assert_eq!(ids, [client.id << 21 | 1, client.id << 21 | 2]);
    assert_eq!(client.pixmaps, 1);

    drop(player);
    drop(app);
}

/// Frames made by hand: the hello, then one frame for each batch of `batches`, written by one
/// writer (context frames depend on the ones before).
fn handmade(compression: Compression, batches: &[&[Item]]) -> Vec<u8> {
    let mut stream = encode_single(&ClientHello::new("handmade", None)).expect("hello");
    let mut writer = BatchWriter::new(Limits::default(), compression);
    for batch in batches {
        for item in *batch {
            match item {
                Item::Request(request) => writer.push(request),
                Item::Unknown(opcode) => writer.push(opcode),
            }
            .expect("encodes");
        }
        stream.extend(writer.take_frames());
    }
    stream
}

/// A message of a handmade stream.
enum Item {
    Request(Request),
    /// A request with this opcode and no body (unknown to this build for large opcodes).
    Unknown(u32),
}

fn window(n: u32) -> ResourceId {
    ResourceId(FIRST_BASE | n)
}

fn fill(color: Color, rect: Rect) -> Item {
    Item::Request(Request::FillRects {
        target: window(1),
        color,
        rects: vec![rect],
    })
}

fn small_recording() -> Recording {
    Recording {
        workload: "handmade".into(),
        size: SIZE,
        frames: 1,
        id_base: FIRST_BASE,
        stream: handmade(
            Compression::None,
            &[
                &[
                    Item::Request(Request::CreateWindow {
                        id: window(1),
                        rect: Rect::new(40, 40, 100, 80),
                        title: "w".into(),
                        background: Color::WHITE,
                    }),
                    Item::Request(Request::MapWindow { id: window(1) }),
                ],
                &[
                    fill(Color::RED, Rect::new(0, 0, 50, 40)),
                    Item::Request(Request::Present { window: window(1) }),
                ],
            ],
        ),
    }
}

#[test]
fn context_frames_and_requests_this_build_cannot_decode_are_played_as_recorded() {
    // The same image twice: the second is a cache reference in the recorded context frame.
    let image = |x: i32| {
        Item::Request(Request::PutImage {
            target: window(1),
            rect: Rect::new(x, 50, 10, 10),
            format: ImageFormat::Rgb8,
            data: [0, 200, 0].repeat(100),
        })
    };
    let stream = handmade(
        Compression::Lz4Ctx,
        &[
            &[
                Item::Request(Request::CreateWindow {
                    id: window(1),
                    rect: Rect::new(40, 40, 100, 80),
                    title: "w".into(),
                    background: Color::WHITE,
                }),
                Item::Request(Request::MapWindow { id: window(1) }),
                fill(Color::RED, Rect::new(0, 0, 50, 40)),
                image(0),
            ],
            // An unknown opcode, then more drawing: if the player dropped it, the display's
            // numbering would run one short and the final Sync would not be answered with the
            // number that the player waits for.
            &[
                Item::Unknown(200),
                fill(Color::rgb(0, 0, 255), Rect::new(50, 40, 50, 40)),
                image(20),
                Item::Request(Request::Present { window: window(1) }),
            ],
        ],
    );
    let hello_len = first_frame_len(&stream);
    let flags = stream[hello_len];
    assert_eq!(flags & 0x02, 0x02, "the requests are in context frames");
    let recording = Recording {
        workload: "handmade".into(),
        size: SIZE,
        frames: 1,
        id_base: FIRST_BASE,
        stream,
    };
    let recording = Recording::from_bytes(&recording.to_bytes().expect("encodes")).expect("loads");

    let server = TestDisplay::start(":record", SIZE);
    let _squatter = server.connect("squatter");
    let player = play(&server, &recording);
    let pixels = server.screen();
    // Screen coordinates: the window's content starts at (40, 40).
    let at = |x: u32, y: u32| {
        let i = ((y * SIZE.width + x) * 4) as usize;
        pixels[i..i + 4].to_vec()
    };
    assert_eq!(at(45, 45), [255, 0, 0, 255], "red quarter");
    assert_eq!(at(135, 115), [0, 0, 255, 255], "blue quarter");
    assert_eq!(at(45, 95), [0, 200, 0, 255], "first image");
    assert_eq!(at(65, 95), [0, 200, 0, 255], "second image, from the cache");
    drop(player);
}

#[test]
fn a_recording_survives_save_and_load() {
    let recording = small_recording();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("small.netuirec");
    recording.save(&path).expect("saves");
    assert_eq!(Recording::load(&path).expect("loads"), recording);
}

#[test]
fn the_file_starts_with_the_documented_preamble() {
    let bytes = small_recording().to_bytes().expect("encodes");
    let mut expected = b"NETUIREC".to_vec(); // magic
    expected.push(1); // format version 1 (varint)
    expected.push(PROTOCOL_VERSION as u8); // protocol version (varint, < 128)
    expected.push(CREATED_BY.len() as u8); // created-by length (varint, < 128)
    expected.extend_from_slice(CREATED_BY.as_bytes());
    expected.push(8); // workload: length 8...
    expected.extend_from_slice(b"handmade"); // ...and its bytes
    assert!(
        bytes.starts_with(&expected),
        "{:?}",
        &bytes[..expected.len()]
    );
}

#[test]
fn a_token_in_the_recorded_hello_is_not_saved() {
    let mut recording = small_recording();
    let (_, rest) = recording
        .stream
        .split_at(first_frame_len(&recording.stream));
    let mut stream =
        encode_single(&ClientHello::new("handmade", Some(vec![0xab; 32]))).expect("hello");
    stream.extend_from_slice(rest);
    recording.stream = stream;
    let bytes = recording.to_bytes().expect("encodes");
    assert!(
        !bytes.windows(32).any(|w| w == [0xab; 32]),
        "the token was saved"
    );
    let loaded = Recording::from_bytes(&bytes).expect("decodes");
    assert_eq!(loaded.stream, small_recording().stream);
}

fn first_frame_len(stream: &[u8]) -> usize {
    let mut frames = FrameReader::new(Limits::default());
    frames.feed(stream);
    let frame = frames.next_frame().expect("frame").expect("whole");
    frame.wire.len()
}

fn load_error(bytes: &[u8]) -> RecordingError {
    Recording::from_bytes(bytes).expect_err("refused")
}

#[test]
fn what_is_not_a_recording_is_refused_as_such() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    for bytes in [&png[..], b"NETUIREX\x01\x01", b"hello, world", b""] {
        assert!(
            matches!(load_error(bytes), RecordingError::NotARecording(_)),
            "{bytes:?}"
        );
    }
    // Through a file: the message names the file and says what it is not.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("picture.png");
    std::fs::write(&path, png).expect("write");
    let err = Recording::load(&path).expect_err("refused");
    assert!(matches!(
        err.downcast_ref::<RecordingError>(),
        Some(RecordingError::NotARecording(_))
    ));
    let message = format!("{err:#}");
    assert!(message.contains("picture.png"), "{message}");
    assert!(message.contains("not a netui recording"), "{message}");
    let missing = Recording::load(dir.path().join("missing")).expect_err("refused");
    assert!(
        format!("{missing:#}").contains("cannot read"),
        "{missing:#}"
    );
}

#[test]
fn a_truncated_recording_is_refused_as_truncated_wherever_it_is_cut() {
    let bytes = small_recording().to_bytes().expect("encodes");
    for len in 1..bytes.len() {
        let err = load_error(&bytes[..len]);
        assert!(
            matches!(err, RecordingError::Truncated(_)),
            "cut at {len}: {err}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(load_error(&longer), RecordingError::Corrupt(_)));
}

/// A preamble by hand: magic, format, protocol, created-by (all varints below 128).
fn preamble(format: u8, protocol: u8, created_by: &str) -> Vec<u8> {
    let mut bytes = b"NETUIREC".to_vec();
    bytes.extend([format, protocol, created_by.len() as u8]);
    bytes.extend_from_slice(created_by.as_bytes());
    bytes
}

#[test]
fn a_newer_format_is_refused_naming_who_wrote_it() {
    // Whatever a format-2 file holds after its preamble.
    let mut bytes = preamble(2, PROTOCOL_VERSION as u8, "netui 9.9.9");
    bytes.extend_from_slice(b"\xff\xfe future header");
    let err = load_error(&bytes);
    assert_eq!(
        err,
        RecordingError::NewerFormat {
            format: 2,
            created_by: "netui 9.9.9".into()
        }
    );
    let message = err.to_string();
    assert!(message.contains("netui 9.9.9"), "{message}");
    assert!(message.contains("format 2"), "{message}");
    assert!(message.contains("newer netui"), "{message}");
}

#[test]
fn another_protocol_version_is_refused_naming_both_versions() {
    // Whatever follows is not read: its layout may differ with the protocol.
    let mut bytes = preamble(1, 99, "netui 7.0.0");
    bytes.extend_from_slice(b"\x08handmade...");
    let err = load_error(&bytes);
    assert_eq!(
        err,
        RecordingError::ProtocolVersion {
            protocol: 99,
            created_by: "netui 7.0.0".into()
        }
    );
    let message = err.to_string();
    assert!(message.contains("protocol version 99"), "{message}");
    assert!(message.contains("netui 7.0.0"), "{message}");
    assert!(
        message.contains(&format!("speaks protocol version {PROTOCOL_VERSION}")),
        "{message}"
    );
}

#[test]
fn a_stream_that_is_not_frames_with_a_hello_is_not_saved() {
    let mut recording = small_recording();
    recording.stream = handmade(Compression::None, &[&[Item::Request(Request::Sync)]]);
    // Drop the hello frame: the stream starts with a request.
    let hello_len = first_frame_len(&recording.stream);
    recording.stream.drain(..hello_len);
    assert!(matches!(
        recording.to_bytes(),
        Err(RecordingError::Corrupt(_))
    ));
    recording.stream = small_recording().stream;
    recording.stream.pop();
    assert!(matches!(
        recording.to_bytes(),
        Err(RecordingError::Truncated(_))
    ));
    recording.stream = Vec::new();
    assert!(matches!(
        recording.to_bytes(),
        Err(RecordingError::Corrupt(_))
    ));
}

/// A display played by the test thread: answers the hello with `outcome`, then sends `then`
/// and closes.
fn fake_display(outcome: HelloOutcome, then: Vec<ServerMessage>) -> UnixStream {
    let (ours, theirs) = UnixStream::pair().expect("pair");
    std::thread::spawn(move || {
        let mut socket = theirs;
        let mut frames = FrameReader::new(Limits::default());
        while !frames.has_frame().unwrap_or(false) {
            let n = socket.read(frames.spare()).expect("reads the hello");
            assert_ne!(n, 0, "no hello");
            frames.filled(n);
        }
        // The hello is a frame of its own, as the server sends it.
        let mut writer = BatchWriter::new(Limits::default(), Compression::None);
        writer.push(&ServerHello::new(outcome)).expect("encodes");
        let _ = socket.write_all(&writer.take_frames());
        for message in &then {
            writer.push(message).expect("encodes");
        }
        let _ = socket.write_all(&writer.take_frames());
        let _ = socket.shutdown(Shutdown::Both);
    });
    ours
}

fn welcome() -> Welcome {
    Welcome {
        vendor: "fake".into(),
        client_id: 2,
        screen: SIZE,
        pixel_format: PixelFormat::Xrgb8888,
        id_base: 2 << 21,
        id_mask: (1 << 21) - 1,
        limits: Limits::default(),
        fonts: Some(FontSet::default()),
    }
}

#[test]
fn a_protocol_error_ends_the_replay_with_the_displays_reason() {
    let report = ErrorReport::protocol("frame header has unknown flags; closing the connection");
    let socket = fake_display(
        HelloOutcome::Accepted(welcome()),
        vec![ServerMessage::Error(report)],
    );
    let err = record::play(socket, &small_recording()).expect_err("fails");
    let message = format!("{err:#}");
    assert!(message.contains("unknown flags"), "{message}");
}

#[test]
fn a_display_that_closes_without_a_word_ends_the_replay() {
    let socket = fake_display(HelloOutcome::Accepted(welcome()), Vec::new());
    let err = record::play(socket, &small_recording()).expect_err("fails");
    assert!(format!("{err:#}").contains("closed"), "{err:#}");
}

#[test]
fn a_refused_hello_ends_the_replay_with_the_displays_reason() {
    let socket = fake_display(HelloOutcome::Refused(Refusal::TooManyClients), Vec::new());
    let err = record::play(socket, &small_recording()).expect_err("fails");
    assert!(format!("{err:#}").contains("too many clients"), "{err:#}");
}
