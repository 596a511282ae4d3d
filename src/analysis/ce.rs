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

/// Thresholds updated side by side in one task of [`feed_lambdas`].
const LAMBDA_LANES: usize = 8;

/// Adds the iterations of `[iteration, arm]` costs and effects (the next of a run's, in order) to the sums at every
/// λ: eight λs per task, each λ's sums added over iterations in index order, so results do not depend on
/// threads or on which λs share a task.
pub fn feed_lambdas(lambdas: &mut [LambdaSums], cost: ArrayView2<f64>, effect: ArrayView2<f64>) {
    (lambdas.par_chunks_mut(LAMBDA_LANES)).for_each(|group| feed_lambda_lanes(group, cost, effect));
}

/// [`feed_lambdas`] for up to [`LAMBDA_LANES`] λs: each iteration updates every λ of the group at once, so that the
/// additions, which depend on the one before only within a λ, run side by side (a λ at a time, each waits on the
/// last). Lanes past the group's λs compute at λ = 0 and are dropped.
fn feed_lambda_lanes(group: &mut [LambdaSums], cost: ArrayView2<f64>, effect: ArrayView2<f64>) {
    const L: usize = LAMBDA_LANES;
    let arms = cost.ncols();
    let (mut lambda, mut sum_max) = ([0.0f64; L], [0.0f64; L]);
    let (mut sum_nmb, mut wins) = (vec![[0.0f64; L]; arms], vec![[0usize; L]; arms]);
    for (l, s) in group.iter().enumerate() {
        (lambda[l], sum_max[l]) = (s.lambda, s.sum_max);
        for a in 0..arms {
            (sum_nmb[a][l], wins[a][l]) = (s.sum_nmb[a], s.wins[a]);
        }
    }
    add_lambda_rows(&lambda, cost, effect, (&mut sum_nmb, &mut wins, &mut sum_max));
    for (l, s) in group.iter_mut().enumerate() {
        s.sum_max = sum_max[l];
        for a in 0..arms {
            (s.sum_nmb[a], s.wins[a]) = (sum_nmb[a][l], wins[a][l]);
        }
    }
}

/// Per-arm NMB sums, per-arm wins and the sum of the highest NMB, each by lane.
type LaneSums<'a> = (
    &'a mut [[f64; LAMBDA_LANES]],
    &'a mut [[usize; LAMBDA_LANES]],
    &'a mut [f64; LAMBDA_LANES],
);

/// The loop of [`feed_lambda_lanes`] over iterations; on CPUs with AVX2 its lanes run four at a time, with AVX-512
/// eight (the same bits: Rust never fuses a multiply and an add). Two to four arms are counted in local arrays the
/// compiler keeps in registers (through the slices, each iteration's sums went to memory and back: a store-to-load
/// wait on every addition).
#[multiversion::multiversion(targets("x86_64+avx512f", "x86_64+avx2"))]
fn add_lambda_rows(lambda: &[f64; LAMBDA_LANES], cost: ArrayView2<f64>, effect: ArrayView2<f64>, sums: LaneSums) {
    match cost.ncols() {
        2 => add_lambda_rows_of::<2>(lambda, cost, effect, sums),
        3 => add_lambda_rows_of::<3>(lambda, cost, effect, sums),
        4 => add_lambda_rows_of::<4>(lambda, cost, effect, sums),
        _ => add_lambda_rows_any(lambda, cost, effect, sums),
    }
}

/// [`add_lambda_rows`] for `A` arms: the sums copied into local arrays for the loop.
#[inline(always)]
fn add_lambda_rows_of<const A: usize>(
    lambda: &[f64; LAMBDA_LANES],
    cost: ArrayView2<f64>,
    effect: ArrayView2<f64>,
    (sum_nmb, wins, sum_max): LaneSums,
) {
    const L: usize = LAMBDA_LANES;
    let (mut nmb_sums, mut win_counts, mut max_sum) = ([[0.0f64; L]; A], [[0usize; L]; A], *sum_max);
    nmb_sums.copy_from_slice(sum_nmb);
    win_counts.copy_from_slice(wins);
    add_lambda_rows_any(lambda, cost, effect, (&mut nmb_sums, &mut win_counts, &mut max_sum));
    sum_nmb.copy_from_slice(&nmb_sums);
    wins.copy_from_slice(&win_counts);
    *sum_max = max_sum;
}

/// [`add_lambda_rows`] for any number of arms, its sums where they are.
#[inline(always)]
fn add_lambda_rows_any(
    lambda: &[f64; LAMBDA_LANES],
    cost: ArrayView2<f64>,
    effect: ArrayView2<f64>,
    (sum_nmb, wins, sum_max): LaneSums,
) {
    const L: usize = LAMBDA_LANES;
    for (cost, effect) in cost.outer_iter().zip(effect.outer_iter()) {
        let (mut best_nmb, mut best) = ([f64::NEG_INFINITY; L], [0usize; L]);
        for (a, sums) in sum_nmb.iter_mut().enumerate() {
            let (c, e) = (cost[a], effect[a]);
            for l in 0..L {
                let nmb = lambda[l] * e - c;
                sums[l] += nmb;
                // The first arm with the highest NMB wins, as a strict comparison in arm order gives.
                let better = nmb > best_nmb[l];
                best_nmb[l] = if better { nmb } else { best_nmb[l] };
                best[l] = if better { a } else { best[l] };
            }
        }
        for l in 0..L {
            sum_max[l] += best_nmb[l];
        }
        for (a, wins) in wins.iter_mut().enumerate() {
            for l in 0..L {
                wins[l] += usize::from(best[l] == a);
            }
        }
    }
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

    #[test]
    fn thresholds_side_by_side_add_as_one_threshold_at_a_time_does() {
        // 3 arms, 1,000 iterations in two blocks, 21 thresholds (two full groups of eight and part of a third), ties
        // included: against the sums written out one threshold and one iteration at a time.
        let n = 1000;
        let cost = ndarray::Array2::from_shape_fn((n, 3), |(i, a)| ((i * 37 + a * 101) % 89) as f64 * 13.7);
        let effect = ndarray::Array2::from_shape_fn((n, 3), |(i, a)| ((i * 53 + a * 7) % 31) as f64 * 0.013);
        let lambda: Vec<f64> = (0..21).map(|l| l as f64 * 2500.0).collect();
        let mut sums: Vec<LambdaSums> = lambda.iter().map(|&l| LambdaSums::new(l, 3)).collect();
        feed_lambdas(
            &mut sums,
            cost.slice(ndarray::s![..400, ..]),
            effect.slice(ndarray::s![..400, ..]),
        );
        feed_lambdas(
            &mut sums,
            cost.slice(ndarray::s![400.., ..]),
            effect.slice(ndarray::s![400.., ..]),
        );
        for (s, &l) in sums.iter().zip(&lambda) {
            let (mut wins, mut sum_nmb, mut sum_max) = (vec![0usize; 3], vec![0.0f64; 3], 0.0f64);
            for i in 0..n {
                let nmb: Vec<f64> = (0..3).map(|a| l * effect[[i, a]] - cost[[i, a]]).collect();
                let best = (1..3).fold(0, |b, a| if nmb[a] > nmb[b] { a } else { b });
                wins[best] += 1;
                sum_max += nmb[best];
                for a in 0..3 {
                    sum_nmb[a] += nmb[a];
                }
            }
            assert_eq!(s.wins, wins, "λ = {l}");
            assert_eq!(s.sum_max.to_bits(), sum_max.to_bits(), "λ = {l}");
            assert_eq!(s.sum_nmb, sum_nmb, "λ = {l}");
        }
    }
}
