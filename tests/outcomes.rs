//! Outcomes where less is better (bed days, falls, admissions): the decision quantities worked by hand on a small
//! table, the same analyses as on the negated amounts, the `[outcomes]` table's errors, and labels in place of
//! identifiers everywhere a person reads.

mod common;

use carecast::analysis::{analyse, AnalysisOptions, PsaTable, Quadrant};
use carecast::model::{Better, OutcomeInfo};
use carecast::output::format::describe_icer;
use common::{carecast, compile_error, model, scenario_text, tempdir};
use ndarray::{Array2, Array3};
use std::fs;
use std::path::{Path, PathBuf};

/// Emergency bed days: one unit is "bed day", and fewer is better.
fn bed_days() -> OutcomeInfo {
    OutcomeInfo {
        name: "bed_days".into(),
        label: "emergency bed days".into(),
        unit: "bed day".into(),
        better: Better::Lower,
    }
}

/// Two arms over four iterations: usual care costs £1,000 and uses 20 bed days in each; the intervention's cost and
/// bed days per iteration are given. `outcome` says how the bed-day column reads.
fn table(cost: [f64; 4], days: [f64; 4], outcome: OutcomeInfo) -> PsaTable {
    let mut c = Array2::zeros((4, 2));
    let mut e = Array3::zeros((4, 2, 1));
    for i in 0..4 {
        c[[i, 0]] = 1000.0;
        e[[i, 0, 0]] = 20.0;
        c[[i, 1]] = cost[i];
        e[[i, 1, 0]] = days[i];
    }
    PsaTable {
        arms: vec!["usual".into(), "new".into()],
        labels: vec!["usual".into(), "new".into()],
        comparators: vec![None, Some(0)],
        outcomes: vec![outcome],
        primary: Some(0),
        cost: c,
        outcome_values: e,
        payers: None,
        payback: None,
        yearly: None,
    }
}

fn options() -> AnalysisOptions {
    AnalysisOptions {
        wtp: vec![0.0, 62.0, 100.0],
        threshold: 100.0,
        population: None,
    }
}

#[test]
fn a_lower_is_better_outcome_by_hand() {
    // Bed days avoided (20 − arm): 10, 5, 15, 10, mean 10; ΔC: 620, 100, 1,140, 620, mean 620.
    let t = table([1620.0, 1100.0, 2140.0, 1620.0], [10.0, 15.0, 5.0, 10.0], bed_days());
    let a = analyse(&t, &options());
    let c = &a.comparisons[0];
    // ΔE is the reduction, and the ICER is £620 / 10 = £62 per bed day avoided, more costly and more effective.
    assert_eq!(c.incremental_outcomes[0].mean, 10.0);
    let icer = c.icer.unwrap();
    assert_eq!(
        (icer.value, icer.quadrant),
        (Some(62.0), Quadrant::MoreCostlyMoreEffective)
    );
    assert_eq!(describe_icer(&icer, &bed_days()), "£62.00 per bed day avoided");
    // INMB at λ = £100 per bed day avoided: 100·(10, 5, 15, 10) − (620, 100, 1140, 620) = 380, 400, 360, 380.
    let inmb = c.inmb.unwrap();
    assert_eq!(inmb.mean, 380.0);
    assert_eq!(c.prob_cost_effective, Some(1.0));
    // The arm's mean is the amount as accrued: 10 bed days, not −10.
    assert_eq!(a.arms[1].outcomes[0].mean, 10.0);
    // At λ = 62 the INB per iteration is 0, 210, −210, 0: the intervention is best only in the second (ties go to
    // usual care), CEAC 1/4; EVPI = mean(max(0, INB)) − max(0, mean INB) = 210/4 − 0 = 52.5.
    let acc = a.acceptability.as_ref().unwrap();
    assert_eq!(acc.probability[1], vec![0.75, 0.25]);
    assert_eq!(acc.evpi[1], 52.5);
    // At λ = 0 the cheaper usual care wins everywhere, and at λ = 100 the intervention does.
    assert_eq!((acc.probability[0][1], acc.evpi[0]), (0.0, 0.0));
    assert_eq!((acc.probability[2][1], acc.evpi[2]), (1.0, 0.0));
    assert_eq!(acc.inmb(2, 1, 0), 380.0);
}

#[test]
fn every_quadrant_of_a_lower_is_better_outcome_reads_right() {
    // (ΔC, bed days of the intervention against usual care's 20): 10 fewer or 10 more, £620 more or less.
    let cases = [
        (
            1620.0,
            10.0,
            Quadrant::MoreCostlyMoreEffective,
            "£62.00 per bed day avoided",
        ),
        (
            380.0,
            10.0,
            Quadrant::Dominant,
            "dominant (no more costly, fewer emergency bed days)",
        ),
        (
            1620.0,
            30.0,
            Quadrant::Dominated,
            "dominated (no less costly, more emergency bed days)",
        ),
        (
            380.0,
            30.0,
            Quadrant::LessCostlyLessEffective,
            "£62.00 saved per extra bed day (less costly, more emergency bed days)",
        ),
    ];
    for (cost, days, quadrant, words) in cases {
        let t = table([cost; 4], [days; 4], bed_days());
        let a = analyse(&t, &options());
        let icer = a.comparisons[0].icer.unwrap();
        assert_eq!(icer.quadrant, quadrant, "{cost}, {days}");
        assert_eq!(describe_icer(&icer, &bed_days()), words);
        // Where the ratio is shown it is £62 a bed day, never a bare negative one.
        assert_eq!(icer.value.map(f64::abs), Some(62.0));
    }
}

#[test]
fn lower_is_better_is_the_same_analysis_as_on_the_negated_amounts() {
    // An outcome where less is better is valued as its negative: the analyses of the bed days declared `lower` must
    // be those of −(bed days) declared `higher`, bit for bit, except that the arms' means stay as accrued.
    let cost = [1620.0, 1100.0, 2140.0, 1400.0];
    let days = [10.0, 15.0, 5.0, 12.5];
    let lower = table(cost, days, bed_days());
    let mut negated = table(cost, days, OutcomeInfo::named("minus_bed_days"));
    negated.outcome_values.mapv_inplace(|v| -v);
    let (a, b) = (analyse(&lower, &options()), analyse(&negated, &options()));
    let json = |v: &dyn erased::Serialize| v.json();
    assert_eq!(json(&a.comparisons), json(&b.comparisons));
    assert_eq!(json(&a.acceptability), json(&b.acceptability));
    assert_eq!(a.arms[1].outcomes[0].mean, -b.arms[1].outcomes[0].mean);
}

/// Serialises without naming the concrete type.
mod erased {
    pub trait Serialize {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Serialize for T {
        fn json(&self) -> String {
            serde_json::to_string(self).expect("serialisable")
        }
    }
}

/// A one-year model with a bed-day outcome `zq_nights` that the intervention halves, for £30 a person.
fn nights_scenario(outcomes_table: &str) -> String {
    scenario_text(
        "nights",
        &[
            ("horizon_years", "2"),
            ("iterations", "400"),
            ("primary_outcome", "\"zq_nights\""),
            ("threshold", "50"),
        ],
        &format!(
            r#"
{outcomes_table}

[parameters]
nights = {{ dist = "gamma", mean = 4, sd = 1 }}
cost_night = {{ dist = "gamma", mean = 300, sd = 50 }}
effect = 1
utility = {{ dist = "beta", mean = 0.7, sd = 0.05 }}

[[states]]
name = "home"
per = "year"
costs = {{ nhs = "nights * effect * cost_night" }}
outcomes = {{ zq_nights = "nights * effect", qaly = "utility" }}

[[states]]
name = "dead"
dead = true

[start]
home = 1

[transitions]
home = {{ dead = 0.1, home = "remainder" }}

[[arms]]
name = "usual"
label = "Usual care"

[[arms]]
name = "service"
label = "Night service"
parameters = {{ effect = {{ dist = "beta", mean = 0.5, sd = 0.1 }} }}
costs = [{{ name = "service", kind = "one_off", payer = "council", amount = 30 }}]

[cohort]
size = 100
"#
        ),
    )
}

const NIGHTS: &str = r#"[outcomes]
zq_nights = { label = "hospital nights", unit = "night", better = "lower" }"#;

#[test]
fn the_outcomes_table_sets_label_unit_and_direction() {
    let m = model(&nights_scenario(NIGHTS));
    let nights = &m.outcome_info[m.outcomes.iter().position(|o| o == "zq_nights").unwrap()];
    assert_eq!(
        (nights.label.as_str(), nights.unit.as_str(), nights.better),
        ("hospital nights", "night", Better::Lower)
    );
    // Without an entry: the name made readable, unit = label, more is better.
    let qaly = &m.outcome_info[m.outcomes.iter().position(|o| o == "qaly").unwrap()];
    assert_eq!(
        (qaly.label.as_str(), qaly.unit.as_str(), qaly.better),
        ("QALY", "QALY", Better::Higher)
    );
    // A label alone is the unit too.
    let m = model(&nights_scenario(
        "[outcomes]\nzq_nights = { label = \"nights in hospital\" }",
    ));
    assert_eq!(m.outcome_info[1].unit, "nights in hospital");
}

#[test]
fn outcomes_table_errors_name_the_place_and_the_fix() {
    let error = |table: &str| compile_error(&nights_scenario(table));
    // The table's entry is on line 20 of the scenario text (after the settings).
    let e = error("[outcomes]\nzq_night = { better = \"lower\" }");
    assert!(e.contains(":20:1: field `outcomes.zq_night`"), "{e}");
    assert!(
        e.contains("no state has an outcome named `zq_night`; did you mean `zq_nights`?"),
        "{e}"
    );
    let e = error("[outcomes]\nzq_nights = { better = \"less\" }");
    assert!(e.contains(":20:24: field `outcomes.zq_nights.better`"), "{e}");
    assert!(
        e.contains("use \"higher\" (more is better) or \"lower\" (less is better)"),
        "{e}"
    );
    let e = error("[outcomes]\nzq_nights = { label = \"  \" }");
    assert!(
        e.contains("field `outcomes.zq_nights.label`") && e.contains("not empty"),
        "{e}"
    );
    let e = error("[outcomes]\nzq_nights = { unit = \"\" }");
    assert!(e.contains("field `outcomes.zq_nights.unit`"), "{e}");
    let e = error("[outcomes]\nzq_nights = { direction = \"lower\" }");
    assert!(e.contains("unknown field `direction`"), "{e}");
}

/// Runs `carecast ARGS --out DIR` and returns its standard output and the directory it printed last.
fn run_cli(args: &[&str], out: &Path) -> (String, PathBuf) {
    let o = carecast().args(args).arg("--out").arg(out).output().expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8(o.stdout).expect("utf-8");
    let dir = PathBuf::from(stdout.lines().last().expect("a directory").trim());
    (stdout, dir)
}

/// The text of every SVG in `dir`.
fn svg_texts(dir: &Path) -> Vec<(PathBuf, String)> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .map(|p| (p.clone(), fs::read_to_string(&p).unwrap()))
        .collect()
}

#[test]
fn the_identifier_never_shows_where_the_label_does() {
    let tmp = tempdir();
    let scenario = tmp.path().join("nights.toml");
    fs::write(&scenario, nights_scenario(NIGHTS)).unwrap();
    let path = scenario.to_str().unwrap();
    let (stdout, dir) = run_cli(&["run", path], &tmp.path().join("runs"));
    // The terminal reads in the label and unit.
    assert!(!stdout.contains("zq_nights"), "{stdout}");
    assert!(stdout.contains("hospital nights avoided"), "{stdout}");
    assert!(stdout.contains("INMB at £50.00 per night avoided"), "{stdout}");
    // The report, apart from its inputs (which echo the file and list each outcome's name beside its label).
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    let inputs = html.find("<section id=\"inputs\"").expect("an inputs section");
    let end = inputs + html[inputs..].find("</section>").unwrap();
    let outside = format!("{}{}", &html[..inputs], &html[end..]);
    assert!(
        !outside.contains("zq_nights"),
        "the report names the outcome by its identifier"
    );
    assert!(outside.contains("Hospital nights avoided") && outside.contains("per night avoided"));
    assert!(
        html[inputs..end].contains("hospital nights"),
        "the inputs list the label"
    );
    // Every plot; the SVG is read whole, so any text it draws counts.
    let svgs = svg_texts(&dir);
    assert!(svgs.len() >= 4);
    for (p, svg) in &svgs {
        assert!(!svg.contains("zq_nights"), "{}", p.display());
    }
    let plane = &svgs.iter().find(|(p, _)| p.ends_with("ce_plane.svg")).unwrap().1;
    assert!(plane.contains("Hospital nights avoided") && plane.contains("per night avoided"));
    // The CSV files keep the identifier as the column name, and iterations.csv holds the nights as accrued.
    let iterations = fs::read_to_string(dir.join("iterations.csv")).unwrap();
    assert!(iterations.lines().next().unwrap().contains(",zq_nights,"));
    // EVPPI says what λ is per in words too.
    let (stdout, dir) = run_cli(&["evppi", path, "--iterations", "200"], &tmp.path().join("evppi"));
    assert!(
        stdout.contains("per night avoided") && !stdout.contains("zq_nights"),
        "{stdout}"
    );
    for (p, svg) in svg_texts(&dir) {
        assert!(
            !svg.contains("zq_nights") && svg.contains("per night avoided"),
            "{}",
            p.display()
        );
    }
}

#[test]
fn analyse_reads_a_lower_is_better_effect_back_to_the_runs_tables() {
    // A run's own iterations.csv, analysed with the direction the scenario gave, gives the run's CEAC and EVPI
    // tables byte for byte; without it, the decision would be valued the wrong way round, and differs.
    let tmp = tempdir();
    let scenario = tmp.path().join("nights.toml");
    fs::write(&scenario, nights_scenario(NIGHTS)).unwrap();
    let (_, run) = run_cli(
        &["run", scenario.to_str().unwrap(), "--quiet"],
        &tmp.path().join("runs"),
    );
    let csv = run.join("iterations.csv");
    let analysed = |extra: &[&str], out: &str| {
        let mut args = vec![
            "analyse",
            csv.to_str().unwrap(),
            "--effect",
            "zq_nights",
            "--wtp",
            "0:50000:1000",
            "--threshold",
            "50",
        ];
        args.extend(extra);
        run_cli(&args, &tmp.path().join(out))
    };
    let (stdout, lower) = analysed(
        &[
            "--better",
            "lower",
            "--effect-label",
            "hospital nights",
            "--effect-unit",
            "night",
        ],
        "a",
    );
    assert!(stdout.contains("INMB at £50.00 per night avoided"), "{stdout}");
    let (_, higher) = analysed(&[], "b");
    for table in ["ceac.csv", "evpi.csv"] {
        let ours = fs::read_to_string(run.join(table)).unwrap();
        assert_eq!(ours, fs::read_to_string(lower.join(table)).unwrap(), "{table}");
        assert_ne!(ours, fs::read_to_string(higher.join(table)).unwrap(), "{table}");
    }
    let o = carecast()
        .args(["analyse", csv.to_str().unwrap(), "--better", "fewer"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`fewer` is not a direction"));
}
