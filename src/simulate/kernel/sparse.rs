//! The sparse cohort trace, for models of any number of states: the step as lists of edges grouped by destination,
//! the weighted occupancy accumulated only for the states whose costs and outcomes read it, and the static flows
//! added through their nonzero cells. Its time per cycle grows with the number of transitions and costed entries,
//! not with the square of the number of states. Written once over [`Value`], so that the general path (one
//! iteration, `f64`) and the lane path ([`LANES`] iterations, [`Lanes`]) do the same additions in the same order by
//! construction. Also here: how each context's trace numbers and follows its states ([`TracePlan`]) and each wave's
//! accrual entries ([`WaveAccrual`]), which both paths share.
//!
//! Its results are those of the dense S × S trace and the boundary-by-boundary loop it replaces, bit for bit: each
//! destination sums its incoming edges in the order they summed them, and the terms it skips are the dense loop's
//! structural zeros, each a finite non-negative mass times a zero probability (+0), which leaves a sum that started
//! at +0 as it is (a sum of such terms is never −0). Each bin adds its cells' occupancy × value in state order, as the
//! dense state × column product did, and each year's weighted occupancy its boundaries in order.

use super::lane_ops::{add_lanes, add_product, Lanes, ZERO};
use super::workspace::Edges;
#[cfg(doc)]
use super::LANES;
use crate::model::{Context, Flow, Model, Wave};
use std::ops::Range;

/// A value of the trace: one iteration's (`f64`), or one per lane of a block ([`Lanes`]). Multiplies and adds are
/// never fused, so both give the same bits.
pub(super) trait Value: Copy {
    const ZERO: Self;
    /// self += a · b.
    fn add_product(&mut self, a: &Self, b: &Self);
    /// self += a.
    fn add(&mut self, a: &Self);
    /// The numbers of a slice of values, in order.
    fn flat(values: &[Self]) -> &[f64];
    fn flat_mut(values: &mut [Self]) -> &mut [f64];
    /// Whether every number of the value is finite.
    fn finite(&self) -> bool;
}

impl Value for f64 {
    const ZERO: Self = 0.0;
    #[inline(always)]
    fn add_product(&mut self, a: &Self, b: &Self) {
        *self += a * b;
    }
    #[inline(always)]
    fn add(&mut self, a: &Self) {
        *self += a;
    }
    #[inline(always)]
    fn flat(values: &[Self]) -> &[f64] {
        values
    }
    #[inline(always)]
    fn flat_mut(values: &mut [Self]) -> &mut [f64] {
        values
    }
    #[inline(always)]
    fn finite(&self) -> bool {
        self.is_finite()
    }
}

impl Value for Lanes {
    const ZERO: Self = ZERO;
    #[inline(always)]
    fn add_product(&mut self, a: &Self, b: &Self) {
        add_product(self, a, b);
    }
    #[inline(always)]
    fn add(&mut self, a: &Self) {
        add_lanes(self, a);
    }
    #[inline(always)]
    fn flat(values: &[Self]) -> &[f64] {
        values.as_flattened()
    }
    #[inline(always)]
    fn flat_mut(values: &mut [Self]) -> &mut [f64] {
        values.as_flattened_mut()
    }
    #[inline(always)]
    fn finite(&self) -> bool {
        self.iter().all(|v| v.is_finite())
    }
}

/// Each traced state's incoming edges, in the order its sum adds them: the j-th state taken is `to[j]`, whose edges
/// are `edges[start[j]..start[j + 1]]`, each (origin, edge index; see [`Edges`]). States are taken in order, or in
/// runs of those with the same number of incoming edges (the order of the states does not change a sum): in runs,
/// each state's sum is a fixed sequence of products that the compiler unrolls, instead of a loop whose length changes
/// from state to state and mispredicts its exit. Within a run, states are taken in order of how many steps mass
/// needs to reach them from the start (`reach`), so that a step can leave out those it cannot have reached yet.
pub(super) struct Incoming {
    pub(super) to: Vec<usize>,
    pub(super) start: Vec<usize>,
    pub(super) edges: Vec<(usize, usize)>,
    /// (number of incoming edges, the range of `to` with that many), in the order states are taken.
    pub(super) runs: Vec<(usize, Range<usize>)>,
    /// For the d-th step from the start (d = 0, 1, ...; the last entry holds from then on): where each run's states
    /// that mass can have reached in d steps end in `to`. Within a run, states are taken by the fewest steps in which
    /// mass can reach them, so those are the first of the run; all of them when states are taken in order.
    pub(super) reached: Vec<Vec<usize>>,
}

impl Incoming {
    /// The edges between traced states grouped by destination, each group in edge order, or by origin (in the model's
    /// numbering) when `by_origin`; the destinations in runs, by the steps `reach` gives them within each run, or in
    /// order when `in_order`.
    fn new(
        pairs: &[(usize, usize)],
        index: &[Option<usize>],
        reach: &[usize],
        (by_origin, in_order): (bool, bool),
    ) -> Self {
        let n = reach.len();
        let mut groups: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        for (e, &(from, to)) in pairs.iter().enumerate() {
            if let (Some(_), Some(t)) = (index[from], index[to]) {
                groups[t].push((from, e));
            }
        }
        let mut to: Vec<usize> = (0..n).collect();
        if !in_order {
            to.sort_by_key(|&t| (groups[t].len(), reach[t]));
        }
        let mut incoming = Incoming {
            start: vec![0],
            edges: Vec::new(),
            runs: Vec::new(),
            to: Vec::new(),
            reached: Vec::new(),
        };
        for (j, t) in to.into_iter().enumerate() {
            let group = &mut groups[t];
            if by_origin {
                // Stable: a state's edges from one origin (none in a compiled model) keep their edge order.
                group.sort_by_key(|&(from, _)| from);
            }
            for &(from, e) in group.iter() {
                incoming.edges.push((index[from].expect("traced"), e));
            }
            incoming.start.push(incoming.edges.len());
            incoming.to.push(t);
            match incoming.runs.last_mut() {
                Some((degree, run)) if *degree == group.len() => run.end = j + 1,
                _ => incoming.runs.push((group.len(), j..j + 1)),
            }
        }
        let most = if in_order { 0 } else { most_steps(reach) };
        incoming.reached = (0..=most)
            .map(|d| {
                (incoming.runs.iter())
                    .map(|(_, run)| {
                        let to = &incoming.to[run.clone()];
                        run.start
                            + if in_order {
                                to.len()
                            } else {
                                to.partition_point(|&t| reach[t] <= d)
                            }
                    })
                    .collect()
            })
            .collect();
        incoming
    }
}

/// The nonzero cells of a context's static value matrix (occupied state × kernel column) for a set of flows: per
/// year, bins get occupancy × value for these cells only, in state order, which adds the same terms in the same order
/// as a dense product without its structural zeros.
pub(super) struct FlowCells {
    /// (occupied state, kernel column) of each cell, sorted.
    pub(super) cells: Vec<(usize, usize)>,
    /// For each static flow, its cell, or None when the flow is not in this set.
    pub(super) of_flow: Vec<Option<usize>>,
    /// The cells by column: each column with cells, and its cells in state order.
    pub(super) by_column: Vec<(usize, Vec<usize>)>,
}

impl FlowCells {
    /// The cells of the flows `include` picks, their states numbered as `index` numbers them.
    fn new(ctx: &Context, index: &[Option<usize>], include: impl Fn(&Flow) -> bool) -> Self {
        let cell = |f: &Flow| (index[f.state].expect("a state with a flow is traced"), f.column);
        let mut cells: Vec<(usize, usize)> = ctx.static_flows.iter().filter(|f| include(f)).map(cell).collect();
        cells.sort_unstable();
        cells.dedup();
        let of_flow = ctx
            .static_flows
            .iter()
            .map(|f| include(f).then(|| cells.binary_search(&cell(f)).expect("collected above")))
            .collect();
        let mut by_column: Vec<(usize, Vec<usize>)> = Vec::new();
        for (i, &(_, column)) in cells.iter().enumerate() {
            match by_column.iter_mut().find(|(c, _)| *c == column) {
                Some((_, of_column)) => of_column.push(i),
                None => by_column.push((column, vec![i])),
            }
        }
        FlowCells {
            cells,
            of_flow,
            by_column,
        }
    }
}

/// How a context's trace follows its states. It traces the states some flow reads the occupancy or mass of, and
/// those from which mass can reach them. The others, typically a "dead" state with no costs or outcomes, only take
/// mass in and never pass it on, so leaving them out changes no value. The traced states are numbered with those
/// whose weighted occupancy is kept first (the occupied states), then the rest, each in model order: the occupancy is
/// then the first entries of the mass, a contiguous run. In a model of more than 8 states the occupied states are
/// those some static flow reads; in a smaller one, every traced state (see [`TracePlan::dense`]).
pub(super) struct TracePlan {
    /// How many states are traced (at least 1), and how many of them are occupied.
    pub(super) n: usize,
    pub(super) n_occupied: usize,
    /// Whether the lane path may trace the context on fixed-size arrays with a dense step (models of at most 8
    /// states; the traced states are then numbered in model order, each destination adding its origins in order).
    pub(super) dense: bool,
    /// Each traced state's model state, in the trace's numbering.
    pub(super) states: Vec<usize>,
    /// The starting entries into traced states, as (entry index, traced state), in entry order.
    pub(super) start: Vec<(usize, usize)>,
    /// How many edges the context has, self-loops included.
    pub(super) n_edges: usize,
    /// The step of a trace whose rows are fixed in time ([`trace`]): each destination's incoming edges by origin for
    /// models of 2 to 8 states, whose dense S × S step summed them so, else in edge order, as the
    /// boundary-by-boundary loop sums them. (The two differ only where a state with no row, whose self-loop comes
    /// after every row's edges, is reached from a later state.)
    pub(super) fixed: Incoming,
    /// The step at each boundary of a context that needs work there: edge order, as the general path's loop sums.
    /// (Its paths compute every state at every boundary; its `reached` table is not read.)
    pub(super) boundary: Incoming,
    /// The traced state of each dynamic flow and each flow with an accrual of its own, in flow order.
    pub(super) dynamic_flow_states: Vec<usize>,
    pub(super) own_flow_states: Vec<usize>,
    /// Cells of all static flows (waves with one discounting), and of cost and outcome flows apart.
    pub(super) cells: [FlowCells; 3],
    /// For d = 0, 1, ...: how many of the first occupied states a trace must weigh at a boundary d steps from the
    /// start, the states after them being ones mass cannot have reached yet (their mass is +0); the last entry holds
    /// from then on.
    pub(super) weighed: Vec<usize>,
    /// The fewest steps in which mass can reach each traced state from the start (`usize::MAX`: never).
    pub(super) reach: Vec<usize>,
}

impl TracePlan {
    /// The plan of context `ctx` with edges `edges` in a model of `n_states` states.
    pub(super) fn new(ctx: &Context, edges: &Edges, n_states: usize) -> Self {
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
        let dense = n_states <= 8;
        let occupied: Vec<bool> = (0..n_states)
            .map(|s| {
                if dense {
                    traced[s]
                } else {
                    ctx.static_flows.iter().any(|f| f.state == s)
                }
            })
            .collect();
        let states: Vec<usize> = (0..n_states)
            .filter(|&s| occupied[s])
            .chain((0..n_states).filter(|&s| traced[s] && !occupied[s]))
            .collect();
        let mut index = vec![None; n_states];
        for (i, &s) in states.iter().enumerate() {
            index[s] = Some(i);
        }
        let n = states.len();
        let state_of = |f: &Flow| index[f.state].expect("a state with a flow is traced");
        let start: Vec<(usize, usize)> = (ctx.start.entries.iter().enumerate())
            .filter_map(|(e, (to, _))| Some((e, index[*to]?)))
            .collect();
        let reach = steps_to_reach(&edges.pairs, &index, n, start.iter().map(|&(_, to)| to));
        let n_occupied = occupied.iter().filter(|&&o| o).count();
        TracePlan {
            n,
            n_occupied,
            dense,
            start,
            n_edges: edges.pairs.len(),
            fixed: Incoming::new(&edges.pairs, &index, &reach, ((2..=8).contains(&n_states), dense)),
            boundary: Incoming::new(&edges.pairs, &index, &reach, (false, dense)),
            weighed: weighed_by_steps(&reach[..n_occupied], dense),
            reach,
            dynamic_flow_states: ctx.dynamic_flows.iter().map(state_of).collect(),
            own_flow_states: ctx.own_accrual_flows.iter().map(state_of).collect(),
            cells: [
                FlowCells::new(ctx, &index, |_| true),
                FlowCells::new(ctx, &index, |f| f.is_cost),
                FlowCells::new(ctx, &index, |f| !f.is_cost),
            ],
            states,
        }
    }

    /// The plans of every context of `model`, whose contexts have the edges `edges`.
    pub(super) fn all(model: &Model, edges: &[Edges]) -> Vec<TracePlan> {
        (model.contexts.iter().zip(edges))
            .map(|(ctx, edges)| TracePlan::new(ctx, edges, model.states.len()))
            .collect()
    }
}

/// The fewest steps in which mass can reach each traced state from the states in `start` (0 for those; `usize::MAX`
/// for a state it never reaches), through the edges `pairs` between traced states (`index`: the trace's numbering).
fn steps_to_reach(
    pairs: &[(usize, usize)],
    index: &[Option<usize>],
    n: usize,
    start: impl Iterator<Item = usize>,
) -> Vec<usize> {
    let mut reach = vec![usize::MAX; n];
    let mut frontier: Vec<usize> = start.collect();
    for &s in &frontier {
        reach[s] = 0;
    }
    let mut steps = 0;
    while !frontier.is_empty() {
        steps += 1;
        let mut next = Vec::new();
        for &(from, to) in pairs {
            if let (Some(f), Some(t)) = (index[from], index[to]) {
                if reach[f] == steps - 1 && reach[t] == usize::MAX {
                    reach[t] = steps;
                    next.push(t);
                }
            }
        }
        frontier = next;
    }
    reach
}

/// The most steps mass takes to reach any of the states `reach` gives (those it reaches at all); 0 for none.
fn most_steps(reach: &[usize]) -> usize {
    reach.iter().copied().filter(|&d| d != usize::MAX).max().unwrap_or(0)
}

/// [`TracePlan::weighed`] from the occupied states' steps to reach them: at d steps, up to the last occupied state
/// reached within d. A dense plan weighs them all (its fixed-size trace does not use this).
fn weighed_by_steps(reach: &[usize], dense: bool) -> Vec<usize> {
    let most = if dense { 0 } else { most_steps(reach) };
    (0..=most)
        .map(|d| {
            if dense {
                return reach.len();
            }
            reach.iter().rposition(|&r| r <= d).map_or(0, |i| i + 1)
        })
        .collect()
}

/// One accrual entry of a wave (see [`WaveAccrual`]).
#[derive(Clone, Copy)]
pub(super) struct AccrualEntry {
    /// The calendar year (bin) it accrues to, with the cost and outcome weights.
    pub(super) year: usize,
    pub(super) w_cost: f64,
    pub(super) w_outcome: f64,
    /// Whether it is the first entry to reach its year, and so writes that year's occupancy instead of adding to it
    /// (which saves clearing the occupancy: 0 + x is x). No entry is first when the wave's `clear` is set.
    pub(super) first: bool,
}

/// A wave's accrual entries as the trace reads them: one list, so that each entry is one load of a few words.
pub(super) struct WaveAccrual {
    /// Per entry of the wave's `weights_flat`, in its order.
    pub(super) entries: Vec<AccrualEntry>,
    /// Whether some year of the wave is reached by no entry, so the occupancy must be cleared after all.
    pub(super) clear: bool,
    /// For each year (bin), the last boundary of the wave with an entry for it (0 for a year with none).
    pub(super) last_boundary: Vec<usize>,
}

impl WaveAccrual {
    fn new(wave: &Wave, years: usize) -> Self {
        let flat = &wave.weights_flat;
        let mut seen = vec![false; years];
        let first: Vec<bool> = flat
            .iter()
            .map(|&(y, _, _)| !std::mem::replace(&mut seen[y], true))
            .collect();
        let clear = seen[wave.entry_bin..].iter().any(|s| !s);
        let entries = (flat.iter().zip(first))
            .map(|(&(year, w_cost, w_outcome), first)| AccrualEntry {
                year,
                w_cost,
                w_outcome,
                first: first && !clear,
            })
            .collect();
        let mut last_boundary = vec![0; years];
        for k in 0..=wave.cycles {
            for &(year, _, _) in &flat[wave.weights_start[k]..wave.weights_start[k + 1]] {
                last_boundary[year] = k;
            }
        }
        WaveAccrual {
            entries,
            clear,
            last_boundary,
        }
    }

    /// The accruals of every wave of `model`.
    pub(super) fn all(model: &Model) -> Vec<WaveAccrual> {
        let years = model.settings.bins();
        model.waves.iter().map(|wave| WaveAccrual::new(wave, years)).collect()
    }
}

/// Clears a wave's weighted occupancies from its first year when its accrual needs it (see [`WaveAccrual::clear`]).
#[inline(always)]
pub(super) fn clear_occupancy<V: Value>(
    accrual: &WaveAccrual,
    first_row: usize,
    (occupancy_cost, occupancy_outcome): (&mut [V], &mut [V]),
) {
    if accrual.clear {
        occupancy_cost[first_row..].fill(V::ZERO);
        occupancy_outcome[first_row..].fill(V::ZERO);
    }
}

/// A year's weighted occupancy of the occupied states (the first of `mass`): set to w · mass at the year's first
/// boundary, else w · mass added for the first `reached` states (the others' mass being +0, which adds nothing).
#[inline(always)]
pub(super) fn weigh<V: Value>(row: &mut [V], mass: &[V], w: f64, (first, reached): (bool, usize)) {
    // As one run of numbers: one loop the compiler vectorises as it is, where a loop over lane arrays was vectorised
    // across them, by gathers.
    if first {
        let (row, mass) = (V::flat_mut(row), V::flat(mass));
        for (o, m) in row.iter_mut().zip(mass) {
            *o = w * m;
        }
    } else {
        let (row, mass) = (V::flat_mut(&mut row[..reached]), V::flat(&mass[..reached]));
        for (o, m) in row.iter_mut().zip(mass) {
            *o += w * m;
        }
    }
}

/// One step of the cohort, the `steps`-th from the start: each traced state's next mass, the sum of its incoming
/// edges' mass × probability in the order `incoming` gives, `probabilities` being those of its edges in that order.
/// States mass cannot reach in `steps` steps are left as they are, +0: each of their terms is +0 (a mass of +0 times
/// a probability, which is finite and not negative), and so is their sum.
#[inline(always)]
pub(super) fn step<V: Value>(incoming: &Incoming, probabilities: &[V], mass: &[V], next: &mut [V], steps: usize) {
    let reached = &incoming.reached[steps.min(incoming.reached.len() - 1)];
    for ((degree, run), &end) in incoming.runs.iter().zip(reached) {
        let run = run.start..end;
        let edges = incoming.start[run.start]..incoming.start[run.end];
        let (to, from, probabilities) = (
            &incoming.to[run.clone()],
            &incoming.edges[edges.clone()],
            &probabilities[edges],
        );
        match degree {
            // A state nothing enters: the sum of no terms.
            0 => to.iter().for_each(|&t| next[t] = V::ZERO),
            1 => step_run::<V, 1>(to, from, probabilities, mass, next),
            2 => step_run::<V, 2>(to, from, probabilities, mass, next),
            3 => step_run::<V, 3>(to, from, probabilities, mass, next),
            4 => step_run::<V, 4>(to, from, probabilities, mass, next),
            _ => {
                for ((t, from), p) in to
                    .iter()
                    .zip(from.chunks_exact(*degree))
                    .zip(probabilities.chunks_exact(*degree))
                {
                    let mut sum = V::ZERO;
                    for (&(f, _), p) in from.iter().zip(p) {
                        sum.add_product(&mass[f], p);
                    }
                    next[*t] = sum;
                }
            }
        }
    }
}

/// [`step`] for a run of states with `D` incoming edges each.
#[inline(always)]
fn step_run<V: Value, const D: usize>(
    to: &[usize],
    edges: &[(usize, usize)],
    probabilities: &[V],
    mass: &[V],
    next: &mut [V],
) {
    let (edges, probabilities) = (edges.as_chunks::<D>().0, probabilities.as_chunks::<D>().0);
    for ((&t, edges), p) in to.iter().zip(edges).zip(probabilities) {
        let mut sum = V::ZERO;
        for d in 0..D {
            sum.add_product(&mass[edges[d].0], &p[d]);
        }
        next[t] = sum;
    }
}

/// The trace of one wave of a context whose rows and values are fixed in time, from the starting mass in `mass`
/// (the trace's numbering; `next` is as long, scratch): fills the wave's weighted occupancies, rows of
/// `plan.n_occupied` states per year. `steps` are the probabilities of `plan.fixed`'s edges, in its order. `SAME` is
/// the wave's `same_weights`: then only the cost-weighted occupancy is written.
#[inline(always)]
pub(super) fn trace<V: Value, const SAME: bool>(
    plan: &TracePlan,
    steps: &[V],
    (wave, accrual): (&Wave, &WaveAccrual),
    (mut mass, mut next): (&mut [V], &mut [V]),
    (occupancy_cost, occupancy_outcome): (&mut [V], &mut [V]),
) {
    let width = plan.n_occupied;
    clear_occupancy(
        accrual,
        wave.entry_bin * width,
        (&mut *occupancy_cost, &mut *occupancy_outcome),
    );
    let (steps, next_len) = (&steps[..plan.fixed.edges.len()], plan.n);
    // A state is left out of a step until mass can have reached it (see `step`): until then it must hold +0 in both
    // buffers.
    next[..next_len].fill(V::ZERO);
    let last = plan.weighed.len() - 1;
    for k in 0..=wave.cycles {
        let reached = plan.weighed[k.min(last)];
        for e in &accrual.entries[wave.weights_start[k]..wave.weights_start[k + 1]] {
            let rows = e.year * width..(e.year + 1) * width;
            weigh(
                &mut occupancy_cost[rows.clone()],
                &mass[..width],
                e.w_cost,
                (e.first, reached),
            );
            if !SAME {
                weigh(
                    &mut occupancy_outcome[rows],
                    &mass[..width],
                    e.w_outcome,
                    (e.first, reached),
                );
            }
        }
        if k == wave.cycles {
            break;
        }
        step(&plan.fixed, steps, mass, &mut next[..next_len], k + 1);
        std::mem::swap(&mut mass, &mut next);
    }
}

/// The values of the cells a wave's static flows go through (see [`TracePlan::cells`]), from the static flows'
/// values in flow order: those of all flows when costs and outcomes share their discounting, else those of the cost
/// flows and then those of the outcome flows. Each cell sums its flows in flow order, from zero, as the dense value
/// matrix did.
#[inline(always)]
pub(super) fn fill_cell_values<V: Value>(cells: &[FlowCells; 3], same_weights: bool, flows: &[V], values: &mut [V]) {
    let [all, cost, outcome] = cells;
    let sets: &[&FlowCells] = if same_weights { &[all] } else { &[cost, outcome] };
    let mut at = 0;
    for cells in sets {
        let values = &mut values[at..at + cells.cells.len()];
        values.fill(V::ZERO);
        for (cell, v) in cells.of_flow.iter().zip(flows) {
            if let Some(c) = cell {
                values[*c].add(v);
            }
        }
        at += cells.cells.len();
    }
}

/// The static flows of one wave into the bins after its trace, through the weighted occupancies (`width` occupied
/// states per year) and the values of the wave's cells (see [`fill_cell_values`]): costs and outcomes in one pass when
/// they share their discounting, else costs with the cost-weighted occupancy and outcomes with the outcome-weighted
/// one, as the dense product did. Cell by cell (see [`add_cells`]), or `by_column` (see [`add_cells_by_column`]).
#[inline(always)]
pub(super) fn static_flows<V: Value>(
    (cells, values): (&[FlowCells; 3], &[V]),
    (occupancy_cost, occupancy_outcome): (&[V], &[V]),
    (width, same_weights, by_column): (usize, bool, bool),
    bins: &mut [V],
    (first_year, n_cols): (usize, usize),
    reached: Option<Reached>,
) {
    let [all, cost, outcome] = cells;
    // A cell whose state mass has not reached by a year's last boundary has a weighted occupancy of +0 that year,
    // and adds +0 times its value: nothing, to a bin that started at +0 (a sum from +0 is never −0), where the value
    // is finite. Where some value is not, every cell is added, as its NaN must be.
    let reached = reached.filter(|_| values.iter().all(V::finite));
    let at = (width, by_column, (first_year, reached), n_cols);
    if same_weights {
        add_set(all, occupancy_cost, values, bins, at);
    } else {
        let (cost_values, outcome_values) = values.split_at(cost.cells.len());
        add_set(cost, occupancy_cost, cost_values, bins, at);
        add_set(outcome, occupancy_outcome, outcome_values, bins, at);
    }
}

/// Which states mass has reached by each year of a wave, for [`static_flows`] to leave out the cells it has not: the
/// plan's [`TracePlan::reach`] and the wave's [`WaveAccrual::last_boundary`].
#[derive(Clone, Copy)]
pub(super) struct Reached<'a> {
    pub(super) reach: &'a [usize],
    pub(super) last_boundary: &'a [usize],
}

/// One set of cells of [`static_flows`].
#[inline(always)]
fn add_set<V: Value>(
    cells: &FlowCells,
    occupancy: &[V],
    values: &[V],
    bins: &mut [V],
    (width, by_column, (first_year, reached), n_cols): (usize, bool, (usize, Option<Reached>), usize),
) {
    if by_column {
        add_cells_by_column(occupancy, width, cells, values, bins, (first_year, reached), n_cols);
    } else {
        add_cells(occupancy, width, &cells.cells, values, bins, first_year, n_cols);
    }
}

/// bins[y][c] += occupancy[y][s] · value for each cell (s, c) and year y from `first_year`, column by column and
/// eight years at a time (then four, two and one): each of the bins sums the column's cells in registers, in state
/// order, and each cell's value is loaded once for all of them. For models with many cells, where [`add_cells`]'s load
/// and store of a bin per cell and year was the limit.
#[inline(always)]
fn add_cells_by_column<V: Value>(
    occupancy: &[V],
    width: usize,
    cells: &FlowCells,
    values: &[V],
    bins: &mut [V],
    (first_year, reached): (usize, Option<Reached>),
    n_cols: usize,
) {
    let years = bins.len() / n_cols;
    // The cells of years `year..year + span` that may add something: those whose state mass can have reached by the
    // last boundary of any of those years, or all of them.
    let reach: &[usize] = reached.map_or(&[], |r| r.reach);
    let limit = |year: usize, span: usize| {
        reached.map_or(usize::MAX, |r| {
            r.last_boundary[year..year + span].iter().copied().max().unwrap_or(0)
        })
    };
    for (column, of_column) in &cells.by_column {
        let at = (*column, of_column.as_slice(), width, n_cols);
        let mut year = first_year;
        while year + 8 <= years {
            column_years::<V, 8>(year, at, (&cells.cells, values, reach, limit(year, 8)), occupancy, bins);
            year += 8;
        }
        for block in [4, 2, 1] {
            if year + block <= years {
                let from = (cells.cells.as_slice(), values, reach, limit(year, block));
                match block {
                    4 => column_years::<V, 4>(year, at, from, occupancy, bins),
                    2 => column_years::<V, 2>(year, at, from, occupancy, bins),
                    _ => column_years::<V, 1>(year, at, from, occupancy, bins),
                }
                year += block;
            }
        }
    }
}

/// What [`column_years`] adds from: every cell (state, column), their values, the states' steps to reach them from
/// the start, and the most steps mass has taken by the last of the years (`usize::MAX`: add every cell).
type CellsFrom<'a, V> = (&'a [(usize, usize)], &'a [V], &'a [usize], usize);

/// [`add_cells_by_column`] for `Y` years from `year` of one column: (column, its cells, width, kernel columns).
#[inline(always)]
fn column_years<V: Value, const Y: usize>(
    year: usize,
    (column, of_column, width, n_cols): (usize, &[usize], usize, usize),
    (cells, values, reach, limit): CellsFrom<V>,
    occupancy: &[V],
    bins: &mut [V],
) {
    let rows = &occupancy[year * width..(year + Y) * width];
    let mut sums: [V; Y] = std::array::from_fn(|k| bins[(year + k) * n_cols + column]);
    for &i in of_column {
        let (state, v) = (cells[i].0, values[i]);
        if limit != usize::MAX && reach[state] > limit {
            continue;
        }
        // Checked once here, so that the reads below need no check.
        assert!(state < width, "a cell inside the occupancy");
        for (sum, row) in sums.iter_mut().zip(rows.chunks_exact(width)) {
            sum.add_product(&row[state], &v);
        }
    }
    for (k, sum) in sums.into_iter().enumerate() {
        bins[(year + k) * n_cols + column] = sum;
    }
}

/// bins[y][c] += occupancy[y][s] · value for each cell (s, c) and year y from `first_year`, cell by cell: each cell's
/// value stays in registers over the years, and since cells are sorted by state every bin still adds its states in
/// order.
#[inline(always)]
fn add_cells<V: Value>(
    occupancy: &[V],
    width: usize,
    cells: &[(usize, usize)],
    values: &[V],
    bins: &mut [V],
    first_year: usize,
    n_cols: usize,
) {
    let years = bins.len() / n_cols;
    let bins = &mut bins[first_year * n_cols..years * n_cols];
    let occupancy = &occupancy[first_year * width..years * width];
    for (&(state, column), v) in cells.iter().zip(values) {
        let v = *v;
        // Checked once here, so that the loop over years indexes without checks.
        assert!(state < width && column < n_cols, "a cell inside the value matrix");
        for (bin, occupancy) in bins.chunks_exact_mut(n_cols).zip(occupancy.chunks_exact(width)) {
            bin[column].add_product(&occupancy[state], &v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{steps_to_reach, weighed_by_steps};

    #[test]
    fn steps_to_reach_counts_the_fewest_steps_from_the_start_and_never_for_states_mass_cannot_reach() {
        // Model states 0..5; state 4 is not traced. 0 → 1 → 2, 0 → 2 (a jump), 2 → 4 → 3: state 3 is reached only
        // through an untraced state, and the trace's numbering reverses the model's.
        let pairs = [(0, 1), (1, 2), (0, 2), (2, 4), (4, 3), (1, 1)];
        let index = [Some(3), Some(2), Some(1), Some(0), None];
        let reach = steps_to_reach(&pairs, &index, 4, [3].into_iter());
        assert_eq!(reach, [usize::MAX, 1, 1, 0]);
        // Two starting states; 2 is one step from 1 and from 0.
        let reach = steps_to_reach(&pairs, &index, 4, [3, 2].into_iter());
        assert_eq!(reach, [usize::MAX, 1, 0, 0]);
    }

    #[test]
    fn weighed_states_run_to_the_last_one_reached() {
        // Occupied states reached in 0, 2 and 1 steps, and one never: at 0 steps only the first is weighed, from 1
        // step the first three (the second, reached at 2, lies between two reached ones), never the fourth.
        assert_eq!(weighed_by_steps(&[0, 2, 1, usize::MAX], false), [1, 3, 3]);
        // A dense plan weighs every occupied state.
        assert_eq!(weighed_by_steps(&[0, 2, 1], true), [3]);
    }
}
