//! The commands behind the command line, one file each. A command loads its inputs, runs the simulation and the
//! analyses on its [`Context`]'s thread pool, and hands the results to [`crate::output`] to write; it computes
//! nothing itself. Each returns its results too, so that a program can call it and print what it likes.

mod analyse;
mod compare;
mod context;
mod error;
mod evppi;
mod load;
mod merge;
mod reproduce;
mod run;
mod sensitivity;
mod shard;
mod sweep;
mod twoway;

pub use analyse::{analyse_file, AnalyseOutcome, ParameterInput};
pub use compare::{compare, CompareOutcome};
pub use context::Context;
pub use error::{Error, RUN_INTERRUPTED, SERVE_STOPPED, SWEEP_INTERRUPTED};
pub use evppi::{evppi, EvppiOutcome};
pub use load::{load, ScenarioChanges};
pub use merge::{merge, MergeOutcome};
pub use reproduce::{bundled_scenarios, reproduce, reproduce_scenario, ReproduceOutcome};
pub use run::{run, what_if, RunOutcome, WhatIf};
pub use sensitivity::{threshold_analysis, tornado_analysis, ThresholdOutcome, TornadoOutcome};
pub use shard::{run_shard, MergedRun, ShardOutcome};
pub use sweep::{sweep, SweepOptions, SweepOutcome, MAX_SWEEP_POINTS};
pub use twoway::{twoway_analysis, TwoWayOutcome, MAX_TWOWAY_STEPS};

/// `carecast check`: loads and checks a scenario as a run would (with its default per-iteration files, which keep
/// no more than a block), without running it.
pub fn check(path: &std::path::Path) -> Result<crate::model::Loaded, Error> {
    let loaded = load::load_unchecked(path, &ScenarioChanges::default())?;
    load::check_memory(&loaded, loaded.run.iterations, run::analyses_stream(&loaded.model))?;
    Ok(loaded)
}
