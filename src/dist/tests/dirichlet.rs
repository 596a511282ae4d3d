//! The Dirichlet distribution: shares, marginals, tiny concentrations and rejected inputs.
use super::*;
use crate::dist::dirichlet::normalise_mixed_logs;

#[test]
fn dirichlet_draws_sum_to_one_and_match_their_beta_marginals() {
    let d = Dirichlet::new(vec![30.0, 12.0, 5.0, 0.5]).unwrap();
    assert_eq!(d.len(), 4);
    assert_eq!(d.alpha(), &[30.0, 12.0, 5.0, 0.5]);
    let total = 47.5;
    for (m, a) in d.means().iter().zip(d.alpha()) {
        assert_rel(*m, a / total, 1e-15, "Dirichlet mean");
    }
    assert_eq!(d.marginal(3), Distribution::Beta { alpha: 0.5, beta: 47.0 });

    let mut r = rng(99);
    let mut out = [0.0; 4];
    let mut draws: Vec<Vec<f64>> = (0..4).map(|_| Vec::with_capacity(N)).collect();
    for _ in 0..N {
        d.sample_into(&mut r, &mut out);
        let sum: f64 = out.iter().sum();
        assert!((sum - 1.0).abs() <= 1e-12, "shares sum to {sum}");
        for (col, &x) in draws.iter_mut().zip(&out) {
            assert!((0.0..=1.0).contains(&x));
            col.push(x);
        }
    }
    for (i, col) in draws.iter().enumerate() {
        let m = d.marginal(i);
        check_moments(col, m.mean(), m.sd(), &format!("Dirichlet share {i}"));
    }
}

#[test]
fn dirichlet_with_tiny_concentrations_stays_exact() {
    // Concentrations this small send most gamma draws below e^-600, through the log-scale path: alone, and
    // mixed with a share drawn directly. Shares must still sum to 1 and match their beta marginals.
    for (seed, alpha) in [(5, vec![0.002, 0.004, 0.006]), (6, vec![0.002, 0.004, 0.3])] {
        let d = Dirichlet::new(alpha).unwrap();
        let mut r = rng(seed);
        let mut out = [0.0; 3];
        let mut draws: Vec<Vec<f64>> = (0..3).map(|_| Vec::with_capacity(N)).collect();
        for _ in 0..N {
            d.sample_into(&mut r, &mut out);
            let sum: f64 = out.iter().sum();
            assert!((sum - 1.0).abs() <= 1e-12, "{out:?}");
            for (col, &x) in draws.iter_mut().zip(&out) {
                assert!((0.0..=1.0).contains(&x), "{out:?}");
                col.push(x);
            }
        }
        for (i, col) in draws.iter().enumerate() {
            let m = d.marginal(i);
            check_moments(col, m.mean(), m.sd(), &format!("{:?} share {i}", d.alpha()));
        }
    }
}

#[test]
fn mixed_logs_normalise_to_the_right_shares() {
    // Two logarithms e^-650·1 and e^-650·3, far below what a direct division could handle.
    let mut out = [-650.0, -650.0 + 3f64.ln()];
    normalise_mixed_logs(&mut out);
    // 1e-12: the logarithms near -650 carry an absolute rounding error of ~1e-13.
    assert_close(out[0], 0.25, 1e-12, "first share");
    assert_close(out[1], 0.75, 1e-12, "second share");
    // A direct draw next to a logarithm e^-700: the latter's share is e^-700/2, i.e. 0.
    let mut out = [2.0, -700.0];
    normalise_mixed_logs(&mut out);
    assert_eq!(out, [1.0, (-700f64 - 2f64.ln()).exp()]);
}

#[test]
fn dirichlet_rejects_bad_concentrations() {
    assert!(Dirichlet::new(vec![]).is_err());
    assert!(Dirichlet::new(vec![3.0]).is_err());
    assert!(Dirichlet::new(vec![3.0, 0.0]).unwrap_err().0.contains("adding 1"));
    assert!(Dirichlet::new(vec![3.0, -1.0]).is_err());
    assert!(Dirichlet::new(vec![3.0, f64::NAN]).is_err());
    assert!(Dirichlet::new(vec![f64::INFINITY, 1.0]).is_err());
}

#[test]
#[should_panic(expected = "output has 2 slots")]
fn dirichlet_sample_into_checks_the_output_length() {
    let d = Dirichlet::new(vec![1.0, 2.0, 3.0]).unwrap();
    d.sample_into(&mut rng(1), &mut [0.0; 2]);
}
