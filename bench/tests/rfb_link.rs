//! A VNC viewer on an emulated link, end to end: the notepad workload typed over a 50 ms
//! link by netui-rfb's client on the server's RFB port. It finishes with the server's exact
//! screen (ZRLE is lossless), every key's latency is measured, and no latency is shorter than
//! the link's round trip, which no answer can beat.

use std::time::Duration;

use netui::Size;
use netui_bench::links::{self, Outcome};
use netui_bench::workload;
use thin_client::link::LinkProfile;

#[test]
fn a_vnc_viewer_types_over_a_slow_link_and_its_latency_is_sane() {
    let notepad = workload::all(true)
        .into_iter()
        .find(|w| w.name == "notepad")
        .expect("the notepad workload");
    let frames = 6;
    let link = LinkProfile::parse("10mbit,50ms").expect("a link");
    let job = links::Job {
        workload: notepad.name.clone(),
        app: notepad.app.at_most(frames),
        size: Size::new(480, 320),
        link: link.clone(),
        mode: links::rfb_modes(8)[0],
        cap: Duration::from_secs(5),
        transport: Default::default(),
    };
    assert_eq!(job.mode.name, "rfb-zrle");
    let r = links::run(&job).expect("the job runs");
    assert_eq!(r.outcome, Outcome::Finished, "{r:?}");
    assert_eq!(r.protocol, "rfb-zrle");
    assert!(r.psnr.is_none(), "lossless: {r:?}");
    // Every key after the first frame was answered by an update that reached the viewer.
    assert!(
        r.samples + 1 >= frames as usize,
        "{} samples for {frames} frames: {r:?}",
        r.samples
    );
    let (p50, p95, max) = r.latency.expect("latencies");
    let round_trip = 2.0 * link.delay.as_secs_f64() * 1000.0;
    assert!(
        p50 >= round_trip,
        "median {p50} ms under the {round_trip} ms round trip"
    );
    assert!(p50 <= p95 && p95 <= max, "{r:?}");
    assert!(r.frames > 0 && r.bytes_down > 0 && r.bytes_up > 0, "{r:?}");
}
