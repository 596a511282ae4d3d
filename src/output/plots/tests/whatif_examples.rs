//! The what-if figures' examples, written for looking at.

use super::super::heat_map::heat_map;
use super::super::labels::ValueFormat;
use super::super::sweep_lines::{sweep_lines, Series};
use super::super::tornado::{tornado, TornadoBar};
use super::heat_map::heat_example;
use super::sweep_lines::sweep_example;
use super::tornado::tornado_example;
use std::path::{Path, PathBuf};

/// Writes the example figures for looking at: `cargo test --release --lib whatif -- --ignored`, into
/// $WHATIF_PLOTS (default /tmp/whatif-plots).
#[test]
#[ignore]
fn write_examples() {
    let dir = PathBuf::from(std::env::var("WHATIF_PLOTS").unwrap_or_else(|_| "/tmp/whatif-plots".into()));
    sweep_example(&dir);
    heat_example(&dir, Some(0.0), true);
    heat_example(&dir, None, false);
    tornado_example(&dir, 12);
    tornado_example(&dir, 20);
    // Harder cases, for looking at: probabilities with markers at the edges and a hole, a one-point sweep,
    // a 12×12 BCR grid with holes, a dense grid, long labels, and the degenerate figures.
    hard_sweeps(&dir);
    hard_heat_maps(&dir);
    hard_tornados(&dir);
    empty_heat_map_and_sweep(&dir);
}

/// Probabilities with markers at the edges and a hole, and a one-point sweep.
fn hard_sweeps(dir: &Path) {
    let x: Vec<f64> = (0..=40).map(|i| f64::from(i) * 2500.0).collect();
    let p1: Vec<f64> = x
        .iter()
        .map(|l| 1.0 / (1.0 + (-(l - 30_000.0) / 12_000.0).exp()))
        .collect();
    let mut p2: Vec<f64> = p1.iter().map(|p| 0.8 * (1.0 - p)).collect();
    p2[17] = f64::NAN;
    let series = [
        Series {
            label: "Reablement".into(),
            x: &x,
            y: &p1,
            band: None,
        },
        Series {
            label: "Telecare".into(),
            x: &x,
            y: &p2,
            band: None,
        },
    ];
    let markers = [
        (0.0, "£0".to_string()),
        (30_000.0, "50%: £30k".to_string()),
        (100_000.0, "upper end".to_string()),
    ];
    sweep_lines(
        dir.join("sweep_probability"),
        "Probability cost-effective",
        "Willingness to pay (£ per QALY)",
        "Probability",
        ValueFormat::Probability,
        &series,
        Some((0.5, "50%")),
        &markers,
        "",
    )
    .expect("renders");
    let one = [Series {
        label: "Only the base case".into(),
        x: &[100.0],
        y: &[1.3],
        band: Some((&[0.9], &[1.8])),
    }];
    sweep_lines(
        dir.join("sweep_one_point"),
        "One point",
        "Home care cost (£ per week)",
        "£ back per £1",
        ValueFormat::PerPound,
        &one,
        Some((1.0, "break-even")),
        &[(100.0, "base case".into())],
        "",
    )
    .expect("renders");
}

/// A 12×12 BCR grid with holes, and a dense grid.
fn hard_heat_maps(dir: &Path) {
    let gx: Vec<f64> = (0..12).map(|i| 60.0 + 7.5 * f64::from(i)).collect();
    let gy: Vec<f64> = (0..12).map(|i| 0.05 + 0.05 * f64::from(i)).collect();
    let gz: Vec<Vec<f64>> = gy
        .iter()
        .enumerate()
        .map(|(r, p)| {
            gx.iter()
                .enumerate()
                .map(|(c, h)| {
                    if (r + c) % 17 == 5 {
                        f64::NAN
                    } else {
                        0.4 + 0.012 * (h - 60.0) + 2.0 * p
                    }
                })
                .collect()
        })
        .collect();
    heat_map(
        dir.join("heat_12x12"),
        "BCR over home care cost and uptake",
        "Home care cost (£ per week)",
        "Uptake",
        &gx,
        &gy,
        &gz,
        "£ back per £1 spent",
        ValueFormat::PerPound,
        Some(1.0),
        "",
    )
    .expect("renders");
    let dx: Vec<f64> = (0..60).map(f64::from).collect();
    let dz: Vec<Vec<f64>> = dx
        .iter()
        .map(|r| {
            dx.iter()
                .map(|c| ((r - 30.0).powi(2) + (c - 20.0).powi(2)).sqrt() / 60.0)
                .collect()
        })
        .collect();
    heat_map(
        dir.join("heat_dense"),
        "Dense probability grid",
        "x",
        "y",
        &dx,
        &dx,
        &dz,
        "Probability",
        ValueFormat::Probability,
        None,
        "",
    )
    .expect("renders");
}

/// Long labels, and no bars at all.
fn hard_tornados(dir: &Path) {
    let long = format!("{} with a very long name that keeps going and going", "p".repeat(30));
    let bars = [
        TornadoBar {
            label: long.clone(),
            low_value: 0.0123,
            high_value: 12_345.0,
            at_low: 0.2,
            at_high: 0.9,
        },
        TornadoBar {
            label: "flat".into(),
            low_value: 1.0,
            high_value: 1.0,
            at_low: 0.5,
            at_high: 0.5,
        },
        TornadoBar {
            label: "one side".into(),
            low_value: 1.0,
            high_value: 2.0,
            at_low: f64::NAN,
            at_high: 0.7,
        },
    ];
    tornado(
        dir.join("tornado_long"),
        &long.repeat(3),
        &long,
        ValueFormat::Probability,
        0.5,
        &bars,
        &long.repeat(2),
    )
    .expect("renders");
    tornado(
        dir.join("tornado_empty"),
        "Empty",
        "m",
        ValueFormat::Money,
        1.0,
        &[],
        "",
    )
    .expect("renders");
}

/// A heat map and a sweep with nothing to show.
fn empty_heat_map_and_sweep(dir: &Path) {
    heat_map(
        dir.join("heat_empty"),
        "Empty",
        "x",
        "y",
        &[],
        &[],
        &[],
        "z",
        ValueFormat::Money,
        None,
        "",
    )
    .expect("renders");
    sweep_lines(
        dir.join("sweep_empty"),
        "Empty",
        "x",
        "y",
        ValueFormat::Money,
        &[],
        None,
        &[],
        "",
    )
    .expect("renders");
}
