//! The scenario file exactly as written: serde structs that reject unknown keys and keep byte spans for errors.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_spanned::Spanned;
use std::collections::BTreeMap;
use std::fmt;

/// One transition row or starting distribution: destination state → probability.
pub type RawRow = BTreeMap<Spanned<String>, Spanned<ExprText>>;

/// Transition rows by origin state.
pub type RawRows = BTreeMap<Spanned<String>, Spanned<RawRow>>;

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub scenario: RawMeta,
    #[serde(default)]
    pub sources: BTreeMap<String, Spanned<String>>,
    pub settings: RawSettings,
    /// `[outcomes]`: how people read each outcome and which way is better, by outcome name.
    #[serde(default)]
    pub outcomes: BTreeMap<Spanned<String>, Spanned<RawOutcome>>,
    /// `[payers]`: labels for the built-in payers, and the further payers the scenario names, by name.
    #[serde(default)]
    pub payers: BTreeMap<Spanned<String>, Spanned<RawPayer>>,
    #[serde(default)]
    pub parameters: BTreeMap<Spanned<String>, Spanned<RawParameter>>,
    pub states: Vec<Spanned<RawState>>,
    pub start: Spanned<RawRow>,
    pub transitions: Spanned<RawRows>,
    pub arms: Spanned<Vec<Spanned<RawArm>>>,
    pub cohort: Spanned<RawCohort>,
    #[serde(default)]
    pub reproduce: Vec<Spanned<RawTarget>>,
    #[serde(default)]
    pub sweep: Option<RawSweep>,
    #[serde(default)]
    pub tables: BTreeMap<Spanned<String>, Spanned<RawTable>>,
    #[serde(default)]
    pub accrual: Option<Spanned<RawAccrual>>,
    #[serde(default)]
    pub correlations: Vec<Spanned<RawCorrelation>>,
    /// `[prices]`: the index that converts costs to the scenario's price year.
    #[serde(default)]
    pub prices: Option<Spanned<RawPrices>>,
    /// `[cba]`: local cost-benefit conventions (optimism bias, deadweight, attribution, displacement, drop-off) and
    /// the £ values of outcomes, for `cba.csv` and the report's cost-benefit section.
    #[serde(default)]
    pub cba: Option<Spanned<RawCba>>,
}

/// `[cba]`: the adjustments of HM Treasury's cost-benefit guidance for local partnerships, each a share from 0 to 1,
/// and the outcomes valued in money as economic or social benefits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCba {
    /// Share added to the costs.
    #[serde(default)]
    pub optimism_bias_costs: Option<Spanned<f64>>,
    /// Share taken off the benefits.
    #[serde(default)]
    pub optimism_bias_benefits: Option<Spanned<f64>>,
    /// Share of the benefits that would have happened anyway.
    #[serde(default)]
    pub deadweight: Option<Spanned<f64>>,
    /// Share of the remaining benefits due to others than the intervention.
    #[serde(default)]
    pub attribution_to_others: Option<Spanned<f64>>,
    /// Share of the remaining benefits that is only moved from elsewhere.
    #[serde(default)]
    pub displacement: Option<Spanned<f64>>,
    /// Share of each year's benefit lost by the next year.
    #[serde(default)]
    pub drop_off: Option<Spanned<f64>>,
    /// Where the adjustments come from.
    #[serde(default)]
    pub source: Option<Spanned<String>>,
    /// Outcomes valued as economic benefits, by outcome name.
    #[serde(default)]
    pub economic: BTreeMap<Spanned<String>, Spanned<RawMonetised>>,
    /// Outcomes valued as social benefits, by outcome name.
    #[serde(default)]
    pub social: BTreeMap<Spanned<String>, Spanned<RawMonetised>>,
}

/// An outcome's value in money: £ per unit gained (or avoided, where less is better), with its source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMonetised {
    pub value: Spanned<f64>,
    pub source: Spanned<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// `[prices]`: the price index costs in another price year are converted with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrices {
    /// An index carecast carries, by name, or `{ file = "index.csv" }`.
    pub index: Spanned<RawIndexChoice>,
    /// What the reader should know about the scenario's price years, such as costs left unconverted and why.
    #[serde(default)]
    pub note: Option<String>,
}

/// `[prices] index`: a bundled index's name, or a CSV file beside the scenario.
#[derive(Debug, Clone)]
pub enum RawIndexChoice {
    Named(String),
    File(String),
}

impl<'de> Deserialize<'de> for RawIndexChoice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct FileChoice {
            file: String,
        }
        struct IndexVisitor;
        impl<'de> Visitor<'de> for IndexVisitor {
            type Value = RawIndexChoice;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an index's name such as \"nhscii_pay_and_prices\", or { file = \"my-index.csv\" }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawIndexChoice::Named(v.to_string()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let choice = FileChoice::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawIndexChoice::File(choice.file))
            }
        }
        deserializer.deserialize_any(IndexVisitor)
    }
}

/// A price year as written: a calendar year as a number (`2015`) or a financial year as text (`"2015/16"`).
#[derive(Debug, Clone, PartialEq)]
pub enum RawPriceYear {
    Calendar(i64),
    Text(String),
}

impl<'de> Deserialize<'de> for RawPriceYear {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct YearVisitor;
        impl<'de> Visitor<'de> for YearVisitor {
            type Value = RawPriceYear;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a calendar year as a number (2015) or a financial year in quotes (\"2015/16\")")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(RawPriceYear::Calendar(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(RawPriceYear::Calendar(v.min(i64::MAX as u64) as i64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawPriceYear::Text(v.to_string()))
            }
        }
        deserializer.deserialize_any(YearVisitor)
    }
}

/// `[[correlations]]`: parameters whose draws are correlated (through a Gaussian copula), each keeping its own
/// distribution.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCorrelation {
    /// The parameters, in the order of the matrix's rows.
    pub parameters: Spanned<Vec<Spanned<String>>>,
    /// Their correlation matrix.
    pub matrix: RawMatrix,
    /// `base` (the default), `arm:<name>` or `subgroup:<name>`: whose definitions of the parameters are meant.
    #[serde(default)]
    pub scope: Option<Spanned<String>>,
    #[serde(default)]
    pub source: Option<Spanned<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A square matrix as written, with where each row and each entry is.
pub type RawMatrix = Spanned<Vec<Spanned<Vec<Spanned<f64>>>>>;

/// `mean`: one number, or for a multivariate normal a list, one per name.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawMean {
    One(f64),
    Many(Vec<f64>),
}

/// `[tables.NAME]`: a lookup table by whole-number keys (age, cycle, time in state) and sex, read from a CSV file
/// beside the scenario, written inline, or built in (the ONS national life tables).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTable {
    /// The keys, in the order a lookup gives them: `"age"`, or a list such as `["age", "sex"]`.
    #[serde(default)]
    pub by: Option<Spanned<RawTableKeys>>,
    /// A CSV file, relative to the scenario file.
    #[serde(default)]
    pub file: Option<Spanned<String>>,
    /// A table carecast carries, by name.
    #[serde(default)]
    pub builtin: Option<Spanned<String>>,
    /// The rows written inline: `[{ age = 65, value = 0.01 }, ...]`.
    #[serde(default)]
    pub rows: Option<Spanned<Vec<Spanned<RawTableRow>>>>,
    /// The column holding the values (default `value`).
    #[serde(default)]
    pub value: Option<Spanned<String>>,
    /// What a lookup past the largest key gives: `"last"` (the last row's value), `"error"`, or a number.
    pub beyond: Spanned<RawBeyond>,
    #[serde(default)]
    pub source: Option<Spanned<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// An inline table row: a cell by column name.
pub type RawTableRow = BTreeMap<Spanned<String>, Spanned<RawTableCell>>;

/// A table's keys: one name, or a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawTableKeys {
    One(String),
    Many(Vec<String>),
}

/// A cell of an inline table row: a number (a whole-number key or the value) or text (`male`, `female`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawTableCell {
    Number(f64),
    Text(String),
}

/// A table's rule past its largest key: a number, or `"last"` or `"error"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawBeyond {
    Number(f64),
    Rule(String),
}

/// `[accrual]`: accrual conventions of single outcomes and cost groups that differ from `settings.accrual`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccrual {
    /// Care costs (the states' costs, and their cashable part).
    #[serde(default)]
    pub care_costs: Option<Spanned<String>>,
    /// Recurring intervention costs of the arms.
    #[serde(default)]
    pub intervention_costs: Option<Spanned<String>>,
    /// By outcome name.
    #[serde(default)]
    pub outcomes: BTreeMap<Spanned<String>, Spanned<String>>,
}

/// `[cohort] age`: one starting age, or shares by whole age (`{ 65 = 0.4, 75 = 0.6 }`).
#[derive(Debug, Clone)]
pub enum RawAge {
    One(f64),
    Shares(BTreeMap<Spanned<String>, Spanned<f64>>),
}

// By hand rather than `#[serde(untagged)]`: an untagged enum buffers its input, which loses the places of the shares'
// keys and values that errors point at.
impl<'de> Deserialize<'de> for RawAge {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AgeVisitor;
        impl<'de> serde::de::Visitor<'de> for AgeVisitor {
            type Value = RawAge;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a starting age in years, or shares by whole age such as { 65 = 0.4, 75 = 0.6 }")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<RawAge, E> {
                Ok(RawAge::One(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawAge, E> {
                Ok(RawAge::One(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawAge, E> {
                Ok(RawAge::One(v as f64))
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<RawAge, M::Error> {
                let mut shares = BTreeMap::new();
                while let Some((age, share)) = map.next_entry::<Spanned<String>, Spanned<f64>>()? {
                    shares.insert(age, share);
                }
                Ok(RawAge::Shares(shares))
            }
        }
        deserializer.deserialize_any(AgeVisitor)
    }
}

/// One entry of `[outcomes]`: an outcome's label, its unit and which way is better.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutcome {
    #[serde(default)]
    pub label: Option<Spanned<String>>,
    #[serde(default)]
    pub unit: Option<Spanned<String>>,
    /// `higher` (the default) or `lower`.
    #[serde(default)]
    pub better: Option<Spanned<String>>,
}

/// One entry of `[payers]`: how people read a payer's name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPayer {
    #[serde(default)]
    pub label: Option<Spanned<String>>,
}

/// `[sweep]`: the parameters `carecast sweep` varies when no `--vary` is given.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSweep {
    /// `NAME[.FIELD]=FROM:TO:STEPS`, as on the command line.
    pub vary: Vec<Spanned<String>>,
}

/// `[[reproduce]]`: a published figure the scenario claims to reproduce, and how to compute it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    pub figure: Spanned<String>,
    pub source: Spanned<String>,
    pub published: Spanned<f64>,
    #[serde(default)]
    pub published_interval: Option<Spanned<Vec<f64>>>,
    pub metric: Spanned<String>,
    pub arm: Spanned<String>,
    pub accept: Spanned<Vec<f64>>,
    pub why: Spanned<String>,
    #[serde(default)]
    pub reproducible: Option<bool>,
    #[serde(default)]
    pub input: Option<bool>,
    #[serde(default)]
    pub scale: Option<Spanned<f64>>,
    #[serde(default)]
    pub subgroup: Option<Spanned<String>>,
    #[serde(default)]
    pub year: Option<Spanned<i64>>,
    #[serde(default)]
    pub undiscounted: Option<bool>,
    #[serde(default)]
    pub payer: Option<Spanned<String>>,
    #[serde(default)]
    pub savings: Option<Spanned<String>>,
    #[serde(default)]
    pub spend: Option<Spanned<String>>,
    #[serde(default)]
    pub outcome: Option<Spanned<String>>,
    #[serde(default)]
    pub lambda: Option<Spanned<f64>>,
    #[serde(default)]
    pub states: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub among: Option<Spanned<Vec<Spanned<String>>>>,
}

/// `[scenario]`: what the scenario is, and its currency and price year.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeta {
    pub name: Spanned<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    /// The price year every cost is given in or converted to.
    #[serde(default)]
    pub price_year: Option<Spanned<RawPriceYear>>,
}

/// `[settings]`: horizon, cycle, PSA size, accrual and discounting.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    pub horizon_years: Spanned<i64>,
    pub cycle: Spanned<String>,
    pub iterations: Spanned<i64>,
    pub seed: Spanned<i64>,
    pub mode: Spanned<String>,
    pub accrual: Spanned<String>,
    pub discounting: Spanned<String>,
    pub discount_rate_costs: Spanned<RawRate>,
    pub discount_rate_outcomes: Spanned<RawRate>,
    #[serde(default)]
    pub wtp: Option<Spanned<RawWtp>>,
    #[serde(default)]
    pub threshold: Option<Spanned<f64>>,
    #[serde(default)]
    pub primary_outcome: Option<Spanned<String>>,
    #[serde(default)]
    pub population: Option<Spanned<f64>>,
    #[serde(default)]
    pub start_date: Option<Spanned<String>>,
    /// When each value is discounted: `boundary` (each boundary at its own time) or `cycle-start`.
    #[serde(default)]
    pub discount_timing: Option<Spanned<String>>,
}

/// A discount rate: a flat annual rate, a named schedule, or a list of (from year, rate) steps.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawRate {
    Flat(f64),
    Named(String),
    Steps(Vec<RawRateStep>),
}

/// One step of a declining discount schedule: `rate` applies to years after `from_year`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRateStep {
    pub from_year: f64,
    pub rate: f64,
}

/// The willingness-to-pay grid: an explicit list or an evenly spaced range.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawWtp {
    List(Vec<f64>),
    Range { from: f64, to: f64, step: f64 },
}

/// A parameter: a fixed number, an expression, or a table describing a distribution or a cited expression.
#[derive(Debug, Clone)]
pub enum RawParameter {
    Number(f64),
    Expression(String),
    Table(Box<RawParameterTable>),
}

/// The table form of a parameter. Which keys are allowed depends on `dist`; that is checked after parsing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawParameterTable {
    #[serde(default)]
    pub dist: Option<Spanned<String>>,
    #[serde(default)]
    pub value: Option<Spanned<f64>>,
    #[serde(default)]
    pub expr: Option<Spanned<String>>,
    #[serde(default)]
    pub mean: Option<Spanned<RawMean>>,
    #[serde(default)]
    pub median: Option<Spanned<f64>>,
    #[serde(default)]
    pub sd: Option<Spanned<f64>>,
    #[serde(default)]
    pub ci95: Option<Spanned<Vec<f64>>>,
    #[serde(default)]
    pub low: Option<Spanned<f64>>,
    #[serde(default)]
    pub high: Option<Spanned<f64>>,
    #[serde(default)]
    pub min: Option<Spanned<f64>>,
    #[serde(default)]
    pub mode: Option<Spanned<f64>>,
    #[serde(default)]
    pub max: Option<Spanned<f64>>,
    #[serde(default)]
    pub lambda: Option<Spanned<f64>>,
    #[serde(default)]
    pub alpha: Option<Spanned<RawAlpha>>,
    #[serde(default)]
    pub beta: Option<Spanned<f64>>,
    #[serde(default)]
    pub shape: Option<Spanned<f64>>,
    #[serde(default)]
    pub scale: Option<Spanned<f64>>,
    #[serde(default)]
    pub rate: Option<Spanned<f64>>,
    #[serde(default)]
    pub meanlog: Option<Spanned<f64>>,
    #[serde(default)]
    pub sdlog: Option<Spanned<f64>>,
    #[serde(default)]
    pub names: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub cov: Option<RawMatrix>,
    /// The price year of a cost, when it differs from the scenario's.
    #[serde(default)]
    pub price_year: Option<Spanned<RawPriceYear>>,
    #[serde(default)]
    pub source: Option<Spanned<String>>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// `alpha`: one number for beta, a list for Dirichlet.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawAlpha {
    One(f64),
    Many(Vec<f64>),
}

impl<'de> Deserialize<'de> for RawParameter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ParameterVisitor;
        impl<'de> Visitor<'de> for ParameterVisitor {
            type Value = RawParameter;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a number, an expression string, or a table such as { dist = \"beta\", mean = 0.3, sd = 0.05 }",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(RawParameter::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(RawParameter::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(RawParameter::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawParameter::Expression(v.to_string()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let table = RawParameterTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawParameter::Table(Box::new(table)))
            }
        }
        deserializer.deserialize_any(ParameterVisitor)
    }
}

/// A number or an expression string, as written.
#[derive(Debug, Clone)]
pub enum ExprText {
    Number(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for ExprText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ExprVisitor;
        impl<'de> Visitor<'de> for ExprVisitor {
            type Value = ExprText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or an expression string such as \"p_admit * rr\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(ExprText::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(ExprText::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(ExprText::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ExprText::Text(v.to_string()))
            }
        }
        deserializer.deserialize_any(ExprVisitor)
    }
}

/// A cost line of a state: an amount, or a table that also gives the cashable share.
#[derive(Debug, Clone)]
pub enum RawCost {
    Amount(ExprText),
    Table(RawCostTable),
}

/// The table form of a state cost line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCostTable {
    pub amount: Spanned<ExprText>,
    #[serde(default)]
    pub cashable: Option<Spanned<f64>>,
    /// The price year of the amount (a number), when it differs from the scenario's.
    #[serde(default)]
    pub price_year: Option<Spanned<RawPriceYear>>,
}

impl<'de> Deserialize<'de> for RawCost {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CostVisitor;
        impl<'de> Visitor<'de> for CostVisitor {
            type Value = RawCost;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, an expression string, or a table { amount = ..., cashable = 0.5 }")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(RawCost::Amount(ExprText::Number(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(RawCost::Amount(ExprText::Number(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(RawCost::Amount(ExprText::Number(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawCost::Amount(ExprText::Text(v.to_string())))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let table = RawCostTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawCost::Table(table))
            }
        }
        deserializer.deserialize_any(CostVisitor)
    }
}

/// `[[states]]`: a health and care state with its costs by payer and outcome flows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawState {
    pub name: Spanned<String>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub per: Option<Spanned<String>>,
    #[serde(default)]
    pub dead: bool,
    /// `tunnel = { cycles = N }`: the state is followed cycle by cycle for the first N cycles of a stay.
    #[serde(default)]
    pub tunnel: Option<Spanned<RawTunnel>>,
    #[serde(default)]
    pub costs: BTreeMap<Spanned<String>, Spanned<RawCost>>,
    #[serde(default)]
    pub outcomes: BTreeMap<Spanned<String>, Spanned<ExprText>>,
}

/// A state's tunnel: how many cycles of a stay are told apart. Only the table form: a bare number would leave the
/// unit to be guessed.
#[derive(Debug, Clone)]
pub struct RawTunnel {
    pub cycles: Spanned<CycleCount>,
}

/// A whole number of cycles, refused with a message that says so when written as a fraction.
#[derive(Debug, Clone, Copy)]
pub struct CycleCount(pub i64);

impl<'de> Deserialize<'de> for CycleCount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountVisitor;
        impl<'de> Visitor<'de> for CountVisitor {
            type Value = CycleCount;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number of cycles")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(CycleCount(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(CycleCount(v.min(i64::MAX as u64) as i64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Err(E::custom(format!(
                    "a tunnel follows whole cycles of a stay: give a whole number of cycles, not {v}"
                )))
            }
        }
        deserializer.deserialize_any(CountVisitor)
    }
}

impl<'de> Deserialize<'de> for RawTunnel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Table {
            cycles: Spanned<CycleCount>,
        }
        struct TunnelVisitor;
        impl<'de> Visitor<'de> for TunnelVisitor {
            type Value = RawTunnel;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table such as `tunnel = { cycles = 6 }`")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Err(E::custom(format!(
                    "give the tunnel's length with its unit, `tunnel = {{ cycles = {v} }}`: units are never guessed"
                )))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                self.visit_i64(v.min(i64::MAX as u64) as i64)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let table = Table::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawTunnel { cycles: table.cycles })
            }
        }
        deserializer.deserialize_any(TunnelVisitor)
    }
}

/// `[[arms]]`: usual care or an intervention.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArm {
    pub name: Spanned<String>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub compare_to: Option<Spanned<String>>,
    #[serde(default)]
    pub parameters: BTreeMap<Spanned<String>, Spanned<RawParameter>>,
    #[serde(default)]
    pub start: Option<Spanned<RawRow>>,
    #[serde(default)]
    pub transitions: RawRows,
    #[serde(default)]
    pub costs: Vec<Spanned<RawArmCost>>,
}

/// An intervention cost of an arm: one-off, recurring, or programme-level.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArmCost {
    pub name: Spanned<String>,
    pub kind: Spanned<String>,
    pub payer: Spanned<String>,
    pub amount: Spanned<ExprText>,
    #[serde(default)]
    pub per: Option<Spanned<String>>,
    #[serde(default)]
    pub states: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub from_year: Option<Spanned<f64>>,
    #[serde(default)]
    pub to_year: Option<Spanned<f64>>,
    #[serde(default)]
    pub capacity: Option<Spanned<f64>>,
    /// A one-off cost's delay after entry: `"7 months"`, `"30 weeks"`, `"2 years"`.
    #[serde(default)]
    pub delay: Option<Spanned<String>>,
    /// A saving's cashable share, 0 to 1 (default 1).
    #[serde(default)]
    pub cashable: Option<Spanned<f64>>,
    /// The price year of the amount (a number), when it differs from the scenario's.
    #[serde(default)]
    pub price_year: Option<Spanned<RawPriceYear>>,
    #[serde(default)]
    pub source: Option<Spanned<String>>,
}

/// `[cohort]`: size, entry over several years and subgroups.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCohort {
    #[serde(default)]
    pub size: Option<Spanned<i64>>,
    /// Whom results are for: `"person"` (the default) or `"service"` (the service as a whole, with no cohort).
    #[serde(default)]
    pub results: Option<Spanned<String>>,
    #[serde(default)]
    pub entry: Option<Spanned<Vec<f64>>>,
    #[serde(default)]
    pub subgroups: Vec<Spanned<RawSubgroup>>,
    /// Starting age in years: one, or shares by whole age.
    #[serde(default)]
    pub age: Option<Spanned<RawAge>>,
    /// The share of the cohort that is male (the rest female).
    #[serde(default)]
    pub male: Option<Spanned<f64>>,
}

/// `[[cohort.subgroups]]`: a client group with its share of the cohort and parameter overrides.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSubgroup {
    pub name: Spanned<String>,
    #[serde(default)]
    pub label: Option<String>,
    pub share: Spanned<f64>,
    #[serde(default)]
    pub parameters: BTreeMap<Spanned<String>, Spanned<RawParameter>>,
}
