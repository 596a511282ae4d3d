//! Golden outputs: every command on every bundled scenario, as a user runs it, with the SHA-256 of every file it
//! writes and of what it prints, compared with `tests/golden/outputs.sha256`.
//!
//! The only fields that legitimately differ between two identical runs are left out before hashing: the `timing`
//! block of summary.json, the report's start time and thread count, the wall time the terminal prints, and the
//! temporary directory's and the run directory's names. Everything else must be byte for byte what it was when the
//! list was written, so a change to any number, table, plot, page or message shows here, file by file.
//!
//! The same outputs are checked for figures' text cut short to fit (ending in "…"): none of the bundled scenarios'
//! may lose any.
//!
//! When a change is meant to change outputs, rewrite the list and review its diff with the change:
//! `CARECAST_BLESS=1 cargo test --release --test golden`. On a mismatch the test copies what it got to
//! `output/golden-actual/` for comparison.

mod common;

use common::carecast;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

const GOLDEN: &str = "tests/golden/outputs.sha256";

const SCENARIOS: [&str; 13] = [
    "access-team",
    "adaptations",
    "door-widening",
    "equipment-store",
    "example",
    "life-table",
    "personal-budgets",
    "popp",
    "reablement",
    "reference",
    "shared-lives",
    "telecare-council",
    "telecare-wsd",
];

/// What a command did: its exit code, what it printed, and the files it wrote (relative name → normalised bytes).
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    files: BTreeMap<String, Vec<u8>>,
}

/// Runs carecast with `args` (where `{out}` stands for a fresh output directory) and collects what it wrote there.
fn run(args: &[&str]) -> Outcome {
    run_in(Path::new("."), args)
}

/// [`run`] in the directory `cwd`.
fn run_in(cwd: &Path, args: &[&str]) -> Outcome {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let out = tmp.path().to_str().expect("utf-8 path").to_string();
    let args: Vec<String> = args.iter().map(|a| a.replace("{out}", &out)).collect();
    let output = carecast().current_dir(cwd).args(&args).output().expect("carecast runs");
    let mut files = BTreeMap::new();
    collect(tmp.path(), tmp.path(), &mut files);
    Outcome {
        code: output.status.code().unwrap_or(-1),
        stdout: normalise_text(&String::from_utf8_lossy(&output.stdout), &out),
        stderr: normalise_text(&String::from_utf8_lossy(&output.stderr), &out),
        files,
    }
}

fn collect(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("readable")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let relative = path.strip_prefix(root).expect("inside").to_string_lossy().to_string();
            let name = relative.split('/').map(stamp_free).collect::<Vec<_>>().join("/");
            let bytes = fs::read(&path).expect("readable file");
            let bytes = normalise_file(&name, bytes);
            assert!(
                files.insert(name.clone(), bytes).is_none(),
                "two files normalise to {name}"
            );
        }
    }
}

/// A run directory's name without its time stamp: `2026-12-03T234138-seed1` → `TIME-seed1`.
fn stamp_free(part: &str) -> String {
    let b = part.as_bytes();
    let stamped = b.len() > 18
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[17] == b'-'
        && b[..17]
            .iter()
            .enumerate()
            .all(|(i, c)| [4, 7, 10].contains(&i) || c.is_ascii_digit());
    if stamped {
        format!("TIME{}", &part[17..])
    } else {
        part.to_string()
    }
}

/// Leaves out what differs between identical runs: the temporary directory, run directory names, wall times.
fn normalise_text(text: &str, out: &str) -> String {
    let text = text.replace(out, "OUT");
    text.lines()
        .map(|line| {
            let line: String = line.split('/').map(stamp_free).collect::<Vec<_>>().join("/");
            // "10000 iterations in 0.03 s on 2 threads", "1 iteration in under 0.01 s on 1 thread"
            let timing = line.ends_with(" thread") || line.ends_with(" threads");
            match line.find(" iteration").filter(|_| timing && line.contains(" s on ")) {
                Some(i) => format!("{} iterations in WALL TIME", &line[..i]),
                None => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn normalise_file(name: &str, bytes: Vec<u8>) -> Vec<u8> {
    if name.ends_with("summary.json") {
        let text = String::from_utf8(bytes).expect("utf-8 summary");
        // The timing block is the last one, kept apart because it is the only part that differs between identical
        // runs.
        return match text.find("  \"timing\": {") {
            Some(i) => format!("{}TIMING\n", &text[..i]).into_bytes(),
            None => text.into_bytes(),
        };
    }
    if name.ends_with("report.html") {
        let mut text = String::from_utf8(bytes).expect("utf-8 report");
        for label in ["Run started (UTC)", "Written (UTC)", "Threads"] {
            let open = format!("<dt>{label}</dt><dd><code>");
            if let Some(start) = text.find(&open).map(|i| i + open.len()) {
                if let Some(len) = text[start..].find("</code>") {
                    text.replace_range(start..start + len, "VARIES");
                }
            }
        }
        return text.into_bytes();
    }
    bytes
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Adds a command's exit code, output and files to the list under `key`.
fn record(list: &mut BTreeMap<String, String>, keep: &mut BTreeMap<String, Vec<u8>>, key: &str, o: &Outcome) {
    list.insert(format!("{key} exit"), o.code.to_string());
    for (stream, text) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        list.insert(format!("{key} {stream}"), sha256(text.as_bytes()));
        keep.insert(format!("{key}/{stream}.txt"), text.as_bytes().to_vec());
    }
    for (name, bytes) in &o.files {
        list.insert(format!("{key} {name}"), sha256(bytes));
        keep.insert(format!("{key}/{name}"), bytes.clone());
    }
}

/// The outputs of every command, as the golden list keys them.
fn every_output() -> (BTreeMap<String, String>, BTreeMap<String, Vec<u8>>) {
    let mut list = BTreeMap::new();
    let mut keep = BTreeMap::new();
    let path = |s: &str| format!("scenarios/{s}.toml");
    for s in SCENARIOS {
        let p = path(s);
        record(&mut list, &mut keep, &format!("check/{s}"), &run(&["check", &p]));
        record(
            &mut list,
            &mut keep,
            &format!("run/{s}"),
            &run(&["run", &p, "--threads", "2", "--out", "{out}"]),
        );
        record(
            &mut list,
            &mut keep,
            &format!("tornado/{s}"),
            &run(&["tornado", &p, "--out", "{out}"]),
        );
        record(
            &mut list,
            &mut keep,
            &format!("evppi/{s}"),
            &run(&["evppi", &p, "--iterations", "2000", "--out", "{out}"]),
        );
    }
    let cases: &[(&str, &[&str])] = &[
        (
            "run/reablement-set",
            &[
                "run",
                "scenarios/reablement.toml",
                "--set",
                "home_care_weekly=120",
                "--set",
                "reablement_episode.mean=2500",
                "--iterations",
                "3000",
                "--seed",
                "7",
                "--out",
                "{out}",
            ],
        ),
        (
            "run/individual",
            &["run", "tests/golden/individual.toml", "--out", "{out}"],
        ),
        (
            "sweep/reablement-grid",
            &[
                "sweep",
                "scenarios/reablement.toml",
                "--vary",
                "home_care_weekly.mean=80:120:5",
                "--vary",
                "p_need_home_care.high=0.15:0.35:3",
                "--iterations",
                "500",
                "--out",
                "{out}",
            ],
        ),
        (
            "sweep/reablement-own",
            &[
                "sweep",
                "scenarios/reablement.toml",
                "--iterations",
                "500",
                "--quiet",
                "--out",
                "{out}",
            ],
        ),
        (
            "sweep/two-scenarios",
            &[
                "sweep",
                "scenarios/popp.toml",
                "scenarios/example.toml",
                "--vary",
                "p_die=0.02:0.08:4",
                "--iterations",
                "400",
                "--out",
                "{out}",
            ],
        ),
        (
            "sweep/set-unknown-in-one",
            &[
                "sweep",
                "scenarios/popp.toml",
                "scenarios/example.toml",
                "--vary",
                "p_die=0.02:0.08:4",
                "--set",
                "cost_bed_day=250",
                "--out",
                "{out}",
            ],
        ),
        (
            "tornado/reablement-bcr",
            &[
                "tornado",
                "scenarios/reablement.toml",
                "--measure",
                "bcr",
                "--bounds",
                "home_care_weekly=60:140",
                "--out",
                "{out}",
            ],
        ),
        (
            "threshold/reablement",
            &[
                "threshold",
                "scenarios/reablement.toml",
                "--parameter",
                "reablement_episode",
                "--measure",
                "bcr",
                "--range",
                "0:20000",
                "--out",
                "{out}",
            ],
        ),
        (
            "threshold/popp",
            &[
                "threshold",
                "scenarios/popp.toml",
                "--parameter",
                "cost_bed_day",
                "--measure",
                "net_savings",
                "--out",
                "{out}",
            ],
        ),
        (
            "threshold/example-inmb",
            &[
                "threshold",
                "scenarios/example.toml",
                "--parameter",
                "reablement_episode",
                "--measure",
                "inmb",
                "--out",
                "{out}",
            ],
        ),
        (
            "twoway/reablement",
            &[
                "twoway",
                "scenarios/reablement.toml",
                "--x",
                "home_care_weekly=40:200:9",
                "--y",
                "reablement_episode=1000:8000:8",
                "--out",
                "{out}",
            ],
        ),
        (
            "twoway/popp-bcr",
            &[
                "twoway",
                "scenarios/popp.toml",
                "--x",
                "cost_bed_day=150:350:5",
                "--y",
                "bed_days_base=1:4:4",
                "--measure",
                "bcr",
                "--out",
                "{out}",
            ],
        ),
        (
            "evppi/popp-group",
            &[
                "evppi",
                "scenarios/popp.toml",
                "--group",
                "baseline=bed_days_base,cost_bed_day",
                "--lambda",
                "100",
                "--out",
                "{out}",
            ],
        ),
        ("reproduce/all", &["reproduce", "--out", "{out}"]),
        (
            "reproduce/popp",
            &[
                "reproduce",
                "scenarios/popp.toml",
                "--iterations",
                "3000",
                "--seed",
                "5",
                "--out",
                "{out}",
            ],
        ),
    ];
    for (key, args) in cases {
        record(&mut list, &mut keep, key, &run(args));
    }
    // Analysing a run's own iterations.csv, and a three-arm one with options.
    for (key, scenario, extra) in [
        ("analyse/example", "example", &[][..]),
        (
            "analyse/reference",
            "reference",
            &[
                "--effect",
                "qaly",
                "--comparator",
                "usual_care",
                "--wtp",
                "0:40000:5000",
                "--threshold",
                "20000",
                "--population",
                "1000",
            ][..],
        ),
        // No outcome column: refused, naming the header.
        ("analyse/personal-budgets", "personal-budgets", &[][..]),
        // An outcome where less is better, with the run's parameter sample for EVPPI.
        (
            "analyse/popp-parameters",
            "popp",
            &[
                "--effect",
                "emergency_bed_days",
                "--better",
                "lower",
                "--effect-label",
                "emergency bed days",
                "--effect-unit",
                "bed day",
                "--threshold",
                "100",
                "--wtp",
                "0:500:25",
                "--parameters",
                "popp-parameters.csv",
                "--group",
                "baseline=bed_days_base,cost_bed_day",
            ][..],
        ),
    ] {
        let tmp = tempfile::tempdir().expect("temporary directory");
        let ran = carecast()
            .args(["run", &path(scenario), "--iterations", "1000", "--quiet", "--out"])
            .arg(tmp.path())
            .output()
            .expect("runs");
        assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
        let dir = PathBuf::from(String::from_utf8(ran.stdout).expect("utf-8").trim());
        let name = format!("{scenario}-iterations.csv");
        fs::copy(dir.join("iterations.csv"), tmp.path().join(&name)).expect("copy");
        fs::copy(
            dir.join("parameters.csv"),
            tmp.path().join(format!("{scenario}-parameters.csv")),
        )
        .expect("copy");
        // Run where the file is, so that its name as given (and as the outputs record it) is the same every time.
        let mut args = vec!["analyse", name.as_str()];
        args.extend(extra);
        args.extend(["--out", "{out}"]);
        let o = run_in(tmp.path(), &args);
        record(&mut list, &mut keep, key, &o);
    }
    // Shards and their merge.
    let shards = tempfile::tempdir().expect("temporary directory");
    let mut dirs = Vec::new();
    for k in 1..=3 {
        let o = carecast()
            .args([
                "sweep",
                "scenarios/example.toml",
                "--vary",
                "reablement_episode.mean=1000:3000:5",
                "--iterations",
                "300",
                "--quiet",
                "--shard",
                &format!("{k}/3"),
                "--out",
            ])
            .arg(shards.path().join(format!("task-{k}")))
            .output()
            .expect("runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        dirs.push(String::from_utf8(o.stdout).expect("utf-8").trim().to_string());
        let mut files = BTreeMap::new();
        collect(
            Path::new(dirs.last().expect("a shard")),
            Path::new(dirs.last().expect("a shard")),
            &mut files,
        );
        for (name, bytes) in files {
            list.insert(format!("sweep/shard-{k} {name}"), sha256(&bytes));
            keep.insert(format!("sweep/shard-{k}/{name}"), bytes);
        }
    }
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(String::as_str));
    args.extend(["--out", "{out}"]);
    record(&mut list, &mut keep, "merge/example", &run(&args));
    (list, keep)
}

/// Every text of every SVG in `keep` that a figure cut short to fit ("…" at its end), with its file.
fn cut_texts(keep: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut cut = Vec::new();
    for (name, bytes) in keep.iter().filter(|(name, _)| name.ends_with(".svg")) {
        let svg = String::from_utf8_lossy(bytes);
        for piece in svg.split("</text>").map(str::trim_end).filter(|p| p.ends_with('…')) {
            let text = piece.rsplit('>').next().unwrap_or(piece).trim();
            cut.push(format!("{name}: {text}"));
        }
    }
    cut
}

#[test]
fn every_command_on_every_bundled_scenario_writes_what_it_wrote_before() {
    let (got, keep) = every_output();
    // Every figure of every command on the bundled scenarios shows its text whole: a panel's statistics cut to fit
    // once lost the median and the share of iterations paying back (telecare-wsd's "£1 or more back in 0…").
    let cut = cut_texts(&keep);
    assert!(
        cut.is_empty(),
        "{} texts cut short in figures:\n{}",
        cut.len(),
        cut.join("\n")
    );
    let text: String = got.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
    if std::env::var_os("CARECAST_BLESS").is_some() {
        fs::create_dir_all("tests/golden").expect("golden directory");
        fs::write(GOLDEN, &text).expect("golden list written");
        eprintln!("wrote {GOLDEN}: {} entries", got.len());
        return;
    }
    let expected_text = fs::read_to_string(GOLDEN)
        .unwrap_or_else(|e| panic!("cannot read {GOLDEN} ({e}); write it with CARECAST_BLESS=1"));
    let expected: BTreeMap<String, String> = expected_text
        .lines()
        .filter_map(|l| l.rsplit_once(' ').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect();
    let mut problems = Vec::new();
    for (k, v) in &expected {
        match got.get(k) {
            None => problems.push(format!("missing: {k}")),
            Some(g) if g != v => problems.push(format!("changed: {k}")),
            _ => {}
        }
    }
    for k in got.keys().filter(|k| !expected.contains_key(*k)) {
        problems.push(format!("new: {k}"));
    }
    if !problems.is_empty() {
        let actual = Path::new("output/golden-actual");
        let _ = fs::remove_dir_all(actual);
        for (name, bytes) in &keep {
            let p = actual.join(name);
            fs::create_dir_all(p.parent().expect("parent")).expect("directory");
            fs::write(&p, bytes).expect("written");
        }
        panic!(
            "{} of {} golden entries differ (what this build wrote is in {}):\n{}",
            problems.len(),
            expected.len(),
            actual.display(),
            problems.join("\n")
        );
    }
}
