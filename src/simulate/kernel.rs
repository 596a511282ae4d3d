//! One PSA iteration: evaluate the model's programs for the sampled parameters and run every arm over the horizon.
//!
//! This is the hot path. Everything it needs is laid out as index arrays when the workspace is built; per iteration
//! it allocates nothing and looks nothing up by name. Values go into per-year "bins" of the kernel columns only
//! (see [`Model::kernel_columns`]).

use crate::dist::LaneRng;
use crate::model::{columns, Context, Draw, Mode, Model, ProbSource, ProgrammeKind};
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

impl Edges {
    /// The edges of a context's rows, with zero probabilities until filled, then the self-loops.
    fn new(ctx: &Context, n_states: usize) -> Self {
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
    }
}

/// Scratch memory for simulating iterations of one model on one thread.
pub struct Workspace {
    /// The sampled parameter values of the current iteration.
    pub draws: Vec<f64>,
    /// Per-iteration output: discounted values per person, laid out `[arm][year][kernel column]`.
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
    /// The lane path's buffers; None when the model needs the general path (see [`lanes_supported`]).
    lanes: Option<Box<LaneWorkspace>>,
}

impl Workspace {
    /// After an iteration on the general path: the first computed value of an arm that is not finite, as
    /// "name = \"expression\" (field) = NaN (subgroup)", to say which expression failed.
    pub fn first_non_finite(&self, model: &Model, arm: usize) -> Option<String> {
        let groups = model.subgroups.len();
        for (g, sg) in model.subgroups.iter().enumerate() {
            let ctx = &model.contexts[arm * groups + g];
            let slots = &self.slots[arm * groups + g];
            let programs = ctx.static_programs.iter().chain(&ctx.dynamic_programs);
            if let Some((slot, _)) = programs.into_iter().find(|(slot, _)| !slots[*slot].is_finite()) {
                let group = if groups > 1 {
                    format!(" in subgroup `{}`", sg.name)
                } else {
                    String::new()
                };
                // The state whose costs or outcomes the value reaches, when a state value is what broke.
                let state = ctx
                    .static_flows
                    .iter()
                    .chain(&ctx.dynamic_flows)
                    .find(|f| !slots[f.slot].is_finite())
                    .map_or(String::new(), |f| {
                        format!(", reaching state `{}`", model.states[f.state].name)
                    });
                return Some(format!("{} = {}{state}{group}", ctx.slot_names[*slot], slots[*slot]));
            }
        }
        None
    }

    /// Allocates everything an iteration needs.
    pub fn new(model: &Model) -> Self {
        let n_states = model.states.len();
        let cycles = model.settings.cycles();
        let dt = model.settings.cycle.years();
        let edges: Vec<Edges> = model.contexts.iter().map(|ctx| Edges::new(ctx, n_states)).collect();
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
        let lanes = lanes_supported(model).then(|| Box::new(LaneWorkspace::new(model, &edges)));
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
            lanes,
        }
    }

    /// Whether [`simulate_lanes`] can run this model.
    pub fn has_lanes(&self) -> bool {
        self.lanes.is_some()
    }

    /// The per-year values of one arm from the last [`simulate_lanes`]: `years × kernel columns`, one lane per
    /// iteration.
    pub fn lane_arm_bins(&self, arm: usize) -> &[Lanes] {
        let size = self.years * self.n_columns;
        let lanes = self.lanes.as_ref().expect("lane_arm_bins needs a model with lanes");
        &lanes.bins[arm * size..(arm + 1) * size]
    }

    /// How many states the lane trace of each context follows (see `TracedStates`).
    #[cfg(test)]
    pub(crate) fn traced_state_counts(&self) -> Vec<usize> {
        let lanes = self.lanes.as_ref().expect("a model with lanes");
        lanes.traced.iter().map(|t| t.n).collect()
    }

    /// Where [`sample_parameters_lanes`] writes the block's draws for [`simulate_lanes`]: one lane per iteration.
    pub fn lane_draws_mut(&mut self) -> &mut [Lanes] {
        &mut self
            .lanes
            .as_mut()
            .expect("lane_draws_mut needs a model with lanes")
            .draws
    }

    /// Sets the block's draws for [`simulate_lanes`] from `n` (1 to [`LANES`]) rows of `draws`, row l starting at
    /// `l * stride`; lanes past `n` repeat the last row, so that they compute something finite.
    pub fn set_lane_draws(&mut self, draws: &[f64], stride: usize, n: usize) {
        assert!((1..=LANES).contains(&n), "a block has 1 to {LANES} iterations");
        for (s, v) in self.lane_draws_mut().iter_mut().enumerate() {
            for (l, x) in v.iter_mut().enumerate() {
                *x = draws[l.min(n - 1) * stride + s];
            }
        }
    }

    /// The per-year values of all arms from the last [`simulate_lanes`], laid out like [`Workspace::bins`].
    pub fn lane_bins(&self) -> &[Lanes] {
        &self.lanes.as_ref().expect("lane_bins needs a model with lanes").bins
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

/// [`sample_parameters`] for [`LANES`] iterations at once, lane l's values going to `draws[l * stride..]`: the
/// same values, bit for bit, as each iteration's own generator gives. The same values go to `lanes` as the
/// simulation reads them, one lane per iteration (see [`Workspace::lane_draws_mut`]).
///
/// Compiled for AVX2 too, like [`simulate_lanes`], with the same results.
#[multiversion::multiversion(targets("x86_64+avx2"))]
pub fn sample_parameters_lanes(
    model: &Model,
    rng: &mut LaneRng,
    draws: &mut [f64],
    stride: usize,
    lanes: &mut [Lanes],
) {
    for d in &model.draws {
        match d {
            Draw::One { slot, sampler, .. } => {
                let values = sampler.sample_lanes(rng);
                for (l, v) in values.into_iter().enumerate() {
                    draws[l * stride + slot] = v;
                }
                lanes[*slot] = values;
            }
            Draw::Dirichlet { first_slot, dirichlet } => {
                for l in 0..LANES {
                    let at = l * stride + first_slot;
                    dirichlet.sample_into(&mut rng.lane(l), &mut draws[at..at + dirichlet.len()]);
                    for (lane, v) in lanes[*first_slot..].iter_mut().zip(&draws[at..at + dirichlet.len()]) {
                        lane[l] = *v;
                    }
                }
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
    use crate::model::Payer;
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
    wave: &crate::model::Wave,
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

/// The cycles in which an annual programme cost running from `from_year` to `to_year` is paid: those starting in
/// that span (a cycle starting within 10⁻¹² years of `to_year` is outside it, against rounding in the cycle times).
fn annual_cycles(model: &Model, from_year: f64, to_year: f64) -> impl Iterator<Item = usize> {
    let dt = model.settings.cycle.years();
    (0..model.settings.cycles()).filter(move |&c| {
        let t = c as f64 * dt;
        t >= from_year - 1e-12 && t < to_year - 1e-12
    })
}

/// Which of an iteration's bins (`[arm, year, kernel column]`, as [`Workspace::arm_bins`] holds them) any flow,
/// one-off cost or programme cost of the model can write. The others are structural zeros: they stay exactly +0 in
/// every iteration (adding a finite value times a zero occupancy adds ±0, and +0 + −0 is +0), so the engine need not
/// keep them; usual care's intervention spend is one.
pub fn live_bins(model: &Model) -> Vec<bool> {
    let (years, n_cols, per_year) = (
        model.settings.horizon_years,
        model.n_kernel_columns(),
        model.settings.cycle.per_year(),
    );
    let mut live = vec![false; model.arms.len() * years * n_cols];
    let mut mark = |arm: usize, year: usize, column: usize| live[(arm * years + year) * n_cols + column] = true;
    for ctx in &model.contexts {
        let flow_columns: Vec<usize> = ctx
            .static_flows
            .iter()
            .chain(&ctx.dynamic_flows)
            .map(|f| f.column)
            .collect();
        for wave in &model.waves {
            for one in &ctx.one_offs {
                mark(ctx.arm, wave.entry_year, one.column);
            }
            // The years the wave's occupancy accrues to; every other year's occupancy stays zero.
            for &(year, _, _) in wave.boundary_weights.iter().flatten() {
                for &column in &flow_columns {
                    mark(ctx.arm, year, column);
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
                        mark(arm, c / per_year, cost.column);
                    }
                }
            }
        }
    }
    live
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
                for c in annual_cycles(model, from_year, to_year) {
                    let units = capacity.map_or(1.0, |cap| (ws.active[c] / cap - 1e-9).ceil().max(0.0));
                    let bin = arm_offset + (c / per_year) * n_cols + cost.column;
                    ws.bins[bin] += amount * dt * units * ws.calendar_cost_factor[c] * per_person;
                }
            }
        }
    }
}

pub use crate::dist::LANES;

/// One value per lane (per iteration of a block).
pub type Lanes = [f64; LANES];

const ZERO: Lanes = [0.0; LANES];

// Elementwise operations on whole lane arrays. Written over fixed-size arrays by value, they compile to vector
// instructions; the same loops as zipped slice iterators were left scalar by the optimiser.

/// acc += a · b, lane by lane (a multiply then an add, never fused, so results match the scalar path).
#[inline(always)]
fn add_product(acc: &mut Lanes, a: &Lanes, b: &Lanes) {
    let (mut x, a, b) = (*acc, *a, *b);
    for l in 0..LANES {
        x[l] += a[l] * b[l];
    }
    *acc = x;
}

/// acc += w · a, lane by lane.
#[inline(always)]
fn add_scaled(acc: &mut Lanes, w: f64, a: &Lanes) {
    let (mut x, a) = (*acc, *a);
    for l in 0..LANES {
        x[l] += w * a[l];
    }
    *acc = x;
}

/// w · a, lane by lane.
#[inline(always)]
fn scaled(w: f64, a: &Lanes) -> Lanes {
    let mut x = *a;
    for v in &mut x {
        *v *= w;
    }
    x
}

/// acc += a, lane by lane.
#[inline(always)]
pub(crate) fn add_lanes(acc: &mut Lanes, a: &Lanes) {
    let (mut x, a) = (*acc, *a);
    for l in 0..LANES {
        x[l] += a[l];
    }
    *acc = x;
}

/// Whether [`simulate_lanes`] handles `model`: a cohort trace with time-invariant values and transitions, no
/// capacity-limited programme costs and at most 8 states (the sizes the trace is compiled for).
pub fn lanes_supported(model: &Model) -> bool {
    model.settings.mode == Mode::Cohort
        && (1..=8).contains(&model.states.len())
        && model
            .contexts
            .iter()
            .all(|c| c.dynamic_programs.is_empty() && c.dynamic_flows.is_empty() && !c.dynamic_transitions)
        && model
            .programme_costs
            .iter()
            .flatten()
            .all(|c| !matches!(c.kind, ProgrammeKind::Annual { capacity: Some(_), .. }))
}

/// The nonzero cells of a context's static value matrix (state × kernel column) for a set of flows: per year, bins
/// get occupancy × value for these cells only, in state order, which adds the same terms in the same order as the
/// dense product of the general path without the structural zeros.
struct FlowCells {
    /// (state, kernel column) of each cell, sorted.
    cells: Vec<(usize, usize)>,
    /// For each static flow, its cell, or None when the flow is not in this set.
    of_flow: Vec<Option<usize>>,
}

impl FlowCells {
    /// The cells of the flows `include` picks, their states numbered as `traced` numbers them.
    fn new(ctx: &Context, traced: &TracedStates, include: impl Fn(&crate::model::Flow) -> bool) -> Self {
        let cell = |f: &crate::model::Flow| (traced.index[f.state].expect("a state with a flow is traced"), f.column);
        let mut cells: Vec<(usize, usize)> = ctx.static_flows.iter().filter(|f| include(f)).map(cell).collect();
        cells.sort_unstable();
        cells.dedup();
        let of_flow = ctx
            .static_flows
            .iter()
            .map(|f| include(f).then(|| cells.binary_search(&cell(f)).expect("collected above")))
            .collect();
        FlowCells { cells, of_flow }
    }
}

/// The states a context's lane trace follows: those some flow reads the occupancy of, and those from which mass can
/// reach them. The others, typically a "dead" state with no costs or outcomes, only take mass in and never pass it
/// on, so leaving them out changes no value: in the dense product each adds only +0 (its finite mass times a zero
/// probability) to the states kept, and nothing reads its own occupancy. A model's trace often shrinks from S to
/// S - 1 states, and its dense step from S² to (S - 1)² products.
struct TracedStates {
    /// How many states are traced (at least 1).
    n: usize,
    /// Each state's index among the traced states (kept in their order), None for states left out.
    index: Vec<Option<usize>>,
    /// The edges between traced states, as (edge index, from, to) in traced indices, in edge order.
    edges: Vec<(usize, usize, usize)>,
    /// The starting entries into traced states, as (entry index, traced state), in entry order.
    start: Vec<(usize, usize)>,
}

impl TracedStates {
    fn new(ctx: &Context, edges: &Edges, n_states: usize) -> Self {
        let mut traced: Vec<bool> = (0..n_states)
            .map(|s| ctx.static_flows.iter().any(|f| f.state == s))
            .collect();
        // Add states from which mass reaches a traced state, until none is left to add.
        let mut grew = true;
        while grew {
            grew = false;
            for &(from, to) in &edges.pairs {
                if traced[to] && !traced[from] {
                    traced[from] = true;
                    grew = true;
                }
            }
        }
        if !traced.contains(&true) {
            // No flow reads any occupancy: trace one state, so that the trace has a size.
            traced[0] = true;
        }
        let mut n = 0;
        let index: Vec<Option<usize>> = traced
            .iter()
            .map(|&t| {
                t.then(|| {
                    n += 1;
                    n - 1
                })
            })
            .collect();
        let edges = (edges.pairs.iter().enumerate())
            .filter_map(|(e, &(from, to))| Some((e, index[from]?, index[to]?)))
            .collect();
        let start = (ctx.start.entries.iter().enumerate())
            .filter_map(|(e, (to, _))| Some((e, index[*to]?)))
            .collect();
        TracedStates { n, index, edges, start }
    }
}

/// Where the lane path reads a context's per-iteration values: indices into its `slots`, whose values are copied
/// into lanes once per block after the programs have run.
struct LaneSources {
    /// The slots read.
    slots: Vec<usize>,
    /// Per entry of the starting row and of the rows (in edge order): its index in `slots`, None for the remainder.
    start: Vec<Option<usize>>,
    rows: Vec<Option<usize>>,
    /// Per static flow and per one-off cost: its index in `slots`.
    flows: Vec<usize>,
    one_offs: Vec<usize>,
}

impl LaneSources {
    fn new(ctx: &Context) -> Self {
        let mut slots = Vec::new();
        let mut index = |slot: usize| match slots.iter().position(|&s| s == slot) {
            Some(i) => i,
            None => {
                slots.push(slot);
                slots.len() - 1
            }
        };
        let mut source = |src: &ProbSource| match src {
            ProbSource::Slot(s) => Some(index(*s)),
            ProbSource::Remainder => None,
        };
        let start = ctx.start.entries.iter().map(|(_, src)| source(src)).collect();
        let rows = ctx
            .rows
            .iter()
            .flat_map(|r| &r.entries)
            .map(|(_, src)| source(src))
            .collect();
        let flows = ctx.static_flows.iter().map(|f| index(f.slot)).collect();
        let one_offs = ctx.one_offs.iter().map(|o| index(o.slot)).collect();
        LaneSources {
            slots,
            start,
            rows,
            flows,
            one_offs,
        }
    }
}

/// A wave's accrual entries as the lane trace reads them: one list, so that each entry is one load of a few words.
struct LaneAccrual {
    /// Per entry of the wave's `weights_flat`: the calendar year, the cost and outcome weights, and whether the
    /// entry is the first to reach its year, and so writes that year's occupancy instead of adding to it (which
    /// saves clearing the occupancy: 0 + x is x). No entry is first when `clear` is set.
    entries: Vec<(usize, f64, f64, bool)>,
    /// Whether some year of the wave is reached by no entry, so the occupancy must be cleared after all.
    clear: bool,
}

impl LaneAccrual {
    fn new(wave: &crate::model::Wave, years: usize) -> Self {
        let mut seen = vec![false; years];
        let first: Vec<bool> = (wave.weights_flat.iter())
            .map(|&(y, _, _)| !std::mem::replace(&mut seen[y], true))
            .collect();
        let clear = seen[wave.entry_year..].iter().any(|s| !s);
        let entries = (wave.weights_flat.iter().zip(first))
            .map(|(&(y, w_cost, w_outcome), first)| (y, w_cost, w_outcome, first && !clear))
            .collect();
        LaneAccrual { entries, clear }
    }
}

/// Buffers of the lane path, every value one lane per iteration of the block.
struct LaneWorkspace {
    /// The block's sampled parameters.
    draws: Vec<Lanes>,
    /// Per context: where its per-iteration values come from.
    sources: Vec<LaneSources>,
    /// Values of the current context's source slots.
    slot_values: Vec<Lanes>,
    /// Per context: the states its trace follows.
    traced: Vec<TracedStates>,
    /// Per context: all its slots, one lane per iteration of the block (constants written once, at creation).
    lane_slots: Vec<Vec<Lanes>>,
    /// Per context: cells of all static flows (waves with one discounting), and of cost and outcome flows apart.
    cells: Vec<[FlowCells; 3]>,
    /// Per wave: its accrual entries as the lane trace reads them.
    accruals: Vec<LaneAccrual>,
    /// Per-iteration inputs of the current context: starting shares, edge probabilities, static flow values,
    /// one-off amounts.
    start: Vec<Lanes>,
    edges: Vec<Lanes>,
    flows: Vec<Lanes>,
    one_offs: Vec<Lanes>,
    /// Values of the cells of the current flow set.
    values: Vec<Lanes>,
    /// Programme cost amounts of the current arm.
    amounts: Vec<Lanes>,
    occupancy_cost: Vec<Lanes>,
    occupancy_outcome: Vec<Lanes>,
    /// Per-year values, laid out `[arm][year][kernel column]` like [`Workspace::bins`].
    bins: Vec<Lanes>,
}

impl LaneWorkspace {
    /// The lane buffers of `model`, whose contexts have the edges `edges`.
    fn new(model: &Model, edges: &[Edges]) -> Self {
        let n_states = model.states.len();
        let years = model.settings.horizon_years;
        let most = |f: &dyn Fn(&Context) -> usize| model.contexts.iter().map(f).max().unwrap_or(0);
        let sources: Vec<LaneSources> = model.contexts.iter().map(LaneSources::new).collect();
        let traced: Vec<TracedStates> = (model.contexts.iter().zip(edges))
            .map(|(ctx, edges)| TracedStates::new(ctx, edges, n_states))
            .collect();
        LaneWorkspace {
            draws: vec![ZERO; model.n_draws],
            slot_values: vec![ZERO; sources.iter().map(|s| s.slots.len()).max().unwrap_or(0)],
            lane_slots: model
                .contexts
                .iter()
                .map(|ctx| {
                    let mut slots = vec![ZERO; ctx.n_slots];
                    for &(slot, value) in &ctx.constants {
                        slots[slot] = [value; LANES];
                    }
                    slots
                })
                .collect(),
            sources,
            cells: (model.contexts.iter().zip(&traced))
                .map(|(ctx, traced)| {
                    [
                        FlowCells::new(ctx, traced, |_| true),
                        FlowCells::new(ctx, traced, |f| f.is_cost),
                        FlowCells::new(ctx, traced, |f| !f.is_cost),
                    ]
                })
                .collect(),
            traced,
            accruals: model.waves.iter().map(|wave| LaneAccrual::new(wave, years)).collect(),
            start: vec![ZERO; n_states],
            edges: vec![ZERO; most(&|c| c.rows.iter().map(|r| r.entries.len()).sum::<usize>() + n_states)],
            flows: vec![ZERO; most(&|c| c.static_flows.len())],
            one_offs: vec![ZERO; most(&|c| c.one_offs.len())],
            values: vec![ZERO; most(&|c| c.static_flows.len())],
            amounts: vec![ZERO; model.programme_costs.iter().map(Vec::len).max().unwrap_or(0)],
            occupancy_cost: vec![ZERO; years * n_states],
            occupancy_outcome: vec![ZERO; years * n_states],
            bins: vec![ZERO; model.arms.len() * years * model.n_kernel_columns()],
        }
    }
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
    for (arm, programme_slots) in programme_slots.iter_mut().enumerate() {
        for (g, sg) in model.subgroups.iter().enumerate() {
            let ci = arm * model.subgroups.len() + g;
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
                1 => waves_lanes::<1>(model, ctx, sg.share, lw, ci, arm, n_cols),
                2 => waves_lanes::<2>(model, ctx, sg.share, lw, ci, arm, n_cols),
                3 => waves_lanes::<3>(model, ctx, sg.share, lw, ci, arm, n_cols),
                4 => waves_lanes::<4>(model, ctx, sg.share, lw, ci, arm, n_cols),
                5 => waves_lanes::<5>(model, ctx, sg.share, lw, ci, arm, n_cols),
                6 => waves_lanes::<6>(model, ctx, sg.share, lw, ci, arm, n_cols),
                7 => waves_lanes::<7>(model, ctx, sg.share, lw, ci, arm, n_cols),
                8 => waves_lanes::<8>(model, ctx, sg.share, lw, ci, arm, n_cols),
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
    let size = model.settings.horizon_years * n_cols;
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
        let entry_bin = wave.entry_year * n_cols;
        for (one, v) in ctx.one_offs.iter().zip(&lw.one_offs) {
            for (b, v) in bins[entry_bin + one.column].iter_mut().zip(v) {
                *b += weight * v * wave.entry_cost_factor;
            }
        }
        let first_year = wave.entry_year;
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
        // As in the general path: one pass over all flows when costs and outcomes share their discounting,
        // else costs with the cost-weighted occupancy and outcomes with the outcome-weighted one.
        let [all, cost, outcome] = &lw.cells[ci];
        let separate = [(cost, &lw.occupancy_cost), (outcome, &lw.occupancy_outcome)];
        let sets: &[_] = if wave.same_weights {
            &[(all, &lw.occupancy_cost)]
        } else {
            &separate
        };
        for (cells, occupancy) in sets {
            let values = &mut lw.values[..cells.cells.len()];
            values.fill(ZERO);
            for (cell, v) in cells.of_flow.iter().zip(&lw.flows) {
                if let Some(c) = cell {
                    add_lanes(&mut values[*c], v);
                }
            }
            add_static_flows_lanes::<S>(occupancy, &cells.cells, values, bins, first_year, n_cols);
        }
    }
}

/// [`row_probabilities`] on lanes: the same checks and arithmetic, lane by lane, `sources` giving each entry's index
/// in `values` (None for the remainder). Returns false when any lane fails a check.
#[inline(always)]
fn row_probabilities_lanes(
    rows: &[crate::model::Row],
    sources: &[Option<usize>],
    values: &[Lanes],
    out: &mut [Lanes],
) -> bool {
    const TOLERANCE: f64 = 1e-9;
    let mut ok = true;
    let mut e = 0;
    for row in rows {
        let mut sum = ZERO;
        let mut remainder = None;
        for _ in &row.entries {
            match sources[e] {
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

/// [`programme_costs`] on lanes (no capacity limits: [`lanes_supported`] excludes them).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn programme_costs_lanes(
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
    let years = model.settings.horizon_years;
    let bins = &mut lw.bins[arm * years * n_cols..(arm + 1) * years * n_cols];
    let per_year = model.settings.cycle.per_year();
    let dt = model.settings.cycle.years();
    let per_person = 1.0 / model.cohort_size as f64;
    for (cost, amount) in costs.iter().zip(&lw.amounts) {
        match cost.kind {
            ProgrammeKind::Setup => {
                for (b, a) in bins[cost.column].iter_mut().zip(amount) {
                    *b += a * per_person;
                }
            }
            ProgrammeKind::Annual { from_year, to_year, .. } => {
                for c in annual_cycles(model, from_year, to_year) {
                    let units = 1.0;
                    for (b, a) in bins[(c / per_year) * n_cols + cost.column].iter_mut().zip(amount) {
                        *b += a * dt * units * calendar_cost_factor[c] * per_person;
                    }
                }
            }
        }
    }
}
