//! The viewer's copy of the remote screen, fed by the server's view messages.
//!
//! In command mode it is a replica of the server's scene, kept by replaying the same changes
//! with the same renderer, then composited as the server composites; in pixel mode it is the
//! decoder's canvas. Either way [`View::screen`] is what the user sees, and it equals the
//! server's screen once the updates in flight have arrived.

use netui_protocol::{Limits, Rect, SceneOp, Size, ViewMessage, ViewMode};
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
    /// The server announced a screen larger than the limits allow.
    #[error("a {}x{} screen is larger than the viewer's limit of {max}x{max}", .size.width, .size.height)]
    ScreenTooLarge {
        /// The size announced.
        size: Size,
        /// The largest side allowed.
        max: u32,
    },
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
    /// What the server may make this copy hold.
    limits: Limits,
    mode: Option<ViewMode>,
    copy: Option<Copy>,
    /// Shown before the first update.
    blank: Canvas,
}

impl Default for View {
    fn default() -> Self {
        View::with_limits(Limits::default())
    }
}

impl View {
    /// A viewer's copy that refuses screens, windows and pixmaps beyond `limits` (the
    /// default's are the server's defaults; the `view` fuzz target uses smaller ones).
    pub fn with_limits(limits: Limits) -> View {
        View {
            limits,
            mode: None,
            copy: None,
            blank: Canvas::new(1, 1, netui_protocol::Color::BLACK),
        }
    }

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

    /// The drawings that the last pixel update carried out, each with the number of its
    /// rectangle ([`PixelDecoder::drawings`]); none in command mode.
    pub fn drawings(&self) -> &[(usize, netui_protocol::Drawing)] {
        match &self.copy {
            Some(Copy::Pixels(decoder)) => decoder.drawings(),
            Some(Copy::Commands(_)) | None => &[],
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
                self.check_size(size)?;
                self.mode = Some(mode);
                self.copy = Some(match (mode, self.copy.take()) {
                    (ViewMode::Commands, _) => {
                        Copy::Commands(Box::new(Scene::new(size, self.limits)))
                    }
                    // A switch between pixel encodings keeps the decoder's allocations.
                    (ViewMode::Pixels(_), Some(Copy::Pixels(mut decoder))) => {
                        decoder.reset(size);
                        Copy::Pixels(decoder)
                    }
                    (ViewMode::Pixels(_), _) => Copy::Pixels(PixelDecoder::new(size)),
                });
                Ok(Applied {
                    changed: vec![Rect::from_size(size)],
                    ..Applied::default()
                })
            }
            ViewMessage::ScenePart { ops } => {
                // Shown with the update that follows.
                self.replay(&ops)?;
                Ok(Applied::default())
            }
            ViewMessage::Scene { update, input, ops } => {
                let changed = self.replay(&ops)?.composite();
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
                if let Some(size) = size {
                    self.check_size(size)?;
                }
                let Some(Copy::Pixels(decoder)) = &mut self.copy else {
                    return Err(ViewError::NotStarted);
                };
                let size = size.unwrap_or_else(|| decoder.canvas().size());
                let changed = decoder.apply(size, &rects)?;
                Ok(Applied {
                    update: Some(update),
                    input,
                    changed,
                })
            }
        }
    }

    /// Replays command-mode changes on the copy of the scene, which it returns.
    fn replay(&mut self, ops: &[SceneOp]) -> Result<&mut Scene, ViewError> {
        let Some(Copy::Commands(scene)) = &mut self.copy else {
            return Err(ViewError::NotStarted);
        };
        for op in ops {
            scene.replay(op)?;
        }
        Ok(scene)
    }

    /// A screen size from the server, refused before anything is allocated for it when it
    /// is beyond the limits (a screen of 100000x100000 would abort the viewer).
    fn check_size(&self, size: Size) -> Result<(), ViewError> {
        let max = self.limits.max_side;
        if size.width > max || size.height > max {
            return Err(ViewError::ScreenTooLarge { size, max });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netui_protocol::PixelEncoding;

    /// A server that announced a screen of 100000x100000 made the viewer allocate 40 GB for
    /// it and abort; now the size is refused first, in either mode, and the copy stays usable.
    #[test]
    fn a_screen_beyond_the_limits_is_refused_before_it_is_allocated() {
        let huge = Size::new(100_000, 100_000);
        for mode in [ViewMode::Commands, ViewMode::Pixels(PixelEncoding::Tiles)] {
            let mut view = View::default();
            let start = ViewMessage::Start { size: huge, mode };
            assert!(matches!(
                view.apply(start),
                Err(ViewError::ScreenTooLarge { max: 8192, .. })
            ));
            assert_eq!(view.mode(), None);
            let start = ViewMessage::Start {
                size: Size::new(64, 48),
                mode,
            };
            assert!(view.apply(start).is_ok());
            assert_eq!(view.size(), Size::new(64, 48));
        }
        // A pixel update that resizes the screen beyond the limits, too.
        let mut view = View::with_limits(Limits {
            max_side: 100,
            ..Limits::default()
        });
        let mode = ViewMode::Pixels(PixelEncoding::Raw);
        let start = ViewMessage::Start {
            size: Size::new(64, 48),
            mode,
        };
        view.apply(start).expect("a small screen");
        let pixels = ViewMessage::Pixels {
            update: 1,
            input: None,
            size: Some(Size::new(101, 48)),
            rects: Vec::new(),
        };
        assert!(matches!(
            view.apply(pixels),
            Err(ViewError::ScreenTooLarge { max: 100, .. })
        ));
        assert_eq!(view.size(), Size::new(64, 48));
    }
}
