//! Feeds arbitrary server messages to the RFB client's decoders (Raw, CopyRect, Hextile,
//! ZRLE, Tight with JPEG, the pseudo-encodings) after a valid handshake: what the benchmark's
//! and the tests' VNC client does with bytes from a server. Nothing may panic, and no
//! allocation may exceed what the rectangles' sizes allow.
#![no_main]

use std::io::{Cursor, Read, Write};

use libfuzzer_sys::fuzz_target;
use netui_rfb::client::Client;
use netui_rfb::encoding;
use netui_rfb::pixel::PixelFormat;

/// The server's side of the conversation as bytes to read; what the client writes is dropped.
struct Script(Cursor<Vec<u8>>);

impl Read for Script {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Script {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    // Version, VNC Authentication offered, a challenge, success, and a 64x48 screen.
    let mut bytes = b"RFB 003.008\n".to_vec();
    bytes.extend_from_slice(&[1, 2]);
    bytes.extend_from_slice(&[0; 16]);
    bytes.extend_from_slice(&[0, 0, 0, 0]);
    bytes.extend_from_slice(&[0, 64, 0, 48]);
    bytes.extend_from_slice(&PixelFormat::SERVER.to_bytes());
    bytes.extend_from_slice(&[0, 0, 0, 4]);
    bytes.extend_from_slice(b"fuzz");
    bytes.extend_from_slice(data);
    let encodings = [
        encoding::TIGHT,
        encoding::ZRLE,
        encoding::HEXTILE,
        encoding::RAW,
        encoding::COPY_RECT,
        encoding::DESKTOP_SIZE,
        encoding::EXTENDED_DESKTOP_SIZE,
        encoding::CURSOR,
        encoding::LAST_RECT,
    ];
    let Ok(mut client) = Client::connect(Script(Cursor::new(bytes)), "fuzz", &encodings) else {
        return;
    };
    while client.read_message().is_ok() {}
});
