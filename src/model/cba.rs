//! `[cba]` as compiled: the local cost-benefit conventions a scenario asks for (see docs/scenario-format.md, "Local
//! cost-benefit conventions"), each adjustment a share, and the outcomes valued in money.

use serde::Serialize;

/// The adjustments and money values of a scenario's `[cba]` block; every share is from 0 to 1 except the optimism
/// bias on costs, which may exceed 1 (an estimate more than doubled).
#[derive(Debug, Clone, Serialize)]
pub struct CbaSettings {
    /// Share added to the intervention's extra spend.
    pub optimism_bias_costs: f64,
    /// Share taken off every benefit.
    pub optimism_bias_benefits: f64,
    /// Share of the benefits that would have happened anyway.
    pub deadweight: f64,
    /// Share of what remains that is due to others than the intervention.
    pub attribution_to_others: f64,
    /// Share of what remains that is only moved from elsewhere.
    pub displacement: f64,
    /// Share of a year's benefit lost by the next year: programme year `y` keeps `(1 − drop_off)^(y − 1)`.
    pub drop_off: f64,
    /// Where the adjustments come from, as the scenario says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Outcomes valued as economic benefits.
    pub economic: Vec<MonetisedOutcome>,
    /// Outcomes valued as social benefits.
    pub social: Vec<MonetisedOutcome>,
}

/// An outcome valued in money: £ per unit gained, or avoided where less is better.
#[derive(Debug, Clone, Serialize)]
pub struct MonetisedOutcome {
    /// Index of the outcome in the model's outcomes.
    #[serde(skip)]
    pub outcome: usize,
    /// The outcome's identifier.
    pub name: String,
    /// £ per unit.
    pub value: f64,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
