//! Variants of a scenario that the reproduction checks run, derived from its parsed tables: one subgroup only, no
//! discounting, values accrued at cycle ends, and indicator outcomes that count the people in given states.
//!
//! Values added here have no place in the file, so they carry empty spans; the targets were checked against the file
//! as written, so a variant that fails to compile is carecast's fault, reported as such by the caller.

use super::raw::{ExprText, RawRate, RawScenario};
use serde_spanned::Spanned;

impl RawScenario {
    /// Leaves out the `[[reproduce]]` tables (in a variant, some would name what it lacks).
    pub fn without_targets(&mut self) {
        self.reproduce.clear();
    }

    /// Keeps subgroup `index` alone, with all of the cohort.
    pub fn only_subgroup(&mut self, index: usize) -> Result<(), String> {
        let cohort = self.cohort.get_mut();
        let mut keep = cohort.subgroups.get(index).cloned().ok_or("no such subgroup")?;
        let share = keep.get_ref().share.span();
        keep.get_mut().share = Spanned::new(share, 1.0);
        // Correlations among another subgroup's parameters go with that subgroup.
        let kept = format!("subgroup:{}", keep.get_ref().name.get_ref());
        self.correlations.retain(|c| {
            c.get_ref()
                .scope
                .as_ref()
                .is_none_or(|s| !s.get_ref().starts_with("subgroup:") || *s.get_ref() == kept)
        });
        cohort.subgroups = vec![keep];
        Ok(())
    }

    /// Sets both discount rates to zero.
    pub fn undiscounted(&mut self) {
        let s = &mut self.settings;
        s.discount_rate_costs = Spanned::new(s.discount_rate_costs.span(), RawRate::Flat(0.0));
        s.discount_rate_outcomes = Spanned::new(s.discount_rate_outcomes.span(), RawRate::Flat(0.0));
    }

    /// Accrues every value at the end of its cycle.
    pub fn accrued_at_cycle_ends(&mut self) {
        let accrual = self.settings.accrual.span();
        self.settings.accrual = Spanned::new(accrual, "end".to_string());
    }

    /// Adds an outcome `name` to state `index` worth 1 per year in that state: with accrual at cycle ends and no
    /// discounting, a year's value is then the mean occupancy at the ends of its cycles. A state with no `per` gets
    /// `per = "year"`; `cycles_per_year` is the unit of one that says `per = "cycle"`.
    pub fn add_occupancy_outcome(&mut self, index: usize, name: &str, cycles_per_year: usize) -> Result<(), String> {
        let state = self.states.get_mut(index).ok_or("no such state")?.get_mut();
        let units_per_year = match state.per.as_ref().map_or("year", |p| p.get_ref().as_str()) {
            "year" => 1.0,
            "quarter" => 4.0,
            "month" => 12.0,
            "week" => 52.0,
            _ => cycles_per_year as f64,
        };
        state.per.get_or_insert_with(|| Spanned::new(0..0, "year".to_string()));
        state.outcomes.insert(
            Spanned::new(0..0, name.to_string()),
            Spanned::new(0..0, ExprText::Number(1.0 / units_per_year)),
        );
        Ok(())
    }
}
