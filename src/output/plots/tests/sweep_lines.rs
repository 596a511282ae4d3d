//! Tests of the sweep lines.

use super::super::labels::ValueFormat;
use super::super::render::{HEIGHT, WIDTH};
use super::super::sweep_lines::{robust_range, sweep_lines, Series, SweepFigure};
use super::{check_usual_outputs as check_outputs, draw_both_usual as draw_both, ink, raster};
use std::path::{Path, PathBuf};

/// BCR of two arms against the weekly cost of home care, with 95% bands.
fn bcr_sweep() -> (Vec<f64>, [[Vec<f64>; 3]; 2]) {
    let x: Vec<f64> = (0..=20).map(|i| 80.0 + 2.0 * f64::from(i)).collect();
    let arm = |a: f64, b: f64, w: f64| {
        let mid: Vec<f64> = x.iter().map(|c| a + b * (c - 80.0)).collect();
        let lo = mid.iter().map(|m| m - w * m).collect();
        let hi = mid.iter().map(|m| m + 1.3 * w * m).collect();
        [lo, mid, hi]
    };
    (x.clone(), [arm(0.78, 0.012, 0.35), arm(0.55, 0.006, 0.25)])
}

/// Writes the example sweep: BCR of two arms against the cost of home care, with break-even and two markers.
pub(super) fn sweep_example(dir: &Path) -> Vec<PathBuf> {
    let (x, [a, b]) = bcr_sweep();
    let series = [
        Series {
            label: "Reablement vs usual care".into(),
            x: &x,
            y: &a[1],
            band: Some((&a[0], &a[2])),
        },
        Series {
            label: "Telecare vs usual care".into(),
            x: &x,
            y: &b[1],
            band: Some((&b[0], &b[2])),
        },
    ];
    sweep_lines(
        dir.join("sweep"),
        "Benefit–cost ratio as the cost of home care varies",
        "Home care cost (£ per week)",
        "£ back per £1 spent (council)",
        ValueFormat::PerPound,
        &series,
        Some((1.0, "break-even: £1 back per £1")),
        &[
            (98.3, "reablement breaks even at £98.30".to_string()),
            (100.0, "base case £100".to_string()),
        ],
        "Lines: median of 10,000 iterations at each cost; shaded: 2.5th–97.5th percentile.",
    )
    .expect("renders")
}

#[test]
fn sweep_lines_render_png_and_svg() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = sweep_example(dir.path());
    check_outputs(
        &paths,
        &dir.path().join("sweep"),
        &[
            "Benefit–cost ratio as the cost of home care varies",
            "Home care cost (£ per week)",
            "£ back per £1 spent (council)",
            "break-even: £1 back per £1",
            "reablement breaks even at £98.30",
            "£1.00",
            "Telecare vs usual care",
            "(see note)",
        ],
    );
    let (x, [a, _]) = bcr_sweep();
    let series = [Series {
        label: "A".into(),
        x: &x,
        y: &a[1],
        band: Some((&a[0], &a[2])),
    }];
    let fig = SweepFigure::new(
        "t",
        "x",
        "y",
        ValueFormat::PerPound,
        &series,
        Some((1.0, "even")),
        &[],
        "",
    );
    assert!(fig.y.contains(1.0), "break-even near the data is on the chart");
    let buf = raster(&fig, (WIDTH, HEIGHT));
    assert!(
        ink(&buf, WIDTH, (200, 200, 1100, 650)) > 0.1,
        "the band and line are drawn"
    );
}

#[test]
fn sweep_lines_edge_cases_draw() {
    // Nothing at all.
    let svg = draw_both(&SweepFigure::new(
        "Empty",
        "x",
        "y",
        ValueFormat::Money,
        &[],
        None,
        &[],
        "",
    ));
    assert!(svg.contains("nothing to show"));
    // One x value: a point and an error bar, not lines.
    let one = [Series {
        label: "One".into(),
        x: &[100.0],
        y: &[1.2],
        band: Some((&[0.9], &[1.5])),
    }];
    let fig = SweepFigure::new(
        "One",
        "x",
        "y",
        ValueFormat::PerPound,
        &one,
        Some((1.0, "even")),
        &[],
        "",
    );
    assert!(fig.x.lo < 100.0 && fig.x.hi > 100.0);
    draw_both(&fig);
    // All equal, NaN holes, ragged lengths, unsorted x, a reference far away and markers off the chart.
    let x = [3.0, 1.0, 2.0, f64::NAN, 4.0, 5.0];
    let y = [5.0, 5.0, f64::NAN, 5.0, 5.0];
    let flat = [Series {
        label: String::new(),
        x: &x,
        y: &y,
        band: Some((&y, &[f64::INFINITY])),
    }];
    let markers = [
        (f64::NAN, "nan".to_string()),
        (1e9, "far".to_string()),
        (2.5, String::new()),
    ];
    let fig = SweepFigure::new(
        "Flat",
        "x",
        "y",
        ValueFormat::Number,
        &flat,
        Some((-1e6, "zero")),
        &markers,
        "",
    );
    assert!(fig.y.hi > fig.y.lo && fig.reference.is_none() && fig.markers.len() == 1);
    let svg = draw_both(&fig);
    assert!(
        svg.contains("Off the chart: zero (−1,000,000); far (1,000,000,000)."),
        "off-chart items named"
    );
    assert!(svg.contains("skipped") && svg.contains("(unnamed series)"));
    // Probabilities read 0–100% whatever the data.
    let p = [Series {
        label: "P".into(),
        x: &[0.0, 1.0],
        y: &[0.4, 0.45],
        band: None,
    }];
    let fig = SweepFigure::new("P", "x", "y", ValueFormat::Probability, &p, None, &[], "");
    assert!(fig.y.contains(0.0) && fig.y.contains(1.0));
    assert!(draw_both(&fig).contains("100%"));
    // Every value NaN.
    let nan = [Series {
        label: "NaN".into(),
        x: &[1.0, 2.0],
        y: &[f64::NAN, f64::NAN],
        band: None,
    }];
    assert!(draw_both(&SweepFigure::new(
        "N",
        "x",
        "y",
        ValueFormat::Money,
        &nan,
        None,
        &[],
        ""
    ))
    .contains("nothing to show"));
}

#[test]
fn a_line_near_an_asymptote_is_cut_to_the_range_of_the_rest_and_a_straight_line_is_not() {
    // y = 1/x at x = 1..=100, sorted ascending, holds 1/(100 − i) at index i: the 10th percentile is index
    // round(99·0.1) = 10, y = 1/90, the 90th index 89, y = 1/11; the range is [1/90 − span, 1/11 + span] with
    // span = 1/11 − 1/90, cut to the data: [1/100, 2/11 − 1/90].
    let ys: Vec<f64> = (1..=100).map(|x| 1.0 / x as f64).collect();
    let (lo, hi) = robust_range(&ys).expect("1/x is cut");
    let span = 1.0 / 11.0 - 1.0 / 90.0;
    assert_eq!(lo, 0.01);
    assert!((hi - (1.0 / 11.0 + span)).abs() < 1e-15, "{hi}");
    // Values above the range: 1/x > hi for x < 1/hi ≈ 5.86, so x = 1..=5.
    assert_eq!(ys.iter().filter(|y| **y > hi).count(), 5);
    // A straight line, and too few points, are left alone.
    let line: Vec<f64> = (0..50).map(|x| 3.0 - 0.1 * x as f64).collect();
    assert_eq!(robust_range(&line), None);
    assert_eq!(robust_range(&ys[..9]), None);
}
