//! The reports of `carecast tornado`, `threshold` and `evppi`, and the EVPPI section of `carecast analyse`: each
//! says in words what the analysis found, with figures worked by hand on the two-year model of
//! `common::by_hand` (net savings = 1.5c − 1.8cf − 45, BCR = (1.5c − 1.8cf − 15) / 30; c ~ U(90, 110) in both arms,
//! f ~ U(0.4, 0.8) in the new arm).

mod common;

use common::{by_hand::model_text, carecast, tempdir};
use std::path::{Path, PathBuf};

/// Runs `carecast <command> <scenario> <args> --out <out>` and returns the directory it wrote.
fn run_study(out: &Path, command: &str, args: &[&str]) -> PathBuf {
    let scenario = out.join("by_hand.toml");
    std::fs::write(&scenario, model_text()).unwrap();
    let output = carecast()
        .arg(command)
        .arg(&scenario)
        .args(args)
        .arg("--out")
        .arg(out.join("out"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    PathBuf::from(stdout.trim_end().lines().last().unwrap())
}

/// The report's text with the word joiners that keep minus signs with their numbers taken out.
fn report(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("report.html"))
        .unwrap()
        .replace('\u{2060}', "")
}

#[test]
fn the_tornado_report_names_the_widest_bars_and_those_that_cross_break_even() {
    let tmp = tempdir();
    let dir = run_study(tmp.path(), "tornado", &[]);
    let html = report(&dir);
    // At c = 100, f = 0.6: −3. f at 0.41 and 0.79 (its 2.5th and 97.5th percentiles): 31.2 and −37.2; c at 90.5 and
    // 109.5: −6.99 and 0.99. Both bars straddle £0.
    assert!(
        html.contains("With every parameter at its mean, net savings per person are −£3.00."),
        "{html}"
    );
    assert!(html.contains("f (arm:new): £31.20 at 0.41"), "{html}");
    assert!(html.contains("and −£37.20 at 0.79"), "{html}");
    assert!(html.contains("c: −£6.99 at 90.5 and £0.99 at 110"), "{html}");
    assert!(
        html.contains("each of these takes the result across break-even (£0): f (arm:new); c."),
        "{html}"
    );
    // The plot, its numbers, the inputs with their sources and the command that reproduces it.
    assert!(
        html.contains("<svg") && html.contains("Data behind this plot"),
        "no plot"
    );
    assert!(
        html.contains("id=\"inputs\"") && html.contains("To reproduce"),
        "no inputs or provenance"
    );
    assert!(html.contains("--measure net_savings"), "the command");
}

#[test]
fn the_threshold_report_gives_the_crossing_and_the_share_of_the_distribution_below_it() {
    let tmp = tempdir();
    let dir = run_study(tmp.path(), "threshold", &["--parameter", "f", "--measure", "bcr"]);
    let html = report(&dir);
    // BCR at f = 0.6 is 0.9; BCR = 1 where 1.8·100·f = 105, f = 0.5833…; (0.5833 − 0.4) / 0.4 = 45.8% of U(0.4, 0.8)
    // lies below it.
    assert!(html.contains("each £1 of extra spend brings back £0.90"), "{html}");
    assert!(html.contains("It reaches break-even (£1.00) at f = 0.583"), "{html}");
    assert!(
        html.contains("45.8% of the parameter&#x27;s distribution lies below that value."),
        "{html}"
    );

    // Where the range holds no crossing, the report says so and which side the measure stays on.
    let dir = run_study(
        tmp.path(),
        "threshold",
        &["--parameter", "f", "--measure", "bcr", "--range", "0.7:0.8"],
    );
    let html = report(&dir);
    assert!(
        html.contains("It does not cross break-even (£1.00) anywhere from 0.7"),
        "{html}"
    );
    assert!(html.contains("it stays below break-even throughout"), "{html}");
    assert!(html.contains("--range 0.7:0.8"), "the command keeps the range");
}

/// The EVPI and the first EVPPI from evppi.csv, as the report prints them.
fn evppi_csv(dir: &Path) -> Vec<(String, f64, f64)> {
    let mut reader = csv::Reader::from_path(dir.join("evppi.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
            .unwrap()
    };
    let (label, value, evpi) = (
        col("parameter_or_group"),
        col("evppi_per_person"),
        col("evpi_per_person"),
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[label].to_string(),
                r[value].parse().unwrap(),
                r[evpi].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_evppi_report_states_the_evpi_and_the_largest_evppi_from_the_same_estimates() {
    let tmp = tempdir();
    let dir = run_study(tmp.path(), "evppi", &["--iterations", "4000", "--group", "both=c,f"]);
    let html = report(&dir);
    let rows = evppi_csv(&dir);
    let evpi = rows[0].2;
    assert!(evpi > 0.0, "the decision is uncertain at λ = 100");
    let money = carecast::output::format::money;
    assert!(
        html.contains(&format!(
            "the expected value of perfect information (EVPI) is {} per person",
            money(evpi)
        )),
        "{html}"
    );
    let top = rows.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    assert!(
        html.contains(&format!("would be worth most: {} per person", money(top.1))),
        "{html}"
    );
    assert!(html.contains("both (group: c, f)"), "the group and its members");
    assert!(
        html.contains("--group both=c,f") && html.contains("--iterations 4000"),
        "the command"
    );
}

#[test]
fn analyse_with_a_parameter_sample_puts_its_evppi_in_the_report() {
    let tmp = tempdir();
    let scenario = tmp.path().join("by_hand.toml");
    std::fs::write(&scenario, model_text()).unwrap();
    let run = common::run_quiet(&tmp.path().join("out"), &[scenario.to_str().unwrap()]);
    let output = carecast()
        .arg("analyse")
        .arg(run.join("iterations.csv"))
        .arg("--parameters")
        .arg(run.join("parameters.csv"))
        .arg("--out")
        .arg(tmp.path().join("analysed"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let dir = PathBuf::from(
        String::from_utf8(output.stdout)
            .unwrap()
            .trim_end()
            .lines()
            .last()
            .unwrap(),
    );
    let html = report(&dir);
    assert!(
        html.contains("id=\"evppi\"") && html.contains("href=\"#evppi\""),
        "an EVPPI section, in the contents"
    );
    let evpi = evppi_csv(&dir)[0].2;
    let money = carecast::output::format::money;
    assert!(
        html.contains(&format!("(EVPI) is {} per person", money(evpi))),
        "{html}"
    );
}
