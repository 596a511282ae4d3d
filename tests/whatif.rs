//! What-if analysis: parameter overrides, sweeps, shards and their merge.

mod common;

use carecast::model::compile_text;
use common::{bundled, bundled_path, carecast, changes, context, scenario_text, tempdir};
use std::fs;
use std::path::{Path, PathBuf};

/// Runs the example scenario with overrides through the library, at 500 iterations.
fn totals_with(overrides: &[&str]) -> ndarray::Array3<f64> {
    let loaded = bundled("example", Some(500), overrides);
    common::run_with(&loaded.model, &loaded.run, 2).kernel_totals
}

/// Runs the example scenario with its text edited, at 500 iterations.
fn totals_of_edited(from: &str, to: &str) -> ndarray::Array3<f64> {
    let text = fs::read_to_string("scenarios/example.toml").unwrap();
    assert!(text.contains(from), "the example has `{from}`");
    let mut model =
        compile_text(Path::new("edited.toml"), &text.replacen(from, to, 1)).unwrap_or_else(|e| panic!("{e}"));
    model.run_defaults.iterations = 500;
    common::run(&model, 2).kernel_totals
}

#[test]
fn an_override_gives_the_same_bits_as_editing_the_file() {
    // A distribution replaced by a fixed value: the value draws no random number, so every other draw is unchanged.
    assert_eq!(
        totals_with(&["home_care_weekly=120"]),
        totals_of_edited(
            "home_care_weekly = { dist = \"gamma\", mean = 96, sd = 15, source = \"forder2013\", unit = \"£/week\", note = \"no spread is published: sd £15 assumed (illustrative)\" }",
            "home_care_weekly = 120"
        )
    );
    // One field of a distribution, refitted as the file's own would be.
    assert_eq!(
        totals_with(&["home_care_weekly.mean=120"]),
        totals_of_edited("mean = 96, sd = 15", "mean = 120, sd = 15")
    );
    // A parameter defined in the base model and overridden by an arm: a field override changes the arm's
    // distribution (the base's plain number has no fields), a value override changes both.
    assert_eq!(
        totals_with(&["rr_reablement.ci95_low=0.5"]),
        totals_of_edited(
            "rr_reablement = { dist = \"lognormal\", ci95 = [0.6, 1.0]",
            "rr_reablement = { dist = \"lognormal\", ci95 = [0.5, 1.0]"
        )
    );
    assert_eq!(totals_with(&["rr_reablement=0.7"]), totals_of_edited_both_rr());
}

/// The example with rr_reablement fixed at 0.7 in the base model and in the reablement arm.
fn totals_of_edited_both_rr() -> ndarray::Array3<f64> {
    let text = fs::read_to_string("scenarios/example.toml").unwrap();
    assert!(
        text.contains("rr_reablement = 1 "),
        "the example fixes rr_reablement at 1 in the base model"
    );
    // The whole line, so that the arm's note and source can change without this edit silently doing nothing.
    let arm_line = text
        .lines()
        .find(|line| line.starts_with("parameters = { rr_reablement = {"))
        .expect("the example's reablement arm gives rr_reablement a distribution");
    let edited = text.replacen("rr_reablement = 1 ", "rr_reablement = 0.7 ", 1).replacen(
        arm_line,
        "parameters = { rr_reablement = 0.7 }",
        1,
    );
    let mut model = compile_text(Path::new("edited.toml"), &edited).unwrap_or_else(|e| panic!("{e}"));
    model.run_defaults.iterations = 500;
    common::run(&model, 2).kernel_totals
}

#[test]
fn overrides_are_checked_like_the_file() {
    let cases = [
        (
            "home_care_weekley=3",
            "no parameter is named `home_care_weekley`; did you mean `home_care_weekly`?",
        ),
        ("p_die=1.5", "`p_die` is used as a probability"),
        (
            "p_die.sd=0.1",
            "`sd` is not used by a beta distribution given by its 95% interval; it takes ci95",
        ),
        ("home_care_weekly.sd=-1", "sd"),
        (
            "home_care_weekly.meen=3",
            "`meen` is not a field that can be changed; did you mean `mean`?",
        ),
        (
            "p_die_residential.mean=1",
            "is an expression in base; only its value can be set",
        ),
        (
            "u_home_care.mean=0.999",
            "no beta distribution has mean 0.999 and sd 0.04",
        ),
        ("home_care_weekly", "expected NAME=VALUE"),
        ("home_care_weekly=abc", "not a finite number"),
    ];
    for (set, expected) in cases {
        let output = carecast()
            .args([
                "run",
                "scenarios/example.toml",
                "--iterations",
                "10",
                "--set",
                set,
                "--out",
            ])
            .arg(tempfile::tempdir().unwrap().path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "--set {set}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(
            stderr.contains(expected),
            "--set {set}: expected `{expected}` in {stderr}"
        );
        assert!(stderr.contains("--set"), "the error names the option: {stderr}");
    }
}

#[test]
fn overrides_are_recorded_in_the_provenance() {
    let tmp = tempfile::tempdir().unwrap();
    let output = carecast()
        .args([
            "run",
            "scenarios/example.toml",
            "--iterations",
            "100",
            "--quiet",
            "--set",
            "home_care_weekly=120",
        ])
        .args(["--set", "rr_reablement.ci95_low=0.5", "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let dir = PathBuf::from(String::from_utf8(output.stdout).unwrap().trim());
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let provenance = &summary["provenance"];
    assert_eq!(
        provenance["overrides"],
        serde_json::json!(["home_care_weekly=120", "rr_reablement.ci95_low=0.5"])
    );
    assert!(provenance["command"]
        .as_str()
        .unwrap()
        .ends_with("--set home_care_weekly=120 --set rr_reablement.ci95_low=0.5"));
    // The parameter table shows the values used.
    let p = summary["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "home_care_weekly")
        .unwrap();
    assert_eq!(p["spec"], serde_json::json!({ "kind": "fixed", "value": 120.0 }));
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("home_care_weekly=120, rr_reablement.ci95_low=0.5"));
}

/// Runs `carecast sweep` and returns the directory it wrote.
fn sweep(out: &Path, args: &[&str]) -> PathBuf {
    let output = carecast()
        .arg("sweep")
        .args(args)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stderr.is_empty(), "no progress bar when not on a terminal");
    PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
}

const GRID: [&str; 6] = [
    "scenarios/example.toml",
    "--vary",
    "home_care_weekly.mean=80:120:3",
    "--vary",
    "rr_reablement=0.6:1:2",
    "--iterations",
];

#[test]
fn a_sweep_point_is_the_run_with_those_values() {
    let tmp = tempfile::tempdir().unwrap();
    let mut args = GRID.to_vec();
    args.push("400");
    let dir = sweep(tmp.path(), &args);
    let mut reader = csv::Reader::from_path(dir.join("sweep.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        &header[..6],
        [
            "scenario",
            "point",
            "home_care_weekly.mean",
            "rr_reablement",
            "arm",
            "comparator"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6, "3 × 2 points, one comparison each");
    // The first axis varies slowest.
    let values: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| (r[2].parse().unwrap(), r[3].parse().unwrap()))
        .collect();
    assert_eq!(
        values,
        [
            (80.0, 0.6),
            (80.0, 1.0),
            (100.0, 0.6),
            (100.0, 1.0),
            (120.0, 0.6),
            (120.0, 1.0)
        ]
    );
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    // Point 3 (100, 1.0) against `carecast run --set` with the same values: the same numbers.
    let ctx = context(&tmp.path().join("runs"));
    let set = changes(Some(400), &["home_care_weekly.mean=100", "rr_reablement=1"]);
    let run = carecast::commands::run(&ctx, &bundled_path("example"), &set).unwrap_or_else(|e| panic!("{e}"));
    let c = &run.analysis.comparisons[0];
    let row = &rows[3];
    let read = |name: &str| row[column(name)].parse::<f64>().unwrap();
    assert_eq!(read("net_savings"), c.net_savings.mean);
    assert_eq!(read("net_savings_p2_5"), c.net_savings.p2_5);
    assert_eq!(read("bcr"), c.bcr.unwrap());
    assert_eq!(read("inmb"), c.inmb.unwrap().mean);
    assert_eq!(read("prob_cost_effective"), c.prob_cost_effective.unwrap());
    assert_eq!(read("lambda"), 30000.0);
}

#[test]
fn shards_merge_into_the_unsharded_sweep_bit_for_bit() {
    let tmp = tempfile::tempdir().unwrap();
    let mut args = GRID.to_vec();
    args.push("300");
    let whole = sweep(&tmp.path().join("whole"), &args);
    let shards: Vec<PathBuf> = (1..=4)
        .map(|k| {
            let mut a = args.clone();
            let shard = format!("{k}/4");
            a.extend(["--shard", shard.as_str()]);
            sweep(&tmp.path().join("shards"), &a)
        })
        .collect();
    // Shard 4 of 4 of six points holds point 3 alone; every point is in exactly one shard.
    let rows = |d: &Path| fs::read_to_string(d.join("sweep.csv")).unwrap().lines().count() - 1;
    assert_eq!(shards.iter().map(|d| rows(d)).collect::<Vec<_>>(), [2, 2, 1, 1]);

    let merge = |dirs: &[PathBuf]| {
        carecast()
            .arg("merge")
            .args(dirs)
            .arg("--out")
            .arg(tmp.path().join("merged"))
            .output()
            .unwrap()
    };
    let mut reversed = shards.clone();
    reversed.reverse();
    let output = merge(&reversed);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let merged = PathBuf::from(String::from_utf8(output.stdout).unwrap().trim());
    assert_eq!(
        fs::read(merged.join("sweep.csv")).unwrap(),
        fs::read(whole.join("sweep.csv")).unwrap()
    );
    assert_eq!(
        fs::read(merged.join("sweep.json")).unwrap(),
        fs::read(whole.join("sweep.json")).unwrap()
    );

    // A missing shard, a shard given twice, and a shard of another sweep are errors, not partial tables.
    let check = |dirs: &[PathBuf], expected: &str| {
        let output = merge(dirs);
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(expected), "expected `{expected}` in {stderr}");
    };
    check(&shards[..3], "shard 4/4 is missing");
    check(
        &[
            shards[0].clone(),
            shards[0].clone(),
            shards[2].clone(),
            shards[3].clone(),
        ],
        "is given twice",
    );
    let mut other_args = args.clone();
    other_args[4] = "rr_reablement=0.6:1:3";
    other_args.extend(["--shard", "2/4"]);
    let other = sweep(&tmp.path().join("other"), &other_args);
    check(
        &[shards[0].clone(), other, shards[2].clone(), shards[3].clone()],
        "different sweep",
    );
    check(&[whole], "was not sharded");
}

#[test]
fn a_scenarios_own_sweep_table_is_used_and_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let text =
        fs::read_to_string("scenarios/example.toml").unwrap() + "\n[sweep]\nvary = [\"home_care_weekly=80:120:5\"]\n";
    let path = tmp.path().join("with_sweep.toml");
    fs::write(&path, &text).unwrap();
    let dir = sweep(tmp.path(), &[path.to_str().unwrap(), "--iterations", "100"]);
    assert_eq!(fs::read_to_string(dir.join("sweep.csv")).unwrap().lines().count(), 6);

    let bad = text.replace("home_care_weekly=80:120:5", "home_care_weekli=80:120:5");
    fs::write(&path, bad).unwrap();
    let output = carecast().args(["check"]).arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("field `sweep.vary[0]`") && stderr.contains("did you mean `home_care_weekly`?"),
        "{stderr}"
    );
    let bad = text.replace("home_care_weekly=80:120:5", "home_care_weekly=80:120");
    fs::write(&path, bad).unwrap();
    let stderr = String::from_utf8(carecast().args(["check"]).arg(&path).output().unwrap().stderr).unwrap();
    assert!(stderr.contains("expected NAME=FROM:TO:STEPS"), "{stderr}");
}

/// Runs a carecast command that prints its output directory last; returns that directory.
fn output_dir(args: &[&str], out: &Path) -> PathBuf {
    let output = carecast().args(args).arg("--out").arg(out).output().unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    PathBuf::from(stdout.lines().last().unwrap().trim())
}

fn has_plot(dir: &Path, stem: &str) {
    for ext in ["png", "svg"] {
        let path = dir.join(format!("{stem}.{ext}"));
        let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(bytes.len() > 5000, "{} is a real plot", path.display());
    }
}

#[test]
fn the_analysis_commands_write_their_tables_and_plots() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = output_dir(&["tornado", "scenarios/example.toml", "--measure", "bcr"], tmp.path());
    let csv = fs::read_to_string(dir.join("tornado.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 12, "a header and the 12 sampled parameters");
    has_plot(&dir, "tornado_reablement");

    let dir = output_dir(
        &[
            "threshold",
            "scenarios/example.toml",
            "--parameter",
            "reablement_episode",
            "--range",
            "0:40000",
        ],
        tmp.path(),
    );
    let csv = fs::read_to_string(dir.join("threshold.csv")).unwrap();
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("reablement,usual_care,reablement_episode,bcr,1,"),
        "{csv}"
    );
    has_plot(&dir, "threshold_reablement");

    let dir = output_dir(
        &[
            "evppi",
            "scenarios/popp.toml",
            "--iterations",
            "2000",
            "--group",
            "baseline=bed_days_base,cost_bed_day",
        ],
        tmp.path(),
    );
    let csv = fs::read_to_string(dir.join("evppi.csv")).unwrap();
    assert!(
        csv.contains("baseline,group,bed_days_base cost_bed_day,") && csv.contains("Strong, Oakley & Brennan (2014)"),
        "{csv}"
    );
    has_plot(&dir, "evppi");

    let one = sweep(
        tmp.path(),
        &[
            "scenarios/example.toml",
            "--vary",
            "home_care_weekly=80:120:3",
            "--iterations",
            "200",
        ],
    );
    for measure in ["bcr", "net_savings", "inmb", "prob_cost_effective"] {
        has_plot(&one, &format!("sweep_example_{measure}"));
    }
    let two = sweep(
        tmp.path(),
        &[GRID[0], GRID[1], GRID[2], GRID[3], GRID[4], GRID[5], "200"],
    );
    has_plot(&two, "sweep_example_reablement_net_savings");
}

#[test]
fn bad_options_of_the_analysis_commands_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (
            &["tornado", "scenarios/example.toml", "--measure", "roi"],
            "`roi` is not a measure",
        ),
        (
            &[
                "tornado",
                "scenarios/example.toml",
                "--bounds",
                "home_care_weekly=100:50",
            ],
            "LOW < HIGH",
        ),
        (
            &[
                "tornado",
                "scenarios/example.toml",
                "--bounds",
                "home_care_weekli=50:100",
            ],
            "did you mean `home_care_weekly`?",
        ),
        (
            &["threshold", "scenarios/example.toml", "--parameter", "rr_reablment"],
            "did you mean `rr_reablement`?",
        ),
        (
            &[
                "threshold",
                "scenarios/example.toml",
                "--parameter",
                "p_die_residential",
            ],
            "give --range",
        ),
        (
            &["evppi", "scenarios/popp.toml", "--group", "g=bed_days"],
            "not a sampled parameter",
        ),
        (
            &[
                "sweep",
                "scenarios/example.toml",
                "--vary",
                "home_care_weekly=1:2:3",
                "--shard",
                "5/4",
            ],
            "expected K/N",
        ),
    ];
    for (args, expected) in cases {
        let output = carecast().args(args).arg("--out").arg(tmp.path()).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(expected), "{args:?}: expected `{expected}` in {stderr}");
    }
}

#[test]
fn a_sweep_with_set_is_the_run_with_the_same_changes_at_each_point() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = sweep(
        tmp.path(),
        &[
            "scenarios/example.toml",
            "--vary",
            "home_care_weekly.mean=100:120:2",
            "--set",
            "rr_reablement=0.7",
            "--iterations",
            "300",
        ],
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(manifest["overrides"], serde_json::json!(["rr_reablement=0.7"]));
    let mut reader = csv::Reader::from_path(dir.join("sweep.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let row = reader.records().next().unwrap().unwrap();
    let net = row[header.iter().position(|h| h == "net_savings").unwrap()]
        .parse::<f64>()
        .unwrap();
    let ctx = context(&tmp.path().join("runs"));
    let set = changes(Some(300), &["home_care_weekly.mean=100", "rr_reablement=0.7"]);
    let run = carecast::commands::run(&ctx, &bundled_path("example"), &set).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(net, run.analysis.comparisons[0].net_savings.mean);
}

/// Two arms that differ only in the arm's own `effect` (a relative risk of leaving home), and a programme cost.
const ARM_OWN_EFFECT: &str = r#"
[parameters]
effect = 1
[[states]]
name = "home"
per = "year"
costs = { council = 100 }
outcomes = { years_at_home = 1 }
[[states]]
name = "gone"
dead = true
[start]
home = 1
[transitions]
home = { gone = "0.2 * effect", home = "remainder" }
[[arms]]
name = "usual"
[[arms]]
name = "service"
parameters = { effect = { dist = "uniform", low = 0.4, high = 0.6 } }
costs = [{ name = "visit", kind = "one_off", payer = "council", amount = 50 }]
[cohort]
size = 100
"#;

#[test]
fn a_set_that_replaces_an_arms_own_value_is_echoed_and_warned_about() {
    let dir = tempdir();
    let path = dir.path().join("arm_own.toml");
    fs::write(&path, scenario_text("arm_own", &[("iterations", "50")], ARM_OWN_EFFECT)).unwrap();
    let output = carecast()
        .args(["run", path.to_str().unwrap(), "--quiet", "--set", "effect=0.2", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stderr}");
    // The echo: each definition before and after.
    assert!(
        stderr.contains("changed: --set effect=0.2: the base value: 1 → 0.2; arm service: Uniform"),
        "{stderr}"
    );
    // The arm's own value replaced, and what that did: the arms now differ only in the visit's cost.
    assert!(
        stderr.contains("warning: --set effect=0.2 replaced the value that arm service"),
        "{stderr}"
    );
    let run_dir = PathBuf::from(String::from_utf8(output.stdout).unwrap().trim_end());
    let summary = fs::read_to_string(run_dir.join("summary.json")).unwrap();
    assert!(
        summary.contains(
            "service and usual have the same outcomes in every iteration, so they now differ only in their costs"
        ),
        "{summary}"
    );
    // A field of the arm's own table changes only that definition: no warning.
    let output = carecast()
        .args([
            "run",
            path.to_str().unwrap(),
            "--quiet",
            "--set",
            "effect.high=0.7",
            "--out",
        ])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("changed: --set effect.high=0.7: arm service: Uniform"),
        "{stderr}"
    );
    assert!(!stderr.contains("warning"), "{stderr}");
}
