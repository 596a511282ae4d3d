//! Two-way deterministic sensitivity analysis against values worked by hand, and `carecast twoway` as a user runs it.

mod common;

use carecast::analysis::sensitivity::Measure;
use carecast::analysis::twoway::two_way;
use common::by_hand::{close, deterministic, model_text};
use common::{carecast, tempdir};
use std::fs;

// The hand-worked model of `tests/common/by_hand.rs`: two years, annual cycles, start-of-cycle accrual, no
// discounting. Usual care: half the living die each year; the intervention: a fifth, for a one-off £30, with council
// costs c·f a year (f only in the intervention arm) and NHS costs `nhs` a year in both.
//
// By hand: usual care costs 1.5c (council) + 1.5·nhs (NHS); the intervention 1.8·c·f + 1.8·nhs + 30. Net savings =
// 1.5c − 1.8cf − 0.3·nhs − 30; BCR = (1.5c − 1.8cf − 0.3·nhs) / 30; INMB at λ = 100 per QALY (ΔE = 0.3) = 30 + net
// savings. Each is linear in c for fixed f and in f for fixed c, so every cell of a grid is known exactly.

fn net_savings(c: f64, f: f64, nhs: f64) -> f64 {
    1.5 * c - 1.8 * c * f - 0.3 * nhs - 30.0
}

#[test]
fn every_cell_of_the_grid_is_the_hand_worked_value() {
    let d = deterministic(&[]);
    let cs = [90.0, 95.0, 100.0, 105.0, 110.0];
    let fs = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
    for measure in [Measure::NetSavings, Measure::Bcr, Measure::Inmb] {
        let grids = two_way(&d, ("c", &cs), ("f", &fs), measure).unwrap();
        assert_eq!(grids.len(), 1, "one comparison");
        let g = &grids[0];
        assert_eq!((g.arm.as_str(), g.comparator.as_str()), ("new", "usual"));
        assert_eq!(
            (g.values.len(), g.values[0].len()),
            (fs.len(), cs.len()),
            "rows are y, columns x"
        );
        for (iy, &f) in fs.iter().enumerate() {
            for (ix, &c) in cs.iter().enumerate() {
                let n = net_savings(c, f, 50.0);
                let expected = match measure {
                    Measure::NetSavings => n,
                    Measure::Bcr => (n + 30.0) / 30.0,
                    Measure::Inmb => n + 30.0,
                };
                assert!(
                    close(g.values[iy][ix], expected),
                    "{measure:?} at c = {c}, f = {f}: {}",
                    g.values[iy][ix]
                );
            }
        }
        // The base case is the model at its means (c = 100, f = 0.6), and the axes say so.
        assert!(close(g.base, [-3.0, 0.9, 27.0][measure as usize]), "{measure:?}");
        assert!(close(g.x.base, 100.0) && close(g.y.base, 0.6));
        assert_eq!(g.break_even, if measure == Measure::Bcr { 1.0 } else { 0.0 });
    }
}

#[test]
fn a_parameter_the_file_fixes_moves_everywhere_it_is_defined() {
    let d = deterministic(&["nhs"]);
    let nhs = [0.0, 50.0, 100.0];
    let fs = [0.5, 0.6];
    let g = &two_way(&d, ("nhs", &nhs), ("f", &fs), Measure::NetSavings).unwrap()[0];
    for (iy, &f) in fs.iter().enumerate() {
        for (ix, &n) in nhs.iter().enumerate() {
            assert!(close(g.values[iy][ix], net_savings(100.0, f, n)), "nhs = {n}, f = {f}");
        }
    }
    assert!(close(g.x.base, 50.0));
}

#[test]
fn unknown_and_repeated_parameters_are_refused() {
    let d = deterministic(&[]);
    let v = [0.0, 1.0];
    let e = two_way(&d, ("cc", &v), ("f", &v), Measure::NetSavings)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`--x`") && e.contains("did you mean `c`?"), "{e}");
    let e = two_way(&d, ("f", &v), ("f", &v), Measure::NetSavings)
        .unwrap_err()
        .to_string();
    assert!(e.contains("already the x parameter"), "{e}");
    // A fixed parameter that was not kept changeable cannot move.
    let e = two_way(&d, ("c", &v), ("nhs", &v), Measure::NetSavings)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`--y`"), "{e}");
}

#[test]
fn the_command_writes_the_grid_and_a_heat_map_with_the_break_even_contour() {
    let tmp = tempdir();
    let scenario = tmp.path().join("by_hand.toml");
    fs::write(&scenario, model_text()).unwrap();
    let o = carecast()
        .args([
            "twoway",
            scenario.to_str().unwrap(),
            "--x",
            "c=90:110:3",
            "--y",
            "f=0.4:0.8:5",
            "--out",
        ])
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert!(stdout.contains("base case (c = 100, f = 0.600): −£3.00"), "{stdout}");
    let dir = std::path::PathBuf::from(stdout.lines().last().unwrap());
    let csv = fs::read_to_string(dir.join("twoway.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "\u{feff}arm,comparator,measure,x_parameter,x,y_parameter,y,value,break_even"
    );
    assert_eq!(lines.len(), 1 + 15);
    // The first row: c = 90, f = 0.4: 135 − 64.8 − 15 − 30 = 25.2.
    let first: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(&first[..7], ["new", "usual", "net_savings", "c", "90", "f", "0.4"]);
    assert!(close(first[7].parse().unwrap(), 25.2));
    // Net savings change sign inside the grid, so the heat map draws and explains the contour.
    let svg = fs::read_to_string(dir.join("twoway_new.svg")).unwrap();
    assert!(svg.contains("Black line: break-even"), "the contour is explained");
    assert!(dir.join("twoway_new.png").exists());
    // A field of a distribution is a sweep's business; one value is not a grid.
    for (x, why) in [
        ("c.mean=90:110:3", "sets a parameter's value"),
        ("c=90:110:1", "STEPS must be from 2"),
    ] {
        let o = carecast()
            .args(["twoway", scenario.to_str().unwrap(), "--x", x, "--y", "f=0.4:0.8:2"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains(why), "{x}");
    }
}
