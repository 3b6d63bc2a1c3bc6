//! The workloads: each demo's deterministic script, the launcher's, and a window drag.

use netui::{Display, Rect, Window};

use crate::session::App;

/// A workload: a demo's script and how many frames it draws.
pub struct Workload {
    /// Its name in reports.
    pub name: String,
    /// The application that runs it.
    pub app: App,
    /// Key presses the script types (notepad: one per frame after the first).
    pub keys: Option<u32>,
}

/// Every workload, with its frames for a full or a quick run.
pub fn all(quick: bool) -> Vec<Workload> {
    // (name, frames in a full run, frames in a quick run)
    const FRAMES: &[(&str, u32, u32)] = &[
        ("clock", 60, 5),
        ("paint", 120, 20),
        ("notepad", 240, 30),
        ("files", 120, 12),
        ("imageview", 16, 3),
        ("animation", 300, 20),
        ("sysmon", 60, 8),
        ("hello", 3, 1),
        ("launcher", 40, 6),
        ("drag", 120, 15),
    ];
    let frames = |name: &str| {
        FRAMES.iter().find(|(n, ..)| *n == name).map_or(
            if quick { 5 } else { 30 },
            |&(_, full, q)| {
                if quick {
                    q
                } else {
                    full
                }
            },
        )
    };
    let mut list: Vec<Workload> = demos::catalog()
        .iter()
        .map(|demo| {
            let frames = frames(demo.name);
            Workload {
                name: demo.name.into(),
                app: App::Script(demo.script, frames),
                keys: (demo.name == "notepad").then(|| frames.saturating_sub(1)),
            }
        })
        .collect();
    list.push(Workload {
        name: "launcher".into(),
        app: App::Script(demos::launcher::script, frames("launcher")),
        keys: None,
    });
    list.push(Workload {
        name: "drag".into(),
        app: App::Script(drag, frames("drag")),
        keys: None,
    });
    list
}

/// Dragging a window: the file browser, moved across the screen by its client one step a
/// frame, as an X window manager moves a window with ConfigureWindow while the user drags
/// its title bar. The window's contents do not change; what each mode sends for a move is
/// what this measures (a scene operation, or copied and newly uncovered pixels).
pub fn drag(display: &mut Display, frames: u32) -> Result<Window, netui::Error> {
    let window = demos::files::script(display, 1)?;
    let info = display.server_info()?;
    let start = info
        .clients
        .iter()
        .flat_map(|c| &c.windows)
        .find(|w| w.id == window.0)
        .map(|w| w.rect)
        .ok_or_else(|| netui::Error::Disconnected("the dragged window is gone".into()))?;
    let screen = display.welcome().screen;
    let room_x = (screen.width as i32 - start.width as i32).max(1);
    let room_y = (screen.height as i32 - start.height as i32).max(1);
    // Back and forth in each direction, 9 and 4 pixels a frame (a brisk drag at 60 Hz).
    let bounce = |from: i32, step: i32, room: i32| {
        let t = (from + step).rem_euclid(2 * room);
        if t < room {
            t
        } else {
            2 * room - t
        }
    };
    for i in 1..frames as i32 {
        let rect = Rect::new(
            bounce(start.x, 9 * i, room_x),
            bounce(start.y, 4 * i, room_y),
            start.width,
            start.height,
        );
        display.configure(window, rect);
        display.flush()?;
    }
    display.sync()?;
    Ok(window)
}
