//! The report's figures: each plot the run drew, inlined as SVG, with its alternative text and data table.

use super::headline::{primary_delta, roi};
use super::{interval, label_of, Figure, ReportInput, Table};
use crate::model::OutcomeInfo;
use crate::output::format::{
    capitalised, gain_name, money, number, per_pound, per_unit, percent, share, thousands, FileNames, ShareStyle,
};
use minijinja::Value;

/// The SVG the run drew for `stem`, inlined, if it drew one.
pub(super) fn svg_of(input: &ReportInput, stem: &str) -> Result<Option<Value>, String> {
    match input.figures {
        super::Figures::Files(files) => svg_path(files, stem).map(read_svg).transpose(),
        super::Figures::Memory(sink) => Ok(sink.get(stem).map(Value::from_safe_string)),
    }
}

/// The SVG among `files` whose file stem is `stem`.
pub(in crate::output) fn svg_path<'a>(files: &'a [std::path::PathBuf], stem: &str) -> Option<&'a std::path::Path> {
    (files.iter())
        .find(|p| p.extension().is_some_and(|e| e == "svg") && p.file_stem().is_some_and(|s| s == stem))
        .map(std::path::PathBuf::as_path)
}

/// An SVG file carecast drew, as markup to print unescaped. The plot's own size is kept as its aspect ratio; the
/// page's CSS scales it to the column width.
pub(super) fn read_svg(path: &std::path::Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(Value::from_safe_string(text))
}
/// Every figure of the report; `primary` is the primary outcome, if any.
pub(super) fn figures(input: &ReportInput, primary: Option<&OutcomeInfo>) -> Result<Vec<Figure>, String> {
    let mut out = roi_figures(input)?;
    if let Some(outcome) = primary {
        out.extend(plane_figure(input, outcome)?);
        out.extend(acceptability_figures(input, outcome)?);
    }
    out.extend(cumulative_figures(input)?);
    Ok(out)
}

/// The arms' names, in table order.
fn arm_names(input: &ReportInput) -> Vec<String> {
    input.arms.iter().map(|(name, _)| name.clone()).collect()
}

/// The ROI histograms, one per comparison, with the ratios by whose savings.
fn roi_figures(input: &ReportInput) -> Result<Vec<Figure>, String> {
    let a = input.analysis;
    let mut out = Vec::new();
    for c in &a.comparisons {
        let stem = format!("roi_{}", FileNames::new(&arm_names(input)).of(&c.arm));
        if let Some(svg) = svg_of(input, &stem)? {
            let rows = input
                .analysis
                .roi
                .iter()
                .filter(|r| r.arm == c.arm && r.spend_payer == "total" && r.basis == "all")
                .map(|r| {
                    vec![
                        a.payers.words_of(&r.savings_payer).to_string(),
                        per_pound(r.bcr),
                        per_pound(r.bcr_per_iteration.p50),
                        interval(&r.bcr_per_iteration, per_pound),
                        percent(r.prob_bcr_above_one),
                    ]
                })
                .collect();
            out.push(Figure {
                id: stem,
                title: format!("£ back per £1 spent: {} vs {}", label_of(input, &c.arm), label_of(input, &c.comparator)),
                alt: format!(
                    "Histograms of the benefit–cost ratio across simulations, one panel for each payer whose care costs differ between the arms and one for the whole system (a single panel where one payer has every saving), with a line at £1 (break-even). Whole system: {} back per £1 spent.",
                    roi(input, c, "total").map_or("–".into(), |r| per_pound(r.bcr))
                ),
                svg,
                table: Table {
                    caption: format!(
                        "Savings per £1 of all payers' intervention spend, by whose savings, over {} simulations. \
                         The headline's figure is mean savings ÷ mean spend; the plot shows each simulation's own \
                         ratio, whose median differs from it because the average of ratios is not the ratio of averages",
                        thousands(a.iterations as u64)
                    ),
                    headers: [
                        "Savings to",
                        "Mean savings ÷ mean spend (headline)",
                        "Median of the simulations' ratios",
                        "95% interval of the simulations' ratios",
                        "P(ratio > 1)",
                    ]
                    .map(String::from)
                    .to_vec(),
                    rows,
                },
            });
        }
    }
    Ok(out)
}

/// The cost-effectiveness plane, with the mean increments.
fn plane_figure(input: &ReportInput, outcome: &OutcomeInfo) -> Result<Option<Figure>, String> {
    let a = input.analysis;
    let mut out = None;
    if let Some(svg) = svg_of(input, "ce_plane")? {
        out = Some(Figure {
            id: "ce_plane".into(),
            title: "Cost-effectiveness plane".into(),
            alt: format!(
                "Scatter of incremental cost against {} for each simulation, with the threshold line at {} per {}.",
                gain_name(outcome),
                money(a.threshold),
                per_unit(outcome)
            ),
            svg,
            table: Table {
                caption: "Mean incremental cost and outcome".into(),
                headers: ["Comparison", "Incremental cost", &capitalised(&gain_name(outcome))]
                    .map(String::from)
                    .to_vec(),
                rows: a
                    .comparisons
                    .iter()
                    .map(|c| {
                        vec![
                            format!("{} vs {}", label_of(input, &c.arm), label_of(input, &c.comparator)),
                            money(c.incremental_cost.mean),
                            primary_delta(a, c).map_or("–".into(), |d| number(d.mean)),
                        ]
                    })
                    .collect(),
            },
        });
    }
    Ok(out)
}

/// The acceptability curves and the EVPI curve, with their values by willingness to pay.
fn acceptability_figures(input: &ReportInput, outcome: &OutcomeInfo) -> Result<Vec<Figure>, String> {
    let a = input.analysis;
    let per = per_unit(outcome);
    let mut out = Vec::new();
    if let Some(acc) = &a.acceptability {
        let mut headers = vec![format!("λ (£ per {per})")];
        headers.extend(input.arms.iter().map(|(_, l)| format!("P({l} best)")));
        headers.extend(["Frontier arm".to_string(), "EVPI per person".to_string()]);
        let rows: Vec<Vec<String>> = (0..acc.lambda.len())
            .map(|l| {
                let mut row = vec![money(acc.lambda[l])];
                row.extend(acc.probability[l].iter().map(|p| share(*p, ShareStyle::Decimal, 3)));
                row.push(
                    input
                        .arms
                        .get(acc.frontier[l])
                        .map_or("–".into(), |(_, label)| label.clone()),
                );
                row.push(money(acc.evpi[l]));
                row
            })
            .collect();
        if let Some(svg) = svg_of(input, "ceac")? {
            out.push(Figure {
                id: "ceac".into(),
                title: "Cost-effectiveness acceptability curves and frontier".into(),
                alt: format!(
                    "Probability that each option has the highest net monetary benefit, for willingness to pay from {} to {} per {per}.",
                    money(acc.lambda.first().copied().unwrap_or(0.0)),
                    money(acc.lambda.last().copied().unwrap_or(0.0))
                ),
                svg,
                table: Table {
                    caption: "Acceptability and value of information by willingness to pay".into(),
                    headers: headers.clone(),
                    rows: rows.clone(),
                },
            });
        }
        if let Some(svg) = svg_of(input, "evpi")? {
            let max = acc.evpi.iter().copied().fold(0.0, f64::max);
            out.push(Figure {
                id: "evpi".into(),
                title: "Expected value of perfect information".into(),
                alt: format!(
                    "EVPI per person by willingness to pay; its highest value is {}.",
                    money(max)
                ),
                svg,
                table: Table {
                    caption: "EVPI per person by willingness to pay".into(),
                    headers: vec![format!("λ (£ per {per})"), "EVPI per person".into()],
                    rows: (0..acc.lambda.len())
                        .map(|l| vec![money(acc.lambda[l]), money(acc.evpi[l])])
                        .collect(),
                },
            });
        }
    }
    Ok(out)
}

/// The fan charts of cumulative net savings, one per comparison.
fn cumulative_figures(input: &ReportInput) -> Result<Vec<Figure>, String> {
    let a = input.analysis;
    let mut out = Vec::new();
    for c in &a.cumulative_net_savings {
        let stem = format!("cumulative_{}", FileNames::new(&arm_names(input)).of(&c.arm));
        if let Some(svg) = svg_of(input, &stem)? {
            let last = c.p50.len().saturating_sub(1);
            out.push(Figure {
                id: stem,
                title: format!(
                    "Cumulative net savings: {} vs {}",
                    label_of(input, &c.arm),
                    label_of(input, &c.comparator)
                ),
                alt: format!(
                    "Fan chart of cumulative net savings {} by year: median, 50% and 95% bands. By year {}, the median is {}.",
                    a.per,
                    last + 1,
                    c.p50.get(last).map_or("–".into(), |v| money(*v))
                ),
                svg,
                table: Table {
                    caption: "See the per-year table below".into(),
                    ..Table::default()
                },
            });
        }
    }
    Ok(out)
}
