//! Time per iteration against the number of states: 10,000 iterations on 1 thread of generated chain models of 4, 9,
//! 30 and 100 states (benches/common/chain.rs: two or three exits from each living state, a council cost, an NHS cost
//! and a QALY weight in each), beside the reference workload (scenarios/reference.toml, 4 states) in the same run.
//!
//! Issue 19 asks for no cliff in model size: a 30-state model whose states have two or three exits within 3× the
//! reference's time per iteration, a 100-state one within 10×. Criterion's mean divided by 10,000 is the time per
//! iteration the README reports. The second group runs the same chains with death probabilities that change with
//! time (every boundary recomputes the rows), beside the first group's figures.

#[path = "common/chain.rs"]
mod chain;

use carecast::model::{compile_text, load, Model, RunSettings};
use carecast::simulate;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use std::path::Path;

const ITERATIONS: usize = 10_000;

fn reference() -> Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference.toml");
    load(&path).expect("the reference scenario loads").model
}

fn chain_model(n_states: usize, time_varying: bool) -> Model {
    let text = chain::chain_scenario(n_states, time_varying);
    let model = compile_text(Path::new("chain.toml"), &text).expect("the chain scenario compiles");
    assert_eq!(model.states.len(), n_states);
    model
}

/// Times 10,000 iterations of each model on one thread, as the benchmark group `name`.
fn bench_models(c: &mut Criterion, name: &str, models: Vec<(String, Model)>) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool");
    let mut group = c.benchmark_group(name);
    // The largest models take a second or more per run before the sparse trace: one run per sample.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.throughput(Throughput::Elements(ITERATIONS as u64));
    for (label, model) in &models {
        let run = RunSettings {
            iterations: ITERATIONS,
            ..model.run_defaults
        };
        group.bench_with_input(BenchmarkId::from_parameter(label), model, |b, model| {
            b.iter(|| pool.install(|| simulate::run(model, &run, None).expect("runs")))
        });
    }
    group.finish();
}

fn constant(c: &mut Criterion) {
    let mut models = vec![("reference".to_string(), reference())];
    for n in [4, 9, 30, 100] {
        models.push((format!("chain_{n}"), chain_model(n, false)));
    }
    bench_models(c, "model_size_10k_iterations_1_thread", models);
}

fn time_varying(c: &mut Criterion) {
    let models = [4, 9, 30, 100]
        .into_iter()
        .map(|n| (format!("chain_{n}"), chain_model(n, true)))
        .collect();
    bench_models(c, "model_size_time_varying_10k_iterations_1_thread", models);
}

criterion_group!(benches, constant, time_varying);
criterion_main!(benches);
