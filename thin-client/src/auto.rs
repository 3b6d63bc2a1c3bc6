//! The `auto` mode: the viewer measures what each mode costs for what is on the screen and
//! on its link, and switches between command mode and pixels while it runs.
//!
//! # Who knows what
//! - The **server** has both the scene's changes and the rendered damage, whichever mode the
//!   viewer is in. Asked (`Request::ReportCosts`), it reports twice a second
//!   ([`ViewCosts`]): the serialized bytes of the scene's changes (what command mode carries
//!   before the connection compresses it), the encoded bytes of the pixels (those sent in
//!   pixel mode; in command mode those of an encoder of its own fed every frame's damage,
//!   whose output is only counted), the command bytes waiting for the link, and the link's
//!   rate as its flow control estimates it.
//! - The **viewer** knows its link: the bytes it really received over each report's period.
//!   In the mode in force that is the mode's true cost; dividing it by the server's figure for
//!   that mode gives the ratio that the connection's compression (and a slow link's merging)
//!   takes off, which it keeps to scale the server's figure for the other mode.
//!
//! So each mode's cost is a rate in bytes/s over the last [`WINDOW`] reports (two seconds),
//! the mode in force as received, the other as the server's figure times the ratio last
//! learned for it (1 until it has been in force).
//!
//! # When it switches
//! A switch costs a whole picture: a full screen of pixels, or a snapshot of the scene (every
//! window's pixels). Both are measured: the link's bytes from asking for a mode until its
//! picture has come (its `Start`, then a report with no more commands waiting than the link
//! delivered over its period), and the server's first report after an attach in command
//! mode, which holds its encoder's full screen.
//! The screen goes on changing meanwhile, so each measurement also holds the mode's steady
//! traffic over its time; the first full window after it tells that rate, and what the rate
//! carries in that time is taken off (a snapshot taken while a large image streams is not
//! counted as seconds of the stream). The viewer switches when
//! - **the link cannot carry command mode**: commands wait at the server for more than
//!   [`BEHIND`] of the link's rate, and pixels cost less (pixel mode merges stale damage
//!   instead of queueing it); or
//! - **the other mode is clearly cheaper**: it costs less than the mode in force divided by
//!   [`RATIO`], saves at least [`MIN_SAVING`] bytes/s, repays the switch within [`PAYBACK`],
//!   and fits the link (commands below the link's rate), in [`CONFIRM`] reports running.
//!
//! After a switch (and at the start) the window starts empty: the next decision waits for
//! [`WINDOW`] reports of the new mode after its picture has come. Together
//! with the ratio and the confirmation this keeps it from flapping around equality.
//!
//! It starts in command mode: on most workloads the benchmark measures, commands cost the
//! fewest bytes (all but the image viewer's slideshow and, on slower links, the launcher,
//! where px-tiles costs 20–30% fewer), and a viewer that joins learns the snapshot's cost at
//! once.
//!
//! [`Auto`] is the decision, fed made-up measurements in its tests; [`Driver`] feeds it from
//! a viewer's messages and link.

use std::collections::VecDeque;

use netui::Viewer;
use netui_protocol::{PixelEncoding, ViewCosts, ViewMessage, ViewMode};

/// Reports averaged for a decision (two seconds at the server's period of 0.5 s).
pub const WINDOW: usize = 4;
/// The other mode must cost less than the mode in force divided by this.
pub const RATIO: f64 = 1.25;
/// Reports running that must agree before a switch.
pub const CONFIRM: usize = 2;
/// Bytes per second a switch must save at least (below this either mode is idle).
pub const MIN_SAVING: f64 = 1024.0;
/// Seconds within which the saving must repay the switch's picture.
pub const PAYBACK: f64 = 10.0;
/// Seconds of the link's rate that may wait at the server before command mode counts as
/// more than the link can carry.
pub const BEHIND: f64 = 1.0;

/// The two modes `auto` chooses between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Command mode.
    Commands,
    /// Pixel mode, in the encoding `auto` was given.
    Pixels,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Commands => "commands",
            Kind::Pixels => "pixels",
        }
    }

    fn other(self) -> Kind {
        match self {
            Kind::Commands => Kind::Pixels,
            Kind::Pixels => Kind::Commands,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One report's period as the viewer saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sample {
    /// The server's figures.
    pub costs: ViewCosts,
    /// Bytes the link delivered to the viewer over the period.
    pub wire: u64,
    /// The period holds a switch (or the first attach): its bytes hold a whole picture.
    pub switched: bool,
}

/// A whole picture in one mode, as measured.
#[derive(Debug, Clone, Copy)]
struct Picture {
    /// Bytes, the mode's steady traffic over `millis` included until `net`.
    bytes: f64,
    /// How long the measurement took.
    millis: u64,
    /// The steady traffic has been taken off.
    net: bool,
}

/// The decision: which mode, and why.
#[derive(Debug, Clone)]
pub struct Auto {
    mode: Kind,
    window: VecDeque<Sample>,
    /// Wire bytes per byte of the server's figure, learned per mode while it was in force.
    ratio: [Option<f64>; 2],
    /// Bytes of a whole picture in each mode, as last measured.
    picture: [Option<Picture>; 2],
    /// Reports running that called for a switch.
    agree: usize,
    reason: String,
}

impl Default for Auto {
    fn default() -> Self {
        Auto {
            mode: Kind::Commands,
            window: VecDeque::new(),
            ratio: [None; 2],
            picture: [None; 2],
            agree: 0,
            reason: "commands: measuring".into(),
        }
    }
}

impl Auto {
    /// The mode in force.
    pub fn mode(&self) -> Kind {
        self.mode
    }

    /// Why it is in that mode, for the overlay: `pixels: commands cost 3.1x (42 KB/s vs
    /// 13 KB/s)`.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// A whole picture in `mode` took `bytes` on the link (or, for pixels, the server's
    /// figure for one), measured over `millis` in which the screen went on changing.
    pub fn picture(&mut self, mode: Kind, bytes: u64, millis: u64) {
        self.picture[mode.index()] = Some(Picture {
            bytes: bytes as f64,
            millis,
            net: false,
        });
    }

    /// What a switch to `mode` costs: its last measured picture, or else the other mode's
    /// (a whole screen either way).
    fn switch_cost(&self, mode: Kind) -> f64 {
        self.picture[mode.index()]
            .or(self.picture[mode.other().index()])
            .map_or(0.0, |p| p.bytes)
    }

    /// Takes each mode's steady traffic, at the full window's rates, off the pictures
    /// measured since the last switch.
    fn net_pictures(&mut self) {
        let Some((commands, pixels)) = self.rates() else {
            return;
        };
        for (picture, rate) in self.picture.iter_mut().zip([commands, pixels]) {
            if let Some(p) = picture.as_mut().filter(|p| !p.net) {
                p.bytes = (p.bytes - rate * p.millis as f64 / 1000.0).max(0.0);
                p.net = true;
            }
        }
    }

    /// Takes one report; returns the mode to switch to, if it is time.
    pub fn observe(&mut self, sample: Sample) -> Option<Kind> {
        if sample.switched {
            // A whole picture is in it: it tells nothing about the steady cost.
            self.window.clear();
            self.agree = 0;
            return None;
        }
        self.learn(&sample);
        self.window.push_back(sample);
        while self.window.len() > WINDOW {
            self.window.pop_front();
        }
        if self.window.len() < WINDOW {
            return None;
        }
        self.net_pictures();
        let target = self.mode.other();
        // The window says switch, and so does the newest report on its own: a spike that
        // the window still holds does not confirm itself.
        let newest = self
            .rates_of(self.window.back())
            .map(|(commands, pixels)| match self.mode {
                Kind::Commands => pixels < commands,
                Kind::Pixels => commands < pixels,
            });
        match self.verdict().filter(|_| newest == Some(true)) {
            Some(reason) => {
                self.agree += 1;
                if self.agree >= CONFIRM {
                    self.reason = reason;
                    self.mode = target;
                    self.window.clear();
                    self.agree = 0;
                    return Some(target);
                }
            }
            None => self.agree = 0,
        }
        None
    }

    /// Learns the mode in force's ratio of wire bytes to the server's figure, from a period
    /// where the link kept up (else the wire shows the link, not the mode).
    fn learn(&mut self, s: &Sample) {
        let figure = match self.mode {
            Kind::Commands => s.costs.commands,
            Kind::Pixels => s.costs.pixels,
        };
        let behind = s.costs.link_rate > 0 && s.costs.waiting > s.costs.link_rate;
        if figure < 256 || behind {
            return;
        }
        let ratio = (s.wire as f64 / figure as f64).clamp(0.01, 4.0);
        let slot = &mut self.ratio[self.mode.index()];
        *slot = Some(slot.map_or(ratio, |r| 0.5 * r + 0.5 * ratio));
    }

    /// Each mode's cost over the window, bytes/s (commands, pixels).
    pub fn rates(&self) -> Option<(f64, f64)> {
        self.rates_of(&self.window)
    }

    /// Each mode's cost over `samples`, bytes/s: the other mode as the server's figure times
    /// its ratio; the mode in force as received, or as its figure times its ratio where
    /// that is more (a link that falls behind shows its own rate, not the mode's).
    fn rates_of<'a>(&self, samples: impl IntoIterator<Item = &'a Sample>) -> Option<(f64, f64)> {
        let (mut millis, mut wire, mut commands, mut pixels) = (0u64, 0u64, 0u64, 0u64);
        for s in samples {
            millis += u64::from(s.costs.millis);
            wire += s.wire;
            commands += s.costs.commands;
            pixels += s.costs.pixels;
        }
        let seconds = millis as f64 / 1000.0;
        if seconds <= 0.0 {
            return None;
        }
        let commands = commands as f64 * self.ratio[0].unwrap_or(1.0) / seconds;
        let pixels = pixels as f64 * self.ratio[1].unwrap_or(1.0) / seconds;
        let wire = wire as f64 / seconds;
        Some(match self.mode {
            Kind::Commands => (commands.max(wire), pixels),
            Kind::Pixels => (commands, pixels.max(wire)),
        })
    }

    /// Why to switch now, or `None` (and the reason to stay, kept for the overlay).
    fn verdict(&mut self) -> Option<String> {
        let (commands, pixels) = self.rates()?;
        let (current, other) = match self.mode {
            Kind::Commands => (commands, pixels),
            Kind::Pixels => (pixels, commands),
        };
        let (here, there) = (self.mode.name(), self.mode.other().name());
        let last = self.window.back().copied().unwrap_or_default().costs;
        let link = last.link_rate as f64;
        // Command mode queues what the link cannot carry; pixel mode merges it.
        if self.mode == Kind::Commands
            && link > 0.0
            && last.waiting as f64 > link * BEHIND
            && pixels < commands
        {
            return Some(format!(
                "pixels: link carries {}/s, commands need {}/s",
                kb(link),
                kb(commands)
            ));
        }
        let saving = current - other;
        let cost = self.switch_cost(self.mode.other());
        let fits = self.mode == Kind::Commands || link <= 0.0 || other < link;
        let times = current / other.max(1.0);
        self.reason = if current < MIN_SAVING {
            format!("{here}: little to send ({}/s)", kb(current))
        } else if other * RATIO >= current {
            format!(
                "{here}: {there} would cost {:.1}x ({}/s vs {}/s)",
                other / current.max(1.0),
                kb(other),
                kb(current)
            )
        } else if saving < MIN_SAVING || saving * PAYBACK < cost {
            format!(
                "{here}: {there} save {}/s, not worth a {} switch",
                kb(saving),
                kb(cost)
            )
        } else if !fits {
            format!(
                "{here}: {there} need {}/s, link carries {}/s",
                kb(other),
                kb(link)
            )
        } else {
            return Some(format!(
                "{there}: {here} cost {times:.1}x ({}/s vs {}/s)",
                kb(current),
                kb(other)
            ));
        };
        None
    }
}

/// Bytes in a few characters: `850 B`, `13.2 KB`, `4.1 MB`.
fn kb(bytes: f64) -> String {
    if bytes >= 1024.0 * 1024.0 {
        format!("{:.1} MB", bytes / (1024.0 * 1024.0))
    } else if bytes >= 1024.0 {
        format!("{:.1} KB", bytes / 1024.0)
    } else {
        format!("{bytes:.0} B")
    }
}

/// Reports after which a switch's picture counts as arrived even if commands still wait (a
/// link that cannot carry them would otherwise hold every decision back).
const MAX_SETTLE: u32 = 20;

/// Drives an [`Auto`] from a viewer's messages: attaches in command mode and asks for the
/// server's reports, measures each report's period on the link and each switch's picture,
/// and switches when the decision says.
#[derive(Debug)]
pub struct Driver {
    auto: Auto,
    encoding: PixelEncoding,
    /// Link bytes down at the last report.
    last_down: u64,
    /// Link bytes down when the mode in force was asked for, until its whole picture has
    /// arrived (its `Start` came, and then a report with no more commands waiting than the
    /// link delivered).
    asked_at: Option<u64>,
    /// Milliseconds of the reports since the mode in force was asked for, until its picture
    /// has arrived.
    asked_millis: u64,
    /// The mode in force's `Start` has come since it was asked for.
    started: bool,
    /// Reports since that `Start`.
    settling: u32,
}

impl Driver {
    /// Attaches `viewer` in command mode and asks for reports with pixels in `encoding`.
    /// `down` is the link's count of bytes received so far.
    pub fn start(
        viewer: &mut Viewer,
        encoding: PixelEncoding,
        down: u64,
    ) -> Result<Driver, netui::Error> {
        viewer.attach_viewer(ViewMode::Commands)?;
        viewer.report_costs(Some(encoding))?;
        Ok(Driver {
            auto: Auto::default(),
            encoding,
            last_down: down,
            asked_at: Some(down),
            asked_millis: 0,
            started: false,
            settling: 0,
        })
    }

    /// The decision.
    pub fn auto(&self) -> &Auto {
        &self.auto
    }

    /// The mode `auto` is in, as the viewer attaches.
    pub fn mode(&self) -> ViewMode {
        match self.auto.mode() {
            Kind::Commands => ViewMode::Commands,
            Kind::Pixels => ViewMode::Pixels(self.encoding),
        }
    }

    /// Looks at a message from the server before it is applied, the link having delivered
    /// `down` bytes so far; switches `viewer`'s mode when it is time.
    pub fn message(
        &mut self,
        message: &ViewMessage,
        down: u64,
        viewer: &mut Viewer,
    ) -> Result<(), netui::Error> {
        match message {
            ViewMessage::Start { .. } => self.started = self.asked_at.is_some(),
            ViewMessage::Scene { .. }
            | ViewMessage::ScenePart { .. }
            | ViewMessage::Pixels { .. } => {}
            ViewMessage::Costs(costs) => {
                let sample = Sample {
                    costs: *costs,
                    wire: down.saturating_sub(self.last_down),
                    // From the switch until its whole picture has come.
                    switched: self.asked_at.is_some(),
                };
                self.last_down = down;
                self.settle(costs, down, sample.wire);
                if self.auto.observe(sample).is_some() {
                    let mode = self.mode();
                    tracing::info!(?mode, reason = self.auto.reason(), "auto switches");
                    self.asked_at = Some(down);
                    self.asked_millis = 0;
                    self.started = false;
                    self.settling = 0;
                    viewer.attach_viewer(mode)?;
                }
            }
        }
        Ok(())
    }

    /// After a switch: the first report after the `Start` holds, in command mode, the
    /// server's full screen of pixels (what a switch back would cost); the picture of the
    /// mode in force has come once the commands that wait are no more than the link delivered
    /// over the report's period (a snapshot may take many updates; what waits then is the
    /// screen's own steady drawing, which a busy screen never stops queueing), `wire`.
    fn settle(&mut self, costs: &ViewCosts, down: u64, wire: u64) {
        let Some(asked) = self.asked_at else {
            return;
        };
        self.asked_millis += u64::from(costs.millis);
        if !self.started {
            return;
        }
        self.settling += 1;
        if self.settling == 1 && self.auto.mode() == Kind::Commands {
            self.auto
                .picture(Kind::Pixels, costs.pixels, u64::from(costs.millis));
        }
        if costs.waiting <= wire || self.settling >= MAX_SETTLE {
            self.auto.picture(
                self.auto.mode(),
                down.saturating_sub(asked),
                self.asked_millis,
            );
            self.asked_at = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report of `millis` = 500 with these figures, the wire as given.
    fn sample(commands: u64, pixels: u64, wire: u64) -> Sample {
        Sample {
            costs: ViewCosts {
                millis: 500,
                commands,
                pixels,
                waiting: 0,
                link_rate: 0,
            },
            wire,
            switched: false,
        }
    }

    /// Feeds `n` reports; returns the first switch.
    fn feed(auto: &mut Auto, n: usize, s: Sample) -> Option<Kind> {
        (0..n).find_map(|_| auto.observe(s))
    }

    #[test]
    fn it_switches_to_pixels_when_commands_cost_clearly_more() {
        let mut auto = Auto::default();
        // Commands: 40 KB a period as the server counts them, 30 KB on the wire (lz4);
        // pixels 5 KB a period.
        let switched = feed(&mut auto, 10, sample(40_000, 5_000, 30_000));
        assert_eq!(switched, Some(Kind::Pixels));
        assert_eq!(auto.mode(), Kind::Pixels);
        assert!(
            auto.reason().starts_with("pixels: commands cost 6.0x"),
            "{}",
            auto.reason()
        );
    }

    #[test]
    fn it_waits_for_a_full_window_and_a_confirmation() {
        let mut auto = Auto::default();
        let s = sample(40_000, 5_000, 30_000);
        for _ in 0..WINDOW + CONFIRM - 2 {
            assert_eq!(auto.observe(s), None);
        }
        assert_eq!(auto.observe(s), Some(Kind::Pixels));
    }

    #[test]
    fn it_switches_back_to_commands_with_the_ratio_it_learned() {
        let mut auto = Auto::default();
        // Learned in command mode: the wire carries half the server's figure.
        feed(&mut auto, 10, sample(40_000, 5_000, 20_000));
        assert_eq!(auto.mode(), Kind::Pixels);
        // Now the screen changes: commands 8 KB a period (4 KB on the wire), pixels 30 KB.
        assert_eq!(
            feed(&mut auto, 10, sample(8_000, 30_000, 30_000)),
            Some(Kind::Commands)
        );
        assert!(
            auto.reason().starts_with("commands: pixels cost 7.5x"),
            "{}",
            auto.reason()
        );
    }

    #[test]
    fn it_does_not_flap_around_equality() {
        let mut auto = Auto::default();
        // The two modes within 20% of each other, alternating which is cheaper.
        for i in 0..100 {
            let s = if i % 2 == 0 {
                sample(20_000, 17_000, 20_000)
            } else {
                sample(20_000, 23_000, 20_000)
            };
            assert_eq!(auto.observe(s), None, "report {i}: {}", auto.reason());
        }
        assert!(auto.reason().contains("would cost"), "{}", auto.reason());
    }

    #[test]
    fn a_spike_does_not_switch_it() {
        let mut auto = Auto::default();
        let calm = sample(10_000, 20_000, 10_000);
        feed(&mut auto, 10, calm);
        // One report where pixels look far cheaper, then calm again.
        assert_eq!(auto.observe(sample(200_000, 1_000, 200_000)), None);
        assert_eq!(feed(&mut auto, 10, calm), None);
        assert_eq!(auto.mode(), Kind::Commands);
    }

    #[test]
    fn an_idle_screen_stays_where_it_is() {
        let mut auto = Auto::default();
        // 400 B/s of commands against 10 B/s of pixels: 40x, but nothing worth a switch.
        assert_eq!(feed(&mut auto, 20, sample(200, 5, 200)), None);
        assert!(
            auto.reason().contains("little to send"),
            "{}",
            auto.reason()
        );
    }

    #[test]
    fn a_switch_must_repay_its_picture() {
        let mut auto = Auto::default();
        // A full screen of pixels costs 2 MB; pixels would save 4 KB/s: 500 s to repay.
        auto.picture(Kind::Pixels, 2_000_000, 0);
        assert_eq!(feed(&mut auto, 20, sample(4_000, 2_000, 4_000)), None);
        assert!(auto.reason().contains("not worth"), "{}", auto.reason());
        // Saving 400 KB/s repays it in 5 s.
        assert_eq!(
            feed(&mut auto, 20, sample(400_000, 2_000, 400_000)),
            Some(Kind::Pixels)
        );
    }

    #[test]
    fn a_picture_measured_while_the_screen_streams_costs_only_what_the_stream_did_not() {
        let mut auto = Auto::default();
        // The snapshot at the attach took 2.6 MB over 1.5 s while commands streamed a
        // large image at 1.6 MB/s: 2.4 MB of it were the stream, 200 KB the picture.
        auto.picture(Kind::Commands, 2_600_000, 1_500);
        assert_eq!(
            feed(&mut auto, 10, sample(800_000, 50_000, 800_000)),
            Some(Kind::Pixels)
        );
        // Then text: commands 20 KB/s, pixels 160 KB/s. Saving 140 KB/s repays 200 KB at
        // once, and would not repay the 2.6 MB as measured in ten seconds.
        assert_eq!(
            feed(&mut auto, 20, sample(10_000, 80_000, 80_000)),
            Some(Kind::Commands),
            "{}",
            auto.reason()
        );
    }

    #[test]
    fn a_link_that_cannot_carry_commands_makes_it_pixels() {
        let mut auto = Auto::default();
        // Commands a little dearer than pixels (not 1.25x), but 100 KB wait for a link of
        // 7 KB/s: the link cannot carry them, and pixel mode merges instead of queueing.
        let mut s = sample(11_000, 10_000, 3_500);
        s.costs.waiting = 100_000;
        s.costs.link_rate = 7_000;
        assert_eq!(feed(&mut auto, 10, s), Some(Kind::Pixels));
        assert!(
            auto.reason().starts_with("pixels: link carries"),
            "{}",
            auto.reason()
        );
    }

    #[test]
    fn it_does_not_switch_to_commands_the_link_cannot_carry() {
        let mut auto = Auto::default();
        feed(&mut auto, 10, sample(40_000, 5_000, 40_000));
        assert_eq!(auto.mode(), Kind::Pixels);
        // Commands would be cheaper (20 KB/s against 60), but the link carries 8 KB/s.
        let mut s = sample(10_000, 30_000, 30_000);
        s.costs.link_rate = 8_000;
        assert_eq!(feed(&mut auto, 20, s), None);
        assert!(auto.reason().contains("link carries"), "{}", auto.reason());
    }

    #[test]
    fn a_period_with_a_switch_in_it_is_left_out() {
        let mut auto = Auto::default();
        let s = sample(40_000, 5_000, 30_000);
        feed(&mut auto, WINDOW - 1, s);
        // The snapshot's period: whatever it holds, the window starts again after it.
        let mut switch = sample(0, 0, 5_000_000);
        switch.switched = true;
        assert_eq!(auto.observe(switch), None);
        for _ in 0..WINDOW + CONFIRM - 2 {
            assert_eq!(auto.observe(s), None);
        }
        assert_eq!(auto.observe(s), Some(Kind::Pixels));
    }
}
