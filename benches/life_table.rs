//! Time per state-cycle of a life-table model against the reference workload's, each at 10,000 iterations on a pool
//! of 2 threads.
//!
//! The life-table model is the bundled scenarios/life-table.toml (background mortality from the ONS national life
//! table by age and sex, raised by sampled hazard ratios in care) with a cohort of 100 starting ages (0 to 99, one
//! share each) by 2 sexes, followed over a lifetime (101 yearly cycles: everyone has died at 101). The reference
//! workload is scenarios/reference.toml. Each benchmark's throughput is its state-cycles (iterations × arms × starting
//! age and sex strata × states × cycles), so criterion's "elements/s" is state-cycles per second and its inverse the
//! time per state-cycle the README reports.

use carecast::model::{compile_text, load, Model, RunSettings};
use carecast::simulate;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use std::path::Path;

const ITERATIONS: usize = 10_000;

/// The bundled life-table scenario with 100 starting ages by 2 sexes and a lifetime horizon.
fn life_table() -> Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/life-table.toml");
    let text = std::fs::read_to_string(&path).expect("the life-table scenario is readable");
    let ages: Vec<String> = (0..100).map(|a| format!("{a} = 0.01")).collect();
    let edits = [
        (
            "age = { 65 = 0.3, 75 = 0.4, 85 = 0.3 }",
            format!("age = {{ {} }}", ages.join(", ")),
        ),
        ("horizon_years = 40", "horizon_years = 101".to_string()),
    ];
    let mut edited = text;
    for (from, to) in &edits {
        assert!(
            edited.contains(from),
            "the life-table scenario no longer contains {from:?}"
        );
        edited = edited.replacen(from, to, 1);
    }
    let model = compile_text(&path, &edited).expect("the edited life-table scenario compiles");
    assert_eq!(model.strata.len(), 200, "100 ages by 2 sexes");
    model
}

fn reference() -> Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference.toml");
    load(&path).expect("the reference scenario loads").model
}

/// State-cycles one run simulates: iterations × contexts (arms × subgroups × strata) × states × cycles.
fn state_cycles(model: &Model) -> u64 {
    (ITERATIONS * model.contexts.len() * model.states.len() * model.settings.cycles()) as u64
}

fn per_state_cycle(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
    let mut group = c.benchmark_group("state_cycles_10k_iterations_2_threads");
    // A run of the life-table model takes seconds: one run per sample, the fewest samples criterion allows.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    for (name, model) in [
        ("reference", reference()),
        ("life_table_100_ages_2_sexes", life_table()),
    ] {
        let run = RunSettings {
            iterations: ITERATIONS,
            ..model.run_defaults
        };
        group.throughput(Throughput::Elements(state_cycles(&model)));
        group.bench_with_input(BenchmarkId::from_parameter(name), &model, |b, model| {
            b.iter(|| pool.install(|| simulate::run(model, &run, None).expect("runs")))
        });
    }
    group.finish();
}

criterion_group!(benches, per_state_cycle);
criterion_main!(benches);
