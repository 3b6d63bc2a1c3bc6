//! Writes the fuzz targets' seed corpora (`fuzz/seeds/TARGET/`) from real sessions: each
//! workload of the bandwidth benchmark (`--quick`'s frames) runs on a headless server and its
//! request stream is recorded, as `bandwidth --record` does; the requests are then played
//! into a display server's core in this process with a viewer attached in each mode, and
//! what the server sends that viewer is kept, and its screen is sent to VNC viewers by the
//! RFB server's encoders. So the seeds are what real peers send: an application's frames
//! (`decode`), its requests (`scene`, `server`), a server's view messages (`view`), a VNC
//! viewer's messages (`rfb_server`) and a VNC server's updates in every encoding
//! (`rfb_client`). The `images` target's seeds are pieces of the image viewer's photographs
//! in each compressed format.
//!
//! ```sh
//! cargo run --release -p netui-bench --example fuzz_seeds -- fuzz/seeds
//! ```
//!
//! Then minimize each into the committed corpus (see the README's Fuzzing section). The
//! record format of `scene`, `server` and `view` is `fuzz/src/lib.rs`'s: a length (one byte,
//! or 255 and two bytes little-endian) and that many bytes; each target's header says what
//! its records hold.

use std::path::{Path, PathBuf};

use anyhow::Context;
use netui_bench::session::{self, Options};
use netui_bench::workload;
use netui_display_server::backend::Headless;
use netui_display_server::core::{
    Core, CoreMsg, Incoming, Outbox, OutboxReceiver, ID_MASK, ID_SHIFT,
};
use netui_display_server::peer::{Access, Peer};
use netui_protocol::connection::FrameReader;
use netui_protocol::frame::{decode_request, opcode};
use netui_protocol::images;
use netui_protocol::{
    Color, Limits, PixelEncoding, Point, Rect, Request, ResourceId, ServerMessage, Size,
    ViewMessage, ViewMode,
};
use netui_rfb::auth::vnc_response;
use netui_rfb::message::ClientMessage;
use netui_rfb::pixel::PixelFormat;
use netui_rfb::{encoding, Passwords, ServerSession};
use netui_scene::render::Canvas;

/// The screen of the in-process core: what the `server` and `view` targets allow.
const SCREEN: Size = Size::new(128, 96);
/// The RFB targets' screen.
const RFB_SCREEN: Size = Size::new(64, 48);
/// The largest seed (libFuzzer's `-max_len` follows the largest seed of a corpus).
const MAX_SEED: usize = 16 * 1024;

fn main() -> anyhow::Result<()> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/seeds".into()),
    );
    let mut n = 0;
    for w in workload::all(true) {
        let session = session::run(Size::new(800, 600), &w.name, &w.app, &Options::default())
            .with_context(|| format!("workload {}", w.name))?;
        let frames = frames(&session.recorded, session.id_base)?;
        eprintln!("{}: {} frames recorded", w.name, frames.len());
        n += seeds(&out, &w.name, &session.recorded, &frames)?;
    }
    n += rfb_server_seeds(&out)?;
    n += clipboard_seed(&out)?;
    n += image_seeds(&out)?;
    eprintln!("{n} seeds written under {}", out.display());
    Ok(())
}

/// A recorded stream's frames: each frame's wire bytes and its request bodies.
type Frames = Vec<(Vec<u8>, Vec<Vec<u8>>)>;

/// The recorded stream's frames after the hello: each frame's wire bytes, and its request
/// bodies with the recording client's ids moved to the first client's range (the
/// application's in [`play`] and in the `server` target).
fn frames(stream: &[u8], id_base: u32) -> anyhow::Result<Frames> {
    let mut reader = FrameReader::new(Limits::default());
    reader.feed(stream);
    let mut out = Vec::new();
    let mut first = true;
    let first_base = 1 << ID_SHIFT;
    while let Some(frame) = reader.next_frame()? {
        if std::mem::take(&mut first) {
            continue; // the hello
        }
        let mut bodies = Vec::new();
        for body in frame.bodies {
            let Ok(mut request) = decode_request(body) else {
                bodies.push(body.to_vec());
                continue;
            };
            request.map_ids(|id| match id.0 & !ID_MASK == id_base {
                true => ResourceId(first_base | (id.0 & ID_MASK)),
                false => id,
            });
            bodies.push(postcard::to_stdvec(&request)?);
        }
        out.push((frame.wire.to_vec(), bodies));
    }
    Ok(out)
}

fn write(out: &Path, target: &str, name: &str, bytes: &[u8]) -> anyhow::Result<usize> {
    if bytes.is_empty() {
        return Ok(0);
    }
    let dir = out.join(target);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(name), bytes)?;
    Ok(1)
}

/// The `images` target's seeds: pieces of the image viewer's two photographs (a small one,
/// one of two blocks' width, a strip) in each compressed format, with the target's header
/// (the format, the width and the height).
fn image_seeds(out: &Path) -> anyhow::Result<usize> {
    use demos::imageview::{picture::scale_rgb, Source};
    use netui_protocol::ImageFormat;
    let mut n = 0;
    for (i, source) in Source::samples().into_iter().enumerate() {
        let picture = source.load()?;
        let rgb = scale_rgb(&picture, picture.size(), Color::BLACK);
        let width = picture.size().width as usize;
        for (x, y, w, h) in [(100, 200, 40, 30), (0, 300, 300, 9), (320, 0, 7, 120)] {
            let piece: Vec<u8> = (y..y + h)
                .flat_map(|y| &rgb[(y * width + x) * 3..][..w * 3])
                .copied()
                .collect();
            let alpha: Vec<u8> = piece
                .chunks(3)
                .enumerate()
                .flat_map(|(j, p)| [p[0], p[1], p[2], (j * 7) as u8])
                .collect();
            for (kind, format, pixels) in [
                (0, ImageFormat::Rgb8Gradient, &piece),
                (1, ImageFormat::Rgb8Zstd, &piece),
                (2, ImageFormat::Rgba8Zstd, &alpha),
            ] {
                let wide = if w >= 256 { 4 } else { 0 };
                let mut seed = vec![kind | wide, (w & 255) as u8, h as u8];
                seed.extend(images::compress(format, w as u32, pixels));
                n += write(out, "images", &format!("{i}-{w}x{h}-{format:?}"), &seed)?;
            }
        }
    }
    Ok(n)
}

/// Appends `record` in the fuzz crate's record format.
fn push_record(out: &mut Vec<u8>, record: &[u8]) {
    let len = record.len().min(usize::from(u16::MAX));
    if len < 255 {
        out.push(len as u8);
    } else {
        out.push(255);
        out.extend_from_slice(&(len as u16).to_le_bytes());
    }
    out.extend_from_slice(&record[..len]);
}

fn push_kind(out: &mut Vec<u8>, kind: u8, body: &[u8]) {
    let mut record = vec![kind];
    record.extend_from_slice(body);
    push_record(out, &record);
}

fn seeds(out: &Path, name: &str, stream: &[u8], frames: &Frames) -> anyhow::Result<usize> {
    let mut n = 0;
    // decode: the stream from its start (the hello, then frames), and later runs of whole
    // frames, each up to 4 KiB.
    let mut piece = Vec::new();
    let mut part = 0;
    let hello_len = stream.len() - frames.iter().map(|(w, _)| w.len()).sum::<usize>();
    piece.extend_from_slice(&stream[..hello_len]);
    for (wire, _) in frames {
        if !piece.is_empty() && piece.len() + wire.len() > 4096 {
            if piece.len() <= MAX_SEED {
                n += write(out, "decode", &format!("{name}-{part}"), &piece)?;
            }
            part += 1;
            piece.clear();
        }
        piece.extend_from_slice(wire);
    }
    if piece.len() <= MAX_SEED {
        n += write(out, "decode", &format!("{name}-{part}"), &piece)?;
    }

    // scene: the screen's size, then each frame's requests and a frame record.
    let mut scene = vec![(SCREEN.width - 1) as u8, (SCREEN.height - 1) as u8];
    for (_, bodies) in frames {
        if scene.len() + bodies.iter().map(|b| b.len() + 4).sum::<usize>() > MAX_SEED {
            break;
        }
        for body in bodies {
            push_kind(&mut scene, 0, body);
        }
        push_kind(&mut scene, 2, &[]);
    }
    n += write(out, "scene", name, &scene)?;
    // scene again, its large images compressed as command-mode viewers receive them.
    let mut packed = vec![(SCREEN.width - 1) as u8, (SCREEN.height - 1) as u8];
    for (_, bodies) in frames {
        let mut packed_bodies = Vec::new();
        for body in bodies {
            match decode_request(body) {
                Ok(request @ Request::PutImage { .. }) => {
                    for piece in images::packed(&request) {
                        packed_bodies.push(postcard::to_stdvec(&*piece)?);
                    }
                }
                _ => packed_bodies.push(body.clone()),
            }
        }
        let bodies = packed_bodies;
        if packed.len() + bodies.iter().map(|b| b.len() + 4).sum::<usize>() > MAX_SEED {
            break;
        }
        for body in &bodies {
            push_kind(&mut packed, 0, body);
        }
        push_kind(&mut packed, 2, &[]);
    }
    if packed != scene {
        n += write(out, "scene", &format!("{name}-packed"), &packed)?;
    }

    // server and view: the requests played into a core with a viewer in each mode.
    let modes = [ViewMode::Commands]
        .into_iter()
        .chain(PixelEncoding::ALL.map(ViewMode::Pixels))
        .chain([ViewMode::Pixels(PixelEncoding::TilesJpeg { quality: 60 })]);
    for (i, mode) in modes.enumerate() {
        let (server, view, screen) = play(frames, mode)?;
        n += write(out, "server", &format!("{name}-{i}"), &server)?;
        n += write(out, "view", &format!("{name}-{i}"), &view)?;
        if i == 0 {
            n += rfb_client_seeds(out, name, &screen)?;
        }
    }
    Ok(n)
}

/// A core on the `server` target's screen with its four clients, as the target makes them:
/// connections 1 to 4 are the owner, an application, a viewer and a view-only viewer (the
/// target's record kinds 0 to 3); their outboxes, in that order.
fn core_with_clients() -> anyhow::Result<(Core, Vec<OutboxReceiver>)> {
    let limits = Limits {
        max_payload: 64 * 1024,
        max_side: 1024,
        max_client_pixels: 1 << 20,
        max_total_pixels: 1 << 21,
        max_text_len: 256,
        max_outbox_bytes: 1 << 20,
        ..Limits::default()
    };
    let mut core = Core::new(
        SCREEN,
        limits,
        ":seeds".into(),
        Box::new(Headless::default()),
    );
    let access = [
        Access::Owner,
        Access::Application,
        Access::Viewer,
        Access::ViewOnly,
    ];
    let mut outboxes: Vec<OutboxReceiver> = Vec::new();
    for (conn, access) in (1..).zip(access) {
        let (outbox, receiver) = Outbox::channel();
        let (respond, mut answer) = tokio::sync::oneshot::channel();
        core.handle(CoreMsg::Hello {
            conn,
            name: "seeds".into(),
            peer: Peer::Unix,
            access,
            role: netui_protocol::Role::Application,
            outbox,
            respond,
        });
        answer
            .try_recv()
            .context("the core answers at once")?
            .map_err(|r| anyhow::anyhow!("refused: {r}"))?;
        outboxes.push(receiver);
    }
    Ok((core, outboxes))
}

/// Plays the frames into a core whose first client is the application and whose third is a
/// viewer in `mode`, as the `server` target does; returns the `server` seed, the view
/// messages the viewer got (a `view` seed), and the screen at the end.
fn play(frames: &Frames, mode: ViewMode) -> anyhow::Result<(Vec<u8>, Vec<u8>, Canvas)> {
    let (mut core, mut outboxes) = core_with_clients()?;
    let mut server = vec![(SCREEN.width - 1) as u8, (SCREEN.height - 1) as u8];
    let mut view = Vec::new();
    let attach = postcard::to_stdvec(&Request::AttachViewer { mode })?;
    let attach = attach.as_slice();
    let mut viewer_seq = 0;
    let mut app_seq = 0;
    let send = |core: &mut Core, conn: u64, seq: &mut u32, body: &[u8]| {
        *seq += 1;
        core.handle(CoreMsg::Batch {
            conn,
            items: vec![Incoming::new(*seq, opcode(body), decode_request(body))],
            permit: None,
        });
    };
    push_kind(&mut server, 2, attach);
    send(&mut core, 3, &mut viewer_seq, attach);
    let mut acked = 0;
    for (_, bodies) in frames {
        if server.len() + bodies.iter().map(|b| b.len() + 4).sum::<usize>() > MAX_SEED {
            break;
        }
        for body in bodies {
            push_kind(&mut server, 0, body);
            send(&mut core, 1, &mut app_seq, body);
        }
        push_kind(&mut server, 4, &[]);
        core.serve_queued();
        // What the viewer was sent, acknowledged as a thin client does.
        while let Some(message) = outboxes[2].try_recv() {
            let ServerMessage::View(message) = message else {
                continue;
            };
            let update = match &message {
                ViewMessage::Scene { update, .. } | ViewMessage::Pixels { update, .. } => {
                    Some(*update)
                }
                _ => None,
            };
            let body = postcard::to_stdvec(&message)?;
            if view.len() + body.len() <= MAX_SEED {
                push_record(&mut view, &body);
            }
            if let Some(update) = update.filter(|u| *u > acked) {
                acked = update;
                let ack = postcard::to_stdvec(&Request::AckUpdate { update })?;
                push_kind(&mut server, 2, &ack);
                send(&mut core, 3, &mut viewer_seq, &ack);
            }
        }
        core.serve_queued();
        for outbox in &mut outboxes {
            while outbox.try_recv().is_some() {}
        }
    }
    let screen = core.scene().screen().clone();
    Ok((server, view, screen))
}

/// The clipboard between the `server` target's clients, played into a core as the target
/// plays its records (0 to 3 a request of one of the four clients, joining its batch; 4 the
/// batches are served; 8 a client leaves), so that the application's answers carry the transfer
/// numbers the server gave: the viewer watches the selections; the application claims the
/// clipboard as text and HTML and keeps a copy of the text; the owner asks for it as text
/// (two chunks come back), as PNG (not offered) and for the primary selection (no owner);
/// the application refuses HTML; it leaves during a transfer, and the owner asks again (the
/// kept text answers).
fn clipboard_seed(out: &Path) -> anyhow::Result<usize> {
    use netui_protocol::selection::{PNG, TEXT};
    use netui_protocol::{Event, Selection};

    struct Script {
        core: Core,
        outboxes: Vec<OutboxReceiver>,
        seed: Vec<u8>,
        batches: [Vec<Incoming>; 4],
        seqs: [u32; 4],
    }
    impl Script {
        fn request(&mut self, client: usize, request: &Request) -> anyhow::Result<()> {
            let body = postcard::to_stdvec(request)?;
            push_kind(&mut self.seed, client as u8, &body);
            self.seqs[client] += 1;
            self.batches[client].push(Incoming::new(
                self.seqs[client],
                opcode(&body),
                decode_request(&body),
            ));
            Ok(())
        }

        /// Serves the batches (record 4, or after a departure); returns the transfer number
        /// of the first selection request the application was sent (the script asks the
        /// application at most once a turn).
        fn serve(&mut self) -> Option<u32> {
            for (conn, batch) in (1..).zip(&mut self.batches) {
                if !batch.is_empty() {
                    self.core.handle(CoreMsg::Batch {
                        conn,
                        items: std::mem::take(batch),
                        permit: None,
                    });
                }
            }
            self.core.serve_queued();
            let mut asked = None;
            for (i, outbox) in self.outboxes.iter_mut().enumerate() {
                while let Some(message) = outbox.try_recv() {
                    if let ServerMessage::Event(Event::SelectionRequest { transfer, .. }) = message
                    {
                        asked = asked.or((i == 1).then_some(transfer));
                    }
                }
            }
            asked
        }

        fn served(&mut self) -> Option<u32> {
            push_kind(&mut self.seed, 4, &[]);
            self.serve()
        }
    }

    let (core, outboxes) = core_with_clients()?;
    let mut s = Script {
        core,
        outboxes,
        seed: vec![(SCREEN.width - 1) as u8, (SCREEN.height - 1) as u8],
        batches: Default::default(),
        seqs: [0; 4],
    };
    let (owner, app, viewer) = (0, 1, 2);
    let ask = |mime: &str, transfer| Request::RequestSelection {
        selection: Selection::Clipboard,
        mime: mime.into(),
        transfer,
    };
    s.request(viewer, &Request::WatchSelections)?;
    s.request(
        app,
        &Request::ClaimSelection {
            selection: Selection::Clipboard,
            types: vec![TEXT.into(), "text/html".into()],
            text: Some("copied in netui".into()),
        },
    )?;
    s.served();
    s.request(owner, &ask(TEXT, 7))?;
    s.request(owner, &ask(PNG, 8))?;
    s.request(
        owner,
        &Request::RequestSelection {
            selection: Selection::Primary,
            mime: TEXT.into(),
            transfer: 9,
        },
    )?;
    let text = s
        .served()
        .context("the application is asked for its text")?;
    for (data, more) in [(&b"copied "[..], true), (&b"in netui"[..], false)] {
        let chunk = Request::SendSelection {
            transfer: text,
            data: data.to_vec(),
            more,
        };
        s.request(app, &chunk)?;
        s.served();
    }
    s.request(owner, &ask("text/html", 10))?;
    let html = s.served().context("the application is asked for HTML")?;
    s.request(app, &Request::RefuseSelection { transfer: html })?;
    s.served();
    s.request(owner, &ask(TEXT, 11))?;
    s.served().context("the application is asked again")?;
    // The application leaves with the transfer under way (record 8, then its connection).
    push_kind(&mut s.seed, 8, &[app as u8]);
    s.core.handle(CoreMsg::Gone {
        conn: app as u64 + 1,
    });
    s.serve();
    s.request(owner, &ask(TEXT, 12))?;
    s.served();
    write(out, "server", "clipboard", &s.seed)
}

/// A VNC server's updates of the top-left of `screen`, in each encoding, after a 3.8
/// handshake (what the `rfb_client` target expects before its input).
fn rfb_client_seeds(out: &Path, name: &str, screen: &Canvas) -> anyhow::Result<usize> {
    let mut small = Canvas::new(RFB_SCREEN.width, RFB_SCREEN.height, Color::BLACK);
    let bounds = small.bounds();
    small.copy_from(screen, bounds, Point::new(0, 0), bounds);
    let mut n = 0;
    let sets: [&[i32]; 5] = [
        &[encoding::RAW],
        &[encoding::HEXTILE],
        &[encoding::ZRLE],
        &[encoding::TIGHT],
        &[encoding::TIGHT, -23 - 5], // Tight with JPEG (quality level 5)
    ];
    for (i, set) in sets.iter().enumerate() {
        let mut session = ready(RFB_SCREEN)?;
        let mut bytes = Vec::new();
        ClientMessage::SetEncodings(set.iter().copied().chain([encoding::COPY_RECT]).collect())
            .write(&mut bytes);
        ClientMessage::FramebufferUpdateRequest {
            incremental: false,
            rect: bounds,
        }
        .write(&mut bytes);
        session.receive(&bytes)?;
        while session.next_event().is_some() {}
        session.take_output();
        let copies = [(Rect::new(0, 0, 16, 16), Point::new(8, 8))];
        session.send_update(&small, &[bounds], &copies)?;
        n += write(
            out,
            "rfb_client",
            &format!("{name}-{i}"),
            &session.take_output(),
        )?;
    }
    Ok(n)
}

/// A server session past a 3.8 client's handshake (VNC authentication, password "fuzz", a
/// challenge of sevens: what the `rfb_server` target uses).
fn ready(size: Size) -> anyhow::Result<ServerSession> {
    let passwords = Passwords {
        full: "fuzz".into(),
        view_only: Some("look".into()),
    };
    let challenge = [7; 16];
    let mut session = ServerSession::new(passwords, challenge, size, "fuzz");
    let mut hello = b"RFB 003.008\n".to_vec();
    hello.push(2);
    hello.extend_from_slice(&vnc_response(&challenge, "fuzz"));
    hello.push(1);
    session.receive(&hello)?;
    while session.next_event().is_some() {}
    session.take_output();
    Ok(session)
}

/// What VNC viewers send after their handshake (TigerVNC's and noVNC's first messages, then
/// input), as the `rfb_server` target reads it: a first byte that cuts the rest into reads.
fn rfb_server_seeds(out: &Path) -> anyhow::Result<usize> {
    let bounds = Rect::new(0, 0, 40, 30);
    let mut n = 0;
    let sets: [&[i32]; 3] = [
        &[
            encoding::TIGHT,
            encoding::ZRLE,
            encoding::HEXTILE,
            encoding::RAW,
            encoding::COPY_RECT,
            encoding::DESKTOP_SIZE,
            encoding::EXTENDED_DESKTOP_SIZE,
            encoding::LAST_RECT,
            encoding::CURSOR,
            encoding::FENCE,
            encoding::CONTINUOUS_UPDATES,
            encoding::QEMU_EXTENDED_KEY_EVENT,
            -23 - 8,
            -256 + 2,
        ],
        &[encoding::ZRLE, encoding::COPY_RECT],
        &[encoding::RAW],
    ];
    for (i, set) in sets.iter().enumerate() {
        let mut bytes = vec![7];
        ClientMessage::SetPixelFormat(PixelFormat::SERVER).write(&mut bytes);
        ClientMessage::SetEncodings(set.to_vec()).write(&mut bytes);
        ClientMessage::FramebufferUpdateRequest {
            incremental: false,
            rect: bounds,
        }
        .write(&mut bytes);
        for k in 0..4u16 {
            ClientMessage::PointerEvent {
                buttons: (k % 2) as u8,
                x: k * 9,
                y: k * 7,
            }
            .write(&mut bytes);
            ClientMessage::KeyEvent {
                down: k % 2 == 0,
                keysym: 0x61 + u32::from(k),
            }
            .write(&mut bytes);
            ClientMessage::FramebufferUpdateRequest {
                incremental: true,
                rect: bounds,
            }
            .write(&mut bytes);
        }
        ClientMessage::ClientCutText("seed".into()).write(&mut bytes);
        if i == 0 {
            ClientMessage::EnableContinuousUpdates {
                enable: true,
                rect: bounds,
            }
            .write(&mut bytes);
            ClientMessage::ClientFence {
                flags: 1 << 31 | 3,
                payload: vec![1, 2, 3],
            }
            .write(&mut bytes);
            ClientMessage::SetDesktopSize {
                width: 32,
                height: 24,
                screens: Vec::new(),
            }
            .write(&mut bytes);
            ClientMessage::QemuKeyEvent {
                down: true,
                keysym: 0x62,
                keycode: 48,
            }
            .write(&mut bytes);
        }
        n += write(out, "rfb_server", &format!("viewer-{i}"), &bytes)?;
    }
    Ok(n)
}
