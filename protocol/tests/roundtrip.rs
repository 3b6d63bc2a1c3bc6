//! Every message survives encode → frame → decode, compressed or not, and the decoder never
//! panics on arbitrary bytes.

use netui_protocol::frame::{self, decode_request, decode_stream, BatchWriter};
use netui_protocol::handshake::{HelloPrefix, PixelFormat};
use netui_protocol::*;
use proptest::prelude::*;

fn id() -> impl Strategy<Value = ResourceId> {
    any::<u32>().prop_map(ResourceId)
}
fn point() -> impl Strategy<Value = Point> {
    (any::<i32>(), any::<i32>()).prop_map(|(x, y)| Point::new(x, y))
}
fn rect() -> impl Strategy<Value = Rect> {
    (any::<i32>(), any::<i32>(), any::<u32>(), any::<u32>())
        .prop_map(|(x, y, w, h)| Rect::new(x, y, w, h))
}
fn size() -> impl Strategy<Value = Size> {
    (any::<u32>(), any::<u32>()).prop_map(|(w, h)| Size::new(w, h))
}
fn color() -> impl Strategy<Value = Color> {
    any::<[u8; 4]>().prop_map(|[r, g, b, a]| Color::rgba(r, g, b, a))
}
fn font() -> impl Strategy<Value = Font> {
    prop_oneof![Just(Font::Sans), Just(Font::Mono)]
}
fn format() -> impl Strategy<Value = ImageFormat> {
    prop_oneof![Just(ImageFormat::Rgb8), Just(ImageFormat::Rgba8)]
}
fn text() -> impl Strategy<Value = String> {
    ".{0,40}"
}

fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        (id(), rect(), text(), color()).prop_map(|(id, rect, title, background)| {
            Request::CreateWindow {
                id,
                rect,
                title,
                background,
            }
        }),
        id().prop_map(|id| Request::MapWindow { id }),
        id().prop_map(|id| Request::UnmapWindow { id }),
        (id(), rect()).prop_map(|(id, rect)| Request::ConfigureWindow { id, rect }),
        (id(), text()).prop_map(|(id, title)| Request::SetTitle { id, title }),
        id().prop_map(|id| Request::DestroyWindow { id }),
        (id(), any::<u32>(), any::<u32>())
            .prop_map(|(id, width, height)| { Request::CreatePixmap { id, width, height } }),
        id().prop_map(|id| Request::FreePixmap { id }),
        (id(), color(), prop::collection::vec(rect(), 0..20)).prop_map(|(target, color, rects)| {
            Request::FillRects {
                target,
                color,
                rects,
            }
        }),
        (
            id(),
            color(),
            any::<u16>(),
            prop::collection::vec(rect(), 0..20)
        )
            .prop_map(|(target, color, width, rects)| Request::StrokeRects {
                target,
                color,
                width,
                rects
            }),
        (
            id(),
            color(),
            any::<u16>(),
            prop::collection::vec(point(), 0..20)
        )
            .prop_map(|(target, color, width, points)| Request::Lines {
                target,
                color,
                width,
                points
            }),
        (
            id(),
            color(),
            any::<u16>(),
            prop::collection::vec((point(), point()), 0..20)
        )
            .prop_map(|(target, color, width, segs)| Request::Segments {
                target,
                color,
                width,
                segments: segs.into_iter().map(|(a, b)| Segment { a, b }).collect(),
            }),
        (id(), color(), rect(), proptest::option::of(any::<u16>())).prop_map(
            |(target, color, rect, outline)| Request::Ellipse {
                target,
                color,
                rect,
                outline
            }
        ),
        (id(), point(), font(), any::<u16>(), color(), text()).prop_map(
            |(target, pos, font, size, color, text)| Request::Text {
                target,
                pos,
                font,
                size,
                color,
                text
            }
        ),
        (
            id(),
            rect(),
            format(),
            prop::collection::vec(any::<u8>(), 0..300)
        )
            .prop_map(|(target, rect, format, data)| Request::PutImage {
                target,
                rect,
                format,
                data
            }),
        (id(), id(), rect(), point()).prop_map(|(src, dst, src_rect, dst_pos)| {
            Request::CopyArea {
                src,
                dst,
                src_rect,
                dst_pos,
            }
        }),
        (id(), proptest::option::of(rect()))
            .prop_map(|(target, area)| Request::Clear { target, area }),
        (id(), proptest::option::of(rect()))
            .prop_map(|(target, clip)| Request::SetClip { target, clip }),
        id().prop_map(|window| Request::Present { window }),
        Just(Request::Sync),
        (id(), proptest::option::of(rect()))
            .prop_map(|(source, area)| Request::GetImage { source, area }),
        Just(Request::GetServerInfo),
        (
            id(),
            prop_oneof![Just(WindowKind::Normal), Just(WindowKind::Panel)]
        )
            .prop_map(|(id, kind)| Request::SetWindowKind { id, kind }),
        id().prop_map(|id| Request::ActivateWindow { id }),
        Just(Request::WatchWindows),
        input_event().prop_map(|input| Request::InjectInput { input }),
        view_mode().prop_map(|mode| Request::AttachViewer { mode }),
        (any::<u64>(), input_event()).prop_map(|(seq, input)| Request::ViewerInput { seq, input }),
        any::<u64>().prop_map(|update| Request::AckUpdate { update }),
    ]
}

fn view_mode() -> impl Strategy<Value = ViewMode> {
    prop_oneof![
        Just(ViewMode::Commands),
        prop::sample::select(PixelEncoding::ALL.to_vec()).prop_map(ViewMode::Pixels),
    ]
}

fn scene_op() -> BoxedStrategy<SceneOp> {
    prop_oneof![
        // Requests are covered above; a few here keep the strategy small.
        id().prop_map(|id| SceneOp::Request(Request::MapWindow { id })),
        (id(), rect()).prop_map(|(id, rect)| SceneOp::Configure { id, rect }),
        id().prop_map(|id| SceneOp::Raise { id }),
        proptest::option::of(id()).prop_map(|id| SceneOp::Focus { id }),
        id().prop_map(|id| SceneOp::DestroyWindow { id }),
        id().prop_map(|id| SceneOp::FreePixmap { id }),
        size().prop_map(|size| SceneOp::ResizeScreen { size }),
        (id(), rect(), text(), color(), any::<bool>(), any::<bool>()).prop_map(
            |(id, rect, title, background, panel, mapped)| SceneOp::Window {
                id,
                rect,
                title,
                background,
                kind: if panel {
                    WindowKind::Panel
                } else {
                    WindowKind::Normal
                },
                mapped,
            }
        ),
        (id(), size()).prop_map(|(id, size)| SceneOp::Pixmap { id, size }),
        prop::collection::vec(id(), 0..5).prop_map(|ids| SceneOp::Stack { ids }),
    ]
    .boxed()
}

fn view_message() -> impl Strategy<Value = ViewMessage> {
    let kind = prop_oneof![
        Just(RectEncoding::Raw),
        Just(RectEncoding::Lz4),
        Just(RectEncoding::DeltaLz4),
        point().prop_map(|src| RectEncoding::Copy { src }),
    ];
    let encoded = (rect(), kind, prop::collection::vec(any::<u8>(), 0..64))
        .prop_map(|(rect, kind, data)| EncodedRect { rect, kind, data });
    prop_oneof![
        (size(), view_mode()).prop_map(|(size, mode)| ViewMessage::Start { size, mode }),
        (
            any::<u64>(),
            proptest::option::of(any::<u64>()),
            prop::collection::vec(scene_op(), 0..6)
        )
            .prop_map(|(update, input, ops)| ViewMessage::Scene { update, input, ops }),
        (
            any::<u64>(),
            proptest::option::of(any::<u64>()),
            size(),
            prop::collection::vec(encoded, 0..4)
        )
            .prop_map(|(update, input, size, rects)| ViewMessage::Pixels {
                update,
                input,
                size,
                rects
            }),
    ]
}

fn input_event() -> impl Strategy<Value = InputEvent> {
    prop_oneof![
        point().prop_map(InputEvent::PointerMoved),
        Just(InputEvent::PointerLeft),
        (button(), any::<bool>())
            .prop_map(|(button, pressed)| InputEvent::Button { button, pressed }),
        (any::<i32>(), any::<i32>()).prop_map(|(dx, dy)| InputEvent::Wheel { dx, dy }),
        (key(), any::<bool>(), text()).prop_map(|(key, pressed, text)| InputEvent::Key {
            key,
            pressed,
            text
        }),
        modifiers().prop_map(InputEvent::Modifiers),
    ]
}

fn modifiers() -> impl Strategy<Value = Modifiers> {
    any::<u8>().prop_map(Modifiers)
}
fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        any::<char>().prop_map(Key::Character),
        Just(Key::Escape),
        Just(Key::Enter),
        Just(Key::Backspace),
        Just(Key::Left),
        Just(Key::PageDown),
        any::<u8>().prop_map(Key::F),
        any::<u32>().prop_map(Key::Other),
    ]
}
fn button() -> impl Strategy<Value = Button> {
    prop_oneof![
        Just(Button::Left),
        Just(Button::Middle),
        Just(Button::Right),
        Just(Button::Back),
        Just(Button::Forward),
        any::<u16>().prop_map(Button::Other),
    ]
}
fn key_event() -> impl Strategy<Value = KeyEvent> {
    (id(), key(), modifiers(), text()).prop_map(|(window, key, modifiers, text)| KeyEvent {
        window,
        key,
        modifiers,
        text,
    })
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        size().prop_map(|size| Event::ScreenResized { size }),
        Just(Event::WindowsChanged),
        (id(), rect()).prop_map(|(window, area)| Event::Expose { window, area }),
        (id(), rect()).prop_map(|(window, rect)| Event::Configure { window, rect }),
        id().prop_map(|window| Event::CloseRequested { window }),
        id().prop_map(|window| Event::FocusIn { window }),
        id().prop_map(|window| Event::FocusOut { window }),
        (id(), point()).prop_map(|(window, pos)| Event::Enter { window, pos }),
        id().prop_map(|window| Event::Leave { window }),
        key_event().prop_map(Event::KeyPress),
        key_event().prop_map(Event::KeyRelease),
        (id(), point(), modifiers()).prop_map(|(window, pos, modifiers)| {
            Event::PointerMotion {
                window,
                pos,
                modifiers,
            }
        }),
        (id(), button(), point(), modifiers()).prop_map(|(window, button, pos, modifiers)| {
            Event::ButtonPress {
                window,
                button,
                pos,
                modifiers,
            }
        }),
        (id(), button(), point(), modifiers()).prop_map(|(window, button, pos, modifiers)| {
            Event::ButtonRelease {
                window,
                button,
                pos,
                modifiers,
            }
        }),
        (id(), any::<i32>(), any::<i32>(), point(), modifiers()).prop_map(
            |(window, dx, dy, pos, modifiers)| Event::Wheel {
                window,
                dx,
                dy,
                pos,
                modifiers
            }
        ),
    ]
}

fn error_code() -> impl Strategy<Value = ErrorCode> {
    prop_oneof![
        Just(ErrorCode::UnknownRequest),
        Just(ErrorCode::Malformed),
        Just(ErrorCode::BadId),
        Just(ErrorCode::IdChoice),
        Just(ErrorCode::BadValue),
        Just(ErrorCode::BadLength),
        Just(ErrorCode::BadMatch),
        Just(ErrorCode::ResourceLimit),
        Just(ErrorCode::Access),
        Just(ErrorCode::Protocol),
    ]
}

fn server_info() -> impl Strategy<Value = ServerInfo> {
    let window = (
        id(),
        text(),
        rect(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(id, title, rect, mapped, panel, focused)| WindowInfo {
            id,
            title,
            rect,
            mapped,
            kind: if panel {
                WindowKind::Panel
            } else {
                WindowKind::Normal
            },
            focused,
        });
    let client = (
        any::<u32>(),
        text(),
        text(),
        prop::collection::vec(window, 0..4),
        any::<u32>(),
        any::<u64>(),
    )
        .prop_map(|(id, name, peer, windows, pixmaps, backlog)| ClientInfo {
            id,
            name,
            peer,
            windows,
            pixmaps,
            backlog,
        });
    (
        text(),
        any::<u16>(),
        text(),
        size(),
        prop::collection::vec(client, 0..4),
        prop::collection::vec(id(), 0..6),
    )
        .prop_map(
            |(vendor, protocol_version, display, screen, clients, stack)| ServerInfo {
                vendor,
                protocol_version,
                display,
                screen,
                clients,
                stack,
            },
        )
}

fn server_message() -> impl Strategy<Value = ServerMessage> {
    prop_oneof![
        view_message().prop_map(ServerMessage::View),
        event().prop_map(ServerMessage::Event),
        any::<u32>().prop_map(|seq| ServerMessage::Reply(Reply::Sync { seq })),
        (
            any::<u32>(),
            rect(),
            prop::collection::vec(any::<u8>(), 0..200)
        )
            .prop_map(|(seq, area, data)| ServerMessage::Reply(Reply::Image {
                seq,
                area,
                data
            })),
        (any::<u32>(), server_info())
            .prop_map(|(seq, info)| ServerMessage::Reply(Reply::ServerInfo { seq, info })),
        (
            any::<u32>(),
            proptest::option::of(any::<u32>()),
            error_code(),
            proptest::option::of(id()),
            text()
        )
            .prop_map(|(seq, opcode, code, resource, message)| {
                ServerMessage::Error(ErrorReport {
                    seq,
                    opcode,
                    code,
                    resource,
                    message,
                })
            }),
    ]
}

fn limits() -> impl Strategy<Value = Limits> {
    (
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<u64>(),
        any::<u32>(),
    )
        .prop_map(
            |(max_payload, max_messages, max_side, max_client_pixels, max_text_len)| Limits {
                max_payload,
                max_messages,
                max_side,
                max_client_pixels,
                max_text_len,
            },
        )
}

fn server_hello() -> impl Strategy<Value = ServerHello> {
    let refusal = prop_oneof![
        (any::<u16>(), any::<u16>())
            .prop_map(|(server, client)| Refusal::VersionMismatch { server, client }),
        Just(Refusal::TokenRequired),
        Just(Refusal::WrongToken),
        Just(Refusal::TooManyClients),
        text().prop_map(Refusal::Malformed),
    ];
    let welcome = (
        text(),
        any::<u32>(),
        size(),
        any::<u32>(),
        any::<u32>(),
        limits(),
    )
        .prop_map(
            |(vendor, client_id, screen, id_base, id_mask, limits)| Welcome {
                vendor,
                client_id,
                screen,
                pixel_format: PixelFormat::Xrgb8888,
                id_base,
                id_mask,
                limits,
                fonts: FontSet {
                    sans: FontMetrics {
                        units_per_em: 2048,
                        ascent: 1901,
                        descent: -483,
                        line_gap: 0,
                        advances: vec![1233, 1300, 900],
                        default_advance: 1000,
                    },
                    mono: FontMetrics::default(),
                },
            },
        );
    prop_oneof![
        welcome.prop_map(HelloOutcome::Accepted),
        refusal.prop_map(HelloOutcome::Refused)
    ]
    .prop_map(ServerHello::new)
}

/// Encodes a batch with and without compression, decodes both, and compares.
fn round_trip<T>(batch: &[T]) -> Result<(), TestCaseError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    for compress in [false, true] {
        let mut writer = BatchWriter::new(Limits::default(), compress);
        for message in batch {
            writer
                .push(message)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        let bytes = writer.take_frames();
        let back: Vec<T> = decode_stream(&bytes, &Limits::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back.as_slice(), batch);
    }
    Ok(())
}

proptest! {
    #[test]
    fn requests_round_trip(batch in prop::collection::vec(request(), 1..30)) {
        round_trip(&batch)?;
    }

    #[test]
    fn the_opcode_on_the_wire_is_the_request_kind(req in request()) {
        let mut writer = BatchWriter::new(Limits::default(), false);
        writer.push(&req).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bytes = writer.take_frames();
        let payload = &bytes[frame::HEADER_LEN..];
        let body = frame::messages(payload, &Limits::default()).next().expect("one message").expect("framed");
        prop_assert_eq!(frame::opcode(body), Some(req.kind().opcode()));
        prop_assert_eq!(decode_request(body).expect("decodes"), req);
    }

    #[test]
    fn server_messages_round_trip(batch in prop::collection::vec(server_message(), 1..30)) {
        round_trip(&batch)?;
    }

    #[test]
    fn hellos_round_trip(
        name in text(),
        token in proptest::option::of(prop::collection::vec(any::<u8>(), 0..64)),
        hello in server_hello(),
    ) {
        round_trip(&[ClientHello::new(name, token)])?;
        round_trip(&[hello])?;
    }

    /// Whatever the bytes, decoding returns (Ok or Err) without panicking, and the payload it
    /// accepts is never larger than the limit.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048), compressed in any::<bool>()) {
        let limits = Limits { max_payload: 4096, ..Limits::default() };
        // Raw garbage as a stream of frames.
        let _ = decode_stream::<Request>(&bytes, &limits);
        let _ = decode_stream::<ServerMessage>(&bytes, &limits);
        // Garbage behind a valid header, so that the payload decoders see it too.
        let header = frame::FrameHeader {
            wire_len: bytes.len(),
            payload_len: if compressed { 4096 } else { bytes.len() },
            compressed,
        };
        let mut framed = header.to_bytes().to_vec();
        framed.extend_from_slice(&bytes);
        if let Ok(Some(h)) = frame::check_frame(&framed, &limits) {
            if let Ok(payload) = frame::frame_payload(h, &framed) {
                prop_assert!(payload.len() <= 4096);
                for body in frame::messages(&payload, &limits) {
                    let Ok(body) = body else { break };
                    let _ = decode_request(body);
                    let _ = frame::decode_message::<ServerMessage>(body);
                    let _ = frame::decode_message::<ClientHello>(body);
                }
            }
        }
    }

    /// A mangled valid stream is the garbage most likely to reach deep into the decoder.
    #[test]
    fn mutated_streams_never_panic(batch in prop::collection::vec(request(), 1..10), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut writer = BatchWriter::new(Limits::default(), false);
        for r in &batch { writer.push(r).map_err(|e| TestCaseError::fail(e.to_string()))?; }
        let mut bytes = writer.take_frames();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= value;
        }
        let _ = decode_stream::<Request>(&bytes, &Limits::default());
    }
}

#[test]
fn hello_prefix_reads_the_version_of_any_hello() {
    let mut hello = ClientHello::new("future", None);
    hello.version = 99;
    let frames = frame::encode_single(&hello).expect("encodes");
    // Skip the frame header and the one-byte message length.
    let prefix = HelloPrefix::peek(&frames[frame::HEADER_LEN + 1..]).expect("decodes");
    assert_eq!(prefix.magic, MAGIC);
    assert_eq!(prefix.version, 99);
}

#[test]
fn refusals_explain_themselves() {
    let text = Refusal::VersionMismatch {
        server: 1,
        client: 2,
    }
    .to_string();
    assert!(
        text.contains("version 1") && text.contains("version 2"),
        "{text}"
    );
}
