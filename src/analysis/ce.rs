//! Cost-effectiveness under uncertainty: net monetary benefit, acceptability curves and frontier (CEAC, CEAF), and the
//! expected value of perfect information (EVPI), over a willingness-to-pay grid.
//!
//! Definitions (DESIGN.md): NMB(λ) = λ·E − C per arm and iteration; CEAC(λ) = share of iterations in which an arm
//! has the highest NMB; the frontier arm at λ is the one with the highest mean NMB and CEAF(λ) is its CEAC;
//! EVPI(λ) = E\[max over arms of NMB\] − max over arms of E\[NMB\]. Ties go to the lowest-numbered arm (the comparator
//! first), so an intervention identical to usual care is never counted as better.

use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::Serialize;

/// CEAC, frontier and EVPI over the willingness-to-pay grid.
#[derive(Debug, Clone, Serialize)]
pub struct Acceptability {
    pub lambda: Vec<f64>,
    /// `probability[l][a]`: share of iterations in which arm `a` has the highest NMB at `lambda[l]`.
    pub probability: Vec<Vec<f64>>,
    /// Mean NMB of each arm at each λ.
    pub mean_nmb: Vec<Vec<f64>>,
    /// The arm with the highest mean NMB at each λ (the acceptability frontier).
    pub frontier: Vec<usize>,
    /// CEAF: the CEAC of the frontier arm.
    pub ceaf: Vec<f64>,
    /// EVPI per person at each λ.
    pub evpi: Vec<f64>,
}

impl Acceptability {
    /// The Monte Carlo standard error of `probability[l][a]` from `iterations` iterations: √(p(1 − p)/n).
    pub fn probability_se(&self, l: usize, a: usize, iterations: usize) -> f64 {
        let p = self.probability[l][a];
        (p * (1.0 - p) / iterations as f64).sqrt()
    }

    /// INMB(λ) of arm `a` against `comparator`: the difference of their mean NMBs at `lambda[l]`.
    pub fn inmb(&self, l: usize, a: usize, comparator: usize) -> f64 {
        self.mean_nmb[l][a] - self.mean_nmb[l][comparator]
    }
}

/// Computes CEAC, CEAF and EVPI for `[iteration, arm]` costs and effects.
pub fn acceptability(cost: ArrayView2<f64>, effect: ArrayView2<f64>, lambda: &[f64]) -> Acceptability {
    let mut sums: Vec<LambdaSums> = lambda.iter().map(|&l| LambdaSums::new(l, cost.ncols())).collect();
    feed_lambdas(&mut sums, cost, effect);
    acceptability_of(&sums, cost.nrows())
}

/// At one threshold λ, running over iterations: the wins of each arm (highest NMB), the sum of each arm's NMB and
/// the sum of the highest NMB.
#[derive(Debug, Clone)]
pub struct LambdaSums {
    pub lambda: f64,
    pub wins: Vec<usize>,
    pub sum_nmb: Vec<f64>,
    pub sum_max: f64,
}

impl LambdaSums {
    /// Empty sums at `lambda` for `arms` arms.
    pub fn new(lambda: f64, arms: usize) -> Self {
        LambdaSums {
            lambda,
            wins: vec![0; arms],
            sum_nmb: vec![0.0; arms],
            sum_max: 0.0,
        }
    }
}

/// Adds the iterations of `[iteration, arm]` costs and effects (the next of a run's, in order) to the sums at every
/// λ: one λ per task, each summing over iterations in index order, so results do not depend on threads.
pub fn feed_lambdas(lambdas: &mut [LambdaSums], cost: ArrayView2<f64>, effect: ArrayView2<f64>) {
    lambdas.par_iter_mut().for_each(|s| {
        let l = s.lambda;
        for (cost, effect) in cost.outer_iter().zip(effect.outer_iter()) {
            let mut best = 0;
            let mut best_nmb = f64::NEG_INFINITY;
            for (a, sum) in s.sum_nmb.iter_mut().enumerate() {
                let nmb = l * effect[a] - cost[a];
                *sum += nmb;
                if nmb > best_nmb {
                    best_nmb = nmb;
                    best = a;
                }
            }
            s.wins[best] += 1;
            s.sum_max += best_nmb;
        }
    });
}

/// CEAC, frontier and EVPI from the sums at every λ over `n` iterations.
pub fn acceptability_of(lambdas: &[LambdaSums], n: usize) -> Acceptability {
    let mut out = Acceptability {
        lambda: lambdas.iter().map(|s| s.lambda).collect(),
        probability: Vec::new(),
        mean_nmb: Vec::new(),
        frontier: Vec::new(),
        ceaf: Vec::new(),
        evpi: Vec::new(),
    };
    for s in lambdas {
        let probability: Vec<f64> = s.wins.iter().map(|&w| w as f64 / n as f64).collect();
        let mean_nmb: Vec<f64> = s.sum_nmb.iter().map(|v| v / n as f64).collect();
        let best_mean = mean_nmb.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        // Clamp the rounding error of two nearly equal means: EVPI is never negative.
        out.evpi.push((s.sum_max / n as f64 - best_mean).max(0.0));
        let frontier = argmax_first(&mean_nmb);
        out.ceaf.push(probability[frontier]);
        out.frontier.push(frontier);
        out.probability.push(probability);
        out.mean_nmb.push(mean_nmb);
    }
    out
}

/// Index of the largest value, the first one on ties.
fn argmax_first(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn hand_made_sample_two_arms() {
        // Four iterations, arm 0 = usual care, arm 1 = intervention. At λ = 10:
        // NMB0 = 10·E0 − C0 = [0−0, 0−0, 0−0, 0−0] = 0 everywhere.
        // NMB1 = 10·[1, 2, 0, 1] − [5, 30, 2, 5] = [5, −10, −2, 5].
        // CEAC: arm 1 wins iterations 0 and 3 → 0.5; arm 0 wins 1 and 2 → 0.5.
        // Mean NMB: arm 0 = 0, arm 1 = (5 − 10 − 2 + 5)/4 = −0.5 → frontier arm 0, CEAF = 0.5.
        // EVPI = mean(max) − max(mean) = (5 + 0 + 0 + 5)/4 − 0 = 2.5.
        let cost = array![[0.0, 5.0], [0.0, 30.0], [0.0, 2.0], [0.0, 5.0]];
        let effect = array![[0.0, 1.0], [0.0, 2.0], [0.0, 0.0], [0.0, 1.0]];
        let a = acceptability(cost.view(), effect.view(), &[0.0, 10.0, 100.0]);
        assert_eq!(a.probability[1], vec![0.5, 0.5]);
        assert_eq!(a.mean_nmb[1], vec![0.0, -0.5]);
        assert_eq!(a.frontier[1], 0);
        assert_eq!(a.ceaf[1], 0.5);
        assert!((a.evpi[1] - 2.5).abs() < 1e-12);
        // λ = 0: NMB = −C, usual care (cost 0) wins every iteration (ties on iteration... none), EVPI 0.
        assert_eq!(a.probability[0], vec![1.0, 0.0]);
        assert_eq!(a.evpi[0], 0.0);
        // λ = 100: NMB1 = [95, 170, −2, 95] → arm 1 wins 3 of 4; mean NMB1 = 89.5; EVPI = (95+170+0+95)/4 − 89.5 = 0.5.
        assert_eq!(a.probability[2], vec![0.25, 0.75]);
        assert_eq!(a.frontier[2], 1);
        assert!((a.evpi[2] - 0.5).abs() < 1e-12);
    }

    #[test]
    fn three_arms_ceac_sums_to_one_and_dominance_means_zero_evpi() {
        // Arm 2 is cheaper and better than both others in every iteration: it wins everywhere and EVPI is 0.
        let cost = array![[10.0, 12.0, 5.0], [11.0, 9.0, 4.0], [9.0, 20.0, 1.0]];
        let effect = array![[1.0, 1.5, 2.0], [1.0, 1.1, 1.2], [0.5, 0.4, 0.9]];
        let lambda: Vec<f64> = (0..20).map(|i| i as f64 * 5.0).collect();
        let a = acceptability(cost.view(), effect.view(), &lambda);
        for (l, probs) in a.probability.iter().enumerate() {
            assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12, "λ index {l}");
            assert_eq!(probs[2], 1.0);
            assert_eq!(a.evpi[l], 0.0);
            assert_eq!(a.frontier[l], 2);
        }
    }

    #[test]
    fn ties_go_to_the_comparator() {
        let cost = array![[1.0, 1.0]];
        let effect = array![[1.0, 1.0]];
        let a = acceptability(cost.view(), effect.view(), &[5.0]);
        assert_eq!(a.probability[0], vec![1.0, 0.0]);
        assert_eq!(a.frontier[0], 0);
    }
}

/// One row of a fully incremental analysis across all arms (the efficiency frontier).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontierRow {
    pub arm: usize,
    pub mean_cost: f64,
    pub mean_effect: f64,
    /// `frontier`, `dominated` (another arm costs less and is more effective) or `extendedly_dominated` (a mix of
    /// two other arms is cheaper per unit of effect).
    pub status: String,
    /// ICER against the previous arm on the frontier (None for the first frontier arm and dominated arms).
    pub icer: Option<f64>,
}

/// Fully incremental cost-effectiveness analysis of mean costs and effects: arms sorted by cost, strongly and
/// extendedly dominated arms removed, ICERs between successive arms on the frontier (the NICE and dampack convention).
pub fn incremental_analysis(mean_cost: &[f64], mean_effect: &[f64]) -> Vec<FrontierRow> {
    let mut order: Vec<usize> = (0..mean_cost.len()).collect();
    // By cost, then by effect descending, so that of two equally costly arms the better one comes first.
    order.sort_by(|&a, &b| {
        mean_cost[a]
            .total_cmp(&mean_cost[b])
            .then(mean_effect[b].total_cmp(&mean_effect[a]))
    });
    let mut status: Vec<&str> = vec!["frontier"; mean_cost.len()];
    // Strong dominance: an arm no more effective than a cheaper (or equally costly, earlier) arm.
    let mut best_effect = f64::NEG_INFINITY;
    for &a in &order {
        if mean_effect[a] <= best_effect {
            status[a] = "dominated";
        } else {
            best_effect = mean_effect[a];
        }
    }
    // Extended dominance: repeat until the ICERs along the frontier increase.
    loop {
        let frontier: Vec<usize> = order.iter().copied().filter(|&a| status[a] == "frontier").collect();
        let icers: Vec<f64> = frontier
            .windows(2)
            .map(|w| (mean_cost[w[1]] - mean_cost[w[0]]) / (mean_effect[w[1]] - mean_effect[w[0]]))
            .collect();
        match icers.windows(2).position(|w| w[1] < w[0]) {
            Some(i) => status[frontier[i + 1]] = "extendedly_dominated",
            None => break,
        }
    }
    let mut rows = Vec::new();
    let mut previous: Option<usize> = None;
    for &a in &order {
        let icer = if status[a] == "frontier" {
            let icer = previous.map(|p| (mean_cost[a] - mean_cost[p]) / (mean_effect[a] - mean_effect[p]));
            previous = Some(a);
            icer
        } else {
            None
        };
        rows.push(FrontierRow {
            arm: a,
            mean_cost: mean_cost[a],
            mean_effect: mean_effect[a],
            status: status[a].to_string(),
            icer,
        });
    }
    rows
}

#[cfg(test)]
mod frontier_tests {
    use super::*;

    #[test]
    fn dominance_and_extended_dominance_by_hand() {
        // Arms (cost, effect): A (0, 0), B (100, 1), C (150, 0.5), D (400, 2), E (1000, 4).
        // C costs more than B and is less effective: dominated.
        // Frontier A→B→D→E: ICERs 100, 300, 300 — increasing (not strictly decreasing), so all stay.
        // Arm F (250, 1.2): ICER B→F = 750, F→D = 187.5 < 750 → F is extendedly dominated.
        let cost = [0.0, 100.0, 150.0, 400.0, 1000.0, 250.0];
        let effect = [0.0, 1.0, 0.5, 2.0, 4.0, 1.2];
        let rows = incremental_analysis(&cost, &effect);
        let status = |arm: usize| rows.iter().find(|r| r.arm == arm).unwrap().status.clone();
        let icer = |arm: usize| rows.iter().find(|r| r.arm == arm).unwrap().icer;
        assert_eq!(status(2), "dominated");
        assert_eq!(status(5), "extendedly_dominated");
        assert_eq!(icer(0), None);
        assert_eq!(icer(1), Some(100.0));
        assert_eq!(icer(3), Some(300.0));
        assert_eq!(icer(4), Some(300.0));
        // Rows come in order of cost.
        let order: Vec<usize> = rows.iter().map(|r| r.arm).collect();
        assert_eq!(order, vec![0, 1, 2, 5, 3, 4]);
    }
}
