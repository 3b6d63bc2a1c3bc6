//! The link shaper between real byte streams: bytes arrive whole and in order, a slow link takes
//! its time, a delay holds bytes back, the directions do not wait for each other, a slow link
//! pushes back on its sender, and closing either side ends the link.
//!
//! Timings are measured on a noisy machine: every bound is at least twice what the link needs.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use thin_client::link::{spawn_shaped, LinkProfile, LinkStats};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::task::JoinHandle;

/// A running link and the test's ends of it.
struct Link {
    /// Plays the display server.
    server: DuplexStream,
    /// Plays the viewer's connection library.
    viewer: DuplexStream,
    stats: Arc<LinkStats>,
    task: JoinHandle<()>,
}

fn start(profile: &str) -> Link {
    let profile = LinkProfile::parse(profile).unwrap();
    let (server, link_server) = tokio::io::duplex(64 * 1024);
    let (viewer, link_viewer) = tokio::io::duplex(64 * 1024);
    let stats = Arc::new(LinkStats::default());
    let task = spawn_shaped(link_server, link_viewer, profile, stats.clone());
    Link {
        server,
        viewer,
        stats,
        task,
    }
}

/// Bytes that show a reordering, a loss or a duplication.
fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect()
}

/// Sends a few MB each way at once, each side closing when done, and checks what came out.
async fn carries_both_ways_intact(profile: &str) {
    const LEN: usize = 3 * 1024 * 1024 + 7;
    let link = start(profile);
    let down = pattern(LEN, 1);
    let up = pattern(LEN, 2);
    let (mut server_read, mut server_write) = tokio::io::split(link.server);
    let (mut viewer_read, mut viewer_write) = tokio::io::split(link.viewer);
    let sent_down = down.clone();
    let send_down = tokio::spawn(async move {
        server_write.write_all(&sent_down).await.unwrap();
        server_write.shutdown().await.unwrap();
    });
    let sent_up = up.clone();
    let send_up = tokio::spawn(async move {
        viewer_write.write_all(&sent_up).await.unwrap();
        viewer_write.shutdown().await.unwrap();
    });
    let receive_up = tokio::spawn(async move {
        let mut got = Vec::new();
        server_read.read_to_end(&mut got).await.unwrap();
        got
    });
    let mut got_down = Vec::new();
    viewer_read.read_to_end(&mut got_down).await.unwrap();
    let got_up = receive_up.await.unwrap();
    send_down.await.unwrap();
    send_up.await.unwrap();

    assert!(got_down == down, "downstream bytes differ");
    assert!(got_up == up, "upstream bytes differ");
    tokio::time::timeout(Duration::from_secs(5), link.task)
        .await
        .expect("the link ends when both sides have closed")
        .unwrap();
    assert_eq!(link.stats.down.load(Ordering::Relaxed), LEN as u64);
    assert_eq!(link.stats.up.load(Ordering::Relaxed), LEN as u64);
    assert_eq!(link.stats.queued_down.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn unlimited_link_carries_megabytes_both_ways_intact() {
    carries_both_ways_intact("unlimited").await;
}

#[tokio::test]
async fn shaped_link_carries_megabytes_both_ways_intact() {
    // 3 MB at 12.5 MB/s: a quarter of a second each way, in 16 KiB chunks.
    carries_both_ways_intact("100mbit,1ms").await;
}

#[tokio::test]
async fn one_mbit_link_takes_its_time_for_100_kb() {
    const LEN: usize = 100_000;
    let mut link = start("1mbit,0ms");
    let began = Instant::now();
    let mut server = link.server;
    let send = tokio::spawn(async move {
        server.write_all(&pattern(LEN, 3)).await.unwrap();
        server
    });
    let mut got = vec![0; LEN];
    link.viewer.read_exact(&mut got).await.unwrap();
    let took = began.elapsed();
    send.await.unwrap();
    assert_eq!(got, pattern(LEN, 3));
    // 800 kbit at 1 Mbit/s.
    assert!(took >= Duration::from_millis(800), "took {took:?}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

#[tokio::test]
async fn delay_holds_back_a_single_byte_each_way() {
    let mut link = start("wan");
    let mut byte = [0];

    let began = Instant::now();
    link.server.write_all(b"d").await.unwrap();
    link.viewer.read_exact(&mut byte).await.unwrap();
    let down = began.elapsed();
    assert_eq!(&byte, b"d");

    let began = Instant::now();
    link.viewer.write_all(b"u").await.unwrap();
    link.server.read_exact(&mut byte).await.unwrap();
    let up = began.elapsed();
    assert_eq!(&byte, b"u");

    for took in [down, up] {
        assert!(took >= Duration::from_millis(50), "took {took:?}");
        assert!(took < Duration::from_secs(1), "took {took:?}");
    }
}

#[tokio::test]
async fn upstream_input_does_not_wait_behind_downstream_pixels() {
    let link = start("1mbit,20ms");
    let (mut server_read, mut server_write) = tokio::io::split(link.server);
    let (mut viewer_read, mut viewer_write) = tokio::io::split(link.viewer);
    // 1 MB down takes 8 s; the viewer reads it as it comes.
    let pixels = tokio::spawn(async move {
        let _ = server_write.write_all(&pattern(1 << 20, 4)).await;
    });
    let drain = tokio::spawn(async move {
        let mut sink = vec![0; 64 * 1024];
        while let Ok(n @ 1..) = viewer_read.read(&mut sink).await {
            let _ = n;
        }
    });
    // Let the downstream queue fill: its limit (64 KiB) is half a second at 1 Mbit/s.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(link.stats.queued_down.load(Ordering::Relaxed) > 16 * 1024);

    let began = Instant::now();
    viewer_write.write_all(b"k").await.unwrap();
    let mut byte = [0];
    server_read.read_exact(&mut byte).await.unwrap();
    let took = began.elapsed();
    assert_eq!(&byte, b"k");
    // The link needs 20 ms; behind the downstream queue it would be more than 300 ms.
    assert!(took >= Duration::from_millis(20), "took {took:?}");
    assert!(took < Duration::from_millis(250), "took {took:?}");

    link.task.abort();
    pixels.abort();
    drain.abort();
}

#[tokio::test]
async fn slow_link_pushes_back_on_the_sender() {
    let mut link = start("modem");
    let limit = LinkProfile::parse("modem").unwrap().in_flight_limit() as u64;
    // The viewer reads nothing.
    let big = pattern(10 << 20, 5);
    let write = tokio::time::timeout(Duration::from_millis(500), link.server.write_all(&big));
    assert!(
        write.await.is_err(),
        "a 10 MB write through a modem finished within 500 ms"
    );
    let queued = link.stats.queued_down.load(Ordering::Relaxed);
    assert!(queued > 0, "nothing queued");
    assert!(queued <= limit, "{queued} bytes queued, over {limit}");
    // Half a second at 7 kB/s, at most.
    assert!(link.stats.down.load(Ordering::Relaxed) <= 4_000);
    link.task.abort();
}

#[tokio::test]
async fn closing_the_server_closes_the_viewer_and_ends_the_link() {
    let mut link = start("wan");
    link.server.write_all(b"bye").await.unwrap();
    drop(link.server);
    // What was sent still arrives, then the end.
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(2), link.viewer.read_to_end(&mut got))
        .await
        .expect("the viewer sees the end")
        .unwrap();
    assert_eq!(got, b"bye");
    drop(link.viewer);
    tokio::time::timeout(Duration::from_secs(2), link.task)
        .await
        .expect("the link ends when both sides have closed")
        .unwrap();
}

#[tokio::test]
async fn closing_the_viewer_closes_the_server_and_ends_the_link() {
    let mut link = start("wan");
    link.viewer.write_all(b"bye").await.unwrap();
    drop(link.viewer);
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(2), link.server.read_to_end(&mut got))
        .await
        .expect("the server sees the end")
        .unwrap();
    assert_eq!(got, b"bye");
    drop(link.server);
    tokio::time::timeout(Duration::from_secs(2), link.task)
        .await
        .expect("the link ends when both sides have closed")
        .unwrap();
}

#[tokio::test]
async fn carries_a_blocking_unix_socket_as_the_thin_client_does() {
    // The thin client's shape: a socket to the server, and a socket pair whose blocking end goes
    // to the connection library on a thread of its own.
    let (mut server, link_server) = tokio::net::UnixStream::pair().unwrap();
    let (library_end, link_viewer) = std::os::unix::net::UnixStream::pair().unwrap();
    link_viewer.set_nonblocking(true).unwrap();
    let link_viewer = tokio::net::UnixStream::from_std(link_viewer).unwrap();
    let stats = Arc::new(LinkStats::default());
    let profile = LinkProfile::parse("broadband").unwrap();
    let task = spawn_shaped(link_server, link_viewer, profile, stats.clone());

    let library = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let mut socket = library_end;
        socket.write_all(b"hello").unwrap();
        let mut reply = [0; 5];
        socket.read_exact(&mut reply).unwrap();
        reply
    });
    let mut request = [0; 5];
    server.read_exact(&mut request).await.unwrap();
    assert_eq!(&request, b"hello");
    server.write_all(b"world").await.unwrap();
    drop(server);

    let reply = tokio::task::spawn_blocking(move || library.join().unwrap())
        .await
        .unwrap();
    assert_eq!(&reply, b"world");
    tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .expect("the link ends when both sides have closed")
        .unwrap();
    assert_eq!(stats.down.load(Ordering::Relaxed), 5);
    assert_eq!(stats.up.load(Ordering::Relaxed), 5);
}
