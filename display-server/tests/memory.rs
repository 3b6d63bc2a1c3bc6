//! The memory of departed clients is asked back once, after they have stopped leaving
//! (`display-server/src/memory.rs`): a real server, clients that connect, draw and leave.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use netui::{Color, Rect, Size};
use netui_display_server::memory;
use netui_testkit::TestDisplay;

/// How often the release ran.
static RELEASES: AtomicUsize = AtomicUsize::new(0);

fn release() -> bool {
    RELEASES.fetch_add(1, Ordering::SeqCst);
    true
}

#[test]
fn memory_is_asked_back_once_after_a_burst_of_departures() {
    memory::release_with(release).expect("the memory thread starts");
    let server = TestDisplay::start(":memory", Size::new(320, 240));
    let mut clients: Vec<_> = (0..5)
        .map(|i| server.connect(&format!("app {i}")))
        .collect();
    for d in &mut clients {
        let w = d
            .create_window(Rect::new(10, 10, 100, 80), "app", Color::WHITE)
            .expect("window");
        d.map(w);
        d.sync().expect("sync");
    }
    std::thread::sleep(memory::QUIET * 2);
    assert_eq!(
        RELEASES.load(Ordering::SeqCst),
        0,
        "nothing is released while no client has left"
    );

    drop(clients);
    let start = Instant::now();
    while RELEASES.load(Ordering::SeqCst) == 0 {
        assert!(
            start.elapsed() < memory::MOST + Duration::from_secs(5),
            "the memory was never asked back"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The five departures came together: one release, not five.
    std::thread::sleep(memory::QUIET * 2);
    assert_eq!(RELEASES.load(Ordering::SeqCst), 1);
}
