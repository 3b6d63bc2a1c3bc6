//! One end of a connection, without the I/O: what to do with the bytes as they arrive.
//!
//! Sockets, threads and runtimes stay with the callers (a tokio server, a blocking
//! application library, tools that hold a recorded stream); this module owns the parsing that
//! they all share, so that it is written, limited and tested once:
//! - [`FrameReader`] is fed bytes, as they come, and yields whole frames, each with its
//!   message bodies decoded by the stream's [`FrameDecoder`](crate::FrameDecoder).
//! - [`ClientHandshake`] and [`ServerHandshake`] are the first frame each way: the hello, its
//!   checks (magic, version, format), and the answer, a welcome or a refusal.
//!
//! Each is driven the same way, whatever the I/O: read into [`FrameReader::spare`] and say how
//! much with [`FrameReader::filled`] (or hand over bytes with [`FrameReader::feed`]), then ask
//! for what is whole. A frame that is not whole yet is `Ok(None)`, not an error.
//!
//! ```
//! use std::io::Read;
//! use netui_protocol::connection::{ClientHandshake, ServerHandshake};
//! use netui_protocol::frame::decode_request;
//! use netui_protocol::{BatchWriter, ClientHello, Compression, Request};
//! # use netui_protocol::{Limits, Size, Welcome, handshake::PixelFormat};
//! # let welcome = Welcome {
//! #     vendor: "doc".into(), client_id: 1, screen: Size::new(64, 48),
//! #     pixel_format: PixelFormat::Xrgb8888, id_base: 1 << 21, id_mask: (1 << 21) - 1,
//! #     limits: Limits::default(), fonts: None,
//! # };
//!
//! // The client says hello; the server reads it, however the bytes are cut.
//! let (mut client, hello) = ClientHandshake::new(&ClientHello::new("doc", None))?;
//! let mut server = ServerHandshake::new();
//! let mut wire: &[u8] = &hello;
//! let hello = loop {
//!     if let Some(hello) = server.poll().map_err(|refusal| refusal.to_string())? {
//!         break hello;
//!     }
//!     let n = wire.read(&mut server.spare()[..3])?; // three bytes a read, say
//!     server.filled(n);
//! };
//! assert_eq!(hello.client_name, "doc");
//!
//! // The server welcomes it and reads its requests with the same reader from now on.
//! let (answer, mut requests) = server.accept(welcome)?;
//! client.feed(&answer);
//! let welcome = client.poll()?.expect("a whole welcome");
//! let mut writer = BatchWriter::new(welcome.limits, Compression::Lz4Ctx);
//! writer.push(&Request::Sync)?;
//! requests.feed(&writer.take_frames());
//! let frame = requests.next_frame()?.expect("a whole frame");
//! for body in frame.bodies {
//!     assert_eq!(decode_request(body)?, Request::Sync);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod handshake;
mod reader;

pub use handshake::{check_client_hello, check_server_hello, ClientHandshake, ServerHandshake};
pub use reader::{Frame, FrameReader};
