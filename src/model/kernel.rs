//! One PSA iteration: evaluate the model's programs for the sampled parameters and run every arm over the horizon.
//!
//! This is the hot path. Everything it needs is laid out as index arrays when the workspace is built; per iteration
//! it allocates nothing and looks nothing up by name. Values go into per-year "bins" of the kernel columns only
//! (see [`Model::kernel_columns`]).

use super::{columns, Context, Draw, Mode, Model, ProbSource, ProgrammeKind};
use rand::Rng;
use rand_distr::{Binomial, Distribution as _};

/// Why an iteration could not be completed (an invalid probability or a non-finite value).
#[derive(Debug, Clone, PartialEq)]
pub struct IterationFailure {
    /// The arm being simulated.
    pub arm: usize,
    /// What went wrong, naming the quantity.
    pub message: String,
}

/// The transitions of one context as flat arrays: entry e moves `probs[e]` of state `pairs[e].0` to `pairs[e].1`.
/// Row entries come first (in row order, as `row_probabilities` fills them), then one self-loop per state that has
/// no row, with probability 1.
struct Edges {
    pairs: Vec<(usize, usize)>,
    probs: Vec<f64>,
    /// The same edges grouped by destination: for state s, `incoming[incoming_start[s]..incoming_start[s + 1]]` are
    /// (origin, edge index) pairs. The cohort step sums each destination in a register instead of scattering
    /// additions into memory, whose store-to-load chains were the slowest part of the trace.
    incoming: Vec<(usize, usize)>,
    incoming_start: Vec<usize>,
}

/// Scratch memory for simulating iterations of one model on one thread.
pub struct Workspace {
    /// The sampled parameter values of the current iteration.
    pub draws: Vec<f64>,
    /// Per-iteration output: discounted values per person, laid out [arm][year][kernel column].
    pub bins: Vec<f64>,
    slots: Vec<Vec<f64>>,
    programme_slots: Vec<Vec<f64>>,
    edges: Vec<Edges>,
    start_probs: Vec<f64>,
    mass: Vec<f64>,
    next: Vec<f64>,
    /// Per calendar year × state: occupancy weighted by accrual and cost (or outcome) discounting.
    occupancy_cost: Vec<f64>,
    occupancy_outcome: Vec<f64>,
    /// Per-cycle values of the static flows as state × kernel column matrices (costs, and outcomes when their
    /// discounting differs).
    values_cost: Vec<f64>,
    values_outcome: Vec<f64>,
    /// People in the served states at each calendar boundary, for capacity-limited programme costs.
    active: Vec<f64>,
    /// Cost discount factor at each calendar boundary, for programme costs.
    calendar_cost_factor: Vec<f64>,
    /// Individual mode: people in each subgroup × wave cell.
    cell_counts: Vec<Vec<u64>>,
    n_columns: usize,
    years: usize,
}

impl Workspace {
    /// Allocates everything an iteration needs.
    pub fn new(model: &Model) -> Self {
        let n_states = model.states.len();
        let cycles = model.settings.cycles();
        let dt = model.settings.cycle.years();
        let edges = model
            .contexts
            .iter()
            .map(|ctx| {
                let mut e = Edges {
                    pairs: Vec::new(),
                    probs: Vec::new(),
                    incoming: Vec::new(),
                    incoming_start: vec![0],
                };
                for row in &ctx.rows {
                    for (to, _) in &row.entries {
                        e.pairs.push((row.from, *to));
                        e.probs.push(0.0);
                    }
                }
                for s in (0..n_states).filter(|s| !ctx.rows.iter().any(|r| r.from == *s)) {
                    e.pairs.push((s, s));
                    e.probs.push(1.0);
                }
                for to in 0..n_states {
                    e.incoming.extend(
                        e.pairs
                            .iter()
                            .enumerate()
                            .filter(|(_, p)| p.1 == to)
                            .map(|(i, p)| (p.0, i)),
                    );
                    e.incoming_start.push(e.incoming.len());
                }
                e
            })
            .collect();
        let calendar_cost_factor = (0..=cycles)
            .map(|c| {
                model
                    .settings
                    .discount_costs
                    .factor(c as f64 * dt, model.settings.discounting)
            })
            .collect();
        let mut slots: Vec<Vec<f64>> = model.contexts.iter().map(|c| vec![0.0; c.n_slots]).collect();
        let mut programme_slots: Vec<Vec<f64>> =
            model.programme_contexts.iter().map(|c| vec![0.0; c.n_slots]).collect();
        // Constants never change, so they are written once here rather than every iteration.
        for (ctx, s) in model
            .contexts
            .iter()
            .chain(&model.programme_contexts)
            .zip(slots.iter_mut().chain(programme_slots.iter_mut()))
        {
            for &(slot, value) in &ctx.constants {
                s[slot] = value;
            }
        }
        let n_columns = model.n_kernel_columns();
        Workspace {
            draws: vec![0.0; model.n_draws],
            bins: vec![0.0; model.arms.len() * model.settings.horizon_years * n_columns],
            slots,
            programme_slots,
            edges,
            start_probs: vec![0.0; n_states],
            mass: vec![0.0; n_states],
            next: vec![0.0; n_states],
            occupancy_cost: vec![0.0; model.settings.horizon_years * n_states],
            occupancy_outcome: vec![0.0; model.settings.horizon_years * n_states],
            values_cost: vec![0.0; n_states * n_columns],
            values_outcome: vec![0.0; n_states * n_columns],
            active: vec![0.0; cycles + 1],
            calendar_cost_factor,
            cell_counts: cell_counts(model),
            n_columns,
            years: model.settings.horizon_years,
        }
    }

    /// The per-year values of one arm: `years × kernel columns`, row-major.
    pub fn arm_bins(&self, arm: usize) -> &[f64] {
        let size = self.years * self.n_columns;
        &self.bins[arm * size..(arm + 1) * size]
    }
}

/// Splits the cohort into subgroup × entry-wave cells by largest remainder, so the counts add up exactly.
fn cell_counts(model: &Model) -> Vec<Vec<u64>> {
    let n = model.cohort_size;
    let mut cells = Vec::new();
    for (g, sg) in model.subgroups.iter().enumerate() {
        for (w, wave) in model.waves.iter().enumerate() {
            let exact = n as f64 * sg.share * wave.share;
            cells.push((g, w, exact.floor() as u64, exact - exact.floor()));
        }
    }
    let assigned: u64 = cells.iter().map(|c| c.2).sum();
    let mut order: Vec<usize> = (0..cells.len()).collect();
    // Ties broken by position so the allocation never depends on sort stability.
    order.sort_by(|&a, &b| cells[b].3.total_cmp(&cells[a].3).then(a.cmp(&b)));
    for &i in order.iter().take(n.saturating_sub(assigned) as usize) {
        cells[i].2 += 1;
    }
    let mut out = vec![vec![0; model.waves.len()]; model.subgroups.len()];
    for (g, w, count, _) in cells {
        out[g][w] = count;
    }
    out
}

/// Fills `draws` with one sample of every uncertain parameter, in a fixed order.
pub fn sample_parameters<R: Rng + ?Sized>(model: &Model, rng: &mut R, draws: &mut [f64]) {
    for d in &model.draws {
        match d {
            Draw::One { slot, sampler, .. } => draws[*slot] = sampler.sample(rng),
            Draw::Dirichlet { first_slot, dirichlet } => {
                dirichlet.sample_into(rng, &mut draws[*first_slot..*first_slot + dirichlet.len()])
            }
        }
    }
}

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

/// A readable name of a value column (a full column, see [`columns`]).
pub fn column_name(model: &Model, column: usize) -> String {
    use super::Payer;
    if column >= columns::COST_COLUMNS {
        return format!("outcome `{}`", model.outcomes[column - columns::COST_COLUMNS]);
    }
    let payer = Payer::ALL[column % 3].name();
    match column / 3 {
        0 => format!("{payer} care costs"),
        1 => format!("{payer} cashable care costs"),
        _ => format!("{payer} intervention spend"),
    }
}

fn simulate_arm<R: Rng>(model: &Model, ws: &mut Workspace, arm: usize, rng: &mut R) -> Result<(), IterationFailure> {
    let settings = &model.settings;
    let dt = settings.cycle.years();
    let per_year = settings.cycle.per_year();
    let years = settings.horizon_years;
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

    for (g, sg) in model.subgroups.iter().enumerate() {
        let ci = arm * model.subgroups.len() + g;
        let ctx = &model.contexts[ci];
        let slots = &mut all_slots[ci][..];
        let edges = &mut all_edges[ci];
        slots[..n_draws].copy_from_slice(draws);
        set_time(slots, n_draws, 0, 0.0, 0.0);
        for (slot, program) in &ctx.static_programs {
            slots[*slot] = program.eval(slots);
        }
        row_probabilities(model, ctx, std::slice::from_ref(&ctx.start), slots, start_probs, arm)?;
        if !ctx.dynamic_transitions {
            row_probabilities(model, ctx, &ctx.rows, slots, &mut edges.probs, arm)?;
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
                let weight = sg.share * wave.share;
                for ((to, _), p) in ctx.start.entries.iter().zip(start_probs.iter()) {
                    mass[*to] += weight * p;
                }
                weight
            };
            let entry_bin = wave.entry_year * n_cols;
            for one in &ctx.one_offs {
                bins[entry_bin + one.column] += entrants * scale * slots[one.slot] * wave.entry_cost_factor;
            }

            // Discounted, accrual-weighted occupancy per calendar year, for flows whose values do not change with
            // time: their contribution is occupancy · value once per year instead of once per boundary.
            let first_year = wave.entry_year;
            occupancy_cost[first_year * n_states..].fill(0.0);
            occupancy_outcome[first_year * n_states..].fill(0.0);
            let fast = !individual && !track_active && ctx.dynamic_programs.is_empty();
            let traced = fast
                && match n_states {
                    2 => trace_fixed::<2>(mass, edges, wave, occupancy_cost, occupancy_outcome),
                    3 => trace_fixed::<3>(mass, edges, wave, occupancy_cost, occupancy_outcome),
                    4 => trace_fixed::<4>(mass, edges, wave, occupancy_cost, occupancy_outcome),
                    5 => trace_fixed::<5>(mass, edges, wave, occupancy_cost, occupancy_outcome),
                    6 => trace_fixed::<6>(mass, edges, wave, occupancy_cost, occupancy_outcome),
                    7 => trace_fixed::<7>(mass, edges, wave, occupancy_cost, occupancy_outcome),
                    8 => trace_fixed::<8>(mass, edges, wave, occupancy_cost, occupancy_outcome),
                    _ => false,
                };
            for k in 0..=wave.cycles {
                if traced {
                    break;
                }
                if !ctx.dynamic_programs.is_empty() {
                    set_time(slots, n_draws, k, k as f64 * dt, (offset + k) as f64 * dt);
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
                if track_active {
                    let people: f64 = model.served_states[arm].iter().map(|&s| mass[s]).sum();
                    active[offset + k] += if individual { people } else { people * cohort_size };
                }
                if k == wave.cycles {
                    break;
                }
                if ctx.dynamic_transitions {
                    row_probabilities(model, ctx, &ctx.rows, slots, &mut edges.probs, arm)?;
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

/// The cohort trace of a model with `S` states, time-invariant transitions and no time-dependent values, on
/// fixed-size arrays: with the state count known at compile time every loop over states unrolls, and the dense
/// S × S step runs several times faster than the run-time-sized loops of the general path. Fills the weighted
/// occupancies from `start`; returns true (so it can stand in a match over supported sizes).
fn trace_fixed<const S: usize>(
    start: &[f64],
    edges: &Edges,
    wave: &super::Wave,
    occupancy_cost: &mut [f64],
    occupancy_outcome: &mut [f64],
) -> bool {
    let mut step = [[0.0; S]; S];
    for (&(from, to), &p) in edges.pairs.iter().zip(&edges.probs) {
        step[from][to] += p;
    }
    let mut mass = [0.0; S];
    mass.copy_from_slice(&start[..S]);
    let (cost_rows, _) = occupancy_cost.as_chunks_mut::<S>();
    let (outcome_rows, _) = occupancy_outcome.as_chunks_mut::<S>();
    for k in 0..=wave.cycles {
        for &(year, w_cost, w_outcome) in &wave.weights_flat[wave.weights_start[k]..wave.weights_start[k + 1]] {
            for (o, m) in cost_rows[year].iter_mut().zip(&mass) {
                *o += w_cost * m;
            }
            if !wave.same_weights {
                for (o, m) in outcome_rows[year].iter_mut().zip(&mass) {
                    *o += w_outcome * m;
                }
            }
        }
        if k == wave.cycles {
            break;
        }
        let mut next = [0.0; S];
        for (from, row) in step.iter().enumerate() {
            for (n, p) in next.iter_mut().zip(row) {
                *n += mass[from] * p;
            }
        }
        mass = next;
    }
    true
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
fn row_probabilities(
    model: &Model,
    ctx: &Context,
    rows: &[super::Row],
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

/// Adds the arm's programme-level costs (set-up and annual), per person of the cohort.
fn programme_costs(model: &Model, ws: &mut Workspace, arm: usize) {
    let arm_offset = arm * model.settings.horizon_years * ws.n_columns;
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
    let per_year = model.settings.cycle.per_year();
    let dt = model.settings.cycle.years();
    let per_person = 1.0 / model.cohort_size as f64;
    for cost in costs {
        let amount = slots[cost.slot];
        match cost.kind {
            ProgrammeKind::Setup => ws.bins[arm_offset + cost.column] += amount * per_person,
            ProgrammeKind::Annual {
                from_year,
                to_year,
                capacity,
            } => {
                for c in 0..model.settings.cycles() {
                    let t = c as f64 * dt;
                    if t < from_year - 1e-12 || t >= to_year - 1e-12 {
                        continue;
                    }
                    let units = capacity.map_or(1.0, |cap| (ws.active[c] / cap - 1e-9).ceil().max(0.0));
                    let bin = arm_offset + (c / per_year) * n_cols + cost.column;
                    ws.bins[bin] += amount * dt * units * ws.calendar_cost_factor[c] * per_person;
                }
            }
        }
    }
}
