//! What a thin client does with the view messages a server sends it: a sequence of postcard
//! `ViewMessage`s (starts in either mode, scene operations to replay, pixel updates in any
//! encoding, reports of costs) applied to the thin client's copy of the screen. Nothing may
//! panic, and one input may make the copy hold no more than the limits allow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netui_protocol::frame::decode_message;
use netui_protocol::{Limits, ViewMessage};
use thin_client::view::View;

fuzz_target!(|data: &[u8]| {
    // Small limits keep one input's screens small; the checks are the same.
    let mut view = View::with_limits(Limits {
        max_side: 256,
        max_text_len: 256,
        ..Limits::default()
    });
    // Messages in the record format (see the crate's lib.rs).
    for body in netui_fuzz::records(data) {
        if let Ok(message) = decode_message::<ViewMessage>(body) {
            let _ = view.apply(message);
        }
    }
});
