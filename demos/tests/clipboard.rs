//! The demos' clipboard (issue 14), driven as a person would: the notepad program runs on a
//! headless display and gets injected keys and clicks (double-click a word, Ctrl+C, move,
//! Ctrl+V, middle-click, Shift+arrows, Ctrl+X, Ctrl+S); what it saves, and what another
//! application pastes, are checked.

use std::time::{Duration, Instant};

use netui::{Button, Display, Font, InputEvent, Key, Modifiers, Point, Rect, Selection, Size};
use netui_testkit::process::KillOnDrop;
use netui_testkit::TestDisplay;

const SCREEN: Size = Size::new(800, 600);

/// The notepad's window on the screen, once it is shown and focused.
fn notepad_window(tester: &mut Display) -> Rect {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        let info = tester.server_info().expect("info");
        let found = info
            .clients
            .iter()
            .flat_map(|c| &c.windows)
            .find(|w| w.title.contains("Notepad") && w.mapped && w.focused);
        if let Some(window) = found {
            return window.rect;
        }
        assert!(
            Instant::now() < end,
            "the notepad never showed a focused window"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Keyboard<'a> {
    display: &'a mut Display,
}

impl Keyboard<'_> {
    fn key(&mut self, key: Key, modifiers: Modifiers, text: &str) {
        self.display.inject(InputEvent::Modifiers(modifiers));
        for pressed in [true, false] {
            self.display.inject(InputEvent::Key {
                key,
                pressed,
                text: if pressed { text.into() } else { String::new() },
            });
        }
        self.display.inject(InputEvent::Modifiers(Modifiers::NONE));
    }

    fn ctrl(&mut self, c: char) {
        let control = char::from_u32(c as u32 - 'a' as u32 + 1).unwrap_or(c);
        self.key(Key::Character(c), Modifiers::CONTROL, &control.to_string());
    }

    fn button(&mut self, at: Point, button: Button) {
        self.display.inject(InputEvent::PointerMoved(at));
        for pressed in [true, false] {
            self.display.inject(InputEvent::Button { button, pressed });
        }
    }
}

/// Waits until `path` holds `text`.
fn wait_saved(path: &std::path::Path, text: &str) {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        let saved = std::fs::read_to_string(path).unwrap_or_default();
        if saved == text {
            return;
        }
        assert!(
            Instant::now() < end,
            "the notepad saved {saved:?}, expected {text:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn notepad_copies_and_pastes_a_double_clicked_word_and_saves_it() {
    let server = TestDisplay::numbered(71, SCREEN);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("words.txt");
    std::fs::write(&path, "alpha beta gamma").expect("write");
    let _notepad = KillOnDrop::spawn(server.command(env!("CARGO_BIN_EXE_notepad")).arg(&path));
    let mut tester = server.connect("tester");
    let rect = notepad_window(&mut tester);
    // Just right of the boundary before a character: a click there puts the cursor before
    // it (the notepad's font is the 16-pixel monospaced face, the
    // text 8 pixels from the left and 4 from the top).
    let char_width = tester.text_width(Font::Mono, 16, "M") as i32;
    let line_height = tester.line_metrics(Font::Mono, 16).line_height;
    let at = |line: i32, col: i32| {
        Point::new(
            rect.x + 8 + col * char_width + 1,
            rect.y + 4 + line * line_height + line_height / 2,
        )
    };
    let mut keys = Keyboard {
        display: &mut tester,
    };
    // Double-click "beta" (columns 6..10), copy it, go to the end of the text, paste it.
    keys.button(at(0, 7), Button::Left);
    keys.button(at(0, 7), Button::Left);
    keys.ctrl('c');
    keys.key(Key::End, Modifiers::CONTROL, "");
    keys.key(Key::Character(' '), Modifiers::NONE, " ");
    keys.ctrl('v');
    keys.ctrl('s');
    keys.display.flush().expect("flush");
    wait_saved(&path, "alpha beta gamma beta");

    // Another application pastes what the notepad copied, and its primary selection.
    let mut other = server.connect("other");
    assert_eq!(
        other.paste_text(Selection::Clipboard).expect("paste"),
        Some("beta".to_owned())
    );
    assert_eq!(
        other.paste_text(Selection::Primary).expect("paste"),
        Some("beta".to_owned())
    );

    // A middle click pastes the primary selection where it clicks; the other application
    // then copies, and Ctrl+V in the notepad pastes that.
    let mut keys = Keyboard {
        display: &mut tester,
    };
    keys.button(at(0, 0), Button::Middle);
    keys.ctrl('s');
    keys.display.flush().expect("flush");
    wait_saved(&path, "betaalpha beta gamma beta");
    let mut keys = Keyboard {
        display: &mut tester,
    };
    // Select the last word with Shift+Left four times, cut it, paste the other's text.
    keys.key(Key::End, Modifiers::CONTROL, "");
    for _ in 0..4 {
        keys.key(Key::Left, Modifiers::SHIFT, "");
    }
    keys.ctrl('x');
    keys.ctrl('s');
    keys.display.flush().expect("flush");
    wait_saved(&path, "betaalpha beta gamma ");
    let mut third = server.connect("third");
    assert_eq!(
        third.paste_text(Selection::Clipboard).expect("paste"),
        Some("beta".to_owned()),
        "Ctrl+X copied the cut word"
    );
    // The third application copies; the notepad pastes it over nothing at the end.
    third
        .set_selection_text(Selection::Clipboard, "Ω from elsewhere")
        .expect("copy");
    third.sync().expect("sync");
    let mut keys = Keyboard {
        display: &mut tester,
    };
    keys.ctrl('v');
    keys.ctrl('s');
    keys.display.flush().expect("flush");
    // The third application serves the paste while it waits here.
    let end = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&path).unwrap_or_default()
        != "betaalpha beta gamma Ω from elsewhere"
    {
        assert!(
            Instant::now() < end,
            "the paste from another application never came"
        );
        let _ = third.wait_event_timeout(Duration::from_millis(50));
    }
}

/// Ctrl+C in `window`, as the pump hands it to a demo.
fn ctrl_c(window: netui::Window) -> netui::Event {
    netui::Event::KeyPress(netui::KeyEvent {
        window: window.0,
        key: Key::Character('c'),
        modifiers: Modifiers::CONTROL,
        text: "\u{3}".into(),
    })
}

/// Reads `display`'s events on a thread of its own (so that it serves what it copied) for
/// as long as the test needs.
fn serve(mut display: Display) -> std::sync::mpsc::Sender<()> {
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        while stopped.try_recv().is_err() {
            if display
                .wait_event_timeout(Duration::from_millis(20))
                .is_err()
            {
                break;
            }
        }
    });
    stop
}

#[test]
fn imageview_copies_the_shown_image_as_png_and_files_the_selected_path() {
    use demos::pump::App;
    let server = TestDisplay::start(":demo-copy", SCREEN);
    let mut viewer_display = server.connect("imageview");
    let samples = demos::imageview::Source::samples();
    let demos::imageview::Source::Sample { bytes, .. } = samples[0].clone() else {
        panic!("a built-in sample");
    };
    let mut viewer =
        demos::imageview::Viewer::open(&mut viewer_display, samples, String::new()).expect("opens");
    let copy = ctrl_c(viewer.window());
    viewer.event(&mut viewer_display, &copy).expect("copies");
    // The claim is carried out before another client asks: two clients' requests have no
    // order between them (as in X), and a paste that overtakes the claim finds no owner.
    viewer_display.sync().expect("the claim is in");
    let _viewer = serve(viewer_display);
    let mut paster = server.connect("paster");
    let png = paster
        .paste(Selection::Clipboard, netui::selection::PNG)
        .expect("paste")
        .expect("an image");
    assert_eq!(png, bytes, "the shown image's PNG, byte for byte");

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("sub")).expect("dir");
    std::fs::write(dir.path().join("zeta.txt"), "z").expect("file");
    let mut files_display = server.connect("files");
    let mut browser =
        demos::files::Browser::open(&mut files_display, dir.path(), None).expect("opens");
    let down = netui::Event::KeyPress(netui::KeyEvent {
        window: browser.window().0,
        key: Key::End,
        modifiers: Modifiers::NONE,
        text: String::new(),
    });
    browser.event(&mut files_display, &down).expect("moves");
    let expected = browser.selected_path().expect("a selected file");
    assert!(expected.ends_with("zeta.txt"), "{expected:?}");
    let copy = ctrl_c(browser.window());
    browser.event(&mut files_display, &copy).expect("copies");
    files_display.sync().expect("the claim is in");
    let _files = serve(files_display);
    assert_eq!(
        paster.paste_text(Selection::Clipboard).expect("paste"),
        Some(expected.to_string_lossy().into_owned())
    );
}
