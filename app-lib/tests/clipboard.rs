//! The clipboard and the primary selection (issue 14), between real applications on a
//! headless display: text and PNG images move between them, a large transfer does not hold
//! up a third client's round trips, text outlives its owner, and bad input gets an answer
//! for its sender alone.
//!
//! | input                                        | what the sender gets                    |
//! |----------------------------------------------|-----------------------------------------|
//! | a type name of 1 MB (claim or request)       | `BadValue` error                        |
//! | a chunk longer than the welcome's `max_chunk` | `BadLength` error; requester: `OwnerError` |
//! | a chunk for a transfer it was not asked for  | `BadValue` error                        |
//! | a paste of a selection nobody owns           | `SelectionFailed { NoOwner }` (empty)   |
//! | kept text longer than `max_kept_text`        | `BadLength` error                       |
//! | a requester that never reads                 | disconnected at its outbox's byte limit |

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use netui::image::{decode_png, encode_png, Rgba};
use netui::selection::{PNG, TEXT};
use netui::{Display, Error, ErrorCode, Event, Selection, SelectionFailure, Size};
use netui_protocol::connection::FrameReader;
use netui_protocol::frame::{self, decode_message, BatchWriter, Compression};
use netui_protocol::{ClientHello, HelloOutcome, Limits, Request, ServerHello};
use netui_testkit::TestDisplay;

/// The round trip that a third client keeps while 10 MB move (the bound).
const ROUND_TRIP: Duration = Duration::from_millis(100);

fn screen() -> Size {
    Size::new(320, 240)
}

/// Serves what `display` holds until it is told to stop (its events, read on its own
/// thread, as an application's loop does), then hands the display back.
fn serve(
    mut display: Display,
) -> (
    std::sync::mpsc::Sender<()>,
    std::thread::JoinHandle<Display>,
) {
    let (stop, stopped) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        while stopped.try_recv().is_err() {
            match display.wait_event_timeout(Duration::from_millis(20)) {
                Ok(_) => {}
                Err(e) => panic!("the owner's connection failed: {e}"),
            }
        }
        display
    });
    (stop, thread)
}

/// The next event that `pick` wants, within a few seconds.
fn wait_for<T>(display: &mut Display, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        if let Some(event) = display
            .wait_event_timeout(Duration::from_millis(50))
            .expect("events")
        {
            if let Some(found) = pick(&event) {
                return found;
            }
        }
    }
    panic!("the event did not come");
}

#[test]
fn text_copied_in_one_application_pastes_in_another_and_the_owner_hears_it_lost() {
    let server = TestDisplay::start(":clip-text", screen());
    let mut copier = server.connect("copier");
    let mut paster = server.connect("paster");
    copier
        .set_selection_text(Selection::Clipboard, "héllo, clipboard")
        .expect("claim");
    copier
        .set_selection_text(Selection::Primary, "selected words")
        .expect("claim");
    copier.sync().expect("the claims are good");
    let (stop, thread) = serve(copier);
    assert_eq!(
        paster.paste_text(Selection::Clipboard).expect("paste"),
        Some("héllo, clipboard".to_owned())
    );
    assert_eq!(
        paster.paste_text(Selection::Primary).expect("paste"),
        Some("selected words".to_owned())
    );
    // A type the owner does not offer is an empty answer.
    assert_eq!(
        paster.paste(Selection::Clipboard, PNG).expect("paste"),
        None
    );
    stop.send(()).expect("stop");
    let mut copier = thread.join().expect("owner thread");

    // The paster copies in turn: the copier loses the clipboard, and keeps the primary.
    paster
        .set_selection_text(Selection::Clipboard, "the paster's")
        .expect("claim");
    let lost = wait_for(&mut copier, |e| match e {
        Event::SelectionLost { selection } => Some(*selection),
        _ => None,
    });
    assert_eq!(lost, Selection::Clipboard);
    assert!(!copier.owns_selection(Selection::Clipboard));
    assert!(copier.owns_selection(Selection::Primary));
    // Its own paste reaches the other owner, and its own selection (served while it waits).
    let (stop, thread) = serve(paster);
    assert_eq!(
        copier.paste_text(Selection::Clipboard).expect("paste"),
        Some("the paster's".to_owned())
    );
    assert_eq!(
        copier
            .paste_text(Selection::Primary)
            .expect("paste of its own"),
        Some("selected words".to_owned())
    );
    stop.send(()).expect("stop");
    thread.join().expect("owner thread");
}

#[test]
fn ten_megabytes_move_while_a_third_client_keeps_its_round_trip() {
    let server = TestDisplay::start(":clip-big", screen());
    let mut copier = server.connect("copier");
    let mut paster = server.connect("paster");
    let mut third = server.connect("third");
    // 10 MB of text that compresses poorly, as a copied log with numbers would not quite.
    let mut text = String::with_capacity(10 << 20);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while text.len() < 10 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        text.push(char::from(b'a' + (x % 26) as u8));
        if x.trailing_zeros() >= 6 {
            text.push('\n');
        }
    }
    copier
        .set_selection_text(Selection::Clipboard, &text)
        .expect("claim");
    copier.sync().expect("claim is good");
    let (stop, owner) = serve(copier);
    let pasting = std::thread::spawn(move || {
        let started = Instant::now();
        let pasted = paster.paste_text(Selection::Clipboard).expect("paste");
        (pasted, started.elapsed())
    });
    let mut worst = Duration::ZERO;
    let mut trips = 0;
    while !pasting.is_finished() {
        let start = Instant::now();
        third.sync().expect("sync");
        worst = worst.max(start.elapsed());
        trips += 1;
        std::thread::sleep(Duration::from_millis(5));
    }
    let (pasted, took) = pasting.join().expect("paster");
    assert!(
        pasted.as_deref() == Some(text.as_str()),
        "the 10 MB arrived whole"
    );
    eprintln!("10 MB pasted in {took:?}; {trips} round trips meanwhile, the slowest {worst:?}");
    assert!(trips > 0);
    assert!(
        worst < ROUND_TRIP,
        "a round trip took {worst:?} during the transfer, above {ROUND_TRIP:?}"
    );
    stop.send(()).expect("stop");
    owner.join().expect("owner");
}

#[test]
fn text_still_pastes_after_its_owner_has_gone() {
    let server = TestDisplay::start(":clip-gone", screen());
    let mut copier = server.connect("copier");
    let mut watcher = server.connect("watcher");
    watcher.watch_selections().expect("watch");
    watcher.sync().expect("sync");
    copier
        .set_selection(
            Selection::Clipboard,
            vec![
                (TEXT.to_owned(), b"outlives me".to_vec()),
                (PNG.to_owned(), encode_png(2, 2, &[7; 16]).expect("encodes")),
            ],
        )
        .expect("claim");
    copier.sync().expect("sync");
    let types = wait_for(&mut watcher, |e| match e {
        Event::SelectionChanged { selection, types } if *selection == Selection::Clipboard => {
            Some(types.clone())
        }
        _ => None,
    });
    assert_eq!(types, [TEXT, PNG]);
    drop(copier);
    // The watcher hears that only the text is left.
    let types = wait_for(&mut watcher, |e| match e {
        Event::SelectionChanged { types, .. } => Some(types.clone()),
        _ => None,
    });
    assert_eq!(types, [TEXT]);
    let mut paster = server.connect("paster");
    assert_eq!(
        paster.paste_text(Selection::Clipboard).expect("paste"),
        Some("outlives me".to_owned())
    );
    // The image went with its owner: an empty answer.
    assert_eq!(
        paster.paste(Selection::Clipboard, PNG).expect("paste"),
        None
    );
    // A claim without text forgets the kept text.
    paster
        .claim_selection(Selection::Clipboard, &[PNG], None)
        .expect("claim");
    // Carried out before it leaves (what a client had queued when it left is dropped).
    paster.sync().expect("sync");
    drop(paster);
    let mut late = server.connect("late");
    assert_eq!(late.paste_text(Selection::Clipboard).expect("paste"), None);
}

#[test]
fn a_png_image_round_trips_pixel_exact() {
    let server = TestDisplay::start(":clip-png", screen());
    let (width, height) = (301, 207);
    let rgba: Vec<u8> = (0..width * height)
        .flat_map(|i| {
            let (x, y) = (i % width, i / width);
            [
                (x * 7) as u8,
                (y * 3) as u8,
                (x ^ y) as u8,
                (255 - x % 200) as u8,
            ]
        })
        .collect();
    let mut copier = server.connect("copier");
    copier
        .set_selection(
            Selection::Clipboard,
            vec![(
                PNG.to_owned(),
                encode_png(width, height, &rgba).expect("encodes"),
            )],
        )
        .expect("claim");
    copier.sync().expect("sync");
    let (stop, owner) = serve(copier);
    let mut paster = server.connect("paster");
    let bytes = paster
        .paste(Selection::Clipboard, PNG)
        .expect("paste")
        .expect("an image");
    let image = decode_png(&bytes[..]).expect("decodes");
    assert_eq!(
        image,
        Rgba {
            width,
            height,
            pixels: rgba
        }
    );
    // The clipboard has no text: an empty answer, not an error.
    assert_eq!(
        paster.paste_text(Selection::Clipboard).expect("paste"),
        None
    );
    stop.send(()).expect("stop");
    owner.join().expect("owner");
}

/// The report of the first failed request since the last sync.
fn sync_error(display: &mut Display) -> netui::ErrorCode {
    match display.sync() {
        Err(Error::Request(report)) => {
            eprintln!("{report}");
            report.code
        }
        other => panic!("expected an error report, got {other:?}"),
    }
}

#[test]
fn bad_selection_input_gets_an_answer_for_its_sender_alone() {
    let server = TestDisplay::start(":clip-bad", screen());
    let mut bystander = server.connect("bystander");
    let mut bad = server.connect("bad");
    let limits = bad.welcome().limits.selection;

    // A paste of a selection that nobody owns: an empty answer, said as such.
    assert_eq!(bad.paste_text(Selection::Clipboard).expect("paste"), None);
    let asked = bad
        .request_selection(Selection::Primary, TEXT)
        .expect("request");
    let reason = wait_for(&mut bad, |e| match e {
        Event::SelectionFailed { transfer, reason } if *transfer == asked => Some(*reason),
        _ => None,
    });
    assert_eq!(reason, SelectionFailure::NoOwner);

    // Type names of 1 MB.
    let huge = "x".repeat(1 << 20);
    bad.send(Request::ClaimSelection {
        selection: Selection::Clipboard,
        types: vec![huge.clone()],
        text: None,
    });
    assert_eq!(sync_error(&mut bad), ErrorCode::BadValue);
    bad.send(Request::RequestSelection {
        selection: Selection::Clipboard,
        mime: huge,
        transfer: 99,
    });
    assert_eq!(sync_error(&mut bad), ErrorCode::BadValue);
    // Kept text beyond the limit.
    bad.send(Request::ClaimSelection {
        selection: Selection::Clipboard,
        types: vec![TEXT.into()],
        text: Some("y".repeat(limits.max_kept_text as usize + 1)),
    });
    assert_eq!(sync_error(&mut bad), ErrorCode::BadLength);
    // A chunk for a transfer nobody asked of it.
    bad.send(Request::SendSelection {
        transfer: 12345,
        data: b"unasked".to_vec(),
        more: false,
    });
    assert_eq!(sync_error(&mut bad), ErrorCode::BadValue);

    // A chunk longer than the welcome announced: the owner gets an error, the requester
    // hears that the owner broke the rules, and the bystander notices nothing.
    bad.claim_selection(Selection::Clipboard, &[TEXT], None)
        .expect("claim");
    bad.sync().expect("a good claim");
    let asked = bystander
        .request_selection(Selection::Clipboard, TEXT)
        .expect("request");
    let transfer = wait_for(&mut bad, |e| match e {
        Event::SelectionRequest { transfer, .. } => Some(*transfer),
        _ => None,
    });
    bad.send(Request::SendSelection {
        transfer,
        data: vec![b'z'; limits.max_chunk as usize + 1],
        more: true,
    });
    assert_eq!(sync_error(&mut bad), ErrorCode::BadLength);
    let reason = wait_for(&mut bystander, |e| match e {
        Event::SelectionFailed { transfer, reason } if *transfer == asked => Some(*reason),
        _ => None,
    });
    assert_eq!(reason, SelectionFailure::OwnerError);
    // The rest of that transfer is dropped without more errors.
    bad.send(Request::SendSelection {
        transfer,
        data: b"tail".to_vec(),
        more: false,
    });
    bad.sync()
        .expect("the rest of a failed transfer is dropped quietly");

    // Everybody goes on: the bystander copies and the bad client pastes.
    bystander
        .set_selection_text(Selection::Clipboard, "still fine")
        .expect("claim");
    bystander.sync().expect("sync");
    let (stop, owner) = serve(bystander);
    assert_eq!(
        bad.paste_text(Selection::Clipboard).expect("paste"),
        Some("still fine".to_owned())
    );
    stop.send(()).expect("stop");
    owner.join().expect("owner");
}

#[test]
fn an_owner_that_never_answers_times_out_and_a_refusal_is_said() {
    let mut limits = Limits::default();
    limits.selection.timeout_ms = 300;
    let server = TestDisplay::start_with_limits(":clip-slow", screen(), limits);
    let mut silent = server.connect("silent");
    silent
        .claim_selection(Selection::Clipboard, &[TEXT, PNG], None)
        .expect("claim");
    silent.sync().expect("sync");
    let mut paster = server.connect("paster");
    let started = Instant::now();
    match paster.paste_text(Selection::Clipboard) {
        Err(Error::Selection(SelectionFailure::Timeout)) => {}
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_millis(300));
    // Now it refuses.
    let asked = paster
        .request_selection(Selection::Clipboard, PNG)
        .expect("request");
    let transfer = wait_for(&mut silent, |e| match e {
        Event::SelectionRequest { transfer, mime, .. } if mime == PNG => Some(*transfer),
        _ => None,
    });
    silent.refuse_selection(transfer).expect("refuse");
    let reason = wait_for(&mut paster, |e| match e {
        Event::SelectionFailed { transfer, reason } if *transfer == asked => Some(*reason),
        _ => None,
    });
    assert_eq!(reason, SelectionFailure::Refused);
}

/// A client that asks for the clipboard again and again and never reads a byte.
fn raw_requester(server: &TestDisplay) -> UnixStream {
    let mut stream = UnixStream::connect(server.socket()).expect("connect");
    let hello = frame::encode_single(&ClientHello::new("never-reads", None)).expect("hello");
    stream.write_all(&hello).expect("hello");
    // Its welcome is the one thing it reads.
    let mut reader = FrameReader::new(Limits::default());
    while !reader.has_frame().expect("frame") {
        let n = stream.read(reader.spare()).expect("read");
        assert!(n > 0);
        reader.filled(n);
    }
    let mut frame = reader.next_frame().expect("decodes").expect("whole");
    let body = frame.bodies.next().expect("the hello");
    let hello: ServerHello = decode_message(body).expect("decodes");
    assert!(matches!(hello.outcome, HelloOutcome::Accepted(_)));
    stream
}

#[test]
fn a_requester_that_never_reads_is_disconnected_alone() {
    let limits = Limits {
        max_outbox_bytes: 8 << 20,
        ..Limits::default()
    };
    let server = TestDisplay::start_with_limits(":clip-deaf", screen(), limits);
    let mut copier = server.connect("copier");
    let text = "0123456789abcdef".repeat(3 << 16);
    copier
        .set_selection_text(Selection::Clipboard, &text)
        .expect("claim");
    copier.sync().expect("sync");
    let (stop, owner) = serve(copier);
    let mut third = server.connect("third");
    let mut deaf = raw_requester(&server);
    let count = |third: &mut Display| third.server_info().expect("info").clients.len();
    assert_eq!(count(&mut third), 3);
    let end = Instant::now() + Duration::from_secs(20);
    let mut transfer = 0;
    while count(&mut third) == 3 {
        assert!(
            Instant::now() < end,
            "the deaf client was never disconnected"
        );
        let mut w = BatchWriter::new(Limits::default(), Compression::None);
        w.push(&Request::RequestSelection {
            selection: Selection::Clipboard,
            mime: TEXT.into(),
            transfer,
        })
        .expect("encode");
        transfer += 1;
        // Writing fails once the server has closed it.
        if deaf.write_all(&w.take_frames()).is_err() {
            break;
        }
        let start = Instant::now();
        third.sync().expect("sync");
        assert!(start.elapsed() < Duration::from_millis(250));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(count(&mut third), 2, "the owner and the third client stay");
    // The owner still serves.
    assert_eq!(
        third
            .paste_text(Selection::Clipboard)
            .expect("paste")
            .map(|t| t.len()),
        Some(text.len())
    );
    stop.send(()).expect("stop");
    owner.join().expect("owner");
}
