//! Whole-run scaling: `carecast run` of the reference workload (scenarios/reference.toml) at 10^4, 10^6 and 10^7
//! iterations on 1, 2, 4, 8 and 16 threads, each thread count this machine has cores for, with the wall time and the
//! peak resident memory of the process (GNU time's `%M`; Debian's `time` package). Prints a markdown table.
//!
//! Not a criterion bench: a 10^7-iteration run takes tens of seconds, and the figures wanted are a table, each the
//! best of a few runs (the machine's speed swings, and the fastest run is the least disturbed). `cargo bench --bench
//! scaling`; `SCALING_SIZES=10000,1000000` and `SCALING_RUNS=3` choose the sizes and the runs per cell.

use std::path::Path;
use std::process::Command;

/// Wall seconds and peak resident kilobytes of one `carecast run` with `iterations` on `threads` threads.
fn one_run(iterations: usize, threads: usize, out: &Path) -> (f64, u64) {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference.toml");
    let output = Command::new("/usr/bin/time")
        .args(["-f", "%e %M"])
        .arg(env!("CARGO_BIN_EXE_carecast"))
        .arg("run")
        .arg(scenario)
        .args([
            "--iterations",
            &iterations.to_string(),
            "--threads",
            &threads.to_string(),
        ])
        .args(["--quiet", "--out"])
        .arg(out)
        .output()
        .expect("GNU time runs carecast (install Debian's `time` package)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().expect("GNU time's line");
    let mut fields = last.split_whitespace();
    let seconds = fields.next().and_then(|f| f.parse().ok()).expect("wall seconds");
    let kilobytes = fields.next().and_then(|f| f.parse().ok()).expect("peak kilobytes");
    (seconds, kilobytes)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would pass nothing and must not run 10^7 iterations.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let sizes: Vec<usize> = std::env::var("SCALING_SIZES")
        .unwrap_or_else(|_| "10000,1000000,10000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("SCALING_SIZES is a list of numbers"))
        .collect();
    let runs: usize = std::env::var("SCALING_RUNS").map_or(3, |r| r.parse().expect("SCALING_RUNS is a number"));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads: Vec<usize> = [1, 2, 4, 8, 16].into_iter().filter(|&t| t <= cores).collect();
    println!("{cores} cores; the best of {runs} runs per cell; thread counts above the cores are not run\n");
    println!("| iterations | threads | wall time | speed-up on 1 thread | peak memory |");
    println!("|---|---|---|---|---|");
    for &n in &sizes {
        let mut one_thread = None;
        for &t in &threads {
            let out = tempfile::tempdir().expect("temporary directory");
            let best = (0..runs)
                .map(|_| one_run(n, t, out.path()))
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .expect("one run at least");
            let base = *one_thread.get_or_insert(best.0);
            println!(
                "| {n} | {t} | {:.3} s | {:.2} | {:.0} MiB |",
                best.0,
                base / best.0,
                best.1 as f64 / 1024.0
            );
        }
    }
}
