//! Tests of the cost-effectiveness acceptability curves.

use super::super::ceac::{ceac, CeacFigure};
use super::super::render::{HEIGHT, WIDTH};
use super::{ceac_inputs, check_outputs, draw_both, ink, raster};

#[test]
fn ceac_renders_with_frontier() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lambda, probs, frontier, _) = ceac_inputs(2000);
    assert!(
        frontier.contains(&1) && frontier.contains(&2),
        "test data should switch arm on the frontier"
    );
    let names = ["Usual care", "Reablement", "Telecare"];
    let arms: Vec<(String, &[f64])> = names.iter().zip(&probs).map(|(n, p)| (n.to_string(), &p[..])).collect();
    let base = dir.path().join("ceac");
    let paths = ceac(&base, "Acceptability", "QALY", &lambda, &arms, &frontier).expect("renders");
    check_outputs(
        &paths,
        &base,
        10_000,
        &[
            "Acceptability",
            "Willingness to pay (£ per QALY)",
            "Probability most cost-effective",
            "100%",
            "£50k",
        ],
    );
    let fig = CeacFigure::new("A", "QALY", &lambda, &arms, &frontier);
    assert_eq!(fig.frontier.len(), 2, "one frontier stretch per optimal arm");
    let buf = raster(&fig, (WIDTH, HEIGHT));
    assert!(ink(&buf, WIDTH, (150, 150, 1150, 700)) > 0.02, "curves are drawn");
    // Ragged and broken inputs.
    let short = [0.5];
    let nan = [f64::NAN; 51];
    let bad_arms = [("Short".to_string(), &short[..]), ("NaN".to_string(), &nan[..])];
    let svg = draw_both(&CeacFigure::new("Bad", "", &lambda, &bad_arms, &[7, 0, 1]));
    assert!(svg.contains("Willingness to pay (£ per unit of outcome)"));
    draw_both(&CeacFigure::new("One", "QALY", &[20_000.0], &arms, &[1]));
}
