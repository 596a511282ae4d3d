//! The report's section "Local cost-benefit account": per comparison, the benefits by kind and by stream, what each
//! adjustment removed, the cost with its optimism bias, the net present public value and the ratios, with the
//! adjustments' and money values' sources.

use super::{label_of, ReportInput, Table};
use crate::output::cba::{share, summary_lines};
use crate::output::format::{money, per_pound};
use serde::Serialize;

/// The section's text and tables.
#[derive(Serialize)]
pub(super) struct CbaSection {
    intro: String,
    comparisons: Vec<CbaPart>,
    sources: Vec<String>,
    method: String,
}

/// One comparison's account.
#[derive(Serialize)]
pub(super) struct CbaPart {
    heading: String,
    sentence: String,
    account: Table,
    streams: Table,
}

/// The section, when the run has a cost-benefit account.
pub(super) fn section(input: &ReportInput) -> Option<CbaSection> {
    let cba = input.cba?;
    let s = &cba.settings;
    let interval = |l: &crate::analysis::cba::Line| format!("{} to {}", money(l.figure.p2_5), money(l.figure.p97_5));
    let comparisons = (cba.comparisons.iter())
        .map(|c| {
            let (arm, comparator) = (label_of(input, &c.arm), label_of(input, &c.comparator));
            let rows = summary_lines(c, s)
                .into_iter()
                .map(|(words, l)| vec![words, money(l.figure.mean), interval(l)])
                .collect();
            let nppv = c.line("net", "nppv").map_or(0.0, |l| l.figure.mean);
            let ratios: Vec<String> = (c.ratios.iter())
                .map(|r| match (r.value, r.withheld) {
                    (Some(v), _) => format!("{} {}", per_pound(v), r.label),
                    (None, Some(why)) => format!("no {} ratio: {}", r.key.replace('_', " "), why.explanation()),
                    (None, None) => String::new(),
                })
                .collect();
            let streams = (c.lines.iter())
                .filter(|l| l.group == "gross_benefit" && l.key != "total" && l.figure.mean != 0.0)
                .map(|l| vec![l.label.clone(), money(l.figure.mean), interval(l)])
                .collect();
            CbaPart {
                heading: format!("{arm} compared with {comparator}"),
                sentence: format!(
                    "Net present public value {} per person: {} ({}).",
                    if nppv >= 0.0 { "gained" } else { "lost" },
                    money(nppv),
                    ratios.join("; ")
                ),
                account: Table {
                    caption: format!("{arm} vs {comparator}: the account, per person, discounted"),
                    headers: ["Line", "Mean", "95% interval"].map(String::from).to_vec(),
                    rows,
                },
                streams: Table {
                    caption: format!("{arm} vs {comparator}: benefits before adjustment, by stream"),
                    headers: ["Stream", "Mean", "95% interval"].map(String::from).to_vec(),
                    rows: streams,
                },
            }
        })
        .collect();
    let mut sources = vec![format!(
        "Adjustments (optimism bias on costs {}, on benefits {}; deadweight {}; attribution to others {}; displacement {}; drop-off {} a year): {}.",
        share(s.optimism_bias_costs),
        share(s.optimism_bias_benefits),
        share(s.deadweight),
        share(s.attribution_to_others),
        share(s.displacement),
        share(s.drop_off),
        s.source.as_deref().unwrap_or("the scenario gives no source")
    )];
    for (kind, valued) in [("economic", &s.economic), ("social", &s.social)] {
        for m in valued {
            let unit = input
                .scenario
                .map_or(m.name.clone(), |f| f.model.outcome_info[m.outcome].unit.clone());
            sources.push(format!("{} per {unit} ({kind} value): {}.", money(m.value), m.source));
        }
    }
    Some(CbaSection {
        intro: "The intervention's benefits as HM Treasury's cost-benefit guidance for local partnerships (2014) sorts them: fiscal (care savings to public bodies and people, cashable and non-cashable), economic and social (outcomes valued in money), each reduced by the adjustments below, set against the extra spend with its optimism bias. Per person, discounted.".to_string(),
        comparisons,
        sources,
        method: format!(
            "Each programme year's discounted benefit is reduced in turn by optimism bias, deadweight, attribution to others and displacement (each a share of what is left), then by drop-off ((1 − drop-off) to the power of the years since the first); each line says what its adjustment removed. Net present public value = all adjusted benefits − cost. A ratio is mean benefits over mean cost, shown only when the extra spend is clearly above zero. Means are over all simulations; intervals are the 2.5th and 97.5th percentiles over {}; cba.csv has every line, fiscal benefits by payer included.",
            cba.sample_size
        ),
    })
}
