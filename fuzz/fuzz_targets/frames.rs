//! Streams of frames as a real writer makes them (plain, LZ4 and `lz4-ctx`, switching between
//! batches; bodies repeated so that the context's cache refers back to them), cut into reads
//! of any size and optionally spoiled, fed to one [`FrameReader`]: the context's state (its
//! dictionary and cache) is fuzzed over many frames, not one. Unspoiled, every body must come
//! out as it went in; spoiled, nothing may panic and an error must stay.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use netui_protocol::connection::FrameReader;
use netui_protocol::frame::CACHE_MIN;
use netui_protocol::{BatchWriter, Compression, Limits};

/// Small limits, so that one input allocates little; the code paths are the same.
fn limits() -> Limits {
    Limits {
        max_payload: 64 * 1024,
        max_messages: 64,
        ..Limits::default()
    }
}

/// The most bytes of bodies one input writes: enough for the context's dictionary (64 KiB)
/// to slide, while an input of a few `Long` bodies in many batches no longer makes the
/// writer compress megabytes (under the coverage instrumentation, LZ4's byte loops were
/// nearly half of every run).
const MOST_BYTES: usize = 128 * 1024;

#[derive(Arbitrary, Debug)]
struct Input {
    batches: Vec<Batch>,
    /// Sizes of the reads the stream arrives in (cycled; 0 reads the rest).
    reads: Vec<u16>,
    /// Bytes of the stream to XOR: (position, modulo the stream's length; mask).
    spoil: Vec<(u16, u8)>,
}

#[derive(Arbitrary, Debug)]
struct Batch {
    /// The writer's compression for this batch (an index into `Compression::ALL`).
    compression: u8,
    messages: Vec<Message>,
}

#[derive(Arbitrary, Debug)]
enum Message {
    /// A body as it is.
    Bytes(Vec<u8>),
    /// A body made of one byte, long enough for the cache to take (a reference next time).
    Long { byte: u8, extra: u16 },
    /// The same body as an earlier one, counted back from the last: a cache hit.
    Again(u8),
}

fuzz_target!(|input: Input| {
    let mut writer = BatchWriter::new(limits(), Compression::None);
    let mut sent: Vec<Vec<u8>> = Vec::new();
    let mut wire = Vec::new();
    let mut written = 0;
    for batch in input.batches.iter().take(32) {
        let compression = Compression::ALL[usize::from(batch.compression) % Compression::ALL.len()];
        writer.set_compression(compression);
        for message in batch.messages.iter().take(64) {
            let body = match message {
                Message::Bytes(bytes) => bytes.clone(),
                Message::Long { byte, extra } => {
                    vec![*byte; CACHE_MIN + usize::from(*extra % 4096)]
                }
                Message::Again(back) => match sent.len().checked_sub(1 + usize::from(*back)) {
                    Some(i) => sent[i].clone(),
                    None => continue,
                },
            };
            if written + body.len() > MOST_BYTES {
                break;
            }
            if writer.push_body(&body).is_ok() {
                written += body.len();
                sent.push(body);
            }
        }
        wire.extend_from_slice(&writer.take_frames());
    }
    let spoiled = !input.spoil.is_empty() && !wire.is_empty();
    for &(at, mask) in &input.spoil {
        let len = wire.len();
        if let Some(b) = wire.get_mut(usize::from(at) % len.max(1)) {
            *b ^= mask;
        }
    }

    let mut reader = FrameReader::new(limits());
    let mut got: Vec<Vec<u8>> = Vec::new();
    let mut rest = wire.as_slice();
    let mut reads = input.reads.iter().cycle();
    let mut failed = None;
    let mut first_read = true;
    loop {
        loop {
            match reader.next_frame() {
                Ok(Some(frame)) => got.extend(frame.bodies.map(<[u8]>::to_vec)),
                Ok(None) => break,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if failed.is_some() || rest.is_empty() {
            break;
        }
        let n = match reads.next() {
            Some(&n) if n > 0 => usize::from(n).min(rest.len()),
            _ => rest.len(),
        };
        let (now, later) = rest.split_at(n);
        rest = later;
        // The first read goes through the reader's own buffer, as a socket read does; the
        // others are fed (another `spare` would grow the room past 128 KiB, which the
        // sanitizer's allocator maps and unmaps at every input).
        if first_read {
            first_read = false;
            let room = reader.spare();
            let k = n.min(room.len());
            room[..k].copy_from_slice(&now[..k]);
            reader.filled(k);
            reader.feed(&now[k..]);
        } else {
            reader.feed(now);
        }
    }
    if let Some(e) = failed {
        assert!(spoiled, "an unspoiled stream failed: {e}");
        // The error stays: the stream cannot be read any further.
        assert!(reader.next_frame().is_err());
        return;
    }
    if !spoiled {
        assert!(
            reader.buffered().is_empty(),
            "a whole stream left bytes behind"
        );
        assert_eq!(
            got, sent,
            "the bodies that came out are not those that went in"
        );
    }
});
