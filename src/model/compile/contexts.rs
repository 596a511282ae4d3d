//! Contexts: one per arm and subgroup (its start, transition rows, value flows and per-person costs), and one per
//! arm for its programme costs; then the compaction of value columns to those some flow or cost writes.

use super::builder::{ContextBuilder, Place};
use super::parameters::{Bindings, Scopes};
use super::series::Frame;
use super::tunnel::StateMap;
use super::Compiler;
use crate::error::{suggest, InputError};
use crate::model::{Context, Flow, Payer, ProgrammeCost, Settings, Stratum, Wave, WeightSet};
use crate::scenario::raw::{ExprText, RawArm, RawCost, RawScenario, RawState};
use serde_spanned::Spanned;

/// What every context is compiled against: the scenario's tables and the model structure read from them.
pub(super) struct Structure<'s> {
    pub(super) raw: &'s RawScenario,
    /// The states as declared and as the model has them (tunnels expanded).
    pub(super) states: &'s StateMap,
    pub(super) outcomes: &'s [String],
    /// Number of draw slots (the first slots of every context).
    pub(super) n_draws: usize,
    /// Whether any cost line has a cashable share below 1 (then cashable flows are kept apart).
    pub(super) has_noncashable: bool,
    pub(super) settings: &'s Settings,
    /// The strata of every subgroup, the waves, and the accrual conventions flows may use apart from the scenario's.
    pub(super) strata: &'s [Stratum],
    pub(super) waves: &'s [Wave],
    pub(super) weight_sets: &'s [WeightSet],
}

impl Structure<'_> {
    /// The weight set of outcome `i`'s flows (None when it accrues as the scenario says).
    fn weight_set_of_outcome(&self, i: usize) -> Option<usize> {
        let accrual = self.settings.accrual_of.outcomes.get(i).copied().flatten();
        self.settings.weight_set(self.weight_sets, accrual, false)
    }

    /// The times every context's values are computed at.
    pub(super) fn frame(&self) -> Frame<'_> {
        Frame {
            waves: self.waves,
            per_year: self.settings.cycle.per_year(),
            dt: self.settings.cycle.years(),
        }
    }
}

/// The contexts of every arm, as [`crate::model::Model`] holds them.
pub(super) struct ArmContexts {
    /// In arm-major order: index = arm × subgroups + subgroup.
    pub(super) contexts: Vec<Context>,
    pub(super) programme_contexts: Vec<Context>,
    pub(super) programme_costs: Vec<Vec<ProgrammeCost>>,
    pub(super) served_states: Vec<Vec<usize>>,
}

impl Compiler<'_> {
    /// Every arm's contexts: one per subgroup, then its programme context.
    pub(super) fn contexts(
        &self,
        s: &Structure,
        scopes: &Scopes,
        subgroup_shares: &[f64],
    ) -> Result<ArmContexts, InputError> {
        let mut out = ArmContexts {
            contexts: Vec::new(),
            programme_contexts: Vec::new(),
            programme_costs: Vec::new(),
            served_states: Vec::new(),
        };
        for (a, raw_arm) in s.raw.arms.get_ref().iter().enumerate() {
            for (g, subgroup_share) in subgroup_shares.iter().enumerate() {
                let bindings = scopes.bindings(a, Some(g));
                for (k, stratum) in s.strata.iter().enumerate() {
                    let place = Place {
                        arm: a,
                        subgroup: g,
                        stratum: k,
                        share: subgroup_share * stratum.share,
                    };
                    out.contexts.push(self.context(s, place, raw_arm.get_ref(), &bindings)?);
                }
            }
            let bindings = scopes.bindings(a, None);
            let (ctx, costs, served) = self.programme_context(s, a, raw_arm.get_ref(), &bindings)?;
            out.programme_contexts.push(ctx);
            out.programme_costs.push(costs);
            out.served_states.push(served);
        }
        Ok(out)
    }

    /// Compiles one arm × subgroup × stratum context.
    fn context(&self, s: &Structure, place: Place, arm: &RawArm, bindings: &Bindings) -> Result<Context, InputError> {
        let mut b = ContextBuilder::new(self, bindings, s.n_draws, s.strata.get(place.stratum));
        let afield = format!("arms[{}]", place.arm);
        let start = b.start_row(arm, s.raw, &afield, s.states)?;
        let rows = b.transition_rows(arm, s.raw, &afield, s.states)?;
        let mut flows = self.state_flows(&mut b, s)?;
        let one_offs = self.person_costs(&mut b, s, arm, &afield, &mut flows)?;
        b.finish(place, start, rows, flows, one_offs, &[], &s.frame())
    }

    /// State values: care costs (with their cashable part) and outcomes, converted to per-cycle amounts; a tunnel
    /// state's are compiled for each of its steps, with that step's `time_in_state`.
    fn state_flows(&self, b: &mut ContextBuilder, s: &Structure) -> Result<Vec<Flow>, InputError> {
        let mut flows = Vec::new();
        for (d, state) in s.raw.states.iter().enumerate() {
            for si in s.states.steps(d) {
                let k = s.states.time_in_state(si);
                b.set_time_in_state(k);
                self.state_values(b, s, d, si, state.get_ref(), &mut flows)?;
            }
        }
        b.set_time_in_state(None);
        Ok(flows)
    }

    /// The values of declared state `d` in model state `si` (the state itself, or a step of its tunnel).
    fn state_values(
        &self,
        b: &mut ContextBuilder,
        s: &Structure,
        d: usize,
        si: usize,
        st: &RawState,
        flows: &mut Vec<Flow>,
    ) -> Result<(), InputError> {
        let sfield = format!("states[{d}]");
        let factor = match &st.per {
            Some(per) => self.per_cycle_factor(per, s.settings, &format!("{sfield}.per"))?,
            None => 1.0,
        };
        let state_name = &s.states.model[si].name;
        let care = s
            .settings
            .weight_set(s.weight_sets, s.settings.accrual_of.care_costs, true);
        for (payer_name, cost) in &st.costs {
            let (payer, amount, cashable) = self.cost_line(payer_name, cost, &sfield)?;
            let columns = self.payers.borrow().columns();
            let name = payer_name.get_ref();
            let slot = b.quantity(
                &amount,
                &format!("{sfield}.costs.{name}"),
                &format!("{name} cost in {state_name}"),
            )?;
            flows.push(Flow {
                state: si,
                column: columns.care(payer),
                is_cost: true,
                slot,
                factor,
                weight_set: care,
            });
            if s.has_noncashable {
                flows.push(Flow {
                    state: si,
                    column: columns.cashable(payer),
                    is_cost: true,
                    slot,
                    factor: factor * cashable,
                    weight_set: care,
                });
            }
        }
        self.outcome_flows(b, s, d, si, st, factor, flows)
    }

    /// One cost line of a state: its payer, its amount and its cashable share (1 unless the table gives one).
    fn cost_line(
        &self,
        payer_name: &Spanned<String>,
        cost: &Spanned<RawCost>,
        sfield: &str,
    ) -> Result<(Payer, Spanned<ExprText>, f64), InputError> {
        let payers = self.payers.borrow();
        let payer = payers.parse(payer_name.get_ref()).ok_or_else(|| {
            self.unknown_payer(
                &payers,
                payer_name,
                &format!("{sfield}.costs"),
                "costs are split by",
                "and",
            )
        })?;
        let cfield = format!("{sfield}.costs.{}", payers.name(payer));
        let (amount, cashable) = match cost.get_ref() {
            RawCost::Amount(e) => (Spanned::new(cost.span(), e.clone()), 1.0),
            RawCost::Table(t) => {
                let share = t.cashable.as_ref().map_or(1.0, |c| *c.get_ref());
                if !(0.0..=1.0).contains(&share) {
                    let at = t.cashable.as_ref().map_or(cost.span(), |c| c.span());
                    return Err(self.err(at, format!("{cfield}.cashable"), format!("the cashable share is the fraction of a saving that is released as cash, from 0 to 1, not {share}")));
                }
                (Spanned::new(t.amount.span(), t.amount.get_ref().clone()), share)
            }
        };
        Ok((payer, amount, cashable))
    }

    /// The outcome values of declared state `d` in model state `si`, each into its outcome column.
    #[allow(clippy::too_many_arguments)]
    fn outcome_flows(
        &self,
        b: &mut ContextBuilder,
        s: &Structure,
        d: usize,
        si: usize,
        st: &RawState,
        factor: f64,
        flows: &mut Vec<Flow>,
    ) -> Result<(), InputError> {
        let sfield = format!("states[{d}]");
        for (oname, value) in &st.outcomes {
            let oi = s
                .outcomes
                .iter()
                .position(|o| o == oname.get_ref())
                .expect("outcomes were collected from the states");
            let slot = b.quantity(
                value,
                &format!("{sfield}.outcomes.{}", oname.get_ref()),
                &format!("{} in {}", oname.get_ref(), s.states.model[si].name),
            )?;
            flows.push(Flow {
                state: si,
                column: self.payers.borrow().columns().outcome(oi),
                is_cost: false,
                slot,
                factor,
                weight_set: s.weight_set_of_outcome(oi),
            });
        }
        Ok(())
    }

    /// What an amount per `per` (year, quarter, month, week or cycle) is per cycle.
    pub(super) fn per_cycle_factor(
        &self,
        per: &Spanned<String>,
        settings: &Settings,
        field: &str,
    ) -> Result<f64, InputError> {
        let dt = settings.cycle.years();
        match per.get_ref().as_str() {
            "cycle" => Ok(1.0),
            "year" => Ok(dt),
            "quarter" => Ok(4.0 * dt),
            "month" => Ok(12.0 * dt),
            "week" => Ok(52.0 * dt),
            other => Err(self.err(
                per.span(),
                field,
                format!(
                    "unknown unit `{other}`: amounts are per year, quarter, month, week or cycle{}",
                    suggest(other, &["year", "quarter", "month", "week", "cycle"])
                ),
            )),
        }
    }
}

/// Renumbers every flow and cost into the columns actually used, returning the full column of each.
pub(super) fn compact_columns(contexts: &mut [Context], programme_costs: &mut [Vec<ProgrammeCost>]) -> Vec<usize> {
    let mut used: Vec<usize> = contexts
        .iter()
        .flat_map(|c| {
            c.static_flows
                .iter()
                .chain(&c.dynamic_flows)
                .chain(&c.own_accrual_flows)
                .map(|f| f.column)
                .chain(c.one_offs.iter().map(|o| o.column))
        })
        .chain(programme_costs.iter().flatten().map(|c| c.column))
        .collect();
    used.sort_unstable();
    used.dedup();
    let index = |full: usize| used.iter().position(|&u| u == full).expect("collected above");
    for c in contexts.iter_mut() {
        for f in c
            .static_flows
            .iter_mut()
            .chain(c.dynamic_flows.iter_mut())
            .chain(c.own_accrual_flows.iter_mut())
        {
            f.column = index(f.column);
        }
        for o in &mut c.one_offs {
            o.column = index(o.column);
        }
    }
    for cost in programme_costs.iter_mut().flatten() {
        cost.column = index(cost.column);
    }
    used
}
