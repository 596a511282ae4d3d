//! Costs converted from their own price year to the scenario's, with the index that converted them: what the
//! outputs show beside the converted values.

use crate::scenario::PriceYear;
use serde::Serialize;

/// The index a scenario's costs were converted with and every conversion made.
#[derive(Debug, Clone, Serialize)]
pub struct PriceConversions {
    /// The index's name as the scenario gives it (or its file).
    pub index: String,
    /// Its source and licence in full.
    pub source: String,
    /// The years it covers, in words.
    pub covers: String,
    /// The scenario's price year: every cost is converted to it.
    pub to: PriceYear,
    /// Each cost that states its own price year, in file order.
    pub costs: Vec<ConvertedCost>,
    /// The scenario's note on its price years (`[prices] note`), such as costs left as they are and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One cost that states its own price year: what was written, the factor and what the model uses.
#[derive(Debug, Clone, Serialize)]
pub struct ConvertedCost {
    /// Where it is in the file: `parameters.home_care_week`, `arms[1].costs[0]`, `states[2].costs.council`.
    pub field: String,
    /// What is converted: the parameter's name, the arm cost's name, or the state and payer.
    pub name: String,
    /// Its price year as written.
    pub from: PriceYear,
    /// index(to) / index(from): what every money value of it is multiplied by.
    pub factor: f64,
    /// Each money value as written, `(field, value)`: `[("mean", 100.0), ("sd", 20.0)]`, or `[("amount", 300.0)]`.
    pub original: Vec<(String, f64)>,
    /// The same values converted (a lognormal's `meanlog` moves by ln(factor); a gamma's `rate` is divided by it).
    pub converted: Vec<(String, f64)>,
}
