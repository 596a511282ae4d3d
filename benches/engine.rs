//! Throughput of the PSA engine on the bundled reference workload (scenarios/reference.toml):
//! cohort mode at 10,000 iterations on 1 and 2 threads, and individual mode at 1,000 iterations × 1,000 and 10^6 people.

use carecast::engine;
use carecast::model::{load_scenario, Mode, Model};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::path::Path;

fn reference() -> Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference.toml");
    load_scenario(&path).expect("the reference scenario loads").model
}

fn cohort(c: &mut Criterion) {
    let mut model = reference();
    model.settings.iterations = 10_000;
    let mut group = c.benchmark_group("cohort_10k_iterations");
    group.throughput(Throughput::Elements(10_000));
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{threads}_threads")),
            &threads,
            |b, _| b.iter(|| pool.install(|| engine::run(&model, None).expect("runs"))),
        );
    }
    group.finish();
}

fn individual(c: &mut Criterion) {
    let mut group = c.benchmark_group("individual_1k_iterations");
    group.sample_size(20);
    for people in [1_000u64, 1_000_000] {
        let mut model = reference();
        model.settings.iterations = 1_000;
        model.settings.mode = Mode::Individual;
        model.cohort_size = people;
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{people}_people_2_threads")),
            &people,
            |b, _| b.iter(|| pool.install(|| engine::run(&model, None).expect("runs"))),
        );
    }
    group.finish();
}

criterion_group!(benches, cohort, individual);
criterion_main!(benches);
