//! Feeds arbitrary bytes to every decoder of untrusted input: the frame reader (headers, LZ4
//! payloads, `lz4-ctx` context frames with their dictionary and cache references, message
//! framing), requests (what a server reads), server messages (what a client reads), and a
//! server's side of the handshake (the hello). Nothing may panic, whatever the bytes. The
//! `frames` and `handshake` targets start from real streams instead.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netui_protocol::connection::{FrameReader, ServerHandshake};
use netui_protocol::frame::{decode_message, decode_request, frame_payload, messages};
use netui_protocol::{Limits, ServerMessage};

fuzz_target!(|data: &[u8]| {
    // The reader of a connection, fed in two reads (cut where the first byte says), so that
    // a frame may arrive in pieces.
    let cut = data.first().map_or(0, |&b| usize::from(b).min(data.len()));
    let (first, second) = data.split_at(cut);
    // A smaller frame limit than the default keeps what one input may allocate small.
    let limits = Limits {
        max_payload: 64 * 1024,
        max_messages: 256,
        ..Limits::default()
    };
    let mut frames = FrameReader::new(limits);
    for (i, read) in [first, second].into_iter().enumerate() {
        // The first read goes into the reader's room, as a socket read does; the second is
        // fed (a second `spare` would grow the room past 128 KiB, which the sanitizer's
        // allocator maps and unmaps at every input: a third of the time).
        if i == 0 {
            let room = frames.spare();
            let n = read.len().min(room.len());
            room[..n].copy_from_slice(&read[..n]);
            frames.filled(n);
            frames.feed(&read[n..]);
        } else {
            frames.feed(read);
        }
        while let Ok(Some(frame)) = frames.next_frame() {
            // The stateless reader of plain frames, on the same frame.
            if let Ok(payload) = frame_payload(frame.header, frame.wire) {
                for body in messages(&payload, &limits) {
                    let Ok(body) = body else { break };
                    let _ = decode_request(body);
                }
            }
            for body in frame.bodies {
                let _ = decode_request(body);
                let _ = decode_message::<ServerMessage>(body);
            }
        }
    }

    // The first frame as a server's hello reads it.
    let mut server = ServerHandshake::new();
    server.feed(data);
    let _ = server.poll();
    server.filled(0);
    let _ = server.poll();
});
