//! The economic analyses end to end: hand-computed ROI, net savings and payback on a deterministic scenario, and
//! `carecast analyse` agreeing with the definitions and with a run's own analysis.

mod common;
use carecast::analysis::{analyse, AnalysisOptions, PsaTable};
use common::*;
use std::fs;

fn deterministic() -> (carecast::model::Model, carecast::analysis::Analysis) {
    // Arm b: a one-off £1,000 council spend per person that cuts NHS care from £2,000 to £1,500 a year.
    // Three years, nobody leaves, no discounting, start-of-cycle accrual.
    let text = scenario(
        "",
        r#"
[parameters]
nhs_cost = 2000
[[states]]
name = "home"
per = "year"
costs = { nhs = "nhs_cost", council = { amount = 300, cashable = 0.5 } }
outcomes = { qaly = 0.7 }
[start]
home = 1
[transitions]
home = { home = 1 }
[[arms]]
name = "a"
[[arms]]
name = "b"
parameters = { nhs_cost = 1500 }
costs = [{ name = "kit", kind = "one_off", payer = "council", amount = 1000 }]
[cohort]
size = 1
"#,
    )
    .replace("horizon_years = 10", "horizon_years = 3")
    .replace("discount_rate_costs = 0.035", "discount_rate_costs = 0")
    .replace("discount_rate_outcomes = 0.035", "discount_rate_outcomes = 0");
    let m = model(&text);
    let r = run(&m, 1);
    let options = AnalysisOptions {
        wtp: vec![0.0, 20_000.0],
        threshold: 20_000.0,
        population: Some(1000.0),
    };
    let a = analyse(&PsaTable::from_results(&m, &r), &options);
    (m, a)
}

#[test]
fn roi_net_savings_and_payback_by_hand() {
    let (_, a) = deterministic();
    let c = &a.comparisons[0];
    // Savings: 3 years × £500 NHS = £1,500; spend £1,000 → BCR 1.5; net savings £500.
    assert_eq!(c.bcr, Some(1.5));
    assert!((c.net_savings.mean - 500.0).abs() < 1e-9);
    let row = |s: &str, p: &str, basis: &str| {
        a.roi
            .iter()
            .find(|r| r.savings_payer == s && r.spend_payer == p && r.basis == basis)
            .expect("row")
            .bcr
    };
    assert!((row("nhs", "council", "all") - 1.5).abs() < 1e-12);
    assert!((row("total", "total", "all") - 1.5).abs() < 1e-12);
    assert_eq!(row("council", "council", "all"), 0.0);
    // Payback: cumulative net savings −500 after year 1, 0 after year 2 → year 2 in the only iteration.
    let p = &a.payback[0];
    assert_eq!(p.median_year, Some(2));
    assert_eq!(p.year_of_mean, Some(2));
    assert_eq!(p.share_by_year[1], 1.0);
    let cumulative = &a.cumulative_net_savings[0];
    assert!((cumulative.mean[0] + 500.0).abs() < 1e-9 && cumulative.mean[1].abs() < 1e-9);
    assert!((cumulative.p50[2] - 500.0).abs() < 1e-9);
    // Equal QALYs: INMB = −ΔC = 500 at any λ; one iteration, so the intervention wins every λ and EVPI is 0.
    assert!((c.inmb.unwrap().mean - 500.0).abs() < 1e-9);
    let acc = a.acceptability.as_ref().unwrap();
    assert_eq!(acc.probability[1], vec![0.0, 1.0]);
    assert_eq!(acc.evpi, vec![0.0, 0.0]);
    assert_eq!(a.population_evpi, Some(vec![0.0, 0.0]));
}

#[test]
fn analyse_matches_the_definitions_on_a_hand_made_sample() {
    // The sample worked out in src/analysis/ce.rs: at λ = 10, CEAC = 0.5/0.5, frontier usual care, EVPI = 2.5;
    // at λ = 100, CEAC = 0.25/0.75, EVPI = 0.5.
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("psa.csv");
    fs::write(
        &csv,
        "iteration,arm,cost,effect\n0,usual,0,0\n0,new,5,1\n1,usual,0,0\n1,new,30,2\n2,usual,0,0\n2,new,2,0\n3,usual,0,0\n3,new,5,1\n",
    )
    .unwrap();
    let output = carecast()
        .args(["analyse"])
        .arg(&csv)
        .args(["--wtp", "0:100:10", "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let dir = std::path::PathBuf::from(String::from_utf8(output.stdout).unwrap().lines().last().unwrap());
    let evpi = fs::read_to_string(dir.join("evpi.csv")).unwrap();
    let value = |lambda: &str| -> f64 {
        evpi.lines()
            .find(|l| l.starts_with(&format!("{lambda},")))
            .unwrap()
            .split(',')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!((value("10") - 2.5).abs() < 1e-12);
    assert!((value("100") - 0.5).abs() < 1e-12);
    let ceac = fs::read_to_string(dir.join("ceac.csv")).unwrap();
    assert!(ceac.contains("100,new,0.75,"), "{ceac}");
    assert!(ceac.contains("10,usual,0.5,"), "{ceac}");
}

#[test]
fn analyse_of_a_runs_iterations_reproduces_its_acceptability_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let output = carecast()
        .args([
            "run",
            "scenarios/example.toml",
            "--iterations",
            "2000",
            "--quiet",
            "--out",
        ])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let run_dir = std::path::PathBuf::from(String::from_utf8(output.stdout).unwrap().trim());
    let output = carecast()
        .args(["analyse"])
        .arg(run_dir.join("iterations.csv"))
        .args(["--wtp", "0:60000:1000", "--effect", "qaly", "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let analyse_dir = std::path::PathBuf::from(String::from_utf8(output.stdout).unwrap().lines().last().unwrap());
    for file in ["ceac.csv", "evpi.csv", "roi.csv"] {
        assert_eq!(
            fs::read_to_string(run_dir.join(file)).unwrap(),
            fs::read_to_string(analyse_dir.join(file)).unwrap(),
            "{file}"
        );
    }
    // CEAC sums to 1 across arms at every λ.
    let ceac = fs::read_to_string(run_dir.join("ceac.csv")).unwrap();
    let mut sums = std::collections::BTreeMap::<String, f64>::new();
    for line in ceac.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        *sums.entry(f[0].to_string()).or_default() += f[2].parse::<f64>().unwrap();
    }
    assert!(sums.values().all(|s| (s - 1.0).abs() < 1e-12));
}

#[test]
fn analyse_rejects_bad_rows_with_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("bad.csv");
    fs::write(&csv, "iteration,arm,cost,effect\n0,a,1,0.5\n0,b,2,oops\n").unwrap();
    let output = carecast()
        .args(["analyse"])
        .arg(&csv)
        .arg("--out")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let e = String::from_utf8(output.stderr).unwrap();
    assert!(
        e.contains("bad.csv:3:4") && e.contains("effect") && e.contains("oops"),
        "{e}"
    );
}
