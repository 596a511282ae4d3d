//! Tests of the fan chart of cumulative net savings.

use super::super::fan::{fan_chart, FanFigure};
use super::super::render::{HEIGHT, WIDTH};
use super::{check_outputs, draw_both, ink, raster};

#[test]
fn fan_chart_renders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let years: Vec<f64> = (0..=10).map(f64::from).collect();
    let centre: Vec<f64> = years.iter().map(|y| -1500.0 + 220.0 * y).collect();
    let band = |k: f64| {
        centre
            .iter()
            .zip(&years)
            .map(|(c, y)| c + k * (150.0 + 60.0 * y))
            .collect::<Vec<_>>()
    };
    let (p2, p25, p75, p97) = (band(-1.96), band(-0.67), band(0.67), band(1.96));
    let base = dir.path().join("fan");
    let paths = fan_chart(&base, "Net savings", &years, &p2, &p25, &centre, &p75, &p97).expect("renders");
    check_outputs(
        &paths,
        &base,
        10_000,
        &[
            "Net savings",
            "Cumulative net savings (£ per person)",
            "Year",
            "break-even",
            "median breaks even",
        ],
    );
    let fig = FanFigure::new("Fan", &years, [&p2, &p25, &centre, &p75, &p97]);
    let buf = raster(&fig, (WIDTH, HEIGHT));
    assert!(ink(&buf, WIDTH, (150, 200, 1150, 700)) > 0.3, "bands are drawn");
    // One year, all equal, and NaN holes.
    let one = [2.0];
    draw_both(&FanFigure::new("One", &one, [&one, &one, &one, &one, &one]));
    let holes = [1.0, f64::NAN, 3.0, 4.0];
    let svg = draw_both(&FanFigure::new(
        "Holes",
        &[0.0, 1.0, 2.0, 3.0],
        [&holes, &holes, &holes, &holes, &[]],
    ));
    assert!(svg.contains("skipped"));
}
