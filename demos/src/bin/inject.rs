//! `inject`: sends keyboard and pointer input into a display as if it came from its own
//! devices (like `xdotool` over XTEST). Only works on the local Unix socket (`:N`).

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use netui::{Button, InputEvent, Key, Point};

/// Sends keyboard and pointer input into a netui display (local displays only).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Display to drive (:N); defaults to $NETUI_DISPLAY.
    #[arg(long)]
    display: Option<String>,
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Move the pointer to X Y (screen coordinates).
    Move { x: i32, y: i32 },
    /// Move to X Y and click a button (left, middle, right).
    Click {
        x: i32,
        y: i32,
        #[arg(long, default_value = "left")]
        button: String,
    },
    /// Press a button at X Y, move to X2 Y2, release: a drag.
    Drag { x: i32, y: i32, x2: i32, y2: i32 },
    /// Press and release a key by name (Escape, Enter, Tab, BackSpace, Delete, Left, Right, Up,
    /// Down, Home, End, PageUp, PageDown, F1..F12) or a single character.
    Key { name: String },
    /// Type text, one key press per character.
    Type { text: String },
    /// Turn the wheel by DY lines (positive scrolls down).
    Wheel { dy: i32 },
}

fn button(name: &str) -> anyhow::Result<Button> {
    Ok(match name {
        "left" | "1" => Button::Left,
        "middle" | "2" => Button::Middle,
        "right" | "3" => Button::Right,
        other => bail!("unknown button {other:?}: use left, middle or right"),
    })
}

fn key(name: &str) -> anyhow::Result<(Key, String)> {
    let named = match name {
        "Escape" => Key::Escape,
        "Enter" | "Return" => Key::Enter,
        "Tab" => Key::Tab,
        "BackSpace" | "Backspace" => Key::Backspace,
        "Delete" => Key::Delete,
        "Left" => Key::Left,
        "Right" => Key::Right,
        "Up" => Key::Up,
        "Down" => Key::Down,
        "Home" => Key::Home,
        "End" => Key::End,
        "PageUp" => Key::PageUp,
        "PageDown" => Key::PageDown,
        "space" => return Ok((Key::Character(' '), " ".into())),
        f if f.starts_with('F') && f[1..].parse::<u8>().is_ok() => Key::F(f[1..].parse()?),
        other => {
            let mut chars = other.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                bail!("unknown key {other:?}: use a key name such as Enter, or one character");
            };
            return Ok((
                Key::Character(c.to_lowercase().next().unwrap_or(c)),
                c.to_string(),
            ));
        }
    };
    let text = match named {
        Key::Enter => "\r",
        Key::Tab => "\t",
        _ => "",
    };
    Ok((named, text.into()))
}

fn main() -> anyhow::Result<()> {
    demos::cli::init_logging();
    let args = Args::parse();
    let mut display = demos::cli::connect(args.display.as_deref())?;
    let press = |b, pressed| InputEvent::Button { button: b, pressed };
    let events: Vec<InputEvent> = match args.action {
        Action::Move { x, y } => vec![InputEvent::PointerMoved(Point::new(x, y))],
        Action::Click { x, y, button: b } => {
            let b = button(&b)?;
            vec![
                InputEvent::PointerMoved(Point::new(x, y)),
                press(b, true),
                press(b, false),
            ]
        }
        Action::Drag { x, y, x2, y2 } => vec![
            InputEvent::PointerMoved(Point::new(x, y)),
            press(Button::Left, true),
            InputEvent::PointerMoved(Point::new((x + x2) / 2, (y + y2) / 2)),
            InputEvent::PointerMoved(Point::new(x2, y2)),
            press(Button::Left, false),
        ],
        Action::Key { name } => {
            let (k, text) = key(&name)?;
            vec![
                InputEvent::Key {
                    key: k,
                    pressed: true,
                    text,
                },
                InputEvent::Key {
                    key: k,
                    pressed: false,
                    text: String::new(),
                },
            ]
        }
        Action::Type { text } => text
            .chars()
            .flat_map(|c| {
                let k = Key::Character(c.to_lowercase().next().unwrap_or(c));
                [
                    InputEvent::Key {
                        key: k,
                        pressed: true,
                        text: c.to_string(),
                    },
                    InputEvent::Key {
                        key: k,
                        pressed: false,
                        text: String::new(),
                    },
                ]
            })
            .collect(),
        Action::Wheel { dy } => vec![InputEvent::Wheel { dx: 0, dy }],
    };
    for event in events {
        display.inject(event);
    }
    display.sync().context("the display refused the input")?;
    Ok(())
}
