//! Published figures a scenario claims to reproduce (`[[reproduce]]`), as compiled from the file.

use super::Payer;
use serde::Serialize;

/// A published figure and how to compute its counterpart from a run.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// What was published, in words.
    pub figure: String,
    /// The `[sources]` key of the publication.
    pub source: String,
    pub published: f64,
    /// The interval or range the publication gives, if any.
    pub published_interval: Option<[f64; 2]>,
    pub metric: Metric,
    /// The intervention arm; it is compared with its comparator.
    pub arm: usize,
    /// The range the reproduced mean must fall in.
    pub accept: [f64; 2],
    /// Why the tolerance is what it is (or why the figure cannot be reproduced).
    pub why: String,
    /// False where the figure cannot be reproduced from published inputs: shown, never passed or failed.
    pub reproducible: bool,
    /// True where the published figure is itself an input of the scenario, so that matching it only shows the model
    /// carries it through unchanged: reported as such, never as a reproduction.
    pub input: bool,
    /// Multiplies the metric (e.g. 10 for "per ten placements").
    pub scale: f64,
    /// Computed for this subgroup alone.
    pub subgroup: Option<usize>,
    /// Computed for this programme year alone (0-based); the whole horizon when None.
    pub year: Option<usize>,
    /// Computed without discounting.
    pub undiscounted: bool,
}

/// What a target computes, per person, for an arm against its comparator.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Care-cost savings of `savings` per £1 of extra spend by `spend` (None = all payers).
    Bcr {
        savings: Option<Payer>,
        spend: Option<Payer>,
    },
    /// The comparator's total cost minus the arm's.
    NetSavings { payer: Option<Payer> },
    /// The comparator's care costs minus the arm's.
    CareSavings { payer: Option<Payer> },
    /// The arm's care costs over the comparator's, minus 1.
    CareCostChange { payer: Option<Payer> },
    /// The arm's total cost minus the comparator's.
    IncrementalCost { payer: Option<Payer> },
    /// The arm's outcome over the comparator's, minus 1.
    OutcomeChange { outcome: usize },
    /// The arm's outcome minus the comparator's.
    IncrementalOutcome { outcome: usize },
    /// Mean ΔC / mean ΔE on the primary outcome.
    Icer,
    /// Share of iterations with λ·ΔE − ΔC > 0 on the primary outcome.
    ProbCostEffective { lambda: f64 },
    /// Share of the arm's cohort in `states` at the end of the target's year, of those in `among` (of everyone when
    /// empty). The states are indices of the states as the file declares them (`[[states]]` order), so a tunnel
    /// state counts the people in every step of it.
    StateShare { states: Vec<usize>, among: Vec<usize> },
    /// When the arm pays back against its comparator, in the model's cycles (weeks where cycles are weeks): the
    /// median over the iterations, nearest rank, an iteration that never pays back counting as beyond the horizon.
    Payback,
}

impl Metric {
    /// The name used in scenario files.
    pub fn name(&self) -> &'static str {
        match self {
            Metric::Bcr { .. } => "bcr",
            Metric::NetSavings { .. } => "net_savings",
            Metric::CareSavings { .. } => "care_savings",
            Metric::CareCostChange { .. } => "care_cost_change",
            Metric::IncrementalCost { .. } => "incremental_cost",
            Metric::OutcomeChange { .. } => "outcome_change",
            Metric::IncrementalOutcome { .. } => "incremental_outcome",
            Metric::Icer => "icer",
            Metric::ProbCostEffective { .. } => "prob_cost_effective",
            Metric::StateShare { .. } => "state_share",
            Metric::Payback => "payback",
        }
    }

    /// Every metric name, for error messages.
    pub const NAMES: [&'static str; 11] = [
        "bcr",
        "net_savings",
        "care_savings",
        "care_cost_change",
        "incremental_cost",
        "outcome_change",
        "incremental_outcome",
        "icer",
        "prob_cost_effective",
        "state_share",
        "payback",
    ];
}
