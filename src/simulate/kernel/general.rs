//! The general path of one iteration: every arm, subgroup and wave in turn, in cohort mode (expected shares: the
//! sparse trace of [`super::sparse`] where rows and values are fixed in time, else boundary by boundary) or individual
//! mode (multinomial steps of whole people).

use super::programme::programme_costs;
use super::sparse::{fill_cell_values, static_flows, trace, Reached};
use super::workspace::{Edges, Workspace};
use super::IterationFailure;
use crate::model::{Context, Mode, Model, ProbSource, ProgrammeKind};
use rand::Rng;
use rand_distr::{Binomial, Distribution as _};

/// Simulates every arm for the parameter values in `ws.draws`, writing per-year values into `ws.bins`.
///
/// `rng` is used only in individual mode; each arm restarts from the same generator state (common random numbers).
pub fn simulate_iteration<R: Rng + Clone>(model: &Model, ws: &mut Workspace, rng: &R) -> Result<(), IterationFailure> {
    ws.bins.fill(0.0);
    for arm in 0..model.arms.len() {
        let mut arm_rng = rng.clone();
        simulate_arm(model, ws, arm, &mut arm_rng)?;
    }
    Ok(())
}

/// Simulates one arm over the horizon into its bins.
// Over 100 lines on purpose: the general path's hot loop, whose locals (the workspace's slices, taken apart below)
// the optimiser keeps in registers across the waves and cycles.
fn simulate_arm<R: Rng>(model: &Model, ws: &mut Workspace, arm: usize, rng: &mut R) -> Result<(), IterationFailure> {
    let settings = &model.settings;
    let dt = settings.cycle.years();
    let per_year = settings.cycle.per_year();
    let years = settings.bins();
    let n_cols = ws.n_columns;
    let individual = settings.mode == Mode::Individual;
    let cohort_size = model.cohort_size as f64;
    // Individual mode counts people; dividing by the cohort size turns counts into values per person.
    let scale = if individual { 1.0 / cohort_size } else { 1.0 };
    let track_active = model.programme_costs[arm]
        .iter()
        .any(|c| matches!(c.kind, ProgrammeKind::Annual { capacity: Some(_), .. }));
    let n_draws = model.n_draws;
    // Local slices instead of `ws.field` inside the loops: the compiler can then keep them in registers.
    let Workspace {
        draws,
        bins,
        slots: all_slots,
        edges: all_edges,
        plans,
        accruals,
        sparse_trace,
        steps,
        flow_values,
        cell_values,
        start_probs,
        mass,
        next,
        occupancy_cost,
        occupancy_outcome,
        values_cost,
        values_outcome,
        active,
        cell_counts,
        ..
    } = ws;
    let n_states = mass.len();
    let bins = &mut bins[arm * years * n_cols..(arm + 1) * years * n_cols];
    let (mut mass, mut next): (&mut [f64], &mut [f64]) = (&mut mass[..], &mut next[..]);
    if track_active {
        active.fill(0.0);
    }

    let per_arm = model.contexts_per_arm();
    for ci in arm * per_arm..(arm + 1) * per_arm {
        // The context's place among its arm's, as the cells of individual mode count them.
        let g = ci - arm * per_arm;
        let ctx = &model.contexts[ci];
        let slots = &mut all_slots[ci][..];
        let edges = &mut all_edges[ci];
        slots[..n_draws].copy_from_slice(draws);
        set_time(slots, n_draws, 0, 0.0, 0.0);
        for (slot, program) in &ctx.static_programs {
            slots[*slot] = program.eval(slots);
        }
        row_probabilities(model, ctx, std::slice::from_ref(&ctx.start), slots, start_probs, arm)?;
        // The rows fixed in time once; those that change, at every boundary below.
        for (r, first) in ctx.fixed_rows() {
            row_probabilities(model, ctx, &ctx.rows[r..=r], slots, &mut edges.probs[first..], arm)?;
        }
        // Contexts whose rows and values are fixed in time take the sparse trace (see `sparse`); the others go
        // boundary by boundary below.
        let plan = &plans[ci];
        let fast = !individual && !track_active && !ctx.per_boundary && *sparse_trace;
        if fast {
            for (s, &(_, e)) in steps.iter_mut().zip(&plan.fixed.edges) {
                *s = edges.probs[e];
            }
            for (v, f) in flow_values.iter_mut().zip(&ctx.static_flows) {
                *v = slots[f.slot] * f.factor * scale;
            }
        }

        for (w, wave) in model.waves.iter().enumerate() {
            let offset = wave.entry_year * per_year;
            // Starting occupancy: expected shares, or a multinomial draw of the cell's people.
            mass.fill(0.0);
            let entrants = if individual {
                let n = cell_counts[g][w];
                multinomial(rng, n, &ctx.start.entries, start_probs, mass);
                n as f64
            } else {
                let weight = ctx.share * wave.share;
                for ((to, _), p) in ctx.start.entries.iter().zip(start_probs.iter()) {
                    mass[*to] += weight * p;
                }
                weight
            };
            for one in &ctx.one_offs {
                let (bin, factor) = wave.one_off_paid[one.timing];
                bins[bin * n_cols + one.column] += entrants * scale * slots[one.slot] * factor;
            }

            let first_year = wave.entry_bin;
            if fast {
                // The starting mass in the trace's numbering of states.
                for (n, &state) in next.iter_mut().zip(&plan.states) {
                    *n = mass[state];
                }
                let buffers = (&mut next[..plan.n], &mut mass[..plan.n]);
                let occupancy = (&mut occupancy_cost[..], &mut occupancy_outcome[..]);
                fill_cell_values(&plan.cells, wave.same_weights, flow_values, cell_values);
                if wave.same_weights {
                    trace::<f64, true>(plan, steps, (wave, &accruals[w]), buffers, occupancy);
                } else {
                    trace::<f64, false>(plan, steps, (wave, &accruals[w]), buffers, occupancy);
                }
                // The lane path leaves out unreached cells where its plan is sparse: so does this one.
                let reached = Reached {
                    reach: &plan.reach,
                    last_boundary: &accruals[w].last_boundary,
                };
                static_flows(
                    (&plan.cells, &cell_values[..]),
                    (&occupancy_cost[..], &occupancy_outcome[..]),
                    (plan.n_occupied, wave.same_weights, !plan.dense),
                    bins,
                    (first_year, n_cols),
                    (!plan.dense).then_some(reached),
                );
                continue;
            }
            // Discounted, accrual-weighted occupancy per calendar year, for flows whose values do not change with
            // time: their contribution is occupancy · value once per year instead of once per boundary.
            occupancy_cost[first_year * n_states..].fill(0.0);
            occupancy_outcome[first_year * n_states..].fill(0.0);
            for k in 0..=wave.cycles {
                if ctx.per_boundary {
                    set_time(slots, n_draws, k, k as f64 * dt, (offset + k) as f64 * dt);
                    if !ctx.series.slots.is_empty() {
                        for (&slot, &value) in ctx.series.slots.iter().zip(ctx.series.at(w, k)) {
                            slots[slot] = value;
                        }
                    }
                    for (slot, program) in &ctx.dynamic_programs {
                        slots[*slot] = program.eval(slots);
                    }
                }
                for &(year, w_cost, w_outcome) in &wave.boundary_weights[k] {
                    let range = year * n_states..(year + 1) * n_states;
                    for (o, m) in occupancy_cost[range.clone()].iter_mut().zip(mass.iter()) {
                        *o += w_cost * m;
                    }
                    if !wave.same_weights {
                        for (o, m) in occupancy_outcome[range].iter_mut().zip(mass.iter()) {
                            *o += w_outcome * m;
                        }
                    }
                    let bin = &mut bins[year * n_cols..(year + 1) * n_cols];
                    for f in &ctx.dynamic_flows {
                        let w = if f.is_cost { w_cost } else { w_outcome };
                        bin[f.column] += w * mass[f.state] * slots[f.slot] * f.factor * scale;
                    }
                }
                // Flows with an accrual of their own, with their own weights.
                for f in &ctx.own_accrual_flows {
                    for &(year, w) in wave.weight_sets[f.weight_set.unwrap_or(0)].at(k) {
                        bins[year * n_cols + f.column] += w * mass[f.state] * slots[f.slot] * f.factor * scale;
                    }
                }
                if track_active {
                    let people: f64 = model.served_states[arm].iter().map(|&s| mass[s]).sum();
                    active[offset + k] += if individual { people } else { people * cohort_size };
                }
                if k == wave.cycles {
                    break;
                }
                for &(r, first) in &ctx.changing_rows {
                    row_probabilities(model, ctx, &ctx.rows[r..=r], slots, &mut edges.probs[first..], arm)?;
                }
                if individual {
                    next.fill(0.0);
                    step_individual(ctx, edges, mass, next, rng);
                } else {
                    for (to, bounds) in edges.incoming_start.windows(2).enumerate() {
                        let mut sum = 0.0;
                        for &(from, e) in &edges.incoming[bounds[0]..bounds[1]] {
                            sum += mass[from] * edges.probs[e];
                        }
                        next[to] = sum;
                    }
                }
                std::mem::swap(&mut mass, &mut next);
            }
            // Static flows as a dense state × column matrix of per-cycle values: each year's bins are then the
            // weighted occupancy times that matrix, a contiguous loop the compiler vectorises, instead of a
            // scattered update per flow and year.
            values_cost.fill(0.0);
            values_outcome.fill(0.0);
            for f in &ctx.static_flows {
                let target = if f.is_cost || wave.same_weights {
                    &mut values_cost[..]
                } else {
                    &mut values_outcome[..]
                };
                target[f.state * n_cols + f.column] += slots[f.slot] * f.factor * scale;
            }
            add_static_flows(occupancy_cost, values_cost, bins, first_year, n_states, n_cols);
            if !wave.same_weights {
                add_static_flows(occupancy_outcome, values_outcome, bins, first_year, n_states, n_cols);
            }
        }
    }

    programme_costs(model, ws, arm);
    Ok(())
}

/// Adds occupancy × values to the bins of each year from `first_year`: bins[y][c] += Σ_s occupancy[y][s] · values[s][c].
fn add_static_flows(
    occupancy: &[f64],
    values: &[f64],
    bins: &mut [f64],
    first_year: usize,
    n_states: usize,
    n_cols: usize,
) {
    let rows = bins
        .chunks_exact_mut(n_cols)
        .zip(occupancy.chunks_exact(n_states))
        .skip(first_year);
    for (bin, occupancy) in rows {
        for (&o, row) in occupancy.iter().zip(values.chunks_exact(n_cols)) {
            for (b, v) in bin.iter_mut().zip(row) {
                *b += o * v;
            }
        }
    }
}

fn set_time(slots: &mut [f64], n_draws: usize, cycle: usize, t: f64, calendar_t: f64) {
    slots[n_draws] = cycle as f64;
    slots[n_draws + 1] = t;
    slots[n_draws + 2] = calendar_t;
}

/// Moves whole people along each row by a multinomial draw; states without a row keep their people.
fn step_individual<R: Rng>(ctx: &Context, edges: &Edges, mass: &[f64], next: &mut [f64], rng: &mut R) {
    let mut e = 0;
    for row in &ctx.rows {
        let n = row.entries.len();
        multinomial(rng, mass[row.from] as u64, &row.entries, &edges.probs[e..e + n], next);
        e += n;
    }
    for &(from, to) in &edges.pairs[e..] {
        next[to] += mass[from];
    }
}

/// Adds a multinomial draw of `n` people over the row's destinations to `out`, by conditional binomials.
fn multinomial<R: Rng>(rng: &mut R, n: u64, entries: &[(usize, ProbSource)], probs: &[f64], out: &mut [f64]) {
    let mut left = n;
    let mut mass_left = 1.0;
    for (i, (to, _)) in entries.iter().enumerate() {
        if left == 0 {
            break;
        }
        let p = probs[i];
        let x = if i + 1 == entries.len() || p >= mass_left {
            left
        } else if p <= 0.0 {
            0
        } else {
            let q = (p / mass_left).clamp(0.0, 1.0);
            Binomial::new(left, q).map_or(0, |b| b.sample(rng))
        };
        out[*to] += x as f64;
        left -= x;
        mass_left -= p;
    }
}

/// Evaluates rows of probabilities (filling remainders) and checks each row is a probability distribution.
pub(super) fn row_probabilities(
    model: &Model,
    ctx: &Context,
    rows: &[crate::model::Row],
    slots: &[f64],
    out: &mut [f64],
    arm: usize,
) -> Result<(), IterationFailure> {
    const TOLERANCE: f64 = 1e-9;
    let mut e = 0;
    for row in rows {
        let mut sum = 0.0;
        let mut remainder = None;
        for (_, src) in &row.entries {
            match src {
                ProbSource::Slot(s) => {
                    let p = slots[*s];
                    if !(-TOLERANCE..=1.0 + TOLERANCE).contains(&p) {
                        return Err(IterationFailure {
                            arm,
                            message: format!("{} = {p} is not a probability (0 to 1)", ctx.slot_names[*s]),
                        });
                    }
                    out[e] = p.clamp(0.0, 1.0);
                    sum += out[e];
                }
                ProbSource::Remainder => remainder = Some(e),
            }
            e += 1;
        }
        // Only built on failure: formatting on every call would dominate the hot path.
        let from = || {
            if row.from == usize::MAX {
                "the starting distribution".to_string()
            } else {
                format!("the row of `{}`", model.states[row.from].name)
            }
        };
        match remainder {
            Some(slot) if sum <= 1.0 + TOLERANCE => out[slot] = (1.0 - sum).max(0.0),
            Some(_) => {
                return Err(IterationFailure {
                    arm,
                    message: format!(
                        "probabilities in {} sum to {sum}, above 1, so the remainder would be negative",
                        from()
                    ),
                })
            }
            None if (sum - 1.0).abs() > 1e-6 => {
                return Err(IterationFailure {
                    arm,
                    message: format!(
                        "probabilities in {} sum to {sum}, not 1, and the row has no \"remainder\" entry",
                        from()
                    ),
                })
            }
            None => {}
        }
    }
    Ok(())
}
