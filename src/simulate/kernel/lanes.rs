//! The lane path: [`LANES`] iterations of a cohort model at once, each lane doing exactly the general path's
//! arithmetic in the same order, on fixed-size arrays the compiler turns into vector instructions.

#[cfg(doc)]
use super::general::{add_static_flows, row_probabilities, trace_fixed};
use super::lane_ops::{add_lanes, add_product, add_scaled, scaled, Lanes, ZERO};
use super::lane_workspace::{FlowCells, LaneWorkspace};
use super::lanes_boundary::context_lanes;
use super::programme::programme_costs_lanes;
use super::workspace::Workspace;
use super::LANES;
#[cfg(doc)]
use super::{lane_workspace::LaneAccrual, sample_parameters_lanes, simulate_iteration};
use crate::model::{Context, Mode, Model, ProgrammeKind};

/// Whether [`simulate_lanes`] handles `model`: a cohort trace with no capacity-limited programme costs and at most 8
/// states (the sizes the trace is compiled for). Values and probabilities may change with time.
pub fn lanes_supported(model: &Model) -> bool {
    model.settings.mode == Mode::Cohort
        && (1..=8).contains(&model.states.len())
        && model
            .programme_costs
            .iter()
            .flatten()
            .all(|c| !matches!(c.kind, ProgrammeKind::Annual { capacity: Some(_), .. }))
}

/// Simulates `n` iterations (1 to [`LANES`]) together on the cohort fast path, iteration l's sampled parameters
/// being `draws[l * stride..]` and, as lanes, the workspace's lane draws (set by [`sample_parameters_lanes`] or
/// [`Workspace::set_lane_draws`]); the per-year values go to the lane bins (see [`Workspace::lane_arm_bins`]).
///
/// Every lane does exactly the arithmetic [`simulate_iteration`] would, in the same order. Returns false (leaving
/// the bins unspecified) when some lane has an invalid probability: the caller then runs that block through
/// [`simulate_iteration`], which reports the failure.
///
/// Compiled twice, once for x86-64 with AVX2 (chosen at run time where the CPU has it) and once for any CPU: the
/// results are the same bit for bit, since AVX2 only widens the vectors and Rust never fuses a multiply and an add.
#[multiversion::multiversion(targets("x86_64+avx2"))]
pub fn simulate_lanes(model: &Model, ws: &mut Workspace, draws: &[f64], stride: usize, n: usize) -> bool {
    assert!((1..=LANES).contains(&n), "a block has 1 to {LANES} iterations");
    let n_draws = model.n_draws;
    let Workspace {
        slots: all_slots,
        edges: all_edges,
        programme_slots,
        calendar_cost_factor,
        n_columns,
        lanes,
        ..
    } = ws;
    let n_cols = *n_columns;
    let Some(lw) = lanes.as_deref_mut() else {
        return false;
    };
    // In pieces of four lanes: a single fill of the whole block became a `memset` call (a string store) that
    // took ~4% of the time; fills this small are plain vector stores, and four at a time keep the loop short.
    let (pieces, rest) = lw.bins.as_chunks_mut::<4>();
    for piece in pieces {
        *piece = [ZERO; 4];
    }
    rest.fill(ZERO);
    let per_arm = model.contexts_per_arm();
    for (arm, programme_slots) in programme_slots.iter_mut().enumerate() {
        for g in 0..per_arm {
            let ci = arm * per_arm + g;
            let ctx = &model.contexts[ci];
            let slots = &mut all_slots[ci][..];
            let edges = &mut all_edges[ci];
            // The context's slots on lanes: its constants (written once), this block's draws (unused lanes of a short
            // block repeat the last iteration), time 0 as `set_time` writes it, then the static programs in order.
            let lane_slots = &mut lw.lane_slots[ci];
            lane_slots[..n_draws].copy_from_slice(&lw.draws);
            lane_slots[n_draws..n_draws + 3].fill(ZERO);
            for (slot, program) in &ctx.static_programs {
                lane_slots[*slot] = program.eval_lanes(lane_slots).unwrap_or_else(|| {
                    // Functions, comparisons and conditionals: lane by lane through the scalar slots.
                    std::array::from_fn(|l| {
                        for &r in program.reads() {
                            slots[r] = lane_slots[r][l];
                        }
                        program.eval(slots)
                    })
                });
            }
            if ctx.per_boundary {
                if !context_lanes(model, ctx, lw, slots, ci, arm, n_cols) {
                    return false;
                }
                continue;
            }
            let sources = &lw.sources[ci];
            for (v, &slot) in lw.slot_values.iter_mut().zip(&sources.slots) {
                *v = lane_slots[slot];
            }
            let values = &lw.slot_values[..];
            if !row_probabilities_lanes(std::slice::from_ref(&ctx.start), &sources.start, values, &mut lw.start)
                || !row_probabilities_lanes(&ctx.rows, &sources.rows, values, &mut lw.edges)
            {
                return false;
            }
            // The self-loops of states without a row.
            lw.edges[sources.rows.len()..edges.pairs.len()].fill([1.0; LANES]);
            for ((v, f), &i) in lw.flows.iter_mut().zip(&ctx.static_flows).zip(&sources.flows) {
                // Cohort mode: the general path's scale is 1, and multiplying by it changes nothing.
                *v = scaled(f.factor, &values[i]);
            }
            for (v, &i) in lw.one_offs.iter_mut().zip(&sources.one_offs) {
                *v = values[i];
            }

            match lw.traced[ci].n {
                1 => waves_lanes::<1>(model, ctx, ctx.share, lw, ci, arm, n_cols),
                2 => waves_lanes::<2>(model, ctx, ctx.share, lw, ci, arm, n_cols),
                3 => waves_lanes::<3>(model, ctx, ctx.share, lw, ci, arm, n_cols),
                4 => waves_lanes::<4>(model, ctx, ctx.share, lw, ci, arm, n_cols),
                5 => waves_lanes::<5>(model, ctx, ctx.share, lw, ci, arm, n_cols),
                6 => waves_lanes::<6>(model, ctx, ctx.share, lw, ci, arm, n_cols),
                7 => waves_lanes::<7>(model, ctx, ctx.share, lw, ci, arm, n_cols),
                8 => waves_lanes::<8>(model, ctx, ctx.share, lw, ci, arm, n_cols),
                _ => unreachable!("lanes_supported allows 1 to 8 states"),
            }
        }
        programme_costs_lanes(
            model,
            arm,
            programme_slots,
            lw,
            draws,
            stride,
            n,
            calendar_cost_factor,
            n_cols,
        );
    }
    true
}

/// The waves of one context on lanes, for a model of `S` states (known at compile time, so the trace's loops over
/// states unroll): starting shares, one-off costs, the trace and the static flows of each wave.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn waves_lanes<const S: usize>(
    model: &Model,
    ctx: &Context,
    share: f64,
    lw: &mut LaneWorkspace,
    ci: usize,
    arm: usize,
    n_cols: usize,
) {
    let size = model.settings.bins() * n_cols;
    let bins = &mut lw.bins[arm * size..(arm + 1) * size];
    let traced = &lw.traced[ci];
    // The dense matrix of the traced states, built as the general path builds it (edge by edge from zero).
    let mut step = [[ZERO; S]; S];
    for &(e, from, to) in &traced.edges {
        add_lanes(&mut step[from][to], &lw.edges[e]);
    }
    for (wave, accrual) in model.waves.iter().zip(&lw.accruals) {
        let weight = share * wave.share;
        let mut mass = [ZERO; S];
        for &(e, to) in &traced.start {
            add_scaled(&mut mass[to], weight, &lw.start[e]);
        }
        for (one, v) in ctx.one_offs.iter().zip(&lw.one_offs) {
            let (bin, factor) = wave.one_off_paid[one.timing];
            for (b, v) in bins[bin * n_cols + one.column].iter_mut().zip(v) {
                *b += weight * v * factor;
            }
        }
        let first_year = wave.entry_bin;
        if accrual.clear {
            lw.occupancy_cost[first_year * S..].fill(ZERO);
            lw.occupancy_outcome[first_year * S..].fill(ZERO);
        }
        let occupancy = (&mut lw.occupancy_cost[..], &mut lw.occupancy_outcome[..]);
        // Two copies of the trace, so that the one for a single discounting has no test for it per entry.
        if wave.same_weights {
            trace_lanes::<S, true>(mass, &step, wave, &accrual.entries, occupancy);
        } else {
            trace_lanes::<S, false>(mass, &step, wave, &accrual.entries, occupancy);
        }
        let occupancy = (&lw.occupancy_cost[..], &lw.occupancy_outcome[..]);
        let flows = (&lw.cells[ci], &lw.flows[..], &mut lw.values[..]);
        static_flows_lanes::<S>(flows, occupancy, wave.same_weights, bins, first_year, n_cols);
    }
}

/// The static flows of one wave into the bins, through the weighted occupancy: `flows` are the context's cells (see
/// [`LaneWorkspace::cells`]), its static flow values and a buffer for the cells' values.
#[inline(always)]
pub(super) fn static_flows_lanes<const S: usize>(
    (cells, flows, values): (&[FlowCells; 3], &[Lanes], &mut [Lanes]),
    (occupancy_cost, occupancy_outcome): (&[Lanes], &[Lanes]),
    same_weights: bool,
    bins: &mut [Lanes],
    first_year: usize,
    n_cols: usize,
) {
    // As in the general path: one pass over all flows when costs and outcomes share their discounting,
    // else costs with the cost-weighted occupancy and outcomes with the outcome-weighted one.
    let [all, cost, outcome] = cells;
    let separate = [(cost, occupancy_cost), (outcome, occupancy_outcome)];
    let sets: &[_] = if same_weights {
        &[(all, occupancy_cost)]
    } else {
        &separate
    };
    for (cells, occupancy) in sets {
        let values = &mut values[..cells.cells.len()];
        values.fill(ZERO);
        for (cell, v) in cells.of_flow.iter().zip(flows) {
            if let Some(c) = cell {
                add_lanes(&mut values[*c], v);
            }
        }
        add_static_flows_lanes::<S>(occupancy, &cells.cells, values, bins, first_year, n_cols);
    }
}

/// [`row_probabilities`] on lanes: the same checks and arithmetic, lane by lane, `sources` giving each entry's index
/// in `values` (None for the remainder). Returns false when any lane fails a check.
#[inline(always)]
pub(super) fn row_probabilities_lanes(
    rows: &[crate::model::Row],
    sources: &[Option<usize>],
    values: &[Lanes],
    out: &mut [Lanes],
) -> bool {
    row_probabilities_lanes_by(rows, values, out, |e, _| sources[e])
}

/// The rows' probabilities on lanes, `source` giving the index in `values` of entry `e` of the rows (counted across
/// rows), None for the remainder: one body for rows read from sampled values and rows read from slots that change
/// every cycle. Returns false when any lane fails a check.
#[inline(always)]
pub(super) fn row_probabilities_lanes_by(
    rows: &[crate::model::Row],
    values: &[Lanes],
    out: &mut [Lanes],
    source: impl Fn(usize, &crate::model::ProbSource) -> Option<usize>,
) -> bool {
    const TOLERANCE: f64 = 1e-9;
    let mut ok = true;
    let mut e = 0;
    for row in rows {
        let mut sum = ZERO;
        let mut remainder = None;
        for (_, src) in &row.entries {
            match source(e, src) {
                Some(i) => {
                    let p = values[i];
                    let mut q = ZERO;
                    for l in 0..LANES {
                        ok &= (-TOLERANCE..=1.0 + TOLERANCE).contains(&p[l]);
                        q[l] = p[l].clamp(0.0, 1.0);
                        sum[l] += q[l];
                    }
                    out[e] = q;
                }
                None => remainder = Some(e),
            }
            e += 1;
        }
        match remainder {
            Some(r) => {
                let mut q = ZERO;
                for l in 0..LANES {
                    ok &= sum[l] <= 1.0 + TOLERANCE;
                    q[l] = (1.0 - sum[l]).max(0.0);
                }
                out[r] = q;
            }
            None => {
                for s in sum {
                    ok &= (s - 1.0).abs() <= 1e-6 || s.is_nan();
                }
            }
        }
    }
    ok
}

/// [`trace_fixed`] on lanes, `step` being the S × S transition matrix and `entries` the wave's accrual entries
/// (see [`LaneAccrual`]): the same additions in the same order, on every lane at once. `SAME` is the wave's
/// `same_weights`: then only the cost-weighted occupancy is written.
#[inline(always)]
fn trace_lanes<const S: usize, const SAME: bool>(
    mut mass: [Lanes; S],
    step: &[[Lanes; S]; S],
    wave: &crate::model::Wave,
    entries: &[(usize, f64, f64, bool)],
    (occupancy_cost, occupancy_outcome): (&mut [Lanes], &mut [Lanes]),
) {
    let (cost_rows, _) = occupancy_cost.as_chunks_mut::<S>();
    let (outcome_rows, _) = occupancy_outcome.as_chunks_mut::<S>();
    for k in 0..=wave.cycles {
        for &(year, w_cost, w_outcome, first) in &entries[wave.weights_start[k]..wave.weights_start[k + 1]] {
            if first {
                for (o, m) in cost_rows[year].iter_mut().zip(&mass) {
                    *o = scaled(w_cost, m);
                }
                if !SAME {
                    for (o, m) in outcome_rows[year].iter_mut().zip(&mass) {
                        *o = scaled(w_outcome, m);
                    }
                }
            } else {
                for (o, m) in cost_rows[year].iter_mut().zip(&mass) {
                    add_scaled(o, w_cost, m);
                }
                if !SAME {
                    for (o, m) in outcome_rows[year].iter_mut().zip(&mass) {
                        add_scaled(o, w_outcome, m);
                    }
                }
            }
        }
        if k == wave.cycles {
            break;
        }
        let mut next = [ZERO; S];
        for (m, row) in mass.iter().zip(step) {
            for (n, p) in next.iter_mut().zip(row) {
                add_product(n, m, p);
            }
        }
        mass = next;
    }
}

/// [`add_static_flows`] on lanes, over the nonzero cells only.
#[inline(always)]
fn add_static_flows_lanes<const S: usize>(
    occupancy: &[Lanes],
    cells: &[(usize, usize)],
    values: &[Lanes],
    bins: &mut [Lanes],
    first_year: usize,
    n_cols: usize,
) {
    // The occupancy buffer is sized for the model's states, so it has more rows than years when states are left
    // out of the trace: take as many as the bins have.
    let years = bins.len() / n_cols;
    let (occupancy, _) = occupancy.as_chunks::<S>();
    let (bins, occupancy) = (&mut bins[first_year * n_cols..], &occupancy[first_year..years]);
    // Cell by cell, each cell's value staying in registers over the years. Cells are sorted by state, so every
    // bin still adds its states in order.
    for (&(state, column), v) in cells.iter().zip(values) {
        let v = *v;
        // Checked once here, so that the loop over years indexes without checks (a third of its instructions).
        assert!(state < S && column < n_cols, "a cell inside the value matrix");
        for (bin, occupancy) in bins.chunks_exact_mut(n_cols).zip(occupancy) {
            add_product(&mut bin[column], &occupancy[state], &v);
        }
    }
}
