//! Feeds arbitrary bytes to every decoder of untrusted input: frame headers, LZ4 payloads,
//! `lz4-ctx` context frames (dictionary and cache references, through one stateful decoder,
//! as a connection reads them), message framing, requests (what a server reads), server
//! messages (what a client reads), and hellos. Nothing may panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netui_protocol::frame::{
    check_frame, decode_message, decode_request, frame_payload, messages, FrameDecoder,
};
use netui_protocol::handshake::HelloPrefix;
use netui_protocol::{ClientHello, Limits, ServerHello, ServerMessage};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let mut decoder = FrameDecoder::new();
    let mut rest = data;
    while let Ok(Some(header)) = check_frame(rest, &limits) {
        // The stateless reader of plain frames (as a server reads the hello).
        if let Ok(payload) = frame_payload(header, rest) {
            for body in messages(&payload, &limits) {
                let Ok(body) = body else { break };
                let _ = HelloPrefix::peek(body);
                let _ = decode_message::<ClientHello>(body);
                let _ = decode_message::<ServerHello>(body);
            }
        }
        // The stateful reader of every frame, which keeps the stream's context.
        if let Ok(bodies) = decoder.decode(header, rest, &limits) {
            for body in bodies {
                let _ = decode_request(body);
                let _ = decode_message::<ServerMessage>(body);
            }
        }
        rest = &rest[header.frame_len()..];
    }
});
