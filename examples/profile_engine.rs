//! Times repeated PSA runs of a scenario, for profiling (`perf record`) and for the fastest and mean run times, which
//! criterion's means hide on a noisy machine:
//!
//! `RAYON_NUM_THREADS=1 REPS=100 cargo run --release --example profile_engine -- 10000 [cohort|individual] [people]`
//! (the scenario is `scenarios/reference.toml`, or the file in SCEN). With EACH=1 it also prints every run's wall and
//! CPU time in ms to stderr: to compare two builds, alternate them run by run and compare the paired times, since the
//! machine's speed drifts too much for two separate series to be compared.

use carecast::model::{load, Mode};
use carecast::simulate;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let mode = args.get(2).map_or("cohort", String::as_str);
    let people: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let path = std::env::var("SCEN").unwrap_or_else(|_| "scenarios/reference.toml".into());
    let mut model = load(Path::new(&path)).unwrap_or_else(|e| panic!("{e}")).model;
    model.run_defaults.iterations = n;
    if mode == "individual" {
        model.settings.mode = Mode::Individual;
        model.cohort_size = people;
    }
    let reps: usize = std::env::var("REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
        .max(1);
    // EACH=1 prints every run's time (ms) to stderr, for comparing builds by their distributions.
    let each = std::env::var_os("EACH").is_some();
    let (mut best, mut total) = (f64::INFINITY, 0.0);
    for _ in 0..reps {
        let cpu_before = cpu_ns();
        let started = std::time::Instant::now();
        let results = simulate::run(&model, &model.run_defaults, None).unwrap_or_else(|e| panic!("{e}"));
        let seconds = started.elapsed().as_secs_f64();
        best = best.min(seconds);
        if each {
            eprintln!("{:.3} {:.3}", seconds * 1e3, (cpu_ns() - cpu_before) as f64 * 1e-6);
        }
        total += seconds;
        std::hint::black_box(results);
    }
    println!(
        "{n} iterations, {reps} runs: fastest {:.2} ms ({:.0} ns per iteration), mean {:.2} ms",
        best * 1e3,
        best * 1e9 / n as f64,
        total / reps as f64 * 1e3
    );
}

/// CPU time of all the process's threads (ns), from Linux's schedstat: it leaves out time the hypervisor stole, which
/// wall time on a shared virtual machine does not. 0 where /proc is missing.
fn cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}
