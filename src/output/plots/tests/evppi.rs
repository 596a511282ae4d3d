//! Tests of the EVPPI bars.

use super::super::evppi::{evppi_bars, EvppiFigure, MAX_EVPPI_BARS};
use super::super::frame::SIDE;
use super::super::render::{HEIGHT, WIDTH};
use super::super::text::{wrap, NOTE_PX};
use super::{check_outputs, draw_both, ink, raster};

#[test]
fn evppi_bars_rank_with_intervals_evpi_and_method() {
    let dir = tempfile::tempdir().expect("tempdir");
    let method = "Strong, Oakley & Brennan (2014) regression: incremental net benefit of each option against the \
                  first on the parameter, by a penalised cubic regression spline (23 B-splines, knots at \
                  quantiles, penalty on the integrated squared second derivative); smoothing by REML \
                  (Fellner–Schall); standard error from 200 draws of the coefficients (sandwich covariance, as a \
                  wild bootstrap) plus the Monte Carlo error of the mean over iterations";
    let bars = vec![
        ("Reablement effect on home care hours".to_string(), 63.2, 4.0),
        ("Home care cost per hour".to_string(), 238.6, 5.0),
        ("Costs and effects together".to_string(), 292.0, 4.9),
        ("Discount rate".to_string(), 0.0, 0.0),
        ("Staff time".to_string(), 12.5, 9.0),
    ];
    let base = dir.path().join("evppi");
    let paths = evppi_bars(
        &base,
        "Value of information",
        "£20,000 per QALY",
        method,
        &bars,
        Some(351.0),
    )
    .expect("renders");
    let svg = check_outputs(
        &paths,
        &base,
        10_000,
        &[
            "Value of information",
            "at £20,000 per QALY; EVPI £351",
            "EVPPI (£ per person)",
            "EVPI £351",
            "£292 ± £9.60",
            "Method: Strong, Oakley &amp; Brennan (2014)",
            "95% interval (estimate ± 1.96 standard errors)",
        ],
    );
    // Ranked largest first: the captions appear in order down the chart.
    let at = |s: &str| svg.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(at("Costs and effects together") < at("Home care cost per hour"));
    assert!(at("Home care cost per hour") < at("Reablement effect"));
    assert!(at("Staff time") < at("Discount rate"));
    let fig = EvppiFigure::new("V", "£20,000 per QALY", method, &bars, Some(351.0));
    assert_eq!(fig.bars[0].label, "Costs and effects together");
    assert_eq!(fig.bars[4].half, None, "a zero SE draws no whisker");
    let buf = raster(&fig, (WIDTH, fig.height()));
    assert!(ink(&buf, WIDTH, (450, 185, 850, 230)) > 0.9, "the largest bar is drawn");
    // The method wraps over several note lines rather than being cut short.
    let notes = wrap(&format!("Method: {method}"), NOTE_PX, WIDTH as i32 - 2 * SIDE, 4);
    assert!(
        notes.len() >= 2 && notes.len() <= 4 && !notes.concat().contains('…'),
        "{notes:?}"
    );
}

#[test]
fn evppi_bars_edge_cases_draw() {
    // Non-finite values and SEs, no EVPI, a label longer than the margin, more bars than fit.
    let odd = vec![
        ("NaN".to_string(), f64::NAN, 1.0),
        ("Infinite SE".to_string(), 5.0, f64::INFINITY),
        ("x".repeat(400), 2.0, 0.5),
        (String::new(), 1.0, 0.2),
    ];
    let svg = draw_both(&EvppiFigure::new("Odd", "", "", &odd, Some(f64::NAN)));
    assert!(svg.contains("1 parameter without a finite estimate left out"));
    assert!(!svg.contains("EVPI £") && svg.contains("(unnamed)"));
    let many: Vec<(String, f64, f64)> = (0..45).map(|i| (format!("Parameter {i}"), f64::from(i), 0.3)).collect();
    let fig = EvppiFigure::new("Many", "£30,000 per QALY", "m", &many, Some(60.0));
    assert_eq!(fig.bars.len(), MAX_EVPPI_BARS);
    assert_eq!(fig.bars[0].label, "Parameter 44");
    assert!(draw_both(&fig).contains("Showing the 30 largest of 45 estimates."));
    assert!(fig.height() > HEIGHT);
    assert!(draw_both(&EvppiFigure::new("None", "", "m", &[], None)).contains("no EVPPI estimates to show"));
    // All zero: the axis still has a range.
    draw_both(&EvppiFigure::new(
        "Zero",
        "",
        "m",
        &[("a".into(), 0.0, 0.0), ("b".into(), 0.0, 0.0)],
        Some(0.0),
    ));
}

#[test]
fn a_small_interval_is_not_captioned_as_none() {
    let bars = vec![
        ("Tiny".to_string(), 12.0, 0.001),
        ("Rounding".to_string(), 40.0, 1e-15),
        ("Pence".to_string(), 3.0, 0.01),
    ];
    let fig = EvppiFigure::new("V", "£20,000 per QALY", "m", &bars, None);
    let captions: Vec<String> = fig.bars.iter().map(|b| b.caption()).collect();
    // 1.96 × £0.001 = £0.00196: two significant figures, where pence would say £0.00. An interval under 10⁻¹² of its
    // estimate is the sums' rounding, and reads as none. 1.96 × £0.01 = £0.0196 shows in pence.
    assert_eq!(captions, ["£40 ± £0", "£12 ± £0.0020", "£3.00 ± £0.02"]);
}
