//! Tests of the heat map.

use super::super::colour_scale::{text_on, Scale, ABOVE, BELOW, DIVERGING_MID, VIRIDIS};
use super::super::colours::INK;
use super::super::heat_map::{contour, heat_map, ContourEdge, HeatFigure};
use super::super::labels::{grid_labels, plain_number, ValueFormat};
use super::{check_usual_outputs as check_outputs, draw_both_usual as draw_both};
use plotters::style::WHITE;
use std::path::{Path, PathBuf};

/// Writes the example heat map of net savings, with or without a centre and a cell with no value.
pub(super) fn heat_example(dir: &Path, centre: Option<f64>, missing: bool) -> Vec<PathBuf> {
    let x = [80.0, 90.0, 100.0, 110.0, 120.0];
    let y = [0.1, 0.2, 0.3, 0.4];
    let z: Vec<Vec<f64>> = y
        .iter()
        .map(|p| {
            x.iter()
                .map(|c| -1800.0 + 40.0 * (c - 80.0) + 6000.0 * (p - 0.1))
                .collect()
        })
        .collect();
    let mut z = z;
    if missing {
        z[3][4] = f64::NAN;
    }
    heat_map(
        dir.join(if centre.is_some() { "heat" } else { "heat_sequential" }),
        "Net savings per person over home care cost and reablement uptake",
        "Home care cost (£ per week)",
        "Share taking up reablement",
        &x,
        &y,
        &z,
        "Net savings (£ per person)",
        ValueFormat::Money,
        centre,
        "Mean of 10,000 iterations in each cell.",
    )
    .expect("renders")
}

#[test]
fn heat_map_renders_png_and_svg() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = heat_example(dir.path(), Some(0.0), true);
    let svg = check_outputs(
        &paths,
        &dir.path().join("heat"),
        &[
            "Net savings per person over home care cost and reablement uptake",
            "Home care cost (£ per week)",
            "Share taking up reablement",
            "Net savings (£ per person)",
            "no value",
            "1 of 20 cells without a finite value (hatched).",
            "cells above £0",
            "−£1.8k",
            "£1.2k",
            "0.4",
        ],
    );
    assert!(svg.contains("\n£0\n"), "the centre is labelled on the colour bar");
    let paths = heat_example(dir.path(), None, false);
    let svg = check_outputs(&paths, &dir.path().join("heat_sequential"), &["Net savings"]);
    assert!(!svg.contains("no value") && !svg.contains("cells above"));
}

#[test]
fn heat_map_colours_are_centred_and_text_contrasts() {
    let s = Scale::Diverging { centre: 1.0, half: 0.5 };
    assert_eq!(s.colour(1.0), DIVERGING_MID);
    assert_eq!(s.colour(0.5), BELOW[3]);
    assert_eq!(s.colour(1.5), ABOVE[3]);
    assert_eq!(s.colour(9.0), ABOVE[3], "clamped");
    let v = Scale::Sequential { lo: 0.0, hi: 10.0 };
    assert_eq!((v.colour(0.0), v.colour(10.0)), (VIRIDIS[0], VIRIDIS[10]));
    assert_eq!(text_on(VIRIDIS[0]), WHITE);
    assert_eq!(text_on(VIRIDIS[10]), INK);
    assert_eq!(text_on(DIVERGING_MID), INK);
    assert_eq!(text_on(BELOW[3]), WHITE);
    assert_eq!(grid_labels(&[80.0, 90.0, 100.0]), ["80", "90", "100"]);
    assert_eq!(grid_labels(&[0.1, 0.15, 0.2]), ["0.10", "0.15", "0.20"]);
    assert_eq!(
        grid_labels(&[80.0, 86.666_666, 93.333_333]),
        ["80.00", "86.67", "93.33"]
    );
    assert_eq!(grid_labels(&[2.0, f64::NAN]), ["2", "n/a"]);
    // Labels sit on the varied values, not on their step: 0.15:0.35:3 is 0.15, 0.25, 0.35 (step 0.1), which one
    // decimal would write 0.1, 0.2, 0.3 (README's sweep example). The computed grid carries rounding error.
    assert_eq!(
        grid_labels(&[0.15, 0.15 + 0.1, 0.15 + 2.0 * 0.1]),
        ["0.15", "0.25", "0.35"]
    );
    assert_eq!(grid_labels(&[1500.0, 1600.0, 1700.0]), ["1,500", "1,600", "1,700"]);
    assert_eq!(grid_labels(&[0.125, 0.5, 0.875]), ["0.125", "0.500", "0.875"]);
    assert_eq!(ValueFormat::Money.label(12_000.0), "£12k");
    assert_eq!(ValueFormat::PerPound.label(1.2), "£1.20");
    assert_eq!(ValueFormat::Probability.label(0.35), "35%");
    assert_eq!(ValueFormat::Number.label(0.25), "0.25");
    assert_eq!(ValueFormat::Money.full(2518.0), "£2,518");
    assert_eq!(ValueFormat::Money.full(-2518.4), "−£2,518");
    assert_eq!(plain_number(68.9), "68.9");
    assert_eq!(plain_number(128.0), "128");
}

#[test]
fn heat_map_edge_cases_draw() {
    let fig = |x: &[f64], y: &[f64], z: &[Vec<f64>], centre| {
        HeatFigure::new("H", "x", "y", x, y, z, "z", ValueFormat::Number, centre, "")
    };
    assert!(draw_both(&fig(&[], &[], &[], None)).contains("nothing to show"));
    assert!(draw_both(&fig(&[1.0], &[], &[vec![1.0]], Some(0.0))).contains("nothing to show"));
    // One cell; all equal; all NaN; ragged rows; non-finite grid values; unsorted grid.
    draw_both(&fig(&[1.0], &[2.0], &[vec![3.0]], Some(3.0)));
    draw_both(&fig(&[1.0, 2.0], &[1.0, 2.0], &[vec![4.0, 4.0], vec![4.0, 4.0]], None));
    let svg = draw_both(&fig(&[1.0, 2.0], &[1.0], &[vec![f64::NAN, f64::INFINITY]], Some(1.0)));
    assert!(svg.contains("2 of 2 cells without a finite value"));
    let svg = draw_both(&fig(
        &[3.0, f64::NAN, 1.0],
        &[2.0, 1.0],
        &[vec![1.0], vec![]],
        Some(0.5),
    ));
    assert!(svg.contains("1 non-finite grid value skipped"));
    // A big grid is thinned, and its values are not written.
    let x: Vec<f64> = (0..450).map(f64::from).collect();
    let z: Vec<Vec<f64>> = (0..30).map(|r| x.iter().map(|c| c * f64::from(r)).collect()).collect();
    let big = fig(&x, &x[..30], &z, None);
    assert_eq!((big.x_text.len(), big.y_text.len()), (150, 30));
    assert!(draw_both(&big).contains("every 3rd column"));
}

#[test]
fn the_break_even_contour_parts_cells_below_from_cells_at_or_above() {
    // Rows bottom first. Row 0: −1 | 0, 1 (0 is at break-even, so with 1); row 1: −1, −1 | 2; a cell with no value
    // bounds nothing.
    let z = vec![vec![-1.0, 0.0, 1.0], vec![-1.0, -1.0, 2.0], vec![f64::NAN, 5.0, 5.0]];
    let edge = |row, col, vertical| ContourEdge { row, col, vertical };
    assert_eq!(
        contour(&z, 0.0),
        [
            edge(0, 0, true),  // −1 | 0
            edge(0, 1, false), // 0 below −1
            edge(1, 1, true),  // −1 | 2
            edge(1, 1, false), // −1 below 5
        ]
    );
    // All on one side: no contour, and no note about one.
    assert!(contour(&[vec![1.0, 2.0], vec![3.0, 4.0]], 0.0).is_empty());
    let dir = tempfile::tempdir().expect("tempdir");
    let svg = check_outputs(
        &heat_example(dir.path(), Some(0.0), false),
        &dir.path().join("heat"),
        &[],
    );
    assert!(svg.contains("Black line: break-even, between cells below £0 and cells at or above it."));
    let svg = check_outputs(
        &heat_example(dir.path(), Some(-1e6), false),
        &dir.path().join("heat"),
        &[],
    );
    assert!(!svg.contains("Black line"));
}
