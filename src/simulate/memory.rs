//! How many iterations' per-year values a run keeps, and how much memory its result arrays need.

use crate::model::{Model, RunSettings};
use crate::simulate::kernel::live_bins;

/// Memory allowed for per-year values of individual iterations. They are kept for the first iterations only (at least
/// [`YEARLY_SAMPLE_MIN`]), which bounds memory at any number of iterations; percentiles come from them, means from all.
pub const YEARLY_SAMPLE_BYTES: usize = 64 << 20;

/// The fewest iterations whose per-year values are kept (when the run has that many).
pub const YEARLY_SAMPLE_MIN: usize = 1000;

/// How many iterations' per-year values a run of `model` for `iterations` iterations keeps.
pub fn yearly_sample_size(model: &Model, iterations: usize) -> usize {
    let per_iteration = n_live_bins(model).max(1) * std::mem::size_of::<f32>();
    iterations.min((YEARLY_SAMPLE_BYTES / per_iteration).max(YEARLY_SAMPLE_MIN))
}

/// How many of an iteration's per-year bins the kept sample holds: those some flow or cost can write.
fn n_live_bins(model: &Model) -> usize {
    live_bins(model).iter().filter(|&&l| l).count()
}

/// Approximate bytes the result arrays of a run need.
pub fn memory_estimate(model: &Model, run: &RunSettings) -> u64 {
    let n = run.iterations as u64;
    let arms = model.arms.len() as u64;
    let per_iteration = arms * model.n_kernel_columns().max(1) as u64 * 8 + arms * 4 + model.n_draws.max(1) as u64 * 8;
    let yearly = yearly_sample_size(model, run.iterations) as u64 * n_live_bins(model) as u64 * 4;
    n * per_iteration + yearly
}

/// The most memory a run's results may take on this machine: three quarters of its memory where the system says how
/// much that is, and never more than 16 GiB.
pub fn memory_limit() -> u64 {
    let installed = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
        line.split_whitespace()
            .nth(1)?
            .parse::<u64>()
            .ok()
            .map(|kib| kib * 1024)
    });
    installed.map_or(16 << 30, |total| (total / 4 * 3).min(16 << 30))
}
