//! The paint demo's scripted session: the input a person might give, as events.

use netui::{Button, Event, Key, KeyEvent, Modifiers, Point, Window};

use super::{tools, Tool};

/// The scripted session: a scribble wiped by the Clear button, another wiped by `c`, then a
/// picture (a sun, a house, hills and water) in several colors and widths.
pub fn script_events(window: Window) -> Vec<Event> {
    let id = window.0;
    let mut events = Vec::new();
    let press = |button, pos| Event::ButtonPress {
        window: id,
        button,
        pos,
        modifiers: Modifiers::NONE,
    };
    let release = |button, pos| Event::ButtonRelease {
        window: id,
        button,
        pos,
        modifiers: Modifiers::NONE,
    };
    let click = |events: &mut Vec<Event>, tool: Tool| {
        if let Some((rect, _)) = tools().into_iter().find(|(_, t)| *t == tool) {
            let center = Point::new(
                rect.x + rect.width as i32 / 2,
                rect.y + rect.height as i32 / 2,
            );
            events.extend([press(Button::Left, center), release(Button::Left, center)]);
        }
    };
    let stroke = |events: &mut Vec<Event>, points: Vec<Point>| {
        let (Some(&first), Some(&last)) = (points.first(), points.last()) else {
            return;
        };
        events.push(press(Button::Left, first));
        events.extend(points.iter().skip(1).map(|&pos| Event::PointerMotion {
            window: id,
            pos,
            modifiers: Modifiers::NONE,
        }));
        events.push(release(Button::Left, last));
    };
    let curve = |n: i32, f: &dyn Fn(f64) -> (f64, f64)| -> Vec<Point> {
        (0..=n)
            .map(|i| {
                let (x, y) = f(f64::from(i) / f64::from(n));
                Point::new(x.round() as i32, y.round() as i32)
            })
            .collect()
    };
    let wave = |x0: f64, x1: f64, y: f64, amplitude: f64, periods: f64| {
        curve(40, &move |t| {
            (
                x0 + (x1 - x0) * t,
                y + amplitude * (t * periods * std::f64::consts::TAU).sin(),
            )
        })
    };
    // Two scribbles, each wiped.
    click(&mut events, Tool::Color(6));
    stroke(&mut events, wave(40.0, 240.0, 100.0, 20.0, 3.0));
    click(&mut events, Tool::Clear);
    stroke(&mut events, wave(40.0, 240.0, 110.0, 15.0, 2.0));
    events.push(Event::KeyPress(KeyEvent {
        window: id,
        key: Key::Character('c'),
        modifiers: Modifiers::NONE,
        text: "c".into(),
    }));
    // The sun: a thick spiral and rays.
    click(&mut events, Tool::Color(2));
    click(&mut events, Tool::Width(2));
    stroke(
        &mut events,
        curve(60, &|t| {
            let (r, a) = (4.0 + 36.0 * t, t * 5.0 * std::f64::consts::TAU);
            (600.0 + r * a.cos(), 140.0 + r * a.sin())
        }),
    );
    click(&mut events, Tool::Color(3));
    click(&mut events, Tool::Width(1));
    for i in 0..12 {
        let a = f64::from(i) * std::f64::consts::TAU / 12.0;
        stroke(
            &mut events,
            curve(4, &|t| {
                let r = 58.0 + 22.0 * t;
                (600.0 + r * a.cos(), 140.0 + r * a.sin())
            }),
        );
    }
    // Hills, then a red house with a brown roof on them.
    click(&mut events, Tool::Color(4));
    stroke(&mut events, wave(20.0, 700.0, 400.0, 24.0, 1.5));
    click(&mut events, Tool::Color(1));
    let (l, r, top, floor) = (150, 290, 300, 400);
    stroke(
        &mut events,
        vec![
            Point::new(l, top),
            Point::new(l, floor),
            Point::new(r, floor),
            Point::new(r, top),
            Point::new(l, top),
        ],
    );
    stroke(
        &mut events,
        vec![
            Point::new(205, floor),
            Point::new(205, 350),
            Point::new(235, 350),
            Point::new(235, floor),
        ],
    );
    click(&mut events, Tool::Color(7));
    click(&mut events, Tool::Width(2));
    stroke(
        &mut events,
        vec![
            Point::new(l - 14, top + 4),
            Point::new((l + r) / 2, 230),
            Point::new(r + 14, top + 4),
        ],
    );
    // Water along the bottom, in thin and thick blue.
    click(&mut events, Tool::Color(5));
    stroke(&mut events, wave(20.0, 700.0, 470.0, 8.0, 6.0));
    click(&mut events, Tool::Width(0));
    stroke(&mut events, wave(20.0, 700.0, 495.0, 5.0, 9.0));
    events
}
