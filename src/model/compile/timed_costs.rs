//! Arm costs placed in time or entered as savings: a one-off cost paid after a `delay` (`"7 months"`), and a care
//! cost avoided (`kind = "saving"`), which lowers its payer's care costs instead of adding to intervention spend.

use super::builder::ContextBuilder;
use super::contexts::Structure;
use super::Compiler;
use crate::error::InputError;
use crate::model::{Flow, Payer, Settings};
use crate::scenario::raw::{RawArmCost, RawScenario};
use serde_spanned::Spanned;

impl Compiler<'_> {
    /// Every distinct delay of the arms' one-off costs, in years, in the order they are first written: the timings
    /// each wave works out ([`Settings::one_off_delays`]).
    pub(super) fn one_off_delays(&self, raw: &RawScenario, settings: &Settings) -> Result<Vec<f64>, InputError> {
        let mut delays: Vec<f64> = Vec::new();
        for (a, arm) in raw.arms.get_ref().iter().enumerate() {
            for (ci, c) in arm.get_ref().costs.iter().enumerate() {
                let cost = c.get_ref();
                if let (Some(d), "one_off") = (&cost.delay, cost.kind.get_ref().as_str()) {
                    let years = self.delay_years(d, &format!("arms[{a}].costs[{ci}].delay"), settings)?;
                    if !delays.contains(&years) {
                        delays.push(years);
                    }
                }
            }
        }
        Ok(delays)
    }

    /// A delay as written, `"<number> <unit>"` with the unit weeks, months or years, in years (a week is 1/52 of a
    /// year, as a weekly cycle is). It must be positive and end before the horizon.
    pub(super) fn delay_years(&self, d: &Spanned<String>, field: &str, settings: &Settings) -> Result<f64, InputError> {
        let text = d.get_ref().trim();
        let bad = |why: &str| {
            self.err(
                d.span(),
                field,
                format!("`{text}` is not a delay: {why}; write a number and a unit, such as \"7 months\", \"30 weeks\" or \"2 years\""),
            )
        };
        let (number, unit) = text
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad("it needs a unit"))?;
        let count: f64 = number
            .parse()
            .map_err(|_| bad(&format!("`{number}` is not a number")))?;
        let per_year = match unit.trim() {
            "week" | "weeks" => 52.0,
            "month" | "months" => 12.0,
            "year" | "years" => 1.0,
            other => return Err(bad(&format!("`{other}` is not a unit (weeks, months or years)"))),
        };
        if !(count.is_finite() && count > 0.0) {
            return Err(bad("it must be more than zero (a cost paid at entry needs no delay)"));
        }
        let years = count / per_year;
        if years >= settings.horizon_years as f64 {
            return Err(self.err(
                d.span(),
                field,
                format!(
                    "a cost paid {text} after entry falls at or after the end of the {}-year horizon, so it would never be counted",
                    settings.horizon_years
                ),
            ));
        }
        Ok(years)
    }

    /// A care cost avoided, per person per `per` while in `states` (default: every state not marked dead): taken
    /// from the payer's care costs, and its `cashable` share from their cashable part, accrued as care costs are.
    /// It is not intervention spend, so a return's denominator does not change.
    pub(super) fn saving(
        &self,
        b: &mut ContextBuilder,
        s: &Structure,
        c: &Spanned<RawArmCost>,
        cfield: &str,
        payer: Payer,
        flows: &mut Vec<Flow>,
    ) -> Result<(), InputError> {
        let cost = c.get_ref();
        self.forbid(
            cost,
            &["from_year", "to_year", "capacity", "delay"],
            cfield,
            "a saving (use an expression of t to limit it in time)",
        )?;
        let per = cost.per.as_ref().ok_or_else(|| {
            self.err(
                c.span(),
                format!("{cfield}.per"),
                "a saving needs `per` (year, quarter, month, week or cycle): units are never guessed",
            )
        })?;
        let factor = self.per_cycle_factor(per, s.settings, &format!("{cfield}.per"))?;
        let cashable = match &cost.cashable {
            Some(v) if !(0.0..=1.0).contains(v.get_ref()) => {
                return Err(self.err(
                    v.span(),
                    format!("{cfield}.cashable"),
                    format!(
                        "the cashable share is the fraction of a saving that is released as cash, from 0 to 1, not {}",
                        v.get_ref()
                    ),
                ))
            }
            Some(v) => *v.get_ref(),
            None => 1.0,
        };
        let slot = b.quantity(
            &cost.amount,
            &format!("{cfield}.amount"),
            &format!("saving {}", cost.name.get_ref()),
        )?;
        let care = s
            .settings
            .weight_set(s.weight_sets, s.settings.accrual_of.care_costs, true);
        for state in self.cost_states(cost, s.states, cfield)? {
            flows.push(Flow {
                state,
                column: self.payers.borrow().columns().care(payer),
                is_cost: true,
                slot,
                factor: -factor,
                weight_set: care,
            });
            if s.has_noncashable {
                flows.push(Flow {
                    state,
                    column: self.payers.borrow().columns().cashable(payer),
                    is_cost: true,
                    slot,
                    factor: -factor * cashable,
                    weight_set: care,
                });
            }
        }
        Ok(())
    }
}

/// Whether any arm's saving has a cashable share below 1.
pub(super) fn has_noncashable_saving(raw: &RawScenario) -> bool {
    raw.arms.get_ref().iter().any(|arm| {
        arm.get_ref().costs.iter().any(|c| {
            let cost = c.get_ref();
            cost.kind.get_ref() == "saving" && cost.cashable.as_ref().is_some_and(|v| *v.get_ref() < 1.0)
        })
    })
}
