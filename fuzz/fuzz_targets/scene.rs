//! Requests applied to a scene, as the server carries out an application's (any ids, sizes,
//! clips, texts and images: the renderer's extremes), mixed with the window manager's
//! changes, while a command-mode viewer's copy replays the journal and a late viewer joins
//! from a snapshot. Nothing may panic, and both copies must show the server's screen.
//!
//! The input: the screen's width and height (a byte each), then records (see lib.rs), each
//! a kind and its bytes: 0 a request's postcard body, as on the wire; 1 a window manager's
//! change (a `SceneOp`'s body); 2 a frame (composite, and compare the viewer's copy); 3 a
//! read of pixels as `GetImage` does (source id, then an area). Ids beyond the first few of
//! a client's range are folded onto a few, so that they meet.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netui_protocol::frame::{decode_message, decode_request};
use netui_protocol::{Limits, Rect, ResourceId, SceneOp, Size};
use netui_scene::scene::Scene;

/// Ids as recorded (the root, and the first 64 of any client's range) stay; others are
/// folded onto the root and eight of one client's.
fn fold(id: ResourceId) -> ResourceId {
    if id.0 & ((1 << 21) - 1) < 64 {
        return id;
    }
    match id.0 % 9 {
        0 => ResourceId::ROOT,
        n => ResourceId(0x20_0000 | n),
    }
}

/// Limits that keep one input's pixels small: a window or pixmap of at most
/// `netui_fuzz::SIDE` a side (the seeds' larger windows are folded onto that).
fn limits() -> Limits {
    Limits {
        max_side: netui_fuzz::SIDE,
        max_text_len: 256,
        ..Limits::default()
    }
}

fn fold_op(op: &mut SceneOp) {
    match op {
        SceneOp::Request(r) => {
            r.map_ids(fold);
            netui_fuzz::fold_sizes(r);
        }
        SceneOp::Configure { id, rect } => {
            *id = fold(*id);
            netui_fuzz::fold_rect(rect);
        }
        SceneOp::Raise { id }
        | SceneOp::DestroyWindow { id }
        | SceneOp::FreePixmap { id }
        | SceneOp::Window { id, .. }
        | SceneOp::Pixmap { id, .. } => *id = fold(*id),
        SceneOp::Focus { id } => *id = id.map(fold),
        SceneOp::Stack { ids } => ids.iter_mut().for_each(|id| *id = fold(*id)),
        SceneOp::ResizeScreen { .. } => {}
    }
}

/// The viewer's copy takes the journal and must show what the server shows.
fn follow(server: &mut Scene, viewer: &mut Scene) {
    for op in server.take_ops() {
        if let Err(e) = viewer.replay(&op) {
            panic!("the viewer cannot replay what the server did: {op:?}: {e:?}");
        }
    }
    server.composite();
    viewer.composite();
    assert!(
        server.screen() == viewer.screen(),
        "the viewer's copy differs from the server's screen"
    );
}

fuzz_target!(|data: &[u8]| {
    let [width, height, data @ ..] = data else {
        return;
    };
    // Small screens: the renderer's extremes come from coordinates and sizes of what is
    // drawn, and every pixel costs time under the fuzzer's instrumentation.
    let size = Size::new(u32::from(*width % 128) + 1, u32::from(*height % 96) + 1);
    let mut server = Scene::new(size, limits());
    server.set_logging(true, true);
    let mut viewer = Scene::new(size, limits());
    let mut events = Vec::new();
    for record in netui_fuzz::records(data).take(256) {
        let Some((&kind, body)) = record.split_first() else {
            continue;
        };
        match kind % 4 {
            0 => {
                let Ok(mut request) = decode_request(body) else {
                    continue;
                };
                request.map_ids(fold);
                netui_fuzz::fold_sizes(&mut request);
                let _ = server.apply(&request, &mut events);
            }
            1 => {
                let Ok(mut op) = decode_message::<SceneOp>(body) else {
                    continue;
                };
                fold_op(&mut op);
                // Snapshot operations rebuild a viewer's copy; the server never does them.
                let snapshot = matches!(
                    op,
                    SceneOp::Window { .. } | SceneOp::Pixmap { .. } | SceneOp::Stack { .. }
                );
                if !snapshot {
                    // Checked as a viewer checks a change it replays.
                    let _ = server.replay(&op);
                }
            }
            2 => follow(&mut server, &mut viewer),
            _ => {
                let mut bytes = body.iter().copied().chain(std::iter::repeat(0));
                let mut next = || bytes.next().unwrap_or(0);
                let source = fold(ResourceId(u32::from_le_bytes([
                    next(),
                    next(),
                    next(),
                    next(),
                ])));
                let area = (next() & 1 != 0).then(|| {
                    Rect::new(
                        i32::from(next() as i8) * 4,
                        i32::from(next() as i8) * 4,
                        u32::from(next()) * 2,
                        u32::from(next()) * 2,
                    )
                });
                let _ = server.read(source, area);
            }
        }
        events.clear();
        server.take_hints();
    }
    follow(&mut server, &mut viewer);
    // A viewer that joins now rebuilds the screen from a snapshot.
    let mut late = Scene::new(Size::new(1, 1), limits());
    for op in server.snapshot() {
        if let Err(e) = late.replay(&op) {
            panic!("a late viewer cannot replay the snapshot: {op:?}: {e:?}");
        }
    }
    late.composite();
    assert!(
        late.screen() == server.screen(),
        "a late viewer's copy differs from the server's screen"
    );
});
