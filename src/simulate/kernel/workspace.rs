//! The scratch memory of one thread: the workspace an iteration runs in (draws, per-year bins, slots, the trace's
//! buffers, the lane path's buffers) and the flat transition arrays it is built around.

use super::lane_workspace::LaneWorkspace;
use super::lanes::lanes_supported;
use super::sparse::{TracePlan, WaveAccrual};
#[cfg(doc)]
use super::{sample_parameters_lanes, simulate_lanes};
use super::{Lanes, LANES};
use crate::model::{Context, Model};

/// The transitions of one context as flat arrays: entry e moves `probs[e]` of state `pairs[e].0` to `pairs[e].1`.
/// Row entries come first (in row order, as `row_probabilities` fills them), then one self-loop per state that has
/// no row, with probability 1.
pub(super) struct Edges {
    pub(super) pairs: Vec<(usize, usize)>,
    pub(super) probs: Vec<f64>,
    /// The same edges grouped by destination: for state s, `incoming[incoming_start[s]..incoming_start[s + 1]]` are
    /// (origin, edge index) pairs. The cohort step sums each destination in a register instead of scattering
    /// additions into memory, whose store-to-load chains were the slowest part of the trace.
    pub(super) incoming: Vec<(usize, usize)>,
    pub(super) incoming_start: Vec<usize>,
}

impl Edges {
    /// The edges of a context's rows, with zero probabilities until filled, then the self-loops.
    pub(super) fn new(ctx: &Context, n_states: usize) -> Self {
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
    pub(super) slots: Vec<Vec<f64>>,
    pub(super) programme_slots: Vec<Vec<f64>>,
    pub(super) edges: Vec<Edges>,
    /// Per context: how its trace follows its states (both paths).
    pub(super) plans: Vec<TracePlan>,
    /// Per wave: its accrual entries as the trace reads them (both paths).
    pub(super) accruals: Vec<WaveAccrual>,
    /// Whether the general path traces contexts whose rows and values are fixed in time with the sparse trace (always,
    /// but for tests that compare it with the boundary-by-boundary loop, which it replaced there).
    pub(crate) sparse_trace: bool,
    /// The general path's sparse trace: its step's probabilities in the order it sums them, the static flows' values
    /// and the values of their cells.
    pub(super) steps: Vec<f64>,
    pub(super) flow_values: Vec<f64>,
    pub(super) cell_values: Vec<f64>,
    pub(super) start_probs: Vec<f64>,
    pub(super) mass: Vec<f64>,
    pub(super) next: Vec<f64>,
    /// Per calendar year × state: occupancy weighted by accrual and cost (or outcome) discounting.
    pub(super) occupancy_cost: Vec<f64>,
    pub(super) occupancy_outcome: Vec<f64>,
    /// Per-cycle values of the static flows as state × kernel column matrices (costs, and outcomes when their
    /// discounting differs).
    pub(super) values_cost: Vec<f64>,
    pub(super) values_outcome: Vec<f64>,
    /// People in the served states at each calendar boundary, for capacity-limited programme costs.
    pub(super) active: Vec<f64>,
    /// Cost discount factor at each calendar boundary, for programme costs.
    pub(super) calendar_cost_factor: Vec<f64>,
    /// Individual mode: people in each context (of an arm) × wave cell.
    pub(super) cell_counts: Vec<Vec<u64>>,
    pub(super) n_columns: usize,
    pub(super) years: usize,
    /// The lane path's buffers; None when the model needs the general path (see [`lanes_supported`]).
    pub(super) lanes: Option<Box<LaneWorkspace>>,
}

impl Workspace {
    /// After an iteration on the general path: the first computed value of an arm that is not finite, as
    /// "name = \"expression\" (field) = NaN (subgroup)", to say which expression failed.
    pub fn first_non_finite(&self, model: &Model, arm: usize) -> Option<String> {
        let groups = model.subgroups.len();
        let per_arm = model.contexts_per_arm();
        for c in 0..per_arm {
            let ctx = &model.contexts[arm * per_arm + c];
            let slots = &self.slots[arm * per_arm + c];
            // Static values, then those that change with time (computed before sampling or not) in slot order.
            let mut moving: Vec<usize> = ctx.dynamic_programs.iter().map(|p| p.0).collect();
            moving.extend(&ctx.series.slots);
            moving.sort_unstable();
            let mut computed = ctx.static_programs.iter().map(|p| p.0).chain(moving);
            if let Some(slot) = computed.find(|slot| !slots[*slot].is_finite()) {
                let mut place: Vec<String> = Vec::new();
                if groups > 1 {
                    place.push(format!("subgroup `{}`", model.subgroups[ctx.subgroup].name));
                }
                let stratum = model.strata[ctx.stratum].describe();
                if !stratum.is_empty() {
                    place.push(format!("people of {stratum} at entry"));
                }
                let group = if place.is_empty() {
                    String::new()
                } else {
                    format!(" in {}", place.join(", "))
                };
                // The state whose costs or outcomes the value reaches, when a state value is what broke.
                let state = ctx
                    .static_flows
                    .iter()
                    .chain(&ctx.dynamic_flows)
                    .chain(&ctx.own_accrual_flows)
                    .find(|f| !slots[f.slot].is_finite())
                    .map_or(String::new(), |f| {
                        format!(", reaching state `{}`", model.states[f.state].name)
                    });
                return Some(format!("{} = {}{state}{group}", ctx.slot_names[slot], slots[slot]));
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
        let plans = TracePlan::all(model, &edges);
        let lanes = lanes_supported(model).then(|| Box::new(LaneWorkspace::new(model, &edges, &plans)));
        let most_flows = model.contexts.iter().map(|c| c.static_flows.len()).max().unwrap_or(0);
        Workspace {
            draws: vec![0.0; model.n_draws],
            bins: vec![0.0; model.arms.len() * model.settings.bins() * n_columns],
            slots,
            programme_slots,
            edges,
            steps: vec![0.0; plans.iter().map(|p| p.fixed.edges.len()).max().unwrap_or(0)],
            plans,
            accruals: WaveAccrual::all(model),
            sparse_trace: true,
            flow_values: vec![0.0; most_flows],
            cell_values: vec![0.0; most_flows],
            start_probs: vec![0.0; n_states],
            mass: vec![0.0; n_states],
            next: vec![0.0; n_states],
            occupancy_cost: vec![0.0; model.settings.bins() * n_states],
            occupancy_outcome: vec![0.0; model.settings.bins() * n_states],
            values_cost: vec![0.0; n_states * n_columns],
            values_outcome: vec![0.0; n_states * n_columns],
            active: vec![0.0; cycles + 1],
            calendar_cost_factor,
            cell_counts: cell_counts(model),
            n_columns,
            years: model.settings.bins(),
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

    /// How many states the trace of each context follows (see `TracePlan`).
    #[cfg(test)]
    pub(crate) fn traced_state_counts(&self) -> Vec<usize> {
        self.plans.iter().map(|p| p.n).collect()
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

/// Splits the cohort into cells of each context (subgroup × stratum) and entry wave by largest remainder, so the counts
/// add up exactly.
fn cell_counts(model: &Model) -> Vec<Vec<u64>> {
    let n = model.cohort_size;
    let mut cells = Vec::new();
    let per_arm = model.contexts_per_arm();
    // The first arm's contexts: every arm splits the cohort alike.
    for (g, ctx) in model.contexts[..per_arm].iter().enumerate() {
        for (w, wave) in model.waves.iter().enumerate() {
            let exact = n as f64 * ctx.share * wave.share;
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
    let mut out = vec![vec![0; model.waves.len()]; per_arm];
    for (g, w, count, _) in cells {
        out[g][w] = count;
    }
    out
}
