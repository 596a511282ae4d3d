//! Tests of the EVPI figure.

use super::super::evpi::{evpi, EvpiFigure};
use super::super::render::{HEIGHT, WIDTH};
use super::{ceac_inputs, check_outputs, draw_both, ink, raster};

#[test]
fn evpi_renders_per_person_and_population() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lambda, _, _, per) = ceac_inputs(2000);
    let population: Vec<f64> = per.iter().map(|v| v * 90_000.0).collect();
    let base = dir.path().join("evpi");
    let paths = evpi(&base, "EVPI", "QALY", &lambda, &per, Some(&population)).expect("renders");
    check_outputs(
        &paths,
        &base,
        10_000,
        &["EVPI (£ per person)", "Population EVPI (£)", "highest £"],
    );
    let fig = EvpiFigure::new("EVPI", "QALY", &lambda, &per, None);
    let svg = draw_both(&fig);
    assert!(svg.contains("EVPI (£ per person)") && !svg.contains("Population EVPI"));
    let buf = raster(&fig, (WIDTH, HEIGHT));
    assert!(ink(&buf, WIDTH, (150, 150, 1150, 650)) > 0.01, "the curve is drawn");
    draw_both(&EvpiFigure::new(
        "Flat",
        "QALY",
        &[0.0, 1.0],
        &[0.0, 0.0],
        Some(&[f64::NAN, 0.0]),
    ));
    draw_both(&EvpiFigure::new("Empty", "QALY", &[], &[], None));
}
