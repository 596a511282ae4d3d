//! `carecast reproduce`: run the published figures that scenarios claim to reproduce, and compare each with its
//! published value (reproduction.csv and reproduction.md).

use super::{load, Context, Error, ScenarioChanges};
use crate::analysis::reproduce::{reproduced, share_outcomes, targets_by_variant, Reproduced, Status, Variant};
use crate::error::InputError;
use crate::model::{compile_raw, Loaded, Metric, Model};
use crate::output::reproduction::write_reproduction;
use crate::scenario::declares_targets;
use crate::simulate;
use std::path::{Path, PathBuf};

/// A finished `carecast reproduce`.
#[derive(Debug)]
pub struct ReproduceOutcome {
    pub rows: Vec<Reproduced>,
    /// The directory holding reproduction.csv and reproduction.md.
    pub dir: PathBuf,
}

impl ReproduceOutcome {
    /// The figures outside their tolerance, and those the scenarios claim to reproduce (inputs included).
    pub fn outside_of_claimed(&self) -> (usize, usize) {
        let outside = self.rows.iter().filter(|r| r.status == Status::Outside).count();
        let claimed = self.rows.iter().filter(|r| r.status != Status::NotReproducible).count();
        (outside, claimed)
    }
}

/// The bundled scenarios that claim to reproduce published figures: `*.toml` in `dir` with `[[reproduce]]` targets.
pub fn bundled_scenarios(dir: &Path) -> Result<Vec<PathBuf>, InputError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        InputError::usage(
            "SCENARIO",
            format!(
                "no scenario files given and cannot read {}: {e}; run from the carecast directory or name the files",
                dir.display()
            ),
        )
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| declares_targets(&t)))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(InputError::usage(
            "SCENARIO",
            format!("no scenario in {} has [[reproduce]] targets", dir.display()),
        ));
    }
    Ok(paths)
}

/// Runs the reproduction targets of the given scenario files and writes reproduction.csv and reproduction.md into
/// `--out` (default `output/reproduction`).
pub fn reproduce(ctx: &Context, paths: &[PathBuf], changes: &ScenarioChanges) -> Result<ReproduceOutcome, Error> {
    let loaded: Vec<Loaded> = paths.iter().map(|p| load(p, changes)).collect::<Result<_, _>>()?;
    if let Some(l) = loaded.iter().find(|l| l.model.targets.is_empty()) {
        return Err(InputError::file(&l.scenario.path, "this scenario has no [[reproduce]] targets").into());
    }
    let dir = ctx.out_or(&Path::new("output").join("reproduction"));
    std::fs::create_dir_all(&dir)
        .map_err(|e| InputError::usage("--out", format!("cannot create {}: {e}", dir.display())))?;
    let mut rows = Vec::new();
    for l in &loaded {
        rows.extend(ctx.install(|| reproduce_scenario(l))?);
    }
    write_reproduction(&dir, &rows)?;
    Ok(ReproduceOutcome { rows, dir })
}

/// Every target of a loaded scenario (its iterations and seed as loaded), on the current rayon pool: one run per
/// variant of the scenario the targets read, in the order of the targets.
pub fn reproduce_scenario(loaded: &Loaded) -> Result<Vec<Reproduced>, Error> {
    let model = &loaded.model;
    let mut out: Vec<Option<Reproduced>> = vec![None; model.targets.len()];
    for (variant, indices) in targets_by_variant(model) {
        let derived;
        let run_model = if variant == Variant::AS_WRITTEN {
            model
        } else {
            derived = variant_model(loaded, variant, &indices)?;
            &derived
        };
        let results = simulate::run(run_model, &loaded.run, None)?;
        for i in indices {
            out[i] = Some(reproduced(model, i, run_model, &results));
        }
    }
    Ok(out.into_iter().flatten().collect())
}

/// Compiles the variant of the scenario that the targets `targets` read.
fn variant_model(loaded: &Loaded, variant: Variant, targets: &[usize]) -> Result<Model, Error> {
    let model = &loaded.model;
    let failed = |reason: String| Error::Variant {
        scenario: loaded.scenario.path.clone(),
        reason,
    };
    let mut raw = loaded.scenario.raw.clone();
    raw.without_targets();
    if let Some(g) = variant.subgroup {
        raw.only_subgroup(g).map_err(failed)?;
    }
    if variant.undiscounted || variant.occupancy {
        raw.undiscounted();
        if variant.occupancy {
            raw.accrued_at_cycle_ends();
        }
    }
    if variant.occupancy {
        let cycles_per_year = model.settings.cycle.per_year();
        for &i in targets {
            let Metric::StateShare { states: counted, among } = &model.targets[i].metric else {
                continue;
            };
            let (share_name, among_name) = share_outcomes(i);
            for (list, name) in [(counted, &share_name), (among, &among_name)] {
                for &s in list {
                    raw.add_occupancy_outcome(s, name, cycles_per_year).map_err(failed)?;
                }
            }
        }
    }
    let compiled = compile_raw(&loaded.scenario, &raw, &[]).map_err(|e| failed(e.message))?;
    // Payback in the model's own cycles: the same model binned by cycle (itself where cycles are years).
    if variant.by_cycle {
        return Ok(compiled.by_cycle().unwrap_or(compiled));
    }
    Ok(compiled)
}
