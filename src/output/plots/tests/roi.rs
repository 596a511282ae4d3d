//! Tests of the ROI histograms.

use super::super::render::{HEIGHT_TWO_ROWS, WIDTH};
use super::super::roi::{roi_histograms, RoiFigure, RoiPanel, Sample};
use super::{check_outputs, draw_both, ink, payer_samples, raster, Lcg};

#[test]
fn roi_histograms_render_png_and_svg() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = Lcg(1);
    let data = payer_samples(&mut r, 5_000);
    let names = ["Council", "NHS", "Person", "Whole system"];
    let panels: Vec<Sample> = names
        .iter()
        .zip(&data)
        .map(|(n, v)| Sample {
            label: n.to_string(),
            values: v,
            ratio_of_means: None,
        })
        .collect();
    let base = dir.path().join("roi");
    let paths = roi_histograms(&base, "Return on investment: reablement", &panels).expect("renders");
    check_outputs(
        &paths,
        &base,
        10_000,
        &[
            "Return on investment: reablement",
            "£ back per £1 spent",
            "% of iterations",
            "Council",
            "median of the iterations £",
        ],
    );
    let fig = RoiFigure::new("ROI", &panels);
    let buf = raster(&fig, (WIDTH, HEIGHT_TWO_ROWS));
    // Each panel's plot region has bars in it.
    for region in [
        (100, 220, 550, 450),
        (700, 220, 1150, 450),
        (100, 650, 550, 880),
        (700, 650, 1150, 880),
    ] {
        assert!(ink(&buf, WIDTH, region) > 0.05, "panel {region:?} is empty");
    }
}

#[test]
fn roi_statistics_use_all_values_but_the_axis_is_clipped() {
    let mut v: Vec<f64> = (0..1000).map(|i| 1.0 + i as f64 / 1000.0).collect();
    v.extend([1e6, f64::NAN, f64::INFINITY]);
    let p = RoiPanel::new(&Sample {
        label: "NHS".into(),
        values: &v,
        ratio_of_means: None,
    });
    let s = p.stats.expect("stats");
    assert_eq!(p.bad, 2);
    assert!(s.clipped);
    assert!(s.x.hi < 10.0, "the 1e6 outlier must not stretch the axis: {}", s.x.hi);
    // With the outlier the middle of 1,001 values is exactly 1.5; without it, 1.4995.
    assert_eq!(s.median, 1.5);
    assert!(s.x.contains(1.0), "break-even near the data is shown");
    let total: f64 = s.bins.iter().map(|b| b.2).sum();
    assert!(total > 98.0 && total <= 100.0, "bins hold the central 99%: {total}");
}

#[test]
fn roi_edge_cases_draw() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nan = [f64::NAN, 1.2, f64::NEG_INFINITY, 0.9, 1.4];
    let panels = [
        Sample {
            label: "One iteration".into(),
            values: &[1.37],
            ratio_of_means: None,
        },
        Sample {
            label: "All equal".into(),
            values: &[0.8; 40],
            ratio_of_means: None,
        },
        Sample {
            label: "With NaN".into(),
            values: &nan,
            ratio_of_means: None,
        },
        Sample {
            label: "NHS".into(),
            values: &[],
            ratio_of_means: None,
        },
        Sample {
            label: "All NaN".into(),
            values: &[f64::NAN],
            ratio_of_means: None,
        },
        Sample {
            label: String::new(),
            values: &[-3.0, 250_000.0],
            ratio_of_means: Some(1.5),
        },
    ];
    let base = dir.path().join("edge");
    let paths = roi_histograms(&base, "", &panels).expect("renders");
    let svg = check_outputs(
        &paths,
        &base,
        10_000,
        &["no spend by this payer", "no finite values to plot"],
    );
    assert!(svg.contains("3 non-finite values skipped"), "counts skipped values");
    // No panels at all still gives a figure.
    assert!(draw_both(&RoiFigure::new("Nothing", &[])).contains("no payer perspectives to show"));
    // More panels than the grid was designed for are cramped but still drawn.
    let many: Vec<Sample> = (0..15)
        .map(|i| Sample {
            label: format!("Payer {i}"),
            values: &nan,
            ratio_of_means: None,
        })
        .collect();
    draw_both(&RoiFigure::new("Many", &many));
}
