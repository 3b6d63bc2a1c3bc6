//! Feeds arbitrary bytes to every decoder of untrusted input: the frame reader (headers, LZ4
//! payloads, `lz4-ctx` context frames with their dictionary and cache references, message
//! framing), requests (what a server reads), server messages (what a client reads), and the
//! handshake of each side (the hellos). Nothing may panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netui_protocol::connection::{ClientHandshake, FrameReader, ServerHandshake};
use netui_protocol::frame::{decode_message, decode_request, frame_payload, messages};
use netui_protocol::{ClientHello, Limits, ServerMessage};

fuzz_target!(|data: &[u8]| {
    // The reader of a connection, fed in two reads (cut where the first byte says), so that
    // a frame may arrive in pieces.
    let cut = data.first().map_or(0, |&b| usize::from(b).min(data.len()));
    let (first, second) = data.split_at(cut);
    let limits = Limits::default();
    let mut frames = FrameReader::new(limits);
    for read in [first, second] {
        let room = frames.spare();
        let n = read.len().min(room.len());
        room[..n].copy_from_slice(&read[..n]);
        frames.filled(n);
        frames.feed(&read[n..]);
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

    // The first frame as a server's hello reads it, and as a client's welcome.
    let mut server = ServerHandshake::new();
    server.feed(data);
    let _ = server.poll();
    server.filled(0);
    let _ = server.poll();
    if let Ok((mut client, _)) = ClientHandshake::new(&ClientHello::new("fuzz", None)) {
        client.feed(data);
        let _ = client.poll();
        client.filled(0);
        let _ = client.poll();
        let mut rest = client.into_reader();
        while let Ok(Some(_)) = rest.next_frame() {}
    }
});
