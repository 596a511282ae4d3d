//! A sharded PSA: `run --shard K/N` and `evppi --shard K/N` on several "machines" (processes), and `merge`, which
//! must rebuild the unsharded command's outputs byte for byte apart from timing; `--shard auto` from a scheduler's
//! variables; and every way a shard or a set of shards is refused with exit code 2 before any work.

mod common;

use common::outputs::assert_same_outputs;
use common::{carecast, ok_in as ok, tempdir};
use std::fs;
use std::path::{Path, PathBuf};

/// The adaptations scenario (weekly cycles, so payback in weeks; subgroups) with a start date, so that a run makes
/// every kind of simulation: the model, by cycle, in cash, and each subgroup alone with its own two.
fn every_kind_of_simulation(dir: &Path) -> PathBuf {
    let text = fs::read_to_string("scenarios/adaptations.toml").unwrap();
    assert!(text.contains("seed = 2007\n") && !text.contains("start_date"));
    let text = text.replace("seed = 2007\n", "seed = 2007\nstart_date = \"2026-04-01\"\n");
    let path = dir.join("adaptations-dated.toml");
    fs::write(&path, text).unwrap();
    path
}

/// Runs carecast with `args`, which must fail with exit code 2; returns stderr.
fn refused(args: &[&str]) -> String {
    let o = carecast().args(args).output().unwrap();
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(2), "carecast {args:?} should exit 2: {stderr}");
    stderr
}

/// Runs `command` (its arguments first) as `count` shards, each into its own task folder under `root`, as an
/// array's tasks would; returns the task folders.
fn shards(root: &Path, command: &[&str], count: usize) -> Vec<PathBuf> {
    (1..=count)
        .map(|k| {
            let task = root.join(format!("task-{k}"));
            let shard = format!("{k}/{count}");
            let mut args = command.to_vec();
            args.extend(["--shard", &shard, "--threads", "1"]);
            ok(&args, &task);
            task
        })
        .collect()
}

#[test]
fn a_run_in_three_shards_merges_to_the_unsharded_run_byte_for_byte() {
    let tmp = tempdir();
    let scenario = every_kind_of_simulation(tmp.path());
    let scenario = scenario.to_str().unwrap();
    let run = [
        "run",
        scenario,
        "--iterations",
        "2600",
        "--seed",
        "11",
        "--set",
        "adaptation_cost.scale=1600",
        "--keep",
        "1000",
        "--gzip",
        "--quiet",
    ];
    let whole = ok(&[&run[..], &["--threads", "2"]].concat(), &tmp.path().join("whole"));
    let tasks = shards(&tmp.path().join("array"), &run, 3);
    let manifest: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(
            fs::read_dir(tasks[0].join("adaptations"))
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path()
                .join("shard.json"),
        )
        .unwrap(),
    )
    .unwrap();
    // 2,600 iterations are 11 chunks of 256: 3, 4 and 4 of them.
    assert_eq!(
        (manifest["first"].as_u64(), manifest["end"].as_u64()),
        (Some(0), Some(768))
    );
    let parts = manifest["parts"].as_array().unwrap().len();
    assert!(
        parts >= 9,
        "the model, by cycle, in cash, and each subgroup's three: {parts} parts"
    );
    let mut args = vec!["merge".to_string()];
    args.extend(tasks.iter().map(|t| t.display().to_string()));
    args.push("--quiet".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let merged = ok(&args, &tmp.path().join("merged"));
    let count = assert_same_outputs(&merged, &whole, "budget.csv");
    assert!(count >= 20, "{count} files");
    for kept in ["iterations.csv.gz", "parameters.csv.gz", "payback.csv", "subgroups.csv"] {
        assert!(merged.join(kept).is_file(), "{kept} is among the merged outputs");
    }
    let summary = fs::read_to_string(merged.join("summary.json")).unwrap();
    assert!(
        summary.contains("\"shards_merged\": 3"),
        "the merged run's timing says it was merged"
    );
}

#[test]
fn an_evppi_in_two_shards_merges_to_the_unsharded_evppi() {
    let tmp = tempdir();
    let evppi = [
        "evppi",
        "scenarios/popp.toml",
        "--iterations",
        "1200",
        "--group",
        "baseline=bed_days_base,cost_bed_day",
    ];
    let whole = ok(&evppi, &tmp.path().join("whole"));
    let tasks = shards(&tmp.path().join("array"), &evppi, 2);
    let merged = ok(
        &["merge", tasks[0].to_str().unwrap(), tasks[1].to_str().unwrap()],
        &tmp.path().join("merged"),
    );
    assert_same_outputs(&merged, &whole, "evppi.csv");
}

#[test]
fn fifty_shards_merge_to_the_numbers_one_machine_gives() {
    let tmp = tempdir();
    let run = [
        "run",
        "scenarios/reference.toml",
        "--iterations",
        "12900",
        "--keep",
        "none",
        "--quiet",
    ];
    let whole = ok(&run, &tmp.path().join("whole"));
    shards(&tmp.path().join("array"), &run, 50);
    // The folder above all 50 task folders, as a job array's merge step names it.
    let merged = ok(
        &["merge", tmp.path().join("array").to_str().unwrap(), "--quiet"],
        &tmp.path().join("merged"),
    );
    assert_same_outputs(&merged, &whole, "per_year.csv");
}

#[test]
fn shard_auto_reads_the_slurm_array_task() {
    let tmp = tempdir();
    let o = carecast()
        .args([
            "run",
            "scenarios/example.toml",
            "--iterations",
            "1000",
            "--shard",
            "auto",
            "--out",
        ])
        .arg(tmp.path())
        .env("SLURM_ARRAY_TASK_ID", "12")
        .env("SLURM_ARRAY_TASK_MIN", "10")
        .env("SLURM_ARRAY_TASK_MAX", "13")
        .env("SLURM_ARRAY_TASK_COUNT", "4")
        .env_remove("SGE_TASK_ID")
        .output()
        .unwrap();
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Task 12 of tasks 10 to 13 is the third of four shards: 1,000 iterations are 4 chunks, one each.
    assert!(
        stdout.contains("shard 3/4, from SLURM_ARRAY_TASK_ID: iterations 512 to 767 of 1,000"),
        "{stdout}"
    );
}

#[test]
fn shards_that_cannot_work_are_refused_before_any_work() {
    let e = refused(&["run", "scenarios/example.toml", "--shard", "5/4"]);
    assert!(e.contains("--shard") && e.contains("1 ≤ K ≤ N"), "{e}");
    let e = refused(&["run", "scenarios/example.toml", "--shard", "0/4"]);
    assert!(e.contains("--shard"), "{e}");
    let e = refused(&[
        "run",
        "scenarios/example.toml",
        "--iterations",
        "1000",
        "--shard",
        "1/5",
    ]);
    assert!(e.contains("make 4; use at most 4 shards"), "{e}");
    let e = carecast()
        .args(["run", "scenarios/example.toml", "--shard", "auto"])
        .env_clear()
        .output()
        .unwrap();
    let stderr = String::from_utf8(e.stderr).unwrap();
    assert_eq!(e.status.code(), Some(2));
    assert!(
        stderr.contains("no job array task found") && stderr.contains("SLURM_ARRAY_TASK_ID"),
        "{stderr}"
    );
    let e = refused(&[
        "evppi",
        "scenarios/example.toml",
        "--shard",
        "1/2",
        "--group",
        "g=nonesuch",
    ]);
    assert!(e.contains("nonesuch"), "{e}");
}

/// Two shards of a 600-iteration run of example.toml (3 chunks) with `extra` arguments, into `root/task-K`.
fn example_shards(root: &Path, extra: &[&str]) -> Vec<PathBuf> {
    let mut run = vec!["run", "scenarios/example.toml", "--iterations", "600", "--quiet"];
    run.extend(extra);
    shards(root, &run, 2)
}

/// The one shard folder below a task folder.
fn shard_dir(task: &Path) -> PathBuf {
    let below = task.join("example");
    fs::read_dir(&below).unwrap().next().unwrap().unwrap().path()
}

#[test]
fn merge_refuses_missing_repeated_foreign_and_damaged_shards() {
    let tmp = tempdir();
    let a = example_shards(&tmp.path().join("a"), &[]);
    let b = example_shards(&tmp.path().join("b"), &["--seed", "5"]);
    let [a1, a2] = [shard_dir(&a[0]), shard_dir(&a[1])];
    let b2 = shard_dir(&b[1]);
    let s = |p: &PathBuf| p.to_str().unwrap().to_string();

    let e = refused(&["merge", &s(&a1)]);
    assert!(e.contains("shard 2/2 of the run is missing"), "{e}");
    let e = refused(&["merge", &s(&a1), &s(&a1)]);
    assert!(e.contains("given twice"), "{e}");
    let e = refused(&["merge", &s(&a1), &s(&b2)]);
    assert!(e.contains("different run") && e.contains("seed"), "{e}");
    assert!(!e.contains("iterations,"), "only the seed differs: {e}");

    // A part cut short after the shard finished.
    let part = a2.join("part-1.bin");
    let bytes = fs::read(&part).unwrap();
    fs::write(&part, &bytes[..bytes.len() - 8]).unwrap();
    let e = refused(&["merge", &s(&a1), &s(&a2)]);
    assert!(e.contains("part-1.bin") && e.contains("cut short or changed"), "{e}");
    fs::write(&part, &bytes).unwrap();

    // Sweep shards and run shards together.
    let sweep = ok(
        &[
            "sweep",
            "scenarios/example.toml",
            "--vary",
            "home_care_weekly.mean=60:140:2",
            "--iterations",
            "50",
            "--shard",
            "1/2",
            "--quiet",
        ],
        &tmp.path().join("sweep"),
    );
    let e = refused(&["merge", &s(&a1), &s(&a2), &s(&sweep)]);
    assert!(e.contains("shards of a sweep and shards of a run"), "{e}");
    // Sound shards still merge.
    ok(&["merge", &s(&a1), &s(&a2)], &tmp.path().join("merged"));
}

#[test]
fn merge_refuses_a_scenario_changed_since_the_shards_ran() {
    let tmp = tempdir();
    let scenario = tmp.path().join("example.toml");
    fs::copy("scenarios/example.toml", &scenario).unwrap();
    let run = ["run", scenario.to_str().unwrap(), "--iterations", "600", "--quiet"];
    let tasks = shards(&tmp.path().join("array"), &run, 2);
    fs::write(&scenario, fs::read_to_string(&scenario).unwrap() + "\n# edited\n").unwrap();
    let e = refused(&["merge", tasks[0].to_str().unwrap(), tasks[1].to_str().unwrap()]);
    assert!(e.contains("has changed since the shards ran"), "{e}");
}

#[test]
fn merge_refuses_shards_that_hold_more_simulations_than_the_run_makes() {
    let tmp = tempdir();
    let tasks = example_shards(&tmp.path().join("a"), &[]);
    // Each shard made to hold a second simulation (a copy of its first, recorded as the shard would record it): a
    // run of example.toml makes one, so the shards and the program disagree about the run.
    for task in &tasks {
        let dir = shard_dir(task);
        fs::copy(dir.join("part-1.bin"), dir.join("part-2.bin")).unwrap();
        let path = dir.join("shard.json");
        let mut manifest: serde_json::Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        // A simulation's files are its pieces: this one in one piece.
        let mut second = manifest["parts"][0].clone();
        assert_eq!(second.as_array().map(Vec::len), Some(1));
        second[0]["file"] = "part-2.bin".into();
        manifest["parts"].as_array_mut().unwrap().push(second);
        fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    }
    let e = refused(&[
        "merge",
        tasks[0].to_str().unwrap(),
        tasks[1].to_str().unwrap(),
        "--out",
        tmp.path().join("m").to_str().unwrap(),
    ]);
    assert!(e.contains("hold more simulations than this run makes"), "{e}");
}

#[test]
fn a_shards_progress_count_covers_every_model_it_simulates_and_ends_at_its_total() {
    // Shard 1 of 2 of a run with subgroups simulates its iterations of the cohort and of each subgroup alone: the
    // bar's count must take them all in and end at its total.
    let tmp = tempfile::tempdir().unwrap();
    let progress = std::sync::Arc::new(carecast::simulate::Progress::default());
    let ctx = common::context(tmp.path()).with_progress(progress.clone());
    let command = carecast::output::run_shard::ShardedCommand::Run {
        keep_first: None,
        gzip: false,
    };
    let shard = carecast::model::Shard { index: 1, count: 2 };
    let outcome = carecast::commands::run_shard(
        &ctx,
        &common::bundled_path("shared-lives"),
        &common::changes(Some(512), &[]),
        command,
        (shard, "1/2"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let load = |a: &std::sync::atomic::AtomicUsize| a.load(std::sync::atomic::Ordering::Relaxed);
    let (done, total) = (load(&progress.done), load(&progress.total));
    let shard_iterations = outcome.manifest.end - outcome.manifest.first;
    assert!(outcome.manifest.parts.len() >= 3, "the cohort and its subgroups");
    assert_eq!(done, total, "the count ends at its total");
    assert_eq!(total, shard_iterations * outcome.manifest.parts.len());
}
