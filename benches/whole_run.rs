//! A whole `carecast run` of the reference workload (scenarios/reference.toml) against its parts, at 10,000 and
//! 1,000,000 iterations on all cores: the process as a user starts it (reading the scenario, the PSA, every analysis,
//! every file and plot, the report), the PSA alone (the engine), and the analyses alone. What is left of the process
//! after those two is writing the outputs. Issue 19's targets: the whole process within 50 ms at 10^4 and within
//! twice the engine's time at 10^6.
//!
//! `cargo bench --bench whole_run`; `WHOLE_RUN_ITERATIONS=10000` runs one size only.

use carecast::analysis;
use carecast::model::{load, Model, RunSettings};
use carecast::simulate;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::path::{Path, PathBuf};
use std::process::Command;

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference.toml")
}

fn reference() -> Model {
    load(&scenario()).expect("the reference scenario loads").model
}

/// The sizes to bench: both, or the one WHOLE_RUN_ITERATIONS names.
fn sizes() -> Vec<usize> {
    match std::env::var("WHOLE_RUN_ITERATIONS") {
        Ok(n) => vec![n.parse().expect("WHOLE_RUN_ITERATIONS is a number")],
        Err(_) => vec![10_000, 1_000_000],
    }
}

fn whole_run(c: &mut Criterion) {
    let model = reference();
    let out = tempfile::tempdir().expect("temporary directory");
    let mut group = c.benchmark_group("whole_run");
    group.sample_size(10);
    for n in sizes() {
        let run = RunSettings {
            iterations: n,
            ..model.run_defaults
        };
        group.bench_with_input(BenchmarkId::new("engine", n), &n, |b, _| {
            b.iter(|| simulate::run(&model, &run, None).expect("runs"))
        });
        let results = simulate::run(&model, &run, None).expect("runs");
        group.bench_with_input(BenchmarkId::new("analysis", n), &n, |b, _| {
            b.iter(|| analysis::analyse_run(&model, &results))
        });
        drop(results);
        group.bench_with_input(BenchmarkId::new("process", n), &n, |b, _| {
            b.iter(|| {
                let status = Command::new(env!("CARGO_BIN_EXE_carecast"))
                    .arg("run")
                    .arg(scenario())
                    .args(["--iterations", &n.to_string(), "--quiet", "--out"])
                    .arg(out.path())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .expect("carecast starts");
                assert!(status.success());
                std::fs::remove_dir_all(out.path().join("reference")).expect("clean up");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, whole_run);
criterion_main!(benches);
