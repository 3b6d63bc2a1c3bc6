//! The Extended Clipboard pseudo-encoding (`0xC0A1E5CE`): UTF-8 clipboard text, where plain
//! ServerCutText and ClientCutText carry Latin-1 alone.
//!
//! Once a client lists the pseudo-encoding, both sides may send cut-text messages with a
//! negative length: its absolute value is the length of what follows, a flags word and its
//! data. The flags' top byte says the action, the low 16 bits the formats (bit 0: text,
//! the only one here):
//!
//! ```text
//! caps     (1 << 24) | actions supported | formats, then a u32 size limit per format bit
//! request  (1 << 25) | formats wanted                     answered with provide
//! peek     (1 << 26)                                      answered with notify
//! notify   (1 << 27) | formats available now
//! provide  (1 << 28) | formats, then a zlib stream of, per format bit, u32 size + data
//! ```
//!
//! Text in a provide is UTF-8 with CRLF line ends and a terminating NUL. Each provide is a
//! zlib stream of its own. Decompression stops at [`crate::message::MAX_CUT_TEXT`] bytes, so
//! a small message cannot make the reader hold more than that.

use std::io::Write;

use crate::message::MAX_CUT_TEXT;
use crate::RfbError;

/// The pseudo-encoding's number.
pub const EXTENDED_CLIPBOARD: i32 = 0xC0A1_E5CE_u32 as i32;
/// caps: the actions and formats a side supports, with its size limits.
pub const CAPS: u32 = 1 << 24;
/// request: send the content of these formats (a provide).
pub const REQUEST: u32 = 1 << 25;
/// peek: say which formats there are (a notify).
pub const PEEK: u32 = 1 << 26;
/// notify: these formats are available.
pub const NOTIFY: u32 = 1 << 27;
/// provide: here is the content.
pub const PROVIDE: u32 = 1 << 28;
/// The text format (UTF-8).
pub const TEXT: u32 = 1;
/// The actions the server supports, as its caps say.
const ACTIONS: u32 = CAPS | REQUEST | PEEK | NOTIFY | PROVIDE;
/// The size of unsolicited text a peer accepts when its caps did not say (the spec's
/// default for text).
pub const DEFAULT_TEXT_LIMIT: u32 = 20 << 20;

/// An Extended Clipboard message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtClipboard {
    /// The sender's actions and formats; `text_limit` is the most unsolicited text it takes.
    Caps {
        /// Its flags (actions and formats).
        flags: u32,
        /// The size limit for text, when it supports text.
        text_limit: Option<u32>,
    },
    /// Send me these formats.
    Request {
        /// Format bits.
        formats: u32,
    },
    /// Which formats are there?
    Peek,
    /// These formats are available.
    Notify {
        /// Format bits.
        formats: u32,
    },
    /// The clipboard's text (`None`: the provide had no text).
    Provide {
        /// The text, with `\n` line ends.
        text: Option<String>,
    },
}

/// Reads a message from its flags word and the data after it.
pub fn parse(flags: u32, data: &[u8]) -> Result<ExtClipboard, RfbError> {
    let formats = flags & 0xffff;
    let bad = |why: &str| RfbError::Clipboard(why.to_owned());
    if flags & CAPS != 0 {
        let text_limit = if formats & TEXT != 0 {
            let bytes = data.get(..4).ok_or_else(|| bad("caps without its sizes"))?;
            Some(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
        } else {
            None
        };
        return Ok(ExtClipboard::Caps { flags, text_limit });
    }
    if flags & REQUEST != 0 {
        return Ok(ExtClipboard::Request { formats });
    }
    if flags & PEEK != 0 {
        return Ok(ExtClipboard::Peek);
    }
    if flags & NOTIFY != 0 {
        return Ok(ExtClipboard::Notify { formats });
    }
    if flags & PROVIDE == 0 {
        return Err(bad("no action"));
    }
    if formats & TEXT == 0 {
        return Ok(ExtClipboard::Provide { text: None });
    }
    // Text is the lowest format bit, so its record comes first in the stream.
    let inflated = inflate(data, MAX_CUT_TEXT + 4)
        .map_err(|e| bad(&format!("the zlib data is broken: {e}")))?;
    let size = inflated
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or_else(|| bad("provide without its text's size"))?;
    if size > MAX_CUT_TEXT {
        return Err(RfbError::CutTextTooLong(size as u64));
    }
    let bytes = inflated
        .get(4..4 + size)
        .ok_or_else(|| bad("provide shorter than its text's size"))?;
    let bytes = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    let text = String::from_utf8_lossy(bytes).replace("\r\n", "\n");
    Ok(ExtClipboard::Provide { text: Some(text) })
}

/// Inflates a provide's zlib stream, up to `limit` bytes out. The stream may end with a
/// sync flush rather than its final block: TigerVNC's viewer writes each provide so (a zlib
/// stream of its own, flushed, never finished), and the spec does not say otherwise.
fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>, flate2::DecompressError> {
    let mut z = flate2::Decompress::new(true);
    let mut out = Vec::new();
    loop {
        if out.len() == out.capacity() {
            if out.len() >= limit {
                break;
            }
            out.reserve(out.len().max(4096).min(limit - out.len()));
        }
        let (read, written) = (z.total_in(), out.len());
        // total_in counts what came from `data`: no more than its length.
        let rest = &data[read as usize..];
        let status = z.decompress_vec(rest, &mut out, flate2::FlushDecompress::Sync)?;
        let stuck = z.total_in() == read && out.len() == written;
        if status == flate2::Status::StreamEnd || stuck {
            break;
        }
    }
    out.truncate(limit);
    Ok(out)
}

/// Writes `msg` as a whole cut-text message: ServerCutText (3) from a server, ClientCutText
/// (6) from a client.
pub fn write(msg: &ExtClipboard, from_server: bool, out: &mut Vec<u8>) {
    let mut body = Vec::new();
    match msg {
        ExtClipboard::Caps { flags, text_limit } => {
            body.extend_from_slice(&flags.to_be_bytes());
            if let Some(limit) = text_limit {
                body.extend_from_slice(&limit.to_be_bytes());
            }
        }
        ExtClipboard::Request { formats } => {
            body.extend_from_slice(&(REQUEST | formats).to_be_bytes());
        }
        ExtClipboard::Peek => body.extend_from_slice(&PEEK.to_be_bytes()),
        ExtClipboard::Notify { formats } => {
            body.extend_from_slice(&(NOTIFY | formats).to_be_bytes());
        }
        ExtClipboard::Provide { text } => {
            let formats = if text.is_some() { TEXT } else { 0 };
            body.extend_from_slice(&(PROVIDE | formats).to_be_bytes());
            if let Some(text) = text {
                let mut utf8 = text.replace('\n', "\r\n").into_bytes();
                utf8.truncate(MAX_CUT_TEXT - 1);
                utf8.push(0);
                let mut record = (utf8.len() as u32).to_be_bytes().to_vec();
                record.extend_from_slice(&utf8);
                let mut z =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                // Writing to a Vec cannot fail.
                let _ = z.write_all(&record);
                body.extend_from_slice(&z.finish().unwrap_or_default());
            }
        }
    }
    out.extend_from_slice(&[if from_server { 3 } else { 6 }, 0, 0, 0]);
    out.extend_from_slice(&(-(body.len() as i32)).to_be_bytes());
    out.extend_from_slice(&body);
}

/// The server's caps: every action, text up to `limit` bytes.
pub fn server_caps(limit: u32) -> ExtClipboard {
    ExtClipboard::Caps {
        flags: ACTIONS | TEXT,
        text_limit: Some(limit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn round_trip(msg: ExtClipboard) -> ExtClipboard {
        let mut out = Vec::new();
        write(&msg, true, &mut out);
        assert_eq!(out[0], 3);
        let len = i32::from_be_bytes([out[4], out[5], out[6], out[7]]);
        assert!(len < 0);
        assert_eq!(len.unsigned_abs() as usize, out.len() - 8);
        let flags = u32::from_be_bytes([out[8], out[9], out[10], out[11]]);
        parse(flags, &out[12..]).expect("parses")
    }

    #[test]
    fn every_message_round_trips_and_text_is_utf8_with_crlf_on_the_wire() {
        for msg in [
            server_caps(1 << 20),
            ExtClipboard::Request { formats: TEXT },
            ExtClipboard::Peek,
            ExtClipboard::Notify { formats: TEXT },
            ExtClipboard::Provide { text: None },
            ExtClipboard::Provide {
                text: Some("grüße, €\nzweite Zeile".into()),
            },
        ] {
            assert_eq!(round_trip(msg.clone()), msg);
        }
        // What a provide's stream holds: size, CRLF text, NUL.
        let mut out = Vec::new();
        let text = Some("a\nb".to_owned());
        write(&ExtClipboard::Provide { text }, false, &mut out);
        let mut inflated = Vec::new();
        flate2::read::ZlibDecoder::new(&out[12..])
            .read_to_end(&mut inflated)
            .expect("zlib");
        assert_eq!(inflated, [0, 0, 0, 5, b'a', b'\r', b'\n', b'b', 0]);
    }

    #[test]
    fn a_provide_that_ends_with_a_sync_flush_reads_as_tigervncs_viewer_writes_it() {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&[0, 0, 0, 4, b'h', 0xc3, 0xa9, 0])
            .expect("write");
        z.flush().expect("a sync flush");
        let unfinished = z.get_ref().clone();
        assert_eq!(
            parse(PROVIDE | TEXT, &unfinished),
            Ok(ExtClipboard::Provide {
                text: Some("hé".into())
            })
        );
    }

    #[test]
    fn broken_and_lying_provides_are_errors() {
        assert!(parse(PROVIDE | TEXT, b"not zlib").is_err());
        let lying = {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            z.write_all(&[0, 0, 0, 200, b'x']).expect("write");
            z.finish().expect("finish")
        };
        assert!(parse(PROVIDE | TEXT, &lying).is_err());
        let huge = {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            z.write_all(&[0x7f, 0, 0, 0]).expect("write");
            z.write_all(&vec![b'x'; 2 << 20]).expect("write");
            z.finish().expect("finish")
        };
        assert_eq!(
            parse(PROVIDE | TEXT, &huge),
            Err(RfbError::CutTextTooLong(0x7f00_0000))
        );
        assert!(parse(CAPS | TEXT, &[]).is_err());
        assert!(parse(0, &[]).is_err());
    }
}
