//! CSV tables of the analyses: acceptability (CEAC/CEAF), EVPI, return on investment, payback and cumulative net
//! savings by year.

use super::files::{write_csv, OutputError};
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
        let path = dir.join("ceac.csv");
        write_csv(&path, |w| {
            let n = analysis.iterations as f64;
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
                    let se = (p * (1.0 - p) / n).sqrt();
                    let on = acc.frontier[l] == a;
                    // INMB(λ) = mean NMB of the arm − mean NMB of its comparator.
                    let inmb =
                        comparators[a].map_or(String::new(), |c| (acc.mean_nmb[l][a] - acc.mean_nmb[l][c]).to_string());
                    w.write_record([
                        lambda.to_string(),
                        arm.clone(),
                        p.to_string(),
                        se.to_string(),
                        acc.mean_nmb[l][a].to_string(),
                        inmb,
                        on.to_string(),
                    ])?;
                }
            }
            Ok(())
        })?;

        let path = dir.join("evpi.csv");
        write_csv(&path, |w| {
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
                    arms[acc.frontier[l]].clone(),
                    acc.ceaf[l].to_string(),
                ])?;
            }
            Ok(())
        })?;
    }

    if !analysis.roi.is_empty() {
        let path = dir.join("roi.csv");
        write_csv(&path, |w| {
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
            ])?;
            for r in &analysis.roi {
                let b = &r.bcr_per_iteration;
                w.write_record([
                    r.arm.clone(),
                    r.comparator.clone(),
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
                ])?;
            }
            Ok(())
        })?;
    }

    if !analysis.cumulative_net_savings.is_empty() {
        let path = dir.join("by_year.csv");
        write_csv(&path, |w| {
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
                let payback = analysis.payback.iter().find(|p| p.arm == c.arm);
                let mut paid = 0.0;
                for y in 0..c.mean.len() {
                    paid += payback.map_or(0.0, |p| p.share_by_year[y]);
                    w.write_record([
                        c.arm.clone(),
                        c.comparator.clone(),
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
        })?;
    }
    Ok(())
}
