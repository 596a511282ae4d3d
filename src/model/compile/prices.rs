//! Price years: every cost that states its own `price_year` is converted to the scenario's with the `[prices]`
//! index, before anything else reads the file, so that the model only ever sees costs in one price year.
//!
//! A cost is what can state a price year: a parameter given as a table with a `dist` whose values are money
//! (fixed, uniform, normal, lognormal, gamma, triangular, PERT), an arm cost whose `amount` is a number, and a
//! state's cost written as a table whose `amount` is a number. Converting multiplies every money value of it by the
//! factor: a distribution's location and spread (`value`, `mean`, `median`, `sd`, `ci95`, `low`, `high`, `min`,
//! `mode`, `max`, a gamma's `scale`) are multiplied, a gamma's `rate` divided and a lognormal's `meanlog` moved by
//! ln(factor), while shape parameters (`shape`, `sdlog`, `lambda`) stay. Each family is closed under scaling, so
//! the converted distribution is exactly the original's draws times the factor.

use super::Compiler;
use crate::error::InputError;
use crate::model::prices::{ConvertedCost, PriceConversions};
use crate::scenario::raw::{ExprText, RawCost, RawMean, RawParameter, RawParameterTable, RawPriceYear, RawScenario};
use crate::scenario::{PriceIndex, PriceYear};
use serde_spanned::Spanned;
use std::borrow::Cow;

/// Families whose values are not money and so cannot state a price year.
const NOT_COSTS: [(&str, &str); 3] = [
    ("beta", "a beta's values are shares between 0 and 1"),
    ("dirichlet", "a Dirichlet's values are shares that sum to 1"),
    (
        "mvnormal",
        "a multivariate normal's components are converted together or not at all: give its mean and covariance at the scenario's prices",
    ),
];

/// Where a price year is converted to, and with what.
struct Target<'a> {
    year: Option<PriceYear>,
    index: Option<&'a PriceIndex>,
}

impl Compiler<'_> {
    /// The scenario with every cost converted to its price year, and what was converted; the scenario itself (and
    /// None) when nothing states a price year and there is no `[prices]`.
    pub(super) fn prices<'r>(
        &self,
        raw: &'r RawScenario,
        to: Option<PriceYear>,
    ) -> Result<(Cow<'r, RawScenario>, Option<PriceConversions>), InputError> {
        if raw.prices.is_none() && !states_a_price_year(raw) {
            return Ok((Cow::Borrowed(raw), None));
        }
        let index = self.price_index;
        if let (Some(prices), Some(index)) = (&raw.prices, index) {
            let at = prices.get_ref().index.span();
            let Some(year) = &raw.scenario.price_year else {
                return Err(self.err(
                    at,
                    "prices.index",
                    "an index converts costs to the scenario's price year, but [scenario] gives no `price_year`",
                ));
            };
            let to = to.expect("the scenario's price year was read with it");
            self.check_covered(index, to, year, "scenario.price_year")?;
        }
        let target = Target { year: to, index };
        let mut converted = raw.clone();
        let mut costs = Vec::new();
        for (name, p) in converted.parameters.iter_mut() {
            let field = format!("parameters.{}", name.get_ref());
            costs.extend(self.convert_parameter(&target, name.get_ref(), p, &field)?);
        }
        for (i, arm) in converted.arms.get_mut().iter_mut().enumerate() {
            let arm = arm.get_mut();
            for (name, p) in arm.parameters.iter_mut() {
                let field = format!("arms[{i}].parameters.{}", name.get_ref());
                costs.extend(self.convert_parameter(&target, name.get_ref(), p, &field)?);
            }
            for (j, cost) in arm.costs.iter_mut().enumerate() {
                let cost = cost.get_mut();
                let field = format!("arms[{i}].costs[{j}]");
                let label = format!("{}: {}", arm.name.get_ref(), cost.name.get_ref());
                costs.extend(self.convert_amount(&target, &label, &cost.price_year, &mut cost.amount, &field)?);
            }
        }
        for (i, group) in converted.cohort.get_mut().subgroups.iter_mut().enumerate() {
            let group = group.get_mut();
            for (name, p) in group.parameters.iter_mut() {
                let field = format!("cohort.subgroups[{i}].parameters.{}", name.get_ref());
                costs.extend(self.convert_parameter(&target, name.get_ref(), p, &field)?);
            }
        }
        for (i, state) in converted.states.iter_mut().enumerate() {
            let state = state.get_mut();
            for (payer, cost) in state.costs.iter_mut() {
                if let RawCost::Table(t) = cost.get_mut() {
                    let field = format!("states[{i}].costs.{}", payer.get_ref());
                    let label = format!("{}: {}", state.name.get_ref(), payer.get_ref());
                    costs.extend(self.convert_amount(&target, &label, &t.price_year, &mut t.amount, &field)?);
                }
            }
        }
        let conversions = match (index, to) {
            (Some(index), Some(to)) => Some(PriceConversions {
                index: index.name.clone(),
                source: index.citation.clone(),
                covers: index.coverage(),
                to,
                costs,
                note: raw.prices.as_ref().and_then(|p| p.get_ref().note.clone()),
            }),
            _ => None,
        };
        Ok((Cow::Owned(converted), conversions))
    }

    /// The price year as written, checked against the scenario's and the index: Some((year, factor)) to convert,
    /// None when there is nothing to convert (the scenario's own year and no index).
    fn price_factor(
        &self,
        target: &Target,
        year: &Spanned<RawPriceYear>,
        field: &str,
    ) -> Result<Option<(PriceYear, f64)>, InputError> {
        let field = format!("{field}.price_year");
        let from = PriceYear::from_raw(year.get_ref()).map_err(|m| self.err(year.span(), &field, m))?;
        let Some(to) = target.year else {
            return Err(self.err(
                year.span(),
                &field,
                format!(
                    "this cost is priced in {from}, but [scenario] gives no `price_year` to convert it to: give the \
                     scenario's price year (and a [prices] index if they differ)"
                ),
            ));
        };
        let Some(index) = target.index else {
            if from == to {
                return Ok(None);
            }
            return Err(self.err(
                year.span(),
                &field,
                format!(
                    "this cost is priced in {from} and the scenario in {to}, and no index converts between them: \
                     costs in different price years are never mixed. Name one in [prices], `index = \"{}\"`, or \
                     give your own as `index = {{ file = \"my-index.csv\" }}`",
                    crate::scenario::price_index::builtin_index_names().join("\" or \"")
                ),
            ));
        };
        self.check_covered(index, from, year, &field)?;
        let factor = index.factor(from, to).expect("both years were checked to be covered");
        Ok(Some((from, factor)))
    }

    /// An error unless `index` gives `year` (written at `at`): a year of the other kind or outside its years.
    fn check_covered<T>(
        &self,
        index: &PriceIndex,
        year: PriceYear,
        at: &Spanned<T>,
        field: &str,
    ) -> Result<(), InputError> {
        if index.covers(year) {
            return Ok(());
        }
        let covers = index.coverage();
        let message = if covers.starts_with(year.kind()) {
            format!("the index `{}` has no {year}: it covers {covers}", index.name)
        } else {
            let example = match year {
                PriceYear::Calendar(y) => format!("\"{}\"", PriceYear::Financial(y)),
                PriceYear::Financial(y) => PriceYear::Calendar(y).to_string(),
            };
            format!(
                "{year} is a {} year, but the index `{}` is by {covers}: give the price year as the index does \
                 (such as {example}; which year a cost belongs to is yours to say, carecast does not guess)",
                year.kind(),
                index.name
            )
        };
        Err(self.err(at.span(), field, message))
    }

    /// Converts a parameter that states a price year (only a table can).
    fn convert_parameter(
        &self,
        target: &Target,
        name: &str,
        parameter: &mut Spanned<RawParameter>,
        field: &str,
    ) -> Result<Option<ConvertedCost>, InputError> {
        let RawParameter::Table(table) = parameter.get_mut() else {
            return Ok(None);
        };
        let Some(year) = table.price_year.clone() else {
            return Ok(None);
        };
        let not_a_cost = match table.dist.as_ref().map(|d| d.get_ref().as_str()) {
            None => Some("a parameter given by `expr` takes its price year from the parameters it reads"),
            Some(d) => NOT_COSTS.iter().find(|(n, _)| *n == d).map(|(_, why)| *why),
        };
        if let Some(why) = not_a_cost {
            return Err(self.err(
                year.span(),
                format!("{field}.price_year"),
                format!("only a cost has a price year: {why}"),
            ));
        }
        let Some((from, factor)) = self.price_factor(target, &year, field)? else {
            return Ok(None);
        };
        let (original, converted) = scale_table(table, factor);
        Ok(Some(ConvertedCost {
            field: field.to_string(),
            name: name.to_string(),
            from,
            factor,
            original,
            converted,
        }))
    }

    /// Converts an amount that states a price year; it must be a number (an expression's price year is that of
    /// the parameters it reads).
    fn convert_amount(
        &self,
        target: &Target,
        name: &str,
        year: &Option<Spanned<RawPriceYear>>,
        amount: &mut Spanned<ExprText>,
        field: &str,
    ) -> Result<Option<ConvertedCost>, InputError> {
        let Some(year) = year else {
            return Ok(None);
        };
        let ExprText::Number(value) = *amount.get_ref() else {
            return Err(self.err(
                year.span(),
                format!("{field}.price_year"),
                "only an amount given as a number states a price year: an expression's costs are in the price \
                 years of the parameters it reads, so give the price year there",
            ));
        };
        let Some((from, factor)) = self.price_factor(target, year, field)? else {
            return Ok(None);
        };
        *amount.get_mut() = ExprText::Number(value * factor);
        Ok(Some(ConvertedCost {
            field: field.to_string(),
            name: name.to_string(),
            from,
            factor,
            original: vec![("amount".into(), value)],
            converted: vec![("amount".into(), value * factor)],
        }))
    }
}

/// Whether any cost states a price year.
fn states_a_price_year(raw: &RawScenario) -> bool {
    let in_parameters = |ps: &std::collections::BTreeMap<Spanned<String>, Spanned<RawParameter>>| {
        ps.values()
            .any(|p| matches!(p.get_ref(), RawParameter::Table(t) if t.price_year.is_some()))
    };
    let arms = raw.arms.get_ref().iter().map(Spanned::get_ref);
    in_parameters(&raw.parameters)
        || arms
            .clone()
            .any(|a| in_parameters(&a.parameters) || a.costs.iter().any(|c| c.get_ref().price_year.is_some()))
        || raw
            .cohort
            .get_ref()
            .subgroups
            .iter()
            .any(|g| in_parameters(&g.get_ref().parameters))
        || raw.states.iter().any(|s| {
            s.get_ref()
                .costs
                .values()
                .any(|c| matches!(c.get_ref(), RawCost::Table(t) if t.price_year.is_some()))
        })
}

/// Money values by field: `[("mean", 100.0), ("sd", 20.0)]`.
type ByField = Vec<(String, f64)>;

/// Multiplies every money value of a distribution table by `factor` (see the module's documentation), returning
/// the values before and after, by field.
fn scale_table(t: &mut RawParameterTable, factor: f64) -> (ByField, ByField) {
    let mut original = Vec::new();
    let mut converted = Vec::new();
    let mut change = |name: &str, value: &mut f64, new: f64| {
        original.push((name.to_string(), *value));
        converted.push((name.to_string(), new));
        *value = new;
    };
    let multiplied: [(&str, &mut Option<Spanned<f64>>); 10] = [
        ("value", &mut t.value),
        ("median", &mut t.median),
        ("sd", &mut t.sd),
        ("low", &mut t.low),
        ("high", &mut t.high),
        ("min", &mut t.min),
        ("mode", &mut t.mode),
        ("max", &mut t.max),
        ("scale", &mut t.scale),
        ("rate", &mut t.rate),
    ];
    if let Some(mean) = &mut t.mean {
        if let RawMean::One(m) = mean.get_mut() {
            change("mean", m, *m * factor);
        }
    }
    for (name, value) in multiplied {
        if let Some(v) = value {
            let v = v.get_mut();
            // A rate is per unit of money: it moves the other way.
            let new = if name == "rate" { *v / factor } else { *v * factor };
            change(name, v, new);
        }
    }
    if let Some(ci) = &mut t.ci95 {
        for (k, v) in ci.get_mut().iter_mut().enumerate() {
            change(if k == 0 { "ci95 low" } else { "ci95 high" }, v, *v * factor);
        }
    }
    if let Some(meanlog) = &mut t.meanlog {
        let v = meanlog.get_mut();
        change("meanlog", v, *v + factor.ln());
    }
    (original, converted)
}
