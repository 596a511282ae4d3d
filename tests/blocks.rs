//! A run of more than one block (`simulate::BLOCK`, 2^17 iterations) is simulated and analysed a block at a time in
//! memory that does not grow with its iterations. Its outputs must be those of the same run with every iteration held
//! (`--keep all` holds them) and of the run in shards merged (which go by blocks too), byte for byte apart from timing
//! and what the per-iteration files keep.

mod common;

use common::outputs::{assert_same_outputs, files, without_timing};
use common::{ok_in as ok, tempdir};
use std::path::{Path, PathBuf};

/// Two whole blocks and a part of a third.
const ITERATIONS: &str = "263144";

const RUN: [&str; 7] = [
    "run",
    "scenarios/reference.toml",
    "--iterations",
    ITERATIONS,
    "--seed",
    "5",
    "--quiet",
];

/// Three whole blocks and a part of a fourth: the third block's table is filled in the memory of the second's (the
/// first is kept), and the fourth's, smaller, in the third's memory in its own shape, over the third's values.
const FOUR_BLOCKS: [&str; 7] = [
    "run",
    "scenarios/reference.toml",
    "--iterations",
    "394216",
    "--seed",
    "5",
    "--quiet",
];

#[test]
fn a_run_by_blocks_has_the_outputs_of_the_run_held_whole() {
    let tmp = tempdir();
    let blocks = ok(&FOUR_BLOCKS, &tmp.path().join("blocks"));
    let held = ok(
        &[&FOUR_BLOCKS[..], &["--keep", "all"]].concat(),
        &tmp.path().join("held"),
    );
    let (blocks_files, held_files) = (files(&blocks), files(&held));
    let mut compared = 0;
    for (name, bytes) in &blocks_files {
        // What the per-iteration files keep differs, and the report and summary say so.
        let kept = ["iterations.csv", "parameters.csv", "report.html", "summary.json"];
        if kept.iter().any(|k| name == Path::new(k)) {
            continue;
        }
        let other = held_files
            .get(name)
            .unwrap_or_else(|| panic!("{} is not in the held run", name.display()));
        assert!(
            without_timing(name, bytes) == without_timing(name, other),
            "{} differs between the run by blocks and the run held whole",
            name.display()
        );
        compared += 1;
    }
    assert!(compared >= 15, "{compared} files");
    // summary.json: the same results (every mean, standard error, percentile, CEAC and EVPI), only what is kept
    // differs.
    let summary = |dir: &Path| {
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
        let object = json.as_object_mut().unwrap();
        object.remove("timing");
        let kept = object
            .remove("per_iteration_files")
            .expect("what the per-iteration files keep");
        (json, kept["iterations_kept"].as_u64())
    };
    let ((b, b_kept), (h, h_kept)) = (summary(&blocks), summary(&held));
    assert!(b == h, "summary.json differs beyond timing and the per-iteration files");
    assert_eq!((b_kept, h_kept), (Some(100_000), Some(394_216)));
    // The per-iteration files of the run by blocks (written while its later blocks are simulated) are the first
    // 100,000 iterations of the held run's: a row per iteration and arm (two arms), and a row per iteration.
    for (name, rows) in [("iterations.csv", 200_000), ("parameters.csv", 100_000)] {
        let lines = |files: &std::collections::BTreeMap<PathBuf, Vec<u8>>| -> Vec<String> {
            let text = String::from_utf8(files[Path::new(name)].clone()).unwrap();
            text.lines().map(str::to_string).collect()
        };
        let (by_blocks, whole) = (lines(&blocks_files), lines(&held_files));
        assert_eq!(by_blocks.len(), rows + 1, "{name}: a header and {rows} rows");
        assert!(
            by_blocks[..] == whole[..rows + 1],
            "{name} is not the held run's first rows"
        );
    }
}

#[test]
fn a_run_by_blocks_on_one_thread_writes_what_it_writes_on_two() {
    // On two threads the per-iteration files are written on a thread of their own while the later blocks are
    // simulated; on one, in the first block's turn. Either way the same bytes.
    let tmp = tempdir();
    let one = ok(&[&RUN[..], &["--threads", "1"]].concat(), &tmp.path().join("one"));
    let two = ok(&[&RUN[..], &["--threads", "2"]].concat(), &tmp.path().join("two"));
    let count = assert_same_outputs(&one, &two, "iterations.csv");
    assert!(count >= 20, "{count} files");
}

/// Runs `RUN` (keeping the first 1,000 iterations) as `count` shards and merges them; returns the merged folder and
/// the one-machine run's.
fn merged_against_whole(tmp: &Path, count: usize) -> (PathBuf, PathBuf) {
    let keep = ["--keep", "1000"];
    let whole = ok(&[&RUN[..], &keep].concat(), &tmp.join("whole"));
    let tasks: Vec<PathBuf> = (1..=count)
        .map(|k| {
            let task = tmp.join(format!("task-{k}"));
            let shard = format!("{k}/{count}");
            ok(&[&RUN[..], &keep, &["--shard", &shard]].concat(), &task);
            task
        })
        .collect();
    let mut args = vec!["merge".to_string()];
    args.extend(tasks.iter().map(|t| t.display().to_string()));
    args.push("--quiet".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    (ok(&args, &tmp.join("merged")), whole)
}

#[test]
fn a_run_by_blocks_has_the_outputs_of_its_50_shards_merged() {
    // 50 shards of 20 or 21 chunks each: every block is put together from several shards.
    let tmp = tempdir();
    let (merged, whole) = merged_against_whole(tmp.path(), 50);
    let count = assert_same_outputs(&merged, &whole, "roi.csv");
    assert!(count >= 20, "{count} files");
}

#[test]
fn shards_of_more_than_a_block_write_and_merge_in_pieces() {
    // Two shards of 131,584 and 131,560 iterations: each is written in two pieces that end at block boundaries
    // (131,072 and 262,144), so neither the shards nor the merge holds more than a block.
    let tmp = tempdir();
    let (merged, whole) = merged_against_whole(tmp.path(), 2);
    assert_same_outputs(&merged, &whole, "roi.csv");
    let manifest = |k: usize| -> serde_json::Value {
        let task = tmp.path().join(format!("task-{k}/reference"));
        let dir = std::fs::read_dir(task).unwrap().next().unwrap().unwrap().path();
        serde_json::from_str(&std::fs::read_to_string(dir.join("shard.json")).unwrap()).unwrap()
    };
    for k in [1, 2] {
        let manifest = manifest(k);
        let pieces: Vec<&str> = manifest["parts"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["file"].as_str().unwrap())
            .collect();
        assert_eq!(pieces, ["part-1.bin", "part-1-2.bin"], "shard {k}");
    }
}
