//! Loading a scenario for a command: read and compile it, apply `--set` changes, and choose the run's iterations and
//! seed, refusing a run that would not fit in memory.

use crate::error::InputError;
use crate::model::{compile_with_overrides, Loaded, MAX_ITERATIONS};
use crate::scenario::Override;
use crate::simulate;
use std::path::Path;

/// Changes a command makes to a scenario before running it.
#[derive(Debug, Clone, Default)]
pub struct ScenarioChanges {
    /// Iterations instead of the file's.
    pub iterations: Option<u64>,
    /// Seed instead of the file's.
    pub seed: Option<u64>,
    /// Parameter changes (`--set`), applied in order.
    pub overrides: Vec<Override>,
}

/// Loads and checks a scenario, applying `changes`.
pub fn load(path: &Path, changes: &ScenarioChanges) -> Result<Loaded, InputError> {
    let mut loaded = crate::model::load(path)?;
    if !changes.overrides.is_empty() {
        loaded.model = compile_with_overrides(&loaded.scenario, &changes.overrides)?;
    }
    if let Some(n) = changes.iterations {
        if n == 0 || n > MAX_ITERATIONS as u64 {
            return Err(InputError::usage(
                "--iterations",
                format!("must be from 1 to {MAX_ITERATIONS}, not {n}"),
            ));
        }
        loaded.run.iterations = n as usize;
    }
    if let Some(seed) = changes.seed {
        loaded.run.seed = seed;
    }
    check_memory(&loaded)?;
    Ok(loaded)
}

/// Refuses runs whose result arrays would not fit in memory ([`simulate::memory_limit`]), saying how much they would
/// need.
fn check_memory(loaded: &Loaded) -> Result<(), InputError> {
    let bytes = simulate::memory_estimate(&loaded.model, &loaded.run);
    let limit = simulate::memory_limit();
    if bytes > limit {
        return Err(InputError::file(
            &loaded.scenario.path,
            format!(
                "{} iterations of this model would need about {:.1} GiB for their results, more than the {:.1} GiB carecast allows on this machine; use fewer iterations",
                loaded.run.iterations,
                bytes as f64 / (1u64 << 30) as f64,
                limit as f64 / (1u64 << 30) as f64
            ),
        ));
    }
    Ok(())
}
