//! The viewer's copy of the remote screen, fed by the server's view messages.
//!
//! In command mode it is a replica of the server's scene, kept by replaying the same changes
//! with the same renderer, then composited as the server composites; in pixel mode it is the
//! decoder's canvas. Either way [`View::screen`] is what the user sees, and it equals the
//! server's screen once the updates in flight have arrived.

use netui_protocol::{Limits, Rect, Size, ViewMessage, ViewMode};
use netui_scene::encoding::{PixelDecoder, PixelError};
use netui_scene::render::Canvas;
use netui_scene::scene::{Scene, SceneError};
use thiserror::Error;

/// Why a view message could not be applied (bad data from the server).
#[derive(Debug, Error)]
pub enum ViewError {
    /// An update came before the `Start` that says the mode.
    #[error("an update arrived before the viewer was attached")]
    NotStarted,
    /// A scene operation failed on the replica.
    #[error("a scene operation failed: {0}")]
    Scene(String),
    /// Pixel data did not decode.
    #[error(transparent)]
    Pixels(#[from] PixelError),
}

impl From<SceneError> for ViewError {
    fn from(e: SceneError) -> Self {
        ViewError::Scene(format!("{:?}: {}", e.code, e.message))
    }
}

enum Copy {
    Commands(Box<Scene>),
    Pixels(PixelDecoder),
}

/// What applying one message did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The update's number, to acknowledge.
    pub update: Option<u64>,
    /// The newest input the update reflects.
    pub input: Option<u64>,
    /// The screen rectangles that changed.
    pub changed: Vec<Rect>,
}

/// The viewer's copy of the screen.
pub struct View {
    mode: Option<ViewMode>,
    copy: Option<Copy>,
    /// Shown before the first update.
    blank: Canvas,
}

impl Default for View {
    fn default() -> Self {
        View {
            mode: None,
            copy: None,
            blank: Canvas::new(1, 1, netui_protocol::Color::BLACK),
        }
    }
}

impl View {
    /// The mode in force (after the first `Start`).
    pub fn mode(&self) -> Option<ViewMode> {
        self.mode
    }

    /// The screen as the viewer has it.
    pub fn screen(&self) -> &Canvas {
        match &self.copy {
            Some(Copy::Commands(scene)) => scene.screen(),
            Some(Copy::Pixels(decoder)) => decoder.canvas(),
            None => &self.blank,
        }
    }

    /// The screen's size.
    pub fn size(&self) -> Size {
        self.screen().size()
    }

    /// Applies one message from the server (a report of costs changes nothing here: it is
    /// for `auto`, see [`crate::auto`]).
    pub fn apply(&mut self, message: ViewMessage) -> Result<Applied, ViewError> {
        match message {
            ViewMessage::Costs(_) => Ok(Applied::default()),
            ViewMessage::Start { size, mode } => {
                self.mode = Some(mode);
                self.copy = Some(match mode {
                    ViewMode::Commands => {
                        Copy::Commands(Box::new(Scene::new(size, Limits::default())))
                    }
                    ViewMode::Pixels(_) => Copy::Pixels(PixelDecoder::new(size)),
                });
                Ok(Applied {
                    changed: vec![Rect::from_size(size)],
                    ..Applied::default()
                })
            }
            ViewMessage::Scene { update, input, ops } => {
                let Some(Copy::Commands(scene)) = &mut self.copy else {
                    return Err(ViewError::NotStarted);
                };
                for op in &ops {
                    scene.replay(op)?;
                }
                let changed = scene.composite();
                Ok(Applied {
                    update: Some(update),
                    input,
                    changed,
                })
            }
            ViewMessage::Pixels {
                update,
                input,
                size,
                rects,
            } => {
                let Some(Copy::Pixels(decoder)) = &mut self.copy else {
                    return Err(ViewError::NotStarted);
                };
                let changed = decoder.apply(size, &rects)?;
                Ok(Applied {
                    update: Some(update),
                    input,
                    changed,
                })
            }
        }
    }
}
