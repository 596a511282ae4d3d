//! A 100-point sweep of a bundled scenario at 10,000 iterations per point (issue target: within 10 s on 2 cores),
//! with the scenario read and compiled once and the table streamed to disk.

use carecast::app;
use carecast::model::load;
use carecast::scenario::SweepAxis;
use criterion::{criterion_group, criterion_main, Criterion};
use std::path::Path;

fn sweep_100_points(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reablement.toml");
    let loaded = load(&path).expect("the reablement scenario loads");
    assert_eq!(loaded.run.iterations, 10_000);
    let axes = vec![SweepAxis::parse("home_care_weekly.mean=80:120:100").expect("axis")];
    let out = tempfile::tempdir().expect("temporary directory");
    let models = carecast::sweep::prepare(std::slice::from_ref(&loaded), &axes, &[]).expect("prepares");
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    group.bench_function("reablement_100_points_10k_iterations", |b| {
        b.iter(|| {
            let outcome = carecast::sweep::run(
                std::slice::from_ref(&loaded),
                &models,
                &axes,
                &[],
                None,
                out.path(),
                None,
            )
            .expect("sweeps");
            std::fs::remove_dir_all(outcome.dir).expect("clean up");
        })
    });
    // The whole command as a user runs it: reading, compiling and checking included.
    group.bench_function("reablement_100_points_10k_iterations_end_to_end", |b| {
        let options = app::SweepOptions {
            vary: axes.clone(),
            out: Some(out.path().to_path_buf()),
            ..app::SweepOptions::default()
        };
        b.iter(|| {
            let outcome = app::sweep(std::slice::from_ref(&path), &options, None).expect("sweeps");
            std::fs::remove_dir_all(outcome.dir).expect("clean up");
        })
    });
    group.finish();
}

criterion_group!(benches, sweep_100_points);
criterion_main!(benches);
