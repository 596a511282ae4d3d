//! The models a run simulates behind the scenario's own: undiscounted, for the budget impact in cash; binned by
//! cycle, for payback in weeks, months or quarters.

use super::{compile, schedule, Model};

impl Model {
    /// The same model without discounting, for the budget impact in cash; None when neither costs nor outcomes are
    /// discounted already.
    pub fn undiscounted(&self) -> Option<Model> {
        let zero = |s: &schedule::DiscountSchedule| s.steps.iter().all(|step| step.rate == 0.0);
        if zero(&self.settings.discount_costs) && zero(&self.settings.discount_outcomes) {
            return None;
        }
        let mut model = self.clone();
        let none = schedule::DiscountSchedule {
            steps: vec![schedule::RateStep {
                from_year: 0.0,
                rate: 0.0,
            }],
        };
        model.settings.discount_costs = none.clone();
        model.settings.discount_outcomes = none;
        model.waves = (self.waves.iter())
            .map(|w| compile::wave(w.entry_year, w.share, &model.settings, &model.weight_sets))
            .collect();
        Some(model)
    }

    /// The model whose run gives payback in cycles (weeks, months, quarters): [`Model::binned_by_cycle`] accruing only
    /// the costs payback reads ([`Model::payback_reads`]); None when cycles are a year long already. Those costs are
    /// the same sums in the same order as with every column accrued, so its payback cycles are the same bits; its
    /// other columns stay zero. Accruing the outcomes too, for nothing, made the adaptations scenario's run by week
    /// about a fifth longer (2026-12-07, 40 alternated rounds: 0.845 of the time without them).
    pub fn by_cycle(&self) -> Option<Model> {
        let mut model = self.binned_by_cycle()?;
        let read = |k: usize| self.payback_reads(k);
        for ctx in &mut model.contexts {
            ctx.static_flows.retain(|f| read(f.column));
            ctx.dynamic_flows.retain(|f| read(f.column));
            ctx.own_accrual_flows.retain(|f| read(f.column));
            ctx.one_offs.retain(|o| read(o.column));
        }
        for costs in &mut model.programme_costs {
            costs.retain(|c| read(c.column));
        }
        Some(model)
    }

    /// The same model with the engine's bins one cycle long instead of a year; None when cycles are a year long
    /// already. Nothing else changes: the same draws, the same trace and values, only summed by cycle (and no per-bin
    /// sample kept).
    pub fn binned_by_cycle(&self) -> Option<Model> {
        if self.settings.cycles_per_bin == 1 {
            return None;
        }
        let mut model = self.clone();
        model.settings.cycles_per_bin = 1;
        // Its payback is all that is read of it: keeping the 260 weekly bins of each of its 10,000 iterations (up to
        // 60 MiB) made the adaptations scenario's what-if 1.19 times as long (12 alternated rounds).
        model.settings.keeps_sample = false;
        model.settings.n_bins = self.settings.cycles();
        model.waves = (self.waves.iter())
            .map(|w| compile::wave(w.entry_year, w.share, &model.settings, &model.weight_sets))
            .collect();
        Some(model)
    }
}
