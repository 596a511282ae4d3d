//! The lane path's buffers, laid out once per model, and where each context's per-iteration values come from.

use super::lane_ops::AlignedLanes;
use super::sparse::TracePlan;
use super::workspace::Edges;
#[cfg(doc)]
use super::Workspace;
use super::LANES;
use crate::model::{Context, Model, ProbSource};

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

/// Buffers of the lane path, every value one lane per iteration of the block.
pub(super) struct LaneWorkspace {
    /// The block's sampled parameters.
    pub(super) draws: AlignedLanes,
    /// Per context: where its per-iteration values come from.
    pub(super) sources: Vec<LaneSources>,
    /// Values of the current context's source slots.
    pub(super) slot_values: AlignedLanes,
    /// Per context: all its slots, one lane per iteration of the block (constants written once, at creation).
    pub(super) lane_slots: Vec<AlignedLanes>,
    /// Per-iteration inputs of the current context: starting shares, edge probabilities, static flow values,
    /// one-off amounts.
    pub(super) start: AlignedLanes,
    pub(super) edges: AlignedLanes,
    /// The edge probabilities of the current step, in the order the trace sums them (see `TracePlan::fixed` and
    /// `TracePlan::boundary`).
    pub(super) steps: AlignedLanes,
    pub(super) flows: AlignedLanes,
    pub(super) one_offs: AlignedLanes,
    /// Values of the cells of the current flow set.
    pub(super) values: AlignedLanes,
    /// Programme cost amounts of the current arm.
    pub(super) amounts: AlignedLanes,
    /// The trace's mass at the current boundary and the next, in the trace's numbering of states.
    pub(super) mass: AlignedLanes,
    pub(super) next: AlignedLanes,
    pub(super) occupancy_cost: AlignedLanes,
    pub(super) occupancy_outcome: AlignedLanes,
    /// Per-year values, laid out `[arm][year][kernel column]` like [`Workspace::bins`].
    pub(super) bins: AlignedLanes,
}

impl LaneWorkspace {
    /// The lane buffers of `model`, whose contexts have the edges `edges` and the trace plans `plans`.
    pub(super) fn new(model: &Model, edges: &[Edges], plans: &[TracePlan]) -> Self {
        let n_states = model.states.len();
        let years = model.settings.bins();
        let most = |f: &dyn Fn(&Context) -> usize| model.contexts.iter().map(f).max().unwrap_or(0);
        let sources: Vec<LaneSources> = model.contexts.iter().map(LaneSources::new).collect();
        LaneWorkspace {
            draws: AlignedLanes::zeros(model.n_draws),
            slot_values: AlignedLanes::zeros(sources.iter().map(|s| s.slots.len()).max().unwrap_or(0)),
            lane_slots: model
                .contexts
                .iter()
                .map(|ctx| {
                    let mut slots = AlignedLanes::zeros(ctx.n_slots);
                    for &(slot, value) in &ctx.constants {
                        slots[slot] = [value; LANES];
                    }
                    slots
                })
                .collect(),
            sources,
            start: AlignedLanes::zeros(n_states),
            edges: AlignedLanes::zeros(edges.iter().map(|e| e.pairs.len()).max().unwrap_or(0)),
            steps: AlignedLanes::zeros(
                plans
                    .iter()
                    .map(|p| p.fixed.edges.len().max(p.boundary.edges.len()))
                    .max()
                    .unwrap_or(0),
            ),
            flows: AlignedLanes::zeros(most(&|c| c.static_flows.len())),
            one_offs: AlignedLanes::zeros(most(&|c| c.one_offs.len())),
            values: AlignedLanes::zeros(most(&|c| c.static_flows.len())),
            amounts: AlignedLanes::zeros(model.programme_costs.iter().map(Vec::len).max().unwrap_or(0)),
            mass: AlignedLanes::zeros(n_states),
            next: AlignedLanes::zeros(n_states),
            occupancy_cost: AlignedLanes::zeros(years * n_states),
            occupancy_outcome: AlignedLanes::zeros(years * n_states),
            bins: AlignedLanes::zeros(model.arms.len() * years * model.n_kernel_columns()),
        }
    }
}
