//! Every analysis of a run's iterations as running statistics ([`running`](super::running)), fed a block of
//! iterations at a time: arm summaries, comparisons, returns on investment by payer, acceptability and EVPI, payback
//! counts. A run of any length is analysed in the memory of one block, and the blocks of a run (or the shards of a
//! sharded one), fed in order, give the same bits as the whole run fed at once.

use super::ce::{feed_lambdas, LambdaSums};
use super::ratio_rule::{ratio_verdict, NoRatio};
use super::running::{Moments, RatioMoments, STATS_CHUNK};
use super::stats::{difference, difference_into, ratios_over, ratios_where_spent, where_spent};
use super::table::{series, series_of, PayerCosts};
use super::{AnalysisOptions, PsaTable};
use crate::model::{OutcomeInfo, Payer, Payers};
use rayon::prelude::*;
use std::ops::Range;

/// The running statistics of one arm.
#[derive(Debug, Clone, Default)]
pub(super) struct ArmSums {
    pub cost: Moments,
    /// Spend and care costs, all payers, and each payer's total cost (when split by payer).
    pub spend: Moments,
    pub care: Moments,
    pub cost_by_payer: Vec<Moments>,
    pub outcomes: Vec<Moments>,
}

/// The running statistics of one return-on-investment perspective pair: savings of one payer (or all) against the
/// spend of one payer (or all).
#[derive(Debug, Clone, Default)]
pub(super) struct PairSums {
    pub net_benefit: Moments,
    /// Savings per £1 over the iterations with spend.
    pub ratios: Moments,
    pub ratio_se: RatioMoments,
}

/// Whose savings, on which basis, and their running statistics.
#[derive(Debug, Clone)]
pub(super) struct SavingsSums {
    pub payer: Option<Payer>,
    pub basis: &'static str,
    pub cashable: bool,
    pub sums: Moments,
    /// The perspective on all care costs whose values these are too, when every care cost is cashable
    /// ([`PayerCosts::cashable_is_care`]): then this one's sums, and its pairs', are left empty and its twin's are
    /// read instead. With each sample reserved for a block at once (see [`AnalysisSums::feed`]), this took the
    /// reference workload's running sums from 430–465 to 234–247 ns an iteration (one thread, a fresh process).
    pub twin: Option<usize>,
}

/// Whose spend, its running statistics, whether either arm spends anything, and each savings perspective against it.
#[derive(Debug, Clone)]
pub(super) struct SpendSums {
    pub payer: Option<Payer>,
    pub sums: Moments,
    pub arms_spend: bool,
    pub pairs: Vec<PairSums>,
}

/// The running statistics of one intervention against its comparator.
#[derive(Debug, Clone)]
pub(super) struct ComparisonSums {
    pub arm: usize,
    pub comparator: usize,
    pub delta_cost: Moments,
    pub net: Moments,
    pub delta_outcomes: Vec<Moments>,
    /// Net savings by payer, spend, savings and savings per £1 (over iterations with spend), when split by payer.
    pub net_by_payer: Vec<Moments>,
    pub spend: Moments,
    pub savings: Moments,
    pub ratios: Moments,
    pub inmb: Option<Moments>,
    /// Savings perspectives (each payer then all, on all savings then cashable) and spend perspectives.
    pub savings_by: Vec<SavingsSums>,
    pub spend_by: Vec<SpendSums>,
    /// Iterations paying back in each year, and never.
    pub payback: Option<(Vec<usize>, usize)>,
    /// Each savings perspective's values for the block being fed: kept between blocks so that each block reuses
    /// their memory rather than faulting in fresh pages.
    saved: Vec<Vec<f64>>,
}

/// The running statistics of every analysis of a run, fed blocks of iterations in order.
#[derive(Debug, Clone)]
pub struct AnalysisSums {
    pub(super) arms: Vec<String>,
    pub(super) labels: Vec<String>,
    pub(super) outcomes: Vec<OutcomeInfo>,
    pub(super) primary: Option<usize>,
    pub(super) payers: Option<Payers>,
    pub(super) options: AnalysisOptions,
    pub(super) iterations: usize,
    pub(super) arm_sums: Vec<ArmSums>,
    pub(super) comparisons: Vec<ComparisonSums>,
    pub(super) lambdas: Option<Vec<LambdaSums>>,
}

/// Payer perspectives: each payer, then everyone (None).
pub(super) fn perspectives(payers: &Payers) -> impl Iterator<Item = Option<Payer>> + Clone + '_ {
    payers.all().map(Some).chain([None])
}

impl AnalysisSums {
    /// Empty sums for iterations of the shape of `table` (its arms, outcomes, payers and payback horizon).
    pub fn new(table: &PsaTable, options: &AnalysisOptions) -> Self {
        let n_out = table.outcomes.len();
        let payers = table.payers.as_ref().map(|p| p.payers.clone());
        let cashable_is_care = table.payers.as_ref().is_some_and(PayerCosts::cashable_is_care);
        let arm_sums = (0..table.arms.len())
            .map(|_| ArmSums {
                cost_by_payer: vec![Moments::default(); payers.as_ref().map_or(0, Payers::len)],
                outcomes: vec![Moments::default(); n_out],
                ..Default::default()
            })
            .collect();
        let comparisons = table
            .comparisons()
            .map(|(arm, comparator)| {
                let bases = [("all", false), ("cashable", true)];
                let savings_by: Vec<SavingsSums> = payers.as_ref().map_or_else(Vec::new, |p| {
                    perspectives(p)
                        .flat_map(|payer| bases.map(|(basis, cashable)| (payer, basis, cashable)))
                        .enumerate()
                        .map(|(i, (payer, basis, cashable))| SavingsSums {
                            payer,
                            basis,
                            cashable,
                            sums: Moments::default(),
                            // Each payer's cashable perspective follows its perspective on all care costs.
                            twin: (cashable && cashable_is_care).then(|| i - 1),
                        })
                        .collect()
                });
                let saved = vec![Vec::new(); savings_by.len()];
                let spend_by = payers.as_ref().map_or_else(Vec::new, |p| {
                    perspectives(p)
                        .map(|payer| SpendSums {
                            payer,
                            sums: Moments::default(),
                            arms_spend: false,
                            pairs: vec![PairSums::default(); savings_by.len()],
                        })
                        .collect()
                });
                ComparisonSums {
                    arm,
                    comparator,
                    delta_cost: Moments::default(),
                    net: Moments::default(),
                    delta_outcomes: vec![Moments::default(); n_out],
                    net_by_payer: vec![Moments::default(); payers.as_ref().map_or(0, Payers::len)],
                    spend: Moments::default(),
                    savings: Moments::default(),
                    ratios: Moments::default(),
                    inmb: table.primary.map(|_| Moments::default()),
                    savings_by,
                    spend_by,
                    payback: table.payback.as_ref().map(|p| (vec![0; p.horizon], 0)),
                    saved,
                }
            })
            .collect();
        let lambdas = table.primary.map(|_| {
            (options.wtp.iter())
                .map(|&lambda| LambdaSums::new(lambda, table.arms.len()))
                .collect()
        });
        AnalysisSums {
            arms: table.arms.clone(),
            labels: table.labels.clone(),
            outcomes: table.outcomes.clone(),
            primary: table.primary,
            payers,
            options: options.clone(),
            iterations: 0,
            arm_sums,
            comparisons,
            lambdas,
        }
    }

    /// Adds the iterations of `block`, the next of the run's in order. A block other than the last has a multiple of
    /// [`STATS_CHUNK`] iterations. The independent sums are fed in parallel; each is fed in iteration order, so the
    /// bits do not depend on threads.
    pub fn feed(&mut self, block: &PsaTable) {
        let n = block.iterations();
        let arms = self.arm_sums.iter_mut().flat_map(ArmSums::series_mut);
        arms.chain(self.comparisons.iter_mut().flat_map(ComparisonSums::series_mut))
            .for_each(|m| m.reserve_sample(n));
        let primary = self.primary;
        let outcomes = &self.outcomes;
        let threshold = self.options.threshold;
        let (arm_sums, comparisons, lambdas) = (&mut self.arm_sums, &mut self.comparisons, &mut self.lambdas);
        rayon::join(
            || (arm_sums.par_iter_mut().enumerate()).for_each(|(a, sums)| feed_arm(sums, block, a)),
            || {
                rayon::join(
                    || {
                        (comparisons.par_iter_mut())
                            .for_each(|c| feed_comparison(c, block, outcomes, primary, threshold))
                    },
                    || {
                        if let (Some(o), Some(lambdas)) = (primary, lambdas.as_mut()) {
                            feed_lambdas(lambdas, block.cost.view(), block.effect(o).view());
                        }
                    },
                )
            },
        );
        self.iterations += block.iterations();
    }
}

impl ArmSums {
    /// Every series of the arm.
    fn series_mut(&mut self) -> impl Iterator<Item = &mut Moments> {
        [&mut self.cost, &mut self.spend, &mut self.care]
            .into_iter()
            .chain(&mut self.cost_by_payer)
            .chain(&mut self.outcomes)
    }
}

impl ComparisonSums {
    /// Every series of the comparison that keeps values (a perspective with a twin keeps none).
    fn series_mut(&mut self) -> impl Iterator<Item = &mut Moments> {
        let twins: Vec<bool> = self.savings_by.iter().map(|v| v.twin.is_some()).collect();
        let own = [
            &mut self.delta_cost,
            &mut self.net,
            &mut self.spend,
            &mut self.savings,
            &mut self.ratios,
        ];
        let pairs = (self.spend_by.iter_mut()).flat_map(move |sp| {
            let pairs = sp.pairs.iter_mut().zip(twins.clone()).filter(|(_, twin)| !twin);
            std::iter::once(&mut sp.sums).chain(pairs.flat_map(|(p, _)| [&mut p.net_benefit, &mut p.ratios]))
        });
        let savings = (self.savings_by.iter_mut())
            .filter(|v| v.twin.is_none())
            .map(|v| &mut v.sums);
        own.into_iter()
            .chain(&mut self.delta_outcomes)
            .chain(&mut self.net_by_payer)
            .chain(&mut self.inmb)
            .chain(savings)
            .chain(pairs)
    }
}

/// The row ranges of `n` iterations in chunks of [`STATS_CHUNK`].
fn chunks(n: usize) -> impl Iterator<Item = Range<usize>> {
    (0..n).step_by(STATS_CHUNK).map(move |s| s..(s + STATS_CHUNK).min(n))
}

fn feed_arm(sums: &mut ArmSums, block: &PsaTable, a: usize) {
    for rows in chunks(block.iterations()) {
        sums.cost.add(&series(block.cost.column(a), rows.clone()));
        for (o, m) in sums.outcomes.iter_mut().enumerate() {
            m.add(&series_of(&block.outcome_values, a, o, rows.clone()));
        }
        if let Some(p) = &block.payers {
            sums.spend.add(&p.spend_by(a, None, rows.clone()));
            sums.care.add(&p.care_by(a, None, false, rows.clone()));
            for (payer, m) in p.payers.all().zip(&mut sums.cost_by_payer) {
                let k = payer.index();
                let spend = series_of(&p.spend, a, k, rows.clone());
                let care = series_of(&p.care, a, k, rows.clone());
                let values: Vec<f64> = spend.iter().zip(care.iter()).map(|(s, c)| s + c).collect();
                m.add(&values);
            }
        }
    }
}

fn feed_comparison(
    s: &mut ComparisonSums,
    block: &PsaTable,
    outcomes: &[OutcomeInfo],
    primary: Option<usize>,
    lambda: f64,
) {
    // Each savings perspective's values for the whole block, made once: every spend perspective reads them all.
    let arms = (s.arm, s.comparator);
    let mut saved_by = std::mem::take(&mut s.saved);
    if let Some(p) = &block.payers {
        (s.savings_by.par_iter().zip(&mut saved_by))
            .filter(|(v, _)| v.twin.is_none())
            .for_each(|(v, out)| saved_into(p, v.payer, v.cashable, arms, block.iterations(), out));
    }
    // Each spend perspective (with its savings perspectives: most of a comparison's sums) on a task of its own. A
    // payer the model gives no spend has none in any iteration: its perspective is left out of the returns on
    // investment (`arms_spend` stays false), so its sums, half of all of them where two of four perspectives spend,
    // are not kept.
    let mut spend_by = std::mem::take(&mut s.spend_by);
    let has_twin: Vec<bool> = s.savings_by.iter().map(|v| v.twin.is_some()).collect();
    rayon::join(
        || feed_comparison_own(s, block, &saved_by, outcomes, primary, lambda),
        || {
            if let Some(p) = &block.payers {
                (spend_by.par_iter_mut())
                    .filter(|sp| sp.payer.is_none_or(|q| p.may_spend[q.index()]))
                    .for_each(|sp| feed_spend(sp, &has_twin, &saved_by, p, arms, block));
            }
        },
    );
    s.spend_by = spend_by;
    s.saved = saved_by;
}

/// The comparison's sums other than those by spend perspective.
fn feed_comparison_own(
    s: &mut ComparisonSums,
    block: &PsaTable,
    saved_by: &[Vec<f64>],
    outcomes: &[OutcomeInfo],
    primary: Option<usize>,
    lambda: f64,
) {
    let (a, c) = (s.arm, s.comparator);
    for rows in chunks(block.iterations()) {
        let cost_a = series(block.cost.column(a), rows.clone());
        let cost_c = series(block.cost.column(c), rows.clone());
        let delta_cost = difference(&cost_a, &cost_c);
        s.delta_cost.add(&delta_cost);
        s.net.add(&difference(&cost_c, &cost_a));
        // Gains: arm − comparator of the oriented amounts, which is comparator − arm where less is better.
        let delta_outcomes: Vec<Vec<f64>> = (outcomes.iter().enumerate())
            .map(|(o, info)| {
                let value_a = series_of(&block.outcome_values, a, o, rows.clone());
                let value_c = series_of(&block.outcome_values, c, o, rows.clone());
                (value_a.iter().zip(value_c.iter()))
                    .map(|(&va, &vc)| info.better.orient(va) - info.better.orient(vc))
                    .collect()
            })
            .collect();
        for (m, d) in s.delta_outcomes.iter_mut().zip(&delta_outcomes) {
            m.add(d);
        }
        if let (Some(o), Some(inmb)) = (primary, s.inmb.as_mut()) {
            let values: Vec<f64> = (delta_outcomes[o].iter().zip(&delta_cost))
                .map(|(de, dc)| lambda * de - dc)
                .collect();
            inmb.add(&values);
        }
        if let Some(p) = &block.payers {
            feed_payers(s, p, saved_by, rows.clone());
        }
        if let (Some((counts, never)), Some(years)) = (s.payback.as_mut(), block.payback.as_ref()) {
            for i in rows.clone() {
                match years.year[[i, a]] {
                    Some(y) => counts[usize::from(y) - 1] += 1,
                    None => *never += 1,
                }
            }
        }
    }
}

/// The comparison's sums by payer for one chunk of rows: net savings by payer, spend and savings of all payers, and
/// every return-on-investment perspective.
fn feed_payers(s: &mut ComparisonSums, p: &PayerCosts, saved_by: &[Vec<f64>], rows: Range<usize>) {
    let (a, c) = (s.arm, s.comparator);
    for (payer, m) in p.payers.all().zip(&mut s.net_by_payer) {
        let k = payer.index();
        let of = |values, arm| series_of(values, arm, k, rows.clone());
        let (spend_c, care_c, spend_a, care_a) = (of(&p.spend, c), of(&p.care, c), of(&p.spend, a), of(&p.care, a));
        let values: Vec<f64> = (spend_c.iter().zip(care_c.iter()))
            .zip(spend_a.iter().zip(care_a.iter()))
            .map(|((sc, cc), (sa, ca))| (sc + cc) - (sa + ca))
            .collect();
        m.add(&values);
    }
    let spend = difference(&p.spend_by(a, None, rows.clone()), &p.spend_by(c, None, rows.clone()));
    let savings = difference(
        &p.care_by(c, None, false, rows.clone()),
        &p.care_by(a, None, false, rows.clone()),
    );
    s.spend.add(&spend);
    s.savings.add(&savings);
    s.ratios.add(&ratios_where_spent(&savings, &spend));
    for (v, saved) in s.savings_by.iter_mut().zip(saved_by) {
        if v.twin.is_none() {
            v.sums.add(&saved[rows.clone()]);
        }
    }
}

/// Savings of `payer` (or all) of comparator over arm (`arms`, on all care costs or their cashable part) in the first
/// `n` iterations, into `out`, a chunk of iterations at a time.
fn saved_into(
    p: &PayerCosts,
    payer: Option<Payer>,
    cashable: bool,
    (a, c): (usize, usize),
    n: usize,
    out: &mut Vec<f64>,
) {
    out.clear();
    for rows in chunks(n) {
        let (care_c, care_a) = (
            p.care_by(c, payer, cashable, rows.clone()),
            p.care_by(a, payer, cashable, rows),
        );
        out.extend(care_c.iter().zip(care_a.iter()).map(|(c, a)| c - a));
    }
}

/// One spend perspective's sums: its spend, and net benefit and ratios against each savings perspective (`saved_by`:
/// their values for the block) but those with a twin (`has_twin`).
fn feed_spend(
    sp: &mut SpendSums,
    has_twin: &[bool],
    saved_by: &[Vec<f64>],
    p: &PayerCosts,
    (a, c): (usize, usize),
    block: &PsaTable,
) {
    for rows in chunks(block.iterations()) {
        let (spend_a, spend_c) = (
            p.spend_by(a, sp.payer, rows.clone()),
            p.spend_by(c, sp.payer, rows.clone()),
        );
        sp.arms_spend |= spend_a.iter().chain(spend_c.iter()).any(|v| *v != 0.0);
        let spend = difference(&spend_a, &spend_c);
        sp.sums.add(&spend);
        // The iterations with spend, found once for every savings perspective; and one buffer for each series of a
        // pair, reused across the pairs (with a fresh one for each, and each payer's series copied rather than
        // borrowed, the running sums took 1.10-1.17 times as long).
        let spent = where_spent(&spend);
        let (mut net, mut ratios) = (Vec::with_capacity(spend.len()), Vec::with_capacity(spent.len()));
        for ((pair, saved), _) in (sp.pairs.iter_mut().zip(saved_by).zip(has_twin)).filter(|(_, twin)| !**twin) {
            let saved = &saved[rows.clone()];
            difference_into(saved, &spend, &mut net);
            pair.net_benefit.add(&net);
            ratios_over(saved, &spent, &mut ratios);
            pair.ratios.add(&ratios);
            pair.ratio_se.add(saved, &spend);
        }
    }
}

/// The ratio rule's verdict on a spend from its running statistics, against mean savings of everything.
pub(super) fn verdict(spend: &Moments, mean_savings: f64) -> Result<(), NoRatio> {
    ratio_verdict(spend.count(), spend.sum(), spend.count_positive(), mean_savings)
}
