//! The viewer's network side: applies view messages to the [`View`], acknowledges them,
//! sends the user's input stamped with numbers, and keeps the [`Stats`]. It runs on its own
//! thread and waits on one channel that carries both what the server sends and what the user
//! does, so that it sleeps when nothing happens. In `auto` mode it hands every message to the
//! [`Driver`] first, which switches modes when what they cost says so.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use netui::{Display, Viewer};
use netui_protocol::{InputEvent, PixelEncoding, Rect, ViewMessage, ViewMode};

use crate::auto::{Auto, Driver};
use crate::link::LinkStats;
use crate::stats::Stats;
use crate::view::View;

/// What the network thread waits for.
#[derive(Debug)]
pub enum NetMsg {
    /// A message from the server.
    View(ViewMessage),
    /// Input from the user, to forward.
    Input(InputEvent),
    /// Switch to this mode (and leave `auto`).
    SetMode(ViewMode),
    /// Choose the mode automatically, pixels in this encoding.
    Auto(PixelEncoding),
    /// The server's side closed.
    Closed(String),
}

/// The viewer's network state.
pub struct Net {
    /// The connection, a viewer's.
    pub viewer: Viewer,
    /// The copy of the screen.
    pub view: View,
    /// The measurements.
    pub stats: Stats,
    /// The link's byte counts.
    pub link: Arc<LinkStats>,
    next_input: u64,
    /// The `auto` mode, when it chooses.
    auto: Option<Driver>,
    inbox: Receiver<NetMsg>,
    sender: Sender<NetMsg>,
}

impl Net {
    /// Attaches `display` as a viewer in `mode` and starts forwarding what it receives.
    pub fn start(
        display: Display,
        link: Arc<LinkStats>,
        mode: ViewMode,
    ) -> Result<Net, netui::Error> {
        let mut net = Net::connect(display, link)?;
        net.viewer.attach_viewer(mode)?;
        Ok(net)
    }

    /// Attaches `display` as a viewer in `auto` mode (pixels, when it chooses them, in
    /// `encoding`) and starts forwarding what it receives.
    pub fn start_auto(
        display: Display,
        link: Arc<LinkStats>,
        encoding: PixelEncoding,
    ) -> Result<Net, netui::Error> {
        let mut net = Net::connect(display, link)?;
        net.choose_auto(encoding)?;
        Ok(net)
    }

    /// The connection as a viewer, not attached yet.
    fn connect(display: Display, link: Arc<LinkStats>) -> Result<Net, netui::Error> {
        let (sender, inbox) = mpsc::channel();
        let mut viewer = Viewer::from(display);
        let views = viewer.take_views();
        let forward = sender.clone();
        std::thread::Builder::new()
            .name("netui-view".into())
            .spawn(move || {
                for view in views {
                    if forward.send(NetMsg::View(view)).is_err() {
                        return;
                    }
                }
                let _ = forward.send(NetMsg::Closed("the display closed the connection".into()));
            })
            .map_err(|e| netui::Error::Disconnected(format!("cannot start a thread: {e}")))?;
        Ok(Net {
            viewer,
            view: View::default(),
            stats: Stats::default(),
            link,
            next_input: 1,
            auto: None,
            inbox,
            sender,
        })
    }

    /// The `auto` mode's decision, when it chooses the mode.
    pub fn auto(&self) -> Option<&Auto> {
        self.auto.as_ref().map(Driver::auto)
    }

    fn choose_auto(&mut self, encoding: PixelEncoding) -> Result<(), netui::Error> {
        let down = self.link.down.load(Ordering::Relaxed);
        self.auto = Some(Driver::start(&mut self.viewer, encoding, down)?);
        Ok(())
    }

    /// A sender for input and mode switches.
    pub fn sender(&self) -> Sender<NetMsg> {
        self.sender.clone()
    }

    /// Waits up to `timeout` for the next thing to do and does it; returns the screen
    /// rectangles that changed. `Err` when the connection is gone or sent bad data.
    pub fn step(&mut self, timeout: Duration) -> Result<Vec<Rect>, String> {
        let message = match self.inbox.recv_timeout(timeout) {
            Ok(message) => message,
            Err(mpsc::RecvTimeoutError::Timeout) => return Ok(Vec::new()),
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err("the viewer stopped".into()),
        };
        match message {
            NetMsg::View(view) => {
                if let Some(driver) = &mut self.auto {
                    let down = self.link.down.load(Ordering::Relaxed);
                    driver
                        .message(&view, down, &mut self.viewer)
                        .map_err(|e| e.to_string())?;
                }
                let applied = self
                    .view
                    .apply(view)
                    .map_err(|e| format!("bad data from the display: {e}"))?;
                if let Some(update) = applied.update {
                    self.stats.update(applied.input, &applied.changed);
                    self.viewer.ack_update(update).map_err(|e| e.to_string())?;
                }
                Ok(applied.changed)
            }
            NetMsg::Input(input) => {
                let seq = self.next_input;
                self.next_input += 1;
                self.stats.input_sent(seq);
                self.viewer
                    .viewer_input(seq, input)
                    .map_err(|e| e.to_string())?;
                Ok(Vec::new())
            }
            NetMsg::SetMode(mode) => {
                if self.auto.take().is_some() {
                    self.viewer.report_costs(None).map_err(|e| e.to_string())?;
                }
                self.viewer.attach_viewer(mode).map_err(|e| e.to_string())?;
                Ok(Vec::new())
            }
            NetMsg::Auto(encoding) => {
                self.choose_auto(encoding).map_err(|e| e.to_string())?;
                Ok(Vec::new())
            }
            NetMsg::Closed(why) => Err(why),
        }
    }

    /// Follows the display for `seconds` (the headless viewer).
    pub fn run_for(&mut self, seconds: f64) -> Result<(), String> {
        let end = Instant::now() + Duration::from_secs_f64(seconds.max(0.0));
        let mut next_sample = Instant::now() + Duration::from_secs(1);
        loop {
            let now = Instant::now();
            if now >= end {
                return Ok(());
            }
            if now >= next_sample {
                self.stats.sample(&self.link);
                next_sample = now + Duration::from_secs(1);
            }
            self.step((end - now).min(next_sample - now))?;
        }
    }
}
