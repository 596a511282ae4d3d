//! Programme-level costs of an arm (set-up and annual, optionally limited by capacity), per person of the cohort, on
//! the general path and on lanes.

use super::lane_workspace::LaneWorkspace;
#[cfg(doc)]
use super::lanes_supported;
use super::workspace::Workspace;
use crate::model::{Model, ProgrammeKind};

/// The cycles in which an annual programme cost running from `from_year` to `to_year` is paid: those starting in
/// that span (a cycle starting within 10⁻¹² years of `to_year` is outside it, against rounding in the cycle times).
pub(super) fn annual_cycles(model: &Model, from_year: f64, to_year: f64) -> impl Iterator<Item = usize> {
    let dt = model.settings.cycle.years();
    (0..model.settings.cycles()).filter(move |&c| {
        let t = c as f64 * dt;
        t >= from_year - 1e-12 && t < to_year - 1e-12
    })
}

/// Adds the arm's programme-level costs (set-up and annual), per person of the cohort.
pub(super) fn programme_costs(model: &Model, ws: &mut Workspace, arm: usize) {
    let arm_offset = arm * model.settings.bins() * ws.n_columns;
    let costs = &model.programme_costs[arm];
    if costs.is_empty() {
        return;
    }
    let ctx = &model.programme_contexts[arm];
    let slots = &mut ws.programme_slots[arm];
    slots[..model.n_draws].copy_from_slice(&ws.draws);
    for (slot, program) in &ctx.static_programs {
        slots[*slot] = program.eval(slots);
    }
    let n_cols = ws.n_columns;
    let dt = model.settings.cycle.years();
    // Each person bears the same part of the programme's costs, whichever subgroup they are in (see
    // `Model::programme_share`); blocks of capacity are those this model's own people need, borne by them.
    let per_person = model.programme_share / model.cohort_size as f64;
    let own_per_person = 1.0 / model.cohort_size as f64;
    for cost in costs {
        let amount = slots[cost.slot];
        match cost.kind {
            ProgrammeKind::Setup => ws.bins[arm_offset + cost.column] += amount * per_person,
            ProgrammeKind::Annual {
                from_year,
                to_year,
                capacity,
            } => {
                let per_person = if capacity.is_some() { own_per_person } else { per_person };
                for c in annual_cycles(model, from_year, to_year) {
                    let units = capacity.map_or(1.0, |cap| (ws.active[c] / cap - 1e-9).ceil().max(0.0));
                    let bin = arm_offset + (c / model.settings.cycles_per_bin) * n_cols + cost.column;
                    ws.bins[bin] += amount * dt * units * ws.calendar_cost_factor[c] * per_person;
                }
            }
        }
    }
}

/// [`programme_costs`] on lanes (no capacity limits: [`lanes_supported`] excludes them).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn programme_costs_lanes(
    model: &Model,
    arm: usize,
    slots: &mut [f64],
    lw: &mut LaneWorkspace,
    draws: &[f64],
    stride: usize,
    n: usize,
    calendar_cost_factor: &[f64],
    n_cols: usize,
) {
    let costs = &model.programme_costs[arm];
    if costs.is_empty() {
        return;
    }
    let ctx = &model.programme_contexts[arm];
    let n_draws = model.n_draws;
    for l in 0..n {
        slots[..n_draws].copy_from_slice(&draws[l * stride..l * stride + n_draws]);
        for (slot, program) in &ctx.static_programs {
            slots[*slot] = program.eval(slots);
        }
        for (a, cost) in lw.amounts.iter_mut().zip(costs) {
            a[l] = slots[cost.slot];
        }
    }
    let years = model.settings.bins();
    let bins = &mut lw.bins[arm * years * n_cols..(arm + 1) * years * n_cols];
    let dt = model.settings.cycle.years();
    let per_person = model.programme_share / model.cohort_size as f64;
    for (cost, amount) in costs.iter().zip(lw.amounts.iter()) {
        match cost.kind {
            ProgrammeKind::Setup => {
                for (b, a) in bins[cost.column].iter_mut().zip(amount) {
                    *b += a * per_person;
                }
            }
            ProgrammeKind::Annual { from_year, to_year, .. } => {
                for c in annual_cycles(model, from_year, to_year) {
                    let units = 1.0;
                    for (b, a) in bins[(c / model.settings.cycles_per_bin) * n_cols + cost.column]
                        .iter_mut()
                        .zip(amount)
                    {
                        *b += a * dt * units * calendar_cost_factor[c] * per_person;
                    }
                }
            }
        }
    }
}
