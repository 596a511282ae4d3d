//! The command-line program as a user runs it: outputs, reproducibility of files, and bad input.

mod common;

use common::carecast;
use std::fs;
use std::path::{Path, PathBuf};

/// Runs `carecast run` into a fresh directory and returns the run directory it printed.
fn run_into(out: &Path, args: &[&str]) -> PathBuf {
    let output = carecast()
        .args(["run", "scenarios/example.toml", "--quiet", "--out"])
        .arg(out)
        .args(args)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    PathBuf::from(String::from_utf8(output.stdout).expect("utf8").trim())
}

#[test]
fn run_writes_summary_iterations_and_per_year_files() {
    let tmp = tempfile::tempdir().unwrap();
    let output = carecast()
        .args(["run", "scenarios/example.toml", "--iterations", "300", "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    for expected in [
        "net savings",
        "£ back per £1 spent",
        "incremental cost",
        "accrual: half-cycle",
        "ICER",
    ] {
        assert!(
            stdout.contains(expected),
            "terminal summary lacks {expected:?}:\n{stdout}"
        );
    }
    let dir = PathBuf::from(stdout.lines().last().unwrap());
    assert!(dir.starts_with(tmp.path().join("example")));
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["provenance"]["iterations"], 300);
    assert_eq!(summary["settings"]["accrual"], "half-cycle");
    assert_eq!(summary["provenance"]["scenario_sha256"].as_str().unwrap().len(), 64);
    let iterations = fs::read_to_string(dir.join("iterations.csv")).unwrap();
    assert_eq!(iterations.lines().count(), 1 + 300 * 2);
    let per_year = fs::read_to_string(dir.join("per_year.csv")).unwrap();
    // Every CSV starts with a UTF-8 byte order mark, for Excel.
    assert!(per_year.starts_with("\u{feff}arm,year,measure,mean,p2_5,p50,p97_5"));
    for table in ["ceac.csv", "evpi.csv", "roi.csv", "by_year.csv"] {
        assert!(fs::metadata(dir.join(table)).unwrap().len() > 100, "{table}");
    }
    for plot in ["roi_reablement", "ce_plane", "ceac", "evpi", "cumulative_reablement"] {
        let png = fs::read(dir.join(format!("{plot}.png"))).unwrap();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
            "{plot}.png"
        );
        let svg = fs::read_to_string(dir.join(format!("{plot}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("<text"), "{plot}.svg");
    }
}

#[test]
fn same_seed_gives_the_same_bytes_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let a = run_into(tmp.path(), &["--iterations", "500", "--threads", "1"]);
    let b = run_into(tmp.path(), &["--iterations", "500", "--threads", "2"]);
    assert_ne!(a, b, "a second run must get its own directory");
    for file in ["iterations.csv", "per_year.csv"] {
        assert_eq!(
            fs::read(a.join(file)).unwrap(),
            fs::read(b.join(file)).unwrap(),
            "{file} differs"
        );
    }
    let strip_timing = |p: &Path| {
        let mut v: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(p.join("summary.json")).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("timing");
        v
    };
    assert_eq!(strip_timing(&a), strip_timing(&b));
    let c = run_into(tmp.path(), &["--iterations", "500", "--seed", "99"]);
    assert_ne!(
        fs::read(a.join("iterations.csv")).unwrap(),
        fs::read(c.join("iterations.csv")).unwrap()
    );
}

/// Every scenario file in `scenarios/`, sorted.
fn bundled() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 9, "the bundled scenarios: {files:?}");
    files
}

#[test]
fn check_accepts_the_bundled_scenarios() {
    for s in bundled() {
        carecast().arg("check").arg(&s).assert().success();
    }
}

/// Writes a broken copy of the example scenario, runs it, and returns stderr; asserts exit code 2 and no output.
fn bad_input(edit: impl Fn(&str) -> String) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let text = edit(&fs::read_to_string("scenarios/example.toml").unwrap());
    let path = tmp.path().join("broken.toml");
    fs::write(&path, text).unwrap();
    let out = tmp.path().join("out");
    let output = carecast()
        .args(["run"])
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!out.exists(), "bad input must not create an output directory");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("broken.toml:"), "error must name the file: {stderr}");
    stderr
}

#[test]
fn malformed_toml_names_line_and_column() {
    let e = bad_input(|t| t.replace("horizon_years = 10", "horizon_years = = 10"));
    assert!(e.contains("broken.toml:25:17"), "{e}");
}

#[test]
fn unknown_key_suggests_the_near_miss() {
    let e = bad_input(|t| t.replace("horizon_years = 10", "horizon_yeers = 10"));
    assert!(
        e.contains("unknown field `horizon_yeers`") && e.contains("did you mean `horizon_years`"),
        "{e}"
    );
    assert!(e.contains("settings"), "{e}");
}

#[test]
fn unknown_name_in_an_expression_suggests_the_closest() {
    let e = bad_input(|t| t.replace("\"min(1, p_die * 1.6)\"", "\"min(1, p_dye * 1.6)\""));
    assert!(e.contains("p_dye") && e.contains("did you mean `p_die`"), "{e}");
    assert!(e.contains("parameters.p_die_residential"), "{e}");
    // The column points into the string at the name.
    let at = format!("broken.toml:{}:29", example_line_of("p_die_residential ="));
    assert!(e.contains(&at), "{e}");
}

#[test]
fn probability_outside_zero_one() {
    let e = bad_input(|t| t.replace("[start]\nhome_care = 1.0", "[start]\nhome_care = 1.5"));
    assert!(e.contains("between 0 and 1") && e.contains("start.home_care"), "{e}");
}

#[test]
fn transition_row_above_one() {
    let e = bad_input(|t| {
        t.replace(
            "residential = { dead = \"p_die_residential\", residential = \"remainder\" }",
            "residential = { dead = 0.7, independent = 0.6, residential = \"remainder\" }",
        )
    });
    assert!(e.contains("sum to 1.3") && e.contains("transitions.residential"), "{e}");
}

#[test]
fn negative_sd() {
    let e = bad_input(|t| t.replace("mean = 0.10, sd = 0.02", "mean = 0.10, sd = -0.02"));
    assert!(
        e.contains("parameters.p_home_to_independent") && e.contains("sd"),
        "{e}"
    );
}

#[test]
fn impossible_beta_moments() {
    let e = bad_input(|t| t.replace("mean = 0.10, sd = 0.02", "mean = 0.10, sd = 0.4"));
    assert!(e.contains("parameters.p_home_to_independent"), "{e}");
}

#[test]
fn zero_iterations() {
    let e = bad_input(|t| t.replace("iterations = 10000", "iterations = 0"));
    assert!(e.contains("settings.iterations") && e.contains("from 1"), "{e}");
}

#[test]
fn missing_file_is_exit_code_2() {
    let output = carecast().args(["run", "no/such/file.toml"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read the scenario file"));
}

#[test]
fn transition_row_below_one_without_remainder() {
    let e = bad_input(|t| {
        t.replace(
            "residential = { dead = \"p_die_residential\", residential = \"remainder\" }",
            "residential = { dead = 0.2, residential = 0.7 }",
        )
    });
    assert!(
        e.contains("sum to 0.9, not 1") && e.contains("remainder") && e.contains("transitions.residential"),
        "{e}"
    );
}

#[test]
fn a_normal_distribution_cannot_be_a_transition_probability() {
    let e = bad_input(|t| {
        t.replace(
            "p_home_to_residential = { dist = \"beta\", mean = 0.08, sd = 0.015, source = \"assumption\" }",
            "p_home_to_residential = { dist = \"normal\", mean = 0.08, sd = 0.015, source = \"assumption\" }",
        )
    });
    assert!(
        e.contains("p_home_to_residential") && e.contains("outside [0, 1]") && e.contains("beta"),
        "{e}"
    );
}

#[test]
fn a_probability_that_leaves_zero_one_for_some_draws_fails_the_run_with_the_values() {
    // p_die × 20 exceeds 1 for most draws: a failed run (exit code 1) naming the iteration and parameter values.
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string("scenarios/example.toml")
        .unwrap()
        .replace("\"min(1, p_die * 1.6)\"", "\"p_die * 20\"");
    let path = tmp.path().join("risky.toml");
    fs::write(&path, text).unwrap();
    let out = tmp.path().join("out");
    let output = carecast()
        .args(["run"])
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let e = String::from_utf8(output.stderr).unwrap();
    assert!(
        e.contains("iteration 0 failed") && e.contains("not a probability") && e.contains("p_die = "),
        "{e}"
    );
    let leftovers: Vec<_> = fs::read_dir(out.join("example"))
        .map(|d| d.collect())
        .unwrap_or_default();
    assert!(
        leftovers.is_empty(),
        "a failed run leaves no run directory: {leftovers:?}"
    );
}

#[test]
fn a_row_no_one_can_enter_is_not_refused_but_check_names_it() {
    // Adaptations' row out of "delayed" given a probability of about 2 (p_die_week is about 0.002). With the
    // "margin" group at `at_margin = 0`, no one enters "delayed" in either arm and nothing evaluates the row: it could
    // move no one, so the run gives its numbers (exit 0), as a state without a row would, and `check` names it. As
    // bundled, the adaptation arm's "margin" group enters "delayed", and the run is refused (exit 1).
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string("scenarios/adaptations.toml").unwrap();
    let row = "delayed = { care_home = \"if(t >= delay_years, 1 - p_die_week, 0)\",";
    assert!(text.contains(row), "the bundled row is as this test expects");
    let write = |name: &str, text: String| {
        let path = tmp.path().join(name);
        fs::write(&path, text).unwrap();
        path
    };
    let bad = text.replace(row, "delayed = { care_home = \"p_die_week * 1000\",");
    // The "margin" group's people put in the "visits" group's place (`at_margin = 0`): no one enters "delayed".
    let margin = "parameters = { at_margin = 1 } }";
    assert!(bad.contains(margin), "the bundled subgroup is as this test expects");
    let nowhere = bad.replace(margin, "parameters = { at_margin = 0 } }");
    let unentered = write("nowhere.toml", nowhere);
    let check = carecast().arg("check").arg(&unentered).output().unwrap();
    assert_eq!(check.status.code(), Some(0));
    let said = String::from_utf8(check.stdout).unwrap();
    assert!(
        said.contains("their rows are not evaluated there, so a probability out of [0, 1] in them is not refused")
            && said.contains(
                "`delayed`: arm `no_adaptation` (subgroups `visits`, `margin`); arm `adaptation` (subgroups `visits`, `margin`)"
            ),
        "{said}"
    );
    let run = |path: &Path| {
        carecast()
            .args(["run", "--iterations", "200", "--quiet", "--keep", "none", "--out"])
            .arg(tmp.path().join("out"))
            .arg(path)
            .output()
            .unwrap()
    };
    assert_eq!(run(&unentered).status.code(), Some(0));
    // With the margin group, someone enters "delayed" in the adaptation arm: refused there.
    let entered = write("margin.toml", bad);
    let output = run(&entered);
    assert_eq!(output.status.code(), Some(1));
    let e = String::from_utf8(output.stderr).unwrap();
    assert!(e.contains("not a probability"), "{e}");
}

#[test]
fn cli_overrides_are_validated() {
    let output = carecast()
        .args(["run", "scenarios/example.toml", "--iterations", "0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--iterations"));
}

#[test]
fn ctrl_c_stops_a_run_and_leaves_no_run_directory() {
    // Two million iterations take seconds; an interrupt after a moment must stop the run (exit code 130) and remove
    // its incomplete directory, so no half-written run is ever left behind.
    let tmp = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("carecast"))
        .args([
            "run",
            "scenarios/reference.toml",
            "--iterations",
            "2000000",
            "--quiet",
            "--out",
        ])
        .arg(tmp.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted"));
    // Not even the scenario's folder, which the run had created for itself.
    let left: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "nothing may be left behind: {left:?}");
}

#[test]
fn a_killed_runs_leftovers_are_removed_by_the_next_run() {
    // SIGKILL cannot be caught: the run leaves its hidden .incomplete directory (never a run directory), named with
    // this machine, its boot and the process; the next run removes it because that process is gone.
    let tmp = tempfile::tempdir().unwrap();
    let read = |p: &str| fs::read_to_string(p).unwrap().trim().to_string();
    let host: String = read("/proc/sys/kernel/hostname")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(32)
        .collect();
    let boot: String = read("/proc/sys/kernel/random/boot_id")
        .replace('-', "")
        .chars()
        .take(12)
        .collect();
    let stale = tmp
        .path()
        .join("example")
        .join(format!(".incomplete-2026-01-01T000000-seed1.{host}.{boot}.4294967"));
    fs::create_dir_all(&stale).unwrap();
    run_into(tmp.path(), &["--iterations", "100"]);
    assert!(!stale.exists());
}

#[test]
fn a_non_finite_value_names_the_arm_the_expression_and_the_parameter_values() {
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string("scenarios/example.toml")
        .unwrap()
        .replace(
            "rr_reablement = 1 ",
            "rr_reablement = 1\nbroken = \"ln(u_home_care - 0.7)\" ",
        )
        .replace(
            "council = \"home_care_weekly\"",
            "council = \"home_care_weekly * broken\"",
        );
    let path = tmp.path().join("nan.toml");
    fs::write(&path, text).unwrap();
    let output = carecast()
        .args(["run"])
        .arg(&path)
        .arg("--out")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let e = String::from_utf8(output.stderr).unwrap();
    for part in [
        "iteration 0 failed",
        "arm `usual_care`",
        "council care costs is NaN",
        "broken = \"ln(u_home_care - 0.7)\"",
        "reaching state `home_care`",
        "u_home_care = ",
    ] {
        assert!(e.contains(part), "missing {part:?} in: {e}");
    }
}

/// The 1-based line of the bundled example that starts with `prefix`, so that tests of reported positions do not
/// break when lines are added above it.
fn example_line_of(prefix: &str) -> usize {
    let text = fs::read_to_string("scenarios/example.toml").unwrap();
    1 + text
        .lines()
        .position(|line| line.starts_with(prefix))
        .expect("line in the example")
}

/// Loads a variant of the example and returns the error text (exit code 2 and file position checked).
fn load_error(edit: impl Fn(&str) -> String) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("broken.toml");
    fs::write(&path, edit(&fs::read_to_string("scenarios/example.toml").unwrap())).unwrap();
    let output = carecast().args(["check"]).arg(&path).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let e = String::from_utf8(output.stderr).unwrap();
    assert!(e.contains("broken.toml:") && !e.contains("panicked"), "{e}");
    e
}

#[test]
fn suggestions_match_names_by_their_words_and_missing_keys_say_what_they_take() {
    // A word typed differently in an expression: `p_dead` for `p_die`.
    let e = load_error(|t| t.replacen("dead = \"p_die\", home_care", "dead = \"p_dead\", home_care", 1));
    assert!(e.contains("unknown name `p_dead`; did you mean `p_die`?"), "{e}");
    // The same words in another order, in a --set: `bed_day_cost` for `cost_bed_day`.
    let tmp = tempfile::tempdir().unwrap();
    let o = carecast()
        .args([
            "run",
            "scenarios/popp.toml",
            "--set",
            "bed_day_cost=10",
            "--iterations",
            "1",
            "--out",
        ])
        .arg(tmp.path())
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("did you mean `cost_bed_day`?"), "{e}");
    // A missing key lists what it takes, from docs/scenario-format.md.
    let e = load_error(|t| t.replace("accrual = \"half-cycle\"", ""));
    assert!(
        e.contains("missing field `accrual`: it takes `start`, `end`, `half-cycle`") && e.contains("`simpson`"),
        "{e}"
    );
}

#[test]
fn more_bad_input_cases() {
    // Wrong type: a string where a whole number belongs.
    let e = load_error(|t| t.replace("horizon_years = 10", "horizon_years = \"ten\""));
    assert!(e.contains("broken.toml:25:") && e.contains("horizon_years"), "{e}");
    // Missing required key.
    let e = load_error(|t| t.replace("seed = 20101", ""));
    assert!(e.contains("missing field `seed`") && e.contains("settings"), "{e}");
    // Expression syntax error points at the character.
    let e = load_error(|t| t.replace("\"min(1, p_die * 1.6)\"", "\"min(1, p_die * )\""));
    let at = format!("broken.toml:{}:37", example_line_of("p_die_residential ="));
    assert!(e.contains(&at) && e.contains("after '*'"), "{e}");
    // Two remainder entries in one row.
    let e = load_error(|t| {
        t.replace(
            "residential = { dead = \"p_die_residential\", residential = \"remainder\" }",
            "residential = { dead = \"remainder\", residential = \"remainder\" }",
        )
    });
    assert!(e.contains("only one \"remainder\""), "{e}");
    // Zero sd.
    let e = load_error(|t| t.replace("mean = 0.10, sd = 0.02", "mean = 0.10, sd = 0"));
    assert!(e.contains("parameters.p_home_to_independent"), "{e}");
    // Impossible gamma moments (negative mean).
    let e = load_error(|t| t.replace("mean = 96, sd = 15", "mean = -96, sd = 15"));
    assert!(e.contains("parameters.home_care_weekly"), "{e}");
    // A 95% interval with low ≥ high.
    let e = load_error(|t| t.replace("ci95 = [0.08, 0.14]", "ci95 = [0.14, 0.08]"));
    assert!(e.contains("low < high") && e.contains("parameters.p_die.ci95"), "{e}");
    // Only one arm.
    let e = load_error(|t| {
        t.split("[[arms]]\nname = \"reablement\"").next().unwrap().to_string() + "[cohort]\nsize = 1000\n"
    });
    assert!(e.contains("at least two [[arms]]"), "{e}");
    // An arm compared with an arm that does not exist.
    let e = load_error(|t| {
        t.replace(
            "label = \"Reablement first\"",
            "label = \"Reablement first\"\ncompare_to = \"usual\"",
        )
    });
    assert!(
        e.contains("no arm is named `usual`") && e.contains("did you mean `usual_care`"),
        "{e}"
    );
    // Subgroup shares that do not sum to 1.
    let e =
        load_error(|t| t.to_string() + "subgroups = [{ name = \"a\", share = 0.5 }, { name = \"b\", share = 0.3 }]\n");
    assert!(e.contains("sum to 1") && e.contains("cohort.subgroups"), "{e}");
    // A cycle that does not divide a year.
    let e = load_error(|t| t.replace("cycle = \"year\"", "cycle = \"fortnight\""));
    assert!(e.contains("must divide a year") && e.contains("settings.cycle"), "{e}");
    // A distribution so narrow it is a fixed value (found by the fuzz test: its quantile never converged).
    let e = load_error(|t| t.replace("mean = 96, sd = 15", "mean = 1e30, sd = 15"));
    assert!(
        e.contains("parameters.home_care_weekly") && e.contains("fixed value"),
        "{e}"
    );
    // Absurd sizes.
    let e = load_error(|t| t.replace("horizon_years = 10", "horizon_years = 5000"));
    assert!(e.contains("from 1 to 1000"), "{e}");
    let e = load_error(|t| t.replace("size = 1000", "size = 0"));
    assert!(e.contains("cohort.size"), "{e}");
    // Too many iterations for memory: tests/memory.rs, under an address-space limit that makes it so on any machine.
}

#[test]
fn an_output_directory_that_cannot_be_written_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("not-a-directory");
    fs::write(&blocker, "a file where the output directory should go").unwrap();
    let output = carecast()
        .args(["run", "scenarios/example.toml", "--out"])
        .arg(&blocker)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let e = String::from_utf8_lossy(&output.stderr);
    assert!(
        e.contains("--out") && e.contains("cannot create the output directory"),
        "{e}"
    );
}

#[test]
fn bundled_scenarios_give_byte_identical_outputs_on_1_2_and_8_threads() {
    // Everything but the separate `timing` block of summary.json, and every CSV, must be the same bytes.
    let tmp = tempfile::tempdir().unwrap();
    for scenario in bundled() {
        let scenario = scenario.to_str().unwrap();
        let mut dirs = Vec::new();
        for threads in ["1", "2", "8"] {
            let output = carecast()
                .args([
                    "run",
                    scenario,
                    "--iterations",
                    "3000",
                    "--quiet",
                    "--threads",
                    threads,
                    "--out",
                ])
                .arg(tmp.path())
                .output()
                .unwrap();
            assert!(output.status.success());
            dirs.push(PathBuf::from(String::from_utf8(output.stdout).unwrap().trim()));
        }
        let strip_timing = |p: &Path| {
            let mut v: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(p.join("summary.json")).unwrap()).unwrap();
            v.as_object_mut().unwrap().remove("timing");
            serde_json::to_string(&v).unwrap()
        };
        for other in &dirs[1..] {
            assert_eq!(strip_timing(&dirs[0]), strip_timing(other), "{scenario}");
            let csvs = |dir: &Path| {
                let mut names: Vec<String> = fs::read_dir(dir)
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                    .filter(|n| n.ends_with(".csv"))
                    .collect();
                names.sort();
                names
            };
            let files = csvs(&dirs[0]);
            assert!(files.len() >= 2, "{scenario}: {files:?}");
            assert_eq!(files, csvs(other), "{scenario}");
            for file in files {
                assert_eq!(
                    fs::read(dirs[0].join(&file)).unwrap(),
                    fs::read(other.join(&file)).unwrap(),
                    "{scenario} {file}"
                );
            }
        }
    }
}

/// The teaching scenario with two targets: one whose range holds its value, and one whose range cannot.
fn scenario_with_targets(dir: &Path, second_accept: &str) -> PathBuf {
    let text = fs::read_to_string("scenarios/example.toml").unwrap()
        + r#"
[[reproduce]]
figure = "Council savings per £1 of reablement spend"
source = "assumption"
published = 1.5
metric = "bcr"
arm = "reablement"
savings = "council"
spend = "council"
accept = [0, 100]
why = "a range no run can miss, for this test"

[[reproduce]]
figure = "Share independent after two years, among the living"
source = "glendinning2010"
published = 0.4
metric = "state_share"
arm = "reablement"
states = ["independent"]
among = ["independent", "home_care", "residential"]
year = 2
"# + second_accept;
    let path = dir.join("with_targets.toml");
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn reproduce_writes_its_table_and_fails_when_a_figure_is_outside_its_range() {
    let tmp = tempfile::tempdir().unwrap();
    let passing = scenario_with_targets(tmp.path(), "accept = [0, 1]\nwhy = \"any share\"\n");
    let out = tmp.path().join("repro");
    let output = carecast()
        .args(["reproduce", "--iterations", "500", "--out"])
        .arg(&out)
        .arg(&passing)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("| Council savings per £1 of reablement spend |"),
        "{stdout}"
    );
    let csv = fs::read_to_string(out.join("reproduction.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "a header and two rows:\n{csv}");
    assert!(csv.lines().nth(1).unwrap().contains(",yes,false,500,"), "{csv}");
    let md = fs::read_to_string(out.join("reproduction.md")).unwrap();
    assert!(
        md.contains("| within tolerance |") && md.contains("glendinning2010"),
        "{md}"
    );

    let failing = scenario_with_targets(tmp.path(), "accept = [0.99, 1]\nwhy = \"too narrow on purpose\"\n");
    let output = carecast()
        .args(["reproduce", "--iterations", "500", "--out"])
        .arg(&out)
        .arg(&failing)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("1 of 2 reproducible figures are outside their tolerance"),
        "{stderr}"
    );
    assert!(fs::read_to_string(out.join("reproduction.csv"))
        .unwrap()
        .contains(",no,false,500,"));

    // A mistake in a target is bad input, like any other.
    let broken = scenario_with_targets(tmp.path(), "accept = [1, 0]\nwhy = \"reversed\"\n");
    let output = carecast().args(["reproduce"]).arg(&broken).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("field `reproduce[1].accept`"), "{stderr}");
}

#[test]
fn a_reader_that_stops_early_does_not_make_carecast_panic() {
    // `carecast ... | head -1`: the pipe closes before carecast writes; it must stop quietly, not panic.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("carecast"))
        .args(["tornado", "scenarios/example.toml", "--out"])
        .arg(tempfile::tempdir().unwrap().path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}
