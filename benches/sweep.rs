//! A 100-point sweep of a bundled scenario at 10,000 iterations per point (issue target: within 10 s on 2 cores),
//! as a user runs it: the scenario read, compiled and checked once, then each point simulated, analysed and written
//! to the streamed table.

use carecast::commands::{self, Context, SweepOptions};
use carecast::scenario::SweepAxis;
use criterion::{criterion_group, criterion_main, Criterion};
use std::path::Path;

fn sweep_100_points(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reablement.toml");
    let out = tempfile::tempdir().expect("temporary directory");
    let ctx = Context::new(None, Some(out.path().to_path_buf())).expect("a thread pool");
    let options = SweepOptions {
        vary: vec![SweepAxis::parse("home_care_weekly.mean=80:120:100").expect("axis")],
        ..SweepOptions::default()
    };
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    group.bench_function("reablement_100_points_10k_iterations_end_to_end", |b| {
        b.iter(|| {
            let outcome = commands::sweep(&ctx, std::slice::from_ref(&path), &options).expect("sweeps");
            assert_eq!(outcome.manifest.scenarios[0].iterations, 10_000);
            std::fs::remove_dir_all(outcome.dir).expect("clean up");
        })
    });
    group.finish();
}

criterion_group!(benches, sweep_100_points);
criterion_main!(benches);
