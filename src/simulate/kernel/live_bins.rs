//! Which of an iteration's per-year bins the model can write at all; the others are structural zeros, which the
//! engine need not keep.

use super::programme::annual_cycles;
#[cfg(doc)]
use super::Workspace;
use crate::model::{Model, ProgrammeKind};

/// Which of an iteration's bins (`[arm, year, kernel column]`, as [`Workspace::arm_bins`] holds them) any flow,
/// one-off cost or programme cost of the model can write. The others are structural zeros: they stay exactly +0 in
/// every iteration (adding a finite value times a zero occupancy adds ±0, and +0 + −0 is +0), so the engine need not
/// keep them; usual care's intervention spend is one.
pub fn live_bins(model: &Model) -> Vec<bool> {
    let (years, n_cols) = (model.settings.bins(), model.n_kernel_columns());
    let mut live = vec![false; model.arms.len() * years * n_cols];
    let mut mark = |arm: usize, year: usize, column: usize| live[(arm * years + year) * n_cols + column] = true;
    for ctx in &model.contexts {
        let flow_columns: Vec<usize> = ctx
            .static_flows
            .iter()
            .chain(&ctx.dynamic_flows)
            .chain(&ctx.own_accrual_flows)
            .map(|f| f.column)
            .collect();
        for wave in &model.waves {
            for one in &ctx.one_offs {
                mark(ctx.arm, wave.one_off_paid[one.timing].0, one.column);
            }
            // The years the wave's occupancy accrues to; every other year's occupancy stays zero.
            for &(year, _, _) in wave.boundary_weights.iter().flatten() {
                for &column in &flow_columns {
                    mark(ctx.arm, year, column);
                }
            }
            // And those of the accrual conventions set apart from the scenario's.
            for set in &wave.weight_sets {
                for &(year, _) in &set.entries {
                    for &column in &flow_columns {
                        mark(ctx.arm, year, column);
                    }
                }
            }
        }
    }
    for (arm, costs) in model.programme_costs.iter().enumerate() {
        for cost in costs {
            match cost.kind {
                ProgrammeKind::Setup => mark(arm, 0, cost.column),
                ProgrammeKind::Annual { from_year, to_year, .. } => {
                    for c in annual_cycles(model, from_year, to_year) {
                        mark(arm, c / model.settings.cycles_per_bin, cost.column);
                    }
                }
            }
        }
    }
    live
}
