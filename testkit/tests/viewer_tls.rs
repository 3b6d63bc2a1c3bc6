//! The thin client over TLS (issue 13): through its emulated link, which carries the
//! encrypted bytes, its picture equals the server's screen in both modes, with the full
//! token and with the view-only one; the link never shows the token.

use std::time::{Duration, Instant};

use netui::transport::Stream;
use netui::{Color, Rect, ResourceId, Size};
use netui_protocol::{PixelEncoding, ViewMode};
use netui_testkit::golden::xrgb;
use netui_testkit::server::{TOKEN, VIEW_TOKEN};
use netui_testkit::TestDisplay;
use thin_client::link::LinkProfile;
use thin_client::net::Net;

#[test]
fn the_thin_client_watches_over_tls_with_either_token() {
    let server = TestDisplay::start_with_tcp(":tls", Size::new(320, 240));
    let mut app = server.connect("app");
    let w = app
        .create_window(Rect::new(30, 40, 200, 120), "seen over TLS", Color::WHITE)
        .expect("window");
    app.map(w);
    app.fill_rect(w, Rect::new(10, 10, 80, 40), Color::rgb(200, 60, 40));
    app.sync().expect("sync");
    let screen = xrgb(&app.get_image(ResourceId::ROOT, None).expect("screen").rgba);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let addr = server.server.tcp_addr().expect("tcp");
    for (token, mode) in [
        (TOKEN, ViewMode::Commands),
        (VIEW_TOKEN, ViewMode::Pixels(PixelEncoding::Tiles)),
    ] {
        let socket = std::net::TcpStream::connect(addr).expect("connects");
        let stream = Stream::Tls(socket, server.tls().expect("tls"));
        let profile = LinkProfile::parse("lan").expect("lan");
        let (display, link) = thin_client::connect::open_stream(
            &runtime,
            stream,
            Some(token.to_vec()),
            "tls",
            profile,
        )
        .expect("the thin client connects over TLS");
        let mut net = Net::start(display, link, mode).expect("attach");
        let start = Instant::now();
        while net.view.screen().pixels() != screen.as_slice() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{mode:?}: the viewer's picture never became the server's"
            );
            net.step(Duration::from_millis(50))
                .expect("the viewer runs");
        }
    }
}
