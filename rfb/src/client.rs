//! A blocking RFB 3.8 client over any `Read + Write` stream, for tests and benchmarks: it
//! does the handshake with VNC Authentication, and applies FramebufferUpdates to its own
//! canvas. It trusts nothing the server sends: every rectangle, length and tile is checked
//! before it is used, and memory is bounded by the framebuffer and rectangle sizes.

use std::io::{Read, Write};

use netui_protocol::{Color, Point, Rect, Size};
use netui_scene::render::Canvas;

use crate::auth::{vnc_response, SecurityType};
use crate::encoding;
use crate::message::{ClientMessage, MAX_CUT_TEXT, MAX_FENCE_PAYLOAD};
use crate::pixel::PixelFormat;
use crate::zrle::ZrleDecoder;
use crate::{hextile, raw, RfbError};

/// The largest framebuffer side the client accepts: netui's own (a display's screen is at
/// most 8192x8192), and an 8K screen fits. At 16,384 a server's DesktopSize of a dozen
/// bytes made the client allocate 1 GiB, and 2 GiB while it copied the old picture into
/// the new (the rfb_client fuzz target's memory grew to 1.3 GB).
pub const MAX_SIDE: u32 = 8192;
/// The largest cursor side the client accepts.
pub const MAX_CURSOR_SIDE: u32 = 1024;
/// The longest reason or desktop name the client reads.
const MAX_STRING: usize = 64 * 1024;

/// What went wrong for the client: the stream, or what the server sent.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Reading or writing the stream failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The server broke the protocol or refused.
    #[error(transparent)]
    Rfb(#[from] RfbError),
    /// A Tight rectangle that does not decode.
    #[error("tight: {0}")]
    Tight(#[from] crate::tight::TightError),
}

/// The cursor shape the server sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorShape {
    /// The hotspot, from the cursor's top-left.
    pub hotspot: Point,
    /// Its size.
    pub size: Size,
    /// Its pixels, `0x00RRGGBB`, row-major.
    pub pixels: Vec<u32>,
    /// Its mask, one bit a pixel (most significant first), rows padded to bytes.
    pub mask: Vec<u8>,
}

/// What one FramebufferUpdate brought.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Update {
    /// The areas of the framebuffer that were written (pixels and copies).
    pub rects: Vec<Rect>,
    /// Bytes received per encoding (rectangle headers included), in order of appearance.
    pub bytes: Vec<(i32, usize)>,
    /// The framebuffer's new size, when it changed.
    pub resized: Option<Size>,
    /// ExtendedDesktopSize rectangles' reason and status.
    pub desktop: Vec<(u16, u16)>,
    /// A cursor shape came.
    pub cursor: bool,
    /// The server said it understands QEMU's Extended Key Event.
    pub qemu_key: bool,
}

impl Update {
    /// Bytes received in `encoding`.
    pub fn bytes_of(&self, encoding: i32) -> usize {
        self.bytes
            .iter()
            .filter(|(e, _)| *e == encoding)
            .map(|(_, n)| n)
            .sum()
    }

    fn add(&mut self, encoding: i32, n: usize) {
        match self.bytes.iter_mut().find(|(e, _)| *e == encoding) {
            Some((_, total)) => *total += n,
            None => self.bytes.push((encoding, n)),
        }
    }
}

/// A message from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerMessage {
    /// A FramebufferUpdate, already applied to the client's canvas.
    Update(Update),
    /// Bell.
    Bell,
    /// The server's clipboard.
    CutText(String),
    /// An Extended Clipboard message (a cut text with a negative length).
    Clipboard(crate::clipboard::ExtClipboard),
    /// Continuous updates stopped (or are supported).
    EndOfContinuousUpdates,
    /// A fence.
    Fence {
        /// Its flags.
        flags: u32,
        /// Its payload.
        payload: Vec<u8>,
    },
}

/// Counts the bytes read through it.
struct Counting<'a, R> {
    inner: &'a mut R,
    count: usize,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n;
        Ok(n)
    }
}

/// A connected client.
pub struct Client<S> {
    stream: S,
    canvas: Canvas,
    format: PixelFormat,
    name: String,
    zrle: ZrleDecoder,
    tight: crate::tight::TightDecoder,
    cursor: Option<CursorShape>,
    out: Vec<u8>,
}

impl<S> std::fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("name", &self.name)
            .field("canvas", &self.canvas)
            .finish_non_exhaustive()
    }
}

fn read_array<const N: usize>(r: &mut impl Read) -> std::io::Result<[u8; N]> {
    let mut b = [0; N];
    r.read_exact(&mut b)?;
    Ok(b)
}

fn read_u16(r: &mut impl Read) -> std::io::Result<u16> {
    Ok(u16::from_be_bytes(read_array(r)?))
}

fn read_u32(r: &mut impl Read) -> std::io::Result<u32> {
    Ok(u32::from_be_bytes(read_array(r)?))
}

/// `len` bytes, refused beyond `max` (what is needed is read, never more allocated).
fn read_bytes(
    r: &mut impl Read,
    len: usize,
    max: usize,
    what: &'static str,
) -> Result<Vec<u8>, ClientError> {
    if len > max {
        return Err(RfbError::TooLarge(what).into());
    }
    let mut b = vec![0; len];
    r.read_exact(&mut b)?;
    Ok(b)
}

fn read_string(r: &mut impl Read, what: &'static str) -> Result<String, ClientError> {
    let len = read_u32(r)? as usize;
    let bytes = read_bytes(r, len, MAX_STRING, what)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A black canvas, or an error when the size is beyond [`MAX_SIDE`] or cannot be had.
fn new_canvas(size: Size) -> Result<Canvas, RfbError> {
    if size.width > MAX_SIDE || size.height > MAX_SIDE {
        return Err(RfbError::TooLarge("the framebuffer"));
    }
    Canvas::try_new(size.width, size.height, Color::BLACK)
        .ok_or(RfbError::TooLarge("the framebuffer"))
}

impl<S: Read + Write> Client<S> {
    /// Connects: version 3.8, VNC Authentication with `password`, ClientInit (shared),
    /// ServerInit, then SetEncodings with `encodings`. A refusal is
    /// [`RfbError::Refused`] with the server's reason.
    pub fn connect(mut stream: S, password: &str, encodings: &[i32]) -> Result<Self, ClientError> {
        let version: [u8; 12] = read_array(&mut stream)?;
        if !version.starts_with(b"RFB 003.") {
            let text = String::from_utf8_lossy(&version).into_owned();
            return Err(RfbError::Version(text).into());
        }
        stream.write_all(b"RFB 003.008\n")?;
        let [count] = read_array(&mut stream)?;
        if count == 0 {
            let reason = read_string(&mut stream, "a reason")?;
            return Err(RfbError::Refused(reason).into());
        }
        let types = read_bytes(&mut stream, count.into(), 255, "security types")?;
        let vnc = SecurityType::VncAuth.code();
        if types.contains(&vnc) {
            stream.write_all(&[vnc])?;
            let challenge: [u8; 16] = read_array(&mut stream)?;
            stream.write_all(&vnc_response(&challenge, password))?;
        } else if types.contains(&1) {
            stream.write_all(&[1])?;
        } else {
            return Err(RfbError::Refused("no security type this client speaks".into()).into());
        }
        if read_u32(&mut stream)? != 0 {
            let reason = read_string(&mut stream, "a reason")?;
            return Err(RfbError::Refused(reason).into());
        }
        stream.write_all(&[1])?;
        let width = read_u16(&mut stream)?;
        let height = read_u16(&mut stream)?;
        let format = PixelFormat::parse(&read_array(&mut stream)?)?;
        let name = read_string(&mut stream, "the desktop name")?;
        let canvas = new_canvas(Size::new(width.into(), height.into()))?;
        let mut client = Client {
            stream,
            canvas,
            format,
            name,
            zrle: ZrleDecoder::new(),
            tight: crate::tight::TightDecoder::new(),
            cursor: None,
            out: Vec::new(),
        };
        client.send(&ClientMessage::SetEncodings(encodings.to_vec()))?;
        Ok(client)
    }

    /// Sends an Extended Clipboard message (the client must have listed
    /// [`crate::clipboard::EXTENDED_CLIPBOARD`]).
    pub fn ext_clipboard(
        &mut self,
        msg: &crate::clipboard::ExtClipboard,
    ) -> Result<(), ClientError> {
        self.out.clear();
        crate::clipboard::write(msg, false, &mut self.out);
        self.stream.write_all(&self.out)?;
        self.stream.flush()?;
        Ok(())
    }

    /// Sends any client message.
    pub fn send(&mut self, msg: &ClientMessage) -> Result<(), ClientError> {
        self.out.clear();
        msg.write(&mut self.out);
        self.stream.write_all(&self.out)?;
        self.stream.flush()?;
        Ok(())
    }

    /// Asks for pixels in `format` from now on.
    pub fn set_pixel_format(&mut self, format: PixelFormat) -> Result<(), ClientError> {
        self.send(&ClientMessage::SetPixelFormat(format))?;
        self.format = format;
        Ok(())
    }

    /// Asks for an update of `rect`.
    pub fn request_update(&mut self, incremental: bool, rect: Rect) -> Result<(), ClientError> {
        self.send(&ClientMessage::FramebufferUpdateRequest { incremental, rect })
    }

    /// A key pressed or released.
    pub fn key(&mut self, down: bool, keysym: u32) -> Result<(), ClientError> {
        self.send(&ClientMessage::KeyEvent { down, keysym })
    }

    /// The pointer.
    pub fn pointer(&mut self, buttons: u8, x: u16, y: u16) -> Result<(), ClientError> {
        self.send(&ClientMessage::PointerEvent { buttons, x, y })
    }

    /// The client's clipboard.
    pub fn cut_text(&mut self, text: &str) -> Result<(), ClientError> {
        self.send(&ClientMessage::ClientCutText(text.to_owned()))
    }

    /// The framebuffer as the client has it.
    pub fn canvas(&self) -> &Canvas {
        &self.canvas
    }

    /// The desktop's name from ServerInit.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pixel format updates come in.
    pub fn format(&self) -> &PixelFormat {
        &self.format
    }

    /// The cursor the server sent, if any.
    pub fn cursor(&self) -> Option<&CursorShape> {
        self.cursor.as_ref()
    }

    /// The stream.
    pub fn stream_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// Reads the next server message; an update is applied to [`Client::canvas`].
    pub fn read_message(&mut self) -> Result<ServerMessage, ClientError> {
        loop {
            let [kind] = read_array(&mut self.stream)?;
            let msg = match kind {
                0 => ServerMessage::Update(self.read_update()?),
                1 => {
                    // SetColourMapEntries: never asked for; skipped.
                    let [_pad] = read_array(&mut self.stream)?;
                    let _first = read_u16(&mut self.stream)?;
                    let count = usize::from(read_u16(&mut self.stream)?);
                    read_bytes(&mut self.stream, count * 6, 6 * 65535, "colours")?;
                    continue;
                }
                2 => ServerMessage::Bell,
                3 => {
                    let _pad: [u8; 3] = read_array(&mut self.stream)?;
                    let len = read_u32(&mut self.stream)? as i32;
                    let bytes = read_bytes(
                        &mut self.stream,
                        len.unsigned_abs() as usize,
                        MAX_CUT_TEXT,
                        "cut text",
                    )?;
                    // Latin-1 is the first 256 code points.
                    if len >= 0 {
                        ServerMessage::CutText(bytes.iter().map(|&c| char::from(c)).collect())
                    } else {
                        let flags = bytes
                            .get(..4)
                            .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                        let data = bytes.get(4..).unwrap_or_default();
                        ServerMessage::Clipboard(crate::clipboard::parse(flags, data)?)
                    }
                }
                150 => ServerMessage::EndOfContinuousUpdates,
                248 => {
                    let _pad: [u8; 3] = read_array(&mut self.stream)?;
                    let flags = read_u32(&mut self.stream)?;
                    let [len] = read_array(&mut self.stream)?;
                    let payload =
                        read_bytes(&mut self.stream, len.into(), MAX_FENCE_PAYLOAD, "a fence")?;
                    ServerMessage::Fence { flags, payload }
                }
                other => return Err(RfbError::UnknownServerMessage(other).into()),
            };
            return Ok(msg);
        }
    }

    fn read_update(&mut self) -> Result<Update, ClientError> {
        let [_pad] = read_array(&mut self.stream)?;
        let count = read_u16(&mut self.stream)?;
        let mut update = Update::default();
        for _ in 0..count {
            let mut input = Counting {
                inner: &mut self.stream,
                count: 0,
            };
            let header: [u8; 12] = read_array(&mut input)?;
            let at = |i: usize| u16::from_be_bytes([header[i], header[i + 1]]);
            let rect = Rect::new(at(0).into(), at(2).into(), at(4).into(), at(6).into());
            let kind = i32::from_be_bytes([header[8], header[9], header[10], header[11]]);
            let format = &self.format;
            let canvas = &mut self.canvas;
            match kind {
                encoding::RAW => raw::decode(&mut input, rect, format, canvas)?,
                encoding::HEXTILE => hextile::decode(&mut input, rect, format, canvas)?,
                encoding::ZRLE => self.zrle.decode(&mut input, rect, format, canvas)?,
                encoding::COPY_RECT => {
                    let (x, y) = (read_u16(&mut input)?, read_u16(&mut input)?);
                    let src = Rect::new(x.into(), y.into(), rect.width, rect.height);
                    raw::check_inside(rect, canvas)?;
                    raw::check_inside(src, canvas)?;
                    let bounds = canvas.bounds();
                    canvas.copy_within(src, Point::new(rect.x, rect.y), bounds);
                }
                encoding::TIGHT => self.tight.decode(&mut input, rect, format, canvas)?,
                encoding::DESKTOP_SIZE => {
                    resize(canvas, rect.size(), &mut update)?;
                }
                encoding::EXTENDED_DESKTOP_SIZE => {
                    let [screens, _, _, _] = read_array(&mut input)?;
                    read_bytes(&mut input, usize::from(screens) * 16, 255 * 16, "screens")?;
                    let (reason, status) = (rect.x as u16, rect.y as u16);
                    update.desktop.push((reason, status));
                    if status == 0 {
                        resize(canvas, rect.size(), &mut update)?;
                    }
                }
                encoding::QEMU_EXTENDED_KEY_EVENT => update.qemu_key = true,
                encoding::CURSOR => {
                    self.cursor = Some(read_cursor(&mut input, rect, format)?);
                    update.cursor = true;
                }
                encoding::LAST_RECT => {
                    update.add(kind, input.count);
                    break;
                }
                other => return Err(RfbError::UnsupportedEncoding(other).into()),
            }
            if matches!(
                kind,
                encoding::RAW
                    | encoding::HEXTILE
                    | encoding::ZRLE
                    | encoding::TIGHT
                    | encoding::COPY_RECT
            ) {
                update.rects.push(rect);
            }
            update.add(kind, input.count);
        }
        Ok(update)
    }
}

/// A new black framebuffer when the size changed (its contents are undefined after a resize).
fn resize(canvas: &mut Canvas, size: Size, update: &mut Update) -> Result<(), ClientError> {
    if size != canvas.size() {
        *canvas = new_canvas(size)?;
        update.resized = Some(size);
    }
    Ok(())
}

/// A Cursor pseudo-rectangle's pixels and mask.
fn read_cursor(
    input: &mut impl Read,
    rect: Rect,
    format: &PixelFormat,
) -> Result<CursorShape, ClientError> {
    if rect.width > MAX_CURSOR_SIDE || rect.height > MAX_CURSOR_SIDE {
        return Err(RfbError::TooLarge("the cursor").into());
    }
    let n = rect.size().area() as usize;
    let bpp = format.bytes_per_pixel();
    let bytes = read_bytes(input, n * bpp, n * bpp, "the cursor")?;
    let mask_len = rect.width.div_ceil(8) as usize * rect.height as usize;
    let mask = read_bytes(input, mask_len, mask_len, "the cursor mask")?;
    let pixels = bytes
        .chunks_exact(bpp)
        .map(|b| format.rgb(format.read(b)))
        .collect();
    Ok(CursorShape {
        hotspot: Point::new(rect.x, rect.y),
        size: rect.size(),
        pixels,
        mask,
    })
}
