//! The lane path for a context that needs work at every boundary (see [`Context::per_boundary`]): values and
//! probabilities that change with time, flows accrued boundary by boundary. Every lane does the general path's
//! arithmetic for such a context in the same order: the time slots and the values computed before sampling set at
//! each boundary, the programs run again, the occupancy and the boundary's flows accrued, the rows recomputed when
//! they change, and the cohort stepped destination by destination as the general path steps it.
//!
//! Where a context's values depend on time only through its values computed before sampling
//! ([`Context::time_through_series`]), a boundary at which those are what they were at the boundary before has the
//! values and probabilities of the boundary before, bit for bit: they are kept rather than computed and checked
//! again. (The adaptations scenario's row out of "delayed" changes once, when the delay ends, through the condition
//! `t >= delay_years`, computed before sampling: it was recomputed at each of its 261 weekly boundaries.)

#[cfg(doc)]
use super::general::simulate_iteration;
use super::lane_ops::{add_product, add_scaled, scaled, Lanes, ZERO};
use super::lane_workspace::LaneWorkspace;
use super::lanes::{pay_one_offs, row_probabilities_lanes, row_probabilities_lanes_by};
use super::sparse::{clear_occupancy, fill_cell_values, static_flows, weigh, AccrualEntry, TracePlan, WaveAccrual};
use super::LANES;
use crate::expr::Program;
use crate::model::{Context, Model, ProbSource, Wave};

/// One context on lanes, its static programs already run into its lane slots (`slots` is its scalar slot vector,
/// for programs run lane by lane), with its trace plan and the waves' accruals. Returns false when some lane has an
/// invalid probability.
///
/// Compiled for AVX-512 and AVX2 too, with the same results (AVX-512 where the CPU has it: the adaptations scenario's
/// what-if took 0.89 of its AVX2 time, the life-table scenario's 0.92, the example's was unchanged; 16 and 10
/// alternated rounds).
#[allow(clippy::too_many_arguments)]
#[multiversion::multiversion(targets("x86_64+avx512f", "x86_64+avx2"))]
pub(super) fn context_lanes(
    model: &Model,
    ctx: &Context,
    plan: (&TracePlan, &[WaveAccrual]),
    lw: &mut LaneWorkspace,
    slots: &mut [f64],
    ci: usize,
    arm: usize,
    n_cols: usize,
) -> bool {
    let sources = &lw.sources[ci];
    let lane_slots = &lw.lane_slots[ci][..];
    for (v, &slot) in lw.slot_values.iter_mut().zip(&sources.slots) {
        *v = lane_slots[slot];
    }
    let values = &lw.slot_values[..];
    if !row_probabilities_lanes(std::slice::from_ref(&ctx.start), &sources.start, values, &mut lw.start) {
        return false;
    }
    if !fixed_rows(ctx, &sources.rows, values, &mut lw.edges) {
        return false;
    }
    // The self-loops of states without a row.
    let row_edges = sources.rows.len();
    let n_edges = plan.0.n_edges;
    lw.edges[row_edges..n_edges].fill([1.0; LANES]);
    for ((v, f), &i) in lw.flows.iter_mut().zip(&ctx.static_flows).zip(&sources.flows) {
        *v = scaled(f.factor, &values[i]);
    }
    for (v, &i) in lw.one_offs.iter_mut().zip(&sources.one_offs) {
        *v = values[i];
    }
    let args = (model, ctx, plan, lw, slots, ci, arm, n_cols);
    match (plan.0.dense, plan.0.n) {
        (true, 1) => waves_fixed::<1>(args),
        (true, 2) => waves_fixed::<2>(args),
        (true, 3) => waves_fixed::<3>(args),
        (true, 4) => waves_fixed::<4>(args),
        (true, 5) => waves_fixed::<5>(args),
        (true, 6) => waves_fixed::<6>(args),
        (true, 7) => waves_fixed::<7>(args),
        (true, 8) => waves_fixed::<8>(args),
        _ => waves(args),
    }
}

/// What [`waves`] and [`waves_fixed`] work on: the model, the context, its trace plan and the waves' accruals, the lane buffers, the
/// context's scalar slots, its index, its arm and the number of kernel columns.
type Args<'a> = (
    &'a Model,
    &'a Context,
    (&'a TracePlan, &'a [WaveAccrual]),
    &'a mut LaneWorkspace,
    &'a mut [f64],
    usize,
    usize,
    usize,
);

/// The waves of one context of a model of at most 8 states, `S` being the number of states traced (see
/// [`TracePlan::dense`]: all are occupied, and numbered in order): the mass on arrays of that size, whose loops over
/// states unroll. (The same steps as [`waves`]; written apart because one body for both sizes, on slices, made the
/// life-table model 10% slower.)
#[inline(always)]
fn waves_fixed<const S: usize>((model, ctx, (plan, accruals), lw, slots, ci, arm, n_cols): Args) -> bool {
    let size = model.settings.bins() * n_cols;
    let LaneWorkspace {
        lane_slots,
        start,
        edges,
        one_offs,
        occupancy_cost,
        occupancy_outcome,
        bins,
        flows,
        values,
        ..
    } = lw;
    let lane_slots = &mut lane_slots[ci][..];
    let bins = &mut bins[arm * size..(arm + 1) * size];
    // Plain slices, so that no access in the loops below goes through the buffers' alignment again.
    let (start, edges, one_offs, flows) = (&start[..], &mut edges[..], &one_offs[..], &flows[..]);
    let (occupancy_cost, occupancy_outcome, values) =
        (&mut occupancy_cost[..], &mut occupancy_outcome[..], &mut values[..]);
    let n_draws = model.n_draws;
    let dt = model.settings.cycle.years();
    let per_year = model.settings.cycle.per_year();
    let incoming = &plan.boundary;
    for (w, (wave, accrual)) in model.waves.iter().zip(accruals).enumerate() {
        let weight = ctx.share * wave.share;
        let mut mass = [ZERO; S];
        for &(e, to) in &plan.start {
            add_scaled(&mut mass[to], weight, &start[e]);
        }
        pay_one_offs(ctx, wave, one_offs, bins, n_cols, weight);
        let first_year = wave.entry_bin;
        clear_occupancy(
            accrual,
            first_year * S,
            (&mut occupancy_cost[..], &mut occupancy_outcome[..]),
        );
        let (cost_rows, _) = occupancy_cost.as_chunks_mut::<S>();
        let (outcome_rows, _) = occupancy_outcome.as_chunks_mut::<S>();
        let offset = wave.entry_year * per_year;
        for k in 0..=wave.cycles {
            let recompute = !ctx.keeps_boundary(w, k);
            if recompute {
                let times = [k as f64, k as f64 * dt, (offset + k) as f64 * dt];
                boundary_values(ctx, lane_slots, slots, n_draws, times, ctx.series.at(w, k));
            }
            for e in &accrual.entries[wave.weights_start[k]..wave.weights_start[k + 1]] {
                weigh_fixed(&mut cost_rows[e.year], &mass, e.w_cost, e.first);
                if !wave.same_weights {
                    weigh_fixed(&mut outcome_rows[e.year], &mass, e.w_outcome, e.first);
                }
                dynamic_flows(
                    ctx,
                    plan,
                    e,
                    &mut bins[e.year * n_cols..(e.year + 1) * n_cols],
                    &mass,
                    lane_slots,
                );
            }
            own_accrual_flows(ctx, plan, (wave, k), (bins, n_cols), &mass, lane_slots);
            if k == wave.cycles {
                break;
            }
            if recompute && ctx.dynamic_transitions() && !rows_from_slots(ctx, lane_slots, edges) {
                return false;
            }
            // Destination by destination (in order: a dense plan's states are), each summing its incoming edges in
            // the general path's order.
            let mut next = [ZERO; S];
            for (n, bounds) in next.iter_mut().zip(incoming.start.windows(2)) {
                for &(from, e) in &incoming.edges[bounds[0]..bounds[1]] {
                    add_product(n, &mass[from], &edges[e]);
                }
            }
            mass = next;
        }
        fill_cell_values(&plan.cells, wave.same_weights, flows, values);
        static_flows(
            (&plan.cells, &values[..]),
            (&occupancy_cost[..], &occupancy_outcome[..]),
            (S, wave.same_weights, false),
            bins,
            (first_year, n_cols),
            None,
        );
    }
    true
}

/// The waves of one context of a model of more than 8 states, its mass in the workspace's buffers: a function of its
/// own, compiled for AVX-512 and AVX2 too (inlined into [`context_lanes`] beside the fixed sizes, it made them slower).
#[multiversion::multiversion(targets("x86_64+avx512f", "x86_64+avx2"))]
fn waves((model, ctx, (plan, accruals), lw, slots, ci, arm, n_cols): Args) -> bool {
    let size = model.settings.bins() * n_cols;
    let LaneWorkspace {
        lane_slots,
        start,
        edges,
        one_offs,
        mass,
        next,
        occupancy_cost,
        occupancy_outcome,
        bins,
        flows,
        values,
        ..
    } = lw;
    let lane_slots = &mut lane_slots[ci][..];
    let bins = &mut bins[arm * size..(arm + 1) * size];
    // Plain slices, so that no access in the loops below goes through the buffers' alignment again.
    let (start, edges, one_offs, flows) = (&start[..], &mut edges[..], &one_offs[..], &flows[..]);
    let (occupancy_cost, occupancy_outcome, values) =
        (&mut occupancy_cost[..], &mut occupancy_outcome[..], &mut values[..]);
    let n_draws = model.n_draws;
    let dt = model.settings.cycle.years();
    let per_year = model.settings.cycle.per_year();
    let (n, width) = (plan.n, plan.n_occupied);
    for (w, (wave, accrual)) in model.waves.iter().zip(accruals).enumerate() {
        let weight = ctx.share * wave.share;
        let (mut mass, mut next) = (&mut mass[..n], &mut next[..n]);
        mass.fill(ZERO);
        for &(e, to) in &plan.start {
            add_scaled(&mut mass[to], weight, &start[e]);
        }
        pay_one_offs(ctx, wave, one_offs, bins, n_cols, weight);
        let first_year = wave.entry_bin;
        let occupancy = (&mut occupancy_cost[..], &mut occupancy_outcome[..]);
        clear_occupancy(accrual, first_year * width, occupancy);
        let offset = wave.entry_year * per_year;
        for k in 0..=wave.cycles {
            let recompute = !ctx.keeps_boundary(w, k);
            if recompute {
                let times = [k as f64, k as f64 * dt, (offset + k) as f64 * dt];
                boundary_values(ctx, lane_slots, slots, n_draws, times, ctx.series.at(w, k));
            }
            for e in &accrual.entries[wave.weights_start[k]..wave.weights_start[k + 1]] {
                let rows = e.year * width..(e.year + 1) * width;
                weigh(
                    &mut occupancy_cost[rows.clone()],
                    &mass[..width],
                    e.w_cost,
                    (e.first, width),
                );
                if !wave.same_weights {
                    weigh(
                        &mut occupancy_outcome[rows],
                        &mass[..width],
                        e.w_outcome,
                        (e.first, width),
                    );
                }
                dynamic_flows(
                    ctx,
                    plan,
                    e,
                    &mut bins[e.year * n_cols..(e.year + 1) * n_cols],
                    mass,
                    lane_slots,
                );
            }
            own_accrual_flows(ctx, plan, (wave, k), (bins, n_cols), mass, lane_slots);
            if k == wave.cycles {
                break;
            }
            if recompute && ctx.dynamic_transitions() && !rows_from_slots(ctx, lane_slots, edges) {
                return false;
            }
            // Destination by destination, each summing its incoming edges in the general path's order.
            let incoming = &plan.boundary;
            for (j, bounds) in incoming.start.windows(2).enumerate() {
                let mut sum = ZERO;
                for &(from, e) in &incoming.edges[bounds[0]..bounds[1]] {
                    add_product(&mut sum, &mass[from], &edges[e]);
                }
                next[incoming.to[j]] = sum;
            }
            std::mem::swap(&mut mass, &mut next);
        }
        fill_cell_values(&plan.cells, wave.same_weights, flows, values);
        static_flows(
            (&plan.cells, &values[..]),
            (&occupancy_cost[..], &occupancy_outcome[..]),
            (width, wave.same_weights, true),
            bins,
            (first_year, n_cols),
            None,
        );
    }
    true
}

/// The boundary's flows whose values change with time, into one year's `bin`, weighted by the accrual entry `e`.
#[inline(always)]
fn dynamic_flows(
    ctx: &Context,
    plan: &TracePlan,
    e: &AccrualEntry,
    bin: &mut [Lanes],
    mass: &[Lanes],
    lane_slots: &[Lanes],
) {
    for (f, &state) in ctx.dynamic_flows.iter().zip(&plan.dynamic_flow_states) {
        let w = if f.is_cost { e.w_cost } else { e.w_outcome };
        accrue(&mut bin[f.column], w, &mass[state], &lane_slots[f.slot], f.factor);
    }
}

/// The flows with accrual weights of their own at boundary `k` of `wave`, into the bins of the years they reach.
#[inline(always)]
fn own_accrual_flows(
    ctx: &Context,
    plan: &TracePlan,
    (wave, k): (&Wave, usize),
    (bins, n_cols): (&mut [Lanes], usize),
    mass: &[Lanes],
    lane_slots: &[Lanes],
) {
    for (f, &state) in ctx.own_accrual_flows.iter().zip(&plan.own_flow_states) {
        for &(year, w) in wave.weight_sets[f.weight_set.unwrap_or(0)].at(k) {
            accrue(
                &mut bins[year * n_cols + f.column],
                w,
                &mass[state],
                &lane_slots[f.slot],
                f.factor,
            );
        }
    }
}

/// The values at a boundary: the time slots (`times`: cycle, t, calendar t), the values computed before sampling
/// (`series`), then the programs, as `set_time` and the general path's loop set them.
#[inline(always)]
fn boundary_values(
    ctx: &Context,
    lane_slots: &mut [Lanes],
    slots: &mut [f64],
    n_draws: usize,
    times: [f64; 3],
    series: &[f64],
) {
    for (i, time) in times.into_iter().enumerate() {
        lane_slots[n_draws + i] = [time; LANES];
    }
    for (&slot, &value) in ctx.series.slots.iter().zip(series) {
        lane_slots[slot] = [value; LANES];
    }
    for ((slot, program), branches) in ctx.dynamic_programs.iter().zip(&ctx.branches) {
        // A conditional on a value known before sampling: every lane takes the branch the whole would take (a
        // condition that is 0 takes the else-branch; any other value, NaN too, the then-branch).
        let program = match branches {
            Some(b) if lane_slots[b.condition][0] == 0.0 => &b.otherwise,
            Some(b) => &b.then,
            None => program,
        };
        // Inlined and matched, not chained through `Option::or_else`: the chain is not inlined, and its copy of
        // each 8-lane result, just stored with wider instructions than it is loaded with, stalled on store
        // forwarding (a fifth of a life-table model's time).
        lane_slots[*slot] = match program.eval_lanes_inlined(lane_slots) {
            Some(value) => value,
            None => eval_lanes_otherwise(program, lane_slots, slots),
        };
    }
}

/// A program that is not plain arithmetic: by the lane operations (conditionals too, while every lane takes the same
/// branch), or lane by lane through the scalar slots (a conditional whose lanes part ways).
///
/// Compiled for the same CPUs as its caller: compiled for any CPU, it handed its 8-lane result back in narrower
/// stores than the caller loads it with, which stalled on store forwarding.
#[multiversion::multiversion(targets("x86_64+avx512f", "x86_64+avx2"))]
fn eval_lanes_otherwise(program: &Program, lane_slots: &[Lanes], slots: &mut [f64]) -> Lanes {
    program.eval_lanes_ops(lane_slots).unwrap_or_else(|| {
        std::array::from_fn(|l| {
            for &r in program.reads() {
                slots[r] = lane_slots[r][l];
            }
            program.eval(slots)
        })
    })
}

/// A year's weighted occupancy of a fixed-size trace: set to w · mass at the year's first boundary, else w · mass
/// added.
#[inline(always)]
fn weigh_fixed<const S: usize>(row: &mut [Lanes; S], mass: &[Lanes; S], w: f64, first: bool) {
    for (o, m) in row.iter_mut().zip(mass) {
        if first {
            *o = scaled(w, m);
        } else {
            add_scaled(o, w, m);
        }
    }
}

/// bin += w · mass · value · factor, lane by lane, in the general path's order (its scale is 1 in cohort mode).
#[inline(always)]
fn accrue(bin: &mut Lanes, w: f64, mass: &Lanes, value: &Lanes, factor: f64) {
    for l in 0..LANES {
        bin[l] += w * mass[l] * value[l] * factor;
    }
}

/// The probabilities of the rows that do not change with time, from the sampled values (`sources` as for
/// [`row_probabilities_lanes`]): once per context, before its boundaries. False when some lane fails a check.
#[inline(always)]
fn fixed_rows(ctx: &Context, sources: &[Option<usize>], values: &[Lanes], out: &mut [Lanes]) -> bool {
    if !ctx.dynamic_transitions() {
        return row_probabilities_lanes(&ctx.rows, sources, values, out);
    }
    let mut ok = true;
    for (r, first) in ctx.fixed_rows() {
        let (out, sources) = (&mut out[first..], &sources[first..]);
        ok &= row_probabilities_lanes_by(std::slice::from_ref(&ctx.rows[r]), values, out, |k, _| sources[k]);
    }
    ok
}

/// The probabilities of the rows that change with time, from the lane slots, as [`row_probabilities_lanes`] computes
/// them from values; false when some lane fails a check. The other rows keep the probabilities [`fixed_rows`] gave
/// them: recomputing every row at every boundary was about a sixth of a run of the adaptations scenario (`perf`).
#[inline(always)]
fn rows_from_slots(ctx: &Context, lane_slots: &[Lanes], out: &mut [Lanes]) -> bool {
    let mut ok = true;
    for &(r, first) in &ctx.changing_rows {
        let row = std::slice::from_ref(&ctx.rows[r]);
        ok &= row_probabilities_lanes_by(row, lane_slots, &mut out[first..], |_, src| match src {
            ProbSource::Slot(s) => Some(*s),
            ProbSource::Remainder => None,
        });
    }
    ok
}
