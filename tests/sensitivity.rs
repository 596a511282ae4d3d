//! One-way (tornado) and threshold analysis against values worked by hand.

mod common;

use carecast::analysis::sensitivity::{threshold, tornado, Measure};
use common::by_hand::{close, deterministic};

#[test]
fn the_base_case_is_the_model_at_its_means() {
    let d = deterministic(&[]);
    assert!(close(d.evaluate(&[], Measure::NetSavings).unwrap()[0], -3.0));
    assert!(close(d.evaluate(&[], Measure::Bcr).unwrap()[0], 0.9));
    assert!(close(d.evaluate(&[], Measure::Inmb).unwrap()[0], 27.0));
}

#[test]
fn tornado_bars_match_the_hand_worked_values_and_are_ranked_by_swing() {
    let d = deterministic(&[]);
    let bars = tornado(&d, Measure::NetSavings, &[]).unwrap();
    assert_eq!(bars.len(), 2, "two sampled parameters: c (base) and f (arm new)");
    // f: U(0.4, 0.8) has 2.5th and 97.5th percentiles 0.41 and 0.79; net savings = 105 − 180f.
    let f = &bars[0];
    assert_eq!((f.parameter.as_str(), f.scope.as_str()), ("f", "arm:new"));
    assert!(close(f.low, 0.41) && close(f.high, 0.79));
    assert!(close(f.at_low, 105.0 - 180.0 * 0.41) && close(f.at_high, 105.0 - 180.0 * 0.79));
    assert!(close(f.base, -3.0));
    // c: U(90, 110) gives 90.5 and 109.5; net savings = 0.42c − 45.
    let c = &bars[1];
    assert_eq!(c.parameter, "c");
    assert!(close(c.at_low, 0.42 * 90.5 - 45.0) && close(c.at_high, 0.42 * 109.5 - 45.0));
    assert!(f.swing() > c.swing());

    // Given bounds replace the percentiles, also for a parameter the file fixes.
    let d = deterministic(&["nhs"]);
    let bars = tornado(&d, Measure::NetSavings, &[("nhs".into(), 0.0, 100.0)]).unwrap();
    let nhs = bars.iter().find(|b| b.parameter == "nhs").unwrap();
    // NHS costs are 1.5·nhs in usual care and 1.8·nhs with the intervention: net savings change by −0.3·Δnhs.
    assert!(close(nhs.at_low, -3.0 + 0.3 * 50.0) && close(nhs.at_high, -3.0 - 0.3 * 50.0));
}

#[test]
fn thresholds_match_the_hand_worked_values() {
    let d = deterministic(&[]);
    // BCR = 1 and net savings = 0 both at f = 105/180; INMB = 0 at f = 0.75. Shares of U(0.4, 0.8) below them.
    for (measure, root) in [
        (Measure::Bcr, 105.0 / 180.0),
        (Measure::NetSavings, 105.0 / 180.0),
        (Measure::Inmb, 0.75),
    ] {
        let t = &threshold(&d, "f", measure, None).unwrap()[0];
        assert_eq!(t.crossings.len(), 1, "{measure:?}");
        assert!(
            (t.crossings[0] - root).abs() < 1e-9,
            "{measure:?}: {} vs {root}",
            t.crossings[0]
        );
        let share = t.share_below[0].unwrap();
        assert!((share - (root - 0.4) / 0.4).abs() < 1e-6, "{measure:?}: share {share}");
        assert!(close(t.base_value, 0.6));
    }
    // Out of range: no crossing, said as such.
    let t = &threshold(&d, "f", Measure::Bcr, Some((0.7, 0.8))).unwrap()[0];
    assert!(t.crossings.is_empty());
    // A parameter the file fixes needs a range, and then has no distribution to place the crossing in.
    assert!(threshold(&d, "nhs", Measure::NetSavings, None).is_err());
    let d = deterministic(&["nhs"]);
    let t = &threshold(&d, "nhs", Measure::NetSavings, Some((-100.0, 100.0))).unwrap()[0];
    // Net savings = −3 − 0.3·(nhs − 50) = 0 at nhs = 40.
    assert!((t.crossings[0] - 40.0).abs() < 1e-9 && t.share_below[0].is_none());
}
