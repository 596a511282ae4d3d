//! The lane path: [`LANES`] iterations of a cohort model at once, each lane doing exactly the general path's
//! arithmetic in the same order, on lane arrays the compiler turns into vector instructions. Models of up to 8 states
//! are traced on fixed-size arrays with a dense step; larger ones with the sparse trace of [`super::sparse`].

#[cfg(doc)]
use super::general::row_probabilities;
use super::lane_ops::{add_lanes, add_product, add_scaled, scaled, Lanes, ZERO};
use super::lane_workspace::LaneWorkspace;
use super::lanes_boundary::context_lanes;
use super::programme::programme_costs_lanes;
use super::sparse::{
    clear_occupancy, fill_cell_values, static_flows, trace, AccrualEntry, Reached, TracePlan, WaveAccrual,
};
use super::workspace::Workspace;
use super::LANES;
#[cfg(doc)]
use super::{sample_parameters_lanes, simulate_iteration};
use crate::model::{Context, Mode, Model, ProgrammeKind, Wave};

/// Whether [`simulate_lanes`] handles `model`: a cohort trace with no capacity-limited programme costs, of any number
/// of states. Values and probabilities may change with time.
pub fn lanes_supported(model: &Model) -> bool {
    model.settings.mode == Mode::Cohort
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
/// Compiled three times, for x86-64 with AVX-512 and with AVX2 (the widest the CPU has is chosen at run time) and
/// for any CPU: the results are the same bit for bit, since wider vectors only take more lanes at once and Rust
/// never fuses a multiply and an add. The AVX-512 build made adaptations' what-if 0.93 of the time (80 alternated
/// rounds, 2026-12-07; the other scenarios within noise).
#[multiversion::multiversion(targets("x86_64+avx512f", "x86_64+avx2"))]
pub fn simulate_lanes(model: &Model, ws: &mut Workspace, draws: &[f64], stride: usize, n: usize) -> bool {
    assert!((1..=LANES).contains(&n), "a block has 1 to {LANES} iterations");
    let n_draws = model.n_draws;
    let Workspace {
        slots: all_slots,
        edges: all_edges,
        plans,
        accruals,
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
            let lane_slots = &mut lw.lane_slots[ci][..];
            lane_slots[..n_draws].copy_from_slice(&lw.draws);
            lane_slots[n_draws..n_draws + 3].fill(ZERO);
            static_programs_lanes(ctx, lane_slots, slots);
            let plan = &plans[ci];
            if ctx.per_boundary {
                if !context_lanes(model, ctx, (plan, accruals), lw, slots, ci, arm, n_cols) {
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

            waves_lanes(model, ctx, (plan, accruals), lw, arm, n_cols);
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

/// The static programs of a context on lanes, in order, `slots` being its scalar slots: plain arithmetic through the
/// lane interpreter, the rest lane by lane through the scalar slots.
///
/// A function of its own, compiled for AVX-512 and AVX2 too as its caller is, with the interpreter inlined: called from the lane path, the
/// interpreter (compiled without AVX2) returned each 8-lane result through memory in narrower stores than the lane
/// path loads it with, which stalled on store forwarding (a tenth of the time of a 30-state model, whose 58 programs
/// per context are its costs and QALY weights); inlined into the lane path itself, it made the reference workload
/// slower.
#[multiversion::multiversion(targets("x86_64+avx512f", "x86_64+avx2"))]
fn static_programs_lanes(ctx: &Context, lane_slots: &mut [Lanes], slots: &mut [f64]) {
    for (slot, program) in &ctx.static_programs {
        lane_slots[*slot] = match program.eval_lanes_inlined(lane_slots) {
            Some(value) => value,
            // Functions, comparisons and conditionals.
            None => std::array::from_fn(|l| {
                for &r in program.reads() {
                    slots[r] = lane_slots[r][l];
                }
                program.eval(slots)
            }),
        };
    }
}

/// The waves of one context whose rows and values are fixed in time, on lanes: starting shares, one-off costs, the
/// sparse trace and the static flows of each wave.
#[inline(always)]
fn waves_lanes(
    model: &Model,
    ctx: &Context,
    (plan, accruals): (&TracePlan, &[WaveAccrual]),
    lw: &mut LaneWorkspace,
    arm: usize,
    n_cols: usize,
) {
    let size = model.settings.bins() * n_cols;
    let LaneWorkspace {
        start,
        edges,
        steps,
        flows,
        one_offs,
        values,
        mass,
        next,
        occupancy_cost,
        occupancy_outcome,
        bins,
        ..
    } = lw;
    let bins = &mut bins[arm * size..(arm + 1) * size];
    // Plain slices, so that no access in the loops below goes through the buffers' alignment again.
    let (start, edges, steps, flows, one_offs) = (&start[..], &edges[..], &mut steps[..], &flows[..], &one_offs[..]);
    let (values, mass, next) = (&mut values[..], &mut mass[..], &mut next[..]);
    let (occupancy_cost, occupancy_outcome) = (&mut occupancy_cost[..], &mut occupancy_outcome[..]);
    if !plan.dense {
        for (s, &(_, e)) in steps.iter_mut().zip(&plan.fixed.edges) {
            *s = edges[e];
        }
    }
    let n = plan.n;
    for (wave, accrual) in model.waves.iter().zip(accruals) {
        let weight = ctx.share * wave.share;
        let mass = &mut mass[..n];
        mass.fill(ZERO);
        for &(e, to) in &plan.start {
            add_scaled(&mut mass[to], weight, &start[e]);
        }
        pay_one_offs(ctx, wave, one_offs, bins, n_cols, weight);
        fill_cell_values(&plan.cells, wave.same_weights, flows, values);
        let occupancy = (&mut occupancy_cost[..], &mut occupancy_outcome[..]);
        let at = (wave, accrual);
        let wave_bins = (&values[..], &mut bins[..], n_cols);
        match (plan.dense, n) {
            (true, 1) => trace_dense::<1>(plan, edges, at, mass, occupancy, wave_bins),
            (true, 2) => trace_dense::<2>(plan, edges, at, mass, occupancy, wave_bins),
            (true, 3) => trace_dense::<3>(plan, edges, at, mass, occupancy, wave_bins),
            (true, 4) => trace_dense::<4>(plan, edges, at, mass, occupancy, wave_bins),
            (true, 5) => trace_dense::<5>(plan, edges, at, mass, occupancy, wave_bins),
            (true, 6) => trace_dense::<6>(plan, edges, at, mass, occupancy, wave_bins),
            (true, 7) => trace_dense::<7>(plan, edges, at, mass, occupancy, wave_bins),
            (true, 8) => trace_dense::<8>(plan, edges, at, mass, occupancy, wave_bins),
            _ => sparse_wave_lanes(plan, steps, at, (mass, &mut next[..n]), occupancy, wave_bins),
        }
    }
}

/// The sparse trace of one wave on lanes (models of more than 8 states; see [`trace`]) and its static flows, the
/// values of its cells in `values`: a function of its own, so that its loops get the registers, compiled for AVX-512
/// and AVX2 too.
#[multiversion::multiversion(targets("x86_64+avx512f", "x86_64+avx2"))]
fn sparse_wave_lanes(
    plan: &TracePlan,
    steps: &[Lanes],
    (wave, accrual): (&Wave, &WaveAccrual),
    buffers: (&mut [Lanes], &mut [Lanes]),
    (occupancy_cost, occupancy_outcome): (&mut [Lanes], &mut [Lanes]),
    (values, bins, n_cols): (&[Lanes], &mut [Lanes], usize),
) {
    // Two copies of the trace, so that the one for a single discounting has no test for it per entry.
    let occupancy = (&mut *occupancy_cost, &mut *occupancy_outcome);
    if wave.same_weights {
        trace::<Lanes, true>(plan, steps, (wave, accrual), buffers, occupancy);
    } else {
        trace::<Lanes, false>(plan, steps, (wave, accrual), buffers, occupancy);
    }
    let reached = Reached {
        reach: &plan.reach,
        last_boundary: &accrual.last_boundary,
    };
    static_flows(
        (&plan.cells, values),
        (occupancy_cost, occupancy_outcome),
        (plan.n_occupied, wave.same_weights, true),
        bins,
        (wave.entry_bin, n_cols),
        Some(reached),
    );
}

/// The trace of one wave of a model of at most 8 states on fixed-size arrays, with its static flows (the values of
/// its cells in `values`), `S` being its traced states (see [`TracePlan::dense`]), from the starting mass in `start`: with the state count known at compile time, every loop
/// over states unrolls and the mass stays in registers, and for so few states the dense S × S step, structural zeros
/// and all, is faster than the sparse one. Each destination adds its origins in order, as the sparse trace does for
/// models of this size ([`TracePlan::fixed`]).
#[inline(always)]
fn trace_dense<const S: usize>(
    plan: &TracePlan,
    edges: &[Lanes],
    (wave, accrual): (&Wave, &WaveAccrual),
    start: &[Lanes],
    (occupancy_cost, occupancy_outcome): (&mut [Lanes], &mut [Lanes]),
    (values, bins, n_cols): (&[Lanes], &mut [Lanes], usize),
) {
    let mut step = [[ZERO; S]; S];
    for (&to, bounds) in plan.fixed.to.iter().zip(plan.fixed.start.windows(2)) {
        for j in bounds[0]..bounds[1] {
            let (from, e) = plan.fixed.edges[j];
            add_lanes(&mut step[from][to], &edges[e]);
        }
    }
    let mut mass = [ZERO; S];
    mass.copy_from_slice(&start[..S]);
    let occupancy = (&mut *occupancy_cost, &mut *occupancy_outcome);
    clear_occupancy(accrual, wave.entry_bin * S, occupancy);
    let occupancy = (&mut *occupancy_cost, &mut *occupancy_outcome);
    if wave.same_weights {
        trace_dense_wave::<S, true>(mass, &step, wave, &accrual.entries, occupancy);
    } else {
        trace_dense_wave::<S, false>(mass, &step, wave, &accrual.entries, occupancy);
    }
    // With `S` for the occupancy's width, known at compile time: with a width known only at run time, each cell's
    // pass over the years began with a division.
    static_flows(
        (&plan.cells, values),
        (occupancy_cost, occupancy_outcome),
        (S, wave.same_weights, false),
        bins,
        (wave.entry_bin, n_cols),
        None,
    );
}

/// [`trace_dense`]'s loop over boundaries, `SAME` being the wave's `same_weights`: then only the cost-weighted
/// occupancy is written.
#[inline(always)]
fn trace_dense_wave<const S: usize, const SAME: bool>(
    mut mass: [Lanes; S],
    step: &[[Lanes; S]; S],
    wave: &Wave,
    entries: &[AccrualEntry],
    (occupancy_cost, occupancy_outcome): (&mut [Lanes], &mut [Lanes]),
) {
    let (cost_rows, _) = occupancy_cost.as_chunks_mut::<S>();
    let (outcome_rows, _) = occupancy_outcome.as_chunks_mut::<S>();
    for k in 0..=wave.cycles {
        for e in &entries[wave.weights_start[k]..wave.weights_start[k + 1]] {
            let AccrualEntry {
                year,
                w_cost,
                w_outcome,
                first,
                ..
            } = *e;
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

/// [`row_probabilities`] on lanes: the same checks and arithmetic, lane by lane, `sources` giving each entry's index
/// Pays a context's one-off costs (`one_offs`: their values, lane by lane) for a wave entering with `weight`, into
/// the bins its timing says.
#[inline(always)]
pub(super) fn pay_one_offs(
    ctx: &Context,
    wave: &Wave,
    one_offs: &[Lanes],
    bins: &mut [Lanes],
    n_cols: usize,
    weight: f64,
) {
    for (one, v) in ctx.one_offs.iter().zip(one_offs) {
        let (bin, factor) = wave.one_off_paid[one.timing];
        for (b, v) in bins[bin * n_cols + one.column].iter_mut().zip(v) {
            *b += weight * v * factor;
        }
    }
}

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
