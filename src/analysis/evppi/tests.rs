//! Tests of the splines, the linear algebra and a fit without noise.

use super::design::{PenaltyTrace, Rows};
use super::linalg::{cholesky, cholesky_inverse, cholesky_solve, symmetric_eigenvalues};
use super::spline::Spline;
use super::{evppi, sd};
use ndarray::Array2;

fn grid(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| (i as f64 / (n - 1) as f64).powi(2) * 7.0 - 2.0)
        .collect()
}

#[test]
fn b_splines_sum_to_one_and_reproduce_a_cubic() {
    let x = grid(301);
    let s = Spline::new(&x, 9);
    assert_eq!(s.len(), 12);
    for &v in &x {
        let (first, b) = s.eval(v);
        assert!(first + 4 <= s.len());
        assert!((b.iter().sum::<f64>() - 1.0).abs() < 1e-12, "partition of unity at {v}");
        assert!(b.iter().all(|&bi| bi >= -1e-15));
    }
}

/// Least-squares coefficients of f in the basis (exact when f is a cubic polynomial).
fn coefficients(s: &Spline, x: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
    let k = s.len();
    let mut rows = Rows::new(x.len(), 4);
    for &v in x {
        let (first, b) = s.eval(v);
        for (j, bj) in b.iter().enumerate() {
            rows.push(first + j, *bj);
        }
        rows.end_row();
    }
    let d = rows.finish(k, Vec::new(), PenaltyTrace::Blocks(Vec::new()), String::new());
    let mut xty = vec![0.0; k];
    for (i, &v) in x.iter().enumerate() {
        d.add_row(i, f(v), &mut xty);
    }
    let mut m = d.gram.clone();
    assert!(cholesky(&mut m, k));
    cholesky_solve(&m, k, &xty)
}

#[test]
fn penalty_is_the_integrated_squared_second_derivative() {
    let x = grid(400);
    let s = Spline::new(&x, 7);
    let omega = s.penalty();
    let k = s.len();
    let quad = |c: &[f64]| -> f64 {
        (0..k)
            .map(|a| (0..k).map(|b| c[a] * omega[a * k + b] * c[b]).sum::<f64>())
            .sum()
    };
    // On the unit scale u = (x + 2)/7: a straight line costs nothing; f = u² has f'' = 2, ∫₀¹ 4 du = 4;
    // f = u³ has f'' = 6u, ∫₀¹ 36u² du = 12.
    let u = |v: f64| (v + 2.0) / 7.0;
    assert!(quad(&coefficients(&s, &x, |v| 3.0 - 5.0 * u(v))).abs() < 1e-8);
    assert!((quad(&coefficients(&s, &x, |v| u(v).powi(2))) - 4.0).abs() < 1e-8);
    assert!((quad(&coefficients(&s, &x, |v| u(v).powi(3))) - 12.0).abs() < 1e-8);
    let ev = symmetric_eigenvalues(&omega, k);
    assert_eq!(
        ev.iter().filter(|&&e| e == 0.0).count(),
        2,
        "null space: constants and lines"
    );
}

#[test]
fn knots_follow_distinct_values_and_survive_ties() {
    // Two distinct values: one cubic segment (four B-splines).
    let s = Spline::new(&[1.0, 1.0, 2.0, 2.0, 1.0], 20);
    assert_eq!(s.len(), 4);
    // Five distinct values heavily tied: at most four segments.
    let x: Vec<f64> = (0..1000).map(|i| (i % 5) as f64).collect();
    assert!(Spline::new(&x, 20).len() <= 7);
}

#[test]
fn linear_algebra_by_hand() {
    // [[4, 2], [2, 3]] = L Lᵀ with L = [[2, 0], [1, √2]]; inverse = [[3, −2], [−2, 4]] / 8.
    let mut a = vec![4.0, 2.0, 2.0, 3.0];
    assert!(cholesky(&mut a, 2));
    assert!((a[0] - 2.0).abs() < 1e-15 && (a[2] - 1.0).abs() < 1e-15 && (a[3] - 2f64.sqrt()).abs() < 1e-15);
    let x = cholesky_solve(&a, 2, &[8.0, 7.0]);
    assert!((x[0] - 1.25).abs() < 1e-14 && (x[1] - 1.5).abs() < 1e-14);
    let inv = cholesky_inverse(&a, 2);
    for (got, want) in inv.iter().zip([3.0 / 8.0, -0.25, -0.25, 0.5]) {
        assert!((got - want).abs() < 1e-15);
    }
    assert!(!cholesky(&mut [1.0, 2.0, 2.0, 1.0], 2), "indefinite");
    let mut ev = symmetric_eigenvalues(&[2.0, 1.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 5.0], 3);
    ev.sort_by(f64::total_cmp);
    for (got, want) in ev.iter().zip([1.0, 3.0, 5.0]) {
        assert!((got - want).abs() < 1e-12);
    }
}

#[test]
fn a_linear_response_without_noise_is_fitted_exactly() {
    // INB = 100·(φ − 0.5): the fit is a straight line and EVPPI equals EVPI.
    let n = 500;
    let phi = Array2::from_shape_fn((n, 1), |(i, _)| i as f64 / (n - 1) as f64);
    let nmb = Array2::from_shape_fn((n, 2), |(i, d)| if d == 0 { 0.0 } else { 100.0 * (phi[[i, 0]] - 0.5) });
    let e = evppi(phi.view(), nmb.view());
    assert!((e.value - e.evpi).abs() < 1e-5 * e.evpi, "{} vs {}", e.value, e.evpi);
    assert!(e.r_squared[0] > 1.0 - 1e-10);
    // No noise, so no regression uncertainty: the standard error is the outer Monte Carlo error alone.
    let h: Vec<f64> = (0..n).map(|i| nmb[[i, 1]].max(0.0)).collect();
    let outer = sd(&h) / (n as f64).sqrt();
    assert!((e.se - outer).abs() < 1e-4 * outer, "{} vs {outer}", e.se);
}
