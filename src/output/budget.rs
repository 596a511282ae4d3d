//! The budget impact's files: `budget.csv` (every comparison, payer, basis and financial year) and the budget
//! holder's cumulative net savings in cash as a fan chart (`budget_<arm>.png/.svg`).

use super::files::{text_cell, write_csv, OutputError};
use super::format::{thousands, FileNames};
use super::plots;
use crate::analysis::budget::{financial_year, Budget};
use std::path::{Path, PathBuf};

/// budget.csv: per comparison, basis (cash, then discounted), payer (council, NHS, person, all) and programme year,
/// the population's mean costs in each arm, the extra spend, the care savings, and the budget impact (arm −
/// comparator) with its 95% interval.
pub fn write_budget(path: &Path, budget: &Budget) -> Result<(), OutputError> {
    write_csv(path, |w| {
        w.write_record([
            "arm",
            "comparator",
            "programme_year",
            "financial_year",
            "payer",
            "basis",
            "population",
            "comparator_cost",
            "arm_cost",
            "extra_spend",
            "care_savings",
            "budget_impact",
            "budget_impact_p2_5",
            "budget_impact_p97_5",
        ])?;
        for r in &budget.rows {
            w.write_record([
                text_cell(&r.arm),
                text_cell(&r.comparator),
                r.year.to_string(),
                r.financial_year.clone(),
                r.payer.clone(),
                r.basis.name().to_string(),
                budget.population.to_string(),
                r.comparator_cost.to_string(),
                r.arm_cost.to_string(),
                r.extra_spend.to_string(),
                r.care_savings.to_string(),
                r.impact.to_string(),
                r.impact_p2_5.to_string(),
                r.impact_p97_5.to_string(),
            ])?;
        }
        Ok(())
    })
}

/// One fan chart per comparison: the budget holder's cumulative net savings in cash, for the population, by the end
/// of each financial year.
pub fn budget_figures(
    dir: &Path,
    title: &str,
    budget: &Budget,
    arms: &[(String, String)],
) -> Result<Vec<PathBuf>, OutputError> {
    let names: Vec<String> = arms.iter().map(|(n, _)| n.clone()).collect();
    let label = |name: &str| -> String {
        arms.iter()
            .find(|(n, _)| n == name)
            .map_or_else(|| name.to_string(), |(_, l)| l.clone())
    };
    let mut files = Vec::new();
    for path in &budget.paths {
        let years: Vec<f64> = (1..=path.percentiles[0].len()).map(|y| y as f64).collect();
        let p = &path.percentiles;
        files.extend(plots::budget_fan_chart(
            &dir.join(format!("budget_{}", FileNames::new(&names).of(&path.arm))),
            &format!(
                "{title}: cumulative net savings to {} in cash, {} vs {}",
                holder_words(path.payer.name()),
                label(&path.arm),
                label(&path.comparator)
            ),
            &format!("Programme year (year 1 is {})", financial_year(budget.start_year, 1)),
            &format!(
                "Cumulative net savings (£, {} people, undiscounted)",
                thousands(budget.population.round() as u64)
            ),
            &years,
            [&p[0], &p[1], &p[2], &p[3], &p[4]],
        )?);
    }
    Ok(files)
}

/// "the council", "the NHS", "people and their families".
pub fn holder_words(payer: &str) -> &'static str {
    match payer {
        "council" => "the council",
        "nhs" => "the NHS",
        "person" => "people and their families",
        _ => "all payers",
    }
}
