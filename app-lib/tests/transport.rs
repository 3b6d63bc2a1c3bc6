//! A display over a transport whose stream cannot be cloned: an in-memory pipe (tokio's
//! duplex stream), whose far end a task joins to a real headless server's socket, as a TLS or
//! WebSocket layer would sit between the two. Drawing, replies, errors that name their
//! request, events (blocking, with a deadline and async) and the shutdown all work over it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::{Duration, Instant};

use netui::transport::Transport;
use netui::{Color, Compression, Display, Event, Rect, ResourceId, Size, ViewMode, Viewer};
use netui_protocol::connection::ClientHandshake;
use netui_protocol::ClientHello;
use netui_testkit::golden::pixel;
use netui_testkit::TestDisplay;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// A transport of one [`DuplexStream`]: the connection gets one end, and a task of the
/// connection's runtime copies between the other end and the server's socket, counting the
/// bytes that go up.
struct Piped {
    socket: PathBuf,
    up: Arc<AtomicU64>,
}

impl Transport for Piped {
    type Io = DuplexStream;

    async fn open(self) -> std::io::Result<DuplexStream> {
        let server = tokio::net::UnixStream::connect(&self.socket).await?;
        // Small, so that a big batch crosses the pipe in many pieces.
        let (near, far) = tokio::io::duplex(4096);
        let (mut far_read, mut far_write) = tokio::io::split(far);
        let (mut server_read, mut server_write) = server.into_split();
        let up = self.up;
        tokio::spawn(async move {
            let mut buf = vec![0; 4096];
            while let Ok(n @ 1..) = far_read.read(&mut buf).await {
                up.fetch_add(n as u64, Ordering::Relaxed);
                if server_write.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
            let _ = server_write.shutdown().await;
        });
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut server_read, &mut far_write).await;
            let _ = far_write.shutdown().await;
        });
        Ok(near)
    }
}

fn piped(server: &TestDisplay, name: &str, compression: Compression) -> (Display, Arc<AtomicU64>) {
    let up = Arc::new(AtomicU64::new(0));
    let transport = Piped {
        socket: server.socket().to_owned(),
        up: Arc::clone(&up),
    };
    let display = Display::connect_stream_with(transport, None, ":test".into(), name, compression)
        .expect("connects over the pipe");
    (display, up)
}

#[test]
fn drawing_replies_and_events_work_over_a_stream_that_cannot_be_cloned() {
    let server = TestDisplay::start(":test", Size::new(320, 240));
    let (mut d, up) = piped(&server, "piped", Compression::Lz4Ctx);
    assert_eq!(
        d.stats().round_trips,
        1,
        "one round trip before the first frame"
    );
    let w = d
        .create_window(Rect::new(10, 40, 50, 40), "piped", Color::WHITE)
        .expect("window");
    d.map(w);
    // Events, blocking.
    assert_eq!(
        d.wait_event().expect("event"),
        Event::Expose {
            window: w.0,
            area: Rect::new(0, 0, 50, 40)
        }
    );
    d.fill_rect(w, Rect::new(0, 0, 20, 10), Color::RED);
    // A batch far larger than the pipe. Opaque, so that the pixmap holds exactly these bytes
    // (alpha would blend).
    let noise: Vec<u8> = (0..200 * 200 * 4)
        .map(|i| if i % 4 == 3 { 255 } else { (i * 7 % 251) as u8 })
        .collect();
    let pixmap = d.create_pixmap(netui::Size::new(200, 200)).expect("pixmap");
    d.put_image(
        pixmap,
        Rect::new(0, 0, 200, 200),
        netui::ImageFormat::Rgba8,
        &noise,
    );
    d.present(w).expect("present");
    // Replies.
    d.sync().expect("sync");
    let image = d.get_image(w, None).expect("get_image");
    assert_eq!(pixel(&image.rgba, 50, 5, 5), [255, 0, 0, 255]);
    assert_eq!(pixel(&image.rgba, 50, 30, 30), [255, 255, 255, 255]);
    let back = d.get_image(pixmap, None).expect("get_image");
    assert!(back.rgba == noise, "the image did not cross the pipe whole");
    // Errors name the request that failed.
    d.fill_rect(ResourceId(0x7fff_fff0), Rect::new(0, 0, 1, 1), Color::RED);
    let err = d.sync().expect_err("a window of nobody");
    assert!(err.to_string().contains("FillRects (request #"), "{err}");
    // Events with a deadline, and none when nothing happens.
    d.configure(w, Rect::new(5, 5, 60, 40));
    let mut configured = false;
    while let Some(event) = d.wait_event_timeout(Duration::from_secs(5)).expect("event") {
        if let Event::Configure { rect, .. } = event {
            assert_eq!(rect, Rect::new(5, 5, 60, 40));
            configured = true;
            break;
        }
    }
    assert!(configured, "no Configure event");
    while d.poll_event().is_some() {}
    assert_eq!(
        d.wait_event_timeout(Duration::from_millis(50))
            .expect("no error"),
        None
    );
    // Every byte went through the pipe: the hello, then the frames that the stats count.
    let hello = ClientHello::new("piped", None).with_compression(Compression::Lz4Ctx);
    let (_, hello) = ClientHandshake::new(&hello).expect("hello");
    assert_eq!(
        up.load(Ordering::Relaxed),
        hello.len() as u64 + d.stats().wire_bytes
    );
}

#[test]
fn async_events_work_over_the_pipe() {
    let server = TestDisplay::start(":test", Size::new(320, 240));
    let (mut d, _) = piped(&server, "piped-async", Compression::Lz4);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let w = d
            .create_window(Rect::new(10, 40, 20, 20), "a", Color::WHITE)
            .expect("window");
        d.map(w);
        let event = d.next_event().await.expect("event");
        assert!(matches!(event, Event::Expose { .. }), "{event:?}");
        let event = tokio::time::timeout(Duration::from_secs(5), d.next_event())
            .await
            .expect("in time")
            .expect("event");
        assert_eq!(event, Event::FocusIn { window: w.0 });
    });
}

#[test]
fn a_viewer_works_over_the_pipe() {
    let server = TestDisplay::start(":test", Size::new(320, 240));
    let (display, _) = piped(&server, "piped-viewer", Compression::Lz4);
    let mut viewer = Viewer::from(display);
    viewer.attach_viewer(ViewMode::Commands).expect("attach");
    let first = viewer
        .wait_view(Duration::from_secs(5))
        .expect("view")
        .expect("a first message");
    assert!(
        matches!(first, netui::ViewMessage::Start { .. }),
        "{first:?}"
    );
    viewer.sync().expect("the server took the requests");
}

#[test]
fn when_the_server_goes_waiters_hear_it_and_the_viewer_messages_end() {
    let server = TestDisplay::start(":test", Size::new(320, 240));
    let (display, _) = piped(&server, "left-behind", Compression::Lz4);
    let mut viewer = Viewer::from(display);
    let views = viewer.take_views();
    viewer.attach_viewer(ViewMode::Commands).expect("attach");
    let TestDisplay {
        server: handle,
        dir: _dir,
        ..
    } = server;
    handle.stop();
    // A thread that follows the viewer messages sees their end, while the viewer lives on.
    let start = Instant::now();
    loop {
        match views.recv_timeout(Duration::from_secs(1)) {
            Ok(_) => {}
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                assert!(start.elapsed() < Duration::from_secs(10), "no end")
            }
        }
    }
    let err = viewer.sync().expect_err("the server is gone");
    assert!(matches!(err, netui::Error::Disconnected(_)), "{err:?}");
    let err = viewer
        .display_mut()
        .wait_event()
        .expect_err("no more events");
    assert!(matches!(err, netui::Error::Disconnected(_)), "{err:?}");
}

#[test]
fn dropping_the_display_closes_the_connection_through_the_pipe() {
    let server = TestDisplay::start(":test", Size::new(320, 240));
    let mut observer = server.connect("observer");
    let (mut d, _) = piped(&server, "leaving", Compression::Lz4);
    let w = d
        .create_window(Rect::new(0, 0, 10, 10), "leaving", Color::WHITE)
        .expect("window");
    d.map(w);
    drop(d);
    let named = |observer: &mut Display| {
        let info = observer.server_info().expect("info");
        info.clients.iter().any(|c| c.name == "leaving")
    };
    let start = Instant::now();
    while named(&mut observer) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the server still lists the client"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A transport that fails to open, as a TLS handshake with the wrong certificate would.
struct Refusing;

impl Transport for Refusing {
    type Io = DuplexStream;

    async fn open(self) -> std::io::Result<DuplexStream> {
        Err(std::io::Error::other(
            "the certificate is not the pinned one",
        ))
    }
}

#[test]
fn a_transport_that_fails_to_open_says_so() {
    let err = Display::connect_stream(Refusing, None, "remote:1".into(), "app")
        .expect_err("no connection");
    assert!(matches!(err, netui::Error::Transport { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("remote:1") && text.contains("pinned"),
        "{text}"
    );
}
