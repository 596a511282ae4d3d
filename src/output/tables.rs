//! CSV tables of the analyses: acceptability (CEAC/CEAF), EVPI, return on investment, payback and cumulative net
//! savings by year.

use super::files::{text_cell, write_csv, OutputError};
use crate::analysis::ce::Acceptability;
use crate::analysis::Analysis;
use std::path::Path;

/// Writes every analysis table that has content into `dir`.
pub fn write_tables(
    dir: &Path,
    analysis: &Analysis,
    arms: &[String],
    comparators: &[Option<usize>],
) -> Result<(), OutputError> {
    if let Some(acc) = &analysis.acceptability {
        write_ceac(&dir.join("ceac.csv"), analysis, acc, arms, comparators)?;
        write_evpi(&dir.join("evpi.csv"), analysis, acc, arms)?;
    }
    if !analysis.roi.is_empty() || !analysis.withheld_ratios.is_empty() {
        write_roi(&dir.join("roi.csv"), analysis)?;
    }
    if !analysis.payback_cycles.is_empty() {
        write_payback(&dir.join("payback.csv"), analysis)?;
    }
    if !analysis.cumulative_net_savings.is_empty() {
        write_by_year(&dir.join("by_year.csv"), analysis)?;
    }
    Ok(())
}

/// ceac.csv: for each λ and arm, the probability of being the most cost-effective with its Monte Carlo standard
/// error, mean NMB, INMB against the comparator, and whether the arm is on the frontier.
fn write_ceac(
    path: &Path,
    analysis: &Analysis,
    acc: &Acceptability,
    arms: &[String],
    comparators: &[Option<usize>],
) -> Result<(), OutputError> {
    write_csv(path, |w| {
        w.write_record([
            "lambda",
            "arm",
            "probability",
            "se",
            "mean_nmb",
            "inmb_vs_comparator",
            "on_frontier",
        ])?;
        for (l, lambda) in acc.lambda.iter().enumerate() {
            for (a, arm) in arms.iter().enumerate() {
                let p = acc.probability[l][a];
                let se = acc.probability_se(l, a, analysis.iterations);
                let on = acc.frontier[l] == a;
                let inmb = comparators[a].map_or(String::new(), |c| acc.inmb(l, a, c).to_string());
                w.write_record([
                    lambda.to_string(),
                    text_cell(arm),
                    p.to_string(),
                    se.to_string(),
                    acc.mean_nmb[l][a].to_string(),
                    inmb,
                    on.to_string(),
                ])?;
            }
        }
        Ok(())
    })
}

/// evpi.csv: EVPI per person (and for the population) at each λ, the frontier arm and the CEAF.
fn write_evpi(path: &Path, analysis: &Analysis, acc: &Acceptability, arms: &[String]) -> Result<(), OutputError> {
    write_csv(path, |w| {
        w.write_record(["lambda", "evpi_per_person", "evpi_population", "frontier_arm", "ceaf"])?;
        for (l, lambda) in acc.lambda.iter().enumerate() {
            let population = analysis
                .population_evpi
                .as_ref()
                .map_or(String::new(), |p| p[l].to_string());
            w.write_record([
                lambda.to_string(),
                acc.evpi[l].to_string(),
                population,
                text_cell(&arms[acc.frontier[l]]),
                acc.ceaf[l].to_string(),
            ])?;
        }
        Ok(())
    })
}

/// roi.csv: every ROI row (whose savings, whose spend, all or cashable savings); then the rows whose ratio is
/// withheld, with their savings, spend and net benefit, empty ratio cells and the reason in `ratio_note`.
fn write_roi(path: &Path, analysis: &Analysis) -> Result<(), OutputError> {
    write_csv(path, |w| {
        w.write_record([
            "arm",
            "comparator",
            "savings_payer",
            "spend_payer",
            "basis",
            "mean_savings",
            "mean_spend",
            "bcr",
            "net_roi",
            "bcr_iteration_mean",
            "bcr_iteration_p2_5",
            "bcr_iteration_p50",
            "bcr_iteration_p97_5",
            "prob_bcr_above_1",
            "net_benefit_mean",
            "net_benefit_p2_5",
            "net_benefit_p97_5",
            "ratio_note",
        ])?;
        for r in &analysis.roi {
            let b = &r.bcr_per_iteration;
            w.write_record([
                text_cell(&r.arm),
                text_cell(&r.comparator),
                r.savings_payer.clone(),
                r.spend_payer.clone(),
                r.basis.clone(),
                r.mean_savings.to_string(),
                r.mean_spend.to_string(),
                r.bcr.to_string(),
                r.net_roi.to_string(),
                b.mean.to_string(),
                b.p2_5.to_string(),
                b.p50.to_string(),
                b.p97_5.to_string(),
                r.prob_bcr_above_one.to_string(),
                r.net_benefit.mean.to_string(),
                r.net_benefit.p2_5.to_string(),
                r.net_benefit.p97_5.to_string(),
                String::new(),
            ])?;
        }
        for r in &analysis.withheld_ratios {
            let mut record = vec![
                text_cell(&r.arm),
                text_cell(&r.comparator),
                r.savings_payer.clone(),
                r.spend_payer.clone(),
                r.basis.clone(),
                r.mean_savings.to_string(),
                r.mean_spend.to_string(),
            ];
            // bcr, net_roi, the per-iteration ratio's four figures and P(BCR > 1): no ratio, so empty.
            record.extend(std::iter::repeat_n(String::new(), 7));
            record.extend([
                r.net_benefit.mean.to_string(),
                r.net_benefit.p2_5.to_string(),
                r.net_benefit.p97_5.to_string(),
                r.reason.note().to_string(),
            ]);
            w.write_record(record)?;
        }
        Ok(())
    })
}

/// payback.csv: when each arm pays back against its comparator, in the model's own cycles (weeks, months, quarters
/// or years): the median and 95% interval (nearest rank; empty where beyond the horizon) and the share that never do.
fn write_payback(path: &Path, analysis: &Analysis) -> Result<(), OutputError> {
    write_csv(path, |w| {
        w.write_record([
            "arm",
            "comparator",
            "unit",
            "horizon",
            "median",
            "p2_5",
            "p97_5",
            "share_never",
        ])?;
        let cell = |c: Option<u32>| c.map_or(String::new(), |c| c.to_string());
        for p in &analysis.payback_cycles {
            w.write_record([
                text_cell(&p.arm),
                text_cell(&p.comparator),
                p.unit.clone(),
                p.horizon_cycles.to_string(),
                cell(p.median),
                cell(p.p2_5),
                cell(p.p97_5),
                p.share_never.to_string(),
            ])?;
        }
        Ok(())
    })
}

/// by_year.csv: cumulative net savings by year with their percentiles, and the share of iterations paid back by then.
fn write_by_year(path: &Path, analysis: &Analysis) -> Result<(), OutputError> {
    write_csv(path, |w| {
        w.write_record([
            "arm",
            "comparator",
            "year",
            "cumulative_net_savings_mean",
            "p2_5",
            "p25",
            "p50",
            "p75",
            "p97_5",
            "share_paid_back",
        ])?;
        for c in &analysis.cumulative_net_savings {
            let paid = analysis
                .payback
                .iter()
                .find(|p| p.arm == c.arm)
                .map_or_else(|| vec![0.0; c.mean.len()], |p| p.share_paid_back_by_year());
            for (y, paid) in paid.iter().enumerate().take(c.mean.len()) {
                w.write_record([
                    text_cell(&c.arm),
                    text_cell(&c.comparator),
                    (y + 1).to_string(),
                    c.mean[y].to_string(),
                    c.p2_5[y].to_string(),
                    c.p25[y].to_string(),
                    c.p50[y].to_string(),
                    c.p75[y].to_string(),
                    c.p97_5[y].to_string(),
                    paid.to_string(),
                ])?;
            }
        }
        Ok(())
    })
}
