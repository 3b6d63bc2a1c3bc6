//! Feeds arbitrary view messages to a viewer's pixel decoder and scene replica: what a thin
//! client does with bytes from a server. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netui_protocol::frame::decode_message;
use netui_protocol::{Limits, Size, ViewMessage};
use netui_scene::encoding::PixelDecoder;
use netui_scene::scene::Scene;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = decode_message::<ViewMessage>(data) else { return };
    let size = Size::new(64, 48);
    match message {
        ViewMessage::Pixels { size: s, rects, .. } => {
            let mut decoder = PixelDecoder::new(size);
            // Keep the screen small: a huge size is refused by the decoder anyway.
            let s = Size::new(s.width.min(256), s.height.min(256));
            let _ = decoder.apply(s, &rects);
        }
        ViewMessage::Scene { ops, .. } => {
            let mut scene = Scene::new(size, Limits { max_side: 256, ..Limits::default() });
            for op in &ops {
                let _ = scene.replay(op);
            }
            scene.composite();
        }
        ViewMessage::Start { .. } | ViewMessage::Costs(_) => {}
    }
});
