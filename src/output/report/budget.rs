//! The report's section "What it costs and saves, year by year": the budget impact for the population, in cash, by
//! payer and financial year, with the budget holder's cumulative position drawn and put in words.

use super::figures::svg_of;
use super::{label_of, Figure, ReportInput, Table};
use crate::analysis::budget::{financial_year, Basis, BudgetRow, REPORT_YEARS};
use crate::output::format::{money, thousands, FileNames};
use serde::Serialize;

/// The section's text, plots and tables.
#[derive(Serialize)]
pub(super) struct BudgetSection {
    intro: String,
    sentences: Vec<String>,
    figures: Vec<Figure>,
    tables: Vec<Table>,
    method: String,
}

/// The section, when the run has a budget impact.
pub(super) fn section(input: &ReportInput) -> Result<Option<BudgetSection>, String> {
    let Some(budget) = input.budget else { return Ok(None) };
    let horizon = budget.rows.iter().map(|r| r.year).max().unwrap_or(0);
    let shown = horizon.min(REPORT_YEARS);
    let first = financial_year(budget.start_year, 1);
    let whom = budget.whom(thousands(budget.population.round() as u64));
    let names: Vec<String> = input.arms.iter().map(|(n, _)| n.clone()).collect();
    let mut sentences = Vec::new();
    let mut figures = Vec::new();
    let mut tables = Vec::new();
    for path in &budget.paths {
        let (arm, comparator) = (label_of(input, &path.arm), label_of(input, &path.comparator));
        let cash = |payer: &str| -> Vec<&BudgetRow> {
            (budget.rows.iter())
                .filter(|r| r.arm == path.arm && r.basis == Basis::Cash && r.payer == payer && r.year <= shown)
                .collect()
        };
        let who = budget.payers.info(path.payer).words.as_ref();
        sentences.push(sentence(
            &arm,
            &comparator,
            who,
            &cash(budget.payers.name(path.payer)),
            &cash("total"),
            path,
            budget.start_year,
        ));
        let stem = format!("budget_{}", FileNames::new(&names).of(&path.arm));
        if let Some(svg) = svg_of(input, &stem)? {
            figures.push(Figure {
                id: stem,
                title: format!("Cumulative net savings to {who} in cash: {arm} vs {comparator}"),
                alt: format!(
                    "Fan chart of the cumulative net savings to {who}, in cash, for {whom}, by the end of each programme year from {first}: the median with the 50% and 95% bands over the simulations, and the break-even line."
                ),
                svg,
                table: Table::default(),
            });
        }
        let nothing = |r: &&BudgetRow| r.comparator_cost == 0.0 && r.arm_cost == 0.0;
        let with_costs: Vec<&str> = (budget.payers.names().into_iter())
            .filter(|payer| !cash(payer).iter().all(nothing))
            .collect();
        // One payer bearing every cost: its table and all payers' hold the same figures, shown once.
        let alone =
            with_costs.len() == 1 && (cash(with_costs[0]).iter().zip(cash("total"))).all(|(a, b)| a.impact == b.impact);
        let shown_payers = if alone {
            with_costs.clone()
        } else {
            [&with_costs[..], &["total"]].concat()
        };
        for payer in shown_payers {
            let mut words = budget.payers.words_of(payer).to_string();
            if alone {
                words.push_str(" (the only payer with costs: also the cost to all payers)");
            }
            let rows = cash(payer);
            tables.push(Table {
                caption: format!("{arm} vs {comparator}: cost to {words}, {whom}, cash"),
                headers: [
                    "Financial year",
                    "Extra spend",
                    "Care savings",
                    "Budget impact (+ costs more, − saves)",
                    "95% interval",
                ]
                .map(String::from)
                .to_vec(),
                rows: rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.financial_year.clone(),
                            money(r.extra_spend),
                            money(r.care_savings),
                            money(r.impact),
                            format!("{} to {}", money(r.impact_p2_5), money(r.impact_p97_5)),
                        ]
                    })
                    .collect(),
            });
        }
    }
    Ok(Some(BudgetSection {
        intro: format!(
            "For {whom}, in cash: what the intervention costs and saves each payer in each financial year (April to March) from {first}, against its comparator, with 95% intervals."
        ),
        sentences,
        figures,
        tables,
        method: format!(
            "As the ISPOR Budget Impact Analysis Good Practice II Task Force recommends (Sullivan et al., Value in Health 2014;17:5–14): each payer's own costs (the budget holder's view), undiscounted cash in each financial year, over the first {shown} years. The budget impact is the intervention's costs minus its comparator's. budget.csv has every year of the horizon, discounted as well as in cash. Intervals are the 2.5th and 97.5th percentiles over {} simulations; the budget holder is the payer who bears most of the extra spend (the council where nobody spends more).",
            thousands(budget.sample_size as u64)
        ),
    }))
}

/// The budget holder's position in words: the first year, and when the cumulative position breaks even.
fn sentence(
    arm: &str,
    comparator: &str,
    who: &str,
    holder: &[&BudgetRow],
    total: &[&BudgetRow],
    path: &crate::analysis::budget::BudgetPath,
    start_year: i32,
) -> String {
    let Some(first) = holder.first() else {
        return String::new();
    };
    // The interval reads the way the sentence does: of the extra cost where it costs more, of the saving where it saves.
    let (low, high) = if first.impact > 0.0 {
        (first.impact_p2_5, first.impact_p97_5)
    } else {
        (-first.impact_p97_5, -first.impact_p2_5)
    };
    let interval = format!("95% interval {} to {}", money(low), money(high));
    let no_extra_spend = total.iter().map(|r| r.extra_spend).sum::<f64>() <= 0.0;
    if no_extra_spend && first.impact <= 0.0 {
        return format!(
            "{arm} against {comparator}: with no extra spend, it saves {who} {} in {} ({interval}).",
            money(-first.impact),
            first.financial_year
        );
    }
    let year_one = if first.impact > 0.0 {
        format!("costs {who} {} more", money(first.impact))
    } else {
        format!("saves {who} {}", money(-first.impact))
    };
    let median = &path.percentiles[2];
    let shown = holder.len();
    let even = median.iter().take(shown).position(|v| *v >= 0.0);
    let breaks = match even {
        Some(0) => format!(
            "{who} {} ahead from the first year (median)",
            if who.starts_with("people") { "are" } else { "is" }
        ),
        Some(y) => format!(
            "the cumulative position breaks even in {} (median)",
            financial_year(start_year, y + 1)
        ),
        None => format!("the cumulative position does not break even within {shown} years (median)"),
    };
    let last = shown - 1;
    format!(
        "{arm} against {comparator}: in {} it {year_one} ({interval}); by the end of {} its cumulative net savings to {who} are {} (95% interval {} to {}), and {breaks}.",
        first.financial_year,
        financial_year(start_year, shown),
        money(median[last]),
        money(path.percentiles[0][last]),
        money(path.percentiles[4][last])
    )
}
