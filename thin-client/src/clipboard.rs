//! The clipboard bridge: keeps the display's clipboard and the clipboard of the machine the
//! viewer runs on the same, as text, both ways or one way ([`ClipboardSync`]).
//!
//! It runs on a thread of its own with a connection of its own (so that the viewer's
//! updates never wait behind a paste): it watches the display's selections
//! ([`netui::Display::watch_selections`]) and, when another client claims the clipboard with
//! text, pastes it and puts it on the host's clipboard; and it looks at the host's clipboard
//! a few times a second (no platform tells a program when it changes) and, when its text
//! changed, claims the display's clipboard with it. What both sides last agreed on is kept,
//! so that neither change comes back as an echo. The host's clipboard is `arboard`'s: X11
//! or Wayland on Linux, and the platform's own on macOS and Windows.

use std::time::Duration;

use netui::{Display, Event, Selection};

/// How often the host's clipboard is looked at.
const POLL: Duration = Duration::from_millis(250);

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
    let mut agreed: Option<String> = host.get_text().ok();
    tracing::info!(?sync, "clipboard bridge running");
    loop {
        let event = display
            .wait_event_timeout(POLL)
            .map_err(|e| e.to_string())?;
        if let Some(Event::SelectionChanged {
            selection: Selection::Clipboard,
            types,
        }) = event
        {
            if sync.gives_to_host() && types.iter().any(|t| t == netui::selection::TEXT) {
                match display.paste_text(Selection::Clipboard) {
                    Ok(Some(text)) if agreed.as_ref() != Some(&text) => {
                        if let Err(e) = host.set_text(text.clone()) {
                            tracing::warn!("cannot put the display's text on this clipboard: {e}");
                        }
                        agreed = Some(text);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("cannot paste the display's clipboard: {e}"),
                }
            }
        }
        if sync.takes_from_host() {
            if let Ok(text) = host.get_text() {
                if agreed.as_ref() != Some(&text) {
                    display
                        .set_selection_text(Selection::Clipboard, &text)
                        .map_err(|e| e.to_string())?;
                    agreed = Some(text);
                }
            }
        }
    }
}
