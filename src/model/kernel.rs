//! One PSA iteration: evaluate the model's programs for the sampled parameters and run every arm over the horizon.
//!
//! This is the hot path. Everything it needs is laid out as index arrays when the workspace is built; per iteration
//! it allocates nothing and looks nothing up by name.

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

/// Scratch memory for simulating iterations of one model on one thread.
pub struct Workspace {
    /// The sampled parameter values of the current iteration.
    pub draws: Vec<f64>,
    /// Per-iteration output: discounted values per person, laid out [arm][year][column].
    pub bins: Vec<f64>,
    slots: Vec<Vec<f64>>,
    programme_slots: Vec<Vec<f64>>,
    /// Per context: probabilities of the transition entries, row after row.
    probs: Vec<Vec<f64>>,
    start_probs: Vec<f64>,
    mass: Vec<f64>,
    next: Vec<f64>,
    /// Per calendar year × state: occupancy weighted by accrual and cost (or outcome) discounting.
    occupancy_cost: Vec<f64>,
    occupancy_outcome: Vec<f64>,
    /// Per context: states with no row, whose occupants stay where they are.
    stay: Vec<Vec<usize>>,
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
        let stay = model
            .contexts
            .iter()
            .map(|ctx| (0..n_states).filter(|s| !ctx.rows.iter().any(|r| r.from == *s)).collect())
            .collect();
        let probs = model.contexts.iter().map(|ctx| vec![0.0; ctx.rows.iter().map(|r| r.entries.len()).sum()]).collect();
        let calendar_cost_factor = (0..=cycles)
            .map(|c| model.settings.discount_costs.factor(c as f64 * dt, model.settings.discounting))
            .collect();
        let mut slots: Vec<Vec<f64>> = model.contexts.iter().map(|c| vec![0.0; c.n_slots]).collect();
        let mut programme_slots: Vec<Vec<f64>> = model.programme_contexts.iter().map(|c| vec![0.0; c.n_slots]).collect();
        // Constants never change, so they are written once here rather than every iteration.
        for (ctx, s) in model.contexts.iter().chain(&model.programme_contexts).zip(slots.iter_mut().chain(programme_slots.iter_mut())) {
            for &(slot, value) in &ctx.constants {
                s[slot] = value;
            }
        }
        Workspace {
            draws: vec![0.0; model.n_draws],
            bins: vec![0.0; model.arms.len() * model.settings.horizon_years * model.n_columns()],
            slots,
            programme_slots,
            probs,
            start_probs: vec![0.0; n_states],
            mass: vec![0.0; n_states],
            next: vec![0.0; n_states],
            occupancy_cost: vec![0.0; model.settings.horizon_years * n_states],
            occupancy_outcome: vec![0.0; model.settings.horizon_years * n_states],
            stay,
            active: vec![0.0; cycles + 1],
            calendar_cost_factor,
            cell_counts: cell_counts(model),
            n_columns: model.n_columns(),
            years: model.settings.horizon_years,
        }
    }

    /// The per-year values of one arm: `years × columns`, row-major.
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
            Draw::Dirichlet { first_slot, dirichlet } => dirichlet.sample_into(rng, &mut draws[*first_slot..*first_slot + dirichlet.len()]),
        }
    }
}

/// Simulates every arm for the parameter values in `ws.draws`, writing per-year values into `ws.bins`.
///
/// `rng` is used only in individual mode; each arm restarts from the same generator state (common random numbers).
pub fn simulate_iteration<R: Rng + Clone>(model: &Model, ws: &mut Workspace, rng: &R) -> Result<(), IterationFailure> {
    ws.bins.iter_mut().for_each(|b| *b = 0.0);
    for arm in 0..model.arms.len() {
        let mut arm_rng = rng.clone();
        simulate_arm(model, ws, arm, &mut arm_rng)?;
    }
    if let Some(i) = ws.bins.iter().position(|v| !v.is_finite()) {
        let per_arm = model.settings.horizon_years * model.n_columns();
        let (arm, rest) = (i / per_arm, i % per_arm);
        let (year, column) = (rest / model.n_columns(), rest % model.n_columns());
        return Err(IterationFailure { arm, message: format!("{} in year {} is {} (not a finite number): an expression divides by zero, takes the log of a non-positive number, or overflows for these parameter values", column_name(model, column), year + 1, ws.bins[i]) });
    }
    Ok(())
}

/// A readable name of a value column.
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
    let n_cols = model.n_columns();
    let arm_offset = arm * settings.horizon_years * n_cols;
    let individual = settings.mode == Mode::Individual;
    let cohort_size = model.cohort_size as f64;
    // Individual mode counts people; dividing by the cohort size turns counts into values per person.
    let scale = if individual { 1.0 / cohort_size } else { 1.0 };
    let track_active = model.programme_costs[arm].iter().any(|c| matches!(c.kind, ProgrammeKind::Annual { capacity: Some(_), .. }));
    if track_active {
        ws.active.iter_mut().for_each(|a| *a = 0.0);
    }
    let n_draws = model.n_draws;

    for (g, sg) in model.subgroups.iter().enumerate() {
        let ci = arm * model.subgroups.len() + g;
        let ctx = &model.contexts[ci];
        let slots = &mut ws.slots[ci];
        slots[..n_draws].copy_from_slice(&ws.draws);
        set_time(slots, n_draws, 0, 0.0, 0.0);
        for (slot, program) in &ctx.static_programs {
            slots[*slot] = program.eval(slots);
        }
        row_probabilities(model, ctx, std::slice::from_ref(&ctx.start), slots, &mut ws.start_probs[..ctx.start.entries.len()], arm)?;
        if !ctx.dynamic_transitions {
            row_probabilities(model, ctx, &ctx.rows, slots, &mut ws.probs[ci], arm)?;
        }

        for (w, wave) in model.waves.iter().enumerate() {
            let offset = wave.entry_year * per_year;
            // Starting occupancy: expected shares, or a multinomial draw of the cell's people.
            ws.mass.iter_mut().for_each(|m| *m = 0.0);
            let entrants = if individual {
                let n = ws.cell_counts[g][w];
                multinomial(rng, n, &ctx.start.entries, &ws.start_probs, &mut ws.mass);
                n as f64
            } else {
                let weight = sg.share * wave.share;
                for (e, (to, _)) in ctx.start.entries.iter().enumerate() {
                    ws.mass[*to] += weight * ws.start_probs[e];
                }
                weight
            };
            let entry_bin = arm_offset + wave.entry_year * n_cols;
            for one in &ctx.one_offs {
                ws.bins[entry_bin + one.column] += entrants * scale * slots[one.slot] * wave.entry_cost_factor;
            }

            // Discounted, accrual-weighted occupancy per calendar year, for flows whose values do not change with
            // time: their contribution is occupancy · value once per year instead of once per boundary.
            let n_states = ws.mass.len();
            let first_year = wave.entry_year;
            ws.occupancy_cost[first_year * n_states..].iter_mut().for_each(|o| *o = 0.0);
            ws.occupancy_outcome[first_year * n_states..].iter_mut().for_each(|o| *o = 0.0);
            for k in 0..=wave.cycles {
                if !ctx.dynamic_programs.is_empty() {
                    set_time(slots, n_draws, k, k as f64 * dt, (offset + k) as f64 * dt);
                    for (slot, program) in &ctx.dynamic_programs {
                        slots[*slot] = program.eval(slots);
                    }
                }
                for &(year, w_cost, w_outcome) in &wave.boundary_weights[k] {
                    let range = year * n_states..(year + 1) * n_states;
                    for (o, m) in ws.occupancy_cost[range.clone()].iter_mut().zip(&ws.mass) {
                        *o += w_cost * m;
                    }
                    for (o, m) in ws.occupancy_outcome[range].iter_mut().zip(&ws.mass) {
                        *o += w_outcome * m;
                    }
                    let bin = arm_offset + year * n_cols;
                    for f in &ctx.dynamic_flows {
                        let w = if f.column < columns::COST_COLUMNS { w_cost } else { w_outcome };
                        ws.bins[bin + f.column] += w * ws.mass[f.state] * slots[f.slot] * f.factor * scale;
                    }
                }
                if track_active {
                    let people: f64 = model.served_states[arm].iter().map(|&s| ws.mass[s]).sum();
                    ws.active[offset + k] += if individual { people } else { people * cohort_size };
                }
                if k == wave.cycles {
                    break;
                }
                if ctx.dynamic_transitions {
                    row_probabilities(model, ctx, &ctx.rows, slots, &mut ws.probs[ci], arm)?;
                }
                step(ctx, &ws.stay[ci], &ws.probs[ci], &ws.mass, &mut ws.next, individual, rng);
                std::mem::swap(&mut ws.mass, &mut ws.next);
            }
            for f in &ctx.static_flows {
                let value = slots[f.slot] * f.factor * scale;
                let occupancy = if f.column < columns::COST_COLUMNS { &ws.occupancy_cost } else { &ws.occupancy_outcome };
                for year in first_year..model.settings.horizon_years {
                    ws.bins[arm_offset + year * n_cols + f.column] += value * occupancy[year * n_states + f.state];
                }
            }
        }
    }

    programme_costs(model, ws, arm, arm_offset);
    Ok(())
}

fn set_time(slots: &mut [f64], n_draws: usize, cycle: usize, t: f64, calendar_t: f64) {
    slots[n_draws] = cycle as f64;
    slots[n_draws + 1] = t;
    slots[n_draws + 2] = calendar_t;
}

/// Advances the occupancy one cycle: expected flows in cohort mode, multinomial draws in individual mode.
fn step<R: Rng>(ctx: &Context, stay: &[usize], probs: &[f64], mass: &[f64], next: &mut [f64], individual: bool, rng: &mut R) {
    next.iter_mut().for_each(|m| *m = 0.0);
    for &s in stay {
        next[s] += mass[s];
    }
    let mut e = 0;
    for row in &ctx.rows {
        let m = mass[row.from];
        let n_entries = row.entries.len();
        if individual {
            multinomial(rng, m as u64, &row.entries, &probs[e..e + n_entries], next);
        } else {
            for (i, (to, _)) in row.entries.iter().enumerate() {
                next[*to] += m * probs[e + i];
            }
        }
        e += n_entries;
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
fn row_probabilities(model: &Model, ctx: &Context, rows: &[super::Row], slots: &[f64], out: &mut [f64], arm: usize) -> Result<(), IterationFailure> {
    const TOLERANCE: f64 = 1e-9;
    let mut e = 0;
    for row in rows {
        let first = e;
        let mut sum = 0.0;
        let mut remainder = None;
        for (to, src) in &row.entries {
            match src {
                ProbSource::Slot(s) => {
                    let p = slots[*s];
                    if !(-TOLERANCE..=1.0 + TOLERANCE).contains(&p) {
                        return Err(IterationFailure { arm, message: format!("{} = {p} is not a probability (0 to 1)", ctx.slot_names[*s]) });
                    }
                    out[e] = p.clamp(0.0, 1.0);
                    sum += out[e];
                }
                ProbSource::Remainder => remainder = Some((e, *to)),
            }
            e += 1;
        }
        let from = if row.from == usize::MAX { "the starting distribution".to_string() } else { format!("the row of `{}`", model.states[row.from].name) };
        match remainder {
            Some((slot, _)) if sum <= 1.0 + TOLERANCE => out[slot] = (1.0 - sum).max(0.0),
            Some(_) => return Err(IterationFailure { arm, message: format!("probabilities in {from} sum to {sum}, above 1, so the remainder would be negative") }),
            None if (sum - 1.0).abs() > 1e-6 => return Err(IterationFailure { arm, message: format!("probabilities in {from} sum to {sum}, not 1, and the row has no \"remainder\" entry") }),
            None => {}
        }
        debug_assert!(e - first == row.entries.len());
    }
    Ok(())
}

/// Adds the arm's programme-level costs (set-up and annual), per person of the cohort.
fn programme_costs(model: &Model, ws: &mut Workspace, arm: usize, arm_offset: usize) {
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
    let n_cols = model.n_columns();
    let per_year = model.settings.cycle.per_year();
    let dt = model.settings.cycle.years();
    let per_person = 1.0 / model.cohort_size as f64;
    for cost in costs {
        let amount = slots[cost.slot];
        match cost.kind {
            ProgrammeKind::Setup => ws.bins[arm_offset + cost.column] += amount * per_person,
            ProgrammeKind::Annual { from_year, to_year, capacity } => {
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
