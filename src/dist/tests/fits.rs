//! Closed-form (moment) fits and 95%-interval fits.
use super::*;

#[test]
fn beta_from_moments_matches_parcc_example() {
    let Distribution::Beta { alpha, beta } = Distribution::beta_from_moments(0.76, 0.03).unwrap() else {
        panic!("not a beta")
    };
    assert_close(alpha, 153.27, 0.01, "alpha");
    assert_close(beta, 48.40, 0.01, "beta");
    // Exact values: c = 0.76·0.24/0.0009 − 1 = 201.666…, α = 0.76c, β = 0.24c.
    assert_rel(alpha, 153.266_666_666_666_7, 1e-12, "alpha exact");
    assert_rel(beta, 48.4, 1e-12, "beta exact");
}

#[test]
fn gamma_from_moments_matches_parcc_example() {
    let Distribution::Gamma { shape, scale } = Distribution::gamma_from_moments(250_000.0, 50_000.0).unwrap() else {
        panic!("not a gamma")
    };
    assert_rel(shape, 25.0, 1e-12, "shape");
    assert_rel(scale, 10_000.0, 1e-12, "scale");
}

#[test]
fn moment_fits_round_trip_through_mean_and_sd() {
    for (mean, sd) in [(1500.0, 900.0), (0.9, 0.05), (1.0, 3.0)] {
        let d = Distribution::lognormal_from_moments(mean, sd).unwrap();
        assert_rel(d.mean(), mean, 1e-12, "lognormal mean");
        assert_rel(d.sd(), sd, 1e-12, "lognormal sd");
        let d = Distribution::gamma_from_moments(mean, sd).unwrap();
        assert_rel(d.mean(), mean, 1e-12, "gamma mean");
        assert_rel(d.sd(), sd, 1e-12, "gamma sd");
    }
    for (mean, sd) in [(0.76, 0.03), (0.05, 0.04), (0.5, 0.49)] {
        let d = Distribution::beta_from_moments(mean, sd).unwrap();
        assert_rel(d.mean(), mean, 1e-12, "beta mean");
        assert_rel(d.sd(), sd, 1e-12, "beta sd");
    }
    // Lognormal log-scale parameters, by hand: σ² = ln(1 + 0.36) for mean 1500, sd 900.
    let Distribution::LogNormal { meanlog, sdlog } = Distribution::lognormal_from_moments(1500.0, 900.0).unwrap()
    else {
        panic!("not a lognormal")
    };
    assert_rel(sdlog, 1.36f64.ln().sqrt(), 1e-14, "sdlog");
    assert_rel(meanlog, 1500f64.ln() - 0.5 * 1.36f64.ln(), 1e-14, "meanlog");
}

#[test]
fn interval_fits_reproduce_both_limits() {
    let d = Distribution::lognormal_from_interval(0.75, 1.07).unwrap();
    assert_close(d.quantile(0.025), 0.75, 1e-9, "lognormal 2.5%");
    assert_close(d.quantile(0.975), 1.07, 1e-9, "lognormal 97.5%");

    let d = Distribution::normal_from_interval(-1200.0, 3400.0).unwrap();
    assert_close(d.quantile(0.025), -1200.0, 1e-9, "normal 2.5%");
    assert_close(d.quantile(0.975), 3400.0, 1e-9, "normal 97.5%");
    assert_close(d.mean(), 1100.0, 1e-9, "normal mean");

    for (low, high) in [
        (0.75, 1.07),
        (1000.0, 50_000.0),
        (1.0, 1.001),
        (1.0, 1e6),
        (2000.0, 2600.0),
    ] {
        let d = Distribution::gamma_from_interval(low, high).unwrap();
        assert!(matches!(d, Distribution::Gamma { .. }));
        assert_rel(d.quantile(0.025), low, 1e-8, &format!("gamma({low}, {high}) 2.5%"));
        assert_rel(d.quantile(0.975), high, 1e-8, &format!("gamma({low}, {high}) 97.5%"));
    }

    for (low, high) in [
        (0.53, 0.68),
        (0.001, 0.002),
        (0.01, 0.99),
        (0.9, 0.999),
        (0.2, 0.21),
        (1e-8, 1e-7),
    ] {
        let d = Distribution::beta_from_interval(low, high).unwrap();
        assert!(matches!(d, Distribution::Beta { .. }));
        assert_close(d.quantile(0.025), low, 1e-8, &format!("beta({low}, {high}) 2.5%"));
        assert_close(d.quantile(0.975), high, 1e-8, &format!("beta({low}, {high}) 97.5%"));
    }
}

#[test]
fn interval_fits_agree_with_independent_reference_values() {
    // Parameters for these intervals, solved independently with mpmath at 40 digits.
    let Distribution::Beta { alpha, beta } = Distribution::beta_from_interval(0.53, 0.68).unwrap() else {
        panic!("not a beta")
    };
    assert_rel(alpha, 97.944_643_756_112_34, 1e-9, "alpha");
    assert_rel(beta, 63.614_582_593_888_88, 1e-9, "beta");
    let Distribution::Gamma { shape, scale } = Distribution::gamma_from_interval(0.75, 1.07).unwrap() else {
        panic!("not a gamma")
    };
    assert_rel(shape, 122.183_565_680_935_9, 1e-9, "shape");
    assert_rel(scale, 7.390_553_238_358_111e-3, 1e-9, "scale");
}
