//! Entry waves: who enters in which programme year, and each wave's accrual × discount weight at every cycle
//! boundary, worked out by hand for small horizons.

use super::{assert_close, compiled, scenario, with_line};
use crate::model::Wave;

/// Two living-only states; the settings lines are replaced per test.
const BODY: &str = r#"[[states]]
name = "well"
per = "year"
outcomes = { qaly = 1 }
[[states]]
name = "dead"
dead = true
[start]
well = 1
[transitions]
well = { dead = 0.1, well = "remainder" }
[[arms]]
name = "usual"
[[arms]]
name = "new"
[cohort]
size = 10
"#;

/// The waves of `BODY` with the given settings lines (header line number, replacement) and `[cohort]` lines.
fn waves(settings: &[(usize, &str)], cohort: &str) -> Vec<Wave> {
    let mut text = scenario(&format!("{BODY}{cohort}"));
    for (line, replacement) in settings {
        text = with_line(&text, *line, replacement);
    }
    compiled(&text).waves
}

/// Checks every (year, cost weight, outcome weight) entry of every boundary.
fn assert_weights(wave: &Wave, expected: &[Vec<(usize, f64, f64)>]) {
    assert_eq!(wave.boundary_weights.len(), expected.len(), "boundaries");
    for (k, (got, want)) in wave.boundary_weights.iter().zip(expected).enumerate() {
        assert_eq!(got.len(), want.len(), "entries at boundary {k}");
        for ((y, wc, wo), (ey, ewc, ewo)) in got.iter().zip(want) {
            assert_eq!(y, ey, "year at boundary {k}");
            assert_close(*wc, *ewc);
            assert_close(*wo, *ewo);
        }
    }
}

#[test]
fn quarterly_cycles_taken_at_their_starts_weigh_one_in_their_own_year() {
    // One year of four quarters, no discounting: boundaries 0–3 each count once in year 0; the last counts nowhere.
    let w = waves(&[(4, "horizon_years = 1"), (5, "cycle = \"quarter\"")], "");
    assert_eq!(w.len(), 1);
    let wave = &w[0];
    assert_eq!((wave.entry_year, wave.share, wave.cycles), (0, 1.0, 4));
    let one = vec![(0, 1.0, 1.0)];
    assert_weights(wave, &[one.clone(), one.clone(), one.clone(), one, vec![]]);
    assert_eq!(wave.weights_start, [0, 1, 2, 3, 4, 4]);
    assert_eq!(wave.weights_flat, [(0, 1.0, 1.0); 4]);
    assert!(wave.same_weights);
    assert_eq!(wave.entry_cost_factor, 1.0);
}

#[test]
fn half_cycle_accrual_and_discounting_weigh_each_boundary_by_year() {
    // Two yearly cycles, trapezoid accrual, costs discounted at 10% (outcomes not), half the cohort entering in
    // each year. Boundary k is at calendar year (entry year + k); its cost factor is 1.1^-t.
    let w = waves(
        &[(9, "accrual = \"half-cycle\""), (11, "discount_rate_costs = 0.1")],
        "entry = [0.5, 0.5]\n",
    );
    assert_eq!(w.len(), 2);

    // First wave: cycle 0 (year 0) takes ½ of boundaries 0 and 1; cycle 1 (year 1) ½ of boundaries 1 and 2.
    let first = &w[0];
    assert_eq!((first.entry_year, first.share, first.cycles), (0, 0.5, 2));
    let d1 = 1.0 / 1.1;
    let d2 = 1.0 / (1.1 * 1.1);
    assert_weights(
        first,
        &[
            vec![(0, 0.5, 0.5)],
            vec![(0, 0.5 * d1, 0.5), (1, 0.5 * d1, 0.5)],
            vec![(1, 0.5 * d2, 0.5)],
        ],
    );
    assert_eq!(first.weights_start, [0, 1, 3, 4]);
    assert_eq!(first.weights_flat.len(), 4);
    assert_eq!(first.weights_flat[1].0, 0);
    assert_eq!(first.weights_flat[2].0, 1);
    assert!(!first.same_weights);
    assert_eq!(first.entry_cost_factor, 1.0);

    // Second wave: enters at year 1 for the one cycle left; its boundaries are at calendar years 1 and 2.
    let second = &w[1];
    assert_eq!((second.entry_year, second.share, second.cycles), (1, 0.5, 1));
    assert_weights(second, &[vec![(1, 0.5 * d1, 0.5)], vec![(1, 0.5 * d2, 0.5)]]);
    assert_eq!(second.weights_start, [0, 1, 2]);
    assert_close(second.entry_cost_factor, d1);
}

#[test]
fn a_year_in_which_nobody_enters_makes_no_wave() {
    let w = waves(&[], "entry = [0.0, 1.0]\n");
    assert_eq!(w.len(), 1);
    assert_eq!((w[0].entry_year, w[0].share, w[0].cycles), (1, 1.0, 1));
    // Taken at cycle starts: boundary 0 (calendar year 1) counts in year 1; boundary 1 counts nowhere.
    assert_weights(&w[0], &[vec![(1, 1.0, 1.0)], vec![]]);
}

#[test]
fn end_of_cycle_accrual_weighs_the_later_boundary() {
    // Two yearly cycles taken at their ends: boundary 1 counts in year 0, boundary 2 in year 1, boundary 0 nowhere.
    let w = waves(&[(9, "accrual = \"end\""), (12, "discount_rate_outcomes = 0.1")], "");
    let d1 = 1.0 / 1.1;
    let d2 = 1.0 / (1.1 * 1.1);
    assert_weights(&w[0], &[vec![], vec![(0, 1.0, d1)], vec![(1, 1.0, d2)]]);
    assert_eq!(w[0].weights_start, [0, 0, 1, 2]);
}
