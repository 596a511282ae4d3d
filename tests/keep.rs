//! `carecast run --keep` and `--gzip`: which iterations the per-iteration files (iterations.csv, parameters.csv)
//! hold, in what form, and that every result is computed from all iterations whatever is kept.

mod common;

use common::{carecast, tempdir};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Runs example.toml for `iterations` with `args`; returns the run directory and stderr.
fn run(out: &Path, iterations: &str, args: &[&str]) -> (PathBuf, String) {
    let output = carecast()
        .args([
            "run",
            "scenarios/example.toml",
            "--iterations",
            iterations,
            "--quiet",
            "--out",
        ])
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let dir = PathBuf::from(String::from_utf8(output.stdout).unwrap().trim());
    (dir, String::from_utf8(output.stderr).unwrap())
}

/// The iteration numbers in a per-iteration CSV's first column, in order.
fn iteration_column(text: &str) -> Vec<usize> {
    text.lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect()
}

/// The "per_iteration_files" and "results" entries of a run's summary.json.
fn summary(dir: &Path) -> (serde_json::Value, serde_json::Value) {
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    (json["per_iteration_files"].clone(), json["results"].clone())
}

fn gunzip(path: &Path) -> String {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn keep_n_writes_the_first_n_iterations_and_changes_no_result() {
    let tmp = tempdir();
    let (all, _) = run(tmp.path(), "300", &["--keep", "all"]);
    let (first, stderr) = run(tmp.path(), "300", &["--keep", "40"]);
    // example.toml has two arms: a row per iteration and arm in iterations.csv, one per iteration in parameters.csv.
    let rows = iteration_column(&fs::read_to_string(first.join("iterations.csv")).unwrap());
    assert_eq!(rows, (0..40).flat_map(|i| [i, i]).collect::<Vec<_>>());
    let params = iteration_column(&fs::read_to_string(first.join("parameters.csv")).unwrap());
    assert_eq!(params, (0..40).collect::<Vec<_>>());
    // The first 40 iterations are the same rows as those of the full file.
    let full = fs::read_to_string(all.join("iterations.csv")).unwrap();
    let kept = fs::read_to_string(first.join("iterations.csv")).unwrap();
    assert!(full.starts_with(&kept), "the kept rows are the full file's first rows");
    assert_eq!(iteration_column(&full).len(), 600);
    // Every result comes from all 300 iterations either way.
    let ((files_all, results_all), (files_first, results_first)) = (summary(&all), summary(&first));
    assert_eq!(results_all, results_first);
    assert_eq!(files_first["iterations_kept"], 40);
    assert_eq!(files_first["of_iterations"], 300);
    assert_eq!(files_all["iterations_kept"], 300);
    assert!(stderr.contains("the first 40 of 300 iterations"), "{stderr}");
    assert!(fs::read_to_string(first.join("report.html"))
        .unwrap()
        .contains("the first 40 of 300 iterations"));
}

#[test]
fn by_default_a_run_keeps_every_iteration_up_to_a_hundred_thousand() {
    let tmp = tempdir();
    let (dir, stderr) = run(tmp.path(), "500", &[]);
    assert_eq!(
        iteration_column(&fs::read_to_string(dir.join("parameters.csv")).unwrap()).len(),
        500
    );
    assert!(
        !stderr.contains("note:"),
        "nothing to say when every iteration is kept: {stderr}"
    );
    let (files, _) = summary(&dir);
    assert_eq!(files["files"], serde_json::json!(["iterations.csv", "parameters.csv"]));
}

#[test]
fn keep_none_writes_no_per_iteration_file() {
    let tmp = tempdir();
    let (dir, stderr) = run(tmp.path(), "100", &["--keep", "none"]);
    assert!(!dir.join("iterations.csv").exists() && !dir.join("parameters.csv").exists());
    assert!(dir.join("summary.json").exists() && dir.join("report.html").exists());
    let (files, _) = summary(&dir);
    assert_eq!(files["files"], serde_json::json!([]));
    assert_eq!(files["iterations_kept"], 0);
    assert!(stderr.contains("no per-iteration files"), "{stderr}");
}

#[test]
fn gzip_files_hold_the_same_text_and_analyse_reads_them_as_they_are() {
    let tmp = tempdir();
    // 20,000 iterations: several pieces of 8,192 rows, each its own gzip member.
    let (plain, _) = run(tmp.path(), "20000", &["--keep", "all"]);
    let (zipped, _) = run(tmp.path(), "20000", &["--keep", "all", "--gzip"]);
    for stem in ["iterations", "parameters"] {
        let text = fs::read_to_string(plain.join(format!("{stem}.csv"))).unwrap();
        assert_eq!(gunzip(&zipped.join(format!("{stem}.csv.gz"))), text, "{stem}");
        assert!(!zipped.join(format!("{stem}.csv")).exists());
    }
    // Written in pieces, the plain file is still one table: the header once, every iteration once, in order.
    let text = fs::read_to_string(plain.join("parameters.csv")).unwrap();
    assert_eq!(iteration_column(&text), (0..20000).collect::<Vec<_>>());
    assert_eq!(text.matches("iteration").count(), 1);
    // analyse on the compressed files gives the run's own tables, and the same EVPPI as on the plain ones.
    let analyse = |dir: &Path, ext: &str| {
        let output = carecast()
            .arg("analyse")
            .arg(dir.join(format!("iterations.{ext}")))
            .arg("--parameters")
            .arg(dir.join(format!("parameters.{ext}")))
            .args(["--wtp", "0:60000:1000", "--effect", "qaly", "--out"])
            .arg(tmp.path().join(ext))
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        PathBuf::from(String::from_utf8(output.stdout).unwrap().lines().last().unwrap())
    };
    let (from_plain, from_gzip) = (analyse(&plain, "csv"), analyse(&zipped, "csv.gz"));
    for file in ["ceac.csv", "roi.csv"] {
        assert_eq!(
            fs::read_to_string(plain.join(file)).unwrap(),
            fs::read_to_string(from_gzip.join(file)).unwrap(),
            "{file}"
        );
    }
    assert_eq!(
        fs::read_to_string(from_plain.join("evppi.csv")).unwrap(),
        fs::read_to_string(from_gzip.join("evppi.csv")).unwrap()
    );
}

#[test]
fn a_keep_that_is_not_all_none_or_a_number_is_refused() {
    let output = carecast()
        .args(["run", "scenarios/example.toml", "--keep", "most"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("--keep") && stderr.contains("`most`"), "{stderr}");
}

/// The type-7 quantile of `values` (sorted here), as R's `quantile` gives it.
fn quantile_type7(mut values: Vec<f64>, p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let h = (values.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    values[lo] + (h - lo as f64) * (values[(lo + 1).min(values.len() - 1)] - values[lo])
}

#[test]
fn percentiles_of_a_run_over_100000_iterations_are_those_of_the_kept_first_100000() {
    let tmp = tempdir();
    let (dir, stderr) = run(tmp.path(), "120000", &[]);
    assert!(
        stderr.contains("percentiles (intervals, medians) are of the first 100,000 of 120,000 iterations"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        json["percentiles_of"],
        "the first 100,000 of 120,000 iterations (means, standard errors and probabilities: all of them)"
    );
    // Net savings per iteration from the kept iterations.csv (its first 100,000 iterations): the comparator's total
    // cost minus the intervention's, rows in arm order within each iteration.
    let text = fs::read_to_string(dir.join("iterations.csv")).unwrap();
    let costs: Vec<f64> = text
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    let savings: Vec<f64> = costs.chunks_exact(2).map(|pair| pair[0] - pair[1]).collect();
    assert_eq!(savings.len(), 100_000);
    let reported = &json["results"]["comparisons"][0]["net_savings"];
    for (p, key) in [(0.025, "p2_5"), (0.5, "p50"), (0.975, "p97_5")] {
        let expected = quantile_type7(savings.clone(), p);
        let got = reported[key].as_f64().unwrap();
        assert!(
            (got - expected).abs() <= 1e-9 * expected.abs(),
            "{key}: {got} against {expected}"
        );
    }
    // The mean is of all 120,000 iterations, not of the kept ones.
    let kept_mean = savings.iter().sum::<f64>() / savings.len() as f64;
    assert_ne!(reported["mean"].as_f64().unwrap(), kept_mean);
}
