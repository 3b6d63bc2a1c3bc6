//! The clipboard bridge: keeps the display's clipboard and the clipboard of the machine the
//! viewer runs on the same, text and images, both ways or one way ([`ClipboardSync`]).
//!
//! It runs on a thread of its own with a connection of its own (so that the viewer's
//! updates never wait behind a paste): it watches the display's selections
//! ([`netui::Display::watch_selections`]) and, when another client claims the clipboard with
//! text (or only a PNG image), pastes it and puts it on the host's clipboard; and it looks at
//! the host's clipboard a few times a second (no platform tells a program when it changes)
//! and, when its text (or, without text, its image) changed, claims the display's clipboard
//! with it. What both sides last agreed on is kept, so that neither change comes back as an
//! echo. The host's clipboard is `arboard`'s: X11 or Wayland on Linux, and the platform's
//! own on macOS and Windows; images cross as PNG on the display's side and as pixels on the
//! host's (arboard converts them to what the platform uses).

use std::time::Duration;

use std::borrow::Cow;

use netui::image::{decode_png, encode_png, Rgba};
use netui::selection::{PNG, TEXT};
use netui::{Display, Event, Selection};

/// How often the host's clipboard is looked at.
const POLL: Duration = Duration::from_millis(250);
/// Looks at the host's text between two looks at its image (which costs a decode).
const IMAGE_EVERY: u32 = 4;

/// What the two clipboards last agreed on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Content {
    Text(String),
    Image(Rgba),
}

/// Which way the clipboard goes (`--clipboard`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ClipboardSync {
    /// Both ways.
    #[default]
    Both,
    /// From the display to this machine only.
    ToHost,
    /// From this machine to the display only.
    FromHost,
    /// Not at all.
    Off,
}

impl ClipboardSync {
    fn gives_to_host(self) -> bool {
        matches!(self, ClipboardSync::Both | ClipboardSync::ToHost)
    }

    fn takes_from_host(self) -> bool {
        matches!(self, ClipboardSync::Both | ClipboardSync::FromHost)
    }
}

/// Starts the bridge on `display` (a connection of its own), unless `sync` is off. A host
/// without a clipboard (no X11 or Wayland display) is said in the log, and the viewer goes
/// on without it.
pub fn start(display: Display, sync: ClipboardSync) -> Option<std::thread::JoinHandle<()>> {
    if sync == ClipboardSync::Off {
        return None;
    }
    let spawned = std::thread::Builder::new()
        .name("netui-clipboard".into())
        .spawn(move || {
            if let Err(e) = run(display, sync) {
                tracing::warn!("the clipboard bridge stopped: {e}");
            }
        });
    match spawned {
        Ok(thread) => Some(thread),
        Err(e) => {
            tracing::warn!("cannot start the clipboard bridge: {e}");
            None
        }
    }
}

/// Runs the bridge until the connection closes or the host's clipboard fails.
fn run(mut display: Display, sync: ClipboardSync) -> Result<(), String> {
    let mut host = arboard::Clipboard::new()
        .map_err(|e| format!("this machine's clipboard cannot be used: {e}"))?;
    display.watch_selections().map_err(|e| e.to_string())?;
    // Changes from now on are carried over, not what was there before.
    let mut agreed: Option<Content> = host_content(&mut host, true);
    tracing::info!(?sync, "clipboard bridge running");
    // Ticks until the next look at the host's image.
    let mut until_image: u32 = 0;
    loop {
        let event = display
            .wait_event_timeout(POLL)
            .map_err(|e| e.to_string())?;
        if let Some(Event::SelectionChanged {
            selection: Selection::Clipboard,
            types,
        }) = event
        {
            if sync.gives_to_host() {
                if let Some(content) = display_content(&mut display, &types) {
                    if agreed.as_ref() != Some(&content) {
                        put_on_host(&mut host, &content);
                        agreed = Some(content);
                    }
                }
            }
        }
        let images = until_image == 0;
        until_image = until_image.checked_sub(1).unwrap_or(IMAGE_EVERY - 1);
        if sync.takes_from_host() {
            let content = host_content(&mut host, images);
            match content {
                Some(content) if agreed.as_ref() != Some(&content) => {
                    claim_on_display(&mut display, &content)?;
                    agreed = Some(content);
                }
                _ => {}
            }
        }
    }
}

/// The host's text, or (when `images` and it has no text) its image.
fn host_content(host: &mut arboard::Clipboard, images: bool) -> Option<Content> {
    if let Ok(text) = host.get_text() {
        return Some(Content::Text(text));
    }
    if !images {
        return None;
    }
    let image = host.get_image().ok()?;
    Some(Content::Image(Rgba {
        width: u32::try_from(image.width).ok()?,
        height: u32::try_from(image.height).ok()?,
        pixels: image.bytes.into_owned(),
    }))
}

/// The display clipboard's text, or its PNG image decoded, as its owner offers them.
fn display_content(display: &mut Display, types: &[String]) -> Option<Content> {
    let pasted = |display: &mut Display, mime| match display.paste(Selection::Clipboard, mime) {
        Ok(content) => content,
        Err(e) => {
            tracing::warn!("cannot paste the display's clipboard: {e}");
            None
        }
    };
    if types.iter().any(|t| t == TEXT) {
        let bytes = pasted(display, TEXT)?;
        return Some(Content::Text(String::from_utf8_lossy(&bytes).into_owned()));
    }
    if types.iter().any(|t| t == PNG) {
        let bytes = pasted(display, PNG)?;
        return match decode_png(&bytes[..]) {
            Ok(image) => Some(Content::Image(image)),
            Err(e) => {
                tracing::warn!("the display's clipboard image is not a PNG: {e}");
                None
            }
        };
    }
    None
}

fn put_on_host(host: &mut arboard::Clipboard, content: &Content) {
    let done = match content {
        Content::Text(text) => host.set_text(text.clone()),
        Content::Image(image) => host.set_image(arboard::ImageData {
            width: image.width as usize,
            height: image.height as usize,
            bytes: Cow::Borrowed(&image.pixels),
        }),
    };
    if let Err(e) = done {
        tracing::warn!("cannot put the display's clipboard on this machine's: {e}");
    }
}

fn claim_on_display(display: &mut Display, content: &Content) -> Result<(), String> {
    match content {
        Content::Text(text) => display.set_selection_text(Selection::Clipboard, text),
        Content::Image(image) => {
            let png = encode_png(image.width, image.height, &image.pixels)?;
            display.set_selection(Selection::Clipboard, vec![(PNG.to_owned(), png)])
        }
    }
    .map_err(|e| e.to_string())
}
