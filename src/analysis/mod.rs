//! Economic analysis of PSA results: arm summaries, comparisons of each intervention with its comparator (incremental
//! costs and outcomes, ICER, INMB, net savings), return on investment by payer, acceptability and value of
//! information, payback and cumulative net savings by year.
//!
//! Everything here works on a [`PsaTable`], which comes either from a carecast run or from a CSV of another model's
//! PSA output (`carecast analyse`), so both get the same analyses.

mod accumulate;
pub mod budget;
pub mod cba;
pub mod ce;
pub mod compare;
pub mod csv_input;
pub mod csv_parameters;
pub mod evppi;
pub mod payback_cycles;
pub mod per_year;
pub mod plot_data;
mod ranks;
pub mod ratio_rule;
pub mod reproduce;
pub mod running;
pub mod sensitivity;
pub mod stats;
pub mod subgroups;
mod summaries;
pub mod table;
pub mod twoway;
pub mod voi;

pub use accumulate::AnalysisSums;
pub use table::{PayerCosts, PsaTable};

use crate::model::{OutcomeInfo, Payers};
use ce::Acceptability;
use ratio_rule::NoRatio;
use serde::Serialize;
use stats::Summary;

/// Mean results of one arm, per person.
#[derive(Debug, Clone, Serialize)]
pub struct ArmSummary {
    pub name: String,
    pub label: String,
    /// Total discounted cost (spend + care, all payers).
    pub cost: Summary,
    /// Intervention spend, all payers (when the costs are split by payer).
    pub spend: Option<Summary>,
    /// Downstream care costs, all payers (when split by payer).
    pub care: Option<Summary>,
    /// Mean total cost by payer (council, nhs, person, then any the scenario declares), when split by payer.
    pub cost_by_payer: Option<Vec<f64>>,
    /// Discounted outcomes as accrued (bed days, not bed days avoided), in the table's outcome order.
    pub outcomes: Vec<Summary>,
}

/// Where a comparison sits on the cost-effectiveness plane, which decides how its ICER reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quadrant {
    /// More effective and more costly (NE): the ICER is the price of extra outcome.
    MoreCostlyMoreEffective,
    /// More effective and no more costly (SE): the intervention dominates.
    Dominant,
    /// Less effective and no less costly (NW): the intervention is dominated.
    Dominated,
    /// Less effective and less costly (SW): the ICER is the saving per unit of outcome given up.
    LessCostlyLessEffective,
    /// No difference in outcome: no ICER.
    NoOutcomeDifference,
}

/// The incremental cost-effectiveness ratio with its quadrant.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Icer {
    /// Mean ΔC / mean ΔE; None where ΔE is zero.
    pub value: Option<f64>,
    pub quadrant: Quadrant,
}

impl Icer {
    /// Classifies mean incremental cost and outcome.
    pub fn new(delta_cost: f64, delta_outcome: f64) -> Self {
        let quadrant = if delta_outcome == 0.0 {
            Quadrant::NoOutcomeDifference
        } else if delta_outcome > 0.0 {
            if delta_cost > 0.0 {
                Quadrant::MoreCostlyMoreEffective
            } else {
                Quadrant::Dominant
            }
        } else if delta_cost >= 0.0 {
            Quadrant::Dominated
        } else {
            Quadrant::LessCostlyLessEffective
        };
        let value = (delta_outcome != 0.0).then(|| delta_cost / delta_outcome);
        Icer { value, quadrant }
    }
}

/// One intervention arm against its comparator, per person.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub arm: String,
    pub comparator: String,
    /// ΔC: total cost of the arm minus that of the comparator.
    pub incremental_cost: Summary,
    /// ΔE for each outcome, as a gain: arm − comparator where more is better, comparator − arm (the amount avoided)
    /// where less is better.
    pub incremental_outcomes: Vec<Summary>,
    /// Total cost of the comparator minus that of the arm (positive = saves money).
    pub net_savings: Summary,
    /// Share of iterations in which the arm costs no more than the comparator.
    pub prob_cost_saving: f64,
    /// Net savings by payer (council, nhs, person), when costs are split by payer.
    pub net_savings_by_payer: Option<Vec<PayerNetSavings>>,
    /// Intervention spend of the arm beyond the comparator's (all payers), when split by payer.
    pub spend: Option<Summary>,
    /// Care costs of the comparator minus those of the arm (all payers), when split by payer.
    pub savings: Option<Summary>,
    /// Whole-system benefit–cost ratio, "£ back per £1 spent": mean savings / mean spend (None when
    /// `ratio_withheld` says why not).
    pub bcr: Option<f64>,
    /// Why the whole-system ratio is not shown: no extra spend, or extra spend within noise of zero.
    pub ratio_withheld: Option<NoRatio>,
    /// Per-iteration BCR distribution (iterations with positive spend).
    pub bcr_distribution: Option<Summary>,
    /// Share of iterations with BCR > 1 (among those with positive spend).
    pub prob_bcr_above_one: Option<f64>,
    /// ICER on the primary outcome: mean ΔC / mean ΔE, with ΔE the gain (so £ per unit avoided where less is better).
    pub icer: Option<Icer>,
    /// INMB at the threshold λ on the primary outcome: λ·ΔE − ΔC, with ΔE the gain.
    pub inmb: Option<Summary>,
    /// Share of iterations with INMB > 0 at the threshold, with its Monte Carlo standard error.
    pub prob_cost_effective: Option<f64>,
    pub prob_cost_effective_se: Option<f64>,
}

/// Net savings for one payer.
#[derive(Debug, Clone, Serialize)]
pub struct PayerNetSavings {
    pub payer: String,
    pub net_savings: Summary,
    pub prob_cost_saving: f64,
}

/// Return on investment from one payer's (or everyone's) point of view: savings to `savings_payer` per £1 that
/// `spend_payer` spends, on all savings or on cashable savings only.
#[derive(Debug, Clone, Serialize)]
pub struct RoiRow {
    pub arm: String,
    pub comparator: String,
    /// `council`, `nhs`, `person` or `total`: whose savings.
    pub savings_payer: String,
    /// `council`, `nhs`, `person` or `total`: whose spend.
    pub spend_payer: String,
    /// `all` savings, or `cashable` savings only.
    pub basis: String,
    pub mean_savings: f64,
    pub mean_spend: f64,
    /// Benefit–cost ratio, £ back per £1 spent: mean savings / mean spend.
    pub bcr: f64,
    /// Monte Carlo standard error of `bcr` (delta method).
    pub bcr_se: f64,
    /// Net return on investment: (mean savings − mean spend) / mean spend.
    pub net_roi: f64,
    /// The per-iteration ratio savings / spend, over iterations where this payer spends.
    pub bcr_per_iteration: Summary,
    /// Share of those iterations with a ratio above 1.
    pub prob_bcr_above_one: f64,
    /// Mean savings − mean spend with its distribution.
    pub net_benefit: Summary,
}

/// A return the ratio rule ([`ratio_rule`]) withholds: savings and spend side by side, and why there is no ratio.
#[derive(Debug, Clone, Serialize)]
pub struct WithheldRatio {
    pub arm: String,
    pub comparator: String,
    /// `council`, `nhs`, `person` or `total`: whose savings.
    pub savings_payer: String,
    /// `council`, `nhs`, `person` or `total`: whose spend.
    pub spend_payer: String,
    /// `all` savings, or `cashable` savings only.
    pub basis: String,
    pub mean_savings: f64,
    pub mean_spend: f64,
    /// Savings − spend with its distribution.
    pub net_benefit: Summary,
    pub reason: NoRatio,
}

/// When an intervention pays for itself: first year in which cumulative net savings reach zero.
#[derive(Debug, Clone, Serialize)]
pub struct Payback {
    pub arm: String,
    pub comparator: String,
    /// Share of iterations paying back in each year (index 0 = year 1).
    pub share_by_year: Vec<f64>,
    /// Share of iterations with no payback within the horizon.
    pub share_never: f64,
    /// Median payback year over all iterations (None when at least half never pay back).
    pub median_year: Option<u16>,
    /// The payback year of the mean cumulative net savings (None if they never reach zero).
    pub year_of_mean: Option<u16>,
}

impl Payback {
    /// The share of iterations that have paid back by the end of each year (index 0 = year 1), summed in year order.
    pub fn share_paid_back_by_year(&self) -> Vec<f64> {
        let mut paid = 0.0;
        self.share_by_year
            .iter()
            .map(|s| {
                paid += s;
                paid
            })
            .collect()
    }
}

/// Cumulative net savings per person by year: mean and percentiles (from the iterations whose per-year values were
/// kept).
#[derive(Debug, Clone, Serialize)]
pub struct CumulativeNetSavings {
    pub arm: String,
    pub comparator: String,
    pub mean: Vec<f64>,
    pub p2_5: Vec<f64>,
    pub p25: Vec<f64>,
    pub p50: Vec<f64>,
    pub p75: Vec<f64>,
    pub p97_5: Vec<f64>,
    /// How many iterations the percentiles come from.
    pub iterations: usize,
}

/// Everything a run's report shows.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub iterations: usize,
    pub arms: Vec<ArmSummary>,
    pub comparisons: Vec<Comparison>,
    /// The outcomes' names, in the order of every outcome list above.
    pub outcome_names: Vec<String>,
    /// Each outcome's name, label, unit and direction, in the same order.
    pub outcomes: Vec<OutcomeInfo>,
    /// The primary outcome's name, if any.
    pub primary_outcome: Option<String>,
    /// The threshold λ used for INMB.
    pub threshold: f64,
    /// CEAC, CEAF and EVPI over the willingness-to-pay grid (needs a primary outcome).
    pub acceptability: Option<Acceptability>,
    /// Fully incremental analysis across all arms on the primary outcome (efficiency frontier, dominance), with ΔE
    /// the gain; each row's `mean_effect` is the arm's mean amount as accrued.
    pub incremental: Option<Vec<FrontierRowNamed>>,
    /// Population EVPI at each λ, when a population is given.
    pub population_evpi: Option<Vec<f64>>,
    pub roi: Vec<RoiRow>,
    /// The returns whose ratio is withheld (no extra spend, or spend within noise of zero).
    pub withheld_ratios: Vec<WithheldRatio>,
    pub payback: Vec<Payback>,
    /// Who the payers are (their names and labels), in the order of every list by payer above; written to
    /// summary.json only where a scenario declares or relabels a payer.
    #[serde(skip_serializing_if = "Payers::is_built_in")]
    pub payers: Payers,
    /// Payback in the model's own time unit (weeks, months, quarters or years), for a carecast run.
    pub payback_cycles: Vec<payback_cycles::CyclePayback>,
    pub cumulative_net_savings: Vec<CumulativeNetSavings>,
    /// Warnings about precision (too few iterations for the reported figures).
    pub warnings: Vec<String>,
    /// Whom the amounts are for, in words: "per person", or "for the service" (`[cohort] results = "service"`).
    #[serde(skip)]
    pub per: &'static str,
}

impl Analysis {
    /// The primary outcome's name, label, unit and direction, if there is one.
    pub fn primary(&self) -> Option<&OutcomeInfo> {
        let name = self.primary_outcome.as_ref()?;
        self.outcomes.iter().find(|o| o.name == *name)
    }
}

/// A row of the fully incremental analysis, with the arm's name.
#[derive(Debug, Clone, Serialize)]
pub struct FrontierRowNamed {
    pub arm: String,
    #[serde(flatten)]
    pub row: ce::FrontierRow,
}

/// Analysis settings: the willingness-to-pay grid, the threshold and the population for population EVPI.
#[derive(Debug, Clone)]
pub struct AnalysisOptions {
    pub wtp: Vec<f64>,
    pub threshold: f64,
    pub population: Option<f64>,
}

/// Everything computed from a carecast run: its PSA table, the analyses, the per-year table and the plotted values.
#[derive(Debug, Clone)]
pub struct RunAnalysis {
    pub table: PsaTable,
    pub analysis: Analysis,
    pub per_year: per_year::PerYear,
    pub plot_data: plot_data::PlotData,
}

/// The analysis options a model's settings give: its willingness-to-pay grid, threshold and population.
pub fn options_of(model: &crate::model::Model) -> AnalysisOptions {
    AnalysisOptions {
        wtp: model.settings.wtp.clone(),
        threshold: model.settings.threshold,
        population: model.settings.population,
    }
}

/// Analyses a run of `model` with the model's own analysis settings: independent parts, each on its own thread of
/// the current pool where there are several. The results are the same bits whichever finishes first.
pub fn analyse_run(model: &crate::model::Model, results: &crate::simulate::Results) -> RunAnalysis {
    analyse_run_with(model, results, true)
}

/// [`analyse_run`], with the per-year table only `with_per_year`: a view that shows none (`carecast serve`'s page)
/// gets every other analysis, the same bits, and an empty table ([`per_year::PerYear::not_computed`]). The per-year
/// percentiles were the longest part of the analyses of a 10,000-iteration run of the reference workload.
pub fn analyse_run_with(
    model: &crate::model::Model,
    results: &crate::simulate::Results,
    with_per_year: bool,
) -> RunAnalysis {
    let table = PsaTable::from_results(model, results);
    let mut sums = AnalysisSums::new(&table, &options_of(model));
    sums.feed(&table);
    finish_run(model, &sums, table, results, with_per_year)
}

/// The analyses of a run from the running sums of all its iterations, with `table` and `results` those of the whole
/// run or of its first block (with the whole run's per-year means): per-year table (unless not `with_per_year`),
/// summaries, payback in cycles of a year, plotted values.
fn finish_run(
    model: &crate::model::Model,
    sums: &AnalysisSums,
    table: PsaTable,
    results: &crate::simulate::Results,
    with_per_year: bool,
) -> RunAnalysis {
    let (per_year, (analysis, plot_data)) = rayon::join(
        || {
            if with_per_year {
                per_year::per_year(model, results)
            } else {
                per_year::PerYear::not_computed()
            }
        },
        || {
            let mut analysis = sums.finish(table.yearly.as_ref());
            analysis.per = model.meta.results_for.per();
            // Payback years are payback cycles where cycles are years (a run binned by cycle is another run, whose
            // payback replaces these).
            analysis.payback_cycles = sums.cycle_payback(model.settings.cycle.name());
            let plot_data = plot_data::plot_data(&table, &analysis);
            (analysis, plot_data)
        },
    );
    RunAnalysis {
        per_year,
        plot_data,
        table,
        analysis,
    }
}

/// A run's analyses fed a block of its iterations at a time ([`crate::simulate::run_blocks`]), in bounded memory:
/// the running sums of every analysis, and the first block's results and PSA table, which hold the kept per-year
/// sample and the first 100,000 iterations that percentiles, plots and the default per-iteration files come from.
/// Fed the blocks of a run, it gives the same analyses, bit for bit, as [`analyse_run`] of the whole run.
#[derive(Debug)]
pub struct BlockAnalysis {
    options: AnalysisOptions,
    sums: Option<AnalysisSums>,
    /// Shared, so that the per-iteration files can be written from it while later blocks are fed.
    head: Option<std::sync::Arc<(crate::simulate::Results, PsaTable)>>,
    /// The table of the last block fed after the first, whose memory the next block's table reuses.
    spare: Option<PsaTable>,
}

impl BlockAnalysis {
    /// Ready for the first block of a run of `model`.
    pub fn new(model: &crate::model::Model) -> Self {
        BlockAnalysis {
            options: options_of(model),
            sums: None,
            head: None,
            spare: None,
        }
    }

    /// Adds the next block of the run; keeps the first, and hands any other back (for the engine to simulate a later
    /// block into its memory).
    pub fn feed(
        &mut self,
        model: &crate::model::Model,
        block: crate::simulate::Results,
    ) -> Option<crate::simulate::Results> {
        // Without the costs by year: the running sums do not read them, and `finish` makes the first block's.
        let table = PsaTable::of_iterations_in(model, &block, self.spare.take());
        (self
            .sums
            .get_or_insert_with(|| AnalysisSums::new(&table, &self.options)))
        .feed(&table);
        if self.head.is_none() {
            self.head = Some(std::sync::Arc::new((block, table)));
            None
        } else {
            self.spare = Some(table);
            Some(block)
        }
    }

    /// The first block fed, and its PSA table: what the per-iteration files keep (see [`BlockAnalysis`]).
    pub fn first_block(&self) -> Option<&std::sync::Arc<(crate::simulate::Results, PsaTable)>> {
        self.head.as_ref()
    }

    /// The analyses of every block fed, with `yearly_mean` the per-year means of the whole run (`[arm, year,
    /// column]`, see [`crate::simulate::Results::yearly_mean`]); and the first block's results, holding those means.
    /// None if no block was fed. The first block is copied if something else still holds it (see
    /// [`BlockAnalysis::first_block`]).
    pub fn finish(
        self,
        model: &crate::model::Model,
        yearly_mean: ndarray::Array3<f64>,
    ) -> Option<(RunAnalysis, crate::simulate::Results)> {
        let (sums, head) = (self.sums?, self.head?);
        let (mut results, mut table) = std::sync::Arc::unwrap_or_clone(head);
        results.yearly_mean = yearly_mean;
        table.yearly = Some(table::YearlyCosts::of(model, &results));
        let analysed = finish_run(model, &sums, table, &results, true);
        Some((analysed, results))
    }
}

/// Runs every analysis on a PSA table: its iterations fed to [`AnalysisSums`] as one block.
pub fn analyse(table: &PsaTable, options: &AnalysisOptions) -> Analysis {
    let mut sums = AnalysisSums::new(table, options);
    sums.feed(table);
    sums.finish(table.yearly.as_ref())
}

/// Cumulative net savings of each comparison `(arm, comparator)`: means over all iterations, percentiles of the kept
/// ones.
fn cumulative(arms: &[String], pairs: &[(usize, usize)], yearly: &table::YearlyCosts) -> Vec<CumulativeNetSavings> {
    pairs
        .iter()
        .map(|&(a, c)| {
            let years = yearly.years;
            let k = yearly.sample_size();
            let mut mean = Vec::with_capacity(years);
            let mut running = 0.0;
            for v in yearly.mean_net_savings(a, c) {
                running += v;
                mean.push(running);
            }
            // Cumulative net savings of each kept iteration, carried year by year, and their percentiles each year.
            let mut totals = vec![0.0; k];
            let mut bands: [Vec<f64>; 5] = Default::default();
            for y in 0..years {
                let (cost_c, cost_a) = (yearly.sample_costs(c, y), yearly.sample_costs(a, y));
                for ((total, c), a) in totals.iter_mut().zip(cost_c).zip(cost_a) {
                    *total += c - a;
                }
                let qs = stats::quantiles(&totals, [0.025, 0.25, 0.5, 0.75, 0.975]);
                for (band, q) in bands.iter_mut().zip(qs) {
                    band.push(q);
                }
            }
            let [p2_5, p25, p50, p75, p97_5] = bands;
            CumulativeNetSavings {
                arm: arms[a].clone(),
                comparator: arms[c].clone(),
                mean,
                p2_5,
                p25,
                p50,
                p75,
                p97_5,
                iterations: k,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
