//! Tests of the tornado diagram.

use super::super::labels::ValueFormat;
use super::super::render::{HEIGHT, WIDTH};
use super::super::tornado::{tornado, TornadoBar, TornadoFigure, MAX_BARS};
use super::{check_usual_outputs as check_outputs, draw_both_usual as draw_both, ink, raster};
use std::path::{Path, PathBuf};

fn tornado_bars(n: usize) -> Vec<TornadoBar> {
    let names = [
        "home_care_weekly",
        "care_home_weekly",
        "reablement_cost",
        "p_admission_usual",
        "relative_risk_admission",
        "length_of_stay_days",
        "hospital_bed_day",
        "p_home_care_after",
        "discount_rate",
        "hours_saved_per_week",
        "gp_visit_cost",
        "telecare_install",
        "staff_turnover",
        "respite_nights",
        "carer_hours",
        "equipment_cost",
        "ot_assessment",
        "falls_rate",
    ];
    (0..n)
        .map(|i| {
            let swing = 1800.0 / (1.0 + i as f64 * 0.55);
            let (lo, hi) = if i % 3 == 1 { (0.7, 0.3) } else { (0.35, 0.65) };
            TornadoBar {
                label: names[i % names.len()].to_string(),
                low_value: 68.9 * (1.0 + i as f64 * 0.1),
                high_value: 128.0 * (1.0 + i as f64 * 0.1),
                at_low: 2518.0 - lo * swing,
                at_high: 2518.0 + hi * swing * if i == 4 { -0.4 } else { 1.0 },
            }
        })
        .collect()
}

/// Writes the example tornado diagram with `n` bars.
pub(super) fn tornado_example(dir: &Path, n: usize) -> Vec<PathBuf> {
    tornado(
        dir.join(format!("tornado{n}")),
        "Net savings per person: one-way sensitivity (reablement vs usual care)",
        "Net savings (£ per person)",
        ValueFormat::Money,
        2518.0,
        &tornado_bars(n),
        "Each parameter from its 2.5th to its 97.5th percentile, the others at their means.",
    )
    .expect("renders")
}

#[test]
fn tornado_renders_png_and_svg() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = tornado_example(dir.path(), 12);
    let svg = check_outputs(
        &paths,
        &dir.path().join("tornado12"),
        &[
            "Net savings per person: one-way sensitivity",
            "Net savings (£ per person)",
            "parameter at its low value",
            "parameter at its high value",
            "base case £2,518",
            "home_care_weekly (68.9 to 128)",
        ],
    );
    assert!(!svg.contains("more in tornado.csv"));
    let fig = TornadoFigure::new("T", "m", ValueFormat::Money, 2518.0, &tornado_bars(20), "");
    assert_eq!(fig.rows.len(), MAX_BARS);
    let buf = raster(&fig, (WIDTH, HEIGHT));
    assert!(ink(&buf, WIDTH, (450, 150, 1150, 700)) > 0.1, "bars are drawn");
    assert!(draw_both(&fig).contains("… 5 more in tornado.csv"));
}

#[test]
fn tornado_edge_cases_draw() {
    let fig = |base: f64, bars: &[TornadoBar]| TornadoFigure::new("T", "m", ValueFormat::PerPound, base, bars, "");
    assert!(draw_both(&fig(1.0, &[])).contains("nothing to show"));
    let bar = |low: f64, high: f64| TornadoBar {
        label: "p".into(),
        low_value: 1.0,
        high_value: 2.0,
        at_low: low,
        at_high: high,
    };
    draw_both(&fig(1.0, &[bar(1.0, 1.0)]));
    draw_both(&fig(f64::NAN, &[bar(0.8, 1.3), bar(f64::NAN, 1.1)]));
    let svg = draw_both(&fig(f64::INFINITY, &[bar(f64::NAN, f64::NAN)]));
    assert!(svg.contains("2 non-finite values skipped") && svg.contains("base case is not a finite number"));
    draw_both(&fig(1e300, &[bar(-1e300, 1e300)]));
}
