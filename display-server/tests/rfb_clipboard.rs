//! The clipboard through the RFB endpoint (issue 14), with the project's own RFB client over
//! TCP: ServerCutText and ClientCutText in Latin-1 for a plain viewer, UTF-8 through the
//! Extended Clipboard pseudo-encoding (caps, provide, notify and request, zlib-compressed)
//! for one that lists it; a view-only viewer neither gets nor gives the clipboard; a broken
//! extended clipboard message closes that viewer alone.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use netui::{Display, Selection, Size};
use netui_rfb::client::{Client, ClientError, ServerMessage};
use netui_rfb::clipboard::{self, ExtClipboard};
use netui_rfb::encoding;
use netui_rfb::message::ClientMessage;
use netui_testkit::server::{RFB_PASSWORD, RFB_VIEW_PASSWORD};
use netui_testkit::TestDisplay;

type RfbClient = Client<TcpStream>;

fn connect(server: &TestDisplay, password: &str, encodings: &[i32]) -> RfbClient {
    let stream = TcpStream::connect(server.rfb_addr()).expect("connects to the RFB port");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    let mut client = Client::connect(stream, password, encodings).expect("the RFB handshake");
    // From now on reads wait briefly, so that a test can do other things between them.
    client
        .stream_mut()
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("a timeout");
    client
}

/// Reads server messages until `pick` takes one, for a few seconds; `app` reads its events
/// meanwhile (so that it serves what it copied).
fn read_until<T>(
    client: &mut RfbClient,
    app: &mut Display,
    pick: impl FnMut(ServerMessage) -> Option<T>,
) -> Option<T> {
    read_within(client, app, Duration::from_secs(5), pick)
}

/// [`read_until`] for at most `within`.
fn read_within<T>(
    client: &mut RfbClient,
    app: &mut Display,
    within: Duration,
    mut pick: impl FnMut(ServerMessage) -> Option<T>,
) -> Option<T> {
    let end = Instant::now() + within;
    while Instant::now() < end {
        let _ = app.wait_event_timeout(Duration::from_millis(10));
        match client.read_message() {
            Ok(message) => {
                if let Some(found) = pick(message) {
                    return Some(found);
                }
            }
            Err(ClientError::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("the server's RFB stream does not decode: {e}"),
        }
    }
    None
}

/// Waits until the application pastes `text` from the display's clipboard.
fn wait_paste(app: &mut Display, text: &str) {
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        let pasted = app.paste_text(Selection::Clipboard).expect("paste");
        if pasted.as_deref() == Some(text) {
            return;
        }
        assert!(
            Instant::now() < end,
            "the display's clipboard has {pasted:?}, not {text:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Settles the viewer's connection in the core (its watch of the selections).
fn settle(client: &mut RfbClient, app: &mut Display) {
    let _ = read_within(client, app, Duration::from_millis(300), |_| None::<()>);
    let _ = app.sync();
}

#[test]
fn a_plain_viewer_copies_and_pastes_in_latin1() {
    let server = TestDisplay::start_with_rfb(":rfb-clip-latin1", Size::new(320, 240));
    let mut app = server.connect("app");
    let mut client = connect(&server, RFB_PASSWORD, &[encoding::RAW]);
    settle(&mut client, &mut app);
    app.set_selection_text(Selection::Clipboard, "grüße, € 5")
        .expect("copy");
    let text = read_until(&mut client, &mut app, |m| match m {
        ServerMessage::CutText(text) => Some(text),
        _ => None,
    });
    // Latin-1 has ü and ß, not €.
    assert_eq!(text.as_deref(), Some("grüße, ? 5"));
    client.cut_text("café au lait").expect("cut text");
    wait_paste(&mut app, "café au lait");
}

#[test]
fn an_extended_clipboard_viewer_gets_and_gives_utf8() {
    let server = TestDisplay::start_with_rfb(":rfb-clip-ext", Size::new(320, 240));
    let mut app = server.connect("app");
    let mut client = connect(
        &server,
        RFB_PASSWORD,
        &[encoding::RAW, clipboard::EXTENDED_CLIPBOARD],
    );
    // The server answers the pseudo-encoding with its caps.
    let caps = read_until(&mut client, &mut app, |m| match m {
        ServerMessage::Clipboard(caps @ ExtClipboard::Caps { .. }) => Some(caps),
        _ => None,
    });
    let Some(ExtClipboard::Caps { flags, text_limit }) = caps else {
        panic!("no caps from the server");
    };
    assert_eq!(flags & clipboard::TEXT, clipboard::TEXT);
    assert!(flags & clipboard::PROVIDE != 0 && flags & clipboard::REQUEST != 0);
    assert!(text_limit.is_some_and(|l| l > 0));
    client
        .ext_clipboard(&clipboard::server_caps(1 << 20))
        .expect("caps");
    settle(&mut client, &mut app);

    // An application copies: the viewer gets the text in UTF-8, unasked.
    app.set_selection_text(Selection::Clipboard, "€ and 中文\nsecond line")
        .expect("copy");
    let text = read_until(&mut client, &mut app, |m| match m {
        ServerMessage::Clipboard(ExtClipboard::Provide { text }) => Some(text),
        _ => None,
    });
    assert_eq!(text, Some(Some("€ and 中文\nsecond line".to_owned())));

    // The viewer's clipboard changes: it notifies, the server requests, it provides.
    client
        .ext_clipboard(&ExtClipboard::Notify {
            formats: clipboard::TEXT,
        })
        .expect("notify");
    let asked = read_until(&mut client, &mut app, |m| match m {
        ServerMessage::Clipboard(ExtClipboard::Request { formats }) => Some(formats),
        _ => None,
    });
    assert_eq!(asked, Some(clipboard::TEXT));
    client
        .ext_clipboard(&ExtClipboard::Provide {
            text: Some("ünïcödé ✓\nfrom the viewer".into()),
        })
        .expect("provide");
    wait_paste(&mut app, "ünïcödé ✓\nfrom the viewer");

    // A peek is answered with what there is.
    client.ext_clipboard(&ExtClipboard::Peek).expect("peek");
    let notified = read_until(&mut client, &mut app, |m| match m {
        ServerMessage::Clipboard(ExtClipboard::Notify { formats }) => Some(formats),
        _ => None,
    });
    assert_eq!(notified, Some(clipboard::TEXT));
}

#[test]
fn a_view_only_viewer_has_no_clipboard_and_a_broken_message_closes_its_viewer_alone() {
    let server = TestDisplay::start_with_rfb(":rfb-clip-bad", Size::new(320, 240));
    let mut app = server.connect("app");
    app.set_selection_text(Selection::Clipboard, "the app's")
        .expect("copy");
    let mut watcher = connect(&server, RFB_VIEW_PASSWORD, &[encoding::RAW]);
    let mut good = connect(&server, RFB_PASSWORD, &[encoding::RAW]);
    settle(&mut watcher, &mut app);
    settle(&mut good, &mut app);
    watcher.cut_text("from a watcher").expect("cut text");
    // The view-only viewer's cut text changes nothing.
    let end = Instant::now() + Duration::from_millis(500);
    while Instant::now() < end {
        let _ = app.wait_event_timeout(Duration::from_millis(20));
    }
    assert_eq!(
        app.paste_text(Selection::Clipboard)
            .expect("paste")
            .as_deref(),
        Some("the app's")
    );
    // Nor does it hear what is copied.
    app.set_selection_text(Selection::Clipboard, "secret")
        .expect("copy");
    assert_eq!(
        read_within(
            &mut watcher,
            &mut app,
            Duration::from_secs(1),
            |m| match m {
                ServerMessage::CutText(text) => Some(text),
                _ => None,
            }
        ),
        None
    );

    // A provide whose zlib data is broken: that viewer goes, the other stays.
    let mut bad = connect(
        &server,
        RFB_PASSWORD,
        &[encoding::RAW, clipboard::EXTENDED_CLIPBOARD],
    );
    bad.send(&ClientMessage::ExtendedClipboard {
        flags: clipboard::PROVIDE | clipboard::TEXT,
        data: b"this is not zlib".to_vec(),
    })
    .expect("send");
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        match bad.read_message() {
            Err(ClientError::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                assert!(Instant::now() < end, "the broken viewer was not closed");
            }
            Err(_) => break,
            Ok(_) => {}
        }
    }
    good.cut_text("still works").expect("cut text");
    wait_paste(&mut app, "still works");
}
