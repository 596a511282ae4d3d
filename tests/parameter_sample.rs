//! parameters.csv (a run's PSA input sample, for voi, BCEA, dampack and SAVI) and `carecast analyse --parameters`
//! (EVPPI of another model's PSA): the file holds the run's draws exactly, reading it back gives the same EVPPI as
//! `carecast evppi` bit for bit, and iterations that do not match are refused.

mod common;

use carecast::analysis::csv_input::CsvOptions;
use carecast::analysis::voi::EvppiRow;
use carecast::analysis::AnalysisOptions;
use carecast::commands::{self, ParameterInput};
use carecast::model::Better;
use common::{carecast, changes, context, tempdir};
use std::fs;
use std::path::{Path, PathBuf};

/// The columns of a CSV file and its rows, split at commas (no cell here is quoted).
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = fs::read_to_string(path).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("every CSV starts with a UTF-8 byte order mark");
    let mut lines = text.lines().map(|l| l.split(',').map(String::from).collect::<Vec<_>>());
    (lines.next().unwrap(), lines.collect())
}

#[test]
fn parameters_csv_holds_every_draw_and_names_scopes_only_where_needed() {
    let tmp = tempdir();
    // The teaching scenario samples each of its parameters in one scope (some in an arm only).
    let outcome = commands::run(
        &context(tmp.path()),
        Path::new("scenarios/example.toml"),
        &changes(Some(300), &[]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (header, rows) = read_csv(&outcome.dir.join("parameters.csv"));
    let sampled = carecast::analysis::voi::sampled_parameters(&outcome.loaded.model);
    assert_eq!(header[0], "iteration");
    assert_eq!(header.len(), 1 + sampled.len());
    assert_eq!(rows.len(), 300);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[0], i.to_string());
        for (k, p) in sampled.iter().enumerate() {
            // Full precision: the text reads back to the very draw.
            assert_eq!(
                row[k + 1].parse::<f64>().unwrap(),
                outcome.results.draws[[i, p.slot]],
                "{}",
                p.column
            );
        }
    }
    // A name sampled in one scope keeps its name; names are unique.
    let mut names = header.clone();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), header.len());
}

#[test]
fn a_name_sampled_in_several_scopes_gets_a_column_per_scope() {
    let text = fs::read_to_string("scenarios/reference.toml").unwrap();
    let model = common::model(&text);
    let columns: Vec<String> = carecast::analysis::voi::sampled_parameters(&model)
        .into_iter()
        .map(|p| p.column)
        .collect();
    // Some scenario parameter is sampled in the base model and again in an arm: find one and check its columns.
    let twice: Vec<&String> = columns.iter().filter(|c| c.contains('@')).collect();
    for c in &twice {
        let (name, scope) = c.split_once('@').unwrap();
        assert!(
            scope == "base" || scope.starts_with("arm:") || scope.starts_with("subgroup:"),
            "{c}"
        );
        assert!(!columns.contains(&name.to_string()), "{name} is also unqualified");
    }
    // A hand-made one: `effect` sampled in the base model and in the arm `new`.
    let m = common::model(&common::scenario(
        "",
        r#"
[parameters]
effect = { dist = "uniform", low = 0, high = 0.1 }
other = { dist = "uniform", low = 0, high = 1 }
[[states]]
name = "well"
per = "year"
costs = { council = 100 }
outcomes = { qaly = "1 - effect" }
[[states]]
name = "dead"
dead = true
[start]
well = 1
[transitions]
well = { dead = "effect", well = "remainder" }
[[arms]]
name = "usual"
[[arms]]
name = "new"
parameters = { effect = { dist = "uniform", low = 0, high = 0.05 } }
[cohort]
size = 10
"#,
    ));
    let columns: Vec<String> = carecast::analysis::voi::sampled_parameters(&m)
        .into_iter()
        .map(|p| p.column)
        .collect();
    assert_eq!(columns, ["effect@base", "other", "effect@arm:new"]);
}

/// Reads evppi.csv's numbers by row: (label, EVPPI, SE, EVPI).
fn evppi_numbers(dir: &Path) -> Vec<(String, String, String, String)> {
    read_csv(&dir.join("evppi.csv"))
        .1
        .into_iter()
        .map(|r| (r[0].clone(), r[4].clone(), r[5].clone(), r[6].clone()))
        .collect()
}

fn bits(rows: &[EvppiRow]) -> Vec<(u64, u64, u64)> {
    rows.iter()
        .map(|r| {
            (
                r.estimate.value.to_bits(),
                r.estimate.se.to_bits(),
                r.estimate.evpi.to_bits(),
            )
        })
        .collect()
}

#[test]
fn parameters_csv_read_back_gives_the_runs_evppi_bit_for_bit() {
    // POPP: a lower-is-better primary outcome (emergency bed days), λ = £100 per bed day avoided, a group by name.
    let tmp = tempdir();
    let ctx = context(tmp.path());
    let scenario = Path::new("scenarios/popp.toml");
    let groups = vec![(
        "baseline".to_string(),
        vec!["bed_days_base".to_string(), "cost_bed_day".to_string()],
    )];
    let run = commands::run(&ctx, scenario, &changes(Some(1500), &[])).unwrap_or_else(|e| panic!("{e}"));
    let evppi = commands::evppi(&ctx, scenario, &changes(Some(1500), &[]), Some(100.0), &groups)
        .unwrap_or_else(|e| panic!("{e}"));
    let csv = CsvOptions {
        effect: Some("emergency_bed_days".into()),
        better: Better::Lower,
        unit: Some("bed day".into()),
        ..Default::default()
    };
    let options = AnalysisOptions {
        wtp: vec![0.0, 100.0],
        threshold: 100.0,
        population: None,
    };
    let parameters = ParameterInput {
        path: run.dir.join("parameters.csv"),
        groups: groups.clone(),
    };
    let analysed = commands::analyse_file(&ctx, &run.dir.join("iterations.csv"), &csv, &options, Some(&parameters))
        .unwrap_or_else(|e| panic!("{e}"));
    let external = analysed.evppi.expect("EVPPI from the parameter sample");
    assert_eq!(external.len(), evppi.rows.len());
    assert_eq!(
        bits(&external),
        bits(&evppi.rows),
        "the same EVPPI, SE and EVPI, bit for bit"
    );
    assert!(
        evppi.rows.iter().any(|r| r.estimate.value > 0.0),
        "a test of something that is not zero"
    );
    // And the files agree on every number (the labels differ: a column name against `name (scope)`).
    let numbers = |rows: Vec<(String, String, String, String)>| -> Vec<(String, String, String)> {
        rows.into_iter().map(|(_, a, b, c)| (a, b, c)).collect()
    };
    assert_eq!(
        numbers(evppi_numbers(&analysed.dir)),
        numbers(evppi_numbers(&evppi.dir))
    );
}

/// Runs `carecast analyse` on `psa` with `--parameters params` and returns (exit code, stderr).
fn analyse_with(psa: &Path, params: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let o = carecast()
        .arg("analyse")
        .arg(psa)
        .arg("--parameters")
        .arg(params)
        .args(extra)
        .args(["--out", "/nonexistent-carecast-test-dir"])
        .output()
        .unwrap();
    (o.status.code(), String::from_utf8_lossy(&o.stderr).to_string())
}

#[test]
fn parameter_samples_that_do_not_match_the_psa_are_refused() {
    let tmp = tempdir();
    let psa = tmp.path().join("psa.csv");
    let mut text = String::from("iteration,arm,cost,effect\n");
    for i in 0..60 {
        text.push_str(&format!("{i},usual,0,0\n{i},new,{},{}\n", 100 + i, 0.01 * f64::from(i)));
    }
    fs::write(&psa, text).unwrap();
    let write = |name: &str, rows: &dyn Fn(u32) -> Option<String>| -> PathBuf {
        let path = tmp.path().join(name);
        let body: String = (0..60).filter_map(rows).collect();
        fs::write(&path, format!("iteration,a,b\n{body}")).unwrap();
        path
    };
    // A sound sample runs, with a group.
    let good = write("good.csv", &|i| Some(format!("{i},{i},{}\n", 60 - i)));
    let o = carecast()
        .arg("analyse")
        .arg(&psa)
        .arg("--parameters")
        .arg(&good)
        .args(["--group", "both=a,b", "--threshold", "2000", "--out"])
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dir = PathBuf::from(String::from_utf8(o.stdout).unwrap().lines().last().unwrap());
    let rows = evppi_numbers(&dir);
    assert_eq!(
        rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["a", "b", "both"]
    );
    assert!(dir.join("evppi.svg").exists());
    // An iteration missing, one too many, one twice; a group member that is no column; a group without a sample.
    let missing = write("missing.csv", &|i| (i != 7).then(|| format!("{i},1,2\n")));
    let (code, e) = analyse_with(&psa, &missing, &[]);
    assert_eq!(code, Some(2));
    assert!(
        e.contains("missing.csv") && e.contains("iteration 7 of") && e.contains("has no row here"),
        "{e}"
    );
    let extra = write("extra.csv", &|i| {
        Some(if i == 59 {
            "59,1,2\n99,1,2\n".into()
        } else {
            format!("{i},1,2\n")
        })
    });
    let (code, e) = analyse_with(&psa, &extra, &[]);
    assert_eq!(code, Some(2));
    assert!(
        e.contains("extra.csv:62:1") && e.contains("iteration 99 is not an iteration of"),
        "{e}"
    );
    let twice = write("twice.csv", &|i| {
        Some(if i == 3 {
            "3,1,2\n3,1,2\n".into()
        } else {
            format!("{i},1,2\n")
        })
    });
    let (code, e) = analyse_with(&psa, &twice, &[]);
    assert_eq!(code, Some(2));
    assert!(
        e.contains("twice.csv:6:1") && e.contains("second row (the first is on line 5)"),
        "{e}"
    );
    let (code, e) = analyse_with(&psa, &good, &["--group", "g=a,bb"]);
    assert_eq!(code, Some(2));
    assert!(
        e.contains("`bb` is not a column") && e.contains("did you mean `b`?"),
        "{e}"
    );
    let o = carecast()
        .arg("analyse")
        .arg(&psa)
        .args(["--group", "g=a"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("give --parameters"));
}
