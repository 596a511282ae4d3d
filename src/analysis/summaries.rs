//! The analyses a run reports, made from the running statistics of all its iterations ([`AnalysisSums`]): arm
//! summaries, comparisons, returns on investment by payer, acceptability and EVPI, payback, cumulative net savings.

use super::accumulate::{verdict, AnalysisSums, ComparisonSums};
use super::ce::acceptability_of;
use super::ratio_rule::NoRatio;
use super::running::Moments;
use super::table::YearlyCosts;
use super::{
    ce, cumulative, Analysis, ArmSummary, Comparison, FrontierRowNamed, Icer, Payback, PayerNetSavings, RoiRow,
    WithheldRatio,
};
use crate::model::{Payer, Payers};

impl AnalysisSums {
    /// The analyses of the iterations fed so far; `yearly` (means over all of them, and the kept sample) gives
    /// cumulative net savings and the payback year of the mean.
    pub fn finish(&self, yearly: Option<&YearlyCosts>) -> Analysis {
        let n = self.iterations;
        let arms: Vec<ArmSummary> = (self.arm_sums.iter().enumerate())
            .map(|(a, s)| ArmSummary {
                name: self.arms[a].clone(),
                label: self.labels[a].clone(),
                cost: s.cost.summary(),
                spend: self.payers.as_ref().map(|_| s.spend.summary()),
                care: self.payers.as_ref().map(|_| s.care.summary()),
                cost_by_payer: self
                    .payers
                    .as_ref()
                    .map(|_| s.cost_by_payer.iter().map(Moments::mean).collect()),
                outcomes: s.outcomes.iter().map(Moments::summary).collect(),
            })
            .collect();
        // The return-on-investment rows (most of the percentiles to select) beside the comparisons and cumulative
        // net savings.
        let ((comparisons, cumulative_net_savings), (roi, withheld_ratios)) = rayon::join(
            || {
                let comparisons: Vec<Comparison> = self.comparisons.iter().map(|c| self.comparison(c)).collect();
                let cumulative_net_savings = yearly.map_or_else(Vec::new, |y| {
                    let pairs: Vec<(usize, usize)> = self.comparisons.iter().map(|c| (c.arm, c.comparator)).collect();
                    cumulative(&self.arms, &pairs, y)
                });
                (comparisons, cumulative_net_savings)
            },
            || match &self.payers {
                Some(payers) => self.roi_rows(payers),
                None => Default::default(),
            },
        );
        let acceptability = self.lambdas.as_ref().map(|l| acceptability_of(l, n));
        let incremental = self.primary.map(|o| {
            let better = self.outcomes[o].better;
            let mean_cost: Vec<f64> = self.arm_sums.iter().map(|s| s.cost.mean()).collect();
            // The mean of the oriented amounts: negating is exact, so it is the oriented mean.
            let mean_effect: Vec<f64> = self
                .arm_sums
                .iter()
                .map(|s| better.orient(s.outcomes[o].mean()))
                .collect();
            ce::incremental_analysis(&mean_cost, &mean_effect)
                .into_iter()
                .map(|mut row| {
                    // Shown as the amount accrued: orienting twice gives it back exactly.
                    row.mean_effect = better.orient(row.mean_effect);
                    FrontierRowNamed {
                        arm: self.arms[row.arm].clone(),
                        row,
                    }
                })
                .collect()
        });
        let population_evpi = (self.options.population)
            .zip(acceptability.as_ref())
            .map(|(p, a)| a.evpi.iter().map(|e| e * p).collect());
        let warnings = comparisons
            .iter()
            .filter_map(|c| {
                let se = c.prob_cost_effective_se.filter(|se| *se > 0.01)?;
                Some(format!(
                    "{} vs {}: the probability cost-effective at the threshold has a Monte Carlo standard error of {:.3} (above 0.01); run more iterations for two-decimal precision",
                    c.arm, c.comparator, se
                ))
            })
            .collect();
        let payback = self
            .comparisons
            .iter()
            .filter_map(|c| self.payback(c, yearly))
            .collect();
        Analysis {
            iterations: n,
            arms,
            comparisons,
            outcome_names: self.outcomes.iter().map(|o| o.name.clone()).collect(),
            outcomes: self.outcomes.clone(),
            primary_outcome: self.primary.map(|o| self.outcomes[o].name.clone()),
            threshold: self.options.threshold,
            acceptability,
            incremental,
            population_evpi,
            roi,
            withheld_ratios,
            payback,
            payers: self.payers.clone().unwrap_or_default(),
            payback_cycles: Vec::new(),
            cumulative_net_savings,
            warnings,
            per: "per person",
        }
    }

    /// Payback in cycles of `unit` where the model's cycles are years (so the payback counts are by cycle).
    pub fn cycle_payback(&self, unit: &str) -> Vec<super::payback_cycles::CyclePayback> {
        (self.comparisons.iter())
            .filter_map(|s| {
                let (counts, _) = s.payback.as_ref()?;
                let arms = (self.arms[s.arm].as_str(), self.arms[s.comparator].as_str());
                Some(super::payback_cycles::of_counts(arms, unit, counts, self.iterations))
            })
            .collect()
    }

    fn comparison(&self, s: &ComparisonSums) -> Comparison {
        let n = self.iterations;
        let split = self.payers.as_ref();
        let ratio_withheld = split.and_then(|_| verdict(&s.spend, s.savings.mean()).err());
        let with_ratio = split.is_some() && ratio_withheld.is_none();
        let has_ratios = with_ratio && s.ratios.count() > 0;
        let prob_cost_effective = s.inmb.as_ref().map(Moments::share_positive);
        Comparison {
            arm: self.arms[s.arm].clone(),
            comparator: self.arms[s.comparator].clone(),
            incremental_cost: s.delta_cost.summary(),
            incremental_outcomes: s.delta_outcomes.iter().map(Moments::summary).collect(),
            net_savings: s.net.summary(),
            prob_cost_saving: s.net.share_non_negative(),
            net_savings_by_payer: split.map(|payers| {
                (payers.all().zip(&s.net_by_payer))
                    .map(|(payer, m)| PayerNetSavings {
                        payer: payers.name(payer).to_string(),
                        net_savings: m.summary(),
                        prob_cost_saving: m.share_non_negative(),
                    })
                    .collect()
            }),
            spend: split.map(|_| s.spend.summary()),
            savings: split.map(|_| s.savings.summary()),
            bcr: with_ratio.then(|| s.savings.mean() / s.spend.mean()),
            ratio_withheld,
            bcr_distribution: has_ratios.then(|| s.ratios.summary()),
            prob_bcr_above_one: has_ratios.then(|| s.ratios.share_above_one()),
            icer: self
                .primary
                .map(|o| Icer::new(s.delta_cost.mean(), s.delta_outcomes[o].mean())),
            inmb: s.inmb.as_ref().map(Moments::summary),
            prob_cost_effective,
            prob_cost_effective_se: prob_cost_effective.map(|p| (p * (1.0 - p) / n as f64).sqrt()),
        }
    }

    /// Every return on investment: the rows with a ratio, and those whose ratio the ratio rule withholds. A payer who
    /// spends nothing on the intervention in either arm has no spend perspective; the whole system always has one.
    fn roi_rows(&self, payers: &Payers) -> (Vec<RoiRow>, Vec<WithheldRatio>) {
        use rayon::prelude::*;
        // Each spend perspective's rows on a task of their own (each row's percentiles select among 100,000
        // values), collected in order.
        let each_spend: Vec<Vec<Option<Result<RoiRow, WithheldRatio>>>> = (self.comparisons.iter())
            .flat_map(|s| {
                // One verdict for each spend, against everything the intervention saves, for every row that divides
                // by it.
                let all_savings = (s.savings_by.iter())
                    .find(|v| v.payer.is_none() && v.basis == "all")
                    .expect("the whole system's savings")
                    .sums
                    .mean();
                // The whole system is always a perspective: with no spend at all, it is a cheaper way of doing the
                // same thing, which the withheld rows say.
                (s.spend_by.iter())
                    .filter(|sp| sp.payer.is_none() || sp.arms_spend)
                    .map(move |sp| (s, sp, all_savings))
            })
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|(s, sp, all_savings)| {
                let judged = verdict(&sp.sums, all_savings);
                let mut rows: Vec<Option<Result<RoiRow, WithheldRatio>>> = Vec::with_capacity(sp.pairs.len());
                for (v, pair) in s.savings_by.iter().zip(&sp.pairs) {
                    let row = match v.twin {
                        // The same values as its twin's, so the same row but for its basis.
                        Some(t) => match rows[t].clone() {
                            Some(Ok(r)) => Some(Ok(RoiRow {
                                basis: v.basis.to_string(),
                                ..r
                            })),
                            Some(Err(w)) => Some(Err(WithheldRatio {
                                basis: v.basis.to_string(),
                                ..w
                            })),
                            None => None,
                        },
                        None => RoiRowParts {
                            payers,
                            arms: (&self.arms[s.arm], &self.arms[s.comparator]),
                            perspective: (v.payer, sp.payer),
                            basis: v.basis,
                        }
                        .roi(&v.sums, &sp.sums, pair, judged),
                    };
                    rows.push(row);
                }
                rows
            })
            .collect();
        let (mut rows, mut withheld) = (Vec::new(), Vec::new());
        for row in each_spend.into_iter().flatten() {
            match row {
                Some(Ok(r)) => rows.push(r),
                Some(Err(w)) => withheld.push(w),
                None => {}
            }
        }
        (rows, withheld)
    }

    fn payback(&self, s: &ComparisonSums, yearly: Option<&YearlyCosts>) -> Option<Payback> {
        let (counts, never) = s.payback.as_ref()?;
        let n = self.iterations;
        // Median over all iterations, counting "never" as beyond the horizon.
        let mut cumulative = 0;
        let mut median_year = None;
        for (y, count) in counts.iter().enumerate() {
            cumulative += count;
            if 2 * cumulative >= n {
                median_year = Some((y + 1) as u16);
                break;
            }
        }
        let year_of_mean = yearly.and_then(|y| {
            let mut total = 0.0;
            (y.mean_net_savings(s.arm, s.comparator).iter())
                .position(|v| {
                    total += v;
                    total >= 0.0
                })
                .map(|i| (i + 1) as u16)
        });
        Some(Payback {
            arm: self.arms[s.arm].clone(),
            comparator: self.arms[s.comparator].clone(),
            share_by_year: counts.iter().map(|&k| k as f64 / n as f64).collect(),
            share_never: *never as f64 / n as f64,
            median_year,
            year_of_mean,
        })
    }
}

/// A perspective's name in files: the payer's, or `total` for everyone.
fn perspective_name(payers: &Payers, p: Option<Payer>) -> String {
    p.map_or("total", |p| payers.name(p)).to_string()
}

/// Which return on investment a row is: its arms, whose savings and whose spend, and on which basis.
struct RoiRowParts<'a> {
    payers: &'a Payers,
    arms: (&'a str, &'a str),
    /// (whose savings, whose spend).
    perspective: (Option<Payer>, Option<Payer>),
    basis: &'static str,
}

impl RoiRowParts<'_> {
    /// The row from the running statistics of its savings, its spend and the pair, and the ratio rule's verdict on
    /// the spend: a ratio, a withheld ratio, or nothing (a payer with nothing to say about a withheld ratio).
    fn roi(
        &self,
        savings: &Moments,
        spend: &Moments,
        pair: &super::accumulate::PairSums,
        verdict: Result<(), NoRatio>,
    ) -> Option<Result<RoiRow, WithheldRatio>> {
        let (savings_payer, spend_payer) = self.perspective;
        let (mean_savings, mean_spend) = (savings.mean(), spend.mean());
        let (arm, comparator) = (self.arms.0.to_string(), self.arms.1.to_string());
        if let Err(reason) = verdict {
            // A payer with the same care costs in both arms in every iteration has nothing to say here.
            if savings_payer.is_some() && savings.all_zero() {
                return None;
            }
            return Some(Err(WithheldRatio {
                arm,
                comparator,
                savings_payer: perspective_name(self.payers, savings_payer),
                spend_payer: perspective_name(self.payers, spend_payer),
                basis: self.basis.to_string(),
                mean_savings,
                mean_spend,
                net_benefit: pair.net_benefit.summary(),
                reason,
            }));
        }
        // The rule lets through only spends positive in at least 97.5% of iterations, so some are.
        Some(Ok(RoiRow {
            arm,
            comparator,
            savings_payer: perspective_name(self.payers, savings_payer),
            spend_payer: perspective_name(self.payers, spend_payer),
            basis: self.basis.to_string(),
            mean_savings,
            mean_spend,
            bcr: mean_savings / mean_spend,
            bcr_se: pair.ratio_se.standard_error(),
            net_roi: (mean_savings - mean_spend) / mean_spend,
            bcr_per_iteration: pair.ratios.summary(),
            prob_bcr_above_one: pair.ratios.share_above_one(),
            net_benefit: pair.net_benefit.summary(),
        }))
    }
}
