//! `drawbench`: end-to-end drawing throughput, the netui counterpart of x11perf.
//!
//! It starts a headless 1280x800 server in this process on a Unix socket in a temporary
//! directory, connects a client through app-lib, maps a 600x600 window and times x11perf's
//! common tests through the whole path: app-lib batching and compression, the socket, the
//! server's decoding, the renderer and compositing. Like x11perf, each test first calibrates
//! (doubling the objects until a synced run takes a tenth of `--seconds`), then times the
//! number of objects that should take `--seconds` and ends with [`netui::Display::sync`], so
//! that the time counts the server's work too. Like x11perf, which leaves its requests to
//! Xlib's buffer, it does not flush before the sync: app-lib sends as its buffer fills
//! (`--batch N` flushes every N objects instead). A call draws as many objects as x11perf's
//! does: 1000 small rectangles, segments or lines (x11perf's `POLY`), 36 rectangles of
//! 100x100, one of anything else. Rectangles, segments, lines and copies are x11perf's own,
//! in its places ([`netui_bench::x11perf`]): the same pixels and the same memory touched.
//!
//! - `rect1`, `rect10`, `rect100`, `rect500`: filled rectangles of that side, one color, in
//!   `fill_rects` calls (x11perf's `XFillRectangles`).
//! - `seg10`, `seg100`, `seg500`: one-pixel segments of that length at every slope, in
//!   `segments` calls (`XDrawSegments`).
//! - `line10`: a one-pixel polyline of ten-pixel lines at every slope, 1000 lines a
//!   `polyline` call (`XDrawLines`).
//! - `ftext`: one 80-character line of 12 px Sans per call (also counted in characters, the
//!   unit x11perf reports); `aa10text` and `aa24text`: 80 characters at 10 px and 30 at 24
//!   px, against x11perf's antialiased text of those sizes. netui's text is always
//!   antialiased.
//! - `putimage100`, `putimage500`: Rgb8 images of that side, noisy so that LZ4 cannot shrink
//!   them.
//! - `copywinwin100`, `copywinwin500`: copies of that side within the window, back and forth
//!   in every direction of overlap.
//!
//! The timed run also gives the bytes that each call costs, before LZ4 (payload) and on the
//! wire (after LZ4, with frame headers). With `--xvfb` drawbench also starts Xvfb and runs
//! x11perf's matching test against it right after each of its own (so that the two are
//! measured within seconds of each other: this machine's speed drifts from minute to
//! minute), and prints both side by side. With `--tls-vs-tcp` it
//! runs the tests over loopback TCP instead of the socket, once in plain TCP and once in TLS
//! 1.3, and prints both beside the round trip of a `sync` in each (what TLS costs).
//!
//! ```text
//! cargo run --release -p netui-bench --bin drawbench -- --xvfb
//! cargo run --release -p netui-bench --bin drawbench -- --tls-vs-tcp
//! ```

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Parser, ValueEnum};
use netui::{Color, Display, Font, ImageFormat, Point, Rect, Segment, Size, Window};
use netui_bench::session::{Headless, Transport};
use netui_bench::x11perf;

/// Measures netui's drawing throughput end to end, optionally against Xvfb with x11perf.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Seconds to run each test (x11perf gets the same, rounded up, per repetition).
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
    /// Objects drawn between two explicit flushes. By default there are none: app-lib sends
    /// its requests as its buffer fills, as x11perf leaves it to Xlib's buffer.
    #[arg(long)]
    batch: Option<u32>,
    /// Also run x11perf against Xvfb (needs the xvfb and x11-apps packages).
    #[arg(long)]
    xvfb: bool,
    /// Run over loopback TCP, in plain TCP and in TLS, and compare the two (with the round
    /// trip of a sync in each).
    #[arg(long, conflicts_with = "xvfb")]
    tls_vs_tcp: bool,
    /// x11perf repetitions per test; their average is compared.
    #[arg(long, default_value_t = 2)]
    repeat: u32,
    /// Tests to run (all by default).
    #[arg(value_enum)]
    tests: Vec<Test>,
}

/// The x11perf tests that drawbench reproduces, named as x11perf names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
enum Test {
    Rect1,
    Rect10,
    Rect100,
    Rect500,
    Seg10,
    Seg100,
    Seg500,
    Line10,
    Ftext,
    Aa10text,
    Aa24text,
    Putimage100,
    Putimage500,
    Copywinwin100,
    Copywinwin500,
}

/// Characters in one `ftext` (and `aa10text`) line, as in x11perf.
const TEXT_LEN: usize = 80;
/// Characters in one `aa24text` line, as in x11perf.
const AA24_LEN: usize = 30;
const SCREEN: Size = Size::new(1280, 800);
/// The window: x11perf's, whose objects ([`x11perf`]) fit it.
const WINDOW_SIDE: i32 = x11perf::WIDTH;
/// x11perf's label for antialiased text, compared with `ftext` too.
const AA_TEXT_LABEL: &str = "Char in 80-char aa line (Courier 12)";

impl Test {
    /// The name, as on drawbench's command line and x11perf's (`-rect10`).
    fn name(self) -> String {
        format!("{self:?}").to_lowercase()
    }

    /// How many objects x11perf draws in one call (one `XFillRectangles`, `XDrawSegments` or
    /// `XDrawLines`): its `POLY` (1000) for small rectangles and every segment and line test,
    /// 36 100x100 rectangles, one of anything else. drawbench's calls draw as many.
    fn per_call(self) -> u32 {
        match self {
            Test::Rect1
            | Test::Rect10
            | Test::Seg10
            | Test::Seg100
            | Test::Seg500
            | Test::Line10 => 1000,
            Test::Rect100 => 36,
            _ => 1,
        }
    }

    /// What one object draws; the label that ends x11perf's result line; x11perf's units per
    /// call (`ftext` reports characters, and a call draws a line of 80); and the operation's
    /// bytes in the X11 protocol: 8 per rectangle or segment of a batched request, PolyText8
    /// with one 80-character item (16 + 2 + 80, padded to 4), PutImage's 24-byte header and 4
    /// bytes a pixel at depth 24, CopyArea's 28.
    fn info(self) -> (&'static str, &'static str, f64, u32) {
        match self {
            Test::Rect1 => ("rect", "1x1 rectangle", 1.0, 8),
            Test::Rect10 => ("rect", "10x10 rectangle", 1.0, 8),
            Test::Rect100 => ("rect", "100x100 rectangle", 1.0, 8),
            Test::Rect500 => ("rect", "500x500 rectangle", 1.0, 8),
            Test::Seg10 => ("segment", "10-pixel line segment", 1.0, 8),
            Test::Seg100 => ("segment", "100-pixel line segment", 1.0, 8),
            Test::Seg500 => ("segment", "500-pixel line segment", 1.0, 8),
            // PolyLine's points, 4 bytes each.
            Test::Line10 => ("line", "10-pixel line", 1.0, 4),
            Test::Ftext => ("80-char line", "Char in 80-char line (6x13)", 80.0, 100),
            // RENDER's CompositeGlyphs8: a 28-byte header, an 8-byte glyph item header and a
            // byte a glyph, padded to 4.
            Test::Aa10text => (
                "80-char line",
                "Char in 80-char aa line (Charter 10)",
                80.0,
                28 + 8 + 80,
            ),
            Test::Aa24text => (
                "30-char line",
                "Char in 30-char aa line (Charter 24)",
                30.0,
                28 + 8 + 32,
            ),
            Test::Putimage100 => ("image", "PutImage 100x100 square", 1.0, 24 + 40_000),
            Test::Putimage500 => ("image", "PutImage 500x500 square", 1.0, 28 + 1_000_000),
            Test::Copywinwin100 => ("copy", "Copy 100x100 from window to window", 1.0, 28),
            Test::Copywinwin500 => ("copy", "Copy 500x500 from window to window", 1.0, 28),
        }
    }
}

/// What the drawing calls draw: prepared once, so that the timed loop only issues calls.
struct Scene {
    window: Window,
    /// The rectangles of each rectangle test, and the segments of each segment test: one
    /// call's, drawn again at every call as x11perf does.
    rects: HashMap<Test, Vec<Rect>>,
    segments: HashMap<Test, Vec<Segment>>,
    /// The points of `line10`'s polyline: one call's lines and one point more.
    line_points: Vec<Point>,
    /// The copies of each copy test (the source, and where it goes), taken in turn.
    copies: HashMap<Test, Vec<(Rect, Point)>>,
    lines: Vec<String>,
    images: Vec<Vec<u8>>,
    big_images: Vec<Vec<u8>>,
}

impl Scene {
    fn new(window: Window) -> Self {
        // Words drawn at random into many different lines: text that LZ4 compresses as it
        // compresses prose, not as it would one line repeated.
        const WORDS: [&str; 24] = [
            "the", "window", "of", "server", "draws", "a", "line", "and", "client", "text",
            "pixels", "to", "frame", "is", "batch", "in", "glyph", "with", "network", "display",
            "for", "each", "request", "screen",
        ];
        let mut seed = 0x2545_f491_u32;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let lines = (0..1024)
            .map(|_| {
                let mut line = String::with_capacity(TEXT_LEN + 16);
                while line.len() < TEXT_LEN {
                    line.push_str(WORDS[next() as usize % WORDS.len()]);
                    line.push(' ');
                }
                line.truncate(TEXT_LEN);
                line
            })
            .collect();
        // Four different images of each size, each larger than half of LZ4's 64 KiB window,
        // so that a batch cannot compress one image against an earlier copy of itself.
        let mut noisy = |side: u32, k: u32| {
            let mut data = Vec::with_capacity((side * side * 3) as usize);
            for y in 0..side {
                for x in 0..side {
                    let n = next().to_le_bytes();
                    data.extend_from_slice(&[
                        (x * 2 + k * 40) as u8 ^ n[0],
                        (y * 2) as u8 ^ n[1],
                        (x + y) as u8 ^ n[2],
                    ]);
                }
            }
            data
        };
        let images = (0..4).map(|k| noisy(100, k)).collect();
        let big_images = (0..4).map(|k| noisy(500, k)).collect();
        let rects = [
            (Test::Rect1, 1),
            (Test::Rect10, 10),
            (Test::Rect100, 100),
            (Test::Rect500, 500),
        ]
        .map(|(t, side)| (t, x11perf::rectangles(side, t.per_call() as usize)))
        .into();
        let segments = [(Test::Seg10, 10), (Test::Seg100, 100), (Test::Seg500, 500)]
            .map(|(t, len)| (t, x11perf::segments(len, t.per_call() as usize)))
            .into();
        let line_points = x11perf::lines(10, Test::Line10.per_call() as usize);
        // x11perf's places go round the window in a few thousand copies.
        let copies = [(Test::Copywinwin100, 100), (Test::Copywinwin500, 500)]
            .map(|(t, side)| {
                let copies = x11perf::copies(side, 6_000).into_iter();
                let square = |p: Point| Rect::new(p.x, p.y, side as u32, side as u32);
                (t, copies.map(|(from, to)| (square(from), to)).collect())
            })
            .into();
        Self {
            window,
            rects,
            segments,
            line_points,
            copies,
            lines,
            images,
            big_images,
        }
    }

    /// Draws objects `first..first + n` of a test: in one call where x11perf draws them in
    /// one (rectangles and segments, made beforehand as x11perf makes its arrays before it
    /// times), else one call each.
    fn draw(&self, display: &mut Display, test: Test, first: u32, n: u32) {
        match test {
            Test::Rect1 | Test::Rect10 | Test::Rect100 | Test::Rect500 => {
                let rects = &self.rects[&test];
                in_calls(rects.len(), first, n, |call| {
                    display.fill_rects(self.window, &rects[call], Color::BLACK);
                });
            }
            Test::Seg10 | Test::Seg100 | Test::Seg500 => {
                let segments = &self.segments[&test];
                in_calls(segments.len(), first, n, |call| {
                    display.segments(self.window, &segments[call], 0, Color::BLACK);
                });
            }
            Test::Line10 => {
                // Line `i` goes from point `i` to point `i + 1`.
                let points = &self.line_points;
                in_calls(points.len() - 1, first, n, |call| {
                    let through = &points[call.start..=call.end];
                    display.polyline(self.window, through, 0, Color::BLACK);
                });
            }
            Test::Ftext
            | Test::Aa10text
            | Test::Aa24text
            | Test::Putimage100
            | Test::Putimage500
            | Test::Copywinwin100
            | Test::Copywinwin500 => {
                (first..first + n).for_each(|i| self.draw_one(display, test, i));
            }
        }
    }

    /// Issues the `i`th call of a test that draws one object a call.
    fn draw_one(&self, display: &mut Display, test: Test, i: u32) {
        let w = self.window;
        match test {
            Test::Rect1
            | Test::Rect10
            | Test::Rect100
            | Test::Rect500
            | Test::Seg10
            | Test::Seg100
            | Test::Seg500
            | Test::Line10 => unreachable!("{test:?} is drawn in batches (Scene::draw)"),
            Test::Ftext => self.text_line(display, i, 12, 14, TEXT_LEN),
            Test::Aa10text => self.text_line(display, i, 10, 12, TEXT_LEN),
            Test::Aa24text => self.text_line(display, i, 24, 28, AA24_LEN),
            Test::Putimage100 => {
                let (x, y) = spot(i, 500);
                let data = &self.images[i as usize % self.images.len()];
                display.put_image(w, Rect::new(x, y, 100, 100), ImageFormat::Rgb8, data);
            }
            Test::Putimage500 => {
                let (x, y) = spot(i, 100);
                let data = &self.big_images[i as usize % self.big_images.len()];
                display.put_image(w, Rect::new(x, y, 500, 500), ImageFormat::Rgb8, data);
            }
            Test::Copywinwin100 | Test::Copywinwin500 => {
                let copies = &self.copies[&test];
                if let Some(&(from, to)) = copies.get(i as usize % copies.len().max(1)) {
                    display.copy_area(w, w, from, to);
                }
            }
        }
    }
}

/// Calls `call` with the indices of objects `first..first + n` of `objects` objects, taken
/// round and round: in one call, or in two where the end of the objects cuts them.
fn in_calls(objects: usize, first: u32, n: u32, mut call: impl FnMut(Range<usize>)) {
    let mut at = first as usize % objects.max(1);
    let mut left = n as usize;
    while left > 0 && objects > 0 {
        let end = (at + left).min(objects);
        call(at..end);
        left -= end - at;
        at = 0;
    }
}

/// The `i`th spot of a scattered walk over `room` pixels a side, for the big objects.
fn spot(i: u32, room: u32) -> (i32, i32) {
    let at = |k: u32| (i.wrapping_mul(k) % room) as i32;
    (at(37), at(23))
}

impl Scene {
    /// The `i`th line of text of `chars` characters at `size` px, `pitch` pixels below the
    /// one before it.
    fn text_line(&self, display: &mut Display, i: u32, size: u16, pitch: i32, chars: usize) {
        let lines_per_window = (WINDOW_SIDE / pitch) as u32;
        let pos = Point::new(4, (i % lines_per_window) as i32 * pitch);
        let text = &self.lines[i as usize % self.lines.len()];
        let text = text.get(..chars).unwrap_or(text);
        display.text(self.window, pos, Font::Sans, size, Color::BLACK, text);
    }
}

/// One test's netui figures.
struct Measured {
    calls_per_sec: f64,
    payload_per_call: f64,
    wire_per_call: f64,
}

/// Draws `calls` objects of a test, as many a call as x11perf draws, flushing every `batch`
/// objects if given, and at the end.
fn issue(
    display: &mut Display,
    scene: &Scene,
    test: Test,
    calls: u32,
    batch: Option<u32>,
) -> anyhow::Result<()> {
    let per_call = test.per_call();
    let mut i = 0;
    while i < calls {
        let n = per_call.min(calls - i);
        scene.draw(display, test, i, n);
        i += n;
        if batch.is_some_and(|batch| i % batch < n) {
            display.flush()?;
        }
    }
    Ok(display.flush()?)
}

fn measure(
    display: &mut Display,
    scene: &Scene,
    test: Test,
    args: &Args,
) -> anyhow::Result<Measured> {
    // Calibrate as x11perf does: double the calls until a synced run takes a tenth of the
    // time, then run the number of calls that should take `--seconds`. Checking the clock in
    // the client instead would stop issuing calls while the server still has a queue of them.
    let target = Duration::from_secs_f64(args.seconds / 10.0);
    let mut calls = 1u32;
    let rate = loop {
        let start = Instant::now();
        issue(display, scene, test, calls, args.batch)?;
        display.sync()?;
        let took = start.elapsed();
        if took >= target || calls >= 1 << 30 {
            break f64::from(calls) / took.as_secs_f64();
        }
        calls *= 2;
    };
    let calls = (rate * args.seconds).clamp(1.0, f64::from(u32::MAX)) as u32;

    let before = display.stats();
    let start = Instant::now();
    issue(display, scene, test, calls, args.batch)?;
    // Everything is encoded by now; the sync below adds one small request, not counted.
    let after = display.stats();
    display
        .sync()
        .with_context(|| format!("the server reported an error during {}", test.name()))?;
    let secs = start.elapsed().as_secs_f64();
    let calls = f64::from(calls);
    Ok(Measured {
        calls_per_sec: calls / secs,
        payload_per_call: (after.payload_bytes - before.payload_bytes) as f64 / calls,
        wire_per_call: (after.wire_bytes - before.wire_bytes) as f64 / calls,
    })
}

/// Syncs timed to take the round trip's median and 99th percentile.
const ROUND_TRIPS: usize = 2000;
/// Rounds of `--tls-vs-tcp`: each test runs this many times per transport, the two
/// transports in turn, and the best of each is kept (the machine is shared and noisy).
const ROUNDS: usize = 3;

/// A client with its window on a server of its own, reached by one transport.
struct Bench {
    headless: Headless,
    display: Display,
    scene: Scene,
}

impl Bench {
    fn start(transport: Transport) -> anyhow::Result<Bench> {
        let headless = Headless::start_on(SCREEN, None, transport)
            .context("cannot start the in-process server")?;
        let (stream, token) = headless.stream(transport)?;
        let mut display = Display::connect_stream(stream, token, "drawbench".into(), "drawbench")?;
        let side = WINDOW_SIDE as u32;
        let window =
            display.create_window(Rect::new(100, 100, side, side), "drawbench", Color::WHITE)?;
        display.map(window);
        display.sync()?;
        let scene = Scene::new(window);
        Ok(Bench {
            headless,
            display,
            scene,
        })
    }

    /// Runs one test, and checks that it drew.
    fn run(&mut self, test: Test, args: &Args) -> anyhow::Result<Measured> {
        let window = self.scene.window;
        self.display.clear(window, None);
        let measured = measure(&mut self.display, &self.scene, test, args)?;
        // A benchmark that draws nothing measures nothing: check that the pixels changed
        // (copying white onto white changes none, so the copy test is not checked).
        let image = self.display.get_image(window, None)?;
        let drawn = image
            .rgba
            .chunks_exact(4)
            .filter(|p| p[..3] != [255; 3])
            .count();
        let copy = matches!(test, Test::Copywinwin100 | Test::Copywinwin500);
        if drawn == 0 && !copy {
            bail!("{} left the window white: nothing was drawn", test.name());
        }
        Ok(measured)
    }

    /// The time of one sync.
    fn round_trip(&mut self) -> anyhow::Result<Duration> {
        let start = Instant::now();
        self.display.sync()?;
        Ok(start.elapsed())
    }

    fn stop(self) {
        drop(self.display);
        self.headless.server.stop();
    }
}

/// Runs each test on netui and, given Xvfb, x11perf's same test on it right after: the
/// two measured within seconds of each other, on a machine whose speed drifts from minute
/// to minute. Returns netui's measures, in the tests' order, and x11perf's rates by label.
fn run_tests(
    tests: &[Test],
    args: &Args,
    xvfb: Option<&Xvfb>,
) -> anyhow::Result<(Vec<Measured>, HashMap<String, f64>)> {
    let mut bench = Bench::start(Transport::Unix)?;
    let (mut netui, mut x11) = (Vec::new(), HashMap::new());
    for &test in tests {
        eprintln!("netui: {}", test.name());
        netui.push(bench.run(test, args)?);
        if let Some(xvfb) = xvfb {
            x11.extend(run_x11perf(xvfb, test, args)?);
        }
    }
    bench.stop();
    Ok((netui, x11))
}

/// The median and 99th percentile of `trips`.
fn percentiles(mut trips: Vec<Duration>) -> [Duration; 2] {
    trips.sort();
    [trips[trips.len() / 2], trips[trips.len() * 99 / 100]]
}

/// Prints the tests over plain TCP and over TLS side by side: two servers, each test run
/// [`ROUNDS`] times on each in turn (best kept), syncs timed in turn.
fn tls_vs_tcp(tests: &[Test], args: &Args) -> anyhow::Result<()> {
    let mut plain = Bench::start(Transport::Tcp)?;
    let mut secure = Bench::start(Transport::Tls)?;
    let (mut tcp_trips, mut tls_trips) = (Vec::new(), Vec::new());
    for _ in 0..ROUND_TRIPS {
        tcp_trips.push(plain.round_trip()?);
        tls_trips.push(secure.round_trip()?);
    }
    let (tcp_trip, tls_trip) = (percentiles(tcp_trips), percentiles(tls_trips));
    let best = |a: Option<Measured>, b: Measured| match a {
        Some(a) if a.calls_per_sec >= b.calls_per_sec => Some(a),
        _ => Some(b),
    };
    let (mut tcp, mut tls) = (Vec::new(), Vec::new());
    for &test in tests {
        eprintln!("netui over tcp and tls: {}", test.name());
        let (mut p, mut s) = (None, None);
        for _ in 0..ROUNDS {
            p = best(p, plain.run(test, args)?);
            s = best(s, secure.run(test, args)?);
        }
        tcp.extend(p);
        tls.extend(s);
    }
    plain.stop();
    secure.stop();
    println!(
        "netui over loopback TCP, plain and TLS 1.3: {}, best of {ROUNDS} runs each, in turn",
        setting(args)
    );
    println!(
        "\n{:<14} {:<13} {:>12} {:>12} {:>8} {:>10}",
        "test", "per", "tcp/s", "tls/s", "tls/tcp", "wire B"
    );
    for ((&test, plain), secure) in tests.iter().zip(&tcp).zip(&tls) {
        let (unit, ..) = test.info();
        println!(
            "{:<14} {:<13} {:>12.0} {:>12.0} {:>8} {:>10.1}",
            test.name(),
            unit,
            plain.calls_per_sec,
            secure.calls_per_sec,
            ratio(secure.calls_per_sec / plain.calls_per_sec),
            plain.wire_per_call,
        );
    }
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "\nround trip (sync, {ROUND_TRIPS} timed in turn): tcp median {:.0} us, p99 {:.0} us; \
         tls median {:.0} us, p99 {:.0} us; tls - tcp median {:+.0} us",
        us(tcp_trip[0]),
        us(tcp_trip[1]),
        us(tls_trip[0]),
        us(tls_trip[1]),
        us(tls_trip[0]) - us(tcp_trip[0]),
    );
    println!("wire B: netui bytes per call on the connection (TLS adds its records below)");
    Ok(())
}

/// Xvfb, killed when dropped.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> anyhow::Result<Self> {
        let n = (99..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                    && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            })
            .context("no free X display number between :99 and :199")?;
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([&display, "-screen", "0", "1280x800x24", "-noreset"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start Xvfb (apt-get install xvfb)")?;
        let mut xvfb = Self { child, display };
        let socket = format!("/tmp/.X11-unix/X{n}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !Path::new(&socket).exists() {
            if let Some(status) = xvfb.child.try_wait()? {
                bail!("Xvfb {} exited at start: {status}", xvfb.display);
            }
            if Instant::now() > deadline {
                bail!("Xvfb {} did not create {socket} within 10 s", xvfb.display);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(xvfb)
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        // SIGTERM lets Xvfb remove its lock file and socket; SIGKILL would leave them behind.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs x11perf's `test` on Xvfb (and its antialiased text with `ftext`); returns its rate
/// (x11perf's unit per second) by result label.
fn run_x11perf(xvfb: &Xvfb, test: Test, args: &Args) -> anyhow::Result<HashMap<String, f64>> {
    let seconds = args.seconds.ceil().max(1.0).to_string();
    let repeat = args.repeat.to_string();
    let mut cmd = Command::new("x11perf");
    cmd.args(["-display", &xvfb.display]);
    cmd.args(["-repeat", &repeat, "-time", &seconds]);
    cmd.arg(format!("-{}", test.name()));
    if test == Test::Ftext {
        cmd.arg("-aaftext");
    }
    eprintln!("Xvfb {}: {cmd:?}", xvfb.display);
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run x11perf (apt-get install x11-apps)")?;
    if !out.status.success() {
        bail!("x11perf failed: {}", out.status);
    }
    Ok(parse_x11perf(&String::from_utf8_lossy(&out.stdout)))
}

/// Reads x11perf's result lines, `  4000000 trep @   0.0002 msec (4960000.0/sec): 10x10
/// rectangle`: the average over repetitions (`trep`) where there is one, else the first rep.
fn parse_x11perf(out: &str) -> HashMap<String, f64> {
    let mut rates = HashMap::new();
    for line in out.lines() {
        let parsed = line.split_once("/sec): ").and_then(|(head, label)| {
            let (_, rate) = head.rsplit_once('(')?;
            Some((label.trim(), rate.trim().parse::<f64>().ok()?))
        });
        if let Some((label, rate)) = parsed {
            if line.contains(" trep ") || !rates.contains_key(label) {
                rates.insert(label.to_owned(), rate);
            }
        }
    }
    rates
}

/// A ratio with three significant digits, however small.
fn ratio(r: f64) -> String {
    if r >= 0.01 {
        format!("{r:.3}")
    } else {
        format!("{r:.2e}")
    }
}

/// The run's setting, for the report's heading: the window, the time and how it flushes.
fn setting(args: &Args) -> String {
    let flushes = match args.batch {
        Some(n) => format!("a flush every {n} objects"),
        None => "requests sent as app-lib's buffer fills (no flush until the sync)".into(),
    };
    format!(
        "{WINDOW_SIDE}x{WINDOW_SIDE} window on a {}x{} headless server, {} s per test, {flushes}",
        SCREEN.width, SCREEN.height, args.seconds
    )
}

fn main() -> anyhow::Result<()> {
    demos::cli::init_logging();
    let args = Args::parse();
    if args.batch == Some(0) || !args.seconds.is_finite() || args.seconds <= 0.0 {
        bail!("--batch and --seconds must be positive");
    }
    let tests = if args.tests.is_empty() {
        Test::value_variants().to_vec()
    } else {
        args.tests.clone()
    };
    if args.tls_vs_tcp {
        return tls_vs_tcp(&tests, &args);
    }
    let xvfb = args.xvfb.then(Xvfb::start).transpose()?;
    let (netui, x11) = run_tests(&tests, &args, xvfb.as_ref())?;
    drop(xvfb);
    let xvfb_rate = |label: &str| x11.get(label).copied();

    println!("netui: {}", setting(&args));
    println!(
        "\n{:<14} {:<13} {:>12} {:>12} {:>11} {:>10} {:>10} {:>9}",
        "test", "per", "netui/s", "Xvfb/s", "netui/Xvfb", "payload B", "wire B", "X11 B"
    );
    for (&test, m) in tests.iter().zip(&netui) {
        let (unit, label, per_call, x11_bytes) = test.info();
        let x = xvfb_rate(label).map(|r| r / per_call);
        println!(
            "{:<14} {:<13} {:>12.0} {:>12} {:>11} {:>10.1} {:>10.1} {:>9}",
            test.name(),
            unit,
            m.calls_per_sec,
            x.map_or_else(|| "-".into(), |x| format!("{x:.0}")),
            x.map_or_else(|| "-".into(), |x| ratio(m.calls_per_sec / x)),
            m.payload_per_call,
            m.wire_per_call,
            x11_bytes,
        );
    }
    if let Some((_, m)) = tests.iter().zip(&netui).find(|(t, _)| **t == Test::Ftext) {
        let chars = m.calls_per_sec * TEXT_LEN as f64;
        println!("\nftext in characters/s: netui {chars:.0} (12 px Sans, antialiased)");
        let aa = "-aaftext, antialiased";
        let ftext = [
            (Test::Ftext.info().1, "-ftext, 6x13 bitmap font"),
            (AA_TEXT_LABEL, aa),
        ];
        for (label, what) in ftext {
            if let Some(x) = xvfb_rate(label) {
                println!("  Xvfb {what}: {x:.0}, netui/Xvfb {}", ratio(chars / x));
            }
        }
    }
    println!("\npayload B, wire B: netui bytes per call before and after LZ4 (wire has headers)");
    println!("X11 B: the same operation's bytes in the X11 protocol");
    Ok(())
}
