//! Every request kind: its sample, its opcode on the wire, its class, and its ids.

use super::*;
use crate::geometry::{Color, Point, Rect, Segment};

/// A request of each kind, with every [`ResourceId`] field taken from `ids` in field
/// order (a new variant must be added here: the match has no wildcard).
fn sample(kind: RequestKind, ids: &mut impl FnMut() -> ResourceId) -> Request {
    let rect = Rect::new(1, 2, 3, 4);
    let input = crate::InputEvent::PointerMoved(Point::new(5, 6));
    match kind {
        RequestKind::CreateWindow => Request::CreateWindow {
            id: ids(),
            rect,
            title: "t".into(),
            background: Color::WHITE,
        },
        RequestKind::MapWindow => Request::MapWindow { id: ids() },
        RequestKind::UnmapWindow => Request::UnmapWindow { id: ids() },
        RequestKind::ConfigureWindow => Request::ConfigureWindow { id: ids(), rect },
        RequestKind::SetTitle => Request::SetTitle {
            id: ids(),
            title: "t".into(),
        },
        RequestKind::DestroyWindow => Request::DestroyWindow { id: ids() },
        RequestKind::CreatePixmap => Request::CreatePixmap {
            id: ids(),
            width: 7,
            height: 8,
        },
        RequestKind::FreePixmap => Request::FreePixmap { id: ids() },
        RequestKind::FillRects => Request::FillRects {
            target: ids(),
            color: Color::RED,
            rects: vec![rect],
        },
        RequestKind::StrokeRects => Request::StrokeRects {
            target: ids(),
            color: Color::RED,
            width: 2,
            rects: vec![rect],
        },
        RequestKind::Lines => Request::Lines {
            target: ids(),
            color: Color::RED,
            width: 1,
            points: vec![Point::new(0, 0), Point::new(9, 9)],
        },
        RequestKind::Segments => Request::Segments {
            target: ids(),
            color: Color::RED,
            width: 1,
            segments: vec![Segment {
                a: Point::new(0, 0),
                b: Point::new(3, 3),
            }],
        },
        RequestKind::Ellipse => Request::Ellipse {
            target: ids(),
            color: Color::RED,
            rect,
            outline: Some(1),
        },
        RequestKind::Text => Request::Text {
            target: ids(),
            pos: Point::new(1, 1),
            font: Font::Mono,
            size: 12,
            color: Color::BLACK,
            text: "x".into(),
        },
        RequestKind::PutImage => Request::PutImage {
            target: ids(),
            rect: Rect::new(0, 0, 1, 1),
            format: ImageFormat::Rgb8,
            data: vec![1, 2, 3],
        },
        RequestKind::CopyArea => Request::CopyArea {
            src: ids(),
            dst: ids(),
            src_rect: rect,
            dst_pos: Point::new(9, 9),
        },
        RequestKind::Clear => Request::Clear {
            target: ids(),
            area: Some(rect),
        },
        RequestKind::SetClip => Request::SetClip {
            target: ids(),
            clip: None,
        },
        RequestKind::Present => Request::Present { window: ids() },
        RequestKind::Sync => Request::Sync,
        RequestKind::GetImage => Request::GetImage {
            source: ids(),
            area: None,
        },
        RequestKind::GetServerInfo => Request::GetServerInfo,
        RequestKind::SetWindowKind => Request::SetWindowKind {
            id: ids(),
            kind: WindowKind::Panel,
        },
        RequestKind::ActivateWindow => Request::ActivateWindow { id: ids() },
        RequestKind::WatchWindows => Request::WatchWindows,
        RequestKind::InjectInput => Request::InjectInput { input },
        RequestKind::AttachViewer => Request::AttachViewer {
            mode: crate::ViewMode::Commands,
        },
        RequestKind::ViewerInput => Request::ViewerInput { seq: 3, input },
        RequestKind::AckUpdate => Request::AckUpdate { update: 4 },
        RequestKind::ReportCosts => Request::ReportCosts {
            encoding: Some(crate::PixelEncoding::Tiles),
        },
        RequestKind::ClaimSelection => Request::ClaimSelection {
            selection: crate::Selection::Clipboard,
            types: vec![crate::selection::TEXT.into()],
            text: Some("copied".into()),
        },
        RequestKind::RequestSelection => Request::RequestSelection {
            selection: crate::Selection::Primary,
            mime: crate::selection::PNG.into(),
            transfer: 5,
        },
        RequestKind::SendSelection => Request::SendSelection {
            transfer: 6,
            data: b"chunk".to_vec(),
            more: true,
        },
        RequestKind::RefuseSelection => Request::RefuseSelection { transfer: 7 },
        RequestKind::WatchSelections => Request::WatchSelections,
    }
}

/// Ids counting up from `first`.
fn ids_from(first: u32) -> impl FnMut() -> ResourceId {
    let mut next = first;
    move || {
        next += 1;
        ResourceId(next - 1)
    }
}

#[test]
fn map_ids_rewrites_every_id_of_every_variant() {
    const OLD: u32 = 0x20_0001;
    const NEW: u32 = 0x60_0001;
    for kind in RequestKind::ALL {
        let mut request = sample(kind, &mut ids_from(OLD));
        assert_eq!(request.kind(), kind);
        let mut seen = Vec::new();
        request.map_ids(|id| {
            seen.push(id.0);
            ResourceId(id.0 - OLD + NEW)
        });
        // Every id the sample holds was visited once, in field order...
        let held = seen.len() as u32;
        assert_eq!(seen, (OLD..OLD + held).collect::<Vec<_>>(), "{kind}");
        // ...and none was left out: the result is the sample built from the new ids.
        assert_eq!(request, sample(kind, &mut ids_from(NEW)), "{kind}");
    }
}

#[test]
fn the_kind_of_a_request_is_its_index_on_the_wire() {
    for kind in RequestKind::ALL {
        let request = sample(kind, &mut ids_from(1));
        let bytes = postcard::to_stdvec(&request).expect("encodes");
        // Postcard writes the variant's index first, as a varint: one byte below 128.
        assert_eq!(u32::from(bytes[0]), kind.opcode(), "{kind}");
        assert_eq!(RequestKind::from_opcode(kind.opcode()), Some(kind));
    }
    assert_eq!(
        RequestKind::from_opcode(RequestKind::ALL.len() as u32),
        None
    );
}

#[test]
fn only_scene_requests_name_resources_to_draw_into_and_only_connection_ones_get_replies() {
    for kind in RequestKind::ALL {
        let request = sample(kind, &mut ids_from(1));
        if request.expects_reply() {
            assert_eq!(kind.class(), RequestClass::Connection, "{kind}");
        }
        let mut ids = 0;
        request.clone().map_ids(|id| {
            ids += 1;
            id
        });
        // GetImage reads any drawable; every other request with ids changes the scene.
        if ids > 0 && kind != RequestKind::GetImage {
            assert_eq!(kind.class(), RequestClass::Scene, "{kind}");
        }
    }
    assert_eq!(RequestKind::InjectInput.class(), RequestClass::Input);
    assert_eq!(
        Request::AckUpdate { update: 1 }.class(),
        RequestClass::Viewer
    );
    assert_eq!(RequestKind::ViewerInput.class(), RequestClass::ViewerInput);
    assert_eq!(RequestKind::SendSelection.class(), RequestClass::Selection);
}

#[test]
fn map_ids_hands_the_root_and_other_clients_ids_to_f() {
    let mut request = Request::CopyArea {
        src: ResourceId::ROOT,
        dst: ResourceId(0x40_0003),
        src_rect: Rect::new(0, 0, 1, 1),
        dst_pos: Point::new(0, 0),
    };
    let mut seen = Vec::new();
    request.map_ids(|id| {
        seen.push(id);
        id
    });
    assert_eq!(seen, [ResourceId::ROOT, ResourceId(0x40_0003)]);
}

#[test]
fn a_borrowed_image_serializes_to_the_bytes_of_its_request() {
    for (format, data) in [
        (ImageFormat::Rgba8, vec![]),
        (ImageFormat::Rgb8, (0..300).map(|i| i as u8).collect()),
        (ImageFormat::Rgb8Gradient, vec![1, 2, 3]),
    ] {
        let (target, rect) = (ResourceId(0x20_0001), Rect::new(-5, 7, 10, 10));
        let owned = Request::PutImage {
            target,
            rect,
            format,
            data: data.clone(),
        };
        let borrowed = PutImageRef {
            target,
            rect,
            format,
            data: &data,
        };
        assert_eq!(
            postcard::to_stdvec(&borrowed).unwrap(),
            postcard::to_stdvec(&owned).unwrap()
        );
    }
}
