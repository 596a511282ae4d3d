//! Fits that keep a published point estimate and match its 95% interval as closely as the family allows.
use super::*;

/// The squared miss on the logit scale that the beta fit minimises, at concentration `c` with mean `m`.
fn beta_logit_miss(m: f64, c: f64, low: f64, high: f64) -> f64 {
    let d = Distribution::beta(m * c, (1.0 - m) * c).unwrap();
    let logit = |x: f64| (x / (1.0 - x)).ln();
    (logit(d.quantile(P_LOW)) - logit(low)).powi(2) + (logit(d.quantile(P_HIGH)) - logit(high)).powi(2)
}

#[test]
fn the_issues_example_keeps_its_mean_and_says_the_interval_is_missed() {
    // "20% (5% to 35%)": a 95% interval alone is fitted exactly, and its mean is then 17.3%, not the 20% published.
    let interval_only = Distribution::beta_from_interval(0.05, 0.35).unwrap();
    assert_close(interval_only.mean(), 0.173, 0.0005, "mean of the interval-only fit");
    // With the mean given, the mean is kept exactly.
    let fit = Distribution::beta_from_point(Point::Mean(0.2), 0.05, 0.35).unwrap();
    let Distribution::Beta { alpha, beta } = fit.distribution else {
        panic!("not a beta")
    };
    assert_rel(fit.distribution.mean(), 0.2, 1e-14, "mean kept");
    // The concentration minimises the squared miss on the logit scale: moving it either way misses by more.
    let c = alpha + beta;
    let best = beta_logit_miss(0.2, c, 0.05, 0.35);
    for step in [0.99, 1.01] {
        assert!(
            beta_logit_miss(0.2, c * step, 0.05, 0.35) > best,
            "concentration × {step}"
        );
    }
    // No beta with mean 0.2 has a symmetric interval as wide as 0.05–0.35: the upper limit comes out near 0.41,
    // more than 5% of the width (0.015) away, so there is a warning, which gives both intervals.
    assert_close(fit.low, 0.0559, 0.0005, "fitted lower limit");
    assert_close(fit.high, 0.406, 0.001, "fitted upper limit");
    assert!(fit.miss(0.05, 0.35) > 0.15);
    let warning = fit.warning(Point::Mean(0.2), 0.05, 0.35).expect("a warning");
    assert!(
        warning.contains("0.055881 to 0.405977") && warning.contains("0.05 to 0.35"),
        "{warning}"
    );
}

#[test]
fn a_ratio_with_its_median_and_interval_is_exact_in_closed_form() {
    // Steventon et al. 2013: odds ratio 0.90 (95% CI 0.75 to 1.07). On the log scale μ = ln 0.90 and
    // σ = (ln 1.07 − ln 0.75)/3.919928 = 0.0906498; the fitted limits are exp(μ ∓ 1.959964σ) = 0.75350, 1.07499,
    // within 1% of the interval's width of the published (which was rounded to two decimals), so no warning.
    let fit = Distribution::lognormal_from_point(Point::Median(0.90), 0.75, 1.07).unwrap();
    let Distribution::LogNormal { meanlog, sdlog } = fit.distribution else {
        panic!("not a lognormal")
    };
    assert_rel(meanlog, -0.105_360_515_657_826_3, 1e-14, "meanlog = ln 0.9");
    assert_rel(sdlog, 0.090_649_808_804_773_47, 1e-12, "sdlog");
    assert_rel(fit.low, 0.753_496_522_451_029_3, 1e-12, "fitted lower limit");
    assert_rel(fit.high, 1.074_988_372_030_135, 1e-12, "fitted upper limit");
    assert!(fit.warning(Point::Median(0.90), 0.75, 1.07).is_none());
    // A symmetric interval on the log scale is matched exactly: RR 0.8 (0.64 to 1.0), since 0.8² = 0.64 × 1.
    let fit = Distribution::lognormal_from_point(Point::Median(0.8), 0.64, 1.0).unwrap();
    assert_rel(fit.low, 0.64, 1e-12, "lower limit");
    assert_rel(fit.high, 1.0, 1e-12, "upper limit");
}

#[test]
fn a_normal_keeps_its_mean_and_the_intervals_width() {
    // sd = (0.8 − 0.3)/3.919928 = 0.1275534; the interval is 0.5 ± 0.25, which misses each limit by 0.05, 10% of
    // the width: a warning.
    let fit = Distribution::normal_from_point(Point::Mean(0.5), 0.3, 0.8).unwrap();
    assert_eq!(fit.distribution.mean(), 0.5);
    assert_rel(fit.distribution.sd(), 0.127_553_364_231_163_48, 1e-12, "sd");
    assert_close(fit.low, 0.25, 1e-12, "low");
    assert_close(fit.high, 0.75, 1e-12, "high");
    assert_close(fit.miss(0.3, 0.8), 0.1, 1e-12, "miss");
    assert!(fit.warning(Point::Mean(0.5), 0.3, 0.8).is_some());
    // A symmetric interval is matched exactly.
    let fit = Distribution::normal_from_point(Point::Median(10.0), 8.0, 12.0).unwrap();
    assert_close(fit.low, 8.0, 1e-12, "low");
    assert!(fit.warning(Point::Median(10.0), 8.0, 12.0).is_none());
}

#[test]
fn a_point_and_interval_a_family_member_has_give_that_member_back() {
    // Where the published figures are exactly some distribution's mean (or median) and 2.5th and 97.5th
    // percentiles, least squares has a zero and finds it.
    let cases = [
        Distribution::gamma(4.0, 250.0).unwrap(),
        Distribution::gamma(0.8, 3.0).unwrap(),
        Distribution::beta(20.0, 80.0).unwrap(),
        Distribution::beta(2.0, 0.9).unwrap(),
        Distribution::lognormal(0.1, 0.3).unwrap(),
    ];
    for d in cases {
        let (low, high) = (d.quantile(P_LOW), d.quantile(P_HIGH));
        for point in [Point::Mean(d.mean()), Point::Median(d.quantile(0.5))] {
            let fit = match d {
                Distribution::Gamma { .. } => Distribution::gamma_from_point(point, low, high),
                Distribution::Beta { .. } => Distribution::beta_from_point(point, low, high),
                _ => Distribution::lognormal_from_point(point, low, high),
            }
            .unwrap_or_else(|e| panic!("{d} from its {}: {e}", point.name()));
            let (got, want) = (fit.distribution.describe(), d.describe());
            assert_eq!(got, want, "{d} from its {}", point.name());
            assert_rel(fit.low, low, 1e-6, "lower limit");
            assert_rel(fit.high, high, 1e-6, "upper limit");
            assert!(fit.warning(point, low, high).is_none());
        }
    }
}

#[test]
fn a_point_outside_its_interval_or_the_familys_range_is_refused() {
    let e = Distribution::beta_from_point(Point::Mean(0.4), 0.05, 0.35).unwrap_err();
    assert!(
        e.0.contains("mean 0.4 does not lie inside its 95% interval 0.05 to 0.35"),
        "{}",
        e.0
    );
    let e = Distribution::lognormal_from_point(Point::Median(0.75), 0.75, 1.07).unwrap_err();
    assert!(e.0.contains("median 0.75 does not lie inside"), "{}", e.0);
    let e = Distribution::beta_from_point(Point::Mean(20.0), 5.0, 35.0).unwrap_err();
    assert!(e.0.contains("strictly between 0 and 1"), "{}", e.0);
    let e = Distribution::gamma_from_point(Point::Mean(1.0), -1.0, 3.0).unwrap_err();
    assert!(e.0.contains("must be greater than 0"), "{}", e.0);
    let e = Distribution::normal_from_point(Point::Mean(1.0), 3.0, 2.0).unwrap_err();
    assert!(e.0.contains("must be below"), "{}", e.0);
}
