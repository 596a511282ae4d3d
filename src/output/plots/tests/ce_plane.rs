//! Tests of the cost-effectiveness plane.

use super::super::ce_plane::{ce_plane, CeFigure, PlaneOutcome};
use super::super::dots::compact;
use super::super::merge::merge_shapes;
use super::super::render::{draw_svg, Figure, HEIGHT, WIDTH};
use super::{ce_arms, check_outputs, draw_both, ink, raster, Lcg};

/// The words of an outcome where more is better, as a run gives them.
const QALY: PlaneOutcome = PlaneOutcome {
    axis: "Incremental QALY",
    gain: "QALY",
    per: "QALY",
};

#[test]
fn ce_plane_renders_and_thins_a_million_iterations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = Lcg(2);
    let [a, b] = ce_arms(&mut r, 1_000_000);
    let arms = [
        ("Reablement".to_string(), &a.0[..], &a.1[..]),
        ("Telecare".to_string(), &b.0[..], &b.1[..]),
    ];
    let base = dir.path().join("ce");
    let paths = ce_plane(&base, "CE plane", QALY, &arms, &[20_000.0, 30_000.0]).expect("renders");
    let svg = check_outputs(
        &paths,
        &base,
        10_000,
        &[
            "CE plane",
            "Incremental QALY",
            "Incremental cost (£)",
            "£20k per QALY",
            "£30k per QALY",
            "showing 20,000 of 1,000,000 iterations per arm (every 50th)",
            "more costly, more effective",
        ],
    );
    // Dots are circles, or pieces of a path where many share a colour (`dots::DotPaths`).
    assert_eq!(
        svg.matches("<circle").count() + svg.matches("h0").count(),
        2 * 20_000 + 2 * 3 + 2 * (5 + 3),
        "thinned points, means, legend"
    );
    // Each run of dots was written as one stand-in circle and read back as paths: were plotters' circle format to
    // change, the stand-ins would not be read and the count above would miss the dots.
    assert!(svg.matches("<circle").count() < 1_000, "the dots are drawn as paths");
    let fig = CeFigure::new("CE", QALY, &arms, &[30_000.0]);
    assert!(fig.arms.iter().all(|a| a.points.len() == 20_000));
    // Means come from every iteration, not the thinned subset.
    let mean_a: f64 = a.0.iter().sum::<f64>() / a.0.len() as f64;
    assert_eq!(fig.arms[0].mean.map(|m| m.0), Some(mean_a));
    let buf = raster(&fig, (WIDTH, HEIGHT));
    assert!(ink(&buf, WIDTH, (300, 200, 900, 600)) > 0.3, "the clouds are drawn");
}

/// The plane's SVG as plotters writes it, every dot a circle.
fn plain_svg(fig: &CeFigure) -> String {
    use plotters::backend::SVGBackend;
    use plotters::drawing::IntoDrawingArea;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        fig.draw(&root).expect("draws");
        root.present().expect("presents");
    }
    svg
}

#[test]
fn dots_caught_before_they_are_written_give_the_svg_that_reading_the_circles_back_gives() {
    let mut r = Lcg(5);
    let [a, b] = ce_arms(&mut r, 10_000);
    let [c, d] = ce_arms(&mut r, 1_500);
    // A fixed outcome: every dot on one vertical line, hundreds on each of seven pixels (hundreds of layers).
    let fixed = vec![0.02; 3_000];
    let flat: Vec<f64> = (0..3_000).map(|i| f64::from(i % 7)).collect();
    type Arms<'a> = Vec<(String, &'a [f64], &'a [f64])>;
    let planes: [Arms; 4] = [
        vec![("A".into(), &a.0[..], &a.1[..]), ("B".into(), &b.0[..], &b.1[..])],
        vec![
            ("Small".into(), &c.0[..], &c.1[..]),
            ("Smaller".into(), &d.0[..1], &d.1[..1]),
        ],
        vec![
            ("Fixed".into(), &fixed[..], &flat[..]),
            ("C".into(), &c.0[..], &c.1[..]),
        ],
        vec![("One".into(), &d.0[..2], &d.1[..2])],
    ];
    for (k, arms) in planes.iter().enumerate() {
        let fig = CeFigure::new("CE", QALY, arms, &[30_000.0]);
        let caught = draw_svg((WIDTH, HEIGHT), &fig).expect("draws");
        // Read back, then with the same runs of bars, dashes and grid lines merged as every SVG has them.
        let read_back = merge_shapes(&compact(&plain_svg(&fig)));
        assert!(caught == read_back, "plane {k}: the two SVGs differ");
        assert!(caught.contains("h0"), "plane {k}: some dots are paths");
    }
    // Hundreds of dots on one spot are left as circles past the most layers a run may have.
    let fig = CeFigure::new("CE", QALY, &[("Spot".into(), &fixed[..], &fixed[..])], &[]);
    let caught = draw_svg((WIDTH, HEIGHT), &fig).expect("draws");
    assert!(caught.matches("<circle").count() > 1_000, "leftover dots stay circles");
    assert!(caught == merge_shapes(&compact(&plain_svg(&fig))));
}

#[test]
fn ce_plane_edge_cases_draw() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = [0.01, 0.01, 0.01];
    let c = [500.0, 500.0, 500.0];
    let nan_e = [f64::NAN, 0.02, 0.01];
    let nan_c = [1.0, f64::INFINITY, -200.0];
    let arms = [
        ("All equal".to_string(), &e[..], &c[..]),
        ("NaNs".to_string(), &nan_e[..], &nan_c[..]),
        ("One".to_string(), &[0.0][..], &[0.0][..]),
        ("Empty".to_string(), &[][..], &[][..]),
        ("Mismatched".to_string(), &[0.1, 0.2][..], &[100.0][..]),
    ];
    let base = dir.path().join("ce_edge");
    let paths = ce_plane(
        &base,
        "Edge",
        PlaneOutcome {
            axis: "Incremental ASCOT",
            gain: "ASCOT",
            per: "ASCOT",
        },
        &arms,
        &[f64::NAN, 0.0, -5.0, 1e300],
    )
    .expect("renders");
    let svg = check_outputs(&paths, &base, 10_000, &["Incremental ASCOT", "no finite iterations"]);
    assert!(
        svg.contains("3 iterations with non-finite or missing values skipped"),
        "counts skipped"
    );
    let all_zero = [("Zero".to_string(), &[0.0, 0.0][..], &[0.0, 0.0][..])];
    draw_both(&CeFigure::new("Zero", QALY, &all_zero, &[]));
    draw_both(&CeFigure::new("None", QALY, &[], &[20_000.0]));
}

#[test]
fn wtp_lines_are_clipped_to_the_plot() {
    let arms = [("A".to_string(), &[-0.01, 0.05][..], &[-500.0, 2000.0][..])];
    let fig = CeFigure::new("t", QALY, &arms, &[]);
    let ((x0, y0), (x1, y1)) = fig.wtp_segment(30_000.0).expect("visible");
    for (x, y) in [(x0, y0), (x1, y1)] {
        assert!(fig.x.contains(x) && y >= fig.y.lo - 1e-9 && y <= fig.y.hi + 1e-9);
        assert!((y - 30_000.0 * x).abs() < 1e-6);
    }
    assert!(
        fig.wtp_segment(1e12).is_some(),
        "a near-vertical line still crosses the origin"
    );
}
