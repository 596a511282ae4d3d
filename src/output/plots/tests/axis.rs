//! Tests of the axes: round ticks, degenerate ranges, fitting to the room there is.

use super::super::axis::Axis;
use super::super::labels::Fmt;
use super::super::text::{measure, TICK_PX};
use crate::output::format::money_tick;

#[test]
fn axes_have_round_ticks_and_survive_degenerate_ranges() {
    let a = Axis::new(-0.023, 0.085, 8, Fmt::Number);
    assert!([0.01, 0.02].contains(&a.step), "step {}", a.step);
    assert!(a.ticks.contains(&0.0) && a.ticks.iter().all(|t| a.contains(*t)));
    let a = Axis::new(5.0, 5.0, 5, Fmt::Money);
    assert!(a.lo < 5.0 && a.hi > 5.0 && !a.ticks.is_empty());
    let a = Axis::new(f64::NAN, f64::INFINITY, 5, Fmt::Money);
    assert_eq!((a.lo, a.hi), (0.0, 1.0));
    let a = Axis::new(1e15, 1e15 + 1.0, 5, Fmt::Money);
    assert!(a.hi > a.lo && a.ticks.len() <= 50);
    let labels: Vec<String> = Axis::new(0.0, 1e6, 8, Fmt::Money)
        .ticks
        .iter()
        .map(|t| money_tick(*t, 2e5))
        .collect();
    let mut unique = labels.clone();
    unique.dedup();
    assert_eq!(labels, unique, "neighbouring ticks never read the same");
    // Fitting to a narrow axis drops ticks rather than overlapping labels.
    let wide = Axis::new(0.0, 50_000.0, 10, Fmt::Money);
    assert!(wide.fit(200, 80, |s| measure(s, TICK_PX).0).ticks.len() < wide.ticks.len());
    let years = Axis::with_min_step(0.0, 3.0, 10, Fmt::Number, 1.0);
    assert_eq!(years.ticks, vec![0.0, 1.0, 2.0, 3.0]);
}
