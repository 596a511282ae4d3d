//! The lane path's buffers, laid out once per model: the states each context's trace follows, where its
//! per-iteration values come from, the nonzero cells of its value matrices, and each wave's accrual entries.

use super::lane_ops::{Lanes, ZERO};
use super::workspace::Edges;
#[cfg(doc)]
use super::Workspace;
use super::LANES;
use crate::model::{Context, Model, ProbSource};

/// The nonzero cells of a context's static value matrix (state × kernel column) for a set of flows: per year, bins
/// get occupancy × value for these cells only, in state order, which adds the same terms in the same order as the
/// dense product of the general path without the structural zeros.
pub(super) struct FlowCells {
    /// (state, kernel column) of each cell, sorted.
    pub(super) cells: Vec<(usize, usize)>,
    /// For each static flow, its cell, or None when the flow is not in this set.
    pub(super) of_flow: Vec<Option<usize>>,
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
pub(super) struct TracedStates {
    /// How many states are traced (at least 1).
    pub(super) n: usize,
    /// Each state's index among the traced states (kept in their order), None for states left out.
    index: Vec<Option<usize>>,
    /// The edges between traced states, as (edge index, from, to) in traced indices, in edge order.
    pub(super) edges: Vec<(usize, usize, usize)>,
    /// The starting entries into traced states, as (entry index, traced state), in entry order.
    pub(super) start: Vec<(usize, usize)>,
    /// How many edges the context has, self-loops included.
    pub(super) n_edges: usize,
    /// The edges into each traced state, as the general path's step sums them (see `Edges::incoming`): for traced
    /// state s, `incoming[incoming_start[s]..incoming_start[s + 1]]` are (traced origin, edge index) pairs.
    pub(super) incoming: Vec<(usize, usize)>,
    pub(super) incoming_start: Vec<usize>,
    /// The traced state of each dynamic flow and each flow with an accrual of its own, in flow order.
    pub(super) dynamic_flow_states: Vec<usize>,
    pub(super) own_flow_states: Vec<usize>,
}

impl TracedStates {
    fn new(ctx: &Context, edges: &Edges, n_states: usize) -> Self {
        let flows = || {
            ctx.static_flows
                .iter()
                .chain(&ctx.dynamic_flows)
                .chain(&ctx.own_accrual_flows)
        };
        let mut traced: Vec<bool> = (0..n_states).map(|s| flows().any(|f| f.state == s)).collect();
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
        let traced_edges: Vec<(usize, usize, usize)> = (edges.pairs.iter().enumerate())
            .filter_map(|(e, &(from, to))| Some((e, index[from]?, index[to]?)))
            .collect();
        let start = (ctx.start.entries.iter().enumerate())
            .filter_map(|(e, (to, _))| Some((e, index[*to]?)))
            .collect();
        let mut incoming = Vec::new();
        let mut incoming_start = vec![0];
        for to in 0..n {
            incoming.extend(traced_edges.iter().filter(|e| e.2 == to).map(|&(e, from, _)| (from, e)));
            incoming_start.push(incoming.len());
        }
        let state_of = |f: &crate::model::Flow| index[f.state].expect("a state with a flow is traced");
        TracedStates {
            n,
            edges: traced_edges,
            start,
            n_edges: edges.pairs.len(),
            incoming,
            incoming_start,
            dynamic_flow_states: ctx.dynamic_flows.iter().map(state_of).collect(),
            own_flow_states: ctx.own_accrual_flows.iter().map(state_of).collect(),
            index,
        }
    }
}

/// Where the lane path reads a context's per-iteration values: indices into its `slots`, whose values are copied
/// into lanes once per block after the programs have run.
pub(super) struct LaneSources {
    /// The slots read.
    pub(super) slots: Vec<usize>,
    /// Per entry of the starting row and of the rows (in edge order): its index in `slots`, None for the remainder.
    pub(super) start: Vec<Option<usize>>,
    pub(super) rows: Vec<Option<usize>>,
    /// Per static flow and per one-off cost: its index in `slots`.
    pub(super) flows: Vec<usize>,
    pub(super) one_offs: Vec<usize>,
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
pub(super) struct LaneAccrual {
    /// Per entry of the wave's `weights_flat`: the calendar year, the cost and outcome weights, and whether the
    /// entry is the first to reach its year, and so writes that year's occupancy instead of adding to it (which
    /// saves clearing the occupancy: 0 + x is x). No entry is first when `clear` is set.
    pub(super) entries: Vec<(usize, f64, f64, bool)>,
    /// Whether some year of the wave is reached by no entry, so the occupancy must be cleared after all.
    pub(super) clear: bool,
}

impl LaneAccrual {
    fn new(wave: &crate::model::Wave, years: usize) -> Self {
        let mut seen = vec![false; years];
        let first: Vec<bool> = (wave.weights_flat.iter())
            .map(|&(y, _, _)| !std::mem::replace(&mut seen[y], true))
            .collect();
        let clear = seen[wave.entry_bin..].iter().any(|s| !s);
        let entries = (wave.weights_flat.iter().zip(first))
            .map(|(&(y, w_cost, w_outcome), first)| (y, w_cost, w_outcome, first && !clear))
            .collect();
        LaneAccrual { entries, clear }
    }
}

/// Buffers of the lane path, every value one lane per iteration of the block.
pub(super) struct LaneWorkspace {
    /// The block's sampled parameters.
    pub(super) draws: Vec<Lanes>,
    /// Per context: where its per-iteration values come from.
    pub(super) sources: Vec<LaneSources>,
    /// Values of the current context's source slots.
    pub(super) slot_values: Vec<Lanes>,
    /// Per context: the states its trace follows.
    pub(super) traced: Vec<TracedStates>,
    /// Per context: all its slots, one lane per iteration of the block (constants written once, at creation).
    pub(super) lane_slots: Vec<Vec<Lanes>>,
    /// Per context: cells of all static flows (waves with one discounting), and of cost and outcome flows apart.
    pub(super) cells: Vec<[FlowCells; 3]>,
    /// Per wave: its accrual entries as the lane trace reads them.
    pub(super) accruals: Vec<LaneAccrual>,
    /// Per-iteration inputs of the current context: starting shares, edge probabilities, static flow values,
    /// one-off amounts.
    pub(super) start: Vec<Lanes>,
    pub(super) edges: Vec<Lanes>,
    pub(super) flows: Vec<Lanes>,
    pub(super) one_offs: Vec<Lanes>,
    /// Values of the cells of the current flow set.
    pub(super) values: Vec<Lanes>,
    /// Programme cost amounts of the current arm.
    pub(super) amounts: Vec<Lanes>,
    pub(super) occupancy_cost: Vec<Lanes>,
    pub(super) occupancy_outcome: Vec<Lanes>,
    /// Per-year values, laid out `[arm][year][kernel column]` like [`Workspace::bins`].
    pub(super) bins: Vec<Lanes>,
}

impl LaneWorkspace {
    /// The lane buffers of `model`, whose contexts have the edges `edges`.
    pub(super) fn new(model: &Model, edges: &[Edges]) -> Self {
        let n_states = model.states.len();
        let years = model.settings.bins();
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
