//! Trust under hostile input and shared disks: damaged shards are refused, file names never collide, column roles
//! are unambiguous, text cells cannot run in a spreadsheet, impossible inputs are refused at load, concurrent runs
//! all publish, clean-up removes only what is proven dead, and a failed or interrupted command leaves nothing.

mod common;

use common::{carecast, tempdir};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// The directory a command printed last.
fn printed_dir(o: &Output) -> PathBuf {
    assert!(o.status.success(), "{}", stderr(o));
    PathBuf::from(
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .last()
            .expect("a line")
            .trim(),
    )
}

const GRID: [&str; 4] = ["--vary", "reablement_episode.mean=1000:3000:5", "--iterations", "200"];

/// Shards 1..=3 of the example sweep, each in its own folder under `root`.
fn shards(root: &Path) -> Vec<PathBuf> {
    (1..=3)
        .map(|k| {
            let o = carecast()
                .args([
                    "sweep",
                    "scenarios/example.toml",
                    "--quiet",
                    "--shard",
                    &format!("{k}/3"),
                    "--out",
                ])
                .arg(root.join(format!("task-{k}")))
                .args(GRID)
                .output()
                .expect("runs");
            printed_dir(&o)
        })
        .collect()
}

fn merge(dirs: &[PathBuf], out: &Path) -> Output {
    carecast()
        .arg("merge")
        .args(dirs)
        .arg("--out")
        .arg(out)
        .output()
        .expect("runs")
}

/// Applies `damage` to shard 1's table (points 0 and 3 of the five) and checks that merge refuses it with exit
/// code 2, naming the file and, in `expected`, what is wrong.
fn refused(damage: impl Fn(&str) -> String, expected: &str) {
    let tmp = tempdir();
    let dirs = shards(tmp.path());
    let table = dirs[0].join("sweep.csv");
    let text = fs::read_to_string(&table).unwrap();
    fs::write(&table, damage(&text)).unwrap();
    let o = merge(&dirs, &tmp.path().join("merged"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("sweep.csv") && e.contains(expected),
        "expected `{expected}` in:\n{e}"
    );
    assert!(!tmp.path().join("merged").join("sweep").exists(), "nothing merged");
}

#[test]
fn sound_shards_merge_into_the_unsharded_sweep_byte_for_byte() {
    let tmp = tempdir();
    let dirs = shards(tmp.path());
    let merged = printed_dir(&merge(&dirs, &tmp.path().join("merged")));
    let whole = carecast()
        .args(["sweep", "scenarios/example.toml", "--quiet", "--out"])
        .arg(tmp.path().join("whole"))
        .args(GRID)
        .output()
        .unwrap();
    let whole = printed_dir(&whole);
    for file in ["sweep.csv", "sweep.json"] {
        assert_eq!(
            fs::read(merged.join(file)).unwrap(),
            fs::read(whole.join(file)).unwrap(),
            "{file}"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dirs[0].join("sweep.json")).unwrap()).unwrap();
    // Shard 1 of 3 holds points 0 and 3: two points, one comparison each.
    assert_eq!(manifest["contents"]["points"], 2);
    assert_eq!(manifest["contents"]["table"]["rows"], 2);
}

#[test]
fn merge_finds_the_shards_in_the_folders_a_job_array_wrote() {
    let tmp = tempdir();
    let dirs = shards(tmp.path());
    let deep = printed_dir(&merge(&dirs, &tmp.path().join("deep")));
    // The task folders, as README's Slurm script writes them (`--out sweeps/task-K`), in any order.
    let tasks: Vec<PathBuf> = [3, 1, 2].map(|k| tmp.path().join(format!("task-{k}"))).to_vec();
    let by_task = printed_dir(&merge(&tasks, &tmp.path().join("by-task")));
    // The one folder above them all, which now also holds the merged sweeps above: those are not shards.
    let by_root = printed_dir(&merge(&[tmp.path().to_path_buf()], &tmp.path().join("by-root")));
    for merged in [&by_task, &by_root] {
        assert_eq!(
            fs::read(merged.join("sweep.csv")).unwrap(),
            fs::read(deep.join("sweep.csv")).unwrap()
        );
    }
    // A folder with no shard below it is refused, naming it.
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let o = merge(&[empty], &tmp.path().join("none"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("empty") && stderr(&o).contains("no shard here"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_shard_cut_in_the_middle_of_a_row_is_refused() {
    refused(|t| t[..t.len() - 40].to_string(), "damaged");
}

#[test]
fn a_shard_missing_a_point_is_refused_naming_it() {
    // The last row (point 3) removed whole, at a line boundary.
    refused(
        |t| {
            let lines: Vec<&str> = t.lines().collect();
            lines[..lines.len() - 1].join("\n") + "\n"
        },
        "point 3: 0 rows",
    );
}

#[test]
fn a_repeated_row_is_refused_naming_its_point() {
    refused(
        |t| {
            let lines: Vec<&str> = t.lines().collect();
            format!("{t}{}\n", lines[1])
        },
        "point 0: 2 rows",
    );
}

#[test]
fn another_shards_row_pasted_in_is_refused() {
    refused(
        |t| {
            let lines: Vec<&str> = t.lines().collect();
            // Point 1 belongs to shard 2 of 3.
            let foreign = lines[1].replacen("example,0,1000,", "example,1,1500,", 1);
            format!("{t}{foreign}\n")
        },
        "point 1 is not one of shard 1/3's points",
    );
}

#[test]
fn a_renumbered_point_is_refused() {
    // Point 0's row relabelled as point 3 (which the shard holds), its values left as point 0's.
    refused(
        |t| t.replacen("example,0,1000,", "example,3,1000,", 1),
        "not the grid's",
    );
}

#[test]
fn a_changed_number_is_refused_by_the_checksum() {
    refused(
        |t| {
            let lines: Vec<&str> = t.lines().collect();
            let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
            // The BCR of point 0, one digit changed: the structure is intact, the bytes are not.
            let bcr = &mut cells[5];
            let last = bcr.pop().unwrap();
            bcr.push(if last == '1' { '2' } else { '1' });
            let mut out = vec![lines[0].to_string(), cells.join(",")];
            out.extend(lines[2..].iter().map(|l| l.to_string()));
            out.join("\n") + "\n"
        },
        "not the one this shard wrote",
    );
}

/// A PSA sample with arms `names` (the first the comparator): per iteration and arm a council spend, council care
/// costs, their total and a QALY.
fn sample_csv(names: &[&str]) -> String {
    let mut text = String::from(
        "iteration,arm,spend_council,spend_nhs,spend_person,care_council,care_nhs,care_person,cost_total,qaly\n",
    );
    for i in 0..50 {
        for (a, name) in names.iter().enumerate() {
            let quoted = format!("\"{}\"", name.replace('"', "\"\""));
            let (spend, care) = (20.0 * a as f64, 1000.0 - 30.0 * a as f64 + i as f64);
            text.push_str(&format!(
                "{i},{quoted},{spend},0,0,{care},0,0,{},{}\n",
                spend + care,
                1.0 + 0.01 * a as f64
            ));
        }
    }
    text
}

fn analyse(csv: &str, extra: &[&str]) -> (Output, tempfile::TempDir) {
    let tmp = tempdir();
    let path = tmp.path().join("sample.csv");
    fs::write(&path, csv).unwrap();
    let o = carecast()
        .arg("analyse")
        .arg(&path)
        .args(extra)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    (o, tmp)
}

#[test]
fn arms_whose_names_make_the_same_file_name_get_their_own_files() {
    let (o, _tmp) = analyse(&sample_csv(&["usual", "drug A", "drug_A"]), &[]);
    let dir = printed_dir(&o);
    let svg = |stem: &str| fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
    // Each arm's plot is its own, titled with its name: before, `drug_A`'s overwrote `drug A`'s file.
    assert!(svg("roi_drug_A").contains("drug A vs usual"));
    assert!(svg("roi_drug_A-2").contains("drug_A vs usual"));
    let report = fs::read_to_string(dir.join("report.html")).unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("arm `drug_A`") && stdout.contains("`drug_A-2`"),
        "{stdout}"
    );
    // The report shows each arm's own histogram under its title: the two figures' SVGs differ.
    let first = report.find("id=\"fig-roi_drug_A\"").expect("drug A's figure");
    let second = report.find("id=\"fig-roi_drug_A-2\"").expect("drug_A's figure");
    assert_ne!(first, second);
    assert!(dir.join("roi_drug_A.svg").exists() && dir.join("roi_drug_A-2.svg").exists());
}

#[test]
fn an_outcome_named_like_a_reserved_column_is_refused() {
    let body = |name: &str| {
        format!(
            "[[states]]\nname = \"well\"\nper = \"year\"\noutcomes = {{ {name} = 1 }}\n[[states]]\nname = \"dead\"\ndead = true\n\
             [start]\nwell = 1\n[transitions]\nwell = {{ dead = 0.1, well = \"remainder\" }}\n[[arms]]\nname = \"a\"\n\
             [[arms]]\nname = \"b\"\n[cohort]\nsize = 1\n"
        )
    };
    let reserved = [
        "iteration",
        "arm",
        "cost",
        "cost_total",
        "effect",
        "care_council",
        "care_nhs",
        "care_person",
        "cashable_care_council",
        "cashable_care_nhs",
        "cashable_care_person",
        "spend_council",
        "spend_nhs",
        "spend_person",
    ];
    for name in reserved {
        let e = common::compile_error(&common::scenario("", &body(name)));
        assert!(
            e.contains(&format!("`{name}` names a column with a fixed role")),
            "{name}: {e}"
        );
    }
    // An ordinary name compiles.
    common::model(&common::scenario("", &body("bed_days")));
}

#[test]
fn several_possible_effect_columns_are_refused_until_one_is_chosen() {
    let mut csv = String::from("iteration,arm,cost_total,qaly,bed_days\n");
    for i in 0..20 {
        csv.push_str(&format!("{i},usual,100,1,5\n{i},new,90,1.1,4\n"));
    }
    let (o, _tmp) = analyse(&csv, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("several columns could be the effect (`qaly`, `bed_days`)"),
        "{}",
        stderr(&o)
    );
    let (o, _tmp) = analyse(&csv, &["--effect", "bed_days"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A file with both `cost` and `cost_total` has no single total cost.
    let (o, _tmp) = analyse("iteration,arm,cost,cost_total,qaly\n0,a,1,1,1\n0,b,1,1,1\n", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("both `cost` and `cost_total`"));
}

#[test]
fn a_runs_iterations_csv_reads_back_to_the_runs_tables_with_two_outcomes() {
    // The reference scenario with a second outcome, declared after `qaly`: analysing the run's own table with the
    // primary outcome named gives the run's acceptability and ROI tables, byte for byte.
    let tmp = tempdir();
    let text = fs::read_to_string("scenarios/reference.toml").unwrap().replace(
        "outcomes = { qaly = \"u_independent\" }",
        "outcomes = { qaly = \"u_independent\", years_independent = 1 }",
    );
    let scenario = tmp.path().join("two.toml");
    fs::write(&scenario, text).unwrap();
    let run = carecast()
        .args(["run", "--quiet", "--iterations", "400", "--out"])
        .arg(tmp.path().join("runs"))
        .arg(&scenario)
        .output()
        .unwrap();
    let run = printed_dir(&run);
    let o = carecast()
        .arg("analyse")
        .arg(run.join("iterations.csv"))
        .args([
            "--effect",
            "qaly",
            "--wtp",
            "0:50000:1000",
            "--threshold",
            "30000",
            "--out",
        ])
        .arg(tmp.path().join("analysed"))
        .output()
        .unwrap();
    let analysed = printed_dir(&o);
    for table in ["ceac.csv", "evpi.csv", "roi.csv"] {
        assert_eq!(
            fs::read_to_string(run.join(table)).unwrap(),
            fs::read_to_string(analysed.join(table)).unwrap(),
            "{table}"
        );
    }
}

#[test]
fn text_a_spreadsheet_would_run_is_quoted_and_reads_back() {
    let names = ["=HYPERLINK(\"http://x\")", "+usual", "@SUM(A1)", "-cmd"];
    let (o, tmp) = analyse(&sample_csv(&names), &[]);
    let dir = printed_dir(&o);
    let roi_free = fs::read_to_string(dir.join("ceac.csv")).unwrap();
    for line in roi_free.lines().skip(1) {
        let arm = line.split(',').nth(1).unwrap();
        assert!(
            arm.starts_with('\'') || arm.starts_with("\"'"),
            "unguarded cell `{arm}` in `{line}`"
        );
    }
    // Numbers are untouched: negative INMBs stay numbers.
    assert!(roi_free
        .lines()
        .skip(1)
        .any(|l| l.split(',').any(|c| c.starts_with('-') && c.parse::<f64>().is_ok())));
    // Read back, the names are what the file said.
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let arms: Vec<String> = summary["results"]["arms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(arms, names);
    drop(tmp);
    // A scenario's outcome named like a formula: quoted in per_year.csv and iterations.csv, and read back.
    let tmp = tempdir();
    let text = fs::read_to_string("scenarios/reference.toml")
        .unwrap()
        .replace("qaly = \"u_independent\"", "\"=qaly\" = \"u_independent\"")
        .replace("qaly = \"u_care\"", "\"=qaly\" = \"u_care\"")
        .replace("primary_outcome = \"qaly\"", "primary_outcome = \"=qaly\"");
    let scenario = tmp.path().join("formula.toml");
    fs::write(&scenario, text).unwrap();
    let run = carecast()
        .args(["run", "--quiet", "--iterations", "300", "--out"])
        .arg(tmp.path())
        .arg(&scenario)
        .output()
        .unwrap();
    let run = printed_dir(&run);
    let per_year = fs::read_to_string(run.join("per_year.csv")).unwrap();
    assert!(per_year.contains(",'=qaly,") && !per_year.contains(",=qaly,"));
    let header = fs::read_to_string(run.join("iterations.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(header.contains(",'=qaly,"), "{header}");
    let o = carecast()
        .arg("analyse")
        .arg(run.join("iterations.csv"))
        .args(["--out"])
        .arg(tmp.path().join("a"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `carecast check` of scenario text, in a temporary file.
fn check(text: &str) -> Output {
    let tmp = tempdir();
    let path = tmp.path().join("s.toml");
    fs::write(&path, text).unwrap();
    carecast().arg("check").arg(&path).output().unwrap()
}

#[test]
fn impossible_inputs_are_refused_at_load() {
    let example = fs::read_to_string("scenarios/example.toml").unwrap();
    let cases = [
        // A dead state with a way out.
        (
            example.replacen(
                "[transitions]\n",
                "[transitions]\ndead = { home_care = 0.1, dead = \"remainder\" }\n",
                1,
            ),
            "is marked `dead = true`, so nobody leaves it",
        ),
        // Numbers that are not numbers.
        (
            example.replace(
                "discount_rate_costs = 0.035",
                "discount_rate_costs = [{ from_year = nan, rate = 0.03 }]",
            ),
            "`nan` is not a finite number",
        ),
        (
            example.replace("threshold = 30000", "threshold = inf"),
            "`inf` is not a finite number",
        ),
        // A name too long to make a file name of.
        (
            example.replace("name = \"reablement\"", &format!("name = \"{}\"", "r".repeat(300))),
            "at most 64",
        ),
        (
            example.replace("name = \"example\"", &format!("name = \"{}\"", "e".repeat(65))),
            "at most 64 characters",
        ),
    ];
    for (text, expected) in cases {
        let o = check(&text);
        assert_eq!(o.status.code(), Some(2), "{expected}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(expected),
            "expected `{expected}` in:\n{}",
            stderr(&o)
        );
        assert!(
            stderr(&o).contains("s.toml:"),
            "names the file, line and column:\n{}",
            stderr(&o)
        );
    }
}

#[test]
fn concurrent_runs_started_together_all_publish() {
    // Started at once, they finish within the same second and race for the same directory name.
    let tmp = tempdir();
    let children: Vec<_> = (0..8)
        .map(|_| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("carecast"))
                .args([
                    "run",
                    "scenarios/example.toml",
                    "--iterations",
                    "200",
                    "--quiet",
                    "--threads",
                    "1",
                    "--out",
                ])
                .arg(tmp.path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let mut dirs: Vec<PathBuf> = outputs.iter().map(printed_dir).collect();
    dirs.sort();
    dirs.dedup();
    assert_eq!(dirs.len(), 8, "every run has its own directory");
}

#[test]
fn clean_up_removes_only_what_is_proven_dead() {
    let tmp = tempdir();
    let folder = tmp.path().join("example");
    fs::create_dir_all(&folder).unwrap();
    // Another machine's run, started a moment ago: it may be alive, so it stays.
    let foreign = folder.join(".incomplete-2026-12-01T000000-seed1.node-42.abcdef012345.4294967");
    fs::create_dir(&foreign).unwrap();
    // A run on this machine whose process number is not running, but whose lock is held (here, by this test): a
    // live run in another process namespace, so it stays.
    let host = common::host_identity();
    let locked = folder.join(format!(".incomplete-2026-12-01T000001-seed1.{host}.4294967"));
    fs::create_dir(&locked).unwrap();
    let lock = fs::File::create(locked.join(".lock")).unwrap();
    lock.lock().unwrap();
    let o = carecast()
        .args([
            "run",
            "scenarios/example.toml",
            "--iterations",
            "100",
            "--quiet",
            "--out",
        ])
        .arg(tmp.path())
        .output()
        .unwrap();
    printed_dir(&o);
    assert!(
        foreign.exists(),
        "another machine's incomplete run is never judged by this machine's processes"
    );
    assert!(locked.exists(), "a locked run is alive");
}

#[test]
fn a_failed_run_leaves_nothing_behind() {
    let tmp = tempdir();
    let text = fs::read_to_string("scenarios/example.toml").unwrap().replace(
        "council = \"home_care_weekly\"",
        "council = \"home_care_weekly * ln(u_home_care - 0.7)\"",
    );
    let path = tmp.path().join("fails.toml");
    fs::write(&path, text).unwrap();
    let out = tmp.path().join("out");
    let o = carecast()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        !out.exists(),
        "the output folder the run created for itself is gone too"
    );
}

#[test]
fn ctrl_c_stops_a_long_sweep_point_and_leaves_nothing() {
    // Each point is two million iterations (seconds each): before, Ctrl-C was only seen between points.
    let tmp = tempdir();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("carecast"))
        .args([
            "sweep",
            "scenarios/reference.toml",
            "--vary",
            "rr=0.5:1:3",
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
    std::thread::sleep(std::time::Duration::from_millis(700));
    let started = std::time::Instant::now();
    assert!(std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let o = child.wait_with_output().unwrap();
    // Behaviour, not speed: the three points would take far longer than this bound to finish.
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(stderr(&o).contains("sweep was interrupted"));
    let left: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "nothing may be left behind: {left:?}");
}

#[test]
fn errors_reach_a_closed_or_full_stderr_without_a_panic() {
    let bin = assert_cmd::cargo::cargo_bin("carecast");
    for redirect in ["2>&-", "2>/dev/full"] {
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("'{}' check missing.toml {redirect}", bin.display()))
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(2), "{redirect}");
    }
}

#[test]
fn absurd_options_are_usage_errors_before_any_work() {
    let tmp = tempdir();
    let o = carecast()
        .args(["run", "scenarios/example.toml", "--threads", "100000", "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--threads"));
    // A probability moved outside [0, 1] by the user's own bounds or range.
    let o = carecast()
        .args([
            "tornado",
            "scenarios/reablement.toml",
            "--bounds",
            "p_need_home_care=0.5:1.5",
            "--out",
        ])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--bounds") && stderr(&o).contains("p_need_home_care` = 1.5"),
        "{}",
        stderr(&o)
    );
    let o = carecast()
        .args([
            "threshold",
            "scenarios/reablement.toml",
            "--parameter",
            "p_need_home_care",
            "--range",
            "0:3",
            "--out",
        ])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--range"));
    let left: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "no output for refused work: {left:?}");
}

/// Starts `carecast run scenarios/reference.toml` with `args` into a fresh folder, sends it Ctrl-C once `ready` says
/// the run has reached the phase to interrupt (given the folder; polled every 10 ms, for at most a minute), and checks
/// that it stops within 4 s (a bound on behaviour, loose for a busy machine) with exit code 130 and leaves nothing
/// behind.
fn ctrl_c_stops_a_run(args: &[&str], ready: impl Fn(&Path) -> bool) {
    let tmp = tempdir();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("carecast"))
        .args(["run", "scenarios/reference.toml", "--quiet"])
        .args(args)
        .arg("--out")
        .arg(tmp.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let waiting = std::time::Instant::now();
    while !ready(tmp.path()) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before the phase this test interrupts");
        }
        assert!(
            waiting.elapsed() < std::time::Duration::from_secs(60),
            "the run did not reach the phase this test interrupts within a minute"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let started = std::time::Instant::now();
    assert!(std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let o = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let left: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "nothing may be left behind: {left:?}");
}

/// Whether a file named `name` with something in it lies anywhere under `dir` (a run writes into a folder of its own
/// there, renamed into place once complete).
fn has_begun_writing(dir: &Path, name: &str) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let path = e.path();
        if path.is_dir() {
            has_begun_writing(&path, name)
        } else {
            e.file_name() == name && e.metadata().is_ok_and(|m| m.len() > 0)
        }
    })
}

#[test]
fn ctrl_c_while_analysing_and_writing_stops_within_about_a_second() {
    // Three million iterations, every one kept (so the run holds them all rather than going a block at a time):
    // writing the 6-million-row iterations.csv takes seconds and does not look at the Ctrl-C flag, so the process
    // ends it itself. Ctrl-C is sent once that file has begun, not after a fixed wait: a wait that was long enough
    // once came after the whole run had ended when the engine got faster (2026-12-07).
    ctrl_c_stops_a_run(&["--iterations", "3000000", "--keep", "all"], |dir| {
        has_begun_writing(dir, "iterations.csv")
    });
}

#[test]
fn ctrl_c_during_a_run_by_blocks_stops_within_about_a_second() {
    // 10^8 iterations go a block at a time, simulating and analysing together for over a minute: Ctrl-C stops the
    // block being simulated, and nothing is written.
    let started = std::time::Instant::now();
    ctrl_c_stops_a_run(&["--iterations", "100000000"], |_| {
        started.elapsed() > std::time::Duration::from_millis(1500)
    });
}
