//! The report's section "For whom": the headline figures of the whole cohort and of each subgroup (client group)
//! side by side, with their 95% intervals, where a scenario has two or more subgroups.

use super::{label_of, ReportInput, Table};
use crate::output::format::thousands;
use crate::output::subgroups::{headline_with_cba, written, Figure};
use serde::Serialize;

/// The section's text and tables.
#[derive(Serialize)]
pub(super) struct SubgroupSection {
    intro: String,
    tables: Vec<Table>,
    method: String,
}

/// The section, when the run has results by subgroup.
pub(super) fn section(input: &ReportInput) -> Option<SubgroupSection> {
    if input.subgroups.is_empty() {
        return None;
    }
    let total = input.analysis;
    let mut headers = vec!["Per person".to_string(), "Whole cohort".to_string()];
    headers.extend(
        input
            .subgroups
            .iter()
            .map(|g| format!("{} ({:.0}%, {} people)", g.label, 100.0 * g.share, g.people)),
    );
    let tables = (total.comparisons.iter())
        .map(|c| {
            let columns: Vec<Vec<Figure>> = std::iter::once(headline_with_cba(total, input.cba, c))
                .chain(input.subgroups.iter().map(|g| {
                    let same = g.analysis.comparisons.iter().find(|s| s.arm == c.arm);
                    same.map_or_else(Vec::new, |s| headline_with_cba(&g.analysis, g.cba.as_ref(), s))
                }))
                .collect();
            // A payer with nothing at stake in any group (every figure exactly 0) gets no row.
            let all_zero = |measure: &str| {
                columns
                    .iter()
                    .flatten()
                    .filter(|f| f.measure == measure)
                    .all(|f| f.value == Some(0.0) && f.interval.is_none_or(|(lo, hi)| lo == 0.0 && hi == 0.0))
            };
            let payers: Vec<&Figure> = (columns[0].iter())
                .filter(|f| f.measure.starts_with("net_savings_") && !all_zero(&f.measure))
                .collect();
            // One payer with anything at stake: its row repeats net savings in every group, so it is said once.
            let same_as_total = |measure: &str| {
                columns.iter().all(|column| {
                    let of = |m: &str| column.iter().find(|f| f.measure == m).map(|f| (f.value, f.interval));
                    of(measure) == of("net_savings")
                })
            };
            let only_payer = (payers.len() == 1 && same_as_total(&payers[0].measure)).then(|| payers[0]);
            let rows = (columns[0].iter())
                .filter(|f| !(f.measure.starts_with("net_savings_") && (all_zero(&f.measure) || only_payer.is_some())))
                .map(|f| {
                    let words = match only_payer {
                        Some(p) if f.measure == "net_savings" => {
                            format!(
                                "Net savings (all of them {})",
                                p.words.trim_start_matches("Net savings ")
                            )
                        }
                        _ => f.words.clone(),
                    };
                    let mut row = vec![words];
                    row.extend(columns.iter().map(|column| {
                        column
                            .iter()
                            .find(|g| g.measure == f.measure)
                            .map_or("–".to_string(), written)
                    }));
                    row
                })
                .collect();
            Table {
                caption: format!(
                    "{} compared with {}, per person of each group (mean, and 95% interval)",
                    label_of(input, &c.arm),
                    label_of(input, &c.comparator)
                ),
                headers: headers.clone(),
                rows,
            }
        })
        .collect();
    Some(SubgroupSection {
        intro: format!(
            "The same results for each client group the scenario names ({}), each as if it were run alone: the same \
             parameters and the same {} iterations, with only that group's people. In cohort mode the whole cohort's \
             figures per person are the groups' weighted by their shares.",
            input
                .subgroups
                .iter()
                .map(|g| g.label.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            thousands(total.iterations as u64)
        ),
        tables,
        method: "Programme costs (set-up and annual) are shared per person: everyone bears the same amount, whichever \
                 group they are in; capacity-limited costs are the blocks each group's own people need. \
                 subgroups.csv has these figures, and the folder subgroups/ every table of the run for each group."
            .to_string(),
    })
}
