//! The display server's core, fed what its connections would hand it: requests of an owner,
//! an application, a viewer with input and a view-only viewer (postcard bodies as on the
//! wire), input from the screen, resizes, protocol errors, departures and new connections.
//! Viewers' messages (attach in any mode, input, acknowledgements, reports of costs) take the
//! same path as on a socket. Nothing may panic, and what the server sends a viewer must be
//! what the thin client's copy of the screen accepts.
//!
//! The input: the screen's width and height (a byte each), then records (see lib.rs), each
//! a kind and its bytes: 0-3 a request (postcard body) from connection 0-3 (owner,
//! application, viewer, view-only), joining that connection's batch; 4 the batches go to the
//! core, which serves them and presents, and the connections read what it sent; 5 input
//! from the screen (a postcard `InputEvent`); 6 a resize (width and height, two bytes each);
//! 7, 8 and 9 a protocol error, a departure, and a new connection, on the connection that the
//! next byte names. Ids of the four clients' ranges stay as they are (a recorded session's
//! are the first client's); others are folded onto a few of the sender's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netui_display_server::backend::Headless;
use netui_display_server::core::{Core, CoreMsg, Incoming, Outbox, OutboxReceiver, ID_MASK};
use netui_display_server::peer::{Access, Peer};
use netui_protocol::frame::{decode_message, decode_request, opcode};
use netui_protocol::{DecodeError, InputEvent, Limits, ResourceId, ServerMessage, Size};
use thin_client::view::View;

/// Limits that keep one input's pixels small (a window or pixmap of at most
/// `netui_fuzz::SIDE` a side: the seeds' larger windows are folded onto that); the checks
/// are the same.
fn limits() -> Limits {
    Limits {
        max_payload: 64 * 1024,
        max_side: netui_fuzz::SIDE,
        max_client_pixels: 1 << 20,
        max_total_pixels: 1 << 21,
        max_text_len: 256,
        max_outbox_bytes: 1 << 20,
        ..Limits::default()
    }
}

const ACCESS: [Access; 4] = [
    Access::Owner,
    Access::Application,
    Access::Viewer,
    Access::ViewOnly,
];

/// A connection as its codec would hold it: the outbox's reading end and what it was given.
struct Conn {
    id: u64,
    outbox: Option<OutboxReceiver>,
    id_base: u32,
    /// The thin client's copy of the screen, for what the server sends this connection.
    view: View,
    seq: u32,
}

fn hello(core: &mut Core, conn: &mut Conn, access: Access) {
    let (outbox, receiver) = Outbox::channel();
    let (respond, mut answer) = tokio::sync::oneshot::channel();
    core.handle(CoreMsg::Hello {
        conn: conn.id,
        name: "fuzz".into(),
        peer: Peer::Unix,
        access,
        role: netui_protocol::Role::Application,
        outbox,
        respond,
    });
    if let Ok(Ok(welcome)) = answer.try_recv() {
        conn.id_base = welcome.id_base;
        conn.outbox = Some(receiver);
        conn.view = View::default();
        conn.seq = 0;
    }
}

/// What the server sent each connection: a viewer's updates must apply.
fn drain(conns: &mut [Conn]) {
    for conn in conns {
        let Some(outbox) = &mut conn.outbox else {
            continue;
        };
        while let Some(message) = outbox.try_recv() {
            if let ServerMessage::View(message) = message {
                if let Err(e) = conn.view.apply(message) {
                    panic!("the server sent a viewer an update it cannot apply: {e}");
                }
            }
        }
    }
}

/// The request's ids: a client's own (of any of the four) stay, others are folded onto the
/// root and a few of the sender's.
fn fold(id: ResourceId, own: u32, bases: &[u32]) -> ResourceId {
    let base = id.0 & !ID_MASK;
    if id == ResourceId::ROOT || bases.contains(&base) {
        return id;
    }
    match id.0 % 9 {
        0 => ResourceId::ROOT,
        n => ResourceId(own | n),
    }
}

fuzz_target!(|data: &[u8]| {
    let [width, height, data @ ..] = data else {
        return;
    };
    // Small screens: every pixel costs time under the fuzzer's instrumentation, and a pixel
    // viewer's encoder and the thin client's decoder touch each one. At most 64x48 at first
    // (one of the encoders' 64-pixel cells; a resize makes up to two by two, and windows
    // may be larger than the screen): on the committed corpus 1,060 runs a second against
    // 750 for screens of up to 128x96 (FUZZING.md).
    let size = Size::new(u32::from(*width % 64) + 1, u32::from(*height % 48) + 1);
    let mut core = Core::new(
        size,
        limits(),
        ":fuzz".into(),
        Box::new(Headless::default()),
    );
    let mut conns: Vec<Conn> = (0..4)
        .map(|i| Conn {
            id: i + 1,
            outbox: None,
            id_base: 0,
            view: View::default(),
            seq: 0,
        })
        .collect();
    for (conn, access) in conns.iter_mut().zip(ACCESS) {
        hello(&mut core, conn, access);
    }
    let mut next_id = 5;
    let mut batches: [Vec<Incoming>; 4] = Default::default();
    for record in netui_fuzz::records(data).take(512) {
        let Some((&kind, body)) = record.split_first() else {
            continue;
        };
        let which = usize::from(body.first().copied().unwrap_or(0) % 4);
        match kind % 10 {
            k @ 0..=3 => {
                let bases: Vec<u32> = conns.iter().map(|c| c.id_base).collect();
                let c = &mut conns[usize::from(k)];
                c.seq = c.seq.wrapping_add(1);
                let own = c.id_base;
                let request = decode_request(body).map(|mut r| {
                    r.map_ids(|id| fold(id, own, &bases));
                    netui_fuzz::fold_sizes(&mut r);
                    r
                });
                if batches[usize::from(k)].len() < 64 {
                    batches[usize::from(k)].push(Incoming::new(c.seq, opcode(body), request));
                }
                continue;
            }
            4 => {}
            5 => {
                if let Ok(event) = decode_message::<InputEvent>(body) {
                    core.handle(CoreMsg::Input(event));
                }
            }
            6 => {
                let mut b = body.iter().copied().chain(std::iter::repeat(0));
                let mut next = || b.next().unwrap_or(0);
                let width = u16::from_le_bytes([next(), next()]) % 80;
                let height = u16::from_le_bytes([next(), next()]) % 72;
                core.handle(CoreMsg::ResizeScreen(Size::new(
                    width.into(),
                    height.into(),
                )));
            }
            7 => core.handle(CoreMsg::ProtocolError {
                conn: conns[which].id,
                error: DecodeError::BadMagic,
            }),
            8 => {
                core.handle(CoreMsg::Gone {
                    conn: conns[which].id,
                });
                conns[which].outbox = None;
            }
            _ => {
                if conns[which].outbox.is_none() {
                    conns[which].id = next_id;
                    next_id += 1;
                    hello(&mut core, &mut conns[which], ACCESS[which]);
                }
            }
        }
        serve(&mut core, &mut conns, &mut batches);
    }
    serve(&mut core, &mut conns, &mut batches);
});

/// Hands the batches to the core, serves them, and reads what the connections were sent.
/// The first and third connections' images are coded before the core has them, as the
/// codec's reader codes them; the core codes the others' itself.
fn serve(core: &mut Core, conns: &mut [Conn], batches: &mut [Vec<Incoming>; 4]) {
    let images = core.images();
    for (i, (conn, batch)) in conns.iter().zip(batches.iter_mut()).enumerate() {
        if i % 2 == 0 {
            Incoming::prepare_all(batch, &images, limits().max_payload as usize);
        }
        if !batch.is_empty() {
            core.handle(CoreMsg::Batch {
                conn: conn.id,
                items: std::mem::take(batch),
                permit: None,
            });
        }
    }
    core.serve_queued();
    drain(conns);
}
