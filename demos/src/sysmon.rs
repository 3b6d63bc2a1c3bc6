//! The system monitor demo: CPU usage (from `/proc/stat`) and memory use (from
//! `/proc/meminfo`), sampled once a second and drawn as scrolling charts with their current
//! values.
//!
//! A sample scrolls each chart left by [`STEP`] pixels with one `copy_area` inside the window
//! and draws only the new column (background, grid, shading and one line segment), so the
//! chart costs the same few hundred bytes a second whatever its width. The program sleeps
//! between samples.

use std::collections::VecDeque;
use std::time::Instant;

use netui::{Color, Display, Font, Point, Rect, Size, Window};

use crate::pump::{self, Redraw};

mod sample;

use sample::{labels, synthetic, Proc, Sample};

/// The window's title.
pub const TITLE: &str = "System monitor";
/// The window's default size.
pub const SIZE: Size = Size::new(640, 440);
/// Pixels a chart scrolls per sample.
pub const STEP: u32 = 3;

const BACKGROUND: Color = Color::rgb(0xf4, 0xf1, 0xea);
const PLOT: Color = Color::WHITE;
const GRID: Color = Color::rgb(0xe4, 0xe0, 0xd8);
const EDGE: Color = Color::rgb(0xb8, 0xb2, 0xa4);
const TEXT: Color = Color::rgb(0x2d, 0x37, 0x48);
const CPU: Color = Color::rgb(0x3b, 0x5b, 0x98);
const MEMORY: Color = Color::rgb(0x2f, 0x85, 0x5a);
const MARGIN: i32 = 12;
/// Room left of a plot for its axis labels.
const AXIS: i32 = 40;
const HEADER: i32 = 28;
const TEXT_SIZE: u16 = 15;
const SMALL: u16 = 11;
/// A vertical grid line every this many samples.
const TICK_EVERY: u64 = 30;

/// One scrolling chart: its history of percentages and where it is drawn.
#[derive(Debug)]
struct Chart {
    title: &'static str,
    color: Color,
    /// Newest last; `None` where no reading was available.
    history: VecDeque<Option<f64>>,
    /// The plotting area.
    plot: Rect,
    /// The header row above the plot.
    header: Rect,
}

impl Chart {
    fn new(title: &'static str, color: Color) -> Chart {
        Chart {
            title,
            color,
            history: VecDeque::new(),
            plot: Rect::default(),
            header: Rect::default(),
        }
    }

    fn capacity(&self) -> usize {
        (self.plot.width / STEP) as usize + 2
    }

    /// The row of a percentage.
    fn y(&self, value: f64) -> i32 {
        let h = f64::from(self.plot.height.saturating_sub(4));
        self.plot.y + 2 + ((1.0 - value.clamp(0.0, 100.0) / 100.0) * h).round() as i32
    }

    /// Draws the column of pixels `x0+1..=x1` of the plot: background, grid, shading under
    /// the line from `(x0, a)` to `(x1, b)`, and the line.
    fn column(
        &self,
        display: &mut Display,
        w: Window,
        x0: i32,
        a: Option<f64>,
        b: Option<f64>,
        index: u64,
    ) {
        let x1 = x0 + STEP as i32;
        let bottom = self.plot.bottom() as i32;
        display.fill_rect(
            w,
            Rect::new(x0 + 1, self.plot.y, STEP, self.plot.height),
            PLOT,
        );
        let grid: Vec<Rect> = [25.0, 50.0, 75.0]
            .iter()
            .map(|&v| Rect::new(x0 + 1, self.y(v), STEP, 1))
            .collect();
        display.fill_rects(w, &grid, GRID);
        // `is_multiple_of` is younger than the workspace's rust-version (1.80).
        #[allow(clippy::manual_is_multiple_of)]
        let tick = index % TICK_EVERY == 0;
        if tick {
            display.fill_rect(w, Rect::new(x1, self.plot.y, 1, self.plot.height), GRID);
        }
        let (Some(a), Some(b)) = (a, b) else {
            return;
        };
        let (ya, yb) = (self.y(a), self.y(b));
        let shade: Vec<Rect> = (1..=STEP as i32)
            .map(|dx| {
                let y = ya + (yb - ya) * dx / STEP as i32;
                Rect::new(x0 + dx, y, 1, (bottom - y).max(0) as u32)
            })
            .collect();
        let c = self.color;
        display.fill_rects(w, &shade, Color::rgba(c.r, c.g, c.b, 48));
        display.line(w, Point::new(x0, ya), Point::new(x1, yb), 2, c);
    }
}

/// The monitor: its window, two charts and the latest reading.
struct Monitor {
    window: Window,
    size: Size,
    charts: [Chart; 2],
    latest: Sample,
    /// The header labels on screen.
    shown: [(String, String); 2],
    /// Samples taken so far.
    count: u64,
}

impl Monitor {
    fn new(window: Window, size: Size) -> Monitor {
        let mut monitor = Monitor {
            window,
            size,
            charts: [Chart::new("CPU", CPU), Chart::new("Memory", MEMORY)],
            latest: Sample::default(),
            shown: Default::default(),
            count: 0,
        };
        monitor.layout(size);
        monitor
    }

    fn layout(&mut self, size: Size) {
        self.size = size;
        let panel = ((size.height as i32 - MARGIN) / 2).max(HEADER + 8);
        for (i, chart) in self.charts.iter_mut().enumerate() {
            let top = MARGIN + i as i32 * panel;
            // The header stops short of the plot's border, so that refilling it spares that.
            chart.header = Rect::new(
                MARGIN,
                top,
                (size.width as i32 - 2 * MARGIN).max(1) as u32,
                (HEADER - 4) as u32,
            );
            let width = (size.width as i32 - AXIS - 2 * MARGIN).max(STEP as i32 * 2) as u32;
            chart.plot = Rect::new(
                MARGIN + AXIS,
                top + HEADER,
                width,
                (panel - HEADER - MARGIN).max(8) as u32,
            );
            let cap = chart.capacity();
            while chart.history.len() > cap {
                chart.history.pop_front();
            }
        }
    }

    /// Records a reading and draws it: everything when `full`, else only what changed.
    fn push(
        &mut self,
        display: &mut Display,
        sample: Sample,
        full: bool,
    ) -> Result<(), netui::Error> {
        self.latest = sample;
        self.count += 1;
        let memory = sample
            .memory
            .map(|[used, total, ..]| 100.0 * used as f64 / total.max(1) as f64);
        for (chart, value) in self.charts.iter_mut().zip([sample.cpu, memory]) {
            chart.history.push_back(value);
            if chart.history.len() > chart.capacity() {
                chart.history.pop_front();
            }
        }
        if full {
            return self.redraw(display);
        }
        let w = self.window;
        for chart in &self.charts {
            let p = chart.plot;
            let from = Rect::new(p.x + STEP as i32, p.y, p.width - STEP, p.height);
            display.copy_area(w, w, from, p.origin());
            display.set_clip(w, Some(p));
            let mut newest = chart.history.iter().rev();
            let (b, a) = (
                newest.next().copied().flatten(),
                newest.next().copied().flatten(),
            );
            chart.column(
                display,
                w,
                p.right() as i32 - 1 - STEP as i32,
                a,
                b,
                self.count - 1,
            );
            display.set_clip(w, None);
        }
        self.draw_values(display, false);
        display.present(w)
    }

    /// Draws the whole window.
    fn redraw(&mut self, display: &mut Display) -> Result<(), netui::Error> {
        let w = self.window;
        display.clear(w, None);
        let small = display.line_metrics(Font::Sans, SMALL);
        let title = display.line_metrics(Font::Sans, TEXT_SIZE);
        for chart in &self.charts {
            let p = chart.plot;
            display.stroke_rect(
                w,
                Rect::new(p.x - 1, p.y - 1, p.width + 2, p.height + 2),
                1,
                EDGE,
            );
            for (value, label) in [(100.0, "100%"), (50.0, "50%"), (0.0, "0%")] {
                let width = display.text_width(Font::Sans, SMALL, label) as i32;
                let pos = Point::new(p.x - 6 - width, chart.y(value) - small.line_height / 2);
                display.text(w, pos, Font::Sans, SMALL, TEXT, label);
            }
            display.set_clip(w, Some(p));
            display.fill_rect(w, p, PLOT);
            // The grid across the whole plot, then the history over it, oldest first, each
            // column joined to the one before it. Scrolling keeps the grid where no data is.
            let grid = [25.0, 50.0, 75.0].map(|v| Rect::new(p.x, chart.y(v), p.width, 1));
            display.fill_rects(w, &grid, GRID);
            let n = chart.history.len();
            let right = p.right() as i32 - 1;
            for (k, pair) in chart
                .history
                .iter()
                .collect::<Vec<_>>()
                .windows(2)
                .enumerate()
            {
                let age = (n - 2 - k) as i32;
                let x0 = right - STEP as i32 * (age + 1);
                let index = (self.count - 1).saturating_sub(age as u64);
                chart.column(display, w, x0, *pair[0], *pair[1], index);
            }
            display.set_clip(w, None);
            let h = chart.header;
            let y = h.y + (h.height as i32 - title.line_height) / 2;
            let pos = Point::new(h.x, y);
            display.text(w, pos, Font::Sans, TEXT_SIZE, chart.color, chart.title);
        }
        self.draw_values(display, true);
        display.present(w)
    }

    /// The current values above the charts, where they changed (everywhere when `force`).
    fn draw_values(&mut self, display: &mut Display, force: bool) {
        let w = self.window;
        let metrics = display.line_metrics(Font::Sans, TEXT_SIZE);
        let small = display.line_metrics(Font::Sans, SMALL);
        for (i, labels) in labels(&self.latest).into_iter().enumerate() {
            let (Some(chart), Some(shown)) = (self.charts.get(i), self.shown.get_mut(i)) else {
                continue;
            };
            if !force && *shown == labels {
                continue;
            }
            let h = chart.header;
            let x = h.x + display.text_width(Font::Sans, TEXT_SIZE, chart.title) as i32 + 12;
            let area = Rect::from_edges(i64::from(x), i64::from(h.y), h.right(), h.bottom());
            display.fill_rect(w, area, BACKGROUND);
            let y = h.y + (h.height as i32 - metrics.line_height) / 2;
            display.text(w, Point::new(x, y), Font::Mono, TEXT_SIZE, TEXT, &labels.0);
            let width = display.text_width(Font::Sans, SMALL, &labels.1) as i32;
            let pos = Point::new(
                h.right() as i32 - width,
                h.y + (h.height as i32 - small.line_height) / 2,
            );
            display.text(w, pos, Font::Sans, SMALL, TEXT, &labels.1);
            *shown = labels;
        }
    }
}

/// Opens the monitor and samples once a second until it is closed or Escape is pressed.
pub fn run(display: &mut Display) -> Result<(), netui::Error> {
    let window = display.create_window(
        Rect::new(100, 70, SIZE.width, SIZE.height),
        TITLE,
        BACKGROUND,
    )?;
    display.map(window);
    let mut monitor = Monitor::new(window, SIZE);
    let mut source = Proc::default();
    monitor.push(display, source.sample(), true)?;
    pump::run_redrawing(display, &mut Sampling { monitor, source })
}

/// The monitor in the pump: a sample each second.
struct Sampling {
    monitor: Monitor,
    source: Proc,
}

impl Redraw for Sampling {
    fn size(&self) -> Size {
        self.monitor.size
    }

    fn resize(&mut self, _display: &mut Display, size: Size) -> Result<(), netui::Error> {
        self.monitor.layout(size);
        Ok(())
    }

    fn redraw(&mut self, display: &mut Display) -> Result<(), netui::Error> {
        self.monitor.redraw(display)
    }

    fn next_tick(&self) -> Option<Instant> {
        Some(pump::next_second())
    }

    fn tick(&mut self, display: &mut Display) -> Result<(), netui::Error> {
        self.monitor.push(display, self.source.sample(), false)
    }
}

/// Draws `frames` frames, one synthetic sample each, without sleeping; returns the window
/// after a sync.
pub fn script(display: &mut Display, frames: u32) -> Result<Window, netui::Error> {
    let window = display.create_window(
        Rect::new(100, 70, SIZE.width, SIZE.height),
        TITLE,
        BACKGROUND,
    )?;
    display.map(window);
    let mut monitor = Monitor::new(window, SIZE);
    for i in 0..u64::from(frames) {
        monitor.push(display, synthetic(i), i == 0)?;
    }
    display.sync()?;
    Ok(window)
}
