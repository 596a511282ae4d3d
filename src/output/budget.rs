//! The budget impact's files: `budget.csv` (every comparison, payer, basis and financial year) and the budget
//! holder's cumulative net savings in cash as a fan chart (`budget_<arm>.png/.svg`).

use super::files::{text_cell, write_csv, OutputError};
use super::format::{money, thousands, FileNames};
use super::plots::{self, Canvas};
use crate::analysis::budget::{financial_year, Basis, Budget, REPORT_YEARS};
use std::fmt::Write;
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
                budget.population_cell(),
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
/// of each financial year. The title leaves out the scenario's (the report and the run's folder name it) so that
/// the arms' labels fit.
pub fn budget_figures(canvas: Canvas, budget: &Budget, arms: &[(String, String)]) -> Result<Vec<PathBuf>, OutputError> {
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
            canvas.dest(&format!("budget_{}", FileNames::new(&names).of(&path.arm))),
            &format!(
                "Cumulative net savings to {} in cash: {} vs {}",
                budget.payers.info(path.payer).words.as_ref(),
                label(&path.arm),
                label(&path.comparator)
            ),
            &format!("Programme year (year 1 is {})", financial_year(budget.start_year, 1)),
            &format!(
                "Cumulative net savings (£, {}, undiscounted)",
                budget.whom(thousands(budget.population.round() as u64))
            ),
            &years,
            [&p[0], &p[1], &p[2], &p[3], &p[4]],
        )?);
    }
    Ok(files)
}

/// The budget impact on the terminal: per comparison, a row per financial year (the first five) and a column for each
/// payer with costs and for all payers, in cash, each with its 95% interval.
pub fn budget_lines(budget: &Budget) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nBudget impact for {} in cash (+ costs more, − saves; 95% interval); budget.csv has every year, discounted too",
        budget.whom(thousands(budget.population.round() as u64))
    );
    let signed = |v: f64| if v > 0.0 { format!("+{}", money(v)) } else { money(v) };
    for path in &budget.paths {
        let _ = writeln!(s, "{} vs {}:", path.arm, path.comparator);
        let mut columns = Vec::new();
        for payer in budget.payers.names().into_iter().chain(["total"]) {
            let name = budget.payers.label_of(payer).to_string();
            let rows: Vec<_> = (budget.rows.iter())
                .filter(|r| r.arm == path.arm && r.payer == payer && r.basis == Basis::Cash && r.year <= REPORT_YEARS)
                .collect();
            if payer == "total" || rows.iter().any(|r| r.comparator_cost != 0.0 || r.arm_cost != 0.0) {
                columns.push((name, rows));
            }
        }
        // One payer bearing every cost: its column and all payers' are the same figures, shown once.
        if columns.len() == 2 && (columns[0].1.iter().zip(&columns[1].1)).all(|(a, b)| a.impact == b.impact) {
            columns.pop();
            columns[0].0 = format!("{} (= all payers)", columns[0].0);
        }
        let cells: Vec<Vec<String>> = (columns.iter())
            .map(|(_, rows)| {
                (rows.iter())
                    .map(|r| {
                        format!(
                            "{} ({} to {})",
                            signed(r.impact),
                            money(r.impact_p2_5),
                            money(r.impact_p97_5)
                        )
                    })
                    .collect()
            })
            .collect();
        let width = |k: usize| {
            (cells[k].iter().chain([&columns[k].0]))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        };
        let mut header = format!("  {:<9}", "year");
        for (k, (name, _)) in columns.iter().enumerate() {
            let _ = write!(header, " {name:<w$}", w = width(k) + 1);
        }
        let _ = writeln!(s, "{}", header.trim_end());
        for y in 0..columns.first().map_or(0, |(_, rows)| rows.len()) {
            let mut line = format!("  {:<9}", columns[0].1[y].financial_year);
            for (k, column) in cells.iter().enumerate() {
                let _ = write!(line, " {:<w$}", column[y], w = width(k) + 1);
            }
            let _ = writeln!(s, "{}", line.trim_end());
        }
    }
    s
}
