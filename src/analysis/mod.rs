//! Economic analysis of PSA results: summaries per arm and comparisons of each intervention with its comparator.

pub mod stats;

use crate::engine::Results;
use crate::model::{columns, Model, Payer};
use serde::Serialize;
use stats::{Sorted, Summary};

/// Mean results of one arm, per person.
#[derive(Debug, Clone, Serialize)]
pub struct ArmSummary {
    pub name: String,
    pub label: String,
    /// Total discounted cost (spend + care, all payers).
    pub cost: Summary,
    /// Intervention spend, all payers.
    pub spend: Summary,
    /// Downstream care costs, all payers.
    pub care: Summary,
    /// Mean total cost by payer (council, nhs, person).
    pub cost_by_payer: [f64; 3],
    /// Discounted outcomes in the model's outcome order.
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
    /// Less effective and more costly (NW): the intervention is dominated.
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

    /// A short human reading: "£12,345 per QALY", "dominant (cheaper and better)", ...
    pub fn describe(&self, outcome: &str) -> String {
        match (self.quadrant, self.value) {
            (Quadrant::MoreCostlyMoreEffective, Some(v)) => {
                format!("{} per {outcome} gained", stats::money(v))
            }
            (Quadrant::LessCostlyLessEffective, Some(v)) => {
                format!("{} saved per {outcome} lost (SW quadrant)", stats::money(v))
            }
            (Quadrant::Dominant, _) => "dominant (no more costly, more effective)".to_string(),
            (Quadrant::Dominated, _) => "dominated (no less costly, less effective)".to_string(),
            _ => "none (no difference in outcome)".to_string(),
        }
    }
}

/// One intervention arm against its comparator, per person.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub arm: String,
    pub comparator: String,
    /// ΔC: total cost of the arm minus that of the comparator.
    pub incremental_cost: Summary,
    /// ΔE for each outcome.
    pub incremental_outcomes: Vec<Summary>,
    /// Total cost of the comparator minus that of the arm (positive = saves money).
    pub net_savings: Summary,
    /// Share of iterations in which the arm costs no more than the comparator.
    pub prob_cost_saving: f64,
    /// Intervention spend of the arm beyond the comparator's.
    pub spend: Summary,
    /// Downstream care costs of the comparator minus those of the arm.
    pub savings: Summary,
    /// Benefit–cost ratio, "£ back per £1 spent": mean savings / mean spend (None when mean spend is zero).
    pub bcr: Option<f64>,
    /// Per-iteration BCR distribution (iterations with positive spend).
    pub bcr_distribution: Option<Summary>,
    /// Share of iterations with BCR > 1.
    pub prob_bcr_above_one: Option<f64>,
    /// ICER on the primary outcome.
    pub icer: Option<Icer>,
    /// INMB at the threshold λ on the primary outcome: λ·ΔE − ΔC.
    pub inmb: Option<Summary>,
    /// Share of iterations with INMB > 0 at the threshold.
    pub prob_cost_effective: Option<f64>,
}

/// Everything the terminal table and summary.json report.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub arms: Vec<ArmSummary>,
    pub comparisons: Vec<Comparison>,
    /// The primary outcome's name, if any.
    pub primary_outcome: Option<String>,
    /// The threshold λ used for INMB.
    pub threshold: f64,
}

/// Computes arm summaries and comparisons from PSA results.
pub fn analyse(model: &Model, results: &Results) -> Analysis {
    let n = results.iterations();
    let n_outcomes = model.outcomes.len();
    let column = |arm: usize, col: usize| -> Vec<f64> { (0..n).map(|i| results.totals[[i, arm, col]]).collect() };
    let sum_columns = |arm: usize, cols: &[usize]| -> Vec<f64> {
        (0..n)
            .map(|i| cols.iter().map(|&c| results.totals[[i, arm, c]]).sum())
            .collect()
    };
    let spend_cols: Vec<usize> = Payer::ALL.iter().map(|&p| columns::spend(p)).collect();
    let care_cols: Vec<usize> = Payer::ALL.iter().map(|&p| columns::care(p)).collect();
    let all_cols: Vec<usize> = spend_cols.iter().chain(&care_cols).copied().collect();

    let arms: Vec<ArmSummary> = model
        .arms
        .iter()
        .enumerate()
        .map(|(a, info)| ArmSummary {
            name: info.name.clone(),
            label: info.label.clone(),
            cost: Summary::of(&sum_columns(a, &all_cols)),
            spend: Summary::of(&sum_columns(a, &spend_cols)),
            care: Summary::of(&sum_columns(a, &care_cols)),
            cost_by_payer: Payer::ALL.map(|p| stats::mean(&sum_columns(a, &[columns::care(p), columns::spend(p)]))),
            outcomes: (0..n_outcomes)
                .map(|o| Summary::of(&column(a, columns::outcome(o))))
                .collect(),
        })
        .collect();

    let primary = model.settings.primary_outcome;
    let lambda = model.settings.threshold;
    let comparisons = model
        .arms
        .iter()
        .enumerate()
        .filter_map(|(a, info)| info.comparator.map(|c| (a, c)))
        .map(|(a, c)| {
            let cost_a = sum_columns(a, &all_cols);
            let cost_c = sum_columns(c, &all_cols);
            let delta_cost: Vec<f64> = cost_a.iter().zip(&cost_c).map(|(x, y)| x - y).collect();
            let net: Vec<f64> = delta_cost.iter().map(|d| -d).collect();
            let spend: Vec<f64> = sum_columns(a, &spend_cols)
                .iter()
                .zip(sum_columns(c, &spend_cols))
                .map(|(x, y)| x - y)
                .collect();
            let savings: Vec<f64> = sum_columns(c, &care_cols)
                .iter()
                .zip(sum_columns(a, &care_cols))
                .map(|(x, y)| x - y)
                .collect();
            let delta_outcomes: Vec<Vec<f64>> = (0..n_outcomes)
                .map(|o| {
                    column(a, columns::outcome(o))
                        .iter()
                        .zip(column(c, columns::outcome(o)))
                        .map(|(x, y)| x - y)
                        .collect()
                })
                .collect();
            let mean_spend = stats::mean(&spend);
            let ratios: Vec<f64> = savings
                .iter()
                .zip(&spend)
                .filter(|(_, s)| **s > 0.0)
                .map(|(v, s)| v / s)
                .collect();
            let icer = primary.map(|o| Icer::new(stats::mean(&delta_cost), stats::mean(&delta_outcomes[o])));
            let inmb: Option<Vec<f64>> = primary.map(|o| {
                delta_outcomes[o]
                    .iter()
                    .zip(&delta_cost)
                    .map(|(de, dc)| lambda * de - dc)
                    .collect()
            });
            Comparison {
                arm: info_name(model, a),
                comparator: info_name(model, c),
                incremental_cost: Summary::of(&delta_cost),
                incremental_outcomes: delta_outcomes.iter().map(|d| Summary::of(d)).collect(),
                prob_cost_saving: stats::share(&net, |x| x >= 0.0),
                net_savings: Summary::of(&net),
                bcr: (mean_spend > 0.0).then(|| stats::mean(&savings) / mean_spend),
                bcr_distribution: (!ratios.is_empty()).then(|| Summary::of(&ratios)),
                prob_bcr_above_one: (!ratios.is_empty()).then(|| stats::share(&ratios, |r| r > 1.0)),
                spend: Summary::of(&spend),
                savings: Summary::of(&savings),
                icer,
                prob_cost_effective: inmb.as_ref().map(|v| stats::share(v, |x| x > 0.0)),
                inmb: inmb.as_ref().map(|v| Summary::of(v)),
            }
        })
        .collect();
    Analysis {
        arms,
        comparisons,
        primary_outcome: primary.map(|o| model.outcomes[o].clone()),
        threshold: lambda,
    }
}

fn info_name(model: &Model, arm: usize) -> String {
    model.arms[arm].name.clone()
}

#[allow(unused_imports)]
use Sorted as _;
