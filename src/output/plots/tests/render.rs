//! Tests of rendering: errors name the file, base names keep their dots, and caller text is escaped in the SVG.

use super::super::fan::fan_chart;
use super::super::font::RASTER_TEXT;
use super::super::heat_map::heat_map;
use super::super::labels::ValueFormat;
use super::super::render::{with_kept_pixels, with_suffix};
use super::super::sweep_lines::{sweep_lines, Series};
use super::super::tornado::{tornado, TornadoBar};
use std::path::{Path, PathBuf};

#[test]
fn errors_name_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").expect("write");
    let e = fan_chart(blocker.join("fan"), "t", &[0.0], &[0.0], &[0.0], &[0.0], &[0.0], &[0.0]).unwrap_err();
    assert!(e.path.starts_with(&blocker));
    assert!(e.to_string().starts_with("cannot draw "), "{e}");
    assert!(
        !RASTER_TEXT.with(|r| r.get()),
        "glyph-by-glyph mode is reset after a failure"
    );
}

#[test]
fn base_names_with_dots_keep_them() {
    assert_eq!(
        with_suffix(Path::new("out/roi.council"), "png"),
        PathBuf::from("out/roi.council.png")
    );
}

#[test]
fn caller_text_is_escaped_in_the_svg() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evil = "<script>alert(1)</script> & co";
    let x = [1.0, 2.0];
    let series = [Series {
        label: evil.into(),
        x: &x,
        y: &x,
        band: None,
    }];
    let markers = [(1.5, evil.to_string())];
    let mut svgs = Vec::new();
    let p = sweep_lines(
        dir.path().join("s"),
        evil,
        evil,
        evil,
        ValueFormat::Number,
        &series,
        Some((1.0, evil)),
        &markers,
        evil,
    );
    svgs.push(p.expect("renders"));
    let z = [vec![1.0, 2.0]];
    let p = heat_map(
        dir.path().join("h"),
        evil,
        evil,
        evil,
        &x,
        &[1.0],
        &z,
        evil,
        ValueFormat::Number,
        None,
        evil,
    );
    svgs.push(p.expect("renders"));
    let bars = [TornadoBar {
        label: evil.into(),
        low_value: 1.0,
        high_value: 2.0,
        at_low: 0.5,
        at_high: 1.5,
    }];
    svgs.push(tornado(dir.path().join("t"), evil, evil, ValueFormat::Number, 1.0, &bars, evil).expect("renders"));
    for paths in svgs {
        let svg = std::fs::read_to_string(&paths[1]).expect("svg");
        assert!(!svg.contains("<script"), "{} has a raw script tag", paths[1].display());
        assert!(
            svg.contains("&lt;script&gt;"),
            "{} lacks the escaped text",
            paths[1].display()
        );
    }
}

#[test]
fn a_kept_bitmap_buffer_comes_back_zeroed_at_any_size() {
    // On a thread of its own, so that its kept buffer is this test's alone.
    std::thread::spawn(|| {
        for len in [300, 1200, 30, 1200, 0, 900] {
            with_kept_pixels(len, |pixels| {
                assert_eq!(pixels.len(), len);
                assert!(
                    pixels.iter().all(|&b| b == 0),
                    "a buffer of {len} bytes is handed over zeroed"
                );
                pixels.fill(0xAB);
            });
        }
        // A figure drawn meanwhile on the same thread gets a buffer of its own.
        with_kept_pixels(60, |outer| {
            outer.fill(1);
            with_kept_pixels(60, |inner| assert!(inner.iter().all(|&b| b == 0)));
            assert!(outer.iter().all(|&b| b == 1));
        });
    })
    .join()
    .expect("the test thread");
}

#[test]
fn a_figure_drawn_on_a_kept_buffer_is_the_figure_drawn_on_a_fresh_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let years = [1.0, 2.0, 3.0, 4.0];
    let p = |k: f64| years.map(|y| k * y);
    let fan = |name: &str| {
        let paths = fan_chart(
            dir.path().join(name),
            "fan",
            &years,
            &p(1.0),
            &p(2.0),
            &p(3.0),
            &p(4.0),
            &p(5.0),
        )
        .expect("draws");
        std::fs::read(&paths[0]).expect("the png")
    };
    // Each on a new thread: the first on a fresh buffer, the second on one another figure has drawn on.
    let fresh = std::thread::scope(|s| s.spawn(|| fan("fresh")).join().expect("draws"));
    let kept = std::thread::scope(|s| {
        s.spawn(|| {
            let z = [vec![1.0, 2.0], vec![3.0, 4.0]];
            let other = heat_map(
                dir.path().join("other"),
                "t",
                "x",
                "y",
                &[1.0, 2.0],
                &[1.0, 2.0],
                &z,
                "z",
                ValueFormat::Number,
                None,
                "note",
            );
            other.expect("draws");
            fan("kept")
        })
        .join()
        .expect("draws")
    });
    assert!(fresh == kept, "the same figure's PNG differs on a kept buffer");
}
