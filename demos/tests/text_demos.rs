//! The text and list demos (notepad, files, imageview) against a real headless display:
//! each scripted session's window is compared with its golden image, the editor's and the
//! browser's state are checked directly, scrolling is shown to move pixels rather than
//! draw them again, and each program runs its script to the end.

use std::path::Path;

use demos::files::{self, Browser};
use demos::imageview::{self, picture, Source, Viewer};
use demos::notepad::{self, Notepad};
use netui::{Display, Event, Image, Key, KeyEvent, Modifiers, Point, Rect, Size, Window};
use netui_testkit::{assert_golden, TestDisplay};

const SCREEN: Size = Size::new(800, 600);

/// Runs a script on a new connection; returns the window's pixels.
fn run_script(
    server: &TestDisplay,
    script: fn(&mut Display, u32) -> Result<Window, netui::Error>,
    frames: u32,
) -> Image {
    let mut display = server.connect("text-demo-test");
    let window = script(&mut display, frames).expect("the script runs");
    display.get_image(window, None).expect("reads the window")
}

fn key(window: Window, key: Key) -> Event {
    Event::KeyPress(KeyEvent {
        window: window.0,
        key,
        modifiers: Modifiers::NONE,
        text: String::new(),
    })
}

fn expose(window: Window) -> Event {
    Event::Expose {
        window: window.0,
        area: Rect::new(0, 0, 1, 1),
    }
}

/// The payload bytes that one frame of `step` costs: handle, draw, present.
fn frame_bytes(display: &mut Display, step: impl FnOnce(&mut Display)) -> u64 {
    let before = display.stats().payload_bytes;
    step(display);
    display.stats().payload_bytes - before
}

// ---- notepad ----

#[test]
fn notepad_script_types_scrolls_and_saves() {
    let server = TestDisplay::numbered(1, SCREEN);
    let events = notepad::script_events(Window(netui::ResourceId(0)));
    let image = run_script(&server, notepad::script, 1 + events.len() as u32);
    assert_eq!(image.area.size(), notepad::SIZE);
    assert_golden!("notepad", &image);
}

#[test]
fn notepad_holds_the_typed_text_and_saves_exactly_it() {
    let server = TestDisplay::numbered(1, SCREEN);
    let mut display = server.connect("notepad-test");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notes.txt");
    let mut editor = Notepad::open(&mut display, Some(path.clone())).expect("opens");
    for event in notepad::script_events(editor.window()) {
        assert!(editor.handle(&mut display, &event));
        editor.draw(&mut display);
        display.present(editor.window()).expect("presents");
    }
    display.sync().expect("no request failed");
    assert_eq!(editor.buffer().text(), notepad::SCRIPT_TEXT);
    assert_eq!(editor.message(), "saved");
    assert!(!editor.buffer().is_modified());
    let saved = std::fs::read_to_string(&path).expect("the script saved");
    assert_eq!(saved, notepad::SCRIPT_TEXT);
    // The walk at the end of the script leaves the cursor at the end of the text.
    let lines = notepad::SCRIPT_TEXT.lines().count();
    let last = notepad::SCRIPT_TEXT.lines().last().unwrap_or_default();
    assert_eq!(editor.buffer().cursor(), (lines - 1, last.len()));

    // The save function on its own writes exactly what it is given, no newline added.
    let other = dir.path().join("other.txt");
    notepad::save(&other, "a\n\nb").expect("saves");
    assert_eq!(std::fs::read(&other).expect("reads"), b"a\n\nb");
}

#[test]
fn notepad_loads_a_file_and_will_not_save_over_one_it_cannot_read() {
    let server = TestDisplay::numbered(1, SCREEN);
    let mut display = server.connect("notepad-test");
    let dir = tempfile::tempdir().expect("tempdir");
    let text = dir.path().join("text.txt");
    std::fs::write(&text, "first\r\nsecond\n").expect("writes");
    let editor = Notepad::open(&mut display, Some(text)).expect("opens");
    assert_eq!(editor.buffer().lines(), ["first", "second", ""]);

    let binary = dir.path().join("binary.dat");
    std::fs::write(&binary, [0xff, 0xfe, 0x00]).expect("writes");
    let mut editor = Notepad::open(&mut display, Some(binary.clone())).expect("opens");
    assert!(
        editor.message().contains("is not UTF-8 text"),
        "{}",
        editor.message()
    );
    let save = Event::KeyPress(KeyEvent {
        window: editor.window().0,
        key: Key::Character('s'),
        modifiers: Modifiers::CONTROL,
        text: String::new(),
    });
    editor.handle(&mut display, &save);
    assert!(
        editor.message().starts_with("not saved"),
        "{}",
        editor.message()
    );
    assert_eq!(std::fs::read(&binary).expect("reads"), [0xff, 0xfe, 0x00]);
}

#[test]
fn notepad_scrolls_by_copying_pixels_not_by_drawing_the_page_again() {
    let server = TestDisplay::numbered(1, SCREEN);
    let mut display = server.connect("notepad-test");
    let mut editor = Notepad::open(&mut display, None).expect("opens");
    let window = editor.window();
    let mut scrolls = Vec::new();
    for event in notepad::script_events(window) {
        let top = editor.top();
        let bytes = frame_bytes(&mut display, |display| {
            editor.handle(display, &event);
            editor.draw(display);
            display.present(window).expect("presents");
        });
        if editor.top() == top + 1 {
            scrolls.push(bytes);
        }
    }
    // What drawing the whole window costs; and what it draws is what the copies made.
    let copied = display.get_image(window, None).expect("reads the window");
    let full = frame_bytes(&mut display, |display| {
        editor.handle(display, &expose(window));
        editor.draw(display);
        display.present(window).expect("presents");
    });
    let redrawn = display.get_image(window, None).expect("reads the window");
    assert!(
        copied == redrawn,
        "scrolling left other pixels than a redraw"
    );
    assert!(
        scrolls.len() >= 5,
        "the script scrolled {} times",
        scrolls.len()
    );
    for bytes in scrolls {
        assert!(
            bytes * 4 < full,
            "a scroll cost {bytes} bytes, a full redraw {full}"
        );
    }
}

// ---- files ----

#[test]
fn files_script_browses_a_long_list() {
    let server = TestDisplay::numbered(1, SCREEN);
    // Down past the bottom, two pages down, four wheel notches, three rows down: the list
    // has scrolled by copying rows, and the selection is on the seventh row.
    let image = run_script(&server, files::script, 1 + 24 + 2 + 4 + 3);
    assert_eq!(image.area.size(), files::SIZE);
    assert_golden!("files", &image);
}

/// A folder with two subfolders and three files.
fn small_tree(root: &Path) {
    std::fs::create_dir(root.join("beta")).expect("mkdir");
    std::fs::create_dir(root.join("Alpha")).expect("mkdir");
    std::fs::write(root.join("zebra.txt"), "0123456789").expect("write");
    std::fs::write(root.join("apple.md"), "").expect("write");
    std::fs::write(root.join("beta").join("inside.txt"), "x").expect("write");
    std::fs::write(root.join("Mango.rs"), vec![b'm'; 2048]).expect("write");
}

#[test]
fn files_lists_a_folder_and_opens_its_subfolders() {
    let server = TestDisplay::numbered(1, SCREEN);
    let mut display = server.connect("files-test");
    let root = tempfile::tempdir().expect("tempdir");
    small_tree(root.path());
    let mut browser = Browser::open(&mut display, root.path(), None).expect("opens");
    let window = browser.window();
    let names = |b: &Browser| -> Vec<String> {
        b.listing().entries.iter().map(|e| e.name.clone()).collect()
    };
    assert_eq!(
        names(&browser),
        ["..", "Alpha", "beta", "apple.md", "Mango.rs", "zebra.txt"]
    );
    assert_eq!(browser.listing().entries[4].size, 2048);

    // Down twice selects "beta"; Enter opens it; Backspace comes back with it selected.
    for k in [Key::Down, Key::Down, Key::Enter] {
        assert!(browser.handle(&key(window, k)));
    }
    assert_eq!(names(&browser), ["..", "inside.txt"]);
    browser.draw(&mut display);
    assert!(browser.handle(&key(window, Key::Backspace)));
    assert_eq!(browser.listing().entries[browser.selected()].name, "beta");
    browser.draw(&mut display);
    display.present(window).expect("presents");
    display.sync().expect("no request failed");
    assert!(!browser.handle(&key(window, Key::Escape)));
}

#[test]
fn files_reports_a_folder_it_cannot_open() {
    let server = TestDisplay::numbered(1, SCREEN);
    let mut display = server.connect("files-test");
    let root = tempfile::tempdir().expect("tempdir");
    let missing = root.path().join("missing");
    let mut browser = Browser::open(&mut display, &missing, None).expect("opens");
    let message = browser.message().expect("an error is shown");
    assert!(message.starts_with("cannot open"), "{message}");
    assert!(browser.listing().entries.is_empty());
    browser.draw(&mut display);
    display.present(browser.window()).expect("presents");
    display.sync().expect("no request failed");
}

#[test]
fn files_scrolls_by_copying_rows_not_by_drawing_the_list_again() {
    let server = TestDisplay::numbered(1, SCREEN);
    let mut display = server.connect("files-test");
    let root = tempfile::tempdir().expect("tempdir");
    files::make_tree(root.path()).expect("makes the tree");
    let mut browser = Browser::open(&mut display, root.path(), None).expect("opens");
    let window = browser.window();
    browser.draw(&mut display);
    display.present(window).expect("presents");
    let mut frame = |browser: &mut Browser, event: Event| {
        frame_bytes(&mut display, |display| {
            browser.handle(&event);
            browser.draw(display);
            display.present(window).expect("presents");
        })
    };
    let wheel = Event::Wheel {
        window: window.0,
        dx: 0,
        dy: 1,
        pos: Point::new(100, 100),
        modifiers: Modifiers::NONE,
    };
    let scrolled = frame(&mut browser, wheel);
    assert_eq!(browser.top(), 3);
    for k in [Key::PageDown, Key::Down, Key::Up, Key::PageUp] {
        frame(&mut browser, key(window, k));
    }
    // What drawing the whole window costs; and what it draws is what the copies made.
    let copied = display.get_image(window, None).expect("reads the window");
    let full = frame_bytes(&mut display, |display| {
        browser.handle(&expose(window));
        browser.draw(display);
        display.present(window).expect("presents");
    });
    let redrawn = display.get_image(window, None).expect("reads the window");
    assert!(
        copied == redrawn,
        "scrolling left other pixels than a redraw"
    );
    assert!(
        scrolled * 3 < full,
        "a wheel notch cost {scrolled} bytes, a full redraw {full}"
    );
}

// ---- imageview ----

#[test]
fn imageview_script_steps_through_the_samples() {
    let server = TestDisplay::numbered(1, SCREEN);
    // Right, Space, Left: the second sample.
    let image = run_script(&server, imageview::script, 4);
    assert_eq!(image.area.size(), imageview::SIZE);
    assert_golden!("imageview", &image);
}

#[test]
fn imageview_sends_each_image_in_one_request() {
    let server = TestDisplay::numbered(1, SCREEN);
    let mut display = server.connect("imageview-test");
    let mut viewer = Viewer::open(&mut display, Source::samples(), String::new()).expect("opens");
    let window = viewer.window();
    viewer.draw(&mut display);
    display.present(window).expect("presents");
    let before = display.stats().requests;
    viewer.handle(&key(window, Key::Right));
    assert!(viewer.draw(&mut display));
    display.present(window).expect("presents");
    // The image, the backdrop around it, the caption (a fill and two texts), the present.
    let requests = display.stats().requests - before;
    assert!(requests <= 6, "{requests} requests for one image");
    assert_eq!(viewer.index(), 1);
    display.sync().expect("no request failed");
}

#[test]
fn imageview_says_a_file_is_not_a_png_and_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = dir.path().join("notes.png");
    std::fs::write(&text, "just text").expect("writes");
    let err = Source::File(text.clone()).load().expect_err("not a PNG");
    assert!(matches!(err, picture::LoadError::NotPng { .. }));
    assert!(
        err.to_string().starts_with("notes.png is not a PNG image"),
        "{err}"
    );
    let missing = Source::File(dir.path().join("gone.png")).load();
    assert!(matches!(missing, Err(picture::LoadError::Read { .. })));

    // The viewer shows the sentence instead of the image, and browses on.
    let server = TestDisplay::numbered(1, SCREEN);
    let mut display = server.connect("imageview-test");
    let sources = imageview::images_in(dir.path()).expect("lists");
    assert_eq!(sources, [Source::File(text)]);
    let mut viewer = Viewer::open(&mut display, sources, String::new()).expect("opens");
    assert!(viewer.draw(&mut display));
    display.present(viewer.window()).expect("presents");
    assert!(viewer.handle(&key(viewer.window(), Key::Right)));
    display.sync().expect("no request failed");
}

#[test]
fn imageview_fits_images_with_their_aspect_ratio() {
    for (image, area) in [
        ((640, 480), (560, 412)),
        ((480, 640), (560, 412)),
        ((4000, 1000), (560, 412)),
        ((300, 200), (560, 412)),
    ] {
        let (image, area) = (Size::new(image.0, image.1), Size::new(area.0, area.1));
        let shown = picture::fit(image, area);
        assert!(shown.width <= area.width && shown.height <= area.height);
        assert!(shown.width <= image.width && shown.height <= image.height);
        // The aspect ratio is kept to within the rounding of one pixel.
        let ratio = f64::from(image.width) / f64::from(image.height);
        let w = f64::from(shown.height) * ratio;
        assert!(
            (w - f64::from(shown.width)).abs() <= ratio.max(1.0),
            "{shown:?}"
        );
        // And the image touches two sides of the area, or is shown at its own size.
        assert!(shown == image || shown.width == area.width || shown.height == area.height);
    }
}

// ---- the programs ----

#[test]
fn the_programs_run_their_scripts() {
    let server = TestDisplay::numbered(1, SCREEN);
    for (program, frames) in [
        (env!("CARGO_BIN_EXE_notepad"), "80"),
        (env!("CARGO_BIN_EXE_files"), "60"),
        (env!("CARGO_BIN_EXE_imageview"), "6"),
    ] {
        let out = server
            .command(program)
            .args(["--script", "--frames", frames])
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{program} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
