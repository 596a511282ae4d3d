//! Budget impact: what an intervention costs and saves each payer, for the whole population, in each financial year,
//! in cash (undiscounted) and discounted, each with its 95% interval.
//!
//! It follows the conventions of the ISPOR Budget Impact Analysis Good Practice II Task Force (Sullivan et al.,
//! Value in Health 2014;17:5–14): the budget holder's view (each payer's own costs), costs as the cash that changes
//! hands in each year rather than a present value, year by year rather than only in total, and a short horizon (the
//! report shows the first five years; `budget.csv` has every year of the model). The budget impact of a year is the
//! arm's cost minus its comparator's (positive: it costs more), for everyone the scenario counts: the per-person
//! values of the run times the population.

use crate::model::{Columns, Model, Payer, Payers};
use crate::simulate::Results;
use serde::Serialize;

/// How many years the report shows: the budget window ISPOR's task force recommends (one to five years).
pub const REPORT_YEARS: usize = 5;

/// Cash (undiscounted) or discounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    Cash,
    Discounted,
}

impl Basis {
    /// `cash` or `discounted`, as written in `budget.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Basis::Cash => "cash",
            Basis::Discounted => "discounted",
        }
    }
}

/// One payer's budget impact in one financial year, for the population.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetRow {
    pub arm: String,
    pub comparator: String,
    /// 1-based programme year.
    pub year: usize,
    /// The financial year it is: "2027/28".
    pub financial_year: String,
    /// `council`, `nhs`, `person` or `total`.
    pub payer: String,
    pub basis: Basis,
    /// Mean costs (intervention spend and care) of the comparator and of the arm.
    pub comparator_cost: f64,
    pub arm_cost: f64,
    /// The arm's intervention spend minus the comparator's.
    pub extra_spend: f64,
    /// The comparator's care costs minus the arm's.
    pub care_savings: f64,
    /// Arm cost − comparator cost: its mean, and 2.5th and 97.5th percentiles over the kept iterations.
    pub impact: f64,
    pub impact_p2_5: f64,
    pub impact_p97_5: f64,
}

/// The budget holder's cumulative net savings in cash, year by year, as the plot draws them.
#[derive(Debug, Clone)]
pub struct BudgetPath {
    pub arm: String,
    pub comparator: String,
    /// The budget holder: the payer who bears most of the extra spend (the council where nobody spends more).
    pub payer: Payer,
    /// 2.5th, 25th, 50th, 75th and 97.5th percentiles of cumulative net savings by the end of each year.
    pub percentiles: [Vec<f64>; 5],
}

/// The budget impact of a run.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Who the payers are, for the names and labels of `rows` and `paths`.
    pub payers: Payers,
    /// People counted: the scenario's `population`, else its cohort size (1 for a service's results).
    pub population: f64,
    /// Whether the figures are a service's as a whole (`[cohort] results = "service"`), not a population's.
    pub service: bool,
    /// The calendar year in which programme year 1's financial year starts (2027 for 2027/28).
    pub start_year: i32,
    pub rows: Vec<BudgetRow>,
    pub paths: Vec<BudgetPath>,
    /// How many iterations the percentiles come from.
    pub sample_size: usize,
}

impl Budget {
    /// Whom the figures are for, given the population in words ("1,200"): "1,200 people", or "the service".
    pub fn whom(&self, people: String) -> String {
        if self.service {
            "the service".to_string()
        } else {
            format!("{people} people")
        }
    }

    /// The population column of budget.csv: the number of people, or "service".
    pub fn population_cell(&self) -> String {
        if self.service {
            "service".to_string()
        } else {
            self.population.to_string()
        }
    }
}

/// "2027/28" for the financial year starting in April 2027.
pub fn financial_year(start_year: i32, year: usize) -> String {
    let first = start_year + year as i32 - 1;
    format!("{first}/{:02}", (first + 1).rem_euclid(100))
}

/// The budget impact of a run of `model`: `discounted` is the run itself, `cash` the same run undiscounted (the same
/// results when both rates are zero).
pub fn budget(model: &Model, discounted: &Results, cash: &Results, start_year: i32) -> Budget {
    let population = model.settings.population.unwrap_or(model.cohort_size as f64);
    let years = model.settings.horizon_years;
    let mut rows = Vec::new();
    let mut paths = Vec::new();
    for (a, arm) in model.arms.iter().enumerate() {
        let Some(c) = arm.comparator else { continue };
        for (basis, results) in [(Basis::Cash, cash), (Basis::Discounted, discounted)] {
            for payer in model.payers.all().map(Some).chain([None]) {
                for year in 0..years {
                    rows.push(row(model, results, (a, c), payer, year, basis, start_year, population));
                }
            }
        }
        let holder = budget_holder(model, cash, a, c);
        paths.push(BudgetPath {
            arm: arm.name.clone(),
            comparator: model.arms[c].name.clone(),
            payer: holder,
            percentiles: cumulative_savings(model.columns(), cash, (a, c), holder, years, population),
        });
    }
    Budget {
        payers: model.payers.clone(),
        population,
        service: model.meta.results_for == crate::model::ResultsFor::Service,
        start_year,
        rows,
        paths,
        sample_size: cash.yearly_sample_size().min(discounted.yearly_sample_size()),
    }
}

/// The spend and care columns of a payer, or of all payers.
fn payer_columns(model: &Model, payer: Option<Payer>) -> (Vec<usize>, Vec<usize>) {
    let payers: Vec<Payer> = payer.map_or_else(|| model.payers.all().collect(), |p| vec![p]);
    let columns = model.columns();
    (
        payers.iter().map(|&p| columns.spend(p)).collect(),
        payers.iter().map(|&p| columns.care(p)).collect(),
    )
}

#[allow(clippy::too_many_arguments)] // one row's coordinates: comparison, payer, year, basis, labels and scale
fn row(
    model: &Model,
    results: &Results,
    (a, c): (usize, usize),
    payer: Option<Payer>,
    year: usize,
    basis: Basis,
    start_year: i32,
    population: f64,
) -> BudgetRow {
    let (spend, care) = payer_columns(model, payer);
    let mean = |arm: usize, cols: &[usize]| -> f64 {
        cols.iter().map(|&k| results.yearly_mean[[arm, year, k]]).sum::<f64>() * population
    };
    let all: Vec<usize> = spend.iter().chain(&care).copied().collect();
    let impacts: Vec<f64> = (0..results.yearly_sample_size())
        .map(|i| {
            let cost = |arm: usize| all.iter().map(|&k| results.yearly_value(i, arm, year, k)).sum::<f64>();
            (cost(a) - cost(c)) * population
        })
        .collect();
    let [impact_p2_5, impact_p97_5] = super::stats::quantiles(&impacts, [0.025, 0.975]);
    let (comparator_cost, arm_cost) = (mean(c, &all), mean(a, &all));
    BudgetRow {
        arm: model.arms[a].name.clone(),
        comparator: model.arms[c].name.clone(),
        year: year + 1,
        financial_year: financial_year(start_year, year + 1),
        payer: payer.map_or("total", |p| model.payers.name(p)).to_string(),
        basis,
        comparator_cost,
        arm_cost,
        extra_spend: mean(a, &spend) - mean(c, &spend),
        care_savings: mean(c, &care) - mean(a, &care),
        impact: arm_cost - comparator_cost,
        impact_p2_5,
        impact_p97_5,
    }
}

/// The payer who bears most of the arm's extra spend over the horizon; the council where nobody spends more.
fn budget_holder(model: &Model, results: &Results, a: usize, c: usize) -> Payer {
    let extra = |p: Payer| -> f64 {
        let k = model.columns().spend(p);
        (0..results.yearly_mean.shape()[1])
            .map(|y| results.yearly_mean[[a, y, k]] - results.yearly_mean[[c, y, k]])
            .sum()
    };
    // The first payer with the largest extra spend wins ties, so the council before the NHS and the person.
    let mut holder = (Payer::Council, 0.0);
    for p in model.payers.all() {
        if extra(p) > holder.1 {
            holder = (p, extra(p));
        }
    }
    holder.0
}

/// Percentiles of `payer`'s cumulative net savings (comparator's cost − arm's, summed over the years so far), for the
/// population, by year, over the kept iterations.
fn cumulative_savings(
    columns: Columns,
    results: &Results,
    (a, c): (usize, usize),
    payer: Payer,
    years: usize,
    population: f64,
) -> [Vec<f64>; 5] {
    let k = results.yearly_sample_size();
    let cols = [columns.spend(payer), columns.care(payer)];
    let mut running = vec![0.0; k];
    let mut out: [Vec<f64>; 5] = Default::default();
    for year in 0..years {
        for (i, total) in running.iter_mut().enumerate() {
            let cost = |arm: usize| {
                cols.iter()
                    .map(|&col| results.yearly_value(i, arm, year, col))
                    .sum::<f64>()
            };
            *total += (cost(c) - cost(a)) * population;
        }
        let q = super::stats::quantiles(&running, [0.025, 0.25, 0.5, 0.75, 0.975]);
        for (o, v) in out.iter_mut().zip(q) {
            o.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::financial_year;

    #[test]
    fn financial_years_run_april_to_march() {
        assert_eq!(financial_year(2027, 1), "2027/28");
        assert_eq!(financial_year(2027, 3), "2029/30");
        assert_eq!(financial_year(2099, 1), "2099/00");
    }
}
