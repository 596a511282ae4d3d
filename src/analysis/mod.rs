//! Economic analysis of PSA results: arm summaries, comparisons of each intervention with its comparator (incremental
//! costs and outcomes, ICER, INMB, net savings), return on investment by payer, acceptability and value of
//! information, payback and cumulative net savings by year.
//!
//! Everything here works on a [`PsaTable`], which comes either from a carecast run or from a CSV of another model's
//! PSA output (`carecast analyse`), so both get the same analyses.

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
pub mod ratio_rule;
pub mod reproduce;
pub mod sensitivity;
pub mod stats;
pub mod subgroups;
pub mod table;
pub mod twoway;
pub mod voi;

pub use table::{PayerCosts, PsaTable};

use crate::model::{OutcomeInfo, Payer, Payers};
use ce::Acceptability;
use ratio_rule::{ratio_allowed, NoRatio};
use serde::Serialize;
use stats::{difference, Summary};

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

/// Analyses a run of `model` with the model's own analysis settings.
pub fn analyse_run(model: &crate::model::Model, results: &crate::simulate::Results) -> RunAnalysis {
    analyse_run_beside(model, results, |_| ()).0
}

/// As [`analyse_run`], doing `beside` with the run's PSA table meanwhile (a run writes its per-iteration files so):
/// independent parts, each on its own thread of the current pool where there are several. The results are the same
/// bits whichever finishes first.
pub fn analyse_run_beside<R: Send>(
    model: &crate::model::Model,
    results: &crate::simulate::Results,
    beside: impl FnOnce(&PsaTable) -> R + Send,
) -> (RunAnalysis, R) {
    let (per_year, (table, (mut analysis, plot_data), besides)) = rayon::join(
        || per_year::per_year(model, results),
        || {
            let table = PsaTable::from_results(model, results);
            let (analysed, besides) = rayon::join(
                || rayon::join(|| analyse(&table, &options_of(model)), || plot_data::plot_data(&table)),
                || beside(&table),
            );
            (table, analysed, besides)
        },
    );
    analysis.per = model.meta.results_for.per();
    let analysed = RunAnalysis {
        per_year,
        plot_data,
        table,
        analysis,
    };
    (analysed, besides)
}

/// Runs every analysis on a PSA table.
pub fn analyse(table: &PsaTable, options: &AnalysisOptions) -> Analysis {
    use rayon::prelude::*;
    let n = table.iterations();
    // The summaries are independent of one another: computed in parallel, collected in order.
    let (arms, comparisons): (Vec<ArmSummary>, Vec<Comparison>) = rayon::join(
        || {
            (0..table.arms.len())
                .into_par_iter()
                .map(|a| arm_summary(table, a))
                .collect()
        },
        || {
            let pairs: Vec<(usize, usize)> = table.comparisons().collect();
            (pairs.into_par_iter())
                .map(|(a, c)| comparison(table, a, c, options.threshold))
                .collect()
        },
    );
    // The decision rules value the primary outcome so that higher is better (its negative where less is).
    let (acceptability, ((roi, withheld_ratios), (payback, cumulative_net_savings))) = rayon::join(
        || {
            table.primary.map(|o| {
                let effect = table.effect(o);
                ce::acceptability(table.cost.view(), effect.view(), &options.wtp)
            })
        },
        || {
            rayon::join(
                || (table.payers.as_ref()).map_or_else(Default::default, |payers| roi_rows(table, payers)),
                || {
                    rayon::join(
                        || table.payback.as_ref().map_or_else(Vec::new, |p| payback(table, p)),
                        || table.yearly.as_ref().map_or_else(Vec::new, |y| cumulative(table, y)),
                    )
                },
            )
        },
    );
    let incremental = table.primary.map(|o| {
        let effect = table.effect(o);
        let better = table.outcomes[o].better;
        let mean_cost: Vec<f64> = (0..table.arms.len())
            .map(|a| stats::mean(&table.cost.column(a).to_vec()))
            .collect();
        let mean_effect: Vec<f64> = (0..table.arms.len())
            .map(|a| stats::mean(&effect.column(a).to_vec()))
            .collect();
        ce::incremental_analysis(&mean_cost, &mean_effect)
            .into_iter()
            .map(|mut row| {
                // Shown as the amount accrued: orienting twice gives it back exactly.
                row.mean_effect = better.orient(row.mean_effect);
                FrontierRowNamed {
                    arm: table.arms[row.arm].clone(),
                    row,
                }
            })
            .collect()
    });
    let population_evpi = options
        .population
        .zip(acceptability.as_ref())
        .map(|(p, a)| a.evpi.iter().map(|e| e * p).collect());
    let mut warnings = Vec::new();
    for c in &comparisons {
        if let Some(se) = c.prob_cost_effective_se {
            if se > 0.01 {
                warnings.push(format!(
                    "{} vs {}: the probability cost-effective at the threshold has a Monte Carlo standard error of {:.3} (above 0.01); run more iterations for two-decimal precision",
                    c.arm, c.comparator, se
                ));
            }
        }
    }
    Analysis {
        iterations: n,
        arms,
        comparisons,
        outcome_names: table.outcomes.iter().map(|o| o.name.clone()).collect(),
        outcomes: table.outcomes.clone(),
        primary_outcome: table.primary.map(|o| table.outcomes[o].name.clone()),
        threshold: options.threshold,
        acceptability,
        incremental,
        population_evpi,
        roi,
        withheld_ratios,
        payback,
        payers: table.payers.as_ref().map_or_else(Payers::default, |p| p.payers.clone()),
        payback_cycles: Vec::new(),
        cumulative_net_savings,
        warnings,
        per: "per person",
    }
}

fn arm_summary(table: &PsaTable, a: usize) -> ArmSummary {
    let cost: Vec<f64> = table.cost.column(a).to_vec();
    let payers = table.payers.as_ref();
    ArmSummary {
        name: table.arms[a].clone(),
        label: table.labels[a].clone(),
        cost: Summary::of(&cost),
        spend: payers.map(|p| Summary::of(&p.spend_total(a))),
        care: payers.map(|p| Summary::of(&p.care_total(a))),
        cost_by_payer: payers.map(|p| p.payers.all().map(|payer| stats::mean(&p.cost_of(a, payer))).collect()),
        outcomes: (0..table.outcomes.len())
            .map(|o| Summary::of(&table.outcomes_view(o).column(a).to_vec()))
            .collect(),
    }
}

fn comparison(table: &PsaTable, a: usize, c: usize, lambda: f64) -> Comparison {
    let n = table.iterations();
    let cost_a = table.cost.column(a).to_vec();
    let cost_c = table.cost.column(c).to_vec();
    let delta_cost = difference(&cost_a, &cost_c);
    let net = difference(&cost_c, &cost_a);
    // Gains: arm − comparator of the oriented amounts, which is comparator − arm where less is better.
    let delta_outcomes: Vec<Vec<f64>> = (0..table.outcomes.len())
        .map(|o| {
            let e = table.effect(o);
            difference(&e.column(a).to_vec(), &e.column(c).to_vec())
        })
        .collect();
    let payers = table.payers.as_ref();
    let spend = payers.map(|p| difference(&p.spend_total(a), &p.spend_total(c)));
    let savings = payers.map(|p| difference(&p.care_total(c), &p.care_total(a)));
    let ratio_withheld = spend
        .as_ref()
        .zip(savings.as_ref())
        .and_then(|(spend, savings)| ratio_allowed(spend, stats::mean(savings)).err());
    let (bcr, bcr_distribution, prob_bcr_above_one) = match (&spend, &savings) {
        (Some(spend), Some(savings)) if ratio_withheld.is_none() => {
            let ratios: Vec<f64> = stats::ratios_where_spent(savings, spend);
            (
                Some(stats::mean(savings) / stats::mean(spend)),
                (!ratios.is_empty()).then(|| Summary::of(&ratios)),
                (!ratios.is_empty()).then(|| stats::share(&ratios, |r| r > 1.0)),
            )
        }
        _ => (None, None, None),
    };
    let net_savings_by_payer = payers.map(|p| {
        (p.payers.all())
            .map(|payer| {
                let v = difference(&p.cost_of(c, payer), &p.cost_of(a, payer));
                PayerNetSavings {
                    payer: p.payers.name(payer).to_string(),
                    prob_cost_saving: stats::share(&v, |x| x >= 0.0),
                    net_savings: Summary::of(&v),
                }
            })
            .collect()
    });
    let primary = table.primary;
    let icer = primary.map(|o| Icer::new(stats::mean(&delta_cost), stats::mean(&delta_outcomes[o])));
    let inmb: Option<Vec<f64>> = primary.map(|o| {
        delta_outcomes[o]
            .iter()
            .zip(&delta_cost)
            .map(|(de, dc)| lambda * de - dc)
            .collect()
    });
    let prob_cost_effective = inmb.as_ref().map(|v| stats::share(v, |x| x > 0.0));
    Comparison {
        arm: table.arms[a].clone(),
        comparator: table.arms[c].clone(),
        incremental_cost: Summary::of(&delta_cost),
        incremental_outcomes: delta_outcomes.iter().map(|d| Summary::of(d)).collect(),
        prob_cost_saving: stats::share(&net, |x| x >= 0.0),
        net_savings: Summary::of(&net),
        net_savings_by_payer,
        spend: spend.as_ref().map(|s| Summary::of(s)),
        savings: savings.as_ref().map(|s| Summary::of(s)),
        bcr,
        ratio_withheld,
        bcr_distribution,
        prob_bcr_above_one,
        icer,
        inmb: inmb.as_ref().map(|v| Summary::of(v)),
        prob_cost_effective,
        prob_cost_effective_se: prob_cost_effective.map(|p| (p * (1.0 - p) / n as f64).sqrt()),
    }
}

/// Payer perspectives for ROI: each payer, then everyone (None).
fn perspectives(payers: &Payers) -> impl Iterator<Item = Option<Payer>> + Clone + '_ {
    payers.all().map(Some).chain([None])
}

/// A perspective's name in files: the payer's, or `total` for everyone.
fn perspective_name(payers: &Payers, p: Option<Payer>) -> &str {
    p.map_or("total", |p| payers.name(p))
}

/// Every return on investment: the rows with a ratio, and those whose ratio the ratio rule withholds. A payer who
/// spends nothing on the intervention in either arm has no spend perspective; the whole system always has one.
fn roi_rows(table: &PsaTable, payers: &PayerCosts) -> (Vec<RoiRow>, Vec<WithheldRatio>) {
    use rayon::prelude::*;
    let (mut rows, mut withheld) = (Vec::new(), Vec::new());
    for (a, c) in table.comparisons() {
        // Each perspective's per-iteration savings and spend, made once: every row reads one of each.
        let bases = [("all", false), ("cashable", true)];
        let savings: Vec<Savings> = perspectives(&payers.payers)
            .flat_map(|p| bases.map(|(basis, cashable)| (p, basis, cashable)))
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|(p, basis, cashable)| {
                let saved = difference(&payers.care_by(c, p, cashable), &payers.care_by(a, p, cashable));
                (p, basis, saved)
            })
            .collect();
        // One verdict for each spend, against everything the intervention saves, for every row that divides by it.
        let all_savings = stats::mean(
            &savings
                .iter()
                .find(|(p, b, _)| p.is_none() && *b == "all")
                .expect("total")
                .2,
        );
        let spends: Vec<Spend> = perspectives(&payers.payers)
            .filter_map(|p| {
                let (spend_a, spend_c) = (payers.spend_by(a, p), payers.spend_by(c, p));
                // The whole system is always a perspective: with no spend at all, it is a cheaper way of doing the
                // same thing, which the withheld rows say.
                let none = p.is_some() && spend_a.iter().chain(&spend_c).all(|s| *s == 0.0);
                (!none).then(|| (p, difference(&spend_a, &spend_c)))
            })
            .collect();
        let jobs: Vec<(&Spend, &Savings)> = spends
            .iter()
            .flat_map(|s| savings.iter().map(move |v| (s, v)))
            .collect();
        // Rows in parallel, kept in the order above: each is computed alone, so the bits do not depend on threads.
        let done: Vec<Option<Result<RoiRow, WithheldRatio>>> = jobs
            .into_par_iter()
            .map(|((spend_payer, spend), (savings_payer, basis, savings))| {
                let row = RoiParts {
                    table,
                    payers: &payers.payers,
                    arms: (a, c),
                    perspective: (*savings_payer, *spend_payer),
                    basis,
                };
                row.roi(savings, spend, ratio_allowed(spend, all_savings))
            })
            .collect();
        for row in done.into_iter().flatten() {
            match row {
                Ok(row) => rows.push(row),
                Err(w) => withheld.push(w),
            }
        }
    }
    (rows, withheld)
}

/// Whose savings, on which basis ("all" or "cashable"), per iteration.
type Savings = (Option<Payer>, &'static str, Vec<f64>);

/// Whose spend, per iteration.
type Spend = (Option<Payer>, Vec<f64>);

/// Which return on investment a row is: its arms, whose savings and whose spend, and on which basis.
struct RoiParts<'a> {
    table: &'a PsaTable,
    payers: &'a Payers,
    arms: (usize, usize),
    /// (whose savings, whose spend).
    perspective: (Option<Payer>, Option<Payer>),
    basis: &'a str,
}

impl RoiParts<'_> {
    /// The row from its per-iteration savings and spend and the ratio rule's verdict on the spend: a ratio, a
    /// withheld ratio, or nothing (a payer with nothing to say about a withheld ratio).
    fn roi(
        &self,
        savings: &[f64],
        spend: &[f64],
        verdict: Result<(), NoRatio>,
    ) -> Option<Result<RoiRow, WithheldRatio>> {
        let (a, c) = self.arms;
        let (savings_payer, spend_payer) = self.perspective;
        let mean_savings = stats::mean(savings);
        let mean_spend = stats::mean(spend);
        let net_benefit = Summary::of(&difference(savings, spend));
        let names = |p| perspective_name(self.payers, p).to_string();
        if let Err(reason) = verdict {
            // A payer with the same care costs in both arms in every iteration has nothing to say here.
            if savings_payer.is_some() && savings.iter().all(|v| *v == 0.0) {
                return None;
            }
            return Some(Err(WithheldRatio {
                arm: self.table.arms[a].clone(),
                comparator: self.table.arms[c].clone(),
                savings_payer: names(savings_payer),
                spend_payer: names(spend_payer),
                basis: self.basis.to_string(),
                mean_savings,
                mean_spend,
                net_benefit,
                reason,
            }));
        }
        // The rule lets through only spends positive in at least 97.5% of iterations, so some are.
        let ratios: Vec<f64> = stats::ratios_where_spent(savings, spend);
        Some(Ok(RoiRow {
            arm: self.table.arms[a].clone(),
            comparator: self.table.arms[c].clone(),
            savings_payer: names(savings_payer),
            spend_payer: names(spend_payer),
            basis: self.basis.to_string(),
            mean_savings,
            mean_spend,
            bcr: mean_savings / mean_spend,
            bcr_se: stats::ratio_of_means_se(savings, spend),
            net_roi: (mean_savings - mean_spend) / mean_spend,
            bcr_per_iteration: Summary::of(&ratios),
            prob_bcr_above_one: stats::share(&ratios, |r| r > 1.0),
            net_benefit,
        }))
    }
}

fn payback(table: &PsaTable, years: &table::PaybackYears) -> Vec<Payback> {
    let n = table.iterations();
    table
        .comparisons()
        .map(|(a, c)| {
            let mut counts = vec![0usize; years.horizon];
            let mut never = 0;
            for i in 0..n {
                match years.year[[i, a]] {
                    Some(y) => counts[usize::from(y) - 1] += 1,
                    None => never += 1,
                }
            }
            // Median over all iterations, counting "never" as beyond the horizon.
            let mut cumulative = 0;
            let mut median_year = None;
            for (y, count) in counts.iter().enumerate() {
                cumulative += count;
                if 2 * cumulative >= n {
                    median_year = Some((y + 1) as u16);
                    break;
                }
            }
            let year_of_mean = table.yearly.as_ref().and_then(|y| {
                let mean = y.mean_net_savings(a, c);
                let mut total = 0.0;
                mean.iter()
                    .position(|v| {
                        total += v;
                        total >= 0.0
                    })
                    .map(|i| (i + 1) as u16)
            });
            Payback {
                arm: table.arms[a].clone(),
                comparator: table.arms[c].clone(),
                share_by_year: counts.iter().map(|&k| k as f64 / n as f64).collect(),
                share_never: never as f64 / n as f64,
                median_year,
                year_of_mean,
            }
        })
        .collect()
}

fn cumulative(table: &PsaTable, yearly: &table::YearlyCosts) -> Vec<CumulativeNetSavings> {
    table
        .comparisons()
        .map(|(a, c)| {
            let years = yearly.years;
            let k = yearly.sample_size();
            let mut mean = Vec::with_capacity(years);
            let mut running = 0.0;
            for v in yearly.mean_net_savings(a, c) {
                running += v;
                mean.push(running);
            }
            // Cumulative net savings of each kept iteration, then percentiles year by year.
            let mut paths = vec![0.0; k * years];
            for i in 0..k {
                let mut total = 0.0;
                for y in 0..years {
                    total += yearly.sample_cost(i, c, y) - yearly.sample_cost(i, a, y);
                    paths[i * years + y] = total;
                }
            }
            let mut bands: [Vec<f64>; 5] = Default::default();
            for y in 0..years {
                let column: Vec<f64> = (0..k).map(|i| paths[i * years + y]).collect();
                let qs = stats::quantiles(&column, [0.025, 0.25, 0.5, 0.75, 0.975]);
                for (band, q) in bands.iter_mut().zip(qs) {
                    band.push(q);
                }
            }
            let [p2_5, p25, p50, p75, p97_5] = bands;
            CumulativeNetSavings {
                arm: table.arms[a].clone(),
                comparator: table.arms[c].clone(),
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
