//! The handshake, both sides: a real client's hello (any name, token and compression) goes
//! to a [`ServerHandshake`] in reads of any size, optionally spoiled, with the client's first
//! requests behind it; the server welcomes or refuses, and its answer goes back to the
//! [`ClientHandshake`] the same way, with the first frames after it. Unspoiled, each side
//! must read exactly what the other wrote; spoiled, nothing may panic.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use netui_protocol::connection::{ClientHandshake, ServerHandshake};
use netui_protocol::handshake::PixelFormat;
use netui_protocol::{
    BatchWriter, ClientHello, Compression, FontSet, HandshakeError, Limits, Refusal, Request, Size,
    Welcome,
};

#[derive(Arbitrary, Debug)]
struct Input {
    name: String,
    token: Option<Vec<u8>>,
    compression: u8,
    /// The server's answer: a welcome, or a refusal of each kind.
    answer: Answer,
    /// Bytes that follow each hello on the wire (the next frames, or garbage).
    after_hello: Vec<u8>,
    after_answer: Vec<u8>,
    /// Read sizes, each side (cycled; 0 reads the rest).
    server_reads: Vec<u8>,
    client_reads: Vec<u8>,
    /// Bytes to XOR, each way: (position, modulo the length; mask).
    spoil_hello: Vec<(u16, u8)>,
    spoil_answer: Vec<(u16, u8)>,
}

#[derive(Arbitrary, Debug)]
enum Answer {
    Welcome {
        width: u16,
        height: u16,
        id_base: u32,
        id_mask: u32,
        max_payload: u32,
    },
    VersionMismatch(u16),
    TokenRequired,
    WrongToken,
    TooManyClients,
    Malformed(String),
}

/// Feeds `bytes` to a side in reads of the given sizes until `poll` has an answer; `None` if
/// the bytes ran out first. (Copies: each side's `spare` would zero 64 KiB of room for every
/// input, a third of the time; the reader's `spare` is fuzzed by `decode` and `frames`.)
fn drive<T, E>(
    mut bytes: &[u8],
    reads: &[u8],
    fill: &mut dyn FnMut(&[u8]),
    poll: &mut dyn FnMut() -> Result<Option<T>, E>,
) -> Option<Result<T, E>> {
    let mut reads = reads.iter().cycle();
    loop {
        match poll() {
            Ok(None) => {}
            other => return other.transpose(),
        }
        if bytes.is_empty() {
            return None;
        }
        let n = match reads.next() {
            Some(&n) if n > 0 => usize::from(n).min(bytes.len()),
            _ => bytes.len(),
        };
        let (now, later) = bytes.split_at(n);
        bytes = later;
        fill(now);
    }
}

fn spoil(bytes: &mut [u8], how: &[(u16, u8)]) -> bool {
    let len = bytes.len();
    for &(at, mask) in how {
        if let Some(b) = bytes.get_mut(usize::from(at) % len.max(1)) {
            *b ^= mask;
        }
    }
    !how.is_empty()
}

fuzz_target!(|input: Input| {
    let compression = Compression::ALL[usize::from(input.compression) % Compression::ALL.len()];
    let hello =
        ClientHello::new(input.name.clone(), input.token.clone()).with_compression(compression);
    let Ok((client, hello_bytes)) = ClientHandshake::new(&hello) else {
        return;
    };
    let mut client = client;
    // The hello, then the client's first requests (a real frame), then anything.
    let mut wire = hello_bytes;
    let mut writer = BatchWriter::new(Limits::default(), compression);
    if writer.push(&Request::Sync).is_ok() {
        wire.extend_from_slice(&writer.take_frames());
    }
    wire.extend_from_slice(&input.after_hello);
    let spoiled_hello = spoil(&mut wire, &input.spoil_hello);

    // The server's side.
    let server = std::cell::RefCell::new(ServerHandshake::new());
    let got = drive(
        &wire,
        &input.server_reads,
        &mut |bytes| server.borrow_mut().feed(bytes),
        &mut || server.borrow_mut().poll(),
    );
    let server = server.into_inner();
    let read = match got {
        Some(Ok(read)) => read,
        Some(Err(_)) | None => {
            assert!(spoiled_hello, "an unspoiled hello was not read: {got:?}");
            return;
        }
    };
    if !spoiled_hello {
        assert_eq!(
            read, hello,
            "the server read another hello than the client wrote"
        );
    }

    let welcome = match &input.answer {
        Answer::Welcome {
            width,
            height,
            id_base,
            id_mask,
            max_payload,
        } => Some(Welcome {
            vendor: "fuzz".into(),
            client_id: 1,
            screen: Size::new(u32::from(*width), u32::from(*height)),
            pixel_format: PixelFormat::Xrgb8888,
            id_base: *id_base,
            id_mask: *id_mask,
            limits: Limits {
                max_payload: (*max_payload).clamp(4096, 1 << 20),
                ..Limits::default()
            },
            fonts: Some(FontSet::default()),
        }),
        _ => None,
    };
    let refusal = match &input.answer {
        Answer::Welcome { .. } => None,
        Answer::VersionMismatch(v) => Some(Refusal::VersionMismatch {
            server: *v,
            client: hello.version,
        }),
        Answer::TokenRequired => Some(Refusal::TokenRequired),
        Answer::WrongToken => Some(Refusal::WrongToken),
        Answer::TooManyClients => Some(Refusal::TooManyClients),
        Answer::Malformed(why) => Some(Refusal::Malformed(why.clone())),
    };
    let mut answer = match (&welcome, &refusal) {
        (Some(welcome), _) => {
            let Ok((answer, mut requests)) = server.accept(welcome.clone()) else {
                return;
            };
            // What came after the hello is the start of the request stream.
            while let Ok(Some(_)) = requests.next_frame() {}
            answer
        }
        (None, Some(refusal)) => match server.refuse(refusal.clone()) {
            Ok(answer) => answer,
            Err(_) => return,
        },
        (None, None) => return,
    };
    answer.extend_from_slice(&input.after_answer);
    let spoiled_answer = spoil(&mut answer, &input.spoil_answer);

    // The client's side.
    let client_cell = std::cell::RefCell::new(&mut client);
    let got = drive(
        &answer,
        &input.client_reads,
        &mut |bytes| client_cell.borrow_mut().feed(bytes),
        &mut || client_cell.borrow_mut().poll(),
    );
    if !spoiled_answer {
        match (&got, &welcome, &refusal) {
            (Some(Ok(got)), Some(sent), _) => assert_eq!(got, sent, "another welcome"),
            (Some(Err(HandshakeError::Refused(got))), None, Some(sent)) => {
                assert_eq!(got, sent, "another refusal")
            }
            (Some(Err(HandshakeError::VersionMismatch { .. })), None, Some(_)) => {}
            _ => panic!("an unspoiled answer was not read: {got:?}"),
        }
    }
    if let Some(Ok(_)) = got {
        let mut rest = client.into_reader();
        while let Ok(Some(_)) = rest.next_frame() {}
    }
});
