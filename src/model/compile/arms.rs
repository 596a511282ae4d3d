//! `[[arms]]`: the arms and their comparators, and their costs: one-off and recurring costs paid per person, and
//! set-up and annual costs paid by the programme.

use super::builder::{ContextBuilder, Place};
use super::contexts::Structure;
use super::parameters::Bindings;
use super::tunnel::StateMap;
use super::Compiler;
use crate::error::{suggest, InputError};
use crate::model::{ArmInfo, Context, Flow, OneOff, Payer, ProgrammeCost, ProgrammeKind, Row};
use crate::scenario::raw::{RawArm, RawArmCost};
use serde_spanned::Spanned;
use std::ops::Range;

impl Compiler<'_> {
    pub(super) fn arms(&self, raw: &Spanned<Vec<Spanned<RawArm>>>) -> Result<Vec<ArmInfo>, InputError> {
        let list = raw.get_ref();
        if list.len() < 2 {
            return Err(self.err(raw.span(), "arms", "a scenario needs at least two [[arms]]: the comparator (usual care) first, then one or more interventions"));
        }
        let names: Vec<&str> = list.iter().map(|a| a.get_ref().name.get_ref().as_str()).collect();
        let mut out = Vec::new();
        for (i, a) in list.iter().enumerate() {
            let arm = a.get_ref();
            let name = arm.name.get_ref();
            self.check_identifier(name, arm.name.span(), &format!("arms[{i}].name"))?;
            if names[..i].contains(&name.as_str()) {
                return Err(self.err(
                    arm.name.span(),
                    format!("arms[{i}].name"),
                    format!("the arm `{name}` is defined twice"),
                ));
            }
            let comparator = match (&arm.compare_to, i) {
                (Some(c), _) => {
                    let j = names.iter().position(|n| n == c.get_ref()).ok_or_else(|| {
                        self.err(
                            c.span(),
                            format!("arms[{i}].compare_to"),
                            format!("no arm is named `{}`{}", c.get_ref(), suggest(c.get_ref(), &names)),
                        )
                    })?;
                    if j == i {
                        return Err(self.err(
                            c.span(),
                            format!("arms[{i}].compare_to"),
                            "an arm cannot be compared with itself",
                        ));
                    }
                    Some(j)
                }
                (None, 0) => None,
                (None, _) => Some(0),
            };
            out.push(ArmInfo {
                name: name.clone(),
                label: arm.label.clone().unwrap_or_else(|| name.clone()),
                comparator,
                savings: (arm.costs.iter())
                    .filter(|c| c.get_ref().kind.get_ref() == "saving")
                    .map(|c| c.get_ref().name.get_ref().clone())
                    .collect(),
            });
        }
        Ok(out)
    }

    /// Intervention costs of the arm that are paid per person: one-off costs, and recurring costs added to `flows`.
    pub(super) fn person_costs(
        &self,
        b: &mut ContextBuilder,
        s: &Structure,
        arm: &RawArm,
        afield: &str,
        flows: &mut Vec<Flow>,
    ) -> Result<Vec<OneOff>, InputError> {
        let mut one_offs = Vec::new();
        for (ci, c) in arm.costs.iter().enumerate() {
            let cost = c.get_ref();
            let cfield = format!("{afield}.costs[{ci}]");
            let payer = self.payer(&cost.payer, &format!("{cfield}.payer"))?;
            match cost.kind.get_ref().as_str() {
                "one_off" => {
                    self.forbid(
                        cost,
                        &["per", "from_year", "to_year", "capacity", "cashable"],
                        &cfield,
                        "a one-off cost",
                    )?;
                    if let Some(states) = &cost.states {
                        return Err(self.err(states.span(), format!("{cfield}.states"), "a one-off cost is paid for everyone who enters (after its `delay`, if any, whatever their state then), so it takes no `states`: to pay only people in some states at a given cycle k, use a recurring cost with `per = \"cycle\"`, amount `if(cycle == k, amount, 0)` and `[accrual] intervention_costs = \"start\"`"));
                    }
                    let timing = match &cost.delay {
                        None => 0,
                        Some(d) => {
                            let years = self.delay_years(d, &format!("{cfield}.delay"), s.settings)?;
                            1 + s
                                .settings
                                .one_off_delays
                                .iter()
                                .position(|&y| y == years)
                                .expect("collected by one_off_delays")
                        }
                    };
                    let slot = b.quantity(
                        &cost.amount,
                        &format!("{cfield}.amount"),
                        &format!("one-off cost {}", cost.name.get_ref()),
                    )?;
                    if b.is_dynamic(slot) {
                        return Err(self.err(
                            cost.amount.span(),
                            format!("{cfield}.amount"),
                            "a one-off cost is paid at entry, so its amount cannot depend on time",
                        ));
                    }
                    one_offs.push(OneOff {
                        column: self.payers.borrow().columns().spend(payer),
                        slot,
                        timing,
                    });
                }
                "saving" => self.saving(b, s, c, &cfield, payer, flows)?,
                "recurring" => {
                    self.forbid(
                        cost,
                        &["from_year", "to_year", "capacity", "delay", "cashable"],
                        &cfield,
                        "a recurring cost (use an expression of t to limit it in time)",
                    )?;
                    let per = cost.per.as_ref().ok_or_else(|| self.err(c.span(), format!("{cfield}.per"), "a recurring cost needs `per` (year, quarter, month, week or cycle): units are never guessed"))?;
                    let factor = self.per_cycle_factor(per, s.settings, &format!("{cfield}.per"))?;
                    let slot = b.quantity(
                        &cost.amount,
                        &format!("{cfield}.amount"),
                        &format!("recurring cost {}", cost.name.get_ref()),
                    )?;
                    let accrual = s.settings.accrual_of.intervention_costs;
                    let weight_set = s.settings.weight_set(s.weight_sets, accrual, true);
                    for state in self.cost_states(cost, s.states, &cfield)? {
                        flows.push(Flow {
                            state,
                            column: self.payers.borrow().columns().spend(payer),
                            is_cost: true,
                            slot,
                            factor,
                            weight_set,
                        });
                    }
                }
                "setup" | "annual" => {}
                other => {
                    let kinds = ["one_off", "recurring", "saving", "setup", "annual"];
                    return Err(self.err(cost.kind.span(), format!("{cfield}.kind"), format!("unknown cost kind `{other}`: use one_off or recurring (per person), saving (a care cost avoided, per person), setup or annual (programme-level){}", suggest(other, &kinds))));
                }
            }
        }
        Ok(one_offs)
    }

    /// The context that evaluates an arm's programme-level costs (arm overrides, no subgroup overrides).
    pub(super) fn programme_context(
        &self,
        s: &Structure,
        arm_index: usize,
        arm: &RawArm,
        bindings: &Bindings,
    ) -> Result<(Context, Vec<ProgrammeCost>, Vec<usize>), InputError> {
        // The first stratum's age and sex, so that every parameter compiles; a programme cost may read neither.
        let mut b = ContextBuilder::new(self, bindings, s.n_draws, s.strata.first());
        let afield = format!("arms[{arm_index}]");
        let mut costs = Vec::new();
        let mut served: Vec<usize> = Vec::new();
        for (ci, c) in arm.costs.iter().enumerate() {
            let cost = c.get_ref();
            let cfield = format!("{afield}.costs[{ci}]");
            let kind = match cost.kind.get_ref().as_str() {
                "setup" => {
                    self.forbid(
                        cost,
                        &["per", "states", "from_year", "to_year", "capacity", "delay", "cashable"],
                        &cfield,
                        "a set-up cost",
                    )?;
                    ProgrammeKind::Setup
                }
                "annual" => self.annual_kind(s, c, &cfield, &mut served)?,
                _ => continue,
            };
            let payer = self.payer(&cost.payer, &format!("{cfield}.payer"))?;
            let slot = b.quantity(
                &cost.amount,
                &format!("{cfield}.amount"),
                &format!("programme cost {}", cost.name.get_ref()),
            )?;
            if b.is_dynamic(slot) {
                return Err(self.err(cost.amount.span(), format!("{cfield}.amount"), "a programme cost's amount cannot depend on time: use from_year and to_year, or split it into several costs"));
            }
            if b.person_slot("sex").is_some_and(|sex| b.depends_on(slot, sex)) {
                return Err(self.err(
                    cost.amount.span(),
                    format!("{cfield}.amount"),
                    "a programme cost is paid for the whole programme, so its amount cannot depend on a person's sex",
                ));
            }
            costs.push(ProgrammeCost {
                name: cost.name.get_ref().clone(),
                column: self.payers.borrow().columns().spend(payer),
                slot,
                kind,
            });
        }
        let roots: Vec<usize> = costs.iter().map(|c| c.slot).collect();
        let ctx = b.finish(
            Place::programme(arm_index),
            Row {
                from: usize::MAX,
                entries: vec![],
            },
            vec![],
            vec![],
            vec![],
            &roots,
            &s.frame(),
        )?;
        Ok((ctx, costs, served))
    }

    /// An annual programme cost: the years it runs, and its capacity (whose served states become the arm's).
    fn annual_kind(
        &self,
        s: &Structure,
        c: &Spanned<RawArmCost>,
        cfield: &str,
        served: &mut Vec<usize>,
    ) -> Result<ProgrammeKind, InputError> {
        let cost = c.get_ref();
        self.forbid(
            cost,
            &["per", "delay", "cashable"],
            cfield,
            "an annual programme cost (its amount is per year)",
        )?;
        let from_year = cost.from_year.as_ref().map_or(0.0, |v| *v.get_ref());
        let to_year = cost
            .to_year
            .as_ref()
            .map_or(s.settings.horizon_years as f64, |v| *v.get_ref());
        if !(from_year >= 0.0 && to_year > from_year && to_year.is_finite()) {
            return Err(self.err(
                c.span(),
                format!("{cfield}.from_year"),
                format!("an annual cost runs from from_year to to_year (0 ≤ from < to), not {from_year} to {to_year}"),
            ));
        }
        let capacity = match &cost.capacity {
            Some(cap) if !(cap.get_ref().is_finite() && *cap.get_ref() >= 1.0) => {
                return Err(self.err(
                    cap.span(),
                    format!("{cfield}.capacity"),
                    "capacity is the number of people one unit of this cost serves: at least 1",
                ))
            }
            Some(cap) => {
                let states = self.cost_states(cost, s.states, cfield)?;
                if !served.is_empty() && *served != states {
                    return Err(self.err(
                        c.span(),
                        format!("{cfield}.states"),
                        "all capacity-limited costs of an arm must serve the same states",
                    ));
                }
                *served = states;
                Some(*cap.get_ref())
            }
            None => None,
        };
        Ok(ProgrammeKind::Annual {
            from_year,
            to_year,
            capacity,
        })
    }

    fn payer(&self, p: &Spanned<String>, field: &str) -> Result<Payer, InputError> {
        let payers = self.payers.borrow();
        (payers.parse(p.get_ref())).ok_or_else(|| self.unknown_payer(&payers, p, field, "use", "or"))
    }

    /// Rejects any of `keys` the cost gives: they do not apply to its kind.
    pub(super) fn forbid(&self, cost: &RawArmCost, keys: &[&str], field: &str, what: &str) -> Result<(), InputError> {
        let given: [(&str, Option<Range<usize>>); 7] = [
            ("per", cost.per.as_ref().map(|v| v.span())),
            ("states", cost.states.as_ref().map(|v| v.span())),
            ("from_year", cost.from_year.as_ref().map(|v| v.span())),
            ("to_year", cost.to_year.as_ref().map(|v| v.span())),
            ("capacity", cost.capacity.as_ref().map(|v| v.span())),
            ("delay", cost.delay.as_ref().map(|v| v.span())),
            ("cashable", cost.cashable.as_ref().map(|v| v.span())),
        ];
        for (key, span) in given {
            if let (true, Some(span)) = (keys.contains(&key), span) {
                return Err(self.err(
                    span,
                    format!("{field}.{key}"),
                    format!("`{key}` does not apply to {what}"),
                ));
            }
        }
        Ok(())
    }

    /// The model states a recurring or capacity cost applies to: those listed (a tunnel state's name means every
    /// step of it, a step's name that step alone), or every state not marked dead.
    pub(super) fn cost_states(
        &self,
        cost: &RawArmCost,
        states: &StateMap,
        field: &str,
    ) -> Result<Vec<usize>, InputError> {
        match &cost.states {
            None => Ok((0..states.model.len()).filter(|&i| !states.model[i].dead).collect()),
            Some(list) => self.named_states(states, list.get_ref(), &format!("{field}.states")),
        }
    }
}
