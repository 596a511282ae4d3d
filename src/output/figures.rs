//! Which plots a run or an analysis draws, and with what data: ROI distributions, the cost-effectiveness plane,
//! acceptability curves, EVPI and cumulative net savings. The drawing itself is in [`super::plots`].

use super::files::OutputError;
use super::format::{capitalised, gain, gain_name, per_unit, FileNames};
use super::plots::{self, Canvas, PlaneOutcome, Sample};
use crate::analysis::ce::Acceptability;
use crate::analysis::plot_data::PlotData;
use crate::analysis::{Analysis, PsaTable};
use crate::model::Payer;
use std::path::PathBuf;

/// Whose £1 a return of comparison `arm` vs `comparator` divides by, to end "£ back per £1 …": "the council spends"
/// where one payer's mean intervention spend differs between the arms (from the analysis's ROI rows), else "of all
/// payers' extra spend". The plots and the report's headline cards say it the same way.
pub(crate) fn whose_pound(analysis: &Analysis, arm: &str, comparator: &str) -> String {
    let mut spenders: Vec<&str> = (analysis.roi.iter())
        .filter(|r| r.arm == arm && r.comparator == comparator && r.spend_payer != "total" && r.mean_spend != 0.0)
        .map(|r| r.spend_payer.as_str())
        .collect();
    spenders.sort_unstable();
    spenders.dedup();
    match spenders[..] {
        [one] => format!("{} spends", analysis.payers.words_of(one)),
        _ => "of all payers' extra spend".to_string(),
    }
}

/// The headline's ratio of comparison `arm` vs `comparator` for `savings` ("total" for all payers): mean savings
/// over mean spend of all payers, as the ROI rows hold it.
fn ratio_of_means(analysis: &Analysis, arm: &str, comparator: &str, savings: &str) -> Option<f64> {
    (analysis.roi.iter())
        .find(|r| {
            r.arm == arm
                && r.comparator == comparator
                && r.savings_payer == savings
                && r.spend_payer == "total"
                && r.basis == "all"
        })
        .map(|r| r.bcr)
}

/// Draws every plot the analysis supports onto `canvas` (files in a folder, or SVG text in memory); returns the files
/// written. The groups of plots are drawn at once where the pool has free threads (they are a small run's largest
/// cost), and listed in a fixed order.
pub fn write_figures(
    canvas: Canvas,
    title: &str,
    table: &PsaTable,
    analysis: &Analysis,
    data: &PlotData,
) -> Result<Vec<PathBuf>, OutputError> {
    // The primary outcome in its own words, the gain in the decision's direction (the amount avoided where less is
    // better).
    let primary = analysis.primary();
    let axis = primary.map_or_else(|| "Incremental outcome".to_string(), |o| capitalised(&gain_name(o)));
    let gain = primary.map_or_else(|| "unit of outcome".to_string(), gain);
    let per = primary.map_or_else(|| "unit of outcome".to_string(), per_unit);
    let words = PlaneOutcome {
        axis: &axis,
        gain: &gain,
        per: &per,
    };
    let ((roi, plane), (acceptability, cumulative)) = rayon::join(
        || {
            rayon::join(
                || roi_figures(canvas, title, table, analysis, data),
                || plane_figure(canvas, title, table, analysis, data, words),
            )
        },
        || {
            rayon::join(
                || match &analysis.acceptability {
                    Some(acc) => acceptability_figures(canvas, title, &per, table, analysis, acc),
                    None => Ok(Vec::new()),
                },
                || cumulative_figures(canvas, title, table, analysis),
            )
        },
    );
    Ok([roi?, plane?, acceptability?, cumulative?].concat())
}

/// The ROI histograms: per comparison, "£ back to each payer (and to everyone) per £1 of intervention spend".
fn roi_figures(
    canvas: Canvas,
    title: &str,
    table: &PsaTable,
    analysis: &Analysis,
    data: &PlotData,
) -> Result<Vec<PathBuf>, OutputError> {
    let mut files = Vec::new();
    let names = FileNames::new(&table.arms);
    for roi in &data.roi {
        let (arm, comparator) = (&table.arms[roi.arm], &table.arms[roi.comparator]);
        let whose_pound = whose_pound(analysis, arm, comparator);
        let samples: Vec<Sample> = (roi.panels.iter())
            .map(|(payer, values)| Sample {
                label: match payer {
                    // "the person" reads better above a histogram than "people and their families".
                    Some(Payer::Person) if analysis.payers.info(Payer::Person).plural => {
                        format!("Savings to the person per £1 {whose_pound}")
                    }
                    Some(p) if roi.one_payer_saves => {
                        format!(
                            "Savings to {} (all the savings) per £1 {whose_pound}",
                            analysis.payers.info(*p).words
                        )
                    }
                    Some(p) => format!("Savings to {} per £1 {whose_pound}", analysis.payers.info(*p).words),
                    None => format!("Savings to all payers per £1 {whose_pound}"),
                },
                values,
                ratio_of_means: ratio_of_means(
                    analysis,
                    arm,
                    comparator,
                    payer.map_or("total", |p| analysis.payers.name(p)),
                ),
            })
            .collect();
        let base = canvas.dest(&format!("roi_{}", names.of(&table.arms[roi.arm])));
        let plot_title = format!(
            "{title}: £ back per £1 spent, {} vs {}",
            table.labels[roi.arm], table.labels[roi.comparator]
        );
        files.extend(plots::roi_histograms(base, &plot_title, &samples)?);
    }

    Ok(files)
}

/// The cost-effectiveness plane: ΔE and ΔC per iteration for each comparison, where there is a primary outcome.
fn plane_figure(
    canvas: Canvas,
    title: &str,
    table: &PsaTable,
    analysis: &Analysis,
    data: &PlotData,
    words: PlaneOutcome,
) -> Result<Vec<PathBuf>, OutputError> {
    let mut files = Vec::new();
    if let Some(plane) = &data.plane {
        let arms: Vec<(String, &[f64], &[f64])> = plane
            .iter()
            .map(|p| {
                (
                    format!("{} vs {}", table.labels[p.arm], table.labels[p.comparator]),
                    p.delta_effect.as_slice(),
                    p.delta_cost.as_slice(),
                )
            })
            .collect();
        let lambdas = [analysis.threshold];
        files.extend(plots::ce_plane(
            canvas.dest("ce_plane"),
            &format!("{title}: cost-effectiveness plane"),
            words,
            &arms,
            &lambdas,
        )?);
    }

    Ok(files)
}

/// The acceptability curves and the EVPI curve; `per` is what λ is per.
fn acceptability_figures(
    canvas: Canvas,
    title: &str,
    per: &str,
    table: &PsaTable,
    analysis: &Analysis,
    acc: &Acceptability,
) -> Result<Vec<PathBuf>, OutputError> {
    let mut files = Vec::new();
    {
        let curves: Vec<Vec<f64>> = (0..table.arms.len())
            .map(|a| acc.probability.iter().map(|p| p[a]).collect())
            .collect();
        let arms: Vec<(String, &[f64])> = table
            .labels
            .iter()
            .zip(&curves)
            .map(|(l, v)| (l.clone(), v.as_slice()))
            .collect();
        files.extend(plots::ceac(
            canvas.dest("ceac"),
            &format!("{title}: cost-effectiveness acceptability"),
            per,
            &acc.lambda,
            &arms,
            &acc.frontier,
        )?);
        files.extend(plots::evpi(
            canvas.dest("evpi"),
            &format!("{title}: expected value of perfect information"),
            per,
            &acc.lambda,
            &acc.evpi,
            analysis.population_evpi.as_deref(),
        )?);
    }
    Ok(files)
}

/// The fan charts of cumulative net savings by year, one per comparison.
fn cumulative_figures(
    canvas: Canvas,
    title: &str,
    table: &PsaTable,
    analysis: &Analysis,
) -> Result<Vec<PathBuf>, OutputError> {
    let mut files = Vec::new();
    for c in &analysis.cumulative_net_savings {
        let years: Vec<f64> = (1..=c.p50.len()).map(|y| y as f64).collect();
        let label = |name: &str| {
            table
                .arms
                .iter()
                .position(|a| a == name)
                .map_or(name.to_string(), |i| table.labels[i].clone())
        };
        // The y axis says whom the amounts are for: per person, or for the service as a whole.
        files.extend(plots::budget_fan_chart(
            canvas.dest(&format!("cumulative_{}", FileNames::new(&table.arms).of(&c.arm))),
            &format!(
                "{title}: cumulative net savings, {} vs {}",
                label(&c.arm),
                label(&c.comparator)
            ),
            "Year",
            &format!("Cumulative net savings (£ {})", analysis.per),
            &years,
            [&c.p2_5, &c.p25, &c.p50, &c.p75, &c.p97_5],
        )?);
    }
    Ok(files)
}
