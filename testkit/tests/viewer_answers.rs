//! When an update reports a viewer's input: with the application's answer to it, not before.
//!
//! A real headless server, an application and a viewer on its socket. Input that only the
//! window manager sees is reported at once (by an empty update if it changes nothing); input
//! that goes to an application as events is reported with the first update after that
//! application's next batch of requests, or after a quarter of a second if it sends none. An
//! empty report repeats the last update's number, so it never waits for an acknowledgement.

use std::time::{Duration, Instant};

use netui::{Color, Display, Event, InputEvent, Key, Point, Rect, Size, Viewer, Window};
use netui_protocol::{PixelEncoding, ViewMessage, ViewMode};
use netui_testkit::TestDisplay;

/// How long an application thinks before it draws its answer in these tests.
const THINK: Duration = Duration::from_millis(120);

/// An application with one focused window (a click on it gives the focus).
fn application(server: &TestDisplay) -> (Display, Window) {
    let mut app = server.connect("app");
    let w = app
        .create_window(Rect::new(40, 40, 200, 150), "app", Color::WHITE)
        .expect("window");
    app.map(w);
    app.sync().expect("sync");
    (app, w)
}

/// Update messages (number, reported input, whether it carries anything) until `until` says
/// stop or `limit` passes; acknowledges each update.
fn updates(
    viewer: &mut Viewer,
    limit: Duration,
    mut until: impl FnMut(u64, Option<u64>, bool) -> bool,
) -> Vec<(u64, Option<u64>, bool, Instant)> {
    let end = Instant::now() + limit;
    let mut seen = Vec::new();
    // Whether the parts of the coming command-mode update carried changes.
    let mut parts = false;
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        let Some(message) = viewer.wait_view(left).expect("view") else {
            break;
        };
        let (update, input, content) = match message {
            ViewMessage::Pixels {
                update,
                input,
                rects,
                ..
            } => (update, input, !rects.is_empty()),
            ViewMessage::Scene { update, input, ops } => {
                (update, input, std::mem::take(&mut parts) || !ops.is_empty())
            }
            ViewMessage::ScenePart { ops } => {
                parts |= !ops.is_empty();
                continue;
            }
            ViewMessage::Start { .. } | ViewMessage::Costs(_) => continue,
        };
        viewer.ack_update(update).expect("ack");
        seen.push((update, input, content, Instant::now()));
        if until(update, input, content) {
            break;
        }
    }
    seen
}

/// A viewer in `mode` that has caught up (no update for 300 ms); and its last update's number.
fn attach(server: &TestDisplay, mode: ViewMode) -> (Viewer, u64) {
    let mut viewer = Viewer::from(server.connect("viewer"));
    viewer.attach_viewer(mode).expect("attach");
    let mut last = None;
    loop {
        let seen = updates(&mut viewer, Duration::from_millis(300), |_, _, _| false);
        match seen.last() {
            Some(u) => last = Some(u.0),
            None => break,
        }
    }
    (viewer, last.expect("no first update"))
}

/// Clicks the application's window (inputs 1 to 3), which gives it the focus, and lets the
/// answers settle.
fn focus(viewer: &mut Viewer) {
    viewer
        .viewer_input(1, InputEvent::PointerMoved(Point::new(100, 100)))
        .expect("input");
    for (seq, pressed) in [(2, true), (3, false)] {
        let button = netui::Button::Left;
        viewer
            .viewer_input(seq, InputEvent::Button { button, pressed })
            .expect("input");
    }
    updates(viewer, Duration::from_millis(600), |_, input, _| {
        input == Some(3)
    });
}

fn key(viewer: &mut Viewer, seq: u64) {
    let input = InputEvent::Key {
        key: Key::Character('a'),
        pressed: true,
        text: "a".into(),
    };
    viewer.viewer_input(seq, input).expect("input");
}

#[test]
fn a_key_is_reported_with_the_applications_drawing_not_before() {
    for mode in [
        ViewMode::Commands,
        ViewMode::Pixels(PixelEncoding::DeltaLz4),
    ] {
        let server = TestDisplay::start(":answers", Size::new(320, 240));
        let (mut app, w) = application(&server);
        let (mut viewer, _) = attach(&server, mode);
        focus(&mut viewer);
        while let Some(Ok(_)) = app.poll_event() {}

        let sent = Instant::now();
        key(&mut viewer, 4);
        // The application thinks, then draws its answer.
        let event = app
            .wait_event_timeout(Duration::from_secs(5))
            .expect("event");
        assert!(
            matches!(event, Some(Event::KeyPress(_))),
            "{mode:?}: the application got {event:?}"
        );
        std::thread::sleep(THINK);
        app.fill_rect(w, Rect::new(10, 10, 30, 20), Color::rgb(200, 30, 30));
        app.present(w).expect("present");

        let seen = updates(&mut viewer, Duration::from_secs(5), |_, input, _| {
            input >= Some(4)
        });
        let (_, _, content, at) = *seen
            .iter()
            .find(|u| u.1 >= Some(4))
            .unwrap_or_else(|| panic!("{mode:?}: the key was never reported: {seen:?}"));
        assert!(
            content,
            "{mode:?}: the key was reported by an update without the answer"
        );
        assert!(
            at.duration_since(sent) >= THINK,
            "{mode:?}: the key was reported {:?} after it was sent, before the answer",
            at.duration_since(sent)
        );
    }
}

#[test]
fn input_that_changes_nothing_is_reported_at_once_without_a_new_update_number() {
    let server = TestDisplay::start(":answers", Size::new(320, 240));
    let (_app, _w) = application(&server);
    let (mut viewer, number) = attach(&server, ViewMode::Pixels(PixelEncoding::Damage));
    // A pointer move over the background: the window manager's alone, it changes nothing.
    let sent = Instant::now();
    viewer
        .viewer_input(1, InputEvent::PointerMoved(Point::new(300, 220)))
        .expect("input");
    let seen = updates(&mut viewer, Duration::from_secs(5), |_, input, _| {
        input == Some(1)
    });
    let last = seen.last().expect("a report");
    assert_eq!(last.1, Some(1), "{seen:?}");
    assert!(!last.2, "the report carries pixels: {seen:?}");
    assert_eq!(
        last.0, number,
        "the report took a new update number: {seen:?}"
    );
    assert!(
        last.3.duration_since(sent) < Duration::from_millis(200),
        "the report took {:?}",
        last.3.duration_since(sent)
    );
}

#[test]
fn a_key_the_application_ignores_is_reported_after_the_wait() {
    let server = TestDisplay::start(":answers", Size::new(320, 240));
    let (_app, _w) = application(&server);
    let (mut viewer, _) = attach(&server, ViewMode::Pixels(PixelEncoding::DamageLz4));
    focus(&mut viewer);
    let sent = Instant::now();
    key(&mut viewer, 4);
    let seen = updates(&mut viewer, Duration::from_secs(5), |_, input, _| {
        input == Some(4)
    });
    let last = seen.last().expect("a report");
    assert_eq!(last.1, Some(4), "{seen:?}");
    let after = last.3.duration_since(sent);
    assert!(
        after >= Duration::from_millis(200) && after < Duration::from_secs(2),
        "reported after {after:?}"
    );
}

#[test]
fn a_drag_is_reported_with_the_window_managers_move_at_once() {
    let server = TestDisplay::start(":answers", Size::new(320, 240));
    // The application never reads its events: the pointer's motion over it must not hold
    // back the report of what the window manager did.
    let (_app, _w) = application(&server);
    let (mut viewer, _) = attach(&server, ViewMode::Pixels(PixelEncoding::DeltaLz4));
    let title = Point::new(120, 40 - 12);
    viewer
        .viewer_input(1, InputEvent::PointerMoved(title))
        .expect("input");
    let button = netui::Button::Left;
    viewer
        .viewer_input(
            2,
            InputEvent::Button {
                button,
                pressed: true,
            },
        )
        .expect("input");
    updates(&mut viewer, Duration::from_millis(600), |_, input, _| {
        input == Some(2)
    });
    for seq in 3..=8 {
        let sent = Instant::now();
        let to = Point::new(title.x + 10 * seq as i32, title.y + 5);
        viewer
            .viewer_input(seq, InputEvent::PointerMoved(to))
            .expect("input");
        let seen = updates(&mut viewer, Duration::from_secs(5), |_, input, _| {
            input >= Some(seq)
        });
        let (_, _, content, at) = *seen.last().expect("a report");
        assert!(content, "move {seq}: reported without the move: {seen:?}");
        assert!(
            at.duration_since(sent) < Duration::from_millis(200),
            "move {seq}: reported after {:?}, as if it waited for the application",
            at.duration_since(sent)
        );
    }
}
