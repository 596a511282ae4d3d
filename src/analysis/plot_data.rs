//! The per-iteration values the plots show: £ back per £1 spent by whose savings, and the incremental cost and
//! outcome of each comparison on the cost-effectiveness plane.

use super::stats::{difference, ratios_where_spent, PERCENTILE_VALUES};
use super::{Analysis, PsaTable};
use crate::model::Payer;

/// The per-iteration return of one comparison: for each payer whose care costs differ between the arms (in that
/// order: council, NHS, person, then those the scenario declares), then for the whole system (`None`), savings per £1 of all intervention spend.
#[derive(Debug, Clone)]
pub struct RoiSamples {
    pub arm: usize,
    pub comparator: usize,
    /// Whose savings, and the ratios over the iterations with spend (a ratio is undefined without).
    pub panels: Vec<(Option<Payer>, Vec<f64>)>,
    /// Whether the last payer panel holds every saving (its values are the whole system's), so that the two panels
    /// would be the same picture: the whole system's panel is then left out.
    pub one_payer_saves: bool,
}

/// ΔE (primary outcome, as a gain: the amount avoided where less is better) and ΔC (total cost) of one comparison,
/// per iteration.
#[derive(Debug, Clone)]
pub struct PlaneSamples {
    pub arm: usize,
    pub comparator: usize,
    pub delta_effect: Vec<f64>,
    pub delta_cost: Vec<f64>,
}

/// Everything the plots of a run draw beyond the analysis's summaries.
#[derive(Debug, Clone, Default)]
pub struct PlotData {
    /// One per comparison, when costs are split by payer.
    pub roi: Vec<RoiSamples>,
    /// One per comparison, when there is a primary outcome.
    pub plane: Option<Vec<PlaneSamples>>,
}

/// The plotted values of a PSA table (a run's, or its first iterations in a run analysed a block at a time), with
/// the analysis of all of the run's iterations.
pub fn plot_data(table: &PsaTable, analysis: &Analysis) -> PlotData {
    // The plots show the run's first 100,000 iterations, as its percentiles are of them, so that a run analysed a
    // block at a time (which keeps only those) draws the same pictures.
    let n = table.iterations().min(PERCENTILE_VALUES);
    let roi = table.payers.as_ref().map_or_else(Vec::new, |payers| {
        (table.comparisons().zip(&analysis.comparisons))
            .filter_map(|((a, c), comparison)| {
                // No plot where the ratio rule withholds the whole system's ratio: it would show nothing, or noise.
                comparison.bcr?;
                let spend = difference(&payers.spend_by(a, None, 0..n), &payers.spend_by(c, None, 0..n));
                let mut panels = Vec::new();
                let mut by_payer = Vec::new();
                for payer in payers.payers.all().map(Some).chain([None]) {
                    let savings = difference(
                        &payers.care_by(c, payer, false, 0..n),
                        &payers.care_by(a, payer, false, 0..n),
                    );
                    // A payer whose care costs are the same in both arms in every iteration (usually: none at all)
                    // would only show a spike at £0.
                    if payer.is_some() && savings.iter().all(|v| *v == 0.0) {
                        continue;
                    }
                    panels.push((payer, ratios_where_spent(&savings, &spend)));
                    by_payer.push(savings);
                }
                // One payer with savings, equal to the whole system's in every iteration: one panel says it all.
                let one_payer_saves = by_payer.len() == 2 && by_payer[0] == by_payer[1];
                if one_payer_saves {
                    panels.pop();
                }
                Some(RoiSamples {
                    arm: a,
                    comparator: c,
                    panels,
                    one_payer_saves,
                })
            })
            .collect()
    });
    let plane = table.primary.map(|o| {
        let effect = table.effect(o);
        table
            .comparisons()
            .map(|(a, c)| PlaneSamples {
                arm: a,
                comparator: c,
                delta_effect: (0..n).map(|i| effect[[i, a]] - effect[[i, c]]).collect(),
                delta_cost: (0..n).map(|i| table.cost[[i, a]] - table.cost[[i, c]]).collect(),
            })
            .collect()
    });
    PlotData { roi, plane }
}
