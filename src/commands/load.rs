//! Loading a scenario for a command: read and compile it, apply `--set` changes, and choose the run's iterations and
//! seed, refusing a run that would not fit in memory.

use crate::error::InputError;
use crate::model::{compile_with_overrides, Loaded, RunSettings, MAX_ITERATIONS};
use crate::scenario::{Override, Scenario};
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
    let loaded = load_unchecked(path, changes)?;
    check_memory(&loaded, loaded.run.iterations, false)?;
    Ok(loaded)
}

/// [`load`] without the memory check, for a command that holds only some of the run's iterations (a shard).
pub(super) fn load_unchecked(path: &Path, changes: &ScenarioChanges) -> Result<Loaded, InputError> {
    load_parsed(Scenario::read(path)?, changes)
}

/// [`load_unchecked`] of a scenario already read.
pub(super) fn load_parsed(scenario: Scenario, changes: &ScenarioChanges) -> Result<Loaded, InputError> {
    let model = compile_with_overrides(&scenario, &changes.overrides)?;
    let mut loaded = Loaded {
        run: model.run_defaults,
        scenario,
        model,
    };
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
    Ok(loaded)
}

/// Refuses a run whose peak memory ([`simulate::memory_estimate`]) with `iterations` of its iterations held would be
/// more than the run may use here ([`simulate::memory_limit`]), saying how much it would need, which limit it is
/// over, and the most iterations that fit. A run `streamed` a block at a time holds one block
/// ([`simulate::streamed_memory_estimate`]).
pub(super) fn check_memory(loaded: &Loaded, iterations: usize, streamed: bool) -> Result<(), InputError> {
    let run = RunSettings {
        iterations,
        ..loaded.run
    };
    let model = &loaded.model;
    let need = if streamed {
        simulate::streamed_memory_estimate(model, &run)
    } else {
        simulate::memory_estimate(model, &run)
    };
    let limit = simulate::memory_limit();
    if need <= limit.bytes {
        return Ok(());
    }
    let fits = if streamed {
        simulate::largest_streamed_iterations_within(model, limit.bytes, iterations)
    } else {
        simulate::largest_iterations_within(model, limit.bytes, iterations)
    };
    let advice = if fits == 0 {
        match limit.source {
            // The threads' reserve alone may be over the limit.
            simulate::LimitSource::AddressSpace { .. } => {
                "not even one iteration fits: raise the limit, or use fewer threads (RAYON_NUM_THREADS)".to_string()
            }
            _ => "not even one iteration fits: raise the limit".to_string(),
        }
    } else {
        format!("at most {fits} iterations fit: use --iterations {fits}")
    };
    Err(InputError::file(
        &loaded.scenario.path,
        format!(
            "{} iterations of this model would need about {} of memory, more than the {} carecast can use here ({}); {advice}",
            iterations,
            simulate::Bytes(need),
            simulate::Bytes(limit.bytes),
            limit.source,
        ),
    ))
}
