//! Correlated sampling: marginals reached from normal scores (against the quantile function and the CDF in both
//! tails), the Cholesky factor against hand-worked matrices, refused matrices with the entry they name, and the
//! correlation of the normals drawn.
use super::special::{beta_reg, beta_reg_known, normal_tails, Logs};
use super::*;
use statrs::function::gamma::{checked_gamma_lr, checked_gamma_ur};

/// Beta shapes (α, β) from tiny to large, skewed either way, and the uniform.
const BETAS: [(f64, f64); 7] = [
    (153.27, 48.40),
    (2.0, 8.0),
    (0.5, 3.0),
    (5000.0, 20000.0),
    (0.01, 5.0),
    (3.0, 0.02),
    (1.0, 1.0),
];

/// Normal scores from −8 to 8, the range every draw of a run lies in (a draw beyond ±8 has probability 1e-15).
fn scores() -> impl Iterator<Item = f64> {
    (0..=320).map(|i| -8.0 + 0.05 * i as f64)
}

#[test]
fn a_marginal_reached_from_a_normal_score_has_that_scores_tail_probability() {
    // The defining property, checked with the CDF in the tail the score lies in, so that an upper-tail
    // probability of 6e-16 (z = 8) is checked to its own relative precision, not as 1 − 6e-16.
    let gammas = [
        (4.0, 250.0),
        (30.0, 1.0),
        (0.4, 1.0),
        (0.01, 5.0),
        (1.0, 2.0),
        (2.5e6, 1e-3),
    ];
    for (shape, scale) in gammas {
        let m = Distribution::gamma(shape, scale).unwrap().marginal();
        for z in scores() {
            let x = m.at_normal_score(z) / scale;
            let (p, q) = normal_tails(z);
            if x == 0.0 {
                // Correct only where the true quantile is below the smallest normal double.
                assert!(
                    checked_gamma_lr(shape, f64::MIN_POSITIVE).unwrap() >= p,
                    "Gamma({shape}) at z = {z}: 0"
                );
                continue;
            }
            let (got, want) = if z > 0.0 {
                (checked_gamma_ur(shape, x).unwrap(), q)
            } else {
                (checked_gamma_lr(shape, x).unwrap(), p)
            };
            // A relative error ε in x moves the tail probability by κε, κ = x·density/tail: for a shape of 2.5
            // million at z = −8, κ ≈ 8·√shape ≈ 12,600, so x good to 1e-12 gives the tail to about 1e-8
            // (statrs' incomplete gamma is itself no better at such shapes, so allow ten times that).
            let ln_density = (shape - 1.0) * x.ln() - x - statrs::function::gamma::ln_gamma(shape);
            let kappa = (x.ln() + ln_density - want.ln()).exp();
            let tol = 1e-9 + 1e-11 * kappa;
            assert_rel(
                got,
                want,
                tol,
                &format!("Gamma({shape}, {scale}) at z = {z}: tail probability"),
            );
        }
    }
    for (a, b) in BETAS {
        let m = Distribution::beta(a, b).unwrap().marginal();
        for z in scores() {
            let x = m.at_normal_score(z);
            let (p, q) = normal_tails(z);
            if x == 0.0 {
                let smallest = f64::MIN_POSITIVE;
                assert!(beta_reg(a, b, smallest, 1.0) >= p, "Beta({a}, {b}) at z = {z}: 0");
                continue;
            }
            let (got, want) = if z > 0.0 {
                (beta_reg(b, a, 1.0 - x, x), q)
            } else {
                (beta_reg(a, b, x, 1.0 - x), p)
            };
            // Near 1 a value is only as fine as the spacing of doubles there (1.1e-16): its tail probability can
            // be no more precise than the density times that spacing.
            let ln_density = (a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln() - statrs::function::beta::ln_beta(a, b);
            let tol = 1e-9 + ln_density.exp() * 2.3e-16 / want;
            assert_rel(got, want, tol, &format!("Beta({a}, {b}) at z = {z}: tail probability"));
        }
    }
}

#[test]
fn a_marginal_reached_from_a_normal_score_matches_the_quantile_function() {
    let families = [
        Distribution::beta(153.27, 48.40).unwrap(),
        Distribution::beta(0.5, 3.0).unwrap(),
        Distribution::gamma(4.0, 250.0).unwrap(),
        Distribution::gamma(0.4, 1.0).unwrap(),
        Distribution::gamma(2.5e6, 1e-3).unwrap(),
        Distribution::uniform(2.0, 5.0).unwrap(),
        Distribution::triangular(0.0, 1.0, 4.0).unwrap(),
        Distribution::pert(50.0, 80.0, 200.0, 4.0).unwrap(),
        Distribution::normal(10.0, 3.0).unwrap(),
        Distribution::lognormal(-0.2, 0.3).unwrap(),
    ];
    for d in families {
        let m = d.marginal();
        // Between the 0.003rd and 99.997th percentiles, where quantile(p) loses little to forming p (statrs' normal
        // quantile, which `quantile` uses, is itself good to about 1e-10 of the sd there).
        for i in 0..=80 {
            let z = -4.0 + 0.1 * i as f64;
            let p = normal_tails(z).0;
            let want = d.quantile(p);
            let tol = 1e-10 * (want.abs() + d.sd());
            assert_close(m.at_normal_score(z), want, tol, &format!("{d} at z = {z}"));
        }
    }
    // Normal and lognormal values are exact: mean + sd·z and exp(meanlog + sdlog·z).
    assert_eq!(
        Distribution::normal(10.0, 3.0).unwrap().marginal().at_normal_score(1.5),
        14.5
    );
    let l = Distribution::lognormal(-0.2, 0.3)
        .unwrap()
        .marginal()
        .at_normal_score(-2.0);
    assert_eq!(l, (-0.8f64).exp());
    assert_eq!(Distribution::fixed(7.0).unwrap().marginal().at_normal_score(3.0), 7.0);
}

#[test]
fn the_factor_of_hand_worked_matrices() {
    // 2 × 2: L = [[1, 0], [ρ, √(1 − ρ²)]].
    let f = CorrelationFactor::from_correlation(&[vec![1.0, -0.6], vec![-0.6, 1.0]], 2).unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(f.correlation(), vec![vec![1.0, -0.6], vec![-0.6, 1.0]]);
    // 3 × 3 by hand: L10 = 0.5, L11 = √0.75, L20 = 0.3, L21 = (0.2 − 0.15)/√0.75, L22 = √(1 − 0.09 − L21²).
    let m = vec![vec![1.0, 0.5, 0.3], vec![0.5, 1.0, 0.2], vec![0.3, 0.2, 1.0]];
    let f = CorrelationFactor::from_correlation(&m, 3).unwrap();
    let l21 = 0.05 / 0.75f64.sqrt();
    let want = [1.0, 0.5, 0.75f64.sqrt(), 0.3, l21, (1.0 - 0.09 - l21 * l21).sqrt()];
    let mut values = [0.0; 6];
    assert_eq!(f.correlation(), m);
    // And L itself: the same stream drawn as three independent normals e gives z = L·e.
    f.correlated_normals(&mut rng(5), &mut values, &[0, 3, 5]);
    let mut r = rng(5);
    let e: Vec<f64> = (0..3).map(|_| super::ziggurat::standard_normal(&mut r)).collect();
    let z = [
        want[0] * e[0],
        want[1] * e[0] + want[2] * e[1],
        want[3] * e[0] + want[4] * e[1] + want[5] * e[2],
    ];
    for (i, slot) in [0, 3, 5].into_iter().enumerate() {
        assert_close(values[slot], z[i], 1e-14, &format!("z[{i}]"));
    }
}

#[test]
fn correlated_normals_have_the_matrixs_correlations() {
    let m = vec![vec![1.0, 0.7, -0.4], vec![0.7, 1.0, -0.1], vec![-0.4, -0.1, 1.0]];
    let f = CorrelationFactor::from_correlation(&m, 3).unwrap();
    let mut r = rng(11);
    let n = 200_000;
    let mut xs = vec![[0.0; 3]; n];
    let mut values = [0.0; 5];
    for x in &mut xs {
        // Scattered slots, as a model's are.
        f.correlated_normals(&mut r, &mut values, &[4, 0, 2]);
        *x = [values[4], values[0], values[2]];
    }
    for i in 0..3 {
        let col: Vec<f64> = xs.iter().map(|x| x[i]).collect();
        check_moments(&col, 0.0, 1.0, &format!("z[{i}]"));
        for j in i + 1..3 {
            let c = xs.iter().map(|x| x[i] * x[j]).sum::<f64>() / n as f64;
            // The SE of a sample correlation of normals is (1 − ρ²)/√n.
            let se = (1.0 - m[i][j] * m[i][j]) / (n as f64).sqrt();
            assert_close(c, m[i][j], 5.0 * se, &format!("correlation of z[{i}] and z[{j}]"));
        }
    }
}

#[test]
fn invalid_matrices_are_refused_naming_the_entry() {
    let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
    let check = |m: Vec<Vec<f64>>, want: MatrixError, entry: Option<(usize, usize)>, words: &[&str]| {
        let e = CorrelationFactor::from_correlation(&m, 3).unwrap_err();
        assert_eq!(e, want);
        assert_eq!(e.entry(), entry);
        let message = e.message(&names, &m, false);
        for w in words {
            assert!(message.contains(w), "{message:?} should say {w:?}");
        }
    };
    let id = |i: usize, j: usize| if i == j { 1.0 } else { 0.0 };
    let with = |edits: &[(usize, usize, f64)]| {
        let mut m: Vec<Vec<f64>> = (0..3).map(|i| (0..3).map(|j| id(i, j)).collect()).collect();
        for &(i, j, v) in edits {
            m[i][j] = v;
        }
        m
    };
    check(
        with(&[(0, 2, 0.3), (2, 0, 0.4)]),
        MatrixError::Asymmetric { i: 0, j: 2 },
        Some((2, 0)),
        &["`a` and `c`", "0.3 in row 1", "0.4 in row 3"],
    );
    check(
        with(&[(1, 2, 1.2), (2, 1, 1.2)]),
        MatrixError::OutOfRange { i: 1, j: 2 },
        Some((1, 2)),
        &["`b` and `c`", "1.2", "between -1 and 1"],
    );
    check(
        with(&[(0, 1, -1.0), (1, 0, -1.0)]),
        MatrixError::Perfect { i: 0, j: 1 },
        Some((0, 1)),
        &["`a` and `b` are perfectly correlated"],
    );
    check(
        with(&[(1, 1, 0.9)]),
        MatrixError::Diagonal { i: 1 },
        Some((1, 1)),
        &["`b`", "0.9"],
    );
    // Each pair is possible on its own, the three together are not: det = 1 − 3·0.81 − 2·0.729 = −2.888.
    let m = with(&[
        (0, 1, 0.9),
        (1, 0, 0.9),
        (0, 2, -0.9),
        (2, 0, -0.9),
        (1, 2, 0.9),
        (2, 1, 0.9),
    ]);
    let e = CorrelationFactor::from_correlation(&m, 3).unwrap_err();
    let MatrixError::NotPositiveDefinite { k: 2, determinant } = e else {
        panic!("{e:?}")
    };
    assert_close(determinant, 1.0 - 3.0 * 0.81 - 2.0 * 0.729, 1e-12, "determinant");
    let message = e.message(&names, &m, false);
    assert!(message.contains("`a`, `b`, `c` are not positive definite"), "{message}");
    assert!(message.contains("-2.888"), "{message}");
    check(
        vec![vec![1.0, 0.0, 0.0], vec![0.0, 1.0]],
        MatrixError::Rows { rows: 2, n: 3 },
        None,
        &["2 rows", "3"],
    );
    check(
        vec![vec![1.0, 0.0, 0.0], vec![0.0, 1.0], vec![0.0, 0.0, 1.0]],
        MatrixError::Columns { row: 1, len: 2, n: 3 },
        Some((1, 0)),
        &["row 2", "`b`", "2 entries"],
    );
}

#[test]
fn a_covariance_matrix_gives_standard_deviations_and_correlations() {
    // sd = √4 = 2 and √9 = 3; ρ = 1.2/(2·3) = 0.2.
    let (sd, f) = CorrelationFactor::from_covariance(&[vec![4.0, 1.2], vec![1.2, 9.0]], 2).unwrap();
    assert_eq!(sd, vec![2.0, 3.0]);
    assert_close(f.correlation()[0][1], 0.2, 1e-15, "ρ");
    let names = vec!["b0".to_string(), "b1".to_string()];
    let m = vec![vec![4.0, 7.0], vec![7.0, 9.0]];
    let e = CorrelationFactor::from_covariance(&m, 2).unwrap_err();
    assert_eq!(e, MatrixError::OutOfRange { i: 0, j: 1 });
    assert!(e
        .message(&names, &m, true)
        .contains("product of their standard deviations (6)"));
    let m = vec![vec![0.0, 0.0], vec![0.0, 9.0]];
    let e = CorrelationFactor::from_covariance(&m, 2).unwrap_err();
    assert_eq!(e, MatrixError::Diagonal { i: 0 });
    assert!(e.message(&names, &m, true).contains("variance of `b0`"));
}

#[test]
fn eight_scores_at_once_reach_the_same_bits_as_one_at_a_time() {
    // Beta and PERT marginals solve eight roots together (their incomplete betas' fractions advancing term by term
    // in step); every lane must be what it is alone. Shapes from tiny (roots below e^-700, left to the bracketing
    // search) to huge (5000, 20000; and 3.36 with 7.8e7, which once made statrs loop forever), scores across both
    // tails, taken eight at a time from a shuffled order so that lanes settle after different numbers of steps and
    // lie on different sides of 1/2.
    let mut dists: Vec<Distribution> = (BETAS.iter())
        .chain(&[(15.0, 85.0), (3.36, 7.8e7)])
        .map(|&(a, b)| Distribution::beta(a, b).unwrap())
        .collect();
    dists.push(Distribution::pert(10.0, 12.0, 30.0, 4.0).unwrap());
    dists.push(Distribution::gamma(4.0, 250.0).unwrap());
    dists.push(Distribution::normal(10.0, 3.0).unwrap());
    let mut z: Vec<f64> = scores().chain([0.0, -0.0, 1e-300, -1e-12, 8.3, -8.3]).collect();
    // A fixed shuffle: a multiplicative step through the list, coprime with its length.
    let n = z.len();
    let step = (1..n).rev().find(|s| gcd(*s, n) == 1 && *s > n / 3).unwrap();
    z = (0..n).map(|i| z[(i * step) % n]).collect();
    for d in &dists {
        let m = d.marginal();
        for chunk in z.chunks(LANES) {
            let mut lanes = [0.0; LANES];
            lanes[..chunk.len()].copy_from_slice(chunk);
            let together = m.at_normal_scores(lanes);
            for (l, &zl) in lanes.iter().enumerate() {
                assert_eq!(
                    together[l].to_bits(),
                    m.at_normal_score(zl).to_bits(),
                    "{d:?} at z = {zl}: {} together, {} alone",
                    together[l],
                    m.at_normal_score(zl)
                );
            }
        }
    }
}

#[test]
fn an_incomplete_beta_given_its_logarithms_is_the_one_that_computes_them() {
    // The copula's beta roots hand the incomplete beta ln x, ln(1 − x) and ln B(a, b) rather than have it compute
    // them again; it must give the same bits, on either side of the point above which it evaluates the mirrored
    // fraction I_{1−x}(b, a) (where the two logarithms change places). ln B is given as ln B(b, a): the roots of the
    // mirrored marginal use the distribution's own.
    use statrs::function::beta::ln_beta;
    let shapes = BETAS.iter().chain(&[(15.0, 85.0), (3.36, 7.8e7), (48.40, 153.27)]);
    for &(a, b) in shapes {
        for i in 1..400 {
            let x = i as f64 / 400.0;
            for (x, x1) in [(x, 1.0 - x), (x * 1e-9, 1.0 - x * 1e-9), (1.0 - x * 1e-9, x * 1e-9)] {
                let logs = Logs {
                    ln_x: x.ln(),
                    ln_x1: x1.ln(),
                    ln_beta: ln_beta(b, a),
                };
                let (known, computed) = (beta_reg_known(a, b, x, x1, Some(logs)), beta_reg(a, b, x, x1));
                assert_eq!(
                    known.to_bits(),
                    computed.to_bits(),
                    "I_{x}({a}, {b}): {known} given its logarithms, {computed} computing them"
                );
            }
        }
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}
