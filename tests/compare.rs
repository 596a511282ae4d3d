//! `carecast compare`: finished runs side by side, as a user runs it, and a clear refusal (exit 2, naming the
//! directory) of what is not a finished run of this version.

mod common;

use common::{carecast, run_quiet, tempdir};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

/// `carecast compare` on `dirs`, writing under `out`: exit code, stdout, stderr.
fn compare(out: &Path, dirs: &[&Path]) -> (i32, String, String) {
    let output = carecast()
        .arg("compare")
        .args(dirs)
        .arg("--out")
        .arg(out)
        .output()
        .expect("runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).expect("utf8"),
        String::from_utf8(output.stderr).expect("utf8"),
    )
}

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// Two runs of the adaptations scenario: another seed and a cheaper adaptation in the second.
fn two_runs(out: &Path) -> (PathBuf, PathBuf) {
    let a = run_quiet(out, &["scenarios/adaptations.toml", "--iterations", "100"]);
    let b = run_quiet(
        out,
        &[
            "scenarios/adaptations.toml",
            "--iterations",
            "100",
            "--seed",
            "11",
            "--set",
            "adaptation_cost.scale=750",
        ],
    );
    (a, b)
}

#[test]
fn two_runs_side_by_side_with_the_inputs_that_differ() {
    let dir = tempdir();
    let (a, b) = two_runs(&dir.path().join("runs"));
    let (code, stdout, stderr) = compare(&dir.path().join("out"), &[&a, &b]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&format!("run 1: {}", a.display())), "{stdout}");
    assert!(
        stdout.contains("Headline, per person: adaptation vs no_adaptation"),
        "{stdout}"
    );
    assert!(stdout.contains("Return by payer, per person"), "{stdout}");
    // The inputs that differ, each with both values; the scenario itself (its hash) is the same.
    for line in [
        "  seed\n    run 1: 2007\n    run 2: 11",
        "  overrides\n    run 1: []\n    run 2: [\"adaptation_cost.scale=750\"]",
    ] {
        assert!(stdout.contains(line), "{line} in\n{stdout}");
    }
    assert!(
        stdout.contains("  parameter adaptation_cost (base)\n    run 1: Gamma("),
        "{stdout}"
    );
    assert!(!stdout.contains("scenario sha256"), "{stdout}");
    // Real minus signs, and no row that repeats another of its kind in every run (all payers' return where one
    // payer bears everything): those stay in compare.csv.
    assert!(!stdout.contains("£-"), "{stdout}");
    let returns: Vec<&str> = (stdout.lines())
        .filter(|l| l.starts_with("  £ back per £1"))
        .map(|l| l.split_once("savings)").expect("a return row").1.trim())
        .collect();
    let mut distinct = returns.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), returns.len(), "{stdout}");

    // compare.csv: every figure of each run, equal to the run's own summary.json.
    let out = PathBuf::from(stdout.trim_end().lines().last().unwrap());
    assert!(
        out.starts_with(dir.path().join("out").join("compare")),
        "{}",
        out.display()
    );
    let mut reader = csv::Reader::from_path(out.join("compare.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    for (k, run_dir) in [(1, &a), (2, &b)] {
        let expected = summary(run_dir)["results"]["comparisons"][0]["incremental_cost"].clone();
        let row = rows
            .iter()
            .find(|r| &r[2] == "incremental cost (£ per person)" && r[3] == k.to_string())
            .expect("the incremental cost of each run");
        for (col, field) in [(5, "mean"), (6, "p2_5"), (7, "p97_5")] {
            assert_eq!(
                row[col].parse::<f64>().unwrap(),
                expected[field].as_f64().unwrap(),
                "{field}"
            );
        }
    }
    let inputs = fs::read_to_string(out.join("compare_inputs.csv")).unwrap();
    assert!(inputs.starts_with("\u{feff}input,run_1,run_2\n"), "{inputs}");
    assert!(inputs.contains("\nseed,2007,11\n"), "{inputs}");
    let every = fs::read_to_string(out.join("compare.csv")).unwrap();
    assert!(every.contains("per £1 spent by all payers"), "{every}");
}

#[test]
fn the_same_run_twice_differs_in_nothing() {
    let dir = tempdir();
    let a = run_quiet(
        &dir.path().join("runs"),
        &["scenarios/telecare-council.toml", "--iterations", "50"],
    );
    let (code, stdout, stderr) = compare(&dir.path().join("out"), &[&a, &a]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Inputs: the same in every run"), "{stdout}");
}

/// The message and exit code of comparing a good run with `bad`.
fn refused(bad: &Path) -> String {
    let dir = tempdir();
    let good = run_quiet(
        &dir.path().join("runs"),
        &["scenarios/telecare-council.toml", "--iterations", "20"],
    );
    let (code, stdout, stderr) = compare(&dir.path().join("out"), &[&good, bad]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains(&bad.display().to_string()),
        "names the directory: {stderr}"
    );
    assert!(!dir.path().join("out").join("compare").exists(), "nothing written");
    stderr
}

#[test]
fn a_directory_that_is_not_a_run_is_refused() {
    let dir = tempdir();
    assert!(refused(&dir.path().join("nowhere")).contains("is not a run directory: there is no such directory"));
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    assert!(refused(&empty).contains("is not a run directory: it has no readable summary.json"));
}

#[test]
fn an_incomplete_run_is_refused() {
    let dir = tempdir();
    let hidden = dir.path().join(".incomplete-2026-01-01T000000-seed1.host.boot.1");
    fs::create_dir(&hidden).unwrap();
    assert!(refused(&hidden).contains("is an incomplete run"));
    // A summary cut short, as by a full disk.
    let cut = dir.path().join("cut");
    fs::create_dir(&cut).unwrap();
    fs::write(cut.join("summary.json"), "{\"provenance\": {\"program\": \"carecast\"").unwrap();
    assert!(refused(&cut).contains("is not a complete summary of a run"));
}

#[test]
fn a_run_of_an_incompatible_version_is_refused() {
    let dir = tempdir();
    let run_dir = run_quiet(
        &dir.path().join("runs"),
        &["scenarios/telecare-council.toml", "--iterations", "20"],
    );
    let text = fs::read_to_string(run_dir.join("summary.json")).unwrap();
    let version = format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(text.contains(&version));
    fs::write(
        run_dir.join("summary.json"),
        text.replacen(&version, "\"version\": \"9.0.0\"", 1),
    )
    .unwrap();
    let stderr = refused(&run_dir);
    assert!(stderr.contains("was written by carecast 9.0.0"), "{stderr}");
}

#[test]
fn one_run_alone_is_a_usage_error() {
    let dir = tempdir();
    let output = carecast().arg("compare").arg(dir.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}
