//! Every message survives encode → frame → decode in every compression (streams of batches
//! too, long enough to wrap `lz4-ctx`'s dictionary and evict from its cache), bad context
//! frames get a named error, and the decoders never panic on arbitrary bytes.

use netui_protocol::frame::{
    self, check_frame, decode_request, decode_stream, BatchWriter, Compression, FrameDecoder,
    FrameHeader, CACHE_BYTES, DICT_BYTES,
};
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
    prop_oneof![
        Just(ImageFormat::Rgb8),
        Just(ImageFormat::Rgba8),
        Just(ImageFormat::Rgb8Zstd),
        Just(ImageFormat::Rgba8Zstd),
        Just(ImageFormat::Rgb8Gradient),
    ]
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
        proptest::option::of(prop::sample::select(PixelEncoding::ALL.to_vec()))
            .prop_map(|encoding| Request::ReportCosts { encoding }),
        (
            selection(),
            prop::collection::vec(text(), 0..4),
            prop::option::of(text())
        )
            .prop_map(|(selection, types, text)| Request::ClaimSelection {
                selection,
                types,
                text
            }),
        (selection(), text(), any::<u32>()).prop_map(|(selection, mime, transfer)| {
            Request::RequestSelection {
                selection,
                mime,
                transfer,
            }
        }),
        (
            any::<u32>(),
            prop::collection::vec(any::<u8>(), 0..64),
            any::<bool>()
        )
            .prop_map(|(transfer, data, more)| Request::SendSelection {
                transfer,
                data,
                more
            }),
        any::<u32>().prop_map(|transfer| Request::RefuseSelection { transfer }),
        Just(Request::WatchSelections),
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
        (any::<bool>(), any::<u32>())
            .prop_map(|(reset, coded)| RectEncoding::Tiles { reset, coded }),
        Just(RectEncoding::Draw),
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
            proptest::option::of(size()),
            prop::collection::vec(encoded, 0..4)
        )
            .prop_map(|(update, input, size, rects)| ViewMessage::Pixels {
                update,
                input,
                size,
                rects
            }),
        (
            any::<u32>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>()
        )
            .prop_map(
                |(millis, commands, pixels, waiting, link_rate)| ViewMessage::Costs(ViewCosts {
                    millis,
                    commands,
                    pixels,
                    waiting,
                    link_rate,
                })
            ),
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

fn selection() -> impl Strategy<Value = Selection> {
    prop_oneof![Just(Selection::Clipboard), Just(Selection::Primary)]
}

fn selection_failure() -> impl Strategy<Value = SelectionFailure> {
    prop_oneof![
        Just(SelectionFailure::NoOwner),
        Just(SelectionFailure::NotOffered),
        Just(SelectionFailure::Refused),
        Just(SelectionFailure::OwnerGone),
        Just(SelectionFailure::TooLarge),
        Just(SelectionFailure::OwnerError),
        Just(SelectionFailure::Timeout),
    ]
}

fn selection_event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (selection(), text(), any::<u32>()).prop_map(|(selection, mime, transfer)| {
            Event::SelectionRequest {
                selection,
                mime,
                transfer,
            }
        }),
        (
            any::<u32>(),
            prop::collection::vec(any::<u8>(), 0..64),
            any::<bool>()
        )
            .prop_map(|(transfer, data, more)| Event::SelectionData {
                transfer,
                data,
                more
            }),
        (any::<u32>(), selection_failure())
            .prop_map(|(transfer, reason)| Event::SelectionFailed { transfer, reason }),
        selection().prop_map(|selection| Event::SelectionLost { selection }),
        (selection(), prop::collection::vec(text(), 0..4))
            .prop_map(|(selection, types)| Event::SelectionChanged { selection, types }),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        selection_event(),
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
        any::<u64>(),
        (any::<u64>(), any::<u64>()),
    )
        .prop_map(
            |(id, name, peer, windows, pixmaps, backlog, encode_micros, (pixels, outbox_bytes))| {
                ClientInfo {
                    id,
                    name,
                    access: peer.clone(),
                    peer,
                    windows,
                    pixmaps,
                    backlog,
                    encode_micros,
                    pixels,
                    outbox_bytes,
                }
            },
        );
    (
        text(),
        any::<u16>(),
        text(),
        size(),
        prop::collection::vec(client, 0..4),
        prop::collection::vec(id(), 0..6),
        any::<u32>(),
    )
        .prop_map(
            |(vendor, protocol_version, display, screen, clients, stack, windows_left_out)| {
                ServerInfo {
                    vendor,
                    protocol_version,
                    display,
                    screen,
                    clients,
                    stack,
                    windows_left_out,
                }
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
        (any::<u64>(), any::<u64>(), any::<u32>()),
        (
            any::<u32>(),
            any::<u64>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
        ),
    )
        .prop_map(
            |(
                max_payload,
                max_messages,
                max_side,
                max_client_pixels,
                max_text_len,
                (max_total_pixels, max_outbox_bytes, max_info_title_len),
                (
                    max_chunk,
                    max_bytes,
                    max_kept_text,
                    max_type_len,
                    max_types,
                    max_transfers,
                    timeout_ms,
                ),
            )| Limits {
                max_payload,
                max_messages,
                max_side,
                max_client_pixels,
                max_text_len,
                max_total_pixels,
                max_outbox_bytes,
                max_info_title_len,
                selection: SelectionLimits {
                    max_chunk,
                    max_bytes,
                    max_kept_text,
                    max_type_len,
                    max_types,
                    max_transfers,
                    timeout_ms,
                },
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
        Just(Refusal::ViewOnlyToken),
        Just(Refusal::TlsRequired),
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
                fonts: Some(FontSet {
                    sans: FontMetrics {
                        units_per_em: 2048,
                        ascent: 1901,
                        descent: -483,
                        line_gap: 0,
                        advances: vec![1233, 1300, 900],
                        default_advance: 1000,
                    },
                    mono: FontMetrics::default(),
                }),
            },
        );
    prop_oneof![
        welcome.prop_map(HelloOutcome::Accepted),
        refusal.prop_map(HelloOutcome::Refused)
    ]
    .prop_map(ServerHello::new)
}

/// Encodes a batch in every compression, decodes each, and compares.
fn round_trip<T>(batch: &[T]) -> Result<(), TestCaseError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    for compression in Compression::ALL {
        let mut writer = BatchWriter::new(Limits::default(), compression);
        for message in batch {
            writer
                .push(message)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        let bytes = writer.take_frames();
        let back: Vec<T> = decode_stream(&bytes, &Limits::default())
            .map_err(|e| TestCaseError::fail(format!("{compression}: {e}")))?;
        prop_assert_eq!(back.as_slice(), batch);
    }
    Ok(())
}

/// Writes `batches` as a connection does (one `take_frames` per batch; the batches marked
/// plain with compression off, as a server writes pixel updates), then decodes the stream
/// frame by frame with one decoder and returns the messages and the bytes on the wire.
fn stream<T>(
    compression: Compression,
    batches: &[(bool, Vec<T>)],
    limits: &Limits,
) -> Result<(Vec<T>, usize), String>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let mut writer = BatchWriter::new(*limits, compression);
    let mut decoder = FrameDecoder::new();
    let mut out = Vec::new();
    let mut wire = 0;
    for (plain, batch) in batches {
        if *plain {
            writer.set_compression(Compression::None);
        }
        for message in batch {
            writer.push(message).map_err(|e| e.to_string())?;
        }
        writer.set_compression(compression);
        let bytes = writer.take_frames();
        wire += bytes.len();
        let mut rest = bytes.as_slice();
        while !rest.is_empty() {
            let header = check_frame(rest, limits)
                .map_err(|e| e.to_string())?
                .ok_or("a frame is cut off")?;
            if *plain {
                // Plain frames stay outside the context: flags 0.
                if header.compressed || header.context {
                    return Err(format!("a plain batch went as {header:?}"));
                }
            }
            for body in decoder
                .decode(header, rest, limits)
                .map_err(|e| e.to_string())?
            {
                out.push(frame::decode_message(body).map_err(|e| e.to_string())?);
            }
            rest = &rest[header.frame_len()..];
        }
    }
    Ok((out, wire))
}

/// A request that is the same every time for the same `n`: an image of `len` bytes that LZ4
/// cannot shrink on its own.
fn noise_image(n: u32, len: usize) -> Request {
    let mut x = n.wrapping_mul(2_654_435_761) | 1;
    let data = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    Request::PutImage {
        target: ResourceId(0x20_0001),
        rect: Rect::new(0, 0, 1, 1),
        format: ImageFormat::Rgb8,
        data,
    }
}

/// Printable text that LZ4 cannot shrink on its own, the same for the same `n`.
fn noise_text(n: u32, len: usize) -> Request {
    let Request::PutImage { data, .. } = noise_image(n, len) else {
        unreachable!("noise_image makes images")
    };
    Request::Text {
        target: ResourceId(0x20_0001),
        pos: Point::new(0, 0),
        font: Font::Sans,
        size: 12,
        color: Color::BLACK,
        text: data.iter().map(|b| char::from(b'a' + b % 26)).collect(),
    }
}

/// Batches of requests drawn from a small pool, so that messages repeat (some of them large
/// enough for the cache), some batches plain.
fn pooled_batches() -> impl Strategy<Value = Vec<(bool, Vec<Request>)>> {
    let large = (0u32..6, 256usize..3000).prop_map(|(n, len)| noise_image(n, len));
    let pool = prop::collection::vec(prop_oneof![request(), large], 1..12);
    pool.prop_flat_map(|pool| {
        let n = pool.len();
        let batch = (
            any::<bool>(),
            prop::collection::vec(prop::sample::Index::arbitrary(), 1..12),
        );
        prop::collection::vec(batch, 1..10).prop_map(move |batches| {
            batches
                .into_iter()
                .map(|(plain, picks)| {
                    let batch = picks.iter().map(|i| pool[i.index(n)].clone()).collect();
                    (plain, batch)
                })
                .collect()
        })
    })
}

proptest! {
    #[test]
    fn requests_round_trip(batch in prop::collection::vec(request(), 1..30)) {
        round_trip(&batch)?;
    }

    #[test]
    fn the_opcode_on_the_wire_is_the_request_kind(req in request()) {
        let mut writer = BatchWriter::new(Limits::default(), Compression::None);
        writer.push(&req).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bytes = writer.take_frames();
        let header = check_frame(&bytes, &Limits::default()).expect("valid").expect("whole");
        let payload = &bytes[header.header_len..];
        let body = frame::messages(payload, &Limits::default()).next().expect("one message").expect("framed");
        prop_assert_eq!(frame::opcode(body), Some(req.kind().opcode()));
        prop_assert_eq!(decode_request(body).expect("decodes"), req);
    }

    /// The drawings of a `px-tiles` draw record (postcard, inside the tiles' stream).
    #[test]
    fn drawings_round_trip(
        drawings in prop::collection::vec(
            (prop::collection::vec(rect(), 0..4), request())
                .prop_map(|(clips, request)| Drawing { clips, request }),
            0..6,
        )
    ) {
        let bytes = postcard::to_stdvec(&drawings).expect("encodes");
        prop_assert_eq!(postcard::from_bytes::<Vec<Drawing>>(&bytes).expect("decodes"), drawings);
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
        round_trip(&[ClientHello::new(name.clone(), token.clone())])?;
        for compression in Compression::ALL {
            round_trip(&[ClientHello::new(name.clone(), token.clone()).with_compression(compression)])?;
            round_trip(&[ClientHello::new(name.clone(), token.clone()).with_role(netui_protocol::Role::Viewer)])?;
        }
        round_trip(&[hello])?;
    }

    /// Streams of batches, with repeats and plain batches between context frames, come back
    /// whole in every compression, read by one decoder frame by frame.
    #[test]
    fn streams_round_trip_in_every_compression(batches in pooled_batches()) {
        let expected: Vec<Request> = batches.iter().flat_map(|(_, b)| b.clone()).collect();
        for compression in Compression::ALL {
            let (back, _) = stream(compression, &batches, &Limits::default())
                .map_err(|e| TestCaseError::fail(format!("{compression}: {e}")))?;
            prop_assert_eq!(&back, &expected, "{}", compression);
        }
    }

    /// Small limits split batches into many frames; references still count as the messages
    /// they stand for, so every frame decodes within the same limits.
    #[test]
    fn streams_round_trip_under_small_limits(batches in pooled_batches()) {
        let limits = Limits { max_payload: 8192, max_messages: 3, ..Limits::default() };
        let expected: Vec<Request> = batches.iter().flat_map(|(_, b)| b.clone()).collect();
        for compression in Compression::ALL {
            match stream(compression, &batches, &limits) {
                Ok((back, _)) => prop_assert_eq!(&back, &expected, "{}", compression),
                // A single message above the limit cannot be written in any compression.
                Err(e) => prop_assert!(e.contains("exceeds the frame limit"), "{}: {}", compression, e),
            }
        }
    }

    /// Whatever the bytes, decoding returns (Ok or Err) without panicking, and the payload it
    /// accepts is never larger than the limit.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048), compressed in any::<bool>(), context in any::<bool>()) {
        let limits = Limits { max_payload: 4096, ..Limits::default() };
        // Raw garbage as a stream of frames.
        let _ = decode_stream::<Request>(&bytes, &limits);
        let _ = decode_stream::<ServerMessage>(&bytes, &limits);
        // Garbage behind a valid header, so that the payload decoders see it too.
        let header = frame::FrameHeader::new(
            bytes.len(),
            if compressed { 4096 } else { bytes.len() },
            compressed,
            context,
        );
        let mut framed = header.to_bytes();
        framed.extend_from_slice(&bytes);
        // Twice through one decoder, so that the second sees what the first left in the
        // context; what it accepts is within the limits.
        let mut decoder = FrameDecoder::new();
        for _ in 0..2 {
            if let Ok(Some(h)) = frame::check_frame(&framed, &limits) {
                if let Ok(bodies) = decoder.decode(h, &framed, &limits) {
                    prop_assert!(bodies.len() <= limits.max_messages as usize);
                    let mut total = 0;
                    for body in bodies {
                        total += body.len();
                        let _ = decode_request(body);
                    }
                    prop_assert!(total <= 4096);
                }
            }
        }
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
    fn mutated_streams_never_panic(batches in pooled_batches(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        for compression in Compression::ALL {
            let mut writer = BatchWriter::new(Limits::default(), compression);
            let mut bytes = Vec::new();
            for (_, batch) in &batches {
                for r in batch { writer.push(r).map_err(|e| TestCaseError::fail(e.to_string()))?; }
                bytes.extend(writer.take_frames());
            }
            for (at, value) in &flips {
                let i = at.index(bytes.len());
                bytes[i] ^= value;
            }
            let _ = decode_stream::<Request>(&bytes, &Limits::default());
        }
    }
}

#[test]
fn hello_prefix_reads_the_version_of_any_hello() {
    let mut hello = ClientHello::new("future", None);
    hello.version = 99;
    let frames = frame::encode_single(&hello).expect("encodes");
    // Skip the frame header and the one-byte message length.
    let header = check_frame(&frames, &Limits::default())
        .expect("valid")
        .expect("whole");
    let prefix = HelloPrefix::peek(&frames[header.header_len + 1..]).expect("decodes");
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

/// Hundreds of frames of text, some repeated from near and some from far back, push the
/// dictionary well past its 64 KiB; both sides must still agree on it, frame after frame.
#[test]
fn long_streams_wrap_the_dictionary() {
    let batches: Vec<(bool, Vec<Request>)> = (0..400u32)
        .map(|i| {
            // New text, the text of the frame before (in the dictionary), the text of 300
            // frames ago (long gone from it), and every 7th frame a plain one between.
            let batch = vec![
                noise_text(i, 200),
                noise_text(i.saturating_sub(1), 200),
                noise_text(i.saturating_sub(300), 200),
            ];
            (i % 7 == 3, batch)
        })
        .collect();
    let expected: Vec<Request> = batches.iter().flat_map(|(_, b)| b.clone()).collect();
    let payload: usize = expected
        .iter()
        .map(|r| postcard::to_allocvec(r).expect("encodes").len())
        .sum();
    assert!(
        payload > 3 * DICT_BYTES,
        "{payload} bytes do not wrap the dictionary"
    );
    let mut wire = Vec::new();
    for compression in Compression::ALL {
        let (back, bytes) = stream(compression, &batches, &Limits::default())
            .unwrap_or_else(|e| panic!("{compression}: {e}"));
        assert!(
            back == expected,
            "{compression}: the stream came back different"
        );
        wire.push(bytes);
    }
    // Text repeated from the frame before costs next to nothing against the dictionary,
    // but LZ4 on a frame alone cannot see it.
    let [none, lz4, ctx] = wire[..] else {
        unreachable!()
    };
    assert!(lz4 > none * 9 / 10, "none {none}, lz4 {lz4}");
    assert!(ctx < lz4 * 3 / 4, "lz4 {lz4}, lz4-ctx {ctx}");
}

/// More than the cache's 16 MiB of large messages: the oldest are evicted on both sides at
/// the same moment, so a repeat of an evicted one travels whole again and a repeat of a held
/// one as a reference.
#[test]
fn long_streams_evict_from_the_cache() {
    const IMAGE: usize = 1 << 20;
    let image = |n: u32| noise_image(n, IMAGE);
    let limits = Limits::default();
    let mut writer = BatchWriter::new(limits, Compression::Lz4Ctx);
    let mut decoder = FrameDecoder::new();
    // Writes one batch, decodes it, and returns its wire size.
    let mut send = |batch: &[Request]| -> usize {
        for r in batch {
            writer.push(r).expect("encodes");
        }
        let bytes = writer.take_frames();
        let back: Vec<Request> = decoder.decode_messages(&bytes, &limits).expect("decodes");
        assert!(back == batch, "a batch came back different");
        bytes.len()
    };
    let images = (CACHE_BYTES / IMAGE) as u32 + 4;
    for n in 0..images {
        // Each image is new (whole on the wire), then repeated at once (a reference).
        assert!(send(&[image(n)]) > IMAGE, "image {n} the first time");
        assert!(send(&[image(n)]) < 32, "image {n} the second time");
    }
    // The first images were evicted (each body is a few bytes over 1 MiB): whole again.
    assert!(send(&[image(0)]) > IMAGE, "image 0 after its eviction");
    assert!(send(&[image(1)]) > IMAGE, "image 1 after its eviction");
    // The newest is still held.
    assert!(send(&[image(images - 1)]) < 32);
    // And a reference to an evicted image, forged, is refused rather than misread: the
    // cache holds 15 bodies, so 15 back is one too far.
    let forged = context_frame(false, &[31]); // 2 × 15 + 1
    let header = check_frame(&forged, &limits)
        .expect("valid")
        .expect("whole");
    let err = decoder
        .decode(header, &forged, &limits)
        .map(|b| b.len())
        .expect_err("refused");
    assert!(
        matches!(&err, DecodeError::Malformed(m) if m.contains("cache holds 15 messages")),
        "{err}"
    );
}

/// A context frame around `payload`: stored, or one LZ4 block (without a dictionary).
fn context_frame(compress: bool, payload: &[u8]) -> Vec<u8> {
    let body = if compress {
        lz4_flex::block::compress(payload)
    } else {
        payload.to_vec()
    };
    let header = FrameHeader::new(body.len(), payload.len(), compress, true);
    let mut frame = header.to_bytes();
    frame.extend_from_slice(&body);
    frame
}

/// Decodes one frame with `decoder` and returns the error it must give.
fn refused(decoder: &mut FrameDecoder, frame: &[u8], limits: &Limits) -> DecodeError {
    let result = check_frame(frame, limits).and_then(|header| {
        let header = header.ok_or(DecodeError::Truncated {
            len: frame.len(),
            left: frame.len(),
        })?;
        decoder.decode(header, frame, limits).map(|b| b.len())
    });
    match result {
        Ok(n) => panic!("accepted {n} messages from {frame:?}"),
        Err(e) => e,
    }
}

#[test]
fn a_reference_to_a_cache_entry_not_held_is_refused() {
    let limits = Limits::default();
    // Nothing cached yet.
    let err = refused(
        &mut FrameDecoder::new(),
        &context_frame(false, &[0x01]),
        &limits,
    );
    assert!(
        matches!(&err, DecodeError::Malformed(m) if m.contains("0 admissions back") && m.contains("cache holds 0")),
        "{err}"
    );
    // One body cached: 0 back is it, 1 back is nothing.
    let mut writer = BatchWriter::new(limits, Compression::Lz4Ctx);
    writer.push(&noise_image(1, 300)).expect("encodes");
    let first = writer.take_frames();
    let mut decoder = FrameDecoder::new();
    let header = check_frame(&first, &limits).expect("valid").expect("whole");
    assert_eq!(
        decoder.decode(header, &first, &limits).map(|b| b.len()),
        Ok(1)
    );
    let ok = context_frame(false, &[0x01]);
    let header = check_frame(&ok, &limits).expect("valid").expect("whole");
    let body: Vec<u8> = decoder
        .decode(header, &ok, &limits)
        .expect("decodes")
        .next()
        .expect("one")
        .to_vec();
    assert_eq!(decode_request(&body), Ok(noise_image(1, 300)));
    let err = refused(&mut decoder, &context_frame(false, &[0x03]), &limits);
    assert!(
        matches!(&err, DecodeError::Malformed(m) if m.contains("cache holds 1 messages")),
        "{err}"
    );
}

#[test]
fn a_dictionary_frame_before_any_context_is_refused() {
    let limits = Limits::default();
    let text = noise_text(5, 200);
    let mut writer = BatchWriter::new(limits, Compression::Lz4Ctx);
    writer.push(&text).expect("encodes");
    let first = writer.take_frames();
    writer.push(&text).expect("encodes");
    let second = writer.take_frames();
    assert_eq!(first[0], 0x02, "new text: stored");
    assert_eq!(second[0], 0x03, "repeated text: LZ4 against the dictionary");
    assert!(second.len() < 40, "{} bytes", second.len());
    // The second frame alone, without the first: its block refers to a dictionary that this
    // decoder does not have.
    let err = refused(&mut FrameDecoder::new(), &second, &limits);
    assert!(
        matches!(&err, DecodeError::Decompress(m) if m.contains("before its dictionary") && m.contains("holds 0 bytes")),
        "{err}"
    );
    // With the first, it decodes.
    let mut both = first.clone();
    both.extend_from_slice(&second);
    assert_eq!(
        decode_stream::<Request>(&both, &limits),
        Ok(vec![text.clone(), text])
    );
}

#[test]
fn truncated_and_lying_context_frames_are_refused() {
    let limits = Limits::default();
    let fresh = || FrameDecoder::new();
    // A message entry whose length runs past the payload.
    let err = refused(&mut fresh(), &context_frame(false, &[18, 1, 2]), &limits);
    assert_eq!(err, DecodeError::Truncated { len: 9, left: 2 });
    // An entry cut off inside its length prefix, or after its tag.
    for payload in [&[0x80][..], &[4, 19, 19, 0x81][..]] {
        let err = refused(&mut fresh(), &context_frame(false, payload), &limits);
        assert!(
            matches!(&err, DecodeError::Malformed(m) if m.contains("cut off")),
            "{payload:?}: {err}"
        );
    }
    // A compressed context frame whose header lies about the expanded length, either way.
    let good = context_frame(true, &[2, 19].repeat(60));
    for lie in [-1i32, 1] {
        // Flags, the wire length and the expanded length: one byte each (120 bytes).
        let mut frame = good.clone();
        assert_eq!(frame[2], 120, "{frame:?}");
        frame[2] = (120 + lie) as u8;
        let err = refused(&mut fresh(), &frame, &limits);
        assert!(matches!(err, DecodeError::Decompress(_)), "{lie}: {err}");
    }
    // A stream that ends inside a frame.
    let whole = context_frame(true, &[2, 19].repeat(60));
    assert!(matches!(
        decode_stream::<Request>(&whole[..whole.len() - 1], &limits),
        Err(DecodeError::Truncated { .. })
    ));
    // The stateless reader cannot read a context frame, and says so.
    let header = check_frame(&whole, &limits).expect("valid").expect("whole");
    assert!(matches!(
        frame::frame_payload(header, &whole),
        Err(DecodeError::Malformed(m)) if m.contains("FrameDecoder")
    ));
}

#[test]
fn references_cannot_expand_a_frame_past_the_limits() {
    let limits = Limits {
        max_payload: 4096,
        max_messages: 8,
        ..Limits::default()
    };
    let mut writer = BatchWriter::new(limits, Compression::Lz4Ctx);
    writer.push(&noise_image(2, 1000)).expect("encodes");
    let first = writer.take_frames();
    let setup = |decoder: &mut FrameDecoder| {
        let header = check_frame(&first, &limits).expect("valid").expect("whole");
        assert_eq!(
            decoder.decode(header, &first, &limits).map(|b| b.len()),
            Ok(1)
        );
    };
    // Five references to a 1 KB message: 10 bytes on the wire, 5 KB of messages.
    let mut decoder = FrameDecoder::new();
    setup(&mut decoder);
    let err = refused(
        &mut decoder,
        &context_frame(false, &[0x01].repeat(5)),
        &limits,
    );
    assert!(
        matches!(err, DecodeError::FrameTooLarge { limit: 4096, .. }),
        "{err}"
    );
    // Nine messages where eight are allowed.
    let mut decoder = FrameDecoder::new();
    setup(&mut decoder);
    let err = refused(
        &mut decoder,
        &context_frame(false, &[2, 19].repeat(9)),
        &limits,
    );
    assert_eq!(err, DecodeError::TooManyMessages { limit: 8 });
}

#[test]
fn after_a_broken_context_frame_only_plain_frames_decode() {
    let limits = Limits::default();
    let mut decoder = FrameDecoder::new();
    let err = refused(&mut decoder, &context_frame(false, &[0x01]), &limits);
    assert!(matches!(err, DecodeError::Malformed(_)), "{err}");
    // A valid context frame now: the context may differ from the writer's, so it is refused.
    let err = refused(&mut decoder, &context_frame(false, &[2, 19]), &limits);
    assert!(
        matches!(&err, DecodeError::Malformed(m) if m.contains("after a broken one")),
        "{err}"
    );
    // A plain frame needs no context.
    let plain = frame::encode_single(&Request::Sync).expect("encodes");
    let header = check_frame(&plain, &limits).expect("valid").expect("whole");
    assert_eq!(
        decoder.decode(header, &plain, &limits).map(|b| b.len()),
        Ok(1)
    );
}
