//! Throughput of the PSA engine on the bundled reference workload (scenarios/reference.toml):
//! cohort mode at 10,000 iterations on 1 and 2 threads, and individual mode at 1,000 iterations × 1,000 and 10^6 people.
//!
//! Also a hand-written kernel for that one model, the kind issue 2's cohort target was set against. This machine's
//! speed changes by half from one spell to the next, so the kernel, benched next to the engine, is the yardstick
//! that moves with it: compare the two groups' times from the same run.

use carecast::model::{load, Mode, Model, RunSettings};
use carecast::simulate;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use std::path::Path;

fn reference() -> Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference.toml");
    load(&path).expect("the reference scenario loads").model
}

/// Times `work` for 10,000 iterations on pools of 1 and 2 threads, as the benchmark group `name`.
fn on_1_and_2_threads<T: Send>(c: &mut Criterion, name: &str, work: impl Fn() -> T + Sync) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(10_000));
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{threads}_threads")),
            &threads,
            |b, _| b.iter(|| pool.install(&work)),
        );
    }
    group.finish();
}

fn cohort(c: &mut Criterion) {
    let model = reference();
    let run = RunSettings {
        iterations: 10_000,
        ..model.run_defaults
    };
    on_1_and_2_threads(c, "cohort_10k_iterations", || {
        simulate::run(&model, &run, None).expect("runs")
    });
}

fn individual(c: &mut Criterion) {
    let mut group = c.benchmark_group("individual_1k_iterations");
    group.sample_size(20);
    for people in [1_000u64, 1_000_000] {
        let mut model = reference();
        let run = RunSettings {
            iterations: 1_000,
            ..model.run_defaults
        };
        model.settings.mode = Mode::Individual;
        model.cohort_size = people;
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{people}_people_2_threads")),
            &people,
            |b, _| b.iter(|| pool.install(|| simulate::run(&model, &run, None).expect("runs"))),
        );
    }
    group.finish();
}

/// Marsaglia and Tsang's gamma sampler for shape ≥ 1, written out lean (`d` = shape − 1/3, `c` = 1/√(9d)), as a
/// hand-written kernel would have it.
#[derive(Clone, Copy)]
struct LeanGamma {
    d: f64,
    c: f64,
    scale: f64,
}

impl LeanGamma {
    fn new(shape: f64, scale: f64) -> Self {
        assert!(shape >= 1.0, "the lean sampler needs a shape of at least 1");
        let d = shape - 1.0 / 3.0;
        LeanGamma {
            d,
            c: 1.0 / (9.0 * d).sqrt(),
            scale,
        }
    }

    fn sample(&self, rng: &mut Xoshiro256PlusPlus) -> f64 {
        loop {
            let x: f64 = rng.sample(StandardNormal);
            let v = 1.0 + self.c * x;
            if v <= 0.0 {
                continue;
            }
            let (v, u) = (v * v * v, rng.random::<f64>());
            let x2 = x * x;
            if u < 1.0 - 0.0331 * x2 * x2 || u.ln() < 0.5 * x2 + self.d * (1.0 - v + v.ln()) {
                return self.d * v * self.scale;
            }
        }
    }
}

/// The reference model's inputs, as `scenarios/reference.toml` gives them: betas as pairs of gammas.
struct KernelInputs {
    probabilities: [(LeanGamma, LeanGamma); 6],
    costs: [LeanGamma; 3],
    utilities: [(LeanGamma, LeanGamma); 2],
    /// Mean and sd of the log relative risk.
    log_rr: (f64, f64),
    discount: [f64; 21],
}

impl KernelInputs {
    fn new() -> Self {
        let beta = |mean: f64, sd: f64| {
            let k = mean * (1.0 - mean) / (sd * sd) - 1.0;
            (LeanGamma::new(mean * k, 1.0), LeanGamma::new((1.0 - mean) * k, 1.0))
        };
        let gamma = |mean: f64, sd: f64| LeanGamma::new(mean * mean / (sd * sd), sd * sd / mean);
        let (low, high) = (0.6f64.ln(), 0.95f64.ln());
        KernelInputs {
            probabilities: [
                beta(0.12, 0.02),
                beta(0.03, 0.008),
                beta(0.10, 0.02),
                beta(0.05, 0.01),
                beta(0.10, 0.015),
                beta(0.25, 0.03),
            ],
            costs: [gamma(9000.0, 1500.0), gamma(30000.0, 4000.0), gamma(2500.0, 600.0)],
            utilities: [beta(0.75, 0.03), beta(0.55, 0.04)],
            log_rr: ((low + high) / 2.0, (high - low) / (2.0 * 1.959964)),
            discount: std::array::from_fn(|t| 1.035f64.powi(-(t as i32))),
        }
    }

    /// One iteration: council cost, NHS cost and QALYs per person for usual care and the prevention arm, over 20
    /// yearly cycles with half-cycle correction, the trace written out for this model's nonzero transitions.
    fn iteration(&self, iteration: u64) -> [f64; 6] {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(iteration);
        let mut beta = |(a, b): &(LeanGamma, LeanGamma)| {
            let x = a.sample(&mut rng);
            x / (x + b.sample(&mut rng))
        };
        let [p_ih, p_ir, p_hr, d_i, d_h, d_r] = self.probabilities.each_ref().map(&mut beta);
        let [u_ind, u_care] = self.utilities.each_ref().map(&mut beta);
        let [c_home, c_res, c_nhs] = self.costs.map(|g| g.sample(&mut rng));
        let rr = (self.log_rr.0 + self.log_rr.1 * rng.sample::<f64, _>(StandardNormal)).exp();
        let mut out = [0.0; 6];
        for (arm, rr) in [1.0, rr].into_iter().enumerate() {
            let (a, b, c) = (p_ih * rr, p_ir * rr, p_hr * rr);
            let (mut ind, mut home, mut res) = (1.0, 0.0, 0.0);
            let (mut council, mut nhs, mut qaly) = (if arm == 1 { 1500.0 } else { 0.0 }, 0.0, 0.0);
            for t in 0..20 {
                let next = (
                    ind * (1.0 - a - b - d_i),
                    ind * a + home * (1.0 - c - d_h),
                    ind * b + home * c + res * (1.0 - d_r),
                );
                let w = |now: f64, then: f64| 0.5 * (now * self.discount[t] + then * self.discount[t + 1]);
                let (w_ind, w_home, w_res) = (w(ind, next.0), w(home, next.1), w(res, next.2));
                council += w_home * c_home + w_res * c_res;
                nhs += (w_home + w_res) * c_nhs;
                qaly += w_ind * u_ind + (w_home + w_res) * u_care;
                (ind, home, res) = next;
            }
            out[arm * 3..arm * 3 + 3].copy_from_slice(&[council, nhs, qaly]);
        }
        out
    }
}

fn hand_written_kernel(c: &mut Criterion) {
    let inputs = KernelInputs::new();
    on_1_and_2_threads(c, "hand_written_kernel_10k_iterations", || {
        let mut totals = vec![[0.0; 6]; 10_000];
        totals.par_chunks_mut(256).enumerate().for_each(|(chunk, rows)| {
            for (k, row) in rows.iter_mut().enumerate() {
                *row = inputs.iteration((chunk * 256 + k) as u64);
            }
        });
        totals
    });
}

criterion_group!(benches, cohort, hand_written_kernel, individual);
criterion_main!(benches);
