//! The handshake, passwords, and the session's messages around updates.

use std::os::unix::net::UnixStream;

use netui_protocol::{Color, Rect, Size};
use netui_scene::render::Canvas;

use super::*;
use crate::client::{ClientError, ServerMessage};
use crate::encoding;
use crate::message::{ClientMessage, FENCE_BLOCK_BEFORE, FENCE_REQUEST, FENCE_SYNC_NEXT};
use crate::DesktopSizeStatus;

fn screen() -> Canvas {
    Canvas::new(32, 24, Color::BLUE)
}

#[test]
fn the_right_password_is_ready() {
    let (pipe, mut client) = connect(screen(), &[encoding::RAW]);
    assert_eq!(client.name(), "netui test");
    assert_eq!(client.canvas().size(), Size::new(32, 24));
    client.key(true, 0x61).unwrap();
    client.pointer(1, 3, 4).unwrap();
    pipe.0.borrow_mut().pump();
    let server = pipe.0.borrow();
    assert_eq!(
        server.events,
        [
            Event::Ready {
                view_only: false,
                shared: true
            },
            Event::Key {
                down: true,
                keysym: 0x61,
                keycode: None
            },
            Event::Pointer {
                buttons: 1,
                x: 3,
                y: 4
            },
        ]
    );
    assert!(!server.session.view_only());
}

#[test]
fn the_view_only_password_gives_no_input() {
    let pipe = serve(screen());
    let mut client = Client::connect(pipe.clone(), "look", &[encoding::RAW]).unwrap();
    client.key(true, 0x61).unwrap();
    client.cut_text("hello").unwrap();
    client
        .request_update(false, Rect::new(0, 0, 32, 24))
        .unwrap();
    // It still sees the screen.
    assert!(matches!(
        client.read_message().unwrap(),
        ServerMessage::Update(_)
    ));
    assert_eq!(client.canvas(), &pipe.0.borrow().screen);
    let server = pipe.0.borrow();
    assert!(server.session.view_only());
    assert_eq!(
        server.events,
        [Event::Ready {
            view_only: true,
            shared: true
        }]
    );
}

#[test]
fn a_wrong_password_is_refused_with_the_reason() {
    let pipe = serve(screen());
    let err = Client::connect(pipe.clone(), "guess", &[]).unwrap_err();
    match err {
        ClientError::Rfb(RfbError::Refused(reason)) => assert_eq!(reason, "authentication failed"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(pipe.0.borrow().error, Some(RfbError::AuthenticationFailed));
    let mut server = pipe.0.borrow_mut();
    assert_eq!(server.session.receive(&[3]), Err(RfbError::Closed));
}

#[test]
fn the_exact_bytes_of_the_handshake() {
    let mut s = ServerSession::new(passwords(), CHALLENGE, Size::new(300, 200), "ab");
    assert_eq!(s.take_output(), b"RFB 003.008\n");
    s.receive(b"RFB 003.008\n").unwrap();
    assert_eq!(s.take_output(), [1, 2]); // one type: VNC Authentication
    s.receive(&[2]).unwrap();
    assert_eq!(s.take_output(), CHALLENGE);
    s.receive(&crate::auth::vnc_response(&CHALLENGE, "secret"))
        .unwrap();
    assert_eq!(s.take_output(), [0, 0, 0, 0]); // SecurityResult OK
    s.receive(&[0]).unwrap(); // ClientInit, not shared
    let mut init = vec![1, 44, 0, 200]; // 300 x 200
    init.extend_from_slice(&crate::pixel::PixelFormat::SERVER.to_bytes());
    init.extend_from_slice(&[0, 0, 0, 2, b'a', b'b']);
    assert_eq!(s.take_output(), init);
    assert_eq!(
        s.next_event(),
        Some(Event::Ready {
            view_only: false,
            shared: false
        })
    );
}

#[test]
fn versions_3_3_and_3_7_and_refusals() {
    let mut s = ServerSession::new(passwords(), CHALLENGE, Size::new(4, 4), "");
    s.take_output();
    s.receive(b"RFB 003.003\n").unwrap();
    let mut expect = vec![0, 0, 0, 2];
    expect.extend_from_slice(&CHALLENGE);
    assert_eq!(
        s.take_output(),
        expect,
        "3.3: the server picks, the challenge follows"
    );
    assert_eq!(s.receive(&[0; 16]), Err(RfbError::AuthenticationFailed));
    assert_eq!(s.take_output(), [0, 0, 0, 1], "3.3: no reason");

    let mut s = ServerSession::new(passwords(), CHALLENGE, Size::new(4, 4), "");
    s.take_output();
    s.receive(b"RFB 003.008\n").unwrap();
    s.take_output();
    assert_eq!(
        s.receive(&[1]),
        Err(RfbError::SecurityType(1)),
        "None is not offered"
    );

    let mut s = ServerSession::new(passwords(), CHALLENGE, Size::new(4, 4), "");
    s.take_output();
    assert!(matches!(
        s.receive(b"HTTP/1.1 GET"),
        Err(RfbError::Version(_))
    ));
    let out = s.take_output();
    assert_eq!(
        out[..5],
        [0, 0, 0, 0, 28],
        "no types, then the reason's length"
    );
}

#[test]
fn a_refused_session_says_why_in_each_version() {
    let reason = "too many authentication failures";
    let mut told = reason.len().to_be_bytes()[4..].to_vec();
    told.extend_from_slice(reason.as_bytes());
    for (version, failure) in [
        (&b"RFB 003.008\n"[..], vec![0]),
        (b"RFB 003.007\n", vec![0]),
        (b"RFB 003.003\n", vec![0, 0, 0, 0]),
    ] {
        let mut s = ServerSession::new(passwords(), CHALLENGE, Size::new(4, 4), "");
        s.refuse(reason);
        assert_eq!(s.take_output(), b"RFB 003.008\n");
        assert_eq!(s.receive(version), Err(RfbError::Refused(reason.into())));
        let mut expect = failure;
        expect.extend_from_slice(&told);
        // 3.7 and 3.8: no security types; 3.3: security type 0 (invalid); then the reason.
        assert_eq!(
            s.take_output(),
            expect,
            "{}",
            String::from_utf8_lossy(version)
        );
        assert_eq!(s.receive(&[2]), Err(RfbError::Closed));
    }
    // The client reads it as a refusal with the reason.
    let pipe = serve(screen());
    pipe.0.borrow_mut().session.refuse(reason);
    let err = Client::connect(pipe.clone(), "secret", &[]).unwrap_err();
    match err {
        ClientError::Rfb(RfbError::Refused(said)) => assert_eq!(said, reason),
        other => panic!("{other:?}"),
    }
}

#[test]
fn updates_are_counted_as_written() {
    let (pipe, mut client) = connect(screen(), &[encoding::RAW]);
    assert_eq!(pipe.0.borrow().session.updates_sent(), 0);
    client
        .request_update(false, Rect::new(0, 0, 32, 24))
        .unwrap();
    assert!(matches!(
        client.read_message().unwrap(),
        ServerMessage::Update(_)
    ));
    assert_eq!(pipe.0.borrow().session.updates_sent(), 1);
    // An incremental request with nothing changed writes nothing, and counts nothing.
    client
        .request_update(true, Rect::new(0, 0, 32, 24))
        .unwrap();
    pipe.0.borrow_mut().pump();
    assert_eq!(pipe.0.borrow().session.updates_sent(), 1);
}

#[test]
fn over_a_real_socket_with_the_session_on_a_thread() {
    let (ours, theirs) = UnixStream::pair().unwrap();
    let server = std::thread::spawn(move || -> Result<Vec<Event>, RfbError> {
        use std::io::{Read, Write};
        let screen = busy_screen(Size::new(70, 40), 5);
        let mut socket = theirs;
        let mut session = ServerSession::new(passwords(), CHALLENGE, screen.size(), "socket");
        let mut events = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            socket
                .write_all(&session.take_output())
                .map_err(|_| RfbError::Closed)?;
            let n = socket.read(&mut buf).map_err(|_| RfbError::Closed)?;
            if n == 0 {
                return Ok(events);
            }
            session.receive(&buf[..n])?;
            events.extend(std::iter::from_fn(|| session.next_event()));
            if session.wants_update() {
                session.send_update(&screen, &[], &[])?;
            }
        }
    });
    let mut client = Client::connect(ours, "secret", &[encoding::ZRLE]).unwrap();
    client
        .request_update(false, Rect::new(0, 0, 70, 40))
        .unwrap();
    let ServerMessage::Update(update) = client.read_message().unwrap() else {
        panic!("expected an update");
    };
    assert_eq!(update.bytes.len(), 1);
    assert!(update.bytes_of(encoding::ZRLE) > 0);
    assert_eq!(client.canvas(), &busy_screen(Size::new(70, 40), 5));
    client.pointer(0, 1, 2).unwrap();
    drop(client);
    let events = server.join().unwrap().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[1],
        Event::Pointer {
            buttons: 0,
            x: 1,
            y: 2
        }
    );
}

#[test]
fn cut_text_bell_and_fences() {
    let (pipe, mut client) = connect(screen(), &[encoding::RAW, encoding::FENCE]);
    client.cut_text("grüße").unwrap();
    let fence = ClientMessage::ClientFence {
        flags: FENCE_REQUEST | FENCE_BLOCK_BEFORE | FENCE_SYNC_NEXT | 1 << 20,
        payload: vec![9, 8],
    };
    client.send(&fence).unwrap();
    {
        let mut server = pipe.0.borrow_mut();
        server.pump();
        server.session.send_cut_text("from the server ✓");
        server.session.bell();
    }
    assert_eq!(
        client.read_message().unwrap(),
        ServerMessage::Fence {
            flags: FENCE_BLOCK_BEFORE | FENCE_SYNC_NEXT,
            payload: vec![9, 8]
        }
    );
    assert_eq!(
        client.read_message().unwrap(),
        ServerMessage::CutText("from the server ?".into())
    );
    assert_eq!(client.read_message().unwrap(), ServerMessage::Bell);
    assert_eq!(pipe.0.borrow().events[1], Event::CutText("grüße".into()));
}

#[test]
fn continuous_updates_flow_without_requests() {
    let (pipe, mut client) = connect(screen(), &[encoding::RAW, encoding::CONTINUOUS_UPDATES]);
    // The server says it supports them with an EndOfContinuousUpdates.
    assert_eq!(
        client.read_message().unwrap(),
        ServerMessage::EndOfContinuousUpdates
    );
    client
        .send(&ClientMessage::EnableContinuousUpdates {
            enable: true,
            rect: Rect::new(0, 0, 32, 24),
        })
        .unwrap();
    assert!(matches!(
        client.read_message().unwrap(),
        ServerMessage::Update(_)
    ));
    for i in 0..3 {
        pipe.0
            .borrow_mut()
            .draw(|c| c.fill_rect(Rect::new(i, i, 5, 5), Color::WHITE, Rect::new(0, 0, 99, 99)));
        let ServerMessage::Update(update) = client.read_message().unwrap() else {
            panic!("expected an update");
        };
        assert_eq!(update.rects.len(), 1);
        assert_eq!(client.canvas(), &pipe.0.borrow().screen);
    }
    client
        .send(&ClientMessage::EnableContinuousUpdates {
            enable: false,
            rect: Rect::new(0, 0, 32, 24),
        })
        .unwrap();
    assert_eq!(
        client.read_message().unwrap(),
        ServerMessage::EndOfContinuousUpdates
    );
    assert!(!pipe.0.borrow().session.wants_update());
}

#[test]
fn resizes_are_told_and_answered() {
    let encodings = [encoding::HEXTILE, encoding::EXTENDED_DESKTOP_SIZE];
    let (pipe, mut client) = connect(screen(), &encodings);
    client
        .request_update(false, Rect::new(0, 0, 32, 24))
        .unwrap();
    let ServerMessage::Update(update) = client.read_message().unwrap() else {
        panic!("expected an update");
    };
    assert_eq!(update.desktop, [(0, 0)], "the first layout, unasked");
    // The client asks for 40x30; the caller resizes.
    client
        .send(&ClientMessage::SetDesktopSize {
            width: 40,
            height: 30,
            screens: vec![crate::message::Screen {
                id: 0,
                rect: Rect::new(0, 0, 40, 30),
                flags: 0,
            }],
        })
        .unwrap();
    {
        // No request is pending: the caller handles the event before the next update.
        let mut server = pipe.0.borrow_mut();
        server.pump();
        assert_eq!(
            server.events.last(),
            Some(&Event::SetDesktopSize {
                width: 40,
                height: 30
            })
        );
        server.screen = busy_screen(Size::new(40, 30), 1);
    }
    client
        .request_update(true, Rect::new(0, 0, 32, 24))
        .unwrap();
    let ServerMessage::Update(update) = client.read_message().unwrap() else {
        panic!("expected an update");
    };
    assert_eq!(update.desktop, [(1, 0)]);
    assert_eq!(update.resized, Some(Size::new(40, 30)));
    assert_eq!(client.canvas(), &pipe.0.borrow().screen);
    // A refusal.
    client
        .send(&ClientMessage::SetDesktopSize {
            width: 10,
            height: 10,
            screens: vec![crate::message::Screen {
                id: 0,
                rect: Rect::new(0, 0, 10, 10),
                flags: 0,
            }],
        })
        .unwrap();
    // No request is pending, so the caller sees the event before any update.
    pipe.0.borrow_mut().pump();
    pipe.0
        .borrow_mut()
        .session
        .refuse_desktop_size(DesktopSizeStatus::Prohibited);
    client
        .request_update(true, Rect::new(0, 0, 40, 30))
        .unwrap();
    pipe.0
        .borrow_mut()
        .draw(|c| c.fill_rect(Rect::new(0, 0, 1, 1), Color::RED, c.bounds()));
    let ServerMessage::Update(update) = client.read_message().unwrap() else {
        panic!("expected an update");
    };
    assert_eq!(update.desktop, [(1, 1)]);
    assert_eq!(update.resized, None);
}

#[test]
fn a_resize_the_client_cannot_follow_ends_the_session() {
    let (pipe, mut client) = connect(screen(), &[encoding::RAW]);
    client
        .request_update(true, Rect::new(0, 0, 32, 24))
        .unwrap();
    pipe.0.borrow_mut().screen = Canvas::new(50, 50, Color::RED);
    assert!(client.read_message().is_err());
    assert_eq!(pipe.0.borrow().error, Some(RfbError::ResizeUnsupported));
}

#[test]
fn desktop_size_resizes_the_client() {
    let (pipe, mut client) = connect(screen(), &[encoding::ZRLE, encoding::DESKTOP_SIZE]);
    client
        .request_update(false, Rect::new(0, 0, 32, 24))
        .unwrap();
    client.read_message().unwrap();
    pipe.0.borrow_mut().screen = busy_screen(Size::new(65, 17), 3);
    client
        .request_update(true, Rect::new(0, 0, 32, 24))
        .unwrap();
    let ServerMessage::Update(update) = client.read_message().unwrap() else {
        panic!("expected an update");
    };
    assert_eq!(update.resized, Some(Size::new(65, 17)));
    assert!(update.bytes_of(encoding::DESKTOP_SIZE) > 0);
    assert_eq!(client.canvas(), &pipe.0.borrow().screen);
}

/// A server's DesktopSize beyond the client's limit is refused before anything is allocated
/// for it: at 16,384 a side, a dozen bytes made the client allocate 1 GiB (the rfb_client
/// fuzz target's memory grew to 1.3 GB).
#[test]
fn desktop_size_beyond_the_limit_is_refused() {
    let (pipe, mut client) = connect(screen(), &[encoding::ZRLE, encoding::DESKTOP_SIZE]);
    client
        .request_update(false, Rect::new(0, 0, 32, 24))
        .unwrap();
    client.read_message().unwrap();
    let side = crate::client::MAX_SIDE + 1;
    assert_eq!(side, 8193);
    pipe.0.borrow_mut().screen = Canvas::new(side, 1, Color::RED);
    client
        .request_update(true, Rect::new(0, 0, 32, 24))
        .unwrap();
    assert!(matches!(
        client.read_message(),
        Err(crate::client::ClientError::Rfb(RfbError::TooLarge(_)))
    ));
}

#[test]
fn the_cursor_is_an_arrow_sent_once() {
    let (pipe, mut client) = connect(screen(), &[encoding::RAW, encoding::CURSOR]);
    client
        .request_update(false, Rect::new(0, 0, 32, 24))
        .unwrap();
    let ServerMessage::Update(update) = client.read_message().unwrap() else {
        panic!("expected an update");
    };
    assert!(update.cursor);
    let cursor = client.cursor().unwrap().clone();
    assert_eq!(cursor.size, Size::new(12, 19));
    assert_eq!(cursor.hotspot, Point::new(0, 0));
    assert_eq!(cursor.mask[0], 0x80, "the tip");
    assert_eq!(cursor.pixels[12 * 3 + 1], 0x00ff_ffff, "white inside");
    pipe.0
        .borrow_mut()
        .draw(|c| c.fill_rect(Rect::new(0, 0, 1, 1), Color::RED, c.bounds()));
    client
        .request_update(true, Rect::new(0, 0, 32, 24))
        .unwrap();
    let ServerMessage::Update(update) = client.read_message().unwrap() else {
        panic!("expected an update");
    };
    assert!(!update.cursor);
}

#[test]
fn the_server_tells_once_that_it_understands_qemu_keys() {
    let (pipe, mut client) = connect(
        screen(),
        &[encoding::RAW, encoding::QEMU_EXTENDED_KEY_EVENT],
    );
    let all = Rect::new(0, 0, 32, 24);
    client.request_update(false, all).unwrap();
    let ServerMessage::Update(update) = client.read_message().unwrap() else {
        panic!("expected an update");
    };
    assert!(update.qemu_key, "the first update says so");
    pipe.0
        .borrow_mut()
        .draw(|c| c.fill_rect(Rect::new(0, 0, 1, 1), Color::RED, c.bounds()));
    client.request_update(true, all).unwrap();
    let ServerMessage::Update(update) = client.read_message().unwrap() else {
        panic!("expected an update");
    };
    assert!(!update.qemu_key, "and only the first");
}

#[test]
fn qemu_keys_pipelined_messages_and_an_ignored_clipboard() {
    let (pipe, mut client) = connect(
        screen(),
        &[encoding::RAW, encoding::QEMU_EXTENDED_KEY_EVENT],
    );
    // Several messages in one write, the last one split across two.
    let mut bytes = Vec::new();
    ClientMessage::QemuKeyEvent {
        down: true,
        keysym: 0x61,
        keycode: 0x1e,
    }
    .write(&mut bytes);
    ClientMessage::ExtendedClipboard {
        flags: 1 << 24,
        data: Vec::new(),
    }
    .write(&mut bytes);
    ClientMessage::PointerEvent {
        buttons: 2,
        x: 7,
        y: 8,
    }
    .write(&mut bytes);
    let (first, second) = bytes.split_at(bytes.len() - 2);
    let mut server = pipe.0.borrow_mut();
    server.session.receive(first).unwrap();
    // (Ready was taken by the pipe during the handshake.)
    assert_eq!(
        server.session.next_event(),
        Some(Event::Key {
            down: true,
            keysym: 0x61,
            keycode: Some(0x1e)
        })
    );
    assert_eq!(
        server.session.next_event(),
        None,
        "the pointer is not whole yet"
    );
    server.session.receive(second).unwrap();
    assert_eq!(
        server.session.next_event(),
        Some(Event::Pointer {
            buttons: 2,
            x: 7,
            y: 8
        })
    );
    drop(server);
    client.key(false, 0x61).unwrap();
}

#[test]
fn the_exact_bytes_of_vencrypt_x509vnc() {
    let mut s = ServerSession::new(passwords(), CHALLENGE, Size::new(300, 200), "ab").with_tls();
    assert_eq!(s.take_output(), b"RFB 003.008\n");
    s.receive(b"RFB 003.008\n").unwrap();
    assert_eq!(s.take_output(), [2, 19, 2]); // two types: VeNCrypt, VNC Authentication
    assert!(s.negotiating_security());
    s.receive(&[19]).unwrap();
    assert_eq!(s.take_output(), [0, 2]); // VeNCrypt 0.2
    s.receive(&[0, 2]).unwrap();
    // Accepted; one sub-type: X509Vnc (261).
    assert_eq!(s.take_output(), [0, 1, 0, 0, 1, 5]);
    s.receive(&261u32.to_be_bytes()).unwrap();
    assert_eq!(s.take_output(), [1]); // the sub-type is accepted: TLS next
    assert_eq!(s.next_event(), Some(Event::StartTls));
    assert!(!s.negotiating_security());
    // Inside TLS: VNC Authentication as usual.
    s.tls_started();
    assert_eq!(s.take_output(), CHALLENGE);
    s.receive(&crate::auth::vnc_response(&CHALLENGE, "secret"))
        .unwrap();
    assert_eq!(s.take_output(), [0, 0, 0, 0]);
}

#[test]
fn vencrypt_refuses_another_version_or_sub_type() {
    let start = || {
        let mut s = ServerSession::new(passwords(), CHALLENGE, Size::new(8, 8), "ab").with_tls();
        s.receive(b"RFB 003.008\n").unwrap();
        s.receive(&[19]).unwrap();
        s.take_output();
        s
    };
    let mut s = start();
    assert!(matches!(s.receive(&[0, 1]), Err(RfbError::VeNCrypt(_))));
    assert_eq!(s.take_output(), [255]);
    let mut s = start();
    s.receive(&[0, 2]).unwrap();
    s.take_output();
    // X509None (260) was not offered: nobody gets in without the password.
    assert!(matches!(
        s.receive(&260u32.to_be_bytes()),
        Err(RfbError::VeNCrypt(_))
    ));
    assert_eq!(s.take_output(), [0]);
    assert_eq!(s.next_event(), None);
    // Without TLS, VeNCrypt is not offered at all.
    let mut s = ServerSession::new(passwords(), CHALLENGE, Size::new(8, 8), "ab");
    s.receive(b"RFB 003.008\n").unwrap();
    assert_eq!(s.take_output()[..], b"RFB 003.008\n\x01\x02"[..]);
    assert_eq!(s.receive(&[19]), Err(RfbError::SecurityType(19)));
}
