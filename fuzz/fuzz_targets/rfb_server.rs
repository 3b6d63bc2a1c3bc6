//! Feeds arbitrary bytes, in arbitrary pieces, to the server's side of an RFB connection that
//! has passed its handshake, and answers every request with an update of a small screen:
//! what a hostile VNC viewer can make the display server do. Nothing may panic, and nothing
//! may grow without bound (the session's limits bound every length).
#![no_main]

use libfuzzer_sys::fuzz_target;
use netui_protocol::{Color, Point, Rect};
use netui_rfb::auth::vnc_response;
use netui_rfb::{Passwords, ServerSession};
use netui_scene::render::Canvas;

const CHALLENGE: [u8; 16] = [7; 16];
/// The most updates one input is answered with: each costs a deflate flush, which under the
/// coverage instrumentation was four fifths of a run. Requests after them are still parsed
/// (the parser is what a hostile viewer drives); an encoder path that only a 17th update
/// would reach is given up for speed (FUZZING.md, session 15).
const MOST_UPDATES: usize = 16;

/// A session that has read a 3.8 client's version, security type, response and ClientInit.
fn ready(screen: &Canvas) -> ServerSession {
    let passwords = Passwords {
        full: "fuzz".into(),
        view_only: Some("look".into()),
    };
    let mut session = ServerSession::new(passwords, CHALLENGE, screen.size(), "fuzz");
    let mut hello = b"RFB 003.008\n".to_vec();
    hello.push(2);
    hello.extend_from_slice(&vnc_response(&CHALLENGE, "fuzz"));
    hello.push(1);
    session.receive(&hello).expect("a valid handshake");
    while session.next_event().is_some() {}
    session.take_output();
    session
}

fuzz_target!(|data: &[u8]| {
    let mut screen = Canvas::new(40, 30, Color::BLACK);
    let mut session = ready(&screen);
    // The first byte cuts the rest into pieces, as a network would.
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let piece = usize::from(cut).max(1);
    let mut updates = 0;
    for (i, chunk) in rest.chunks(piece).enumerate() {
        if session.receive(chunk).is_err() {
            return;
        }
        while session.next_event().is_some() {}
        if session.wants_update() && updates < MOST_UPDATES {
            updates += 1;
            let x = (i * 7 % 40) as i32;
            let changed = screen.fill_rect(
                Rect::new(x, 3, 5, 9),
                Color::rgb(i as u8, 9, 90),
                screen.bounds(),
            );
            let copies = [(Rect::new(0, 0, 10, 10), Point::new(2, 3))];
            if session.send_update(&screen, &[changed], &copies).is_err() {
                return;
            }
        }
        session.take_output();
    }
});
